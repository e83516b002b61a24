//! Webhooks that never lose an event. The fan-out hands each event to [`WebhookSink`], which only
//! pushes it onto a bounded in-memory hand-off (never blocking; a full hand-off drops the event,
//! counted and logged). The [`writer`] task stores events in the durable [`WebhookQueue`] (SQLite in
//! the data directory; in a cluster, [`RedisQueue`], shared by every node, with each endpoint
//! delivered by the one node holding its [`Lease`]), applying the debounce; one [`dispatch`] task per endpoint sends batches,
//! signed, retrying with back-off until accepted, and dead-letters them past the give-up time or when
//! refused. The backlog lives on disk, capped per endpoint; `lattestream webhooks` and the
//! `/webhooks/dead_letters` endpoints list and replay the dead letters.
//!
//! A restart carries on where the last run stopped: pending batches are sent, held departures are
//! held again, and channels and members that were present when the process ended are reported gone
//! (held too, so clients that reconnect quickly cancel them).

pub mod cli;
#[cfg(test)]
mod cluster_tests;
#[cfg(test)]
mod conformance;
mod debounce;
mod dispatch;
mod endpoint;
mod lease;
mod metrics;
mod payload;
mod queue;
mod redis;
mod retry;
mod sqlite;
mod writer;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::AbortHandle;

pub use self::redis::RedisQueue;
pub use endpoint::{BadUrl, EndpointUrl, EventType, WebhookEndpoint};
pub use lease::{LEASE_TTL, Lease, RedisLease};
pub use metrics::{Backlog, Dropped, WebhookMetrics};
pub use queue::{
    Bury, DeadLetter, EndpointKey, EndpointStats, EventId, Failure, HeldEvent, LedgerOp, NewEvent,
    QueueError, Queued, Recovery, Resolution, WebhookQueue, Write,
};
pub use sqlite::SqliteQueue;

use crate::apps::{App, Apps, StoreUrl};
use crate::config::{Config, WebhooksConfig};
use crate::events::{EventSink, HubEvent};
use crate::protocol::{AppId, ChannelName};
use debounce::{Debouncer, Target};
use writer::{Emitted, Writer};

/// The queue's file in the data directory.
pub const QUEUE_FILE: &str = "webhooks.db";
/// How often backlog numbers are read back from the queue (they change in between by counting).
const STATS_EVERY: Duration = Duration::from_secs(2);

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| d.as_millis() as i64)
}

/// One endpoint's live numbers and the bell its dispatcher waits on.
#[derive(Default)]
pub struct EndpointState {
    wake: Notify,
    pending: AtomicU64,
    dead: AtomicU64,
    oldest_ms: AtomicI64,
}

impl EndpointState {
    fn set(&self, pending: u64, dead: u64, oldest_ms: Option<i64>) {
        self.pending.store(pending, Ordering::Relaxed);
        self.dead.store(dead, Ordering::Relaxed);
        self.oldest_ms
            .store(oldest_ms.unwrap_or(0), Ordering::Relaxed);
    }

    fn moved_to_dead(&self, events: u64, metrics: &WebhookMetrics) {
        self.pending.fetch_sub(
            events.min(self.pending.load(Ordering::Relaxed)),
            Ordering::Relaxed,
        );
        self.dead.fetch_add(events, Ordering::Relaxed);
        metrics.dead_lettered(events);
    }
}

/// What the writer, the dispatchers and the handlers share.
pub struct Shared {
    queue: Arc<dyn WebhookQueue>,
    apps: Arc<Apps>,
    config: WebhooksConfig,
    metrics: WebhookMetrics,
    client: reqwest::Client,
    endpoints: Mutex<HashMap<EndpointKey, Arc<EndpointState>>>,
    tasks: Mutex<Vec<AbortHandle>>,
    /// The node's debug stream, where the console sees each request sent or failed.
    debug: std::sync::OnceLock<crate::debug::DebugEvents>,
    /// In a cluster, who delivers each endpoint; `None` on a single node (it delivers everything).
    lease: Option<Arc<dyn Lease>>,
}

impl Shared {
    /// The endpoint's state, starting its dispatcher on first sight.
    fn endpoint(self: &Arc<Self>, key: &EndpointKey) -> Arc<EndpointState> {
        let mut endpoints = self.endpoints.lock();
        if let Some(state) = endpoints.get(key) {
            return state.clone();
        }
        let state = Arc::new(EndpointState::default());
        endpoints.insert(key.clone(), state.clone());
        let task = tokio::spawn(dispatch::run(self.clone(), key.clone(), state.clone()));
        self.tasks.lock().push(task.abort_handle());
        state
    }

    /// The URLs of `app`'s endpoints that want `event` and have room in their backlog.
    fn urls_for(self: &Arc<Self>, app: &AppId, event: &HubEvent) -> Vec<Arc<str>> {
        let Some(found) = self.apps.by_id(app.as_str()) else {
            return Vec::new();
        };
        let wanting = found.settings.webhooks.iter().filter(|e| e.wants(event));
        wanting
            .map(|e| EndpointKey {
                app: app.clone(),
                url: e.url.as_str().into(),
            })
            .filter(|key| self.has_room(key))
            .map(|key| key.url)
            .collect()
    }

    fn has_room(self: &Arc<Self>, key: &EndpointKey) -> bool {
        let state = self.endpoint(key);
        let used = state.pending.load(Ordering::Relaxed) + state.dead.load(Ordering::Relaxed);
        if used < self.config.backlog_cap {
            return true;
        }
        let before = self.metrics.dropped(Dropped::BacklogCap, 1);
        if before.is_multiple_of(10_000) {
            let url = endpoint::redacted(&key.url);
            tracing::error!(app = %key.app, %url, cap = self.config.backlog_cap, dropped = before + 1,
                "webhook backlog at its cap; new events for this endpoint are dropped");
        }
        false
    }

    /// After a writer step: counts the new rows and wakes the dispatchers concerned.
    fn stored(self: &Arc<Self>, rows: &[(AppId, Vec<Arc<str>>)], apps: &[AppId], released: bool) {
        for (app, urls) in rows {
            for url in urls {
                let key = EndpointKey {
                    app: app.clone(),
                    url: url.clone(),
                };
                self.endpoint(&key).pending.fetch_add(1, Ordering::Relaxed);
            }
        }
        let endpoints = self.endpoints.lock();
        let woken = endpoints
            .iter()
            .filter(|(k, _)| released || apps.contains(&k.app));
        woken.for_each(|(_, state)| state.wake.notify_one());
    }

    /// The app and endpoint configuration behind a key, while it is configured.
    fn endpoint_config(&self, key: &EndpointKey) -> Option<(Arc<App>, WebhookEndpoint)> {
        let app = self.apps.by_id(key.app.as_str())?;
        let endpoint = app
            .settings
            .webhooks
            .iter()
            .find(|e| e.url.as_str() == &*key.url)?
            .clone();
        Some((app, endpoint))
    }

    /// Reads the backlog numbers back from the queue, starting dispatchers for endpoints found there
    /// (endpoints it no longer lists have nothing left).
    async fn refresh(self: &Arc<Self>) -> Result<(), QueueError> {
        let stats = self.queue.stats().await?;
        let listed: Vec<&EndpointKey> = stats.iter().map(|s| &s.key).collect();
        for (key, state) in self.endpoints.lock().iter() {
            if !listed.contains(&key) {
                state.set(0, 0, None);
            }
        }
        for stats in stats {
            let state = self.endpoint(&stats.key);
            state.set(stats.pending, stats.dead, stats.oldest_ms);
            if stats.pending > 0 {
                state.wake.notify_one();
            }
        }
        Ok(())
    }

    fn backlog(&self) -> Backlog {
        let endpoints = self.endpoints.lock();
        let mut backlog = Backlog::default();
        for state in endpoints.values() {
            let pending = state.pending.load(Ordering::Relaxed);
            backlog.pending += pending;
            backlog.dead += state.dead.load(Ordering::Relaxed);
            let oldest = state.oldest_ms.load(Ordering::Relaxed);
            if pending > 0 && oldest > 0 {
                backlog.oldest_ms = Some(backlog.oldest_ms.map_or(oldest, |o| o.min(oldest)));
            }
        }
        backlog
    }
}

/// The fan-out's end of the hand-off.
pub struct WebhookSink {
    handoff: mpsc::Sender<Emitted>,
    shared: Arc<Shared>,
}

impl EventSink for WebhookSink {
    fn wants(&self, app: &App) -> bool {
        !app.settings.webhooks.is_empty()
    }

    fn emit(&self, app: &App, event: HubEvent) {
        let hooks = &app.settings.webhooks;
        // Occupancy and membership always go to the writer (the debounce and the ledger need them);
        // the rest only when an endpoint wants it.
        let needed = matches!(
            event,
            HubEvent::ChannelOccupied(_)
                | HubEvent::ChannelVacated(_)
                | HubEvent::MemberAdded(..)
                | HubEvent::MemberRemoved(..)
        );
        if hooks.is_empty() || !needed && !hooks.iter().any(|e| e.wants(&event)) {
            return;
        }
        let emitted = Emitted {
            app: app.id.clone(),
            event,
            at_ms: now_ms(),
        };
        if self.handoff.try_send(emitted).is_err() {
            let before = self.shared.metrics.dropped(Dropped::HandoffFull, 1);
            if before.is_multiple_of(10_000) {
                tracing::error!(app = %app.id, dropped = before + 1, capacity = self.shared.config.handoff,
                    "webhook hand-off full (the disk writer is behind); events dropped");
            }
        }
    }
}

/// The running webhook service.
pub struct Webhooks {
    shared: Arc<Shared>,
    sink: Arc<WebhookSink>,
    flushes: mpsc::Sender<oneshot::Sender<()>>,
}

impl Webhooks {
    /// Shows every request sent or failed on the node's debug stream (the console); the first call wins.
    pub fn show_in(&self, debug: crate::debug::DebugEvents) {
        let _ = self.shared.debug.set(debug);
    }
}

/// Why the webhook service could not start.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The HTTP client could not be built.
    #[error("webhook HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// Starts webhooks for `apps` unless nothing could ever use them: no app has an endpoint, the apps
/// cannot change while running (only the configuration's, over an in-memory store), and the data
/// directory has no queue (whose pending events and dead letters must not be forgotten).
pub async fn start_for(
    config: &Config,
    apps: Arc<Apps>,
) -> Result<Option<Arc<Webhooks>>, WebhookError> {
    let path = config.data_dir.join(QUEUE_FILE);
    let configured = apps.all().iter().any(|a| !a.settings.webhooks.is_empty());
    let url = config.database_url.as_ref().map(|u| u.expose());
    let fixed = matches!(StoreUrl::parse(url, &config.data_dir), Ok(StoreUrl::Memory));
    if !configured && fixed && !path.exists() {
        return Ok(None);
    }
    let queue = Arc::new(SqliteQueue::open(&path)?);
    Ok(Some(
        Webhooks::start(config.webhooks.clone(), queue, apps).await?,
    ))
}

/// Starts webhooks for a node of a cluster: the queue is the cluster's, in `redis`, and each endpoint
/// is delivered by the one node holding its lease (this node is `node`, unique in the cluster).
/// Always starts: the cluster's queue may hold events whatever this node's apps say. `Option` only to
/// match [`start_for`].
pub async fn start_clustered(
    config: &Config,
    apps: Arc<Apps>,
    redis: crate::redis::Redis,
    node: u32,
) -> Result<Option<Arc<Webhooks>>, WebhookError> {
    let queue = Arc::new(RedisQueue::new(redis.clone()));
    let lease = Arc::new(RedisLease::new(redis, node, LEASE_TTL));
    let config = config.webhooks.clone();
    Ok(Some(
        Webhooks::start_with(config, queue, apps, Some(lease)).await?,
    ))
}

impl Webhooks {
    /// Starts the writer and the dispatchers of a single node over `queue`, carrying on from what it
    /// holds.
    pub async fn start(
        config: WebhooksConfig,
        queue: Arc<dyn WebhookQueue>,
        apps: Arc<Apps>,
    ) -> Result<Arc<Self>, WebhookError> {
        Self::start_with(config, queue, apps, None).await
    }

    /// Starts over `queue`; with a `lease`, as one node of a cluster sharing `queue`: an endpoint is
    /// delivered only while this node holds its lease, and the channels and members the queue's
    /// ledger lists are not reported gone (in a cluster the presence store reports a dead node's
    /// departures; another node starting must not).
    pub async fn start_with(
        mut config: WebhooksConfig,
        queue: Arc<dyn WebhookQueue>,
        apps: Arc<Apps>,
        lease: Option<Arc<dyn Lease>>,
    ) -> Result<Arc<Self>, WebhookError> {
        config.max_batch = config.max_batch.max(1);
        let mut recovery = queue.recovery().await?;
        if lease.is_some() {
            recovery.present.clear();
        }
        let (handoff, handoff_rx) = mpsc::channel(config.handoff.max(1));
        let (flushes, flushes_rx) = mpsc::channel(4);
        let shared = Arc::new(Shared {
            client: http_client(&config)?,
            queue,
            apps,
            metrics: WebhookMetrics::default(),
            endpoints: Mutex::new(HashMap::new()),
            tasks: Mutex::new(Vec::new()),
            debug: std::sync::OnceLock::new(),
            lease,
            config,
        });
        shared.refresh().await?;
        for app in shared.apps.all() {
            for e in &app.settings.webhooks {
                shared.endpoint(&EndpointKey {
                    app: app.id.clone(),
                    url: e.url.as_str().into(),
                });
            }
        }
        let (debounce, first) = resume(&shared.config, recovery);
        let writer = Writer::new(shared.clone(), handoff_rx, flushes_rx, debounce);
        let tasks = [
            tokio::spawn(writer.run(first)).abort_handle(),
            tokio::spawn(refresh_loop(shared.clone())).abort_handle(),
        ];
        shared.tasks.lock().extend(tasks);
        let sink = Arc::new(WebhookSink {
            handoff,
            shared: shared.clone(),
        });
        Ok(Arc::new(Self {
            shared,
            sink,
            flushes,
        }))
    }

    /// The sink the node feeds.
    pub fn sink(&self) -> Arc<dyn EventSink> {
        self.sink.clone()
    }

    /// The `/metrics` rows.
    pub fn render_metrics(&self) -> String {
        self.shared.metrics.render(self.shared.backlog(), now_ms())
    }

    /// The counters.
    pub fn metrics(&self) -> &WebhookMetrics {
        &self.shared.metrics
    }

    /// The backlog's size and age.
    pub fn backlog(&self) -> Backlog {
        self.shared.backlog()
    }

    /// Dead letters of `app`, oldest first, after id `after`, at most `limit`.
    pub async fn dead_letters(
        &self,
        app: &AppId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        self.shared
            .queue
            .dead_letters(Some(app), after, limit)
            .await
    }

    /// Replays or discards `app`'s dead letters (all when `ids` is `None`); returns the events moved.
    pub async fn resolve(
        &self,
        app: &AppId,
        ids: Option<&[i64]>,
        resolution: Resolution,
    ) -> Result<u64, QueueError> {
        let moved = self
            .shared
            .queue
            .resolve(Some(app), ids, resolution)
            .await?;
        self.shared.refresh().await?;
        Ok(moved)
    }

    /// Stores everything the hand-off holds now (at shutdown, after the sessions ended).
    pub async fn flush(&self) {
        let (reply, done) = oneshot::channel();
        if self.flushes.send(reply).await.is_ok() {
            let _ = done.await;
        }
    }

    /// Stops the writer and the dispatchers (a batch in flight is sent again by the next run).
    pub fn stop(&self) {
        self.shared.tasks.lock().drain(..).for_each(|t| t.abort());
    }

    /// In a cluster, after [`Webhooks::stop`]: gives up this node's endpoint leases, so other nodes
    /// deliver them at once rather than after [`LEASE_TTL`]. Does nothing on a single node.
    pub async fn release_leases(&self) {
        let Some(lease) = &self.shared.lease else {
            return;
        };
        let keys: Vec<EndpointKey> = self.shared.endpoints.lock().keys().cloned().collect();
        for key in keys {
            lease.release(&key).await;
        }
    }
}

/// The client every dispatcher shares: the request timeout, no redirects (a 3xx is a refusal), TLS by
/// rustls with its default provider.
fn http_client(config: &WebhooksConfig) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(config.request_timeout)
        .connect_timeout(config.request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("LatteStream-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

async fn refresh_loop(shared: Arc<Shared>) {
    loop {
        tokio::time::sleep(STATS_EVERY).await;
        if let Err(error) = shared.refresh().await {
            tracing::warn!(%error, "webhook queue stats failed");
        }
    }
}

/// What a start picks up from the last run: its held departures, held again for the full delay,
/// and the departures its end caused (every channel and member still present), as events of now.
fn resume(config: &WebhooksConfig, recovery: Recovery) -> (Debouncer, Vec<Emitted>) {
    let mut debounce = Debouncer::new(config.debounce);
    let ready = now_ms() + config.debounce.as_millis() as i64;
    for held in recovery.held {
        if let Some(key) = hold_key(&held) {
            debounce.hold(key, ready, Target::Stored(held.id));
        }
    }
    (debounce, departures(recovery.present))
}

/// The hold key of a stored departure, from its JSON.
fn hold_key(held: &HeldEvent) -> Option<debounce::HoldKey> {
    #[derive(serde::Deserialize)]
    struct Head {
        channel: String,
        user_id: Option<String>,
    }
    let head: Head = serde_json::from_str(&held.body).ok()?;
    Some((held.app.clone(), head.channel, head.user_id.map(Into::into)))
}

/// Member removed for every present member, then vacated for every present channel.
fn departures(present: Vec<(AppId, String, Option<String>)>) -> Vec<Emitted> {
    let at_ms = now_ms();
    let emitted = |app: &AppId, event| Emitted {
        app: app.clone(),
        event,
        at_ms,
    };
    let mut members = Vec::new();
    let mut channels = Vec::new();
    for (app, channel, user) in present {
        let Ok(channel) = ChannelName::parse(&channel) else {
            continue;
        };
        match user {
            Some(user) => {
                members.push(emitted(&app, HubEvent::MemberRemoved(channel, user.into())))
            }
            None => channels.push(emitted(&app, HubEvent::ChannelVacated(channel))),
        }
    }
    members.extend(channels);
    members
}
