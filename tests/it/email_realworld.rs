//! Real-world mail through a real Dovecot (fixtures 20-35 of `tests/fixtures/email/`):
//! mail without a usable sender address stands alone and cannot be answered, mails that
//! differ only in subject or attachments are all kept (and mail stored under the key of
//! the previous release is still recognised), charsets and HTML newsletters read right.

use super::common::*;
use super::mail_servers::Dovecot;
use charla::channels::email::{Limits, legacy_content_key, parse};
use charla::domain::conversation::{ConversationId, MessageId};
use charla::domain::message::MailMeta;
use charla::domain::{InboxId, Timestamp};
use charla::store::{InboundMessage, InboundSender, Thread};
use charla::workers::mail::poll_once;
use reqwest::StatusCode;
use serde_json::json;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/email/{name}.eml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

struct World {
    dovecot: Dovecot,
    app: TestApp,
    api: Api,
    inbox: InboxId,
}

impl World {
    async fn new() -> World {
        let dovecot = Dovecot::start();
        let app = TestApp::start().await;
        let admin = app.admin().await;
        let api = Api::for_client(&admin).await;
        let (s, v) = api
            .post(
                "/api/v1/inboxes",
                json!({"name": "Support", "channel": "email", "member_ids": [], "email": {
                    "imap": {"host": "127.0.0.1", "port": dovecot.port(), "security": "none", "username": "shop", "password": "secret", "folder": "INBOX"},
                    "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none"},
                    "from_name": "Shop", "from_address": "support@charla.test", "poll_seconds": 3600
                }}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let inbox = InboxId(v["id"].as_u64().unwrap());
        World {
            dovecot,
            app,
            api,
            inbox,
        }
    }

    async fn deliver(&self, names: &[&str]) {
        for n in names {
            self.dovecot.append("shop", "INBOX", &fixture(n)).await;
        }
        poll_once(&self.app.services(), self.inbox).await.unwrap();
    }

    /// Every (conversation, contact's email, message text) of the inbox.
    async fn messages(&self) -> Vec<(u64, Option<String>, String)> {
        let store = self.app.services().store.clone();
        let mut out = Vec::new();
        let (_, v) = self.api.get("/api/v1/conversations?view=all").await;
        for c in v["conversations"].as_array().unwrap() {
            let id = c["id"].as_u64().unwrap();
            let conv = store.conversation(ConversationId(id)).unwrap().unwrap();
            let email = store.contact(conv.contact_id).unwrap().unwrap().email;
            let (_, page) = self.api.get(&format!("/api/v1/conversations/{id}")).await;
            for m in page["messages"].as_array().unwrap() {
                let text = m["content"].as_str().unwrap().to_string();
                out.push((id, email.clone(), text));
            }
        }
        out
    }

    async fn find(&self, needle: &str) -> (u64, Option<String>) {
        let all = self.messages().await;
        let (c, e, _) = all
            .iter()
            .find(|(_, _, t)| t.contains(needle))
            .unwrap_or_else(|| panic!("no message with {needle:?} in {all:?}"));
        (*c, e.clone())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs dovecot; run ./scripts/test (it installs it)"]
async fn mail_without_an_address_stands_alone_and_replies_to_it_are_refused() {
    let w = World::new().await;
    // Two different mails from `"Facebook" <>`, one with a Reply-To, one with only a
    // Return-Path.
    let second = String::from_utf8(fixture("20-from-empty-address"))
        .unwrap()
        .replace("notif-1@", "notif-2@")
        .replace("Ana and 2 others", "Luis and 5 others");
    w.dovecot.append("shop", "INBOX", second.as_bytes()).await;
    w.deliver(&[
        "20-from-empty-address",
        "21-from-bare-name-reply-to",
        "22-from-garbage-return-path",
    ])
    .await;
    let (ana, ana_email) = w.find("Ana and 2 others").await;
    let (luis, luis_email) = w.find("Luis and 5 others").await;
    assert_ne!(
        ana, luis,
        "each mail without an address has its own conversation"
    );
    assert_eq!((ana_email, luis_email), (None, None));
    assert!(
        !w.messages()
            .await
            .iter()
            .any(|(_, e, _)| e.as_deref() == Some("unknown@invalid"))
    );
    assert_eq!(
        w.find("A new login").await.1.as_deref(),
        Some("notify@facebookmail.example")
    );
    assert_eq!(
        w.find("five new articles").await.1.as_deref(),
        Some("bounces+abc123@mailer.example")
    );
    // An agent's reply is refused, with the reason, and nothing is queued.
    let (s, v) = w
        .api
        .post(
            &format!("/api/v1/conversations/{ana}/messages"),
            json!({"content": "Hello?"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(
        v.to_string()
            .contains("this mail came without an address to reply to"),
        "{v}"
    );
    let (_, page) = w.api.get(&format!("/api/v1/conversations/{ana}")).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 1, "{page}");
    // A private note is still fine.
    let (s, v) = w
        .api
        .post(
            &format!("/api/v1/conversations/{ana}/messages"),
            json!({"content": "spam, ignore", "private": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    w.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs dovecot; run ./scripts/test (it installs it)"]
async fn mails_differing_in_subject_or_attachment_are_kept_and_old_keys_still_match() {
    let w = World::new().await;
    // What the previous release stored for mail 23: the same mail under its old key.
    let old = parse(&fixture("23-no-id-subject-a"), &Limits::default());
    let store = w.app.services().store.clone();
    let ids = [0; 5].map(|_| store.generate_id().unwrap());
    store
        .ingest(
            &InboundMessage {
                inbox_id: w.inbox,
                source_id: Some(legacy_content_key(&old)),
                sender: InboundSender::of(
                    Some("Web Form".into()),
                    None,
                    Some("form@shop.example".into()),
                    None,
                ),
                content: old.text.clone(),
                at: Timestamp(old.date.unwrap()),
                token: "0123456789abcdef0123456789abcdef".into(),
                position: None,
                thread: Thread::Latest,
                quiet: false,
                mail: Some(MailMeta {
                    subject: old.subject.clone(),
                    ..MailMeta::default()
                }),
            },
            ids,
        )
        .unwrap();
    // A full fetch (as after a UIDVALIDITY change) brings 23 again, plus mails the old
    // key could not tell from it, plus one mail twice.
    w.deliver(&[
        "23-no-id-subject-a",
        "24-no-id-subject-b",
        "25-no-id-attachment-a",
        "26-no-id-attachment-b",
        "25-no-id-attachment-a",
    ])
    .await;
    let all = w.messages().await;
    let count = |t: &str| all.iter().filter(|(_, _, m)| m.contains(t)).count();
    assert_eq!(
        count("New order received."),
        2,
        "23 once (old key), 24 kept: {all:?}"
    );
    assert_eq!(count("Scanned document"), 2, "25 once, 26 kept: {all:?}");
    assert_eq!(all.len(), 4);
    // Each mail skipped as a duplicate is logged at info: folder, UID, the key matched.
    let log = Log::default();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_writer(log.clone())
        .with_ansi(false)
        .finish();
    {
        // The test's own thread runs this future, before and after the blocking part.
        let _quiet = tracing::subscriber::set_default(subscriber);
        let services = w.app.services();
        for (uid, name) in [(901, "25-no-id-attachment-a"), (902, "23-no-id-subject-a")] {
            let r = services
                .ingest_mail(w.inbox, "INBOX", 7, uid, fixture(name))
                .await
                .unwrap();
            assert!(r.duplicate);
        }
    }
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("mail skipped as a duplicate"))
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].contains(" INFO ")
            && lines[0].contains("folder=\"INBOX\"")
            && lines[0].contains("uid=901")
            && lines[0].contains("key=\"content key\"")
            && lines[0].contains("no Message-ID"),
        "{text}"
    );
    assert!(
        lines[1].contains("uid=902") && lines[1].contains("before subject and attachments"),
        "{text}"
    );
    w.app.stop().await;
}

/// A log sink for one test.
#[derive(Clone, Default)]
struct Log(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Log {
    type Writer = Log;
    fn make_writer(&'a self) -> Log {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs dovecot; run ./scripts/test (it installs it)"]
async fn charsets_newsletters_and_bad_base64_read_right() {
    let w = World::new().await;
    w.deliver(&[
        "27-8bit-windows-1252",
        "29-shift-jis",
        "34-html-newsletter",
        "35-bad-base64",
    ])
    .await;
    let all = w.messages().await;
    let texts: Vec<&str> = all.iter().map(|(_, _, t)| t.as_str()).collect();
    assert!(
        texts.contains(&"Bonjour, je voudrais réserver une table … pour 4 personnes. 20 €"),
        "{texts:?}"
    );
    assert!(
        texts.contains(&"ハロー・ワールド、注文番号 42。"),
        "{texts:?}"
    );
    assert!(
        texts.contains(&"Hello Ana,\nOur winter menu is here.\nSee you soon."),
        "{texts:?}"
    );
    assert!(
        texts.contains(&"Hello there this is plain text\nsent by a broken mailer"),
        "{texts:?}"
    );
    // The raw 8-bit subject is decoded, so our reply's subject is too.
    let (conv, _) = w.find("Bonjour").await;
    let (_, page) = w.api.get(&format!("/api/v1/conversations/{conv}")).await;
    let id = MessageId(page["messages"][0]["id"].as_u64().unwrap());
    let stored = w.app.services().store.message(ConversationId(conv), id);
    let subject = stored.unwrap().unwrap().email.unwrap().subject;
    assert_eq!(subject, "Réservation – café “spécial”");
    w.app.stop().await;
}
