//! The result of one scenario run: what is printed as a table, written as
//! JSON for CI and charts, and checked by `--require-all`.

use crate::stats::{MachineTicks, Percentiles};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Everything measured in one run. Latency fields are in microseconds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Report {
    /// Scenario name (`fanout`, …).
    pub scenario: String,
    /// Name of this run (`--name`, default the scenario), e.g. `fanout-10k`.
    pub name: String,
    /// `/proc/loadavg` when the run started: other load skews every figure.
    pub loadavg_start: String,
    /// Server under test, from `--label`.
    pub label: String,
    /// WebSocket dialect and REST flavour used.
    pub dialect: String,
    /// REST flavour used to publish.
    pub api: String,
    /// Connections requested.
    pub connections: usize,
    /// Connections established and subscribed.
    pub connected: u64,
    /// Connections that failed to open or subscribe.
    pub failed_connections: u64,
    /// Connections the server closed during the run.
    pub dropped_connections: u64,
    /// Channels the connections were spread over.
    pub channels: usize,
    /// Extra idle channels (one connection each, no events) held during the run.
    #[serde(default)]
    pub idle_channels: usize,
    /// Requested events per second (0 = as fast as accepted).
    pub rate: f64,
    /// Seconds spent publishing (or holding / churning).
    pub duration_secs: f64,
    /// Events published and accepted (or presence joins attempted).
    pub sent: u64,
    /// Deliveries that should arrive (or joins that should succeed).
    pub expected: u64,
    /// Deliveries counted at the subscribers (or joins acknowledged).
    pub received: u64,
    /// `received` per second, from first publish to last delivery.
    pub deliveries_per_sec: f64,
    /// Accepted events (or joins) per second of publishing.
    pub events_per_sec: f64,
    /// REST calls answered 429 (and retried).
    pub rate_limited: u64,
    /// REST calls that failed otherwise.
    pub publish_errors: u64,
    /// Median end-to-end latency (presence-churn: join latency).
    pub p50_us: u64,
    /// 90th percentile latency.
    pub p90_us: u64,
    /// 99th percentile latency.
    pub p99_us: u64,
    /// 99.9th percentile latency.
    pub p999_us: u64,
    /// Largest latency.
    pub max_us: u64,
    /// Mean latency.
    pub mean_us: f64,
    /// REST round-trip latency of accepted triggers.
    pub request_latency: Percentiles,
    /// Seconds to open and subscribe all connections.
    pub connect_secs: f64,
    /// Connections opened and subscribed per second.
    pub connect_rate: f64,
    /// Server VmRSS (KiB) before connecting, with `--server-pid`.
    pub rss_before_kb: Option<u64>,
    /// Server VmRSS (KiB) once all connections were subscribed.
    pub rss_connected_kb: Option<u64>,
    /// Server VmRSS (KiB) at the end of the run.
    pub rss_after_kb: Option<u64>,
    /// (rss_connected − rss_before) / connected, in bytes.
    pub rss_per_conn_bytes: Option<f64>,
    /// Server VmRSS (KiB) `--left-wait` after every subscriber closed (`idle` only): what a node that
    /// had a peak keeps once its clients are gone.
    #[serde(default)]
    pub rss_after_left_kb: Option<u64>,
    /// Share of the growth (rss_connected − rss_before) given back once everyone left, in percent.
    #[serde(default)]
    pub rss_given_back_pct: Option<f64>,
    /// The anonymous part of the RSS (`RssAnon`: heap, stacks) before connecting, once connected and
    /// after everyone left, in KiB. VmRSS also counts the server's code pages, read in from the
    /// binary as connections first use them and kept (clean, shared, reclaimable): the anonymous part
    /// is the memory a server can give back.
    #[serde(default)]
    pub anon_kb: Option<[u64; 3]>,
    /// Share of the anonymous growth given back once everyone left, in percent.
    #[serde(default)]
    pub anon_given_back_pct: Option<f64>,
    /// Server CPU seconds used while publishing and draining (`--server-pid`).
    pub server_cpu_secs: Option<f64>,
    /// Generator CPU seconds (all its processes) over the same window.
    pub bench_cpu_secs: f64,
    /// Server and generator CPU per accepted event, in microseconds (`--server-pid`). With both on
    /// the same C cores, one event's last delivery cannot arrive sooner than this ÷ C after the
    /// publish: the floor under the latency percentiles, whatever the server does.
    #[serde(default)]
    pub cpu_per_event_us: Option<f64>,
    /// Share of the machine's CPU time (all cores) the hypervisor stole over the same window, in
    /// percent (`/proc/stat`). A few percent, if it came in bursts, is enough to set a p99: rounds
    /// with more of it than others are the machine's, not the server's.
    #[serde(default)]
    pub steal_pct: Option<f64>,
    /// Non-benchmark events seen by subscribers (presence member events, …).
    pub other_events: u64,
    /// Deliveries counted in each second of the run.
    pub timeline: Vec<u64>,
    /// The command line that produced this report.
    pub command: String,
}

impl Report {
    /// Copies latency percentiles in.
    pub fn set_latency(&mut self, p: &Percentiles) {
        self.p50_us = p.p50_us;
        self.p90_us = p.p90_us;
        self.p99_us = p.p99_us;
        self.p999_us = p.p999_us;
        self.max_us = p.max_us;
        self.mean_us = p.mean_us;
    }

    /// Records the CPU the server (when its pid is known) and the generator used between two
    /// readings, each `(server seconds, generator seconds)`.
    pub fn set_cpu(&mut self, before: (Option<f64>, f64), after: (Option<f64>, f64)) {
        self.server_cpu_secs = after.0.zip(before.0).map(|(b, a)| b - a);
        self.bench_cpu_secs = after.1 - before.1;
    }

    /// Records the hypervisor's steal between two readings of the machine's ticks.
    pub fn set_steal(&mut self, before: Option<MachineTicks>, after: Option<MachineTicks>) {
        self.steal_pct = MachineTicks::steal_pct(before, after);
    }

    /// Fills [`Report::cpu_per_event_us`] once `sent` is known.
    pub fn set_cpu_per_event(&mut self) {
        self.cpu_per_event_us = self
            .server_cpu_secs
            .filter(|_| self.sent > 0)
            .map(|server| (server + self.bench_cpu_secs) * 1e6 / self.sent as f64);
    }

    /// True when every connection worked and every delivery arrived.
    pub fn all_received(&self) -> bool {
        self.failed_connections == 0 && self.received == self.expected && self.expected > 0
    }

    /// Writes the report as pretty JSON.
    pub fn write_json(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, serde_json::to_string_pretty(self)? + "\n")
    }

    /// The human-readable result table.
    pub fn table(&self) -> String {
        let ms = |us: u64| format!("{:.2} ms", us as f64 / 1000.0);
        let mut rows: Vec<(&str, String)> = vec![
            (
                "scenario",
                format!(
                    "{} ({}, {} ws, {} api)",
                    self.scenario, self.label, self.dialect, self.api
                ),
            ),
            (
                "connections",
                format!(
                    "{} ok / {} requested, {} failed, {} dropped",
                    self.connected,
                    self.connections,
                    self.failed_connections,
                    self.dropped_connections
                ),
            ),
            (
                "channels",
                format!("{} (+ {} idle)", self.channels, self.idle_channels),
            ),
            (
                "connect rate",
                format!(
                    "{:.0} conn/s ({:.2} s)",
                    self.connect_rate, self.connect_secs
                ),
            ),
            (
                "sent / expected / received",
                format!("{} / {} / {}", self.sent, self.expected, self.received),
            ),
            ("events/s accepted", format!("{:.1}", self.events_per_sec)),
            ("deliveries/s", format!("{:.0}", self.deliveries_per_sec)),
            (
                "latency p50 / p90 / p99",
                format!(
                    "{} / {} / {}",
                    ms(self.p50_us),
                    ms(self.p90_us),
                    ms(self.p99_us)
                ),
            ),
            (
                "latency p99.9 / max",
                format!("{} / {}", ms(self.p999_us), ms(self.max_us)),
            ),
            (
                "429s / errors",
                format!("{} / {}", self.rate_limited, self.publish_errors),
            ),
        ];
        if self.request_latency.samples > 0 {
            let rl = &self.request_latency;
            rows.push((
                "REST p50 / p99",
                format!("{} / {}", ms(rl.p50_us), ms(rl.p99_us)),
            ));
        }
        if let (Some(b), Some(a)) = (self.rss_before_kb, self.rss_connected_kb) {
            let per = self
                .rss_per_conn_bytes
                .map(|p| format!(" ({p:.0} B/conn)"))
                .unwrap_or_default();
            rows.push((
                "server RSS",
                format!("{} MiB -> {} MiB{per}", b / 1024, a / 1024),
            ));
        }
        if let Some(left) = self.rss_after_left_kb {
            let back = self
                .rss_given_back_pct
                .map(|p| format!(" ({p:.0} % of the growth given back)"))
                .unwrap_or_default();
            rows.push((
                "server RSS after left",
                format!("{} MiB{back}", left / 1024),
            ));
        }
        if let (Some([b, c, l]), Some(p)) = (self.anon_kb, self.anon_given_back_pct) {
            rows.push((
                "server RssAnon",
                format!(
                    "{} -> {} -> {} MiB after left ({p:.0} % given back)",
                    b / 1024,
                    c / 1024,
                    l / 1024
                ),
            ));
        }
        let server_cpu = self
            .server_cpu_secs
            .map(|c| format!("{c:.1} s"))
            .unwrap_or("-".into());
        rows.push((
            "CPU server / bench",
            format!("{server_cpu} / {:.1} s", self.bench_cpu_secs),
        ));
        if let Some(us) = self.cpu_per_event_us {
            rows.push(("CPU per event (both)", ms(us.round() as u64)));
        }
        if let Some(pct) = self.steal_pct {
            rows.push(("hypervisor steal", format!("{pct:.1} % of CPU time")));
        }
        let w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        rows.iter()
            .map(|(k, v)| format!("{k:<w$}  {v}\n"))
            .collect()
    }
}

/// A Markdown table of several reports, one row each, for the docs.
pub fn markdown(reports: &[Report]) -> String {
    let ms = |us: u64| format!("{:.1}", us as f64 / 1000.0);
    let opt = |v: Option<f64>, unit: &str| v.map(|x| format!("{x:.0}{unit}")).unwrap_or("-".into());
    let mut out = String::from(
        "| run | server | conns (ok) | channels | rate | sent | expected | received | deliveries/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | connect/s | RSS/conn | RSS after left | given back | server CPU s | bench CPU s | steal |\n",
    );
    out.push_str(
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in reports {
        let rate = if r.rate > 0.0 {
            format!("{}/s", r.rate)
        } else {
            "max".into()
        };
        out.push_str(&format!(
            "| {} | {} | {} ({}) | {} | {} | {} | {} | {} | {:.0} | {} | {} | {} | {} | {} | {:.0} | {} | {} | {} | {} | {:.1} | {} |\n",
            r.name, r.label, r.connections, r.connected, r.channels, rate, r.sent, r.expected,
            r.received, r.deliveries_per_sec, ms(r.p50_us), ms(r.p90_us), ms(r.p99_us),
            ms(r.p999_us), ms(r.max_us), r.connect_rate, opt(r.rss_per_conn_bytes, " B"),
            r.rss_after_left_kb.map(|k| format!("{} MiB", k / 1024)).unwrap_or("-".into()),
            opt(r.rss_given_back_pct, " %"),
            r.server_cpu_secs.map(|c| format!("{c:.1}")).unwrap_or("-".into()), r.bench_cpu_secs,
            r.steal_pct.map(|p| format!("{p:.1} %")).unwrap_or("-".into()),
        ));
    }
    out
}

/// Reads JSON reports, skipping (with a message) files that do not parse.
pub fn load(paths: &[std::path::PathBuf]) -> Vec<Report> {
    let mut reports = Vec::new();
    for p in paths {
        match std::fs::read_to_string(p).map(|s| serde_json::from_str::<Report>(&s)) {
            Ok(Ok(r)) => reports.push(r),
            Ok(Err(e)) => eprintln!("skipping {}: {e}", p.display()),
            Err(e) => eprintln!("skipping {}: {e}", p.display()),
        }
    }
    reports
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_per_event_adds_server_and_generator_cpu_over_accepted_events() {
        let mut r = Report {
            sent: 1000,
            ..Report::default()
        };
        r.set_cpu((Some(1.0), 2.0), (Some(9.5), 10.0));
        r.set_cpu_per_event();
        assert_eq!(r.server_cpu_secs, Some(8.5));
        assert_eq!(r.bench_cpu_secs, 8.0);
        assert_eq!(r.cpu_per_event_us.map(f64::round), Some(16_500.0));
        let table = r.table();
        let line = table
            .lines()
            .find(|l| l.starts_with("CPU per event (both)"));
        assert!(line.is_some_and(|l| l.ends_with(" 16.50 ms")), "{table}");
    }

    #[test]
    fn cpu_per_event_needs_the_server_pid_and_an_accepted_event() {
        let mut r = Report::default();
        r.set_cpu((None, 0.0), (None, 1.0));
        r.set_cpu_per_event();
        assert_eq!(r.cpu_per_event_us, None);
        r.set_cpu((Some(0.0), 0.0), (Some(1.0), 1.0));
        r.set_cpu_per_event();
        assert_eq!(r.cpu_per_event_us, None, "no event was accepted");
    }
}
