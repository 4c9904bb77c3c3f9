//! What the reports page, the API and the CSV downloads show of a `Report`: one table
//! per measure (each drawn as a chart above it), the JSON rows, and CSV with the same
//! columns.

use super::charts::{Chart, Kind, NARROW, Scale, Series, WIDE, chart, duration_text};
use super::labels;
use super::views::Page;
use crate::domain::report::{Spread, Summary, format_date, parse_date};
use crate::domain::{Agent, ChannelKind};
use crate::i18n::L10n;
use crate::service::{
    Directory, Filter, GroupBy, MAX_DAYS, QueryError, Report, ReportQuery, ReportRow,
};
use crate::web::views::Localized;
use askama::Template;
use serde_json::{Value, json};

/// The tables of the overview, in page order: (id, title's catalog key).
pub const TABLES: [(&str, &str); 4] = [
    ("conversations", "report-conversations"),
    ("first_response", "report-first-response"),
    ("resolution", "report-resolution"),
    ("replies", "report-replies"),
];

/// One table (and its chart).
pub struct Section {
    pub id: &'static str,
    pub title: String,
    /// The chart drawn wide and narrow (the stylesheet shows one).
    pub charts: Vec<Chart>,
    pub headers: Vec<String>,
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
    pub label: String,
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
    pub everyone: String,
    pub report: Option<ReportShown>,
}

/// A computed report as the page shows it.
pub struct ReportShown {
    /// The range, the time zone days are cut in, and how to read the numbers.
    pub range: String,
    pub total: Vec<(String, String, String)>,
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

fn cell(l: &L10n, v: Option<u32>, seconds: bool) -> String {
    match v {
        None => "—".into(),
        Some(v) if seconds => duration_text(l, v),
        Some(v) => l.number(i64::from(v)),
    }
}

fn spread_cells(l: &L10n, s: &Spread, seconds: bool) -> Vec<String> {
    vec![
        l.number(i64::try_from(s.count).unwrap_or(i64::MAX)),
        cell(l, s.median, seconds),
        cell(l, s.p90, seconds),
    ]
}

/// A grouping's name.
fn grouping_name(l: &L10n, g: GroupBy) -> String {
    l.t(match g {
        GroupBy::Day => "report-by-day",
        GroupBy::Week => "report-by-week",
        GroupBy::Agent => "report-by-agent",
        GroupBy::Team => "report-by-team",
        GroupBy::Inbox => "report-by-inbox",
        GroupBy::Channel => "report-by-channel",
        GroupBy::Label => "report-by-label",
    })
}

/// A row's label and its short form for the x axis, in the reader's words: days and
/// weeks from the row's date, "Unassigned" and "No team", channels by name; names as
/// they are.
fn row_labels(l: &L10n, by: GroupBy, row: &ReportRow) -> (String, String) {
    let day = parse_date(&row.key);
    match (by, day, row.key.as_str()) {
        (GroupBy::Day, Some(d), _) => (l.day_weekday(d), l.day_short(d)),
        (GroupBy::Week, Some(d), _) => (
            l.t1("report-week-of", "date", l.day_short(d)),
            l.day_short(d),
        ),
        (GroupBy::Agent, _, "none") => (l.t("report-unassigned"), l.t("report-unassigned")),
        (GroupBy::Team, _, "none") => (l.t("report-no-team"), l.t("report-no-team")),
        (GroupBy::Channel, _, code) if ChannelKind::parse(code).is_some() => {
            let name = labels::channel_code(l, code);
            (name.clone(), name)
        }
        _ => (row.label.clone(), row.short.clone()),
    }
}

/// The page's view of a report: the totals, then each table with its chart.
pub fn shown(l: &L10n, r: &Report) -> ReportShown {
    let time = r.query.group_by.is_time();
    let labels: Vec<(String, String)> = r
        .rows
        .iter()
        .map(|row| row_labels(l, r.query.group_by, row))
        .collect();
    let first_col = grouping_name(l, r.query.group_by);
    let (from, to) = (l.day(r.query.from), l.day(r.query.to));
    let values = |f: &dyn Fn(&Summary) -> Option<u32>| -> Vec<Option<u32>> {
        r.rows.iter().map(|row| f(&row.summary)).collect()
    };
    let spread_series = |f: fn(&Summary) -> &Spread| {
        vec![
            Series {
                name: l.t("report-median"),
                class: "s-median",
                values: values(&|s| f(s).median),
            },
            Series {
                name: l.t("report-p90-long"),
                class: "s-p90",
                values: values(&|s| f(s).p90),
            },
        ]
    };
    let rows_of = |f: &dyn Fn(&Summary) -> Vec<String>| -> Vec<(String, Vec<String>)> {
        r.rows
            .iter()
            .zip(&labels)
            .map(|(row, (label, _))| (label.clone(), f(&row.summary)))
            .collect()
    };
    let heads = |keys: [&str; 3]| {
        let mut h = vec![first_col.clone()];
        h.extend(keys.map(|k| l.t(k)));
        h
    };
    let durations = if time { Kind::Lines } else { Kind::Bars };
    let mut sections = Vec::new();
    for (id, title_key) in TABLES {
        let (kind, scale, series, headers, rows) = match id {
            "conversations" => (
                Kind::Bars,
                Scale::Count,
                vec![
                    Series {
                        name: l.t("report-opened"),
                        class: "s-opened",
                        values: values(&|s| Some(s.opened)),
                    },
                    Series {
                        name: l.t("report-closed"),
                        class: "s-closed",
                        values: values(&|s| Some(s.closed)),
                    },
                    Series {
                        name: l.t("report-reopened"),
                        class: "s-reopened",
                        values: values(&|s| Some(s.reopened)),
                    },
                ],
                heads(["report-opened", "report-closed", "report-reopened"]),
                rows_of(&|s| {
                    [s.opened, s.closed, s.reopened]
                        .map(|n| l.number(i64::from(n)))
                        .into()
                }),
            ),
            "first_response" => (
                durations,
                Scale::Seconds,
                spread_series(|s| &s.first_response_s),
                heads(["report-responses", "report-median", "report-p90"]),
                rows_of(&|s| spread_cells(l, &s.first_response_s, true)),
            ),
            "resolution" => (
                durations,
                Scale::Seconds,
                spread_series(|s| &s.resolution_s),
                heads(["report-closed", "report-median", "report-p90"]),
                rows_of(&|s| spread_cells(l, &s.resolution_s, true)),
            ),
            _ => (
                durations,
                Scale::Count,
                spread_series(|s| &s.replies),
                heads(["report-closed", "report-median", "report-p90"]),
                rows_of(&|s| spread_cells(l, &s.replies, false)),
            ),
        };
        let title = l.t(title_key);
        let chart_title = l.tr(
            "report-chart-title",
            &[
                ("title", title.as_str().into()),
                ("from", from.as_str().into()),
                ("to", to.as_str().into()),
            ],
        );
        sections.push(Section {
            id,
            charts: [WIDE, NARROW]
                .map(|f| chart(l, f, id, &chart_title, kind, scale, &labels, &series))
                .into(),
            title,
            headers,
            rows,
            csv_url: format!(
                "/reports?{}",
                query_string(&r.query, &[("format", "csv"), ("table", id)])
            ),
        });
    }
    let t = &r.total;
    let p90 =
        |s: &Spread, seconds: bool| l.t1("report-p90-value", "value", cell(l, s.p90, seconds));
    let count = |n: u32| l.number(i64::from(n));
    ReportShown {
        range: l.tr(
            "report-range",
            &[
                ("from", from.into()),
                ("to", to.into()),
                ("zone", r.zone.as_str().into()),
            ],
        ),
        total: vec![
            (l.t("report-opened"), count(t.opened), String::new()),
            (l.t("report-closed"), count(t.closed), String::new()),
            (l.t("report-reopened"), count(t.reopened), String::new()),
            (
                l.t("report-total-first-response"),
                cell(l, t.first_response_s.median, true),
                p90(&t.first_response_s, true),
            ),
            (
                l.t("report-total-resolution"),
                cell(l, t.resolution_s.median, true),
                p90(&t.resolution_s, true),
            ),
            (
                l.t("report-total-replies"),
                cell(l, t.replies.median, false),
                p90(&t.replies, false),
            ),
        ],
        sections,
        csv_url: format!("/reports?{}", query_string(&r.query, &[("format", "csv")])),
        no_labels: r.query.group_by == GroupBy::Label,
    }
}

/// The groupings `actor` may choose, `current` selected.
pub fn groupings(l: &L10n, actor: &Agent, current: &str) -> Vec<Choice> {
    GroupBy::ALL
        .into_iter()
        .filter(|g| g.allowed_for(actor))
        .map(|g| Choice {
            value: g.as_str().into(),
            label: grouping_name(l, g),
            selected: g.as_str() == current,
        })
        .collect()
}

/// A refused query in the reader's words.
pub fn query_error(l: &L10n, e: &QueryError) -> String {
    match e {
        QueryError::NotADate { field, value } => {
            l.t2("report-error-date", "field", *field, "value", value)
        }
        QueryError::FromAfterTo => l.t("report-error-order"),
        QueryError::TooLong => l.t1("report-error-too-long", "days", MAX_DAYS),
        QueryError::NotAGrouping(g) => l.t1("report-error-group-by", "value", g),
        QueryError::NotAFilter(f) => l.t1("report-error-filter", "value", f),
        QueryError::FilterNeedsTime => l.t("report-error-filter-time"),
    }
}

/// The filters `actor` may choose (agents: their inboxes and those inboxes' channels).
pub fn filters(l: &L10n, actor: &Agent, dir: &Directory, current: &str) -> Vec<ChoiceGroup> {
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
        agents.push(choice(Filter::Agent(None), l.t("report-unassigned")));
        groups.push(ChoiceGroup {
            label: l.t("report-by-agent"),
            choices: agents,
        });
    }
    groups.push(ChoiceGroup {
        label: l.t("report-by-inbox"),
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
        teams.push(choice(Filter::Team(None), l.t("report-no-team")));
        groups.push(ChoiceGroup {
            label: l.t("report-by-team"),
            choices: teams,
        });
    }
    groups.push(ChoiceGroup {
        label: l.t("report-by-channel"),
        choices: ChannelKind::ALL
            .into_iter()
            .filter(|k| inboxes.iter().any(|i| i.channel == *k))
            .map(|k| choice(Filter::Channel(k), labels::channel(l, k)))
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
