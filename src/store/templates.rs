//! Message templates, by id (a few hundred at most: the list is one bounded scan, as
//! teams and inboxes are).

use super::{Abort, Result, Store, TxErr, dec, enc, keys, schema};
use crate::domain::template::MessageTemplate;

/// Most templates an installation keeps (the composer reads the list whole).
pub const TEMPLATES_MAX: usize = 500;

impl Store {
    /// Every template, in creation order.
    pub fn templates(&self) -> Result<Vec<MessageTemplate>> {
        self.t
            .templateid_template
            .iter()
            .expect(64)
            .values()
            .take(TEMPLATES_MAX)
            .map(|v| dec(schema::TEMPLATEID_TEMPLATE, &v?))
            .collect()
    }

    /// One template.
    pub fn template(&self, id: u64) -> Result<Option<MessageTemplate>> {
        self.t
            .templateid_template
            .get(keys::id(id))?
            .map(|v| dec(schema::TEMPLATEID_TEMPLATE, &v))
            .transpose()
    }

    /// Creates or replaces a template; with `must_exist`, `NotFound` when there is none.
    pub fn put_template(&self, t: &MessageTemplate, must_exist: bool) -> Result<()> {
        let _g = self.write_gate();
        let bytes = enc(t)?;
        self.tx([&self.t.templateid_template], |[tree]| {
            if tree.replace(keys::id(t.id), bytes.clone())?.is_none() && must_exist {
                return Err(TxErr::Abort(Abort::NotFound));
            }
            Ok(())
        })
    }

    /// A template sync's changes in one transaction: `puts` written (created or
    /// replaced), `removes` deleted (those already gone are skipped). All or nothing.
    pub fn sync_templates(&self, puts: &[MessageTemplate], removes: &[u64]) -> Result<()> {
        let _g = self.write_gate();
        let bytes = puts
            .iter()
            .map(|t| Ok((keys::id(t.id), enc(t)?)))
            .collect::<Result<Vec<_>>>()?;
        self.tx([&self.t.templateid_template], |[tree]| {
            for (k, v) in &bytes {
                tree.replace(*k, v.clone())?;
            }
            for id in removes {
                tree.take(keys::id(*id))?;
            }
            Ok(())
        })
    }

    /// Deletes a template; `NotFound` when there is none.
    pub fn delete_template(&self, id: u64) -> Result<()> {
        let _g = self.write_gate();
        self.tx([&self.t.templateid_template], |[tree]| {
            tree.take(keys::id(id))?
                .map(|_| ())
                .ok_or(TxErr::Abort(Abort::NotFound))
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::Timestamp;
    use crate::domain::template::{
        MessageTemplate, WaButton, WaButtonKind, WaHeader, WaHeaderKind, WhatsAppTemplate,
    };
    use crate::store::Store;
    use crate::store::test_support::on_both_engines;

    fn templates_are_kept_changed_and_deleted(store: &Store) {
        let mut t = MessageTemplate {
            id: 3,
            name: "Envío".into(),
            language: "es".into(),
            body: "b".into(),
            subject: None,
            created_at: Timestamp(1),
            updated_at: Timestamp(1),
            whatsapp: None,
        };
        store.put_template(&t, false).unwrap();
        t.id = 4;
        assert!(
            store.put_template(&t, true).is_err(),
            "4 does not exist yet"
        );
        store.put_template(&t, false).unwrap();
        t.name = "Otro".into();
        store.put_template(&t, true).unwrap();
        let names: Vec<String> = store
            .templates()
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, ["Envío", "Otro"]);
        store.delete_template(3).unwrap();
        assert!(store.template(3).unwrap().is_none());
        assert!(store.delete_template(3).is_err());
        assert_eq!(store.template(4).unwrap().unwrap().name, "Otro");
        // A WhatsApp template keeps its approved name, header and buttons.
        t.whatsapp = Some(WhatsAppTemplate {
            name: "order_shipped".into(),
            language: "es".into(),
            body: "Hola {{1}}".into(),
            header: Some(WaHeader {
                kind: WaHeaderKind::Image,
                text: None,
                url: Some("https://shop.example/logo.png".into()),
            }),
            buttons: vec![WaButton {
                kind: WaButtonKind::QuickReply,
                text: "Gracias".into(),
                url: None,
                phone_number: None,
            }],
            inbox_id: 9,
            footer: Some("Lucky Shrub".into()),
            examples: vec!["Ana".into()],
            synced: true,
        });
        store.put_template(&t, true).unwrap();
        assert_eq!(store.template(4).unwrap().unwrap(), t);
    }

    on_both_engines!(templates_are_kept_changed_and_deleted);

    fn a_sync_writes_and_removes_in_one_go(store: &Store) {
        let t = |id: u64, name: &str| MessageTemplate {
            id,
            name: name.into(),
            language: "es".into(),
            body: "b".into(),
            subject: None,
            created_at: Timestamp(1),
            updated_at: Timestamp(1),
            whatsapp: None,
        };
        store.put_template(&t(1, "old"), false).unwrap();
        store.put_template(&t(2, "kept"), false).unwrap();
        store
            .sync_templates(&[t(2, "changed"), t(3, "new")], &[1, 99])
            .unwrap();
        let names: Vec<String> = store
            .templates()
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, ["changed", "new"]);
    }

    on_both_engines!(a_sync_writes_and_removes_in_one_go);

    /// A template stored before WhatsApp templates existed still reads.
    #[test]
    fn templates_stored_before_whatsapp_read() {
        #[derive(serde::Serialize)]
        struct Before {
            id: u64,
            name: String,
            language: String,
            body: String,
            subject: Option<String>,
            created_at: Timestamp,
            updated_at: Timestamp,
        }
        let old = Before {
            id: 1,
            name: "Envío".into(),
            language: "es".into(),
            body: "b".into(),
            subject: None,
            created_at: Timestamp(1),
            updated_at: Timestamp(2),
        };
        let bytes = crate::store::enc(&old).unwrap();
        let t: MessageTemplate =
            crate::store::dec(crate::store::schema::TEMPLATEID_TEMPLATE, &bytes).unwrap();
        assert_eq!((t.name.as_str(), t.whatsapp), ("Envío", None));
    }
}
