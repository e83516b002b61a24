//! The generator's receive path once a subscriber is set up: it reads server frames straight off the
//! TCP stream into a stack buffer and finds the timestamp in place, so the generator spends as little
//! CPU per delivery as it can and the latency it reports is the server's, not its own. Handshakes and
//! subscriptions still go through tungstenite; only the hot path is hand-rolled.

use std::io::{self, Read};

use tokio::io::Interest;
use tokio::net::TcpStream;

/// What one read of the socket held.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Batch {
    /// Publish timestamps of benchmark events, in arrival order.
    pub stamps: Vec<u64>,
    /// Protocol pings the client must answer.
    pub pings: usize,
    /// Other text frames (presence events, …).
    pub other: u64,
    /// The server sent a close frame.
    pub closed: bool,
}

/// Unmasked server frames split across reads.
#[derive(Default)]
pub struct FrameReader {
    partial: Vec<u8>,
}

impl FrameReader {
    /// Reads what the socket has without waiting and parses every complete frame; `Ok(false)` when
    /// there was nothing to read after all.
    ///
    /// A read shorter than the buffer emptied the socket, so it also clears the stream's readiness:
    /// the usual second read that only returns `WouldBlock` is skipped, halving the generator's
    /// system calls per delivery. (Bytes arriving meanwhile raise a new readiness event, which tokio
    /// does not clear.)
    pub fn try_read(&mut self, tcp: &TcpStream, out: &mut Batch) -> io::Result<bool> {
        let mut chunk = [0u8; 8192];
        let socket = socket2::SockRef::from(tcp);
        let mut got = 0;
        let read = tcp.try_io(Interest::READABLE, || {
            got = (&*socket).read(&mut chunk)?;
            match got {
                n if n > 0 && n < chunk.len() => Err(io::ErrorKind::WouldBlock.into()),
                _ => Ok(()),
            }
        });
        match (read, got) {
            (Ok(()), 0) => Err(io::ErrorKind::UnexpectedEof.into()),
            (Err(e), 0) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
            (Err(e), 0) => Err(e),
            (_, n) => {
                self.feed(&chunk[..n], out);
                Ok(true)
            }
        }
    }

    /// Parses `bytes` (after anything held back) into `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Batch) {
        if self.partial.is_empty() {
            let used = parse(bytes, out);
            self.partial.extend_from_slice(&bytes[used..]);
        } else {
            self.partial.extend_from_slice(bytes);
            let used = parse(&self.partial, out);
            self.partial.drain(..used);
        }
    }
}

/// Parses complete frames at the start of `buf`; returns the bytes they took.
fn parse(buf: &[u8], out: &mut Batch) -> usize {
    let mut at = 0;
    while let Some((opcode, payload, next)) = frame(&buf[at..]) {
        match opcode {
            0x1 => classify(payload, out),
            0x8 => out.closed = true,
            _ => {}
        }
        at += next;
    }
    at
}

/// One unmasked frame: (opcode, payload, total length), or `None` if incomplete.
fn frame(buf: &[u8]) -> Option<(u8, &[u8], usize)> {
    let (&b0, &b1) = (buf.first()?, buf.get(1)?);
    let (len, head) = match b1 & 0x7f {
        126 => (
            u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?) as usize,
            4,
        ),
        127 => (
            u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?) as usize,
            10,
        ),
        n => (n as usize, 2),
    };
    let payload = buf.get(head..head + len)?;
    Some((b0 & 0x0f, payload, head + len))
}

fn classify(payload: &[u8], out: &mut Batch) {
    let Ok(text) = std::str::from_utf8(payload) else {
        out.other += 1;
        return;
    };
    if let Some(ts) = crate::proto::extract_ts(text) {
        out.stamps.push(ts);
    } else if text.contains(":ping\"") {
        out.pings += 1;
    } else {
        out.other += 1;
    }
}

/// A masked client text frame.
pub fn client_text(text: &str) -> Vec<u8> {
    client_frame(0x1, text.as_bytes())
}

/// A masked client close frame with code 1000.
pub fn client_close() -> Vec<u8> {
    client_frame(0x8, &1000u16.to_be_bytes())
}

/// A masked client frame (the mask is fixed: servers only unmask, they do not judge it).
fn client_frame(opcode: u8, bytes: &[u8]) -> Vec<u8> {
    let mask = [0x5a, 0x17, 0xc3, 0x88];
    let mut out = vec![0x80 | opcode];
    if bytes.len() < 126 {
        out.push(0x80 | bytes.len() as u8);
    } else {
        out.push(0x80 | 126);
        out.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
    }
    out.extend_from_slice(&mask);
    out.extend(bytes.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_text(text: &str) -> Vec<u8> {
        let mut out = vec![0x81];
        if text.len() < 126 {
            out.push(text.len() as u8);
        } else {
            out.push(126);
            out.extend_from_slice(&(text.len() as u16).to_be_bytes());
        }
        out.extend_from_slice(text.as_bytes());
        out
    }

    #[test]
    fn frames_split_anywhere_are_all_counted() {
        let event = format!(
            r#"{{"event":"bench","data":"{{\"bench_ts_us\":42,\"pad\":\"{}\"}}"}}"#,
            "x".repeat(200)
        );
        let mut bytes = server_text(&event);
        bytes.extend(server_text(r#"{"event":"pusher:ping","data":{}}"#));
        bytes.extend(server_text(&event));
        for split in [1, 3, 150, bytes.len() - 1] {
            let (mut reader, mut out) = (FrameReader::default(), Batch::default());
            reader.feed(&bytes[..split], &mut out);
            reader.feed(&bytes[split..], &mut out);
            assert_eq!(out.stamps, [42, 42], "split at {split}");
            assert_eq!(out.pings, 1);
        }
    }

    #[test]
    fn a_close_frame_is_noticed() {
        let mut out = Batch::default();
        FrameReader::default().feed(&[0x88, 2, 0x03, 0xe8], &mut out);
        assert!(out.closed);
    }
}
