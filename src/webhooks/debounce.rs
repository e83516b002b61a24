//! The debounce delay. A departure (channel vacated, member removed) is held for the delay; if its
//! return (occupied, member added) happens within it, both are dropped, so a page reload or a quick
//! reconnect sends nothing. The writer asks this what to do with each arriving event, in the order the
//! hand-off delivered them, and releases departures whose delay ran out only after taking in every
//! event that was waiting: a return that happened in time is never missed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use super::queue::EventId;
use crate::events::HubEvent;
use crate::protocol::AppId;

/// What a hold is about: the app, the channel and, for members, the user.
pub type HoldKey = (AppId, String, Option<Arc<str>>);

/// The event a hold keeps back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The i-th event of the writer step being built.
    Pending(usize),
    /// An event already stored.
    Stored(EventId),
}

/// What to do with an arriving event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Store it as it is.
    Pass,
    /// Store it held: a departure.
    Hold,
    /// Drop it, and the held departure it undoes.
    Cancel(Target),
}

struct Hold {
    ready_ms: i64,
    serial: u64,
    target: Target,
}

/// The departures being held.
pub struct Debouncer {
    delay_ms: i64,
    holds: HashMap<HoldKey, Hold>,
    by_time: BTreeMap<(i64, u64), HoldKey>,
    serial: u64,
    /// Holds pushed out by a second departure of the same key (which should not happen), released next.
    displaced: Vec<Target>,
}

/// The hold key of an occupancy or membership event, and whether it is a departure.
fn key_of(app: &AppId, event: &HubEvent) -> Option<(HoldKey, bool)> {
    let key = |c: &crate::protocol::ChannelName, u: Option<&Arc<str>>| {
        (app.clone(), c.as_str().to_owned(), u.cloned())
    };
    match event {
        HubEvent::ChannelVacated(c) => Some((key(c, None), true)),
        HubEvent::ChannelOccupied(c) => Some((key(c, None), false)),
        HubEvent::MemberRemoved(c, u) => Some((key(c, Some(u)), true)),
        HubEvent::MemberAdded(c, u) => Some((key(c, Some(u)), false)),
        _ => None,
    }
}

impl Debouncer {
    /// Holds departures for `delay`.
    pub fn new(delay: Duration) -> Self {
        Self {
            delay_ms: delay.as_millis() as i64,
            holds: HashMap::new(),
            by_time: BTreeMap::new(),
            serial: 0,
            displaced: Vec::new(),
        }
    }

    /// Decides about `event` of `app`, which happened at `at_ms` and would be the `index`-th event
    /// of the step being built.
    pub fn arrive(&mut self, app: &AppId, event: &HubEvent, at_ms: i64, index: usize) -> Arrival {
        let Some((key, departure)) = key_of(app, event) else {
            return Arrival::Pass;
        };
        if departure {
            self.hold(key, at_ms + self.delay_ms, Target::Pending(index));
            return Arrival::Hold;
        }
        match self.holds.get(&key) {
            Some(hold) if hold.ready_ms > at_ms => {
                let hold = self.unhold(&key).expect("present");
                Arrival::Cancel(hold)
            }
            _ => Arrival::Pass,
        }
    }

    /// Holds a stored event until `ready_ms` (a departure the last run left held).
    pub fn hold(&mut self, key: HoldKey, ready_ms: i64, target: Target) {
        self.serial += 1;
        if let Some(old) = self.unhold(&key) {
            self.displaced.push(old);
        }
        self.by_time.insert((ready_ms, self.serial), key.clone());
        let serial = self.serial;
        self.holds.insert(
            key,
            Hold {
                ready_ms,
                serial,
                target,
            },
        );
    }

    fn unhold(&mut self, key: &HoldKey) -> Option<Target> {
        let hold = self.holds.remove(key)?;
        self.by_time.remove(&(hold.ready_ms, hold.serial));
        Some(hold.target)
    }

    /// After a step was stored: its pending events got these ids (`None` for ones not stored).
    pub fn stored(&mut self, ids: &[Option<EventId>]) {
        for hold in self.holds.values_mut() {
            if let Target::Pending(i) = hold.target {
                hold.target = ids
                    .get(i)
                    .copied()
                    .flatten()
                    .map_or(hold.target, Target::Stored);
            }
        }
    }

    /// Takes the holds whose delay ran out by `now_ms`.
    pub fn ripe(&mut self, now_ms: i64) -> Vec<Target> {
        let mut out = std::mem::take(&mut self.displaced);
        while let Some(entry) = self.by_time.first_entry() {
            if entry.key().0 > now_ms {
                break;
            }
            let key = entry.remove();
            out.extend(self.holds.remove(&key).map(|h| h.target));
        }
        out
    }

    /// When the next hold runs out, ms since the epoch.
    pub fn next_ready(&self) -> Option<i64> {
        self.by_time.keys().next().map(|(t, _)| *t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ChannelName;

    fn app() -> AppId {
        AppId::parse("1").unwrap()
    }

    fn ch() -> ChannelName {
        ChannelName::parse("presence-a").unwrap()
    }

    #[test]
    fn a_return_within_the_delay_cancels_the_departure() {
        let mut d = Debouncer::new(Duration::from_millis(100));
        let gone = HubEvent::MemberRemoved(ch(), "u".into());
        let back = HubEvent::MemberAdded(ch(), "u".into());
        assert_eq!(d.arrive(&app(), &gone, 1000, 0), Arrival::Hold);
        d.stored(&[Some(42)]);
        assert_eq!(
            d.arrive(&app(), &back, 1099, 1),
            Arrival::Cancel(Target::Stored(42))
        );
        assert!(d.next_ready().is_none() && d.ripe(5000).is_empty());
    }

    #[test]
    fn a_late_return_passes_and_the_departure_is_released_in_time() {
        let mut d = Debouncer::new(Duration::from_millis(100));
        let gone = HubEvent::ChannelVacated(ch());
        let back = HubEvent::ChannelOccupied(ch());
        assert_eq!(d.arrive(&app(), &gone, 1000, 3), Arrival::Hold);
        assert_eq!(d.next_ready(), Some(1100));
        assert_eq!(d.arrive(&app(), &back, 1100, 4), Arrival::Pass);
        assert!(d.ripe(1099).is_empty());
        assert_eq!(d.ripe(1100), [Target::Pending(3)]);
        let other = HubEvent::ChannelOccupied(ChannelName::parse("b").unwrap());
        assert_eq!(d.arrive(&app(), &other, 1000, 0), Arrival::Pass);
    }

    #[test]
    fn zero_delay_holds_nothing_back() {
        let mut d = Debouncer::new(Duration::ZERO);
        assert_eq!(
            d.arrive(&app(), &HubEvent::ChannelVacated(ch()), 7, 0),
            Arrival::Hold
        );
        assert_eq!(
            d.arrive(&app(), &HubEvent::ChannelOccupied(ch()), 7, 1),
            Arrival::Pass
        );
        assert_eq!(d.ripe(7), [Target::Pending(0)]);
    }
}
