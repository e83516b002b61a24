//! `POST /events` and `POST /batch_events`: every documented field, limit, error code and status, with
//! exact bodies.

mod common;

use common::{KEY, SECRET, TestServer};
use serde_json::{Value, json};

fn event(channels: Value) -> Value {
    json!({"channels": channels, "event": "e", "data": {"a": 1}})
}

#[tokio::test]
async fn the_private_key_works_in_the_header_and_in_the_body() {
    let server = TestServer::start().await;
    let (status, body) = server.post("/events", SECRET, &event(json!(["a"]))).await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"channels": ["a"], "event": "e", "triggered": 0})
        )
    );
    let mut in_body = event(json!(["a", "b"]));
    in_body["api_key"] = json!(SECRET);
    let (status, body) = server.post_raw("/events", &in_body.to_string()).await;
    assert_eq!((status, body["channels"].clone()), (200, json!(["a", "b"])));
}

#[tokio::test]
async fn missing_or_unknown_keys_are_401() {
    let server = TestServer::start().await;
    let expected = json!({"error": "Invalid API key", "code": "INVALID_API_KEY"});
    assert_eq!(
        server
            .post_raw("/events", &event(json!(["a"])).to_string())
            .await,
        (401, expected.clone())
    );
    assert_eq!(
        server
            .post("/events", "lsk_nope", &event(json!(["a"])))
            .await,
        (401, expected.clone())
    );
    assert_eq!(
        server
            .post("/batch_events", "garbage", &json!({"batch": []}))
            .await,
        (401, expected)
    );
}

#[tokio::test]
async fn a_public_key_is_valid_but_forbidden() {
    let server = TestServer::start().await;
    let (status, body) = server.post("/events", KEY, &event(json!(["a"]))).await;
    assert_eq!((status, body["code"].clone()), (403, json!("FORBIDDEN")));
}

#[tokio::test]
async fn malformed_json_is_400_invalid_json() {
    let server = TestServer::start().await;
    for path in ["/events", "/batch_events"] {
        let (status, body) = server.post_raw(path, "{not json").await;
        assert_eq!((status, body["code"].clone()), (400, json!("INVALID_JSON")));
        assert!(body["error"].as_str().unwrap().starts_with("Invalid JSON"));
    }
}

#[tokio::test]
async fn missing_fields_name_the_field() {
    let server = TestServer::start().await;
    let (status, body) = server
        .post("/events", SECRET, &json!({"channels": ["a"]}))
        .await;
    let expected = json!({"error": "Missing required parameter: event", "code": "MISSING_PARAMETER", "details": {"field": "event"}});
    assert_eq!((status, body), (400, expected));
    let (status, body) = server.post("/events", SECRET, &json!({"event": "e"})).await;
    assert_eq!(
        (status, body["details"]["field"].clone()),
        (400, json!("channels"))
    );
    let (status, body) = server
        .post(
            "/events",
            SECRET,
            &json!({"event": "e", "channels": "not-a-list"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].clone()),
        (400, json!("INVALID_REQUEST"))
    );
}

#[tokio::test]
async fn invalid_channels_and_events_are_named() {
    let server = TestServer::start().await;
    let (status, body) = server
        .post("/events", SECRET, &event(json!(["ok", "bad channel"])))
        .await;
    let expected = json!({"error": "Invalid channel name", "code": "INVALID_CHANNEL", "details": {"channel": "bad channel"}});
    assert_eq!((status, body), (400, expected));
    let long = "e".repeat(201);
    let (status, body) = server
        .post(
            "/events",
            SECRET,
            &json!({"channels": ["a"], "event": long}),
        )
        .await;
    assert_eq!(
        (status, body["code"].clone()),
        (400, json!("INVALID_EVENT"))
    );
    let (status, body) = server
        .post(
            "/events",
            SECRET,
            &json!({"channels": ["a"], "event": "pusher:x"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].clone()),
        (400, json!("INVALID_EVENT"))
    );
    let ok = "e".repeat(200);
    assert_eq!(
        server
            .post("/events", SECRET, &json!({"channels": ["a"], "event": ok}))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn more_than_ten_channels_is_too_many() {
    let server = TestServer::start().await;
    let channels: Vec<String> = (0..11).map(|i| format!("c{i}")).collect();
    let (status, body) = server
        .post("/events", SECRET, &event(json!(channels)))
        .await;
    let expected = json!({"error": "Too many channels", "code": "TOO_MANY_CHANNELS", "details": {"max_channels": 10}});
    assert_eq!((status, body), (400, expected));
    assert_eq!(
        server
            .post("/events", SECRET, &event(json!(channels[..10])))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn payloads_over_32_kb_are_413() {
    let server = TestServer::start().await;
    let at_limit = "x".repeat(32 * 1024);
    let body = json!({"channels": ["a"], "event": "e", "data": at_limit});
    assert_eq!(
        server.post("/events", SECRET, &body).await.0,
        200,
        "exactly 32 KB passes"
    );
    let over = json!({"channels": ["a"], "event": "e", "data": {"blob": at_limit}});
    let (status, body) = server.post("/events", SECRET, &over).await;
    let expected = json!({"error": "Payload too large", "code": "PAYLOAD_TOO_LARGE", "details": {"max_bytes": 32768}});
    assert_eq!((status, body), (413, expected));
}

#[tokio::test]
async fn bodies_over_the_http_limit_are_413() {
    let server = TestServer::start().await;
    let huge = format!(
        r#"{{"channels":["a"],"event":"e","data":"{}"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let (status, body) = server.post_raw("/events", &huge).await;
    assert_eq!(
        (status, body["code"].clone()),
        (413, json!("PAYLOAD_TOO_LARGE"))
    );
}

#[tokio::test]
async fn a_malformed_socket_id_is_400() {
    let server = TestServer::start().await;
    let body = json!({"channels": ["a"], "event": "e", "socket_id": "nope"});
    let (status, body) = server.post("/events", SECRET, &body).await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"error": "Invalid socket id", "code": "INVALID_SOCKET_ID"})
        )
    );
}

#[tokio::test]
async fn the_sdk_shape_is_accepted() {
    let server = TestServer::start().await;
    let mut a = server.pusher().await;
    let mut b = server.pusher().await;
    a.subscribe("one", None).await;
    b.subscribe("two", None).await;
    let body =
        json!({"channel": "one,two", "event": "sdk", "data": "{\"x\":1}", "socketId": a.socket_id});
    let (status, response) = server.post("/events", SECRET, &body).await;
    assert_eq!(status, 200);
    assert_eq!(
        response,
        json!({"channels": ["one", "two"], "event": "sdk", "triggered": 1})
    );
    assert_eq!(
        b.expect("sdk").await["data"],
        "{\"x\":1}",
        "a string passes unchanged"
    );
}

#[tokio::test]
async fn batches_publish_every_event_and_count_deliveries() {
    let server = TestServer::start().await;
    let mut c = server.lattestream(KEY).await;
    c.subscribe("a", None).await;
    c.subscribe("b", None).await;
    let batch = json!({"batch": [
        {"channel": "a", "name": "one", "data": {"n": 1}},
        {"channel": "b", "name": "two", "data": "text"},
        {"channel": "empty", "name": "three"},
    ]});
    let (status, body) = server.post("/batch_events", SECRET, &batch).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            body["total_events"].clone(),
            body["total_triggered"].clone()
        ),
        (json!(3), json!(2))
    );
    assert!(
        body["batch_id"].as_u64().unwrap() > 1_600_000_000_000_000_000,
        "timestamp-based id"
    );
    assert_eq!(common::data_of(&c.expect("one").await), json!({"n": 1}));
    assert_eq!(c.expect("two").await["data"], "text");
}

#[tokio::test]
async fn batch_limits_and_errors() {
    let server = TestServer::start().await;
    let item = json!({"channel": "a", "name": "e", "data": {}});
    let (status, body) = server
        .post(
            "/batch_events",
            SECRET,
            &json!({"batch": vec![item.clone(); 11]}),
        )
        .await;
    let expected = json!({"error": "Too many events in batch", "code": "TOO_MANY_EVENTS", "details": {"max_events": 10}});
    assert_eq!((status, body), (400, expected));
    assert_eq!(
        server
            .post("/batch_events", SECRET, &json!({"batch": vec![item; 10]}))
            .await
            .0,
        200
    );
    let (status, body) = server.post("/batch_events", SECRET, &json!({})).await;
    assert_eq!(
        (status, body["details"]["field"].clone()),
        (400, json!("batch"))
    );
    let bad = json!({"batch": [{"channel": "bad channel", "name": "e"}]});
    assert_eq!(
        server.post("/batch_events", SECRET, &bad).await.1["code"],
        "INVALID_CHANNEL"
    );
    let nameless = json!({"batch": [{"channel": "a"}]});
    assert_eq!(
        server.post("/batch_events", SECRET, &nameless).await.1["details"]["field"],
        "event"
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let server = TestServer::start().await;
    let response = reqwest::get(server.url("/nope")).await.unwrap();
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"error": "Not found", "code": "NOT_FOUND"})
    );
    let response = reqwest::get(server.url("/events")).await.unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(
        response.json::<Value>().await.unwrap()["code"],
        "METHOD_NOT_ALLOWED"
    );
}
