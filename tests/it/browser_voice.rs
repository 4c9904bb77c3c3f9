//! Voice notes in a real browser, recorded from Chromium's fake microphone: the timer
//! runs, the recorder stops by itself at its limit, the agent plays it back, deletes
//! it, records again and adds it to the message; what reaches the upload code is an
//! Opus recording that the browser itself decodes to the length recorded.

use super::browser::{css, sign_in, with_browsers};
use super::browser_i18n::shot;
use super::browser_inbox::{click, js, open_inbox, wait_js};
use super::common::*;
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

/// Keeps what the recorder hands to the upload code, decoded by the browser.
const CATCH: &str = "window.__voice = []; \
    document.addEventListener('charla:attach', function (e) { \
      const f = e.detail.file, got = { name: f.name, type: f.type, size: f.size, voice: e.detail.voice }; \
      window.__voice.push(got); \
      f.arrayBuffer().then(b => new OfflineAudioContext(1, 48000, 48000).decodeAudioData(b)) \
        .then(a => { got.seconds = a.duration; }, err => { got.error = String(err); }); \
    }); return true;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_voice_note_is_recorded_played_back_and_added() {
    let app = TestApp::start().await;
    let http = app.admin().await;
    let api = Api::for_client(&http).await;
    let (_, me) = api.get("/api/v1/me").await;
    let admin = me["id"].as_u64().unwrap();
    let (inbox, token) = api.inbox("Pedidos", &[admin], None).await;
    let (s, v) = incoming(
        &app.url,
        inbox,
        &token,
        json!({"contact": {"identifier": "ana-1", "name": "Ana Pérez"}, "content": "¿Me mandas un audio?"}),
    )
    .await;
    assert!(s.is_success(), "{v}");
    let conv = v["conversation_id"].as_u64().unwrap();
    let url = app.url.clone();
    with_browsers("browser_voice_note_is_recorded_played_back_and_added", |b| async move {
        let c = b.open_with_microphone().await?;
        c.goto(&format!("{url}/login")).await?;
        sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        open_inbox(&c, &url, &format!("/conversations/{conv}")).await?;
        wait_js(&c, "the pane", "document.querySelector('#pane .conv')", WAIT).await?;
        js(&c, CATCH).await?;

        // Record: the button shows it is on, the timer runs.
        click(&c, "#voice-record").await?;
        wait_js(&c, "the recorder", "document.querySelector('#voice-panel.voice-recording')", WAIT).await?;
        assert_eq!(
            c.find(css("#voice-record")).await?.attr("aria-pressed").await?.as_deref(),
            Some("true")
        );
        wait_js(
            &c,
            "the timer to pass a second",
            "/^0:0[1-9] \\/ 5:00$/.test(document.querySelector('#voice-time').textContent)",
            WAIT,
        )
        .await?;
        click(&c, "#voice-panel .voice-stop").await?;
        wait_js(&c, "the playback", "document.querySelector('#voice-panel audio.voice-preview')", WAIT).await?;
        // The preview plays what was recorded.
        wait_js(
            &c,
            "the preview's length",
            "document.querySelector('#voice-panel audio').readyState >= 1",
            WAIT,
        )
        .await?;

        // How it looks, wide and on a phone (the conversation's column on a phone).
        shot(&c, 1280, 900, "composer-voice").await?;
        shot(&c, 390, 844, "composer-voice-phone").await?;
        c.set_window_size(1280, 900).await?;

        // Delete it: nothing is handed over, the microphone button has the focus back.
        click(&c, "#voice-panel .voice-delete").await?;
        wait_js(&c, "the panel to go", "!document.querySelector('#voice-panel')", WAIT).await?;
        assert_eq!(js(&c, "return document.activeElement.id;").await?, json!("voice-record"));
        assert_eq!(js(&c, "return window.__voice.length;").await?, json!(0));
        assert_eq!(
            js(&c, "return document.querySelector('#voice-status').textContent;").await?,
            json!("Voice note deleted.")
        );

        // Record again, this time until the limit stops it (shortened to 1.5 s here;
        // the page says 5:00).
        js(
            &c,
            "document.querySelector('#composer').setAttribute('data-voice-limit-ms', '1500'); return 1;",
        )
        .await?;
        click(&c, "#voice-record").await?;
        wait_js(&c, "the recorder", "document.querySelector('#voice-panel.voice-recording')", WAIT).await?;
        wait_js(
            &c,
            "the recorder to stop by itself",
            "document.querySelector('#voice-panel.voice-ready')",
            WAIT,
        )
        .await?;
        assert_eq!(
            c.find(css("#voice-record")).await?.attr("aria-pressed").await?.as_deref(),
            Some("false")
        );
        click(&c, "#voice-panel .voice-add").await?;
        wait_js(&c, "the decoded voice note", "window.__voice.length === 1 && (window.__voice[0].seconds || window.__voice[0].error)", WAIT).await?;
        let got = js(&c, "return window.__voice[0];").await?;
        assert_eq!(got["name"], json!("voice-note.webm"), "{got}");
        assert_eq!(got["type"], json!("audio/webm"), "{got}");
        assert_eq!(got["voice"], json!(true), "{got}");
        assert!(got["error"].is_null(), "{got}");
        let seconds = got["seconds"].as_f64().unwrap();
        assert!((1.2..2.5).contains(&seconds), "recorded {seconds} s of a 1.5 s limit");
        assert!(
            js(&c, "return !document.querySelector('#voice-panel');").await? == json!(true),
            "the panel closes once the note is added"
        );

        // It uploads like any file, and goes out with the message (a note here: every
        // channel carries files in notes).
        wait_js(
            &c,
            "the voice note uploaded",
            "document.querySelector('#composer-attachments').value.includes('\"id\"')",
            WAIT,
        )
        .await?;
        click(&c, "#composer .tab-note").await?;
        click(&c, "#send").await?;
        let mut sent = serde_json::Value::Null;
        for _ in 0..100 {
            let (_, v) = api.get(&format!("/api/v1/conversations/{conv}")).await;
            let found = v["messages"].as_array().and_then(|ms| {
                ms.iter()
                    .find(|m| m["attachments"].as_array().is_some_and(|a| !a.is_empty()))
                    .cloned()
            });
            if let Some(m) = found {
                sent = m;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let file = &sent["attachments"][0];
        assert_eq!(file["voice"], json!(true), "{sent}");
        // Kept as Ogg/Opus, remuxed from the browser's WebM without re-encoding.
        assert_eq!(file["mime"], json!("audio/ogg"), "{sent}");
        assert_eq!(file["filename"], json!("voice-note.ogg"), "{sent}");
        let mid = sent["id"].as_u64().unwrap();
        let bytes = http
            .get(&format!("/conversations/{conv}/messages/{mid}/attachments/0"))
            .await
            .bytes()
            .await?;
        assert!(bytes.starts_with(b"OggS"), "an Ogg file");
        assert_eq!(bytes.len() as u64, file["size"].as_u64().unwrap());
        // The timeline plays it inline.
        wait_js(
            &c,
            "the voice note in the timeline",
            "document.querySelector('#timeline audio')",
            WAIT,
        )
        .await?;
        Ok(())
    })
    .await;
}
