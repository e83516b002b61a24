//! Section 7: the closing handshake. A close is echoed (empty when it came empty, with the client's
//! code when it gave a valid one) after the answers to everything sent before it, and nothing sent
//! after it is read. A one-byte payload, a control frame over 125 bytes, or a code no peer may send
//! (issue 15's list: 1005, 1006 and 1015 must never be on the wire) fails the connection with 1002
//! instead of being echoed; a reason that is not UTF-8 fails it with 1007.

use super::common::TestServer;
use super::common::raw::{CLOSE, PING, PONG, TEXT, client_frame, close_payload};
use super::{BOTH, fails_with, is_pong, joined, json_ping, sent};

/// Codes a client may send, from each range RFC 6455 §7.4 allows.
const VALID: [u16; 16] = [
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999,
];

/// Codes no client may send (issue 15's list).
const INVALID: [u16; 12] = [
    0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
];

/// A masked close frame with `payload`.
fn close(payload: &[u8]) -> Vec<u8> {
    client_frame(0x80 | CLOSE, payload)
}

#[tokio::test]
async fn a_close_without_payload_is_echoed_empty() {
    let server = TestServer::start().await;
    for dialect in BOTH {
        let mut raw = sent(&server, dialect, &close(b"")).await;
        let (before, echo) = raw.expect_close().await;
        assert_eq!(echo.payload, b"", "{dialect:?}");
        assert!(before.is_empty(), "{dialect:?}: {before:?}");
    }
}

#[tokio::test]
async fn a_close_with_a_valid_code_is_echoed_with_that_code() {
    let server = TestServer::start().await;
    let longest_reason = "r".repeat(123);
    for code in VALID {
        for reason in ["", "going away", "κόσμε", &longest_reason] {
            for dialect in BOTH {
                let mut raw = sent(&server, dialect, &close(&close_payload(code, reason))).await;
                let what = format!("{code} with {} reason bytes ({dialect:?})", reason.len());
                let (_, echo) = raw.expect_close().await;
                assert_eq!(echo.close_code(), Some(code), "{what}");
            }
        }
    }
}

#[tokio::test]
async fn a_close_with_an_invalid_code_fails_with_1002_and_is_never_echoed() {
    let server = TestServer::start().await;
    for code in INVALID {
        for dialect in BOTH {
            let mut raw = sent(&server, dialect, &close(&close_payload(code, "bad"))).await;
            fails_with(&mut raw, 1002, &format!("code {code} ({dialect:?})")).await;
        }
    }
}

#[tokio::test]
async fn a_malformed_close_payload_fails_the_connection() {
    let server = TestServer::start().await;
    let too_long = close_payload(1000, &"r".repeat(124));
    let bad_reason = [&1000u16.to_be_bytes()[..], b"\xce\xba\xed\xa0\x80"].concat();
    let cases = [
        ("a one-byte payload", close(b"\x03"), 1002),
        ("a 126-byte payload", close(&too_long), 1002),
        ("a reason that is not UTF-8", close(&bad_reason), 1007),
    ];
    for (what, frame, code) in cases {
        super::each_fails_with(&server, &frame, code, what).await;
    }
}

#[tokio::test]
async fn messages_and_their_close_in_one_write_are_answered_before_the_echo() {
    let server = TestServer::start().await;
    for dialect in BOTH {
        let ping = client_frame(0x80 | PING, b"rfc");
        let bytes = joined(&[ping, json_ping(dialect), close(&close_payload(1000, ""))]);
        let mut raw = sent(&server, dialect, &bytes).await;
        let (before, echo) = raw.expect_close().await;
        assert_eq!(echo.close_code(), Some(1000), "{dialect:?}");
        let rfc_pong = before
            .iter()
            .any(|f| f.opcode == PONG && f.payload == b"rfc");
        let pong = before.iter().any(|f| is_pong(dialect, f));
        assert!(
            rfc_pong && pong,
            "both pings answered before the close ({dialect:?}): {before:?}"
        );
    }
}

#[tokio::test]
async fn nothing_after_a_close_is_read() {
    let server = TestServer::start().await;
    for dialect in BOTH {
        let after = [
            json_ping(dialect),
            client_frame(0x80 | PING, b"late"),
            client_frame(0x80 | 0x3, b"reserved"),
            close(b"\x03"),
        ];
        let mut bytes = close(&close_payload(1001, "bye"));
        bytes.extend(joined(&after));
        let mut raw = sent(&server, dialect, &bytes).await;
        let (before, echo) = raw.expect_close().await;
        assert_eq!(echo.close_code(), Some(1001), "{dialect:?}: {before:?}");
        assert!(
            before.is_empty(),
            "nothing answered after the close ({dialect:?}): {before:?}"
        );
    }
}

#[tokio::test]
async fn a_close_in_the_middle_of_a_fragmented_message_is_echoed() {
    let server = TestServer::start().await;
    for dialect in BOTH {
        let started = client_frame(TEXT, &dialect.ping().as_bytes()[..10]);
        let bytes = joined(&[started, close(&close_payload(1000, ""))]);
        let mut raw = sent(&server, dialect, &bytes).await;
        let (before, echo) = raw.expect_close().await;
        assert_eq!(echo.close_code(), Some(1000), "{dialect:?}");
        assert!(
            before.is_empty(),
            "the unfinished message is dropped: {before:?}"
        );
    }
}
