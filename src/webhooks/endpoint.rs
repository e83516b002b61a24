//! Where an app's webhooks go: each endpoint's URL, signing secret, the event types it wants and an
//! optional channel-name prefix. Part of an app's settings, so the config file, the environment
//! (`LATTESTREAM_APP_WEBHOOKS`) and the embedded store all carry endpoints the same way.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::auth::Secret;
use crate::events::HubEvent;

/// One receiver of an app's webhooks.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpoint {
    /// Where batches are POSTed: an `http://` or `https://` URL.
    pub url: EndpointUrl,
    /// Signs each body (`X-LatteStream-Signature`); the receiver holds the same secret. Not empty.
    #[serde(deserialize_with = "non_empty_secret")]
    pub secret: Secret,
    /// The event types it wants; empty (the default) means all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_types: Vec<EventType>,
    /// Only channels whose name starts with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_prefix: Option<String>,
}

impl WebhookEndpoint {
    /// Whether this endpoint wants `event`: its type is listed (or none is) and its channel matches.
    pub fn wants(&self, event: &HubEvent) -> bool {
        let kind = EventType::of(event);
        let typed = self.event_types.is_empty() || self.event_types.contains(&kind);
        let prefix = self.filter_prefix.as_deref().unwrap_or_default();
        typed && event.channel().as_str().starts_with(prefix)
    }
}

/// Reads a secret, refusing an empty one (a signature anyone could make).
fn non_empty_secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    let secret = String::deserialize(d)?;
    if secret.is_empty() {
        return Err(serde::de::Error::custom(
            "a webhook secret must not be empty",
        ));
    }
    Ok(Secret::new(secret))
}

/// The event types of Pusher's webhooks, by their wire names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// `channel_occupied`
    ChannelOccupied,
    /// `channel_vacated`
    ChannelVacated,
    /// `member_added`
    MemberAdded,
    /// `member_removed`
    MemberRemoved,
    /// `client_event`
    ClientEvent,
    /// `subscription_count`
    SubscriptionCount,
    /// `cache_miss`
    CacheMiss,
}

impl EventType {
    /// The type of a hub event.
    pub fn of(event: &HubEvent) -> Self {
        match event {
            HubEvent::ChannelOccupied(_) => Self::ChannelOccupied,
            HubEvent::ChannelVacated(_) => Self::ChannelVacated,
            HubEvent::MemberAdded(..) => Self::MemberAdded,
            HubEvent::MemberRemoved(..) => Self::MemberRemoved,
            HubEvent::SubscriptionCount(..) => Self::SubscriptionCount,
            HubEvent::ClientEvent(_) => Self::ClientEvent,
            HubEvent::CacheMiss(_) => Self::CacheMiss,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChannelOccupied => "channel_occupied",
            Self::ChannelVacated => "channel_vacated",
            Self::MemberAdded => "member_added",
            Self::MemberRemoved => "member_removed",
            Self::ClientEvent => "client_event",
            Self::SubscriptionCount => "subscription_count",
            Self::CacheMiss => "cache_miss",
        }
    }

    /// The type with this wire name.
    pub fn parse(name: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
    }

    /// A transition that a quick return undoes (vacated, member removed): held back for the debounce
    /// delay, and cancelled together with its opposite if that comes within it.
    pub fn is_departure(self) -> bool {
        matches!(self, Self::ChannelVacated | Self::MemberRemoved)
    }
}

/// An endpoint URL: absolute, `http` or `https`, checked when the config or store is read.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EndpointUrl(String);

/// Why an endpoint URL was refused.
#[derive(Debug, thiserror::Error)]
#[error("webhook url must be an absolute http:// or https:// URL")]
pub struct BadUrl;

impl TryFrom<String> for EndpointUrl {
    type Error = BadUrl;

    fn try_from(raw: String) -> Result<Self, BadUrl> {
        let parsed = reqwest::Url::parse(&raw).map_err(|_| BadUrl)?;
        match parsed.scheme() {
            "http" | "https" if parsed.host().is_some() => Ok(Self(raw)),
            _ => Err(BadUrl),
        }
    }
}

impl From<EndpointUrl> for String {
    fn from(url: EndpointUrl) -> Self {
        url.0
    }
}

impl EndpointUrl {
    /// The URL as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Only scheme, host and path: a query string may carry a token, and this goes to logs.
impl fmt::Debug for EndpointUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redacted(&self.0))
    }
}

/// The URL without query, fragment or credentials, for logs and metrics.
pub fn redacted(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            parsed.set_query(None);
            parsed.set_fragment(None);
            let _ = parsed.set_password(None);
            let _ = parsed.set_username("");
            parsed.to_string()
        }
        Err(_) => "<invalid url>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ChannelName;

    fn endpoint(json: &str) -> WebhookEndpoint {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn types_and_prefix_filter_what_an_endpoint_gets() {
        let all = endpoint(r#"{"url":"https://h/x","secret":"s"}"#);
        let some = endpoint(
            r#"{"url":"http://h/x","secret":"s","event_types":["channel_vacated"],"filter_prefix":"presence-"}"#,
        );
        let ch = |n: &str| ChannelName::parse(n).unwrap();
        let vacated = HubEvent::ChannelVacated(ch("presence-a"));
        assert!(all.wants(&vacated) && some.wants(&vacated));
        assert!(!some.wants(&HubEvent::ChannelOccupied(ch("presence-a"))));
        assert!(!some.wants(&HubEvent::ChannelVacated(ch("private-a"))));
        assert_eq!(EventType::parse("cache_miss"), Some(EventType::CacheMiss));
        assert_eq!(EventType::CacheMiss.as_str(), "cache_miss");
    }

    #[test]
    fn bad_urls_and_unknown_fields_are_refused_and_secrets_masked() {
        let parse = |json: &str| serde_json::from_str::<WebhookEndpoint>(json);
        assert!(parse(r#"{"url":"ftp://h/x","secret":"s"}"#).is_err());
        assert!(parse(r#"{"url":"not a url","secret":"s"}"#).is_err());
        assert!(parse(r#"{"url":"http://h","secret":"s","bogus":1}"#).is_err());
        assert!(parse(r#"{"url":"http://h","secret":"s","event_types":["nope"]}"#).is_err());
        assert!(parse(r#"{"url":"http://h","secret":""}"#).is_err());
        let e = endpoint(r#"{"url":"https://u:p@h/x?token=t","secret":"whsec"}"#);
        let printed = format!("{e:?}");
        assert!(
            !printed.contains("whsec") && !printed.contains("token") && !printed.contains(":p@")
        );
    }
}
