//! Server-enforced keep-alive on paused time: after `activity_timeout` of silence the server pings;
//! without a pong within `pong_timeout` it closes with 4201.

mod common;

use std::time::Duration;

use common::{Dialect, TestServer, WsClient};
use serde_json::json;
use tokio::time::Instant;

fn config() -> lattestream::config::Config {
    let mut config = common::test_config();
    config.websocket.activity_timeout = Duration::from_secs(120);
    config.websocket.pong_timeout = Duration::from_secs(30);
    // Paused time reaches only the test's runtime: HTTP must run there for its timers to be paused too.
    config.http.threads = 0;
    config
}

async fn connect(server: &TestServer, dialect: Dialect) -> WsClient {
    match dialect {
        Dialect::Pusher => server.pusher().await,
        Dialect::LatteStream => server.lattestream(common::KEY).await,
    }
}

async fn silent_clients_are_pinged_then_closed(dialect: Dialect) {
    let server = TestServer::with_config(config()).await;
    let mut c = connect(&server, dialect).await;
    let start = Instant::now();
    let ping = c.next_untimed().await.unwrap();
    assert_eq!(ping["event"], c.name("ping"));
    assert!(
        start.elapsed() >= Duration::from_secs(120),
        "no ping before the activity timeout"
    );
    let close = c.next_untimed().await;
    assert!(
        start.elapsed() >= Duration::from_secs(150),
        "no close before the pong timeout"
    );
    match close {
        Ok(error) => {
            assert_eq!(error["data"]["code"], 4201);
            assert_eq!(c.next_untimed().await, Err(Some(4201)));
        }
        Err(code) => assert_eq!(code, Some(4201)),
    }
}

#[tokio::test(start_paused = true)]
async fn pusher_silent_clients_are_closed_with_4201() {
    silent_clients_are_pinged_then_closed(Dialect::Pusher).await;
}

#[tokio::test(start_paused = true)]
async fn lattestream_silent_clients_are_closed_with_4201() {
    silent_clients_are_pinged_then_closed(Dialect::LatteStream).await;
}

#[tokio::test(start_paused = true)]
async fn a_pong_keeps_the_connection_alive() {
    let server = TestServer::with_config(config()).await;
    let mut c = server.pusher().await;
    for _ in 0..3 {
        let ping = c.next_untimed().await.unwrap();
        assert_eq!(ping["event"], "pusher:ping");
        c.send(json!({"event": "pusher:pong", "data": {}})).await;
    }
    c.send(json!({"event": "pusher:ping", "data": {}})).await;
    loop {
        let frame = c
            .next_untimed()
            .await
            .expect("still open after three rounds");
        if frame["event"] == "pusher:pong" {
            break;
        }
        assert_eq!(
            frame["event"], "pusher:ping",
            "only pings may come first: paused time may jump ahead"
        );
    }
}

/// A client that opens a connection and never finishes its request headers is disconnected once
/// hyper's header timeout (30 s) passes, instead of holding a socket for ever.
#[tokio::test(start_paused = true)]
async fn a_connection_that_never_finishes_its_headers_is_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::with_config(config()).await;
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(b"GET /app/key HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let start = Instant::now();
    let mut rest = Vec::new();
    // Paused time: the ten minutes pass at once if the server never closes.
    let closed = tokio::time::timeout(Duration::from_secs(600), tcp.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "still open after ten minutes");
    assert!(
        start.elapsed() >= Duration::from_secs(30),
        "closed before the header timeout"
    );
}
