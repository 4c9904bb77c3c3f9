//! Contacts across inbox boundaries (security issue, finding 1), the sender of each
//! inbound message (finding 11), and a website visitor's typed email (findings 5, 6):
//! what an agent, an integration and a visitor can learn or change of a contact is
//! bounded by their own inbox, and replies go only where the conversation started.

use super::common::*;
use charla::domain::InboxId;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

const SECRET_MAIL: &str = "From: Secret Customer <secret@customer.example>\r\n\
    To: support@shop.example\r\nSubject: My order\r\nMessage-ID: <order-1@customer.example>\r\n\
    Date: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nWhere is my order 4411?\r\n";

/// An email inbox whose replies go to `smtp_port` (IMAP is never polled here: mail is
/// handed to the service as the poller would).
pub(super) async fn email_inbox(api: &Api, smtp_port: u16) -> u64 {
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Support mail", "channel": "email", "member_ids": [], "email": {
                "imap": {"host": "127.0.0.1", "port": 9, "security": "none", "username": "shop", "password": "secret", "folder": "INBOX"},
                "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none"},
                "from_name": "Shop", "from_address": "support@shop.example", "poll_seconds": 3600}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_u64().unwrap()
}

async fn mail_in(app: &TestApp, inbox: u64, uid: u32, raw: &str) -> (u64, u64) {
    let r = app
        .services()
        .ingest_mail(InboxId(inbox), "INBOX", 1, uid, raw.as_bytes().to_vec())
        .await
        .unwrap();
    (r.conversation_id.0, r.message_id.0)
}

/// The secret customer of the email inbox, with details only that team knows.
async fn secret_customer(app: &TestApp, admin: &Api, mail_inbox: u64) -> (u64, u64) {
    let (conv, _) = mail_in(app, mail_inbox, 1, SECRET_MAIL).await;
    let (_, page) = admin.get(&format!("/api/v1/conversations/{conv}")).await;
    let contact = page["conversation"]["contact"]["id"].as_u64().unwrap();
    let (s, v) = admin
        .call(
            Method::PATCH,
            &format!("/api/v1/contacts/{contact}"),
            Some(json!({"phone": "+34 611 222 333", "tags": ["vip"], "properties": {"iban": "ES7620770024003102575766"}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    (conv, contact)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs aiosmtpd; run ./scripts/test (it installs it)"]
async fn an_agent_of_another_inbox_cannot_read_edit_block_or_redirect_a_contact() {
    use super::mail_servers::SmtpSink;
    let sink = SmtpSink::start();
    let app = TestApp::start().await;
    let admin_web = app.admin().await;
    let admin = Api::for_client(&admin_web).await;
    let mail_inbox = email_inbox(&admin, sink.port()).await;
    let eve_id = admin
        .agent("Eve", "eve@example.com", "agent", "eve password 1")
        .await;
    let (eve_inbox, _) = admin.inbox("Eve API", &[eve_id], None).await;
    let (mail_conv, contact) = secret_customer(&app, &admin, mail_inbox).await;

    let eve_web = app.client();
    eve_web.login("eve@example.com", "eve password 1").await;
    let eve = Api::for_client(&eve_web).await;
    let path = format!("/api/v1/contacts/{contact}");
    assert_eq!(eve.get(&path).await.0, StatusCode::NOT_FOUND);

    // 1. Eve starts a conversation in her own inbox to the customer's address.
    let r = eve_web
        .submit(
            "/",
            "/conversations/new",
            &[
                ("inbox_id", &eve_inbox.to_string()),
                ("to", "secret@customer.example"),
                ("content", "Hello, is this you?"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let eve_conv: u64 = location(&r).rsplit('/').next().unwrap().parse().unwrap();

    // 2. She sees only what her own conversation knows: the address she typed.
    let (s, v) = eve.get(&path).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["limited"], true, "{v}");
    assert_eq!(v["email"], "secret@customer.example", "{v}");
    assert_eq!(
        (&v["name"], &v["phone"], &v["identifier"]),
        (&json!(""), &Value::Null, &Value::Null),
        "{v}"
    );
    assert_eq!(
        (&v["tags"], &v["properties"]),
        (&json!([]), &json!({})),
        "{v}"
    );
    let text = v.to_string();
    assert!(
        !text.contains("Secret Customer") && !text.contains("ES76"),
        "{text}"
    );
    for page in [
        format!("/contacts/{contact}"),
        format!("/conversations/{eve_conv}"),
        "/contacts".to_string(),
        "/contacts?q=secret".to_string(),
        "/?view=all".to_string(),
    ] {
        let (s, html) = eve_web.get_text(&page).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        for leak in ["Secret Customer", "611 222", "611222", "ES76", ">vip<"] {
            assert!(!html.contains(leak), "{page} shows {leak}");
        }
    }
    let (_, list) = eve.get("/api/v1/conversations?view=all").await;
    assert_eq!(
        list["conversations"][0]["contact"]["name"], "secret@customer.example",
        "{list}"
    );
    let (_, c) = eve.get(&format!("/api/v1/conversations/{eve_conv}")).await;
    assert!(!c.to_string().contains("Secret Customer"), "{c}");
    // Her search finds nothing through the details she cannot see.
    for q in ["vip", "611222", "iban"] {
        let (_, found) = eve.get(&format!("/api/v1/conversations?q={q}")).await;
        assert_eq!(found["conversations"], json!([]), "{q}: {found}");
        let (_, found) = eve.get(&format!("/api/v1/contacts?q={q}")).await;
        assert_eq!(found["contacts"], json!([]), "{q}: {found}");
    }

    // 3. She can neither edit nor block the contact, by the API or the forms.
    let (s, v) = eve
        .call(
            Method::PATCH,
            &path,
            Some(json!({"email": "attacker@evil.example"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("inboxes you are not a member of"),
        "{v}"
    );
    let (s, _) = eve
        .call(Method::PATCH, &path, Some(json!({"blocked": true})))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for action in ["", "/block"] {
        let r = eve_web
            .submit(
                &format!("/contacts/{contact}"),
                &format!("/contacts/{contact}{action}"),
                &[("email", "attacker@evil.example")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{action}");
    }
    let (_, whole) = admin.get(&path).await;
    assert_eq!(
        (&whole["email"], &whole["blocked"], &whole["name"]),
        (
            &json!("secret@customer.example"),
            &json!(false),
            &json!("Secret Customer")
        ),
        "{whole}"
    );

    // 4. Even an admin's edit of the contact's email does not redirect the mail
    //    conversation: its replies go where the customer wrote from.
    let (s, _) = admin
        .call(
            Method::PATCH,
            &path,
            Some(json!({"email": "attacker@evil.example"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, m) = admin
        .post(
            &format!("/api/v1/conversations/{mail_conv}/messages"),
            json!({"content": "Your order ships today."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "only the admin's reply is mailed");
    assert_eq!(
        got[0].rcpt_tos(),
        vec!["secret@customer.example".to_string()]
    );
    assert!(got[0].text().contains("To: secret@customer.example"));
    let (_, conv) = admin
        .get(&format!("/api/v1/conversations/{mail_conv}"))
        .await;
    assert_eq!(
        conv["conversation"]["reply_email"], "secret@customer.example",
        "{conv}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_integration_learns_only_what_its_own_inbox_knows() {
    let app = TestApp::start().await;
    let admin_web = app.admin().await;
    let admin = Api::for_client(&admin_web).await;
    // The customer is known to another team's API inbox, with details.
    let (team_inbox, team_token) = admin.inbox("Team B", &[], None).await;
    let (s, _) = incoming(&app.url, team_inbox, &team_token, json!({"contact": {"identifier": "crm-77", "name": "Secret Customer", "email": "secret@customer.example", "phone": "+34611222333"}, "content": "hola"})).await;
    assert_eq!(s, StatusCode::OK);
    // Another integration claims the same address in its own inbox.
    let (url, receiver, server) = super::webhook::start_receiver(vec![]).await;
    let got = receiver.got;
    let (evil_inbox, evil_token) = admin.inbox("Integration", &[], Some(&url)).await;
    let (s, r) = incoming(
        &app.url,
        evil_inbox,
        &evil_token,
        json!({"contact": {"email": "secret@customer.example"}, "content": "ping"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let conv = r["conversation_id"].as_u64().unwrap();
    let (s, _) = admin
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "pong"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    for _ in 0..100 {
        if !got.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let payload: Value = got
        .lock()
        .unwrap()
        .first()
        .map(|(_, _, body)| serde_json::from_slice(body).unwrap())
        .expect("a webhook");
    let contact = &payload["contact"];
    assert_eq!(contact["email"], "secret@customer.example", "{payload}");
    assert_eq!(
        (&contact["name"], &contact["phone"]),
        (&json!(""), &Value::Null),
        "{payload}"
    );
    assert_ne!(contact["identifier"], "crm-77", "{payload}");
    assert!(
        !payload.to_string().contains("Secret Customer"),
        "{payload}"
    );
    // Nor did its claim write anything into the other team's contact.
    let (_, list) = admin.get("/api/v1/contacts?q=secret").await;
    assert_eq!(list["contacts"][0]["name"], "Secret Customer", "{list}");
    server.stop(true).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_third_party_writing_into_a_conversation_shows_as_themselves() {
    let app = TestApp::start().await;
    let admin_web = app.admin().await;
    let admin = Api::for_client(&admin_web).await;
    let mail_inbox = email_inbox(&admin, 9).await;
    let (conv, first) = mail_in(&app, mail_inbox, 1, SECRET_MAIL).await;
    let token = app
        .services()
        .store
        .conversation(charla::domain::conversation::ConversationId(conv))
        .unwrap()
        .unwrap()
        .token;
    // A stranger writes to the conversation's plus-address; a colleague of the customer
    // answers one of our mails (our signed Message-ID).
    let ours = app.services().outgoing_message_id(
        &app.services()
            .store
            .conversation(charla::domain::conversation::ConversationId(conv))
            .unwrap()
            .unwrap(),
        charla::domain::conversation::MessageId(first),
        "support@shop.example",
    );
    let stranger = format!(
        "From: Mallory <mallory@evil.example>\r\nTo: support+{token}@shop.example\r\n\
         Subject: Re: My order\r\nMessage-ID: <m-1@evil.example>\r\n\
         Date: Sat, 21 Nov 2026 10:05:00 +0000\r\n\r\nPlease send the refund to my account.\r\n"
    );
    let colleague = format!(
        "From: Carmen Colleague <carmen@customer.example>\r\nTo: support@shop.example\r\n\
         Subject: Re: My order\r\nMessage-ID: <c-1@customer.example>\r\nIn-Reply-To: {ours}\r\n\
         Date: Sat, 21 Nov 2026 10:06:00 +0000\r\n\r\nI am handling this for my boss.\r\n"
    );
    assert_eq!(mail_in(&app, mail_inbox, 2, &stranger).await.0, conv);
    assert_eq!(mail_in(&app, mail_inbox, 3, &colleague).await.0, conv);

    let (_, page) = admin.get(&format!("/api/v1/conversations/{conv}")).await;
    let c = &page["conversation"];
    assert_eq!(c["contact"]["name"], "Secret Customer", "{page}");
    assert_eq!(c["reply_email"], "secret@customer.example", "{page}");
    let senders: Vec<(String, String)> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "inbound")
        .map(|m| {
            (
                m["sender"]["name"].as_str().unwrap_or("").to_string(),
                m["sender"]["address"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    for want in [
        ("Secret Customer", "secret@customer.example"),
        ("Mallory", "mallory@evil.example"),
        ("Carmen Colleague", "carmen@customer.example"),
    ] {
        assert!(
            senders.contains(&(want.0.to_string(), want.1.to_string())),
            "{senders:?}"
        );
    }
    // The page says who wrote each message and marks those not from the contact.
    let (_, html) = admin_web.get_text(&format!("/conversations/{conv}")).await;
    assert_eq!(html.matches("Not the contact").count(), 2, "two strangers");
    assert!(html.contains(">Mallory<") && html.contains(">Carmen Colleague<"));
    assert!(html.contains(">Secret Customer<"));
    app.stop().await;
}

/// In the browser: a shared contact is read-only for an agent of only one of its inboxes
/// (no form, no block button, a note saying why), on a desktop and on a phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_a_shared_contact_is_read_only_for_an_agent_of_one_inbox() {
    use super::browser::{css, sign_in, with_browsers};
    use super::browser_inbox::{js, open_inbox};
    let app = TestApp::start().await;
    let admin_web = app.admin().await;
    let admin = Api::for_client(&admin_web).await;
    let mail_inbox = email_inbox(&admin, 9).await;
    let eve_id = admin
        .agent("Eve Martín", "eve@example.com", "agent", "eve password 1")
        .await;
    let (eve_inbox, eve_token) = admin.inbox("Tienda API", &[eve_id], None).await;
    secret_customer(&app, &admin, mail_inbox).await;
    let (s, r) = incoming(&app.url, eve_inbox, &eve_token, json!({"contact": {"email": "secret@customer.example", "name": "Cliente web"}, "content": "¿Tenéis la talla 42?"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let conv = r["conversation_id"].as_u64().unwrap();
    let url = app.url.clone();
    with_browsers("browser_a_shared_contact_is_read_only_for_an_agent_of_one_inbox", |b| async move {
        let eve = b.open().await?;
        eve.goto(&format!("{url}/login")).await?;
        sign_in(&eve, "eve@example.com", "eve password 1").await?;
        open_inbox(&eve, &url, &format!("/conversations/{conv}?view=all")).await?;
        let note = eve.find(css("#contact-limited")).await?.text().await?;
        assert!(note.contains("not a member of"), "{note}");
        assert_eq!(
            js(&eve, "return [document.querySelectorAll('#contact-pane form.contact-form').length, document.querySelectorAll('#block-toggle').length];").await?,
            json!([0, 0])
        );
        assert_eq!(
            js(&eve, "return document.querySelectorAll('#reply-address').length;").await?,
            json!(0),
            "an API conversation has no mail address to show"
        );
        let pane = eve.find(css("#contact-pane")).await?.text().await?;
        assert!(pane.contains("Cliente web") && !pane.contains("Secret Customer"), "{pane}");
        if let Ok(dir) = std::env::var("CHARLA_SCREENSHOTS") {
            std::fs::write(format!("{dir}/contact-limited.png"), eve.screenshot().await?)?;
            eve.set_window_size(390, 844).await?;
            eve.goto(&format!("{url}/conversations/{conv}?view=all#contact-pane")).await?;
            std::fs::write(format!("{dir}/contact-limited-phone.png"), eve.screenshot().await?)?;
        }
        Ok(())
    })
    .await;
    app.stop().await;
}
