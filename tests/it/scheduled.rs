//! Sending with care over HTTP: replies scheduled from the composer's form and the API,
//! listed, edited, cancelled and sent at their time (once, across a restart and with
//! several senders at once); the messaging window at scheduling and at send time on
//! WhatsApp (the Meta fake); other inboxes' agents see none of it; and the conflict
//! guard (what arrived while typing, then "send anyway").

use super::common::*;
use super::meta_fake::{self, Route};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// An API inbox (no webhook) with one customer conversation; (app, web, api, conv, inbox, token).
async fn setup() -> (TestApp, Client, Api, u64, u64, String) {
    let app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (inbox, token) = api.inbox("Shop", &[], None).await;
    let (s, v) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"source_id": "c-1", "contact": {"identifier": "cust-1", "name": "Lucía"}, "content": "¿Tenéis la maceta?"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let conv = v["conversation_id"].as_u64().unwrap();
    (app, web, api, conv, inbox, token)
}

/// The composer's form, as a browser without the page's script posts it.
async fn form(web: &Client, conv: u64, fields: &[(&str, &str)]) -> reqwest::Response {
    let page = format!("/conversations/{conv}");
    let mut all = vec![("mode", "reply")];
    all.extend_from_slice(fields);
    web.submit(&page, &format!("{page}/messages"), &all).await
}

async fn scheduled(api: &Api, conv: u64) -> Vec<Value> {
    let (s, v) = api
        .get(&format!("/api/v1/conversations/{conv}/scheduled"))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["scheduled"].as_array().cloned().unwrap()
}

fn outbound(msgs: &[Value]) -> Vec<String> {
    msgs.iter()
        .filter(|m| m["direction"] == "outbound")
        .map(|m| m["content"].as_str().unwrap().to_string())
        .collect()
}

/// Waits (up to 10 s) until the conversation's replies are `want`, in order.
async fn wait_replies(api: &Api, conv: u64, want: &[&str]) {
    let mut got = vec![];
    for _ in 0..100 {
        got = outbound(&conversation_messages(api, conv).await);
        got.reverse();
        if got == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("replies {got:?}, wanted {want:?}");
}

fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms / 1000)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

#[actix_web::test]
async fn replies_are_scheduled_listed_edited_cancelled_and_sent_at_their_time() {
    let (app, web, api, conv, inbox, _) = setup().await;
    let now = app.clock_now();
    // The test clock starts at 2026-05-28 20:26:40 UTC; the agent's zone is UTC.
    assert_eq!(rfc3339(now), "2026-05-28T20:26:40Z");

    // From the composer: a preset, and a picked time.
    let r = form(
        &web,
        conv,
        &[("content", "Buenos días, Lucía"), ("schedule", "tomorrow")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = form(
        &web,
        conv,
        &[
            ("content", "Te escribo a las 22:00"),
            ("schedule", "custom"),
            ("send_at_local", "2026-05-28T22:00"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Refused, nothing kept: no time picked, a time in the past, an unknown preset, a note.
    for (fields, why) in [
        (
            vec![("schedule", "custom"), ("send_at_local", "")],
            "is required",
        ),
        (
            vec![
                ("schedule", "custom"),
                ("send_at_local", "2026-05-28T08:00"),
            ],
            "must be in the future",
        ),
        (vec![("schedule", "someday")], "unknown preset"),
    ] {
        let mut f = vec![("content", "no")];
        f.extend(fields);
        let r = form(&web, conv, &f).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let body = r.text().await.unwrap();
        assert!(body.contains(why), "{why}: {body}");
    }
    let (s, v) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "nota", "private": true, "send_at": rfc3339(now + 3_600_000)}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    // From the API: 201 with the scheduled item.
    let (s, v) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "Por la API", "send_at": rfc3339(now + 2 * 3_600_000)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["status"], "scheduled");
    assert_eq!(v["send_at"], "2026-05-28T22:26:40Z");
    assert_eq!(v["content"], "Por la API");
    let api_id = v["id"].as_u64().unwrap();
    let (s, v) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "x", "send_at": "mañana"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");

    // Listed soonest first, at the times the agent chose (tomorrow 09:00 in UTC).
    let list = scheduled(&api, conv).await;
    let times: Vec<&str> = list
        .iter()
        .map(|s| s["send_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        times,
        [
            "2026-05-28T22:00:00Z",
            "2026-05-28T22:26:40Z",
            "2026-05-29T09:00:00Z"
        ]
    );
    // … and on the conversation, above the composer.
    let (_, pane) = web.get_text(&format!("/conversations/{conv}/pane")).await;
    assert!(pane.contains("id=\"scheduled\""), "{pane}");
    assert!(pane.contains("Buenos días, Lucía") && pane.contains("Por la API"));
    // Nothing was sent yet.
    assert!(outbound(&conversation_messages(&api, conv).await).is_empty());

    // Edited: through the API (text and time) and the page (text and time).
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/conversations/{conv}/scheduled/{api_id}"),
            Some(json!({"content": "Por la API, editado", "send_at": "2026-05-29T08:00:00Z"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["content"], "Por la API, editado");
    let evening = list[0]["id"].as_u64().unwrap();
    let page = format!("/conversations/{conv}");
    let r = web
        .submit(
            &page,
            &format!("{page}/scheduled/{evening}"),
            &[
                ("content", "A las 23:00 mejor"),
                ("send_at_local", "2026-05-28T23:00"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = web
        .submit(
            &page,
            &format!("{page}/scheduled/{evening}"),
            &[("content", "ayer"), ("send_at_local", "2026-05-27T23:00")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let list = scheduled(&api, conv).await;
    let got: Vec<(&str, &str)> = list
        .iter()
        .map(|s| {
            (
                s["content"].as_str().unwrap(),
                s["send_at"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("A las 23:00 mejor", "2026-05-28T23:00:00Z"),
            ("Por la API, editado", "2026-05-29T08:00:00Z"),
            ("Buenos días, Lucía", "2026-05-29T09:00:00Z"),
        ]
    );

    // An agent of another inbox sees none of it and can change none of it.
    let other = api
        .agent("Otro", "otro@example.com", "agent", "otro password 123")
        .await;
    let _ = (other, inbox);
    let c2 = Client::new(&app.url);
    c2.login("otro@example.com", "otro password 123").await;
    let api2 = Api::for_client(&c2).await;
    let (s, _) = api2
        .get(&format!("/api/v1/conversations/{conv}/scheduled"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = api2
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/conversations/{conv}/scheduled/{api_id}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = api2
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/conversations/{conv}/scheduled/{api_id}"),
            Some(json!({"content": "mío"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = api2
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "x", "send_at": rfc3339(now + 3_600_000)}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(scheduled(&api, conv).await.len(), 3);

    // Cancelled: from the page and from the API (a second time: 404).
    let r = web
        .submit(&page, &format!("{page}/scheduled/{evening}/cancel"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (s, _) = api
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/conversations/{conv}/scheduled/{api_id}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = api
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/conversations/{conv}/scheduled/{api_id}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(scheduled(&api, conv).await.len(), 1);

    // At its time (the test clock moves; the outbox notices within a second) it is a
    // normal reply from the agent, once; the cancelled ones never go.
    app.clock.advance_secs(13 * 3600);
    wait_replies(&api, conv, &["Buenos días, Lucía"]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    wait_replies(&api, conv, &["Buenos días, Lucía"]).await;
    assert!(scheduled(&api, conv).await.is_empty());
    let (_, pane) = web.get_text(&format!("/conversations/{conv}/pane")).await;
    assert!(!pane.contains("id=\"scheduled\""));
    app.stop().await;
}

#[actix_web::test]
async fn a_scheduled_reply_survives_a_restart_and_is_sent_once_by_racing_senders() {
    let (app, _web, api, conv, _, _) = setup().await;
    let now = app.clock_now();
    for (text, hours) in [("Tras reiniciar", 1), ("Otra", 2)] {
        let (s, v) = api
            .post(
                &format!("/api/v1/conversations/{conv}/messages"),
                json!({"content": text, "send_at": rfc3339(now + hours * 3_600_000)}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    // Stopped and started on the same data directory: still listed, then sent.
    let app = app.restart(|_| {}).await;
    let api = Api::with_token(&app.url, &api.token);
    assert_eq!(scheduled(&api, conv).await.len(), 2);
    app.clock.advance_secs(3600 + 1);
    wait_replies(&api, conv, &["Tras reiniciar"]).await;

    // Several senders at once (as on two nodes after a handover, besides this node's
    // own worker): the second one is written once.
    app.clock.advance_secs(3600);
    let s = app.services();
    let (a, b, c) = tokio::join!(
        s.due_deliveries(64, None),
        s.due_deliveries(64, None),
        s.due_deliveries(64, None)
    );
    for r in [a, b, c] {
        r.unwrap();
    }
    wait_replies(&api, conv, &["Tras reiniciar", "Otra"]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    wait_replies(&api, conv, &["Tras reiniciar", "Otra"]).await;
    assert!(scheduled(&api, conv).await.is_empty());
    app.stop().await;
}

#[actix_web::test]
async fn whatsapp_window_refuses_a_late_schedule_and_fails_one_whose_window_closed() {
    let (app, web, api, fake, inbox, hook) = super::whatsapp::whatsapp_inbox_web().await;
    let secs = app.clock_now() / 1000;
    let msg = meta_fake::wa_text("34600111222", "Lucía", "wamid.S1", "Hola", secs);
    assert_eq!(post_meta_signed(&hook, &msg).await, StatusCode::OK);
    let conv = inbox_conversations(&api, inbox).await[0]["id"]
        .as_u64()
        .unwrap();
    let now = app.clock_now();
    let at = |h: i64| rfc3339(now + h * 3_600_000);

    // Past the window's end (24 h after the customer's message): refused, with why.
    let (s, v) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "Mañana por la noche", "send_at": at(25)}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("after the messaging window closes"),
        "{v}"
    );
    // In the page, in the agent's words (English, then Spanish).
    let late = [
        ("content", "tarde"),
        ("schedule", "custom"),
        ("send_at_local", "2026-05-30T08:00"),
    ];
    let r = form(&web, conv, &late).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("The messaging window closes at 29 May 2026"),
        "{body}"
    );
    let r = web
        .submit(
            "/profile",
            "/profile/preferences",
            &[("language", "es"), ("timezone", "Europe/Madrid")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = form(&web, conv, &late).await;
    let body = r.text().await.unwrap();
    assert!(
        body.contains("La ventana de mensajería se cierra el 29"),
        "{body}"
    );
    assert!(scheduled(&api, conv).await.is_empty());

    // Inside the window: kept; one at 1 h goes then, through the provider.
    for (text, h) in [("En una hora", 1), ("Casi al final", 23)] {
        let (s, v) = api
            .post(
                &format!("/api/v1/conversations/{conv}/messages"),
                json!({"content": text, "send_at": at(h)}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    app.clock.advance_secs(3600);
    wait_replies(&api, conv, &["En una hora"]).await;
    for _ in 0..100 {
        if fake.requests_to(Route::WhatsAppSend).len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sends = fake.requests_to(Route::WhatsAppSend);
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].json()["text"]["body"], "En una hora");

    // The server was down past the window's end: the other one is not sent; it stays
    // listed as failed, with the reason.
    app.clock.advance_secs(25 * 3600);
    let mut failed = Value::Null;
    for _ in 0..100 {
        let list = scheduled(&api, conv).await;
        if list.first().is_some_and(|s| s["status"] == "failed") {
            failed = list[0].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(failed["content"], "Casi al final", "{failed}");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("24-hour messaging window is closed"),
        "{failed}"
    );
    assert_eq!(fake.requests_to(Route::WhatsAppSend).len(), 1);
    wait_replies(&api, conv, &["En una hora"]).await;
    // The agent sees it above the composer, in their language.
    web.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, pane) = web.get_text(&format!("/conversations/{conv}/pane")).await;
    assert!(
        pane.contains("No enviada") && pane.contains("Casi al final"),
        "{pane}"
    );
    assert!(
        pane.contains("La ventana de mensajería de 24 horas está cerrada"),
        "{pane}"
    );
    app.stop().await;
}

/// The pane's `seen` value (the newest message shown).
fn seen_in(pane: &str) -> String {
    between(pane, "name=\"seen\" value=\"", "\"")
        .unwrap()
        .to_string()
}

#[actix_web::test]
async fn the_conflict_guard_shows_what_is_new_and_sends_with_force() {
    let (app, web, api, conv, inbox, token) = setup().await;
    let page = format!("/conversations/{conv}");
    let (_, pane) = web.get_text(&format!("{page}/pane")).await;
    let seen = seen_in(&pane);
    let csrf = csrf_in(&pane).unwrap();
    let post = |fields: Vec<(&'static str, String)>| {
        let mut all = vec![
            ("csrf", csrf.clone()),
            ("mode", "reply".to_string()),
            ("content", "Sí, la tenemos".to_string()),
        ];
        all.extend(fields);
        web.http
            .post(format!("{}{page}/messages", web.base))
            .header("HX-Request", "true")
            .form(&all)
            .send()
    };

    // Nothing new: it goes.
    let r = post(vec![("seen", seen.clone())]).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("hx-retarget").is_none());
    wait_replies(&api, conv, &["Sí, la tenemos"]).await;
    // My own reply is not news to me.
    let r = post(vec![("seen", seen.clone())]).await.unwrap();
    assert!(r.headers().get("hx-retarget").is_none());
    wait_replies(&api, conv, &["Sí, la tenemos", "Sí, la tenemos"]).await;

    // The customer writes while I type: nothing is sent, the answer shows it.
    let (s, _) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"source_id": "c-2", "contact": {"identifier": "cust-1"}, "content": "¡Ya no hace falta, gracias!"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let r = post(vec![("seen", seen.clone())]).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["hx-retarget"], "#care-conflict");
    let body = r.text().await.unwrap();
    assert!(body.contains("¡Ya no hace falta, gracias!"), "{body}");
    assert!(
        body.contains("Send anyway") && body.contains("Edit"),
        "{body}"
    );
    assert!(
        !body.contains("¿Tenéis la maceta?"),
        "only what is new: {body}"
    );
    wait_replies(&api, conv, &["Sí, la tenemos", "Sí, la tenemos"]).await;
    // "Send anyway".
    let r = post(vec![("seen", seen.clone()), ("force", "1".into())])
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("hx-retarget").is_none());
    wait_replies(
        &api,
        conv,
        &["Sí, la tenemos", "Sí, la tenemos", "Sí, la tenemos"],
    )
    .await;

    // The API: unaffected without `seen`; with it, 409 and what is new; then `force`.
    let old: u64 = seen.parse().unwrap();
    let path = format!("/api/v1/conversations/{conv}/messages");
    let (s, v) = api.post(&path, json!({"content": "a", "seen": old})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let new: Vec<&str> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(new, ["¡Ya no hace falta, gracias!"]);
    let (s, v) = api
        .post(&path, json!({"content": "b", "seen": old, "force": true}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = api.post(&path, json!({"content": "c"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // A colleague's note is news too.
    let newest = v["id"].as_u64().unwrap();
    let other = api
        .agent("Luis", "luis@example.com", "admin", "luis password 123")
        .await;
    let _ = other;
    let luis = Client::new(&app.url);
    luis.login("luis@example.com", "luis password 123").await;
    let luis_api = Api::for_client(&luis).await;
    let (s, _) = luis_api
        .post(
            &path,
            json!({"content": "Ojo: ya lo tiene", "private": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = api
        .post(&path, json!({"content": "d", "seen": newest}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["messages"][0]["content"], "Ojo: ya lo tiene");
    app.stop().await;
}

#[actix_web::test]
async fn the_undo_wait_is_chosen_in_the_profile() {
    let app = TestApp::start().await;
    let web = app.admin().await;
    // 5 seconds until the agent chooses; the inbox page carries it for its script.
    let (_, page) = web.get_text("/").await;
    assert!(page.contains("id=\"care-undo\""), "{page}");
    assert_eq!(between(&page, "data-seconds=\"", "\""), Some("5"));
    let (_, profile) = web.get_text("/profile").await;
    assert!(profile.contains("name=\"undo_send_secs\"") && profile.contains("value=\"5\""));
    for (typed, status) in [
        ("0", StatusCode::SEE_OTHER),
        ("31", StatusCode::BAD_REQUEST),
        ("pronto", StatusCode::BAD_REQUEST),
        ("-1", StatusCode::BAD_REQUEST),
    ] {
        let r = web
            .submit("/profile", "/profile/sending", &[("undo_send_secs", typed)])
            .await;
        assert_eq!(r.status(), status, "{typed}");
        if status == StatusCode::BAD_REQUEST {
            let body = r.text().await.unwrap();
            assert!(body.contains("undo_send_secs"), "{body}");
        }
    }
    // 0: sent at once (the refusals kept it).
    let (_, page) = web.get_text("/").await;
    assert_eq!(between(&page, "data-seconds=\"", "\""), Some("0"));
    app.stop().await;
}
