//! Client events (`client-…` relayed to the channel's other subscribers) and Pusher user sign-in.

use std::num::NonZeroU32;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde_json::value::RawValue;

use super::session::Session;
use crate::auth::verify_hex;
use crate::protocol::{
    ChannelName, CloseCode, ErrorCode, Event, Payload, ServerMessage, validate_event_name,
};

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
    pub(super) fn client_event(&mut self, event: String, channel: &str, data: Box<RawValue>) {
        match self.check_client_event(&event, channel, &data) {
            Ok((channel, user_id)) => {
                let event = Event {
                    name: event,
                    channel,
                    data: Payload::Json(data),
                    user_id,
                };
                self.node
                    .publish(&self.app, &event, Some(self.conn.socket_id));
                self.node.metrics().client_event();
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
            .get_or_insert_with(|| ClientEventLimiter::new(per_second))
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
    /// the connection and subscribes it to the user's server-to-user channel; failure closes with 4009.
    pub(super) fn signin(&mut self, auth: &str, user_data: &str) {
        let signed = format!("{}::user::{user_data}", self.conn.socket_id);
        let valid = auth.split_once(':').is_some_and(|(key, sig)| {
            key == self.app.key && verify_hex(&self.app.secret, &signed, sig)
        });
        let user_id = valid.then(|| user_id_of(user_data)).flatten();
        let Some(user_id) = user_id else {
            self.conn.close(CloseCode::Unauthorized);
            return;
        };
        self.conn.set_user_id(&user_id);
        self.conn.send(&ServerMessage::SigninSuccess { user_data });
        let channel = ChannelName::server_to_user(&user_id);
        if !self.channels.iter().any(|(c, _)| *c == channel) {
            self.app_hub.subscribe_silently(&self.conn, &channel);
            self.channels.push((channel, None));
        }
    }
}

/// The `id` field of signed user data (a string or number), which is required.
fn user_id_of(user_data: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(user_data).ok()?;
    match value.get("id")? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
