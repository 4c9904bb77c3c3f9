use super::*;
use crate::channels::http::Method;
use crate::channels::seam::{
    Identity, InboundEvent, InboundMessage, OutboundMedia, StatusTarget, StatusUpdate, Template,
    WindowState,
};
use serde_json::{Value, json};

const SECRET: &str = "whatsapp-app-secret";

fn provider() -> WhatsApp {
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

fn ok(status: u16, body: Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![],
        body: serde_json::to_vec(&body).unwrap(),
    }
}

#[test]
fn a_text_message_has_its_sender_name_and_time() {
    let m = messages(include_str!("fixtures/text.json"));
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
fn unsigned_or_wrongly_signed_notifications_are_refused() {
    let body = include_str!("fixtures/text.json");
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
    let m = messages(include_str!("fixtures/media.json"));
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
    let m = messages(include_str!("fixtures/location_contacts.json"));
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
    let texts: Vec<String> = messages(include_str!("fixtures/replies.json"))
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
    let m = messages(include_str!("fixtures/unsupported.json"));
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
    let st: Vec<StatusUpdate> = events(include_str!("fixtures/statuses.json"))
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

fn outbound(text: &str, media: Vec<OutboundMedia>, window: WindowState) -> OutboundMessage {
    OutboundMessage {
        to: Identity::Phone("+16505551234".into()),
        text: text.into(),
        media,
        template: None,
        window,
    }
}

fn file(kind: MediaKind, url: &str, filename: &str) -> OutboundMedia {
    OutboundMedia {
        kind,
        url: url.into(),
        mime: "application/octet-stream".into(),
        filename: filename.into(),
    }
}

fn body_of(req: &HttpRequest) -> Value {
    serde_json::from_slice(&req.body).unwrap()
}

#[test]
fn a_text_reply_posts_to_the_phone_numbers_messages_with_the_token() {
    let req = provider()
        .send(&outbound(
            "Yes, in blue and green",
            vec![],
            WindowState::Open,
        ))
        .unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(
        req.url,
        "https://graph.facebook.com/v21.0/106540352242922/messages"
    );
    assert!(
        req.headers
            .contains(&("authorization".into(), "Bearer EAAJB-token".into()))
    );
    assert_eq!(
        body_of(&req),
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "16505551234",
            "type": "text",
            "text": {"preview_url": false, "body": "Yes, in blue and green"}
        })
    );
}

#[test]
fn files_go_by_link_one_per_message_with_the_caption_on_the_first() {
    let msg = outbound(
        "Your invoice and the photo",
        vec![
            file(
                MediaKind::Document,
                "https://files.example/inv.pdf",
                "inv.pdf",
            ),
            file(MediaKind::Image, "https://files.example/p.jpg", "p.jpg"),
        ],
        WindowState::Open,
    );
    let p = provider();
    let parts = p.parts(&msg);
    assert_eq!(parts.len(), 2);
    let bodies: Vec<Value> = parts.iter().map(|m| body_of(&p.send(m).unwrap())).collect();
    assert_eq!(bodies[0]["type"], "document");
    assert_eq!(
        bodies[0]["document"],
        json!({"link": "https://files.example/inv.pdf", "caption": "Your invoice and the photo", "filename": "inv.pdf"})
    );
    assert_eq!(
        bodies[1]["image"],
        json!({"link": "https://files.example/p.jpg"})
    );
    // Sent whole, the two files cannot go in one request.
    assert!(matches!(p.send(&msg), Err(SendError::Permanent(_))));
}

#[test]
fn text_with_a_file_that_takes_no_caption_goes_first_on_its_own() {
    let msg = outbound(
        "Listen to this",
        vec![file(
            MediaKind::Voice,
            "https://files.example/v.ogg",
            "v.ogg",
        )],
        WindowState::Open,
    );
    let p = provider();
    let parts = p.parts(&msg);
    let bodies: Vec<Value> = parts.iter().map(|m| body_of(&p.send(m).unwrap())).collect();
    assert_eq!(bodies[0]["text"]["body"], "Listen to this");
    assert_eq!(bodies[1]["type"], "audio");
    assert_eq!(
        bodies[1]["audio"],
        json!({"link": "https://files.example/v.ogg"})
    );
}

#[test]
fn a_template_goes_even_when_the_window_is_closed() {
    let mut msg = outbound("", vec![], WindowState::Closed);
    msg.template = Some(Template {
        name: "order_update".into(),
        language: "es".into(),
        parameters: vec!["Ana".into(), "#2291".into()],
    });
    let body = body_of(&provider().send(&msg).unwrap());
    assert_eq!(
        body["template"],
        json!({
            "name": "order_update",
            "language": {"code": "es"},
            "components": [{"type": "body", "parameters": [
                {"type": "text", "text": "Ana"}, {"type": "text", "text": "#2291"}
            ]}]
        })
    );
    assert_eq!(body["type"], "template");
}

#[test]
fn free_text_outside_the_window_is_refused_before_any_request() {
    for w in [WindowState::Closed, WindowState::Tagged] {
        assert!(matches!(
            provider().send(&outbound("hello?", vec![], w)),
            Err(SendError::OutsideWindow(_))
        ));
    }
    let long = "x".repeat(4097);
    assert!(matches!(
        provider().send(&outbound(&long, vec![], WindowState::Open)),
        Err(SendError::Permanent(_))
    ));
    let mut to_email = outbound("hi", vec![], WindowState::Open);
    to_email.to = Identity::Email("a@example.com".into());
    assert!(matches!(
        provider().send(&to_email),
        Err(SendError::Permanent(_))
    ));
}

#[test]
fn the_answer_names_the_wamid() {
    let resp = ok(
        200,
        json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": "+16505551234", "wa_id": "16505551234"}],
            "messages": [{"id": "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"}]
        }),
    );
    assert_eq!(
        provider().sent(&resp).unwrap(),
        "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"
    );
    let err = ok(
        400,
        json!({"error": {"message": "(#131047) Re-engagement message", "code": 131047}}),
    );
    assert!(matches!(
        provider().sent(&err),
        Err(SendError::OutsideWindow(_))
    ));
}

#[test]
fn a_file_is_fetched_in_two_steps_with_the_token() {
    let p = provider();
    let media = MediaRef {
        kind: MediaKind::Image,
        locator: "1003383421387256".into(),
        mime: Some("image/jpeg".into()),
        filename: None,
    };
    let first = p.fetch_media(&media);
    assert_eq!(
        first.url,
        "https://graph.facebook.com/v21.0/1003383421387256"
    );
    assert!(
        first
            .headers
            .iter()
            .any(|(n, v)| n == "authorization" && v == "Bearer EAAJB-token")
    );
    let url =
        "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1003383421387256&ext=1";
    let meta_answer = ok(
        200,
        json!({"messaging_product": "whatsapp", "url": url, "mime_type": "image/jpeg",
               "sha256": "SBqZ", "file_size": "3", "id": "1003383421387256"}),
    );
    let MediaStep::Then(second) = p.media_step(&media, &meta_answer).unwrap() else {
        panic!("expected a second request");
    };
    assert_eq!(second.url, url);
    assert!(
        second
            .headers
            .iter()
            .any(|(n, v)| n == "authorization" && v == "Bearer EAAJB-token")
    );
    let file = HttpResponse {
        status: 200,
        headers: vec![("content-type".into(), "image/jpeg".into())],
        body: vec![0xff, 0xd8, 0xff],
    };
    assert_eq!(
        p.media_step(&media, &file).unwrap(),
        MediaStep::Done {
            bytes: vec![0xff, 0xd8, 0xff],
            mime: Some("image/jpeg".into())
        }
    );
    // A URL elsewhere does not get the token.
    let elsewhere = ok(
        200,
        json!({"url": "https://evil.example/x", "id": "1003383421387256"}),
    );
    assert!(p.media_step(&media, &elsewhere).is_err());
}

#[test]
fn the_probe_names_the_number() {
    let p = provider();
    assert_eq!(
        p.probe().url,
        "https://graph.facebook.com/v21.0/106540352242922?fields=display_phone_number,verified_name"
    );
    let resp = ok(
        200,
        json!({"verified_name": "Lucky Shrub", "display_phone_number": "+1 555-078-3881", "id": "106540352242922"}),
    );
    assert_eq!(
        p.probed(&resp).unwrap(),
        "WhatsApp number +1 555-078-3881 (Lucky Shrub)"
    );
    let refused = ok(
        401,
        json!({"error": {"message": "Invalid OAuth access token.", "code": 190}}),
    );
    assert!(
        p.probed(&refused)
            .unwrap_err()
            .starts_with("the access token was refused")
    );
}

#[test]
fn debug_never_shows_secrets() {
    let shown = format!("{:?}", provider());
    assert!(
        !shown.contains("EAAJB-token") && !shown.contains(SECRET) && !shown.contains("verify-me")
    );
    assert!(shown.contains("106540352242922"));
}
