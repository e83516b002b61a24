//! What the official SDKs (`@lattestream/client` 1.2, `@lattestream/server` 1.1) really send, frame for
//! frame: a multi-channel `trigger` batched as `"channel": "a,b"`, bursts of up to 50 events in one
//! signed batch, triggers to up to 100 channels, `lattestream:batch` frames longer than 10, and a
//! presence subscribe without member data.

mod common;

use common::pusher_sign::PusherApi;
use common::signed::Signed;
use common::{SECRET, TestServer, data_of};
use serde_json::{Value, json};

/// `trigger(['a', 'b'], …)` as the SDK batches it reaches both channels, once each.
#[tokio::test]
async fn a_signed_batch_entry_with_a_comma_joined_channel_reaches_each_channel() {
    let server = TestServer::start().await;
    let mut a = server.lattestream(common::KEY).await;
    a.subscribe("room-a", None).await;
    let mut b = server.pusher().await;
    b.subscribe("room-b", None).await;
    let entry = json!({"channel": "room-a,room-b", "name": "news", "data": "{\"n\":1}",
                       "socket_id": null});
    let reply = Signed::post("/batch_events", &json!({"batch": [entry]}))
        .send(&server)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["total_triggered"], 2);
    for client in [&mut a, &mut b] {
        let event = client.expect("news").await;
        assert_eq!(data_of(&event), json!({"n": 1}));
    }
    let none = server.get("/channels/room-a%2Croom-b", SECRET).await;
    assert_eq!(
        none.body["occupied"], false,
        "no channel named a,b was used"
    );
}

/// Fifteen `trigger()` calls within the SDK's batching window arrive as one signed batch of 15.
#[tokio::test]
async fn a_signed_burst_of_fifteen_events_is_delivered_whole() {
    let server = TestServer::start().await;
    let mut c = server.pusher().await;
    c.subscribe("burst", None).await;
    let batch: Vec<Value> = (0..15)
        .map(|i| json!({"channel": "burst", "name": "tick", "data": json!({"i": i}).to_string()}))
        .collect();
    let reply = Signed::post("/batch_events", &json!({"batch": batch}))
        .send(&server)
        .await;
    assert_eq!(
        (reply.status, reply.body["total_events"].clone()),
        (200, json!(15))
    );
    for i in 0..15 {
        assert_eq!(data_of(&c.expect("tick").await), json!({"i": i}));
    }
}

/// The SDK allows 100 channels per trigger; signed, 11 and 100 pass and 101 is refused, while an
/// unsigned (documented) request keeps the limit of 10.
#[tokio::test]
async fn signed_triggers_reach_up_to_a_hundred_channels() {
    let server = TestServer::start().await;
    let mut c = server.pusher().await;
    c.subscribe("ch-10", None).await;
    let names = |n: usize| (0..n).map(|i| format!("ch-{i}")).collect::<Vec<_>>();
    for n in [11, 100] {
        let body = json!({"channel": names(n).join(","), "name": "wide", "data": "{}"});
        let reply = Signed::post("/events", &body).send(&server).await;
        assert_eq!(reply.status, 200, "{n} channels: {}", reply.body);
        c.expect("wide").await;
    }
    let body = json!({"channel": names(101).join(","), "name": "wide", "data": "{}"});
    let reply = Signed::post("/events", &body).send(&server).await;
    assert_eq!(
        (reply.status, reply.body["code"].clone()),
        (400, json!("TOO_MANY_CHANNELS"))
    );
    assert_eq!(reply.body["details"]["max_channels"], 100);
    let unsigned = json!({"channels": names(11), "event": "wide", "data": {}});
    let reply = server.post_json("/events", SECRET, &unsigned).await;
    assert_eq!(reply.body["details"]["max_channels"], 10);
}

/// The Pusher API splits a comma-joined `channel` in a batch entry the same way.
#[tokio::test]
async fn the_pusher_api_splits_a_comma_joined_batch_channel_too() {
    let server = TestServer::start().await;
    let mut c = server.pusher().await;
    c.subscribe("p-b", None).await;
    let body = json!({"batch": [{"channel": "p-a,p-b", "name": "split", "data": "x"}]});
    let reply = PusherApi::new(&server).post("/batch_events", &body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(c.expect("split").await["data"], "x");
}

fn subscribe_frame(channel: &str) -> Value {
    json!({"event": "lattestream:subscribe", "data": {"channel": channel}})
}

/// The client's `batchSize` may exceed 10: a batch of 20 subscribes gives 20 subscriptions, and one
/// bad entry gets its own error while the others still happen.
#[tokio::test]
async fn a_client_batch_of_twenty_subscribes_is_handled_frame_by_frame() {
    let server = TestServer::start().await;
    let mut c = server.lattestream(common::KEY).await;
    let mut messages: Vec<Value> = (0..20)
        .map(|i| subscribe_frame(&format!("b-{i}")))
        .collect();
    messages[5] = subscribe_frame("bad channel!");
    messages[9] = json!({"event": "lattestream:subscribe", "data": {}});
    c.send(json!({"event": "lattestream:batch", "data": {"messages": messages}}))
        .await;
    let (mut succeeded, mut refused, mut errors) = (Vec::new(), Vec::new(), 0);
    while succeeded.len() + refused.len() + errors < 20 {
        let frame = c.next().await.expect("open");
        match frame["event"].as_str().unwrap() {
            "lattestream_internal:subscription_succeeded" => {
                succeeded.push(frame["channel"].clone())
            }
            "lattestream:subscription_error" => refused.push(frame["channel"].clone()),
            "lattestream:error" => errors += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(succeeded.len(), 18);
    assert_eq!(refused, [json!("bad channel!")]);
    assert_eq!(
        errors, 1,
        "the subscribe without a channel gets an error of its own"
    );
    let listed = server.get("/channels?filter_by_prefix=b-", SECRET).await;
    assert_eq!(listed.body["total_channels"], 18);
}

/// A presence subscribe without `channel_data` is told that, not that its signature is bad.
#[tokio::test]
async fn a_presence_subscribe_without_channel_data_is_told_so() {
    let server = TestServer::start().await;
    for mut c in [server.pusher().await, server.lattestream(common::KEY).await] {
        let auth = common::sign(&c.socket_id, "presence-x", None);
        c.subscribe_with("presence-x", Some(auth), None).await;
        let refused = c.expect(&c.name("subscription_error")).await;
        let data = data_of(&refused);
        assert_eq!(
            (data["type"].as_str(), data["status"].as_u64()),
            (Some("InvalidChannelData"), Some(400))
        );
        assert!(data["error"].as_str().unwrap().contains("channel_data"));
    }
}
