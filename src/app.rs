//! The composition root: opens the store, builds the services, starts the workers and
//! the HTTP server, and shuts them down in order (HTTP -> workers -> store flush).

use crate::config::Config;
use crate::domain::Clock;
use crate::domain::account::SessionPolicy;
use crate::service::{Keys, ServiceError, ServiceSettings, Services, ThrottleLimits};
use crate::store::{Store, StoreError, StoreOptions};
use crate::web::{AppState, WebSettings};
use crate::workers::Workers;
use actix_web::dev::ServerHandle;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why the application could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
}

impl AppError {
    /// The process exit code for this error: 2 when the data directory is busy.
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Store(StoreError::Locked(_))
            | AppError::Service(ServiceError::Store(StoreError::Locked(_))) => 2,
            _ => 1,
        }
    }
}

/// Opens the store described by the configuration.
pub fn open_store(cfg: &Config) -> Result<Arc<Store>, AppError> {
    Ok(Arc::new(Store::open(&store_options(cfg))?))
}

/// The store the configuration describes.
pub fn store_options(cfg: &Config) -> StoreOptions {
    StoreOptions {
        path: cfg.storage.path.clone(),
        cache_capacity: cfg.storage.cache_capacity.0,
        flush_every_ms: Some(cfg.storage.flush_every_ms).filter(|&ms| ms > 0),
        engine: match (cfg.storage.engine.as_str(), &cfg.storage.url) {
            ("postgres", Some(url)) => crate::store::EngineChoice::Postgres {
                url: url.expose().to_string(),
                pool_size: cfg.storage.pool_size,
            },
            _ => crate::store::EngineChoice::Sled,
        },
    }
}

/// The signing key: configured, or generated once into `<data>/secret.key` (mode 0600).
pub fn load_keys(cfg: &Config, data: &Path) -> Result<Keys, AppError> {
    if let Some(k) = existing_keys(cfg, data)? {
        return Ok(k);
    }
    let path = data.join("secret.key");
    let io = |e: std::io::Error| AppError::Other(format!("{}: {e}", path.display()));
    let key = crate::service::random_token(32);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(&path).map_err(io)?;
    std::io::Write::write_all(&mut f, key.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(Keys::new(key.as_bytes()))
}

/// The signing key when one exists (configured, or in `<data>/secret.key`); never
/// generates one.
pub fn existing_keys(cfg: &Config, data: &Path) -> Result<Option<Keys>, AppError> {
    if let Some(k) = &cfg.security.secret_key {
        return Ok(Some(Keys::new(k.expose().as_bytes())));
    }
    let path = data.join("secret.key");
    match std::fs::read_to_string(&path) {
        Ok(s) if s.trim().len() >= 32 => Ok(Some(Keys::new(s.trim().as_bytes()))),
        Ok(_) => Err(AppError::Other(format!(
            "{} is shorter than 32 characters; delete it to generate a new one",
            path.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(AppError::Other(format!("{}: {e}", path.display()))),
    }
}

/// Builds the services over an open store.
pub fn build_services(
    cfg: &Config,
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
) -> Result<Arc<Services>, AppError> {
    let keys = load_keys(cfg, store.path())?;
    let a = &cfg.auth;
    let settings = ServiceSettings {
        session: SessionPolicy {
            idle_secs: (a.session_idle_minutes * 60) as i64,
            absolute_secs: (a.session_max_days * 86_400) as i64,
            touch_after_secs: 60,
        },
        max_concurrent_hashes: a.max_concurrent_hashes,
        login: ThrottleLimits {
            per_pair: a.login_max_failures_per_account,
            per_ip: a.login_max_failures_per_ip,
            slow_after_per_account: a.login_slow_after_failures_per_account,
            slowdown_secs: a.login_slowdown_seconds,
            window_secs: a.login_throttle_window_seconds as i64,
        },
        missed_after_secs: cfg.inbox.missed_after_seconds as i64,
        max_message_chars: cfg.inbox.max_message_chars,
        webhook_max_attempts: cfg.inbox.webhook_max_attempts.max(1),
        max_attachment_bytes: usize::try_from(cfg.inbox.max_attachment_bytes.0)
            .unwrap_or(usize::MAX),
        max_upload_bytes: cfg.inbox.max_upload_bytes.0,
        file_link_ttl_secs: i64::try_from(cfg.inbox.file_link_ttl_hours.max(1))
            .unwrap_or(i64::MAX / 7200)
            .saturating_mul(3600),
        widget_limits: (
            cfg.widget.messages_per_minute_per_visitor,
            cfg.widget.messages_per_minute_per_ip,
            cfg.widget.conversations_per_hour_per_ip,
        ),
        widget_files: (
            cfg.widget.max_upload_bytes.0,
            cfg.widget.files_per_hour_per_visitor,
        ),
        outbound: crate::channels::guard::AddressPolicy::new(cfg.allow_private_addresses()),
        shared_limits: cfg.cluster.enabled(),
    };
    let mut services = Services::new(store, clock, keys, settings)?;
    services.node = crate::service::Node::from_config(&cfg.cluster);
    services.public_url = cfg.server.public_url.trim_end_matches('/').to_string();
    services.ui = crate::i18n::Defaults {
        language: crate::i18n::Lang::parse(&cfg.ui.language).unwrap_or_default(),
        timezone: cfg.ui.timezone.clone(),
    };
    Ok(Arc::new(services))
}

/// A started server.
pub struct Running {
    pub addr: SocketAddr,
    /// Where `metrics.listen` serves `/metrics`, when set.
    pub metrics_addr: Option<SocketAddr>,
    pub services: Arc<Services>,
    handle: ServerHandle,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    /// The metrics listener, stopped with the main server.
    metrics: Option<(ServerHandle, tokio::task::JoinHandle<std::io::Result<()>>)>,
    workers: Workers,
    /// The bus to the other nodes (cluster mode only).
    cluster: Option<crate::cluster::Cluster>,
}

/// Options of `start` that tests change.
pub struct StartOptions {
    pub clock: Arc<dyn Clock>,
    /// Let actix stop gracefully on SIGTERM/SIGINT (the real binary); tests stop by hand.
    pub handle_signals: bool,
}

/// Opens everything and starts listening. `server.listen` may use port 0.
pub async fn start(cfg: &Config, opts: StartOptions) -> Result<Running, AppError> {
    // reqwest (webhooks) uses rustls without a default provider; install ring once.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let store = open_store(cfg)?;
    let services = build_services(cfg, store, opts.clock)?;
    // Several nodes: live events, presence and cache invalidations through NATS.
    let cluster = if cfg.cluster.enabled() {
        Some(
            crate::cluster::start(cfg, services.clone())
                .await
                .map_err(AppError::Other)?,
        )
    } else {
        None
    };
    let state = actix_web::web::Data::new(AppState {
        services: services.clone(),
        settings: WebSettings {
            secure_cookies: cfg.server.secure_cookies,
            trusted_proxies: cfg.server.trusted_proxies.clone(),
            public_url: cfg.server.public_url.clone(),
            max_form_bytes: cfg.server.max_form_bytes.0 as usize,
            max_json_bytes: cfg.server.max_json_bytes.0 as usize,
            body_timeout: crate::web::body_timeout_limit(cfg.server.body_timeout_seconds),
            ui: crate::web::UiDefaults {
                language: crate::i18n::Lang::parse(&cfg.ui.language).unwrap_or_default(),
                timezone: cfg.ui.timezone.clone(),
            },
            metrics: crate::web::MetricsAccess {
                enabled: cfg.metrics.enabled,
                token: cfg
                    .metrics
                    .token
                    .as_ref()
                    .map(|t| t.expose().trim().to_string()),
                own_listener: cfg.metrics.own_listener().is_some(),
            },
        },
    });
    // Bound before anything starts, so a busy address stops start-up cleanly.
    let metrics_listener = match cfg.metrics.own_listener() {
        Some(addr) => Some((
            addr,
            std::net::TcpListener::bind(addr).map_err(|source| metrics_bind_error(addr, source))?,
        )),
        None => None,
    };
    let listener =
        std::net::TcpListener::bind(&cfg.server.listen).map_err(|source| AppError::Bind {
            addr: cfg.server.listen.clone(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| AppError::Bind {
        addr: cfg.server.listen.clone(),
        source,
    })?;
    let main_state = state.clone();
    let mut server = actix_web::HttpServer::new(move || crate::web::app(main_state.clone()))
        .shutdown_timeout(cfg.server.shutdown_timeout_seconds)
        .listen(listener)
        .map_err(|source| AppError::Bind {
            addr: cfg.server.listen.clone(),
            source,
        })?;
    if cfg.server.workers > 0 {
        server = server.workers(cfg.server.workers);
    }
    // Signals are ours, not actix's: live streams must end before the graceful stop,
    // or every open inbox page would hold shutdown for the whole timeout.
    server = server.disable_signals();
    let server = server.run();
    let handle = server.handle();
    let metrics_server = match metrics_listener {
        Some((addr, listener)) => Some(metrics_server(addr, listener, state)?),
        None => None,
    };
    if opts.handle_signals {
        let (services, handle) = (services.clone(), handle.clone());
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("signal received; stopping");
            services.shutdown.cancel();
            handle.stop(true).await;
        });
    }
    {
        // The contact search index fills in the background: start-up does not wait for it.
        let s = services.clone();
        tokio::task::spawn_blocking(move || match s.rebuild_search() {
            Ok(n) => tracing::info!(contacts = n, "search index ready"),
            Err(e) => tracing::error!(error = %e, "search index could not be built"),
        });
    }
    let workers = Workers::start(
        services.clone(),
        Duration::from_secs(cfg.inbox.webhook_timeout_seconds.max(1)),
    );
    Ok(Running {
        addr,
        metrics_addr: metrics_server.as_ref().map(|m| m.0),
        services,
        handle,
        server: tokio::spawn(server),
        metrics: metrics_server.map(|(_, handle, server)| (handle, tokio::spawn(server))),
        workers,
        cluster,
    })
}

/// The listener of `metrics.listen`: `/metrics` only, on one worker thread, so the
/// metrics can stay off the public port.
fn metrics_server(
    addr: &str,
    listener: std::net::TcpListener,
    state: actix_web::web::Data<AppState>,
) -> Result<(SocketAddr, ServerHandle, actix_web::dev::Server), AppError> {
    let local = listener
        .local_addr()
        .map_err(|source| metrics_bind_error(addr, source))?;
    let server = actix_web::HttpServer::new(move || crate::web::metrics_app(state.clone()))
        .workers(1)
        .disable_signals()
        .shutdown_timeout(5)
        .listen(listener)
        .map_err(|source| metrics_bind_error(addr, source))?
        .run();
    let handle = server.handle();
    Ok((local, handle, server))
}

fn metrics_bind_error(addr: &str, source: std::io::Error) -> AppError {
    AppError::Bind {
        addr: format!("{addr} (metrics.listen)"),
        source,
    }
}

impl Running {
    /// Waits until the HTTP server has stopped (signal or `stop`), then stops the
    /// workers and flushes the store.
    pub async fn wait(self) -> Result<(), AppError> {
        let served = self.server.await;
        if let Some((handle, task)) = self.metrics {
            handle.stop(true).await;
            let _ = task.await;
        }
        tracing::info!("HTTP server stopped; stopping workers");
        self.workers.shutdown().await;
        if let Some(c) = self.cluster {
            c.stop().await;
        }
        let store = self.services.store.clone();
        tokio::task::spawn_blocking(move || store.flush_blocking())
            .await
            .map_err(|e| AppError::Other(e.to_string()))??;
        tracing::info!("store flushed; bye");
        // Actix worker threads drop their copy of the app state as they wind down; wait
        // for every holder of the store to let go, so that the data directory's lock is
        // free when this returns (an in-process restart, or a test, can reopen at once).
        let store = Arc::downgrade(&self.services.store);
        drop(self.services);
        let deadline = Instant::now() + Duration::from_secs(10);
        while store.strong_count() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if store.strong_count() > 0 {
            tracing::warn!("the store is still in use 10 s after shutdown");
        }
        match served {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(AppError::Other(format!("server error: {e}"))),
            Err(e) => Err(AppError::Other(format!("server task: {e}"))),
        }
    }

    /// Stops gracefully: live streams end, no new connections, in-flight requests
    /// finish, then `wait`.
    pub async fn stop(self) -> Result<(), AppError> {
        self.services.shutdown.cancel();
        self.handle.stop(true).await;
        self.wait().await
    }
}

/// `charla serve`: start, log where, run until a signal.
pub async fn serve(cfg: &Config) -> Result<(), AppError> {
    let t0 = Instant::now();
    let running = start(
        cfg,
        StartOptions {
            clock: Arc::new(crate::domain::SystemClock),
            handle_signals: true,
        },
    )
    .await?;
    let setup = if running.services.setup_done() {
        ""
    } else {
        " (first run: open it to create the first admin)"
    };
    tracing::info!(
        data = %cfg.storage.path.display(),
        startup_ms = t0.elapsed().as_millis() as u64,
        "Charla is listening on http://{}{setup}",
        running.addr
    );
    if let Some(addr) = running.metrics_addr {
        tracing::info!("metrics are served on http://{addr}/metrics");
    }
    running.wait().await
}

/// SIGTERM or SIGINT (Ctrl-C).
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
