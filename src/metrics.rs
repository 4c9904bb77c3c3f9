//! What `GET /metrics` reports, in Prometheus's text exposition format (version 0.0.4).
//!
//! A small registry of atomics rather than a metrics crate: every label set here is
//! known in advance or bounded by the routes table (route pattern × method × status
//! class, channel kind × outcome), so each series is a fixed slot found without a map
//! or a lock, and counting costs a few relaxed atomic adds. (`prometheus-client`'s
//! labelled families sit behind a read-write lock taken on every increment.) Values
//! that live elsewhere (the outbox's queue depth, pollers' health, the store's size) are
//! read at scrape time by the caller and passed to [`Metrics::render`].
//!
//! Imports only `domain`: the web layer times requests, the services count messages
//! and deliveries, and neither names the other.

use crate::domain::{ChannelKind, InboxId, Timestamp};
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const METHODS: [&str; 6] = ["GET", "POST", "PUT", "PATCH", "DELETE", "OTHER"];
const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
/// Slots for route patterns: more than the routes table has (about 120), so every
/// route gets its own; past that, requests count under [`OVERFLOW`].
const ROUTE_SLOTS: usize = 256;
/// The route label of requests that matched no route (404s of unknown paths).
pub const UNMATCHED: &str = "(unmatched)";
/// The route label used only if the routes outgrew [`ROUTE_SLOTS`].
const OVERFLOW: &str = "(other)";

/// How one outbox delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    /// Delivered.
    Sent,
    /// Failed for now; tried again later.
    Retry,
    /// Given up: the message is marked failed.
    Failed,
}

impl SendOutcome {
    const ALL: [SendOutcome; 3] = [SendOutcome::Sent, SendOutcome::Retry, SendOutcome::Failed];

    fn as_str(self) -> &'static str {
        match self {
            SendOutcome::Sent => "sent",
            SendOutcome::Retry => "retry",
            SendOutcome::Failed => "failed",
        }
    }
}

/// Every counter and gauge kept in memory by this process.
pub struct Metrics {
    routes: Routes,
    ingested: [AtomicU64; ChannelKind::ALL.len()],
    sends: [[AtomicU64; SendOutcome::ALL.len()]; ChannelKind::ALL.len()],
    sse_open: AtomicI64,
    widget_open: AtomicI64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            routes: Routes::default(),
            ingested: Default::default(),
            sends: Default::default(),
            sse_open: AtomicI64::new(0),
            widget_open: AtomicI64::new(0),
        }
    }
}

/// Which live connections a guard counts.
#[derive(Clone, Copy)]
enum Open {
    Sse,
    Widget,
}

/// Counts one open connection until dropped.
pub struct OpenGuard(Arc<Metrics>, Open);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.open(self.1).fetch_sub(1, Relaxed);
    }
}

/// What the caller read for a scrape, besides the counters kept here.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Deliveries waiting in the outbox.
    pub outbox_depth: Option<u64>,
    /// The store's engine (`sled`, `postgres`) and its size on disk in bytes.
    pub store: Option<(&'static str, u64)>,
    /// Every polled inbox (mailboxes, Telegram bots in polling mode).
    pub pollers: Vec<Poller>,
}

/// One poller's health as the metrics show it.
#[derive(Debug, Clone)]
pub struct Poller {
    pub inbox: InboxId,
    pub channel: ChannelKind,
    pub last_success: Option<Timestamp>,
    /// The latest poll failed.
    pub failing: bool,
}

impl Metrics {
    /// Records one answered HTTP request: its route pattern (`None`: no route matched),
    /// method, status code and the time until its response's head.
    pub fn request(&self, route: Option<&str>, method: &str, status: u16, took: Duration) {
        let m = METHODS
            .iter()
            .position(|x| *x == method)
            .unwrap_or(METHODS.len() - 1);
        let s = usize::from((status / 100).clamp(1, 5) - 1);
        self.routes.get(route.unwrap_or(UNMATCHED)).hist[m][s].observe(took);
    }

    /// Counts a message received from a customer and stored (not a duplicate).
    pub fn ingested(&self, channel: ChannelKind) {
        self.ingested[channel as usize].fetch_add(1, Relaxed);
    }

    /// Counts an outbox delivery attempt's outcome.
    pub fn sent(&self, channel: ChannelKind, outcome: SendOutcome) {
        self.sends[channel as usize][outcome as usize].fetch_add(1, Relaxed);
    }

    /// An agent's live stream opened; counted until the guard drops.
    pub fn sse_opened(self: &Arc<Self>) -> OpenGuard {
        self.opened(Open::Sse)
    }

    /// A website chat socket opened; counted until the guard drops.
    pub fn widget_opened(self: &Arc<Self>) -> OpenGuard {
        self.opened(Open::Widget)
    }

    fn opened(self: &Arc<Self>, which: Open) -> OpenGuard {
        self.open(which).fetch_add(1, Relaxed);
        OpenGuard(self.clone(), which)
    }

    fn open(&self, which: Open) -> &AtomicI64 {
        match which {
            Open::Sse => &self.sse_open,
            Open::Widget => &self.widget_open,
        }
    }

    /// The whole exposition: the counters kept here and what `snap` read.
    pub fn render(&self, snap: &Snapshot) -> String {
        let mut out = String::with_capacity(16 << 10);
        let o = &mut out;
        family(
            o,
            "charla_build_info",
            "gauge",
            "The running Charla's version.",
        );
        line(
            o,
            "charla_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))],
            1,
        );
        self.routes.render(o);
        family(
            o,
            "charla_messages_ingested_total",
            "counter",
            "Messages received from customers and stored, by channel (duplicates are not counted).",
        );
        for k in ChannelKind::ALL {
            let n = self.ingested[k as usize].load(Relaxed);
            line(
                o,
                "charla_messages_ingested_total",
                &[("channel", k.as_str())],
                n,
            );
        }
        family(
            o,
            "charla_outbox_sends_total",
            "counter",
            "Outbox delivery attempts by channel and outcome: sent; retry (failed for now, tried again later); failed (given up).",
        );
        // Website chats are answered over their socket; a reply by mail counts as email.
        for k in ChannelKind::ALL
            .into_iter()
            .filter(|k| *k != ChannelKind::Website)
        {
            for outcome in SendOutcome::ALL {
                let n = self.sends[k as usize][outcome as usize].load(Relaxed);
                line(
                    o,
                    "charla_outbox_sends_total",
                    &[("channel", k.as_str()), ("outcome", outcome.as_str())],
                    n,
                );
            }
        }
        if let Some(n) = snap.outbox_depth {
            family(
                o,
                "charla_outbox_queue_depth",
                "gauge",
                "Deliveries waiting in the outbox, due now or retried later.",
            );
            line(o, "charla_outbox_queue_depth", &[], n);
        }
        self.render_pollers(o, &snap.pollers);
        for (name, help, v) in [
            (
                "charla_sse_connections",
                "Live update streams (Server-Sent Events) open to agents' pages on this node; a closed one is noticed at its next heartbeat (15 s).",
                &self.sse_open,
            ),
            (
                "charla_widget_connections",
                "Website chat sockets open on this node.",
                &self.widget_open,
            ),
        ] {
            family(o, name, "gauge", help);
            line(o, name, &[], v.load(Relaxed).max(0));
        }
        if let Some((engine, bytes)) = snap.store {
            family(
                o,
                "charla_store_size_bytes",
                "gauge",
                "Bytes the store's engine uses on disk.",
            );
            line(o, "charla_store_size_bytes", &[("engine", engine)], bytes);
        }
        out
    }

    fn render_pollers(&self, o: &mut String, pollers: &[Poller]) {
        family(
            o,
            "charla_poller_last_success_timestamp_seconds",
            "gauge",
            "When each polled inbox (mailbox, Telegram bot) last polled successfully, in Unix seconds; 0: not since this node started.",
        );
        for p in pollers {
            let id = p.inbox.0.to_string();
            let secs = p.last_success.map_or(0.0, |t| t.0 as f64 / 1000.0);
            line(
                o,
                "charla_poller_last_success_timestamp_seconds",
                &[("inbox", &id), ("channel", p.channel.as_str())],
                format!("{secs:.3}"),
            );
        }
        family(
            o,
            "charla_poller_failing",
            "gauge",
            "1 while a polled inbox's latest poll failed, else 0.",
        );
        for p in pollers {
            let id = p.inbox.0.to_string();
            line(
                o,
                "charla_poller_failing",
                &[("inbox", &id), ("channel", p.channel.as_str())],
                u64::from(p.failing),
            );
        }
    }
}

/// `# HELP` and `# TYPE` of a family.
fn family(o: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(o, "# HELP {name} {help}");
    let _ = writeln!(o, "# TYPE {name} {kind}");
}

/// One sample with its labels.
fn line(o: &mut String, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
    o.push_str(name);
    if !labels.is_empty() {
        o.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                o.push(',');
            }
            let _ = write!(o, "{k}=\"{}\"", escape(v));
        }
        o.push('}');
    }
    let _ = writeln!(o, " {value}");
}

/// A label value as the text format wants it: `\`, `"` and newlines escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A latency histogram: a count per bucket (not cumulated: cumulated when rendered),
/// the number of observations and their sum.
#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|le| secs <= *le) {
            self.buckets[i].fetch_add(1, Relaxed);
        }
        self.count.fetch_add(1, Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Relaxed);
    }
}

/// The histograms of one route pattern, by method and status class.
struct Route {
    pattern: Box<str>,
    hist: [[Histogram; STATUS_CLASSES.len()]; METHODS.len()],
}

impl Route {
    fn new(pattern: &str) -> Box<Route> {
        Box::new(Route {
            pattern: pattern.into(),
            hist: Default::default(),
        })
    }
}

/// Route patterns in an open-addressing table whose slots are each filled once: a
/// lookup hashes the pattern and compares a few strings, and never waits except for
/// a pattern's very first request (`OnceLock` initialisation).
struct Routes {
    slots: Box<[OnceLock<Box<Route>>]>,
    overflow: Box<Route>,
}

impl Default for Routes {
    fn default() -> Self {
        Routes {
            slots: (0..ROUTE_SLOTS).map(|_| OnceLock::new()).collect(),
            overflow: Route::new(OVERFLOW),
        }
    }
}

impl Routes {
    fn get(&self, pattern: &str) -> &Route {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let start = BuildHasherDefault::<DefaultHasher>::default().hash_one(pattern) as usize;
        for i in 0..ROUTE_SLOTS {
            let slot = &self.slots[(start + i) % ROUTE_SLOTS];
            let route = slot.get_or_init(|| Route::new(pattern));
            if &*route.pattern == pattern {
                return route;
            }
        }
        &self.overflow
    }

    fn render(&self, o: &mut String) {
        const NAME: &str = "charla_http_request_duration_seconds";
        family(
            o,
            NAME,
            "histogram",
            "Time from a request's arrival to its response's head, by route pattern (never the raw path), method and status class.",
        );
        let mut routes: Vec<&Route> = self
            .slots
            .iter()
            .filter_map(|s| s.get())
            .map(|r| &**r)
            .collect();
        routes.push(&self.overflow);
        routes.sort_by(|a, b| a.pattern.cmp(&b.pattern));
        for r in routes {
            for (m, by_status) in r.hist.iter().enumerate() {
                for (s, h) in by_status.iter().enumerate() {
                    let count = h.count.load(Relaxed);
                    if count == 0 {
                        continue;
                    }
                    let labels = [
                        ("route", &*r.pattern),
                        ("method", METHODS[m]),
                        ("status", STATUS_CLASSES[s]),
                    ];
                    let mut cumulated = 0;
                    for (b, le) in BUCKETS.iter().enumerate() {
                        cumulated += h.buckets[b].load(Relaxed);
                        let le = le.to_string();
                        let mut with_le = labels.to_vec();
                        with_le.push(("le", &le));
                        line(o, &format!("{NAME}_bucket"), &with_le, cumulated);
                    }
                    // Read while requests finish: never fewer in all than in the buckets.
                    let count = count.max(cumulated);
                    let mut with_le = labels.to_vec();
                    with_le.push(("le", "+Inf"));
                    line(o, &format!("{NAME}_bucket"), &with_le, count);
                    let sum = h.sum_nanos.load(Relaxed) as f64 / 1e9;
                    line(o, &format!("{NAME}_sum"), &labels, sum);
                    line(o, &format!("{NAME}_count"), &labels, count);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
