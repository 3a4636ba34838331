//! Links between applicant names and organisations, and the review list of names not yet linked.

use chrono::{DateTime, Utc};
use ipbridge_domain::ids::OrgId;
use sqlx::Row;

use crate::{Result, Tx, time};

/// An applicant name no organisation is linked to, with how many patents carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmatchedApplicant {
    /// The name as most recently written.
    pub name: String,
    /// The normalised name (the key).
    pub name_norm: String,
    /// Patents with this applicant.
    pub patents: u64,
}

/// Applicant-linking area.
pub trait ApplicantStore {
    /// Every remembered alias: normalised name → organisation.
    async fn aliases(&mut self) -> Result<Vec<(String, OrgId)>>;
    /// Remembers that this name means this organisation.
    async fn upsert_alias(
        &mut self,
        name_norm: &str,
        name: &str,
        org: OrgId,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Links every stored applicant with this normalised name to the organisation and recomputes the owners
    /// of the patents concerned; returns how many patents changed.
    async fn link_applicant(&mut self, name_norm: &str, org: OrgId) -> Result<u64>;
    /// Applicant names without an organisation, most frequent first.
    async fn unmatched_applicants(&mut self, limit: u32, offset: u32) -> Result<Vec<UnmatchedApplicant>>;
    /// How many distinct unmatched names there are.
    async fn count_unmatched_applicants(&mut self) -> Result<u64>;
}

impl ApplicantStore for Tx {
    async fn aliases(&mut self) -> Result<Vec<(String, OrgId)>> {
        let rows = sqlx::query("SELECT name_norm, org_id FROM applicant_aliases").fetch_all(self.conn()).await?;
        rows.iter().map(|r| Ok((r.try_get("name_norm")?, OrgId::new(r.try_get("org_id")?)))).collect()
    }

    async fn upsert_alias(
        &mut self,
        name_norm: &str,
        name: &str,
        org: OrgId,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO applicant_aliases (name_norm, name, org_id, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (name_norm) DO UPDATE SET org_id = excluded.org_id, name = excluded.name, \
             created_by = excluded.created_by, created_at = excluded.created_at",
        )
        .bind(name_norm)
        .bind(name)
        .bind(org.get())
        .bind(by)
        .bind(time::to_text(now))
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn link_applicant(&mut self, name_norm: &str, org: OrgId) -> Result<u64> {
        sqlx::query("UPDATE patent_applicants SET org_id = ?1 WHERE name_norm = ?2")
            .bind(org.get())
            .bind(name_norm)
            .execute(self.conn())
            .await?;
        let done = sqlx::query(
            "UPDATE patents SET owner_org_id = (SELECT a.org_id FROM patent_applicants a \
             WHERE a.patent_id = patents.id AND a.org_id IS NOT NULL ORDER BY a.position LIMIT 1) \
             WHERE id IN (SELECT patent_id FROM patent_applicants WHERE name_norm = ?1)",
        )
        .bind(name_norm)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected())
    }

    async fn unmatched_applicants(&mut self, limit: u32, offset: u32) -> Result<Vec<UnmatchedApplicant>> {
        let rows = sqlx::query(
            "SELECT max(name) AS name, name_norm, count(DISTINCT patent_id) AS patents FROM patent_applicants \
             WHERE org_id IS NULL GROUP BY name_norm ORDER BY patents DESC, name_norm LIMIT ?1 OFFSET ?2",
        )
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(UnmatchedApplicant {
                    name: r.try_get("name")?,
                    name_norm: r.try_get("name_norm")?,
                    patents: u64::try_from(r.try_get::<i64, _>("patents")?).unwrap_or(0),
                })
            })
            .collect()
    }

    async fn count_unmatched_applicants(&mut self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(DISTINCT name_norm) FROM patent_applicants WHERE org_id IS NULL")
            .fetch_one(self.conn())
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
