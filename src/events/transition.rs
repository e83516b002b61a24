//! What one subscribe or unsubscribe changed on a channel, cluster-wide. The presence store decides it
//! once, atomically (see [`crate::cluster::PresenceStore`]), and the node that ran the operation turns
//! it into events for the sink; nothing derives these facts again.

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
