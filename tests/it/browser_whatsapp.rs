//! A WhatsApp conversation in the real browser: a customer's message arrives live, the
//! composer shows the 24-hour window, the agent replies with Enter, and the ticks move
//! to "read" live as WhatsApp's status callbacks come in. Screenshots at 1280 and 390 px
//! go to `target/test-screenshots/`.

use super::browser::{sign_in, with_browsers};
use super::browser_inbox::{
    LIVE, open_inbox, open_row, row, some_contains, type_in, wait_contains, wait_js,
};
use super::common::*;
use super::meta_fake;
use fantoccini::key::Key;
use reqwest::StatusCode;
use std::time::Duration;

#[actix_web::test]
#[ignore = "needs Chromium and chromedriver; run ./scripts/test (it installs them)"]
async fn browser_whatsapp_reply_and_ticks_move_live() {
    let (app, _web, api, fake, _inbox, hook) = super::whatsapp::whatsapp_inbox_web().await;
    let url = app.url.clone();
    let now = app.clock_now() / 1000;
    let (hook, api, fake) = (&hook, &api, &fake);
    with_browsers(
        "browser_whatsapp_reply_and_ticks_move_live",
        |b| async move {
            let c = b.open().await?;
            c.goto(&format!("{url}/login")).await?;
            sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
            open_inbox(&c, &url, "/?view=all").await?;
            let msg = meta_fake::wa_text(
                "34600111222",
                "Lucía Fernández",
                "wamid.B1",
                "Hola, ¿me guardáis la maceta grande?",
                now,
            );
            assert_eq!(post_meta_signed(hook, &msg).await, StatusCode::OK);
            let (_, list) = api.get("/api/v1/conversations?view=all").await;
            let id = list["conversations"][0]["id"].as_u64().unwrap();
            wait_js(&c, "the conversation in the list", &row(id), LIVE).await?;
            open_row(&c, id).await?;
            wait_contains(&c, "#composer-window", "24-hour messaging window", LIVE).await?;
            wait_contains(&c, "#composer-window", "left)", LIVE).await?;
            let reply = "¡Claro, Lucía! Te la guardamos hasta el sábado.";
            type_in(
                &c,
                "#composer-text",
                &format!("{reply}{}", char::from(Key::Enter)),
            )
            .await?;
            wait_js(
                &c,
                "the reply in the timeline",
                &some_contains("#timeline .msg-out", reply),
                LIVE,
            )
            .await?;
            wait_js(
                &c,
                "the reply sent",
                "document.querySelector('#timeline .msg-out .msg-status-sent')",
                LIVE,
            )
            .await?;
            let (_, page) = api.get(&format!("/api/v1/conversations/{id}")).await;
            let wamid = page["messages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["direction"] == "outbound")
                .and_then(|m| m["source_id"].as_str())
                .unwrap()
                .to_string();
            for st in ["delivered", "read"] {
                let s = meta_fake::wa_status(&wamid, st, "34600111222", now, None);
                assert_eq!(post_meta_signed(hook, &s).await, StatusCode::OK);
                wait_js(
                    &c,
                    &format!("the ticks at {st}"),
                    &format!("document.querySelector('#timeline .msg-out .msg-status-{st}')"),
                    LIVE,
                )
                .await?;
            }
            assert_eq!(fake.requests_to(meta_fake::Route::WhatsAppSend).len(), 1);
            let dir =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-screenshots");
            std::fs::create_dir_all(&dir)?;
            for (w, h) in [(1280, 900), (390, 844)] {
                c.set_window_size(w, h).await?;
                tokio::time::sleep(Duration::from_millis(400)).await;
                std::fs::write(
                    dir.join(format!("whatsapp-conversation-{w}.png")),
                    c.screenshot().await?,
                )?;
            }
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        },
    )
    .await;
    app.stop().await;
}
