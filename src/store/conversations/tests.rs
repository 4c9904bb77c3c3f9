use super::ingest::read_position;
use super::*;
use crate::domain::TeamId;
use crate::domain::contact::Identity;
use crate::domain::conversation::{Actor, EventKind};
use crate::domain::conversation::{ContactId, Event, MessageId};
use crate::domain::message::Message;
use crate::domain::message::{DeliveryStatus, Direction};
use crate::store::Position;

/// Every stored shape survives the codec (enums with data, unit variants, options).
#[test]
fn every_timeline_and_conversation_shape_round_trips() {
    let kinds = vec![
        EventKind::Created,
        EventKind::Assigned {
            to: Some(AgentId(1)),
        },
        EventKind::Assigned { to: None },
        EventKind::TeamChanged {
            to: Some(TeamId(2)),
        },
        EventKind::Closed {
            note: Some("n".into()),
        },
        EventKind::Closed { note: None },
        EventKind::Reopened,
        EventKind::Snoozed {
            until: Timestamp(5),
        },
        EventKind::Woke,
        EventKind::ContactBlocked,
        EventKind::ContactUnblocked,
        EventKind::EmailConfirmed {
            email: "a@b.example".into(),
        },
    ];
    for (i, kind) in kinds.into_iter().enumerate() {
        for actor in [Actor::Agent(AgentId(3)), Actor::Contact, Actor::System] {
            let item = TimelineItem::Event(
                MessageId(i as u64),
                Event {
                    actor,
                    at: Timestamp(9),
                    kind: kind.clone(),
                },
            );
            let back: TimelineItem =
                super::super::codec::decode(&super::super::codec::encode(&item).unwrap()).unwrap();
            assert_eq!(back, item);
        }
    }
    let m = TimelineItem::Message(Message {
        id: MessageId(1),
        conversation_id: ConversationId(2),
        direction: Direction::Note,
        author: Some(AgentId(1)),
        content: "x".into(),
        created_at: Timestamp(1),
        status: DeliveryStatus::Failed,
        status_times: vec![(DeliveryStatus::Pending, Timestamp(1))],
        error: Some("e".into()),
        source_id: None,
        mentions: vec![AgentId(4)],
        email: Some(crate::domain::message::MailMeta {
            subject: "s".into(),
            has_html: true,
            full_text: Some("f".into()),
            ..Default::default()
        }),
        attachments: vec![crate::domain::message::AttachmentMeta {
            filename: "a.pdf".into(),
            mime: "application/pdf".into(),
            size: 3,
            stored: true,
            inline: false,
            content_id: None,
            ..crate::domain::message::AttachmentMeta::default()
        }],
        notes: vec!["n".into()],
        via_email: true,
        transcript: false,
        sender: None,
        whatsapp_template: None,
    });
    assert_eq!(
        super::super::codec::decode::<TimelineItem>(&super::super::codec::encode(&m).unwrap())
            .unwrap(),
        m
    );
    for status in [
        Status::Open,
        Status::Closed,
        Status::Snoozed {
            until: Timestamp(7),
        },
    ] {
        let (mut c, _) = Conversation::start(
            ConversationId(1),
            InboxId(1),
            ContactId(1),
            "n".into(),
            "t".into(),
            Default::default(),
            Timestamp(0),
        );
        c.status = status;
        c.team = Some(TeamId(3));
        assert_eq!(
            super::super::codec::decode::<Conversation>(&super::super::codec::encode(&c).unwrap())
                .unwrap(),
            c
        );
    }
}

crate::store::test_support::on_both_engines!(
    message_parts_live_and_die_with_their_message,
    another_inbox_neither_fills_a_contact_nor_moves_an_address,
    a_third_party_joining_by_token_changes_nothing_of_the_conversation,
    one_phone_is_one_contact_across_whatsapp_and_sms,
    a_handle_finds_its_contact_and_is_where_replies_go,
    a_message_alone_gets_a_conversation_of_its_own,
    positions_move_forward_within_an_epoch,
);

fn mail(source: &str) -> InboundMessage {
    InboundMessage {
        inbox_id: InboxId(1),
        source_id: Some(source.into()),
        sender: InboundSender::of(
            Some("Ana".into()),
            None,
            Some("ana@example.com".into()),
            None,
        ),
        thread: Thread::Latest,
        position: None,
        content: "see attached".into(),
        at: Timestamp(10),
        token: "tok".into(),
        quiet: false,
        mail: None,
    }
}

/// Parts are written with their message, read back whole across chunks, never written
/// by a duplicate, and deleted with their conversation.
fn message_parts_live_and_die_with_their_message(store: &Store) {
    use super::super::attachments::CHUNK_BYTES;
    use super::super::{InboundParts, Part};
    let big: Vec<u8> = (0..CHUNK_BYTES * 2 + 7).map(|i| (i % 251) as u8).collect();
    let parts = InboundParts {
        attachments: vec![],
        notes: vec!["a note".into()],
        bytes: vec![
            (Part::Html, b"<p>hi</p>".to_vec()),
            (Part::Attachment(0), big.clone()),
            (Part::Attachment(1), vec![]),
        ],
    };
    let ids = |n: u64| [n, n + 1, n + 2, n + 3, n + 4];
    let r = store
        .ingest_with_parts(&mail("m1"), ids(100), &parts)
        .unwrap();
    let (conv, msg) = (r.conversation_id, r.message_id);
    assert_eq!(
        store.message_part(conv, msg, Part::Attachment(0)).unwrap(),
        Some(big)
    );
    assert_eq!(
        store.message_part(conv, msg, Part::Html).unwrap(),
        Some(b"<p>hi</p>".to_vec())
    );
    assert_eq!(
        store.message_part(conv, msg, Part::Attachment(1)).unwrap(),
        Some(vec![]),
        "an empty file is stored, not absent"
    );
    assert_eq!(
        store.message_part(conv, msg, Part::Attachment(2)).unwrap(),
        None
    );
    assert_eq!(store.part_chunks_of(conv).unwrap(), 5);
    let m = store.message(conv, msg).unwrap().unwrap();
    assert_eq!(m.notes, vec!["a note".to_string()]);
    // The same mail again: a duplicate, nothing new written.
    let again = store
        .ingest_with_parts(&mail("m1"), ids(200), &parts)
        .unwrap();
    assert!(again.duplicate);
    assert_eq!(
        store
            .message_part(conv, MessageId(204), Part::Html)
            .unwrap(),
        None
    );
    assert_eq!(store.part_chunks_of(conv).unwrap(), 5);
    // Another conversation's parts survive the deletion of this one.
    let mut other = mail("m2");
    other.sender = InboundSender::of(
        Some("Ana".into()),
        None,
        Some("luis@example.com".into()),
        None,
    );
    let o = store.ingest_with_parts(&other, ids(300), &parts).unwrap();
    assert_ne!(o.conversation_id, conv);
    let audit = (
        store.generate_id().unwrap(),
        AuditEntry {
            at: Timestamp(11),
            actor: None,
            actor_name: "test".into(),
            action: "conversation.delete".into(),
            target: String::new(),
            detail: String::new(),
        },
    );
    store.delete_conversation(conv, &audit).unwrap();
    assert_eq!(store.part_chunks_of(conv).unwrap(), 0);
    assert_eq!(store.message_part(conv, msg, Part::Html).unwrap(), None);
    assert_eq!(store.part_chunks_of(o.conversation_id).unwrap(), 5);
}

/// A message fills a contact's empty fields only while no other inbox knows the contact;
/// the contact learns every inbox it is known in; a conversation's address is fixed.
fn another_inbox_neither_fills_a_contact_nor_moves_an_address(store: &Store) {
    let first = store.ingest(&mail("a"), [1, 2, 3, 4, 5]).unwrap();
    let other = InboundMessage {
        inbox_id: InboxId(2),
        sender: InboundSender::of(
            Some("Someone Else".into()),
            None,
            Some("ana@example.com".into()),
            Some("+34611222333".into()),
        ),
        ..mail("b")
    };
    let second = store.ingest(&other, [6, 7, 8, 9, 10]).unwrap();
    let c1 = first.conversation.unwrap();
    let c2 = second.conversation.unwrap();
    assert_eq!(c1.contact_id, c2.contact_id, "one person, one contact");
    let contact = store.contact(c1.contact_id).unwrap().unwrap();
    assert_eq!(contact.phone, None, "inbox 2 wrote nothing into it");
    assert_eq!(contact.name, "Ana");
    assert_eq!(contact.inboxes, vec![InboxId(1), InboxId(2)]);
    assert_eq!(c2.identity.phone.as_deref(), Some("+34611222333"));
    assert_eq!(c2.identity.name, "Someone Else");
    assert_eq!(c1.identity.email.as_deref(), Some("ana@example.com"));
    assert!(c1.identity.email_verified);
}

/// Someone else's mail that joins a conversation by its token keeps the conversation's
/// contact, name and address, and carries its own sender.
fn a_third_party_joining_by_token_changes_nothing_of_the_conversation(store: &Store) {
    let first = store.ingest(&mail("a"), [1, 2, 3, 4, 5]).unwrap();
    let conv = first.conversation.unwrap();
    let stranger = InboundMessage {
        sender: InboundSender::of(
            Some("Mallory".into()),
            None,
            Some("mallory@evil.example".into()),
            None,
        ),
        thread: Thread::Reply {
            token: conv.token.clone(),
            inboxes: vec![],
        },
        ..mail("b")
    };
    let r = store.ingest(&stranger, [6, 7, 8, 9, 10]).unwrap();
    assert_eq!(r.conversation_id, conv.id);
    let after = r.conversation.unwrap();
    assert_eq!(
        (after.contact_id, &after.contact_name, &after.identity),
        (conv.contact_id, &conv.contact_name, &conv.identity)
    );
    let msg = store.message(conv.id, r.message_id).unwrap().unwrap();
    let sender = msg.sender.unwrap();
    assert_ne!(sender.contact, conv.contact_id);
    assert_eq!(
        (sender.name.as_str(), sender.address.as_deref()),
        ("Mallory", Some("mallory@evil.example"))
    );
}

/// A number known from WhatsApp writing by SMS joins that contact, in a new conversation
/// of the SMS inbox; both conversations keep the number as their reply address.
fn one_phone_is_one_contact_across_whatsapp_and_sms(store: &Store) {
    let phone = |inbox: u64, source: &str, name: Option<&str>| InboundMessage {
        inbox_id: InboxId(inbox),
        sender: InboundSender {
            name: name.map(str::to_string),
            identities: vec![Identity::Phone("+34600111222".into())],
            claimed_email: None,
        },
        ..mail(source)
    };
    let wa = store
        .ingest(&phone(7, "wamid.1", Some("Ana")), [1, 2, 3, 4, 5])
        .unwrap();
    let sms = store
        .ingest(&phone(8, "SM1", None), [6, 7, 8, 9, 10])
        .unwrap();
    assert_ne!(wa.conversation_id, sms.conversation_id);
    let (a, b) = (wa.conversation.unwrap(), sms.conversation.unwrap());
    assert_eq!(a.contact_id, b.contact_id, "one person, one contact");
    assert_eq!(b.identity.phone.as_deref(), Some("+34600111222"));
    let contact = store.contact(a.contact_id).unwrap().unwrap();
    assert_eq!(contact.inboxes, vec![InboxId(7), InboxId(8)]);
}

/// A Telegram id finds the contact it was first seen with, is kept on the contact and
/// on the conversation (where replies go), and a Messenger id is a different person.
fn a_handle_finds_its_contact_and_is_where_replies_go(store: &Store) {
    let from = |handle: Identity, source: &str| InboundMessage {
        inbox_id: InboxId(3),
        sender: InboundSender {
            name: Some("Luis".into()),
            identities: vec![handle],
            claimed_email: None,
        },
        ..mail(source)
    };
    let tg = Identity::Telegram("4242".into());
    let first = store
        .ingest(&from(tg.clone(), "1"), [1, 2, 3, 4, 5])
        .unwrap();
    let again = store
        .ingest(&from(tg.clone(), "2"), [6, 7, 8, 9, 10])
        .unwrap();
    assert_eq!(first.conversation_id, again.conversation_id);
    let conv = again.conversation.unwrap();
    assert_eq!(conv.identity.handle, Some(tg.clone()));
    let contact = store.contact(conv.contact_id).unwrap().unwrap();
    assert_eq!(contact.handles, vec![tg]);
    let other = store
        .ingest(
            &from(Identity::Messenger("4242".into()), "3"),
            [11, 12, 13, 14, 15],
        )
        .unwrap();
    assert_ne!(other.conversation.unwrap().contact_id, contact.id);
}

/// `Thread::Alone` (a mail with no address at all) never joins an earlier conversation,
/// even one of the same (address-less) sender.
fn a_message_alone_gets_a_conversation_of_its_own(store: &Store) {
    let alone = |source: &str| InboundMessage {
        sender: InboundSender {
            name: Some("Facebook".into()),
            identities: vec![],
            claimed_email: None,
        },
        thread: Thread::Alone,
        ..mail(source)
    };
    let a = store.ingest(&alone("x1"), [1, 2, 3, 4, 5]).unwrap();
    let b = store.ingest(&alone("x2"), [6, 7, 8, 9, 10]).unwrap();
    assert!(a.created && b.created);
    assert_ne!(a.conversation_id, b.conversation_id);
    let dup = store.ingest(&alone("x2"), [11, 12, 13, 14, 15]).unwrap();
    assert!(dup.duplicate, "still deduped on its source id");
}

/// A reader's position moves only forward within an epoch, a new epoch replaces it,
/// offsets beyond 32 bits survive, and positions stored as 8 bytes still read.
fn positions_move_forward_within_an_epoch(store: &Store) {
    let at = |epoch: u32, offset: u64| Position {
        stream: "telegram".into(),
        epoch,
        offset,
    };
    let inbox = InboxId(5);
    store
        .advance_position(inbox, &at(0, 5_000_000_000))
        .unwrap();
    store.advance_position(inbox, &at(0, 10)).unwrap();
    assert_eq!(
        store.position(inbox, "telegram").unwrap(),
        Some((0, 5_000_000_000))
    );
    store.advance_position(inbox, &at(1, 10)).unwrap();
    assert_eq!(store.position(inbox, "telegram").unwrap(), Some((1, 10)));
    assert_eq!(store.position(inbox, "INBOX").unwrap(), None);
    assert_eq!(read_position(&[0, 0, 0, 9, 0, 0, 1, 0]), Some((9, 256)));
    assert_eq!(read_position(&[0, 0, 0, 9]), None);
}
