//! Saved responses and templates over real HTTP: the API with its permissions, the
//! variables filled for a conversation, unfilled ones refused, and the pages.

use super::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// An app with an admin, an agent (Luis) in an API inbox holding one conversation with
/// Lucía Fernández (no phone), and both their API clients.
struct Setup {
    app: TestApp,
    admin: Client,
    admin_api: Api,
    luis: Client,
    luis_api: Api,
    conv: u64,
    luis_id: u64,
}

async fn setup() -> Setup {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let admin_api = Api::for_client(&admin).await;
    let luis_id = admin_api
        .agent("Luis Pérez", "luis@example.com", "agent", "luis-secret-1")
        .await;
    let (inbox, token) = admin_api.inbox("Tienda", &[luis_id], None).await;
    let (s, v) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"source_id": "s-1", "contact": {"identifier": "c-1", "name": "Lucía Fernández", "email": "lucia@example.com"}, "content": "Hola"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let luis = app.client();
    luis.login("luis@example.com", "luis-secret-1").await;
    let luis_api = Api::for_client(&luis).await;
    Setup {
        conv: v["conversation_id"].as_u64().unwrap(),
        app,
        admin,
        admin_api,
        luis,
        luis_api,
        luis_id,
    }
}

async fn create(api: &Api, body: Value) -> (StatusCode, Value) {
    api.post("/api/v1/saved_responses", body).await
}

fn titles(list: &Value) -> Vec<&str> {
    list["saved_responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_responses_crud_and_permissions_over_the_api() {
    let t = setup().await;
    let (s, shared) = create(
        &t.admin_api,
        json!({"title": "Greeting", "shortcut": "/Hi", "body": "Hi {{contact.first_name}}", "category": "Start", "shared": true}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{shared}");
    assert_eq!(
        shared["shortcut"], "hi",
        "a leading / is dropped, case folded"
    );
    assert_eq!(shared["shared"], true);
    let shared_id = shared["id"].as_u64().unwrap();
    // An agent cannot create, edit or delete shared ones.
    let (s, _) = create(
        &t.luis_api,
        json!({"title": "X", "body": "y", "shared": true}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let path = format!("/api/v1/saved_responses/{shared_id}");
    let (s, _) = t
        .luis_api
        .call(Method::PATCH, &path, Some(json!({"title": "Mine now"})))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t.luis_api.call(Method::DELETE, &path, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Their own: created, listed after the shared ones, edited, and private.
    let (s, own) = create(
        &t.luis_api,
        json!({"title": "Refund", "shortcut": "refund", "body": "Your refund is on its way, {{contact.name}}.", "category": "Billing"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{own}");
    assert_eq!(own["shared"], false);
    assert_eq!(own["owner_id"], t.luis_id);
    let own_id = own["id"].as_u64().unwrap();
    let (_, list) = t.luis_api.get("/api/v1/saved_responses").await;
    assert_eq!(titles(&list), ["Greeting", "Refund"]);
    let (_, list) = t.admin_api.get("/api/v1/saved_responses").await;
    assert_eq!(
        titles(&list),
        ["Greeting"],
        "another agent's own stay theirs"
    );
    let own_path = format!("/api/v1/saved_responses/{own_id}");
    for (method, body) in [
        (Method::PATCH, Some(json!({"title": "Taken"}))),
        (Method::DELETE, None),
    ] {
        let (s, _) = t.admin_api.call(method, &own_path, body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "not even an admin sees them");
    }
    let (s, edited) = t
        .luis_api
        .call(
            Method::PATCH,
            &own_path,
            Some(json!({"category": "Refunds"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{edited}");
    assert_eq!(edited["category"], "Refunds");
    assert_eq!(edited["title"], "Refund", "absent fields are kept");
    // Validation: clear 422s naming the field; nothing changes.
    for (body, field) in [
        (json!({"title": " ", "body": "b"}), "title"),
        (json!({"title": "t", "body": "  "}), "body"),
        (
            json!({"title": "t", "body": "b", "shortcut": "a b"}),
            "shortcut",
        ),
        (
            json!({"title": "t", "body": "b", "shortcut": "HI"}),
            "shortcut",
        ),
        (json!({"title": "x".repeat(101), "body": "b"}), "title"),
        (json!({"title": "t", "body": "x".repeat(10_001)}), "body"),
        (
            json!({"title": "t", "body": "b", "category": "c".repeat(61)}),
            "category",
        ),
    ] {
        let (s, e) = create(&t.luis_api, body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["code"], "invalid");
        let msg = e["error"]["message"].as_str().unwrap();
        assert!(msg.starts_with(field), "{field}: {msg}");
    }
    let (s, e) = t
        .luis_api
        .call(Method::PATCH, &own_path, Some(json!({"shortcut": "hi"})))
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the shared /hi is taken: {e}"
    );
    assert!(
        e["error"]["message"].as_str().unwrap().contains("/hi"),
        "{e}"
    );
    let (s, e) = create(&t.luis_api, json!({"title": "t", "body": "b", "bogus": 1})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    let (_, list) = t.luis_api.get("/api/v1/saved_responses").await;
    assert_eq!(titles(&list), ["Greeting", "Refund"], "nothing was added");
    // Another agent with the same shortcut of their own is fine: they see other lists.
    let (s, _) = create(
        &t.admin_api,
        json!({"title": "Admin refund", "shortcut": "refund", "body": "b"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    // Deleting.
    let (s, _) = t.luis_api.call(Method::DELETE, &own_path, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = t.luis_api.call(Method::DELETE, &own_path, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = t.admin_api.call(Method::DELETE, &path, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, list) = t.luis_api.get("/api/v1/saved_responses").await;
    assert!(titles(&list).is_empty());
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_responses_are_filled_for_the_conversation_and_unfilled_replies_are_refused() {
    let t = setup().await;
    let (s, _) = create(
        &t.admin_api,
        json!({"title": "Greeting", "shortcut": "hi", "body": "Hola {{contact.first_name}}, soy {{agent.name}} de {{inbox.name}}. ¿Tu teléfono {{contact.phone}}?", "shared": true}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, body) = t
        .luis
        .get_text(&format!("/conversations/{}/saved_responses", t.conv))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let r = &v["saved_responses"][0];
    assert_eq!(
        r["body"],
        "Hola Lucía, soy Luis Pérez de Tienda. ¿Tu teléfono {{contact.phone}}?"
    );
    assert_eq!(r["missing"], json!(["contact.phone"]));
    // Another agent outside the inbox: not found.
    let api = &t.admin_api;
    api.agent("Eva", "eva@example.com", "agent", "eva-secret-1")
        .await;
    let eva = t.app.client();
    eva.login("eva@example.com", "eva-secret-1").await;
    let (s, _) = eva
        .get_text(&format!("/conversations/{}/saved_responses", t.conv))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A reply still holding a known variable is refused (422 naming it); a note is not.
    let path = format!("/api/v1/conversations/{}/messages", t.conv);
    let (s, e) = t.luis_api.post(&path, json!({"content": r["body"]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["code"], "unfilled");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("{{contact.phone}}"),
        "{e}"
    );
    let (s, _) = t
        .luis_api
        .post(
            &path,
            json!({"content": "ask for {{contact.phone}}", "private": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "a note reaches no customer");
    // Free fields are the agent's business: {{order_number}} alone is sent as typed.
    let (s, m) = t
        .luis_api
        .post(&path, json!({"content": "Pedido {{order_number}}"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    // In the browser the refusal is in the agent's language.
    let r = t
        .luis
        .submit(
            &format!("/conversations/{}", t.conv),
            &format!("/conversations/{}/messages", t.conv),
            &[("content", "Hola {{contact.phone}}"), ("mode", "reply")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Fill in {{contact.phone}} before sending"),
        "{page}"
    );
    let (_, conv) = t
        .luis_api
        .get(&format!("/api/v1/conversations/{}", t.conv))
        .await;
    let sent: Vec<&str> = conv["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert!(!sent.iter().any(|c| c.contains("Hola Lucía")), "{sent:?}");
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_response_pages_for_admins_and_agents() {
    let t = setup().await;
    let r = t
        .admin
        .submit(
            "/admin/saved_responses",
            "/admin/saved_responses",
            &[
                ("title", "Horario"),
                ("shortcut", "horario"),
                ("category", "Info"),
                ("body", "Abrimos de 9 a 18, {{contact.first_name}}."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (s, page) = t.admin.get_text("/admin/saved_responses").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("Horario") && page.contains("/horario"),
        "{page}"
    );
    assert!(
        page.contains("href=\"/admin/saved_responses\""),
        "in the navigation"
    );
    // Agents: not the admin page; their own page and the profile's section.
    let (s, _) = t.luis.get_text("/admin/saved_responses").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let r = t
        .luis
        .submit(
            "/profile/saved_responses",
            "/profile/saved_responses",
            &[("title", "Mía"), ("shortcut", "mia"), ("body", "Texto mío")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = t.luis.get_text("/profile/saved_responses").await;
    assert!(page.contains("Mía") && !page.contains("Horario"), "{page}");
    let (_, profile) = t.luis.get_text("/profile").await;
    assert!(profile.contains("id=\"my-saved-responses\""), "{profile}");
    assert!(
        profile.contains("one saved response of your own"),
        "{profile}"
    );
    // A refused form says why.
    let r = t
        .luis
        .submit(
            "/profile/saved_responses",
            "/profile/saved_responses",
            &[("title", ""), ("body", "x")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_are_managed_by_admins_and_sent_filled_to_the_webhook() {
    let (hook_url, rx, hook) = super::webhook::start_receiver(vec![]).await;
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let luis_id = api
        .agent("Luis Pérez", "luis@example.com", "agent", "luis-secret-1")
        .await;
    let (inbox, token) = api.inbox("Tienda", &[luis_id], Some(&hook_url)).await;
    let (_, v) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"source_id": "t-1", "contact": {"identifier": "c-1", "name": "Lucía Fernández"}, "content": "¿Y mi pedido?"}),
    )
    .await;
    let conv = v["conversation_id"].as_u64().unwrap();
    let luis = app.client();
    luis.login("luis@example.com", "luis-secret-1").await;
    let luis_api = Api::for_client(&luis).await;
    // Admins manage templates; agents read them.
    let body = json!({"name": "Pedido enviado", "language": "es", "body": "Hola {{contact.first_name}}, tu pedido {{order_number}} ya salió. {{agent.name}}", "subject": "Pedido {{order_number}}"});
    let (s, _) = luis_api.post("/api/v1/templates", body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, t) = api.post("/api/v1/templates", body).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(
        t["fields"],
        json!(["contact.first_name", "order_number", "agent.name"])
    );
    let tid = t["id"].as_u64().unwrap();
    for (b, field) in [
        (json!({"name": "", "language": "es", "body": "b"}), "name"),
        (
            json!({"name": "n", "language": "e s", "body": "b"}),
            "language",
        ),
        (json!({"name": "n", "language": "es", "body": " "}), "body"),
    ] {
        let (s, e) = api.post("/api/v1/templates", b).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert!(
            e["error"]["message"].as_str().unwrap().starts_with(field),
            "{e}"
        );
    }
    let (_, list) = luis_api.get("/api/v1/templates").await;
    assert_eq!(list["templates"].as_array().unwrap().len(), 1);
    let (s, _) = luis_api
        .call(
            Method::PATCH,
            &format!("/api/v1/templates/{tid}"),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, t) = api
        .call(
            Method::PATCH,
            &format!("/api/v1/templates/{tid}"),
            Some(json!({"language": "es_ES"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(
        (t["language"].as_str(), t["name"].as_str()),
        (Some("es_ES"), Some("Pedido enviado"))
    );
    // The composer's dialog: the fields prefilled from the conversation.
    let (s, text) = luis
        .get_text(&format!("/conversations/{conv}/templates"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["templates"][0]["fields"],
        json!([
            {"name": "contact.first_name", "value": "Lucía", "label": "contact.first_name", "placeholder": ""},
            {"name": "order_number", "value": "", "label": "order_number", "placeholder": ""},
            {"name": "agent.name", "value": "Luis Pérez", "label": "agent.name", "placeholder": ""}
        ])
    );
    assert_eq!(v["templates"][0]["approved"], false, "may be sent later");
    // Sending: a missing free field is a 422 naming it; nothing is stored or sent.
    let path = format!("/api/v1/conversations/{conv}/messages");
    let (s, e) = luis_api.post(&path, json!({"template_id": tid})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("{{order_number}}"),
        "{e}"
    );
    let (s, e) = luis_api
        .post(
            &path,
            json!({"template_id": tid, "content": "hola", "fields": {"order_number": "1"}}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "content and a template: {e}"
    );
    let (s, e) = luis_api
        .post(&path, json!({"template_id": 999_999, "fields": {}}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    let (s, m) = luis_api
        .post(
            &path,
            json!({"template_id": tid, "fields": {"order_number": "48213"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(
        m["content"],
        "Hola Lucía, tu pedido 48213 ya salió. Luis Pérez"
    );
    // The webhook receives the final text.
    for _ in 0..100 {
        if !rx.got.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let got = rx.got.lock().unwrap().clone();
    assert_eq!(
        got.len(),
        1,
        "one delivery: the refused sends stored nothing"
    );
    let sent: Value = serde_json::from_slice(&got[0].2).unwrap();
    assert_eq!(
        sent["message"]["content"],
        "Hola Lucía, tu pedido 48213 ya salió. Luis Pérez"
    );
    // An agent outside the inbox cannot use it there.
    api.agent("Eva", "eva@example.com", "agent", "eva-secret-1")
        .await;
    let eva = app.client();
    eva.login("eva@example.com", "eva-secret-1").await;
    let (s, _) = eva
        .get_text(&format!("/conversations/{conv}/templates"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Admin page and deletion.
    let (s, page) = admin.get_text("/admin/templates").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Pedido enviado"), "{page}");
    let (s, _) = api
        .call(Method::DELETE, &format!("/api/v1/templates/{tid}"), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, list) = luis_api.get("/api/v1/templates").await;
    assert!(list["templates"].as_array().unwrap().is_empty());
    hook.stop(true).await;
    app.stop().await;
}

/// By email a template's subject is the mail's subject, filled like its text.
#[actix_web::test]
#[ignore = "needs python3-aiosmtpd; run ./scripts/test (it installs it)"]
async fn a_template_by_email_uses_its_subject() {
    let sink = super::mail_servers::SmtpSink::start();
    let app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let mail = super::security_contacts::email_inbox(&api, sink.port()).await;
    let r = web
        .submit(
            "/",
            "/conversations/new",
            &[
                ("inbox_id", &mail.to_string()),
                ("to", "marta@example.org"),
                ("subject", "Hola"),
                ("content", "Te escribimos por tu pedido."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    sink.wait_for(1, std::time::Duration::from_secs(10)).await;
    let (_, list) = api.get("/api/v1/conversations?view=all").await;
    let conv = list["conversations"][0]["id"].as_u64().unwrap();
    let (s, t) = api
        .post(
            "/api/v1/templates",
            json!({"name": "Envío", "language": "es", "subject": "Pedido {{order_number}} enviado", "body": "Tu pedido {{order_number}} sale hoy."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let (s, m) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"template_id": t["id"], "fields": {"order_number": "4411"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let got = sink.wait_for(2, std::time::Duration::from_secs(10)).await;
    let raw = String::from_utf8_lossy(&got[1].raw);
    assert!(raw.contains("Subject: Pedido 4411 enviado"), "{raw}");
    assert!(raw.contains("Tu pedido 4411 sale hoy."), "{raw}");
    app.stop().await;
}
