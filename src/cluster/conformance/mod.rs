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
