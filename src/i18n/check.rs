//! The catalog checker (a test): both languages have the same keys with the same
//! placeables, every key a template or the web code names exists, and no converted
//! template has user-facing text outside the catalogs. Templates still waiting for
//! their conversion are listed in `templates/locales/unconverted.txt`, a list that only
//! shrinks. Run it with `cargo test --lib -- i18n::check`.

use super::Lang;
use fluent_templates::fluent_bundle::FluentResource;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir` whose name ends with `ext`, sorted.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A catalog: each message id with the placeables (`$name`) its text uses.
type Catalog = BTreeMap<String, BTreeSet<String>>;

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Reads one language's `.ftl` files: ids, placeables, syntax errors and duplicates.
fn catalog(lang: Lang, problems: &mut Vec<String>) -> Catalog {
    let mut cat = Catalog::new();
    for path in files(&root().join("templates/locales").join(lang.code()), ".ftl") {
        let text = std::fs::read_to_string(&path).unwrap();
        if let Err((_, errors)) = FluentResource::try_new(text.clone()) {
            problems.push(format!("{}: syntax errors {errors:?}", path.display()));
        }
        let mut current: Option<String> = None;
        for line in text.lines() {
            let starts_message = line
                .split_once('=')
                .map(|(id, _)| id.trim_end())
                .filter(|id| {
                    !id.is_empty()
                        && id.starts_with(|c: char| c.is_ascii_alphabetic())
                        && id.chars().all(is_id_char)
                });
            if let Some(id) = starts_message {
                if cat.insert(id.to_string(), BTreeSet::new()).is_some() {
                    problems.push(format!("{}: `{id}` is defined twice", path.display()));
                }
                current = Some(id.to_string());
            } else if !line.starts_with([' ', '\t']) {
                current = None;
            }
            if let Some(id) = &current {
                let vars = cat.entry(id.clone()).or_default();
                for (i, _) in line.match_indices('$') {
                    let name: String = line[i + 1..]
                        .chars()
                        .take_while(|c| is_id_char(*c))
                        .collect();
                    vars.insert(name);
                }
            }
        }
    }
    cat
}

/// Keys named by the code: `t("…")`, `t1("…"`, `t2("…"`, `tr("…"`, `Msg::new("…")`.
fn called_keys(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for call in ["t(\"", "t1(\"", "t2(\"", "tr(\"", "Msg::new(\""] {
        for (i, _) in text.match_indices(call) {
            let before = text[..i].chars().next_back();
            if call.starts_with('t')
                && before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                continue; // `get("…")`, `set("…")`: not ours
            }
            let rest = &text[i + call.len()..];
            if let Some(end) = rest.find('"') {
                keys.push(rest[..end].to_string());
            }
        }
    }
    keys
}

/// String literals in Rust code shaped like keys of the catalog (`"status-open"`, as in
/// the match arms that pick a key).
fn key_literals(text: &str, prefixes: &BTreeSet<String>) -> Vec<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            s.contains('-')
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && s.split('-').next().is_some_and(|p| prefixes.contains(p))
        })
        .map(str::to_string)
        .collect()
}

/// Removes askama's tags, keeping the HTML around them (and dropping a
/// `{% block body_class %}`'s content: class names, not text).
fn without_askama(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut classes = String::new();
    while let Some(i) = rest.find("{% block body_class %}") {
        classes.push_str(&rest[..i]);
        let after = &rest[i..];
        rest = after.find("{% endblock %}").map_or("", |j| &after[j..]);
    }
    classes.push_str(rest);
    let mut rest = classes.as_str();
    while let Some(i) = rest.find(['{']) {
        let close = match rest[i..].chars().nth(1) {
            Some('{') => "}}",
            Some('%') => "%}",
            Some('#') => "#}",
            _ => {
                out.push_str(&rest[..=i]);
                rest = &rest[i + 1..];
                continue;
            }
        };
        out.push_str(&rest[..i]);
        match rest[i + 2..].find(close) {
            Some(j) => rest = &rest[i + 2 + j + 2..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Attributes people read (a button's `value` only matters on buttons, where it is
/// shown; elsewhere it is data).
const READ_ATTRIBUTES: &[&str] = &[
    "title",
    "placeholder",
    "aria-label",
    "alt",
    "data-confirm",
    "label",
];

/// Whether `text` reads as words: letters, other than the product's name and a single
/// key name (`<kbd>j</kbd>`).
fn has_words(text: &str) -> bool {
    let t = text.replace("Charla", "").replace("&nbsp;", " ");
    let t = t.trim();
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    letters > 0 && t.chars().count() != 1
}

/// The value of `name="…"` in a tag's text.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(i) = tag[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before_ok = tag[..at].ends_with([' ', '\n', '\t']);
        let rest = &tag[at + name.len()..];
        if before_ok && let Some(v) = rest.strip_prefix("=\"") {
            return v.find('"').map(|end| &v[..end]);
        }
    }
    None
}

/// Text and read attributes outside the catalog in one template.
fn literal_text(html: &str) -> Vec<String> {
    let html = without_askama(html);
    let mut found = Vec::new();
    let mut rest = html.as_str();
    while !rest.is_empty() {
        let (text, tail) = rest.split_at(rest.find('<').unwrap_or(rest.len()));
        if has_words(text) {
            found.push(format!("text {:?}", text.trim()));
        }
        let Some(end) = tail.find('>') else { break };
        let tag = &tail[..=end];
        rest = &tail[end + 1..];
        if tag.starts_with("<!") {
            continue;
        }
        // A `<button>` shows its content; an `<input type=submit>` its value.
        let is_button = tag.starts_with("<input")
            && attribute(tag, "type").is_some_and(|t| matches!(t, "submit" | "button" | "reset"));
        for name in READ_ATTRIBUTES
            .iter()
            .copied()
            .chain(is_button.then_some("value"))
        {
            if let Some(v) = attribute(tag, name)
                && has_words(v)
            {
                found.push(format!("{name}={v:?}"));
            }
        }
        if tag.starts_with("<script") || tag.starts_with("<style") {
            let close = if tag.starts_with("<script") {
                "</script>"
            } else {
                "</style>"
            };
            rest = rest.find(close).map_or("", |i| &rest[i..]);
        }
    }
    found
}

/// Templates not converted yet (paths under `templates/`).
fn unconverted() -> BTreeSet<String> {
    std::fs::read_to_string(root().join("templates/locales/unconverted.txt"))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[test]
fn both_languages_have_the_same_keys_and_placeables() {
    let mut problems = Vec::new();
    let en = catalog(Lang::En, &mut problems);
    let es = catalog(Lang::Es, &mut problems);
    assert!(
        en.len() > 100,
        "the English catalog was not found ({} keys)",
        en.len()
    );
    for (key, vars) in &en {
        match es.get(key) {
            None => problems.push(format!("`{key}` is in English but not in Spanish")),
            Some(v) if v != vars => problems.push(format!(
                "`{key}` uses placeables {vars:?} in English but {v:?} in Spanish"
            )),
            Some(_) => {}
        }
    }
    for key in es.keys().filter(|k| !en.contains_key(*k)) {
        problems.push(format!("`{key}` is in Spanish but not in English"));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_key_the_code_names_exists() {
    let mut problems = Vec::new();
    let en = catalog(Lang::En, &mut problems);
    let prefixes: BTreeSet<String> = en
        .keys()
        .filter_map(|k| k.split('-').next())
        .map(str::to_string)
        .collect();
    for path in files(&root().join("templates"), ".html") {
        let text = std::fs::read_to_string(&path).unwrap();
        for key in called_keys(&text) {
            if !en.contains_key(&key) {
                problems.push(format!("{}: `{key}` is not in the catalog", path.display()));
            }
        }
    }
    let own = root().join("src/i18n");
    // The services name keys only in calls (emails); their other literals are ids.
    for dir in ["src/web", "src/i18n", "src/service"] {
        for path in files(&root().join(dir), ".rs") {
            if path.starts_with(&own)
                && path
                    .file_name()
                    .is_some_and(|n| n == "check.rs" || n == "tests.rs")
            {
                continue;
            }
            // Comments show how to call, with made-up keys.
            let text: String = std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            let mut keys = called_keys(&text);
            if dir != "src/service" {
                keys.extend(key_literals(&text, &prefixes));
            }
            for key in keys {
                if !en.contains_key(&key) {
                    problems.push(format!("{}: `{key}` is not in the catalog", path.display()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn converted_templates_have_no_text_outside_the_catalog() {
    let base = root().join("templates");
    let waiting = unconverted();
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for path in files(&base, ".html") {
        let name = path
            .strip_prefix(&base)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let found = literal_text(&std::fs::read_to_string(&path).unwrap());
        match (waiting.contains(&name), found.is_empty()) {
            (false, false) => problems.push(format!(
                "templates/{name}: text outside the catalog (add keys to templates/locales/en and es):\n  {}",
                found.join("\n  ")
            )),
            (true, true) => problems.push(format!(
                "templates/{name} is converted: remove it from templates/locales/unconverted.txt"
            )),
            _ => {}
        }
        seen.insert(name);
    }
    for name in waiting.difference(&seen) {
        problems.push(format!(
            "templates/locales/unconverted.txt names {name}, which does not exist"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checker_finds_literal_text() {
    assert_eq!(
        literal_text("<p>{{ t(\"x\") }}</p><kbd>j</kbd> · Charla"),
        Vec::<String>::new()
    );
    assert_eq!(
        literal_text("<p>Hello {{ name }}</p>"),
        vec!["text \"Hello\""]
    );
    assert_eq!(
        literal_text(
            "<input placeholder=\"Search\" value=\"{{ q }}\"><button value=\"go\">{{ t(\"k\") }}</button><input type=\"submit\" value=\"Send\">"
        ),
        vec!["placeholder=\"Search\"", "value=\"Send\""]
    );
    assert_eq!(
        literal_text("<input type=\"hidden\" name=\"status\" value=\"open\">"),
        Vec::<String>::new()
    );
    assert_eq!(
        literal_text("<form data-confirm=\"Delete it?\">{% if a > b %}{% endif %}</form>"),
        vec!["data-confirm=\"Delete it?\""]
    );
    assert_eq!(
        literal_text(
            "{% block body_class %}auth{% endblock %}<b>{% block x %}Hi{% endblock %}</b>"
        ),
        vec!["text \"Hi\""]
    );
    assert_eq!(
        called_keys("{{ t(\"a-b\") }} {{ t1(\"c\", \"n\", x) }} get(\"no\") Msg::new(\"d\")"),
        vec!["a-b", "c", "d"]
    );
}
