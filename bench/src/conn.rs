//! Opening one client connection: TCP from a chosen 127.0.0.K source address,
//! the WebSocket upgrade with small buffers, the dialect's greeting, and
//! subscribing to a channel.

use crate::proto::{Dialect, Frame};
use futures_util::{SinkExt, StreamExt};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// A client WebSocket over plain TCP.
pub type Ws = WebSocketStream<TcpStream>;
/// Errors are reported as text: the bench only counts and prints them.
pub type Result<T> = std::result::Result<T, String>;

/// How long to wait for any single handshake step.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// Where and how clients connect; shared by every connection task.
#[derive(Clone, Debug)]
pub struct Target {
    /// Base WebSocket URL, `ws://HOST:PORT`.
    pub url: String,
    /// App key sent in the URL (Pusher) or first frame (LatteStream).
    pub key: String,
    /// App secret, used to sign private/presence subscriptions.
    pub secret: String,
    /// Which protocol to speak.
    pub dialect: Dialect,
    /// Number of 127.0.0.K source addresses to spread connections over
    /// (0 = let the kernel choose); each gives ~28k ephemeral ports.
    pub source_ips: u32,
}

impl Target {
    /// The URL connection `index` uses: the URLs of a comma-separated list in turn.
    fn url_for(&self, index: usize) -> &str {
        let urls: Vec<&str> = self.url.split(',').collect();
        urls[index % urls.len()]
    }

    /// The `HOST:PORT` part of connection `index`'s URL, resolved.
    async fn server_addr(&self, index: usize) -> Result<SocketAddr> {
        let url = self.url_for(index);
        let rest = url.split("://").nth(1).unwrap_or(url);
        let hostport = rest.split('/').next().unwrap_or(rest);
        let mut addrs = tokio::net::lookup_host(hostport)
            .await
            .map_err(|e| format!("resolve {hostport}: {e}"))?;
        addrs
            .next()
            .ok_or_else(|| format!("no address for {hostport}"))
    }

    /// The source address for connection `index`: 127.0.0.(2 + index mod K)
    /// when the server is on loopback, so K addresses give K port ranges.
    fn source_for(&self, server: SocketAddr, index: usize) -> Option<SocketAddr> {
        if self.source_ips == 0 || !server.ip().is_loopback() || server.is_ipv6() {
            return None;
        }
        let k = 2 + (index as u32 % self.source_ips.min(250)) as u8;
        Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, k)), 0))
    }
}

/// Small buffers: the generator holds tens of thousands of sockets, and the
/// default 128 KiB read buffer each would dominate its memory.
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
}

/// Connects, upgrades and waits for `connection_established`; returns the
/// socket and its socket id.
pub async fn connect(t: &Target, index: usize) -> Result<(Ws, String)> {
    let server = t.server_addr(index).await?;
    let sock = TcpSocket::new_v4().map_err(|e| format!("socket: {e}"))?;
    if let Some(src) = t.source_for(server, index) {
        sock.bind(src).map_err(|e| format!("bind {src}: {e}"))?;
    }
    let tcp = timed(sock.connect(server))
        .await?
        .map_err(|e| format!("connect: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let url = t.dialect.connect_url(t.url_for(index), &t.key);
    let upgrade = tokio_tungstenite::client_async_with_config(url, tcp, Some(ws_config()));
    let (mut ws, _) = timed(upgrade).await?.map_err(|e| format!("upgrade: {e}"))?;
    if let Some(hello) = t.dialect.hello(&t.key) {
        send(&mut ws, hello).await?;
    }
    let est = wait_for(&mut ws, ":connection_established", None).await?;
    let id = est
        .socket_id()
        .ok_or("connection_established without socket_id")?;
    Ok((ws, id))
}

/// Subscribes to `channel`, signing it when it is private or presence, and
/// waits for `subscription_succeeded`.
pub async fn subscribe(
    t: &Target,
    ws: &mut Ws,
    socket_id: &str,
    channel: &str,
    user: Option<&str>,
) -> Result<()> {
    let frame = subscribe_frame(t, socket_id, channel, user);
    send(ws, frame).await?;
    wait_for(ws, ":subscription_succeeded", Some(channel)).await?;
    Ok(())
}

/// Builds the subscribe frame, with auth for `private-`/`presence-` channels;
/// presence members get `user_id = user`.
pub fn subscribe_frame(t: &Target, socket_id: &str, channel: &str, user: Option<&str>) -> String {
    let private = channel.starts_with("private-") || channel.starts_with("presence-");
    if !private {
        return t.dialect.subscribe(channel, None, None);
    }
    let data = channel.starts_with("presence-").then(|| {
        format!(
            "{{\"user_id\":\"{}\",\"user_info\":{{}}}}",
            user.unwrap_or("u")
        )
    });
    let auth = crate::proto::channel_auth(&t.key, &t.secret, socket_id, channel, data.as_deref());
    t.dialect.subscribe(channel, Some(&auth), data.as_deref())
}

/// Sends a text frame.
pub async fn send(ws: &mut Ws, text: String) -> Result<()> {
    ws.send(Message::text(text))
        .await
        .map_err(|e| format!("send: {e}"))
}

/// Reads frames until one whose event ends with `suffix` (and is on
/// `channel`, if given); answers pings and fails on `:error` events.
pub async fn wait_for(ws: &mut Ws, suffix: &str, channel: Option<&str>) -> Result<Frame> {
    loop {
        let msg = timed(ws.next()).await?;
        let text = match msg {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(c))) => {
                return Err(format!("closed while waiting for {suffix}: {c:?}"));
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(format!("read: {e}")),
            None => return Err(format!("eof while waiting for {suffix}")),
        };
        let Some(f) = Frame::parse(&text) else {
            continue;
        };
        if f.is(suffix) && (channel.is_none() || f.channel.as_deref() == channel) {
            return Ok(f);
        }
        if f.is(":error") || f.is(":subscription_error") {
            return Err(format!("server error: {text}"));
        }
        if f.is(":ping") {
            let pong = ws_pong(&f);
            send(ws, pong).await?;
        }
    }
}

/// The pong for a ping frame, in the ping's own dialect.
fn ws_pong(ping: &Frame) -> String {
    let prefix = ping.event.split(':').next().unwrap_or("pusher");
    format!("{{\"event\":\"{prefix}:pong\",\"data\":{{}}}}")
}

/// Applies [`STEP_TIMEOUT`] to a handshake step.
async fn timed<F: std::future::Future>(f: F) -> Result<F::Output> {
    tokio::time::timeout(STEP_TIMEOUT, f)
        .await
        .map_err(|_| "timed out".to_string())
}
