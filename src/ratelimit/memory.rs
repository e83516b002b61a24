//! The in-memory [`RateLimiter`]: a fixed one-minute window counter and a governor (GCRA) per-second
//! burst limiter per app and endpoint. Right for one node; a cluster wants a shared implementation.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter as Gcra};
use parking_lot::Mutex;

use async_trait::async_trait;

use super::clock::{Clock, GovernorClock, SystemClock};
use super::{Decision, Endpoint, RateLimiter, whole_seconds, window};
use crate::apps::EndpointLimit;
use crate::protocol::AppId;

type Burst = Gcra<NotKeyed, InMemoryState, GovernorClock, NoOpMiddleware<Duration>>;

/// One app's budget for one endpoint.
struct Slot {
    limit: EndpointLimit,
    window: u64,
    count: u32,
    burst: Burst,
}

/// Rate limits kept in this process.
pub struct MemoryRateLimiter {
    clock: Arc<dyn Clock>,
    slots: DashMap<(AppId, Endpoint), Arc<Mutex<Slot>>>,
}

impl Default for MemoryRateLimiter {
    fn default() -> Self {
        Self::with_clock(SystemClock)
    }
}

impl MemoryRateLimiter {
    /// A limiter reading time from `clock` (tests pass a [`super::ManualClock`]).
    pub fn with_clock(clock: impl Clock) -> Self {
        Self {
            clock: Arc::new(clock),
            slots: DashMap::new(),
        }
    }

    fn new_slot(&self, limit: EndpointLimit) -> Slot {
        let per_second = NonZeroU32::new(limit.per_second).unwrap_or(NonZeroU32::MIN);
        let clock = GovernorClock(self.clock.clone());
        Slot {
            limit,
            window: 0,
            count: 0,
            burst: Gcra::direct_with_clock(Quota::per_second(per_second), clock),
        }
    }

    /// The slot for an app and endpoint, rebuilt when the app's limit changed.
    fn slot(&self, app: &AppId, endpoint: Endpoint, limit: EndpointLimit) -> Arc<Mutex<Slot>> {
        let key = (app.clone(), endpoint);
        if let Some(slot) = self.slots.get(&key).filter(|s| s.lock().limit == limit) {
            return slot.clone();
        }
        let mut entry = self
            .slots
            .entry(key)
            .or_insert_with(|| Arc::new(Mutex::new(self.new_slot(limit))));
        if entry.lock().limit != limit {
            *entry = Arc::new(Mutex::new(self.new_slot(limit)));
        }
        entry.clone()
    }
}

#[async_trait]
impl RateLimiter for MemoryRateLimiter {
    async fn check(&self, app: &AppId, endpoint: Endpoint, limit: EndpointLimit) -> Decision {
        let now = self.clock.now();
        let slot = self.slot(app, endpoint, limit);
        let mut slot = slot.lock();
        let (window, reset) = window(now);
        if slot.window != window {
            slot.window = window;
            slot.count = 0;
        }
        if slot.count >= limit.per_minute {
            let retry = (reset - now.as_secs()).max(1);
            return Decision::refused(limit, slot.count, reset, retry);
        }
        if let Err(not_until) = slot.burst.check() {
            let wait = whole_seconds(not_until.wait_time_from(now));
            return Decision::refused(limit, slot.count, reset, wait);
        }
        slot.count += 1;
        Decision::allowed(limit, slot.count, reset)
    }
}

#[cfg(test)]
mod tests {
    use super::super::conformance;
    use super::*;

    #[tokio::test]
    async fn the_memory_limiter_keeps_the_contract() {
        conformance::run(|clock| Box::pin(async move { memory(clock) })).await;
    }

    fn memory(clock: super::super::ManualClock) -> Box<dyn RateLimiter> {
        Box::new(MemoryRateLimiter::with_clock(clock))
    }
}
