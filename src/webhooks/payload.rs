//! What a receiver gets: the body `{"time_ms":…,"events":[…]}` in Pusher's snake_case, and the two
//! header pairs that sign it. The body is compact JSON with integer numbers and serde_json's string
//! escapes, which are exactly `JSON.stringify`'s (`\"`, `\\`, `\b \f \n \r \t`, other control
//! characters as lowercase `\u00XX`, everything else literal), and every object's keys are fixed,
//! non-numeric names in a fixed order. So `JSON.stringify(JSON.parse(body))` gives the body back byte
//! for byte, which is what the official SDK's `verifyWebhookSignature(req.body, …)` signs after
//! Express has parsed the body.

use serde::Serialize;

use super::endpoint::{EventType, WebhookEndpoint};
use crate::apps::App;
use crate::auth::hmac_bytes;
use crate::events::HubEvent;

/// One event in a webhook body, in Pusher's field names and order.
#[derive(Serialize)]
struct WireEvent<'a> {
    name: &'static str,
    channel: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    socket_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subscription_count: Option<usize>,
}

/// The JSON object of one event, as stored in the queue and sent in a batch.
pub fn event_json(event: &HubEvent) -> String {
    let mut wire = WireEvent {
        name: EventType::of(event).as_str(),
        channel: event.channel().as_str(),
        event: None,
        data: None,
        socket_id: None,
        user_id: None,
        subscription_count: None,
    };
    match event {
        HubEvent::MemberAdded(_, user) | HubEvent::MemberRemoved(_, user) => {
            wire.user_id = Some(user)
        }
        HubEvent::SubscriptionCount(_, count) => wire.subscription_count = Some(*count),
        HubEvent::ClientEvent(e) => {
            wire.event = Some(&e.event);
            wire.data = Some(&e.data);
            wire.socket_id = Some(e.socket_id.to_string());
            wire.user_id = e.user_id.as_deref();
        }
        _ => {}
    }
    serde_json::to_string(&wire).expect("an event serialises")
}

/// A batch body from events' JSON objects (already compact), stamped with the time it was made.
pub fn body<'a>(time_ms: i64, events: impl IntoIterator<Item = &'a str>) -> String {
    let mut body = format!("{{\"time_ms\":{time_ms},\"events\":[");
    for (i, event) in events.into_iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(event);
    }
    body.push_str("]}");
    body
}

/// The headers that sign a body for an endpoint of `app`: `X-LatteStream-Key` and
/// `X-LatteStream-Signature` (HMAC-SHA256 with the endpoint's secret), `X-Pusher-Key` and
/// `X-Pusher-Signature` (HMAC-SHA256 with the app's secret, as Pusher's libraries check).
pub fn signature_headers(
    app: &App,
    endpoint: &WebhookEndpoint,
    body: &str,
) -> [(&'static str, String); 4] {
    let sign = |key: &str| hex::encode(hmac_bytes(key.as_bytes(), body.as_bytes()));
    [
        ("X-LatteStream-Key", app.key.clone()),
        ("X-LatteStream-Signature", sign(endpoint.secret.expose())),
        ("X-Pusher-Key", app.key.clone()),
        ("X-Pusher-Signature", sign(app.secret.expose())),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::ClientEvent;
    use crate::protocol::{ChannelName, SocketId};

    #[test]
    fn events_use_pushers_names_and_fields() {
        let ch = ChannelName::parse("presence-room").unwrap();
        assert_eq!(
            event_json(&HubEvent::MemberAdded(ch.clone(), "7".into())),
            r#"{"name":"member_added","channel":"presence-room","user_id":"7"}"#
        );
        let client = HubEvent::ClientEvent(ClientEvent {
            channel: ch.clone(),
            event: "client-typing".into(),
            data: "{\"a\": \"é\\n\"}".into(),
            socket_id: SocketId::new(1, 2),
            user_id: Some("7".into()),
        });
        assert_eq!(
            event_json(&client),
            r#"{"name":"client_event","channel":"presence-room","event":"client-typing","data":"{\"a\": \"é\\n\"}","socket_id":"1.2","user_id":"7"}"#
        );
        let count = HubEvent::SubscriptionCount(ChannelName::parse("a").unwrap(), 3);
        assert_eq!(
            body(5, [event_json(&count).as_str()]),
            r#"{"time_ms":5,"events":[{"name":"subscription_count","channel":"a","subscription_count":3}]}"#
        );
    }

    #[test]
    fn control_characters_are_escaped_as_json_stringify_does() {
        let ch = ChannelName::parse("private-a").unwrap();
        let event = HubEvent::MemberAdded(ch, "\u{1}\u{7f}\u{2028}\"\\/".into());
        let expected = format!(
            r#"{{"name":"member_added","channel":"private-a","user_id":"\u0001{}{}\"\\/"}}"#,
            '\u{7f}', '\u{2028}'
        );
        assert_eq!(event_json(&event), expected);
    }
}
