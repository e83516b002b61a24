//! The delivery policy: which answers succeed, which are retried and which fail for good, and how
//! long to wait before the next attempt (exponential back-off with jitter, or the receiver's
//! `Retry-After` on 429 and 503).

use std::time::{Duration, SystemTime};

/// The longest `Retry-After` honoured: a receiver cannot park an endpoint for longer in one answer.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx answer.
    Delivered,
    /// 408, 429, 5xx, a timeout or a connection error: try again, not before the given delay.
    Retry {
        /// What happened, in words.
        reason: String,
        /// The status, if there was an answer.
        status: Option<u16>,
        /// The receiver's `Retry-After`.
        after: Option<Duration>,
    },
    /// Any other answer (3xx, other 4xx): the receiver refuses this batch.
    Refused {
        /// The status.
        status: u16,
    },
}

/// Classifies an answer; `retry_after` is the header's text, if any.
pub fn classify(status: u16, retry_after: Option<&str>, now: SystemTime) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered,
        408 | 429 | 500..=599 => Outcome::Retry {
            reason: format!("HTTP {status}"),
            status: Some(status),
            after: matches!(status, 429 | 503)
                .then(|| retry_after.and_then(|v| parse_retry_after(v, now)))
                .flatten(),
        },
        _ => Outcome::Refused { status },
    }
}

/// `Retry-After` as seconds or an HTTP date, capped at an hour.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let at = httpdate::parse_http_date(value).ok()?;
            at.duration_since(now).unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// The delay before attempt `failures + 1`: `min · 2^(failures-1)` capped at `max`, of which the
/// upper half is random (so endpoints that failed together do not retry together).
pub fn backoff(failures: u32, min: Duration, max: Duration) -> Duration {
    let doubled = min.saturating_mul(1u32 << failures.saturating_sub(1).min(20));
    let base = doubled.min(max).max(Duration::from_millis(1));
    let half = base / 2;
    half + Duration::from_millis(rand::random_range(0..=half.as_millis() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified_as_the_docs_say() {
        let now = SystemTime::now();
        assert_eq!(classify(204, None, now), Outcome::Delivered);
        assert!(matches!(
            classify(500, None, now),
            Outcome::Retry {
                status: Some(500),
                ..
            }
        ));
        assert!(matches!(classify(408, None, now), Outcome::Retry { .. }));
        assert_eq!(classify(404, None, now), Outcome::Refused { status: 404 });
        assert_eq!(classify(301, None, now), Outcome::Refused { status: 301 });
        let throttled = classify(429, Some("7"), now);
        assert!(
            matches!(throttled, Outcome::Retry { after: Some(d), .. } if d == Duration::from_secs(7))
        );
        let not_honoured = classify(500, Some("7"), now);
        assert!(matches!(not_honoured, Outcome::Retry { after: None, .. }));
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date_and_is_capped() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(parse_retry_after(&date, now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() {
        let (min, max) = (Duration::from_millis(100), Duration::from_secs(1));
        for failures in 1..=12 {
            let base = (min * 2u32.pow(failures - 1)).min(max);
            let d = backoff(failures, min, max);
            assert!(d >= base / 2 && d <= base, "{failures}: {d:?} vs {base:?}");
        }
    }
}
