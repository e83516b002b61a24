//! `presence-churn`: every connection repeatedly joins a presence channel
//! (signed subscription with fresh `channel_data`), waits for
//! `subscription_succeeded`, and leaves. Reports joins per second and join
//! latency (subscribe sent → succeeded received); each join also makes the
//! server send member_added/member_removed to the other members.

use super::{Shape, target};
use crate::cli::RunArgs;
use crate::conn::{self, Target};
use crate::progress::Progress;
use crate::publish::PubStats;
use crate::report::Report;
use crate::stats::{MachineTicks, Percentiles, Shared, cpu_secs, cpu_total, rss_kb};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// Receives the churn's end time once every connection is open.
type GoRx = tokio::sync::watch::Receiver<Option<Instant>>;

/// Runs the churn for `--duration` after all connections are open.
pub async fn run(a: &RunArgs, shape: Shape) -> Report {
    let rss = || a.server_pid.and_then(rss_kb);
    let mut r = Report {
        rss_before_kb: rss(),
        ..Report::default()
    };
    let shared = Arc::new(Shared::default());
    // Joins attempted go in `sent`/`expected`, so progress shows them.
    let joins = Arc::new(PubStats::default());
    let progress = Progress::start(
        "presence-churn".into(),
        shared.clone(),
        joins.clone(),
        shape.connections,
    );
    let t = Arc::new(target(&a.server));
    let (go, go_rx) = tokio::sync::watch::channel(None);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..shape.connections {
        let (t, shared, joins, go_rx) = (t.clone(), shared.clone(), joins.clone(), go_rx.clone());
        let chan = format!("presence-bench-{}", i % shape.channels);
        let pace = (shape.rate > 0.0)
            .then(|| Duration::from_secs_f64(shape.connections as f64 / shape.rate));
        tasks.spawn(async move { member(&t, i, &chan, &shared, &joins, go_rx, pace).await });
    }
    let t0 = Instant::now();
    super::pubsub::wait_connected(&shared, shape.connections).await;
    r.connect_secs = t0.elapsed().as_secs_f64();
    r.connect_rate = Shared::get(&shared.connected) as f64 / r.connect_secs.max(1e-6);
    let me = [std::process::id()];
    let cpu = || (a.server_pid.and_then(cpu_secs), cpu_total(&me));
    let cpu0 = cpu();
    let ticks0 = MachineTicks::now();
    let _ = go.send(Some(Instant::now() + a.duration));
    while tasks.join_next().await.is_some() {}
    let cpu1 = cpu();
    r.set_cpu(cpu0, cpu1);
    r.set_steal(ticks0, MachineTicks::now());
    r.duration_secs = a.duration.as_secs_f64();
    r.rss_connected_kb = rss();
    r.rss_after_kb = r.rss_connected_kb;
    r.timeline = progress.stop().await;
    r.connected = Shared::get(&shared.connected);
    r.failed_connections = Shared::get(&shared.failed);
    r.dropped_connections = Shared::get(&shared.dropped);
    r.sent = Shared::get(&joins.sent);
    r.expected = r.sent;
    r.received = Shared::get(&shared.received);
    r.events_per_sec = r.received as f64 / r.duration_secs.max(1e-6);
    r.deliveries_per_sec = r.events_per_sec;
    r.set_latency(&Percentiles::of(&shared.histogram()));
    r
}

/// One member: connect, wait for the start signal (which carries the end
/// time), then join/leave `chan` until the end.
async fn member(
    t: &Target,
    i: usize,
    chan: &str,
    shared: &Shared,
    joins: &PubStats,
    mut go: GoRx,
    pace: Option<Duration>,
) {
    let (mut ws, id) = match conn::connect(t, i).await {
        Ok(x) => x,
        Err(e) => {
            if shared.failed.fetch_add(1, Relaxed) < 5 {
                eprintln!("connection {i} failed: {e}");
            }
            return;
        }
    };
    shared.connected.fetch_add(1, Relaxed);
    let Ok(end) = go
        .wait_for(Option::is_some)
        .await
        .map(|e| e.expect("checked"))
    else {
        return;
    };
    let mut n = 0u64;
    while Instant::now() < end {
        let user = format!("u{i}-{n}");
        let frame = conn::subscribe_frame(t, &id, chan, Some(&user));
        joins.sent.fetch_add(1, Relaxed);
        joins.expected.fetch_add(1, Relaxed);
        let t0 = Instant::now();
        let ok = conn::send(&mut ws, frame).await.is_ok()
            && conn::wait_for(&mut ws, ":subscription_succeeded", Some(chan))
                .await
                .is_ok();
        if !ok {
            shared.dropped.fetch_add(1, Relaxed);
            return;
        }
        shared.received.fetch_add(1, Relaxed);
        shared.record_latency(i, t0.elapsed().as_micros() as u64);
        if conn::send(&mut ws, t.dialect.unsubscribe(chan))
            .await
            .is_err()
        {
            return;
        }
        n += 1;
        if let Some(p) = pace {
            tokio::time::sleep(p).await;
        }
    }
    let _ = ws.close(None).await;
}
