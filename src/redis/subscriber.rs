//! The connection a node listens on: pub/sub over RESP3, where messages arrive as pushes. The client
//! library reconnects it in the background and subscribes again to every channel it had, so a Redis
//! restart costs the messages published while it was down and nothing else. Whether it is connected
//! right now is what `/ready` reports for the bus.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{IntoConnectionInfo, ProtocolVersion, PushInfo, PushKind, Value};
use tokio::sync::mpsc;

use super::{CallError, ConnectError, Redis};

/// Where a subscriber hands each message: the Redis channel it came on and its payload. Must not
/// wait: it runs on the task that reads every message of the node.
pub type Route = Arc<dyn Fn(&[u8], &[u8]) + Send + Sync>;

/// A node's listening connection. Cheap to clone.
#[derive(Clone)]
pub struct Subscriber {
    connection: ConnectionManager,
    connected: Arc<AtomicBool>,
    timeout: Duration,
}

impl Redis {
    /// Opens a listening connection to the same server, handing every message to `route`.
    pub async fn subscriber(&self, route: Route) -> Result<Subscriber, ConnectError> {
        let (pushes, received) = mpsc::unbounded_channel();
        let connected = Arc::new(AtomicBool::new(true));
        let client = resp3_client(self.raw_url(), self.url())?;
        let settings = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout()))
            .set_response_timeout(Some(self.timeout()))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(1))
            .set_push_sender(pushes)
            .set_automatic_resubscription();
        let connect = async move {
            let connect = client.get_connection_manager_with_config(settings);
            tokio::time::timeout(super::START_TIMEOUT, connect).await
        };
        let connection = match super::io_runtime().spawn(connect).await {
            Ok(Ok(Ok(connection))) => connection,
            Ok(Ok(Err(source))) => return Err(self.unreachable(source)),
            _ => return Err(self.start_timeout()),
        };
        super::io_runtime().spawn(read_pushes(received, route, connected.clone()));
        Ok(Subscriber {
            connection,
            connected,
            timeout: self.timeout(),
        })
    }
}

/// A client for `raw` speaking RESP3, the protocol in which pub/sub shares a connection with replies.
fn resp3_client(raw: &str, shown: &str) -> Result<redis::Client, ConnectError> {
    let bad = |source| ConnectError::Url {
        url: shown.to_owned(),
        source,
    };
    let info = raw.into_connection_info().map_err(bad)?;
    let settings = info
        .redis_settings()
        .clone()
        .set_protocol(ProtocolVersion::RESP3);
    redis::Client::open(info.set_redis_settings(settings)).map_err(bad)
}

/// Hands messages to `route` and keeps `connected` up to date, until the connection is dropped.
async fn read_pushes(
    mut received: mpsc::UnboundedReceiver<PushInfo>,
    route: Route,
    connected: Arc<AtomicBool>,
) {
    while let Some(push) = received.recv().await {
        match push.kind {
            PushKind::Message => {
                if let [Value::BulkString(channel), Value::BulkString(payload)] = &push.data[..] {
                    route(channel, payload);
                }
            }
            PushKind::Disconnection if connected.swap(false, Ordering::AcqRel) => {
                tracing::warn!("lost the Redis pub/sub connection; reconnecting");
            }
            _ => {}
        }
    }
}

impl Subscriber {
    /// Starts receiving `channel`'s messages.
    pub async fn subscribe(&self, channel: String) -> Result<(), CallError> {
        let mut connection = self.connection.clone();
        self.bounded(async move { connection.subscribe(channel).await })
            .await
    }

    /// Stops receiving `channel`'s messages.
    pub async fn unsubscribe(&self, channel: String) -> Result<(), CallError> {
        let mut connection = self.connection.clone();
        self.bounded(async move { connection.unsubscribe(channel).await })
            .await
    }

    /// Whether the connection was up at its last check and has not dropped since.
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// Asks the server on this connection (which also starts a reconnection when it was down), and
    /// records the answer as the connection's state.
    pub async fn check(&self) -> bool {
        let mut connection = self.connection.clone();
        let ping = async move { redis::cmd("PING").query_async::<()>(&mut connection).await };
        let up = self.bounded(ping).await.is_ok();
        if up && !self.connected.swap(true, Ordering::AcqRel) {
            tracing::info!("the Redis pub/sub connection is back");
        }
        if !up {
            self.connected.store(false, Ordering::Release);
        }
        up
    }

    async fn bounded(
        &self,
        call: impl Future<Output = redis::RedisResult<()>>,
    ) -> Result<(), CallError> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(answer) => answer.map_err(CallError::Command),
            Err(_) => Err(CallError::Timeout(self.timeout)),
        }
    }
}
