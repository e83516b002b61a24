//! Key formats, HMAC signatures and the credentials a connection may present. Every comparison of a
//! signature is constant-time; secrets are wrapped so that they never print.

mod channel;
mod credential;
mod discovery;
mod keys;
mod nonce;
mod request;
mod token;

pub use channel::{
    authorize_channel, connection_token, lspc_token, verify_channel_auth, verify_connection_token,
};
pub use credential::{Credential, CredentialError, Grant, resolve_credential};
pub use discovery::{
    DISCOVERY_TOKEN_LIFETIME, DiscoveryError, discovery_token, verify_discovery_token,
};
pub use keys::{KeyKind, Secret, generate_key, generate_secret, hmac_bytes, hmac_hex, verify_hex};
pub use nonce::{MemoryNonceStore, NONCE_TTL, NonceError, NonceStore, RedisNonceStore};
pub use request::{MAX_NONCE_LEN, MAX_SKEW, SignatureError, SignedRequest};
pub use token::{
    AccessClaims, MAX_TOKEN_LIFETIME, Permission, TokenError, issue_access_token,
    verify_access_token,
};
