//! Organisations: the bureau's register, and each member's own organisation page.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use ipbridge_domain::Permission;
use ipbridge_domain::org::{Faculty, FacultyId, InstitutionKind, Org, OrgId, OrgKind};
use ipbridge_domain::policy::{County, Department};
use ipbridge_service::OrgFilter;
use ipbridge_service::orgs::OrgForm;
use ipbridge_service::profiles::ProfileForm;
use ipbridge_service::{FieldErrors, ServiceError};
use serde::Deserialize;

use super::admin::{PAGE_SIZE, Pager};
use super::{Chrome, redirect_with_flash, render, render_with};
use crate::ctx::Ctx;
use crate::error::WebResult;
use crate::{AppState, paths};

/// `?q=&kind=&county=&page=`
#[derive(Debug, Default, Deserialize)]
pub struct OrgQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    county: String,
    #[serde(default)]
    page: Option<u32>,
}

struct OrgRow {
    id: OrgId,
    name: String,
    kind: String,
    credit_code: String,
    county: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "orgs.html")]
struct OrgsPage {
    chrome: Chrome,
    q: String,
    kind: String,
    county: String,
    kinds: Vec<(&'static str, &'static str)>,
    counties: Vec<County>,
    rows: Vec<OrgRow>,
    pager: Pager,
    can_manage: bool,
    export_href: String,
}

fn county_name(state: &AppState, code: Option<&str>) -> String {
    code.and_then(|c| state.app.policy.county(c)).map(|c| c.name.clone()).unwrap_or_default()
}

fn kind_label(o: &Org) -> String {
    match o.institution_kind {
        Some(k) => format!("{}（{}）", o.kind.label(), k.label()),
        None => o.kind.label().to_owned(),
    }
}

impl OrgQuery {
    fn filter(&self) -> OrgFilter {
        OrgFilter {
            kind: self.kind.parse::<OrgKind>().ok(),
            text: Some(self.q.clone()),
            county_code: Some(self.county.clone()).filter(|c| !c.is_empty()),
            only: None,
            limit: PAGE_SIZE,
            offset: 0,
        }
    }
}

/// The organisation list as xlsx, with the list's filters.
pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(q): Query<OrgQuery>) -> WebResult {
    let bytes = state.app.export_orgs(&ctx.actor, &q.filter()).await?;
    Ok(super::xlsx_download(&super::export_name(&state, "机构"), bytes))
}

/// The organisation register (the bureau sees all; others see their own).
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<OrgQuery>) -> WebResult {
    let mut page = q.page.unwrap_or(1);
    let mut filter = q.filter();
    filter.offset = Pager::offset(page);
    let mut result = state.app.list_orgs(&ctx.actor, &filter).await?;
    if let Some(shown) = Pager::correction(page, result.total) {
        page = shown;
        filter.offset = Pager::offset(page);
        result = state.app.list_orgs(&ctx.actor, &filter).await?;
    }
    let link = format!(
        "{}?q={}&kind={}&county={}",
        paths::ORGS,
        crate::guard::urlencode(&q.q),
        crate::guard::urlencode(&q.kind),
        crate::guard::urlencode(&q.county)
    );
    let rows = result
        .orgs
        .iter()
        .map(|o| OrgRow {
            id: o.id,
            name: o.name.clone(),
            kind: kind_label(o),
            credit_code: o.credit_code.as_ref().map(|c| c.to_string()).unwrap_or_default(),
            county: county_name(&state, o.county_code.as_deref()),
            active: o.active,
        })
        .collect();
    Ok(render(&OrgsPage {
        chrome: Chrome::new(&state, &ctx, "机构", "orgs"),
        kinds: OrgKind::ALL.iter().map(|k| (k.code(), k.label())).collect(),
        counties: state.app.policy.counties.clone(),
        rows,
        pager: Pager::new(page, result.total, |p| format!("{link}&page={p}")),
        q: q.q,
        kind: q.kind,
        county: q.county,
        can_manage: ctx.can(Permission::ManageOrgs),
        export_href: link.replacen(paths::ORGS, "/orgs/export", 1),
    }))
}

/// The organisation form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct OrgFormInput {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    institution_kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    credit_code: String,
    #[serde(default)]
    county_code: String,
    #[serde(default)]
    department_code: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    active: Option<String>,
}

impl OrgFormInput {
    fn into_form(self) -> OrgForm {
        OrgForm {
            kind: self.kind,
            institution_kind: self.institution_kind,
            name: self.name,
            credit_code: self.credit_code,
            county_code: self.county_code,
            department_code: self.department_code,
            contact_name: self.contact_name,
            address: self.address,
            active: self.active.is_some(),
        }
    }
}

#[derive(Template)]
#[template(path = "org_form.html")]
struct OrgFormPage {
    chrome: Chrome,
    heading: String,
    action: String,
    form: OrgForm,
    kinds: Vec<(&'static str, &'static str)>,
    institution_kinds: Vec<(&'static str, &'static str)>,
    counties: Vec<County>,
    departments: Vec<Department>,
    errors: FieldErrors,
}

fn form_page(
    state: &AppState,
    ctx: &Ctx,
    heading: String,
    action: String,
    form: OrgForm,
    errors: FieldErrors,
) -> axum::response::Response {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_with(
        status,
        &OrgFormPage {
            chrome: Chrome::new(state, ctx, &heading, "orgs"),
            heading,
            action,
            form,
            kinds: OrgKind::ALL.iter().map(|k| (k.code(), k.label())).collect(),
            institution_kinds: InstitutionKind::ALL.iter().map(|k| (k.code(), k.label())).collect(),
            counties: state.app.policy.counties.clone(),
            departments: state.app.policy.departments.clone(),
            errors,
        },
    )
}

fn conflict_errors(c: ipbridge_service::Conflict) -> FieldErrors {
    let mut e = FieldErrors::new();
    let field = match c {
        ipbridge_service::Conflict::OrgCreditCode => "credit_code",
        _ => "name",
    };
    e.add(field, c.to_string());
    e
}

/// The new organisation form.
pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let form = OrgForm { active: true, ..OrgForm::default() };
    Ok(form_page(&state, &ctx, "新建机构".into(), paths::ORGS.into(), form, FieldErrors::new()))
}

/// Creates an organisation.
pub async fn create(State(state): State<AppState>, ctx: Ctx, Form(input): Form<OrgFormInput>) -> WebResult {
    let form = input.into_form();
    match state.app.create_org(&ctx.actor, &form).await {
        Ok(id) => Ok(redirect_with_flash(&paths::org(id), "success", "机构已创建。")),
        Err(ServiceError::Invalid(errors)) => {
            Ok(form_page(&state, &ctx, "新建机构".into(), paths::ORGS.into(), form, errors))
        }
        Err(ServiceError::Conflict(c)) => {
            Ok(form_page(&state, &ctx, "新建机构".into(), paths::ORGS.into(), form, conflict_errors(c)))
        }
        Err(e) => Err(e.into()),
    }
}

/// An enterprise's technology profile as its page shows it (the matcher ranks enterprises for a patent by it).
struct ProfileView {
    business_scope: String,
    /// (code, name, chosen)
    chains: Vec<(String, String, bool)>,
    /// Names of the chosen chains.
    chosen: String,
    can_edit: bool,
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgPage {
    chrome: Chrome,
    org: Org,
    kind: String,
    county: String,
    department: String,
    faculties: Vec<Faculty>,
    can_edit: bool,
    can_manage_own: bool,
    profile: Option<ProfileView>,
    errors: FieldErrors,
}

/// The profile of an enterprise the actor may see; `form` keeps what was typed when saving failed.
async fn profile_view(
    state: &AppState,
    ctx: &Ctx,
    org: &Org,
    can_edit: bool,
    form: Option<&ProfileForm>,
) -> WebResult<Option<ProfileView>> {
    if org.kind != OrgKind::Enterprise {
        return Ok(None);
    }
    let stored = match state.app.enterprise_profile(&ctx.actor, org.id).await {
        Ok(p) => p,
        Err(ServiceError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let (scope, codes) = match form {
        Some(f) => (f.business_scope.clone(), f.chain_codes.clone()),
        None => (stored.business_scope, stored.chain_codes),
    };
    // Active chains are offered; a deactivated one stays listed while the enterprise still names it.
    let chains: Vec<(String, String, bool)> = state
        .app
        .chains()
        .await?
        .into_iter()
        .filter(|c| c.active || codes.contains(&c.code))
        .map(|c| {
            let chosen = codes.contains(&c.code);
            (c.code, c.name, chosen)
        })
        .collect();
    let chosen = chains.iter().filter(|(_, _, on)| *on).map(|(_, n, _)| n.as_str()).collect::<Vec<_>>().join("、");
    Ok(Some(ProfileView { business_scope: scope, chains, chosen, can_edit }))
}

async fn org_page(state: &AppState, ctx: &Ctx, id: OrgId, errors: FieldErrors) -> WebResult {
    org_page_with(state, ctx, id, errors, None).await
}

async fn org_page_with(
    state: &AppState,
    ctx: &Ctx,
    id: OrgId,
    errors: FieldErrors,
    profile_form: Option<&ProfileForm>,
) -> WebResult {
    let (org, faculties) = state.app.org(&ctx.actor, id).await?;
    let own = ctx.user().is_some_and(|s| s.user.org_id == id);
    let can_edit = ctx.can(Permission::ManageOrgs);
    let profile =
        profile_view(state, ctx, &org, can_edit || (own && ctx.can(Permission::ManageOwnOrg)), profile_form).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render_with(
        status,
        &OrgPage {
            chrome: Chrome::new(state, ctx, &org.name, "orgs"),
            kind: kind_label(&org),
            county: county_name(state, org.county_code.as_deref()),
            department: org
                .department_code
                .as_deref()
                .and_then(|c| state.app.policy.department(c))
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            can_manage_own: can_edit || (own && ctx.can(Permission::ManageOwnOrg)),
            can_edit,
            org,
            faculties,
            profile,
            errors,
        },
    ))
}

/// One organisation (own organisation only, unless the actor sees all).
pub async fn detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    org_page(&state, &ctx, OrgId::new(id), FieldErrors::new()).await
}

/// The edit form (bureau).
pub async fn edit_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let (org, _) = state.app.org(&ctx.actor, OrgId::new(id)).await?;
    Ok(form_page(
        &state,
        &ctx,
        format!("编辑机构：{}", org.name),
        paths::org(id),
        OrgForm::from_org(&org),
        FieldErrors::new(),
    ))
}

/// Saves an organisation (bureau).
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(input): Form<OrgFormInput>,
) -> WebResult {
    let form = input.into_form();
    let heading = format!("编辑机构：{}", form.name);
    match state.app.update_org(&ctx.actor, OrgId::new(id), &form).await {
        Ok(()) => Ok(redirect_with_flash(&paths::org(id), "success", "机构信息已保存。")),
        Err(ServiceError::Invalid(errors)) => Ok(form_page(&state, &ctx, heading, paths::org(id), form, errors)),
        Err(ServiceError::Conflict(c)) => {
            Ok(form_page(&state, &ctx, heading, paths::org(id), form, conflict_errors(c)))
        }
        Err(e) => Err(e.into()),
    }
}

/// Contact details as posted by a member.
#[derive(Debug, Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    address: String,
}

/// Saves one's own organisation's contact person and address.
pub async fn update_contact(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ContactForm>,
) -> WebResult {
    state.app.update_own_org_contact(&ctx.actor, OrgId::new(id), &f.contact_name, &f.address).await?;
    Ok(redirect_with_flash(&paths::org(id), "success", "联系信息已保存。"))
}

/// A faculty name as posted.
#[derive(Debug, Deserialize)]
pub struct FacultyForm {
    #[serde(default)]
    name: String,
}

/// After a faculty change: back to the organisation with a message, or its page with the form's error.
async fn after_faculty_change<T>(
    state: &AppState,
    ctx: &Ctx,
    org: OrgId,
    result: Result<T, ServiceError>,
    done: &str,
) -> WebResult {
    match result {
        Ok(_) => Ok(redirect_with_flash(&paths::org(org), "success", done)),
        Err(ServiceError::Invalid(errors)) => org_page(state, ctx, org, errors).await,
        Err(ServiceError::Conflict(c)) => {
            let mut e = FieldErrors::new();
            e.add("name", c.to_string());
            org_page(state, ctx, org, e).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Adds a faculty.
pub async fn add_faculty(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<FacultyForm>,
) -> WebResult {
    let org = OrgId::new(id);
    let result = state.app.add_faculty(&ctx.actor, org, &f.name).await;
    after_faculty_change(&state, &ctx, org, result, "院系已添加。").await
}

/// Renames a faculty.
pub async fn rename_faculty(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, faculty)): Path<(i64, i64)>,
    Form(f): Form<FacultyForm>,
) -> WebResult {
    let org = OrgId::new(id);
    let result = state.app.rename_faculty(&ctx.actor, org, FacultyId::new(faculty), &f.name).await;
    after_faculty_change(&state, &ctx, org, result, "院系名称已修改。").await
}

/// Saves an enterprise's business scope and chains (its own members, or the bureau). The chains come as
/// repeated `chain` fields (checkboxes), so the body is read as pairs.
pub async fn update_profile(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> WebResult {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|_| crate::error::WebError::invalid("请求格式不正确，请刷新页面后重试"))?;
    let form = ProfileForm {
        business_scope: pairs.iter().find(|(k, _)| k == "business_scope").map(|(_, v)| v.clone()).unwrap_or_default(),
        chain_codes: pairs.iter().filter(|(k, _)| k == "chain").map(|(_, v)| v.clone()).collect(),
    };
    let org = OrgId::new(id);
    match state.app.update_enterprise_profile(&ctx.actor, org, &form).await {
        Ok(()) => Ok(redirect_with_flash(&paths::org(id), "success", "技术画像已保存，平台将据此为贵企业匹配专利。")),
        Err(ServiceError::Invalid(errors)) => org_page_with(&state, &ctx, org, errors, Some(&form)).await,
        Err(e) => Err(e.into()),
    }
}
