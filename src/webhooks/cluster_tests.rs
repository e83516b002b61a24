//! Two nodes sharing one Redis queue: each event reaches the receiver once, and when the node
//! delivering an endpoint stops, the other takes over once the lease expires.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::{
    Lease, LedgerOp, RedisLease, RedisQueue, WebhookEndpoint, WebhookQueue, Webhooks, Write,
};
use crate::apps::{Apps, test_app};
use crate::auth::Secret;
use crate::config::WebhooksConfig;
use crate::events::HubEvent;
use crate::protocol::ChannelName;
use crate::redis::testing::TestRedis;
use crate::redis::{Redis, connect_for_test};

/// A short lease, so the takeover is quick.
const TTL: Duration = Duration::from_millis(900);

/// Channel name → how many times the receiver got its `channel_occupied`.
type Seen = Arc<Mutex<HashMap<String, u32>>>;

/// An HTTP receiver counting the events of every batch; answers 200.
async fn receiver() -> (String, Seen) {
    let seen = Seen::default();
    let counted = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let counted = counted.clone();
            async move {
                let batch: serde_json::Value = serde_json::from_str(&body).unwrap();
                for event in batch["events"].as_array().unwrap() {
                    let channel = event["channel"].as_str().unwrap().to_owned();
                    *counted.lock().entry(channel).or_default() += 1;
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

fn apps(url: &str) -> Arc<Apps> {
    let mut app = test_app();
    app.settings.webhooks = vec![WebhookEndpoint {
        url: url.to_owned().try_into().unwrap(),
        secret: Secret::new("endpoint-secret"),
        event_types: Vec::new(),
        filter_prefix: None,
    }];
    Arc::new(Apps::new(vec![app]).unwrap())
}

/// Settings that keep the tests quick.
fn quick() -> WebhooksConfig {
    WebhooksConfig {
        batch_window: Duration::from_millis(20),
        debounce: Duration::from_millis(300),
        retry_min: Duration::from_millis(100),
        ..WebhooksConfig::default()
    }
}

async fn node(redis: &Redis, apps: &Arc<Apps>, id: u32) -> Arc<Webhooks> {
    let queue = Arc::new(RedisQueue::new(redis.clone()));
    let lease: Arc<dyn Lease> = Arc::new(RedisLease::new(redis.clone(), id, TTL));
    Webhooks::start_with(quick(), queue, apps.clone(), Some(lease))
        .await
        .unwrap()
}

/// Emits `channel_occupied` for `ch-FROM` .. `ch-TO` through `node`'s sink.
fn occupy(node: &Webhooks, apps: &Apps, range: std::ops::Range<u32>) {
    let app = apps.by_id("1").unwrap();
    for i in range {
        let channel = ChannelName::parse(&format!("ch-{i}")).unwrap();
        node.sink().emit(&app, HubEvent::ChannelOccupied(channel));
    }
}

/// Waits (up to `limit`) until the receiver has `n` channels, then checks each came once.
async fn each_once(seen: &Seen, n: usize, limit: Duration) {
    let deadline = Instant::now() + limit;
    while seen.lock().len() < n {
        assert!(
            Instant::now() < deadline,
            "only {} of {n} delivered",
            seen.lock().len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = seen.lock();
    assert_eq!(seen.len(), n);
    let twice: Vec<_> = seen.iter().filter(|(_, count)| **count != 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
}

/// The id of the node holding the endpoint's lease.
async fn holder(redis: &Redis, url: &str) -> u32 {
    lease_of(redis, url).await.expect("a node holds the lease")
}

/// The id of the node holding the endpoint's lease, if any does.
async fn lease_of(redis: &Redis, url: &str) -> Option<u32> {
    let key = redis.keys().webhook_lease(&test_app().id, url);
    let held: Option<String> = redis
        .call("test", |mut c| async move {
            redis::cmd("GET").arg(key).query_async(&mut c).await
        })
        .await
        .unwrap();
    held.map(|id| id.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_deliver_each_event_once_and_take_over_from_a_stopped_one() {
    let server = TestRedis::start();
    let (url, seen) = receiver().await;
    let apps = apps(&url);
    let redis = connect_for_test(&server.url, &server.prefix, Arc::default()).await;
    let nodes = [node(&redis, &apps, 1).await, node(&redis, &apps, 2).await];
    occupy(&nodes[0], &apps, 0..20);
    occupy(&nodes[1], &apps, 20..40);
    each_once(&seen, 40, Duration::from_secs(10)).await;

    let holding = holder(&redis, &url).await;
    let (stopped, other) = match holding {
        1 => (&nodes[0], &nodes[1]),
        _ => (&nodes[1], &nodes[0]),
    };
    stopped.stop();
    occupy(other, &apps, 40..60);
    each_once(&seen, 60, Duration::from_secs(10)).await;
    assert_ne!(holder(&redis, &url).await, holding, "the lease moved");
    let queue = RedisQueue::new(redis.clone());
    assert!(queue.stats().await.unwrap().is_empty(), "nothing left");
}

/// What a queue holds after a start over a ledger listing one present channel, with or without a
/// lease: pending rows (the departure a single node reports) or none.
async fn pending_after_start(server: &TestRedis, prefix: &str, clustered: bool) -> u64 {
    let redis = connect_for_test(&server.url, prefix, Arc::default()).await;
    let queue = Arc::new(RedisQueue::new(redis.clone()));
    let present = LedgerOp::Present(test_app().id, "ch-x".into(), None);
    let step = Write {
        ledger: vec![present],
        ..Write::default()
    };
    queue.write(step).await.unwrap();
    let lease: Option<Arc<dyn Lease>> =
        clustered.then(|| Arc::new(RedisLease::new(redis, 1, TTL)) as _);
    let apps = apps("http://127.0.0.1:9/hook");
    let node = Webhooks::start_with(quick(), queue.clone(), apps, lease)
        .await
        .unwrap();
    node.flush().await;
    node.stop();
    let stats = queue.stats().await.unwrap();
    stats.iter().map(|s| s.pending).sum()
}

#[tokio::test]
async fn a_clustered_start_leaves_departures_to_the_presence_store() {
    let server = TestRedis::start();
    let single = pending_after_start(&server, &format!("{}-1", server.prefix), false).await;
    assert_eq!(single, 1, "a single node reports the channel vacated");
    let clustered = pending_after_start(&server, &format!("{}-2", server.prefix), true).await;
    assert_eq!(clustered, 0, "a cluster node does not");
}

#[tokio::test]
async fn a_node_stopping_in_order_hands_its_leases_over_at_once() {
    let server = TestRedis::start();
    let (url, seen) = receiver().await;
    let apps = apps(&url);
    let redis = connect_for_test(&server.url, &server.prefix, Arc::default()).await;
    let first = node(&redis, &apps, 1).await;
    occupy(&first, &apps, 0..3);
    each_once(&seen, 3, Duration::from_secs(10)).await;
    assert_eq!(lease_of(&redis, &url).await, Some(1));
    first.stop();
    first.release_leases().await;
    assert_eq!(lease_of(&redis, &url).await, None);
}
