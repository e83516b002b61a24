//! The first moments of a connection: find the app and the grant, refuse with the protocol's close code,
//! or register the connection and hand it to its session.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::time::timeout;

use super::session::{Session, close_for_violation};
use super::socket::{ReadError, Socket};
use crate::apps::App;
use crate::auth::{
    CredentialError, DiscoveryError, Grant, resolve_credential, verify_discovery_token,
};
use crate::hub::Connection;
use crate::node::Node;
use crate::protocol::{self, ClientMessage, CloseCode, Dialect, ServerMessage};

/// Pusher: the app comes from the URL's key; clients must name protocol 7 (5 and 6 are compatible).
pub async fn pusher(mut socket: Socket, node: Arc<Node>, key: String, protocol: Option<String>) {
    let refuse = match protocol.as_deref().map(str::parse::<u8>) {
        None => Some(CloseCode::NoProtocolVersion),
        Some(Ok(5..=7)) => None,
        Some(_) => Some(CloseCode::UnsupportedProtocol),
    };
    if let Some(code) = refuse {
        return close_with(&mut socket, Dialect::Pusher, code).await;
    }
    match node.apps().by_key(&key) {
        Some(app) => establish(socket, node, app, Grant::public(), Dialect::Pusher).await,
        None => close_with(&mut socket, Dialect::Pusher, CloseCode::AppNotFound).await,
    }
}

/// LatteStream: the first frame carries the credential, within the handshake timeout.
pub async fn lattestream(mut socket: Socket, node: Arc<Node>, discovery: Option<String>) {
    let wait = node.ws_config().handshake_timeout;
    let first = match timeout(wait, socket.first_message()).await {
        Ok(Ok(Some(text))) => text,
        Ok(Ok(None)) if socket.close_received() => return answer_close(&mut socket).await,
        Ok(Ok(None)) | Err(_) => {
            return close_with(&mut socket, Dialect::LatteStream, CloseCode::Unauthorized).await;
        }
        Ok(Err(ReadError::Violation(violation))) => {
            return close_for_violation(&mut socket, violation).await;
        }
        Ok(Err(ReadError::Gone)) => return,
    };
    let credential = match protocol::decode(Dialect::LatteStream, &first) {
        Ok(ClientMessage::Connect { api_key }) => resolve_credential(node.apps(), &api_key),
        _ => Err(CredentialError::Malformed),
    };
    match credential {
        Ok((app, grant)) => match discovery.map(|t| check_discovery(&app, &t)) {
            Some(Err(e)) => refuse_credential(&mut socket, e).await,
            _ => establish(socket, node, app, grant, Dialect::LatteStream).await,
        },
        Err(CredentialError::UnknownKey) => {
            close_with(&mut socket, Dialect::LatteStream, CloseCode::AppNotFound).await
        }
        Err(e) => refuse_credential(&mut socket, e).await,
    }
}

/// The client closed before its credential: its close is echoed, and nothing else is sent (RFC 6455
/// §5.5.1: no frame after the close).
async fn answer_close(socket: &mut Socket) {
    let _ = timeout(std::time::Duration::from_secs(1), socket.send(&[])).await;
}

/// A `?discovery_token=` must be valid, unexpired and of the credential's app.
fn check_discovery(app: &App, token: &str) -> Result<(), DiscoveryError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    verify_discovery_token(app, token, now)
}

async fn refuse_credential(socket: &mut Socket, error: impl std::fmt::Display) {
    tracing::debug!(reason = %error, "refused a connection's credential");
    let message = format!("{}: {error}", CloseCode::Unauthorized.reason());
    send_close(
        socket,
        Dialect::LatteStream,
        CloseCode::Unauthorized,
        &message,
    )
    .await;
}

/// Registers the connection, greets it, and starts its session.
async fn establish(
    mut socket: Socket,
    node: Arc<Node>,
    app: Arc<App>,
    grant: Grant,
    dialect: Dialect,
) {
    let ws = node.ws_config();
    let conn = Arc::new(Connection::new(
        node.next_socket_id(),
        app.id.clone(),
        dialect,
        ws.send_queue,
        node.metrics().clone(),
    ));
    if let Some(user) = &grant.user_id {
        conn.set_user_id(user);
    }
    if node.connect(&app, &conn).await.is_err() {
        return close_with(&mut socket, dialect, CloseCode::OverConnectionQuota).await;
    }
    node.metrics().connection_opened();
    let activity_timeout = ws.activity_timeout.as_secs();
    conn.send(&ServerMessage::ConnectionEstablished {
        socket_id: conn.socket_id,
        activity_timeout,
    });
    // The session gets a task of its own, sized for the session alone: the handshake's larger state
    // ends with this task instead of being carried by every idle connection.
    tokio::spawn(Session::new(node, app, conn, grant).run(socket));
}

/// Sends the error frame for `code` and closes with it.
pub async fn close_with(socket: &mut Socket, dialect: Dialect, code: CloseCode) {
    send_close(socket, dialect, code, code.reason()).await;
}

async fn send_close(socket: &mut Socket, dialect: Dialect, code: CloseCode, message: &str) {
    let frame = protocol::encode(
        dialect,
        &ServerMessage::Error {
            code: Some(code.code()),
            message,
        },
    );
    let refusal = async {
        socket.send_text(frame).await?;
        socket.close(code.code(), code.reason()).await?;
        socket.discard_input().await;
        std::io::Result::Ok(())
    };
    let _ = timeout(std::time::Duration::from_secs(1), refusal).await;
}
