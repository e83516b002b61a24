//! App management end to end: `lattestream apps …` run as another process on the SQLite file a running
//! server uses, and the admin REST API; each change reaches the running server without a restart.

mod common;

use std::path::{Path, PathBuf};

use common::{PATIENCE, TestServer, WsClient, eventually};
use lattestream::config::{Config, Sensitive};
use serde_json::{Value, json};

/// A fresh data directory.
fn data_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ls-apps-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `lattestream --data-dir DIR apps ARGS…`; its standard output (panics on failure).
async fn cli(dir: &Path, args: &[&str]) -> String {
    let output = cli_run(dir, args).await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "apps {args:?} failed: {stderr}");
    stdout
}

async fn cli_run(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_lattestream"));
    command.arg("--data-dir").arg(dir).arg("apps").args(args);
    for (name, _) in std::env::vars().filter(|(k, _)| k.starts_with("LATTESTREAM_")) {
        command.env_remove(name);
    }
    command.output().await.unwrap()
}

/// `id=… key=… secret=…` → (id, key, secret).
fn keys(line: &str) -> (String, String, String) {
    let field = |name: &str| {
        let found = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{name}=")));
        found
            .unwrap_or_else(|| panic!("no {name} in {line:?}"))
            .to_owned()
    };
    (field("id"), field("key"), field("secret"))
}

/// Whether a Pusher client with this key is let in.
async fn connects(server: &TestServer, key: &str) -> bool {
    let mut client = WsClient::pusher_raw(server.addr, key, "?protocol=7").await;
    matches!(client.next().await, Ok(frame) if frame["event"] == "pusher:connection_established")
}

/// The status of `POST /events` made with this private key.
async fn publish_status(server: &TestServer, secret: &str) -> u16 {
    let body = json!({"channels": ["news"], "event": "flash", "data": {}});
    server.post("/events", secret, &body).await.0
}

fn sqlite_config(dir: &Path) -> Config {
    Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.to_owned(),
        ..Default::default()
    }
}

#[tokio::test]
async fn apps_created_changed_rotated_and_deleted_by_the_cli_reach_a_running_server() {
    let dir = data_dir();
    let server = TestServer::with_config(sqlite_config(&dir)).await;
    let first = cli(&dir, &[]).await;
    assert_eq!(
        first.lines().count(),
        1,
        "the first app, created at start: {first}"
    );
    assert_eq!(cli(&dir, &["list"]).await, first, "`apps` is `apps list`");

    let (id, key, secret) =
        keys(&cli(&dir, &["create", "--id", "4242", "client_events=true"]).await);
    assert_eq!(id, "4242");
    eventually(|| connects(&server, &key)).await;
    assert_eq!(publish_status(&server, &secret).await, 200);

    cli(
        &dir,
        &[
            "set",
            &id,
            "rate_limits.events.per_minute=100",
            "max_connections=50",
        ],
    )
    .await;
    let shown: Value = serde_json::from_str(&cli(&dir, &["show", &id]).await).unwrap();
    assert_eq!(
        shown["settings"]["rate_limits"]["events"]["per_minute"],
        100
    );
    assert_eq!(shown["settings"]["client_events"], true);
    eventually(|| async {
        let body = json!({"channels": ["news"], "event": "flash", "data": {}});
        let reply = server.post_json("/events", &secret, &body).await;
        reply.header("x-ratelimit-limit") == Some("100")
    })
    .await;

    let (_, _, rotated) = keys(&cli(&dir, &["rotate", &id]).await);
    eventually(|| async { publish_status(&server, &rotated).await == 200 }).await;
    assert_eq!(
        publish_status(&server, &secret).await,
        200,
        "the old key, within its grace"
    );
    let (_, _, latest) = keys(&cli(&dir, &["rotate", &id, "--grace", "0s"]).await);
    eventually(|| async { publish_status(&server, &latest).await == 200 }).await;
    for old in [&secret, &rotated] {
        assert_eq!(
            publish_status(&server, old).await,
            401,
            "no grace: refused at once"
        );
    }

    let mut client = WsClient::pusher(server.addr, &key).await;
    assert!(cli(&dir, &["delete", &id]).await.contains("deleted"));
    assert_eq!(
        client.expect_close().await,
        Some(4001),
        "closed: the app does not exist"
    );
    assert!(!connects(&server, &key).await);
    server.shutdown().await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn the_cli_refuses_bad_settings_unknown_apps_and_taken_ids() {
    let dir = data_dir();
    cli(&dir, &["create", "--id", "7"]).await;
    let failed = |args: &'static [&'static str]| {
        let dir = dir.clone();
        async move {
            let output = cli_run(&dir, args).await;
            assert!(!output.status.success(), "{args:?} succeeded");
            String::from_utf8_lossy(&output.stderr).into_owned()
        }
    };
    assert!(
        failed(&["set", "7", "client_evnts=true"])
            .await
            .contains("unknown setting `client_evnts`")
    );
    assert!(
        failed(&["set", "7", "max_connections=many"])
            .await
            .contains("max_connections")
    );
    assert!(
        failed(&["set", "7", "no-equals-sign"])
            .await
            .contains("PATH=VALUE")
    );
    assert!(failed(&["rotate", "8"]).await.contains("app 8 not found"));
    assert!(
        failed(&["create", "--id", "7"])
            .await
            .contains("already exists")
    );
    std::fs::remove_dir_all(dir).unwrap();
}

const TOKEN: &str = "operator-token-for-tests";

fn admin_config() -> Config {
    let mut config = common::test_config();
    config.admin_token = Some(Sensitive::new(TOKEN));
    config
}

async fn admin(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> common::Reply {
    let url = server.url(path);
    server
        .send(|c| {
            let request = c.request(method, url).bearer_auth(TOKEN);
            match body {
                Some(body) => request.json(&body),
                None => request,
            }
        })
        .await
}

#[tokio::test]
async fn the_admin_api_is_absent_without_a_token_and_refuses_a_wrong_one() {
    let server = TestServer::start().await;
    let reply = server.get("/admin/apps", TOKEN).await;
    assert_eq!(
        (reply.status, reply.body["code"].as_str()),
        (404, Some("NOT_FOUND"))
    );
    server.shutdown().await;

    let server = TestServer::with_config(admin_config()).await;
    for wrong in ["", "operator-token-for-test", common::SECRET] {
        let reply = server.get("/admin/apps", wrong).await;
        assert_eq!(
            (reply.status, reply.body["code"].as_str()),
            (401, Some("INVALID_ADMIN_TOKEN"))
        );
    }
    let reply = server.send(|c| c.get(server.url("/admin/apps"))).await;
    assert_eq!(reply.status, 401);
    server.shutdown().await;
}

#[tokio::test]
async fn the_admin_api_manages_apps_and_the_node_applies_each_change_before_answering() {
    use reqwest::Method;
    let server = TestServer::with_config(admin_config()).await;
    let body = json!({"id": "900", "settings": {"client_events": true, "rate_limits": {"enabled": false}}});
    let made = admin(&server, Method::POST, "/admin/apps", Some(body)).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let (key, secret) = (
        made.body["key"].as_str().unwrap(),
        made.body["secret"].as_str().unwrap(),
    );
    assert!(
        connects(&server, key).await,
        "served at once on the node that created it"
    );
    assert_eq!(made.body["settings"]["client_events"], true);

    let listed = admin(&server, Method::GET, "/admin/apps", None).await;
    let sources: Vec<_> = listed.body["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_owned(),
                a["source"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        sources,
        [
            ("1".into(), "config".into()),
            ("2".into(), "config".into()),
            ("900".into(), "store".into())
        ]
    );

    let patch = json!({"settings": {"max_event_channels": 2, "rate_limits": {"enabled": null}}});
    let changed = admin(&server, Method::PATCH, "/admin/apps/900", Some(patch)).await;
    assert_eq!(changed.body["settings"]["max_event_channels"], 2);
    assert_eq!(
        changed.body["settings"]["rate_limits"]["enabled"], true,
        "null restores the default"
    );
    let bad = admin(
        &server,
        Method::PATCH,
        "/admin/apps/900",
        Some(json!({"settings": {"nope": 1}})),
    )
    .await;
    assert_eq!(
        (bad.status, bad.body["code"].as_str()),
        (400, Some("INVALID_SETTING"))
    );
    let read_only = admin(&server, Method::POST, "/admin/apps/1/rotate", None).await;
    assert_eq!(
        (read_only.status, read_only.body["code"].as_str()),
        (409, Some("APP_READ_ONLY"))
    );

    let rotated = admin(
        &server,
        Method::POST,
        "/admin/apps/900/rotate",
        Some(json!({"grace": "0s"})),
    )
    .await;
    let new_secret = rotated.body["secret"].as_str().unwrap();
    assert_eq!(publish_status(&server, secret).await, 401);
    assert_eq!(publish_status(&server, new_secret).await, 200);

    let mut client = WsClient::pusher(server.addr, key).await;
    let deleted = admin(&server, Method::DELETE, "/admin/apps/900", None).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(client.expect_close().await, Some(4001));
    let gone = admin(&server, Method::GET, "/admin/apps/900", None).await;
    assert_eq!(
        (gone.status, gone.body["code"].as_str()),
        (404, Some("APP_NOT_FOUND"))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn health_answers_while_serving_and_ready_while_the_store_answers() {
    let server = TestServer::start().await;
    let health = server.send(|c| c.get(server.url("/health"))).await;
    let ready = server.send(|c| c.get(server.url("/ready"))).await;
    assert_eq!((health.status, ready.status), (200, 200));
    assert_eq!(ready.body["status"], "ready");
    server.shutdown().await;
    let _ = PATIENCE;
}
