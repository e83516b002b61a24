//! The webhook counters and gauges on `/metrics`: what was sent, retried, failed, dead-lettered or
//! dropped, and how big and how old the backlog is.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why an event was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// The in-memory hand-off to the disk writer was full.
    HandoffFull,
    /// The endpoint's backlog was at its cap.
    BacklogCap,
    /// The store kept failing to write it.
    StoreError,
}

/// The backlog's size and age, for the gauges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Events waiting on disk, held ones included.
    pub pending: u64,
    /// Events in the dead-letter list.
    pub dead: u64,
    /// When the oldest waiting event happened, ms since the epoch.
    pub oldest_ms: Option<i64>,
}

/// Webhook counters; cheap atomics.
#[derive(Default)]
pub struct WebhookMetrics {
    requests: AtomicU64,
    events_sent: AtomicU64,
    retried: AtomicU64,
    failed: AtomicU64,
    dead_lettered: AtomicU64,
    /// Indexed by `Dropped as usize`.
    dropped: [AtomicU64; 3],
}

impl WebhookMetrics {
    /// A batch of `events` was accepted by its receiver.
    pub fn sent(&self, events: usize) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.events_sent.fetch_add(events as u64, Ordering::Relaxed);
    }

    /// An attempt failed and will be retried.
    pub fn retried(&self) {
        self.retried.fetch_add(1, Ordering::Relaxed);
    }

    /// An attempt failed for good (a 4xx answer other than 408 and 429).
    pub fn failed(&self) {
        self.failed.fetch_add(1, Ordering::Relaxed);
    }

    /// Events moved to the dead-letter list.
    pub fn dead_lettered(&self, events: u64) {
        self.dead_lettered.fetch_add(events, Ordering::Relaxed);
    }

    /// `events` were not queued; returns how many were dropped for this reason before them, so
    /// that a log can speak on the first and then once in a while.
    pub fn dropped(&self, why: Dropped, events: u64) -> u64 {
        self.dropped[why as usize].fetch_add(events, Ordering::Relaxed)
    }

    /// Events accepted by receivers so far.
    pub fn events_sent(&self) -> u64 {
        self.events_sent.load(Ordering::Relaxed)
    }

    /// The webhook rows in the Prometheus text format, with `backlog` as of `now_ms`.
    pub fn render(&self, backlog: Backlog, now_ms: i64) -> String {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed).to_string();
        let age = backlog.oldest_ms.map_or(0, |t| (now_ms - t).max(0)) as f64 / 1000.0;
        let values = [
            load(&self.requests),
            load(&self.events_sent),
            load(&self.retried),
            load(&self.failed),
            load(&self.dead_lettered),
            backlog.pending.to_string(),
            backlog.dead.to_string(),
            format!("{age:.3}"),
        ];
        let mut out = String::new();
        for ((name, kind, help), value) in ROWS.iter().zip(values) {
            let name = format!("lattestream_webhook_{name}");
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        let name = "lattestream_webhook_events_dropped_total";
        let _ = writeln!(out, "# HELP {name} Webhook events not queued, by reason");
        let _ = writeln!(out, "# TYPE {name} counter");
        for (reason, counter) in DROP_REASONS.iter().zip(&self.dropped) {
            let _ = writeln!(out, "{name}{{reason=\"{reason}\"}} {}", load(counter));
        }
        out
    }
}

/// Name (after `lattestream_webhook_`), type and help of each row, in the order `render` fills them.
const ROWS: [(&str, &str, &str); 8] = [
    (
        "requests_total",
        "counter",
        "Webhook batches accepted (2xx)",
    ),
    ("events_sent_total", "counter", "Webhook events delivered"),
    (
        "retries_total",
        "counter",
        "Webhook attempts failed and retried",
    ),
    (
        "failures_total",
        "counter",
        "Webhook attempts refused for good",
    ),
    (
        "dead_lettered_total",
        "counter",
        "Webhook events dead-lettered",
    ),
    ("backlog", "gauge", "Webhook events waiting on disk"),
    (
        "dead_letters",
        "gauge",
        "Webhook events in the dead-letter list",
    ),
    (
        "oldest_pending_seconds",
        "gauge",
        "Age of the oldest waiting webhook event",
    ),
];

/// The `reason` label of each drop counter, in [`Dropped`]'s order.
const DROP_REASONS: [&str; 3] = ["handoff_full", "backlog_cap", "store_error"];
