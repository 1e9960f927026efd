//! Password hashing with Argon2id. Hashing is deliberately slow, so it runs on the blocking
//! thread pool, never on the async runtime's workers.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

use crate::error::AppError;
use crate::platform::error::internal;

/// Each hash takes about 19 MiB and a core for tens of milliseconds: a burst of sign-ins waits
/// here instead of exhausting memory.
static HASHING: Semaphore = Semaphore::const_new(4);

/// Hashes running or waiting. Beyond `MAX_IN_LINE` a request is answered "busy" at once, so a
/// flood of bogus forms cannot make an honest sign-in wait seconds behind it.
static IN_LINE: AtomicUsize = AtomicUsize::new(0);
pub const MAX_IN_LINE: usize = 12;

/// A place in the hashing line, given back when dropped.
struct InLine;

impl InLine {
    fn join() -> Result<InLine, AppError> {
        if IN_LINE.fetch_add(1, Ordering::SeqCst) >= MAX_IN_LINE {
            IN_LINE.fetch_sub(1, Ordering::SeqCst);
            return Err(AppError::Busy);
        }
        Ok(InLine)
    }
}

impl Drop for InLine {
    fn drop(&mut self) {
        IN_LINE.fetch_sub(1, Ordering::SeqCst);
    }
}

pub async fn hash(password: String) -> Result<String, AppError> {
    let _place = InLine::join()?;
    let _permit = HASHING.acquire().await.map_err(|e| internal("password hashing", e))?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| internal("password hashing", e))
    })
    .await?
}

/// Checks a password against a stored hash. With no stored hash (unknown account) it still
/// spends the time of one verification, so response times do not reveal which emails exist.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, AppError> {
    let _place = InLine::join()?;
    let _permit = HASHING.acquire().await.map_err(|e| internal("password hashing", e))?;
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DECOY_HASH.to_string());
        let parsed = PasswordHash::new(&stored).map_err(|e| internal("stored password hash", e))?;
        let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(ok && stored != DECOY_HASH)
    })
    .await?
}

/// An Argon2id hash (default parameters) of a random string nobody knows; also the stored hash
/// of accounts that cannot sign in with a password (demo guests).
pub const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2pSAUDbLAnwVGdHpT+qG2z3u/Qdv9hOaKiwvaU3Eu2Q";
