//! Presence channels: one member per user however many connections it has, in both dialects.

mod common;

use common::{Dialect, TestServer, WsClient, data_of};
use serde_json::json;

async fn client(server: &TestServer, dialect: Dialect) -> WsClient {
    match dialect {
        Dialect::Pusher => server.pusher().await,
        Dialect::LatteStream => server.lattestream(common::KEY).await,
    }
}

fn member(user: &str) -> String {
    json!({"user_id": user, "user_info": {"name": user.to_uppercase()}}).to_string()
}

/// Ids from a member event in either dialect.
fn member_id(frame: &serde_json::Value) -> String {
    let data = data_of(frame);
    data.get("user_id")
        .or(data.get("id"))
        .and_then(|v| v.as_str())
        .unwrap()
        .to_owned()
}

/// Sends a REST event and expects it to be the very next frame `c` sees: nothing came in between.
async fn nothing_pending(server: &TestServer, c: &mut WsClient, channel: &str) {
    server.trigger(channel, "sentinel", json!({})).await;
    let next = c.next().await.unwrap();
    assert_eq!(next["event"], "sentinel", "unexpected frame {next}");
}

async fn two_users_on_three_connections(dialect: Dialect) {
    let server = TestServer::start().await;
    let channel = "presence-room";
    let mut a1 = client(&server, dialect).await;
    let mut a2 = client(&server, dialect).await;
    let mut b1 = client(&server, dialect).await;

    let ok = a1.subscribe(channel, Some(&member("alice"))).await;
    assert_eq!(data_of(&ok)["presence"]["count"], 1);

    let ok = b1.subscribe(channel, Some(&member("bob"))).await;
    let presence = &data_of(&ok)["presence"];
    assert_eq!(
        (presence["count"].clone(), presence["ids"].clone()),
        (json!(2), json!(["alice", "bob"]))
    );
    assert_eq!(presence["hash"]["alice"], json!({"name": "ALICE"}));
    let added = a1.expect(&a1.internal("member_added")).await;
    assert_eq!(member_id(&added), "bob");

    let ok = a2.subscribe(channel, Some(&member("alice"))).await;
    assert_eq!(data_of(&ok)["presence"]["count"], 2, "alice counts once");
    nothing_pending(&server, &mut b1, channel).await;
    nothing_pending(&server, &mut a1, channel).await;

    drop(a1);
    common::eventually(|| async { subscriptions(&server, channel).await == 2 }).await;
    nothing_pending(&server, &mut b1, channel).await;

    drop(a2);
    let removed = b1.expect(&b1.internal("member_removed")).await;
    assert_eq!(member_id(&removed), "alice");
}

async fn subscriptions(server: &TestServer, channel: &str) -> usize {
    let app = server.node.apps().by_id("1").unwrap();
    let name = lattestream::protocol::ChannelName::parse(channel).unwrap();
    let stats = server.node.channel(&app, &name).await.unwrap();
    stats.map(|c| c.subscriptions).unwrap_or(0)
}

#[tokio::test]
async fn pusher_presence_counts_users_not_connections() {
    two_users_on_three_connections(Dialect::Pusher).await;
}

#[tokio::test]
async fn lattestream_presence_counts_users_not_connections() {
    two_users_on_three_connections(Dialect::LatteStream).await;
}

#[tokio::test]
async fn lattestream_presence_names_me() {
    let server = TestServer::start().await;
    let mut c = server.lattestream(common::KEY).await;
    let ok = c.subscribe("presence-x", Some(&member("carol"))).await;
    assert_eq!(ok["data"]["presence"]["me"], json!({"id": "carol"}));
}

#[tokio::test]
async fn presence_without_user_id_is_refused() {
    let server = TestServer::start().await;
    let mut c = server.pusher().await;
    let data = json!({"user_info": {}}).to_string();
    let auth = common::sign(&c.socket_id, "presence-x", Some(&data));
    c.subscribe_with("presence-x", Some(auth), Some(data)).await;
    let error = c.expect("pusher:subscription_error").await;
    assert_eq!(data_of(&error)["status"], 400);
}

#[tokio::test]
async fn numeric_user_ids_are_accepted_as_strings() {
    let server = TestServer::start().await;
    let mut c = server.pusher().await;
    let ok = c.subscribe("presence-n", Some(r#"{"user_id":42}"#)).await;
    assert_eq!(data_of(&ok)["presence"]["ids"], json!(["42"]));
}

/// Presence caps (app settings, soketi's defaults): a new user past `max_presence_members` is refused
/// with `LimitReached` while another connection of a present user still joins, and a `user_info`
/// over `max_presence_user_info_bytes` is refused with `InvalidChannelData`. Nothing else changes.
#[tokio::test]
async fn presence_channels_cap_members_and_user_info() {
    let mut config = common::test_config();
    config.apps[0].settings.max_presence_members = 2;
    config.apps[0].settings.max_presence_user_info_bytes = 64;
    let server = TestServer::with_config(config).await;
    let data = |user: &str| format!(r#"{{"user_id":"{user}"}}"#);
    let mut a = server.pusher().await;
    a.subscribe("presence-small", Some(&data("alice"))).await;
    let mut b = server.lattestream(common::KEY).await;
    b.subscribe("presence-small", Some(&data("bob"))).await;
    let mut carol = server.pusher().await;
    let auth = common::sign(&carol.socket_id, "presence-small", Some(&data("carol")));
    carol
        .subscribe_with("presence-small", Some(auth), Some(data("carol")))
        .await;
    let refused = carol.expect("pusher:subscription_error").await;
    let refusal = data_of(&refused);
    assert_eq!(
        (refusal["type"].as_str(), refusal["status"].as_u64()),
        (Some("LimitReached"), Some(403))
    );
    let mut alice_again = server.pusher().await;
    alice_again
        .subscribe("presence-small", Some(&data("alice")))
        .await;
    let big = format!(
        r#"{{"user_id":"dave","user_info":{{"bio":"{}"}}}}"#,
        "x".repeat(100)
    );
    let mut dave = server.pusher().await;
    let auth = common::sign(&dave.socket_id, "presence-big", Some(&big));
    dave.subscribe_with("presence-big", Some(auth), Some(big))
        .await;
    let refused = dave.expect("pusher:subscription_error").await;
    assert_eq!(data_of(&refused)["type"], "InvalidChannelData");
    let members = server.get("/channels/presence-small", common::SECRET).await;
    assert_eq!(members.body["user_count"], 2);
    assert_eq!(
        server
            .get("/channels/presence-big", common::SECRET)
            .await
            .body["occupied"],
        false
    );
}
