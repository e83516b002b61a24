//! The LatteStream endpoint before its credential frame (issue 15, item 4): a protocol violation gets
//! its close frame as after the greeting (1002, 1007, 1009), with no reset that could lose it; a
//! close is echoed; a credential in fragments is put together; and frames over the size limit get
//! 1009 on both endpoints, the whole message counted when it comes in fragments.

use super::common::raw::{CLOSE, CONTINUATION, PING, PONG, RawWs, TEXT, client_frame};
use super::common::raw::{close_payload, unmasked_frame};
use super::common::{Dialect, KEY, TestServer};
use super::{BOTH, fails_with, joined, sent, still_open, text};

/// Bytes over the default 64 KiB message limit.
const OVER_LIMIT: usize = 64 * 1024 + 1;

/// A connection to `/` that has sent `bytes` and no credential.
async fn before_credential(server: &TestServer, bytes: &[u8]) -> RawWs {
    let mut raw = RawWs::connect(server.addr, &Dialect::LatteStream.path()).await;
    raw.send(bytes).await;
    raw
}

#[tokio::test]
async fn violations_before_the_credential_get_their_close_frame() {
    let credential = format!(r#"{{"api_key":"{KEY}"}}"#);
    let cases = [
        (
            "an unmasked frame",
            unmasked_frame(0x81, credential.as_bytes()),
            1002,
        ),
        ("invalid UTF-8", text(b"{\"api_key\":\"\xc0\xaf\"}"), 1007),
        (
            "a reserved bit",
            client_frame(0xC1, credential.as_bytes()),
            1002,
        ),
        ("a reserved opcode", client_frame(0x83, b""), 1002),
        ("a lone continuation", client_frame(0x80, b"{}"), 1002),
        ("a fragmented ping", client_frame(PING, b""), 1002),
        (
            "a 126-byte ping",
            client_frame(0x80 | PING, &[0; 126]),
            1002,
        ),
        (
            "an invalid close code",
            client_frame(0x80 | CLOSE, &close_payload(1005, "")),
            1002,
        ),
        (
            "a frame over the limit",
            text(&vec![b' '; OVER_LIMIT]),
            1009,
        ),
    ];
    let server = TestServer::start().await;
    for (what, bytes, code) in cases {
        let mut raw = before_credential(&server, &bytes).await;
        fails_with(&mut raw, code, what).await;
    }
}

#[tokio::test]
async fn a_close_before_the_credential_is_echoed() {
    let server = TestServer::start().await;
    let close = client_frame(0x80 | CLOSE, &close_payload(1000, "changed my mind"));
    let mut raw = before_credential(&server, &close).await;
    let (before, echo) = raw.expect_close().await;
    assert_eq!(echo.close_code(), Some(1000), "{before:?}");
}

#[tokio::test]
async fn a_ping_before_the_credential_is_answered() {
    let server = TestServer::start().await;
    let mut raw = before_credential(&server, &client_frame(0x80 | PING, b"early")).await;
    let read = tokio::time::timeout(super::common::PATIENCE, raw.next_frame());
    let pong = read.await.expect("a pong in time").expect("open");
    assert_eq!((pong.opcode, pong.payload), (PONG, b"early".to_vec()));
}

#[tokio::test]
async fn a_credential_in_fragments_is_put_together() {
    let server = TestServer::start().await;
    let credential = format!(r#"{{"api_key":"{KEY}"}}"#).into_bytes();
    let parts = [
        client_frame(TEXT, &credential[..5]),
        client_frame(0x80 | PING, b"between"),
        client_frame(0x80 | CONTINUATION, &credential[5..]),
    ];
    let mut raw = before_credential(&server, &joined(&parts)).await;
    raw.expect_event("lattestream:connection_established").await;
    still_open(&mut raw, Dialect::LatteStream).await;
}

#[tokio::test]
async fn frames_and_messages_over_the_limit_fail_with_1009_without_a_reset() {
    let server = TestServer::start().await;
    let half = vec![b' '; OVER_LIMIT / 2 + 1];
    let whole = text(&vec![b' '; OVER_LIMIT]);
    let fragmented = joined(&[client_frame(TEXT, &half), client_frame(0x80, &half)]);
    for dialect in BOTH {
        for (what, bytes) in [("a frame", &whole), ("a fragmented message", &fragmented)] {
            let mut raw = sent(&server, dialect, bytes).await;
            fails_with(&mut raw, 1009, &format!("{what} ({dialect:?})")).await;
        }
    }
}
