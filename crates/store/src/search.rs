//! What the search indexer reads: the outbox of changed patents and the columns of a patent's index document.

use std::collections::HashMap;

use ipbridge_domain::patent::PatentRecord;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::patents::{SUMMARY_COLUMNS, summary_from_row};
use crate::{PatentSummary, Result, StoreError, Tx};

/// One outbox row: a patent to re-index, or every patent (`patent_id` none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Row id (rows are applied in this order and deleted through the last one applied).
    pub id: i64,
    /// The patent, or none for all.
    pub patent_id: Option<i64>,
}

/// The stored columns an index document is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchSource {
    /// Patent id.
    pub id: i64,
    /// Canonical application number.
    pub application_no: String,
    /// `invention` / `utility_model` / `design`.
    pub patent_type: String,
    /// Legal status code.
    pub legal_status: String,
    /// In force.
    pub in_force: bool,
    /// Listed in the transferable pool (可转化专利资源库), as `PoolStore` lists it.
    pub in_pool: bool,
    /// Owner organisation.
    pub owner_org_id: Option<i64>,
    /// Owner's county code.
    pub county_code: Option<String>,
    /// Filing year.
    pub filing_year: Option<i32>,
    /// Filing date as stored (YYYY-MM-DD).
    pub filing_date: Option<String>,
    /// The record JSON (`PatentRecord`).
    pub record: String,
}

/// Search-indexer area.
pub trait SearchStore {
    /// The oldest outbox rows, at most `limit`.
    async fn outbox_batch(&mut self, limit: i64) -> Result<Vec<OutboxEntry>>;
    /// Deletes outbox rows up to and including `id`.
    async fn outbox_delete_through(&mut self, id: i64) -> Result<()>;
    /// Rows waiting in the outbox.
    async fn outbox_len(&mut self) -> Result<i64>;
    /// The highest outbox row id (0 when empty).
    async fn outbox_last_id(&mut self) -> Result<i64>;
    /// Index sources of these patents (missing ids are absent: deleted patents).
    async fn search_sources(&mut self, ids: &[i64]) -> Result<Vec<SearchSource>>;
    /// Index sources in id order after `after_id`, at most `limit` (a full rebuild pages through these).
    async fn search_sources_after(&mut self, after_id: i64, limit: i64) -> Result<Vec<SearchSource>>;
    /// Number of patents.
    async fn patent_total(&mut self) -> Result<i64>;
    /// Summaries and records of search hits, in the order of `ids` (missing ids skipped).
    async fn patent_hits(&mut self, ids: &[i64]) -> Result<Vec<(PatentSummary, PatentRecord)>>;
    /// Chinese IPC titles of subclasses and groups, for the search lexicon.
    async fn lexicon_titles(&mut self) -> Result<Vec<String>>;
    /// A value that changes when any enterprise profile input may have changed (enterprise organisations,
    /// demands, patents held by enterprises): the profile index is rebuilt when it differs.
    async fn profile_fingerprint(&mut self) -> Result<String>;
}

/// The pool's listing rule (`revitalisation::pool`): a record in the transferable pool, the patent in force, its
/// ownership not passed on by an effective assignment or equity contribution. Record states and deals reach the
/// outbox through migration 0005's triggers, so the flag follows them.
const SOURCE_COLUMNS: &str = "SELECT p.id, p.application_no, p.patent_type, p.legal_status, p.in_force, \
     (p.in_force = 1 \
      AND EXISTS (SELECT 1 FROM inventory_records r WHERE r.patent_id = p.id AND r.state = 'transferable_pool') \
      AND NOT EXISTS (SELECT 1 FROM deal_patents dp JOIN deals d ON d.id = dp.deal_id \
          WHERE dp.patent_id = p.id AND d.status = 'effective' AND d.kind IN ('assignment', 'equity_contribution'))) \
     AS in_pool, \
     p.owner_org_id, o.county_code, p.filing_year, p.filing_date, p.record \
     FROM patents p LEFT JOIN orgs o ON o.id = p.owner_org_id";

fn source_from_row(row: &SqliteRow) -> Result<SearchSource> {
    Ok(SearchSource {
        id: row.try_get("id")?,
        application_no: row.try_get("application_no")?,
        patent_type: row.try_get("patent_type")?,
        legal_status: row.try_get("legal_status")?,
        in_force: row.try_get::<i64, _>("in_force")? == 1,
        in_pool: row.try_get::<i64, _>("in_pool")? == 1,
        owner_org_id: row.try_get("owner_org_id")?,
        county_code: row.try_get("county_code")?,
        filing_year: row.try_get::<Option<i64>, _>("filing_year")?.and_then(|y| i32::try_from(y).ok()),
        filing_date: row.try_get("filing_date")?,
        record: row.try_get("record")?,
    })
}

impl SearchStore for Tx {
    async fn outbox_batch(&mut self, limit: i64) -> Result<Vec<OutboxEntry>> {
        let rows = sqlx::query("SELECT id, patent_id FROM search_outbox ORDER BY id LIMIT ?1")
            .bind(limit)
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(|r| Ok(OutboxEntry { id: r.try_get("id")?, patent_id: r.try_get("patent_id")? })).collect()
    }

    async fn outbox_delete_through(&mut self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM search_outbox WHERE id <= ?1").bind(id).execute(self.conn()).await?;
        Ok(())
    }

    async fn outbox_len(&mut self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM search_outbox").fetch_one(self.conn()).await?)
    }

    async fn outbox_last_id(&mut self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM search_outbox").fetch_one(self.conn()).await?)
    }

    async fn search_sources(&mut self, ids: &[i64]) -> Result<Vec<SearchSource>> {
        let mut out = Vec::with_capacity(ids.len());
        for part in ids.chunks(500) {
            let json = serde_json::to_string(part).unwrap_or_else(|_| "[]".to_owned());
            // Built from constants only; values are bound.
            let sql = format!("{SOURCE_COLUMNS} WHERE p.id IN (SELECT value FROM json_each(?1))");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(json).fetch_all(self.conn()).await?;
            for row in &rows {
                out.push(source_from_row(row)?);
            }
        }
        Ok(out)
    }

    async fn search_sources_after(&mut self, after_id: i64, limit: i64) -> Result<Vec<SearchSource>> {
        let sql = format!("{SOURCE_COLUMNS} WHERE p.id > ?1 ORDER BY p.id LIMIT ?2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(after_id).bind(limit).fetch_all(self.conn()).await?;
        rows.iter().map(source_from_row).collect()
    }

    async fn patent_total(&mut self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM patents").fetch_one(self.conn()).await?)
    }

    async fn patent_hits(&mut self, ids: &[i64]) -> Result<Vec<(PatentSummary, PatentRecord)>> {
        let mut found: HashMap<i64, (PatentSummary, PatentRecord)> = HashMap::with_capacity(ids.len());
        for part in ids.chunks(500) {
            let json = serde_json::to_string(part).unwrap_or_else(|_| "[]".to_owned());
            let sql = format!(
                "SELECT {SUMMARY_COLUMNS}, p.record FROM patents p LEFT JOIN orgs o ON o.id = p.owner_org_id \
                 WHERE p.id IN (SELECT value FROM json_each(?1))"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(json).fetch_all(self.conn()).await?;
            for row in &rows {
                let summary = summary_from_row(row)?;
                let text: String = row.try_get("record")?;
                let record: PatentRecord =
                    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("patents.record: {e}")))?;
                found.insert(summary.id.get(), (summary, record));
            }
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    async fn profile_fingerprint(&mut self) -> Result<String> {
        Ok(sqlx::query_scalar(
            "SELECT (SELECT coalesce(max(updated_at), '') || '/' || count(*) FROM orgs WHERE kind = 'enterprise') \
             || '/' || (SELECT coalesce(max(updated_at), '') || '/' || count(*) FROM demands) \
             || '/' || (SELECT coalesce(max(p.updated_at), '') || '/' || count(*) FROM patents p \
                        JOIN orgs o ON o.id = p.owner_org_id WHERE o.kind = 'enterprise')",
        )
        .fetch_one(self.conn())
        .await?)
    }

    async fn lexicon_titles(&mut self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT title_zh FROM ipc_titles WHERE level IN ('subclass', 'main_group', 'subgroup') ORDER BY code",
        )
        .fetch_all(self.conn())
        .await?)
    }
}
