//! User sign-in (`pusher:signin`) and watchlists.

mod common;

use common::{KEY, SECRET, TestServer, WsClient, data_of};
use lattestream::auth::{Secret, hmac_hex};
use serde_json::json;

async fn sign_in(c: &mut WsClient, user_data: &str) {
    let signature = hmac_hex(
        &Secret::new(SECRET),
        &format!("{}::user::{user_data}", c.socket_id),
    );
    let data = json!({"auth": format!("{KEY}:{signature}"), "user_data": user_data});
    c.send(json!({"event": "pusher:signin", "data": data}))
        .await;
}

#[tokio::test]
async fn a_valid_signin_succeeds_and_binds_the_user() {
    let server = TestServer::start().await;
    let mut c = server.pusher().await;
    let user_data = json!({"id": "u1", "name": "Ann"}).to_string();
    sign_in(&mut c, &user_data).await;
    let ok = c.expect("pusher:signin_success").await;
    assert_eq!(data_of(&ok)["user_data"], user_data);
    let app = server.node.apps().by_id("1").unwrap();
    common::wait_until(|| server.node.local_connections_of_user(&app, "u1") == 1).await;
}

#[tokio::test]
async fn a_forged_signin_closes_with_4009() {
    let server = TestServer::start().await;
    let mut c = server.pusher().await;
    let data =
        json!({"auth": format!("{KEY}:{}", "ab".repeat(32)), "user_data": "{\"id\":\"u1\"}"});
    c.send(json!({"event": "pusher:signin", "data": data}))
        .await;
    assert_eq!(c.expect("pusher:error").await["data"]["code"], 4009);
    assert_eq!(c.expect_close().await, Some(4009));
}

#[tokio::test]
async fn user_data_without_an_id_is_refused() {
    let server = TestServer::start().await;
    let mut c = server.pusher().await;
    sign_in(&mut c, "{\"name\":\"nobody\"}").await;
    assert_eq!(c.expect_close().await, Some(4009));
}

#[tokio::test]
async fn watchers_hear_watched_users_come_online_and_go_offline() {
    let mut config = common::test_config();
    config.apps[0].settings.watchlist_events = true;
    let server = TestServer::with_config(config).await;
    let mut early = server.pusher().await;
    sign_in(&mut early, &json!({"id": "bob"}).to_string()).await;
    early.expect("pusher:signin_success").await;

    let mut watcher = server.pusher().await;
    sign_in(
        &mut watcher,
        &json!({"id": "ann", "watchlist": ["bob", "cid"]}).to_string(),
    )
    .await;
    watcher.expect("pusher:signin_success").await;
    let initial = watcher.expect("pusher_internal:watchlist_events").await;
    assert_eq!(
        data_of(&initial),
        json!({"events": [{"name": "online", "user_ids": ["bob"]}]})
    );

    let mut cid = server.pusher().await;
    sign_in(&mut cid, &json!({"id": "cid"}).to_string()).await;
    let online = watcher.expect("pusher_internal:watchlist_events").await;
    assert_eq!(
        data_of(&online),
        json!({"events": [{"name": "online", "user_ids": ["cid"]}]})
    );
    drop(cid);
    let offline = watcher.expect("pusher_internal:watchlist_events").await;
    assert_eq!(
        data_of(&offline),
        json!({"events": [{"name": "offline", "user_ids": ["cid"]}]})
    );
}

#[tokio::test]
async fn watchlists_are_ignored_unless_the_app_enables_them() {
    let server = TestServer::start().await;
    let mut bob = server.pusher().await;
    sign_in(&mut bob, &json!({"id": "bob"}).to_string()).await;
    bob.expect("pusher:signin_success").await;
    let mut watcher = server.pusher().await;
    sign_in(
        &mut watcher,
        &json!({"id": "ann", "watchlist": ["bob"]}).to_string(),
    )
    .await;
    watcher.expect("pusher:signin_success").await;
    watcher
        .send(json!({"event": "pusher:ping", "data": {}}))
        .await;
    assert_eq!(watcher.next().await.unwrap()["event"], "pusher:pong");
}
