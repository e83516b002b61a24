//! Frame parsing shared by both dialects: they differ only in the event prefix and in which frames
//! they know, so one parser takes the prefix.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{ClientMessage, DecodeError, SubscribeRequest};

/// The envelope every client frame shares.
#[derive(Deserialize)]
pub(super) struct Envelope<'a> {
    pub event: Option<String>,
    pub channel: Option<String>,
    #[serde(borrow)]
    pub data: Option<&'a RawValue>,
    pub api_key: Option<String>,
}

/// Parses the envelope; anything that is not a JSON object is invalid JSON for us.
pub(super) fn envelope(text: &str) -> Result<Envelope<'_>, DecodeError> {
    serde_json::from_str(text).map_err(|e| DecodeError::InvalidJson(e.to_string()))
}

/// Handles the events both dialects share, named with `prefix` (`pusher:` or `lattestream:`).
pub(super) fn common(prefix: &str, env: Envelope<'_>) -> Result<ClientMessage, DecodeError> {
    let event = env
        .event
        .ok_or_else(|| DecodeError::InvalidFrame("missing event".into()))?;
    if event.starts_with("client-") {
        return client_event(event, env.channel, env.data);
    }
    let Some(action) = event.strip_prefix(prefix) else {
        return Err(DecodeError::UnknownEvent(event));
    };
    match action {
        "subscribe" => subscribe(env.data).map(ClientMessage::Subscribe),
        "unsubscribe" => {
            channel_only(env.data).map(|channel| ClientMessage::Unsubscribe { channel })
        }
        "ping" => Ok(ClientMessage::Ping),
        "pong" => Ok(ClientMessage::Pong),
        _ => Err(DecodeError::UnknownEvent(event)),
    }
}

fn client_event(
    event: String,
    channel: Option<String>,
    data: Option<&RawValue>,
) -> Result<ClientMessage, DecodeError> {
    let channel = channel.ok_or_else(|| DecodeError::InvalidFrame("missing channel".into()))?;
    let data = data.map(RawValue::to_owned).unwrap_or_else(empty_object);
    Ok(ClientMessage::ClientEvent {
        event,
        channel,
        data,
    })
}

/// `{}` as a raw value, for client events sent without data.
fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".to_owned()).expect("static JSON")
}

/// The text of an object-valued `data`, accepting it JSON-encoded in a string too (Pusher clients may
/// send it so).
pub(super) fn data_text(data: Option<&RawValue>) -> Result<Cow<'_, str>, DecodeError> {
    let raw = data.ok_or_else(|| DecodeError::InvalidFrame("missing data".into()))?;
    if raw.get().starts_with('"') {
        let inner: String = serde_json::from_str(raw.get()).map_err(invalid)?;
        return Ok(Cow::Owned(inner));
    }
    Ok(Cow::Borrowed(raw.get()))
}

/// Maps a parse failure of a known frame to the error the client is told.
pub(super) fn invalid(e: serde_json::Error) -> DecodeError {
    DecodeError::InvalidFrame(e.to_string())
}

#[derive(Deserialize)]
struct SubscribeData<'a> {
    channel: String,
    auth: Option<String>,
    #[serde(borrow)]
    channel_data: Option<&'a RawValue>,
}

fn subscribe(data: Option<&RawValue>) -> Result<SubscribeRequest, DecodeError> {
    let text = data_text(data)?;
    let parsed: SubscribeData<'_> = serde_json::from_str(&text).map_err(invalid)?;
    Ok(SubscribeRequest {
        channel: parsed.channel,
        auth: parsed.auth,
        channel_data: parsed.channel_data.map(channel_data_text).transpose()?,
    })
}

/// Channel data arrives as a JSON string (Pusher) or an object (LatteStream); the signature covers the
/// string's content, or the object's text exactly as sent.
fn channel_data_text(raw: &RawValue) -> Result<String, DecodeError> {
    if raw.get().starts_with('"') {
        serde_json::from_str(raw.get()).map_err(invalid)
    } else {
        Ok(raw.get().to_owned())
    }
}

#[derive(Deserialize)]
struct ChannelOnly {
    channel: String,
}

fn channel_only(data: Option<&RawValue>) -> Result<String, DecodeError> {
    let text = data_text(data)?;
    serde_json::from_str::<ChannelOnly>(&text)
        .map(|c| c.channel)
        .map_err(invalid)
}
