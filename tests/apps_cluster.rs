//! A cluster sharing a PostgreSQL app store: an app created, rotated or deleted through one node's admin
//! API reaches the others through `NOTIFY` (their polls are set to a minute, so nothing else could
//! explain it within the test's patience); `/ready` reports a store that went away.

mod common;

use std::time::Duration;

use common::postgres::TestDatabase;
use common::{TestServer, WsClient, eventually};
use lattestream::config::{Config, Sensitive};
use serde_json::{Value, json};

const TOKEN: &str = "cluster-admin-token";

fn node_config(database: &TestDatabase, poll: Duration) -> Config {
    Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        database_url: Some(Sensitive::new(database.url.clone())),
        admin_token: Some(Sensitive::new(TOKEN)),
        store_poll_interval: poll,
        // A data directory of its own: nodes of concurrent tests never share a webhook queue file
        // (two once met on ./data/webhooks.db: "database is locked" at start).
        data_dir: std::env::temp_dir().join(format!("ls-apps-{}", uuid::Uuid::new_v4())),
        ..Default::default()
    }
}

async fn connects(server: &TestServer, key: &str) -> bool {
    let mut client = WsClient::pusher_raw(server.addr, key, "?protocol=7").await;
    matches!(client.next().await, Ok(frame) if frame["event"] == "pusher:connection_established")
}

async fn admin_post(server: &TestServer, path: &str, body: Value) -> Value {
    let url = server.url(path);
    let reply = server
        .send(|c| c.post(url).bearer_auth(TOKEN).json(&body))
        .await;
    assert!(
        reply.status < 300,
        "{path}: {} {}",
        reply.status,
        reply.body
    );
    reply.body
}

async fn publish_status(server: &TestServer, secret: &str) -> u16 {
    let body = json!({"channels": ["news"], "event": "flash", "data": {}});
    server.post("/events", secret, &body).await.0
}

#[tokio::test]
async fn changes_through_one_node_reach_the_others_at_once() {
    let database = TestDatabase::create().await;
    let minute = Duration::from_secs(60);
    let a = TestServer::with_config(node_config(&database, minute)).await;
    let b = TestServer::with_config(node_config(&database, minute)).await;
    let first = a.node.apps().all();
    assert_eq!(first.len(), 1, "one first app for the cluster");
    assert_eq!(
        b.node.apps().all()[0].key,
        first[0].key,
        "both nodes serve it"
    );

    let made = admin_post(&a, "/admin/apps", json!({"id": "31"})).await;
    let key = made["key"].as_str().unwrap().to_owned();
    eventually(|| connects(&b, &key)).await;

    let rotated = admin_post(&a, "/admin/apps/31/rotate", json!({"grace": "0s"})).await;
    let secret = rotated["secret"].as_str().unwrap().to_owned();
    eventually(|| async { publish_status(&b, &secret).await == 200 }).await;
    assert_eq!(
        publish_status(&b, made["secret"].as_str().unwrap()).await,
        401
    );

    let mut client = WsClient::pusher(b.addr, &key).await;
    let url = a.url("/admin/apps/31");
    let deleted = a.send(|c| c.delete(url).bearer_auth(TOKEN)).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        client.expect_close().await,
        Some(4001),
        "node b closed the deleted app's client"
    );
    a.shutdown().await;
    b.shutdown().await;
    database.drop_now().await;
}

#[tokio::test]
async fn ready_turns_503_when_the_store_goes_and_the_apps_keep_being_served() {
    let database = TestDatabase::create().await;
    let server = TestServer::with_config(node_config(&database, Duration::from_millis(100))).await;
    let key = server.node.apps().all()[0].key.clone();
    let ready = |server: &TestServer| {
        let url = server.url("/ready");
        async move { reqwest::get(url).await.unwrap().status().as_u16() }
    };
    assert_eq!(ready(&server).await, 200);
    database.drop_now().await;
    eventually(|| async { ready(&server).await == 503 }).await;
    assert!(
        connects(&server, &key).await,
        "the apps last loaded are still served"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_node_whose_store_cannot_be_reached_does_not_start() {
    let config = Config {
        database_url: Some(Sensitive::new("postgres://postgres@127.0.0.1:1/none")),
        ..Default::default()
    };
    let error = lattestream::start(&config).await.err().expect("refused");
    assert!(error.to_string().contains("app store"), "{error}");
}
