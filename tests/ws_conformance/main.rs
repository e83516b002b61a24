//! RFC 6455 conformance of our own, case by case as the Autobahn testsuite walks sections 2–7 for a
//! server that does not echo messages: pings and pongs (2), reserved bits (3) and opcodes (4),
//! fragmentation (5), UTF-8 (6) and the closing handshake (7). Every case runs on both endpoints, the
//! Pusher one (`/app/{key}?protocol=7`) and the LatteStream one (`/`), after the greeting; the
//! LatteStream endpoint is walked again before its credential frame, and the upgrade request's checks
//! close the suite. Instead of echoing, a message is a protocol ping (`{"event":"pusher:ping"}`),
//! whose pong shows the message arrived whole. Every close code asserted is read from the close frame
//! itself, which must be the last frame and reach the client without a reset.

#[path = "../common/mod.rs"]
mod common;

mod before_credential;
mod close;
mod fragments;
mod pings;
mod reserved;
mod upgrade;
mod utf8;

use common::raw::{CLOSE, Frame, RawWs, TEXT, client_frame};
use common::{Dialect, TestServer};

/// Both endpoints, in the order every case runs on them.
pub const BOTH: [Dialect; 2] = [Dialect::Pusher, Dialect::LatteStream];

/// A whole (FIN) masked text frame.
pub fn text(payload: &[u8]) -> Vec<u8> {
    client_frame(0x81, payload)
}

/// The protocol ping of `dialect` as one text frame.
pub fn json_ping(dialect: Dialect) -> Vec<u8> {
    text(dialect.ping().as_bytes())
}

/// Several frames as one write.
pub fn joined(frames: &[Vec<u8>]) -> Vec<u8> {
    frames.concat()
}

/// Whether `frame` is the protocol's pong.
pub fn is_pong(dialect: Dialect, frame: &Frame) -> bool {
    frame.opcode == TEXT && frame.json()["event"] == dialect.event("pong")
}

/// Opens a greeted connection of `dialect` on `server`, writes `bytes` as one write, and returns the
/// connection.
pub async fn sent(server: &TestServer, dialect: Dialect, bytes: &[u8]) -> RawWs {
    let mut raw = RawWs::greeted(server.addr, dialect).await;
    raw.send(bytes).await;
    raw
}

/// Reads until the server closes; the close frame must carry `code` (and be the last frame). Returns
/// the frames that came before it.
pub async fn fails_with(raw: &mut RawWs, code: u16, what: &str) -> Vec<Frame> {
    let (before, close) = raw.expect_close().await;
    assert_eq!(close.close_code(), Some(code), "{what}: {close:?}");
    before
}

/// Sends `bytes` on a fresh greeted connection of each dialect and expects the connection to be
/// failed with `code`.
pub async fn each_fails_with(server: &TestServer, bytes: &[u8], code: u16, what: &str) {
    for dialect in BOTH {
        let mut raw = sent(server, dialect, bytes).await;
        fails_with(&mut raw, code, &format!("{what} ({dialect:?})")).await;
    }
}

/// Reads frames (none of them a close) until `count` protocol pongs arrived; returns every frame
/// read, pongs included.
pub async fn pongs(raw: &mut RawWs, dialect: Dialect, count: usize) -> Vec<Frame> {
    let read = async {
        let mut frames = Vec::new();
        while frames.iter().filter(|f| is_pong(dialect, f)).count() < count {
            let frame = raw.next_frame().await.expect("the connection stays open");
            assert_ne!(frame.opcode, CLOSE, "closed after {frames:?}: {frame:?}");
            frames.push(frame);
        }
        frames
    };
    tokio::time::timeout(common::PATIENCE, read)
        .await
        .expect("the pongs in time")
}

/// The connection is open and whole: a protocol ping sent now is answered.
pub async fn still_open(raw: &mut RawWs, dialect: Dialect) {
    raw.send(&json_ping(dialect)).await;
    pongs(raw, dialect, 1).await;
}
