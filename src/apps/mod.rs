//! Apps (tenants): their keys and settings, the in-memory [`Apps`] index every lookup goes to, and the
//! [`AppStore`] trait that persists them (SQLite embedded by default; PostgreSQL later).

mod settings;
mod sqlite;

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use settings::{AppSettings, EndpointLimit, RateLimits};
pub use sqlite::SqliteStore;

use crate::auth::{Secret, generate_key, generate_secret};
use crate::protocol::AppId;

/// One tenant: its id, its public and private keys, and what it allows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct App {
    /// Digits, as the Pusher server libraries require.
    pub id: AppId,
    /// The public key, `lspk_…`.
    pub key: String,
    /// The private key, `lsk_…`.
    pub secret: Secret,
    /// Switches and limits.
    #[serde(flatten)]
    pub settings: AppSettings,
}

impl App {
    /// A new app with random keys and default settings.
    pub fn generate(id: AppId) -> Self {
        Self {
            id,
            key: generate_key(),
            secret: generate_secret(),
            settings: AppSettings::default(),
        }
    }
}

/// Why an app definition was refused at start.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The public key lacks its `lspk_` prefix.
    #[error("app {0}: the key must start with lspk_")]
    BadKey(AppId),
    /// The private key lacks its `lsk_` prefix.
    #[error("app {0}: the secret must start with lsk_")]
    BadSecret(AppId),
    /// Two apps share an id or key.
    #[error("app {0}: id, key or secret used twice")]
    Duplicate(AppId),
    /// The store failed.
    #[error("app store: {0}")]
    Store(#[from] StoreError),
}

impl App {
    /// Checks the key prefixes.
    pub fn validate(&self) -> Result<(), AppError> {
        if !self.key.starts_with("lspk_") || self.key.len() < 6 {
            return Err(AppError::BadKey(self.id.clone()));
        }
        if !self.secret.expose().starts_with("lsk_") || self.secret.expose().len() < 5 {
            return Err(AppError::BadSecret(self.id.clone()));
        }
        Ok(())
    }
}

/// A failure of the persistent app store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// A stored row could not be read back.
    #[error("corrupt app row: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// The blocking task died.
    #[error("store task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Where apps are persisted. Lookups never come here: they go to [`Apps`], loaded at start.
#[async_trait::async_trait]
pub trait AppStore: Send + Sync {
    /// Every stored app.
    async fn list(&self) -> Result<Vec<App>, StoreError>;
    /// Stores a new app (or replaces one with the same id).
    async fn put(&self, app: &App) -> Result<(), StoreError>;
}

#[derive(Default)]
struct Index {
    by_id: HashMap<String, Arc<App>>,
    by_key: HashMap<String, Arc<App>>,
    by_secret: HashMap<[u8; 32], Arc<App>>,
}

/// The apps this server serves, indexed by id, public key and private key.
#[derive(Default)]
pub struct Apps {
    index: RwLock<Index>,
}

/// Secrets are looked up by their digest so the lookup's timing says nothing about the secret.
fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

impl Apps {
    /// An index of the given apps, refusing bad prefixes and duplicates.
    pub fn new(apps: Vec<App>) -> Result<Self, AppError> {
        let this = Self::default();
        for app in apps {
            this.insert(app)?;
        }
        Ok(this)
    }

    /// Adds an app.
    pub fn insert(&self, app: App) -> Result<(), AppError> {
        app.validate()?;
        let mut index = self.index.write();
        let secret = digest(app.secret.expose());
        let taken = index.by_id.contains_key(app.id.as_str())
            || index.by_key.contains_key(&app.key)
            || index.by_secret.contains_key(&secret);
        if taken {
            return Err(AppError::Duplicate(app.id.clone()));
        }
        let app = Arc::new(app);
        index.by_id.insert(app.id.to_string(), app.clone());
        index.by_key.insert(app.key.clone(), app.clone());
        index.by_secret.insert(secret, app);
        Ok(())
    }

    /// The app with this id.
    pub fn by_id(&self, id: &str) -> Option<Arc<App>> {
        self.index.read().by_id.get(id).cloned()
    }

    /// The app with this public key.
    pub fn by_key(&self, key: &str) -> Option<Arc<App>> {
        self.index.read().by_key.get(key).cloned()
    }

    /// The app with this private key.
    pub fn by_secret(&self, secret: &str) -> Option<Arc<App>> {
        self.index.read().by_secret.get(&digest(secret)).cloned()
    }

    /// Every app, in id order.
    pub fn all(&self) -> Vec<Arc<App>> {
        let mut apps: Vec<_> = self.index.read().by_id.values().cloned().collect();
        apps.sort_by(|a, b| a.id.cmp(&b.id));
        apps
    }
}

/// An app with fixed keys, for unit tests.
#[cfg(test)]
pub fn test_app() -> App {
    App {
        id: AppId::parse("1").unwrap(),
        key: "lspk_test".into(),
        secret: Secret::new("lsk_test"),
        settings: AppSettings::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_by_id_key_and_secret() {
        let apps = Apps::new(vec![test_app()]).unwrap();
        assert!(apps.by_id("1").is_some());
        assert!(apps.by_key("lspk_test").is_some());
        assert!(apps.by_secret("lsk_test").is_some());
        assert!(apps.by_secret("lsk_nope").is_none());
    }

    #[test]
    fn wrong_prefixes_and_duplicates_are_refused() {
        let mut bad = test_app();
        bad.key = "pk_x".into();
        assert!(matches!(Apps::new(vec![bad]), Err(AppError::BadKey(_))));
        let mut bad = test_app();
        bad.secret = Secret::new("sk_x");
        assert!(matches!(Apps::new(vec![bad]), Err(AppError::BadSecret(_))));
        assert!(matches!(
            Apps::new(vec![test_app(), test_app()]),
            Err(AppError::Duplicate(_))
        ));
    }
}
