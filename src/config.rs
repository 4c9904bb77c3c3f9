//! Configuration: defaults -> file (`--config`, else `./charla.toml` if present) ->
//! `CHARLA__SECTION__KEY` environment variables -> command-line flags.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::path::{Path, PathBuf};

/// The whole configuration. Every key is documented in `config.example.toml`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Config {
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub auth: AuthConfig,
    pub security: SecurityConfig,
    pub inbox: InboxConfig,
    pub widget: WidgetConfig,
    pub outbound: OutboundConfig,
    pub cluster: ClusterConfig,
    pub log: LogConfig,
    pub ui: UiConfig,
    pub metrics: MetricsConfig,
}

/// The agent interface's defaults, for agents who have not chosen in their profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct UiConfig {
    /// `en` or `es`: the language for browsers that ask for neither.
    pub language: String,
    /// An IANA time zone (`Europe/Madrid`) for dates and times.
    pub timezone: String,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            language: "en".into(),
            timezone: "UTC".into(),
        }
    }
}

/// `GET /metrics` in Prometheus's text format: off unless enabled, and then behind a
/// bearer token on the main port, or on a listener of its own.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct MetricsConfig {
    /// Serve the metrics.
    pub enabled: bool,
    /// The bearer token a scraper sends (`Authorization: Bearer …`). Required unless
    /// `listen` is set; with `listen` set, that listener asks for it too when given.
    pub token: Option<Secret>,
    /// Read `token` from this file instead.
    pub token_file: Option<PathBuf>,
    /// A separate address (`127.0.0.1:9464`) that serves only `/metrics`; the main port
    /// then answers 404 there. Empty: the main port serves it, behind the token.
    pub listen: String,
}

impl MetricsConfig {
    /// The separate metrics address, when one is set.
    pub fn own_listener(&self) -> Option<&str> {
        Some(self.listen.trim()).filter(|l| self.enabled && !l.is_empty())
    }
}

/// Several Charla nodes serving one installation (PostgreSQL engine only). Absent
/// (`nats_url` unset): one node, nothing of this runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ClusterConfig {
    /// The NATS server that carries live events and cache invalidations between nodes
    /// (`nats://host:4222`). Setting it turns cluster mode on.
    pub nats_url: Option<String>,
    /// This node's name in leases and logs, unique among the nodes; empty: host name,
    /// process id and a random suffix.
    pub node_id: String,
    /// How long a node holds a job or poller lease without renewing it; a dead node's
    /// work moves to another node within this time.
    pub lease_seconds: u64,
    /// Longest time a node's caches (agents, teams, inboxes) may lag behind another
    /// node's change when the bus is down.
    pub max_staleness_seconds: u64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            nats_url: None,
            node_id: String::new(),
            lease_seconds: 15,
            max_staleness_seconds: 10,
        }
    }
}

impl ClusterConfig {
    /// Whether cluster mode is on.
    pub fn enabled(&self) -> bool {
        self.nats_url
            .as_deref()
            .is_some_and(|u| !u.trim().is_empty())
    }
}

/// Outbound connections to addresses admins type in: webhooks, IMAP and SMTP servers
/// (the outbox, the mail pollers and "Test connection").
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct OutboundConfig {
    /// Allow private, loopback, link-local and other non-public addresses (a mail server
    /// or an integration on the same host or LAN). `inbox.webhook_allow_private`, the
    /// older name, allows them too.
    pub allow_private: bool,
}

/// The website chat widget's abuse limits (in memory; in the store with several nodes).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct WidgetConfig {
    /// Messages one visitor may send per minute.
    pub messages_per_minute_per_visitor: usize,
    /// Messages all visitors behind one IP address may send per minute.
    pub messages_per_minute_per_ip: usize,
    /// New conversations one IP address may start per hour.
    pub conversations_per_hour_per_ip: usize,
    /// Largest file a visitor may send from the widget (never more than
    /// `inbox.max_upload_bytes`).
    pub max_upload_bytes: ByteSize,
    /// Files one visitor may upload per hour.
    pub files_per_hour_per_visitor: usize,
}

impl Default for WidgetConfig {
    fn default() -> Self {
        WidgetConfig {
            messages_per_minute_per_visitor: 20,
            messages_per_minute_per_ip: 60,
            conversations_per_hour_per_ip: 10,
            max_upload_bytes: ByteSize(10_000_000),
            files_per_hour_per_visitor: 20,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct InboxConfig {
    /// A conversation is "missed" (red dot) after this many seconds without an agent reply.
    pub missed_after_seconds: u64,
    /// Longest message content accepted, in characters (longer: 422).
    pub max_message_chars: usize,
    /// Webhook deliveries of agent replies are retried this many times before the
    /// message is marked failed.
    pub webhook_max_attempts: u32,
    /// Seconds a webhook receiver gets to answer.
    pub webhook_timeout_seconds: u64,
    /// The older name of `outbound.allow_private` (either one true allows private
    /// addresses for every outbound connection, mail servers included).
    pub webhook_allow_private: bool,
    /// Inbound attachments larger than this are listed on their message with a note,
    /// but their bytes are not stored.
    pub max_attachment_bytes: ByteSize,
    /// Largest file an agent (or a website visitor) may upload, per file; a larger one
    /// is refused while it streams in, with nothing kept.
    pub max_upload_bytes: ByteSize,
    /// How long the signed download links of sent files stay valid (hours): the links
    /// API webhooks, SMS and link-based messaging channels carry.
    pub file_link_ttl_hours: u64,
}

impl Default for InboxConfig {
    fn default() -> Self {
        InboxConfig {
            missed_after_seconds: 30,
            max_message_chars: 10_000,
            webhook_max_attempts: 8,
            webhook_timeout_seconds: 10,
            webhook_allow_private: false,
            max_attachment_bytes: ByteSize(
                crate::channels::email::Limits::default().max_attachment_bytes as u64,
            ),
            max_upload_bytes: ByteSize(30_000_000),
            file_link_ttl_hours: 168,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: String,
    /// The URL people use to reach charla (for links in invites and the widget snippet,
    /// and the cross-site check); empty: derived from each request's Host header (or
    /// from forwarding headers of a trusted proxy).
    pub public_url: String,
    /// HTTP worker threads; 0 means one per CPU core.
    pub workers: usize,
    /// Mark cookies `Secure` even when the request did not arrive over HTTPS (set this
    /// behind a TLS-terminating proxy).
    pub secure_cookies: bool,
    /// Largest accepted form body.
    pub max_form_bytes: ByteSize,
    /// Largest accepted JSON body.
    pub max_json_bytes: ByteSize,
    /// Seconds a request body may take to arrive in full (slower: 408 and the
    /// connection is closed); 0 turns the limit off.
    pub body_timeout_seconds: u64,
    /// Seconds to let in-flight requests finish on shutdown.
    pub shutdown_timeout_seconds: u64,
    /// Reverse proxies whose `X-Forwarded-For` (and `-Proto`, `-Host`, `Forwarded`) is
    /// believed: requests from these
    /// addresses are counted (sign-in throttling, chat limits) under the client address
    /// the proxy reports. Empty: the connecting address is the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            public_url: String::new(),
            workers: 0,
            secure_cookies: false,
            max_form_bytes: ByteSize(64 << 10),
            max_json_bytes: ByteSize(1 << 20),
            body_timeout_seconds: 30,
            shutdown_timeout_seconds: 30,
            trusted_proxies: vec![],
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct StorageConfig {
    /// The data directory.
    pub path: PathBuf,
    /// Memory the embedded database may use for its page cache.
    pub cache_capacity: ByteSize,
    /// Background flush interval of the database, in ms (acknowledged writes are always
    /// flushed before the acknowledgement regardless).
    pub flush_every_ms: u64,
    /// `sled` (embedded, in `path`) or `postgres` (at `url`).
    pub engine: String,
    /// The PostgreSQL connection URL (`postgres://user:password@host:port/db`).
    pub url: Option<Secret>,
    /// Read `url` from this file instead.
    pub url_file: Option<PathBuf>,
    /// Connections to PostgreSQL this process keeps.
    pub pool_size: usize,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            path: "./data".into(),
            cache_capacity: ByteSize(64 << 20),
            flush_every_ms: 500,
            engine: "sled".into(),
            url: None,
            url_file: None,
            pool_size: 8,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// A session ends after this many minutes without a request.
    pub session_idle_minutes: u64,
    /// A session ends this many days after sign-in, active or not.
    pub session_max_days: u64,
    /// Password hashes computed at the same time (each takes about 19 MiB).
    pub max_concurrent_hashes: usize,
    /// Failed sign-ins per account *from one client IP* within the window before that
    /// IP gets 429 for that account (the account stays open from other addresses).
    pub login_max_failures_per_account: u32,
    /// Failed sign-ins per client IP, over all accounts, within the window before 429.
    pub login_max_failures_per_ip: u32,
    /// Failed sign-ins of one account from all addresses within the window after which
    /// every further attempt on it waits `login_slowdown_seconds` (0: never slow down).
    pub login_slow_after_failures_per_account: u32,
    /// That wait, in seconds.
    pub login_slowdown_seconds: u64,
    /// The throttling window, in seconds.
    pub login_throttle_window_seconds: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_idle_minutes: 12 * 60,
            session_max_days: 30,
            max_concurrent_hashes: 2,
            login_max_failures_per_account: 5,
            login_max_failures_per_ip: 20,
            login_slow_after_failures_per_account: 20,
            login_slowdown_seconds: 3,
            login_throttle_window_seconds: 900,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SecurityConfig {
    /// Key for signing (CSRF tokens before sign-in, and later channel secrets). Empty:
    /// generated once into `<storage.path>/secret.key`.
    pub secret_key: Option<Secret>,
    /// Read `secret_key` from this file instead.
    pub secret_key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LogConfig {
    /// `error`, `warn`, `info`, `debug`, `trace`, or a tracing filter
    /// (`info,charla=debug`). `RUST_LOG` overrides it.
    pub level: String,
    /// `text` (one readable line per event) or `json` (one JSON object per line, for
    /// log shippers).
    pub format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}

/// A secret string: never printed by `Debug`, `Display` or `check-config`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret itself; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("<redacted>")
    }
}

/// A size in bytes, written as an integer or as `"64MiB"`, `"512KiB"`, `"1GiB"`, `"2MB"`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl fmt::Debug for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string())
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        for (unit, size) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
            if n >= size && n.is_multiple_of(size) {
                return write!(f, "{}{unit}", n / size);
            }
        }
        write!(f, "{n}B")
    }
}

impl std::str::FromStr for ByteSize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let n: u64 = num
            .parse()
            .map_err(|_| format!("invalid size {s:?} (expected for example 64MiB)"))?;
        let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kb" => 1000,
            "kib" => 1 << 10,
            "m" | "mb" => 1_000_000,
            "mib" => 1 << 20,
            "g" | "gb" => 1_000_000_000,
            "gib" => 1 << 30,
            other => {
                return Err(format!(
                    "unknown size unit {other:?} in {s:?} (use B, KiB, MiB, GiB)"
                ));
            }
        };
        n.checked_mul(mult)
            .map(ByteSize)
            .ok_or_else(|| format!("size {s:?} is too large"))
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(ByteSize(n)),
            Raw::S(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("invalid environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("invalid configuration: {0}")]
    Value(String),
}

/// Values from command-line flags, applied last.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<String>,
    pub data: Option<PathBuf>,
}

/// A loaded configuration plus what the loader noticed.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    /// The file read, if any.
    pub file: Option<PathBuf>,
    /// Unknown keys and other non-fatal remarks.
    pub warnings: Vec<String>,
}

const ENV_PREFIX: &str = "CHARLA__";

/// Loads the configuration from the layers, in order.
pub fn load(
    file: Option<&Path>,
    env: &[(String, String)],
    flags: &Overrides,
) -> Result<Loaded, ConfigError> {
    let mut warnings = Vec::new();
    let default_file = Path::new("charla.toml");
    let file = match file {
        Some(p) => Some(p.to_path_buf()),
        None if default_file.exists() => Some(default_file.to_path_buf()),
        None => None,
    };
    let mut table = toml::Table::new();
    if let Some(path) = &file {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let invalid = |message| ConfigError::Invalid {
            path: path.clone(),
            message,
        };
        // Check the file on its own first, so an error names its line.
        let de = toml::Deserializer::parse(&text).map_err(|e| invalid(describe(&text, &e)))?;
        let mut unknown = Vec::new();
        let _: Config = serde_ignored::deserialize(de, |p| unknown.push(p.to_string()))
            .map_err(|e: toml::de::Error| invalid(describe(&text, &e)))?;
        for key in unknown {
            warnings.push(format!("{}: unknown key `{key}` ignored", path.display()));
        }
        table = text
            .parse::<toml::Table>()
            .map_err(|e| invalid(describe(&text, &e)))?;
    }
    let defaults =
        toml::Table::try_from(Config::default()).map_err(|e| ConfigError::Value(e.to_string()))?;
    for (var, value) in env {
        let Some(rest) = var.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        let parts: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
        let [section, key] = parts.as_slice() else {
            warnings.push(format!(
                "environment variable {var} ignored: expected CHARLA__SECTION__KEY"
            ));
            continue;
        };
        let default = defaults
            .get(section)
            .and_then(|s| s.as_table())
            .and_then(|s| s.get(key));
        let known_optional = (section == "security"
            && (key == "secret_key" || key == "secret_key_file"))
            || (section == "storage" && (key == "url" || key == "url_file"))
            || (section == "cluster" && key == "nats_url")
            || (section == "metrics" && (key == "token" || key == "token_file"));
        if default.is_none() && !known_optional {
            warnings.push(format!(
                "environment variable {var} ignored: unknown key `{section}.{key}`"
            ));
            continue;
        }
        let v = typed_env_value(default, value).map_err(|message| ConfigError::Env {
            var: var.clone(),
            message,
        })?;
        let sec = table
            .entry(section.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let Some(t) = sec.as_table_mut() {
            t.insert(key.clone(), v);
        }
    }
    let mut config: Config = Config::deserialize(toml::Value::Table(table)).map_err(|e| {
        ConfigError::Value(format!("{} (from an environment variable)", e.message()))
    })?;
    if let Some(l) = &flags.listen {
        config.server.listen = l.clone();
    }
    if let Some(d) = &flags.data {
        config.storage.path = d.clone();
    }
    resolve_secret_files(&mut config)?;
    validate(&config)?;
    Ok(Loaded {
        config,
        file,
        warnings,
    })
}

/// Parses an environment value as the type of the key's default.
fn typed_env_value(default: Option<&toml::Value>, raw: &str) -> Result<toml::Value, String> {
    Ok(match default {
        Some(toml::Value::Integer(_)) => toml::Value::Integer(
            raw.trim()
                .parse()
                .map_err(|_| format!("expected a whole number, got {raw:?}"))?,
        ),
        Some(toml::Value::Boolean(_)) => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => toml::Value::Boolean(true),
            "false" | "0" | "no" | "off" => toml::Value::Boolean(false),
            _ => return Err(format!("expected true or false, got {raw:?}")),
        },
        // A list: comma-separated (`CHARLA__SERVER__TRUSTED_PROXIES=10.0.0.1,10.0.0.2`).
        Some(toml::Value::Array(_)) => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| toml::Value::String(v.to_string()))
                .collect(),
        ),
        _ => toml::Value::String(raw.to_string()),
    })
}

/// "line N: message (`the line`)" for an error with a span into `text`.
fn describe(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let start = span.start.min(text.len());
            let line_no = text[..start].matches('\n').count() + 1;
            let line = text.lines().nth(line_no - 1).unwrap_or("").trim();
            format!("line {line_no}: {} (`{line}`)", e.message().trim())
        }
        None => e.message().trim().to_string(),
    }
}

fn resolve_secret_files(c: &mut Config) -> Result<(), ConfigError> {
    // The key keeps inner whitespace at its ends (only the file's line end goes).
    read_secret_file(
        &mut c.security.secret_key,
        c.security.secret_key_file.as_deref(),
        "security.secret_key",
        |s| s.trim_end_matches(['\n', '\r']),
    )?;
    read_secret_file(
        &mut c.storage.url,
        c.storage.url_file.as_deref(),
        "storage.url",
        str::trim,
    )?;
    read_secret_file(
        &mut c.metrics.token,
        c.metrics.token_file.as_deref(),
        "metrics.token",
        str::trim,
    )
}

/// A secret given as a file (`<key>_file`): read into `value`, trimmed by `trim`;
/// setting both the key and its file is refused.
fn read_secret_file(
    value: &mut Option<Secret>,
    file: Option<&Path>,
    key: &str,
    trim: impl Fn(&str) -> &str,
) -> Result<(), ConfigError> {
    let Some(path) = file else {
        return Ok(());
    };
    if value.is_some() {
        return Err(ConfigError::Value(format!(
            "set only one of {key} and {key}_file"
        )));
    }
    let s = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    *value = Some(Secret::new(trim(&s)));
    Ok(())
}

impl Config {
    /// Whether outbound connections may go to private and local addresses: either
    /// `outbound.allow_private` or its older name `inbox.webhook_allow_private`.
    pub fn allow_private_addresses(&self) -> bool {
        self.outbound.allow_private || self.inbox.webhook_allow_private
    }

    /// The effective configuration as TOML, secrets redacted (for `check-config`).
    pub fn to_redacted_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot print config: {e}\n"))
    }
}

mod validate;
use validate::validate;

#[cfg(test)]
mod tests;
