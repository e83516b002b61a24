//! A connection's bounded send queue and doorbell. Frames meant for this connection alone are pushed
//! here; channel events stay in their channel's shared log, and the log only rings this connection
//! with the slot to read from. The connection's task drains both into one socket flush. A full queue
//! marks the connection as a slow consumer to be closed, and drops what it held: memory per
//! connection stays bounded.
//!
//! While the task is idle (nothing queued, not writing), a publisher writes a channel's new entry to
//! the socket itself ([`Outbox::deliver`]) instead of waking the task: waking a task, polling it and
//! reading the log under its lock cost a fan-out as much again as the write. The queue's lock is held
//! for that write, so the task and the publisher never write at the same time, and what the socket
//! did not take is handed to the task with the count of bytes already written.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use parking_lot::{Mutex, MutexGuard};
use tungstenite::Utf8Bytes;

use super::connection::Connection;
use super::log::{ChannelLog, Read, Slot};
use crate::protocol::CloseCode;

/// Entries a publisher writes for a subscriber at once; one is the usual case (a publish finds the
/// subscriber caught up), more when publishes raced.
const DIRECT_READ_LIMIT: usize = 16;

/// A connection's socket, as publishers write to it while its task is idle.
pub trait Sink: Send + Sync {
    /// Writes `frames` as text frames as far as the socket takes them without waiting: the bytes
    /// written (headers included) and whether that was all of them.
    fn try_send(&self, frames: &[Utf8Bytes]) -> io::Result<(usize, bool)>;
}

/// A channel log with entries this connection has not read, and its place in it.
pub type ReadyLog = (Arc<ChannelLog>, Slot);

#[derive(Default)]
struct State {
    frames: VecDeque<Utf8Bytes>,
    /// Channel logs with entries for this connection.
    logs: Vec<ReadyLog>,
    close: Option<CloseCode>,
    /// The writer, parked until there is something to write; woken (and cleared) by the next push.
    waker: Option<Waker>,
    /// The socket, while the connection's task runs.
    sink: Option<Arc<dyn Sink>>,
    /// The task took frames and is writing them: publishers must not write now.
    writing: bool,
    /// Bytes at the start of `frames` a publisher already wrote.
    /// (`u32`: a queue is paid per connection, and holds far less than 4 GiB.)
    written: u32,
}

impl State {
    /// Whether a publisher may write to the socket now: the task is neither writing nor has anything
    /// to write before the publisher's frames.
    fn idle(&self) -> bool {
        !self.writing && self.frames.is_empty() && self.logs.is_empty() && self.close.is_none()
    }
}

/// The queue between publishers and one connection's writer.
pub struct Outbox {
    state: Mutex<State>,
    capacity: u32,
}

/// What a push did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Queued for sending.
    Queued,
    /// The connection is closing; the frame was dropped.
    Closed,
    /// The queue was full: the connection is now closing as a slow consumer.
    Overflowed,
}

impl Outbox {
    /// An empty queue holding at most `capacity` frames.
    pub fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State::default()),
            capacity: u32::try_from(capacity).unwrap_or(u32::MAX).max(1),
        }
    }

    /// Queues a frame. Never waits: a full queue closes the connection instead.
    pub fn push(&self, frame: Utf8Bytes) -> Pushed {
        let mut state = self.state.lock();
        if state.close.is_some() {
            return Pushed::Closed;
        }
        if state.frames.len() >= self.capacity as usize {
            state.close = Some(CloseCode::SlowConsumer);
            // Frames a publisher began writing must be finished before the close frame.
            if state.written == 0 {
                state.frames = VecDeque::new();
            }
            wake(state);
            return Pushed::Overflowed;
        }
        state.frames.push_back(frame);
        wake(state);
        Pushed::Queued
    }

    /// Rings the writer: the channel log has entries for it at `slot`.
    pub fn log_ready(&self, log: Arc<ChannelLog>, slot: Slot) {
        let mut state = self.state.lock();
        state.logs.push((log, slot));
        wake(state);
    }

    /// Writes what `log` holds for `conn` (whose outbox this is) at `slot` straight to the socket when
    /// the connection's task is idle; otherwise, or for what the socket does not take, rings the task
    /// as [`Outbox::log_ready`] does. `scratch` is the caller's buffer, reused across subscribers.
    pub fn deliver(
        &self,
        log: &Arc<ChannelLog>,
        slot: Slot,
        conn: &Connection,
        scratch: &mut Vec<Utf8Bytes>,
    ) {
        let mut state = self.state.lock();
        let sink = match state.idle() {
            true => state.sink.take(),
            false => None,
        };
        let Some(sink) = sink else {
            state.logs.push((log.clone(), slot));
            return wake(state);
        };
        scratch.clear();
        let read = log.read(slot, conn, scratch, DIRECT_READ_LIMIT);
        let sent = sink.try_send(scratch);
        state.sink = Some(sink);
        let more = read == Read::More;
        if more {
            state.logs.push((log.clone(), slot));
        }
        let whole = matches!(sent, Ok((_, true)));
        if !whole {
            // The task writes the rest (or meets the error) after the bytes already on the wire.
            state.written = sent.map_or(0, |(n, _)| n.try_into().unwrap_or(u32::MAX));
            state.frames.extend(scratch.drain(..));
        }
        if more || !whole {
            wake(state);
        }
    }

    /// Lets publishers write to `sink` while the task is idle (see [`Outbox::deliver`]).
    pub fn attach(&self, sink: Arc<dyn Sink>) {
        self.state.lock().sink = Some(sink);
    }

    /// Stops publishers writing to the socket, before the task drops it.
    pub fn detach(&self) {
        self.state.lock().sink = None;
    }

    /// The task finished writing what it took; publishers may write again while it is idle.
    pub fn finish_writing(&self) {
        self.state.lock().writing = false;
    }

    /// Asks the writer to close the connection with `code` after what is already queued; false when
    /// it was already closing.
    pub fn close(&self, code: CloseCode) -> bool {
        let mut state = self.state.lock();
        let first = state.close.is_none();
        if first {
            state.close = Some(code);
        }
        wake(state);
        first
    }

    /// Moves every queued frame into `frames` and every rung log into `logs`, and adds to `written`
    /// the bytes of those frames a publisher already wrote; returns the close code once the
    /// connection must close. Publishers do not write until [`Outbox::finish_writing`].
    pub fn drain(
        &self,
        frames: &mut Vec<Utf8Bytes>,
        logs: &mut Vec<ReadyLog>,
        written: &mut usize,
    ) -> Option<CloseCode> {
        let mut state = self.state.lock();
        state.writing = true;
        *written += std::mem::take(&mut state.written) as usize;
        // The queue's room goes with its frames: an idle connection holds no buffer.
        frames.extend(std::mem::take(&mut state.frames));
        logs.append(&mut std::mem::take(&mut state.logs));
        state.close
    }

    /// Ready when frames are queued, a log rang or a close was asked; otherwise parks the writer's
    /// waker, which the next push takes and wakes.
    pub fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.state.lock();
        if !state.frames.is_empty() || !state.logs.is_empty() || state.close.is_some() {
            return Poll::Ready(());
        }
        match &state.waker {
            Some(parked) if parked.will_wake(cx.waker()) => {}
            _ => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

/// Wakes the parked writer, if any, after releasing the lock.
fn wake(mut state: MutexGuard<'_, State>) {
    let waker = state.waker.take();
    drop(state);
    if let Some(waker) = waker {
        waker.wake();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_closes_as_slow_consumer_and_frees_the_queue() {
        let outbox = Outbox::new(2);
        assert_eq!(outbox.push("a".into()), Pushed::Queued);
        assert_eq!(outbox.push("b".into()), Pushed::Queued);
        assert_eq!(outbox.push("c".into()), Pushed::Overflowed);
        assert_eq!(outbox.push("d".into()), Pushed::Closed);
        let mut out = Vec::new();
        assert_eq!(
            outbox.drain(&mut out, &mut Vec::new(), &mut 0),
            Some(CloseCode::SlowConsumer)
        );
        assert!(out.is_empty());
    }

    #[test]
    fn a_drained_queue_holds_no_room_and_a_connection_stays_small() {
        let outbox = Outbox::new(8);
        outbox.push("a".into());
        outbox.drain(&mut Vec::new(), &mut Vec::new(), &mut 0);
        let state = outbox.state.lock();
        assert_eq!((state.frames.capacity(), state.logs.capacity()), (0, 0));
        // A connection's handle (with this queue inside) is paid per connection.
        let size = size_of::<crate::hub::Connection>();
        assert!(size <= 184, "{size}");
    }

    #[test]
    fn drain_keeps_order_and_close_comes_after_frames() {
        let outbox = Outbox::new(8);
        outbox.push("a".into());
        outbox.push("b".into());
        outbox.close(CloseCode::ReconnectNow);
        let mut out = Vec::new();
        assert_eq!(
            outbox.drain(&mut out, &mut Vec::new(), &mut 0),
            Some(CloseCode::ReconnectNow)
        );
        assert_eq!(
            out.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
    }

    #[tokio::test]
    async fn a_push_wakes_the_writer() {
        let outbox = std::sync::Arc::new(Outbox::new(8));
        let waiter = tokio::spawn({
            let outbox = outbox.clone();
            async move { std::future::poll_fn(|cx| outbox.poll_ready(cx)).await }
        });
        outbox.push("a".into());
        waiter.await.unwrap();
    }
}
