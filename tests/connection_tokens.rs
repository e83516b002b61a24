//! `lspc_` connection credentials are verified at connect: a forged, empty or unknown-version
//! signature is refused with 4009 (knowing an app's id is not enough), an unknown app with 4001, and
//! the app's connection token admits the client like its public key.

mod common;

use common::{TestServer, WsClient, data_of};
use lattestream::auth::{connection_token, lspc_token};

async fn close_code_at_connect(server: &TestServer, credential: &str) -> (u64, Option<u16>) {
    let mut c = WsClient::lattestream_raw(server.addr, credential).await;
    let frame = c.next().await.expect("an error frame before the close");
    assert_eq!(frame["event"], "lattestream:error");
    let code = data_of(&frame)["code"].as_u64().unwrap();
    (code, c.expect_close().await)
}

#[tokio::test]
async fn forged_empty_and_unknown_version_tokens_are_refused_with_4009() {
    let server = TestServer::start().await;
    let app = server.node.apps().by_id("1").unwrap();
    let valid_sig = connection_token(&app)
        .rsplit('.')
        .next()
        .unwrap()
        .to_owned();
    let channel_token = lspc_token(&app, "1.2", "private-a", None);
    for forged in [
        "lspc_v1.1.NOT-A-SIGNATURE".to_owned(),
        "lspc_v1.1.".to_owned(),
        "lspc_v1.1".to_owned(),
        format!("lspc_v2.1.{valid_sig}"),
        channel_token,
    ] {
        let refused = close_code_at_connect(&server, &forged).await;
        assert_eq!(refused, (4009, Some(4009)), "{forged}");
    }
    let unknown = close_code_at_connect(&server, &format!("lspc_v1.999.{valid_sig}")).await;
    assert_eq!(unknown, (4001, Some(4001)));
}

#[tokio::test]
async fn the_apps_connection_token_admits_like_its_public_key() {
    let server = TestServer::start().await;
    let app = server.node.apps().by_id("1").unwrap();
    let mut c = server.lattestream(&connection_token(&app)).await;
    c.subscribe("news", None).await;
    c.subscribe_with("private-a", None, None).await;
    let refused = c.expect("lattestream:subscription_error").await;
    assert_eq!(
        data_of(&refused)["status"],
        401,
        "no private channel without authorization"
    );
}
