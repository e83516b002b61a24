//! Counters the server keeps about itself, exposed at `/metrics` in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Process-wide counters; cheap atomics, safe to bump on hot paths.
#[derive(Default)]
pub struct Metrics {
    connections_opened: AtomicU64,
    connections_closed: AtomicU64,
    slow_consumers: AtomicU64,
    events_published: AtomicU64,
    frames_delivered: AtomicU64,
    client_events: AtomicU64,
    bodies_in_flight: AtomicU64,
    redis_errors: AtomicU64,
    bus_frames: AtomicU64,
    cluster_errors: AtomicU64,
    purged_nodes: AtomicU64,
}

impl Metrics {
    /// A connection completed its handshake.
    pub fn connection_opened(&self) {
        self.connections_opened.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection ended, for any reason.
    pub fn connection_closed(&self) {
        self.connections_closed.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection was disconnected because its send queue overflowed.
    pub fn slow_consumer(&self) {
        self.slow_consumers.fetch_add(1, Ordering::Relaxed);
    }

    /// An event was published and queued for `deliveries` connections.
    pub fn published(&self, deliveries: usize) {
        self.events_published.fetch_add(1, Ordering::Relaxed);
        self.frames_delivered
            .fetch_add(deliveries as u64, Ordering::Relaxed);
    }

    /// An envelope from another node was queued for `deliveries` local connections.
    pub fn delivered_from_bus(&self, deliveries: usize) {
        self.bus_frames
            .fetch_add(deliveries as u64, Ordering::Relaxed);
    }

    /// A cluster backend (broker, presence store, control, cache) failed to answer.
    pub fn cluster_error(&self) {
        self.cluster_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// This node purged what a dead node held.
    pub fn purged_node(&self) {
        self.purged_nodes.fetch_add(1, Ordering::Relaxed);
    }

    /// How many cluster backend calls failed so far.
    pub fn cluster_errors(&self) -> u64 {
        self.cluster_errors.load(Ordering::Relaxed)
    }

    /// A client event was relayed.
    pub fn client_event(&self) {
        self.client_events.fetch_add(1, Ordering::Relaxed);
    }

    /// A request body started (`true`) or finished (`false`) being read.
    pub fn body_in_flight(&self, started: bool) {
        match started {
            true => self.bodies_in_flight.fetch_add(1, Ordering::Relaxed),
            false => self.bodies_in_flight.fetch_sub(1, Ordering::Relaxed),
        };
    }

    /// A Redis command failed or timed out.
    pub fn redis_error(&self) {
        self.redis_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// How many Redis commands failed or timed out so far.
    pub fn redis_errors(&self) -> u64 {
        self.redis_errors.load(Ordering::Relaxed)
    }

    /// Request bodies being read right now.
    pub fn bodies_in_flight(&self) -> u64 {
        self.bodies_in_flight.load(Ordering::Relaxed)
    }

    /// How many slow consumers were disconnected so far.
    pub fn slow_consumers(&self) -> u64 {
        self.slow_consumers.load(Ordering::Relaxed)
    }

    /// The counters in the Prometheus text format.
    pub fn render(&self) -> String {
        let opened = self.connections_opened.load(Ordering::Relaxed);
        let closed = self.connections_closed.load(Ordering::Relaxed);
        let rows = [
            (
                "lattestream_connections",
                "gauge",
                "Open WebSocket connections",
                opened.saturating_sub(closed),
            ),
            (
                "lattestream_connections_opened_total",
                "counter",
                "Connections accepted",
                opened,
            ),
            (
                "lattestream_slow_consumers_total",
                "counter",
                "Connections closed with 4100 (send queue full)",
                self.slow_consumers(),
            ),
            (
                "lattestream_events_published_total",
                "counter",
                "Events published",
                self.events_published.load(Ordering::Relaxed),
            ),
            (
                "lattestream_frames_queued_total",
                "counter",
                "Event frames queued for connections",
                self.frames_delivered.load(Ordering::Relaxed),
            ),
            (
                "lattestream_http_bodies_in_flight",
                "gauge",
                "Request bodies being read (bounded by http.body_timeout and per address)",
                self.bodies_in_flight(),
            ),
            (
                "lattestream_client_events_total",
                "counter",
                "Client events relayed",
                self.client_events.load(Ordering::Relaxed),
            ),
            (
                "lattestream_redis_errors_total",
                "counter",
                "Redis commands that failed or timed out (rate limits then counted on this node, signed requests refused)",
                self.redis_errors(),
            ),
            (
                "lattestream_bus_frames_queued_total",
                "counter",
                "Frames queued for local connections from envelopes other nodes published",
                self.bus_frames.load(Ordering::Relaxed),
            ),
            (
                "lattestream_cluster_backend_errors_total",
                "counter",
                "Cluster backend calls (broker, presence, control, cache) that failed; local delivery went on",
                self.cluster_errors(),
            ),
            (
                "lattestream_dead_nodes_purged_total",
                "counter",
                "Dead nodes whose subscriptions and members this node removed",
                self.purged_nodes.load(Ordering::Relaxed),
            ),
        ];
        let mut out = String::new();
        for (name, kind, help, value) in rows {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        out
    }
}
