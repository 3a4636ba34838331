//! Organisations imported from a spreadsheet, with the same accounting as patents: every row inserted,
//! updated, unchanged or rejected with its reason.

use ipbridge_domain::Permission;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::org::{Org, OrgFields, OrgKind, normalise_name};
use ipbridge_ingest::{Format, OrgColumns, OrgRow, RawRow, map_org_row, read_table};
use ipbridge_store::{
    ApplicantStore, AuditStore, ImportCounts, ImportKind, ImportRecord, ImportStore, OrgFilter, OrgStore,
};
use serde_json::json;

use crate::patents::ProgressFn;
use crate::{Actor, App, Result, ServiceError};

impl App {
    /// Resolves a county written as a code or a name against the policy file.
    fn resolve_county(&self, text: &str) -> Option<String> {
        let t = text.trim();
        self.policy
            .counties
            .iter()
            .find(|c| c.code == t || c.name == t || normalise_name(&c.name) == normalise_name(t))
            .map(|c| c.code.clone())
    }

    /// Imports organisations (the bureau). Rows are matched by credit code, else by normalised name.
    pub async fn import_orgs(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: Vec<u8>,
        format: Option<Format>,
        progress: &ProgressFn,
    ) -> Result<ImportRecord> {
        actor.authorise(Permission::ImportAnyPatents)?;
        let org = actor.user.as_ref().map(|u| u.org_id);
        let id = self.start_import(actor, ImportKind::Orgs, org, file_name, &bytes).await?;
        let result = self.import_org_rows(actor, id, file_name, bytes, format, progress).await;
        if let Err(e) = &result {
            self.abandon_import(actor, id, e).await;
        }
        result
    }

    /// Reads and writes the rows of an organisation import run.
    async fn import_org_rows(
        &self,
        actor: &Actor,
        id: ipbridge_domain::ids::ImportId,
        file_name: &str,
        bytes: Vec<u8>,
        format: Option<Format>,
        progress: &ProgressFn,
    ) -> Result<ImportRecord> {
        let name = file_name.to_owned();
        let table = tokio::task::spawn_blocking(move || read_table(&name, &bytes, format))
            .await
            .map_err(|e| ServiceError::Internal(format!("read task: {e}")))?;
        let table = match table {
            Ok(t) => t,
            Err(e) => return self.fail_import(actor, id, e.to_string()).await,
        };
        let columns = match OrgColumns::from_headers(&table.headers) {
            Ok(c) => c,
            Err(e) => return self.fail_import(actor, id, e.to_string()).await,
        };
        let mut counts = ImportCounts { total: table.rows.len() as u64, ..ImportCounts::default() };
        let mut rejected: Vec<(RawRow, String)> = Vec::new();
        for chunk in table.rows.chunks(500) {
            let mut tx = self.db.begin().await?;
            for row in chunk {
                let parsed = map_org_row(&columns, &table.headers, row);
                let org = match parsed {
                    Ok(o) => o,
                    Err(errors) => {
                        rejected.push((row.clone(), ipbridge_ingest::format_reason(&errors)));
                        continue;
                    }
                };
                match self.org_fields_from_row(&org) {
                    Ok(fields) => {
                        let existing = find_existing(&mut tx, &fields).await?;
                        // What a spreadsheet cannot say stays as the bureau set it: the department link and
                        // whether the organisation is active.
                        let mut fields = fields;
                        if let Some(o) = &existing {
                            fields.department_code = o.department_code.clone();
                            fields.active = o.active;
                        }
                        match existing {
                            None => {
                                let new_id = tx.insert_org(&fields, self.now()).await?;
                                tx.link_applicant(&normalise_name(&fields.name), new_id).await?;
                                tx.append_audit(&actor.audit(
                                    Action::OrgCreate,
                                    "org",
                                    new_id,
                                    Outcome::Success,
                                    json!({"name": fields.name, "kind": fields.kind.code(), "import_id": id}),
                                ))
                                .await?;
                                counts.inserted += 1;
                            }
                            Some(o) if same(&o, &fields) => counts.unchanged += 1,
                            Some(o) if o.kind != fields.kind && tx.count_members(o.id).await? > 0 => {
                                rejected.push((
                                    row.clone(),
                                    format!(
                                        "【类型】“{}”已有账号，不能从{}改为{}",
                                        o.name,
                                        o.kind.label(),
                                        fields.kind.label()
                                    ),
                                ));
                            }
                            Some(o) => {
                                tx.update_org(o.id, &fields, self.now()).await?;
                                tx.append_audit(&actor.audit(
                                    Action::OrgUpdate,
                                    "org",
                                    o.id,
                                    Outcome::Success,
                                    json!({"before": o, "after": {"name": fields.name, "kind": fields.kind.code()}, "import_id": id}),
                                ))
                                .await?;
                                counts.updated += 1;
                            }
                        }
                    }
                    Err(reason) => rejected.push((row.clone(), reason)),
                }
            }
            counts.rejected = rejected.len() as u64;
            counts.read = counts.inserted + counts.updated + counts.unchanged + counts.rejected;
            tx.set_import_counts(id, &counts).await?;
            tx.commit().await?;
            progress(&counts);
        }
        let report = if rejected.is_empty() {
            None
        } else {
            Some(
                ipbridge_ingest::rejected_rows_xlsx(&table.headers, &rejected)
                    .map_err(|e| ServiceError::Internal(e.to_string()))?,
            )
        };
        self.complete_import(actor, id, &counts, report.as_deref()).await
    }

    /// The organisation fields of an imported row, or the reason the row is refused.
    fn org_fields_from_row(&self, o: &OrgRow) -> std::result::Result<OrgFields, String> {
        let county_code = match o.county.trim() {
            "" if o.kind.requires_county() => return Err("【所在县区】企业和县区须填写所在县（市、区）".to_owned()),
            "" => None,
            text => match self.resolve_county(text) {
                Some(code) => Some(code),
                None => {
                    let known: Vec<&str> = self.policy.counties.iter().map(|c| c.name.as_str()).collect();
                    return Err(format!("【所在县区】“{text}”不是本市的县（市、区），应为：{}", known.join("、")));
                }
            },
        };
        if o.kind == OrgKind::Bureau {
            return Err("【类型】市场监管局机构不能通过导入创建".to_owned());
        }
        Ok(OrgFields {
            kind: o.kind,
            institution_kind: o.institution_kind,
            name: o.name.trim().to_owned(),
            credit_code: o.credit_code.clone(),
            county_code,
            department_code: None,
            contact_name: o.contact_name.trim().to_owned(),
            address: o.address.trim().to_owned(),
            active: true,
        })
    }
}

/// The stored organisation a row refers to: by credit code first, then by name.
async fn find_existing(tx: &mut ipbridge_store::Tx, f: &OrgFields) -> Result<Option<Org>> {
    if let Some(code) = &f.credit_code {
        let hit = tx.list_orgs(&OrgFilter { text: Some(code.as_str().to_owned()), ..OrgFilter::default() }).await?;
        if let Some(o) = hit.into_iter().find(|o| o.credit_code.as_ref() == Some(code)) {
            return Ok(Some(o));
        }
    }
    let norm = normalise_name(&f.name);
    let hit = tx.list_orgs(&OrgFilter { text: Some(f.name.clone()), ..OrgFilter::default() }).await?;
    Ok(hit.into_iter().find(|o| normalise_name(&o.name) == norm))
}

fn same(o: &Org, f: &OrgFields) -> bool {
    o.kind == f.kind
        && o.institution_kind == f.institution_kind
        && normalise_name(&o.name) == normalise_name(&f.name)
        && o.credit_code == f.credit_code
        && o.county_code == f.county_code
        && o.contact_name == f.contact_name
        && o.address == f.address
}
