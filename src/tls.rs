//! HTTPS and WSS in process, from PEM files: `tls.cert` (the chain) and `tls.key`. The files are read
//! again every `tls.reload_interval` and a changed pair is used for new connections from then on, so a
//! renewed certificate needs no restart (a pair that fails to load is logged and the old one kept).
//!
//! WebSocket sessions write straight to their TCP socket (see `ws::socket`), so TLS is terminated in
//! front of them: each TLS connection is handshaken here, then its plain bytes are relayed over a
//! loopback connection to the node's own plain listener, which admits only the relays this module
//! opened. A TLS connection therefore costs a relay task, two small buffers and a loopback socket pair
//! beyond a plain one; for the largest fan-outs, terminate TLS at a load balancer instead.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, ServerConfig};

/// How long a client has to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Relay buffer, each way, per connection.
const RELAY_BUFFER: usize = 4096;

/// The `[tls]` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file with the certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM file with the private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// How often the files are checked for a renewed pair.
    #[serde(default = "default_reload_interval", with = "humantime_serde")]
    pub reload_interval: Duration,
}

fn default_reload_interval() -> Duration {
    Duration::from_secs(10)
}

/// Why a certificate pair could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("tls: cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// A file holds no PEM item of the expected kind, or a malformed one.
    #[error("tls: {0}: {1}")]
    Pem(PathBuf, String),
    /// rustls refused the pair (a key that does not match the certificate, say).
    #[error("tls: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The certificate pair in use, replaced when the files change.
pub struct Certificates {
    files: TlsConfig,
    current: RwLock<Arc<ServerConfig>>,
    /// The bytes last loaded, to tell a change.
    loaded: Mutex<(Vec<u8>, Vec<u8>)>,
}

impl Certificates {
    /// Loads the pair the config names.
    pub fn load(files: &TlsConfig) -> Result<Self, TlsError> {
        let bytes = read_pair(files)?;
        let config = server_config(files, &bytes)?;
        Ok(Self {
            files: files.clone(),
            current: RwLock::new(Arc::new(config)),
            loaded: Mutex::new(bytes),
        })
    }

    /// An acceptor with the pair in use now.
    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.current.read().clone())
    }

    /// Reads the files again and switches to them if they changed; true when it switched.
    pub fn reload(&self) -> Result<bool, TlsError> {
        let bytes = read_pair(&self.files)?;
        if *self.loaded.lock() == bytes {
            return Ok(false);
        }
        let config = server_config(&self.files, &bytes)?;
        *self.current.write() = Arc::new(config);
        *self.loaded.lock() = bytes;
        Ok(true)
    }

    /// Reloads every `reload_interval` until `stopping` fires.
    pub async fn watch(self: Arc<Self>, mut stopping: tokio::sync::watch::Receiver<()>) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.files.reload_interval) => {}
                _ = stopping.changed() => return,
            }
            match self.reload() {
                Ok(true) => {
                    tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded")
                }
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(%error, "TLS certificate not reloaded; keeping the current one")
                }
            }
        }
    }
}

fn read_pair(files: &TlsConfig) -> Result<(Vec<u8>, Vec<u8>), TlsError> {
    let read = |path: &Path| std::fs::read(path).map_err(|e| TlsError::Read(path.to_owned(), e));
    Ok((read(&files.cert)?, read(&files.key)?))
}

fn server_config(
    files: &TlsConfig,
    (cert, key): &(Vec<u8>, Vec<u8>),
) -> Result<ServerConfig, TlsError> {
    let pem = |path: &Path, e: rustls_pki_types::pem::Error| {
        TlsError::Pem(path.to_owned(), e.to_string())
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert)
        .collect::<Result<_, _>>()
        .map_err(|e| pem(&files.cert, e))?;
    if chain.is_empty() {
        return Err(TlsError::Pem(
            files.cert.clone(),
            "no certificate found".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| pem(&files.key, e))?;
    // ring builds with a C compiler alone (aws-lc-rs wants more of the build machine); it lacks only
    // the post-quantum key exchange, for which rustls 0.23.48 marks it deprecated.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The loopback addresses of the relays this node opened, each with the address of the client it
/// carries: the only peers its plain listener admits while TLS is on, and who they stand for (so
/// per-address limits count clients, not the relay).
#[derive(Default)]
pub struct Relays(Mutex<HashMap<SocketAddr, SocketAddr>>);

impl Relays {
    /// The client behind `peer`, if `peer` is one of our relays.
    pub fn client_of(&self, peer: &SocketAddr) -> Option<SocketAddr> {
        self.0.lock().get(peer).copied()
    }
}

/// Accepts TLS connections on `listener` and relays each to the plain listener at `plain`, until
/// `stopping` fires.
pub async fn front(
    listener: TcpListener,
    certificates: Arc<Certificates>,
    plain: SocketAddr,
    relays: Arc<Relays>,
    mut stopping: tokio::sync::watch::Receiver<()>,
) {
    loop {
        let tcp = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(error) => {
                    tracing::debug!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            _ = stopping.changed() => return,
        };
        let acceptor = certificates.acceptor();
        tokio::spawn(relay(tcp, acceptor, plain, relays.clone()));
    }
}

/// Handshakes one client and relays its bytes both ways until either side closes.
async fn relay(tcp: TcpStream, acceptor: TlsAcceptor, plain: SocketAddr, relays: Arc<Relays>) {
    let _ = tcp.set_nodelay(true);
    let Ok(client) = tcp.peer_addr() else {
        return;
    };
    let mut tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(error)) => return tracing::debug!(%error, "TLS handshake failed"),
        Err(_) => return tracing::debug!("TLS handshake timed out"),
    };
    let (mut upstream, local) = match connect_relay(plain, client, &relays).await {
        Ok(found) => found,
        Err(error) => return tracing::warn!(%error, "cannot reach the plain listener"),
    };
    let _ = tokio::io::copy_bidirectional_with_sizes(
        &mut tls,
        &mut upstream,
        RELAY_BUFFER,
        RELAY_BUFFER,
    )
    .await;
    relays.0.lock().remove(&local);
}

/// Connects to the plain listener from a port registered as a relay before the connection exists, so
/// the listener never sees it unregistered.
async fn connect_relay(
    plain: SocketAddr,
    client: SocketAddr,
    relays: &Relays,
) -> std::io::Result<(TcpStream, SocketAddr)> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    socket.set_nodelay(true)?;
    let local = socket.local_addr()?;
    relays.0.lock().insert(local, client);
    match socket.connect(plain).await {
        Ok(stream) => Ok((stream, local)),
        Err(error) => {
            relays.0.lock().remove(&local);
            Err(error)
        }
    }
}
