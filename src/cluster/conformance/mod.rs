//! The contracts of the cluster traits, as suites every implementation runs: the memory ones here, the
//! Redis ones against a Redis of their own. A "cluster" is built by a factory that returns the same
//! backend as several nodes would hold it (sharing a bus, a store, a Redis).

pub mod broker;
pub mod cache;
pub mod control;
pub mod presence;

use crate::protocol::{AppId, ChannelName};

fn app(id: &str) -> AppId {
    AppId::parse(id).unwrap()
}

fn channel(name: &str) -> ChannelName {
    ChannelName::parse(name).unwrap()
}

/// The memory implementations pass every suite.
#[cfg(test)]
mod memory {
    use std::sync::Arc;

    use super::*;
    use crate::cluster::control::MemoryNodes;
    use crate::cluster::{MemoryBus, MemoryControl, MemoryPresence, PresenceStore};

    #[tokio::test]
    async fn memory_broker() {
        let bus = MemoryBus::new();
        broker::run(move |node, deliver| {
            let broker = bus.broker(node, deliver);
            Box::pin(async move { Arc::new(broker) as Arc<dyn crate::cluster::Broker> })
        })
        .await;
    }

    #[tokio::test]
    async fn memory_cache() {
        cache::run(|| {
            Box::pin(async {
                Arc::new(crate::cluster::MemoryCache::default())
                    as Arc<dyn crate::cluster::ChannelCache>
            })
        })
        .await;
    }

    #[tokio::test]
    async fn memory_presence() {
        presence::run(|| {
            Box::pin(async { Arc::new(MemoryPresence::default()) as Arc<dyn PresenceStore> })
        })
        .await;
    }

    #[tokio::test]
    async fn memory_control() {
        control::run(|| {
            let nodes = Arc::new(MemoryNodes::default());
            let kill = nodes.clone();
            let factory = move |handle| {
                let control = MemoryControl::on(nodes.clone(), handle);
                Box::pin(async move { Arc::new(control) as Arc<dyn crate::cluster::Control> })
                    as futures_util::future::BoxFuture<'static, _>
            };
            let killer = move |node: u32| kill.kill(node);
            Box::pin(async move { control::Cluster::new(factory, killer) })
        })
        .await;
    }
}

/// The Redis implementations pass the same suites, each cluster under a prefix of its own.
#[cfg(test)]
mod redis {
    use std::sync::Arc;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::cluster::redis::{RedisCache, RedisControl, broker_for_test};
    use crate::cluster::{ChannelCache, Control};
    use crate::metrics::Metrics;
    use crate::redis::testing::TestRedis;

    /// A prefix per cluster, so each suite call starts empty.
    fn prefix(base: &str) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        format!("{base}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
    }

    #[tokio::test]
    async fn redis_broker() {
        let server = Arc::new(TestRedis::start());
        let (url, prefix) = (server.url.clone(), prefix(&server.prefix));
        broker::run(move |node, deliver| {
            let (url, prefix, _keep) = (url.clone(), prefix.clone(), server.clone());
            Box::pin(async move { broker_for_test(&url, &prefix, node, deliver).await })
        })
        .await;
    }

    #[tokio::test]
    async fn redis_cache() {
        let server = TestRedis::start();
        let metrics = Arc::new(Metrics::default());
        let redis = crate::redis::connect_for_test(&server.url, &server.prefix, metrics).await;
        cache::run(move || {
            let cache = RedisCache::new(redis.clone());
            Box::pin(async move { Arc::new(cache) as Arc<dyn ChannelCache> })
        })
        .await;
    }

    #[tokio::test]
    async fn redis_control() {
        let server = Arc::new(TestRedis::start());
        control::run(move || {
            let server = server.clone();
            let prefix = prefix(&server.prefix);
            Box::pin(async move { redis_cluster(server, prefix) })
        })
        .await;
    }

    /// Nodes on one Redis prefix; killing one ages its beat as a crashed process would.
    fn redis_cluster(server: Arc<TestRedis>, prefix: String) -> control::Cluster {
        let (url, keys) = (
            server.url.clone(),
            crate::redis::Keys::new(&prefix).unwrap(),
        );
        let node = move |handle| {
            let (url, prefix) = (server.url.clone(), prefix.clone());
            Box::pin(async move {
                let metrics = Arc::new(Metrics::default());
                let redis = crate::redis::connect_for_test(&url, &prefix, metrics).await;
                let me = Arc::new(OnceLock::new());
                let route = control_route(&redis, me.clone(), handle);
                let listener = redis.subscriber(route).await.unwrap();
                listener.subscribe(redis.keys().control()).await.unwrap();
                std::mem::forget(listener);
                let timeout = Duration::from_millis(500);
                Arc::new(RedisControl::new(redis, me, timeout)) as Arc<dyn Control>
            }) as futures_util::future::BoxFuture<'static, _>
        };
        let kill = move |node: u32| {
            let client = ::redis::Client::open(url.as_str()).unwrap();
            let mut connection = client.get_connection().unwrap();
            ::redis::cmd("HSET")
                .arg(keys.nodes())
                .arg(node)
                .arg(0)
                .query::<()>(&mut connection)
                .unwrap();
        };
        control::Cluster::new(node, kill)
    }

    fn control_route(
        redis: &crate::redis::Redis,
        me: Arc<OnceLock<u32>>,
        handle: crate::cluster::HandleCommand,
    ) -> crate::redis::Route {
        let control = redis.keys().control().into_bytes();
        Arc::new(move |channel, payload| {
            if channel == control.as_slice() {
                RedisControl::received(payload, me.get().copied(), &handle);
            }
        })
    }
}
