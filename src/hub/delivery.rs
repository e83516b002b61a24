//! Writing a fan-out: frames are queued for every subscriber while the channel is locked (which fixes
//! their order), then written after the lock is released. Small audiences are written by the publisher
//! itself; large ones are split into chunks written in parallel by the runtime's workers.

use std::sync::Arc;

use super::Connection;

/// Subscribers per chunk of a large fan-out: enough to make a task worth spawning, few enough that
/// every worker gets a share of a channel with thousands of subscribers.
const CHUNK: usize = 512;

/// Connections with newly queued frames, to be written once no lock is held.
#[derive(Default)]
#[must_use = "queued frames are only written by flush"]
pub struct Delivery {
    targets: Vec<Arc<Connection>>,
}

impl Delivery {
    /// An empty delivery with room for `n` targets.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            targets: Vec::with_capacity(n),
        }
    }

    /// Adds a connection that has a frame queued.
    pub fn add(&mut self, conn: Arc<Connection>) {
        self.targets.push(conn);
    }

    /// How many connections got the frame.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether no connection got the frame.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Writes every target's queue: the first chunk here, the others on spawned tasks.
    pub fn flush(self) -> usize {
        let count = self.targets.len();
        if count <= CHUNK || tokio::runtime::Handle::try_current().is_err() {
            self.targets.iter().for_each(|c| c.outbox.flush());
            return count;
        }
        let mut targets = self.targets;
        let mut rest = targets.split_off(CHUNK);
        while !rest.is_empty() {
            let tail = rest.split_off(rest.len().min(CHUNK));
            let chunk = std::mem::replace(&mut rest, tail);
            tokio::spawn(async move { chunk.iter().for_each(|c| c.outbox.flush()) });
        }
        targets.iter().for_each(|c| c.outbox.flush());
        count
    }
}
