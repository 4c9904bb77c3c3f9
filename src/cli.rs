//! The command line: `serve` (default), `check-config`, `admin …`, `backup`, `restore`,
//! `migrate-store`, `export`, `import`, `demo`.

mod exchange;
pub use exchange::{ExportArgs, Format, ImportArgs, demo, export, import};

use crate::app::{self, AppError};
use crate::config::Config;
use crate::domain::SystemClock;
use clap::{Args, Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "charla",
    version,
    about = "Charla: a self-hosted shared team inbox",
    propagate_version = true
)]
pub struct Cli {
    /// Configuration file (default: ./charla.toml when present).
    #[arg(long, global = true, value_name = "FILE", env = "CHARLA_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory (overrides storage.path).
    #[arg(long, global = true, value_name = "DIR")]
    pub data: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (the default command).
    Serve(ServeArgs),
    /// Print the effective configuration (secrets redacted) and exit.
    CheckConfig,
    /// Provision agents and tokens while the server is stopped.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Write a consistent backup, from the running server or from a stopped data directory.
    Backup(BackupArgs),
    /// Restore a backup into an empty data directory.
    Restore(RestoreArgs),
    /// Copy the whole store to another engine (PostgreSQL, or an embedded directory),
    /// verifying every keyspace; the source is only read, the target must be empty.
    MigrateStore(MigrateStoreArgs),
    /// Ask a running server's `/healthz`: exit 0 when it answers 200, 1 otherwise (for
    /// container health checks, where there is no curl).
    Healthcheck(HealthcheckArgs),
    /// Write conversations out (all, or one contact's) as JSONL, HTML or mbox, to
    /// standard output or --output FILE. Stop the server first.
    Export(ExportArgs),
    /// Import a whole JSONL export into an empty data directory (or database).
    Import(ImportArgs),
    /// Fill a new data directory with a bilingual demo data set and print how to sign in.
    Demo,
}

#[derive(Args, Debug)]
pub struct HealthcheckArgs {
    /// URL of the running server (default: http:// + server.listen).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 5)]
    pub timeout: u64,
}

#[derive(Args, Debug)]
pub struct MigrateStoreArgs {
    /// Where to: `postgres://user:password@host:5432/db`, or `sled:PATH` (a new data
    /// directory). The configured store (`--data`, `storage.*`) is the source.
    #[arg(long, value_name = "TARGET")]
    pub to: String,
    /// Connections to open to a PostgreSQL target.
    #[arg(long, default_value_t = 4)]
    pub pool_size: usize,
}

#[derive(Args, Debug, Default)]
pub struct ServeArgs {
    /// Address to listen on (overrides server.listen).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an admin (the first one completes setup).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password for an agent and sign out all their sessions.
    ResetPassword {
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Turn off an agent's two-factor sign-in (a lost phone and lost recovery codes).
    ResetTwoFactor {
        #[arg(long)]
        email: String,
    },
    /// Print a new personal API token for an agent.
    Token {
        #[arg(long)]
        email: String,
        #[arg(long)]
        label: String,
    },
}

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// The backup file to write.
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
    /// URL of the running server (default: http:// + server.listen).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// An admin's personal API token, for a running server.
    #[arg(long, env = "CHARLA_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// The backup file to read.
    pub file: PathBuf,
}

/// A command's failure: the message to print and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Failure {
            code: e.exit_code(),
            message: e.to_string(),
        }
    }
}

impl From<crate::service::ServiceError> for Failure {
    fn from(e: crate::service::ServiceError) -> Self {
        AppError::from(e).into()
    }
}

fn fail(message: impl Into<String>) -> Failure {
    Failure {
        code: 1,
        message: message.into(),
    }
}

/// Reads a password from stdin (`--password-stdin`) or a terminal prompt.
fn read_password(from_stdin: bool) -> Result<String, Failure> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| fail(format!("cannot read the password from stdin: {e}")))?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_string());
    }
    if !std::io::stdin().is_terminal() {
        return Err(fail(
            "no terminal to ask for the password; pass --password-stdin and pipe it in",
        ));
    }
    let p1 = rpassword::prompt_password("Password: ").map_err(|e| fail(e.to_string()))?;
    let p2 = rpassword::prompt_password("Repeat password: ").map_err(|e| fail(e.to_string()))?;
    if p1 != p2 {
        return Err(fail("the passwords do not match"));
    }
    Ok(p1)
}

fn offline_services(cfg: &Config) -> Result<Arc<crate::service::Services>, Failure> {
    let store = app::open_store(cfg)?;
    Ok(app::build_services(cfg, store, Arc::new(SystemClock))?)
}

/// `charla admin …`, on a data directory no server holds.
pub fn admin(cfg: &Config, cmd: &AdminCommand) -> Result<(), Failure> {
    let pre_check_locked = crate::store::is_locked(&cfg.storage.path);
    if pre_check_locked {
        return Err(
            AppError::Store(crate::store::StoreError::Locked(cfg.storage.path.clone())).into(),
        );
    }
    match cmd {
        AdminCommand::Create {
            email,
            name,
            password_stdin,
        } => {
            let password = read_password(*password_stdin)?;
            let s = offline_services(cfg)?;
            let a = s.cli_create_admin(email, name, &password)?;
            println!("created admin {} <{}> (id {})", a.name, a.email, a.id);
        }
        AdminCommand::ResetPassword {
            email,
            password_stdin,
        } => {
            let password = read_password(*password_stdin)?;
            let s = offline_services(cfg)?;
            let (a, revoked) = s.cli_reset_password(email, &password)?;
            println!(
                "password reset for {}; their sessions have ended and {revoked} personal API token(s) were revoked",
                a.email
            );
        }
        AdminCommand::ResetTwoFactor { email } => {
            let s = offline_services(cfg)?;
            let a = s.cli_reset_two_factor(email)?;
            println!(
                "two-factor sign-in turned off for {}; they sign in with their password and can set it up again",
                a.email
            );
        }
        AdminCommand::Token { email, label } => {
            let s = offline_services(cfg)?;
            println!("{}", s.cli_create_token(email, label)?);
        }
    }
    Ok(())
}

/// Shows progress on a terminal only.
struct Progress {
    verb: &'static str,
    on: bool,
}

impl Progress {
    fn new(verb: &'static str) -> Self {
        Progress {
            verb,
            on: std::io::stderr().is_terminal(),
        }
    }
    fn update(&self, bytes: u64) {
        if self.on {
            eprint!("\r{} … {:.1} MiB", self.verb, bytes as f64 / 1048576.0);
            let _ = std::io::stderr().flush();
        }
    }
    fn done(&self) {
        if self.on {
            eprintln!();
        }
    }
}

/// `charla backup --to FILE`: offline when no server holds the data directory, else
/// through the running server's API. The file appears only once complete and verified.
pub async fn backup(cfg: &Config, args: &BackupArgs) -> Result<(), Failure> {
    let tmp = args.to.with_extension("partial");
    let progress = Progress::new("backing up");
    let entries =
        if crate::store::is_locked(&cfg.storage.path) || !cfg.storage.path.join("db").exists() {
            backup_online(cfg, args, &tmp, &progress).await?
        } else {
            let cfg = cfg.clone();
            let tmp2 = tmp.clone();
            tokio::task::spawn_blocking(move || -> Result<u64, Failure> {
                let store = app::open_store(&cfg)?;
                let f = std::fs::File::create(&tmp2)
                    .map_err(|e| fail(format!("{}: {e}", tmp2.display())))?;
                let p = Progress::new("backing up");
                let n = store
                    .backup_to(std::io::BufWriter::new(&f), |b| p.update(b))
                    .map_err(|e| fail(e.to_string()))?;
                f.sync_all().map_err(|e| fail(e.to_string()))?;
                Ok(n)
            })
            .await
            .map_err(|e| fail(e.to_string()))??
        };
    progress.done();
    let verified = crate::store::backup::verify(&tmp);
    match verified {
        Ok((_, n)) if n == entries || entries == u64::MAX => {
            std::fs::rename(&tmp, &args.to)
                .map_err(|e| fail(format!("{}: {e}", args.to.display())))?;
            let size = std::fs::metadata(&args.to).map(|m| m.len()).unwrap_or(0);
            println!(
                "backup written to {} ({n} entries, {:.1} MiB)",
                args.to.display(),
                size as f64 / 1048576.0
            );
            Ok(())
        }
        Ok(_) | Err(_) => {
            let _ = std::fs::remove_file(&tmp);
            Err(fail(format!(
                "the backup did not verify: {}",
                verified.err().map(|e| e.to_string()).unwrap_or_default()
            )))
        }
    }
}

async fn backup_online(
    cfg: &Config,
    args: &BackupArgs,
    tmp: &Path,
    progress: &Progress,
) -> Result<u64, Failure> {
    use futures_util::StreamExt;
    let token = args.token.as_deref().ok_or_else(|| {
        fail(
            "the server is running: pass an admin's personal API token with --token or CHARLA_TOKEN \
             (create one on your profile page)",
        )
    })?;
    let url = server_url(cfg, args.url.as_deref());
    let client = reqwest::Client::new();
    let resp = client
        .post(format!("{url}/api/v1/admin/backup"))
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| fail(format!("cannot reach the server at {url}: {e}")))?;
    if !resp.status().is_success() {
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        return Err(fail(format!("the server answered {status}: {body}")));
    }
    let mut file = tokio::fs::File::create(tmp)
        .await
        .map_err(|e| fail(format!("{}: {e}", tmp.display())))?;
    let mut stream = resp.bytes_stream();
    let mut written = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| fail(format!("the download broke off: {e}")))?;
        tokio::io::AsyncWriteExt::write_all(&mut file, &chunk)
            .await
            .map_err(|e| fail(e.to_string()))?;
        written += chunk.len() as u64;
        progress.update(written);
    }
    file.sync_all().await.map_err(|e| fail(e.to_string()))?;
    Ok(u64::MAX)
}

/// `charla migrate-store --to postgres://…|sled:PATH`: copies and verifies every
/// keyspace, printing one line per keyspace.
pub fn migrate_store(cfg: &Config, args: &MigrateStoreArgs) -> Result<(), Failure> {
    use crate::store::EngineChoice;
    let from = match (cfg.storage.engine.as_str(), &cfg.storage.url) {
        ("postgres", Some(url)) => EngineChoice::Postgres {
            url: url.expose().to_string(),
            pool_size: cfg.storage.pool_size,
        },
        _ => EngineChoice::Sled,
    };
    let target = args.to.trim();
    let (to, to_dir) = if let Some(path) = target.strip_prefix("sled:") {
        (EngineChoice::Sled, PathBuf::from(path))
    } else if target.starts_with("postgres://") || target.starts_with("postgresql://") {
        (
            EngineChoice::Postgres {
                url: target.to_string(),
                pool_size: args.pool_size.max(1),
            },
            cfg.storage.path.clone(),
        )
    } else {
        return Err(fail(
            "--to: expected postgres://user:password@host:5432/db or sled:PATH",
        ));
    };
    if matches!(from, EngineChoice::Sled)
        && matches!(to, EngineChoice::Sled)
        && to_dir == cfg.storage.path
    {
        return Err(fail("--to names the source directory itself"));
    }
    let on = std::io::stderr().is_terminal();
    let copied = crate::store::copy::copy_store(&from, &cfg.storage.path, &to, &to_dir, |ks, n| {
        if on {
            eprint!("\rcopying {ks} … {n} pairs   ");
            let _ = std::io::stderr().flush();
        }
    })
    .map_err(|e| fail(e.to_string()))?;
    if on {
        eprintln!();
    }
    let mut total = 0;
    for c in &copied {
        total += c.pairs;
        println!(
            "{:<22} {:>10} pairs  sha256 {}  ok",
            c.name,
            c.pairs,
            &c.checksum[..16]
        );
    }
    println!(
        "copied {total} pairs in {} keyspaces; every keyspace verified (count and checksum)",
        copied.len()
    );
    Ok(())
}

/// `charla restore FILE --data DIR`.
pub fn restore(cfg: &Config, args: &RestoreArgs, data_flag_given: bool) -> Result<(), Failure> {
    if !data_flag_given {
        return Err(fail(
            "name the directory to restore into with --data DIR (it must be empty or absent)",
        ));
    }
    let progress = Progress::new("restoring");
    let n = crate::store::backup::restore(&args.file, &cfg.storage.path, |b| progress.update(b))
        .map_err(|e| fail(e.to_string()))?;
    progress.done();
    println!("restored {n} entries into {}", cfg.storage.path.display());
    Ok(())
}

/// The running server's base URL: `given`, else `http://` + `server.listen` (an address
/// listening on every interface is reached on loopback).
fn server_url(cfg: &Config, given: Option<&str>) -> String {
    match given {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => format!(
            "http://{}",
            cfg.server
                .listen
                .replace("0.0.0.0", "127.0.0.1")
                .replace("[::]", "[::1]")
        ),
    }
}

/// `charla healthcheck`: GET `/healthz` of the running server; its answer is printed.
pub async fn healthcheck(cfg: &Config, args: &HealthcheckArgs) -> Result<(), Failure> {
    let url = format!("{}/healthz", server_url(cfg, args.url.as_deref()));
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(args.timeout.max(1)))
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let resp = client
        .get(&url)
        .send()
        .await
        .map_err(|e| fail(format!("unhealthy: cannot reach {url}: {e}")))?;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(fail(format!("unhealthy: {url} answered {status}: {body}")));
    }
    println!("{body}");
    Ok(())
}
