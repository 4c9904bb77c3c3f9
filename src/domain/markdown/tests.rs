use super::render::{HTML_TAGS, TextMarkup, for_channel, html, plain, whatsapp};
use super::{Block, Inline, inlines, parse};
use proptest::prelude::*;

fn t(s: &str) -> Inline {
    Inline::Text(s.into())
}

#[test]
fn markers_become_nodes() {
    assert_eq!(
        inlines("a **b** _c_ *d* ~~e~~ `f`"),
        vec![
            t("a "),
            Inline::Bold(vec![t("b")]),
            t(" "),
            Inline::Italic(vec![t("c")]),
            t(" "),
            Inline::Italic(vec![t("d")]),
            t(" "),
            Inline::Strike(vec![t("e")]),
            t(" "),
            Inline::Code("f".into()),
        ]
    );
    assert_eq!(
        inlines("**bold _and italic_**"),
        vec![Inline::Bold(vec![
            t("bold "),
            Inline::Italic(vec![t("and italic")])
        ])]
    );
}

#[test]
fn lone_and_spaced_markers_stay_text() {
    for s in [
        "5 * 3 = 15",
        "a ** b",
        "snake_case_name and other_word",
        "**not closed",
        "~single~ tilde",
        "`unclosed code",
        "** spaced **",
        "_ x _",
        "",
    ] {
        let got = inlines(s);
        let text: String = got
            .iter()
            .map(|i| match i {
                Inline::Text(x) => x.clone(),
                other => panic!("{s:?} gave {other:?}"),
            })
            .collect();
        assert_eq!(text, s);
    }
}

#[test]
fn backslash_keeps_a_marker() {
    assert_eq!(inlines(r"\*not italic\*"), vec![t("*not italic*")]);
    assert_eq!(plain(r"a \_b\_ c"), "a _b_ c");
}

#[test]
fn code_is_raw() {
    assert_eq!(
        inlines("`**x** <b>`"),
        vec![Inline::Code("**x** <b>".into())]
    );
}

#[test]
fn links_only_to_the_web_and_mail() {
    assert_eq!(
        inlines("see [our page](https://example.com/a?b=1&c=2)."),
        vec![
            t("see "),
            Inline::Link {
                text: "our page".into(),
                url: "https://example.com/a?b=1&c=2".into()
            },
            t(".")
        ]
    );
    for bad in [
        "[x](javascript:alert(1))",
        "[x](data:text/html,hi)",
        "[x](JAVASCRIPT:alert)",
        "[x](//evil.example)",
        "[x](https://)",
    ] {
        assert!(
            !html(bad).contains("<a"),
            "{bad:?} made a link: {}",
            html(bad)
        );
    }
    assert_eq!(
        html("[Write](mailto:help@example.com)"),
        "<p><a href=\"mailto:help@example.com\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">Write</a></p>"
    );
}

#[test]
fn bare_urls_leave_trailing_punctuation() {
    assert_eq!(
        inlines("go to https://example.com/x, then (https://en.wikipedia.org/wiki/A_(b))."),
        vec![
            t("go to "),
            Inline::Link {
                text: "https://example.com/x".into(),
                url: "https://example.com/x".into()
            },
            t(", then ("),
            Inline::Link {
                text: "https://en.wikipedia.org/wiki/A_(b)".into(),
                url: "https://en.wikipedia.org/wiki/A_(b)".into()
            },
            t(").")
        ]
    );
    assert_eq!(
        html("**https://example.com**"),
        "<p><strong><a href=\"https://example.com\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">https://example.com</a></strong></p>"
    );
    assert!(!html("xhttps://example.com").contains("<a"));
}

#[test]
fn blocks_lists_and_breaks() {
    let src = "Hi Ana,\nthanks.\n\n- one\n- **two**\n\n3. three\n4. four\nafter";
    assert_eq!(
        parse(src),
        vec![
            Block::Paragraph(vec![vec![t("Hi Ana,")], vec![t("thanks.")]]),
            Block::List {
                ordered: false,
                start: 1,
                items: vec![vec![t("one")], vec![Inline::Bold(vec![t("two")])]]
            },
            Block::List {
                ordered: true,
                start: 3,
                items: vec![vec![t("three")], vec![t("four")]]
            },
            Block::Paragraph(vec![vec![t("after")]]),
        ]
    );
    assert_eq!(
        html(src),
        "<p>Hi Ana,<br>thanks.</p><ul><li>one</li><li><strong>two</strong></li></ul><ol start=\"3\"><li>three</li><li>four</li></ol><p>after</p>"
    );
    assert_eq!(
        plain(src),
        "Hi Ana,\nthanks.\n\n- one\n- two\n\n3. three\n4. four\n\nafter"
    );
    // "*bold*" at the start of a line is not a bullet.
    assert_eq!(
        parse("*hi*"),
        vec![Block::Paragraph(vec![vec![Inline::Italic(vec![t("hi")])]])]
    );
}

#[test]
fn html_escapes_everything_typed() {
    assert_eq!(
        html("<script>alert('x')</script> & <b>bold</b>"),
        "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</p>"
    );
    assert_eq!(
        html("[<img src=x>](https://e.com/\"onmouseover=x)"),
        "<p>[&lt;img src=x&gt;](<a href=\"https://e.com/\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">https://e.com/</a>&quot;onmouseover=x)</p>"
    );
}

#[test]
fn channels_get_their_own_markers() {
    let src = "**Order** _shipped_ ~~late~~ `A-1` [track](https://t.example/1)\n- a\n- b";
    assert_eq!(
        whatsapp(src),
        "*Order* _shipped_ ~late~ ```A-1``` track (https://t.example/1)\n\n- a\n- b"
    );
    assert_eq!(
        plain(src),
        "Order shipped late A-1 track (https://t.example/1)\n\n- a\n- b"
    );
    assert_eq!(for_channel("**x**", TextMarkup::Plain), "x");
    assert_eq!(for_channel("**x**", TextMarkup::WhatsApp), "*x*");
    assert_eq!(
        plain("mail [me](mailto:a@b.c) or a@b.c"),
        "mail me (a@b.c) or a@b.c"
    );
}

#[test]
fn deep_nesting_and_long_lines_stay_bounded() {
    let deep = "**_".repeat(500) + "x" + &"_**".repeat(500);
    assert!(html(&deep).contains('x'));
    let stars = "*a ".repeat(5000);
    assert_eq!(plain(&stars), stars.trim_end());
}

/// Every tag in `h` (`<name` or `</name`), with its attributes (none for a closing tag).
fn tags(h: &str) -> Vec<(String, String)> {
    let mut out = vec![];
    let mut rest = h;
    while let Some(i) = rest.find('<') {
        let end = rest[i..].find('>').map(|e| i + e).unwrap_or(rest.len());
        let tag = &rest[i + 1..end];
        let (name, attrs) = match tag.strip_prefix('/') {
            Some(closing) => (closing, "-"),
            None => tag.split_once(' ').unwrap_or((tag, "")),
        };
        out.push((name.to_string(), attrs.to_string()));
        rest = &rest[end.min(rest.len())..];
        if rest.is_empty() {
            break;
        }
        rest = &rest[1..];
    }
    out
}

proptest! {
    #[test]
    fn no_input_yields_a_tag_outside_the_set(s in "(\\PC|[*_~`\\[\\]()<>\"'&\\\\\n -]|https://|javascript:|mailto:){0,80}") {
        let h = html(&s);
        for (name, attrs) in tags(&h) {
            prop_assert!(HTML_TAGS.contains(&name.as_str()), "tag {name:?} in {h:?} from {s:?}");
            if attrs == "-" {
                continue;
            }
            if name == "a" {
                prop_assert!(
                    attrs.starts_with("href=\"https://") || attrs.starts_with("href=\"http://") || attrs.starts_with("href=\"mailto:"),
                    "link {attrs:?} from {s:?}"
                );
                prop_assert!(attrs.ends_with("rel=\"noopener noreferrer nofollow\" target=\"_blank\""));
            } else if name == "ol" {
                prop_assert!(attrs.is_empty() || attrs.starts_with("start=\""));
            } else {
                prop_assert!(attrs.is_empty(), "attributes {attrs:?} on {name}");
            }
        }
        // The text forms never grow a marker the agent did not type.
        let p = plain(&s);
        prop_assert!(p.matches('<').count() <= s.matches('<').count());
    }
}
