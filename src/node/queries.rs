//! What the REST APIs and the console ask about channels, answered by the presence store: cluster-wide,
//! never by asking other nodes. A store that cannot answer is an error the API turns into 503.

use std::time::Duration;

use crate::apps::App;
use crate::cluster::{BackendError, ChannelStats, Member};
use crate::protocol::{ChannelName, Event};

use super::Node;

impl Node {
    /// The app's occupied channels, sorted by name.
    pub async fn channels(&self, app: &App) -> Result<Vec<ChannelStats>, BackendError> {
        let listed = self.backends.presence.channels(&app.id).await;
        self.noted(listed, "presence")
    }

    /// One channel, if occupied.
    pub async fn channel(
        &self,
        app: &App,
        channel: &ChannelName,
    ) -> Result<Option<ChannelStats>, BackendError> {
        let stats = self.backends.presence.channel(&app.id, channel).await;
        self.noted(stats, "presence")
    }

    /// A presence channel's members, one per user, in join order.
    pub async fn members(
        &self,
        app: &App,
        channel: &ChannelName,
    ) -> Result<Vec<Member>, BackendError> {
        let members = self.backends.presence.members(&app.id, channel).await;
        self.noted(members, "presence")
    }

    /// A cache channel's last event and how long it stays cached.
    pub async fn cached(
        &self,
        app: &App,
        channel: &ChannelName,
    ) -> Result<Option<(Event, Duration)>, BackendError> {
        let cached = self.backends.cache.last(&app.id, channel).await;
        self.noted(cached, "cache")
    }

    /// How many connections the app has on this node.
    pub fn local_connection_count(&self, app: &App) -> usize {
        self.app_hub(app).connection_count()
    }

    /// How many of the app's connections on this node act for `user`.
    pub fn local_connections_of_user(&self, app: &App, user: &str) -> usize {
        self.app_hub(app).connections_of_user(user).len()
    }

    fn noted<T>(
        &self,
        result: Result<T, BackendError>,
        what: &'static str,
    ) -> Result<T, BackendError> {
        if result.is_err() {
            self.backend_failed(what);
        }
        result
    }
}
