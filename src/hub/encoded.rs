//! A server message encoded at most once per dialect, then shared by every subscriber.

use std::cell::OnceCell;

use tungstenite::Utf8Bytes;

use crate::protocol::{self, Dialect, ServerMessage};

/// A message with a lazily filled cache of its encodings.
pub struct Encoded<'a> {
    message: ServerMessage<'a>,
    lattestream: OnceCell<Utf8Bytes>,
    pusher: OnceCell<Utf8Bytes>,
}

impl<'a> Encoded<'a> {
    /// Wraps a message; nothing is encoded until a subscriber asks.
    pub fn new(message: ServerMessage<'a>) -> Self {
        Self {
            message,
            lattestream: OnceCell::new(),
            pusher: OnceCell::new(),
        }
    }

    /// The frame for `dialect`, encoded on first use; later calls clone a reference, not bytes.
    pub fn frame(&self, dialect: Dialect) -> Utf8Bytes {
        let cell = match dialect {
            Dialect::LatteStream => &self.lattestream,
            Dialect::Pusher => &self.pusher,
        };
        cell.get_or_init(|| protocol::encode(dialect, &self.message))
            .clone()
    }
}
