//! RFC 6455 framing as a server sees it: client frames are parsed with tungstenite's `FrameHeader`
//! and unmasked in place; server frames are a header written in front of shared payload bytes, so a
//! frame encoded once for a channel is never copied per subscriber.

use std::io::Cursor;

use tungstenite::protocol::frame::FrameHeader;
use tungstenite::protocol::frame::coding::{Control, Data, OpCode};

/// Why a client's bytes were refused; each maps to the close code RFC 6455 names for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// A frame or message over the configured size: 1009.
    TooBig,
    /// A text message that is not UTF-8: 1007.
    InvalidUtf8,
    /// Anything else the RFC forbids (unmasked frames, reserved bits or opcodes, bad fragmentation,
    /// oversized control frames): 1002.
    Protocol,
}

impl Violation {
    /// The close code and reason sent before closing.
    pub fn close(self) -> (u16, &'static str) {
        match self {
            Violation::TooBig => (1009, "Message too big"),
            Violation::InvalidUtf8 => (1007, "Invalid UTF-8"),
            Violation::Protocol => (1002, "Protocol error"),
        }
    }
}

/// What a frame is, once its header has been checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// First (or only) frame of a text message.
    Text,
    /// First (or only) frame of a binary message.
    Binary,
    /// A later frame of a fragmented message.
    Continuation,
    /// A ping, to be answered with a pong carrying the same payload.
    Ping,
    /// A pong; nothing to do.
    Pong,
    /// A close, to be echoed.
    Close,
}

/// A complete client frame found at the start of a buffer.
#[derive(Debug)]
pub struct Parsed {
    /// What it is.
    pub kind: Kind,
    /// Whether it ends its message.
    pub fin: bool,
    /// Where its (already unmasked) payload lies in the buffer.
    pub payload: std::ops::Range<usize>,
}

/// Parses and unmasks the frame at the start of `buf`. `Ok(None)` means more bytes are needed; a frame
/// announcing more than `max` payload bytes is refused before its payload arrives.
pub fn parse(buf: &mut [u8], max: usize) -> Result<Option<Parsed>, Violation> {
    let mut cursor = Cursor::new(&*buf);
    let Some((header, length)) =
        FrameHeader::parse(&mut cursor).map_err(|_| Violation::Protocol)?
    else {
        return Ok(None);
    };
    let start = cursor.position() as usize;
    if length > max as u64 {
        return Err(Violation::TooBig);
    }
    let kind = check(&header, length)?;
    let end = start + length as usize;
    if buf.len() < end {
        return Ok(None);
    }
    let mask = header.mask.ok_or(Violation::Protocol)?;
    unmask(&mut buf[start..end], mask);
    Ok(Some(Parsed {
        kind,
        fin: header.is_final,
        payload: start..end,
    }))
}

/// The header rules of RFC 6455 §5: no extension bits, no reserved opcodes, control frames short and
/// unfragmented.
fn check(header: &FrameHeader, length: u64) -> Result<Kind, Violation> {
    if header.rsv1 || header.rsv2 || header.rsv3 {
        return Err(Violation::Protocol);
    }
    let kind = match header.opcode {
        OpCode::Data(Data::Text) => Kind::Text,
        OpCode::Data(Data::Binary) => Kind::Binary,
        OpCode::Data(Data::Continue) => Kind::Continuation,
        OpCode::Control(Control::Ping) => Kind::Ping,
        OpCode::Control(Control::Pong) => Kind::Pong,
        OpCode::Control(Control::Close) => Kind::Close,
        _ => return Err(Violation::Protocol),
    };
    let control = matches!(kind, Kind::Ping | Kind::Pong | Kind::Close);
    if control && (!header.is_final || length > 125) {
        return Err(Violation::Protocol);
    }
    Ok(kind)
}

/// XORs the client's masking key over its payload.
fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    for (i, byte) in payload.iter_mut().enumerate() {
        *byte ^= mask[i & 3];
    }
}

/// Opcodes of the frames a server sends.
#[derive(Debug, Clone, Copy)]
pub enum Opcode {
    /// A text message.
    Text = 0x1,
    /// A close frame.
    Close = 0x8,
    /// A ping: browsers and WebSocket libraries answer it with a pong by themselves.
    Ping = 0x9,
    /// A pong answering a ping.
    Pong = 0xA,
}

/// Whether a client may send `code` in a close frame (RFC 6455 §7.4): the defined codes a peer may put
/// on the wire (not 1004, reserved; not 1005, 1006 or 1015, which only describe a connection locally)
/// and the ranges for libraries and applications. Anything else fails the connection with 1002.
pub fn is_valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// The header of an unmasked, final server frame with `length` payload bytes: at most 10 bytes,
/// returned with how many of them are used.
pub fn header(opcode: Opcode, length: usize) -> ([u8; 10], usize) {
    let mut out = [0u8; 10];
    out[0] = 0x80 | opcode as u8;
    let used = if length < 126 {
        out[1] = length as u8;
        2
    } else if length <= u16::MAX as usize {
        out[1] = 126;
        out[2..4].copy_from_slice(&(length as u16).to_be_bytes());
        4
    } else {
        out[1] = 127;
        out[2..10].copy_from_slice(&(length as u64).to_be_bytes());
        10
    };
    (out, used)
}

/// Appends a whole control frame (ping, pong or close) to `out`.
pub fn control(out: &mut Vec<u8>, opcode: Opcode, payload: &[u8]) {
    let payload = &payload[..payload.len().min(125)];
    let (head, used) = header(opcode, payload.len());
    out.extend_from_slice(&head[..used]);
    out.extend_from_slice(payload);
}

/// Appends a close frame with `code` and `reason` (cut to fit a control frame) to `out`.
pub fn close(out: &mut Vec<u8>, code: u16, reason: &str) {
    let mut payload = code.to_be_bytes().to_vec();
    let mut cut = reason.len().min(123);
    while !reason.is_char_boundary(cut) {
        cut -= 1;
    }
    payload.extend_from_slice(&reason.as_bytes()[..cut]);
    control(out, Opcode::Close, &payload);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A masked client frame, as a browser would send it.
    fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [1, 2, 3, 4];
        let mut out = vec![first];
        match payload.len() {
            n if n < 126 => out.push(0x80 | n as u8),
            n if n <= 65535 => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        out
    }

    #[test]
    fn parses_and_unmasks_a_text_frame() {
        let mut buf = client_frame(0x81, b"hello");
        let parsed = parse(&mut buf, 1024).unwrap().unwrap();
        assert_eq!((parsed.kind, parsed.fin), (Kind::Text, true));
        assert_eq!(&buf[parsed.payload], b"hello");
    }

    #[test]
    fn waits_for_the_rest_of_a_frame() {
        let mut buf = client_frame(0x81, &[b'x'; 300]);
        assert!(parse(&mut buf[..1], 1024).unwrap().is_none());
        assert!(parse(&mut buf[..100], 1024).unwrap().is_none());
        let parsed = parse(&mut buf, 1024).unwrap().unwrap();
        assert_eq!(parsed.payload.len(), 300);
    }

    #[test]
    fn refuses_an_oversized_frame_from_its_header_alone() {
        let mut buf = client_frame(0x81, &[b'x'; 2000]);
        assert_eq!(parse(&mut buf[..8], 1024).unwrap_err(), Violation::TooBig);
    }

    #[test]
    fn refuses_what_the_rfc_forbids() {
        let unmasked = &mut [0x81u8, 0x01, b'x'][..];
        assert_eq!(parse(unmasked, 1024).unwrap_err(), Violation::Protocol);
        let reserved_bit = &mut client_frame(0xC1, b"x");
        assert_eq!(parse(reserved_bit, 1024).unwrap_err(), Violation::Protocol);
        let reserved_opcode = &mut client_frame(0x83, b"x");
        assert_eq!(
            parse(reserved_opcode, 1024).unwrap_err(),
            Violation::Protocol
        );
        let fragmented_ping = &mut client_frame(0x09, b"x");
        assert_eq!(
            parse(fragmented_ping, 1024).unwrap_err(),
            Violation::Protocol
        );
        let long_ping = &mut client_frame(0x89, &[0; 126]);
        assert_eq!(parse(long_ping, 1024).unwrap_err(), Violation::Protocol);
    }

    #[test]
    fn server_headers_use_the_shortest_length_form() {
        assert_eq!(header(Opcode::Text, 5).1, 2);
        assert_eq!(&header(Opcode::Text, 300).0[..4], &[0x81, 126, 1, 44]);
        assert_eq!(header(Opcode::Text, 70_000).1, 10);
    }

    #[test]
    fn only_codes_a_peer_may_send_are_valid() {
        for code in [1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4999] {
            assert!(is_valid_close_code(code), "{code}");
        }
        for code in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            assert!(!is_valid_close_code(code), "{code}");
        }
    }

    #[test]
    fn close_frames_carry_code_and_reason() {
        let mut out = Vec::new();
        close(&mut out, 4100, "slow");
        assert_eq!(out, [0x88, 6, 0x10, 0x04, b's', b'l', b'o', b'w']);
    }
}
