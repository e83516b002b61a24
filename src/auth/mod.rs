//! Key formats, HMAC signatures and the credentials a connection may present. Every comparison of a
//! signature is constant-time; secrets are wrapped so that they never print.

mod channel;
mod credential;
mod keys;
mod token;

pub use channel::{authorize_channel, lspc_token, verify_channel_auth};
pub use credential::{Credential, CredentialError, Grant, resolve_credential};
pub use keys::{KeyKind, Secret, generate_key, generate_secret, hmac_hex, verify_hex};
pub use token::{AccessClaims, Permission, TokenError, issue_access_token, verify_access_token};
