//! Rate limits through HTTP, with the limiter's clock moved by hand: headers on every response once the
//! app is known, a burst past the per-second limit, a minute past the per-minute limit, the 429 body and
//! `Retry-After`, separate budgets per app and endpoint, and the switch that turns them off.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{OTHER_SECRET, Reply, SECRET, TestServer};
use lattestream::apps::{Apps, EndpointLimit};
use lattestream::config::Config;
use lattestream::node::Node;
use lattestream::ratelimit::{ManualClock, MemoryRateLimiter};
use serde_json::json;

/// A whole minute in unix seconds.
const MINUTE: u64 = 1_700_000_040;

/// App 1 with `/channels` limited to 5 a minute and 2 a second; app 2 with the documented defaults.
async fn server(configure: impl FnOnce(&mut Config)) -> (TestServer, ManualClock) {
    let mut config = common::test_config();
    config.apps[0].settings.rate_limits.channels = EndpointLimit {
        per_minute: 5,
        per_second: 2,
    };
    configure(&mut config);
    let clock = ManualClock::at(Duration::from_secs(MINUTE));
    let apps = Arc::new(Apps::new(config.apps.clone()).unwrap());
    let limiter = Arc::new(MemoryRateLimiter::with_clock(clock.clone()));
    let node = Node::new(apps, config.websocket.clone()).with_rate_limiter(limiter);
    (TestServer::with_node(config, Arc::new(node)).await, clock)
}

/// Seconds the clock has moved since the start of the test's minute.
fn clock_offset(clock: &ManualClock) -> Duration {
    use lattestream::ratelimit::Clock;
    clock.now() - Duration::from_secs(MINUTE)
}

fn assert_headers(reply: &Reply, limit: &str, remaining: &str, reset: u64) {
    let got = (
        reply.header("x-ratelimit-limit"),
        reply.header("x-ratelimit-remaining"),
        reply.header("x-ratelimit-reset").map(str::to_owned),
    );
    assert_eq!(
        got,
        (Some(limit), Some(remaining), Some(reset.to_string())),
        "{}",
        reply.body
    );
}

fn assert_limited(reply: &Reply, retry_after: u64) {
    assert_eq!(reply.status, 429);
    assert_eq!(
        reply.body,
        json!({"error": "Rate limit exceeded", "code": "RATE_LIMIT_EXCEEDED",
               "retry_after": retry_after})
    );
    assert_eq!(
        reply.header("retry-after"),
        Some(retry_after.to_string().as_str())
    );
}

#[tokio::test]
async fn a_burst_past_the_per_second_limit_gets_429_until_the_next_second() {
    let (server, clock) = server(|_| {}).await;
    let reset = MINUTE + 60;
    let first = server.get("/channels", SECRET).await;
    assert_eq!(first.status, 200);
    assert_headers(&first, "5", "4", reset);
    assert_headers(&server.get("/channels", SECRET).await, "5", "3", reset);
    let refused = server.get("/channels", SECRET).await;
    assert_limited(&refused, 1);
    assert_headers(&refused, "5", "3", reset);
    clock.advance(Duration::from_secs(1));
    let again = server.get("/channels/x", SECRET).await;
    assert_eq!(again.status, 200, "all channel queries share one budget");
    assert_headers(&again, "5", "2", reset);
}

#[tokio::test]
async fn a_minute_past_the_per_minute_limit_gets_429_until_the_window_ends() {
    let (server, clock) = server(|_| {}).await;
    for (n, second) in [0, 0, 1, 1, 2].into_iter().enumerate() {
        clock.advance(Duration::from_secs(second) - (clock_offset(&clock)));
        let reply = server.get("/channels", SECRET).await;
        assert_eq!(reply.status, 200, "request {n} at second {second}");
        assert_headers(&reply, "5", &(4 - n).to_string(), MINUTE + 60);
    }
    let refused = server.get("/channels", SECRET).await;
    assert_limited(&refused, 58);
    assert_headers(&refused, "5", "0", MINUTE + 60);
    clock.advance(Duration::from_secs(57));
    assert_limited(&server.get("/channels", SECRET).await, 1);
    clock.advance(Duration::from_secs(1));
    let next = server.get("/channels", SECRET).await;
    assert_eq!(next.status, 200);
    assert_headers(&next, "5", "4", MINUTE + 120);
}

#[tokio::test]
async fn the_documented_burst_of_50_a_second_on_channels() {
    let (server, _clock) = server(|_| {}).await;
    for n in 1..=50u32 {
        let reply = server.get("/channels", OTHER_SECRET).await;
        assert_eq!(reply.status, 200, "request {n}");
        assert_headers(&reply, "500", &(500 - n).to_string(), MINUTE + 60);
    }
    assert_limited(&server.get("/channels", OTHER_SECRET).await, 1);
}

#[tokio::test]
async fn endpoints_and_apps_have_their_own_budgets_and_errors_carry_headers() {
    let (server, _clock) = server(|_| {}).await;
    for _ in 0..2 {
        server.get("/channels", SECRET).await;
    }
    assert_eq!(server.get("/channels", SECRET).await.status, 429);
    assert_eq!(server.get("/channels", OTHER_SECRET).await.status, 200);
    let bad_event = server
        .post_json("/events", SECRET, &json!({"channels": ["a"], "event": ""}))
        .await;
    assert_eq!(bad_event.status, 400);
    assert_headers(&bad_event, "1000", "999", MINUTE + 60);
    let batch = server
        .post_json(
            "/batch_events",
            SECRET,
            &json!({"batch": [{"channel": "a", "name": "e"}]}),
        )
        .await;
    assert_headers(&batch, "500", "499", MINUTE + 60);
    let token = server
        .post_json(
            "/apps/token",
            SECRET,
            &json!({"socket_id": "u", "expires_in": 0}),
        )
        .await;
    assert_eq!(token.status, 400);
    assert_headers(&token, "2000", "1999", MINUTE + 60);
    let unknown = server.post_json("/events", "lsk_unknown", &json!({})).await;
    assert_eq!(unknown.status, 401);
    assert!(unknown.header("x-ratelimit-limit").is_none());
    let auth = server
        .post_json(
            "/auth",
            SECRET,
            &json!({"socket_id": "1.1", "channel_name": "private-a"}),
        )
        .await;
    assert!(
        auth.header("x-ratelimit-limit").is_none(),
        "/auth is not in the table"
    );
}

#[tokio::test]
async fn limits_can_be_switched_off_per_app() {
    let (server, _clock) = server(|c| c.apps[0].settings.rate_limits.enabled = false).await;
    for _ in 0..10 {
        let reply = server.get("/channels", SECRET).await;
        assert_eq!(reply.status, 200);
        assert!(reply.header("x-ratelimit-limit").is_none());
    }
}

/// The Pusher HTTP API spends the same budgets as our REST API: a trigger there counts against
/// `/events`, a query against `/channels`, with the same headers and a 429 with `Retry-After` (as
/// plain text, as Pusher answers errors). Going through `/apps/{id}/events` bypasses nothing.
#[tokio::test]
async fn the_pusher_api_spends_the_same_budgets() {
    let (server, _clock) = server(|config| {
        config.apps[0].settings.rate_limits.events = EndpointLimit {
            per_minute: 5,
            per_second: 2,
        };
    })
    .await;
    let reset = MINUTE + 60;
    let ours = json!({"channels": ["a"], "event": "e", "data": {}});
    assert_eq!(server.post_json("/events", SECRET, &ours).await.status, 200);
    let api = common::pusher_sign::PusherApi::new(&server);
    let trigger = || {
        let body = json!({"name": "e", "channels": ["a"], "data": "{}"}).to_string();
        let url = api.url("POST", "/events", &[], Some(&body));
        server.send(move |c| {
            c.post(url)
                .header("content-type", "application/json")
                .body(body)
        })
    };
    let allowed = trigger().await;
    assert_eq!(allowed.status, 200);
    assert_headers(&allowed, "5", "3", reset);
    let refused = server
        .send(|c| {
            c.post(api.url("POST", "/events", &[], Some("{}")))
                .body("{}")
        })
        .await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_headers(&refused, "5", "3", reset);
    let channels = api.url("GET", "/channels", &[], None);
    let queried = server.send(|c| c.get(channels)).await;
    assert_headers(&queried, "5", "4", reset);
}
