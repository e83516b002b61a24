//! The Rust SDK's agent for the shared scenario (sdks/scenario/): reads one JSON command per line on
//! stdin, performs it with the SDK and writes one JSON answer per line on stdout, with the results in
//! the wire's field names so the driver checks every SDK the same way.

use std::io::{BufRead, Write};

use lattestream_sdk::{
    AccessTokenOptions, BatchEvent, Error, LatteStreamServer, Options, PresenceData,
    TriggerOptions, verify_webhook_signature,
};
use serde_json::{Value, json};

fn text(c: &Value, field: &str) -> String {
    c[field].as_str().unwrap_or_default().to_owned()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map_or_else(Vec::new, |a| {
        a.iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect()
    })
}

fn json(v: impl serde::Serialize) -> Value {
    serde_json::to_value(v).expect("results serialise")
}

fn batch(c: &Value) -> Vec<BatchEvent> {
    let entries = c["batch"].as_array().cloned().unwrap_or_default();
    entries
        .iter()
        .map(|e| {
            let mut event =
                BatchEvent::new(text(e, "channel"), text(e, "event"), e["data"].clone());
            event.socket_id = e["socket_id"].as_str().map(str::to_owned);
            event
        })
        .collect()
}

async fn perform(s: &LatteStreamServer, c: &Value) -> Result<Value, Error> {
    Ok(match c["op"].as_str().unwrap_or_default() {
        "trigger" => {
            let options = TriggerOptions {
                socket_id: c["socket_id"].as_str().map(str::to_owned),
            };
            json(
                s.trigger_with(
                    strings(&c["channels"]),
                    &text(c, "event"),
                    &c["data"],
                    options,
                )
                .await?,
            )
        }
        "batch_trigger" => {
            let r = s.batch_trigger(&batch(c)).await?;
            json!({"batch_id": r.batch_id.to_string(), "total_events": r.total_events, "total_triggered": r.total_triggered})
        }
        "authorize" => {
            let presence: Option<PresenceData> = serde_json::from_value(c["presence"].clone()).ok();
            json(s.authorize_channel(
                &text(c, "socket_id"),
                &text(c, "channel"),
                presence.as_ref(),
            )?)
        }
        "token" => {
            let options = AccessTokenOptions {
                permissions: c["permissions"]
                    .as_array()
                    .map(|_| strings(&c["permissions"])),
                expires_in: c["expires_in"].as_u64().map(|n| n as u32),
            };
            json(s.create_access_token(&text(c, "user_id"), options).await?)
        }
        "channels" => json(s.get_channels(c["prefix"].as_str()).await?),
        "channel" => json(s.get_channel_info(&text(c, "name")).await?),
        "users" => json(s.get_users(&text(c, "name")).await?),
        "terminate" => {
            json!({"terminated": s.terminate_user_connections(&text(c, "user_id")).await?})
        }
        "verify_webhook" => {
            json!({"valid": verify_webhook_signature(text(c, "body").as_bytes(), &text(c, "signature"), &text(c, "secret"))})
        }
        "base_url" => json!({"base_url": s.base_url()}),
        other => panic!("unknown op {other}"),
    })
}

fn wire_error(e: &Error) -> Value {
    let kind = match e {
        Error::Api { .. } => "ApiError",
        Error::RateLimited { .. } => "RateLimitError",
        Error::Validation { .. } => "ValidationError",
        Error::Connection { .. } => "ConnectionError",
    };
    let retry_after = match e {
        Error::RateLimited { retry_after, .. } => Some(retry_after.as_secs_f64()),
        _ => None,
    };
    json!({"type": kind, "code": e.code(), "status": e.status(), "retry_after": retry_after, "message": e.to_string()})
}

#[tokio::main]
async fn main() {
    let mut out = std::io::stdout();
    for line in std::io::stdin().lock().lines() {
        let c: Value = serde_json::from_str(&line.expect("stdin")).expect("a JSON command");
        let mut options = Options::default();
        if let Some(n) = c["max_retries"].as_u64() {
            options = options.max_retries(n as u32);
        }
        let answer = match LatteStreamServer::with_options(text(&c, "key"), options) {
            Ok(server) => perform(&server, &c).await,
            Err(e) => Err(e),
        };
        let reply = match answer {
            Ok(ok) => json!({"id": c["id"], "ok": ok}),
            Err(e) => json!({"id": c["id"], "error": wire_error(&e)}),
        };
        writeln!(out, "{reply}").expect("stdout");
    }
}
