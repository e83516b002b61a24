//! Section 2: pings are answered with a pong carrying the same payload, at once and in order; a ping
//! over 125 bytes or fragmented fails the connection; an unsolicited pong is ignored.

use super::common::TestServer;
use super::common::raw::{PING, PONG, RawWs, client_frame};
use super::{BOTH, each_fails_with, joined, pongs, still_open};

/// The next frame that is not a text message (the server's own messages may come between).
async fn next_control(raw: &mut RawWs) -> (u8, Vec<u8>) {
    let read = async {
        loop {
            let frame = raw.next_frame().await.expect("the connection stays open");
            if frame.opcode != super::common::raw::TEXT {
                return (frame.opcode, frame.payload);
            }
        }
    };
    tokio::time::timeout(super::common::PATIENCE, read)
        .await
        .expect("a control frame in time")
}

#[tokio::test]
async fn a_ping_is_answered_with_a_pong_carrying_its_payload() {
    let server = TestServer::start().await;
    let payloads: [&[u8]; 4] = [
        b"",
        b"Hello, world!",
        &[0x00, 0xff, 0xfe, 0xfd, 0xfc],
        &[b'*'; 125],
    ];
    for dialect in BOTH {
        let mut raw = RawWs::greeted(server.addr, dialect).await;
        for payload in payloads {
            raw.send(&client_frame(0x80 | PING, payload)).await;
            let answer = next_control(&mut raw).await;
            assert_eq!(answer, (PONG, payload.to_vec()), "{dialect:?}");
        }
        still_open(&mut raw, dialect).await;
    }
}

#[tokio::test]
async fn ten_pings_in_one_write_get_ten_pongs_in_order() {
    let server = TestServer::start().await;
    for dialect in BOTH {
        let mut raw = RawWs::greeted(server.addr, dialect).await;
        let pings: Vec<Vec<u8>> = (0..10u8)
            .map(|i| client_frame(0x80 | PING, &[b'p', i]))
            .collect();
        raw.send(&joined(&pings)).await;
        for i in 0..10u8 {
            assert_eq!(
                next_control(&mut raw).await,
                (PONG, vec![b'p', i]),
                "{dialect:?}"
            );
        }
        still_open(&mut raw, dialect).await;
    }
}

#[tokio::test]
async fn a_ping_of_126_bytes_fails_the_connection_with_1002() {
    let server = TestServer::start().await;
    let ping = client_frame(0x80 | PING, &[b'*'; 126]);
    each_fails_with(&server, &ping, 1002, "a 126-byte ping").await;
}

#[tokio::test]
async fn a_fragmented_ping_fails_the_connection_with_1002() {
    let server = TestServer::start().await;
    let first = client_frame(PING, b"frag");
    let both = joined(&[first.clone(), client_frame(0x80, b"mented")]);
    each_fails_with(&server, &first, 1002, "a ping without FIN").await;
    each_fails_with(&server, &both, 1002, "a ping and its continuation").await;
}

#[tokio::test]
async fn unsolicited_pongs_are_ignored() {
    let server = TestServer::start().await;
    for dialect in BOTH {
        let mut raw = RawWs::greeted(server.addr, dialect).await;
        let unsolicited = [
            client_frame(0x80 | PONG, b""),
            client_frame(0x80 | PONG, b"x"),
        ];
        raw.send(&joined(&unsolicited)).await;
        raw.send(&super::json_ping(dialect)).await;
        let frames = pongs(&mut raw, dialect, 1).await;
        assert!(
            frames.iter().all(|f| f.opcode == super::common::raw::TEXT),
            "a pong is not answered ({dialect:?}): {frames:?}"
        );
    }
}
