//! Webhooks against a real HTTP receiver that checks every request's two signature header pairs and
//! that the body survives `JSON.stringify(JSON.parse(body))`: each event type with its fields, the
//! debounce, batching, an outage of 500s for 15 s, the dead-letter list and its replay, and a receiver
//! that takes 10 s to answer while WebSocket clients go on receiving.

mod common;

use std::time::Duration;

use common::receiver::{Keys, Mode, Receiver};
use common::{SECRET, TestServer, WsClient, test_config};
use lattestream::auth::Secret;
use lattestream::config::{Config, WebhooksConfig};
use lattestream::webhooks::{EventType, WebhookEndpoint};
use serde_json::{Value, json};
use tokio::time::Instant;

const ENDPOINT_SECRET: &str = "whsec_test_endpoint";

fn keys() -> Keys {
    Keys {
        endpoint_secret: ENDPOINT_SECRET.into(),
        app_key: common::KEY.into(),
        app_secret: SECRET.into(),
    }
}

/// App 1 with one endpoint at `receiver`, quick settings (changed by `tune`), and its own data dir.
fn hooked(
    receiver: &Receiver,
    types: &[EventType],
    tune: impl FnOnce(&mut WebhooksConfig),
) -> Config {
    let mut config = test_config();
    let app = &mut config.apps[0].settings;
    app.client_events_per_second = 10_000;
    app.webhooks = vec![WebhookEndpoint {
        url: receiver.url().try_into().unwrap(),
        secret: Secret::new(ENDPOINT_SECRET),
        event_types: types.to_vec(),
        filter_prefix: None,
    }];
    config.data_dir = std::env::temp_dir().join(format!("ls-hooks-{}", uuid::Uuid::new_v4()));
    config.webhooks = WebhooksConfig {
        batch_window: Duration::from_millis(50),
        debounce: Duration::from_millis(300),
        retry_min: Duration::from_millis(100),
        retry_max: Duration::from_secs(1),
        ..WebhooksConfig::default()
    };
    tune(&mut config.webhooks);
    config
}

async fn setup(
    types: &[EventType],
    tune: impl FnOnce(&mut WebhooksConfig),
) -> (TestServer, Receiver) {
    let receiver = Receiver::start(keys()).await;
    let server = TestServer::with_config(hooked(&receiver, types, tune)).await;
    (server, receiver)
}

/// Polls `condition` every 10 ms until it holds; panics after `limit` (a hang guard).
async fn wait_for(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn unsubscribe(c: &mut WsClient, channel: &str) {
    c.send(json!({"event": c.name("unsubscribe"), "data": {"channel": channel}}))
        .await;
}

/// Sends a client event and waits until `to` has it.
async fn client_event(from: &mut WsClient, to: &mut WsClient, channel: &str, data: Value) {
    from.send(json!({"event": "client-note", "channel": channel, "data": data}))
        .await;
    to.expect("client-note").await;
}

fn without_counts(log: Vec<String>) -> Vec<String> {
    log.into_iter()
        .filter(|e| !e.starts_with("subscription_count"))
        .collect()
}

#[tokio::test]
async fn every_event_type_arrives_signed_with_its_fields() {
    let (server, receiver) = setup(&[], |_| {}).await;
    let (mut a, mut b) = (server.pusher().await, server.pusher().await);
    a.subscribe("presence-room", Some(r#"{"user_id":"alice"}"#))
        .await;
    b.subscribe("presence-room", Some(r#"{"user_id":"bob"}"#))
        .await;
    let tricky = json!({"text": "hé \"quoted\" \\ / \n\t\u{1} \u{2028} 🎉", "n": 1.5});
    client_event(&mut a, &mut b, "presence-room", tricky.clone()).await;
    a.subscribe("private-notes", None).await;
    b.subscribe("private-notes", None).await;
    client_event(&mut b, &mut a, "private-notes", json!("plain text")).await;
    a.subscribe("news", None).await;
    b.subscribe("news", None).await;
    a.subscribe("cache-scores", None).await;
    unsubscribe(&mut b, "presence-room").await;
    drop(a);
    wait_for(Duration::from_secs(10), "the vacated channels", || {
        receiver
            .channel_log("presence-room")
            .last()
            .map(String::as_str)
            == Some("channel_vacated")
            && receiver
                .channel_log("cache-scores")
                .last()
                .map(String::as_str)
                == Some("channel_vacated")
    })
    .await;
    receiver.assert_all_signed();
    assert_eq!(
        receiver.channel_log("presence-room"),
        [
            "channel_occupied",
            "member_added:alice",
            "member_added:bob",
            "client_event:client-note",
            "member_removed:bob",
            "member_removed:alice",
            "channel_vacated"
        ]
    );
    assert_eq!(
        without_counts(receiver.channel_log("cache-scores")),
        ["channel_occupied", "cache_miss", "channel_vacated"]
    );
    let news = receiver.channel_log("news");
    assert_eq!(news[0], "channel_occupied");
    assert_eq!(news.last().unwrap(), "subscription_count:1", "{news:?}");
    let events = receiver.events();
    let find = |channel: &str, name: &str| {
        events
            .iter()
            .find(|e| e["channel"] == channel && e["name"] == name)
            .unwrap()
            .clone()
    };
    let presence_event = find("presence-room", "client_event");
    assert_eq!(
        presence_event,
        json!({"name": "client_event", "channel": "presence-room", "event": "client-note",
               "data": tricky.to_string(), "socket_id": presence_event["socket_id"], "user_id": "alice"})
    );
    let private_event = find("private-notes", "client_event");
    assert_eq!(private_event["data"], "plain text");
    assert_eq!(private_event["socket_id"], b.socket_id.as_str());
    assert!(
        private_event.get("user_id").is_none(),
        "no user_id outside presence channels"
    );
    assert_eq!(
        find("cache-scores", "cache_miss"),
        json!({"name": "cache_miss", "channel": "cache-scores"})
    );
    for request in receiver.requests() {
        assert!(request.body["time_ms"].as_u64().unwrap() > 1_600_000_000_000);
    }
}

#[tokio::test]
async fn a_quick_return_sends_neither_departure_nor_arrival() {
    let (server, receiver) = setup(&[], |w| w.debounce = Duration::from_secs(2)).await;
    let channel = "presence-d";
    let (mut a, mut c) = (server.pusher().await, server.pusher().await);
    let alice = Some(r#"{"user_id":"alice"}"#);
    a.subscribe(channel, alice).await;
    unsubscribe(&mut a, channel).await; // vacated + member removed, held …
    a.subscribe(channel, alice).await; // … and cancelled by the quick return
    c.subscribe(channel, Some(r#"{"user_id":"carol"}"#)).await;
    unsubscribe(&mut a, channel).await; // the member leaves while the channel stays occupied …
    a.subscribe(channel, alice).await; // … and comes back
    unsubscribe(&mut a, channel).await;
    unsubscribe(&mut c, channel).await;
    wait_for(Duration::from_secs(10), "the final vacated", || {
        receiver.channel_log(channel).last().map(String::as_str) == Some("channel_vacated")
    })
    .await;
    receiver.assert_all_signed();
    assert_eq!(
        receiver.channel_log(channel),
        [
            "channel_occupied",
            "member_added:alice",
            "member_added:carol",
            "member_removed:alice",
            "member_removed:carol",
            "channel_vacated"
        ]
    );
}

#[tokio::test]
async fn events_are_batched_up_to_the_maximum() {
    let tune = |w: &mut WebhooksConfig| {
        w.max_batch = 5;
        w.batch_window = Duration::from_secs(1);
    };
    let (server, receiver) = setup(&[EventType::ClientEvent], tune).await;
    let (mut a, mut b) = (server.pusher().await, server.pusher().await);
    a.subscribe("private-batch", None).await;
    b.subscribe("private-batch", None).await;
    for i in 0..12 {
        a.send(json!({"event": "client-note", "channel": "private-batch", "data": { "i": i }}))
            .await;
    }
    for _ in 0..12 {
        b.expect("client-note").await;
    }
    wait_for(Duration::from_secs(10), "12 events", || {
        receiver.events().len() == 12
    })
    .await;
    receiver.assert_all_signed();
    let sizes: Vec<usize> = receiver
        .requests()
        .iter()
        .map(|r| r.body["events"].as_array().unwrap().len())
        .collect();
    assert!(sizes.iter().all(|&n| n <= 5), "{sizes:?}");
    // Sent within the window: two full batches, then the rest when the window closes.
    assert_eq!(sizes, [5, 5, 2], "batched");
    let order: Vec<Value> = receiver
        .events()
        .iter()
        .map(|e| e["data"].clone())
        .collect();
    let expected: Vec<Value> = (0..12)
        .map(|i| json!(json!({ "i": i }).to_string()))
        .collect();
    assert_eq!(order, expected);
}

/// Sends `rounds` of one client event per channel, `pause` apart; returns how many were sent.
async fn send_rounds(
    a: &mut WsClient,
    b: &mut WsClient,
    channels: &[String],
    rounds: usize,
    pause: Duration,
) -> usize {
    let mut sent = 0;
    for round in 0..rounds {
        for channel in channels {
            client_event(a, b, channel, json!({ "seq": round })).await;
            sent += 1;
        }
        tokio::time::sleep(pause).await;
    }
    sent
}

#[tokio::test]
async fn a_receiver_failing_for_15_seconds_gets_everything_in_order_after() {
    let tune = |w: &mut WebhooksConfig| w.max_batch = 20;
    let (server, receiver) = setup(&[], tune).await;
    let outage = Duration::from_secs(15);
    let started = Instant::now();
    receiver.set(Mode::StatusUntil(started + outage, 500));
    let (mut a, mut b) = (server.pusher().await, server.pusher().await);
    let channels: Vec<String> = (1..=4).map(|i| format!("private-o{i}")).collect();
    for channel in &channels {
        a.subscribe(channel, None).await;
        b.subscribe(channel, None).await;
    }
    let sent = send_rounds(&mut a, &mut b, &channels, 10, Duration::from_secs(1)).await;
    drop((a, b));
    let expected_total = sent + channels.len() * 2 + channels.len() * 4; // + occupied/vacated, 4 counts
    wait_for(Duration::from_secs(60), "every channel vacated", || {
        channels
            .iter()
            .all(|c| receiver.channel_log(c).last().map(String::as_str) == Some("channel_vacated"))
    })
    .await;
    let drained = started.elapsed();
    receiver.assert_all_signed();
    let failed = receiver
        .requests()
        .iter()
        .filter(|r| r.status == 500)
        .count();
    assert!(failed > 0, "the outage was seen");
    for channel in &channels {
        let log = without_counts(receiver.channel_log(channel));
        let mut expected = vec!["channel_occupied".to_owned()];
        expected.extend((0..10).map(|_| "client_event:client-note".to_owned()));
        expected.push("channel_vacated".into());
        assert_eq!(log, expected, "{channel}");
        let seqs: Vec<Value> = receiver
            .events()
            .iter()
            .filter(|e| e["channel"] == channel.as_str() && e["name"] == "client_event")
            .map(|e| e["data"].clone())
            .collect();
        let in_order: Vec<Value> = (0..10)
            .map(|i| json!(json!({ "seq": i }).to_string()))
            .collect();
        assert_eq!(seqs, in_order, "{channel} in order");
    }
    let delivered = receiver.events().len();
    let unique: std::collections::HashSet<String> =
        receiver.events().iter().map(|e| e.to_string()).collect();
    println!(
        "outage 500 for {outage:?}: client events sent {sent}, webhook events delivered {delivered} \
         (at most {expected_total} with counts), unique {}, duplicates {}, failed attempts {failed}, \
         everything delivered {:?} after the outage ended",
        unique.len(),
        delivered - unique.len(),
        drained.saturating_sub(outage)
    );
}

async fn dead_letters(server: &TestServer) -> Vec<Value> {
    let reply = server.get("/webhooks/dead_letters", SECRET).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["dead_letters"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_refused_batch_is_dead_lettered_and_its_replay_delivers() {
    let (server, receiver) = setup(&[EventType::ClientEvent], |_| {}).await;
    receiver.set(Mode::Status(410));
    let (mut a, mut b) = (server.pusher().await, server.pusher().await);
    a.subscribe("private-dl", None).await;
    b.subscribe("private-dl", None).await;
    for i in 0..3 {
        client_event(&mut a, &mut b, "private-dl", json!({ "i": i })).await;
    }
    let mut listed = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while listed
        .iter()
        .map(|d: &Value| d["event_count"].as_u64().unwrap())
        .sum::<u64>()
        < 3
    {
        assert!(Instant::now() < deadline, "dead letters in time");
        listed = dead_letters(&server).await;
    }
    assert_eq!(listed[0]["reason"], "refused with HTTP 410");
    assert_eq!(listed[0]["status"], 410);
    assert_eq!(listed[0]["url"], receiver.url());
    assert_eq!(listed[0]["events"][0]["name"], "client_event");
    let metrics = server.url("/metrics");
    let dead = common::process::metric_at(&metrics, "lattestream_webhook_dead_lettered_total");
    assert_eq!(dead.await, 3.0);
    let other = server
        .get("/webhooks/dead_letters", common::OTHER_SECRET)
        .await;
    assert_eq!(
        other.body["dead_letters"],
        json!([]),
        "another app sees none of them"
    );
    assert_eq!(
        server
            .get("/webhooks/dead_letters", common::KEY)
            .await
            .status,
        403,
        "not with the public key"
    );
    receiver.set(Mode::Accept);
    let replayed = server
        .post_json("/webhooks/dead_letters/replay", SECRET, &json!({}))
        .await;
    assert_eq!(
        (replayed.status, replayed.body["events"].clone()),
        (200, json!(3))
    );
    wait_for(Duration::from_secs(10), "the replay", || {
        receiver.events().len() == 3
    })
    .await;
    receiver.assert_all_signed();
    assert!(dead_letters(&server).await.is_empty());
    let data: Vec<Value> = receiver
        .events()
        .iter()
        .map(|e| e["data"].clone())
        .collect();
    assert_eq!(
        data,
        (0..3)
            .map(|i| json!(json!({ "i": i }).to_string()))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_batch_failing_past_the_give_up_time_is_dead_lettered_and_can_be_discarded() {
    let tune = |w: &mut WebhooksConfig| w.give_up = Duration::from_secs(1);
    let (server, receiver) = setup(&[EventType::ClientEvent], tune).await;
    receiver.set(Mode::Status(503));
    let (mut a, mut b) = (server.pusher().await, server.pusher().await);
    a.subscribe("private-gu", None).await;
    b.subscribe("private-gu", None).await;
    client_event(&mut a, &mut b, "private-gu", json!({})).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let listed = loop {
        let listed = dead_letters(&server).await;
        if !listed.is_empty() {
            break listed;
        }
        assert!(Instant::now() < deadline, "given up in time");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        (listed[0]["reason"].clone(), listed[0]["status"].clone()),
        (json!("HTTP 503"), json!(503))
    );
    assert!(
        listed[0]["attempts"].as_u64().unwrap() >= 2,
        "retried before giving up"
    );
    let missing = server
        .post_json("/webhooks/dead_letters/discard", SECRET, &json!({}))
        .await;
    assert_eq!(missing.status, 400, "discard names its ids");
    let body = json!({ "ids": [listed[0]["id"]] });
    let discarded = server
        .post_json("/webhooks/dead_letters/discard", SECRET, &body)
        .await;
    assert_eq!(discarded.body, json!({"events": 1}));
    let metrics = server.url("/metrics");
    let gauge = common::process::metric_at(&metrics, "lattestream_webhook_dead_letters");
    assert_eq!(gauge.await, 0.0, "the gauge follows a discard");
    assert!(dead_letters(&server).await.is_empty());
    assert!(receiver.events().is_empty());
}

#[tokio::test]
async fn a_receiver_taking_10_seconds_does_not_delay_websocket_delivery() {
    let tune = |w: &mut WebhooksConfig| w.request_timeout = Duration::from_secs(30);
    let (server, receiver) = setup(&[EventType::ClientEvent], tune).await;
    receiver.set(Mode::Slow(Duration::from_secs(10)));
    let (mut a, mut b) = (server.pusher().await, server.pusher().await);
    a.subscribe("private-slow", None).await;
    b.subscribe("private-slow", None).await;
    client_event(&mut a, &mut b, "private-slow", json!({"first": true})).await;
    wait_for(Duration::from_secs(5), "the stalled request", || {
        receiver.arrivals() == 1
    })
    .await;
    let sent = Instant::now();
    a.send(json!({"event": "client-note", "channel": "private-slow", "data": {"second": true}}))
        .await;
    b.expect("client-note").await;
    let client_latency = sent.elapsed();
    let sent = Instant::now();
    server
        .trigger("private-slow", "server-note", json!({}))
        .await;
    b.expect("server-note").await;
    let rest_latency = sent.elapsed();
    assert!(
        receiver.requests().is_empty(),
        "delivered before the webhook returned"
    );
    println!(
        "while a webhook request stalled 10 s: client event delivered in {client_latency:?}, \
         REST event in {rest_latency:?}"
    );
    wait_for(Duration::from_secs(30), "both webhooks", || {
        receiver.events().len() == 2
    })
    .await;
    receiver.assert_all_signed();
}
