//! A connection's bounded send queue. Publishers push shared frames without waiting; the connection's
//! task drains them all at once into one socket flush. A full queue marks the connection as a slow
//! consumer to be closed, and drops what it held: memory per connection stays bounded.

use std::collections::VecDeque;

use std::task::{Context, Poll, Waker};

use parking_lot::{Mutex, MutexGuard};
use tungstenite::Utf8Bytes;

use crate::protocol::CloseCode;

#[derive(Default)]
struct State {
    frames: VecDeque<Utf8Bytes>,
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

    /// Asks the writer to close the connection with `code` after what is already queued.
    pub fn close(&self, code: CloseCode) {
        let mut state = self.state.lock();
        if state.close.is_none() {
            state.close = Some(code);
        }
        wake(state);
    }

    /// Moves every queued frame into `into`; returns the close code once the connection must close.
    pub fn drain(&self, into: &mut Vec<Utf8Bytes>) -> Option<CloseCode> {
        let mut state = self.state.lock();
        into.extend(state.frames.drain(..));
        if state.frames.capacity() > 64 {
            state.frames.shrink_to(8);
        }
        state.close
    }

    /// Ready when frames are queued or a close was asked; otherwise parks the writer's waker, which
    /// the next push takes and wakes.
    pub fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.state.lock();
        if !state.frames.is_empty() || state.close.is_some() {
            return Poll::Ready(());
        }
        match &state.waker {
            Some(parked) if parked.will_wake(cx.waker()) => {}
            _ => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Resolves when frames are queued or a close was asked.
    pub async fn ready(&self) {
        std::future::poll_fn(|cx| self.poll_ready(cx)).await
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
        assert_eq!(outbox.drain(&mut out), Some(CloseCode::SlowConsumer));
        assert!(out.is_empty());
    }

    #[test]
    fn drain_keeps_order_and_close_comes_after_frames() {
        let outbox = Outbox::new(8);
        outbox.push("a".into());
        outbox.push("b".into());
        outbox.close(CloseCode::ReconnectNow);
        let mut out = Vec::new();
        assert_eq!(outbox.drain(&mut out), Some(CloseCode::ReconnectNow));
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
            async move { outbox.ready().await }
        });
        outbox.push("a".into());
        waiter.await.unwrap();
    }
}
