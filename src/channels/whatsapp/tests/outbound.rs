//! Requests WhatsApp is sent: messages, media steps, the probe.

use super::{SECRET, ok, provider};
use crate::channels::http::{HttpRequest, HttpResponse, Method};
use crate::channels::provider::{MediaStep, Provider};
use crate::channels::seam::{
    Identity, MediaKind, MediaRef, OutboundMedia, OutboundMessage, SendError, Template, WindowState,
};
use serde_json::{Value, json};

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
        header: None,
        ..Default::default()
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
fn a_template_with_a_media_header_sends_the_file_as_the_header_parameter() {
    let mut msg = outbound("", vec![], WindowState::Closed);
    msg.template = Some(Template {
        name: "invoice_ready".into(),
        language: "en_US".into(),
        parameters: vec!["48213".into()],
        header: Some(crate::channels::seam::TemplateHeader {
            kind: MediaKind::Document,
            url: "https://shop.example/f.pdf".into(),
        }),
        ..Default::default()
    });
    let body = body_of(&provider().send(&msg).unwrap());
    assert_eq!(
        body["template"]["components"],
        json!([
            {"type": "header", "parameters": [
                {"type": "document", "document": {"link": "https://shop.example/f.pdf"}}
            ]},
            {"type": "body", "parameters": [{"type": "text", "text": "48213"}]}
        ])
    );
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

#[test]
fn a_text_header_variable_and_url_button_suffixes_go_as_their_components() {
    let mut msg = outbound("", vec![], WindowState::Closed);
    msg.template = Some(Template {
        name: "order_shipped".into(),
        language: "es".into(),
        parameters: vec!["Ana".into()],
        header_text: Some("48213".into()),
        url_buttons: vec![(1, "48213".into())],
        ..Default::default()
    });
    let body = body_of(&provider().send(&msg).unwrap());
    assert_eq!(
        body["template"]["components"],
        json!([
            {"type": "header", "parameters": [{"type": "text", "text": "48213"}]},
            {"type": "body", "parameters": [{"type": "text", "text": "Ana"}]},
            {"type": "button", "sub_type": "url", "index": "1",
             "parameters": [{"type": "text", "text": "48213"}]}
        ])
    );
}

#[test]
fn only_the_cloud_apis_media_types_go_within_their_sizes() {
    use crate::channels::seam::FileRefusal;
    let wa = provider();
    let mb = 1024 * 1024;
    assert_eq!(
        wa.media_kind("application/pdf", mb, false),
        Ok(MediaKind::Document)
    );
    assert_eq!(
        wa.media_kind(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            mb,
            false
        ),
        Ok(MediaKind::Document)
    );
    assert_eq!(wa.media_kind("image/jpeg", mb, false), Ok(MediaKind::Image));
    // A recorded voice note is OGG/Opus, sent as `audio`.
    assert_eq!(wa.media_kind("audio/ogg", mb, true), Ok(MediaKind::Voice));
    assert_eq!(wa.media_kind("audio/mp4", mb, false), Ok(MediaKind::Audio));
    for refused in ["image/gif", "image/webp", "text/csv", "audio/webm"] {
        assert_eq!(
            wa.media_kind(refused, 10, false),
            Err(FileRefusal::Type),
            "{refused}"
        );
    }
    assert_eq!(
        wa.media_kind("image/png", 5 * mb + 1, false),
        Err(FileRefusal::TooLarge(5 * mb))
    );
    assert_eq!(
        wa.media_kind("video/mp4", 17 * mb, false),
        Err(FileRefusal::TooLarge(16 * mb))
    );
}
