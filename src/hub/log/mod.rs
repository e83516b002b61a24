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

use parking_lot::{Mutex, MutexGuard};
use slab::Slab;
use tokio::sync::Notify;
use tungstenite::Utf8Bytes;

use super::connection::Connection;
use super::encoded::Encoded;
use crate::protocol::{Dialect, SocketId};

#[cfg(test)]
mod deliver_tests;
mod room;
#[cfg(test)]
mod tests;
mod woken;

pub use woken::Woken;

/// Which subscriber of a log a reader is: handed out by [`ChannelLog::join`].
pub type Slot = usize;

/// One channel's log.
pub struct ChannelLog {
    inner: Mutex<Inner>,
    capacity: u32,
    /// Backlog from which publishers that can wait do so.
    high_water: u32,
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
    dialects: [u32; 2],
    /// Publishers waiting for the backlog to shrink.
    waiting: u32,
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
        // Counts are `u32`: a log is paid per channel, and no log holds four billion entries.
        let capacity = u32::try_from(capacity).unwrap_or(u32::MAX).max(1);
        Self {
            inner: Mutex::new(Inner::for_one()),
            capacity,
            high_water: (capacity / 8).max(1),
            progress: Notify::new(),
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
        inner.forget_stale_parked();
        slot
    }

    /// Removes a subscriber, releasing the entries it had not read.
    pub fn leave(&self, slot: Slot) {
        let mut inner = self.inner.lock();
        let Some(cursor) = inner.cursors.try_remove(slot) else {
            return;
        };
        inner.dialects[index(cursor.conn.dialect)] -= 1;
        let from = cursor.next.saturating_sub(inner.base) as usize;
        release(&mut inner.entries, from, cursor.conn.socket_id);
        let progressed = inner.trim();
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
    /// that were waiting, to be rung (written to at once when the log held no backlog). A full log
    /// first cuts off the subscribers holding its oldest entry.
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
        let overrun = match inner.entries.len() >= self.capacity as usize {
            true => inner.cut_laggards(),
            false => Vec::new(),
        };
        // Every earlier entry read: the channel keeps up, and its subscribers get this one written
        // at once. With a backlog, their tasks batch many entries per write instead.
        let direct = inner.entries.is_empty();
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
            direct,
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

impl Inner {
    /// An empty log with room for the one subscriber it is made for: most channels (a user's own,
    /// say) never have a second, and the default growth would reserve four.
    fn for_one() -> Self {
        Self {
            cursors: Slab::with_capacity(1),
            parked: Vec::with_capacity(1),
            ..Self::default()
        }
    }

    /// Sequence number the next entry will get.
    fn head(&self) -> u64 {
        self.base + self.entries.len() as u64
    }

    /// Rebuilds the list of waiting subscribers once slots of subscribers that left outnumber the
    /// live ones, so a channel with churn and no events does not grow it without bound.
    fn forget_stale_parked(&mut self) {
        if self.parked.len() <= 2 * self.cursors.len() + 64 {
            return;
        }
        let parked = self.cursors.iter().filter(|(_, c)| c.parked);
        self.parked = parked.map(|(slot, _)| slot).collect();
    }

    /// Drops entries every subscriber has read, and the room a burst left behind; true when any went.
    fn trim(&mut self) -> bool {
        let base = self.base;
        while self.entries.front().is_some_and(|e| e.unread == 0) {
            self.entries.pop_front();
            self.base += 1;
        }
        // An idle channel holds no room for entries: a busy one allocates it again with its next
        // event, a cost next to the event's writes, while every idle channel would keep it for good.
        if self.entries.is_empty() && self.entries.capacity() > 0 {
            self.entries = VecDeque::new();
        }
        self.base != base
    }

    /// Makes room in a full log by cutting off the subscribers that have not read its oldest entry:
    /// each is moved to the end, as if it had read everything, and its connection is closed.
    fn cut_laggards(&mut self) -> Vec<Arc<Connection>> {
        let (base, head) = (self.base, self.head());
        let mut laggards = Vec::new();
        for (_, cursor) in self.cursors.iter_mut().filter(|(_, c)| c.next <= base) {
            release(&mut self.entries, 0, cursor.conn.socket_id);
            cursor.next = head;
            laggards.push(cursor.conn.clone());
        }
        self.trim();
        laggards
    }

    /// Takes the parked subscribers that still are: each is woken once with its slot.
    fn unpark(&mut self) -> Vec<(Arc<Connection>, Slot)> {
        let Self {
            parked, cursors, ..
        } = self;
        let still = parked.drain(..).filter_map(|slot| {
            let cursor = cursors.get_mut(slot).filter(|c| c.parked)?;
            cursor.parked = false;
            Some((cursor.conn.clone(), slot))
        });
        still.collect()
    }
}

/// Gives up a subscriber's claim on the entries from position `from` on (those not meant for it
/// aside), as when it leaves or is cut off before reading them.
fn release(entries: &mut VecDeque<Entry>, from: usize, subscriber: SocketId) {
    let claimed = entries.iter_mut().skip(from);
    for entry in claimed.filter(|e| e.except != Some(subscriber)) {
        entry.unread -= 1;
    }
}

fn index(dialect: Dialect) -> usize {
    match dialect {
        Dialect::LatteStream => 0,
        Dialect::Pusher => 1,
    }
}
