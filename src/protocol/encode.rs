//! Serialisation helpers both codecs use: the frame envelope and the presence hash.

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use super::{Event, Payload};

/// The envelope of every server frame.
#[derive(Serialize)]
pub(super) struct Frame<'a, D: Serialize> {
    pub event: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<&'a str>,
    pub data: D,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<&'a str>,
}

impl<'a, D: Serialize> Frame<'a, D> {
    /// A frame with no channel.
    pub fn bare(event: &'a str, data: D) -> Self {
        Self {
            event,
            channel: None,
            data,
            user_id: None,
        }
    }

    /// A frame about a channel.
    pub fn on(event: &'a str, channel: &'a str, data: D) -> Self {
        Self {
            event,
            channel: Some(channel),
            data,
            user_id: None,
        }
    }

    /// The frame as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("server frames always serialise")
    }
}

/// A value serialised to JSON and then sent as a JSON string, as Pusher wants `data`.
pub(super) fn stringified<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("server frames always serialise")
}

/// The presence `hash`: user id → info, `null` where none was given.
pub(super) struct Hash<'a>(pub &'a [(&'a str, Option<&'a RawValue>)]);

impl Serialize for Hash<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(id, info)| (id, info)))
    }
}

/// The `data` of a presence `subscription_succeeded`, in both dialects.
#[derive(Serialize)]
pub(super) struct PresenceData<'a> {
    presence: Presence<'a>,
}

#[derive(Serialize)]
struct Presence<'a> {
    ids: Vec<&'a str>,
    hash: Hash<'a>,
    count: usize,
    /// LatteStream only: the subscriber's own user.
    #[serde(skip_serializing_if = "Option::is_none")]
    me: Option<Me<'a>>,
}

#[derive(Serialize)]
struct Me<'a> {
    id: &'a str,
}

impl<'a> PresenceData<'a> {
    /// The roster, with `me` where the dialect names it.
    pub fn of(members: &'a [(&'a str, Option<&'a RawValue>)], me: Option<&'a str>) -> Self {
        let ids = members.iter().map(|(id, _)| *id).collect();
        let me = me.map(|id| Me { id });
        Self {
            presence: Presence {
                ids,
                hash: Hash(members),
                count: members.len(),
                me,
            },
        }
    }
}

/// An event's payload as it goes on the wire: text as a JSON string, JSON as it came.
pub(super) enum WireData<'a> {
    Text(&'a str),
    Json(&'a RawValue),
}

impl Serialize for WireData<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Text(t) => s.serialize_str(t),
            Self::Json(raw) => raw.serialize(s),
        }
    }
}

/// Encodes a published event: identical in both dialects.
pub(super) fn event(e: &Event) -> String {
    let data = match &e.data {
        Payload::Text(t) => WireData::Text(t),
        Payload::Json(raw) => WireData::Json(raw),
    };
    let frame = Frame {
        event: &e.name,
        channel: Some(e.channel.as_str()),
        data,
        user_id: e.user_id.as_deref(),
    };
    frame.to_json()
}
