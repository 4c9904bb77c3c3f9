//! Issue 13, three smaller pieces: uploaded files carried by `charla export` /
//! `charla import` (across engines), a template sent later, and a messaging channel's
//! length limit counted on the text as the channel receives it.

use super::common::*;
use super::sms::{ACCOUNT, CUSTOMER, FROM, only_conversation, sms_inbox};
use super::twilio_fake;
use reqwest::StatusCode;
use serde_json::json;

/// SMS takes 1600 characters of plain text: `**…**` around 1600 letters is 1604 as
/// typed but 1600 as sent, so it goes (bold markers dropped); one letter more is
/// refused with the limit, and nothing is stored or sent.
#[actix_web::test]
async fn sms_limit_counts_the_text_as_sent_not_as_typed() {
    let (app, api, fake, inbox, hook) = sms_inbox().await;
    let msg = twilio_fake::inbound_sms(ACCOUNT, CUSTOMER, FROM, "¿Me mandas el catálogo?");
    assert_eq!(
        fake.post_webhook(&hook, &msg).await.status(),
        StatusCode::OK
    );
    let conv = only_conversation(&api, inbox).await;
    let at_limit = format!("**{}**", "a".repeat(1600));
    let id = reply(&api, conv, &at_limit).await;
    wait_status(&api, conv, id, "sent").await;
    let sent = fake.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].param("Body"), Some("a".repeat(1600).as_str()));

    let over = format!("**{}**", "a".repeat(1601));
    let path = format!("/api/v1/conversations/{conv}/messages");
    let (s, v) = api.post(&path, json!({"content": over})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("1600"), "{v}");
    // Scheduled replies are checked the same way.
    let later = "2099-01-01T10:00:00Z";
    let (s, v) = api
        .post(&path, json!({"content": over, "send_at": later}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(conversation_messages(&api, conv).await.len(), 2);
    assert_eq!(fake.sent().len(), 1, "nothing more went out");
    app.stop().await;
}
