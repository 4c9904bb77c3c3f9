//! WhatsApp approved templates: entered through the API with their approved name,
//! language, numbered body, header and buttons; sent as a Cloud API template message
//! with its components (also outside the 24-hour window, where free text is refused);
//! bad input refused with 422 and nothing stored.

use super::common::*;
use super::meta_fake::{self, Route};
use super::whatsapp::whatsapp_inbox_web;
use reqwest::StatusCode;
use serde_json::{Value, json};

const CUSTOMER: &str = "34600111333";

fn shipped(inbox: u64) -> Value {
    json!({
        "name": "Pedido enviado",
        "whatsapp": {
            "name": "order_shipped",
            "language": "es",
            "body": "Hola {{1}}, tu pedido {{2}} ya salió.",
            "header": {"type": "image", "url": "https://shop.example/box.png"},
            "buttons": [
                {"type": "quick_reply", "text": "Gracias"},
                {"type": "url", "text": "Seguir el envío", "url": "https://shop.example/track"}
            ],
            "inbox_id": inbox
        }
    })
}

/// The composer's template list for conversation `conv`.
async fn listed(web: &Client, conv: u64) -> Value {
    let (s, text) = web
        .get_text(&format!("/conversations/{conv}/templates"))
        .await;
    assert_eq!(s, StatusCode::OK, "{text}");
    serde_json::from_str(&text).unwrap()
}

#[actix_web::test]
async fn whatsapp_template_goes_with_its_components_outside_the_window() {
    let (app, web, api, fake, inbox, hook) = whatsapp_inbox_web().await;
    let (s, plain) = api
        .post(
            "/api/v1/templates",
            json!({"name": "Gracias", "language": "es", "body": "¡Gracias, {{contact.first_name}}!"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{plain}");
    let (s, t) = api.post("/api/v1/templates", shipped(inbox)).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(
        t["language"], "es",
        "the WhatsApp language fills the template's"
    );
    assert_eq!(t["body"], "Hola {{1}}, tu pedido {{2}} ya salió.");
    assert_eq!(t["fields"], json!(["1", "2"]));
    assert_eq!(t["whatsapp"]["name"], "order_shipped");
    assert_eq!(
        t["whatsapp"]["buttons"][1]["url"],
        "https://shop.example/track"
    );
    let template = t["id"].as_u64().unwrap();

    // A PATCH without `whatsapp` keeps it.
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/templates/{template}"),
            Some(json!({"name": "Pedido en camino"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["whatsapp"]["name"], "order_shipped");

    let first = meta_fake::wa_text(
        CUSTOMER,
        "Lucía",
        "wamid.TPL1",
        "¿Dónde está mi pedido?",
        app.clock_now() / 1000,
    );
    assert_eq!(post_meta_signed(&hook, &first).await, StatusCode::OK);
    let conv = inbox_conversations(&api, inbox).await[0]["id"]
        .as_u64()
        .unwrap();

    // Inside the window the composer offers every template and the text box.
    let names = |v: &Value| -> Vec<String> {
        v["templates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(&listed(&web, conv).await),
        ["Gracias", "Pedido en camino"]
    );
    let (_, pane) = web.get_text(&format!("/conversations/{conv}/pane")).await;
    assert!(!pane.contains("templates-only"), "{pane}");

    // 25 hours later free text is refused, before anything is sent…
    app.clock.advance_secs(25 * 3600);
    web.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    // …the composer offers only this inbox's WhatsApp templates…
    let (_, pane) = web.get_text(&format!("/conversations/{conv}/pane")).await;
    assert!(pane.contains("templates-only"), "{pane}");
    assert!(pane.contains("id=\"template-open-closed\""), "{pane}");
    assert_eq!(names(&listed(&web, conv).await), ["Pedido en camino"]);
    // …and a plain template is free text there.
    let (s, v) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"template_id": plain["id"], "fields": {}}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let url = format!("/api/v1/conversations/{conv}/messages");
    let (s, v) = api.post(&url, json!({"content": "¿Sigues ahí?"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    // …and so is the template with a field left empty.
    let (s, v) = api
        .post(
            &url,
            json!({"template_id": template, "fields": {"1": "Lucía"}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains('2'), "{v}");
    assert!(fake.requests_to(Route::WhatsAppSend).is_empty());

    // The template goes: the stored text is what the customer sees.
    let (s, m) = api
        .post(
            &url,
            json!({"template_id": template, "fields": {"1": "Lucía", "2": "48213"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(m["content"], "Hola Lucía, tu pedido 48213 ya salió.");
    wait_status(&api, conv, m["id"].as_u64().unwrap(), "sent").await;
    let sends = fake.requests_to(Route::WhatsAppSend);
    assert_eq!(sends.len(), 1);
    let body = sends[0].json();
    assert_eq!(body["type"], "template", "{body}");
    assert_eq!(body["to"], CUSTOMER);
    assert_eq!(
        body["template"],
        json!({
            "name": "order_shipped",
            "language": {"code": "es"},
            "components": [
                {"type": "header", "parameters": [
                    {"type": "image", "image": {"link": "https://shop.example/box.png"}}
                ]},
                {"type": "body", "parameters": [
                    {"type": "text", "text": "Lucía"}, {"type": "text", "text": "48213"}
                ]}
            ]
        })
    );
    app.stop().await;
}

#[actix_web::test]
async fn whatsapp_template_input_is_checked() {
    let (app, _web, api, _fake, inbox, _hook) = whatsapp_inbox_web().await;
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = shipped(inbox);
        f(&mut v["whatsapp"]);
        v
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            with(&|w| w["name"] = json!("Order Shipped")),
            "whatsapp.name",
        ),
        (with(&|w| w["language"] = json!("e s")), "whatsapp.language"),
        (with(&|w| w["body"] = json!("Hola {{2}}")), "whatsapp.body"),
        (
            with(&|w| w["body"] = json!("Hola {{name}}")),
            "whatsapp.body",
        ),
        (with(&|w| w["body"] = json!(" ")), "whatsapp.body"),
        (
            with(&|w| w["header"] = json!({"type": "image"})),
            "whatsapp.header.url",
        ),
        (
            with(&|w| w["header"] = json!({"type": "location"})),
            "whatsapp",
        ),
        (
            with(&|w| w["header"] = json!({"type": "text", "text": "Pedido {{2}}"})),
            "whatsapp.header.text",
        ),
        (
            with(&|w| {
                w["buttons"] =
                    json!([{"type": "url", "text": "Ver", "url": "https://x.example/{{1}}/a"}])
            }),
            "whatsapp.buttons.url",
        ),
        (
            with(&|w| w["header"] = json!({"type": "text", "text": "x".repeat(61)})),
            "whatsapp.header.text",
        ),
        (
            with(&|w| w["buttons"] = json!([{"type": "url", "text": "Ver"}])),
            "whatsapp.buttons.url",
        ),
        (
            with(&|w| {
                w["buttons"] =
                    json!([{"type": "phone_number", "text": "Llamar", "phone_number": "abc"}])
            }),
            "whatsapp.buttons.phone_number",
        ),
        (
            with(&|w| w["inbox_id"] = json!(987_654_321u64)),
            "whatsapp.inbox_id",
        ),
        (with(&|w| w["colour"] = json!("red")), "whatsapp"),
    ];
    for (body, field) in cases {
        let (s, v) = api.post("/api/v1/templates", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body} → {v}");
        assert!(
            v.to_string().contains(field),
            "{body} should name {field}: {v}"
        );
    }
    let (_, list) = api.get("/api/v1/templates").await;
    assert_eq!(list["templates"], json!([]), "nothing was stored");
    app.stop().await;
}

#[actix_web::test]
async fn admin_enters_a_whatsapp_template_on_the_templates_page() {
    let (app, web, api, _fake, inbox, _hook) = whatsapp_inbox_web().await;
    let (_, page) = web.get_text("/admin/templates").await;
    assert!(page.contains("WhatsApp approved template"), "{page}");
    assert!(
        page.contains("WhatsApp shop"),
        "the inbox is offered: {page}"
    );
    let inbox_s = inbox.to_string();
    let form = |name: &'static str| {
        vec![
            ("name", "Factura lista"),
            ("language", "es"),
            ("body", "Hola {{1}}, tu factura {{2}} está lista."),
            ("wa_inbox_id", inbox_s.as_str()),
            ("wa_name", name),
            ("wa_language", "es"),
            ("wa_header_type", "document"),
            ("wa_header", "https://shop.example/factura.pdf"),
            (
                "wa_buttons",
                "quick_reply | Gracias\nphone_number | Llamar | +34600111222",
            ),
        ]
    };
    // A name Meta would not have approved: refused in words, nothing stored.
    let r = web
        .submit(
            "/admin/templates",
            "/admin/templates",
            &form("Factura Lista"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("whatsapp.name"));
    let (_, list) = api.get("/api/v1/templates").await;
    assert_eq!(list["templates"], json!([]));

    let r = web
        .submit(
            "/admin/templates",
            "/admin/templates",
            &form("invoice_ready"),
        )
        .await;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    let (_, list) = api.get("/api/v1/templates").await;
    let w = &list["templates"][0]["whatsapp"];
    assert_eq!(w["name"], "invoice_ready", "{list}");
    assert_eq!(w["header"]["type"], "document");
    assert_eq!(w["buttons"][1]["phone_number"], "+34600111222");
    assert_eq!(w["inbox_id"], inbox);
    // The page shows what Meta approved.
    let (_, page) = web.get_text("/admin/templates").await;
    assert!(page.contains("<code>invoice_ready</code>"), "{page}");
    assert!(page.contains("https://shop.example/factura.pdf"), "{page}");
    app.stop().await;
}
