//! Who delivers an endpoint in a cluster: exactly one node at a time, the holder of the endpoint's
//! lease in Redis. Every node runs a dispatcher per endpoint; one that does not hold the lease waits
//! and asks again, and the holder renews it while it delivers. A node that dies stops renewing, so
//! its endpoints pass to another node once their leases expire ([`LEASE_TTL`]); its batch in flight
//! is sent again (at least once, as after a restart). A single node has no lease at all.

use std::time::Duration;

use async_trait::async_trait;
use redis::Script;

use super::queue::EndpointKey;
use crate::redis::Redis;

/// How long a lease outlives its holder's last renewal: how long a dead node's endpoints wait.
pub const LEASE_TTL: Duration = Duration::from_secs(5);

/// The right to deliver an endpoint, held by one node of a cluster at a time.
#[async_trait]
pub trait Lease: Send + Sync {
    /// Takes the lease on `key` if it is free, or renews it if this node holds it; true while this
    /// node holds it. A failure to ask counts as not holding it.
    async fn hold(&self, key: &EndpointKey) -> bool;
    /// How often a holder renews, and a waiting node asks again: well within the time to live.
    fn every(&self) -> Duration;
    /// Gives the lease on `key` up if this node holds it (at shutdown, so another node need not
    /// wait for it to expire). A failure leaves it to expire.
    async fn release(&self, key: &EndpointKey);
}

/// Leases kept in Redis, one key per endpoint holding the node's id.
pub struct RedisLease {
    redis: Redis,
    node: String,
    ttl: Duration,
    script: Script,
    release: Script,
}

impl RedisLease {
    /// Leases for node `node`, each living `ttl` past its last renewal.
    pub fn new(redis: Redis, node: u32, ttl: Duration) -> Self {
        Self {
            redis,
            node: node.to_string(),
            ttl,
            script: Script::new(include_str!("lease.lua")),
            release: Script::new(include_str!("lease_release.lua")),
        }
    }
}

#[async_trait]
impl Lease for RedisLease {
    async fn hold(&self, key: &EndpointKey) -> bool {
        let mut invocation = self.script.prepare_invoke();
        invocation
            .key(self.redis.keys().webhook_lease(&key.app, &key.url))
            .arg(&self.node)
            .arg(self.ttl.as_millis() as u64);
        let held: Result<u8, _> = self
            .redis
            .call("webhook lease", |mut c| async move {
                invocation.invoke_async(&mut c).await
            })
            .await;
        matches!(held, Ok(1))
    }

    fn every(&self) -> Duration {
        self.ttl / 3
    }

    async fn release(&self, key: &EndpointKey) {
        let mut invocation = self.release.prepare_invoke();
        invocation
            .key(self.redis.keys().webhook_lease(&key.app, &key.url))
            .arg(&self.node);
        let _: Result<u8, _> = self
            .redis
            .call("webhook lease release", |mut c| async move {
                invocation.invoke_async(&mut c).await
            })
            .await;
    }
}
