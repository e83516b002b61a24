//! The real `lattestream` binary as a child process, for what only a process shows: `kill -9`, a
//! restart on the same data directory, and the resident memory of the server alone.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A server process.
pub struct ServerProcess {
    child: Child,
    /// Where it serves.
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// Starts the binary with `config` (TOML text, written into `data_dir`) on a free port, and waits
    /// until it serves.
    pub fn start(data_dir: &Path, config: &str) -> Self {
        std::fs::create_dir_all(data_dir).unwrap();
        let file = data_dir.join("server.toml");
        std::fs::write(&file, config).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_lattestream"));
        command
            .args(["--config", file.to_str().unwrap(), "--addr", "127.0.0.1:0"])
            .args(["--data-dir", data_dir.to_str().unwrap()])
            .env("NO_COLOR", "1")
            .env("LATTESTREAM_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (name, _) in std::env::vars().filter(|(k, _)| k.starts_with("LATTESTREAM_")) {
            command.env_remove(name);
        }
        command.env("LATTESTREAM_LOG", "info");
        let mut child = command.spawn().expect("spawn the server");
        let addr = serving_addr(&mut child);
        Self { child, addr }
    }

    /// `http://ADDR{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory in KiB (`VmRSS`).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// `kill -9`, and waits for it to be gone.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// A gauge or counter from its `/metrics`.
    pub async fn metric(&self, name: &str) -> f64 {
        metric_at(&self.url("/metrics"), name).await
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A gauge or counter from the `/metrics` at `url` (the first line starting with `name `; 0 if none).
pub async fn metric_at(url: &str, name: &str) -> f64 {
    let text = reqwest::get(url).await.unwrap().text().await.unwrap();
    let prefix = format!("{name} ");
    let line = text.lines().find(|l| l.starts_with(&prefix));
    line.map_or(0.0, |l| l[prefix.len()..].trim().parse().unwrap())
}

/// Reads the log until `LatteStream is serving addr=…`, then keeps draining it on a thread.
fn serving_addr(child: &mut Child) -> SocketAddr {
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut seen = String::new();
    while std::time::Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        seen.push_str(&line);
        seen.push('\n');
        let serving = line.contains("LatteStream is serving");
        if let Some(rest) = line.split("addr=").nth(1).filter(|_| serving) {
            let addr = rest.split_whitespace().next().unwrap().parse().unwrap();
            std::thread::spawn(move || lines.for_each(drop));
            return addr;
        }
    }
    panic!("the server did not start:\n{seen}");
}

/// Runs `lattestream --config DATA/server.toml --data-dir DATA ARGS…` to the end; its standard output.
pub fn run_command(data_dir: &Path, args: &[&str]) -> String {
    let file = data_dir.join("server.toml");
    let output = Command::new(env!("CARGO_BIN_EXE_lattestream"))
        .args([
            "--config",
            file.to_str().unwrap(),
            "--data-dir",
            data_dir.to_str().unwrap(),
        ])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run the command");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{args:?} failed: {stdout}{stderr}");
    stdout
}

/// A fresh directory under the system's temporary one.
pub fn temp_dir(prefix: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4()))
}
