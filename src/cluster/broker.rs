//! The broker between nodes: an envelope published on one node reaches the others that have local
//! subscribers on its channel, once per cluster; each hands it to its own sockets. The in-memory bus
//! connects the nodes of one process (one node in production; several in tests).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use dashmap::DashMap;
use parking_lot::Mutex;

use super::{BackendError, Envelope};
use crate::protocol::{AppId, ChannelName};

/// Where a broker hands the envelopes other nodes published: the node's local fan-out. It must not
/// wait, so one slow channel never holds up the others.
pub type Deliver = Arc<dyn Fn(Envelope) + Send + Sync>;

/// Cluster-wide fan-out.
///
/// Contract, for every implementation:
/// - `listen` resolves once envelopes published afterwards on the channel will be delivered here;
///   listens are counted per channel, and as many `unlisten`s as `listen`s stop the delivery.
/// - `publish` delivers the envelope to every *other* node listening to its channel, exactly once
///   each, in the order this node published (per channel); never back to its origin.
/// - Envelopes of channels this node does not listen to are never delivered here.
#[async_trait]
pub trait Broker: Send + Sync {
    /// Starts (or counts once more) delivery of `channel`'s envelopes to this node.
    async fn listen(&self, app: &AppId, channel: &ChannelName) -> Result<(), BackendError>;
    /// Counts one listen fewer; at zero this node stops hearing the channel.
    async fn unlisten(&self, app: &AppId, channel: &ChannelName) -> Result<(), BackendError>;
    /// Sends an envelope to the other nodes listening to its channel.
    async fn publish(&self, envelope: &Envelope) -> Result<(), BackendError>;
}

type Topic = (AppId, ChannelName);

/// The nodes of one process, as an in-memory bus shares them.
#[derive(Default)]
pub struct MemoryBus {
    /// Per channel, the listening nodes and how many times each listens.
    topics: DashMap<Topic, HashMap<u32, usize>>,
    nodes: DashMap<u32, Deliver>,
}

impl MemoryBus {
    /// A bus with no node on it.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// A broker for node `node`, delivering to `deliver`.
    pub fn broker(self: &Arc<Self>, node: u32, deliver: Deliver) -> MemoryBroker {
        self.nodes.insert(node, deliver);
        MemoryBroker {
            bus: self.clone(),
            node,
            alone: false,
            order: Mutex::new(()),
        }
    }
}

/// A node's handle on a [`MemoryBus`]. Delivery is a direct call.
pub struct MemoryBroker {
    bus: Arc<MemoryBus>,
    node: u32,
    /// Alone on a bus no other node can join: there is no one to tell, so nothing is recorded (a
    /// single node's channels cost no entry here).
    alone: bool,
    /// Keeps this node's publishes in order when several tasks publish at once.
    order: Mutex<()>,
}

impl MemoryBroker {
    /// A broker alone on its own bus: the single-node default, where publishing reaches nobody.
    pub fn alone(node: u32) -> Self {
        let broker = MemoryBus::new().broker(node, Arc::new(|_| {}));
        MemoryBroker {
            alone: true,
            ..broker
        }
    }
}

#[async_trait]
impl Broker for MemoryBroker {
    async fn listen(&self, app: &AppId, channel: &ChannelName) -> Result<(), BackendError> {
        if self.alone {
            return Ok(());
        }
        let topic = (app.clone(), channel.clone());
        *self
            .bus
            .topics
            .entry(topic)
            .or_default()
            .entry(self.node)
            .or_default() += 1;
        Ok(())
    }

    async fn unlisten(&self, app: &AppId, channel: &ChannelName) -> Result<(), BackendError> {
        if self.alone {
            return Ok(());
        }
        let topic = (app.clone(), channel.clone());
        self.bus.topics.remove_if_mut(&topic, |_, nodes| {
            if let Some(count) = nodes.get_mut(&self.node) {
                *count -= 1;
                if *count == 0 {
                    nodes.remove(&self.node);
                }
            }
            nodes.is_empty()
        });
        Ok(())
    }

    async fn publish(&self, envelope: &Envelope) -> Result<(), BackendError> {
        if self.alone {
            return Ok(());
        }
        let _in_order = self.order.lock();
        let topic = (envelope.app.clone(), envelope.channel.clone());
        let Some(listeners) = self
            .bus
            .topics
            .get(&topic)
            .map(|n| n.keys().copied().collect::<Vec<_>>())
        else {
            return Ok(());
        };
        for node in listeners.into_iter().filter(|n| *n != self.node) {
            if let Some(deliver) = self.bus.nodes.get(&node).map(|d| d.clone()) {
                deliver(envelope.clone());
            }
        }
        Ok(())
    }
}
