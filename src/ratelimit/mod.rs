//! REST rate limits per app and endpoint, behind the small [`RateLimiter`] trait so a shared (Redis)
//! limiter can replace the in-memory one without touching the handlers.
//!
//! The documented model: each endpoint has a per-minute limit counted in fixed windows of one minute
//! (aligned to the clock's minutes, so `X-RateLimit-Reset` is the next whole minute), and a per-second
//! burst limit. Time comes from a [`Clock`] so tests move it by hand instead of sleeping.

mod clock;
#[cfg(test)]
mod conformance;
mod memory;

pub use clock::{Clock, ManualClock, SystemClock};
pub use memory::MemoryRateLimiter;

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
pub trait RateLimiter: Send + Sync {
    /// Checks (and, if allowed, counts) one request.
    fn check(&self, app: &AppId, endpoint: Endpoint, limit: EndpointLimit) -> Decision;
}
