//! WhatsApp templates synced from Meta, in a real browser: past the 24-hour window the
//! composer offers only the approved templates; the synced one asks for its header's
//! {{1}} and its URL button's suffix by name, previews header, body and footer, and
//! goes with those components. Screenshots of the dialog at 1280 and 390 px go to
//! `docs/screenshots/whatsapp-sync-template-*.png`, and of Admin → Templates' sync
//! card to `docs/screenshots/whatsapp-sync-admin-*.png`.

use super::browser::{css, sign_in, wait_path, wait_text, with_browsers};
use super::browser_messaging::shot;
use super::common::*;
use super::meta_fake::{self, Route};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_synced_whatsapp_template_outside_the_window() {
    let (app, _web, api, fake, inbox, hook) = super::whatsapp::whatsapp_inbox_web().await;
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/inboxes/{inbox}"),
            Some(json!({"whatsapp": {"waba_id": meta_fake::WABA_ID}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = api
        .post(
            &format!("/api/v1/inboxes/{inbox}/whatsapp_templates/sync"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let msg = meta_fake::wa_text(
        "34600111555",
        "Lucía Fernández",
        "wamid.BS1",
        "¿Cuándo sale mi pedido?",
        app.clock_now() / 1000,
    );
    assert_eq!(post_meta_signed(&hook, &msg).await, StatusCode::OK);
    let conv = inbox_conversations(&api, inbox).await[0]["id"]
        .as_u64()
        .unwrap();
    let (_, list) = api.get("/api/v1/templates").await;
    let shipped = list["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["whatsapp"]["name"] == "order_shipped")
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    app.clock.advance_secs(25 * 3600);
    let url = app.url.clone();
    let fake = &fake;
    with_browsers(
        "browser_synced_whatsapp_template_outside_the_window",
        |b| async move {
            let c = b.open().await?;
            c.goto(&format!("{url}/login")).await?;
            sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
            c.goto(&format!("{url}/admin/templates")).await?;
            wait_text(&c, "#wa-sync", "Sync templates").await?;
            shot(&c, 1280, "whatsapp-sync-admin-1280").await?;
            shot(&c, 390, "whatsapp-sync-admin-390").await?;
            c.set_window_size(1280, 900).await?;

            c.goto(&format!("{url}/conversations/{conv}")).await?;
            wait_path(&c, &format!("/conversations/{conv}")).await?;
            c.find(css("#template-open-closed")).await?.click().await?;
            wait_text(&c, "#template-choice", "order_shipped").await?;
            c.execute(
                "const s = document.getElementById('template-choice'); s.value = arguments[0]; \
                 s.dispatchEvent(new Event('change', {bubbles: true}));",
                vec![json!(shipped.to_string())],
            )
            .await?;
            wait_text(&c, "#template-fields", "Header {{1}}").await?;
            wait_text(
                &c,
                "#template-fields",
                "End of the link of “Seguir el envío”",
            )
            .await?;
            for (field, value) in [
                ("1", "Lucía"),
                ("2", "lunes"),
                ("header.1", "48213"),
                ("button.1", "48213"),
            ] {
                c.find(css(&format!(
                    "#template-fields input[data-field='{field}']"
                )))
                .await?
                .send_keys(value)
                .await?;
            }
            for part in [
                "Pedido 48213",
                "Hola Lucía, tu pedido sale el lunes.",
                "Lucky Shrub",
            ] {
                wait_text(&c, "#template-text", part).await?;
            }
            // An approved template goes now: the dialog offers no "When".
            let when = c
                .execute(
                    "return document.querySelector('.template-when').offsetParent === null;",
                    vec![],
                )
                .await?;
            assert_eq!(when, json!(true), "no When for an approved template");
            shot(&c, 1280, "whatsapp-sync-template-1280").await?;
            shot(&c, 390, "whatsapp-sync-template-390").await?;
            c.set_window_size(1280, 900).await?;
            c.find(css("#template-confirm")).await?.click().await?;
            wait_text(&c, "#pane", "Hola Lucía, tu pedido sale el lunes.").await?;
            let start = std::time::Instant::now();
            while fake.requests_to(Route::WhatsAppSend).is_empty() {
                assert!(start.elapsed() < std::time::Duration::from_secs(10));
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            let sent = fake.requests_to(Route::WhatsAppSend)[0].json();
            assert_eq!(
                sent["template"]["components"][2],
                json!({"type": "button", "sub_type": "url", "index": "1",
                    "parameters": [{"type": "text", "text": "48213"}]})
            );
            Ok(())
        },
    )
    .await;
    app.stop().await;
}
