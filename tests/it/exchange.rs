//! `charla export` and `charla import` as the real binary, on data made through the API:
//! export → import → export gives the same file, a contact's export holds only that
//! contact, a non-empty or damaged target is refused and left as it was, HTML escapes
//! customer text and mbox quotes From_ lines; and a contact's "Download conversations"
//! gives an agent only the conversations of their inboxes.

use super::common::*;
use super::security_contacts::email_inbox;
use charla::domain::InboxId;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};

fn charla(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_charla"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn err(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every line's `type`.
fn types(jsonl: &str) -> Vec<String> {
    jsonl
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// A mail with an HTML body, a PDF, and a body line that reads as an mbox From_ line.
const MAIL: &str = "From: Carla Pérez <carla@customer.example>\r\nTo: support@shop.example\r\n\
    Subject: Factura =?utf-8?q?peque=C3=B1a?=\r\nMessage-ID: <inv-1@customer.example>\r\n\
    Date: Sat, 21 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
    Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\n\
    Content-Type: multipart/alternative; boundary=\"A\"\r\n\r\n--A\r\n\
    Content-Type: text/plain; charset=utf-8\r\n\r\nHola,\r\nFrom the warehouse they say it left.\r\n>From quoted too\r\n\r\n--A\r\n\
    Content-Type: text/html; charset=utf-8\r\n\r\n<p>Hola, <b>From</b> the warehouse</p>\r\n--A--\r\n--B\r\n\
    Content-Type: application/pdf; name=\"factura.pdf\"\r\n\
    Content-Disposition: attachment; filename=\"factura.pdf\"\r\n\
    Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcTl8uXrCg==\r\n--B--\r\n";

struct Data {
    app: TestApp,
    api: Api,
    /// The admin's personal API token works on an imported copy too.
    token: String,
    carla: u64,
    script_conv: u64,
    luis_web: Client,
}

/// An installation with a record of every kind, made through the API and the mail
/// ingest: agents (one invited), a token, a team, API, email and website inboxes,
/// conversations with notes and mentions, assignment, snooze, close, a read state, an
/// email with HTML and a PDF, an outbound reply waiting in the outbox, dedupe keys.
async fn data() -> Data {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let luis = api
        .agent("Luis Díaz", "luis@example.com", "agent", "luis password")
        .await;
    let (s, v) = api
        .post(
            "/api/v1/agents",
            json!({"name": "Invited Ida", "email": "ida@example.com", "role": "agent"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, team) = api
        .post(
            "/api/v1/teams",
            json!({"name": "Ventas", "member_ids": [luis]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{team}");
    let (shop, shop_token) = api
        .inbox("Shop API", &[luis], Some("http://127.0.0.1:9/hook"))
        .await;
    let (hidden, hidden_token) = api.inbox("Hidden API", &[], None).await;
    let mail = email_inbox(&api, 9).await;
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Web chat", "channel": "website", "member_ids": [luis]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // Carla writes to the shop, to the hidden inbox, and by mail.
    let carla_in = |content: &str, source: &str| json!({"source_id": source, "contact": {"identifier": "carla-1", "name": "Carla Pérez", "email": "carla@customer.example"}, "content": content});
    let (_, r) = incoming(
        &app.url,
        shop,
        &shop_token,
        carla_in("<script>alert('x')</script> ¿y mi pedido?", "s-1"),
    )
    .await;
    let script_conv = r["conversation_id"].as_u64().unwrap();
    let (_, r) = incoming(
        &app.url,
        hidden,
        &hidden_token,
        carla_in("only the hidden inbox knows this", "h-1"),
    )
    .await;
    let hidden_conv = r["conversation_id"].as_u64().unwrap();
    let m = app
        .services()
        .ingest_mail(InboxId(mail), "INBOX", 3, 41, MAIL.as_bytes().to_vec())
        .await
        .unwrap();
    let (_, page) = api
        .get(&format!("/api/v1/conversations/{script_conv}"))
        .await;
    let carla = page["conversation"]["contact"]["id"].as_u64().unwrap();
    // Someone else, in the shop inbox.
    let (_, r) = incoming(
        &app.url,
        shop,
        &shop_token,
        json!({"source_id": "p-1", "contact": {"identifier": "pedro", "name": "Pedro"}, "content": "hello"}),
    )
    .await;
    let pedro_conv = r["conversation_id"].as_u64().unwrap();
    // A reply (to the webhook: waits in the outbox), a note with a mention, states.
    reply(&api, script_conv, "Ya sale, Carla.").await;
    let (s, v) = api
        .post(
            &format!("/api/v1/conversations/{script_conv}/messages"),
            json!({"content": "@Luis Díaz mira esto", "private": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = api
        .post(
            &format!("/api/v1/conversations/{pedro_conv}/assign"),
            json!({"agent_id": luis, "team_id": team["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = api
        .post(
            &format!("/api/v1/conversations/{pedro_conv}/status"),
            json!({"status": "snoozed", "snoozed_until": "2030-01-01T09:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = api
        .post(
            &format!("/api/v1/conversations/{hidden_conv}/status"),
            json!({"status": "closed", "note": "done"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Luis reads his conversation (a read state).
    let luis_web = app.client();
    luis_web.login("luis@example.com", "luis password").await;
    assert_eq!(
        luis_web
            .get(&format!("/conversations/{script_conv}"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        admin
            .get(&format!(
                "/conversations/{}/messages/{}/attachments/0",
                m.conversation_id, m.message_id
            ))
            .await
            .status(),
        StatusCode::OK
    );
    let token = api.token.clone();
    Data {
        app,
        api,
        token,
        carla,
        script_conv,
        luis_web,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_import_export_is_identical_and_the_copy_works() {
    let Data {
        mut app,
        api,
        token,
        carla,
        script_conv,
        ..
    } = data().await;
    let (_, before) = api
        .get(&format!("/api/v1/conversations/{script_conv}"))
        .await;
    app.pause().await;
    let src = app.dir.path().join("data");
    let work = tempfile::tempdir().unwrap();
    let (a, b) = (work.path().join("a.jsonl"), work.path().join("b.jsonl"));
    let o = charla(&[
        "--data",
        s(&src),
        "export",
        "--format",
        "jsonl",
        "--output",
        s(&a),
    ]);
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stderr).contains("records to"));
    let first = std::fs::read_to_string(&a).unwrap();
    let kinds = types(&first);
    for kind in [
        "header",
        "store",
        "agent",
        "api_token",
        "invite",
        "team",
        "inbox",
        "contact",
        "contact_key",
        "latest_conversation",
        "conversation",
        "message",
        "event",
        "mail_html",
        "attachment",
        "mention",
        "dedupe",
        "read_state",
        "job",
        "position",
        "audit",
        "end",
    ] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "no {kind} line in the export"
        );
    }
    assert_eq!(kinds.first().map(String::as_str), Some("header"));
    assert_eq!(kinds.last().map(String::as_str), Some("end"));
    // Secrets: the inbox tokens and the mail password are sealed, never in plain text.
    assert!(
        !first.contains("charla_inbox_"),
        "an inbox token in plain text"
    );
    assert!(
        !first.contains("\"secret\""),
        "the mail password in plain text"
    );
    assert!(first.contains("\"api_token_sealed\":\"v1:"));

    // Into a new directory that has the installation key.
    let dst = work.path().join("copy");
    std::fs::create_dir_all(&dst).unwrap();
    std::fs::copy(src.join("secret.key"), dst.join("secret.key")).unwrap();
    let out = ok(&charla(&[
        "--data",
        s(&dst),
        "import",
        "--format",
        "jsonl",
        s(&a),
    ]));
    assert!(
        out.contains("imported") && out.contains("same file"),
        "{out}"
    );
    ok(&charla(&[
        "--data",
        s(&dst),
        "export",
        "--format",
        "jsonl",
        "--output",
        s(&b),
    ]));
    assert!(
        std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
        "export → import → export changed the file"
    );
    // Standard output gives the same bytes.
    let stdout = ok(&charla(&["--data", s(&dst), "export", "--format", "jsonl"]));
    assert_eq!(stdout, first);

    // The copy serves the same data to the same token.
    let server = Server::start(&dst);
    let copy = Api::with_token(&server.url, &token);
    let (st, after) = copy
        .get(&format!("/api/v1/conversations/{script_conv}"))
        .await;
    assert_eq!(st, StatusCode::OK, "{after}");
    let brief = |page: &Value| -> Vec<(Value, Value, Value)> {
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["id"].clone(),
                    m["direction"].clone(),
                    m["content"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(brief(&after), brief(&before));
    assert_eq!(brief(&before).len(), 3, "{before}");
    assert_eq!(after["conversation"]["contact"]["id"], carla);
    let (_, list) = copy.get("/api/v1/conversations?view=snoozed").await;
    assert_eq!(list["conversations"].as_array().unwrap().len(), 1, "{list}");
    assert!(login_ok(&server.url, "luis@example.com", "luis password").await);
    drop(server);
    app.resume().await;
    app.stop().await;
}

async fn login_ok(url: &str, email: &str, password: &str) -> bool {
    Client::new(url).login(email, password).await.status() == StatusCode::SEE_OTHER
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_export_holds_that_contact_only_and_renders_safely() {
    let Data {
        mut app,
        carla,
        script_conv,
        ..
    } = data().await;
    app.pause().await;
    let src = app.dir.path().join("data");
    let id = carla.to_string();
    let jsonl = ok(&charla(&[
        "--data",
        s(&src),
        "export",
        "--format",
        "jsonl",
        "--contact",
        &id,
    ]));
    let lines: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["scope"], "contact");
    assert_eq!(lines[0]["contact_id"], carla);
    let mut convs = 0;
    for l in &lines[1..lines.len() - 1] {
        match l["type"].as_str().unwrap() {
            "contact" => assert_eq!(l["id"], carla),
            "conversation" => {
                convs += 1;
                assert_eq!(l["contact_id"], carla, "{l}");
            }
            "message" | "event" | "attachment" | "mail_html" => {}
            other => panic!("a contact export holds a {other} record: {l}"),
        }
    }
    assert_eq!(convs, 3, "the shop, hidden and mail conversations");
    assert!(!jsonl.contains("Pedro") && !jsonl.contains("argon2"));

    // HTML: escaped, the attachment listed, one section per conversation.
    let html = ok(&charla(&[
        "--data",
        s(&src),
        "export",
        "--format",
        "html",
        "--contact",
        &id,
    ]));
    assert!(html.starts_with("<!doctype html>") && html.contains("<h1>"));
    assert!(
        !html.contains("<script>alert"),
        "customer text became markup"
    );
    assert!(html.contains("&#60;script&#62;alert("));
    assert!(html.contains("factura.pdf (application/pdf"));
    assert_eq!(html.matches("<section class=\"conv\"").count(), 3);
    assert!(html.contains("(internal note)"));
    assert!(html.contains(&format!("id=\"conversation-{script_conv}\"")));
    assert!(html.contains("Times are in UTC") && html.contains(" UTC</time>"));
    // The installation's [ui] language and time zone: Spanish, times in Madrid's.
    let es = Command::new(env!("CARGO_BIN_EXE_charla"))
        .args([
            "--data",
            s(&src),
            "export",
            "--format",
            "html",
            "--contact",
            &id,
        ])
        .env_remove("RUST_LOG")
        .env("CHARLA__UI__LANGUAGE", "es")
        .env("CHARLA__UI__TIMEZONE", "Europe/Madrid")
        .output()
        .unwrap();
    let es = ok(&es);
    assert!(es.contains("<html lang=\"es\">"), "{es}");
    assert!(es.contains("Conversaciones con ") && es.contains("(nota privada)"));
    assert!(es.contains("Las horas están en Europe/Madrid"));
    assert!(!es.contains("(internal note)") && !es.contains(" UTC</time>"));
    assert!(
        es.contains(" CET</time>") || es.contains(" CEST</time>"),
        "{es}"
    );

    // mbox: every message starts at a From_ line after a blank line; the body's
    // "From the warehouse" is quoted, and unquoting gives the text back.
    let mbox = ok(&charla(&[
        "--data",
        s(&src),
        "export",
        "--format",
        "mbox",
        "--contact",
        &id,
    ]));
    let starts: Vec<usize> = mbox
        .split('\n')
        .enumerate()
        .filter(|(n, l)| {
            l.starts_with("From ") && (*n == 0 || mbox.split('\n').nth(n - 1) == Some(""))
        })
        .map(|(n, _)| n)
        .collect();
    let froms = mbox.lines().filter(|l| l.starts_with("From ")).count();
    assert_eq!(
        starts.len(),
        froms,
        "a From_ line inside a body is unquoted:\n{mbox}"
    );
    // Carla's three inbound messages and the agent's reply (the note is left out).
    assert_eq!(froms, 4, "{mbox}");
    assert!(
        mbox.contains("\n>From the warehouse they say it left.\n"),
        "{mbox}"
    );
    assert!(mbox.contains("\n>>From quoted too\n"), "{mbox}");
    assert!(mbox.contains("Message-ID: <inv-1@customer.example>"));
    assert!(
        mbox.contains("Subject: =?utf-8?b?"),
        "non-ASCII subjects are encoded"
    );
    assert!(mbox.contains("[Attachment: factura.pdf (application/pdf"));
    assert!(!mbox.contains("mira esto"), "internal notes are not mail");
    for block in mbox.split("\n\nFrom ").skip(1) {
        assert!(
            block.lines().nth(1).unwrap().starts_with("From: "),
            "{block}"
        );
    }

    // An unknown contact is refused in words; a --output file appears only when done.
    let o = charla(&[
        "--data",
        s(&src),
        "export",
        "--format",
        "html",
        "--contact",
        "999999",
    ]);
    assert!(err(&o).contains("there is no contact 999999"));
    let out = app.dir.path().join("carla.html");
    ok(&charla(&[
        "--data",
        s(&src),
        "export",
        "--format",
        "html",
        "--contact",
        &id,
        "--output",
        s(&out),
    ]));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), html);
    assert!(!out.with_extension("partial").exists());
    app.resume().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_refuses_what_it_cannot_take_and_changes_nothing() {
    let Data { mut app, carla, .. } = data().await;
    app.pause().await;
    let src = app.dir.path().join("data");
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("all.jsonl");
    ok(&charla(&[
        "--data",
        s(&src),
        "export",
        "--format",
        "jsonl",
        "--output",
        s(&file),
    ]));
    let snapshot = ok(&charla(&["--data", s(&src), "export", "--format", "jsonl"]));

    // A directory with data: refused, and it exports the same afterwards.
    let e = err(&charla(&[
        "--data",
        s(&src),
        "import",
        "--format",
        "jsonl",
        s(&file),
    ]));
    assert!(
        e.contains("is not empty") && e.contains("new data directory"),
        "{e}"
    );
    assert_eq!(
        ok(&charla(&["--data", s(&src), "export", "--format", "jsonl"])),
        snapshot
    );

    // Without the exporting installation's key: refused before anything is written.
    let fresh = work.path().join("fresh");
    let e = err(&charla(&[
        "--data",
        s(&fresh),
        "import",
        "--format",
        "jsonl",
        s(&file),
    ]));
    assert!(e.contains("secret.key"), "{e}");
    assert!(!fresh.join("db").exists() && !fresh.join("secret.key").exists());
    // With another key.
    std::fs::create_dir_all(&fresh).unwrap();
    std::fs::write(fresh.join("secret.key"), "x".repeat(40)).unwrap();
    let e = err(&charla(&[
        "--data",
        s(&fresh),
        "import",
        "--format",
        "jsonl",
        s(&file),
    ]));
    assert!(e.contains("another installation key"), "{e}");
    assert!(!fresh.join("db").exists());
    std::fs::copy(src.join("secret.key"), fresh.join("secret.key")).unwrap();

    // Damaged, truncated, a contact's export, not JSONL: refused, nothing written.
    let text = std::fs::read_to_string(&file).unwrap();
    let damaged = work.path().join("damaged.jsonl");
    std::fs::write(&damaged, text.replacen("Carla Pérez", "Carla Perez", 1)).unwrap();
    let e = err(&charla(&[
        "--data",
        s(&fresh),
        "import",
        "--format",
        "jsonl",
        s(&damaged),
    ]));
    assert!(e.contains("damaged"), "{e}");
    let cut: String = text.lines().take(5).map(|l| format!("{l}\n")).collect();
    std::fs::write(&damaged, cut).unwrap();
    let e = err(&charla(&[
        "--data",
        s(&fresh),
        "import",
        "--format",
        "jsonl",
        s(&damaged),
    ]));
    assert!(e.contains("truncated"), "{e}");
    let one = work.path().join("one.jsonl");
    ok(&charla(&[
        "--data",
        s(&src),
        "export",
        "--format",
        "jsonl",
        "--contact",
        &carla.to_string(),
        "--output",
        s(&one),
    ]));
    let e = err(&charla(&[
        "--data",
        s(&fresh),
        "import",
        "--format",
        "jsonl",
        s(&one),
    ]));
    assert!(e.contains("not a whole export"), "{e}");
    std::fs::write(&damaged, "{\"hello\": 1}\n").unwrap();
    let e = err(&charla(&[
        "--data",
        s(&fresh),
        "import",
        "--format",
        "jsonl",
        s(&damaged),
    ]));
    assert!(e.contains("not a Charla export"), "{e}");
    let e = err(&charla(&[
        "--data",
        s(&fresh),
        "import",
        "--format",
        "html",
        s(&file),
    ]));
    assert!(e.contains("only --format jsonl"), "{e}");
    assert!(
        !fresh.join("db").exists(),
        "a refused import wrote a database"
    );
    // And the good file still goes in.
    ok(&charla(&[
        "--data",
        s(&fresh),
        "import",
        "--format",
        "jsonl",
        s(&file),
    ]));
    app.resume().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_conversations_gives_an_agent_only_their_inboxes() {
    let Data {
        app,
        carla,
        luis_web,
        ..
    } = data().await;
    let admin = app.client();
    admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = admin.get_text(&format!("/contacts/{carla}")).await.1;
    assert!(page.contains(&format!("href=\"/contacts/{carla}/export\"")));
    assert!(page.contains("Download conversations"));

    let r = admin.get(&format!("/contacts/{carla}/export")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let html = r.text().await.unwrap();
    assert_eq!(html.matches("<section class=\"conv\"").count(), 3);
    assert!(html.contains("only the hidden inbox knows this"));
    assert!(!html.contains("<script>alert"));

    // Luis is a member of the shop inbox only: its conversation, not the others.
    let r = luis_web.get(&format!("/contacts/{carla}/export")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert_eq!(html.matches("<section class=\"conv\"").count(), 1, "{html}");
    assert!(!html.contains("only the hidden inbox knows this"));
    assert!(!html.contains("Factura"));
    let r = luis_web
        .get(&format!("/contacts/{carla}/export?format=jsonl"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let jsonl = r.text().await.unwrap();
    let kinds = types(&jsonl);
    assert_eq!(kinds.iter().filter(|k| *k == "conversation").count(), 1);
    assert!(!jsonl.contains("only the hidden inbox knows this"));
    let r = luis_web
        .get(&format!("/contacts/{carla}/export?format=pdf"))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // A contact out of reach is a 404: see permissions.rs.
    // The download is in the audit log.
    let audit = admin.get_text("/admin/audit").await.1;
    assert!(audit.contains("contact.export"), "{audit}");
    app.stop().await;
}
