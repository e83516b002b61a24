//! Counters and latency histograms shared by thousands of connection tasks.
//!
//! Latencies go into a few mutex-guarded `hdrhistogram` shards (one per
//! connection would cost ~30 KB each), picked by connection index so two
//! cores rarely contend on the same lock.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

const SHARDS: usize = 16;
/// Highest latency recorded, in µs (10 minutes); larger values are clamped.
const MAX_US: u64 = 600_000_000;

/// Makes an empty histogram covering 1 µs .. 10 min at 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_US, 3).expect("valid histogram bounds")
}

/// Counters every subscriber task updates, and the parent reads each second.
#[derive(Default)]
pub struct Shared {
    /// Connections that finished the handshake and their subscription.
    pub connected: AtomicU64,
    /// Connections that failed to connect or subscribe.
    pub failed: AtomicU64,
    /// Connections that dropped after being established.
    pub dropped: AtomicU64,
    /// Benchmark events received, summed over all subscribers.
    pub received: AtomicU64,
    /// Other events (presence member_added/removed, …), for information.
    pub other_events: AtomicU64,
    latency: Latency,
}

impl Shared {
    /// Records one benchmark delivery that was published at `sent_us`.
    pub fn record_delivery(&self, shard: usize, sent_us: u64) {
        self.received.fetch_add(1, Relaxed);
        let lat = crate::proto::now_us().saturating_sub(sent_us);
        self.latency.record(shard, lat);
    }

    /// Records several deliveries at once (one lock for the batch).
    pub fn record_deliveries(&self, shard: usize, sent_us: &[u64]) {
        if sent_us.is_empty() {
            return;
        }
        self.received.fetch_add(sent_us.len() as u64, Relaxed);
        let now = crate::proto::now_us();
        self.latency
            .record_all(shard, sent_us.iter().map(|&s| now.saturating_sub(s)));
    }

    /// Records a latency without counting a delivery (e.g. join latency).
    pub fn record_latency(&self, shard: usize, us: u64) {
        self.latency.record(shard, us);
    }

    /// Adds a worker's histogram into ours.
    pub fn merge(&self, h: &Histogram<u64>) {
        self.latency.merge(h);
    }

    /// All shards merged into one histogram.
    pub fn histogram(&self) -> Histogram<u64> {
        self.latency.snapshot()
    }

    /// Reads a counter (shorthand to keep call sites short).
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Relaxed)
    }
}

/// A histogram split into shards to keep lock contention low.
struct Latency {
    shards: Vec<Mutex<Histogram<u64>>>,
}

impl Default for Latency {
    fn default() -> Self {
        Latency {
            shards: (0..SHARDS).map(|_| Mutex::new(new_histogram())).collect(),
        }
    }
}

impl Latency {
    fn record(&self, shard: usize, us: u64) {
        let mut h = self.shards[shard % SHARDS].lock().expect("poisoned");
        h.saturating_record(us.clamp(1, MAX_US));
    }

    fn record_all(&self, shard: usize, us: impl Iterator<Item = u64>) {
        let mut h = self.shards[shard % SHARDS].lock().expect("poisoned");
        for v in us {
            h.saturating_record(v.clamp(1, MAX_US));
        }
    }

    fn merge(&self, other: &Histogram<u64>) {
        let mut h = self.shards[0].lock().expect("poisoned");
        let _ = h.add(other);
    }

    fn snapshot(&self) -> Histogram<u64> {
        let mut all = new_histogram();
        for s in &self.shards {
            let _ = all.add(&*s.lock().expect("poisoned"));
        }
        all
    }
}

/// Latency percentiles in microseconds, as written to the JSON report.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Percentiles {
    /// Number of samples.
    pub samples: u64,
    /// Mean latency.
    pub mean_us: f64,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// Largest sample.
    pub max_us: u64,
}

impl Percentiles {
    /// Summarises a histogram.
    pub fn of(h: &Histogram<u64>) -> Percentiles {
        if h.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            samples: h.len(),
            mean_us: h.mean(),
            p50_us: h.value_at_quantile(0.5),
            p90_us: h.value_at_quantile(0.9),
            p99_us: h.value_at_quantile(0.99),
            p999_us: h.value_at_quantile(0.999),
            max_us: h.max(),
        }
    }
}

/// Encodes a histogram as `[[value, count], …]` to pass it between processes.
pub fn encode(h: &Histogram<u64>) -> Vec<(u64, u64)> {
    h.iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_at_value()))
        .collect()
}

/// Rebuilds a histogram from [`encode`]'s output.
pub fn decode(pairs: &[(u64, u64)]) -> Histogram<u64> {
    let mut h = new_histogram();
    for &(v, n) in pairs {
        let _ = h.record_n(v.clamp(1, MAX_US), n);
    }
    h
}

/// Reads the resident set size of a process, in KiB, from `/proc/PID/status`.
pub fn rss_kb(pid: u32) -> Option<u64> {
    status_kb(pid, "VmRSS:")
}

/// Reads the anonymous part of a process's resident set (heap and stacks, not code), in KiB.
pub fn rss_anon_kb(pid: u32) -> Option<u64> {
    status_kb(pid, "RssAnon:")
}

fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time (user + system) a process has used so far, in seconds, from
/// `/proc/PID/stat` (assumes the usual 100 clock ticks per second).
pub fn cpu_secs(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Sums [`cpu_secs`] over several processes (missing ones count as 0).
pub fn cpu_total(pids: &[u32]) -> f64 {
    pids.iter().filter_map(|&p| cpu_secs(p)).sum()
}

/// The machine's CPU time in clock ticks, all cores together, from the `cpu` line of `/proc/stat`.
/// On a VM, `steal` is time the hypervisor ran other guests while this one had work: it stops
/// server and generator alike, so a run with much of it has latency tails that are neither's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MachineTicks {
    /// Ticks stolen by the hypervisor.
    pub steal: u64,
    /// Every tick counted (user, nice, system, idle, iowait, irq, softirq, steal).
    pub total: u64,
}

impl MachineTicks {
    /// Reads the counters now; `None` where `/proc/stat` cannot be read.
    pub fn now() -> Option<Self> {
        Self::parse(&std::fs::read_to_string("/proc/stat").ok()?)
    }

    /// Parses the aggregate `cpu` line of a `/proc/stat` text.
    pub fn parse(stat: &str) -> Option<Self> {
        let line = stat.lines().find(|l| l.starts_with("cpu "))?;
        let ticks: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .take(8)
            .map(|t| t.parse().ok())
            .collect::<Option<_>>()?;
        let steal = *ticks.get(7)?;
        Some(Self {
            steal,
            total: ticks.iter().sum(),
        })
    }

    /// Percentage of the machine's CPU time stolen between two readings; `None` when either is
    /// missing or no time passed.
    pub fn steal_pct(before: Option<Self>, after: Option<Self>) -> Option<f64> {
        let (before, after) = before.zip(after)?;
        let total = after.total.checked_sub(before.total).filter(|&t| t > 0)?;
        let steal = after.steal.checked_sub(before.steal)?;
        Some(steal as f64 * 100.0 / total as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_ticks_read_the_aggregate_line_and_give_the_stolen_share() {
        let before = "cpu  100 50 30 800 10 0 5 5 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n";
        let after = "cpu  150 50 60 890 10 0 15 25 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n";
        let (b, a) = (MachineTicks::parse(before), MachineTicks::parse(after));
        assert_eq!(
            b,
            Some(MachineTicks {
                steal: 5,
                total: 1000
            })
        );
        assert_eq!(MachineTicks::steal_pct(b, a), Some(10.0));
        assert_eq!(
            MachineTicks::parse("cpu0 1 2 3\n"),
            None,
            "no aggregate line"
        );
        assert_eq!(MachineTicks::steal_pct(b, b), None, "no time passed");
    }

    #[test]
    fn reads_this_machines_ticks() {
        assert!(MachineTicks::now().is_some_and(|t| t.total > 0));
    }

    #[test]
    fn encode_decode_round_trip() {
        let mut h = new_histogram();
        for v in [5, 50, 500, 5000] {
            h.record(v).unwrap();
        }
        let back = decode(&encode(&h));
        assert_eq!(back.len(), 4);
        assert_eq!(Percentiles::of(&back).max_us, h.max());
    }

    #[test]
    fn reads_own_cpu_time() {
        assert!(cpu_secs(std::process::id()).is_some());
    }
}
