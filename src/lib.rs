//! LatteStream: a realtime messaging server. Servers push events to channels over a REST API; browsers,
//! phones and backends hold a WebSocket (LatteStream dialect or Pusher protocol 7) and receive them.
//!
//! The map:
//! - [`protocol`]: wire types of both dialects, codes, the codecs.
//! - [`auth`]: key formats, channel signatures, access tokens.
//! - [`apps`]: tenants, their settings, the stores (embedded SQLite, PostgreSQL), live reloading.
//! - [`hub`]: local sockets, subscriptions, presence rosters, fan-out through each channel's bounded
//!   shared log.
//! - [`node`]: the core the handlers call.
//! - [`http`]: the REST API, the router and the threads HTTP runs on; `ws`: the WebSocket endpoints
//!   and sessions.
//! - [`ratelimit`]: REST rate limits per app and endpoint, behind a small trait.
//! - [`redis`]: the connection, key names and failure rule of the Redis a cluster shares.
//! - [`config`]: the typed configuration tree.
//! - [`admin`]: app management (`lattestream apps …` and `/admin/…`); [`console`]: the debug console
//!   at `/console`, fed by the node's [`debug`] stream; [`tls`]: HTTPS and WSS from PEM files.
//! - `fuzzing`: the parsers that face the network, as the fuzz targets in `fuzz/` call them (hidden).
//!
//! [`start`] builds a node from a config; [`serve`] runs it on a listener until shutdown. `main` and the
//! integration tests use the same two calls.

pub mod admin;
pub mod apps;
pub mod auth;
pub mod cluster;
pub mod config;
pub mod console;
pub mod debug;
pub mod events;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod hub;
pub mod metrics;
pub mod node;
pub mod protocol;
pub mod ratelimit;
pub mod redis;
pub mod shrink;
pub mod tls;
pub mod webhooks;
mod ws;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tracing::instrument::WithSubscriber;

use admin::AppAdmin;
use apps::{App, AppError, AppStore, Apps, Reloader, StoreError};
use config::Config;
use http::HttpThreads;
use node::Node;
use protocol::CloseCode;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration's apps are invalid, or the store failed.
    #[error(transparent)]
    Apps(#[from] AppError),
    /// The app store could not be opened or read.
    #[error("app store: {0}")]
    Store(#[from] StoreError),
    /// Redis is configured but could not be used.
    #[error(transparent)]
    Redis(#[from] self::redis::ConnectError),
    /// The node could not join the cluster on Redis.
    #[error(transparent)]
    Cluster(#[from] cluster::redis::JoinError),
    /// The webhook queue could not be opened or an endpoint is invalid.
    #[error(transparent)]
    Webhooks(#[from] webhooks::WebhookError),
}

/// Builds the node: the configuration's apps plus the store's (creating the first app when there are
/// none at all), app management, and the task that keeps the apps in step with the store.
pub async fn start(config: &Config) -> Result<Arc<Node>, StartError> {
    let url = config.database_url.as_ref().map(|u| u.expose());
    let store = apps::open_store(url, &config.data_dir).await?;
    let fixed = config.apps.clone();
    let apps = Arc::new(Apps::new(fixed.clone())?);
    if fixed.is_empty() && store.list().await?.is_empty() {
        create_first_app(&*store).await?;
    }
    let (node, redis) = match config.redis.url {
        None => (Node::new(apps.clone(), config.websocket.clone()), None),
        Some(_) => clustered(apps.clone(), config).await?,
    };
    let node = Arc::new(node.with_discovery(config.discovery.clone(), config.addr));
    node.start_upkeep();
    let reloader = Reloader::new(
        store.clone(),
        fixed.clone(),
        apps.clone(),
        config.store_poll_interval,
        {
            let node = Arc::downgrade(&node);
            Box::new(move |gone| close_apps(&node, gone))
        },
    );
    let reloader = Arc::new(reloader);
    reloader.refresh().await?;
    let webhooks = match redis {
        Some(redis) => webhooks::start_clustered(config, apps, redis, node.id()).await?,
        None => webhooks::start_for(config, apps).await?,
    };
    if let Some(webhooks) = webhooks {
        node.set_webhooks(webhooks);
    }
    let admin = AppAdmin::new(store, fixed, config.admin_token.clone());
    node.set_admin(Arc::new(admin.with_reloader(reloader.clone())));
    let alive = Arc::downgrade(&node);
    tokio::spawn(reloader.run(move || alive.strong_count() > 0));
    Ok(node)
}

/// A node that is a member of the cluster on `redis.url`: its fan-out, presence, counts, cache, rate
/// limits and signed-request nonces are the cluster's, kept in Redis. A Redis that does not answer
/// stops the start: a node never goes on alone when it was told to share.
async fn clustered(
    apps: Arc<Apps>,
    config: &Config,
) -> Result<(Node, Option<self::redis::Redis>), StartError> {
    let mut shared = None;
    let slot = &mut shared;
    let settings = &config.redis;
    let node = Node::clustered(
        apps,
        config.websocket.clone(),
        move |metrics, deliver, handle| async move {
            let redis = self::redis::Redis::connect(settings, metrics).await?;
            let presence = Arc::new(cluster::redis::RedisPresence::new(redis.clone()));
            let joined =
                cluster::redis::join(redis.clone(), settings, presence, deliver, handle).await?;
            *slot = Some(redis);
            Ok::<_, StartError>(joined)
        },
    )
    .await?;
    let redis = shared.expect("set when the node joined");
    tracing::info!(redis = %redis.url(), prefix = %settings.key_prefix, node = node.id(), "joined the cluster through Redis");
    let limiter = ratelimit::RedisRateLimiter::new(redis.clone());
    let nonces = auth::RedisNonceStore::new(redis.clone());
    let node = node
        .with_rate_limiter(Arc::new(limiter))
        .with_nonce_store(Arc::new(nonces));
    Ok((node, Some(redis)))
}

/// Closes the connections of apps that were deleted.
fn close_apps(node: &std::sync::Weak<Node>, gone: &[Arc<App>]) {
    if let Some(node) = node.upgrade() {
        for app in gone {
            tracing::info!(app = %app.id, "app deleted; closing its connections");
            let (node, id) = (node.clone(), app.id.clone());
            tokio::spawn(async move { node.close_app(&id).await });
        }
    }
}

/// On first start, a new app is created, stored and announced once.
async fn create_first_app(store: &dyn AppStore) -> Result<(), StoreError> {
    let app = App::generate(admin::random_id());
    store.create(&app).await?;
    announce(&app);
    Ok(())
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
    let (listener, relays) = match &config.tls {
        Some(files) => serve_tls(listener, files, stopped.clone()).await?,
        None => (listener, None),
    };
    let listener = listener.into_std()?;
    // The HTTP threads log where the caller does (a test's scoped subscriber included).
    let accepting =
        http.spawn(accept(listener, service, stopped, relays).with_current_subscriber());
    shutdown.await;
    let _ = stop.send(());
    let _ = accepting.await;
    node.close_all(CloseCode::ReconnectNow);
    let deadline = tokio::time::Instant::now() + drain;
    let _ = tokio::time::timeout_at(deadline, stop.closed()).await;
    while node.local_connections() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    node.leave_cluster().await;
    if let Some(webhooks) = node.webhooks() {
        webhooks.flush().await;
        webhooks.stop();
        webhooks.release_leases().await;
    }
    Ok(())
}

/// Terminates TLS on `public` (see [`tls`]) and returns the loopback listener HTTP is then served on,
/// with the relays it may admit.
async fn serve_tls(
    public: TcpListener,
    files: &tls::TlsConfig,
    stopping: tokio::sync::watch::Receiver<()>,
) -> std::io::Result<(TcpListener, Option<Arc<tls::Relays>>)> {
    let certificates = Arc::new(tls::Certificates::load(files).map_err(std::io::Error::other)?);
    let plain = TcpListener::bind(("127.0.0.1", 0)).await?;
    let relays = Arc::new(tls::Relays::default());
    let front = tls::front(
        public,
        certificates.clone(),
        plain.local_addr()?,
        relays.clone(),
        stopping.clone(),
    );
    tokio::spawn(front.with_current_subscriber());
    tokio::spawn(certificates.watch(stopping).with_current_subscriber());
    Ok((plain, Some(relays)))
}

/// Accepts connections until `stopping` fires, serving each on the runtime this runs on; behind TLS,
/// only the TLS front's relays are admitted.
async fn accept(
    listener: std::net::TcpListener,
    service: axum::Router,
    mut stopping: tokio::sync::watch::Receiver<()>,
    relays: Option<Arc<tls::Relays>>,
) {
    let listener = match TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(error) => return tracing::error!(%error, "cannot listen"),
    };
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => match &relays {
                    None => (tcp, peer),
                    // Behind TLS: the client the relay carries, and nothing that is not a relay.
                    Some(relays) => match relays.client_of(&peer) {
                        Some(client) => (tcp, client),
                        None => continue,
                    },
                },
                Err(error) => {
                    // Out of file descriptors or a connection reset before accept: wait, do not spin.
                    tracing::debug!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = stopping.changed() => return,
        };
        let connection = serve_connection(tcp, peer, service.clone(), stopping.clone());
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
    peer: std::net::SocketAddr,
    router: axum::Router,
    mut stopping: tokio::sync::watch::Receiver<()>,
) {
    if let Err(error) = tcp.set_nodelay(true) {
        tracing::debug!(%error, "could not set TCP_NODELAY");
    }
    let service = TowerToHyperService::new(with_peer(router, Some(peer)));
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
