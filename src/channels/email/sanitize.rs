//! Customer HTML made inert with ammonia (an allow-list over a real HTML5 parser, so
//! malformed and mXSS-style markup is parsed as a browser would before it is filtered),
//! then remote images blocked until an agent allows them.
//!
//! The image rewrite works on ammonia's serialized output, which is canonical: html5ever
//! escapes `<`, `>` and `"` inside attribute values and `<`, `>` in text, and comments are
//! stripped, so every `<` in it starts a real tag and every `"` delimits a value.

use ammonia::{Builder, UrlRelative};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::LazyLock;

/// Formatting, structure, tables and links: what mail needs to read well, nothing active.
pub(super) const TAGS: &[&str] = &[
    "a",
    "abbr",
    "address",
    "article",
    "aside",
    "b",
    "bdi",
    "bdo",
    "big",
    "blockquote",
    "br",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "font",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "wbr",
];

/// Removed together with their content (the rest keep their text when dropped).
pub(super) const CLEAN_CONTENT_TAGS: &[&str] =
    &["script", "style", "title", "head", "noscript", "template"];

const GENERIC_ATTRIBUTES: &[&str] = &["lang", "title", "dir", "style", "align"];

/// Layout attributes old mail templates rely on; none of them can load anything.
const TABLE_ATTRIBUTES: &[&str] = &[
    "width",
    "height",
    "bgcolor",
    "border",
    "cellpadding",
    "cellspacing",
    "valign",
    "colspan",
    "rowspan",
    "nowrap",
    "summary",
    "headers",
    "scope",
    "span",
];

/// CSS properties kept in `style`; none takes a URL, so no tracking pixel hides in CSS.
const STYLE_PROPERTIES: &[&str] = &[
    "color",
    "background-color",
    "font",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "text-align",
    "text-decoration",
    "text-indent",
    "text-transform",
    "line-height",
    "letter-spacing",
    "white-space",
    "vertical-align",
    "margin",
    "margin-top",
    "margin-right",
    "margin-bottom",
    "margin-left",
    "padding",
    "padding-top",
    "padding-right",
    "padding-bottom",
    "padding-left",
    "border",
    "border-top",
    "border-right",
    "border-bottom",
    "border-left",
    "border-color",
    "border-style",
    "border-width",
    "border-collapse",
    "border-spacing",
    "border-radius",
    "width",
    "height",
    "max-width",
    "min-width",
    "max-height",
    "min-height",
    "display",
    "direction",
];

/// Substrings that void a whole `style` attribute: CSS escapes, IE expressions, bindings
/// and anything that could fetch.
const STYLE_DENY: &[&str] = &[
    "\\",
    "url(",
    "expression",
    "javascript:",
    "behavior",
    "binding",
    "@import",
    "image-set",
    "image(",
    "src(",
];

static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let tables: HashSet<&str> = TABLE_ATTRIBUTES.iter().copied().collect();
    let mut tag_attributes: HashMap<&str, HashSet<&str>> = HashMap::new();
    for tag in [
        "table", "tbody", "thead", "tfoot", "tr", "td", "th", "col", "colgroup",
    ] {
        tag_attributes.insert(tag, tables.clone());
    }
    tag_attributes.insert("a", ["href", "hreflang"].into());
    tag_attributes.insert("img", ["src", "alt", "width", "height", "border"].into());
    tag_attributes.insert("font", ["color", "face", "size"].into());
    tag_attributes.insert("ol", ["start", "type"].into());
    tag_attributes.insert("ul", ["type"].into());
    tag_attributes.insert("hr", ["size", "width", "noshade"].into());
    tag_attributes.insert("blockquote", ["type"].into());
    tag_attributes.insert("time", ["datetime"].into());
    let mut target = HashMap::new();
    target.insert("target", "_blank");
    let mut b = Builder::empty();
    b.tags(TAGS.iter().copied().collect())
        .clean_content_tags(CLEAN_CONTENT_TAGS.iter().copied().collect())
        .generic_attributes(GENERIC_ATTRIBUTES.iter().copied().collect())
        .tag_attributes(tag_attributes)
        .set_tag_attribute_values([("a", target)].into())
        .url_schemes(["http", "https", "mailto", "tel", "cid"].into())
        .url_relative(UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true)
        .filter_style_properties(STYLE_PROPERTIES.iter().copied().collect())
        .attribute_filter(filter_attribute);
    b
});

/// Drops what the allow-list cannot express: `cid:` outside images, risky CSS.
fn filter_attribute<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    let lower = value.trim_start().to_ascii_lowercase();
    match (element, attribute) {
        // RFC 2392 `cid:` URLs are percent-encoded; Content-ID headers are not.
        ("img", "src") if lower.starts_with("cid:") => Some(percent_decode(value).into()),
        ("img", "src") => Some(value.into()),
        (_, "href" | "src") if lower.starts_with("cid:") => None,
        (_, "style") if STYLE_DENY.iter().any(|d| lower.contains(d)) => None,
        _ => Some(value.into()),
    }
}

/// `%40` back to `@`; malformed escapes are kept as they are.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Makes customer HTML inert and private (remote images wait for an agent) before anyone sees it.
pub fn sanitize_html(html: &str) -> String {
    // No script or active content; links get target=_blank and rel=noopener noreferrer;
    // `<img src=http…>` keeps its URL in `data-remote-src` and `cid:` images become
    // `data-cid`, for the server to point at the stored attachment.
    // Fail closed: should the parser ever panic, show nothing rather than raw markup.
    catch_unwind(AssertUnwindSafe(|| {
        // A `<style>` never closed would swallow the rest of the mail.
        let html = super::html_text::close_open_styles(html);
        block_images(&SANITIZER.clean(&html).to_string())
    }))
    .unwrap_or_default()
}

/// Rewrites every `<img>` of sanitized HTML: `src` emptied, its URL moved aside.
fn block_images(clean: &str) -> String {
    let mut out = String::with_capacity(clean.len() + 64);
    let mut rest = clean;
    while let Some(start) = rest.find("<img") {
        let after = rest.get(start + 4..).unwrap_or("");
        let is_img = after.starts_with([' ', '>', '/']);
        out.push_str(rest.get(..start).unwrap_or(""));
        // Never happens in serializer output; fail closed rather than keep an open tag.
        let Some(len) = after.find('>') else {
            return out;
        };
        let end = start + 4 + len + 1;
        let tag = rest.get(start..end).unwrap_or("");
        if is_img {
            out.push_str(&rewrite_img(tag));
        } else {
            out.push_str(tag);
        }
        rest = rest.get(end..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// One canonical `<img ...>` tag: `src="X"` becomes `src=""` plus where X should go.
fn rewrite_img(tag: &str) -> String {
    const SRC: &str = " src=\"";
    let Some(at) = tag.find(SRC) else {
        return tag.to_string();
    };
    let value_start = at + SRC.len();
    let Some(value_len) = tag.get(value_start..).and_then(|v| v.find('"')) else {
        return tag.to_string();
    };
    let value = tag.get(value_start..value_start + value_len).unwrap_or("");
    let before = tag.get(..at).unwrap_or("");
    let after = tag.get(value_start + value_len + 1..).unwrap_or("");
    let trimmed = value.trim();
    let lower = trimmed.to_ascii_lowercase();
    // The value is still HTML-escaped, which is what an attribute needs: copied as is.
    let moved = if lower.starts_with("http://") || lower.starts_with("https://") {
        format!(" data-remote-src=\"{trimmed}\"")
    } else if lower.starts_with("cid:") {
        format!(" data-cid=\"{}\"", trimmed.get(4..).unwrap_or("").trim())
    } else {
        String::new()
    };
    format!("{before} src=\"\"{moved}{after}")
}

/// Gives the images of stored sanitized HTML their `src` back, for showing it: `cid:`
/// images get the URL `cid_src` finds for their Content-ID (none: they stay empty), and
/// remote images their own URL only when `remote` (the agent asked to load them).
pub fn show_images(clean: &str, remote: bool, cid_src: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(clean.len() + 64);
    let mut rest = clean;
    while let Some(start) = rest.find("<img") {
        out.push_str(rest.get(..start).unwrap_or(""));
        let after = rest.get(start..).unwrap_or("");
        // Canonical serializer output: the tag ends at the first `>` (values escape it).
        let Some(len) = after.find('>') else {
            return out;
        };
        let tag = after.get(..=len).unwrap_or("");
        let src = if let Some(id) = attribute(tag, "data-cid") {
            cid_src(&unescape(id)).map(|url| escape(&url))
        } else if remote {
            attribute(tag, "data-remote-src").map(str::to_string)
        } else {
            None
        };
        match src {
            Some(src) if tag.contains(" src=\"\"") => {
                out.push_str(&tag.replacen(" src=\"\"", &format!(" src=\"{src}\""), 1));
            }
            _ => out.push_str(tag),
        }
        rest = after.get(len + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// The (still escaped) value of ` name="…"` in a canonical tag. Values never hold a
/// literal `"`, so the pattern can only match a real attribute.
fn attribute<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let pattern = format!(" {name}=\"");
    let start = tag.find(&pattern)? + pattern.len();
    let len = tag.get(start..)?.find('"')?;
    tag.get(start..start + len)
}

/// The entities html5ever writes in attribute values, back to text.
fn unescape(v: &str) -> String {
    v.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// Text made safe for a double-quoted attribute value.
fn escape(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
