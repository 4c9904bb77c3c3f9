//! `charla demo` as an evaluator runs it: the real binary fills a new data directory
//! and prints how to sign in; the server starts on it, and in a real browser the admin
//! and an agent sign in with the printed password and see conversations of every
//! channel. The contact page's "Download conversations" button is there. Screenshots
//! (inbox and a contact at 1280 and 390 px) go to `target/test-screenshots/`.

use super::browser::{Result, css, sign_in, wait_path, wait_text, with_browsers};
use super::common::*;
use fantoccini::Client;
use std::time::Duration;

async fn shot(c: &Client, width: u32, name: &str) -> Result {
    c.set_window_size(width, 900).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-screenshots");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(format!("{name}.png")), c.screenshot().await?)?;
    c.set_window_size(1280, 900).await?;
    Ok(())
}

/// The number of conversation rows in the list.
async fn rows(c: &Client) -> Result<usize> {
    Ok(c.find_all(css("#list .conv-row")).await?.len())
}

/// `charla demo` into a new data directory through the real binary: the directory, the
/// data path, what it printed and the demo agents' password.
pub(super) fn demo_data() -> (tempfile::TempDir, std::path::PathBuf, String, String) {
    crypto();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_charla"))
        .args(["--data", data.to_str().unwrap(), "demo"])
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("500 conversations"), "{stdout}");
    assert!(stdout.contains("admin@demo.example"), "{stdout}");
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Password (every demo agent): "))
        .unwrap()
        .trim()
        .to_string();
    (dir, data, stdout, password)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_demo_then_sign_in_sees_conversations() {
    let (_dir, data, _stdout, password) = demo_data();
    // A second run refuses: the directory is no longer new.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_charla"))
        .args(["--data", data.to_str().unwrap(), "demo"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds data"));

    let server = Server::start(&data);
    let url = server.url.clone();
    with_browsers(
        "browser_demo_then_sign_in_sees_conversations",
        |b| async move {
            let ana = b.open().await?;
            ana.goto(&format!("{url}/login")).await?;
            sign_in(&ana, "admin@demo.example", &password).await?;
            ana.goto(&format!("{url}/?view=all")).await?;
            wait_text(&ana, "#list", "").await?;
            let start = std::time::Instant::now();
            while rows(&ana).await? == 0 && start.elapsed() < Duration::from_secs(15) {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(
                rows(&ana).await? >= 20,
                "the admin sees the open conversations"
            );
            let list = ana.find(css("#list")).await?.text().await?;
            for inbox in ["WhatsApp", "Telegram", "Chat web"] {
                assert!(
                    list.contains(inbox),
                    "{inbox} conversations in the list: {list}"
                );
            }
            shot(&ana, 1280, "demo-inbox-1280").await?;
            shot(&ana, 390, "demo-inbox-390").await?;
            // Closed and snoozed ones are there too.
            for view in ["closed", "snoozed"] {
                ana.goto(&format!("{url}/?view={view}")).await?;
                wait_path(&ana, "/").await?;
                assert!(rows(&ana).await? > 0, "no {view} conversations");
            }
            // A conversation opens with its messages; its contact page has the download.
            ana.find(css("#list .conv-row a")).await?.click().await?;
            wait_text(&ana, "body", "Ana García").await?;
            let contact = ana
            .execute(
                "return document.querySelector('a[href^=\"/contacts/\"]').getAttribute('href');",
                vec![],
            )
            .await?;
            ana.goto(&format!("{url}{}", contact.as_str().unwrap_or("/contacts")))
                .await?;
            wait_text(&ana, "#download-conversations", "Download conversations").await?;
            shot(&ana, 1280, "demo-contact-1280").await?;
            shot(&ana, 390, "demo-contact-390").await?;

            // An agent signs in with the same printed password and has work of their own.
            let luis = b.open().await?;
            luis.goto(&format!("{url}/login")).await?;
            sign_in(&luis, "luis@demo.example", &password).await?;
            luis.goto(&format!("{url}/?view=all")).await?;
            wait_text(&luis, ".sidebar .me", "Luis Fernández").await?;
            let start = std::time::Instant::now();
            while rows(&luis).await? == 0 && start.elapsed() < Duration::from_secs(15) {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(rows(&luis).await? > 0, "the agent sees conversations");
            Ok(())
        },
    )
    .await;
    drop(server);
}
