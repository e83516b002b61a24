//! The scenarios and their default sizes. `idle`, `fanout`, `channels` and
//! `trigger` are one subscribe-then-publish flow with different shapes
//! ([`pubsub`]); `presence-churn` has its own loop ([`presence`]).

pub mod presence;
pub mod pubsub;

use crate::cli::{RunArgs, ServerArgs};
use crate::conn::Target;
use crate::report::Report;

/// Which scenario to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Many connections, no traffic but a final probe.
    Idle,
    /// One channel, many subscribers.
    Fanout,
    /// Many channels, few subscribers each.
    Channels,
    /// Join/leave presence channels.
    PresenceChurn,
    /// REST triggers per second, small audience.
    Trigger,
}

impl Kind {
    /// The scenario's name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Idle => "idle",
            Kind::Fanout => "fanout",
            Kind::Channels => "channels",
            Kind::PresenceChurn => "presence-churn",
            Kind::Trigger => "trigger",
        }
    }
}

/// A scenario's size once defaults are filled in.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Subscriber connections.
    pub connections: usize,
    /// Channels they spread over.
    pub channels: usize,
    /// Events per second (0 = as fast as accepted).
    pub rate: f64,
    /// Concurrent REST publishers.
    pub publishers: usize,
}

/// Fills in the scenario's defaults for whatever the user left out.
pub fn shape(kind: Kind, a: &RunArgs) -> Shape {
    let (conns, chans, rate, pubs) = match kind {
        Kind::Idle => (10_000, 100, 0.0, 8),
        Kind::Fanout => (1_000, 1, 20.0, 4),
        Kind::Channels => (2_000, 200, 200.0, 8),
        Kind::PresenceChurn => (200, 20, 0.0, 0),
        Kind::Trigger => (10, 1, 0.0, 16),
    };
    Shape {
        connections: a.connections.unwrap_or(conns),
        channels: a.channels.unwrap_or(chans).max(1),
        rate: a.rate.unwrap_or(rate),
        publishers: a.publishers.unwrap_or(pubs),
    }
}

/// The connection target described by the server options.
pub fn target(s: &ServerArgs) -> Target {
    Target {
        url: s.url.clone(),
        key: s.key.clone(),
        secret: s.secret.clone(),
        dialect: s.dialect,
        source_ips: s.source_ips,
    }
}

/// Runs one scenario and returns its report.
pub async fn run(kind: Kind, args: RunArgs) -> Report {
    let shape = shape(kind, &args);
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut report = match kind {
        Kind::PresenceChurn => presence::run(&args, shape).await,
        _ => pubsub::run(kind, &args, shape).await,
    };
    report.scenario = kind.name().to_string();
    report.name = args.name.clone().unwrap_or_else(|| report.scenario.clone());
    report.loadavg_start = loadavg.trim().to_string();
    report.label = args.label.clone();
    report.dialect = args.server.dialect.prefix().to_string();
    report.api = format!("{:?}", args.server.api).to_lowercase();
    report.connections = shape.connections;
    report.channels = shape.channels;
    report.rate = shape.rate;
    report.command = std::env::args().collect::<Vec<_>>().join(" ");
    report.set_cpu_per_event();
    report
}
