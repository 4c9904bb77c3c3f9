//! The fake Graph API and Charla's WhatsApp and Messenger modules agree: requests the
//! modules build, sent through the one outbound path, get the answers the modules read;
//! notifications the fake signs are accepted, and refused once a byte changes.

use super::meta_fake::{self, MetaFake, Route};
use charla::channels::guard::AddressPolicy;
use charla::channels::http::{self, HttpRequest, HttpResponse};
use charla::channels::messenger::Messenger;
use charla::channels::provider::{MediaStep, Provider};
use charla::channels::seam::*;
use charla::channels::whatsapp::WhatsApp;
use charla::domain::Timestamp;
use serde_json::json;
use std::time::Duration;

async fn run(req: &HttpRequest) -> HttpResponse {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let policy = AddressPolicy::new(true);
    let client = policy.http_client().unwrap();
    http::execute(
        policy,
        &client,
        req,
        Duration::from_secs(10),
        http::MAX_BODY,
    )
    .await
    .unwrap()
}

fn post((body, sig): meta_fake::Signed) -> RawRequest {
    RawRequest {
        method: "POST".into(),
        headers: vec![("x-hub-signature-256".into(), sig)],
        body,
        ..RawRequest::default()
    }
}

fn text(to: Identity, text: &str, window: WindowState) -> OutboundMessage {
    OutboundMessage {
        to,
        text: text.into(),
        media: vec![],
        template: None,
        window,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_whatsapp_sends_fetches_and_probes_as_the_module_expects() {
    let fake = MetaFake::start().await;
    let wa = WhatsApp::new(fake.whatsapp_config());
    let customer = Identity::Phone("+16505551234".into());

    let req = wa
        .send(&text(customer.clone(), "Hola", WindowState::Open))
        .unwrap();
    let id = wa.sent(&run(&req).await).unwrap();
    assert!(id.starts_with("wamid.FAKE"), "{id}");
    let got = fake.requests_to(Route::WhatsAppSend);
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].authorization.as_deref(),
        Some(format!("Bearer {}", meta_fake::ACCESS_TOKEN).as_str())
    );
    assert_eq!(
        got[0].path,
        format!("/v21.0/{}/messages", meta_fake::PHONE_NUMBER_ID)
    );
    assert_eq!(got[0].json()["text"]["body"], "Hola");
    assert_eq!(got[0].json()["to"], "16505551234");

    // Scripted failures come back classified: down, then outside the window.
    fake.script(
        Route::WhatsAppSend,
        500,
        json!({"error": {"message": "boom", "code": 1}}),
    );
    fake.script(
        Route::WhatsAppSend,
        400,
        meta_fake::graph_error(131047, "Re-engagement message", Some("more than 24 hours")),
    );
    fake.script(
        Route::WhatsAppSend,
        429,
        meta_fake::graph_error(130429, "Rate limit hit", None),
    );
    let retry = wa.sent(&run(&req).await).unwrap_err();
    assert!(matches!(retry, SendError::RetryLater { .. }), "{retry:?}");
    let window = wa.sent(&run(&req).await).unwrap_err();
    assert!(matches!(window, SendError::OutsideWindow(_)), "{window:?}");
    let limited = wa.sent(&run(&req).await).unwrap_err();
    assert!(
        matches!(limited, SendError::RetryLater { .. }),
        "{limited:?}"
    );
    assert!(wa.sent(&run(&req).await).is_ok());

    // A file: media id → URL → bytes, the token on both steps.
    let jpeg = b"\xff\xd8\xff\xe0 not really a jpeg";
    let media_id = fake.add_media(jpeg, "image/jpeg");
    let media = MediaRef {
        kind: MediaKind::Image,
        locator: media_id,
        mime: Some("image/jpeg".into()),
        filename: None,
    };
    let MediaStep::Then(next) = wa
        .media_step(&media, &run(&wa.fetch_media(&media)).await)
        .unwrap()
    else {
        panic!("the media id should name a URL");
    };
    let done = wa.media_step(&media, &run(&next).await).unwrap();
    assert_eq!(
        done,
        MediaStep::Done {
            bytes: jpeg.to_vec(),
            mime: Some("image/jpeg".into())
        }
    );
    assert!(
        fake.requests_to(Route::MediaDownload)[0]
            .authorization
            .as_deref()
            .is_some_and(|a| a.ends_with(meta_fake::ACCESS_TOKEN))
    );

    assert_eq!(
        wa.probed(&run(&wa.probe()).await).unwrap(),
        format!(
            "WhatsApp number {} ({})",
            meta_fake::DISPLAY_NUMBER,
            meta_fake::VERIFIED_NAME
        )
    );
    let mut wrong = fake.whatsapp_config();
    wrong.access_token = "revoked".into();
    let wrong = WhatsApp::new(wrong);
    let err = wrong.probed(&run(&wrong.probe()).await).unwrap_err();
    assert!(err.starts_with("the access token was refused"), "{err}");
    fake.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_signs_notifications_the_modules_accept() {
    let fake = MetaFake::start().await;
    let wa = WhatsApp::new(fake.whatsapp_config());
    let media_id = fake.add_media(b"img", "image/jpeg");
    let image = meta_fake::wa_image(
        "16505551234",
        "Sheena",
        "wamid.IN2",
        &media_id,
        Some("this"),
        1_700_000_001,
    );
    let Ok(Accepted::Events(ev)) = wa.receive(&post(image), Timestamp(0)) else {
        panic!("the signed image was not accepted");
    };
    let InboundEvent::Message(m) = &ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(
        (m.text.as_str(), m.media[0].locator.as_str()),
        ("this", media_id.as_str())
    );
    assert_eq!(m.name.as_deref(), Some("Sheena"));

    let failed = meta_fake::wa_status(
        "wamid.OUT1",
        "failed",
        "16505551234",
        1_700_000_002,
        Some((131047, "Re-engagement message", "more than 24 hours")),
    );
    let Ok(Accepted::Events(ev)) = wa.receive(&post(failed), Timestamp(0)) else {
        panic!()
    };
    assert!(
        matches!(&ev[0], InboundEvent::Status(s) if s.error.as_ref().unwrap().code == "131047")
    );

    // One byte changed after signing: refused.
    let (mut body, sig) =
        meta_fake::wa_text("16505551234", "Sheena", "wamid.IN1", "hola", 1_700_000_000);
    assert!(
        wa.receive(&post((body.clone(), sig.clone())), Timestamp(0))
            .is_ok()
    );
    body[10] ^= 1;
    assert!(matches!(
        wa.receive(&post((body, sig)), Timestamp(0)),
        Err(Refused::Unauthorized(_))
    ));

    let ms = Messenger::new(fake.messenger_config(false));
    let url = fake.add_messenger_file(b"png bytes", "image/png");
    let Ok(Accepted::Events(ev)) = ms.receive(
        &post(meta_fake::ms_image("42", "m_1", &url, 1)),
        Timestamp(0),
    ) else {
        panic!()
    };
    let InboundEvent::Message(m) = &ev[0] else {
        panic!("{ev:?}")
    };
    let got = ms
        .media_step(&m.media[0], &run(&ms.fetch_media(&m.media[0])).await)
        .unwrap();
    assert_eq!(
        got,
        MediaStep::Done {
            bytes: b"png bytes".to_vec(),
            mime: Some("image/png".into())
        }
    );
    let Ok(Accepted::Events(echo)) = ms.receive(
        &post(meta_fake::ms_echo("42", "m_2", "ours", 2)),
        Timestamp(0),
    ) else {
        panic!()
    };
    assert!(echo.is_empty());
    let Ok(Accepted::Events(read)) =
        ms.receive(&post(meta_fake::ms_read("42", 5_000)), Timestamp(0))
    else {
        panic!()
    };
    assert!(
        matches!(&read[0], InboundEvent::Status(s) if s.target == StatusTarget::UpTo {
        recipient: Identity::Messenger("42".into()), watermark: Timestamp(5_000) })
    );
    fake.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_messenger_sends_profiles_and_probes_as_the_module_expects() {
    let fake = MetaFake::start().await;
    let ms = Messenger::new(fake.messenger_config(true));
    let psid = Identity::Messenger("6881956835235573".into());
    for w in [WindowState::Open, WindowState::Tagged] {
        let id = ms
            .sent(&run(&ms.send(&text(psid.clone(), "ok", w)).unwrap()).await)
            .unwrap();
        assert!(id.starts_with("m_FAKE"), "{id}");
    }
    let sent = fake.requests_to(Route::MessengerSend);
    assert_eq!(sent[0].json()["messaging_type"], "RESPONSE");
    assert_eq!(sent[1].json()["tag"], "HUMAN_AGENT");
    assert_eq!(sent[0].path, "/v21.0/me/messages");
    assert_eq!(
        sent[0].authorization.as_deref(),
        Some(format!("Bearer {}", meta_fake::PAGE_TOKEN).as_str())
    );

    fake.script(
        Route::MessengerSend,
        400,
        json!({"error": {"message": "(#10) This message is sent outside of allowed window.",
                         "type": "OAuthException", "code": 10, "error_subcode": 2018278}}),
    );
    let req = ms
        .send(&text(psid.clone(), "late", WindowState::Open))
        .unwrap();
    assert!(matches!(
        ms.sent(&run(&req).await),
        Err(SendError::OutsideWindow(_))
    ));

    fake.add_profile("6881956835235573", "Peter", "Chang");
    let profile = ms.profile(&psid).unwrap();
    assert_eq!(
        ms.profiled(&run(&profile).await),
        Some("Peter Chang".into())
    );
    assert_eq!(
        ms.probed(&run(&ms.probe()).await).unwrap(),
        format!("Facebook page {}", meta_fake::PAGE_NAME)
    );
    // A wrong page token is refused in words.
    let mut bad = fake.messenger_config(true);
    bad.page_access_token = "expired".into();
    let bad = Messenger::new(bad);
    let err = bad.probed(&run(&bad.probe()).await).unwrap_err();
    assert!(err.starts_with("the access token was refused"), "{err}");

    // The media URL of the fake refuses a download without the token, as Meta's does.
    let id = fake.add_media(b"x", "image/png");
    let info = reqwest::Client::new()
        .get(format!("{}/{id}", fake.api_base))
        .bearer_auth(meta_fake::ACCESS_TOKEN)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let plain = reqwest::get(info["url"].as_str().unwrap()).await.unwrap();
    assert_eq!(plain.status(), 401);
    fake.stop().await;
}
