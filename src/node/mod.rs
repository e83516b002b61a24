//! The core every handler calls, and the only door to the hub of local sockets and to what the cluster
//! shares: connections come and go, subscribe and leave, events are published and relayed, channels
//! and members are asked about, users are terminated — all through here, async where a shared backend
//! (Redis) may have to answer. HTTP and WebSocket code stay thin by going through here.
//!
//! - [`channels`](self): connecting, subscribing, signing in, leaving;
//! - publishing and relaying events to this node's sockets and to the cluster;
//! - channel and member queries, answered by the presence store;
//! - the cluster's upkeep: heartbeats, purging dead nodes, telling the store again what this node holds.

mod backends;
mod channels;
mod publish;
mod queries;
mod upkeep;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::runtime::Handle;

pub use backends::{Backends, CheckBus};
pub use channels::OverQuota;

use crate::admin::AppAdmin;
use crate::apps::{App, Apps};
use crate::auth::{MemoryNonceStore, NonceStore};
use crate::cluster::{Command, Deliver, HandleCommand};
use crate::config::{DiscoveryConfig, WebSocketConfig};
use crate::debug::DebugEvents;
use crate::events::{EventSink, NoSink};
use crate::hub::{AppHub, Hub};
use crate::metrics::Metrics;
use crate::protocol::{AppId, CloseCode, SocketId};
use crate::ratelimit::{MemoryRateLimiter, RateLimiter};
use crate::webhooks::Webhooks;

/// One server process.
pub struct Node {
    id: u32,
    next_seq: AtomicU64,
    apps: Arc<Apps>,
    hub: Arc<Hub>,
    backends: Backends,
    ws: WebSocketConfig,
    metrics: Arc<Metrics>,
    limiter: Arc<dyn RateLimiter>,
    nonces: Arc<dyn NonceStore>,
    discovery: (DiscoveryConfig, SocketAddr),
    /// Where transitions, client events and cache misses go (webhooks, when on), set by `start`.
    sink: OnceLock<Arc<dyn EventSink>>,
    /// The webhook service, when webhooks are on (its dead letters are reached through here).
    webhooks: OnceLock<Arc<Webhooks>>,
    /// What the console watches.
    debug: DebugEvents,
    /// App management over the store, set by `start` (absent for a node built by hand).
    admin: OnceLock<Arc<AppAdmin>>,
    /// A shared backend failed since the store last heard everything this node holds.
    stale: AtomicBool,
    /// The last heartbeat reached the cluster (always true for a node that is its own cluster).
    beating: AtomicBool,
    /// Whether the broker's connection was up at the last upkeep round.
    bus_up: AtomicBool,
}

impl Node {
    /// A node that is its own cluster (in-memory backends), serving `apps` with the given WebSocket
    /// settings; its id is random.
    pub fn new(apps: Arc<Apps>, ws: WebSocketConfig) -> Self {
        let metrics = Arc::new(Metrics::default());
        let hub = Arc::new(Hub::new(metrics.clone(), ws.send_queue));
        let id = rand::random::<u32>() % 1_000_000_000;
        Self::assemble(apps, ws, metrics, hub, (id, Backends::memory(id)))
    }

    /// A node of a shared cluster. `connect` builds the backends once the hub exists (the broker
    /// delivers into it, the control channel acts on its sockets) and returns the id they registered.
    pub async fn clustered<F, Fut, E>(
        apps: Arc<Apps>,
        ws: WebSocketConfig,
        connect: F,
    ) -> Result<Self, E>
    where
        F: FnOnce(Arc<Metrics>, Deliver, HandleCommand) -> Fut,
        Fut: std::future::Future<Output = Result<(u32, Backends), E>>,
    {
        let metrics = Arc::new(Metrics::default());
        let hub = Arc::new(Hub::new(metrics.clone(), ws.send_queue));
        let deliver: Deliver = {
            let hub = hub.clone();
            Arc::new(move |envelope| hub.deliver(envelope))
        };
        let handle = command_handler(hub.clone());
        let joined = connect(metrics.clone(), deliver, handle).await?;
        Ok(Self::assemble(apps, ws, metrics, hub, joined))
    }

    fn assemble(
        apps: Arc<Apps>,
        ws: WebSocketConfig,
        metrics: Arc<Metrics>,
        hub: Arc<Hub>,
        (id, backends): (u32, Backends),
    ) -> Self {
        Self {
            id,
            next_seq: AtomicU64::new(1),
            apps,
            hub,
            backends,
            ws,
            metrics,
            limiter: Arc::new(MemoryRateLimiter::default()),
            nonces: Arc::new(MemoryNonceStore::default()),
            discovery: (
                DiscoveryConfig::default(),
                SocketAddr::from(([127, 0, 0, 1], 0)),
            ),
            sink: OnceLock::new(),
            webhooks: OnceLock::new(),
            debug: DebugEvents::default(),
            admin: OnceLock::new(),
            stale: AtomicBool::new(false),
            beating: AtomicBool::new(true),
            bus_up: AtomicBool::new(true),
        }
    }

    /// Whether this node reaches the cluster it belongs to: its last heartbeat got through and its
    /// broker is connected (always true for a node that is its own cluster).
    pub fn cluster_ready(&self) -> bool {
        !self.backends.shared
            || (self.beating.load(Ordering::Acquire) && self.bus_up.load(Ordering::Acquire))
    }

    /// Sends channel transitions, client events and cache misses to `sink`; the first call wins.
    pub fn set_event_sink(&self, sink: Arc<dyn EventSink>) {
        let _ = self.sink.set(sink);
    }

    /// Attaches app management (the store and its reloader); the first call wins.
    pub fn set_admin(&self, admin: Arc<AppAdmin>) {
        let _ = self.admin.set(admin);
    }

    /// App management, when this node has a store.
    pub fn admin(&self) -> Option<&Arc<AppAdmin>> {
        self.admin.get()
    }

    /// The debug stream the console watches; anything may emit into it.
    pub fn debug(&self) -> &DebugEvents {
        &self.debug
    }

    /// Closes every connection of an app that no longer exists, with 4001 (do not reconnect), on this
    /// node and on the others.
    pub async fn close_app(&self, id: &AppId) {
        close_app_locally(&self.hub, id);
        let command = Command::CloseApp { app: id.clone() };
        if self.backends.control.broadcast(&command).await.is_err() {
            self.backend_failed("control");
        }
    }

    /// Closes every local connection with `code`, at shutdown (4200: reconnect, to another node).
    pub fn close_all(&self, code: CloseCode) {
        self.hub
            .all_connections()
            .iter()
            .for_each(|c| c.close(code));
    }

    /// How many connections this node holds, across apps.
    pub fn local_connections(&self) -> usize {
        self.hub.all_connections().len()
    }

    /// Replaces the in-memory REST rate limiter (a shared one for a cluster; a hand-clocked one in tests).
    pub fn with_rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.limiter = limiter;
        self
    }

    /// Sets what `GET /discover` announces, and the listen address it falls back to.
    pub fn with_discovery(mut self, config: DiscoveryConfig, listen: SocketAddr) -> Self {
        self.discovery = (config, listen);
        self
    }

    /// Turns webhooks on: the service becomes the event sink; the first call wins.
    pub fn set_webhooks(&self, webhooks: Arc<Webhooks>) {
        webhooks.show_in(self.debug.clone());
        self.set_event_sink(webhooks.sink());
        let _ = self.webhooks.set(webhooks);
    }

    /// The webhook service, when webhooks are on.
    pub fn webhooks(&self) -> Option<&Arc<Webhooks>> {
        self.webhooks.get()
    }

    /// The event sink (one that wants nothing until one is set).
    fn sink(&self) -> &dyn EventSink {
        self.sink.get().map_or(&NoSink, |s| &**s)
    }

    /// Records the runtime WebSocket sessions run on; the first call wins.
    pub fn set_session_runtime(&self, handle: Handle) {
        self.hub.set_session_runtime(handle);
    }

    /// The runtime WebSocket sessions run on: the one `serve` was called on (the current one before).
    pub fn session_runtime(&self) -> Handle {
        self.hub.session_runtime()
    }

    /// This node's id, the first half of every socket id it hands out.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Replaces the in-memory store of signed-request nonces (a shared one for a cluster).
    pub fn with_nonce_store(mut self, nonces: Arc<dyn NonceStore>) -> Self {
        self.nonces = nonces;
        self
    }

    /// The REST rate limiter.
    pub fn rate_limiter(&self) -> &dyn RateLimiter {
        &*self.limiter
    }

    /// Where signed requests' nonces are remembered.
    pub fn nonce_store(&self) -> &dyn NonceStore {
        &*self.nonces
    }

    /// The discovery settings and the listen address.
    pub fn discovery(&self) -> (&DiscoveryConfig, SocketAddr) {
        (&self.discovery.0, self.discovery.1)
    }

    /// A fresh socket id.
    pub fn next_socket_id(&self) -> SocketId {
        SocketId::new(self.id, self.next_seq.fetch_add(1, Ordering::Relaxed))
    }

    /// The apps served.
    pub fn apps(&self) -> &Apps {
        &self.apps
    }

    /// WebSocket settings.
    pub fn ws_config(&self) -> &WebSocketConfig {
        &self.ws
    }

    /// Counters.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Whether this node shares its state with other nodes (Redis), rather than being its own cluster.
    pub fn is_clustered(&self) -> bool {
        self.backends.shared
    }

    /// One app's part of the local hub.
    fn app_hub(&self, app: &App) -> Arc<AppHub> {
        self.hub.app(&app.id)
    }

    /// Records a shared backend's failure: counted, logged, and the store is told again everything this
    /// node holds once it answers (see the upkeep).
    fn backend_failed(&self, what: &'static str) {
        self.metrics.cluster_error();
        self.stale.store(true, Ordering::Release);
        tracing::warn!(
            backend = what,
            "a cluster backend failed; local delivery goes on"
        );
    }
}

/// What a node does with the commands other nodes send it.
fn command_handler(hub: Arc<Hub>) -> HandleCommand {
    Arc::new(move |command| match command {
        Command::TerminateUser { app, user } => {
            terminate_locally(&hub, &app, &user);
        }
        Command::CloseApp { app } => close_app_locally(&hub, &app),
    })
}

/// Closes the local connections acting for `user` with 4009; returns how many.
fn terminate_locally(hub: &Hub, app: &AppId, user: &str) -> usize {
    let connections = hub.app(app).connections_of_user(user);
    connections
        .iter()
        .for_each(|c| c.close(CloseCode::Terminated));
    connections.len()
}

fn close_app_locally(hub: &Hub, app: &AppId) {
    let connections = hub.app(app).connections();
    connections
        .iter()
        .for_each(|c| c.close(CloseCode::AppNotFound));
}
