//! An agent sees and acts only on conversations of their inboxes: every route that takes
//! an id answers 404 outside their reach, in pages, API, live events and search.

use super::common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_reach_only_their_inboxes_everywhere() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let luis = api
        .agent("Luis", "luis@example.com", "agent", "luis password")
        .await;
    let (mine, mine_token) = api.inbox("Luis inbox", &[luis], None).await;
    let (other, other_token) = api.inbox("Secret inbox", &[], None).await;
    let (_, r) = incoming(&app.url, other, &other_token, json!({"contact": {"identifier": "vip", "name": "Hidden Person", "email": "hidden@x.io"}, "content": "secret"})).await;
    let hidden = r["conversation_id"].as_u64().unwrap();
    let (_, r) = incoming(
        &app.url,
        mine,
        &mine_token,
        json!({"contact": {"identifier": "pub", "name": "Visible Person"}, "content": "hi"}),
    )
    .await;
    let visible = r["conversation_id"].as_u64().unwrap();
    let hidden_contact = api.get(&format!("/api/v1/conversations/{hidden}")).await.1["conversation"]["contact"]["id"].as_u64().unwrap();
    // A mail with an attachment and an HTML body in the secret inbox (straight into the
    // service: the route checks are what is tested here, not IMAP).
    let secret_mail = "From: Hidden Person <hidden@x.io>\r\nTo: secret@shop.example\r\n\
        Subject: Contract\r\nMessage-ID: <contract-1@x.io>\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\n\
        Content-Type: text/html; charset=utf-8\r\n\r\n<p>The <b>contract</b>.</p>\r\n--B\r\n\
        Content-Type: application/pdf; name=\"contract.pdf\"\r\n\
        Content-Disposition: attachment; filename=\"contract.pdf\"\r\n\
        Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--B--\r\n";
    let r = app
        .services()
        .ingest_mail(
            charla::domain::InboxId(other),
            "INBOX",
            1,
            1,
            secret_mail.as_bytes().to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(
        r.conversation_id.0, hidden,
        "joins the hidden person's conversation"
    );
    let mail_routes = [
        format!(
            "/conversations/{hidden}/messages/{}/attachments/0",
            r.message_id
        ),
        format!("/conversations/{hidden}/messages/{}/html", r.message_id),
        format!("/contacts/{hidden_contact}/export"),
    ];
    for path in &mail_routes {
        assert_eq!(
            admin.get(path).await.status(),
            StatusCode::OK,
            "admin: {path}"
        );
    }

    let web = app.client();
    web.login("luis@example.com", "luis password").await;
    let luis_api = Api::for_client(&web).await;

    // API: every route with a conversation or contact id.
    let api_routes: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, format!("/api/v1/conversations/{hidden}"), None),
        (
            Method::POST,
            format!("/api/v1/conversations/{hidden}/messages"),
            Some(json!({"content": "x"})),
        ),
        (
            Method::POST,
            format!("/api/v1/conversations/{hidden}/assign"),
            Some(json!({"agent_id": luis})),
        ),
        (
            Method::POST,
            format!("/api/v1/conversations/{hidden}/status"),
            Some(json!({"status": "closed"})),
        ),
        (
            Method::POST,
            format!("/api/v1/conversations/{hidden}/unread"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/conversations/{hidden}/confirm_email"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/conversations/{hidden}/transcript"),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/v1/conversations/{hidden}"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/contacts/{hidden_contact}"),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/contacts/{hidden_contact}"),
            Some(json!({"name": "pwned"})),
        ),
        // Reports: the numbers of an inbox out of reach.
        (
            Method::GET,
            format!("/api/v1/reports/overview?group_by=day&filter=inbox:{other}"),
            None,
        ),
    ];
    for (m, path, body) in &api_routes {
        let (s, v) = luis_api.call(m.clone(), path, body.clone()).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{m} {path}: {v}");
    }
    // The same routes work on a conversation in reach (delete: 403, agents may not).
    assert_eq!(
        luis_api
            .get(&format!("/api/v1/conversations/{visible}"))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        luis_api
            .call(
                Method::DELETE,
                &format!("/api/v1/conversations/{visible}"),
                None
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // Admin-only API.
    for (m, path) in [
        (Method::GET, "/api/v1/agents".to_string()),
        (Method::GET, "/api/v1/teams".into()),
        (Method::POST, "/api/v1/teams".into()),
        (Method::PATCH, format!("/api/v1/inboxes/{mine}")),
        (Method::DELETE, format!("/api/v1/inboxes/{mine}")),
    ] {
        let (s, _) = luis_api
            .call(m.clone(), &path, Some(json!({"name": "x"})))
            .await;
        assert!(
            s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND,
            "{m} {path}: {s}"
        );
    }
    let (_, inboxes) = luis_api.get("/api/v1/inboxes").await;
    assert_eq!(inboxes["inboxes"].as_array().unwrap().len(), 1);
    assert_eq!(
        luis_api
            .call(
                Method::PATCH,
                &format!("/api/v1/inboxes/{other}"),
                Some(json!({}))
            )
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // Pages and form actions.
    let token = web.csrf("/").await;
    let t = token.as_str();
    for path in [
        format!("/conversations/{hidden}"),
        format!("/conversations/{hidden}/pane"),
        format!("/contacts/{hidden_contact}"),
        format!("/reports?group_by=week&filter=inbox:{other}"),
        format!("/contacts/{hidden_contact}/export"),
        format!("/contacts/{hidden_contact}/export?format=jsonl"),
        mail_routes[0].clone(),
        mail_routes[1].clone(),
    ] {
        assert_eq!(
            web.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "GET {path}"
        );
    }
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/conversations/{hidden}/messages"),
            vec![("csrf", t), ("content", "x")],
        ),
        (
            format!("/conversations/{hidden}/assign"),
            vec![("csrf", t), ("agent_id", "me")],
        ),
        (
            format!("/conversations/{hidden}/status"),
            vec![("csrf", t), ("status", "closed")],
        ),
        (format!("/conversations/{hidden}/read"), vec![("csrf", t)]),
        (format!("/conversations/{hidden}/unread"), vec![("csrf", t)]),
        (format!("/conversations/{hidden}/delete"), vec![("csrf", t)]),
        (
            format!("/conversations/{hidden}/confirm_email"),
            vec![("csrf", t)],
        ),
        (
            format!("/conversations/{hidden}/transcript"),
            vec![("csrf", t)],
        ),
        (
            format!("/contacts/{hidden_contact}"),
            vec![("csrf", t), ("name", "pwned")],
        ),
        (
            format!("/contacts/{hidden_contact}/block"),
            vec![("csrf", t)],
        ),
    ];
    for (path, fields) in &posts {
        assert_eq!(
            web.post(path, fields).await.status(),
            StatusCode::NOT_FOUND,
            "POST {path}"
        );
    }
    let page = web.get_text("/?view=all").await.1;
    assert!(page.contains("Visible Person") && !page.contains("Hidden Person"));
    let (_, list) = luis_api.get("/api/v1/conversations?view=all").await;
    assert_eq!(
        list["counts"]["all"], 1,
        "counts only cover reachable inboxes"
    );
    // Search.
    let (_, found) = luis_api.get("/api/v1/conversations?q=hidden").await;
    assert!(
        found["conversations"].as_array().unwrap().is_empty(),
        "{found}"
    );
    let (_, found) = luis_api.get("/api/v1/contacts?q=hidden").await;
    assert!(found["contacts"].as_array().unwrap().is_empty(), "{found}");
    let search_page = web.get_text("/?q=Hidden").await.1;
    assert!(!search_page.contains("Hidden Person"));

    // Live events: nothing about the hidden inbox reaches Luis's stream.
    let mut stream = web
        .http
        .get(format!("{}/events", app.url))
        .send()
        .await
        .unwrap();
    let mut seen = String::new();
    let read_for = |ms: u64| tokio::time::sleep(Duration::from_millis(ms));
    incoming(
        &app.url,
        other,
        &other_token,
        json!({"contact": {"identifier": "vip"}, "content": "more secrets"}),
    )
    .await;
    incoming(
        &app.url,
        mine,
        &mine_token,
        json!({"contact": {"identifier": "pub"}, "content": "visible news"}),
    )
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !seen.contains(&format!("conv-{visible}")) && tokio::time::Instant::now() < deadline {
        tokio::select! {
            chunk = stream.chunk() => { if let Ok(Some(c)) = chunk { seen.push_str(&String::from_utf8_lossy(&c)); } }
            _ = read_for(100) => {}
        }
    }
    assert!(
        seen.contains(&format!("conv-{visible}")),
        "the visible conversation's event arrives: {seen}"
    );
    assert!(
        !seen.contains(&format!("conv-{hidden}")),
        "the hidden one's does not: {seen}"
    );
    drop(stream);

    // Becoming a member opens the door.
    api.call(
        Method::PATCH,
        &format!("/api/v1/inboxes/{other}"),
        Some(json!({"member_ids": [luis]})),
    )
    .await;
    assert_eq!(
        luis_api
            .get(&format!("/api/v1/conversations/{hidden}"))
            .await
            .0,
        StatusCode::OK
    );
    app.stop().await;
}
