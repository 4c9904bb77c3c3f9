//! `GET /metrics`: off by default, behind a bearer token on the main port or on a
//! listener of its own; scraped and parsed as Prometheus's text format after real
//! traffic (an API message in, a reply out through a webhook, a Telegram bot polled
//! and answered through the fake Bot API, a website chat, a live stream), checking
//! that the counters moved and that label sets stay bounded.

use super::common::*;
use super::telegram::telegram_inbox;
use super::telegram_fake::{FakeUser, TelegramFake};
use super::webhook::{start_receiver, wait_advancing};
use super::widget::{SITE, connect, hello, recv_type, send, website_inbox};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

const TOKEN: &str = "scrape-token-0123456789";

/// One sample of the exposition.
#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A histogram series' labels without `le`, and its buckets as (le, count).
type Buckets = BTreeMap<Vec<(String, String)>, Vec<(f64, f64)>>;

/// A parsed exposition: samples, and each family's `# TYPE`.
struct Exposition {
    samples: Vec<Sample>,
    types: HashMap<String, String>,
}

/// Parses the text format strictly enough to catch a malformed line: `# HELP` and
/// `# TYPE` comments, then `name{label="value",…} value` with escaped label values.
fn parse(text: &str) -> Exposition {
    let mut samples = Vec::new();
    let mut types = HashMap::new();
    let mut helped = BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            assert!(
                types.insert(name.to_string(), kind.to_string()).is_none(),
                "TYPE twice: {line}"
            );
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            helped.insert(rest.split(' ').next().unwrap().to_string());
            continue;
        }
        assert!(
            !line.is_empty() && !line.starts_with('#'),
            "stray line {line:?}"
        );
        let name_end = line.find(['{', ' ']).expect("a value");
        let name = &line[..name_end];
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "{line}"
        );
        let mut rest = &line[name_end..];
        let mut labels = BTreeMap::new();
        if let Some(r) = rest.strip_prefix('{') {
            let mut chars = r.char_indices().peekable();
            let mut key = String::new();
            let end;
            loop {
                let (i, c) = chars.next().expect("unterminated labels");
                match c {
                    '}' if key.is_empty() => {
                        end = i + 1;
                        break;
                    }
                    ',' if key.is_empty() => {}
                    '=' => {
                        assert_eq!(chars.next().map(|x| x.1), Some('"'), "{line}");
                        let mut value = String::new();
                        loop {
                            match chars.next().expect("unterminated value").1 {
                                '\\' => match chars.next().unwrap().1 {
                                    'n' => value.push('\n'),
                                    c @ ('\\' | '"') => value.push(c),
                                    c => panic!("bad escape \\{c} in {line}"),
                                },
                                '"' => break,
                                c => value.push(c),
                            }
                        }
                        assert!(
                            labels.insert(std::mem::take(&mut key), value).is_none(),
                            "label twice: {line}"
                        );
                    }
                    c => key.push(c),
                }
            }
            rest = &r[end..];
        }
        let value = rest.strip_prefix(' ').expect("space before the value");
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value in {line}")),
        };
        samples.push(Sample {
            name: name.to_string(),
            labels,
            value,
        });
    }
    // Every sample belongs to a family with a TYPE and a HELP.
    for s in &samples {
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                s.name
                    .strip_suffix(suffix)
                    .filter(|f| types.get(*f).is_some_and(|t| t == "histogram"))
            })
            .unwrap_or(&s.name);
        assert!(types.contains_key(family), "no TYPE for {}", s.name);
        assert!(helped.contains(family), "no HELP for {}", s.name);
    }
    Exposition { samples, types }
}

impl Exposition {
    /// The value of the one sample of `name` carrying `labels` (among others).
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let found: Vec<&Sample> = self
            .samples
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| {
                labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .collect();
        assert!(
            found.len() <= 1,
            "{name} {labels:?} is ambiguous: {found:?}"
        );
        found.first().map(|s| s.value)
    }

    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels)
            .unwrap_or_else(|| panic!("no sample {name} {labels:?}"))
    }

    /// Every value of label `key` on samples of `name`.
    fn label_values(&self, name: &str, key: &str) -> BTreeSet<String> {
        self.samples
            .iter()
            .filter(|s| s.name == name)
            .filter_map(|s| s.labels.get(key).cloned())
            .collect()
    }

    /// Histograms: buckets cumulate, `+Inf` is the count, one `le` set per series.
    fn check_histograms(&self) {
        for (family, kind) in &self.types {
            if kind != "histogram" {
                continue;
            }
            let mut series = Buckets::new();
            for s in self
                .samples
                .iter()
                .filter(|s| s.name == format!("{family}_bucket"))
            {
                let mut key: Vec<_> = s.labels.clone().into_iter().collect();
                key.retain(|(k, _)| k != "le");
                let le = match s.labels["le"].as_str() {
                    "+Inf" => f64::INFINITY,
                    v => v.parse().unwrap(),
                };
                series.entry(key).or_default().push((le, s.value));
            }
            assert!(!series.is_empty(), "{family} has no series");
            for (key, buckets) in series {
                assert!(
                    buckets
                        .windows(2)
                        .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
                    "{family} {key:?}: {buckets:?}"
                );
                let labels: Vec<(&str, &str)> =
                    key.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let count = self.value(&format!("{family}_count"), &labels);
                assert_eq!(buckets.last().unwrap(), &(f64::INFINITY, count));
                assert!(self.value(&format!("{family}_sum"), &labels) >= 0.0);
            }
        }
    }
}

/// Scrapes the main port with the token.
async fn scrape(app: &TestApp) -> Exposition {
    let r = reqwest::Client::new()
        .get(format!("{}/metrics", app.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let e = parse(&r.text().await.unwrap());
    e.check_histograms();
    e
}

/// Scrapes until `ok` holds (the outbox and the pollers record on their own time).
async fn scrape_until(app: &TestApp, what: &str, ok: impl Fn(&Exposition) -> bool) -> Exposition {
    for _ in 0..300 {
        let e = scrape(app).await;
        if ok(&e) {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("metrics never showed {what}");
}

const HTTP: &str = "charla_http_request_duration_seconds_count";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traffic_moves_the_counters_and_labels_stay_bounded() {
    let (hook_url, rx, hook_handle) = start_receiver(vec![500]).await;
    let fake = TelegramFake::start().await;
    let app = TestApp::start_with(|c| {
        c.metrics.enabled = true;
        c.metrics.token = Some(charla::config::Secret::new(TOKEN));
    })
    .await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let before = scrape(&app).await;
    assert_eq!(before.value("charla_outbox_queue_depth", &[]), 0.0);
    assert_eq!(before.value("charla_sse_connections", &[]), 0.0);
    assert!(before.value("charla_store_size_bytes", &[("engine", "sled")]) > 0.0);
    assert_eq!(
        before.value(
            "charla_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );

    // An API message in; a reply out through the webhook: refused once (a retry that
    // waits in the queue), then delivered.
    let (inbox, inbox_token) = api.inbox("Shop", &[], Some(&hook_url)).await;
    let (s, r) = incoming(
        &app.url,
        inbox,
        &inbox_token,
        json!({"contact": {"identifier": "cust-1"}, "content": "hola"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let conv = r["conversation_id"].as_u64().unwrap();
    let sent = |e: &Exposition, channel: &str, outcome: &str| {
        e.value(
            "charla_outbox_sends_total",
            &[("channel", channel), ("outcome", outcome)],
        )
    };
    let id = reply(&api, conv, "Sale hoy").await;
    let e = scrape_until(&app, "the webhook's retry", |e| {
        sent(e, "api", "retry") == 1.0
    })
    .await;
    assert_eq!(
        e.value("charla_outbox_queue_depth", &[]),
        1.0,
        "the retry waits"
    );
    assert_eq!(sent(&e, "api", "sent"), 0.0);
    wait_advancing(&app, 61, "the retry's delivery", || {
        rx.got.lock().unwrap().len() == 2
    })
    .await;
    wait_status(&api, conv, id, "sent").await;
    let e = scrape_until(&app, "the delivery", |e| sent(e, "api", "sent") == 1.0).await;
    assert_eq!(e.value("charla_outbox_queue_depth", &[]), 0.0);
    assert_eq!(
        e.value("charla_messages_ingested_total", &[("channel", "api")]),
        1.0
    );
    // The same message again is a duplicate: not counted.
    for _ in 0..2 {
        let m = json!({"source_id": "s-1", "contact": {"identifier": "c"}, "content": "x"});
        assert_eq!(
            incoming(&app.url, inbox, &inbox_token, m).await.0,
            StatusCode::OK
        );
    }
    let e = scrape(&app).await;
    assert_eq!(
        e.value("charla_messages_ingested_total", &[("channel", "api")]),
        2.0
    );

    // A Telegram bot polled through the fake Bot API: its poller's success, a message
    // in, a reply sent.
    let bot = telegram_inbox(&api, &fake).await;
    let bot_label = bot.to_string();
    fake.push_text(&FakeUser::new(5_512_345_678, "Marta"), "¿Abrís el domingo?");
    let e = scrape_until(&app, "the Telegram message", |e| {
        e.value("charla_messages_ingested_total", &[("channel", "telegram")]) == 1.0
    })
    .await;
    let polled = e.value(
        "charla_poller_last_success_timestamp_seconds",
        &[("inbox", &bot_label), ("channel", "telegram")],
    );
    assert_eq!(
        polled,
        (app.clock_now() / 1000) as f64,
        "the test clock's now"
    );
    assert_eq!(
        e.value("charla_poller_failing", &[("inbox", &bot_label)]),
        0.0
    );
    let bot_conv = inbox_conversations(&api, bot).await[0]["id"]
        .as_u64()
        .unwrap();
    reply(&api, bot_conv, "Sí, de 10 a 14").await;
    scrape_until(&app, "the Telegram reply", |e| {
        sent(e, "telegram", "sent") == 1.0
    })
    .await;

    // A website chat: its socket is counted while open, its message as website.
    let (_, key) = website_inbox(&app).await;
    let mut ws = connect(&app, &key, SITE).await.unwrap();
    hello(&mut ws, None, None, Value::Null).await;
    send(
        &mut ws,
        json!({"type": "send", "client_id": "c-1", "content": "¿Talla M?"}),
    )
    .await;
    recv_type(&mut ws, "ack").await;
    // An agent's live stream, open while scraped.
    let mut events = admin.get("/events").await;
    assert_eq!(events.status(), StatusCode::OK);
    read_sse(&mut events, 5000, "connected").await;
    let e = scrape(&app).await;
    assert_eq!(e.value("charla_widget_connections", &[]), 1.0);
    assert_eq!(e.value("charla_sse_connections", &[]), 1.0);
    assert_eq!(
        e.value("charla_messages_ingested_total", &[("channel", "website")]),
        1.0
    );
    drop(ws);
    drop(events);
    // A closed socket is noticed at once; a closed stream at its next heartbeat (15 s).
    scrape_until(&app, "both connections closed", |e| {
        e.value("charla_widget_connections", &[]) == 0.0
            && e.value("charla_sse_connections", &[]) == 0.0
    })
    .await;

    // Many ids and unknown paths: each counts under its route's pattern, never its path.
    for n in 0..15 {
        let (s, _) = api
            .get(&format!("/api/v1/conversations/{}", 900_000 + n))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(
            admin.get(&format!("/no/such/page/{n}")).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    let e = scrape(&app).await;
    let route =
        |r: &str, m: &str, s: &str| e.get(HTTP, &[("route", r), ("method", m), ("status", s)]);
    assert_eq!(
        route("/api/v1/conversations/{id}", "GET", "4xx"),
        Some(15.0)
    );
    assert_eq!(route("(unmatched)", "GET", "4xx"), Some(15.0));
    assert!(route("/api/v1/conversations/{id}", "GET", "2xx").unwrap() >= 1.0);
    assert_eq!(
        route("/api/v1/inboxes/{id}/incoming", "POST", "2xx"),
        Some(3.0)
    );
    assert_eq!(route("/events", "GET", "2xx"), Some(1.0));
    assert_eq!(route("/widget/v1/{key}/socket", "GET", "1xx"), Some(1.0));
    assert!(route("/metrics", "GET", "2xx").unwrap() >= 5.0);
    let routes = e.label_values(HTTP, "route");
    for r in &routes {
        assert!(r == "(unmatched)" || r.starts_with('/'), "{r}");
        assert!(
            !r.contains("900000") && !r.contains(&conv.to_string()),
            "a raw path: {r}"
        );
    }
    assert!(routes.len() < 40, "{routes:?}");
    assert!(
        e.label_values(HTTP, "method").is_subset(
            &["GET", "POST", "PUT", "PATCH", "DELETE", "OTHER"]
                .map(String::from)
                .into()
        )
    );
    assert!(
        e.label_values(HTTP, "status")
            .is_subset(&["1xx", "2xx", "3xx", "4xx", "5xx"].map(String::from).into())
    );
    let kinds: BTreeSet<String> = [
        "api",
        "email",
        "website",
        "whatsapp",
        "sms",
        "messenger",
        "telegram",
    ]
    .map(String::from)
    .into();
    assert_eq!(
        e.label_values("charla_messages_ingested_total", "channel"),
        kinds
    );
    assert!(
        e.label_values("charla_outbox_sends_total", "channel")
            .is_subset(&kinds)
    );
    assert_eq!(
        e.label_values("charla_outbox_sends_total", "outcome"),
        ["failed", "retry", "sent"].map(String::from).into()
    );
    assert_eq!(
        e.label_values("charla_poller_failing", "inbox"),
        [bot_label].into()
    );
    hook_handle.stop(false).await;
    fake.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_404_when_off_and_need_the_token_on_the_main_port() {
    crypto();
    let http = reqwest::Client::new();
    // Off (the default): the same 404 as any unknown path, set up or not.
    let app = TestApp::start().await;
    let r = http
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    app.stop().await;

    let app = TestApp::start_with(|c| {
        c.metrics.enabled = true;
        c.metrics.token = Some(charla::config::Secret::new(TOKEN));
    })
    .await;
    // Before the first admin exists too: no redirect to /setup.
    for auth in [None, Some("wrong-token-0123456789"), Some(&TOKEN[1..])] {
        let mut req = http.get(format!("{}/metrics", app.url));
        if let Some(a) = auth {
            req = req.bearer_auth(a);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"metrics\"");
        assert!(!r.text().await.unwrap().contains("charla_"));
    }
    let r = http
        .get(format!("{}/metrics", app.url))
        .header("authorization", format!("Basic {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let e = scrape(&app).await;
    assert!(e.get("charla_outbox_queue_depth", &[]).is_some());
    app.stop().await;

    // A listener of its own, without a token: served there, 404 on the main port.
    let app = TestApp::start_with(|c| {
        c.metrics.enabled = true;
        c.metrics.listen = "127.0.0.1:0".into();
    })
    .await;
    let own = app.metrics_url.clone().expect("the metrics listener");
    assert_ne!(own, app.url);
    let r = http
        .get(format!("{}/metrics", app.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = http.get(format!("{own}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let e = parse(&r.text().await.unwrap());
    assert!(e.get("charla_sse_connections", &[]).is_some());
    // Only /metrics is served there.
    for path in ["/", "/healthz", "/login", "/api/v1/me"] {
        let r = http.get(format!("{own}{path}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    app.stop().await;

    // Its own listener with a token set: the token is asked there too.
    let app = TestApp::start_with(|c| {
        c.metrics.enabled = true;
        c.metrics.listen = "127.0.0.1:0".into();
        c.metrics.token = Some(charla::config::Secret::new(TOKEN));
    })
    .await;
    let own = app.metrics_url.clone().unwrap();
    let r = http.get(format!("{own}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http
        .get(format!("{own}/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    app.stop().await;
}
