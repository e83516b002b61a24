//! The channel log's behaviour, driven directly.

use super::*;
use crate::metrics::Metrics;
use crate::protocol::{AppId, CloseCode, ServerMessage};
use std::time::Duration;

pub(super) fn conn(seq: u64) -> Arc<Connection> {
    let app = AppId::parse("1").unwrap();
    let metrics = Arc::new(Metrics::default());
    let id = SocketId::new(1, seq);
    Arc::new(Connection::new(id, app, Dialect::Pusher, 8, metrics))
}

pub(super) fn message(n: usize) -> Encoded<'static> {
    let channel = Box::leak(format!("c{n}").into_boxed_str());
    Encoded::new(ServerMessage::CacheMiss { channel })
}

fn read_all(log: &ChannelLog, slot: Slot, conn: &Connection) -> Vec<String> {
    let mut frames = Vec::new();
    while log.read(slot, conn, &mut frames, 2) == Read::More {}
    frames.iter().map(|f| f.as_str().to_owned()).collect()
}

pub(super) fn backlog(log: &ChannelLog) -> usize {
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
        slow.outbox.drain(&mut frames, &mut logs, &mut 0),
        Some(CloseCode::SlowConsumer)
    );
    assert_eq!(fast.outbox.drain(&mut frames, &mut logs, &mut 0), None);
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

#[test]
fn churn_without_events_does_not_grow_the_waiting_list() {
    let log = Arc::new(ChannelLog::new(16));
    let stayer = conn(1);
    log.join(stayer.clone());
    for seq in 2..10_000 {
        let slot = log.join(conn(seq));
        log.leave(slot);
    }
    assert!(log.inner.lock().parked.len() <= 2 + 64);
    assert_eq!(
        log.append(&message(0), None, 1).len(),
        1,
        "the one left is still woken"
    );
}

#[test]
fn a_log_is_sized_for_one_subscriber_and_holds_no_room_once_read() {
    // Paid per channel: most channels have one subscriber and are idle.
    assert!(
        size_of::<ChannelLog>() <= 168,
        "{}",
        size_of::<ChannelLog>()
    );
    let log = Arc::new(ChannelLog::new(16));
    let a = conn(1);
    let slot = log.join(a.clone());
    assert_eq!(log.inner.lock().cursors.capacity(), 1);
    assert_eq!(log.inner.lock().parked.capacity(), 1);
    log.append(&message(1), None, 1).ring();
    assert!(log.inner.lock().entries.capacity() > 0);
    assert_eq!(read_all(&log, slot, &a).len(), 1);
    assert_eq!(
        log.inner.lock().entries.capacity(),
        0,
        "room freed once read"
    );
}
