//! Each API token's calls are throttled: a bucket of twice the configured rate refills at the
//! rate (`api.requests_per_second`); a call finding it empty is refused with `too_many_requests`
//! and the seconds until a call would pass (`Retry-After`). Kept per portal: several portals
//! on one database each allow the rate.

use crate::domain::AppError;
use crate::domain::api_token::ApiTokenId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

pub struct Throttle {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<ApiTokenId, (f64, Instant)>>,
}

impl Throttle {
    pub fn new(requests_per_second: u32) -> Throttle {
        let rate = f64::from(requests_per_second.max(1));
        Throttle { rate, burst: rate * 2.0, buckets: Mutex::new(HashMap::new()) }
    }

    pub fn admit(&self, token: ApiTokenId) -> Result<(), AppError> {
        self.admit_at(token, Instant::now())
    }

    fn admit_at(&self, token: ApiTokenId, now: Instant) -> Result<(), AppError> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Buckets of tokens idle long enough to be full again are dropped: the map stays small.
        if buckets.len() > 10_000 {
            let full_after = self.burst / self.rate;
            buckets.retain(|_, (_, at)| now.duration_since(*at).as_secs_f64() < full_after);
        }
        let (level, at) = buckets.entry(token).or_insert((self.burst, now));
        let refilled =
            (*level + now.saturating_duration_since(*at).as_secs_f64() * self.rate).min(self.burst);
        *at = now;
        if refilled >= 1.0 {
            *level = refilled - 1.0;
            Ok(())
        } else {
            *level = refilled;
            let retry_after = ((1.0 - refilled) / self.rate).ceil().max(1.0) as u64;
            Err(AppError::TooManyRequests { retry_after })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_token_gets_a_burst_then_the_rate_and_tokens_are_apart() {
        let throttle = Throttle::new(2);
        let start = Instant::now();
        let (a, b) = (ApiTokenId(1), ApiTokenId(2));
        for _ in 0..4 {
            assert_eq!(throttle.admit_at(a, start), Ok(()));
        }
        assert_eq!(throttle.admit_at(a, start), Err(AppError::TooManyRequests { retry_after: 1 }));
        assert_eq!(throttle.admit_at(b, start), Ok(()), "another token has its own bucket");
        let later = start + Duration::from_millis(500);
        assert_eq!(throttle.admit_at(a, later), Ok(()), "half a second refills one call at 2/s");
        assert!(throttle.admit_at(a, later).is_err());
    }
}
