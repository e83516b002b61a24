//! Test support: a real server on `127.0.0.1:0`, WebSocket clients of both dialects, an HTTP client,
//! and `wait_until`. Every integration test goes through here.
#![allow(dead_code)]

pub mod postgres;
pub mod process;
pub mod pusher_sign;
pub mod raw;
pub mod receiver;
pub mod redis;
pub mod signed;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use lattestream::apps::{App, AppSettings};
use lattestream::auth::{Secret, hmac_hex};
use lattestream::config::Config;
use lattestream::node::Node;
use lattestream::protocol::AppId;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The first test app's keys.
pub const KEY: &str = "lspk_test_key";
/// The first test app's private key.
pub const SECRET: &str = "lsk_test_secret";
/// The second app (client events off), for cross-app checks.
pub const OTHER_KEY: &str = "lspk_other_key";
/// The second app's private key.
pub const OTHER_SECRET: &str = "lsk_other_secret";

/// A config with two apps: `1` (client events on) and `2` (defaults).
pub fn test_config() -> Config {
    let first = AppSettings {
        client_events: true,
        ..Default::default()
    };
    let app = |id: &str, key: &str, secret: &str, settings: AppSettings| App {
        id: AppId::parse(id).unwrap(),
        key: key.into(),
        secret: Secret::new(secret),
        previous_secret: None,
        settings,
    };
    Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        // Only the configuration's apps: nothing written to disk (nor read from the checkout's ./data,
        // where a developer's server may have left a webhook queue).
        database_url: Some(lattestream::config::Sensitive::new("sqlite::memory:")),
        data_dir: std::env::temp_dir().join(format!("ls-test-{}", uuid::Uuid::new_v4())),
        apps: vec![
            app("1", KEY, SECRET, first),
            app("2", OTHER_KEY, OTHER_SECRET, AppSettings::default()),
        ],
        ..Default::default()
    }
}

/// A server running in this test's runtime.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its core, for looking inside.
    pub node: Arc<Node>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    /// A server with [`test_config`].
    pub async fn start() -> Self {
        Self::with_config(test_config()).await
    }

    /// A server with the given config (its address is replaced by port 0).
    pub async fn with_config(config: Config) -> Self {
        let node = lattestream::start(&config).await.expect("start");
        Self::with_node(config, node).await
    }

    /// `http://ADDR{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops the server and waits for it to finish draining.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// POSTs JSON with `Authorization: Bearer {key}`; returns status and body.
    pub async fn post(&self, path: &str, key: &str, body: &Value) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(self.url(path))
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// POSTs a raw body with no authorization header.
    pub async fn post_raw(&self, path: &str, body: &str) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(self.url(path))
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Triggers one event through the REST API.
    pub async fn trigger(&self, channel: &str, event: &str, data: Value) -> Value {
        let (status, body) = self
            .post(
                "/events",
                SECRET,
                &json!({"channels": [channel], "event": event, "data": data}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// A Pusher client of app 1, connected.
    pub async fn pusher(&self) -> WsClient {
        WsClient::pusher(self.addr, KEY).await
    }

    /// A LatteStream client presenting `credential`, connected.
    pub async fn lattestream(&self, credential: &str) -> WsClient {
        WsClient::lattestream(self.addr, credential).await
    }
}

type Stream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for something that should happen; a bound against hangs, not a measurement.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// Which framing a [`WsClient`] speaks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dialect {
    /// `pusher:` events, string data.
    Pusher,
    /// `lattestream:` events, object data.
    LatteStream,
}

/// A WebSocket client that speaks either dialect.
pub struct WsClient {
    stream: Stream,
    /// The dialect.
    pub dialect: Dialect,
    /// The socket id from `connection_established`.
    pub socket_id: String,
}

impl WsClient {
    /// Opens `/app/{key}?protocol=7` without waiting for the greeting.
    pub async fn pusher_raw(addr: SocketAddr, key: &str, query: &str) -> Self {
        let url = format!("ws://{addr}/app/{key}{query}");
        let (stream, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("connect");
        Self {
            stream,
            dialect: Dialect::Pusher,
            socket_id: String::new(),
        }
    }

    /// A connected Pusher client.
    pub async fn pusher(addr: SocketAddr, key: &str) -> Self {
        let mut client = Self::pusher_raw(addr, key, "?protocol=7&client=test&version=1").await;
        client.await_established().await;
        client
    }

    /// Opens `/` and sends the credential frame, without waiting for the greeting.
    pub async fn lattestream_raw(addr: SocketAddr, credential: &str) -> Self {
        let (stream, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/"))
            .await
            .expect("connect");
        let mut client = Self {
            stream,
            dialect: Dialect::LatteStream,
            socket_id: String::new(),
        };
        client.send(json!({ "api_key": credential })).await;
        client
    }

    /// A connected LatteStream client.
    pub async fn lattestream(addr: SocketAddr, credential: &str) -> Self {
        let mut client = Self::lattestream_raw(addr, credential).await;
        client.await_established().await;
        client
    }

    async fn await_established(&mut self) {
        let greeting = self.expect(&self.name("connection_established")).await;
        self.socket_id = data_of(&greeting)["socket_id"].as_str().unwrap().to_owned();
    }

    /// `pusher:x` or `lattestream:x`.
    pub fn name(&self, action: &str) -> String {
        match self.dialect {
            Dialect::Pusher => format!("pusher:{action}"),
            Dialect::LatteStream => format!("lattestream:{action}"),
        }
    }

    /// `pusher_internal:x` or `lattestream_internal:x`.
    pub fn internal(&self, action: &str) -> String {
        match self.dialect {
            Dialect::Pusher => format!("pusher_internal:{action}"),
            Dialect::LatteStream => format!("lattestream_internal:{action}"),
        }
    }

    /// Sends a JSON frame.
    pub async fn send(&mut self, frame: Value) {
        self.stream
            .send(Message::text(frame.to_string()))
            .await
            .expect("send");
    }

    /// Sends a raw frame.
    pub async fn send_raw(&mut self, message: Message) {
        self.stream.send(message).await.expect("send");
    }

    /// The next text frame as JSON, or `None` when the connection closed (with its close code).
    pub async fn next(&mut self) -> Result<Value, Option<u16>> {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.stream.next())
                .await
                .expect("a frame in time");
            match message {
                Some(Ok(Message::Text(text))) => {
                    return Ok(serde_json::from_str(&text).expect("server sends JSON"));
                }
                Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| u16::from(f.code))),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Err(None),
            }
        }
    }

    /// The next message with no time bound, for tests on paused time (where a timeout would fire at once).
    pub async fn next_untimed(&mut self) -> Result<Value, Option<u16>> {
        loop {
            match self.stream.next().await {
                Some(Ok(Message::Text(text))) => {
                    return Ok(serde_json::from_str(&text).expect("server sends JSON"));
                }
                Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| u16::from(f.code))),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Err(None),
            }
        }
    }

    /// Waits for the event named `event`, skipping others (pings included); panics on close.
    pub async fn expect(&mut self, event: &str) -> Value {
        loop {
            match self.next().await {
                Ok(frame) if frame["event"] == event => return frame,
                Ok(_) => continue,
                Err(code) => panic!("closed ({code:?}) while waiting for {event}"),
            }
        }
    }

    /// Waits for the connection to close, returning its close code.
    pub async fn expect_close(&mut self) -> Option<u16> {
        loop {
            if let Err(code) = self.next().await {
                return code;
            }
        }
    }

    /// Reads whatever backlog the server managed to send, then returns the close code.
    pub async fn expect_close_after_backlog(&mut self) -> Option<u16> {
        loop {
            match self.next_untimed().await {
                Ok(_) => continue,
                Err(code) => return code,
            }
        }
    }

    /// Subscribes, with optional auth and channel data.
    pub async fn subscribe_with(
        &mut self,
        channel: &str,
        auth: Option<String>,
        channel_data: Option<String>,
    ) {
        let mut data = json!({ "channel": channel });
        if let Some(auth) = auth {
            data["auth"] = json!(auth);
        }
        if let Some(channel_data) = channel_data {
            data["channel_data"] = json!(channel_data);
        }
        let frame = json!({ "event": self.name("subscribe"), "data": data });
        self.send(frame).await;
    }

    /// Subscribes and waits for success; signs private and presence channels with app 1's secret.
    pub async fn subscribe(&mut self, channel: &str, channel_data: Option<&str>) -> Value {
        let auth = (channel.starts_with("private-") || channel.starts_with("presence-"))
            .then(|| sign(&self.socket_id, channel, channel_data));
        self.subscribe_with(channel, auth, channel_data.map(str::to_owned))
            .await;
        let ok = self.expect(&self.internal("subscription_succeeded")).await;
        assert_eq!(ok["channel"], channel);
        ok
    }
}

/// `KEY:HEX` for app 1, as the Pusher docs describe.
pub fn sign(socket_id: &str, channel: &str, channel_data: Option<&str>) -> String {
    let message = match channel_data {
        Some(data) => format!("{socket_id}:{channel}:{data}"),
        None => format!("{socket_id}:{channel}"),
    };
    format!("{KEY}:{}", hmac_hex(&Secret::new(SECRET), &message))
}

/// A frame's `data` as JSON, whether it came as a string (Pusher) or an object (LatteStream).
pub fn data_of(frame: &Value) -> Value {
    match &frame["data"] {
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone())),
        other => other.clone(),
    }
}

/// Polls `condition` until it holds; panics after [`PATIENCE`].
pub async fn wait_until(mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met in time"
        );
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Polls the asynchronous `check` until it holds; panics after [`PATIENCE`].
pub async fn eventually<F: std::future::Future<Output = bool>>(mut check: impl FnMut() -> F) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met in time"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A REST answer: status, headers and JSON body (`Null` when the body is not JSON).
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as JSON.
    pub body: Value,
}

impl Reply {
    /// A header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl TestServer {
    /// A server over a node the test built (e.g. with a hand-clocked rate limiter).
    pub async fn with_node(config: Config, node: Arc<Node>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let serving = node.clone();
        let task = tokio::spawn(async move {
            lattestream::serve(listener, serving, &config, shutdown, Duration::from_secs(2))
                .await
                .unwrap();
        });
        Self {
            addr,
            node,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Sends a request built on a fresh client and reads the answer.
    pub async fn send(
        &self,
        build: impl FnOnce(reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Reply {
        let response = build(reqwest::Client::new()).send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
        }
    }

    /// `GET path` with `Authorization: Bearer {key}`.
    pub async fn get(&self, path: &str, key: &str) -> Reply {
        let url = self.url(path);
        self.send(|c| c.get(url).bearer_auth(key)).await
    }

    /// `POST path` with a JSON body and `Authorization: Bearer {key}`.
    pub async fn post_json(&self, path: &str, key: &str, body: &Value) -> Reply {
        let url = self.url(path);
        self.send(|c| c.post(url).bearer_auth(key).json(body)).await
    }
}

/// A LatteStream client opened at `/{query}` (e.g. `?discovery_token=…`), credential sent, not waited on.
pub async fn lattestream_at(addr: SocketAddr, query: &str, credential: &str) -> WsClient {
    let (stream, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/{query}"))
        .await
        .expect("connect");
    let mut client = WsClient {
        stream,
        dialect: Dialect::LatteStream,
        socket_id: String::new(),
    };
    client.send(json!({ "api_key": credential })).await;
    client
}

impl WsClient {
    /// Waits for `connection_established` and records the socket id (after a `_raw` or `_at` open).
    pub async fn established(&mut self) {
        self.await_established().await;
    }
}
