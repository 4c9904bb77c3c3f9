//! The small Markdown subset agents write in the composer, parsed once into a tiny tree
//! and rendered for each channel (see [`render`]): bold `**x**`, italic `_x_` or `*x*`,
//! strikethrough `~~x~~`, inline code `` `x` ``, links `[text](https://…)` and bare
//! URLs, bulleted (`- `, `* `, `+ `) and numbered (`1. `, `1) `) lists, paragraphs and
//! line breaks. Anything else is text: an agent typing `<b>` gets `<b>` shown, never
//! markup. A backslash keeps the next marker literal (`\*`).
//!
//! The parser is written by hand because the subset is tiny and must stay closed:
//! CommonMark parsers accept raw HTML, headings, images and tables, each one more thing
//! to switch off and keep off.

pub mod render;
#[cfg(test)]
mod tests;

/// One block of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// Lines kept apart by line breaks.
    Paragraph(Vec<Vec<Inline>>),
    /// A list; `start` is the first number of a numbered one.
    List {
        ordered: bool,
        start: u32,
        items: Vec<Vec<Inline>>,
    },
}

/// A run of text inside a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Bold(Vec<Inline>),
    Italic(Vec<Inline>),
    Strike(Vec<Inline>),
    Code(String),
    /// `url` is always `http:`, `https:` or `mailto:`; a bare URL has `text == url`.
    Link {
        text: String,
        url: String,
    },
}

/// Nesting deeper than this stays text (no input can make the parser recurse further).
const MAX_DEPTH: usize = 6;
/// Longest link text and URL considered (longer ones stay text).
const MAX_LINK: usize = 2048;

/// Parses `src` into blocks.
pub fn parse(src: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut para: Vec<Vec<Inline>> = Vec::new();
    let mut list: Option<(bool, u32, Vec<Vec<Inline>>)> = None;
    let flush_para = |para: &mut Vec<Vec<Inline>>, blocks: &mut Vec<Block>| {
        if !para.is_empty() {
            blocks.push(Block::Paragraph(std::mem::take(para)));
        }
    };
    let flush_list = |list: &mut Option<(bool, u32, Vec<Vec<Inline>>)>, blocks: &mut Vec<Block>| {
        if let Some((ordered, start, items)) = list.take() {
            blocks.push(Block::List {
                ordered,
                start,
                items,
            });
        }
    };
    for line in src.lines() {
        if line.trim().is_empty() {
            flush_para(&mut para, &mut blocks);
            flush_list(&mut list, &mut blocks);
            continue;
        }
        match list_item(line) {
            Some((ordered, n, rest)) => {
                flush_para(&mut para, &mut blocks);
                if list.as_ref().is_some_and(|(o, _, _)| *o != ordered) {
                    flush_list(&mut list, &mut blocks);
                }
                let (_, _, items) = list.get_or_insert((ordered, n, Vec::new()));
                items.push(inlines(rest));
            }
            None => {
                flush_list(&mut list, &mut blocks);
                para.push(inlines(line.trim_end()));
            }
        }
    }
    flush_para(&mut para, &mut blocks);
    flush_list(&mut list, &mut blocks);
    blocks
}

/// `- x`, `* x`, `+ x` (bulleted) or `12. x`, `12) x` (numbered): whether numbered, its
/// number and the item's text.
fn list_item(line: &str) -> Option<(bool, u32, &str)> {
    let t = line.trim_start();
    let mut chars = t.char_indices();
    let (_, first) = chars.next()?;
    if matches!(first, '-' | '*' | '+') {
        let rest = &t[1..];
        return rest
            .strip_prefix(' ')
            .filter(|r| !r.trim().is_empty())
            .map(|r| (false, 1, r.trim()));
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 9 {
        return None;
    }
    let rest = &t[digits..];
    let rest = rest.strip_prefix(['.', ')'])?.strip_prefix(' ')?;
    if rest.trim().is_empty() {
        return None;
    }
    Some((true, t[..digits].parse().ok()?, rest.trim()))
}

/// Parses one line's inline markup.
pub fn inlines(line: &str) -> Vec<Inline> {
    let chars: Vec<char> = line.chars().collect();
    let mut p = Parser {
        closers: Closers::of(&chars),
        chars,
    };
    let end = p.chars.len();
    p.run(0, end, 0)
}

/// The kinds of paired markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Bold,
    Strike,
    ItalicStar,
    ItalicUnderscore,
    Code,
}

impl Mark {
    fn len(self) -> usize {
        match self {
            Mark::Bold | Mark::Strike => 2,
            _ => 1,
        }
    }
}

/// Where each kind of marker may close, in order: found once per line, so that an
/// opener finds its closer by binary search (no input makes parsing quadratic).
struct Closers {
    bold: Vec<usize>,
    strike: Vec<usize>,
    star: Vec<usize>,
    underscore: Vec<usize>,
    code: Vec<usize>,
}

fn space(c: Option<&char>) -> bool {
    c.is_none_or(|c| c.is_whitespace())
}

impl Closers {
    fn of(c: &[char]) -> Closers {
        let at = |i: usize| c.get(i);
        let before = |i: usize| i.checked_sub(1).and_then(|j| c.get(j));
        let mut k = Closers {
            bold: vec![],
            strike: vec![],
            star: vec![],
            underscore: vec![],
            code: vec![],
        };
        for (i, &ch) in c.iter().enumerate() {
            let escaped = before(i) == Some(&'\\');
            match ch {
                '`' => k.code.push(i),
                _ if escaped || space(before(i)) => {}
                '*' if at(i + 1) == Some(&'*') => k.bold.push(i),
                '*' if before(i) != Some(&'*') => k.star.push(i),
                '~' if at(i + 1) == Some(&'~') => k.strike.push(i),
                '_' if !at(i + 1).is_some_and(|n| n.is_alphanumeric()) => k.underscore.push(i),
                _ => {}
            }
        }
        k
    }

    /// The first closer of `mark` in `from..end`.
    fn find(&self, mark: Mark, from: usize, end: usize) -> Option<usize> {
        let v = match mark {
            Mark::Bold => &self.bold,
            Mark::Strike => &self.strike,
            Mark::ItalicStar => &self.star,
            Mark::ItalicUnderscore => &self.underscore,
            Mark::Code => &self.code,
        };
        let i = v.partition_point(|&p| p < from);
        v.get(i).copied().filter(|&p| p + mark.len() <= end)
    }
}

struct Parser {
    chars: Vec<char>,
    closers: Closers,
}

impl Parser {
    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    /// The marker opening at `i`, if one can open there.
    fn opener(&self, i: usize) -> Option<Mark> {
        let next = self.chars.get(i + 1);
        let prev = i.checked_sub(1).and_then(|j| self.chars.get(j));
        match self.chars[i] {
            '`' => Some(Mark::Code),
            '*' if next == Some(&'*') => (!space(self.chars.get(i + 2))).then_some(Mark::Bold),
            '*' => (!space(next)).then_some(Mark::ItalicStar),
            '~' if next == Some(&'~') => (!space(self.chars.get(i + 2))).then_some(Mark::Strike),
            '_' if !prev.is_some_and(|p| p.is_alphanumeric()) && !space(next) => {
                Some(Mark::ItalicUnderscore)
            }
            _ => None,
        }
    }

    fn run(&mut self, start: usize, end: usize, depth: usize) -> Vec<Inline> {
        let mut out = Vec::new();
        let mut text = String::new();
        let mut i = start;
        while i < end {
            let c = self.chars[i];
            if c == '\\' && i + 1 < end && self.at(i + 1).is_some_and(|n| n.is_ascii_punctuation())
            {
                text.push(self.chars[i + 1]);
                i += 2;
                continue;
            }
            if let Some((link, next)) = self.link(i, end) {
                push_text(&mut out, &mut text);
                out.push(link);
                i = next;
                continue;
            }
            if depth < MAX_DEPTH
                && let Some(mark) = self.opener(i)
            {
                let inner = i + mark.len();
                // A closer needs at least one character inside.
                if let Some(close) = self.closers.find(mark, inner + 1, end) {
                    push_text(&mut out, &mut text);
                    let node = match mark {
                        Mark::Code => Inline::Code(self.chars[inner..close].iter().collect()),
                        Mark::Bold => Inline::Bold(self.run(inner, close, depth + 1)),
                        Mark::Strike => Inline::Strike(self.run(inner, close, depth + 1)),
                        Mark::ItalicStar | Mark::ItalicUnderscore => {
                            Inline::Italic(self.run(inner, close, depth + 1))
                        }
                    };
                    out.push(node);
                    i = close + mark.len();
                    continue;
                }
            }
            text.push(c);
            i += 1;
        }
        push_text(&mut out, &mut text);
        out
    }

    /// A link at `i`: `[text](url)` or a bare `http(s)://` URL; with where it ends.
    fn link(&self, i: usize, end: usize) -> Option<(Inline, usize)> {
        let c = &self.chars[..end];
        if c[i] == '[' {
            let close = (i + 1..end.min(i + 1 + MAX_LINK)).find(|&j| c[j] == ']')?;
            if c.get(close + 1) != Some(&'(') || close == i + 1 {
                return None;
            }
            let open = close + 2;
            let stop =
                (open..end.min(open + MAX_LINK)).find(|&j| c[j] == ')' || c[j].is_whitespace())?;
            if c[stop] != ')' {
                return None;
            }
            let url: String = c[open..stop].iter().collect();
            let text: String = c[i + 1..close].iter().collect();
            return safe_url(&url).then_some((Inline::Link { text, url }, stop + 1));
        }
        if !matches!(c[i], 'h' | 'H') || i > 0 && c[i - 1].is_alphanumeric() {
            return None;
        }
        let head: String = c[i..end.min(i + 8)]
            .iter()
            .collect::<String>()
            .to_ascii_lowercase();
        if !head.starts_with("http://") && !head.starts_with("https://") {
            return None;
        }
        let mut stop = (i..end)
            .find(|&j| c[j].is_whitespace() || matches!(c[j], '<' | '>' | '"'))
            .unwrap_or(end);
        // Trailing punctuation belongs to the sentence, a closing parenthesis only
        // when the URL opened one (wikipedia_(thing)).
        while stop > i
            && matches!(
                c[stop - 1],
                '.' | ','
                    | ';'
                    | ':'
                    | '!'
                    | '?'
                    | '\''
                    | '"'
                    | ')'
                    | ']'
                    | '}'
                    | '*'
                    | '_'
                    | '~'
                    | '`'
            )
        {
            if c[stop - 1] == ')' {
                let opens = c[i..stop].iter().filter(|&&x| x == '(').count();
                let closes = c[i..stop].iter().filter(|&&x| x == ')').count();
                if opens >= closes {
                    break;
                }
            }
            stop -= 1;
        }
        let url: String = c[i..stop].iter().collect();
        let scheme_only = url.trim_end_matches('/').ends_with(':');
        (!scheme_only).then(|| {
            (
                Inline::Link {
                    text: url.clone(),
                    url,
                },
                stop,
            )
        })
    }
}

/// Only web and mail links: `javascript:`, `data:` and the rest stay text.
pub fn safe_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let rest = ["http://", "https://", "mailto:"]
        .iter()
        .find_map(|s| lower.strip_prefix(s));
    rest.is_some_and(|r| !r.is_empty())
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"'))
}

fn push_text(out: &mut Vec<Inline>, text: &mut String) {
    if !text.is_empty() {
        out.push(Inline::Text(std::mem::take(text)));
    }
}
