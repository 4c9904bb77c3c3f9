//! `charla-load mail --imap HOST:PORT --user U --password P [--mailbox N] [--samples N]`:
//! the email channel's figures against a real IMAP server (`scripts/bench-mail` starts a
//! throwaway Dovecot and runs this):
//!
//! - parse throughput of the `.eml` corpus in `tests/fixtures/email/` (in-process);
//! - the cost of a poll that finds nothing new in an N-message folder (default 10,000;
//!   the folder is filled by APPEND first): the `UID SEARCH` on an open session, and a
//!   whole poll on a new connection (connect, login, SELECT, SEARCH, LOGOUT);
//! - delivery latency: APPEND to the IMAP server → the conversation's event on an
//!   agent's live stream (SSE), through the real `charla` binary watching the folder.

use super::{dataset, login, ms, start_with};
use crate::http::{Conn, percentile};
use async_imap::Session;
use charla::channels::email::{Limits, parse};
use charla::channels::imap::{self, Account};
use charla::domain::email::Security;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// The load tool measures a Dovecot on this machine: local addresses are the point.
const LOAD_POLICY: charla::channels::guard::AddressPolicy =
    charla::channels::guard::AddressPolicy::new(true);

struct Opts {
    host: String,
    port: u16,
    user: String,
    password: String,
    mailbox: usize,
    samples: usize,
    data: PathBuf,
}

fn opts(args: &[String]) -> Opts {
    let mut o = Opts {
        host: "127.0.0.1".into(),
        port: 143,
        user: "bench".into(),
        password: "secret".into(),
        mailbox: 10_000,
        samples: 50,
        data: "target/load-mail".into(),
    };
    let mut i = 0;
    while i < args.len() {
        let val = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--imap" => {
                let (h, p) = val.rsplit_once(':').unwrap_or((&val, "143"));
                o.host = h.to_string();
                o.port = p.parse().unwrap_or(143);
            }
            "--user" => o.user = val,
            "--password" => o.password = val,
            "--mailbox" => o.mailbox = val.parse().unwrap_or(o.mailbox),
            "--samples" => o.samples = val.parse().unwrap_or(o.samples),
            "--data" => o.data = val.into(),
            other => {
                eprintln!("unknown option {other}");
                std::process::exit(2);
            }
        }
        i += 2;
    }
    o
}

fn corpus() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/email");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

/// A new customer's mail, unique per `n`.
fn mail(n: usize) -> String {
    format!(
        "From: Customer {n} <customer{n}@bench.example>\r\nTo: support@shop.example\r\nSubject: Order {n}\r\nMessage-ID: <bench-{n}-{}@bench.example>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHola, ¿dónde está mi pedido {n}? Lo compré hace tres días.\r\n",
        std::process::id()
    )
}

async fn imap_session(o: &Opts) -> Session<TcpStream> {
    let tcp = TcpStream::connect((o.host.as_str(), o.port))
        .await
        .unwrap_or_else(|e| panic!("cannot reach IMAP at {}:{}: {e}", o.host, o.port));
    let mut client = async_imap::Client::new(tcp);
    let _ = client.read_response().await;
    client
        .login(&o.user, &o.password)
        .await
        .unwrap_or_else(|(e, _)| panic!("IMAP login: {e}"))
}

async fn append(s: &mut Session<TcpStream>, n: usize) {
    s.append("INBOX", None, None, mail(n))
        .await
        .unwrap_or_else(|e| panic!("APPEND: {e}"));
}

fn account(o: &Opts) -> Account<'_> {
    Account {
        host: &o.host,
        port: o.port,
        security: Security::None,
        username: &o.user,
        password: &o.password,
        folder: "INBOX",
    }
}

pub fn run(args: &[String]) {
    let o = opts(args);
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let mut rows: Vec<(String, String)> = Vec::new();

    // Parse throughput over the corpus, for about two seconds.
    let corpus = corpus();
    let bytes: usize = corpus.iter().map(Vec::len).sum();
    let t0 = Instant::now();
    let mut parsed = 0usize;
    while t0.elapsed() < Duration::from_secs(2) {
        for raw in &corpus {
            std::hint::black_box(parse(raw, &Limits::default()));
        }
        parsed += corpus.len();
    }
    let secs = t0.elapsed().as_secs_f64();
    rows.push((
        format!(
            "Parse throughput, the {} fixtures ({:.1} KiB together), one core",
            corpus.len(),
            bytes as f64 / 1024.0
        ),
        format!(
            "{:.0} messages/s ({:.1} MiB/s)",
            parsed as f64 / secs,
            (parsed / corpus.len() * bytes) as f64 / secs / 1048576.0
        ),
    ));

    rt.block_on(async {
        // Fill the folder to the wanted size.
        let mut s = imap_session(&o).await;
        let exists = s
            .select("INBOX")
            .await
            .unwrap_or_else(|e| panic!("SELECT: {e}"))
            .exists as usize;
        let t0 = Instant::now();
        for n in exists..o.mailbox {
            append(&mut s, n).await;
        }
        if exists < o.mailbox {
            eprintln!(
                "appended {} mails in {:?}",
                o.mailbox - exists,
                t0.elapsed()
            );
        }
        let _ = s.logout().await;

        // A poll with nothing new: the search on an open session, and a whole poll.
        let mut mb = imap::open(&account(&o), LOAD_POLICY, Duration::from_secs(30))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let all = mb.uids_after(0).await.unwrap_or_else(|e| panic!("{e}"));
        let highest = all.last().copied().unwrap_or(0);
        let mut search = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            let new = mb.uids_after(highest).await.unwrap_or_else(|e| panic!("{e}"));
            search.push(t.elapsed());
            assert!(new.is_empty());
        }
        mb.close().await;
        rows.push((
            format!(
                "Poll with nothing new, {} messages in the folder: UID SEARCH on the open session (200 polls)",
                all.len()
            ),
            format!(
                "p50 {}, p99 {}",
                ms(percentile(&search, 0.5)),
                ms(percentile(&search, 0.99))
            ),
        ));
        let mut whole = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            let mut mb = imap::open(&account(&o), LOAD_POLICY, Duration::from_secs(30))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let new = mb.uids_after(highest).await.unwrap_or_else(|e| panic!("{e}"));
            mb.close().await;
            whole.push(t.elapsed());
            assert!(new.is_empty());
        }
        rows.push((
            "Same, on a new connection (connect, login, SELECT, SEARCH, LOGOUT; 20 polls)".into(),
            format!(
                "p50 {}, p99 {}",
                ms(percentile(&whole, 0.5)),
                ms(percentile(&whole, 0.99))
            ),
        ));
    });

    // Delivery latency through the real binary.
    let _ = std::fs::remove_dir_all(&o.data);
    let mut cfg = charla::config::load(None, &[], &charla::config::Overrides::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .config;
    cfg.storage.path = o.data.clone();
    let set = rt
        .block_on(dataset::generate(&cfg, 0, 0))
        .unwrap_or_else(|e| panic!("{e}"));
    // The mailbox is a Dovecot on this machine, which the address policy refuses
    // unless told otherwise.
    let (server, _) = start_with(&o.data, &[("CHARLA__OUTBOUND__ALLOW_PRIVATE", "true")]);
    let addr = server.addr.clone();
    rt.block_on(async {
        let cookie = login(&addr).await;
        let mut api = Conn::open(&addr).await.unwrap_or_else(|e| panic!("{e}"));
        let body = serde_json::json!({"name": "Bench mail", "channel": "email", "member_ids": [], "email": {
            "imap": {"host": o.host, "port": o.port, "security": "none", "username": o.user, "password": o.password, "folder": "INBOX"},
            "smtp": {"host": "127.0.0.1", "port": 25, "security": "none"},
            "from_name": "Shop", "from_address": "support@shop.example", "poll_seconds": 30}});
        let auth = format!("Bearer {}", set.token);
        let (status, resp) = api
            .request("POST", "/api/v1/inboxes", &[("Authorization", &auth), ("Content-Type", "application/json")], body.to_string().as_bytes())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&resp));
        // The agent's live stream: when each conversation's first event arrives.
        let events: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::default();
        {
            let (addr, cookie, events) = (addr.clone(), cookie.clone(), events.clone());
            tokio::spawn(async move {
                use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
                let Ok(mut s) = TcpStream::connect(&addr).await else { return };
                let _ = s.write_all(format!("GET /events HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\r\n").as_bytes()).await;
                let mut lines = tokio::io::BufReader::new(s).lines();
                while let Ok(Some(l)) = lines.next_line().await {
                    if let Some(id) = l.strip_prefix("event: conv-").and_then(|x| x.trim().parse().ok()) {
                        let mut ev = events.lock().unwrap_or_else(|e| e.into_inner());
                        if !ev.iter().any(|(i, _)| *i == id) {
                            ev.push((id, Instant::now()));
                        }
                    }
                }
            });
        }
        // The first pass over the big folder imports every mail in it: wait until done.
        let t0 = Instant::now();
        let mut last = (0, Instant::now());
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let n = events.lock().unwrap_or_else(|e| e.into_inner()).len();
            if n != last.0 {
                last = (n, Instant::now());
            } else if last.1.elapsed() > Duration::from_secs(3) {
                break;
            }
        }
        rows.push((
            format!("First import of the folder through the binary ({} mails)", last.0),
            format!("{:.1} s ({:.0} mails/s)", t0.elapsed().as_secs_f64() - 3.0, last.0 as f64 / (t0.elapsed().as_secs_f64() - 3.0).max(0.001)),
        ));
        let mut s = imap_session(&o).await;
        let mut lat = Vec::new();
        for i in 0..o.samples {
            let before = events.lock().unwrap_or_else(|e| e.into_inner()).len();
            let t = Instant::now();
            append(&mut s, 1_000_000 + i).await;
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                if let Some((_, at)) = events.lock().unwrap_or_else(|e| e.into_inner()).get(before) {
                    lat.push(at.saturating_duration_since(t));
                    break;
                }
                assert!(Instant::now() < deadline, "mail {i} never reached the live stream");
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = s.logout().await;
        rows.push((
            format!("Delivery latency, APPEND to the IMAP server → event on the agent's live stream ({} mails, IDLE)", lat.len()),
            format!("p50 {}, p99 {}", ms(percentile(&lat, 0.5)), ms(percentile(&lat, 0.99))),
        ));
    });
    drop(server);
    println!("| Email measure | Result |");
    println!("|---|---|");
    for (k, v) in &rows {
        println!("| {k} | {v} |");
    }
}
