//! The inbox form's language select (`templates/admin/_language_field.html`): the
//! language of the inbox's emails and widget, or the installation's.

use crate::i18n::Lang;

/// One choice of the select.
#[derive(Debug, Clone)]
pub struct LanguageOption {
    pub code: &'static str,
    /// The language's own name ("Español").
    pub name: String,
    pub selected: bool,
}

/// What the select shows: the code chosen (`""` for the installation's) and the
/// installation's language, named in the first option.
#[derive(Debug, Clone)]
pub struct LanguageField {
    pub value: String,
    pub installation: Lang,
}

impl LanguageField {
    pub fn new(value: Option<&str>, installation: Lang) -> LanguageField {
        LanguageField {
            value: value.unwrap_or_default().trim().to_string(),
            installation,
        }
    }

    /// Every language the catalogs have, in its own name.
    pub fn options(&self) -> Vec<LanguageOption> {
        Lang::ALL
            .into_iter()
            .map(|l| LanguageOption {
                code: l.code(),
                name: l.native_name(),
                selected: self.value == l.code(),
            })
            .collect()
    }

    /// The installation's language in its own name ("English").
    pub fn installation_name(&self) -> String {
        self.installation.native_name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_language_is_selected_and_none_means_the_installations() {
        let f = LanguageField::new(Some("es"), Lang::En);
        let picked: Vec<_> = f.options().into_iter().filter(|o| o.selected).collect();
        assert_eq!(picked.len(), 1);
        assert_eq!((picked[0].code, picked[0].name.as_str()), ("es", "Español"));
        let f = LanguageField::new(None, Lang::Es);
        assert!(f.options().iter().all(|o| !o.selected));
        assert_eq!(f.installation_name(), "Español");
    }
}
