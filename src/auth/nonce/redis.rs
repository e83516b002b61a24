//! The [`NonceStore`] a cluster shares: one `SET key 1 NX EX 1200` per signed request, so the first
//! node to record a nonce wins and every other node, then or later, sees the replay. Redis expires
//! the key by its own clock ([`NONCE_TTL`] seconds); the caller's `now` is not needed. Memory is
//! bounded by that expiry (and by Redis's `maxmemory`), not by a count.
//!
//! Fails closed: when Redis fails or does not answer within `redis.timeout`, the nonce cannot be
//! recorded, so the request is refused ([`NonceError::Unavailable`], a 503) — accepting it would let
//! a replay through on any node. Key: [`crate::redis::Keys::nonce`].

use async_trait::async_trait;

use super::{NONCE_TTL, NonceError, NonceStore};
use crate::protocol::AppId;
use crate::redis::Redis;

/// Nonces shared through Redis.
pub struct RedisNonceStore {
    redis: Redis,
}

impl RedisNonceStore {
    /// A store on `redis`.
    pub fn new(redis: Redis) -> Self {
        Self { redis }
    }
}

#[async_trait]
impl NonceStore for RedisNonceStore {
    async fn remember(&self, app: &AppId, nonce: &str, _now: u64) -> Result<(), NonceError> {
        let key = self.redis.keys().nonce(app, nonce);
        let mut set = redis::cmd("SET");
        set.arg(key).arg(1).arg("NX").arg("EX").arg(NONCE_TTL);
        let stored: Option<String> = self
            .redis
            .call(
                "nonce",
                |mut c| async move { set.query_async(&mut c).await },
            )
            .await?;
        stored.map(|_| ()).ok_or(NonceError::Replayed)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::super::conformance;
    use super::*;
    use crate::metrics::Metrics;
    use crate::redis::connect_for_test;
    use crate::redis::testing::TestRedis;

    #[tokio::test]
    async fn the_redis_store_keeps_the_contract_across_nodes() {
        let server = TestRedis::start();
        let (url, prefix) = (server.url.clone(), server.prefix.clone());
        let fresh = Arc::new(AtomicU32::new(0));
        conformance::run(move || {
            let (url, n) = (url.clone(), fresh.fetch_add(1, Ordering::Relaxed));
            let prefix = format!("{prefix}-{n}");
            Box::pin(async move {
                let node = || async {
                    let redis = connect_for_test(&url, &prefix, Arc::default()).await;
                    Arc::new(RedisNonceStore::new(redis)) as Arc<dyn NonceStore>
                };
                (node().await, node().await)
            })
        })
        .await;
    }

    #[tokio::test]
    async fn a_nonce_key_expires_when_its_request_could_no_longer_be_accepted() {
        let server = TestRedis::start();
        let redis = connect_for_test(&server.url, &server.prefix, Arc::default()).await;
        let key = redis.keys().nonce(&AppId::parse("1").unwrap(), "n");
        let store = RedisNonceStore::new(redis);
        store
            .remember(&AppId::parse("1").unwrap(), "n", 0)
            .await
            .unwrap();
        let ttl: i64 = redis::cmd("TTL")
            .arg(&key)
            .query(&mut server.connection())
            .unwrap();
        assert!(
            (NONCE_TTL as i64 - 5..=NONCE_TTL as i64).contains(&ttl),
            "{ttl}"
        );
    }

    #[tokio::test]
    async fn with_redis_gone_signed_requests_are_refused_not_waved_through() {
        let mut server = TestRedis::own();
        let metrics = Arc::new(Metrics::default());
        let redis = connect_for_test(&server.url, &server.prefix, metrics.clone()).await;
        let store = RedisNonceStore::new(redis);
        let app = AppId::parse("1").unwrap();
        store.remember(&app, "before", 0).await.unwrap();
        server.stop();
        let lost = store.remember(&app, "during", 0).await;
        assert!(matches!(lost, Err(NonceError::Unavailable(_))), "{lost:?}");
        assert_eq!(metrics.redis_errors(), 1);
        let paused = store.remember(&app, "during", 0).await;
        assert!(matches!(paused, Err(NonceError::Unavailable(_))));
    }
}
