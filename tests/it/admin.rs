//! Administration pages, roles, the audit log and the web shell.

use super::common::*;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_cannot_open_admin_pages() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    create_agent(&admin, "Luis", "luis@example.com", "agent", "luis password").await;
    let luis = app.client();
    assert_eq!(
        luis.login("luis@example.com", "luis password")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let (status, home) = luis.get_text("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !home.contains("/admin/agents"),
        "no admin navigation for agents"
    );
    for path in [
        "/admin",
        "/admin/agents",
        "/admin/teams",
        "/admin/inboxes",
        "/admin/audit",
        "/admin/agents/1",
    ] {
        let (status, body) = luis.get_text(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(body.contains("Not allowed"), "{path}");
    }
    let token = luis.csrf("/profile").await;
    let r = luis
        .post(
            "/admin/teams",
            &[("csrf", token.as_str()), ("name", "Sneaky")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, teams) = admin.get_text("/admin/teams").await;
    assert!(!teams.contains("Sneaky"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivating_an_agent_ends_their_sessions_at_once() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let id = create_agent(&admin, "Luis", "luis@example.com", "agent", "luis password").await;
    let luis = app.client();
    luis.login("luis@example.com", "luis password").await;
    assert_eq!(luis.get("/").await.status(), StatusCode::OK);
    let r = admin
        .submit(
            &format!("/admin/agents/{id}"),
            &format!("/admin/agents/{id}/deactivate"),
            &[],
        )
        .await;
    assert_eq!(location(&r), "/admin/agents?flash=agent_deactivated");
    assert_eq!(
        luis.get("/").await.status(),
        StatusCode::SEE_OTHER,
        "session ended"
    );
    assert_eq!(
        luis.login("luis@example.com", "luis password")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let (_, list) = admin.get_text("/admin/agents").await;
    assert!(list.contains("Deactivated"));
    // Admins cannot lock themselves out.
    let (_, me) = admin.get_text("/admin/agents").await;
    let my_id = between(&me, "/admin/agents/", "\"").unwrap().to_string();
    let r = admin
        .submit(
            "/admin/agents",
            &format!("/admin/agents/{my_id}/deactivate"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = admin
        .submit(
            &format!("/admin/agents/{id}"),
            &format!("/admin/agents/{id}/reactivate"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        luis.login("luis@example.com", "luis password")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teams_and_inboxes_with_members_and_agent_visibility() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let luis = create_agent(&admin, "Luis", "luis@example.com", "agent", "luis password").await;
    let eva = create_agent(&admin, "Eva", "eva@example.com", "agent", "eva password").await;
    let (luis_s, eva_s) = (luis.to_string(), eva.to_string());

    let r = admin
        .submit(
            "/admin/teams",
            "/admin/teams",
            &[
                ("name", "Delivery"),
                ("member_ids", &luis_s),
                ("member_ids", &eva_s),
            ],
        )
        .await;
    assert_eq!(location(&r), "/admin/teams?flash=team_saved");
    let (_, teams) = admin.get_text("/admin/teams").await;
    assert!(
        teams.contains("Delivery") && teams.contains("Luis, Eva"),
        "{teams}"
    );
    let team_id = between(&teams, "/admin/teams/", "\"").unwrap().to_string();
    let r = admin
        .submit(
            &format!("/admin/teams/{team_id}"),
            &format!("/admin/teams/{team_id}"),
            &[("name", "Delivery ES"), ("member_ids", &eva_s)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, teams) = admin.get_text("/admin/teams").await;
    assert!(teams.contains("Delivery ES") && !teams.contains("Luis, Eva"));

    let r = admin
        .submit(
            "/admin/inboxes",
            "/admin/inboxes",
            &[
                ("name", "Support API"),
                ("channel", "api"),
                ("member_ids", &luis_s),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "an API inbox shows its token once"
    );
    let body = r.text().await.unwrap();
    let token = between(&body, "id=\"inbox-token\">", "<").unwrap();
    assert!(token.starts_with("charla_inbox_"));
    assert!(body.contains("/incoming"), "the endpoint is shown");
    let r = admin
        .submit(
            "/admin/inboxes",
            "/admin/inboxes",
            &[
                ("name", "Sales"),
                ("channel", "api"),
                ("member_ids", &eva_s),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = admin
        .submit(
            "/admin/inboxes",
            "/admin/inboxes",
            &[("name", "Fax"), ("channel", "fax")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Channel: unknown channel type &#34;fax&#34;")
    );

    // An agent sees only the inboxes they are a member of.
    let c = app.client();
    c.login("luis@example.com", "luis password").await;
    let (_, home) = c.get_text("/").await;
    assert!(
        home.contains("Support API") && !home.contains("Sales"),
        "{home}"
    );

    let (_, inboxes) = admin.get_text("/admin/inboxes").await;
    let inbox_id = between(&inboxes, "/admin/inboxes/", "\"")
        .unwrap()
        .to_string();
    let r = admin
        .submit(
            "/admin/inboxes",
            &format!("/admin/inboxes/{inbox_id}/delete"),
            &[],
        )
        .await;
    assert_eq!(location(&r), "/admin/inboxes?flash=inbox_deleted");
    let (_, home) = c.get_text("/").await;
    assert!(!home.contains("Support API"));
    assert_eq!(
        admin
            .get(&format!("/admin/inboxes/{inbox_id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let r = admin
        .submit(
            "/admin/teams",
            &format!("/admin/teams/{team_id}/delete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = admin
        .submit(
            "/admin/teams",
            &format!("/admin/teams/{team_id}/delete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "deleting twice");

    // Every administrative action is in the audit log, newest first.
    let (status, audit) = admin.get_text("/admin/audit").await;
    assert_eq!(status, StatusCode::OK);
    let order = [
        "team.delete",
        "inbox.delete",
        "inbox.create",
        "team.update",
        "team.create",
        "agent.create",
        "setup",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|a| {
            audit
                .find(&format!("<code>{a}</code>"))
                .unwrap_or_else(|| panic!("{a} missing"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "newest first: {positions:?}"
    );
    assert!(audit.contains("Ana López"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_log_pages_with_a_cursor() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    for i in 0..55 {
        app.clock.advance_secs(1);
        let r = admin
            .submit(
                "/profile",
                "/profile/tokens",
                &[("label", &format!("token-{i:02}"))],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let (_, first) = admin.get_text("/admin/audit").await;
    assert!(first.contains("token-54") && !first.contains("token-04"));
    let next = between(&first, "/admin/audit?before=", "\"")
        .unwrap()
        .to_string();
    let (_, second) = admin.get_text(&format!("/admin/audit?before={next}")).await;
    assert!(
        second.contains("token-04") && second.contains("setup") && !second.contains("token-54")
    );
    assert!(!second.contains("Older entries"));
    assert_eq!(
        admin.get("/admin/audit?before=garbage").await.status(),
        StatusCode::BAD_REQUEST
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_headers_assets_health_and_error_pages() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let r = admin.get("/").await;
    let h = r.headers();
    let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline")
            && csp.contains("frame-ancestors 'none'")
    );
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
    assert!(h.get("referrer-policy").is_some());
    let body = r.text().await.unwrap();
    assert!(
        !body.contains("<script>") && !body.contains(" style=\""),
        "no inline script or style"
    );
    // Hashed asset URLs, immutable caching.
    let css = between(&body, "<link rel=\"stylesheet\" href=\"", "\"")
        .unwrap()
        .to_string();
    assert!(
        css.starts_with("/static/css/app.")
            && css.ends_with(".css")
            && css != "/static/css/app.css",
        "{css}"
    );
    let r = admin.get(&css).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(
        r.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let etag = r.headers().get("etag").unwrap().clone();
    let r = admin
        .http
        .get(format!("{}{css}", app.url))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(
        admin.get("/static/css/app.css").await.status(),
        StatusCode::OK,
        "plain name for embeds"
    );
    assert_eq!(
        admin.get("/static/../Cargo.toml").await.status(),
        StatusCode::NOT_FOUND
    );
    // Health, friendly 404 in HTML and JSON.
    let r = admin.get("/healthz").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["status"], "ok");
    let (status, page) = admin.get_text("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("Page not found") && page.contains("<link rel=\"stylesheet\""));
    let r = admin.get("/api/v1/nothing").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "not_found"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_conversation_says_it_was_deleted() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (inbox, token) = api.inbox("Shop API", &[], None).await;
    let (s, v) = incoming(
        &app.url,
        inbox,
        &token,
        serde_json::json!({"contact": {"identifier": "c-1", "name": "Marta"}, "content": "Hola", "source_id": "m-1"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let conv = v["conversation_id"].as_u64().unwrap();
    let page = format!("/conversations/{conv}");
    let r = admin
        .submit(&page, &format!("/conversations/{conv}/delete"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(to, "/?view=all&flash=conversation_deleted");
    let (_, body) = admin.get_text(&to).await;
    assert!(body.contains("Conversation deleted."), "{body}");
    assert_eq!(admin.get(&page).await.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}
