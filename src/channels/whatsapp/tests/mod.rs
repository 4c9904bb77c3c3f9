use super::*;
use crate::channels::seam::{Identity, InboundEvent, InboundMessage, StatusTarget, StatusUpdate};
use serde_json::Value;

mod outbound;

const SECRET: &str = "whatsapp-app-secret";

pub(super) fn provider() -> WhatsApp {
    WhatsApp::new(Config {
        phone_number_id: "106540352242922".into(),
        access_token: "EAAJB-token".into(),
        app_secret: SECRET.into(),
        verify_token: "verify-me".into(),
        api_base: String::new(),
    })
}

fn signed(body: &str) -> RawRequest {
    RawRequest {
        method: "POST".into(),
        headers: vec![(
            "x-hub-signature-256".into(),
            meta::signature(SECRET, body.as_bytes()),
        )],
        body: body.as_bytes().to_vec(),
        ..RawRequest::default()
    }
}

fn events(fixture: &str) -> Vec<InboundEvent> {
    match provider().receive(&signed(fixture), Timestamp(0)) {
        Ok(Accepted::Events(e)) => e,
        other => panic!("{other:?}"),
    }
}

fn messages(fixture: &str) -> Vec<InboundMessage> {
    events(fixture)
        .into_iter()
        .filter_map(|e| match e {
            InboundEvent::Message(m) => Some(m),
            _ => None,
        })
        .collect()
}

pub(super) fn ok(status: u16, body: Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![],
        body: serde_json::to_vec(&body).unwrap(),
    }
}

#[test]
fn a_text_message_has_its_sender_name_and_time() {
    let m = messages(include_str!("../fixtures/text.json"));
    assert_eq!(
        m,
        vec![InboundMessage {
            source_id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=".into(),
            from: Identity::Phone("+16505551234".into()),
            name: Some("Sheena Nelson".into()),
            text: "Does it come in another color?".into(),
            at: Some(Timestamp(1_749_416_383_000)),
            media: vec![],
        }]
    );
}

#[test]
fn the_one_contact_names_a_sender_spelled_differently() {
    let body = include_str!("../fixtures/text.json")
        .replace("\"from\": \"16505551234\"", "\"from\": \"165055512340\"");
    let m = messages(&body);
    assert_eq!(m[0].from, Identity::Phone("+165055512340".into()));
    assert_eq!(m[0].name.as_deref(), Some("Sheena Nelson"));
}

#[test]
fn unsigned_or_wrongly_signed_notifications_are_refused() {
    let body = include_str!("../fixtures/text.json");
    let mut req = signed(body);
    req.headers.clear();
    assert!(matches!(
        provider().receive(&req, Timestamp(0)),
        Err(Refused::Unauthorized(_))
    ));
    req.headers.push((
        "x-hub-signature-256".into(),
        meta::signature("not the secret", body.as_bytes()),
    ));
    assert!(matches!(
        provider().receive(&req, Timestamp(0)),
        Err(Refused::Unauthorized(_))
    ));
}

#[test]
fn the_handshake_goes_through_receive() {
    let req = RawRequest {
        method: "GET".into(),
        query: "hub.mode=subscribe&hub.challenge=42&hub.verify_token=verify-me".into(),
        ..RawRequest::default()
    };
    assert_eq!(
        provider().receive(&req, Timestamp(0)),
        Ok(Accepted::Challenge("42".into()))
    );
}

#[test]
fn media_messages_carry_their_media_id_mime_and_caption() {
    let m = messages(include_str!("../fixtures/media.json"));
    let kinds: Vec<(MediaKind, &str, &str)> = m
        .iter()
        .map(|m| {
            (
                m.media[0].kind,
                m.media[0].locator.as_str(),
                m.text.as_str(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (MediaKind::Image, "1003383421387256", "This one, in blue"),
            (MediaKind::Document, "1220936969271032", "The invoice"),
            (MediaKind::Voice, "1160396132325337", ""),
            (MediaKind::Audio, "1054396563292218", ""),
            (MediaKind::Video, "1021305006331520", ""),
            (MediaKind::Sticker, "1287366542567187", ""),
        ]
    );
    assert_eq!(m[1].media[0].filename.as_deref(), Some("invoice-2291.pdf"));
    assert_eq!(m[1].media[0].mime.as_deref(), Some("application/pdf"));
    assert_eq!(
        m[2].media[0].mime.as_deref(),
        Some("audio/ogg; codecs=opus")
    );
    assert!(m.iter().all(|m| m.name.as_deref() == Some("Sheena Nelson")));
}

#[test]
fn locations_and_contacts_read_as_lines() {
    let m = messages(include_str!("../fixtures/location_contacts.json"));
    assert_eq!(
        m[0].text,
        "Location: Philz Coffee, 101 Forest Ave, Palo Alto, CA 94301 \
         (37.44216251868683, -122.16153582049394)"
    );
    assert_eq!(
        m[1].text,
        "Contact: Barbara J. Johnson, +1 (650) 555-1235 (work), bjohnson@example.com\n\
         Contact: Pablo Morales, +34 600 111 222"
    );
}

#[test]
fn replies_and_reactions_read_as_what_was_chosen() {
    let texts: Vec<String> = messages(include_str!("../fixtures/replies.json"))
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(
        texts,
        vec![
            "Change",
            "Priority Mail Express",
            "Stop promotions",
            "reacted 👍 to a message",
            "removed a reaction from a message",
        ]
    );
}

#[test]
fn unknown_and_broken_messages_become_lines_without_stopping_the_batch() {
    let m = messages(include_str!("../fixtures/unsupported.json"));
    let got: Vec<(&str, &str)> = m
        .iter()
        .map(|m| (m.source_id.as_str(), m.text.as_str()))
        .collect();
    // The message without a sender cannot be attributed; every other one is kept.
    assert_eq!(
        got,
        vec![
            (
                "wamid.UNSUPPORTED1",
                "[unsupported WhatsApp message: unsupported]"
            ),
            ("wamid.ORDER1", "[unsupported WhatsApp message: order]"),
            (
                "wamid.BROKENIMAGE1",
                "[unsupported WhatsApp message: image]"
            ),
            ("wamid.TEXT2", "Still there?"),
        ]
    );
    assert!(m[2].media.is_empty());
}

#[test]
fn statuses_move_messages_and_failures_carry_code_and_words() {
    let st: Vec<StatusUpdate> = events(include_str!("../fixtures/statuses.json"))
        .into_iter()
        .filter_map(|e| match e {
            InboundEvent::Status(s) => Some(s),
            _ => None,
        })
        .collect();
    let seen: Vec<(StatusTarget, DeliveryStatus)> =
        st.iter().map(|s| (s.target.clone(), s.status)).collect();
    let sent1 = || StatusTarget::Message("wamid.SENT1".into());
    assert_eq!(
        seen,
        vec![
            (sent1(), DeliveryStatus::Sent),
            (sent1(), DeliveryStatus::Delivered),
            (sent1(), DeliveryStatus::Read),
            (
                StatusTarget::Message("wamid.FAILED1".into()),
                DeliveryStatus::Failed
            ),
        ]
    );
    assert_eq!(st[0].at, Some(Timestamp(1_750_263_773_000)));
    let err = st[3].error.clone().unwrap();
    assert_eq!(err.code, "131047");
    assert!(
        err.text.starts_with(
            "Re-engagement message: Message failed to send because more than 24 hours"
        )
    );
    assert!(st[..3].iter().all(|s| s.error.is_none()));
}

#[test]
fn notifications_for_another_object_are_refused() {
    let body = r#"{"object":"page","entry":[]}"#;
    assert!(matches!(
        provider().receive(&signed(body), Timestamp(0)),
        Err(Refused::BadRequest(_))
    ));
}
