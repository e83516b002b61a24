//! LatteStream: a realtime messaging server. Servers push events to channels over a REST API; browsers,
//! phones and backends hold a WebSocket (LatteStream dialect or Pusher protocol 7) and receive them.
//!
//! The map:
//! - [`protocol`]: wire types of both dialects, codes, the codecs.
//! - [`auth`]: key formats, channel signatures, access tokens.
//! - [`apps`]: tenants, their settings, the embedded store.
//! - [`hub`]: local sockets, subscriptions, presence rosters, fan-out through each channel's bounded
//!   shared log.
//! - [`node`]: the core the handlers call.
//! - [`http`]: the REST API, the router and the threads HTTP runs on; `ws`: the WebSocket endpoints
//!   and sessions.
//! - [`ratelimit`]: REST rate limits per app and endpoint, behind a small trait.
//! - [`config`]: the typed configuration tree.
//!
//! [`start`] builds a node from a config; [`serve`] runs it on a listener until shutdown. `main` and the
//! integration tests use the same two calls.

pub mod apps;
pub mod auth;
pub mod config;
pub mod events;
pub mod http;
pub mod hub;
pub mod metrics;
pub mod node;
pub mod protocol;
pub mod ratelimit;
pub mod webhooks;
mod ws;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tracing::instrument::WithSubscriber;

use apps::{App, AppError, AppStore, Apps, SqliteStore};
use config::Config;
use http::HttpThreads;
use node::Node;
use protocol::{AppId, CloseCode};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The apps are invalid or the store failed.
    #[error(transparent)]
    Apps(#[from] AppError),
    /// The data directory could not be created.
    #[error("data directory {0}: {1}")]
    DataDir(String, std::io::Error),
    /// The webhook queue could not be opened or an endpoint is invalid.
    #[error(transparent)]
    Webhooks(#[from] webhooks::WebhookError),
}

/// Builds the node: apps from the config, or from the embedded store (creating the first app there).
pub async fn start(config: &Config) -> Result<Arc<Node>, StartError> {
    let apps = if config.apps.is_empty() {
        stored_apps(config).await?
    } else {
        config.apps.clone()
    };
    let apps = Arc::new(Apps::new(apps)?);
    let node = Node::new(apps.clone(), config.websocket.clone())
        .with_discovery(config.discovery.clone(), config.addr);
    Ok(Arc::new(match webhooks::start_for(config, apps).await? {
        Some(webhooks) => node.with_webhooks(webhooks),
        None => node,
    }))
}

/// The embedded store's apps; on first start, a new app is created, stored and announced once.
async fn stored_apps(config: &Config) -> Result<Vec<App>, StartError> {
    let store = open_store(config)?;
    let mut apps = store.list().await.map_err(AppError::from)?;
    if apps.is_empty() {
        let id =
            AppId::parse(&(100_000 + rand::random::<u32>() % 900_000).to_string()).expect("digits");
        let app = App::generate(id);
        store.put(&app).await.map_err(AppError::from)?;
        announce(&app);
        apps.push(app);
    }
    Ok(apps)
}

/// Opens `lattestream.db` in the data directory.
pub fn open_store(config: &Config) -> Result<SqliteStore, StartError> {
    let dir = &config.data_dir;
    std::fs::create_dir_all(dir).map_err(|e| StartError::DataDir(dir.display().to_string(), e))?;
    Ok(SqliteStore::open(&dir.join("lattestream.db")).map_err(AppError::from)?)
}

/// Prints a newly created app's keys once, on standard output rather than the log, so log pipelines
/// never carry the private key; `lattestream apps` prints them again from the store.
fn announce(app: &App) {
    println!(
        "Created the first app (stored in the data directory; `lattestream apps` shows it again):"
    );
    println!("  LATTESTREAM_APP_ID={}", app.id);
    println!("  LATTESTREAM_APP_KEY={}", app.key);
    println!("  LATTESTREAM_APP_SECRET={}", app.secret.expose());
}

/// Serves HTTP and WebSocket on `listener` until `shutdown` resolves, then asks every client to
/// reconnect (4200) and waits up to `drain` for them to go. WebSocket sessions run on the runtime this
/// is called on; HTTP on `http.threads` threads of its own (on this runtime when 0).
pub async fn serve(
    listener: TcpListener,
    node: Arc<Node>,
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain: Duration,
) -> std::io::Result<()> {
    node.set_session_runtime(tokio::runtime::Handle::current());
    let service = http::router(node.clone(), &config.http);
    let (stop, stopped) = tokio::sync::watch::channel(());
    let http = HttpThreads::start(config.http.threads)?;
    let listener = listener.into_std()?;
    // The HTTP threads log where the caller does (a test's scoped subscriber included).
    let accepting = http.spawn(accept(listener, service, stopped).with_current_subscriber());
    shutdown.await;
    let _ = stop.send(());
    let _ = accepting.await;
    node.hub()
        .all_connections()
        .iter()
        .for_each(|c| c.close(CloseCode::ReconnectNow));
    let deadline = tokio::time::Instant::now() + drain;
    let _ = tokio::time::timeout_at(deadline, stop.closed()).await;
    while !node.hub().all_connections().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if let Some(webhooks) = node.webhooks() {
        webhooks.flush().await;
        webhooks.stop();
    }
    Ok(())
}

/// Accepts connections until `stopping` fires, serving each on the runtime this runs on.
async fn accept(
    listener: std::net::TcpListener,
    service: axum::Router,
    mut stopping: tokio::sync::watch::Receiver<()>,
) {
    let listener = match TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(error) => return tracing::error!(%error, "cannot listen"),
    };
    loop {
        let tcp = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(error) => {
                    // Out of file descriptors or a connection reset before accept: wait, do not spin.
                    tracing::debug!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = stopping.changed() => return,
        };
        let connection = serve_connection(tcp, service.clone(), stopping.clone());
        tokio::spawn(connection.with_current_subscriber());
    }
}

/// The router, with every request carrying the address of the client that sent it (for the body
/// gate's per-address bound).
fn with_peer(
    router: axum::Router,
    peer: Option<std::net::SocketAddr>,
) -> impl tower::Service<
    axum::http::Request<hyper::body::Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone {
    use tower::ServiceExt;
    router.map_request(
        move |mut request: axum::http::Request<hyper::body::Incoming>| {
            if let Some(peer) = peer {
                request.extensions_mut().insert(http::PeerAddr(peer.ip()));
            }
            request
        },
    )
}

/// Serves HTTP/1.1 on one accepted connection (WebSocket upgrades included) until it ends, or until
/// shutdown asks it to finish its current request.
async fn serve_connection(
    tcp: tokio::net::TcpStream,
    router: axum::Router,
    mut stopping: tokio::sync::watch::Receiver<()>,
) {
    if let Err(error) = tcp.set_nodelay(true) {
        tracing::debug!(%error, "could not set TCP_NODELAY");
    }
    let service = TowerToHyperService::new(with_peer(router, tcp.peer_addr().ok()));
    // A timer makes hyper's 30 s limit on reading a request's headers take effect, so a client that
    // opens a connection and sends nothing (or a header a byte at a time) cannot hold it for ever.
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(tcp), service)
        .with_upgrades();
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = stopping.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
