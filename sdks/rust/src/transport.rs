//! One signed REST call with its retries: every attempt gets a fresh timestamp, nonce and timeout (so
//! concurrent calls share nothing and none can cancel another), a 429 is retried after the server's
//! `Retry-After`, and an error answer becomes an [`Error`] with the documented code.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::{Method, Url, header::HeaderMap};
use serde::Deserialize;

use crate::error::{Error, codes};
use crate::signing::signature_headers;

const USER_AGENT: &str = concat!("lattestream-rust/", env!("CARGO_PKG_VERSION"));

/// How the transport waits between attempts (tests record instead of sleeping).
pub(crate) type Sleep =
    Arc<dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// Sends requests for one app.
#[derive(Clone)]
pub(crate) struct Transport {
    pub(crate) base_url: String,
    pub(crate) key: String,
    pub(crate) client: reqwest::Client,
    pub(crate) timeout: Duration,
    pub(crate) max_retries: u32,
    pub(crate) sleep: Sleep,
}

/// The documented error body.
#[derive(Deserialize, Default)]
struct ErrorBody {
    error: Option<String>,
    code: Option<String>,
    details: Option<serde_json::Value>,
    retry_after: Option<f64>,
}

/// The default [`Sleep`]: tokio's timer.
pub(crate) fn tokio_sleep() -> Sleep {
    Arc::new(|d| Box::pin(tokio::time::sleep(d)))
}

impl Transport {
    /// Sends `method path` with `body` until it succeeds or may not retry; returns the answer's body.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, Error> {
        let url = Url::parse(&format!("{}{path}", self.base_url)).map_err(|e| {
            Error::invalid(
                codes::INVALID_REQUEST,
                format!("bad request path {path}: {e}"),
            )
        })?;
        let mut attempt = 0;
        loop {
            match self.attempt(method.clone(), &url, body.as_deref()).await {
                Err(Error::RateLimited { retry_after, .. }) if attempt < self.max_retries => {
                    (self.sleep)(retry_after).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn attempt(
        &self,
        method: Method,
        url: &Url,
        body: Option<&[u8]>,
    ) -> Result<Vec<u8>, Error> {
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut request = self
            .client
            .request(method.clone(), url.clone())
            .timeout(self.timeout)
            .bearer_auth(&self.key)
            .header("Accept", "application/json")
            .header("User-Agent", USER_AGENT);
        for (name, value) in signature_headers(
            &self.key,
            method.as_str(),
            &target,
            body.unwrap_or_default(),
            now,
        ) {
            request = request.header(name, value);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_vec());
        }
        let response = request.send().await.map_err(connection_error)?;
        let (status, headers) = (response.status(), response.headers().clone());
        let text = response.bytes().await.map_err(connection_error)?;
        match status.is_success() {
            true => Ok(text.to_vec()),
            false => Err(to_error(status.as_u16(), &headers, &text)),
        }
    }
}

fn connection_error(source: reqwest::Error) -> Error {
    let code = if source.is_timeout() {
        codes::TIMEOUT
    } else {
        codes::CONNECTION_ERROR
    };
    Error::Connection { code, source }
}

/// The documented error body `{error, code, details?, retry_after?}` as an error, or an `HTTP_ERROR`.
fn to_error(status: u16, headers: &HeaderMap, text: &[u8]) -> Error {
    let body: ErrorBody = serde_json::from_slice(text).unwrap_or_default();
    let message = body
        .error
        .clone()
        .unwrap_or_else(|| format!("HTTP {status}"));
    if status == 429 {
        let header = headers.get("retry-after").and_then(|v| v.to_str().ok());
        let retry_after = retry_after(header, body.retry_after);
        return Error::RateLimited {
            message,
            retry_after,
        };
    }
    Error::Api {
        status,
        code: body.code.unwrap_or_else(|| codes::HTTP_ERROR.to_owned()),
        message,
        details: body.details,
    }
}

/// `Retry-After`: the header (seconds or an HTTP date), else the body's `retry_after`, else 1 s.
fn retry_after(header: Option<&str>, from_body: Option<f64>) -> Duration {
    if let Some(secs) = header
        .and_then(|h| h.trim().parse::<f64>().ok())
        .filter(|s| *s >= 0.0)
    {
        return Duration::from_secs_f64(secs);
    }
    if let Some(when) = header.and_then(|h| httpdate::parse_http_date(h).ok()) {
        return when.duration_since(SystemTime::now()).unwrap_or_default();
    }
    from_body
        .filter(|s| *s >= 0.0)
        .map_or(Duration::from_secs(1), Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_then_dates_then_the_body() {
        assert_eq!(retry_after(Some("2"), Some(5.0)), Duration::from_secs(2));
        assert_eq!(retry_after(None, Some(5.0)), Duration::from_secs(5));
        assert_eq!(retry_after(Some("soon"), None), Duration::from_secs(1));
        let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(60));
        assert_eq!(retry_after(Some(&past), None), Duration::ZERO);
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        assert!(retry_after(Some(&later), None) > Duration::from_secs(100));
    }
}
