//! "New message" on messaging inboxes: an SMS to a typed number goes out through the
//! provider (normalised to E.164), an invalid number is refused in words with nothing
//! sent, and inboxes that cannot write first (a website chat; WhatsApp without a
//! template) refuse with the reason.

use super::common::*;
use super::twilio_fake::TwilioFake;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "twilio-auth-token-for-tests";

#[actix_web::test]
async fn new_message_to_a_phone_number_starts_an_sms_conversation() {
    let fake = TwilioFake::start(SID, TOKEN).await;
    let app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "SMS", "channel": "sms", "sms": {"provider": "twilio",
                   "account_sid": SID, "auth_token": TOKEN, "from": "+1 415 523 8886",
                   "api_base": fake.base}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let sms = v["id"].as_u64().unwrap();

    // A number without its country code: refused in words, nothing sent.
    let r = web
        .submit(
            "/",
            "/conversations/new",
            &[
                ("inbox_id", &sms.to_string()),
                ("to", "600 111 222"),
                ("content", "Hola"),
            ],
        )
        .await;
    // The inbox page again, the form open with what was typed and the reason.
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    let form = between(&body, "<details class=\"compose-new\" open>", "</details>")
        .unwrap_or_else(|| panic!("the form is not open: {body}"));
    assert!(form.contains("country code"), "{form}");
    assert!(form.contains(r#"value="600 111 222""#), "{form}");
    assert!(form.contains(">Hola</textarea>"), "{form}");
    assert!(
        form.contains(&format!(
            r#"<option value="{sms}" data-reach="phone" selected>"#
        )),
        "{form}"
    );
    assert!(form.contains(r#"name="to" required maxlength="320" value="600 111 222""#));
    assert!(form.contains(r#"aria-invalid="true""#), "{form}");
    // An email address on an SMS inbox: said in words, typed text kept.
    let r = web
        .submit(
            "/",
            "/conversations/new",
            &[
                ("inbox_id", &sms.to_string()),
                ("to", "ana@example.com"),
                ("content", "Hola <b>Ana</b>"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("SMS writes to phone numbers"), "{body}");
    // What was typed is data, never markup.
    assert!(!body.contains("<b>Ana"), "{body}");
    assert!(
        body.contains("Hola &#60;b&#62;Ana&#60;/b&#62;</textarea>"),
        "{body}"
    );
    assert!(fake.sent().is_empty());

    let r = web
        .submit(
            "/",
            "/conversations/new",
            &[
                ("inbox_id", &sms.to_string()),
                ("to", "+34 600-111-222"),
                ("content", "Tu pedido está listo"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let conv: u64 = location(&r).rsplit('/').next().unwrap().parse().unwrap();
    for _ in 0..100 {
        if !fake.sent().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sent = fake.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].param("To"), Some("+34600111222"));
    assert_eq!(sent[0].param("From"), Some("+14155238886"));
    assert_eq!(sent[0].param("Body"), Some("Tu pedido está listo"));
    let (_, page) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    let m = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["direction"] == "outbound")
        .cloned()
        .unwrap();
    wait_status(&api, conv, m["id"].as_u64().unwrap(), "sent").await;

    // A WhatsApp Cloud inbox cannot write first without a template.
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "WA", "channel": "whatsapp", "whatsapp": {"provider": "cloud",
                   "phone_number_id": "106540352242922", "access_token": "t",
                   "app_secret": "s", "verify_token": "v", "api_base": fake.base}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let wa = v["id"].as_u64().unwrap();
    // The form does not offer it (a first message needs an approved template)...
    let (_, page) = web.get_text("/").await;
    let form = between(&page, "action=\"/conversations/new\"", "</form>").unwrap();
    assert!(!form.contains("WA · WhatsApp"), "{form}");
    // ...and a post made anyway is refused with the reason.
    let r = web
        .submit(
            "/",
            "/conversations/new",
            &[
                ("inbox_id", &wa.to_string()),
                ("to", "+34600111222"),
                ("content", "Hola"),
            ],
        )
        .await;
    let body = r.text().await.unwrap();
    assert!(body.contains("template"), "{body}");
    assert_eq!(fake.sent().len(), 1);
    app.stop().await;
}

/// "New message" to an email address: the mail carries the subject typed in the form
/// (not "Re: …"), and the form offers no inbox that cannot write first.
#[actix_web::test]
#[ignore = "needs python3-aiosmtpd; run ./scripts/test (it installs it)"]
async fn new_email_carries_its_subject_and_the_form_offers_only_inboxes_that_can_write() {
    let sink = super::mail_servers::SmtpSink::start();
    let app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let mail = super::security_contacts::email_inbox(&api, sink.port()).await;
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Chat web", "channel": "website"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, page) = web.get_text("/").await;
    let form = between(&page, "action=\"/conversations/new\"", "</form>").unwrap();
    assert!(form.contains("Support mail · Email"), "{form}");
    assert!(
        !form.contains("Chat web"),
        "a website chat cannot write first: {form}"
    );
    let r = web
        .submit(
            "/",
            "/conversations/new",
            &[
                ("inbox_id", &mail.to_string()),
                ("to", "marta@example.org"),
                ("subject", "Your order 4411 has shipped"),
                ("content", "It leaves today."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    let raw = String::from_utf8_lossy(&got[0].raw);
    assert!(
        raw.contains("Subject: Your order 4411 has shipped"),
        "{raw}"
    );
    app.stop().await;
}
