//! Stripe's webhook signature scheme: the `Stripe-Signature` header carries `t=<unix time>` and
//! one or more `v1=<hex HMAC-SHA256>` of `"<t>.<raw body>"` keyed with the endpoint secret
//! (`whsec_…`, used as bytes, prefix included). A delivery is genuine when any `v1` matches and
//! `t` is within the tolerance of now, so a captured delivery cannot be replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Stripe's own libraries default to five minutes.
pub const TOLERANCE_SECONDS: i64 = 300;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing")]
    Missing,
    #[error("the Stripe-Signature header has no timestamp or no v1 signature")]
    Malformed,
    #[error("the signature's timestamp is outside the {TOLERANCE_SECONDS} s tolerance")]
    Stale,
    #[error("no v1 signature matches the body")]
    Mismatch,
}

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Checks a delivery; returns the signing time.
pub fn verify(header: Option<&str>, body: &[u8], secret: &str, now: i64) -> Result<i64, SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        match item.trim().split_once('=') {
            Some(("t", value)) => timestamp = Some(value),
            Some(("v1", value)) => signatures.push(value),
            // Other schemes (v0, test-mode extras) are ignored, as Stripe's libraries do.
            _ => {}
        }
    }
    let raw_time = timestamp.ok_or(SignatureError::Malformed)?;
    let time: i64 = raw_time.parse().map_err(|_| SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let expected = mac(secret, raw_time, body);
    // verify_slice compares in constant time.
    let genuine = signatures
        .iter()
        .filter_map(|s| hex::decode(s).ok())
        .any(|candidate| expected.clone().verify_slice(&candidate).is_ok());
    if !genuine {
        return Err(SignatureError::Mismatch);
    }
    if (now - time).abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::Stale);
    }
    Ok(time)
}

/// The header Stripe would send for this body at this time (for the fake Stripe of tests and
/// for local tooling).
pub fn sign(body: &[u8], secret: &str, timestamp: i64) -> String {
    let t = timestamp.to_string();
    format!("t={t},v1={}", hex::encode(mac(secret, &t, body).finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;

    #[test]
    fn matches_a_known_stripe_signature() {
        // Computed independently with Python's hmac module over b"1700000000." + BODY.
        assert_eq!(
            sign(BODY, SECRET, 1_700_000_000),
            "t=1700000000,v1=a13d4b1f9003bc2fb6c06224e878b6056185eaa50d40e1e7dc05517f8af41d7b"
        );
    }

    #[test]
    fn genuine_deliveries_pass_and_everything_else_fails() {
        let header = sign(BODY, SECRET, 1_000);
        assert_eq!(verify(Some(&header), BODY, SECRET, 1_100), Ok(1_000));
        // Several v1 entries (during a secret roll): any match is enough.
        let rolled = format!("t=1000,v1={},{}", "00".repeat(32), header.split(',').nth(1).unwrap());
        assert_eq!(verify(Some(&rolled), BODY, SECRET, 1_000), Ok(1_000));
        assert_eq!(verify(None, BODY, SECRET, 1_000), Err(SignatureError::Missing));
        assert_eq!(verify(Some("v1=abc"), BODY, SECRET, 1_000), Err(SignatureError::Malformed));
        assert_eq!(verify(Some("t=1000"), BODY, SECRET, 1_000), Err(SignatureError::Malformed));
        assert_eq!(verify(Some(&header), b"{}", SECRET, 1_000), Err(SignatureError::Mismatch));
        assert_eq!(verify(Some(&header), BODY, "whsec_other", 1_000), Err(SignatureError::Mismatch));
        assert_eq!(verify(Some(&header), BODY, SECRET, 1_301), Err(SignatureError::Stale));
        assert_eq!(verify(Some(&header), BODY, SECRET, 1_300), Ok(1_000));
        // A changed timestamp breaks the signature rather than moving the window.
        let moved = header.replace("t=1000", "t=1200");
        assert_eq!(verify(Some(&moved), BODY, SECRET, 1_200), Err(SignatureError::Mismatch));
    }
}
