//! The durable webhook queue behind a small trait: what the writer stores, what each endpoint's
//! dispatcher takes and settles, and the dead-letter list. SQLite in the data directory implements it
//! ([`super::SqliteQueue`]) for a single node; a cluster shares one in Redis ([`super::RedisQueue`]).
//!
//! Rows are kept per endpoint, in the order of their event ids (given by the store, increasing). A row
//! is *held* while its debounce delay runs: it and every later row of its channel wait, so a channel's
//! events reach the receiver in order.

use std::sync::Arc;

use crate::protocol::AppId;

/// An event's place in the queue; increasing in the order events were stored.
pub type EventId = i64;

/// An app's endpoint, as the queue knows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EndpointKey {
    /// The app.
    pub app: AppId,
    /// The endpoint's URL.
    pub url: Arc<str>,
}

/// One event to store.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The app it belongs to.
    pub app: AppId,
    /// Its channel.
    pub channel: String,
    /// Its type's wire name.
    pub name: &'static str,
    /// The event's JSON object.
    pub body: String,
    /// When it happened, ms since the epoch.
    pub at_ms: i64,
    /// Whether it starts held (a departure waiting out the debounce delay).
    pub held: bool,
    /// The member's user id (member events): with the app and channel it names what a held
    /// departure and its return are about, so a cluster's queue can match a return that another
    /// node saw (the SQLite queue, one node's, ignores it).
    pub user: Option<Arc<str>>,
    /// The URLs of the app's endpoints that want it.
    pub urls: Vec<Arc<str>>,
}

/// A change to the record of occupied channels and present members, kept so that a restart can
/// report the departures that a crash made happen without anyone seeing them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerOp {
    /// The channel (user `None`) or member became present.
    Present(AppId, String, Option<String>),
    /// The channel or member went away.
    Gone(AppId, String, Option<String>),
}

/// One writer step, applied atomically.
#[derive(Debug, Clone, Default)]
pub struct Write {
    /// New events, given ids in this order.
    pub events: Vec<NewEvent>,
    /// Held events whose return came within the delay: removed with all their rows.
    pub cancel: Vec<EventId>,
    /// Held events whose delay ran out: released for delivery.
    pub release: Vec<EventId>,
    /// Ledger changes, in order.
    pub ledger: Vec<LedgerOp>,
}

/// A stored event as a dispatcher takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// Its id.
    pub id: EventId,
    /// Its channel.
    pub channel: String,
    /// Its type's wire name.
    pub name: String,
    /// When it happened (or was replayed), ms since the epoch.
    pub at_ms: i64,
    /// The event's JSON object.
    pub body: String,
}

/// Why a batch was given up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What went wrong last, in words (never a secret).
    pub reason: String,
    /// The last HTTP status, if there was an answer.
    pub status: Option<u16>,
    /// Attempts made.
    pub attempts: u32,
}

/// What to move to the dead-letter list.
#[derive(Debug, Clone)]
pub enum Bury {
    /// These events, as one entry.
    Events(Vec<EventId>),
    /// Every released event that happened before this time (ms), in entries of at most `usize`.
    OlderThan(i64, usize),
}

/// A batch that was given up, as operators list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// Its id, for replay or discard.
    pub id: i64,
    /// The app.
    pub app: AppId,
    /// The endpoint's URL.
    pub url: String,
    /// When it was given up, ms since the epoch.
    pub dead_ms: i64,
    /// Why.
    pub failure: Failure,
    /// The events, a JSON array of event objects.
    pub events: String,
    /// How many events.
    pub count: u64,
}

/// What to do with dead letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Queue their events again (behind what is pending), for the same endpoint.
    Replay,
    /// Delete them.
    Discard,
}

/// One endpoint's numbers, for metrics and the backlog cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointStats {
    /// The endpoint.
    pub key: EndpointKey,
    /// Events waiting (held ones included).
    pub pending: u64,
    /// Events in the dead-letter list.
    pub dead: u64,
    /// When the oldest waiting event happened, ms since the epoch.
    pub oldest_ms: Option<i64>,
}

/// A held event found at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldEvent {
    /// Its id.
    pub id: EventId,
    /// The app.
    pub app: AppId,
    /// The event's JSON object (names its type, channel and user).
    pub body: String,
}

/// What a start needs to carry on where the last run stopped.
#[derive(Debug, Default)]
pub struct Recovery {
    /// Events still held when the last run ended.
    pub held: Vec<HeldEvent>,
    /// Channels (user `None`) and members present when the last run ended, in order.
    pub present: Vec<(AppId, String, Option<String>)>,
}

/// Why the queue failed.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// SQLite said no.
    #[error("webhook queue: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored dead letter could not be read back.
    #[error("webhook queue: corrupt dead letter: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// The blocking task died.
    #[error("webhook queue task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    /// The data directory could not be created.
    #[error("webhook queue directory: {0}")]
    Io(#[from] std::io::Error),
    /// Redis (the cluster's queue) failed or did not answer in time.
    #[error("webhook queue: {0}")]
    Redis(#[from] crate::redis::CallError),
}

/// The durable queue. Every method is atomic; none is called on the WebSocket fan-out path.
#[async_trait::async_trait]
pub trait WebhookQueue: Send + Sync {
    /// Applies one writer step in one transaction; returns the ids given to `write.events`.
    async fn write(&self, write: Write) -> Result<Vec<EventId>, QueueError>;
    /// Up to `max` deliverable events of `endpoint`, oldest first: not held, and not behind a held
    /// event of the same channel.
    async fn take(&self, endpoint: &EndpointKey, max: usize) -> Result<Vec<Queued>, QueueError>;
    /// The events were delivered: forget them.
    async fn ack(&self, endpoint: &EndpointKey, ids: &[EventId]) -> Result<(), QueueError>;
    /// Moves events to the dead-letter list; returns how many events moved.
    async fn bury(
        &self,
        endpoint: &EndpointKey,
        what: Bury,
        failure: &Failure,
    ) -> Result<u64, QueueError>;
    /// Dead letters of `app` (every app when `None`), oldest first, after id `after`, at most `limit`.
    async fn dead_letters(
        &self,
        app: Option<&AppId>,
        after: i64,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, QueueError>;
    /// Replays or discards dead letters of `app` (every app when `None`): those with the given ids, or
    /// all when `ids` is `None`. Returns how many events were replayed or discarded.
    async fn resolve(
        &self,
        app: Option<&AppId>,
        ids: Option<&[i64]>,
        resolution: Resolution,
    ) -> Result<u64, QueueError>;
    /// Every endpoint with pending or dead events, with its numbers.
    async fn stats(&self) -> Result<Vec<EndpointStats>, QueueError>;
    /// What the last run left held or present (read at start, before anything is written).
    async fn recovery(&self) -> Result<Recovery, QueueError>;
}
