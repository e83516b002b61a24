//! Section 6: a text message must be UTF-8 as a whole, however it is fragmented. Valid multi-byte text
//! (every encoded length, the boundary code points, a code point split between fragments) is
//! accepted; overlong forms, surrogates, code points past U+10FFFF, stray continuation bytes and a
//! sequence cut off at the end of the message fail the connection with 1007.

use super::common::raw::{CONTINUATION, TEXT, client_frame};
use super::common::{Dialect, TestServer};
use super::{BOTH, fails_with, joined, pongs, sent, text};

/// The protocol ping of `dialect` with `inside` as the bytes of its `data` string.
fn ping_with(dialect: Dialect, inside: &[u8]) -> Vec<u8> {
    let head = format!(r#"{{"event":"{}","data":""#, dialect.event("ping"));
    [head.as_bytes(), inside, br#""}"#].concat()
}

/// Valid UTF-8: Greek (two- and three-byte), each encoded length's lowest and highest code point.
const VALID: &[&[u8]] = &[
    "κόσμε".as_bytes(),
    b"\x7f\xc2\x80\xdf\xbf",
    b"\xe0\xa0\x80\xef\xbf\xbf\xed\x9f\xbf\xee\x80\x80",
    b"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf",
    "☕ latte 🥛".as_bytes(),
];

/// Invalid UTF-8, each with what is wrong with it.
const INVALID: &[(&str, &[u8])] = &[
    (
        "κόσμε with a surrogate",
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
    ),
    ("a lone continuation byte", b"\x80"),
    ("a lead byte without continuation", b"\xc0 "),
    ("an overlong slash, two bytes", b"\xc0\xaf"),
    ("an overlong slash, three bytes", b"\xe0\x80\xaf"),
    ("an overlong slash, four bytes", b"\xf0\x80\x80\xaf"),
    ("the largest overlong", b"\xc1\xbf"),
    ("a high surrogate", b"\xed\xa0\x80"),
    ("a low surrogate", b"\xed\xbf\xbf"),
    ("past U+10FFFF", b"\xf4\x90\x80\x80"),
    ("a five-byte form", b"\xf8\x88\x80\x80\x80"),
    ("the bytes fe and ff", b"\xfe\xff"),
];

#[tokio::test]
async fn valid_multi_byte_text_is_accepted() {
    let server = TestServer::start().await;
    for dialect in BOTH {
        let messages: Vec<Vec<u8>> = VALID.iter().map(|v| text(&ping_with(dialect, v))).collect();
        let mut raw = sent(&server, dialect, &joined(&messages)).await;
        pongs(&mut raw, dialect, VALID.len()).await;
    }
}

#[tokio::test]
async fn valid_text_split_anywhere_between_fragments_is_accepted() {
    let server = TestServer::start().await;
    let greek = "κόσμε☕".as_bytes();
    for dialect in BOTH {
        let message = ping_with(dialect, greek);
        let start = message.len() - greek.len() - 2;
        let splits: Vec<Vec<u8>> = (start..start + greek.len())
            .map(|cut| {
                let first = client_frame(TEXT, &message[..cut]);
                joined(&[first, client_frame(0x80 | CONTINUATION, &message[cut..])])
            })
            .collect();
        let mut raw = sent(&server, dialect, &joined(&splits)).await;
        pongs(&mut raw, dialect, splits.len()).await;
    }
}

#[tokio::test]
async fn invalid_utf8_in_a_text_message_fails_with_1007() {
    let server = TestServer::start().await;
    for (what, bytes) in INVALID {
        for dialect in BOTH {
            let mut raw = sent(&server, dialect, &text(&ping_with(dialect, bytes))).await;
            fails_with(&mut raw, 1007, &format!("{what} ({dialect:?})")).await;
        }
    }
}

#[tokio::test]
async fn a_sequence_cut_off_at_the_end_of_the_message_fails_with_1007() {
    let server = TestServer::start().await;
    for dialect in BOTH {
        let mut message = ping_with(dialect, b"");
        message.truncate(message.len() - 2);
        message.extend_from_slice(b"\xce");
        let mut raw = sent(&server, dialect, &text(&message)).await;
        fails_with(&mut raw, 1007, &format!("{dialect:?}")).await;
    }
}

#[tokio::test]
async fn invalid_utf8_split_between_fragments_fails_with_1007() {
    let server = TestServer::start().await;
    for dialect in BOTH {
        let message = ping_with(dialect, b"\xce\xba\xce|\xbc");
        let cut = message.len() - 7;
        let cases = [
            ("a code point completed wrongly", cut + 3),
            ("invalid bytes in the first fragment", message.len() - 1),
            ("invalid bytes in the last fragment", cut),
        ];
        for (what, at) in cases {
            let first = client_frame(TEXT, &message[..at]);
            let last = client_frame(0x80 | CONTINUATION, &message[at..]);
            let mut raw = sent(&server, dialect, &joined(&[first, last])).await;
            fails_with(&mut raw, 1007, &format!("{what} ({dialect:?})")).await;
        }
    }
}
