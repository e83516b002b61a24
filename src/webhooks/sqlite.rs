//! The webhook queue in SQLite: `webhooks.db` in the data directory, WAL, `synchronous=NORMAL` (a
//! committed event survives the process being killed; only an operating-system crash or power loss can
//! take the last commits). Other processes (the `lattestream webhooks` command) may open it at the
//! same time: writes take the lock up front and wait up to five seconds for it.

use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::queue::{
    Bury, DeadLetter, EndpointKey, EndpointStats, EventId, Failure, HeldEvent, LedgerOp,
    QueueError, Queued, Recovery, Resolution, WebhookQueue, Write,
};
use crate::protocol::AppId;

const SCHEMA: &str = "
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE IF NOT EXISTS webhook_seq (one INTEGER PRIMARY KEY CHECK (one = 1), next INTEGER NOT NULL);
INSERT OR IGNORE INTO webhook_seq VALUES (1, 1);
CREATE TABLE IF NOT EXISTS webhook_queue (
  app TEXT NOT NULL, url TEXT NOT NULL, event INTEGER NOT NULL, channel TEXT NOT NULL,
  name TEXT NOT NULL, held INTEGER NOT NULL, at_ms INTEGER NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (app, url, event)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS webhook_queue_event ON webhook_queue (event);
CREATE TABLE IF NOT EXISTS webhook_dead (
  id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT NOT NULL, url TEXT NOT NULL, dead_ms INTEGER NOT NULL,
  reason TEXT NOT NULL, status INTEGER, attempts INTEGER NOT NULL, count INTEGER NOT NULL,
  events TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS webhook_dead_app ON webhook_dead (app, id);
CREATE TABLE IF NOT EXISTS webhook_ledger (
  app TEXT NOT NULL, channel TEXT NOT NULL, user TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (app, channel, user)) WITHOUT ROWID;
";

/// How many rows one `take` looks at to find a batch past held channels.
const SCAN_FLOOR: usize = 1000;

/// The webhook queue in one SQLite file.
pub struct SqliteQueue {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteQueue {
    /// Opens (creating if needed) the queue at `path`.
    pub fn open(path: &Path) -> Result<Self, QueueError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `work` in one immediate transaction on a blocking thread.
    async fn transaction<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, QueueError> + Send + 'static,
    ) -> Result<T, QueueError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock();
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let value = work(&tx)?;
            tx.commit()?;
            Ok(value)
        })
        .await?
    }
}

/// Takes `n` consecutive event ids.
fn allocate(tx: &Transaction<'_>, n: usize) -> Result<EventId, QueueError> {
    let n = n as i64;
    let next: i64 = tx.query_row(
        "UPDATE webhook_seq SET next = next + ?1 RETURNING next - ?1",
        [n],
        |r| r.get(0),
    )?;
    Ok(next)
}

fn insert_events(tx: &Transaction<'_>, write: &Write) -> Result<Vec<EventId>, QueueError> {
    let first = allocate(tx, write.events.len())?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO webhook_queue (app, url, event, channel, name, held, at_ms, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut ids = Vec::with_capacity(write.events.len());
    for (i, e) in write.events.iter().enumerate() {
        let id = first + i as i64;
        for url in &e.urls {
            let app = e.app.as_str();
            insert.execute(params![
                app, &**url, id, e.channel, e.name, e.held, e.at_ms, e.body
            ])?;
        }
        ids.push(id);
    }
    Ok(ids)
}

fn apply_ledger(tx: &Transaction<'_>, ops: &[LedgerOp]) -> Result<(), QueueError> {
    let mut present = tx.prepare_cached(
        "INSERT OR IGNORE INTO webhook_ledger (app, channel, user, seq)
         VALUES (?1, ?2, ?3, (SELECT next FROM webhook_seq))",
    )?;
    let mut gone = tx.prepare_cached(
        "DELETE FROM webhook_ledger WHERE app = ?1 AND channel = ?2 AND user = ?3",
    )?;
    for op in ops {
        match op {
            LedgerOp::Present(app, ch, user) => {
                present.execute(params![app.as_str(), ch, user.as_deref().unwrap_or("")])?
            }
            LedgerOp::Gone(app, ch, user) => {
                gone.execute(params![app.as_str(), ch, user.as_deref().unwrap_or("")])?
            }
        };
    }
    Ok(())
}

fn settle_held(tx: &Transaction<'_>, write: &Write) -> Result<(), QueueError> {
    let mut cancel = tx.prepare_cached("DELETE FROM webhook_queue WHERE event = ?1")?;
    for id in &write.cancel {
        cancel.execute([id])?;
    }
    let mut release = tx.prepare_cached("UPDATE webhook_queue SET held = 0 WHERE event = ?1")?;
    for id in &write.release {
        release.execute([id])?;
    }
    Ok(())
}

/// The first `scan` rows of an endpoint, and which of them may go now.
fn deliverable(
    tx: &Transaction<'_>,
    key: &EndpointKey,
    max: usize,
) -> Result<Vec<Queued>, QueueError> {
    let scan = (max * 10).max(SCAN_FLOOR) as i64;
    let mut stmt = tx.prepare_cached(
        "SELECT event, channel, name, held, at_ms, body FROM webhook_queue
         WHERE app = ?1 AND url = ?2 ORDER BY event LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![key.app.as_str(), &*key.url, scan], |r| {
        let queued = Queued {
            id: r.get(0)?,
            channel: r.get(1)?,
            name: r.get(2)?,
            at_ms: r.get(4)?,
            body: r.get(5)?,
        };
        Ok((queued, r.get::<_, bool>(3)?))
    })?;
    let mut blocked = std::collections::HashSet::new();
    let mut batch = Vec::new();
    for row in rows {
        let (queued, held) = row?;
        if held || blocked.contains(&queued.channel) {
            blocked.insert(queued.channel);
            continue;
        }
        batch.push(queued);
        if batch.len() == max {
            break;
        }
    }
    Ok(batch)
}

/// Moves the given rows of an endpoint into one dead letter; returns how many moved.
fn bury_ids(
    tx: &Transaction<'_>,
    key: &EndpointKey,
    ids: &[EventId],
    failure: &Failure,
) -> Result<u64, QueueError> {
    let mut read = tx.prepare_cached(
        "DELETE FROM webhook_queue WHERE app = ?1 AND url = ?2 AND event = ?3 RETURNING body",
    )?;
    let mut bodies = Vec::with_capacity(ids.len());
    for id in ids {
        let body: Option<String> = read
            .query_row(params![key.app.as_str(), &*key.url, id], |r| r.get(0))
            .optional()?;
        bodies.extend(body);
    }
    if bodies.is_empty() {
        return Ok(0);
    }
    let events = format!("[{}]", bodies.join(","));
    tx.execute(
        "INSERT INTO webhook_dead (app, url, dead_ms, reason, status, attempts, count, events)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            key.app.as_str(),
            &*key.url,
            super::now_ms(),
            failure.reason,
            failure.status,
            failure.attempts,
            bodies.len() as i64,
            events
        ],
    )?;
    Ok(bodies.len() as u64)
}

/// Buries every released row that happened before `before`, in entries of at most `chunk`.
fn bury_older(
    tx: &Transaction<'_>,
    key: &EndpointKey,
    before: i64,
    chunk: usize,
    failure: &Failure,
) -> Result<u64, QueueError> {
    let ids: Vec<EventId> = tx
        .prepare_cached(
            "SELECT event FROM webhook_queue WHERE app = ?1 AND url = ?2 AND held = 0 AND at_ms < ?3
             ORDER BY event",
        )?
        .query_map(params![key.app.as_str(), &*key.url, before], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut moved = 0;
    for part in ids.chunks(chunk.max(1)) {
        moved += bury_ids(tx, key, part, failure)?;
    }
    Ok(moved)
}

fn read_dead(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeadLetter> {
    Ok(DeadLetter {
        id: r.get(0)?,
        app: stored_app(r.get(1)?),
        url: r.get(2)?,
        dead_ms: r.get(3)?,
        failure: Failure {
            reason: r.get(4)?,
            status: r.get(5)?,
            attempts: r.get(6)?,
        },
        count: r.get::<_, i64>(7)? as u64,
        events: r.get(8)?,
    })
}

/// The dead letters a resolution applies to.
fn chosen(
    tx: &Transaction<'_>,
    app: Option<&str>,
    ids: Option<&[i64]>,
) -> Result<Vec<DeadLetter>, QueueError> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, app, url, dead_ms, reason, status, attempts, count, events FROM webhook_dead
         WHERE (?1 IS NULL OR app = ?1) ORDER BY id",
    )?;
    let all = stmt.query_map(params![app], read_dead)?;
    let mut out = Vec::new();
    for dead in all {
        let dead = dead?;
        if ids.is_none_or(|ids| ids.contains(&dead.id)) {
            out.push(dead);
        }
    }
    Ok(out)
}

/// Queues a dead letter's events again for its endpoint, as events that happen now.
fn requeue(tx: &Transaction<'_>, dead: &DeadLetter) -> Result<(), QueueError> {
    #[derive(serde::Deserialize)]
    struct Head {
        name: String,
        channel: String,
    }
    let events: Vec<Box<serde_json::value::RawValue>> = serde_json::from_str(&dead.events)?;
    let first = allocate(tx, events.len())?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO webhook_queue (app, url, event, channel, name, held, at_ms, body)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7)",
    )?;
    let now = super::now_ms();
    for (i, event) in events.iter().enumerate() {
        let head: Head = serde_json::from_str(event.get())?;
        let (app, id) = (dead.app.as_str(), first + i as i64);
        insert.execute(params![
            app,
            dead.url,
            id,
            head.channel,
            head.name,
            now,
            event.get()
        ])?;
    }
    Ok(())
}

type StatsMap = std::collections::BTreeMap<(String, String), EndpointStats>;

/// The stats entry of an endpoint, created empty.
fn slot(map: &mut StatsMap, app: String, url: String) -> &mut EndpointStats {
    map.entry((app.clone(), url.clone()))
        .or_insert_with(|| EndpointStats {
            key: EndpointKey {
                app: stored_app(app),
                url: url.into(),
            },
            pending: 0,
            dead: 0,
            oldest_ms: None,
        })
}

/// An app id read back from the queue (written from a valid one).
fn stored_app(id: String) -> AppId {
    AppId::parse(&id).unwrap_or_else(|| AppId::parse("0").expect("digits"))
}

fn stats(tx: &Transaction<'_>) -> Result<Vec<EndpointStats>, QueueError> {
    let mut map = StatsMap::new();
    let mut pending = tx.prepare_cached(
        "SELECT app, url, COUNT(*), MIN(at_ms) FROM webhook_queue GROUP BY app, url",
    )?;
    let rows = pending.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?, r.get(3)?))
    })?;
    for row in rows {
        let (app, url, count, oldest) = row?;
        let stats = slot(&mut map, app, url);
        stats.pending = count as u64;
        stats.oldest_ms = oldest;
    }
    let mut dead =
        tx.prepare_cached("SELECT app, url, SUM(count) FROM webhook_dead GROUP BY app, url")?;
    let rows = dead.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?)))?;
    for row in rows {
        let (app, url, count) = row?;
        slot(&mut map, app, url).dead = count as u64;
    }
    Ok(map.into_values().collect())
}

fn recovery(tx: &Transaction<'_>) -> Result<Recovery, QueueError> {
    let held = tx
        .prepare("SELECT event, MIN(app), MIN(body) FROM webhook_queue WHERE held = 1 GROUP BY event ORDER BY event")?
        .query_map([], |r| {
            Ok(HeldEvent {
                id: r.get(0)?,
                app: stored_app(r.get(1)?),
                body: r.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let present = tx
        .prepare("SELECT app, channel, user FROM webhook_ledger ORDER BY seq, app, channel, user")?
        .query_map([], |r| {
            let user: String = r.get(2)?;
            Ok((
                stored_app(r.get(0)?),
                r.get(1)?,
                (!user.is_empty()).then_some(user),
            ))
        })?
        .collect::<Result<_, _>>()?;
    Ok(Recovery { held, present })
}

#[async_trait::async_trait]
impl WebhookQueue for SqliteQueue {
    async fn write(&self, write: Write) -> Result<Vec<EventId>, QueueError> {
        self.transaction(move |tx| {
            let ids = insert_events(tx, &write)?;
            settle_held(tx, &write)?;
            apply_ledger(tx, &write.ledger)?;
            Ok(ids)
        })
        .await
    }

    async fn take(&self, endpoint: &EndpointKey, max: usize) -> Result<Vec<Queued>, QueueError> {
        let key = endpoint.clone();
        self.transaction(move |tx| deliverable(tx, &key, max)).await
    }

    async fn ack(&self, endpoint: &EndpointKey, ids: &[EventId]) -> Result<(), QueueError> {
        let (key, ids) = (endpoint.clone(), ids.to_vec());
        self.transaction(move |tx| {
            let mut delete = tx.prepare_cached(
                "DELETE FROM webhook_queue WHERE app = ?1 AND url = ?2 AND event = ?3",
            )?;
            for id in ids {
                delete.execute(params![key.app.as_str(), &*key.url, id])?;
            }
            Ok(())
        })
        .await
    }

    async fn bury(
        &self,
        endpoint: &EndpointKey,
        what: Bury,
        failure: &Failure,
    ) -> Result<u64, QueueError> {
        let (key, failure) = (endpoint.clone(), failure.clone());
        self.transaction(move |tx| match what {
            Bury::Events(ids) => bury_ids(tx, &key, &ids, &failure),
            Bury::OlderThan(before, chunk) => bury_older(tx, &key, before, chunk, &failure),
        })
        .await
    }

    async fn dead_letters(
        &self,
        app: Option<&AppId>,
        after: i64,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        let app = app.map(|a| a.as_str().to_owned());
        self.transaction(move |tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT id, app, url, dead_ms, reason, status, attempts, count, events FROM webhook_dead
                 WHERE (?1 IS NULL OR app = ?1) AND id > ?2 ORDER BY id LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![app, after, limit as i64], read_dead)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn resolve(
        &self,
        app: Option<&AppId>,
        ids: Option<&[i64]>,
        resolution: Resolution,
    ) -> Result<u64, QueueError> {
        let (app, ids) = (app.map(|a| a.as_str().to_owned()), ids.map(<[i64]>::to_vec));
        self.transaction(move |tx| {
            let mut moved = 0;
            for dead in chosen(tx, app.as_deref(), ids.as_deref())? {
                if resolution == Resolution::Replay {
                    requeue(tx, &dead)?;
                }
                tx.execute("DELETE FROM webhook_dead WHERE id = ?1", [dead.id])?;
                moved += dead.count;
            }
            Ok(moved)
        })
        .await
    }

    async fn stats(&self) -> Result<Vec<EndpointStats>, QueueError> {
        self.transaction(stats).await
    }

    async fn recovery(&self) -> Result<Recovery, QueueError> {
        self.transaction(recovery).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sqlite_queue_keeps_the_contract() {
        let dir = std::env::temp_dir().join(format!("ls-queue-{}", uuid::Uuid::new_v4()));
        let path = |n: usize| dir.join(format!("q{n}.db"));
        let made = std::sync::atomic::AtomicUsize::new(0);
        super::super::conformance::run(|| {
            let n = made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Arc::new(SqliteQueue::open(&path(n)).unwrap()) as Arc<dyn WebhookQueue>
        })
        .await;
        std::fs::remove_dir_all(dir).unwrap();
    }
}
