//! Threading by plus-address, the timeline text, and the mail health board.

use super::*;

fn mail(to: &[&str], cc: &[&str]) -> ParsedEmail {
    ParsedEmail {
        to: to.iter().map(|s| s.to_string()).collect(),
        cc: cc.iter().map(|s| s.to_string()).collect(),
        ..ParsedEmail::default()
    }
}

#[test]
fn plus_address_names_the_thread_after_our_signed_ids() {
    let secret = b"0123456789abcdef0123456789abcdef";
    let token = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
    let plus = email::plus_address("shop", token, "example.com");
    let to_plus = mail(&["someone@else.example", &plus], &[]);
    assert_eq!(
        thread_token(&to_plus, secret, "shop@example.com").as_deref(),
        Some(token)
    );
    let cc_plus = mail(&["shop@example.com"], &[&plus.to_uppercase()]);
    assert_eq!(
        thread_token(&cc_plus, secret, "Shop@Example.com").as_deref(),
        Some(token.to_uppercase().as_str()),
        "local part and domain match without regard to case"
    );
    // Another inbox's address, or none configured: no thread.
    assert_eq!(thread_token(&to_plus, secret, "sales@example.com"), None);
    assert_eq!(thread_token(&to_plus, secret, ""), None);
    assert_eq!(
        thread_token(
            &mail(&["shop@example.com"], &[]),
            secret,
            "shop@example.com"
        ),
        None
    );
    // A reply to our signed id wins over the plus-address.
    let mut both = to_plus.clone();
    both.in_reply_to = vec![email::signed_message_id(
        secret,
        "other",
        "n1",
        "example.com",
    )];
    assert_eq!(
        thread_token(&both, secret, "shop@example.com").as_deref(),
        Some("other")
    );
}

#[test]
fn the_timeline_shows_the_new_part_and_keeps_the_whole() {
    let reply = ParsedEmail {
        text: "Thanks, it works.\n\nOn Mon, 3 Jun 2024 at 10:00, Shop <shop@example.com> wrote:\n> Try again.\n".into(),
        ..ParsedEmail::default()
    };
    let (shown, full) = timeline_text(&reply, 10_000);
    assert_eq!(shown, "Thanks, it works.");
    assert_eq!(full.as_deref(), Some(reply.text.as_str()));
    let plain = ParsedEmail {
        text: "Just a question.".into(),
        ..ParsedEmail::default()
    };
    assert_eq!(
        timeline_text(&plain, 10_000),
        ("Just a question.".into(), None)
    );
    assert_eq!(timeline_text(&plain, 4).0, "Just…");
}

mod health_tests {
    use super::*;

    #[test]
    fn polls_here_are_told_and_polls_from_elsewhere_only_recorded() {
        let board = MailHealthBoard::default();
        let told = std::sync::Arc::new(Mutex::new(vec![]));
        let t = told.clone();
        assert!(board.on_poll(move |i, p| t.lock().unwrap().push((i, p.clone()))));
        board.ok(InboxId(1), Timestamp(10), 3);
        board.record(
            InboxId(1),
            &MailPoll::Failed {
                at: Timestamp(20),
                error: "refused".into(),
            },
        );
        let h = board.get(InboxId(1));
        assert_eq!(h.last_success, Some(Timestamp(10)));
        assert_eq!(h.fetched, 3);
        assert_eq!(h.last_error, Some((Timestamp(20), "refused".into())));
        assert_eq!(
            *told.lock().unwrap(),
            vec![(
                InboxId(1),
                MailPoll::Ok {
                    at: Timestamp(10),
                    fetched: 3
                }
            )]
        );
    }
}
