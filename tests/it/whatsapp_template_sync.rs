//! WhatsApp approved templates synced from Meta: the inbox's WABA id, Graph's
//! `message_templates` read page by page (only APPROVED kept), a re-sync that updates
//! and removes instead of duplicating, Graph's refusals shown with nothing changed, the
//! access token never sent to a host `paging.next` names; and a synced template with a
//! text-header variable and a URL-button suffix sent with those components.

use super::common::*;
use super::meta_fake::{self, MetaFake, Route};
use super::whatsapp::whatsapp_inbox_web;
use reqwest::StatusCode;
use serde_json::{Value, json};

const CUSTOMER: &str = "34600111444";

fn sync_url(inbox: u64) -> String {
    format!("/api/v1/inboxes/{inbox}/whatsapp_templates/sync")
}

async fn set_waba(api: &Api, inbox: u64) {
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/inboxes/{inbox}"),
            Some(json!({"whatsapp": {"waba_id": meta_fake::WABA_ID}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["whatsapp"]["waba_id"], meta_fake::WABA_ID, "{v}");
    assert_eq!(
        v["whatsapp"]["access_token_set"], true,
        "the token is kept: {v}"
    );
}

/// The stored templates, by WhatsApp name.
async fn stored(api: &Api) -> Vec<Value> {
    let (_, list) = api.get("/api/v1/templates").await;
    list["templates"].as_array().unwrap().clone()
}

fn wa_names(list: &[Value]) -> Vec<String> {
    let mut n: Vec<String> = list
        .iter()
        .map(|t| t["whatsapp"]["name"].as_str().unwrap().to_string())
        .collect();
    n.sort();
    n
}

#[actix_web::test]
async fn sync_reads_every_page_keeps_approved_and_resync_updates() {
    let (app, web, api, fake, inbox, _hook) = whatsapp_inbox_web().await;

    // Without a WABA id there is nothing to ask Meta.
    let (s, v) = api.post(&sync_url(inbox), json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("Business Account"), "{v}");
    let (_, page) = web.get_text("/admin/templates").await;
    assert!(page.contains("id=\"wa-sync\""), "{page}");
    assert!(
        page.contains(&format!("href=\"/admin/inboxes/{inbox}\"")),
        "{page}"
    );
    let (_, edit) = web.get_text(&format!("/admin/inboxes/{inbox}")).await;
    assert!(edit.contains("name=\"whatsapp_waba_id\""), "{edit}");

    // A WABA id that is not Meta's numeric id is refused, named.
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/inboxes/{inbox}"),
            Some(json!({"whatsapp": {"waba_id": "1022-abc"}})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("whatsapp.waba_id"), "{v}");

    set_waba(&api, inbox).await;
    let (s, v) = api.post(&sync_url(inbox), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["synced"], &v["created"], &v["updated"], &v["removed"]),
        (&json!(3), &json!(3), &json!(0), &json!(0)),
        "{v}"
    );
    let skipped: Vec<(&str, &str)> = v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        skipped,
        [("summer_sale", "PENDING"), ("win_back", "REJECTED")]
    );
    assert_eq!(
        v["message"],
        "3 approved templates synced, 2 skipped, 0 removed"
    );

    // Two pages, both with the token, the second by its cursor.
    let asked = fake.requests_to(Route::TemplateList);
    assert_eq!(asked.len(), 2, "{asked:?}");
    for r in &asked {
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Bearer {}", meta_fake::ACCESS_TOKEN).as_str())
        );
        assert!(
            r.path.contains("fields=name%2Clanguage%2Cstatus"),
            "{}",
            r.path
        );
    }
    assert!(!asked[0].path.contains("after="), "{}", asked[0].path);
    assert!(
        asked[1].path.ends_with("&after=QVFIU3"),
        "{}",
        asked[1].path
    );

    let list = stored(&api).await;
    assert_eq!(
        wa_names(&list),
        ["invoice_ready", "order_shipped", "welcome"]
    );
    let shipped = list
        .iter()
        .find(|t| t["whatsapp"]["name"] == "order_shipped")
        .unwrap()
        .clone();
    let w = &shipped["whatsapp"];
    assert_eq!(
        w["header"],
        json!({"type": "text", "text": "Pedido {{1}}", "url": null})
    );
    assert_eq!(w["footer"], "Lucky Shrub");
    assert_eq!(w["examples"], json!(["Lucía", "lunes"]));
    assert_eq!(w["buttons"][1]["url"], "https://shop.example/track/{{1}}");
    assert_eq!(w["buttons"][2]["phone_number"], "+34600111222");
    assert_eq!(w["synced"], true);
    assert_eq!(w["inbox_id"], inbox);
    assert_eq!(shipped["fields"], json!(["1", "2", "header.1", "button.1"]));
    let invoice = list
        .iter()
        .find(|t| t["whatsapp"]["name"] == "invoice_ready")
        .unwrap();
    assert_eq!(invoice["whatsapp"]["header"]["type"], "document");
    assert_eq!(invoice["language"], "en_US");

    // An admin renames one; Meta changes its body, pauses another and approves a
    // new one: a re-sync updates in place, removes, adds, and duplicates nothing.
    let id = shipped["id"].as_u64().unwrap();
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/templates/{id}"),
            Some(json!({"name": "Pedido enviado"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut meta = meta_fake::default_templates();
    meta[0]["components"][1]["text"] = json!("Hola {{1}}, tu pedido llega el {{2}}.");
    meta[4]["status"] = json!("PAUSED");
    meta.push(
        json!({"name": "welcome", "language": "en_US", "status": "APPROVED",
        "components": [{"type": "BODY", "text": "Welcome to Lucky Shrub!"}]}),
    );
    fake.set_templates(meta);
    let (s, v) = api.post(&sync_url(inbox), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["synced"], &v["created"], &v["updated"], &v["removed"]),
        (&json!(3), &json!(1), &json!(1), &json!(1)),
        "{v}"
    );
    let list = stored(&api).await;
    assert_eq!(list.len(), 3, "{list:?}");
    let again = list.iter().find(|t| t["id"] == id).unwrap();
    assert_eq!(again["name"], "Pedido enviado", "the admin's name is kept");
    assert_eq!(again["body"], "Hola {{1}}, tu pedido llega el {{2}}.");
    let welcome: Vec<&Value> = list
        .iter()
        .filter(|t| t["whatsapp"]["name"] == "welcome")
        .collect();
    assert_eq!(welcome.len(), 1);
    assert_eq!(welcome[0]["language"], "en_US", "the paused es one is gone");

    // From the admin page: the counts, in words (the paused one is skipped now).
    let r = web
        .submit(
            "/admin/templates",
            "/admin/templates/sync",
            &[("inbox_id", &inbox.to_string())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        to.starts_with("/admin/templates?synced=3&skipped=3&removed=0"),
        "{to}"
    );
    let (_, page) = web.get_text(&to).await;
    assert!(
        page.contains("3 approved templates synced, 3 skipped."),
        "{page}"
    );
    assert!(page.contains("Synced from Meta"), "{page}");
    app.stop().await;
}

#[actix_web::test]
async fn graph_refusals_are_shown_and_change_nothing() {
    let (app, web, api, fake, inbox, _hook) = whatsapp_inbox_web().await;
    set_waba(&api, inbox).await;
    let (s, v) = api.post(&sync_url(inbox), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let before = stored(&api).await;

    // A revoked token (Graph code 190).
    let revoked = json!({"error": {
        "message": "Error validating access token: The session has been invalidated because the user changed their password.",
        "type": "OAuthException", "code": 190, "error_subcode": 460, "fbtrace_id": "AFake"}});
    fake.script(Route::TemplateList, 401, revoked.clone());
    let (s, v) = api.post(&sync_url(inbox), json!({})).await;
    assert_eq!(s, StatusCode::BAD_GATEWAY, "{v}");
    assert_eq!(v["error"]["code"], "provider_token_refused", "{v}");
    let text = v["error"]["message"].as_str().unwrap();
    assert!(text.contains("refused the access token"), "{text}");
    assert!(text.contains("changed their password. (190)"), "{text}");
    assert!(!text.contains(meta_fake::ACCESS_TOKEN));
    assert_eq!(stored(&api).await, before);

    // The same on the admin page, in words, with the list as it was.
    fake.script(Route::TemplateList, 401, revoked);
    let r = web
        .submit(
            "/admin/templates",
            "/admin/templates/sync",
            &[("inbox_id", &inbox.to_string())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"wa-sync-error\""), "{page}");
    assert!(page.contains("Nothing was changed."), "{page}");
    assert!(page.contains("<code>order_shipped</code>"), "{page}");

    // Page one fine (with a new approved template), page two throttled: nothing of
    // page one is written.
    let mut first = meta_fake::default_templates();
    first[1]["status"] = json!("APPROVED");
    fake.script(
        Route::TemplateList,
        200,
        json!({"data": first[..3], "paging": {
            "cursors": {"before": "QVFIU0", "after": "QVFIU3"},
            "next": format!("{}/{}/{}/message_templates?after=QVFIU3",
                fake.origin, meta_fake::VERSION, meta_fake::WABA_ID)}}),
    );
    fake.script(
        Route::TemplateList,
        400,
        meta_fake::graph_error(
            80008,
            "There have been too many calls to this WhatsApp Business account.",
            None,
        ),
    );
    let (s, v) = api.post(&sync_url(inbox), json!({})).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("try again in a few minutes"),
        "{v}"
    );
    assert_eq!(stored(&api).await, before, "summer_sale was not written");
    app.stop().await;
}

#[actix_web::test]
async fn the_token_never_goes_to_a_host_paging_next_names() {
    let (app, _web, api, fake, inbox, _hook) = whatsapp_inbox_web().await;
    let elsewhere = MetaFake::start().await;
    fake.set_next_origin(&elsewhere.origin);
    set_waba(&api, inbox).await;
    let (s, v) = api.post(&sync_url(inbox), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["synced"], 3, "{v}");
    assert!(
        elsewhere.requests().is_empty(),
        "{:?}",
        elsewhere.requests()
    );
    assert_eq!(fake.requests_to(Route::TemplateList).len(), 2);
    app.stop().await;
}

#[actix_web::test]
async fn a_synced_template_sends_its_header_and_url_button_values() {
    let (app, web, api, fake, inbox, hook) = whatsapp_inbox_web().await;
    set_waba(&api, inbox).await;
    let (s, v) = api.post(&sync_url(inbox), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let first = meta_fake::wa_text(
        CUSTOMER,
        "Lucía",
        "wamid.SYNC1",
        "¿Y mi pedido?",
        app.clock_now() / 1000,
    );
    assert_eq!(post_meta_signed(&hook, &first).await, StatusCode::OK);
    let conv = inbox_conversations(&api, inbox).await[0]["id"]
        .as_u64()
        .unwrap();
    app.clock.advance_secs(25 * 3600);
    web.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    // The composer offers the approved templates, with words for the extra fields.
    let (s, text) = web
        .get_text(&format!("/conversations/{conv}/templates"))
        .await;
    assert_eq!(s, StatusCode::OK, "{text}");
    let offered: Value = serde_json::from_str(&text).unwrap();
    let shipped = offered["templates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "order_shipped")
        .unwrap()
        .clone();
    assert_eq!(shipped["header"], "Pedido {{1}}");
    assert_eq!(shipped["footer"], "Lucky Shrub");
    let labels: Vec<&str> = shipped["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "{{1}}",
            "{{2}}",
            "Header {{1}}",
            "End of the link of “Seguir el envío”"
        ]
    );
    assert_eq!(shipped["fields"][0]["placeholder"], "e.g. Lucía");

    let id = shipped["id"].as_u64().unwrap();
    let url = format!("/api/v1/conversations/{conv}/messages");
    // The button's suffix left empty: refused, named, nothing sent.
    let (s, v) = api
        .post(
            &url,
            json!({"template_id": id, "fields": {"1": "Lucía", "2": "lunes", "header.1": "48213"}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("button.1"), "{v}");
    assert!(fake.requests_to(Route::WhatsAppSend).is_empty());

    let (s, m) = api
        .post(
            &url,
            json!({"template_id": id, "fields": {"1": "Lucía", "2": "lunes",
                "header.1": "48213", "button.1": "48213"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    wait_status(&api, conv, m["id"].as_u64().unwrap(), "sent").await;
    let sends = fake.requests_to(Route::WhatsAppSend);
    assert_eq!(sends.len(), 1);
    assert_eq!(
        sends[0].json()["template"],
        json!({
            "name": "order_shipped",
            "language": {"code": "es"},
            "components": [
                {"type": "header", "parameters": [{"type": "text", "text": "48213"}]},
                {"type": "body", "parameters": [
                    {"type": "text", "text": "Lucía"}, {"type": "text", "text": "lunes"}
                ]},
                {"type": "button", "sub_type": "url", "index": "1",
                 "parameters": [{"type": "text", "text": "48213"}]}
            ]
        })
    );
    app.stop().await;
}
