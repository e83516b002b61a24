//! The Redis control channel. Commands go out on one pub/sub channel every node hears
//! (`PREFIX:control`); liveness is a hash of node id → last beat, stamped with Redis's own clock so
//! nodes' clocks never matter. A node whose beat is older than `redis.node_timeout` is dead; the first
//! survivor to set its purge claim (`SET NX`) removes what it held.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use redis::Script;
use serde::{Deserialize, Serialize};

use crate::cluster::{BackendError, Command, Control, HandleCommand};
use crate::redis::Redis;

/// How long a purge claim stands: long enough for one purge, short enough that a purger that dies
/// midway is replaced.
const CLAIM_TTL: Duration = Duration::from_secs(60);
/// Node ids are below this, so socket ids stay short.
const MAX_NODE_ID: u32 = 1_000_000_000;

/// Registers `ARGV[1]` if free, stamped now: 1 when registered.
const REGISTER: &str = r"
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
return redis.call('HSETNX', KEYS[1], ARGV[1], now)
";

/// Stamps `ARGV[1]` now: 1 when it was still registered, 0 when the cluster had lost it.
const BEAT: &str = r"
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local known = redis.call('HEXISTS', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], now)
return known
";

/// The nodes whose last beat is more than `ARGV[1]` ms old.
const DEAD: &str = r"
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local all = redis.call('HGETALL', KEYS[1])
local dead = {}
for i = 1, #all, 2 do
  if now - tonumber(all[i + 1]) > tonumber(ARGV[1]) then
    table.insert(dead, all[i])
  end
end
return dead
";

/// A command as it crosses the control channel.
#[derive(Serialize, Deserialize)]
struct Message {
    from: u32,
    command: Command,
}

/// A node's control channel on Redis.
pub struct RedisControl {
    redis: Redis,
    node: Arc<OnceLock<u32>>,
    node_timeout: Duration,
}

impl RedisControl {
    /// The control channel of a node not yet registered; `node` is shared with the route that hands
    /// this node's commands to [`RedisControl::received`].
    pub fn new(redis: Redis, node: Arc<OnceLock<u32>>, node_timeout: Duration) -> Self {
        Self {
            redis,
            node,
            node_timeout,
        }
    }

    /// Carries out a command that arrived on the control channel, unless node `me` sent it.
    pub fn received(payload: &[u8], me: Option<u32>, handle: &HandleCommand) {
        match serde_json::from_slice::<Message>(payload) {
            Ok(message) if Some(message.from) != me => handle(message.command),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "an unreadable control message; ignored"),
        }
    }

    fn id(&self) -> Result<u32, BackendError> {
        let id = self.node.get().copied();
        id.ok_or_else(|| BackendError::Malformed("the node is not registered".into()))
    }

    async fn script<T: redis::FromRedisValue + Send + 'static>(
        &self,
        what: &'static str,
        source: &'static str,
        arg: u64,
    ) -> Result<T, BackendError> {
        let key = self.redis.keys().nodes();
        let answer = self
            .redis
            .call(what, move |mut c| async move {
                Script::new(source)
                    .key(key)
                    .arg(arg)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok(answer)
    }
}

#[async_trait]
impl Control for RedisControl {
    async fn register(&self) -> Result<u32, BackendError> {
        loop {
            let id = rand::random::<u32>() % MAX_NODE_ID;
            let registered: bool = self.script("register node", REGISTER, id.into()).await?;
            if registered {
                let _ = self.node.set(id);
                return Ok(id);
            }
        }
    }

    async fn broadcast(&self, command: &Command) -> Result<(), BackendError> {
        let message = Message {
            from: self.id()?,
            command: command.clone(),
        };
        let text = serde_json::to_string(&message).expect("commands serialize");
        let channel = self.redis.keys().control();
        self.redis
            .publish("control broadcast", channel, text)
            .await?;
        Ok(())
    }

    async fn heartbeat(&self) -> Result<bool, BackendError> {
        let id = self.id()?;
        self.script("heartbeat", BEAT, id.into()).await
    }

    async fn dead_nodes(&self) -> Result<Vec<u32>, BackendError> {
        let timeout = self.node_timeout.as_millis() as u64;
        self.script("dead nodes", DEAD, timeout).await
    }

    async fn claim(&self, node: u32) -> Result<bool, BackendError> {
        let key = self.redis.keys().purge_claim(node);
        let me = self.id()?;
        let ttl = CLAIM_TTL.as_millis() as u64;
        let set: Option<String> = self
            .redis
            .call("claim purge", move |mut c| async move {
                redis::cmd("SET")
                    .arg(key)
                    .arg(me)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Ok(set.is_some())
    }

    async fn forget(&self, node: u32) -> Result<(), BackendError> {
        let key = self.redis.keys().nodes();
        self.redis
            .call("forget node", move |mut c| async move {
                redis::cmd("HDEL")
                    .arg(key)
                    .arg(node)
                    .query_async::<()>(&mut c)
                    .await
            })
            .await?;
        Ok(())
    }
}
