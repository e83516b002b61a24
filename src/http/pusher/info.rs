//! The `info` attributes a Pusher API caller may ask for about channels: `user_count` (distinct users,
//! presence channels only) and `subscription_count` (connections). Unknown attributes are ignored.

use serde_json::{Map, Value, json};

use super::error::PusherError;
use crate::cluster::ChannelStats;
use crate::protocol::{ChannelKind, ChannelName};

/// Which attributes were asked for.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// Distinct presence users.
    pub user_count: bool,
    /// Subscribed connections.
    pub subscription_count: bool,
    /// The cached event of a cache channel, and its remaining lifetime.
    pub cache: bool,
}

impl Info {
    /// Reads a comma-separated list such as `user_count,subscription_count`.
    pub fn parse(raw: Option<&str>) -> Self {
        let asked = |name: &str| raw.is_some_and(|r| r.split(',').any(|a| a.trim() == name));
        Self {
            user_count: asked("user_count"),
            subscription_count: asked("subscription_count"),
            cache: asked("cache"),
        }
    }

    /// Whether nothing was asked for.
    pub fn is_empty(self) -> bool {
        !self.user_count && !self.subscription_count && !self.cache
    }

    /// Refuses `user_count` where the channels cannot be presence channels (Pusher answers 400).
    pub fn require_presence(self, presence: bool) -> Result<(), PusherError> {
        if self.user_count && !presence {
            return Err(PusherError::bad(
                "user_count may only be requested for presence channels",
            ));
        }
        Ok(())
    }

    /// The asked attributes of one channel (zeros when it is unoccupied); `user_count` is given for
    /// presence channels only.
    pub fn of(self, name: &ChannelName, channel: Option<&ChannelStats>) -> Map<String, Value> {
        let mut map = Map::new();
        if self.user_count && name.kind() == ChannelKind::Presence {
            map.insert("user_count".into(), json!(channel.map_or(0, |c| c.users)));
        }
        if self.subscription_count {
            let count = channel.map_or(0, |c| c.subscriptions);
            map.insert("subscription_count".into(), json!(count));
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_follow_the_channel_kind() {
        let info = Info::parse(Some("user_count,subscription_count,bogus"));
        let presence = ChannelName::parse("presence-a").unwrap();
        let stats = ChannelStats {
            name: presence.clone(),
            subscriptions: 3,
            users: 2,
        };
        assert_eq!(
            Value::Object(info.of(&presence, Some(&stats))),
            json!({"user_count": 2, "subscription_count": 3})
        );
        let public = ChannelName::parse("a").unwrap();
        assert_eq!(
            Value::Object(info.of(&public, None)),
            json!({"subscription_count": 0})
        );
        assert!(Info::parse(None).is_empty());
        assert!(info.require_presence(false).is_err());
    }
}
