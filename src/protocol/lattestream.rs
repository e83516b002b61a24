//! The LatteStream dialect codec, as the official `@lattestream/client` speaks it: a first frame
//! carrying the credential, `lattestream:` events whose `data` is an object, and batch frames.

use serde::Serialize;
use serde_json::value::RawValue;

use super::decode::{self, Envelope};
use super::encode::{self, Frame, PresenceData};
use super::{ClientMessage, DecodeError, ServerMessage};

/// Encodes a server message as the official client expects it.
pub fn encode(message: &ServerMessage<'_>) -> String {
    match message {
        ServerMessage::ConnectionEstablished {
            socket_id,
            activity_timeout,
        } => {
            let data = serde_json::json!({"socket_id": socket_id.to_string(), "activity_timeout": activity_timeout});
            Frame::bare("lattestream:connection_established", data).to_json()
        }
        ServerMessage::SubscriptionSucceeded { channel, presence } => {
            let event = "lattestream_internal:subscription_succeeded";
            match presence {
                None => Frame::on(event, channel, serde_json::json!({})).to_json(),
                Some(p) => {
                    Frame::on(event, channel, PresenceData::of(&p.members, Some(p.me))).to_json()
                }
            }
        }
        ServerMessage::SubscriptionError {
            channel,
            kind,
            error,
            status,
        } => {
            let data = serde_json::json!({"type": kind, "error": error, "status": status});
            Frame::on("lattestream:subscription_error", channel, data).to_json()
        }
        ServerMessage::MemberAdded {
            channel,
            user_id,
            user_info,
        } => {
            let data = Member {
                id: user_id,
                info: *user_info,
            };
            Frame::on("lattestream_internal:member_added", channel, data).to_json()
        }
        ServerMessage::MemberRemoved { channel, user_id } => Frame::on(
            "lattestream_internal:member_removed",
            channel,
            serde_json::json!({ "id": user_id }),
        )
        .to_json(),
        ServerMessage::Event(event) => encode::event(event),
        ServerMessage::Error { code, message } => Frame::bare(
            "lattestream:error",
            serde_json::json!({"message": message, "code": code}),
        )
        .to_json(),
        ServerMessage::CacheMiss { channel } => {
            Frame::on("lattestream:cache_miss", channel, serde_json::json!({})).to_json()
        }
        ServerMessage::SubscriptionCount { channel, count } => {
            let data = serde_json::json!({ "subscription_count": count });
            Frame::on("lattestream_internal:subscription_count", channel, data).to_json()
        }
        ServerMessage::Watchlist { name, user_ids } => {
            let data = serde_json::json!({"events": [{"name": name, "user_ids": user_ids}]});
            Frame::bare("lattestream_internal:watchlist_events", data).to_json()
        }
        ServerMessage::SigninSuccess { user_data } => Frame::bare(
            "lattestream:signin_success",
            serde_json::json!({ "user_data": user_data }),
        )
        .to_json(),
        ServerMessage::Ping => Frame::bare("lattestream:ping", serde_json::json!({})).to_json(),
        ServerMessage::Pong => Frame::bare("lattestream:pong", serde_json::json!({})).to_json(),
    }
}

#[derive(Serialize)]
struct Member<'a> {
    id: &'a str,
    info: Option<&'a RawValue>,
}

#[derive(serde::Deserialize)]
struct BatchData<'a> {
    #[serde(borrow)]
    messages: Vec<&'a RawValue>,
}

/// Parses a LatteStream client frame, including the first `{"api_key": …}` frame and batches.
pub fn decode(text: &str) -> Result<ClientMessage, DecodeError> {
    let env: Envelope<'_> = decode::envelope(text)?;
    if env.event.is_none() {
        return match env.api_key {
            Some(api_key) => Ok(ClientMessage::Connect { api_key }),
            None => Err(DecodeError::InvalidFrame("missing event".into())),
        };
    }
    if env.event.as_deref() == Some("lattestream:batch") {
        return batch(env.data);
    }
    decode::common("lattestream:", env)
}

/// A batch of any length (the frame size limit bounds it; the official client's `batchSize` option
/// may exceed its default of 10): each frame is decoded on its own.
fn batch(data: Option<&RawValue>) -> Result<ClientMessage, DecodeError> {
    let text = decode::data_text(data)?;
    let batch: BatchData<'_> = serde_json::from_str(&text).map_err(decode::invalid)?;
    let frames = batch.messages.iter().map(|raw| decode_in_batch(raw.get()));
    Ok(ClientMessage::Batch(frames.collect()))
}

/// A frame inside a batch: anything but another batch or a credential.
fn decode_in_batch(text: &str) -> Result<ClientMessage, DecodeError> {
    match decode(text)? {
        ClientMessage::Batch(_) | ClientMessage::Connect { .. } => Err(DecodeError::InvalidFrame(
            "batches may not nest or carry credentials".into(),
        )),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{PresenceSnapshot, SocketId};

    #[test]
    fn connection_established_has_object_data() {
        let msg = ServerMessage::ConnectionEstablished {
            socket_id: SocketId::new(3, 4),
            activity_timeout: 120,
        };
        let v: serde_json::Value = serde_json::from_str(&encode(&msg)).unwrap();
        assert_eq!(v["data"]["socket_id"], "3.4");
    }

    #[test]
    fn presence_snapshot_names_me_and_members_are_objects() {
        let members = vec![("u1", None)];
        let msg = ServerMessage::SubscriptionSucceeded {
            channel: "presence-x",
            presence: Some(PresenceSnapshot { members, me: "u1" }),
        };
        let v: serde_json::Value = serde_json::from_str(&encode(&msg)).unwrap();
        assert_eq!(v["data"]["presence"]["me"]["id"], "u1");
        assert_eq!(v["data"]["presence"]["count"], 1);
        let added = ServerMessage::MemberAdded {
            channel: "presence-x",
            user_id: "u2",
            user_info: None,
        };
        let v: serde_json::Value = serde_json::from_str(&encode(&added)).unwrap();
        assert_eq!(v["data"], serde_json::json!({"id": "u2", "info": null}));
    }

    #[test]
    fn first_frame_and_batches_decode() {
        let ClientMessage::Connect { api_key } = decode(r#"{"api_key":"lspk_x"}"#).unwrap() else {
            panic!()
        };
        assert_eq!(api_key, "lspk_x");
        let batch = r#"{"event":"lattestream:batch","data":{"messages":[
            {"event":"lattestream:subscribe","data":{"channel":"a"}},
            {"event":"lattestream:ping","data":{}}]}}"#;
        let ClientMessage::Batch(frames) = decode(batch).unwrap() else {
            panic!()
        };
        assert!(matches!(
            frames.as_slice(),
            [Ok(ClientMessage::Subscribe(_)), Ok(ClientMessage::Ping)]
        ));
    }

    #[test]
    fn a_nested_batch_fails_alone_and_long_batches_decode_whole() {
        let nested = r#"{"event":"lattestream:batch","data":{"messages":[{"event":"lattestream:batch","data":{"messages":[]}},{"event":"lattestream:ping","data":{}}]}}"#;
        let ClientMessage::Batch(frames) = decode(nested).unwrap() else {
            panic!()
        };
        assert!(matches!(
            frames.as_slice(),
            [Err(DecodeError::InvalidFrame(_)), Ok(ClientMessage::Ping)]
        ));
        let ping = r#"{"event":"lattestream:ping","data":{}}"#;
        let many = format!(
            r#"{{"event":"lattestream:batch","data":{{"messages":[{}]}}}}"#,
            [ping; 50].join(",")
        );
        let ClientMessage::Batch(frames) = decode(&many).unwrap() else {
            panic!()
        };
        assert_eq!(frames.iter().filter(|f| f.is_ok()).count(), 50);
    }
}
