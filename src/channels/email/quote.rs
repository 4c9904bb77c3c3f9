//! Quoted-history trimming for the timeline: a reply shows what is new, the full mail
//! stays one click away. Conservative: when in doubt, or when nothing would be left,
//! the text is returned whole.

/// Attribution lines ("On … wrote:") as (start, end) pairs, lowercased, per language.
const ATTRIBUTIONS: &[(&str, &str)] = &[
    ("on ", "wrote:"),
    ("el ", "escribió:"),
    ("el ", "escribio:"),
    ("em ", "escreveu:"),
    ("le ", "a écrit:"),
    ("il ", "ha scritto:"),
    ("op ", "geschreven:"),
];

/// Separator words of "-----Original Message-----" lines (forwards are not history).
const SEPARATORS: &[&str] = &[
    "original message",
    "mensaje original",
    "message d'origine",
    "ursprüngliche nachricht",
    "mensagem original",
    "messaggio originale",
];

/// Lines that introduce a forwarded mail.
const FORWARD_INTROS: &[&str] = &[
    "forwarded message",
    "begin forwarded message",
    "mensaje reenviado",
    "message transféré",
    "weitergeleitete nachricht",
];

/// First and second lines of an Outlook header block ("From: …" then "Sent: …").
const OUTLOOK_FROM: &[&str] = &["from:", "de:", "von:", "da:", "van:"];
const OUTLOOK_SENT: &[&str] = &[
    "sent:",
    "date:",
    "enviado:",
    "enviado el:",
    "fecha:",
    "gesendet:",
    "envoyé:",
    "inviato:",
    "verzonden:",
];

/// Shows only what a reply adds; returns the new part and whether anything was trimmed.
pub fn trim_quoted(text: &str) -> (String, bool) {
    let lines: Vec<&str> = text.lines().collect();
    // Top-posting (the common case): everything from the first reply header goes.
    if let Some(cut) = first_header(&lines) {
        let kept = without_quotes(&lines[..cut]);
        if has_content(&kept) {
            return (tidy(&kept), true);
        }
    }
    // Bottom-posting or inline answers: drop the attribution and the quoted lines only.
    let mut kept = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if let Some(n) = attribution_len(&lines, i) {
            i += n;
            continue;
        }
        if !is_quote(lines[i]) {
            kept.push(lines[i]);
        }
        i += 1;
    }
    let removed = lines.iter().filter(|l| !l.trim().is_empty()).count()
        > kept.iter().filter(|l| !l.trim().is_empty()).count();
    if removed && has_content(&kept) {
        return (tidy(&kept), true);
    }
    (text.to_string(), false)
}

fn is_quote(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

fn has_content(lines: &[&str]) -> bool {
    lines.iter().any(|l| !l.trim().is_empty())
}

fn without_quotes<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    lines.iter().copied().filter(|l| !is_quote(l)).collect()
}

/// Joins lines without the blank edges, and at most one blank line in a row.
fn tidy(lines: &[&str]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for line in lines {
        let blank = line.trim().is_empty();
        if blank && out.last().is_none_or(|l| l.trim().is_empty()) {
            continue;
        }
        out.push(line.trim_end());
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// Where the quoted history starts, if a reply header is found.
fn first_header(lines: &[&str]) -> Option<usize> {
    (0..lines.len())
        .find(|&i| {
            attribution_len(lines, i).is_some()
                || is_separator(lines[i])
                || (outlook_block(lines, i) && !after_forward_intro(lines, i))
        })
        .map(|i| rule_above(lines, i))
}

/// A forwarded mail's header block is the content the customer meant to send, not history.
fn after_forward_intro(lines: &[&str], i: usize) -> bool {
    (0..i)
        .rev()
        .filter(|&j| !lines[j].trim().is_empty())
        .take(2)
        .any(|j| {
            let l = lines[j].to_lowercase();
            FORWARD_INTROS.iter().any(|f| l.contains(f))
        })
}

/// "On Tue, 4 Jun 2024 at 09:12, Ana <ana@example.com> wrote:", which clients wrap over
/// up to three lines; the number of lines it spans.
fn attribution_len(lines: &[&str], i: usize) -> Option<usize> {
    let first = lines.get(i)?.trim().to_lowercase();
    if is_quote(&first) || first.len() > 300 {
        return None;
    }
    let mut joined = first;
    for n in 1..=3 {
        if n > 1 {
            joined.push(' ');
            joined.push_str(&lines.get(i + n - 1)?.trim().to_lowercase());
        }
        let flat = joined.replace(" :", ":");
        let looks_dated = flat.chars().any(|c| c.is_ascii_digit() || c == '@');
        let matches = ATTRIBUTIONS
            .iter()
            .any(|(start, end)| flat.starts_with(start) && flat.ends_with(end))
            || (flat.starts_with("am ") && flat.contains(" schrieb ") && flat.ends_with(':'));
        if matches && looks_dated {
            return Some(n);
        }
    }
    None
}

/// "-----Original Message-----" and its translations.
fn is_separator(line: &str) -> bool {
    let t = line.trim();
    if !t.starts_with("---") {
        return false;
    }
    let inner = t
        .trim_matches(|c: char| c == '-' || c.is_whitespace())
        .to_lowercase();
    SEPARATORS.contains(&inner.as_str())
}

/// Outlook's plain-text header block: "From: …" followed within three lines by "Sent: …".
fn outlook_block(lines: &[&str], i: usize) -> bool {
    let norm = |l: &str| {
        l.trim()
            .trim_start_matches('*')
            .replace('*', "")
            .to_lowercase()
    };
    let first = norm(lines[i]);
    if !OUTLOOK_FROM.iter().any(|p| first.starts_with(p)) {
        return false;
    }
    lines
        .iter()
        .skip(i + 1)
        .take(3)
        .any(|l| OUTLOOK_SENT.iter().any(|p| norm(l).starts_with(p)))
}

/// Includes the "________________" rule Outlook draws above its header block.
fn rule_above(lines: &[&str], i: usize) -> usize {
    let above = (0..i).rev().find(|&j| !lines[j].trim().is_empty());
    match above {
        Some(j) => {
            let t = lines[j].trim();
            let rule = t.len() >= 10 && t.chars().all(|c| c == '_' || c == '-');
            if rule { j } else { i }
        }
        None => i,
    }
}
