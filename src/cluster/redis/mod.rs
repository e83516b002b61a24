//! The Redis implementations of the cluster traits, and [`join`], which builds a node's set of them:
//! one command connection shared by all (the [`Redis`] handle) and one listening connection whose
//! messages are routed to the broker (bus channels) or the control channel (commands).

mod broker;
mod cache;
mod control;
mod presence;

use std::sync::{Arc, OnceLock};

pub use broker::RedisBroker;
#[cfg(test)]
pub(crate) use broker::broker_for_test;
pub use cache::RedisCache;
pub use control::RedisControl;
pub use presence::RedisPresence;

use super::{Control, Deliver, HandleCommand, PresenceStore};
use crate::config::RedisConfig;
use crate::node::Backends;
use crate::redis::{ConnectError, Redis, Route};

/// Why a node could not join its cluster at start.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// The listening connection could not be opened.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// Registering the node failed.
    #[error("redis: cannot register this node: {0}")]
    Register(#[from] super::BackendError),
}

/// Registers a node in the cluster on `redis` and builds its backends: envelopes from other nodes go
/// to `deliver`, their commands to `handle`.
pub async fn join(
    redis: Redis,
    config: &RedisConfig,
    presence: Arc<dyn PresenceStore>,
    deliver: Deliver,
    handle: HandleCommand,
) -> Result<(u32, Backends), JoinError> {
    let me = Arc::new(OnceLock::new());
    let subscriber = redis
        .subscriber(route(&redis, me.clone(), deliver, handle))
        .await?;
    let control = RedisControl::new(redis.clone(), me, config.node_timeout);
    let id = control.register().await?;
    subscriber
        .subscribe(redis.keys().control())
        .await
        .map_err(super::BackendError::from)?;
    let broker = Arc::new(RedisBroker::new(redis.clone(), subscriber));
    let bus = broker.clone();
    let backends = Backends {
        broker,
        presence,
        control: Arc::new(control),
        cache: Arc::new(RedisCache::new(redis)),
        shared: true,
        heartbeat: config.heartbeat,
        check_bus: Arc::new(move || {
            let bus = bus.clone();
            Box::pin(async move { bus.check().await })
        }),
    };
    Ok((id, backends))
}

/// Routes the listening connection's messages: bus channels to the broker, the control channel to
/// the node's command handler (both ignoring what this node sent itself).
fn route(redis: &Redis, me: Arc<OnceLock<u32>>, deliver: Deliver, handle: HandleCommand) -> Route {
    let bus = redis.keys().bus_start().into_bytes();
    let control = redis.keys().control().into_bytes();
    Arc::new(move |channel, payload| {
        let me = me.get().copied();
        if channel.starts_with(&bus) {
            RedisBroker::received(payload, me.unwrap_or(0), &deliver);
        } else if channel == control.as_slice() {
            RedisControl::received(payload, me, &handle);
        }
    })
}
