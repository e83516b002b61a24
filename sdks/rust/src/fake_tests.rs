//! What each call sends and how it reads answers and errors, against a recording stand-in server on
//! 127.0.0.1:0 that checks every signature the way the real server does (computed here independently).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::{Value, json};

use crate::signing::hmac_hex;
use crate::types::{AccessTokenOptions, BatchEvent, TriggerOptions};
use crate::{Error, LatteStreamServer, Options, codes};

const KEY: &str = "lsk_unit_test_key";

#[derive(Debug, Clone)]
struct Recorded {
    method: String,
    target: String,
    headers: HeaderMap,
    body: String,
    signature_valid: bool,
}

type Reply = (u16, String, Vec<(&'static str, &'static str)>);

#[derive(Default)]
struct State {
    requests: Vec<Recorded>,
    replies: VecDeque<Reply>,
}

struct Fake {
    state: Arc<Mutex<State>>,
    url: String,
}

impl Fake {
    async fn start(replies: Vec<Reply>) -> Self {
        let state = Arc::new(Mutex::new(State {
            replies: replies.into(),
            ..State::default()
        }));
        let shared = state.clone();
        let app = axum::Router::new().fallback(move |m: Method, u: Uri, h: HeaderMap, b: Bytes| {
            let shared = shared.clone();
            async move { answer(&shared, m, u, h, b) }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { state, url }
    }

    fn client(&self, options: Options) -> (LatteStreamServer, Arc<Mutex<Vec<Duration>>>) {
        let mut server =
            LatteStreamServer::with_options(KEY, options.ws_endpoint(&self.url)).unwrap();
        let waits = Arc::new(Mutex::new(Vec::new()));
        let recorder = waits.clone();
        server.transport_mut().sleep = Arc::new(move |d| {
            recorder.lock().unwrap().push(d);
            Box::pin(async {})
        });
        (server, waits)
    }

    fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    fn last(&self) -> Recorded {
        self.requests().pop().expect("a request")
    }
}

fn answer(
    state: &Mutex<State>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    b: Bytes,
) -> (StatusCode, HeaderMap, String) {
    let header = |name: &str| {
        h.get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let target = u.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let body = String::from_utf8(b.to_vec()).unwrap();
    let message = format!(
        "{m}\n{target}\n{body}{}{}",
        header("x-lattestream-timestamp"),
        header("x-lattestream-nonce")
    );
    let signature_valid = header("x-lattestream-signature") == hmac_hex(KEY, message.as_bytes());
    let mut state = state.lock().unwrap();
    let recorded = Recorded {
        method: m.to_string(),
        target,
        headers: h.clone(),
        body,
        signature_valid,
    };
    state.requests.push(recorded);
    let (status, text, headers) = state
        .replies
        .pop_front()
        .unwrap_or((200, "{}".into(), vec![]));
    let mut out = HeaderMap::new();
    for (k, v) in headers {
        out.insert(k, v.parse().unwrap());
    }
    (StatusCode::from_u16(status).unwrap(), out, text)
}

fn ok(body: Value) -> Reply {
    (200, body.to_string(), vec![])
}

fn limited() -> Reply {
    let body =
        json!({"error": "Rate limit exceeded", "code": "RATE_LIMIT_EXCEEDED", "retry_after": 2});
    (429, body.to_string(), vec![("retry-after", "2")])
}

fn body_of(r: &Recorded) -> Value {
    serde_json::from_str(&r.body).unwrap()
}

#[tokio::test]
async fn trigger_sends_channels_as_an_array_data_as_given_and_the_socket_to_exclude() {
    let fake = Fake::start(vec![ok(
        json!({"channels": ["a", "b"], "event": "e", "triggered": 3}),
    )])
    .await;
    let (server, _) = fake.client(Options::default());
    let options = TriggerOptions {
        socket_id: Some("1.2".into()),
    };
    let result = server
        .trigger_with(["a", "b"], "e", json!({"n": 1}), options)
        .await
        .unwrap();
    assert_eq!((result.channels.len(), result.triggered), (2, 3));
    let req = fake.last();
    assert_eq!(
        (req.method.as_str(), req.target.as_str()),
        ("POST", "/events")
    );
    assert_eq!(
        body_of(&req),
        json!({"channels": ["a", "b"], "event": "e", "data": {"n": 1}, "socket_id": "1.2"})
    );
    assert_eq!(
        req.headers["authorization"],
        format!("Bearer {KEY}").as_str()
    );
    assert_eq!(req.headers["content-type"], "application/json");
    assert!(req.signature_valid);
}

#[tokio::test]
async fn one_channel_is_a_one_element_array_and_a_string_payload_passes_unchanged() {
    let fake = Fake::start(vec![ok(
        json!({"channels": ["chat"], "event": "e", "triggered": 0}),
    )])
    .await;
    let (server, _) = fake.client(Options::default());
    server.trigger("chat", "e", "plain text").await.unwrap();
    assert_eq!(
        body_of(&fake.last()),
        json!({"channels": ["chat"], "event": "e", "data": "plain text"})
    );
    let err = server
        .trigger(Vec::<String>::new(), "e", ())
        .await
        .unwrap_err();
    assert_eq!(err.code(), codes::MISSING_PARAMETER);
}

#[tokio::test]
async fn batch_trigger_sends_one_entry_per_event_and_keeps_the_batch_id() {
    let answer = r#"{"batch_id":1674123456789123456,"total_events":2,"total_triggered":2}"#;
    let fake = Fake::start(vec![(200, answer.into(), vec![])]).await;
    let (server, _) = fake.client(Options::default());
    let mut second = BatchEvent::new("user-456", "notification", 1);
    second.socket_id = Some("9.9".into());
    let events = [
        BatchEvent::new("user-123", "notification", json!({"type": "message"})),
        second,
    ];
    let result = server.batch_trigger(&events).await.unwrap();
    assert_eq!(result.batch_id, 1_674_123_456_789_123_456);
    let want = json!({"batch": [
        {"channel": "user-123", "name": "notification", "data": {"type": "message"}},
        {"channel": "user-456", "name": "notification", "data": 1, "socket_id": "9.9"}]});
    assert_eq!(body_of(&fake.last()), want);
    assert!(fake.last().signature_valid);
    let nameless = [BatchEvent::new("a", "", 1)];
    assert_eq!(
        server.batch_trigger(&nameless).await.unwrap_err().code(),
        codes::MISSING_PARAMETER
    );
}

#[tokio::test]
async fn create_access_token_posts_the_user_as_socket_id() {
    let token = json!({"access_token": "eyJ.x.y", "token_type": "Bearer", "expires_in": 60, "tenant_id": "1"});
    let fake = Fake::start(vec![ok(token)]).await;
    let (server, _) = fake.client(Options::default());
    let options = AccessTokenOptions {
        permissions: Some(vec!["read".into()]),
        expires_in: Some(60),
    };
    let got = server
        .create_access_token("user_123", options)
        .await
        .unwrap();
    assert_eq!((got.access_token.as_str(), got.expires_in), ("eyJ.x.y", 60));
    assert_eq!(fake.last().target, "/apps/token");
    assert_eq!(
        body_of(&fake.last()),
        json!({"socket_id": "user_123", "permissions": ["read"], "expires_in": 60})
    );
}

#[tokio::test]
async fn channel_queries_encode_names_sign_path_and_query_and_read_the_fields() {
    let fake = Fake::start(vec![
        ok(json!({"channels": [{"channel": "presence-a", "member_count": 1,
            "members": [{"user_id": "u", "user_info": null, "socket_id": "1.2"}]}], "total_channels": 1})),
        ok(json!({"channel": "a=b", "occupied": true, "member_count": 2, "subscription_count": 2})),
        ok(json!({"users": [{"id": "u1", "user_info": {"name": "A"}}, {"id": "u2"}]})),
    ])
    .await;
    let (server, _) = fake.client(Options::default());
    let list = server.get_channels(Some("presence-")).await.unwrap();
    let req = fake.last();
    assert_eq!(
        (req.method.as_str(), req.target.as_str(), req.body.as_str()),
        ("GET", "/channels?filter_by_prefix=presence-", "")
    );
    assert!(req.signature_valid);
    assert_eq!(
        list.channels[0].members.as_ref().unwrap()[0]
            .socket_id
            .as_deref(),
        Some("1.2")
    );
    let info = server.get_channel_info("a=b").await.unwrap();
    assert_eq!(fake.last().target, "/channels/a%3Db");
    assert!(fake.last().signature_valid);
    assert_eq!(
        (info.occupied, info.subscription_count, info.user_count),
        (true, Some(2), None)
    );
    let users = server.get_users("presence-a").await.unwrap();
    assert_eq!(fake.last().target, "/channels/presence-a/users");
    assert_eq!(
        (users.users[1].id.as_str(), &users.users[1].user_info),
        ("u2", &Value::Null)
    );
}

#[tokio::test]
async fn terminate_user_connections_posts_to_the_encoded_user_path() {
    let fake = Fake::start(vec![ok(json!({"terminated": 2}))]).await;
    let (server, _) = fake.client(Options::default());
    assert_eq!(
        server.terminate_user_connections("user@1").await.unwrap(),
        2
    );
    assert_eq!(
        (fake.last().target.as_str(), fake.last().body.as_str()),
        ("/users/user%401/terminate_connections", "{}")
    );
    assert!(fake.last().signature_valid);
    assert_eq!(
        server
            .terminate_user_connections("")
            .await
            .unwrap_err()
            .code(),
        codes::MISSING_PARAMETER
    );
}

#[tokio::test]
async fn a_documented_error_body_becomes_an_api_error_and_others_http_error() {
    let bad = json!({"error": "Invalid channel name", "code": "INVALID_CHANNEL", "details": {"channel": "a b"}});
    let fake = Fake::start(vec![
        (400, bad.to_string(), vec![]),
        (502, "<html>bad gateway</html>".into(), vec![]),
    ])
    .await;
    let (server, _) = fake.client(Options::default());
    match server.trigger("a b", "e", ()).await.unwrap_err() {
        Error::Api {
            status,
            code,
            message,
            details,
        } => {
            assert_eq!(
                (status, code.as_str(), message.as_str()),
                (400, "INVALID_CHANNEL", "Invalid channel name")
            );
            assert_eq!(details, Some(json!({"channel": "a b"})));
        }
        other => panic!("{other:?}"),
    }
    let err = server.get_channels(None).await.unwrap_err();
    assert_eq!((err.code(), err.status()), (codes::HTTP_ERROR, Some(502)));
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_each_attempt_signed_anew() {
    let fake = Fake::start(vec![
        limited(),
        limited(),
        ok(json!({"channels": ["a"], "event": "e", "triggered": 1})),
    ])
    .await;
    let (server, waits) = fake.client(Options::default());
    assert_eq!(server.trigger("a", "e", ()).await.unwrap().triggered, 1);
    assert_eq!(*waits.lock().unwrap(), vec![Duration::from_secs(2); 2]);
    let requests = fake.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r.signature_valid));
    let nonces: std::collections::HashSet<_> = requests
        .iter()
        .map(|r| r.headers["x-lattestream-nonce"].clone())
        .collect();
    assert_eq!(nonces.len(), 3);
}

#[tokio::test]
async fn without_retries_left_the_429_is_rate_limited_and_other_errors_are_not_retried() {
    let invalid_key = json!({"error": "Invalid API key", "code": "INVALID_API_KEY"});
    let fake = Fake::start(vec![
        limited(),
        limited(),
        (401, invalid_key.to_string(), vec![]),
    ])
    .await;
    let (server, waits) = fake.client(Options::default().max_retries(1));
    let err = server.trigger("a", "e", ()).await.unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { retry_after, .. } if retry_after == Duration::from_secs(2))
    );
    assert_eq!(
        (err.code(), err.status()),
        (codes::RATE_LIMIT_EXCEEDED, Some(429))
    );
    assert_eq!(waits.lock().unwrap().len(), 1);
    assert_eq!(
        server.trigger("a", "e", ()).await.unwrap_err().code(),
        codes::INVALID_API_KEY
    );
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test]
async fn a_silent_server_is_a_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let held = tokio::spawn(async move { listener.accept().await });
    let options = Options::default()
        .ws_endpoint(endpoint)
        .timeout(Duration::from_millis(50));
    let err = LatteStreamServer::with_options(KEY, options)
        .unwrap()
        .get_channels(None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), codes::TIMEOUT, "{err:?}");
    held.abort();
}

#[tokio::test]
async fn an_unreachable_server_is_a_connection_error() {
    let server = LatteStreamServer::with_options(
        KEY,
        Options::default().ws_endpoint("127.0.0.1:1").use_tls(false),
    )
    .unwrap();
    let err = server.get_channels(None).await.unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    assert_eq!(err.code(), codes::CONNECTION_ERROR);
    let public = LatteStreamServer::new("lspk_public").err().unwrap();
    assert_eq!(public.code(), codes::INVALID_CONFIG);
}
