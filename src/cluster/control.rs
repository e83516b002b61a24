//! The control channel between nodes: commands that must act on sockets wherever they are (terminate a
//! user's connections), and which nodes are alive — each node registers an id (so socket ids are unique
//! across the cluster) and beats; a node that stops beating is declared dead, and one survivor purges
//! what it held.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use dashmap::DashMap;
use parking_lot::Mutex;

use super::BackendError;
use crate::protocol::AppId;

/// A command every node carries out on its own sockets.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Close every connection acting for `user` with 4009.
    TerminateUser {
        /// The app.
        app: AppId,
        /// The user.
        user: String,
    },
    /// Close every connection of an app that was deleted, with 4001.
    CloseApp {
        /// The app.
        app: AppId,
    },
}

/// Where a node's control channel hands the commands other nodes sent. Must not wait.
pub type HandleCommand = Arc<dyn Fn(Command) + Send + Sync>;

/// Commands between nodes and their liveness.
///
/// Contract, for every implementation:
/// - `register` gives this node an id no live node of the cluster has.
/// - `broadcast` reaches every other live node once; the sender carries the command out itself.
/// - `heartbeat` keeps this node alive; it answers false when the cluster had lost track of the node
///   (it was declared dead, or the shared state was lost), and the node must re-assert what it holds.
/// - `dead_nodes` lists registered nodes that have not beaten within the node timeout; `claim` makes
///   exactly one caller the purger of a dead node; `forget` removes a node from the registry.
#[async_trait]
pub trait Control: Send + Sync {
    /// Registers this node and returns its id.
    async fn register(&self) -> Result<u32, BackendError>;
    /// Sends a command to every other node.
    async fn broadcast(&self, command: &Command) -> Result<(), BackendError>;
    /// Marks this node alive; false when the cluster had lost track of it.
    async fn heartbeat(&self) -> Result<bool, BackendError>;
    /// Registered nodes that stopped beating.
    async fn dead_nodes(&self) -> Result<Vec<u32>, BackendError>;
    /// Takes the job of purging `node`: true for exactly one caller.
    async fn claim(&self, node: u32) -> Result<bool, BackendError>;
    /// Removes `node` from the registry (purged, or stopped cleanly).
    async fn forget(&self, node: u32) -> Result<(), BackendError>;
}

/// The nodes of one process, for the in-memory control channel.
#[derive(Default)]
pub struct MemoryNodes {
    handlers: DashMap<u32, HandleCommand>,
    dead: Mutex<HashSet<u32>>,
    claimed: Mutex<HashSet<u32>>,
}

impl MemoryNodes {
    /// Declares a node dead (what a stopped heartbeat does in Redis), for tests.
    pub fn kill(&self, node: u32) {
        self.handlers.remove(&node);
        self.dead.lock().insert(node);
    }
}

/// A node's handle on the in-memory control channel. Alone, it is the single-node default.
pub struct MemoryControl {
    nodes: Arc<MemoryNodes>,
    node: Mutex<Option<u32>>,
    handle: HandleCommand,
}

impl MemoryControl {
    /// A control channel shared with the other nodes on `nodes`.
    pub fn on(nodes: Arc<MemoryNodes>, handle: HandleCommand) -> Self {
        Self {
            nodes,
            node: Mutex::new(None),
            handle,
        }
    }

    /// A node alone: commands reach nobody else.
    pub fn alone() -> Self {
        Self::on(Arc::default(), Arc::new(|_| {}))
    }

    fn id(&self) -> Option<u32> {
        *self.node.lock()
    }
}

#[async_trait]
impl Control for MemoryControl {
    async fn register(&self) -> Result<u32, BackendError> {
        let id = loop {
            let id = rand::random::<u32>() % 1_000_000_000;
            if !self.nodes.handlers.contains_key(&id) && !self.nodes.dead.lock().contains(&id) {
                break id;
            }
        };
        self.nodes.handlers.insert(id, self.handle.clone());
        *self.node.lock() = Some(id);
        Ok(id)
    }

    async fn broadcast(&self, command: &Command) -> Result<(), BackendError> {
        let me = self.id();
        let others: Vec<HandleCommand> = self
            .nodes
            .handlers
            .iter()
            .filter(|h| Some(*h.key()) != me)
            .map(|h| h.value().clone())
            .collect();
        others.iter().for_each(|handle| handle(command.clone()));
        Ok(())
    }

    async fn heartbeat(&self) -> Result<bool, BackendError> {
        let Some(id) = self.id() else {
            return Ok(false);
        };
        if self.nodes.handlers.contains_key(&id) {
            return Ok(true);
        }
        // Lost (declared dead, or forgotten): back in, and the caller re-asserts what it holds.
        self.nodes.dead.lock().remove(&id);
        self.nodes.handlers.insert(id, self.handle.clone());
        Ok(false)
    }

    async fn dead_nodes(&self) -> Result<Vec<u32>, BackendError> {
        Ok(self.nodes.dead.lock().iter().copied().collect())
    }

    async fn claim(&self, node: u32) -> Result<bool, BackendError> {
        Ok(self.nodes.claimed.lock().insert(node))
    }

    async fn forget(&self, node: u32) -> Result<(), BackendError> {
        self.nodes.handlers.remove(&node);
        self.nodes.dead.lock().remove(&node);
        Ok(())
    }
}
