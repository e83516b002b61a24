//! A Pusher HTTP API client for tests, signing requests the way the `pusher` server libraries do —
//! written from the published scheme, independently of the server's own code.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};
use serde_json::Value;
use sha2::Sha256;

use super::{KEY, SECRET, TestServer};

/// Hex HMAC-SHA256.
pub fn hmac_sha256_hex(secret: &str, message: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Hex MD5 of a body.
pub fn md5_hex(body: &str) -> String {
    hex::encode(Md5::digest(body.as_bytes()))
}

/// Seconds since the epoch, as `auth_timestamp` wants.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The `auth` of a `pusher:signin` for app 1: `KEY:HMAC(secret, "socket_id::user::user_data")`.
pub fn user_auth(socket_id: &str, user_data: &str) -> String {
    let message = format!("{socket_id}::user::{user_data}");
    format!("{KEY}:{}", hmac_sha256_hex(SECRET, &message))
}

/// A response: status and body text.
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The body as text.
    pub text: String,
}

impl Reply {
    /// The body as JSON (panics when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|_| panic!("not JSON: {}", self.text))
    }
}

/// Credentials and an address: what a `pusher` library is configured with.
#[derive(Clone)]
pub struct PusherApi {
    /// `http://ADDR`.
    pub base: String,
    /// The app id in the paths.
    pub app_id: String,
    /// `auth_key`.
    pub key: String,
    /// The signing secret.
    pub secret: String,
}

impl PusherApi {
    /// A client of app 1 on `server`.
    pub fn new(server: &TestServer) -> Self {
        Self {
            base: format!("http://{}", server.addr),
            app_id: "1".into(),
            key: KEY.into(),
            secret: SECRET.into(),
        }
    }

    /// `/apps/{id}{path}`.
    pub fn path(&self, path: &str) -> String {
        format!("/apps/{}{path}", self.app_id)
    }

    /// The signed query string for a request at `timestamp`, with `extra` parameters.
    pub fn query(
        &self,
        method: &str,
        path: &str,
        extra: &[(&str, &str)],
        body: Option<&str>,
        timestamp: u64,
    ) -> String {
        let timestamp = timestamp.to_string();
        let mut params: Vec<(String, String)> = vec![
            ("auth_key".into(), self.key.clone()),
            ("auth_timestamp".into(), timestamp),
            ("auth_version".into(), "1.0".into()),
        ];
        if let Some(body) = body.filter(|b| !b.is_empty()) {
            params.push(("body_md5".into(), md5_hex(body)));
        }
        params.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        params.sort();
        let joined: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let joined = joined.join("&");
        let full_path = self.path(path);
        let signature = hmac_sha256_hex(&self.secret, &format!("{method}\n{full_path}\n{joined}"));
        format!("{joined}&auth_signature={signature}")
    }

    /// Sends a request to an already signed URL.
    pub async fn send(&self, method: &str, url: &str, body: Option<&str>) -> Reply {
        let client = reqwest::Client::new();
        let request = match method {
            "GET" => client.get(url),
            _ => client.post(url),
        };
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(body.to_owned()),
            None => request,
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        Reply {
            status,
            text: response.text().await.unwrap(),
        }
    }

    /// The full URL of a signed request made now.
    pub fn url(
        &self,
        method: &str,
        path: &str,
        extra: &[(&str, &str)],
        body: Option<&str>,
    ) -> String {
        let query = self.query(method, path, extra, body, now());
        format!("{}{}?{query}", self.base, self.path(path))
    }

    /// A signed POST of a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        let text = body.to_string();
        let url = self.url("POST", path, &[], Some(&text));
        self.send("POST", &url, Some(&text)).await
    }

    /// A signed GET with query parameters.
    pub async fn get(&self, path: &str, params: &[(&str, &str)]) -> Reply {
        let url = self.url("GET", path, params, None);
        self.send("GET", &url, None).await
    }
}

/// Signs `client` in as `user_id` with `pusher:signin` and waits for `pusher:signin_success`.
pub async fn signin(client: &mut super::WsClient, user_id: &str) {
    let user_data = serde_json::json!({ "id": user_id }).to_string();
    let auth = user_auth(&client.socket_id, &user_data);
    let data = serde_json::json!({ "auth": auth, "user_data": user_data });
    client
        .send(serde_json::json!({"event": "pusher:signin", "data": data}))
        .await;
    client.expect("pusher:signin_success").await;
}
