//! Emails and the widget in the customer's language (issue 12 §1): the contact's when
//! known, else the inbox's setting, else the installation's `[ui] language`; times in
//! the installation's `[ui] timezone`, with the zone named. Over HTTP, the widget's
//! WebSocket and a real SMTP server.

use super::common::*;
use super::mail_servers::{SmtpMessage, SmtpSink};
use super::widget::{SITE, connect_with, hello, recv, send, website_inbox};
use charla::domain::conversation::{ConversationId, MessageId};
use charla::domain::{InboxId, Timestamp};
use charla::i18n::{L10n, Lang};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const ZONE: &str = "Europe/Madrid";

/// An email inbox sending through `sink`, with `extra` fields (the language) merged in.
async fn mail_inbox(api: &Api, name: &str, sink: &SmtpSink, extra: Value) -> u64 {
    let mut body = json!({"name": name, "channel": "email", "member_ids": [], "email": {
        "imap": {"host": "127.0.0.1", "port": 9, "security": "none", "username": "shop", "password": "secret", "folder": "INBOX"},
        "smtp": {"host": "127.0.0.1", "port": sink.port(), "security": "none"},
        "from_name": name, "from_address": "support@shop.example", "poll_seconds": 3600}});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (s, v) = api.post("/api/v1/inboxes", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_u64().unwrap()
}

/// A customer's mail into `inbox`: its conversation and when it was stored.
async fn customer_mail(app: &TestApp, inbox: u64, uid: u32, from: &str) -> (u64, Timestamp) {
    let raw = format!(
        "From: {from}\r\nTo: support@shop.example\r\nSubject: Pedido 1042\r\nMessage-ID: <m{uid}@customer.example>\r\n\r\nHola, ¿dónde está mi pedido?\r\n"
    );
    let services = app.services();
    let got = services
        .ingest_mail(InboxId(inbox), "INBOX", 1, uid, raw.into_bytes())
        .await
        .unwrap();
    let at = stored_at(app, got.conversation_id.0, got.message_id.0);
    (got.conversation_id.0, at)
}

fn stored_at(app: &TestApp, conv: u64, msg: u64) -> Timestamp {
    app.services()
        .store
        .message(ConversationId(conv), MessageId(msg))
        .unwrap()
        .unwrap()
        .created_at
}

/// Queues the transcript of `conv` and returns the mail the server received.
async fn transcript(api: &Api, sink: &SmtpSink, conv: u64) -> (String, String) {
    let before = sink.messages().len();
    let (s, t) = api
        .post(
            &format!("/api/v1/conversations/{conv}/transcript"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let got = sink.wait_for(before + 1, Duration::from_secs(10)).await;
    parsed(&got[before])
}

/// The subject and text of a mail, decoded.
fn parsed(m: &SmtpMessage) -> (String, String) {
    let mail = mail_parser::MessageParser::default()
        .parse(&m.raw)
        .expect("a mail");
    (
        mail.subject().unwrap_or_default().to_string(),
        mail.body_text(0).unwrap_or_default().replace("\r\n", "\n"),
    )
}

/// The contact of conversation `conv` as the API shows it.
async fn contact_of(api: &Api, conv: u64) -> Value {
    let (_, page) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    let id = page["conversation"]["contact"]["id"].as_u64().unwrap();
    let (s, c) = api.get(&format!("/api/v1/contacts/{id}")).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    c
}

/// A Spanish inbox mails its transcript in Spanish, an English inbox in English, and a
/// contact whose language is Spanish gets Spanish from the English inbox; every time
/// is local (Madrid) with its zone named. A website chat answered by email (the
/// visitor left) speaks the chat inbox's language, not the mailbox's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs aiosmtpd; run ./scripts/test (it installs it)"]
async fn customer_mails_speak_the_contacts_language_else_the_inboxs_with_local_times() {
    let sink = SmtpSink::start();
    let app = TestApp::start_with(|c| {
        c.ui.language = "en".into();
        c.ui.timezone = ZONE.into();
    })
    .await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let es = L10n::new(Lang::Es, ZONE);
    let en = L10n::new(Lang::En, ZONE);

    // A Spanish inbox.
    let tienda = mail_inbox(&api, "Tienda", &sink, json!({"language": "es"})).await;
    let (conv, at) = customer_mail(&app, tienda, 1, "Lucía Pérez <lucia@customer.example>").await;
    reply(&api, conv, "Sale mañana.").await;
    sink.wait_for(1, Duration::from_secs(10)).await; // the reply itself
    let (subject, text) = transcript(&api, &sink, conv).await;
    assert_eq!(subject, "Transcripción de tu conversación con Tienda");
    assert!(
        text.starts_with("Esta es tu conversación con Tienda.\n"),
        "{text}"
    );
    let local = es.datetime(at);
    // 2026-05-28 20:26 UTC is 22:26 in Madrid, summer time.
    assert!(local.ends_with("22:26 CEST"), "{local}");
    assert!(
        text.contains(&format!(
            "Lucía Pérez ({local}):\nHola, ¿dónde está mi pedido?"
        )),
        "{text}"
    );
    assert!(text.contains("Sale mañana."), "{text}");
    assert!(!text.contains("UTC"), "{text}");

    // An English inbox (no language: the installation's).
    let shop = mail_inbox(&api, "Shop", &sink, json!({})).await;
    let (conv, at) = customer_mail(&app, shop, 2, "Mary Smith <mary@customer.example>").await;
    let (subject, text) = transcript(&api, &sink, conv).await;
    assert_eq!(subject, "Transcript of your conversation with Shop");
    assert!(
        text.starts_with("Here is your conversation with Shop.\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!("Mary Smith ({}):\n", en.datetime(at))),
        "{text}"
    );
    assert!(en.datetime(at).ends_with("22:26 CEST"));

    // The same English inbox, to a contact whose language is Spanish.
    let contact = contact_of(&api, conv).await;
    let (s, c) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/contacts/{}", contact["id"]),
            Some(json!({"language": "es"})),
        )
        .await;
    assert_eq!((s, &c["language"]), (StatusCode::OK, &json!("es")), "{c}");
    let (subject, text) = transcript(&api, &sink, conv).await;
    assert_eq!(subject, "Transcripción de tu conversación con Shop");
    assert!(
        text.contains(&format!("Mary Smith ({}):\n", es.datetime(at))),
        "{text}"
    );

    // A Spanish website inbox answering a visitor by mail through the English mailbox.
    let (site, key) = website_inbox(&app).await;
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/inboxes/{}", site.0),
            Some(json!({"language": "es", "website": {"reply_email_inbox_id": shop}})),
        )
        .await;
    assert_eq!((s, &v["language"]), (StatusCode::OK, &json!("es")), "{v}");
    let mut ws = connect_with(&app, &key, SITE, &[]).await.unwrap();
    hello(&mut ws, None, None, Value::Null).await;
    send(
        &mut ws,
        json!({"type": "prechat", "name": "Pablo", "email": "pablo@customer.example"}),
    )
    .await;
    send(
        &mut ws,
        json!({"type": "send", "client_id": "c1", "content": "¿Tenéis la talla 38?"}),
    )
    .await;
    assert_eq!(recv(&mut ws).await["type"], "ack");
    drop(ws);
    let chat = inbox_conversations(&api, site.0).await[0]["id"]
        .as_u64()
        .unwrap();
    let (s, v) = api
        .post(
            &format!("/api/v1/conversations/{chat}/confirm_email"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let before = sink.messages().len();
    let (s, v) = api
        .post(
            &format!("/api/v1/conversations/{chat}/messages"),
            json!({"content": "Sí, te la guardamos.", "via": "email"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let got = sink.wait_for(before + 1, Duration::from_secs(10)).await;
    let (subject, text) = parsed(&got[before]);
    assert_eq!(subject, "Tu conversación con Website");
    assert!(
        text.starts_with("Sí, te la guardamos.\n\n--\nNuestra conversación hasta ahora:\n"),
        "{text}"
    );
    assert!(text.contains(" CEST):\n¿Tenéis la talla 38?"), "{text}");
    app.stop().await;
}

/// The widget's words come from the catalogs in the visitor's browser language, else
/// the inbox's, else the installation's; the visitor's browser language becomes their
/// contact's at their first message, and an agent can change it (not to a language
/// the catalogs lack).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_speaks_the_visitors_language_and_their_contact_learns_it() {
    let app = TestApp::start_with(|c| c.inbox.max_message_chars = 100).await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (site, key) = website_inbox(&app).await;
    let http = reqwest::Client::new();
    let config = |lang: &'static str| {
        let (http, url) = (http.clone(), format!("{}/widget/v1/{key}/config", app.url));
        async move {
            let r = http
                .get(url)
                .header("Origin", SITE)
                .header("Accept-Language", lang)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.unwrap()
        }
    };
    let c = config("es-ES,es;q=0.9,en;q=0.5").await;
    assert_eq!(c["lang"], "es");
    assert_eq!(c["text"]["send"], "Enviar");
    assert_eq!(c["text"]["typing"], "{name} está escribiendo…");
    assert_eq!(c["text"]["unread"], "Abrir el chat ({n} sin leer)");
    let c = config("fr-FR,fr;q=0.9").await;
    assert_eq!(
        (&c["lang"], &c["text"]["send"]),
        (&json!("en"), &json!("Send"))
    );
    // The inbox's language for browsers the catalogs cannot serve; the browser's first.
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/inboxes/{}", site.0),
            Some(json!({"language": "es"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(config("fr-FR,fr;q=0.9").await["lang"], "es");
    assert_eq!(config("en-GB,en;q=0.8").await["lang"], "en");

    // A Mexican visitor: refusals in Spanish, and their contact learns Spanish.
    let mut ws = connect_with(&app, &key, SITE, &[("Accept-Language", "es-MX,es;q=0.9")])
        .await
        .unwrap();
    hello(&mut ws, None, None, Value::Null).await;
    send(
        &mut ws,
        json!({"type": "send", "client_id": "long", "content": "x".repeat(101)}),
    )
    .await;
    let err = recv(&mut ws).await;
    assert_eq!(err["code"], "too_long", "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("El contenido supera los"),
        "{err}"
    );
    send(
        &mut ws,
        json!({"type": "send", "client_id": "c1", "content": "Hola"}),
    )
    .await;
    assert_eq!(recv(&mut ws).await["type"], "ack");
    let chat = inbox_conversations(&api, site.0).await[0]["id"]
        .as_u64()
        .unwrap();
    let contact = contact_of(&api, chat).await;
    assert_eq!(contact["language"], "es", "{contact}");

    // An agent's choice stays; a language the catalogs lack is refused, nothing changed.
    let path = format!("/api/v1/contacts/{}", contact["id"]);
    let (s, c) = api
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"language": "en"})),
        )
        .await;
    assert_eq!((s, &c["language"]), (StatusCode::OK, &json!("en")), "{c}");
    let (s, e) = api
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"language": "fr", "name": "Renamed"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("\"fr\""),
        "{e}"
    );
    let (_, c) = api.get(&path).await;
    assert_eq!(c["language"], "en", "{c}");
    assert_ne!(c["name"], "Renamed", "{c}");
    send(
        &mut ws,
        json!({"type": "send", "client_id": "c2", "content": "¿Sigues ahí?"}),
    )
    .await;
    assert_eq!(recv(&mut ws).await["type"], "ack");
    drop(ws);
    let mut ws = connect_with(&app, &key, SITE, &[("Accept-Language", "es")])
        .await
        .unwrap();
    hello(&mut ws, None, None, Value::Null).await;
    send(
        &mut ws,
        json!({"type": "send", "client_id": "c3", "content": "Otra vez"}),
    )
    .await;
    assert_eq!(recv(&mut ws).await["type"], "ack");
    let (_, c) = api.get(&path).await;
    assert_eq!(c["language"], "en", "the agent's choice stays: {c}");
    app.stop().await;
}

/// The inbox API takes `language` ("en", "es", or null for the installation's) and
/// refuses anything else with a clear error, creating or changing nothing; the admin
/// form's select does the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_language_is_en_or_es_and_anything_else_is_refused() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let count = |v: &Value| v["inboxes"].as_array().unwrap().len();
    let (_, before) = api.get("/api/v1/inboxes").await;

    let (s, e) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Boutique", "language": "fr"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["code"], "invalid");
    let message = e["error"]["message"].as_str().unwrap();
    for part in ["language", "\"fr\"", "\"en\"", "\"es\""] {
        assert!(message.contains(part), "{part} missing: {message}");
    }
    let (_, after) = api.get("/api/v1/inboxes").await;
    assert_eq!(
        count(&after),
        count(&before),
        "nothing was created: {after}"
    );

    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Tienda", "language": "es"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_u64().unwrap();
    let shown = |list: &Value| {
        list["inboxes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap()
            .clone()
    };
    let path = format!("/api/v1/inboxes/{id}");
    let (s, e) = api
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"name": "Renamed", "language": "fr"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (_, list) = api.get("/api/v1/inboxes").await;
    let inbox = shown(&list);
    assert_eq!(
        (&inbox["name"], &inbox["language"]),
        (&json!("Tienda"), &json!("es")),
        "nothing changed: {inbox}"
    );
    // Absent keeps it; null clears it (the installation's then).
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"name": "Tienda 2"})),
        )
        .await;
    assert_eq!((s, &v["language"]), (StatusCode::OK, &json!("es")), "{v}");
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"language": null})),
        )
        .await;
    assert_eq!((s, &v["language"]), (StatusCode::OK, &Value::Null), "{v}");

    // The admin form: the select shows the choice and saves it; "fr" is refused.
    let page = format!("/admin/inboxes/{id}");
    let r = admin
        .submit(&page, &page, &[("name", "Tienda 2"), ("language", "es")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = admin.get_text(&page).await;
    assert!(
        html.contains("<option value=\"es\" selected>Español</option>"),
        "{html}"
    );
    assert!(html.contains("Language of emails and the chat widget"));
    let r = admin
        .submit(&page, &page, &[("name", "Tienda 3"), ("language", "fr")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let (_, list) = api.get("/api/v1/inboxes").await;
    let inbox = shown(&list);
    assert_eq!(
        (&inbox["name"], &inbox["language"]),
        (&json!("Tienda 2"), &json!("es")),
        "{inbox}"
    );
    // The new-inbox form has the select too, with the installation's language first.
    let (_, html) = admin.get_text("/admin/inboxes").await;
    assert!(
        html.contains("<option value=\"\">The installation"),
        "{html}"
    );
    assert!(html.contains(" (English)</option>"), "{html}");
    app.stop().await;
}

/// In a real browser that asks for Spanish, the widget of an inbox without a language
/// speaks Spanish (launcher, composer, pre-chat form, `lang`), and the visitor's
/// contact learns Spanish at their first message. The inbox's page shows the language
/// select. Screenshots at 1280 and 390 px (`CHARLA_SCREENSHOTS`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_the_widget_speaks_a_spanish_browsers_language() {
    use super::browser::{css, sign_in, with_browsers};
    use super::browser_inbox::{LIVE, js, wait_js};
    use super::browser_widget::{SR, customer_site, widget_send};
    use std::sync::{Arc, Mutex};
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let site_key = Arc::new(Mutex::new(String::new()));
    let origin = customer_site(app.url.clone(), site_key.clone()).await;
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Zapatería Lucía", "channel": "website", "member_ids": [], "website": {
                "allowed_origins": [origin], "prechat": "optional", "greeting": "¡Hola! ¿En qué te ayudamos?"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_u64().unwrap();
    *site_key.lock().unwrap() = v["snippet"]
        .as_str()
        .unwrap()
        .split("data-charla-inbox=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let (url, api) = (app.url.clone(), &api);
    let shots = std::env::var("CHARLA_SCREENSHOTS").ok();
    with_browsers("browser_widget_in_spanish", |b| async move {
        let visitor = b.open_speaking("es-ES,es").await?;
        visitor.goto(&format!("{origin}/")).await?;
        let launcher = format!("{SR}.querySelector('.launcher')");
        wait_js(&visitor, "the launcher", &format!("{launcher} && !{SR}.querySelector('.root').hidden"), LIVE).await?;
        let label = js(&visitor, &format!("return {launcher}.getAttribute('aria-label');")).await?;
        assert_eq!(label, json!("Abrir el chat"));
        js(&visitor, &format!("{launcher}.click(); return null;")).await?;
        wait_js(&visitor, "the pre-chat form", &format!("!{SR}.querySelector('form.pre').hidden"), LIVE).await?;
        let seen = js(
            &visitor,
            &format!(
                "const r = {SR}; return [r.querySelector('.root').lang, r.querySelector('.composer textarea').placeholder, \
                 r.querySelector('form.pre').textContent];"
            ),
        )
        .await?;
        assert_eq!(seen[0], "es");
        assert_eq!(seen[1], "Escribe un mensaje…");
        let form = seen[2].as_str().unwrap();
        for words in ["Déjanos tus datos", "Nombre (opcional)", "Correo electrónico (opcional)", "Empezar el chat", "Ahora no"] {
            assert!(form.contains(words), "{words} missing: {form}");
        }
        if let Some(dir) = &shots {
            std::fs::write(format!("{dir}/widget-es.png"), visitor.screenshot().await?)?;
            visitor.set_window_size(390, 844).await?;
            std::fs::write(format!("{dir}/widget-es-390.png"), visitor.screenshot().await?)?;
            visitor.set_window_size(1280, 900).await?;
        }
        js(&visitor, &format!("{SR}.querySelector('form.pre button.link').click(); return null;")).await?;
        widget_send(&visitor, "Hola, ¿tenéis la talla 38?").await?;
        let deadline = std::time::Instant::now() + LIVE;
        let contact = loop {
            let convs = inbox_conversations(api, id).await;
            if let Some(c) = convs.first() {
                break contact_of(api, c["id"].as_u64().unwrap()).await;
            }
            assert!(std::time::Instant::now() < deadline, "no conversation");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(contact["language"], "es", "{contact}");

        // The inbox's page: the language select, the installation's language first.
        let ana = b.open().await?;
        ana.goto(&format!("{url}/login")).await?;
        sign_in(&ana, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        ana.goto(&format!("{url}/admin/inboxes/{id}")).await?;
        let select = ana.find(css("select[name=language]")).await?;
        assert_eq!(select.prop("value").await?.as_deref(), Some(""));
        if let Some(dir) = &shots {
            ana.execute("document.querySelector('select[name=language]').scrollIntoView({block: 'center'}); return null;", vec![]).await?;
            std::fs::write(format!("{dir}/inbox-language.png"), ana.screenshot().await?)?;
            ana.set_window_size(390, 844).await?;
            ana.execute("document.querySelector('select[name=language]').scrollIntoView({block: 'center'}); return null;", vec![]).await?;
            std::fs::write(format!("{dir}/inbox-language-390.png"), ana.screenshot().await?)?;
        }
        Ok(())
    })
    .await;
    app.stop().await;
}
