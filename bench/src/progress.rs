//! A once-a-second progress line on stderr, which also keeps the
//! per-second delivery counts that end up in the report's timeline.

use crate::publish::PubStats;
use crate::stats::{MachineTicks, Shared};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running ticker; [`Progress::stop`] returns the timeline.
pub struct Progress {
    stop: oneshot::Sender<()>,
    task: JoinHandle<Vec<u64>>,
}

impl Progress {
    /// Starts printing `[label Ns] …` every second.
    pub fn start(
        label: String,
        shared: Arc<Shared>,
        pubs: Arc<PubStats>,
        target_conns: usize,
    ) -> Progress {
        let (stop, mut stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            let start = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            let (mut last, mut timeline) = (0u64, Vec::new());
            let mut ticks = MachineTicks::now();
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = &mut stopped => return timeline,
                }
                let rcv = Shared::get(&shared.received);
                timeline.push(rcv - last);
                let now = MachineTicks::now();
                let steal = MachineTicks::steal_pct(ticks, now);
                ticks = now;
                eprintln!(
                    "[{label} {:>3}s] conns {}/{} failed {} dropped {} | sent {} expected {} received {} (+{}/s) 429s {} | steal {}",
                    start.elapsed().as_secs(),
                    Shared::get(&shared.connected),
                    target_conns,
                    Shared::get(&shared.failed),
                    Shared::get(&shared.dropped),
                    Shared::get(&pubs.sent),
                    Shared::get(&pubs.expected),
                    rcv,
                    rcv - last,
                    Shared::get(&pubs.rate_limited),
                    steal.map_or("-".into(), |p| format!("{p:.1}%")),
                );
                last = rcv;
            }
        });
        Progress { stop, task }
    }

    /// Stops the ticker; returns deliveries counted in each whole second.
    pub async fn stop(self) -> Vec<u64> {
        let _ = self.stop.send(());
        self.task.await.unwrap_or_default()
    }
}
