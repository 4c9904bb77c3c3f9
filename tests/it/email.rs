//! The email channel against a real Dovecot: the poller ingests without loss or
//! duplicates through resyncs and restarts, never changes the mailbox, and keeps
//! auto-replies from reopening conversations.

use super::common::*;
use super::mail_servers::Dovecot;
use charla::workers::mail::poll_once;
use reqwest::StatusCode;
use serde_json::json;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/email/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

async fn email_inbox(api: &Api, name: &str, imap_port: u16, user: &str) -> u64 {
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": name, "channel": "email", "member_ids": [], "email": {
                "imap": {"host": "127.0.0.1", "port": imap_port, "security": "none", "username": user, "password": "secret", "folder": "INBOX"},
                "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none"},
                "from_name": "Shop", "from_address": "support@shop.example", "poll_seconds": 3600
            }}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_u64().unwrap()
}

/// Every message of every conversation in the inbox: (conversation, content, direction).
async fn messages(api: &Api, inbox: u64) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    for view in ["all", "closed", "snoozed"] {
        let (_, v) = api.get(&format!("/api/v1/conversations?view={view}")).await;
        for c in v["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["inbox_id"] == inbox)
        {
            let id = c["id"].as_u64().unwrap();
            let (_, page) = api.get(&format!("/api/v1/conversations/{id}")).await;
            for m in page["messages"].as_array().unwrap() {
                out.push((id, m["content"].as_str().unwrap().to_string()));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs dovecot; run ./scripts/test (it installs it)"]
async fn poller_ingests_every_mail_once_and_never_changes_the_mailbox() {
    let dovecot = Dovecot::start();
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    for f in [
        "01-plain-ascii.eml",
        "14-empty-message-id.eml",
        "16-same-id-a.eml",
        "17-same-id-b.eml",
        "12-auto-reply.eml",
    ] {
        dovecot.append("shop", "INBOX", &fixture(f)).await;
    }
    // Already read by another mail client: Charla must not depend on \Seen.
    let (_, seen_uid) = dovecot
        .append("shop", "INBOX", &fixture("03-latin1-qp.eml"))
        .await;
    dovecot.set_seen("shop", seen_uid).await;
    let inbox = email_inbox(&api, "Support mail", dovecot.port(), "shop").await;
    let services = app.services();
    let inbox_id = charla::domain::InboxId(inbox);
    poll_once(&services, inbox_id).await.unwrap();
    let got = messages(&api, inbox).await;
    assert_eq!(got.len(), 6, "six mails, six messages: {got:?}");
    assert!(got.iter().any(|(_, c)| c.contains("log in")), "{got:?}");
    assert_eq!(
        got.iter()
            .filter(|(_, c)| c.to_lowercase().contains("scan"))
            .count(),
        2,
        "two different mails with one Message-ID are both kept: {got:?}"
    );
    // Polling again finds nothing new; the mailbox was not changed.
    assert_eq!(poll_once(&services, inbox_id).await.unwrap(), 0);
    assert_eq!(dovecot.count("shop").await, 6);
    assert_eq!(messages(&api, inbox).await.len(), 6);
    // A contact's follow-up joins their conversation.
    let maria = got.iter().find(|(_, c)| c.contains("log in")).unwrap().0;
    dovecot
        .append("shop", "INBOX", &fixture("08-reply-english.eml"))
        .await;
    // (The background poller may have fetched it first: count what is stored.)
    poll_once(&services, inbox_id).await.unwrap();
    let (_, page) = api.get(&format!("/api/v1/conversations/{maria}")).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 2, "{page}");
    let latest = page["messages"][0]["content"].as_str().unwrap();
    assert!(
        !latest.contains("> "),
        "the quoted history is trimmed in the timeline: {latest}"
    );
    // UIDVALIDITY changes: a full resync, without duplicates.
    dovecot.reset_uidvalidity("shop").await;
    for f in [
        "01-plain-ascii.eml",
        "14-empty-message-id.eml",
        "16-same-id-a.eml",
        "17-same-id-b.eml",
        "12-auto-reply.eml",
        "03-latin1-qp.eml",
        "08-reply-english.eml",
    ] {
        dovecot.append("shop", "INBOX", &fixture(f)).await;
    }
    assert_eq!(
        poll_once(&services, inbox_id).await.unwrap(),
        0,
        "everything was already ingested"
    );
    assert_eq!(messages(&api, inbox).await.len(), 7);
    // A restart: the cursor is durable, nothing is fetched twice, new mail still comes.
    drop(services); // the store is released only when nobody holds it
    let app = app.restart(|_| {}).await;
    let services = app.services();
    let admin = app.client();
    admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let api = Api::for_client(&admin).await;
    assert_eq!(poll_once(&services, inbox_id).await.unwrap(), 0);
    dovecot
        .append("shop", "INBOX", &fixture("02-utf8-8bit.eml"))
        .await;
    // (The background poller may have fetched it first: count what is stored.)
    poll_once(&services, inbox_id).await.unwrap();
    assert_eq!(messages(&api, inbox).await.len(), 8);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs dovecot; run ./scripts/test (it installs it)"]
async fn same_mail_to_two_inboxes_and_auto_replies_do_not_reopen() {
    let dovecot = Dovecot::start();
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let a = email_inbox(&api, "Sales", dovecot.port(), "sales").await;
    let b = email_inbox(&api, "Support", dovecot.port(), "support").await;
    dovecot
        .append("sales", "INBOX", &fixture("01-plain-ascii.eml"))
        .await;
    dovecot
        .append("support", "INBOX", &fixture("01-plain-ascii.eml"))
        .await;
    let services = app.services();
    poll_once(&services, charla::domain::InboxId(a))
        .await
        .unwrap();
    poll_once(&services, charla::domain::InboxId(b))
        .await
        .unwrap();
    assert_eq!(messages(&api, a).await.len(), 1);
    assert_eq!(messages(&api, b).await.len(), 1, "each inbox gets its copy");
    // Pedro writes, the conversation is closed, then his auto-reply arrives.
    dovecot.append("sales", "INBOX", b"From: Pedro Out <pedro@example.com>\r\nTo: sales@shop.example\r\nSubject: Order\r\nMessage-ID: <order-1@example.com>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nI want to order 3 boxes.\r\n").await;
    poll_once(&services, charla::domain::InboxId(a))
        .await
        .unwrap();
    let (_, v) = api.get("/api/v1/conversations?view=all").await;
    let pedro = v["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["contact"]["name"] == "Pedro Out")
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    api.post(
        &format!("/api/v1/conversations/{pedro}/status"),
        json!({"status": "closed"}),
    )
    .await;
    dovecot
        .append("sales", "INBOX", &fixture("12-auto-reply.eml"))
        .await;
    poll_once(&services, charla::domain::InboxId(a))
        .await
        .unwrap();
    let (_, page) = api.get(&format!("/api/v1/conversations/{pedro}")).await;
    assert_eq!(
        page["conversation"]["status"], "closed",
        "an auto-reply never reopens"
    );
    assert_eq!(
        page["messages"].as_array().unwrap().len(),
        2,
        "but it is kept"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs dovecot; run ./scripts/test (it installs it)"]
async fn poll_errors_name_the_failing_step() {
    let dovecot = Dovecot::start();
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let services = app.services();
    // Wrong password.
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Bad", "channel": "email", "member_ids": [], "email": {
                "imap": {"host": "127.0.0.1", "port": dovecot.port(), "security": "none", "username": "x", "password": "wrong", "folder": "INBOX"},
                "smtp": {"host": "127.0.0.1", "port": 2525}, "from_address": "a@shop.example", "poll_seconds": 3600}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let e = poll_once(
        &services,
        charla::domain::InboxId(v["id"].as_u64().unwrap()),
    )
    .await
    .unwrap_err();
    assert!(e.contains("authentication failed"), "{e}");
    // Nothing listening.
    let port = {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let id = email_inbox(&api, "Down", port, "shop").await;
    let e = poll_once(&services, charla::domain::InboxId(id))
        .await
        .unwrap_err();
    assert!(e.contains("cannot connect"), "{e}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs dovecot + aiosmtpd; run ./scripts/test (it installs them)"]
async fn replies_go_out_by_smtp_threaded_and_failures_are_clear() {
    use super::mail_servers::SmtpSink;
    let dovecot = Dovecot::start();
    let mut sink = SmtpSink::start();
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let (s, v) = api
        .post(
            "/api/v1/inboxes",
            json!({"name": "Support", "channel": "email", "member_ids": [], "email": {
                "imap": {"host": "127.0.0.1", "port": dovecot.port(), "security": "none", "username": "shop", "password": "secret", "folder": "INBOX"},
                "smtp": {"host": "127.0.0.1", "port": sink.port(), "security": "none"},
                "from_name": "Shop support", "from_address": "support@shop.example", "poll_seconds": 3600}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let inbox = charla::domain::InboxId(v["id"].as_u64().unwrap());
    let services = app.services();
    dovecot
        .append("shop", "INBOX", &fixture("01-plain-ascii.eml"))
        .await;
    poll_once(&services, inbox).await.unwrap();
    let (_, list) = api.get("/api/v1/conversations?view=all").await;
    let conv = list["conversations"][0]["id"].as_u64().unwrap();
    let (s, m) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "Hola Maria, ya puedes entrar."}),
        )
        .await;
    assert_eq!(
        (s, m["status"].as_str()),
        (StatusCode::CREATED, Some("pending")),
        "{m}"
    );
    let got = sink.wait_for(1, std::time::Duration::from_secs(10)).await;
    let mail = got[0].text();
    assert_eq!(
        got[0].rcpt_tos(),
        vec!["maria.lopez@example.org".to_string()],
        "{mail}"
    );
    assert!(
        mail.contains("Subject: Re: Cannot log in to my account"),
        "{mail}"
    );
    let original = fixture("01-plain-ascii.eml");
    let original = String::from_utf8_lossy(&original);
    let mid = original
        .lines()
        .find(|l| l.to_lowercase().starts_with("message-id:"))
        .unwrap()
        .split_once(':')
        .unwrap()
        .1
        .trim()
        .to_string();
    assert!(mail.contains(&format!("In-Reply-To: {mid}")), "{mail}");
    assert!(mail.contains("Message-ID: <charla."), "{mail}");
    assert!(
        mail.contains("From: \"Shop support\" <support@shop.example>"),
        "{mail}"
    );
    wait_status(&api, conv, m["id"].as_u64().unwrap(), "sent").await;
    // The customer answers our mail: it lands in the same conversation.
    let ours = mail
        .lines()
        .find(|l| l.starts_with("Message-ID:"))
        .unwrap()
        .split_once(':')
        .unwrap()
        .1
        .trim()
        .to_string();
    let answer = format!(
        "From: Maria Lopez <maria.lopez@example.org>\r\nTo: support@shop.example\r\nSubject: Re: Cannot log in to my account\r\nMessage-ID: <answer-1@example.org>\r\nIn-Reply-To: {ours}\r\nReferences: {mid} {ours}\r\nDate: Sat, 21 Nov 2026 11:00:00 +0000\r\n\r\nGracias, ya funciona.\r\n"
    );
    dovecot.append("shop", "INBOX", answer.as_bytes()).await;
    poll_once(&services, inbox).await.unwrap();
    let (_, page) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    assert_eq!(
        page["messages"][0]["content"], "Gracias, ya funciona.",
        "{page}"
    );
    // An answer to our mail from another address still joins by our signed id; a
    // forged id (our format, wrong signature) does not.
    let other = format!(
        "From: Maria at work <maria@work.example>\r\nTo: support@shop.example\r\nSubject: Re: Cannot log in\r\nMessage-ID: <answer-2@work.example>\r\nIn-Reply-To: {ours}\r\nDate: Sat, 21 Nov 2026 11:05:00 +0000\r\n\r\nWriting from work.\r\n"
    );
    dovecot.append("shop", "INBOX", other.as_bytes()).await;
    // Our format with a made-up signature: `<charla.{token}.{nonce}.{sig}@domain>`.
    let (head, domain) = ours.trim_matches(['<', '>']).split_once('@').unwrap();
    let (prefix, _sig) = head.rsplit_once('.').unwrap();
    let forged_id = format!("<{prefix}.{}@{domain}>", "f".repeat(32));
    assert_ne!(forged_id, ours);
    let forged = format!(
        "From: Eve <eve@evil.example>\r\nTo: support@shop.example\r\nSubject: Re: Cannot log in\r\nMessage-ID: <forged-1@evil.example>\r\nIn-Reply-To: {forged_id}\r\nDate: Sat, 21 Nov 2026 11:06:00 +0000\r\n\r\nLet me in.\r\n"
    );
    dovecot.append("shop", "INBOX", forged.as_bytes()).await;
    poll_once(&services, inbox).await.unwrap();
    let (_, page) = api.get(&format!("/api/v1/conversations/{conv}")).await;
    let contents: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert!(contents.contains(&"Writing from work."), "{contents:?}");
    assert!(
        !contents.contains(&"Let me in."),
        "a forged id joined the conversation: {contents:?}"
    );
    // The server is down: the reply waits and goes out once it is back.
    sink.stop();
    let (_, m2) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "Second answer"}),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let m2 = wait_status(&api, conv, m2["id"].as_u64().unwrap(), "pending").await;
    sink.restart();
    app.clock.advance_secs(61);
    wait_status(&api, conv, m2["id"].as_u64().unwrap(), "sent").await;
    assert_eq!(sink.messages().len(), 2);
    // "Send transcript": the conversation so far (not notes) mailed to the contact.
    let (s, _) = api
        .post(
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"content": "internal: VIP customer", "private": true}),
        )
        .await;
    assert!(s.is_success());
    let (s, t) = api
        .post(
            &format!("/api/v1/conversations/{conv}/transcript"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["transcript"], true);
    assert_eq!(
        t["content"],
        "Transcript emailed to maria.lopez@example.org"
    );
    let got = sink.wait_for(3, std::time::Duration::from_secs(10)).await;
    let transcript = got[2].text();
    assert!(
        transcript.contains("Subject: Transcript of your conversation with Support"),
        "{transcript}"
    );
    for line in [
        "Hola Maria, ya puedes entrar.",
        "Gracias, ya funciona.",
        "Second answer",
    ] {
        assert!(transcript.contains(line), "{line} missing: {transcript}");
    }
    assert!(!transcript.contains("VIP"), "a note leaked: {transcript}");
    wait_status(&api, conv, t["id"].as_u64().unwrap(), "sent").await;
    // A permanent refusal (550) fails the message with the server's words.
    let reject = format!(
        "From: Rita <{}me@example.com>\r\nTo: support@shop.example\r\nSubject: Hello\r\nMessage-ID: <rita-1@example.com>\r\nDate: Sat, 21 Nov 2026 11:00:00 +0000\r\n\r\nHi there\r\n",
        super::mail_servers::REJECT_PREFIX
    );
    dovecot.append("shop", "INBOX", reject.as_bytes()).await;
    poll_once(&services, inbox).await.unwrap();
    let (_, list) = api.get("/api/v1/conversations?view=unassigned").await;
    let rita = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["contact"]["name"] == "Rita")
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    let (_, m3) = api
        .post(
            &format!("/api/v1/conversations/{rita}/messages"),
            json!({"content": "Hello Rita"}),
        )
        .await;
    let failed = wait_status(&api, rita, m3["id"].as_u64().unwrap(), "failed").await;
    assert!(
        failed["error"].as_str().unwrap().contains("550"),
        "{failed}"
    );
    app.stop().await;
}
