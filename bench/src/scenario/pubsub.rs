//! Subscribe-then-publish: connect and subscribe every connection (possibly
//! over worker processes), publish timestamped events, wait for the
//! deliveries to drain, and report throughput, latency and server RSS.
//!
//! `idle` holds the connections for `--duration` instead of publishing,
//! then sends one probe event per channel to prove they are all alive; once
//! every subscriber has closed it reads the server's RSS again (`--left-wait`
//! later), to show how much of the growth the server gave back.

use super::{Kind, Shape, target};
use crate::cli::RunArgs;
use crate::pool::Pool;
use crate::progress::Progress;
use crate::publish::{self, Plan, PubStats};
use crate::report::Report;
use crate::rest::Rest;
use crate::stats::{MachineTicks, Percentiles, Shared, cpu_secs, cpu_total, rss_anon_kb, rss_kb};
use crate::subscribers::GroupSpec;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Runs `idle`, `fanout`, `channels` or `trigger`.
pub async fn run(kind: Kind, a: &RunArgs, shape: Shape) -> Report {
    let rss = || a.server_pid.and_then(rss_kb);
    let anon = || a.server_pid.and_then(rss_anon_kb);
    let idle = idle_channels(a).await;
    let mut r = Report {
        rss_before_kb: rss(),
        ..Report::default()
    };
    let anon_before = anon();
    let shared = Arc::new(Shared::default());
    let pubs = Arc::new(PubStats::default());
    let spec = group(a, shape.connections, shape.channels, "bench-");
    let progress = Progress::start(
        kind.name().into(),
        shared.clone(),
        pubs.clone(),
        shape.connections,
    );
    let t0 = Instant::now();
    let pool =
        Pool::start(&spec, &a.server, a.per_process, shared.clone()).expect("start subscribers");
    wait_connected(&shared, shape.connections).await;
    r.idle_channels = a.idle_channels;
    r.connect_secs = t0.elapsed().as_secs_f64();
    if kind == Kind::Idle {
        tokio::time::sleep(a.settle).await;
    }
    r.rss_connected_kb = rss();
    let anon_connected = anon();
    if kind == Kind::Idle {
        tokio::time::sleep(a.duration).await;
    }
    let plan = Arc::new(plan(kind, a, shape, &spec));
    let server_cpu = || {
        let others = cpu_total(&a.other_server_pids);
        a.server_pid.and_then(cpu_secs).map(|own| own + others)
    };
    let cpu = |pids: &[u32]| (server_cpu(), cpu_total(pids));
    let cpu0 = cpu(&pool.pids());
    let ticks0 = MachineTicks::now();
    let start = Instant::now();
    let publish_time = publish::run(Arc::new(Rest::new(&a.server)), plan, pubs.clone()).await;
    let last = drain(&shared, &pubs, a.drain_timeout).await;
    r.rss_after_kb = rss();
    let cpu1 = cpu(&pool.pids());
    r.set_cpu(cpu0, cpu1);
    r.set_steal(ticks0, MachineTicks::now());
    tokio::time::sleep(a.linger).await;
    pool.finish().await;
    if let Some(idle) = idle {
        idle.finish().await;
    }
    if kind == Kind::Idle {
        tokio::time::sleep(a.left_wait).await;
        r.rss_after_left_kb = rss();
        if let (Some(b), Some(c), Some(l)) = (anon_before, anon_connected, anon()) {
            r.anon_kb = Some([b, c, l]);
            r.anon_given_back_pct = given_back_pct(b, c, l);
        }
    }
    r.timeline = progress.stop().await;
    fill(&mut r, &shared, &pubs);
    r.duration_secs = if kind == Kind::Idle {
        a.duration.as_secs_f64()
    } else {
        publish_time.as_secs_f64()
    };
    r.events_per_sec = r.sent as f64 / publish_time.as_secs_f64().max(1e-6);
    r.deliveries_per_sec = r.received as f64
        / last
            .saturating_duration_since(start)
            .as_secs_f64()
            .max(1e-6);
    r
}

/// `connections` subscribers of this process spread over `channels` channels named `{prefix}N`.
fn group(a: &RunArgs, connections: usize, channels: usize, prefix: &str) -> GroupSpec {
    GroupSpec {
        target: target(&a.server),
        connections,
        offset: 0,
        channels,
        prefix: prefix.into(),
        connect_concurrency: a.server.connect_concurrency,
    }
}

/// Opens `--idle-channels` connections, each subscribed to its own channel,
/// before the measured ones (so the server's RSS baseline includes them).
async fn idle_channels(a: &RunArgs) -> Option<Pool> {
    if a.idle_channels == 0 {
        return None;
    }
    let spec = group(a, a.idle_channels, a.idle_channels, "idle-");
    let shared = Arc::new(Shared::default());
    let pool = Pool::start(&spec, &a.server, a.per_process, shared.clone()).expect("start idle");
    wait_connected(&shared, a.idle_channels).await;
    Some(pool)
}

/// What to publish: a timed stream, or for `idle` one probe per channel.
fn plan(kind: Kind, a: &RunArgs, shape: Shape, spec: &GroupSpec) -> Plan {
    let n = shape.connections as u64;
    let c = shape.channels as u64;
    let idle = kind == Kind::Idle;
    Plan {
        channels: (0..shape.channels).map(|i| spec.channel_of(i)).collect(),
        audience: (0..c).map(|i| n / c + u64::from(i < n % c)).collect(),
        rate: if idle { 0.0 } else { shape.rate },
        duration: if idle {
            Duration::from_secs(60)
        } else {
            a.duration
        },
        max_events: idle.then_some(c),
        publishers: shape.publishers,
        pad: a.payload_bytes,
    }
}

/// Waits until every connection has subscribed or failed, or until no
/// progress has been made for 30 s.
pub(super) async fn wait_connected(shared: &Shared, total: usize) {
    let mut last = (0, Instant::now());
    loop {
        let done = Shared::get(&shared.connected) + Shared::get(&shared.failed);
        if done >= total as u64 {
            return;
        }
        if done != last.0 {
            last = (done, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(30) {
            eprintln!("giving up waiting for connections: {done}/{total}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits for outstanding deliveries: until all expected arrived, nothing
/// arrived for 3 s, or `limit` passed. Returns when the last one came.
async fn drain(shared: &Shared, pubs: &PubStats, limit: Duration) -> Instant {
    let start = Instant::now();
    let mut last = (Shared::get(&shared.received), Instant::now());
    loop {
        let got = Shared::get(&shared.received);
        if got != last.0 {
            last = (got, Instant::now());
        }
        let quiet = last.1.elapsed() > Duration::from_secs(3);
        if got >= Shared::get(&pubs.expected) || quiet || start.elapsed() > limit {
            return last.1;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Copies counters and percentiles into the report.
fn fill(r: &mut Report, shared: &Shared, pubs: &PubStats) {
    r.connected = Shared::get(&shared.connected);
    r.failed_connections = Shared::get(&shared.failed);
    r.dropped_connections = Shared::get(&shared.dropped);
    r.other_events = Shared::get(&shared.other_events);
    r.sent = Shared::get(&pubs.sent);
    r.expected = Shared::get(&pubs.expected);
    r.received = Shared::get(&shared.received);
    r.rate_limited = Shared::get(&pubs.rate_limited);
    r.publish_errors = Shared::get(&pubs.errors);
    r.request_latency = pubs.request_latency();
    r.set_latency(&Percentiles::of(&shared.histogram()));
    r.connect_rate = r.connected as f64 / r.connect_secs.max(1e-6);
    if let (Some(b), Some(c)) = (r.rss_before_kb, r.rss_connected_kb) {
        r.rss_per_conn_bytes = Some((c as f64 - b as f64) * 1024.0 / (r.connected.max(1) as f64));
        r.rss_given_back_pct = r.rss_after_left_kb.and_then(|l| given_back_pct(b, c, l));
    }
}

/// How much of the growth from `before` to `connected` was given back at `left`, in percent (None
/// when there was no growth to give back).
fn given_back_pct(before: u64, connected: u64, left: u64) -> Option<f64> {
    let grown = connected.checked_sub(before).filter(|&g| g > 0)?;
    Some((connected as f64 - left as f64) * 100.0 / grown as f64)
}

#[cfg(test)]
mod tests {
    use super::given_back_pct;

    #[test]
    fn given_back_is_the_share_of_the_growth_released() {
        assert_eq!(given_back_pct(10_000, 50_000, 14_000), Some(90.0));
        assert_eq!(given_back_pct(10_000, 50_000, 50_000), Some(0.0));
        assert_eq!(given_back_pct(10_000, 10_000, 9_000), None, "no growth");
    }
}
