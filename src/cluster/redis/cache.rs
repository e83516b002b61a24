//! Cache channels' last events in Redis: one key per channel, written with the cache's TTL, so a
//! subscriber on any node gets what was published on any other, and Redis forgets it on time.

use std::time::Duration;

use async_trait::async_trait;

use crate::cluster::{BackendError, ChannelCache, Envelope, EnvelopePayload};
use crate::hub::CACHE_TTL;
use crate::protocol::{AppId, ChannelName, Event};
use crate::redis::Redis;

/// The cluster's channel cache on Redis.
pub struct RedisCache {
    redis: Redis,
}

impl RedisCache {
    /// A cache under `redis`'s prefix.
    pub fn new(redis: Redis) -> Self {
        Self { redis }
    }
}

#[async_trait]
impl ChannelCache for RedisCache {
    async fn remember(&self, app: &AppId, event: &Event) -> Result<(), BackendError> {
        if !event.channel.is_cache() {
            return Ok(());
        }
        let key = self.redis.keys().cached(app, event.channel.as_str());
        let stored = Envelope {
            app: app.clone(),
            channel: event.channel.clone(),
            payload: EnvelopePayload::Event(event.clone()),
            except: None,
            origin: 0,
        }
        .to_json();
        let ttl = CACHE_TTL.as_millis() as u64;
        self.redis
            .call("cache an event", move |mut c| async move {
                redis::cmd("SET")
                    .arg(key)
                    .arg(stored)
                    .arg("PX")
                    .arg(ttl)
                    .query_async::<()>(&mut c)
                    .await
            })
            .await?;
        Ok(())
    }

    async fn last(
        &self,
        app: &AppId,
        channel: &ChannelName,
    ) -> Result<Option<(Event, Duration)>, BackendError> {
        let key = self.redis.keys().cached(app, channel.as_str());
        let (stored, ttl): (Option<String>, i64) = self
            .redis
            .call("read the cache", move |mut c| async move {
                redis::pipe().get(&key).pttl(&key).query_async(&mut c).await
            })
            .await?;
        let (Some(stored), Ok(ttl @ 1..)) = (stored, u64::try_from(ttl)) else {
            return Ok(None);
        };
        match Envelope::from_json(&stored)?.payload {
            EnvelopePayload::Event(event) => Ok(Some((event, Duration::from_millis(ttl)))),
            _ => Err(BackendError::Malformed("a cached event".into())),
        }
    }
}
