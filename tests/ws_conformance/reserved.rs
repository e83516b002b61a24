//! Sections 3 and 4: a reserved bit (no extension was negotiated) or a reserved opcode, on any kind of
//! frame, fails the connection with 1002 — after the answers to whatever came before it.

use super::common::TestServer;
use super::common::raw::{BINARY, CLOSE, PING, TEXT, client_frame};
use super::{BOTH, fails_with, is_pong, joined, json_ping, sent};

#[tokio::test]
async fn a_reserved_bit_on_any_frame_fails_the_connection_with_1002() {
    let server = TestServer::start().await;
    let frames = [
        (TEXT, br#"{"event":"pusher:ping","data":{}}"#.as_slice()),
        (BINARY, b"\x00\xff".as_slice()),
        (PING, b"rsv".as_slice()),
        (CLOSE, b"\x03\xe8".as_slice()),
    ];
    for rsv in [0x40, 0x20, 0x10, 0x70] {
        for (opcode, payload) in frames {
            let frame = client_frame(0x80 | rsv | opcode, payload);
            let what = format!("RSV {rsv:#04x} on opcode {opcode}");
            super::each_fails_with(&server, &frame, 1002, &what).await;
        }
    }
}

#[tokio::test]
async fn a_reserved_opcode_fails_the_connection_with_1002() {
    let server = TestServer::start().await;
    for opcode in [0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF] {
        for payload in [&b""[..], b"reserved"] {
            let frame = client_frame(0x80 | opcode, payload);
            let what = format!("opcode {opcode:#x} with {} bytes", payload.len());
            super::each_fails_with(&server, &frame, 1002, &what).await;
        }
    }
}

#[tokio::test]
async fn messages_before_the_violation_are_answered_first() {
    let server = TestServer::start().await;
    for dialect in BOTH {
        for bad in [client_frame(0xC1, b"{}"), client_frame(0x85, b"")] {
            let bytes = joined(&[json_ping(dialect), bad]);
            let mut raw = sent(&server, dialect, &bytes).await;
            let before = fails_with(&mut raw, 1002, &format!("{dialect:?}")).await;
            assert!(
                before.iter().any(|f| is_pong(dialect, f)),
                "the ping before the violation is answered ({dialect:?}): {before:?}"
            );
        }
    }
}
