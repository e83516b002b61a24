//! The `lattestream` binary: command line → config → tracing → bind → serve until a signal.

mod allocator;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use lattestream::admin::cli::AppsCommand;
use lattestream::config::{Config, LogFormat, Overrides};
use lattestream::webhooks::cli::WebhooksCommand;
use tokio::net::TcpListener;

/// A self-hostable realtime messaging server (LatteStream and Pusher protocols).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// TOML configuration file.
    #[arg(long, env = "LATTESTREAM_CONFIG")]
    config: Option<PathBuf>,
    /// Listen address (default 127.0.0.1:6001; also LATTESTREAM_ADDR).
    #[arg(long)]
    addr: Option<SocketAddr>,
    /// Data directory for the embedded database (default ./data; also LATTESTREAM_DATA_DIR).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// App store: postgres://… for a cluster (default: SQLite in the data directory; also
    /// LATTESTREAM_DATABASE_URL).
    #[arg(long)]
    database_url: Option<String>,
    /// Redis shared by a cluster's nodes, redis://[:PASSWORD@]HOST:PORT (default: none, one node on
    /// its own; also LATTESTREAM_REDIS_URL).
    #[arg(long)]
    redis_url: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve (the default).
    Serve,
    /// Manage apps: list (the default), create, show, set, rotate, delete.
    Apps {
        #[command(subcommand)]
        command: Option<AppsCommand>,
    },
    /// List, replay or discard webhook dead letters.
    Webhooks {
        #[command(subcommand)]
        command: WebhooksCommand,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = Overrides {
        addr: cli.addr,
        data_dir: cli.data_dir.clone(),
        database_url: cli.database_url.clone(),
        redis_url: cli.redis_url.clone(),
    };
    let config = match Config::load(cli.config.as_deref(), overrides) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("lattestream: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(config.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_park(lattestream::shrink::on_thread_park)
        .build()
        .expect("tokio runtime");
    let result = match cli.command {
        Some(Command::Apps { command }) => runtime
            .block_on(lattestream::admin::cli::run(&config, command))
            .map_err(Into::into),
        Some(Command::Webhooks { command }) => runtime
            .block_on(lattestream::webhooks::cli::run(&config, command))
            .map_err(Into::into),
        Some(Command::Serve) | None => runtime.block_on(serve(config)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("lattestream: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LATTESTREAM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only on a terminal: a log file or a collector gets plain text.
    let colours = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colours)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let node = lattestream::start(&config).await?;
    let listener = TcpListener::bind(config.addr).await?;
    let apps: Vec<String> = node
        .apps()
        .all()
        .iter()
        .map(|a| format!("{} ({})", a.id, a.key))
        .collect();
    tracing::info!(addr = %listener.local_addr()?, apps = ?apps, "LatteStream is serving");
    lattestream::serve(
        listener,
        node,
        &config,
        shutdown_signal(),
        Duration::from_secs(10),
    )
    .await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
