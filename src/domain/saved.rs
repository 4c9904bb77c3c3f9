//! Saved responses: a title, a shortcut typed after `/`, a body with variables and a
//! category; shared by the whole team (admins manage them) or one agent's own.

use super::validate::Invalid;
use super::{AgentId, Timestamp};
use serde::{Deserialize, Serialize};

/// Longest title, in characters.
pub const TITLE_MAX: usize = 100;
/// Longest shortcut, in characters.
pub const SHORTCUT_MAX: usize = 32;
/// Longest category, in characters.
pub const CATEGORY_MAX: usize = 60;
/// Longest body, in characters.
pub const BODY_MAX: usize = 10_000;

/// One saved response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedResponse {
    pub id: u64,
    /// `None`: shared with every agent; `Some`: that agent's own.
    pub owner: Option<AgentId>,
    pub title: String,
    /// Typed after `/` in the composer (lower case, no spaces); may be empty.
    pub shortcut: String,
    pub body: String,
    /// Groups responses in the composer's list; may be empty.
    pub category: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The fields an agent types, checked by [`SavedInput::check`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SavedInput {
    pub title: String,
    pub shortcut: String,
    pub body: String,
    pub category: String,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> Invalid {
    Invalid {
        field,
        reason: reason.into(),
    }
}

impl SavedInput {
    /// Trims and checks every field: a title and a body are required; a shortcut is
    /// letters, digits, `-` and `_` (a leading `/` is dropped, case folded).
    pub fn check(self) -> Result<SavedInput, Invalid> {
        let title = super::validate::name("title", &self.title, TITLE_MAX)?;
        let body = self.body.trim().to_string();
        if body.is_empty() {
            return Err(invalid("body", "must not be empty"));
        }
        if body.chars().count() > BODY_MAX {
            return Err(invalid(
                "body",
                format!("must be at most {BODY_MAX} characters"),
            ));
        }
        let shortcut = self.shortcut.trim().trim_start_matches('/').to_lowercase();
        if shortcut.chars().count() > SHORTCUT_MAX {
            return Err(invalid(
                "shortcut",
                format!("must be at most {SHORTCUT_MAX} characters"),
            ));
        }
        if !shortcut
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid(
                "shortcut",
                "may hold only letters, digits, - and _",
            ));
        }
        let category = self.category.trim().to_string();
        if category.chars().count() > CATEGORY_MAX {
            return Err(invalid(
                "category",
                format!("must be at most {CATEGORY_MAX} characters"),
            ));
        }
        if category.chars().any(char::is_control) {
            return Err(invalid("category", "must not contain control characters"));
        }
        Ok(SavedInput {
            title,
            shortcut,
            body,
            category,
        })
    }
}

/// Whether `shortcut` is taken among `visible` (what one agent sees), other than by
/// the response `except`.
pub fn shortcut_taken(visible: &[SavedResponse], shortcut: &str, except: Option<u64>) -> bool {
    !shortcut.is_empty()
        && visible
            .iter()
            .any(|r| r.shortcut == shortcut && Some(r.id) != except)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(title: &str, shortcut: &str, body: &str) -> SavedInput {
        SavedInput {
            title: title.into(),
            shortcut: shortcut.into(),
            body: body.into(),
            category: " Billing ".into(),
        }
    }

    #[test]
    fn fields_are_trimmed_and_the_shortcut_folded() {
        let ok = input(" Hello ", "/Hi", " Hi {{contact.first_name}} ")
            .check()
            .unwrap();
        assert_eq!(ok.title, "Hello");
        assert_eq!(ok.shortcut, "hi");
        assert_eq!(ok.body, "Hi {{contact.first_name}}");
        assert_eq!(ok.category, "Billing");
    }

    #[test]
    fn empty_title_or_body_and_bad_shortcuts_are_refused() {
        assert_eq!(input(" ", "a", "b").check().unwrap_err().field, "title");
        assert_eq!(input("a", "a", "  ").check().unwrap_err().field, "body");
        assert_eq!(
            input("a", "a b", "b").check().unwrap_err().field,
            "shortcut"
        );
        let long = "x".repeat(SHORTCUT_MAX + 1);
        assert_eq!(
            input("a", &long, "b").check().unwrap_err().field,
            "shortcut"
        );
        let body = "x".repeat(BODY_MAX + 1);
        assert_eq!(input("a", "", &body).check().unwrap_err().field, "body");
        assert!(
            input("a", "", "b").check().is_ok(),
            "a shortcut is optional"
        );
    }

    #[test]
    fn a_shortcut_is_taken_only_by_another_response() {
        let r = SavedResponse {
            id: 7,
            owner: None,
            title: "t".into(),
            shortcut: "hi".into(),
            body: "b".into(),
            category: String::new(),
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        };
        let list = vec![r];
        assert!(shortcut_taken(&list, "hi", None));
        assert!(shortcut_taken(&list, "hi", Some(8)));
        assert!(!shortcut_taken(&list, "hi", Some(7)));
        assert!(!shortcut_taken(&list, "", None));
    }
}
