//! Snapshots of the running server's data, for `charla backup`.

use super::{Result, ServiceError, Services, random_token};
use crate::domain::Agent;
use std::fs::File;

impl Services {
    /// Writes a consistent snapshot to an unlinked temporary file and returns it opened
    /// for reading (admins only). Runs on a blocking thread; writers pause meanwhile.
    pub async fn backup(&self, actor: &Agent) -> Result<File> {
        Self::require_admin(actor)?;
        let audit = self.audit(
            Some(actor),
            "backup",
            "all data".into(),
            "snapshot downloaded".into(),
        )?;
        self.store.append_audit(&audit)?;
        let store = self.store.clone();
        let path = store.path().join(format!("backup-{}.tmp", random_token(8)));
        let io = |e: std::io::Error| ServiceError::Internal(format!("backup file: {e}"));
        tokio::task::spawn_blocking(move || -> Result<File> {
            let result = (|| {
                let f = File::create(&path).map_err(io)?;
                store.backup_to(std::io::BufWriter::new(&f), |_| {})?;
                f.sync_all().map_err(io)?;
                File::open(&path).map_err(io)
            })();
            // Unlinked now: the open handle still reads it, and nothing is left behind.
            let _ = std::fs::remove_file(&path);
            result
        })
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
    }
}
