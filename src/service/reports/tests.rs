use super::*;

const TODAY: i64 = 20_601; // 2026-05-28

fn q(
    from: Option<&str>,
    to: Option<&str>,
    group_by: Option<&str>,
    filter: Option<&str>,
) -> std::result::Result<ReportQuery, Invalid> {
    ReportQuery::parse(from, to, group_by, filter, TODAY).map_err(|e| e.invalid())
}

#[test]
fn the_default_is_the_last_30_days_by_day() {
    let r = q(None, None, None, None).unwrap();
    assert_eq!(
        r,
        ReportQuery {
            from: TODAY - 29,
            to: TODAY,
            group_by: GroupBy::Day,
            filter: None
        }
    );
    // Empty form fields count as not given.
    assert_eq!(q(Some(""), Some(" "), Some(""), Some("")).unwrap(), r);
    let r = q(None, Some("2026-01-31"), Some("week"), None).unwrap();
    assert_eq!(
        (format_date(r.from), format_date(r.to)),
        ("2026-01-02".into(), "2026-01-31".into())
    );
    assert_eq!(r.group_by, GroupBy::Week);
}

#[test]
fn bad_queries_name_their_field() {
    let field = |r: std::result::Result<ReportQuery, Invalid>| r.unwrap_err().field;
    assert_eq!(field(q(Some("28/05/2026"), None, None, None)), "from");
    assert_eq!(field(q(None, Some("2026-02-30"), None, None)), "to");
    assert_eq!(
        field(q(Some("2026-05-29"), Some("2026-05-28"), None, None)),
        "from"
    );
    assert_eq!(
        field(q(Some("2024-01-01"), Some("2026-01-01"), None, None)),
        "to"
    );
    assert!(
        q(Some("2024-01-01"), Some("2025-12-31"), None, None).is_ok(),
        "731 days"
    );
    assert_eq!(field(q(None, None, Some("month"), None)), "group_by");
    assert_eq!(field(q(None, None, None, Some("agent:x"))), "filter");
    assert_eq!(
        field(q(None, None, Some("agent"), Some("inbox:3"))),
        "filter"
    );
    let e = q(None, None, Some("month"), None).unwrap_err();
    assert!(
        e.reason
            .contains("day, week, agent, team, inbox, channel or label"),
        "{e}"
    );
}

#[test]
fn local_zones_cut_days_at_local_midnight() {
    let madrid = LocalZone::new("europe/madrid");
    assert_eq!(madrid.name(), "Europe/Madrid");
    // 2026-05-28 22:30 UTC is already the 29th in Madrid (summer time, UTC+2).
    let at = crate::domain::Timestamp((20_601 * 86_400 + 22 * 3600 + 1800) * 1000);
    assert_eq!(madrid.offset_secs(at), 7200);
    assert_eq!(
        day_of_hour(crate::domain::report::hour_of(at), &madrid),
        20_602
    );
    // In winter, one hour.
    assert_eq!(madrid.offset_secs(crate::domain::Timestamp(0)), 3600);
    let unknown = LocalZone::new("Mars/Olympus");
    assert_eq!((unknown.name(), unknown.offset_secs(at)), ("UTC", 0));
}

#[test]
fn filters_read_and_write_one_spelling() {
    for f in [
        Filter::Agent(Some(AgentId(3))),
        Filter::Agent(None),
        Filter::Inbox(InboxId(5)),
        Filter::Team(Some(TeamId(2))),
        Filter::Team(None),
        Filter::Channel(ChannelKind::WhatsApp),
    ] {
        assert_eq!(Filter::parse(&f.as_string()), Ok(f));
    }
    for bad in [
        "agent",
        "agent:0",
        "inbox:none",
        "channel:fax",
        "label:1",
        "team:-1",
        ":3",
    ] {
        assert!(Filter::parse(bad).is_err(), "{bad}");
    }
    for g in GroupBy::ALL {
        assert_eq!(GroupBy::parse(g.as_str()), Some(g));
    }
}
