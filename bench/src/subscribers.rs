//! A group of subscriber connections inside this process: one small task per
//! connection that connects, subscribes, then counts benchmark deliveries
//! and their latency until told to stop.

use crate::conn::{self, Target, Ws};
use crate::proto::Dialect;
use crate::reader::{Batch, FrameReader, client_close, client_text};
use crate::stats::Shared;
use std::future::poll_fn;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use tokio::io::AsyncWriteExt;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

/// What a group of subscribers should do.
#[derive(Clone, Debug)]
pub struct GroupSpec {
    /// Where to connect.
    pub target: Target,
    /// Connections in this group.
    pub connections: usize,
    /// Global index of the first connection (groups in several processes
    /// cover disjoint index ranges, which pick channel and source address).
    pub offset: usize,
    /// Connection `i` subscribes to `{prefix}{i % channels}`.
    pub channels: usize,
    /// Channel-name prefix, e.g. `bench-`.
    pub prefix: String,
    /// Connections allowed to be mid-handshake at once.
    pub connect_concurrency: usize,
}

impl GroupSpec {
    /// The channel connection `global_index` subscribes to.
    pub fn channel_of(&self, global_index: usize) -> String {
        format!("{}{}", self.prefix, global_index % self.channels.max(1))
    }
}

/// Running subscriber tasks; dropping the stop sender ends them.
pub struct Group {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Group {
    /// Spawns one task per connection; progress goes into `shared`.
    pub fn spawn(spec: &GroupSpec, shared: Arc<Shared>) -> Group {
        let (stop, stop_rx) = watch::channel(false);
        let gate = Arc::new(Semaphore::new(spec.connect_concurrency.max(1)));
        let mut tasks = JoinSet::new();
        let spec = Arc::new(spec.clone());
        for i in spec.offset..spec.offset + spec.connections {
            let (spec, shared, gate, stop_rx) =
                (spec.clone(), shared.clone(), gate.clone(), stop_rx.clone());
            tasks.spawn(async move {
                let ws = {
                    let _permit = gate.acquire().await;
                    open(&spec, i).await
                };
                match ws {
                    Ok(ws) => {
                        shared.connected.fetch_add(1, Relaxed);
                        listen(ws, spec.target.dialect, &shared, i, stop_rx).await;
                    }
                    Err(e) => {
                        if shared.failed.fetch_add(1, Relaxed) < 5 {
                            eprintln!("connection {i} failed: {e}");
                        }
                    }
                }
            });
        }
        Group { stop, tasks }
    }

    /// Closes every connection and waits for the tasks to finish.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Connects and subscribes connection `i`.
async fn open(spec: &GroupSpec, i: usize) -> conn::Result<Ws> {
    let (mut ws, id) = conn::connect(&spec.target, i).await?;
    conn::subscribe(&spec.target, &mut ws, &id, &spec.channel_of(i), None).await?;
    Ok(ws)
}

/// Counts deliveries on an established connection until stopped or closed. After the handshake the
/// socket is read with [`FrameReader`] instead of tungstenite: fewer instructions per delivery leave
/// more of the shared cores to the server under test.
async fn listen(
    ws: Ws,
    dialect: Dialect,
    shared: &Shared,
    i: usize,
    mut stop: watch::Receiver<bool>,
) {
    let mut tcp = ws.into_inner();
    let mut reader = FrameReader::default();
    let mut batch = Batch::default();
    let stopped = stop.changed();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            biased;
            ready = poll_fn(|cx| tcp.poll_read_ready(cx)) => {
                let read = ready.and_then(|()| reader.try_read(&tcp, &mut batch));
                if read.is_err() || batch.closed {
                    shared.dropped.fetch_add(1, Relaxed);
                    return;
                }
                shared.record_deliveries(i, &batch.stamps);
                shared.other_events.fetch_add(batch.other, Relaxed);
                for _ in 0..batch.pings {
                    let _ = tcp.write_all(&client_text(&dialect.pong())).await;
                }
                batch.stamps.clear();
                (batch.pings, batch.other) = (0, 0);
            }
            _ = &mut stopped => {
                let _ = tcp.write_all(&client_close()).await;
                return;
            }
        }
    }
}
