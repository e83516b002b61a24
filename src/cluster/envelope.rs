//! What one node tells the others about a channel: an event for its subscribers, or a presence change or
//! count they must hear. Each node encodes the frames for its own sockets, so one envelope serves both
//! dialects; on the wire it is compact JSON.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::BackendError;
use crate::protocol::{self, AppId, ChannelName, Event, SocketId};

/// An envelope on the bus.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The app.
    pub app: AppId,
    /// The channel whose subscribers get it.
    pub channel: ChannelName,
    /// What they get.
    pub payload: Payload,
    /// The one connection that must not get it (a client event's sender, a REST `socket_id`).
    pub except: Option<SocketId>,
    /// The node that published it: it delivered to its own sockets already and ignores the echo.
    pub origin: u32,
}

/// What an envelope carries.
#[derive(Debug, Clone)]
pub enum Payload {
    /// An event (from the REST APIs or a client).
    Event(Event),
    /// A presence user's first connection anywhere joined the channel.
    MemberAdded {
        /// The user.
        user_id: Arc<str>,
        /// The user's info.
        user_info: Option<Arc<RawValue>>,
    },
    /// A presence user's last connection anywhere left.
    MemberRemoved {
        /// The user.
        user_id: Arc<str>,
    },
    /// The channel's subscription count changed (apps with `subscription_count_events`).
    Count(usize),
}

/// The JSON shape of an envelope.
#[derive(Serialize, Deserialize)]
struct Wire<'a> {
    app: &'a str,
    channel: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    except: Option<String>,
    origin: u32,
    #[serde(borrow)]
    payload: WirePayload<'a>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum WirePayload<'a> {
    Event {
        name: &'a str,
        /// A JSON string (our REST payloads) or raw JSON (client events), as the event carries it.
        #[serde(borrow)]
        data: &'a RawValue,
        #[serde(skip_serializing_if = "Option::is_none")]
        user_id: Option<&'a str>,
    },
    MemberAdded {
        user_id: &'a str,
        #[serde(borrow)]
        user_info: Option<&'a RawValue>,
    },
    MemberRemoved {
        user_id: &'a str,
    },
    Count {
        count: usize,
    },
}

impl Envelope {
    /// The envelope as compact JSON.
    pub fn to_json(&self) -> String {
        let text;
        let payload = match &self.payload {
            Payload::Event(event) => {
                let data = match &event.data {
                    protocol::Payload::Text(s) => {
                        text = RawValue::from_string(serde_json::to_string(s).expect("a string"))
                            .expect("a JSON string");
                        &*text
                    }
                    protocol::Payload::Json(raw) => &**raw,
                };
                WirePayload::Event {
                    name: &event.name,
                    data,
                    user_id: event.user_id.as_deref(),
                }
            }
            Payload::MemberAdded { user_id, user_info } => WirePayload::MemberAdded {
                user_id,
                user_info: user_info.as_deref(),
            },
            Payload::MemberRemoved { user_id } => WirePayload::MemberRemoved { user_id },
            Payload::Count(count) => WirePayload::Count { count: *count },
        };
        let wire = Wire {
            app: self.app.as_str(),
            channel: self.channel.as_str(),
            except: self.except.map(|s| s.to_string()),
            origin: self.origin,
            payload,
        };
        serde_json::to_string(&wire).expect("envelopes always serialize")
    }

    /// Reads an envelope back.
    pub fn from_json(text: &str) -> Result<Self, BackendError> {
        let bad = |what: &str| BackendError::Malformed(format!("envelope: {what}"));
        let wire: Wire<'_> = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
        let app = AppId::parse(wire.app).ok_or_else(|| bad("app"))?;
        let channel = parse_channel(wire.channel).ok_or_else(|| bad("channel"))?;
        let except = match wire.except {
            Some(raw) => Some(SocketId::parse(&raw).ok_or_else(|| bad("except"))?),
            None => None,
        };
        let payload = wire.payload.into_payload(&channel).map_err(|e| bad(&e))?;
        Ok(Self {
            app,
            channel,
            payload,
            except,
            origin: wire.origin,
        })
    }
}

/// A channel name as a node wrote it, server-to-user channels included.
fn parse_channel(raw: &str) -> Option<ChannelName> {
    match raw.strip_prefix("#server-to-user-") {
        Some(user) if !user.is_empty() => Some(ChannelName::server_to_user(user)),
        _ => ChannelName::parse(raw).ok(),
    }
}

impl WirePayload<'_> {
    fn into_payload(self, channel: &ChannelName) -> Result<Payload, String> {
        Ok(match self {
            Self::Event {
                name,
                data,
                user_id,
            } => Payload::Event(Event {
                name: name.to_owned(),
                channel: channel.clone(),
                data: event_data(data)?,
                user_id: user_id.map(str::to_owned),
            }),
            Self::MemberAdded { user_id, user_info } => Payload::MemberAdded {
                user_id: user_id.into(),
                user_info: user_info.map(|i| Arc::from(i.to_owned())),
            },
            Self::MemberRemoved { user_id } => Payload::MemberRemoved {
                user_id: user_id.into(),
            },
            Self::Count { count } => Payload::Count(count),
        })
    }
}

/// A JSON string is our REST payload's text; anything else is a client's raw JSON.
fn event_data(raw: &RawValue) -> Result<protocol::Payload, String> {
    if raw.get().starts_with('"') {
        let text: String = serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
        return Ok(protocol::Payload::Text(text));
    }
    Ok(protocol::Payload::Json(raw.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(payload: Payload) -> Envelope {
        Envelope {
            app: AppId::parse("7").unwrap(),
            channel: ChannelName::parse("presence-room").unwrap(),
            payload,
            except: Some(SocketId::new(3, 9)),
            origin: 42,
        }
    }

    fn round_trip(payload: Payload) -> Envelope {
        Envelope::from_json(&envelope(payload).to_json()).unwrap()
    }

    #[test]
    fn events_keep_text_and_raw_json_apart() {
        let text = Event {
            name: "news".into(),
            channel: ChannelName::parse("presence-room").unwrap(),
            data: protocol::Payload::Text("{\"a\":1}".into()),
            user_id: None,
        };
        let back = round_trip(Payload::Event(text));
        let Payload::Event(event) = back.payload else {
            panic!()
        };
        assert!(matches!(event.data, protocol::Payload::Text(ref t) if t == "{\"a\":1}"));
        assert_eq!((back.except, back.origin), (Some(SocketId::new(3, 9)), 42));
        let raw = RawValue::from_string("{\"b\":[1,2]}".into()).unwrap();
        let client = Event {
            name: "client-x".into(),
            channel: ChannelName::parse("presence-room").unwrap(),
            data: protocol::Payload::Json(raw),
            user_id: Some("u1".into()),
        };
        let Payload::Event(event) = round_trip(Payload::Event(client)).payload else {
            panic!()
        };
        assert!(matches!(event.data, protocol::Payload::Json(ref r) if r.get() == "{\"b\":[1,2]}"));
        assert_eq!(event.user_id.as_deref(), Some("u1"));
    }

    #[test]
    fn presence_changes_and_counts_round_trip() {
        let info = Some(Arc::from(
            RawValue::from_string("{\"n\":\"A\"}".into()).unwrap(),
        ));
        let added = round_trip(Payload::MemberAdded {
            user_id: "u1".into(),
            user_info: info,
        });
        assert!(
            matches!(added.payload, Payload::MemberAdded { ref user_id, user_info: Some(ref i) }
            if &**user_id == "u1" && i.get() == "{\"n\":\"A\"}")
        );
        let removed = round_trip(Payload::MemberRemoved {
            user_id: "u1".into(),
        });
        assert!(
            matches!(removed.payload, Payload::MemberRemoved { ref user_id } if &**user_id == "u1")
        );
        assert!(matches!(
            round_trip(Payload::Count(5)).payload,
            Payload::Count(5)
        ));
    }

    #[test]
    fn garbage_is_refused_not_delivered() {
        assert!(Envelope::from_json("{}").is_err());
        assert!(Envelope::from_json("not json").is_err());
    }
}
