//! What a mail brings, through a real Dovecot and (for the `browser_` tests) a real
//! Chromium: attachments at and over the size limit, inline `cid:` images, the HTML
//! version with its own CSP and blocked remote images, reach, deletion, threading by
//! plus-address, and charsets and hostile HTML as an agent sees them.

use super::browser::{Result, css, sign_in, wait_path, with_browsers};
use super::common::*;
use super::mail_servers::Dovecot;
use base64::Engine;
use charla::domain::InboxId;
use charla::domain::conversation::{ConversationId, MessageId};
use charla::workers::mail::poll_once;
use fantoccini::Client as Browser;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The attachment limit of these tests: three chunks of the store's 64 KiB.
const LIMIT: usize = 150_000;
const SHOP: &str = "shop@example.com";
const CARLA: &str = "Carla Ruiz <carla@example.org>";

// ---- Building mail ------------------------------------------------------------------

/// One attached file; with a Content-ID it is an inline image of the HTML.
struct File<'a> {
    name: &'a str,
    mime: &'a str,
    data: &'a [u8],
    cid: Option<&'a str>,
}

fn base64_lines(data: &[u8]) -> String {
    let b = base64::engine::general_purpose::STANDARD.encode(data);
    b.as_bytes()
        .chunks(76)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n")
}

fn part(file: &File<'_>) -> String {
    let disposition = if file.cid.is_some() {
        "inline"
    } else {
        "attachment"
    };
    let cid = file
        .cid
        .map(|c| format!("Content-ID: <{c}>\r\n"))
        .unwrap_or_default();
    format!(
        "Content-Type: {}; name=\"{}\"\r\nContent-Transfer-Encoding: base64\r\n{cid}\
         Content-Disposition: {disposition}; filename=\"{}\"\r\n\r\n{}\r\n",
        file.mime,
        file.name,
        file.name,
        base64_lines(file.data)
    )
}

/// A MIME mail: text, optional HTML (with the inline files beside it), attachments.
fn mail(
    from: &str,
    to: &str,
    subject: &str,
    id: &str,
    text: &str,
    html: Option<&str>,
    files: &[File<'_>],
) -> Vec<u8> {
    let mut out = format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\
         Date: Sat, 21 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"MIX\"\r\n\r\n--MIX\r\n"
    );
    let text_part = format!(
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n"
    );
    match html {
        Some(html) => {
            out.push_str("Content-Type: multipart/alternative; boundary=\"ALT\"\r\n\r\n--ALT\r\n");
            out.push_str(&text_part);
            out.push_str(
                "--ALT\r\nContent-Type: multipart/related; boundary=\"REL\"\r\n\r\n--REL\r\n",
            );
            out.push_str(&format!(
                "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{html}\r\n"
            ));
            for f in files.iter().filter(|f| f.cid.is_some()) {
                out.push_str(&format!("--REL\r\n{}", part(f)));
            }
            out.push_str("--REL--\r\n--ALT--\r\n");
        }
        None => out.push_str(&text_part),
    }
    for f in files.iter().filter(|f| f.cid.is_none() || html.is_none()) {
        out.push_str(&format!("--MIX\r\n{}", part(f)));
    }
    out.push_str("--MIX--\r\n");
    out.into_bytes()
}

/// `n` bytes that are not all alike, so a wrong chunk order would show.
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// A real PNG (RGB, stored deflate blocks) of `w`×`h` pixels coloured by `f`.
fn png(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
    fn crc(data: &[u8]) -> u32 {
        let mut c = !0u32;
        for &b in data {
            c ^= b as u32;
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc(&body).to_be_bytes());
    }
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0);
        for x in 0..w {
            raw.extend_from_slice(&f(x, y));
        }
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, b) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        z.extend_from_slice(&(b.len() as u16).to_le_bytes());
        z.extend_from_slice(&(!(b.len() as u16)).to_le_bytes());
        z.extend_from_slice(b);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + x as u32) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/email/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

// ---- The app side -------------------------------------------------------------------

struct World {
    dovecot: Dovecot,
    app: TestApp,
    admin: Client,
    api: Api,
    inbox: u64,
}

impl World {
    async fn new() -> World {
        let dovecot = Dovecot::start();
        let app = TestApp::start_with(|c| {
            c.inbox.max_attachment_bytes = charla::config::ByteSize(LIMIT as u64);
        })
        .await;
        let admin = app.admin().await;
        let api = Api::for_client(&admin).await;
        let (s, v) = api
            .post(
                "/api/v1/inboxes",
                json!({"name": "Shop mail", "channel": "email", "member_ids": [], "email": {
                    "imap": {"host": "127.0.0.1", "port": dovecot.port(), "security": "none", "username": "shop", "password": "secret", "folder": "INBOX"},
                    "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none"},
                    "from_name": "Shop", "from_address": SHOP, "poll_seconds": 3600
                }}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        World {
            dovecot,
            app,
            admin,
            api,
            inbox: v["id"].as_u64().unwrap(),
        }
    }

    /// Puts mails in the mailbox and polls; returns the last (UIDVALIDITY, UID).
    async fn deliver(&self, mails: &[Vec<u8>]) -> (u32, u32) {
        let mut last = (0, 0);
        for m in mails {
            last = self.dovecot.append("shop", "INBOX", m).await;
        }
        poll_once(&self.app.services(), InboxId(self.inbox))
            .await
            .unwrap();
        last
    }

    /// Every (conversation, message id, content) of the inbox.
    async fn messages(&self) -> Vec<(u64, u64, String)> {
        let mut out = Vec::new();
        let (_, v) = self.api.get("/api/v1/conversations?view=all").await;
        for c in v["conversations"].as_array().unwrap() {
            let id = c["id"].as_u64().unwrap();
            let (_, page) = self.api.get(&format!("/api/v1/conversations/{id}")).await;
            for m in page["messages"].as_array().unwrap() {
                let text = m["content"].as_str().unwrap().to_string();
                out.push((id, m["id"].as_u64().unwrap(), text));
            }
        }
        out
    }

    /// The conversation and message whose text contains `needle`.
    async fn find(&self, needle: &str) -> (u64, u64) {
        let all = self.messages().await;
        let (c, m, _) = all
            .iter()
            .find(|(_, _, t)| t.contains(needle))
            .unwrap_or_else(|| panic!("no message with {needle:?} in {all:?}"));
        (*c, *m)
    }
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

// ---- Over HTTP ------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs dovecot; run ./scripts/test (it installs it)"]
async fn attachments_at_and_over_the_limit_html_reach_and_deletion() {
    let w = World::new().await;
    let exact = pattern(LIMIT);
    let over = pattern(LIMIT + 1);
    let logo = png(4, 4, |x, y| [60 * x as u8, 60 * y as u8, 200]);
    let html = "<p>Your <b>invoice</b> is attached.</p><p><img src=\"cid:logo@shop\" alt=\"logo\"></p>\
        <p><img src=\"https://tracker.example/open.gif?u=7\" width=\"1\" height=\"1\"></p>\
        <script>alert(1)</script>";
    let invoice = mail(
        CARLA,
        SHOP,
        "Invoice 2024-06",
        "inv-1@example.org",
        "Your invoice is attached.",
        Some(html),
        &[
            File {
                name: "invoice 2024-06.pdf",
                mime: "application/pdf",
                data: &exact,
                cid: None,
            },
            File {
                name: "logo.png",
                mime: "image/png",
                data: &logo,
                cid: Some("logo@shop"),
            },
        ],
    );
    let big = mail(
        CARLA,
        SHOP,
        "The video",
        "big-1@example.org",
        "Here is the unboxing video.",
        None,
        &[File {
            name: "unboxing.mp4",
            mime: "video/mp4",
            data: &over,
            cid: None,
        }],
    );
    let after = mail(
        CARLA,
        SHOP,
        "After",
        "after-1@example.org",
        "Did the video arrive?",
        None,
        &[],
    );
    let (validity, last_uid) = w.deliver(&[invoice, big, after]).await;
    let services = w.app.services();
    let (conv, m_invoice) = w.find("Your invoice is attached.").await;
    let (conv_big, m_big) = w.find("Here is the unboxing video.").await;
    let (conv_after, _) = w.find("Did the video arrive?").await;
    assert_eq!(
        (conv, conv),
        (conv_big, conv_after),
        "one sender, one thread"
    );

    // Exactly at the limit: stored, and downloads byte for byte, safely.
    let stored = services
        .store
        .message(ConversationId(conv), MessageId(m_invoice))
        .unwrap()
        .unwrap();
    let index = |name: &str| {
        stored
            .attachments
            .iter()
            .position(|a| a.filename == name)
            .unwrap()
    };
    let (pdf, inline) = (index("invoice 2024-06.pdf"), index("logo.png"));
    assert!(stored.attachments[inline].inline && !stored.attachments[pdf].inline);
    let base = format!("/conversations/{conv}/messages/{m_invoice}");
    let r = w.admin.get(&format!("{base}/attachments/{pdf}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "content-type"), "application/octet-stream");
    assert_eq!(
        header(&r, "content-disposition"),
        "attachment; filename=\"invoice 2024-06.pdf\"; filename*=UTF-8''invoice%202024-06.pdf"
    );
    assert_eq!(header(&r, "x-content-type-options"), "nosniff");
    let csp = header(&r, "content-security-policy");
    assert!(
        csp.starts_with("default-src 'none'") && csp.ends_with("sandbox"),
        "{csp}"
    );
    assert!(r.bytes().await.unwrap() == exact, "byte-identical download");
    // The inline image: a safe raster type, shown inline.
    let r = w.admin.get(&format!("{base}/attachments/{inline}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "content-type"), "image/png");
    assert!(header(&r, "content-disposition").starts_with("inline; filename=\"logo.png\""));
    assert!(r.bytes().await.unwrap() == logo);

    // The HTML version: its own CSP; cid images point at the attachment; no remote
    // image until asked; no script.
    let r = w.admin.get(&format!("{base}/html")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let csp = header(&r, "content-security-policy");
    assert!(
        csp.starts_with("default-src 'none'; style-src 'unsafe-inline'; "),
        "{csp}"
    );
    assert!(
        csp.contains(&format!("img-src data: {}{base}/attachments/;", w.app.url)),
        "{csp}"
    );
    assert!(
        csp.contains(" sandbox") && !csp.contains("allow-scripts"),
        "{csp}"
    );
    assert!(!csp.contains("https:") && !csp.contains("http: "), "{csp}");
    assert_eq!(header(&r, "x-frame-options"), "SAMEORIGIN");
    let body = r.text().await.unwrap();
    assert!(
        body.contains(&format!(" src=\"{base}/attachments/{inline}\"")),
        "{body}"
    );
    assert!(
        body.contains(" src=\"\" data-remote-src=\"https://tracker.example/open.gif?u=7\""),
        "{body}"
    );
    assert!(!body.contains(" src=\"https://tracker"), "{body}");
    assert!(!body.to_lowercase().contains("<script"), "{body}");
    let r = w.admin.get(&format!("{base}/html?images=1")).await;
    let csp = header(&r, "content-security-policy");
    assert!(csp.contains(" https: http:;"), "{csp}");
    let body = r.text().await.unwrap();
    assert!(
        body.contains(" src=\"https://tracker.example/open.gif?u=7\""),
        "{body}"
    );

    // Over the limit: the text is kept, the file is listed with a clear note, no bytes.
    let (_, pane) = w
        .admin
        .get_text(&format!("/conversations/{conv}/pane"))
        .await;
    for needle in [
        "Invoice 2024-06",
        "invoice 2024-06.pdf",
        "HTML version",
        "Load remote images",
        "unboxing.mp4",
        "not stored",
        "Attachment unboxing.mp4 (150 kB) is over the 150 kB limit and was not stored",
    ] {
        assert!(pane.contains(needle), "the pane shows {needle:?}: {pane}");
    }
    let big_base = format!("/conversations/{conv}/messages/{m_big}");
    for path in [
        format!("{big_base}/attachments/0"),
        format!("{big_base}/html"),
    ] {
        assert_eq!(
            w.admin.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // The poller moved on: the next mail is in, the cursor is past all three, and
    // polling again finds nothing to retry.
    assert_eq!(
        services
            .store
            .mail_cursor(InboxId(w.inbox), "INBOX")
            .unwrap(),
        Some((validity, last_uid))
    );
    assert_eq!(
        poll_once(&services, InboxId(w.inbox)).await.unwrap(),
        0,
        "no retry loop"
    );
    assert_eq!(w.messages().await.len(), 3);

    // Reach: an agent outside the inbox gets 404 on both routes, then 200 as a member.
    let luis = w
        .api
        .agent("Luis", "luis@example.com", "agent", "luis password")
        .await;
    let web = w.app.client();
    web.login("luis@example.com", "luis password").await;
    let routes = [format!("{base}/attachments/{pdf}"), format!("{base}/html")];
    for path in &routes {
        assert_eq!(
            web.get(path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let (s, v) = w
        .api
        .call(
            Method::PATCH,
            &format!("/api/v1/inboxes/{}", w.inbox),
            Some(json!({"member_ids": [luis]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for path in &routes {
        assert_eq!(web.get(path).await.status(), StatusCode::OK, "{path}");
    }

    // Deleting the conversation removes what was stored beside its messages.
    let c = ConversationId(conv);
    assert!(
        services.store.part_chunks_of(c).unwrap() >= 5,
        "html, 3 + 1 chunks"
    );
    let (s, v) = w
        .api
        .call(
            Method::DELETE,
            &format!("/api/v1/conversations/{conv}"),
            None,
        )
        .await;
    assert!(s.is_success(), "{s}: {v}");
    assert_eq!(services.store.part_chunks_of(c).unwrap(), 0);
    assert_eq!(
        w.admin
            .get(&format!("{base}/attachments/{pdf}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    drop(services);
    w.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs dovecot; run ./scripts/test (it installs it)"]
async fn plus_address_joins_its_conversation_and_a_random_token_joins_nothing() {
    let w = World::new().await;
    w.deliver(&[mail(
        CARLA,
        SHOP,
        "Order 77",
        "o77@example.org",
        "Where is order 77?",
        None,
        &[],
    )])
    .await;
    let (conv, _) = w.find("Where is order 77?").await;
    let token = w
        .app
        .services()
        .store
        .conversation(ConversationId(conv))
        .unwrap()
        .unwrap()
        .token;
    // From an address we have never seen, to our plus-address: same conversation.
    let to_plus = format!("Shop <shop+{token}@example.com>");
    let random = format!("shop+{}@example.com", "0f".repeat(16));
    w.deliver(&[
        mail(
            "Carla at work <carla@work.example>",
            &to_plus,
            "Re: Order 77",
            "o77-2@work.example",
            "Writing from work: any news?",
            None,
            &[],
        ),
        mail(
            "Eve <eve@evil.example>",
            &random,
            "Re: Order 77",
            "eve-1@evil.example",
            "A guessed token.",
            None,
            &[],
        ),
    ])
    .await;
    assert_eq!(w.find("Writing from work").await.0, conv);
    let (eve, _) = w.find("A guessed token.").await;
    assert_ne!(eve, conv, "a token we never gave out joins nothing");
    w.app.stop().await;
}

// ---- In the browser -------------------------------------------------------------------

/// A tiny HTTP server standing in for remote image hosts; records every path asked for.
struct ImageHost {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl ImageHost {
    fn start() -> ImageHost {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let log = seen.clone();
        let banner = png(560, 90, |x, y| {
            [
                (79 + x / 8) as u8,
                (70 + y) as u8,
                (229 - (x / 6).min(120)) as u8,
            ]
        });
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { continue };
                let mut buf = [0u8; 4096];
                let n = s.read(&mut buf).unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).into_owned();
                let path = req.split_whitespace().nth(1).unwrap_or("").to_string();
                log.lock().unwrap().push(path);
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    banner.len()
                );
                let _ = s.write_all(head.as_bytes());
                let _ = s.write_all(&banner);
            }
        });
        ImageHost { url, seen }
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

async fn js(c: &Browser, script: &str) -> Result<Value> {
    Ok(c.execute(script, vec![]).await?)
}

async fn wait_js(c: &Browser, what: &str, condition: &str) -> Result {
    let start = Instant::now();
    let script = format!("try {{ return !!({condition}); }} catch (e) {{ return false; }}");
    while js(c, &script).await? != Value::Bool(true) {
        if start.elapsed() > Duration::from_secs(15) {
            return Err(format!("waited 15 s for {what} ({condition})").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Opens a conversation and lets the refresh that marking it read causes come and go,
/// so later steps do not race a pane swap.
async fn open_conversation(c: &Browser, url: &str, conv: u64) -> Result {
    c.goto(&format!("{url}/conversations/{conv}?view=all"))
        .await?;
    wait_path(c, &format!("/conversations/{conv}")).await?;
    wait_js(
        c,
        "the timeline",
        "document.querySelector('#timeline .msg')",
    )
    .await?;
    wait_js(
        c,
        "the live stream",
        "document.querySelector('#inbox[data-live=\"open\"]')",
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    Ok(())
}

/// JS: the frame of message `m` (the HTML version).
fn frame(m: u64) -> String {
    format!("document.querySelector('iframe[name=\"mail-frame-{m}\"]')")
}

/// Everything the hostile mail tries, each of which would leave a mark if it ran. (The
/// mXSS vector comes last: its unclosed `<style>` swallows whatever follows.)
fn hostile_html(images: &str) -> String {
    let mark = "parent.document.title='pwned';window.name='pwned';\
        document.documentElement.appendChild(document.createElement('pwned'));";
    format!(
        "<p>Please check this <b>invoice</b>.</p>\
         <script>{mark}</script>\
         <img src=x onerror=\"{mark}\">\
         <svg><script>{mark}</script><a xlink:href=\"javascript:{mark}\">svg link</a></svg>\
         <svg onload=\"{mark}\"></svg>\
         <iframe src=\"javascript:{mark}\"></iframe>\
         <iframe srcdoc=\"<script>{mark}</script>\"></iframe>\
         <a id=\"js-link\" href=\"javascript:{mark}\">Click me</a>\
         <details open ontoggle=\"{mark}\"><summary>x</summary></details>\
         <object data=\"{images}/object\"></object><embed src=\"{images}/embed\">\
         <link rel=stylesheet href=\"{images}/style.css\"><style>@import '{images}/import.css';</style>\
         <div style=\"background:url({images}/bg.png)\">styled</div>\
         <form action=\"{images}/steal\"><input name=p><button>Go</button></form>\
         <p><img src=\"{images}/pixel.png\" width=\"20\" height=\"20\"></p>\
         <math><mtext><table><mglyph><style><img src=x onerror=\"{mark}\">"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs dovecot, chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_html_mail_is_inert_and_remote_images_wait_for_a_click() {
    let w = World::new().await;
    let host = ImageHost::start();
    w.deliver(&[mail(
        "Mallory <mallory@evil.example>",
        SHOP,
        "Please check this invoice",
        "hostile-1@evil.example",
        "Please check this invoice.",
        Some(&hostile_html(&host.url)),
        &[],
    )])
    .await;
    let (conv, m) = w.find("Please check this invoice.").await;
    let (lucia_conv, lucia_m) = screenshot_mail(&w, &host.url).await;
    let url = w.app.url.clone();
    let host = &host;
    with_browsers(
        "browser_html_mail_is_inert_and_remote_images_wait_for_a_click",
        |b| async move {
            let c = b.open().await?;
            c.goto(&format!("{url}/login")).await?;
            sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
            open_conversation(&c, &url, conv).await?;
            let title = js(&c, "return document.title;").await?;
            let sandbox = js(&c, &format!("return {}.getAttribute('sandbox');", frame(m))).await?;
            let sandbox = sandbox.as_str().unwrap_or_default().to_string();
            assert!(
                sandbox.contains("allow-same-origin") && !sandbox.contains("allow-scripts"),
                "{sandbox}"
            );
            // Open the HTML version and let it load (and anything in it try to run).
            c.find(css(&format!("#html-{m} > summary"))).await?.click().await?;
            wait_js(
                &c,
                "the HTML version",
                &format!("{}.contentDocument.body.textContent.includes('invoice')", frame(m)),
            )
            .await?;
            wait_js(&c, "the frame sized to its content", &format!("{}.offsetHeight > 60", frame(m))).await?;
            // The javascript: link, were it there, is clicked too.
            js(&c, &format!("const a = {}.contentDocument.querySelector('a'); if (a) a.click(); return null;", frame(m))).await?;
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let inert = format!(
                "const d = {f}.contentDocument;\
                 return [document.title, window.name, document.getElementsByTagName('pwned').length,\
                         d.getElementsByTagName('pwned').length, d.querySelectorAll('script, iframe, object, embed, form, svg, math, [onerror], [onload], [ontoggle]').length,\
                         d.querySelectorAll('a[href^=\"javascript\"]').length];",
                f = frame(m)
            );
            assert_eq!(js(&c, &inert).await?, json!([title, "", 0, 0, 0, 0]), "nothing ran");
            assert!(c.get_alert_text().await.is_err(), "no dialog");
            // Through WebDriver, inside the frame: every image is empty or ours.
            let srcs = frame_image_sources(&c).await?;
            assert!(!srcs.is_empty(), "the tracker image is there, blocked");
            assert!(srcs.iter().all(|s| s.is_empty()), "{srcs:?}");
            assert_eq!(host.requests(), Vec::<String>::new(), "nothing fetched from afar");

            // The agent asks for remote images: now (and only now) they load.
            c.find(css(&format!("a[data-remote-images=\"{m}\"]"))).await?.click().await?;
            wait_js(
                &c,
                "the remote image",
                &format!(
                    "{}.contentDocument.querySelector('img[data-remote-src]').naturalWidth > 0",
                    frame(m)
                ),
            )
            .await?;
            let srcs = frame_image_sources(&c).await?;
            assert!(
                srcs.contains(&format!("{}/pixel.png", host.url)),
                "{srcs:?}"
            );
            let fetched = host.requests();
            assert!(
                !fetched.is_empty() && fetched.iter().all(|p| p == "/pixel.png"),
                "only the image, never the CSS or objects: {fetched:?}"
            );
            assert_eq!(js(&c, &inert).await?, json!([title, "", 0, 0, 0, 0]), "still nothing ran");
            wait_js(&c, "the button's new state", "document.querySelector('.remote-loaded')").await?;

            // A good-looking mail with attachments, for the record.
            c.set_window_size(1280, 1200).await?;
            open_conversation(&c, &url, lucia_conv).await?;
            c.find(css(&format!("#html-{lucia_m} > summary"))).await?.click().await?;
            c.find(css(&format!("a[data-remote-images=\"{lucia_m}\"]"))).await?.click().await?;
            wait_js(
                &c,
                "Lucía's HTML with its images",
                &format!(
                    "Array.from({}.contentDocument.images).every(i => i.complete && i.naturalWidth > 0)",
                    frame(lucia_m)
                ),
            )
            .await?;
            wait_js(&c, "the thumbnail", "Array.from(document.querySelectorAll('.att-thumb')).every(i => i.naturalWidth > 0)").await?;
            tokio::time::sleep(Duration::from_millis(500)).await;
            js(&c, &format!("document.querySelector('#timeline .msg[data-id=\"{lucia_m}\"]').scrollIntoView({{block: 'start'}}); document.querySelector('.timeline-wrap').scrollTop -= 12; return null;")).await?;
            // The pointer rests on the list, so no message's details float over the picture.
            use fantoccini::actions::{InputSource, MouseActions, PointerAction};
            c.perform_actions(MouseActions::new("mouse".into()).then(PointerAction::MoveTo {
                duration: None,
                x: 300.0,
                y: 600.0,
            }))
            .await?;
            if let Ok(dir) = std::env::var("CHARLA_SCREENSHOTS") {
                std::fs::create_dir_all(&dir)?;
                std::fs::write(format!("{dir}/email-message.png"), c.screenshot().await?)?;
            }
            Ok(())
        },
    )
    .await;
    w.app.stop().await;
}

/// The `src` of every image inside the (first) HTML frame, read through WebDriver.
async fn frame_image_sources(c: &Browser) -> Result<Vec<String>> {
    let f = c.find(css("iframe.mail-frame")).await?;
    f.enter_frame().await?;
    let mut out = Vec::new();
    for img in c.find_all(css("img")).await? {
        out.push(img.attr("src").await?.unwrap_or_default());
    }
    c.enter_parent_frame().await?;
    Ok(out)
}

/// A realistic mail with an HTML version, a quoted history and three attachments (one
/// over the limit); returns its conversation and message.
async fn screenshot_mail(w: &World, images: &str) -> (u64, u64) {
    let photo = png(96, 64, |x, y| {
        [
            (180 + x / 2) as u8,
            (120 + y) as u8,
            (60 + (x + y) / 3) as u8,
        ]
    });
    let logo = png(48, 48, |x, y| {
        if (x as i32 - 24).pow(2) + (y as i32 - 24).pow(2) < 400 {
            [79, 70, 229]
        } else {
            [255, 255, 255]
        }
    });
    let pdf = pattern(48_213);
    let video = pattern(LIMIT * 2);
    let text = "Hola, os adjunto la factura de marzo y unas fotos de cómo llegó la caja.\n\
        ¿Podéis revisarlo?\n\nGracias,\nLucía\n\n\
        El lun, 3 jun 2024 a las 10:00, Tienda <shop@example.com> escribió:\n\
        > Hola Lucía, ¿nos puedes mandar la factura?\n";
    let html = format!(
        "<table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td>\
         <p><img src=\"cid:logo@lucia\" width=\"40\" height=\"40\" alt=\"Logo\"></p>\
         <h2 style=\"color: #4f46e5; margin: 0 0 8px\">Factura de marzo</h2>\
         <p>Hola, os adjunto la <b>factura de marzo</b> y unas fotos de cómo llegó la caja.</p>\
         <p><img src=\"{images}/banner.png\" alt=\"Banner\" width=\"560\"></p>\
         <table border=\"1\" cellpadding=\"6\" style=\"border-collapse: collapse\">\
         <tr><th>Pedido</th><th>Importe</th></tr><tr><td>#48213</td><td>42,00 €</td></tr></table>\
         <p>¿Podéis revisarlo?<br>Gracias,<br>Lucía</p></td></tr></table>"
    );
    w.deliver(&[mail(
        "=?utf-8?q?Luc=C3=ADa_Fern=C3=A1ndez?= <lucia@example.es>",
        SHOP,
        "=?utf-8?q?Factura_de_marzo_y_fotos_del_env=C3=ADo?=",
        "lucia-1@example.es",
        text,
        Some(&html),
        &[
            File {
                name: "factura-marzo.pdf",
                mime: "application/pdf",
                data: &pdf,
                cid: None,
            },
            File {
                name: "caja.png",
                mime: "image/png",
                data: &photo,
                cid: None,
            },
            File {
                name: "video-caja.mp4",
                mime: "video/mp4",
                data: &video,
                cid: None,
            },
            File {
                name: "logo.png",
                mime: "image/png",
                data: &logo,
                cid: Some("logo@lucia"),
            },
        ],
    )])
    .await;
    w.find("os adjunto la factura").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs dovecot, chromium + chromedriver; run ./scripts/test (it installs them)"]
async fn browser_timeline_shows_decoded_subjects_chips_and_the_full_message() {
    let w = World::new().await;
    let fixtures = [
        "03-latin1-qp.eml",
        "02-utf8-8bit.eml",
        "19-subject-utf8-raw.eml",
        "04-subject-q.eml",
        "05-subject-b.eml",
        "12-auto-reply.eml",
        "13-bounce-dsn.eml",
        "01-plain-ascii.eml",
        "08-reply-english.eml",
    ];
    w.deliver(&fixtures.map(fixture)).await;
    // (subject, text) of each mail as the timeline must show them.
    let expected = [
        (
            "Facture déjà payée",
            "La facture n° 7 a déjà été payée. Mañana je serai à la maison.",
        ),
        ("Pedido 1042", "¡Hola! ¿Cómo están? El ñandú llegó roto."),
        (
            "Reclamación: el envío nº 77 llegó tarde 📦",
            "El paquete llegó tres días tarde",
        ),
        ("Café con leche ☕ y tostadas", "Q-encoded subject."),
        ("¿Dónde está mi pedido? (nº 1042)", "B-encoded subject"),
    ];
    let mut convs = Vec::new();
    for (_, text) in expected {
        convs.push(w.find(text).await);
    }
    let all = w.messages().await;
    let url = w.app.url.clone();
    let all = &all;
    with_browsers(
        "browser_timeline_shows_decoded_subjects_chips_and_the_full_message",
        |b| async move {
            let c = b.open().await?;
            c.goto(&format!("{url}/login")).await?;
            sign_in(&c, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
            for ((subject, text), (conv, m)) in expected.iter().zip(&convs) {
                open_conversation(&c, &url, *conv).await?;
                let sel = format!("#timeline .msg[data-id=\"{m}\"]");
                let shown = js(
                    &c,
                    &format!(
                        "const li = document.querySelector('{sel}');\
                         return [li.querySelector('.mail-subject').textContent, li.querySelector('.msg-text').textContent];"
                    ),
                )
                .await?;
                assert_eq!(shown[0], json!(subject), "subject of {text:?}");
                assert!(
                    shown[1].as_str().unwrap_or_default().contains(text),
                    "{text:?} in {shown}"
                );
            }
            // Machine-written mail is marked as such.
            let mut chips = Vec::new();
            for (conv, m, _) in all {
                open_conversation(&c, &url, *conv).await?;
                let chip = js(
                    &c,
                    &format!(
                        "const x = document.querySelector('#timeline .msg[data-id=\"{m}\"] .chip-auto');\
                         return x ? x.textContent : null;"
                    ),
                )
                .await?;
                if let Some(t) = chip.as_str() {
                    chips.push(t.to_string());
                }
            }
            chips.sort();
            assert_eq!(chips, vec!["Auto-reply", "Bounce"]);
            // A reply shows what is new; the quoted history is one click away.
            let (conv, m, _) = all
                .iter()
                .find(|(_, _, t)| t.starts_with("That worked"))
                .ok_or("the English reply")?;
            open_conversation(&c, &url, *conv).await?;
            let li = format!("#timeline .msg[data-id=\"{m}\"]");
            let text = c.find(css(&format!("{li} .msg-text"))).await?.text().await?;
            assert!(!text.contains("wrote:"), "trimmed: {text}");
            let full = c.find(css(&format!("{li} .mail-full"))).await?;
            assert!(!full.is_displayed().await?, "closed at first");
            c.find(css(&format!("{li} .mail-more > summary"))).await?.click().await?;
            let full_text = full.text().await?;
            assert!(full_text.contains("wrote:") && full_text.contains('>'), "{full_text}");
            Ok(())
        },
    )
    .await;
    w.app.stop().await;
}
