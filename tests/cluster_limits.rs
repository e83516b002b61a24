//! Two nodes on one Redis are one server for the REST limits: a burst spread over both meets the app's
//! limit (on our API and the Pusher API alike), a signed request replayed on the other node is refused, a Redis that cannot be reached stops
//! the start (library and binary), and a Redis lost while serving leaves unsigned requests served on
//! per-node limits and refuses signed ones with 503 until it is back. Also: what each request costs
//! Redis, counted by the server itself (`INFO commandstats`).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::pusher_sign::PusherApi;
use common::redis::TestRedis;
use common::signed::Signed;
use common::{Reply, SECRET, TestServer};
use lattestream::apps::{Apps, EndpointLimit};
use lattestream::config::{Config, Sensitive};
use lattestream::node::Node;
use lattestream::ratelimit::{ManualClock, RedisRateLimiter};
use lattestream::redis::Redis;
use serde_json::json;

/// A whole minute in unix seconds.
const MINUTE: u64 = 1_700_000_040;

/// The test config, sharing `redis` (its URL and this test's prefix).
fn config_on(redis: &TestRedis) -> Config {
    let mut config = common::test_config();
    config.redis.url = Some(Sensitive::new(&redis.url));
    config.redis.key_prefix = redis.prefix.clone();
    config
}

/// A node of the cluster whose limiter reads `clock`, as `start` builds it otherwise.
async fn node_with_clock(config: &Config, clock: &ManualClock) -> TestServer {
    let apps = Arc::new(Apps::new(config.apps.clone()).unwrap());
    let node = Node::new(apps, config.websocket.clone());
    let redis = Redis::connect(&config.redis, node.metrics().clone())
        .await
        .unwrap();
    let limiter = RedisRateLimiter::with_clock(redis, clock.clone());
    let node = node.with_rate_limiter(Arc::new(limiter));
    TestServer::with_node(config.clone(), Arc::new(node)).await
}

/// Two nodes as `start` builds them, sharing `redis`.
async fn two_nodes(redis: &TestRedis) -> (TestServer, TestServer) {
    let config = config_on(redis);
    let a = TestServer::with_config(config.clone()).await;
    (a, TestServer::with_config(config).await)
}

fn event() -> serde_json::Value {
    json!({"channels": ["news"], "event": "flash", "data": {}})
}

async fn trigger(server: &TestServer) -> Reply {
    server.post_json("/events", SECRET, &event()).await
}

fn header<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply.header(name).unwrap_or_else(|| panic!("no {name}"))
}

#[tokio::test]
async fn a_burst_across_two_nodes_meets_the_apps_limit() {
    let redis = TestRedis::start();
    let mut config = config_on(&redis);
    config.apps[0].settings.rate_limits.events = EndpointLimit {
        per_minute: 1000,
        per_second: 5,
    };
    let clock = ManualClock::at(Duration::from_secs(MINUTE));
    let a = node_with_clock(&config, &clock).await;
    let b = node_with_clock(&config, &clock).await;
    for (n, node) in [&a, &a, &a, &b, &b].into_iter().enumerate() {
        let reply = trigger(node).await;
        assert_eq!(reply.status, 200, "request {n}: {}", reply.body);
        assert_eq!(
            header(&reply, "x-ratelimit-remaining"),
            (999 - n).to_string()
        );
    }
    let refused = trigger(&b).await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert_eq!(refused.body["code"], "RATE_LIMIT_EXCEEDED");
    assert_eq!(header(&refused, "retry-after"), "1");
    assert_eq!(header(&refused, "x-ratelimit-limit"), "1000");
    assert_eq!(header(&refused, "x-ratelimit-remaining"), "995");
    assert_eq!(
        header(&refused, "x-ratelimit-reset"),
        (MINUTE + 60).to_string()
    );
    assert_eq!(trigger(&a).await.status, 429, "node A sees the same budget");
    let pusher_event = json!({"name": "flash", "channel": "news", "data": "{}"});
    let pusher = PusherApi::new(&a).post("/events", &pusher_event).await;
    assert_eq!(pusher.status, 429, "and so does the Pusher API");
    clock.advance(Duration::from_secs(1));
    assert_eq!(trigger(&a).await.status, 200);
}

/// The nodes `start` builds from the config share the count: B's request is the one after A's.
#[tokio::test]
async fn nodes_started_with_a_redis_url_count_together() {
    let redis = TestRedis::start();
    let (a, b) = two_nodes(&redis).await;
    for _ in 0..3 {
        let (first, second) = (trigger(&a).await, trigger(&b).await);
        let remaining = |r: &Reply| header(r, "x-ratelimit-remaining").parse::<u32>().unwrap();
        // Equal resets: both in one minute window (a window may end between the two).
        if header(&first, "x-ratelimit-reset") == header(&second, "x-ratelimit-reset") {
            assert_eq!(remaining(&second), remaining(&first) - 1);
            return;
        }
    }
    panic!("three minute windows ended mid-test");
}

#[tokio::test]
async fn a_signed_request_replayed_on_the_other_node_is_refused() {
    let redis = TestRedis::start();
    let (a, b) = two_nodes(&redis).await;
    let request = Signed::post("/events", &event());
    let first = request.send(&a).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let replay = request.send(&b).await;
    assert_eq!(replay.status, 401);
    assert_eq!(
        replay.body,
        json!({"error": "Invalid request signature: nonce already used",
               "code": "INVALID_SIGNATURE"})
    );
    assert_eq!(request.send(&a).await.status, 401, "and on the first node");
}

#[tokio::test]
async fn a_redis_that_cannot_be_reached_stops_the_start_with_the_url_masked() {
    let mut config = common::test_config();
    let url = TestRedis::unreachable_url().replace("redis://", "redis://:hunter2@");
    config.redis.url = Some(Sensitive::new(&url));
    let error = lattestream::start(&config)
        .await
        .err()
        .expect("start fails");
    let text = error.to_string();
    let masked = url.replace("hunter2", "****");
    assert!(
        matches!(error, lattestream::StartError::Redis(_)),
        "{error:?}"
    );
    assert!(
        text.starts_with(&format!("redis {masked}: cannot connect")),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
}

#[tokio::test]
async fn the_binary_exits_with_an_error_when_redis_cannot_be_reached() {
    let url = TestRedis::unreachable_url().replace("redis://", "redis://:hunter2@");
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_lattestream"));
    command
        .args(["--addr", "127.0.0.1:0", "--database-url", "sqlite::memory:"])
        .args(["--redis-url", &url]);
    for (name, _) in std::env::vars().filter(|(k, _)| k.starts_with("LATTESTREAM_")) {
        command.env_remove(name);
    }
    command.env("LATTESTREAM_APP_ID", "1");
    command.env("LATTESTREAM_APP_KEY", common::KEY);
    command.env("LATTESTREAM_APP_SECRET", SECRET);
    let output = tokio::time::timeout(Duration::from_secs(30), command.output())
        .await
        .expect("exits promptly")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("cannot connect"), "{stderr}");
    assert!(stderr.contains("redis://:****@127.0.0.1"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

/// Redis lost while serving: unsigned requests are still served (this node's own limits, with their
/// headers), signed ones are refused with 503 — a nonce that cannot be recorded could be a replay —
/// and the failures are counted. Once Redis is back, signed requests are accepted again.
#[tokio::test]
async fn with_redis_lost_signed_requests_get_503_and_others_are_served() {
    let mut redis = TestRedis::own();
    let server = TestServer::with_config(config_on(&redis)).await;
    assert_eq!(
        Signed::post("/events", &event()).send(&server).await.status,
        200
    );
    redis.stop();
    let signed = Signed::post("/events", &event()).send(&server).await;
    assert_eq!(signed.status, 503, "{}", signed.body);
    assert_eq!(signed.body["code"], "SERVICE_UNAVAILABLE");
    assert_eq!(header(&signed, "retry-after"), "1");
    let unsigned = trigger(&server).await;
    assert_eq!(unsigned.status, 200, "{}", unsigned.body);
    assert!(unsigned.header("x-ratelimit-remaining").is_some());
    let metrics = reqwest::get(server.url("/metrics")).await.unwrap();
    let metrics = metrics.text().await.unwrap();
    let errors = metrics
        .lines()
        .find_map(|l| l.strip_prefix("lattestream_redis_errors_total "))
        .and_then(|v| v.parse::<u64>().ok());
    assert!(errors.is_some_and(|n| n >= 1), "{metrics}");
    redis.restart();
    let started = std::time::Instant::now();
    while Signed::post("/events", &event()).send(&server).await.status != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "Redis used again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Redis work per request is fixed: one round trip (`EVALSHA` of the limiter's script, which runs two
/// `GET`s, a `SET` and an `INCR` inside Redis) per rate-limited request, and one more (`SET … NX EX`)
/// when the request is signed; publishing the event is one `PUBLISH` for the whole cluster and one
/// `HGET` of the channel's cluster-wide count (for `triggered`), sent together — counted by Redis
/// itself (`INFO commandstats`, which counts the commands a script runs as well as the script). The
/// node's heartbeat is set to an hour so its upkeep stays out of the count.
#[tokio::test]
async fn each_request_costs_one_redis_round_trip_per_shared_limit() {
    let redis = TestRedis::own();
    let mut config = config_on(&redis);
    config.redis.heartbeat = Duration::from_secs(3600);
    let server = TestServer::with_config(config).await;
    // Warm-up: the first script call loads the script (EVALSHA refused, SCRIPT LOAD, EVALSHA), and
    // the first request of a minute sets its counter's expiry.
    assert_eq!(trigger(&server).await.status, 200);
    let calls = |requests: usize| {
        let mut calls = redis.command_calls();
        // Not counted: our probes, and the EXPIRE of a new minute's counter (a minute may begin).
        calls.retain(|(name, _)| !["info", "config|resetstat", "expire"].contains(&name.as_str()));
        calls.sort();
        eprintln!("Redis commands for {requests} requests: {calls:?}");
        calls
            .into_iter()
            .map(|(name, n)| (name, n as usize))
            .collect::<Vec<_>>()
    };
    let expect = |evalsha: usize, set: usize| {
        let inside = [("get", 2 * evalsha), ("incr", evalsha)];
        let publish = [("publish", evalsha), ("hget", evalsha)];
        let mut all: Vec<_> = inside
            .into_iter()
            .chain(publish)
            .map(|(n, c)| (n.to_owned(), c))
            .collect();
        all.extend([("evalsha".to_owned(), evalsha), ("set".to_owned(), set)]);
        all.sort();
        all
    };
    redis.reset_stats();
    for _ in 0..50 {
        assert_eq!(trigger(&server).await.status, 200);
    }
    assert_eq!(calls(50), expect(50, 50), "unsigned: the script's SET only");
    redis.reset_stats();
    for _ in 0..50 {
        let reply = Signed::post("/events", &event()).send(&server).await;
        assert_eq!(reply.status, 200);
    }
    assert_eq!(calls(50), expect(50, 100), "signed: and one nonce SET each");
}

/// A Redis that stops answering (frozen, connections open) holds no request longer than
/// `redis.timeout`: the limiter decides on this node, the signed request is refused.
#[tokio::test]
async fn a_redis_that_stops_answering_holds_no_request() {
    let redis = TestRedis::own();
    let mut config = config_on(&redis);
    config.redis.timeout = Duration::from_millis(200);
    let server = TestServer::with_config(config).await;
    assert_eq!(trigger(&server).await.status, 200);
    redis.freeze();
    let bound = common::PATIENCE;
    let unsigned = tokio::time::timeout(bound, trigger(&server)).await;
    let signed = Signed::post("/events", &event());
    let signed = tokio::time::timeout(bound, signed.send(&server)).await;
    redis.thaw();
    assert_eq!(unsigned.expect("answered").status, 200);
    assert_eq!(signed.expect("answered").status, 503);
    assert!(server.node.metrics().redis_errors() >= 1);
}
