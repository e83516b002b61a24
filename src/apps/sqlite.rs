//! The embedded app store: one SQLite file in the data directory, so a restart keeps the same keys, and
//! `lattestream apps …` (another process) can change the apps a running server serves. Triggers bump a
//! one-row revision counter on every write, which running servers poll.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::{Connection, ErrorCode, OptionalExtension};

use super::{App, AppStore, StoreError};
use crate::protocol::AppId;

/// Schema steps, applied in order once each; `PRAGMA user_version` counts those applied. The first
/// is the table of the first release, so existing files upgrade in place.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS apps (id TEXT PRIMARY KEY, app TEXT NOT NULL);",
    "CREATE UNIQUE INDEX apps_key ON apps (json_extract(app, '$.key'));
     CREATE TABLE revision (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
     INSERT INTO revision VALUES (1, 0);
     CREATE TRIGGER apps_inserted AFTER INSERT ON apps BEGIN UPDATE revision SET n = n + 1; END;
     CREATE TRIGGER apps_updated AFTER UPDATE ON apps BEGIN UPDATE revision SET n = n + 1; END;
     CREATE TRIGGER apps_deleted AFTER DELETE ON apps BEGIN UPDATE revision SET n = n + 1; END;",
];

/// Apps persisted in `lattestream.db` (or in memory, for tests and config-only servers).
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::prepare(Connection::open(path)?)
    }

    /// A store that lives in this process's memory only.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::prepare(Connection::open_in_memory()?)
    }

    fn prepare(mut conn: Connection) -> Result<Self, StoreError> {
        // Another process (the CLI) may hold the write lock for a moment: wait rather than fail.
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        migrate(&mut conn)?;
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

/// Applies the migrations this file has not seen, in one transaction.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let applied: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    for step in MIGRATIONS.iter().skip(applied as usize) {
        tx.execute_batch(step)?;
    }
    tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)?;
    Ok(tx.commit()?)
}

/// An insert that broke the primary key or the unique key index.
fn exists(error: rusqlite::Error, id: &AppId) -> StoreError {
    match error.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => StoreError::Exists(id.clone()),
        _ => error.into(),
    }
}

#[async_trait::async_trait]
impl AppStore for SqliteStore {
    async fn list(&self) -> Result<Vec<App>, StoreError> {
        self.blocking(|conn| {
            let mut stmt = conn.prepare("SELECT app FROM apps ORDER BY length(id), id")?;
            let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
            rows.map(|row| Ok(serde_json::from_str(&row?)?)).collect()
        })
        .await
    }

    async fn get(&self, id: &AppId) -> Result<Option<App>, StoreError> {
        let id = id.to_string();
        self.blocking(move |conn| {
            let row: Option<String> = conn
                .query_row("SELECT app FROM apps WHERE id = ?1", [id], |row| row.get(0))
                .optional()?;
            Ok(row.map(|json| serde_json::from_str(&json)).transpose()?)
        })
        .await
    }

    async fn create(&self, app: &App) -> Result<(), StoreError> {
        let (id, json) = (app.id.clone(), serde_json::to_string(app)?);
        self.blocking(move |conn| {
            let sql = "INSERT INTO apps (id, app) VALUES (?1, ?2)";
            conn.execute(sql, (id.as_str(), json))
                .map_err(|e| exists(e, &id))?;
            Ok(())
        })
        .await
    }

    async fn update(&self, app: &App) -> Result<bool, StoreError> {
        let (id, json) = (app.id.clone(), serde_json::to_string(app)?);
        self.blocking(move |conn| {
            let sql = "UPDATE apps SET app = ?2 WHERE id = ?1";
            let changed = conn
                .execute(sql, (id.as_str(), json))
                .map_err(|e| exists(e, &id))?;
            Ok(changed > 0)
        })
        .await
    }

    async fn delete(&self, id: &AppId) -> Result<bool, StoreError> {
        let id = id.to_string();
        self.blocking(move |conn| Ok(conn.execute("DELETE FROM apps WHERE id = ?1", [id])? > 0))
            .await
    }

    async fn revision(&self) -> Result<u64, StoreError> {
        self.blocking(|conn| {
            let n: i64 = conn.query_row("SELECT n FROM revision", [], |row| row.get(0))?;
            Ok(n as u64)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path() -> (std::path::PathBuf, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("ls-store-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        (dir.join("apps.db"), dir)
    }

    #[tokio::test]
    async fn the_conformance_suite_passes_on_sqlite_files() {
        let mut dirs = Vec::new();
        super::super::conformance::run(|| {
            let (path, dir) = temp_path();
            dirs.push(dir);
            let open: super::super::conformance::Open = Box::new(move || {
                let store = SqliteStore::open(&path).unwrap();
                Box::pin(async move { Arc::new(store) as Arc<dyn AppStore> })
            });
            Box::pin(async move { open })
        })
        .await;
        dirs.into_iter()
            .for_each(|d| std::fs::remove_dir_all(d).unwrap());
    }

    #[tokio::test]
    async fn a_file_of_the_first_release_is_upgraded_in_place() {
        let (path, dir) = temp_path();
        let app = App::generate(AppId::parse("42").unwrap());
        let old = Connection::open(&path).unwrap();
        old.execute_batch(MIGRATIONS[0]).unwrap();
        let json = serde_json::to_string(&app).unwrap();
        old.execute("INSERT INTO apps VALUES ('42', ?1)", [json])
            .unwrap();
        drop(old);
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.list().await.unwrap()[0].key, app.key);
        let before = store.revision().await.unwrap();
        assert!(store.delete(&app.id).await.unwrap());
        assert_ne!(store.revision().await.unwrap(), before);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
