//! `lattestream-sdk`: the LatteStream server SDK for Rust (async, on `reqwest`). It triggers events,
//! authorizes private and presence channels, issues access tokens, queries channels and users,
//! terminates a user's connections and verifies webhooks, against a self-hosted server
//! (`LATTESTREAM_URL`) or the hosted service.
//!
//! - [`server`]: [`LatteStreamServer`] and its [`Options`].
//! - [`auth`]: channel authorization, computed locally.
//! - [`signing`]: request signatures and webhook verification.
//! - `transport` (private): one signed request with its 429 retries.
//! - [`endpoint`]: where requests go.
//! - [`types`], [`error`]: arguments, results and the error type.
//!
//! ```no_run
//! # async fn run() -> Result<(), lattestream_sdk::Error> {
//! let server = lattestream_sdk::LatteStreamServer::new("lsk_your_private_key")?;
//! server.trigger("chat-room-1", "new-message", serde_json::json!({"text": "hi"})).await?;
//! # Ok(()) }
//! ```

pub mod auth;
pub mod endpoint;
pub mod error;
pub mod server;
pub mod signing;
mod transport;
pub mod types;

pub use auth::{ChannelAuth, PresenceData};
pub use endpoint::{URL_ENV, resolve_base_url};
pub use error::{Error, codes};
pub use server::{LatteStreamServer, Options};
pub use signing::verify_webhook_signature;
pub use types::{
    AccessToken, AccessTokenOptions, BatchEvent, BatchResult, ChannelInfo, ChannelList,
    ChannelSummary, Channels, Member, TriggerOptions, TriggerResult, User, UserList,
};

#[cfg(test)]
mod fake_tests;
