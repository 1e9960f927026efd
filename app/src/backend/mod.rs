//! Server-only plumbing shared by every capability: the database, errors, sessions and CSRF,
//! the mail outbox, the demo series. Gated once, here, behind the `ssr` feature.

pub mod auth;
pub mod db;
pub mod demo;
pub mod error;
pub mod mail;
pub mod state;

pub use db::Db;
pub use state::{AppState, Settings};

/// Seconds since the Unix epoch: how every instant is stored, on both backends.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// A fresh random token for cookies and links: 32 bytes, hex-encoded.
pub fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What is stored in place of a token, so a database leak does not hand out live sessions.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}
