//! Attachments in a real browser (issue 13, part 3): a PDF dropped onto the conversation
//! and an image pasted into the composer upload with progress, show as an icon and a
//! thumbnail, and go with the message; a 31 MB file is refused before it uploads.
//! `#[ignore]`d like the other browser tests; `./scripts/test` runs them.

use super::browser::{css, sign_in, with_browsers};
use super::browser_inbox::{js, open_inbox, wait_js};
use super::common::{ADMIN_EMAIL, ADMIN_PASSWORD, Api, TestApp, incoming};
use charla::domain::conversation::ConversationId;
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

/// Drops a file made in the page onto the conversation (`bytes`: a JS expression).
fn drop_file(name: &str, mime: &str, bytes: &str) -> String {
    format!(
        "const f = new File([{bytes}], {name:?}, {{type: {mime:?}}});
         const dt = new DataTransfer(); dt.items.add(f);
         const target = document.querySelector('#pane .msg') || document.getElementById('pane');
         target.dispatchEvent(new DragEvent('dragover', {{dataTransfer: dt, bubbles: true, cancelable: true}}));
         target.dispatchEvent(new DragEvent('drop', {{dataTransfer: dt, bubbles: true, cancelable: true}}));
         return true;"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver; run ./scripts/test"]
async fn browser_drop_a_pdf_paste_an_image_and_a_31_mb_file_is_refused() {
    let app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (inbox, token) = api.inbox("Shop API", &[], None).await;
    let (_, v) = incoming(
        &api.base,
        inbox,
        &token,
        json!({"contact": {"identifier": "c-1", "name": "Marta"}, "content": "Can you send the invoice?"}),
    )
    .await;
    let conv = v["conversation_id"].as_u64().unwrap();
    let url = app.url.clone();
    let services = app.services();
    with_browsers("browser_uploads", |b| async move {
        let c = b.open().await?;
        c.goto(&format!("{url}/login")).await?;
        sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        open_inbox(&c, &url, &format!("/conversations/{conv}")).await?;

        // Drag and drop a PDF onto the conversation.
        js(&c, &drop_file("factura.pdf", "application/pdf", "'%PDF-1.4\\n%%EOF\\n'")).await?;
        wait_js(&c, "the PDF uploaded", "JSON.parse(document.getElementById('composer-attachments').value || '[]').length === 1", WAIT).await?;
        // Paste an image into the composer.
        js(
            &c,
            "const png = Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='), ch => ch.charCodeAt(0));
             const dt = new DataTransfer(); dt.items.add(new File([png], 'image.png', {type: 'image/png'}));
             const box = document.getElementById('composer-text'); box.focus();
             box.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true}));
             return true;",
        )
        .await?;
        wait_js(&c, "the image uploaded", "JSON.parse(document.getElementById('composer-attachments').value || '[]').length === 2", WAIT).await?;
        assert_eq!(c.find_all(css("#upload-list .upload-thumb")).await?.len(), 1, "a thumbnail for the image");
        assert_eq!(c.find_all(css("#upload-list .upload-icon")).await?.len(), 1, "an icon for the PDF");
        c.find(css("#upload-list .upload-caption")).await?.send_keys("Your invoice").await?;

        // A 31 MB file: refused here, never uploaded.
        js(&c, &drop_file("video.pdf", "application/pdf", "new Uint8Array(31000000)")).await?;
        wait_js(&c, "the refusal", "!document.getElementById('upload-error').hidden", WAIT).await?;
        let said = js(&c, "return document.getElementById('upload-error').textContent").await?;
        assert!(said.as_str().unwrap().contains("too large to upload. Up to 30 MB per file"), "{said}");
        assert_eq!(c.find_all(css("#upload-list .upload")).await?.len(), 2);
        assert_eq!(services.store.upload_footprint(ConversationId(conv)).unwrap().1, 2);
        for (w, name) in [(1280, "composer-attachments"), (390, "composer-attachments-phone")] {
            c.set_window_size(w, 900).await?;
            std::fs::write(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("docs/screenshots/{name}.png")),
                c.screenshot().await?,
            )?;
        }

        // Send with the text empty: files only.
        c.find(css("#send")).await?.click().await?;
        wait_js(&c, "the files in the timeline", "document.querySelectorAll('#pane .attachments .attachment').length === 2", WAIT).await?;
        let page = js(&c, "return document.getElementById('pane').textContent").await?;
        assert!(page.as_str().unwrap().contains("factura.pdf"));
        assert!(page.as_str().unwrap().contains("Your invoice"));
        wait_js(&c, "an empty composer", "document.querySelectorAll('#upload-list .upload').length === 0", WAIT).await?;
        Ok(())
    })
    .await;
    app.stop().await;
}
