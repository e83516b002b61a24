//! Server-enforced keep-alive on paused time: after `activity_timeout` of silence the server pings;
//! without a pong within `pong_timeout` it closes with 4201.

mod common;

use std::time::Duration;

use common::raw::{self, RawWs};
use common::{Dialect, TestServer};
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

/// A client that answers nothing, not even RFC 6455 pings (written by hand: WebSocket libraries
/// answer those by themselves).
async fn silent_client(server: &TestServer, dialect: Dialect) -> RawWs {
    let mut raw = match dialect {
        Dialect::Pusher => {
            let path = format!("/app/{}?protocol=7", common::KEY);
            RawWs::connect(server.addr, &path).await
        }
        Dialect::LatteStream => {
            let mut raw = RawWs::connect(server.addr, "/").await;
            raw.send_text(&json!({"api_key": common::KEY}).to_string())
                .await;
            raw
        }
    };
    let greeting = raw.next_frame().await.unwrap().json();
    assert!(
        greeting["event"]
            .as_str()
            .unwrap()
            .ends_with(":connection_established")
    );
    raw
}

async fn silent_clients_are_pinged_then_closed(dialect: Dialect) {
    let server = TestServer::with_config(config()).await;
    let mut c = silent_client(&server, dialect).await;
    let start = Instant::now();
    let (mut frames, mut closed_at) = (Vec::new(), None);
    while let Some(frame) = c.next_frame().await {
        if frame.opcode == raw::CLOSE {
            closed_at = Some(start.elapsed());
        }
        frames.push((start.elapsed(), frame));
    }
    let rfc_ping = frames.iter().find(|(_, f)| f.opcode == raw::PING);
    let json_ping = frames
        .iter()
        .find(|(_, f)| f.opcode == raw::TEXT && f.json()["event"].as_str() == Some(&ping(dialect)));
    for (at, _) in [rfc_ping, json_ping].map(|p| p.expect("both pings")) {
        assert!(
            *at >= Duration::from_secs(120),
            "no ping before the activity timeout"
        );
    }
    let close = frames.iter().find(|(_, f)| f.opcode == raw::CLOSE).unwrap();
    assert_eq!(close.1.close_code(), Some(4201));
    assert!(
        closed_at.unwrap() >= Duration::from_secs(150),
        "no close before the pong timeout"
    );
}

fn ping(dialect: Dialect) -> String {
    match dialect {
        Dialect::Pusher => "pusher:ping".into(),
        Dialect::LatteStream => "lattestream:ping".into(),
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

/// The official client never answers `lattestream:ping`; its WebSocket answers RFC 6455 pings by
/// itself, and that pong alone keeps it connected across many activity timeouts.
#[tokio::test(start_paused = true)]
async fn a_client_answering_only_rfc_pings_stays_connected() {
    let server = TestServer::with_config(config()).await;
    let mut c = server.lattestream(common::KEY).await;
    let start = Instant::now();
    let mut json_pings = 0;
    while start.elapsed() < Duration::from_secs(10 * 150) {
        let frame = c.next_untimed().await.expect("still open");
        assert_eq!(frame["event"], "lattestream:ping");
        json_pings += 1;
    }
    assert!(json_pings >= 10, "pinged every activity timeout");
    c.send(json!({"event": "lattestream:subscribe", "data": {"channel": "alive"}}))
        .await;
    loop {
        let frame = c.next_untimed().await.expect("still open");
        if frame["event"] == "lattestream_internal:subscription_succeeded" {
            break;
        }
    }
}

/// Any frame proves the client alive: a client that only ever sends its own JSON ping (as the
/// official client does when it has heard nothing) is not closed either.
#[tokio::test(start_paused = true)]
async fn any_inbound_frame_counts_as_an_answer() {
    let server = TestServer::with_config(config()).await;
    let mut c = silent_client(&server, Dialect::LatteStream).await;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5 * 150) {
        let frame = c.next_frame().await.expect("still open");
        assert_ne!(frame.opcode, raw::CLOSE, "closed though the client spoke");
        if frame.opcode == raw::TEXT && frame.json()["event"] == "lattestream:ping" {
            let ping = json!({"event": "lattestream:ping", "data": {}});
            c.send_text(&ping.to_string()).await;
        }
    }
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
