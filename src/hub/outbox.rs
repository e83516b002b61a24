//! A connection's bounded send queue and doorbell. Frames meant for this connection alone are pushed
//! here; channel events stay in their channel's shared log, and the log only rings this connection
//! with the slot to read from. The connection's task drains both into one socket flush. A full queue
//! marks the connection as a slow consumer to be closed, and drops what it held: memory per
//! connection stays bounded.

use std::collections::VecDeque;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use parking_lot::{Mutex, MutexGuard};
use tungstenite::Utf8Bytes;

use super::log::{ChannelLog, Slot};
use crate::protocol::CloseCode;

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
}

/// The queue between publishers and one connection's writer.
pub struct Outbox {
    state: Mutex<State>,
    capacity: usize,
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
            capacity: capacity.max(1),
        }
    }

    /// Queues a frame. Never waits: a full queue closes the connection instead.
    pub fn push(&self, frame: Utf8Bytes) -> Pushed {
        let mut state = self.state.lock();
        if state.close.is_some() {
            return Pushed::Closed;
        }
        if state.frames.len() >= self.capacity {
            state.close = Some(CloseCode::SlowConsumer);
            state.frames = VecDeque::new();
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

    /// Moves every queued frame into `frames` and every rung log into `logs`; returns the close code
    /// once the connection must close.
    pub fn drain(
        &self,
        frames: &mut Vec<Utf8Bytes>,
        logs: &mut Vec<ReadyLog>,
    ) -> Option<CloseCode> {
        let mut state = self.state.lock();
        frames.extend(state.frames.drain(..));
        if state.frames.capacity() > 64 {
            state.frames.shrink_to(8);
        }
        logs.append(&mut state.logs);
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
            outbox.drain(&mut out, &mut Vec::new()),
            Some(CloseCode::SlowConsumer)
        );
        assert!(out.is_empty());
    }

    #[test]
    fn drain_keeps_order_and_close_comes_after_frames() {
        let outbox = Outbox::new(8);
        outbox.push("a".into());
        outbox.push("b".into());
        outbox.close(CloseCode::ReconnectNow);
        let mut out = Vec::new();
        assert_eq!(
            outbox.drain(&mut out, &mut Vec::new()),
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
