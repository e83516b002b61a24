//! The embedded app store: one SQLite file in the data directory, so a restart keeps the same keys.

use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;
use rusqlite::Connection;

use super::{App, AppStore, StoreError};

/// Apps persisted in `lattestream.db`.
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and its table.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL;
             CREATE TABLE IF NOT EXISTS apps (id TEXT PRIMARY KEY, app TEXT NOT NULL);",
        )?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || work(&conn.lock())).await?
    }
}

#[async_trait::async_trait]
impl AppStore for SqliteStore {
    async fn list(&self) -> Result<Vec<App>, StoreError> {
        self.blocking(|conn| {
            let mut stmt = conn.prepare("SELECT app FROM apps ORDER BY id")?;
            let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
            rows.map(|row| Ok(serde_json::from_str(&row?)?)).collect()
        })
        .await
    }

    async fn put(&self, app: &App) -> Result<(), StoreError> {
        let (id, json) = (app.id.to_string(), serde_json::to_string(app)?);
        self.blocking(move |conn| {
            conn.execute(
                "INSERT OR REPLACE INTO apps (id, app) VALUES (?1, ?2)",
                (id, json),
            )?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::AppId;

    #[tokio::test]
    async fn apps_survive_reopening() {
        let dir = std::env::temp_dir().join(format!("ls-store-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("apps.db");
        let app = App::generate(AppId::parse("42").unwrap());
        SqliteStore::open(&path).unwrap().put(&app).await.unwrap();
        let listed = SqliteStore::open(&path).unwrap().list().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].key.as_str(), listed[0].secret.expose()),
            (app.key.as_str(), app.secret.expose())
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
