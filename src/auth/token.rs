//! JWT access tokens (`POST /apps/token`): HS256, signed with the app's private key, the app id in the
//! header's `kid` so the server knows which key verifies it.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::credential::{CredentialError, Grant};
use super::keys::Secret;
use crate::apps::{App, Apps};

/// The longest lifetime a token may have, in seconds (24 hours, as documented).
pub const MAX_TOKEN_LIFETIME: u64 = 86_400;

/// What a token lets its connection do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// Subscribe to channels.
    Read,
    /// Send client events.
    Write,
}

/// The claims every access token carries.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// The user the token is for (the `socket_id` field of the request).
    pub sub: String,
    /// The app id.
    pub tenant: String,
    /// What the connection may do.
    pub permissions: Vec<Permission>,
    /// Issued at, unix seconds.
    pub iat: u64,
    /// Expires at, unix seconds.
    pub exp: u64,
    /// A unique id, so a token can be told apart (and revoked later).
    pub jti: String,
    /// Always `lattestream`.
    pub iss: String,
}

/// Why a token could not be issued.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    /// `expires_in` was zero or above the maximum.
    #[error("expires_in must be between 1 and {MAX_TOKEN_LIFETIME} seconds")]
    InvalidLifetime,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Issues a token for `user` with the given permissions and lifetime.
pub fn issue_access_token(
    app: &App,
    user: &str,
    permissions: Vec<Permission>,
    expires_in: u64,
) -> Result<(String, AccessClaims), TokenError> {
    if expires_in == 0 || expires_in > MAX_TOKEN_LIFETIME {
        return Err(TokenError::InvalidLifetime);
    }
    let iat = now_secs();
    let claims = AccessClaims {
        sub: user.to_owned(),
        tenant: app.id.to_string(),
        permissions,
        iat,
        exp: iat + expires_in,
        jti: uuid::Uuid::new_v4().to_string(),
        iss: "lattestream".to_owned(),
    };
    let header = Header {
        kid: Some(app.id.to_string()),
        ..Header::new(Algorithm::HS256)
    };
    let key =
        EncodingKey::from_secret(app.secret.expose().as_bytes()).expect("HMAC keys of any length");
    let token = jsonwebtoken::encode(&header, &claims, &key).expect("HS256 encoding does not fail");
    Ok((token, claims))
}

/// Verifies an access token presented at connect and turns it into a grant.
pub fn verify_access_token(apps: &Apps, token: &str) -> Result<(Arc<App>, Grant), CredentialError> {
    let invalid = |e: jsonwebtoken::errors::Error| CredentialError::InvalidToken(e.kind_name());
    let header = jsonwebtoken::decode_header(token).map_err(|_| CredentialError::Malformed)?;
    let app_id = header.kid.ok_or(CredentialError::Malformed)?;
    let app = apps.by_id(&app_id).ok_or(CredentialError::UnknownKey)?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_issuer(&["lattestream"]);
    validation.set_required_spec_claims(&["exp", "sub", "iss"]);
    let decode = |secret: &Secret| {
        let key =
            DecodingKey::from_secret(secret.expose().as_bytes()).expect("HMAC keys of any length");
        jsonwebtoken::decode::<AccessClaims>(token, &key, &validation)
    };
    // The current key first; the previous one while a rotation's grace period runs.
    let claims = {
        let mut results = app.secrets().map(decode);
        match results.next().expect("an app has a key") {
            Ok(decoded) => decoded.claims,
            Err(e) => {
                results
                    .find_map(Result::ok)
                    .ok_or_else(|| invalid(e))?
                    .claims
            }
        }
    };
    if claims.tenant != app.id.as_str() {
        return Err(CredentialError::InvalidToken("token of another app".into()));
    }
    let has = |p| claims.permissions.contains(&p);
    let grant = Grant {
        trusted: false,
        read: has(Permission::Read),
        write: has(Permission::Write),
        user_id: Some(claims.sub),
    };
    Ok((app, grant))
}

/// A short name for a JWT failure, safe to show a client.
trait KindName {
    fn kind_name(&self) -> String;
}

impl KindName for jsonwebtoken::errors::Error {
    fn kind_name(&self) -> String {
        use jsonwebtoken::errors::ErrorKind;
        match self.kind() {
            ErrorKind::ExpiredSignature => "token expired",
            ErrorKind::InvalidSignature => "signature does not verify",
            ErrorKind::InvalidIssuer => "wrong issuer",
            _ => "token rejected",
        }
        .to_owned()
    }
}
