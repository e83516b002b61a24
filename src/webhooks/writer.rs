//! The disk writer: the one task that takes events from the fan-out's hand-off and stores them. It
//! drains whatever is waiting (up to [`STEP`] events), applies the debounce, and commits the step in
//! one transaction: new events for the endpoints that want them, cancelled and released departures,
//! and the ledger of present channels and members. An event counts as *acknowledged* once its step
//! is committed; until then it exists only in the bounded hand-off.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::debounce::{Arrival, Debouncer, Target};
use super::endpoint::EventType;
use super::metrics::Dropped;
use super::queue::{EventId, LedgerOp, NewEvent, Write};
use super::{Shared, now_ms, payload};
use crate::events::HubEvent;
use crate::protocol::AppId;

/// Most events one step takes from the hand-off.
const STEP: usize = 4096;
/// Attempts at storing a step before its events are dropped (counted and logged).
const WRITE_ATTEMPTS: u32 = 5;

/// An event on its way from the fan-out to the disk.
#[derive(Debug)]
pub struct Emitted {
    /// Its app.
    pub app: AppId,
    /// What happened.
    pub event: HubEvent,
    /// When, ms since the epoch.
    pub at_ms: i64,
}

/// A step being built: its events (`None` once cancelled) and the rest of the write.
#[derive(Default)]
struct Step {
    events: Vec<Option<NewEvent>>,
    write: Write,
    /// Endpoints per app that got rows, to wake.
    touched: Vec<AppId>,
}

/// The writer task's state.
pub struct Writer {
    shared: Arc<Shared>,
    handoff: mpsc::Receiver<Emitted>,
    flushes: mpsc::Receiver<oneshot::Sender<()>>,
    debounce: Debouncer,
}

impl Writer {
    /// A writer over `handoff`, answering flush requests on `flushes`, with departures the last run
    /// left held already in `debounce`.
    pub fn new(
        shared: Arc<Shared>,
        handoff: mpsc::Receiver<Emitted>,
        flushes: mpsc::Receiver<oneshot::Sender<()>>,
        debounce: Debouncer,
    ) -> Self {
        Self {
            shared,
            handoff,
            flushes,
            debounce,
        }
    }

    /// Stores events until the hand-off closes; `first` (departures a crash caused) goes first.
    pub async fn run(mut self, first: Vec<Emitted>) {
        let mut buf = first;
        self.step(&mut buf).await;
        loop {
            let deadline = self.debounce.next_ready().map(deadline_of);
            let sleep = tokio::time::sleep_until(deadline.unwrap_or_else(far_future));
            let mut reply = None;
            tokio::select! {
                n = self.handoff.recv_many(&mut buf, STEP) => if n == 0 {
                    return self.step(&mut buf).await;
                },
                Some(flush) = self.flushes.recv() => reply = Some(flush),
                () = sleep => {}
            }
            while buf.len() < STEP {
                match self.handoff.try_recv() {
                    Ok(e) => buf.push(e),
                    Err(_) => break,
                }
            }
            self.step(&mut buf).await;
            if let Some(reply) = reply {
                let _ = reply.send(());
            }
        }
    }

    /// Plans and stores one step from `buf` (emptied) and the departures now ripe.
    async fn step(&mut self, buf: &mut Vec<Emitted>) {
        let mut step = Step::default();
        for emitted in buf.drain(..) {
            self.plan(&mut step, emitted);
        }
        for target in self.debounce.ripe(now_ms()) {
            match target {
                Target::Pending(i) => step.events[i].iter_mut().for_each(|e| e.held = false),
                Target::Stored(id) => step.write.release.push(id),
            }
        }
        if step.events.is_empty()
            && step.write.cancel.is_empty()
            && step.write.release.is_empty()
            && step.write.ledger.is_empty()
        {
            return;
        }
        let (positions, write) = compact(step.events, step.write);
        let counts: Vec<_> = write
            .events
            .iter()
            .map(|e| (e.app.clone(), e.urls.clone()))
            .collect();
        let released = !write.release.is_empty() || !write.cancel.is_empty();
        match self.store(write).await {
            Some(ids) => {
                let ids: Vec<Option<EventId>> =
                    positions.iter().map(|p| p.map(|p| ids[p])).collect();
                self.debounce.stored(&ids);
                self.shared.stored(&counts, &step.touched, released);
            }
            None => self.debounce.stored(&vec![None; positions.len()]),
        }
    }

    /// Adds one event to the step: cancels or holds it per the debounce, picks its endpoints, notes
    /// the ledger change.
    fn plan(&mut self, step: &mut Step, emitted: Emitted) {
        let Emitted { app, event, at_ms } = emitted;
        step.write.ledger.extend(ledger_op(&app, &event));
        let index = step.events.len();
        let held = match self.debounce.arrive(&app, &event, at_ms, index) {
            Arrival::Cancel(Target::Pending(i)) => return step.events[i] = None,
            Arrival::Cancel(Target::Stored(id)) => return step.write.cancel.push(id),
            Arrival::Hold => true,
            Arrival::Pass => false,
        };
        let urls = self.shared.urls_for(&app, &event);
        // A return is stored even when no endpoint wants it: in a cluster it may undo a departure
        // another node holds (the queue stores no rows for it).
        if urls.is_empty() && !held && !is_return(&event) {
            return;
        }
        if !urls.is_empty() && !step.touched.contains(&app) {
            step.touched.push(app.clone());
        }
        step.events.push(Some(NewEvent {
            app,
            channel: event.channel().as_str().to_owned(),
            name: EventType::of(&event).as_str(),
            body: payload::event_json(&event),
            at_ms,
            held,
            user: member_of(&event),
            urls,
        }));
    }

    /// Stores a write, trying again a few times; `None` when it could not (its events are counted
    /// as dropped and logged).
    async fn store(&self, write: Write) -> Option<Vec<EventId>> {
        let mut delay = Duration::from_millis(100);
        for attempt in 1..=WRITE_ATTEMPTS {
            match self.shared.queue.write(write.clone()).await {
                Ok(ids) => return Some(ids),
                Err(error) if attempt < WRITE_ATTEMPTS => {
                    tracing::warn!(%error, attempt, "webhook queue write failed; trying again");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(error) => {
                    let lost: usize = write.events.iter().map(|e| e.urls.len()).sum();
                    self.shared
                        .metrics
                        .dropped(Dropped::StoreError, lost as u64);
                    tracing::error!(%error, events = lost, "webhook queue write failed; events dropped");
                }
            }
        }
        None
    }
}

/// The write without cancelled events, and each planned event's position in it.
fn compact(events: Vec<Option<NewEvent>>, mut write: Write) -> (Vec<Option<usize>>, Write) {
    let mut positions = Vec::with_capacity(events.len());
    for event in events {
        positions.push(event.as_ref().map(|_| write.events.len()));
        write.events.extend(event);
    }
    (positions, write)
}

/// The ledger change an occupancy or membership event makes.
fn ledger_op(app: &AppId, event: &HubEvent) -> Option<LedgerOp> {
    let app = app.clone();
    let ch = |c: &crate::protocol::ChannelName| c.as_str().to_owned();
    Some(match event {
        HubEvent::ChannelOccupied(c) => LedgerOp::Present(app, ch(c), None),
        HubEvent::ChannelVacated(c) => LedgerOp::Gone(app, ch(c), None),
        HubEvent::MemberAdded(c, u) => LedgerOp::Present(app, ch(c), Some(u.to_string())),
        HubEvent::MemberRemoved(c, u) => LedgerOp::Gone(app, ch(c), Some(u.to_string())),
        _ => return None,
    })
}

/// Whether the event is a return (channel occupied, member added) that undoes a held departure.
fn is_return(event: &HubEvent) -> bool {
    matches!(
        event,
        HubEvent::ChannelOccupied(_) | HubEvent::MemberAdded(..)
    )
}

/// The user of a member event.
fn member_of(event: &HubEvent) -> Option<Arc<str>> {
    match event {
        HubEvent::MemberAdded(_, u) | HubEvent::MemberRemoved(_, u) => Some(u.clone()),
        _ => None,
    }
}

/// The tokio instant at which the wall-clock time `ms` comes.
fn deadline_of(ms: i64) -> tokio::time::Instant {
    let wait = (ms - now_ms()).max(0) as u64;
    tokio::time::Instant::now() + Duration::from_millis(wait)
}

fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(3600)
}
