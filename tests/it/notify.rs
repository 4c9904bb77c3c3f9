//! Notifications over the live stream: each agent's `/events` gets a `notify` event for
//! a new conversation in an inbox they are a member of, a new message in a conversation
//! assigned to them and an @mention; nobody hears of their own action, of an inbox they
//! are not in, or of a kind they turned off in the profile.

use super::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A signed-in agent's open live stream.
struct Stream {
    who: &'static str,
    resp: reqwest::Response,
    buf: String,
}

impl Stream {
    async fn open(web: &Client, who: &'static str) -> Stream {
        let mut resp = web
            .http
            .get(format!("{}/events", web.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let buf = read_sse(&mut resp, 5000, ": connected").await;
        assert!(buf.contains(": connected"), "{who}: {buf}");
        Stream { who, resp, buf }
    }

    /// The `notify` events read until one about `conv` arrives (or 5 s pass), in order;
    /// what was read after that event is kept for the next call.
    async fn until(&mut self, conv: u64) -> Vec<Value> {
        let needle = format!("\"conversation\":{conv},");
        if !self.buf.contains(&needle) {
            let more = read_sse(&mut self.resp, 5000, &needle).await;
            self.buf.push_str(&more);
        }
        let end = match self.buf.find(&needle) {
            Some(i) => {
                i + self.buf[i..]
                    .find("\n\n")
                    .map_or(self.buf.len() - i, |j| j + 2)
            }
            None => self.buf.len(),
        };
        let seen: String = self.buf.drain(..end).collect();
        seen.split("\n\n")
            .filter_map(|ev| {
                ev.trim_start_matches('\n')
                    .strip_prefix("event: notify\ndata: ")
            })
            .map(|d| serde_json::from_str(d).unwrap())
            .collect()
    }

    /// Exactly `want` (kind, conversation) since the last read, ending with `want`'s last.
    async fn expect(&mut self, want: &[(&str, u64)]) -> Vec<Value> {
        let last = want.last().map_or(0, |w| w.1);
        let got = self.until(last).await;
        let kinds: Vec<(String, u64)> = got
            .iter()
            .map(|n| {
                (
                    n["kind"].as_str().unwrap().to_string(),
                    n["conversation"].as_u64().unwrap(),
                )
            })
            .collect();
        let want: Vec<(String, u64)> = want.iter().map(|(k, c)| (k.to_string(), *c)).collect();
        assert_eq!(kinds, want, "{}'s notifications", self.who);
        got
    }
}

async fn customer(url: &str, inbox: u64, token: &str, who: &str, text: &str) -> u64 {
    let (s, v) = incoming(
        url,
        inbox,
        token,
        json!({"contact": {"identifier": who, "name": who}, "content": text}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["conversation_id"].as_u64().unwrap()
}

async fn signed_in(app: &TestApp, email: &str) -> Client {
    let web = app.client();
    let r = web.login(email, "password-123").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign in {email}");
    web
}

#[tokio::test]
async fn the_right_agents_get_notify_events_for_each_kind() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let luis = api
        .agent("Luis Gómez", "luis@example.com", "agent", "password-123")
        .await;
    let marta = api
        .agent("Marta Ruiz", "marta@example.com", "agent", "password-123")
        .await;
    let pablo = api
        .agent("Pablo Díaz", "pablo@example.com", "agent", "password-123")
        .await;
    let (support, support_token) = api.inbox("Soporte", &[luis, marta], None).await;
    let (sales, sales_token) = api.inbox("Ventas", &[pablo], None).await;
    let (luis_web, marta_web, pablo_web) = (
        signed_in(&app, "luis@example.com").await,
        signed_in(&app, "marta@example.com").await,
        signed_in(&app, "pablo@example.com").await,
    );
    let (luis_api, marta_api) = (
        Api::for_client(&luis_web).await,
        Api::for_client(&marta_web).await,
    );
    let mut l = Stream::open(&luis_web, "Luis").await;
    let mut m = Stream::open(&marta_web, "Marta").await;
    let mut p = Stream::open(&pablo_web, "Pablo").await;

    // A new conversation in Soporte: both members, with the contact's name and the text
    // as data (markup and all, for the page to put into text); Pablo's inbox is Ventas.
    let c1 = customer(
        &app.url,
        support,
        &support_token,
        "Lucía <b>Fernández</b>",
        "Hola,\n¿dónde está   mi pedido <script>?",
    )
    .await;
    let got = l.expect(&[("conversation", c1)]).await;
    assert_eq!(got[0]["title"], "Lucía <b>Fernández</b>");
    assert_eq!(got[0]["excerpt"], "Hola, ¿dónde está mi pedido <script>?");
    m.expect(&[("conversation", c1)]).await;
    let s1 = customer(
        &app.url,
        sales,
        &sales_token,
        "Jorge",
        "¿Tenéis la talla M?",
    )
    .await;
    p.expect(&[("conversation", s1)]).await;

    // Another message in the unassigned conversation is not a new conversation; once
    // Luis takes it, the customer's next message is his alone.
    customer(
        &app.url,
        support,
        &support_token,
        "Lucía <b>Fernández</b>",
        "¿Hola?",
    )
    .await;
    let (s, v) = luis_api
        .post(
            &format!("/api/v1/conversations/{c1}/assign"),
            json!({"agent_id": luis}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    customer(
        &app.url,
        support,
        &support_token,
        "Lucía <b>Fernández</b>",
        "Es el 4512",
    )
    .await;
    let got = l.expect(&[("assigned", c1)]).await;
    assert_eq!(got[0]["excerpt"], "Es el 4512");

    // Marta's note mentioning Luis: a mention (once, though it is also his conversation);
    // Marta hears nothing of her own note, nor of Luis's reply.
    let (s, v) = marta_api
        .post(
            &format!("/api/v1/conversations/{c1}/messages"),
            json!({"content": "@Luis Gómez mira el envío", "private": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let got = l.expect(&[("mention", c1)]).await;
    assert_eq!(got[0]["excerpt"], "@Luis Gómez mira el envío");
    reply(&luis_api, c1, "Ya está en camino").await;
    // A new conversation in Soporte closes each stream's reading: what came before it
    // is everything Marta and Luis were told.
    let c2 = customer(
        &app.url,
        support,
        &support_token,
        "Carmen",
        "Quiero cambiar la dirección",
    )
    .await;
    m.expect(&[("conversation", c2)]).await;
    l.expect(&[("conversation", c2)]).await;
    // Pablo saw none of Soporte's.
    let s2 = customer(&app.url, sales, &sales_token, "Jorge", "¿Y en azul?").await;
    assert!(
        p.until(s2).await.is_empty(),
        "a message in an unassigned conversation"
    );
    let s3 = customer(&app.url, sales, &sales_token, "Elena", "Buenas").await;
    p.expect(&[("conversation", s3)]).await;

    // Luis turns off messages in his conversations: the customer's next one is not sent
    // to him, and new conversations still are. Bad input costs nothing: a missing CSRF
    // token is refused and the choices stay.
    let r = luis_web
        .post("/profile/notifications", &[("conversations", "on")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = luis_web
        .submit(
            "/profile",
            "/profile/notifications",
            &[("conversations", "on"), ("mentions", "on")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&r),
        "/profile?flash=notifications_saved#notifications"
    );
    let (_, page) = luis_web
        .get_text("/profile?flash=notifications_saved")
        .await;
    assert!(page.contains("Notifications saved."), "{page}");
    assert!(page.contains(r#"name="assigned" value="on">"#), "unticked");
    assert!(page.contains(r#"name="mentions" value="on" checked>"#));
    customer(
        &app.url,
        support,
        &support_token,
        "Lucía <b>Fernández</b>",
        "¿Llega hoy?",
    )
    .await;
    let c3 = customer(
        &app.url,
        support,
        &support_token,
        "Raúl",
        "Factura, por favor",
    )
    .await;
    l.expect(&[("conversation", c3)]).await;
    m.expect(&[("conversation", c3)]).await;

    // Marta turns off new conversations too: the next one reaches Luis only.
    let r = marta_web
        .submit("/profile", "/profile/notifications", &[("assigned", "on")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let c4 = customer(&app.url, support, &support_token, "Sara", "Hola").await;
    l.expect(&[("conversation", c4)]).await;
    let (s, _) = api
        .post(
            &format!("/api/v1/conversations/{c4}/assign"),
            json!({"agent_id": marta}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    customer(&app.url, support, &support_token, "Sara", "¿Sigues ahí?").await;
    m.expect(&[("assigned", c4)]).await;
    app.stop().await;
}

#[tokio::test]
async fn a_member_removed_from_the_inbox_is_no_longer_told() {
    let app = TestApp::start().await;
    let admin = app.admin().await;
    let api = Api::for_client(&admin).await;
    let luis = api
        .agent("Luis Gómez", "luis@example.com", "agent", "password-123")
        .await;
    let marta = api
        .agent("Marta Ruiz", "marta@example.com", "agent", "password-123")
        .await;
    let (support, token) = api.inbox("Soporte", &[luis, marta], None).await;
    let luis_web = signed_in(&app, "luis@example.com").await;
    let marta_web = signed_in(&app, "marta@example.com").await;
    let mut l = Stream::open(&luis_web, "Luis").await;
    let mut m = Stream::open(&marta_web, "Marta").await;
    let c1 = customer(&app.url, support, &token, "Ana", "Hola").await;
    let (s, _) = api
        .post(
            &format!("/api/v1/conversations/{c1}/assign"),
            json!({"agent_id": luis}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    l.expect(&[("conversation", c1)]).await;
    m.expect(&[("conversation", c1)]).await;
    // Luis leaves Soporte (still the assignee on record): nothing about it reaches him.
    let (s, v) = api
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/inboxes/{support}"),
            Some(json!({"member_ids": [marta]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    customer(&app.url, support, &token, "Ana", "¿Hola?").await;
    let c2 = customer(&app.url, support, &token, "Beto", "Buenas").await;
    m.expect(&[("conversation", c2)]).await;
    // The admin is not a member of Soporte: an admin sees every inbox but is not told
    // of each one's new conversations.
    let mut a = Stream::open(&admin, "Ana").await;
    let c3 = customer(&app.url, support, &token, "Celia", "Hola").await;
    m.expect(&[("conversation", c3)]).await;
    // Luis's and the admin's streams: a mention each, after which nothing else came.
    let marta_api = Api::for_client(&marta_web).await;
    let (s, v) = marta_api
        .post(
            &format!("/api/v1/conversations/{c3}/messages"),
            json!({"content": "@Ana López ¿lo ves tú?", "private": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    a.expect(&[("mention", c3)]).await;
    assert!(
        l.until(c3).await.is_empty(),
        "Luis is told nothing once out of the inbox"
    );
    app.stop().await;
}
