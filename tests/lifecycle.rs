//! Connection lifecycle beyond the happy path: slow consumers are cut off without growing memory, apps
//! survive restarts, and shutdown asks clients to reconnect.

mod common;

use std::time::Duration;

use common::TestServer;
use serde_json::json;

#[tokio::test]
async fn a_slow_consumer_is_closed_with_4100_and_others_get_everything() {
    let mut config = common::test_config();
    config.websocket.send_queue = 64;
    // Long enough that the cut comes from the channel's full log, not from a write timing out.
    config.websocket.write_timeout = Duration::from_secs(30);
    config.apps[0].settings.rate_limits.enabled = false; // floods /events on purpose
    let server = TestServer::with_config(config).await;
    let mut slow = server.pusher().await;
    slow.subscribe("firehose", None).await;
    let mut healthy = server.pusher().await;
    healthy.subscribe("firehose", None).await;
    let reader = tokio::spawn(async move {
        let mut received = 0usize;
        while let Ok(frame) = healthy.next().await {
            if frame["event"] == "chunk" {
                received += 1;
            }
            if frame["event"] == "done" {
                break;
            }
        }
        (received, healthy)
    });
    let blob = "x".repeat(30 * 1024);
    let mut sent = 0;
    while server.node.metrics().slow_consumers() == 0 {
        assert!(sent < 2_000, "the slow consumer was never cut off");
        server.trigger("firehose", "chunk", json!(blob)).await;
        sent += 1;
    }
    server.trigger("firehose", "done", json!({})).await;
    let (received, _healthy) = reader.await.unwrap();
    assert_eq!(received, sent, "the healthy subscriber got every event");
    // Once the client reads again, what was written reaches it, then the error and the close.
    assert_eq!(slow.expect_close_after_backlog().await, Some(4100));
    let app = server.node.apps().by_id("1").unwrap();
    common::wait_until(|| server.node.local_connection_count(&app) == 1).await;
}

/// A connection cut off as a slow consumer whose write of the backlog then stalls too is one slow
/// consumer in the metrics, not two.
#[tokio::test]
async fn a_slow_consumer_is_counted_once() {
    let mut config = common::test_config();
    config.websocket.send_queue = 64;
    config.websocket.write_timeout = Duration::from_millis(300);
    config.apps[0].settings.rate_limits.enabled = false;
    let server = TestServer::with_config(config).await;
    let mut slow = server.pusher().await;
    slow.subscribe("firehose", None).await;
    let app = server.node.apps().by_id("1").unwrap();
    let blob = "x".repeat(30 * 1024);
    while server.node.local_connection_count(&app) == 1 {
        server.trigger("firehose", "chunk", json!(blob)).await;
    }
    common::wait_until(|| server.node.local_connection_count(&app) == 0).await;
    assert_eq!(server.node.metrics().slow_consumers(), 1);
    drop(slow);
}

#[tokio::test]
async fn the_first_app_is_created_once_and_kept_across_restarts() {
    let dir = std::env::temp_dir().join(format!("ls-restart-{}", uuid_like()));
    let config = lattestream::config::Config {
        data_dir: dir.clone(),
        ..Default::default()
    };
    let first = lattestream::start(&config).await.unwrap().apps().all();
    let second = lattestream::start(&config).await.unwrap().apps().all();
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].id.clone(), &first[0].key),
        (second[0].id.clone(), &second[0].key)
    );
    assert_eq!(first[0].secret, second[0].secret);
    assert!(first[0].key.starts_with("lspk_") && first[0].secret.expose().starts_with("lsk_"));
    std::fs::remove_dir_all(dir).unwrap();
}

fn uuid_like() -> String {
    format!("{}-{}", std::process::id(), rand_suffix())
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

#[tokio::test]
async fn shutdown_asks_clients_to_reconnect_with_4200() {
    let server = TestServer::start().await;
    let mut pusher = server.pusher().await;
    let mut latte = server.lattestream(common::KEY).await;
    let closing =
        tokio::spawn(async move { (pusher.expect_close().await, latte.expect_close().await) });
    server.shutdown().await;
    assert_eq!(closing.await.unwrap(), (Some(4200), Some(4200)));
}

#[tokio::test]
async fn apps_with_bad_key_prefixes_are_refused_at_start() {
    let mut config = common::test_config();
    config.apps[0].key = "pk_wrong".into();
    assert!(lattestream::start(&config).await.is_err());
    let mut config = common::test_config();
    config.apps[0].secret = lattestream::auth::Secret::new("sk_wrong");
    let error = lattestream::start(&config).await.err().unwrap().to_string();
    assert!(
        error.contains("lsk_") && !error.contains("sk_wrong"),
        "{error}"
    );
}
