//! CI smoke test of the generator: start a server on a free loopback port,
//! run `fanout` with a few hundred subscribers for a few seconds, and
//! require that every published event reached every subscriber. No
//! wall-clock thresholds: only completeness is asserted.
//!
//! The bare ceiling server is always used. The real `lattestream` server is
//! smoke-tested too when a binary is found: `LATTESTREAM_BIN`, else the
//! workspace's `target/debug/lattestream` (CI builds it before testing).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Kills the server when the test ends, pass or fail.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `lattestream-bare` on port 0 and reads the address it printed.
fn start_bare() -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lattestream-bare"))
        .args(["--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start lattestream-bare");
    let mut line = String::new();
    let out = child.stdout.take().expect("piped stdout");
    BufReader::new(out)
        .read_line(&mut line)
        .expect("read address");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect("address line")
        .to_string();
    (Server(child), addr)
}

/// Runs the generator's fanout with `--require-all`; true when it passed.
fn fanout(addr: &str, api: &str, dialect: &str, extra: &[&str]) -> bool {
    let json =
        std::env::temp_dir().join(format!("smoke-{}-{api}-{dialect}.json", std::process::id()));
    let status = Command::new(env!("CARGO_BIN_EXE_lattestream-bench"))
        .arg("fanout")
        .args([
            "--url",
            &format!("ws://{addr}"),
            "--api",
            api,
            "--dialect",
            dialect,
        ])
        .args([
            "--app-id",
            "1",
            "--key",
            "lspk_bench",
            "--secret",
            "lsk_benchsecret",
        ])
        .args(["--connections", "300", "--rate", "20", "--duration", "2s"])
        .args(["--drain-timeout", "30s", "--require-all", "--json"])
        .arg(&json)
        .args(extra)
        .status()
        .expect("run lattestream-bench");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json written"))
            .expect("valid json");
    let _ = std::fs::remove_file(&json);
    assert!(
        report["sent"].as_u64().unwrap_or(0) > 0,
        "nothing was published: {report}"
    );
    assert_eq!(report["received"], report["expected"], "{report}");
    status.success()
}

#[test]
fn fanout_delivers_everything_on_bare_server() {
    let (_server, addr) = start_bare();
    assert!(fanout(&addr, "lattestream", "pusher", &[]));
    assert!(fanout(&addr, "pusher", "lattestream", &[]));
}

#[test]
fn fanout_over_worker_processes_delivers_everything() {
    let (_server, addr) = start_bare();
    assert!(fanout(&addr, "pusher", "pusher", &["--per-process", "100"]));
}

#[test]
fn fanout_delivers_everything_on_lattestream_server() {
    let Some(bin) = server_binary() else {
        eprintln!("no lattestream binary (LATTESTREAM_BIN or target/debug): skipping");
        return;
    };
    let dir = std::env::temp_dir().join(format!("lattestream-smoke-{}", std::process::id()));
    // Port 0: the server picks a free port and logs it, so no other test can take it in between.
    let mut child = Command::new(bin)
        .args(["--addr", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
        .envs([
            ("LATTESTREAM_APP_RATE_LIMIT", "false"),
            ("LATTESTREAM_APP_ID", "1"),
            ("LATTESTREAM_APP_KEY", "lspk_bench"),
            ("LATTESTREAM_APP_SECRET", "lsk_benchsecret"),
            ("LATTESTREAM_APP_CLIENT_EVENTS", "true"),
            ("LATTESTREAM_LOG", "info"),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .expect("start lattestream");
    let stderr = child.stderr.take().expect("piped stderr");
    let _server = Server(child);
    let addr = serving_address(stderr);
    assert!(fanout(&addr, "lattestream", "pusher", &[]));
    assert!(fanout(&addr, "lattestream", "lattestream", &[]));
    let _ = std::fs::remove_dir_all(dir);
}

/// Reads the server's log until it says where it serves, then keeps draining it on a thread so a
/// full pipe never blocks the server.
fn serving_address(stderr: std::process::ChildStderr) -> String {
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server logs where it serves")
            .unwrap();
        if let Some(rest) = line
            .split("addr=")
            .nth(1)
            .filter(|_| line.contains("is serving"))
        {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    addr
}

/// The server binary to test: `LATTESTREAM_BIN`, else the workspace build.
fn server_binary() -> Option<std::path::PathBuf> {
    if let Ok(bin) = std::env::var("LATTESTREAM_BIN") {
        return Some(bin.into());
    }
    let built =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/lattestream");
    built.exists().then_some(built)
}
