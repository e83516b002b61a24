//! One endpoint's delivery loop. It takes the oldest deliverable events (waiting out the batch window
//! so a batch fills), sends them as one signed request, and on failure sends the same events again
//! after a back-off until they are accepted, refused, or older than the give-up time. One batch at a
//! time per endpoint keeps each channel's events in order; the backlog stays on disk.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use super::endpoint::redacted;
use super::lease::Lease;
use super::queue::{Bury, EndpointKey, Failure, Queued};
use super::retry::{Outcome, backoff, classify};
use super::{EndpointState, Shared, now_ms, payload};
use crate::debug::{DebugEvent, DebugKind};

/// How often an idle endpoint looks at the queue anyway (for events another process put back).
pub const POLL: Duration = Duration::from_secs(1);

/// A batch ready to send: what it carries, and to whom.
struct Request {
    rows: Vec<Queued>,
    app: Arc<crate::apps::App>,
    endpoint: super::WebhookEndpoint,
}

/// Delivers `key`'s events for as long as the process runs; in a cluster, only while this node
/// holds the endpoint's lease (a lease lost mid-batch drops the batch here; the next holder sends it).
pub async fn run(shared: Arc<Shared>, key: EndpointKey, state: Arc<EndpointState>) {
    let Some(lease) = shared.lease.clone() else {
        return deliver_all(&shared, &key, &state).await;
    };
    loop {
        if !lease.hold(&key).await {
            tokio::time::sleep(lease.every()).await;
            continue;
        }
        tokio::select! {
            () = deliver_all(&shared, &key, &state) => {}
            () = keep(&*lease, &key) => {
                tracing::info!(url = %redacted(&key.url), "webhook lease lost; another node delivers");
            }
        }
    }
}

/// Renews the lease on `key` until a renewal fails.
async fn keep(lease: &dyn Lease, key: &EndpointKey) {
    loop {
        tokio::time::sleep(lease.every()).await;
        if !lease.hold(key).await {
            return;
        }
    }
}

/// Delivers `key`'s events, batch after batch.
async fn deliver_all(shared: &Shared, key: &EndpointKey, state: &EndpointState) {
    loop {
        let rows = next_batch(shared, key, state).await;
        match prepare(shared, key, rows) {
            Ok(request) => deliver(shared, key, state, request).await,
            Err(rows) => {
                let failure = Failure {
                    reason: "endpoint no longer configured".into(),
                    status: None,
                    attempts: 0,
                };
                bury(shared, key, state, &rows, &failure).await;
            }
        }
    }
}

/// Waits for deliverable events, then for the batch window of the oldest to pass (unless the batch
/// is already full).
async fn next_batch(shared: &Shared, key: &EndpointKey, state: &EndpointState) -> Vec<Queued> {
    let config = &shared.config;
    let mut waited = false;
    loop {
        let rows = match shared.queue.take(key, config.max_batch).await {
            Ok(rows) => rows,
            Err(error) => {
                tracing::warn!(%error, "webhook queue read failed");
                Vec::new()
            }
        };
        let Some(first) = rows.first() else {
            let _ = tokio::time::timeout(POLL, state.wake.notified()).await;
            continue;
        };
        let open_ms = first.at_ms + config.batch_window.as_millis() as i64 - now_ms();
        if waited || rows.len() >= config.max_batch || open_ms <= 0 {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(open_ms as u64)).await;
        waited = true;
    }
}

/// Builds the request for `rows`; gives them back when the endpoint is no longer configured.
fn prepare(shared: &Shared, key: &EndpointKey, rows: Vec<Queued>) -> Result<Request, Vec<Queued>> {
    match shared.endpoint_config(key) {
        Some((app, endpoint)) => Ok(Request {
            rows,
            app,
            endpoint,
        }),
        None => Err(rows),
    }
}

/// The events' JSON in order, where only the last `subscription_count` of each channel stays: a
/// count is a state, and the latest one says all.
fn coalesced(rows: &[Queued]) -> impl Iterator<Item = &str> {
    let superseded = |i: usize, row: &Queued| {
        row.name == "subscription_count"
            && rows[i + 1..]
                .iter()
                .any(|later| later.name == row.name && later.channel == row.channel)
    };
    rows.iter()
        .enumerate()
        .filter(move |(i, row)| !superseded(*i, row))
        .map(|(_, row)| row.body.as_str())
}

/// Sends one batch until it is accepted, refused, or given up.
async fn deliver(shared: &Shared, key: &EndpointKey, state: &EndpointState, request: Request) {
    let config = &shared.config;
    let oldest = request
        .rows
        .iter()
        .map(|r| r.at_ms)
        .min()
        .unwrap_or_else(now_ms);
    let url = redacted(request.endpoint.url.as_str());
    let mut failures = 0;
    loop {
        let (reason, status, after) = match attempt(shared, &request).await {
            Outcome::Delivered => return delivered(shared, key, state, &request, failures).await,
            Outcome::Refused { status } => {
                shared.metrics.failed();
                tracing::warn!(%url, status, "webhook batch refused; dead-lettered");
                let failure = Failure {
                    reason: format!("refused with HTTP {status}"),
                    status: Some(status),
                    attempts: failures + 1,
                };
                return bury(shared, key, state, &request.rows, &failure).await;
            }
            Outcome::Retry {
                reason,
                status,
                after,
            } => (reason, status, after),
        };
        failures += 1;
        shared.metrics.retried();
        if failures == 1 {
            tracing::warn!(%url, %reason, "webhook delivery failed; retrying");
        }
        if now_ms() - oldest >= config.give_up.as_millis() as i64 {
            let failure = Failure {
                reason,
                status,
                attempts: failures,
            };
            return give_up_on(shared, key, state, &request, &failure).await;
        }
        let backoff = backoff(failures, config.retry_min, config.retry_max);
        tokio::time::sleep(backoff.max(after.unwrap_or_default())).await;
    }
}

/// One POST of the batch, stamped and signed now: Pusher's libraries refuse a `time_ms` more than
/// five minutes off, so a batch retried after a long outage carries the time of its retry.
async fn attempt(shared: &Shared, request: &Request) -> Outcome {
    let body = payload::body(now_ms(), coalesced(&request.rows));
    let headers = payload::signature_headers(&request.app, &request.endpoint, &body);
    let mut post = shared
        .client
        .post(request.endpoint.url.as_str())
        .header("Content-Type", "application/json")
        .body(body);
    for (name, value) in &headers {
        post = post.header(*name, value);
    }
    match post.send().await {
        Ok(response) => {
            let retry_after = response.headers().get("retry-after");
            let retry_after = retry_after.and_then(|v| v.to_str().ok());
            let status = response.status().as_u16();
            show(shared, request, Ok(status));
            classify(status, retry_after, SystemTime::now())
        }
        Err(error) => {
            let reason = transport_reason(&error);
            show(shared, request, Err(&reason));
            Outcome::Retry {
                reason,
                status: None,
                after: None,
            }
        }
    }
}

/// Puts one attempt on the console's debug stream (a no-op while no console watches).
fn show(shared: &Shared, request: &Request, answer: Result<u16, &str>) {
    let Some(debug) = shared.debug.get() else {
        return;
    };
    debug.emit(|| {
        let url = redacted(request.endpoint.url.as_str()).to_string();
        let events = request.rows.iter().map(|r| r.name.clone()).collect();
        let kind = match answer {
            Ok(status) if (200..300).contains(&status) => DebugKind::WebhookSent {
                url,
                events,
                status,
            },
            Ok(status) => DebugKind::WebhookFailed {
                url,
                events,
                reason: format!("HTTP {status}"),
            },
            Err(reason) => DebugKind::WebhookFailed {
                url,
                events,
                reason: reason.to_owned(),
            },
        };
        DebugEvent::new(&request.app.id, kind)
    });
}

/// A transport failure in words, without the URL (which may carry a token).
fn transport_reason(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".into()
    } else if error.is_connect() {
        "could not connect".into()
    } else {
        "request failed".into()
    }
}

async fn delivered(
    shared: &Shared,
    key: &EndpointKey,
    state: &EndpointState,
    request: &Request,
    failures: u32,
) {
    let ids: Vec<_> = request.rows.iter().map(|r| r.id).collect();
    shared.metrics.sent(ids.len());
    if failures > 0 {
        tracing::info!(url = %redacted(request.endpoint.url.as_str()), failures, "webhook delivered after retries");
    }
    // Until the ack is stored the batch would be sent again after a restart: at least once.
    while let Err(error) = shared.queue.ack(key, &ids).await {
        tracing::warn!(%error, "webhook queue ack failed; trying again");
        tokio::time::sleep(POLL).await;
    }
    state.pending.fetch_sub(ids.len() as u64, Ordering::Relaxed);
}

/// Dead-letters the batch and every other event of the endpoint past the give-up time.
async fn give_up_on(
    shared: &Shared,
    key: &EndpointKey,
    state: &EndpointState,
    request: &Request,
    failure: &Failure,
) {
    let give_up_ms = shared.config.give_up.as_millis() as i64;
    tracing::warn!(url = %redacted(request.endpoint.url.as_str()), reason = %failure.reason, "webhook batch given up; dead-lettered");
    bury(shared, key, state, &request.rows, failure).await;
    let older = Bury::OlderThan(now_ms() - give_up_ms, shared.config.max_batch);
    match shared.queue.bury(key, older, failure).await {
        Ok(moved) => state.moved_to_dead(moved, &shared.metrics),
        Err(error) => tracing::warn!(%error, "webhook queue dead-letter failed"),
    }
}

/// Moves `rows` to the dead-letter list as one entry.
async fn bury(
    shared: &Shared,
    key: &EndpointKey,
    state: &EndpointState,
    rows: &[Queued],
    failure: &Failure,
) {
    let ids = Bury::Events(rows.iter().map(|r| r.id).collect());
    loop {
        match shared.queue.bury(key, ids.clone(), failure).await {
            Ok(moved) => return state.moved_to_dead(moved, &shared.metrics),
            Err(error) => tracing::warn!(%error, "webhook queue dead-letter failed; trying again"),
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, name: &str, channel: &str) -> Queued {
        Queued {
            id,
            channel: channel.into(),
            name: name.into(),
            at_ms: 0,
            body: format!("{id}"),
        }
    }

    #[test]
    fn only_the_last_count_of_a_channel_is_sent() {
        let rows = [
            row(1, "subscription_count", "a"),
            row(2, "channel_occupied", "b"),
            row(3, "subscription_count", "b"),
            row(4, "subscription_count", "a"),
            row(5, "client_event", "a"),
        ];
        assert_eq!(coalesced(&rows).collect::<Vec<_>>(), ["2", "3", "4", "5"]);
    }
}
