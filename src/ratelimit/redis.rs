//! The [`RateLimiter`] a cluster shares: each check is one Lua script on Redis (one round trip,
//! `EVALSHA`), which reads the minute window's count and the burst state, decides, and counts an
//! allowed request — atomically, so concurrent requests on any number of nodes never over-spend a
//! budget. The time comes from the limiter's [`Clock`] as an argument, not from Redis, so every node
//! and every test agrees with the memory limiter's arithmetic. Keys: [`crate::redis::Keys`].
//!
//! When Redis fails or is slower than `redis.timeout`, the request is decided by this node's own
//! [`MemoryRateLimiter`] (the same limits, counted on this node alone) — it fails open to per-node
//! limits rather than refusing every request while Redis blips. The failure is logged and counted in
//! `lattestream_redis_errors_total`, and each later call tries Redis again once the short pause after
//! a failure is over, so a node is never quietly left on its own.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::Script;

use super::clock::{Clock, SystemClock};
use super::{Decision, Endpoint, MemoryRateLimiter, RateLimiter, whole_seconds, window};
use crate::apps::EndpointLimit;
use crate::protocol::AppId;
use crate::redis::{CallError, Redis};

/// KEYS: the minute window's count, the burst's theoretical arrival time (TAT, µs).
/// ARGV: now (µs since the epoch), per-minute limit, per-second limit (≥ 1), seconds left in the
/// minute. Returns `{verdict, count, wait}`: verdict 0 allowed (then counted), 1 the minute is spent,
/// 2 the burst is spent for `wait` µs. The burst is governor's GCRA, as in the memory limiter:
/// emission interval T = 1 s / per-second, tolerance T × (per-second − 1).
const SCRIPT: &str = r#"
local now = tonumber(ARGV[1])
local per_minute = tonumber(ARGV[2])
local per_second = tonumber(ARGV[3])
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= per_minute then
  return {1, count, 0}
end
local interval = math.max(math.floor(1000000 / per_second), 1)
local tat = math.max(tonumber(redis.call('GET', KEYS[2]) or ARGV[1]), now)
local earliest = tat - interval * (per_second - 1)
if now < earliest then
  return {2, count, earliest - now}
end
local next = tat + interval
redis.call('SET', KEYS[2], string.format('%.0f', next), 'PX', math.floor((next - now) / 1000) + 1000)
count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]) + 1)
end
return {0, count, 0}
"#;

/// Rate limits shared through Redis, with this node's memory limiter as the fallback.
pub struct RedisRateLimiter {
    redis: Redis,
    script: Script,
    clock: Arc<dyn Clock>,
    local: MemoryRateLimiter,
}

impl RedisRateLimiter {
    /// A limiter on `redis` reading the system clock.
    pub fn new(redis: Redis) -> Self {
        Self::with_clock(redis, SystemClock)
    }

    /// A limiter on `redis` reading `clock` (tests pass a [`super::ManualClock`]).
    pub fn with_clock(redis: Redis, clock: impl Clock) -> Self {
        let clock: Arc<dyn Clock> = Arc::new(clock);
        Self {
            redis,
            script: Script::new(SCRIPT),
            local: MemoryRateLimiter::with_clock(clock.clone()),
            clock,
        }
    }

    /// The cluster's decision, from the script.
    async fn shared(
        &self,
        app: &AppId,
        endpoint: Endpoint,
        limit: EndpointLimit,
    ) -> Result<Decision, CallError> {
        let now = self.clock.now();
        let (window, reset) = window(now);
        let keys = self.redis.keys();
        let mut invocation = self.script.prepare_invoke();
        invocation
            .key(keys.rate_window(app, endpoint, window))
            .key(keys.rate_burst(app, endpoint))
            .arg(now.as_micros() as u64)
            .arg(limit.per_minute)
            .arg(limit.per_second.max(1))
            .arg(reset - now.as_secs());
        let (verdict, count, wait): (u8, u32, u64) = self
            .redis
            .call("rate limit", |mut c| async move {
                invocation.invoke_async(&mut c).await
            })
            .await?;
        Ok(match verdict {
            0 => Decision::allowed(limit, count, reset),
            1 => Decision::refused(limit, count, reset, (reset - now.as_secs()).max(1)),
            _ => Decision::refused(
                limit,
                count,
                reset,
                whole_seconds(Duration::from_micros(wait)),
            ),
        })
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn check(&self, app: &AppId, endpoint: Endpoint, limit: EndpointLimit) -> Decision {
        match self.shared(app, endpoint, limit).await {
            Ok(decision) => decision,
            // Logged and counted by `Redis::call`; this node's own count decides meanwhile.
            Err(_) => self.local.check(app, endpoint, limit).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::super::{ManualClock, conformance};
    use super::*;
    use crate::metrics::Metrics;
    use crate::redis::connect_for_test;
    use crate::redis::testing::TestRedis;

    /// A whole minute in unix seconds.
    const MINUTE: Duration = Duration::from_secs(1_700_000_040);

    #[tokio::test]
    async fn the_redis_limiter_keeps_the_contract() {
        let server = TestRedis::start();
        let (url, prefix) = (server.url.clone(), server.prefix.clone());
        let fresh = Arc::new(AtomicU32::new(0));
        let metrics = Arc::new(Metrics::default());
        let counted = metrics.clone();
        conformance::run(move |clock| {
            let (url, n) = (url.clone(), fresh.fetch_add(1, Ordering::Relaxed));
            let (prefix, metrics) = (format!("{prefix}-{n}"), metrics.clone());
            Box::pin(async move {
                let redis = connect_for_test(&url, &prefix, metrics).await;
                Box::new(RedisRateLimiter::with_clock(redis, clock)) as Box<dyn RateLimiter>
            })
        })
        .await;
        assert_eq!(
            counted.redis_errors(),
            0,
            "decided by Redis, not the fallback"
        );
    }

    #[tokio::test]
    async fn two_limiters_on_one_redis_share_the_budget() {
        let server = TestRedis::start();
        let clock = ManualClock::at(MINUTE);
        let node = || async {
            let redis = connect_for_test(&server.url, &server.prefix, Arc::default()).await;
            RedisRateLimiter::with_clock(redis, clock.clone())
        };
        let (a, b) = (node().await, node().await);
        let app = AppId::parse("1").unwrap();
        let l = EndpointLimit {
            per_minute: 100,
            per_second: 5,
        };
        for limiter in [&a, &b, &a, &b, &a] {
            assert!(limiter.check(&app, Endpoint::Events, l).await.allowed);
        }
        let refused = b.check(&app, Endpoint::Events, l).await;
        assert_eq!((refused.allowed, refused.remaining), (false, 95));
    }

    /// Redis lost: requests are decided by the node's own count (refusing past the limit still),
    /// one failure is counted and logged, Redis is left alone for a moment, then used again.
    #[tokio::test]
    async fn with_redis_gone_the_node_counts_alone_until_it_is_back() {
        let mut server = TestRedis::own();
        let metrics = Arc::new(Metrics::default());
        let redis = connect_for_test(&server.url, &server.prefix, metrics.clone()).await;
        let limiter = RedisRateLimiter::with_clock(redis, ManualClock::at(MINUTE));
        let app = AppId::parse("1").unwrap();
        let l = EndpointLimit {
            per_minute: 100,
            per_second: 2,
        };
        let check = || limiter.check(&app, Endpoint::Events, l);
        assert_eq!(check().await.remaining, 99, "counted in Redis");
        server.stop();
        assert_eq!(check().await.remaining, 99, "counted on this node");
        assert_eq!(metrics.redis_errors(), 1);
        assert_eq!(check().await.remaining, 98);
        assert!(
            !check().await.allowed,
            "the node still holds the burst limit"
        );
        assert_eq!(
            metrics.redis_errors(),
            1,
            "not asked again during the pause"
        );
        server.restart();
        // Locally the burst stays spent (the clock stands still); Redis restarted empty allows.
        let started = std::time::Instant::now();
        let back = loop {
            let decision = check().await;
            if decision.allowed {
                break decision;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "Redis used again"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(back.remaining, 99, "counted in the restarted Redis");
    }
}
