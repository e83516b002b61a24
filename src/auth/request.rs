//! Signed REST requests, as the official server SDK (`@lattestream/server`) sends them: the private key
//! raw in `Authorization`, plus `X-LatteStream-Timestamp` (unix seconds), `X-LatteStream-Nonce` and
//! `X-LatteStream-Signature` = hex HMAC-SHA256(private key,
//! `METHOD + "\n" + path-with-query + "\n" + body + timestamp + nonce`). The signature is checked in
//! constant time, the timestamp must be within [`MAX_SKEW`] of the server's clock, and a nonce may be
//! used once while its request could still be accepted ([`super::NonceStore`]).

use subtle::ConstantTimeEq;

use super::keys::{Secret, hmac_bytes};

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
}
