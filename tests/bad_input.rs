//! Bad input on a socket gets the documented error, closes only where the protocol says so, and never
//! disturbs another connection on the same channel.

mod common;

use common::{Dialect, TestServer, WsClient, data_of};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

/// A second connection on the channel `private-shared`, which must keep receiving throughout.
async fn witness(server: &TestServer) -> WsClient {
    let mut w = server.pusher().await;
    w.subscribe("private-shared", None).await;
    w
}

async fn still_receives(server: &TestServer, w: &mut WsClient) {
    server
        .trigger("private-shared", "still-here", json!({}))
        .await;
    w.expect("still-here").await;
}

async fn offender(server: &TestServer, dialect: Dialect) -> WsClient {
    let mut c = match dialect {
        Dialect::Pusher => server.pusher().await,
        Dialect::LatteStream => server.lattestream(common::KEY).await,
    };
    c.subscribe("private-shared", None).await;
    c
}

/// The offender got error `code` and is still usable.
async fn answered_and_open(c: &mut WsClient, code: u16) {
    let error = c.expect(&c.name("error")).await;
    assert_eq!(error["data"]["code"], code, "{error}");
    c.send(json!({"event": c.name("ping"), "data": {}})).await;
    c.expect(&c.name("pong")).await;
}

async fn check(dialect: Dialect, bad: Message, code: u16) {
    let server = TestServer::start().await;
    let mut w = witness(&server).await;
    let mut c = offender(&server, dialect).await;
    c.send_raw(bad).await;
    answered_and_open(&mut c, code).await;
    still_receives(&server, &mut w).await;
    still_receives(&server, &mut c).await;
}

#[tokio::test]
async fn invalid_json_is_4300_and_keeps_the_connection() {
    for dialect in [Dialect::Pusher, Dialect::LatteStream] {
        check(dialect, Message::text("{nope"), 4300).await;
    }
}

#[tokio::test]
async fn binary_garbage_is_4300_and_keeps_the_connection() {
    for dialect in [Dialect::Pusher, Dialect::LatteStream] {
        check(dialect, Message::binary(vec![0xff, 0x00, 0x13, 0x37]), 4300).await;
    }
}

#[tokio::test]
async fn unknown_events_are_4300_and_keep_the_connection() {
    check(
        Dialect::Pusher,
        Message::text(r#"{"event":"pusher:dance","data":{}}"#),
        4300,
    )
    .await;
    check(
        Dialect::LatteStream,
        Message::text(r#"{"event":"lattestream:dance","data":{}}"#),
        4300,
    )
    .await;
    check(
        Dialect::Pusher,
        Message::text(r#"{"event":"whatever","data":{}}"#),
        4300,
    )
    .await;
    check(Dialect::Pusher, Message::text(r#"{"data":{}}"#), 4300).await;
    check(
        Dialect::Pusher,
        Message::text(r#"{"event":"pusher:subscribe","data":{}}"#),
        4300,
    )
    .await;
}

#[tokio::test]
async fn a_frame_over_the_size_limit_closes_with_1009_and_others_keep_receiving() {
    let server = TestServer::start().await;
    let mut w = witness(&server).await;
    let mut c = offender(&server, Dialect::Pusher).await;
    let huge = format!(
        r#"{{"event":"client-x","channel":"private-shared","data":"{}"}}"#,
        "x".repeat(70 * 1024)
    );
    c.send_raw(Message::text(huge)).await;
    assert_eq!(c.expect_close().await, Some(1009), "Message Too Big");
    still_receives(&server, &mut w).await;
}

async fn refused_subscription(c: &mut WsClient, auth: String) {
    c.subscribe_with("private-secret", Some(auth), None).await;
    let error = c.expect(&c.name("subscription_error")).await;
    assert_eq!(error["channel"], "private-secret");
    assert_eq!(data_of(&error)["type"], "AuthError");
    assert_eq!(data_of(&error)["status"], 401);
}

#[tokio::test]
async fn forged_signatures_are_refused_in_both_dialects() {
    let server = TestServer::start().await;
    let mut w = witness(&server).await;
    for dialect in [Dialect::Pusher, Dialect::LatteStream] {
        let mut c = offender(&server, dialect).await;
        refused_subscription(&mut c, format!("{}:{}", common::KEY, "0".repeat(64))).await;
        refused_subscription(&mut c, "no-colon".into()).await;
        refused_subscription(&mut c, "lspc_v1.1.AAAA".into()).await;
        still_receives(&server, &mut w).await;
        still_receives(&server, &mut c).await;
    }
}

#[tokio::test]
async fn another_sockets_signature_is_refused() {
    let server = TestServer::start().await;
    let mut w = witness(&server).await;
    let mut c = offender(&server, Dialect::Pusher).await;
    let stolen = common::sign(&w.socket_id, "private-secret", None);
    refused_subscription(&mut c, stolen).await;
    still_receives(&server, &mut w).await;
}

#[tokio::test]
async fn a_missing_auth_and_a_bad_channel_name_are_refused() {
    let server = TestServer::start().await;
    let mut c = server.pusher().await;
    c.subscribe_with("private-x", None, None).await;
    assert_eq!(
        data_of(&c.expect("pusher:subscription_error").await)["status"],
        401
    );
    c.subscribe_with("bad channel!", None, None).await;
    let error = c.expect("pusher:subscription_error").await;
    assert_eq!(data_of(&error)["type"], "InvalidChannel");
}

#[tokio::test]
async fn the_sdk_local_form_and_lspc_tokens_are_accepted() {
    let server = TestServer::start().await;
    let app = server.node.apps().by_id("1").unwrap();
    for dialect in [Dialect::Pusher, Dialect::LatteStream] {
        let mut c = offender(&server, dialect).await;
        let sdk_form =
            common::sign(&c.socket_id, "private-sdk", None).replacen(common::KEY, &c.socket_id, 1);
        c.subscribe_with("private-sdk", Some(sdk_form), None).await;
        c.expect(&c.internal("subscription_succeeded")).await;
        let token = lattestream::auth::lspc_token(&app, &c.socket_id, "private-token", None);
        c.subscribe_with("private-token", Some(token), None).await;
        c.expect(&c.internal("subscription_succeeded")).await;
    }
}

#[tokio::test]
async fn unknown_keys_and_protocols_close_with_the_protocols_codes() {
    let server = TestServer::start().await;
    let mut c = WsClient::pusher_raw(server.addr, "lspk_unknown", "?protocol=7").await;
    assert_eq!(c.next().await.unwrap()["data"]["code"], 4001);
    assert_eq!(c.expect_close().await, Some(4001));
    let mut c = WsClient::pusher_raw(server.addr, common::KEY, "").await;
    assert_eq!(c.expect_close().await, Some(4008));
    let mut c = WsClient::pusher_raw(server.addr, common::KEY, "?protocol=99").await;
    assert_eq!(c.expect_close().await, Some(4007));
    let mut c = WsClient::lattestream_raw(server.addr, "lsk_wrong").await;
    assert_eq!(c.expect_close().await, Some(4001));
    let mut c = WsClient::lattestream_raw(server.addr, "not-a-token").await;
    let error = c.next().await.unwrap();
    assert_eq!(
        (error["event"].clone(), error["data"]["code"].clone()),
        (json!("lattestream:error"), json!(4009))
    );
    assert_eq!(c.expect_close().await, Some(4009));
}
