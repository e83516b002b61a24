//! Subscribers in this process or spread over worker subprocesses.
//!
//! One process may open at most ~20,000 files, so beyond `--per-process`
//! connections the generator re-executes itself as `worker` children. Each
//! child prints cumulative counters as JSON lines on stdout; the parent
//! folds them into its own [`Shared`], so scenarios never see the split.

use crate::cli::{ServerArgs, WorkerArgs};
use crate::stats::{Shared, decode, encode};
use crate::subscribers::{Group, GroupSpec};
use serde::{Deserialize, Serialize};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::oneshot;

/// A worker's counters, cumulative; `hist` only in its final line.
#[derive(Serialize, Deserialize, Default, Clone)]
struct Line {
    connected: u64,
    failed: u64,
    dropped: u64,
    received: u64,
    other: u64,
    hist: Option<Vec<(u64, u64)>>,
}

/// Running subscribers, local or remote.
pub enum Pool {
    /// All connections in this process.
    Local(Group),
    /// Connections in child processes.
    Remote(Vec<Worker>),
}

/// One child process and the channel its final report arrives on.
pub struct Worker {
    child: Child,
    stdin: ChildStdin,
    done: oneshot::Receiver<()>,
}

impl Pool {
    /// Starts `spec`'s connections, in-process when they fit in one process.
    pub fn start(
        spec: &GroupSpec,
        server: &ServerArgs,
        per_process: usize,
        shared: Arc<Shared>,
    ) -> std::io::Result<Pool> {
        if spec.connections <= per_process {
            return Ok(Pool::Local(Group::spawn(spec, shared)));
        }
        let n = spec.connections.div_ceil(per_process);
        let mut workers = Vec::new();
        for w in 0..n {
            let offset = spec.offset + w * per_process;
            let count = per_process.min(spec.offset + spec.connections - offset);
            workers.push(spawn_worker(spec, server, offset, count, shared.clone())?);
        }
        eprintln!(
            "spread {} connections over {n} worker processes",
            spec.connections
        );
        Ok(Pool::Remote(workers))
    }

    /// This process and any worker processes, for CPU accounting.
    pub fn pids(&self) -> Vec<u32> {
        let mut pids = vec![std::process::id()];
        if let Pool::Remote(ws) = self {
            pids.extend(ws.iter().filter_map(|w| w.child.id()));
        }
        pids
    }

    /// Closes all connections; worker histograms are merged into `shared`.
    pub async fn finish(self) {
        match self {
            Pool::Local(g) => g.stop().await,
            Pool::Remote(workers) => {
                for mut w in workers {
                    let _ = w.stdin.write_all(b"stop\n").await;
                    let _ = tokio::time::timeout(Duration::from_secs(60), w.done).await;
                    let _ = w.child.kill().await;
                }
            }
        }
    }
}

/// Starts one worker child and a task that reads its reports.
fn spawn_worker(
    spec: &GroupSpec,
    s: &ServerArgs,
    offset: usize,
    count: usize,
    shared: Arc<Shared>,
) -> std::io::Result<Worker> {
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    cmd.arg("worker")
        .args([
            "--url", &s.url, "--app-id", &s.app_id, "--key", &s.key, "--secret", &s.secret,
        ])
        .args(["--dialect", dialect_name(s), "--prefix", &spec.prefix])
        .args(["--source-ips", &s.source_ips.to_string()])
        .args(["--connect-concurrency", &s.connect_concurrency.to_string()])
        .args([
            "--connections",
            &count.to_string(),
            "--offset",
            &offset.to_string(),
        ])
        .args(["--channels", &spec.channels.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn()?;
    let stdin = child.stdin.take().expect("piped stdin");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, done) = oneshot::channel();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stdout).lines();
        let mut last = Line::default();
        while let Ok(Some(l)) = lines.next_line().await {
            let Ok(now) = serde_json::from_str::<Line>(&l) else {
                continue;
            };
            apply_delta(&shared, &last, &now);
            if let Some(h) = &now.hist {
                shared.merge(&decode(h));
                break;
            }
            last = now;
        }
        let _ = tx.send(());
    });
    Ok(Worker { child, stdin, done })
}

fn dialect_name(s: &ServerArgs) -> &'static str {
    match s.dialect {
        crate::proto::Dialect::Pusher => "pusher",
        crate::proto::Dialect::Lattestream => "lattestream",
    }
}

/// Adds the growth between two cumulative reports to the parent's counters.
fn apply_delta(shared: &Shared, last: &Line, now: &Line) {
    let add = |c: &AtomicU64, a: u64, b: u64| c.fetch_add(b.saturating_sub(a), Relaxed);
    add(&shared.connected, last.connected, now.connected);
    add(&shared.failed, last.failed, now.failed);
    add(&shared.dropped, last.dropped, now.dropped);
    add(&shared.received, last.received, now.received);
    add(&shared.other_events, last.other, now.other);
}

/// Snapshot of this process's counters as a report line.
fn line_of(shared: &Shared) -> Line {
    Line {
        connected: Shared::get(&shared.connected),
        failed: Shared::get(&shared.failed),
        dropped: Shared::get(&shared.dropped),
        received: Shared::get(&shared.received),
        other: Shared::get(&shared.other_events),
        hist: None,
    }
}

/// Entry point of the `worker` subcommand: hold the connections, report
/// every 200 ms, and on `stop` (or stdin closing) print the histogram.
pub async fn run_worker(a: WorkerArgs) {
    let spec = GroupSpec {
        target: crate::scenario::target(&a.server),
        connections: a.connections,
        offset: a.offset,
        channels: a.channels,
        prefix: a.prefix,
        connect_concurrency: a.server.connect_concurrency,
    };
    let shared = Arc::new(Shared::default());
    let group = Group::spawn(&spec, shared.clone());
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            _ = tick.tick() => println!("{}", serde_json::to_string(&line_of(&shared)).unwrap_or_default()),
            l = stdin.next_line() => if !matches!(l, Ok(Some(ref s)) if s.trim() != "stop") { break },
        }
    }
    group.stop().await;
    let mut last = line_of(&shared);
    last.hist = Some(encode(&shared.histogram()));
    println!("{}", serde_json::to_string(&last).unwrap_or_default());
}
