//! The one message model both dialects are codecs for.

use serde_json::value::RawValue;

use super::DecodeError;
use super::ids::{ChannelName, SocketId};

/// A frame from a client, after decoding.
#[derive(Debug)]
pub enum ClientMessage {
    /// LatteStream's first frame: the credential the connection acts with.
    Connect {
        /// A public key, private key, channel token or access token.
        api_key: String,
    },
    /// Join a channel.
    Subscribe(SubscribeRequest),
    /// Leave a channel.
    Unsubscribe {
        /// The channel's name as sent.
        channel: String,
    },
    /// Keep-alive probe from the client; answered with a pong.
    Ping,
    /// Answer to the server's ping.
    Pong,
    /// A `client-` event to relay to the channel's other subscribers.
    ClientEvent {
        /// The event name, `client-…`.
        event: String,
        /// The channel's name as sent.
        channel: String,
        /// The payload, relayed untouched.
        data: Box<RawValue>,
    },
    /// Pusher user authentication (`pusher:signin`).
    Signin {
        /// `KEY:HEX` over `socket_id::user::user_data`.
        auth: String,
        /// The signed user data, a JSON string.
        user_data: String,
    },
    /// LatteStream's batch: several frames handled in order, each as if sent alone; one that does not
    /// decode is answered with its own error and the others still happen.
    Batch(Vec<Result<ClientMessage, DecodeError>>),
}

/// What a subscribe frame asks for.
#[derive(Debug, Default)]
pub struct SubscribeRequest {
    /// The channel's name as sent.
    pub channel: String,
    /// The channel authorization, for private and presence channels.
    pub auth: Option<String>,
    /// Presence member data, kept as the exact text the client sent: the signature covers it.
    pub channel_data: Option<String>,
}

/// An event's payload: a string from the REST API (sent as a JSON string) or raw JSON from a client.
#[derive(Debug, Clone)]
pub enum Payload {
    /// Text that goes on the wire as a JSON string.
    Text(String),
    /// JSON that goes on the wire as it came.
    Json(Box<RawValue>),
}

impl Payload {
    /// The payload's size in bytes, for limits.
    pub fn len(&self) -> usize {
        match self {
            Self::Text(s) => s.len(),
            Self::Json(raw) => raw.get().len(),
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An event published to a channel.
#[derive(Debug, Clone)]
pub struct Event {
    /// The event's name.
    pub name: String,
    /// Where it is published.
    pub channel: ChannelName,
    /// What it carries.
    pub data: Payload,
    /// The sender's user id, for client events on presence channels.
    pub user_id: Option<String>,
}

/// A presence channel's members, as sent to a new subscriber.
#[derive(Debug)]
pub struct PresenceSnapshot<'a> {
    /// Every member: user id and info (`null` when none was given).
    pub members: Vec<(&'a str, Option<&'a RawValue>)>,
    /// The subscriber's own user id.
    pub me: &'a str,
}

/// A frame the server sends, before encoding.
#[derive(Debug)]
pub enum ServerMessage<'a> {
    /// The handshake's end: the client learns its socket id.
    ConnectionEstablished {
        /// The new connection's id.
        socket_id: SocketId,
        /// Seconds of silence after which the client should ping.
        activity_timeout: u64,
    },
    /// A subscription was accepted.
    SubscriptionSucceeded {
        /// The channel.
        channel: &'a str,
        /// The member list, for presence channels.
        presence: Option<PresenceSnapshot<'a>>,
    },
    /// A subscription was refused.
    SubscriptionError {
        /// The channel.
        channel: &'a str,
        /// `AuthError`, `LimitReached` or `InvalidChannel`.
        kind: &'a str,
        /// What went wrong, for a person.
        error: &'a str,
        /// An HTTP-like status: 401, 403, 400.
        status: u16,
    },
    /// A user joined a presence channel.
    MemberAdded {
        /// The channel.
        channel: &'a str,
        /// The user.
        user_id: &'a str,
        /// The user's info.
        user_info: Option<&'a RawValue>,
    },
    /// A user's last connection left a presence channel.
    MemberRemoved {
        /// The channel.
        channel: &'a str,
        /// The user.
        user_id: &'a str,
    },
    /// An event for subscribers.
    Event(&'a Event),
    /// An error frame; `code` is `None` for errors the protocol gives no number.
    Error {
        /// The numeric code.
        code: Option<u16>,
        /// What went wrong, for a person.
        message: &'a str,
    },
    /// A cache channel had no event to replay.
    CacheMiss {
        /// The channel.
        channel: &'a str,
    },
    /// How many connections a channel has now (apps that enable it).
    SubscriptionCount {
        /// The channel.
        channel: &'a str,
        /// Subscribed connections.
        count: usize,
    },
    /// Watched users came online or went offline.
    Watchlist {
        /// `online` or `offline`.
        name: &'a str,
        /// The users.
        user_ids: &'a [&'a str],
    },
    /// A `pusher:signin` was accepted.
    SigninSuccess {
        /// The signed user data, echoed.
        user_data: &'a str,
    },
    /// Keep-alive probe from the server.
    Ping,
    /// Answer to the client's ping.
    Pong,
}
