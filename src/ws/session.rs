//! One connection's task: a single loop that selects over the socket, the send queue's calls for help
//! and the keep-alive timer, so an idle connection costs one task and no extra channel.

use std::sync::Arc;

use std::future::poll_fn;

use tokio::time::timeout;

use super::client_events::ClientEventLimiter;
use super::frame::close_payload;
use super::keepalive::{Due, KeepAlive};
use super::socket::{Incoming, ReadError, Socket};
use crate::apps::App;
use crate::auth::Grant;
use crate::hub::Work;
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
    /// idle connection costs, so it keeps little state across awaits and boxes the cold paths. It does
    /// not write deliveries: publishers do, through the outbox; it steps in only when the socket's
    /// buffer is full or the connection must end.
    pub async fn run(mut self, mut socket: Socket) {
        let mut keepalive = KeepAlive::new(self.node.ws_config());
        let timer = tokio::time::sleep_until(keepalive.deadline());
        tokio::pin!(timer);
        loop {
            let next = tokio::select! {
                biased;
                work = poll_fn(|cx| self.conn.outbox.poll_work(cx)) => {
                    Box::pin(self.write_blocked(&socket, work)).await
                }
                readable = poll_fn(|cx| socket.poll_readable(cx)) => {
                    keepalive.heard();
                    match readable {
                        Ok(()) => self.read(&mut socket),
                        Err(_) => Next::Stop,
                    }
                }
                () = &mut timer => {
                    match keepalive.due() {
                        Due::Nothing => {}
                        Due::Ping => {
                            self.conn.send(&ServerMessage::Ping);
                        }
                        Due::Close => self.conn.close(CloseCode::PongTimeout),
                    }
                    timer.as_mut().reset(keepalive.deadline());
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

    /// Handles every message the socket has, sends the pongs and close echo it asks for, and closes
    /// with the RFC 6455 code when the client broke the framing rules.
    fn read(&mut self, socket: &mut Socket) -> Next {
        let mut next = Next::Continue;
        let result = socket.read_available(&mut |message| {
            if let Next::Stop = self.on_message(message) {
                next = Next::Stop;
            }
        });
        for (opcode, payload) in socket.take_control() {
            self.conn.outbox.enqueue(opcode, payload);
        }
        self.conn.outbox.flush();
        match result {
            Ok(()) => next,
            Err(ReadError::Gone) => Next::Stop,
            Err(ReadError::Violation(violation)) => {
                let (code, reason) = violation.close();
                self.conn
                    .outbox
                    .close(None, close_payload(code, reason), false);
                Next::Continue
            }
        }
    }

    /// Waits, within the write timeout, for the socket to take more bytes; a client that reads
    /// nothing for that long is a slow consumer and is dropped.
    async fn write_blocked(&self, socket: &Socket, work: Work) -> Next {
        if let Work::Finish = work {
            return Next::Stop;
        }
        let limit = self.node.ws_config().write_timeout;
        match timeout(limit, socket.stream().writable()).await {
            Ok(Ok(())) => {
                self.conn.outbox.resume();
                Next::Continue
            }
            Ok(Err(_)) => Next::Stop,
            Err(_) => {
                self.node.metrics().slow_consumer();
                Next::Stop
            }
        }
    }

    fn on_message(&mut self, message: Incoming<'_>) -> Next {
        match message {
            Incoming::Text(text) => match protocol::decode(self.conn.dialect, text) {
                Ok(decoded) => self.handle(decoded),
                Err(e) => self.error(ErrorCode::InvalidMessage, &e.to_string()),
            },
            Incoming::Binary => {
                self.error(ErrorCode::InvalidMessage, "binary frames are not supported")
            }
            Incoming::Close => return Next::Stop,
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
