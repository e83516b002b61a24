//! `lattestream-bench`: runs one scenario against a server, prints a table,
//! optionally writes JSON and SVG, and with `--require-all` exits non-zero
//! when any expected delivery went missing (so CI can use it as a smoke test).

use clap::Parser;
use lattestream_bench::cli::{Cli, Command, RunArgs};
use lattestream_bench::report::{load, markdown};
use lattestream_bench::scenario::{self, Kind};
use lattestream_bench::{chart, pool};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    rt.block_on(async move {
        match cli.command {
            Command::Idle(a) => run(Kind::Idle, a).await,
            Command::Fanout(a) => run(Kind::Fanout, a).await,
            Command::Channels(a) => run(Kind::Channels, a).await,
            Command::PresenceChurn(a) => run(Kind::PresenceChurn, a).await,
            Command::Trigger(a) => run(Kind::Trigger, a).await,
            Command::Chart(a) => chart::run(&a),
            Command::Summary(a) => {
                print!("{}", markdown(&load(&a.inputs)));
                ExitCode::SUCCESS
            }
            Command::Worker(a) => {
                pool::run_worker(a).await;
                ExitCode::SUCCESS
            }
        }
    })
}

/// Runs a scenario and reports; the exit code reflects `--require-all`.
async fn run(kind: Kind, a: RunArgs) -> ExitCode {
    let (json, svg, require_all) = (a.json.clone(), a.svg.clone(), a.require_all);
    let report = scenario::run(kind, a).await;
    print!("{}", report.table());
    if let Some(path) = json
        && let Err(e) = report.write_json(&path)
    {
        eprintln!("writing {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    if let Some(path) = svg {
        let doc = chart::render(&report.scenario, std::slice::from_ref(&report));
        if let Err(e) = std::fs::write(&path, doc) {
            eprintln!("writing {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    if require_all && !report.all_received() {
        eprintln!(
            "FAIL: received {} of {} expected deliveries, {} failed connections",
            report.received, report.expected, report.failed_connections
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
