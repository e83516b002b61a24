//! A WebSocket client written by hand over a plain TCP stream, for the cases a library client would
//! not produce: malformed frames, invalid close codes, bad upgrade requests, and a client that never
//! answers a ping (libraries answer RFC 6455 pings by themselves).

use std::net::SocketAddr;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Frame opcodes, as the first byte's low bits. A continuation of a fragmented message.
pub const CONTINUATION: u8 = 0x0;
/// A text frame.
pub const TEXT: u8 = 0x1;
/// A binary frame.
pub const BINARY: u8 = 0x2;
/// A close frame.
pub const CLOSE: u8 = 0x8;
/// A ping frame.
pub const PING: u8 = 0x9;
/// A pong frame.
pub const PONG: u8 = 0xA;

/// A frame as the client reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The opcode.
    pub opcode: u8,
    /// The payload.
    pub payload: Vec<u8>,
}

impl Frame {
    /// A text frame's payload as JSON.
    pub fn json(&self) -> Value {
        assert_eq!(self.opcode, TEXT, "not a text frame: {self:?}");
        serde_json::from_slice(&self.payload).expect("server sends JSON")
    }

    /// A close frame's code, if it carries one.
    pub fn close_code(&self) -> Option<u16> {
        (self.opcode == CLOSE && self.payload.len() >= 2)
            .then(|| u16::from_be_bytes([self.payload[0], self.payload[1]]))
    }
}

/// A masked client frame: `first` is the first byte (FIN, RSV bits and opcode).
pub fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut out = header(first, payload.len(), true);
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

/// An unmasked frame, which no client may send.
pub fn unmasked_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = header(first, payload.len(), false);
    out.extend_from_slice(payload);
    out
}

fn header(first: u8, len: usize, masked: bool) -> Vec<u8> {
    let mask_bit = if masked { 0x80 } else { 0 };
    let mut out = vec![first];
    match len {
        n if n < 126 => out.push(mask_bit | n as u8),
        n if n <= 65535 => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out
}

/// A close frame's payload: the code and a reason.
pub fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason.as_bytes());
    payload
}

/// The key every upgrade here sends (16 bytes in base64, RFC 6455's example).
pub const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// An upgrade request for `path` with `headers` as given (each line `Name: value`).
pub fn upgrade_request(path: &str, headers: &[&str]) -> String {
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n");
    for line in headers {
        request.push_str(line);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    request
}

/// The standard headers of a valid upgrade.
pub fn valid_headers() -> Vec<String> {
    vec![
        "Connection: Upgrade".into(),
        "Upgrade: websocket".into(),
        "Sec-WebSocket-Version: 13".into(),
        format!("Sec-WebSocket-Key: {KEY}"),
    ]
}

/// A hand-driven WebSocket connection.
pub struct RawWs {
    tcp: TcpStream,
    buffer: Vec<u8>,
    /// Whether a read failed (a reset) rather than seeing the server's orderly end of stream.
    reset: bool,
}

impl super::Dialect {
    /// Where a client of this dialect connects (app 1).
    pub fn path(self) -> String {
        match self {
            super::Dialect::Pusher => format!("/app/{}?protocol=7", super::KEY),
            super::Dialect::LatteStream => "/".into(),
        }
    }

    /// `pusher:{action}` or `lattestream:{action}`.
    pub fn event(self, action: &str) -> String {
        match self {
            super::Dialect::Pusher => format!("pusher:{action}"),
            super::Dialect::LatteStream => format!("lattestream:{action}"),
        }
    }

    /// The protocol's own ping message, which the server answers with its pong event.
    pub fn ping(self) -> String {
        serde_json::json!({"event": self.event("ping"), "data": {}}).to_string()
    }
}

impl RawWs {
    /// Sends `request` and reads the response head: (status, head text, the connection).
    pub async fn request(addr: SocketAddr, request: &str) -> (u16, String, Self) {
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        tcp.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Self {
            tcp,
            buffer: Vec::new(),
            reset: false,
        };
        let head = raw.read_head().await;
        let status = head[9..12].parse().expect("a status code");
        (status, head, raw)
    }

    /// An upgraded connection to `path`.
    pub async fn connect(addr: SocketAddr, path: &str) -> Self {
        let headers = valid_headers();
        let lines: Vec<&str> = headers.iter().map(String::as_str).collect();
        let (status, head, raw) = Self::request(addr, &upgrade_request(path, &lines)).await;
        assert_eq!(status, 101, "{head}");
        raw
    }

    /// An upgraded connection of `dialect` to app 1, greeted: the LatteStream credential sent and
    /// `connection_established` read in both dialects.
    pub async fn greeted(addr: SocketAddr, dialect: super::Dialect) -> Self {
        let mut raw = Self::connect(addr, &dialect.path()).await;
        if dialect == super::Dialect::LatteStream {
            let credential = serde_json::json!({"api_key": super::KEY}).to_string();
            raw.send_text(&credential).await;
        }
        raw.expect_event(&dialect.event("connection_established"))
            .await;
        raw
    }

    async fn read_head(&mut self) -> String {
        loop {
            if let Some(end) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buffer[..end]).into_owned();
                self.buffer.drain(..end + 4);
                return head;
            }
            let read = self.fill().await;
            assert!(read > 0, "closed before the response head");
        }
    }

    async fn fill(&mut self) -> usize {
        let mut chunk = [0u8; 8192];
        let n = match self.tcp.read(&mut chunk).await {
            Ok(n) => n,
            Err(_) => {
                self.reset = true;
                0
            }
        };
        self.buffer.extend_from_slice(&chunk[..n]);
        n
    }

    /// Writes bytes as they are.
    pub async fn send(&mut self, bytes: &[u8]) {
        self.tcp.write_all(bytes).await.expect("write");
    }

    /// Sends a masked text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.send(&client_frame(0x80 | TEXT, text.as_bytes())).await;
    }

    /// The next frame, or `None` once the server closed the TCP connection. No time bound: callers
    /// on real time wrap it in a timeout; on paused time the server's timers drive it.
    pub async fn next_frame(&mut self) -> Option<Frame> {
        loop {
            if let Some(frame) = self.parse_frame() {
                return Some(frame);
            }
            if self.fill().await == 0 {
                return None;
            }
        }
    }

    /// Every frame until the server closes the connection, with a bound against hangs.
    pub async fn frames_until_closed(&mut self) -> Vec<Frame> {
        let mut frames = Vec::new();
        let read = async {
            while let Some(frame) = self.next_frame().await {
                frames.push(frame);
            }
        };
        tokio::time::timeout(super::PATIENCE, read)
            .await
            .expect("the server closes in time");
        frames
    }

    /// Every frame until the server ends the connection, which must be with a close frame as the
    /// last frame and an orderly end of stream (no reset that could have lost it): the frames before
    /// the close, and the close.
    pub async fn expect_close(&mut self) -> (Vec<Frame>, Frame) {
        let mut frames = self.frames_until_closed().await;
        assert!(!self.reset, "the connection was reset after {frames:?}");
        let close = frames.pop().expect("a close frame before the end");
        assert_eq!(
            close.opcode, CLOSE,
            "the last frame is a close: {frames:?} {close:?}"
        );
        let closes = frames.iter().filter(|f| f.opcode == CLOSE).count();
        assert_eq!(closes, 0, "one close frame, the last: {frames:?}");
        (frames, close)
    }

    /// Text frames as JSON until `event` arrives.
    pub async fn expect_event(&mut self, event: &str) -> Value {
        let wait = async {
            loop {
                let frame = self.next_frame().await.expect("open");
                if frame.opcode == TEXT && frame.json()["event"] == event {
                    return frame.json();
                }
            }
        };
        tokio::time::timeout(super::PATIENCE, wait)
            .await
            .expect("the event in time")
    }

    fn parse_frame(&mut self) -> Option<Frame> {
        let b = &self.buffer;
        if b.len() < 2 {
            return None;
        }
        assert_eq!(b[1] & 0x80, 0, "server frames are never masked");
        let (len, start) = match b[1] & 0x7f {
            126 if b.len() >= 4 => (u16::from_be_bytes([b[2], b[3]]) as usize, 4),
            127 if b.len() >= 10 => (
                u64::from_be_bytes(b[2..10].try_into().unwrap()) as usize,
                10,
            ),
            126 | 127 => return None,
            n => (n as usize, 2),
        };
        if b.len() < start + len {
            return None;
        }
        let frame = Frame {
            opcode: b[0] & 0x0f,
            payload: b[start..start + len].to_vec(),
        };
        self.buffer.drain(..start + len);
        Some(frame)
    }
}
