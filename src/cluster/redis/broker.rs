//! The Redis broker: one pub/sub channel per app channel (`PREFIX:bus:{APP}:CHANNEL`). Publishing is
//! one `PUBLISH` per event for the whole cluster, whatever the number of nodes or subscribers; a node
//! subscribes to the channels it has local subscribers for, so Redis sends it nothing else.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use tokio::sync::Mutex;

use crate::cluster::{BackendError, Broker, Deliver, Envelope};
use crate::protocol::{AppId, ChannelName};
use crate::redis::{Redis, Subscriber};

/// A node's broker on Redis.
pub struct RedisBroker {
    redis: Redis,
    subscriber: Subscriber,
    /// Listens per channel. Held across the subscribe so a listen and an unlisten of one channel
    /// reach Redis in the order they were counted.
    listens: Mutex<HashMap<(AppId, ChannelName), usize>>,
    /// Bus channels counted as listened to whose `SUBSCRIBE` failed (Redis was away): subscribed again
    /// by [`RedisBroker::check`], so a channel first joined during an outage is heard once it is over.
    missed: parking_lot::Mutex<HashSet<String>>,
}

impl RedisBroker {
    /// A broker publishing through `redis` and listening on `subscriber` (whose messages the caller
    /// routes to [`RedisBroker::received`]).
    pub fn new(redis: Redis, subscriber: Subscriber) -> Self {
        Self {
            redis,
            subscriber,
            listens: Mutex::new(HashMap::new()),
            missed: parking_lot::Mutex::new(HashSet::new()),
        }
    }

    /// Checks the listening connection and, when it is up, subscribes the channels whose subscribe
    /// failed; true when connected and nothing is missing.
    pub async fn check(&self) -> bool {
        if !self.subscriber.check().await {
            return false;
        }
        let missed: Vec<String> = self.missed.lock().drain().collect();
        let mut whole = true;
        for topic in missed {
            if self.subscriber.subscribe(topic.clone()).await.is_err() {
                self.missed.lock().insert(topic);
                whole = false;
            }
        }
        whole
    }

    /// Hands an envelope that arrived on a bus channel to `deliver`, unless node `me` sent it.
    pub fn received(payload: &[u8], me: u32, deliver: &Deliver) {
        let Ok(text) = std::str::from_utf8(payload) else {
            return tracing::warn!("a bus message that is not UTF-8; ignored");
        };
        match Envelope::from_json(text) {
            Ok(envelope) if envelope.origin != me => deliver(envelope),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "an unreadable bus message; ignored"),
        }
    }

    fn topic(&self, app: &AppId, channel: &ChannelName) -> String {
        self.redis.keys().bus(app, channel.as_str())
    }
}

#[async_trait]
impl Broker for RedisBroker {
    async fn listen(&self, app: &AppId, channel: &ChannelName) -> Result<(), BackendError> {
        let mut listens = self.listens.lock().await;
        let count = listens.entry((app.clone(), channel.clone())).or_default();
        *count += 1;
        if *count > 1 {
            return Ok(());
        }
        let topic = self.topic(app, channel);
        if let Err(error) = self.subscriber.subscribe(topic.clone()).await {
            self.missed.lock().insert(topic);
            return Err(error.into());
        }
        Ok(())
    }

    async fn unlisten(&self, app: &AppId, channel: &ChannelName) -> Result<(), BackendError> {
        let mut listens = self.listens.lock().await;
        let key = (app.clone(), channel.clone());
        let Some(count) = listens.get_mut(&key) else {
            return Ok(());
        };
        *count -= 1;
        if *count == 0 {
            listens.remove(&key);
            let topic = self.topic(app, channel);
            if self.missed.lock().remove(&topic) {
                return Ok(());
            }
            self.subscriber.unsubscribe(topic).await?;
        }
        Ok(())
    }

    async fn publish(&self, envelope: &Envelope) -> Result<(), BackendError> {
        let topic = self.topic(&envelope.app, &envelope.channel);
        let message = envelope.to_json();
        self.redis.publish("broker publish", topic, message).await?;
        Ok(())
    }
}

/// Builds brokers on one Redis, for the conformance suite.
#[cfg(test)]
pub(crate) async fn broker_for_test(
    url: &str,
    prefix: &str,
    node: u32,
    deliver: Deliver,
) -> std::sync::Arc<dyn Broker> {
    use std::sync::Arc;
    let metrics = Arc::new(crate::metrics::Metrics::default());
    let redis = crate::redis::connect_for_test(url, prefix, metrics).await;
    let bus = redis.keys().bus_start();
    let route: crate::redis::Route = Arc::new(move |channel, payload| {
        if channel.starts_with(bus.as_bytes()) {
            RedisBroker::received(payload, node, &deliver);
        }
    });
    let subscriber = redis
        .subscriber(route)
        .await
        .expect("the test Redis answers");
    Arc::new(RedisBroker::new(redis, subscriber))
}
