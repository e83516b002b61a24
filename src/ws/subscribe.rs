//! Subscribing and unsubscribing: name checks, channel authorization, presence member data.

use std::sync::Arc;

use serde_json::value::RawValue;

use super::session::Session;
use crate::auth::verify_channel_auth;
use crate::hub::MemberData;
use crate::protocol::{
    ChannelKind, ChannelName, PresenceSnapshot, ServerMessage, SubscribeRequest,
};
use crate::shrink::push_sized_for_one;

/// Why a subscription was refused: the `type`, message and status of `subscription_error`.
struct Refusal(&'static str, String, u16);

impl Session {
    /// Handles a subscribe frame: succeeds, or answers `subscription_error` and keeps the connection.
    pub(super) async fn subscribe(&mut self, request: SubscribeRequest) {
        match self.admit(&request) {
            Ok((channel, member)) => self.join(channel, member).await,
            Err(refusal) => self.refuse(&request.channel, refusal),
        }
    }

    /// Joins an admitted channel, unless it is a presence channel that is full. A channel the
    /// connection is on already is confirmed again, and nothing changes.
    async fn join(&mut self, channel: ChannelName, member: Option<MemberData>) {
        if self.channels.iter().any(|(c, _)| *c == channel) {
            return self.confirm_again(&channel, member).await;
        }
        let user = member.as_ref().map(|m| m.user_id.clone());
        let joined = self.node.subscribe(&self.app, &self.conn, &channel, member);
        if let Err(full) = joined.await {
            let refusal = Refusal("LimitReached", full.to_string(), 403);
            return self.refuse(channel.as_str(), refusal);
        }
        push_sized_for_one(&mut self.channels, (channel, user));
    }

    /// `subscription_succeeded` again for a repeated subscribe, with the members of a presence channel.
    async fn confirm_again(&self, channel: &ChannelName, member: Option<MemberData>) {
        let members = match &member {
            Some(_) => self
                .node
                .members(&self.app, channel)
                .await
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let presence = member.as_ref().map(|m| PresenceSnapshot {
            members: members
                .iter()
                .map(|m| (&*m.user_id, m.user_info.as_deref()))
                .collect(),
            me: &m.user_id,
        });
        self.conn.send(&ServerMessage::SubscriptionSucceeded {
            channel: channel.as_str(),
            presence,
        });
    }

    fn refuse(&self, channel: &str, Refusal(kind, error, status): Refusal) {
        self.conn.send(&ServerMessage::SubscriptionError {
            channel,
            kind,
            error: &error,
            status,
        });
    }

    fn admit(
        &self,
        request: &SubscribeRequest,
    ) -> Result<(ChannelName, Option<MemberData>), Refusal> {
        if let Some(own) = self.own_user_channel(&request.channel) {
            return Ok((own, None));
        }
        let channel = ChannelName::parse(&request.channel)
            .map_err(|e| Refusal("InvalidChannel", format!("Invalid channel name: {e}"), 400))?;
        if !self.grant.read {
            return Err(Refusal(
                "AuthError",
                "The access token lacks the read permission".into(),
                403,
            ));
        }
        let known = self.channels.iter().any(|(c, _)| *c == channel);
        if !known && self.channels.len() >= self.node.ws_config().max_subscriptions {
            return Err(Refusal(
                "LimitReached",
                "Too many subscriptions on this connection".into(),
                400,
            ));
        }
        let kind = channel.kind();
        let data = request
            .channel_data
            .as_deref()
            .filter(|_| kind == ChannelKind::Presence);
        if kind == ChannelKind::Presence && data.is_none() {
            // Said plainly: without member data the signature cannot be checked either.
            return Err(missing_channel_data());
        }
        if kind.needs_auth() && !self.grant.trusted {
            self.check_auth(&channel, data, request.auth.as_deref())?;
        }
        let member = match kind {
            ChannelKind::Presence => Some(member_data(
                data,
                self.app.settings.max_presence_user_info_bytes,
            )?),
            _ => None,
        };
        Ok((channel, member))
    }

    /// pusher-js subscribes to `#server-to-user-{id}` after its sign-in succeeds; the connection is
    /// already on that channel, so only the signed-in user's own name is admitted (and confirmed).
    fn own_user_channel(&self, raw: &str) -> Option<ChannelName> {
        let user = self.conn.user_id()?;
        let own = ChannelName::server_to_user(&user);
        (own.as_str() == raw).then_some(own)
    }

    fn check_auth(
        &self,
        channel: &ChannelName,
        data: Option<&str>,
        auth: Option<&str>,
    ) -> Result<(), Refusal> {
        let auth = auth
            .ok_or_else(|| Refusal("AuthError", "Channel authorization is required".into(), 401))?;
        let socket_id = self.conn.socket_id.to_string();
        if verify_channel_auth(&self.app, &socket_id, channel.as_str(), data, auth) {
            Ok(())
        } else {
            Err(Refusal(
                "AuthError",
                "Invalid channel authorization signature".into(),
                401,
            ))
        }
    }

    /// Handles an unsubscribe frame; unknown channels are ignored, as in Pusher.
    pub(super) async fn unsubscribe(&mut self, channel: &str) {
        let Ok(channel) = ChannelName::parse(channel) else {
            return;
        };
        if let Some(index) = self.channels.iter().position(|(c, _)| *c == channel) {
            self.channels.swap_remove(index);
            self.node
                .unsubscribe(&self.app, self.conn.socket_id, &channel)
                .await;
        }
    }
}

#[derive(serde::Deserialize)]
struct ChannelData<'a> {
    #[serde(borrow)]
    user_id: Option<&'a RawValue>,
    #[serde(borrow)]
    user_info: Option<&'a RawValue>,
}

fn missing_channel_data() -> Refusal {
    let message = "Presence channels need channel_data with a user_id";
    Refusal("InvalidChannelData", message.to_owned(), 400)
}

/// Parses presence channel data: `user_id` (string or number) is required, `user_info` optional and
/// at most `max_info` bytes of JSON.
fn member_data(data: Option<&str>, max_info: usize) -> Result<MemberData, Refusal> {
    let bad = |m: &str| Refusal("InvalidChannelData", m.to_owned(), 400);
    let text = data.ok_or_else(missing_channel_data)?;
    let parsed: ChannelData<'_> =
        serde_json::from_str(text).map_err(|_| bad("channel_data is not a JSON object"))?;
    let raw = parsed
        .user_id
        .ok_or_else(|| bad("channel_data has no user_id"))?;
    let user_id = match serde_json::from_str::<serde_json::Value>(raw.get()) {
        Ok(serde_json::Value::String(s)) if !s.is_empty() => s,
        Ok(serde_json::Value::Number(n)) => n.to_string(),
        _ => return Err(bad("user_id must be a non-empty string or a number")),
    };
    if parsed.user_info.is_some_and(|i| i.get().len() > max_info) {
        return Err(bad(&format!("user_info is larger than {max_info} bytes")));
    }
    let user_info = parsed
        .user_info
        .filter(|i| i.get() != "null")
        .map(|i| Arc::from(i.to_owned()));
    Ok(MemberData {
        user_id: user_id.into(),
        user_info,
    })
}
