//! The inbox in real browsers (headless Chromium through chromedriver, see browser.rs):
//! two agents watching the same inbox live, and hostile content that must stay text.
//!
//! `#[ignore]`d like the other browser tests; `./scripts/test` runs them. On failure a
//! screenshot of every open browser is saved under `target/test-screenshots/`.

use super::browser::{Result, css, sign_in, wait_path, with_browsers};
use super::common::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, between};
use fantoccini::Client;
use fantoccini::key::Key;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// How long a live update may take to show up in the other browser.
// A functional bound (updates arrive without a reload), not a speed check: push latency
// is measured by the load tool. Generous, because CI runs every test at once on 2 cores.
pub(super) const LIVE: Duration = Duration::from_secs(15);

const B_EMAIL: &str = "bruno@example.com";
const B_PASSWORD: &str = "bruno's password";

// ---- Setup through the API ----------------------------------------------------------

/// The app with an admin (Ana), an agent (Bruno) and an API inbox both are members of.
struct World {
    app: TestApp,
    /// Ana's personal API token.
    pat: String,
    inbox: u64,
    inbox_token: String,
    /// Ana's signed-in plain HTTP client, to check what the server says.
    ana_http: super::common::Client,
}

async fn api(
    url: &str,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut rb = reqwest::Client::new()
        .request(method, format!("{url}{path}"))
        .bearer_auth(token);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

impl World {
    async fn new() -> World {
        let app = TestApp::start().await;
        let ana_http = app.admin().await;
        let r = ana_http
            .submit("/profile", "/profile/tokens", &[("label", "browser test")])
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let body = r.text().await.unwrap();
        let pat = between(&body, "id=\"new-token\">", "<")
            .expect("the new token is shown")
            .to_string();
        let url = app.url.clone();
        let (s, me) = api(&url, &pat, reqwest::Method::GET, "/api/v1/me", None).await;
        assert_eq!(s, StatusCode::OK, "{me}");
        let (s, b) = api(
            &url,
            &pat,
            reqwest::Method::POST,
            "/api/v1/agents",
            Some(json!({"name": "Bruno Díaz", "email": B_EMAIL, "role": "agent", "password": B_PASSWORD})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let (s, inbox) = api(
            &url,
            &pat,
            reqwest::Method::POST,
            "/api/v1/inboxes",
            Some(
                json!({"name": "Tienda web", "channel": "api", "member_ids": [me["id"], b["id"]]}),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{inbox}");
        World {
            app,
            pat,
            inbox: inbox["id"].as_u64().unwrap(),
            inbox_token: inbox["token"].as_str().unwrap().to_string(),
            ana_http,
        }
    }

    /// Posts through the API inbox (as the provider would).
    async fn incoming(&self, body: Value) -> (StatusCode, Value) {
        api(
            &self.app.url,
            &self.inbox_token,
            reqwest::Method::POST,
            &format!("/api/v1/inboxes/{}/incoming", self.inbox),
            Some(body),
        )
        .await
    }

    /// Posts a raw (possibly invalid) JSON body through the API inbox.
    async fn incoming_raw(&self, body: &str) -> (StatusCode, Value) {
        let r = reqwest::Client::new()
            .post(format!(
                "{}/api/v1/inboxes/{}/incoming",
                self.app.url, self.inbox
            ))
            .bearer_auth(&self.inbox_token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// An inbound message from Lucía; returns the conversation id.
    async fn post_as_lucia(&self, content: &str) -> u64 {
        let (s, v) = self
            .incoming(json!({
                "contact": {"identifier": "+34 612 345 678", "name": "Lucía Fernández", "phone": "+34 612 345 678"},
                "content": content,
            }))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["conversation_id"].as_u64().unwrap()
    }
}

// ---- Page helpers ---------------------------------------------------------------------

/// Runs `script` (a function body returning a value) in the page.
pub(super) async fn js(c: &Client, script: &str) -> Result<Value> {
    Ok(c.execute(script, vec![]).await?)
}

/// Polls `condition` (a JS expression) until it is true, for at most `limit`.
pub(super) async fn wait_js(c: &Client, what: &str, condition: &str, limit: Duration) -> Result {
    let start = Instant::now();
    let script = format!("try {{ return !!({condition}); }} catch (e) {{ return false; }}");
    loop {
        if js(c, &script).await? == Value::Bool(true) {
            return Ok(());
        }
        if start.elapsed() > limit {
            let url = c.current_url().await?;
            return Err(format!("on {url}: waited {limit:?} for {what} ({condition})").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A JS string literal.
pub(super) fn lit(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// JS: the list row of conversation `id`.
pub(super) fn row(id: u64) -> String {
    format!("document.querySelector('#list .conv-row[data-id=\"{id}\"]')")
}

/// JS: the text of the first element matching `selector` ("" if none).
pub(super) fn text_of(selector: &str) -> String {
    format!(
        "((document.querySelector({}) || {{}}).textContent || '')",
        lit(selector)
    )
}

/// Waits until the page's live event stream is connected.
pub(super) async fn wait_live(c: &Client) -> Result {
    wait_js(
        c,
        "the live event stream",
        "document.querySelector('#inbox[data-live=\"open\"]')",
        Duration::from_secs(10),
    )
    .await
}

/// Waits until the element matching `selector` contains `needle`.
pub(super) async fn wait_contains(
    c: &Client,
    selector: &str,
    needle: &str,
    limit: Duration,
) -> Result {
    wait_js(
        c,
        &format!("{selector} to contain {needle:?}"),
        &format!("{}.includes({})", text_of(selector), lit(needle)),
        limit,
    )
    .await
}

/// Presses a key with nothing focused, as a keyboard shortcut.
pub(super) async fn press(c: &Client, key: &str) -> Result {
    js(
        c,
        "if (document.activeElement) document.activeElement.blur(); return null;",
    )
    .await?;
    c.find(css("body")).await?.send_keys(key).await?;
    Ok(())
}

/// Whether a webdriver error means the element was being swapped by a live refresh (a
/// stale reference, or the old copy hidden while htmx settles): then try it again.
fn swapped(e: &str) -> bool {
    e.contains("stale element") || e.contains("not interactable")
}

/// Types into the element matching `selector`. A live refresh may swap the element
/// between finding it and typing: then it is found again.
pub(super) async fn type_in(c: &Client, selector: &str, text: &str) -> Result {
    let mut attempt = 0;
    loop {
        match c.find(css(selector)).await?.send_keys(text).await {
            Ok(()) => return Ok(()),
            Err(e) if attempt < 10 && swapped(&e.to_string()) => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

pub(super) async fn click(c: &Client, selector: &str) -> Result {
    // Found again after a live refresh swapped it (see `type_in`).
    let mut attempt = 0;
    loop {
        match c.find(css(selector)).await?.click().await {
            Ok(()) => return Ok(()),
            Err(e) if attempt < 10 && swapped(&e.to_string()) => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

pub(super) async fn open_inbox(c: &Client, url: &str, path: &str) -> Result {
    c.goto(&format!("{url}{path}")).await?;
    wait_path(c, path.split('?').next().unwrap()).await?;
    wait_live(c).await
}

/// Opens conversation `id` by clicking its row in the list.
pub(super) async fn open_row(c: &Client, id: u64) -> Result {
    click(c, &format!(r#"#list .conv-row[data-id="{id}"] a"#)).await?;
    wait_path(c, &format!("/conversations/{id}")).await?;
    wait_js(
        c,
        "the conversation pane",
        &format!("document.querySelector('#pane .conv[data-conversation=\"{id}\"]')"),
        Duration::from_secs(10),
    )
    .await?;
    wait_live(c).await
}

async fn count(c: &Client, view: &str) -> Result<String> {
    let v = js(
        c,
        &format!("return {}.trim();", text_of(&format!("#count-{view}"))),
    )
    .await?;
    Ok(v.as_str().unwrap_or_default().to_string())
}

async fn wait_count(c: &Client, view: &str, n: u64, limit: Duration) -> Result {
    let waited = wait_js(
        c,
        &format!("the {view} count to be {n}"),
        &format!("{}.trim() === '{n}'", text_of(&format!("#count-{view}"))),
        limit,
    )
    .await;
    match waited {
        Ok(()) => Ok(()),
        Err(e) => Err(format!(
            "{e}; it shows {:?}",
            count(c, view).await.unwrap_or_default()
        )
        .into()),
    }
}

/// JS: whether some element matching `selector` contains `needle`.
pub(super) fn some_contains(selector: &str, needle: &str) -> String {
    format!(
        "Array.from(document.querySelectorAll({})).some(e => e.textContent.includes({}))",
        lit(selector),
        lit(needle)
    )
}

// ---- The tests ------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_two_agents_live_inbox() {
    let world = World::new().await;
    let url = world.app.url.clone();
    let w = &world;
    with_browsers("browser_two_agents_live_inbox", |b| async move {
        let ana = b.open().await?;
        let bruno = b.open().await?;
        for (c, email, password) in [
            (&ana, ADMIN_EMAIL, ADMIN_PASSWORD),
            (&bruno, B_EMAIL, B_PASSWORD),
        ] {
            c.goto(&format!("{url}/login")).await?;
            sign_in(c, email, password).await?;
            open_inbox(c, &url, "/?view=all").await?;
        }
        assert_eq!(count(&ana, "mine").await?, "0");

        // A message through the API inbox shows up in both lists without a reload.
        let id = w
            .post_as_lucia("Hola, hice un pedido el lunes y todavía no ha llegado. ¿Dónde está?")
            .await;
        for c in [&ana, &bruno] {
            wait_js(c, "the new conversation in the list", &row(id), LIVE).await?;
            wait_contains(
                c,
                &format!(r#"#list .conv-row[data-id="{id}"]"#),
                "Lucía Fernández",
                LIVE,
            )
            .await?;
        }
        wait_count(&bruno, "unassigned", 1, LIVE).await?;

        // Ana opens it and replies from the composer (type, Enter).
        open_row(&ana, id).await?;
        let reply = "¡Hola Lucía! Lo miro ahora mismo.";
        press(&ana, "r").await?;
        assert_eq!(
            js(&ana, "return document.activeElement.id;").await?,
            json!("composer-text"),
            "`r` puts the cursor in the composer"
        );
        type_in(&ana, "#composer-text", &format!("{reply}{}", char::from(Key::Enter))).await?;
        wait_js(
            &ana,
            "the reply in the timeline",
            &some_contains("#timeline .msg-out", reply),
            LIVE,
        )
        .await?;
        wait_contains(&ana, "#timeline", "Ana López took this conversation", LIVE).await?;
        // It is hers now: in her Mine count and view.
        wait_count(&ana, "mine", 1, LIVE).await?;
        let (_, mine) = w.ana_http.get_text("/inbox/list?view=mine").await;
        assert!(
            mine.contains(&format!("data-id=\"{id}\"")),
            "in Mine: {mine}"
        );
        assert_eq!(
            js(
                &ana,
                "return document.querySelector('#composer-text').value;"
            )
            .await?,
            json!(""),
            "the composer is emptied after sending"
        );
        // Bruno's list follows: the row names Ana as the assignee.
        wait_contains(
            &bruno,
            &format!(r#"#list .conv-row[data-id="{id}"] .row-assignee"#),
            "Ana López",
            LIVE,
        )
        .await?;
        wait_count(&bruno, "unassigned", 0, LIVE).await?;

        // Ana closes it with a note from the Close menu.
        click(&ana, "#close-menu > summary").await?;
        let note = ana
            .find(css(r#"#close-menu textarea[name="note"]"#))
            .await?;
        note.send_keys("Pedido localizado en Zaragoza").await?;
        click(&ana, "#close-submit").await?;
        wait_contains(
            &ana,
            "#timeline",
            "Closed by Ana López: Pedido localizado en Zaragoza",
            LIVE,
        )
        .await?;
        wait_contains(&ana, "#conv-status", "closed", LIVE).await?;
        wait_js(
            &bruno,
            "the closed conversation to leave All open",
            &format!("!{}", row(id)),
            LIVE,
        )
        .await?;

        // A new message from the contact reopens it, live in Ana's open pane; what she
        // was typing meanwhile survives the refresh.
        let draft = "Un momento, lo estoy mirando";
        type_in(&ana, "#composer-text", draft).await?;
        let again = w
            .post_as_lucia("Perdona, ¿me podéis mandar el número de seguimiento?")
            .await;
        assert_eq!(again, id, "the same conversation is reopened");
        wait_contains(&ana, "#conv-status", "open", LIVE).await?;
        wait_contains(&ana, "#timeline", "Reopened by the contact", LIVE).await?;
        wait_js(
            &ana,
            "the new message",
            &some_contains("#timeline .msg-in", "número de seguimiento"),
            LIVE,
        )
        .await?;
        assert_eq!(
            js(&ana, "return [document.querySelector('#composer-text').value, document.activeElement.id];").await?,
            json!([draft, "composer-text"]),
            "the draft and the focus survive a live refresh"
        );
        ana.find(css("#composer-text")).await?.clear().await?;
        wait_js(
            &bruno,
            "the reopened conversation back in All open",
            &row(id),
            LIVE,
        )
        .await?;
        // Closing unassigned it (the documented rule); Ana takes it back with the `a` key.
        wait_contains(
            &ana,
            &format!(r#"#list .conv-row[data-id="{id}"] .row-assignee"#),
            "Unassigned",
            LIVE,
        )
        .await?;
        press(&ana, "a").await?;
        wait_js(
            &ana,
            "a second \"took this conversation\" event",
            &format!(
                "{}.split('Ana López took this conversation').length === 3",
                text_of("#timeline")
            ),
            LIVE,
        )
        .await?;
        wait_count(&ana, "mine", 1, LIVE).await?;
        wait_contains(
            &bruno,
            &format!(r#"#list .conv-row[data-id="{id}"] .row-assignee"#),
            "Ana López",
            LIVE,
        )
        .await?;

        // Ana snoozes it for an hour: it leaves Mine.
        click(&ana, "#snooze-menu > summary").await?;
        click(
            &ana,
            r#"#snooze-menu button[name="snooze"][value="one_hour"]"#,
        )
        .await?;
        wait_contains(&ana, "#conv-status", "snoozed", LIVE).await?;
        wait_count(&ana, "mine", 0, LIVE).await?;
        wait_count(&ana, "snoozed", 1, LIVE).await?;
        let (_, mine) = w.ana_http.get_text("/inbox/list?view=mine").await;
        assert!(
            !mine.contains(&format!("data-id=\"{id}\"")),
            "not in Mine while snoozed: {mine}"
        );

        // An hour later (the test's clock) the snooze timer wakes it: open again.
        w.app.clock.advance_secs(3700);
        wait_contains(&ana, "#conv-status", "open", Duration::from_secs(8)).await?;
        wait_contains(&ana, "#timeline", "Snooze ended", LIVE).await?;
        wait_count(&ana, "mine", 1, LIVE).await?;
        wait_js(
            &bruno,
            "the woken conversation back in All open",
            &row(id),
            LIVE,
        )
        .await?;

        // Bruno reads it; then Ana marks it unread: the marker is hers alone.
        open_row(&bruno, id).await?;
        let bruno_http = super::common::Client::new(&url);
        bruno_http.login(B_EMAIL, B_PASSWORD).await;
        let bruno_row = || async {
            let (_, list) = bruno_http.get_text("/inbox/list?view=all").await;
            let at = list.find(&format!("data-id=\"{id}\"")).expect("row listed");
            let start = list[..at].rfind("<li ").unwrap();
            list[start..at].to_string()
        };
        let start = Instant::now();
        while bruno_row().await.contains("unread") {
            assert!(start.elapsed() < LIVE, "Bruno's read never arrived");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        click(&ana, "#mark-unread").await?;
        wait_path(&ana, "/").await?;
        wait_js(&ana, "the row in Ana's Mine list", &row(id), LIVE).await?;
        wait_js(
            &ana,
            "Ana's row to be unread",
            &format!("{}.classList.contains('unread')", row(id)),
            LIVE,
        )
        .await?;
        assert_eq!(
            js(
                &ana,
                &format!("return !!{}.querySelector('.dot-purple');", row(id))
            )
            .await?,
            json!(true),
            "the unread dot"
        );
        // Bruno's list reloads (the change is announced) and stays read for him.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        wait_js(&bruno, "Bruno's row", &row(id), LIVE).await?;
        assert_eq!(
            js(
                &bruno,
                &format!("return {}.classList.contains('unread');", row(id))
            )
            .await?,
            json!(false),
            "unread is per agent"
        );
        assert!(!bruno_row().await.contains("unread"), "unread for Ana only");
        Ok(())
    })
    .await;
    world.app.stop().await;
}

/// Hostile strings: markup, script URLs, template syntax, bidi and invisible characters.
const XSS: &[&str] = &[
    "<script>window.__pwned=1</script>",
    "<img src=x onerror=\"window.__pwned=1\">",
    "<svg onload=\"window.__pwned=1\">",
    "<a href=\"javascript:window.__pwned=1\">x</a>",
    "<math><mi xlink:href=\"javascript:window.__pwned=1\">x</mi></math>",
    "\"><iframe src=javascript:window.__pwned=1>",
    "{{7*7}}",
    "\u{202E}gnp.exe",
    "a\u{200B}b",
    "e\u{0301}",
];

/// JS: elements that only exist if some of the corpus became markup.
const INJECTED: &str = "document.querySelectorAll('img[src=\"x\"], svg[onload], iframe, math, \
    script:not([src]), a[href^=\"javascript:\"], [onerror], [onload], mi').length";

/// Nothing ran, no dialog opened, nothing became markup.
async fn assert_inert(c: &Client, where_: &str) -> Result {
    assert_eq!(
        js(c, "return typeof window.__pwned;").await?,
        json!("undefined"),
        "{where_}: script ran"
    );
    assert!(
        c.get_alert_text().await.is_err(),
        "{where_}: a dialog is open"
    );
    assert_eq!(
        js(c, &format!("return {INJECTED};")).await?,
        json!(0),
        "{where_}: corpus became markup"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_xss_corpus_is_inert() {
    let world = World::new().await;
    let url = world.app.url.clone();
    let w = &world;
    let name = XSS[1];
    let contact = json!({"identifier": "xss@example.com", "name": name});

    // Every string as a message of one conversation, then all of them in one message.
    let mut id = 0;
    for text in XSS.iter().copied().chain([XSS.join("\n").as_str()]) {
        let (s, v) = w
            .incoming(json!({"contact": contact, "content": text}))
            .await;
        assert_eq!(s, StatusCode::OK, "{text:?}: {v}");
        id = v["conversation_id"].as_u64().unwrap();
    }
    // Longer than a message may be: a clean error, not a crash.
    let huge = "A".repeat(20_000);
    let (s, v) = w
        .incoming(json!({"contact": contact, "content": huge}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "too_long", "{v}");
    // The longest allowed: one unbroken 10,000-character word.
    let (s, v) = w
        .incoming(json!({"contact": contact, "content": "W".repeat(10_000)}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // A lone surrogate is not valid JSON text for a string: a clean 400.
    let (s, v) = w
        .incoming_raw(r#"{"contact": {"identifier": "xss@example.com"}, "content": "a\ud800b"}"#)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "bad_request", "{v}");

    // The contact's properties and tags carry the corpus too.
    let (s, conv) = api(
        &url,
        &w.pat,
        reqwest::Method::GET,
        &format!("/api/v1/conversations/{id}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{conv}");
    let contact_id = conv["conversation"]["contact"]["id"].as_u64().unwrap();
    let properties: serde_json::Map<String, Value> = XSS
        .iter()
        .enumerate()
        .map(|(i, x)| (format!("{x} #{i}"), json!(x)))
        .collect();
    let (s, v) = api(
        &url,
        &w.pat,
        reqwest::Method::PATCH,
        &format!("/api/v1/contacts/{contact_id}"),
        Some(json!({"properties": properties, "tags": [XSS[0], XSS[2], XSS[5]]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    with_browsers("browser_xss_corpus_is_inert", |b| async move {
        let c = b.open().await?;
        c.goto(&format!("{url}/login")).await?;
        sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;

        // The list: the hostile name is shown as text.
        open_inbox(&c, &url, "/?view=all").await?;
        wait_js(&c, "the conversation in the list", &row(id), LIVE).await?;
        assert_inert(&c, "list").await?;
        let row_text = js(&c, &format!("return {}.textContent;", row(id))).await?;
        assert!(
            row_text.as_str().unwrap_or_default().contains(name),
            "the contact's name as text: {row_text}"
        );

        // The conversation: every string is text in the timeline, the page is whole.
        open_row(&c, id).await?;
        assert_inert(&c, "conversation").await?;
        for x in XSS {
            let what = format!("{x:?} as text");
            wait_js(&c, &what, &some_contains("#timeline .msg-text", x), LIVE).await?;
        }
        let timeline = c.find(css("#timeline")).await?.text().await?;
        assert!(timeline.contains("<script>"), "visible as text: {timeline}");
        assert_eq!(
            js(
                &c,
                "return Array.from(document.querySelectorAll('#timeline .msg-text')).some(\
                e => e.textContent.trim() === '49');"
            )
            .await?,
            json!(false),
            "no template evaluation"
        );
        let parts = [
            "#composer",
            "#composer-text",
            ".conv-side",
            ".contact-form",
            "#list",
        ];
        for sel in parts {
            assert!(c.find(css(sel)).await.is_ok(), "{sel} is still there");
        }
        assert_eq!(
            js(
                &c,
                "return document.querySelector('#conv-contact').textContent;"
            )
            .await?,
            json!(name)
        );
        // Properties come back as the exact values of the inputs.
        let values = js(
            &c,
            "return Array.from(document.querySelectorAll('.contact-form [name=prop_value]'))\
                .map(i => i.value);",
        )
        .await?;
        for x in XSS {
            assert!(
                values.as_array().unwrap().iter().any(|v| v == x),
                "property {x:?} in {values}"
            );
        }
        // The 10,000-character word wraps inside its bubble instead of widening anything.
        assert_eq!(
            js(
                &c,
                "const t = Array.from(document.querySelectorAll('#timeline .msg-text'))\
                    .find(e => e.textContent.startsWith('WWWW'));\
                 const wrap = document.querySelector('.timeline-wrap').getBoundingClientRect();\
                 return t.scrollWidth <= t.clientWidth + 1\
                    && t.getBoundingClientRect().right <= wrap.right\
                    && document.documentElement.scrollWidth <= window.innerWidth;"
            )
            .await?,
            json!(true),
            "no horizontal overflow"
        );
        // Focusing (or hovering) a message shows its details: sender and times, as text.
        c.find(css("#timeline .msg-in .bubble"))
            .await?
            .click()
            .await?;
        let details = js(
            &c,
            "const d = document.activeElement.querySelector('.msg-details');\
             return d && getComputedStyle(d).display !== 'none' ? d.textContent : null;",
        )
        .await?;
        assert!(
            details.as_str().is_some_and(|d| d.contains(name)),
            "details shown on focus: {details}"
        );
        assert_inert(&c, "after focusing a message").await?;

        // A live refresh (htmx swapping in the new pane) stays inert too.
        let live = format!("live {}", XSS[0]);
        let (s, v) = w
            .incoming(json!({"contact": contact, "content": live}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let fresh = some_contains("#timeline .msg-text", &live);
        wait_js(&c, "the live message", &fresh, LIVE).await?;
        assert_inert(&c, "after a live refresh").await?;
        assert!(c.find(css("#composer")).await.is_ok());

        // The contacts pages.
        for path in ["/contacts".to_string(), format!("/contacts/{contact_id}")] {
            c.goto(&format!("{url}{path}")).await?;
            wait_path(&c, &path).await?;
            assert_inert(&c, &path).await?;
            let text = c.find(css("main")).await?.text().await?;
            assert!(text.contains(name), "{path}: name as text: {text}");
        }
        Ok(())
    })
    .await;
    world.app.stop().await;
}
