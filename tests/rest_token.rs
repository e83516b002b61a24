//! `POST /apps/token`: the documented request and response, every error, and what the token does on a
//! LatteStream connection (permissions, expiry, forgery, another app's token, termination).

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{KEY, OTHER_SECRET, SECRET, TestServer, WsClient, data_of};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A token's header and claims, decoded without verification.
fn decode(token: &str) -> (Value, Value) {
    let part = |i: usize| {
        let raw = URL_SAFE_NO_PAD
            .decode(token.split('.').nth(i).unwrap())
            .unwrap();
        serde_json::from_slice::<Value>(&raw).unwrap()
    };
    (part(0), part(1))
}

async fn token(server: &TestServer, body: Value) -> String {
    let reply = server.post_json("/apps/token", SECRET, &body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["access_token"].as_str().unwrap().to_owned()
}

/// A JWT signed with `secret`, `kid` in the header, and the given claims.
fn craft(kid: &str, secret: &str, claims: Value) -> String {
    let header = Header {
        kid: Some(kid.into()),
        ..Header::new(Algorithm::HS256)
    };
    let key = EncodingKey::from_secret(secret.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

fn claims(tenant: &str, exp: u64) -> Value {
    json!({"sub": "alice", "tenant": tenant, "permissions": ["read", "write"], "iat": now() - 100,
           "exp": exp, "jti": "j", "iss": "lattestream"})
}

async fn assert_refused_at_connect(server: &TestServer, credential: &str) {
    let mut c = WsClient::lattestream_raw(server.addr, credential).await;
    let frame = c.next().await.expect("an error frame before the close");
    assert_eq!(frame["event"], "lattestream:error");
    assert_eq!(data_of(&frame)["code"], 4009);
    assert_eq!(c.expect_close().await, Some(4009));
}

#[tokio::test]
async fn issues_the_documented_token_with_the_key_in_the_body() {
    let server = TestServer::start().await;
    let body = json!({"api_key": SECRET, "socket_id": "user_123",
                      "permissions": ["read", "write"], "expires_in": 1800});
    let reply = server
        .send(|c| c.post(server.url("/apps/token")).json(&body))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 1800);
    assert_eq!(reply.body["tenant_id"], "1");
    let (header, claims) = decode(reply.body["access_token"].as_str().unwrap());
    assert_eq!(
        (header["alg"].clone(), header["kid"].clone()),
        (json!("HS256"), json!("1"))
    );
    assert_eq!(claims["sub"], "user_123");
    assert_eq!(claims["tenant"], "1");
    assert_eq!(claims["iss"], "lattestream");
    assert_eq!(claims["permissions"], json!(["read", "write"]));
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        1800
    );
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
}

#[tokio::test]
async fn defaults_are_both_permissions_and_an_hour_with_a_bearer_key() {
    let server = TestServer::start().await;
    let reply = server
        .post_json("/apps/token", SECRET, &json!({"socket_id": "u"}))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["expires_in"], 3600);
    let (_, claims) = decode(reply.body["access_token"].as_str().unwrap());
    assert_eq!(claims["permissions"], json!(["read", "write"]));
}

#[tokio::test]
async fn every_error_has_its_status_and_body() {
    let server = TestServer::start().await;
    let cases = [
        (
            json!({}),
            400,
            json!({"error": "Missing required parameter: socket_id",
            "code": "MISSING_PARAMETER", "details": {"field": "socket_id"}}),
        ),
        (
            json!({"socket_id": "u", "permissions": ["read", "admin"]}),
            400,
            json!({"error": "Unknown permission: \"admin\"", "code": "INVALID_PERMISSIONS",
                   "details": {"allowed": ["read", "write"]}}),
        ),
        (
            json!({"socket_id": "u", "permissions": "read"}),
            400,
            json!({"error": "Unknown permission: \"read\"", "code": "INVALID_PERMISSIONS",
                   "details": {"allowed": ["read", "write"]}}),
        ),
        (
            json!({"socket_id": "u", "expires_in": 0}),
            400,
            json!({"error": "expires_in must be between 1 and 86400 seconds",
                   "code": "INVALID_EXPIRES_IN", "details": {"max": 86400}}),
        ),
        (
            json!({"socket_id": "u", "expires_in": 86401}),
            400,
            json!({"error": "expires_in must be between 1 and 86400 seconds",
                   "code": "INVALID_EXPIRES_IN", "details": {"max": 86400}}),
        ),
        (
            json!({"socket_id": "u", "expires_in": "soon"}),
            400,
            json!({"error": "expires_in must be between 1 and 86400 seconds",
                   "code": "INVALID_EXPIRES_IN", "details": {"max": 86400}}),
        ),
    ];
    for (body, status, expected) in cases {
        let reply = server.post_json("/apps/token", SECRET, &body).await;
        assert_eq!((reply.status, &reply.body), (status, &expected), "{body}");
    }
    let reply = server
        .post_json(
            "/apps/token",
            SECRET,
            &json!({"socket_id": "u", "expires_in": 86400}),
        )
        .await;
    assert_eq!(reply.status, 200, "86400 is the maximum, allowed");
}

#[tokio::test]
async fn keys_are_checked_401_for_unknown_403_for_public() {
    let server = TestServer::start().await;
    let body = json!({"socket_id": "u"});
    let unknown = server.post_json("/apps/token", "lsk_nope", &body).await;
    assert_eq!(
        (unknown.status, unknown.body),
        (
            401,
            json!({"error": "Invalid API key", "code": "INVALID_API_KEY"})
        )
    );
    let none = server
        .post_raw("/apps/token", "{\"socket_id\":\"u\"}")
        .await;
    assert_eq!(none.0, 401);
    let public = server.post_json("/apps/token", KEY, &body).await;
    assert_eq!(public.status, 403);
    assert_eq!(public.body["code"], "FORBIDDEN");
    let garbage = server.post_raw("/apps/token", "{not json").await;
    assert_eq!(
        (garbage.0, garbage.1["code"].clone()),
        (400, json!("INVALID_JSON"))
    );
}

#[tokio::test]
async fn a_token_connects_and_acts_for_its_user() {
    let server = TestServer::start().await;
    let jwt = token(&server, json!({"socket_id": "alice"})).await;
    let mut c = server.lattestream(&jwt).await;
    c.subscribe("news", None).await;
    server.trigger("news", "hello", json!({"n": 1})).await;
    assert_eq!(data_of(&c.expect("hello").await), json!({"n": 1}));
}

#[tokio::test]
async fn a_token_without_read_cannot_subscribe() {
    let server = TestServer::start().await;
    let jwt = token(&server, json!({"socket_id": "u", "permissions": ["write"]})).await;
    let mut c = server.lattestream(&jwt).await;
    c.subscribe_with("news", None, None).await;
    let refused = c.expect("lattestream:subscription_error").await;
    assert_eq!(refused["channel"], "news");
    assert_eq!(data_of(&refused)["status"], 403);
}

#[tokio::test]
async fn a_token_without_write_cannot_send_client_events() {
    let server = TestServer::start().await;
    let jwt = token(&server, json!({"socket_id": "u", "permissions": ["read"]})).await;
    let mut c = server.lattestream(&jwt).await;
    c.subscribe("private-room", None).await;
    c.send(json!({"event": "client-typing", "channel": "private-room", "data": {}}))
        .await;
    let error = c.expect("lattestream:error").await;
    assert_eq!(data_of(&error)["code"], 4303);
}

#[tokio::test]
async fn expired_forged_and_foreign_tokens_are_refused_at_connect() {
    let server = TestServer::start().await;
    let expired = craft("1", SECRET, claims("1", now() - 10));
    assert_refused_at_connect(&server, &expired).await;
    let forged = craft("1", "lsk_guessed", claims("1", now() + 600));
    assert_refused_at_connect(&server, &forged).await;
    let other_apps_key = craft("1", OTHER_SECRET, claims("1", now() + 600));
    assert_refused_at_connect(&server, &other_apps_key).await;
    let other_tenant = craft("1", SECRET, claims("2", now() + 600));
    assert_refused_at_connect(&server, &other_tenant).await;
    let genuine = token(&server, json!({"socket_id": "u"})).await;
    let tampered = format!("{}x", &genuine[..genuine.len() - 1]);
    assert_refused_at_connect(&server, &tampered).await;
}

#[tokio::test]
async fn terminate_connections_closes_the_tokens_connections() {
    let server = TestServer::start().await;
    let jwt = token(&server, json!({"socket_id": "alice"})).await;
    let mut alice1 = server.lattestream(&jwt).await;
    let mut alice2 = server.lattestream(&jwt).await;
    let bob = token(&server, json!({"socket_id": "bob"})).await;
    let mut bob = server.lattestream(&bob).await;
    let reply = server
        .post_json("/users/alice/terminate_connections", SECRET, &json!({}))
        .await;
    assert_eq!((reply.status, reply.body), (200, json!({"terminated": 2})));
    assert_eq!(alice1.expect_close().await, Some(4009));
    assert_eq!(alice2.expect_close().await, Some(4009));
    bob.send(json!({"event": "lattestream:ping", "data": {}}))
        .await;
    bob.expect("lattestream:pong").await;
    let none = server
        .post_json("/users/nobody/terminate_connections", SECRET, &json!({}))
        .await;
    assert_eq!(none.body, json!({"terminated": 0}));
    let public = server
        .post_json("/users/alice/terminate_connections", KEY, &json!({}))
        .await;
    assert_eq!(public.status, 403);
    let unknown = server
        .post_json("/users/alice/terminate_connections", "lsk_nope", &json!({}))
        .await;
    assert_eq!(
        (unknown.status, unknown.body),
        (
            401,
            json!({"error": "Invalid API key", "code": "INVALID_API_KEY"})
        )
    );
    let in_body = json!({"api_key": SECRET});
    let url = server.url("/users/bob/terminate_connections");
    let by_body = server.send(|c| c.post(url).json(&in_body)).await;
    assert_eq!(
        by_body.body,
        json!({"terminated": 1}),
        "the key may come in the body"
    );
}
