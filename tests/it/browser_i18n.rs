//! The inbox in Spanish in a real browser: an agent picks Español and a time zone in
//! the profile, and the inbox, a conversation and its live parts speak Spanish in that
//! zone. Longer Spanish words must not overflow at 1280 or 390 px: screenshots of both
//! go to `docs/screenshots/inbox-es.png` and `inbox-es-phone.png`.

use super::browser::{Result, css, fill, sign_in, submit, wait_path, wait_text, with_browsers};
use super::browser_inbox::{js, wait_contains, wait_js, wait_live};
use super::common::*;
use fantoccini::Client;
use serde_json::json;
use std::time::Duration;

/// Checks that nothing on the page is wider than the window at `width` px (rows that
/// scroll or clip sideways on purpose, like the phone's navigation, and closed menus
/// aside).
pub(super) async fn fits(c: &Client, width: u32, height: u32) -> Result {
    c.set_window_size(width, height).await?;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let wide = js(
        c,
        "const w = document.documentElement.clientWidth; \
         const scrolls = e => { for (let p = e.parentElement; p; p = p.parentElement) { \
           if (getComputedStyle(p).overflowX !== 'visible') return true; } return false; }; \
         return [...document.querySelectorAll('body *')].filter(e => { \
           const r = e.getBoundingClientRect(); \
           return r.width > 0 && r.right > w + 1 && getComputedStyle(e).position !== 'fixed' \
             && !scrolls(e) && !e.closest('[hidden], details:not([open]) > :not(summary)'); \
         }).map(e => e.tagName + '.' + e.className + ' ' + e.textContent.slice(0, 30) + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 5);",
    )
    .await?;
    assert_eq!(wide, json!([]), "elements wider than {width} px");
    Ok(())
}

/// Saves the viewport at `width` x `height` as `docs/screenshots/<name>.png`, once it
/// [`fits`].
pub(super) async fn shot(c: &Client, width: u32, height: u32, name: &str) -> Result {
    fits(c, width, height).await?;
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("docs/screenshots/{name}.png"));
    std::fs::write(out, c.screenshot().await?)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_inbox_in_spanish_in_the_agents_zone() {
    let app = TestApp::start().await; // 2026-05-28 20:26:40 UTC
    let http = app.admin().await;
    let api = Api::for_client(&http).await;
    let (inbox, token) = api.inbox("Tienda online", &[], None).await;
    let mut conv = 0;
    for (i, (who, text)) in [
        (
            "Lucía Fernández",
            "Hola, ¿dónde está mi pedido 4512? Lo pedí el lunes.",
        ),
        ("Jorge Martínez", "¿Tenéis la talla M en azul?"),
        ("Carmen Ruiz", "Quiero cambiar la dirección de entrega."),
    ]
    .iter()
    .enumerate()
    {
        let (s, v) = incoming(
            &app.url,
            inbox,
            &token,
            json!({"source_id": format!("m-{i}"), "contact": {"identifier": format!("c-{i}"), "name": who}, "content": text}),
        )
        .await;
        assert_eq!(s, reqwest::StatusCode::OK, "{v}");
        conv = v["conversation_id"].as_u64().unwrap();
    }
    let url = app.url.clone();
    with_browsers("browser_inbox_in_spanish_in_the_agents_zone", |b| async move {
        let c = b.open().await?;
        c.goto(&format!("{url}/login")).await?;
        sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        // The profile: Español and Madrid.
        c.goto(&format!("{url}/profile")).await?;
        wait_path(&c, "/profile").await?;
        c.find(css(r#"form[action="/profile/preferences"] select[name="language"]"#))
            .await?
            .select_by_value("es")
            .await?;
        fill(&c, "/profile/preferences", "timezone", "Europe/Madrid").await?;
        submit(&c, "/profile/preferences").await?;
        wait_text(&c, ".flash", "Idioma y zona horaria guardados.").await?;
        assert_eq!(js(&c, "return document.documentElement.lang;").await?, json!("es"));

        c.goto(&format!("{url}/conversations/{conv}?view=all")).await?;
        wait_live(&c).await?;
        wait_contains(&c, ".live-text", "En directo", Duration::from_secs(10)).await?;
        wait_contains(&c, "#views", "Todas abiertas", Duration::from_secs(5)).await?;
        wait_contains(&c, "#timeline", "Conversación iniciada", Duration::from_secs(5)).await?;
        // 20:26 UTC is 22:26 in Madrid (summer time); the script leaves the server's times.
        wait_js(
            &c,
            "the row's time in Madrid",
            "[...document.querySelectorAll('#list .row-time')].every(t => t.textContent === '22:26' && t.title === '28 may 2026, 22:26 CEST')",
            Duration::from_secs(5),
        )
        .await?;
        // The composer's note placeholder comes from the page, in Spanish.
        c.find(css(r#"#composer input[value="note"]"#)).await?.click().await?;
        wait_js(
            &c,
            "the note placeholder",
            "document.querySelector('#composer-text').placeholder.startsWith('Nota privada')",
            Duration::from_secs(5),
        )
        .await?;
        c.find(css(r#"#composer input[value="reply"]"#)).await?.click().await?;
        shot(&c, 1280, 900, "inbox-es").await?;
        shot(&c, 390, 844, "inbox-es-phone").await?;
        // The menu and the contact pane on a phone, where the words are longest.
        c.find(css("#snooze-menu summary")).await?.click().await?;
        wait_contains(&c, "#snooze-menu", "Mañana a las 09:00", Duration::from_secs(5)).await?;
        fits(&c, 390, 844).await?;
        Ok(())
    })
    .await;
    app.stop().await;
}
