//! Saved responses' pages: admins' shared list and each agent's own.

use super::*;
use crate::domain::saved::SavedResponse;

/// A list of saved responses with a form to add one and, per row, one to change it.
#[derive(Template, WebTemplate)]
#[template(path = "saved/list.html")]
pub struct SavedView {
    pub page: Page,
    pub responses: Vec<SavedResponse>,
    /// The shared list (Admin → Saved responses); else the agent's own.
    pub shared: bool,
    /// Where the forms post.
    pub base: &'static str,
}

/// Admin → Templates: the list with a form to add one and, per row, one to change it.
#[derive(Template, WebTemplate)]
#[template(path = "saved/templates.html")]
pub struct TemplatesView {
    pub page: Page,
    pub templates: Vec<crate::domain::template::MessageTemplate>,
    /// The WhatsApp Cloud inboxes (id, name) an approved template can belong to.
    pub wa_inboxes: Vec<(u64, String)>,
    /// The same inboxes with their WhatsApp Business Account id (empty: none), for
    /// "Sync templates".
    pub wa_sync: Vec<(u64, String, String)>,
    /// What the last sync did, or why it failed, in the reader's language.
    pub sync_note: Option<String>,
    pub sync_error: Option<String>,
}

impl TemplatesView {
    /// The name of WhatsApp inbox `id` (its number when it is gone).
    pub fn wa_inbox_name(&self, id: &u64) -> String {
        self.wa_inboxes
            .iter()
            .find(|(i, _)| i == id)
            .map_or_else(|| format!("#{id}"), |(_, n)| n.clone())
    }
}

localized!(page: SavedView, TemplatesView);
