//! The Pusher HTTP API's queries (`GET channels`, `channels/{name}`, `channels/{name}/users`) and
//! `POST users/{id}/terminate_connections`.

mod common;

use common::pusher_sign::{PusherApi, signin};
use common::{TestServer, WsClient};
use serde_json::json;

/// Two connections of `u1` and one of `u2` on `presence-room`, one connection on `news`.
async fn populated(server: &TestServer) -> Vec<WsClient> {
    let mut clients = Vec::new();
    for user in ["u1", "u1", "u2"] {
        let mut c = server.pusher().await;
        let data = json!({ "user_id": user, "user_info": {"name": user} }).to_string();
        c.subscribe("presence-room", Some(&data)).await;
        clients.push(c);
    }
    let mut news = server.lattestream(common::KEY).await;
    news.subscribe("news", None).await;
    clients.push(news);
    clients
}

#[tokio::test]
async fn channels_are_listed_with_prefix_filter_and_info() {
    let server = TestServer::start().await;
    let _clients = populated(&server).await;
    let api = PusherApi::new(&server);
    let all = api.get("/channels", &[]).await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(
        all.json(),
        json!({"channels": {"news": {}, "presence-room": {}}})
    );
    let counted = api
        .get("/channels", &[("info", "subscription_count")])
        .await;
    assert_eq!(
        counted.json()["channels"],
        json!({"news": {"subscription_count": 1}, "presence-room": {"subscription_count": 3}})
    );
    let presence = api
        .get(
            "/channels",
            &[("filter_by_prefix", "presence-"), ("info", "user_count")],
        )
        .await;
    assert_eq!(presence.status, 200, "{}", presence.text);
    assert_eq!(
        presence.json(),
        json!({"channels": {"presence-room": {"user_count": 2}}})
    );
}

#[tokio::test]
async fn user_count_without_a_presence_prefix_is_400() {
    let server = TestServer::start().await;
    let reply = PusherApi::new(&server)
        .get("/channels", &[("info", "user_count")])
        .await;
    assert_eq!(reply.status, 400);
    assert!(reply.text.contains("presence"), "{}", reply.text);
}

#[tokio::test]
async fn server_to_user_channels_are_never_listed() {
    let server = TestServer::start().await;
    let mut c = server.pusher().await;
    signin(&mut c, "u1").await;
    let reply = PusherApi::new(&server).get("/channels", &[]).await;
    assert_eq!(reply.json(), json!({"channels": {}}));
}

#[tokio::test]
async fn one_channel_reports_occupancy_and_counts() {
    let server = TestServer::start().await;
    let _clients = populated(&server).await;
    let api = PusherApi::new(&server);
    let info = [("info", "user_count,subscription_count")];
    let room = api.get("/channels/presence-room", &info).await;
    assert_eq!(room.status, 200, "{}", room.text);
    assert_eq!(
        room.json(),
        json!({"occupied": true, "user_count": 2, "subscription_count": 3})
    );
    let news = api.get("/channels/news", &[]).await;
    assert_eq!(news.json(), json!({"occupied": true}));
    let empty = api
        .get("/channels/empty", &[("info", "subscription_count")])
        .await;
    assert_eq!(
        empty.json(),
        json!({"occupied": false, "subscription_count": 0})
    );
    let wrong = api.get("/channels/news", &[("info", "user_count")]).await;
    assert_eq!(wrong.status, 400);
    let invalid = api.get("/channels/bad%20name", &[]).await;
    assert_eq!(invalid.status, 400, "{}", invalid.text);
}

#[tokio::test]
async fn presence_users_are_listed_once_each() {
    let server = TestServer::start().await;
    let _clients = populated(&server).await;
    let api = PusherApi::new(&server);
    let users = api.get("/channels/presence-room/users", &[]).await;
    assert_eq!(users.status, 200, "{}", users.text);
    assert_eq!(users.json(), json!({"users": [{"id": "u1"}, {"id": "u2"}]}));
    let refused = api.get("/channels/news/users", &[]).await;
    assert_eq!(refused.status, 400);
    assert!(refused.text.contains("presence"), "{}", refused.text);
    let empty = api.get("/channels/presence-none/users", &[]).await;
    assert_eq!(empty.json(), json!({"users": []}));
}

#[tokio::test]
async fn terminate_connections_closes_the_users_sockets_with_4009() {
    let server = TestServer::start().await;
    let mut first = server.pusher().await;
    let mut second = server.pusher().await;
    let mut bystander = server.pusher().await;
    signin(&mut first, "u1").await;
    signin(&mut second, "u1").await;
    signin(&mut bystander, "u2").await;
    let reply = PusherApi::new(&server)
        .post("/users/u1/terminate_connections", &json!({}))
        .await;
    assert_eq!((reply.status, reply.json()), (200, json!({})));
    assert_eq!(first.expect_close().await, Some(4009));
    assert_eq!(second.expect_close().await, Some(4009));
    bystander
        .send(json!({"event": "pusher:ping", "data": {}}))
        .await;
    assert_eq!(bystander.next().await.unwrap()["event"], "pusher:pong");
    let nobody = PusherApi::new(&server)
        .post("/users/nobody/terminate_connections", &json!({}))
        .await;
    assert_eq!((nobody.status, nobody.json()), (200, json!({})));
}
