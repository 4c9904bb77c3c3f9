//! Issue 13, three smaller pieces: uploaded files carried by `charla export` /
//! `charla import` (across engines), a template sent later, and a messaging channel's
//! length limit counted on the text as the channel receives it.

use super::common::*;
use super::sms::{ACCOUNT, CUSTOMER, FROM, only_conversation, sms_inbox};
use super::twilio_fake;
use reqwest::StatusCode;
use serde_json::json;

/// SMS takes 1600 characters of plain text: `**…**` around 1600 letters is 1604 as
/// typed but 1600 as sent, so it goes (bold markers dropped); one letter more is
/// refused with the limit, and nothing is stored or sent.
#[actix_web::test]
async fn sms_limit_counts_the_text_as_sent_not_as_typed() {
    let (app, api, fake, inbox, hook) = sms_inbox().await;
    let msg = twilio_fake::inbound_sms(ACCOUNT, CUSTOMER, FROM, "¿Me mandas el catálogo?");
    assert_eq!(
        fake.post_webhook(&hook, &msg).await.status(),
        StatusCode::OK
    );
    let conv = only_conversation(&api, inbox).await;
    let at_limit = format!("**{}**", "a".repeat(1600));
    let id = reply(&api, conv, &at_limit).await;
    wait_status(&api, conv, id, "sent").await;
    let sent = fake.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].param("Body"), Some("a".repeat(1600).as_str()));

    let over = format!("**{}**", "a".repeat(1601));
    let path = format!("/api/v1/conversations/{conv}/messages");
    let (s, v) = api.post(&path, json!({"content": over})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("1600"), "{v}");
    // Scheduled replies are checked the same way.
    let later = "2099-01-01T10:00:00Z";
    let (s, v) = api
        .post(&path, json!({"content": over, "send_at": later}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(conversation_messages(&api, conv).await.len(), 2);
    assert_eq!(fake.sent().len(), 1, "nothing more went out");
    app.stop().await;
}

/// A template with `send_at`, from the API and from the composer's form: scheduled
/// with its final text (listed so on the conversation), nothing sent before its time,
/// then each sent once, to the webhook, with that text.
#[actix_web::test]
async fn a_template_sent_later_is_scheduled_with_its_text_and_sent_once() {
    let (hook_url, rx, hook) = super::webhook::start_receiver(vec![]).await;
    let app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (inbox, token) = api.inbox("Tienda", &[], Some(&hook_url)).await;
    let (_, v) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"source_id": "t-1", "contact": {"identifier": "c-1", "name": "Lucía Fernández"}, "content": "¿Y mi pedido?"}),
    )
    .await;
    let conv = v["conversation_id"].as_u64().unwrap();
    let (s, t) = api
        .post(
            "/api/v1/templates",
            json!({"name": "Pedido enviado", "language": "es", "body": "Hola {{contact.first_name}}, tu pedido {{order_number}} ya salió."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let tid = t["id"].as_u64().unwrap();
    let path = format!("/api/v1/conversations/{conv}/messages");
    // The test clock starts at 2026-05-28 20:26:40 UTC.
    let (s, v) = api
        .post(
            &path,
            json!({"template_id": tid, "fields": {"order_number": "48213"}, "send_at": "2026-05-28T21:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "scheduled", "{v}");
    assert_eq!(v["content"], "Hola Lucía, tu pedido 48213 ya salió.");
    // A field left empty is refused at scheduling, as when sending now.
    let (s, e) = api
        .post(
            &path,
            json!({"template_id": tid, "fields": {}, "send_at": "2026-05-28T21:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e.to_string().contains("order_number"), "{e}");
    // The composer's form (template id, fields as JSON, a picked time).
    let page = format!("/conversations/{conv}");
    let fields = json!({"order_number": "777"}).to_string();
    let r = web
        .submit(
            &page,
            &format!("{page}/messages"),
            &[
                ("mode", "reply"),
                ("template_id", &tid.to_string()),
                ("fields", &fields),
                ("schedule", "custom"),
                ("send_at_local", "2026-05-28T22:00"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, list) = api
        .get(&format!("/api/v1/conversations/{conv}/scheduled"))
        .await;
    let texts: Vec<&str> = list["scheduled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "Hola Lucía, tu pedido 48213 ya salió.",
            "Hola Lucía, tu pedido 777 ya salió."
        ]
    );
    let (_, pane) = web.get_text(&format!("/conversations/{conv}/pane")).await;
    assert!(pane.contains("id=\"scheduled\""), "{pane}");
    assert!(pane.contains("tu pedido 777 ya salió"), "{pane}");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(rx.got.lock().unwrap().is_empty(), "nothing before its time");

    // At their time: each once, with its final text.
    app.clock.advance_secs(2 * 3600);
    let mut got = vec![];
    for _ in 0..100 {
        got = rx.got.lock().unwrap().clone();
        if got.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let got = rx.got.lock().unwrap().clone();
    let mut sent: Vec<String> = got
        .iter()
        .map(|g| {
            let v: serde_json::Value = serde_json::from_slice(&g.2).unwrap();
            v["message"]["content"].as_str().unwrap().to_string()
        })
        .collect();
    sent.sort();
    assert_eq!(
        sent,
        [
            "Hola Lucía, tu pedido 48213 ya salió.",
            "Hola Lucía, tu pedido 777 ya salió."
        ]
    );
    let (_, list) = api
        .get(&format!("/api/v1/conversations/{conv}/scheduled"))
        .await;
    assert!(list["scheduled"].as_array().unwrap().is_empty(), "{list}");
    hook.stop(true).await;
    app.stop().await;
}

/// By email a template scheduled for later keeps its filled subject: the mail that goes
/// at its time has it.
#[actix_web::test]
#[ignore = "needs python3-aiosmtpd; run ./scripts/test (it installs it)"]
async fn a_template_scheduled_by_email_keeps_its_subject() {
    let sink = super::mail_servers::SmtpSink::start();
    let app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let mail = super::security_contacts::email_inbox(&api, sink.port()).await;
    let r = web
        .submit(
            "/",
            "/conversations/new",
            &[
                ("inbox_id", &mail.to_string()),
                ("to", "marta@example.org"),
                ("subject", "Hola"),
                ("content", "Te escribimos por tu pedido."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    sink.wait_for(1, std::time::Duration::from_secs(10)).await;
    let (_, list) = api.get("/api/v1/conversations?view=all").await;
    let conv = list["conversations"][0]["id"].as_u64().unwrap();
    let (s, t) = api
        .post(
            "/api/v1/templates",
            json!({"name": "Envío", "language": "es", "subject": "Pedido {{order_number}} enviado", "body": "Tu pedido {{order_number}} sale hoy."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let (s, v) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"template_id": t["id"], "fields": {"order_number": "4411"}, "send_at": "2026-05-28T21:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "scheduled", "{v}");
    app.clock.advance_secs(3600);
    let got = sink.wait_for(2, std::time::Duration::from_secs(10)).await;
    let raw = String::from_utf8_lossy(&got[1].raw);
    assert!(raw.contains("Subject: Pedido 4411 enviado"), "{raw}");
    assert!(raw.contains("Tu pedido 4411 sale hoy."), "{raw}");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(sink.messages().len(), 2, "sent once");
    app.stop().await;
}

/// A PDF of `n` bytes (over several 64 KB chunks when large), every byte position told
/// apart, so a chunk out of place or lost changes it.
fn pdf(n: usize) -> Vec<u8> {
    let mut b = b"%PDF-1.4\n".to_vec();
    b.extend((0..n - 9).map(|i| (i % 251) as u8 ^ (i / 251) as u8));
    b
}

/// Downloads attachment `i` of message `mid` (signed in as `web`).
async fn download(web: &Client, conv: u64, mid: u64, i: usize) -> Vec<u8> {
    let r = web
        .get(&format!(
            "/conversations/{conv}/messages/{mid}/attachments/{i}"
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    r.bytes().await.unwrap().to_vec()
}

/// Runs `charla --data DIR <args>` with extra environment; answers its standard output.
fn charla(data: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_charla"))
        .arg("--data")
        .arg(data)
        .args(args)
        .envs(env.iter().copied())
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The `type` of every line of an export.
fn kinds(file: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// An agent's reply with a 150 KB PDF (three chunks) and an image, and a file uploaded
/// but never sent: (conversation, message id, the two files' bytes).
async fn files_sent(web: &Client, api: &Api) -> (u64, u64, [Vec<u8>; 2]) {
    use super::uploads::{PNG, conversation, send, upload};
    let (_, conv) = conversation(api).await;
    let big = pdf(150_000);
    let (s, a) = upload(web, conv, "plano.pdf", "application/pdf", &big).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let (s, b) = upload(web, conv, "foto.png", "image/png", PNG).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let files = json!([{"id": a["id"], "caption": "El plano"}, {"id": b["id"]}]);
    let r = send(web, conv, "Te mando el plano", files).await;
    assert!(r.status().is_success() || r.status() == StatusCode::SEE_OTHER);
    let (s, draft) = upload(web, conv, "borrador.pdf", "application/pdf", &pdf(100)).await;
    assert_eq!(s, StatusCode::CREATED, "{draft}");
    // Files go only with a reply sent now: scheduling them is refused, nothing kept.
    let page = format!("/conversations/{conv}");
    let files = json!([{"id": draft["id"]}]).to_string();
    let r = web
        .submit(
            &page,
            &format!("{page}/messages"),
            &[
                ("mode", "reply"),
                ("content", "Luego"),
                ("attachments", &files),
                ("schedule", "custom"),
                ("send_at_local", "2026-05-29T09:00"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = r.text().await.unwrap();
    assert!(body.contains("Files go with a reply sent now"), "{body}");
    let (_, list) = api
        .get(&format!("/api/v1/conversations/{conv}/scheduled"))
        .await;
    assert!(list["scheduled"].as_array().unwrap().is_empty(), "{list}");
    let sent = conversation_messages(api, conv)
        .await
        .into_iter()
        .find(|m| m["direction"] == "outbound")
        .expect("the reply");
    let mid = sent["id"].as_u64().unwrap();
    let bytes = [
        download(web, conv, mid, 0).await,
        download(web, conv, mid, 1).await,
    ];
    assert_eq!(bytes, [big, PNG.to_vec()]);
    (conv, mid, bytes)
}

/// Files sent with a message go through `charla export` and `charla import` from sled
/// into PostgreSQL and from PostgreSQL back into sled: after each import the agent
/// downloads the same bytes; both exports are the same file, with the file's chunks and
/// without the upload never sent.
#[actix_web::test]
#[ignore = "needs PostgreSQL; run ./scripts/test (it installs it)"]
async fn uploaded_files_go_through_export_and_import_on_both_engines() {
    let pg = super::postgres::pg_server::PgServer::start();
    let url = pg.fresh_database();
    let pg_env = [
        ("CHARLA__STORAGE__ENGINE", "postgres"),
        ("CHARLA__STORAGE__URL", url.as_str()),
    ];
    let mut app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (conv, mid, bytes) = files_sent(&web, &api).await;
    app.pause().await;
    let data = app.dir.path().join("data");
    let work = tempfile::tempdir().unwrap();
    let (a, b) = (work.path().join("a.jsonl"), work.path().join("b.jsonl"));

    // sled → file → PostgreSQL.
    charla(
        &data,
        &[
            "export",
            "--format",
            "jsonl",
            "--output",
            a.to_str().unwrap(),
        ],
        &[],
    );
    let k = kinds(&a);
    assert_eq!(
        k.iter().filter(|k| *k == "upload").count(),
        2,
        "the draft's stays out"
    );
    assert_eq!(
        k.iter().filter(|k| *k == "upload_chunk").count(),
        4,
        "3 + 1 chunks"
    );
    let text = std::fs::read_to_string(&a).unwrap();
    assert!(
        !text.contains("borrador.pdf"),
        "the unsent upload is not exported"
    );
    let out = charla(
        &data,
        &["import", "--format", "jsonl", a.to_str().unwrap()],
        &pg_env,
    );
    assert!(out.contains("same file"), "{out}");
    let on_pg = |c: &mut charla::config::Config| {
        c.storage.engine = "postgres".into();
        c.storage.url = Some(charla::config::Secret::new(url.clone()));
    };
    let mut app = app.restart(on_pg).await;
    let web = app.client();
    web.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(download(&web, conv, mid, 0).await, bytes[0]);
    assert_eq!(download(&web, conv, mid, 1).await, bytes[1]);
    app.pause().await;

    // PostgreSQL → file (the same one) → a new sled directory.
    charla(
        &data,
        &[
            "export",
            "--format",
            "jsonl",
            "--output",
            b.to_str().unwrap(),
        ],
        &pg_env,
    );
    assert!(
        std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
        "the export from PostgreSQL differs from the one from sled"
    );
    let back = work.path().join("back");
    std::fs::create_dir_all(&back).unwrap();
    std::fs::copy(data.join("secret.key"), back.join("secret.key")).unwrap();
    let out = charla(
        &back,
        &["import", "--format", "jsonl", b.to_str().unwrap()],
        &[],
    );
    assert!(out.contains("same file"), "{out}");
    let app = app.restart(|c| c.storage.path = back.clone()).await;
    let web = app.client();
    web.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(download(&web, conv, mid, 0).await, bytes[0]);
    assert_eq!(download(&web, conv, mid, 1).await, bytes[1]);
    app.stop().await;
}

/// The same on the default engine alone (no PostgreSQL needed): exported, imported
/// into a new directory, and served by the copy with the same bytes.
#[actix_web::test]
async fn uploaded_files_go_through_export_and_import_on_sled() {
    let mut app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (conv, mid, bytes) = files_sent(&web, &api).await;
    app.pause().await;
    let data = app.dir.path().join("data");
    let work = tempfile::tempdir().unwrap();
    let a = work.path().join("a.jsonl");
    charla(
        &data,
        &[
            "export",
            "--format",
            "jsonl",
            "--output",
            a.to_str().unwrap(),
        ],
        &[],
    );
    let k = kinds(&a);
    assert_eq!(k.iter().filter(|k| *k == "upload_chunk").count(), 4);
    let copy = work.path().join("copy");
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::copy(data.join("secret.key"), copy.join("secret.key")).unwrap();
    let out = charla(
        &copy,
        &["import", "--format", "jsonl", a.to_str().unwrap()],
        &[],
    );
    assert!(out.contains("same file"), "{out}");
    let server = Server::start(&copy);
    let web = Client::new(&server.url);
    web.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(download(&web, conv, mid, 0).await, bytes[0]);
    assert_eq!(download(&web, conv, mid, 1).await, bytes[1]);
    drop(server);
    app.resume().await;
    app.stop().await;
}

/// The composer's "Send template" dialog in a real browser: "When" → a picked date and
/// time schedules the filled template, listed above the composer with its final text;
/// at its time it is sent once. Screenshots at 1280 and 390 px.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_template_sent_later_from_the_dialog() {
    use super::browser::{css, sign_in, wait_path, wait_text, with_browsers};
    use super::browser_messaging::shot;
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (inbox, token) = api.inbox("Tienda", &[], None).await;
    let (_, v) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"source_id": "b-9", "contact": {"identifier": "c-9", "name": "Lucía Fernández"}, "content": "¿Mi pedido?"}),
    )
    .await;
    let conv = v["conversation_id"].as_u64().unwrap();
    let (s, e) = api
        .post(
            "/api/v1/templates",
            json!({"name": "Pedido enviado", "language": "es", "body": "Hola {{contact.first_name}}, tu pedido {{order_number}} ya salió."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let url = app.url.clone();
    with_browsers(
        "browser_template_sent_later_from_the_dialog",
        |b| async move {
            let c = b.open().await?;
            c.goto(&format!("{url}/login")).await?;
            sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
            c.goto(&format!("{url}/conversations/{conv}")).await?;
            wait_path(&c, &format!("/conversations/{conv}")).await?;
            c.find(css("#composer-plus > summary"))
                .await?
                .click()
                .await?;
            c.find(css("#template-open")).await?.click().await?;
            let order = c
                .find(css("#template-fields input[data-field=order_number]"))
                .await?;
            order.send_keys("48213").await?;
            wait_text(
                &c,
                "#template-text",
                "Hola Lucía, tu pedido 48213 ya salió.",
            )
            .await?;
            let pick = c.find(css("#template-when-pick")).await?;
            assert!(!pick.is_displayed().await?, "no time to pick for Now");
            c.find(css("#template-when"))
                .await?
                .select_by_value("custom")
                .await?;
            assert!(pick.is_displayed().await?, "a time to pick");
            wait_text(&c, "#template-confirm", "Schedule").await?;
            c.execute(
                "document.getElementById('template-when-at').value = '2026-05-29T10:00';",
                vec![],
            )
            .await?;
            shot(&c, 1280, "template-later-1280").await?;
            shot(&c, 390, "template-later-390").await?;
            c.find(css("#template-confirm")).await?.click().await?;
            wait_text(&c, "#scheduled", "Hola Lucía, tu pedido 48213 ya salió.").await?;
            Ok(())
        },
    )
    .await;
    let (_, list) = api
        .get(&format!("/api/v1/conversations/{conv}/scheduled"))
        .await;
    assert_eq!(
        list["scheduled"][0]["send_at"], "2026-05-29T10:00:00Z",
        "{list}"
    );
    assert_eq!(
        conversation_messages(&api, conv).await.len(),
        1,
        "not sent yet"
    );
    app.clock.advance_secs(14 * 3600);
    for _ in 0..100 {
        if conversation_messages(&api, conv).await.len() > 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let sent: Vec<serde_json::Value> = conversation_messages(&api, conv)
        .await
        .into_iter()
        .filter(|m| m["direction"] == "outbound")
        .collect();
    assert_eq!(sent.len(), 1, "sent once: {sent:?}");
    assert_eq!(sent[0]["content"], "Hola Lucía, tu pedido 48213 ya salió.");
    app.stop().await;
}
