//! Three nodes on one Redis are one server: an event triggered on one reaches the subscribers on
//! every node exactly once and `triggered` counts the cluster; presence members, `GET /channels`,
//! `/channels/{name}` and `/users` are the cluster's; a user is terminated on every node; cache
//! channels replay what another node published. The process-level failures (`kill -9`, Redis
//! restarted) are in `cluster_failures.rs`.

mod common;

use std::time::Duration;

use common::receiver::{Keys, Receiver};
use common::redis::TestRedis;
use common::{SECRET, TestServer, WsClient, data_of, eventually};
use lattestream::auth::Secret;
use lattestream::config::{Config, Sensitive, WebhooksConfig};
use lattestream::webhooks::{EventType, WebhookEndpoint};
use serde_json::{Value, json};

/// The test config, sharing `redis` (its URL and this test's prefix).
fn config_on(redis: &TestRedis) -> Config {
    let mut config = common::test_config();
    config.redis.url = Some(Sensitive::new(&redis.url));
    config.redis.key_prefix = redis.prefix.clone();
    config
}

/// `n` nodes as `start` builds them, sharing `redis`.
async fn nodes(redis: &TestRedis, n: usize) -> Vec<TestServer> {
    let mut nodes = Vec::new();
    for _ in 0..n {
        nodes.push(TestServer::with_config(config_on(redis)).await);
    }
    nodes
}

/// The channel's cluster-wide subscription count as `GET /channels/{name}` on `node` reports it.
async fn subscription_count(node: &TestServer, channel: &str) -> u64 {
    let path = format!("/channels/{channel}?info=subscription_count");
    let reply = node.get(&path, SECRET).await;
    reply.body["subscription_count"].as_u64().unwrap_or(0)
}

/// Waits until every node reports `count` subscriptions on `channel`.
async fn counted_everywhere(nodes: &[TestServer], channel: &str, count: u64) {
    for node in nodes {
        eventually(|| async { subscription_count(node, channel).await == count }).await;
    }
}

async fn trigger(node: &TestServer, channel: &str, event: &str) -> Value {
    let body = json!({"channels": [channel], "event": event, "data": {"n": 1}});
    let reply = node.post_json("/events", SECRET, &body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

/// The next event other than presence and count announcements.
async fn next_event(client: &mut WsClient) -> String {
    loop {
        let frame = client.next().await.expect("a frame");
        let name = frame["event"].as_str().unwrap_or_default().to_owned();
        if !name.contains("internal") {
            return name;
        }
    }
}

#[tokio::test]
async fn an_event_triggered_on_one_node_reaches_every_node_once() {
    let redis = TestRedis::start();
    let nodes = nodes(&redis, 3).await;
    let mut clients = Vec::new();
    for node in &nodes {
        let mut client = node.pusher().await;
        client.subscribe("news", None).await;
        clients.push(client);
    }
    counted_everywhere(&nodes, "news", 3).await;
    let answer = trigger(&nodes[0], "news", "flash").await;
    assert_eq!(answer["triggered"], 3, "the cluster's audience: {answer}");
    trigger(&nodes[0], "news", "marker").await;
    for client in &mut clients {
        assert_eq!(next_event(client).await, "flash");
        assert_eq!(next_event(client).await, "marker", "flash came once");
    }
}

#[tokio::test]
async fn presence_members_are_the_clusters() {
    let redis = TestRedis::start();
    let nodes = nodes(&redis, 3).await;
    let room = "presence-room";
    let mut watcher = nodes[2].pusher().await;
    watcher
        .subscribe(room, Some(r#"{"user_id":"carol"}"#))
        .await;
    let mut alice_b = nodes[1].pusher().await;
    let joined = alice_b
        .subscribe(
            room,
            Some(r#"{"user_id":"alice","user_info":{"name":"A"}}"#),
        )
        .await;
    assert_eq!(data_of(&joined)["presence"]["count"], 2, "{joined}");
    let added = watcher.expect("pusher_internal:member_added").await;
    assert_eq!(data_of(&added)["user_id"], "alice");
    let mut alice_a = nodes[0].pusher().await;
    alice_a
        .subscribe(room, Some(r#"{"user_id":"alice"}"#))
        .await;
    let users = nodes[2]
        .get(&format!("/channels/{room}/users"), SECRET)
        .await;
    let mut ids: Vec<_> = users.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    assert_eq!(ids, ["alice", "carol"], "one member per user, any node");
    let listed = nodes[0].get("/channels", SECRET).await;
    assert_eq!(
        listed.body["channels"][0]["member_count"], 2,
        "{}",
        listed.body
    );
    drop(alice_b);
    alice_a
        .send(json!({"event": "pusher:ping", "data": {}}))
        .await;
    counted_everywhere(&nodes, room, 2).await;
    drop(alice_a);
    let removed = watcher.expect("pusher_internal:member_removed").await;
    assert_eq!(
        data_of(&removed)["user_id"],
        "alice",
        "gone once its last connection left"
    );
}

#[tokio::test]
async fn a_user_is_terminated_on_every_node() {
    let redis = TestRedis::start();
    let nodes = nodes(&redis, 2).await;
    let mut on_a = signed_in(&nodes[0], "u1").await;
    let mut on_b = signed_in(&nodes[1], "u1").await;
    let reply = nodes[0]
        .post_json("/users/u1/terminate_connections", SECRET, &json!({}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(on_a.expect_close_after_backlog().await, Some(4009));
    assert_eq!(on_b.expect_close_after_backlog().await, Some(4009));
}

async fn signed_in(node: &TestServer, user: &str) -> WsClient {
    let mut client = node.pusher().await;
    let user_data = json!({"id": user}).to_string();
    let auth = common::pusher_sign::user_auth(&client.socket_id, &user_data);
    let data = json!({"auth": auth, "user_data": user_data});
    client
        .send(json!({"event": "pusher:signin", "data": data}))
        .await;
    client.expect("pusher:signin_success").await;
    client
}

#[tokio::test]
async fn a_cache_channel_replays_what_another_node_published() {
    let redis = TestRedis::start();
    let nodes = nodes(&redis, 2).await;
    trigger(&nodes[0], "cache-weather", "forecast").await;
    let mut late = nodes[1].pusher().await;
    late.subscribe("cache-weather", None).await;
    assert_eq!(next_event(&mut late).await, "forecast");
}

#[tokio::test]
async fn channels_listing_is_the_clusters() {
    let redis = TestRedis::start();
    let nodes = nodes(&redis, 2).await;
    let mut a = nodes[0].pusher().await;
    a.subscribe("only-on-a", None).await;
    let mut b = nodes[1].pusher().await;
    b.subscribe("only-on-b", None).await;
    eventually(|| async {
        let listed = nodes[1].get("/channels", SECRET).await.body;
        let names: Vec<_> = listed["channels"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|c| c["channel"].as_str().unwrap_or("").to_owned())
            .collect();
        names.iter().any(|n| n == "only-on-a") && names.iter().any(|n| n == "only-on-b")
    })
    .await;
    drop(a);
    eventually(|| async {
        let listed = nodes[1].get("/channels", SECRET).await.body;
        !listed["channels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["channel"] == "only-on-a")
    })
    .await;
}

/// The test config on `redis` with app 1's webhooks at `receiver`: occupancy events, quick settings.
fn hooked(redis: &TestRedis, receiver: &Receiver) -> Config {
    let mut config = config_on(redis);
    config.apps[0].settings.webhooks = vec![WebhookEndpoint {
        url: receiver.url().try_into().unwrap(),
        secret: Secret::new(ENDPOINT_SECRET),
        event_types: vec![EventType::ChannelOccupied, EventType::ChannelVacated],
        filter_prefix: None,
    }];
    config.webhooks = WebhooksConfig {
        batch_window: Duration::from_millis(50),
        debounce: Duration::from_millis(200),
        retry_min: Duration::from_millis(100),
        retry_max: Duration::from_secs(1),
        ..WebhooksConfig::default()
    };
    config
}

const ENDPOINT_SECRET: &str = "whsec_cluster";

/// A webhook receiver checking app 1's and the endpoint's signatures.
async fn receiver() -> Receiver {
    Receiver::start(Keys {
        endpoint_secret: ENDPOINT_SECRET.into(),
        app_key: common::KEY.into(),
        app_secret: SECRET.into(),
    })
    .await
}

#[tokio::test]
async fn a_channel_on_two_nodes_gives_one_occupied_and_one_vacated_webhook() {
    let redis = TestRedis::start();
    let receiver = receiver().await;
    let nodes = [
        TestServer::with_config(hooked(&redis, &receiver)).await,
        TestServer::with_config(hooked(&redis, &receiver)).await,
    ];
    let mut on_a = nodes[0].pusher().await;
    on_a.subscribe("room", None).await;
    let mut on_b = nodes[1].pusher().await;
    on_b.subscribe("room", None).await;
    counted_everywhere(&nodes, "room", 2).await;
    drop(on_a);
    drop(on_b);
    eventually(|| async { receiver.channel_log("room").len() >= 2 }).await;
    flushed(&nodes[1], &receiver).await;
    assert_eq!(
        receiver.channel_log("room"),
        ["channel_occupied", "channel_vacated"],
        "once each for the cluster"
    );
    receiver.assert_all_signed();
}

#[tokio::test]
async fn a_channel_reoccupied_through_another_node_within_the_debounce_sends_nothing() {
    let redis = TestRedis::start();
    let receiver = receiver().await;
    let debounced = || {
        let mut config = hooked(&redis, &receiver);
        config.webhooks.debounce = Duration::from_secs(1);
        config
    };
    let nodes = [
        TestServer::with_config(debounced()).await,
        TestServer::with_config(debounced()).await,
    ];
    let mut on_a = nodes[0].pusher().await;
    on_a.subscribe("room", None).await;
    eventually(|| async { receiver.channel_log("room") == ["channel_occupied"] }).await;
    drop(on_a);
    // The departure is held in the shared queue (a return stored before it would not undo it).
    eventually(|| async { held_departures(&redis) == 1 }).await;
    // A reconnect through the other node, well within the delay.
    let mut on_b = nodes[1].pusher().await;
    on_b.subscribe("room", None).await;
    counted_everywhere(&nodes, "room", 1).await;
    flushed(&nodes[1], &receiver).await;
    assert_eq!(
        receiver.channel_log("room"),
        ["channel_occupied"],
        "neither the departure nor the return is sent"
    );
    receiver.assert_all_signed();
}

/// Waits until a marker channel's `channel_occupied` and `channel_vacated` (through `node`) arrived.
/// Everything stored before them, held departures included, was released no later and has a lower
/// id, so it was delivered first: a webhook that has not arrived by then was never sent.
async fn flushed(node: &TestServer, receiver: &Receiver) {
    let mut marker = node.pusher().await;
    marker.subscribe("marker", None).await;
    drop(marker);
    eventually(|| async { receiver.channel_log("marker").len() >= 2 }).await;
}

/// How many departures the cluster's webhook queue holds (its index of held departures).
fn held_departures(redis: &TestRedis) -> u64 {
    let index = format!("{}:wh:{{wh}}:heldkey", redis.prefix);
    let held: redis::RedisResult<u64> =
        redis::cmd("HLEN").arg(index).query(&mut redis.connection());
    held.expect("HLEN")
}

/// What Redis does for `events` events triggered on the first of `nodes` nodes with `per_node`
/// subscribers each on one channel: its commands (as `INFO commandstats` counts them, scripts' inner
/// commands included) and the bytes it read and wrote.
async fn redis_work(
    nodes: usize,
    per_node: usize,
    events: usize,
) -> (Vec<(String, u64)>, u64, u64) {
    let redis = TestRedis::own();
    let mut config = config_on(&redis);
    config.redis.heartbeat = Duration::from_secs(3600);
    let mut servers = Vec::new();
    for _ in 0..nodes {
        servers.push(TestServer::with_config(config.clone()).await);
    }
    let mut clients = Vec::new();
    for server in &servers {
        for _ in 0..per_node {
            let mut client = server.pusher().await;
            client.subscribe("news", None).await;
            clients.push(client);
        }
    }
    let total = (nodes * per_node) as u64;
    counted_everywhere(&servers, "news", total).await;
    redis.reset_stats();
    for _ in 0..events {
        trigger(&servers[0], "news", "flash").await;
    }
    for client in &mut clients {
        for _ in 0..events {
            assert_eq!(next_event(client).await, "flash");
        }
    }
    let mut calls = redis.command_calls();
    calls.retain(|(name, _)| !["info", "config|resetstat"].contains(&name.as_str()));
    calls.sort();
    let bytes_in = redis.stat("total_net_input_bytes");
    let bytes_out = redis.stat("total_net_output_bytes");
    (calls, bytes_in, bytes_out)
}

/// Redis work per event is the same for one node with one subscriber and for three nodes with 20
/// subscribers each: one `PUBLISH` for the cluster, one `HGET` of the channel's count for `triggered`,
/// and the rate limiter's script — never a command per node or per subscriber. Only the bytes Redis
/// writes grow: one copy of the envelope per node listening to the channel.
#[tokio::test]
async fn redis_work_per_event_grows_with_neither_nodes_nor_subscribers() {
    const EVENTS: u64 = 20;
    let (alone, in_1, out_1) = redis_work(1, 1, EVENTS as usize).await;
    let (three, in_3, out_3) = redis_work(3, 20, EVENTS as usize).await;
    eprintln!("1 node × 1 subscriber: {alone:?}, {in_1} B in, {out_1} B out");
    eprintln!("3 nodes × 20 subscribers: {three:?}, {in_3} B in, {out_3} B out");
    assert_eq!(alone, three, "the same commands");
    let count = |calls: &[(String, u64)], name: &str| {
        calls.iter().find(|(n, _)| n == name).map_or(0, |(_, c)| *c)
    };
    assert_eq!(count(&three, "publish"), EVENTS, "one PUBLISH per event");
    assert_eq!(count(&three, "hget"), EVENTS, "one count per event");
    assert_eq!(
        count(&three, "hlen"),
        0,
        "no member count on a channel without presence"
    );
    let per_event = |bytes: u64| bytes / EVENTS;
    eprintln!(
        "per event: {} B in, {} B out alone; {} B in, {} B out on three nodes",
        per_event(in_1),
        per_event(out_1),
        per_event(in_3),
        per_event(out_3)
    );
}

#[tokio::test]
async fn the_connection_quota_is_the_clusters() {
    let redis = TestRedis::start();
    let mut config = config_on(&redis);
    config.apps[0].settings.max_connections = Some(2);
    let a = TestServer::with_config(config.clone()).await;
    let b = TestServer::with_config(config).await;
    let _first = a.pusher().await;
    let _second = b.pusher().await;
    let mut third =
        common::WsClient::pusher_raw(a.addr, common::KEY, "?protocol=7&client=test&version=1")
            .await;
    let refused = third.next().await;
    let refused = refused.expect("an error frame before the close");
    assert_eq!(refused["event"], "pusher:error", "{refused}");
    assert_eq!(data_of(&refused)["code"], 4004, "{refused}");
}
