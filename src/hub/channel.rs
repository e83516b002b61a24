//! One channel's local state: its subscribers and, for presence channels, the member roster that counts
//! each user once however many connections it has.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::value::RawValue;

use super::connection::Connection;
use super::log::{ChannelLog, Slot};
use crate::protocol::SocketId;

/// A presence member as a subscriber declares it.
#[derive(Debug, Clone)]
pub struct MemberData {
    /// The user's id.
    pub user_id: Arc<str>,
    /// The user's info, as the authorizing server gave it.
    pub user_info: Option<Arc<RawValue>>,
}

/// One subscriber: its place in the channel's log and, on presence channels, the user it joined as.
pub(super) struct Subscriber {
    pub slot: Slot,
    pub user: Option<Arc<str>>,
}

/// A member of a presence channel and how many of its connections are subscribed.
pub(super) struct Member {
    pub info: Option<Arc<RawValue>>,
    pub connections: u32,
}

/// Subscribers, roster and outgoing log of one channel.
pub(super) struct ChannelState {
    pub subscribers: HashMap<SocketId, Subscriber>,
    /// What the channel's subscribers have yet to read.
    pub log: Arc<ChannelLog>,
    pub members: HashMap<Arc<str>, Member>,
    /// Join order of users, so member lists come back in a stable order.
    pub order: Vec<Arc<str>>,
}

impl ChannelState {
    /// An empty channel whose log holds at most `capacity` unread entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            subscribers: HashMap::new(),
            log: Arc::new(ChannelLog::new(capacity)),
            members: HashMap::new(),
            order: Vec::new(),
        }
    }

    /// Adds a subscriber, reading the log from its next entry on, unless it is one already; true when
    /// it was added.
    pub fn add_subscriber(&mut self, conn: &Arc<Connection>, user: Option<Arc<str>>) -> bool {
        if self.subscribers.contains_key(&conn.socket_id) {
            return false;
        }
        let slot = self.log.join(conn.clone());
        self.subscribers
            .insert(conn.socket_id, Subscriber { slot, user });
        true
    }

    /// Removes a subscriber and its place in the log; `None` when it was not one.
    pub fn remove_subscriber(&mut self, socket_id: SocketId) -> Option<Subscriber> {
        let subscriber = self.subscribers.remove(&socket_id)?;
        self.log.leave(subscriber.slot);
        Some(subscriber)
    }

    /// Adds a member's connection; true when the user is new to the channel.
    pub fn join(&mut self, member: &MemberData) -> bool {
        if let Some(existing) = self.members.get_mut(&member.user_id) {
            existing.connections += 1;
            existing.info = member.user_info.clone();
            return false;
        }
        self.members.insert(
            member.user_id.clone(),
            Member {
                info: member.user_info.clone(),
                connections: 1,
            },
        );
        self.order.push(member.user_id.clone());
        true
    }

    /// Removes a member's connection; true when it was the user's last.
    pub fn leave(&mut self, user: &Arc<str>) -> bool {
        let Some(member) = self.members.get_mut(user) else {
            return false;
        };
        member.connections -= 1;
        if member.connections > 0 {
            return false;
        }
        self.members.remove(user);
        self.order.retain(|u| u != user);
        true
    }

    /// The roster in join order.
    pub fn roster(&self) -> Vec<(&str, Option<&RawValue>)> {
        let info = |u: &Arc<str>| self.members.get(u).and_then(|m| m.info.as_deref());
        self.order.iter().map(|u| (u.as_ref(), info(u))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str) -> MemberData {
        MemberData {
            user_id: id.into(),
            user_info: None,
        }
    }

    #[test]
    fn a_user_on_several_connections_is_one_member() {
        let mut ch = ChannelState::new(8);
        assert!(ch.join(&member("u1")));
        assert!(!ch.join(&member("u1")));
        assert!(ch.join(&member("u2")));
        assert_eq!(ch.roster().len(), 2);
        assert!(!ch.leave(&"u1".into()));
        assert!(ch.leave(&"u1".into()));
        assert_eq!(ch.roster().iter().map(|m| m.0).collect::<Vec<_>>(), ["u2"]);
    }
}
