//! Every key this server writes to Redis, named in one place. The layout (also in
//! `docs/scaling.md`, "Redis keys"):
//!
//! | key | type | written by | expires |
//! |---|---|---|---|
//! | `PREFIX:rl:{APP}:ENDPOINT:m:WINDOW` | integer | rate limiter: requests of the minute `WINDOW` (unix minutes) | 1 s after the minute ends |
//! | `PREFIX:rl:{APP}:ENDPOINT:s` | integer | rate limiter: the per-second burst's theoretical arrival time, µs | 1 s after the burst is refilled |
//! | `PREFIX:nonce:{APP}:NONCE` | `"1"` | nonce store: a signed request's nonce, used once | 1,200 s (twice the 600 s clock skew) |
//! | `PREFIX:bus:{APP}:CHANNEL` | pub/sub channel | broker: envelopes for a channel's subscribers on other nodes | — |
//! | `PREFIX:control` | pub/sub channel | control: commands every node carries out (terminate a user, close an app) | — |
//! | `PREFIX:nodes` | hash node → last beat (ms, Redis clock) | control: the live nodes | never; a dead node's field is removed by its purger |
//! | `PREFIX:purge:NODE` | string (the purger) | control: who purges a dead node | 60 s |
//! | `PREFIX:cache:{APP}:CHANNEL` | string (the event) | channel cache: a cache channel's last event | 30 minutes |
//! | `PREFIX:ch:{APP}` | hash channel → subscriptions | presence store: the app's occupied channels, cluster-wide | never (emptied as channels empty) |
//! | `PREFIX:chn:{APP}:CHANNEL` | hash node → subscriptions | presence store: each node's share of a channel, so a dead node's can be taken off | never (deleted when the channel empties) |
//! | `PREFIX:mem:{APP}:CHANNEL` | hash user id → JSON `{"info": RAW, "sockets": ["N.S", …]}` | presence store: a presence channel's users, their latest info (the raw JSON text) and their connections | never (deleted when the channel empties) |
//! | `PREFIX:ord:{APP}:CHANNEL` | sorted set user id → join sequence | presence store: a presence channel's users in join order | never (deleted when the channel empties) |
//! | `PREFIX:conn:{APP}` | hash node → connections | presence store: the app's connections per node, for the connection quota | never (a dead node's field is purged) |
//! | `PREFIX:nodech:{APP}:NODE` | set of channels | presence store: the channels where node `NODE` holds subscriptions, visited when it is purged | never (emptied by leaves and the purge) |
//! | `PREFIX:wh:{wh}:seq` | integer | webhook queue: the last event id given (cluster-wide, increasing) | never |
//! | `PREFIX:wh:{wh}:ev` | hash | webhook queue: event id → the event (JSON: app, channel, name, time, body, endpoint URLs) | never (fields removed with the event's last row) |
//! | `PREFIX:wh:{wh}:left` | hash | webhook queue: event id → rows still waiting | never (as above) |
//! | `PREFIX:wh:{wh}:held` | set | webhook queue: ids of held events (departures in their debounce delay) | never |
//! | `PREFIX:wh:{wh}:heldkey` | hash | webhook queue: `APP\nCHANNEL\nUSER` (user empty for a channel) → id of the held departure about it, so a return written by any node cancels it | never (a field is removed when its event is released, cancelled or undone) |
//! | `PREFIX:wh:{wh}:rows:APP:URL` | sorted set | webhook queue: one endpoint's waiting event ids, scored by id | empty when delivered |
//! | `PREFIX:wh:{wh}:at:APP:URL` | sorted set | webhook queue: the same ids scored by event time (ms), for the oldest and the give-up | empty when delivered |
//! | `PREFIX:wh:{wh}:endpoints` | set | webhook queue: `APP:URL` of every endpoint with waiting or dead events | never |
//! | `PREFIX:wh:{wh}:deadseq` | integer | webhook queue: the last dead-letter id given | never |
//! | `PREFIX:wh:{wh}:dead` | hash | webhook queue: dead-letter id → the dead letter (JSON) | until replayed or discarded |
//! | `PREFIX:wh:{wh}:deadids` | sorted set | webhook queue: dead-letter ids, in order | as above |
//! | `PREFIX:wh:{wh}:deadcount` | hash | webhook queue: `APP:URL` → events in its dead letters | as above |
//! | `PREFIX:wh:{wh}:ledger` | hash | webhook queue: `APP\nCHANNEL\nUSER` of present channels and members → order | never |
//! | `PREFIX:wh:{wh}:lease:APP:URL` | node id | webhook dispatch: the node delivering that endpoint now | the lease's TTL, renewed by its holder |
//!
//! `PREFIX` is `redis.key_prefix` (default `lattestream`), so clusters sharing one Redis never meet.
//! `{APP}` (the app id, in braces) is a Redis Cluster hash tag: all of one app's keys hash to the
//! same slot, so the scripts that read and write several keys of one app at once (the rate limiter's,
//! the presence store's) run on Redis Cluster as on a single Redis. A prefix may therefore hold no brace.
//!
//! The webhook queue's keys share the one hash tag `{wh}` instead: one writer step stores events of
//! many apps atomically and event ids are increasing cluster-wide, so its script touches keys of
//! every app at once. Its script builds the `APP:URL` keys from [`Keys::webhook_base`].

use crate::protocol::{AppId, ChannelName};
use crate::ratelimit::Endpoint;

/// Longest key prefix accepted: keys stay short, and a typo'd novel is caught at start.
const MAX_PREFIX_LEN: usize = 64;

/// Why `redis.key_prefix` was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyPrefixError {
    /// Empty, longer than 64 bytes, or holding a brace, a space or a control character.
    #[error(
        "redis.key_prefix {0:?} must be 1 to 64 characters without braces, spaces or control characters"
    )]
    Invalid(String),
}

/// Builds the keys of one cluster (one prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    /// Keys under `prefix`; braces would break the hash tags, so they are refused.
    pub fn new(prefix: &str) -> Result<Self, KeyPrefixError> {
        let bad = |c: char| c == '{' || c == '}' || c.is_whitespace() || c.is_control();
        if prefix.is_empty() || prefix.len() > MAX_PREFIX_LEN || prefix.contains(bad) {
            return Err(KeyPrefixError::Invalid(prefix.to_owned()));
        }
        Ok(Self {
            prefix: prefix.to_owned(),
        })
    }

    /// The prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Requests of `app` to `endpoint` counted in the minute `window` (unix seconds / 60).
    pub fn rate_window(&self, app: &AppId, endpoint: Endpoint, window: u64) -> String {
        let endpoint = endpoint.name();
        format!("{}:rl:{{{app}}}:{endpoint}:m:{window}", self.prefix)
    }

    /// The per-second burst state of `app` at `endpoint`.
    pub fn rate_burst(&self, app: &AppId, endpoint: Endpoint) -> String {
        format!("{}:rl:{{{app}}}:{}:s", self.prefix, endpoint.name())
    }

    /// Where every webhook queue key starts (`PREFIX:wh:{wh}:`); the queue's script appends the
    /// names in the table above.
    pub fn webhook_base(&self) -> String {
        format!("{}:wh:{{wh}}:", self.prefix)
    }

    /// The webhook queue's event id counter (the key its script is routed by).
    pub fn webhook_seq(&self) -> String {
        format!("{}seq", self.webhook_base())
    }

    /// The lease on delivering `app`'s endpoint `url`: the holding node's id.
    pub fn webhook_lease(&self, app: &AppId, url: &str) -> String {
        format!("{}lease:{app}:{url}", self.webhook_base())
    }

    /// A nonce `app` used in a signed request.
    pub fn nonce(&self, app: &AppId, nonce: &str) -> String {
        format!("{}:nonce:{{{app}}}:{nonce}", self.prefix)
    }

    /// The pub/sub channel carrying `channel`'s envelopes between nodes.
    pub fn bus(&self, app: &AppId, channel: &str) -> String {
        format!("{}:bus:{{{app}}}:{channel}", self.prefix)
    }

    /// The start of every bus channel's name, to tell them from the control channel.
    pub fn bus_start(&self) -> String {
        format!("{}:bus:", self.prefix)
    }

    /// The pub/sub channel carrying commands to every node.
    pub fn control(&self) -> String {
        format!("{}:control", self.prefix)
    }

    /// The live nodes and their last beats.
    pub fn nodes(&self) -> String {
        format!("{}:nodes", self.prefix)
    }

    /// Who purges the dead node `node`.
    pub fn purge_claim(&self, node: u32) -> String {
        format!("{}:purge:{node}", self.prefix)
    }

    /// A cache channel's last event.
    pub fn cached(&self, app: &AppId, channel: &str) -> String {
        format!("{}:cache:{{{app}}}:{channel}", self.prefix)
    }

    /// The occupied channels of `app` with their subscription counts (presence store).
    pub fn presence_channels(&self, app: &AppId) -> String {
        format!("{}:ch:{{{app}}}", self.prefix)
    }

    /// Each node's subscriptions to `channel`, so a dead node's share can be taken off.
    pub fn presence_channel_nodes(&self, app: &AppId, channel: &ChannelName) -> String {
        format!("{}:chn:{{{app}}}:{channel}", self.prefix)
    }

    /// The users of presence channel `channel`: info and connections per user id.
    pub fn presence_members(&self, app: &AppId, channel: &ChannelName) -> String {
        format!("{}:mem:{{{app}}}:{channel}", self.prefix)
    }

    /// The users of presence channel `channel` in join order.
    pub fn presence_order(&self, app: &AppId, channel: &ChannelName) -> String {
        format!("{}:ord:{{{app}}}:{channel}", self.prefix)
    }

    /// The connections of `app` per node, for the app's connection quota.
    pub fn presence_connections(&self, app: &AppId) -> String {
        format!("{}:conn:{{{app}}}", self.prefix)
    }

    /// The channels where `node` holds subscriptions in `app`, visited when the node is purged.
    pub fn presence_node_channels(&self, app: &AppId, node: u32) -> String {
        format!("{}:nodech:{{{app}}}:{node}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_apps_keys_share_a_hash_tag_under_the_prefix() {
        let keys = Keys::new("eu1").unwrap();
        let app = AppId::parse("42").unwrap();
        assert_eq!(
            keys.rate_window(&app, Endpoint::BatchEvents, 28_333_334),
            "eu1:rl:{42}:batch_events:m:28333334"
        );
        assert_eq!(
            keys.rate_burst(&app, Endpoint::Token),
            "eu1:rl:{42}:token:s"
        );
        assert_eq!(keys.nonce(&app, "n{1}"), "eu1:nonce:{42}:n{1}");
        assert_eq!(keys.webhook_seq(), "eu1:wh:{wh}:seq");
        assert_eq!(
            keys.webhook_lease(&app, "http://h/x"),
            "eu1:wh:{wh}:lease:42:http://h/x"
        );
        let channel = ChannelName::parse("presence-room").unwrap();
        assert_eq!(keys.presence_channels(&app), "eu1:ch:{42}");
        assert_eq!(
            keys.presence_channel_nodes(&app, &channel),
            "eu1:chn:{42}:presence-room"
        );
        assert_eq!(
            keys.presence_members(&app, &channel),
            "eu1:mem:{42}:presence-room"
        );
        assert_eq!(
            keys.presence_order(&app, &channel),
            "eu1:ord:{42}:presence-room"
        );
        assert_eq!(keys.presence_connections(&app), "eu1:conn:{42}");
        assert_eq!(keys.presence_node_channels(&app, 7), "eu1:nodech:{42}:7");
    }

    #[test]
    fn prefixes_that_would_break_the_hash_tags_are_refused() {
        for bad in ["", "a{b", "a}b", "a b", "a\nb", &"x".repeat(65)] {
            assert_eq!(Keys::new(bad), Err(KeyPrefixError::Invalid(bad.to_owned())));
        }
        assert!(Keys::new("lattestream:staging").is_ok());
    }
}
