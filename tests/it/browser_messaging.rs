//! In a real browser: a WhatsApp inbox created through the new-inbox form (only the
//! chosen channel's and provider's fields show), "Test connection" against the fake
//! Graph API, then the inbox's page with the webhook URL to paste into Meta's console.
//! Screenshots of both, at 1280 and 390 px, go to `docs/screenshots/`. And an SMS
//! conversation started from "New message", the form following the address typed.

use super::browser::{css, fill, sign_in, submit, wait_path, wait_text, with_browsers};
use super::common::*;
use super::meta_fake::{self, MetaFake};
use super::twilio_fake::TwilioFake;
use fantoccini::Client;
use std::time::Duration;

/// Saves the whole page at `width` px as `docs/screenshots/<name>.png`.
async fn shot(c: &Client, width: u32, name: &str) -> super::browser::Result {
    c.set_window_size(width, 900).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The window is taller than the page's viewport by the browser's own frame.
    let size = c
        .execute(
            "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight];",
            vec![],
        )
        .await?;
    let page = size[0].as_u64().unwrap_or(900) as u32;
    let frame = size[1].as_u64().unwrap_or(0) as u32;
    c.set_window_size(width, (page + frame).clamp(600, 5000))
        .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("docs/screenshots/{name}.png"));
    std::fs::write(out, c.screenshot().await?)?;
    Ok(())
}

async fn shown(c: &Client, selector: &str) -> super::browser::Result<bool> {
    Ok(c.find(css(selector)).await?.is_displayed().await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_messaging_whatsapp_inbox_through_the_form() {
    let meta = MetaFake::start().await;
    let app = TestApp::start().await;
    app.admin().await;
    let url = app.url.clone();
    let api_base = meta.api_base.clone();
    with_browsers(
        "browser_messaging_whatsapp_inbox_through_the_form",
        |b| async move {
            let c = b.open().await?;
            c.goto(&format!("{url}/login")).await?;
            sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
            c.goto(&format!("{url}/admin/inboxes")).await?;
            wait_path(&c, "/admin/inboxes").await?;
            let new = "/admin/inboxes";
            let field = |name: &str| format!(r#"form[action="{new}"] [name="{name}"]"#);
            // Only the chosen channel's section shows.
            assert!(!shown(&c, &field("whatsapp_phone_number_id")).await?);
            c.find(css(&field("channel")))
                .await?
                .select_by_value("whatsapp")
                .await?;
            assert!(shown(&c, &field("whatsapp_phone_number_id")).await?);
            assert!(!shown(&c, &field("imap_host")).await?);
            assert!(!shown(&c, &field("sms_account_sid")).await?);
            // Cloud API is the default provider: Twilio's fields hide until picked.
            assert!(!shown(&c, &field("whatsapp_account_sid")).await?);
            c.find(css(r#"input[name="whatsapp_provider"][value="twilio"]"#))
                .await?
                .click()
                .await?;
            assert!(shown(&c, &field("whatsapp_account_sid")).await?);
            assert!(!shown(&c, &field("whatsapp_phone_number_id")).await?);
            c.find(css(r#"input[name="whatsapp_provider"][value="cloud"]"#))
                .await?
                .click()
                .await?;
            assert!(shown(&c, &field("whatsapp_phone_number_id")).await?);
            for (name, value) in [
                ("name", "WhatsApp shop"),
                ("whatsapp_phone_number_id", meta_fake::PHONE_NUMBER_ID),
                ("whatsapp_access_token", meta_fake::ACCESS_TOKEN),
                ("whatsapp_app_secret", meta_fake::APP_SECRET),
                ("whatsapp_verify_token", meta_fake::VERIFY_TOKEN),
            ] {
                fill(&c, new, name, value).await?;
            }
            c.find(css(r#"form[action="/admin/inboxes"] fieldset[data-channel="whatsapp"] details summary"#))
                .await?
                .click()
                .await?;
            fill(&c, new, "whatsapp_api_base", &api_base).await?;
            // Test before saving: the result appears in place.
            c.find(css(r#".test-area[data-channel~="whatsapp"] button"#))
            .await?
            .click()
            .await?;
            wait_text(&c, "#probe-provider", "Connected").await?;
            wait_text(&c, "#probe-provider", "Lucky Shrub").await?;
            c.execute("window.scrollTo(0, 0);", vec![]).await?;
            shot(&c, 1280, "whatsapp-inbox-form").await?;
            shot(&c, 390, "whatsapp-inbox-form-phone").await?;
            c.set_window_size(1280, 900).await?;

            c.find(css(r#"form[action="/admin/inboxes"] button.btn-primary"#))
                .await?
                .click()
                .await?;
            wait_text(&c, "h1", "WhatsApp shop").await?;
            wait_text(&c, ".flash", "Inbox created.").await?;
            let hook = wait_text(&c, "#webhook-url", "/hooks/").await?;
            assert!(hook.starts_with(&format!("{url}/hooks/")), "{hook}");
            wait_text(&c, "#webhook", "Callback URL").await?;
            let text = c.find(css("body")).await?.text().await?;
            assert!(!text.contains(meta_fake::ACCESS_TOKEN));
            shot(&c, 1280, "whatsapp-inbox-page").await?;
            shot(&c, 390, "whatsapp-inbox-page-phone").await?;
            Ok(())
        },
    )
    .await;
    app.stop().await;
}

/// The inbox choice each option of "New message" offers now: (label, usable).
async fn compose_options(c: &Client) -> super::browser::Result<Vec<(String, bool)>> {
    let v = c
        .execute(
            r#"return Array.from(document.querySelectorAll('#new-message [name="inbox_id"] option'))
                .map(o => [o.textContent, !o.disabled && !o.hidden]);"#,
            vec![],
        )
        .await?;
    Ok(v.as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|o| (o[0].as_str().unwrap_or("").to_string(), o[1] == true))
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_messaging_sms_conversation_from_new_message() {
    const SID: &str = "AC0123456789abcdef0123456789abcdef";
    const TOKEN: &str = "twilio-auth-token-for-tests";
    let fake = TwilioFake::start(SID, TOKEN).await;
    let app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            serde_json::json!({"name": "Tienda SMS", "channel": "sms", "sms": {"provider": "twilio",
                   "account_sid": SID, "auth_token": TOKEN, "from": "+1 415 523 8886",
                   "api_base": fake.base}}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            serde_json::json!({"name": "Integración", "channel": "api"}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED, "{v}");
    let url = app.url.clone();
    with_browsers(
        "browser_messaging_sms_conversation_from_new_message",
        |b| async move {
            let c = b.open().await?;
            c.goto(&format!("{url}/login")).await?;
            sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
            wait_path(&c, "/").await?;
            c.find(css(".compose-new > summary")).await?.click().await?;
            let action = "/conversations/new";
            // An email address: only inboxes that reach one stay (the API inbox).
            fill(&c, action, "to", "ana@example.com").await?;
            let opts = compose_options(&c).await?;
            assert!(
                opts.iter().any(|(l, ok)| l.contains("Tienda SMS") && !ok),
                "{opts:?}"
            );
            assert!(
                opts.iter().any(|(l, ok)| l.contains("Integración") && *ok),
                "{opts:?}"
            );
            // A number without its country code: refused, what was typed kept.
            fill(&c, action, "to", "600 111 222").await?;
            c.find(css(r#"#new-message [name="inbox_id"]"#))
                .await?
                .select_by_label("Tienda SMS · SMS")
                .await?;
            assert!(
                !c.find(css(".compose-subject"))
                    .await?
                    .is_displayed()
                    .await?,
                "the subject is for email only"
            );
            fill(&c, action, "content", "Tu pedido está listo para recoger").await?;
            submit(&c, action).await?;
            wait_text(&c, "#new-message-error", "country code").await?;
            let kept = c
                .find(css(r#"#new-message [name="content"]"#))
                .await?
                .prop("value")
                .await?
                .unwrap_or_default();
            assert_eq!(kept, "Tu pedido está listo para recoger");
            shot(&c, 1280, "new-message-refused").await?;
            shot(&c, 390, "new-message-refused-phone").await?;
            c.set_window_size(1280, 900).await?;
            fill(&c, action, "to", "+34 600 111 222").await?;
            submit(&c, action).await?;
            // The new conversation opens with the message on its way.
            let start = std::time::Instant::now();
            loop {
                let path = c.current_url().await?.path().to_string();
                if path.starts_with("/conversations/") {
                    break;
                }
                assert!(start.elapsed() < Duration::from_secs(10), "still on {path}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            wait_text(&c, "#pane", "Tu pedido está listo para recoger").await?;
            wait_text(&c, "#pane", "+34600111222").await?;
            Ok(())
        },
    )
    .await;
    for _ in 0..100 {
        if !fake.sent().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let out = fake.sent();
    assert_eq!(out.len(), 1, "one SMS; the refused attempt sent nothing");
    assert_eq!(out[0].param("To"), Some("+34600111222"));
    assert_eq!(
        out[0].param("Body"),
        Some("Tu pedido está listo para recoger")
    );
    app.stop().await;
}
