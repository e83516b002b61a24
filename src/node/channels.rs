//! Connections coming and going, subscribing and leaving. Each step asks the shared store first, so
//! the transitions it decides (first subscriber anywhere, a user's first connection anywhere) are
//! announced by this node alone: `member_added` to every node's subscribers, the count, the webhook.
//! A subscriber hears nothing of a channel before its `subscription_succeeded`: the node listens to
//! the channel and asks the store before the hub joins it to the channel's log.

use std::sync::Arc;

use crate::apps::App;
use crate::cluster::{Envelope, EnvelopePayload, Joined, Left, Member, PresenceFull, Subscription};
use crate::events::{Direction, HubEvent, Transition};
use crate::hub::{Connection, Greeting, MemberData};
use crate::protocol::{ChannelKind, ChannelName, Event, ServerMessage, SocketId};

use super::Node;

/// The app has as many connections as it may have, cluster-wide.
#[derive(Debug, thiserror::Error)]
#[error("over connection quota")]
pub struct OverQuota;

impl Node {
    /// Registers a new connection, unless the app is at its connection quota (cluster-wide).
    pub async fn connect(&self, app: &App, conn: &Arc<Connection>) -> Result<(), OverQuota> {
        let max = app.settings.max_connections;
        let counted = self.backends.presence.connect(&app.id, conn.socket_id, max);
        match counted.await {
            Ok(false) => return Err(OverQuota),
            Ok(true) => {}
            Err(_) => self.backend_failed("presence"),
        }
        self.app_hub(app).add_connection(conn.clone());
        Ok(())
    }

    /// Forgets a connection whose subscriptions were all left.
    pub async fn disconnect(&self, app: &App, socket: SocketId) {
        self.app_hub(app).remove_connection(socket);
        if self
            .backends
            .presence
            .disconnect(&app.id, socket)
            .await
            .is_err()
        {
            self.backend_failed("presence");
        }
    }

    /// Subscribes a connection that is not subscribed to `channel` yet: the cluster hears of it, the
    /// connection gets `subscription_succeeded` (with every member, on presence channels) and the
    /// cache replay, and what changed is announced. A presence channel at the app's member limit
    /// refuses a new user.
    pub async fn subscribe(
        &self,
        app: &App,
        conn: &Arc<Connection>,
        channel: &ChannelName,
        member: Option<MemberData>,
    ) -> Result<(), PresenceFull> {
        self.listen(app, channel).await;
        let sub = Subscription {
            app: &app.id,
            channel,
            socket: conn.socket_id,
            member: member.as_ref(),
        };
        let joined = match self
            .backends
            .presence
            .join(sub, app.settings.max_presence_members)
            .await
        {
            Ok(Ok(joined)) => Some(joined),
            Ok(Err(full)) => {
                self.unlisten(app, channel).await;
                return Err(full);
            }
            Err(_) => {
                self.backend_failed("presence");
                None
            }
        };
        let cached = self.replay_for(app, channel).await;
        let cache_miss = matches!(cached, Some(None));
        let alone = member
            .iter()
            .map(|m| lone_member(m, conn.socket_id))
            .collect::<Vec<_>>();
        let roster = joined
            .as_ref()
            .map_or(alone.as_slice(), |j| j.roster.as_slice());
        let greeting = Greeting {
            roster: member.as_ref().map(|m| (roster, &*m.user_id)),
            cached,
        };
        self.app_hub(app)
            .subscribe(conn, channel, member.clone(), greeting);
        if let Some(joined) = joined {
            let user = member.map(|m| (m, conn.socket_id));
            self.announce_join(app, channel, user, &joined, cache_miss)
                .await;
        }
        Ok(())
    }

    /// Unsubscribes a connection; unknown channels are ignored, as in Pusher.
    pub async fn unsubscribe(&self, app: &App, socket: SocketId, channel: &ChannelName) {
        let Some(member) = self.app_hub(app).unsubscribe(socket, channel) else {
            return;
        };
        self.unlisten(app, channel).await;
        if channel.is_server_to_user() {
            return;
        }
        let sub = Subscription {
            app: &app.id,
            channel,
            socket,
            member: member.as_ref(),
        };
        match self.backends.presence.leave(sub).await {
            Ok(left) => self.announce_leave(app, channel, &left).await,
            Err(_) => self.backend_failed("presence"),
        }
    }

    /// Records a `pusher:signin`: the connection joins its user's server-to-user channel (silently,
    /// on every node's bus) and its watchlist is registered.
    pub async fn sign_in(
        &self,
        app: &App,
        conn: &Arc<Connection>,
        user: &Arc<str>,
        watchlist: &[Arc<str>],
    ) -> ChannelName {
        let channel = ChannelName::server_to_user(user);
        self.listen(app, &channel).await;
        let hub = self.app_hub(app);
        hub.subscribe_silently(conn, &channel);
        hub.users().sign_in(conn, user, watchlist);
        channel
    }

    /// Undoes a sign-in's watchlist (its channel is left like any other).
    pub fn sign_out(&self, app: &App, socket: SocketId, user: &Arc<str>, watchlist: &[Arc<str>]) {
        self.app_hub(app).users().sign_out(socket, user, watchlist);
    }

    async fn listen(&self, app: &App, channel: &ChannelName) {
        if self.backends.broker.listen(&app.id, channel).await.is_err() {
            self.backend_failed("broker");
        }
    }

    async fn unlisten(&self, app: &App, channel: &ChannelName) {
        if self
            .backends
            .broker
            .unlisten(&app.id, channel)
            .await
            .is_err()
        {
            self.backend_failed("broker");
        }
    }

    /// On cache channels: what a new subscriber is replayed (`Some(None)`: nothing, `cache_miss`).
    async fn replay_for(&self, app: &App, channel: &ChannelName) -> Option<Option<Event>> {
        if !channel.is_cache() {
            return None;
        }
        match self.backends.cache.last(&app.id, channel).await {
            Ok(cached) => Some(cached.map(|(event, _)| event)),
            Err(_) => {
                self.backend_failed("cache");
                Some(None)
            }
        }
    }

    /// Tells everyone what a join changed: `member_added` to the channel's other subscribers on every
    /// node, the new count where the app asks for counts, and the sink.
    async fn announce_join(
        &self,
        app: &App,
        channel: &ChannelName,
        user: Option<(MemberData, SocketId)>,
        joined: &Joined,
        cache_miss: bool,
    ) {
        let mut new_member = None;
        if let (true, Some((member, socket))) = (joined.new_user, user) {
            let payload = EnvelopePayload::MemberAdded {
                user_id: member.user_id.clone(),
                user_info: member.user_info.clone(),
            };
            self.tell(app, channel, payload, Some(socket)).await;
            new_member = Some(member.user_id);
        }
        self.announce_count(app, channel, joined.subscriptions)
            .await;
        let transition = Transition {
            changed: true,
            occupancy: joined.first_subscriber,
            member: new_member,
            subscriptions: joined.subscriptions,
            cache_miss,
            ..Transition::none(channel, Direction::Subscribed)
        };
        self.report(app, &transition);
    }

    /// Tells everyone what a leave changed (also a dead node's leaves, found by the upkeep).
    pub(super) async fn announce_leave(&self, app: &App, channel: &ChannelName, left: &Left) {
        if let Some(user) = &left.user_gone {
            let payload = EnvelopePayload::MemberRemoved {
                user_id: user.clone(),
            };
            self.tell(app, channel, payload, None).await;
        }
        self.announce_count(app, channel, left.subscriptions).await;
        let transition = Transition {
            changed: true,
            occupancy: left.last_subscriber,
            member: left.user_gone.clone(),
            subscriptions: left.subscriptions,
            ..Transition::none(channel, Direction::Unsubscribed)
        };
        self.report(app, &transition);
    }

    /// `subscription_count` to a non-presence channel's subscribers, when the app asks for counts.
    async fn announce_count(&self, app: &App, channel: &ChannelName, count: usize) {
        let wanted = app.settings.subscription_count_events;
        if wanted && count > 0 && channel.kind() != ChannelKind::Presence {
            self.tell(app, channel, EnvelopePayload::Count(count), None)
                .await;
        }
    }

    /// Sends one of the server's own messages to a channel's subscribers on this node and every other.
    async fn tell(
        &self,
        app: &App,
        channel: &ChannelName,
        payload: EnvelopePayload,
        except: Option<SocketId>,
    ) {
        let hub = self.app_hub(app);
        let name = channel.as_str();
        match &payload {
            EnvelopePayload::MemberAdded { user_id, user_info } => {
                let message = ServerMessage::MemberAdded {
                    channel: name,
                    user_id,
                    user_info: user_info.as_deref(),
                };
                hub.announce(channel, message, except);
            }
            EnvelopePayload::MemberRemoved { user_id } => {
                let message = ServerMessage::MemberRemoved {
                    channel: name,
                    user_id,
                };
                hub.announce(channel, message, except);
            }
            EnvelopePayload::Count(count) => {
                let message = ServerMessage::SubscriptionCount {
                    channel: name,
                    count: *count,
                };
                hub.announce(channel, message, except);
            }
            EnvelopePayload::Event(_) => {}
        }
        self.to_bus(self.envelope(app, channel, payload, except))
            .await;
    }

    /// An envelope from this node.
    pub(super) fn envelope(
        &self,
        app: &App,
        channel: &ChannelName,
        payload: EnvelopePayload,
        except: Option<SocketId>,
    ) -> Envelope {
        Envelope {
            app: app.id.clone(),
            channel: channel.clone(),
            payload,
            except,
            origin: self.id,
        }
    }

    /// Publishes an envelope to the other nodes (nothing to do for a node that is its own cluster).
    pub(super) async fn to_bus(&self, envelope: Envelope) {
        if self.backends.shared && self.backends.broker.publish(&envelope).await.is_err() {
            self.backend_failed("broker");
        }
    }

    /// Hands a transition to the sink (webhooks), when it wants this app's events.
    fn report(&self, app: &App, transition: &Transition) {
        let sink = self.sink();
        if !sink.wants(app) {
            return;
        }
        for event in HubEvent::from_transition(transition) {
            sink.emit(app, event);
        }
    }
}

/// The one member a presence subscriber knows of when the store cannot be asked: itself.
fn lone_member(member: &MemberData, socket: SocketId) -> Member {
    Member {
        user_id: member.user_id.clone(),
        user_info: member.user_info.clone(),
        socket_id: socket,
    }
}
