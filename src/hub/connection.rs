//! The hub's handle on one connection: who it is, how it speaks, and its send queue.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

use super::outbox::{Outbox, Pushed};
use crate::metrics::Metrics;
use crate::protocol::{self, AppId, CloseCode, Dialect, ServerMessage, SocketId};

/// One connected socket as the hub sees it. The socket itself belongs to its task; the hub only queues.
pub struct Connection {
    /// The connection's id.
    pub socket_id: SocketId,
    /// The app it belongs to.
    pub app_id: AppId,
    /// How it wants frames encoded.
    pub dialect: Dialect,
    /// Frames waiting to be written.
    pub outbox: Outbox,
    user_id: Mutex<Option<Arc<str>>>,
    /// The socket is full: the client is not reading what was already written.
    blocked: AtomicBool,
    metrics: Arc<Metrics>,
}

impl Connection {
    /// A handle for a new connection.
    pub fn new(
        socket_id: SocketId,
        app_id: AppId,
        dialect: Dialect,
        queue: usize,
        metrics: Arc<Metrics>,
    ) -> Self {
        let outbox = Outbox::new(queue);
        Self {
            socket_id,
            app_id,
            dialect,
            outbox,
            user_id: Mutex::new(None),
            blocked: AtomicBool::new(false),
            metrics,
        }
    }

    /// Encodes a message for this connection alone and queues it.
    pub fn send(&self, message: &ServerMessage<'_>) -> bool {
        self.push(protocol::encode(self.dialect, message))
    }

    /// Queues an encoded frame; counts a slow consumer when the queue overflows.
    pub fn push(&self, frame: tungstenite::Utf8Bytes) -> bool {
        match self.outbox.push(frame) {
            Pushed::Queued => true,
            Pushed::Closed => false,
            Pushed::Overflowed => {
                self.metrics.slow_consumer();
                false
            }
        }
    }

    /// Asks the connection's task to close it.
    pub fn close(&self, code: CloseCode) {
        self.outbox.close(code);
    }

    /// Closes the connection as a slow consumer (4100), counted once however many channels find it
    /// behind.
    pub fn cut_off(&self) {
        if self.outbox.close(CloseCode::SlowConsumer) {
            self.metrics.slow_consumer();
        }
    }

    /// Records whether the connection's task is waiting for its socket to take more bytes; publishers
    /// do not wait for such a connection to catch up.
    pub fn set_blocked(&self, blocked: bool) {
        self.blocked.store(blocked, Ordering::Relaxed);
    }

    /// True while the connection's task waits for its socket to take more bytes.
    pub fn is_blocked(&self) -> bool {
        self.blocked.load(Ordering::Relaxed)
    }

    /// The user this connection acts for (from an access token or a sign-in).
    pub fn user_id(&self) -> Option<Arc<str>> {
        self.user_id.lock().clone()
    }

    /// Records the user this connection acts for.
    pub fn set_user_id(&self, user: &str) {
        *self.user_id.lock() = Some(user.into());
    }
}
