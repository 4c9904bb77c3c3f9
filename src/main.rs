#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use charla::cli::{self, Cli, Command, Failure};
use charla::config::{self, LogFormat, Overrides};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = Cli::parse();
    let listen = match &args.command {
        Some(Command::Serve(s)) => s.listen.clone(),
        _ => None,
    };
    let env: Vec<(String, String)> = std::env::vars().collect();
    let loaded = match config::load(
        args.config.as_deref(),
        &env,
        &Overrides {
            listen,
            data: args.data.clone(),
        },
    ) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("charla: {e}");
            return ExitCode::from(1);
        }
    };
    init_logging(&loaded.config.log.level, loaded.config.log.format);
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    let cfg = loaded.config;
    let _ = rustls::crypto::ring::default_provider().install_default();

    let result: Result<(), Failure> = match &args.command {
        Some(Command::CheckConfig) => {
            if let Some(f) = &loaded.file {
                println!("# effective configuration (file: {})", f.display());
            }
            print!("{}", cfg.to_redacted_toml());
            Ok(())
        }
        Some(Command::Admin(cmd)) => cli::admin(&cfg, cmd),
        Some(Command::Restore(r)) => cli::restore(&cfg, r, args.data.is_some()),
        Some(Command::MigrateStore(m)) => cli::migrate_store(&cfg, m),
        Some(Command::Backup(b)) => runtime().and_then(|rt| rt.block_on(cli::backup(&cfg, b))),
        Some(Command::Healthcheck(h)) => {
            runtime().and_then(|rt| rt.block_on(cli::healthcheck(&cfg, h)))
        }
        Some(Command::Serve(_)) | None => {
            runtime().and_then(|rt| rt.block_on(charla::app::serve(&cfg)).map_err(Failure::from))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("charla: {}", f.message);
            ExitCode::from(u8::try_from(f.code).unwrap_or(1))
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure {
            code: 1,
            message: format!("cannot start the async runtime: {e}"),
        })
}

fn init_logging(level: &str, format: LogFormat) {
    use tracing_subscriber::util::SubscriberInitExt;
    let rust_log = std::env::var("RUST_LOG").ok();
    subscriber(
        format,
        log_filter(rust_log.as_deref(), level),
        std::io::stderr,
    )
    .init();
}

/// The log's subscriber: one readable line per event (`text`), or one JSON object per
/// line (`json`: `timestamp`, `level`, `target`, the event's `fields` with its
/// `message`, and its spans) for log shippers.
fn subscriber<W>(
    format: LogFormat,
    filter: tracing_subscriber::EnvFilter,
    writer: W,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => Box::new(builder.finish()),
        LogFormat::Json => Box::new(builder.json().finish()),
    }
}

/// Libraries whose warnings are noise for whoever runs Charla: html5ever (the HTML parser
/// under the mail sanitizer) says "foster parenting not implemented" twice for an
/// ordinary newsletter. Logged at `error` only, unless the filter names them itself.
const QUIET_TARGETS: &[&str] = &["html5ever"];

/// RUST_LOG when set and valid, else the configured level, with [`QUIET_TARGETS`] at
/// `error` (more specific than a global level, so RUST_LOG=debug still quiets them).
fn log_filter(rust_log: Option<&str>, level: &str) -> tracing_subscriber::EnvFilter {
    use tracing_subscriber::EnvFilter;
    let base = rust_log
        .filter(|s| !s.trim().is_empty() && EnvFilter::try_new(s).is_ok())
        .unwrap_or(level);
    let mut directives = base.to_string();
    for target in QUIET_TARGETS.iter().filter(|t| !base.contains(*t)) {
        directives.push_str(&format!(",{target}=error"));
    }
    EnvFilter::try_new(&directives)
        .or_else(|_| EnvFilter::try_new("info,html5ever=error"))
        .unwrap_or_else(|_| EnvFilter::new("info"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::{LogFormat, log_filter, subscriber};
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buf {
        type Writer = Buf;
        fn make_writer(&'a self) -> Buf {
            self.clone()
        }
    }

    /// What a warning from html5ever (its `log` target, as the log bridge names it) and
    /// one from Charla leave in the log under a filter.
    fn logged(rust_log: Option<&str>, level: &str) -> String {
        logged_as(LogFormat::Text, rust_log, level)
    }

    fn logged_as(format: LogFormat, rust_log: Option<&str>, level: &str) -> String {
        let buf = Buf::default();
        let subscriber = subscriber(format, log_filter(rust_log, level), buf.clone());
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(target: "html5ever::tree_builder", "foster parenting not implemented");
            tracing::warn!(target: "charla::workers::mail", "mailbox failed");
            tracing::debug!(target: "charla::store", "a detail");
        });
        String::from_utf8(buf.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn html5ever_warnings_are_quiet_unless_rust_log_names_it() {
        let out = logged(None, "info");
        assert!(
            out.contains("mailbox failed") && !out.contains("foster"),
            "{out}"
        );
        // The user's RUST_LOG rules everything else.
        let out = logged(Some("debug"), "info");
        assert!(out.contains("a detail") && !out.contains("foster"), "{out}");
        let out = logged(Some("charla=warn"), "info");
        assert!(
            out.contains("mailbox failed") && !out.contains("a detail"),
            "{out}"
        );
        // Asking for html5ever by name gets it.
        let out = logged(Some("info,html5ever=warn"), "info");
        assert!(out.contains("foster parenting"), "{out}");
        // An invalid RUST_LOG falls back to the configured level, still quiet.
        let out = logged(Some("=[bad"), "warn");
        assert!(
            out.contains("mailbox failed") && !out.contains("foster"),
            "{out}"
        );
    }

    #[test]
    fn json_lines_carry_level_target_and_fields() {
        let out = logged_as(LogFormat::Json, None, "info");
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        // The quiet html5ever warning and the debug line are filtered as in text.
        assert_eq!(lines.len(), 1, "{out}");
        let l = &lines[0];
        assert_eq!(l["level"], "WARN");
        assert_eq!(l["target"], "charla::workers::mail");
        assert_eq!(l["fields"]["message"], "mailbox failed");
        assert!(l["timestamp"].is_string(), "{l}");
        // Structured fields stay fields.
        let buf = Buf::default();
        let sub = subscriber(LogFormat::Json, log_filter(None, "info"), buf.clone());
        tracing::subscriber::with_default(sub, || {
            tracing::info!(inbox = 7, error = %"refused", "poll failed");
        });
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(v["fields"]["inbox"], 7);
        assert_eq!(v["fields"]["error"], "refused");
        assert_eq!(v["fields"]["message"], "poll failed");
        assert_eq!(v["level"], "INFO");
        // Text stays one readable line, not JSON.
        let text = logged(None, "info");
        assert!(
            text.contains("WARN") && text.contains("mailbox failed"),
            "{text}"
        );
        assert!(serde_json::from_str::<serde_json::Value>(text.trim()).is_err());
    }
}
