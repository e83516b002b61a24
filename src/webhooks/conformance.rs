//! The contract every [`WebhookQueue`] keeps, as one suite each implementation runs (the SQLite queue
//! and the Redis queue): ids in order, held events blocking their channel
//! only, cancel and release, ack, dead letters by id and by age, replay and discard, stats, and what a
//! restart recovers.

use std::sync::Arc;

use super::queue::{
    Bury, EndpointKey, Failure, LedgerOp, NewEvent, Resolution, WebhookQueue, Write,
};
use crate::protocol::AppId;

/// Runs every contract check, each against a fresh, empty queue made by `new`.
pub async fn run(new: impl Fn() -> Arc<dyn WebhookQueue>) {
    held_events_block_only_their_channel_until_released(new()).await;
    a_cancelled_event_is_gone_and_its_channel_moves_on(new()).await;
    delivered_events_are_forgotten(new()).await;
    dead_letters_are_listed_replayed_and_discarded(new()).await;
    old_events_are_dead_lettered_in_chunks(new()).await;
    a_restart_recovers_held_events_and_present_channels(new()).await;
}

fn app() -> AppId {
    AppId::parse("7").unwrap()
}

fn key(url: &str) -> EndpointKey {
    EndpointKey {
        app: app(),
        url: url.into(),
    }
}

fn event(channel: &str, name: &'static str, at_ms: i64, held: bool, urls: &[&str]) -> NewEvent {
    NewEvent {
        app: app(),
        channel: channel.into(),
        name,
        body: format!(r#"{{"name":"{name}","channel":"{channel}","at":{at_ms}}}"#),
        at_ms,
        held,
        user: None,
        urls: urls.iter().map(|u| Arc::from(*u)).collect(),
    }
}

fn write(events: Vec<NewEvent>) -> Write {
    Write {
        events,
        ..Write::default()
    }
}

fn failure() -> Failure {
    Failure {
        reason: "HTTP 500".into(),
        status: Some(500),
        attempts: 3,
    }
}

async fn taken(queue: &dyn WebhookQueue, url: &str, max: usize) -> Vec<String> {
    let rows = queue.take(&key(url), max).await.unwrap();
    rows.into_iter()
        .map(|r| format!("{}:{}", r.channel, r.name))
        .collect()
}

async fn held_events_block_only_their_channel_until_released(queue: Arc<dyn WebhookQueue>) {
    let ids = queue
        .write(write(vec![
            event("a", "channel_occupied", 1, false, &["u1", "u2"]),
            event("a", "channel_vacated", 2, true, &["u1", "u2"]),
            event("b", "channel_occupied", 3, false, &["u1"]),
            event("a", "subscription_count", 4, false, &["u1"]),
        ]))
        .await
        .unwrap();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase: {ids:?}");
    let first = taken(&*queue, "u1", 10).await;
    assert_eq!(first, ["a:channel_occupied", "b:channel_occupied"]);
    assert_eq!(taken(&*queue, "u2", 1).await, ["a:channel_occupied"]);
    let release = Write {
        release: vec![ids[1]],
        ..Write::default()
    };
    queue.write(release).await.unwrap();
    let all = taken(&*queue, "u1", 10).await;
    assert_eq!(
        all,
        [
            "a:channel_occupied",
            "a:channel_vacated",
            "b:channel_occupied",
            "a:subscription_count"
        ]
    );
}

async fn a_cancelled_event_is_gone_and_its_channel_moves_on(queue: Arc<dyn WebhookQueue>) {
    let ids = queue
        .write(write(vec![
            event("a", "channel_vacated", 1, true, &["u"]),
            event("a", "client_event", 2, false, &["u"]),
        ]))
        .await
        .unwrap();
    assert!(
        taken(&*queue, "u", 10).await.is_empty(),
        "blocked behind the held event"
    );
    queue
        .write(Write {
            cancel: vec![ids[0]],
            ..Write::default()
        })
        .await
        .unwrap();
    assert_eq!(taken(&*queue, "u", 10).await, ["a:client_event"]);
}

async fn delivered_events_are_forgotten(queue: Arc<dyn WebhookQueue>) {
    let events = (0..5)
        .map(|i| event("c", "client_event", i, false, &["u"]))
        .collect();
    let ids = queue.write(write(events)).await.unwrap();
    queue.ack(&key("u"), &ids[..3]).await.unwrap();
    let rows = queue.take(&key("u"), 10).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), ids[3..]);
    let stats = queue.stats().await.unwrap();
    assert_eq!(
        (stats.len(), stats[0].pending, stats[0].oldest_ms),
        (1, 2, Some(3))
    );
}

async fn dead_letters_are_listed_replayed_and_discarded(queue: Arc<dyn WebhookQueue>) {
    let events = (0..4)
        .map(|i| event("d", "client_event", i, false, &["u"]))
        .collect();
    let ids = queue.write(write(events)).await.unwrap();
    let moved = queue
        .bury(&key("u"), Bury::Events(ids[..2].to_vec()), &failure())
        .await
        .unwrap();
    assert_eq!(moved, 2);
    queue
        .bury(&key("u"), Bury::Events(vec![ids[2]]), &failure())
        .await
        .unwrap();
    let dead = queue.dead_letters(Some(&app()), 0, 10).await.unwrap();
    assert_eq!(dead.iter().map(|d| d.count).collect::<Vec<_>>(), [2, 1]);
    assert_eq!((dead[0].url.as_str(), &dead[0].failure), ("u", &failure()));
    let events: serde_json::Value = serde_json::from_str(&dead[0].events).unwrap();
    assert_eq!(events[1]["at"], 1);
    assert!(
        queue
            .dead_letters(Some(&AppId::parse("8").unwrap()), 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        queue
            .dead_letters(None, dead[0].id, 10)
            .await
            .unwrap()
            .len(),
        1,
        "paged by id"
    );
    let replayed = queue
        .resolve(Some(&app()), Some(&[dead[0].id]), Resolution::Replay)
        .await
        .unwrap();
    assert_eq!(replayed, 2);
    let rows = queue.take(&key("u"), 10).await.unwrap();
    let order: Vec<_> = rows.iter().map(|r| r.body.clone()).collect();
    assert!(
        order[0].contains(r#""at":3"#) && order[1].contains(r#""at":0"#),
        "replayed behind: {order:?}"
    );
    let discarded = queue
        .resolve(None, None, Resolution::Discard)
        .await
        .unwrap();
    assert_eq!(discarded, 1);
    let stats = queue.stats().await.unwrap();
    assert_eq!((stats[0].pending, stats[0].dead), (3, 0));
}

async fn old_events_are_dead_lettered_in_chunks(queue: Arc<dyn WebhookQueue>) {
    let mut events: Vec<_> = (0..5)
        .map(|i| event("e", "client_event", i, false, &["u"]))
        .collect();
    events.push(event("e", "channel_vacated", 1, true, &["u"]));
    events.push(event("e", "client_event", 100, false, &["u"]));
    queue.write(write(events)).await.unwrap();
    let moved = queue
        .bury(&key("u"), Bury::OlderThan(50, 2), &failure())
        .await
        .unwrap();
    assert_eq!(moved, 5, "held and recent events stay");
    let dead = queue.dead_letters(None, 0, 10).await.unwrap();
    assert_eq!(dead.iter().map(|d| d.count).collect::<Vec<_>>(), [2, 2, 1]);
}

async fn a_restart_recovers_held_events_and_present_channels(queue: Arc<dyn WebhookQueue>) {
    let present =
        |ch: &str, user: Option<&str>| LedgerOp::Present(app(), ch.into(), user.map(Into::into));
    let gone =
        |ch: &str, user: Option<&str>| LedgerOp::Gone(app(), ch.into(), user.map(Into::into));
    let step = Write {
        events: vec![event("p", "member_removed", 1, true, &["u"])],
        ledger: vec![
            present("p", None),
            present("p", Some("ann")),
            present("p", Some("bob")),
            present("q", None),
        ],
        ..Write::default()
    };
    let ids = queue.write(step).await.unwrap();
    let step = Write {
        ledger: vec![gone("p", Some("bob")), gone("q", None)],
        ..Write::default()
    };
    queue.write(step).await.unwrap();
    let recovery = queue.recovery().await.unwrap();
    assert_eq!(recovery.held.iter().map(|h| h.id).collect::<Vec<_>>(), ids);
    let listed: Vec<_> = recovery
        .present
        .iter()
        .map(|(_, c, u)| (c.as_str(), u.as_deref()))
        .collect();
    assert_eq!(listed, [("p", None), ("p", Some("ann"))]);
}
