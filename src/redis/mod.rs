//! The Redis connection a cluster member shares state through: connecting from `redis.url` (failing
//! fast at start), the key names ([`Keys`]), and [`Redis::call`], the one way a backend talks to
//! Redis at run time.
//!
//! A call never hangs a request: it is bounded by `redis.timeout`. A failed call is logged, counted in
//! `lattestream_redis_errors_total`, and pauses Redis for [`PAUSE_AFTER_FAILURE`]: calls in that time
//! fail at once instead of each waiting out the timeout on a dead server; the first call after it
//! tries Redis again. What a failure means is each backend's choice, documented where it is made (the
//! rate limiter counts on this node alone; the nonce store refuses). The connection itself reconnects
//! on its own (`redis::aio::ConnectionManager`).

mod keys;
mod subscriber;

pub use keys::{KeyPrefixError, Keys};
pub use subscriber::{Route, Subscriber};

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::time::Instant;

use crate::config::RedisConfig;
use crate::metrics::Metrics;

/// The runtime Redis connections live on: one thread of their own, so replies, pub/sub messages and
/// heartbeats are read at once even while the node's workers are busy writing a large fan-out (on
/// the node's runtime, a publisher waited behind the previous event's 3,000 socket writes for every
/// reply, and a heartbeat could be late enough to look dead).
pub(crate) fn io_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("redis-io")
            .enable_all()
            .build()
            .expect("the Redis I/O runtime starts")
    })
}

/// How long Redis is left alone after a failed call.
pub const PAUSE_AFTER_FAILURE: Duration = Duration::from_secs(1);
/// Longest wait for Redis to answer at start before the start fails.
const START_TIMEOUT: Duration = Duration::from_secs(5);
/// Reconnection attempts per lost connection before a call reports the failure (the next call starts
/// a new round).
const RECONNECT_ATTEMPTS: usize = 2;

/// Why Redis could not be used at start. Each names the URL with its password masked.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL is not one the client understands.
    #[error("redis {url}: not a Redis URL: {source}")]
    Url {
        /// The URL, password masked.
        url: String,
        /// The client's reason.
        source: redis::RedisError,
    },
    /// Connecting, authenticating or the first `PING` failed.
    #[error("redis {url}: cannot connect: {source}")]
    Unreachable {
        /// The URL, password masked.
        url: String,
        /// The client's reason.
        source: redis::RedisError,
    },
    /// No answer within the start timeout.
    #[error("redis {url}: no answer within {after:?}")]
    Timeout {
        /// The URL, password masked.
        url: String,
        /// How long it waited.
        after: Duration,
    },
    /// `redis.key_prefix` is unusable.
    #[error(transparent)]
    Prefix(#[from] KeyPrefixError),
}

/// Why one call did not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Redis answered with an error, or the connection failed.
    #[error("redis command failed: {0}")]
    Command(#[from] redis::RedisError),
    /// No answer within `redis.timeout`.
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    /// A call failed moments ago; Redis is not asked again until the pause ends.
    #[error("redis failed moments ago; not asked again for {0:?}")]
    Paused(Duration),
}

/// A shared, self-reconnecting Redis connection with this cluster's key names. Cheap to clone.
#[derive(Clone)]
pub struct Redis(Arc<Inner>);

struct Inner {
    connection: ConnectionManager,
    keys: Keys,
    url: String,
    /// The URL as configured, password included: only ever given to the client library.
    raw_url: crate::config::Sensitive,
    timeout: Duration,
    metrics: Arc<Metrics>,
    paused_until: Mutex<Option<Instant>>,
}

impl Redis {
    /// Connects and checks that Redis answers `PING`; `metrics` counts later failures.
    pub async fn connect(
        config: &RedisConfig,
        metrics: Arc<Metrics>,
    ) -> Result<Self, ConnectError> {
        let keys = Keys::new(&config.key_prefix)?;
        let raw = config.url.as_ref().map_or("", |u| u.expose());
        let url = masked(raw);
        let opening = io_runtime().spawn(open(raw.to_owned(), url.clone(), config.clone()));
        let connection = opening.await.map_err(|_| ConnectError::Timeout {
            url: url.clone(),
            after: START_TIMEOUT,
        })??;
        Ok(Self(Arc::new(Inner {
            connection,
            keys,
            url,
            raw_url: crate::config::Sensitive::new(raw),
            timeout: config.timeout,
            metrics,
            paused_until: Mutex::new(None),
        })))
    }

    /// This cluster's key names.
    pub fn keys(&self) -> &Keys {
        &self.0.keys
    }

    /// The URL, password masked, for logs.
    pub fn url(&self) -> &str {
        &self.0.url
    }

    /// Publishes `message` on the pub/sub `channel` (one `PUBLISH`); `what` names the caller.
    pub async fn publish(
        &self,
        what: &'static str,
        channel: String,
        message: String,
    ) -> Result<(), CallError> {
        self.call(what, move |mut c| async move {
            redis::cmd("PUBLISH")
                .arg(channel)
                .arg(message)
                .query_async::<()>(&mut c)
                .await
        })
        .await
    }

    /// The longest wait for one command.
    pub fn timeout(&self) -> Duration {
        self.0.timeout
    }

    fn raw_url(&self) -> &str {
        self.0.raw_url.expose()
    }

    fn unreachable(&self, source: redis::RedisError) -> ConnectError {
        ConnectError::Unreachable {
            url: self.0.url.clone(),
            source,
        }
    }

    fn start_timeout(&self) -> ConnectError {
        ConnectError::Timeout {
            url: self.0.url.clone(),
            after: START_TIMEOUT,
        }
    }

    /// Runs one command (or script) made by `command` on the shared connection, bounded by
    /// `redis.timeout`. `what` names the caller in the warning a failure logs.
    pub async fn call<T, F>(
        &self,
        what: &'static str,
        command: impl FnOnce(ConnectionManager) -> F,
    ) -> Result<T, CallError>
    where
        F: Future<Output = redis::RedisResult<T>>,
    {
        if let Some(left) = self.paused_for() {
            return Err(CallError::Paused(left));
        }
        let timeout = self.0.timeout;
        let error = match tokio::time::timeout(timeout, command(self.0.connection.clone())).await {
            Ok(Ok(answer)) => return Ok(answer),
            Ok(Err(error)) => CallError::Command(error),
            Err(_) => CallError::Timeout(timeout),
        };
        self.failed(what, &error);
        Err(error)
    }

    /// What is left of the pause after a failure, if one is running.
    fn paused_for(&self) -> Option<Duration> {
        let until = (*self.0.paused_until.lock())?;
        until.checked_duration_since(Instant::now())
    }

    fn failed(&self, what: &'static str, error: &CallError) {
        self.0.metrics.redis_error();
        *self.0.paused_until.lock() = Some(Instant::now() + PAUSE_AFTER_FAILURE);
        tracing::warn!(%error, redis = %self.0.url, "{what}: Redis failed");
    }
}

/// The connection to `raw` (shown as `url`), answering within [`START_TIMEOUT`].
async fn open(
    raw: String,
    url: String,
    config: RedisConfig,
) -> Result<ConnectionManager, ConnectError> {
    let (url, config) = (url.as_str(), &config);
    let client = redis::Client::open(raw.as_str()).map_err(|source| ConnectError::Url {
        url: url.to_owned(),
        source,
    })?;
    match tokio::time::timeout(START_TIMEOUT, first_connection(client, config)).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(source)) => Err(ConnectError::Unreachable {
            url: url.to_owned(),
            source,
        }),
        Err(_) => Err(ConnectError::Timeout {
            url: url.to_owned(),
            after: START_TIMEOUT,
        }),
    }
}

/// Connects with bounded reconnection and timeouts, then checks the server answers.
async fn first_connection(
    client: redis::Client,
    config: &RedisConfig,
) -> redis::RedisResult<ConnectionManager> {
    let settings = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(config.timeout))
        .set_response_timeout(Some(config.timeout))
        .set_number_of_retries(RECONNECT_ATTEMPTS)
        .set_max_delay(Duration::from_secs(1));
    let mut connection = client.get_connection_manager_with_config(settings).await?;
    redis::cmd("PING")
        .query_async::<()>(&mut connection)
        .await?;
    Ok(connection)
}

/// The URL with its password (if any) replaced by `****`; a URL that does not parse is not shown.
pub fn masked(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("****"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "(an unreadable URL)".to_owned(),
    }
}

/// The integration tests' Redis harness, shared with the unit tests.
#[cfg(test)]
#[path = "../../tests/common/redis.rs"]
pub(crate) mod testing;

/// A connection to a test's Redis under `prefix`, counting failures in `metrics`.
#[cfg(test)]
pub(crate) async fn connect_for_test(url: &str, prefix: &str, metrics: Arc<Metrics>) -> Redis {
    let config = RedisConfig {
        url: Some(crate::config::Sensitive::new(url)),
        key_prefix: prefix.to_owned(),
        ..RedisConfig::default()
    };
    Redis::connect(&config, metrics)
        .await
        .expect("the test Redis answers")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show_in_a_url() {
        assert_eq!(
            masked("redis://:s3cret@db:6379/0"),
            "redis://:****@db:6379/0"
        );
        assert_eq!(masked("redis://user:s3cret@db/"), "redis://user:****@db/");
        assert_eq!(masked("redis://127.0.0.1:6379/"), "redis://127.0.0.1:6379/");
        assert!(!masked("redis//:s3cret@").contains("s3cret"));
    }
}
