//! The hub of local sockets: which connection is subscribed to which channel, presence rosters, and the
//! fan-out that appends one encoded frame to a channel's shared log for every subscriber to read. It is
//! the only code that queues frames for sockets; it never awaits, and writes to a socket only through
//! its connection's [`Sink`] while the connection's own task is idle.

mod cache;
mod channel;
mod connection;
mod encoded;
mod log;
mod outbox;
mod transition;
mod users;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dashmap::DashMap;
use dashmap::mapref::one::RefMut;

pub use cache::{CACHE_TTL, EventCache};
pub use channel::MemberData;
pub use connection::Connection;
pub use encoded::Encoded;
pub use log::{ChannelLog, Read, Slot, Woken};
pub use outbox::{Outbox, Pushed, ReadyLog, Sink};
pub use transition::{Direction, Transition};
pub use users::Users;

use crate::metrics::Metrics;
use crate::protocol::{AppId, ChannelName, Event, PresenceSnapshot, ServerMessage, SocketId};
use channel::ChannelState;

/// Every app's local channels and connections.
pub struct Hub {
    apps: DashMap<AppId, Arc<AppHub>>,
    metrics: Arc<Metrics>,
    log_capacity: usize,
}

impl Hub {
    /// An empty hub reporting into `metrics`; a subscriber `log_capacity` events behind on a channel
    /// is closed as a slow consumer.
    pub fn new(metrics: Arc<Metrics>, log_capacity: usize) -> Self {
        Self {
            apps: DashMap::new(),
            metrics,
            log_capacity,
        }
    }

    /// The app's part of the hub, created on first use.
    pub fn app(&self, id: &AppId) -> Arc<AppHub> {
        if let Some(app) = self.apps.get(id) {
            return app.clone();
        }
        let new = || Arc::new(AppHub::new(self.log_capacity));
        self.apps.entry(id.clone()).or_insert_with(new).clone()
    }

    /// Every connection on this node, across apps.
    pub fn all_connections(&self) -> Vec<Arc<Connection>> {
        let apps: Vec<_> = self.apps.iter().map(|a| a.value().clone()).collect();
        apps.iter().flat_map(|a| a.connections()).collect()
    }

    /// The metrics sink.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }
}

/// One app's channels and connections on this node.
pub struct AppHub {
    channels: DashMap<ChannelName, ChannelState>,
    connections: DashMap<SocketId, Arc<Connection>>,
    count: AtomicUsize,
    cache: EventCache,
    users: Users,
    log_capacity: usize,
}

/// A channel as the REST API reports it.
#[derive(Debug, Clone)]
pub struct ChannelInfo {
    /// The channel.
    pub name: ChannelName,
    /// Subscribed connections.
    pub subscriptions: usize,
    /// Distinct presence users (0 for other kinds).
    pub users: usize,
}

/// A presence member as the REST API reports it.
#[derive(Debug, Clone)]
pub struct MemberInfo {
    /// The user.
    pub user_id: Arc<str>,
    /// The user's info.
    pub user_info: Option<Arc<serde_json::value::RawValue>>,
    /// One of the user's connections on the channel.
    pub socket_id: SocketId,
}

/// A presence channel has as many users as the app allows (the limit is carried).
#[derive(Debug, thiserror::Error)]
#[error("the presence channel is full ({0} members)")]
pub struct PresenceFull(pub usize);

/// The app has as many connections as it may have.
#[derive(Debug, thiserror::Error)]
#[error("over connection quota")]
pub struct OverQuota;

impl AppHub {
    /// An app with no connections; each channel's log holds at most `log_capacity` unread events.
    pub fn new(log_capacity: usize) -> Self {
        Self {
            channels: DashMap::new(),
            connections: DashMap::new(),
            count: AtomicUsize::new(0),
            cache: EventCache::default(),
            users: Users::default(),
            log_capacity,
        }
    }

    /// A channel's state, created empty on first use.
    fn channel_mut(&self, channel: &ChannelName) -> RefMut<'_, ChannelName, ChannelState> {
        let new = || ChannelState::new(self.log_capacity);
        self.channels.entry(channel.clone()).or_insert_with(new)
    }

    /// Registers a connection, unless the app is at `max` connections.
    pub fn add_connection(&self, conn: Arc<Connection>, max: Option<u32>) -> Result<(), OverQuota> {
        let previous = self.count.fetch_add(1, Ordering::AcqRel);
        if max.is_some_and(|max| previous >= max as usize) {
            self.count.fetch_sub(1, Ordering::AcqRel);
            return Err(OverQuota);
        }
        self.connections.insert(conn.socket_id, conn);
        Ok(())
    }

    /// Forgets a connection (its subscriptions are removed by the caller first).
    pub fn remove_connection(&self, socket_id: SocketId) {
        if self.connections.remove(&socket_id).is_some() {
            self.count.fetch_sub(1, Ordering::AcqRel);
        }
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
        self.count.load(Ordering::Acquire)
    }

    /// Subscribes `conn`, queueing its `subscription_succeeded` (with the roster on presence channels)
    /// before any later event, the cached event (or `cache_miss`) on cache channels, `member_added` to
    /// the others when its user is new, and the new `subscription_count` when `count_events` is on.
    /// Returns what changed; `report` sees it first, while the channel is still locked, so one
    /// channel's transitions reach it in the order they happened.
    /// A new user on a presence channel that already has `max_members` users is refused, and nothing
    /// changes.
    pub fn subscribe(
        &self,
        conn: &Arc<Connection>,
        channel: &ChannelName,
        member: Option<MemberData>,
        (count_events, max_members): (bool, usize),
        report: impl FnOnce(&Transition),
    ) -> Result<Transition, PresenceFull> {
        let mut state = self.channel_mut(channel);
        if let Some(m) = &member {
            let new_user = !state.members.contains_key(&m.user_id);
            if new_user && state.members.len() >= max_members {
                drop(state);
                self.channels
                    .remove_if(channel, |_, s| s.subscribers.is_empty());
                return Err(PresenceFull(max_members));
            }
        }
        let user = member.as_ref().map(|m| m.user_id.clone());
        let added = state.add_subscriber(conn, user.clone());
        let joined_new_user = match (&member, added) {
            (Some(m), true) => state.join(m),
            _ => false,
        };
        let roster = user.as_ref().map(|_| state.roster());
        let presence = roster.map(|members| PresenceSnapshot {
            members,
            me: user.as_deref().unwrap_or_default(),
        });
        conn.send(&ServerMessage::SubscriptionSucceeded {
            channel: channel.as_str(),
            presence,
        });
        let cache_miss = channel.is_cache() && !self.replay_cache(conn, channel);
        if count_events && added {
            announce_count(&state, channel);
        }
        if let (true, Some(m)) = (joined_new_user, &member) {
            let added = ServerMessage::MemberAdded {
                channel: channel.as_str(),
                user_id: &m.user_id,
                user_info: m.user_info.as_deref(),
            };
            broadcast(&state, &Encoded::new(added), Some(conn.socket_id));
        }
        let transition = Transition {
            changed: added,
            occupancy: added && state.subscribers.len() == 1,
            member: user.filter(|_| joined_new_user),
            subscriptions: state.subscribers.len(),
            cache_miss,
            ..Transition::none(channel, Direction::Subscribed)
        };
        report(&transition);
        Ok(transition)
    }

    /// Subscribes a connection without telling it (server-to-user channels after a sign-in).
    pub fn subscribe_silently(&self, conn: &Arc<Connection>, channel: &ChannelName) {
        self.channel_mut(channel).add_subscriber(conn, None);
    }

    /// Sends the channel's cached event, or `cache_miss`; true when there was an event.
    fn replay_cache(&self, conn: &Connection, channel: &ChannelName) -> bool {
        match self.cache.last(channel) {
            Some((event, _)) => conn.send(&ServerMessage::Event(&event)),
            None => {
                conn.send(&ServerMessage::CacheMiss {
                    channel: channel.as_str(),
                });
                return false;
            }
        };
        true
    }

    /// Signed-in users and watchlists.
    pub fn users(&self) -> &Users {
        &self.users
    }

    /// The last server events of this app's cache channels.
    pub fn cache(&self) -> &EventCache {
        &self.cache
    }

    /// Unsubscribes a connection; sends `member_removed` when it was its user's last connection, and
    /// the new `subscription_count` when `count_events` is on. Returns what changed (`changed` is
    /// false when it was not subscribed); `report` sees a change first, while the channel is locked.
    pub fn unsubscribe(
        &self,
        socket_id: SocketId,
        channel: &ChannelName,
        count_events: bool,
        report: impl FnOnce(&Transition),
    ) -> Transition {
        let unchanged = || Transition::none(channel, Direction::Unsubscribed);
        let Some(mut state) = self.channels.get_mut(channel) else {
            return unchanged();
        };
        let Some(sub) = state.remove_subscriber(socket_id) else {
            return unchanged();
        };
        let left = sub.user.filter(|u| state.leave(u));
        if let Some(user) = &left {
            let removed = ServerMessage::MemberRemoved {
                channel: channel.as_str(),
                user_id: user,
            };
            broadcast(&state, &Encoded::new(removed), None);
        }
        if count_events {
            announce_count(&state, channel);
        }
        let empty = state.subscribers.is_empty();
        let transition = Transition {
            changed: true,
            occupancy: empty,
            member: left,
            subscriptions: state.subscribers.len(),
            ..unchanged()
        };
        report(&transition);
        drop(state);
        if empty {
            self.channels
                .remove_if(channel, |_, s| s.subscribers.is_empty());
        }
        transition
    }

    /// Appends `event` to the channel's log for every subscriber but `except`; returns how many
    /// connections it is meant for, and the waiting ones the caller must ring.
    pub fn publish(&self, event: &Event, except: Option<SocketId>) -> (usize, Woken) {
        let Some(state) = self.channels.get(&event.channel) else {
            return (0, Woken::default());
        };
        append(&state, &Encoded::new(ServerMessage::Event(event)), except)
    }

    /// The channel's log, when it has subscribers.
    pub fn log(&self, channel: &ChannelName) -> Option<Arc<ChannelLog>> {
        self.channels.get(channel).map(|state| state.log.clone())
    }

    /// Every occupied channel, sorted by name.
    pub fn channels(&self) -> Vec<ChannelInfo> {
        let mut list: Vec<_> = self
            .channels
            .iter()
            .map(|e| info(e.key(), e.value()))
            .collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    }

    /// One channel, if occupied.
    pub fn channel(&self, name: &ChannelName) -> Option<ChannelInfo> {
        self.channels.get(name).map(|s| info(name, &s))
    }

    /// A presence channel's members, one entry per user, in join order.
    pub fn members(&self, name: &ChannelName) -> Vec<MemberInfo> {
        let Some(state) = self.channels.get(name) else {
            return Vec::new();
        };
        let socket_of = |user: &Arc<str>| {
            state
                .subscribers
                .iter()
                .find(|(_, s)| s.user.as_ref() == Some(user))
                .map(|(id, _)| *id)
        };
        let member = |user: &Arc<str>| {
            let info = state.members.get(user).and_then(|m| m.info.clone());
            socket_of(user).map(|socket_id| MemberInfo {
                user_id: user.clone(),
                user_info: info,
                socket_id,
            })
        };
        state.order.iter().filter_map(member).collect()
    }
}

fn info(name: &ChannelName, state: &ChannelState) -> ChannelInfo {
    ChannelInfo {
        name: name.clone(),
        subscriptions: state.subscribers.len(),
        users: state.members.len(),
    }
}

/// Tells a non-presence channel's subscribers how many connections it now has.
fn announce_count(state: &ChannelState, channel: &ChannelName) {
    if channel.kind() != crate::protocol::ChannelKind::Presence && !state.subscribers.is_empty() {
        let count = ServerMessage::SubscriptionCount {
            channel: channel.as_str(),
            count: state.subscribers.len(),
        };
        broadcast(state, &Encoded::new(count), None);
    }
}

/// Appends one of the hub's own messages to a channel's log for every subscriber but `except` and
/// wakes the waiting ones' tasks (see [`Woken::wake`]).
fn broadcast(state: &ChannelState, message: &Encoded<'_>, except: Option<SocketId>) {
    append(state, message, except).1.wake();
}

/// Appends one encoded message to a channel's log for every subscriber but `except`; returns how many
/// subscribers that is and the waiting ones.
fn append(state: &ChannelState, message: &Encoded<'_>, except: Option<SocketId>) -> (usize, Woken) {
    let excluded = except.is_some_and(|id| state.subscribers.contains_key(&id));
    let audience = state.subscribers.len() - usize::from(excluded);
    (audience, state.log.append(message, except, audience))
}
