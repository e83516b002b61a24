//! What one subscribe or unsubscribe changed on a channel. The hub decides it once, under the channel's
//! lock, and hands it back to its caller; everything that cares about occupancy and membership
//! (webhooks today, the cluster's shared presence state later) reads these facts instead of deriving
//! them again.

use std::sync::Arc;

use crate::protocol::ChannelName;

/// Whether a transition came from a subscribe or an unsubscribe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A connection subscribed.
    Subscribed,
    /// A connection left the channel.
    Unsubscribed,
}

/// What one subscribe or unsubscribe changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The channel.
    pub channel: ChannelName,
    /// Which way the connection went.
    pub direction: Direction,
    /// Whether the channel's set of subscribers changed at all (a repeated subscribe changes nothing).
    pub changed: bool,
    /// The first subscriber arrived (on subscribe) or the last one left (on unsubscribe).
    pub occupancy: bool,
    /// The presence user whose first connection joined or whose last one left.
    pub member: Option<Arc<str>>,
    /// The channel's subscriptions after the change.
    pub subscriptions: usize,
    /// The subscriber was sent `cache_miss`: a cache channel had nothing to replay.
    pub cache_miss: bool,
}

impl Transition {
    /// Nothing changed on `channel` (a repeated subscribe, or an unsubscribe of a stranger).
    pub fn none(channel: &ChannelName, direction: Direction) -> Self {
        Self {
            channel: channel.clone(),
            direction,
            changed: false,
            occupancy: false,
            member: None,
            subscriptions: 0,
            cache_miss: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::{AppHub, Connection, MemberData};
    use crate::metrics::Metrics;
    use crate::protocol::{AppId, Dialect, SocketId};

    fn conn(seq: u64) -> Arc<Connection> {
        let app = AppId::parse("1").unwrap();
        let metrics = Arc::new(Metrics::default());
        Arc::new(Connection::new(
            SocketId::new(1, seq),
            app,
            Dialect::Pusher,
            64,
            metrics,
        ))
    }

    fn alice() -> Option<MemberData> {
        Some(MemberData {
            user_id: "alice".into(),
            user_info: None,
        })
    }

    #[test]
    fn the_hub_reports_each_transition_once_and_in_the_report_first() {
        let hub = AppHub::new(8);
        let ch = ChannelName::parse("presence-room").unwrap();
        let (a, b) = (conn(1), conn(2));
        let mut seen = Vec::new();
        let first = hub
            .subscribe(&a, &ch, alice(), (false, 100), |t| seen.push(t.clone()))
            .unwrap();
        assert!(first.changed && first.occupancy);
        assert_eq!(first.member.as_deref(), Some("alice"));
        let second = hub
            .subscribe(&b, &ch, alice(), (false, 100), |t| seen.push(t.clone()))
            .unwrap();
        assert!(second.changed && !second.occupancy && second.member.is_none());
        let again = hub
            .subscribe(&b, &ch, alice(), (false, 100), |_| {})
            .unwrap();
        assert!(!again.changed, "a repeated subscribe changes nothing");
        let out = hub.unsubscribe(a.socket_id, &ch, false, |t| seen.push(t.clone()));
        assert!(out.changed && !out.occupancy && out.member.is_none());
        let last = hub.unsubscribe(b.socket_id, &ch, false, |t| seen.push(t.clone()));
        assert!(last.occupancy && last.member.as_deref() == Some("alice"));
        assert_eq!(last.subscriptions, 0);
        assert!(!hub.unsubscribe(b.socket_id, &ch, false, |_| {}).changed);
        assert_eq!(seen, [first, second, out, last]);
    }

    #[test]
    fn a_cache_channel_with_nothing_cached_reports_a_miss() {
        let hub = AppHub::new(8);
        let ch = ChannelName::parse("cache-news").unwrap();
        let t = hub
            .subscribe(&conn(1), &ch, None, (false, 100), |_| {})
            .unwrap();
        assert!(t.cache_miss && t.occupancy);
    }
}
