//! The publishing side of a scenario: `publishers` concurrent loops that
//! trigger timestamped events round-robin over the channels, at a fixed
//! total rate or as fast as the server accepts, and count what was sent
//! and how many deliveries each accepted event should cause.

use crate::proto::payload;
use crate::rest::{Outcome, Rest};
use crate::stats::{Percentiles, new_histogram};
use hdrhistogram::Histogram;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::time::MissedTickBehavior;

/// What to publish.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Channels, used round-robin.
    pub channels: Vec<String>,
    /// Subscribers per channel (same order): deliveries each event should cause.
    pub audience: Vec<u64>,
    /// Total events per second; 0 = as fast as accepted.
    pub rate: f64,
    /// Stop after this long…
    pub duration: Duration,
    /// …or after this many events, whichever comes first.
    pub max_events: Option<u64>,
    /// Concurrent publishing loops.
    pub publishers: usize,
    /// Filler bytes per payload.
    pub pad: usize,
}

/// Counters of the publishing side.
#[derive(Default)]
pub struct PubStats {
    /// Events the server accepted.
    pub sent: AtomicU64,
    /// Deliveries those events should cause.
    pub expected: AtomicU64,
    /// 429 answers (each retried).
    pub rate_limited: AtomicU64,
    /// Other failures (not retried).
    pub errors: AtomicU64,
    next: AtomicU64,
    request: Mutex<Option<Histogram<u64>>>,
}

impl PubStats {
    /// REST round-trip percentiles of accepted triggers.
    pub fn request_latency(&self) -> Percentiles {
        let h = self.request.lock().expect("poisoned");
        h.as_ref().map(Percentiles::of).unwrap_or_default()
    }

    fn record_request(&self, us: u64) {
        let mut h = self.request.lock().expect("poisoned");
        let _ = h.get_or_insert_with(new_histogram).record(us.max(1));
    }
}

/// Runs the plan to completion on threads of its own; returns how long publishing took. On the
/// subscribers' runtime a publish would wait behind thousands of reader tasks after its timestamp was
/// taken, and that wait would be reported as the server's latency.
pub async fn run(rest: Arc<Rest>, plan: Arc<Plan>, stats: Arc<PubStats>) -> Duration {
    let (done, finished) = tokio::sync::oneshot::channel();
    let threads = plan.publishers.clamp(1, 2);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("bench-publisher")
            .enable_all()
            .build()
            .expect("publisher runtime");
        let _ = done.send(runtime.block_on(publish_all(rest, plan, stats)));
    });
    finished.await.expect("publisher thread")
}

async fn publish_all(rest: Arc<Rest>, plan: Arc<Plan>, stats: Arc<PubStats>) -> Duration {
    let start = Instant::now();
    let deadline = start + plan.duration;
    let mut loops = tokio::task::JoinSet::new();
    for turn in 0..plan.publishers.max(1) {
        let (rest, plan, stats) = (rest.clone(), plan.clone(), stats.clone());
        loops.spawn(async move { publisher(&rest, &plan, &stats, turn, deadline).await });
    }
    while loops.join_next().await.is_some() {}
    start.elapsed()
}

impl Plan {
    /// When loop `turn` publishes at a fixed rate: its first event's delay and its period. The loops
    /// take turns one event's spacing apart, so together they publish evenly at `rate`; started
    /// together, `n` loops would publish in bursts of `n` events, each waiting behind the others,
    /// and that wait would be reported as the server's latency.
    fn cadence(&self, turn: usize) -> Option<(Duration, Duration)> {
        (self.rate > 0.0).then(|| {
            let spacing = Duration::from_secs_f64(1.0 / self.rate);
            (
                spacing * turn as u32,
                spacing * self.publishers.max(1) as u32,
            )
        })
    }
}

/// One publishing loop; paced by [`Plan::cadence`] when a rate is set.
async fn publisher(rest: &Rest, plan: &Plan, stats: &PubStats, turn: usize, deadline: Instant) {
    let mut pace = plan.cadence(turn).map(|(delay, every)| {
        let mut i = tokio::time::interval_at(tokio::time::Instant::now() + delay, every);
        i.set_missed_tick_behavior(MissedTickBehavior::Burst);
        i
    });
    loop {
        if let Some(p) = pace.as_mut() {
            p.tick().await;
        }
        if Instant::now() >= deadline {
            return;
        }
        let seq = stats.next.fetch_add(1, Relaxed);
        if plan.max_events.is_some_and(|m| seq >= m) {
            return;
        }
        let c = (seq as usize) % plan.channels.len();
        if !publish_one(rest, plan, stats, seq, c, deadline).await {
            return;
        }
    }
}

/// Publishes event `seq` on channel `c`, retrying on 429 until `deadline`.
/// Returns false when publishing should stop.
async fn publish_one(
    rest: &Rest,
    plan: &Plan,
    stats: &PubStats,
    seq: u64,
    c: usize,
    deadline: Instant,
) -> bool {
    loop {
        let data = payload(seq, plan.pad);
        let t0 = Instant::now();
        match rest
            .trigger(&[plan.channels[c].as_str()], "bench", &data)
            .await
        {
            Outcome::Accepted => {
                stats.record_request(t0.elapsed().as_micros() as u64);
                stats.sent.fetch_add(1, Relaxed);
                stats.expected.fetch_add(plan.audience[c], Relaxed);
                return true;
            }
            Outcome::RateLimited(wait) => {
                stats.rate_limited.fetch_add(1, Relaxed);
                if Instant::now() + wait >= deadline {
                    return false;
                }
                tokio::time::sleep(wait).await;
            }
            Outcome::Failed(e) => {
                if stats.errors.fetch_add(1, Relaxed) < 5 {
                    eprintln!("trigger failed: {e}");
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                return Instant::now() < deadline;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(rate: f64, publishers: usize) -> Plan {
        Plan {
            channels: vec!["c".into()],
            audience: vec![1],
            rate,
            duration: Duration::from_secs(1),
            max_events: None,
            publishers,
            pad: 0,
        }
    }

    #[test]
    fn loops_take_turns_so_events_are_evenly_spaced() {
        let plan = plan(100.0, 4);
        let mut ticks: Vec<Duration> = (0..4)
            .flat_map(|turn| {
                let (delay, every) = plan.cadence(turn).unwrap();
                (0..3).map(move |k| delay + every * k)
            })
            .collect();
        ticks.sort();
        let gaps: Vec<Duration> = ticks.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(ticks.len(), 12);
        assert!(
            gaps.iter().all(|g| *g == Duration::from_millis(10)),
            "{gaps:?}"
        );
    }

    #[test]
    fn as_fast_as_accepted_has_no_cadence() {
        assert_eq!(plan(0.0, 4).cadence(0), None);
    }
}
