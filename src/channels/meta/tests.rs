use super::*;
use std::time::Duration;

const ERRORS: &str = include_str!("fixtures/graph_errors.json");
const SECRET: &str = "6f1d1c5a8e0b4c2e9d7f3a1b2c4d6e8f";

fn graph_error(name: &str, status: u16) -> HttpResponse {
    let all: Value = serde_json::from_str(ERRORS).unwrap();
    HttpResponse {
        status,
        headers: vec![],
        body: serde_json::to_vec(&all[name]).unwrap(),
    }
}

fn get(query: &str) -> RawRequest {
    RawRequest {
        method: "GET".into(),
        query: query.into(),
        ..RawRequest::default()
    }
}

fn post(body: &[u8], sig: Option<&str>) -> RawRequest {
    RawRequest {
        method: "POST".into(),
        headers: sig
            .map(|s| vec![("x-hub-signature-256".to_string(), s.to_string())])
            .unwrap_or_default(),
        body: body.to_vec(),
        ..RawRequest::default()
    }
}

#[test]
fn handshake_answers_the_challenge_only_for_the_right_token() {
    let q = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock";
    assert_eq!(
        handshake(&get(q), "meatyhamhock"),
        Ok(Accepted::Challenge("1158201444".into()))
    );
    assert!(matches!(
        handshake(&get(q), "meatyhamhocks"),
        Err(Refused::Forbidden(_))
    ));
    // An inbox without a token answers no one, not even an empty token.
    let empty = "hub.mode=subscribe&hub.challenge=1&hub.verify_token=";
    assert!(matches!(
        handshake(&get(empty), ""),
        Err(Refused::Forbidden(_))
    ));
    assert!(matches!(
        handshake(
            &get("hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=t"),
            "t"
        ),
        Err(Refused::BadRequest(_))
    ));
    assert!(matches!(
        handshake(&get("hub.mode=subscribe&hub.verify_token=t"), "t"),
        Err(Refused::BadRequest(_))
    ));
}

#[test]
fn the_signature_is_checked_on_the_raw_body() {
    let body = br#"{"object":"page","entry":[]}"#;
    let sig = signature(SECRET, body);
    assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
    assert_eq!(verify_signature(&post(body, Some(&sig)), SECRET), Ok(()));

    // Re-serialised JSON with the same meaning is not what was signed.
    let spaced = br#"{"object": "page", "entry": []}"#;
    assert!(matches!(
        verify_signature(&post(spaced, Some(&sig)), SECRET),
        Err(Refused::Unauthorized(_))
    ));
    for wrong in [
        signature("another secret", body),
        sig.trim_start_matches("sha256=").to_string(),
        "sha256=zz".to_string(),
        "sha1=0123".to_string(),
    ] {
        assert!(
            matches!(
                verify_signature(&post(body, Some(&wrong)), SECRET),
                Err(Refused::Unauthorized(_))
            ),
            "{wrong}"
        );
    }
    assert!(matches!(
        verify_signature(&post(body, None), SECRET),
        Err(Refused::Unauthorized(m)) if m.contains("missing")
    ));
    // No secret configured: nothing verifies.
    assert!(verify_signature(&post(body, Some(&signature("", body))), "").is_err());
}

#[test]
fn a_signed_body_that_is_not_json_is_a_bad_request() {
    let body = b"not json";
    let sig = signature(SECRET, body);
    assert!(matches!(
        notification(&post(body, Some(&sig)), SECRET),
        Err(Refused::BadRequest(_))
    ));
}

#[test]
fn secrets_compare_whole() {
    assert!(same_secret("abc", "abc"));
    assert!(!same_secret("abc", "abd"));
    assert!(!same_secret("abc", "ab"));
}

#[test]
fn graph_errors_read_as_code_and_words() {
    let e = GraphError::from_response(&graph_error("reengagement", 400)).unwrap();
    assert_eq!(e.code, 131047);
    assert_eq!(e.message, "Re-engagement message");
    assert!(e.details.as_deref().unwrap().contains("more than 24 hours"));
    assert_eq!(e.provider_error().code, "131047");
    assert!(
        e.provider_error()
            .text
            .starts_with("Re-engagement message: Message failed to send")
    );
    let m = GraphError::from_response(&graph_error("messenger_window", 400)).unwrap();
    assert_eq!((m.code, m.subcode), (10, Some(2018278)));
    assert!(m.message.starts_with("This message is sent outside"));
}

#[test]
fn window_errors_are_outside_the_window() {
    for name in ["reengagement", "messenger_window"] {
        match classify(&graph_error(name, 400)) {
            SendError::OutsideWindow(words) => {
                assert!(
                    words.contains("window") || words.contains("24 hours"),
                    "{words}"
                )
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn throttling_and_server_errors_are_retried_later() {
    for (name, status) in [
        ("throughput", 400),
        ("pair_rate", 400),
        ("messenger_rate", 400),
        ("invalid_recipient", 503),
    ] {
        assert!(
            matches!(
                classify(&graph_error(name, status)),
                SendError::RetryLater { .. }
            ),
            "{name}"
        );
    }
    let mut r = graph_error("throughput", 429);
    r.headers.push(("retry-after".into(), "30".into()));
    assert_eq!(
        classify(&r),
        SendError::RetryLater {
            after: Some(Duration::from_secs(30)),
            reason: "Rate limit hit: Cloud API message throughput has been reached. (130429)"
                .into()
        }
    );
    // A 502 from a proxy, with no Graph body.
    let bare = HttpResponse {
        status: 502,
        headers: vec![],
        body: b"<html>Bad Gateway</html>".to_vec(),
    };
    assert!(matches!(classify(&bare), SendError::RetryLater { .. }));
}

#[test]
fn other_errors_are_permanent_with_the_code() {
    match classify(&graph_error("invalid_recipient", 400)) {
        SendError::Permanent(e) => {
            assert_eq!(e.code, "131026");
            assert_eq!(e.text, "Message undeliverable: Message Undeliverable.");
        }
        other => panic!("{other:?}"),
    }
    // 551 is the person being unavailable (blocked the page), not the window.
    assert!(matches!(
        classify(&graph_error("messenger_unavailable", 400)),
        SendError::Permanent(e) if e.code == "551"
    ));
    assert!(matches!(
        classify(&graph_error("token_expired", 401)),
        SendError::Permanent(e) if e.code == "190"
    ));
}

#[test]
fn probe_failures_say_what_is_wrong() {
    let t = probe_failure(&graph_error("token_expired", 401), "the page");
    assert!(t.starts_with("the access token was refused"), "{t}");
    assert!(t.contains("Session has expired"), "{t}");
    let n = probe_failure(&graph_error("unknown_object", 400), "the phone number id");
    assert!(n.starts_with("the phone number id was not found"), "{n}");
}
