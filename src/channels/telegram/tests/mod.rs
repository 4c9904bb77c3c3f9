//! Unit tests of the Telegram module against fixtures shaped as the Bot API documents
//! them (`../fixtures/`).

mod inbound;
mod media;
mod outbound;

use super::{Config, Telegram};
use crate::channels::http::HttpResponse;

/// A fixture of `src/channels/telegram/fixtures/`, compiled in.
macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../fixtures/", $name, ".json"))
    };
}
pub(crate) use fixture;

const TOKEN: &str = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

/// A bot on a local fake, in webhook mode with `secret`.
fn bot(secret: Option<&str>) -> Telegram {
    Telegram::new(Config {
        bot_token: TOKEN.into(),
        api_base: "http://127.0.0.1:8081/".into(),
        secret_token: secret.map(str::to_string),
    })
}

/// An answer with `status` and a JSON body, as the Bot API sends it.
fn answer(status: u16, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn debug_never_shows_the_token_or_the_secret() {
    let b = bot(Some("s3cr3t-Token_1"));
    let shown = format!("{:?} {:?}", b, b.config());
    assert!(!shown.contains("AAHdqTcv"), "{shown}");
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert!(shown.contains("127.0.0.1:8081"));
}

#[test]
fn secret_tokens_follow_set_webhooks_rule() {
    assert!(super::valid_secret_token("abc_DEF-123"));
    assert!(!super::valid_secret_token(""));
    assert!(!super::valid_secret_token("with space"));
    assert!(!super::valid_secret_token(&"a".repeat(257)));
    assert!(super::valid_secret_token(&"a".repeat(256)));
}
