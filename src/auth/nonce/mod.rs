//! Single use of signed-request nonces, behind the small [`NonceStore`] trait: remembered in this
//! process ([`MemoryNonceStore`]) or shared by a cluster through Redis ([`RedisNonceStore`]), so a
//! signed request replayed on another node is refused as it is on the node that first saw it.

mod memory;
mod redis;

#[cfg(test)]
mod conformance;

pub use memory::MemoryNonceStore;
pub use redis::RedisNonceStore;

use async_trait::async_trait;

use super::MAX_SKEW;
use crate::protocol::AppId;
use crate::redis::CallError;

/// Seconds a nonce is remembered: past the last moment its request's timestamp could still be
/// accepted (it may be `MAX_SKEW` ahead of the server's clock, and is accepted until `MAX_SKEW` behind).
pub const NONCE_TTL: u64 = 2 * MAX_SKEW;

/// Why a nonce could not be recorded. Every one refuses the request.
#[derive(Debug, thiserror::Error)]
pub enum NonceError {
    /// Seen before: a replay (401).
    #[error("nonce already used")]
    Replayed,
    /// The memory store is full of live nonces; retry after so many seconds (429).
    #[error("the nonce store is full; retry in {0} s")]
    Full(u64),
    /// The shared store could not be asked (503): without a record, a replay could not be told apart.
    #[error("the nonce store is unavailable: {0}")]
    Unavailable(#[from] CallError),
}

/// Remembers the nonces of signed requests, each usable once.
///
/// Contract, for every implementation:
/// - A nonce of an app is accepted once; the same nonce of the same app is [`NonceError::Replayed`]
///   for [`NONCE_TTL`] seconds after, on every node sharing the store.
/// - Apps never share nonces; nonces are compared whole (no prefix of one matches another).
/// - Of concurrent attempts with one nonce, exactly one is accepted.
/// - It fails closed: a nonce that cannot be recorded is refused, never waved through.
/// - It answers promptly: a shared store that does not answer within its timeout refuses.
#[async_trait]
pub trait NonceStore: Send + Sync {
    /// Records `nonce` of `app` at `now` (unix seconds), refusing one seen before.
    async fn remember(&self, app: &AppId, nonce: &str, now: u64) -> Result<(), NonceError>;
}
