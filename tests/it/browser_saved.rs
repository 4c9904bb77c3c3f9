//! Saved responses in the composer, in a real browser: "/" opens a short list that
//! inserts a response with the contact's name filled; the picker groups them and finds
//! them by search; a variable without a value stays marked and the reply is refused
//! with the reason under the composer. Screenshots at 1280 and 390 px.

use super::browser::{css, sign_in, wait_path, wait_text, with_browsers};
use super::browser_messaging::shot;
use super::common::*;
use fantoccini::key::Key;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

/// Waits until `script` (returning a value) returns `want`.
async fn wait_js(c: &fantoccini::Client, script: &str, want: serde_json::Value) -> String {
    let start = Instant::now();
    loop {
        let got = c.execute(script, vec![]).await.unwrap();
        if got == want {
            return got.to_string();
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{script}: {got} (want {want})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_slash_inserts_a_saved_response_with_the_contact_name() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (inbox, token) = api.inbox("Tienda", &[], None).await;
    let (s, v) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"source_id": "b-1", "contact": {"identifier": "c-1", "name": "Lucía Fernández"}, "content": "¿Mi pedido?"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let conv = v["conversation_id"].as_u64().unwrap();
    for (title, shortcut, body, category, shared) in [
        (
            "Saludo",
            "hola",
            "Hola {{contact.first_name}}, soy {{agent.name}}.",
            "Inicio",
            true,
        ),
        (
            "Pedir teléfono",
            "tel",
            "¿Nos dejas tu teléfono? Tenemos {{contact.phone}}.",
            "Datos",
            true,
        ),
        (
            "Despedida",
            "adios",
            "Gracias, {{contact.name}}.",
            "",
            false,
        ),
    ] {
        let (s, e) = api
            .post(
                "/api/v1/saved_responses",
                json!({"title": title, "shortcut": shortcut, "body": body, "category": category, "shared": shared}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
    }
    let url = app.url.clone();
    with_browsers(
        "browser_slash_inserts_a_saved_response_with_the_contact_name",
        |b| async move {
            let c = b.open().await?;
            c.goto(&format!("{url}/login")).await?;
            sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
            c.goto(&format!("{url}/conversations/{conv}")).await?;
            wait_path(&c, &format!("/conversations/{conv}")).await?;
            let text = c.find(css("#composer-text")).await?;
            text.send_keys("/ho").await?;
            wait_text(&c, "#saved-slash", "Saludo").await?;
            let listed = c
                .execute(
                    "return [...document.querySelectorAll('#saved-slash [role=option]')].map(o => o.querySelector('strong').textContent);",
                    vec![],
                )
                .await?;
            assert_eq!(listed, json!(["Saludo"]), "filtered as typed");
            let active = c
                .execute(
                    "const t = document.getElementById('composer-text'); return t.getAttribute('aria-activedescendant') === document.querySelector('#saved-slash [aria-selected=true]').id;",
                    vec![],
                )
                .await?;
            assert_eq!(active, json!(true), "the list is announced through aria-activedescendant");
            shot(&c, 1280, "saved-slash-1280").await?;
            text.send_keys(&char::from(Key::Enter).to_string()).await?;
            wait_js(
                &c,
                "return document.getElementById('composer-text').value;",
                json!("Hola Lucía, soy Ana López."),
            )
            .await;
            assert_eq!(
                c.execute("return document.getElementById('saved-slash').hidden;", vec![])
                    .await?,
                json!(true)
            );
            // Escape closes the list without inserting.
            text.send_keys(" /ad").await?;
            wait_text(&c, "#saved-slash", "Despedida").await?;
            text.send_keys(&char::from(Key::Escape).to_string()).await?;
            wait_js(&c, "return document.getElementById('saved-slash').hidden;", json!(true)).await;
            // The picker: grouped, searched, and a missing value stays marked.
            c.execute("document.getElementById('composer-text').value = '';", vec![])
                .await?;
            c.find(css("#saved-open")).await?.click().await?;
            wait_text(&c, "#saved-options", "Pedir teléfono").await?;
            let groups = c
                .execute(
                    "return [...document.querySelectorAll('#saved-options .saved-group-name')].map(g => g.textContent);",
                    vec![],
                )
                .await?;
            assert_eq!(groups, json!(["Inicio", "Datos", "Other"]));
            shot(&c, 390, "saved-picker-390").await?;
            shot(&c, 1280, "saved-picker-1280").await?;
            c.find(css("#saved-search")).await?.send_keys("tel").await?;
            wait_js(
                &c,
                "return document.querySelectorAll('#saved-options [role=option]').length;",
                json!(1),
            )
            .await;
            c.find(css("#saved-search"))
                .await?
                .send_keys(&char::from(Key::Enter).to_string())
                .await?;
            wait_js(
                &c,
                "return document.getElementById('composer-text').value;",
                json!("¿Nos dejas tu teléfono? Tenemos {{contact.phone}}."),
            )
            .await;
            wait_text(&c, "#saved-missing", "{{contact.phone}}").await?;
            assert!(
                !c.find(css("#saved-panel")).await?.is_displayed().await?,
                "the picker closed"
            );
            let selected = c
                .execute(
                    "const t = document.getElementById('composer-text'); return t.value.slice(t.selectionStart, t.selectionEnd);",
                    vec![],
                )
                .await?;
            assert_eq!(selected, json!("{{contact.phone}}"), "selected, to type over");
            // Sending it anyway: refused, with the reason under the composer.
            c.find(css("#send")).await?.click().await?;
            wait_text(&c, "#saved-missing", "Fill in {{contact.phone}} before sending").await?;
            shot(&c, 1280, "saved-unfilled-1280").await?;
            c.goto(&format!("{url}/admin/saved_responses")).await?;
            wait_text(&c, "#saved-responses", "Pedir teléfono").await?;
            shot(&c, 1280, "saved-admin-1280").await?;
            shot(&c, 390, "saved-admin-390").await?;
            Ok(())
        },
    )
    .await;
    let (_, page) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    let texts: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert_eq!(texts, ["¿Mi pedido?"], "nothing unfilled was sent");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_template_previewed_and_sent_after_confirming() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (inbox, token) = api.inbox("Tienda", &[], None).await;
    let (_, v) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"source_id": "b-2", "contact": {"identifier": "c-2", "name": "Lucía Fernández"}, "content": "¿Mi pedido?"}),
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
    let peek = Api::with_token(&api.base, &api.token);
    with_browsers(
        "browser_template_previewed_and_sent_after_confirming",
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
            wait_text(
                &c,
                "#template-text",
                "Hola Lucía, tu pedido {{order_number}} ya salió.",
            )
            .await?;
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
            shot(&c, 1280, "template-dialog-1280").await?;
            shot(&c, 390, "template-dialog-390").await?;
            // Nothing goes before the agent confirms.
            let (_, page) = peek.get(&format!("/api/v1/conversations/{conv}")).await;
            assert_eq!(
                page["messages"].as_array().map(Vec::len),
                Some(1),
                "only the customer's message so far"
            );
            c.find(css("#template-confirm")).await?.click().await?;
            wait_text(&c, "#pane", "Hola Lucía, tu pedido 48213 ya salió.").await?;
            assert!(
                !c.find(css("#template-dialog"))
                    .await?
                    .is_displayed()
                    .await?
            );
            Ok(())
        },
    )
    .await;
    let (_, page) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    assert_eq!(
        page["messages"][0]["content"],
        "Hola Lucía, tu pedido 48213 ya salió."
    );
    app.stop().await;
}
