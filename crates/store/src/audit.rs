//! The append-only audit log with its SM3 hash chain.

use chrono::{DateTime, Utc};
use ipbridge_domain::audit::{Action, AuditRecord, GENESIS_HASH, Outcome, StoredAuditRecord};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::orgs::escape_like;
use crate::{Result, Tx, time};

/// A record to append; the store assigns the sequence number and the hashes.
#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Acting account.
    pub actor_id: Option<i64>,
    /// Acting account's login name, the attempted name, or `cli`.
    pub actor_name: String,
    /// Acting account's organisation.
    pub org_id: Option<i64>,
    /// Client address.
    pub ip: String,
    /// What was done.
    pub action: Action,
    /// Kind of object.
    pub object_type: String,
    /// Object id.
    pub object_id: String,
    /// Result.
    pub outcome: Outcome,
    /// Request id.
    pub request_id: String,
    /// JSON detail, never a secret.
    pub detail: String,
}

/// Which records the audit page shows.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// From this time (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Before this time (exclusive).
    pub until: Option<DateTime<Utc>>,
    /// Actor name contains.
    pub actor: Option<String>,
    /// Exactly this action.
    pub action: Option<Action>,
    /// Exactly this outcome.
    pub outcome: Option<Outcome>,
    /// Object type and id contain.
    pub object: Option<String>,
    /// Client address starts with.
    pub ip: Option<String>,
    /// Page size; 0 means no limit.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// Audit area.
pub trait AuditStore {
    /// Appends a record, chaining it to the last one. Must run inside the write transaction of the change
    /// it records, so the change and its record commit together.
    async fn append_audit(&mut self, entry: &NewAuditEntry) -> Result<StoredAuditRecord>;
    /// Newest first, filtered and paged.
    async fn list_audit(&mut self, filter: &AuditFilter) -> Result<Vec<StoredAuditRecord>>;
    /// How many records match (ignoring paging).
    async fn count_audit(&mut self, filter: &AuditFilter) -> Result<u64>;
    /// Up to `limit` records with a sequence number above `after`, oldest first (for verification).
    async fn audit_after(&mut self, after: i64, limit: u32) -> Result<Vec<StoredAuditRecord>>;
}

const AUDIT_COLUMNS: &str = "seq, at, actor_id, actor_name, org_id, ip, action, object_type, object_id, \
                             outcome, request_id, detail, prev_hash, hash";

fn record_from_row(row: &SqliteRow) -> Result<StoredAuditRecord> {
    Ok(StoredAuditRecord {
        record: AuditRecord {
            seq: row.try_get("seq")?,
            at: time::from_text(&row.try_get::<String, _>("at")?)?,
            actor_id: row.try_get("actor_id")?,
            actor_name: row.try_get("actor_name")?,
            org_id: row.try_get("org_id")?,
            ip: row.try_get("ip")?,
            action: row.try_get("action")?,
            object_type: row.try_get("object_type")?,
            object_id: row.try_get("object_id")?,
            outcome: row.try_get("outcome")?,
            request_id: row.try_get("request_id")?,
            detail: row.try_get("detail")?,
        },
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

fn push_filter(qb: &mut QueryBuilder<Sqlite>, f: &AuditFilter) {
    qb.push(" WHERE 1 = 1");
    if let Some(from) = f.from {
        qb.push(" AND at >= ").push_bind(time::to_text(from));
    }
    if let Some(until) = f.until {
        qb.push(" AND at < ").push_bind(time::to_text(until));
    }
    if let Some(actor) = f.actor.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        qb.push(" AND actor_name LIKE ").push_bind(format!("%{}%", escape_like(actor))).push(" ESCAPE '\\'");
    }
    if let Some(action) = f.action {
        qb.push(" AND action = ").push_bind(action.code());
    }
    if let Some(outcome) = f.outcome {
        qb.push(" AND outcome = ").push_bind(outcome.code());
    }
    if let Some(object) = f.object.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let like = format!("%{}%", escape_like(object));
        qb.push(" AND (object_type || ':' || object_id) LIKE ").push_bind(like).push(" ESCAPE '\\'");
    }
    if let Some(ip) = f.ip.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        qb.push(" AND ip LIKE ").push_bind(format!("{}%", escape_like(ip))).push(" ESCAPE '\\'");
    }
}

impl AuditStore for Tx {
    async fn append_audit(&mut self, e: &NewAuditEntry) -> Result<StoredAuditRecord> {
        let last: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(self.conn())
            .await?;
        let (prev_seq, prev_hash) = last.unwrap_or((0, GENESIS_HASH.to_owned()));
        let record = AuditRecord {
            seq: prev_seq + 1,
            at: e.at,
            actor_id: e.actor_id,
            actor_name: e.actor_name.clone(),
            org_id: e.org_id,
            ip: e.ip.clone(),
            action: e.action.code().to_owned(),
            object_type: e.object_type.clone(),
            object_id: e.object_id.clone(),
            outcome: e.outcome.code().to_owned(),
            request_id: e.request_id.clone(),
            detail: e.detail.clone(),
        };
        let hash = record.chain_hash(&prev_hash);
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor_id, actor_name, org_id, ip, action, object_type, \
             object_id, outcome, request_id, detail, prev_hash, hash) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )
        .bind(record.seq)
        .bind(time::to_text(record.at))
        .bind(record.actor_id)
        .bind(&record.actor_name)
        .bind(record.org_id)
        .bind(&record.ip)
        .bind(&record.action)
        .bind(&record.object_type)
        .bind(&record.object_id)
        .bind(&record.outcome)
        .bind(&record.request_id)
        .bind(&record.detail)
        .bind(&prev_hash)
        .bind(&hash)
        .execute(self.conn())
        .await?;
        Ok(StoredAuditRecord { record, prev_hash, hash })
    }

    async fn list_audit(&mut self, f: &AuditFilter) -> Result<Vec<StoredAuditRecord>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT {AUDIT_COLUMNS} FROM audit_log"));
        push_filter(&mut qb, f);
        qb.push(" ORDER BY seq DESC");
        if f.limit > 0 {
            qb.push(" LIMIT ").push_bind(i64::from(f.limit)).push(" OFFSET ").push_bind(i64::from(f.offset));
        }
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(record_from_row).collect()
    }

    async fn count_audit(&mut self, f: &AuditFilter) -> Result<u64> {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM audit_log");
        push_filter(&mut qb, f);
        let n: i64 = qb.build_query_scalar().fetch_one(self.conn()).await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn audit_after(&mut self, after: i64, limit: u32) -> Result<Vec<StoredAuditRecord>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq > "));
        qb.push_bind(after).push(" ORDER BY seq LIMIT ").push_bind(i64::from(limit));
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(record_from_row).collect()
    }
}
