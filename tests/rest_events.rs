//! `POST /events` and `POST /batch_events` as documented: success and every error code with its exact
//! status and body.

mod common;

use common::{KEY, SECRET, TestServer};
use serde_json::{Value, json};

async fn assert_error(server: &TestServer, path: &str, body: Value, status: u16, expected: Value) {
    let reply = server.post_json(path, SECRET, &body).await;
    assert_eq!((reply.status, &reply.body), (status, &expected), "{body}");
}

#[tokio::test]
async fn the_documented_trigger_and_batch_succeed() {
    let server = TestServer::start().await;
    let mut c = server.pusher().await;
    c.subscribe("channel-1", None).await;
    let body = json!({"channels": ["channel-1", "channel-2"], "event": "my-event",
                      "data": {"message": "Hello, world!", "timestamp": 1674123456789u64}});
    let reply = server.post_json("/events", SECRET, &body).await;
    assert_eq!(
        (reply.status, reply.body),
        (
            200,
            json!({"channels": ["channel-1", "channel-2"], "event": "my-event", "triggered": 1})
        )
    );
    let batch = json!({"batch": [
        {"channel": "channel-1", "name": "event-1", "data": {"message": "First event"}},
        {"channel": "channel-2", "name": "event-2", "data": {"message": "Second event"}}]});
    let reply = server.post_json("/batch_events", SECRET, &batch).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["total_events"], 2);
    assert_eq!(reply.body["total_triggered"], 1);
    assert!(reply.body["batch_id"].as_u64().unwrap() > 1_600_000_000_000_000_000);
}

#[tokio::test]
async fn every_trigger_error_has_its_status_and_body() {
    let server = TestServer::start().await;
    let invalid_channel = |c: &str| json!({"error": "Invalid channel name", "code": "INVALID_CHANNEL", "details": {"channel": c}});
    assert_error(
        &server,
        "/events",
        json!({"channels": ["a b"], "event": "e"}),
        400,
        invalid_channel("a b"),
    )
    .await;
    assert_error(
        &server,
        "/events",
        json!({"channels": ["a"], "event": ""}),
        400,
        json!({"error": "Invalid event name: name is empty", "code": "INVALID_EVENT"}),
    )
    .await;
    assert_error(
        &server,
        "/events",
        json!({"channels": ["a"], "event": "e".repeat(201)}),
        400,
        json!({"error": "Invalid event name: name is longer than 200 characters",
               "code": "INVALID_EVENT"}),
    )
    .await;
    assert_error(
        &server,
        "/events",
        json!({"channels": ["a"], "event": "e", "data": "x".repeat(32 * 1024 + 1)}),
        413,
        json!({"error": "Payload too large", "code": "PAYLOAD_TOO_LARGE",
               "details": {"max_bytes": 32768}}),
    )
    .await;
    let eleven: Vec<String> = (0..11).map(|i| format!("c{i}")).collect();
    assert_error(
        &server,
        "/events",
        json!({"channels": eleven, "event": "e"}),
        400,
        json!({"error": "Too many channels", "code": "TOO_MANY_CHANNELS",
               "details": {"max_channels": 10}}),
    )
    .await;
    assert_error(
        &server,
        "/events",
        json!({"event": "e"}),
        400,
        json!({"error": "Missing required parameter: channels", "code": "MISSING_PARAMETER",
               "details": {"field": "channels"}}),
    )
    .await;
    assert_error(
        &server,
        "/events",
        json!({"channels": ["a"], "event": "e", "socket_id": "x"}),
        400,
        json!({"error": "Invalid socket id", "code": "INVALID_SOCKET_ID"}),
    )
    .await;
    assert_error(&server, "/events", json!({"channels": "a", "event": "e"}), 400,
        json!({"error": "Invalid request: invalid type: string \"a\", expected a sequence at line 1 column 15",
               "code": "INVALID_REQUEST"})).await;
    let garbage = server.post_raw("/events", "{oops").await;
    assert_eq!(
        (garbage.0, garbage.1["code"].clone()),
        (400, json!("INVALID_JSON"))
    );
}

#[tokio::test]
async fn every_batch_error_has_its_status_and_body() {
    let server = TestServer::start().await;
    assert_error(
        &server,
        "/batch_events",
        json!({"batch": []}),
        400,
        json!({"error": "Missing required parameter: batch", "code": "MISSING_PARAMETER",
               "details": {"field": "batch"}}),
    )
    .await;
    assert_error(
        &server,
        "/batch_events",
        json!({"batch": [{"name": "e"}]}),
        400,
        json!({"error": "Missing required parameter: channel", "code": "MISSING_PARAMETER",
               "details": {"field": "channel"}}),
    )
    .await;
    assert_error(
        &server,
        "/batch_events",
        json!({"batch": [{"channel": "a", "name": "pusher:x"}]}),
        400,
        json!({"error": "Invalid event name: name uses a reserved prefix",
                    "code": "INVALID_EVENT"}),
    )
    .await;
}

#[tokio::test]
async fn keys_bodies_and_routes() {
    let server = TestServer::start().await;
    let body = json!({"channels": ["a"], "event": "e"});
    let unknown = server.post_json("/events", "lsk_nope", &body).await;
    assert_eq!(
        (unknown.status, unknown.body),
        (
            401,
            json!({"error": "Invalid API key", "code": "INVALID_API_KEY"})
        )
    );
    let public = server.post_json("/events", KEY, &body).await;
    assert_eq!(
        (public.status, public.body["code"].clone()),
        (403, json!("FORBIDDEN"))
    );
    let huge = "x".repeat(1024 * 1024 + 1);
    let too_big = server.post_raw("/events", &huge).await;
    assert_eq!(
        (too_big.0, too_big.1["code"].clone()),
        (413, json!("PAYLOAD_TOO_LARGE"))
    );
    let missing = server.get("/nowhere", SECRET).await;
    assert_eq!(
        (missing.status, missing.body),
        (404, json!({"error": "Not found", "code": "NOT_FOUND"}))
    );
    let wrong = server.get("/events", SECRET).await;
    assert_eq!(
        (wrong.status, wrong.body),
        (
            405,
            json!({"error": "Method not allowed", "code": "METHOD_NOT_ALLOWED"})
        )
    );
}
