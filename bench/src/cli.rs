//! Command-line interface of `lattestream-bench`: one subcommand per
//! scenario, plus `chart` (SVG from JSON results) and the hidden `worker`
//! that the generator re-executes to hold more sockets than one process may.

use crate::proto::Dialect;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// Load generator for LatteStream and any Pusher-protocol server.
#[derive(Parser, Debug)]
#[command(name = "lattestream-bench", version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The scenarios and helper commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Open N connections, each subscribed to a channel (`--channels N`: a
    /// channel each); report connect rate and server RSS per connection,
    /// probe every channel once, close them all and report the RSS left.
    Idle(RunArgs),
    /// One channel, N subscribers, events at --rate (0 = as fast as accepted).
    Fanout(RunArgs),
    /// Many channels with few subscribers each; events round-robin.
    Channels(RunArgs),
    /// Connections joining and leaving presence channels in a loop.
    PresenceChurn(RunArgs),
    /// REST triggers per second with a small audience.
    Trigger(RunArgs),
    /// Draw an SVG chart from JSON result files.
    Chart(ChartArgs),
    /// Print a Markdown table of JSON result files.
    Summary(SummaryArgs),
    /// Internal: hold a share of the subscribers for a parent process.
    #[command(hide = true)]
    Worker(WorkerArgs),
}

/// Which REST API publishes events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// `POST /events` with `Authorization: Bearer SECRET`.
    Lattestream,
    /// The signed Pusher HTTP API, `POST /apps/ID/events?auth_…`.
    Pusher,
}

/// Where the server is and how to talk to it.
#[derive(Args, Debug, Clone)]
pub struct ServerArgs {
    /// Base WebSocket URL of the server; several, comma-separated, spread the connections over the
    /// nodes of a cluster round-robin (REST calls go to the first).
    #[arg(long, env = "BENCH_URL", default_value = "ws://127.0.0.1:6001")]
    pub url: String,
    /// Base HTTP URL for REST calls (default: --url with http://).
    #[arg(long, env = "BENCH_HTTP_URL")]
    pub http_url: Option<String>,
    /// App id (used in the Pusher REST path).
    #[arg(long, env = "BENCH_APP_ID", default_value = "1")]
    pub app_id: String,
    /// App key (sent by clients).
    #[arg(long, env = "BENCH_KEY", default_value = "lspk_bench")]
    pub key: String,
    /// App secret (signs REST calls and channel auth).
    #[arg(long, env = "BENCH_SECRET", default_value = "lsk_benchsecret")]
    pub secret: String,
    /// REST flavour used to publish.
    #[arg(long, env = "BENCH_API", value_enum, default_value = "lattestream")]
    pub api: Api,
    /// WebSocket dialect the clients speak.
    #[arg(long, env = "BENCH_DIALECT", value_enum, default_value = "pusher")]
    pub dialect: Dialect,
    /// Spread client sockets over this many 127.0.0.K source addresses.
    #[arg(long, default_value_t = 8)]
    pub source_ips: u32,
    /// Connections allowed mid-handshake at once.
    #[arg(long, default_value_t = 200)]
    pub connect_concurrency: usize,
}

/// Options of every scenario.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Where the server is and how to talk to it.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Subscriber connections (scenario default if omitted).
    #[arg(long)]
    pub connections: Option<usize>,
    /// Channels the connections are spread over (scenario default if omitted). Connection i
    /// subscribes to channel i % channels, so `--channels` equal to `--connections` puts every
    /// connection on a channel of its own (the per-user private channel shape).
    #[arg(long)]
    pub channels: Option<usize>,
    /// Events per second in total; 0 = as fast as the server accepts.
    #[arg(long)]
    pub rate: Option<f64>,
    /// How long to publish (or hold, for idle / churn for presence-churn).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "10s")]
    pub duration: Duration,
    /// Concurrent REST publishers.
    #[arg(long)]
    pub publishers: Option<usize>,
    /// Filler bytes added to each event payload.
    #[arg(long, default_value_t = 64)]
    pub payload_bytes: usize,
    /// PID of the server, to read its VmRSS before and after.
    #[arg(long, env = "BENCH_SERVER_PID")]
    pub server_pid: Option<u32>,
    /// PIDs of the cluster's other nodes (comma-separated), whose CPU is added to the server's.
    #[arg(long, value_delimiter = ',')]
    pub other_server_pids: Vec<u32>,
    /// Write the result as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write a chart of this run as SVG to this file.
    #[arg(long)]
    pub svg: Option<PathBuf>,
    /// Name of this run in reports and charts (default: the scenario).
    #[arg(long)]
    pub name: Option<String>,
    /// Name of the server under test, stored in the result.
    #[arg(long, env = "BENCH_LABEL", default_value = "server")]
    pub label: String,
    /// Exit non-zero unless every expected delivery arrived and every
    /// connection succeeded (for CI smoke tests).
    #[arg(long)]
    pub require_all: bool,
    /// Most connections one process holds; more are spread over workers.
    #[arg(long, default_value_t = 15_000)]
    pub per_process: usize,
    /// Extra connections, each alone on a channel no event is sent to: shows
    /// whether idle channels cost anything on the delivery path.
    #[arg(long, default_value_t = 0)]
    pub idle_channels: usize,
    /// Longest wait for outstanding deliveries after publishing stops.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "10s")]
    pub drain_timeout: Duration,
    /// How long the subscribers stay connected after the run, before they leave (so an observer, such
    /// as `bench/cluster.sh` reading Redis, can tell the events' work from the leaves').
    #[arg(long, value_parser = humantime::parse_duration, default_value = "0s")]
    pub linger: Duration,
    /// `idle`: how long after every subscriber closed to read the server's RSS again ("RSS after
    /// left": how much of the growth the server gives back once its clients are gone).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "2s")]
    pub left_wait: Duration,
    /// `idle`: how long after the last subscription to read the server's RSS ("RSS connected"). Read
    /// at once, it still holds what the last handshakes used and the allocator has not yet taken
    /// back: up to a quarter more per connection, varying from run to run. Two seconds is also when
    /// a plain client script reads it (docs/performance.md, "Memory").
    #[arg(long, value_parser = humantime::parse_duration, default_value = "2s")]
    pub settle: Duration,
}

/// Options of `chart`.
#[derive(Args, Debug)]
pub struct ChartArgs {
    /// Output SVG file.
    #[arg(long)]
    pub out: PathBuf,
    /// Chart title.
    #[arg(long, default_value = "lattestream-bench")]
    pub title: String,
    /// JSON result files written with --json.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
}

/// Options of `summary`.
#[derive(Args, Debug)]
pub struct SummaryArgs {
    /// JSON result files written with --json.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
}

/// Options of the internal `worker` command (a subscriber group).
#[derive(Args, Debug)]
pub struct WorkerArgs {
    /// Where the server is and how to talk to it.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Connections in this worker.
    #[arg(long)]
    pub connections: usize,
    /// Global index of the first connection.
    #[arg(long)]
    pub offset: usize,
    /// Channel count (connection i subscribes to PREFIX + i % channels).
    #[arg(long)]
    pub channels: usize,
    /// Channel-name prefix.
    #[arg(long)]
    pub prefix: String,
}
