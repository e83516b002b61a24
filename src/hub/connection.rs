//! The hub's handle on one connection: who it is, how it speaks, and its send queue, which writes to
//! the socket directly.

use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::net::TcpStream;
use tungstenite::Utf8Bytes;

use super::outbox::{Opcode, Outbox, Pushed};
use crate::metrics::Metrics;
use crate::protocol::{self, AppId, CloseCode, Dialect, ServerMessage, SocketId};
use crate::ws::frame::close_payload;

/// One connected socket as the hub sees it. Reading belongs to the connection's task; writing goes
/// through the outbox, from whichever thread has something to send.
pub struct Connection {
    /// The connection's id.
    pub socket_id: SocketId,
    /// The app it belongs to.
    pub app_id: AppId,
    /// How it wants frames encoded.
    pub dialect: Dialect,
    /// Frames waiting to be written, and the socket they go to.
    pub outbox: Outbox,
    user_id: Mutex<Option<Arc<str>>>,
    metrics: Arc<Metrics>,
}

/// Who a connection is and how it speaks, to build its [`Connection`].
pub struct Identity {
    /// The connection's id.
    pub socket_id: SocketId,
    /// The app it belongs to.
    pub app_id: AppId,
    /// How it wants frames encoded.
    pub dialect: Dialect,
}

impl Connection {
    /// A handle for a new connection writing to `stream` (none in unit tests: frames only queue),
    /// queueing at most `queue` frames.
    pub fn new(
        identity: Identity,
        stream: Option<Arc<TcpStream>>,
        queue: usize,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            socket_id: identity.socket_id,
            app_id: identity.app_id,
            dialect: identity.dialect,
            outbox: Outbox::new(queue, stream),
            user_id: Mutex::new(None),
            metrics,
        }
    }

    /// Encodes a message for this connection alone and sends it.
    pub fn send(&self, message: &ServerMessage<'_>) -> bool {
        self.push(protocol::encode(self.dialect, message))
    }

    /// Sends an encoded frame now, as far as the socket takes it.
    pub fn push(&self, frame: Utf8Bytes) -> bool {
        let queued = self.enqueue(frame);
        self.outbox.flush();
        queued
    }

    /// Queues an encoded frame without writing it (callers holding a lock write after releasing it);
    /// a full queue closes the connection as a slow consumer.
    pub fn enqueue(&self, frame: Utf8Bytes) -> bool {
        match self.outbox.enqueue(Opcode::Text, Bytes::from(frame)) {
            Pushed::Queued => true,
            Pushed::Closed => false,
            Pushed::Overflowed => {
                self.metrics.slow_consumer();
                self.close_now(CloseCode::SlowConsumer, true);
                false
            }
        }
    }

    /// Closes the connection with `code`: its error message and a close frame go after what is queued.
    pub fn close(&self, code: CloseCode) {
        self.close_now(code, false);
    }

    fn close_now(&self, code: CloseCode, drop_queued: bool) {
        let error = ServerMessage::Error {
            code: Some(code.code()),
            message: code.reason(),
        };
        let words = Bytes::from(protocol::encode(self.dialect, &error));
        let close = close_payload(code.code(), code.reason());
        self.outbox.close(Some(words), close, drop_queued);
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
