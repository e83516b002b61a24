//! The subscribers an append woke, rung once the log's lock is released.

use std::sync::Arc;

use super::{ChannelLog, Slot};
use crate::hub::connection::Connection;

/// Subscribers an append found waiting. Ringing them wakes their tasks, which is most of what a
/// publish costs, so the caller chooses where it happens: inline, or on the WebSocket runtime when
/// the append ran on the HTTP thread.
#[derive(Default)]
#[must_use = "subscribers that are not rung never read the entry"]
pub struct Woken {
    pub(super) log: Option<Arc<ChannelLog>>,
    pub(super) subscribers: Vec<(Arc<Connection>, Slot)>,
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

    /// Tells each subscriber's connection that the log has entries for it.
    pub fn ring(self) {
        let Some(log) = self.log else {
            return;
        };
        for (conn, slot) in self.subscribers {
            conn.outbox.log_ready(log.clone(), slot);
        }
    }
}
