//! One parsed message, rendered for each place it goes: HTML (email's HTML part, the
//! widget, the agent's timeline), WhatsApp's own markers, and plain text (SMS, email's
//! text part, channels without formatting).

use super::{Block, Inline, parse};

/// How a channel shows formatting in a text message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextMarkup {
    /// No formatting: markers removed, links as "text (url)".
    #[default]
    Plain,
    /// WhatsApp's markers: `*bold*`, `_italic_`, `~strike~`, ```` ```code``` ````.
    WhatsApp,
}

/// The elements [`html`] may write, and nothing else.
pub const HTML_TAGS: &[&str] = &[
    "p", "br", "strong", "em", "s", "code", "a", "ul", "ol", "li",
];

/// `text` for a channel with `markup`.
pub fn for_channel(text: &str, markup: TextMarkup) -> String {
    match markup {
        TextMarkup::Plain => plain(text),
        TextMarkup::WhatsApp => whatsapp(text),
    }
}

/// HTML: every character of the text escaped, only the elements of [`HTML_TAGS`], links
/// only to web and mail addresses, opened without a referrer.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for b in parse(text) {
        match b {
            Block::Paragraph(lines) => {
                out.push_str("<p>");
                for (i, line) in lines.iter().enumerate() {
                    if i > 0 {
                        out.push_str("<br>");
                    }
                    html_inlines(&mut out, line);
                }
                out.push_str("</p>");
            }
            Block::List {
                ordered,
                start,
                items,
            } => {
                match (ordered, start) {
                    (false, _) => out.push_str("<ul>"),
                    (true, 1) => out.push_str("<ol>"),
                    (true, n) => out.push_str(&format!("<ol start=\"{n}\">")),
                }
                for item in &items {
                    out.push_str("<li>");
                    html_inlines(&mut out, item);
                    out.push_str("</li>");
                }
                out.push_str(if ordered { "</ol>" } else { "</ul>" });
            }
        }
    }
    out
}

fn html_inlines(out: &mut String, items: &[Inline]) {
    for it in items {
        match it {
            Inline::Text(t) => escape_into(out, t),
            Inline::Bold(x) => wrap(out, "strong", x),
            Inline::Italic(x) => wrap(out, "em", x),
            Inline::Strike(x) => wrap(out, "s", x),
            Inline::Code(t) => {
                out.push_str("<code>");
                escape_into(out, t);
                out.push_str("</code>");
            }
            Inline::Link { text, url } => {
                out.push_str("<a href=\"");
                escape_into(out, url);
                out.push_str("\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">");
                escape_into(out, text);
                out.push_str("</a>");
            }
        }
    }
}

fn wrap(out: &mut String, tag: &str, inner: &[Inline]) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    html_inlines(out, inner);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// Escapes text for HTML content and attribute values alike.
pub fn escape_into(out: &mut String, t: &str) {
    for c in t.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Plain text: markers removed, a link as "text (url)" (a bare URL as itself), lists
/// as `- item` and `1. item` (ASCII, so an SMS keeps its 160-character segments).
pub fn plain(text: &str) -> String {
    lines(text, &|out, items| plain_inlines(out, items))
}

/// WhatsApp's own markers.
pub fn whatsapp(text: &str) -> String {
    lines(text, &|out, items| whatsapp_inlines(out, items))
}

/// Text forms share the block layout: blank lines between blocks, one line per item.
fn lines(text: &str, inl: &dyn Fn(&mut String, &[Inline])) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, b) in parse(text).iter().enumerate() {
        if i > 0 {
            out.push_str("\n\n");
        }
        match b {
            Block::Paragraph(ls) => {
                for (j, line) in ls.iter().enumerate() {
                    if j > 0 {
                        out.push('\n');
                    }
                    inl(&mut out, line);
                }
            }
            Block::List {
                ordered,
                start,
                items,
            } => {
                for (j, item) in items.iter().enumerate() {
                    if j > 0 {
                        out.push('\n');
                    }
                    match ordered {
                        true => out.push_str(&format!("{}. ", start.saturating_add(j as u32))),
                        false => out.push_str("- "),
                    }
                    inl(&mut out, item);
                }
            }
        }
    }
    out
}

fn link_text(out: &mut String, text: &str, url: &str) {
    let bare = url.strip_prefix("mailto:").unwrap_or(url);
    if text == url || text == bare {
        out.push_str(text);
    } else {
        out.push_str(&format!("{text} ({bare})"));
    }
}

fn plain_inlines(out: &mut String, items: &[Inline]) {
    for it in items {
        match it {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Bold(x) | Inline::Italic(x) | Inline::Strike(x) => plain_inlines(out, x),
            Inline::Link { text, url } => link_text(out, text, url),
        }
    }
}

fn whatsapp_inlines(out: &mut String, items: &[Inline]) {
    let wrap = |out: &mut String, m: &str, x: &[Inline]| {
        out.push_str(m);
        whatsapp_inlines(out, x);
        out.push_str(m);
    };
    for it in items {
        match it {
            Inline::Text(t) => out.push_str(t),
            Inline::Bold(x) => wrap(out, "*", x),
            Inline::Italic(x) => wrap(out, "_", x),
            Inline::Strike(x) => wrap(out, "~", x),
            Inline::Code(t) => {
                out.push_str("```");
                out.push_str(t);
                out.push_str("```");
            }
            Inline::Link { text, url } => link_text(out, text, url),
        }
    }
}
