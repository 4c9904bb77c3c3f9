//! Accessibility in a real browser: axe-core (vendored for tests) runs on every kind of
//! page an agent, an admin and a signed-out visitor see, on the demo data set (every
//! channel, long names, notes, files, every state), at 1280 and 390 px, in English and
//! in Spanish. No serious or critical violation, and every page has an `<h1>`. The
//! widget is checked inside a customer's page by the website chat test.

use super::browser::{Result, axe, sign_in, wait_path, with_browsers};
use super::browser_demo::demo_data;
use super::browser_inbox::{wait_js, wait_live};
use super::common::*;
use fantoccini::Client;
use std::time::Duration;

/// The `href` of the first element matching `selector` on the page.
async fn first_href(c: &Client, selector: &str) -> Result<String> {
    let v = c
        .execute(
            &format!(
                "const a = document.querySelector({selector:?}); return a ? a.getAttribute('href') : null;"
            ),
            vec![],
        )
        .await?;
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("no {selector} on the page").into())
}

/// Opens `path` and waits for the page to settle (htmx swaps, the live stream).
async fn visit(c: &Client, url: &str, path: &str) -> Result {
    c.goto(&format!("{url}{path}")).await?;
    wait_path(c, path.split('?').next().unwrap()).await?;
    tokio::time::sleep(Duration::from_millis(250)).await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_accessibility_axe_on_every_page() {
    let (_dir, data, _stdout, password) = demo_data();
    let server = Server::start(&data);
    let url = server.url.clone();
    with_browsers("browser_accessibility_axe_on_every_page", |b| async move {
        let c = b.open().await?;
        visit(&c, &url, "/login").await?;
        axe(&c, "the sign-in page", true).await?;
        sign_in(&c, "admin@demo.example", &password).await?;
        // The ids of a real conversation, contact and inbox of each kind, from the pages.
        visit(&c, &url, "/?view=all").await?;
        let conversation = first_href(&c, "#list .conv-row a").await?;
        visit(&c, &url, "/contacts").await?;
        let contact = first_href(&c, "main a[href^='/contacts/']").await?;
        visit(&c, &url, "/admin/inboxes").await?;
        let inboxes: Vec<String> = c
            .execute(
                "return [...document.querySelectorAll('main a[href^=\"/admin/inboxes/\"]')].map(a => a.getAttribute('href')).filter((h, i, all) => /^\\/admin\\/inboxes\\/\\d+$/.test(h) && all.indexOf(h) === i);",
                vec![],
            )
            .await?
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        assert!(inboxes.len() >= 5, "an inbox of every channel: {inboxes:?}");
        let mut pages: Vec<String> = [
            "/?view=all",
            conversation.as_str(),
            "/contacts",
            contact.as_str(),
            "/profile",
            "/reports",
            "/admin/agents",
            "/admin/teams",
            "/admin/inboxes",
            "/admin/audit",
            "/admin/saved_responses",
            "/admin/templates",
            "/profile/saved_responses",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        pages.extend(inboxes);
        let mut problems = Vec::new();
        for width in [1280, 390] {
            c.set_window_size(width, 900).await?;
            for page in &pages {
                visit(&c, &url, page).await?;
                if let Err(e) = axe(&c, &format!("{page} at {width} px"), true).await {
                    problems.push(e.to_string());
                }
                if *page == conversation {
                    // What the conversation header looks like at this width.
                    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("target/test-screenshots");
                    std::fs::create_dir_all(&dir)?;
                    std::fs::write(
                        dir.join(format!("conversation-{width}.png")),
                        c.screenshot().await?,
                    )?;
                }
            }
        }
        // Autosaving a contact says so once the server has kept it, and says when not.
        c.set_window_size(1280, 900).await?;
        visit(&c, &url, &conversation).await?;
        wait_live(&c).await?;
        let change = |field: &str, value: &str| {
            format!(
                "const i = document.querySelector('.contact-form [name={field}]'); i.value = {value:?}; \
                 i.dispatchEvent(new Event('change', {{ bubbles: true }})); return null;"
            )
        };
        c.execute(&change("tags", "vip, accesible"), vec![]).await?;
        wait_js(&c, "the saved note", "document.querySelector('.saved-note').textContent.startsWith('Saved · ')", Duration::from_secs(10)).await?;
        let not_saved = "document.querySelector('.saved-note').textContent.startsWith('Not saved') && document.querySelector('.saved-note').classList.contains('is-error')";
        // Refused by the browser (not an email address) …
        c.execute(&change("email", "not an address"), vec![]).await?;
        wait_js(&c, "the not-saved note", not_saved, Duration::from_secs(10)).await?;
        c.execute(&change("email", ""), vec![]).await?;
        wait_js(&c, "the saved note again", "document.querySelector('.saved-note').textContent.startsWith('Saved · ')", Duration::from_secs(10)).await?;
        // … or by the server (a name longer than 200 characters).
        c.execute(&change("name", &"x".repeat(300)), vec![]).await?;
        wait_js(&c, "the not-saved note", not_saved, Duration::from_secs(10)).await?;
        // The same pages in Spanish (longer words, other wrapping).
        visit(&c, &url, "/profile").await?;
        c.execute(
            "const f = document.querySelector('form[action=\"/profile/preferences\"]'); f.querySelector('[name=language]').value = 'es'; f.requestSubmit(); return null;",
            vec![],
        )
        .await?;
        // Saved: the profile comes back in Spanish.
        wait_js(&c, "the profile in Spanish", "document.documentElement.lang === 'es' && !!document.querySelector('.flash')", Duration::from_secs(15)).await?;
        for page in &pages[..6] {
            visit(&c, &url, page).await?;
            let lang = c
                .execute("return document.documentElement.lang;", vec![])
                .await?;
            assert_eq!(lang.as_str(), Some("es"), "{page} in Spanish");
            if let Err(e) = axe(&c, &format!("{page} in Spanish"), true).await {
                problems.push(e.to_string());
            }
        }
        // Every page's problems at once: one run shows all there is to fix.
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        Ok(())
    })
    .await;
    drop(server);
}
