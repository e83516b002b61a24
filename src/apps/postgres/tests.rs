//! The PostgreSQL store against the local server (`LATTESTREAM_TEST_POSTGRES`, by default
//! `postgres://postgres@127.0.0.1:5432/postgres`): each test creates databases of its own and drops them.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::apps::conformance;

/// The server's maintenance database, where test databases are created and dropped.
fn admin_url() -> String {
    std::env::var("LATTESTREAM_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Databases made by one test, dropped by [`Databases::drop_all`].
#[derive(Default, Clone)]
struct Databases(Arc<parking_lot::Mutex<Vec<String>>>);

impl Databases {
    /// A new empty database; its URL.
    async fn create(&self) -> String {
        let name = format!("ls_test_{}", uuid::Uuid::new_v4().simple());
        let admin = connect(&admin_url()).await.expect("the local PostgreSQL");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        self.0.lock().push(name.clone());
        let base = admin_url();
        let server = base
            .rsplit_once('/')
            .map_or(base.as_str(), |(server, _)| server);
        format!("{server}/{name}")
    }

    async fn drop_all(&self) {
        let admin = connect(&admin_url()).await.unwrap();
        let names = std::mem::take(&mut *self.0.lock());
        for name in names {
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            admin.batch_execute(&sql).await.unwrap();
        }
    }
}

#[tokio::test]
async fn the_conformance_suite_passes_on_postgres() {
    let databases = Databases::default();
    let made = databases.clone();
    conformance::run(move || {
        let made = made.clone();
        Box::pin(async move {
            let url = made.create().await;
            let open: conformance::Open = Box::new(move || {
                let url = url.clone();
                Box::pin(async move {
                    Arc::new(PostgresStore::connect(&url).await.unwrap()) as Arc<dyn AppStore>
                })
            });
            open
        })
    })
    .await;
    databases.drop_all().await;
}

#[tokio::test]
async fn a_write_on_one_node_wakes_the_others_at_once() {
    let databases = Databases::default();
    let url = databases.create().await;
    let (writer, reader) = (
        PostgresStore::connect(&url).await.unwrap(),
        PostgresStore::connect(&url).await.unwrap(),
    );
    // The wake that follows LISTEN says "catch up"; take it, then wait for the write's own.
    tokio::time::timeout(Duration::from_secs(5), reader.changed())
        .await
        .expect("listening");
    let waiting = tokio::spawn(async move {
        reader.changed().await;
        reader
    });
    writer
        .create(&App::generate(AppId::parse("5").unwrap()))
        .await
        .unwrap();
    let reader = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("NOTIFY reached the other handle")
        .unwrap();
    assert_eq!(reader.list().await.unwrap().len(), 1);
    drop((writer, reader));
    databases.drop_all().await;
}

#[tokio::test]
async fn nodes_starting_together_migrate_once() {
    let databases = Databases::default();
    let url = databases.create().await;
    let starts = (0..3).map(|_| PostgresStore::connect(&url));
    let stores = futures_util::future::join_all(starts).await;
    assert!(stores.iter().all(Result::is_ok));
    let client = connect(&url).await.unwrap();
    let row = client
        .query_one("SELECT count(*) FROM lattestream_migrations", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0) as usize, MIGRATIONS.len());
    drop(stores);
    databases.drop_all().await;
}
