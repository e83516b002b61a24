//! The in-memory [`NonceStore`]: right for one node, where the process sees every request.

use std::collections::{HashSet, VecDeque};

use async_trait::async_trait;
use parking_lot::Mutex;

use super::{NONCE_TTL, NonceError, NonceStore};
use crate::protocol::AppId;

/// Most nonces remembered at once by default (about 10 MB at the longest nonces).
pub const DEFAULT_CAPACITY: usize = 50_000;

/// Nonces seen recently, per app, each kept for [`NONCE_TTL`] seconds. Bounded: when full of live
/// nonces, new signed requests are refused (fail closed) until the oldest expires.
pub struct MemoryNonceStore {
    capacity: usize,
    inner: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    set: HashSet<(AppId, String)>,
    order: VecDeque<(u64, AppId, String)>,
}

impl Default for MemoryNonceStore {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl MemoryNonceStore {
    /// A store holding at most `capacity` nonces.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Seen::default()),
        }
    }

    fn remember_now(&self, app: &AppId, nonce: &str, now: u64) -> Result<(), NonceError> {
        let mut seen = self.inner.lock();
        while seen.order.front().is_some_and(|(e, ..)| *e <= now) {
            let (_, a, n) = seen.order.pop_front().expect("front exists");
            seen.set.remove(&(a, n));
        }
        let key = (app.clone(), nonce.to_owned());
        if seen.set.contains(&key) {
            return Err(NonceError::Replayed);
        }
        if seen.set.len() >= self.capacity {
            let oldest = seen.order.front().map_or(now + 1, |(e, ..)| *e);
            return Err(NonceError::Full(oldest.saturating_sub(now).max(1)));
        }
        seen.order
            .push_back((now + NONCE_TTL, key.0.clone(), key.1.clone()));
        seen.set.insert(key);
        Ok(())
    }
}

#[async_trait]
impl NonceStore for MemoryNonceStore {
    async fn remember(&self, app: &AppId, nonce: &str, now: u64) -> Result<(), NonceError> {
        self.remember_now(app, nonce, now)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::conformance;
    use super::*;

    #[tokio::test]
    async fn the_memory_store_keeps_the_contract() {
        conformance::run(|| {
            Box::pin(async {
                let store: Arc<dyn NonceStore> = Arc::new(MemoryNonceStore::default());
                (store.clone(), store)
            })
        })
        .await;
    }

    #[test]
    fn nonces_expire_and_the_store_is_bounded() {
        let store = MemoryNonceStore::new(2);
        let app = AppId::parse("1").unwrap();
        let other = AppId::parse("2").unwrap();
        let remember = |app, nonce, now| store.remember_now(app, nonce, now);
        assert!(remember(&app, "a", 0).is_ok());
        assert!(matches!(remember(&app, "a", 10), Err(NonceError::Replayed)));
        assert!(remember(&other, "a", 10).is_ok());
        assert!(matches!(
            remember(&app, "b", 20),
            Err(NonceError::Full(1180))
        ));
        assert!(remember(&app, "b", NONCE_TTL).is_ok());
        assert!(remember(&app, "a", NONCE_TTL + 10).is_ok(), "expired");
    }
}
