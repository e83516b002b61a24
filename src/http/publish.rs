//! The one place a published event is checked, whichever API it came through: our `/events` and
//! `/batch_events` (documented limits, or the official SDK's when the request is signed) and the
//! Pusher HTTP API. Channel lists are read the same way everywhere: `channels` as given, or `channel`
//! split on commas (the official SDK's `trigger(['a', 'b'], …)` sends `"channel": "a,b"`).

use serde_json::value::RawValue;

use crate::apps::App;
use crate::protocol::{ChannelName, Event, InvalidName, Payload, SocketId, validate_event_name};

/// The prefix of a user's server-to-user channel, which only the server may publish to.
const SERVER_TO_USER: &str = "#server-to-user-";

/// What a publish path allows: its limits, and the shapes only the Pusher API accepts.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Most channels one event may name.
    pub channels: usize,
    /// Most events one batch may carry.
    pub events: usize,
    /// Largest `data`, bytes.
    pub payload: usize,
    /// Whether `data` must be present (Pusher) or defaults to `{}` (our API).
    pub data_required: bool,
    /// Whether `#server-to-user-{id}` channels may be named (Pusher's `sendToUser`).
    pub server_to_user: bool,
}

impl Rules {
    /// The documented limits of `/events` and `/batch_events` (10 channels, 10 events, 32 KB).
    pub fn documented(app: &App) -> Self {
        let s = &app.settings;
        Self::ours(
            s.max_event_channels,
            s.max_batch_events,
            s.max_payload_bytes,
        )
    }

    /// The official server SDK's limits (100 channels, 50 events), for requests it signed.
    pub fn signed_sdk(app: &App) -> Self {
        let s = &app.settings;
        Self::ours(
            s.sdk_max_event_channels,
            s.sdk_max_batch_events,
            s.max_payload_bytes,
        )
    }

    /// The Pusher HTTP API's limits.
    pub fn pusher(app: &App) -> Self {
        let s = &app.settings;
        Self {
            channels: s.pusher_max_event_channels,
            events: s.max_batch_events,
            payload: s.pusher_max_payload_bytes,
            data_required: true,
            server_to_user: true,
        }
    }

    fn ours(channels: usize, events: usize, payload: usize) -> Self {
        Self {
            channels,
            events,
            payload,
            data_required: false,
            server_to_user: false,
        }
    }
}

/// Why a publish was refused; each API maps it to its own error shape.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PublishError {
    /// Neither `channels` nor `channel`.
    #[error("Missing parameter: channels")]
    MissingChannels,
    /// A batch item without `channel`.
    #[error("Missing parameter: channel")]
    MissingChannel,
    /// No event name.
    #[error("Missing parameter: name")]
    MissingName,
    /// No `data` where it is required.
    #[error("Missing parameter: data")]
    MissingData,
    /// More channels than the rules allow.
    #[error("Too many channels: at most {0} per event")]
    TooManyChannels(usize),
    /// More events than the rules allow.
    #[error("Batch too large: at most {0} events")]
    TooManyEvents(usize),
    /// A channel name breaking the naming rules.
    #[error("Invalid channel name {name:?}: {reason}")]
    InvalidChannel {
        /// The name as sent.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An event name breaking the naming rules.
    #[error("Invalid event name: {0}")]
    InvalidName(InvalidName),
    /// `data` over the limit, bytes.
    #[error("Event data too large (at most {0} bytes)")]
    DataTooLarge(usize),
    /// A `socket_id` that is not `A.B`.
    #[error("Invalid socket_id {0:?}")]
    InvalidSocketId(String),
    /// A string `data` that is not a valid JSON string.
    #[error("Invalid data: {0}")]
    InvalidData(String),
}

/// `channels` as given, or `channel` split on commas; `None` when there is neither or the list is
/// empty.
pub fn channel_names(channels: Option<Vec<String>>, channel: Option<&str>) -> Option<Vec<String>> {
    let split = |joined: &str| joined.split(',').map(|c| c.trim().to_owned()).collect();
    channels
        .or_else(|| channel.map(split))
        .filter(|names| !names.is_empty())
}

/// Checks a list of channel names against the rules: at most `rules.channels`, each valid, each once.
pub fn check_channels(rules: &Rules, names: &[String]) -> Result<Vec<ChannelName>, PublishError> {
    if names.len() > rules.channels {
        return Err(PublishError::TooManyChannels(rules.channels));
    }
    let mut list: Vec<ChannelName> = Vec::with_capacity(names.len());
    for name in names {
        let channel = publishable(rules, name)?;
        if !list.contains(&channel) {
            list.push(channel);
        }
    }
    Ok(list)
}

/// Checks a batch's length against the rules.
pub fn check_batch_len(rules: &Rules, len: usize) -> Result<(), PublishError> {
    match len > rules.events {
        true => Err(PublishError::TooManyEvents(rules.events)),
        false => Ok(()),
    }
}

/// A channel a server may publish to under these rules.
fn publishable(rules: &Rules, raw: &str) -> Result<ChannelName, PublishError> {
    match raw.strip_prefix(SERVER_TO_USER) {
        Some(user) if rules.server_to_user && !user.is_empty() => {
            Ok(ChannelName::server_to_user(user))
        }
        _ => ChannelName::parse(raw).map_err(|e| PublishError::InvalidChannel {
            name: raw.to_owned(),
            reason: e.to_string(),
        }),
    }
}

/// One event as sent, before it is checked: the fields every publish path shares.
pub struct Draft {
    /// `name` (or our `event`).
    pub name: Option<String>,
    /// Any JSON; a string is taken as the payload text itself.
    pub data: Option<Box<RawValue>>,
    /// The connection to leave out.
    pub socket_id: Option<String>,
}

/// An event checked against the rules, not yet bound to a channel.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The event's name.
    pub name: String,
    data: String,
    /// The connection to leave out.
    pub except: Option<SocketId>,
}

impl Checked {
    /// The event on one channel.
    pub fn on(&self, channel: ChannelName) -> Event {
        Event {
            name: self.name.clone(),
            channel,
            data: Payload::Text(self.data.clone()),
            user_id: None,
        }
    }
}

/// Checks an event's name, data and excluded socket against the rules.
pub fn check_event(rules: &Rules, draft: Draft) -> Result<Checked, PublishError> {
    let name = draft.name.ok_or(PublishError::MissingName)?;
    validate_event_name(&name).map_err(PublishError::InvalidName)?;
    let data = match draft.data {
        Some(raw) => payload_text(&raw)?,
        None if rules.data_required => return Err(PublishError::MissingData),
        None => "{}".to_owned(),
    };
    if data.len() > rules.payload {
        return Err(PublishError::DataTooLarge(rules.payload));
    }
    let except = match draft.socket_id.filter(|s| !s.is_empty()) {
        Some(raw) => Some(SocketId::parse(&raw).ok_or(PublishError::InvalidSocketId(raw))?),
        None => None,
    };
    Ok(Checked { name, data, except })
}

/// `data` as the text subscribers receive: a string passes unchanged, anything else is its JSON text.
fn payload_text(raw: &RawValue) -> Result<String, PublishError> {
    if raw.get().starts_with('"') {
        return serde_json::from_str(raw.get())
            .map_err(|e| PublishError::InvalidData(e.to_string()));
    }
    Ok(raw.get().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::test_app;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_comma_joined_channel_is_split_and_a_list_is_taken_as_given() {
        let split = channel_names(None, Some("a, b,c"));
        assert_eq!(split, Some(names(&["a", "b", "c"])));
        let listed = channel_names(Some(names(&["a,b"])), Some("x"));
        assert_eq!(listed, Some(names(&["a,b"])));
        assert_eq!(channel_names(Some(vec![]), None), None);
    }

    #[test]
    fn each_set_of_rules_has_its_own_limits() {
        let app = test_app();
        let eleven: Vec<String> = (0..11).map(|i| format!("c{i}")).collect();
        let documented = Rules::documented(&app);
        let refused = check_channels(&documented, &eleven);
        assert_eq!(refused, Err(PublishError::TooManyChannels(10)));
        assert_eq!(
            check_channels(&Rules::signed_sdk(&app), &eleven)
                .unwrap()
                .len(),
            11
        );
        assert!(check_batch_len(&documented, 11).is_err());
        assert!(check_batch_len(&Rules::signed_sdk(&app), 50).is_ok());
        assert!(check_batch_len(&Rules::signed_sdk(&app), 51).is_err());
    }

    #[test]
    fn duplicates_go_once_and_server_to_user_is_pusher_only() {
        let app = test_app();
        let twice = check_channels(&Rules::documented(&app), &names(&["a", "a"])).unwrap();
        assert_eq!(twice.len(), 1);
        let user = names(&["#server-to-user-u1"]);
        assert!(check_channels(&Rules::documented(&app), &user).is_err());
        assert!(check_channels(&Rules::pusher(&app), &user).is_ok());
    }

    #[test]
    fn data_is_optional_for_us_and_required_by_pusher() {
        let app = test_app();
        let draft = || Draft {
            name: Some("e".into()),
            data: None,
            socket_id: None,
        };
        let checked = check_event(&Rules::documented(&app), draft()).unwrap();
        let event = checked.on(ChannelName::parse("a").unwrap());
        assert!(matches!(event.data, Payload::Text(ref text) if text == "{}"));
        let refused = check_event(&Rules::pusher(&app), draft());
        assert_eq!(refused.unwrap_err(), PublishError::MissingData);
    }
}
