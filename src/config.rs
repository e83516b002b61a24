//! The one typed configuration tree. Sources, later ones winning: built-in defaults, the TOML file given
//! by `--config`, `LATTESTREAM_*` environment variables (nested keys with `__`, e.g.
//! `LATTESTREAM_WEBSOCKET__ACTIVITY_TIMEOUT=60s`), one app given wholly by `LATTESTREAM_APP_*`, then the
//! command line. Unknown fields are refused; secrets print masked.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::apps::{App, AppSettings};
use crate::auth::Secret;
use crate::protocol::AppId;

/// Everything the server is told at start.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where HTTP and WebSocket are served.
    pub addr: SocketAddr,
    /// Where the embedded database lives.
    pub data_dir: PathBuf,
    /// `text` or `json` log lines.
    pub log_format: LogFormat,
    /// WebSocket limits and timers.
    pub websocket: WebSocketConfig,
    /// HTTP limits.
    pub http: HttpConfig,
    /// What `GET /discover` tells clients about this node.
    pub discovery: DiscoveryConfig,
    /// How webhooks are batched, retried and kept (the endpoints themselves belong to each app).
    pub webhooks: WebhooksConfig,
    /// Apps defined here, served beside the store's and not changeable through it; when none is and
    /// the store is empty, one app is created on first start.
    pub apps: Vec<App>,
    /// The app store: `postgres://…` for a cluster's shared database, `sqlite:PATH`, `sqlite::memory:`;
    /// none is `lattestream.db` in `data_dir`.
    pub database_url: Option<Sensitive>,
    /// How often a running server checks the app store for changes made elsewhere.
    #[serde(with = "humantime_serde")]
    pub store_poll_interval: Duration,
    /// The bearer token of the admin API (`/admin/…`) and the console's operator sign-in; none turns
    /// the admin API off.
    pub admin_token: Option<Sensitive>,
    /// HTTPS and WSS on `addr` from PEM files; none serves plain HTTP.
    pub tls: Option<crate::tls::TlsConfig>,
    /// The Redis a cluster shares its state through; without a URL the node stands alone.
    pub redis: RedisConfig,
}

/// A configured secret (a database URL with its password, a token): printed masked, so a config dump
/// or log line never carries it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sensitive(String);

impl Sensitive {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for use; never for logs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("****")
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 6001)),
            data_dir: PathBuf::from("data"),
            log_format: LogFormat::Text,
            websocket: WebSocketConfig::default(),
            http: HttpConfig::default(),
            discovery: DiscoveryConfig::default(),
            webhooks: WebhooksConfig::default(),
            apps: Vec::new(),
            database_url: None,
            store_poll_interval: Duration::from_secs(1),
            admin_token: None,
            tls: None,
            redis: RedisConfig::default(),
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// WebSocket timers and limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebSocketConfig {
    /// Silence after which the server pings a client (and tells clients to ping); sent as `activity_timeout`.
    #[serde(with = "humantime_serde")]
    pub activity_timeout: Duration,
    /// How long the server waits for a pong before closing with 4201.
    #[serde(with = "humantime_serde")]
    pub pong_timeout: Duration,
    /// How long a LatteStream-dialect client has to send its credential frame.
    #[serde(with = "humantime_serde")]
    pub handshake_timeout: Duration,
    /// How long one socket write may take before the connection counts as a slow consumer.
    #[serde(with = "humantime_serde")]
    pub write_timeout: Duration,
    /// Largest frame a client may send; larger frames close the connection with 1009.
    pub max_message_bytes: usize,
    /// Frames queued for one connection before it is closed as a slow consumer (4100).
    pub send_queue: usize,
    /// Channels one connection may be subscribed to at once.
    pub max_subscriptions: usize,
}

impl Default for WebSocketConfig {
    fn default() -> Self {
        Self {
            activity_timeout: Duration::from_secs(120),
            pong_timeout: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(10),
            max_message_bytes: 64 * 1024,
            send_queue: 1024,
            max_subscriptions: 1000,
        }
    }
}

/// HTTP limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Largest request body accepted; larger bodies get 413 (a larger `Content-Length` before a byte
    /// of the body is read).
    pub max_body_bytes: usize,
    /// Time a request's whole body has to arrive once its headers have; a body still arriving then
    /// is answered 408 and its connection closed.
    #[serde(with = "humantime_serde")]
    pub body_timeout: Duration,
    /// Request bodies one client address may have in flight at once; more are answered 429.
    pub max_pending_bodies_per_address: usize,
    /// Threads of their own that serve HTTP (the REST APIs and WebSocket handshakes), so the next
    /// event is accepted promptly however many sockets the last one is being written to; 0 shares
    /// the WebSocket runtime's threads.
    pub threads: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            body_timeout: Duration::from_secs(10),
            max_pending_bodies_per_address: 64,
            threads: 1,
        }
    }
}

/// Redis, which makes this node a member of a cluster: nodes given the same apps and the same Redis
/// (and key prefix) share their REST rate limits and signed-request nonces.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://[:PASSWORD@]HOST:PORT[/DB]`; none keeps everything in this process. Also
    /// `LATTESTREAM_REDIS_URL` and `--redis-url`.
    pub url: Option<Sensitive>,
    /// The first part of every key this cluster writes, so several clusters can share one Redis.
    pub key_prefix: String,
    /// Longest wait for one Redis command before the caller's failure rule applies (see
    /// `docs/scaling.md`): a request never hangs on a lost Redis.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// How often a cluster member beats, re-asserts its state when the cluster lost it, and looks
    /// for dead nodes.
    #[serde(with = "humantime_serde")]
    pub heartbeat: Duration,
    /// A member silent this long is dead: another purges its connections and presence members, so
    /// they are gone everywhere within `node_timeout + heartbeat`.
    #[serde(with = "humantime_serde")]
    pub node_timeout: Duration,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: None,
            key_prefix: "lattestream".into(),
            timeout: Duration::from_millis(500),
            heartbeat: Duration::from_secs(2),
            node_timeout: Duration::from_secs(6),
        }
    }
}

/// What `GET /discover` answers. `host` and `port` default to the host and port the client reached
/// (its `Host` header), then to the listen address, so a node behind a proxy is announced by the name
/// clients already use.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscoveryConfig {
    /// Region name reported to clients.
    pub region: String,
    /// Cluster name reported to clients.
    pub cluster: String,
    /// Host clients should connect to.
    pub host: Option<String>,
    /// Port clients should connect to.
    pub port: Option<u16>,
}

impl Default for DiscoveryConfig {
    fn default() -> Self {
        Self {
            region: "local".into(),
            cluster: "local".into(),
            host: None,
            port: None,
        }
    }
}

/// Webhook delivery: batching, debounce, retries, give-up and the bounds on memory and disk.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// How long the first event of a batch waits for others to join it.
    #[serde(with = "humantime_serde")]
    pub batch_window: Duration,
    /// Most events in one request.
    pub max_batch: usize,
    /// A channel vacated and occupied again (a member removed and added again) within this delay
    /// sends neither event; departures are held this long before delivery.
    #[serde(with = "humantime_serde")]
    pub debounce: Duration,
    /// How long one request may take; longer counts as a failure to retry.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// The first retry's delay; each next one doubles, with jitter.
    #[serde(with = "humantime_serde")]
    pub retry_min: Duration,
    /// The longest delay between two retries.
    #[serde(with = "humantime_serde")]
    pub retry_max: Duration,
    /// A batch whose oldest event is this old and still failing goes to the dead-letter list.
    #[serde(with = "humantime_serde")]
    pub give_up: Duration,
    /// Most events kept on disk per endpoint, pending and dead-lettered together; past it new events
    /// for that endpoint are dropped (counted and logged).
    pub backlog_cap: u64,
    /// Events waiting in memory between the fan-out and the disk writer; past it new events are
    /// dropped (counted and logged) rather than slowing the fan-out.
    pub handoff: usize,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        Self {
            batch_window: Duration::from_millis(500),
            max_batch: 100,
            debounce: Duration::from_secs(3),
            request_timeout: Duration::from_secs(10),
            retry_min: Duration::from_secs(1),
            retry_max: Duration::from_secs(300),
            give_up: Duration::from_secs(24 * 3600),
            backlog_cap: 1_000_000,
            handoff: 65_536,
        }
    }
}

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A source could not be read or has a bad value or unknown field.
    #[error("configuration: {0}")]
    Invalid(#[from] Box<figment::Error>),
    /// `LATTESTREAM_APP_*` is incomplete or malformed.
    #[error("environment app: {0}")]
    EnvApp(String),
}

/// Values given on the command line, which win over every other source.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--addr`
    pub addr: Option<SocketAddr>,
    /// `--data-dir`
    pub data_dir: Option<PathBuf>,
    /// `--database-url`
    pub database_url: Option<String>,
    /// `--redis-url`
    pub redis_url: Option<String>,
}

impl Config {
    /// Loads the tree from defaults, `file`, the environment and `overrides`.
    pub fn load(file: Option<&Path>, overrides: Overrides) -> Result<Self, ConfigError> {
        let env = |name: &str| std::env::var(name).ok();
        Self::load_with(file, overrides, env)
    }

    /// As [`Config::load`], reading variables through `env` (tests pass a map).
    pub fn load_with(
        file: Option<&Path>,
        overrides: Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        let sections = top_level_keys();
        let vars = Env::prefixed("LATTESTREAM_").split("__").filter(move |k| {
            let k = k.as_str().to_ascii_lowercase();
            sections.iter().any(|s| {
                k == *s
                    || k.strip_prefix(s.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
            })
        });
        let mut config: Config = figment.merge(vars).extract().map_err(Box::new)?;
        if let Some(app) = env_app(&env)? {
            config.apps.retain(|a| a.id != app.id);
            config.apps.push(app);
        }
        config.apply(overrides, &env);
        Ok(config)
    }

    /// The command line's values, and `LATTESTREAM_REDIS_URL` (the name compose files and other
    /// servers use for `redis.url`) under `--redis-url`.
    fn apply(&mut self, overrides: Overrides, env: &impl Fn(&str) -> Option<String>) {
        self.addr = overrides.addr.unwrap_or(self.addr);
        if let Some(dir) = overrides.data_dir {
            self.data_dir = dir;
        }
        if let Some(url) = overrides.database_url {
            self.database_url = Some(Sensitive::new(url));
        }
        if let Some(url) = overrides.redis_url.or_else(|| env("LATTESTREAM_REDIS_URL")) {
            self.redis.url = Some(Sensitive::new(url));
        }
    }
}

/// The config tree's top-level keys: only `LATTESTREAM_*` variables naming one of them are read into the
/// tree, so other variables of ours (`LATTESTREAM_APP_*`, `LATTESTREAM_LOG`, `LATTESTREAM_CONFIG`) and of
/// tools around us never trip the unknown-field check.
fn top_level_keys() -> Vec<String> {
    let tree = serde_json::to_value(Config::default()).expect("the default config serialises");
    tree.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// The app `LATTESTREAM_APP_ID`, `_KEY`, `_SECRET`, `_CLIENT_EVENTS`, `_RATE_LIMIT` and `_WEBHOOKS`
/// describe, if any.
fn env_app(env: &impl Fn(&str) -> Option<String>) -> Result<Option<App>, ConfigError> {
    let Some(id) = env("LATTESTREAM_APP_ID") else {
        return Ok(None);
    };
    let fail = |m: &str| ConfigError::EnvApp(m.to_owned());
    let id = AppId::parse(&id).ok_or_else(|| fail("LATTESTREAM_APP_ID must be digits"))?;
    let key = env("LATTESTREAM_APP_KEY").ok_or_else(|| fail("LATTESTREAM_APP_KEY is required"))?;
    let secret =
        env("LATTESTREAM_APP_SECRET").ok_or_else(|| fail("LATTESTREAM_APP_SECRET is required"))?;
    let mut settings = AppSettings::default();
    if let Some(v) = env("LATTESTREAM_APP_CLIENT_EVENTS") {
        settings.client_events = parse_bool(&v)
            .ok_or_else(|| fail("LATTESTREAM_APP_CLIENT_EVENTS must be true or false"))?;
    }
    if let Some(v) = env("LATTESTREAM_APP_RATE_LIMIT") {
        settings.rate_limits.enabled = parse_bool(&v)
            .ok_or_else(|| fail("LATTESTREAM_APP_RATE_LIMIT must be true or false"))?;
    }
    if let Some(v) = env("LATTESTREAM_APP_WEBHOOKS") {
        settings.webhooks = serde_json::from_str(&v).map_err(|e| {
            ConfigError::EnvApp(format!("LATTESTREAM_APP_WEBHOOKS must be a JSON list of {{\"url\", \"secret\", \"event_types\"?, \"filter_prefix\"?}}: {e}"))
        })?;
    }
    Ok(Some(App {
        id,
        key,
        secret: Secret::new(secret),
        previous_secret: None,
        settings,
    }))
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_serve_on_6001() {
        figment::Jail::expect_with(|_| {
            let config = Config::load_with(None, Overrides::default(), vars(&[])).unwrap();
            assert_eq!(config.addr.to_string(), "127.0.0.1:6001");
            assert_eq!(config.websocket.activity_timeout, Duration::from_secs(120));
            Ok(())
        });
    }

    #[test]
    fn an_app_comes_wholly_from_the_environment() {
        let env = vars(&[
            ("LATTESTREAM_APP_ID", "77"),
            ("LATTESTREAM_APP_KEY", "lspk_k"),
            ("LATTESTREAM_APP_SECRET", "lsk_s"),
            ("LATTESTREAM_APP_CLIENT_EVENTS", "true"),
        ]);
        let config = Config::load_with(None, Overrides::default(), env).unwrap();
        assert_eq!(config.apps.len(), 1);
        assert!(config.apps[0].settings.client_events);
        assert!(
            !format!("{config:?}").contains("lsk_s"),
            "secrets print masked"
        );
    }

    #[test]
    fn process_environment_is_read_without_tripping_on_other_variables() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("LATTESTREAM_APP_ID", "5");
            jail.set_env("LATTESTREAM_APP_KEY", "lspk_k");
            jail.set_env("LATTESTREAM_APP_SECRET", "lsk_s");
            jail.set_env("LATTESTREAM_LOG", "debug");
            jail.set_env("LATTESTREAM_BIN", "/somewhere");
            jail.set_env("LATTESTREAM_ADDR", "127.0.0.1:7777");
            jail.set_env("LATTESTREAM_WEBSOCKET__SEND_QUEUE", "7");
            let config = Config::load(None, Overrides::default()).expect("loads");
            assert_eq!(config.addr.to_string(), "127.0.0.1:7777");
            assert_eq!(config.websocket.send_queue, 7);
            assert_eq!(config.apps[0].id.as_str(), "5");
            Ok(())
        });
    }

    #[test]
    fn webhooks_come_from_the_environment_and_settings_from_the_file() {
        let env = vars(&[
            ("LATTESTREAM_APP_ID", "77"),
            ("LATTESTREAM_APP_KEY", "lspk_k"),
            ("LATTESTREAM_APP_SECRET", "lsk_s"),
            (
                "LATTESTREAM_APP_WEBHOOKS",
                r#"[{"url":"http://127.0.0.1:9/h","secret":"whsec","event_types":["client_event"]}]"#,
            ),
        ]);
        let path = std::env::temp_dir().join(format!("ls-{}.toml", uuid::Uuid::new_v4()));
        std::fs::write(
            &path,
            "[webhooks]\ndebounce = \"750ms\"\ngive_up = \"6h\"\n",
        )
        .unwrap();
        let config = Config::load_with(Some(&path), Overrides::default(), env).unwrap();
        std::fs::remove_file(path).unwrap();
        let hooks = &config.apps[0].settings.webhooks;
        assert_eq!(hooks[0].url.as_str(), "http://127.0.0.1:9/h");
        assert_eq!(config.webhooks.debounce, Duration::from_millis(750));
        assert_eq!(config.webhooks.give_up, Duration::from_secs(6 * 3600));
        assert_eq!(config.webhooks.max_batch, 100);
        assert!(
            !format!("{config:?}").contains("whsec"),
            "secrets print masked"
        );
        let bad = vars(&[
            ("LATTESTREAM_APP_ID", "77"),
            ("LATTESTREAM_APP_KEY", "lspk_k"),
            ("LATTESTREAM_APP_SECRET", "lsk_s"),
            (
                "LATTESTREAM_APP_WEBHOOKS",
                r#"[{"url":"ftp://x","secret":"s"}]"#,
            ),
        ]);
        assert!(Config::load_with(None, Overrides::default(), bad).is_err());
    }

    #[test]
    fn discovery_defaults_to_local_and_reads_its_section() {
        let config = Config::load_with(None, Overrides::default(), vars(&[])).unwrap();
        assert_eq!(config.discovery.region, "local");
        assert_eq!(config.discovery.host, None);
        let path = std::env::temp_dir().join(format!("ls-{}.toml", uuid::Uuid::new_v4()));
        std::fs::write(&path, "[discovery]\nregion = \"eu-west\"\nport = 443\n").unwrap();
        let config = Config::load_with(Some(&path), Overrides::default(), vars(&[])).unwrap();
        std::fs::remove_file(path).unwrap();
        assert_eq!(
            (config.discovery.region.as_str(), config.discovery.port),
            ("eu-west", Some(443))
        );
    }

    #[test]
    fn store_admin_and_tls_settings_come_from_the_environment_and_print_masked() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("LATTESTREAM_DATABASE_URL", "postgres://u:pw@db/ls");
            jail.set_env("LATTESTREAM_ADMIN_TOKEN", "let-me-in");
            jail.set_env("LATTESTREAM_TLS__CERT", "/etc/ls/cert.pem");
            jail.set_env("LATTESTREAM_TLS__KEY", "/etc/ls/key.pem");
            let config = Config::load(None, Overrides::default()).expect("loads");
            let url = config.database_url.as_ref().map(Sensitive::expose);
            assert_eq!(url, Some("postgres://u:pw@db/ls"));
            assert_eq!(
                config.tls.as_ref().unwrap().cert.to_str(),
                Some("/etc/ls/cert.pem")
            );
            let printed = format!("{config:?}");
            assert!(
                !printed.contains("pw@") && !printed.contains("let-me-in"),
                "{printed}"
            );
            let flag = Overrides {
                database_url: Some("sqlite::memory:".into()),
                ..Default::default()
            };
            let config = Config::load(None, flag).expect("loads");
            assert_eq!(config.database_url.unwrap().expose(), "sqlite::memory:");
            Ok(())
        });
    }

    #[test]
    fn redis_comes_from_the_file_the_environment_or_the_flag_and_prints_masked() {
        figment::Jail::expect_with(|jail| {
            let config = Config::load(None, Overrides::default()).expect("loads");
            assert!(config.redis.url.is_none(), "no Redis unless asked");
            assert_eq!(config.redis.key_prefix, "lattestream");
            assert_eq!(config.redis.timeout, Duration::from_millis(500));
            jail.create_file(
                "ls.toml",
                "[redis]\nurl = \"redis://file\"\ntimeout = \"2s\"\n",
            )?;
            jail.set_env("LATTESTREAM_REDIS_URL", "redis://:pw@env:6379/");
            jail.set_env("LATTESTREAM_REDIS__KEY_PREFIX", "eu1");
            let config = Config::load(Some(Path::new("ls.toml")), Overrides::default()).unwrap();
            let url = config.redis.url.as_ref().map(Sensitive::expose);
            assert_eq!(url, Some("redis://:pw@env:6379/"));
            assert_eq!(config.redis.key_prefix, "eu1");
            assert_eq!(config.redis.timeout, Duration::from_secs(2));
            assert!(!format!("{config:?}").contains("pw@"));
            let flag = Overrides {
                redis_url: Some("redis://flag".into()),
                ..Default::default()
            };
            let config = Config::load(None, flag).unwrap();
            assert_eq!(config.redis.url.unwrap().expose(), "redis://flag");
            Ok(())
        });
    }

    #[test]
    fn a_file_with_unknown_fields_is_refused() {
        let path = std::env::temp_dir().join(format!("ls-{}.toml", uuid::Uuid::new_v4()));
        std::fs::write(&path, "addr = \"127.0.0.1:7000\"\nbogus = 1\n").unwrap();
        assert!(Config::load_with(Some(&path), Overrides::default(), vars(&[])).is_err());
        std::fs::write(
            &path,
            "addr = \"127.0.0.1:7000\"\n[websocket]\nactivity_timeout = \"5s\"\n",
        )
        .unwrap();
        let config = Config::load_with(Some(&path), Overrides::default(), vars(&[])).unwrap();
        assert_eq!(config.websocket.activity_timeout, Duration::from_secs(5));
        std::fs::remove_file(path).unwrap();
    }
}
