//! Sending with care in a real browser: Undo gives the reply back and nothing goes; the
//! countdown sends it; leaving the page during the wait sends it; a preset schedules a
//! reply that is listed above the composer and can be cancelled; a customer message
//! that arrives while the agent types stops the send and shows it, and "Send anyway"
//! sends. Screenshots of the composer with a scheduled reply and of the conflict prompt
//! go to `docs/screenshots/composer-later*.png` (the menu), `composer-care*.png` and
//! `composer-conflict*.png` (1280 and 390 px).

use super::browser::{sign_in, with_browsers};
use super::browser_i18n::shot;
use super::browser_inbox::{click, js, lit, open_inbox, text_of, type_in, wait_contains, wait_js};
use super::common::*;
use fantoccini::key::Key;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

/// The agent's replies in the conversation, oldest first.
async fn replies(api: &Api, conv: u64) -> Vec<String> {
    let mut v: Vec<String> = conversation_messages(api, conv)
        .await
        .iter()
        .filter(|m| m["direction"] == "outbound")
        .map(|m| m["content"].as_str().unwrap().to_string())
        .collect();
    v.reverse();
    v
}

async fn wait_replies(api: &Api, conv: u64, want: &[&str]) -> super::browser::Result {
    let mut got = vec![];
    for _ in 0..100 {
        got = replies(api, conv).await;
        if got == want {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("replies {got:?}, wanted {want:?}").into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_undo_send_later_and_the_conflict_guard() {
    let app = TestApp::start().await;
    let http = app.admin().await;
    let api = Api::for_client(&http).await;
    let (_, me) = api.get("/api/v1/me").await;
    let admin = me["id"].as_u64().unwrap();
    let (inbox, token) = api.inbox("Tienda online", &[admin], None).await;
    let (_, v) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"source_id": "b-1", "contact": {"identifier": "lucia", "name": "Lucía Fernández"}, "content": "¿Tenéis la maceta grande?"}),
    )
    .await;
    let conv = v["conversation_id"].as_u64().unwrap();
    let url = app.url.clone();
    let api2 = Api::with_token(&app.url, &api.token);
    with_browsers("browser_undo_send_later_and_the_conflict_guard", |b| async move {
        let api = api2;
        let c = b.open().await?;
        c.goto(&format!("{url}/login")).await?;
        sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        let path = format!("/conversations/{conv}");
        open_inbox(&c, &url, &path).await?;
        let enter = char::from(Key::Enter);

        // Undo: the reply waits with a countdown; Undo gives it back, nothing is sent.
        type_in(&c, "#composer-text", &format!("Sí, nos queda una{enter}")).await?;
        wait_js(&c, "the undo bar", "!document.getElementById('care-undo').hidden", WAIT).await?;
        wait_contains(&c, "#care-undo", "Sending in", WAIT).await?;
        assert_eq!(
            js(&c, "return document.getElementById('composer-text').readOnly;").await?,
            json!(true)
        );
        click(&c, "#care-undo-button").await?;
        wait_contains(&c, "#care-undo", "Not sent", WAIT).await?;
        let back = js(
            &c,
            "const b = document.getElementById('composer-text'); return [b.value, b.readOnly, document.activeElement === b];",
        )
        .await?;
        assert_eq!(back, json!(["Sí, nos queda una", false, true]));
        tokio::time::sleep(Duration::from_secs(6)).await;
        assert!(replies(&api, conv).await.is_empty(), "undone, never sent");

        // The countdown runs out: it is sent, and the composer is empty again.
        type_in(&c, "#composer-text", &format!(" grande{enter}")).await?;
        wait_contains(&c, "#care-undo", "Sending in", WAIT).await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(replies(&api, conv).await.is_empty(), "not before its time");
        wait_replies(&api, conv, &["Sí, nos queda una grande"]).await?;
        wait_js(
            &c,
            "the composer emptied",
            "document.getElementById('composer-text').value === '' && document.getElementById('care-undo').hidden",
            WAIT,
        )
        .await?;

        // Leaving the page during the wait sends it then.
        type_in(&c, "#composer-text", &format!("Te la guardo{enter}")).await?;
        wait_contains(&c, "#care-undo", "Sending in", WAIT).await?;
        c.goto(&format!("{url}/profile")).await?;
        wait_replies(&api, conv, &["Sí, nos queda una grande", "Te la guardo"]).await?;
        open_inbox(&c, &url, &path).await?;

        // Send later with a preset: listed above the composer, then cancelled.
        type_in(&c, "#composer-text", "¿Sigues interesada?").await?;
        click(&c, "#schedule-menu summary").await?;
        shot(&c, 1280, 900, "composer-later").await?;
        shot(&c, 390, 844, "composer-later-phone").await?;
        c.set_window_size(1280, 900).await?;
        click(&c, "#schedule-menu button[value=tomorrow]").await?;
        wait_contains(&c, "#scheduled", "¿Sigues interesada?", WAIT).await?;
        // Tomorrow 09:00 in the agent's zone (UTC; the clock is at 28 May 20:26).
        wait_contains(&c, "#scheduled", "29 May 2026, 09:00", WAIT).await?;
        let (_, list) = api
            .get(&format!("/api/v1/conversations/{conv}/scheduled"))
            .await;
        assert_eq!(list["scheduled"][0]["send_at"], "2026-05-29T09:00:00Z", "{list}");
        assert_eq!(
            js(&c, "return document.getElementById('composer-text').value;").await?,
            json!(""),
        );
        shot(&c, 1280, 900, "composer-care").await?;
        shot(&c, 390, 844, "composer-care-phone").await?;
        c.set_window_size(1280, 900).await?;
        js(&c, "document.getElementById('schedule-menu').open = false; return null;").await?;
        click(&c, "#scheduled .scheduled-cancel").await?;
        wait_js(&c, "the panel gone", "!document.getElementById('scheduled')", WAIT).await?;
        let (_, list) = api
            .get(&format!("/api/v1/conversations/{conv}/scheduled"))
            .await;
        assert_eq!(list["scheduled"], json!([]));

        // The customer writes while the agent types: Send shows it and sends nothing.
        type_in(&c, "#composer-text", "Perfecto, te la mando el lunes").await?;
        incoming(
            &url,
            inbox,
            &token,
            json!({"source_id": "b-2", "contact": {"identifier": "lucia"}, "content": "Mejor el martes, por favor"}),
        )
        .await;
        // The live refresh shows it and keeps what was typed.
        wait_contains(&c, "#timeline", "Mejor el martes", WAIT).await?;
        let typed = js(&c, "return document.getElementById('composer-text').value;").await?;
        assert_eq!(typed, json!("Perfecto, te la mando el lunes"));
        type_in(&c, "#composer-text", &enter.to_string()).await?;
        wait_contains(&c, "#care-conflict", "Mejor el martes, por favor", Duration::from_secs(15)).await?;
        wait_contains(&c, "#care-conflict", "New messages arrived while you were typing", WAIT).await?;
        assert_eq!(
            js(&c, &format!("return {};", text_of("#care-conflict .conflict-list"))).await?.as_str().map(|s| s.contains("¿Tenéis")),
            Some(false),
            "only what is new"
        );
        assert_eq!(replies(&api, conv).await.len(), 2);
        shot(&c, 1280, 900, "composer-conflict").await?;
        shot(&c, 390, 844, "composer-conflict-phone").await?;
        c.set_window_size(1280, 900).await?;
        // "Edit" keeps the text to change; then "Send anyway" after a second prompt.
        click(&c, "#conflict-edit").await?;
        wait_js(&c, "the prompt closed", "!document.querySelector('#care-conflict .conflict')", WAIT).await?;
        let v: Value = js(&c, "return document.getElementById('composer-text').value;").await?;
        assert_eq!(v, json!("Perfecto, te la mando el lunes"));
        js(
            &c,
            &format!(
                "document.getElementById('composer-text').value = {}; return null;",
                lit("Perfecto, te la mando el martes")
            ),
        )
        .await?;
        // The prompt counted what it showed as seen: this send goes (after the wait).
        type_in(&c, "#composer-text", &enter.to_string()).await?;
        wait_replies(
            &api,
            conv,
            &["Sí, nos queda una grande", "Te la guardo", "Perfecto, te la mando el martes"],
        )
        .await?;
        // And "Send anyway" when another message comes.
        type_in(&c, "#composer-text", "Gracias a ti").await?;
        incoming(
            &url,
            inbox,
            &token,
            json!({"source_id": "b-3", "contact": {"identifier": "lucia"}, "content": "¡Gracias!"}),
        )
        .await;
        wait_contains(&c, "#timeline", "¡Gracias!", WAIT).await?;
        type_in(&c, "#composer-text", &enter.to_string()).await?;
        wait_contains(&c, "#care-conflict", "¡Gracias!", Duration::from_secs(15)).await?;
        click(&c, "#conflict-send").await?;
        wait_replies(
            &api,
            conv,
            &[
                "Sí, nos queda una grande",
                "Te la guardo",
                "Perfecto, te la mando el martes",
                "Gracias a ti",
            ],
        )
        .await?;
        Ok(())
    })
    .await;
    app.stop().await;
}
