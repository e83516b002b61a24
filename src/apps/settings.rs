//! Per-app switches and limits, with the documented defaults.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::webhooks::WebhookEndpoint;

/// What an app allows; every field has the documented default, so a config names only what it changes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AppSettings {
    /// Whether clients may send `client-` events on private and presence channels.
    pub client_events: bool,
    /// Largest client event payload, bytes.
    pub max_client_event_bytes: usize,
    /// Client events one connection may send per second.
    pub client_events_per_second: u32,
    /// Whether subscribers of non-presence channels get `subscription_count` events.
    pub subscription_count_events: bool,
    /// Whether signed-in users with a `watchlist` hear when watched users come and go.
    pub watchlist_events: bool,
    /// Most distinct users on one presence channel; a new user past it is refused (`LimitReached`).
    /// Pusher's and soketi's default is 100: every join sends the whole roster to the joiner.
    pub max_presence_members: usize,
    /// Largest `user_info` of a presence member, bytes of JSON (soketi's default is 2 KB); larger is
    /// refused (`InvalidChannelData`).
    pub max_presence_user_info_bytes: usize,
    /// Most simultaneous connections (`None`: no limit).
    pub max_connections: Option<u32>,
    /// Most channels in one `POST /events`.
    pub max_event_channels: usize,
    /// Most events in one `POST /batch_events`.
    pub max_batch_events: usize,
    /// Largest event payload through the REST API, bytes.
    pub max_payload_bytes: usize,
    /// Most channels in one event of a request the official server SDK signed
    /// (`X-LatteStream-Signature`): the SDK allows 100 per `trigger`.
    pub sdk_max_event_channels: usize,
    /// Most events in one signed `POST /batch_events`: the SDK batches up to 50 `trigger` calls.
    pub sdk_max_batch_events: usize,
    /// Most channels in one Pusher-API trigger (`POST /apps/{id}/events`); Pusher's own limit is 100.
    pub pusher_max_event_channels: usize,
    /// Largest event `data` through the Pusher HTTP API, bytes; Pusher's own limit is 10 KB.
    pub pusher_max_payload_bytes: usize,
    /// REST rate limits.
    pub rate_limits: RateLimits,
    /// How long the private key replaced by `lattestream apps rotate` stays valid beside the new one.
    #[serde(with = "humantime_serde")]
    pub key_rotation_grace: Duration,
    /// Where this app's webhooks go (none by default).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<WebhookEndpoint>,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            client_events: false,
            max_client_event_bytes: 10 * 1024,
            client_events_per_second: 10,
            subscription_count_events: false,
            watchlist_events: false,
            max_presence_members: 100,
            max_presence_user_info_bytes: 2048,
            max_connections: None,
            max_event_channels: 10,
            max_batch_events: 10,
            max_payload_bytes: 32 * 1024,
            sdk_max_event_channels: 100,
            sdk_max_batch_events: 50,
            pusher_max_event_channels: 100,
            pusher_max_payload_bytes: 10 * 1024,
            rate_limits: RateLimits::default(),
            key_rotation_grace: Duration::from_secs(3600),
            webhooks: Vec::new(),
        }
    }
}

/// One endpoint's limit: requests per minute, and the burst allowed in any one second.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EndpointLimit {
    /// Requests per minute.
    pub per_minute: u32,
    /// Requests per second at most.
    pub per_second: u32,
}

/// The documented rate limits per app and endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimits {
    /// Off for benchmarks and trusted single-tenant installs.
    pub enabled: bool,
    /// `POST /events`.
    pub events: EndpointLimit,
    /// `POST /batch_events`.
    pub batch_events: EndpointLimit,
    /// `POST /apps/token`.
    pub token: EndpointLimit,
    /// `GET /channels` and the other channel queries.
    pub channels: EndpointLimit,
}

impl Default for RateLimits {
    fn default() -> Self {
        let limit = |per_minute, per_second| EndpointLimit {
            per_minute,
            per_second,
        };
        Self {
            enabled: true,
            events: limit(1000, 100),
            batch_events: limit(500, 50),
            token: limit(2000, 200),
            channels: limit(500, 50),
        }
    }
}
