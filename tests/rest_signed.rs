//! Requests as the official server SDK (`@lattestream/server` 1.1) sends them: the raw private key in
//! `Authorization`, the `X-LatteStream-*` signature headers, `/events` with `channel` joined by commas
//! and `data` already a JSON string, `/batch_events` entries with `socket_id`. Bad signatures, stale
//! timestamps and replayed nonces are refused with 401 `INVALID_SIGNATURE`.

mod common;

use common::signed::{Signed, now};
use common::{TestServer, data_of};
use serde_json::{Value, json};

fn invalid_signature(reason: &str) -> Value {
    json!({"error": format!("Invalid request signature: {reason}"), "code": "INVALID_SIGNATURE"})
}

#[tokio::test]
async fn the_sdks_trigger_reaches_every_named_channel() {
    let server = TestServer::start().await;
    let mut a = server.pusher().await;
    let mut b = server.lattestream(common::KEY).await;
    let mut sender = server.pusher().await;
    a.subscribe("channel-1", None).await;
    b.subscribe("channel-2", None).await;
    sender.subscribe("channel-1", None).await;
    let body = json!({"channel": "channel-1,channel-2", "event": "broadcast",
                      "data": "{\"announcement\":\"hi\"}", "socketId": sender.socket_id});
    let reply = Signed::post("/events", &body).send(&server).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"channels": ["channel-1", "channel-2"], "event": "broadcast", "triggered": 2})
    );
    for c in [&mut a, &mut b] {
        let event = c.expect("broadcast").await;
        assert_eq!(data_of(&event), json!({"announcement": "hi"}));
    }
    assert!(reply.header("x-ratelimit-limit").is_some());
}

#[tokio::test]
async fn the_sdks_batch_and_a_signed_query() {
    let server = TestServer::start().await;
    let mut c = server.pusher().await;
    c.subscribe("user-123", None).await;
    let body = json!({"batch": [
        {"channel": "user-123", "name": "notification", "data": "{\"type\":\"message\"}",
         "socket_id": "1.1"},
        {"channel": "user-456", "name": "notification", "data": "{\"type\":\"mention\"}"}]});
    let reply = Signed::post("/batch_events", &body).send(&server).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        (
            reply.body["total_events"].clone(),
            reply.body["total_triggered"].clone()
        ),
        (json!(2), json!(1))
    );
    assert!(reply.body["batch_id"].is_u64());
    assert_eq!(
        data_of(&c.expect("notification").await),
        json!({"type": "message"})
    );
    let list = Signed::get("/channels?filter_by_prefix=user-")
        .send(&server)
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body["total_channels"], 1);
}

#[tokio::test]
async fn bad_signatures_stale_timestamps_and_replays_are_refused() {
    let server = TestServer::start().await;
    let body = json!({"channel": "a", "event": "e", "data": "{}"});
    let request = Signed::post("/events", &body);
    let bad = request.send_with(&server, &"0".repeat(64)).await;
    assert_eq!(
        (bad.status, &bad.body),
        (401, &invalid_signature("signature does not verify"))
    );
    assert!(
        bad.header("x-ratelimit-remaining").is_some(),
        "the app is known"
    );
    let mut other_path = Signed::post(
        "/batch_events",
        &json!({"batch": [{"channel": "a", "name": "e"}]}),
    );
    other_path.path = "/events";
    let signature = other_path.signature();
    other_path.path = "/batch_events";
    assert_eq!(other_path.send_with(&server, &signature).await.status, 401);
    for skew in [-700i64, 700, -3600] {
        let mut stale = Signed::post("/events", &body);
        stale.timestamp = now().saturating_add_signed(skew);
        let reply = stale.send(&server).await;
        assert_eq!(
            (reply.status, reply.body),
            (
                401,
                invalid_signature("timestamp is too far from the server's clock")
            ),
            "{skew}"
        );
    }
    let once = Signed::post("/events", &body);
    assert_eq!(once.send(&server).await.status, 200);
    let replay = once.send(&server).await;
    assert_eq!(
        (replay.status, replay.body),
        (401, invalid_signature("nonce already used"))
    );
    let mut no_nonce = Signed::post("/events", &body);
    no_nonce.nonce = String::new();
    let reply = no_nonce.send(&server).await;
    assert_eq!(
        (reply.status, reply.body),
        (
            401,
            invalid_signature(
                "signed requests need X-LatteStream-Timestamp and X-LatteStream-Nonce"
            )
        )
    );
}

/// The SDK batches up to 50 `trigger` calls in one signed request: signed batches hold 50 events
/// (`sdk_max_batch_events`), unsigned ones the documented 10.
#[tokio::test]
async fn signed_batches_hold_the_sdks_fifty_events() {
    let item = json!({"channel": "a", "name": "e", "data": "{}"});
    let server = TestServer::start().await;
    let fifty = json!({"batch": vec![item.clone(); 50]});
    let reply = Signed::post("/batch_events", &fifty).send(&server).await;
    assert_eq!(
        (reply.status, reply.body["total_events"].clone()),
        (200, json!(50))
    );
    let fifty_one = json!({"batch": vec![item.clone(); 51]});
    let reply = Signed::post("/batch_events", &fifty_one)
        .send(&server)
        .await;
    assert_eq!(
        (reply.status, reply.body),
        (
            400,
            json!({"error": "Too many events in batch", "code": "TOO_MANY_EVENTS",
                     "details": {"max_events": 50}})
        )
    );
    let mut config = common::test_config();
    config.apps[0].settings.sdk_max_batch_events = 60;
    let server = TestServer::with_config(config).await;
    let reply = Signed::post("/batch_events", &fifty_one)
        .send(&server)
        .await;
    assert_eq!(
        (reply.status, reply.body["total_events"].clone()),
        (200, json!(51))
    );
}
