//! Messaging inbox administration through the pages: WhatsApp (Cloud API and Twilio),
//! SMS, Messenger and Telegram created with the form, refusals that name the field and
//! keep what was typed, secrets never in any page, an edit that keeps the secrets left
//! empty (and asks for them again when the account changes), the webhook URL on the
//! inbox's page, and "Test connection" against the fake providers, on the form and on
//! the API.

use super::common::*;
use super::meta_fake::{self, MetaFake};
use super::telegram_fake::{FAKE_TOKEN, TelegramFake};
use super::twilio_fake::{TwilioFake, new_sid};
use reqwest::StatusCode;
use serde_json::{Value, json};

const TWILIO_TOKEN: &str = "fake-twilio-auth-token-0042";
const TWILIO_FROM: &str = "+14155238886";

fn owned(v: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    v.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

fn pairs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn with(
    mut v: Vec<(&'static str, String)>,
    key: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    v.retain(|(k, _)| *k != key);
    v.push((key, value.to_string()));
    v
}

fn whatsapp_form(meta: &MetaFake) -> Vec<(&'static str, String)> {
    owned(&[
        ("name", "WhatsApp shop"),
        ("channel", "whatsapp"),
        ("whatsapp_provider", "cloud"),
        ("whatsapp_phone_number_id", meta_fake::PHONE_NUMBER_ID),
        ("whatsapp_access_token", meta_fake::ACCESS_TOKEN),
        ("whatsapp_app_secret", meta_fake::APP_SECRET),
        ("whatsapp_verify_token", meta_fake::VERIFY_TOKEN),
        ("whatsapp_api_base", &meta.api_base),
    ])
}

fn twilio_whatsapp_form(tw: &TwilioFake) -> Vec<(&'static str, String)> {
    owned(&[
        ("name", "WhatsApp via Twilio"),
        ("channel", "whatsapp"),
        ("whatsapp_provider", "twilio"),
        ("whatsapp_account_sid", &tw.account_sid),
        ("whatsapp_auth_token", TWILIO_TOKEN),
        ("whatsapp_from", &format!("whatsapp:{TWILIO_FROM}")),
        ("whatsapp_api_base", &tw.base),
    ])
}

fn sms_form(tw: &TwilioFake) -> Vec<(&'static str, String)> {
    owned(&[
        ("name", "SMS line"),
        ("channel", "sms"),
        ("sms_account_sid", &tw.account_sid),
        ("sms_auth_token", TWILIO_TOKEN),
        ("sms_from", TWILIO_FROM),
        ("sms_api_base", &tw.base),
    ])
}

fn messenger_form(meta: &MetaFake) -> Vec<(&'static str, String)> {
    owned(&[
        ("name", "Facebook page"),
        ("channel", "messenger"),
        ("messenger_page_id", meta_fake::PAGE_ID),
        ("messenger_page_access_token", meta_fake::PAGE_TOKEN),
        ("messenger_app_secret", meta_fake::APP_SECRET),
        ("messenger_verify_token", meta_fake::VERIFY_TOKEN),
        ("messenger_human_agent_tag", "on"),
        ("messenger_api_base", &meta.api_base),
    ])
}

fn telegram_form(tg: &TelegramFake, mode: &str) -> Vec<(&'static str, String)> {
    owned(&[
        ("name", "Telegram bot"),
        ("channel", "telegram"),
        ("telegram_bot_token", FAKE_TOKEN),
        ("telegram_mode", mode),
        ("telegram_api_base", &tg.url),
    ])
}

/// Every secret the tests type.
fn secrets() -> Vec<&'static str> {
    vec![
        meta_fake::ACCESS_TOKEN,
        meta_fake::PAGE_TOKEN,
        meta_fake::APP_SECRET,
        meta_fake::VERIFY_TOKEN,
        TWILIO_TOKEN,
        FAKE_TOKEN,
    ]
}

fn assert_no_secret(what: &str, html: &str) {
    for s in secrets() {
        assert!(!html.contains(s), "{what} shows a secret ({s})");
    }
}

/// Creates an inbox through the new-inbox form; returns its id (from the redirect to its
/// page, which says where the webhook URL goes).
async fn create(c: &Client, fields: &[(&'static str, String)]) -> u64 {
    let r = c
        .submit("/admin/inboxes", "/admin/inboxes", &pairs(fields))
        .await;
    let status = r.status();
    let to = location(&r);
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    assert!(to.ends_with("?flash=inbox_created"), "{to}");
    between(&to, "/admin/inboxes/", "?")
        .unwrap()
        .parse()
        .unwrap()
}

/// The `webhook_url` the API shows for inbox `id`.
async fn api_inbox(api: &Api, id: u64) -> Value {
    let (_, list) = api.get("/api/v1/inboxes").await;
    list["inboxes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .cloned()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_messaging_inbox_is_created_through_the_form_and_shows_its_webhook_url() {
    let (meta, tg) = (MetaFake::start().await, TelegramFake::start().await);
    let tw = TwilioFake::start(&new_sid("AC"), TWILIO_TOKEN).await;
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;

    let (_, page) = admin.get_text("/admin/inboxes").await;
    for (value, label) in [
        ("whatsapp", "WhatsApp"),
        ("sms", "SMS"),
        ("messenger", "Messenger"),
        ("telegram", "Telegram"),
    ] {
        assert!(
            page.contains(&format!("<option value=\"{value}\">{label}</option>")),
            "{value} offered"
        );
    }
    for name in [
        "whatsapp_provider",
        "whatsapp_phone_number_id",
        "whatsapp_access_token",
        "whatsapp_account_sid",
        "sms_from",
        "messenger_page_access_token",
        "messenger_human_agent_tag",
        "telegram_bot_token",
        "telegram_mode",
        "telegram_api_base",
    ] {
        assert!(
            page.contains(&format!("name=\"{name}\"")),
            "no {name} field"
        );
    }

    let cases = [
        (whatsapp_form(&meta), "whatsapp", "Callback URL"),
        (twilio_whatsapp_form(&tw), "whatsapp", "WhatsApp senders"),
        (sms_form(&tw), "sms", "A message comes in"),
        (messenger_form(&meta), "messenger", "message_deliveries"),
        (telegram_form(&tg, "webhook"), "telegram", "setWebhook"),
    ];
    for (form, channel, hint) in cases {
        let id = create(&admin, &form).await;
        let (s, html) = admin
            .get_text(&format!("/admin/inboxes/{id}?flash=inbox_created"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Inbox created."), "the flash shows");
        let v = api_inbox(&api, id).await;
        assert_eq!(v["channel"], channel, "{v}");
        let hook = v["webhook_url"].as_str().unwrap();
        assert!(hook.starts_with(&format!("{}/hooks/", app.url)), "{hook}");
        let card = between(&html, "id=\"webhook\"", "</section>").unwrap();
        assert!(
            card.contains(&format!("<code id=\"webhook-url\">{hook}</code>")),
            "{card}"
        );
        assert!(card.contains(hint), "{channel}: {card}");
        assert_no_secret(&format!("the page of {channel}"), &html);
    }
    // What was typed is what is stored.
    let (_, list) = api.get("/api/v1/inboxes").await;
    let all = list["inboxes"].as_array().unwrap();
    let by = |name: &str| all.iter().find(|i| i["name"] == name).unwrap().clone();
    let wa = by("WhatsApp shop");
    assert_eq!(
        wa["whatsapp"]["phone_number_id"],
        meta_fake::PHONE_NUMBER_ID
    );
    assert_eq!(wa["whatsapp"]["access_token_set"], true);
    assert_eq!(wa["whatsapp"]["api_base"], meta.api_base.as_str());
    let twa = by("WhatsApp via Twilio");
    assert_eq!(twa["whatsapp"]["provider"], "twilio");
    assert_eq!(twa["whatsapp"]["from"], TWILIO_FROM, "whatsapp: dropped");
    assert_eq!(
        by("SMS line")["sms"]["account_sid"],
        tw.account_sid.as_str()
    );
    assert_eq!(by("Facebook page")["messenger"]["human_agent_tag"], true);
    assert_eq!(by("Telegram bot")["telegram"]["mode"], "webhook");

    // Telegram polling: no webhook.
    let id = create(&admin, &telegram_form(&tg, "poll")).await;
    let (_, html) = admin.get_text(&format!("/admin/inboxes/{id}")).await;
    assert!(html.contains("No webhook needed: Charla polls Telegram"));
    assert!(!html.contains("id=\"webhook-url\""));
    assert!(api_inbox(&api, id).await["webhook_url"].is_null());

    // No page shows a secret: the list, and each inbox's page.
    let (_, html) = admin.get_text("/admin/inboxes").await;
    assert_no_secret("the inbox list", &html);
    for i in all {
        let (_, html) = admin.get_text(&format!("/admin/inboxes/{}", i["id"])).await;
        assert_no_secret("an inbox page", &html);
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messaging_form_errors_name_the_field_and_keep_what_was_typed() {
    let meta = MetaFake::start().await;
    let tw = TwilioFake::start(&new_sid("AC"), TWILIO_TOKEN).await;
    let app = TestApp::start().await;
    let admin = app.admin().await;

    let bad = with(whatsapp_form(&meta), "whatsapp_phone_number_id", "12ab");
    let r = admin
        .submit("/admin/inboxes", "/admin/inboxes", &pairs(&bad))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Phone number ID: must be the numeric id"),
        "{body}"
    );
    assert!(body.contains("<option value=\"whatsapp\" selected>"));
    let input = between(&body, "name=\"whatsapp_phone_number_id\"", ">").unwrap();
    assert!(input.contains("value=\"12ab\""), "{input}");
    assert!(input.contains("aria-invalid=\"true\""), "{input}");
    assert!(
        body.contains("id=\"err-whatsapp_phone_number_id\""),
        "the message sits on the field"
    );
    assert!(
        body.contains(&format!("value=\"{}\"", meta.api_base)),
        "other values kept"
    );
    assert!(body.contains("type them again"));
    assert_no_secret("the refused form", &body);

    // A missing secret, an SMS sender that is no number, a Twilio SID that is no SID.
    for (form, field, words) in [
        (
            with(whatsapp_form(&meta), "whatsapp_access_token", ""),
            "whatsapp_access_token",
            "Access token: is required",
        ),
        (
            with(sms_form(&tw), "sms_from", "4155238886"),
            "sms_from",
            "Sender:",
        ),
        (
            with(twilio_whatsapp_form(&tw), "whatsapp_account_sid", "AC12"),
            "whatsapp_account_sid",
            "Account SID: must be the account SID",
        ),
        (
            with(telegram_form_for_errors(), "telegram_api_base", "ftp://x"),
            "telegram_api_base",
            "API base URL: must be an http",
        ),
    ] {
        let r = admin
            .submit("/admin/inboxes", "/admin/inboxes", &pairs(&form))
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{field}");
        let body = r.text().await.unwrap();
        assert!(body.contains(words), "{field}: {body}");
        assert!(
            body.contains(&format!("id=\"err-{field}\"")),
            "{field}: marked"
        );
        assert_no_secret(field, &body);
    }
    // Nothing was created.
    let (_, html) = admin.get_text("/admin/inboxes").await;
    assert!(html.contains("No inboxes yet"));
    app.stop().await;
}

fn telegram_form_for_errors() -> Vec<(&'static str, String)> {
    owned(&[
        ("name", "Telegram bot"),
        ("channel", "telegram"),
        ("telegram_bot_token", FAKE_TOKEN),
        ("telegram_mode", "poll"),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_keeps_secrets_left_empty_unless_the_account_changes() {
    let meta = MetaFake::start().await;
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let id = create(&admin, &whatsapp_form(&meta)).await;
    let path = format!("/admin/inboxes/{id}");

    let (_, html) = admin.get_text(&path).await;
    assert_no_secret("the edit page", &html);
    for name in [
        "whatsapp_access_token",
        "whatsapp_app_secret",
        "whatsapp_verify_token",
    ] {
        let input = between(&html, &format!("name=\"{name}\""), ">").unwrap();
        assert!(input.contains("type=\"password\" value=\"\""), "{input}");
    }
    assert_eq!(html.matches("Set — leave empty to keep.").count(), 3);
    assert!(
        between(&html, "name=\"whatsapp_phone_number_id\"", ">")
            .unwrap()
            .contains(meta_fake::PHONE_NUMBER_ID)
    );
    let hook = api_inbox(&api, id).await["webhook_url"].clone();

    // Renamed, secrets left empty: kept, and they still work.
    let kept = [
        ("name", "Tienda WhatsApp"),
        ("whatsapp_provider", "cloud"),
        ("whatsapp_phone_number_id", meta_fake::PHONE_NUMBER_ID),
        ("whatsapp_access_token", ""),
        ("whatsapp_app_secret", ""),
        ("whatsapp_verify_token", ""),
        ("whatsapp_api_base", &meta.api_base),
    ];
    let r = admin.submit(&path, &path, &kept).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let v = api_inbox(&api, id).await;
    assert_eq!(v["name"], "Tienda WhatsApp");
    assert_eq!(v["webhook_url"], hook, "the webhook URL stays");
    let (s, t) = api
        .post(&format!("/api/v1/inboxes/{id}/test"), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["ok"], true, "{t}");

    // Another phone number id (or base URL) with the secrets empty: they must be given again.
    for (field, value) in [
        ("whatsapp_phone_number_id", "106540352242999"),
        ("whatsapp_api_base", "http://127.0.0.1:9/v21.0"),
    ] {
        let moved: Vec<(&str, &str)> = kept
            .iter()
            .map(|(k, v)| if *k == field { (*k, value) } else { (*k, *v) })
            .collect();
        let r = admin.submit(&path, &path, &moved).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{field}");
        let body = r.text().await.unwrap();
        let err = between(&body, "id=\"err-whatsapp_access_token\">", "</small>")
            .unwrap_or_else(|| panic!("{field}: no error on the token field: {body}"));
        assert!(
            err.contains("must be given again when the account or base URL changes"),
            "{err}"
        );
        assert!(
            body.contains(&format!("value=\"{value}\"")),
            "what was typed is kept"
        );
    }
    let v = api_inbox(&api, id).await;
    assert_eq!(v["whatsapp"]["phone_number_id"], meta_fake::PHONE_NUMBER_ID);
    app.stop().await;
}

/// POSTs "Test connection" from `page`'s form to `action`; returns (status, body).
async fn test_on(
    c: &Client,
    page: &str,
    action: &str,
    fields: &[(&'static str, String)],
    htmx: bool,
) -> (StatusCode, String) {
    let token = c.csrf(page).await;
    let mut all = vec![("csrf", token.as_str())];
    all.extend(pairs(fields));
    let mut r = c.http.post(format!("{}{action}", c.base)).form(&all);
    if htmx {
        r = r.header("HX-Request", "true");
    }
    let r = r.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connection_tries_each_provider_and_saves_nothing() {
    let (meta, tg) = (MetaFake::start().await, TelegramFake::start().await);
    let tw = TwilioFake::start(&new_sid("AC"), TWILIO_TOKEN).await;
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let new = "/admin/inboxes";

    let cases = [
        (
            whatsapp_form(&meta),
            "whatsapp_access_token",
            "WhatsApp number +1 555-078-3881 (Lucky Shrub)",
            "access token was refused",
        ),
        (
            twilio_whatsapp_form(&tw),
            "whatsapp_auth_token",
            "Twilio account Fake Twilio account",
            "Twilio refused the account SID or auth token",
        ),
        (
            sms_form(&tw),
            "sms_auth_token",
            "Twilio account Fake Twilio account",
            "Twilio refused the account SID or auth token",
        ),
        (
            messenger_form(&meta),
            "messenger_page_access_token",
            "Facebook page Lucky Shrub Plants",
            "access token was refused",
        ),
        (
            telegram_form(&tg, "poll"),
            "telegram_bot_token",
            "Telegram bot @fake_shop_bot",
            "Telegram refused the bot token",
        ),
    ];
    for (form, secret, ok, wrong) in &cases {
        // htmx: the result alone.
        let (s, html) = test_on(&admin, new, "/admin/inboxes/test", form, true).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("id=\"probe-provider\""), "{html}");
        assert!(html.contains("Connected") && html.contains(ok), "{html}");
        assert!(!html.contains("<form"), "a fragment: {html}");
        // Without script: the whole form again, values kept, result in place.
        let bad = with(form.clone(), secret, "9999999:wrong-token-typed");
        let (s, html) = test_on(&admin, new, "/admin/inboxes/test", &bad, false).await;
        assert_eq!(s, StatusCode::OK);
        let result = between(&html, "id=\"probe-provider\"", "</div>").unwrap();
        assert!(
            result.contains("Failed") && result.contains(wrong),
            "{secret}: {result}"
        );
        assert!(html.contains("<form method=\"post\" action=\"/admin/inboxes\""));
        assert!(!html.contains("wrong-token-typed"), "a typed secret echoed");
        assert_no_secret("a test result", &html);
    }
    let (_, list) = api.get("/api/v1/inboxes").await;
    assert!(
        list["inboxes"].as_array().unwrap().is_empty(),
        "saved nothing"
    );

    // On an inbox's page, empty secrets are the stored ones; the API tests the same way.
    let id = create(&admin, &sms_form(&tw)).await;
    let path = format!("/admin/inboxes/{id}");
    let stored = with(sms_form(&tw), "sms_auth_token", "");
    let (s, html) = test_on(&admin, &path, &format!("{path}/test"), &stored, true).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Connected"), "{html}");
    let (s, v) = api
        .post(&format!("/api/v1/inboxes/{id}/test"), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v,
        json!({"ok": true, "detail": "Twilio account Fake Twilio account (active)"})
    );
    let (s, v) = api
        .post(
            &format!("/api/v1/inboxes/{id}/test"),
            json!({"sms": {"auth_token": "not-the-token"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["ok"], false, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("20003"), "{v}");
    // Other settings than the inbox's channel are refused, naming them.
    let (s, v) = api
        .post(
            &format!("/api/v1/inboxes/{id}/test"),
            json!({"telegram": {"bot_token": FAKE_TOKEN}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("telegram"), "{v}");
    // The test saved nothing: the stored token still works.
    let (_, v) = api
        .post(&format!("/api/v1/inboxes/{id}/test"), json!({}))
        .await;
    assert_eq!(v["ok"], true);

    // A Telegram inbox through the API test, with the bot token wrong.
    let tid = create(&admin, &telegram_form(&tg, "poll")).await;
    let (_, v) = api
        .post(
            &format!("/api/v1/inboxes/{tid}/test"),
            json!({"telegram": {"bot_token": "123:not-the-bot"}}),
        )
        .await;
    assert_eq!(v["ok"], false, "{v}");
    assert!(
        !v.to_string().contains("not-the-bot"),
        "the token is not echoed: {v}"
    );
    app.stop().await;
}
