use super::*;
use crate::channels::seam::{
    InboundEvent, InboundMessage, OutboundMedia, StatusTarget, StatusUpdate, Template, WindowState,
};
use serde_json::{Value, json};

const SECRET: &str = "messenger-app-secret";
const PSID: &str = "6881956835235573";

fn provider(tag: bool) -> Messenger {
    Messenger::new(Config {
        page_id: "107124681722434".into(),
        page_access_token: "EAAG-page-token".into(),
        app_secret: SECRET.into(),
        verify_token: "verify-me".into(),
        human_agent_tag: tag,
        api_base: "http://127.0.0.1:9/v21.0/".into(),
    })
}

fn events(fixture: &str) -> Vec<InboundEvent> {
    let req = RawRequest {
        method: "POST".into(),
        headers: vec![(
            "x-hub-signature-256".into(),
            meta::signature(SECRET, fixture.as_bytes()),
        )],
        body: fixture.as_bytes().to_vec(),
        ..RawRequest::default()
    };
    match provider(false).receive(&req, Timestamp(0)) {
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

#[test]
fn messages_are_read_and_the_pages_echoes_skipped() {
    let m = messages(include_str!("fixtures/messages.json"));
    let got: Vec<(&str, &str)> = m
        .iter()
        .map(|m| (m.source_id.as_str(), m.text.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P",
                "Is the blue one still available?"
            ),
            ("m_QUICKREPLY1", "Red"),
            ("m_POSTBACK1", "Talk to a person"),
        ]
    );
    assert!(
        m.iter()
            .all(|m| m.from == Identity::Messenger(PSID.into()) && m.name.is_none())
    );
    assert_eq!(m[0].at, Some(Timestamp(1_749_416_383_521)));
}

#[test]
fn attachments_are_files_by_url_and_other_kinds_are_lines() {
    let m = messages(include_str!("fixtures/attachments.json"));
    let files: Vec<(MediaKind, &str)> = m[..2]
        .iter()
        .flat_map(|m| m.media.iter().map(|f| (f.kind, f.locator.as_str())))
        .collect();
    assert_eq!(
        files,
        vec![
            (
                MediaKind::Image,
                "https://scontent.xx.fbcdn.net/v/t1.15752-9/photo.jpg?_nc_cat=1&oh=abc&oe=def"
            ),
            (
                MediaKind::Document,
                "https://cdn.fbsbx.com/v/t59.2708-21/invoice.pdf?_nc_cat=2&oh=abc&oe=def"
            ),
            (
                MediaKind::Audio,
                "https://cdn.fbsbx.com/v/t59.3654-21/audioclip.mp4?_nc_cat=3"
            ),
            (
                MediaKind::Video,
                "https://video.xx.fbcdn.net/v/t42.3356-2/clip.mp4?_nc_cat=4"
            ),
            (
                MediaKind::Image,
                "https://scontent.xx.fbcdn.net/v/t39.1997-6/sticker.png?_nc_cat=5"
            ),
        ]
    );
    assert_eq!(m[0].text, "");
    assert_eq!(
        m[2].text,
        "look at this\n[Messenger fallback: https://example.com/collection]\n\
         [unsupported Messenger attachment: reel]"
    );
    assert!(m[2].media.is_empty());
}

#[test]
fn delivery_and_read_watermarks_cover_every_earlier_message() {
    let st: Vec<StatusUpdate> = events(include_str!("fixtures/delivery_read.json"))
        .into_iter()
        .filter_map(|e| match e {
            InboundEvent::Status(s) => Some(s),
            _ => None,
        })
        .collect();
    let up_to = |w: i64| StatusTarget::UpTo {
        recipient: Identity::Messenger(PSID.into()),
        watermark: Timestamp(w),
    };
    assert_eq!(st.len(), 2);
    assert_eq!(
        (st[0].target.clone(), st[0].status),
        (up_to(1_749_416_580_000), DeliveryStatus::Delivered)
    );
    assert_eq!(
        (st[1].target.clone(), st[1].status),
        (up_to(1_749_416_581_000), DeliveryStatus::Read)
    );
}

#[test]
fn a_whatsapp_notification_is_not_a_messenger_one() {
    let body = include_str!("../whatsapp/fixtures/text.json");
    let req = RawRequest {
        method: "POST".into(),
        headers: vec![(
            "x-hub-signature-256".into(),
            meta::signature(SECRET, body.as_bytes()),
        )],
        body: body.as_bytes().to_vec(),
        ..RawRequest::default()
    };
    assert!(matches!(
        provider(false).receive(&req, Timestamp(0)),
        Err(Refused::BadRequest(_))
    ));
}

fn outbound(text: &str, media: Vec<OutboundMedia>, window: WindowState) -> OutboundMessage {
    OutboundMessage {
        to: Identity::Messenger(PSID.into()),
        text: text.into(),
        media,
        template: None,
        window,
    }
}

fn body_of(req: &HttpRequest) -> Value {
    serde_json::from_slice(&req.body).unwrap()
}

#[test]
fn inside_the_window_a_reply_is_a_response() {
    let req = provider(true)
        .send(&outbound("Yes, it is.", vec![], WindowState::Open))
        .unwrap();
    assert_eq!(req.url, "http://127.0.0.1:9/v21.0/me/messages");
    assert!(
        req.headers
            .contains(&("authorization".into(), "Bearer EAAG-page-token".into()))
    );
    assert_eq!(
        body_of(&req),
        json!({
            "recipient": {"id": PSID},
            "messaging_type": "RESPONSE",
            "message": {"text": "Yes, it is."}
        })
    );
}

#[test]
fn after_24_hours_only_the_enabled_human_agent_tag_lets_a_reply_go() {
    let msg = outbound("Sorry for the wait", vec![], WindowState::Tagged);
    let body = body_of(&provider(true).send(&msg).unwrap());
    assert_eq!(body["messaging_type"], "MESSAGE_TAG");
    assert_eq!(body["tag"], "HUMAN_AGENT");
    assert!(matches!(
        provider(false).send(&msg),
        Err(SendError::OutsideWindow(_))
    ));
    for tag in [true, false] {
        assert!(matches!(
            provider(tag).send(&outbound("hello?", vec![], WindowState::Closed)),
            Err(SendError::OutsideWindow(_))
        ));
    }
}

#[test]
fn files_go_one_per_message_after_the_text() {
    let file = |kind, url: &str| OutboundMedia {
        kind,
        url: url.into(),
        mime: "application/pdf".into(),
        filename: "x".into(),
    };
    let msg = outbound(
        "Here you are",
        vec![
            file(MediaKind::Document, "https://files.example/inv.pdf"),
            file(MediaKind::Voice, "https://files.example/v.ogg"),
        ],
        WindowState::Open,
    );
    let p = provider(false);
    let bodies: Vec<Value> = p
        .parts(&msg)
        .iter()
        .map(|m| body_of(&p.send(m).unwrap()))
        .collect();
    assert_eq!(bodies.len(), 3);
    assert_eq!(bodies[0]["message"], json!({"text": "Here you are"}));
    assert_eq!(
        bodies[1]["message"],
        json!({"attachment": {"type": "file", "payload": {"url": "https://files.example/inv.pdf", "is_reusable": false}}})
    );
    assert_eq!(bodies[2]["message"]["attachment"]["type"], "audio");
    assert!(matches!(p.send(&msg), Err(SendError::Permanent(_))));
}

#[test]
fn what_messenger_cannot_carry_is_refused_before_sending() {
    let p = provider(false);
    let long = "x".repeat(2001);
    assert!(matches!(
        p.send(&outbound(&long, vec![], WindowState::Open)),
        Err(SendError::Permanent(_))
    ));
    let mut tpl = outbound("", vec![], WindowState::Open);
    tpl.template = Some(Template {
        name: "t".into(),
        language: "en".into(),
        parameters: vec![],
        header: None,
        ..Default::default()
    });
    assert!(matches!(p.send(&tpl), Err(SendError::Permanent(_))));
    let mut phone = outbound("hi", vec![], WindowState::Open);
    phone.to = Identity::Phone("+34600111222".into());
    assert!(matches!(p.send(&phone), Err(SendError::Permanent(_))));
}

fn answer(status: u16, body: Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![],
        body: serde_json::to_vec(&body).unwrap(),
    }
}

#[test]
fn the_answer_names_the_message_id_or_the_window_error() {
    let p = provider(false);
    let ok = answer(
        200,
        json!({"recipient_id": PSID, "message_id": "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM"}),
    );
    assert_eq!(p.sent(&ok).unwrap(), "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM");
    let window = answer(
        400,
        json!({"error": {"message": "(#10) This message is sent outside of allowed window.",
                         "type": "OAuthException", "code": 10, "error_subcode": 2018278}}),
    );
    assert!(matches!(p.sent(&window), Err(SendError::OutsideWindow(_))));
}

#[test]
fn profile_probe_and_capabilities() {
    let p = provider(true);
    let req = p.profile(&Identity::Messenger(PSID.into())).unwrap();
    assert_eq!(
        req.url,
        format!("http://127.0.0.1:9/v21.0/{PSID}?fields=first_name,last_name")
    );
    assert!(p.profile(&Identity::Phone("+34600111222".into())).is_none());
    assert_eq!(
        p.profiled(&answer(
            200,
            json!({"first_name": "Peter", "last_name": "Chang", "id": PSID})
        )),
        Some("Peter Chang".into())
    );
    assert_eq!(
        p.profiled(&answer(400, json!({"error": {"code": 100}}))),
        None
    );
    assert_eq!(
        p.probe().url,
        "http://127.0.0.1:9/v21.0/107124681722434?fields=name"
    );
    assert_eq!(
        p.probed(&answer(
            200,
            json!({"name": "Lucky Shrub", "id": "107124681722434"})
        )),
        Ok("Facebook page Lucky Shrub".into())
    );
    assert_eq!(p.capabilities().window.unwrap().tag_hours, Some(168));
    assert_eq!(
        provider(false).capabilities().window.unwrap().tag_hours,
        None
    );
    assert_eq!(p.capabilities().max_text, 2000);
    assert!(!p.capabilities().can_start);
    let shown = format!("{p:?}");
    assert!(!shown.contains("EAAG-page-token") && !shown.contains(SECRET));
}
