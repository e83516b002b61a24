//! The webhook queue in Redis, shared by every node of a cluster: any node stores events, the node
//! holding an endpoint's lease ([`super::lease`]) delivers them, and a dead node's pending batches
//! stay in Redis for the next holder. Every operation is one call of one Lua script (`redis.lua`),
//! so it is atomic as the SQLite queue's transactions are, and the semantics are the same (the
//! conformance suite checks both).
//!
//! Layout (the keys are listed in `src/redis/keys.rs`): event ids come from one counter (`INCRBY`,
//! so increasing cluster-wide); each event is stored once as JSON, with a count of its rows still
//! waiting; each endpoint has its rows in a sorted set by id (the delivery order) and by event time
//! (the oldest, and what the give-up buries); held events are a set; dead letters are JSON records
//! by id. All share the hash tag `{wh}`: one writer step spans apps.
//!
//! The debounce is cluster-wide: each held departure is indexed by what it is about (app, channel
//! and, for a member, user), and a return written by any node while the departure is held removes
//! it and is itself not stored, as a node's own debouncer does with the returns it sees. The node
//! holding the departure later releases or cancels an id that is gone, which does nothing.
//!
//! The ledger of present channels and members is kept as a hash, as SQLite keeps it; a clustered
//! start does not report it as departures (the presence store's purge of a dead node does that).

use redis::{FromRedisValue, Script};
use serde::{Deserialize, Serialize};

use super::queue::{
    Bury, DeadLetter, EndpointKey, EndpointStats, EventId, Failure, HeldEvent, LedgerOp, NewEvent,
    QueueError, Queued, Recovery, Resolution, WebhookQueue, Write,
};
use crate::protocol::AppId;
use crate::redis::Redis;

/// The webhook queue in Redis.
pub struct RedisQueue {
    redis: Redis,
    script: Script,
    base: String,
    seq: String,
}

/// An event as stored: everything a dispatcher, a cancel and a recovery need.
#[derive(Serialize, Deserialize)]
struct Record {
    app: String,
    channel: String,
    name: String,
    at_ms: i64,
    body: String,
    urls: Vec<String>,
    /// A held departure's hold key (see [`hold_key`]), to drop it from the index when it goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hold: Option<String>,
}

/// One writer step, as the script reads it.
#[derive(Serialize)]
struct WriteIn<'a> {
    events: Vec<EventIn<'a>>,
    cancel: &'a [EventId],
    release: &'a [EventId],
    ledger: Vec<LedgerIn>,
}

#[derive(Serialize)]
struct EventIn<'a> {
    rec: String,
    app: &'a str,
    urls: Vec<&'a str>,
    at: i64,
    held: bool,
    /// The hold key of a departure or return (see [`hold_key`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    /// Whether it is a return, which cancels the held departure of its key.
    back: bool,
}

#[derive(Serialize)]
struct LedgerIn {
    present: bool,
    field: String,
}

/// A dead letter as stored; `meta` is [`Meta`] as JSON, kept opaque by the script.
#[derive(Deserialize)]
struct DeadRecord {
    app: String,
    url: String,
    meta: String,
    rows: Vec<DeadRow>,
}

#[derive(Deserialize)]
struct DeadRow {
    body: String,
}

#[derive(Serialize, Deserialize)]
struct Meta {
    dead_ms: i64,
    reason: String,
    status: Option<u16>,
    attempts: u32,
}

impl RedisQueue {
    /// The queue under `redis`'s key prefix.
    pub fn new(redis: Redis) -> Self {
        let keys = redis.keys();
        Self {
            base: keys.webhook_base(),
            seq: keys.webhook_seq(),
            script: Script::new(include_str!("redis.lua")),
            redis,
        }
    }

    /// Runs the script's operation `op` with `args`.
    async fn run<T: FromRedisValue>(
        &self,
        op: &'static str,
        args: Vec<String>,
    ) -> Result<T, QueueError> {
        let mut invocation = self.script.prepare_invoke();
        invocation.key(&self.seq).arg(&self.base).arg(op);
        for arg in args {
            invocation.arg(arg);
        }
        let answer = self
            .redis
            .call("webhook queue", |mut c| async move {
                invocation.invoke_async(&mut c).await
            })
            .await?;
        Ok(answer)
    }
}

/// The ledger's field for a channel (user `None`) or member.
fn ledger_field(app: &AppId, channel: &str, user: Option<&str>) -> String {
    format!("{app}\n{channel}\n{}", user.unwrap_or_default())
}

/// What a departure and its return are about, `APP\nCHANNEL\nUSER` (as a ledger field), and
/// whether the event is the return; `None` for other events.
fn hold_key(e: &NewEvent) -> Option<(String, bool)> {
    let back = match (e.name, e.user.is_some()) {
        ("channel_vacated", false) | ("member_removed", true) => false,
        ("channel_occupied", false) | ("member_added", true) => true,
        _ => return None,
    };
    Some((ledger_field(&e.app, &e.channel, e.user.as_deref()), back))
}

fn write_input(write: &Write) -> Result<String, QueueError> {
    let mut events = Vec::with_capacity(write.events.len());
    for e in &write.events {
        let (key, back) = hold_key(e).unzip();
        let record = Record {
            app: e.app.as_str().to_owned(),
            channel: e.channel.clone(),
            name: e.name.to_owned(),
            at_ms: e.at_ms,
            body: e.body.clone(),
            urls: e.urls.iter().map(|u| u.to_string()).collect(),
            hold: key.clone().filter(|_| e.held),
        };
        events.push(EventIn {
            rec: serde_json::to_string(&record)?,
            app: e.app.as_str(),
            urls: e.urls.iter().map(|u| &**u).collect(),
            at: e.at_ms,
            held: e.held,
            key,
            back: back.unwrap_or(false),
        });
    }
    let ledger = write.ledger.iter().map(|op| match op {
        LedgerOp::Present(app, ch, user) => (true, ledger_field(app, ch, user.as_deref())),
        LedgerOp::Gone(app, ch, user) => (false, ledger_field(app, ch, user.as_deref())),
    });
    let input = WriteIn {
        events,
        cancel: &write.cancel,
        release: &write.release,
        ledger: ledger
            .map(|(present, field)| LedgerIn { present, field })
            .collect(),
    };
    Ok(serde_json::to_string(&input)?)
}

/// `{id, value, id, value, ...}` as pairs.
fn pairs(flat: Vec<String>) -> impl Iterator<Item = (i64, String)> {
    let mut flat = flat.into_iter();
    std::iter::from_fn(move || {
        let id = flat.next()?;
        Some((id.parse().unwrap_or_default(), flat.next()?))
    })
}

fn queued((id, rec): (i64, String)) -> Result<Queued, QueueError> {
    let record: Record = serde_json::from_str(&rec)?;
    Ok(Queued {
        id,
        channel: record.channel,
        name: record.name,
        at_ms: record.at_ms,
        body: record.body,
    })
}

fn dead_letter((id, rec): (i64, String)) -> Result<DeadLetter, QueueError> {
    let record: DeadRecord = serde_json::from_str(&rec)?;
    let meta: Meta = serde_json::from_str(&record.meta)?;
    let bodies: Vec<&str> = record.rows.iter().map(|r| r.body.as_str()).collect();
    Ok(DeadLetter {
        id,
        app: stored_app(&record.app),
        url: record.url,
        dead_ms: meta.dead_ms,
        failure: Failure {
            reason: meta.reason,
            status: meta.status,
            attempts: meta.attempts,
        },
        events: format!("[{}]", bodies.join(",")),
        count: bodies.len() as u64,
    })
}

/// An app id read back from the queue (written from a valid one).
fn stored_app(id: &str) -> AppId {
    AppId::parse(id).unwrap_or_else(|| AppId::parse("0").expect("digits"))
}

/// One endpoint's numbers from the script's `{endpoint, pending, oldest, dead}`.
fn endpoint_stats(row: &[String]) -> Option<EndpointStats> {
    let [endpoint, pending, oldest, dead] = row else {
        return None;
    };
    let (app, url) = endpoint.split_once(':')?;
    let stats = EndpointStats {
        key: EndpointKey {
            app: AppId::parse(app)?,
            url: url.into(),
        },
        pending: pending.parse().unwrap_or_default(),
        dead: dead.parse().unwrap_or_default(),
        oldest_ms: oldest.parse::<f64>().ok().map(|ms| ms as i64),
    };
    (stats.pending > 0 || stats.dead > 0).then_some(stats)
}

/// A ledger field back as (app, channel, user).
fn present(field: &str) -> Option<(AppId, String, Option<String>)> {
    let mut parts = field.splitn(3, '\n');
    let (app, channel, user) = (parts.next()?, parts.next()?, parts.next()?);
    let user = (!user.is_empty()).then(|| user.to_owned());
    Some((AppId::parse(app)?, channel.to_owned(), user))
}

fn recovery(held: Vec<String>, ledger: Vec<String>) -> Result<Recovery, QueueError> {
    let mut events = Vec::new();
    for (id, rec) in pairs(held) {
        let record: Record = serde_json::from_str(&rec)?;
        events.push(HeldEvent {
            id,
            app: stored_app(&record.app),
            body: record.body,
        });
    }
    events.sort_by_key(|h| h.id);
    Ok(Recovery {
        held: events,
        present: present_in_order(ledger),
    })
}

/// The ledger's `{field, seq, ...}` as present channels and members, in the order they arrived
/// (then by app, channel and user, as SQLite orders them).
fn present_in_order(ledger: Vec<String>) -> Vec<(AppId, String, Option<String>)> {
    let mut flat = ledger.into_iter();
    let mut entries = Vec::new();
    while let (Some(field), Some(seq)) = (flat.next(), flat.next()) {
        entries.push((seq.parse::<i64>().unwrap_or_default(), field));
    }
    entries.sort();
    entries.iter().filter_map(|(_, f)| present(f)).collect()
}

#[async_trait::async_trait]
impl WebhookQueue for RedisQueue {
    async fn write(&self, write: Write) -> Result<Vec<EventId>, QueueError> {
        self.run("write", vec![write_input(&write)?]).await
    }

    async fn take(&self, endpoint: &EndpointKey, max: usize) -> Result<Vec<Queued>, QueueError> {
        let ep = format!("{}:{}", endpoint.app, endpoint.url);
        let flat: Vec<String> = self.run("take", vec![ep, max.to_string()]).await?;
        pairs(flat).map(queued).collect()
    }

    async fn ack(&self, endpoint: &EndpointKey, ids: &[EventId]) -> Result<(), QueueError> {
        let mut args = vec![format!("{}:{}", endpoint.app, endpoint.url)];
        args.extend(ids.iter().map(|id| id.to_string()));
        self.run::<i64>("ack", args).await.map(drop)
    }

    async fn bury(
        &self,
        endpoint: &EndpointKey,
        what: Bury,
        failure: &Failure,
    ) -> Result<u64, QueueError> {
        let meta = Meta {
            dead_ms: super::now_ms(),
            reason: failure.reason.clone(),
            status: failure.status,
            attempts: failure.attempts,
        };
        let app = endpoint.app.as_str().to_owned();
        let mut args = vec![app, endpoint.url.to_string(), serde_json::to_string(&meta)?];
        match what {
            Bury::Events(ids) => {
                args.push("ids".into());
                args.extend(ids.iter().map(|id| id.to_string()));
            }
            Bury::OlderThan(before, chunk) => {
                args.extend(["older".into(), before.to_string(), chunk.to_string()]);
            }
        }
        self.run("bury", args).await
    }

    async fn dead_letters(
        &self,
        app: Option<&AppId>,
        after: i64,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, QueueError> {
        let app = app.map_or("", AppId::as_str).to_owned();
        let args = vec![app, after.to_string(), limit.to_string()];
        let flat: Vec<String> = self.run("dead_letters", args).await?;
        pairs(flat).map(dead_letter).collect()
    }

    async fn resolve(
        &self,
        app: Option<&AppId>,
        ids: Option<&[i64]>,
        resolution: Resolution,
    ) -> Result<u64, QueueError> {
        if ids.is_some_and(<[i64]>::is_empty) {
            return Ok(0);
        }
        let verb = match resolution {
            Resolution::Replay => "replay",
            Resolution::Discard => "discard",
        };
        let app = app.map_or("", AppId::as_str).to_owned();
        let mut args = vec![app, verb.to_owned(), super::now_ms().to_string()];
        args.extend(ids.unwrap_or_default().iter().map(|id| id.to_string()));
        self.run("resolve", args).await
    }

    async fn stats(&self) -> Result<Vec<EndpointStats>, QueueError> {
        let flat: Vec<String> = self.run("stats", Vec::new()).await?;
        let mut stats: Vec<_> = flat.chunks(4).filter_map(endpoint_stats).collect();
        stats.sort_by(|a, b| (&a.key.app, &a.key.url).cmp(&(&b.key.app, &b.key.url)));
        Ok(stats)
    }

    async fn recovery(&self) -> Result<Recovery, QueueError> {
        let (held, ledger): (Vec<String>, Vec<String>) = self.run("recovery", Vec::new()).await?;
        recovery(held, ledger)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::redis::testing::TestRedis;

    #[tokio::test]
    async fn the_redis_queue_keeps_the_contract() {
        let redis = TestRedis::start();
        let mut queues = Vec::new();
        // One queue per check (the suite has six), each under a prefix of its own.
        for n in 0..6 {
            let prefix = format!("{}-{n}", redis.prefix);
            let metrics = Arc::new(crate::metrics::Metrics::default());
            let conn = crate::redis::connect_for_test(&redis.url, &prefix, metrics).await;
            queues.push(Arc::new(RedisQueue::new(conn)) as Arc<dyn WebhookQueue>);
        }
        let queues = parking_lot::Mutex::new(queues);
        super::super::conformance::run(|| queues.lock().pop().expect("one queue per check")).await;
    }

    async fn queue(redis: &TestRedis, n: usize) -> RedisQueue {
        let prefix = format!("{}-held-{n}", redis.prefix);
        let metrics = Arc::new(crate::metrics::Metrics::default());
        RedisQueue::new(crate::redis::connect_for_test(&redis.url, &prefix, metrics).await)
    }

    fn event(name: &'static str, user: Option<&str>, held: bool) -> NewEvent {
        NewEvent {
            app: AppId::parse("7").unwrap(),
            channel: "presence-room".into(),
            name,
            body: format!(r#"{{"name":"{name}"}}"#),
            at_ms: 1,
            held,
            user: user.map(Arc::from),
            urls: vec![Arc::from("http://h/x")],
        }
    }

    fn step(events: Vec<NewEvent>, release: Vec<EventId>) -> Write {
        Write {
            events,
            release,
            ..Write::default()
        }
    }

    /// A held departure written by one node, its return by another (another writer step), then the
    /// first node's release of the departure: what is left to deliver.
    async fn after_return(q: &RedisQueue, gone: NewEvent, back: NewEvent) -> Vec<String> {
        let held = q.write(step(vec![gone], vec![])).await.unwrap();
        q.write(step(vec![back], vec![])).await.unwrap();
        q.write(step(vec![], held)).await.unwrap();
        let endpoint = EndpointKey {
            app: AppId::parse("7").unwrap(),
            url: "http://h/x".into(),
        };
        let taken = q.take(&endpoint, 10).await.unwrap();
        taken.into_iter().map(|e| e.name).collect()
    }

    #[tokio::test]
    async fn a_return_written_by_any_node_cancels_the_held_departure() {
        let redis = TestRedis::start();
        let q = queue(&redis, 0).await;
        let (gone, back) = (
            event("channel_vacated", None, true),
            event("channel_occupied", None, false),
        );
        assert!(after_return(&q, gone, back).await.is_empty());
        let gone = event("member_removed", Some("ann"), true);
        let back = event("member_added", Some("ann"), false);
        assert!(after_return(&q, gone, back).await.is_empty());
        // A return no endpoint wants (no rows of its own) undoes the departure all the same.
        let gone = event("channel_vacated", None, true);
        let back = NewEvent {
            urls: Vec::new(),
            ..event("channel_occupied", None, false)
        };
        assert!(after_return(&q, gone, back).await.is_empty());
        assert!(q.stats().await.unwrap().is_empty(), "nothing pending");
        assert!(q.recovery().await.unwrap().held.is_empty());
        let index = format!("{}heldkey", q.base);
        let held: Vec<String> = q
            .redis
            .call("test", |mut c| async move {
                redis::cmd("HKEYS").arg(index).query_async(&mut c).await
            })
            .await
            .unwrap();
        assert!(held.is_empty(), "the index is empty: {held:?}");
    }

    #[tokio::test]
    async fn another_user_or_a_released_departure_is_not_cancelled() {
        let redis = TestRedis::start();
        let q = queue(&redis, 1).await;
        let gone = event("member_removed", Some("ann"), true);
        let back = event("member_added", Some("bob"), false);
        assert_eq!(
            after_return(&q, gone, back).await,
            ["member_removed", "member_added"]
        );
        let q = queue(&redis, 2).await;
        let released = q.write(step(vec![event("channel_vacated", None, true)], vec![]));
        let id = released.await.unwrap();
        q.write(step(vec![], id)).await.unwrap();
        let back = event("channel_occupied", None, false);
        let gone = event("subscription_count", None, false);
        let left = after_return(&q, gone, back).await;
        assert_eq!(
            left,
            ["channel_vacated", "subscription_count", "channel_occupied"]
        );
    }

    #[test]
    fn stats_rows_and_ledger_fields_read_back() {
        let row = [
            "7:http://h:1/x".to_owned(),
            "2".into(),
            "3".into(),
            "0".into(),
        ];
        let stats = endpoint_stats(&row).unwrap();
        assert_eq!(
            (&*stats.key.url, stats.pending, stats.oldest_ms),
            ("http://h:1/x", 2, Some(3))
        );
        let app = AppId::parse("7").unwrap();
        let field = ledger_field(&app, "presence-a", Some("ann"));
        assert_eq!(
            present(&field),
            Some((app, "presence-a".into(), Some("ann".into())))
        );
    }
}
