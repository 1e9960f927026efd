//! The events' badge signing keys. Each event gets its own Ed25519 key pair the first time one
//! of its badges is issued; the pair is kept in the database (so every server process signs with
//! the same key) and cached here, since every scan needs the public key.
//!
//! With a server secret (`BADGE_KEY_SECRET`) the stored secret key is wrapped:
//! `v1:<nonce>:<key XOR HMAC-SHA256(server secret, event id ‖ nonce)>`, a fresh random nonce per
//! key, so a copy of the database alone cannot forge badges. Unwrapping with a wrong secret
//! gives a key whose public half does not match the stored one, which is refused.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use ed25519_dalek::{Signer, SigningKey};

use super::code::BadgeCode;
use crate::db_run;
use crate::error::AppError;
use crate::platform::{error::internal, now, Db};

pub struct EventKeys {
    pub event_id: i64,
    signing: SigningKey,
    pub public: [u8; 32],
}

impl EventKeys {
    /// Signs a code. Only the event's own codes should be signed; the tests sign other events'
    /// ids too, to show that such forgeries are refused.
    pub fn sign(&self, code: BadgeCode) -> String {
        code.with_signature(&self.signing.sign(code.signed_text().as_bytes()).to_bytes())
    }

    pub fn public_hex(&self) -> String {
        hex::encode(self.public)
    }
}

#[derive(Default)]
pub struct BadgeKeys {
    cache: RwLock<HashMap<i64, Arc<EventKeys>>>,
    /// The server secret that wraps stored keys, if configured.
    wrapping: Option<Vec<u8>>,
}

const WRAPPED: &str = "v1:";

/// The pad that wraps an event's secret key: HMAC-SHA256(server secret, event id ‖ nonce).
fn pad(server_secret: &[u8], event_id: i64, nonce: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(server_secret).expect("HMAC takes keys of any length");
    mac.update(b"eventxchange badge key");
    mac.update(&event_id.to_be_bytes());
    mac.update(nonce);
    mac.finalize().into_bytes().into()
}

fn xor(a: [u8; 32], b: [u8; 32]) -> [u8; 32] {
    std::array::from_fn(|i| a[i] ^ b[i])
}

impl std::fmt::Debug for BadgeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.write_str("BadgeKeys")
    }
}

impl BadgeKeys {
    pub fn new(server_secret: Option<&str>) -> BadgeKeys {
        BadgeKeys {
            cache: RwLock::default(),
            wrapping: server_secret.filter(|s| !s.is_empty()).map(|s| s.as_bytes().to_vec()),
        }
    }

    /// The secret key as stored: wrapped when a server secret is configured.
    fn seal(&self, event_id: i64, seed: [u8; 32]) -> String {
        match &self.wrapping {
            None => hex::encode(seed),
            Some(server_secret) => {
                let mut nonce = [0u8; 16];
                rand::RngCore::fill_bytes(&mut rand::rng(), &mut nonce);
                let sealed = xor(seed, pad(server_secret, event_id, &nonce));
                format!("{WRAPPED}{}:{}", hex::encode(nonce), hex::encode(sealed))
            }
        }
    }

    fn open(&self, event_id: i64, stored: &str) -> Result<[u8; 32], String> {
        let decode = |text: &str| -> Result<Vec<u8>, String> { hex::decode(text).map_err(|e| e.to_string()) };
        let key = |bytes: Vec<u8>| -> Result<[u8; 32], String> {
            bytes.try_into().map_err(|_| "a secret key is 32 bytes".to_string())
        };
        match stored.strip_prefix(WRAPPED) {
            None => key(decode(stored)?),
            Some(wrapped) => {
                let server_secret =
                    self.wrapping.as_ref().ok_or("the key is wrapped, and BADGE_KEY_SECRET is not set")?;
                let (nonce, sealed) = wrapped.split_once(':').ok_or("damaged wrapped key")?;
                Ok(xor(key(decode(sealed)?)?, pad(server_secret, event_id, &decode(nonce)?)))
            }
        }
    }

    fn cached(&self, event_id: i64) -> Option<Arc<EventKeys>> {
        self.cache.read().ok().and_then(|cache| cache.get(&event_id).cloned())
    }

    /// The event's keys, if it has any yet (a code naming an event without keys is forged).
    pub async fn existing(&self, db: &Db, event_id: i64) -> Result<Option<Arc<EventKeys>>, AppError> {
        if let Some(keys) = self.cached(event_id) {
            return Ok(Some(keys));
        }
        let row: Option<(String, String)> = db_run!(db, |pool| sqlx::query_as(
            "select secret_key, public_key from event_badge_keys where event_id = $1"
        )
        .bind(event_id)
        .fetch_optional(pool)
        .await)?;
        let Some((secret, public)) = row else { return Ok(None) };
        let seed = self
            .open(event_id, &secret)
            .map_err(|e| internal("badge keys", format!("stored secret key of event {event_id}: {e}")))?;
        let signing = SigningKey::from_bytes(&seed);
        let derived = signing.verifying_key().to_bytes();
        if hex::encode(derived) != public {
            // Also what a wrong BADGE_KEY_SECRET looks like.
            return Err(internal(
                "badge keys",
                format!("stored key pair of event {event_id} does not match (is BADGE_KEY_SECRET the one it was made with?)"),
            ));
        }
        let keys = Arc::new(EventKeys { event_id, signing, public: derived });
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(event_id, keys.clone());
        }
        Ok(Some(keys))
    }

    /// The event's keys, made on first use. Two processes making keys at once both insert
    /// with `on conflict do nothing` and then read back whichever pair won.
    pub async fn for_event(&self, db: &Db, event_id: i64) -> Result<Arc<EventKeys>, AppError> {
        if let Some(keys) = self.existing(db, event_id).await? {
            return Ok(keys);
        }
        let mut seed = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut seed);
        let signing = SigningKey::from_bytes(&seed);
        db_run!(db, |pool| sqlx::query(
            "insert into event_badge_keys (event_id, public_key, secret_key, created_at) values ($1, $2, $3, $4)
             on conflict do nothing"
        )
        .bind(event_id)
        .bind(hex::encode(signing.verifying_key().to_bytes()))
        .bind(self.seal(event_id, seed))
        .bind(now())
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        self.existing(db, event_id)
            .await?
            .ok_or_else(|| internal("badge keys", format!("no key pair for event {event_id} after creating one")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_keys_open_only_with_their_secret() {
        let seed = [7u8; 32];
        let keys = BadgeKeys::new(Some("a long server secret"));
        let sealed = keys.seal(3, seed);
        assert!(sealed.starts_with(WRAPPED) && !sealed.contains(&hex::encode(seed)), "{sealed}");
        assert_eq!(keys.open(3, &sealed), Ok(seed));
        assert_ne!(keys.seal(3, seed), sealed, "a fresh nonce each time");
        // Another event id or another secret gives another key (refused by the public-key check).
        assert_ne!(keys.open(4, &sealed), Ok(seed));
        assert_ne!(BadgeKeys::new(Some("another secret")).open(3, &sealed), Ok(seed));
        assert!(BadgeKeys::new(None).open(3, &sealed).is_err(), "a wrapped key needs the secret");
        // Keys stored before a secret was configured still open.
        assert_eq!(keys.open(3, &hex::encode(seed)), Ok(seed));
    }
}
