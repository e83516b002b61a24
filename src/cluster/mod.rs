//! What nodes of one cluster share, behind three narrow traits, each with an in-memory implementation
//! (one node: the embedded default, at no cost) and a Redis one (many nodes), and one conformance suite
//! run against both:
//!
//! - [`Broker`]: an event published on any node reaches the subscribers on every node, once per
//!   cluster; a node hears only the channels it has local subscribers for.
//! - [`PresenceStore`]: who is subscribed where, presence members, counts and the per-app connection
//!   quota, for the whole cluster. Its atomic `join`/`leave` decide the transitions (first subscriber,
//!   first connection of a user, last one gone), so each is reported by exactly one node.
//! - [`Control`]: commands that must act on sockets elsewhere (terminate a user), and which nodes are
//!   alive, so the members of a node that died are removed.
//! - [`ChannelCache`]: cache channels' last events, replayed on any node.
//!
//! The [`crate::node::Node`] is the only caller; handlers never see these.

mod broker;
mod cache;
mod control;
mod envelope;
mod presence;
pub mod redis;

#[cfg(test)]
pub(crate) mod conformance;

pub use broker::{Broker, Deliver, MemoryBroker, MemoryBus};
pub use cache::{ChannelCache, MemoryCache};
pub use control::{Command, Control, HandleCommand, MemoryControl, MemoryNodes};
pub use envelope::{Envelope, Payload as EnvelopePayload};
pub use presence::{
    ChannelStats, Joined, Left, Member, MemoryPresence, PresenceFull, PresenceStore, Subscription,
};

/// Why a shared backend could not answer. Memory backends never fail; a Redis backend fails while
/// Redis is unreachable, and the node reports it through `/ready` and the metrics.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// Redis did not answer (refused, timed out, or paused after a failure).
    #[error(transparent)]
    Redis(#[from] crate::redis::CallError),
    /// What Redis holds could not be read back (a bug, or another program's keys under our prefix).
    #[error("malformed shared state: {0}")]
    Malformed(String),
}
