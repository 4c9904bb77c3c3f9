//! `cargo run --release --bin charla-load -- [options]`: builds a realistic data set,
//! starts the real `charla` binary on it and prints a markdown table of what it
//! measured. Options: `--conversations N` (100000), `--messages N` (1000000),
//! `--seconds S` per phase (5), `--data DIR` (target/load-data), `--reuse` (keep an
//! existing data set), `--crash-rounds N` (SIGKILL/restart rounds, 0).
//! `--engine postgres --pg-url postgres://…/EMPTY_DB` copies the data set into that
//! (empty) database with `charla migrate-store` and measures Charla on PostgreSQL;
//! `--nodes N --nats nats://…` starts N nodes on it (cluster mode) and spreads the
//! connections over them round robin, as a load balancer would.
//! `charla-load mail …` measures the email channel instead (see `mail.rs`), and
//! `charla-load widget …` the website chat (see `widget.rs`), and `charla-load
//! channels …` the messaging channels (see `channels.rs`).

mod channels;

mod http;
mod mail;
mod nodes;
mod reports;
mod widget;
mod ws;

use charla::dataset;
use http::{Conn, hammer_on, percentile};
use nodes::{copy_to_postgres, start_nodes};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Opts {
    conversations: usize,
    messages: usize,
    seconds: u64,
    data: PathBuf,
    reuse: bool,
    crash_rounds: usize,
    /// `sled` or `postgres`.
    engine: String,
    pg_url: Option<String>,
    nodes: usize,
    nats: Option<String>,
}

fn opts() -> Opts {
    let mut o = Opts {
        conversations: 100_000,
        messages: 1_000_000,
        seconds: 5,
        data: "target/load-data".into(),
        reuse: false,
        crash_rounds: 0,
        engine: "sled".into(),
        pg_url: None,
        nodes: 1,
        nats: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let val = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--conversations" => o.conversations = val.parse().unwrap_or(o.conversations),
            "--messages" => o.messages = val.parse().unwrap_or(o.messages),
            "--seconds" => o.seconds = val.parse().unwrap_or(o.seconds),
            "--data" => o.data = val.into(),
            "--crash-rounds" => o.crash_rounds = val.parse().unwrap_or(0),
            "--engine" => o.engine = val,
            "--pg-url" => o.pg_url = Some(val),
            "--nodes" => o.nodes = val.parse().unwrap_or(1).max(1),
            "--nats" => o.nats = Some(val),
            "--reuse" => {
                o.reuse = true;
                i += 1;
                continue;
            }
            other => {
                eprintln!("unknown option {other}");
                std::process::exit(2);
            }
        }
        i += 2;
    }
    let fail = |m: &str| {
        eprintln!("{m}");
        std::process::exit(2);
    };
    match o.engine.as_str() {
        "sled" if o.nodes > 1 => fail("--nodes needs --engine postgres"),
        "sled" => {}
        "postgres" if o.pg_url.is_none() => fail("--engine postgres needs --pg-url"),
        "postgres" if o.nodes > 1 && o.nats.is_none() => fail("--nodes needs --nats"),
        "postgres" if o.crash_rounds > 0 => fail("--crash-rounds runs on sled only"),
        "postgres" => {}
        other => fail(&format!("unknown engine {other}")),
    }
    o
}

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    exe.with_file_name("charla")
}

/// Starts `charla serve` on a free port; returns it and the cold-start time (spawn to
/// a successful `/healthz`).
fn start(data: &Path) -> (Server, Duration) {
    start_with(data, &[])
}

/// [`start`] with extra environment variables (configuration overrides).
fn start_with(data: &Path, env: &[(&str, &str)]) -> (Server, Duration) {
    let t0 = Instant::now();
    let mut child = Command::new(bin())
        .envs(env.iter().copied())
        .args([
            "--data",
            &data.to_string_lossy(),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .env("RUST_LOG", "warn,charla=info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {}: {e} (build it with cargo build --release)",
                bin().display()
            )
        });
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            // What went wrong on the server shows with the figures it affects.
            if line.contains("WARN")
                || line.contains("ERROR")
                || std::env::var_os("CHARLA_LOAD_VERBOSE").is_some()
            {
                eprintln!("server: {line}");
            }
            if let Some(i) = line.find("listening on http://") {
                let _ = tx.send(
                    line[i + 20..]
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_string(),
                );
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("server did not start"));
    let server = Server { child, addr };
    loop {
        if std::net::TcpStream::connect(&server.addr).is_ok() {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("{e}"));
            let ok = rt.block_on(async {
                let mut c = Conn::open(&server.addr).await.ok()?;
                c.request("GET", "/healthz", &[], b"")
                    .await
                    .ok()
                    .map(|(s, _)| s == 200)
            });
            if ok == Some(true) {
                return (server, t0.elapsed());
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn dir_size(p: &Path) -> u64 {
    let mut n = 0;
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            let path = e.path();
            n += if path.is_dir() {
                dir_size(&path)
            } else {
                e.metadata().map(|m| m.len()).unwrap_or(0)
            };
        }
    }
    n
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn login(addr: &str) -> String {
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    let page = c
        .get(format!("http://{addr}/login"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let pre = page
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .to_string();
    let html = page.text().await.unwrap_or_default();
    let i = html
        .find("name=\"csrf\" value=\"")
        .map(|i| i + 19)
        .unwrap_or(0);
    let csrf = html[i..].split('"').next().unwrap_or("").to_string();
    let r = c
        .post(format!("http://{addr}/login"))
        .header("cookie", pre)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            serde_urlencoded::to_string([
                ("csrf", csrf.as_str()),
                ("email", dataset::ADMIN_EMAIL),
                ("password", dataset::ADMIN_PASSWORD),
            ])
            .unwrap_or_default(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    r.headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .to_string()
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("mail") {
        mail::run(&args[1..]);
        return;
    }
    if args.first().map(String::as_str) == Some("channels") {
        channels::run(&args[1..]);
        return;
    }
    if args.first().map(String::as_str) == Some("widget") {
        widget::run(&args[1..]);
        return;
    }
    let o = opts();
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let setup_file = o.data.join("load-setup.json");
    let mut cfg = charla::config::load(None, &[], &charla::config::Overrides::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .config;
    cfg.storage.path = o.data.clone();
    let (token, inboxes, team, messages, logical) = if o.reuse && setup_file.exists() {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&setup_file).unwrap_or_default())
                .unwrap_or_default();
        let inboxes = v["inboxes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| {
                        (
                            x[0].as_u64().unwrap_or(0),
                            x[1].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        (
            v["token"].as_str().unwrap_or("").to_string(),
            inboxes,
            v["team"].as_u64().unwrap_or(0),
            v["messages"].as_u64().unwrap_or(0) as usize,
            v["logical"].as_u64().unwrap_or(0),
        )
    } else {
        let _ = std::fs::remove_dir_all(&o.data);
        eprintln!(
            "generating {} conversations / {} messages in {}",
            o.conversations,
            o.messages,
            o.data.display()
        );
        let t = Instant::now();
        let ds = rt
            .block_on(dataset::generate(&cfg, o.conversations, o.messages))
            .unwrap_or_else(|e| panic!("{e}"));
        eprintln!(
            "generated {} messages in {:.1} s",
            ds.messages,
            t.elapsed().as_secs_f64()
        );
        let v = serde_json::json!({"token": ds.token, "inboxes": ds.inboxes, "team": ds.team, "messages": ds.messages, "logical": ds.logical_bytes});
        let _ = std::fs::write(&setup_file, v.to_string());
        (ds.token, ds.inboxes, ds.team, ds.messages, ds.logical_bytes)
    };
    let disk = dir_size(&o.data.join("db"));
    let mut rows: Vec<(String, String)> = Vec::new();
    if let Some(url) = &o.pg_url {
        let took = copy_to_postgres(&o, url);
        rows.push((
            "Copy of the data set into PostgreSQL (`charla migrate-store`, verified)".into(),
            format!("{:.1} s", took.as_secs_f64()),
        ));
    }
    let (servers, cold) = start_nodes(&o);
    let pids: Vec<u32> = servers.iter().map(|s| s.child.id()).collect();
    std::thread::sleep(Duration::from_secs(2));
    let rss_idle: u64 = pids.iter().map(|p| rss_kib(*p, "VmRSS:")).sum();
    let addrs: Vec<String> = servers.iter().map(|s| s.addr.clone()).collect();
    let addr = addrs[0].clone();
    // Pushes are posted to the last node and watched on the first: across nodes when
    // there are several.
    let post_addr = addrs[addrs.len() - 1].clone();
    let peak = Arc::new(Mutex::new(0u64));
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    {
        let (peak, sampling, pids) = (peak.clone(), sampling.clone(), pids.clone());
        std::thread::spawn(move || {
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                let r: u64 = pids.iter().map(|p| rss_kib(*p, "VmRSS:")).sum();
                let mut p = peak.lock().unwrap_or_else(|e| e.into_inner());
                *p = (*p).max(r);
                drop(p);
                std::thread::sleep(Duration::from_millis(100));
            }
        });
    }
    let dur = Duration::from_secs(o.seconds);
    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    rt.block_on(async {
        let cookie = login(&addr).await;
        let get = |path: String, cookie: String| move |_c: usize, _i: usize| ("GET".to_string(), path.clone(), vec![("Cookie".to_string(), cookie.clone())], Vec::new());
        let trivial = hammer_on(&addrs, 32, dur, get("/healthz".into(), String::new())).await;
        rows.push(("Trivial endpoint (`/healthz`), 32 connections".into(), format!("{:.0} req/s, p50 {}, p99 {}", trivial.per_sec(), ms(trivial.pct(0.5)), ms(trivial.pct(0.99)))));
        for (label, path) in [
            ("Inbox page, Mine", "/?view=mine".to_string()),
            ("Inbox page, All open", "/?view=all".into()),
            ("Inbox page, Team", format!("/?view=team:{team}")),
            ("Live list partial, All open", "/inbox/list?view=all".into()),
        ] {
            // A page that shows no rows measures nothing: check before timing it.
            let mut c = Conn::open(&addr).await.unwrap_or_else(|e| panic!("{e}"));
            let (status, body) = c.request("GET", &path, &[("Cookie", &cookie)], b"").await.unwrap_or_else(|e| panic!("{e}"));
            let n_rows = String::from_utf8_lossy(&body).matches("class=\"conv-row").count();
            assert!(status == 200 && n_rows >= 20, "{path} answered {status} with {n_rows} rows; the data set is not what this tool expects");
            let r = hammer_on(&addrs, 32, dur, get(path, cookie.clone())).await;
            rows.push((
                format!("{label} ({n_rows} rows), 32 connections"),
                format!("{:.0} req/s ({:.2}× trivial), p50 {}, p99 {}, errors {}", r.per_sec(), r.per_sec() / trivial.per_sec(), ms(r.pct(0.5)), ms(r.pct(0.99)), r.errors),
            ));
        }
        let api = reqwest::Client::new();
        let list: serde_json::Value = api.get(format!("http://{addr}/api/v1/conversations?view=all")).bearer_auth(&token).send().await.unwrap_or_else(|e| panic!("{e}")).json().await.unwrap_or_default();
        let ids: Vec<u64> = list["conversations"].as_array().map(|a| a.iter().filter_map(|c| c["id"].as_u64()).collect()).unwrap_or_default();
        let ids = Arc::new(ids);
        let conv_cookie = cookie.clone();
        let r = hammer_on(&addrs, 32, dur, move |c, i| ("GET".into(), format!("/conversations/{}", ids[(c * 7 + i) % ids.len().max(1)]), vec![("Cookie".into(), conv_cookie.clone())], Vec::new())).await;
        rows.push(("Conversation page (latest 50 items), 32 connections".into(), format!("{:.0} req/s, p50 {}, p99 {}", r.per_sec(), ms(r.pct(0.5)), ms(r.pct(0.99)))));
        rows.extend(reports::rows(&addr, &token, &cookie, o.conversations).await);
        // Durable ingest through the API inbox.
        let (inbox, itoken) = inboxes[0].clone();
        let auth = format!("Bearer {itoken}");
        let r = hammer_on(&addrs, 32, dur, move |c, i| {
            let body = serde_json::json!({"source_id": format!("load-{run_id}-{c}-{i}"), "contact": {"identifier": format!("load-{}", (c * 1000 + i) % 5000)}, "content": "Hola, ¿tenéis envío a Canarias?"});
            ("POST".into(), format!("/api/v1/inboxes/{inbox}/incoming"), vec![("Authorization".into(), auth.clone()), ("Content-Type".into(), "application/json".into())], body.to_string().into_bytes())
        })
        .await;
        rows.push(("Durable ingest, API inbox, 32 connections".into(), format!("{:.0} messages/s, ack p50 {}, p99 {}, errors {}", r.per_sec(), ms(r.pct(0.5)), ms(r.pct(0.99)), r.errors)));
        // Push latency: inbound request sent -> `conv-{id}` on the agent's SSE stream.
        let arrivals: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
        {
            let (addr, cookie, arrivals) = (addr.clone(), cookie.clone(), arrivals.clone());
            tokio::spawn(async move {
                use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
                let Ok(mut s) = tokio::net::TcpStream::connect(&addr).await else { return };
                let _ = s.write_all(format!("GET /events HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\r\n").as_bytes()).await;
                let mut lines = tokio::io::BufReader::new(s).lines();
                while let Ok(Some(l)) = lines.next_line().await {
                    if let Some(id) = l.strip_prefix("event: conv-").and_then(|x| x.trim().parse().ok()) {
                        arrivals.lock().unwrap_or_else(|e| e.into_inner()).entry(id).or_insert_with(Instant::now);
                    }
                }
            });
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut push = Vec::new();
        let mut conn = Conn::open(&post_addr).await.unwrap_or_else(|e| panic!("{e}"));
        for i in 0..200 {
            // Unique per run: a `--reuse` run must not post duplicates (no event).
            let body = serde_json::json!({"source_id": format!("push-{run_id}-{i}"), "contact": {"identifier": format!("push-{run_id}-{i}")}, "content": "push?"});
            let t0 = Instant::now();
            let auth = format!("Bearer {}", inboxes[0].1);
            let (_, resp) = conn
                .request("POST", &format!("/api/v1/inboxes/{}/incoming", inboxes[0].0), &[("Authorization", &auth), ("Content-Type", "application/json")], body.to_string().as_bytes())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let conv = serde_json::from_slice::<serde_json::Value>(&resp).ok().and_then(|v| v["conversation_id"].as_u64()).unwrap_or(0);
            for _ in 0..200 {
                if let Some(t) = arrivals.lock().unwrap_or_else(|e| e.into_inner()).get(&conv) {
                    push.push(t.saturating_duration_since(t0));
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        rows.push(("Push latency, inbound request → agent's SSE stream (200 messages)".into(), format!("p50 {}, p99 {} ({} received)", ms(percentile(&push, 0.5)), ms(percentile(&push, 0.99)), push.len())));
    });
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let hwm: u64 = pids.iter().map(|p| rss_kib(*p, "VmHWM:")).sum();
    let peak_kib = (*peak.lock().unwrap_or_else(|e| e.into_inner())).max(hwm);
    drop(servers);
    let (servers2, cold2) = start_nodes(&o);
    drop(servers2);
    let on = match (o.engine.as_str(), o.nodes) {
        ("sled", _) => "sled".to_string(),
        (e, 1) => format!("{e}, one node"),
        (e, n) => format!("{e}, {n} nodes"),
    };
    println!(
        "| Measure ({} conversations, {} messages; {on}) | Result |",
        o.conversations, messages
    );
    println!("|---|---|");
    for (k, v) in &rows {
        println!("| {k} | {v} |");
    }
    println!(
        "| RSS idle after start / peak under load (all nodes) | {:.1} MiB / {:.1} MiB |",
        rss_idle as f64 / 1024.0,
        peak_kib as f64 / 1024.0
    );
    if o.pg_url.is_none() {
        println!(
            "| Bytes on disk / logical bytes (keys + values) | {:.1} MiB / {:.1} MiB ({:.1}×) |",
            disk as f64 / 1048576.0,
            logical as f64 / 1048576.0,
            disk as f64 / logical.max(1) as f64
        );
    }
    println!(
        "| Cold start on the data set (spawn → /healthz 200) | {} (second start {}) |",
        ms(cold),
        ms(cold2)
    );
    if o.crash_rounds > 0 {
        crash_rounds(&o.data, &inboxes[0], o.crash_rounds, &rt);
    }
}

/// SIGKILL the server while posting, restart, check every acknowledged message is there.
fn crash_rounds(data: &Path, inbox: &(u64, String), rounds: usize, rt: &tokio::runtime::Runtime) {
    let mut acked_total = 0;
    for round in 0..rounds {
        let (mut server, _) = start(data);
        let addr = server.addr.clone();
        let acked: Arc<Mutex<Vec<(String, u64)>>> = Arc::default();
        rt.block_on(async {
            let mut tasks = Vec::new();
            for w in 0..8 {
                let (addr, acked, inbox) = (addr.clone(), acked.clone(), inbox.clone());
                tasks.push(tokio::spawn(async move {
                    let Ok(mut c) = Conn::open(&addr).await else { return };
                    let auth = format!("Bearer {}", inbox.1);
                    for i in 0.. {
                        let src = format!("crash-{round}-{w}-{i}");
                        let body = serde_json::json!({"source_id": src, "contact": {"identifier": format!("crash-{w}")}, "content": "crash"});
                        match c.request("POST", &format!("/api/v1/inboxes/{}/incoming", inbox.0), &[("Authorization", &auth), ("Content-Type", "application/json")], body.to_string().as_bytes()).await {
                            Ok((200, b)) => {
                                let id = serde_json::from_slice::<serde_json::Value>(&b).ok().and_then(|v| v["message_id"].as_u64()).unwrap_or(0);
                                acked.lock().unwrap_or_else(|e| e.into_inner()).push((src, id));
                            }
                            _ => return,
                        }
                    }
                }));
            }
            tokio::time::sleep(Duration::from_millis(300 + (round as u64 * 37) % 400)).await;
            let _ = server.child.kill();
            let _ = server.child.wait();
            for t in tasks {
                let _ = t.await;
            }
        });
        drop(server);
        let (server, _) = start(data);
        let acked = acked.lock().unwrap_or_else(|e| e.into_inner()).clone();
        rt.block_on(async {
            let mut c = Conn::open(&server.addr).await.unwrap_or_else(|e| panic!("{e}"));
            let auth = format!("Bearer {}", inbox.1);
            for (src, id) in &acked {
                let body = serde_json::json!({"source_id": src, "contact": {"identifier": "x"}, "content": "again"});
                let (_, b) = c.request("POST", &format!("/api/v1/inboxes/{}/incoming", inbox.0), &[("Authorization", &auth), ("Content-Type", "application/json")], body.to_string().as_bytes()).await.unwrap_or_else(|e| panic!("{e}"));
                let v: serde_json::Value = serde_json::from_slice(&b).unwrap_or_default();
                assert!(v["duplicate"] == true && v["message_id"].as_u64() == Some(*id), "round {round}: acknowledged {src} lost or changed: {v}");
            }
        });
        acked_total += acked.len();
    }
    println!(
        "| Crash safety (SIGKILL while posting, restart) | {rounds} rounds, {acked_total} acknowledged messages, 0 lost |"
    );
}
