//! The timeline text of an HTML part: what a reader sees, not what the markup holds.
//! Newsletters carry a hidden "preheader" (a line of filler for the inbox list, hidden
//! with `display:none` and friends) and CSS, sometimes in `<style>` blocks never closed
//! or dropped inside the body. The HTML is parsed as a browser would (html5ever, through
//! ammonia), CSS and scripts are removed with their content, hidden elements are marked,
//! cut out of the canonical output, and the rest is turned into text.

use super::sanitize::{CLEAN_CONTENT_TAGS, TAGS};
use ammonia::Builder;
use mail_parser::decoders::html::html_to_text;
use std::borrow::Cow;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::LazyLock;

/// What the marker attribute's value is; any other attribute is dropped.
const MARK: &str = "h";

/// Elements without content or closing tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// Keeps structure and text only; a hidden element keeps one attribute, `style="h"` or
/// `hidden="h"`, so that in the output an element with any attribute is a hidden one.
static TEXT: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut b = Builder::empty();
    b.tags(TAGS.iter().copied().collect())
        .clean_content_tags(CLEAN_CONTENT_TAGS.iter().copied().collect())
        .generic_attributes(["style", "hidden"].into())
        .tag_attributes(HashMap::new())
        .link_rel(None)
        .strip_comments(true)
        .attribute_filter(|_, attribute, value| match attribute {
            "hidden" => Some(MARK.into()),
            "style" if hidden_style(value) => Some(MARK.into()),
            _ => None,
        });
    b
});

/// The readable text of `html`: hidden elements, CSS and scripts left out.
pub(super) fn html_text(html: &str) -> String {
    let html = close_open_styles(html);
    // Should the parser ever panic, fall back to the plain tokenizer rather than lose the
    // mail's text.
    match catch_unwind(AssertUnwindSafe(|| TEXT.clean(&html).to_string())) {
        Ok(clean) => html_to_text(&drop_marked(&clean)),
        Err(_) => html_to_text(&html),
    }
}

/// Canonical serializer output without its marked (hidden) elements. There every `<`
/// starts a tag (text escapes it), every element but the void ones is closed, and only
/// a marked element has an attribute, so a space inside a tag means "hidden".
fn drop_marked(clean: &str) -> String {
    let mut out = String::with_capacity(clean.len());
    let mut rest = clean;
    while let Some(start) = rest.find('<') {
        out.push_str(rest.get(..start).unwrap_or(""));
        let after = rest.get(start..).unwrap_or("");
        let Some(len) = after.find('>') else {
            return out;
        };
        let tag = after.get(..=len).unwrap_or("");
        rest = after.get(len + 1..).unwrap_or("");
        let Some(space) = tag.find(' ').filter(|_| !tag.starts_with("</")) else {
            out.push_str(tag);
            continue;
        };
        let name = tag.get(1..space).unwrap_or("");
        if !VOID.contains(&name) {
            rest = after_closing(rest, name);
        }
    }
    out.push_str(rest);
    out
}

/// What follows the `</name>` closing the element just opened (nested ones counted).
fn after_closing<'a>(mut rest: &'a str, name: &str) -> &'a str {
    let (open, close) = (format!("<{name}"), format!("</{name}>"));
    let mut depth = 1usize;
    while let Some(at) = rest.find('<') {
        let here = rest.get(at..).unwrap_or("");
        if here.starts_with(&close) {
            depth -= 1;
            rest = here.get(close.len()..).unwrap_or("");
            if depth == 0 {
                return rest;
            }
            continue;
        }
        if here.starts_with(&open) && here[open.len()..].starts_with([' ', '>']) {
            depth += 1;
        }
        rest = here.get(1..).unwrap_or("");
    }
    ""
}

/// Inline CSS that hides an element: `display:none`, `visibility:hidden`, Outlook's
/// `mso-hide:all`, a zero font size or opacity, a zero height with the overflow hidden.
pub(super) fn hidden_style(style: &str) -> bool {
    let (mut zero_height, mut overflow_hidden) = (false, false);
    for declaration in style.split(';') {
        let Some((property, value)) = declaration.split_once(':') else {
            continue;
        };
        let property = property.trim().to_ascii_lowercase();
        let value = value.trim().to_ascii_lowercase();
        let value = value.trim_end_matches("!important").trim();
        match property.as_str() {
            "display" if value == "none" => return true,
            "visibility" if value == "hidden" || value == "collapse" => return true,
            "mso-hide" if value == "all" => return true,
            "font-size" | "opacity" if is_zero(value) => return true,
            "max-height" | "height" if is_zero(value) => zero_height = true,
            "overflow" if value == "hidden" => overflow_hidden = true,
            _ => {}
        }
    }
    zero_height && overflow_hidden
}

/// `0`, `0px`, `0.0em`, `0%`…
fn is_zero(value: &str) -> bool {
    let number = value.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '%');
    number.parse::<f64>().is_ok_and(|n| n == 0.0)
}

/// Closes every `<style>` left open (no `</style>` before the end or before the next
/// `<style>`): a browser would take the rest of the mail for CSS and show nothing; the
/// CSS really ends where markup starts again.
pub(super) fn close_open_styles(html: &str) -> Cow<'_, str> {
    // ASCII lowercasing keeps every byte offset, and each offset used is that of an ASCII
    // character, so they are char boundaries of `html` too.
    let lower = html.to_ascii_lowercase();
    let mut out = String::new();
    let (mut copied, mut pos) = (0, 0);
    while let Some(open) = find_tag(&lower, pos, "<style") {
        let css_start = lower
            .get(open..)
            .and_then(|s| s.find('>'))
            .map_or(lower.len(), |i| open + i + 1);
        let close = lower
            .get(css_start..)
            .and_then(|s| s.find("</style"))
            .map(|i| css_start + i);
        let next_open = find_tag(&lower, css_start, "<style");
        if let Some(close) = close
            && next_open.is_none_or(|o| close < o)
        {
            pos = close + "</style".len();
            continue;
        }
        let end = markup_start(&lower, css_start).unwrap_or(lower.len());
        out.push_str(html.get(copied..end).unwrap_or(""));
        out.push_str("</style>");
        copied = end;
        pos = end;
    }
    if copied == 0 {
        return Cow::Borrowed(html);
    }
    out.push_str(html.get(copied..).unwrap_or(""));
    Cow::Owned(out)
}

/// The next `tag` (lowercase, e.g. `<style`) at or after `from` that is a whole tag name.
fn find_tag(lower: &str, from: usize, tag: &str) -> Option<usize> {
    let mut at = from;
    loop {
        let found = at + lower.get(at..)?.find(tag)?;
        let next = lower.as_bytes().get(found + tag.len()).copied();
        if next.is_none_or(|b| b == b'>' || b == b'/' || b.is_ascii_whitespace()) {
            return Some(found);
        }
        at = found + tag.len();
    }
}

/// The first `<` after `from` that starts a tag, closing tag or comment.
fn markup_start(lower: &str, from: usize) -> Option<usize> {
    let bytes = lower.as_bytes();
    (from..bytes.len()).find(|&i| {
        bytes[i] == b'<'
            && bytes
                .get(i + 1)
                .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'/' | b'!'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_styles_are_recognised_and_visible_ones_are_not() {
        for hidden in [
            "display:none",
            "DISPLAY: none !important",
            "color:#fff; visibility:hidden",
            "mso-hide:all",
            "font-size:0px;line-height:0",
            "opacity:0",
            "max-height:0;overflow:hidden",
            "overflow: hidden; max-height: 0px",
        ] {
            assert!(hidden_style(hidden), "{hidden}");
        }
        for visible in [
            "display:block",
            "font-size:0.9em",
            "max-height:0",
            "color:red;font-size:10px",
            "",
        ] {
            assert!(!hidden_style(visible), "{visible}");
        }
    }

    #[test]
    fn open_styles_close_where_markup_starts_again() {
        assert_eq!(
            close_open_styles("<style>p{color:red}<p>Hi</p>"),
            "<style>p{color:red}</style><p>Hi</p>"
        );
        assert_eq!(
            close_open_styles("<STYLE type=x>a{} <div>x</div><style>b{}</style>y"),
            "<STYLE type=x>a{} </style><div>x</div><style>b{}</style>y"
        );
        let fine = "<style>a{}</style><p>x</p><styles>";
        assert!(matches!(close_open_styles(fine), Cow::Borrowed(_)));
    }

    #[test]
    fn text_leaves_out_preheaders_css_and_scripts() {
        let html = "<html><head><title>News</title><style>.x{color:red}</style></head>\
            <body><div style=\"display:none;max-height:0;overflow:hidden\">Preheader filler \
            &zwnj;&nbsp;&zwnj;</div><span style=\"font-size:0\">tiny</span>\
            <style>.y{margin:0}</style><p>Hello <b>Ana</b></p><script>alert(1)</script>\
            <p hidden>secret</p><!-- note --><p>Bye &amp; thanks</p></body></html>";
        let text = html_text(html);
        assert_eq!(text.trim(), "Hello Ana\nBye & thanks");
        // An unterminated style eats nothing but its CSS.
        let text =
            html_text("<body><style>td{padding:0}\n<table><tr><td>Row one</td></tr></table>");
        assert_eq!(text.trim(), "Row one");
    }
}
