//! Webhooks across what only a real process shows: the receiver is down, the server is killed with
//! `kill -9` and started again on the same data directory, and everything still arrives (with the
//! departures the crash caused); and a backlog of 100,000 events waits on disk while the server's
//! resident memory stays flat. Figures are printed (`cargo test --test webhooks_durable -- --nocapture`).

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::process::{ServerProcess, run_command, temp_dir};
use common::receiver::{Keys, Mode, Receiver};
use common::{KEY, SECRET, WsClient};
use serde_json::json;
use tokio::time::Instant;

const ENDPOINT_SECRET: &str = "whsec_durable";

fn keys() -> Keys {
    Keys {
        endpoint_secret: ENDPOINT_SECRET.into(),
        app_key: KEY.into(),
        app_secret: SECRET.into(),
    }
}

/// App 1 (the common test keys) with one endpoint at `url` taking `types`, and quick retries.
fn config(url: &str, types: &str, extra: &str) -> String {
    format!(
        r#"
[webhooks]
batch_window = "50ms"
debounce = "300ms"
retry_min = "100ms"
retry_max = "500ms"
{extra}

[[apps]]
id = "1"
key = "{KEY}"
secret = "{SECRET}"
client_events = true
client_events_per_second = 1000000

[[apps.webhooks]]
url = "{url}"
secret = "{ENDPOINT_SECRET}"
event_types = [{types}]

[apps.rate_limits]
enabled = false
"#
    )
}

async fn wait_for(limit: Duration, what: &str, mut condition: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A down receiver: its port is known and refuses connections.
async fn down_receiver() -> Receiver {
    let receiver = Receiver::start(keys()).await;
    receiver.down();
    receiver
}

#[tokio::test]
async fn receiver_down_and_kill_9_in_the_middle_lose_nothing() {
    let mut receiver = down_receiver().await;
    let data = temp_dir("ls-kill9");
    let types = r#""channel_occupied", "channel_vacated", "member_added", "member_removed", "client_event""#;
    let config = config(&receiver.url(), types, "");
    let first = ServerProcess::start(&data, &config);
    let (mut a, mut b) = (
        WsClient::pusher(first.addr, KEY).await,
        WsClient::pusher(first.addr, KEY).await,
    );
    a.subscribe("presence-k", Some(r#"{"user_id":"alice"}"#))
        .await;
    b.subscribe("presence-k", Some(r#"{"user_id":"bob"}"#))
        .await;
    for channel in ["private-k1", "private-k2"] {
        a.subscribe(channel, None).await;
        b.subscribe(channel, None).await;
        for seq in 0..50 {
            a.send(json!({"event": "client-note", "channel": channel, "data": {"seq": seq}}))
                .await;
            b.expect("client-note").await;
        }
    }
    b.send(json!({"event": "pusher:unsubscribe", "data": {"channel": "presence-k"}}))
        .await;
    // 4 on presence-k (bob's removal held by the debounce) and 51 on each private channel: stored.
    let last_sent = Instant::now();
    wait_for(Duration::from_secs(10), "106 events stored", async || {
        first.metric("lattestream_webhook_backlog").await == 106.0
    })
    .await;
    let stored = last_sent.elapsed();
    first.kill9();
    let second = ServerProcess::start(&data, &config);
    let up = Instant::now();
    receiver.up().await;
    let expected = 110; // + alice's removal and three vacated channels, which the crash caused
    wait_for(Duration::from_secs(30), "every event", async || {
        receiver
            .events()
            .iter()
            .map(|e| e.to_string())
            .collect::<HashSet<_>>()
            .len()
            >= expected
    })
    .await;
    let drained = up.elapsed();
    receiver.assert_all_signed();
    assert_eq!(
        receiver.channel_log("presence-k"),
        [
            "channel_occupied",
            "member_added:alice",
            "member_added:bob",
            "member_removed:bob",
            "member_removed:alice",
            "channel_vacated"
        ]
    );
    for channel in ["private-k1", "private-k2"] {
        let log = receiver.channel_log(channel);
        assert_eq!(
            (log.len(), log[0].as_str(), log[51].as_str()),
            (52, "channel_occupied", "channel_vacated")
        );
        let seqs: Vec<_> = receiver
            .events()
            .iter()
            .filter(|e| e["channel"] == channel && e["name"] == "client_event")
            .map(|e| e["data"].as_str().unwrap().to_owned())
            .collect();
        let in_order: Vec<_> = (0..50).map(|i| json!({ "seq": i }).to_string()).collect();
        assert_eq!(seqs, in_order, "{channel} in order");
    }
    let delivered = receiver.events().len();
    println!(
        "kill -9 with the receiver down: events sent {expected} (106 stored before the kill, 4 \
         departures the crash caused), delivered {delivered}, duplicates {}, drained {drained:?} \
         after the receiver came back; the last event was on disk within {stored:?} (polled every \
         20 ms)",
        delivered - expected
    );
    drop(second);
    let _ = std::fs::remove_dir_all(data);
}

#[tokio::test]
async fn a_backlog_of_100000_events_waits_on_disk_in_flat_memory() {
    const EVENTS: usize = 100_000;
    let mut receiver = down_receiver().await;
    let data = temp_dir("ls-backlog");
    let server = ServerProcess::start(
        &data,
        &config(&receiver.url(), r#""client_event""#, "max_batch = 500"),
    );
    let mut a = WsClient::pusher(server.addr, KEY).await;
    a.subscribe("private-m", None).await;
    let mut samples = vec![(0, server.rss_kib())];
    let mut sent = 0;
    for checkpoint in [10_000, 25_000, 50_000, 75_000, EVENTS] {
        while sent < checkpoint {
            let data = json!({"seq": sent, "pad": "x".repeat(100)});
            a.send(json!({"event": "client-note", "channel": "private-m", "data": data}))
                .await;
            sent += 1;
        }
        wait_for(
            Duration::from_secs(60),
            "the backlog to be stored",
            async || server.metric("lattestream_webhook_backlog").await >= sent as f64,
        )
        .await;
        samples.push((sent, server.rss_kib()));
    }
    let dropped = server
        .metric(r#"lattestream_webhook_events_dropped_total{reason="handoff_full"}"#)
        .await;
    assert_eq!(dropped, 0.0, "nothing dropped at the hand-off");
    let growth = samples.last().unwrap().1 as i64 - samples[2].1 as i64;
    println!(
        "backlog RSS (events, KiB): {samples:?}; growth from 25,000 to 100,000 events: {growth} KiB"
    );
    assert!(
        growth < 16 * 1024,
        "memory grew {growth} KiB while the backlog went from 25,000 to 100,000"
    );
    let up = Instant::now();
    receiver.up().await;
    wait_for(
        Duration::from_secs(300),
        "the backlog to drain",
        async || receiver.events().len() >= EVENTS,
    )
    .await;
    let drained = up.elapsed();
    let order_kept = receiver.events().iter().enumerate().all(|(i, e)| {
        serde_json::from_str::<serde_json::Value>(e["data"].as_str().unwrap()).unwrap()["seq"] == i
    });
    assert!(order_kept, "drained in order");
    println!(
        "drained {EVENTS} events in {drained:?} ({:.0} events/s), RSS after {} KiB",
        EVENTS as f64 / drained.as_secs_f64(),
        server.rss_kib()
    );
    let _ = std::fs::remove_dir_all(data);
}

#[tokio::test]
async fn the_command_line_lists_and_replays_dead_letters_while_the_server_runs() {
    let receiver = Receiver::start(keys()).await;
    receiver.set(Mode::Status(400));
    let data = temp_dir("ls-cli");
    let server = ServerProcess::start(&data, &config(&receiver.url(), r#""client_event""#, ""));
    let mut a = WsClient::pusher(server.addr, KEY).await;
    a.subscribe("private-cli", None).await;
    for seq in 0..3 {
        a.send(json!({"event": "client-note", "channel": "private-cli", "data": {"seq": seq}}))
            .await;
    }
    wait_for(
        Duration::from_secs(10),
        "3 dead-lettered events",
        async || {
            server
                .metric("lattestream_webhook_dead_lettered_total")
                .await
                == 3.0
        },
    )
    .await;
    let listed = run_command(&data, &["webhooks", "dead-letters"]);
    assert!(
        listed.contains("app=1") && listed.contains("reason=\"refused with HTTP 400\""),
        "{listed}"
    );
    assert!(
        listed.contains(&format!("url={}", receiver.url())),
        "{listed}"
    );
    receiver.set(Mode::Accept);
    let replayed = run_command(&data, &["webhooks", "replay", "--all"]);
    assert_eq!(replayed.trim(), "replayed 3 events");
    wait_for(Duration::from_secs(10), "the replayed events", async || {
        receiver.events().len() == 3
    })
    .await;
    receiver.assert_all_signed();
    assert_eq!(
        run_command(&data, &["webhooks", "dead-letters"]).trim(),
        "no dead letters"
    );
    let _ = std::fs::remove_dir_all(data);
}
