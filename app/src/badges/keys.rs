//! The events' badge signing keys. Each event gets its own Ed25519 key pair the first time one
//! of its badges is issued; the pair is kept in the database (so every server process signs with
//! the same key) and cached here, since every scan needs the public key.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use ed25519_dalek::{Signer, SigningKey};

use super::code::BadgeCode;
use crate::backend::{error::internal, now, Db};
use crate::db_run;
use crate::error::AppError;

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
}

impl std::fmt::Debug for BadgeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.write_str("BadgeKeys")
    }
}

impl BadgeKeys {
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
        let seed: [u8; 32] = hex::decode(&secret)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| internal("badge keys", format!("stored secret key of event {event_id} is damaged")))?;
        let signing = SigningKey::from_bytes(&seed);
        let derived = signing.verifying_key().to_bytes();
        if hex::encode(derived) != public {
            return Err(internal("badge keys", format!("stored key pair of event {event_id} does not match")));
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
        .bind(hex::encode(seed))
        .bind(now())
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        self.existing(db, event_id)
            .await?
            .ok_or_else(|| internal("badge keys", format!("no key pair for event {event_id} after creating one")))
    }
}
