//! What idle connections cost the server's heap, counted by a counting allocator, and that all of it
//! is given back once they leave. The clients are plain blocking sockets writing and reading from
//! buffers on the stack, so every byte counted between the two readings is the server's.
//!
//! The bounds are the measured figures with a margin (docs/performance.md, "Memory"): a change that
//! makes a connection, a channel or a subscription fatter fails here, not months later in production.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use common::{KEY, TestServer};

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Connections per measurement: enough that the maps' share per connection is what it is at scale.
const CONNECTIONS: usize = 2_000;

/// Heap bytes per idle Pusher connection subscribed to a channel of its own: measured 1,771 B in
/// this test's (debug) build on 2026-12-07; a release build counts 1,710 B, 2,957 B before the
/// slimming (examples/alloc_probe.rs).
const OWN_CHANNEL_BOUND: isize = 1_900;
/// Heap bytes per idle connection when 2,000 share 20 channels: measured 1,343 B.
const SHARED_CHANNEL_BOUND: isize = 1_450;

#[test]
fn an_idle_connection_on_its_own_channel_costs_little_and_is_given_back() {
    check(CONNECTIONS, OWN_CHANNEL_BOUND);
}

#[test]
fn idle_connections_on_shared_channels_cost_less_and_are_given_back() {
    check(20, SHARED_CHANNEL_BOUND);
}

/// Measures [`CONNECTIONS`] idle connections over `channels` channels: at most `bound` heap bytes
/// each, and at most a tenth of their growth still held once they left.
fn check(channels: usize, bound: isize) {
    let (per_connection, kept) = measure(channels);
    eprintln!(
        "{channels} channels: {per_connection} B per connection, {kept} B kept after leaving"
    );
    assert!(per_connection <= bound, "{per_connection} B per connection");
    assert!(
        kept <= per_connection * CONNECTIONS as isize / 10,
        "{kept} B kept after everyone left"
    );
}

/// Connects [`CONNECTIONS`] clients to a fresh server, each subscribed to channel `i % channels`,
/// and returns the heap bytes per connection and what the heap still holds once they all left (the
/// issue's goal: within 10 % of the growth).
/// The tests in this file run one after the other (a shared lock), as the count is process-wide.
fn measure(channels: usize) -> (isize, isize) {
    let _alone = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(TestServer::start());
    let node = server.node.clone();
    let settled = |count: usize| settle(|| node.local_connections() == count);

    // A first round, so whatever the server sets up once (app state, lazy tables) is not counted.
    let mut clients = Vec::with_capacity(CONNECTIONS);
    connect(server.addr, 50, channels, &mut clients);
    clients.clear();
    let baseline = settled(0);

    connect(server.addr, CONNECTIONS, channels, &mut clients);
    let connected = settled(CONNECTIONS);
    clients.clear();
    let left = settled(0);

    runtime.block_on(server.shutdown());
    let per_connection = (connected - baseline) / CONNECTIONS as isize;
    (per_connection, left - baseline)
}

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Waits (bounded) until `done` and the live heap stops changing; returns the live heap then.
fn settle(done: impl Fn() -> bool) -> isize {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = LIVE.load(Ordering::Relaxed);
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let now = LIVE.load(Ordering::Relaxed);
        if done() && now == last {
            return now;
        }
        assert!(Instant::now() < deadline, "the server did not settle");
        last = now;
    }
}

/// Opens `n` Pusher connections, each subscribed to `room-{i % channels}` and confirmed, into
/// `into` (whose room is reserved by the caller: nothing here allocates per client).
fn connect(addr: SocketAddr, n: usize, channels: usize, into: &mut Vec<TcpStream>) {
    for i in 0..n {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut request = [0u8; 256];
        let len = {
            let mut w = &mut request[..];
            write!(
                w,
                "GET /app/{KEY}?protocol=7 HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                 Sec-WebSocket-Version: 13\r\n\r\n"
            )
            .unwrap();
            256 - w.len()
        };
        stream.write_all(&request[..len]).unwrap();
        read_until(&mut stream, b"connection_established");
        let (frame, len) = subscribe_frame(i % channels);
        stream.write_all(&frame[..len]).unwrap();
        read_until(&mut stream, b"subscription_succeeded");
        into.push(stream);
    }
}

/// A masked (with a zero key) text frame subscribing to `room-{n}`.
fn subscribe_frame(n: usize) -> ([u8; 128], usize) {
    let mut payload = [0u8; 120];
    let len = {
        let mut w = &mut payload[..];
        write!(
            w,
            r#"{{"event":"pusher:subscribe","data":{{"channel":"room-{n}"}}}}"#
        )
        .unwrap();
        120 - w.len()
    };
    let mut frame = [0u8; 128];
    frame[0] = 0x81;
    frame[1] = 0x80 | len as u8;
    frame[6..6 + len].copy_from_slice(&payload[..len]);
    (frame, 6 + len)
}

/// Reads until `needle` has arrived (it may span reads).
fn read_until(stream: &mut TcpStream, needle: &[u8]) {
    let mut buf = [0u8; 2048];
    let mut filled = 0;
    loop {
        let n = stream.read(&mut buf[filled..]).unwrap();
        assert!(n > 0, "the server closed the connection");
        filled += n;
        if buf[..filled].windows(needle.len()).any(|w| w == needle) {
            return;
        }
        assert!(filled < buf.len(), "no {needle:?} in the server's answer");
    }
}
