//! Where the limiter reads the time: the system clock in production, a hand-moved clock in tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of wall-clock time, as a duration since the Unix epoch (headers report unix seconds).
pub trait Clock: Send + Sync + 'static {
    /// The current time since the epoch.
    fn now(&self) -> Duration;
}

/// A shared clock is a clock, so one can serve two limiters (the Redis limiter and its local fallback).
impl Clock for Arc<dyn Clock> {
    fn now(&self) -> Duration {
        (**self).now()
    }
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
    }
}

/// A clock that only moves when told to, so time-based limits are tested without sleeping.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock standing at `start` since the epoch.
    pub fn at(start: Duration) -> Self {
        Self(Arc::new(AtomicU64::new(start.as_nanos() as u64)))
    }

    /// Moves the clock forward (every clone sees it).
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_nanos() as u64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::SeqCst))
    }
}

/// Adapts a [`Clock`] to governor's clock trait.
#[derive(Clone)]
pub(super) struct GovernorClock(pub Arc<dyn Clock>);

impl governor::clock::Clock for GovernorClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        self.0.now()
    }
}
