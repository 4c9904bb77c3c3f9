//! `charla-load widget [--sockets N] [--samples N] [--data DIR]`: the website chat's
//! figures through the real `charla` binary: N widget sockets held at once (each a
//! visitor with a conversation), the server's RSS before and with them, the latency of a
//! visitor's message to the agent's live stream (SSE), and of an agent's reply (REST
//! API) to the visitor's socket, with all N sockets open.

use super::ws::{WsWrite, connect};
use super::{dataset, login, ms, rss_kib, start_with};
use crate::http::{Conn, percentile};
use charla::service::InboxInput;
use charla::service::website::WebsiteInput;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ORIGIN: &str = "https://shop.load.example";

struct Opts {
    sockets: usize,
    samples: usize,
    data: PathBuf,
}

fn opts(args: &[String]) -> Opts {
    let mut o = Opts {
        sockets: 1000,
        samples: 200,
        data: "target/load-widget".into(),
    };
    let mut i = 0;
    while i < args.len() {
        let val = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--sockets" => o.sockets = val.parse().unwrap_or(o.sockets),
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

/// Creates the data set: an admin with an API token and one website inbox. Returns
/// (token, inbox key).
fn prepare(rt: &tokio::runtime::Runtime, data: &PathBuf) -> (String, String) {
    let _ = std::fs::remove_dir_all(data);
    let mut cfg = charla::config::load(None, &[], &charla::config::Overrides::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .config;
    cfg.storage.path = data.clone();
    let set = rt
        .block_on(dataset::generate(&cfg, 0, 0))
        .unwrap_or_else(|e| panic!("{e}"));
    let key = rt.block_on(async {
        let store = charla::app::open_store(&cfg).unwrap_or_else(|e| panic!("{e}"));
        let services =
            charla::app::build_services(&cfg, store.clone(), Arc::new(charla::domain::SystemClock))
                .unwrap_or_else(|e| panic!("{e}"));
        let admin = services
            .store
            .agent_by_email(dataset::ADMIN_EMAIL)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("no admin"));
        let (inbox, _) = services
            .save_inbox(
                &admin,
                None,
                InboxInput {
                    messaging: None,
                    language: None,
                    name: "Load website".into(),
                    channel: Some(charla::domain::ChannelKind::Website),
                    members: vec![admin.id],
                    webhook_url: None,
                    email: None,
                    website: Some(WebsiteInput {
                        allowed_origins: Some(vec![ORIGIN.into()]),
                        ..WebsiteInput::default()
                    }),
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let _ = store.durable().await;
        inbox.website.map(|w| w.key).unwrap_or_default()
    });
    (set.token, key)
}

pub fn run(args: &[String]) {
    let o = opts(args);
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let (token, key) = prepare(&rt, &o.data);
    // One machine plays every visitor, so lift the per-IP limits for the run.
    let limit = (o.sockets * 10).to_string();
    let (server, _) = start_with(
        &o.data,
        &[
            ("CHARLA__WIDGET__MESSAGES_PER_MINUTE_PER_IP", &limit),
            ("CHARLA__WIDGET__CONVERSATIONS_PER_HOUR_PER_IP", &limit),
        ],
    );
    let pid = server.child.id();
    let addr = server.addr.clone();
    let mut rows: Vec<(String, String)> = Vec::new();
    rt.block_on(async {
        let cookie = login(&addr).await;
        // The agent's live stream: every conversation event with its arrival time.
        let events: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::default();
        {
            let (addr, cookie, events) = (addr.clone(), cookie.clone(), events.clone());
            tokio::spawn(async move {
                use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
                let Ok(mut s) = tokio::net::TcpStream::connect(&addr).await else { return };
                let _ = s.write_all(format!("GET /events HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\r\n").as_bytes()).await;
                let mut lines = tokio::io::BufReader::new(s).lines();
                while let Ok(Some(l)) = lines.next_line().await {
                    if let Some(id) = l.strip_prefix("event: conv-").and_then(|x| x.trim().parse().ok()) {
                        events.lock().unwrap_or_else(|e| e.into_inner()).push((id, Instant::now()));
                    }
                }
            });
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let rss_before = rss_kib(pid, "VmRSS:");
        // Agent messages reaching each socket: content → arrival.
        let arrivals: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
        let path = format!("/widget/v1/{key}/socket");
        let mut writers: Vec<WsWrite> = Vec::with_capacity(o.sockets);
        let t_open = Instant::now();
        for i in 0..o.sockets {
            let (mut r, mut w) = connect(&addr, &path, ORIGIN)
                .await
                .unwrap_or_else(|e| panic!("socket {i}: {e}"));
            w.text(r#"{"type":"hello","token":null,"cursor":null,"identity":null}"#)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let welcome = r.next_text().await.unwrap_or_else(|e| panic!("{e}"));
            assert!(welcome.contains("\"welcome\""), "{welcome}");
            let arrivals = arrivals.clone();
            tokio::spawn(async move {
                while let Ok(t) = r.next_text().await {
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&t)
                        && v["type"] == "message"
                        && let Some(c) = v["message"]["content"].as_str()
                    {
                        arrivals.lock().unwrap_or_else(|e| e.into_inner()).entry(c.to_string()).or_insert_with(Instant::now);
                    }
                }
            });
            writers.push(w);
        }
        let opened = t_open.elapsed();
        // Each visitor writes: a new conversation, seen by the agent's stream.
        let mut conv_of: Vec<u64> = Vec::with_capacity(o.sockets);
        let mut first = Vec::new();
        for (i, w) in writers.iter_mut().enumerate() {
            let seen = events.lock().unwrap_or_else(|e| e.into_inner()).len();
            let t0 = Instant::now();
            w.text(&format!(r#"{{"type":"send","client_id":"c{i}","content":"Hola, soy el visitante {i}"}}"#))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let hit = {
                    let ev = events.lock().unwrap_or_else(|e| e.into_inner());
                    ev[seen..].iter().find(|(id, _)| !conv_of.contains(id)).copied()
                };
                if let Some((id, at)) = hit {
                    conv_of.push(id);
                    first.push(at.saturating_duration_since(t0));
                    break;
                }
                assert!(Instant::now() < deadline, "visitor {i}'s message never reached the agent");
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rss_with = rss_kib(pid, "VmRSS:");
        rows.push((
            format!("{} widget sockets held at once, each a visitor with a conversation", o.sockets),
            format!(
                "opened and greeted in {:.2} s; RSS {:.1} MiB before, {:.1} MiB with them ({:.1} KiB a visitor)",
                opened.as_secs_f64(),
                rss_before as f64 / 1024.0,
                rss_with as f64 / 1024.0,
                (rss_with.saturating_sub(rss_before)) as f64 / o.sockets.max(1) as f64
            ),
        ));
        rows.push((
            format!("Visitor → agent, first message (new conversation) → agent's live stream, {} visitors", first.len()),
            format!("p50 {}, p99 {}", ms(percentile(&first, 0.5)), ms(percentile(&first, 0.99))),
        ));
        // Follow-up messages from visitors, and agent replies to visitors, all sockets open.
        let mut follow = Vec::new();
        let mut push = Vec::new();
        let mut api = Conn::open(&addr).await.unwrap_or_else(|e| panic!("{e}"));
        let auth = format!("Bearer {token}");
        for k in 0..o.samples {
            let i = (k * 7919) % o.sockets;
            let conv = conv_of[i];
            let t0 = Instant::now();
            writers[i]
                .text(&format!(r#"{{"type":"send","client_id":"f{k}","content":"¿Y el envío? ({k})"}}"#))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let hit = events
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .iter()
                    .rev()
                    .find(|(id, at)| *id == conv && *at >= t0)
                    .map(|(_, at)| *at);
                if let Some(at) = hit {
                    follow.push(at.saturating_duration_since(t0));
                    break;
                }
                assert!(Instant::now() < deadline, "follow-up {k} never reached the agent");
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            let content = format!("Sale mañana, visitante {i} ({k})");
            let body = serde_json::json!({"content": content});
            let t0 = Instant::now();
            let (status, resp) = api
                .request("POST", &format!("/api/v1/conversations/{conv}/messages"), &[("Authorization", &auth), ("Content-Type", "application/json")], body.to_string().as_bytes())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(status, 201, "{}", String::from_utf8_lossy(&resp));
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                if let Some(at) = arrivals.lock().unwrap_or_else(|e| e.into_inner()).get(&content) {
                    push.push(at.saturating_duration_since(t0));
                    break;
                }
                assert!(Instant::now() < deadline, "reply {k} never reached visitor {i}");
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
        }
        rows.push((
            format!("Visitor → agent, follow-up message → agent's live stream ({} messages, {} sockets open)", follow.len(), o.sockets),
            format!("p50 {}, p99 {}", ms(percentile(&follow, 0.5)), ms(percentile(&follow, 0.99))),
        ));
        rows.push((
            format!("Agent → widget, REST reply sent → message frame on the visitor's socket ({} replies, {} sockets open)", push.len(), o.sockets),
            format!("p50 {}, p99 {}", ms(percentile(&push, 0.5)), ms(percentile(&push, 0.99))),
        ));
        rows.push((
            "Peak RSS of the run".into(),
            format!("{:.1} MiB", rss_kib(pid, "VmHWM:") as f64 / 1024.0),
        ));
    });
    drop(server);
    println!("| Website chat measure | Result |");
    println!("|---|---|");
    for (k, v) in &rows {
        println!("| {k} | {v} |");
    }
}
