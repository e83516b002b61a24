//! Cache channels (`cache-`, `private-cache-`, `presence-cache-`, `private-encrypted-cache-`): the last
//! event published on each is kept for 30 minutes and replayed to every new subscriber, or
//! `pusher:cache_miss` is sent when there is none. Kept apart from the subscribers, since a channel with
//! no subscriber still caches what it is sent.

use std::time::Duration;

use dashmap::DashMap;
use tokio::time::Instant;

use crate::protocol::{ChannelName, Event};

/// How long a cached event is replayed, as in Pusher.
pub const CACHE_TTL: Duration = Duration::from_secs(30 * 60);

/// The last event of every cache channel of one app.
#[derive(Default)]
pub struct EventCache {
    events: DashMap<ChannelName, (Event, Instant)>,
}

impl EventCache {
    /// Remembers `event` if its channel is a cache channel.
    pub fn remember(&self, event: &Event) {
        if event.channel.is_cache() {
            self.events
                .insert(event.channel.clone(), (event.clone(), Instant::now()));
        }
    }

    /// The channel's cached event and how long it stays cached, unless it expired (expired entries are
    /// dropped on the way).
    pub fn last(&self, channel: &ChannelName) -> Option<(Event, Duration)> {
        let entry = self.events.get(channel)?;
        if let Some(left) = CACHE_TTL
            .checked_sub(entry.1.elapsed())
            .filter(|d| !d.is_zero())
        {
            return Some((entry.0.clone(), left));
        }
        drop(entry);
        self.events
            .remove_if(channel, |_, (_, at)| at.elapsed() >= CACHE_TTL);
        None
    }
}
