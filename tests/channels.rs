//! Channels of every kind, in both dialects: subscribe, receive REST events, unsubscribe.

mod common;

use common::{Dialect, TestServer, WsClient, data_of};
use serde_json::json;

async fn client(server: &TestServer, dialect: Dialect) -> WsClient {
    match dialect {
        Dialect::Pusher => server.pusher().await,
        Dialect::LatteStream => server.lattestream(common::KEY).await,
    }
}

async fn receives_rest_events_on(dialect: Dialect, channel: &str) {
    let server = TestServer::start().await;
    let mut c = client(&server, dialect).await;
    c.subscribe(channel, None).await;
    let body = server
        .trigger(channel, "greet", json!({"hello": "world"}))
        .await;
    assert_eq!(
        body,
        json!({"channels": [channel], "event": "greet", "triggered": 1})
    );
    let event = c.expect("greet").await;
    assert_eq!(event["channel"], channel);
    assert_eq!(data_of(&event), json!({"hello": "world"}));
}

#[tokio::test]
async fn pusher_public_channel_receives_events() {
    receives_rest_events_on(Dialect::Pusher, "chat").await;
}

#[tokio::test]
async fn pusher_private_channel_receives_events() {
    receives_rest_events_on(Dialect::Pusher, "private-chat").await;
}

#[tokio::test]
async fn lattestream_public_channel_receives_events() {
    receives_rest_events_on(Dialect::LatteStream, "chat").await;
}

#[tokio::test]
async fn lattestream_private_channel_receives_events() {
    receives_rest_events_on(Dialect::LatteStream, "private-chat").await;
}

#[tokio::test]
async fn both_dialects_receive_the_same_event() {
    let server = TestServer::start().await;
    let mut pusher = server.pusher().await;
    let mut latte = server.lattestream(common::KEY).await;
    pusher.subscribe("news", None).await;
    latte.subscribe("news", None).await;
    let body = server.trigger("news", "flash", json!("plain text")).await;
    assert_eq!(body["triggered"], 2);
    for c in [&mut pusher, &mut latte] {
        let event = c.expect("flash").await;
        assert_eq!(
            event["data"], "plain text",
            "a string payload passes unchanged"
        );
    }
}

#[tokio::test]
async fn unsubscribed_clients_stop_receiving() {
    let server = TestServer::start().await;
    for dialect in [Dialect::Pusher, Dialect::LatteStream] {
        let mut c = client(&server, dialect).await;
        c.subscribe("room", None).await;
        c.send(json!({"event": c.name("unsubscribe"), "data": {"channel": "room"}}))
            .await;
        let node = server.node.clone();
        let app = node.apps().by_id("1").unwrap();
        common::eventually(|| async { node.channels(&app).await.unwrap().is_empty() }).await;
        assert_eq!(
            server.trigger("room", "after", json!({})).await["triggered"],
            0
        );
        c.send(json!({"event": c.name("ping"), "data": {}})).await;
        let next = c.next().await.unwrap();
        assert_eq!(
            next["event"],
            c.name("pong"),
            "nothing arrived between unsubscribe and pong"
        );
    }
}

#[tokio::test]
async fn socket_id_excludes_the_sender() {
    let server = TestServer::start().await;
    let mut a = server.pusher().await;
    let mut b = server.pusher().await;
    a.subscribe("room", None).await;
    b.subscribe("room", None).await;
    let body = json!({"channels": ["room"], "event": "e", "data": {}, "socket_id": a.socket_id});
    let (status, response) = server.post("/events", common::SECRET, &body).await;
    assert_eq!((status, response["triggered"].clone()), (200, json!(1)));
    b.expect("e").await;
    a.send(json!({"event": "pusher:ping", "data": {}})).await;
    assert_eq!(
        a.next().await.unwrap()["event"],
        "pusher:pong",
        "the excluded socket got nothing"
    );
}

#[tokio::test]
async fn ping_is_answered_in_both_dialects() {
    let server = TestServer::start().await;
    for dialect in [Dialect::Pusher, Dialect::LatteStream] {
        let mut c = client(&server, dialect).await;
        c.send(json!({"event": c.name("ping"), "data": {}})).await;
        c.expect(&c.name("pong")).await;
    }
}
