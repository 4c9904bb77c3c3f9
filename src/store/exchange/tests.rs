use super::*;
use crate::domain::contact::Identity;
use crate::domain::conversation::Status;
use crate::domain::message::{AttachmentMeta, DeliveryStatus, Direction, MailMeta};
use crate::domain::{AuditEntry, ChannelKind, Role};
use crate::store::engine::Range;
use crate::store::test_support::{TestEngine, TestStore, on_both_engines};
use crate::store::{
    Change, InboundMessage, InboundParts, InboundSender, Job, Part, Position, Thread,
};

#[test]
fn every_keyspace_is_carried_one_way() {
    let named: Vec<&str> = KEYSPACES.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        named,
        schema::TREES,
        "a new keyspace must be exported, derived or declared runtime state (docs/export.md)"
    );
}

fn audit(id: u64, at: i64) -> (u64, AuditEntry) {
    (
        id,
        AuditEntry {
            at: Timestamp(at),
            actor: None,
            actor_name: "cli".into(),
            action: "test".into(),
            target: format!("thing {id}"),
            detail: String::new(),
        },
    )
}

fn agent(id: u64, role: Role) -> Agent {
    Agent {
        id: AgentId(id),
        name: format!("Agent {id}"),
        email: format!("a{id}@example.com"),
        role,
        password_hash: Some("$argon2id$v=19$stub".into()),
        active: true,
        created_at: Timestamp(1),
        password_changed_at: Timestamp(1),
        language: Some("es".into()),
        timezone: Some("Europe/Madrid".into()),
        notify: crate::domain::NotifyPrefs {
            sound: true,
            ..Default::default()
        },
        two_factor: None,
        undo_send_secs: crate::domain::account::DEFAULT_UNDO_SEND_SECS,
        signature: String::new(),
    }
}

fn inbound(inbox: u64, who: &str, source: &str, at: i64) -> InboundMessage {
    InboundMessage {
        inbox_id: InboxId(inbox),
        source_id: Some(source.into()),
        sender: InboundSender {
            name: Some(format!("{who} Pérez")),
            identities: vec![
                Identity::External(who.into()),
                Identity::Email(format!("{who}@mail.example")),
                Identity::Phone(format!("+34600{:06}", at)),
            ],
            claimed_email: None,
        },
        content: format!("Hola <b>{who}</b>\nFrom here"),
        at: Timestamp(at),
        token: format!("{:032x}", at),
        thread: Thread::Latest,
        position: Some(Position {
            stream: "INBOX".into(),
            epoch: 7,
            offset: at as u64,
        }),
        quiet: false,
        mail: Some(MailMeta {
            subject: "Pedido".into(),
            message_id: Some(format!("{source}@mail.example")),
            has_html: true,
            ..MailMeta::default()
        }),
    }
}

/// A store with a record of every kind, written by the store's own operations; answers
/// the key prefix of an upload never sent (a draft's: not exported).
fn fill(s: &Store) -> [u8; 16] {
    let ids = |s: &Store| -> [u64; 5] { std::array::from_fn(|_| s.generate_id().unwrap()) };
    let mut admin = agent(s.generate_id().unwrap(), Role::Admin);
    admin.two_factor = Some(crate::domain::TwoFactor {
        secret: "v1:sealed".into(),
        enabled_at: Timestamp(2),
        last_step: 59_333_333,
        recovery: vec!["ab12".into(), "cd34".into()],
    });
    s.insert_agent(&admin, None, &audit(1, 10)).unwrap();
    s.set_require_two_factor(true, &audit(8, 17)).unwrap();
    let luis = agent(s.generate_id().unwrap(), Role::Agent);
    let inv = Invite {
        agent_id: luis.id,
        expires_at: Timestamp(99),
    };
    s.insert_agent(&luis, Some((&[7u8; 32], &inv)), &audit(2, 11))
        .unwrap();
    let token = ApiToken {
        id: TokenId(s.generate_id().unwrap()),
        agent_id: admin.id,
        label: "ci".into(),
        created_at: Timestamp(3),
    };
    s.insert_token(&[9u8; 32], &token, &audit(3, 12)).unwrap();
    let team = Team {
        id: crate::domain::TeamId(s.generate_id().unwrap()),
        name: "Ventas".into(),
        members: vec![luis.id],
        created_at: Timestamp(4),
    };
    s.put_team(&team, false, &audit(4, 13)).unwrap();
    let inbox = Inbox {
        id: InboxId(s.generate_id().unwrap()),
        name: "Soporte".into(),
        channel: ChannelKind::Email,
        members: vec![luis.id],
        created_at: Timestamp(5),
        api_token: None,
        webhook_url: None,
        email: None,
        website: None,
        messaging: None,
        language: Some("es".into()),
    };
    s.put_inbox(&inbox, false, &audit(5, 14)).unwrap();
    for owner in [None, Some(luis.id)] {
        let r = crate::domain::saved::SavedResponse {
            id: s.generate_id().unwrap(),
            owner,
            title: "Hola".into(),
            shortcut: "hola".into(),
            body: "Hola {{contact.first_name}}".into(),
            category: "Saludos".into(),
            created_at: Timestamp(5),
            updated_at: Timestamp(6),
        };
        s.put_saved_response(&r, false).unwrap();
    }
    let template = crate::domain::template::MessageTemplate {
        id: s.generate_id().unwrap(),
        name: "Envío".into(),
        language: "es".into(),
        body: "Tu pedido {{order_number}}".into(),
        subject: Some("Pedido {{order_number}}".into()),
        created_at: Timestamp(7),
        updated_at: Timestamp(7),
        whatsapp: None,
    };
    s.put_template(&template, false).unwrap();
    let pdf = AttachmentMeta {
        filename: "factura.pdf".into(),
        mime: "application/pdf".into(),
        size: 70_000,
        stored: true,
        inline: false,
        content_id: None,
        ..AttachmentMeta::default()
    };
    // Two parts: an HTML body and an attachment over one chunk (two chunks).
    let big: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    let parts = InboundParts {
        attachments: vec![pdf, AttachmentMeta::default()],
        notes: vec!["a note".into()],
        bytes: vec![
            (Part::Html, b"<p>Hola</p>".to_vec()),
            (Part::Attachment(0), big),
            (Part::Attachment(1), Vec::new()),
        ],
    };
    let first = s
        .ingest_with_parts(&inbound(inbox.id.0, "carla", "m1", 1000), ids(s), &parts)
        .unwrap();
    let second = s
        .ingest(&inbound(inbox.id.0, "pedro", "m2", 2000), ids(s))
        .unwrap();
    let (conv, msg) = (first.conversation_id, first.message_id);
    // A note with a mention, a pending reply with its job, and a snooze.
    let (note, reply, job, ev) = (
        s.generate_id().unwrap(),
        s.generate_id().unwrap(),
        s.generate_id().unwrap(),
        s.generate_id().unwrap(),
    );
    let assigned = s.generate_id().unwrap();
    s.update_conversation(conv, |c| {
        let mut items = vec![TimelineItem::Message(Message::outgoing(
            MessageId(note),
            conv,
            luis.id,
            "@Agent mira esto".into(),
            Timestamp(3000),
            true,
            false,
        ))];
        let out = Message::outgoing(
            MessageId(reply),
            conv,
            luis.id,
            "Ya va".into(),
            Timestamp(3001),
            false,
            true,
        );
        items.push(TimelineItem::Message(out));
        // As the service records a reply (its count, and the assignment it may bring).
        items.extend(
            c.on_reply(luis.id, "Ya va", Timestamp(3001))
                .into_iter()
                .map(|e| TimelineItem::Event(MessageId(assigned), e)),
        );
        items.extend(
            c.snooze(Actor::Agent(luis.id), Timestamp(9_000), Timestamp(3002))
                .unwrap()
                .into_iter()
                .map(|e| TimelineItem::Event(MessageId(ev), e)),
        );
        c.last_activity_at = Timestamp(3002);
        Ok(Change {
            items,
            job: Some(Job::delivery(
                job,
                true,
                inbox.id,
                conv,
                MessageId(reply),
                Timestamp(3001),
            )),
            mentions: vec![admin.id],
            audit: Some(audit(6, 15)),
        })
    })
    .unwrap();
    assert!(matches!(
        s.conversation(conv).unwrap().unwrap().status,
        Status::Snoozed { .. }
    ));
    // Uploaded files: one sent with a note (two chunks), one still a draft's.
    let (sent_up, draft_up, with_file) = (
        s.generate_id().unwrap(),
        s.generate_id().unwrap(),
        s.generate_id().unwrap(),
    );
    let plan: Vec<u8> = (0..70_000u32).map(|i| (i % 241) as u8).collect();
    for (n, chunk) in plan
        .chunks(crate::store::attachments::CHUNK_BYTES)
        .enumerate()
    {
        s.put_blob_chunk(conv, sent_up, n as u32, chunk).unwrap();
    }
    s.put_blob_chunk(conv, draft_up, 0, b"draft").unwrap();
    let up = |id: u64, size: u64| crate::store::uploads::Upload {
        id,
        conversation: conv,
        by: crate::store::uploads::Uploader::Agent(luis.id.0),
        filename: "plano.pdf".into(),
        mime: "application/pdf".into(),
        size,
        at: 3003,
        voice: false,
        message: None,
    };
    s.finish_upload(&up(sent_up, 70_000)).unwrap();
    s.finish_upload(&up(draft_up, 5)).unwrap();
    s.update_conversation_claiming(
        conv,
        None,
        Some((MessageId(with_file), &[sent_up][..])),
        |_| {
            let mut m = Message::outgoing(
                MessageId(with_file),
                conv,
                luis.id,
                "El plano".into(),
                Timestamp(3004),
                true,
                false,
            );
            m.attachments = vec![AttachmentMeta {
                filename: "plano.pdf".into(),
                mime: "application/pdf".into(),
                size: 70_000,
                stored: true,
                blob: Some(sent_up),
                ..AttachmentMeta::default()
            }];
            Ok(Change {
                items: vec![TimelineItem::Message(m)],
                job: None,
                mentions: vec![],
                audit: None,
            })
        },
    )
    .unwrap();
    s.set_read(luis.id, conv, Some(Timestamp(2500))).unwrap();
    s.set_message_source(inbox.id, "out-1", conv, MessageId(reply))
        .unwrap();
    s.advance_position(
        InboxId(inbox.id.0 + 1),
        &Position {
            stream: "telegram".into(),
            epoch: 0,
            offset: u64::MAX - 5,
        },
    )
    .unwrap();
    // A deleted conversation leaves its dedupe key behind.
    s.delete_conversation(second.conversation_id, &audit(7, 16))
        .unwrap();
    assert!(s.message_part(conv, msg, Part::Html).unwrap().is_some());
    keys::id_pair(conv.0, draft_up)
}

fn export(s: &Store) -> Vec<Record> {
    let mut out = Vec::new();
    s.export_all(&mut |r| {
        out.push(r);
        Ok(())
    })
    .unwrap();
    out
}

/// Every pair of a keyspace, raw.
fn pairs(s: &Store, ks: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
    s.e.scan(ks, Range::all(), 1024)
        .collect::<std::result::Result<_, _>>()
        .unwrap()
}

on_both_engines!(per_engine: import_gives_back_the_same_store);

/// Exported then imported into an empty store, every exported and derived keyspace
/// holds the same bytes as the source, and exporting again gives the same records.
fn import_gives_back_the_same_store(engine: TestEngine) {
    let (a, b) = (TestStore::new(engine), TestStore::new(engine));
    let src = a.open().unwrap();
    let draft = fill(&src);
    let records = export(&src);
    for kind in [
        "store",
        "agent",
        "api_token",
        "invite",
        "team",
        "inbox",
        "contact",
        "contact_key",
        "latest_conversation",
        "conversation",
        "message",
        "event",
        "mail_html",
        "attachment",
        "mention",
        "dedupe",
        "read_state",
        "job",
        "position",
        "audit",
        "saved_response",
        "template",
        "upload",
        "upload_chunk",
    ] {
        assert!(
            records.iter().any(|r| r.kind() == kind),
            "the data set has no {kind} record"
        );
    }
    // Each record survives JSON (the file format) unchanged.
    for r in &records {
        let line = serde_json::to_string(r).unwrap();
        let back: Record = serde_json::from_str(&line).unwrap();
        assert_eq!(&back, r, "{line}");
    }
    let dst = Store::open_empty(&b.options()).unwrap();
    for batch in records.chunks(3) {
        dst.import_batch(batch).unwrap();
    }
    dst.finish_import().unwrap();
    // A file travels chunk by chunk: two records for 70 000 bytes; the draft's upload
    // (never sent) stays out.
    let chunks: Vec<&UploadChunkRecord> = records
        .iter()
        .filter_map(|r| match r {
            Record::UploadChunk(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(chunks.iter().map(|c| c.n).collect::<Vec<_>>(), [0, 1]);
    let uploads = records.iter().filter(|r| r.kind() == "upload").count();
    assert_eq!(uploads, 1, "only the upload sent with a message");
    let unsent = |k: &[u8]| k.starts_with(&draft);
    for (ks, (name, carried)) in KEYSPACES.iter().enumerate() {
        if *carried != Carried::Runtime {
            let mut want = pairs(&src, ks);
            if [schema::BLOB_CHUNK, schema::CONVUPLOAD_UPLOAD].contains(name) {
                let all = want.len();
                want.retain(|(k, _)| !unsent(k));
                assert_eq!(all - want.len(), 1, "{name}: the draft's upload is there");
            }
            assert_eq!(want, pairs(&dst, ks), "keyspace {name} differs");
        }
    }
    assert_eq!(export(&dst), records);
    drop(dst);
    // Now it holds data: opening it for an import is refused, and changes nothing.
    let before: Vec<_> = {
        let s = b.open().unwrap();
        (0..schema::TREES.len()).map(|ks| pairs(&s, ks)).collect()
    };
    let err = Store::open_empty(&b.options()).err().unwrap().to_string();
    assert!(err.contains("is not empty"), "{err}");
    let s = b.open().unwrap();
    let after: Vec<_> = (0..schema::TREES.len()).map(|ks| pairs(&s, ks)).collect();
    assert_eq!(before, after);
}

on_both_engines!(one_conversation_exports_alone);

fn one_conversation_exports_alone(s: &Store) {
    fill(s);
    let conv = s.conversations_after(None, 10).unwrap()[0].clone();
    let mut out = Vec::new();
    s.export_conversation(conv.id, true, &mut |r| {
        out.push(r);
        Ok(())
    })
    .unwrap();
    let kinds: Vec<&str> = out.iter().map(|r| r.kind()).collect();
    assert_eq!(kinds[0], "conversation");
    assert!(kinds.contains(&"message") && kinds.contains(&"attachment"));
    assert!(kinds.contains(&"upload") && kinds.contains(&"upload_chunk"));
    assert!(!kinds.contains(&"mention"), "mentions are about agents");
    let dir = Direction::Note;
    assert!(
        out.iter()
            .any(|r| matches!(r, Record::Message(m) if m.direction == dir))
    );
    assert!(out.iter().all(|r| match r {
        Record::Message(m) => m.conversation_id == conv.id,
        Record::Event(e) => e.conversation_id == conv.id,
        Record::Attachment(a) => a.conversation_id == conv.id,
        Record::MailHtml(h) => h.conversation_id == conv.id,
        Record::Conversation(c) => c.id == conv.id,
        Record::Upload(u) => u.conversation == conv.id,
        Record::UploadChunk(c) => c.conversation_id == conv.id,
        _ => false,
    }));
    let status = out.iter().find_map(|r| match r {
        Record::Message(m) if m.direction == Direction::Outbound => Some(m.status),
        _ => None,
    });
    assert_eq!(status, Some(DeliveryStatus::Pending));
    assert!(
        s.export_conversation(ConversationId(1), true, &mut |_| Ok(()))
            .unwrap()
            .is_none()
    );
}

/// A file written before scheduled replies kept a template's subject still reads.
#[test]
fn a_scheduled_record_without_a_subject_still_reads() {
    let line = r#"{"type":"scheduled","id":5,"conversation_id":3,"author":1,"content":"Hola","by_email":false,"send_at":9000,"created_at":10,"failed":null}"#;
    let r: Record = serde_json::from_str(line).unwrap();
    assert!(
        matches!(&r, Record::Scheduled(s) if s.subject.is_none() && s.content == "Hola"),
        "{r:?}"
    );
}
