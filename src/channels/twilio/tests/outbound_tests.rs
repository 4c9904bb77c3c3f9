//! Outbound: the send request's form, Twilio's answers classified, media through the
//! redirect, and the probe.

use super::{SID, TOKEN, sms, whatsapp};
use crate::channels::http::{HttpRequest, HttpResponse, Method};
use crate::channels::provider::{MediaStep, Provider};
use crate::channels::seam::{
    Identity, MediaKind, MediaRef, OutboundMedia, OutboundMessage, ProviderError, SendError,
    Template, WindowState,
};
use crate::channels::twilio::{Config, Twilio};
use std::time::Duration;

fn msg(text: &str) -> OutboundMessage {
    OutboundMessage {
        to: Identity::Phone("+14155552671".into()),
        text: text.into(),
        media: vec![],
        template: None,
        window: WindowState::None,
    }
}

fn form(req: &HttpRequest) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(&req.body).unwrap()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn auth(req: &HttpRequest) -> Option<&str> {
    req.headers
        .iter()
        .find(|(n, _)| n == "authorization")
        .map(|(_, v)| v.as_str())
}

fn answer(status: u16, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
    }
}

const MESSAGES: &str =
    "https://api.twilio.com/2010-04-01/Accounts/ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Messages.json";

#[test]
fn an_sms_is_to_from_and_body_with_basic_auth() {
    let req = sms().send(&msg("Sí, la M está disponible")).unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, MESSAGES);
    let expected = HttpRequest::get("x").basic(SID, TOKEN);
    assert_eq!(auth(&req), auth(&expected));
    assert_eq!(
        form(&req),
        pairs(&[
            ("To", "+14155552671"),
            ("From", "+15558675310"),
            ("Body", "Sí, la M está disponible"),
        ])
    );
}

#[test]
fn media_status_callback_and_api_base_are_in_the_request() {
    let t = Twilio::new(Config {
        api_base: "http://127.0.0.1:9999/".into(),
        status_callback: Some("https://inbox.example.com/hooks/twilio/7".into()),
        ..sms().config().clone()
    });
    let mut m = msg("Two photos");
    for n in ["a", "b"] {
        m.media.push(OutboundMedia {
            kind: MediaKind::Image,
            url: format!("https://inbox.example.com/files/{n}.jpg"),
            mime: "image/jpeg".into(),
            filename: format!("{n}.jpg"),
        });
    }
    let req = t.send(&m).unwrap();
    assert_eq!(
        req.url,
        format!("http://127.0.0.1:9999/2010-04-01/Accounts/{SID}/Messages.json")
    );
    assert_eq!(
        form(&req),
        pairs(&[
            ("To", "+14155552671"),
            ("From", "+15558675310"),
            ("Body", "Two photos"),
            ("MediaUrl", "https://inbox.example.com/files/a.jpg"),
            ("MediaUrl", "https://inbox.example.com/files/b.jpg"),
            ("StatusCallback", "https://inbox.example.com/hooks/twilio/7"),
        ])
    );
}

#[test]
fn whatsapp_prefixes_both_addresses_and_sends_templates() {
    let w = whatsapp();
    let mut m = msg("Hola Ana");
    m.window = WindowState::Open;
    let f = form(&w.send(&m).unwrap());
    assert_eq!(f[0], ("To".into(), "whatsapp:+14155552671".into()));
    assert_eq!(f[1], ("From".into(), "whatsapp:+14155238886".into()));
    // Outside the window: refused before any request, unless it is a template.
    m.window = WindowState::Closed;
    assert!(matches!(w.send(&m), Err(SendError::OutsideWindow(_))));
    m.template = Some(Template {
        name: "HXb5b62575e6e4ff6129ad7c8efe1f983e".into(),
        language: "es".into(),
        parameters: vec!["Ana".into(), "12/1".into()],
        header: None,
        ..Default::default()
    });
    assert_eq!(
        form(&w.send(&m).unwrap()),
        pairs(&[
            ("To", "whatsapp:+14155552671"),
            ("From", "whatsapp:+14155238886"),
            ("ContentSid", "HXb5b62575e6e4ff6129ad7c8efe1f983e"),
            ("ContentVariables", r#"{"1":"Ana","2":"12/1"}"#),
        ])
    );
    // One file per WhatsApp message.
    let mut two = msg("x");
    two.window = WindowState::Open;
    two.media = vec![
        OutboundMedia {
            kind: MediaKind::Image,
            url: "https://x/a".into(),
            mime: "image/png".into(),
            filename: "a.png".into(),
        };
        2
    ];
    assert!(matches!(w.send(&two), Err(SendError::Permanent(_))));
    // SMS has no window.
    let mut closed = msg("x");
    closed.window = WindowState::Closed;
    assert!(sms().send(&closed).is_ok());
}

#[test]
fn rcs_and_messaging_service_senders() {
    let rcs = Twilio::new(Config {
        from: "rcs:tienda_ana_agent".into(),
        ..sms().config().clone()
    });
    let f = form(&rcs.send(&msg("hola")).unwrap());
    assert_eq!(f[0], ("To".into(), "rcs:+14155552671".into()));
    assert_eq!(f[1], ("From".into(), "rcs:tienda_ana_agent".into()));
    let service = Twilio::new(Config {
        from: "MG9752274e9e519418a7406176694466fa".into(),
        ..sms().config().clone()
    });
    let f = form(&service.send(&msg("hola")).unwrap());
    assert_eq!(
        f[1],
        (
            "MessagingServiceSid".into(),
            "MG9752274e9e519418a7406176694466fa".into()
        )
    );
}

#[test]
fn what_cannot_go_is_refused_before_sending() {
    let t = sms();
    assert!(matches!(
        t.send(&msg(&"a".repeat(1601))),
        Err(SendError::Permanent(_))
    ));
    assert!(t.send(&msg(&"ñ".repeat(1600))).is_ok());
    assert!(matches!(t.send(&msg("  ")), Err(SendError::Permanent(_))));
    let mut m = msg("x");
    m.to = Identity::Email("a@b.c".into());
    assert!(matches!(t.send(&m), Err(SendError::Permanent(_))));
}

#[test]
fn answers_are_classified() {
    let t = sms();
    assert_eq!(
        t.sent(&answer(201, include_str!("../fixtures/send_created.json"))),
        Ok("SMb7c0a2ce80504485a6f653a7110836f5".into())
    );
    assert_eq!(
        t.sent(&answer(400, include_str!("../fixtures/error_21211.json"))),
        Err(SendError::Permanent(ProviderError {
            code: "21211".into(),
            text: "Invalid 'To' phone number".into()
        }))
    );
    assert_eq!(
        t.sent(&answer(400, include_str!("../fixtures/error_21606.json"))),
        Err(SendError::Permanent(ProviderError {
            code: "21606".into(),
            text: "The From phone number +15005550001 is not a valid, SMS-capable inbound phone number or short code for your account.".into()
        }))
    );
    assert!(matches!(
        t.sent(&answer(400, include_str!("../fixtures/error_63016.json"))),
        Err(SendError::OutsideWindow(w)) if w.contains("24-hour window") && w.ends_with("(63016)")
    ));
    assert_eq!(
        t.sent(&answer(401, include_str!("../fixtures/error_20003.json"))),
        Err(SendError::Permanent(ProviderError {
            code: "20003".into(),
            text: "Twilio refused the account SID or auth token".into()
        }))
    );
    let mut busy = answer(429, include_str!("../fixtures/error_20429.json"));
    busy.headers.push(("retry-after".into(), "30".into()));
    assert!(matches!(
        t.sent(&busy),
        Err(SendError::RetryLater { after: Some(d), .. }) if d == Duration::from_secs(30)
    ));
    assert!(matches!(
        t.sent(&answer(503, "<html>Service Unavailable</html>")),
        Err(SendError::RetryLater { after: None, .. })
    ));
    // Accepted, but no sid to record: try again rather than lose track.
    assert!(matches!(
        t.sent(&answer(201, "{}")),
        Err(SendError::RetryLater { .. })
    ));
}

#[test]
fn media_is_fetched_with_auth_then_through_the_redirect_without() {
    let t = sms();
    let media = MediaRef {
        kind: MediaKind::Image,
        locator: format!("https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages/MM1/Media/ME1"),
        mime: Some("image/jpeg".into()),
        filename: None,
    };
    let first = t.fetch_media(&media);
    assert_eq!(first.url, media.locator);
    assert!(auth(&first).is_some_and(|a| a.starts_with("Basic ")));
    let redirect = HttpResponse {
        status: 307,
        headers: vec![(
            "location".into(),
            "https://s3-external-1.amazonaws.com/media.twiliocdn.com/AC/abc".into(),
        )],
        body: vec![],
    };
    let Ok(MediaStep::Then(next)) = t.media_step(&media, &redirect) else {
        panic!("no next step");
    };
    assert_eq!(
        next.url,
        "https://s3-external-1.amazonaws.com/media.twiliocdn.com/AC/abc"
    );
    assert_eq!(auth(&next), None);
    let file = HttpResponse {
        status: 200,
        headers: vec![("content-type".into(), "image/jpeg".into())],
        body: b"\xff\xd8\xff".to_vec(),
    };
    assert_eq!(
        t.media_step(&media, &file),
        Ok(MediaStep::Done {
            bytes: b"\xff\xd8\xff".to_vec(),
            mime: Some("image/jpeg".into())
        })
    );
    assert!(t.media_step(&media, &answer(404, "{}")).is_err());
    // A URL on another host never gets the auth token.
    let elsewhere = MediaRef {
        locator: "https://files.example.net/x.jpg".into(),
        ..media
    };
    assert_eq!(auth(&t.fetch_media(&elsewhere)), None);
}

#[test]
fn the_probe_fetches_the_account() {
    let t = sms();
    let req = t.probe();
    assert_eq!(req.method, Method::Get);
    assert_eq!(
        req.url,
        format!("https://api.twilio.com/2010-04-01/Accounts/{SID}.json")
    );
    assert!(auth(&req).is_some());
    assert_eq!(
        t.probed(&answer(200, include_str!("../fixtures/account.json"))),
        Ok("Twilio account Tienda Ana (active)".into())
    );
    assert_eq!(
        t.probed(&answer(401, include_str!("../fixtures/error_20003.json"))),
        Err("Twilio refused the account SID or auth token (20003)".into())
    );
}

#[test]
fn capabilities_differ_for_sms_and_whatsapp() {
    let s = sms().capabilities();
    assert_eq!(s.window, None);
    assert!(!s.templates && s.can_start);
    assert_eq!(s.max_media_bytes, 5 * 1024 * 1024);
    assert_eq!(s.statuses.len(), 3);
    let w = whatsapp().capabilities();
    assert_eq!(w.window.map(|w| w.hours), Some(24));
    assert!(w.templates && w.can_start);
    assert_eq!(w.max_media_bytes, 16 * 1024 * 1024);
    assert_eq!(w.statuses.len(), 4);
}
