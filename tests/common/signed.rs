//! Requests signed as the official server SDK (`@lattestream/server` 1.1) signs them: the raw private
//! key in `Authorization` and `X-LatteStream-Signature` = hex HMAC-SHA256(private key,
//! `METHOD\nPATH\nBODY` + timestamp + nonce), with `-Timestamp` and `-Nonce`.

use std::time::{SystemTime, UNIX_EPOCH};

use lattestream::auth::{Secret, hmac_hex};
use serde_json::Value;

use super::{Reply, SECRET, TestServer};

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A request signed as the SDK signs it; `send_with` may send another signature instead.
pub struct Signed<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The path (and query) signed.
    pub path: &'a str,
    /// The body signed.
    pub body: String,
    /// Seconds since the epoch.
    pub timestamp: u64,
    /// A fresh nonce.
    pub nonce: String,
}

impl<'a> Signed<'a> {
    pub fn post(path: &'a str, body: &Value) -> Self {
        Self {
            method: "POST",
            path,
            body: body.to_string(),
            timestamp: now(),
            nonce: uuid::Uuid::new_v4().to_string(),
        }
    }

    pub fn get(path: &'a str) -> Self {
        Self {
            method: "GET",
            path,
            body: String::new(),
            timestamp: now(),
            nonce: uuid::Uuid::new_v4().to_string(),
        }
    }

    pub fn signature(&self) -> String {
        let message = format!(
            "{}\n{}\n{}{}{}",
            self.method, self.path, self.body, self.timestamp, self.nonce
        );
        hmac_hex(&Secret::new(SECRET), &message)
    }

    pub async fn send_with(&self, server: &TestServer, signature: &str) -> Reply {
        let url = server.url(self.path);
        let method = self.method.parse().unwrap();
        server
            .send(|c| {
                c.request(method, url)
                    .header("Authorization", SECRET)
                    .header("Content-Type", "application/json")
                    .header("X-LatteStream-Timestamp", self.timestamp.to_string())
                    .header("X-LatteStream-Nonce", &self.nonce)
                    .header("X-LatteStream-Signature", signature)
                    .body(self.body.clone())
            })
            .await
    }

    pub async fn send(&self, server: &TestServer) -> Reply {
        self.send_with(server, &self.signature()).await
    }
}
