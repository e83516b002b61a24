//! An isolated Redis for each test. With `redis-server` on the PATH (`scripts/test.sh` installs it),
//! a test gets a server of its own on a free port, without persistence, killed when the test ends;
//! otherwise it shares the local server at 127.0.0.1:6379. Either way it gets a key prefix no other test
//! uses. Tests that kill and restart Redis ask for a server of their own ([`TestRedis::own`]).
//!
//! Shared by the integration tests (`tests/common`) and the crate's unit tests (`src/redis/testing.rs`
//! includes this file), so it uses only `std` and the `redis` crate.
#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The shared server used when `redis-server` cannot be started.
const LOCAL: &str = "redis://127.0.0.1:6379/";
/// How long a new server has to answer `PING`: a bound against hangs on a loaded machine.
const START_PATIENCE: Duration = Duration::from_secs(10);

/// A Redis for one test.
pub struct TestRedis {
    /// `redis://127.0.0.1:PORT/`.
    pub url: String,
    /// A key prefix no other test uses.
    pub prefix: String,
    port: u16,
    server: Option<Child>,
}

impl TestRedis {
    /// A server of this test's own when `redis-server` is installed, else the local one.
    pub fn start() -> Self {
        match installed() {
            true => Self::own(),
            false => Self::shared(),
        }
    }

    /// A server of this test's own, which it may stop and restart.
    pub fn own() -> Self {
        assert!(
            installed(),
            "redis-server is not on the PATH (scripts/test.sh installs it)"
        );
        for _ in 0..5 {
            let port = free_port();
            if let Some(server) = spawn(port) {
                return Self {
                    url: url(port),
                    prefix: unique_prefix(),
                    port,
                    server: Some(server),
                };
            }
        }
        panic!("redis-server would not start on a free port");
    }

    /// The local server, with a fresh prefix.
    fn shared() -> Self {
        let test = Self {
            url: LOCAL.into(),
            prefix: unique_prefix(),
            port: 6379,
            server: None,
        };
        assert!(
            answers(&test.url),
            "neither redis-server on the PATH nor Redis at {LOCAL}"
        );
        test
    }

    /// A URL where nothing listens: for starts that must fail.
    pub fn unreachable_url() -> String {
        url(free_port())
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server (SIGKILL) and waits for it to go.
    pub fn stop(&mut self) {
        let mut server = self.server.take().expect("only an own server is stopped");
        let _ = server.kill();
        let _ = server.wait();
    }

    /// Starts the server again on the same port, empty.
    pub fn restart(&mut self) {
        assert!(self.server.is_none(), "stop it first");
        self.server = Some(spawn(self.port).expect("redis-server restarts on its port"));
    }

    /// Makes the server stop answering while keeping its connections open (SIGSTOP), as a hung or
    /// cut-off Redis does; [`TestRedis::thaw`] resumes it.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    /// Resumes a frozen server (SIGCONT).
    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let server = self
            .server
            .as_ref()
            .expect("only an own server is signalled");
        let sent = Command::new("kill")
            .args([signal, &server.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill {signal}");
    }

    /// A blocking connection, for looking at what the server holds.
    pub fn connection(&self) -> redis::Connection {
        redis::Client::open(self.url.as_str())
            .and_then(|c| c.get_connection())
            .expect("a connection to the test Redis")
    }

    /// Calls per command since the server started (`INFO commandstats`), e.g. `("evalsha", 3)`.
    pub fn command_calls(&self) -> Vec<(String, u64)> {
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query(&mut self.connection())
            .expect("INFO commandstats");
        info.lines()
            .filter_map(|line| {
                let (name, stats) = line.strip_prefix("cmdstat_")?.split_once(':')?;
                let calls = stats.strip_prefix("calls=")?.split(',').next()?;
                Some((name.to_owned(), calls.parse().ok()?))
            })
            .collect()
    }

    /// Forgets the command counts so far (`CONFIG RESETSTAT`).
    /// A counter of `INFO stats` (e.g. `total_net_input_bytes`), 0 when absent.
    pub fn stat(&self, name: &str) -> u64 {
        let info: String = redis::cmd("INFO")
            .arg("stats")
            .query(&mut self.connection())
            .expect("INFO stats");
        let prefix = format!("{name}:");
        info.lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Forgets the counters of `INFO commandstats` and `INFO stats`.
    pub fn reset_stats(&self) {
        redis::cmd("CONFIG")
            .arg("RESETSTAT")
            .query::<()>(&mut self.connection())
            .expect("CONFIG RESETSTAT");
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}

fn url(port: u16) -> String {
    format!("redis://127.0.0.1:{port}/")
}

/// Whether `redis-server` can be run.
fn installed() -> bool {
    Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A port nothing listened on a moment ago (redis-server cannot pick one itself).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// Starts `redis-server` on `port` and waits until it answers; `None` when it exits first (the port
/// was taken meanwhile).
fn spawn(port: u16) -> Option<Child> {
    let mut server = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run redis-server");
    let started = Instant::now();
    while started.elapsed() < START_PATIENCE {
        if served_by(&url(port)) == Some(server.id()) {
            return Some(server);
        }
        if server.try_wait().ok().flatten().is_some() {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = server.kill();
    let _ = server.wait();
    None
}

/// Whether a Redis at `url` answers `PING`.
fn answers(url: &str) -> bool {
    connect(url)
        .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c).ok())
        .is_some()
}

/// The process id of the Redis answering at `url`, so a server that lost the race for its port is
/// not mistaken for another test's.
fn served_by(url: &str) -> Option<u32> {
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query(&mut connect(url)?)
        .ok()?;
    info.lines()
        .find_map(|line| line.strip_prefix("process_id:"))
        .and_then(|pid| pid.trim().parse().ok())
}

fn connect(url: &str) -> Option<redis::Connection> {
    redis::Client::open(url)
        .ok()?
        .get_connection_with_timeout(Duration::from_millis(200))
        .ok()
}

/// `t<pid>-<n>-<nanos>`: unique across tests and test processes.
fn unique_prefix() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("t{}-{n}-{nanos}", std::process::id())
}
