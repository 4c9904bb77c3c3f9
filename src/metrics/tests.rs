use super::*;

/// The value of the sample written exactly as `series` (name and labels).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().unwrap())
}

#[test]
fn a_request_lands_in_its_route_method_status_class_and_bucket() {
    let m = Metrics::default();
    m.request(
        Some("/conversations/{id}"),
        "GET",
        200,
        Duration::from_millis(3),
    );
    m.request(
        Some("/conversations/{id}"),
        "GET",
        204,
        Duration::from_millis(30),
    );
    m.request(
        Some("/conversations/{id}"),
        "GET",
        404,
        Duration::from_millis(1),
    );
    m.request(
        Some("/conversations/{id}"),
        "PROPFIND",
        503,
        Duration::from_secs(20),
    );
    m.request(None, "GET", 404, Duration::from_micros(10));
    let text = m.render(&Snapshot::default());
    let ok = r#"route="/conversations/{id}",method="GET",status="2xx""#;
    let b = |le: &str| {
        sample(
            &text,
            &format!("charla_http_request_duration_seconds_bucket{{{ok},le=\"{le}\"}}"),
        )
    };
    assert_eq!(b("0.001"), Some(0.0));
    assert_eq!(b("0.005"), Some(1.0));
    assert_eq!(b("0.025"), Some(1.0));
    assert_eq!(b("0.05"), Some(2.0));
    assert_eq!(b("+Inf"), Some(2.0));
    assert_eq!(
        sample(
            &text,
            &format!("charla_http_request_duration_seconds_count{{{ok}}}")
        ),
        Some(2.0)
    );
    let sum = sample(
        &text,
        &format!("charla_http_request_duration_seconds_sum{{{ok}}}"),
    )
    .unwrap();
    assert!((sum - 0.033).abs() < 1e-9, "{sum}");
    // Other classes and methods are series of their own; a slow one is only in +Inf.
    let slow = r#"route="/conversations/{id}",method="OTHER",status="5xx""#;
    assert_eq!(
        sample(
            &text,
            &format!("charla_http_request_duration_seconds_bucket{{{slow},le=\"10\"}}")
        ),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &text,
            &format!("charla_http_request_duration_seconds_bucket{{{slow},le=\"+Inf\"}}")
        ),
        Some(1.0)
    );
    assert!(
        text.contains(r#"route="(unmatched)",method="GET",status="4xx""#),
        "{text}"
    );
    // Series that saw nothing are not written.
    assert!(!text.contains(r#"method="DELETE""#));
}

#[test]
fn counters_gauges_and_what_the_caller_read_are_all_written() {
    let m = Arc::new(Metrics::default());
    m.ingested(ChannelKind::Api);
    m.ingested(ChannelKind::Api);
    m.ingested(ChannelKind::Telegram);
    m.sent(ChannelKind::Api, SendOutcome::Retry);
    m.sent(ChannelKind::Api, SendOutcome::Sent);
    m.sent(ChannelKind::WhatsApp, SendOutcome::Failed);
    let sse = m.sse_opened();
    let w1 = m.widget_opened();
    let w2 = m.widget_opened();
    drop(w1);
    let snap = Snapshot {
        outbox_depth: Some(7),
        store: Some(("sled", 12345)),
        pollers: vec![
            Poller {
                inbox: InboxId(3),
                channel: ChannelKind::Email,
                last_success: Some(Timestamp(1_780_000_000_250)),
                failing: false,
            },
            Poller {
                inbox: InboxId(9),
                channel: ChannelKind::Telegram,
                last_success: None,
                failing: true,
            },
        ],
    };
    let text = m.render(&snap);
    let v = |s: &str| sample(&text, s).unwrap_or_else(|| panic!("no {s} in\n{text}"));
    assert_eq!(v(r#"charla_messages_ingested_total{channel="api"}"#), 2.0);
    assert_eq!(
        v(r#"charla_messages_ingested_total{channel="telegram"}"#),
        1.0
    );
    assert_eq!(v(r#"charla_messages_ingested_total{channel="email"}"#), 0.0);
    assert_eq!(
        v(r#"charla_outbox_sends_total{channel="api",outcome="sent"}"#),
        1.0
    );
    assert_eq!(
        v(r#"charla_outbox_sends_total{channel="api",outcome="retry"}"#),
        1.0
    );
    assert_eq!(
        v(r#"charla_outbox_sends_total{channel="whatsapp",outcome="failed"}"#),
        1.0
    );
    assert!(!text.contains(r#"charla_outbox_sends_total{channel="website""#));
    assert_eq!(v("charla_outbox_queue_depth"), 7.0);
    assert_eq!(v("charla_sse_connections"), 1.0);
    assert_eq!(v("charla_widget_connections"), 1.0);
    assert_eq!(v(r#"charla_store_size_bytes{engine="sled"}"#), 12345.0);
    assert_eq!(
        v(r#"charla_poller_last_success_timestamp_seconds{inbox="3",channel="email"}"#),
        1_780_000_000.25
    );
    assert_eq!(
        v(r#"charla_poller_last_success_timestamp_seconds{inbox="9",channel="telegram"}"#),
        0.0
    );
    assert_eq!(
        v(r#"charla_poller_failing{inbox="3",channel="email"}"#),
        0.0
    );
    assert_eq!(
        v(r#"charla_poller_failing{inbox="9",channel="telegram"}"#),
        1.0
    );
    drop((sse, w2));
    let text = m.render(&Snapshot::default());
    assert_eq!(sample(&text, "charla_sse_connections"), Some(0.0));
    assert_eq!(sample(&text, "charla_widget_connections"), Some(0.0));
    // What the caller could not read is left out rather than written as 0.
    assert!(!text.contains("charla_outbox_queue_depth"));
    assert!(!text.contains("charla_store_size_bytes"));
    // Every family has its HELP and TYPE once.
    for name in [
        "charla_build_info",
        "charla_http_request_duration_seconds",
        "charla_messages_ingested_total",
        "charla_outbox_sends_total",
        "charla_sse_connections",
    ] {
        assert_eq!(
            text.matches(&format!("# TYPE {name} ")).count(),
            1,
            "{name}"
        );
        assert_eq!(
            text.matches(&format!("# HELP {name} ")).count(),
            1,
            "{name}"
        );
    }
}

#[test]
fn each_pattern_gets_one_slot_even_when_threads_race_for_it() {
    let m = Arc::new(Metrics::default());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let m = m.clone();
            std::thread::spawn(move || {
                for i in 0..2000 {
                    let route = format!("/r{}/{{id}}", (i + t) % 50);
                    m.request(Some(&route), "GET", 200, Duration::from_millis(1));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let text = m.render(&Snapshot::default());
    let counts: Vec<f64> = text
        .lines()
        .filter(|l| l.starts_with("charla_http_request_duration_seconds_count{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(counts.len(), 50, "one series per pattern");
    assert_eq!(counts.iter().sum::<f64>(), 16_000.0, "no request lost");
}

#[test]
fn more_patterns_than_slots_count_under_other() {
    let m = Metrics::default();
    for i in 0..ROUTE_SLOTS + 10 {
        m.request(Some(&format!("/p{i}")), "GET", 200, Duration::ZERO);
    }
    let text = m.render(&Snapshot::default());
    assert_eq!(
        sample(
            &text,
            r#"charla_http_request_duration_seconds_count{route="(other)",method="GET",status="2xx"}"#
        ),
        Some(10.0)
    );
}

#[test]
fn label_values_are_escaped() {
    assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    let m = Metrics::default();
    m.request(Some("/x/\"{q}\""), "GET", 200, Duration::ZERO);
    assert!(
        m.render(&Snapshot::default())
            .contains(r#"route="/x/\"{q}\"""#)
    );
}
