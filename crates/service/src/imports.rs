//! Import history, the rejected-rows reports, the import templates, and the review list of applicant
//! names not yet linked to an organisation.

use ipbridge_domain::Permission;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::ids::{ImportId, OrgId};
use ipbridge_domain::org::normalise_name;
use ipbridge_store::{ApplicantStore, AuditStore, ImportRecord, ImportStore, OrgStore, UnmatchedApplicant};
use serde_json::json;

use crate::{Actor, App, FieldErrors, Result, ServiceError};

/// A page of import runs.
#[derive(Debug, Clone)]
pub struct ImportPage {
    /// Newest first.
    pub imports: Vec<ImportRecord>,
    /// Total.
    pub total: u64,
}

/// A page of unmatched applicant names.
#[derive(Debug, Clone)]
pub struct UnmatchedPage {
    /// Most frequent first.
    pub names: Vec<UnmatchedApplicant>,
    /// Total distinct names.
    pub total: u64,
}

impl App {
    /// Whose imports the actor sees: all (the bureau, the command line) or their organisation's.
    fn import_visibility(&self, actor: &Actor) -> Result<Option<OrgId>> {
        if actor.authorise(Permission::ImportAnyPatents).is_ok() {
            return Ok(None);
        }
        Ok(Some(actor.require(Permission::ImportOwnPatents)?.org_id))
    }

    /// Import history, newest first (per organisation for institution administrators).
    pub async fn list_imports(&self, actor: &Actor, limit: u32, offset: u32) -> Result<ImportPage> {
        let org = self.import_visibility(actor)?;
        let mut tx = self.db.read().await?;
        let imports = tx.list_imports(org, limit, offset).await?;
        let total = tx.count_imports(org).await?;
        Ok(ImportPage { imports, total })
    }

    /// One import run (another organisation's is reported as not found).
    pub async fn import_run(&self, actor: &Actor, id: ImportId) -> Result<ImportRecord> {
        let org = self.import_visibility(actor)?;
        let run = self.db.read().await?.import(id).await?.ok_or(ServiceError::NotFound)?;
        match org {
            Some(o) if run.org_id != Some(o) => Err(ServiceError::NotFound),
            _ => Ok(run),
        }
    }

    /// The rejected-rows workbook of an import (audited: it holds the rows as uploaded).
    pub async fn import_report(&self, actor: &Actor, id: ImportId) -> Result<(String, Vec<u8>)> {
        let run = self.import_run(actor, id).await?;
        let report = self.db.read().await?.import_report(id).await?.ok_or(ServiceError::NotFound)?;
        self.record(actor.audit(Action::ImportReportDownload, "import", id, Outcome::Success, json!({}))).await?;
        let stem = run.file_name.rsplit_once('.').map(|(s, _)| s.to_owned()).unwrap_or(run.file_name);
        Ok((format!("{stem}-错误报告.xlsx"), report))
    }

    /// Applicant names no organisation is linked to, for the bureau's review.
    pub async fn unmatched_applicants(&self, actor: &Actor, limit: u32, offset: u32) -> Result<UnmatchedPage> {
        actor.authorise(Permission::ReviewApplicants)?;
        let mut tx = self.db.read().await?;
        let names = tx.unmatched_applicants(limit, offset).await?;
        let total = tx.count_unmatched_applicants().await?;
        Ok(UnmatchedPage { names, total })
    }

    /// Links an applicant name to an organisation once: the alias is remembered for later imports and
    /// every stored patent with that applicant is linked now. Returns how many patents changed owner.
    pub async fn link_applicant(&self, actor: &Actor, name: &str, org: OrgId) -> Result<u64> {
        actor.authorise(Permission::ReviewApplicants)?;
        let name = name.trim();
        if name.is_empty() {
            let mut e = FieldErrors::new();
            e.add("name", "申请人名称不能为空");
            return Err(ServiceError::Invalid(e));
        }
        let norm = normalise_name(name);
        let mut tx = self.db.begin().await?;
        let target = tx.org(org).await?.ok_or_else(|| {
            let mut e = FieldErrors::new();
            e.add("org_id", "所选机构不存在");
            ServiceError::Invalid(e)
        })?;
        tx.upsert_alias(&norm, name, org, &actor.name(), self.now()).await?;
        let changed = tx.link_applicant(&norm, org).await?;
        tx.append_audit(&actor.audit(
            Action::ApplicantLink,
            "applicant",
            &norm,
            Outcome::Success,
            json!({"name": name, "org_id": org, "org_name": target.name, "patents": changed}),
        ))
        .await?;
        tx.commit().await?;
        // The linked organisation may place the applicant's patents in a county.
        self.request_indicator_refresh("applicant_link");
        Ok(changed)
    }
}
