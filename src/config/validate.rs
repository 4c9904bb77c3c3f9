//! The checks a loaded configuration must pass, each naming the key and what it
//! expected.

use super::{Config, ConfigError};

pub(super) fn validate(c: &Config) -> Result<(), ConfigError> {
    let bad = |m: String| Err(ConfigError::Value(m));
    if c.server.listen.trim().is_empty() || !c.server.listen.contains(':') {
        return bad(format!(
            "server.listen: expected HOST:PORT, got {:?}",
            c.server.listen
        ));
    }
    match (c.storage.engine.as_str(), &c.storage.url) {
        ("sled", _) => {}
        ("postgres", Some(u))
            if u.expose().starts_with("postgres://") || u.expose().starts_with("postgresql://") => {
        }
        ("postgres", _) => {
            return bad(
                "storage.url: the postgres engine needs a URL like postgres://user:password@host:5432/charla (or storage.url_file)"
                    .into(),
            );
        }
        (other, _) => {
            return bad(format!(
                "storage.engine: expected \"sled\" or \"postgres\", got {other:?}"
            ));
        }
    }
    if c.cluster.enabled() {
        let url = c.cluster.nats_url.as_deref().unwrap_or_default();
        if !(url.starts_with("nats://") || url.starts_with("tls://")) {
            return bad(format!(
                "cluster.nats_url: expected nats://host:4222, got {url:?}"
            ));
        }
        if c.security.secret_key.is_none() {
            return bad(
                "cluster.nats_url: every node must use the same security.secret_key (or secret_key_file): it seals stored mail passwords and signs widget and reply tokens"
                    .into(),
            );
        }
        if c.storage.engine != "postgres" {
            return bad(
                "cluster.nats_url: several nodes need a shared store: set storage.engine = \"postgres\" (the embedded sled store belongs to one process)"
                    .into(),
            );
        }
    }
    if crate::i18n::Lang::parse(&c.ui.language).is_none() {
        return bad(format!(
            "ui.language: expected \"en\" or \"es\", got {:?}",
            c.ui.language
        ));
    }
    if crate::i18n::timezone(&c.ui.timezone).is_none() {
        return bad(format!(
            "ui.timezone: expected an IANA time zone such as \"Europe/Madrid\" or \"UTC\", got {:?}",
            c.ui.timezone
        ));
    }
    if c.cluster.lease_seconds < 3 {
        return bad("cluster.lease_seconds: must be at least 3".into());
    }
    if c.cluster.max_staleness_seconds == 0 {
        return bad("cluster.max_staleness_seconds: must be at least 1".into());
    }
    if c.storage.pool_size == 0 {
        return bad("storage.pool_size: must be at least 1".into());
    }
    if c.storage.cache_capacity.0 < (1 << 20) {
        return bad("storage.cache_capacity: must be at least 1MiB".into());
    }
    if c.auth.max_concurrent_hashes == 0 {
        return bad("auth.max_concurrent_hashes: must be at least 1".into());
    }
    if c.auth.session_idle_minutes == 0 || c.auth.session_max_days == 0 {
        return bad(
            "auth.session_idle_minutes and auth.session_max_days: must be at least 1".into(),
        );
    }
    if let Some(k) = &c.security.secret_key
        && k.expose().len() < 32
    {
        return bad("security.secret_key: must be at least 32 characters".into());
    }
    if !(1..=8760).contains(&c.inbox.file_link_ttl_hours) {
        return bad(format!(
            "inbox.file_link_ttl_hours: expected 1 to 8760 (a year), got {}",
            c.inbox.file_link_ttl_hours
        ));
    }
    validate_metrics(&c.metrics, &c.server.listen)?;
    if !c.server.public_url.is_empty() && !c.server.public_url.starts_with("http") {
        return bad(format!(
            "server.public_url: expected http(s)://…, got {:?}",
            c.server.public_url
        ));
    }
    Ok(())
}

/// Metrics on the main port need a token; a token must be worth guessing; a separate
/// listener must be an address of its own.
fn validate_metrics(m: &super::MetricsConfig, main_listen: &str) -> Result<(), ConfigError> {
    let bad = |m: String| Err(ConfigError::Value(m));
    if let Some(t) = &m.token
        && t.expose().trim().len() < 16
    {
        return bad("metrics.token: must be at least 16 characters".into());
    }
    if !m.enabled {
        return Ok(());
    }
    let listen = m.listen.trim();
    if listen.is_empty() {
        if m.token.is_none() {
            return bad(
                "metrics.enabled: /metrics on the main port needs metrics.token (a bearer token of at least 16 characters), or set metrics.listen to serve it on an address of its own (e.g. \"127.0.0.1:9464\")"
                    .into(),
            );
        }
        return Ok(());
    }
    if !listen.contains(':') {
        return bad(format!(
            "metrics.listen: expected HOST:PORT, got {listen:?}"
        ));
    }
    if listen == main_listen.trim() && !listen.ends_with(":0") {
        return bad(format!(
            "metrics.listen: {listen} is server.listen already; give the metrics another port, or leave metrics.listen empty to serve them on the main port behind metrics.token"
        ));
    }
    Ok(())
}
