//! The bare server's WebSocket side: the upgrade answer, a minimal frame
//! parser for (masked) client frames, and the per-socket loop that acks
//! subscribes, answers pings, and writes broadcast frames verbatim.

use super::Bare;
use super::http::{Request, consume};
use bytes::{Bytes, BytesMut};
use std::future::poll_fn;
use std::io;
use std::io::IoSlice;
use std::sync::atomic::Ordering::Relaxed;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

/// Encodes an unmasked server text frame.
pub fn text_frame(payload: &[u8]) -> Bytes {
    frame(0x1, payload)
}

fn frame(opcode: u8, payload: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(payload.len() + 10);
    out.push(0x80 | opcode);
    match payload.len() {
        n if n < 126 => out.push(n as u8),
        n if n <= 0xffff => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out.into()
}

/// Takes one complete client frame off `buf`: (opcode, unmasked payload).
fn parse(buf: &mut BytesMut) -> Option<(u8, Vec<u8>)> {
    if buf.len() < 2 {
        return None;
    }
    let opcode = buf[0] & 0x0f;
    let masked = buf[1] & 0x80 != 0;
    let (len, mut at) = match buf[1] & 0x7f {
        126 if buf.len() >= 4 => (u16::from_be_bytes([buf[2], buf[3]]) as usize, 4),
        127 if buf.len() >= 10 => (u64::from_be_bytes(buf[2..10].try_into().ok()?) as usize, 10),
        126 | 127 => return None,
        n => (n as usize, 2),
    };
    let mask_at = at;
    if masked {
        at += 4;
    }
    if buf.len() < at + len {
        return None;
    }
    let mut payload = buf[at..at + len].to_vec();
    if masked {
        for (i, b) in payload.iter_mut().enumerate() {
            *b ^= buf[mask_at + i % 4];
        }
    }
    consume(buf, at + len);
    Some((opcode, payload))
}

/// Answers the upgrade and runs the socket until either side closes.
pub async fn run(
    bare: &Bare,
    mut sock: TcpStream,
    mut buf: BytesMut,
    req: Request,
) -> io::Result<()> {
    let accept = derive_accept_key(req.websocket_key.unwrap_or_default().as_bytes());
    let head = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    sock.write_all(head.as_bytes()).await?;
    let pusher = req.path.starts_with("/app/");
    let prefix = if pusher { "pusher" } else { "lattestream" };
    let mut frames = bare.frames.subscribe();
    let mut greeted = false;
    if pusher {
        greet(bare, &mut sock, pusher).await?;
        greeted = true;
    }
    loop {
        while let Some((op, payload)) = parse(&mut buf) {
            match op {
                0x8 => return sock.write_all(&frame(0x8, &payload)).await,
                0x9 => sock.write_all(&frame(0xA, &payload)).await?,
                0x1 if !greeted => {
                    greet(bare, &mut sock, pusher).await?;
                    greeted = true;
                }
                0x1 => reply(&mut sock, prefix, &payload).await?,
                _ => {}
            }
        }
        tokio::select! {
            ready = poll_fn(|cx| sock.poll_read_ready(cx)) => {
                ready?;
                if !read_some(&sock, &mut buf)? {
                    return Ok(());
                }
            }
            f = frames.recv() => match f {
                Ok(first) => write_batch(bare, &mut sock, &mut frames, first).await?,
                Err(RecvError::Lagged(n)) => { bare.lagged.fetch_add(n, Relaxed); }
                Err(RecvError::Closed) => return Ok(()),
            },
        }
    }
}

/// Sends `connection_established` (data as a string for Pusher, object
/// for LatteStream).
/// Reads what the socket has without waiting; false at end of stream. Polling readiness in place
/// (instead of a read future per loop) keeps the loop as cheap as the server's.
fn read_some(sock: &TcpStream, buf: &mut BytesMut) -> io::Result<bool> {
    let mut chunk = [0u8; 4096];
    match sock.try_read(&mut chunk) {
        Ok(0) => Ok(false),
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(true),
        Err(e) => Err(e),
    }
}

/// Writes `first` and every frame already waiting behind it with one vectored write, as the server
/// does when a subscriber falls behind.
async fn write_batch(
    bare: &Bare,
    sock: &mut TcpStream,
    frames: &mut tokio::sync::broadcast::Receiver<Bytes>,
    first: Bytes,
) -> io::Result<()> {
    let mut batch = vec![first];
    while batch.len() < 64 {
        match frames.try_recv() {
            Ok(bytes) => batch.push(bytes),
            Err(TryRecvError::Lagged(n)) => {
                bare.lagged.fetch_add(n, Relaxed);
            }
            Err(_) => break,
        }
    }
    if batch.len() == 1 {
        return sock.write_all(&batch[0]).await;
    }
    let mut slices: Vec<IoSlice<'_>> = batch.iter().map(|b| IoSlice::new(b)).collect();
    let mut slices = &mut slices[..];
    while !slices.is_empty() {
        let n = sock.write_vectored(slices).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut slices, n);
    }
    Ok(())
}

async fn greet(bare: &Bare, sock: &mut TcpStream, pusher: bool) -> io::Result<()> {
    let data = serde_json::json!({ "socket_id": bare.socket_id(), "activity_timeout": 120 });
    let msg = if pusher {
        serde_json::json!({ "event": "pusher:connection_established", "data": data.to_string() })
    } else {
        serde_json::json!({ "event": "lattestream:connection_established", "data": data })
    };
    sock.write_all(&text_frame(msg.to_string().as_bytes()))
        .await
}

/// Acks subscribes and answers protocol pings; ignores everything else.
async fn reply(sock: &mut TcpStream, prefix: &str, payload: &[u8]) -> io::Result<()> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(payload) else {
        return Ok(());
    };
    let event = v.get("event").and_then(|e| e.as_str()).unwrap_or_default();
    let msg = if event.ends_with(":subscribe") {
        let channel = v.pointer("/data/channel").cloned().unwrap_or_default();
        let data = if prefix == "pusher" {
            serde_json::json!("{}")
        } else {
            serde_json::json!({})
        };
        let ev = format!("{prefix}_internal:subscription_succeeded");
        serde_json::json!({ "event": ev, "channel": channel, "data": data })
    } else if event.ends_with(":ping") {
        serde_json::json!({ "event": format!("{prefix}:pong"), "data": "{}" })
    } else {
        return Ok(());
    };
    sock.write_all(&text_frame(msg.to_string().as_bytes()))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_masked_client_frame() {
        let mask = [1u8, 2, 3, 4];
        let body = b"hello";
        let mut raw = vec![0x81, 0x80 | body.len() as u8];
        raw.extend_from_slice(&mask);
        raw.extend(body.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        let mut buf = BytesMut::from(&raw[..]);
        assert_eq!(parse(&mut buf), Some((1, body.to_vec())));
        assert!(buf.is_empty());
    }
}
