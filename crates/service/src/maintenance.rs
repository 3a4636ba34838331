//! Backup and restore of the data directory's database.

use std::path::{Path, PathBuf};

use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_store::{DATABASE_FILE, Db};
use serde_json::json;

use crate::{Actor, App, Result, ServiceError};

impl App {
    /// Writes a consistent copy of the database to `out` while the platform keeps running. The file
    /// must not exist yet, so a backup never overwrites another one. The outcome is audited.
    pub async fn backup(&self, actor: &Actor, out: &Path) -> Result<u64> {
        actor.authorise(ipbridge_domain::Permission::ManageConfig)?;
        if out.exists() {
            return Err(ServiceError::Internal(format!("{} already exists; choose a new file name", out.display())));
        }
        let result = self.db.backup_into(out).await;
        let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
        restrict_permissions(out);
        let (outcome, detail) = match &result {
            Ok(()) => (Outcome::Success, json!({"bytes": size})),
            Err(e) => (Outcome::Failure, json!({"error": e.to_string()})),
        };
        self.record(actor.audit(Action::Backup, "database", out.display(), outcome, detail)).await?;
        result?;
        Ok(size)
    }

    /// A backup into the data directory's `backups` folder, named by the time (the web page's button).
    pub async fn backup_to_data_dir(&self, actor: &Actor) -> Result<(PathBuf, u64)> {
        actor.authorise(ipbridge_domain::Permission::ManageConfig)?;
        let dir = self.settings.server.data_dir.join("backups");
        std::fs::create_dir_all(&dir).map_err(|e| ServiceError::Internal(format!("create {}: {e}", dir.display())))?;
        let stamp = crate::auth::china_time(self.now()).format("%Y%m%d-%H%M%S");
        let file = dir.join(format!("ipbridge-{stamp}-{}.db", crate::secrets::random_hex(2)));
        let size = self.backup(actor, &file).await?;
        Ok((file, size))
    }

    /// Size of the database file in bytes, for the system page.
    pub fn database_size(&self) -> u64 {
        std::fs::metadata(self.db.path()).map(|m| m.len()).unwrap_or(0)
    }
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    /// Where the replaced database was kept.
    pub previous: Option<PathBuf>,
}

/// Replaces the data directory's database with a backup file after checking the file. The platform must
/// be stopped. The replaced database is kept beside it, and the restore is audited in the restored log.
pub async fn restore(data_dir: &Path, backup: &Path) -> Result<RestoreReport> {
    if !backup.is_file() {
        return Err(ServiceError::Internal(format!("{} is not a file", backup.display())));
    }
    // Check the backup before touching anything: it must open, be sound, and carry our schema.
    let probe_dir = tempdir_in(data_dir)?;
    let probe = probe_dir.join(DATABASE_FILE);
    std::fs::copy(backup, &probe).map_err(|e| ServiceError::Internal(format!("copy {}: {e}", backup.display())))?;
    {
        let db = Db::open(&probe)
            .await
            .map_err(|e| ServiceError::Internal(format!("{} is not a database: {e}", backup.display())))?;
        let problems = db
            .integrity_problems()
            .await
            .map_err(|e| ServiceError::Internal(format!("{} is not a database: {e}", backup.display())))?;
        if !problems.is_empty() {
            return Err(ServiceError::Internal(format!(
                "{} fails the integrity check: {}",
                backup.display(),
                problems.join("; ")
            )));
        }
        db.migrate()
            .await
            .map_err(|e| ServiceError::Internal(format!("{} is not an ipbridge database: {e}", backup.display())))?;
        db.close().await;
    }
    let target = data_dir.join(DATABASE_FILE);
    let previous = if target.exists() {
        let kept =
            data_dir.join(format!("{DATABASE_FILE}.before-restore-{}", chrono::Utc::now().format("%Y%m%dT%H%M%SZ")));
        std::fs::rename(&target, &kept)
            .map_err(|e| ServiceError::Internal(format!("keep {}: {e}", target.display())))?;
        Some(kept)
    } else {
        None
    };
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(data_dir.join(format!("{DATABASE_FILE}{suffix}")));
    }
    std::fs::rename(&probe, &target).map_err(|e| ServiceError::Internal(format!("move restored file: {e}")))?;
    let _ = std::fs::remove_dir_all(&probe_dir);
    // The search index was derived from the replaced database: drop it so the next start rebuilds it.
    let index = data_dir.join(crate::search::INDEX_DIR);
    if index.exists() {
        std::fs::remove_dir_all(&index)
            .map_err(|e| ServiceError::Internal(format!("remove stale search index {}: {e}", index.display())))?;
    }
    let db = Db::open_and_migrate(&target).await?;
    let actor = Actor::cli();
    {
        use ipbridge_store::AuditStore;
        let mut tx = db.begin().await?;
        tx.append_audit(&actor.audit(
            Action::Restore,
            "database",
            backup.display(),
            Outcome::Success,
            json!({"previous": previous.as_ref().map(|p| p.display().to_string())}),
        ))
        .await?;
        tx.commit().await?;
    }
    db.close().await;
    Ok(RestoreReport { previous })
}

/// Backups hold password hashes and second-factor secrets: readable by the owner only.
fn restrict_permissions(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn tempdir_in(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| ServiceError::Internal(format!("create {}: {e}", dir.display())))?;
    let p = dir.join(format!(".restore-{}", crate::secrets::random_hex(4)));
    std::fs::create_dir(&p).map_err(|e| ServiceError::Internal(format!("create {}: {e}", p.display())))?;
    Ok(p)
}
