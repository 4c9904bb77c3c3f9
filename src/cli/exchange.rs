//! `charla export`, `charla import` and `charla demo`.

use super::{Failure, fail, offline_services};
use crate::app;
use crate::config::Config;
use crate::domain::conversation::ContactId;
use crate::service::exchange::{self, Scope};
use crate::web::export;
use clap::{Args, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// The file formats of `charla export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON record per line: everything, importable (docs/export.md).
    Jsonl,
    /// One readable, self-contained page with a transcript per conversation.
    Html,
    /// Mail as exchanged, one message per mail (RFC 4155 mbox).
    Mbox,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[arg(long, value_enum)]
    pub format: Format,
    /// Only this contact's conversations (a right-of-access request).
    #[arg(long, value_name = "ID")]
    pub contact: Option<u64>,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Only `jsonl` can be imported.
    #[arg(long, value_enum)]
    pub format: Format,
    /// A whole export made by `charla export --format jsonl`.
    pub file: PathBuf,
}

/// A progress bar on standard error, drawn only when it is a terminal.
pub(super) struct Bar {
    label: &'static str,
    on: bool,
    last: u64,
}

impl Bar {
    pub(super) fn new(label: &'static str) -> Bar {
        Bar {
            label,
            on: std::io::stderr().is_terminal(),
            last: u64::MAX,
        }
    }
    pub(super) fn set(&mut self, done: u64, total: u64) {
        let pct = (done.saturating_mul(100) / total.max(1)).min(100);
        if !self.on || (pct == self.last && done != total) {
            return;
        }
        self.last = pct;
        let filled = (pct / 4) as usize;
        eprint!(
            "\r{} [{}{}] {pct:>3}% {done}/{total} ",
            self.label,
            "#".repeat(filled),
            ".".repeat(25 - filled)
        );
        let _ = std::io::stderr().flush();
    }
    pub(super) fn done(&self) {
        if self.on && self.last != u64::MAX {
            eprintln!();
        }
    }
}

/// Where the export goes: standard output, or `FILE.partial` renamed to FILE once
/// complete (a failed export leaves no half file behind).
enum Sink {
    Stdout(std::io::BufWriter<std::io::Stdout>),
    File(std::io::BufWriter<std::fs::File>, PathBuf, PathBuf),
}

impl Sink {
    fn open(output: &Option<PathBuf>) -> Result<Sink, Failure> {
        Ok(match output {
            None => Sink::Stdout(std::io::BufWriter::new(std::io::stdout())),
            Some(p) => {
                let tmp = p.with_extension("partial");
                let f = std::fs::File::create(&tmp)
                    .map_err(|e| fail(format!("{}: {e}", tmp.display())))?;
                Sink::File(std::io::BufWriter::new(f), tmp, p.clone())
            }
        })
    }
    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Sink::Stdout(w) => w,
            Sink::File(w, _, _) => w,
        }
    }
    fn finish(self) -> Result<String, Failure> {
        match self {
            Sink::Stdout(mut w) => {
                w.flush().map_err(|e| fail(e.to_string()))?;
                Ok("standard output".into())
            }
            Sink::File(w, tmp, path) => {
                let f = w.into_inner().map_err(|e| fail(e.to_string()))?;
                f.sync_all().map_err(|e| fail(e.to_string()))?;
                std::fs::rename(&tmp, &path)
                    .map_err(|e| fail(format!("{}: {e}", path.display())))?;
                Ok(path.display().to_string())
            }
        }
    }
    fn abandon(self) {
        if let Sink::File(_, tmp, _) = self {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// `charla export`, on a data directory no server holds.
pub fn export(cfg: &Config, args: &ExportArgs) -> Result<(), Failure> {
    let services = offline_services(cfg)?;
    let scope = match args.contact {
        Some(id) => {
            let id = ContactId(id);
            services
                .store
                .contact(id)
                .map_err(|e| fail(e.to_string()))?
                .ok_or_else(|| fail(format!("there is no contact {id}")))?;
            Scope::Contact(id)
        }
        None => Scope::All,
    };
    let mut sink = Sink::open(&args.output)?;
    let mut bar = Bar::new("exporting conversations");
    // Transcripts speak the installation's language and show its time zone.
    let l = crate::i18n::L10n::new(
        crate::i18n::Lang::parse(&cfg.ui.language).unwrap_or_default(),
        &cfg.ui.timezone,
    );
    let result = write_export(&services, &l, scope, args.format, sink.writer(), &mut bar);
    bar.done();
    match result {
        Ok(summary) => {
            let to = sink.finish()?;
            eprintln!("exported {summary} to {to}");
            Ok(())
        }
        Err(e) => {
            sink.abandon();
            Err(e)
        }
    }
}

fn write_export(
    s: &crate::service::Services,
    l: &crate::i18n::L10n,
    scope: Scope,
    format: Format,
    out: &mut dyn Write,
    bar: &mut Bar,
) -> Result<String, Failure> {
    let mut progress = |d, t| bar.set(d, t);
    match (format, scope) {
        (Format::Jsonl, Scope::All) => {
            let n = exchange::export_store(&s.store, &s.keys, out, &mut progress)?;
            Ok(format!("{n} records"))
        }
        (Format::Jsonl, Scope::Contact(id)) => {
            let n = s.export_contact_jsonl(None, id, out)?;
            Ok(format!("{n} records of contact {id}"))
        }
        (Format::Html | Format::Mbox, scope) => {
            let dir = s.directory();
            let io = |e: std::io::Error| crate::service::ServiceError::Internal(e.to_string());
            if format == Format::Html {
                let title = match scope {
                    Scope::Contact(id) => export::contact_title(
                        l,
                        &s.store
                            .contact(id)
                            .map_err(|e| fail(e.to_string()))?
                            .map(|c| c.display_name())
                            .unwrap_or_default(),
                    ),
                    Scope::All => export::all_title(l),
                };
                out.write_all(export::head(l, &title).as_bytes())
                    .map_err(io)?;
            }
            let n = s.each_transcript(
                None,
                scope,
                &mut |t| {
                    let text = if format == Format::Html {
                        export::conversation(l, t, &dir)
                    } else {
                        let mut m = String::new();
                        exchange::mbox::render(t, &dir, &mut m);
                        m
                    };
                    out.write_all(text.as_bytes()).map_err(io)
                },
                &mut progress,
            )?;
            if format == Format::Html {
                out.write_all(export::FOOT.as_bytes()).map_err(io)?;
            }
            Ok(format!("{n} conversations"))
        }
    }
}

/// `charla import --format jsonl FILE` into an empty data directory (or database).
pub fn import(cfg: &Config, args: &ImportArgs) -> Result<(), Failure> {
    if args.format != Format::Jsonl {
        return Err(fail(
            "only --format jsonl can be imported (html and mbox are for reading)",
        ));
    }
    let data = &cfg.storage.path;
    let keys = app::existing_keys(cfg, data)?.ok_or_else(|| {
        fail(format!(
            "an export carries secrets sealed with its installation's key: copy that installation's data/secret.key to {} (or set security.secret_key to its key) before importing",
            data.join("secret.key").display()
        ))
    })?;
    let checked = exchange::verify_file(&args.file, Some(&keys)).map_err(fail)?;
    let store = crate::store::Store::open_empty(&app::store_options(cfg))
        .map_err(|e| fail(e.to_string()))?;
    let mut bar = Bar::new("importing records");
    let result = exchange::import_file(&store, &keys, &args.file, checked, &mut |d, t| {
        bar.set(d, t)
    });
    bar.done();
    let imported = result.map_err(fail)?;
    println!(
        "imported {} records into {}; read back, they export to the same file",
        imported.records,
        describe(cfg, data)
    );
    Ok(())
}

fn describe(cfg: &Config, data: &Path) -> String {
    if cfg.storage.engine == "postgres" {
        "the PostgreSQL database".into()
    } else {
        data.display().to_string()
    }
}

/// `charla demo`: fills a new data directory with the demo data set and prints how to
/// sign in.
pub async fn demo(cfg: &Config, data_flag: Option<&Path>) -> Result<(), Failure> {
    let mut bar = Bar::new("creating conversations");
    let made = crate::dataset::demo::generate(cfg, &mut |d, t| bar.set(d, t)).await;
    bar.done();
    let made = made.map_err(fail)?;
    let url = format!(
        "http://{}",
        cfg.server.listen.replace("0.0.0.0", "127.0.0.1")
    );
    let data = match data_flag {
        Some(d) => format!(" --data {}", d.display()),
        None => String::new(),
    };
    println!(
        "Demo data is ready in {}: {} conversations over the last 60 days in {} inboxes ({}).",
        describe(cfg, &cfg.storage.path),
        made.conversations,
        made.inboxes.len(),
        made.inboxes
            .iter()
            .map(|(_, k)| k.label())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("Provider settings are placeholders (*.demo.invalid): nothing connects anywhere.");
    println!();
    println!("Start the server:  charla{data} serve");
    println!("Then sign in at    {url}/login");
    for (name, email, role) in &made.agents {
        println!("  {email:<24} {name} ({})", role.as_str());
    }
    println!("Password (every demo agent): {}", made.password);
    Ok(())
}
