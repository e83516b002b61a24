//! One connection's task: a single loop that selects over the socket, the send queue and the keep-alive
//! timer, so an idle connection costs one task and no extra channel.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::SinkExt;
use tokio::time::{Instant, sleep_until, timeout};

use super::client_events::ClientEventLimiter;
use crate::apps::App;
use crate::auth::Grant;
use crate::hub::{AppHub, Connection};
use crate::node::Node;
use crate::protocol::{self, ChannelName, ClientMessage, CloseCode, ErrorCode, ServerMessage};

/// What the loop does after handling something.
enum Next {
    Continue,
    Stop,
}

/// A live connection's state, owned by its task.
pub struct Session {
    pub(super) node: Arc<Node>,
    pub(super) app: Arc<App>,
    pub(super) app_hub: Arc<AppHub>,
    pub(super) conn: Arc<Connection>,
    pub(super) grant: Grant,
    /// Subscribed channels, with the presence user each was joined as.
    pub(super) channels: Vec<(ChannelName, Option<Arc<str>>)>,
    /// Boxed: most connections never send a client event, and the session's size is per connection.
    pub(super) limiter: Option<Box<ClientEventLimiter>>,
    /// The signed-in user and its watchlist, after `pusher:signin`.
    pub(super) signed_in: Option<(Arc<str>, Vec<Arc<str>>)>,
}

impl Session {
    /// A session for a registered connection.
    pub fn new(
        node: Arc<Node>,
        app: Arc<App>,
        app_hub: Arc<AppHub>,
        conn: Arc<Connection>,
        grant: Grant,
    ) -> Self {
        Self {
            node,
            app,
            app_hub,
            conn,
            grant,
            channels: Vec::new(),
            limiter: None,
            signed_in: None,
        }
    }

    /// Runs until the client leaves, the server closes it, or it falls silent. Its future is what an
    /// idle connection costs, so it keeps little state across awaits and boxes the cold paths.
    pub async fn run(mut self, mut socket: WebSocket) {
        let mut last_seen = Instant::now();
        let mut awaiting_pong = false;
        let mut frames = Vec::new();
        loop {
            let ws = self.node.ws_config();
            let grace = if awaiting_pong {
                ws.pong_timeout
            } else {
                Default::default()
            };
            let deadline = last_seen + ws.activity_timeout + grace;
            let next = tokio::select! {
                biased;
                _ = self.conn.outbox.ready() => Box::pin(self.flush(&mut socket, &mut frames)).await,
                incoming = socket.recv() => match incoming {
                    Some(Ok(message)) => {
                        last_seen = Instant::now();
                        awaiting_pong = false;
                        self.on_message(message)
                    }
                    Some(Err(error)) => {
                        Box::pin(close_for_read_error(&mut socket, error)).await;
                        Next::Stop
                    }
                    None => Next::Stop,
                },
                _ = sleep_until(deadline) => {
                    if awaiting_pong {
                        self.conn.close(CloseCode::PongTimeout);
                    } else {
                        self.conn.send(&ServerMessage::Ping);
                        awaiting_pong = true;
                    }
                    Next::Continue
                }
            };
            if let Next::Stop = next {
                break;
            }
        }
        self.leave_all();
        self.node.metrics().connection_closed();
    }

    /// Writes every queued frame with one flush; closes the socket when a close was asked.
    async fn flush(&self, socket: &mut WebSocket, frames: &mut Vec<Utf8Bytes>) -> Next {
        let limit = self.node.ws_config().write_timeout;
        let close = self.conn.outbox.drain(frames);
        let write = async {
            for frame in frames.drain(..) {
                socket.feed(Message::Text(frame)).await?;
            }
            if let Some(code) = close {
                let error = ServerMessage::Error {
                    code: Some(code.code()),
                    message: code.reason(),
                };
                socket
                    .feed(Message::Text(protocol::encode(self.conn.dialect, &error)))
                    .await?;
                let frame = CloseFrame {
                    code: code.code(),
                    reason: code.reason().into(),
                };
                socket.feed(Message::Close(Some(frame))).await?;
            }
            socket.flush().await
        };
        let written = timeout(limit, write).await;
        frames.clear();
        if frames.capacity() > 64 {
            frames.shrink_to(8);
        }
        match written {
            Ok(Ok(())) if close.is_none() => Next::Continue,
            Ok(_) => Next::Stop,
            Err(_) => {
                self.node.metrics().slow_consumer();
                Next::Stop
            }
        }
    }

    fn on_message(&mut self, message: Message) -> Next {
        match message {
            Message::Text(text) => match protocol::decode(self.conn.dialect, &text) {
                Ok(decoded) => self.handle(decoded),
                Err(e) => self.error(ErrorCode::InvalidMessage, &e.to_string()),
            },
            Message::Binary(_) => {
                self.error(ErrorCode::InvalidMessage, "binary frames are not supported")
            }
            Message::Close(_) => return Next::Stop,
            Message::Ping(_) | Message::Pong(_) => {}
        }
        Next::Continue
    }

    fn handle(&mut self, message: ClientMessage) {
        match message {
            ClientMessage::Subscribe(request) => self.subscribe(request),
            ClientMessage::Unsubscribe { channel } => self.unsubscribe(&channel),
            ClientMessage::Ping => {
                self.conn.send(&ServerMessage::Pong);
            }
            ClientMessage::Pong => {}
            ClientMessage::ClientEvent {
                event,
                channel,
                data,
            } => self.client_event(event, &channel, data),
            ClientMessage::Signin { auth, user_data } => self.signin(&auth, &user_data),
            ClientMessage::Batch(messages) => messages.into_iter().for_each(|m| self.handle(m)),
            ClientMessage::Connect { .. } => {
                self.error(ErrorCode::InvalidMessage, "already connected")
            }
        }
    }

    /// Answers with an application error; the connection stays open.
    pub(super) fn error(&self, code: ErrorCode, message: &str) {
        self.conn.send(&ServerMessage::Error {
            code: Some(code.code()),
            message,
        });
    }

    /// Removes every subscription and the connection itself from the hub.
    fn leave_all(&mut self) {
        self.sign_out();
        for (channel, _) in self.channels.drain(..) {
            self.app_hub.unsubscribe(
                self.conn.socket_id,
                &channel,
                self.app.settings.subscription_count_events,
            );
        }
        self.app_hub.remove_connection(self.conn.socket_id);
    }
}

/// Closes with the RFC 6455 code for a frame the transport refused: 1009 for one over the size limit,
/// 1007 for invalid UTF-8 in a text frame, 1002 for other protocol violations.
async fn close_for_read_error(socket: &mut WebSocket, error: axum::Error) {
    let code = match error
        .into_inner()
        .downcast::<tungstenite::Error>()
        .map(|e| *e)
    {
        Ok(tungstenite::Error::Capacity(_)) => (1009, "Message too big"),
        Ok(tungstenite::Error::Utf8(_)) => (1007, "Invalid UTF-8"),
        Ok(tungstenite::Error::Protocol(_)) => (1002, "Protocol error"),
        _ => return,
    };
    let frame = CloseFrame {
        code: code.0,
        reason: code.1.into(),
    };
    let _ = timeout(
        std::time::Duration::from_secs(1),
        socket.send(Message::Close(Some(frame))),
    )
    .await;
}
