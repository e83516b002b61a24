//! The credential a LatteStream-dialect connection presents in its first frame, and what it may do.

use std::sync::Arc;

use super::keys::KeyKind;
use crate::apps::{App, Apps};

/// What a connection may do, decided once at connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// A private-key connection (a trusted backend): may join private and presence channels unsigned.
    pub trusted: bool,
    /// May subscribe (the `read` permission).
    pub read: bool,
    /// May send client events (the `write` permission), still only where the channel allows them.
    pub write: bool,
    /// The user an access token names; `terminate_connections` for it closes this connection.
    pub user_id: Option<String>,
}

impl Grant {
    /// What a public key (or a channel token) allows: read, and write where a channel authorization
    /// admitted the connection.
    pub fn public() -> Self {
        Self {
            trusted: false,
            read: true,
            write: true,
            user_id: None,
        }
    }

    /// What a private key allows: everything.
    pub fn trusted() -> Self {
        Self {
            trusted: true,
            read: true,
            write: true,
            user_id: None,
        }
    }
}

/// Why a credential was refused; every variant closes the connection with 4009 (or 4001).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CredentialError {
    /// No app has this key.
    #[error("unknown app key")]
    UnknownKey,
    /// The credential's shape is not one we accept.
    #[error("malformed credential")]
    Malformed,
    /// A connection token whose signature does not verify.
    #[error("invalid connection token signature")]
    Forged,
    /// An access token that failed verification (forged, expired, another app's).
    #[error("invalid access token: {0}")]
    InvalidToken(String),
}

/// A credential, classified.
pub enum Credential<'a> {
    /// `lspk_…`
    PublicKey(&'a str),
    /// `lsk_…`
    PrivateKey(&'a str),
    /// `lspc_v1.APP_ID.SIG`, the app's connection token: admits like a public key.
    ChannelToken(&'a str),
    /// Anything else is tried as a JWT access token.
    AccessToken(&'a str),
}

impl<'a> Credential<'a> {
    /// Classifies a raw credential by its prefix.
    pub fn parse(raw: &'a str) -> Self {
        match KeyKind::of(raw) {
            KeyKind::Public => Self::PublicKey(raw),
            KeyKind::Private => Self::PrivateKey(raw),
            KeyKind::ChannelToken => Self::ChannelToken(raw),
            KeyKind::Other => Self::AccessToken(raw),
        }
    }
}

/// Finds the app a credential belongs to and what it grants.
pub fn resolve_credential(apps: &Apps, raw: &str) -> Result<(Arc<App>, Grant), CredentialError> {
    match Credential::parse(raw) {
        Credential::PublicKey(key) => apps
            .by_key(key)
            .map(|a| (a, Grant::public()))
            .ok_or(CredentialError::UnknownKey),
        Credential::PrivateKey(secret) => apps
            .by_secret(secret)
            .map(|a| (a, Grant::trusted()))
            .ok_or(CredentialError::UnknownKey),
        Credential::ChannelToken(token) => connection_token_app(apps, token),
        Credential::AccessToken(jwt) => super::token::verify_access_token(apps, jwt),
    }
}

/// The app whose connection token this is: `lspc_v1.APP_ID.SIG` with a signature that verifies. An
/// unknown version or a forged or empty signature is refused (4009); knowing an app's id is not enough.
fn connection_token_app(apps: &Apps, token: &str) -> Result<(Arc<App>, Grant), CredentialError> {
    let mut parts = token.split('.');
    let (Some("lspc_v1"), Some(app_id)) = (parts.next(), parts.next()) else {
        return Err(CredentialError::Malformed);
    };
    let app = apps.by_id(app_id).ok_or(CredentialError::UnknownKey)?;
    if !super::verify_connection_token(&app, token) {
        return Err(CredentialError::Forged);
    }
    Ok((app, Grant::public()))
}
