//! `GET /discover` and the `?discovery_token=` it hands out: the documented answer, configured values,
//! tokens accepted at connect, and invalid, expired or foreign tokens refused with 4009.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::{KEY, OTHER_KEY, TestServer, data_of, lattestream_at};
use lattestream::auth::discovery_token;
use serde_json::json;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn discover(server: &TestServer, key: &str) -> common::Reply {
    let url = server.url(&format!("/discover?api_key={key}"));
    server.send(|c| c.get(url)).await
}

async fn assert_refused(server: &TestServer, token: &str) {
    let mut c = lattestream_at(server.addr, &format!("?discovery_token={token}"), KEY).await;
    let frame = c.next().await.expect("an error frame first");
    assert_eq!(frame["event"], "lattestream:error");
    assert_eq!(data_of(&frame)["code"], 4009);
    assert_eq!(c.expect_close().await, Some(4009));
}

#[tokio::test]
async fn answers_where_to_connect_with_a_short_lived_token() {
    let server = TestServer::start().await;
    let before = now();
    let reply = discover(&server, KEY).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let b = &reply.body;
    assert_eq!(b["node_id"], server.node.id());
    assert_eq!(
        (b["region"].as_str(), b["cluster"].as_str()),
        (Some("local"), Some("local"))
    );
    assert_eq!(b["host"], "127.0.0.1");
    assert_eq!(b["port"], server.addr.port());
    assert!(b["discovery_token"].as_str().is_some_and(|t| !t.is_empty()));
    let expires_at = b["expires_at"].as_u64().unwrap();
    assert!(
        expires_at >= before + 300 && expires_at <= now() + 300,
        "five minutes"
    );
}

#[tokio::test]
async fn region_cluster_host_and_port_are_configurable() {
    let mut config = common::test_config();
    config.discovery.region = "eu-west".into();
    config.discovery.cluster = "eu1".into();
    config.discovery.host = Some("ws.example.com".into());
    config.discovery.port = Some(443);
    let server = TestServer::with_config(config).await;
    let b = discover(&server, KEY).await.body;
    assert_eq!(
        (&b["region"], &b["cluster"], &b["host"], &b["port"]),
        (
            &json!("eu-west"),
            &json!("eu1"),
            &json!("ws.example.com"),
            &json!(443)
        )
    );
}

#[tokio::test]
async fn a_discovery_token_is_accepted_at_connect() {
    let server = TestServer::start().await;
    let token = discover(&server, KEY).await.body["discovery_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut c = lattestream_at(server.addr, &format!("?discovery_token={token}"), KEY).await;
    c.established().await;
    c.subscribe("news", None).await;
}

#[tokio::test]
async fn invalid_expired_and_foreign_discovery_tokens_close_with_4009() {
    let server = TestServer::start().await;
    let apps = server.node.apps();
    let app = apps.by_id("1").unwrap();
    assert_refused(&server, "garbage").await;
    assert_refused(&server, "").await;
    assert_refused(&server, &discovery_token(&app, now() - 1)).await;
    let foreign = discovery_token(&apps.by_id("2").unwrap(), now() + 300);
    assert_refused(&server, &foreign).await;
    let forged = discovery_token(&app, now() + 300).replace("ldt_v1.1.", "ldt_v1.1.9");
    assert_refused(&server, &forged).await;
}

#[tokio::test]
async fn unknown_malformed_or_missing_keys_are_401() {
    let server = TestServer::start().await;
    let expected = json!({"error": "Invalid API key", "code": "INVALID_API_KEY"});
    for key in ["lspk_unknown", "hello", ""] {
        let reply = discover(&server, key).await;
        assert_eq!((reply.status, &reply.body), (401, &expected), "{key:?}");
    }
    let missing = server.send(|c| c.get(server.url("/discover"))).await;
    assert_eq!((missing.status, &missing.body), (401, &expected));
    assert_eq!(discover(&server, OTHER_KEY).await.status, 200);
}
