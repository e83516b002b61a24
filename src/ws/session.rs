//! One connection's task: a single loop that selects over the socket, the send queue and the keep-alive
//! timer, so an idle connection costs one task and no extra channel.

use std::sync::Arc;

use std::future::poll_fn;

use tokio::time::timeout;
use tungstenite::Utf8Bytes;

use super::client_events::ClientEventLimiter;
use super::frame::Violation;
use super::inbound::Inbound;
use super::keepalive::{Due, KeepAlive};
use super::socket::{Incoming, ReadError, Socket};
use crate::apps::App;
use crate::auth::Grant;
use crate::hub::{Connection, Read, ReadyLog};
use crate::node::Node;
use crate::protocol::{self, ChannelName, CloseCode, ServerMessage};

/// Frames taken from one channel log per flush; a log with more rings again, so one busy channel
/// cannot hold the connection's task (or its memory) for long.
const FRAMES_PER_LOG_READ: usize = 64;

/// What the loop does after handling something.
pub(super) enum Next {
    Continue,
    Stop,
}

/// A signed-in user and its watchlist.
pub(super) type SignedIn = (Arc<str>, Vec<Arc<str>>);

/// What the connection's credential allows, without the user it names (the connection keeps that):
/// three flags instead of a whole [`Grant`] in every connection's future.
#[derive(Debug, Clone, Copy)]
pub(super) struct Allowed {
    pub trusted: bool,
    pub read: bool,
    pub write: bool,
}

/// A live connection's state, owned by its task.
pub struct Session {
    pub(super) node: Arc<Node>,
    pub(super) app: Arc<App>,
    pub(super) conn: Arc<Connection>,
    pub(super) grant: Allowed,
    /// Subscribed channels, with the presence user each was joined as.
    pub(super) channels: Vec<(ChannelName, Option<Arc<str>>)>,
    /// Boxed: most connections never send a client event, and the session's size is per connection.
    pub(super) limiter: Option<Box<ClientEventLimiter>>,
    /// The signed-in user and its watchlist, after `pusher:signin`; boxed like the limiter.
    pub(super) signed_in: Option<Box<SignedIn>>,
}

impl Session {
    /// A session for a registered connection.
    pub fn new(node: Arc<Node>, app: Arc<App>, conn: Arc<Connection>, grant: Grant) -> Self {
        Self {
            node,
            app,
            conn,
            grant: Allowed {
                trusted: grant.trusted,
                read: grant.read,
                write: grant.write,
            },
            channels: Vec::new(),
            limiter: None,
            signed_in: None,
        }
    }

    /// Runs until the client leaves, the server closes it, or it falls silent. Its future is what an
    /// idle connection costs, so it keeps little state across awaits and boxes the cold paths. An
    /// `async move` block rather than an `async fn`: the block works on what it captured, where an
    /// `async fn` would keep its arguments twice in the future (once as given, once as moved in).
    #[allow(clippy::manual_async_fn)] // the point: see above
    pub fn run(mut self, mut socket: Socket) -> impl Future<Output = ()> + Send {
        async move {
            let mut keepalive = KeepAlive::new(self.node.ws_config());
            let timer = tokio::time::sleep_until(keepalive.deadline());
            tokio::pin!(timer);
            self.conn.outbox.attach(socket.sink());
            loop {
                // Futures here are polled in place (`poll_fn`, the pinned timer): nothing is registered
                // and unregistered per delivery.
                let next = tokio::select! {
                    biased;
                    () = poll_fn(|cx| self.conn.outbox.poll_ready(cx)) => {
                        // Local to the branch, so its room in the future is shared with the
                        // other branches' (the connection's future is its idle cost).
                        let mut out = Outgoing::default();
                        let next = match self.flush_now(&mut socket, &mut out) {
                            Ok(next) => next,
                            Err(written) => Box::pin(self.flush(&mut socket, &mut out, written)).await,
                        };
                        self.conn.outbox.finish_writing();
                        next
                    }
                    readable = poll_fn(|cx| socket.poll_readable(cx)) => {
                        if keepalive.heard() {
                            // The pong to our ping: the timer waits for the next ping again.
                            timer.as_mut().reset(keepalive.deadline());
                        }
                        let read = readable.map(|()| self.read(&mut socket));
                        let read = match read {
                            Ok((read, inbound)) if inbound.is_empty() => Ok(read),
                            // Handled in order, one by one, waiting where the cluster must answer.
                            Ok((read, inbound)) => {
                                Box::pin(self.handle_all(inbound)).await;
                                Ok(read)
                            }
                            Err(gone) => Err(gone),
                        };
                        match read {
                            Ok(Ok(next)) if !socket.has_control_output() => next,
                            Ok(Ok(next)) => {
                                let mut out = Outgoing::default();
                                if let Next::Stop = next {
                                    // The client closed: no publisher may write after the close echo.
                                    self.conn.outbox.detach();
                                }
                                // Pongs, and the replies before the close echo, go out now.
                                let flushed = Box::pin(self.flush(&mut socket, &mut out, 0)).await;
                                self.conn.outbox.finish_writing();
                                if let Next::Stop = next { next } else { flushed }
                            }
                            Ok(Err(violation)) => {
                                Box::pin(self.fail(&mut socket, violation)).await;
                                Next::Stop
                            }
                            Err(_) => Next::Stop,
                        }
                    },
                    () = &mut timer => {
                        match keepalive.due() {
                            Due::Nothing => {}
                            Due::Ping => {
                                // Both pings: the protocol frame for clients that answer it, the RFC 6455
                                // one that browsers and `ws` answer by themselves. The queued JSON ping
                                // wakes the writer, which sends the control frame first.
                                socket.queue_ping();
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
            self.conn.outbox.detach();
            Box::pin(self.leave_all()).await;
            self.node.metrics().connection_closed();
        }
    }

    /// Reads every message the socket has, decoded, to be handled in order; with the violation when
    /// the client broke RFC 6455 (after the messages that came before it).
    fn read(&mut self, socket: &mut Socket) -> (Result<Next, Violation>, Vec<Inbound>) {
        let mut next = Next::Continue;
        let mut inbound = Vec::new();
        let dialect = self.conn.dialect;
        let result = socket.read_available(&mut |message| match message {
            Incoming::Text(text) => inbound.push(Inbound::decode(dialect, text)),
            Incoming::Binary => inbound.push(Inbound::binary()),
            Incoming::Close => next = Next::Stop,
        });
        let read = match result {
            Ok(()) => Ok(next),
            Err(ReadError::Gone) => Ok(Next::Stop),
            Err(ReadError::Violation(violation)) => Err(violation),
        };
        (read, inbound)
    }

    /// Fails the connection for a violation of RFC 6455: the replies to what the client sent before
    /// it go out first, then the close frame, and no publisher writes after that.
    async fn fail(&self, socket: &mut Socket, violation: Violation) {
        self.conn.outbox.detach();
        let replied = self.flush(socket, &mut Outgoing::default(), 0).await;
        self.conn.outbox.finish_writing();
        // A close the server had already asked for (a slow consumer, say) went out instead.
        if let Next::Continue = replied {
            close_for_violation(socket, violation).await;
        }
    }

    /// Takes what is waiting for this connection: its own frames first (a subscription's
    /// confirmation comes before the channel's events), then up to [`FRAMES_PER_LOG_READ`] from each
    /// channel log that rang. Returns the close code once the connection must close.
    fn take(&self, out: &mut Outgoing) -> Option<CloseCode> {
        let outbox = &self.conn.outbox;
        let close = outbox.drain(&mut out.frames, &mut out.logs, &mut out.written);
        if close.is_some() {
            out.logs.clear();
            return close;
        }
        for (log, slot) in out.logs.drain(..) {
            let read = log.read(slot, &self.conn, &mut out.frames, FRAMES_PER_LOG_READ);
            if read == Read::More {
                outbox.log_ready(log, slot);
            }
        }
        None
    }

    /// Takes what is waiting and writes what the socket takes without waiting. `Err` carries the
    /// bytes written when [`Session::flush`] must finish the job: the socket is full, control frames
    /// are waiting, or the connection is closing.
    fn flush_now(&self, socket: &mut Socket, out: &mut Outgoing) -> Result<Next, usize> {
        if self.take(out).is_some() || socket.has_control_output() || out.written > 0 {
            return Err(std::mem::take(&mut out.written));
        }
        match socket.try_send(&out.frames) {
            Ok((_, true)) => Ok(Next::Continue),
            Ok((written, false)) => Err(written),
            Err(_) => Ok(Next::Stop),
        }
    }

    /// Writes the taken frames past the first `written` bytes (and anything waiting since),
    /// waiting for the socket within the write timeout, then the close when one was asked.
    async fn flush(&self, socket: &mut Socket, out: &mut Outgoing, written: usize) -> Next {
        let limit = self.node.ws_config().write_timeout;
        let close = self.take(out);
        let written = written + std::mem::take(&mut out.written);
        let frames = &out.frames;
        let write = async {
            socket.send_from(frames, written).await?;
            let Some(code) = close else {
                return Ok(());
            };
            let error = ServerMessage::Error {
                code: Some(code.code()),
                message: code.reason(),
            };
            socket
                .send_text(protocol::encode(self.conn.dialect, &error))
                .await?;
            socket.close(code.code(), code.reason()).await
        };
        self.conn.set_blocked(true);
        let written = timeout(limit, write).await;
        self.conn.set_blocked(false);
        match written {
            Ok(Ok(())) if close.is_none() => Next::Continue,
            Ok(_) => Next::Stop,
            Err(_) => {
                // Counted once per connection, whether its queue overflowed first or not.
                self.conn.cut_off();
                Next::Stop
            }
        }
    }
}

/// What one flush writes: made for each flush and dropped after it, so an idle connection holds no
/// buffer (an allocation per flush costs little next to its write).
#[derive(Default)]
struct Outgoing {
    frames: Vec<Utf8Bytes>,
    logs: Vec<ReadyLog>,
    /// Bytes at the start of `frames` a publisher already wrote.
    written: usize,
}

/// Closes with the RFC 6455 code for what the client did wrong: 1009 for a frame or message over the
/// size limit, 1007 for invalid UTF-8 in a text message, 1002 for other protocol violations. What the
/// client still sends is read and dropped for a moment, so the close frame is not lost to a reset.
pub(super) async fn close_for_violation(socket: &mut Socket, violation: Violation) {
    let (code, reason) = violation.close();
    let _ = timeout(std::time::Duration::from_secs(1), async {
        if socket.close(code, reason).await.is_ok() {
            socket.discard_input().await;
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_every_connection_keeps_is_small() {
        // Both live in every connection's future (docs/performance.md, "Memory").
        assert!(size_of::<Session>() <= 72, "{}", size_of::<Session>());
        assert!(size_of::<Socket>() <= 80, "{}", size_of::<Socket>());
    }
}
