//! A channel's shared log of outgoing frames. A publish appends one entry and wakes only the
//! subscribers that had caught up; those still writing earlier entries cost it nothing, so a busy
//! channel's publish stays cheap exactly when its subscribers are busiest. Each subscriber reads
//! from its own cursor and the entry is dropped once every subscriber it was meant for has read it.
//! A subscriber that falls `capacity` entries behind is cut off as a slow consumer (4100), so the
//! memory a channel holds stays bounded. Publishers that can wait (the REST APIs) first wait while the
//! slowest subscriber is an eighth of that behind: when the server itself is the bottleneck, events are
//! accepted as fast as they are delivered instead of cutting off subscribers that did nothing wrong.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, MutexGuard};
use slab::Slab;
use tokio::sync::Notify;
use tungstenite::Utf8Bytes;

use super::connection::Connection;
use super::encoded::Encoded;
use crate::protocol::{Dialect, SocketId};

/// Which subscriber of a log a reader is: handed out by [`ChannelLog::join`].
pub type Slot = usize;

/// One channel's log.
pub struct ChannelLog {
    inner: Mutex<Inner>,
    capacity: usize,
    /// Backlog from which publishers that can wait do so.
    high_water: usize,
    /// Signalled when the oldest entry is dropped while publishers wait.
    progress: Notify,
}

#[derive(Default)]
struct Inner {
    /// Sequence number of `entries[0]`.
    base: u64,
    entries: VecDeque<Entry>,
    cursors: Slab<Cursor>,
    /// Subscribers that have read everything and wait for the next entry (may hold stale slots,
    /// which `Cursor::parked` filters out).
    parked: Vec<Slot>,
    /// Subscribers per dialect, so an entry is encoded only for dialects someone reads.
    dialects: [usize; 2],
    /// Publishers waiting for the backlog to shrink.
    waiting: usize,
}

struct Entry {
    frames: [Option<Utf8Bytes>; 2],
    except: Option<SocketId>,
    /// Subscribers that have yet to read it.
    unread: usize,
}

struct Cursor {
    conn: Arc<Connection>,
    /// Sequence number of the next entry to read.
    next: u64,
    parked: bool,
}

/// What a read left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// Everything is read; the reader is parked until the next append.
    CaughtUp,
    /// Entries remain beyond the read limit.
    More,
}

impl ChannelLog {
    /// An empty log holding at most `capacity` unread entries.
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            inner: Mutex::new(Inner::default()),
            capacity,
            high_water: (capacity / 8).max(1),
            progress: Notify::new(),
        }
    }

    /// Waits while the slowest subscriber is `high_water` or more entries behind, so a publisher goes
    /// no faster than the channel is read when the server is what holds subscribers back. Laggards
    /// whose own sockets are full are not waited for (they are cut off once the log is full), and no
    /// wait lasts longer than `patience` without one of them reading.
    pub async fn wait_for_room(&self, patience: Duration) {
        loop {
            let progress = self.progress.notified();
            let mut progress = std::pin::pin!(progress);
            progress.as_mut().enable();
            let Some(_waiting) = Waiting::unless_room(self) else {
                return;
            };
            if tokio::time::timeout(patience, progress).await.is_err() {
                return;
            }
        }
    }

    /// Adds a subscriber reading from the next entry on; it starts parked.
    pub fn join(&self, conn: Arc<Connection>) -> Slot {
        let mut inner = self.inner.lock();
        let next = inner.head();
        inner.dialects[index(conn.dialect)] += 1;
        let slot = inner.cursors.insert(Cursor {
            conn,
            next,
            parked: true,
        });
        inner.parked.push(slot);
        slot
    }

    /// Removes a subscriber, releasing the entries it had not read.
    pub fn leave(&self, slot: Slot) {
        let mut inner = self.inner.lock();
        let Some(cursor) = inner.cursors.try_remove(slot) else {
            return;
        };
        inner.dialects[index(cursor.conn.dialect)] -= 1;
        let me = cursor.conn.socket_id;
        let from = cursor.next.saturating_sub(inner.base) as usize;
        for entry in inner.entries.iter_mut().skip(from) {
            if entry.except != Some(me) {
                entry.unread -= 1;
            }
        }
        let progressed = inner.trim();
        if inner.cursors.is_empty() {
            inner.parked = Vec::new();
        }
        self.signal(inner, progressed);
    }

    /// Wakes waiting publishers when the oldest entry went, after releasing the lock.
    fn signal(&self, inner: MutexGuard<'_, Inner>, progressed: bool) {
        let wake = progressed && inner.waiting > 0;
        drop(inner);
        if wake {
            self.progress.notify_waiters();
        }
    }

    /// Appends a message for `audience` subscribers (every subscriber but `except`); returns those
    /// that were waiting, to be rung. A full log first cuts off the subscribers holding its oldest
    /// entry.
    pub fn append(
        self: &Arc<Self>,
        message: &Encoded<'_>,
        except: Option<SocketId>,
        audience: usize,
    ) -> Woken {
        if audience == 0 {
            return Woken::default();
        }
        let mut inner = self.inner.lock();
        let overrun = match inner.entries.len() >= self.capacity {
            true => inner.cut_laggards(),
            false => Vec::new(),
        };
        let frames = [Dialect::LatteStream, Dialect::Pusher]
            .map(|d| (inner.dialects[index(d)] > 0).then(|| message.frame(d)));
        inner.entries.push_back(Entry {
            frames,
            except,
            unread: audience,
        });
        let subscribers = inner.unpark();
        drop(inner);
        for conn in overrun {
            conn.cut_off();
        }
        Woken {
            log: Some(self.clone()),
            subscribers,
        }
    }

    /// Moves up to `limit` frames the subscriber in `slot` has not read into `into`. `conn` guards
    /// against a slot that was left (and perhaps handed to another subscriber) since it was woken.
    pub fn read(
        &self,
        slot: Slot,
        conn: &Connection,
        into: &mut Vec<Utf8Bytes>,
        limit: usize,
    ) -> Read {
        let mut inner = self.inner.lock();
        let Inner {
            base,
            entries,
            cursors,
            ..
        } = &mut *inner;
        let Some(cursor) = cursors
            .get_mut(slot)
            .filter(|c| c.conn.socket_id == conn.socket_id)
        else {
            return Read::CaughtUp;
        };
        let from = cursor.next.saturating_sub(*base) as usize;
        let to = entries.len().min(from + limit);
        for entry in entries.range_mut(from..to) {
            if entry.except == Some(conn.socket_id) {
                continue;
            }
            entry.unread -= 1;
            if let Some(frame) = &entry.frames[index(conn.dialect)] {
                into.push(frame.clone());
            }
        }
        cursor.next = *base + to as u64;
        let caught_up = to == entries.len();
        let park = caught_up && !cursor.parked;
        cursor.parked |= caught_up;
        if park {
            inner.parked.push(slot);
        }
        let progressed = inner.trim();
        self.signal(inner, progressed);
        if caught_up {
            Read::CaughtUp
        } else {
            Read::More
        }
    }
}

/// Subscribers an append found waiting. Ringing them wakes their tasks, which is most of what a
/// publish costs, so the caller chooses where it happens: inline, or on the WebSocket runtime when
/// the append ran on the HTTP thread.
#[derive(Default)]
#[must_use = "subscribers that are not rung never read the entry"]
pub struct Woken {
    log: Option<Arc<ChannelLog>>,
    subscribers: Vec<(Arc<Connection>, Slot)>,
}

impl Woken {
    /// How many subscribers are to be rung.
    pub fn len(&self) -> usize {
        self.subscribers.len()
    }

    /// True when nobody is to be rung.
    pub fn is_empty(&self) -> bool {
        self.subscribers.is_empty()
    }

    /// Tells each subscriber's connection that the log has entries for it.
    pub fn ring(self) {
        let Some(log) = self.log else {
            return;
        };
        for (conn, slot) in self.subscribers {
            conn.outbox.log_ready(log.clone(), slot);
        }
    }
}

impl Inner {
    /// Sequence number the next entry will get.
    fn head(&self) -> u64 {
        self.base + self.entries.len() as u64
    }

    /// Drops entries every subscriber has read, and the room a burst left behind; true when any went.
    fn trim(&mut self) -> bool {
        let base = self.base;
        while self.entries.front().is_some_and(|e| e.unread == 0) {
            self.entries.pop_front();
            self.base += 1;
        }
        if self.entries.is_empty() && self.entries.capacity() > 64 {
            self.entries = VecDeque::new();
        }
        self.base != base
    }

    /// True when every subscriber that has not read the oldest entry is waiting for its own socket.
    fn laggards_all_blocked(&self) -> bool {
        let base = self.base;
        let mut laggards = self.cursors.iter().filter(|(_, c)| c.next <= base);
        laggards.all(|(_, c)| c.conn.is_blocked())
    }

    /// Makes room in a full log by cutting off the subscribers that have not read its oldest entry:
    /// each is moved to the end, as if it had read everything, and its connection is closed.
    fn cut_laggards(&mut self) -> Vec<Arc<Connection>> {
        let (base, head) = (self.base, self.head());
        let mut laggards = Vec::new();
        for (_, cursor) in self.cursors.iter_mut().filter(|(_, c)| c.next <= base) {
            let me = cursor.conn.socket_id;
            for entry in self.entries.iter_mut().filter(|e| e.except != Some(me)) {
                entry.unread -= 1;
            }
            cursor.next = head;
            laggards.push(cursor.conn.clone());
        }
        self.trim();
        laggards
    }

    /// Takes the parked subscribers that still are: each is woken once with its slot.
    fn unpark(&mut self) -> Vec<(Arc<Connection>, Slot)> {
        let parked = std::mem::take(&mut self.parked);
        let mut woken = Vec::with_capacity(parked.len());
        for slot in parked.iter().copied() {
            if let Some(cursor) = self.cursors.get_mut(slot).filter(|c| c.parked) {
                cursor.parked = false;
                woken.push((cursor.conn.clone(), slot));
            }
        }
        self.parked = parked;
        self.parked.clear();
        woken
    }
}

/// A publisher counted as waiting for room, uncounted when its wait ends or is abandoned.
struct Waiting<'a>(&'a ChannelLog);

impl<'a> Waiting<'a> {
    /// Counts the caller as waiting, or `None` when the backlog is below the high-water mark or
    /// every subscriber holding it back is blocked on its own socket.
    fn unless_room(log: &'a ChannelLog) -> Option<Self> {
        let mut inner = log.inner.lock();
        if inner.entries.len() < log.high_water || inner.laggards_all_blocked() {
            return None;
        }
        inner.waiting += 1;
        Some(Self(log))
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.inner.lock().waiting -= 1;
    }
}

fn index(dialect: Dialect) -> usize {
    match dialect {
        Dialect::LatteStream => 0,
        Dialect::Pusher => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;
    use crate::protocol::{AppId, CloseCode, ServerMessage};

    fn conn(seq: u64) -> Arc<Connection> {
        let app = AppId::parse("1").unwrap();
        let metrics = Arc::new(Metrics::default());
        let id = SocketId::new(1, seq);
        Arc::new(Connection::new(id, app, Dialect::Pusher, 8, metrics))
    }

    fn message(n: usize) -> Encoded<'static> {
        let channel = Box::leak(format!("c{n}").into_boxed_str());
        Encoded::new(ServerMessage::CacheMiss { channel })
    }

    fn read_all(log: &ChannelLog, slot: Slot, conn: &Connection) -> Vec<String> {
        let mut frames = Vec::new();
        while log.read(slot, conn, &mut frames, 2) == Read::More {}
        frames.iter().map(|f| f.as_str().to_owned()).collect()
    }

    fn backlog(log: &ChannelLog) -> usize {
        log.inner.lock().entries.len()
    }

    #[test]
    fn each_subscriber_reads_every_entry_once_and_read_entries_are_dropped() {
        let log = Arc::new(ChannelLog::new(16));
        let (a, b) = (conn(1), conn(2));
        let (sa, sb) = (log.join(a.clone()), log.join(b.clone()));
        for n in 0..3 {
            log.append(&message(n), None, 2).ring();
        }
        assert_eq!(read_all(&log, sa, &a).len(), 3);
        assert_eq!(backlog(&log), 3, "b has not read yet");
        let read = read_all(&log, sb, &b);
        assert_eq!(read.len(), 3);
        assert!(read[0].contains("c0") && read[2].contains("c2"), "in order");
        assert_eq!(backlog(&log), 0);
        assert!(read_all(&log, sa, &a).is_empty());
    }

    #[test]
    fn only_parked_subscribers_are_woken() {
        let log = Arc::new(ChannelLog::new(16));
        let (a, b) = (conn(1), conn(2));
        let (sa, _) = (log.join(a.clone()), log.join(b.clone()));
        let first = log.append(&message(0), None, 2);
        assert_eq!(first.len(), 2, "both were waiting");
        first.ring();
        let second = log.append(&message(1), None, 2);
        assert!(second.is_empty(), "nobody read the first entry yet");
        read_all(&log, sa, &a);
        assert_eq!(
            log.append(&message(2), None, 2).len(),
            1,
            "only a caught up"
        );
    }

    #[test]
    fn the_excepted_socket_skips_its_entry_without_holding_it() {
        let log = Arc::new(ChannelLog::new(16));
        let (a, b) = (conn(1), conn(2));
        let (sa, sb) = (log.join(a.clone()), log.join(b.clone()));
        log.append(&message(0), Some(a.socket_id), 1).ring();
        assert!(read_all(&log, sa, &a).is_empty());
        assert_eq!(read_all(&log, sb, &b).len(), 1);
        assert_eq!(backlog(&log), 0);
    }

    #[test]
    fn leaving_releases_unread_entries_and_a_stale_slot_reads_nothing() {
        let log = Arc::new(ChannelLog::new(16));
        let (a, b) = (conn(1), conn(2));
        let (sa, sb) = (log.join(a.clone()), log.join(b.clone()));
        log.append(&message(0), None, 2).ring();
        read_all(&log, sa, &a);
        log.leave(sb);
        assert_eq!(backlog(&log), 0);
        let c = conn(3);
        let sc = log.join(c.clone());
        assert_eq!(sc, sb, "the slot is reused");
        log.append(&message(1), None, 2).ring();
        assert!(read_all(&log, sb, &b).is_empty(), "b's old slot is c's now");
        assert_eq!(read_all(&log, sc, &c).len(), 1);
    }

    #[test]
    fn a_full_log_cuts_off_the_subscriber_holding_its_oldest_entry() {
        let log = Arc::new(ChannelLog::new(4));
        let (slow, fast) = (conn(1), conn(2));
        let (_, sf) = (log.join(slow.clone()), log.join(fast.clone()));
        for n in 0..5 {
            log.append(&message(n), None, 2).ring();
            read_all(&log, sf, &fast);
        }
        let mut frames = Vec::new();
        let mut logs = Vec::new();
        assert_eq!(
            slow.outbox.drain(&mut frames, &mut logs),
            Some(CloseCode::SlowConsumer)
        );
        assert_eq!(fast.outbox.drain(&mut frames, &mut logs), None);
        assert!(backlog(&log) <= 1, "the laggard no longer holds entries");
    }

    #[tokio::test(start_paused = true)]
    async fn publishers_wait_for_a_busy_reader_but_not_for_a_blocked_one() {
        let log = Arc::new(ChannelLog::new(16)); // high water: 2 entries
        let reader = conn(1);
        let slot = log.join(reader.clone());
        log.append(&message(0), None, 1).ring();
        log.append(&message(1), None, 1).ring();
        let waiting = tokio::spawn({
            let log = log.clone();
            async move { log.wait_for_room(Duration::from_secs(60)).await }
        });
        tokio::task::yield_now().await;
        assert!(
            !waiting.is_finished(),
            "two entries behind: the publisher waits"
        );
        read_all(&log, slot, &reader);
        waiting.await.unwrap();
        log.append(&message(2), None, 1).ring();
        log.append(&message(3), None, 1).ring();
        reader.set_blocked(true);
        let start = tokio::time::Instant::now();
        log.wait_for_room(Duration::from_secs(60)).await;
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "a blocked reader is not waited for"
        );
    }
}
