//! The core every handler calls: it owns the apps, the hub of local sockets and the settings, and gives
//! connections their ids. HTTP and WebSocket code stay thin by going through here.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use tokio::runtime::Handle;

use crate::admin::AppAdmin;
use crate::apps::{App, Apps};
use crate::auth::{MemoryNonceStore, NonceStore};
use crate::config::{DiscoveryConfig, WebSocketConfig};
use crate::debug::{DebugEvent, DebugEvents};
use crate::events::{EventSink, HubEvent, NoSink};
use crate::hub::{AppHub, Connection, Hub, MemberData, PresenceFull, Transition, Woken};
use crate::metrics::Metrics;
use crate::protocol::{AppId, ChannelName, CloseCode, Event, SocketId};
use crate::ratelimit::{MemoryRateLimiter, RateLimiter};
use crate::webhooks::Webhooks;

/// Subscribers one task writes an event to when a publish is spread over the session runtime: small
/// enough that every worker gets a part of a 1,000-subscriber fan-out, large enough that spawning
/// the tasks costs little next to the writes.
const RING_PART: usize = 128;

/// One server process.
pub struct Node {
    id: u32,
    next_seq: AtomicU64,
    apps: Arc<Apps>,
    hub: Hub,
    ws: WebSocketConfig,
    metrics: Arc<Metrics>,
    limiter: Arc<dyn RateLimiter>,
    nonces: Arc<dyn NonceStore>,
    discovery: (DiscoveryConfig, SocketAddr),
    /// Where transitions, client events and cache misses go (webhooks, when on), set by `start`.
    sink: OnceLock<Arc<dyn EventSink>>,
    /// The webhook service, when webhooks are on (its dead letters are reached through here).
    webhooks: OnceLock<Arc<Webhooks>>,
    /// The runtime WebSocket sessions run on, set by `serve`.
    sessions: OnceLock<Handle>,
    /// What the console watches.
    debug: DebugEvents,
    /// App management over the store, set by `start` (absent for a node built by hand).
    admin: OnceLock<Arc<AppAdmin>>,
}

impl Node {
    /// A node serving `apps` with the given WebSocket settings; its id is random so socket ids stay
    /// unique across a cluster.
    pub fn new(apps: Arc<Apps>, ws: WebSocketConfig) -> Self {
        let metrics = Arc::new(Metrics::default());
        let id = rand::random::<u32>() % 1_000_000_000;
        Self {
            id,
            next_seq: AtomicU64::new(1),
            apps,
            hub: Hub::new(metrics.clone(), ws.send_queue),
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
            sessions: OnceLock::new(),
            debug: DebugEvents::default(),
            admin: OnceLock::new(),
        }
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

    /// Closes every local connection of an app that no longer exists, with 4001 (do not reconnect).
    pub fn close_app(&self, id: &AppId) {
        let connections = self.hub.app(id).connections();
        connections
            .iter()
            .for_each(|c| c.close(CloseCode::AppNotFound));
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
        let _ = self.sessions.set(handle);
    }

    /// The runtime WebSocket sessions run on: the one `serve` was called on (the current one before).
    pub fn session_runtime(&self) -> Handle {
        self.sessions.get().cloned().unwrap_or_else(Handle::current)
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

    /// The local hub.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// One app's part of the hub.
    pub fn app_hub(&self, app: &App) -> Arc<AppHub> {
        self.hub.app(&app.id)
    }

    /// WebSocket settings.
    pub fn ws_config(&self) -> &WebSocketConfig {
        &self.ws
    }

    /// Counters.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Publishes an event to the channel's subscribers except `except`; returns how many got it.
    /// Server events (from the REST APIs) on cache channels are remembered for later subscribers.
    /// While the channel's slowest subscriber is far behind, it first waits for it (see
    /// [`crate::hub::ChannelLog::wait_for_room`]), so REST publishers go no faster than events are delivered.
    pub async fn publish(&self, app: &App, event: &Event, except: Option<SocketId>) -> usize {
        let hub = self.app_hub(app);
        if let Some(log) = hub.log(&event.channel) {
            log.wait_for_room(self.ws.write_timeout).await;
        }
        hub.cache().remember(event);
        let (delivered, woken) = hub.publish(event, except);
        self.ring(woken);
        self.metrics.published(delivered);
        self.debug.emit(|| DebugEvent::api(app, event, delivered));
        delivered
    }

    /// Hands an event to the subscribers a publish found waiting, off the caller's thread when there
    /// are many. Written directly, they are split into parts of [`RING_PART`], each written by a
    /// task on the session runtime, so every core writes and the REST answer waits for none of them.
    /// Rung, one task on the session runtime wakes them all, where each wake is a push onto a local
    /// queue rather than a cross-thread hand-off.
    fn ring(&self, woken: Woken) {
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

    /// Relays a client event to the channel's other subscribers; unlike [`Node::publish`] it is never
    /// cached, as in Pusher, where only server events fill a cache channel. The event sink hears it.
    pub fn relay(&self, app: &App, event: &Event, sender: SocketId) -> usize {
        let (delivered, woken) = self.app_hub(app).publish(event, Some(sender));
        self.ring(woken);
        self.metrics.client_event();
        self.debug.emit(|| DebugEvent::client(app, event));
        if self.sink().wants(app) {
            self.sink().emit(app, HubEvent::client_event(event, sender));
        }
        delivered
    }

    /// Subscribes a connection (see [`AppHub::subscribe`]); the event sink hears what changed.
    pub fn subscribe(
        &self,
        app: &App,
        conn: &Arc<Connection>,
        channel: &ChannelName,
        member: Option<MemberData>,
    ) -> Result<Transition, PresenceFull> {
        let limits = (
            app.settings.subscription_count_events,
            app.settings.max_presence_members,
        );
        let report = |t: &Transition| self.report(app, t);
        self.app_hub(app)
            .subscribe(conn, channel, member, limits, report)
    }

    /// Unsubscribes a connection (see [`AppHub::unsubscribe`]); the event sink hears what changed.
    pub fn unsubscribe(&self, app: &App, socket_id: SocketId, channel: &ChannelName) -> Transition {
        let counts = app.settings.subscription_count_events;
        let report = |t: &Transition| self.report(app, t);
        self.app_hub(app)
            .unsubscribe(socket_id, channel, counts, report)
    }

    fn report(&self, app: &App, transition: &Transition) {
        let sink = self.sink();
        if !sink.wants(app) {
            return;
        }
        for event in HubEvent::from_transition(transition) {
            sink.emit(app, event);
        }
    }

    /// Closes every local connection acting for `user` with 4009, at the app's server's request;
    /// returns how many were asked to close.
    pub fn terminate_user(&self, app: &App, user: &str) -> usize {
        let connections = self.app_hub(app).connections_of_user(user);
        connections
            .iter()
            .for_each(|c| c.close(CloseCode::Terminated));
        connections.len()
    }
}
