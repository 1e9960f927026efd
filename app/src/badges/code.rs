//! What a badge's QR code says, and how anyone holding the event's public key checks it.
//!
//! This module is compiled into the server and into the browser bundle: the scanner page checks
//! codes with exactly this code when the venue's network is gone.
//!
//! A code reads `EXX1.<event>.<ticket>.<issued>.<signature>`: the event and ticket ids, the
//! second the badge was issued (re-issuing a badge changes it, which revokes the old code), and
//! the Ed25519 signature of everything before the last dot, in unpadded base32. Every character
//! is in the QR alphanumeric set (digits, capitals, `.`), so a code of a large event still fits
//! a version 7 symbol at error correction M (154 characters; a code is at most ~135), and
//! handheld scanners typing into a field cannot mangle case-sensitive text.

use ed25519_dalek::{Signature, VerifyingKey};

pub const PREFIX: &str = "EXX1";
const SIGNATURE_LEN: usize = 64;

/// The signed facts of a badge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadgeCode {
    pub event_id: i64,
    pub ticket_id: i64,
    /// Unix seconds; equals the ticket's current `badge_issued_at` unless re-issued since.
    pub issued_at: i64,
}

/// Why a scanned text is not a valid code of the expected event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeProblem {
    /// Not a badge code at all (or damaged beyond reading).
    Malformed,
    /// Reads as a code, but the signature does not match: forged or tampered with.
    Forged,
    /// Well-formed and (when the key was known) correctly signed, but for another event.
    OtherEvent { event_id: i64 },
}

impl BadgeCode {
    /// The exact bytes that are signed.
    pub fn signed_text(&self) -> String {
        format!("{PREFIX}.{}.{}.{}", self.event_id, self.ticket_id, self.issued_at)
    }

    /// The full code for a signature made over `signed_text`.
    pub fn with_signature(&self, signature: &[u8; SIGNATURE_LEN]) -> String {
        format!("{}.{}", self.signed_text(), base32_encode(signature))
    }
}

/// A scanned text split into its signed facts and signature; nothing is verified yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadCode {
    pub code: BadgeCode,
    signature: [u8; SIGNATURE_LEN],
}

/// Reads a scanned text. Handheld scanners may add white space or (with some keyboard layouts)
/// change case, so both are forgiven; anything else that does not fit is `Malformed`.
pub fn read(scanned: &str) -> Result<ReadCode, CodeProblem> {
    let text = scanned.trim().to_ascii_uppercase();
    let mut parts = text.split('.');
    if parts.next() != Some(PREFIX) {
        return Err(CodeProblem::Malformed);
    }
    let mut number = || -> Result<i64, CodeProblem> {
        let part = parts.next().ok_or(CodeProblem::Malformed)?;
        // Only plain digits: `+5` or `05` would sign differently from what they mean.
        if part.is_empty() || part.len() > 18 || !part.bytes().all(|b| b.is_ascii_digit()) || part.starts_with('0') {
            return Err(CodeProblem::Malformed);
        }
        part.parse().map_err(|_| CodeProblem::Malformed)
    };
    let code = BadgeCode { event_id: number()?, ticket_id: number()?, issued_at: number()? };
    let signature = parts.next().and_then(base32_decode).ok_or(CodeProblem::Malformed)?;
    let signature: [u8; SIGNATURE_LEN] = signature.try_into().map_err(|_| CodeProblem::Malformed)?;
    if parts.next().is_some() {
        return Err(CodeProblem::Malformed);
    }
    Ok(ReadCode { code, signature })
}

impl ReadCode {
    /// Whether the signature was made by the holder of the secret key for `public_key`.
    /// Strict verification: no malleable or small-order signatures.
    pub fn signed_by(&self, public_key: &[u8; 32]) -> bool {
        let Ok(key) = VerifyingKey::from_bytes(public_key) else { return false };
        key.verify_strict(self.code.signed_text().as_bytes(), &Signature::from_bytes(&self.signature)).is_ok()
    }
}

/// Checks a scanned text against the scanning event. `key_of` gives the public key of an event
/// id when it is known (the scanning event's always is; the other partnership events' keys let
/// a code of another event be told apart from a forgery).
pub fn verify(
    scanned: &str,
    event_id: i64,
    key_of: impl Fn(i64) -> Option<[u8; 32]>,
) -> Result<BadgeCode, CodeProblem> {
    let read = read(scanned)?;
    let key = key_of(read.code.event_id).ok_or(CodeProblem::Forged)?;
    if !read.signed_by(&key) {
        return Err(CodeProblem::Forged);
    }
    if read.code.event_id != event_id {
        return Err(CodeProblem::OtherEvent { event_id: read.code.event_id });
    }
    Ok(read.code)
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The inverse of `base32_encode`; `None` for characters outside the alphabet or leftover bits
/// that are not zero (so every byte string has exactly one accepted spelling).
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let value = ALPHABET.iter().position(|&a| a == c)? as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
        buffer &= (1 << bits) - 1;
    }
    (buffer == 0 && bits < 5).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn code_for(signer: &SigningKey, code: BadgeCode) -> String {
        code.with_signature(&signer.sign(code.signed_text().as_bytes()).to_bytes())
    }

    const HEIDELBERG: BadgeCode = BadgeCode { event_id: 1, ticket_id: 4711, issued_at: 1_800_000_000 };

    #[test]
    fn base32_round_trips() {
        for len in 0..70 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(base32_decode(&base32_encode(&bytes)).unwrap(), bytes);
        }
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("MZXW6YTBOI1"), None);
        // Non-zero leftover bits would give a second spelling of the same bytes.
        assert_eq!(base32_decode("MZXW6YTBOJ"), None);
    }

    #[test]
    fn a_signed_code_verifies_and_fits_a_small_qr_code() {
        let signer = key(7);
        let public = signer.verifying_key().to_bytes();
        let text = code_for(&signer, HEIDELBERG);
        assert!(text.len() <= 135, "{} characters", text.len());
        assert!(text.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.'), "{text}");
        assert_eq!(verify(&text, 1, |_| Some(public)), Ok(HEIDELBERG));
        // Handheld scanners may add a line break or change case.
        assert_eq!(verify(&format!(" {}\r\n", text.to_lowercase()), 1, |_| Some(public)), Ok(HEIDELBERG));
    }

    #[test]
    fn tampered_codes_are_forged() {
        let signer = key(7);
        let public = signer.verifying_key().to_bytes();
        let text = code_for(&signer, HEIDELBERG);
        let other_ticket = text.replacen(".4711.", ".4712.", 1);
        assert_eq!(verify(&other_ticket, 1, |_| Some(public)), Err(CodeProblem::Forged));
        let mut flipped = text.clone().into_bytes();
        let last = flipped.len() - 3;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        assert!(verify(std::str::from_utf8(&flipped).unwrap(), 1, |_| Some(public)).is_err());
        // Signed by someone else's key.
        let forged = code_for(&key(8), HEIDELBERG);
        assert_eq!(verify(&forged, 1, |_| Some(public)), Err(CodeProblem::Forged));
        for junk in ["", "hello", "EXX1.1.2.3", "EXX1.01.2.3.AAAA", "EXX2.1.2.3.AAAA", &format!("{text}.X")] {
            assert_eq!(verify(junk, 1, |_| Some(public)), Err(CodeProblem::Malformed), "{junk}");
        }
    }

    #[test]
    fn another_events_code_is_named_only_when_its_signature_holds() {
        let heidelberg = key(1);
        let leuven = key(2);
        let keys = |event: i64| match event {
            1 => Some(heidelberg.verifying_key().to_bytes()),
            2 => Some(leuven.verifying_key().to_bytes()),
            _ => None,
        };
        let leuven_code = BadgeCode { event_id: 2, ..HEIDELBERG };
        assert_eq!(verify(&code_for(&leuven, leuven_code), 1, keys), Err(CodeProblem::OtherEvent { event_id: 2 }));
        // Claiming Leuven but signed with Heidelberg's key: forged, not "wrong event".
        assert_eq!(verify(&code_for(&heidelberg, leuven_code), 1, keys), Err(CodeProblem::Forged));
        // An event nobody knows the key of.
        let unknown = BadgeCode { event_id: 9, ..HEIDELBERG };
        assert_eq!(verify(&code_for(&heidelberg, unknown), 1, keys), Err(CodeProblem::Forged));
    }
}
