//! Reports checked against a known data set driven through the API with the test
//! clock: conversations opened, answered after known delays, closed and reopened over
//! four days in two weeks, in two API inboxes and an SMS inbox, by three agents and a
//! team. Every number of the overview by day, week, agent, team, inbox and channel;
//! filters; what an agent may see; the page with its charts and tables; CSV; bad input.

use super::common::*;
use super::twilio_fake::TwilioFake;
use reqwest::StatusCode;
use serde_json::{Value, json};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "twilio-auth-token-for-reports";
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// The data set's people and places.
pub(super) struct Known {
    pub app: TestApp,
    pub admin: Client,
    pub api: Api,
    pub luis: u64,
    pub marta: u64,
    pub luis_api: Api,
    pub luis_web: Client,
    pub shop: u64,
    pub partner: u64,
    pub sms: u64,
    pub team: u64,
    _twilio: TwilioFake,
}

/// Friday 2026-05-29 00:00 UTC, the first day of the data set.
const D1: i64 = 1_780_012_800;

/// Moves the test clock to `secs` after D1's midnight.
fn clock_to(app: &TestApp, secs: i64) {
    let now = app.clock_now() / 1000;
    let target = D1 + secs;
    assert!(target >= now, "the clock only moves forward");
    app.clock.advance_secs(target - now);
}

async fn signed_in(app: &TestApp, email: &str, password: &str) -> (Client, Api) {
    let web = app.client();
    web.login(email, password).await;
    let api = Api::for_client(&web).await;
    (web, api)
}

async fn inbound(app: &TestApp, inbox: u64, token: &str, who: &str) -> u64 {
    let (s, v) = incoming(
        &app.url,
        inbox,
        token,
        json!({"contact": {"identifier": who, "name": who}, "content": "hola"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["conversation_id"].as_u64().unwrap()
}

async fn close(api: &Api, conv: u64) {
    let (s, v) = api
        .post(
            &format!("/api/v1/conversations/{conv}/status"),
            json!({"status": "closed"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// Builds the data set (the times are in each step's comment; days are UTC).
pub(super) async fn known_data_set() -> Known {
    let twilio = TwilioFake::start(SID, TOKEN).await;
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let luis = api
        .agent("Luis Pérez", "luis@example.com", "agent", "luis password")
        .await;
    let marta = api
        .agent("Marta Gil", "marta@example.com", "agent", "marta password")
        .await;
    let (shop, shop_token) = api.inbox("Shop", &[luis, marta], None).await;
    let (partner, partner_token) = api.inbox("Partner", &[marta], None).await;
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "SMS", "channel": "sms", "member_ids": [marta],
                   "sms": {"provider": "twilio", "account_sid": SID, "auth_token": TOKEN,
                           "from": "+1 415 523 8886", "api_base": twilio.base}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let sms = v["id"].as_u64().unwrap();
    let (s, v) = api
        .post(
            "/api/v1/teams",
            json!({"name": "Support", "member_ids": [luis]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let team = v["id"].as_u64().unwrap();
    let (_, luis_api) = signed_in(&app, "luis@example.com", "luis password").await;
    let (_, marta_api) = signed_in(&app, "marta@example.com", "marta password").await;

    // Friday 29 May.
    clock_to(&app, 0);
    let c1 = inbound(&app, shop, &shop_token, "c1").await;
    clock_to(&app, 90); // first response after 90 s, by Luis (who gets it)
    reply(&luis_api, c1, "hola c1").await;
    clock_to(&app, 300);
    reply(&luis_api, c1, "otra respuesta").await;
    clock_to(&app, 360);
    let (s, v) = luis_api
        .post(
            &format!("/api/v1/conversations/{c1}/assign"),
            json!({"team_id": team}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // A note is no reply.
    let (s, _) = luis_api
        .post(
            &format!("/api/v1/conversations/{c1}/messages"),
            json!({"content": "nota", "private": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    clock_to(&app, 600); // resolved after 600 s with 2 replies, by Luis, in Support
    close(&luis_api, c1).await;
    clock_to(&app, HOUR);
    let c2 = inbound(&app, partner, &partner_token, "c2").await;
    clock_to(&app, HOUR + 300); // first response after 300 s, by Marta
    reply(&marta_api, c2, "hola c2").await;
    clock_to(&app, 3 * HOUR); // resolved after 7,200 s with 1 reply, by Marta
    close(&marta_api, c2).await;

    // Saturday 30 May.
    clock_to(&app, DAY + 10 * HOUR); // c1 reopens: the customer writes again
    assert_eq!(inbound(&app, shop, &shop_token, "c1").await, c1);
    clock_to(&app, DAY + 10 * HOUR + 1200);
    reply(&luis_api, c1, "de nuevo").await;
    clock_to(&app, DAY + 11 * HOUR); // resolved again: 35 h after it opened, 3 replies
    close(&luis_api, c1).await;
    clock_to(&app, DAY + 12 * HOUR);
    let c3 = inbound(&app, shop, &shop_token, "c3").await;
    clock_to(&app, DAY + 12 * HOUR + 1800); // Marta starts an SMS: opened, no response
    // (Sessions end after a day without use: the browser signs in again.)
    let (marta_web, _) = signed_in(&app, "marta@example.com", "marta password").await;
    let r = marta_web
        .submit(
            "/",
            "/conversations/new",
            &[
                ("inbox_id", &sms.to_string()),
                ("to", "+34 600 111 222"),
                ("content", "Hola, su pedido está listo"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );

    // Monday 1 June (the next week).
    clock_to(&app, 3 * DAY + 9 * HOUR); // c3 answered 45 h after it opened, by Marta
    reply(&marta_api, c3, "perdón por la espera").await;
    clock_to(&app, 3 * DAY + 9 * HOUR + 1800);
    let c4 = inbound(&app, partner, &partner_token, "c4").await;
    clock_to(&app, 3 * DAY + 9 * HOUR + 1830); // answered after 30 s by Ana, the admin
    reply(&api, c4, "hola c4").await;
    clock_to(&app, 3 * DAY + 10 * HOUR + 1800); // resolved after 3,600 s
    close(&api, c4).await;
    let admin = app.client();
    admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let luis_web = app.client();
    luis_web.login("luis@example.com", "luis password").await;
    Known {
        app,
        admin,
        api,
        luis,
        marta,
        luis_api,
        luis_web,
        shop,
        partner,
        sms,
        team,
        _twilio: twilio,
    }
}

const RANGE: &str = "from=2026-05-29&to=2026-06-01";

/// The overview's rows as (key, [opened, closed, reopened], first response (median,
/// p90), resolution (median, p90), replies (median, p90)); `None` for null.
type Row = (
    String,
    [u64; 3],
    [Option<u64>; 2],
    [Option<u64>; 2],
    [Option<u64>; 2],
);

fn rows(v: &Value) -> Vec<Row> {
    v["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no rows: {v}"))
        .iter()
        .map(|r| row_of(r["key"].as_str().unwrap(), r))
        .collect()
}

fn row_of(key: &str, r: &Value) -> Row {
    let n = |f: &str| r[f].as_u64();
    (
        key.to_string(),
        [
            n("opened").unwrap(),
            n("closed").unwrap(),
            n("reopened").unwrap(),
        ],
        [n("first_response_median_s"), n("first_response_p90_s")],
        [n("resolution_median_s"), n("resolution_p90_s")],
        [n("replies_median"), n("replies_p90")],
    )
}

fn row(
    key: impl ToString,
    counts: [u64; 3],
    first: [Option<u64>; 2],
    resolution: [Option<u64>; 2],
    replies: [Option<u64>; 2],
) -> Row {
    (key.to_string(), counts, first, resolution, replies)
}

const NONE: [Option<u64>; 2] = [None, None];

fn both(a: u64, b: u64) -> [Option<u64>; 2] {
    [Some(a), Some(b)]
}

async fn overview(api: &Api, query: &str) -> Value {
    let (s, v) = api
        .get(&format!("/api/v1/reports/overview?{RANGE}&{query}"))
        .await;
    assert_eq!(s, StatusCode::OK, "{query}: {v}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_overview_numbers_match_the_known_data_set() {
    let k = known_data_set().await;
    let api = &k.api;

    let v = overview(api, "group_by=day").await;
    assert_eq!(v["timezone"], "UTC");
    assert_eq!(
        (v["from"].as_str(), v["to"].as_str()),
        (Some("2026-05-29"), Some("2026-06-01"))
    );
    assert_eq!(v["rows"][0]["label"], "Fri 29 May");
    assert_eq!(
        rows(&v),
        vec![
            row(
                "2026-05-29",
                [2, 2, 0],
                both(90, 300),
                both(600, 7200),
                both(1, 2)
            ),
            row(
                "2026-05-30",
                [2, 1, 1],
                NONE,
                both(126_000, 126_000),
                both(3, 3)
            ),
            row("2026-05-31", [0, 0, 0], NONE, NONE, NONE),
            row(
                "2026-06-01",
                [1, 1, 0],
                both(30, 162_000),
                both(3600, 3600),
                both(1, 1)
            ),
        ]
    );
    assert_eq!(
        row_of("total", &v["total"]),
        row(
            "total",
            [5, 4, 1],
            both(90, 162_000),
            both(3600, 126_000),
            both(1, 3)
        )
    );
    assert_eq!(v["total"]["first_response_count"], 4);

    let v = overview(api, "group_by=week").await;
    assert_eq!(
        rows(&v),
        vec![
            row(
                "2026-05-25",
                [4, 3, 1],
                both(90, 300),
                both(7200, 126_000),
                both(2, 3)
            ),
            row(
                "2026-06-01",
                [1, 1, 0],
                both(30, 162_000),
                both(3600, 3600),
                both(1, 1)
            ),
        ]
    );
    assert_eq!(v["rows"][0]["label"], "Week of 25 May");

    let v = overview(api, "group_by=agent").await;
    let (luis, marta) = (k.luis, k.marta);
    let ana = v["rows"][0]["key"].as_str().unwrap().to_string();
    assert_eq!(v["rows"][0]["label"], "Ana López");
    assert_eq!(
        rows(&v),
        vec![
            row(ana, [0, 1, 0], both(30, 30), both(3600, 3600), both(1, 1)),
            row(
                luis,
                [0, 2, 1],
                both(90, 90),
                both(600, 126_000),
                both(2, 3)
            ),
            row(
                marta,
                [1, 1, 0],
                both(300, 162_000),
                both(7200, 7200),
                both(1, 1)
            ),
            row("none", [4, 0, 0], NONE, NONE, NONE),
        ]
    );
    assert_eq!(v["rows"][3]["label"], "Unassigned");

    let v = overview(api, "group_by=inbox").await;
    assert_eq!(
        rows(&v),
        vec![
            row(
                k.shop,
                [2, 2, 1],
                both(90, 162_000),
                both(600, 126_000),
                both(2, 3)
            ),
            row(
                k.partner,
                [2, 2, 0],
                both(30, 300),
                both(3600, 7200),
                both(1, 1)
            ),
            row(k.sms, [1, 0, 0], NONE, NONE, NONE),
        ]
    );
    assert_eq!(v["rows"][1]["label"], "Partner");

    let v = overview(api, "group_by=team").await;
    assert_eq!(
        rows(&v),
        vec![
            row(k.team, [0, 2, 1], NONE, both(600, 126_000), both(2, 3)),
            row(
                "none",
                [5, 2, 0],
                both(90, 162_000),
                both(3600, 7200),
                both(1, 1)
            ),
        ]
    );

    let v = overview(api, "group_by=channel").await;
    assert_eq!(
        rows(&v),
        vec![
            row(
                "api",
                [4, 4, 1],
                both(90, 162_000),
                both(3600, 126_000),
                both(1, 3)
            ),
            row("sms", [1, 0, 0], NONE, NONE, NONE),
        ]
    );
    assert_eq!(v["rows"][1]["label"], "SMS");

    // Labels do not exist yet: no rows, no error.
    let v = overview(api, "group_by=label").await;
    assert_eq!(v["rows"], json!([]));
    assert_eq!(v["total"]["opened"], 0);

    // Filters over days.
    let v = overview(api, &format!("group_by=day&filter=agent:{luis}")).await;
    assert_eq!(
        rows(&v)[..2],
        [
            row(
                "2026-05-29",
                [0, 1, 0],
                both(90, 90),
                both(600, 600),
                both(2, 2)
            ),
            row(
                "2026-05-30",
                [0, 1, 1],
                NONE,
                both(126_000, 126_000),
                both(3, 3)
            ),
        ]
    );
    let v = overview(api, "group_by=week&filter=channel:sms").await;
    assert_eq!(rows(&v)[0].1, [1, 0, 0]);
    let v = overview(api, &format!("group_by=day&filter=team:{}", k.team)).await;
    assert_eq!(row_of("t", &v["total"]).1, [0, 2, 1]);
    let v = overview(api, &format!("group_by=day&filter=inbox:{}", k.partner)).await;
    assert_eq!(row_of("t", &v["total"]).3, both(3600, 7200));
    let v = overview(api, "group_by=day&filter=agent:none").await;
    assert_eq!(row_of("t", &v["total"]).1, [4, 0, 0]);

    // A range cut inside the data: only its days count.
    let (_, v) = api
        .get("/api/v1/reports/overview?from=2026-05-30&to=2026-05-30&group_by=agent")
        .await;
    assert_eq!(row_of("t", &v["total"]).1, [2, 1, 1]);
    k.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_an_agent_sees_only_their_own_numbers_and_inboxes() {
    let k = known_data_set().await;
    let luis = &k.luis_api;
    // By day, an agent's report is their own numbers.
    let v = overview(luis, "group_by=day").await;
    assert_eq!(
        row_of("t", &v["total"]),
        row("t", [0, 2, 1], both(90, 90), both(600, 126_000), both(2, 3))
    );
    let v = overview(luis, &format!("group_by=day&filter=agent:{}", k.luis)).await;
    assert_eq!(row_of("t", &v["total"]).1, [0, 2, 1]);
    // By agent: their own row only.
    let v = overview(luis, "group_by=agent").await;
    assert_eq!(
        rows(&v),
        vec![row(
            k.luis,
            [0, 2, 1],
            both(90, 90),
            both(600, 126_000),
            both(2, 3)
        )]
    );
    // By inbox and channel: only the inbox they are a member of.
    let v = overview(luis, "group_by=inbox").await;
    assert_eq!(
        rows(&v),
        vec![row(
            k.shop,
            [2, 2, 1],
            both(90, 162_000),
            both(600, 126_000),
            both(2, 3)
        )]
    );
    let v = overview(luis, "group_by=channel").await;
    assert_eq!(
        rows(&v),
        vec![row(
            "api",
            [2, 2, 1],
            both(90, 162_000),
            both(600, 126_000),
            both(2, 3)
        )]
    );
    let v = overview(luis, &format!("group_by=day&filter=inbox:{}", k.shop)).await;
    assert_eq!(row_of("t", &v["total"]).1, [2, 2, 1]);
    let v = overview(luis, "group_by=day&filter=channel:sms").await;
    assert_eq!(
        row_of("t", &v["total"]).1,
        [0, 0, 0],
        "no SMS inbox of theirs"
    );
    // Never another agent's numbers, the unassigned ones, a team's, or another inbox.
    for (query, status) in [
        (
            format!("group_by=day&filter=agent:{}", k.marta),
            StatusCode::FORBIDDEN,
        ),
        (
            "group_by=day&filter=agent:none".into(),
            StatusCode::FORBIDDEN,
        ),
        ("group_by=team".into(), StatusCode::FORBIDDEN),
        (
            format!("group_by=day&filter=team:{}", k.team),
            StatusCode::FORBIDDEN,
        ),
        (
            format!("group_by=day&filter=inbox:{}", k.partner),
            StatusCode::NOT_FOUND,
        ),
        (
            format!("group_by=week&filter=inbox:{}", k.sms),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (s, v) = luis
            .get(&format!("/api/v1/reports/overview?{RANGE}&{query}"))
            .await;
        assert_eq!(s, status, "{query}: {v}");
    }
    // The page: their own name is "Me", no other agent, no other inbox, no teams.
    let (s, page) = k
        .luis_web
        .get_text(&format!("/reports?{RANGE}&group_by=inbox"))
        .await;
    assert_eq!(s, StatusCode::OK);
    for hidden in [
        "Marta",
        "Partner",
        "Support",
        "Unassigned",
        "value=\"team\"",
        ">SMS<",
    ] {
        assert!(!page.contains(hidden), "{hidden} shows to Luis");
    }
    assert!(page.contains("<option value=\"\">Me</option>"), "{page}");
    assert!(page.contains("Shop"));
    let (s, _) = k.luis_web.get_text("/reports?group_by=team").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    k.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_page_draws_charts_and_tables_and_downloads_csv() {
    let k = known_data_set().await;
    let (s, page) = k
        .admin
        .get_text(&format!("/reports?{RANGE}&group_by=day"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("href=\"/reports\" class=\"active\""),
        "the sidebar links it"
    );
    // A chart per measure: an SVG with a title, axis labels and a tooltip per bar.
    // Each drawn twice: wide, and narrow for phones (the stylesheet shows one).
    assert_eq!(page.matches("<svg class=\"chart\"").count(), 8);
    assert!(page.contains(
        "<title id=\"conversations-wide-title\">Conversations (29 May 2026 to 1 Jun 2026)</title>"
    ));
    assert!(
        page.contains("<title>Fri 29 May — Opened: 2</title>"),
        "{page}"
    );
    assert!(
        page.contains("<title>Mon 1 Jun — 90th percentile: 1 d 21 h</title>"),
        "{page}"
    );
    assert!(page.contains(">29 May</text>"));
    // A table under each, with the same numbers in words.
    let table = between(&page, "id=\"resolution\"", "</section>").unwrap();
    assert!(
        table.contains(
            "<th scope=\"row\">Sat 30 May</th><td>1</td><td>1 d 11 h</td><td>1 d 11 h</td>"
        ),
        "{table}"
    );
    let totals = between(&page, "class=\"report-totals\"", "</dl>").unwrap();
    assert!(
        totals.contains("<strong>5</strong>")
            && totals
                .contains("<strong>1 h</strong><small class=\"muted\">90th percentile 1 d 11 h"),
        "{totals}"
    );

    // CSV: every table, and everything.
    let r = k
        .admin
        .get(&format!(
            "/reports?{RANGE}&group_by=agent&format=csv&table=first_response"
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("charla-overview-agent-2026-05-29-2026-06-01-first_response.csv")
    );
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "key,label,first_response_count,first_response_median_s,first_response_p90_s"
    );
    assert!(
        lines.contains(&format!("{},Luis Pérez,1,90,90", k.luis).as_str()),
        "{csv}"
    );
    assert!(lines.contains(&"none,Unassigned,0,,"), "{csv}");
    let r = k
        .admin
        .get(&format!("/reports?{RANGE}&group_by=week&format=csv"))
        .await;
    let csv = r.text().await.unwrap();
    assert!(
        csv.starts_with("key,label,opened,closed,reopened,first_response_count,"),
        "{csv}"
    );
    assert!(
        csv.contains("2026-05-25,Week of 25 May,4,3,1,2,90,300,3,7200,126000,3,2,3\r\n"),
        "{csv}"
    );
    // The API answers CSV too.
    let r = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/reports/overview?{RANGE}&group_by=channel&format=csv",
            k.app.url
        ))
        .bearer_auth(&k.api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("\r\nsms,SMS,1,0,0,0,,,0,,,0,,\r\n")
    );
    k.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_refuse_bad_input_in_words() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    for (query, needle) in [
        ("from=2026-13-01", "from: \"2026-13-01\" is not a date"),
        (
            "from=2026-06-02&to=2026-06-01",
            "from: must be on or before to",
        ),
        ("from=2020-01-01&to=2026-01-01", "at most 731 days"),
        ("group_by=month", "group_by: \"month\" is not a grouping"),
        (
            "group_by=agent&filter=inbox:1",
            "filter: applies only with group_by=day",
        ),
        ("filter=everything", "is not a filter"),
        ("format=xml", "format: \"xml\" is not json or csv"),
        ("format=csv&table=totals", "table: use conversations"),
    ] {
        let (s, v) = api.get(&format!("/api/v1/reports/overview?{query}")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{query}: {v}");
        assert_eq!(v["error"]["code"], "bad_request");
        let m = v["error"]["message"].as_str().unwrap();
        assert!(m.contains(needle), "{query}: {m}");
    }
    let (s, v) = api.get("/api/v1/reports/everything").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("there is: overview")
    );
    let (s, _) = Api::with_token(&app.url, "nope")
        .get("/api/v1/reports/overview")
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // The page keeps what was typed, says what is wrong next to the form, and draws
    // nothing; a filter with a grouping it does not apply to is simply left out.
    let (s, page) = admin
        .get_text("/reports?from=2026-02-30&to=2026-03-01&group_by=week")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("value=\"2026-02-30\""), "{page}");
    assert!(
        page.contains("From: “2026-02-30” is not a date. Use YYYY-MM-DD"),
        "{page}"
    );
    assert!(page.contains("<option value=\"week\" selected>"));
    assert!(!page.contains("<svg"));
    let (s, page) = admin
        .get_text("/reports?group_by=agent&filter=agent:1")
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    // Signed out: the sign-in page.
    let r = app.client().get("/reports").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}
