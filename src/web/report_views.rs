//! What the reports page, the API and the CSV downloads show of a `Report`: one table
//! per measure (each drawn as a chart above it), the JSON rows, and CSV with the same
//! columns.

use super::charts::{Chart, Kind, NARROW, Scale, Series, WIDE, chart, duration_text};
use super::views::Page;
use crate::domain::report::{Spread, Summary, format_date};
use crate::domain::{Agent, ChannelKind};
use crate::service::{Directory, Filter, GroupBy, Report, ReportQuery};
use crate::web::views::Localized;
use askama::Template;
use serde_json::{Value, json};

/// The tables of the overview, in page order: (id, title).
pub const TABLES: [(&str, &str); 4] = [
    ("conversations", "Conversations"),
    ("first_response", "First response time"),
    ("resolution", "Resolution time"),
    ("replies", "Replies per conversation"),
];

/// One table (and its chart).
pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    /// The chart drawn wide and narrow (the stylesheet shows one).
    pub charts: Vec<Chart>,
    pub headers: Vec<&'static str>,
    /// Each row: its label, then its cells as shown.
    pub rows: Vec<(String, Vec<String>)>,
    pub csv_url: String,
}

/// A choice in a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A group of choices (`<optgroup>`).
pub struct ChoiceGroup {
    pub label: &'static str,
    pub choices: Vec<Choice>,
}

/// The form's values, as typed (kept when refused).
#[derive(Default)]
pub struct ReportForm {
    pub from: String,
    pub to: String,
    pub group_by: String,
    pub filter: String,
}

#[derive(Template)]
#[template(path = "reports/overview.html")]
pub struct ReportsView {
    pub page: Page,
    pub form: ReportForm,
    pub error: Option<String>,
    pub groupings: Vec<Choice>,
    pub filters: Vec<ChoiceGroup>,
    /// "Everyone" for admins, "Me" for agents: the filter's empty choice.
    pub everyone: &'static str,
    pub report: Option<ReportShown>,
}

/// A computed report as the page shows it.
pub struct ReportShown {
    pub zone: String,
    pub from: String,
    pub to: String,
    pub total: Vec<(&'static str, String, String)>,
    pub sections: Vec<Section>,
    pub csv_url: String,
    /// Grouped by label: there are none yet.
    pub no_labels: bool,
}

fn opt(v: Option<u32>) -> Value {
    v.map_or(Value::Null, Value::from)
}

fn spread_json(prefix: &str, s: &Spread, unit: &str, out: &mut serde_json::Map<String, Value>) {
    out.insert(format!("{prefix}_count"), json!(s.count));
    out.insert(format!("{prefix}_median{unit}"), opt(s.median));
    out.insert(format!("{prefix}_p90{unit}"), opt(s.p90));
}

/// A summary's JSON fields.
pub fn summary_json(s: &Summary) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("opened".into(), json!(s.opened));
    m.insert("closed".into(), json!(s.closed));
    m.insert("reopened".into(), json!(s.reopened));
    spread_json("first_response", &s.first_response_s, "_s", &mut m);
    spread_json("resolution", &s.resolution_s, "_s", &mut m);
    spread_json("replies", &s.replies, "", &mut m);
    m
}

/// `{"report", "from", "to", "group_by", "filter", "timezone", "rows": [...], "total"}`.
pub fn report_json(name: &str, r: &Report) -> Value {
    let rows: Vec<Value> = r
        .rows
        .iter()
        .map(|row| {
            let mut m = serde_json::Map::new();
            m.insert("key".into(), json!(row.key));
            m.insert("label".into(), json!(row.label));
            m.extend(summary_json(&row.summary));
            Value::Object(m)
        })
        .collect();
    json!({
        "report": name,
        "from": format_date(r.query.from),
        "to": format_date(r.query.to),
        "group_by": r.query.group_by.as_str(),
        "filter": r.query.filter.map(Filter::as_string),
        "timezone": r.zone,
        "rows": rows,
        "total": Value::Object(summary_json(&r.total)),
    })
}

/// The JSON field names of a table's columns after `key` and `label`.
fn columns(table: Option<&str>) -> Vec<&'static str> {
    let conversations = ["opened", "closed", "reopened"];
    let first = [
        "first_response_count",
        "first_response_median_s",
        "first_response_p90_s",
    ];
    let resolution = [
        "resolution_count",
        "resolution_median_s",
        "resolution_p90_s",
    ];
    let replies = ["replies_count", "replies_median", "replies_p90"];
    match table {
        Some("conversations") => conversations.to_vec(),
        Some("first_response") => first.to_vec(),
        Some("resolution") => resolution.to_vec(),
        Some("replies") => replies.to_vec(),
        _ => [conversations, first, resolution, replies].concat(),
    }
}

/// One CSV field: quoted when it must be, and never read as a formula by a spreadsheet.
fn csv_field(s: &str) -> String {
    let s = match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The report as CSV (`table`: one table's columns; none: every column).
pub fn report_csv(r: &Report, table: Option<&str>) -> String {
    let cols = columns(table);
    let mut out = String::from("key,label");
    for c in &cols {
        out.push(',');
        out.push_str(c);
    }
    out.push_str("\r\n");
    for row in &r.rows {
        let fields = summary_json(&row.summary);
        out.push_str(&csv_field(&row.key));
        out.push(',');
        out.push_str(&csv_field(&row.label));
        for c in &cols {
            out.push(',');
            match fields.get(*c) {
                Some(Value::Null) | None => {}
                Some(v) => out.push_str(&v.to_string()),
            }
        }
        out.push_str("\r\n");
    }
    out
}

/// Whether `table` names a table (or is absent).
pub fn known_table(table: Option<&str>) -> bool {
    table.is_none_or(|t| TABLES.iter().any(|(id, _)| *id == t))
}

/// The query string of a report's page (and its downloads).
pub fn query_string(q: &ReportQuery, extra: &[(&str, &str)]) -> String {
    let (from, to) = (format_date(q.from), format_date(q.to));
    let filter = q.filter.map(Filter::as_string).unwrap_or_default();
    let mut pairs = vec![
        ("from", from.as_str()),
        ("to", to.as_str()),
        ("group_by", q.group_by.as_str()),
    ];
    if !filter.is_empty() {
        pairs.push(("filter", filter.as_str()));
    }
    pairs.extend_from_slice(extra);
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

fn cell(v: Option<u32>, seconds: bool) -> String {
    match v {
        None => "—".into(),
        Some(v) if seconds => duration_text(v),
        Some(v) => v.to_string(),
    }
}

fn spread_cells(s: &Spread, seconds: bool) -> Vec<String> {
    vec![
        s.count.to_string(),
        cell(s.median, seconds),
        cell(s.p90, seconds),
    ]
}

/// The page's view of a report: the totals, then each table with its chart.
pub fn shown(r: &Report) -> ReportShown {
    let time = r.query.group_by.is_time();
    let labels: Vec<(String, String)> = r
        .rows
        .iter()
        .map(|row| (row.label.clone(), row.short.clone()))
        .collect();
    let first_col = match r.query.group_by {
        GroupBy::Day => "Day",
        GroupBy::Week => "Week",
        GroupBy::Agent => "Agent",
        GroupBy::Team => "Team",
        GroupBy::Inbox => "Inbox",
        GroupBy::Channel => "Channel",
        GroupBy::Label => "Label",
    };
    let values = |f: &dyn Fn(&Summary) -> Option<u32>| -> Vec<Option<u32>> {
        r.rows.iter().map(|row| f(&row.summary)).collect()
    };
    let spread_series = |f: fn(&Summary) -> &Spread| {
        vec![
            Series {
                name: "Median",
                class: "s-median",
                values: values(&|s| f(s).median),
            },
            Series {
                name: "90th percentile",
                class: "s-p90",
                values: values(&|s| f(s).p90),
            },
        ]
    };
    let durations = if time { Kind::Lines } else { Kind::Bars };
    let mut sections = Vec::new();
    for (id, title) in TABLES {
        let (kind, scale, series, headers, rows): (
            _,
            _,
            _,
            Vec<&'static str>,
            Vec<(String, Vec<String>)>,
        ) = match id {
            "conversations" => (
                Kind::Bars,
                Scale::Count,
                vec![
                    Series {
                        name: "Opened",
                        class: "s-opened",
                        values: values(&|s| Some(s.opened)),
                    },
                    Series {
                        name: "Closed",
                        class: "s-closed",
                        values: values(&|s| Some(s.closed)),
                    },
                    Series {
                        name: "Reopened",
                        class: "s-reopened",
                        values: values(&|s| Some(s.reopened)),
                    },
                ],
                vec![first_col, "Opened", "Closed", "Reopened"],
                r.rows
                    .iter()
                    .map(|row| {
                        let s = &row.summary;
                        (
                            row.label.clone(),
                            vec![
                                s.opened.to_string(),
                                s.closed.to_string(),
                                s.reopened.to_string(),
                            ],
                        )
                    })
                    .collect(),
            ),
            "first_response" => (
                durations,
                Scale::Seconds,
                spread_series(|s| &s.first_response_s),
                vec![first_col, "Responses", "Median", "P90"],
                r.rows
                    .iter()
                    .map(|row| {
                        (
                            row.label.clone(),
                            spread_cells(&row.summary.first_response_s, true),
                        )
                    })
                    .collect(),
            ),
            "resolution" => (
                durations,
                Scale::Seconds,
                spread_series(|s| &s.resolution_s),
                vec![first_col, "Closed", "Median", "P90"],
                r.rows
                    .iter()
                    .map(|row| {
                        (
                            row.label.clone(),
                            spread_cells(&row.summary.resolution_s, true),
                        )
                    })
                    .collect(),
            ),
            _ => (
                if time { Kind::Lines } else { Kind::Bars },
                Scale::Count,
                spread_series(|s| &s.replies),
                vec![first_col, "Closed", "Median", "P90"],
                r.rows
                    .iter()
                    .map(|row| (row.label.clone(), spread_cells(&row.summary.replies, false)))
                    .collect(),
            ),
        };
        sections.push(Section {
            id,
            title,
            charts: [WIDE, NARROW]
                .map(|f| chart(f, id, title, kind, scale, &labels, &series))
                .into(),
            headers,
            rows,
            csv_url: format!(
                "/reports?{}",
                query_string(&r.query, &[("format", "csv"), ("table", id)])
            ),
        });
    }
    let t = &r.total;
    let p90 = |s: &Spread, seconds: bool| format!("90th percentile {}", cell(s.p90, seconds));
    ReportShown {
        zone: r.zone.clone(),
        from: format_date(r.query.from),
        to: format_date(r.query.to),
        total: vec![
            ("Opened", t.opened.to_string(), String::new()),
            ("Closed", t.closed.to_string(), String::new()),
            ("Reopened", t.reopened.to_string(), String::new()),
            (
                "First response, median",
                cell(t.first_response_s.median, true),
                p90(&t.first_response_s, true),
            ),
            (
                "Resolution, median",
                cell(t.resolution_s.median, true),
                p90(&t.resolution_s, true),
            ),
            (
                "Replies per conversation, median",
                cell(t.replies.median, false),
                p90(&t.replies, false),
            ),
        ],
        sections,
        csv_url: format!("/reports?{}", query_string(&r.query, &[("format", "csv")])),
        no_labels: r.query.group_by == GroupBy::Label,
    }
}

/// The groupings `actor` may choose, `current` selected.
pub fn groupings(actor: &Agent, current: &str) -> Vec<Choice> {
    GroupBy::ALL
        .into_iter()
        .filter(|g| g.allowed_for(actor))
        .map(|g| Choice {
            value: g.as_str().into(),
            label: match g {
                GroupBy::Day => "Day",
                GroupBy::Week => "Week",
                GroupBy::Agent => "Agent",
                GroupBy::Team => "Team",
                GroupBy::Inbox => "Inbox",
                GroupBy::Channel => "Channel",
                GroupBy::Label => "Label",
            }
            .into(),
            selected: g.as_str() == current,
        })
        .collect()
}

/// The filters `actor` may choose (agents: their inboxes and those inboxes' channels).
pub fn filters(actor: &Agent, dir: &Directory, current: &str) -> Vec<ChoiceGroup> {
    let choice = |f: Filter, label: String| {
        let value = f.as_string();
        Choice {
            selected: value == current,
            value,
            label,
        }
    };
    let inboxes: Vec<_> = dir.inboxes.iter().filter(|i| i.visible_to(actor)).collect();
    let mut groups = Vec::new();
    if actor.is_admin() {
        let mut agents: Vec<Choice> = dir
            .agents
            .iter()
            .map(|a| choice(Filter::Agent(Some(a.id)), a.name.clone()))
            .collect();
        agents.push(choice(Filter::Agent(None), "Unassigned".into()));
        groups.push(ChoiceGroup {
            label: "Agent",
            choices: agents,
        });
    }
    groups.push(ChoiceGroup {
        label: "Inbox",
        choices: inboxes
            .iter()
            .map(|i| choice(Filter::Inbox(i.id), i.name.clone()))
            .collect(),
    });
    if actor.is_admin() {
        let mut teams: Vec<Choice> = dir
            .teams
            .iter()
            .map(|t| choice(Filter::Team(Some(t.id)), t.name.clone()))
            .collect();
        teams.push(choice(Filter::Team(None), "No team".into()));
        groups.push(ChoiceGroup {
            label: "Team",
            choices: teams,
        });
    }
    groups.push(ChoiceGroup {
        label: "Channel",
        choices: ChannelKind::ALL
            .into_iter()
            .filter(|k| inboxes.iter().any(|i| i.channel == *k))
            .map(|k| choice(Filter::Channel(k), k.label().into()))
            .collect(),
    });
    groups.retain(|g| !g.choices.is_empty());
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("Ana"), "Ana");
        assert_eq!(csv_field("López, Ana"), "\"López, Ana\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+34 600"), "'+34 600");
        assert_eq!(csv_field("-1"), "'-1");
        assert_eq!(csv_field("2026-05-28"), "2026-05-28");
    }

    #[test]
    fn every_table_has_its_columns() {
        assert_eq!(
            columns(Some("conversations")),
            ["opened", "closed", "reopened"]
        );
        assert_eq!(columns(None).len(), 12);
        assert!(known_table(None) && known_table(Some("replies")) && !known_table(Some("x")));
    }
}

crate::web::views::localized!(page: ReportsView);
