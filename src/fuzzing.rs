//! Entry points for the fuzz targets in `fuzz/` and for the test that replays their seed corpus. Each
//! takes bytes as a hostile client could send them, runs one of the parsers that face the network on
//! them, and panics only when that parser panics or hands the rest of the server something it relies
//! on never getting. Not an API: hidden from the docs, it follows the parsers wherever they go.

use std::sync::Arc;

use crate::apps::App;
use crate::http::publish::Rules;
use crate::protocol::{self, AppId, ChannelName, ClientMessage, Dialect, Event, SocketId};
use crate::ws::frame::{self, Kind};

/// Client frames as a socket reads them off the wire: the first two bytes are the size limit
/// (big-endian), the rest is parsed frame after frame until the parser wants more bytes or refuses.
/// A frame it accepts lies inside the buffer and within the limit, and a control frame is final and
/// at most 125 bytes.
pub fn ws_frames(input: &[u8]) {
    let Some((limit, rest)) = input.split_first_chunk::<2>() else {
        return;
    };
    let max = usize::from(u16::from_be_bytes(*limit));
    let mut buf = rest.to_vec();
    let mut at = 0;
    while let Ok(Some(parsed)) = frame::parse(&mut buf[at..], max) {
        let payload = parsed.payload;
        assert!((2..=14).contains(&payload.start), "header of 2 to 14 bytes");
        assert!(at + payload.end <= buf.len() && payload.len() <= max);
        if matches!(parsed.kind, Kind::Ping | Kind::Pong | Kind::Close) {
            assert!(
                parsed.fin && payload.len() <= 125,
                "control frames are short and whole"
            );
        }
        at += payload.end;
    }
}

/// A text frame as a session decodes it, in `dialect`. Frames that are not UTF-8 never get this far
/// (the socket closes with 1007). A Pusher client never presents a credential or a batch; a batch
/// never carries another batch or a credential; a client event is always named `client-…`.
pub fn client_frame(dialect: Dialect, input: &[u8]) {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    match protocol::decode(dialect, text) {
        Ok(ClientMessage::Batch(frames)) => {
            assert_eq!(dialect, Dialect::LatteStream, "only LatteStream batches");
            for frame in frames.into_iter().flatten() {
                let nested = matches!(
                    frame,
                    ClientMessage::Batch(_) | ClientMessage::Connect { .. }
                );
                assert!(!nested, "a batch carried {frame:?}");
                check_message(&frame);
            }
        }
        Ok(ClientMessage::Connect { .. }) => assert_eq!(dialect, Dialect::LatteStream),
        Ok(message) => check_message(&message),
        Err(_) => {}
    }
}

fn check_message(message: &ClientMessage) {
    if let ClientMessage::ClientEvent { event, .. } = message {
        assert!(event.starts_with("client-"), "client event named {event:?}");
    }
}

/// A body of `POST /events` and of `POST /batch_events`, checked under the documented limits and
/// the official SDK's. What passes names valid channels, each within the limits.
pub fn rest_events(body: &[u8]) {
    let app = Arc::new(app());
    for signed in [false, true] {
        let rules = match signed {
            true => Rules::signed_sdk(&app),
            false => Rules::documented(&app),
        };
        if let Ok((_, _, events)) = crate::http::events::check_trigger(&app, body, signed) {
            assert!(!events.is_empty() && events.len() <= rules.channels);
            events.iter().for_each(|(e, s)| check_event(&rules, e, s));
        }
        if let Ok((_, _, events)) = crate::http::events::check_batch(&app, body, signed) {
            assert!(!events.is_empty() && events.len() <= rules.events * rules.channels);
            events.iter().for_each(|(e, s)| check_event(&rules, e, s));
        }
    }
}

/// A body of the Pusher API's `POST /apps/{id}/events` and `POST /apps/{id}/batch_events`. What
/// passes is within the Pusher limits.
pub fn pusher_events(body: &[u8]) {
    use crate::http::pusher::events::{check_batch, check_trigger};
    let app = app();
    let rules = Rules::pusher(&app);
    if let Ok((channels, event, _)) = check_trigger(&app, body) {
        assert!(!channels.is_empty() && channels.len() <= rules.channels);
        for channel in channels {
            check_event(&rules, &event.on(channel), &event.except);
        }
    }
    if let Ok(events) = check_batch(&app, body) {
        assert!(events.len() <= rules.events * rules.channels);
        events
            .iter()
            .for_each(|(e, s, _)| check_event(&rules, e, s));
    }
}

/// An event that passed: a channel that parses again (or a server-to-user channel where the rules
/// allow one), data within the limit, a socket id that prints as it parses.
fn check_event(rules: &Rules, event: &Event, except: &Option<SocketId>) {
    let channel = event.channel.to_string();
    let reparsed = ChannelName::parse(&channel).is_ok();
    assert!(reparsed || rules.server_to_user, "channel {channel:?}");
    assert!(event.data.len() <= rules.payload, "data over the limit");
    if let Some(socket) = except {
        assert_eq!(SocketId::parse(&socket.to_string()), Some(*socket));
    }
}

/// An app with the default settings, as every fuzzed request is checked against.
fn app() -> App {
    App::generate(AppId::parse("1").expect("a valid id"))
}
