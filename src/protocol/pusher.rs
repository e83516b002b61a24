//! The Pusher Channels protocol 7 codec: `pusher:`/`pusher_internal:` events, `data` JSON-encoded as a
//! string in every server frame except `pusher:error`.

use serde::Serialize;
use serde_json::value::RawValue;

use super::decode::{self, Envelope};
use super::encode::{self, Frame, PresenceData};
use super::{ClientMessage, DecodeError, ServerMessage};

/// Encodes a server message as Pusher clients expect it.
pub fn encode(message: &ServerMessage<'_>) -> String {
    match message {
        ServerMessage::ConnectionEstablished {
            socket_id,
            activity_timeout,
        } => {
            let data = serde_json::json!({"socket_id": socket_id.to_string(), "activity_timeout": activity_timeout});
            Frame::bare("pusher:connection_established", encode::stringified(&data)).to_json()
        }
        ServerMessage::SubscriptionSucceeded { channel, presence } => {
            let data = match presence {
                None => "{}".to_owned(),
                Some(p) => encode::stringified(&PresenceData::of(&p.members, None)),
            };
            Frame::on("pusher_internal:subscription_succeeded", channel, data).to_json()
        }
        ServerMessage::SubscriptionError {
            channel,
            kind,
            error,
            status,
        } => {
            let data = serde_json::json!({"type": kind, "error": error, "status": status});
            Frame::on(
                "pusher:subscription_error",
                channel,
                encode::stringified(&data),
            )
            .to_json()
        }
        ServerMessage::MemberAdded {
            channel,
            user_id,
            user_info,
        } => {
            let data = Member {
                user_id,
                user_info: *user_info,
            };
            Frame::on(
                "pusher_internal:member_added",
                channel,
                encode::stringified(&data),
            )
            .to_json()
        }
        ServerMessage::MemberRemoved { channel, user_id } => {
            let data = serde_json::json!({ "user_id": user_id });
            Frame::on(
                "pusher_internal:member_removed",
                channel,
                encode::stringified(&data),
            )
            .to_json()
        }
        ServerMessage::Event(event) => encode::event(event),
        ServerMessage::Error { code, message } => Frame::bare(
            "pusher:error",
            serde_json::json!({"message": message, "code": code}),
        )
        .to_json(),
        ServerMessage::CacheMiss { channel } => {
            Frame::on("pusher:cache_miss", channel, "{}").to_json()
        }
        ServerMessage::SubscriptionCount { channel, count } => {
            let data = serde_json::json!({ "subscription_count": count });
            Frame::on(
                "pusher_internal:subscription_count",
                channel,
                encode::stringified(&data),
            )
            .to_json()
        }
        ServerMessage::Watchlist { name, user_ids } => {
            let data = serde_json::json!({"events": [{"name": name, "user_ids": user_ids}]});
            Frame::bare(
                "pusher_internal:watchlist_events",
                encode::stringified(&data),
            )
            .to_json()
        }
        ServerMessage::SigninSuccess { user_data } => {
            let data = serde_json::json!({ "user_data": user_data });
            Frame::bare("pusher:signin_success", encode::stringified(&data)).to_json()
        }
        ServerMessage::Ping => Frame::bare("pusher:ping", "{}").to_json(),
        ServerMessage::Pong => Frame::bare("pusher:pong", "{}").to_json(),
    }
}

#[derive(Serialize)]
struct Member<'a> {
    user_id: &'a str,
    user_info: Option<&'a RawValue>,
}

#[derive(serde::Deserialize)]
struct SigninData {
    auth: String,
    user_data: String,
}

/// Parses a Pusher client frame.
pub fn decode(text: &str) -> Result<ClientMessage, DecodeError> {
    let env: Envelope<'_> = decode::envelope(text)?;
    if env.event.as_deref() == Some("pusher:signin") {
        let text = decode::data_text(env.data)?;
        let d: SigninData = serde_json::from_str(&text).map_err(decode::invalid)?;
        return Ok(ClientMessage::Signin {
            auth: d.auth,
            user_data: d.user_data,
        });
    }
    decode::common("pusher:", env)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ChannelName, Event, Payload, PresenceSnapshot, SocketId};

    #[test]
    fn connection_established_has_string_data() {
        let msg = ServerMessage::ConnectionEstablished {
            socket_id: SocketId::new(1, 2),
            activity_timeout: 120,
        };
        let v: serde_json::Value = serde_json::from_str(&encode(&msg)).unwrap();
        assert_eq!(v["event"], "pusher:connection_established");
        let data: serde_json::Value = serde_json::from_str(v["data"].as_str().unwrap()).unwrap();
        assert_eq!(
            data,
            serde_json::json!({"socket_id": "1.2", "activity_timeout": 120})
        );
    }

    #[test]
    fn presence_snapshot_lists_ids_hash_and_count() {
        let info = RawValue::from_string(r#"{"name":"A"}"#.into()).unwrap();
        let members = vec![("u1", Some(info.as_ref())), ("u2", None)];
        let presence = Some(PresenceSnapshot { members, me: "u1" });
        let msg = ServerMessage::SubscriptionSucceeded {
            channel: "presence-x",
            presence,
        };
        let v: serde_json::Value = serde_json::from_str(&encode(&msg)).unwrap();
        let data: serde_json::Value = serde_json::from_str(v["data"].as_str().unwrap()).unwrap();
        let expected = serde_json::json!({"presence": {"ids": ["u1", "u2"], "hash": {"u1": {"name": "A"}, "u2": null}, "count": 2}});
        assert_eq!(data, expected);
    }

    #[test]
    fn events_keep_text_as_string_and_json_raw() {
        let channel = ChannelName::parse("c").unwrap();
        let text = Event {
            name: "e".into(),
            channel: channel.clone(),
            data: Payload::Text("{\"a\":1}".into()),
            user_id: None,
        };
        assert_eq!(
            encode(&ServerMessage::Event(&text)),
            r#"{"event":"e","channel":"c","data":"{\"a\":1}"}"#
        );
        let raw = RawValue::from_string("{\"a\":1}".into()).unwrap();
        let json = Event {
            name: "client-e".into(),
            channel,
            data: Payload::Json(raw),
            user_id: Some("u".into()),
        };
        assert_eq!(
            encode(&ServerMessage::Event(&json)),
            r#"{"event":"client-e","channel":"c","data":{"a":1},"user_id":"u"}"#
        );
    }

    #[test]
    fn subscribe_accepts_object_and_string_data() {
        let obj = r#"{"event":"pusher:subscribe","data":{"channel":"presence-a","auth":"k:s","channel_data":"{\"user_id\":1}"}}"#;
        let ClientMessage::Subscribe(req) = decode(obj).unwrap() else {
            panic!()
        };
        assert_eq!(
            (req.channel.as_str(), req.auth.as_deref()),
            ("presence-a", Some("k:s"))
        );
        assert_eq!(req.channel_data.as_deref(), Some(r#"{"user_id":1}"#));
        let string = r#"{"event":"pusher:subscribe","data":"{\"channel\":\"a\"}"}"#;
        let ClientMessage::Subscribe(req) = decode(string).unwrap() else {
            panic!()
        };
        assert_eq!(req.channel, "a");
    }

    #[test]
    fn bad_frames_are_named() {
        assert!(matches!(decode("nope"), Err(DecodeError::InvalidJson(_))));
        assert!(matches!(decode("[1]"), Err(DecodeError::InvalidJson(_))));
        assert!(matches!(
            decode(r#"{"event":"pusher:nope"}"#),
            Err(DecodeError::UnknownEvent(_))
        ));
        assert!(matches!(
            decode(r#"{"event":"pusher:subscribe"}"#),
            Err(DecodeError::InvalidFrame(_))
        ));
        assert!(matches!(
            decode(r#"{"event":"client-x"}"#),
            Err(DecodeError::InvalidFrame(_))
        ));
    }
}
