//! The subscribers an append woke, rung once the log's lock is released.

use std::sync::Arc;

use super::{ChannelLog, Slot};
use crate::hub::connection::Connection;

/// Subscribers an append found waiting. Ringing them writes to their sockets (or wakes their tasks),
/// which is most of what a publish costs, so the caller chooses where it happens: inline, or split
/// over the WebSocket runtime's threads.
#[derive(Default)]
#[must_use = "subscribers that are not rung never read the entry"]
pub struct Woken {
    pub(super) log: Option<Arc<ChannelLog>>,
    pub(super) subscribers: Vec<(Arc<Connection>, Slot)>,
    /// The log had no backlog: write to idle subscribers' sockets rather than wake their tasks.
    pub(super) direct: bool,
}

impl Woken {
    /// How many subscribers are to be rung.
    pub fn len(&self) -> usize {
        self.subscribers.len()
    }

    /// True when nobody is to be rung.
    pub fn is_empty(&self) -> bool {
        self.subscribers.is_empty()
    }

    /// Whether ringing writes to idle subscribers' sockets (the log kept up) rather than waking their
    /// tasks, which batch a backlog into fewer writes.
    pub fn is_direct(&self) -> bool {
        self.direct
    }

    /// Hands each subscriber the entry: written to its socket at once when the log kept up and its
    /// task is idle (see [`crate::hub::Outbox::deliver`]), else its task is rung to read it.
    pub fn ring(self) {
        if !self.direct {
            return self.wake();
        }
        let Some(log) = self.log else {
            return;
        };
        let mut scratch = Vec::new();
        for (conn, slot) in self.subscribers {
            conn.outbox.deliver(&log, slot, &conn, &mut scratch);
        }
    }

    /// Wakes each subscriber's task to read the entry, never writing to its socket here: for the
    /// hub's own messages (presence changes, subscription counts), which come in bursts to small
    /// audiences that a woken task writes in one call.
    pub fn wake(self) {
        let Some(log) = self.log else {
            return;
        };
        for (conn, slot) in self.subscribers {
            conn.outbox.log_ready(log.clone(), slot);
        }
    }

    /// Splits the subscribers into parts of at most `size`, so several threads can ring them.
    pub fn split(mut self, size: usize) -> Vec<Woken> {
        let mut parts = Vec::new();
        while self.subscribers.len() > size {
            let rest = self.subscribers.split_off(size);
            parts.push(Woken {
                log: self.log.clone(),
                subscribers: std::mem::replace(&mut self.subscribers, rest),
                direct: self.direct,
            });
        }
        parts.push(self);
        parts
    }
}
