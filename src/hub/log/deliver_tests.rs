//! Publishers writing a channel's entries straight to idle subscribers' sockets
//! ([`crate::hub::Outbox::deliver`]), against a socket that takes a set number of bytes.

use std::io;

use parking_lot::Mutex;

use super::tests::{backlog, conn, message};
use super::*;
use crate::hub::Sink;

/// A socket that takes at most `room` bytes of payload (no frame headers) in all.
struct Socket {
    room: Mutex<usize>,
    got: Mutex<Vec<u8>>,
}

impl Socket {
    fn with_room(room: usize) -> Arc<Self> {
        let got = Mutex::new(Vec::new());
        Arc::new(Self {
            room: Mutex::new(room),
            got,
        })
    }

    fn got(&self) -> String {
        String::from_utf8(self.got.lock().clone()).unwrap()
    }
}

impl Sink for Socket {
    fn try_send(&self, frames: &[Utf8Bytes]) -> io::Result<(usize, bool)> {
        let bytes: Vec<u8> = frames.iter().flat_map(|f| f.as_bytes().to_vec()).collect();
        let mut room = self.room.lock();
        let n = bytes.len().min(*room);
        *room -= n;
        self.got.lock().extend_from_slice(&bytes[..n]);
        Ok((n, n == bytes.len()))
    }
}

/// A log with one subscriber whose socket takes `room` bytes.
fn subscribed(room: usize) -> (Arc<ChannelLog>, Arc<Connection>, Arc<Socket>, Slot) {
    let log = Arc::new(ChannelLog::new(16));
    let (a, socket) = (conn(1), Socket::with_room(room));
    let slot = log.join(a.clone());
    a.outbox.attach(socket.clone());
    (log, a, socket, slot)
}

/// What the connection's task would take from its outbox: frames, rung logs, bytes already written.
fn take(conn: &Connection) -> (Vec<Utf8Bytes>, usize, usize) {
    let (mut frames, mut logs, mut written) = (Vec::new(), Vec::new(), 0);
    conn.outbox.drain(&mut frames, &mut logs, &mut written);
    conn.outbox.finish_writing();
    (frames, logs.len(), written)
}

#[test]
fn an_idle_subscriber_gets_the_entry_written_without_its_task() {
    let (log, a, socket, _) = subscribed(usize::MAX);
    log.append(&message(0), None, 1).ring();
    assert!(socket.got().contains("c0"));
    assert_eq!(take(&a), (Vec::new(), 0, 0), "nothing left for the task");
    assert_eq!(backlog(&log), 0, "the entry was read");
    log.append(&message(1), None, 1).ring();
    assert!(
        socket.got().contains("c1"),
        "still parked: the next one too"
    );
}

#[test]
fn while_the_task_writes_publishers_ring_it_instead() {
    let (log, a, socket, slot) = subscribed(usize::MAX);
    a.outbox.drain(&mut Vec::new(), &mut Vec::new(), &mut 0);
    log.append(&message(0), None, 1).ring();
    assert_eq!(socket.got(), "", "the task is writing");
    a.outbox.finish_writing();
    let (_, rung, _) = take(&a);
    assert_eq!(rung, 1, "the task reads the entry itself");
    let mut frames = Vec::new();
    log.read(slot, &a, &mut frames, 8);
    assert!(frames[0].as_str().contains("c0"));
}

#[test]
fn what_the_socket_does_not_take_goes_to_the_task_with_the_bytes_written() {
    let (log, a, socket, _) = subscribed(5);
    log.append(&message(0), None, 1).ring();
    log.append(&message(1), None, 1).ring();
    let (frames, rung, written) = take(&a);
    assert_eq!(
        (frames.len(), rung, written),
        (1, 1, 5),
        "the begun frame with its bytes written; the next entry is the task's to read"
    );
    assert_eq!(
        socket.got(),
        frames[0].as_str()[..5],
        "the task resumes mid-frame"
    );
}

#[test]
fn a_detached_socket_is_never_written() {
    let (log, a, socket, _) = subscribed(usize::MAX);
    a.outbox.detach();
    log.append(&message(0), None, 1).ring();
    assert_eq!(socket.got(), "");
    assert_eq!(take(&a).1, 1);
}

#[test]
fn behind_a_backlog_subscribers_are_rung_to_batch_it() {
    let log = Arc::new(ChannelLog::new(16));
    let (a, socket, lagging) = (conn(1), Socket::with_room(usize::MAX), conn(2));
    log.join(a.clone());
    log.join(lagging.clone());
    a.outbox.attach(socket.clone());
    log.append(&message(0), None, 2).ring();
    assert!(socket.got().contains("c0"), "no backlog: written at once");
    let second = log.append(&message(1), None, 2);
    assert!(
        !second.is_direct(),
        "the lagging subscriber holds the first entry"
    );
    second.ring();
    assert!(!socket.got().contains("c1"));
    assert_eq!(take(&a).1, 1, "the task reads it, with whatever follows");
}
