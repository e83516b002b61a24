//! `POST /apps/{id}/events` and `batch_events` on the Pusher HTTP API: delivery to both dialects, the
//! `info` attributes, send-to-user, and every limit with its status.

mod common;

use common::pusher_sign::{PusherApi, signin};
use common::{TestServer, data_of};
use serde_json::json;

#[tokio::test]
async fn a_trigger_reaches_pusher_and_lattestream_clients() {
    let server = TestServer::start().await;
    let mut pusher = server.pusher().await;
    let mut latte = server.lattestream(common::KEY).await;
    pusher.subscribe("private-news", None).await;
    latte.subscribe("private-news", None).await;
    let body = json!({"name": "flash", "channels": ["private-news"], "data": "{\"a\":1}"});
    let reply = PusherApi::new(&server).post("/events", &body).await;
    assert_eq!((reply.status, reply.json()), (200, json!({})));
    for c in [&mut pusher, &mut latte] {
        let event = c.expect("flash").await;
        assert_eq!(event["channel"], "private-news");
        assert_eq!(data_of(&event), json!({"a": 1}));
    }
}

#[tokio::test]
async fn a_single_channel_and_socket_id_exclusion_are_honoured() {
    let server = TestServer::start().await;
    let mut a = server.pusher().await;
    let mut b = server.pusher().await;
    a.subscribe("room", None).await;
    b.subscribe("room", None).await;
    let body = json!({"name": "e", "channel": "room", "data": "hi", "socket_id": a.socket_id});
    let reply = PusherApi::new(&server).post("/events", &body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(b.expect("e").await["data"], "hi");
    a.send(json!({"event": "pusher:ping", "data": {}})).await;
    assert_eq!(a.next().await.unwrap()["event"], "pusher:pong");
}

#[tokio::test]
async fn info_on_a_trigger_counts_users_and_connections() {
    let server = TestServer::start().await;
    let mut clients = Vec::new();
    for user in ["u1", "u1", "u2"] {
        let mut c = server.pusher().await;
        let data = json!({ "user_id": user }).to_string();
        c.subscribe("presence-room", Some(&data)).await;
        clients.push(c);
    }
    let body = json!({
        "name": "e", "channels": ["presence-room", "lobby"], "data": "{}",
        "info": "user_count,subscription_count"
    });
    let reply = PusherApi::new(&server).post("/events", &body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let expected = json!({"channels": {
        "presence-room": {"user_count": 2, "subscription_count": 3},
        "lobby": {"subscription_count": 0}
    }});
    assert_eq!(reply.json(), expected);
}

#[tokio::test]
async fn a_batch_publishes_every_event_and_reports_info_per_event() {
    let server = TestServer::start().await;
    let mut c = server.pusher().await;
    c.subscribe("a", None).await;
    c.subscribe("presence-b", Some(r#"{"user_id":"u1"}"#)).await;
    let api = PusherApi::new(&server);
    let batch = json!({"batch": [
        {"channel": "a", "name": "one", "data": "1"},
        {"channel": "presence-b", "name": "two", "data": "2", "info": "user_count,subscription_count"},
    ]});
    let reply = api.post("/batch_events", &batch).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let expected = json!({"batch": [{}, {"user_count": 1, "subscription_count": 1}]});
    assert_eq!(reply.json(), expected);
    assert_eq!(c.expect("one").await["data"], "1");
    assert_eq!(c.expect("two").await["data"], "2");
    let plain = json!({"batch": [{"channel": "a", "name": "three", "data": "3"}]});
    let reply = api.post("/batch_events", &plain).await;
    assert_eq!((reply.status, reply.json()), (200, json!({})));
}

#[tokio::test]
async fn limits_are_pushers_by_default() {
    let server = TestServer::start().await;
    let api = PusherApi::new(&server);
    let channels: Vec<String> = (0..101).map(|i| format!("c{i}")).collect();
    let too_many = json!({"name": "e", "channels": channels, "data": "{}"});
    assert_eq!(api.post("/events", &too_many).await.status, 400);
    let hundred = json!({"name": "e", "channels": channels[..100], "data": "{}"});
    assert_eq!(api.post("/events", &hundred).await.status, 200);
    let big = json!({"name": "e", "channels": ["c"], "data": "x".repeat(10 * 1024 + 1)});
    assert_eq!(api.post("/events", &big).await.status, 413);
    let fits = json!({"name": "e", "channels": ["c"], "data": "x".repeat(10 * 1024)});
    assert_eq!(api.post("/events", &fits).await.status, 200);
    let item = json!({"channel": "c", "name": "e", "data": "{}"});
    let batch = json!({ "batch": vec![item; 11] });
    let reply = api.post("/batch_events", &batch).await;
    assert_eq!(reply.status, 400);
    assert!(reply.text.contains("at most 10"), "{}", reply.text);
}

#[tokio::test]
async fn malformed_events_are_400_with_an_explanation() {
    let server = TestServer::start().await;
    let api = PusherApi::new(&server);
    let cases = [
        (json!({"channels": ["c"], "data": "{}"}), "name"),
        (json!({"name": "e", "data": "{}"}), "channels"),
        (json!({"name": "e", "channels": ["c"]}), "data"),
        (
            json!({"name": "e", "channels": ["bad channel"], "data": "{}"}),
            "channel",
        ),
        (
            json!({"name": "pusher:e", "channels": ["c"], "data": "{}"}),
            "event name",
        ),
        (
            json!({"name": "e", "channels": ["c"], "data": "{}", "socket_id": "x"}),
            "socket_id",
        ),
        (
            json!({"name": "e", "channels": ["#server-to-user-"], "data": "{}"}),
            "channel",
        ),
    ];
    for (body, word) in cases {
        let reply = api.post("/events", &body).await;
        assert_eq!(reply.status, 400, "{body}");
        assert!(reply.text.contains(word), "{body}: {}", reply.text);
    }
    let batch = json!({"batch": [{"name": "e", "data": "{}"}]});
    assert_eq!(api.post("/batch_events", &batch).await.status, 400);
}

#[tokio::test]
async fn send_to_user_reaches_every_signed_in_connection_of_that_user_only() {
    let server = TestServer::start().await;
    let mut first = server.pusher().await;
    let mut second = server.pusher().await;
    let mut other = server.pusher().await;
    signin(&mut first, "u1").await;
    signin(&mut second, "u1").await;
    signin(&mut other, "u2").await;
    let body = json!({"name": "note", "channels": ["#server-to-user-u1"], "data": "{\"n\":1}"});
    let reply = PusherApi::new(&server).post("/events", &body).await;
    assert_eq!((reply.status, reply.json()), (200, json!({})));
    for c in [&mut first, &mut second] {
        let event = c.expect("note").await;
        assert_eq!(event["channel"], "#server-to-user-u1");
        assert_eq!(data_of(&event), json!({"n": 1}));
    }
    other
        .send(json!({"event": "pusher:ping", "data": {}}))
        .await;
    assert_eq!(other.next().await.unwrap()["event"], "pusher:pong");
}

#[tokio::test]
async fn a_signed_in_client_may_confirm_its_own_user_channel_only() {
    let server = TestServer::start().await;
    let mut c = server.pusher().await;
    signin(&mut c, "u1").await;
    // pusher-js subscribes to its own server-to-user channel after signing in.
    c.subscribe_with("#server-to-user-u1", Some(String::new()), None)
        .await;
    let ok = c.expect("pusher_internal:subscription_succeeded").await;
    assert_eq!(ok["channel"], "#server-to-user-u1");
    c.subscribe_with("#server-to-user-u2", Some(String::new()), None)
        .await;
    let refused = c.expect("pusher:subscription_error").await;
    assert_eq!(refused["channel"], "#server-to-user-u2");
}

#[tokio::test]
async fn an_event_triggered_through_the_pusher_api_is_cached_on_cache_channels() {
    let server = TestServer::start().await;
    let body = json!({"name": "price", "channels": ["cache-ticker"], "data": "{\"p\":42}"});
    let reply = PusherApi::new(&server).post("/events", &body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let mut late = server.pusher().await;
    late.subscribe("cache-ticker", None).await;
    let replayed = late.expect("price").await;
    assert_eq!(data_of(&replayed), json!({"p": 42}));
}
