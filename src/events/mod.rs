//! The one seam through which the outside world hears what happens on channels: occupancy and
//! membership transitions (decided once, cluster-wide, by the presence store's atomic operations and
//! reported by the node that ran them), client events and cache misses. [`crate::node::Node`] holds
//! one [`EventSink`] and feeds it; webhooks are one consumer.

mod transition;

use std::sync::Arc;

pub use transition::{Direction, Transition};

use crate::apps::App;
use crate::protocol::{ChannelKind, ChannelName, Event, Payload, SocketId};

/// Something that happened on a channel, as webhooks name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubEvent {
    /// The channel's first subscriber arrived.
    ChannelOccupied(ChannelName),
    /// The channel's last subscriber left.
    ChannelVacated(ChannelName),
    /// A presence user's first connection joined the channel.
    MemberAdded(ChannelName, Arc<str>),
    /// A presence user's last connection left the channel.
    MemberRemoved(ChannelName, Arc<str>),
    /// A non-presence channel's subscription count changed.
    SubscriptionCount(ChannelName, usize),
    /// A client sent a `client-` event.
    ClientEvent(ClientEvent),
    /// A subscriber of a cache channel found nothing to replay.
    CacheMiss(ChannelName),
}

/// A client event as webhooks report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientEvent {
    /// Where it was sent.
    pub channel: ChannelName,
    /// Its name (`client-…`).
    pub event: String,
    /// Its data as a string: a JSON string's value, or the JSON text of anything else.
    pub data: String,
    /// The sender.
    pub socket_id: SocketId,
    /// The sender's presence user, on presence channels.
    pub user_id: Option<String>,
}

impl HubEvent {
    /// The channel it happened on.
    pub fn channel(&self) -> &ChannelName {
        match self {
            Self::ChannelOccupied(c)
            | Self::ChannelVacated(c)
            | Self::MemberAdded(c, _)
            | Self::MemberRemoved(c, _)
            | Self::SubscriptionCount(c, _)
            | Self::CacheMiss(c) => c,
            Self::ClientEvent(e) => &e.channel,
        }
    }

    /// The events a transition stands for, in the order a receiver should see them: on the way in
    /// occupied, member added, count, cache miss; on the way out member removed, count, vacated.
    /// Server-to-user channels (joined silently at sign-in) report nothing.
    pub fn from_transition(t: &Transition) -> Vec<HubEvent> {
        let channel = &t.channel;
        if !t.changed && !t.cache_miss || channel.as_str().starts_with('#') {
            return Vec::new();
        }
        let occupancy = t.occupancy.then(|| match t.direction {
            Direction::Subscribed => Self::ChannelOccupied(channel.clone()),
            Direction::Unsubscribed => Self::ChannelVacated(channel.clone()),
        });
        let member = t.member.clone().map(|user| match t.direction {
            Direction::Subscribed => Self::MemberAdded(channel.clone(), user),
            Direction::Unsubscribed => Self::MemberRemoved(channel.clone(), user),
        });
        let counted = t.changed && channel.kind() != ChannelKind::Presence;
        let count = counted.then(|| Self::SubscriptionCount(channel.clone(), t.subscriptions));
        let miss = t.cache_miss.then(|| Self::CacheMiss(channel.clone()));
        let ordered = match t.direction {
            Direction::Subscribed => [occupancy, member, count, miss],
            Direction::Unsubscribed => [member, count, occupancy, miss],
        };
        ordered.into_iter().flatten().collect()
    }

    /// A relayed client event.
    pub fn client_event(event: &Event, sender: SocketId) -> Self {
        let data = match &event.data {
            Payload::Text(text) => text.clone(),
            Payload::Json(raw) => {
                serde_json::from_str::<String>(raw.get()).unwrap_or_else(|_| raw.get().to_owned())
            }
        };
        Self::ClientEvent(ClientEvent {
            channel: event.channel.clone(),
            event: event.name.clone(),
            data,
            socket_id: sender,
            user_id: event.user_id.clone(),
        })
    }
}

/// Where the node sends what happens on channels.
pub trait EventSink: Send + Sync {
    /// Whether anything of `app` is wanted at all; when not, the node does not build the events (a
    /// client event's data is copied for the sink, so this keeps relaying free for other apps).
    fn wants(&self, app: &App) -> bool;

    /// Takes one event of `app`. Runs on the fan-out path, sometimes while a channel is locked (so
    /// that one channel's events arrive in order): it must neither block nor await, only hand off.
    fn emit(&self, app: &App, event: HubEvent);
}

/// A sink that wants nothing: a node with no webhooks.
pub struct NoSink;

impl EventSink for NoSink {
    fn wants(&self, _: &App) -> bool {
        false
    }

    fn emit(&self, _: &App, _: HubEvent) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(name: &str) -> ChannelName {
        ChannelName::parse(name).unwrap()
    }

    #[test]
    fn a_presence_join_is_occupied_then_member_added_and_a_leave_the_reverse() {
        let ch = channel("presence-room");
        let join = Transition {
            changed: true,
            occupancy: true,
            member: Some("u1".into()),
            subscriptions: 1,
            ..Transition::none(&ch, Direction::Subscribed)
        };
        assert_eq!(
            HubEvent::from_transition(&join),
            [
                HubEvent::ChannelOccupied(ch.clone()),
                HubEvent::MemberAdded(ch.clone(), "u1".into())
            ]
        );
        let leave = Transition {
            direction: Direction::Unsubscribed,
            subscriptions: 0,
            ..join
        };
        assert_eq!(
            HubEvent::from_transition(&leave),
            [
                HubEvent::MemberRemoved(ch.clone(), "u1".into()),
                HubEvent::ChannelVacated(ch)
            ]
        );
    }

    #[test]
    fn counts_go_with_public_channels_and_nothing_comes_from_no_change() {
        let ch = channel("cache-news");
        let second = Transition {
            changed: true,
            subscriptions: 2,
            cache_miss: true,
            ..Transition::none(&ch, Direction::Subscribed)
        };
        assert_eq!(
            HubEvent::from_transition(&second),
            [
                HubEvent::SubscriptionCount(ch.clone(), 2),
                HubEvent::CacheMiss(ch.clone())
            ]
        );
        let none = Transition::none(&ch, Direction::Unsubscribed);
        assert!(HubEvent::from_transition(&none).is_empty());
        let own = Transition {
            changed: true,
            occupancy: true,
            ..Transition::none(&ChannelName::server_to_user("u"), Direction::Subscribed)
        };
        assert!(HubEvent::from_transition(&own).is_empty());
    }

    #[test]
    fn client_event_data_is_a_string_value_or_the_json_text() {
        let raw = |text: &str| {
            Payload::Json(serde_json::value::RawValue::from_string(text.into()).unwrap())
        };
        let event = |data| Event {
            name: "client-x".into(),
            channel: channel("private-a"),
            data,
            user_id: None,
        };
        let data = |e: HubEvent| match e {
            HubEvent::ClientEvent(c) => c.data,
            other => panic!("{other:?}"),
        };
        let id = SocketId::new(1, 2);
        assert_eq!(
            data(HubEvent::client_event(&event(raw(r#""hi""#)), id)),
            "hi"
        );
        assert_eq!(
            data(HubEvent::client_event(&event(raw(r#"{"a": 1}"#)), id)),
            r#"{"a": 1}"#
        );
    }
}
