use super::*;

fn load_str(text: &str, env: &[(&str, &str)], flags: Overrides) -> Result<Loaded, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.toml");
    std::fs::write(&p, text).unwrap();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    load(Some(&p), &env, &flags)
}

#[test]
fn defaults_without_file() {
    let l = load(None, &[], &Overrides::default()).unwrap();
    assert_eq!(l.config.server.listen, "127.0.0.1:8080");
    assert_eq!(l.config.storage.path, PathBuf::from("./data"));
    assert_eq!(l.config.storage.cache_capacity, ByteSize(64 << 20));
}

#[test]
fn layers_apply_in_order() {
    let l = load_str(
        "[server]\nlisten = \"0.0.0.0:1\"\nworkers = 3\n[storage]\npath = \"/f\"\n",
        &[
            ("CHARLA__SERVER__LISTEN", "0.0.0.0:2"),
            ("CHARLA__STORAGE__PATH", "/e"),
            ("CHARLA__SERVER__SECURE_COOKIES", "true"),
        ],
        Overrides {
            listen: None,
            data: Some("/flag".into()),
        },
    )
    .unwrap();
    assert_eq!(l.config.server.listen, "0.0.0.0:2", "env beats file");
    assert_eq!(l.config.server.workers, 3, "file beats default");
    assert!(l.config.server.secure_cookies);
    assert_eq!(
        l.config.storage.path,
        PathBuf::from("/flag"),
        "flag beats env"
    );
}

#[test]
fn unknown_keys_warn() {
    let l = load_str(
        "[server]\nlisten = \"a:1\"\nlisen = 1\n[nope]\nx = 1\n",
        &[("CHARLA__SERVER__NOPE", "1")],
        Overrides::default(),
    )
    .unwrap();
    let w = l.warnings.join("\n");
    assert!(w.contains("server.lisen"), "{w}");
    assert!(w.contains("nope"), "{w}");
    assert!(w.contains("CHARLA__SERVER__NOPE"), "{w}");
}

#[test]
fn invalid_file_names_key_and_line() {
    let e = load_str(
        "[server]\nlisten = \"a:1\"\nworkers = \"many\"\n",
        &[],
        Overrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("line 3"), "{e}");
    assert!(e.contains("workers"), "{e}");
    let e = load_str("[server\nlisten = 1", &[], Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 1"), "{e}");
}

#[test]
fn invalid_env_names_var() {
    let e = load_str(
        "",
        &[("CHARLA__SERVER__WORKERS", "lots")],
        Overrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("CHARLA__SERVER__WORKERS"), "{e}");
}

#[test]
fn sizes_parse_in_units() {
    assert_eq!("64MiB".parse::<ByteSize>().unwrap(), ByteSize(64 << 20));
    assert_eq!("512 KiB".parse::<ByteSize>().unwrap(), ByteSize(512 << 10));
    assert_eq!("2MB".parse::<ByteSize>().unwrap(), ByteSize(2_000_000));
    assert!("12 parsecs".parse::<ByteSize>().is_err());
    let l = load_str(
        "[storage]\ncache_capacity = 134217728\n",
        &[],
        Overrides::default(),
    )
    .unwrap();
    assert_eq!(l.config.storage.cache_capacity.to_string(), "128MiB");
}

#[test]
fn secrets_are_redacted_and_read_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "k".repeat(40) + "\n").unwrap();
    let l = load_str(
        &format!("[security]\nsecret_key_file = {:?}\n", key),
        &[],
        Overrides::default(),
    )
    .unwrap();
    let secret = l.config.security.secret_key.as_ref().unwrap();
    assert_eq!(secret.expose(), "k".repeat(40));
    assert!(!format!("{:?}", l.config).contains("kkkk"));
    assert!(!l.config.to_redacted_toml().contains("kkkk"));
    assert!(l.config.to_redacted_toml().contains("<redacted>"));
    let both = format!(
        "[security]\nsecret_key = \"{}\"\nsecret_key_file = {:?}\n",
        "x".repeat(40),
        key
    );
    assert!(load_str(&both, &[], Overrides::default()).is_err());
}

#[test]
fn example_file_is_valid_and_complete() {
    let text = include_str!("../../config.example.toml");
    let l = load_str(text, &[], Overrides::default()).unwrap();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    // Every default key is documented, with its env var.
    let defaults = toml::Table::try_from(Config::default()).unwrap();
    for (section, keys) in defaults {
        for key in keys.as_table().unwrap().keys() {
            let var = format!("CHARLA__{}__{}", section.to_uppercase(), key.to_uppercase());
            assert!(
                text.contains(&var),
                "config.example.toml does not document {section}.{key} ({var})"
            );
        }
    }
    assert!(text.contains("CHARLA__SECURITY__SECRET_KEY_FILE"));
}

#[test]
fn attachment_limit_defaults_to_25_mb_and_takes_units() {
    let l = load(None, &[], &Overrides::default()).unwrap();
    assert_eq!(l.config.inbox.max_attachment_bytes, ByteSize(25_000_000));
    let l = load_str(
        "[inbox]\nmax_attachment_bytes = \"5MB\"\n",
        &[("CHARLA__INBOX__MAX_ATTACHMENT_BYTES", "10MiB")],
        Overrides::default(),
    )
    .unwrap();
    assert_eq!(l.config.inbox.max_attachment_bytes, ByteSize(10 << 20));
}

#[test]
fn trusted_proxies_from_file_and_env_and_bad_ones_named() {
    let l = load_str(
        "[server]\ntrusted_proxies = [\"127.0.0.1\", \"::1\"]\n",
        &[],
        Overrides::default(),
    )
    .unwrap();
    assert_eq!(l.config.server.trusted_proxies.len(), 2);
    let l = load_str(
        "",
        &[("CHARLA__SERVER__TRUSTED_PROXIES", "10.0.0.1, 10.0.0.2")],
        Overrides::default(),
    )
    .unwrap();
    assert_eq!(
        l.config.server.trusted_proxies,
        vec![
            "10.0.0.1".parse::<std::net::IpAddr>().unwrap(),
            "10.0.0.2".parse().unwrap()
        ]
    );
    let e = load_str(
        "[server]\ntrusted_proxies = [\"proxy.example.com\"]\n",
        &[],
        Overrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("trusted_proxies"), "{e}");
}

#[test]
fn private_addresses_are_refused_by_default_and_either_name_allows_them() {
    let l = load(None, &[], &Overrides::default()).unwrap();
    assert!(!l.config.allow_private_addresses());
    for (file, env) in [
        ("[outbound]\nallow_private = true\n", vec![]),
        ("[inbox]\nwebhook_allow_private = true\n", vec![]),
        ("", vec![("CHARLA__OUTBOUND__ALLOW_PRIVATE", "true")]),
        ("", vec![("CHARLA__INBOX__WEBHOOK_ALLOW_PRIVATE", "yes")]),
    ] {
        let l = load_str(file, &env, Overrides::default()).unwrap();
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        assert!(l.config.allow_private_addresses(), "{file} {env:?}");
    }
    let l = load_str(
        "[outbound]\nallow_private = true\n",
        &[("CHARLA__OUTBOUND__ALLOW_PRIVATE", "false")],
        Overrides::default(),
    )
    .unwrap();
    assert!(!l.config.allow_private_addresses(), "env beats file");
}

#[test]
fn the_store_engine_is_checked_and_its_url_is_a_secret() {
    let l = load(None, &[], &Overrides::default()).unwrap();
    assert_eq!(
        (l.config.storage.engine.as_str(), l.config.storage.pool_size),
        ("sled", 8)
    );
    let err = load_str(
        "[storage]\nengine = \"postgres\"\n",
        &[],
        Overrides::default(),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains("storage.url") && err.contains("postgres://"),
        "{err}"
    );
    let err = load_str("[storage]\nengine = \"mysql\"\n", &[], Overrides::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("storage.engine") && err.contains("mysql"),
        "{err}"
    );
    let err = load_str(
        "[storage]\nengine = \"postgres\"\nurl = \"mysql://x\"\n",
        &[],
        Overrides::default(),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("storage.url"), "{err}");
    // From a file (trimmed), or the environment; never shown in Debug output.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("url");
    std::fs::write(&f, "postgres://charla:s3cret@db:5432/charla\n").unwrap();
    let l = load_str(
        &format!(
            "[storage]\nengine = \"postgres\"\nurl_file = {:?}\n",
            f.display().to_string()
        ),
        &[],
        Overrides::default(),
    )
    .unwrap();
    let url = l.config.storage.url.as_ref().unwrap();
    assert_eq!(url.expose(), "postgres://charla:s3cret@db:5432/charla");
    assert!(!format!("{:?}", l.config).contains("s3cret"));
    let l = load(
        None,
        &[
            ("CHARLA__STORAGE__ENGINE".into(), "postgres".into()),
            ("CHARLA__STORAGE__URL".into(), "postgres://a@b/c".into()),
        ],
        &Overrides::default(),
    )
    .unwrap();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    assert_eq!(l.config.storage.engine, "postgres");
    let both = load_str(
        &format!(
            "[storage]\nurl = \"postgres://a@b/c\"\nurl_file = {:?}\n",
            f.display().to_string()
        ),
        &[],
        Overrides::default(),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(both.contains("only one of storage.url"), "{both}");
}

#[test]
fn cluster_mode_needs_a_nats_url_and_the_postgres_engine() {
    let l = load(None, &[], &Overrides::default()).unwrap();
    assert!(!l.config.cluster.enabled(), "one node by default");
    let pg = format!(
        "[storage]\nengine = \"postgres\"\nurl = \"postgres://u@127.0.0.1/db\"\n[security]\nsecret_key = \"{}\"\n",
        "k".repeat(40)
    );
    let l = load_str(
        &pg,
        &[
            ("CHARLA__CLUSTER__NATS_URL", "nats://127.0.0.1:4222"),
            ("CHARLA__CLUSTER__NODE_ID", "node-a"),
        ],
        Overrides::default(),
    )
    .unwrap();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    assert!(l.config.cluster.enabled());
    assert_eq!(l.config.cluster.node_id, "node-a");
    assert_eq!(l.config.cluster.lease_seconds, 15);
    let sled_with_key = pg.replace("engine = \"postgres\"", "engine = \"sled\"");
    let e = load_str(
        &format!("{sled_with_key}[cluster]\nnats_url = \"nats://127.0.0.1:4222\"\n"),
        &[],
        Overrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("storage.engine = \"postgres\""), "{e}");
    let no_key = pg.split("[security]").next().unwrap().to_string();
    let e = load_str(
        &format!("{no_key}[cluster]\nnats_url = \"nats://127.0.0.1:4222\"\n"),
        &[],
        Overrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("security.secret_key"), "{e}");
    let e = load_str(
        &format!("{pg}[cluster]\nnats_url = \"http://x\"\n"),
        &[],
        Overrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("cluster.nats_url"), "{e}");
    let e = load_str(
        &format!("{pg}[cluster]\nlease_seconds = 1\n"),
        &[],
        Overrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("cluster.lease_seconds"), "{e}");
}

#[test]
fn the_interface_language_and_time_zone_are_checked() {
    let l = load(None, &[], &Overrides::default()).unwrap();
    assert_eq!(
        (l.config.ui.language.as_str(), l.config.ui.timezone.as_str()),
        ("en", "UTC")
    );
    let l = load_str(
        "[ui]\nlanguage = \"es\"\ntimezone = \"Europe/Madrid\"\n",
        &[("CHARLA__UI__TIMEZONE", "America/Bogota")],
        Overrides::default(),
    )
    .unwrap();
    assert_eq!(
        (l.config.ui.language.as_str(), l.config.ui.timezone.as_str()),
        ("es", "America/Bogota")
    );
    let e = load_str("[ui]\nlanguage = \"fr\"\n", &[], Overrides::default()).unwrap_err();
    assert!(e.to_string().contains("ui.language"), "{e}");
    let e = load_str(
        "[ui]\ntimezone = \"Europe/Madird\"\n",
        &[],
        Overrides::default(),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("ui.timezone") && e.to_string().contains("Europe/Madird"),
        "{e}"
    );
}

#[test]
fn metrics_are_off_by_default_and_need_a_token_or_their_own_listener() {
    let l = load(None, &[], &Overrides::default()).unwrap();
    assert!(!l.config.metrics.enabled);
    assert_eq!(l.config.metrics.own_listener(), None);
    // Enabled on the main port without a token: refused, saying what to set.
    let e = load_str("[metrics]\nenabled = true\n", &[], Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("metrics.token") && e.contains("metrics.listen"),
        "{e}"
    );
    let e = load_str(
        "",
        &[("CHARLA__METRICS__ENABLED", "true")],
        Overrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("metrics.token"), "{e}");
    // A token from the environment: accepted, and never printed.
    let token = "scrape-me-0123456789";
    let l = load_str(
        "",
        &[
            ("CHARLA__METRICS__ENABLED", "1"),
            ("CHARLA__METRICS__TOKEN", token),
        ],
        Overrides::default(),
    )
    .unwrap();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    assert_eq!(l.config.metrics.token.as_ref().unwrap().expose(), token);
    assert!(!l.config.to_redacted_toml().contains(token));
    assert!(!format!("{:?}", l.config).contains(token));
    assert_eq!(l.config.metrics.own_listener(), None);
    // Or from a file (Docker and systemd secrets), trailing newline dropped.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{token}\n")).unwrap();
    let l = load_str(
        "[metrics]\nenabled = true\n",
        &[("CHARLA__METRICS__TOKEN_FILE", file.to_str().unwrap())],
        Overrides::default(),
    )
    .unwrap();
    assert_eq!(l.config.metrics.token.as_ref().unwrap().expose(), token);
    let both = format!("[metrics]\ntoken = \"{token}\"\ntoken_file = {file:?}\n");
    assert!(load_str(&both, &[], Overrides::default()).is_err());
    // A listener of its own needs no token.
    let l = load_str(
        "[metrics]\nenabled = true\nlisten = \"127.0.0.1:9464\"\n",
        &[],
        Overrides::default(),
    )
    .unwrap();
    assert_eq!(l.config.metrics.own_listener(), Some("127.0.0.1:9464"));
    // A short token, a listener without a port, or the main port again: named.
    for (text, want) in [
        (
            "[metrics]\nenabled = true\ntoken = \"short\"\n",
            "at least 16",
        ),
        (
            "[metrics]\nenabled = true\nlisten = \"localhost\"\n",
            "HOST:PORT",
        ),
        (
            "[server]\nlisten = \"0.0.0.0:8080\"\n[metrics]\nenabled = true\nlisten = \"0.0.0.0:8080\"\n",
            "another port",
        ),
    ] {
        let e = load_str(text, &[], Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{text}: {e}");
    }
    // Disabled, a listener set is not started.
    let l = load_str(
        "[metrics]\nlisten = \"127.0.0.1:9464\"\n",
        &[],
        Overrides::default(),
    )
    .unwrap();
    assert_eq!(l.config.metrics.own_listener(), None);
}

#[test]
fn log_format_is_text_or_json() {
    let l = load(None, &[], &Overrides::default()).unwrap();
    assert_eq!(l.config.log.format, LogFormat::Text);
    let l = load_str("[log]\nformat = \"json\"\n", &[], Overrides::default()).unwrap();
    assert_eq!(l.config.log.format, LogFormat::Json);
    let l = load_str("", &[("CHARLA__LOG__FORMAT", "json")], Overrides::default()).unwrap();
    assert_eq!(l.config.log.format, LogFormat::Json);
    let e = load_str("[log]\nformat = \"xml\"\n", &[], Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 2") && e.contains("json"), "{e}");
    let e = load_str("", &[("CHARLA__LOG__FORMAT", "yaml")], Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("text") && e.contains("json"), "{e}");
}
