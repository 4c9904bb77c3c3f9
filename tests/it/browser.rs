//! End to end in a real browser: headless Chromium driven through chromedriver
//! (WebDriver) against the real app. What a person does: set up, sign in and out,
//! add agents, follow an invite link, hit a page they may not see.
//!
//! These tests are `#[ignore]`d so a plain `cargo test` works without a browser;
//! `./scripts/test` runs them with `--include-ignored` and they fail loudly when
//! chromedriver or Chromium is missing. On failure a screenshot of every open
//! browser is saved under `target/test-screenshots/`.

use super::common::*;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(super) type Result<T = (), E = Box<dyn std::error::Error + Send + Sync>> =
    std::result::Result<T, E>;

/// How long to wait for a page or an element before giving up.
pub(super) const PATIENCE: Duration = Duration::from_secs(15);

const CHROME_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// The Chromium binary (`CHROME_BIN` overrides).
fn chrome_bin() -> String {
    std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// The chromedriver binary (`CHROMEDRIVER` overrides).
fn chromedriver_bin() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into())
}

/// A chromedriver child process on a free port, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    async fn start() -> Result<Driver> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let bin = chromedriver_bin();
        let child = Command::new(&bin)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start `{bin}` ({e}); install chromium + chromedriver or run ./scripts/test"))?;
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let status = format!("{}/status", driver.url);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let start = Instant::now();
        loop {
            if let Ok(r) = http.get(&status).send().await
                && r.status().is_success()
            {
                return Ok(driver);
            }
            if start.elapsed() > PATIENCE {
                return Err(
                    format!("chromedriver did not answer on {status} within {PATIENCE:?}").into(),
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One test's browsers: the driver and every session opened so far, each with its own
/// fresh profile directory.
#[derive(Clone)]
pub(super) struct Browsers {
    driver: Arc<Driver>,
    sessions: Arc<Mutex<Vec<(Client, tempfile::TempDir)>>>,
}

impl Browsers {
    /// A new browser session with an empty profile (no cookies), 1280x900.
    pub(super) async fn open(&self) -> Result<Client> {
        self.open_with(&[]).await
    }

    /// [`open`](Self::open) for a person whose browser asks for `accept_lang`
    /// (`Accept-Language` and `navigator.languages`), such as `"es-ES,es"`.
    pub(super) async fn open_speaking(&self, accept_lang: &str) -> Result<Client> {
        self.open_with(&[
            format!("--lang={accept_lang}"),
            format!("--accept-lang={accept_lang}"),
        ])
        .await
    }

    /// [`open`](Self::open) with Chromium's fake microphone (a beep), allowed without
    /// asking.
    pub(super) async fn open_with_microphone(&self) -> Result<Client> {
        self.open_with(&[
            "--use-fake-device-for-media-stream".into(),
            "--use-fake-ui-for-media-stream".into(),
        ])
        .await
    }

    async fn open_with(&self, extra: &[String]) -> Result<Client> {
        let profile = tempfile::tempdir()?;
        let mut args: Vec<String> = CHROME_ARGS.iter().map(|s| s.to_string()).collect();
        args.extend_from_slice(extra);
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let caps = serde_json::json!({
            "goog:chromeOptions": { "binary": chrome_bin(), "args": args },
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.driver.url)
            .await
            .map_err(|e| format!("cannot open a Chromium session through chromedriver: {e}"))?;
        client.set_window_size(1280, 900).await?;
        self.sessions
            .lock()
            .unwrap()
            .push((client.clone(), profile));
        Ok(client)
    }

    /// Saves a screenshot of every open browser: `<test>.png`, `<test>-2.png`, …
    pub(super) async fn screenshot_all(&self, test: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-screenshots");
        let _ = std::fs::create_dir_all(&dir);
        let clients: Vec<Client> = self
            .sessions
            .lock()
            .unwrap()
            .iter()
            .map(|(c, _)| c.clone())
            .collect();
        for (i, c) in clients.iter().enumerate() {
            let name = if i == 0 {
                format!("{test}.png")
            } else {
                format!("{test}-{}.png", i + 1)
            };
            let path = dir.join(name);
            match c.screenshot().await {
                Ok(png) => match std::fs::write(&path, png) {
                    Ok(()) => eprintln!("screenshot saved: {}", path.display()),
                    Err(e) => eprintln!("could not write {}: {e}", path.display()),
                },
                Err(e) => eprintln!("could not take a screenshot: {e}"),
            }
            if let Ok(url) = c.current_url().await {
                eprintln!("browser {} was on {url}", i + 1);
            }
        }
    }

    /// Allows `origin` to show notifications in `c`'s browser, as a person answering
    /// "Allow" to the browser's prompt (through chromedriver's DevTools bridge).
    pub(super) async fn grant_notifications(&self, c: &Client, origin: &str) -> Result {
        let session = c.session_id().await?.ok_or("no WebDriver session")?;
        let r = reqwest::Client::new()
            .post(format!(
                "{}/session/{session}/goog/cdp/execute",
                self.driver.url
            ))
            .json(&serde_json::json!({
                "cmd": "Browser.grantPermissions",
                "params": {"origin": origin, "permissions": ["notifications"]},
            }))
            .send()
            .await?;
        if !r.status().is_success() {
            return Err(format!("Browser.grantPermissions: {}", r.text().await?).into());
        }
        Ok(())
    }

    async fn close_all(&self) {
        let sessions: Vec<(Client, tempfile::TempDir)> =
            std::mem::take(&mut *self.sessions.lock().unwrap());
        for (c, _profile) in sessions {
            let _ = c.close().await;
        }
    }
}

/// Runs `body` with a fresh chromedriver. Any error or panic in it saves screenshots to
/// `target/test-screenshots/<test>*.png`, then fails the test.
pub(super) async fn with_browsers<F, Fut>(test: &str, body: F)
where
    F: FnOnce(Browsers) -> Fut,
    Fut: Future<Output = Result>,
{
    let driver = Driver::start()
        .await
        .unwrap_or_else(|e| panic!("{test}: {e}"));
    let browsers = Browsers {
        driver: Arc::new(driver),
        sessions: Arc::default(),
    };
    let outcome = AssertUnwindSafe(body(browsers.clone()))
        .catch_unwind()
        .await;
    let failed = !matches!(outcome, Ok(Ok(())));
    if failed {
        browsers.screenshot_all(test).await;
    }
    browsers.close_all().await;
    drop(browsers); // kills chromedriver
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("{test}: {e}"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

// ---- Small page helpers -------------------------------------------------------------

pub(super) fn css(s: &str) -> Locator<'_> {
    Locator::Css(s)
}

/// Waits until the browser is on `path` (query ignored) and the page has a body.
pub(super) async fn wait_path(c: &Client, path: &str) -> Result {
    let start = Instant::now();
    loop {
        let url = c.current_url().await?;
        if url.path() == path && c.find(css("body")).await.is_ok() {
            return Ok(());
        }
        if start.elapsed() > PATIENCE {
            return Err(format!("expected to be on {path}, still on {url}").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the text of the first element matching `selector` contains `needle`;
/// returns that text.
pub(super) async fn wait_text(c: &Client, selector: &str, needle: &str) -> Result<String> {
    let start = Instant::now();
    loop {
        let text = match c.find(css(selector)).await {
            Ok(el) => el.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(needle) {
            return Ok(text);
        }
        if start.elapsed() > PATIENCE {
            let url = c.current_url().await?;
            return Err(format!(
                "on {url}: `{selector}` never contained {needle:?}; last text: {text:?}"
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Types `value` into the field `name` of the form posting to `action`.
pub(super) async fn fill(c: &Client, action: &str, name: &str, value: &str) -> Result {
    let field = c
        .find(css(&format!(r#"form[action="{action}"] [name="{name}"]"#)))
        .await?;
    field.clear().await?;
    field.send_keys(value).await?;
    Ok(())
}

/// Clicks the submit button of the form posting to `action`.
pub(super) async fn submit(c: &Client, action: &str) -> Result {
    c.find(css(&format!(
        r#"form[action="{action}"] button[type="submit"]"#
    )))
    .await?
    .click()
    .await?;
    Ok(())
}

/// The text of the whole page.
pub(super) async fn page_text(c: &Client) -> Result<String> {
    Ok(c.find(css("body")).await?.text().await?)
}

pub(super) async fn sign_in(c: &Client, email: &str, password: &str) -> Result {
    wait_path(c, "/login").await?;
    fill(c, "/login", "email", email).await?;
    fill(c, "/login", "password", password).await?;
    submit(c, "/login").await?;
    wait_path(c, "/").await
}

pub(super) async fn sign_out(c: &Client) -> Result {
    submit(c, "/logout").await?;
    wait_path(c, "/login").await?;
    wait_text(c, ".flash", "You have signed out.").await?;
    Ok(())
}

/// Adds an agent through the form on /admin/agents (empty password: invite link).
async fn add_agent(c: &Client, name: &str, email: &str, role: &str, password: &str) -> Result {
    c.goto(&format!("{}/admin/agents", base(c).await?)).await?;
    wait_path(c, "/admin/agents").await?;
    fill(c, "/admin/agents", "name", name).await?;
    fill(c, "/admin/agents", "email", email).await?;
    c.find(css(r#"form[action="/admin/agents"] select[name="role"]"#))
        .await?
        .select_by_value(role)
        .await?;
    if !password.is_empty() {
        fill(c, "/admin/agents", "password", password).await?;
    }
    submit(c, "/admin/agents").await?;
    Ok(())
}

/// `http://host:port` of the page the browser is on.
pub(super) async fn base(c: &Client) -> Result<String> {
    let url = c.current_url().await?;
    Ok(url.origin().ascii_serialization())
}

/// The admin-only links in the navigation.
async fn admin_links(c: &Client) -> Result<usize> {
    Ok(c.find_all(css(r#".sidebar a[href^="/admin"]"#))
        .await?
        .len())
}

// ---- The tests ----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_first_run_login_and_agent_permissions() {
    let app = TestApp::start().await;
    let url = app.url.clone();
    with_browsers(
        "browser_first_run_login_and_agent_permissions",
        |b| async move {
            let c = b.open().await?;

            // First run: any page leads to setup.
            c.goto(&url).await?;
            wait_path(&c, "/setup").await?;
            wait_text(&c, "h1", "Welcome to Charla").await?;
            fill(&c, "/setup", "name", "Ana López").await?;
            fill(&c, "/setup", "email", ADMIN_EMAIL).await?;
            fill(&c, "/setup", "password", ADMIN_PASSWORD).await?;
            submit(&c, "/setup").await?;

            // Home, signed in as the new admin.
            wait_path(&c, "/").await?;
            wait_text(&c, ".flash", "Welcome to Charla").await?;
            wait_text(&c, ".sidebar .me", "Ana López").await?;
            wait_text(&c, "h1", "Hello, Ana López").await?;
            assert_eq!(
                admin_links(&c).await?,
                6,
                "the admin sees Agents, Teams, Inboxes, Saved responses, Templates, Audit log"
            );

            // Sign out, then back in with the same credentials.
            sign_out(&c).await?;
            sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
            wait_text(&c, ".sidebar .me", "Ana López").await?;

            // Agents → add an agent with a password.
            c.find(css(r#".nav a[href="/admin/agents"]"#))
                .await?
                .click()
                .await?;
            wait_path(&c, "/admin/agents").await?;
            wait_text(&c, "h1", "Agents").await?;
            add_agent(
                &c,
                "Bruno Díaz",
                "bruno@example.com",
                "agent",
                "bruno's password",
            )
            .await?;
            wait_text(&c, ".flash", "Agent saved.").await?;
            let row = wait_text(&c, "#agents tbody", "bruno@example.com").await?;
            assert!(row.contains("Bruno Díaz"), "agent listed: {row}");
            assert!(
                c.find(css("#invite-link")).await.is_err(),
                "no invite link for an agent created with a password"
            );
            sign_out(&c).await?;

            // The agent signs in: home, and no admin links.
            sign_in(&c, "bruno@example.com", "bruno's password").await?;
            wait_text(&c, ".sidebar .me", "Bruno Díaz").await?;
            wait_text(&c, "h1", "Hello, Bruno Díaz").await?;
            assert_eq!(admin_links(&c).await?, 0, "an agent sees no admin links");
            assert!(
                c.find(css(".nav-label")).await.is_err(),
                "no Admin heading for an agent"
            );

            // Typing an admin URL: the 403 page.
            for path in ["/admin/agents", "/admin/teams"] {
                c.goto(&format!("{url}{path}")).await?;
                wait_path(&c, path).await?;
                wait_text(&c, "h1", "Not allowed").await?;
                let text = page_text(&c).await?;
                assert!(text.to_lowercase().contains("error 403"), "{path}: {text}");
                assert!(text.contains("This page is for admins"), "{path}: {text}");
                assert!(
                    !text.contains("Add an agent"),
                    "{path} leaks the admin page: {text}"
                );
            }
            Ok(())
        },
    )
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_invite_link_flow() {
    let app = TestApp::start().await;
    app.admin().await; // setup done over HTTP; the browser signs in like anyone else
    let url = app.url.clone();
    with_browsers("browser_invite_link_flow", |b| async move {
        let admin = b.open().await?;
        admin.goto(&format!("{url}/login")).await?;
        sign_in(&admin, ADMIN_EMAIL, ADMIN_PASSWORD).await?;

        // Add an agent without a password: the page shows a one-time invite link.
        add_agent(&admin, "Carla Ruiz", "carla@example.com", "agent", "").await?;
        let link = wait_text(&admin, "#invite-link", "/invite/").await?;
        let link = link.trim().to_string();
        assert!(
            link.starts_with(&format!("{url}/invite/")),
            "invite link {link:?} points at this server"
        );
        wait_text(&admin, "#agents tbody", "carla@example.com").await?;
        wait_text(&admin, "#agents tbody", "Invited").await?;

        // A different person, a different browser: open the link, choose a password.
        let carla = b.open().await?;
        carla.goto(&link).await?;
        wait_text(&carla, "h1", "Hello, Carla Ruiz").await?;
        let text = page_text(&carla).await?;
        assert!(
            text.contains("carla@example.com"),
            "invite page names the account: {text}"
        );
        carla
            .find(css(r#"input[name="password"]"#))
            .await?
            .send_keys("carla's new password")
            .await?;
        carla
            .find(css(r#"button[type="submit"]"#))
            .await?
            .click()
            .await?;

        // Signed in as Carla, with the welcome notice; no admin links.
        wait_path(&carla, "/").await?;
        wait_text(&carla, ".flash", "Your password is set").await?;
        wait_text(&carla, ".sidebar .me", "Carla Ruiz").await?;
        assert_eq!(admin_links(&carla).await?, 0);

        // The link worked once.
        carla.goto(&link).await?;
        wait_text(&carla, "h1", "That did not work").await?;

        // The admin now sees her as active, and she can sign in with the new password.
        admin.goto(&format!("{url}/admin/agents")).await?;
        wait_path(&admin, "/admin/agents").await?;
        let table = wait_text(&admin, "#agents tbody", "carla@example.com").await?;
        assert!(
            !table.contains("Invited"),
            "no pending invite left: {table}"
        );
        carla.goto(&format!("{url}/")).await?;
        wait_path(&carla, "/").await?;
        sign_out(&carla).await?;
        sign_in(&carla, "carla@example.com", "carla's new password").await?;
        wait_text(&carla, ".sidebar .me", "Carla Ruiz").await?;
        Ok(())
    })
    .await;
    app.stop().await;
}

// ---- Accessibility ------------------------------------------------------------------

/// axe-core (vendored for tests only, `tests/vendor/axe.min.js`, MPL-2.0).
const AXE: &str = include_str!("../vendor/axe.min.js");

/// Runs axe-core on the page the browser is on (shadow roots included, so the widget
/// is checked inside a customer's page) and fails with every serious or critical
/// violation, each with its rule, help text and the first elements concerned. Also
/// fails when the page has no `<h1>` (`needs_h1`).
pub(super) async fn axe(c: &Client, what: &str, needs_h1: bool) -> Result {
    let loaded = c
        .execute("return typeof window.axe === 'object';", vec![])
        .await?;
    if loaded != serde_json::Value::Bool(true) {
        c.execute(&format!("{AXE}\nreturn null;"), vec![]).await?;
    }
    let found = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] }).then(r => done({
                h1: document.querySelectorAll('h1').length,
                violations: r.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => ({ id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.length,
                        first: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').replace(/\s+/g, ' ')) })),
            }), e => done({ error: String(e) }));"#,
            vec![],
        )
        .await?;
    if let Some(e) = found.get("error") {
        return Err(format!("{what}: axe did not run: {e}").into());
    }
    let url = c.current_url().await?;
    let mut problems = Vec::new();
    if needs_h1 && found["h1"].as_u64().unwrap_or(0) == 0 {
        problems.push("the page has no <h1>".to_string());
    }
    for v in found["violations"].as_array().into_iter().flatten() {
        problems.push(format!(
            "{} ({}, {} element(s)): {}\n      {}",
            v["id"].as_str().unwrap_or(""),
            v["impact"].as_str().unwrap_or(""),
            v["nodes"],
            v["help"].as_str().unwrap_or(""),
            v["first"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join("\n      ")
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{what} on {url}: {} accessibility problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        )
        .into())
    }
}
