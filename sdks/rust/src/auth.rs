//! Channel authorization computed locally with the private key, in the form the server accepts from
//! the official SDK: `SOCKET_ID:HEX`, HEX = hex HMAC-SHA256 over `socket_id:channel[:channel_data]`.
//! The result is what a client sends as is: `auth`, and for presence channels `channel_data` — the
//! exact string that was signed.

use serde::{Deserialize, Serialize};

use crate::error::{Error, codes};
use crate::signing::hmac_hex;

/// A presence channel member: a non-empty `user_id` and optional `user_info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresenceData {
    /// The member's id, shared by all of the user's connections.
    pub user_id: String,
    /// Anything the other members should see (a name, an avatar…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_info: Option<serde_json::Value>,
}

impl PresenceData {
    /// A member with `user_info`.
    pub fn new(user_id: impl Into<String>, user_info: serde_json::Value) -> Self {
        Self {
            user_id: user_id.into(),
            user_info: Some(user_info),
        }
    }
}

/// What a client sends in its subscribe: serialises to `{"auth": …}` or `{"auth": …, "channel_data": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelAuth {
    /// `SOCKET_ID:HEX`.
    pub auth: String,
    /// Presence channels only: the member data exactly as signed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_data: Option<String>,
}

fn valid_channel(name: &str) -> bool {
    (1..=164).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-=@,.;".contains(&b))
}

fn valid_socket_id(id: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    id.split_once('.')
        .is_some_and(|(a, b)| digits(a) && digits(b))
}

/// Authorizes `socket_id` on a `private-…` or `presence-…` channel; `presence` is required for the latter.
pub(crate) fn authorize_channel(
    key: &str,
    socket_id: &str,
    channel: &str,
    presence: Option<&PresenceData>,
) -> Result<ChannelAuth, Error> {
    if !valid_socket_id(socket_id) {
        return Err(Error::invalid(
            codes::INVALID_SOCKET_ID,
            format!("invalid socket id: {socket_id:?}"),
        ));
    }
    if !valid_channel(channel) {
        return Err(Error::invalid(
            codes::INVALID_CHANNEL,
            format!("invalid channel name: {channel:?}"),
        ));
    }
    let sign = |text: &str| format!("{socket_id}:{}", hmac_hex(key, text.as_bytes()));
    if channel.starts_with("presence-") {
        let data = channel_data(presence)?;
        let auth = sign(&format!("{socket_id}:{channel}:{data}"));
        return Ok(ChannelAuth {
            auth,
            channel_data: Some(data),
        });
    }
    if channel.starts_with("private-") {
        let auth = sign(&format!("{socket_id}:{channel}"));
        return Ok(ChannelAuth {
            auth,
            channel_data: None,
        });
    }
    Err(Error::invalid(
        codes::INVALID_CHANNEL,
        format!("public channels need no authorization: {channel}"),
    ))
}

fn channel_data(presence: Option<&PresenceData>) -> Result<String, Error> {
    match presence {
        Some(p) if !p.user_id.is_empty() => {
            Ok(serde_json::to_string(p).expect("member data serialises"))
        }
        _ => Err(Error::invalid(
            codes::MISSING_USER_ID,
            "presence channels need member data with a user_id",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &str = "lsk_auth_test";

    #[test]
    fn a_private_channel_gets_socket_id_and_hmac_and_no_channel_data() {
        let auth = authorize_channel(KEY, "123.456", "private-user-123", None).unwrap();
        let sig = hmac_hex(KEY, b"123.456:private-user-123");
        assert_eq!(
            serde_json::to_value(&auth).unwrap(),
            json!({"auth": format!("123.456:{sig}")})
        );
    }

    #[test]
    fn a_presence_channel_serialises_auth_and_the_exact_channel_data_it_signed() {
        let member = PresenceData::new("user123", json!({"name": "Alice"}));
        let auth = authorize_channel(KEY, "123.456", "presence-room-1", Some(&member)).unwrap();
        let data = auth.channel_data.clone().unwrap();
        assert_eq!(
            data,
            r#"{"user_id":"user123","user_info":{"name":"Alice"}}"#
        );
        let signed = format!("123.456:presence-room-1:{data}");
        assert_eq!(
            auth.auth,
            format!("123.456:{}", hmac_hex(KEY, signed.as_bytes()))
        );
        let wire = serde_json::to_value(&auth).unwrap();
        assert_eq!(wire, json!({"auth": auth.auth, "channel_data": data}));
    }

    #[test]
    fn bad_input_is_refused_with_the_documented_codes() {
        let empty = PresenceData {
            user_id: String::new(),
            user_info: None,
        };
        let cases = [
            ("123", "private-a", None, codes::INVALID_SOCKET_ID),
            ("1.2", "public-room", None, codes::INVALID_CHANNEL),
            ("1.2", "private-a b", None, codes::INVALID_CHANNEL),
            ("1.2", "presence-a", None, codes::MISSING_USER_ID),
            ("1.2", "presence-a", Some(&empty), codes::MISSING_USER_ID),
        ];
        for (socket, channel, presence, code) in cases {
            let err = authorize_channel(KEY, socket, channel, presence).unwrap_err();
            assert!(matches!(err, Error::Validation { .. }), "{err}");
            assert_eq!(err.code(), code, "{socket} {channel}");
        }
    }
}
