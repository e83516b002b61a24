//! No secret in any log line: the server's tracing output is captured while tokens, channel
//! authorizations, events and connections are exercised with the private key, then searched for the key
//! and for the issued JWT. The capture must hold the handlers' lines, so the test cannot pass vacuously.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{KEY, SECRET, TestServer, WsClient};
use lattestream::auth::{Secret, hmac_hex};
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Every log line written, in one buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

/// Everything a backend does with the private key, over HTTP and WebSocket.
async fn exercise(server: &TestServer) -> String {
    let token = server
        .send(|c| {
            c.post(server.url("/apps/token"))
                .json(&json!({"api_key": SECRET, "socket_id": "alice"}))
        })
        .await;
    assert_eq!(token.status, 200, "{}", token.body);
    let jwt = token.body["access_token"].as_str().unwrap().to_owned();
    let mut c = server.lattestream(&jwt).await;
    let auth = server
        .post_json(
            "/auth",
            SECRET,
            &json!({"socket_id": c.socket_id, "channel_name": "private-a"}),
        )
        .await;
    assert_eq!(auth.status, 200);
    c.subscribe("private-a", None).await;
    server.trigger("private-a", "e", json!({"x": 1})).await;
    c.expect("e").await;
    server
        .post_json(
            "/batch_events",
            SECRET,
            &json!({"batch": [{"channel": "a", "name": "e"}]}),
        )
        .await;
    server.get("/channels", SECRET).await;
    server.get("/channels", "lsk_wrong_secret").await;
    let mut trusted = server.lattestream(SECRET).await;
    trusted
        .subscribe("presence-x", Some("{\"user_id\":\"u\"}"))
        .await;
    let mut refused = WsClient::lattestream_raw(server.addr, &format!("{jwt}x")).await;
    refused.expect_close().await;
    let body = json!({"channel": "a", "event": "e", "data": "{}"}).to_string();
    let (timestamp, nonce) = (now().to_string(), "n-1".to_owned());
    let message = format!("POST\n/events\n{body}{timestamp}{nonce}");
    let signature = hmac_hex(&Secret::new(SECRET), &message);
    for _ in 0..2 {
        let url = server.url("/events");
        let headers = [
            ("Authorization", SECRET.to_owned()),
            ("X-LatteStream-Timestamp", timestamp.clone()),
            ("X-LatteStream-Nonce", nonce.clone()),
            ("X-LatteStream-Signature", signature.clone()),
        ];
        let body = body.clone();
        server
            .send(|c| {
                headers
                    .into_iter()
                    .fold(c.post(url), |r, (k, v)| r.header(k, v))
                    .body(body)
            })
            .await;
    }
    let url = server.url(&format!("/discover?api_key={KEY}"));
    server.send(|c| c.get(url)).await;
    server
        .post_json("/users/alice/terminate_connections", SECRET, &json!({}))
        .await;
    c.expect_close().await;
    jwt
}

#[tokio::test]
async fn no_secret_or_token_appears_in_the_logs() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(capture.clone())
        .with_ansi(false)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    let server = TestServer::start().await;
    let jwt = exercise(&server).await;
    server.shutdown().await;
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("issued an access token"),
        "the capture works:\n{logs}"
    );
    assert!(logs.contains("authorized a channel subscription"));
    assert!(logs.contains("triggered an event"));
    assert!(
        logs.contains("refused a signed request"),
        "the replay was logged"
    );
    assert!(
        !logs.contains(SECRET),
        "the private key leaked into the logs"
    );
    assert!(
        !logs.contains(&SECRET[4..]),
        "part of the private key leaked into the logs"
    );
    assert!(
        !logs.contains(&jwt),
        "the access token leaked into the logs"
    );
    let signature = jwt.rsplit('.').next().unwrap();
    assert!(
        !logs.contains(signature),
        "the token's signature leaked into the logs"
    );
}
