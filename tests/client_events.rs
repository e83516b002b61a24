//! Client events: relayed to the other subscribers of private and presence channels, never echoed, and
//! refused with the protocol's codes where the app, the channel, the size or the rate forbids them.

mod common;

use common::{Dialect, TestServer, WsClient, data_of};
use serde_json::{Value, json};

async fn pair(server: &TestServer, dialect: Dialect, channel: &str) -> (WsClient, WsClient) {
    let connect = || async {
        match dialect {
            Dialect::Pusher => server.pusher().await,
            Dialect::LatteStream => server.lattestream(common::KEY).await,
        }
    };
    let (mut a, mut b) = (connect().await, connect().await);
    let data = channel
        .starts_with("presence-")
        .then_some(r#"{"user_id":"a"}"#);
    a.subscribe(channel, data).await;
    let data = channel
        .starts_with("presence-")
        .then_some(r#"{"user_id":"b"}"#);
    b.subscribe(channel, data).await;
    (a, b)
}

async fn error_code(c: &mut WsClient) -> Value {
    let error = c.expect(&c.name("error")).await;
    error["data"]["code"].clone()
}

async fn relayed_not_echoed(dialect: Dialect, channel: &str) {
    let server = TestServer::start().await;
    let (mut a, mut b) = pair(&server, dialect, channel).await;
    a.send(json!({"event": "client-typing", "channel": channel, "data": {"who": "a"}}))
        .await;
    let got = b.expect("client-typing").await;
    assert_eq!(data_of(&got), json!({"who": "a"}));
    if channel.starts_with("presence-") {
        assert_eq!(
            got["user_id"], "a",
            "presence client events carry the sender's user id"
        );
    }
    a.send(json!({"event": a.name("ping"), "data": {}})).await;
    loop {
        let frame = a.next().await.unwrap();
        assert_ne!(
            frame["event"], "client-typing",
            "never echoed to the sender"
        );
        if frame["event"] == a.name("pong") {
            break;
        }
    }
}

#[tokio::test]
async fn pusher_private_client_events() {
    relayed_not_echoed(Dialect::Pusher, "private-doc").await;
}

#[tokio::test]
async fn pusher_presence_client_events_carry_user_id() {
    relayed_not_echoed(Dialect::Pusher, "presence-doc").await;
}

#[tokio::test]
async fn lattestream_private_client_events() {
    relayed_not_echoed(Dialect::LatteStream, "private-doc").await;
}

#[tokio::test]
async fn lattestream_batch_frames_are_handled_in_order() {
    let server = TestServer::start().await;
    let mut a = server.lattestream(common::KEY).await;
    let mut b = server.lattestream(common::KEY).await;
    b.subscribe("private-doc", None).await;
    let auth = common::sign(&a.socket_id, "private-doc", None);
    let batch = json!({"event": "lattestream:batch", "data": {"messages": [
        {"event": "lattestream:subscribe", "data": {"channel": "private-doc", "auth": auth}},
        {"event": "client-one", "channel": "private-doc", "data": {"n": 1}},
        {"event": "client-two", "channel": "private-doc", "data": {"n": 2}},
    ]}});
    a.send(batch).await;
    a.expect("lattestream_internal:subscription_succeeded")
        .await;
    assert_eq!(b.expect("client-one").await["data"]["n"], 1);
    assert_eq!(b.next().await.unwrap()["event"], "client-two");
}

#[tokio::test]
async fn public_channels_refuse_client_events() {
    let server = TestServer::start().await;
    let mut a = server.pusher().await;
    a.subscribe("public", None).await;
    a.send(json!({"event": "client-x", "channel": "public", "data": {}}))
        .await;
    assert_eq!(error_code(&mut a).await, 4303);
}

#[tokio::test]
async fn unsubscribed_channels_refuse_client_events() {
    let server = TestServer::start().await;
    let mut a = server.pusher().await;
    a.send(json!({"event": "client-x", "channel": "private-x", "data": {}}))
        .await;
    assert_eq!(error_code(&mut a).await, 4303);
}

#[tokio::test]
async fn apps_without_client_events_refuse_them() {
    let server = TestServer::start().await;
    let mut a = WsClient::pusher(server.addr, common::OTHER_KEY).await;
    let auth = {
        let sig = lattestream::auth::hmac_hex(
            &lattestream::auth::Secret::new(common::OTHER_SECRET),
            &format!("{}:private-x", a.socket_id),
        );
        format!("{}:{sig}", common::OTHER_KEY)
    };
    a.subscribe_with("private-x", Some(auth), None).await;
    a.expect("pusher_internal:subscription_succeeded").await;
    a.send(json!({"event": "client-x", "channel": "private-x", "data": {}}))
        .await;
    assert_eq!(error_code(&mut a).await, 4303);
}

#[tokio::test]
async fn oversized_client_events_are_refused_and_the_channel_keeps_working() {
    let server = TestServer::start().await;
    let (mut a, mut b) = pair(&server, Dialect::Pusher, "private-big").await;
    let big = "x".repeat(11 * 1024);
    a.send(json!({"event": "client-big", "channel": "private-big", "data": {"blob": big}}))
        .await;
    assert_eq!(error_code(&mut a).await, 4302);
    a.send(json!({"event": "client-small", "channel": "private-big", "data": {}}))
        .await;
    b.expect("client-small").await;
}

#[tokio::test]
async fn client_events_over_the_rate_are_refused() {
    let server = TestServer::start().await;
    let (mut a, mut b) = pair(&server, Dialect::Pusher, "private-fast").await;
    for n in 0..11 {
        a.send(json!({"event": "client-n", "channel": "private-fast", "data": {"n": n}}))
            .await;
    }
    assert_eq!(
        error_code(&mut a).await,
        4301,
        "the 11th event in one second is refused"
    );
    for n in 0..10 {
        assert_eq!(data_of(&b.expect("client-n").await)["n"], n);
    }
}
