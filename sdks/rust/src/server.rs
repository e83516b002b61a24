//! [`LatteStreamServer`]: the REST API of a LatteStream server (events, batches, access tokens, channel
//! and user queries, terminating a user) as async methods, plus what needs only the private key and no
//! request: channel authorization and webhook verification.

use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::auth::{ChannelAuth, PresenceData, authorize_channel};
use crate::endpoint::{URL_ENV, resolve_base_url};
use crate::error::{Error, codes};
use crate::signing::verify_webhook_signature;
use crate::transport::{Transport, tokio_sleep};
use crate::types::{
    AccessToken, AccessTokenOptions, BatchEvent, BatchResult, ChannelInfo, ChannelList, Channels,
    TriggerOptions, TriggerResult, UserList,
};

/// Where to connect and how to behave; every field optional.
#[derive(Debug, Clone, Default)]
pub struct Options {
    ws_endpoint: Option<String>,
    use_tls: Option<bool>,
    cluster: Option<String>,
    timeout: Option<Duration>,
    max_retries: Option<u32>,
}

impl Options {
    /// The server: host and port (`"127.0.0.1:6001"`, see [`Options::use_tls`]) or a whole URL
    /// (`"http://127.0.0.1:6001"`). Without it, `LATTESTREAM_URL` is used, else the hosted service.
    pub fn ws_endpoint(mut self, host_or_url: impl Into<String>) -> Self {
        self.ws_endpoint = Some(host_or_url.into());
        self
    }

    /// `https` (the default) or `http` for an endpoint without a scheme and for the hosted cluster.
    pub fn use_tls(mut self, use_tls: bool) -> Self {
        self.use_tls = Some(use_tls);
        self
    }

    /// The hosted cluster (default `eu1`) when no endpoint is configured.
    pub fn cluster(mut self, cluster: impl Into<String>) -> Self {
        self.cluster = Some(cluster.into());
        self
    }

    /// How long each attempt may take (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How often a 429 is retried after its `Retry-After` (default 3; 0 never).
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = Some(max_retries);
        self
    }
}

/// A client of one app's REST API, identified by the app's private key (`lsk_…`). Cheap to clone;
/// concurrent calls are independent of each other.
#[derive(Clone)]
pub struct LatteStreamServer {
    transport: Transport,
}

impl LatteStreamServer {
    /// A client for the app whose private key is `private_key`, at `LATTESTREAM_URL` or the hosted
    /// service.
    pub fn new(private_key: impl Into<String>) -> Result<Self, Error> {
        Self::with_options(private_key, Options::default())
    }

    /// A client configured by `options`.
    pub fn with_options(private_key: impl Into<String>, options: Options) -> Result<Self, Error> {
        let key = private_key.into();
        if !key.starts_with("lsk_") {
            return Err(Error::invalid(
                codes::INVALID_CONFIG,
                "the private key must start with lsk_",
            ));
        }
        let from_env = std::env::var(URL_ENV).ok();
        let base_url = resolve_base_url(
            options.ws_endpoint.as_deref(),
            options.use_tls.unwrap_or(true),
            options.cluster.as_deref(),
            from_env.as_deref(),
        )?;
        let transport = Transport {
            base_url,
            key,
            client: reqwest::Client::new(),
            timeout: options.timeout.unwrap_or(Duration::from_secs(30)),
            max_retries: options.max_retries.unwrap_or(3),
            sleep: tokio_sleep(),
        };
        Ok(Self { transport })
    }

    /// The server this client talks to (`scheme://host:port`).
    pub fn base_url(&self) -> &str {
        &self.transport.base_url
    }

    /// Publishes `event` with `data` (any JSON value; a string is delivered unchanged) on one channel or
    /// several, in one `POST /events`.
    pub async fn trigger(
        &self,
        channels: impl Channels,
        event: &str,
        data: impl Serialize,
    ) -> Result<TriggerResult, Error> {
        self.trigger_with(channels, event, data, TriggerOptions::default())
            .await
    }

    /// [`LatteStreamServer::trigger`] with options (the socket to exclude).
    pub async fn trigger_with(
        &self,
        channels: impl Channels,
        event: &str,
        data: impl Serialize,
        options: TriggerOptions,
    ) -> Result<TriggerResult, Error> {
        let channels = channels.into_channels();
        if channels.is_empty() {
            return Err(Error::invalid(
                codes::MISSING_PARAMETER,
                "at least one channel is needed",
            ));
        }
        let mut body = json!({"channels": channels, "event": event, "data": to_json(data)?});
        if let Some(socket_id) = options.socket_id {
            body["socket_id"] = json!(socket_id);
        }
        self.call(Method::POST, "/events", Some(body)).await
    }

    /// Publishes several events in one `POST /batch_events`.
    pub async fn batch_trigger(&self, events: &[BatchEvent]) -> Result<BatchResult, Error> {
        if events.is_empty() {
            return Err(Error::invalid(
                codes::MISSING_PARAMETER,
                "at least one event is needed",
            ));
        }
        if let Some(i) = events.iter().position(|e| e.event.is_empty()) {
            return Err(Error::invalid(
                codes::MISSING_PARAMETER,
                format!("batch entry {i} has no event name"),
            ));
        }
        self.call(
            Method::POST,
            "/batch_events",
            Some(json!({"batch": events})),
        )
        .await
    }

    /// Authorizes a socket on a `private-…` or `presence-…` channel, locally (no request); `presence` is
    /// required for presence channels. Send the result to the client as is (it serialises to
    /// `{"auth"}` or `{"auth", "channel_data"}`).
    pub fn authorize_channel(
        &self,
        socket_id: &str,
        channel: &str,
        presence: Option<&PresenceData>,
    ) -> Result<ChannelAuth, Error> {
        authorize_channel(&self.transport.key, socket_id, channel, presence)
    }

    /// Issues an access token (`POST /apps/token`) for `user_id`, the identity a client connects as.
    pub async fn create_access_token(
        &self,
        user_id: &str,
        options: AccessTokenOptions,
    ) -> Result<AccessToken, Error> {
        let mut body = json!({"socket_id": user_id});
        if let Some(permissions) = options.permissions {
            body["permissions"] = json!(permissions);
        }
        if let Some(expires_in) = options.expires_in {
            body["expires_in"] = json!(expires_in);
        }
        self.call(Method::POST, "/apps/token", Some(body)).await
    }

    /// Occupied channels (`GET /channels`), only those starting with `filter_by_prefix` when given.
    pub async fn get_channels(&self, filter_by_prefix: Option<&str>) -> Result<ChannelList, Error> {
        let path = match filter_by_prefix.filter(|p| !p.is_empty()) {
            Some(prefix) => format!("/channels?filter_by_prefix={}", encode(prefix)),
            None => "/channels".to_owned(),
        };
        self.call(Method::GET, &path, None).await
    }

    /// One channel (`GET /channels/{name}`); an unoccupied channel is not an error.
    pub async fn get_channel_info(&self, channel: &str) -> Result<ChannelInfo, Error> {
        self.call(Method::GET, &format!("/channels/{}", encode(channel)), None)
            .await
    }

    /// The users of a presence channel (`GET /channels/{name}/users`).
    pub async fn get_users(&self, channel: &str) -> Result<UserList, Error> {
        let path = format!("/channels/{}/users", encode(channel));
        self.call(Method::GET, &path, None).await
    }

    /// Closes every connection acting for `user_id`; returns how many the answering node closed.
    pub async fn terminate_user_connections(&self, user_id: &str) -> Result<u64, Error> {
        if user_id.is_empty() {
            return Err(Error::invalid(
                codes::MISSING_PARAMETER,
                "a user id is needed",
            ));
        }
        let path = format!("/users/{}/terminate_connections", encode(user_id));
        let answer: Value = self.call(Method::POST, &path, Some(json!({}))).await?;
        Ok(answer["terminated"].as_u64().unwrap_or(0))
    }

    /// Whether a webhook signed with this app's private key (`X-Pusher-Signature`) matches its raw body;
    /// use [`verify_webhook_signature`] with the endpoint's secret for `X-LatteStream-Signature`.
    pub fn verify_webhook_signature(&self, body: &[u8], signature: &str) -> bool {
        verify_webhook_signature(body, signature, &self.transport.key)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<T, Error> {
        let bytes = body.map(|b| serde_json::to_vec(&b).expect("JSON values serialise"));
        let answer = self.transport.send(method, path, bytes).await?;
        serde_json::from_slice(&answer).map_err(|e| Error::Api {
            status: 200,
            code: codes::HTTP_ERROR.to_owned(),
            message: format!("the answer is not the documented JSON: {e}"),
            details: None,
        })
    }

    #[cfg(test)]
    pub(crate) fn transport_mut(&mut self) -> &mut Transport {
        &mut self.transport
    }
}

fn to_json(data: impl Serialize) -> Result<Value, Error> {
    serde_json::to_value(data).map_err(|e| {
        Error::invalid(
            codes::INVALID_REQUEST,
            format!("data cannot be encoded as JSON: {e}"),
        )
    })
}

/// What a path segment or query value keeps unencoded: RFC 3986's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes one path segment or query value.
fn encode(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}
