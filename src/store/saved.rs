//! Saved responses: `ownersaved_response` keyed owner · id (owner 0: shared), so what
//! one agent sees is two prefix scans (the shared ones and their own), never a scan of
//! everyone's; `savedid_owner` finds a response's owner from its id alone.

use super::{Abort, Result, Store, TxErr, dec, enc, keys, schema};
use crate::domain::AgentId;
use crate::domain::saved::SavedResponse;

/// Most responses one owner keeps (each list is read whole by the composer).
pub const SAVED_PER_OWNER: usize = 1000;

fn owner_key(owner: Option<AgentId>) -> u64 {
    owner.map_or(0, |a| a.0)
}

impl Store {
    /// The shared responses (`None`) or one agent's own, in creation order.
    pub fn saved_responses(&self, owner: Option<AgentId>) -> Result<Vec<SavedResponse>> {
        self.t
            .ownersaved_response
            .scan_prefix(keys::id(owner_key(owner)))
            .expect(64)
            .values()
            .take(SAVED_PER_OWNER)
            .map(|v| dec(schema::OWNERSAVED_RESPONSE, &v?))
            .collect()
    }

    /// One response by id (two point reads).
    pub fn saved_response(&self, id: u64) -> Result<Option<SavedResponse>> {
        let Some(owner) = self
            .t
            .savedid_owner
            .get(keys::id(id))?
            .and_then(|v| keys::read_u64(&v))
        else {
            return Ok(None);
        };
        self.t
            .ownersaved_response
            .get(keys::id_pair(owner, id))?
            .map(|v| dec(schema::OWNERSAVED_RESPONSE, &v))
            .transpose()
    }

    /// Creates or replaces a response, moving it between owners when its owner
    /// changed (shared to personal or back). With `must_exist`, aborts with `NotFound`
    /// when there is no response of that id.
    pub fn put_saved_response(&self, r: &SavedResponse, must_exist: bool) -> Result<()> {
        let _g = self.write_gate();
        let bytes = enc(r)?;
        let owner = owner_key(r.owner);
        self.tx(
            [&self.t.ownersaved_response, &self.t.savedid_owner],
            |[list, ids]| {
                let old = ids
                    .replace(keys::id(r.id), &keys::u64_be(owner)[..])?
                    .and_then(|v| keys::read_u64(&v));
                match old {
                    None if must_exist => return Err(TxErr::Abort(Abort::NotFound)),
                    Some(o) if o != owner => list.remove(keys::id_pair(o, r.id))?,
                    _ => {}
                }
                list.insert(keys::id_pair(owner, r.id), bytes.clone())?;
                Ok(())
            },
        )
    }

    /// Deletes a response; `NotFound` when there is none.
    pub fn delete_saved_response(&self, id: u64) -> Result<()> {
        let _g = self.write_gate();
        self.tx(
            [&self.t.ownersaved_response, &self.t.savedid_owner],
            |[list, ids]| {
                let owner = ids
                    .take(keys::id(id))?
                    .and_then(|v| keys::read_u64(&v))
                    .ok_or(TxErr::Abort(Abort::NotFound))?;
                list.remove(keys::id_pair(owner, id))?;
                Ok(())
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::saved::SavedResponse;
    use crate::domain::{AgentId, Timestamp};
    use crate::store::Store;
    use crate::store::test_support::on_both_engines;

    fn response(id: u64, owner: Option<u64>, title: &str) -> SavedResponse {
        SavedResponse {
            id,
            owner: owner.map(AgentId),
            title: title.into(),
            shortcut: title.to_lowercase(),
            body: format!("{title} body"),
            category: String::new(),
            created_at: Timestamp(id as i64),
            updated_at: Timestamp(id as i64),
        }
    }

    fn lists_are_per_owner_and_ids_find_their_owner(store: &Store) {
        store
            .put_saved_response(&response(5, None, "Hi"), false)
            .unwrap();
        store
            .put_saved_response(&response(6, Some(1), "Mine"), false)
            .unwrap();
        store
            .put_saved_response(&response(7, Some(2), "Theirs"), false)
            .unwrap();
        store
            .put_saved_response(&response(8, None, "Bye"), false)
            .unwrap();
        let titles = |o| -> Vec<String> {
            store
                .saved_responses(o)
                .unwrap()
                .into_iter()
                .map(|r| r.title)
                .collect()
        };
        assert_eq!(titles(None), ["Hi", "Bye"]);
        assert_eq!(titles(Some(AgentId(1))), ["Mine"]);
        assert_eq!(titles(Some(AgentId(2))), ["Theirs"]);
        assert_eq!(titles(Some(AgentId(3))), Vec::<String>::new());
        assert_eq!(store.saved_response(7).unwrap().unwrap().title, "Theirs");
        let mut edited = response(7, Some(2), "Edited");
        store.put_saved_response(&edited, true).unwrap();
        assert_eq!(store.saved_response(7).unwrap().unwrap().title, "Edited");
        edited.id = 9;
        assert!(
            store.put_saved_response(&edited, true).is_err(),
            "editing needs an existing response"
        );
        assert!(store.saved_response(9).unwrap().is_none());
        let shared = response(6, None, "Now shared");
        store.put_saved_response(&shared, true).unwrap();
        assert!(
            titles(Some(AgentId(1))).is_empty(),
            "moved out of its owner's list"
        );
        assert_eq!(titles(None), ["Hi", "Now shared", "Bye"]);
        store.delete_saved_response(7).unwrap();
        assert!(store.saved_response(7).unwrap().is_none());
        assert!(titles(Some(AgentId(2))).is_empty());
        assert!(store.delete_saved_response(7).is_err());
    }

    on_both_engines!(lists_are_per_owner_and_ids_find_their_owner);
}
