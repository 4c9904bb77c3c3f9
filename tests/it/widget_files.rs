//! Files in the website chat (issue 13, part 3), over the real WebSocket and HTTP: an
//! agent's image and PDF reach the widget and only their visitor downloads them (bytes
//! equal, safe headers); a visitor's PNG reaches the agents' timeline and downloads the
//! same; a disguised program, an oversize file and the hourly limit are refused clearly
//! with nothing kept; the inbox's setting turns visitor files off.

use super::common::*;
use super::widget::{SITE, connect, connect_with, hello, recv_type, send, website_inbox};
use charla::domain::conversation::ConversationId;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
];
/// A Windows program's first bytes.
const EXE: &[u8] = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0\xb8\0\0\0\0\0\0\0@\0";

fn part(boundary: &str, name: &str, file: Option<(&str, &str)>, bytes: &[u8]) -> Vec<u8> {
    let mut b =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").into_bytes();
    if let Some((f, mime)) = file {
        b.extend_from_slice(format!("; filename=\"{f}\"\r\nContent-Type: {mime}").as_bytes());
    }
    b.extend_from_slice(b"\r\n\r\n");
    b.extend_from_slice(bytes);
    b.extend_from_slice(b"\r\n");
    b
}

/// The visitor's upload, as the widget makes it (from the site, in `lang`).
async fn visitor_upload(
    app: &TestApp,
    key: &str,
    session: &str,
    name: &str,
    bytes: &[u8],
    lang: &str,
) -> (StatusCode, Value) {
    let boundary = "widget-boundary-93";
    let mut body = part(boundary, "file", Some((name, "image/png")), bytes);
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let r = reqwest::Client::new()
        .post(format!("{}/widget/v1/{key}/uploads?s={session}", app.url))
        .header("origin", SITE)
        .header("accept-language", lang)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    assert_eq!(
        r.headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap()),
        Some(SITE),
        "the widget may read the answer"
    );
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn download(app: &TestApp, url: &str, session: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}{url}?s={session}", app.url))
        .send()
        .await
        .unwrap()
}

/// The conversation of the website inbox's only visitor.
async fn only_conversation(api: &Api) -> u64 {
    let (_, list) = api.get("/api/v1/conversations?view=all").await;
    list["conversations"][0]["id"]
        .as_u64()
        .expect("a conversation")
}

fn footprint(app: &TestApp, conv: u64) -> (usize, usize) {
    app.services()
        .store
        .upload_footprint(ConversationId(conv))
        .unwrap()
}

#[actix_web::test]
async fn an_agents_files_reach_the_widget_and_only_their_visitor_downloads_them() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (_, key) = website_inbox(&app).await;
    let mut ws = connect(&app, &key, SITE).await.unwrap();
    let w = hello(&mut ws, None, None, Value::Null).await;
    let token = w["token"].as_str().unwrap().to_string();
    let session = w["session"].as_str().unwrap().to_string();
    assert_eq!(w["files"]["on"], true, "{w}");
    assert_eq!(w["files"]["max_bytes"], 10_000_000);
    send(
        &mut ws,
        json!({"type": "send", "client_id": "c-1", "content": "¿Me mandas la factura?"}),
    )
    .await;
    recv_type(&mut ws, "ack").await;
    let conv = only_conversation(&api).await;

    // The agent answers with an image and a PDF (the API's multipart, the composer's path).
    let boundary = "agent-boundary-17";
    let mut body = part(boundary, "content", None, "Aquí la tienes".as_bytes());
    body.extend(part(
        boundary,
        "files",
        Some(("foto.png", "image/png")),
        PNG,
    ));
    body.extend(part(
        boundary,
        "files",
        Some(("factura.pdf", "application/pdf")),
        PDF,
    ));
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let r = api
        .http
        .post(format!("{}/api/v1/conversations/{conv}/messages", api.base))
        .bearer_auth(&api.token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    // A note's file never reaches the widget.
    let mut body = part(boundary, "private", None, b"true");
    body.extend(part(
        boundary,
        "files",
        Some(("internal.pdf", "application/pdf")),
        PDF,
    ));
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let r = api
        .http
        .post(format!("{}/api/v1/conversations/{conv}/messages", api.base))
        .bearer_auth(&api.token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let note_id = r.json::<Value>().await.unwrap()["id"].as_u64().unwrap();

    let m = recv_type(&mut ws, "message").await;
    let files = m["message"]["files"].as_array().unwrap().clone();
    assert_eq!(m["message"]["content"], "Aquí la tienes");
    assert_eq!(files.len(), 2, "{m}");
    assert_eq!(
        (files[0]["name"].as_str(), files[0]["kind"].as_str()),
        (Some("foto.png"), Some("image"))
    );
    assert_eq!(
        (files[1]["name"].as_str(), files[1]["kind"].as_str()),
        (Some("factura.pdf"), Some("file"))
    );
    assert_eq!(files[1]["size"], PDF.len());
    let (img_url, pdf_url) = (
        files[0]["url"].as_str().unwrap().to_string(),
        files[1]["url"].as_str().unwrap().to_string(),
    );
    assert!(img_url.starts_with(&format!("/widget/v1/{key}/files/")));

    // The visitor downloads both: same bytes, the agents' safe headers, embeddable.
    let r = download(&app, &img_url, &session).await;
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline;")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(h["cross-origin-resource-policy"], "cross-origin");
    assert_eq!(&r.bytes().await.unwrap()[..], PNG);
    let r = download(&app, &pdf_url, &session).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"factura.pdf\"")
    );
    assert_eq!(&r.bytes().await.unwrap()[..], PDF);

    // Another visitor (their own valid session), a wrong key, a forged or missing
    // session: nothing.
    let mut other = connect(&app, &key, SITE).await.unwrap();
    let ow = hello(&mut other, None, None, Value::Null).await;
    let other_session = ow["session"].as_str().unwrap();
    assert_ne!(other_session, session);
    let r = download(&app, &img_url, other_session).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let wrong_key = img_url.replace(&key, &"0".repeat(32));
    let r = download(&app, &wrong_key, &session).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (_, key2) = {
        let (s, v) = api
            .post(
                "/api/v1/inboxes",
                json!({"name": "Other site", "channel": "website", "website": {"allowed_origins": [SITE]}}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let snippet = v["snippet"].as_str().unwrap().to_string();
        let k = snippet
            .split("data-charla-inbox=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap()
            .to_string();
        (v, k)
    };
    let r = download(&app, &img_url.replace(&key, &key2), &session).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "another inbox's key");
    let r = download(&app, &img_url, "v1:forged").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = download(&app, &img_url, "").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // History re-sent on reconnect carries the files; the note's never shows.
    drop(ws);
    let mut again = connect(&app, &key, SITE).await.unwrap();
    let w = hello(&mut again, Some(&token), None, Value::Null).await;
    let text = w["messages"].to_string();
    assert!(
        text.contains("factura.pdf") && text.contains("foto.png"),
        "{text}"
    );
    assert!(!text.contains("internal.pdf"), "{text}");
    let new_session = w["session"].as_str().unwrap();
    let r = download(&app, &pdf_url, new_session).await;
    assert_eq!(&r.bytes().await.unwrap()[..], PDF);
    // The note's file is not the visitor's to fetch, whatever URL they try: its
    // reference is sealed, so a guessed one is no file.
    let (_, page) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    assert!(page.to_string().contains(&note_id.to_string()));
    let r = download(
        &app,
        &format!("/widget/v1/{key}/files/wf:{conv}:{note_id}:0"),
        new_session,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[actix_web::test]
async fn a_visitors_png_reaches_the_agents_timeline_and_bad_files_keep_nothing() {
    let app = TestApp::start_with(|c| {
        c.widget.max_upload_bytes = charla::config::ByteSize(2_000);
        c.widget.files_per_hour_per_visitor = 4;
    })
    .await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (_, key) = website_inbox(&app).await;
    let mut ws = connect(&app, &key, SITE).await.unwrap();
    let w = hello(&mut ws, None, None, Value::Null).await;
    let session = w["session"].as_str().unwrap().to_string();
    assert_eq!(w["files"]["max_bytes"], 2_000);

    // A file first, before any message: it waits for the message that creates the
    // conversation.
    let (s, up) = visitor_upload(&app, &key, &session, "captura.png", PNG, "en").await;
    assert_eq!(s, StatusCode::CREATED, "{up}");
    assert_eq!(
        (up["mime"].as_str(), up["kind"].as_str()),
        (Some("image/png"), Some("image"))
    );
    // The visitor's upload id is no agent's upload id (it is sealed for this visitor).
    assert!(up["id"].as_str().unwrap().len() > 40);
    send(
        &mut ws,
        json!({"type": "send", "client_id": "f-1", "content": "", "files": [up["id"]]}),
    )
    .await;
    let ack = recv_type(&mut ws, "ack").await;
    assert_eq!(ack["message"]["files"][0]["name"], "captura.png", "{ack}");
    let conv = only_conversation(&api).await;

    // The agents' timeline shows it; the agent downloads the same bytes.
    let (_, page) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    let msg = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["direction"] == "inbound")
        .unwrap()
        .clone();
    assert_eq!(msg["attachments"][0]["filename"], "captura.png", "{msg}");
    assert_eq!(msg["attachments"][0]["mime"], "image/png");
    let mid = msg["id"].as_u64().unwrap();
    let r = admin
        .get(&format!(
            "/conversations/{conv}/messages/{mid}/attachments/0"
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(&r.bytes().await.unwrap()[..], PNG);
    let (_, html) = admin.get_text(&format!("/conversations/{conv}")).await;
    assert!(
        html.contains(&format!(
            "/conversations/{conv}/messages/{mid}/attachments/0"
        )),
        "the timeline shows the image"
    );
    // The visitor downloads their own file too.
    let url = ack["message"]["files"][0]["url"].as_str().unwrap();
    let r = download(&app, url, &session).await;
    assert_eq!(&r.bytes().await.unwrap()[..], PNG);
    // Sent once: the same upload cannot go again.
    send(
        &mut ws,
        json!({"type": "send", "client_id": "f-2", "content": "again", "files": [up["id"]]}),
    )
    .await;
    let e = recv_type(&mut ws, "error").await;
    assert_eq!(e["client_id"], "f-2");
    assert_eq!(footprint(&app, conv), (1, 1));

    // A program renamed .png: refused from its content, in Spanish, nothing kept.
    let (s, v) = visitor_upload(&app, &key, &session, "foto.png", EXE, "es-ES").await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{v}");
    let err = v["error"].as_str().unwrap();
    assert!(
        err.contains("foto.png") && err.contains("No se puede enviar"),
        "{err}"
    );
    assert_eq!(footprint(&app, conv), (1, 1));
    // Over the widget's limit: refused once past it, nothing kept.
    let big: Vec<u8> = PNG
        .iter()
        .copied()
        .chain(std::iter::repeat_n(0u8, 3_000))
        .collect();
    let (s, v) = visitor_upload(&app, &key, &session, "grande.png", &big, "en").await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert!(v["error"].as_str().unwrap().contains("grande.png"), "{v}");
    assert_eq!(footprint(&app, conv), (1, 1));
    // Four files an hour: the fourth went through above (1 sent, 2 refused), the fifth
    // is refused with the wait.
    let (s, _) = visitor_upload(&app, &key, &session, "b.png", PNG, "en").await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(footprint(&app, conv), (2, 2));
    let (s, v) = visitor_upload(&app, &key, &session, "c.png", PNG, "en").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .starts_with("Too many files; try again in"),
        "{v}"
    );
    assert_eq!(footprint(&app, conv), (2, 2), "nothing of it kept");

    // Another visitor cannot send this visitor's upload, nor upload without a session.
    let mut other = connect(&app, &key, SITE).await.unwrap();
    hello(&mut other, None, None, Value::Null).await;
    send(
        &mut other,
        json!({"type": "send", "client_id": "x-1", "content": "mine", "files": [up["id"]]}),
    )
    .await;
    let e = recv_type(&mut other, "error").await;
    assert_eq!(e["client_id"], "x-1");
    let (s, _) = visitor_upload(&app, &key, "v1:nope", "d.png", PNG, "en").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // From a site that is not allowed: refused before anything is read.
    let r = reqwest::Client::new()
        .post(format!("{}/widget/v1/{key}/uploads?s={session}", app.url))
        .header("origin", "https://evil.example")
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x--\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

#[actix_web::test]
async fn the_website_inbox_may_turn_visitor_files_off() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (inbox, key) = website_inbox(&app).await;
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/inboxes/{}", inbox.0),
            Some(json!({"website": {"visitor_files": false}})),
        )
        .await;
    assert!(s.is_success(), "{s} {v}");
    assert_eq!(v["website"]["visitor_files"], false, "{v}");
    let mut ws = connect_with(&app, &key, SITE, &[("Accept-Language", "es")])
        .await
        .unwrap();
    let w = hello(&mut ws, None, None, Value::Null).await;
    assert_eq!(w["files"]["on"], false);
    let session = w["session"].as_str().unwrap().to_string();
    let (s, v) = visitor_upload(&app, &key, &session, "a.png", PNG, "es").await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(
        v["error"],
        "Este chat no admite archivos. No se ha enviado nada."
    );
    let r = reqwest::Client::new()
        .get(format!("{}/widget/v1/{key}/config", app.url))
        .header("origin", SITE)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["files"]["on"], false);
    app.stop().await;
}
