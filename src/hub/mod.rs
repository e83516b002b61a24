//! The hub of local sockets: which connection on this node is subscribed to which channel, and the
//! fan-out that appends one encoded frame to a channel's shared log for every subscriber to read. It is
//! the only code that queues frames for sockets; it never awaits, and writes to a socket only through
//! its connection's [`Sink`] while the connection's own task is idle. What the cluster shares (members,
//! counts) lives in [`crate::cluster`]; envelopes from other nodes arrive through [`Hub::deliver`].

mod app;
mod cache;
mod channel;
mod connection;
mod encoded;
mod log;
mod outbox;
mod subscribers;
mod users;

use std::sync::{Arc, OnceLock};

use dashmap::DashMap;
use tokio::runtime::Handle;

pub use app::{AppHub, Greeting};
pub use cache::{CACHE_TTL, EventCache};
pub use channel::MemberData;
pub use connection::Connection;
pub use encoded::Encoded;
pub use log::{ChannelLog, Read, Slot, Woken};
pub use outbox::{Outbox, Pushed, ReadyLog, Sink};
pub use users::Users;

use crate::cluster::{Envelope, EnvelopePayload};
use crate::metrics::Metrics;
use crate::protocol::{AppId, ServerMessage};

/// Subscribers one task writes an event to when a publish is spread over the session runtime: small
/// enough that every worker gets a part of a 1,000-subscriber fan-out, large enough that spawning
/// the tasks costs little next to the writes.
const RING_PART: usize = 128;

/// Every app's local channels and connections.
pub struct Hub {
    apps: DashMap<AppId, Arc<AppHub>>,
    metrics: Arc<Metrics>,
    log_capacity: usize,
    /// The runtime WebSocket sessions run on, set by `serve`.
    sessions: OnceLock<Handle>,
}

impl Hub {
    /// An empty hub reporting into `metrics`; a subscriber `log_capacity` events behind on a channel
    /// is closed as a slow consumer.
    pub fn new(metrics: Arc<Metrics>, log_capacity: usize) -> Self {
        Self {
            apps: DashMap::new(),
            metrics,
            log_capacity,
            sessions: OnceLock::new(),
        }
    }

    /// Records the runtime WebSocket sessions run on; the first call wins.
    pub fn set_session_runtime(&self, handle: Handle) {
        let _ = self.sessions.set(handle);
    }

    /// The runtime WebSocket sessions run on: the one `serve` was called on (the current one before).
    pub fn session_runtime(&self) -> Handle {
        self.sessions.get().cloned().unwrap_or_else(Handle::current)
    }

    /// Hands an event to the subscribers a publish found waiting, off the caller's thread when there
    /// are many. Written directly, they are split into parts of [`RING_PART`], each written by a
    /// task on the session runtime, so every core writes and the publisher waits for none of them.
    /// Rung, one task on the session runtime wakes them all, where each wake is a push onto a local
    /// queue rather than a cross-thread hand-off.
    pub fn ring(&self, woken: Woken) {
        if woken.len() <= 1 {
            return woken.ring();
        }
        let runtime = self.session_runtime();
        if !woken.is_direct() {
            return drop(runtime.spawn(async move { woken.ring() }));
        }
        for part in woken.split(RING_PART) {
            drop(runtime.spawn(async move { part.ring() }));
        }
    }

    /// Hands what another node published to this node's subscribers of its channel. Never waits: an
    /// envelope for a busy channel is appended to its log like any publish, and a subscriber too far
    /// behind is cut off, so no channel holds up the others.
    pub fn deliver(&self, envelope: Envelope) {
        let Some(app) = self.apps.get(&envelope.app).map(|a| a.clone()) else {
            return;
        };
        let channel = envelope.channel.as_str();
        let except = envelope.except;
        match &envelope.payload {
            EnvelopePayload::Event(event) => {
                let (delivered, woken) = app.publish(event, except);
                self.ring(woken);
                self.metrics.delivered_from_bus(delivered);
            }
            EnvelopePayload::MemberAdded { user_id, user_info } => {
                let added = ServerMessage::MemberAdded {
                    channel,
                    user_id,
                    user_info: user_info.as_deref(),
                };
                app.announce(&envelope.channel, added, except);
            }
            EnvelopePayload::MemberRemoved { user_id } => {
                let removed = ServerMessage::MemberRemoved { channel, user_id };
                app.announce(&envelope.channel, removed, except);
            }
            EnvelopePayload::Count(count) => {
                let count = ServerMessage::SubscriptionCount {
                    channel,
                    count: *count,
                };
                app.announce(&envelope.channel, count, except);
            }
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
