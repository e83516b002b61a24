//! A cluster of server processes on one Redis, failing as processes do: a node killed with `kill -9`
//! has its presence members removed everywhere within the bound while the others keep serving, and a
//! Redis killed and restarted empty is reconnected to, `/ready` reporting it meanwhile, with delivery
//! resumed (also on a channel first joined while Redis was away) and presence reconciled.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::process::ServerProcess;
use common::redis::TestRedis;
use common::{KEY, SECRET, WsClient, data_of};
use serde_json::{Value, json};

/// How soon a dead node's members must be gone: the documented default bound (defaults: node timeout
/// 6 s + heartbeat 2 s).
const BOUND: Duration = Duration::from_secs(10);

/// App 1 on `redis`, with this test's prefix and `timing` (TOML lines under `[redis]`).
fn config(redis: &TestRedis, timing: &str) -> String {
    format!(
        r#"
database_url = "sqlite::memory:"

[redis]
url = "{url}"
key_prefix = "{prefix}"
{timing}

[[apps]]
id = "1"
key = "{KEY}"
secret = "{SECRET}"
client_events = true
"#,
        url = redis.url,
        prefix = redis.prefix
    )
}

fn temp_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{name}-{}", uuid::Uuid::new_v4()))
}

/// The default heartbeat and node timeout (the documented bound is theirs).
const DEFAULT_TIMING: &str = "";
/// A quick heartbeat, for tests that wait on it.
const QUICK_TIMING: &str = "heartbeat = \"500ms\"\nnode_timeout = \"3s\"";

/// `n` server processes sharing `redis`.
fn cluster(redis: &TestRedis, n: usize, timing: &str) -> Vec<ServerProcess> {
    let config = config(redis, timing);
    (0..n)
        .map(|i| ServerProcess::start(&temp_dir(&format!("ls-cluster-{i}")), &config))
        .collect()
}

async fn client(node: &ServerProcess) -> WsClient {
    WsClient::pusher(node.addr, KEY).await
}

async fn trigger(node: &ServerProcess, channel: &str, event: &str) -> Option<Value> {
    let body = json!({"channels": [channel], "event": event, "data": {}});
    let response = reqwest::Client::new()
        .post(node.url("/events"))
        .bearer_auth(SECRET)
        .json(&body)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    response.json().await.ok()
}

async fn users(node: &ServerProcess, channel: &str) -> Vec<String> {
    let url = node.url(&format!("/channels/{channel}/users"));
    let reply = reqwest::Client::new()
        .get(url)
        .bearer_auth(SECRET)
        .send()
        .await;
    let Ok(body) = reply.unwrap().json::<Value>().await else {
        return Vec::new();
    };
    let mut ids: Vec<String> = body["users"]
        .as_array()
        .map(|u| {
            u.iter()
                .filter_map(|u| u["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

async fn ready(node: &ServerProcess) -> u16 {
    match reqwest::get(node.url("/ready")).await {
        Ok(response) => response.status().as_u16(),
        Err(_) => 0,
    }
}

async fn wait_for(limit: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_killed_nodes_members_are_removed_everywhere_within_the_bound() {
    let redis = TestRedis::start();
    let mut nodes = cluster(&redis, 3, DEFAULT_TIMING);
    let room = "presence-room";
    let mut carol = client(&nodes[0]).await;
    carol.subscribe(room, Some(r#"{"user_id":"carol"}"#)).await;
    let mut alice = client(&nodes[1]).await;
    alice.subscribe(room, Some(r#"{"user_id":"alice"}"#)).await;
    let added = carol.expect("pusher_internal:member_added").await;
    assert_eq!(data_of(&added)["user_id"], "alice");
    assert_eq!(users(&nodes[2], room).await, ["alice", "carol"]);

    let b = nodes.remove(1);
    let killed = Instant::now();
    b.kill9();
    let removed = async {
        loop {
            let frame = carol.next_untimed().await.expect("carol stays connected");
            if frame["event"] == "pusher_internal:member_removed" {
                return frame;
            }
        }
    };
    let removed = tokio::time::timeout(BOUND, removed)
        .await
        .expect("member_removed within the bound");
    let took = killed.elapsed();
    assert_eq!(data_of(&removed)["user_id"], "alice");
    println!("member_removed {took:?} after kill -9");
    assert_eq!(
        users(&nodes[1], room).await,
        ["carol"],
        "C lists the survivors"
    );

    let mut on_c = client(&nodes[1]).await;
    on_c.subscribe("news", None).await;
    wait_for(BOUND, "the others keep serving", async || {
        trigger(&nodes[0], "news", "flash")
            .await
            .is_some_and(|answer| answer["triggered"] == 1)
    })
    .await;
    assert_eq!(on_c.expect("flash").await["channel"], "news");
}

#[tokio::test]
async fn a_redis_restart_is_survived() {
    let mut redis = TestRedis::own();
    let nodes = cluster(&redis, 2, QUICK_TIMING);
    let mut reader = client(&nodes[0]).await;
    reader.subscribe("news", None).await;
    let mut bob = client(&nodes[1]).await;
    bob.subscribe("presence-room", Some(r#"{"user_id":"bob"}"#))
        .await;
    assert_eq!(users(&nodes[0], "presence-room").await, ["bob"]);

    redis.stop();
    wait_for(BOUND, "/ready reports the lost Redis", async || {
        ready(&nodes[0]).await == 503
    })
    .await;
    let mut late = client(&nodes[0]).await;
    late.subscribe("late-news", None).await;
    redis.restart();
    wait_for(BOUND * 2, "/ready again", async || {
        ready(&nodes[0]).await == 200 && ready(&nodes[1]).await == 200
    })
    .await;
    wait_for(BOUND, "presence reconciled", async || {
        users(&nodes[0], "presence-room").await == ["bob"]
    })
    .await;
    wait_for(BOUND, "delivery resumed", async || {
        trigger(&nodes[1], "news", "again").await;
        matches!(
            tokio::time::timeout(Duration::from_millis(300), reader.next()).await,
            Ok(Ok(frame)) if frame["event"] == "again"
        )
    })
    .await;
    wait_for(
        BOUND,
        "a channel joined during the outage is heard",
        async || {
            trigger(&nodes[1], "late-news", "late").await;
            matches!(
                tokio::time::timeout(Duration::from_millis(300), late.next()).await,
                Ok(Ok(frame)) if frame["event"] == "late"
            )
        },
    )
    .await;
}
