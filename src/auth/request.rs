//! Signed REST requests, as the official server SDK (`@lattestream/server`) sends them: the private key
//! raw in `Authorization`, plus `X-LatteStream-Timestamp` (unix seconds), `X-LatteStream-Nonce` and
//! `X-LatteStream-Signature` = hex HMAC-SHA256(private key,
//! `METHOD + "\n" + path-with-query + "\n" + body + timestamp + nonce`). The signature is checked in
//! constant time, the timestamp must be within [`MAX_SKEW`] of the server's clock, and a nonce may be
//! used once while its request could still be accepted ([`NonceCache`]).

use std::collections::{HashSet, VecDeque};

use parking_lot::Mutex;
use subtle::ConstantTimeEq;

use super::keys::{Secret, hmac_bytes};
use crate::protocol::AppId;

/// How far a request's timestamp may be from the server's clock, in seconds.
pub const MAX_SKEW: u64 = 600;
/// Longest nonce accepted, so the cache's memory stays bounded.
pub const MAX_NONCE_LEN: usize = 128;

/// The parts of a request that its signature covers.
pub struct SignedRequest<'a> {
    /// `GET`, `POST`…
    pub method: &'a str,
    /// The path with its query string, as sent.
    pub path_and_query: &'a str,
    /// The raw body (empty for `GET`).
    pub body: &'a [u8],
    /// `X-LatteStream-Timestamp`.
    pub timestamp: &'a str,
    /// `X-LatteStream-Nonce`.
    pub nonce: &'a str,
}

/// Why a signed request was refused; each is a 401 `INVALID_SIGNATURE`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    /// The timestamp or nonce header is missing or malformed.
    #[error("signed requests need X-LatteStream-Timestamp and X-LatteStream-Nonce")]
    MissingParts,
    /// The timestamp is more than [`MAX_SKEW`] seconds from the server's clock.
    #[error("timestamp is too far from the server's clock")]
    Stale,
    /// The signature does not verify with the app's private key.
    #[error("signature does not verify")]
    Mismatch,
    /// The nonce was used before.
    #[error("nonce already used")]
    Replayed,
}

impl SignedRequest<'_> {
    fn message(&self) -> Vec<u8> {
        let mut m = Vec::with_capacity(self.body.len() + 64);
        for part in [
            self.method.as_bytes(),
            b"\n",
            self.path_and_query.as_bytes(),
            b"\n",
        ] {
            m.extend_from_slice(part);
        }
        for part in [self.body, self.timestamp.as_bytes(), self.nonce.as_bytes()] {
            m.extend_from_slice(part);
        }
        m
    }

    /// The hex signature a holder of `secret` computes for this request.
    pub fn sign(&self, secret: &Secret) -> String {
        hex::encode(hmac_bytes(secret.expose().as_bytes(), &self.message()))
    }

    /// Checks shape, clock skew and signature (not the nonce); `now` is unix seconds.
    pub fn verify(&self, secret: &Secret, signature: &str, now: u64) -> Result<(), SignatureError> {
        let bad_nonce = self.nonce.is_empty() || self.nonce.len() > MAX_NONCE_LEN;
        let timestamp: u64 = self
            .timestamp
            .parse()
            .map_err(|_| SignatureError::MissingParts)?;
        if bad_nonce {
            return Err(SignatureError::MissingParts);
        }
        if timestamp.abs_diff(now) > MAX_SKEW {
            return Err(SignatureError::Stale);
        }
        let expected = hmac_bytes(secret.expose().as_bytes(), &self.message());
        match hex::decode(signature) {
            Ok(given) if bool::from(given.ct_eq(&expected)) => Ok(()),
            _ => Err(SignatureError::Mismatch),
        }
    }
}

/// Nonces seen recently, per app. Each is kept for `2 × MAX_SKEW` seconds, past the last moment its
/// request's timestamp could still be accepted. Bounded: when full of live nonces, new signed requests
/// are refused (fail closed) until the oldest expires.
pub struct NonceCache {
    capacity: usize,
    inner: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    set: HashSet<(AppId, String)>,
    order: VecDeque<(u64, AppId, String)>,
}

/// Why a nonce could not be recorded.
#[derive(Debug, PartialEq, Eq)]
pub enum NonceError {
    /// Seen before.
    Replayed,
    /// The cache is full of live nonces; retry after so many seconds.
    Full(u64),
}

impl NonceCache {
    /// A cache holding at most `capacity` nonces.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Seen::default()),
        }
    }

    /// Records a nonce of `app` at time `now` (unix seconds), refusing one seen before.
    pub fn remember(&self, app: &AppId, nonce: &str, now: u64) -> Result<(), NonceError> {
        let mut seen = self.inner.lock();
        while seen.order.front().is_some_and(|(e, ..)| *e <= now) {
            let (_, a, n) = seen.order.pop_front().expect("front exists");
            seen.set.remove(&(a, n));
        }
        let key = (app.clone(), nonce.to_owned());
        if seen.set.contains(&key) {
            return Err(NonceError::Replayed);
        }
        if seen.set.len() >= self.capacity {
            let oldest = seen.order.front().map_or(now + 1, |(e, ..)| *e);
            return Err(NonceError::Full(oldest.saturating_sub(now).max(1)));
        }
        seen.order
            .push_back((now + 2 * MAX_SKEW, key.0.clone(), key.1.clone()));
        seen.set.insert(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(timestamp: &'a str, nonce: &'a str) -> SignedRequest<'a> {
        SignedRequest {
            method: "POST",
            path_and_query: "/events",
            body: b"{}",
            timestamp,
            nonce,
        }
    }

    #[test]
    fn signatures_cover_every_part_and_the_clock() {
        let secret = Secret::new("lsk_test");
        let good = request("1000", "n1");
        let sig = good.sign(&secret);
        assert_eq!(good.verify(&secret, &sig, 1000), Ok(()));
        assert_eq!(good.verify(&secret, &sig.to_uppercase(), 1600), Ok(()));
        assert_eq!(good.verify(&secret, &sig, 1601), Err(SignatureError::Stale));
        assert_eq!(good.verify(&secret, &sig, 399), Err(SignatureError::Stale));
        let other_nonce = request("1000", "n2");
        assert_eq!(
            other_nonce.verify(&secret, &sig, 1000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            good.verify(&Secret::new("lsk_x"), &sig, 1000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            request("soon", "n1").verify(&secret, &sig, 1000),
            Err(SignatureError::MissingParts)
        );
    }

    #[test]
    fn nonces_are_single_use_while_live_and_the_cache_is_bounded() {
        let cache = NonceCache::new(2);
        let app = AppId::parse("1").unwrap();
        let other = AppId::parse("2").unwrap();
        assert_eq!(cache.remember(&app, "a", 0), Ok(()));
        assert_eq!(cache.remember(&app, "a", 10), Err(NonceError::Replayed));
        assert_eq!(cache.remember(&other, "a", 10), Ok(()));
        assert_eq!(cache.remember(&app, "b", 20), Err(NonceError::Full(1180)));
        assert_eq!(cache.remember(&app, "b", 2 * MAX_SKEW), Ok(()));
        assert_eq!(
            cache.remember(&app, "a", 2 * MAX_SKEW + 10),
            Ok(()),
            "expired"
        );
    }
}
