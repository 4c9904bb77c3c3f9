//! Reports: the page (`/reports`, a GET form, bookmarkable, `?format=csv` downloads) and
//! the API (`GET /api/v1/reports/{name}`). Admins see everything, agents their own.

use crate::domain::report::format_date;
use crate::i18n::Msg;
use crate::service::{GroupBy, LocalZone, QueryError, REPORTS, Report, ReportQuery};
use crate::web::AppState;
use crate::web::auth::{ApiAgent, Signed};
use crate::web::error::{ApiError, WebError};
use crate::web::handlers::render;
use crate::web::locale::{Loc, agent_timezone};
use crate::web::report_views::{
    ReportForm, ReportsView, filters, groupings, known_table, query_error, report_csv, report_json,
    shown,
};
use crate::web::views::Page;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct ReportParams {
    from: Option<String>,
    to: Option<String>,
    group_by: Option<String>,
    filter: Option<String>,
    /// `csv` for a download; JSON (API) or HTML (page) otherwise.
    format: Option<String>,
    /// With `format=csv`: one table's columns (`conversations`, `first_response`,
    /// `resolution`, `replies`); all by default.
    table: Option<String>,
}

impl ReportParams {
    fn query(
        &self,
        zone: &LocalZone,
        st: &AppState,
        lenient: bool,
    ) -> Result<ReportQuery, QueryError> {
        let today = st.services.report_today(zone);
        // The page's form always sends its filter; it applies only over days or weeks.
        let time = self
            .group_by
            .as_deref()
            .is_none_or(|g| g.is_empty() || GroupBy::parse(g).is_some_and(GroupBy::is_time));
        let filter = self.filter.as_deref().filter(|_| time || !lenient);
        ReportQuery::parse(
            self.from.as_deref(),
            self.to.as_deref(),
            self.group_by.as_deref(),
            filter,
            today,
        )
    }
}

fn csv_response(r: &Report, name: &str, table: Option<&str>) -> HttpResponse {
    let file = format!(
        "charla-{name}-{}-{}-{}{}.csv",
        r.query.group_by.as_str(),
        format_date(r.query.from),
        format_date(r.query.to),
        table.map(|t| format!("-{t}")).unwrap_or_default()
    );
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{file}\""),
        ))
        .body(report_csv(r, table))
}

/// `GET /reports`: the form, the totals, a chart and a table per measure.
pub async fn reports_page(
    Signed(auth): Signed,
    Loc(l): Loc,
    st: web::Data<AppState>,
    q: web::Query<ReportParams>,
) -> Result<HttpResponse, WebError> {
    let me = auth.agent.clone();
    let table = q.table.as_deref().filter(|t| !t.is_empty());
    if !known_table(table) {
        return Err(WebError::BadRequest(Msg::new("report-error-table")));
    }
    // Days are cut in the reader's time zone.
    let zone = st.services.report_zone(l.tz_name());
    let parsed = q.query(&zone, &st, true);
    let report = match &parsed {
        Ok(query) => Some(st.services.overview(me.clone(), *query, zone).await?),
        Err(_) => None,
    };
    if let (Some(r), Some("csv")) = (&report, q.format.as_deref()) {
        return Ok(csv_response(r, "overview", table));
    }
    let form = match &parsed {
        Ok(p) => ReportForm {
            from: format_date(p.from),
            to: format_date(p.to),
            group_by: p.group_by.as_str().into(),
            filter: p.filter.map(|f| f.as_string()).unwrap_or_default(),
        },
        Err(_) => ReportForm {
            from: q.from.clone().unwrap_or_default(),
            to: q.to.clone().unwrap_or_default(),
            group_by: q.group_by.clone().unwrap_or_default(),
            filter: q.filter.clone().unwrap_or_default(),
        },
    };
    let dir = st.services.directory();
    let view = ReportsView {
        page: Page::signed(&l, &me, &auth.session.csrf, l.t("nav-reports"), "reports"),
        groupings: groupings(&l, &me, &form.group_by),
        filters: filters(&l, &me, &dir, &form.filter),
        everyone: l.t(if me.is_admin() {
            "report-everyone"
        } else {
            "report-me"
        }),
        error: parsed.as_ref().err().map(|e| query_error(&l, e)),
        report: report.as_ref().map(|r| shown(&l, r)),
        form,
    };
    let status = match parsed {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::BAD_REQUEST,
    };
    render(&view, status, vec![])
}

/// `GET /api/v1/reports/{name}?from=&to=&group_by=&filter=&format=`.
pub async fn reports_api(
    ApiAgent(me): ApiAgent,
    st: web::Data<AppState>,
    name: web::Path<String>,
    q: web::Query<ReportParams>,
) -> Result<HttpResponse, ApiError> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", m);
    if !REPORTS.contains(&name.as_str()) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!(
                "there is no report {:?}; there is: {}",
                name.as_str(),
                REPORTS.join(", ")
            ),
        ));
    }
    let table = q.table.as_deref().filter(|t| !t.is_empty());
    if !known_table(table) {
        return Err(bad(
            "table: use conversations, first_response, resolution or replies".into(),
        ));
    }
    let csv = match q.format.as_deref() {
        None | Some("" | "json") => false,
        Some("csv") => true,
        Some(other) => return Err(bad(format!("format: {other:?} is not json or csv"))),
    };
    let zone = st
        .services
        .report_zone(agent_timezone(Some(&me), &st.settings.ui));
    let query = q.query(&zone, &st, false).map_err(|e| bad(e.to_string()))?;
    let r = st.services.overview(me, query, zone).await?;
    Ok(match csv {
        true => csv_response(&r, &name, table),
        false => HttpResponse::Ok().json(report_json(&name, &r)),
    })
}
