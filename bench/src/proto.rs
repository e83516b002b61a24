//! Wire formats the generator speaks: the two WebSocket dialects (Pusher
//! protocol 7 and LatteStream), channel-auth signatures, and the benchmark
//! payload that carries a send timestamp so subscribers can measure latency.

use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

/// The JSON key holding the publish timestamp (µs since the UNIX epoch).
///
/// Subscribers look for this exact key in every frame, so it must not
/// collide with anything a server adds to protocol frames.
pub const TS_KEY: &str = "bench_ts_us";

/// Which WebSocket protocol the clients speak; the server under test decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// Pusher protocol 7 (`/app/KEY?protocol=7`), spoken by soketi and sockudo.
    Pusher,
    /// LatteStream's own dialect (first frame carries `api_key`).
    Lattestream,
}

impl Dialect {
    /// The event-name prefix for protocol events (`pusher` or `lattestream`).
    pub fn prefix(self) -> &'static str {
        match self {
            Dialect::Pusher => "pusher",
            Dialect::Lattestream => "lattestream",
        }
    }

    /// The URL a client connects to, from the server's base `ws://HOST:PORT`.
    pub fn connect_url(self, base: &str, key: &str) -> String {
        let base = base.trim_end_matches('/');
        match self {
            Dialect::Pusher => {
                format!("{base}/app/{key}?protocol=7&client=lattestream-bench&version=0.1")
            }
            Dialect::Lattestream => format!("{base}/"),
        }
    }

    /// The first frame the client must send after the upgrade, if any.
    pub fn hello(self, key: &str) -> Option<String> {
        match self {
            Dialect::Pusher => None,
            Dialect::Lattestream => Some(json!({ "api_key": key }).to_string()),
        }
    }

    /// A subscribe frame; `auth`/`channel_data` are set for private/presence.
    pub fn subscribe(
        self,
        channel: &str,
        auth: Option<&str>,
        channel_data: Option<&str>,
    ) -> String {
        let mut data = json!({ "channel": channel });
        if let Some(a) = auth {
            data["auth"] = json!(a);
        }
        if let Some(cd) = channel_data {
            data["channel_data"] = json!(cd);
        }
        json!({ "event": format!("{}:subscribe", self.prefix()), "data": data }).to_string()
    }

    /// An unsubscribe frame.
    pub fn unsubscribe(self, channel: &str) -> String {
        json!({ "event": format!("{}:unsubscribe", self.prefix()), "data": { "channel": channel } })
            .to_string()
    }

    /// The reply to a server ping.
    pub fn pong(self) -> String {
        json!({ "event": format!("{}:pong", self.prefix()), "data": {} }).to_string()
    }
}

/// A parsed protocol frame: only the fields the generator needs.
#[derive(Debug, Default)]
pub struct Frame {
    /// The event name, e.g. `pusher:connection_established`.
    pub event: String,
    /// The channel, when the frame has one.
    pub channel: Option<String>,
    /// The `data` field, decoded when the server sent it as a JSON string.
    pub data: Value,
}

impl Frame {
    /// Parses a text frame; `data` that is a JSON-encoded string is decoded.
    pub fn parse(text: &str) -> Option<Frame> {
        let v: Value = serde_json::from_str(text).ok()?;
        let event = v.get("event")?.as_str()?.to_string();
        let channel = v.get("channel").and_then(Value::as_str).map(str::to_string);
        let data = match v.get("data") {
            Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::String(s.clone())),
            Some(other) => other.clone(),
            None => Value::Null,
        };
        Some(Frame {
            event,
            channel,
            data,
        })
    }

    /// True when the event name ends with `suffix` after the dialect prefix
    /// (`pusher:ping` and `lattestream:ping` both match `:ping`).
    pub fn is(&self, suffix: &str) -> bool {
        self.event.ends_with(suffix)
    }

    /// The socket id from a `connection_established` frame.
    pub fn socket_id(&self) -> Option<String> {
        self.data
            .get("socket_id")
            .and_then(Value::as_str)
            .map(str::to_string)
    }
}

/// Current time in microseconds since the UNIX epoch.
///
/// Publisher and subscribers run on the same machine, so wall-clock stamps
/// are comparable and survive being sent through worker subprocesses.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// Builds the event payload: a JSON object string with the timestamp,
/// a sequence number and `pad` bytes of filler.
pub fn payload(seq: u64, pad: usize) -> String {
    format!(
        "{{\"{TS_KEY}\":{},\"seq\":{seq},\"pad\":\"{}\"}}",
        now_us(),
        "x".repeat(pad)
    )
}

/// Finds the publish timestamp in a received frame without a full parse.
///
/// Works whether `data` arrived as an escaped string or as an object, since
/// it skips any `\`, `"`, `:` or spaces between the key and the digits.
pub fn extract_ts(text: &str) -> Option<u64> {
    let at = text.find(TS_KEY)? + TS_KEY.len();
    let rest = text[at..].trim_start_matches(['\\', '"', ':', ' ']);
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Hex HMAC-SHA256 of `msg` keyed with `secret`: the signature both channel
/// auth and the Pusher REST API use.
pub fn hmac_hex(secret: &str, msg: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts any key length");
    mac.update(msg.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The `auth` value for a private or presence subscription:
/// `KEY:hex(HMAC(secret, "SOCKET_ID:CHANNEL[:CHANNEL_DATA]"))`.
pub fn channel_auth(
    key: &str,
    secret: &str,
    socket_id: &str,
    channel: &str,
    data: Option<&str>,
) -> String {
    let msg = match data {
        Some(d) => format!("{socket_id}:{channel}:{d}"),
        None => format!("{socket_id}:{channel}"),
    };
    format!("{key}:{}", hmac_hex(secret, &msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_timestamp_from_string_and_object_data() {
        let s = r#"{"event":"bench","channel":"c","data":"{\"bench_ts_us\":123,\"seq\":1}"}"#;
        assert_eq!(extract_ts(s), Some(123));
        let o = r#"{"event":"bench","channel":"c","data":{"bench_ts_us": 456,"seq":1}}"#;
        assert_eq!(extract_ts(o), Some(456));
        assert_eq!(extract_ts(r#"{"event":"pusher:pong"}"#), None);
    }

    #[test]
    fn parses_string_and_object_data() {
        let p = r#"{"event":"pusher:connection_established","data":"{\"socket_id\":\"1.2\"}"}"#;
        assert_eq!(Frame::parse(p).unwrap().socket_id().as_deref(), Some("1.2"));
        let l = r#"{"event":"lattestream:connection_established","data":{"socket_id":"3.4"}}"#;
        assert_eq!(Frame::parse(l).unwrap().socket_id().as_deref(), Some("3.4"));
    }

    #[test]
    fn signs_like_pusher_docs() {
        // Example from the Pusher channel-auth documentation.
        let auth = channel_auth(
            "278d425bdf160c739803",
            "7ad3773142a6692b25b8",
            "1234.1234",
            "private-foobar",
            None,
        );
        assert_eq!(
            auth,
            "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"
        );
    }
}
