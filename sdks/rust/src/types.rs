//! The shapes of the SDK's arguments and results, with the wire's (snake_case) field names.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One channel or several: `"chat"`, `["a", "b"]`, a `Vec<String>`…
pub trait Channels {
    /// The channel names.
    fn into_channels(self) -> Vec<String>;
}

impl Channels for &str {
    fn into_channels(self) -> Vec<String> {
        vec![self.to_owned()]
    }
}

impl Channels for String {
    fn into_channels(self) -> Vec<String> {
        vec![self]
    }
}

impl<S: AsRef<str>> Channels for &[S] {
    fn into_channels(self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_owned()).collect()
    }
}

impl<S: AsRef<str>, const N: usize> Channels for [S; N] {
    fn into_channels(self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_owned()).collect()
    }
}

impl<S: AsRef<str>> Channels for Vec<S> {
    fn into_channels(self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_owned()).collect()
    }
}

/// Options of one trigger.
#[derive(Debug, Clone, Default)]
pub struct TriggerOptions {
    /// This connection does not receive the event (the sender, usually).
    pub socket_id: Option<String>,
}

/// One event of a batch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchEvent {
    /// Its channel.
    pub channel: String,
    /// The event name (sent as `name`).
    #[serde(rename = "name")]
    pub event: String,
    /// Any JSON value; a string is delivered unchanged.
    #[serde(skip_serializing_if = "Value::is_null")]
    pub data: Value,
    /// A connection that does not receive it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub socket_id: Option<String>,
}

impl BatchEvent {
    /// `event` with `data` on `channel`.
    pub fn new(channel: impl Into<String>, event: impl Into<String>, data: impl Serialize) -> Self {
        Self {
            channel: channel.into(),
            event: event.into(),
            data: serde_json::to_value(data).unwrap_or(Value::Null),
            socket_id: None,
        }
    }
}

/// The answer of `POST /events`; `triggered` counts the answering node's receiving connections.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerResult {
    /// The channels published to.
    pub channels: Vec<String>,
    /// The event name.
    pub event: String,
    /// Connections that received it.
    pub triggered: u64,
}

/// The answer of `POST /batch_events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchResult {
    /// Nanoseconds since the epoch, strictly increasing on a node.
    pub batch_id: u64,
    /// Events published.
    pub total_events: u64,
    /// Deliveries on the answering node.
    pub total_triggered: u64,
}

/// Options of an access token.
#[derive(Debug, Clone, Default)]
pub struct AccessTokenOptions {
    /// `"read"` (subscribe) and/or `"write"` (client events); `None` means both.
    pub permissions: Option<Vec<String>>,
    /// Lifetime in seconds, 1…86400; `None` means the server's default (3600).
    pub expires_in: Option<u32>,
}

/// The answer of `POST /apps/token`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessToken {
    /// The JWT a client connects with.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: u64,
    /// The app id.
    pub tenant_id: String,
}

/// A presence member as the channel queries list it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// The member's id.
    pub user_id: String,
    /// Its `user_info`, or null.
    #[serde(default)]
    pub user_info: Value,
    /// One of the user's socket ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socket_id: Option<String>,
}

/// One channel of `GET /channels`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelSummary {
    /// Its name.
    pub channel: String,
    /// Subscriptions, or distinct users on presence channels.
    pub member_count: u64,
    /// Presence channels only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<Member>>,
}

/// The answer of `GET /channels`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelList {
    /// Occupied channels, sorted by name.
    pub channels: Vec<ChannelSummary>,
    /// How many are listed.
    pub total_channels: u64,
}

/// The answer of `GET /channels/{name}`; an unoccupied channel has `occupied: false`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelInfo {
    /// Its name.
    pub channel: String,
    /// Whether anyone is subscribed.
    pub occupied: bool,
    /// Subscriptions, or distinct users on presence channels.
    pub member_count: u64,
    /// Presence channels only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<Member>>,
    /// Connections subscribed, where the server reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_count: Option<u64>,
    /// Distinct users of a presence channel, where the server reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_count: Option<u64>,
}

/// A user of a presence channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// The user's id.
    pub id: String,
    /// Its `user_info`, or null.
    #[serde(default)]
    pub user_info: Value,
}

/// The answer of `GET /channels/{name}/users`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserList {
    /// The channel's users.
    pub users: Vec<User>,
}
