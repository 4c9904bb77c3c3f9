//! In a real browser: a WhatsApp inbox created through the new-inbox form (only the
//! chosen channel's and provider's fields show), "Test connection" against the fake
//! Graph API, then the inbox's page with the webhook URL to paste into Meta's console.
//! Screenshots of both, at 1280 and 390 px, go to `docs/screenshots/`.

use super::browser::{css, fill, sign_in, wait_path, wait_text, with_browsers};
use super::common::*;
use super::meta_fake::{self, MetaFake};
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
