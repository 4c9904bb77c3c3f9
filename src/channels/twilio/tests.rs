//! Inbound: signatures (Twilio's documented example first) and the shapes of its
//! webhooks, from fixtures written as Twilio documents them.

use super::*;
use crate::channels::seam::{
    Identity, InboundEvent, InboundMessage, ProviderError, StatusTarget, StatusUpdate,
};

mod outbound_tests;

pub(super) const TOKEN: &str = "f0e1d2c3b4a5968778695a4b3c2d1e0f";
pub(super) const SID: &str = "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";
const HOOK: &str = "https://inbox.example.com/hooks/twilio/7";
const NOW: Timestamp = Timestamp(1_700_000_000_000);

pub(super) fn sms() -> Twilio {
    Twilio::new(Config {
        account_sid: SID.into(),
        auth_token: TOKEN.into(),
        from: "+15558675310".into(),
        api_base: String::new(),
        status_callback: None,
        whatsapp: false,
    })
}

pub(super) fn whatsapp() -> Twilio {
    Twilio::new(Config {
        from: "+14155238886".into(),
        whatsapp: true,
        ..sms().config
    })
}

fn pairs(body: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(body).unwrap()
}

/// A request as Twilio sends it: `body` posted to `url`, signed with `token`.
fn signed(url: &str, body: &str, token: &str) -> RawRequest {
    let sig = signature(token, url, &pairs(body));
    RawRequest {
        method: "POST".into(),
        url: url.into(),
        query: String::new(),
        headers: vec![
            (
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
            ("x-twilio-signature".into(), sig),
        ],
        body: body.as_bytes().to_vec(),
    }
}

fn events(t: &Twilio, body: &str) -> Vec<InboundEvent> {
    match t.receive(&signed(HOOK, body, TOKEN), NOW).unwrap() {
        Accepted::Events(e) => e,
        other => panic!("not events: {other:?}"),
    }
}

fn one_message(t: &Twilio, body: &str) -> InboundMessage {
    match events(t, body).as_slice() {
        [InboundEvent::Message(m)] => m.clone(),
        other => panic!("not one message: {other:?}"),
    }
}

fn one_status(t: &Twilio, body: &str) -> StatusUpdate {
    match events(t, body).as_slice() {
        [InboundEvent::Status(s)] => s.clone(),
        other => panic!("not one status: {other:?}"),
    }
}

#[test]
fn twilio_documented_signature_example() {
    // Twilio's "Webhooks security" example: this URL, these parameters and the auth
    // token 12345 give this signature.
    let params: Vec<(String, String)> = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    assert_eq!(
        signature("12345", url, &params),
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    );
    // The order the parameters came in does not matter: they are sorted.
    let mut reversed = params.clone();
    reversed.reverse();
    assert!(inbound::verify(
        "12345",
        url,
        &reversed,
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    ));
    assert!(!inbound::verify(
        "12346",
        url,
        &params,
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    ));
}

#[test]
fn a_missing_or_wrong_signature_is_refused() {
    let body = include_str!("fixtures/sms.form");
    let t = sms();
    let mut req = signed(HOOK, body, TOKEN);
    req.headers.retain(|(n, _)| n != "x-twilio-signature");
    assert!(matches!(
        t.receive(&req, NOW),
        Err(Refused::Unauthorized(_))
    ));
    // Signed with another token, for another URL, or with a body changed after.
    for req in [
        signed(HOOK, body, "another-token"),
        {
            let mut r = signed(&format!("{HOOK}/other"), body, TOKEN);
            r.url = HOOK.into();
            r
        },
        {
            let mut r = signed(HOOK, body, TOKEN);
            r.body = body.replace("Hola", "Adios").into_bytes();
            r
        },
        {
            let mut r = signed(HOOK, body, TOKEN);
            r.headers[1].1 = "not base64 at all!".into();
            r
        },
    ]
    .into_iter()
    .enumerate()
    {
        let (i, req) = req;
        assert!(
            matches!(t.receive(&req, NOW), Err(Refused::Unauthorized(_))),
            "accepted bad signature {i}"
        );
    }
    // The same request, signed right, passes.
    assert!(t.receive(&signed(HOOK, body, TOKEN), NOW).is_ok());
}

#[test]
fn the_port_may_or_may_not_be_in_the_signed_url() {
    // Twilio's SDKs accept the URL with and without its port: so do we.
    let body = include_str!("fixtures/sms.form");
    let t = sms();
    let mut req = signed("https://inbox.example.com:443/hooks/twilio/7", body, TOKEN);
    req.url = HOOK.into();
    assert!(t.receive(&req, NOW).is_ok());
    let mut req = signed(HOOK, body, TOKEN);
    req.url = "https://inbox.example.com:8443/hooks/twilio/7".into();
    assert!(t.receive(&req, NOW).is_ok());
    // But the port is the only thing that may differ.
    let mut req = signed("https://inbox.example.com:443/hooks/twilio/8", body, TOKEN);
    req.url = HOOK.into();
    assert!(t.receive(&req, NOW).is_err());
    assert_eq!(
        inbound::url_spellings("http://[::1]:8080/h?x=1"),
        vec!["http://[::1]:8080/h?x=1", "http://[::1]/h?x=1"]
    );
    assert_eq!(
        inbound::url_spellings("https://a.b/h"),
        vec!["https://a.b/h", "https://a.b:443/h"]
    );
}

#[test]
fn an_sms_is_a_message_from_a_phone() {
    let m = one_message(&sms(), include_str!("fixtures/sms.form"));
    assert_eq!(
        m,
        InboundMessage {
            source_id: "SM1f0e8ae6ade43cb3c0ce4525424e404f".into(),
            from: Identity::Phone("+14155552671".into()),
            name: None,
            text: "Hola, ¿tenéis la talla M?".into(),
            at: Some(NOW),
            media: vec![],
        }
    );
}

#[test]
fn an_mms_brings_each_of_its_files() {
    let m = one_message(&sms(), include_str!("fixtures/mms_two_media.form"));
    assert_eq!(m.source_id, "MM3b1e2f3a4c5d6e7f8091a2b3c4d5e6f7");
    assert_eq!(m.text, "The receipt and a photo");
    let url = |me: &str| {
        format!(
            "https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages/MM3b1e2f3a4c5d6e7f8091a2b3c4d5e6f7/Media/{me}"
        )
    };
    assert_eq!(
        m.media,
        vec![
            MediaRef {
                kind: MediaKind::Image,
                locator: url("ME0a1b2c3d4e5f60718293a4b5c6d7e8f"),
                mime: Some("image/jpeg".into()),
                filename: None,
            },
            MediaRef {
                kind: MediaKind::Document,
                locator: url("ME1a1b2c3d4e5f60718293a4b5c6d7e8f"),
                mime: Some("application/pdf".into()),
                filename: None,
            },
        ]
    );
}

#[test]
fn whatsapp_names_the_sender_and_reads_locations() {
    let t = whatsapp();
    let m = one_message(&t, include_str!("fixtures/whatsapp_text.form"));
    assert_eq!(m.from, Identity::Phone("+34600111222".into()));
    assert_eq!(m.name.as_deref(), Some("Ana García"));
    assert_eq!(m.text, "Buenas, ¿hacéis envíos a Canarias?");
    let m = one_message(&t, include_str!("fixtures/whatsapp_location.form"));
    assert_eq!(
        m.text,
        "[location: La tienda, Puerta del Sol, Madrid (40.4168, -3.7038)] \
         https://www.openstreetmap.org/?mlat=40.4168&mlon=-3.7038"
    );
}

#[test]
fn rcs_senders_are_phones_and_unusable_senders_are_refused() {
    let body = include_str!("fixtures/sms.form");
    let rcs = body.replace("From=%2B14155552671", "From=rcs%3A%2B14155552671");
    assert_eq!(
        one_message(&sms(), &rcs).from,
        Identity::Phone("+14155552671".into())
    );
    let short = body.replace("From=%2B14155552671", "From=12345");
    assert!(matches!(
        sms().receive(&signed(HOOK, &short, TOKEN), NOW),
        Err(Refused::BadRequest(_))
    ));
    let no_sid = body.replace("MessageSid=", "X=").replace("SmsSid=", "Y=");
    assert!(matches!(
        sms().receive(&signed(HOOK, &no_sid, TOKEN), NOW),
        Err(Refused::BadRequest(_))
    ));
}

#[test]
fn status_callbacks_of_every_kind() {
    let t = sms();
    let s = one_status(&t, include_str!("fixtures/status_delivered.form"));
    assert_eq!(
        s,
        StatusUpdate {
            target: StatusTarget::Message("SMb7c0a2ce80504485a6f653a7110836f5".into()),
            status: DeliveryStatus::Delivered,
            error: None,
            at: Some(NOW),
        }
    );
    let s = one_status(&t, include_str!("fixtures/status_undelivered.form"));
    assert_eq!(s.status, DeliveryStatus::Failed);
    assert_eq!(
        s.error,
        Some(ProviderError {
            code: "30003".into(),
            text: error_words(30003).unwrap().into()
        })
    );
    let w = whatsapp();
    let s = one_status(&w, include_str!("fixtures/status_whatsapp_read.form"));
    assert_eq!(s.status, DeliveryStatus::Read);
    let s = one_status(
        &w,
        include_str!("fixtures/status_whatsapp_failed_63016.form"),
    );
    assert_eq!(s.status, DeliveryStatus::Failed);
    assert_eq!(
        s.error.unwrap().display(),
        "Outside the WhatsApp 24-hour window: only an approved template can be sent (63016)"
    );
    // The rest of the lifecycle, from the same callback with another status.
    let base = include_str!("fixtures/status_delivered.form");
    let with = |status: &str| base.replace("Status=delivered", &format!("Status={status}"));
    for quiet in [
        "accepted",
        "scheduled",
        "queued",
        "sending",
        "partially_delivered",
    ] {
        assert_eq!(events(&t, &with(quiet)), vec![], "{quiet}");
    }
    assert_eq!(one_status(&t, &with("sent")).status, DeliveryStatus::Sent);
    let failed = one_status(&t, &format!("{}&ErrorCode=21610", with("failed")));
    assert_eq!(failed.status, DeliveryStatus::Failed);
    assert_eq!(
        failed.error.unwrap().text,
        "The recipient replied STOP and unsubscribed from this number"
    );
    let unknown = one_status(&t, &format!("{}&ErrorCode=30410", with("undelivered")));
    assert_eq!(unknown.error.unwrap().text, "Twilio error 30410");
    let bare = one_status(&t, &with("failed"));
    assert_eq!(bare.error.unwrap().code, "");
}

#[test]
fn error_codes_read_in_words() {
    for code in [
        63016, 21610, 21211, 30003, 30005, 30006, 30007, 30008, 20003,
    ] {
        assert!(error_words(code).is_some_and(|w| w.len() > 10), "{code}");
    }
    assert_eq!(error_words(99999), None);
    assert_eq!(
        error_text("21211", Some("Invalid 'To' Phone Number: +1")),
        "Invalid 'To' phone number"
    );
    assert_eq!(
        error_text("21606", Some("The From number is not SMS-capable")),
        "The From number is not SMS-capable"
    );
    assert_eq!(error_text("21606", None), "Twilio error 21606");
}

#[test]
fn config_debug_hides_the_token() {
    let shown = format!("{:?}", sms());
    assert!(!shown.contains(TOKEN));
    assert!(shown.contains("<redacted>"));
}

#[test]
fn a_get_webhook_is_signed_over_its_url_alone() {
    // A number configured for GET: the parameters are the query, signed within the URL.
    let query = include_str!("fixtures/sms.form");
    let url = format!("{HOOK}?{query}");
    let req = RawRequest {
        method: "GET".into(),
        url: url.clone(),
        query: query.into(),
        headers: vec![("x-twilio-signature".into(), signature(TOKEN, &url, &[]))],
        body: vec![],
    };
    let Ok(Accepted::Events(e)) = sms().receive(&req, NOW) else {
        panic!("refused");
    };
    assert!(matches!(&e[..], [InboundEvent::Message(m)] if m.text == "Hola, ¿tenéis la talla M?"));
    let mut changed = req.clone();
    changed.url = url.replace("Hola", "Adios");
    assert!(sms().receive(&changed, NOW).is_err());
}
