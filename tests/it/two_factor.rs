//! Two-factor sign-in over HTTP: codes are computed here from the secret the set-up
//! page shows, with this file's own HMAC-SHA-1 TOTP (not the application's).

use super::common::*;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;

/// RFC 6238 (SHA-1, 6 digits, 30 s) at `ms` plus `steps` steps, written independently.
fn totp_at(secret: &[u8], ms: i64, steps: i64) -> String {
    let counter = (ms / 1000 / 30 + steps) as u64;
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).unwrap();
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let o = (h[19] & 0xf) as usize;
    let n = (u32::from(h[o]) & 0x7f) << 24
        | u32::from(h[o + 1]) << 16
        | u32::from(h[o + 2]) << 8
        | u32::from(h[o + 3]);
    format!("{:06}", n % 1_000_000)
}

fn code_now(app: &TestApp, secret: &[u8]) -> String {
    totp_at(secret, app.clock_now(), 0)
}

/// The set-up page's secret (base32 in groups) and sealed form value.
fn setup_of(html: &str) -> (Vec<u8>, String) {
    let shown = between(html, "id=\"totp-secret\">", "<").expect("secret shown");
    let b32: String = shown.chars().filter(|c| !c.is_whitespace()).collect();
    let secret = data_encoding::BASE32_NOPAD.decode(b32.as_bytes()).unwrap();
    let sealed = between(html, "name=\"sealed\" value=\"", "\"")
        .unwrap()
        .to_string();
    (secret, sealed)
}

/// The recovery codes a page shows once.
fn codes_of(html: &str) -> Vec<String> {
    let list = between(html, "id=\"recovery-codes\">", "</ol>").expect("codes shown");
    list.split("<code>")
        .skip(1)
        .map(|c| c.split('<').next().unwrap().to_string())
        .collect()
}

/// Sets up two-factor sign-in for `c`'s agent; returns the secret and recovery codes.
async fn enable(app: &TestApp, c: &Client) -> (Vec<u8>, Vec<String>) {
    let (status, page) = c.get_text("/profile/two-factor").await;
    assert_eq!(status, StatusCode::OK);
    let (secret, sealed) = setup_of(&page);
    let csrf = csrf_in(&page).unwrap();
    let code = code_now(app, &secret);
    let r = c
        .post(
            "/profile/two-factor/enable",
            &[("csrf", &csrf), ("sealed", &sealed), ("code", &code)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    let codes = codes_of(&body);
    assert_eq!(codes.len(), 10, "ten recovery codes");
    // The code just used is spent: move on to the next step for the next sign-in.
    app.clock.advance_secs(30);
    (secret, codes)
}

async fn sign_out(c: &Client) {
    let token = c.csrf("/profile/two-factor").await;
    let r = c.post("/logout", &[("csrf", &token)]).await;
    assert_eq!(location(&r), "/login?flash=signed_out");
}

/// The password step; asserts it leads to the second step, not to a session.
async fn password_step(c: &Client, email: &str, password: &str) {
    let r = c.login(email, password).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login/two-factor?next=%2F");
}

async fn second_step(c: &Client, code: &str) -> reqwest::Response {
    c.submit(
        "/login/two-factor",
        "/login/two-factor",
        &[("code", code), ("next", "/")],
    )
    .await
}

#[tokio::test]
async fn totp_set_up_sign_out_and_sign_in_with_a_code() {
    let app = TestApp::start().await;
    let c = app.admin().await;
    let (status, profile) = c.get_text("/profile").await;
    assert_eq!(status, StatusCode::OK);
    assert!(profile.contains("href=\"/profile/two-factor\""));

    // The set-up page: a QR code and the secret; a wrong code keeps the same secret.
    let (_, page) = c.get_text("/profile/two-factor").await;
    assert!(page.contains("src=\"data:image/svg+xml;base64,"), "QR code");
    let (secret, sealed) = setup_of(&page);
    assert_eq!(secret.len(), 20);
    let csrf = csrf_in(&page).unwrap();
    let wrong = totp_at(&secret, app.clock_now(), 5);
    let r = c
        .post(
            "/profile/two-factor/enable",
            &[("csrf", &csrf), ("sealed", &sealed), ("code", &wrong)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = r.text().await.unwrap();
    assert!(body.contains("That code is wrong or was already used."));
    assert_eq!(setup_of(&body).0, secret, "the same secret to scan");
    // Another agent's (or a forged) sealed secret is refused.
    let r = c
        .post(
            "/profile/two-factor/enable",
            &[("csrf", &csrf), ("sealed", "v1:AAAA"), ("code", "123456")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let code = code_now(&app, &secret);
    let r = c
        .post(
            "/profile/two-factor/enable",
            &[("csrf", &csrf), ("sealed", &sealed), ("code", &code)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    assert_eq!(codes_of(&body).len(), 10);
    assert!(body.contains("Two-factor sign-in is on."));

    // Never shown again; sealed at rest.
    let (_, page) = c.get_text("/profile/two-factor").await;
    assert!(
        !page.contains("totp-secret"),
        "the secret is not shown again"
    );
    assert!(page.contains("10 recovery codes left."));
    let stored = app
        .services()
        .store
        .agent_by_email(ADMIN_EMAIL)
        .unwrap()
        .unwrap()
        .two_factor
        .unwrap();
    let b32 = data_encoding::BASE32_NOPAD.encode(&secret);
    assert!(stored.secret.starts_with("v1:") && !stored.secret.contains(&b32));
    assert_eq!(stored.recovery.len(), 10);
    assert!(
        codes_of(&body)
            .iter()
            .all(|c| !stored.recovery.iter().any(|h| h.contains(c.as_str())))
    );

    // Sign out; the password alone gives no session.
    sign_out(&c).await;
    password_step(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(location(&c.get("/").await), "/login?next=%2F");
    let (status, step) = c.get_text("/login/two-factor").await;
    assert_eq!(status, StatusCode::OK);
    assert!(step.contains("name=\"code\""));

    // Wrong code refused; the code used to turn it on is not taken twice.
    let r = second_step(&c, &totp_at(&secret, app.clock_now(), 3)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("id=\"two-factor-error\""));
    assert_eq!(
        second_step(&c, &code).await.status(),
        StatusCode::UNAUTHORIZED,
        "replayed code"
    );
    assert_eq!(location(&c.get("/").await), "/login?next=%2F");

    // The next step's code signs in.
    app.clock.advance_secs(30);
    let fresh = code_now(&app, &secret);
    let r = second_step(&c, &fresh).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/");
    assert_eq!(c.get("/").await.status(), StatusCode::OK);

    // That code, once used, does not sign in a second time (another browser).
    let other = app.client();
    password_step(&other, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        second_step(&other, &fresh).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // One step earlier than the last used one is refused too; one later is fine.
    let later = totp_at(&secret, app.clock_now(), 1);
    assert_eq!(
        second_step(&other, &later).await.status(),
        StatusCode::SEE_OTHER
    );
    app.stop().await;
}

#[tokio::test]
async fn recovery_code_works_once_and_codes_can_be_renewed_and_turned_off() {
    let app = TestApp::start().await;
    let c = app.admin().await;
    let (secret, codes) = enable(&app, &c).await;
    sign_out(&c).await;

    // Typed with spaces and capitals, a recovery code signs in once.
    password_step(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let typed = format!(" {} ", codes[0].to_uppercase());
    let r = second_step(&c, &typed).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = c.get_text("/profile/two-factor").await;
    assert!(page.contains("9 recovery codes left."));
    sign_out(&c).await;
    password_step(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        second_step(&c, &codes[0]).await.status(),
        StatusCode::UNAUTHORIZED,
        "a recovery code works once"
    );
    assert_eq!(
        second_step(&c, &codes[1]).await.status(),
        StatusCode::SEE_OTHER
    );

    // New codes need a code from the app; the old ones stop working.
    let csrf = c.csrf("/profile/two-factor").await;
    let r = c
        .post(
            "/profile/two-factor/recovery",
            &[("csrf", &csrf), ("code", "000000")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = c
        .post(
            "/profile/two-factor/recovery",
            &[("csrf", &csrf), ("code", &code_now(&app, &secret))],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let renewed = codes_of(&r.text().await.unwrap());
    assert_eq!(renewed.len(), 10);
    assert!(renewed.iter().all(|n| !codes.contains(n)));
    app.clock.advance_secs(30);
    sign_out(&c).await;
    password_step(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        second_step(&c, &codes[2]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        second_step(&c, &renewed[0]).await.status(),
        StatusCode::SEE_OTHER
    );

    // Turning it off needs the password and a code.
    let csrf = c.csrf("/profile/two-factor").await;
    let code = code_now(&app, &secret);
    let r = c
        .post(
            "/profile/two-factor/disable",
            &[
                ("csrf", &csrf),
                ("password", "not my password"),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("The current password is wrong.")
    );
    let r = c
        .post(
            "/profile/two-factor/disable",
            &[
                ("csrf", &csrf),
                ("password", ADMIN_PASSWORD),
                ("code", "111111"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = c
        .post(
            "/profile/two-factor/disable",
            &[
                ("csrf", &csrf),
                ("password", ADMIN_PASSWORD),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(location(&r), "/profile?flash=two_factor_off");
    sign_out(&c).await;
    let r = c.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(location(&r), "/", "the password alone again");

    // Every change is in the audit log.
    let (_, audit) = c.get_text("/admin/audit").await;
    for action in [
        "agent.two_factor.enable",
        "agent.two_factor.recovery_used",
        "agent.two_factor.recovery_codes",
        "agent.two_factor.disable",
    ] {
        assert!(audit.contains(action), "{action} audited");
    }
    app.stop().await;
}

/// The `Set-Cookie` value of `name` in a response.
fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers().get_all("set-cookie").iter().find_map(|v| {
        let v = v.to_str().ok()?;
        v.strip_prefix(&format!("{name}="))
            .map(|rest| rest.split(';').next().unwrap_or("").to_string())
    })
}

#[tokio::test]
async fn the_pending_step_cannot_be_skipped_forged_or_kept() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let luis = create_agent(
        &admin,
        "Luis",
        "luis@example.com",
        "agent",
        "luis password 1",
    )
    .await;
    let (secret, _) = enable(&app, &admin).await;
    sign_out(&admin).await;

    // The password step sets only the pending cookie; going anywhere directly is
    // sent back to sign in.
    let r = admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert!(set_cookie(&r, "charla_session").is_none(), "no session yet");
    let pending = set_cookie(&r, "charla_2fa").expect("pending cookie");
    for path in ["/", "/profile", "/profile/two-factor", "/admin/agents"] {
        let r = admin.get(path).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&r).starts_with("/login?next="), "{path}");
    }

    // A raw client that sets its own cookies.
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = raw.get(format!("{}/login", app.url)).send().await.unwrap();
    let pre = set_cookie(&login, "charla_pre").unwrap();
    let csrf = csrf_in(&login.text().await.unwrap()).unwrap();
    let try_with = |cookie: String, code: String| {
        let (raw, url, csrf, pre) = (raw.clone(), app.url.clone(), csrf.clone(), pre.clone());
        async move {
            raw.post(format!("{url}/login/two-factor"))
                .header("cookie", format!("charla_pre={pre}; charla_2fa={cookie}"))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("code", code.as_str()),
                    ("next", "/"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // Bound to its agent: the same proof with another agent's id is refused, and so
    // is a made-up one.
    let mut parts: Vec<&str> = pending.split('.').collect();
    let luis_id = luis.to_string();
    parts[0] = &luis_id;
    let forged = parts.join(".");
    let code = code_now(&app, &secret);
    for bad in [forged, "1.99999999999999.1.00".to_string(), String::new()] {
        let r = try_with(bad.clone(), code.clone()).await;
        assert_eq!(location(&r), "/login", "{bad:?}");
        assert!(set_cookie(&r, "charla_session").is_none_or(|v| v.is_empty()));
    }
    // The step speaks the reader's language.
    let es = admin
        .http
        .get(format!("{}/login/two-factor", app.url))
        .header("accept-language", "es-ES,es;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        es.contains("Verificación en dos pasos") && es.contains("Verificar"),
        "{es}"
    );
    let csrf_es = csrf_in(&es).unwrap();
    let wrong = admin
        .http
        .post(format!("{}/login/two-factor", app.url))
        .header("accept-language", "es")
        .form(&[
            ("csrf", csrf_es.as_str()),
            ("code", "000000"),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Ese código no es correcto o ya se usó.")
    );
    // Short-lived: after five minutes the right code is no use.
    app.clock.advance_secs(301);
    let code = code_now(&app, &secret);
    let r = try_with(pending.clone(), code.clone()).await;
    assert_eq!(location(&r), "/login");
    assert_eq!(location(&admin.get("/login/two-factor").await), "/login");
    // A fresh proof with the same code works.
    password_step(&admin, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        second_step(&admin, &code).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(admin.get("/").await.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn wrong_codes_are_throttled_like_passwords() {
    let app = TestApp::start_with(|c| {
        c.auth.login_max_failures_per_account = 3;
        c.auth.login_max_failures_per_ip = 50;
    })
    .await;
    let c = app.admin().await;
    let (secret, _) = enable(&app, &c).await;
    sign_out(&c).await;
    password_step(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for _ in 0..3 {
        assert_eq!(
            second_step(&c, "000000").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let r = second_step(&c, &code_now(&app, &secret)).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right code waits"
    );
    app.clock.advance_secs(901);
    password_step(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let r = second_step(&c, &code_now(&app, &secret)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[tokio::test]
async fn a_required_second_factor_blocks_everything_until_set_up_and_admins_reset_it() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let luis_id = create_agent(
        &admin,
        "Luis",
        "luis@example.com",
        "agent",
        "luis password 1",
    )
    .await;
    let luis = app.client();
    assert_eq!(
        location(&luis.login("luis@example.com", "luis password 1").await),
        "/"
    );
    let api = Api::for_client(&luis).await;

    // Not before the admin has it themselves.
    let r = admin
        .submit("/admin/agents", "/admin/two-factor", &[("require", "on")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Set up two-factor sign-in for yourself first")
    );
    let (admin_secret, _) = enable(&app, &admin).await;
    let r = admin
        .submit("/admin/agents", "/admin/two-factor", &[("require", "on")])
        .await;
    assert_eq!(location(&r), "/admin/agents?flash=two_factor_required");
    let (_, agents) = admin.get_text("/admin/agents").await;
    assert!(agents.contains("name=\"require\" value=\"on\" checked"));

    // Luis's session now leads only to the set-up.
    for path in ["/", "/contacts", "/profile", "/reports", "/conversations/1"] {
        let r = luis.get(path).await;
        assert_eq!(location(&r), "/profile/two-factor", "{path}");
    }
    let token = csrf_in(&luis.get_text("/profile/two-factor").await.1).unwrap();
    let r = luis
        .post("/profile", &[("csrf", &token), ("name", "Mallory")])
        .await;
    assert_eq!(location(&r), "/profile/two-factor", "no writes either");
    let (status, page) = luis.get_text("/profile/two-factor").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"two-factor-required\""));
    // Personal API tokens are not affected.
    assert_eq!(api.get("/api/v1/me").await.0, StatusCode::OK);
    // A new sign-in without it lands on the set-up too.
    let fresh = app.client();
    let r = fresh.login("luis@example.com", "luis password 1").await;
    assert_eq!(location(&r), "/");
    assert_eq!(location(&fresh.get("/").await), "/profile/two-factor");

    // Set up: everything opens; turning it off is refused while required.
    let (secret, _) = enable(&app, &luis).await;
    assert_eq!(luis.get("/").await.status(), StatusCode::OK);
    let csrf = luis.csrf("/profile/two-factor").await;
    let r = luis
        .post(
            "/profile/two-factor/disable",
            &[
                ("csrf", &csrf),
                ("password", "luis password 1"),
                ("code", &code_now(&app, &secret)),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        app.services()
            .store
            .agent_by_email("luis@example.com")
            .unwrap()
            .unwrap()
            .two_factor
            .is_some()
    );

    // The admin resets it (audited): Luis sets it up again before anything else.
    let (_, edit) = admin.get_text(&format!("/admin/agents/{luis_id}")).await;
    assert!(edit.contains("/two-factor/reset"));
    let r = admin
        .submit(
            &format!("/admin/agents/{luis_id}"),
            &format!("/admin/agents/{luis_id}/two-factor/reset"),
            &[],
        )
        .await;
    assert_eq!(
        location(&r),
        format!("/admin/agents/{luis_id}?flash=two_factor_reset")
    );
    let (_, edit) = admin.get_text(&location(&r)).await;
    assert!(edit.contains("Two-factor sign-in reset."));
    assert!(edit.contains("id=\"two-factor-off\""));
    assert_eq!(location(&luis.get("/").await), "/profile/two-factor");
    let (_, audit) = admin.get_text("/admin/audit").await;
    assert!(audit.contains("agent.two_factor.reset"));
    assert!(audit.contains("workspace.two_factor"));
    // Agents may not reset anyone's.
    let (other_secret, _) = enable(&app, &luis).await;
    let r = luis
        .submit(
            "/profile/two-factor",
            &format!("/admin/agents/{luis_id}/two-factor/reset"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_ne!(other_secret, secret, "a new secret after the reset");

    // No longer required: agents without it get in again.
    let r = admin
        .submit("/admin/agents", "/admin/two-factor", &[])
        .await;
    assert_eq!(location(&r), "/admin/agents?flash=two_factor_not_required");
    let _ = admin_secret;
    app.stop().await;
}

/// In a real browser: the set-up page and the sign-in's code step at 1280 and 390 px
/// (`docs/screenshots/two-factor-setup*.png`, `two-factor-code*.png`), set up and used
/// with codes computed here from the key the page shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_two_factor_set_up_and_sign_in() {
    use super::browser::{
        css, fill, sign_in, sign_out, submit, wait_path, wait_text, with_browsers,
    };
    use super::browser_i18n::shot;
    let app = TestApp::start().await;
    app.admin().await;
    let (url, clock) = (app.url.clone(), app.clock.clone());
    with_browsers("browser_two_factor_set_up_and_sign_in", |b| async move {
        use charla::domain::Clock;
        let now = || clock.now().0;
        let c = b.open().await?;
        c.goto(&format!("{url}/login")).await?;
        sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        c.goto(&format!("{url}/profile")).await?;
        c.find(css("#two-factor a.btn")).await?.click().await?;
        wait_path(&c, "/profile/two-factor").await?;
        shot(&c, 1280, 900, "two-factor-setup").await?;
        shot(&c, 390, 844, "two-factor-setup-phone").await?;
        c.set_window_size(1280, 900).await?;
        let shown = c.find(css("#totp-secret")).await?.text().await?;
        let b32: String = shown.chars().filter(|c| !c.is_whitespace()).collect();
        let secret = data_encoding::BASE32_NOPAD.decode(b32.as_bytes())?;
        let qr = c.find(css("img.qr")).await?;
        let loaded = c
            .execute(
                "return arguments[0].naturalWidth;",
                vec![serde_json::to_value(&qr)?],
            )
            .await?;
        assert!(
            loaded.as_u64().unwrap_or(0) >= 200,
            "the QR code renders: {loaded}"
        );
        fill(
            &c,
            "/profile/two-factor/enable",
            "code",
            &totp_at(&secret, now(), 0),
        )
        .await?;
        submit(&c, "/profile/two-factor/enable").await?;
        wait_text(&c, "#recovery-codes", "-").await?;
        let codes = c.find_all(css("#recovery-codes code")).await?;
        assert_eq!(codes.len(), 10);
        shot(&c, 1280, 900, "two-factor-codes").await?;
        c.goto(&format!("{url}/admin/agents")).await?;
        wait_path(&c, "/admin/agents").await?;
        shot(&c, 1280, 800, "two-factor-admin").await?;
        c.set_window_size(1280, 900).await?;
        clock.advance_secs(30);
        sign_out(&c).await?;
        fill(&c, "/login", "email", ADMIN_EMAIL).await?;
        fill(&c, "/login", "password", ADMIN_PASSWORD).await?;
        submit(&c, "/login").await?;
        wait_path(&c, "/login/two-factor").await?;
        shot(&c, 1280, 800, "two-factor-code").await?;
        shot(&c, 390, 844, "two-factor-code-phone").await?;
        c.set_window_size(1280, 900).await?;
        fill(&c, "/login/two-factor", "code", "000000").await?;
        submit(&c, "/login/two-factor").await?;
        wait_text(&c, "#two-factor-error", "wrong").await?;
        fill(&c, "/login/two-factor", "code", &totp_at(&secret, now(), 0)).await?;
        submit(&c, "/login/two-factor").await?;
        wait_path(&c, "/").await?;
        Ok(())
    })
    .await;
    app.stop().await;
}

/// The way back in when the phone and the recovery codes are gone and no admin can
/// reset it: `charla admin reset-two-factor` on the stopped server's data directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_resets_a_lost_second_factor() {
    use super::cli::{charla, text};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let o = charla(
        &[
            "--data",
            d,
            "admin",
            "create",
            "--email",
            "boss@example.com",
            "--name",
            "Boss",
            "--password-stdin",
        ],
        Some("boss password 1\n"),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let server = Server::start(&data);
    let c = Client::new(&server.url);
    assert_eq!(
        location(&c.login("boss@example.com", "boss password 1").await),
        "/"
    );
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
    };
    let (_, page) = c.get_text("/profile/two-factor").await;
    let (secret, sealed) = setup_of(&page);
    let csrf = csrf_in(&page).unwrap();
    let r = c
        .post(
            "/profile/two-factor/enable",
            &[
                ("csrf", &csrf),
                ("sealed", &sealed),
                ("code", &totp_at(&secret, now(), 0)),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let c = Client::new(&server.url);
    password_step(&c, "boss@example.com", "boss password 1").await;
    let (status, log) = server.terminate();
    assert!(status.success(), "{log}");

    let o = charla(
        &[
            "--data",
            d,
            "admin",
            "reset-two-factor",
            "--email",
            "nobody@example.com",
        ],
        None,
    );
    assert!(!o.status.success(), "an unknown agent is an error");
    let o = charla(
        &[
            "--data",
            d,
            "admin",
            "reset-two-factor",
            "--email",
            "boss@example.com",
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("two-factor sign-in turned off for boss@example.com"));
    let server = Server::start(&data);
    let c = Client::new(&server.url);
    assert_eq!(
        location(&c.login("boss@example.com", "boss password 1").await),
        "/"
    );
    let (_, audit) = c.get_text("/admin/audit").await;
    assert!(audit.contains("reset from the command line"));
    server.terminate();
}
