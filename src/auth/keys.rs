//! App keys (`lspk_…` public, `lsk_…` private), the masked [`Secret`], and HMAC-SHA256 helpers.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Prefix of an app's public key, safe to ship to browsers.
pub const PUBLIC_PREFIX: &str = "lspk_";
/// Prefix of an app's private key, for servers only.
pub const PRIVATE_PREFIX: &str = "lsk_";

/// What a key's prefix says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// `lspk_…`
    Public,
    /// `lsk_…`
    Private,
    /// `lspc_…`, a channel token.
    ChannelToken,
    /// Anything else (an access token is tried as a JWT).
    Other,
}

impl KeyKind {
    /// Classifies a credential by its prefix.
    pub fn of(raw: &str) -> Self {
        if raw.starts_with(PUBLIC_PREFIX) {
            Self::Public
        } else if raw.starts_with(PRIVATE_PREFIX) {
            Self::Private
        } else if raw.starts_with("lspc_") {
            Self::ChannelToken
        } else {
            Self::Other
        }
    }
}

/// A private key. Its `Debug` and `Display` print a mask, so it cannot leak through a log line.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a private key.
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    /// The key itself, for signing and for persisting; never for logs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("lsk_****")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("lsk_****")
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// A new random public key.
pub fn generate_key() -> String {
    format!("{PUBLIC_PREFIX}{}", random_hex(16))
}

/// A new random private key.
pub fn generate_secret() -> Secret {
    Secret(format!("{PRIVATE_PREFIX}{}", random_hex(24)))
}

/// Raw HMAC-SHA256 of `message` keyed with `key`.
pub fn hmac_bytes(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Hex HMAC-SHA256 of `message` keyed with `secret`: the signature Pusher and our SDKs compute.
pub fn hmac_hex(secret: &Secret, message: &str) -> String {
    hex::encode(hmac_bytes(secret.expose().as_bytes(), message.as_bytes()))
}

/// Checks a hex signature in constant time (case-insensitive hex, as some SDKs upper-case it).
pub fn verify_hex(secret: &Secret, message: &str, signature: &str) -> bool {
    let expected = hmac_bytes(secret.expose().as_bytes(), message.as_bytes());
    match hex::decode(signature) {
        Ok(given) => given.ct_eq(&expected).into(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = generate_secret();
        assert!(s.expose().starts_with("lsk_"));
        assert!(!format!("{s:?} {s}").contains(&s.expose()[4..]));
    }

    #[test]
    fn hex_signatures_verify_and_reject() {
        let s = Secret::new("lsk_test");
        let sig = hmac_hex(&s, "1.2:private-a");
        assert!(verify_hex(&s, "1.2:private-a", &sig));
        assert!(verify_hex(&s, "1.2:private-a", &sig.to_uppercase()));
        assert!(!verify_hex(&s, "1.3:private-a", &sig));
        assert!(!verify_hex(&s, "1.2:private-a", "zz"));
        assert!(!verify_hex(
            &Secret::new("lsk_other"),
            "1.2:private-a",
            &sig
        ));
    }

    #[test]
    fn key_kinds_follow_prefixes() {
        assert_eq!(KeyKind::of(&generate_key()), KeyKind::Public);
        assert_eq!(KeyKind::of("lsk_x"), KeyKind::Private);
        assert_eq!(KeyKind::of("lspc_v1.1.x"), KeyKind::ChannelToken);
        assert_eq!(KeyKind::of("eyJ..."), KeyKind::Other);
    }
}
