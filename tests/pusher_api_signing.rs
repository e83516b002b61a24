//! Pusher request signing on the Pusher HTTP API: every way a request can be wrongly signed is refused
//! with Pusher's status and a plain-text explanation.

mod common;

use common::pusher_sign::{PusherApi, Reply, hmac_sha256_hex, md5_hex, now};
use common::{OTHER_KEY, TestServer};
use serde_json::json;

const BODY: &str = r#"{"name":"e","channels":["c"],"data":"{}"}"#;

fn events_url(api: &PusherApi, query: &str) -> String {
    format!("{}{}?{query}", api.base, api.path("/events"))
}

/// Posts `body` to the events endpoint with an already signed `query`.
async fn post_events(api: &PusherApi, query: &str, body: &str) -> Reply {
    api.send("POST", &events_url(api, query), Some(body)).await
}

/// The reply is a 401 whose plain-text explanation starts with `reason`.
fn assert_refused(reply: &Reply, reason: &str) {
    assert_eq!(reply.status, 401, "{}", reply.text);
    assert!(reply.text.starts_with(reason), "{}", reply.text);
}

#[tokio::test]
async fn a_correctly_signed_trigger_succeeds_with_an_empty_object() {
    let server = TestServer::start().await;
    let reply = PusherApi::new(&server)
        .post(
            "/events",
            &json!({"name": "e", "channels": ["c"], "data": "{}"}),
        )
        .await;
    assert_eq!((reply.status, reply.json()), (200, json!({})));
}

#[tokio::test]
async fn a_wrong_secret_is_refused_with_401_in_plain_text() {
    let server = TestServer::start().await;
    let mut api = PusherApi::new(&server);
    api.secret = "lsk_wrong".into();
    let reply = api
        .post("/events", &serde_json::from_str(BODY).unwrap())
        .await;
    assert_refused(&reply, "Invalid signature");
    assert!(!reply.text.contains("lsk_test_secret"));
}

#[tokio::test]
async fn stale_and_future_timestamps_are_refused() {
    let server = TestServer::start().await;
    let api = PusherApi::new(&server);
    for timestamp in [now() - 610, now() + 610] {
        let query = api.query("POST", "/events", &[], Some(BODY), timestamp);
        assert_refused(&post_events(&api, &query, BODY).await, "Timestamp expired");
    }
}

#[tokio::test]
async fn a_request_replayed_outside_the_window_is_refused() {
    let server = TestServer::start().await;
    let api = PusherApi::new(&server);
    // The same signed request, as captured 590 s ago (still valid) and 610 s ago (expired); the margins
    // absorb a clock tick between signing and checking.
    let recent = api.query("POST", "/events", &[], Some(BODY), now() - 590);
    let replayed = post_events(&api, &recent, BODY).await;
    assert_eq!(replayed.status, 200, "{}", replayed.text);
    let captured = now() - 610;
    let old = api.query("POST", "/events", &[], Some(BODY), captured);
    let replayed = post_events(&api, &old, BODY).await;
    assert_eq!(replayed.status, 401);
    // Moving the timestamp forward breaks the signature instead.
    let refreshed = old.replace(
        &format!("auth_timestamp={captured}"),
        &format!("auth_timestamp={}", now()),
    );
    assert_refused(
        &post_events(&api, &refreshed, BODY).await,
        "Invalid signature",
    );
}

#[tokio::test]
async fn a_changed_body_or_a_missing_body_md5_is_refused_with_401() {
    let server = TestServer::start().await;
    let api = PusherApi::new(&server);
    let query = api.query("POST", "/events", &[], Some(BODY), now());
    let tampered = BODY.replace("\"e\"", "\"f\"");
    assert_refused(
        &post_events(&api, &query, &tampered).await,
        "Invalid body_md5",
    );
    let unsigned_body = api.query("POST", "/events", &[], None, now());
    assert_refused(
        &post_events(&api, &unsigned_body, BODY).await,
        "Invalid body_md5",
    );
}

#[tokio::test]
async fn a_tampered_parameter_breaks_the_signature() {
    let server = TestServer::start().await;
    let api = PusherApi::new(&server);
    let query = api.query(
        "GET",
        "/channels",
        &[("filter_by_prefix", "a")],
        None,
        now(),
    );
    let url = format!("{}{}?{}", api.base, api.path("/channels"), query);
    assert_eq!(api.send("GET", &url, None).await.status, 200);
    let tampered = url.replace("filter_by_prefix=a", "filter_by_prefix=b");
    assert_eq!(api.send("GET", &tampered, None).await.status, 401);
}

#[tokio::test]
async fn missing_parameters_a_wrong_version_and_another_apps_key_are_refused() {
    let server = TestServer::start().await;
    let api = PusherApi::new(&server);
    let url = api.url("GET", "/channels", &[], None);
    let cases = [
        ("auth_key=", "auth_kex="),
        ("auth_version=1.0", "auth_version=2.0"),
        ("auth_signature=", "auth_signaturex="),
        ("auth_timestamp=", "auth_timestampx="),
    ];
    for (from, to) in cases {
        let reply = api.send("GET", &url.replace(from, to), None).await;
        assert_eq!(reply.status, 401, "{to}: {}", reply.text);
    }
    let mut other = api.clone();
    other.key = OTHER_KEY.into();
    other.secret = common::OTHER_SECRET.into();
    let reply = other.get("/channels", &[]).await;
    assert_eq!(reply.status, 401, "app 2's key cannot act on app 1");
    assert!(reply.text.contains("auth_key"), "{}", reply.text);
}

#[tokio::test]
async fn an_unknown_app_id_is_404() {
    let server = TestServer::start().await;
    let mut api = PusherApi::new(&server);
    api.app_id = "999".into();
    let reply = api.get("/channels", &[]).await;
    assert_eq!(reply.status, 404, "{}", reply.text);
    let reply = api
        .post("/events", &serde_json::from_str(BODY).unwrap())
        .await;
    assert_eq!(reply.status, 404);
}

#[tokio::test]
async fn a_body_over_the_server_limit_is_413() {
    let mut config = common::test_config();
    config.http.max_body_bytes = 1024;
    let server = TestServer::with_config(config).await;
    let api = PusherApi::new(&server);
    let reply = api
        .post(
            "/events",
            &json!({"name": "e", "channels": ["c"], "data": "x".repeat(2000)}),
        )
        .await;
    assert_eq!(reply.status, 413, "{}", reply.text);
}

#[test]
fn the_test_signer_matches_the_published_worked_example() {
    // Pusher's documented example: the same inputs must give the same string and digest shape.
    let body = r#"{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}"#;
    assert_eq!(md5_hex(body), "ec365a775a4cd0599faeb73354201b6f");
    let signed = "POST\n/apps/3/events\nauth_key=278d425bdf160c739803&auth_timestamp=1353088179\
                  &auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f";
    assert_eq!(
        hmac_sha256_hex("7ad3773142a6692b25b8", signed),
        "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c"
    );
}
