//! Enterprise technology profiles: the business scope and key chains an enterprise declares, and the inputs
//! the search engine builds each enterprise's profile from (with its live demands and its patents), so the
//! bureau can push a patent to the enterprises most likely to want it.

use ipbridge_domain::Permission;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::ids::{OrgId, PatentId};
use ipbridge_domain::org::OrgKind;
use ipbridge_store::{AuditStore, ChainStore, EnterpriseProfile, EnterpriseProfileInput, OrgStore, ProfileStore};
use serde_json::json;

use crate::chains::split_list;
use crate::{Actor, App, FieldErrors, Origin, Result, ServiceError};

/// Longest business scope, in characters (a business licence's 经营范围 rarely exceeds a thousand).
pub const BUSINESS_SCOPE_MAX_CHARS: usize = 2000;

/// The profile form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileForm {
    /// 经营范围.
    pub business_scope: String,
    /// Chain codes (or names), as picked; "" entries are ignored.
    pub chain_codes: Vec<String>,
}

impl App {
    /// An enterprise's profile fields (the bureau and those who see all organisations, or the enterprise's
    /// own members; another organisation's is reported as not found).
    pub async fn enterprise_profile(&self, actor: &Actor, org: OrgId) -> Result<EnterpriseProfile> {
        if actor.authorise(Permission::ViewAllOrgs).is_err() && actor.user()?.org_id != org {
            return Err(ServiceError::NotFound);
        }
        let mut tx = self.db.read().await?;
        tx.enterprise_profile(org).await?.ok_or(ServiceError::NotFound)
    }

    /// Replaces an enterprise's business scope and chains (its own members with [`Permission::ManageOwnOrg`],
    /// or the bureau with [`Permission::ManageOrgs`]); audited with the values before and after.
    pub async fn update_enterprise_profile(&self, actor: &Actor, org: OrgId, form: &ProfileForm) -> Result<()> {
        if actor.authorise(Permission::ManageOrgs).is_err() {
            let user = actor.require(Permission::ManageOwnOrg)?;
            if user.org_id != org {
                return Err(ServiceError::Forbidden);
            }
        }
        let mut errors = FieldErrors::new();
        let business_scope = form.business_scope.trim().to_owned();
        if business_scope.chars().count() > BUSINESS_SCOPE_MAX_CHARS {
            errors.add("business_scope", format!("经营范围不能超过{BUSINESS_SCOPE_MAX_CHARS}个字符"));
        }
        let mut tx = self.db.begin().await?;
        let target = tx.org(org).await?.ok_or(ServiceError::NotFound)?;
        if target.kind != OrgKind::Enterprise {
            errors.add("business_scope", "只有企业需要维护技术画像");
        }
        let chains = tx.chains().await?;
        let before = tx.enterprise_profile(org).await?.unwrap_or_default();
        let mut chain_codes: Vec<String> = Vec::new();
        let mut unknown: Vec<String> = Vec::new();
        for text in form.chain_codes.iter().flat_map(|c| split_list(c)) {
            let found = chains.iter().find(|c| c.code == text || c.name == text);
            match found {
                // A chain deactivated since it was chosen may stay; new choices must be active.
                Some(c) if c.active || before.chain_codes.contains(&c.code) => {
                    if !chain_codes.contains(&c.code) {
                        chain_codes.push(c.code.clone());
                    }
                }
                _ => unknown.push(text),
            }
        }
        if !unknown.is_empty() {
            errors.add("chain_codes", format!("以下产业链不存在或已停用：{}", unknown.join("、")));
        }
        errors.into_result()?;
        let after = EnterpriseProfile { business_scope, chain_codes };
        if after == before {
            return Ok(());
        }
        tx.set_enterprise_profile(org, &after, self.now()).await?;
        tx.append_audit(&actor.audit(
            Action::ProfileUpdate,
            "org",
            org,
            Outcome::Success,
            json!({"before": {"business_scope": before.business_scope, "chain_codes": before.chain_codes},
                   "after": {"business_scope": after.business_scope, "chain_codes": after.chain_codes}}),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The profile inputs of every active enterprise, for building the search engine's enterprise profiles
    /// (the command line, the platform itself, and the bureau's matchmakers).
    pub async fn enterprise_profile_inputs(&self, actor: &Actor) -> Result<Vec<EnterpriseProfileInput>> {
        authorise_profiles(actor)?;
        Ok(self.db.read().await?.enterprise_profile_inputs().await?)
    }

    /// (enterprise, patent) for every patent an active enterprise owns or applied for, same audience.
    pub async fn enterprise_patent_pairs(&self, actor: &Actor) -> Result<Vec<(OrgId, PatentId)>> {
        authorise_profiles(actor)?;
        Ok(self.db.read().await?.enterprise_patent_pairs().await?)
    }
}

fn authorise_profiles(actor: &Actor) -> Result<()> {
    if actor.origin == Origin::System {
        return Ok(());
    }
    actor.authorise(Permission::ManageMatches).map(|_| ())
}
