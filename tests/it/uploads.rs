//! Attachments from the composer (issue 13, part 3): files stream into the store as
//! they upload, their type read from their bytes, refused over the limit with nothing
//! kept, sent with a message, downloaded with headers that keep them from running, out
//! of reach for agents of other inboxes, mailed as MIME parts, removed when never sent.

use super::common::*;
use charla::domain::conversation::ConversationId;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

pub(super) const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
pub(super) const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
];

/// A `multipart/form-data` body with a `voice` field and one `file`.
pub(super) fn multipart(name: &str, mime: &str, bytes: &[u8], voice: bool) -> (String, Vec<u8>) {
    let boundary = "----charla-test-boundary-7d1f";
    let mut b = Vec::with_capacity(bytes.len() + 512);
    b.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"voice\"\r\n\r\n{}\r\n",
            if voice { "1" } else { "0" }
        )
        .as_bytes(),
    );
    b.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {mime}\r\n\r\n"
        )
        .as_bytes(),
    );
    b.extend_from_slice(bytes);
    b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), b)
}

/// Uploads a file to conversation `conv` as the composer does (CSRF header).
pub(super) async fn upload(
    web: &Client,
    conv: u64,
    name: &str,
    mime: &str,
    bytes: &[u8],
) -> (StatusCode, Value) {
    let csrf = web.csrf(&format!("/conversations/{conv}")).await;
    let (ct, body) = multipart(name, mime, bytes, false);
    let r = web
        .http
        .post(format!("{}/conversations/{conv}/uploads", web.base))
        .header("content-type", ct)
        .header("x-csrf-token", csrf)
        .header("origin", &web.base)
        .body(body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// Sends the composer's form with these files.
pub(super) async fn send(web: &Client, conv: u64, text: &str, files: Value) -> reqwest::Response {
    let csrf = web.csrf(&format!("/conversations/{conv}")).await;
    web.post(
        &format!("/conversations/{conv}/messages"),
        &[
            ("csrf", &csrf),
            ("content", text),
            ("mode", "reply"),
            ("attachments", &files.to_string()),
        ],
    )
    .await
}

/// An API inbox with one conversation from a customer; answers (inbox, conversation).
pub(super) async fn conversation(api: &Api) -> (u64, u64) {
    let (inbox, token) = api.inbox("Shop API", &[], None).await;
    let (s, v) = incoming(
        &api.base,
        inbox,
        &token,
        json!({"contact": {"identifier": "cust-1", "name": "Marta"}, "content": "Here is my question"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    (inbox, v["conversation_id"].as_u64().unwrap())
}

/// The form's answer: the pane again, or a redirect to it.
fn sent_ok(r: &reqwest::Response) -> bool {
    r.status().is_success() || r.status() == StatusCode::SEE_OTHER
}

fn footprint(app: &TestApp, conv: u64) -> (usize, usize) {
    app.services()
        .store
        .upload_footprint(ConversationId(conv))
        .unwrap()
}

#[actix_web::test]
async fn a_pdf_and_an_image_are_sent_and_downloaded_with_safe_headers() {
    let app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (_, conv) = conversation(&api).await;

    let (s, pdf) = upload(&web, conv, "factura.pdf", "application/pdf", PDF).await;
    assert_eq!(s, StatusCode::CREATED, "{pdf}");
    assert_eq!(pdf["mime"], "application/pdf");
    assert_eq!(pdf["size"], PDF.len());
    // The name says JPEG, the bytes say PNG: the bytes win.
    let (s, png) = upload(&web, conv, "photo.jpg", "image/jpeg", PNG).await;
    assert_eq!(s, StatusCode::CREATED, "{png}");
    assert_eq!(png["mime"], "image/png");
    assert_eq!(footprint(&app, conv), (2, 2));

    // Attachments only: no text.
    let files = json!([{"id": pdf["id"], "caption": "Your invoice"}, {"id": png["id"]}]);
    let r = send(&web, conv, "", files.clone()).await;
    assert!(sent_ok(&r), "{}", r.status());
    let (_, msgs) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    let list = msgs
        .as_array()
        .or_else(|| msgs["messages"].as_array())
        .unwrap()
        .clone();
    let sent = list
        .iter()
        .find(|m| m["direction"] == "outbound")
        .expect("the reply");
    assert_eq!(sent["content"], "");
    let names: Vec<&str> = sent["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["factura.pdf", "photo.jpg"]);
    let mid = sent["id"].as_u64().unwrap();

    // An upload goes with one message only.
    let r = send(&web, conv, "again", files).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let r = web
        .get(&format!(
            "/conversations/{conv}/messages/{mid}/attachments/0"
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "application/octet-stream");
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"factura.pdf\"")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(h["content-length"], PDF.len().to_string().as_str());
    assert_eq!(&r.bytes().await.unwrap()[..], PDF);
    let r = web
        .get(&format!(
            "/conversations/{conv}/messages/{mid}/attachments/1"
        ))
        .await;
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline;")
    );
    assert_eq!(&r.bytes().await.unwrap()[..], PNG);

    // The timeline shows the image, the card and the caption.
    let (_, page) = web.get_text(&format!("/conversations/{conv}")).await;
    assert!(
        page.contains(&format!(
            "/conversations/{conv}/messages/{mid}/attachments/1\" alt=\"\""
        )),
        "the thumbnail"
    );
    assert!(page.contains("att-caption\">Your invoice<"), "the caption");

    // Deleting the conversation removes its files.
    let (s, _) = api
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/conversations/{conv}"),
            None,
        )
        .await;
    assert!(s.is_success(), "{s}");
    assert_eq!(footprint(&app, conv), (0, 0));
    app.stop().await;
}

#[actix_web::test]
async fn refused_files_leave_nothing_stored() {
    let app =
        TestApp::start_with(|c| c.inbox.max_upload_bytes = charla::config::ByteSize(1_000_000))
            .await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (_, conv) = conversation(&api).await;

    // An executable with a .pdf name.
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0".to_vec();
    elf.resize(200_000, 0x90);
    let (s, v) = upload(&web, conv, "invoice.pdf", "application/pdf", &elf).await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("invoice.pdf cannot be sent"),
        "{v}"
    );
    // Text with a .pdf name, and a text file that is not UTF-8 after its first chunk.
    let (s, _) = upload(&web, conv, "notes.pdf", "application/pdf", b"just words").await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let mut text = vec![b'a'; 70_000];
    text.extend_from_slice(b"\xff\xfe");
    let (s, _) = upload(&web, conv, "notes.txt", "text/plain", &text).await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Over the limit while it streams in (the declared length is within the framing
    // allowance, so the server reads until the limit).
    let mut big = PDF.to_vec();
    big.resize(1_008_000, b' ');
    let (s, v) = upload(&web, conv, "big.pdf", "application/pdf", &big).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(
        v["error"],
        "big.pdf is larger than 1 MB, the most one file may be. Nothing of it was kept."
    );
    assert_eq!(
        footprint(&app, conv),
        (0, 0),
        "nothing of a refused upload is kept"
    );

    // Empty.
    let (s, _) = upload(&web, conv, "empty.txt", "text/plain", b"").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(footprint(&app, conv), (0, 0));

    // Without the CSRF header, or from another site.
    let (ct, body) = multipart("a.pdf", "application/pdf", PDF, false);
    let r = web
        .http
        .post(format!("{}/conversations/{conv}/uploads", web.base))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(footprint(&app, conv), (0, 0));
    app.stop().await;
}

#[actix_web::test]
async fn a_31_mb_file_is_refused_in_spanish_too() {
    let app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (_, conv) = conversation(&api).await;
    let mut big = PDF.to_vec();
    big.resize(31_000_000, b' ');
    let csrf = web.csrf(&format!("/conversations/{conv}")).await;
    let (ct, body) = multipart("video.pdf", "application/pdf", &big, false);
    let r = web
        .http
        .post(format!("{}/conversations/{conv}/uploads", web.base))
        .header("content-type", ct)
        .header("x-csrf-token", csrf)
        .header("accept-language", "es")
        .body(body)
        .send()
        .await;
    // The server may answer before it has read the body, and then close the connection.
    if let Ok(r) = r {
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let v: Value = r.json().await.unwrap();
        assert!(
            v["error"].as_str().unwrap().contains("pesa más de 30 MB"),
            "{v}"
        );
    }
    assert_eq!(footprint(&app, conv), (0, 0));
    app.stop().await;
}

#[actix_web::test]
async fn agents_of_another_inbox_get_404_for_uploads_and_downloads() {
    let app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (_, conv) = conversation(&api).await;
    let (s, pdf) = upload(&web, conv, "private.pdf", "application/pdf", PDF).await;
    assert_eq!(s, StatusCode::CREATED);
    let r = send(&web, conv, "the file", json!([{"id": pdf["id"]}])).await;
    assert!(sent_ok(&r), "{}", r.status());
    let (_, msgs) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    let list = msgs
        .as_array()
        .or_else(|| msgs["messages"].as_array())
        .unwrap()
        .clone();
    let mid = list.iter().find(|m| m["direction"] == "outbound").unwrap()["id"]
        .as_u64()
        .unwrap();

    let other = api
        .agent("Otro", "otro@example.com", "agent", "a long password 123")
        .await;
    let (_, _) = api.inbox("Other inbox", &[other], None).await;
    let them = app.client();
    let r = them.login("otro@example.com", "a long password 123").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = them
        .get(&format!(
            "/conversations/{conv}/messages/{mid}/attachments/0"
        ))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Their own page's token, sent to a conversation they cannot see.
    let csrf = them.csrf("/").await;
    let (ct, body) = multipart("x.pdf", "application/pdf", PDF, false);
    let r = them
        .http
        .post(format!("{}/conversations/{conv}/uploads", them.base))
        .header("content-type", ct)
        .header("x-csrf-token", csrf)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(footprint(&app, conv), (1, 1));
    app.stop().await;
}

#[actix_web::test]
async fn unsent_uploads_are_removed_after_a_day() {
    let app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (_, conv) = conversation(&api).await;
    let (s, kept) = upload(&web, conv, "sent.pdf", "application/pdf", PDF).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = upload(&web, conv, "forgotten.pdf", "application/pdf", PDF).await;
    assert_eq!(s, StatusCode::CREATED);
    let r = send(&web, conv, "one file", json!([{"id": kept["id"]}])).await;
    assert!(sent_ok(&r), "{}", r.status());
    let s = app.services();
    assert_eq!(s.remove_unsent_uploads().unwrap(), 0, "not a day yet");
    app.clock.advance_secs(86_401);
    assert_eq!(s.remove_unsent_uploads().unwrap(), 1);
    assert_eq!(footprint(&app, conv), (1, 1), "the sent one stays");
    app.stop().await;
}

/// The reply arrives at a real SMTP server with the file as a MIME part.
#[actix_web::test]
#[ignore = "needs python3-aiosmtpd; run ./scripts/test (it installs it)"]
async fn an_email_reply_carries_the_file_as_a_mime_part() {
    let sink = super::mail_servers::SmtpSink::start();
    let app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let mail = super::security_contacts::email_inbox(&api, sink.port()).await;
    let r = web
        .submit(
            "/",
            "/conversations/new",
            &[
                ("inbox_id", &mail.to_string()),
                ("to", "marta@example.org"),
                ("subject", "Your invoice"),
                ("content", "Invoice follows."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let conv: u64 = location(&r).rsplit('/').next().unwrap().parse().unwrap();
    let (s, pdf) = upload(&web, conv, "factura-4411.pdf", "application/pdf", PDF).await;
    assert_eq!(s, StatusCode::CREATED, "{pdf}");
    let r = send(&web, conv, "Here it is.", json!([{"id": pdf["id"]}])).await;
    assert!(sent_ok(&r), "{}", r.status());
    let got = sink.wait_for(2, Duration::from_secs(10)).await;
    let raw = String::from_utf8_lossy(&got[1].raw).to_string();
    assert!(raw.contains("multipart/mixed"), "{raw}");
    assert!(
        raw.contains("Content-Disposition: attachment; filename=\"factura-4411.pdf\""),
        "{raw}"
    );
    assert!(raw.contains("Content-Type: application/pdf"), "{raw}");
    let parsed = mail_parser::MessageParser::default()
        .parse(got[1].raw.as_slice())
        .unwrap();
    let att = parsed.attachments().next().expect("an attachment");
    assert_eq!(att.contents(), PDF);
    app.stop().await;
}

/// The server's resident memory (kB), from /proc.
fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Samples a process's RSS every 2 ms until stopped; answers the peak (kB).
fn sample_peak(
    pid: u32,
) -> (
    std::sync::Arc<std::sync::atomic::AtomicBool>,
    std::thread::JoinHandle<u64>,
) {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s = stop.clone();
    let h = std::thread::spawn(move || {
        let mut peak = 0;
        while !s.load(std::sync::atomic::Ordering::Relaxed) {
            peak = peak.max(rss_kb(pid));
            std::thread::sleep(Duration::from_millis(2));
        }
        peak
    });
    (stop, h)
}

/// BENCHMARKS.md "Attachments": a 30 MB upload and download against `charla serve` as
/// its own process, with its peak RSS from /proc. Prints the figures; asserts nothing
/// about them. `cargo test --release --test integration -- uploads::bench --ignored --nocapture`
#[actix_web::test]
#[ignore = "a measurement: run by hand (see BENCHMARKS.md)"]
async fn bench_30_mb_upload_and_download() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let pid = server.child.id();
    let web = Client::new(&server.url);
    let r = web
        .submit(
            "/setup",
            "/setup",
            &[
                ("name", "Ana"),
                ("email", ADMIN_EMAIL),
                ("password", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let api = Api::for_client(&web).await;
    let (_, conv) = conversation(&api).await;
    // Warm up the paths (and the allocator) with a small file first.
    let (s, _) = upload(&web, conv, "warm.pdf", "application/pdf", PDF).await;
    assert_eq!(s, StatusCode::CREATED);
    let mut big = PDF.to_vec();
    big.resize(30_000_000 - 4096, b' ');
    let csrf = web.csrf(&format!("/conversations/{conv}")).await;
    let (ct, body) = multipart("big.pdf", "application/pdf", &big, false);
    drop(big);
    for round in 0..2 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before = rss_kb(pid);
        let (stop, peak) = sample_peak(pid);
        let t = std::time::Instant::now();
        let r = web
            .http
            .post(format!("{}/conversations/{conv}/uploads", web.base))
            .header("content-type", &ct)
            .header("x-csrf-token", &csrf)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let up = t.elapsed();
        let v: Value = r.json().await.unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let up_peak = peak.join().unwrap();
        let r = send(&web, conv, "", json!([{"id": v["id"]}])).await;
        assert!(sent_ok(&r));
        let (_, msgs) = api.get(&format!("/api/v1/conversations/{conv}")).await;
        let list = msgs
            .as_array()
            .or_else(|| msgs["messages"].as_array())
            .unwrap()
            .clone();
        let mid = list
            .iter()
            .rev()
            .find(|m| m["direction"] == "outbound")
            .unwrap()["id"]
            .as_u64()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before_down = rss_kb(pid);
        let (stop, peak) = sample_peak(pid);
        let t = std::time::Instant::now();
        let mut r = web
            .get(&format!(
                "/conversations/{conv}/messages/{mid}/attachments/0"
            ))
            .await;
        let mut got = 0usize;
        while let Some(c) = r.chunk().await.unwrap() {
            got += c.len();
        }
        let down = t.elapsed();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let down_peak = peak.join().unwrap();
        assert_eq!(got, 30_000_000 - 4096, "the whole file came back");
        let mb = 30.0;
        println!(
            "round {round}: upload {:.0} ms ({:.1} MB/s), RSS {:.1} → peak {:.1} MiB (+{:.1}); download {:.0} ms ({:.1} MB/s), RSS {:.1} → peak {:.1} MiB (+{:.1})",
            up.as_secs_f64() * 1000.0,
            mb / up.as_secs_f64(),
            before as f64 / 1024.0,
            up_peak as f64 / 1024.0,
            up_peak.saturating_sub(before) as f64 / 1024.0,
            down.as_secs_f64() * 1000.0,
            mb / down.as_secs_f64(),
            before_down as f64 / 1024.0,
            down_peak as f64 / 1024.0,
            down_peak.saturating_sub(before_down) as f64 / 1024.0,
        );
    }
    drop(server);
}

#[actix_web::test]
async fn the_api_sends_files_as_multipart_and_refuses_bad_ones() {
    let app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (_, conv) = conversation(&api).await;
    let boundary = "api-boundary-51";
    let part = |name: &str, file: Option<(&str, &str)>, bytes: &[u8]| {
        let mut b =
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").into_bytes();
        if let Some((f, mime)) = file {
            b.extend_from_slice(format!("; filename=\"{f}\"\r\nContent-Type: {mime}").as_bytes());
        }
        b.extend_from_slice(b"\r\n\r\n");
        b.extend_from_slice(bytes);
        b.extend_from_slice(b"\r\n");
        b
    };
    let post = |body: Vec<u8>| {
        let mut body = body;
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        api.http
            .post(format!("{}/api/v1/conversations/{conv}/messages", api.base))
            .bearer_auth(&api.token)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
    };
    let mut body = part("content", None, "Invoice and photo".as_bytes());
    body.extend(part("files", Some(("invoice.pdf", "application/pdf")), PDF));
    body.extend(part("files", Some(("photo.png", "image/png")), PNG));
    let r = post(body).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let m: Value = r.json().await.unwrap();
    assert_eq!(m["content"], "Invoice and photo");
    assert_eq!(m["attachments"][0]["filename"], "invoice.pdf");
    assert_eq!(m["attachments"][1]["mime"], "image/png");
    assert_eq!(footprint(&app, conv), (2, 2));

    // A note with a good file and a bad one: nothing is sent, nothing kept.
    let mut body = part("private", None, b"true");
    body.extend(part("files", Some(("ok.pdf", "application/pdf")), PDF));
    body.extend(part(
        "files",
        Some(("run.pdf", "application/pdf")),
        b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff",
    ));
    let r = post(body).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "unsupported_type", "{v}");
    assert_eq!(
        footprint(&app, conv),
        (2, 2),
        "the good file of a refused message is removed"
    );
    // JSON still works as before.
    let (s, _) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "plain"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    app.stop().await;
}

#[actix_web::test]
async fn a_reply_with_files_is_refused_where_the_channel_does_not_carry_them_yet() {
    let app = TestApp::start().await;
    let web = app.admin().await;
    let api = Api::for_client(&web).await;
    let (inbox, token) = api
        .inbox("Hooked", &[], Some("http://127.0.0.1:9/hook"))
        .await;
    let (s, v) = incoming(
        &api.base,
        inbox,
        &token,
        json!({"contact": {"identifier": "c-9"}, "content": "hi"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let conv = v["conversation_id"].as_u64().unwrap();
    let (s, pdf) = upload(&web, conv, "a.pdf", "application/pdf", PDF).await;
    assert_eq!(s, StatusCode::CREATED);
    // An API webhook carries files as links, which need server.public_url.
    let r = send(&web, conv, "here", json!([{"id": pdf["id"]}])).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("server.public_url is not set")
    );
    // The file is still there, and goes in a note.
    let csrf = web.csrf(&format!("/conversations/{conv}")).await;
    let r = web
        .post(
            &format!("/conversations/{conv}/messages"),
            &[
                ("csrf", &csrf),
                ("content", ""),
                ("mode", "note"),
                ("attachments", &json!([{"id": pdf["id"]}]).to_string()),
            ],
        )
        .await;
    assert!(sent_ok(&r), "{}", r.status());
    assert_eq!(footprint(&app, conv), (1, 1));
    app.stop().await;
}
