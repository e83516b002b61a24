//! `lattestream apps …`: app management from the command line, on the store the configuration names
//! (the data directory's SQLite file, or `--database-url`). A running server sees each change within
//! its `store_poll_interval` (at once with PostgreSQL). Keys go to standard output only.

use std::time::Duration;

use clap::Subcommand;

use super::{AdminError, AppAdmin, AppView};
use crate::apps::{AppSettings, SettingError, open_store, set_setting};
use crate::config::Config;
use crate::protocol::AppId;

/// What `lattestream apps` does (with no further word: `list`).
#[derive(Debug, Subcommand)]
pub enum AppsCommand {
    /// Print every app with its keys: `id=… key=… secret=…`, one per line.
    List,
    /// Create an app with new keys and print them; settings may be given as PATH=VALUE.
    Create {
        /// The id (digits); a random free one when omitted.
        #[arg(long)]
        id: Option<String>,
        /// Settings to change from the defaults, e.g. `client_events=true`.
        settings: Vec<String>,
    },
    /// Print one app as JSON: keys, source and every setting.
    Show {
        /// The app's id.
        id: String,
    },
    /// Change settings: `rate_limits.events.per_minute=100`, `client_events=true`, JSON for lists.
    Set {
        /// The app's id.
        id: String,
        /// One or more PATH=VALUE.
        #[arg(required = true)]
        settings: Vec<String>,
    },
    /// Issue a new private key; the old one stays valid for the grace period, then stops working.
    Rotate {
        /// The app's id.
        id: String,
        /// How long the old key stays valid (`0s`: not at all); default: the app's `key_rotation_grace`.
        #[arg(long, value_parser = humantime_serde::re::humantime::parse_duration)]
        grace: Option<Duration>,
    },
    /// Delete an app; running servers close its connections.
    Delete {
        /// The app's id.
        id: String,
    },
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The operation was refused.
    #[error(transparent)]
    Admin(#[from] AdminError),
    /// The store could not be opened.
    #[error("app store: {0}")]
    Store(#[from] crate::apps::StoreError),
    /// An argument is malformed.
    #[error("{0}")]
    Usage(String),
}

/// Runs one command against the configured store, printing its result.
pub async fn run(config: &Config, command: Option<AppsCommand>) -> Result<(), CliError> {
    let url = config.database_url.as_ref().map(|u| u.expose());
    let store = open_store(url, &config.data_dir).await?;
    let admin = AppAdmin::new(store, config.apps.clone(), None);
    match command.unwrap_or(AppsCommand::List) {
        AppsCommand::List => admin.list().await?.iter().for_each(print_keys),
        AppsCommand::Create { id, settings } => {
            let id = id.map(|id| parse_id(&id)).transpose()?;
            let pairs = parse_pairs(&settings)?;
            print_keys(&admin.create(id, |s| apply(s, &pairs)).await?);
        }
        AppsCommand::Show { id } => print_json(&admin.show(&parse_id(&id)?).await?),
        AppsCommand::Set { id, settings } => {
            let pairs = parse_pairs(&settings)?;
            let app = admin.change(&parse_id(&id)?, |s| apply(s, &pairs)).await?;
            print_json(&app.settings);
        }
        AppsCommand::Rotate { id, grace } => {
            let app = admin.rotate(&parse_id(&id)?, grace).await?;
            print_keys(&app);
            if let Some(until) = app.previous_secret_valid_until {
                let until = std::time::UNIX_EPOCH + Duration::from_secs(until);
                let until = humantime_serde::re::humantime::format_rfc3339_seconds(until);
                println!("the previous secret is accepted until {until}");
            }
        }
        AppsCommand::Delete { id } => {
            admin.delete(&parse_id(&id)?).await?;
            println!("deleted app {id}");
        }
    }
    Ok(())
}

fn parse_id(raw: &str) -> Result<AppId, CliError> {
    AppId::parse(raw).ok_or_else(|| CliError::Usage(format!("app id {raw:?}: digits expected")))
}

/// `PATH=VALUE` arguments, split at the first `=`.
fn parse_pairs(args: &[String]) -> Result<Vec<(String, String)>, CliError> {
    args.iter()
        .map(|arg| match arg.split_once('=') {
            Some((path, value)) if !path.trim().is_empty() => {
                Ok((path.trim().to_owned(), value.to_owned()))
            }
            _ => Err(CliError::Usage(format!("{arg:?}: expected PATH=VALUE"))),
        })
        .collect()
}

fn apply(settings: &AppSettings, pairs: &[(String, String)]) -> Result<AppSettings, SettingError> {
    pairs.iter().try_fold(settings.clone(), |s, (path, value)| {
        set_setting(&s, path, value)
    })
}

fn print_keys(app: &AppView) {
    println!("id={} key={} secret={}", app.id, app.key, app.secret);
}

fn print_json(value: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("serialises")
    );
}
