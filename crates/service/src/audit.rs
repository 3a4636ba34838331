//! Reading, exporting and verifying the audit trail. Only the audit administrator reads it.

use chrono::SecondsFormat;
use ipbridge_domain::Permission;
use ipbridge_domain::audit::{Action, ChainBreak, ChainVerifier, Outcome, StoredAuditRecord};
use ipbridge_ingest::{Cell, Table};
use ipbridge_store::{AuditFilter, AuditStore};
use serde_json::json;

use crate::auth::china_time;
use crate::{Actor, App, Result, ServiceError};

/// Most rows one export holds; a wider selection is refused with a message to narrow the filter.
pub const EXPORT_LIMIT: u32 = 100_000;

/// A page of audit records.
#[derive(Debug, Clone)]
pub struct AuditPage {
    /// Newest first.
    pub records: Vec<StoredAuditRecord>,
    /// Total matching.
    pub total: u64,
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records checked before the end or the break.
    pub checked: u64,
    /// The first break, if any.
    pub first_break: Option<ChainBreak>,
}

impl App {
    /// A filtered page of the audit log.
    pub async fn audit_page(&self, actor: &Actor, filter: &AuditFilter) -> Result<AuditPage> {
        actor.authorise(Permission::ReadAudit)?;
        let mut tx = self.db.read().await?;
        let records = tx.list_audit(filter).await?;
        let total = tx.count_audit(filter).await?;
        Ok(AuditPage { records, total })
    }

    /// The filtered audit log as an xlsx workbook; the export itself is audited.
    pub async fn audit_export(&self, actor: &Actor, filter: &AuditFilter) -> Result<Vec<u8>> {
        actor.authorise(Permission::ReadAudit)?;
        let mut filter = filter.clone();
        filter.limit = EXPORT_LIMIT;
        filter.offset = 0;
        let mut tx = self.db.read().await?;
        let total = tx.count_audit(&filter).await?;
        if total > u64::from(EXPORT_LIMIT) {
            let mut e = crate::FieldErrors::new();
            e.add(
                "from",
                format!("符合条件的记录有{total}条，超过单次导出上限{EXPORT_LIMIT}条，请缩小日期范围后分批导出"),
            );
            return Err(ServiceError::Invalid(e));
        }
        let records = tx.list_audit(&filter).await?;
        drop(tx);
        let mut t = Table::new(
            "审计日志",
            &[
                "序号",
                "时间",
                "操作人",
                "机构ID",
                "IP地址",
                "操作",
                "操作代码",
                "对象类型",
                "对象ID",
                "结果",
                "请求ID",
                "详情",
                "哈希",
            ],
        );
        for r in &records {
            let rec = &r.record;
            t.push(vec![
                Cell::from(rec.seq),
                Cell::from(china_time(rec.at).to_rfc3339_opts(SecondsFormat::Secs, false)),
                Cell::from(rec.actor_name.as_str()),
                Cell::from(rec.org_id),
                Cell::from(rec.ip.as_str()),
                Cell::from(Action::from_code(&rec.action).map(Action::label).unwrap_or(rec.action.as_str())),
                Cell::from(rec.action.as_str()),
                Cell::from(rec.object_type.as_str()),
                Cell::from(rec.object_id.as_str()),
                Cell::from(Outcome::from_code(&rec.outcome).map(Outcome::label).unwrap_or(rec.outcome.as_str())),
                Cell::from(rec.request_id.as_str()),
                Cell::from(rec.detail.as_str()),
                Cell::from(r.hash.as_str()),
            ]);
        }
        let bytes = t.to_xlsx().map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.record(actor.audit(
            Action::AuditExport,
            "audit_log",
            "",
            Outcome::Success,
            json!({"rows": records.len(), "filter": {
                "from": filter.from, "until": filter.until, "actor": filter.actor,
                "action": filter.action.map(|a| a.code()), "outcome": filter.outcome.map(|o| o.code()),
                "object": filter.object, "ip": filter.ip,
            }}),
        ))
        .await?;
        Ok(bytes)
    }

    /// Walks the whole chain in sequence order, in batches, and reports the first break.
    pub async fn verify_audit(&self) -> Result<VerifyReport> {
        verify_audit(&self.db).await
    }
}

/// Verifies the chain of a database opened without starting the application (nothing is written).
pub async fn verify_audit(db: &ipbridge_store::Db) -> Result<VerifyReport> {
    {
        let mut verifier = ChainVerifier::new();
        let mut after = 0;
        let mut tx = db.read().await?;
        loop {
            let batch = tx.audit_after(after, 5_000).await?;
            let Some(last) = batch.last() else { break };
            after = last.record.seq;
            for r in &batch {
                if let Err(b) = verifier.push(r) {
                    return Ok(VerifyReport { checked: verifier.checked(), first_break: Some(b) });
                }
            }
        }
        Ok(VerifyReport { checked: verifier.checked(), first_break: None })
    }
}
