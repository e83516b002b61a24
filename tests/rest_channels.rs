//! Channel queries and user termination: `GET /channels` (with `filter_by_prefix`), `GET
//! /channels/{name}`, `GET /channels/{name}/users`, their errors and rate-limit headers.

mod common;

use common::{KEY, SECRET, TestServer};
use serde_json::json;

/// Two tabs of alice and one of bob on `presence-lobby`, two sockets on `chat-room-1`.
async fn populated() -> (TestServer, Vec<common::WsClient>) {
    let server = TestServer::start().await;
    let mut clients = Vec::new();
    for user in ["alice", "alice", "bob"] {
        let mut c = server.pusher().await;
        let data = json!({"user_id": user, "user_info": {"name": user}}).to_string();
        c.subscribe("presence-lobby", Some(&data)).await;
        clients.push(c);
    }
    for _ in 0..2 {
        let mut c = server.lattestream(KEY).await;
        c.subscribe("chat-room-1", None).await;
        clients.push(c);
    }
    (server, clients)
}

#[tokio::test]
async fn lists_channels_with_members_of_presence_channels() {
    let (server, clients) = populated().await;
    let reply = server.get("/channels", SECRET).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["total_channels"], 2);
    let channels = reply.body["channels"].as_array().unwrap();
    assert_eq!(
        channels[0],
        json!({"channel": "chat-room-1", "member_count": 2})
    );
    let lobby = &channels[1];
    assert_eq!(lobby["channel"], "presence-lobby");
    assert_eq!(lobby["member_count"], 2, "distinct users, not sockets");
    let members = lobby["members"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[0]["user_id"], "alice");
    assert_eq!(members[0]["user_info"], json!({"name": "alice"}));
    let alice_sockets = [&clients[0].socket_id, &clients[1].socket_id];
    assert!(alice_sockets.contains(&&members[0]["socket_id"].as_str().unwrap().to_owned()));
    assert_eq!(members[1]["socket_id"], clients[2].socket_id.as_str());
}

#[tokio::test]
async fn filters_by_prefix() {
    let (server, _clients) = populated().await;
    let reply = server
        .get("/channels?filter_by_prefix=presence-", SECRET)
        .await;
    assert_eq!(reply.body["total_channels"], 1);
    assert_eq!(reply.body["channels"][0]["channel"], "presence-lobby");
    let none = server
        .get("/channels?filter_by_prefix=private-", SECRET)
        .await;
    assert_eq!(none.body, json!({"channels": [], "total_channels": 0}));
}

#[tokio::test]
async fn shows_one_channel_occupied_or_not() {
    let (server, _clients) = populated().await;
    let chat = server.get("/channels/chat-room-1", SECRET).await;
    assert_eq!(
        chat.body,
        json!({"channel": "chat-room-1", "occupied": true, "member_count": 2,
               "subscription_count": 2})
    );
    let lobby = server.get("/channels/presence-lobby", SECRET).await;
    assert_eq!(lobby.body["member_count"], 2);
    assert_eq!(lobby.body["user_count"], 2);
    assert_eq!(lobby.body["subscription_count"], 3);
    assert_eq!(lobby.body["members"].as_array().unwrap().len(), 2);
    let empty = server.get("/channels/quiet", SECRET).await;
    assert_eq!(
        (empty.status, empty.body),
        (
            200,
            json!({"channel": "quiet", "occupied": false, "member_count": 0,
                   "subscription_count": 0})
        )
    );
    let bad = server.get("/channels/bad%20name", SECRET).await;
    assert_eq!(
        (bad.status, bad.body),
        (
            400,
            json!({"error": "Invalid channel name", "code": "INVALID_CHANNEL",
                     "details": {"channel": "bad name"}})
        )
    );
}

#[tokio::test]
async fn lists_the_users_of_a_presence_channel() {
    let (server, _clients) = populated().await;
    let reply = server.get("/channels/presence-lobby/users", SECRET).await;
    assert_eq!(
        reply.body,
        json!({"users": [{"id": "alice", "user_info": {"name": "alice"}},
                         {"id": "bob", "user_info": {"name": "bob"}}]})
    );
    let empty = server.get("/channels/presence-empty/users", SECRET).await;
    assert_eq!((empty.status, empty.body), (200, json!({"users": []})));
    let public = server.get("/channels/chat-room-1/users", SECRET).await;
    assert_eq!(
        (public.status, public.body),
        (
            400,
            json!({"error": "Invalid channel name", "code": "INVALID_CHANNEL",
                     "details": {"channel": "chat-room-1"}})
        )
    );
}

#[tokio::test]
async fn keys_are_checked_and_headers_sent_once_the_app_is_known() {
    let server = TestServer::start().await;
    for path in ["/channels", "/channels/a", "/channels/presence-a/users"] {
        let unknown = server.get(path, "lsk_wrong").await;
        assert_eq!(
            (unknown.status, &unknown.body),
            (
                401,
                &json!({"error": "Invalid API key", "code": "INVALID_API_KEY"})
            )
        );
        assert!(
            unknown.header("x-ratelimit-limit").is_none(),
            "no app, no budget"
        );
        let public = server.get(path, KEY).await;
        assert_eq!(public.status, 403);
        assert_eq!(public.body["code"], "FORBIDDEN");
        let missing = server.send(|c| c.get(server.url(path))).await;
        assert_eq!(missing.status, 401);
    }
    let ok = server.get("/channels", SECRET).await;
    assert_eq!(ok.header("x-ratelimit-limit"), Some("500"));
    assert_eq!(ok.header("x-ratelimit-remaining"), Some("499"));
    let reset: u64 = ok.header("x-ratelimit-reset").unwrap().parse().unwrap();
    assert_eq!(reset % 60, 0, "the end of a minute window");
    let error = server.get("/channels/chat-room-1/users", SECRET).await;
    assert_eq!(error.status, 400);
    let same_window = error.header("x-ratelimit-reset") == ok.header("x-ratelimit-reset");
    let expected = if same_window { "498" } else { "499" };
    assert_eq!(
        error.header("x-ratelimit-remaining"),
        Some(expected),
        "errors count and say so"
    );
    let raw = server
        .send(|c| {
            c.get(server.url("/channels"))
                .header("Authorization", SECRET)
        })
        .await;
    assert_eq!(raw.status, 200, "the SDK's raw key is accepted");
}
