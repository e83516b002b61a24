//! The upgrade request (RFC 6455 §4.2.1–4.2.2): a `Sec-WebSocket-Key` that is missing, empty, not
//! base64 or not 16 bytes gets 400; a `Sec-WebSocket-Version` other than 13, or none, gets 426 naming
//! 13; a plain GET (no `Upgrade: websocket`) gets the about page on `/` and 404 on `/app/{key}`.

use super::common::TestServer;
use super::common::raw::{KEY, RawWs, upgrade_request};
use super::{BOTH, common::Dialect};

/// The upgrade headers with the key and version lines given (`None` leaves the line out).
fn headers(key: Option<&str>, version: Option<&str>) -> Vec<String> {
    let mut lines = vec![
        "Connection: Upgrade".to_owned(),
        "Upgrade: websocket".to_owned(),
    ];
    lines.extend(version.map(|v| format!("Sec-WebSocket-Version: {v}")));
    lines.extend(key.map(|k| format!("Sec-WebSocket-Key: {k}")));
    lines
}

/// The status and response head of an upgrade request to `dialect`'s endpoint.
async fn answer(server: &TestServer, dialect: Dialect, lines: &[String]) -> (u16, String) {
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let request = upgrade_request(&dialect.path(), &lines);
    let (status, head, _) = RawWs::request(server.addr, &request).await;
    (status, head.to_ascii_lowercase())
}

#[tokio::test]
async fn a_bad_key_gets_400() {
    let server = TestServer::start().await;
    let keys = [
        None,
        Some(""),
        Some("not base64 at all!"),
        Some("AAECAw=="),
        Some("AAECAwQFBgcICQoLDA0ODxA="),
    ];
    for key in keys {
        for dialect in BOTH {
            let (status, head) = answer(&server, dialect, &headers(key, Some("13"))).await;
            assert_eq!(status, 400, "key {key:?} ({dialect:?}): {head}");
        }
    }
}

#[tokio::test]
async fn a_version_other_than_13_gets_426_naming_13() {
    let server = TestServer::start().await;
    for version in [Some("8"), None, Some("12"), Some("14"), Some("")] {
        for dialect in BOTH {
            let (status, head) = answer(&server, dialect, &headers(Some(KEY), version)).await;
            assert_eq!(status, 426, "version {version:?} ({dialect:?}): {head}");
            assert!(head.contains("\r\nsec-websocket-version: 13"), "{head}");
        }
    }
}

#[tokio::test]
async fn a_valid_upgrade_gets_101_with_the_accept_key() {
    let server = TestServer::start().await;
    for dialect in BOTH {
        let (status, head) = answer(&server, dialect, &headers(Some(KEY), Some("13"))).await;
        assert_eq!(status, 101, "{dialect:?}: {head}");
        assert!(
            head.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
            "{head}"
        );
    }
}

#[tokio::test]
async fn a_plain_get_gets_the_about_page_or_404() {
    let server = TestServer::start().await;
    let about = reqwest::get(server.url("/")).await.unwrap();
    assert_eq!(about.status(), 200);
    let body: serde_json::Value = about.json().await.unwrap();
    assert_eq!(body["name"], "LatteStream");
    let pusher = reqwest::get(server.url(&Dialect::Pusher.path()))
        .await
        .unwrap();
    assert_eq!(pusher.status(), 404);
}
