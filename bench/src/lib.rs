//! LatteStream's load generator, as a library so the `lattestream-bench`
//! binary, the bare ceiling server and the integration tests share code.
//!
//! The generator opens many WebSocket subscribers (Pusher protocol 7 or the
//! LatteStream dialect), publishes timestamped events over REST (LatteStream
//! or signed Pusher API), and measures deliveries and end-to-end latency.

pub mod bare;
pub mod chart;
pub mod cli;
pub mod conn;
pub mod pool;
pub mod progress;
pub mod proto;
pub mod publish;
pub mod reader;
pub mod report;
pub mod rest;
pub mod scenario;
pub mod stats;
pub mod subscribers;
