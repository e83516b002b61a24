//! The node's debug stream: what the console at `/console` shows as it happens — events published
//! through the REST APIs, client events, webhooks sent and failed. Anything in the node may emit into
//! it; it is a bounded broadcast (a console that falls behind loses the oldest entries and is told how
//! many), and emitting costs one atomic load while no console is watching: the entry is not even built.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::broadcast;

use crate::apps::App;
use crate::protocol::{AppId, Event, Payload};

/// Entries kept for a console that is behind, before it loses the oldest.
const CAPACITY: usize = 1024;
/// Payload bytes an entry shows; longer payloads are cut (the console is for looking, not for replay).
const SHOWN_BYTES: usize = 2048;

/// The broadcast every console subscribes to; clones share it (the webhook sender holds one).
#[derive(Clone)]
pub struct DebugEvents {
    sender: broadcast::Sender<Arc<DebugEvent>>,
}

impl Default for DebugEvents {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(CAPACITY).0,
        }
    }
}

impl DebugEvents {
    /// Whether any console is watching; when not, emitting does nothing.
    pub fn is_watched(&self) -> bool {
        self.sender.receiver_count() > 0
    }

    /// Publishes the entry `make` builds, only if a console is watching.
    pub fn emit(&self, make: impl FnOnce() -> DebugEvent) {
        if self.is_watched() {
            let _ = self.sender.send(Arc::new(make()));
        }
    }

    /// A new watcher, seeing entries emitted from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<DebugEvent>> {
        self.sender.subscribe()
    }
}

/// One entry of the stream.
#[derive(Debug, Clone, Serialize)]
pub struct DebugEvent {
    /// The app it concerns (a console shows one app's entries).
    pub app_id: AppId,
    /// When, in unix milliseconds.
    pub at_ms: u64,
    /// What happened.
    #[serde(flatten)]
    pub kind: DebugKind,
}

/// What happened, tagged `type` on the wire.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DebugKind {
    /// An event published through a REST API (LatteStream's or Pusher's).
    ApiEvent {
        /// The channel.
        channel: String,
        /// The event name.
        event: String,
        /// The payload, cut at a few KB.
        data: String,
        /// Local subscribers it was handed to.
        delivered: usize,
    },
    /// A client event relayed between subscribers.
    ClientEvent {
        /// The channel.
        channel: String,
        /// The event name.
        event: String,
        /// The payload, cut at a few KB.
        data: String,
        /// The sender's user, on presence channels.
        user_id: Option<String>,
    },
    /// A webhook request the receiver accepted.
    WebhookSent {
        /// The receiver.
        url: String,
        /// The names of the webhook events it carried.
        events: Vec<String>,
        /// The receiver's HTTP status.
        status: u16,
    },
    /// A webhook request that failed (an error status, a timeout, a refused connection).
    WebhookFailed {
        /// The receiver.
        url: String,
        /// The names of the webhook events it carried.
        events: Vec<String>,
        /// Why, as the webhook sender saw it.
        reason: String,
    },
}

impl DebugEvent {
    /// An entry about `app`, stamped now.
    pub fn new(app: &AppId, kind: DebugKind) -> Self {
        let at_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Self {
            app_id: app.clone(),
            at_ms,
            kind,
        }
    }

    /// An event published through a REST API, handed to `delivered` local subscribers.
    pub fn api(app: &App, event: &Event, delivered: usize) -> Self {
        let (channel, name, data) = describe(event);
        Self::new(
            &app.id,
            DebugKind::ApiEvent {
                channel,
                event: name,
                data,
                delivered,
            },
        )
    }

    /// A client event.
    pub fn client(app: &App, event: &Event) -> Self {
        let (channel, name, data) = describe(event);
        let user_id = event.user_id.clone();
        Self::new(
            &app.id,
            DebugKind::ClientEvent {
                channel,
                event: name,
                data,
                user_id,
            },
        )
    }
}

fn describe(event: &Event) -> (String, String, String) {
    let data = match &event.data {
        Payload::Text(text) => text.as_str(),
        Payload::Json(raw) => raw.get(),
    };
    let mut end = data.len().min(SHOWN_BYTES);
    while !data.is_char_boundary(end) {
        end -= 1;
    }
    let shown = match end < data.len() {
        true => format!("{}…", &data[..end]),
        false => data.to_owned(),
    };
    (event.channel.to_string(), event.name.clone(), shown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::test_app;
    use crate::protocol::ChannelName;

    fn event(data: String) -> Event {
        Event {
            name: "greet".into(),
            channel: ChannelName::parse("chat").unwrap(),
            data: Payload::Text(data),
            user_id: None,
        }
    }

    #[test]
    fn nothing_is_built_while_no_one_watches() {
        let debug = DebugEvents::default();
        debug.emit(|| unreachable!("built with no watcher"));
        let mut watcher = debug.subscribe();
        debug.emit(|| DebugEvent::api(&test_app(), &event("hi".into()), 3));
        let entry = watcher.try_recv().unwrap();
        let json = serde_json::to_value(&*entry).unwrap();
        assert_eq!(json["type"], "api_event");
        assert_eq!(
            (json["channel"].as_str(), json["delivered"].as_u64()),
            (Some("chat"), Some(3))
        );
    }

    #[test]
    fn long_payloads_are_cut_on_a_character_boundary() {
        let entry = DebugEvent::client(&test_app(), &event("é".repeat(SHOWN_BYTES)));
        let DebugKind::ClientEvent { data, .. } = entry.kind else {
            panic!()
        };
        assert!(data.len() <= SHOWN_BYTES + "…".len() && data.ends_with('…'));
    }
}
