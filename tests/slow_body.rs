//! Request bodies on the server's terms: a body that stops arriving or never ends is answered 408 and
//! its connection closed, a `Content-Length` over the limit is refused before the body is sent, an
//! address has a bounded number of bodies in flight, and a body dripped a byte per TCP segment costs
//! the bytes received, not an allocation per segment — on our API and the Pusher API alike.

mod common;

use std::time::Duration;

use common::{SECRET, TestServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PATHS: [&str; 2] = ["/events", "/apps/1/events"];

fn config(body_timeout: Duration, per_address: usize) -> lattestream::config::Config {
    let mut config = common::test_config();
    config.http.body_timeout = body_timeout;
    config.http.max_pending_bodies_per_address = per_address;
    config.apps[0].settings.rate_limits.enabled = false;
    config
}

/// Sends a request head (and the start of a body), returns the connection.
async fn open(server: &TestServer, head: &str) -> TcpStream {
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp
}

fn head(path: &str, extra: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {SECRET}\r\n\
         Content-Type: application/json\r\n{extra}\r\n"
    )
}

/// Everything the server sends until it closes the connection: the status line first.
async fn answer(tcp: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server closes the connection");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_body_that_stops_or_never_ends_is_answered_408_and_closed() {
    let server = TestServer::with_config(config(Duration::from_millis(300), 64)).await;
    for path in PATHS {
        let mut stalled = open(&server, &head(path, "Content-Length: 1000\r\n")).await;
        stalled.write_all(b"{\"channels\"").await.unwrap();
        let chunked = head(path, "Transfer-Encoding: chunked\r\n");
        let mut endless = open(&server, &chunked).await;
        endless.write_all(b"5\r\n{\"a\":\r\n").await.unwrap();
        for tcp in [&mut stalled, &mut endless] {
            let answer = answer(tcp).await;
            assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
        }
    }
}

#[tokio::test]
async fn a_length_over_the_limit_is_refused_before_the_body_is_sent() {
    let server = TestServer::with_config(config(Duration::from_secs(30), 64)).await;
    for path in PATHS {
        let mut tcp = open(&server, &head(path, "Content-Length: 10000000000\r\n")).await;
        let answer = answer(&mut tcp).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
    }
    let mut tcp = open(&server, &head("/events", "Content-Length: 10000000000\r\n")).await;
    assert!(answer(&mut tcp).await.contains("PAYLOAD_TOO_LARGE"));
}

#[tokio::test]
async fn an_address_has_a_bounded_number_of_bodies_in_flight() {
    let server = TestServer::with_config(config(Duration::from_secs(30), 2)).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut tcp = open(&server, &head("/events", "Content-Length: 100\r\n")).await;
        tcp.write_all(b"{").await.unwrap();
        held.push(tcp);
    }
    // The first two are being read; the third is refused at once.
    common::wait_until(|| server.node.metrics().bodies_in_flight() == 2).await;
    let mut third = open(&server, &head("/events", "Content-Length: 100\r\n")).await;
    third.write_all(b"{").await.unwrap();
    let answer = answer(&mut third).await;
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("retry-after: 1"),
        "{answer}"
    );
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// 100 connections drip a 1,000-byte body one byte per segment: the server's memory grows by about
/// the bytes received (it grew about 4 KB per byte before bodies were gathered into one buffer), and
/// every request is answered and its connection closed or completed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_dripped_byte_by_byte_costs_its_bytes_not_its_segments() {
    const CONNECTIONS: usize = 100;
    const BYTES: usize = 1000;
    let server = TestServer::with_config(config(Duration::from_secs(60), CONNECTIONS)).await;
    let mut body = format!(
        r#"{{"channels":["drip"],"event":"e","data":"{}"}}"#,
        "x".repeat(BYTES)
    );
    body.truncate(BYTES - 2);
    body.push_str("\"}");
    let request = head("/events", &format!("Content-Length: {}\r\n", body.len()));
    let mut connections = Vec::new();
    for _ in 0..CONNECTIONS {
        connections.push(open(&server, &request).await);
    }
    let before = rss_kib();
    let mut peak = before;
    for byte in body.as_bytes() {
        for tcp in &mut connections {
            tcp.write_all(std::slice::from_ref(byte)).await.unwrap();
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
        peak = peak.max(rss_kib());
    }
    for tcp in &mut connections {
        let mut head = [0u8; 12];
        tcp.read_exact(&mut head).await.unwrap();
        assert_eq!(&head, b"HTTP/1.1 200");
    }
    let grown = peak.saturating_sub(before);
    println!("dripped {CONNECTIONS} x {BYTES} bytes one per segment: RSS +{grown} KiB at peak");
    assert!(
        grown < 40 * 1024,
        "grew {grown} KiB for {} KiB of bodies",
        CONNECTIONS * BYTES / 1024
    );
}
