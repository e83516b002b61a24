//! Newtypes for the identifiers that cross the wire, validated once when they enter.

use std::fmt;
use std::sync::Arc;

/// Why a channel or event name was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidName {
    /// Empty names identify nothing.
    #[error("name is empty")]
    Empty,
    /// Longer than the protocol allows.
    #[error("name is longer than {0} characters")]
    TooLong(usize),
    /// Holds a character outside the allowed set.
    #[error("name contains an invalid character")]
    BadCharacter,
    /// Uses a prefix reserved for the protocol itself.
    #[error("name uses a reserved prefix")]
    Reserved,
}

/// An app (tenant) id: digits, as the Pusher server libraries require.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppId(Arc<str>);

impl AppId {
    /// Accepts a non-empty string of ASCII digits.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = !raw.is_empty() && raw.len() <= 20 && raw.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| Self(raw.into()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for AppId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for AppId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(u64),
        }
        let text = match Raw::deserialize(d)? {
            Raw::Text(t) => t,
            Raw::Number(n) => n.to_string(),
        };
        Self::parse(&text)
            .ok_or_else(|| serde::de::Error::custom("an app id is a string of digits"))
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A connection's identity, `A.B`: `A` names the node that accepted it, `B` counts on that node, so
/// ids are unique across a cluster without coordination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SocketId {
    node: u32,
    seq: u64,
}

impl SocketId {
    /// Builds the id of the `seq`th connection accepted by node `node`.
    pub fn new(node: u32, seq: u64) -> Self {
        Self { node, seq }
    }

    /// The node that accepted the connection.
    pub fn node(&self) -> u32 {
        self.node
    }

    /// Parses `A.B` with two unsigned integers; anything else is not a socket id.
    pub fn parse(raw: &str) -> Option<Self> {
        let (a, b) = raw.split_once('.')?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
        if !digits(a) || !digits(b) {
            return None;
        }
        Some(Self {
            node: a.parse().ok()?,
            seq: b.parse().ok()?,
        })
    }
}

impl fmt::Display for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.node, self.seq)
    }
}

/// What a channel's name makes of it; derived once, when the name is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// Anyone holding the app key may subscribe.
    Public,
    /// `private-…`: needs a signed authorization.
    Private,
    /// `private-encrypted-…`: private, and payloads are end-to-end encrypted by the clients.
    PrivateEncrypted,
    /// `presence-…`: private, plus a member list.
    Presence,
}

impl ChannelKind {
    /// Whether subscribing needs a channel authorization.
    pub fn needs_auth(self) -> bool {
        !matches!(self, Self::Public)
    }

    /// Whether clients may send `client-` events on it.
    pub fn allows_client_events(self) -> bool {
        matches!(self, Self::Private | Self::Presence)
    }
}

/// The longest channel name accepted, as in the Pusher protocol.
pub const MAX_CHANNEL_NAME: usize = 164;

/// A validated channel name; cheap to clone, shared by every subscription to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelName(Arc<str>);

impl ChannelName {
    /// Accepts `[A-Za-z0-9_\-=@,.;]{1,164}`.
    pub fn parse(raw: &str) -> Result<Self, InvalidName> {
        if raw.is_empty() {
            return Err(InvalidName::Empty);
        }
        if raw.chars().count() > MAX_CHANNEL_NAME {
            return Err(InvalidName::TooLong(MAX_CHANNEL_NAME));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || "_-=@,.;".contains(c);
        if !raw.chars().all(allowed) {
            return Err(InvalidName::BadCharacter);
        }
        Ok(Self(raw.into()))
    }

    /// The server-to-user channel of a signed-in user, `#server-to-user-{id}`: a name no client can
    /// subscribe to, because `#` is outside the allowed characters.
    pub fn server_to_user(user_id: &str) -> Self {
        Self(format!("#server-to-user-{user_id}").into())
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a user's server-to-user channel: joined silently at sign-in, never counted or
    /// listed.
    pub fn is_server_to_user(&self) -> bool {
        self.0.starts_with('#')
    }

    /// Whether the channel replays its last event to new subscribers.
    pub fn is_cache(&self) -> bool {
        let prefixes = [
            "cache-",
            "private-cache-",
            "presence-cache-",
            "private-encrypted-cache-",
        ];
        prefixes.iter().any(|p| self.as_str().starts_with(p))
    }

    /// The kind the name's prefix gives the channel.
    pub fn kind(&self) -> ChannelKind {
        let name = self.as_str();
        if name.starts_with("private-encrypted-") {
            ChannelKind::PrivateEncrypted
        } else if name.starts_with("private-") {
            ChannelKind::Private
        } else if name.starts_with("presence-") {
            ChannelKind::Presence
        } else {
            ChannelKind::Public
        }
    }
}

impl fmt::Display for ChannelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The longest event name accepted (REST docs).
pub const MAX_EVENT_NAME: usize = 200;

/// Checks an event name that a server or client wants to publish: non-empty, at most 200 characters,
/// and not in a namespace the protocol reserves for itself.
pub fn validate_event_name(name: &str) -> Result<(), InvalidName> {
    if name.is_empty() {
        return Err(InvalidName::Empty);
    }
    if name.chars().count() > MAX_EVENT_NAME {
        return Err(InvalidName::TooLong(MAX_EVENT_NAME));
    }
    let reserved = [
        "pusher:",
        "pusher_internal:",
        "lattestream:",
        "lattestream_internal:",
    ];
    if reserved.iter().any(|p| name.starts_with(p)) {
        return Err(InvalidName::Reserved);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_ids_round_trip_and_reject_garbage() {
        let id = SocketId::new(7, 42);
        assert_eq!(SocketId::parse(&id.to_string()), Some(id));
        for bad in ["", "1", "1.", ".1", "a.1", "1.2.3", "-1.2", "1.2 "] {
            assert_eq!(SocketId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn channel_kind_comes_from_the_prefix() {
        let kind = |n: &str| ChannelName::parse(n).unwrap().kind();
        assert_eq!(kind("chat"), ChannelKind::Public);
        assert_eq!(kind("private-a"), ChannelKind::Private);
        assert_eq!(kind("private-encrypted-a"), ChannelKind::PrivateEncrypted);
        assert_eq!(kind("presence-a"), ChannelKind::Presence);
    }

    #[test]
    fn channel_names_are_validated() {
        assert_eq!(ChannelName::parse(""), Err(InvalidName::Empty));
        assert_eq!(ChannelName::parse("a b"), Err(InvalidName::BadCharacter));
        assert_eq!(
            ChannelName::parse(&"a".repeat(165)),
            Err(InvalidName::TooLong(164))
        );
        assert!(ChannelName::parse("a-Z_0=@,.;").is_ok());
    }

    #[test]
    fn event_names_are_validated() {
        assert!(validate_event_name("my-event").is_ok());
        assert_eq!(validate_event_name("pusher:x"), Err(InvalidName::Reserved));
        assert_eq!(
            validate_event_name(&"e".repeat(201)),
            Err(InvalidName::TooLong(200))
        );
    }
}
