//! Numbers as each language writes them (CLDR): English groups thousands with commas
//! and writes a decimal point; Spanish writes a decimal comma and groups with points
//! only from five digits on ("1234", "12.345").

use super::Lang;
use fluent_templates::fluent_bundle::FluentValue;

/// A whole number with its language's digit grouping.
pub fn group_digits(n: i64, lang: Lang) -> String {
    let digits = n.unsigned_abs().to_string();
    let (sep, min) = match lang {
        Lang::En => (',', 4),
        Lang::Es => ('.', 5),
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    if digits.len() < min {
        out.push_str(&digits);
        return out;
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// A Fluent number placeable in `lang`: whole numbers grouped, fractions with the
/// language's decimal mark. Other values keep Fluent's own formatting.
fn fluent_number(v: &FluentValue, lang: Lang) -> Option<String> {
    let FluentValue::Number(n) = v else {
        return None;
    };
    let text = n.as_string();
    let (whole, frac) = match text.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (text.as_ref(), None),
    };
    let whole: i64 = whole.parse().ok()?;
    let mut out = group_digits(whole, lang);
    if let Some(f) = frac {
        out.push(if lang == Lang::Es { ',' } else { '.' });
        out.push_str(f);
    }
    Some(out)
}

/// The English bundle's number formatter.
pub(super) fn fluent_en<M>(v: &FluentValue, _: &M) -> Option<String> {
    fluent_number(v, Lang::En)
}

/// The Spanish bundle's number formatter.
pub(super) fn fluent_es<M>(v: &FluentValue, _: &M) -> Option<String> {
    fluent_number(v, Lang::Es)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_digits_per_language() {
        assert_eq!(group_digits(0, Lang::En), "0");
        assert_eq!(group_digits(999, Lang::En), "999");
        assert_eq!(group_digits(1234, Lang::En), "1,234");
        assert_eq!(group_digits(-1_234_567, Lang::En), "-1,234,567");
        assert_eq!(group_digits(1234, Lang::Es), "1234");
        assert_eq!(group_digits(12_345, Lang::Es), "12.345");
        assert_eq!(group_digits(1_000_000, Lang::Es), "1.000.000");
        assert_eq!(
            group_digits(i64::MIN, Lang::En),
            "-9,223,372,036,854,775,808"
        );
    }

    #[test]
    fn fluent_numbers_use_the_decimal_mark() {
        let v = FluentValue::from(12_345.5_f64);
        assert_eq!(fluent_number(&v, Lang::Es).as_deref(), Some("12.345,5"));
        assert_eq!(fluent_number(&v, Lang::En).as_deref(), Some("12,345.5"));
        assert_eq!(fluent_number(&FluentValue::from("x"), Lang::En), None);
    }
}
