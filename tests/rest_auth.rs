//! `POST /auth`: `lspc_v1` channel tokens that both dialects accept, presence member data in both
//! accepted shapes, every error, forged tokens refused at subscribe, and what a public key may do.

mod common;

use common::{Dialect, KEY, SECRET, TestServer, WsClient, data_of};
use serde_json::{Value, json};

async fn client(server: &TestServer, dialect: Dialect) -> WsClient {
    match dialect {
        Dialect::Pusher => server.pusher().await,
        Dialect::LatteStream => server.lattestream(KEY).await,
    }
}

async fn authorize(server: &TestServer, body: Value) -> Value {
    let reply = server.post_json("/auth", SECRET, &body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

#[tokio::test]
async fn a_private_channel_token_from_http_subscribes_in_both_dialects() {
    let server = TestServer::start().await;
    for dialect in [Dialect::Pusher, Dialect::LatteStream] {
        let mut c = client(&server, dialect).await;
        let body = json!({"socket_id": c.socket_id, "channel_name": "private-user-123"});
        let reply = authorize(&server, body).await;
        let auth = reply["auth"].as_str().unwrap().to_owned();
        assert!(auth.starts_with("lspc_v1.1."), "{auth}");
        assert_eq!(reply.as_object().unwrap().len(), 1, "private: only auth");
        c.subscribe_with("private-user-123", Some(auth), None).await;
        c.expect(&c.internal("subscription_succeeded")).await;
    }
}

#[tokio::test]
async fn presence_channel_data_as_object_or_string_comes_back_as_the_signed_string() {
    let server = TestServer::start().await;
    let member = json!({"user_id": "user123", "user_info": {"name": "Alice"}});
    for (dialect, data) in [
        (Dialect::Pusher, member.clone()),
        (Dialect::LatteStream, json!(member.to_string())),
    ] {
        let mut c = client(&server, dialect).await;
        let body = json!({"socket_id": c.socket_id, "channel_name": "presence-room",
                          "channel_data": data});
        let reply = authorize(&server, body).await;
        let signed = reply["channel_data"]
            .as_str()
            .expect("a JSON string")
            .to_owned();
        assert_eq!(serde_json::from_str::<Value>(&signed).unwrap(), member);
        let auth = reply["auth"].as_str().unwrap().to_owned();
        c.subscribe_with("presence-room", Some(auth), Some(signed))
            .await;
        let ok = c.expect(&c.internal("subscription_succeeded")).await;
        assert_eq!(
            data_of(&ok)["presence"]["hash"]["user123"],
            json!({"name": "Alice"})
        );
    }
}

#[tokio::test]
async fn a_numeric_user_id_is_accepted() {
    let server = TestServer::start().await;
    let body = json!({"socket_id": "1.1", "channel_name": "presence-a",
                      "channel_data": {"user_id": 42}});
    assert!(authorize(&server, body).await["auth"].is_string());
}

#[tokio::test]
async fn every_error_has_its_status_and_body() {
    let server = TestServer::start().await;
    let cases = [
        (
            json!({"socket_id": "abc", "channel_name": "private-a"}),
            400,
            json!({"error": "Invalid socket id", "code": "INVALID_SOCKET_ID"}),
        ),
        (
            json!({"socket_id": "1.2", "channel_name": "chat"}),
            400,
            json!({"error": "Only private and presence channels need authorization",
                   "code": "INVALID_CHANNEL"}),
        ),
        (
            json!({"socket_id": "1.2", "channel_name": "private a"}),
            400,
            json!({"error": "Invalid channel name", "code": "INVALID_CHANNEL",
                   "details": {"channel": "private a"}}),
        ),
        (
            json!({"socket_id": "1.2", "channel_name": "presence-a"}),
            400,
            json!({"error": "Presence channels need channel_data with a user_id",
                   "code": "MISSING_USER_ID"}),
        ),
        (
            json!({"socket_id": "1.2", "channel_name": "presence-a",
                "channel_data": {"user_info": {}}}),
            400,
            json!({"error": "Presence channels need channel_data with a user_id",
                   "code": "MISSING_USER_ID"}),
        ),
        (
            json!({"socket_id": "1.2", "channel_name": "presence-a", "channel_data": "nope"}),
            400,
            json!({"error": "Presence channels need channel_data with a user_id",
                   "code": "MISSING_USER_ID"}),
        ),
        (
            json!({"socket_id": "1.2"}),
            400,
            json!({"error": "Missing required parameter: channel_name",
                   "code": "MISSING_PARAMETER", "details": {"field": "channel_name"}}),
        ),
        (
            json!({"channel_name": "private-a"}),
            400,
            json!({"error": "Missing required parameter: socket_id",
                   "code": "MISSING_PARAMETER", "details": {"field": "socket_id"}}),
        ),
    ];
    for (body, status, expected) in cases {
        let reply = server.post_json("/auth", SECRET, &body).await;
        assert_eq!((reply.status, &reply.body), (status, &expected), "{body}");
    }
    let body = json!({"socket_id": "1.2", "channel_name": "private-a"});
    let unknown = server.post_json("/auth", "lsk_wrong", &body).await;
    assert_eq!(
        (unknown.status, unknown.body),
        (
            401,
            json!({"error": "Invalid API key", "code": "INVALID_API_KEY"})
        )
    );
    assert_eq!(server.post_json("/auth", KEY, &body).await.status, 403);
    let in_body = json!({"api_key": SECRET, "socket_id": "1.2", "channel_name": "private-a"});
    let reply = server
        .send(|c| c.post(server.url("/auth")).json(&in_body))
        .await;
    assert_eq!(reply.status, 200, "the key may come in the body");
}

#[tokio::test]
async fn forged_and_misbound_lspc_tokens_are_refused_at_subscribe() {
    let server = TestServer::start().await;
    for dialect in [Dialect::Pusher, Dialect::LatteStream] {
        let mut c = client(&server, dialect).await;
        let other_socket = json!({"socket_id": "9.9", "channel_name": "private-a"});
        let misbound = authorize(&server, other_socket).await["auth"]
            .as_str()
            .unwrap()
            .to_owned();
        let forged = "lspc_v1.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned();
        for auth in [misbound, forged] {
            c.subscribe_with("private-a", Some(auth), None).await;
            let refused = c.expect(&c.name("subscription_error")).await;
            assert_eq!(data_of(&refused)["status"], 401);
        }
    }
}

#[tokio::test]
async fn a_public_key_connection_is_read_only_without_a_channel_authorization() {
    let server = TestServer::start().await;
    let mut c = server.lattestream(KEY).await;
    c.subscribe("news", None).await;
    c.send(json!({"event": "client-x", "channel": "news", "data": {}}))
        .await;
    assert_eq!(data_of(&c.expect("lattestream:error").await)["code"], 4303);
    let member = Some(r#"{"user_id":"u1"}"#.to_owned());
    for (channel, data) in [("private-a", None), ("presence-a", member)] {
        c.subscribe_with(channel, None, data).await;
        let refused = c.expect("lattestream:subscription_error").await;
        assert_eq!(
            (
                refused["channel"].as_str(),
                data_of(&refused)["status"].clone()
            ),
            (Some(channel), json!(401))
        );
    }
    c.send(json!({"event": "client-x", "channel": "private-a", "data": {}}))
        .await;
    assert_eq!(data_of(&c.expect("lattestream:error").await)["code"], 4303);
    let body = json!({"socket_id": c.socket_id, "channel_name": "private-a"});
    let auth = authorize(&server, body).await["auth"]
        .as_str()
        .unwrap()
        .to_owned();
    c.subscribe_with("private-a", Some(auth), None).await;
    c.expect("lattestream_internal:subscription_succeeded")
        .await;
    let mut peer = server.pusher().await;
    peer.subscribe("private-a", None).await;
    c.send(json!({"event": "client-x", "channel": "private-a", "data": {"hi": 1}}))
        .await;
    assert_eq!(data_of(&peer.expect("client-x").await), json!({"hi": 1}));
}
