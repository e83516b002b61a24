//! Section 5: a fragmented message is put back together whether its fragments come in one write, one
//! by one or a byte at a time, empty fragments included; control frames between fragments are
//! answered at once; a continuation with no message begun, or a new message before the last one
//! ended, fails the connection with 1002.

use super::common::raw::{BINARY, CONTINUATION, PING, PONG, RawWs, TEXT, client_frame};
use super::common::{Dialect, TestServer};
use super::{BOTH, fails_with, is_pong, joined, pongs, sent, still_open};

/// The protocol ping of `dialect` cut into fragments at `cuts` (byte offsets): a text frame without
/// FIN, continuations, the last with FIN.
fn fragmented_ping(dialect: Dialect, cuts: &[usize]) -> Vec<Vec<u8>> {
    let message = dialect.ping().into_bytes();
    let mut bounds = vec![0];
    bounds.extend_from_slice(cuts);
    bounds.push(message.len());
    let pieces: Vec<&[u8]> = bounds.windows(2).map(|w| &message[w[0]..w[1]]).collect();
    let last = pieces.len() - 1;
    pieces
        .iter()
        .enumerate()
        .map(|(i, piece)| {
            let opcode = if i == 0 { TEXT } else { CONTINUATION };
            let fin = if i == last { 0x80 } else { 0 };
            client_frame(fin | opcode, piece)
        })
        .collect()
}

#[tokio::test]
async fn a_fragmented_message_is_put_back_together_however_it_arrives() {
    let server = TestServer::start().await;
    for dialect in BOTH {
        let mut raw = RawWs::greeted(server.addr, dialect).await;
        let fragments = fragmented_ping(dialect, &[1, 10, 20]);
        raw.send(&joined(&fragments)).await;
        pongs(&mut raw, dialect, 1).await;
        for fragment in &fragments {
            raw.send(fragment).await;
        }
        pongs(&mut raw, dialect, 1).await;
        for byte in joined(&fragments) {
            raw.send(&[byte]).await;
        }
        pongs(&mut raw, dialect, 1).await;
    }
}

#[tokio::test]
async fn empty_fragments_are_part_of_the_message() {
    let server = TestServer::start().await;
    for dialect in BOTH {
        let mut fragments = fragmented_ping(dialect, &[0, 5, 5]);
        fragments.push(client_frame(0x80 | CONTINUATION, b""));
        fragments[3][0] &= 0x7f; // the last piece of the ping is no longer the last fragment
        let mut raw = sent(&server, dialect, &joined(&fragments)).await;
        pongs(&mut raw, dialect, 1).await;
    }
}

#[tokio::test]
async fn control_frames_between_fragments_are_answered_at_once() {
    let server = TestServer::start().await;
    for dialect in BOTH {
        let mut fragments = fragmented_ping(dialect, &[8]);
        fragments.insert(1, client_frame(0x80 | PING, b"between"));
        fragments.insert(1, client_frame(0x80 | PONG, b"unsolicited"));
        let mut raw = RawWs::greeted(server.addr, dialect).await;
        raw.send(&fragments[0]).await;
        raw.send(&fragments[1]).await;
        raw.send(&fragments[2]).await;
        let pong = raw
            .next_frame()
            .await
            .expect("the pong before the message ends");
        assert_eq!(
            (pong.opcode, pong.payload.as_slice()),
            (PONG, &b"between"[..])
        );
        raw.send(&fragments[3]).await;
        pongs(&mut raw, dialect, 1).await;
        let mut all_at_once = sent(&server, dialect, &joined(&fragments)).await;
        let frames = pongs(&mut all_at_once, dialect, 1).await;
        assert_eq!(frames[0].opcode, PONG, "{dialect:?}: {frames:?}");
    }
}

#[tokio::test]
async fn a_continuation_with_no_message_begun_fails_with_1002() {
    let server = TestServer::start().await;
    for fin in [0x80, 0] {
        let alone = client_frame(fin | CONTINUATION, b"orphan");
        let what = format!("a lone continuation, FIN {fin:#x}");
        super::each_fails_with(&server, &alone, 1002, &what).await;
    }
    for dialect in BOTH {
        let mut after = fragmented_ping(dialect, &[4]);
        after.push(client_frame(0x80 | CONTINUATION, b"late"));
        let mut raw = sent(&server, dialect, &joined(&after)).await;
        let before = fails_with(&mut raw, 1002, "a continuation after the message ended").await;
        assert!(before.iter().any(|f| is_pong(dialect, f)), "{before:?}");
    }
}

#[tokio::test]
async fn a_new_message_before_the_last_one_ended_fails_with_1002() {
    let server = TestServer::start().await;
    for dialect in BOTH {
        let first = fragmented_ping(dialect, &[4]).remove(0);
        for (opcode, fin) in [(TEXT, 0x80), (TEXT, 0), (BINARY, 0x80), (BINARY, 0)] {
            let bytes = joined(&[first.clone(), client_frame(fin | opcode, b"{}")]);
            let mut raw = sent(&server, dialect, &bytes).await;
            let what = format!("opcode {opcode} FIN {fin:#x} mid-message ({dialect:?})");
            fails_with(&mut raw, 1002, &what).await;
        }
    }
}

#[tokio::test]
async fn a_fragmented_binary_message_is_refused_as_a_message_not_a_protocol_error() {
    let server = TestServer::start().await;
    for dialect in BOTH {
        let parts = [
            client_frame(BINARY, &[0xff, 0x00]),
            client_frame(0x80, &[0xfe]),
        ];
        let mut raw = sent(&server, dialect, &joined(&parts)).await;
        let error = raw.expect_event(&dialect.event("error")).await;
        assert_eq!(super::common::data_of(&error)["code"], 4300, "{dialect:?}");
        still_open(&mut raw, dialect).await;
    }
}
