//! Publishing events over REST, in LatteStream's or Pusher's flavour, over a
//! keep-alive HTTP client; 429 answers are backed off and retried.

use crate::cli::{Api, ServerArgs};
use md5::Digest;
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What one trigger call came to.
#[derive(Debug)]
pub enum Outcome {
    /// 2xx: the server accepted the event.
    Accepted,
    /// 429: try again after this long.
    RateLimited(Duration),
    /// Anything else.
    Failed(String),
}

/// A REST client bound to one app on one server.
pub struct Rest {
    client: reqwest::Client,
    base: String,
    api: Api,
    app_id: String,
    key: String,
    secret: String,
}

impl Rest {
    /// Builds the client; the HTTP base defaults to the WebSocket URL with
    /// its scheme switched to http.
    pub fn new(s: &ServerArgs) -> Rest {
        let base = s.http_url.clone().unwrap_or_else(|| {
            s.url
                .split(',')
                .next()
                .unwrap_or_default()
                .replacen("wss://", "https://", 1)
                .replacen("ws://", "http://", 1)
        });
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .timeout(Duration::from_secs(30))
            .build()
            .expect("HTTP client");
        Rest {
            client,
            base: base.trim_end_matches('/').to_string(),
            api: s.api,
            app_id: s.app_id.clone(),
            key: s.key.clone(),
            secret: s.secret.clone(),
        }
    }

    /// Publishes `data` as event `name` on `channels`.
    pub async fn trigger(&self, channels: &[&str], name: &str, data: &str) -> Outcome {
        let req = match self.api {
            Api::Lattestream => {
                let body = json!({ "channels": channels, "event": name, "data": data }).to_string();
                self.client
                    .post(format!("{}/events", self.base))
                    .bearer_auth(&self.secret)
                    .header("content-type", "application/json")
                    .body(body)
            }
            Api::Pusher => {
                let body = json!({ "name": name, "channels": channels, "data": data }).to_string();
                let path = format!("/apps/{}/events", self.app_id);
                let query = pusher_query(&self.key, &self.secret, "POST", &path, &body, unix_now());
                self.client
                    .post(format!("{}{path}?{query}", self.base))
                    .header("content-type", "application/json")
                    .body(body)
            }
        };
        match req.send().await {
            Ok(r) if r.status().is_success() => {
                let _ = r.bytes().await;
                Outcome::Accepted
            }
            Ok(r) if r.status().as_u16() == 429 => Outcome::RateLimited(retry_after(&r)),
            Ok(r) => {
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                Outcome::Failed(format!(
                    "{status}: {}",
                    text.chars().take(200).collect::<String>()
                ))
            }
            Err(e) => Outcome::Failed(format!("request: {e}")),
        }
    }
}

/// The `Retry-After` header as a duration (default 100 ms, capped at 2 s).
fn retry_after(r: &reqwest::Response) -> Duration {
    let secs = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok());
    secs.map(|s| Duration::from_secs_f64(s.clamp(0.01, 2.0)))
        .unwrap_or(Duration::from_millis(100))
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The signed query string of the Pusher HTTP API:
/// `auth_signature = HMAC(secret, "METHOD\nPATH\nSORTED_QUERY")`.
pub fn pusher_query(
    key: &str,
    secret: &str,
    method: &str,
    path: &str,
    body: &str,
    ts: u64,
) -> String {
    let md5 = hex::encode(md5::Md5::digest(body.as_bytes()));
    // Keys already in alphabetical order, as the signature requires.
    let query = format!("auth_key={key}&auth_timestamp={ts}&auth_version=1.0&body_md5={md5}");
    let sig = crate::proto::hmac_hex(secret, &format!("{method}\n{path}\n{query}"));
    format!("{query}&auth_signature={sig}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_like_pusher_docs() {
        // Worked example from the Pusher HTTP API reference.
        let q = pusher_query(
            "278d425bdf160c739803",
            "7ad3773142a6692b25b8",
            "POST",
            "/apps/3/events",
            r#"{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}"#,
            1353088179,
        );
        assert!(
            q.contains("body_md5=ec365a775a4cd0599faeb73354201b6f"),
            "{q}"
        );
        assert!(
            q.ends_with(
                "auth_signature=da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c"
            ),
            "{q}"
        );
    }
}
