use super::*;
use crate::domain::TeamId;
use crate::domain::conversation::{Actor, EventKind};
use crate::domain::message::{DeliveryStatus, Direction};

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
        email: None,
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
