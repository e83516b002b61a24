//! `lattestream webhooks …`: the operator's view of the dead-letter list, straight from the queue: the
//! cluster's in Redis when `redis.url` is set, else the one in the data directory (safe while the
//! server runs: it picks replayed events up within a second).

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use super::{QUEUE_FILE, QueueError, RedisQueue, Resolution, SqliteQueue, WebhookQueue};
use crate::config::Config;
use crate::protocol::AppId;

/// What to do with the dead letters.
#[derive(Debug, clap::Subcommand)]
pub enum WebhooksCommand {
    /// List batches given up (oldest first).
    DeadLetters {
        /// Only this app's.
        #[arg(long)]
        app: Option<String>,
        /// Most entries shown.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Print each entry's events too.
        #[arg(long)]
        events: bool,
    },
    /// Queue dead letters again for their endpoint: the given ids, or every one with --all.
    Replay {
        /// Only this app's.
        #[arg(long)]
        app: Option<String>,
        /// Every dead letter (of the app, if given).
        #[arg(long, conflicts_with = "ids")]
        all: bool,
        /// Dead-letter ids.
        ids: Vec<i64>,
    },
    /// Delete the given dead letters.
    Discard {
        /// Only this app's.
        #[arg(long)]
        app: Option<String>,
        /// Dead-letter ids.
        #[arg(required = true)]
        ids: Vec<i64>,
    },
}

/// Why the command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The cluster's Redis could not be reached.
    #[error(transparent)]
    Redis(#[from] crate::redis::ConnectError),
    /// `--app` is not an app id.
    #[error("--app must be an app id (digits)")]
    BadApp,
    /// Replay named nothing.
    #[error("name dead-letter ids, or --all")]
    NothingChosen,
}

/// The queue the server uses: the cluster's when `redis.url` is set.
async fn open(config: &Config) -> Result<Arc<dyn WebhookQueue>, CliError> {
    if config.redis.url.is_none() {
        return Ok(Arc::new(SqliteQueue::open(
            &config.data_dir.join(QUEUE_FILE),
        )?));
    }
    let metrics = Arc::new(crate::metrics::Metrics::default());
    let redis = crate::redis::Redis::connect(&config.redis, metrics).await?;
    Ok(Arc::new(RedisQueue::new(redis)))
}

/// Runs the command against the server's queue, printing to standard output.
pub async fn run(config: &Config, command: WebhooksCommand) -> Result<(), CliError> {
    let queue = open(config).await?;
    let app_of = |app: Option<String>| match app {
        Some(id) => AppId::parse(&id).map(Some).ok_or(CliError::BadApp),
        None => Ok(None),
    };
    match command {
        WebhooksCommand::DeadLetters { app, limit, events } => {
            list(&*queue, app_of(app)?.as_ref(), limit, events).await
        }
        WebhooksCommand::Replay { app, all, ids } => {
            let chosen = (!all).then_some(ids);
            if chosen.as_ref().is_some_and(Vec::is_empty) {
                return Err(CliError::NothingChosen);
            }
            let app = app_of(app)?;
            let moved = queue
                .resolve(app.as_ref(), chosen.as_deref(), Resolution::Replay)
                .await?;
            println!("replayed {moved} events");
            Ok(())
        }
        WebhooksCommand::Discard { app, ids } => {
            let app = app_of(app)?;
            let moved = queue
                .resolve(app.as_ref(), Some(&ids), Resolution::Discard)
                .await?;
            println!("discarded {moved} events");
            Ok(())
        }
    }
}

async fn list(
    queue: &dyn WebhookQueue,
    app: Option<&AppId>,
    limit: usize,
    events: bool,
) -> Result<(), CliError> {
    let found = queue.dead_letters(app, 0, limit).await?;
    if found.is_empty() {
        println!("no dead letters");
    }
    for dead in found {
        let at = UNIX_EPOCH + Duration::from_millis(dead.dead_ms.max(0) as u64);
        println!(
            "id={} app={} url={} events={} attempts={} status={} dead_at={} reason={:?}",
            dead.id,
            dead.app,
            super::endpoint::redacted(&dead.url),
            dead.count,
            dead.failure.attempts,
            dead.failure.status.map_or("-".into(), |s| s.to_string()),
            httpdate::fmt_http_date(at),
            dead.failure.reason,
        );
        if events {
            println!("  {}", dead.events);
        }
    }
    Ok(())
}
