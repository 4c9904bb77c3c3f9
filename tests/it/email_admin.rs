//! Email inbox administration: the settings form (validation, values kept, passwords
//! never shown), "Test connection" against the real Dovecot and SMTP sink (each failing
//! step named), the poller's health on the settings page, the Reply-To plus-address, and
//! one browser run through the whole form.

use super::browser::{css, fill, sign_in, wait_path, wait_text, with_browsers};
use super::common::*;
use super::mail_servers::{Dovecot, IMAP_PASSWORD, SmtpSink};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A port on 127.0.0.1 where nothing listens.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The new-inbox form for an email inbox, with `imap_port` as given.
fn form_fields(imap_port: &str) -> Vec<(&'static str, String)> {
    [
        ("name", "Support mail"),
        ("channel", "email"),
        ("imap_host", "imap.shop.example"),
        ("imap_port", imap_port),
        ("imap_security", "tls"),
        ("imap_username", "support@shop.example"),
        ("imap_password", "s3cret-imap"),
        ("imap_folder", "INBOX"),
        ("smtp_host", "smtp.shop.example"),
        ("smtp_port", "587"),
        ("smtp_security", "starttls"),
        ("smtp_username", "support@shop.example"),
        ("smtp_password", "s3cret-smtp"),
        ("from_name", "Shop support"),
        ("from_address", "support@shop.example"),
        ("poll_seconds", "45"),
        ("reply_to_plus_address", "on"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect()
}

fn pairs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Replaces (or adds) one field of a form.
fn with(
    mut v: Vec<(&'static str, String)>,
    key: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    v.retain(|(k, _)| *k != key);
    v.push((key, value.to_string()));
    v
}

/// The id in the first `href="/admin/inboxes/{id}"` of a page.
fn first_inbox_id(html: &str) -> String {
    between(html, "href=\"/admin/inboxes/", "\"")
        .unwrap()
        .to_string()
}

/// POSTs a form as htmx does (`HX-Request: true`), with the CSRF token of `page`.
async fn htmx_post(
    c: &Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let token = c.csrf(page).await;
    let mut all = vec![("csrf", token.as_str())];
    all.extend_from_slice(fields);
    let r = c
        .http
        .post(format!("{}{action}", c.base))
        .header("HX-Request", "true")
        .form(&all)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_inbox_form_validates_keeps_values_and_never_shows_passwords() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (_, page) = admin.get_text("/admin/inboxes").await;
    assert!(
        page.contains("<option value=\"email\">Email</option>"),
        "{page}"
    );
    for name in [
        "imap_host",
        "imap_password",
        "smtp_port",
        "from_address",
        "poll_seconds",
        "mark_seen",
        "reply_to_plus_address",
    ] {
        assert!(
            page.contains(&format!("name=\"{name}\"")),
            "no {name} field"
        );
    }

    // A bad port: the form comes back naming the field, values kept, passwords not.
    let r = admin
        .submit(
            "/admin/inboxes",
            "/admin/inboxes",
            &pairs(&form_fields("99999")),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = r.text().await.unwrap();
    assert!(body.contains("IMAP port: must be a port number"), "{body}");
    assert!(
        body.contains("name=\"imap_port\" value=\"99999\""),
        "{body}"
    );
    assert!(
        body.contains("value=\"imap.shop.example\"") && body.contains("value=\"Shop support\"")
    );
    assert!(
        body.contains("<option value=\"email\" selected>"),
        "the channel is kept"
    );
    assert!(
        body.contains("aria-invalid=\"true\""),
        "the field is marked"
    );
    assert!(
        body.contains("type them again"),
        "says the passwords must be typed again"
    );
    assert!(!body.contains("s3cret"), "a password was echoed: {body}");
    // The service's own checks come back the same way.
    let r = admin
        .submit(
            "/admin/inboxes",
            "/admin/inboxes",
            &pairs(&with(form_fields("993"), "from_address", "not-an-address")),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = r.text().await.unwrap();
    assert!(body.contains("From address:"), "{body}");
    assert!(!body.contains("s3cret"));
    let r = admin
        .submit(
            "/admin/inboxes",
            "/admin/inboxes",
            &pairs(&with(form_fields("993"), "poll_seconds", "5")),
        )
        .await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Poll interval: must be between 10 and 3600")
    );

    // Created.
    let r = admin
        .submit(
            "/admin/inboxes",
            "/admin/inboxes",
            &pairs(&form_fields("993")),
        )
        .await;
    assert_eq!(location(&r), "/admin/inboxes?flash=inbox_saved");
    let (_, list) = admin.get_text("/admin/inboxes").await;
    assert!(
        list.contains("Support mail") && list.contains(">Email</span>"),
        "{list}"
    );
    let id = first_inbox_id(&list);
    let (_, edit) = admin.get_text(&format!("/admin/inboxes/{id}")).await;
    assert!(
        edit.contains("value=\"imap.shop.example\"") && edit.contains("value=\"45\""),
        "{edit}"
    );
    assert!(edit.contains("name=\"imap_password\" type=\"password\" value=\"\""));
    assert!(edit.contains("name=\"smtp_password\" type=\"password\" value=\"\""));
    assert_eq!(
        edit.matches("Stored; leave empty to keep.").count(),
        2,
        "{edit}"
    );
    assert!(edit.contains("name=\"reply_to_plus_address\" value=\"on\" checked"));
    assert!(edit.contains("<option value=\"starttls\" selected>STARTTLS</option>"));
    assert!(
        !edit.contains("s3cret") && !edit.contains("Rotate token"),
        "{edit}"
    );
    assert!(
        edit.contains("Mail poller") && edit.contains("starts again at 0 when Charla restarts")
    );
    let (_, v) = api.get("/api/v1/inboxes").await;
    let e = &v["inboxes"][0]["email"];
    assert_eq!(
        (
            e["imap"]["password_set"].as_bool(),
            e["smtp"]["password_set"].as_bool(),
            e["poll_seconds"].as_u64(),
            e["reply_to_plus_address"].as_bool()
        ),
        (Some(true), Some(true), Some(45), Some(true)),
        "{v}"
    );

    // Saved again with empty passwords: the stored ones stay (host, port and user are
    // the ones they were stored for); other fields change.
    let edit_path = format!("/admin/inboxes/{id}");
    let mut again = with(form_fields("993"), "imap_password", "");
    again = with(again, "smtp_password", "");
    again = with(again, "imap_security", "starttls");
    again.retain(|(k, _)| *k != "reply_to_plus_address");
    let r = admin.submit(&edit_path, &edit_path, &pairs(&again)).await;
    assert_eq!(location(&r), "/admin/inboxes?flash=inbox_saved");
    // Another port with an empty password: refused, the password must be typed again.
    again = with(again, "imap_port", "143");
    let r = admin.submit(&edit_path, &edit_path, &pairs(&again)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("IMAP password: type the password again: the port changed")
            && body.contains("value=\"143\""),
        "{body}"
    );
    let r = admin
        .submit(
            &edit_path,
            &edit_path,
            &pairs(&with(again.clone(), "imap_password", "s3cret-imap-143")),
        )
        .await;
    assert_eq!(location(&r), "/admin/inboxes?flash=inbox_saved");
    let (_, v) = api.get("/api/v1/inboxes").await;
    let e = &v["inboxes"][0]["email"];
    assert_eq!(
        (
            e["imap"]["port"].as_u64(),
            e["imap"]["security"].as_str(),
            e["imap"]["password_set"].as_bool(),
            e["smtp"]["password_set"].as_bool(),
            e["reply_to_plus_address"].as_bool()
        ),
        (
            Some(143),
            Some("starttls"),
            Some(true),
            Some(true),
            Some(false)
        ),
        "{v}"
    );
    // A refused edit keeps what was typed.
    let r = admin
        .submit(
            &edit_path,
            &edit_path,
            &pairs(&with(again.clone(), "smtp_host", "smtp://x")),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("SMTP host: must be a host name") && body.contains("value=\"smtp://x\""),
        "{body}"
    );

    // "Test connection" with htmx answers just the result: here both ports are closed.
    let (imap_port, smtp_port) = (closed_port().to_string(), closed_port().to_string());
    let mut closed = with(again.clone(), "imap_host", "127.0.0.1");
    closed = with(closed, "imap_port", &imap_port);
    closed = with(closed, "imap_security", "none");
    closed = with(closed, "smtp_host", "127.0.0.1");
    closed = with(closed, "smtp_port", &smtp_port);
    closed = with(closed, "smtp_security", "none");
    // Another host and port: the stored passwords are not for them.
    closed = with(closed, "imap_password", "typed-imap");
    closed = with(closed, "smtp_password", "typed-smtp");
    let (s, fragment) = htmx_post(
        &admin,
        &edit_path,
        &format!("{edit_path}/test"),
        &pairs(&closed),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !fragment.contains("<html"),
        "a fragment, not a page: {fragment}"
    );
    assert_eq!(
        fragment.matches("Failed at: Connection refused").count(),
        2,
        "{fragment}"
    );
    assert!(
        fragment.contains(&format!("127.0.0.1:{imap_port} refused the connection")),
        "{fragment}"
    );
    // Invalid values are not tried; the fragment says why.
    let (_, fragment) = htmx_post(
        &admin,
        &edit_path,
        &format!("{edit_path}/test"),
        &pairs(&with(closed.clone(), "smtp_port", "x")),
    )
    .await;
    assert!(
        fragment.contains("Not tested. SMTP port: must be a port number"),
        "{fragment}"
    );
    // Without JavaScript the button posts the form: the whole page, values kept.
    let typed = with(closed.clone(), "imap_password", "typed-but-not-shown");
    let r = admin
        .submit(&edit_path, &format!("{edit_path}/test"), &pairs(&typed))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("<h1>Support mail</h1>") && page.contains("Failed at: Connection refused")
    );
    assert!(
        page.contains(&format!("value=\"{imap_port}\"")),
        "values kept"
    );
    assert!(!page.contains("typed-but-not-shown") && page.contains("type them again"));
    // The same on the new-inbox form, before anything is saved.
    let (s, fragment) = htmx_post(
        &admin,
        "/admin/inboxes",
        "/admin/inboxes/test",
        &pairs(&closed),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        fragment.matches("Failed at: Connection refused").count(),
        2,
        "{fragment}"
    );
    // Nothing was saved by testing.
    let (_, v) = api.get("/api/v1/inboxes").await;
    assert_eq!(
        v["inboxes"][0]["email"]["imap"]["host"],
        "imap.shop.example"
    );

    // Agents may not test (nor see) settings.
    create_agent(&admin, "Luis", "luis@example.com", "agent", "luis password").await;
    let luis = app.client();
    luis.login("luis@example.com", "luis password").await;
    let token = luis.csrf("/profile").await;
    let mut as_luis = vec![("csrf", token.as_str())];
    as_luis.extend(pairs(&closed));
    assert_eq!(
        luis.post(&format!("{edit_path}/test"), &as_luis)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        luis.post("/admin/inboxes/test", &as_luis).await.status(),
        StatusCode::FORBIDDEN
    );
    app.stop().await;
}

/// The settings of an email inbox on the test servers, for the API.
fn settings(imap_port: u16, smtp_port: u16) -> Value {
    json!({
        "imap": {"host": "127.0.0.1", "port": imap_port, "security": "none", "username": "shop", "password": IMAP_PASSWORD, "folder": "INBOX"},
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none", "username": "mailer", "password": "smtp-pass"},
        "from_name": "Shop", "from_address": "support@shop.example", "poll_seconds": 3600
    })
}

/// `POST /api/v1/inboxes/{id}/test` with `body`: (imap, smtp).
async fn probe(api: &Api, id: u64, body: Value) -> (Value, Value) {
    let (s, v) = api.post(&format!("/api/v1/inboxes/{id}/test"), body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    (v["imap"].clone(), v["smtp"].clone())
}

/// `settings` with `f` applied, as a test body.
fn tweak(base: &Value, f: impl FnOnce(&mut Value)) -> Value {
    let mut e = base.clone();
    f(&mut e);
    json!({ "email": e })
}

fn step(side: &Value) -> (bool, &str) {
    (
        side["ok"].as_bool().unwrap(),
        side["step"].as_str().unwrap(),
    )
}

/// Polls the edit page until it contains `needle`; returns the page.
async fn wait_page(c: &Client, path: &str, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, page) = c.get_text(path).await;
        if page.contains(needle) {
            return page;
        }
        assert!(
            Instant::now() < deadline,
            "{path} never showed {needle:?}:\n{page}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs dovecot + aiosmtpd; run ./scripts/test (it installs them)"]
async fn test_connection_names_each_failing_step() {
    let dovecot = Dovecot::start();
    let sink = SmtpSink::start_with_auth("mailer", "smtp-pass");
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (_, uid) = dovecot
        .append("shop", "INBOX", b"From: Maria <maria@example.org>\r\nTo: support@shop.example\r\nSubject: Hola\r\nMessage-ID: <m1@example.org>\r\n\r\nHola\r\n")
        .await;
    let base = settings(dovecot.port(), sink.port());
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Support", "channel": "email", "email": base}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_u64().unwrap();

    // The stored settings ({}): both sides pass, with what was checked.
    let (imap, smtp) = probe(&api, id, json!({})).await;
    assert_eq!(
        (step(&imap), step(&smtp)),
        ((true, "ok"), (true, "ok")),
        "{imap} {smtp}"
    );
    assert!(
        imap["detail"].as_str().unwrap().contains("holds 1 message"),
        "{imap}"
    );
    let d = smtp["detail"].as_str().unwrap();
    assert!(
        d.contains("signed in as mailer") && d.contains("no mail was sent"),
        "{smtp}"
    );
    // Empty passwords in the body are the stored ones.
    let (imap, smtp) = probe(
        &api,
        id,
        tweak(&base, |e| {
            e["imap"]["password"] = json!("");
            e["smtp"]["password"] = Value::Null;
        }),
    )
    .await;
    assert_eq!(
        (step(&imap), step(&smtp)),
        ((true, "ok"), (true, "ok")),
        "{imap} {smtp}"
    );

    // Each failing step, named, with the server's words.
    let (imap, smtp) = probe(
        &api,
        id,
        tweak(&base, |e| e["imap"]["password"] = json!("wrong")),
    )
    .await;
    assert_eq!(step(&imap), (false, "authentication"), "{imap}");
    assert_eq!(
        step(&smtp),
        (true, "ok"),
        "the other side is still tried: {smtp}"
    );
    assert!(
        imap["detail"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("authentication failed"),
        "{imap}"
    );
    let (imap, _) = probe(
        &api,
        id,
        tweak(&base, |e| e["imap"]["port"] = json!(closed_port())),
    )
    .await;
    assert_eq!(step(&imap), (false, "refused"), "{imap}");
    let (imap, smtp) = probe(
        &api,
        id,
        tweak(&base, |e| {
            e["imap"]["host"] = json!("nonexistent.invalid");
            e["smtp"]["host"] = json!("nonexistent.invalid");
        }),
    )
    .await;
    assert_eq!(
        (step(&imap), step(&smtp)),
        ((false, "dns"), (false, "dns")),
        "{imap} {smtp}"
    );
    let (imap, _) = probe(
        &api,
        id,
        tweak(&base, |e| e["imap"]["folder"] = json!("Archive/Nope")),
    )
    .await;
    assert_eq!(step(&imap), (false, "folder"), "{imap}");
    assert!(
        imap["detail"].as_str().unwrap().contains("Archive/Nope"),
        "{imap}"
    );
    let (_, smtp) = probe(
        &api,
        id,
        tweak(&base, |e| e["smtp"]["password"] = json!("wrong")),
    )
    .await;
    assert_eq!(step(&smtp), (false, "authentication"), "{smtp}");
    assert!(smtp["detail"].as_str().unwrap().contains("535"), "{smtp}");
    // No user on a server that requires AUTH: refused at MAIL FROM, in its words.
    let (_, smtp) = probe(
        &api,
        id,
        tweak(&base, |e| e["smtp"]["username"] = json!("")),
    )
    .await;
    assert_eq!(step(&smtp), (false, "sender"), "{smtp}");
    assert!(smtp["detail"].as_str().unwrap().contains("530"), "{smtp}");
    let (_, smtp) = probe(
        &api,
        id,
        tweak(&base, |e| e["smtp"]["security"] = json!("starttls")),
    )
    .await;
    assert_eq!(step(&smtp), (false, "tls"), "{smtp}");
    assert!(
        smtp["detail"].as_str().unwrap().contains("STARTTLS"),
        "{smtp}"
    );
    // TLS with a certificate nobody vouches for.
    let tls = Dovecot::start_tls();
    let (imap, _) = probe(
        &api,
        id,
        tweak(&base, |e| {
            e["imap"]["port"] = json!(tls.imaps_port().unwrap());
            e["imap"]["security"] = json!("tls");
        }),
    )
    .await;
    assert_eq!(step(&imap), (false, "tls"), "{imap}");
    assert!(
        imap["detail"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("certificate"),
        "{imap}"
    );

    // Testing changed nothing: the mail is still there, unread, and nothing was sent.
    assert_eq!(dovecot.uids("shop").await, vec![uid]);
    assert!(sink.messages().is_empty(), "a test sent mail");
    let (_, v) = api.get("/api/v1/inboxes").await;
    assert_eq!(
        v["inboxes"][0]["email"]["imap"]["folder"], "INBOX",
        "nothing saved"
    );

    // Bad input is refused as on save; only email inboxes and admins.
    let (s, v) = api
        .post(
            &format!("/api/v1/inboxes/{id}/test"),
            tweak(&base, |e| e["imap"]["port"] = json!(0)),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("email.imap.port"),
        "{v}"
    );
    let (s, _) = api
        .post(&format!("/api/v1/inboxes/{id}/test"), json!({"imap": {}}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "unknown fields are named");
    let (api_inbox, _) = api.inbox("Web", &[], None).await;
    let (s, _) = api
        .post(&format!("/api/v1/inboxes/{api_inbox}/test"), json!({}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = api.post("/api/v1/inboxes/999999/test", json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    create_agent(&admin, "Luis", "luis@example.com", "agent", "luis password").await;
    let luis = app.client();
    luis.login("luis@example.com", "luis password").await;
    let luis_api = Api::for_client(&luis).await;
    let (s, _) = luis_api
        .post(&format!("/api/v1/inboxes/{id}/test"), json!({}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The poller's health on the settings page: it fetched the mail at once.
    let path = format!("/admin/inboxes/{id}");
    let validity = dovecot.uidvalidity("shop").await;
    let page = wait_page(
        &admin,
        &path,
        &format!("UIDVALIDITY {validity}, highest UID stored {uid}"),
    )
    .await;
    assert!(
        page.contains("<strong>1</strong> <span class=\"muted\">since Charla started"),
        "{page}"
    );
    assert!(
        !page.contains("not yet since Charla started"),
        "the success is shown: {page}"
    );
    // A mailbox the poller cannot open: its error, with the failing step, on the page.
    let mut bad = base.clone();
    bad["imap"]["password"] = json!("wrong");
    let (_, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Broken", "channel": "email", "email": bad}),
        )
        .await;
    let broken = v["id"].as_u64().unwrap();
    let page = wait_page(
        &admin,
        &format!("/admin/inboxes/{broken}"),
        "authentication failed",
    )
    .await;
    assert!(page.contains("class=\"poll-error\""), "{page}");
    assert!(page.contains("no mail stored yet from INBOX"), "{page}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs dovecot + aiosmtpd; run ./scripts/test (it installs them)"]
async fn replies_carry_the_plus_address_reply_to_when_asked() {
    use charla::workers::mail::poll_once;
    let dovecot = Dovecot::start();
    let sink = SmtpSink::start();
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let mut email = settings(dovecot.port(), sink.port());
    email["smtp"]["username"] = json!("");
    email["reply_to_plus_address"] = json!(true);
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Support", "channel": "email", "email": email}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_u64().unwrap();
    dovecot
        .append("shop", "INBOX", b"From: Maria <maria@example.org>\r\nTo: support@shop.example\r\nSubject: Pedido\r\nMessage-ID: <m1@example.org>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nDonde esta mi pedido?\r\n")
        .await;
    poll_once(&app.services(), charla::domain::InboxId(id))
        .await
        .unwrap();
    let (_, list) = api.get("/api/v1/conversations?view=all").await;
    let conv = list["conversations"][0]["id"].as_u64().unwrap();
    let reply = |text: &'static str| {
        let api = &api;
        async move {
            let (s, m) = api
                .post(
                    &format!("/api/v1/conversations/{conv}/messages"),
                    json!({"content": text}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{m}");
        }
    };
    reply("Llega mañana.").await;
    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    let mail = got[0].text();
    // The token is the conversation's: the same one our signed Message-ID carries.
    let mid = mail
        .lines()
        .find(|l| l.starts_with("Message-ID: <charla."))
        .unwrap_or_else(|| panic!("{mail}"));
    let token = mid
        .trim_start_matches("Message-ID: <charla.")
        .split('.')
        .next()
        .unwrap();
    assert_eq!(token.len(), 32, "{mid}");
    assert!(
        mail.contains(&format!("\r\nReply-To: support+{token}@shop.example\r\n")),
        "{mail}"
    );
    // Turned off: no Reply-To.
    email["reply_to_plus_address"] = json!(false);
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/inboxes/{id}"),
            Some(json!({"email": email})),
        )
        .await;
    assert_eq!(
        (s, v["email"]["reply_to_plus_address"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{v}"
    );
    reply("Ya salió.").await;
    let got = sink.wait_for(2, Duration::from_secs(10)).await;
    assert!(!got[1].text().contains("\nReply-To:"), "{}", got[1].text());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver + dovecot + aiosmtpd; run ./scripts/test (it installs them)"]
async fn browser_email_inbox_settings_and_test_connection() {
    let dovecot = Dovecot::start();
    let sink = SmtpSink::start();
    let app = TestApp::start().await;
    app.admin().await;
    let url = app.url.clone();
    let (imap_port, smtp_port) = (dovecot.port().to_string(), sink.port().to_string());
    with_browsers(
        "browser_email_inbox_settings_and_test_connection",
        |b| async move {
            let c = b.open().await?;
            c.goto(&format!("{url}/login")).await?;
            sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
            c.goto(&format!("{url}/admin/inboxes")).await?;
            wait_path(&c, "/admin/inboxes").await?;
            let new = "/admin/inboxes";
            let field = |name: &str| format!(r#"form[action="{new}"] [name="{name}"]"#);
            // API is the default: the email fields are hidden until Email is picked.
            assert!(
                !c.find(css(&field("imap_host")))
                    .await?
                    .is_displayed()
                    .await?
            );
            assert!(
                c.find(css(&field("webhook_url")))
                    .await?
                    .is_displayed()
                    .await?
            );
            c.find(css(&field("channel")))
                .await?
                .select_by_value("email")
                .await?;
            assert!(
                c.find(css(&field("imap_host")))
                    .await?
                    .is_displayed()
                    .await?
            );
            assert!(
                !c.find(css(&field("webhook_url")))
                    .await?
                    .is_displayed()
                    .await?
            );
            for (name, value) in [
                ("name", "Support mail"),
                ("imap_host", "127.0.0.1"),
                ("imap_port", imap_port.as_str()),
                ("imap_username", "shop"),
                ("imap_password", IMAP_PASSWORD),
                ("smtp_host", "127.0.0.1"),
                ("smtp_port", smtp_port.as_str()),
                ("from_name", "Shop support"),
                ("from_address", "support@shop.example"),
            ] {
                fill(&c, new, name, value).await?;
            }
            for sel in ["imap_security", "smtp_security"] {
                c.find(css(&field(sel)))
                    .await?
                    .select_by_value("none")
                    .await?;
            }
            // Test before saving: the result appears in place.
            c.find(css(r#"button[formaction="/admin/inboxes/test"]"#))
                .await?
                .click()
                .await?;
            wait_text(&c, "#probe-imap", "Connected").await?;
            wait_text(&c, "#probe-smtp", "Connected").await?;
            wait_path(&c, "/admin/inboxes").await?;
            c.find(css(r#"form[action="/admin/inboxes"] button.btn-primary"#))
                .await?
                .click()
                .await?;
            wait_text(&c, ".flash", "Inbox saved.").await?;
            c.find(css(r#"#inboxes a[href^="/admin/inboxes/"]"#))
                .await?
                .click()
                .await?;
            wait_text(&c, "h1", "Support mail").await?;
            let path = c.current_url().await?.path().to_string();
            // The poller fetched the (empty) folder at once: reload until the page says so.
            let deadline = Instant::now() + Duration::from_secs(15);
            while c
                .find(css("#poller"))
                .await?
                .text()
                .await?
                .contains("not yet")
            {
                assert!(Instant::now() < deadline, "the poller never reported");
                tokio::time::sleep(Duration::from_millis(200)).await;
                c.refresh().await?;
            }
            // The stored passwords are not shown; testing uses them.
            let pw = c
                .find(css(&format!(
                    r#"form[action="{path}"] [name="imap_password"]"#
                )))
                .await?;
            assert_eq!(pw.prop("value").await?.unwrap_or_default(), "");
            wait_text(
                &c,
                &format!(r#"form[action="{path}"]"#),
                "Stored; leave empty to keep.",
            )
            .await?;
            c.find(css(&format!(r#"button[formaction="{path}/test"]"#)))
                .await?
                .click()
                .await?;
            wait_text(&c, "#probe-imap", "folder \"INBOX\" holds 0 messages").await?;
            // A wrong password: IMAP fails at authentication, SMTP still passes.
            fill(&c, &path, "imap_password", "wrong password").await?;
            c.find(css(&format!(r#"button[formaction="{path}/test"]"#)))
                .await?
                .click()
                .await?;
            wait_text(&c, "#probe-imap", "Failed at: Authentication").await?;
            wait_text(&c, "#probe-smtp", "Connected").await?;
            // The whole page, for the docs.
            c.set_window_size(1280, 2150).await?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            let png = c.screenshot().await?;
            let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("docs/screenshots/email-inbox-settings.png");
            std::fs::write(&out, png)?;
            Ok(())
        },
    )
    .await;
    app.stop().await;
}
