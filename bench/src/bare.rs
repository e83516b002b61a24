//! The bare ceiling server: the least a server must do to pass the
//! generator's `fanout` and `idle` scenarios, so our fan-out can be compared
//! to what the machine and kernel allow.
//!
//! It hand-parses HTTP and WebSocket frames on one port. WebSocket clients
//! get `connection_established` (Pusher path `/app/KEY` or LatteStream
//! first-frame dialect) and every subscribe is acknowledged. A REST
//! `POST /events` or `POST /apps/ID/events` encodes ONE frame and hands the
//! same bytes to every socket through a broadcast channel — no channel
//! routing, no auth, no per-socket encoding. So it is only meaningful when
//! every socket listens on the published channel (fanout, idle with one
//! channel); on other scenarios it over-delivers.

mod http;
mod ws;

use bytes::Bytes;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

/// Frames kept for slow sockets before they miss one (counted as lagged).
const BACKLOG: usize = 16_384;

/// State shared by all connections of the bare server.
pub struct Bare {
    frames: broadcast::Sender<Bytes>,
    next_id: AtomicU64,
    /// Frames a slow socket missed because it fell BACKLOG behind.
    pub lagged: AtomicU64,
}

impl Bare {
    /// A server with no connections yet.
    pub fn new() -> Arc<Bare> {
        let (frames, _) = broadcast::channel(BACKLOG);
        Arc::new(Bare {
            frames,
            next_id: AtomicU64::new(1),
            lagged: AtomicU64::new(0),
        })
    }

    /// Accepts connections forever.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> std::io::Result<()> {
        loop {
            let (sock, _) = listener.accept().await?;
            let _ = sock.set_nodelay(true);
            tokio::spawn(self.clone().handle(sock));
        }
    }

    /// Serves one TCP connection: HTTP requests until an upgrade, then
    /// WebSocket frames.
    async fn handle(self: Arc<Self>, mut sock: TcpStream) {
        let mut buf = bytes::BytesMut::with_capacity(1024);
        while let Ok(Some(req)) = http::read_request(&mut sock, &mut buf).await {
            if req.websocket_key.is_some() {
                let _ = ws::run(&self, sock, buf, req).await;
                return;
            }
            let (status, body) = self.rest(&req);
            if http::respond(&mut sock, status, &body).await.is_err() {
                return;
            }
        }
    }

    /// Handles a REST call: publish requests broadcast, anything else 404.
    fn rest(&self, req: &http::Request) -> (u16, String) {
        let publish = req.path.ends_with("/events") || req.path.ends_with("/batch_events");
        if req.method != "POST" || !publish {
            return (404, "{\"error\":\"not found\"}".into());
        }
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&req.body) else {
            return (400, "{\"error\":\"bad json\"}".into());
        };
        let items = match v.get("batch").and_then(|b| b.as_array()) {
            Some(batch) => batch.clone(),
            None => vec![v.clone()],
        };
        let mut triggered = 0;
        for item in &items {
            triggered += self.broadcast(item);
        }
        (
            200,
            serde_json::json!({ "triggered": triggered }).to_string(),
        )
    }

    /// Encodes one event frame and hands it to every socket; returns how
    /// many sockets got it.
    fn broadcast(&self, item: &serde_json::Value) -> usize {
        let channel = item
            .get("channels")
            .and_then(|c| c.get(0))
            .or_else(|| item.get("channel"))
            .cloned()
            .unwrap_or_default();
        let name = item
            .get("event")
            .or_else(|| item.get("name"))
            .cloned()
            .unwrap_or_default();
        let data = item.get("data").cloned().unwrap_or_default();
        let msg =
            serde_json::json!({ "event": name, "channel": channel, "data": data }).to_string();
        self.frames
            .send(ws::text_frame(msg.as_bytes()))
            .unwrap_or(0)
    }

    fn socket_id(&self) -> String {
        format!(
            "{}.{}",
            std::process::id(),
            self.next_id.fetch_add(1, Relaxed)
        )
    }
}
