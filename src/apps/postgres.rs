//! The PostgreSQL app store, for a cluster: every node reads the same apps, and a trigger on the apps
//! table bumps a revision counter and sends `NOTIFY lattestream_apps` in the writing transaction, so
//! every node's [`super::Reloader`] hears of a change at once (and polls the counter as a fallback
//! while its listening connection is down). Migrations run at connect, under an advisory lock so that
//! nodes starting together apply them once.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use parking_lot::Mutex;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_postgres::error::SqlState;
use tokio_postgres::{AsyncMessage, Client, NoTls};

use super::{App, AppStore, StoreError};
use crate::protocol::AppId;

/// The channel the trigger notifies.
const CHANNEL: &str = "lattestream_apps";
/// Any fixed number: the advisory lock that serialises migrations between nodes.
const MIGRATION_LOCK: i64 = 0x1a77_e57e;
/// Pause between attempts to re-open the listening connection.
const RELISTEN_AFTER: Duration = Duration::from_secs(2);

/// Schema steps, applied once each in order; `lattestream_migrations` records those applied.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE lattestream_apps (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    app JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE lattestream_revision (
    id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    revision BIGINT NOT NULL
);
INSERT INTO lattestream_revision (revision) VALUES (0);
CREATE FUNCTION lattestream_apps_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE lattestream_revision SET revision = revision + 1;
    PERFORM pg_notify('lattestream_apps', '');
    RETURN NULL;
END $$;
CREATE TRIGGER lattestream_apps_changed AFTER INSERT OR UPDATE OR DELETE ON lattestream_apps
    FOR EACH STATEMENT EXECUTE FUNCTION lattestream_apps_changed();
"#];

/// Apps in a PostgreSQL database shared by every node of a cluster.
pub struct PostgresStore {
    url: String,
    client: Mutex<Option<Arc<Client>>>,
    notified: Arc<Notify>,
    listener: JoinHandle<()>,
}

impl PostgresStore {
    /// Connects, applies pending migrations and starts listening for changes; fails if the database
    /// cannot be reached, so a misconfigured node stops at start instead of serving no apps.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let client = connect(url).await?;
        migrate(url).await?;
        let notified = Arc::new(Notify::new());
        let listener = tokio::spawn(listen(url.to_owned(), notified.clone()));
        Ok(Self {
            url: url.to_owned(),
            client: Mutex::new(Some(Arc::new(client))),
            notified,
            listener,
        })
    }

    /// The shared client, reconnecting when the last one was closed (a database restart).
    async fn client(&self) -> Result<Arc<Client>, StoreError> {
        if let Some(client) = self.client.lock().as_ref().filter(|c| !c.is_closed()) {
            return Ok(client.clone());
        }
        let client = Arc::new(connect(&self.url).await?);
        *self.client.lock() = Some(client.clone());
        Ok(client)
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// A client whose connection is driven by a task of its own.
async fn connect(url: &str) -> Result<Client, StoreError> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "app store connection ended");
        }
    });
    Ok(client)
}

/// Applies the migrations the database lacks, in one transaction, holding the migration lock.
async fn migrate(url: &str) -> Result<(), StoreError> {
    let mut client = connect(url).await?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS lattestream_migrations (
             version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .await?;
    let row = tx
        .query_one("SELECT count(*) FROM lattestream_migrations", &[])
        .await?;
    let applied = row.get::<_, i64>(0) as usize;
    for (n, step) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.batch_execute(step).await?;
        let version = n as i32 + 1;
        tx.execute(
            "INSERT INTO lattestream_migrations (version) VALUES ($1)",
            &[&version],
        )
        .await?;
    }
    Ok(tx.commit().await?)
}

/// Holds a connection that `LISTEN`s for the trigger's notifications and wakes the store's waiter on
/// each, re-opening it after a failure; a wake follows every (re)connection so nothing missed while
/// it was down goes unseen.
async fn listen(url: String, notified: Arc<Notify>) {
    loop {
        match tokio_postgres::connect(&url, NoTls).await {
            Ok((client, mut connection)) => {
                let messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                let waker = notified.clone();
                let driver = tokio::spawn(messages.for_each(move |message| {
                    if let Ok(AsyncMessage::Notification(_)) = message {
                        waker.notify_one();
                    }
                    std::future::ready(())
                }));
                if client
                    .batch_execute(&format!("LISTEN {CHANNEL}"))
                    .await
                    .is_ok()
                {
                    notified.notify_one();
                }
                let _ = driver.await;
                tracing::warn!("the app store's listening connection closed; reconnecting");
            }
            Err(error) => tracing::warn!(%error, "cannot listen to the app store"),
        }
        tokio::time::sleep(RELISTEN_AFTER).await;
    }
}

/// A write that broke the id or key uniqueness.
fn exists(error: tokio_postgres::Error, id: &AppId) -> StoreError {
    match error.code() {
        Some(&SqlState::UNIQUE_VIOLATION) => StoreError::Exists(id.clone()),
        _ => error.into(),
    }
}

#[async_trait::async_trait]
impl AppStore for PostgresStore {
    async fn list(&self) -> Result<Vec<App>, StoreError> {
        let sql = "SELECT app::text FROM lattestream_apps ORDER BY length(id), id";
        let rows = self.client().await?.query(sql, &[]).await?;
        rows.iter()
            .map(|row| Ok(serde_json::from_str(row.get(0))?))
            .collect()
    }

    async fn get(&self, id: &AppId) -> Result<Option<App>, StoreError> {
        let sql = "SELECT app::text FROM lattestream_apps WHERE id = $1";
        let row = self.client().await?.query_opt(sql, &[&id.as_str()]).await?;
        Ok(row
            .map(|row| serde_json::from_str(row.get(0)))
            .transpose()?)
    }

    async fn create(&self, app: &App) -> Result<(), StoreError> {
        let json = serde_json::to_string(app)?;
        let sql = "INSERT INTO lattestream_apps (id, key, app) VALUES ($1, $2, $3::text::jsonb)";
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
            [&app.id.as_str(), &app.key, &json];
        let client = self.client().await?;
        client
            .execute(sql, &params)
            .await
            .map_err(|e| exists(e, &app.id))?;
        Ok(())
    }

    async fn update(&self, app: &App) -> Result<bool, StoreError> {
        let json = serde_json::to_string(app)?;
        let sql = "UPDATE lattestream_apps SET key = $2, app = $3::text::jsonb, updated_at = now()
                   WHERE id = $1";
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
            [&app.id.as_str(), &app.key, &json];
        let client = self.client().await?;
        let changed = client
            .execute(sql, &params)
            .await
            .map_err(|e| exists(e, &app.id))?;
        Ok(changed > 0)
    }

    async fn delete(&self, id: &AppId) -> Result<bool, StoreError> {
        let sql = "DELETE FROM lattestream_apps WHERE id = $1";
        Ok(self.client().await?.execute(sql, &[&id.as_str()]).await? > 0)
    }

    async fn revision(&self) -> Result<u64, StoreError> {
        let sql = "SELECT revision FROM lattestream_revision";
        let row = self.client().await?.query_one(sql, &[]).await?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    async fn changed(&self) {
        self.notified.notified().await
    }
}

#[cfg(test)]
mod tests;
