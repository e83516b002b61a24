//! Who is subscribed where, for the whole cluster: subscription counts, presence members and the
//! per-app connection count. `join` and `leave` are atomic and report the transitions they decide, so
//! the node that ran them is the one that announces them (`member_added` everywhere, webhooks once).
//! The node's hub keeps only its own sockets; everything a REST query answers comes from here.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use dashmap::DashMap;
use serde_json::value::RawValue;

use super::BackendError;
use crate::hub::MemberData;
use crate::protocol::{AppId, ChannelName, SocketId};
use crate::shrink::{Shrinker, push_sized_for_one};

/// One connection on one channel, as the store records it.
#[derive(Debug, Clone, Copy)]
pub struct Subscription<'a> {
    /// The app.
    pub app: &'a AppId,
    /// The channel.
    pub channel: &'a ChannelName,
    /// The connection; its node is the first half of its id.
    pub socket: SocketId,
    /// On presence channels, the member it joined as.
    pub member: Option<&'a MemberData>,
}

/// What a join changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// The channel had no subscriber anywhere before.
    pub first_subscriber: bool,
    /// On presence channels: the user had no connection on the channel anywhere before.
    pub new_user: bool,
    /// Subscriptions on the channel, cluster-wide, after the join.
    pub subscriptions: usize,
    /// On presence channels: every member after the join, in join order.
    pub roster: Vec<Member>,
}

/// What a leave changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Left {
    /// The channel has no subscriber anywhere now.
    pub last_subscriber: bool,
    /// On presence channels: the user whose last connection on the channel, anywhere, this was.
    pub user_gone: Option<Arc<str>>,
    /// Subscriptions on the channel, cluster-wide, after the leave.
    pub subscriptions: usize,
}

/// A presence member.
#[derive(Debug, Clone)]
pub struct Member {
    /// The user.
    pub user_id: Arc<str>,
    /// The info it joined with (its latest connection's).
    pub user_info: Option<Arc<RawValue>>,
    /// One of its connections on the channel.
    pub socket_id: SocketId,
}

impl PartialEq for Member {
    fn eq(&self, other: &Self) -> bool {
        let info = |m: &Self| m.user_info.as_ref().map(|i| i.get().to_owned());
        self.user_id == other.user_id
            && self.socket_id == other.socket_id
            && info(self) == info(other)
    }
}

impl Eq for Member {}

/// A channel as the REST API reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelStats {
    /// The channel.
    pub name: ChannelName,
    /// Subscriptions, cluster-wide.
    pub subscriptions: usize,
    /// Distinct presence users (0 for other kinds).
    pub users: usize,
}

/// A presence channel already has as many users as the app allows (the limit is carried).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the presence channel is full ({0} members)")]
pub struct PresenceFull(pub usize);

/// The cluster's subscriptions and members.
///
/// Contract, for every implementation:
/// - The caller joins a connection to a channel at most once before leaving it (the connection's own
///   task knows what it joined); `leave` of a subscription never joined reports nothing.
/// - `join` of a *new* user on a presence channel that already has `max_members` users changes nothing
///   and answers [`PresenceFull`]; another connection of a present user always joins.
/// - Exactly one `join` sees `first_subscriber` (and one `leave` `last_subscriber`) per occupancy of a
///   channel, cluster-wide, however the calls interleave; likewise `new_user` / `user_gone` per user.
/// - A user on several connections (on any nodes) is one member; its info is its latest join's.
/// - `channels` lists occupied channels sorted by name; `channel` is `None` when unoccupied.
/// - `connect` counts a connection against the app's quota (refusing past `max`); `purge_node` removes
///   everything a dead node held (its subscriptions and connections) and reports each channel's leave.
#[async_trait]
pub trait PresenceStore: Send + Sync {
    /// Records a subscription.
    async fn join(
        &self,
        sub: Subscription<'_>,
        max_members: usize,
    ) -> Result<Result<Joined, PresenceFull>, BackendError>;
    /// Removes a subscription.
    async fn leave(&self, sub: Subscription<'_>) -> Result<Left, BackendError>;
    /// The app's occupied channels, sorted by name.
    async fn channels(&self, app: &AppId) -> Result<Vec<ChannelStats>, BackendError>;
    /// One channel, if occupied.
    async fn channel(
        &self,
        app: &AppId,
        channel: &ChannelName,
    ) -> Result<Option<ChannelStats>, BackendError>;
    /// A presence channel's members in join order.
    async fn members(
        &self,
        app: &AppId,
        channel: &ChannelName,
    ) -> Result<Vec<Member>, BackendError>;
    /// Counts a new connection, unless the app already has `max`; true when counted.
    async fn connect(
        &self,
        app: &AppId,
        socket: SocketId,
        max: Option<u32>,
    ) -> Result<bool, BackendError>;
    /// Forgets a connection counted by `connect`.
    async fn disconnect(&self, app: &AppId, socket: SocketId) -> Result<(), BackendError>;
    /// Removes what node `node` held in `app`; returns each channel's leave, as `leave` would have.
    async fn purge_node(
        &self,
        app: &AppId,
        node: u32,
    ) -> Result<Vec<(ChannelName, Left)>, BackendError>;
}

/// One channel in memory: its subscriptions per node and, on presence channels, its users in join
/// order.
#[derive(Default)]
struct ChannelPresence {
    per_node: Vec<(u32, usize)>,
    subscriptions: usize,
    users: Vec<User>,
}

/// A presence user and its connections on the channel.
struct User {
    id: Arc<str>,
    info: Option<Arc<RawValue>>,
    sockets: Vec<SocketId>,
}

/// One app's channels and connections per node.
#[derive(Default)]
struct AppPresence {
    channels: DashMap<ChannelName, ChannelPresence>,
    connections: DashMap<u32, usize>,
    total: AtomicUsize,
    /// Gives the channel map's room back as channels empty.
    shrink: Shrinker,
}

/// The store of a node that is its own cluster: plain maps, no failure, nothing to purge.
#[derive(Default)]
pub struct MemoryPresence {
    apps: DashMap<AppId, Arc<AppPresence>>,
}

impl MemoryPresence {
    fn app(&self, id: &AppId) -> Arc<AppPresence> {
        if let Some(app) = self.apps.get(id) {
            return app.clone();
        }
        self.apps.entry(id.clone()).or_default().clone()
    }
}

impl ChannelPresence {
    /// Adds a connection; `Err` when its user would be one too many.
    fn join(&mut self, sub: &Subscription<'_>, max: usize) -> Result<Joined, PresenceFull> {
        let mut new_user = false;
        if let Some(member) = sub.member {
            new_user = self.add_user(member, sub.socket, max)?;
        }
        self.count(sub.socket.node(), 1);
        Ok(Joined {
            first_subscriber: self.subscriptions == 1,
            new_user,
            subscriptions: self.subscriptions,
            roster: self.roster(),
        })
    }

    fn add_user(
        &mut self,
        m: &MemberData,
        socket: SocketId,
        max: usize,
    ) -> Result<bool, PresenceFull> {
        if let Some(user) = self.users.iter_mut().find(|u| u.id == m.user_id) {
            user.info = m.user_info.clone();
            user.sockets.push(socket);
            return Ok(false);
        }
        if self.users.len() >= max {
            return Err(PresenceFull(max));
        }
        self.users.push(User {
            id: m.user_id.clone(),
            info: m.user_info.clone(),
            sockets: vec![socket],
        });
        Ok(true)
    }

    /// Adds `delta` subscriptions of `node` (negative to remove), keeping the total.
    fn count(&mut self, node: u32, delta: isize) {
        match self.per_node.iter().position(|(n, _)| *n == node) {
            Some(at) => self.per_node[at].1 = self.per_node[at].1.saturating_add_signed(delta),
            None if delta > 0 => push_sized_for_one(&mut self.per_node, (node, delta as usize)),
            None => {}
        }
        self.per_node.retain(|(_, count)| *count > 0);
        self.subscriptions = self.per_node.iter().map(|(_, count)| count).sum();
    }

    /// Removes a connection.
    fn leave(&mut self, socket: SocketId, user: Option<&Arc<str>>) -> Left {
        self.count(socket.node(), -1);
        let user_gone = user.and_then(|id| self.remove_user_socket(id, socket));
        Left {
            last_subscriber: self.subscriptions == 0,
            user_gone,
            subscriptions: self.subscriptions,
        }
    }

    fn remove_user_socket(&mut self, id: &Arc<str>, socket: SocketId) -> Option<Arc<str>> {
        let at = self.users.iter().position(|u| &u.id == id)?;
        let sockets = &mut self.users[at].sockets;
        sockets.retain(|s| *s != socket);
        sockets.is_empty().then(|| self.users.remove(at).id)
    }

    /// Removes everything of `node`: one leave per departed user, then the count's own leave.
    fn purge(&mut self, node: u32) -> Vec<Left> {
        let before = self.subscriptions;
        let mut gone = Vec::new();
        for user in &mut self.users {
            user.sockets.retain(|s| s.node() != node);
        }
        self.users.retain(|u| {
            let empty = u.sockets.is_empty();
            if empty {
                gone.push(u.id.clone());
            }
            !empty
        });
        self.per_node.retain(|(n, _)| *n != node);
        self.subscriptions = self.per_node.iter().map(|(_, count)| count).sum();
        let changed = before != self.subscriptions || !gone.is_empty();
        let left = |user_gone| Left {
            last_subscriber: false,
            user_gone,
            subscriptions: self.subscriptions,
        };
        let mut lefts: Vec<Left> = gone.into_iter().map(|u| left(Some(u))).collect();
        if changed {
            lefts.push(Left {
                last_subscriber: self.subscriptions == 0,
                ..left(None)
            });
        }
        lefts
    }

    fn roster(&self) -> Vec<Member> {
        let member = |u: &User| Member {
            user_id: u.id.clone(),
            user_info: u.info.clone(),
            socket_id: u.sockets[0],
        };
        self.users.iter().map(member).collect()
    }

    fn stats(&self, name: &ChannelName) -> ChannelStats {
        ChannelStats {
            name: name.clone(),
            subscriptions: self.subscriptions,
            users: self.users.len(),
        }
    }
}

#[async_trait]
impl PresenceStore for MemoryPresence {
    async fn join(
        &self,
        sub: Subscription<'_>,
        max_members: usize,
    ) -> Result<Result<Joined, PresenceFull>, BackendError> {
        let app = self.app(sub.app);
        let mut channel = app.channels.entry(sub.channel.clone()).or_default();
        let joined = channel.join(&sub, max_members);
        let empty = channel.subscriptions == 0;
        drop(channel);
        if empty {
            app.channels
                .remove_if(sub.channel, |_, c| c.subscriptions == 0);
        }
        Ok(joined)
    }

    async fn leave(&self, sub: Subscription<'_>) -> Result<Left, BackendError> {
        let app = self.app(sub.app);
        let user = sub.member.map(|m| &m.user_id);
        let Some(mut channel) = app.channels.get_mut(sub.channel) else {
            return Ok(Left {
                last_subscriber: false,
                user_gone: None,
                subscriptions: 0,
            });
        };
        let left = channel.leave(sub.socket, user);
        drop(channel);
        if left.last_subscriber {
            app.channels
                .remove_if(sub.channel, |_, c| c.subscriptions == 0);
            app.shrink.removed(&app.channels);
        }
        Ok(left)
    }

    async fn channels(&self, app: &AppId) -> Result<Vec<ChannelStats>, BackendError> {
        let app = self.app(app);
        let mut list: Vec<_> = app.channels.iter().map(|c| c.stats(c.key())).collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(list)
    }

    async fn channel(
        &self,
        app: &AppId,
        channel: &ChannelName,
    ) -> Result<Option<ChannelStats>, BackendError> {
        Ok(self
            .app(app)
            .channels
            .get(channel)
            .map(|c| c.stats(channel)))
    }

    async fn members(
        &self,
        app: &AppId,
        channel: &ChannelName,
    ) -> Result<Vec<Member>, BackendError> {
        let app = self.app(app);
        Ok(app
            .channels
            .get(channel)
            .map(|c| c.roster())
            .unwrap_or_default())
    }

    async fn connect(
        &self,
        app: &AppId,
        socket: SocketId,
        max: Option<u32>,
    ) -> Result<bool, BackendError> {
        let app = self.app(app);
        let previous = app.total.fetch_add(1, Ordering::AcqRel);
        if max.is_some_and(|max| previous >= max as usize) {
            app.total.fetch_sub(1, Ordering::AcqRel);
            return Ok(false);
        }
        *app.connections.entry(socket.node()).or_default() += 1;
        Ok(true)
    }

    async fn disconnect(&self, app: &AppId, socket: SocketId) -> Result<(), BackendError> {
        let app = self.app(app);
        if let Some(mut count) = app.connections.get_mut(&socket.node()) {
            *count = count.saturating_sub(1);
            app.total.fetch_sub(1, Ordering::AcqRel);
        }
        Ok(())
    }

    async fn purge_node(
        &self,
        app: &AppId,
        node: u32,
    ) -> Result<Vec<(ChannelName, Left)>, BackendError> {
        let app = self.app(app);
        if let Some((_, count)) = app.connections.remove(&node) {
            app.total.fetch_sub(count, Ordering::AcqRel);
        }
        let names: Vec<ChannelName> = app.channels.iter().map(|c| c.key().clone()).collect();
        let mut lefts = Vec::new();
        for name in names {
            if let Some(mut channel) = app.channels.get_mut(&name) {
                lefts.extend(channel.purge(node).into_iter().map(|l| (name.clone(), l)));
            }
            app.channels.remove_if(&name, |_, c| c.subscriptions == 0);
        }
        Ok(lefts)
    }
}
