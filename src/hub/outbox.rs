//! A connection's bounded send queue, and its write side. Publishers queue a shared frame for every
//! subscriber first (so each connection sees a channel's events in publish order), then write the
//! queues straight to the sockets: no task wake-up per delivery. Only when the kernel's send buffer is
//! full does the connection's own task take over, waiting until the socket is writable again. A queue
//! that reaches its capacity marks the connection as a slow consumer to be closed, and drops what it
//! held: memory per connection stays bounded.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::net::TcpStream;

pub use crate::ws::frame::Opcode;
use crate::ws::frame::header;

/// Frames written per vectored write.
const FRAMES_PER_WRITE: usize = 16;

#[derive(Default)]
struct State {
    frames: VecDeque<(Opcode, Bytes)>,
    /// Bytes of the first frame (header included) already written.
    written: usize,
    /// A close frame is queued: nothing more is accepted.
    closing: bool,
    /// The kernel's buffer was full: only the connection's task writes, once the socket is writable.
    blocked: bool,
    /// The socket failed; the connection's task ends it.
    failed: bool,
    /// The connection's task, waiting for work only it can do.
    waker: Option<Waker>,
}

/// What a queue operation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Queued for sending.
    Queued,
    /// The connection is closing; the frame was dropped.
    Closed,
    /// The queue was full: the connection must now be closed as a slow consumer.
    Overflowed,
}

/// What the connection's task must do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Wait until the socket is writable, then [`Outbox::resume`].
    WaitWritable,
    /// Everything up to the close frame is written (or the socket failed): end the connection.
    Finish,
}

/// The queue between publishers and one connection's socket.
pub struct Outbox {
    state: Mutex<State>,
    stream: Option<Arc<TcpStream>>,
    capacity: usize,
}

impl Outbox {
    /// An empty queue holding at most `capacity` frames, writing to `stream` (none in unit tests:
    /// frames then only queue).
    pub fn new(capacity: usize, stream: Option<Arc<TcpStream>>) -> Self {
        Self {
            state: Mutex::new(State::default()),
            stream,
            capacity: capacity.max(1),
        }
    }

    /// Queues a frame without writing it. Never waits: a full queue reports an overflow instead.
    pub fn enqueue(&self, opcode: Opcode, frame: Bytes) -> Pushed {
        let mut state = self.state.lock();
        if state.closing || state.failed {
            return Pushed::Closed;
        }
        if state.frames.len() >= self.capacity {
            return Pushed::Overflowed;
        }
        state.frames.push_back((opcode, frame));
        Pushed::Queued
    }

    /// Queues the last frames: `last_words` (an error message, say) and a close frame. Whatever was
    /// queued and not yet started is dropped when `drop_queued` (a slow consumer), kept otherwise.
    pub fn close(&self, last_words: Option<Bytes>, close_frame: Bytes, drop_queued: bool) {
        let mut state = self.state.lock();
        if state.closing {
            return;
        }
        if drop_queued {
            let keep = usize::from(state.written > 0);
            state.frames.truncate(keep);
            state.frames.shrink_to_fit();
        }
        if let Some(words) = last_words {
            state.frames.push_back((Opcode::Text, words));
        }
        state.frames.push_back((Opcode::Close, close_frame));
        state.closing = true;
        drop(state);
        self.flush();
    }

    /// Writes what is queued as far as the socket takes it without waiting. Safe to call from any
    /// thread; the connection's task is woken only when it has to step in.
    pub fn flush(&self) {
        let mut state = self.state.lock();
        if state.blocked || state.failed || state.frames.is_empty() {
            return;
        }
        let Some(stream) = self.stream.as_deref() else {
            return;
        };
        write_queued(&mut state, stream);
        let wake = state.blocked || state.failed || (state.closing && state.frames.is_empty());
        let waker = wake.then(|| state.waker.take()).flatten();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Resolves when the connection's task has something to do; registers it to be woken otherwise.
    pub fn poll_work(&self, cx: &mut Context<'_>) -> Poll<Work> {
        let mut state = self.state.lock();
        if state.failed || (state.closing && state.frames.is_empty()) {
            return Poll::Ready(Work::Finish);
        }
        if state.blocked {
            return Poll::Ready(Work::WaitWritable);
        }
        match &state.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// After the socket became writable: writes on, and hands writing back to publishers if it all went.
    pub fn resume(&self) {
        self.state.lock().blocked = false;
        self.flush();
    }

    /// Frames waiting (for tests and metrics).
    pub fn queued(&self) -> usize {
        self.state.lock().frames.len()
    }

    /// Takes every queued frame's payload, for unit tests of code that queues frames.
    pub fn take_queued(&self) -> Vec<Bytes> {
        let mut state = self.state.lock();
        state.written = 0;
        state.frames.drain(..).map(|(_, b)| b).collect()
    }
}

/// Writes queued frames with vectored writes until the queue is empty or the socket would block.
fn write_queued(state: &mut State, stream: &TcpStream) {
    while !state.frames.is_empty() {
        let mut headers = [([0u8; 10], 0usize); FRAMES_PER_WRITE];
        let count = state.frames.len().min(FRAMES_PER_WRITE);
        for (head, (opcode, payload)) in headers.iter_mut().zip(&state.frames) {
            *head = header(*opcode, payload.len());
        }
        let mut slices = [IoSlice::new(&[]); 2 * FRAMES_PER_WRITE];
        for (i, ((head, used), (_, payload))) in headers.iter().zip(&state.frames).enumerate() {
            slices[2 * i] = IoSlice::new(&head[..*used]);
            slices[2 * i + 1] = IoSlice::new(payload);
        }
        let mut pending = &mut slices[..2 * count];
        IoSlice::advance_slices(&mut pending, state.written);
        match stream.try_write_vectored(pending) {
            Ok(0) => state.failed = true,
            Ok(n) => advance(state, &headers, n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => state.blocked = true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => state.failed = true,
        }
        if state.blocked || state.failed {
            return;
        }
    }
}

/// Drops the frames `n` more written bytes completed, and remembers how far into the next it got.
fn advance(state: &mut State, headers: &[([u8; 10], usize)], mut n: usize) {
    for (_, used) in headers {
        let Some((_, payload)) = state.frames.front().filter(|_| n > 0) else {
            return;
        };
        let left = used + payload.len() - state.written;
        if n < left {
            state.written += n;
            return;
        }
        n -= left;
        state.written = 0;
        state.frames.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &'static str) -> Bytes {
        Bytes::from_static(s.as_bytes())
    }

    #[test]
    fn a_full_queue_overflows_and_a_slow_consumer_close_drops_the_rest() {
        let outbox = Outbox::new(2, None);
        assert_eq!(outbox.enqueue(Opcode::Text, text("a")), Pushed::Queued);
        assert_eq!(outbox.enqueue(Opcode::Text, text("b")), Pushed::Queued);
        assert_eq!(outbox.enqueue(Opcode::Text, text("c")), Pushed::Overflowed);
        outbox.close(Some(text("error")), text("close"), true);
        assert_eq!(outbox.enqueue(Opcode::Text, text("d")), Pushed::Closed);
        assert_eq!(outbox.take_queued(), [text("error"), text("close")]);
    }

    #[test]
    fn a_normal_close_comes_after_what_was_queued() {
        let outbox = Outbox::new(8, None);
        outbox.enqueue(Opcode::Text, text("a"));
        outbox.enqueue(Opcode::Text, text("b"));
        outbox.close(None, text("close"), false);
        assert_eq!(outbox.take_queued(), [text("a"), text("b"), text("close")]);
    }

    #[test]
    fn partial_writes_resume_inside_a_frame() {
        let mut state = State::default();
        state.frames.push_back((Opcode::Text, text("hello")));
        state.frames.push_back((Opcode::Text, text("world")));
        let headers = [header(Opcode::Text, 5), header(Opcode::Text, 5)];
        advance(&mut state, &headers, 4);
        assert_eq!((state.frames.len(), state.written), (2, 4));
        advance(&mut state, &headers, 5);
        assert_eq!((state.frames.len(), state.written), (1, 2));
        advance(&mut state, &headers, 5);
        assert!(state.frames.is_empty());
    }
}
