//! The shared backends one node goes through, held together: the in-memory set for a node that is its
//! own cluster, or the Redis set that a cluster's nodes share.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::cluster::{
    Broker, ChannelCache, Control, MemoryBroker, MemoryCache, MemoryControl, MemoryPresence,
    PresenceStore,
};

/// Whether the bus is up, asked once per upkeep round.
pub type CheckBus = Arc<dyn Fn() -> BoxFuture<'static, bool> + Send + Sync>;

/// A node's backends.
pub struct Backends {
    /// Cluster-wide fan-out.
    pub broker: Arc<dyn Broker>,
    /// Subscriptions, members and counts.
    pub presence: Arc<dyn PresenceStore>,
    /// Commands between nodes and their liveness.
    pub control: Arc<dyn Control>,
    /// Cache channels' last events.
    pub cache: Arc<dyn ChannelCache>,
    /// Whether other nodes share them: then the node beats, purges dead nodes and reports
    /// cluster-wide counts.
    pub shared: bool,
    /// How often a shared node beats and looks for dead nodes.
    pub heartbeat: Duration,
    /// Checks the broker's connection to the other nodes (and starts its reconnection when it was
    /// down); the upkeep runs it every round and `/ready` reports the last answer.
    pub check_bus: CheckBus,
}

impl Backends {
    /// The in-memory set: nothing to share, nothing that can fail.
    pub fn memory(node: u32) -> Self {
        Self {
            broker: Arc::new(MemoryBroker::alone(node)),
            presence: Arc::new(MemoryPresence::default()),
            control: Arc::new(MemoryControl::alone()),
            cache: Arc::new(MemoryCache::default()),
            shared: false,
            heartbeat: Duration::from_secs(2),
            check_bus: Arc::new(|| Box::pin(async { true })),
        }
    }
}
