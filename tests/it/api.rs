//! The API inbox and the REST API over real HTTP.

use super::common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn setup() -> (TestApp, Client, Api) {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    (app, admin, api)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_inbox_ingest_dedupes_and_refuses_bad_input_changing_nothing() {
    let (app, _admin, api) = setup().await;
    let (inbox, token) = api.inbox("Shop API", &[], None).await;
    let msg = json!({"source_id": "wa-1", "contact": {"identifier": "cust-9", "name": "Carla", "email": "carla@shop.es", "phone": "+34 600 111 222"}, "content": "¿Dónde está mi pedido?"});
    let (s, first) = incoming(&app.url, inbox, &token, msg.clone()).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!(first["duplicate"], false);
    let (s, again) = incoming(&app.url, inbox, &token, msg.clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["message_id"], first["message_id"]);
    assert_eq!(again["conversation_id"], first["conversation_id"]);
    // Same contact, new message: same conversation.
    let (_, second) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"source_id": "wa-2", "contact": {"identifier": "cust-9"}, "content": "¿Hola?"}),
    )
    .await;
    assert_eq!(second["conversation_id"], first["conversation_id"]);
    let conv = first["conversation_id"].as_u64().unwrap();
    let (_, page) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    assert_eq!(
        page["messages"].as_array().unwrap().len(),
        2,
        "one message per source_id"
    );
    assert_eq!(page["conversation"]["status"], "open");
    assert_eq!(page["conversation"]["assignee_id"], serde_json::Value::Null);
    assert_eq!(page["messages"][0]["content"], "¿Hola?", "newest first");
    assert_eq!(page["messages"][1]["direction"], "inbound");

    let before = api.get("/api/v1/conversations?view=all").await.1;
    // Wrong token, unknown inbox, malformed JSON naming the field, too large, too long.
    let (s, e) = incoming(&app.url, inbox, "charla_inbox_wrong", msg.clone()).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    let (s, _) = incoming(&app.url, 999_999, &token, msg.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, e) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"contact": {"email": 12}, "content": "x"}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("contact.email"),
        "{e}"
    );
    let (s, e) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"contact": {"identifier": "x"}}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("content"),
        "{e}"
    );
    let raw = reqwest::Client::new()
        .post(format!("{}/api/v1/inboxes/{inbox}/incoming", app.url))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"content\": \"unterminated")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    let huge = "x".repeat(2 << 20);
    let (s, _) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"contact": {"identifier": "big"}, "content": huge}),
    )
    .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let long = "y".repeat(10_001);
    let (s, e) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"contact": {"identifier": "long"}, "content": long}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("too_long"))
    );
    let (s, _) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"contact": {"identifier": "e"}, "content": "   "}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"contact": {"email": "not an email"}, "content": "hi"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let after = api.get("/api/v1/conversations?view=all").await.1;
    assert_eq!(
        before["counts"], after["counts"],
        "refused requests changed nothing"
    );
    assert_eq!(
        before["conversations"].as_array().unwrap().len(),
        after["conversations"].as_array().unwrap().len()
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_through_the_api_views_counts_and_events() {
    let (app, _admin, api) = setup().await;
    let me = api.get("/api/v1/me").await.1["id"].as_u64().unwrap();
    let luis = api
        .agent("Luis Pérez", "luis@example.com", "agent", "luis password")
        .await;
    let (inbox, token) = api.inbox("Shop", &[luis], None).await;
    let (_, t) = api
        .post(
            "/api/v1/teams",
            json!({"name": "Delivery", "member_ids": [luis]}),
        )
        .await;
    let team = t["id"].as_u64().unwrap();
    let (_, r) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"source_id": "1", "contact": {"identifier": "a", "name": "Ana"}, "content": "hola"}),
    )
    .await;
    let conv = r["conversation_id"].as_u64().unwrap();
    let counts = |v: &serde_json::Value| v["counts"].clone();
    let (_, v) = api.get("/api/v1/conversations?view=unassigned").await;
    assert_eq!(v["conversations"][0]["id"], conv);
    assert_eq!(counts(&v)["unassigned"], 1);
    assert_eq!(v["conversations"][0]["new"], true);
    assert_eq!(v["conversations"][0]["unread"], true);

    // Replying to an unassigned conversation assigns it to the replier.
    let (s, m) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "¡Hola Ana!"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(m["status"], "sent", "no webhook: sent at once");
    let (_, v) = api.get("/api/v1/conversations?view=mine").await;
    assert_eq!(v["conversations"][0]["assignee_id"], me);
    assert_eq!(
        (
            counts(&v)["mine"].as_u64(),
            counts(&v)["unassigned"].as_u64()
        ),
        (Some(1), Some(0))
    );
    // A note mentioning Luis lands in his Mentions view.
    api.post(
        &format!("/api/v1/conversations/{conv}/messages"),
        json!({"content": "@Luis Pérez can you check stock?", "private": true}),
    )
    .await;
    // Move to the team and to Luis.
    let (s, c) = api
        .post(
            &format!("/api/v1/conversations/{conv}/assign"),
            json!({"agent_id": luis, "team_id": team}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let (_, v) = api
        .get(&format!("/api/v1/conversations?view=team:{team}"))
        .await;
    assert_eq!(v["conversations"][0]["id"], conv);
    assert_eq!(counts(&v)[format!("team:{team}")], 1);
    // Only the field sent changes: leaving out agent_id keeps the assignee.
    let (_, c) = api
        .post(
            &format!("/api/v1/conversations/{conv}/assign"),
            json!({"team_id": null}),
        )
        .await;
    assert_eq!(
        (c["assignee_id"].as_u64(), c["team_id"].is_null()),
        (Some(luis), true),
        "{c}"
    );
    api.post(
        &format!("/api/v1/conversations/{conv}/assign"),
        json!({"team_id": team}),
    )
    .await;
    // Close with a note: unassigned, in Closed, event with the note.
    let (s, c) = api
        .post(
            &format!("/api/v1/conversations/{conv}/status"),
            json!({"status": "closed", "note": "Sent the tracking link"}),
        )
        .await;
    assert_eq!(
        (s, c["status"].as_str(), c["assignee_id"].is_null()),
        (StatusCode::OK, Some("closed"), true)
    );
    let (_, v) = api.get("/api/v1/conversations?view=closed").await;
    assert_eq!(counts(&v)["closed"], 1);
    assert_eq!(counts(&v)["all"], 0);
    // Closing twice is a clear conflict.
    let (s, _) = api
        .post(
            &format!("/api/v1/conversations/{conv}/status"),
            json!({"status": "closed"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // A new inbound message reopens it.
    incoming(
        &app.url,
        inbox,
        &token,
        json!({"source_id": "2", "contact": {"identifier": "a"}, "content": "one more thing"}),
    )
    .await;
    let (_, page) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    assert_eq!(page["conversation"]["status"], "open");
    let kinds: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "reopened",
            "closed",
            "team_changed",
            "team_changed",
            "team_changed",
            "assigned",
            "assigned",
            "created"
        ],
        "{page}"
    );
    let closed = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "closed")
        .unwrap();
    assert_eq!(closed["note"], "Sent the tracking link");
    assert!(
        closed["text"]
            .as_str()
            .unwrap()
            .contains("Sent the tracking link")
    );
    let note = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["private"] == true)
        .unwrap();
    assert_eq!(note["mentions"], json!([luis]));
    // Snooze: leaves Mine until it wakes (the timer worker checks every 2 s).
    api.post(
        &format!("/api/v1/conversations/{conv}/assign"),
        json!({"agent_id": me}),
    )
    .await;
    let until = charla::web_time(charla::domain::Timestamp(app.clock_now() + 3_600_000));
    let (s, c) = api
        .post(
            &format!("/api/v1/conversations/{conv}/status"),
            json!({"status": "snoozed", "snoozed_until": until}),
        )
        .await;
    assert_eq!(
        (s, c["status"].as_str()),
        (StatusCode::OK, Some("snoozed")),
        "{c}"
    );
    let (_, v) = api.get("/api/v1/conversations?view=mine").await;
    assert_eq!(counts(&v)["mine"], 0);
    assert_eq!(counts(&v)["snoozed"], 1);
    let (s, _) = api
        .post(
            &format!("/api/v1/conversations/{conv}/status"),
            json!({"status": "snoozed", "snoozed_until": "yesterday"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    app.clock.advance_secs(3601);
    let mut woke = false;
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        if api.get("/api/v1/conversations?view=mine").await.1["counts"]["mine"] == 1 {
            woke = true;
            break;
        }
    }
    assert!(woke, "the snooze timer did not wake the conversation");
    // Mark unread (for me only).
    let (s, _) = api
        .call(
            Method::POST,
            &format!("/api/v1/conversations/{conv}/unread"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, v) = api.get("/api/v1/conversations?view=mine").await;
    assert_eq!(v["conversations"][0]["unread"], true);
    // Pagination of a view with a cursor.
    for i in 0..60 {
        incoming(&app.url, inbox, &token, json!({"source_id": format!("p{i}"), "contact": {"identifier": format!("p{i}")}, "content": "page me"})).await;
    }
    let (_, p1) = api.get("/api/v1/conversations?view=unassigned").await;
    assert_eq!(p1["conversations"].as_array().unwrap().len(), 50);
    let cursor = p1["next_cursor"].as_str().unwrap().to_string();
    let (_, p2) = api
        .get(&format!(
            "/api/v1/conversations?view=unassigned&cursor={cursor}"
        ))
        .await;
    assert_eq!(p2["conversations"].as_array().unwrap().len(), 10);
    assert!(p2["next_cursor"].is_null());
    let ids1: Vec<u64> = p1["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    assert!(
        p2["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| !ids1.contains(&c["id"].as_u64().unwrap()))
    );
    assert_eq!(p1["counts"]["unassigned"], 60);
    let (s, _) = api.get("/api/v1/conversations?view=bogus").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_statuses_only_move_forward() {
    let (app, _admin, api) = setup().await;
    let (inbox, token) = api.inbox("Shop", &[], None).await;
    let (_, r) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"contact": {"identifier": "a"}, "content": "hola"}),
    )
    .await;
    let conv = r["conversation_id"].as_u64().unwrap();
    let (_, m) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "reply"}),
        )
        .await;
    let id = m["id"].as_u64().unwrap();
    let status = |s: &str, e: Option<&str>| json!({"message_id": id, "status": s, "error": e});
    let post = |b: serde_json::Value| {
        let (url, token) = (app.url.clone(), token.clone());
        async move {
            let r = reqwest::Client::new()
                .post(format!("{url}/api/v1/inboxes/{inbox}/status"))
                .bearer_auth(token)
                .json(&b)
                .send()
                .await
                .unwrap();
            (
                r.status(),
                r.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    assert_eq!(post(status("read", None)).await.1["status"], "read");
    assert_eq!(
        post(status("delivered", None)).await.1["status"],
        "read",
        "out-of-order callbacks never go back"
    );
    assert_eq!(
        post(status("failed", Some("late failure"))).await.1["status"],
        "read"
    );
    let (_, m2) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "second"}),
        )
        .await;
    let b = json!({"message_id": m2["id"], "status": "failed", "error": "21610: unsubscribed recipient"});
    let (_, v) = post(b).await;
    assert_eq!(
        (v["status"].as_str(), v["error"].as_str()),
        (Some("failed"), Some("21610: unsubscribed recipient"))
    );
    let (s, e) = post(json!({"message_id": 424242, "status": "read"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    let (s, _) = post(json!({"message_id": id, "status": "exploded"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = post(json!({"status": "read"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/inboxes/{inbox}/status", app.url))
        .bearer_auth("nope")
        .json(&status("read", None))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // The conversation page shows the failure text.
    let (_, page) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    let failed = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["status"] == "failed")
        .unwrap();
    assert_eq!(failed["error"], "21610: unsubscribed recipient");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_crud_and_contacts() {
    let (app, _admin, api) = setup().await;
    let id = api
        .agent("Eva", "eva@example.com", "agent", "eva password")
        .await;
    let (s, v) = api
        .call(
            Method::PATCH,
            &format!("/api/v1/agents/{id}"),
            Some(json!({"name": "Eva M.", "role": "admin"})),
        )
        .await;
    assert_eq!(
        (s, v["name"].as_str(), v["role"].as_str()),
        (StatusCode::OK, Some("Eva M."), Some("admin"))
    );
    let (s, v) = api
        .post(
            "/api/v1/agents",
            json!({"name": "X", "email": "eva@example.com", "password": "password1"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, v) = api
        .post(
            "/api/v1/agents",
            json!({"name": "X", "email": "x@example.com", "role": "boss"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = api
        .post(
            "/api/v1/agents",
            json!({"name": "X", "email": "x@example.com", "rol": "agent"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "unknown fields are named: {v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("rol"));
    let (s, _) = api
        .call(Method::DELETE, &format!("/api/v1/agents/{id}"), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, list) = api.get("/api/v1/agents").await;
    let eva = list["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .unwrap();
    assert_eq!(eva["active"], false);

    let (_, t) = api
        .post("/api/v1/teams", json!({"name": "Sales", "member_ids": []}))
        .await;
    let team = t["id"].as_u64().unwrap();
    let (s, v) = api
        .call(
            Method::PATCH,
            &format!("/api/v1/teams/{team}"),
            Some(json!({"name": "Sales ES"})),
        )
        .await;
    assert_eq!((s, v["name"].as_str()), (StatusCode::OK, Some("Sales ES")));
    assert_eq!(
        api.call(Method::DELETE, &format!("/api/v1/teams/{team}"), None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.call(Method::DELETE, &format!("/api/v1/teams/{team}"), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    let (inbox, _) = api
        .inbox("Shop", &[], Some("https://example.com/hook"))
        .await;
    let (s, v) = api
        .call(
            Method::PATCH,
            &format!("/api/v1/inboxes/{inbox}"),
            Some(json!({"webhook_url": "ftp://nope"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = api
        .call(
            Method::PATCH,
            &format!("/api/v1/inboxes/{inbox}"),
            Some(json!({"webhook_url": ""})),
        )
        .await;
    assert_eq!((s, v["webhook_url"].is_null()), (StatusCode::OK, true));
    let (s, _) = api
        .post("/api/v1/inboxes", json!({"name": "Fax", "channel": "fax"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let (s, c) = api.post("/api/v1/contacts", json!({"name": "Marta", "email": "marta@x.io", "phone": "+34 611 22 33 44", "tags": ["VIP"], "properties": {"plan": "gold"}})).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let cid = c["id"].as_u64().unwrap();
    assert_eq!(c["phone"], "+34611223344");
    assert_eq!(c["tags"], json!(["vip"]));
    for q in ["mart", "MARTA", "611 22", "vip", "gold", "x.io"] {
        let (_, v) = api
            .get(&format!("/api/v1/contacts?q={}", urlencode(q)))
            .await;
        assert!(
            v["contacts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["id"] == cid),
            "search {q:?}: {v}"
        );
    }
    let (s, v) = api
        .call(
            Method::PATCH,
            &format!("/api/v1/contacts/{cid}"),
            Some(json!({"name": "Marta G.", "blocked": true})),
        )
        .await;
    assert_eq!(
        (s, v["name"].as_str(), v["blocked"].as_bool()),
        (StatusCode::OK, Some("Marta G."), Some(true))
    );
    let (s, _) = api
        .post(
            "/api/v1/contacts",
            json!({"name": "Other", "email": "marta@x.io"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "emails stay unique");
    let (s, v) = api
        .call(
            Method::PATCH,
            &format!("/api/v1/contacts/{cid}"),
            Some(json!({"phone": "call me maybe"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(
        api.get(&format!("/api/v1/contacts/{cid}")).await.1["name"],
        "Marta G.",
        "refused patch changed nothing"
    );
    app.stop().await;
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap()[1..].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_contacts_are_stored_but_do_not_reopen() {
    let (app, _admin, api) = setup().await;
    let (inbox, token) = api.inbox("Shop", &[], None).await;
    let (_, r) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"contact": {"identifier": "spam", "email": "spam@x.io"}, "content": "buy now"}),
    )
    .await;
    let conv = r["conversation_id"].as_u64().unwrap();
    api.post(
        &format!("/api/v1/conversations/{conv}/status"),
        json!({"status": "closed"}),
    )
    .await;
    let cid = api.get(&format!("/api/v1/conversations/{conv}")).await.1["conversation"]["contact"]
        ["id"]
        .as_u64()
        .unwrap();
    api.call(
        Method::PATCH,
        &format!("/api/v1/contacts/{cid}"),
        Some(json!({"blocked": true})),
    )
    .await;
    let (s, _) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"contact": {"identifier": "spam"}, "content": "buy now!!"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, page) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    assert_eq!(
        page["conversation"]["status"], "closed",
        "blocked contact did not reopen it"
    );
    assert_eq!(
        page["messages"].as_array().unwrap().len(),
        2,
        "but the message is kept"
    );
    api.call(
        Method::PATCH,
        &format!("/api/v1/contacts/{cid}"),
        Some(json!({"blocked": false})),
    )
    .await;
    incoming(
        &app.url,
        inbox,
        &token,
        json!({"contact": {"identifier": "spam"}, "content": "sorry"}),
    )
    .await;
    assert_eq!(
        api.get(&format!("/api/v1/conversations/{conv}")).await.1["conversation"]["status"],
        "open"
    );
    // Admins delete (audit-logged); deleted conversations stay deduped.
    let (_, kept) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"source_id": "keep-1", "contact": {"identifier": "spam"}, "content": "last"}),
    )
    .await;
    let (s, _) = api
        .call(
            Method::DELETE,
            &format!("/api/v1/conversations/{conv}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        api.get(&format!("/api/v1/conversations/{conv}")).await.0,
        StatusCode::NOT_FOUND
    );
    // The same message again after deletion: a duplicate, not a new conversation.
    let (s, again) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"source_id": "keep-1", "contact": {"identifier": "spam"}, "content": "last"}),
    )
    .await;
    assert_eq!(
        (s, again["duplicate"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{again}"
    );
    assert_eq!(again["message_id"], kept["message_id"]);
    let counts = api.get("/api/v1/conversations?view=all").await.1["counts"].clone();
    assert_eq!(
        (counts["all"].as_u64(), counts["closed"].as_u64()),
        (Some(0), Some(0))
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_route_exists() {
    let (app, _admin, _api) = setup().await;
    let doc: serde_json::Value = reqwest::get(format!("{}/api/v1/openapi.json", app.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 15);
    let client = reqwest::Client::new();
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            let url = format!("{}{}", app.url, path.replace("{id}", "1"));
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = client
                .request(m, &url)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = r.status();
            let body = r.text().await.unwrap();
            assert!(
                !(status == StatusCode::NOT_FOUND && body.contains("no route")),
                "{method} {path} is documented but not routed"
            );
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        }
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_inbox_settings_are_validated_and_passwords_never_shown() {
    let (app, _admin, api) = setup().await;
    let settings = |host: &str, password: Option<&str>| {
        json!({
            "imap": {"host": host, "port": 993, "security": "tls", "username": "support@shop.example", "password": password, "folder": "INBOX"},
            "smtp": {"host": "smtp.shop.example", "port": 587, "security": "starttls", "username": "support@shop.example", "password": password},
            "from_name": "Shop support", "from_address": "support@shop.example", "poll_seconds": 30
        })
    };
    let (s, v) = api.post("/api/v1/inboxes", json!({"name": "Mail", "channel": "email", "member_ids": [], "email": settings("imap://bad", Some("s3cret-imap"))})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("email.imap.host"),
        "{v}"
    );
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Mail", "channel": "email"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = api.post("/api/v1/inboxes", json!({"name": "Mail", "channel": "email", "member_ids": [], "email": settings("imap.shop.example", Some("s3cret-imap"))})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(v["token"].is_null(), "email inboxes have no API token");
    let id = v["id"].as_u64().unwrap();
    let body = reqwest::Client::new()
        .get(format!("{}/api/v1/inboxes", app.url))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !body.contains("s3cret") && !body.contains("sealed"),
        "passwords leak: {body}"
    );
    let (_, list) = api.get("/api/v1/inboxes").await;
    let inbox = list["inboxes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(
        (
            inbox["channel"].as_str(),
            inbox["email"]["imap"]["password_set"].as_bool()
        ),
        (Some("email"), Some(true))
    );
    assert_eq!(inbox["email"]["smtp"]["security"], "starttls");
    // An update without passwords keeps them, as long as the host, port and user are
    // the ones they were stored for; another host needs the password typed again.
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/inboxes/{id}"),
            Some(json!({"email": settings("imap.shop.example", None)})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (
            v["email"]["imap"]["host"].as_str(),
            v["email"]["imap"]["password_set"].as_bool()
        ),
        (Some("imap.shop.example"), Some(true))
    );
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/inboxes/{id}"),
            Some(json!({"email": settings("imap2.shop.example", None)})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(
        v["error"]["message"],
        "email.imap.password: type the password again: the host changed"
    );
    // The data on disk holds no plain-text password either.
    let mut raw = Vec::new();
    for entry in walk(&app.dir.path().join("data")) {
        raw.extend(std::fs::read(entry).unwrap_or_default());
    }
    assert!(
        !raw.windows(11).any(|w| w == b"s3cret-imap"),
        "a password is stored in plain text"
    );
    let (s, _) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/inboxes/{id}"),
            Some(json!({"channel": "api"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    app.stop().await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}
