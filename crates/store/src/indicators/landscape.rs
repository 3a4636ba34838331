//! What the chain pages read beyond the aggregates: the mapping counts (how each IPC prefix and keyword placed
//! the city's patents in a chain, precomputed by the refresh), the transferable-pool patents of a chain, and
//! which of a few patents are the city's (for the demand gaps).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::{Result, Tx, time};

/// How many of the city's patents one prefix or keyword placed in a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingCount {
    /// The chain.
    pub chain_code: String,
    /// `ipc` or `keyword`.
    pub by_kind: String,
    /// The prefix or keyword.
    pub matched: String,
    /// The city's patents it placed there.
    pub patents: i64,
    /// Of which valid invention patents.
    pub valid_invention: i64,
}

/// A transferable-pool patent of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainPoolPatent {
    /// The patent (its pool page is `/pool/{patent_id}`).
    pub patent_id: i64,
    /// 申请号.
    pub application_no: String,
    /// 专利名称.
    pub title: String,
    /// The institution.
    pub org_name: String,
    /// Transfer intent code, when given.
    pub transfer_intent: Option<String>,
    /// Technology readiness level, when given.
    pub trl: Option<i64>,
    /// Whether the mapping (IPC prefix or keyword) placed it in the chain; otherwise the institution filed it
    /// under the chain.
    pub mapped: bool,
    /// Entered the pool.
    pub pooled_at: Option<DateTime<Utc>>,
}

/// The chain pages' reads.
pub trait LandscapeStore {
    /// Per chain, prefix and keyword: how many of the city's patents it placed in the chain (one chain, or
    /// every chain when `chain` is `None`).
    async fn chain_mapping_counts(&mut self, chain: Option<&str>) -> Result<Vec<MappingCount>>;
    /// The transferable-pool patents of a chain (mapped to it, or filed under it by their institution),
    /// latest pooled first, at most `limit`, with how many there are in all.
    async fn chain_pool_patents(&mut self, chain: &str, limit: i64) -> Result<(Vec<ChainPoolPatent>, i64)>;
    /// Which of these patents count for the city.
    async fn in_city_among(&mut self, patents: &[i64]) -> Result<HashSet<i64>>;
}

impl LandscapeStore for Tx {
    async fn chain_mapping_counts(&mut self, chain: Option<&str>) -> Result<Vec<MappingCount>> {
        // Precomputed by the refresh (dimension `mapping` of each chain's scope, key `<by_kind>:<matched>`), so
        // the chain pages do not group a million links on every visit.
        let rows = sqlx::query(
            "SELECT scope, key, patents, valid_invention FROM indicator_cells \
             WHERE dimension = 'mapping' AND (?1 IS NULL OR scope = 'chain:' || ?1) \
             ORDER BY scope, patents DESC, key",
        )
        .bind(chain)
        .fetch_all(self.conn())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let scope: String = r.try_get("scope")?;
            let key: String = r.try_get("key")?;
            let (Some(chain_code), Some((by_kind, matched))) = (scope.strip_prefix("chain:"), key.split_once(':'))
            else {
                continue;
            };
            out.push(MappingCount {
                chain_code: chain_code.to_owned(),
                by_kind: by_kind.to_owned(),
                matched: matched.to_owned(),
                patents: r.try_get("patents")?,
                valid_invention: r.try_get("valid_invention")?,
            });
        }
        Ok(out)
    }

    async fn chain_pool_patents(&mut self, chain: &str, limit: i64) -> Result<(Vec<ChainPoolPatent>, i64)> {
        // The public pool's conditions (crates/store/src/revitalisation/pool.rs): in force, not passed on by
        // an effective assignment or equity contribution — so every listed patent opens on /pool.
        const FROM: &str = "FROM inventory_records r \
             JOIN patents p ON p.id = r.patent_id JOIN orgs o ON o.id = r.org_id \
             LEFT JOIN patent_chain_links l ON l.patent_id = r.patent_id AND l.chain_code = ?1 \
             WHERE r.state = 'transferable_pool' AND (l.patent_id IS NOT NULL OR r.chain_code = ?1) \
             AND p.in_force = 1 \
             AND NOT EXISTS (SELECT 1 FROM deal_patents dp JOIN deals d ON d.id = dp.deal_id \
                 WHERE dp.patent_id = p.id AND d.status = 'effective' \
                 AND d.kind IN ('assignment', 'equity_contribution'))";
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) {FROM}")))
            .bind(chain)
            .fetch_one(self.conn())
            .await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT r.patent_id, p.application_no, p.title, o.name AS org_name, r.transfer_intent, r.trl, \
             l.patent_id IS NOT NULL AS mapped, r.pooled_at {FROM} \
             ORDER BY r.pooled_at IS NULL, r.pooled_at DESC, r.patent_id LIMIT ?2"
        )))
        .bind(chain)
        .bind(limit.max(1))
        .fetch_all(self.conn())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(ChainPoolPatent {
                patent_id: r.try_get("patent_id")?,
                application_no: r.try_get("application_no")?,
                title: r.try_get("title")?,
                org_name: r.try_get("org_name")?,
                transfer_intent: r.try_get("transfer_intent")?,
                trl: r.try_get("trl")?,
                mapped: r.try_get("mapped")?,
                pooled_at: time::opt_from_text(r.try_get("pooled_at")?)?,
            });
        }
        Ok((out, total))
    }

    async fn in_city_among(&mut self, patents: &[i64]) -> Result<HashSet<i64>> {
        let mut out = HashSet::new();
        for chunk in patents.chunks(500) {
            let mut qb =
                QueryBuilder::<Sqlite>::new("SELECT patent_id FROM patent_facts WHERE in_city = 1 AND patent_id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(")");
            for row in qb.build().fetch_all(self.conn()).await? {
                out.insert(row.try_get("patent_id")?);
            }
        }
        Ok(out)
    }
}
