//! The HTTP side of opening a WebSocket: check the upgrade request, answer 101, and once hyper hands the
//! connection over, take back the TCP stream itself so the session runs on [`Socket`] with no layers
//! between it and the kernel.

use std::future::Future;

use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::runtime::Handle;

use super::socket::Socket;

/// A valid WebSocket upgrade request, ready to be accepted.
pub struct Upgrade {
    on_upgrade: OnUpgrade,
    accept: HeaderValue,
}

/// The request is not a WebSocket upgrade (a plain GET, or one missing what RFC 6455 requires).
#[derive(Debug)]
pub struct NotUpgrade;

impl IntoResponse for NotUpgrade {
    fn into_response(self) -> Response {
        (StatusCode::UPGRADE_REQUIRED, "expected a WebSocket upgrade").into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Upgrade {
    type Rejection = NotUpgrade;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, NotUpgrade> {
        if parts.method != Method::GET || !is_upgrade(&parts.headers) {
            return Err(NotUpgrade);
        }
        let key = parts
            .headers
            .get(header::SEC_WEBSOCKET_KEY)
            .ok_or(NotUpgrade)?;
        let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
        let accept = HeaderValue::from_str(&accept).map_err(|_| NotUpgrade)?;
        let on_upgrade = parts.extensions.remove::<OnUpgrade>().ok_or(NotUpgrade)?;
        Ok(Self { on_upgrade, accept })
    }
}

/// `Connection: upgrade`, `Upgrade: websocket` and `Sec-WebSocket-Version: 13`.
fn is_upgrade(headers: &HeaderMap) -> bool {
    let has = |name, wanted: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(wanted)))
        })
    };
    has(header::CONNECTION, "upgrade")
        && has(header::UPGRADE, "websocket")
        && has(header::SEC_WEBSOCKET_VERSION, "13")
}

/// Registers the stream with the current runtime's reactor (the sessions'), so its readiness is
/// noticed by the workers that serve it rather than by the HTTP thread that accepted it.
fn rehome(stream: TcpStream) -> std::io::Result<TcpStream> {
    TcpStream::from_std(stream.into_std()?)
}

impl Upgrade {
    /// Answers 101 and runs `session` on the socket, on the `sessions` runtime, once the client has
    /// it; frames and messages larger than `max_message` bytes are refused with 1009.
    pub fn on_upgrade<F, Fut>(self, sessions: &Handle, max_message: usize, session: F) -> Response
    where
        F: FnOnce(Socket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let on_upgrade = self.on_upgrade;
        sessions.spawn(async move {
            let Ok(upgraded) = on_upgrade.await else {
                return;
            };
            let Ok(parts) = upgraded.downcast::<TokioIo<TcpStream>>() else {
                tracing::warn!("upgraded connection is not a plain TCP stream; dropped");
                return;
            };
            match rehome(parts.io.into_inner()) {
                Ok(stream) => session(Socket::new(stream, &parts.read_buf, max_message)).await,
                Err(error) => tracing::debug!(%error, "could not move an upgraded socket"),
            }
        });
        let headers = [
            (header::CONNECTION, HeaderValue::from_static("upgrade")),
            (header::UPGRADE, HeaderValue::from_static("websocket")),
            (header::SEC_WEBSOCKET_ACCEPT, self.accept),
        ];
        (StatusCode::SWITCHING_PROTOCOLS, headers).into_response()
    }
}
