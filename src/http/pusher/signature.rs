//! Pusher request signing, checked on every call of the Pusher HTTP API by the [`Signed`] extractor.
//!
//! The query carries `auth_key` (the app's public key), `auth_timestamp` (seconds, within
//! [`TIMESTAMP_WINDOW_SECS`] of our clock), `auth_version` (`1.0`), `body_md5` (hex MD5 of a non-empty
//! body) and `auth_signature`: hex HMAC-SHA256, keyed with the app's private key, of
//! `METHOD\nPATH\nQUERY` where QUERY is every other parameter, keys lower-cased and sorted, joined as
//! `k=v&…` with the values unescaped — as the `pusher` server libraries build it. A request may be
//! replayed within the window (Pusher behaves the same); outside it, it is refused.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OriginalUri, RawPathParams, Request};
use axum::http::request::Parts;
use md5::{Digest, Md5};
use percent_encoding::percent_decode_str;

use super::error::{AuthFailure, PusherError};
use crate::apps::App;
use crate::auth::verify_hex;
use crate::http::AppState;
use crate::http::guard::{self, RateHeaders};
use crate::ratelimit::Endpoint;

/// How far `auth_timestamp` may be from the server's clock, either way, in seconds.
pub const TIMESTAMP_WINDOW_SECS: u64 = 600;

/// A request whose app exists and whose signature checked out: what every Pusher API handler needs.
pub struct Signed {
    /// The app named by the path and proven by the signature.
    pub app: Arc<App>,
    /// The query parameters, unescaped, keys lower-cased.
    pub query: Vec<(String, String)>,
    /// The body, already verified against `body_md5`.
    pub body: Bytes,
    /// The app's rate-limit headers for this endpoint, counted once the signature checked out.
    pub rate: RateHeaders,
}

impl Signed {
    /// The first value of a query parameter (keys are lower-case).
    pub fn param(&self, key: &str) -> Option<&str> {
        param(&self.query, key)
    }
}

impl FromRequest<AppState> for Signed {
    type Rejection = PusherError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PusherError> {
        let (mut parts, body) = req.into_parts();
        let app = path_app(&mut parts, state).await?;
        let target = Target::of(&parts);
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|r| match r.status().as_u16() {
                413 => PusherError::BodyTooLarge(state.max_body_bytes),
                _ => PusherError::bad(r.body_text()),
            })?;
        target.verify(&app, &body, now_secs())?;
        let (rate, counted) = guard::count(state, &app, endpoint_of(&target.path)).await;
        counted.map_err(|retry| PusherError::RateLimited(rate, retry))?;
        let query = decode_query(&target.query, true);
        Ok(Self {
            app,
            query,
            body,
            rate,
        })
    }
}

/// The budget a Pusher API call spends: the same as the matching call of our REST API, so the
/// documented limits hold whichever API a backend uses.
fn endpoint_of(path: &str) -> Option<Endpoint> {
    let action = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    match action {
        "events" => Some(Endpoint::Events),
        "batch_events" => Some(Endpoint::BatchEvents),
        "terminate_connections" => None,
        _ if path.contains("/channels") => Some(Endpoint::Channels),
        _ => None,
    }
}

/// The app whose id is the path's `{app_id}`; 404 when there is none. Routes without `{app_id}` (the
/// Python library's `/users/{id}/terminate_connections`) name the app by the signed `auth_key`.
async fn path_app(parts: &mut Parts, state: &AppState) -> Result<Arc<App>, PusherError> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| PusherError::UnknownApp(String::new()))?;
    let id = params
        .iter()
        .find(|(name, _)| *name == "app_id")
        .map(|(_, value)| value.to_owned());
    let apps = state.node.apps();
    match id {
        Some(id) => apps.by_id(&id).ok_or(PusherError::UnknownApp(id)),
        None => {
            let query = decode_query(parts.uri.query().unwrap_or_default(), true);
            let key = param(&query, "auth_key").unwrap_or_default();
            apps.by_key(key)
                .ok_or_else(|| PusherError::UnknownApp(String::new()))
        }
    }
}

/// What the signature covers, as received.
pub struct Target {
    /// Upper-case method.
    pub method: String,
    /// The path as sent (still escaped).
    pub path: String,
    /// The raw query string.
    pub query: String,
}

impl Target {
    fn of(parts: &Parts) -> Self {
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map(|o| &o.0)
            .unwrap_or(&parts.uri);
        Self {
            method: parts.method.as_str().to_ascii_uppercase(),
            path: uri.path().to_owned(),
            query: uri.query().unwrap_or_default().to_owned(),
        }
    }

    /// Checks key, version, timestamp, body digest and signature, in that order.
    pub fn verify(&self, app: &App, body: &[u8], now: u64) -> Result<(), AuthFailure> {
        let query = decode_query(&self.query, true);
        let key = param(&query, "auth_key").ok_or(AuthFailure::MissingParameter("auth_key"))?;
        if key != app.key {
            return Err(AuthFailure::UnknownKey);
        }
        check_version(param(&query, "auth_version"))?;
        check_timestamp(param(&query, "auth_timestamp"), now)?;
        check_body(param(&query, "body_md5"), body)?;
        let signature = param(&query, "auth_signature")
            .ok_or(AuthFailure::MissingParameter("auth_signature"))?;
        self.check_signature(app, signature)
    }

    /// Accepts the signature over the path as sent or unescaped, and over `+` read as a space (form
    /// encoding, as PHP sends it) or as itself (as the Node library sends it).
    fn check_signature(&self, app: &App, signature: &str) -> Result<(), AuthFailure> {
        let mut paths = vec![self.path.clone()];
        if self.path.contains('%') {
            paths.push(
                percent_decode_str(&self.path)
                    .decode_utf8_lossy()
                    .into_owned(),
            );
        }
        let mut queries = vec![decode_query(&self.query, true)];
        if self.query.contains('+') {
            queries.push(decode_query(&self.query, false));
        }
        let mut first = None;
        for path in &paths {
            for query in &queries {
                let message = string_to_sign(&self.method, path, query);
                if app.secrets().any(|s| verify_hex(s, &message, signature)) {
                    return Ok(());
                }
                first.get_or_insert(message);
            }
        }
        Err(AuthFailure::Signature(first.unwrap_or_default()))
    }
}

/// `METHOD\nPATH\nk=v&…`: every parameter but `auth_signature`, sorted by key.
pub fn string_to_sign(method: &str, path: &str, query: &[(String, String)]) -> String {
    let mut pairs: Vec<_> = query
        .iter()
        .filter(|(key, _)| key != "auth_signature")
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    pairs.sort();
    format!("{method}\n{path}\n{}", pairs.join("&"))
}

fn param<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Splits and unescapes a query string; keys are lower-cased.
fn decode_query(raw: &str, plus_is_space: bool) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = if plus_is_space {
            s.replace('+', " ")
        } else {
            s.to_owned()
        };
        percent_decode_str(&s).decode_utf8_lossy().into_owned()
    };
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key).to_ascii_lowercase(), decode(value))
        })
        .collect()
}

fn check_version(version: Option<&str>) -> Result<(), AuthFailure> {
    match version {
        Some("1.0") => Ok(()),
        Some(other) => Err(AuthFailure::Version(other.to_owned())),
        None => Err(AuthFailure::MissingParameter("auth_version")),
    }
}

fn check_timestamp(given: Option<&str>, now: u64) -> Result<(), AuthFailure> {
    let given = given.ok_or(AuthFailure::MissingParameter("auth_timestamp"))?;
    let fresh = given
        .parse::<u64>()
        .is_ok_and(|t| t.abs_diff(now) <= TIMESTAMP_WINDOW_SECS);
    if fresh {
        return Ok(());
    }
    Err(AuthFailure::Timestamp {
        given: given.to_owned(),
        now,
        window: TIMESTAMP_WINDOW_SECS,
    })
}

/// A non-empty body needs `body_md5`, and it must match; an empty body needs none.
fn check_body(given: Option<&str>, body: &[u8]) -> Result<(), AuthFailure> {
    if body.is_empty() {
        return Ok(());
    }
    let expected = hex::encode(Md5::digest(body));
    match given {
        Some(md5) if md5.eq_ignore_ascii_case(&expected) => Ok(()),
        _ => Err(AuthFailure::BodyMd5),
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::test_app;
    use crate::auth::hmac_hex;

    fn target(query: &str) -> Target {
        Target {
            method: "POST".into(),
            path: "/apps/1/events".into(),
            query: query.into(),
        }
    }

    fn signed(app: &App, unsigned: &str) -> Target {
        let message = string_to_sign("POST", "/apps/1/events", &decode_query(unsigned, true));
        let sig = hmac_hex(&app.secret, &message);
        target(&format!("{unsigned}&auth_signature={sig}"))
    }

    #[test]
    fn the_string_to_sign_sorts_lowercased_keys_and_drops_the_signature() {
        let query = decode_query(
            "b=2&A=1&auth_signature=x&info=user_count%2Csubscription_count",
            true,
        );
        assert_eq!(
            string_to_sign("GET", "/p", &query),
            "GET\n/p\na=1&b=2&info=user_count,subscription_count"
        );
    }

    #[test]
    fn a_correct_request_verifies_and_each_fault_is_named() {
        let app = test_app();
        let body = br#"{"name":"e"}"#;
        let md5 = hex::encode(Md5::digest(body));
        let now = 1_000_000;
        let base =
            format!("auth_key=lspk_test&auth_timestamp={now}&auth_version=1.0&body_md5={md5}");
        assert_eq!(signed(&app, &base).verify(&app, body, now), Ok(()));
        assert_eq!(
            signed(&app, &base).verify(&app, b"{}", now),
            Err(AuthFailure::BodyMd5)
        );
        let stale = signed(&app, &base).verify(&app, body, now + 601);
        assert!(matches!(stale, Err(AuthFailure::Timestamp { .. })));
        let forged = target(&format!("{base}&auth_signature=00"));
        assert!(matches!(
            forged.verify(&app, body, now),
            Err(AuthFailure::Signature(_))
        ));
        let wrong_key = base.replace("lspk_test", "lspk_other");
        assert_eq!(
            signed(&app, &wrong_key).verify(&app, body, now),
            Err(AuthFailure::UnknownKey)
        );
    }

    #[test]
    fn pusher_s_published_worked_example_verifies() {
        let app = App {
            id: crate::protocol::AppId::parse("3").unwrap(),
            key: "278d425bdf160c739803".into(),
            secret: crate::auth::Secret::new("7ad3773142a6692b25b8"),
            previous_secret: None,
            settings: Default::default(),
        };
        let body = br#"{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}"#;
        let t = Target {
            method: "POST".into(),
            path: "/apps/3/events".into(),
            query: "auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0\
                    &body_md5=ec365a775a4cd0599faeb73354201b6f&auth_signature=\
                    da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c"
                .into(),
        };
        assert_eq!(t.verify(&app, body, 1_353_088_179), Ok(()));
    }

    #[test]
    fn a_plus_sent_raw_is_accepted_as_signed() {
        let app = test_app();
        let raw = "auth_key=lspk_test&auth_timestamp=5&auth_version=1.0&filter_by_prefix=a+b";
        let message = string_to_sign("POST", "/apps/1/events", &decode_query(raw, false));
        let sig = hmac_hex(&app.secret, &message);
        let t = target(&format!("{raw}&auth_signature={sig}"));
        assert_eq!(t.verify(&app, b"", 5), Ok(()));
    }
}
