//! Files in the website chat in real browsers: on a customer's page (another origin) a
//! visitor drops an image on the widget and sends it; the agent sees it in the timeline;
//! the agent's image shows inline in the widget and a PDF as a download card; a
//! disguised program is refused in the widget. Screenshots at 1280 and 390 px.

use super::browser::{Result, axe, sign_in, with_browsers};
use super::browser_inbox::{LIVE, js, lit, open_inbox, open_row, some_contains, wait_js};
use super::browser_widget::{SR, customer_site, widget_send};
use super::common::*;
use charla::service::InboxInput;
use charla::service::website::WebsiteInput;
use fantoccini::Client;
use reqwest::StatusCode;
use serde_json::json;
use std::sync::{Arc, Mutex};

const BOOT: &[u8] = include_bytes!("../fixtures/images/boot.png");
const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// Drops a file made in the page (`name`, bytes from the script `bytes`, a JS expression
/// giving a Uint8Array) on the widget's panel, as a person dragging it from their files.
async fn drop_file(c: &Client, name: &str, mime: &str, bytes: &str) -> Result {
    js(
        c,
        &format!(
            "const bytes = {bytes}; const f = new File([bytes], {}, {{type: {}}}); \
             const dt = new DataTransfer(); dt.items.add(f); \
             const p = {SR}.querySelector('.panel'); \
             p.dispatchEvent(new DragEvent('dragenter', {{dataTransfer: dt, bubbles: true, cancelable: true}})); \
             p.dispatchEvent(new DragEvent('drop', {{dataTransfer: dt, bubbles: true, cancelable: true}})); return null;",
            lit(name),
            lit(mime)
        ),
    )
    .await?;
    Ok(())
}

/// JS: a photo drawn on a canvas, as PNG bytes.
const PHOTO: &str = "(() => { const c = document.createElement('canvas'); c.width = 240; c.height = 160; \
    const g = c.getContext('2d'); g.fillStyle = '#fde68a'; g.fillRect(0, 0, 240, 160); \
    g.fillStyle = '#1e3a8a'; g.beginPath(); g.arc(120, 80, 52, 0, 7); g.fill(); \
    g.fillStyle = '#fff'; g.font = 'bold 22px sans-serif'; g.fillText('38', 106, 88); \
    const b = atob(c.toDataURL('image/png').split(',')[1]); \
    return Uint8Array.from(b, ch => ch.charCodeAt(0)); })()";

/// JS: whether the image matching `selector` (in `root`) has loaded and shows pixels.
fn loaded(root: &str, selector: &str) -> String {
    format!(
        "(() => {{ const i = {root}.querySelector({}); return !!i && i.complete && i.naturalWidth > 0; }})()",
        lit(selector)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_widget_files_both_ways() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let site_key = Arc::new(Mutex::new(String::new()));
    let origin = customer_site(app.url.clone(), site_key.clone()).await;
    let services = app.services();
    let me = services.store.agent_by_email(ADMIN_EMAIL).unwrap().unwrap();
    let (inbox, _) = services
        .save_inbox(
            &me,
            None,
            InboxInput {
                messaging: None,
                language: None,
                name: "Zapatería Lucía".into(),
                channel: Some(charla::domain::ChannelKind::Website),
                members: vec![me.id],
                webhook_url: None,
                email: None,
                website: Some(WebsiteInput {
                    allowed_origins: Some(vec![origin.clone()]),
                    greeting: Some("Hi! How can we help?".into()),
                    color: Some("#0f766e".into()),
                    ..WebsiteInput::default()
                }),
            },
        )
        .await
        .unwrap();
    *site_key.lock().unwrap() = inbox.website.unwrap().key;
    let url = app.url.clone();
    let api = &api;
    with_browsers("browser_widget_files", |b| async move {
        let visitor = b.open().await?;
        let ana = b.open().await?;
        ana.goto(&format!("{url}/login")).await?;
        sign_in(&ana, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        open_inbox(&ana, &url, "/?view=all").await?;

        // The visitor opens the chat on the shop's page and drops a photo on it.
        visitor.goto(&format!("{origin}/")).await?;
        wait_js(&visitor, "the launcher", &format!("{SR}.querySelector('.launcher') && !{SR}.querySelector('.root').hidden"), LIVE).await?;
        js(&visitor, &format!("{SR}.querySelector('.launcher').click(); return null;")).await?;
        wait_js(&visitor, "the paperclip", &format!("!{SR}.querySelector('.attach').hidden && !{SR}.querySelector('.attach').disabled"), LIVE).await?;
        drop_file(&visitor, "mi-talla.png", "image/png", PHOTO).await?;
        wait_js(&visitor, "the photo uploaded", &format!("{SR}.querySelector('.tray .chip:not(.up)')"), LIVE).await?;
        assert_eq!(
            js(&visitor, &format!("return {SR}.querySelector('.tray .fname').textContent;")).await?,
            json!("mi-talla.png")
        );
        // A program renamed as an image: the widget says why and nothing is attached.
        drop_file(&visitor, "oferta.png", "image/png", "new Uint8Array([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff, 0, 0])").await?;
        wait_js(&visitor, "the refusal", &format!("!{SR}.querySelector('.notice').hidden && {SR}.querySelector('.notice').textContent.includes('oferta.png cannot be sent')"), LIVE).await?;
        assert_eq!(js(&visitor, &format!("return {SR}.querySelectorAll('.tray .chip').length;")).await?, json!(1));
        widget_send(&visitor, "¿La tenéis en la 38?").await?;
        wait_js(&visitor, "the photo in the visitor's own message", &loaded(SR, ".msg.out .files img"), LIVE).await?;

        // The agent sees the message with the photo in the timeline.
        let (_, list) = api.get("/api/v1/conversations?view=all").await;
        let id = list["conversations"][0]["id"].as_u64().unwrap();
        open_row(&ana, id).await?;
        wait_js(&ana, "the visitor's text", &some_contains("#timeline .msg-in", "en la 38"), LIVE).await?;
        wait_js(&ana, "the visitor's photo", &loaded("document", "#timeline .msg-in img[src*='/attachments/0']"), LIVE).await?;

        // The agent answers with a photo and a PDF: inline image and a download card.
        let boundary = "browser-boundary-4";
        let mut body = Vec::new();
        for (name, file, bytes) in [
            ("content", None, "Sí, en marrón. Te dejo la foto y la guía de tallas.".as_bytes()),
            ("files", Some(("bota-marron.png", "image/png")), BOOT),
            ("files", Some(("guia-de-tallas.pdf", "application/pdf")), PDF),
        ] {
            body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").into_bytes());
            if let Some((f, mime)) = file {
                body.extend(format!("; filename=\"{f}\"\r\nContent-Type: {mime}").into_bytes());
            }
            body.extend_from_slice(b"\r\n\r\n");
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").into_bytes());
        let r = api
            .http
            .post(format!("{}/api/v1/conversations/{id}/messages", api.base))
            .bearer_auth(&api.token)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await?;
        assert_eq!(r.status(), StatusCode::CREATED);
        wait_js(&visitor, "the agent's photo inline in the widget", &loaded(SR, ".msg.in .files img"), LIVE).await?;
        wait_js(&visitor, "the PDF's card", &format!("{SR}.querySelector('.msg.in a.card') && {SR}.querySelector('.msg.in a.card .fname').textContent === 'guia-de-tallas.pdf'"), LIVE).await?;
        assert_eq!(
            js(&visitor, &format!("return {SR}.querySelector('.msg.in a.card').title + ' · ' + {SR}.querySelector('.msg.in a.card .fsize').textContent;")).await?,
            json!(format!("Download guia-de-tallas.pdf · {} B", PDF.len()))
        );
        // The photo is the agent's file, byte for byte, fetched with the visitor's session.
        let src = js(&visitor, &format!("return {SR}.querySelector('.msg.in .files img').src;")).await?;
        let got = reqwest::get(src.as_str().unwrap()).await?.bytes().await?;
        assert_eq!(&got[..], BOOT);
        wait_js(&ana, "the reply in the timeline", &some_contains("#timeline .msg-out", "en marrón"), LIVE).await?;
        axe(&visitor, "the widget with files", true).await?;

        // The refusal goes away by itself.
        wait_js(&visitor, "the refusal gone", &format!("{SR}.querySelector('.notice').hidden"), LIVE).await?;
        js(&visitor, &format!("{SR}.querySelector('.scroll').scrollTop = 1e6; return null;")).await?;
        if let Ok(dir) = std::env::var("CHARLA_SCREENSHOTS") {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            std::fs::write(format!("{dir}/widget-files.png"), visitor.screenshot().await?)?;
            visitor.set_window_size(390, 844).await?;
            tokio::time::sleep(std::time::Duration::from_millis(400)).await;
            js(&visitor, &format!("{SR}.querySelector('.scroll').scrollTop = 1e6; return null;")).await?;
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            std::fs::write(format!("{dir}/widget-files-390.png"), visitor.screenshot().await?)?;
            std::fs::write(format!("{dir}/widget-files-agent.png"), ana.screenshot().await?)?;
        }
        Ok(())
    })
    .await;
    app.stop().await;
}
