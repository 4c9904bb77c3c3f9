//! Reading a WhatsApp Business Account's template list (Graph API
//! `GET /{WABA-ID}/message_templates`): one request per page, following
//! `paging.cursors.after` on the inbox's own base URL (never the `paging.next` URL as
//! given, so the access token only goes to the host it was stored for), and each
//! template's components mapped to what Charla sends. Pure: the service does the I/O.

use super::Config;
use crate::channels::http::{HttpRequest, HttpResponse};
use crate::channels::meta::{self, GraphError};
use crate::domain::template::{WaButton, WaButtonKind, WaHeader, WaHeaderKind, WhatsAppTemplate};
use serde_json::Value;

/// Templates asked per page (Graph's default is 25).
const PAGE_SIZE: u32 = 100;

/// The request for one page of `waba_id`'s templates, after `cursor` (none: the first).
pub fn list_request(cfg: &Config, waba_id: &str, cursor: Option<&str>) -> HttpRequest {
    let mut query = vec![
        (
            "fields",
            "name,language,status,category,parameter_format,components".to_string(),
        ),
        ("limit", PAGE_SIZE.to_string()),
    ];
    if let Some(c) = cursor {
        query.push(("after", c.to_string()));
    }
    HttpRequest::get(format!(
        "{}/{}/message_templates?{}",
        cfg.base(),
        meta::segment(waba_id),
        serde_urlencoded::to_string(&query).unwrap_or_default()
    ))
    .bearer(&cfg.access_token)
}

/// One template of the list, as Charla takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    /// Approved and mapped (its `inbox_id` is 0: the caller sets it).
    Approved(WhatsAppTemplate),
    /// Not taken: its name, language, and why (Meta's status when not approved).
    Skipped {
        name: String,
        language: String,
        reason: Skip,
    },
}

/// Why a template of the list was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Its status is not `APPROVED` (`PENDING`, `REJECTED`, `PAUSED`, `DISABLED`…).
    NotApproved(String),
    /// Approved, but with something Charla does not send (named parameters, a location
    /// header, a copy-code button…), or that does not pass Charla's checks: in words.
    Unsupported(String),
}

/// One page of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub templates: Vec<Listed>,
    /// The cursor of the next page, when `paging.next` says there is one.
    pub after: Option<String>,
}

/// Why a page could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListError {
    /// The access token was refused (Graph code 190, or HTTP 401): Meta's words.
    TokenRefused(String),
    /// The token lacks the permission, or the WABA id is not one it can read (code
    /// 100, 10, 200).
    NotFound(String),
    /// Throttled (HTTP 429 or a rate-limit code): Meta's words.
    RateLimited(String),
    /// Any other refusal or an answer that is not a template list.
    Failed(String),
}

impl ListError {
    /// Meta's or our words, whichever kind.
    pub fn detail(&self) -> &str {
        match self {
            ListError::TokenRefused(d)
            | ListError::NotFound(d)
            | ListError::RateLimited(d)
            | ListError::Failed(d) => d,
        }
    }
}

/// Reads one page's answer.
pub fn read_page(resp: &HttpResponse) -> Result<Page, ListError> {
    if !resp.is_success() {
        let err = GraphError::from_response(resp);
        let words = err
            .as_ref()
            .map(|e| e.provider_error().display())
            .unwrap_or_else(|| format!("Graph answered HTTP {}", resp.status));
        let code = err.as_ref().map(|e| e.code);
        return Err(match code {
            Some(190) | Some(102) => ListError::TokenRefused(words),
            _ if resp.status == 401 => ListError::TokenRefused(words),
            Some(4 | 17 | 32 | 613 | 80007 | 80008) => ListError::RateLimited(words),
            _ if resp.status == 429 => ListError::RateLimited(words),
            Some(100 | 10 | 200) => ListError::NotFound(words),
            _ => ListError::Failed(words),
        });
    }
    let v = resp
        .json()
        .ok_or_else(|| ListError::Failed("Graph's answer is not JSON".into()))?;
    let data = v
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| ListError::Failed("Graph's answer has no template list (data)".into()))?;
    let more = v.pointer("/paging/next").is_some_and(Value::is_string);
    let after = meta::text(v.pointer("/paging/cursors/after"));
    if more && after.is_none() {
        return Err(ListError::Failed(
            "Graph named a next page without its cursor".into(),
        ));
    }
    Ok(Page {
        templates: data.iter().map(listed).collect(),
        after: after.filter(|_| more),
    })
}

fn upper(v: Option<&Value>) -> String {
    meta::text(v).unwrap_or_default().to_ascii_uppercase()
}

/// One element of `data`.
pub fn listed(t: &Value) -> Listed {
    let name = meta::text(t.get("name")).unwrap_or_default();
    let language = meta::text(t.get("language")).unwrap_or_default();
    let skip = |reason: Skip| Listed::Skipped {
        name: name.clone(),
        language: language.clone(),
        reason,
    };
    let status = upper(t.get("status"));
    if status != "APPROVED" {
        return skip(Skip::NotApproved(if status.is_empty() {
            "UNKNOWN".into()
        } else {
            status
        }));
    }
    match map(t, &name, &language) {
        Ok(w) => Listed::Approved(w),
        Err(why) => skip(Skip::Unsupported(why)),
    }
}

/// An approved template's components as a [`WhatsAppTemplate`], checked.
fn map(t: &Value, name: &str, language: &str) -> Result<WhatsAppTemplate, String> {
    if upper(t.get("parameter_format")) == "NAMED" {
        return Err("named parameters ({{name}}) are not supported yet".into());
    }
    let mut w = WhatsAppTemplate {
        name: name.to_string(),
        language: language.to_string(),
        body: String::new(),
        header: None,
        buttons: vec![],
        inbox_id: 0,
        footer: None,
        examples: vec![],
        synced: true,
    };
    let empty = vec![];
    for c in t
        .get("components")
        .and_then(Value::as_array)
        .unwrap_or(&empty)
    {
        match upper(c.get("type")).as_str() {
            "HEADER" => w.header = Some(header(c)?),
            "BODY" => {
                w.body = meta::text(c.get("text")).unwrap_or_default();
                if c.pointer("/example/body_text_named_params").is_some() {
                    return Err("named parameters ({{name}}) are not supported yet".into());
                }
                w.examples = c
                    .pointer("/example/body_text/0")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .map(|x| x.as_str().unwrap_or_default().to_string())
                            .collect()
                    })
                    .unwrap_or_default();
            }
            "FOOTER" => w.footer = meta::text(c.get("text")),
            "BUTTONS" => {
                for b in c.get("buttons").and_then(Value::as_array).unwrap_or(&empty) {
                    w.buttons.push(button(b)?);
                }
            }
            other => return Err(format!("a {other} component is not supported")),
        }
    }
    w.check().map_err(|e| format!("{}: {}", e.field, e.reason))
}

fn header(c: &Value) -> Result<WaHeader, String> {
    let format = upper(c.get("format"));
    let media = |kind| {
        // Meta's sample file: the header's file until an admin sets another.
        let url = meta::text(c.pointer("/example/header_handle/0"));
        Ok(WaHeader {
            kind,
            text: None,
            url,
        })
    };
    match format.as_str() {
        "TEXT" => Ok(WaHeader {
            kind: WaHeaderKind::Text,
            text: meta::text(c.get("text")),
            url: None,
        }),
        "IMAGE" => media(WaHeaderKind::Image),
        "DOCUMENT" => media(WaHeaderKind::Document),
        "VIDEO" => media(WaHeaderKind::Video),
        other => Err(format!(
            "a {} header is not supported",
            other.to_lowercase()
        )),
    }
}

fn button(b: &Value) -> Result<WaButton, String> {
    let text = meta::text(b.get("text")).unwrap_or_default();
    let kind = match upper(b.get("type")).as_str() {
        "QUICK_REPLY" => WaButtonKind::QuickReply,
        "URL" => WaButtonKind::Url,
        "PHONE_NUMBER" => WaButtonKind::PhoneNumber,
        other => {
            return Err(format!(
                "a {} button is not supported",
                other.to_lowercase().replace('_', " ")
            ));
        }
    };
    Ok(WaButton {
        kind,
        text,
        url: meta::text(b.get("url")).filter(|_| kind == WaButtonKind::Url),
        phone_number: meta::text(b.get("phone_number"))
            .filter(|_| kind == WaButtonKind::PhoneNumber),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn approved(v: Value) -> WhatsAppTemplate {
        match listed(&v) {
            Listed::Approved(w) => w,
            other => panic!("not taken: {other:?}"),
        }
    }

    fn skipped(v: Value) -> Skip {
        match listed(&v) {
            Listed::Skipped { reason, .. } => reason,
            other => panic!("taken: {other:?}"),
        }
    }

    #[test]
    fn every_component_maps() {
        let w = approved(json!({
            "name": "order_shipped", "language": "es", "status": "APPROVED",
            "category": "UTILITY", "id": "1",
            "components": [
                {"type": "HEADER", "format": "TEXT", "text": "Pedido {{1}}",
                 "example": {"header_text": ["48213"]}},
                {"type": "BODY", "text": "Hola {{1}}, tu pedido sale el {{2}}.",
                 "example": {"body_text": [["Ana", "lunes"]]}},
                {"type": "FOOTER", "text": "Lucky Shrub"},
                {"type": "BUTTONS", "buttons": [
                    {"type": "QUICK_REPLY", "text": "Gracias"},
                    {"type": "URL", "text": "Seguir", "url": "https://shop.example/t/{{1}}",
                     "example": ["https://shop.example/t/48213"]},
                    {"type": "PHONE_NUMBER", "text": "Llamar", "phone_number": "+34600111222"}
                ]}
            ]
        }));
        assert_eq!(w.body, "Hola {{1}}, tu pedido sale el {{2}}.");
        assert_eq!(w.examples, ["Ana", "lunes"]);
        assert_eq!(w.footer.as_deref(), Some("Lucky Shrub"));
        let h = w.header.as_ref().unwrap();
        assert_eq!(
            (h.kind, h.text.as_deref()),
            (WaHeaderKind::Text, Some("Pedido {{1}}"))
        );
        assert!(w.header_variable());
        let kinds: Vec<WaButtonKind> = w.buttons.iter().map(|b| b.kind).collect();
        assert_eq!(
            kinds,
            [
                WaButtonKind::QuickReply,
                WaButtonKind::Url,
                WaButtonKind::PhoneNumber
            ]
        );
        assert_eq!(w.url_button_variables(), [1]);
        assert_eq!(w.extra_fields(), ["header.1", "button.1"]);
        assert_eq!(w.buttons[2].phone_number.as_deref(), Some("+34600111222"));
        assert!(w.synced);
    }

    #[test]
    fn media_headers_take_meta_s_sample_file() {
        for (format, kind) in [
            ("IMAGE", WaHeaderKind::Image),
            ("DOCUMENT", WaHeaderKind::Document),
            ("VIDEO", WaHeaderKind::Video),
        ] {
            let w = approved(json!({
                "name": "invoice", "language": "en_US", "status": "APPROVED",
                "components": [
                    {"type": "HEADER", "format": format,
                     "example": {"header_handle": ["https://scontent.whatsapp.net/v/f"]}},
                    {"type": "BODY", "text": "Your invoice"}
                ]
            }));
            let h = w.header.unwrap();
            assert_eq!(h.kind, kind);
            assert_eq!(h.url.as_deref(), Some("https://scontent.whatsapp.net/v/f"));
        }
    }

    #[test]
    fn only_approved_and_supported_templates_are_taken() {
        for status in ["PENDING", "REJECTED", "PAUSED", "DISABLED"] {
            assert_eq!(
                skipped(json!({"name": "x", "language": "es", "status": status,
                    "components": [{"type": "BODY", "text": "Hola"}]})),
                Skip::NotApproved(status.into())
            );
        }
        let unsupported = |components: Value| match skipped(
            json!({"name": "x", "language": "es", "status": "APPROVED",
                "components": components}),
        ) {
            Skip::Unsupported(why) => why,
            other => panic!("{other:?}"),
        };
        assert!(
            unsupported(json!([{"type": "HEADER", "format": "LOCATION"},
                {"type": "BODY", "text": "Aquí"}]))
            .contains("location header")
        );
        assert!(
            unsupported(json!([{"type": "BODY", "text": "Tu código {{1}}"},
                {"type": "BUTTONS", "buttons": [{"type": "COPY_CODE", "example": "123"}]}]))
            .contains("copy code button")
        );
        assert!(
            unsupported(json!([{"type": "BODY", "text": "Hola {{name}}",
                "example": {"body_text_named_params": [{"param_name": "name", "example": "Ana"}]}}]))
            .contains("named parameters")
        );
        // A media header without a sample file fails Charla's own check.
        assert!(
            unsupported(json!([{"type": "HEADER", "format": "IMAGE"},
                {"type": "BODY", "text": "Hola"}]))
            .contains("whatsapp.header.url")
        );
        assert!(unsupported(json!([])).contains("whatsapp.body"));
    }

    #[test]
    fn pages_follow_the_cursor_and_refusals_are_told_apart() {
        let page = |v: Value| HttpResponse {
            status: 200,
            headers: vec![],
            body: serde_json::to_vec(&v).unwrap(),
        };
        let p = read_page(&page(json!({"data": [], "paging": {
            "cursors": {"before": "QVFI", "after": "QVFIUm"},
            "next": "https://elsewhere.example/v21.0/1/message_templates?after=QVFIUm"}})))
        .unwrap();
        assert_eq!(p.after.as_deref(), Some("QVFIUm"));
        let last = read_page(&page(json!({"data": [], "paging": {
            "cursors": {"before": "QVFI", "after": "QVFIUm"}}})))
        .unwrap();
        assert_eq!(last.after, None, "no paging.next: the last page");
        let refused = |status: u16, code: i64| {
            read_page(&HttpResponse {
                status,
                headers: vec![],
                body: serde_json::to_vec(&json!({"error": {
                    "message": "(#1) words", "type": "OAuthException", "code": code}}))
                .unwrap(),
            })
            .unwrap_err()
        };
        assert!(matches!(refused(401, 190), ListError::TokenRefused(_)));
        assert!(matches!(refused(400, 80008), ListError::RateLimited(_)));
        assert!(matches!(refused(400, 100), ListError::NotFound(_)));
        assert!(matches!(refused(500, 1), ListError::Failed(_)));
        assert_eq!(refused(401, 190).detail(), "words (190)");
    }

    #[test]
    fn the_request_goes_to_the_stored_base_with_the_cursor() {
        let cfg = Config {
            access_token: "tok".into(),
            api_base: "http://127.0.0.1:9/v21.0/".into(),
            ..Config::default()
        };
        let r = list_request(&cfg, "1022", Some("QV=="));
        assert!(
            r.url
                .starts_with("http://127.0.0.1:9/v21.0/1022/message_templates?fields=name%2C"),
            "{}",
            r.url
        );
        assert!(r.url.ends_with("&limit=100&after=QV%3D%3D"), "{}", r.url);
        assert_eq!(r.headers, [("authorization".into(), "Bearer tok".into())]);
    }
}
