//! [`Apps`]: the apps a node serves, indexed by id, public key and private keys. Every lookup of a
//! request or connection goes here; a [`super::Reloader`] replaces the whole index when the store
//! changes, so lookups never wait for a database.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;
use sha2::{Digest, Sha256};

use super::{App, AppError, unix_now};
use crate::protocol::AppId;

/// One private key's entry: the app, and until when the key is accepted (`None`: the current key).
struct ByKey {
    app: Arc<App>,
    until: Option<u64>,
}

#[derive(Default)]
struct Index {
    by_id: HashMap<String, Arc<App>>,
    by_key: HashMap<String, Arc<App>>,
    by_secret: HashMap<[u8; 32], ByKey>,
}

/// Secrets are looked up by their digest so the lookup's timing says nothing about the secret.
fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

impl Index {
    /// Adds an app, refusing bad prefixes and an id, key or secret already taken.
    fn insert(&mut self, app: App) -> Result<(), AppError> {
        app.validate()?;
        let secret = digest(app.secret.expose());
        let previous = app.previous_secret.as_ref();
        let previous = previous.map(|p| (digest(p.secret.expose()), p.valid_until));
        let taken = self.by_id.contains_key(app.id.as_str())
            || self.by_key.contains_key(&app.key)
            || self.by_secret.contains_key(&secret)
            || previous.is_some_and(|(d, _)| d == secret || self.by_secret.contains_key(&d));
        if taken {
            return Err(AppError::Duplicate(app.id.clone()));
        }
        let app = Arc::new(app);
        self.by_id.insert(app.id.to_string(), app.clone());
        self.by_key.insert(app.key.clone(), app.clone());
        if let Some((d, until)) = previous {
            let entry = ByKey {
                app: app.clone(),
                until: Some(until),
            };
            self.by_secret.insert(d, entry);
        }
        self.by_secret.insert(secret, ByKey { app, until: None });
        Ok(())
    }
}

/// The apps this server serves, indexed by id, public key and private key.
#[derive(Default)]
pub struct Apps {
    index: RwLock<Index>,
}

impl Apps {
    /// An index of the given apps, refusing bad prefixes and duplicates.
    pub fn new(apps: Vec<App>) -> Result<Self, AppError> {
        let mut index = Index::default();
        for app in apps {
            index.insert(app)?;
        }
        Ok(Self {
            index: RwLock::new(index),
        })
    }

    /// Adds an app.
    pub fn insert(&self, app: App) -> Result<(), AppError> {
        self.index.write().insert(app)
    }

    /// Replaces every app at once with `apps`, skipping (and returning) those that are invalid or
    /// clash with an earlier one, so one bad row cannot take the others down. Returns the apps that
    /// were served before and are gone now, and the refusals.
    pub fn replace(&self, apps: Vec<App>) -> (Vec<Arc<App>>, Vec<AppError>) {
        let mut index = Index::default();
        let refused: Vec<AppError> = apps
            .into_iter()
            .filter_map(|a| index.insert(a).err())
            .collect();
        let old = std::mem::replace(&mut *self.index.write(), index);
        let now = self.index.read();
        let gone = old
            .by_id
            .into_values()
            .filter(|a| !now.by_id.contains_key(a.id.as_str()));
        (gone.collect(), refused)
    }

    /// The app with this id.
    pub fn by_id(&self, id: &str) -> Option<Arc<App>> {
        self.index.read().by_id.get(id).cloned()
    }

    /// The app with this public key.
    pub fn by_key(&self, key: &str) -> Option<Arc<App>> {
        self.index.read().by_key.get(key).cloned()
    }

    /// The app with this private key: its current one, or the one before a rotation while that
    /// key's grace period runs.
    pub fn by_secret(&self, secret: &str) -> Option<Arc<App>> {
        let index = self.index.read();
        let entry = index.by_secret.get(&digest(secret))?;
        let valid = entry.until.is_none_or(|until| unix_now() < until);
        valid.then(|| entry.app.clone())
    }

    /// Whether an app with this id is served.
    pub fn contains(&self, id: &AppId) -> bool {
        self.index.read().by_id.contains_key(id.as_str())
    }

    /// Every app, in id order.
    pub fn all(&self) -> Vec<Arc<App>> {
        let mut apps: Vec<_> = self.index.read().by_id.values().cloned().collect();
        apps.sort_by(|a, b| a.id.cmp(&b.id));
        apps
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::apps::test_app;
    use crate::auth::Secret;

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

    #[test]
    fn the_previous_key_finds_the_app_until_its_grace_ends() {
        let mut app = test_app();
        app.rotate(Duration::from_secs(60));
        let new = app.secret.expose().to_owned();
        let apps = Apps::new(vec![app.clone()]).unwrap();
        assert_eq!(apps.by_secret("lsk_test").unwrap().secret.expose(), new);
        assert!(apps.by_secret(&new).is_some());
        app.previous_secret.as_mut().unwrap().valid_until = unix_now();
        apps.replace(vec![app]);
        assert!(apps.by_secret("lsk_test").is_none(), "expired");
        assert!(apps.by_secret(&new).is_some());
    }

    #[test]
    fn replacing_reports_the_apps_that_went_and_skips_bad_ones() {
        let apps = Apps::new(vec![test_app()]).unwrap();
        let mut other = test_app();
        other.id = AppId::parse("2").unwrap();
        other.key = "lspk_two".into();
        other.secret = Secret::new("lsk_two");
        let mut bad = other.clone();
        bad.id = AppId::parse("3").unwrap();
        let (gone, refused) = apps.replace(vec![other, bad]);
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].id.as_str(), "1");
        assert_eq!(refused.len(), 1, "app 3 reuses app 2's key");
        assert!(apps.by_id("2").is_some() && apps.by_id("3").is_none());
    }
}
