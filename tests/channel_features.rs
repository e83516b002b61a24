//! Pusher channel features: cache channels, encrypted channels, subscription counts.

mod common;

use common::{TestServer, data_of};
use serde_json::json;

#[tokio::test]
async fn cache_channels_replay_the_last_event_or_say_cache_miss() {
    let server = TestServer::start().await;
    let mut first = server.pusher().await;
    first.subscribe("cache-news", None).await;
    assert_eq!(
        first.next().await.unwrap(),
        json!({"event": "pusher:cache_miss", "channel": "cache-news", "data": "{}"})
    );
    server
        .trigger("cache-news", "headline", json!({"n": 1}))
        .await;
    server
        .trigger("cache-news", "headline", json!({"n": 2}))
        .await;
    let mut late = server.lattestream(common::KEY).await;
    late.subscribe("cache-news", None).await;
    let replay = late.next().await.unwrap();
    assert_eq!(
        (replay["event"].clone(), data_of(&replay)),
        (json!("headline"), json!({"n": 2}))
    );
}

#[tokio::test]
async fn cache_channels_remember_events_sent_while_empty() {
    let server = TestServer::start().await;
    server
        .trigger("private-cache-x", "state", json!({"v": 7}))
        .await;
    let mut c = server.pusher().await;
    c.subscribe("private-cache-x", None).await;
    assert_eq!(data_of(&c.expect("state").await), json!({"v": 7}));
    let mut p = server.pusher().await;
    p.subscribe("presence-cache-room", Some(r#"{"user_id":"u"}"#))
        .await;
    p.expect("pusher:cache_miss").await;
}

#[tokio::test]
async fn encrypted_channels_pass_payloads_through_and_refuse_client_events() {
    let server = TestServer::start().await;
    let mut c = server.pusher().await;
    c.subscribe("private-encrypted-vault", None).await;
    let sealed = json!({"nonce": "bm9uY2U=", "ciphertext": "c2VhbGVk"}).to_string();
    server
        .trigger("private-encrypted-vault", "secret", json!(sealed))
        .await;
    assert_eq!(
        c.expect("secret").await["data"],
        sealed,
        "opaque, untouched"
    );
    c.send(json!({"event": "client-x", "channel": "private-encrypted-vault", "data": {}}))
        .await;
    assert_eq!(c.expect("pusher:error").await["data"]["code"], 4303);
}

#[tokio::test]
async fn subscription_counts_are_sent_where_the_app_enables_them() {
    let mut config = common::test_config();
    config.apps[0].settings.subscription_count_events = true;
    let server = TestServer::with_config(config).await;
    let mut a = server.pusher().await;
    a.subscribe("counted", None).await;
    let count = a.expect("pusher_internal:subscription_count").await;
    assert_eq!(data_of(&count), json!({"subscription_count": 1}));
    let mut b = server.pusher().await;
    b.subscribe("counted", None).await;
    assert_eq!(
        data_of(&a.expect("pusher_internal:subscription_count").await)["subscription_count"],
        2
    );
    drop(b);
    assert_eq!(
        data_of(&a.expect("pusher_internal:subscription_count").await)["subscription_count"],
        1
    );
}

#[tokio::test]
async fn subscription_counts_are_off_by_default() {
    let server = TestServer::start().await;
    let mut a = server.pusher().await;
    a.subscribe("quiet", None).await;
    server.trigger("quiet", "next", json!({})).await;
    assert_eq!(a.next().await.unwrap()["event"], "next");
}

#[tokio::test]
async fn client_events_do_not_fill_a_cache_channel() {
    let server = TestServer::start().await;
    let mut a = server.pusher().await;
    a.subscribe("private-cache-doc", None).await;
    a.expect("pusher:cache_miss").await;
    a.send(json!({"event": "client-edit", "channel": "private-cache-doc", "data": {}}))
        .await;
    let mut late = server.pusher().await;
    late.subscribe("private-cache-doc", None).await;
    late.expect("pusher:cache_miss").await;
}

#[tokio::test]
async fn the_pusher_api_reports_a_cache_channels_event_and_ttl() {
    let server = TestServer::start().await;
    server
        .trigger("cache-price", "tick", json!({"usd": 3}))
        .await;
    let api = common::pusher_sign::PusherApi::new(&server);
    let reply = api.get("/channels/cache-price", &[("info", "cache")]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["occupied"], false);
    assert_eq!(
        (
            body["cache"]["event"].clone(),
            body["cache"]["data"].clone()
        ),
        (json!("tick"), json!("{\"usd\":3}"))
    );
    let ttl = body["cache"]["ttl"].as_u64().unwrap();
    assert!(ttl > 0 && ttl <= 1800, "{ttl}");
    let without = api.get("/channels/cache-price", &[]).await.json();
    assert_eq!(without, json!({"occupied": false}));
}
