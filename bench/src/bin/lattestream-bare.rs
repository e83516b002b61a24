//! `lattestream-bare`: the ceiling server (see `lattestream_bench::bare`).
//! Prints `listening on ADDR` on stdout once bound, so scripts and tests
//! can use `--addr 127.0.0.1:0`.

use clap::Parser;
use lattestream_bench::bare::Bare;
use std::io::Write;

/// Minimal Pusher/LatteStream-compatible broadcast server for benchmarks.
#[derive(Parser)]
#[command(name = "lattestream-bare", version, about)]
struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:6001")]
    addr: String,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(&args.addr).await?;
    println!("listening on {}", listener.local_addr()?);
    std::io::stdout().flush()?;
    Bare::new().serve(listener).await
}
