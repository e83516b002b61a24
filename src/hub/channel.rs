//! One channel's local state: the subscribers on this node, each with its place in the channel's shared
//! log and the presence member it joined as. Who is a member cluster-wide, and how many subscribe, is
//! the presence store's business ([`crate::cluster::PresenceStore`]), not the hub's.

use std::sync::Arc;

use serde_json::value::RawValue;

use super::connection::Connection;
use super::log::{ChannelLog, Slot};
use super::subscribers::Subscribers;
use crate::protocol::SocketId;

/// A presence member as a subscriber declares it.
#[derive(Debug, Clone)]
pub struct MemberData {
    /// The user's id.
    pub user_id: Arc<str>,
    /// The user's info, as the authorizing server gave it.
    pub user_info: Option<Arc<RawValue>>,
}

/// One subscriber: its place in the channel's log and, on presence channels, the member it joined as
/// (kept so the node can tell the store again after losing it; boxed, as most channels are not
/// presence channels and a subscriber's size is paid per subscription).
pub(super) struct Subscriber {
    pub slot: Slot,
    pub member: Option<Box<MemberData>>,
}

/// Subscribers and outgoing log of one channel.
pub(super) struct ChannelState {
    pub subscribers: Subscribers,
    /// What the channel's subscribers have yet to read.
    pub log: Arc<ChannelLog>,
}

impl ChannelState {
    /// An empty channel whose log holds at most `capacity` unread entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            subscribers: Subscribers::default(),
            log: Arc::new(ChannelLog::new(capacity)),
        }
    }

    /// Adds a subscriber, reading the log from its next entry on, unless it is one already; true when
    /// it was added.
    pub fn add_subscriber(&mut self, conn: &Arc<Connection>, member: Option<MemberData>) -> bool {
        if self.subscribers.contains(conn.socket_id) {
            return false;
        }
        let slot = self.log.join(conn.clone());
        let member = member.map(Box::new);
        self.subscribers
            .insert(conn.socket_id, Subscriber { slot, member });
        true
    }

    /// Removes a subscriber and its place in the log; `None` when it was not one.
    pub fn remove_subscriber(&mut self, socket_id: SocketId) -> Option<Subscriber> {
        let subscriber = self.subscribers.remove(socket_id)?;
        self.log.leave(subscriber.slot);
        Some(subscriber)
    }
}
