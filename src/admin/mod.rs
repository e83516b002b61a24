//! App management: create, list, show, change, rotate and delete apps in the store — the one core
//! behind `lattestream apps …` ([`cli`]) and the admin REST API (`crate::http`'s `/admin/…`). Apps of
//! the configuration are listed but cannot be changed here. On a running node every change is applied
//! to the node's apps before the call returns; other nodes and processes see it through their
//! [`Reloader`].

pub mod cli;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::apps::{App, AppSettings, AppStore, Reloader, SettingError, StoreError};
use crate::config::Sensitive;
use crate::protocol::AppId;

/// Attempts at a random id before giving up (a collision needs a store of a million apps).
const ID_ATTEMPTS: usize = 5;

/// Why an admin operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No admin token is configured: the admin API does not exist.
    #[error("the admin API is off (no admin_token is configured)")]
    Disabled,
    /// The bearer token is missing or wrong.
    #[error("invalid admin token")]
    Unauthorized,
    /// No stored app has this id.
    #[error("app {0} not found")]
    NotFound(AppId),
    /// The app is defined by the configuration, not the store.
    #[error("app {0} is defined by the configuration and cannot be changed here")]
    ReadOnly(AppId),
    /// The id (or key) is taken.
    #[error("app {0} already exists")]
    Exists(AppId),
    /// A setting path or value was refused.
    #[error(transparent)]
    Setting(#[from] SettingError),
    /// Something else about the request was wrong.
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error("app store: {0}")]
    Store(StoreError),
}

impl From<StoreError> for AdminError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Exists(id) => Self::Exists(id),
            other => Self::Store(other),
        }
    }
}

/// An app as the CLI and the admin API show it: keys, when the previous key stops working, where the
/// app comes from, and every setting.
#[derive(Debug, Serialize)]
pub struct AppView {
    /// The id.
    pub id: AppId,
    /// The public key.
    pub key: String,
    /// The private key.
    pub secret: String,
    /// Unix seconds until which the private key before the last rotation is still accepted.
    pub previous_secret_valid_until: Option<u64>,
    /// `store` (managed here) or `config` (read-only).
    pub source: &'static str,
    /// Every setting, as `set` and `PATCH` name them.
    pub settings: AppSettings,
}

impl AppView {
    fn of(app: &App, source: &'static str) -> Self {
        let now = crate::apps::unix_now();
        let previous = app.previous_secret.as_ref().filter(|p| p.valid_at(now));
        Self {
            id: app.id.clone(),
            key: app.key.clone(),
            secret: app.secret.expose().to_owned(),
            previous_secret_valid_until: previous.map(|p| p.valid_until),
            source,
            settings: app.settings.clone(),
        }
    }
}

/// App management over one store.
pub struct AppAdmin {
    store: Arc<dyn AppStore>,
    fixed: Vec<App>,
    token: Option<Sensitive>,
    reloader: Option<Arc<Reloader>>,
}

impl AppAdmin {
    /// Management of `store`; `fixed` are the configuration's apps (shown, never changed); `token`
    /// turns the admin API on.
    pub fn new(store: Arc<dyn AppStore>, fixed: Vec<App>, token: Option<Sensitive>) -> Self {
        Self {
            store,
            fixed,
            token,
            reloader: None,
        }
    }

    /// Applies every change to a running node's apps through `reloader` before returning.
    pub fn with_reloader(mut self, reloader: Arc<Reloader>) -> Self {
        self.reloader = Some(reloader);
        self
    }

    /// Whether the app store answered at the last look (what `/ready` reports).
    pub fn ready(&self) -> bool {
        self.reloader.as_ref().is_none_or(|r| r.store_reachable())
    }

    /// Checks a presented admin token in constant time (digests are compared, so the length leaks
    /// nothing either).
    pub fn authorize(&self, presented: Option<&str>) -> Result<(), AdminError> {
        let expected = self.token.as_ref().ok_or(AdminError::Disabled)?;
        let digest = |s: &str| Sha256::digest(s.as_bytes());
        let given = presented.ok_or(AdminError::Unauthorized)?;
        match bool::from(digest(given).ct_eq(&digest(expected.expose()))) {
            true => Ok(()),
            false => Err(AdminError::Unauthorized),
        }
    }

    /// Every app: the configuration's, then the store's.
    pub async fn list(&self) -> Result<Vec<AppView>, AdminError> {
        let fixed = self.fixed.iter().map(|a| AppView::of(a, "config"));
        let stored = self.store.list().await?;
        let stored = stored.into_iter().filter(|a| !self.is_fixed(&a.id));
        Ok(fixed
            .chain(stored.map(|a| AppView::of(&a, "store")))
            .collect())
    }

    /// One app.
    pub async fn show(&self, id: &AppId) -> Result<AppView, AdminError> {
        if let Some(app) = self.fixed.iter().find(|a| &a.id == id) {
            return Ok(AppView::of(app, "config"));
        }
        Ok(AppView::of(&self.stored(id).await?, "store"))
    }

    /// Creates an app with new keys, the given id (a random free one when none) and default settings
    /// changed by `edit`.
    pub async fn create(
        &self,
        id: Option<AppId>,
        edit: impl Fn(&AppSettings) -> Result<AppSettings, SettingError>,
    ) -> Result<AppView, AdminError> {
        let settings = edit(&AppSettings::default())?;
        let attempts = if id.is_some() { 1 } else { ID_ATTEMPTS };
        let mut last = None;
        for _ in 0..attempts {
            let id = id.clone().unwrap_or_else(random_id);
            if self.is_fixed(&id) {
                return Err(AdminError::Exists(id));
            }
            let app = App {
                settings: settings.clone(),
                ..App::generate(id)
            };
            match self.store.create(&app).await {
                Ok(()) => return self.applied(AppView::of(&app, "store")).await,
                Err(error) => last = Some(error),
            }
        }
        Err(last.expect("at least one attempt").into())
    }

    /// Changes a stored app's settings with `edit`.
    pub async fn change(
        &self,
        id: &AppId,
        edit: impl FnOnce(&AppSettings) -> Result<AppSettings, SettingError>,
    ) -> Result<AppView, AdminError> {
        let mut app = self.stored(id).await?;
        app.settings = edit(&app.settings)?;
        self.save(app).await
    }

    /// Issues a new private key; the old one stays valid for `grace`, by default the app's
    /// `key_rotation_grace`.
    pub async fn rotate(&self, id: &AppId, grace: Option<Duration>) -> Result<AppView, AdminError> {
        let mut app = self.stored(id).await?;
        app.rotate(grace.unwrap_or(app.settings.key_rotation_grace));
        self.save(app).await
    }

    /// Deletes a stored app; a running node closes its connections (4001).
    pub async fn delete(&self, id: &AppId) -> Result<(), AdminError> {
        self.writable(id)?;
        match self.store.delete(id).await? {
            true => self.applied(()).await,
            false => Err(AdminError::NotFound(id.clone())),
        }
    }

    fn is_fixed(&self, id: &AppId) -> bool {
        self.fixed.iter().any(|a| &a.id == id)
    }

    fn writable(&self, id: &AppId) -> Result<(), AdminError> {
        match self.is_fixed(id) {
            true => Err(AdminError::ReadOnly(id.clone())),
            false => Ok(()),
        }
    }

    async fn stored(&self, id: &AppId) -> Result<App, AdminError> {
        self.writable(id)?;
        let app = self.store.get(id).await?;
        app.ok_or_else(|| AdminError::NotFound(id.clone()))
    }

    async fn save(&self, app: App) -> Result<AppView, AdminError> {
        match self.store.update(&app).await? {
            true => self.applied(AppView::of(&app, "store")).await,
            false => Err(AdminError::NotFound(app.id.clone())),
        }
    }

    /// Brings a running node's apps up to date, then returns `value`.
    async fn applied<T>(&self, value: T) -> Result<T, AdminError> {
        if let Some(reloader) = &self.reloader {
            reloader.refresh().await?;
        }
        Ok(value)
    }
}

/// A random six-digit id.
pub fn random_id() -> AppId {
    let n = 100_000 + rand::random::<u32>() % 900_000;
    AppId::parse(&n.to_string()).expect("digits")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::{SqliteStore, set_setting};

    fn admin(token: Option<&str>) -> AppAdmin {
        let store = Arc::new(SqliteStore::in_memory().unwrap());
        AppAdmin::new(
            store,
            vec![crate::apps::test_app()],
            token.map(Sensitive::new),
        )
    }

    #[test]
    fn the_token_is_required_and_compared_whole() {
        assert!(matches!(
            admin(None).authorize(Some("x")),
            Err(AdminError::Disabled)
        ));
        let admin = admin(Some("s3cret"));
        assert!(admin.authorize(Some("s3cret")).is_ok());
        for wrong in [None, Some(""), Some("s3cre"), Some("s3cret ")] {
            assert!(matches!(
                admin.authorize(wrong),
                Err(AdminError::Unauthorized)
            ));
        }
    }

    #[tokio::test]
    async fn create_change_rotate_and_delete_a_stored_app() {
        let admin = admin(None);
        let made = admin
            .create(None, |s| set_setting(s, "client_events", "true"))
            .await
            .unwrap();
        assert!(made.settings.client_events);
        let id = made.id.clone();
        let changed = admin
            .change(&id, |s| set_setting(s, "max_connections", "9"))
            .await
            .unwrap();
        assert_eq!(changed.settings.max_connections, Some(9));
        let rotated = admin.rotate(&id, None).await.unwrap();
        assert_ne!(rotated.secret, made.secret);
        assert!(rotated.previous_secret_valid_until.is_some());
        assert_eq!(
            admin.list().await.unwrap().len(),
            2,
            "the configuration's app and this one"
        );
        admin.delete(&id).await.unwrap();
        assert!(matches!(
            admin.show(&id).await,
            Err(AdminError::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn configuration_apps_are_shown_but_never_changed() {
        let admin = admin(None);
        let id = AppId::parse("1").unwrap();
        assert_eq!(admin.show(&id).await.unwrap().source, "config");
        assert!(matches!(
            admin.rotate(&id, None).await,
            Err(AdminError::ReadOnly(_))
        ));
        assert!(matches!(
            admin.delete(&id).await,
            Err(AdminError::ReadOnly(_))
        ));
        let taken = admin.create(Some(id), |s| Ok(s.clone())).await;
        assert!(matches!(taken, Err(AdminError::Exists(_))));
    }
}
