//! Events: published through the REST APIs or relayed from a client, delivered to this node's sockets at
//! once and handed to the broker once for every other node. Envelopes other nodes publish arrive
//! through [`crate::hub::Hub::deliver`] and never wait on a slow channel.

use crate::apps::App;
use crate::cluster::EnvelopePayload;
use crate::debug::DebugEvent;
use crate::events::HubEvent;
use crate::protocol::{Event, SocketId};

use super::{Node, terminate_locally};
use crate::cluster::Command;

impl Node {
    /// Publishes an event to the channel's subscribers except `except`, on every node; returns how many
    /// connections it is meant for (cluster-wide when the node shares a cluster). Server events on
    /// cache channels are remembered for later subscribers. While the channel's slowest local
    /// subscriber is far behind, it first waits for it (see [`crate::hub::ChannelLog::wait_for_room`]),
    /// so REST publishers go no faster than events are delivered.
    pub async fn publish(&self, app: &App, event: &Event, except: Option<SocketId>) -> usize {
        let hub = self.app_hub(app);
        if let Some(log) = hub.log(&event.channel) {
            log.wait_for_room(self.ws.write_timeout).await;
        }
        if event.channel.is_cache() && self.backends.cache.remember(&app.id, event).await.is_err() {
            self.backend_failed("cache");
        }
        let (delivered, woken) = hub.publish(event, except);
        self.hub.ring(woken);
        let triggered = self.spread(app, event, except, delivered).await;
        self.metrics.published(delivered);
        self.debug.emit(|| DebugEvent::api(app, event, triggered));
        triggered
    }

    /// Hands an event to the other nodes; returns the cluster's audience (this node's alone when it is
    /// its own cluster).
    async fn spread(
        &self,
        app: &App,
        event: &Event,
        except: Option<SocketId>,
        local: usize,
    ) -> usize {
        if !self.backends.shared {
            return local;
        }
        let payload = EnvelopePayload::Event(event.clone());
        let envelope = self.envelope(app, &event.channel, payload, except);
        let counted = self.backends.presence.channel(&app.id, &event.channel);
        let (_, counted) = tokio::join!(self.to_bus(envelope), counted);
        let Ok(stats) = counted else {
            self.backend_failed("presence");
            return local;
        };
        let subscriptions = stats.map_or(0, |s| s.subscriptions);
        subscriptions
            .saturating_sub(usize::from(except.is_some()))
            .max(local)
    }

    /// Relays a client event to the channel's other subscribers on every node; unlike
    /// [`Node::publish`] it is never cached, as in Pusher, where only server events fill a cache
    /// channel. The event sink hears it.
    pub async fn relay(&self, app: &App, event: &Event, sender: SocketId) -> usize {
        let (delivered, woken) = self.app_hub(app).publish(event, Some(sender));
        self.hub.ring(woken);
        if self.backends.shared {
            let payload = EnvelopePayload::Event(event.clone());
            self.to_bus(self.envelope(app, &event.channel, payload, Some(sender)))
                .await;
        }
        self.metrics.client_event();
        self.debug.emit(|| DebugEvent::client(app, event));
        if self.sink().wants(app) {
            self.sink().emit(app, HubEvent::client_event(event, sender));
        }
        delivered
    }

    /// Closes every connection acting for `user` with 4009, on this node and the others, at the app's
    /// server's request; returns how many this node closed (the others answer no count).
    pub async fn terminate_user(&self, app: &App, user: &str) -> usize {
        let closed = terminate_locally(&self.hub, &app.id, user);
        let command = Command::TerminateUser {
            app: app.id.clone(),
            user: user.to_owned(),
        };
        if self.backends.control.broadcast(&command).await.is_err() {
            self.backend_failed("control");
        }
        closed
    }
}
