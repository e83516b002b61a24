//! [`Reloader`]: keeps a running node's [`Apps`] in step with its store, so apps created, changed,
//! rotated or deleted by the CLI (another process) or the admin API (any node) apply without a restart.
//!
//! How soon: a write through this node's admin API applies before the API answers; a write by another
//! process is seen at the next poll of the store's revision counter (every `store_poll_interval`, 1 s by
//! default); with PostgreSQL, `NOTIFY` wakes every node at once, the poll remaining a fallback. While
//! the store cannot be reached the last apps loaded keep being served and `/ready` answers 503.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::Notify;

use super::{App, AppStore, Apps, StoreError};

/// What to do with apps that were served and are gone (close their connections).
pub type OnGone = Box<dyn Fn(&[Arc<App>]) + Send + Sync>;

/// Reloads a node's apps from its store when the store changes.
pub struct Reloader {
    store: Arc<dyn AppStore>,
    /// Apps of the configuration: always served, and they win over a stored app with the same id.
    fixed: Vec<App>,
    apps: Arc<Apps>,
    interval: Duration,
    kick: Notify,
    /// The revision last applied (`None` before the first load); revisions only grow.
    applied: Mutex<Option<u64>>,
    reachable: AtomicBool,
    on_gone: OnGone,
}

impl Reloader {
    /// A reloader serving `fixed` plus whatever `store` holds into `apps`, checking every `interval`.
    pub fn new(
        store: Arc<dyn AppStore>,
        fixed: Vec<App>,
        apps: Arc<Apps>,
        interval: Duration,
        on_gone: OnGone,
    ) -> Self {
        Self {
            store,
            fixed,
            apps,
            interval,
            kick: Notify::new(),
            applied: Mutex::new(None),
            reachable: AtomicBool::new(true),
            on_gone,
        }
    }

    /// The store it reads.
    pub fn store(&self) -> &Arc<dyn AppStore> {
        &self.store
    }

    /// Whether the configuration defines this app (so the store cannot change it).
    pub fn is_fixed(&self, id: &crate::protocol::AppId) -> bool {
        self.fixed.iter().any(|a| &a.id == id)
    }

    /// Whether the last look at the store succeeded (what `/ready` reports).
    pub fn store_reachable(&self) -> bool {
        self.reachable.load(Ordering::Relaxed)
    }

    /// Checks the store now and applies what changed; returns once the index is up to date.
    pub async fn refresh(&self) -> Result<(), StoreError> {
        let checked = self.check().await;
        let was = self.reachable.swap(checked.is_ok(), Ordering::Relaxed);
        match &checked {
            Err(error) if was => {
                tracing::warn!(%error, "the app store cannot be reached; serving the apps last loaded")
            }
            Ok(()) if !was => tracing::info!("the app store is reachable again"),
            _ => {}
        }
        checked
    }

    async fn check(&self) -> Result<(), StoreError> {
        let revision = self.store.revision().await?;
        if *self.applied.lock() == Some(revision) {
            return Ok(());
        }
        let stored = self.store.list().await?;
        let mut applied = self.applied.lock();
        if applied.is_some_and(|a| a > revision) {
            return Ok(()); // a concurrent refresh applied a later state
        }
        *applied = Some(revision);
        let gone = self.apply(stored);
        drop(applied);
        if !gone.is_empty() {
            (self.on_gone)(&gone);
        }
        Ok(())
    }

    /// Replaces the index with the fixed apps plus the stored ones; returns the apps that went.
    fn apply(&self, stored: Vec<App>) -> Vec<Arc<App>> {
        let stored = stored.into_iter().filter(|a| !self.is_fixed(&a.id));
        let (gone, refused) = self
            .apps
            .replace(self.fixed.iter().cloned().chain(stored).collect());
        for error in refused {
            tracing::warn!(%error, "a stored app is not served");
        }
        gone
    }

    /// Asks the running loop to check at once.
    pub fn kick(&self) {
        self.kick.notify_one();
    }

    /// Checks on every tick, store notification or kick, while `alive` says the node still runs.
    pub async fn run(self: Arc<Self>, alive: impl Fn() -> bool) {
        while alive() {
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = self.store.changed() => {}
                _ = self.kick.notified() => {}
            }
            let _ = self.refresh().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::SqliteStore;
    use crate::protocol::AppId;

    fn reloader(store: Arc<dyn AppStore>, fixed: Vec<App>) -> (Reloader, Arc<Mutex<Vec<String>>>) {
        let gone = Arc::new(Mutex::new(Vec::new()));
        let seen = gone.clone();
        let on_gone: OnGone = Box::new(move |apps| {
            seen.lock().extend(apps.iter().map(|a| a.id.to_string()));
        });
        let apps = Arc::new(Apps::default());
        (
            Reloader::new(store, fixed, apps, Duration::from_secs(1), on_gone),
            gone,
        )
    }

    #[tokio::test]
    async fn a_refresh_serves_new_apps_and_reports_deleted_ones() {
        let store: Arc<dyn AppStore> = Arc::new(SqliteStore::in_memory().unwrap());
        let (reloader, gone) = reloader(store.clone(), vec![crate::apps::test_app()]);
        let app = App::generate(AppId::parse("7").unwrap());
        store.create(&app).await.unwrap();
        reloader.refresh().await.unwrap();
        assert!(reloader.apps.by_key(&app.key).is_some());
        assert!(
            reloader.apps.by_id("1").is_some(),
            "the configuration's app is served too"
        );
        store.delete(&app.id).await.unwrap();
        reloader.refresh().await.unwrap();
        assert!(reloader.apps.by_key(&app.key).is_none());
        assert_eq!(*gone.lock(), ["7"]);
    }

    #[tokio::test]
    async fn the_configuration_wins_over_a_stored_app_with_its_id() {
        let store: Arc<dyn AppStore> = Arc::new(SqliteStore::in_memory().unwrap());
        let fixed = crate::apps::test_app();
        let (reloader, _) = reloader(store.clone(), vec![fixed.clone()]);
        store
            .create(&App::generate(fixed.id.clone()))
            .await
            .unwrap();
        reloader.refresh().await.unwrap();
        assert_eq!(reloader.apps.by_id("1").unwrap().key, fixed.key);
        assert!(reloader.is_fixed(&fixed.id));
    }
}
