//! Backpressure: REST publishers wait while a channel's slowest subscriber is far behind, unless that
//! subscriber is stalled on its own socket.

use std::time::Duration;

use super::{ChannelLog, Inner};

impl ChannelLog {
    /// Waits while the slowest subscriber is `high_water` or more entries behind, so a publisher goes
    /// no faster than the channel is read when the server is what holds subscribers back. Laggards
    /// whose own sockets are full are not waited for (they are cut off once the log is full), and no
    /// wait lasts longer than `patience` without one of them reading.
    pub async fn wait_for_room(&self, patience: Duration) {
        loop {
            let progress = self.progress.notified();
            let mut progress = std::pin::pin!(progress);
            progress.as_mut().enable();
            let Some(_waiting) = Waiting::unless_room(self) else {
                return;
            };
            if tokio::time::timeout(patience, progress).await.is_err() {
                return;
            }
        }
    }
}

impl Inner {
    /// True when every subscriber that has not read the oldest entry is waiting for its own socket.
    fn laggards_all_blocked(&self) -> bool {
        let base = self.base;
        let mut laggards = self.cursors.iter().filter(|(_, c)| c.next <= base);
        laggards.all(|(_, c)| c.conn.is_blocked())
    }
}

/// A publisher counted as waiting for room, uncounted when its wait ends or is abandoned.
struct Waiting<'a>(&'a ChannelLog);

impl<'a> Waiting<'a> {
    /// Counts the caller as waiting, or `None` when the backlog is below the high-water mark or
    /// every subscriber holding it back is blocked on its own socket.
    fn unless_room(log: &'a ChannelLog) -> Option<Self> {
        let mut inner = log.inner.lock();
        if inner.entries.len() < log.high_water as usize || inner.laggards_all_blocked() {
            return None;
        }
        inner.waiting += 1;
        Some(Self(log))
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.inner.lock().waiting -= 1;
    }
}
