//! The Twilio fake and the Twilio provider agree: requests the module builds, sent
//! through the one outbound path, are what the fake accepts; its answers, redirects and
//! signed callbacks are what the module reads.

use super::twilio_fake::{self, TwilioFake};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use charla::channels::guard::AddressPolicy;
use charla::channels::http::{HttpRequest as Req, HttpResponse as Resp, MAX_BODY, execute};
use charla::channels::provider::{MediaStep, Provider};
use charla::channels::seam::{
    Accepted, Identity, InboundEvent, MediaKind, MediaRef, OutboundMedia, OutboundMessage,
    RawRequest, SendError, StatusTarget, WindowState,
};
use charla::channels::twilio::{Config, Twilio};
use charla::domain::Timestamp;
use charla::domain::message::DeliveryStatus;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
const NOW: Timestamp = Timestamp(1_780_000_000_000);

fn provider(fake: &TwilioFake, whatsapp: bool, callback: Option<String>) -> Twilio {
    Twilio::new(Config {
        account_sid: SID.into(),
        auth_token: TOKEN.into(),
        from: "+15558675310".into(),
        api_base: fake.base.clone(),
        status_callback: callback,
        whatsapp,
    })
}

async fn run(req: &Req) -> Resp {
    let policy = AddressPolicy::new(true);
    let client = policy.http_client().unwrap();
    execute(policy, &client, req, Duration::from_secs(10), MAX_BODY)
        .await
        .unwrap()
}

fn text(to: &str, body: &str) -> OutboundMessage {
    OutboundMessage {
        to: Identity::Phone(to.into()),
        text: body.into(),
        media: vec![],
        template: None,
        window: WindowState::Open,
    }
}

/// A receiver standing for Charla's webhook route: records (headers, body).
type Got = Arc<Mutex<Vec<(Vec<(String, String)>, Vec<u8>)>>>;

async fn sink() -> (String, Got) {
    let got: Got = Arc::default();
    let data = web::Data::new(got.clone());
    let server = HttpServer::new(move || {
        App::new().app_data(data.clone()).default_service(web::to(
            |req: HttpRequest, body: web::Bytes, got: web::Data<Got>| async move {
                let headers = req
                    .headers()
                    .iter()
                    .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap().to_string()))
                    .collect();
                got.lock().unwrap().push((headers, body.to_vec()));
                HttpResponse::Ok().finish()
            },
        ))
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .unwrap();
    let addr = server.addrs()[0];
    tokio::spawn(server.run());
    (format!("http://{addr}/hooks/twilio/3"), got)
}

#[actix_web::test]
async fn fake_twilio_accepts_sends_and_signs_callbacks_the_module_reads() {
    let fake = TwilioFake::start(SID, TOKEN).await;
    let (hook, got) = sink().await;
    let t = provider(&fake, false, Some(hook.clone()));
    let mut msg = text("+14155552671", "Your order shipped");
    msg.media.push(OutboundMedia {
        kind: MediaKind::Image,
        url: "https://inbox.example.com/files/label.png".into(),
        mime: "image/png".into(),
        filename: "label.png".into(),
    });
    let sid = t.sent(&run(&t.send(&msg).unwrap()).await).unwrap();
    assert!(sid.starts_with("MM") && sid.len() == 34, "{sid}");
    let sent = fake.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].sid, sid);
    assert_eq!(sent[0].param("To"), Some("+14155552671"));
    assert_eq!(sent[0].param("From"), Some("+15558675310"));
    assert_eq!(sent[0].param("Body"), Some("Your order shipped"));
    assert_eq!(
        sent[0].all("MediaUrl"),
        vec!["https://inbox.example.com/files/label.png"]
    );
    let recorded = fake.requests();
    assert_eq!(recorded[0].method, "POST");
    assert_eq!(
        recorded[0].path,
        format!("/2010-04-01/Accounts/{SID}/Messages.json")
    );
    assert!(
        recorded[0]
            .authorization
            .as_deref()
            .unwrap()
            .starts_with("Basic ")
    );

    // Status callbacks go to the StatusCallback URL, signed for it; the module verifies
    // and reads each.
    for (status, code) in [
        ("sent", None),
        ("delivered", None),
        ("undelivered", Some(30003)),
    ] {
        assert!(
            fake.send_status(&sid, status, code)
                .await
                .status()
                .is_success()
        );
    }
    let statuses: Vec<_> = got
        .lock()
        .unwrap()
        .iter()
        .map(|(headers, body)| {
            let raw = RawRequest {
                method: "POST".into(),
                url: hook.clone(),
                query: String::new(),
                headers: headers.clone(),
                body: body.clone(),
            };
            match t.receive(&raw, NOW).unwrap() {
                Accepted::Events(e) => match e.as_slice() {
                    [InboundEvent::Status(s)] => s.clone(),
                    other => panic!("{other:?}"),
                },
                other => panic!("{other:?}"),
            }
        })
        .collect();
    assert_eq!(
        statuses.iter().map(|s| s.status).collect::<Vec<_>>(),
        vec![
            DeliveryStatus::Sent,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed
        ]
    );
    assert!(
        statuses
            .iter()
            .all(|s| s.target == StatusTarget::Message(sid.clone()))
    );
    assert_eq!(statuses[2].error.as_ref().unwrap().code, "30003");

    // An incoming message signed by the fake verifies under the module, and both
    // compute the same signature.
    let params = twilio_fake::inbound_whatsapp(SID, "+34600111222", "+15558675310", "Ana", "Hola");
    let url = "https://charla.example.com/hooks/twilio/3";
    let (body, sig) = twilio_fake::signed_form(TOKEN, url, &params);
    assert_eq!(
        sig,
        charla::channels::twilio::signature(TOKEN, url, &params)
    );
    let raw = RawRequest {
        method: "POST".into(),
        url: url.into(),
        query: String::new(),
        headers: vec![("x-twilio-signature".into(), sig)],
        body: body.into_bytes(),
    };
    let Ok(Accepted::Events(e)) = provider(&fake, true, None).receive(&raw, NOW) else {
        panic!("refused");
    };
    let InboundEvent::Message(m) = &e[0] else {
        panic!("{e:?}")
    };
    assert_eq!(
        (m.from.clone(), m.name.as_deref()),
        (Identity::Phone("+34600111222".into()), Some("Ana"))
    );
    fake.stop().await;
}

#[actix_web::test]
async fn fake_twilio_scripted_errors_are_classified_by_the_module() {
    let fake = TwilioFake::start(SID, TOKEN).await;
    let t = provider(&fake, false, None);
    let msg = text("+14155552671", "hola");
    fake.fail_next(500, 20500, "Internal Server Error");
    fake.fail_next(400, 21211, "Invalid 'To' Phone Number: +1415555XXXX");
    fake.fail_next_after(429, 20429, "Too Many Requests", Some(7));
    fake.fail_next(
        400,
        63016,
        "Failed to send freeform message because you are outside the allowed window.",
    );
    let mut outcomes = vec![];
    for _ in 0..5 {
        outcomes.push(t.sent(&run(&t.send(&msg).unwrap()).await));
    }
    assert!(matches!(outcomes[0], Err(SendError::RetryLater { .. })));
    assert!(
        matches!(&outcomes[1], Err(SendError::Permanent(e)) if e.code == "21211" && e.text == "Invalid 'To' phone number")
    );
    assert!(
        matches!(outcomes[2], Err(SendError::RetryLater { after: Some(d), .. }) if d == Duration::from_secs(7))
    );
    assert!(matches!(outcomes[3], Err(SendError::OutsideWindow(_))));
    assert!(outcomes[4].is_ok());
    assert_eq!(fake.sent().len(), 1, "only the last one was accepted");
    assert_eq!(fake.requests().len(), 5);

    // Wrong credentials: the fake refuses as Twilio does, the module says so in words.
    let wrong = Twilio::new(Config {
        auth_token: "wrong".into(),
        ..t.config().clone()
    });
    assert!(matches!(
        wrong.sent(&run(&wrong.send(&msg).unwrap()).await),
        Err(SendError::Permanent(e)) if e.code == "20003"
    ));
    assert_eq!(
        t.probed(&run(&t.probe()).await),
        Ok("Twilio account Fake Twilio account (active)".into())
    );
    assert!(
        wrong
            .probed(&run(&wrong.probe()).await)
            .unwrap_err()
            .contains("auth token")
    );
    fake.stop().await;
}

#[actix_web::test]
async fn fake_twilio_media_is_fetched_through_its_redirect() {
    let fake = TwilioFake::start(SID, TOKEN).await;
    let t = provider(&fake, false, None);
    let bytes = b"\x89PNG\r\n\x1a\n fake image".to_vec();
    let url = fake.add_media(&bytes, "image/png");
    let params = twilio_fake::with_media(
        twilio_fake::inbound_sms(SID, "+14155552671", "+15558675310", "photo"),
        &[(&url, "image/png")],
    );
    let hook = "https://charla.example.com/hooks/twilio/3";
    let (body, sig) = twilio_fake::signed_form(TOKEN, hook, &params);
    let raw = RawRequest {
        method: "POST".into(),
        url: hook.into(),
        query: String::new(),
        headers: vec![("x-twilio-signature".into(), sig)],
        body: body.into_bytes(),
    };
    let Ok(Accepted::Events(e)) = t.receive(&raw, NOW) else {
        panic!("refused")
    };
    let InboundEvent::Message(m) = &e[0] else {
        panic!("{e:?}")
    };
    assert!(m.source_id.starts_with("MM"));
    let media: &MediaRef = &m.media[0];
    assert_eq!(media.locator, url);
    let mut req = t.fetch_media(media);
    let mut steps = 0;
    let (got, mime) = loop {
        steps += 1;
        assert!(steps <= 3, "too many steps");
        match t.media_step(media, &run(&req).await).unwrap() {
            MediaStep::Then(next) => req = next,
            MediaStep::Done { bytes, mime } => break (bytes, mime),
        }
    };
    assert_eq!((got, mime.as_deref()), (bytes, Some("image/png")));
    let recorded = fake.requests();
    assert_eq!(recorded.len(), 2);
    assert!(recorded[0].path.contains("/Media/ME"));
    assert!(
        recorded[0].authorization.is_some(),
        "Twilio's media URL gets basic auth"
    );
    assert!(recorded[1].path.starts_with("/media-store/"));
    assert_eq!(
        recorded[1].authorization, None,
        "storage never sees the credentials"
    );
    fake.stop().await;
}
