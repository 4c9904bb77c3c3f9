#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use charla::cli::{self, Cli, Command, Failure};
use charla::config::{self, Overrides};
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
    init_logging(&loaded.config.log.level);
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

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
