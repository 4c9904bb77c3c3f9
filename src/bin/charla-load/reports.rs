//! The reports row: `GET /api/v1/reports/overview` over the data set's 91 days, by day
//! and by agent, and the Reports page by day, each timed one request after another on
//! one connection (what a person opening the page waits for), after two warm-ups.

use crate::http::{Conn, percentile};
use charla::domain::report::format_date;
use std::time::{Duration, Instant};

/// Times `path` `n` times on one connection; returns the latencies and the last body.
async fn timed(addr: &str, path: &str, header: (&str, &str), n: usize) -> (Vec<Duration>, Vec<u8>) {
    let mut c = Conn::open(addr).await.unwrap_or_else(|e| panic!("{e}"));
    let mut times = Vec::new();
    let mut last = Vec::new();
    for i in 0..n + 2 {
        let t0 = Instant::now();
        let (status, body) = c
            .request("GET", path, &[header], b"")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let took = t0.elapsed();
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
        if i >= 2 {
            times.push(took);
        }
        last = body;
    }
    (times, last)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The rows: (measure, result).
pub async fn rows(
    addr: &str,
    token: &str,
    cookie: &str,
    conversations: usize,
) -> Vec<(String, String)> {
    let today = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64 / 86_400)
        .unwrap_or(0);
    // The generator spreads conversations over the 90 days before it ran.
    let range = format!("from={}&to={}", format_date(today - 90), format_date(today));
    let auth = format!("Bearer {token}");
    let mut out = Vec::new();
    for group in ["day", "agent"] {
        let path = format!("/api/v1/reports/overview?{range}&group_by={group}");
        let (times, body) = timed(addr, &path, ("Authorization", &auth), 20).await;
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let opened = v["total"]["opened"].as_u64().unwrap_or(0);
        let rows = v["rows"].as_array().map_or(0, Vec::len);
        // Numbers that do not cover the data set measure nothing.
        assert!(
            opened as usize >= conversations,
            "the report counts {opened} conversations opened, the data set has {conversations}: are the tallies there?"
        );
        out.push((
            format!("Report overview API over 91 days by {group} ({rows} rows, {opened} conversations opened), one client, 20 requests"),
            format!("p50 {}, max {}", ms(percentile(&times, 0.5)), ms(percentile(&times, 1.0))),
        ));
    }
    let path = format!("/reports?{range}&group_by=day");
    let (times, body) = timed(addr, &path, ("Cookie", cookie), 20).await;
    let charts = String::from_utf8_lossy(&body)
        .matches("<svg class=\"chart\"")
        .count();
    assert_eq!(charts, 8, "the Reports page draws its charts");
    out.push((
        "Reports page over 91 days by day (4 SVG charts, wide and narrow, and 4 tables), one client, 20 requests".into(),
        format!("p50 {}, max {}", ms(percentile(&times, 0.5)), ms(percentile(&times, 1.0))),
    ));
    out
}
