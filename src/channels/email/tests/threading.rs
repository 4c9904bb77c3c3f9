//! Signed Message-IDs and plus-addresses: ours verify, forgeries do not.

use super::p;
use crate::channels::email::{
    plus_address, signed_message_id, token_from_plus_address, verify_message_id,
};

const SECRET: &[u8] = b"a 32-byte secret for the tests!!";
const TOKEN: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";

fn id() -> String {
    signed_message_id(SECRET, TOKEN, "n42", "charla.test")
}

#[test]
fn signed_id_has_the_documented_shape() {
    let id = id();
    let inner = id
        .strip_prefix("<charla.")
        .unwrap()
        .strip_suffix("@charla.test>")
        .unwrap();
    let parts: Vec<&str> = inner.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!((parts[0], parts[1]), (TOKEN, "n42"));
    assert_eq!(parts[2].len(), 32);
    assert!(
        parts[2]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    // Deterministic, and different per nonce.
    assert_eq!(id, signed_message_id(SECRET, TOKEN, "n42", "charla.test"));
    assert_ne!(id, signed_message_id(SECRET, TOKEN, "n43", "charla.test"));
}

#[test]
fn our_ids_verify_with_or_without_brackets() {
    let id = id();
    assert_eq!(verify_message_id(SECRET, &id), Some(TOKEN.to_string()));
    let bare = id.trim_start_matches('<').trim_end_matches('>');
    assert_eq!(verify_message_id(SECRET, bare), Some(TOKEN.to_string()));
    assert_eq!(
        verify_message_id(SECRET, &format!("  {id} ")),
        Some(TOKEN.to_string())
    );
    // The domain is not signed: a relay rewriting it must not break threading.
    let moved = bare.replace("@charla.test", "@other.example");
    assert_eq!(verify_message_id(SECRET, &moved), Some(TOKEN.to_string()));
}

#[test]
fn forgeries_do_not_verify() {
    let id = id();
    let bare = id.trim_start_matches('<').trim_end_matches('>').to_string();
    let sig = bare
        .split('.')
        .nth(3)
        .unwrap()
        .split('@')
        .next()
        .unwrap()
        .to_string();
    let other_token = "ffffffffffffffffffffffffffffffff";
    for forged in [
        bare.replace(TOKEN, other_token),        // another conversation
        bare.replace(".n42.", ".n43."),          // another nonce
        bare.replace(&sig, &"0".repeat(32)),     // made-up signature
        bare.replace(&sig, &sig[..30]),          // shortened signature
        bare.replace(&sig, &format!("{sig}00")), // lengthened signature
        bare.replace(&sig, &sig.replace(&sig[..1], "x")), // not hex
        bare.replace("charla.", "charla.x."),    // extra label
        bare.replace("charla.", "other."),       // not ours
        format!("charla.{other_token}.n1.{sig}@charla.test"), // signature from elsewhere
        "CAF1234@mail.example.org".to_string(),  // a customer's id
        String::new(),
        "<>".to_string(),
        "charla...@x".to_string(),
    ] {
        assert_eq!(verify_message_id(SECRET, &forged), None, "{forged}");
    }
    assert_eq!(verify_message_id(b"another secret", &id), None);
    assert_eq!(
        verify_message_id(b"", &signed_message_id(b"", TOKEN, "n", "x")),
        None
    );
}

#[test]
fn tokens_that_cannot_round_trip_never_verify() {
    for (token, nonce) in [
        ("a.b", "n"),
        ("a", "n.m"),
        ("a|b", "n"),
        ("", "n"),
        ("a", ""),
    ] {
        let id = signed_message_id(SECRET, token, nonce, "charla.test");
        assert_eq!(verify_message_id(SECRET, &id), None, "{token} {nonce}");
    }
}

#[test]
fn a_reply_to_our_mail_threads_by_in_reply_to() {
    let raw = format!(
        "From: ana@example.com\nTo: support@charla.test\nSubject: Re: Hi\n\
         In-Reply-To: {}\nReferences: <x@y> {}\n\nThanks\n",
        id(),
        id()
    );
    let e = p(raw.as_bytes());
    let tokens: Vec<_> = e
        .references
        .iter()
        .filter_map(|r| verify_message_id(SECRET, r))
        .collect();
    assert_eq!(
        verify_message_id(SECRET, &e.in_reply_to[0]),
        Some(TOKEN.to_string())
    );
    assert_eq!(tokens, vec![TOKEN.to_string()]);
}

#[test]
fn plus_addresses_round_trip() {
    let addr = plus_address("support", TOKEN, "charla.test");
    assert_eq!(addr, format!("support+{TOKEN}@charla.test"));
    assert_eq!(
        token_from_plus_address(&addr, "support", "charla.test"),
        Some(TOKEN.to_string())
    );
    let shouted = format!("<SUPPORT+{TOKEN}@Charla.Test>");
    assert_eq!(
        token_from_plus_address(&shouted, "support", "charla.test"),
        Some(TOKEN.to_string())
    );
}

#[test]
fn other_addresses_have_no_token() {
    for addr in [
        "support@charla.test",
        "support+@charla.test",
        "support+a.b@charla.test",
        "support+a+b@charla.test",
        "supportx+abc@charla.test",
        "evil+abc@charla.test",
        "support+abc@charla.test.evil.example",
        "support+abc@evil.example",
        "support+abc",
        "",
    ] {
        assert_eq!(
            token_from_plus_address(addr, "support", "charla.test"),
            None,
            "{addr}"
        );
    }
    assert_eq!(
        token_from_plus_address("+abc@charla.test", "", "charla.test"),
        None
    );
}
