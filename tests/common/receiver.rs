//! A real HTTP receiver of webhooks for the tests: an axum server on `127.0.0.1` that checks every
//! request's two signature header pairs and that its body survives `JSON.stringify(JSON.parse(…))`
//! byte for byte, records it, and answers as the test tells it (accept, fail, stall, be down).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use lattestream::auth::{Secret, hmac_hex};
use parking_lot::Mutex;
use serde_json::Value;
use tokio::time::Instant;

/// How the receiver answers.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// 200.
    Accept,
    /// This status, always.
    Status(u16),
    /// This status until the instant, then 200.
    StatusUntil(Instant, u16),
    /// 200 after this long.
    Slow(Duration),
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// When it arrived.
    pub at: Instant,
    /// When it was answered.
    pub answered: Instant,
    /// The status given.
    pub status: u16,
    /// The parsed body.
    pub body: Value,
    /// Problems with its signatures or bytes (empty when all is well).
    pub problems: Vec<String>,
}

struct Inner {
    arrivals: std::sync::atomic::AtomicUsize,
    mode: Mutex<Mode>,
    requests: Mutex<Vec<Received>>,
    keys: Keys,
}

/// What a request must be signed with.
#[derive(Clone)]
pub struct Keys {
    /// The endpoint's secret (`X-LatteStream-Signature`).
    pub endpoint_secret: String,
    /// The app's public key (both `-Key` headers).
    pub app_key: String,
    /// The app's private key (`X-Pusher-Signature`).
    pub app_secret: String,
}

/// A running receiver.
#[derive(Clone)]
pub struct Receiver {
    /// Where it listens.
    pub addr: SocketAddr,
    inner: Arc<Inner>,
    task: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

impl Receiver {
    /// A receiver on a free port.
    pub async fn start(keys: Keys) -> Self {
        Self::start_at("127.0.0.1:0".parse().unwrap(), keys).await
    }

    /// A receiver on `addr` (to come back up where it was).
    pub async fn start_at(addr: SocketAddr, keys: Keys) -> Self {
        let inner = Arc::new(Inner {
            arrivals: Default::default(),
            mode: Mutex::new(Mode::Accept),
            requests: Mutex::new(Vec::new()),
            keys,
        });
        let mut this = Self {
            addr,
            inner,
            task: Arc::new(Mutex::new(None)),
        };
        this.listen(addr).await;
        this
    }

    async fn listen(&mut self, addr: SocketAddr) {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("bind receiver");
        self.addr = listener.local_addr().unwrap();
        let app = axum::Router::new()
            .fallback(axum::routing::post(receive))
            .with_state(self.inner.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        *self.task.lock() = Some(task);
    }

    /// Stops listening (connections are refused) until [`Receiver::up`].
    pub fn down(&self) {
        if let Some(task) = self.task.lock().take() {
            task.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn up(&mut self) {
        let addr = self.addr;
        self.listen(addr).await;
    }

    /// The URL to configure.
    pub fn url(&self) -> String {
        format!("http://{}/hooks", self.addr)
    }

    /// Sets how it answers from now on.
    pub fn set(&self, mode: Mode) {
        *self.inner.mode.lock() = mode;
    }

    /// Requests that arrived so far, answered or not.
    pub fn arrivals(&self) -> usize {
        self.inner
            .arrivals
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Every request answered so far.
    pub fn requests(&self) -> Vec<Received> {
        self.inner.requests.lock().clone()
    }

    /// The events of accepted requests, in arrival order.
    pub fn events(&self) -> Vec<Value> {
        let requests = self.inner.requests.lock();
        let accepted = requests.iter().filter(|r| r.status == 200);
        accepted
            .flat_map(|r| r.body["events"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    /// Accepted events on `channel`, as `name` or `name:detail` strings.
    pub fn channel_log(&self, channel: &str) -> Vec<String> {
        self.events()
            .iter()
            .filter(|e| e["channel"] == channel)
            .map(describe)
            .collect()
    }

    /// Panics if any request had a bad signature or bytes.
    pub fn assert_all_signed(&self) {
        for r in self.inner.requests.lock().iter() {
            assert!(r.problems.is_empty(), "{:?}", r.problems);
        }
    }
}

/// `name`, with the user, count or event name after a colon where the event has one.
pub fn describe(e: &Value) -> String {
    let name = e["name"].as_str().unwrap_or("?");
    let detail = [&e["user_id"], &e["subscription_count"], &e["event"]]
        .into_iter()
        .find(|v| !v.is_null());
    match detail {
        Some(Value::String(s)) if name != "client_event" => format!("{name}:{s}"),
        Some(Value::Number(n)) => format!("{name}:{n}"),
        Some(_) => format!("{name}:{}", e["event"].as_str().unwrap_or("?")),
        None => name.to_owned(),
    }
}

async fn receive(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let at = Instant::now();
    inner
        .arrivals
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let text = String::from_utf8(body.to_vec()).unwrap_or_default();
    let problems = check(&inner.keys, &headers, &text);
    let mode = *inner.mode.lock();
    let status = match mode {
        Mode::Accept => 200,
        Mode::Status(s) => s,
        Mode::StatusUntil(until, s) => {
            if Instant::now() < until {
                s
            } else {
                200
            }
        }
        Mode::Slow(d) => {
            tokio::time::sleep(d).await;
            200
        }
    };
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    let answered = Instant::now();
    inner.requests.lock().push(Received {
        at,
        answered,
        status,
        body,
        problems,
    });
    StatusCode::from_u16(status).unwrap()
}

fn check(keys: &Keys, headers: &HeaderMap, body: &str) -> Vec<String> {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let mut problems = Vec::new();
    let sign = |secret: &str| hmac_hex(&Secret::new(secret), body);
    if header("x-lattestream-signature") != sign(&keys.endpoint_secret) {
        problems.push("bad X-LatteStream-Signature".into());
    }
    if header("x-pusher-signature") != sign(&keys.app_secret) {
        problems.push("bad X-Pusher-Signature".into());
    }
    for name in ["x-lattestream-key", "x-pusher-key"] {
        if header(name) != keys.app_key {
            problems.push(format!("bad {name}"));
        }
    }
    if header("content-type") != "application/json" {
        problems.push("not application/json".into());
    }
    if !survives_json_stringify(body) {
        problems.push(format!(
            "JSON.stringify(JSON.parse(body)) would differ: {body}"
        ));
    }
    problems
}

/// Whether `JSON.stringify(JSON.parse(text)) === text`: valid JSON with no whitespace outside strings,
/// integer numbers only, every string literal written exactly as `JSON.stringify` writes it, and no
/// integer-like object keys (which `JSON.parse` would move to the front).
pub fn survives_json_stringify(text: &str) -> bool {
    if serde_json::from_str::<Value>(text).is_err() {
        return false;
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let end = string_end(bytes, i);
                let literal = &text[i..=end];
                let decoded: String = serde_json::from_str(literal).unwrap();
                if js_quote(&decoded) != literal {
                    return false;
                }
                let is_key = bytes.get(end + 1) == Some(&b':');
                if is_key && !decoded.is_empty() && decoded.bytes().all(|b| b.is_ascii_digit()) {
                    return false;
                }
                i = end + 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len() && b"+-.eE0123456789".contains(&bytes[i]) {
                    i += 1;
                }
                let number = &text[start..i];
                let digits = number.strip_prefix('-').unwrap_or(number);
                let integer = digits.bytes().all(|b| b.is_ascii_digit())
                    && (digits == "0" || !digits.starts_with('0'))
                    && number != "-0";
                if !integer {
                    return false;
                }
            }
            b' ' | b'\t' | b'\n' | b'\r' => return false,
            _ => i += 1,
        }
    }
    true
}

/// Where the string literal starting at `start` ends (its closing quote).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while bytes[i] != b'"' {
        i += if bytes[i] == b'\\' { 2 } else { 1 };
    }
    i
}

/// A string as `JSON.stringify` writes it.
pub fn js_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
