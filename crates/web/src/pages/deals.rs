//! Deal pages (转化交易): the list with filters, totals and export; a deal; the form to record or edit one
//! (pre-filled from a follow-up project); cancelling with a reason.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use ipbridge_domain::Permission;
use ipbridge_domain::ids::{DealId, FollowUpProjectId, OrgId};
use ipbridge_domain::revitalisation::{DealKind, DealPartyRole, DealStatus, FilingStatus, LicenseScope};
use ipbridge_service::revitalisation::deals::{
    Deal, DealFilter, DealForm, DealView, PARTY_ROWS, PartyForm, percent_text,
};
use ipbridge_service::revitalisation::roadshows::FollowUpProject;
use ipbridge_service::{FieldErrors, ServiceError};
use serde::Deserialize;

use super::admin::Pager;
use super::demands::budget_text;
use super::{Chrome, redirect_with_flash, render, render_with};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::{WebError, WebResult};

/// Deals per list page.
const PER_PAGE: u32 = 20;

fn deal_path(id: impl std::fmt::Display) -> String {
    format!("/deals/{id}")
}

/// An amount as people read it (30万元, 8,500元); zero as a dash. The coverage page's converted list uses it
/// too, so both pages write a deal's amount alike.
pub(crate) fn amount_text(m: ipbridge_domain::Money) -> String {
    if m == ipbridge_domain::Money::ZERO { "—".to_owned() } else { budget_text(Some(m), Some(m)) }
}

/// The list's query string.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct DealQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    holder: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: Option<u32>,
}

impl DealQuery {
    fn filter(&self) -> DealFilter {
        let date = |s: &str| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
        DealFilter {
            kind: self.kind.parse().ok(),
            status: self.status.parse().ok(),
            holder_org: self.holder.trim().parse::<i64>().ok().map(OrgId::new),
            signed_from: date(&self.from),
            signed_to: date(&self.to),
            limit: PER_PAGE,
            offset: self.page.unwrap_or(1).max(1).saturating_sub(1).saturating_mul(PER_PAGE),
            ..DealFilter::default()
        }
    }

    fn query_string(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("kind", self.kind.as_str()),
            ("status", self.status.as_str()),
            ("holder", self.holder.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

struct DealRow {
    id: DealId,
    kind: String,
    holder: String,
    counterparties: String,
    patents: String,
    amount: String,
    signed_on: String,
    filing: &'static str,
    status: DealStatus,
}

fn row(d: &Deal) -> DealRow {
    let f = &d.fields;
    let kind = match f.license_scope {
        Some(s) => format!("{}（{}）", f.kind.label(), s.label()),
        None => f.kind.label().to_owned(),
    };
    DealRow {
        id: d.id,
        kind,
        holder: d.holder_name.clone(),
        counterparties: f
            .parties
            .iter()
            .filter(|p| p.role == DealPartyRole::Counterparty)
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join("、"),
        patents: match d.patents.as_slice() {
            [one] => one.title.clone(),
            [first, rest @ ..] => format!("{} 等{}件", first.title, rest.len() + 1),
            [] => String::new(),
        },
        amount: amount_text(f.amount),
        signed_on: f.signed_on.to_string(),
        filing: f.filing_status.label(),
        status: d.status,
    }
}

#[derive(Template)]
#[template(path = "deals.html")]
struct DealsPage {
    chrome: Chrome,
    q: DealQuery,
    kinds: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    holders: Vec<(i64, String)>,
    rows: Vec<DealRow>,
    pager: Pager,
    total_amount: String,
    export_href: String,
    can_record: bool,
}

/// Deals the actor may see (the bureau all, an institution its own, an enterprise those it is a party to).
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<DealQuery>) -> WebResult {
    let page = state.app.list_deals(&ctx.actor, &q.filter()).await?;
    let holders = state.app.deal_holder_filter_choices(&ctx.actor).await?;
    let qs = q.query_string();
    let current = q.page.unwrap_or(1).max(1);
    Ok(render(&DealsPage {
        chrome: Chrome::new(&state, &ctx, "转化交易", "deals"),
        kinds: DealKind::ALL.iter().map(|k| (k.code(), k.label())).collect(),
        statuses: DealStatus::ALL.iter().map(|s| (s.code(), s.label())).collect(),
        holders: holders.into_iter().map(|(id, name)| (id.get(), name)).collect(),
        rows: page.deals.iter().map(row).collect(),
        pager: Pager::per(current, page.total, PER_PAGE, |p| format!("/deals?{qs}&page={p}")),
        total_amount: amount_text(page.amount),
        export_href: format!("/deals/export?{qs}"),
        can_record: ctx.can(Permission::RecordDeals),
        q,
    }))
}

/// The list as the actor sees it, with its filters, as xlsx.
pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(q): Query<DealQuery>) -> WebResult {
    let bytes = state.app.export_deals(&ctx.actor, &q.filter()).await?;
    Ok(super::xlsx_download(&super::export_name(&state, "转化交易"), bytes))
}

struct PartyRow {
    role: &'static str,
    name: String,
    credit_code: String,
}

#[derive(Template)]
#[template(path = "deal.html")]
struct DealPage {
    chrome: Chrome,
    d: Deal,
    parties: Vec<PartyRow>,
    amount: String,
    royalty: String,
    projects: Vec<FollowUpProject>,
    may_edit: bool,
    errors: FieldErrors,
}

async fn deal_page(state: &AppState, ctx: &Ctx, id: DealId, errors: FieldErrors) -> WebResult {
    let DealView { deal: d, may_edit, projects } = state.app.deal(&ctx.actor, id).await?;
    let kind = d.fields.kind;
    let parties = d
        .fields
        .parties
        .iter()
        .map(|p| PartyRow {
            role: p.role.label_for(kind),
            name: p.name.clone(),
            credit_code: p.credit_code.as_ref().map(|c| c.as_str().to_owned()).unwrap_or_default(),
        })
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render_with(
        status,
        &DealPage {
            chrome: Chrome::new(state, ctx, &format!("转化交易 #{id}"), "deals"),
            amount: amount_text(d.fields.amount),
            royalty: d.fields.royalty_bp.map(|bp| format!("{}%", percent_text(bp))).unwrap_or_default(),
            parties,
            projects,
            may_edit,
            errors,
            d,
        },
    ))
}

/// One deal.
pub async fn detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    deal_page(&state, &ctx, DealId::new(id), FieldErrors::new()).await
}

/// A cancellation as posted.
#[derive(Debug, Default, Deserialize)]
pub struct CancelInput {
    #[serde(default)]
    reason: String,
}

/// Cancels a deal with a reason; its patents return to the scope.
pub async fn cancel(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<CancelInput>,
) -> WebResult {
    let id = DealId::new(id);
    match state.app.cancel_deal(&ctx.actor, id, &f.reason).await {
        Ok(()) => Ok(redirect_with_flash(&deal_path(id), "success", "交易已撤销，其专利重新计入盘点范围。")),
        Err(ServiceError::Invalid(errors)) => deal_page(&state, &ctx, id, errors).await,
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------------------
// The form

/// The deal form as posted (party rows as `party_role_N`, `party_org_N`, `party_name_N`, `party_code_N`).
fn deal_form_from(pairs: &[(String, String)]) -> DealForm {
    let mut f = DealForm { parties: vec![PartyForm::default(); PARTY_ROWS], ..DealForm::default() };
    for (k, v) in pairs {
        match k.as_str() {
            "project_id" => f.project_id = v.trim().parse::<i64>().ok().map(FollowUpProjectId::new),
            "kind" => f.kind = v.clone(),
            "holder_org_id" => f.holder_org_id = v.trim().parse::<i64>().ok().map(OrgId::new),
            "patents" => f.patents = v.clone(),
            "amount" => f.amount = v.clone(),
            "royalty" => f.royalty = v.clone(),
            "signed_on" => f.signed_on = v.clone(),
            "effective_from" => f.effective_from = v.clone(),
            "effective_to" => f.effective_to = v.clone(),
            "contract_no" => f.contract_no = v.clone(),
            "license_scope" => f.license_scope = v.clone(),
            "filing_status" => f.filing_status = v.clone(),
            "filed_on" => f.filed_on = v.clone(),
            "filing_no" => f.filing_no = v.clone(),
            "note" => f.note = v.clone(),
            other => {
                let Some((what, n)) = other.rsplit_once('_') else { continue };
                let Some(p) = n.parse::<usize>().ok().and_then(|i| f.parties.get_mut(i)) else { continue };
                match what {
                    "party_role" => p.role = v.clone(),
                    "party_org" => p.org_id = v.trim().parse::<i64>().ok().map(OrgId::new),
                    "party_name" => p.name = v.clone(),
                    "party_code" => p.credit_code = v.clone(),
                    _ => {}
                }
            }
        }
    }
    f
}

struct PartyInput {
    index: usize,
    role: String,
    org_id: i64,
    name: String,
    credit_code: String,
}

#[derive(Template)]
#[template(path = "deal_form.html")]
struct DealFormPage {
    chrome: Chrome,
    heading: String,
    action: String,
    form: DealForm,
    project_id: String,
    holder: i64,
    holders: Vec<(i64, String)>,
    enterprises: Vec<(i64, String)>,
    parties: Vec<PartyInput>,
    kinds: Vec<(&'static str, &'static str)>,
    scopes: Vec<(&'static str, &'static str)>,
    filings: Vec<(&'static str, &'static str)>,
    roles: Vec<(&'static str, &'static str)>,
    errors: FieldErrors,
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    edit: Option<DealId>,
    form: DealForm,
    errors: FieldErrors,
) -> WebResult {
    let holders = state.app.deal_holder_choices(&ctx.actor).await?;
    let enterprises = state.app.deal_party_choices(&ctx.actor).await?;
    let (heading, action) = match edit {
        Some(id) => (format!("修改转化交易 #{id}"), deal_path(id)),
        None => ("登记转化交易".to_owned(), "/deals".to_owned()),
    };
    let mut rows = form.parties.clone();
    while rows.len() < PARTY_ROWS {
        rows.push(PartyForm::default());
    }
    let parties = rows
        .into_iter()
        .enumerate()
        .map(|(index, p)| PartyInput {
            index,
            role: if p.role.is_empty() && index == 0 { DealPartyRole::Counterparty.code().to_owned() } else { p.role },
            org_id: p.org_id.map_or(0, OrgId::get),
            name: p.name,
            credit_code: p.credit_code,
        })
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render_with(
        status,
        &DealFormPage {
            chrome: Chrome::new(state, ctx, &heading, "deals"),
            heading,
            action,
            project_id: form.project_id.map(|p| p.to_string()).unwrap_or_default(),
            // One choice (an institution admin's own organisation) is preselected.
            holder: form
                .holder_org_id
                .or(match holders.as_slice() {
                    [(only, _)] => Some(*only),
                    _ => None,
                })
                .map_or(0, OrgId::get),
            holders: holders.into_iter().map(|(id, n)| (id.get(), n)).collect(),
            enterprises: enterprises.into_iter().map(|(id, n)| (id.get(), n)).collect(),
            parties,
            kinds: DealKind::ALL.iter().map(|k| (k.code(), k.label())).collect(),
            scopes: LicenseScope::ALL.iter().map(|k| (k.code(), k.label())).collect(),
            filings: FilingStatus::ALL.iter().map(|k| (k.code(), k.label())).collect(),
            roles: DealPartyRole::ALL.iter().map(|k| (k.code(), k.label())).collect(),
            form,
            errors,
        },
    ))
}

/// Which project a new deal ends.
#[derive(Debug, Default, Deserialize)]
pub struct NewDealQuery {
    #[serde(default)]
    project: Option<i64>,
}

/// The form for a new deal, pre-filled from a follow-up project when one is named.
pub async fn new_form(State(state): State<AppState>, ctx: Ctx, Query(q): Query<NewDealQuery>) -> WebResult {
    let form = match q.project {
        Some(p) => state.app.deal_form_for_project(&ctx.actor, FollowUpProjectId::new(p)).await?,
        None => DealForm {
            filing_status: FilingStatus::Pending.code().to_owned(),
            parties: vec![PartyForm::default(); PARTY_ROWS],
            ..DealForm::default()
        },
    };
    form_page(&state, &ctx, None, form, FieldErrors::new()).await
}

/// Records a deal.
pub async fn create(State(state): State<AppState>, ctx: Ctx, Form(pairs): Form<Vec<(String, String)>>) -> WebResult {
    let form = deal_form_from(&pairs);
    match state.app.create_deal(&ctx.actor, &form).await {
        Ok(id) => Ok(redirect_with_flash(&deal_path(id), "success", "转化交易已登记，涉及的专利计为已转化。")),
        Err(ServiceError::Invalid(errors)) => form_page(&state, &ctx, None, form, errors).await,
        Err(e) => Err(e.into()),
    }
}

/// The edit form of an effective deal.
pub async fn edit_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let id = DealId::new(id);
    let view = state.app.deal(&ctx.actor, id).await?;
    if view.deal.status == DealStatus::Cancelled {
        return Err(WebError::invalid("交易已撤销，不能修改"));
    }
    if !view.may_edit {
        return Err(ServiceError::NotFound.into());
    }
    form_page(&state, &ctx, Some(id), DealForm::from_deal(&view.deal), FieldErrors::new()).await
}

/// Saves an edit.
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let id = DealId::new(id);
    let form = deal_form_from(&pairs);
    match state.app.update_deal(&ctx.actor, id, &form).await {
        Ok(()) => Ok(redirect_with_flash(&deal_path(id), "success", "转化交易已保存。")),
        Err(ServiceError::Invalid(errors)) => form_page(&state, &ctx, Some(id), form, errors).await,
        Err(e) => Err(e.into()),
    }
}
