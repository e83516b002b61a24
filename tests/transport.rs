//! The WebSocket layer itself (RFC 6455 framing): fragmented and pipelined messages arrive whole,
//! pings are answered, closes are echoed, and a client that breaks the framing rules is closed with the
//! RFC's code while a witness on the same channel keeps receiving.

mod common;

use std::net::SocketAddr;

use common::{TestServer, WsClient};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{CloseFrame, Frame};

async fn witness(server: &TestServer) -> WsClient {
    let mut w = server.pusher().await;
    w.subscribe("shared", None).await;
    w
}

async fn still_receives(server: &TestServer, w: &mut WsClient) {
    server.trigger("shared", "still-here", json!({})).await;
    w.expect("still-here").await;
}

/// A client speaking raw bytes over TCP, to send what a WebSocket library would refuse to.
struct Raw {
    tcp: TcpStream,
}

impl Raw {
    /// Opens `path` with a hand-written upgrade request and reads the 101 answer.
    async fn open(addr: SocketAddr, path: &str) -> Raw {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        );
        tcp.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(tcp.read_u8().await.unwrap());
        }
        let head = String::from_utf8(head).unwrap();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        assert!(
            head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
            "RFC 6455 accept key: {head}"
        );
        Raw { tcp }
    }

    /// A masked client frame.
    fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [0x37, 0xfa, 0x21, 0x3d];
        let mut out = vec![first];
        if payload.len() < 126 {
            out.push(0x80 | payload.len() as u8);
        } else {
            out.push(0x80 | 126);
            out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        out
    }

    async fn write(&mut self, bytes: &[u8]) {
        self.tcp.write_all(bytes).await.unwrap();
    }

    /// Reads one server frame: (opcode, payload). Server frames are never masked.
    async fn read_frame(&mut self) -> (u8, Vec<u8>) {
        let first = self.tcp.read_u8().await.unwrap();
        let second = self.tcp.read_u8().await.unwrap();
        assert_eq!(second & 0x80, 0, "server frames are unmasked");
        let len = match second & 0x7f {
            126 => self.tcp.read_u16().await.unwrap() as usize,
            127 => self.tcp.read_u64().await.unwrap() as usize,
            n => n as usize,
        };
        let mut payload = vec![0; len];
        self.tcp.read_exact(&mut payload).await.unwrap();
        (first & 0x0f, payload)
    }

    /// Reads text frames until one whose event is `event`.
    async fn expect(&mut self, event: &str) -> serde_json::Value {
        loop {
            let (opcode, payload) = self.read_frame().await;
            assert_eq!(opcode, 1, "expected text, got opcode {opcode}");
            let frame: serde_json::Value = serde_json::from_slice(&payload).unwrap();
            if frame["event"] == event {
                return frame;
            }
        }
    }

    /// Reads until the close frame and returns its code.
    async fn expect_close(&mut self) -> u16 {
        loop {
            let (opcode, payload) = self.read_frame().await;
            if opcode == 8 {
                return u16::from_be_bytes([payload[0], payload[1]]);
            }
        }
    }
}

fn pusher_path() -> String {
    format!("/app/{}?protocol=7", common::KEY)
}

#[tokio::test]
async fn a_fragmented_message_is_put_back_together() {
    let server = TestServer::start().await;
    let mut c = server.pusher().await;
    let text = br#"{"event":"pusher:subscribe","data":{"channel":"frag"}}"#;
    let (head, tail) = text.split_at(20);
    let first = Frame::message(head.to_vec(), OpCode::Data(Data::Text), false);
    let last = Frame::message(tail.to_vec(), OpCode::Data(Data::Continue), true);
    c.send_raw(Message::Frame(first)).await;
    c.send_raw(Message::Ping(b"between".to_vec().into())).await;
    c.send_raw(Message::Frame(last)).await;
    c.expect("pusher_internal:subscription_succeeded").await;
}

#[tokio::test]
async fn pipelined_and_byte_by_byte_frames_are_all_handled() {
    let server = TestServer::start().await;
    let mut raw = Raw::open(server.addr, &pusher_path()).await;
    raw.expect("pusher:connection_established").await;
    let mut both = Raw::frame(
        0x81,
        br#"{"event":"pusher:subscribe","data":{"channel":"a"}}"#,
    );
    both.extend(Raw::frame(
        0x81,
        br#"{"event":"pusher:subscribe","data":{"channel":"b"}}"#,
    ));
    raw.write(&both).await;
    assert_eq!(
        raw.expect("pusher_internal:subscription_succeeded").await["channel"],
        "a"
    );
    assert_eq!(
        raw.expect("pusher_internal:subscription_succeeded").await["channel"],
        "b"
    );
    for byte in Raw::frame(0x81, br#"{"event":"pusher:ping","data":{}}"#) {
        raw.write(&[byte]).await;
    }
    raw.expect("pusher:pong").await;
}

#[tokio::test]
async fn a_credential_pipelined_with_a_subscribe_loses_neither() {
    let server = TestServer::start().await;
    let mut raw = Raw::open(server.addr, "/").await;
    let mut both = Raw::frame(0x81, json!({"api_key": common::KEY}).to_string().as_bytes());
    let subscribe = json!({"event": "lattestream:subscribe", "data": {"channel": "early"}});
    both.extend(Raw::frame(0x81, subscribe.to_string().as_bytes()));
    raw.write(&both).await;
    raw.expect("lattestream:connection_established").await;
    raw.expect("lattestream_internal:subscription_succeeded")
        .await;
}

#[tokio::test]
async fn a_websocket_ping_gets_a_pong_with_its_payload() {
    let server = TestServer::start().await;
    let mut raw = Raw::open(server.addr, &pusher_path()).await;
    raw.expect("pusher:connection_established").await;
    raw.write(&Raw::frame(0x89, b"are you there")).await;
    assert_eq!(raw.read_frame().await, (0xA, b"are you there".to_vec()));
}

#[tokio::test]
async fn a_client_close_is_echoed_and_the_connection_leaves_its_channels() {
    let server = TestServer::start().await;
    let mut c = server.pusher().await;
    c.subscribe("leaving", None).await;
    let close = CloseFrame {
        code: 1000.into(),
        reason: "bye".into(),
    };
    c.send_raw(Message::Close(Some(close))).await;
    assert_eq!(c.expect_close().await, Some(1000));
    common::wait_until(|| server.node.local_connections() == 0).await;
}

#[tokio::test]
async fn framing_violations_close_with_the_rfc_code_and_spare_the_others() {
    let cases: [(&str, Vec<u8>, u16); 5] = [
        (
            "invalid UTF-8 text",
            Raw::frame(0x81, &[0xff, 0xfe, 0xfd]),
            1007,
        ),
        ("an unmasked frame", vec![0x81, 0x02, b'{', b'}'], 1002),
        ("a reserved opcode", Raw::frame(0x83, b"x"), 1002),
        ("an extension bit", Raw::frame(0xC1, b"{}"), 1002),
        (
            "a continuation out of nowhere",
            Raw::frame(0x80, b"x"),
            1002,
        ),
    ];
    let server = TestServer::start().await;
    let mut w = witness(&server).await;
    for (what, bytes, code) in cases {
        let mut raw = Raw::open(server.addr, &pusher_path()).await;
        raw.expect("pusher:connection_established").await;
        raw.write(&bytes).await;
        assert_eq!(raw.expect_close().await, code, "{what}");
        still_receives(&server, &mut w).await;
    }
}

#[tokio::test]
async fn a_fragmented_message_over_the_limit_is_1009() {
    let server = TestServer::start().await;
    let mut w = witness(&server).await;
    let mut c = server.pusher().await;
    let piece = vec![b'x'; 40 * 1024];
    let first = Frame::message(piece.clone(), OpCode::Data(Data::Text), false);
    let last = Frame::message(piece, OpCode::Data(Data::Continue), true);
    c.send_raw(Message::Frame(first)).await;
    c.send_raw(Message::Frame(last)).await;
    assert_eq!(c.expect_close().await, Some(1009));
    still_receives(&server, &mut w).await;
}

#[tokio::test]
async fn a_client_that_stops_reading_gets_every_frame_whole_and_in_order_later() {
    let mut config = common::test_config();
    config.apps[0].settings.rate_limits.enabled = false;
    let server = TestServer::with_config(config).await;
    let mut c = server.pusher().await;
    c.subscribe("backlog", None).await;
    // About 15 MB: more than the kernel buffers hold, so writes end part-way through frames and the
    // connection's task finishes them once the client reads again.
    let filler = "x".repeat(30_000);
    for seq in 0..500 {
        server
            .trigger("backlog", "chunk", json!({"seq": seq, "filler": filler}))
            .await;
    }
    for seq in 0..500 {
        let frame = c.expect("chunk").await;
        let data = common::data_of(&frame);
        assert_eq!(data["seq"], seq);
        assert_eq!(data["filler"].as_str().map(str::len), Some(30_000));
    }
}
