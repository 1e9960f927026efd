//! Per-client rate limits for the forms that cost the server work or could be used to probe it
//! (sign-in, sign-up, password resets, voucher codes): a token bucket per client address and
//! kind of form, in memory. Each server process keeps its own buckets; the shared, lasting line
//! is the database-backed sign-in throttle of `accounts`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use crate::error::AppError;

/// How many requests a client may make at once (`burst`), and how fast its allowance returns.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    pub burst: f64,
    pub per_minute: f64,
}

/// Account forms: sign-in, sign-up, password reset requests and resets.
pub const ACCOUNT_FORMS: Rate = Rate { burst: 20.0, per_minute: 10.0 };
/// Voucher, invitation and membership codes tried at registration.
pub const VOUCHER_CODES: Rate = Rate { burst: 30.0, per_minute: 20.0 };

/// Buckets are forgotten once full again; past this many the full ones are swept.
const SWEEP_ABOVE: usize = 10_000;

/// A client's allowance for one kind of form: tokens left, and when they were counted.
type Bucket = (f64, Instant);

#[derive(Debug, Default)]
pub struct RateLimits {
    buckets: Mutex<HashMap<(&'static str, IpAddr), Bucket>>,
}

impl RateLimits {
    /// Takes one request from the client's allowance for `kind`, or answers `TooManyAttempts`.
    /// Requests whose client is unknown (not over TCP) are not limited.
    pub fn take(&self, kind: &'static str, rate: Rate, client: Option<IpAddr>) -> Result<(), AppError> {
        let Some(client) = client else { return Ok(()) };
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() > SWEEP_ABOVE {
            buckets
                .retain(|_, (tokens, at)| *tokens + refill(rate, now.duration_since(*at).as_secs_f64()) < rate.burst);
        }
        let (tokens, at) = buckets.entry((kind, client)).or_insert((rate.burst, now));
        *tokens = (*tokens + refill(rate, now.duration_since(*at).as_secs_f64())).min(rate.burst);
        *at = now;
        if *tokens < 1.0 {
            tracing::warn!(%client, kind, "rate limited");
            return Err(AppError::TooManyAttempts);
        }
        *tokens -= 1.0;
        Ok(())
    }
}

fn refill(rate: Rate, seconds: f64) -> f64 {
    seconds * rate.per_minute / 60.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_per_client_and_kind() {
        let limits = RateLimits::default();
        let rate = Rate { burst: 3.0, per_minute: 0.0 };
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert!(limits.take("sign-in", rate, Some(a)).is_ok());
        }
        assert_eq!(limits.take("sign-in", rate, Some(a)), Err(AppError::TooManyAttempts));
        assert!(limits.take("sign-in", rate, Some(b)).is_ok(), "another client has its own allowance");
        assert!(limits.take("voucher", rate, Some(a)).is_ok(), "another kind has its own allowance");
        assert!(limits.take("sign-in", rate, None).is_ok());
    }

    #[test]
    fn the_allowance_comes_back_with_time() {
        assert!((refill(Rate { burst: 5.0, per_minute: 30.0 }, 4.0) - 2.0).abs() < 1e-9);
    }
}
