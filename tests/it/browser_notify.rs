//! Notifications in a real browser: the agent allows desktop notifications from the
//! profile (the browser's permission is asked only when they click), a new chat comes
//! in while they are in another window, and the tab's title counts it, its icon gets a
//! badge and a desktop notification shows the contact and the text; clicking it opens
//! the conversation. Screenshots of the profile's settings go to
//! `docs/screenshots/profile-notifications.png` and `profile-notifications-phone.png`.

use super::browser::{css, sign_in, submit, wait_path, wait_text, with_browsers};
use super::browser_i18n::shot;
use super::browser_inbox::{js, wait_js, wait_live};
use super::common::*;
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

/// Records desktop notifications instead of showing them, and makes the page believe
/// the agent is in another window.
const ELSEWHERE: &str = "window.__notes = []; \
    const Real = window.Notification; \
    window.Notification = function (title, opts) { \
      const n = { title: title, body: opts.body, tag: opts.tag, close: function () {} }; \
      window.__notes.push(n); return n; }; \
    window.Notification.permission = Real.permission; \
    document.hasFocus = function () { return false; }; \
    return Real.permission;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_desktop_notification_on_a_new_chat() {
    let app = TestApp::start().await;
    let http = app.admin().await;
    let api = Api::for_client(&http).await;
    let (_, me) = api.get("/api/v1/me").await;
    let admin = me["id"].as_u64().unwrap();
    let (inbox, token) = api.inbox("Tienda online", &[admin], None).await;
    let url = app.url.clone();
    with_browsers("browser_desktop_notification_on_a_new_chat", |b| async move {
        let c = b.open().await?;
        c.goto(&format!("{url}/login")).await?;
        sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;

        // The profile: every kind on, sound and desktop off, the browser not asked yet.
        c.goto(&format!("{url}/profile")).await?;
        wait_path(&c, "/profile").await?;
        let ticked = js(
            &c,
            "return ['conversations','assigned','mentions','sound','desktop'].map(n => \
               document.querySelector('#notify-form input[name=' + n + ']').checked);",
        )
        .await?;
        assert_eq!(ticked, json!([true, true, true, false, false]));
        assert_eq!(
            js(&c, "return Notification.permission;").await?,
            json!("default"),
            "loading the profile does not ask"
        );
        wait_text(&c, "#notify-permission-text", "has not been allowed").await?;
        // The agent answers "Allow" when the browser asks; the button asks, then turns
        // desktop notifications on and saves.
        b.grant_notifications(&c, &url).await?;
        c.find(css("#notify-enable")).await?.click().await?;
        wait_text(&c, ".flash", "Notifications saved.").await?;
        assert_eq!(
            js(&c, "return document.querySelector('#notify-desktop').checked;").await?,
            json!(true)
        );
        wait_text(&c, "#notify-permission-text", "may show notifications").await?;
        assert_eq!(
            js(&c, "return document.querySelector('#notify-enable').hidden;").await?,
            json!(true)
        );
        js(
            &c,
            "document.querySelector('#notify-form input[name=sound]').checked = true; return null;",
        )
        .await?;
        c.find(css(r#"#notify-form button[type="submit"]"#))
            .await?
            .click()
            .await?;
        wait_text(&c, ".flash", "Notifications saved.").await?;
        assert_eq!(
            js(&c, "return getComputedStyle(document.querySelector('#notify-enable')).display;")
                .await?,
            json!("none"),
            "allowed and on: no button"
        );
        for (w, h, name) in [
            (1280, 900, "profile-notifications"),
            (390, 844, "profile-notifications-phone"),
        ] {
            c.set_window_size(w, h).await?;
            js(
                &c,
                "document.getElementById('notifications').scrollIntoView(); return null;",
            )
            .await?;
            shot(&c, w, h, name).await?;
        }
        c.set_window_size(1280, 900).await?;

        // The inbox, then away to another window.
        c.goto(&format!("{url}/")).await?;
        wait_live(&c).await?;
        assert_eq!(js(&c, ELSEWHERE).await?, json!("granted"));
        let title = js(&c, "return document.title;").await?;
        let (s, v) = incoming(
            &url,
            inbox,
            &token,
            json!({"contact": {"identifier": "lucia", "name": "Lucía Fernández"},
                   "content": "Hola, ¿<b>dónde</b> está mi pedido 4512?"}),
        )
        .await;
        assert_eq!(s, reqwest::StatusCode::OK, "{v}");
        let conv = v["conversation_id"].as_u64().unwrap();
        wait_js(&c, "a desktop notification", "window.__notes.length === 1", WAIT).await?;
        assert_eq!(
            js(&c, "const n = window.__notes[0]; return [n.title, n.body, n.tag];").await?,
            json!([
                "New conversation · Lucía Fernández",
                "Hola, ¿<b>dónde</b> está mi pedido 4512?",
                format!("charla-{conv}")
            ]),
            "the customer's text as text"
        );
        assert_eq!(
            js(&c, "return document.title;").await?,
            json!(format!("(1) {}", title.as_str().unwrap()))
        );
        wait_js(
            &c,
            "a badge on the tab's icon",
            "document.querySelector('link[rel=icon]').href.startsWith('data:image/png')",
            WAIT,
        )
        .await?;
        // A second chat: two conversations waiting.
        let (s, v) = incoming(
            &url,
            inbox,
            &token,
            json!({"contact": {"identifier": "jorge", "name": "Jorge Martínez"},
                   "content": "¿Tenéis la talla M?"}),
        )
        .await;
        assert_eq!(s, reqwest::StatusCode::OK, "{v}");
        wait_js(&c, "two in the title", "document.title.startsWith('(2) ')", WAIT).await?;
        assert_eq!(
            js(&c, "return window.__notes.length;").await?,
            json!(2)
        );

        // Clicking the first notification opens its conversation, which is no longer
        // counted.
        js(&c, "window.__notes[0].onclick(); return null;").await?;
        wait_path(&c, &format!("/conversations/{conv}")).await?;
        wait_live(&c).await?;
        let unread = js(
            &c,
            "return JSON.parse(sessionStorage.getItem('charla-notify-unread') || '[]');",
        )
        .await?;
        assert!(
            !unread.as_array().unwrap().contains(&json!(conv)),
            "{unread}"
        );
        // Back in the window: nothing counted any more.
        js(&c, "window.dispatchEvent(new Event('focus')); return null;").await?;
        wait_js(
            &c,
            "the count cleared",
            "!/^\\(\\d/.test(document.title) && !document.querySelector('link[rel=icon]').href.startsWith('data:')",
            WAIT,
        )
        .await?;

        // In Spanish, the notification speaks Spanish (the contact's words stay theirs).
        c.goto(&format!("{url}/profile")).await?;
        wait_path(&c, "/profile").await?;
        c.find(css(r#"form[action="/profile/preferences"] select[name="language"]"#))
            .await?
            .select_by_value("es")
            .await?;
        submit(&c, "/profile/preferences").await?;
        wait_text(&c, ".flash", "Idioma y zona horaria guardados.").await?;
        wait_text(&c, "#notifications h2", "Notificaciones").await?;
        c.goto(&format!("{url}/")).await?;
        wait_live(&c).await?;
        js(&c, ELSEWHERE).await?;
        let (s, v) = incoming(
            &url,
            inbox,
            &token,
            json!({"contact": {"identifier": "carmen", "name": "Carmen Ruiz"},
                   "content": "Quiero cambiar la dirección"}),
        )
        .await;
        assert_eq!(s, reqwest::StatusCode::OK, "{v}");
        wait_js(&c, "a notification in Spanish", "window.__notes.length === 1", WAIT).await?;
        assert_eq!(
            js(&c, "return window.__notes[0].title;").await?,
            json!("Conversación nueva · Carmen Ruiz")
        );
        wait_js(&c, "the count", "document.title.startsWith('(1) ')", WAIT).await?;
        Ok(())
    })
    .await;
    app.stop().await;
}
