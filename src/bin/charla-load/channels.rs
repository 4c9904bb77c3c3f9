//! `charla-load channels [--seconds S] [--replies N] [--samples N] [--data DIR]`: the
//! messaging channels' figures through the real `charla` binary, against the same
//! provider fakes the integration tests use (`tests/support/`, written from each
//! provider's public documentation):
//!
//! - signed webhook ingest per provider (WhatsApp Cloud, Messenger, Twilio SMS,
//!   Telegram webhook mode), 32 connections for S seconds each, against the API inbox's
//!   rate in the same run (measured before and after the providers; the ratio uses
//!   their mean);
//! - outbound: N agent replies per provider posted through the REST API, timed until
//!   the fake provider has accepted every one (the durable outbox's sends per second);
//! - Telegram in polling mode: an update handed to the fake's `getUpdates` → the
//!   conversation event on the agent's live stream (SSE), p50/p99.

#[path = "../../../tests/support/meta_fake.rs"]
mod meta_fake;
#[path = "../../../tests/support/telegram_fake.rs"]
mod telegram_fake;
#[path = "../../../tests/support/twilio_fake.rs"]
mod twilio_fake;

use super::{dataset, login, ms, rss_kib, start_with};
use crate::http::{Conn, Run, hammer_on, percentile};
use meta_fake::{MetaFake, Route};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use telegram_fake::{FAKE_TOKEN, FakeUser, TelegramFake};
use twilio_fake::TwilioFake;

/// The public address the webhook URLs (and Twilio's signatures) are built on; the
/// tool posts to the server's real address with the same path.
const PUBLIC: &str = "https://charla.load.example";
const TW_ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const TW_TOKEN: &str = "fake-twilio-auth-token";
const TW_FROM: &str = "+14155238886";
/// Distinct customers per provider (each run's messages spread over them).
const SENDERS: usize = 2000;

struct Opts {
    seconds: u64,
    replies: usize,
    samples: usize,
    data: PathBuf,
}

fn opts(args: &[String]) -> Opts {
    let mut o = Opts {
        seconds: 5,
        replies: 500,
        samples: 200,
        data: "target/load-channels".into(),
    };
    let mut i = 0;
    while i < args.len() {
        let val = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--seconds" => o.seconds = val.parse().unwrap_or(o.seconds),
            "--replies" => o.replies = val.parse().unwrap_or(o.replies),
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

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The path of a webhook URL (`https://charla.load.example/hooks/…` → `/hooks/…`).
fn hook_path(url: &str) -> String {
    url.strip_prefix(PUBLIC).unwrap_or(url).to_string()
}

/// Creates an inbox through the admin API; returns (id, webhook URL).
async fn create_inbox(addr: &str, token: &str, body: Value) -> (u64, Option<String>) {
    let r = reqwest::Client::new()
        .post(format!("http://{addr}/api/v1/inboxes"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = r.status();
    let v: Value = r.json().await.unwrap_or_default();
    assert!(status.is_success(), "creating {body}: {status} {v}");
    (
        v["id"].as_u64().unwrap_or(0),
        v["webhook_url"].as_str().map(str::to_string),
    )
}

/// The newest conversations the admin sees (the provider just measured wrote them).
async fn newest_conversations(addr: &str, token: &str, inbox: u64) -> Vec<u64> {
    let v: Value = reqwest::Client::new()
        .get(format!("http://{addr}/api/v1/conversations?view=all"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_default();
    v["conversations"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|c| c["inbox_id"] == inbox)
                .filter_map(|c| c["id"].as_u64())
                .collect()
        })
        .unwrap_or_default()
}

fn ingest_row(name: &str, r: &Run, api: f64) -> (String, String) {
    (
        format!("Signed webhook ingest, {name}, 32 connections"),
        format!(
            "{:.0} messages/s ({:.2}× API inbox), ack p50 {}, p99 {}, errors {}",
            r.per_sec(),
            r.per_sec() / api.max(1.0),
            ms(r.pct(0.5)),
            ms(r.pct(0.99)),
            r.errors
        ),
    )
}

type Req = (String, String, Vec<(String, String)>, Vec<u8>);

fn json_post(path: &str, headers: &[(&str, String)], body: Vec<u8>) -> Req {
    let mut h = vec![("Content-Type".to_string(), "application/json".to_string())];
    h.extend(headers.iter().map(|(k, v)| (k.to_string(), v.clone())));
    ("POST".into(), path.to_string(), h, body)
}

/// Posts `n` agent replies spread over `convs` (8 connections) and waits until the
/// provider has accepted `n` more messages (`sent` counts them). Returns (time to
/// queue them through the API, time until the provider had them all).
async fn replies(
    addr: &str,
    token: &str,
    convs: &[u64],
    n: usize,
    sent: impl Fn() -> usize,
) -> (Duration, Duration) {
    assert!(!convs.is_empty(), "no conversation to reply to");
    let before = sent();
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..8 {
        let (addr, auth, convs) = (addr.to_string(), format!("Bearer {token}"), convs.to_vec());
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::open(&addr).await.unwrap_or_else(|e| panic!("{e}"));
            for i in (w..n).step_by(8) {
                let conv = convs[i % convs.len()];
                let body = json!({"content": format!("Sale mañana por SEUR ({i})")});
                let (s, b) = c
                    .request(
                        "POST",
                        &format!("/api/v1/conversations/{conv}/messages"),
                        &[
                            ("Authorization", &auth),
                            ("Content-Type", "application/json"),
                        ],
                        body.to_string().as_bytes(),
                    )
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(s, 201, "reply {i}: {}", String::from_utf8_lossy(&b));
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let queued = t0.elapsed();
    let deadline = Instant::now() + Duration::from_secs(120);
    while sent() < before + n {
        if Instant::now() >= deadline {
            // Say why: the newest message's status and error as the API shows them.
            let v: Value = reqwest::Client::new()
                .get(format!("http://{addr}/api/v1/conversations/{}", convs[0]))
                .bearer_auth(token)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .json()
                .await
                .unwrap_or_default();
            let last = v["messages"]
                .as_array()
                .and_then(|m| m.first())
                .cloned()
                .unwrap_or_default();
            panic!(
                "the provider received {} of {n} replies; conversation {}'s newest message: {} {}",
                sent() - before,
                convs[0],
                last["status"],
                last["error"]
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    (queued, t0.elapsed())
}

fn reply_row(name: &str, n: usize, (queued, done): (Duration, Duration)) -> (String, String) {
    (
        format!(
            "Outbound, {name}: {n} agent replies through the API → accepted by the fake provider"
        ),
        format!(
            "{:.0} sends/s (queued in {:.2} s, all accepted after {:.2} s)",
            n as f64 / done.as_secs_f64(),
            queued.as_secs_f64(),
            done.as_secs_f64()
        ),
    )
}

pub fn run(args: &[String]) {
    let o = opts(args);
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&o.data);
    let mut cfg = charla::config::load(None, &[], &charla::config::Overrides::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .config;
    cfg.storage.path = o.data.clone();
    let set = rt
        .block_on(dataset::generate(&cfg, 0, 0))
        .unwrap_or_else(|e| panic!("{e}"));
    let (api_inbox, api_key) = set.inboxes[0].clone();
    let token = set.token.clone();
    let (server, _) = start_with(
        &o.data,
        &[
            ("CHARLA__SERVER__PUBLIC_URL", PUBLIC),
            // The fakes listen on 127.0.0.1.
            ("CHARLA__OUTBOUND__ALLOW_PRIVATE", "true"),
        ],
    );
    let pid = server.child.id();
    let addr = server.addr.clone();
    let addrs = vec![addr.clone()];
    let dur = Duration::from_secs(o.seconds);
    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let mut rows: Vec<(String, String)> = Vec::new();
    rt.block_on(async {
        let meta = MetaFake::start().await;
        let twilio = TwilioFake::start(TW_ACCOUNT, TW_TOKEN).await;
        let tg_hook = Arc::new(TelegramFake::start().await);
        for i in 0..SENDERS {
            meta.add_profile(&format!("{}", 7_100_000_000u64 + i as u64), "Cliente", &format!("{i}"));
        }
        let (wa, wa_hook) = create_inbox(&addr, &token, json!({"name": "WhatsApp", "channel": "whatsapp", "whatsapp": {
            "provider": "cloud", "phone_number_id": meta_fake::PHONE_NUMBER_ID, "access_token": meta_fake::ACCESS_TOKEN,
            "app_secret": meta_fake::APP_SECRET, "verify_token": meta_fake::VERIFY_TOKEN, "api_base": meta.api_base}})).await;
        let (ms_inbox, ms_hook) = create_inbox(&addr, &token, json!({"name": "Messenger", "channel": "messenger", "messenger": {
            "page_id": meta_fake::PAGE_ID, "page_access_token": meta_fake::PAGE_TOKEN, "app_secret": meta_fake::APP_SECRET,
            "verify_token": meta_fake::VERIFY_TOKEN, "human_agent_tag": false, "api_base": meta.api_base}})).await;
        let (sms, sms_hook) = create_inbox(&addr, &token, json!({"name": "SMS", "channel": "sms", "sms": {
            "provider": "twilio", "account_sid": TW_ACCOUNT, "auth_token": TW_TOKEN, "from": TW_FROM, "api_base": twilio.base}})).await;
        let (tg, _) = create_inbox(&addr, &token, json!({"name": "Telegram (webhook)", "channel": "telegram",
            "telegram": {"bot_token": FAKE_TOKEN, "mode": "webhook", "api_base": tg_hook.url}})).await;
        let (wa_hook, ms_hook, sms_hook) = (
            wa_hook.unwrap_or_default(),
            hook_path(&ms_hook.unwrap_or_default()),
            sms_hook.unwrap_or_default(),
        );
        let wa_path = hook_path(&wa_hook);
        let (tg_url, tg_secret) = tg_hook.webhook().unwrap_or_else(|| panic!("Charla did not call setWebhook"));
        let tg_path = hook_path(&tg_url);
        let tg_secret = tg_secret.unwrap_or_default();

        // The API inbox, before the providers.
        let api_run = |tag: &'static str| {
            let (path, auth) = (format!("/api/v1/inboxes/{api_inbox}/incoming"), format!("Bearer {api_key}"));
            move |c: usize, i: usize| {
                let body = json!({"source_id": format!("{tag}-{run_id}-{c}-{i}"), "contact": {"identifier": format!("api-{}", (c * 1000 + i) % SENDERS)}, "content": "Hola, ¿tenéis envío a Canarias?"});
                json_post(&path, &[("Authorization", auth.clone())], body.to_string().into_bytes())
            }
        };
        let api1 = hammer_on(&addrs, 32, dur, api_run("api1")).await;

        let wa_run = hammer_on(&addrs, 32, dur, move |c, i| {
            let n = (c * 1000 + i) % SENDERS;
            let (body, sig) = meta_fake::wa_text(&format!("3460{:07}", n), "Cliente", &format!("wamid.L{run_id}.{c}.{i}"), "Hola, ¿tenéis envío a Canarias?", now_secs());
            json_post(&wa_path, &[("X-Hub-Signature-256", sig)], body)
        })
        .await;
        let wa_convs = newest_conversations(&addr, &token, wa).await;

        let ms_run = hammer_on(&addrs, 32, dur, move |c, i| {
            let n = (c * 1000 + i) % SENDERS;
            let (body, sig) = meta_fake::ms_text(&format!("{}", 7_100_000_000u64 + n as u64), &format!("m_L{run_id}.{c}.{i}"), "Hola, ¿tenéis envío a Canarias?", now_secs() * 1000);
            json_post(&ms_hook, &[("X-Hub-Signature-256", sig)], body)
        })
        .await;
        let ms_convs = newest_conversations(&addr, &token, ms_inbox).await;

        let sms_run = hammer_on(&addrs, 32, dur, {
            let path = hook_path(&sms_hook);
            move |c, i| {
                let n = (c * 1000 + i) % SENDERS;
                let params = twilio_fake::inbound_sms(TW_ACCOUNT, &format!("+3460{:07}", n), TW_FROM, "Hola, ¿tenéis envío a Canarias?");
                let (body, sig) = twilio_fake::signed_form(TW_TOKEN, &sms_hook, &params);
                ("POST".into(), path.clone(), vec![("Content-Type".into(), "application/x-www-form-urlencoded".into()), ("X-Twilio-Signature".into(), sig)], body.into_bytes())
            }
        })
        .await;
        let sms_convs = newest_conversations(&addr, &token, sms).await;

        let tg_run = hammer_on(&addrs, 32, dur, {
            let fake = tg_hook.clone();
            move |c, i| {
                let n = (c * 1000 + i) % SENDERS;
                let user = FakeUser::new(5_500_000_000 + n as i64, "Cliente");
                let update = fake.text_update(&user, "Hola, ¿tenéis envío a Canarias?");
                json_post(&tg_path, &[("X-Telegram-Bot-Api-Secret-Token", tg_secret.clone())], update.to_string().into_bytes())
            }
        })
        .await;
        let tg_convs = newest_conversations(&addr, &token, tg).await;

        // The API inbox again: the machine's drift over the run shows in the two.
        let api2 = hammer_on(&addrs, 32, dur, api_run("api2")).await;
        let api = (api1.per_sec() + api2.per_sec()) / 2.0;
        rows.push((
            "Durable ingest, API inbox, 32 connections (before / after the providers)".into(),
            format!(
                "{:.0} / {:.0} messages/s, ack p99 {} / {}, errors {}",
                api1.per_sec(),
                api2.per_sec(),
                ms(api1.pct(0.99)),
                ms(api2.pct(0.99)),
                api1.errors + api2.errors
            ),
        ));
        rows.push(ingest_row("WhatsApp Cloud (`X-Hub-Signature-256`)", &wa_run, api));
        rows.push(ingest_row("Messenger (`X-Hub-Signature-256`, sender's name fetched once)", &ms_run, api));
        rows.push(ingest_row("SMS through Twilio (`X-Twilio-Signature`, form-encoded)", &sms_run, api));
        rows.push(ingest_row("Telegram webhook mode (secret token header)", &tg_run, api));

        // Outbound through the durable outbox, one provider at a time.
        let n = o.replies;
        let meta2 = &meta;
        let r = replies(&addr, &token, &wa_convs, n, || meta2.requests_to(Route::WhatsAppSend).len()).await;
        rows.push(reply_row("WhatsApp Cloud", n, r));
        let r = replies(&addr, &token, &ms_convs, n, || meta2.requests_to(Route::MessengerSend).len()).await;
        rows.push(reply_row("Messenger", n, r));
        let r = replies(&addr, &token, &sms_convs, n, || twilio.sent().len()).await;
        rows.push(reply_row("SMS through Twilio", n, r));
        let r = replies(&addr, &token, &tg_convs, n, || tg_hook.sent().len()).await;
        rows.push(reply_row("Telegram", n, r));

        // Telegram polling: an update handed out by getUpdates → the agent's live stream.
        let events: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::default();
        {
            let (addr, events) = (addr.clone(), events.clone());
            let cookie = login(&addr).await;
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
        let poll = TelegramFake::start().await;
        let (tg_poll, _) = create_inbox(&addr, &token, json!({"name": "Telegram (polling)", "channel": "telegram",
            "telegram": {"bot_token": FAKE_TOKEN, "mode": "poll", "api_base": poll.url}})).await;
        // Let the outbox settle: its status events would mix with the samples.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let user = FakeUser::new(5_999_000_001, "Marta");
        let t0 = Instant::now();
        poll.push_text(&user, "Hola");
        let first = loop {
            let hit = events.lock().unwrap_or_else(|e| e.into_inner()).iter().find(|(_, at)| *at >= t0).copied();
            if let Some(hit) = hit {
                break hit;
            }
            assert!(t0.elapsed() < Duration::from_secs(60), "the Telegram poller (inbox {tg_poll}) never delivered");
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        let conv = first.0;
        let mut lat = Vec::new();
        for k in 0..o.samples {
            let t0 = Instant::now();
            poll.push_text(&user, &format!("¿Y el envío? ({k})"));
            let deadline = t0 + Duration::from_secs(30);
            loop {
                let hit = events.lock().unwrap_or_else(|e| e.into_inner()).iter().rev().find(|(id, at)| *id == conv && *at >= t0).map(|(_, at)| *at);
                if let Some(at) = hit {
                    lat.push(at.saturating_duration_since(t0));
                    break;
                }
                assert!(Instant::now() < deadline, "update {k} never reached the agent");
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        rows.push((
            format!("Telegram polling: update handed out by `getUpdates` → agent's live stream ({} updates)", lat.len()),
            format!("p50 {}, p99 {} (first update after the inbox was created: {})", ms(percentile(&lat, 0.5)), ms(percentile(&lat, 0.99)), ms(first.1.saturating_duration_since(t0))),
        ));
        rows.push(("Peak RSS of the run".into(), format!("{:.1} MiB", rss_kib(pid, "VmHWM:") as f64 / 1024.0)));
    });
    drop(server);
    println!("| Messaging channels measure | Result |");
    println!("|---|---|");
    for (k, v) in &rows {
        println!("| {k} | {v} |");
    }
}
