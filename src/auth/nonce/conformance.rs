//! The contract every [`NonceStore`] keeps, as one suite each implementation runs. A factory makes
//! two handles on one fresh store — two nodes of one cluster (the memory store hands out the same
//! store twice: one node is its own cluster).

use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::{NONCE_TTL, NonceError, NonceStore};
use crate::protocol::AppId;

/// Two handles on one fresh, empty store.
pub type Pair = (Arc<dyn NonceStore>, Arc<dyn NonceStore>);

/// Runs every contract check against stores made by `new`.
pub async fn run(new: impl Fn() -> BoxFuture<'static, Pair>) {
    a_nonce_is_used_once_on_every_node(new().await).await;
    apps_and_distinct_nonces_never_collide(new().await).await;
    of_concurrent_attempts_exactly_one_wins(new().await).await;
}

const NOW: u64 = 1_700_000_000;

fn app(id: &str) -> AppId {
    AppId::parse(id).unwrap()
}

fn replayed(result: Result<(), NonceError>) -> bool {
    matches!(result, Err(NonceError::Replayed))
}

async fn a_nonce_is_used_once_on_every_node((a, b): Pair) {
    assert!(a.remember(&app("1"), "n-1", NOW).await.is_ok());
    assert!(replayed(a.remember(&app("1"), "n-1", NOW + 1).await));
    assert!(replayed(b.remember(&app("1"), "n-1", NOW + 1).await));
    let late = NOW + NONCE_TTL - 1;
    assert!(replayed(b.remember(&app("1"), "n-1", late).await));
}

async fn apps_and_distinct_nonces_never_collide((a, b): Pair) {
    let longest = "x".repeat(crate::auth::MAX_NONCE_LEN);
    for nonce in ["n", "n:x", "{n}", "N", "ñ", longest.as_str()] {
        assert!(a.remember(&app("1"), nonce, NOW).await.is_ok(), "{nonce}");
        assert!(b.remember(&app("12"), nonce, NOW).await.is_ok(), "{nonce}");
        assert!(replayed(b.remember(&app("1"), nonce, NOW).await));
    }
}

async fn of_concurrent_attempts_exactly_one_wins((a, b): Pair) {
    let attempts = (0..20).map(|i| {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        async move { store.remember(&app("1"), "race", NOW).await }
    });
    let results = futures_util::future::join_all(attempts).await;
    let accepted = results.iter().filter(|r| r.is_ok()).count();
    let replays = results
        .into_iter()
        .filter(|r| matches!(r, Err(NonceError::Replayed)))
        .count();
    assert_eq!((accepted, replays), (1, 19));
}
