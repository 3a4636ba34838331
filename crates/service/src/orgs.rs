//! Organisations and faculties. The bureau creates and edits any organisation; members see their own
//! organisation and maintain its contact details and (institutions) its faculties.

use ipbridge_domain::CreditCode;
use ipbridge_domain::Permission;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::org::{Faculty, FacultyId, InstitutionKind, Org, OrgFields, OrgId, OrgKind, normalise_name};
use ipbridge_store::{ApplicantStore, AuditStore, OrgFilter, OrgStore};
use serde_json::json;

use crate::{Actor, App, FieldErrors, Result, ServiceError};

/// An organisation form as typed: every field a string, parsed by [`App::parse_org_form`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgForm {
    /// Kind code.
    pub kind: String,
    /// Institution sub-kind code.
    pub institution_kind: String,
    /// Name.
    pub name: String,
    /// Credit code.
    pub credit_code: String,
    /// County code.
    pub county_code: String,
    /// Department code.
    pub department_code: String,
    /// Contact person.
    pub contact_name: String,
    /// Address.
    pub address: String,
    /// "on" when active.
    pub active: bool,
}

impl OrgForm {
    /// The form pre-filled from a stored organisation.
    pub fn from_org(o: &Org) -> Self {
        Self {
            kind: o.kind.code().to_owned(),
            institution_kind: o.institution_kind.map(|k| k.code().to_owned()).unwrap_or_default(),
            name: o.name.clone(),
            credit_code: o.credit_code.as_ref().map(|c| c.to_string()).unwrap_or_default(),
            county_code: o.county_code.clone().unwrap_or_default(),
            department_code: o.department_code.clone().unwrap_or_default(),
            contact_name: o.contact_name.clone(),
            address: o.address.clone(),
            active: o.active,
        }
    }
}

/// A page of organisations.
#[derive(Debug, Clone)]
pub struct OrgPage {
    /// The organisations.
    pub orgs: Vec<Org>,
    /// Total matching.
    pub total: u64,
}

impl App {
    /// Parses and checks an organisation form against the policy's counties and departments.
    pub fn parse_org_form(&self, f: &OrgForm) -> Result<OrgFields> {
        let mut errors = FieldErrors::new();
        let kind = f.kind.parse::<OrgKind>().ok();
        if kind.is_none() {
            errors.add("kind", "请选择机构类型");
        }
        let institution_kind = match kind {
            Some(OrgKind::Institution) => {
                let k = f.institution_kind.parse::<InstitutionKind>().ok();
                if k.is_none() {
                    errors.add("institution_kind", "高校院所须选择类别（高校、科研机构或医院）");
                }
                k
            }
            _ => None,
        };
        let name = f.name.trim();
        if name.is_empty() {
            errors.add("name", "请填写机构名称");
        } else if name.chars().count() > 100 {
            errors.add("name", "机构名称不能超过100个字符");
        }
        let credit_code = match f.credit_code.trim() {
            "" => {
                if kind.is_some_and(OrgKind::requires_credit_code) {
                    errors.add("credit_code", "企业须填写统一社会信用代码");
                }
                None
            }
            text => match CreditCode::parse(text) {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.add("credit_code", e.to_string());
                    None
                }
            },
        };
        let county_code = match f.county_code.trim() {
            "" => {
                if kind.is_some_and(OrgKind::requires_county) {
                    errors.add("county_code", "请选择所在县（市、区）");
                }
                None
            }
            code => {
                if self.policy.county(code).is_none() {
                    errors.add("county_code", format!("政策文件中没有代码为“{code}”的县（市、区）"));
                }
                Some(code.to_owned())
            }
        };
        let department_code = match (kind, f.department_code.trim()) {
            (Some(OrgKind::Department), "") => {
                errors.add("department_code", "市级部门须选择对应的责任部门");
                None
            }
            (Some(OrgKind::Department), code) => {
                if self.policy.department(code).is_none() {
                    errors.add("department_code", format!("政策文件中没有代码为“{code}”的部门"));
                }
                Some(code.to_owned())
            }
            _ => None,
        };
        errors.into_result()?;
        Ok(OrgFields {
            kind: kind.ok_or(ServiceError::NotFound)?,
            institution_kind,
            name: name.to_owned(),
            credit_code,
            county_code,
            department_code,
            contact_name: f.contact_name.trim().to_owned(),
            address: f.address.trim().to_owned(),
            active: f.active,
        })
    }

    /// Organisations the actor may see: all for the bureau and administrators, else one's own.
    pub async fn list_orgs(&self, actor: &Actor, filter: &OrgFilter) -> Result<OrgPage> {
        let mut filter = filter.clone();
        if actor.authorise(Permission::ViewAllOrgs).is_err() {
            filter.only = Some(actor.user()?.org_id);
        }
        let mut tx = self.db.read().await?;
        let orgs = tx.list_orgs(&filter).await?;
        let total = tx.count_orgs(&filter).await?;
        Ok(OrgPage { orgs, total })
    }

    /// Every active organisation, for pickers in administration forms.
    pub async fn org_choices(&self, actor: &Actor) -> Result<Vec<Org>> {
        if actor.authorise(Permission::ManageAccounts).is_err() {
            actor.authorise(Permission::ManageOrgs)?;
        }
        let mut tx = self.db.read().await?;
        Ok(tx.list_orgs(&OrgFilter::default()).await?.into_iter().filter(|o| o.active).collect())
    }

    /// One organisation with its faculties, if the actor may see it. Another organisation's record is
    /// reported as not found, so ids cannot be probed.
    pub async fn org(&self, actor: &Actor, id: OrgId) -> Result<(Org, Vec<Faculty>)> {
        if actor.authorise(Permission::ViewAllOrgs).is_err() && actor.user()?.org_id != id {
            return Err(ServiceError::NotFound);
        }
        let mut tx = self.db.read().await?;
        let org = tx.org(id).await?.ok_or(ServiceError::NotFound)?;
        let faculties = tx.faculties(id).await?;
        Ok((org, faculties))
    }

    /// Creates an organisation.
    pub async fn create_org(&self, actor: &Actor, form: &OrgForm) -> Result<OrgId> {
        actor.authorise(Permission::ManageOrgs)?;
        let fields = self.parse_org_form(form)?;
        let mut tx = self.db.begin().await?;
        let id = tx.insert_org(&fields, self.now()).await?;
        // Patents already imported under exactly this name now belong to the new organisation.
        let linked = tx.link_applicant(&normalise_name(&fields.name), id).await?;
        let mut detail = org_detail(&fields);
        detail["linked_patents"] = json!(linked);
        tx.append_audit(&actor.audit(Action::OrgCreate, "org", id, Outcome::Success, detail)).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Replaces an organisation's fields.
    pub async fn update_org(&self, actor: &Actor, id: OrgId, form: &OrgForm) -> Result<()> {
        actor.authorise(Permission::ManageOrgs)?;
        let fields = self.parse_org_form(form)?;
        let mut tx = self.db.begin().await?;
        let before = tx.org(id).await?.ok_or(ServiceError::NotFound)?;
        if before.kind != fields.kind {
            // Members' roles and faculties were granted for the old kind; a change would leave them wrong.
            let members = tx.count_members(id).await?;
            let faculties = tx.faculties(id).await?.len();
            if members > 0 || faculties > 0 {
                let mut e = FieldErrors::new();
                e.add("kind", format!("该机构已有{members}个账号、{faculties}个院系，不能更改机构类型"));
                return Err(ServiceError::Invalid(e));
            }
        }
        tx.update_org(id, &fields, self.now()).await?;
        tx.append_audit(&actor.audit(
            Action::OrgUpdate,
            "org",
            id,
            Outcome::Success,
            json!({"before": before, "after": org_detail(&fields)}),
        ))
        .await?;
        tx.commit().await?;
        // The organisation's county places its patents.
        self.request_indicator_refresh("org");
        Ok(())
    }

    /// The bureau's organisation name the policy implies, e.g. 安康市 + 市场监管局.
    pub fn bureau_org_name(&self) -> String {
        let p = &self.policy;
        let bureau = p.bureau().map(|b| b.name.as_str()).unwrap_or("市市场监督管理局");
        format!("{}{}", p.city.name, bureau.strip_prefix('市').unwrap_or(bureau))
    }

    /// The bureau organisation, created from the policy on a fresh installation so the first
    /// administrator has somewhere to belong (command line only).
    pub async fn ensure_bureau_org(&self, actor: &Actor) -> Result<OrgId> {
        if !actor.is_cli() {
            return Err(ServiceError::Forbidden);
        }
        let filter = OrgFilter { kind: Some(OrgKind::Bureau), limit: 1, ..OrgFilter::default() };
        let existing = self.db.read().await?.list_orgs(&filter).await?;
        if let Some(o) = existing.first() {
            return Ok(o.id);
        }
        let form = OrgForm {
            kind: OrgKind::Bureau.code().to_owned(),
            name: self.bureau_org_name(),
            active: true,
            ..OrgForm::default()
        };
        self.create_org(actor, &form).await
    }

    /// A member updates their own organisation's contact person and address.
    pub async fn update_own_org_contact(
        &self,
        actor: &Actor,
        id: OrgId,
        contact_name: &str,
        address: &str,
    ) -> Result<()> {
        self.check_own_org_manager(actor, id)?;
        let mut tx = self.db.begin().await?;
        let org = tx.org(id).await?.ok_or(ServiceError::NotFound)?;
        let mut fields = self.parse_org_form(&OrgForm::from_org(&org))?;
        fields.contact_name = contact_name.trim().to_owned();
        fields.address = address.trim().to_owned();
        tx.update_org(id, &fields, self.now()).await?;
        tx.append_audit(&actor.audit(
            Action::OrgUpdate,
            "org",
            id,
            Outcome::Success,
            json!({"contact_name": fields.contact_name, "address": fields.address}),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The bureau, or a manager of this very organisation.
    fn check_own_org_manager(&self, actor: &Actor, id: OrgId) -> Result<()> {
        if actor.authorise(Permission::ManageOrgs).is_ok() {
            return Ok(());
        }
        let user = actor.require(Permission::ManageOwnOrg)?;
        if user.org_id != id {
            return Err(ServiceError::Forbidden);
        }
        Ok(())
    }

    /// Adds a faculty to an institution (the bureau, or the institution's own administrator).
    pub async fn add_faculty(&self, actor: &Actor, org_id: OrgId, name: &str) -> Result<FacultyId> {
        self.check_own_org_manager(actor, org_id)?;
        let name = faculty_name(name)?;
        let mut tx = self.db.begin().await?;
        let org = tx.org(org_id).await?.ok_or(ServiceError::NotFound)?;
        if org.kind != OrgKind::Institution {
            let mut e = FieldErrors::new();
            e.add("name", "只有高校院所可以设立院系");
            return Err(ServiceError::Invalid(e));
        }
        let id = tx.insert_faculty(org_id, &name).await?;
        tx.append_audit(&actor.audit(
            Action::FacultyCreate,
            "faculty",
            id,
            Outcome::Success,
            json!({"org_id": org_id, "name": name}),
        ))
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Renames a faculty of `org_id` (the bureau, or the institution's own administrator).
    pub async fn rename_faculty(&self, actor: &Actor, org_id: OrgId, id: FacultyId, name: &str) -> Result<()> {
        self.check_own_org_manager(actor, org_id)?;
        let name = faculty_name(name)?;
        let mut tx = self.db.begin().await?;
        let faculty = tx.faculty(id).await?.filter(|f| f.org_id == org_id).ok_or(ServiceError::NotFound)?;
        tx.rename_faculty(id, &name).await?;
        tx.append_audit(&actor.audit(
            Action::FacultyUpdate,
            "faculty",
            id,
            Outcome::Success,
            json!({"before": faculty.name, "after": name}),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Faculties of an organisation, for pickers (administrators and the organisation's members).
    pub async fn faculty_choices(&self, actor: &Actor, org_id: OrgId) -> Result<Vec<Faculty>> {
        if actor.authorise(Permission::ManageAccounts).is_err() {
            self.org(actor, org_id).await?;
        }
        let mut tx = self.db.read().await?;
        Ok(tx.faculties(org_id).await?)
    }
}

fn faculty_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        let mut e = FieldErrors::new();
        e.add("name", "院系名称应为1至60个字符");
        return Err(ServiceError::Invalid(e));
    }
    Ok(name.to_owned())
}

fn org_detail(f: &OrgFields) -> serde_json::Value {
    json!({
        "kind": f.kind.code(),
        "institution_kind": f.institution_kind.map(|k| k.code()),
        "name": f.name,
        "credit_code": f.credit_code.as_ref().map(|c| c.as_str()),
        "county_code": f.county_code,
        "department_code": f.department_code,
        "contact_name": f.contact_name,
        "address": f.address,
        "active": f.active,
    })
}
