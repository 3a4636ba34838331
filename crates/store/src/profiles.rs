//! Enterprise technology profiles: what an enterprise says it does (business scope, key chains), and the
//! inputs the search engine builds each enterprise's profile from (those, its live demands, its patents).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ipbridge_domain::demand::DemandStatus;
use ipbridge_domain::ids::{DemandId, OrgId, PatentId};
use sqlx::Row;

use crate::demands::ipc_list;
use crate::{Result, StoreError, Tx, time};

/// The profile fields an enterprise (or the bureau) maintains.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnterpriseProfile {
    /// 经营范围, as on the business licence or in the enterprise's words.
    pub business_scope: String,
    /// Codes of the key industry chains it belongs to.
    pub chain_codes: Vec<String>,
}

/// One live demand of an enterprise, as its profile uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileDemand {
    /// The demand.
    pub id: DemandId,
    /// Submitted or published (drafts, returned and closed demands say nothing reliable).
    pub status: DemandStatus,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Its chain, when given.
    pub chain_code: Option<String>,
    /// Its IPC symbols, canonical text.
    pub ipc_codes: Vec<String>,
}

/// Everything the search engine needs about one active enterprise to build its technology profile. Its
/// patents come separately ([`ProfileStore::enterprise_patent_pairs`]), since the index already holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterpriseProfileInput {
    /// The enterprise.
    pub org_id: OrgId,
    /// Its name.
    pub name: String,
    /// Its county code.
    pub county_code: Option<String>,
    /// 经营范围.
    pub business_scope: String,
    /// Chains it declared.
    pub chain_codes: Vec<String>,
    /// Its submitted and published demands, oldest first.
    pub demands: Vec<ProfileDemand>,
}

/// Enterprise profile area.
pub trait ProfileStore {
    /// The profile fields of an organisation (`None` when it does not exist).
    async fn enterprise_profile(&mut self, org: OrgId) -> Result<Option<EnterpriseProfile>>;
    /// Replaces the profile fields of an organisation.
    async fn set_enterprise_profile(
        &mut self,
        org: OrgId,
        profile: &EnterpriseProfile,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// The profile inputs of every active enterprise, by id.
    async fn enterprise_profile_inputs(&mut self) -> Result<Vec<EnterpriseProfileInput>>;
    /// (enterprise, patent) for every patent an active enterprise owns or is an applicant of, by enterprise.
    async fn enterprise_patent_pairs(&mut self) -> Result<Vec<(OrgId, PatentId)>>;
}

fn chain_list(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("orgs.chain_codes: {e}")))
}

impl ProfileStore for Tx {
    async fn enterprise_profile(&mut self, org: OrgId) -> Result<Option<EnterpriseProfile>> {
        let row = sqlx::query("SELECT business_scope, chain_codes FROM orgs WHERE id = ?1")
            .bind(org.get())
            .fetch_optional(self.conn())
            .await?;
        row.map(|r| {
            Ok(EnterpriseProfile {
                business_scope: r.try_get("business_scope")?,
                chain_codes: chain_list(&r.try_get::<String, _>("chain_codes")?)?,
            })
        })
        .transpose()
    }

    async fn set_enterprise_profile(&mut self, org: OrgId, p: &EnterpriseProfile, now: DateTime<Utc>) -> Result<()> {
        let done = sqlx::query("UPDATE orgs SET business_scope = ?1, chain_codes = ?2, updated_at = ?3 WHERE id = ?4")
            .bind(&p.business_scope)
            .bind(serde_json::Value::from(p.chain_codes.clone()).to_string())
            .bind(time::to_text(now))
            .bind(org.get())
            .execute(self.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn enterprise_profile_inputs(&mut self) -> Result<Vec<EnterpriseProfileInput>> {
        let orgs = sqlx::query(
            "SELECT id, name, county_code, business_scope, chain_codes FROM orgs \
             WHERE kind = 'enterprise' AND active = 1 ORDER BY id",
        )
        .fetch_all(self.conn())
        .await?;
        let mut by_id: BTreeMap<i64, EnterpriseProfileInput> = BTreeMap::new();
        for r in &orgs {
            let id: i64 = r.try_get("id")?;
            by_id.insert(
                id,
                EnterpriseProfileInput {
                    org_id: OrgId::new(id),
                    name: r.try_get("name")?,
                    county_code: r.try_get("county_code")?,
                    business_scope: r.try_get("business_scope")?,
                    chain_codes: chain_list(&r.try_get::<String, _>("chain_codes")?)?,
                    demands: Vec::new(),
                },
            );
        }
        let demands = sqlx::query(
            "SELECT d.id, d.org_id, d.status, d.title, d.description, d.chain_code, d.ipc_codes FROM demands d \
             JOIN orgs o ON o.id = d.org_id WHERE o.kind = 'enterprise' AND o.active = 1 \
             AND d.status IN ('submitted', 'published') ORDER BY d.id",
        )
        .fetch_all(self.conn())
        .await?;
        for r in &demands {
            let org: i64 = r.try_get("org_id")?;
            let status: String = r.try_get("status")?;
            let demand = ProfileDemand {
                id: DemandId::new(r.try_get("id")?),
                status: status.parse().map_err(|e| StoreError::Corrupt(format!("demands.status: {e}")))?,
                title: r.try_get("title")?,
                description: r.try_get("description")?,
                chain_code: r.try_get("chain_code")?,
                ipc_codes: ipc_list(&r.try_get::<String, _>("ipc_codes")?, "demands")?
                    .into_iter()
                    .map(|c| c.as_str().to_owned())
                    .collect(),
            };
            if let Some(input) = by_id.get_mut(&org) {
                input.demands.push(demand);
            }
        }
        Ok(by_id.into_values().collect())
    }

    async fn enterprise_patent_pairs(&mut self) -> Result<Vec<(OrgId, PatentId)>> {
        // Owner and every linked applicant: a co-applicant enterprise works in the patent's field too.
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT org_id, patent_id FROM ( \
               SELECT owner_org_id AS org_id, id AS patent_id FROM patents WHERE owner_org_id IS NOT NULL \
               UNION SELECT org_id, patent_id FROM patent_applicants WHERE org_id IS NOT NULL) pairs \
             WHERE org_id IN (SELECT id FROM orgs WHERE kind = 'enterprise' AND active = 1) \
             ORDER BY org_id, patent_id",
        )
        .fetch_all(self.conn())
        .await?;
        Ok(rows.into_iter().map(|(o, p)| (OrgId::new(o), PatentId::new(p))).collect())
    }
}
