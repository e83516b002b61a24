//! The last server event of every cache channel (`cache-…`), replayed to new subscribers for 30
//! minutes, shared by the cluster so a subscriber on any node gets what was published on any other.

use std::time::Duration;

use async_trait::async_trait;
use dashmap::DashMap;

use super::BackendError;
use crate::hub::EventCache;
use crate::protocol::{AppId, ChannelName, Event};

/// Cache channels' last events.
///
/// Contract, for every implementation:
/// - `remember` keeps an event of a cache channel (and ignores any other) for [`crate::hub::CACHE_TTL`],
///   replacing the channel's previous one;
/// - `last` answers it with the time it stays cached (more than zero, at most the TTL), or `None`.
#[async_trait]
pub trait ChannelCache: Send + Sync {
    /// Remembers a server event if its channel is a cache channel.
    async fn remember(&self, app: &AppId, event: &Event) -> Result<(), BackendError>;
    /// The channel's cached event and how long it stays cached.
    async fn last(
        &self,
        app: &AppId,
        channel: &ChannelName,
    ) -> Result<Option<(Event, Duration)>, BackendError>;
}

/// Every app's cache in this process.
#[derive(Default)]
pub struct MemoryCache {
    apps: DashMap<AppId, EventCache>,
}

#[async_trait]
impl ChannelCache for MemoryCache {
    async fn remember(&self, app: &AppId, event: &Event) -> Result<(), BackendError> {
        if event.channel.is_cache() {
            self.apps.entry(app.clone()).or_default().remember(event);
        }
        Ok(())
    }

    async fn last(
        &self,
        app: &AppId,
        channel: &ChannelName,
    ) -> Result<Option<(Event, Duration)>, BackendError> {
        Ok(self.apps.get(app).and_then(|cache| cache.last(channel)))
    }
}
