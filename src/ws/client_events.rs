//! Client events (`client-…` relayed to the channel's other subscribers) and Pusher user sign-in.

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde_json::value::RawValue;

use super::session::Session;
use crate::auth::verify_hex;
use crate::protocol::{
    ChannelName, CloseCode, ErrorCode, Event, Payload, ServerMessage, validate_event_name,
};
use crate::shrink::push_sized_for_one;

/// Per-connection budget of client events; created on a connection's first client event only.
pub struct ClientEventLimiter(DefaultDirectRateLimiter);

impl ClientEventLimiter {
    fn new(per_second: u32) -> Self {
        let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        Self(RateLimiter::direct(Quota::per_second(rate)))
    }

    fn allow(&self) -> bool {
        self.0.check().is_ok()
    }
}

impl Session {
    /// Relays a client event after every check the protocol asks for; never echoes it to the sender.
    pub(super) async fn client_event(&mut self, event: String, channel: &str, data: Box<RawValue>) {
        match self.check_client_event(&event, channel, &data) {
            Ok((channel, user_id)) => {
                let event = Event {
                    name: event,
                    channel,
                    data: Payload::Json(data),
                    user_id,
                };
                self.node
                    .relay(&self.app, &event, self.conn.socket_id)
                    .await;
            }
            Err((code, message)) => self.error(code, message),
        }
    }

    fn check_client_event(
        &mut self,
        event: &str,
        channel: &str,
        data: &RawValue,
    ) -> Result<(ChannelName, Option<String>), (ErrorCode, &'static str)> {
        let forbidden = |m| Err((ErrorCode::ClientEventForbidden, m));
        if !self.app.settings.client_events {
            return forbidden("Client events are not enabled for this app");
        }
        if !self.grant.write {
            return forbidden("The access token lacks the write permission");
        }
        let Ok(name) = ChannelName::parse(channel) else {
            return forbidden("Invalid channel name");
        };
        if !name.kind().allows_client_events() {
            return forbidden("Client events are only allowed on private and presence channels");
        }
        let Some((_, user)) = self.channels.iter().find(|(c, _)| *c == name) else {
            return forbidden("Subscribe to the channel before sending client events on it");
        };
        let user = user.as_ref().map(|u| u.to_string());
        if validate_event_name(event).is_err() {
            return Err((ErrorCode::InvalidMessage, "Invalid event name"));
        }
        if data.get().len() > self.app.settings.max_client_event_bytes {
            return Err((
                ErrorCode::PayloadTooLarge,
                "Client event payload is too large",
            ));
        }
        let per_second = self.app.settings.client_events_per_second;
        if !self
            .limiter
            .get_or_insert_with(|| Box::new(ClientEventLimiter::new(per_second)))
            .allow()
        {
            return Err((
                ErrorCode::ClientEventRateLimited,
                "Client event rate limit exceeded",
            ));
        }
        Ok((name, user))
    }

    /// `pusher:signin`: `auth` is `KEY:HEX` over `socket_id::user::user_data`; success binds the user to
    /// the connection, subscribes it to the user's server-to-user channel and registers its watchlist;
    /// failure closes with 4009.
    pub(super) async fn signin(&mut self, auth: &str, user_data: &str) {
        let signed = format!("{}::user::{user_data}", self.conn.socket_id);
        let valid = auth.split_once(':').is_some_and(|(key, sig)| {
            key == self.app.key && self.app.secrets().any(|s| verify_hex(s, &signed, sig))
        });
        let Some(user) = valid.then(|| SignedUser::parse(user_data)).flatten() else {
            self.conn.close(CloseCode::Unauthorized);
            return;
        };
        self.sign_out();
        self.conn.set_user_id(&user.id);
        self.conn.send(&ServerMessage::SigninSuccess { user_data });
        let watchlist = if self.app.settings.watchlist_events {
            user.watchlist
        } else {
            Vec::new()
        };
        let node = &self.node;
        let channel = node
            .sign_in(&self.app, &self.conn, &user.id, &watchlist)
            .await;
        if !self.channels.iter().any(|(c, _)| *c == channel) {
            push_sized_for_one(&mut self.channels, (channel, None));
        }
        self.signed_in = Some(Box::new((user.id, watchlist)));
    }

    /// Forgets this connection's sign-in, telling watchers if it was the user's last connection.
    pub(super) fn sign_out(&mut self) {
        if let Some((user, watchlist)) = self.signed_in.take().map(|s| *s) {
            self.node
                .sign_out(&self.app, self.conn.socket_id, &user, &watchlist);
        }
    }
}

/// The most users one watchlist may name, as in Pusher.
const MAX_WATCHLIST: usize = 100;

/// The parts of signed user data the server uses.
struct SignedUser {
    id: Arc<str>,
    watchlist: Vec<Arc<str>>,
}

impl SignedUser {
    /// `id` (a string or number) is required; `watchlist` is an optional list of user ids.
    fn parse(user_data: &str) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_str(user_data).ok()?;
        let id = id_text(value.get("id")?)?;
        let listed = value
            .get("watchlist")
            .and_then(|w| w.as_array())
            .cloned()
            .unwrap_or_default();
        let watchlist = listed
            .iter()
            .filter_map(id_text)
            .take(MAX_WATCHLIST)
            .collect();
        Some(Self { id, watchlist })
    }
}

fn id_text(value: &serde_json::Value) -> Option<Arc<str>> {
    match value {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.as_str().into()),
        serde_json::Value::Number(n) => Some(n.to_string().into()),
        _ => None,
    }
}
