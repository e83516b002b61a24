//! One app's part of the hub: its connections on this node and, per channel, the local subscribers and
//! the shared log they read. Subscribing only queues frames and joins the log; what the subscription
//! changed for the cluster was decided before, by the presence store, and is handed in.

use std::sync::Arc;

use dashmap::DashMap;
use dashmap::mapref::one::RefMut;

use super::channel::{ChannelState, MemberData};
use super::connection::Connection;
use super::encoded::Encoded;
use super::log::{ChannelLog, Woken};
use super::users::Users;
use crate::cluster::Member;
use crate::protocol::{ChannelName, Event, PresenceSnapshot, ServerMessage, SocketId};
use crate::shrink::Shrinker;

/// What a new subscriber is told before anything else on the channel.
#[derive(Default)]
pub struct Greeting<'a> {
    /// On presence channels: every member, and the subscriber's own user id.
    pub roster: Option<(&'a [Member], &'a str)>,
    /// On cache channels: the cached event to replay (`Some(None)`: `cache_miss`).
    pub cached: Option<Option<Event>>,
}

/// One app's channels and connections on this node.
pub struct AppHub {
    channels: DashMap<ChannelName, ChannelState>,
    connections: DashMap<SocketId, Arc<Connection>>,
    users: Users,
    log_capacity: usize,
    /// Give the maps' room back as channels and connections go.
    channels_shrink: Shrinker,
    connections_shrink: Shrinker,
}

impl AppHub {
    /// An app with no connections; each channel's log holds at most `log_capacity` unread events.
    pub fn new(log_capacity: usize) -> Self {
        Self {
            channels: DashMap::new(),
            connections: DashMap::new(),
            users: Users::default(),
            log_capacity,
            channels_shrink: Shrinker::default(),
            connections_shrink: Shrinker::default(),
        }
    }

    /// A channel's state, created empty on first use.
    fn channel_mut(&self, channel: &ChannelName) -> RefMut<'_, ChannelName, ChannelState> {
        let new = || ChannelState::new(self.log_capacity);
        self.channels.entry(channel.clone()).or_insert_with(new)
    }

    /// Registers a connection (the app's quota was checked by the presence store).
    pub fn add_connection(&self, conn: Arc<Connection>) {
        self.connections.insert(conn.socket_id, conn);
    }

    /// Forgets a connection (its subscriptions are removed by the caller first).
    pub fn remove_connection(&self, socket_id: SocketId) {
        self.connections.remove(&socket_id);
        self.connections_shrink.removed(&self.connections);
    }

    /// Connections of this app on this node.
    pub fn connections(&self) -> Vec<Arc<Connection>> {
        self.connections.iter().map(|c| c.value().clone()).collect()
    }

    /// This app's connections acting for `user` (from an access token or a sign-in).
    pub fn connections_of_user(&self, user: &str) -> Vec<Arc<Connection>> {
        let of_user = |c: &Arc<Connection>| c.user_id().is_some_and(|u| &*u == user);
        self.connections
            .iter()
            .map(|c| c.value().clone())
            .filter(of_user)
            .collect()
    }

    /// How many connections this app has on this node.
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// Subscribes `conn`: queues its `subscription_succeeded` (with the roster on presence channels)
    /// and the cache replay before any later event of the channel, then joins the channel's log, all
    /// under the channel's lock. False (and nothing queued) when it was subscribed already.
    pub fn subscribe(
        &self,
        conn: &Arc<Connection>,
        channel: &ChannelName,
        member: Option<MemberData>,
        greeting: Greeting<'_>,
    ) -> bool {
        let mut state = self.channel_mut(channel);
        if state.subscribers.contains(conn.socket_id) {
            return false;
        }
        greet(conn, channel, greeting);
        state.add_subscriber(conn, member)
    }

    /// Subscribes a connection without telling it (server-to-user channels after a sign-in).
    pub fn subscribe_silently(&self, conn: &Arc<Connection>, channel: &ChannelName) {
        self.channel_mut(channel).add_subscriber(conn, None);
    }

    /// Unsubscribes a connection: `None` when it was not subscribed, else the member it had joined as.
    pub fn unsubscribe(
        &self,
        socket_id: SocketId,
        channel: &ChannelName,
    ) -> Option<Option<MemberData>> {
        let mut state = self.channels.get_mut(channel)?;
        let subscriber = state.remove_subscriber(socket_id)?;
        let empty = state.subscribers.is_empty();
        drop(state);
        if empty {
            self.channels
                .remove_if(channel, |_, s| s.subscribers.is_empty());
            self.channels_shrink.removed(&self.channels);
        }
        Some(subscriber.member.map(|m| *m))
    }

    /// Signed-in users and watchlists.
    pub fn users(&self) -> &Users {
        &self.users
    }

    /// Appends `event` to the channel's log for every local subscriber but `except`; returns how many
    /// connections it is meant for, and the waiting ones the caller must ring.
    pub fn publish(&self, event: &Event, except: Option<SocketId>) -> (usize, Woken) {
        let Some(state) = self.channels.get(&event.channel) else {
            return (0, Woken::default());
        };
        append(&state, &Encoded::new(ServerMessage::Event(event)), except)
    }

    /// Tells the channel's local subscribers but `except` one of the server's own messages (a member
    /// came or went, the count changed), waking their tasks.
    pub fn announce(
        &self,
        channel: &ChannelName,
        message: ServerMessage<'_>,
        except: Option<SocketId>,
    ) {
        if let Some(state) = self.channels.get(channel) {
            append(&state, &Encoded::new(message), except).1.wake();
        }
    }

    /// The channel's log, when it has local subscribers.
    pub fn log(&self, channel: &ChannelName) -> Option<Arc<ChannelLog>> {
        self.channels.get(channel).map(|state| state.log.clone())
    }

    /// Every local subscription (channel, connection, member), for telling the shared store again what
    /// this node holds after it lost track.
    pub fn subscriptions(&self) -> Vec<(ChannelName, SocketId, Option<MemberData>)> {
        let mut all = Vec::new();
        for channel in self.channels.iter() {
            for (socket, sub) in channel.subscribers.iter() {
                let member = sub.member.as_deref().cloned();
                all.push((channel.key().clone(), socket, member));
            }
        }
        all
    }
}

/// Queues what a new subscriber hears first: the confirmation (with the roster), then the cache.
fn greet(conn: &Connection, channel: &ChannelName, greeting: Greeting<'_>) {
    let presence = greeting.roster.map(|(members, me)| PresenceSnapshot {
        members: members
            .iter()
            .map(|m| (&*m.user_id, m.user_info.as_deref()))
            .collect(),
        me,
    });
    conn.send(&ServerMessage::SubscriptionSucceeded {
        channel: channel.as_str(),
        presence,
    });
    match greeting.cached {
        Some(Some(event)) => conn.send(&ServerMessage::Event(&event)),
        Some(None) => conn.send(&ServerMessage::CacheMiss {
            channel: channel.as_str(),
        }),
        None => true,
    };
}

/// Appends one encoded message to a channel's log for every subscriber but `except`; returns how many
/// subscribers that is and the waiting ones.
fn append(state: &ChannelState, message: &Encoded<'_>, except: Option<SocketId>) -> (usize, Woken) {
    let excluded = except.is_some_and(|id| state.subscribers.contains(id));
    let audience = state.subscribers.len() - usize::from(excluded);
    (audience, state.log.append(message, except, audience))
}
