//! Apps (tenants): their keys and settings, the in-memory [`Apps`] index every lookup goes to, the
//! [`AppStore`] trait that persists them (SQLite embedded by default, PostgreSQL for a cluster), and
//! [`Reloader`], which keeps a running node's index in step with its store.

#[cfg(test)]
mod conformance;
mod edit;
mod index;
mod live;
mod open;
mod postgres;
mod settings;
mod sqlite;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

pub use edit::{SettingError, merge_settings, set_setting};
pub use index::Apps;
pub use live::Reloader;
pub use open::{StoreUrl, open_store};
pub use postgres::PostgresStore;
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
    /// The private key before the last rotation, accepted beside `secret` until its grace period ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret: Option<RetiredSecret>,
    /// Switches and limits.
    #[serde(flatten)]
    pub settings: AppSettings,
}

/// A rotated-out private key and the moment (unix seconds) it stops being accepted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RetiredSecret {
    /// The old key.
    pub secret: Secret,
    /// Unix seconds after which it is refused.
    pub valid_until: u64,
}

impl RetiredSecret {
    /// Whether the grace period still runs at `now` (unix seconds).
    pub fn valid_at(&self, now: u64) -> bool {
        now < self.valid_until
    }
}

/// The current time in unix seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl App {
    /// A new app with random keys and default settings.
    pub fn generate(id: AppId) -> Self {
        Self {
            id,
            key: generate_key(),
            secret: generate_secret(),
            previous_secret: None,
            settings: AppSettings::default(),
        }
    }

    /// The private keys a signature or credential may be made with now: the current one, then the
    /// previous one while its grace period runs. Everything that verifies checks each; everything that
    /// signs uses `secret`.
    pub fn secrets(&self) -> impl Iterator<Item = &Secret> {
        let now = unix_now();
        let previous = self.previous_secret.as_ref().filter(|p| p.valid_at(now));
        std::iter::once(&self.secret).chain(previous.map(|p| &p.secret))
    }

    /// Issues a new private key; the old one stays valid for `grace` (not at all when zero).
    pub fn rotate(&mut self, grace: Duration) {
        let old = std::mem::replace(&mut self.secret, generate_secret());
        self.previous_secret = (!grace.is_zero()).then(|| RetiredSecret {
            secret: old,
            valid_until: unix_now() + grace.as_secs().max(1),
        });
    }

    /// Checks the key prefixes.
    pub fn validate(&self) -> Result<(), AppError> {
        if !self.key.starts_with("lspk_") || self.key.len() < 6 {
            return Err(AppError::BadKey(self.id.clone()));
        }
        let good = |s: &Secret| s.expose().starts_with("lsk_") && s.expose().len() >= 5;
        let previous_good = self
            .previous_secret
            .as_ref()
            .is_none_or(|p| good(&p.secret));
        if !good(&self.secret) || !previous_good {
            return Err(AppError::BadSecret(self.id.clone()));
        }
        Ok(())
    }
}

/// Why an app definition was refused.
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

/// A failure of the persistent app store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL said no, or could not be reached.
    #[error("postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// A stored row could not be read back.
    #[error("corrupt app row: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// The blocking task died.
    #[error("store task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    /// `create` of an app whose id or public key is already stored.
    #[error("app {0}: id or key already stored")]
    Exists(AppId),
    /// A database URL that names no store we have.
    #[error(
        "unsupported database URL (expected postgres://…, postgresql://…, sqlite:PATH or sqlite::memory:)"
    )]
    UnsupportedUrl,
    /// The data directory could not be created.
    #[error("data directory {0}: {1}")]
    DataDir(String, std::io::Error),
}

/// Where apps are persisted. Lookups never come here: they go to [`Apps`], which a [`Reloader`] keeps
/// in step with the store.
///
/// The contract (checked for every implementation by one conformance suite):
/// - Writes are visible to every other handle on the same store (another process, another node) at
///   once, and each write changes [`AppStore::revision`] as those handles see it.
/// - `create` never overwrites: an id or public key already stored is [`StoreError::Exists`].
#[async_trait::async_trait]
pub trait AppStore: Send + Sync {
    /// Every stored app, in numeric id order.
    async fn list(&self) -> Result<Vec<App>, StoreError>;
    /// The stored app with this id.
    async fn get(&self, id: &AppId) -> Result<Option<App>, StoreError>;
    /// Stores a new app; refuses an id or key already stored.
    async fn create(&self, app: &App) -> Result<(), StoreError>;
    /// Replaces a stored app (matched by id); false when there is none.
    async fn update(&self, app: &App) -> Result<bool, StoreError>;
    /// Removes an app; false when there was none.
    async fn delete(&self, id: &AppId) -> Result<bool, StoreError>;
    /// A number that changes whenever any app is written, by any handle: a cheap "has anything changed?".
    async fn revision(&self) -> Result<u64, StoreError>;
    /// Resolves when another handle may have changed the store (PostgreSQL's `NOTIFY`), so a running
    /// node need not wait for its next poll. Stores without such a signal never resolve (the default).
    async fn changed(&self) {
        std::future::pending::<()>().await
    }
}

/// An app with fixed keys, for unit tests.
#[cfg(test)]
pub fn test_app() -> App {
    App {
        id: AppId::parse("1").unwrap(),
        key: "lspk_test".into(),
        secret: Secret::new("lsk_test"),
        previous_secret: None,
        settings: AppSettings::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotated_app_accepts_both_keys_only_during_its_grace() {
        let mut app = test_app();
        app.rotate(Duration::from_secs(3600));
        let keys: Vec<_> = app.secrets().map(|s| s.expose().to_owned()).collect();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[1], "lsk_test");
        assert_ne!(keys[0], "lsk_test");
        app.previous_secret.as_mut().unwrap().valid_until = unix_now();
        assert_eq!(
            app.secrets().count(),
            1,
            "the old key is refused once its grace ends"
        );
        app.rotate(Duration::ZERO);
        assert!(app.previous_secret.is_none());
    }

    #[test]
    fn a_stored_app_reads_back_with_its_previous_key() {
        let mut app = test_app();
        app.rotate(Duration::from_secs(60));
        let json = serde_json::to_string(&app).unwrap();
        let back: App = serde_json::from_str(&json).unwrap();
        assert_eq!(back.previous_secret, app.previous_secret);
        assert!(!json.contains("previous_secret\":null"));
        let plain: App =
            serde_json::from_str(&serde_json::to_string(&test_app()).unwrap()).unwrap();
        assert!(plain.previous_secret.is_none());
    }
}
