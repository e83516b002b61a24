//! REST rate limits per app and endpoint, behind the small [`RateLimiter`] trait: kept in this process
//! ([`MemoryRateLimiter`]) or shared by a cluster through Redis ([`RedisRateLimiter`]).
//!
//! The documented model: each endpoint has a per-minute limit counted in fixed windows of one minute
//! (aligned to the clock's minutes, so `X-RateLimit-Reset` is the next whole minute), and a per-second
//! burst limit (GCRA: a full second's allowance at once, refilled evenly). Time comes from a [`Clock`]
//! so tests move it by hand instead of sleeping — the Redis limiter too, which is handed the time
//! rather than asking Redis for it.

mod clock;
#[cfg(test)]
mod conformance;
mod memory;
mod redis;

pub use clock::{Clock, ManualClock, SystemClock};
pub use memory::MemoryRateLimiter;
pub use redis::RedisRateLimiter;

use std::time::Duration;

use async_trait::async_trait;

use crate::apps::{EndpointLimit, RateLimits};
use crate::protocol::AppId;

/// The rate-limited REST endpoints, one budget each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST /events`.
    Events,
    /// `POST /batch_events`.
    BatchEvents,
    /// `POST /apps/token`.
    Token,
    /// `GET /channels` and the other channel queries.
    Channels,
}

impl Endpoint {
    /// The endpoint's name in Redis keys.
    pub fn name(self) -> &'static str {
        match self {
            Self::Events => "events",
            Self::BatchEvents => "batch_events",
            Self::Token => "token",
            Self::Channels => "channels",
        }
    }

    /// This endpoint's limit among an app's limits.
    pub fn limit(self, limits: &RateLimits) -> EndpointLimit {
        match self {
            Self::Events => limits.events,
            Self::BatchEvents => limits.batch_events,
            Self::Token => limits.token,
            Self::Channels => limits.channels,
        }
    }
}

/// The outcome of one check, with everything the rate-limit headers and the 429 body report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed (it has then been counted).
    pub allowed: bool,
    /// The per-minute limit (`X-RateLimit-Limit`).
    pub limit: u32,
    /// Requests left in the current minute window after this one (`X-RateLimit-Remaining`).
    pub remaining: u32,
    /// Unix seconds at which the current minute window ends (`X-RateLimit-Reset`).
    pub reset: u64,
    /// When refused: whole seconds to wait before a retry can succeed (at least 1); 0 when allowed.
    pub retry_after: u64,
}

impl Decision {
    /// An allowed request, the `count`th of its window ending at `reset`.
    fn allowed(limit: EndpointLimit, count: u32, reset: u64) -> Self {
        Self::refused(limit, count, reset, 0)
    }

    /// A request refused for `retry_after` seconds (0 means allowed: see [`Decision::allowed`]).
    fn refused(limit: EndpointLimit, count: u32, reset: u64, retry_after: u64) -> Self {
        Self {
            allowed: retry_after == 0,
            limit: limit.per_minute,
            remaining: limit.per_minute.saturating_sub(count),
            reset,
            retry_after,
        }
    }
}

/// The minute window `now` falls in (unix minutes), and when it ends (unix seconds).
fn window(now: Duration) -> (u64, u64) {
    let window = now.as_secs() / 60;
    (window, (window + 1) * 60)
}

/// A wait rounded up to whole seconds, at least 1 (`Retry-After` takes seconds).
fn whole_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// Decides whether one more request of an app to an endpoint is within its limits.
///
/// Contract, for every implementation:
/// - An allowed request is counted against both the minute window and the per-second burst; a refused
///   request is not counted, so a client that backs off as told is not punished further.
/// - `remaining` never exceeds `limit.per_minute` and reaches 0 on the last allowed request of a window.
/// - `reset` is the end of the current minute window in unix seconds, the same for every request in it.
/// - A refusal carries a `retry_after` of at least 1 second, after which the same request is allowed
///   unless other requests used the budget meanwhile.
/// - Apps and endpoints never share a budget.
/// - It answers promptly: a shared limiter whose store is unreachable decides by a documented rule
///   rather than making the request wait.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Checks (and, if allowed, counts) one request.
    async fn check(&self, app: &AppId, endpoint: Endpoint, limit: EndpointLimit) -> Decision;
}
