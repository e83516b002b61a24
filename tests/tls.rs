//! HTTPS and WSS on one port from PEM files made in the test (rcgen), driven by a real TLS client
//! (tokio-rustls) and a real WebSocket client over it; a renewed certificate is picked up without a
//! restart, and a broken renewal keeps the certificate in use.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::{KEY, PATIENCE, TestServer};
use futures_util::StreamExt;
use lattestream::tls::TlsConfig;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

/// A self-signed certificate for `localhost`, written as `cert.pem` and `key.pem` in `dir`.
fn write_certificate(dir: &Path) -> CertificateDer<'static> {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    std::fs::write(dir.join("key.pem"), made.signing_key.serialize_pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), made.cert.pem()).unwrap();
    made.cert.der().clone()
}

fn tls_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ls-tls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tls_config(dir: &Path) -> lattestream::config::Config {
    let mut config = common::test_config();
    config.tls = Some(TlsConfig {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
        reload_interval: Duration::from_millis(100),
    });
    config
}

/// A TLS client trusting only `trusted`, connected to the server as `localhost`.
async fn connect(
    server: &TestServer,
    trusted: &CertificateDer<'static>,
) -> std::io::Result<TlsStream<TcpStream>> {
    let mut roots = RootCertStore::empty();
    roots.add(trusted.clone()).unwrap();
    #[allow(deprecated)] // ring: see src/tls.rs
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(server.addr).await?;
    let name = ServerName::try_from("localhost").unwrap();
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
}

/// One HTTP/1.1 request over TLS; the whole answer as text.
async fn https(server: &TestServer, trusted: &CertificateDer<'static>, request: &str) -> String {
    let mut tls = connect(server, trusted).await.expect("TLS handshake");
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(PATIENCE, tls.read_to_end(&mut answer))
        .await
        .expect("an answer");
    String::from_utf8_lossy(&answer).into_owned()
}

fn post_event(channel: &str) -> String {
    let body = format!(r#"{{"channels":["{channel}"],"event":"secure","data":{{"over":"tls"}}}}"#);
    format!(
        "POST /events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        common::SECRET,
        body.len()
    )
}

#[tokio::test]
async fn https_and_wss_share_the_port_and_a_renewed_certificate_is_used_without_a_restart() {
    let dir = tls_dir();
    let first = write_certificate(&dir);
    let server = TestServer::with_config(tls_config(&dir)).await;

    let health = https(
        &server,
        &first,
        "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains(r#""status":"ok""#));

    let tls = connect(&server, &first).await.unwrap();
    let url = format!("wss://localhost/app/{KEY}?protocol=7");
    let (mut ws, _) = tokio_tungstenite::client_async(url, tls)
        .await
        .expect("WSS handshake");
    let greeting = next_text(&mut ws).await;
    assert!(
        greeting.contains("pusher:connection_established"),
        "{greeting}"
    );
    let subscribe = r#"{"event":"pusher:subscribe","data":{"channel":"vault"}}"#;
    futures_util::SinkExt::send(&mut ws, subscribe.into())
        .await
        .unwrap();
    assert!(next_text(&mut ws).await.contains("subscription_succeeded"));
    let published = https(&server, &first, &post_event("vault")).await;
    assert!(published.starts_with("HTTP/1.1 200"), "{published}");
    assert!(next_text(&mut ws).await.contains(r#""event":"secure""#));

    let renewed = write_certificate(&dir);
    common::eventually(|| async { connect(&server, &renewed).await.is_ok() }).await;
    assert!(
        connect(&server, &first).await.is_err(),
        "the old certificate is no longer presented"
    );
    https(&server, &renewed, &post_event("vault")).await;
    assert!(
        next_text(&mut ws).await.contains(r#""event":"secure""#),
        "open connections go on"
    );

    std::fs::write(dir.join("cert.pem"), "not a certificate").unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await; // several reload ticks; none may take it
    assert!(
        connect(&server, &renewed).await.is_ok(),
        "a broken renewal keeps the pair in use"
    );
    server.shutdown().await;
    std::fs::remove_dir_all(dir).unwrap();
}

async fn next_text<S>(ws: &mut tokio_tungstenite::WebSocketStream<S>) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        let message = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("a frame in time");
        match message {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) => {
                return text.to_string();
            }
            Some(Ok(_)) => continue,
            other => panic!("connection ended: {other:?}"),
        }
    }
}

#[tokio::test]
async fn plain_http_on_the_tls_port_is_refused_and_missing_files_stop_the_start() {
    let dir = tls_dir();
    write_certificate(&dir);
    let server = TestServer::with_config(tls_config(&dir)).await;
    let plain = reqwest::get(server.url("/health")).await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    server.shutdown().await;

    std::fs::remove_file(dir.join("key.pem")).unwrap();
    let config = tls_config(&dir);
    let node = lattestream::start(&config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let served = lattestream::serve(listener, node, &config, async {}, Duration::ZERO).await;
    let error = served.expect_err("no key, no server");
    assert!(error.to_string().contains("key.pem"), "{error}");
    std::fs::remove_dir_all(dir).unwrap();
}
