//! Just enough HTTP/1.1 for the bare server: read a request head and a
//! `Content-Length` body from a keep-alive connection, write a JSON answer.

use bytes::{Buf, Bytes, BytesMut};
use std::io;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest request head accepted.
const MAX_HEAD: usize = 16 * 1024;
/// Largest request body accepted.
const MAX_BODY: usize = 1 << 20;

/// The parts of a request the bare server looks at.
#[derive(Debug, Default)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path without the query string.
    pub path: String,
    /// `Sec-WebSocket-Key`, present on upgrade requests.
    pub websocket_key: Option<String>,
    /// The body (empty without `Content-Length`).
    pub body: Bytes,
}

/// Reads the next request; `Ok(None)` when the peer closed cleanly.
/// Bytes after the request stay in `buf` (pipelining, WebSocket frames).
pub async fn read_request(sock: &mut TcpStream, buf: &mut BytesMut) -> io::Result<Option<Request>> {
    let head_len = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            return Err(io::Error::other("request head too large"));
        }
        if sock.read_buf(buf).await? == 0 {
            return Ok(None);
        }
    };
    let head = buf.split_to(head_len);
    let mut req = parse_head(&String::from_utf8_lossy(&head))?;
    let len = content_length(&head).min(MAX_BODY);
    while buf.len() < len {
        if sock.read_buf(buf).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
    req.body = buf.split_to(len).freeze();
    Ok(Some(req))
}

/// Parses the request line and the one header we need.
fn parse_head(head: &str) -> io::Result<Request> {
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_string();
    let target = first
        .next()
        .ok_or_else(|| io::Error::other("bad request line"))?;
    let path = target.split('?').next().unwrap_or(target).to_string();
    let websocket_key = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("sec-websocket-key"))
        .map(|(_, v)| v.trim().to_string());
    Ok(Request {
        method,
        path,
        websocket_key,
        body: Bytes::new(),
    })
}

fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Writes a JSON response, keeping the connection open.
pub async fn respond(sock: &mut TcpStream, status: u16, body: &str) -> io::Result<()> {
    let reason = if status == 200 { "OK" } else { "Error" };
    let msg = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    sock.write_all(msg.as_bytes()).await
}

/// Position of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Drops `n` bytes from the front of `buf` (used after parsing a frame).
pub fn consume(buf: &mut BytesMut, n: usize) {
    buf.advance(n);
}
