//! Accounts and security over real HTTP: first run, sign-in, sessions, CSRF,
//! throttling, invites, tokens.

use super::common::*;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_redirects_to_setup_then_setup_is_gone() {
    let app = TestApp::start().await;
    let c = app.client();
    for path in ["/", "/login", "/admin/agents", "/profile"] {
        let r = c.get(path).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&r), "/setup", "{path}");
    }
    assert_eq!(c.get("/healthz").await.status(), StatusCode::OK);
    // Bad setup input: clear answer, nothing created.
    let r = c
        .submit(
            "/setup",
            "/setup",
            &[
                ("name", "Ana"),
                ("email", "not-an-email"),
                ("password", "long enough"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("email: is not a valid email address")
    );
    let r = c
        .submit(
            "/setup",
            "/setup",
            &[("name", "Ana"), ("email", "a@x.io"), ("password", "short")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(location(&c.get("/").await), "/setup", "still not set up");

    let admin = app.admin().await;
    let (status, home) = admin.get_text("/?flash=welcome").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("Ana López") && home.contains("Welcome to Charla"));
    // Setup is gone for everyone, signed in or not, GET or POST.
    assert_eq!(admin.get("/setup").await.status(), StatusCode::NOT_FOUND);
    let anon = app.client();
    assert_eq!(anon.get("/setup").await.status(), StatusCode::NOT_FOUND);
    let r = anon
        .post(
            "/setup",
            &[
                ("csrf", "x"),
                ("name", "Eve"),
                ("email", "eve@x.io"),
                ("password", "password123"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        anon.login("eve@x.io", "password123").await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_logout_and_session_cookie() {
    let app = TestApp::start().await;
    app.admin().await;
    let c = app.client();
    let r = c.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/");
    let cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("charla_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP without secure_cookies: {cookie}"
    );
    assert_eq!(c.get("/").await.status(), StatusCode::OK);

    // A new session id at sign-in: a cookie planted before sign-in is never adopted.
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let planted = "charla_session=00112233445566778899aabbccddeeff";
    let page = raw
        .get(format!("{}/login", app.url))
        .header("cookie", planted)
        .send()
        .await
        .unwrap();
    let pre = page
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let token = csrf_in(&page.text().await.unwrap()).unwrap();
    let r2 = raw
        .post(format!("{}/login", app.url))
        .header("cookie", format!("{planted}; {pre}"))
        .form(&[
            ("csrf", token.as_str()),
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r2.status(), StatusCode::SEE_OTHER);
    let cookie2 = r2
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie2.starts_with("charla_session=") && !cookie2.starts_with(planted),
        "{cookie2}"
    );
    assert_ne!(cookie.split(';').next(), cookie2.split(';').next());

    // `next` is honoured for same-site paths only.
    let c2 = app.client();
    let r = c2.get("/admin/teams").await;
    assert_eq!(location(&r), "/login?next=%2Fadmin%2Fteams");
    let r = c2
        .submit(
            "/login?next=/admin/teams",
            "/login",
            &[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", "/admin/teams"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/admin/teams");
    let c3 = app.client();
    let r = c3
        .submit(
            "/login",
            "/login",
            &[
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/");

    // Logout ends the session on the server, not only the cookie.
    let token = c.csrf("/").await;
    let r = c.post("/logout", &[("csrf", &token)]).await;
    assert_eq!(location(&r), "/login?flash=signed_out");
    assert_eq!(c.get("/").await.status(), StatusCode::SEE_OTHER);
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let old = cookie.split(';').next().unwrap().to_string();
    let r = replay
        .get(format!("{}/", app.url))
        .header("cookie", old)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the logged-out session still works"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_cookies_use_host_prefix() {
    let app = TestApp::start_with(|c| c.server.secure_cookies = true).await;
    let c = app.client();
    let token = c.csrf("/setup").await;
    let r = c
        .post(
            "/setup",
            &[
                ("csrf", &token),
                ("name", "A"),
                ("email", "a@x.io"),
                ("password", "password123"),
            ],
        )
        .await;
    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        cookie.starts_with("__Host-charla_session=") && cookie.contains("Secure"),
        "{cookie}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_and_unknown_email_answer_the_same() {
    let app = TestApp::start().await;
    app.admin().await;
    let c = app.client();
    let r1 = c.login(ADMIN_EMAIL, "wrong password").await;
    let s1 = r1.status();
    let b1 = r1.text().await.unwrap();
    let r2 = c.login("nobody@example.com", "wrong password").await;
    let s2 = r2.status();
    let b2 = r2.text().await.unwrap();
    assert_eq!(s1, StatusCode::UNAUTHORIZED);
    assert_eq!(s1, s2);
    let msg = |b: &str| between(b, "id=\"login-error\">", "<").unwrap().to_string();
    assert_eq!(msg(&b1), "Wrong email or password.");
    assert_eq!(msg(&b1), msg(&b2));
    assert_eq!(
        c.get("/").await.status(),
        StatusCode::SEE_OTHER,
        "not signed in"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_missing_forged_or_cross_site_is_403_and_changes_nothing() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let r = admin.post("/admin/teams", &[("name", "Ghost team")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("security token is missing")
    );
    let r = admin
        .post(
            "/admin/teams",
            &[
                ("csrf", "0123456789abcdef0123456789abcdef"),
                ("name", "Ghost team"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Pre-sign-in forms: missing and forged.
    let anon = app.client();
    assert_eq!(
        anon.post(
            "/login",
            &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)]
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    anon.csrf("/login").await; // gets the nonce cookie
    let r = anon
        .post(
            "/login",
            &[
                ("csrf", "deadbeef"),
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Cross-site POST, even with a valid token.
    let token = admin.csrf("/admin/teams").await;
    let url = format!("{}/admin/teams", app.url);
    let fields = [("csrf", token.as_str()), ("name", "Ghost team")];
    let r = admin
        .http
        .post(&url)
        .header("sec-fetch-site", "cross-site")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = admin
        .http
        .post(&url)
        .header("origin", "https://evil.example")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, page) = admin.get_text("/admin/teams").await;
    assert!(
        !page.contains("Ghost team"),
        "a refused request changed something"
    );
    let r = admin
        .http
        .post(&url)
        .header("origin", &app.url)
        .header("sec-fetch-site", "same-origin")
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_sessions_go_back_to_login() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    assert_eq!(admin.get("/").await.status(), StatusCode::OK);
    app.clock.advance_secs(11 * 3600);
    assert_eq!(
        admin.get("/").await.status(),
        StatusCode::OK,
        "activity within the idle limit"
    );
    app.clock.advance_secs(11 * 3600);
    assert_eq!(
        admin.get("/").await.status(),
        StatusCode::OK,
        "activity refreshed the idle timer"
    );
    app.clock.advance_secs(12 * 3600 + 1);
    let r = admin.get("/profile").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "idle expiry");
    assert_eq!(location(&r), "/login?next=%2Fprofile");
    // Absolute expiry: active every few hours, still ends after 30 days.
    admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut hours = 0;
    while admin.get("/").await.status() == StatusCode::OK && hours < 31 * 24 {
        app.clock.advance_secs(6 * 3600);
        hours += 6;
    }
    assert!(
        (30 * 24..=30 * 24 + 6).contains(&hours),
        "ended after {hours} h"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_is_throttled_per_account_and_per_ip() {
    let app = TestApp::start_with(|c| {
        c.auth.login_max_failures_per_account = 3;
        c.auth.login_max_failures_per_ip = 6;
    })
    .await;
    app.admin().await;
    let c = app.client();
    for _ in 0..3 {
        assert_eq!(
            c.login(ADMIN_EMAIL, "nope nope").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let r = c.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Too many failed sign-in attempts; try again in 15 minutes.")
    );
    for i in 0..3 {
        c.login(&format!("u{i}@x.io"), "nope nope").await;
    }
    assert_eq!(
        c.login("fresh@x.io", "whatever1").await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "per IP"
    );
    app.clock.advance_secs(901);
    assert_eq!(
        c.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_malformed_forms_are_refused_clearly() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let token = admin.csrf("/admin/agents").await;
    let t = token.as_str();
    let big = "x".repeat(70 * 1024);
    let r = admin
        .post("/admin/teams", &[("csrf", t), ("name", big.as_str())])
        .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let r = admin
        .post(
            "/admin/agents",
            &[
                ("csrf", t),
                ("name", "Bo"),
                ("email", "bo@x.io"),
                ("role", "boss"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("role: must be admin or agent")
    );
    let r = admin
        .post(
            "/admin/agents",
            &[("csrf", t), ("name", "Bo"), ("role", "agent")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text().await.unwrap().contains("missing field `email`"),
        "names the missing field"
    );
    let r = admin
        .post(
            "/admin/teams",
            &[("csrf", t), ("name", "T"), ("member_ids", "abc")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("member_ids"));
    let r = admin
        .post(
            "/admin/teams",
            &[("csrf", t), ("name", "T"), ("member_ids", "999999")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = admin
        .post(
            "/admin/agents",
            &[
                ("csrf", t),
                ("name", "Bo"),
                ("email", "bo@x.io"),
                ("role", "agent"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("password: must be at least 8 characters")
    );
    let r = admin
        .post(
            "/admin/agents",
            &[
                ("csrf", t),
                ("name", "Dup"),
                ("email", ADMIN_EMAIL),
                ("role", "agent"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("already exists"));
    let (_, agents) = admin.get_text("/admin/agents").await;
    assert!(
        !agents.contains("bo@x.io") && !agents.contains("Dup"),
        "nothing was created"
    );
    let (_, teams) = admin.get_text("/admin/teams").await;
    assert!(teams.contains("No teams yet"), "nothing was created");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_change_ends_other_sessions_and_keeps_this_one() {
    let app = TestApp::start().await;
    let a = app.admin().await;
    let b = app.client();
    b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let r = a
        .submit(
            "/profile",
            "/profile/password",
            &[
                ("current_password", "wrong one!"),
                ("new_password", "new password 1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("current password is wrong")
    );
    let r = a
        .submit(
            "/profile",
            "/profile/password",
            &[
                ("current_password", ADMIN_PASSWORD),
                ("new_password", "new password 1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        a.get("/profile").await.status(),
        StatusCode::OK,
        "this browser got a fresh session"
    );
    assert_eq!(
        b.get("/profile").await.status(),
        StatusCode::SEE_OTHER,
        "the other session ended"
    );
    assert_eq!(
        b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        b.login(ADMIN_EMAIL, "new password 1").await.status(),
        StatusCode::SEE_OTHER
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_link_sets_password_once_and_expires() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let r = admin
        .submit(
            "/admin/agents",
            "/admin/agents",
            &[
                ("name", "Luis Pérez"),
                ("email", "luis@example.com"),
                ("role", "agent"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    let link = between(&body, "id=\"invite-link\">", "<")
        .unwrap()
        .to_string();
    let path = link
        .strip_prefix(&app.url)
        .expect("link on our origin")
        .to_string();
    let (_, list) = admin.get_text("/admin/agents").await;
    assert!(list.contains("Invited"));
    let luis = app.client();
    assert_eq!(
        luis.login("luis@example.com", "").await.status(),
        StatusCode::UNAUTHORIZED,
        "no password yet"
    );
    let (status, page) = luis.get_text(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Luis Pérez"));
    let r = luis.submit(&path, &path, &[("password", "short")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = luis
        .submit(&path, &path, &[("password", "luis password")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(luis.get("/").await.status(), StatusCode::OK);
    // Used once only.
    let other = app.client();
    assert_eq!(other.get(&path).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        other
            .login("luis@example.com", "luis password")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    // A fresh invite expires after 7 days.
    let (_, list) = admin.get_text("/admin/agents").await;
    let i = list.find("luis@example.com").unwrap();
    let j = list[i..].find("/admin/agents/").unwrap() + i + "/admin/agents/".len();
    let id = list[j..].split('"').next().unwrap().to_string();
    let r = admin
        .submit(
            &format!("/admin/agents/{id}"),
            &format!("/admin/agents/{id}/invite"),
            &[],
        )
        .await;
    let body = r.text().await.unwrap();
    let path2 = between(&body, "id=\"invite-link\">", "<")
        .unwrap()
        .strip_prefix(&app.url)
        .unwrap()
        .to_string();
    app.clock.advance_secs(7 * 24 * 3600 + 1);
    let (status, page) = app.client().get_text(&path2).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("expired"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_api_tokens_shown_once_work_and_revoke() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let r = admin
        .submit("/profile", "/profile/tokens", &[("label", "Backup script")])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    let token = between(&body, "id=\"new-token\">", "<")
        .unwrap()
        .to_string();
    assert!(token.starts_with("charla_pat_"));
    let (_, profile) = admin.get_text("/profile").await;
    assert!(
        profile.contains("Backup script") && !profile.contains(&token),
        "shown once"
    );
    let api = reqwest::Client::new();
    let me = api
        .get(format!("{}/api/v1/me", app.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["email"], ADMIN_EMAIL);
    assert_eq!(me["role"], "admin");
    for bad in ["", "charla_pat_nope", "Bearer"] {
        let r = api
            .get(format!("{}/api/v1/me", app.url))
            .bearer_auth(bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let e: serde_json::Value = r.json().await.unwrap();
        assert_eq!(e["error"]["code"], "unauthorized");
    }
    let id = between(&profile, "/profile/tokens/", "/revoke")
        .unwrap()
        .to_string();
    let r = admin
        .submit("/profile", &format!("/profile/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = api
        .get(format!("{}/api/v1/me", app.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}
