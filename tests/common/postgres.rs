//! A database of its own on the local PostgreSQL (`LATTESTREAM_TEST_POSTGRES`, by default
//! `postgres://postgres@127.0.0.1:5432/postgres`), created for one test and dropped by it.

use tokio_postgres::NoTls;

/// One test's database.
pub struct TestDatabase {
    /// Its name.
    pub name: String,
    /// A URL to it, as `database_url` takes it.
    pub url: String,
}

fn server_url() -> String {
    std::env::var("LATTESTREAM_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Runs one statement on the server's maintenance database.
async fn on_server(sql: &str) {
    let (client, connection) = tokio_postgres::connect(&server_url(), NoTls)
        .await
        .expect("the local PostgreSQL at 127.0.0.1:5432");
    tokio::spawn(connection);
    client.batch_execute(sql).await.expect(sql);
}

impl TestDatabase {
    /// A new, empty database.
    pub async fn create() -> Self {
        let name = format!("ls_it_{}", uuid_simple());
        on_server(&format!("CREATE DATABASE {name}")).await;
        let server = server_url();
        let base = server
            .rsplit_once('/')
            .map_or(server.as_str(), |(base, _)| base);
        let url = format!("{base}/{name}");
        Self { name, url }
    }

    /// Drops it, closing whatever is still connected.
    pub async fn drop_now(&self) {
        on_server(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .await;
    }
}

fn uuid_simple() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}_{nanos}", std::process::id())
}
