//! Reports over a range of local days: the overview's rows grouped by day, week, agent,
//! team, inbox, channel or label. Admins see everything; an agent sees their own
//! numbers (their agent row, or any range filtered to them) and the inboxes they are a
//! member of, never another agent's numbers nor an inbox they are not in.
//!
//! Each row reads one range of hourly tallies per dimension id (`store::report_hours`):
//! the cost grows with the days asked for and the rows shown, never with history.

use super::{Directory, Result, ServiceError, Services};
use crate::domain::report::{
    Dimension, Summary, Tally, Utc, Zone, day_label, day_of_hour, format_date, hours_around,
    parse_date, short_date, week_start,
};
use crate::domain::validate::Invalid;
use crate::domain::{Agent, AgentId, ChannelKind, InboxId, TeamId};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The reports there are (`GET /api/v1/reports/{name}`).
pub const REPORTS: [&str; 1] = ["overview"];

/// The longest range one report covers, in days.
pub const MAX_DAYS: i64 = 731;

/// How the rows of a report are cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    Day,
    Week,
    Agent,
    Team,
    Inbox,
    Channel,
    /// Conversations have no labels yet (issue 14): no rows until they do.
    Label,
}

impl GroupBy {
    pub const ALL: [GroupBy; 7] = [
        GroupBy::Day,
        GroupBy::Week,
        GroupBy::Agent,
        GroupBy::Team,
        GroupBy::Inbox,
        GroupBy::Channel,
        GroupBy::Label,
    ];

    /// The query-string spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Day => "day",
            GroupBy::Week => "week",
            GroupBy::Agent => "agent",
            GroupBy::Team => "team",
            GroupBy::Inbox => "inbox",
            GroupBy::Channel => "channel",
            GroupBy::Label => "label",
        }
    }

    pub fn parse(s: &str) -> Option<GroupBy> {
        GroupBy::ALL.into_iter().find(|g| g.as_str() == s)
    }

    /// Rows are days or weeks (a chart over time).
    pub fn is_time(self) -> bool {
        matches!(self, GroupBy::Day | GroupBy::Week)
    }

    /// Whether `actor` may group this way (team numbers span inboxes an agent may not
    /// be in).
    pub fn allowed_for(self, actor: &Agent) -> bool {
        actor.is_admin() || self != GroupBy::Team
    }
}

/// Which conversations a report over days or weeks counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    /// `None`: unassigned.
    Agent(Option<AgentId>),
    Inbox(InboxId),
    /// `None`: in no team.
    Team(Option<TeamId>),
    Channel(ChannelKind),
}

impl Filter {
    /// `agent:3`, `agent:none`, `inbox:5`, `team:2`, `team:none`, `channel:email`.
    pub fn parse(s: &str) -> std::result::Result<Filter, Invalid> {
        let bad = || Invalid {
            field: "filter",
            reason: format!(
                "{s:?} is not a filter: use agent:ID, agent:none, inbox:ID, team:ID, team:none or channel:NAME"
            ),
        };
        let (kind, value) = s.split_once(':').ok_or_else(bad)?;
        let id = || value.parse::<u64>().ok().filter(|n| *n > 0);
        Ok(match (kind, value) {
            ("agent", "none") => Filter::Agent(None),
            ("team", "none") => Filter::Team(None),
            ("agent", _) => Filter::Agent(Some(AgentId(id().ok_or_else(bad)?))),
            ("inbox", _) => Filter::Inbox(InboxId(id().ok_or_else(bad)?)),
            ("team", _) => Filter::Team(Some(TeamId(id().ok_or_else(bad)?))),
            ("channel", _) => Filter::Channel(ChannelKind::parse(value).ok_or_else(bad)?),
            _ => return Err(bad()),
        })
    }

    /// The spelling `parse` reads.
    pub fn as_string(self) -> String {
        let id = |n: Option<u64>| n.map_or("none".to_string(), |n| n.to_string());
        match self {
            Filter::Agent(a) => format!("agent:{}", id(a.map(|a| a.0))),
            Filter::Inbox(i) => format!("inbox:{i}"),
            Filter::Team(t) => format!("team:{}", id(t.map(|t| t.0))),
            Filter::Channel(k) => format!("channel:{}", k.as_str()),
        }
    }
}

/// What a report is asked for: local days `from..=to`, grouping and filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportQuery {
    pub from: i64,
    pub to: i64,
    pub group_by: GroupBy,
    pub filter: Option<Filter>,
}

/// Why a report's query was refused: put into words by the page (in the reader's
/// language) or by the API (`invalid()`, in English).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryError {
    /// `from` or `to` is not a `YYYY-MM-DD` date.
    NotADate {
        field: &'static str,
        value: String,
    },
    FromAfterTo,
    TooLong,
    NotAGrouping(String),
    NotAFilter(String),
    /// A filter with a grouping other than day or week.
    FilterNeedsTime,
}

impl QueryError {
    /// The refusal as the API words it.
    pub fn invalid(&self) -> Invalid {
        let (field, reason) = match self {
            QueryError::NotADate { field, value } => (
                *field,
                format!("{value:?} is not a date: use YYYY-MM-DD, for example 2026-05-28"),
            ),
            QueryError::FromAfterTo => ("from", "must be on or before to".into()),
            QueryError::TooLong => ("to", format!("a report covers at most {MAX_DAYS} days")),
            QueryError::NotAGrouping(g) => (
                "group_by",
                format!(
                    "{g:?} is not a grouping: use day, week, agent, team, inbox, channel or label"
                ),
            ),
            QueryError::NotAFilter(f) => (
                "filter",
                format!(
                    "{f:?} is not a filter: use agent:ID, agent:none, inbox:ID, team:ID, team:none or channel:NAME"
                ),
            ),
            QueryError::FilterNeedsTime => (
                "filter",
                "applies only with group_by=day or group_by=week".into(),
            ),
        };
        Invalid { field, reason }
    }
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.invalid().fmt(f)
    }
}

impl ReportQuery {
    /// Reads the query string's values; by default the 30 days up to `today`, by day.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        group_by: Option<&str>,
        filter: Option<&str>,
        today: i64,
    ) -> std::result::Result<ReportQuery, QueryError> {
        let date = |field: &'static str, s: Option<&str>| match given(s) {
            None => Ok(None),
            Some(v) => parse_date(v).map(Some).ok_or_else(|| QueryError::NotADate {
                field,
                value: v.to_string(),
            }),
        };
        let to_day = date("to", to)?.unwrap_or(today);
        let from_day = date("from", from)?.unwrap_or(to_day - 29);
        if from_day > to_day {
            return Err(QueryError::FromAfterTo);
        }
        if to_day - from_day + 1 > MAX_DAYS {
            return Err(QueryError::TooLong);
        }
        let group_by = match given(group_by) {
            None => GroupBy::Day,
            Some(g) => GroupBy::parse(g).ok_or_else(|| QueryError::NotAGrouping(g.to_string()))?,
        };
        let filter = given(filter)
            .map(|f| Filter::parse(f).map_err(|_| QueryError::NotAFilter(f.to_string())))
            .transpose()?;
        if filter.is_some() && !group_by.is_time() {
            return Err(QueryError::FilterNeedsTime);
        }
        Ok(ReportQuery {
            from: from_day,
            to: to_day,
            group_by,
            filter,
        })
    }
}

/// One row of a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportRow {
    /// A date (`YYYY-MM-DD`; a week's Monday), an id (`none` for unassigned or no
    /// team), or a channel's name.
    pub key: String,
    /// What people read: a day, an agent's, team's or inbox's name, a channel.
    pub label: String,
    /// For charts' x axis: shorter than `label` where that helps.
    pub short: String,
    pub summary: Summary,
}

/// A report's rows and their total.
#[derive(Clone, Debug)]
pub struct Report {
    pub query: ReportQuery,
    /// The time zone days are cut in.
    pub zone: String,
    pub rows: Vec<ReportRow>,
    /// All rows together (medians over every value, not of the rows' medians).
    pub total: Summary,
}

/// An IANA time zone for cutting days (DST included: offsets are read per hour).
#[derive(Clone, Debug)]
pub struct LocalZone {
    tz: jiff::tz::TimeZone,
    name: String,
}

impl LocalZone {
    /// The zone `name` (`Europe/Madrid`); UTC when the database has no such zone.
    pub fn new(name: &str) -> LocalZone {
        match crate::i18n::canonical_timezone(name).zip(crate::i18n::timezone(name)) {
            Some((name, tz)) => LocalZone { tz, name },
            None => LocalZone {
                tz: jiff::tz::TimeZone::UTC,
                name: Utc.name().to_string(),
            },
        }
    }
}

impl Zone for LocalZone {
    fn offset_secs(&self, at: crate::domain::Timestamp) -> i64 {
        jiff::Timestamp::from_millisecond(at.0)
            .map(|t| i64::from(self.tz.to_offset(t).seconds()))
            .unwrap_or(0)
    }
    fn name(&self) -> &str {
        &self.name
    }
}

/// The rows to read: each a key, labels and the dimensions whose tallies it merges.
struct Plan {
    key: String,
    label: String,
    dims: Vec<Dimension>,
    /// Left out when it counts nothing (a deactivated agent).
    only_if_counted: bool,
}

fn plan(key: String, label: String, dims: Vec<Dimension>) -> Plan {
    Plan {
        key,
        label,
        dims,
        only_if_counted: false,
    }
}

/// A query-string value, if one was given (an empty form field is none).
fn given(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

fn id_key(id: Option<u64>) -> String {
    id.map_or("none".into(), |n| n.to_string())
}

impl Services {
    /// The time zone reports cut days in: the reader's (their profile's, else the
    /// installation's `[ui] timezone`), UTC when the name is unknown.
    pub fn report_zone(&self, tz: &str) -> LocalZone {
        LocalZone::new(tz)
    }

    /// Today in `zone`, as days since 1970-01-01.
    pub fn report_today(&self, zone: &dyn Zone) -> i64 {
        let now = self.clock.now();
        (now.0.div_euclid(1000) + zone.offset_secs(now)).div_euclid(86_400)
    }

    /// The overview, off the async workers (it may decode thousands of tallies).
    pub async fn overview(
        self: &Arc<Self>,
        actor: Agent,
        q: ReportQuery,
        zone: LocalZone,
    ) -> Result<Report> {
        let s = self.clone();
        tokio::task::spawn_blocking(move || s.overview_now(&actor, q, &zone))
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?
    }

    /// The overview: counts, first response, resolution and replies per conversation.
    pub fn overview_now(&self, actor: &Agent, q: ReportQuery, zone: &LocalZone) -> Result<Report> {
        let dir = self.directory();
        let plans = if q.group_by.is_time() {
            vec![plan(
                String::new(),
                String::new(),
                self.filter_dims(actor, q.filter, &dir)?,
            )]
        } else {
            self.entity_plans(actor, q.group_by, &dir)?
        };
        let (lo, hi) = hours_around(q.from, q.to);
        let in_range =
            |hour: u32| Some(day_of_hour(hour, zone)).filter(|d| (q.from..=q.to).contains(d));
        let mut total = Tally::default();
        let mut rows = Vec::new();
        if q.group_by.is_time() {
            let week = q.group_by == GroupBy::Week;
            let bucket = |day: i64| if week { week_start(day) } else { day };
            let mut by_time: BTreeMap<i64, Tally> = (q.from..=q.to)
                .map(|d| (bucket(d), Tally::default()))
                .collect();
            for d in plans.iter().flat_map(|p| &p.dims) {
                for (hour, t) in self.store.report_hours(*d, lo, hi)? {
                    if let Some(day) = in_range(hour) {
                        by_time.entry(bucket(day)).or_default().merge(t);
                    }
                }
            }
            for (day, t) in by_time {
                total.merge(t.clone());
                let (label, short) = match week {
                    true => (format!("Week of {}", short_date(day)), short_date(day)),
                    false => (day_label(day), short_date(day)),
                };
                rows.push(ReportRow {
                    key: format_date(day),
                    label,
                    short,
                    summary: t.summary(),
                });
            }
        } else {
            for p in plans {
                let mut t = Tally::default();
                for d in &p.dims {
                    for (hour, h) in self.store.report_hours(*d, lo, hi)? {
                        if in_range(hour).is_some() {
                            t.merge(h);
                        }
                    }
                }
                if p.only_if_counted && t.is_empty() {
                    continue;
                }
                total.merge(t.clone());
                rows.push(ReportRow {
                    key: p.key,
                    short: p.label.clone(),
                    label: p.label,
                    summary: t.summary(),
                });
            }
        }
        Ok(Report {
            query: q,
            zone: zone.name().to_string(),
            rows,
            total: total.summary(),
        })
    }

    /// The dimensions a report over days or weeks reads for `filter`, checked against
    /// what `actor` may see.
    fn filter_dims(
        &self,
        actor: &Agent,
        filter: Option<Filter>,
        dir: &Directory,
    ) -> Result<Vec<Dimension>> {
        let admin = actor.is_admin();
        let own = "agents see only their own numbers";
        Ok(match filter {
            None if admin => vec![Dimension::Total],
            None => vec![Dimension::Agent(Some(actor.id))],
            Some(Filter::Agent(Some(a))) if a == actor.id => vec![Dimension::Agent(Some(a))],
            Some(Filter::Agent(_)) if !admin => return Err(ServiceError::Forbidden(own)),
            Some(Filter::Agent(Some(a))) => {
                dir.agent(a).ok_or(ServiceError::NotFound)?;
                vec![Dimension::Agent(Some(a))]
            }
            Some(Filter::Agent(None)) => vec![Dimension::Agent(None)],
            Some(Filter::Inbox(i)) => match dir.inbox(i) {
                Some(inbox) if inbox.visible_to(actor) => vec![Dimension::Inbox(i)],
                _ => return Err(ServiceError::NotFound),
            },
            Some(Filter::Team(_)) if !admin => {
                return Err(ServiceError::Forbidden(
                    "team reports are for admins: a team's numbers span inboxes you may not be in",
                ));
            }
            Some(Filter::Team(t)) => {
                if let Some(t) = t {
                    dir.team(t).ok_or(ServiceError::NotFound)?;
                }
                vec![Dimension::Team(t)]
            }
            Some(Filter::Channel(k)) => dir
                .inboxes
                .iter()
                .filter(|i| i.channel == k && i.visible_to(actor))
                .map(|i| Dimension::Inbox(i.id))
                .collect(),
        })
    }

    /// The rows of a report grouped by agent, team, inbox, channel or label, as far as
    /// `actor` may see.
    fn entity_plans(&self, actor: &Agent, by: GroupBy, dir: &Directory) -> Result<Vec<Plan>> {
        if !by.allowed_for(actor) {
            return Err(ServiceError::Forbidden(
                "team reports are for admins: a team's numbers span inboxes you may not be in",
            ));
        }
        let admin = actor.is_admin();
        let visible = dir.inboxes.iter().filter(|i| i.visible_to(actor));
        Ok(match by {
            GroupBy::Agent => {
                let mut v: Vec<Plan> = dir
                    .agents
                    .iter()
                    .filter(|a| admin || a.id == actor.id)
                    .map(|a| {
                        let d = Dimension::Agent(Some(a.id));
                        let mut p = plan(id_key(Some(a.id.0)), a.name.clone(), vec![d]);
                        p.only_if_counted = !a.active;
                        p
                    })
                    .collect();
                if admin {
                    v.push(plan(
                        id_key(None),
                        "Unassigned".into(),
                        vec![Dimension::Agent(None)],
                    ));
                }
                v
            }
            GroupBy::Team => {
                let mut v: Vec<Plan> = dir
                    .teams
                    .iter()
                    .map(|t| {
                        let d = Dimension::Team(Some(t.id));
                        plan(id_key(Some(t.id.0)), t.name.clone(), vec![d])
                    })
                    .collect();
                v.push(plan(
                    id_key(None),
                    "No team".into(),
                    vec![Dimension::Team(None)],
                ));
                v
            }
            GroupBy::Inbox => visible
                .map(|i| {
                    let d = Dimension::Inbox(i.id);
                    plan(id_key(Some(i.id.0)), i.name.clone(), vec![d])
                })
                .collect(),
            GroupBy::Channel => {
                let mut by_kind: BTreeMap<&'static str, Plan> = BTreeMap::new();
                for i in visible {
                    by_kind
                        .entry(i.channel.as_str())
                        .or_insert_with(|| {
                            plan(i.channel.as_str().into(), i.channel.label().into(), vec![])
                        })
                        .dims
                        .push(Dimension::Inbox(i.id));
                }
                // In the order forms list channels.
                ChannelKind::ALL
                    .iter()
                    .filter_map(|k| by_kind.remove(k.as_str()))
                    .collect()
            }
            GroupBy::Label => vec![],
            GroupBy::Day | GroupBy::Week => vec![],
        })
    }
}

#[cfg(test)]
mod tests;
