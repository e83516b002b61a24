//! Wire types shared by both WebSocket dialects: identifiers, the message model, the error codes, and
//! the two codecs (LatteStream and Pusher protocol 7) that turn the one model into bytes and back.
//!
//! Everything that arrives from a socket is parsed into [`ClientMessage`] here, at the edge; everything
//! the server sends is a [`ServerMessage`] encoded by [`encode`]. The rest of the crate never sees JSON
//! frames.

mod codes;
mod decode;
mod encode;
mod ids;
pub mod lattestream;
mod message;
pub mod pusher;

pub use codes::{CloseCode, ErrorCode};
pub use ids::{AppId, ChannelKind, ChannelName, InvalidName, SocketId, validate_event_name};
pub use message::{
    ClientMessage, Event, Payload, PresenceSnapshot, ServerMessage, SubscribeRequest,
};

use tungstenite::Utf8Bytes;

/// The two framings a client may speak; chosen by the URL it connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// The official `@lattestream/client` framing, served at `/` and `/ws`.
    LatteStream,
    /// Pusher Channels protocol 7, served at `/app/{key}`.
    Pusher,
}

/// Why a client frame could not be understood; answered with an error frame, the socket stays open.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    /// The frame is not JSON, or not a JSON object.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// The frame is JSON but lacks a field its event needs.
    #[error("invalid frame: {0}")]
    InvalidFrame(String),
    /// The frame names an event this server does not know.
    #[error("unknown event: {0}")]
    UnknownEvent(String),
}

/// Encodes one server message in the given dialect. Called once per dialect per published event, so the
/// bytes can be shared by every subscriber.
pub fn encode(dialect: Dialect, message: &ServerMessage<'_>) -> Utf8Bytes {
    match dialect {
        Dialect::LatteStream => lattestream::encode(message),
        Dialect::Pusher => pusher::encode(message),
    }
    .into()
}

/// Parses one text frame from a client of the given dialect.
pub fn decode(dialect: Dialect, text: &str) -> Result<ClientMessage, DecodeError> {
    match dialect {
        Dialect::LatteStream => lattestream::decode(text),
        Dialect::Pusher => pusher::decode(text),
    }
}
