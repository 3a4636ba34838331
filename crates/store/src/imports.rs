//! Import runs: one row per uploaded file, with its counts and the rejected-rows report.

use chrono::{DateTime, Utc};
use ipbridge_domain::ids::{ImportId, OrgId};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::{Result, StoreError, Tx, time};

/// What was imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// Patent records.
    Patents,
    /// Organisations.
    Orgs,
}

impl ImportKind {
    /// Stored code.
    pub const fn code(self) -> &'static str {
        match self {
            ImportKind::Patents => "patents",
            ImportKind::Orgs => "orgs",
        }
    }
}

/// How an import run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStatus {
    /// Still writing batches.
    Running,
    /// Every row accounted for.
    Done,
    /// The file could not be read at all.
    Failed,
    /// The process stopped mid-way (batches written so far are complete; importing again finishes it).
    Interrupted,
}

impl ImportStatus {
    /// Stored code.
    pub const fn code(self) -> &'static str {
        match self {
            ImportStatus::Running => "running",
            ImportStatus::Done => "done",
            ImportStatus::Failed => "failed",
            ImportStatus::Interrupted => "interrupted",
        }
    }

    /// Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            ImportStatus::Running => "导入中",
            ImportStatus::Done => "已完成",
            ImportStatus::Failed => "失败",
            ImportStatus::Interrupted => "已中断",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "running" => ImportStatus::Running,
            "done" => ImportStatus::Done,
            "failed" => ImportStatus::Failed,
            "interrupted" => ImportStatus::Interrupted,
            other => return Err(StoreError::Corrupt(format!("imports.status {other:?}"))),
        })
    }
}

/// The counts of an import; `read` is always the sum of the other four.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportCounts {
    /// Data rows in the file.
    pub total: u64,
    /// Rows handled so far.
    pub read: u64,
    /// New records.
    pub inserted: u64,
    /// Changed records.
    pub updated: u64,
    /// Identical records.
    pub unchanged: u64,
    /// Rows refused, each with its reason in the report.
    pub rejected: u64,
}

/// A new import run.
#[derive(Debug, Clone)]
pub struct NewImport {
    /// What is imported.
    pub kind: ImportKind,
    /// On whose behalf.
    pub org_id: Option<OrgId>,
    /// Who.
    pub actor_id: Option<i64>,
    /// Who, by name.
    pub actor_name: String,
    /// The uploaded file's name.
    pub file_name: String,
    /// SM3 of the file, to recognise the same file again.
    pub file_hash: String,
    /// Detected format.
    pub format: String,
}

/// A stored import run.
#[derive(Debug, Clone)]
pub struct ImportRecord {
    /// Row id.
    pub id: ImportId,
    /// What was imported (`patents` or `orgs`).
    pub kind: String,
    /// On whose behalf.
    pub org_id: Option<OrgId>,
    /// Who, by name.
    pub actor_name: String,
    /// File name.
    pub file_name: String,
    /// Detected format.
    pub format: String,
    /// State.
    pub status: ImportStatus,
    /// Counts.
    pub counts: ImportCounts,
    /// A message for the user (failure reason, notes).
    pub message: String,
    /// Whether a rejected-rows report is stored.
    pub has_report: bool,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End.
    pub finished_at: Option<DateTime<Utc>>,
}

/// Imports area.
pub trait ImportStore {
    /// Starts an import run.
    async fn create_import(&mut self, new: &NewImport, now: DateTime<Utc>) -> Result<ImportId>;
    /// Records progress; called in the transaction of each batch, so progress and data commit together.
    async fn set_import_counts(&mut self, id: ImportId, counts: &ImportCounts) -> Result<()>;
    /// Ends an import run with its report.
    async fn finish_import(
        &mut self,
        id: ImportId,
        status: ImportStatus,
        message: &str,
        report: Option<&[u8]>,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// One import run.
    async fn import(&mut self, id: ImportId) -> Result<Option<ImportRecord>>;
    /// Import runs, newest first; only one organisation's when given.
    async fn list_imports(&mut self, org: Option<OrgId>, limit: u32, offset: u32) -> Result<Vec<ImportRecord>>;
    /// How many import runs (of one organisation when given).
    async fn count_imports(&mut self, org: Option<OrgId>) -> Result<u64>;
    /// The rejected-rows workbook of an import.
    async fn import_report(&mut self, id: ImportId) -> Result<Option<Vec<u8>>>;
    /// Marks runs left `running` by a stopped process as interrupted; returns how many.
    async fn mark_interrupted_imports(&mut self, now: DateTime<Utc>) -> Result<u64>;
}

const COLUMNS: &str = "id, kind, org_id, actor_name, file_name, format, status, rows_total, rows_read, inserted, \
                       updated, unchanged, rejected, message, report IS NOT NULL AS has_report, started_at, finished_at";

fn count(row: &SqliteRow, col: &str) -> Result<u64> {
    Ok(u64::try_from(row.try_get::<i64, _>(col)?).unwrap_or(0))
}

fn import_from_row(row: &SqliteRow) -> Result<ImportRecord> {
    Ok(ImportRecord {
        id: ImportId::new(row.try_get("id")?),
        kind: row.try_get("kind")?,
        org_id: row.try_get::<Option<i64>, _>("org_id")?.map(OrgId::new),
        actor_name: row.try_get("actor_name")?,
        file_name: row.try_get("file_name")?,
        format: row.try_get("format")?,
        status: ImportStatus::parse(&row.try_get::<String, _>("status")?)?,
        counts: ImportCounts {
            total: count(row, "rows_total")?,
            read: count(row, "rows_read")?,
            inserted: count(row, "inserted")?,
            updated: count(row, "updated")?,
            unchanged: count(row, "unchanged")?,
            rejected: count(row, "rejected")?,
        },
        message: row.try_get("message")?,
        has_report: row.try_get("has_report")?,
        started_at: time::from_text(&row.try_get::<String, _>("started_at")?)?,
        finished_at: time::opt_from_text(row.try_get("finished_at")?)?,
    })
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl ImportStore for Tx {
    async fn create_import(&mut self, n: &NewImport, now: DateTime<Utc>) -> Result<ImportId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO imports (kind, org_id, actor_id, actor_name, file_name, file_hash, format, status, started_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'running', ?8) RETURNING id",
        )
        .bind(n.kind.code())
        .bind(n.org_id.map(OrgId::get))
        .bind(n.actor_id)
        .bind(&n.actor_name)
        .bind(&n.file_name)
        .bind(&n.file_hash)
        .bind(&n.format)
        .bind(time::to_text(now))
        .fetch_one(self.conn())
        .await?;
        Ok(ImportId::new(id))
    }

    async fn set_import_counts(&mut self, id: ImportId, c: &ImportCounts) -> Result<()> {
        sqlx::query(
            "UPDATE imports SET rows_total = ?1, rows_read = ?2, inserted = ?3, updated = ?4, unchanged = ?5, \
             rejected = ?6 WHERE id = ?7",
        )
        .bind(to_i64(c.total))
        .bind(to_i64(c.read))
        .bind(to_i64(c.inserted))
        .bind(to_i64(c.updated))
        .bind(to_i64(c.unchanged))
        .bind(to_i64(c.rejected))
        .bind(id.get())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn finish_import(
        &mut self,
        id: ImportId,
        status: ImportStatus,
        message: &str,
        report: Option<&[u8]>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("UPDATE imports SET status = ?1, message = ?2, report = ?3, finished_at = ?4 WHERE id = ?5")
            .bind(status.code())
            .bind(message)
            .bind(report)
            .bind(time::to_text(now))
            .bind(id.get())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    async fn import(&mut self, id: ImportId) -> Result<Option<ImportRecord>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT {COLUMNS} FROM imports WHERE id = "));
        qb.push_bind(id.get());
        let row = qb.build().fetch_optional(self.conn()).await?;
        row.as_ref().map(import_from_row).transpose()
    }

    async fn list_imports(&mut self, org: Option<OrgId>, limit: u32, offset: u32) -> Result<Vec<ImportRecord>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT {COLUMNS} FROM imports"));
        if let Some(org) = org {
            qb.push(" WHERE org_id = ").push_bind(org.get());
        }
        qb.push(" ORDER BY id DESC LIMIT ").push_bind(i64::from(limit)).push(" OFFSET ").push_bind(i64::from(offset));
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(import_from_row).collect()
    }

    async fn count_imports(&mut self, org: Option<OrgId>) -> Result<u64> {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM imports");
        if let Some(org) = org {
            qb.push(" WHERE org_id = ").push_bind(org.get());
        }
        let n: i64 = qb.build_query_scalar().fetch_one(self.conn()).await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn import_report(&mut self, id: ImportId) -> Result<Option<Vec<u8>>> {
        Ok(sqlx::query_scalar("SELECT report FROM imports WHERE id = ?1")
            .bind(id.get())
            .fetch_optional(self.conn())
            .await?
            .flatten())
    }

    async fn mark_interrupted_imports(&mut self, now: DateTime<Utc>) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE imports SET status = 'interrupted', finished_at = ?1, \
             message = '导入过程中服务停止；已写入的批次完整保留，重新导入同一文件即可补全' WHERE status = 'running'",
        )
        .bind(time::to_text(now))
        .execute(self.conn())
        .await?
        .rows_affected())
    }
}
