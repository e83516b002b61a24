//! The contract every [`RateLimiter`] keeps, as one suite each implementation runs (the memory and
//! the Redis limiter call [`run`]). Time is a [`ManualClock`]; nothing sleeps.

use std::time::Duration;

use futures_util::future::BoxFuture;

use super::{Endpoint, ManualClock, RateLimiter};
use crate::apps::EndpointLimit;
use crate::protocol::AppId;

/// Builds a fresh, empty limiter reading the given clock.
pub type Factory = dyn Fn(ManualClock) -> BoxFuture<'static, Box<dyn RateLimiter>>;

/// Runs every contract check against limiters made by `new`.
pub async fn run(new: impl Fn(ManualClock) -> BoxFuture<'static, Box<dyn RateLimiter>> + 'static) {
    let new: &Factory = &new;
    a_burst_past_the_per_second_limit_is_refused_for_a_second(new).await;
    a_minute_past_the_per_minute_limit_is_refused_until_the_window_ends(new).await;
    apps_and_endpoints_have_separate_budgets(new).await;
    refused_requests_are_not_counted(new).await;
    limits_hold_under_concurrent_requests(new).await;
}

/// A whole minute in unix seconds (1_700_000_040 = 60 × 28_333_334).
const MINUTE_START: Duration = Duration::from_secs(1_700_000_040);

fn limit(per_minute: u32, per_second: u32) -> EndpointLimit {
    EndpointLimit {
        per_minute,
        per_second,
    }
}

fn app(id: &str) -> AppId {
    AppId::parse(id).unwrap()
}

/// Whether one request of app `id` to `endpoint` is allowed.
async fn allowed(
    limiter: &dyn RateLimiter,
    id: &str,
    endpoint: Endpoint,
    l: EndpointLimit,
) -> bool {
    limiter.check(&app(id), endpoint, l).await.allowed
}

async fn a_burst_past_the_per_second_limit_is_refused_for_a_second(new: &Factory) {
    let clock = ManualClock::at(MINUTE_START);
    let limiter = new(clock.clone()).await;
    let events = limit(1000, 100);
    for n in 1..=100 {
        let d = limiter.check(&app("1"), Endpoint::Events, events).await;
        assert!(d.allowed, "request {n}");
        assert_eq!(d.remaining, 1000 - n);
    }
    let refused = limiter.check(&app("1"), Endpoint::Events, events).await;
    assert!(!refused.allowed);
    assert_eq!((refused.retry_after, refused.remaining), (1, 900));
    assert_eq!(refused.reset, MINUTE_START.as_secs() + 60);
    clock.advance(Duration::from_secs(1));
    assert!(allowed(&*limiter, "1", Endpoint::Events, events).await);
}

async fn a_minute_past_the_per_minute_limit_is_refused_until_the_window_ends(new: &Factory) {
    let clock = ManualClock::at(MINUTE_START);
    let limiter = new(clock.clone()).await;
    let events = limit(1000, 100);
    for _second in 0..10 {
        for _ in 0..100 {
            assert!(allowed(&*limiter, "1", Endpoint::Events, events).await);
        }
        clock.advance(Duration::from_secs(1));
    }
    let refused = limiter.check(&app("1"), Endpoint::Events, events).await;
    assert!(!refused.allowed, "1001st request in the minute");
    assert_eq!(refused.remaining, 0);
    assert_eq!(refused.retry_after, 50, "the window ends 50 s later");
    clock.advance(Duration::from_secs(49));
    assert!(!allowed(&*limiter, "1", Endpoint::Events, events).await);
    clock.advance(Duration::from_secs(1));
    let next = limiter.check(&app("1"), Endpoint::Events, events).await;
    assert!(next.allowed);
    assert_eq!(
        (next.remaining, next.reset),
        (999, MINUTE_START.as_secs() + 120)
    );
}

async fn apps_and_endpoints_have_separate_budgets(new: &Factory) {
    let limiter = new(ManualClock::at(MINUTE_START)).await;
    let tiny = limit(1, 1);
    assert!(allowed(&*limiter, "1", Endpoint::Token, tiny).await);
    assert!(!allowed(&*limiter, "1", Endpoint::Token, tiny).await);
    assert!(allowed(&*limiter, "2", Endpoint::Token, tiny).await);
    assert!(allowed(&*limiter, "1", Endpoint::Channels, tiny).await);
}

async fn refused_requests_are_not_counted(new: &Factory) {
    let clock = ManualClock::at(MINUTE_START);
    let limiter = new(clock.clone()).await;
    let l = limit(3, 1);
    assert!(allowed(&*limiter, "1", Endpoint::Channels, l).await);
    for _ in 0..5 {
        assert!(!allowed(&*limiter, "1", Endpoint::Channels, l).await);
    }
    clock.advance(Duration::from_secs(1));
    let d = limiter.check(&app("1"), Endpoint::Channels, l).await;
    assert!(d.allowed);
    assert_eq!(d.remaining, 1);
}

async fn limits_hold_under_concurrent_requests(new: &Factory) {
    let limiter = new(ManualClock::at(MINUTE_START)).await;
    let l = limit(1000, 20);
    let one = app("1");
    let checks = (0..50).map(|_| limiter.check(&one, Endpoint::Events, l));
    let decisions = futures_util::future::join_all(checks).await;
    let allowed = decisions.iter().filter(|d| d.allowed).count();
    assert_eq!(allowed, 20, "exactly the burst is allowed");
    let mut remaining: Vec<u32> = decisions
        .iter()
        .filter(|d| d.allowed)
        .map(|d| d.remaining)
        .collect();
    remaining.sort_unstable();
    assert_eq!(
        remaining,
        (980..1000).collect::<Vec<_>>(),
        "each counted once"
    );
}
