//! Which app store a database URL names, and opening it: no URL is the embedded SQLite file in the data
//! directory (the default, needing nothing), `postgres://…` a shared PostgreSQL database for a cluster.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{AppStore, PostgresStore, SqliteStore, StoreError};

/// A store, as named by `database_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// A SQLite file (`sqlite:PATH`, or `lattestream.db` in the data directory when no URL is given).
    Sqlite(PathBuf),
    /// A SQLite database in this process's memory (`sqlite::memory:`): apps last until the process ends.
    Memory,
    /// `postgres://…` or `postgresql://…` (any libpq URL or key=value string tokio-postgres reads).
    Postgres(String),
}

impl StoreUrl {
    /// Reads a URL; `None` is the data directory's SQLite file.
    pub fn parse(url: Option<&str>, data_dir: &Path) -> Result<Self, StoreError> {
        let Some(url) = url.map(str::trim) else {
            return Ok(Self::Sqlite(data_dir.join("lattestream.db")));
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        match url.strip_prefix("sqlite:") {
            Some(":memory:") => Ok(Self::Memory),
            Some(path) if !path.is_empty() => {
                Ok(Self::Sqlite(PathBuf::from(path.trim_start_matches("//"))))
            }
            _ => Err(StoreError::UnsupportedUrl),
        }
    }
}

/// Opens the store `url` names (creating the SQLite file's directory when needed).
pub async fn open_store(
    url: Option<&str>,
    data_dir: &Path,
) -> Result<Arc<dyn AppStore>, StoreError> {
    Ok(match StoreUrl::parse(url, data_dir)? {
        StoreUrl::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError::DataDir(dir.display().to_string(), e))?;
            }
            Arc::new(SqliteStore::open(&path)?)
        }
        StoreUrl::Memory => Arc::new(SqliteStore::in_memory()?),
        StoreUrl::Postgres(url) => Arc::new(PostgresStore::connect(&url).await?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_stores() {
        let dir = Path::new("data");
        let parse = |url| StoreUrl::parse(url, dir).unwrap();
        assert_eq!(parse(None), StoreUrl::Sqlite(dir.join("lattestream.db")));
        assert_eq!(parse(Some("sqlite::memory:")), StoreUrl::Memory);
        assert_eq!(
            parse(Some("sqlite:///var/x.db")),
            StoreUrl::Sqlite("/var/x.db".into())
        );
        assert_eq!(parse(Some("sqlite:x.db")), StoreUrl::Sqlite("x.db".into()));
        let pg = "postgres://u@h/db";
        assert_eq!(parse(Some(pg)), StoreUrl::Postgres(pg.into()));
        assert!(StoreUrl::parse(Some("mysql://h/db"), dir).is_err());
    }
}
