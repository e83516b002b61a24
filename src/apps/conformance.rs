//! The contract every [`AppStore`] keeps, as one suite each implementation runs (SQLite files and a real
//! PostgreSQL). Each check gets a fresh, empty store and opens it twice, as two processes or two nodes
//! would, to check that what one handle writes the other sees.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use super::{App, AppStore, StoreError};
use crate::protocol::AppId;

/// Opens another handle on one fresh store.
pub type Open = Box<dyn Fn() -> BoxFuture<'static, Arc<dyn AppStore>> + Send + Sync>;

/// Runs every contract check, each against a fresh store made by `fresh`.
pub async fn run(mut fresh: impl FnMut() -> BoxFuture<'static, Open>) {
    an_empty_store_lists_nothing(fresh().await).await;
    a_created_app_reads_back_whole(fresh().await).await;
    create_never_overwrites_an_id_or_a_key(fresh().await).await;
    update_replaces_and_reports_a_missing_app(fresh().await).await;
    delete_removes_and_reports_a_missing_app(fresh().await).await;
    every_write_changes_the_revision_another_handle_sees(fresh().await).await;
}

fn app(id: &str) -> App {
    App::generate(AppId::parse(id).unwrap())
}

async fn an_empty_store_lists_nothing(open: Open) {
    let store = open().await;
    assert!(store.list().await.unwrap().is_empty());
    assert!(
        store
            .get(&AppId::parse("1").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    let revision = store.revision().await.unwrap();
    assert_eq!(
        store.revision().await.unwrap(),
        revision,
        "reads do not change it"
    );
}

async fn a_created_app_reads_back_whole(open: Open) {
    let (store, other) = (open().await, open().await);
    let mut first = app("20");
    first.settings.client_events = true;
    first.settings.rate_limits.events.per_minute = 7;
    first.rotate(Duration::from_secs(600));
    store.create(&first).await.unwrap();
    store.create(&app("3")).await.unwrap();
    let read = other.get(&first.id).await.unwrap().expect("stored");
    assert_eq!((&read.key, &read.secret), (&first.key, &first.secret));
    assert_eq!(read.previous_secret, first.previous_secret);
    assert_eq!(read.settings, first.settings);
    let ids: Vec<String> = other
        .list()
        .await
        .unwrap()
        .iter()
        .map(|a| a.id.to_string())
        .collect();
    assert_eq!(ids, ["3", "20"], "in numeric id order");
}

async fn create_never_overwrites_an_id_or_a_key(open: Open) {
    let store = open().await;
    let first = app("1");
    store.create(&first).await.unwrap();
    let same_id = app("1");
    assert!(matches!(
        store.create(&same_id).await,
        Err(StoreError::Exists(_))
    ));
    let mut same_key = app("2");
    same_key.key = first.key.clone();
    assert!(matches!(
        store.create(&same_key).await,
        Err(StoreError::Exists(_))
    ));
    let kept = store.get(&first.id).await.unwrap().unwrap();
    assert_eq!(kept.secret, first.secret);
    assert_eq!(store.list().await.unwrap().len(), 1);
}

async fn update_replaces_and_reports_a_missing_app(open: Open) {
    let (store, other) = (open().await, open().await);
    let mut first = app("1");
    store.create(&first).await.unwrap();
    first.rotate(Duration::ZERO);
    first.settings.max_connections = Some(3);
    assert!(store.update(&first).await.unwrap());
    let read = other.get(&first.id).await.unwrap().unwrap();
    assert_eq!(
        (read.secret, read.settings.max_connections),
        (first.secret, Some(3))
    );
    assert!(!store.update(&app("9")).await.unwrap());
    assert!(
        other
            .get(&AppId::parse("9").unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

async fn delete_removes_and_reports_a_missing_app(open: Open) {
    let (store, other) = (open().await, open().await);
    let first = app("1");
    store.create(&first).await.unwrap();
    store.create(&app("2")).await.unwrap();
    assert!(store.delete(&first.id).await.unwrap());
    assert!(!store.delete(&first.id).await.unwrap());
    assert!(other.get(&first.id).await.unwrap().is_none());
    assert_eq!(other.list().await.unwrap().len(), 1);
    store
        .create(&first)
        .await
        .expect("a deleted id can be used again");
}

async fn every_write_changes_the_revision_another_handle_sees(open: Open) {
    let (store, other) = (open().await, open().await);
    let mut seen = other.revision().await.unwrap();
    let mut changed = |now: u64, what: &str| {
        assert_ne!(now, seen, "{what} changes the revision");
        seen = now;
    };
    let mut first = app("1");
    store.create(&first).await.unwrap();
    changed(other.revision().await.unwrap(), "create");
    first.settings.client_events = true;
    store.update(&first).await.unwrap();
    changed(other.revision().await.unwrap(), "update");
    store.delete(&first.id).await.unwrap();
    changed(other.revision().await.unwrap(), "delete");
}
