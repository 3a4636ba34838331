//! Enterprise technology demands (技术需求): the list, a demand with its history and next steps, the form,
//! the import of demands collected offline, and the patents matched to a demand.

use askama::Template;
use axum::Form;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ipbridge_domain::Money;
use ipbridge_domain::Permission;
use ipbridge_domain::demand::{CooperationMode, Demand, DemandAction, DemandEvent, DemandStatus};
use ipbridge_domain::ids::{DemandId, OrgId, PatentId};
use ipbridge_domain::matching::MatchOrigin;
use ipbridge_domain::org::OrgKind;
use ipbridge_domain::patent::IpcCode;
use ipbridge_service::auth::china_time;
use ipbridge_service::demands::{DemandForm, DemandImportReport};
use ipbridge_service::matches::SaveMatch;
use ipbridge_service::search::{MatchResultView, MatchScope, NeedText, PatentMatchView};
use ipbridge_service::{DemandFilter, FieldErrors, ServiceError};
use serde::Deserialize;

use super::admin::Pager;
use super::search::{HitActions, open_records_of};
use super::{Chrome, redirect_with_flash, render, render_with};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::{WebError, WebResult};

/// Demands per list page.
const PER_PAGE: u32 = 20;
/// Patents shown for a demand.
const MATCHES_SHOWN: usize = 20;
/// Patents searched again when a match is saved: a little wider than the page, so an index update between
/// showing and saving does not push the chosen patent out.
const MATCHES_RECHECKED: usize = 100;

/// `/demands/{id}`
fn demand_path(id: impl std::fmt::Display) -> String {
    format!("/demands/{id}")
}

/// Whether the actor may post demands (an enterprise, an agency) or review them (the bureau).
fn may_post(ctx: &Ctx) -> bool {
    ctx.can(Permission::PostDemands) || ctx.can(Permission::ReviewDemands)
}

/// Whether the actor may import demands collected offline: the bureau and agencies (an enterprise posts its
/// own through the form).
fn may_import(ctx: &Ctx) -> bool {
    ctx.can(Permission::ReviewDemands)
        || (ctx.can(Permission::PostDemands) && ctx.user().is_some_and(|s| s.user.org_kind == OrgKind::Agency))
}

/// A budget range as people say it: "30万–80万元", "不少于30万元", "8,500元", "面议".
pub fn budget_text(min: Option<Money>, max: Option<Money>) -> String {
    fn amount(m: Money) -> String {
        const FEN_PER_YUAN: i64 = 100;
        const FEN_PER_WAN: i64 = 10_000 * FEN_PER_YUAN;
        // From ten thousand yuan on, whole hundreds read best in 万 (3.5万, 12.25万); anything else in yuan.
        if m.fen() >= FEN_PER_WAN && m.fen() % (100 * FEN_PER_YUAN) == 0 {
            let hundreds = m.fen() / (100 * FEN_PER_YUAN);
            let text = format!("{}.{:02}", hundreds / 100, hundreds % 100);
            format!("{}万", text.trim_end_matches('0').trim_end_matches('.'))
        } else {
            m.to_string().trim_end_matches('元').trim_end_matches(".00").to_owned()
        }
    }
    match (min, max) {
        (Some(a), Some(b)) if a == b => format!("{}元", amount(a)),
        (Some(a), Some(b)) => format!("{}–{}元", amount(a), amount(b)),
        (Some(a), None) => format!("不少于{}元", amount(a)),
        (None, Some(b)) => format!("不超过{}元", amount(b)),
        (None, None) => "面议".to_owned(),
    }
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    china_time(t).format("%Y-%m-%d %H:%M").to_string()
}

/// The list's query string.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct DemandQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    chain: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    q: String,
    /// "1": only the actor's own side's demands.
    #[serde(default)]
    mine: String,
    #[serde(default)]
    page: Option<u32>,
}

impl DemandQuery {
    fn filter(&self, ctx: &Ctx) -> DemandFilter {
        DemandFilter {
            status: self.status.parse().ok(),
            chain_code: Some(self.chain.trim().to_owned()).filter(|c| !c.is_empty()),
            mode: self.mode.parse().ok(),
            text: Some(self.q.trim().to_owned()).filter(|t| !t.is_empty()),
            own_side: if self.mine == "1" { ctx.user().map(|s| s.user.org_id) } else { None },
            limit: PER_PAGE,
            offset: self.page.unwrap_or(1).max(1).saturating_sub(1).saturating_mul(PER_PAGE),
            ..DemandFilter::default()
        }
    }

    fn query_string(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("status", self.status.as_str()),
            ("chain", self.chain.as_str()),
            ("mode", self.mode.as_str()),
            ("q", self.q.as_str()),
            ("mine", self.mine.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

struct DemandRow {
    id: DemandId,
    title: String,
    enterprise: String,
    chain: String,
    mode: &'static str,
    budget: String,
    deadline: String,
    status: DemandStatus,
    updated: String,
}

fn chain_name(chains: &[(String, String)], code: Option<&str>) -> String {
    code.map(|c| chains.iter().find(|(k, _)| k == c).map_or(c, |(_, n)| n.as_str()).to_owned()).unwrap_or_default()
}

fn row(chains: &[(String, String)], d: &Demand) -> DemandRow {
    DemandRow {
        id: d.id,
        title: d.fields.title.clone(),
        enterprise: d.enterprise_name.clone(),
        chain: chain_name(chains, d.fields.chain_code.as_deref()),
        mode: d.fields.cooperation_mode.label(),
        budget: budget_text(d.fields.budget_min, d.fields.budget_max),
        deadline: d.fields.deadline.map(|d| d.to_string()).unwrap_or_default(),
        status: d.status,
        updated: time(d.updated_at),
    }
}

/// Every chain by code and name (inactive ones too: old demands may name them).
async fn all_chains(state: &AppState) -> WebResult<Vec<(String, String)>> {
    Ok(state.app.chains().await?.into_iter().map(|c| (c.code, c.name)).collect())
}

#[derive(Template)]
#[template(path = "demands.html")]
struct DemandsPage {
    chrome: Chrome,
    q: DemandQuery,
    statuses: Vec<(&'static str, &'static str)>,
    modes: Vec<(&'static str, &'static str)>,
    chains: Vec<(String, String)>,
    rows: Vec<DemandRow>,
    pager: Pager,
    export_href: String,
    can_post: bool,
    can_import: bool,
    sees_all: bool,
}

/// The demand list: published ones for everyone, one's own side's in every status, all for the bureau.
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<DemandQuery>) -> WebResult {
    let mut filter = q.filter(&ctx);
    let mut result = state.app.list_demands(&ctx.actor, &filter).await?;
    let mut page = q.page.unwrap_or(1).max(1);
    let pages = u32::try_from(result.total.div_ceil(u64::from(PER_PAGE))).unwrap_or(u32::MAX).max(1);
    if page > pages {
        // Past the end (a filter narrowed the list): show the last page instead of an empty one.
        page = pages;
        filter.offset = (page - 1) * PER_PAGE;
        result = state.app.list_demands(&ctx.actor, &filter).await?;
    }
    let chains = all_chains(&state).await?;
    let qs = q.query_string();
    Ok(render(&DemandsPage {
        chrome: Chrome::new(&state, &ctx, "技术需求", "demands"),
        statuses: DemandStatus::ALL.iter().map(|s| (s.code(), s.label())).collect(),
        modes: CooperationMode::ALL.iter().map(|m| (m.code(), m.label())).collect(),
        rows: result.demands.iter().map(|d| row(&chains, d)).collect(),
        chains,
        pager: Pager::per(page, result.total, PER_PAGE, |p| format!("/demands?{qs}&page={p}")),
        export_href: format!("/demands/export?{qs}"),
        can_post: may_post(&ctx),
        can_import: may_import(&ctx),
        sees_all: ctx.can(Permission::ReviewDemands) || ctx.can(Permission::ViewAllMatches),
        q,
    }))
}

/// The list as the actor sees it, with its filters, as xlsx.
pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(q): Query<DemandQuery>) -> WebResult {
    let bytes = state.app.export_demands(&ctx.actor, &q.filter(&ctx)).await?;
    Ok(super::xlsx_download(&super::export_name(&state, "技术需求"), bytes))
}

struct EventRow {
    at: String,
    actor: String,
    what: String,
    note: String,
}

fn event_row(e: &DemandEvent) -> EventRow {
    let what = match (e.action, e.from) {
        (None, _) => format!("登记（{}）", e.to.label()),
        (Some(a), Some(from)) if from != e.to => format!("{}：{} → {}", a.label(), from.label(), e.to.label()),
        (Some(a), _) => a.label().to_owned(),
    };
    EventRow { at: time(e.at), actor: e.actor_name.clone(), what, note: e.note.clone() }
}

#[derive(Template)]
#[template(path = "demand.html")]
struct DemandPage {
    chrome: Chrome,
    d: Demand,
    chain: String,
    ipc: String,
    budget: String,
    events: Vec<EventRow>,
    can_edit: bool,
    can_submit: bool,
    can_publish: bool,
    can_return: bool,
    can_close: bool,
    can_match: bool,
    errors: FieldErrors,
}

async fn demand_page(state: &AppState, ctx: &Ctx, id: DemandId, errors: FieldErrors) -> WebResult {
    let view = state.app.demand(&ctx.actor, id).await?;
    let chains = all_chains(state).await?;
    let has = |a: DemandAction| view.actions.contains(&a);
    let d = view.demand;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render_with(
        status,
        &DemandPage {
            chrome: Chrome::new(state, ctx, &d.fields.title, "demands"),
            chain: chain_name(&chains, d.fields.chain_code.as_deref()),
            ipc: d.fields.ipc_codes.iter().map(IpcCode::as_str).collect::<Vec<_>>().join("；"),
            budget: budget_text(d.fields.budget_min, d.fields.budget_max),
            events: view.events.iter().map(event_row).collect(),
            can_edit: has(DemandAction::Edit) || has(DemandAction::EditContact),
            can_submit: has(DemandAction::Submit),
            can_publish: has(DemandAction::Publish),
            can_return: has(DemandAction::Return),
            can_close: has(DemandAction::Close),
            can_match: may_see_matches(ctx),
            errors,
            d,
        },
    ))
}

/// Who may look at the patents matched to a demand: those who take part in matchmaking.
fn may_see_matches(ctx: &Ctx) -> bool {
    [Permission::PostDemands, Permission::ReviewDemands, Permission::ViewAllMatches, Permission::HandleMatches]
        .into_iter()
        .any(|p| ctx.can(p))
}

/// One demand, with its history and the steps the actor may take.
pub async fn detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    demand_page(&state, &ctx, DemandId::new(id), FieldErrors::new()).await
}

/// A workflow step's outcome: back to the demand with a message, or its page with the reason it failed.
async fn after_step(
    state: &AppState,
    ctx: &Ctx,
    id: DemandId,
    result: Result<(), ServiceError>,
    done: &str,
) -> WebResult {
    match result {
        Ok(()) => Ok(redirect_with_flash(&demand_path(id), "success", done)),
        Err(ServiceError::Invalid(errors)) => demand_page(state, ctx, id, errors).await,
        Err(e) => Err(e.into()),
    }
}

/// A reason as posted (return, close).
#[derive(Debug, Default, Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

/// Sends a draft or returned demand for review.
pub async fn submit(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let id = DemandId::new(id);
    let result = state.app.submit_demand(&ctx.actor, id).await;
    after_step(&state, &ctx, id, result, "已提交审核，市场监管局审核通过后发布。").await
}

/// Publishes a submitted demand (the bureau).
pub async fn publish(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let id = DemandId::new(id);
    let result = state.app.publish_demand(&ctx.actor, id).await;
    after_step(&state, &ctx, id, result, "需求已发布，企业已收到通知。").await
}

/// Returns a submitted demand with a reason (the bureau).
pub async fn return_demand(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ReasonForm>,
) -> WebResult {
    let id = DemandId::new(id);
    let result = state.app.return_demand(&ctx.actor, id, &f.reason).await;
    after_step(&state, &ctx, id, result, "需求已退回，提出方已收到退回原因。").await
}

/// Closes a demand, with an optional reason.
pub async fn close(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<ReasonForm>,
) -> WebResult {
    let id = DemandId::new(id);
    let result = state.app.close_demand(&ctx.actor, id, &f.reason).await;
    after_step(&state, &ctx, id, result, "需求已关闭。").await
}

/// The demand form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct DemandInput {
    #[serde(default)]
    enterprise_org_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    chain_code: String,
    #[serde(default)]
    ipc_codes: String,
    #[serde(default)]
    cooperation_mode: String,
    #[serde(default)]
    budget_min: String,
    #[serde(default)]
    budget_max: String,
    #[serde(default)]
    deadline: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_phone: String,
    /// Present when 提交审核 was pressed rather than 保存草稿.
    #[serde(default)]
    submit: Option<String>,
}

impl DemandInput {
    fn into_form(self) -> (DemandForm, bool) {
        let form = DemandForm {
            enterprise_org_id: self.enterprise_org_id.trim().parse::<i64>().ok().map(OrgId::new),
            title: self.title,
            description: self.description,
            chain_code: self.chain_code,
            ipc_codes: self.ipc_codes,
            cooperation_mode: self.cooperation_mode,
            budget_min: self.budget_min,
            budget_max: self.budget_max,
            deadline: self.deadline,
            contact_name: self.contact_name,
            contact_phone: self.contact_phone,
        };
        (form, self.submit.is_some())
    }
}

#[derive(Template)]
#[template(path = "demand_form.html")]
struct DemandFormPage {
    chrome: Chrome,
    heading: String,
    action: String,
    form: DemandForm,
    /// For agencies and the bureau: the enterprises to post for; none for an enterprise (its own).
    enterprises: Option<Vec<(i64, String)>>,
    /// The enterprise's name when it cannot be changed (editing).
    enterprise_name: String,
    chains: Vec<(String, String)>,
    modes: Vec<(&'static str, &'static str)>,
    /// A new demand may be saved as a draft or submitted; an edit only saves.
    new: bool,
    errors: FieldErrors,
}

impl DemandFormPage {
    fn selected_enterprise(&self, id: &i64) -> bool {
        self.form.enterprise_org_id.is_some_and(|o| o.get() == *id)
    }
}

/// Which form a page shows: a new demand, or an edit of a stored one.
enum FormTarget {
    /// A new demand (the enterprise is the actor's own, or chosen by an agency or the bureau).
    New,
    /// An edit of the demand `id` of the enterprise named.
    Edit { id: i64, title: String, enterprise_name: String },
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    target: FormTarget,
    form: DemandForm,
    errors: FieldErrors,
) -> WebResult {
    let own_enterprise = ctx.user().filter(|s| s.user.org_kind == OrgKind::Enterprise).map(|s| s.user.org_name.clone());
    let (heading, action, enterprise_name, new) = match target {
        FormTarget::New => {
            ("发布技术需求".to_owned(), "/demands".to_owned(), own_enterprise.clone().unwrap_or_default(), true)
        }
        FormTarget::Edit { id, title, enterprise_name } => {
            (format!("修改技术需求：{title}"), demand_path(id), enterprise_name, false)
        }
    };
    // Agencies and the bureau choose the enterprise of a new demand; an enterprise posts its own.
    let enterprises = if new && own_enterprise.is_none() {
        let orgs = state.app.demand_enterprise_choices(&ctx.actor).await?;
        Some(orgs.into_iter().map(|o| (o.id.get(), o.name)).collect())
    } else {
        None
    };
    let mut chains = state.app.chain_choices(&ctx.actor).await?;
    // A demand may name a chain deactivated since; keep it choosable for that demand.
    if let Some(code) = Some(form.chain_code.trim()).filter(|c| !c.is_empty())
        && !chains.iter().any(|(c, _)| c == code)
        && let Some(name) = all_chains(state).await?.into_iter().find(|(c, _)| c == code).map(|(_, n)| n)
    {
        chains.push((code.to_owned(), name));
    }
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render_with(
        status,
        &DemandFormPage {
            chrome: Chrome::new(state, ctx, &heading, "demands"),
            heading,
            action,
            form,
            enterprises,
            enterprise_name,
            chains,
            modes: CooperationMode::ALL.iter().map(|m| (m.code(), m.label())).collect(),
            new,
            errors,
        },
    ))
}

/// The form for a new demand.
pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let form = DemandForm {
        contact_name: ctx.user().map(|s| s.user.display_name.clone()).unwrap_or_default(),
        ..DemandForm::default()
    };
    form_page(&state, &ctx, FormTarget::New, form, FieldErrors::new()).await
}

/// Saves a new demand as a draft, or submits it for review.
pub async fn create(State(state): State<AppState>, ctx: Ctx, Form(input): Form<DemandInput>) -> WebResult {
    let (form, submit) = input.into_form();
    match state.app.create_demand(&ctx.actor, &form, submit).await {
        Ok(id) => {
            let message = if submit {
                "技术需求已提交审核，市场监管局审核通过后发布。"
            } else {
                "技术需求已保存为草稿，确认无误后请提交审核。"
            };
            Ok(redirect_with_flash(&demand_path(id), "success", message))
        }
        Err(ServiceError::Invalid(errors)) => form_page(&state, &ctx, FormTarget::New, form, errors).await,
        Err(e) => Err(e.into()),
    }
}

/// The edit form (the demand's own side, or the bureau).
pub async fn edit_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let view = state.app.demand(&ctx.actor, DemandId::new(id)).await?;
    if !view.actions.iter().any(|a| matches!(a, DemandAction::Edit | DemandAction::EditContact)) {
        if view.demand.status == DemandStatus::Closed {
            return Err(WebError::invalid("需求已关闭，不能修改"));
        }
        return Err(ServiceError::Forbidden.into());
    }
    let form = DemandForm::from_demand(&view.demand);
    let d = view.demand;
    let target = FormTarget::Edit { id, title: d.fields.title, enterprise_name: d.enterprise_name };
    form_page(&state, &ctx, target, form, FieldErrors::new()).await
}

/// Saves an edit. Editing what others read of a published demand sends it back to review.
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(input): Form<DemandInput>,
) -> WebResult {
    let did = DemandId::new(id);
    let (form, _) = input.into_form();
    let before = state.app.demand(&ctx.actor, did).await?.demand;
    match state.app.update_demand(&ctx.actor, did, &form).await {
        Ok(status) => {
            let message = if before.status == DemandStatus::Published && status == DemandStatus::Submitted {
                "修改已保存。已发布需求的内容有变化，需求已重新提交审核。"
            } else {
                "修改已保存。"
            };
            Ok(redirect_with_flash(&demand_path(id), "success", message))
        }
        Err(ServiceError::Invalid(errors)) => {
            let target = FormTarget::Edit { id, title: before.fields.title, enterprise_name: before.enterprise_name };
            form_page(&state, &ctx, target, form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------------
// Import of demands collected offline.

/// One import's outcome, kept for its result page and its report (see [`crate::results`]).
#[derive(Debug)]
pub struct ImportOutcome {
    /// The uploaded file's name.
    pub file_name: String,
    /// What the service returned.
    pub report: DemandImportReport,
}

#[derive(Template)]
#[template(path = "demand_import.html")]
struct ImportPage {
    chrome: Chrome,
    bureau: bool,
    error: Option<String>,
}

fn require_importer(ctx: &Ctx) -> WebResult<()> {
    if may_import(ctx) { Ok(()) } else { Err(ServiceError::Forbidden.into()) }
}

fn import_page(state: &AppState, ctx: &Ctx, error: Option<String>) -> Response {
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render_with(
        status,
        &ImportPage {
            chrome: Chrome::new(state, ctx, "导入技术需求", "demands"),
            bureau: ctx.can(Permission::ReviewDemands),
            error,
        },
    )
}

/// The upload form (the bureau and agencies).
pub async fn import_form(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    require_importer(&ctx)?;
    Ok(import_page(&state, &ctx, None))
}

/// The import template.
pub async fn import_template(ctx: Ctx) -> WebResult {
    require_importer(&ctx)?;
    let bytes = ipbridge_service::demand_template_xlsx().map_err(|e| WebError::internal(e.to_string()))?;
    Ok(super::xlsx_download("技术需求导入模板.xlsx", bytes))
}

/// Imports an uploaded file in one go (at most a few thousand rows) and shows the outcome.
pub async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    multipart: Result<Multipart, MultipartRejection>,
) -> WebResult {
    // Who may import is decided before the body is looked at: an enterprise is refused whatever it sends.
    require_importer(&ctx)?;
    let mut multipart = multipart.map_err(|_| WebError::invalid("请通过“导入技术需求”页面的表单上传文件"))?;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) =
        multipart.next_field().await.map_err(|e| WebError::invalid(format!("上传中断或格式不正确：{e}")))?
    {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("upload").to_owned();
            let bytes = field.bytes().await.map_err(|e| WebError::invalid(format!("文件上传失败：{e}")))?;
            file = Some((name, Vec::from(bytes)));
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Ok(import_page(&state, &ctx, Some("请选择要导入的文件（xlsx、csv 或 jsonl）".into())));
    };
    match state.app.import_demands(&ctx.actor, &name, bytes, None).await {
        Ok(report) => {
            let owner = ctx.actor.user()?.id;
            let token = state.demand_imports.put(owner, ImportOutcome { file_name: name, report });
            // 303 to the result page (post-redirect-get): a reload does not import the file again.
            Ok(Redirect::to(&format!("/demands/import/{token}")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            let message = errors.0.values().flatten().cloned().collect::<Vec<_>>().join("；");
            Ok(import_page(&state, &ctx, Some(message)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "demand_import_result.html")]
struct ImportResultPage {
    chrome: Chrome,
    token: String,
    file_name: String,
    total: u64,
    inserted: u64,
    duplicates: u64,
    rejected: u64,
    status: String,
    has_report: bool,
}

fn outcome(state: &AppState, ctx: &Ctx, token: &str) -> WebResult<std::sync::Arc<ImportOutcome>> {
    let owner = ctx.actor.user()?.id;
    // Unknown, expired (an hour) or another account's: the same answer.
    state.demand_imports.get(owner, token).ok_or_else(|| WebError::from(ServiceError::NotFound))
}

/// The outcome of an import: the counts and the rejected rows' report.
pub async fn import_result(State(state): State<AppState>, ctx: Ctx, Path(token): Path<String>) -> WebResult {
    require_importer(&ctx)?;
    let o = outcome(&state, &ctx, &token)?;
    let r = &o.report;
    Ok(render(&ImportResultPage {
        chrome: Chrome::new(&state, &ctx, "需求导入结果", "demands"),
        token,
        file_name: o.file_name.clone(),
        total: r.total,
        inserted: r.inserted,
        duplicates: r.duplicates,
        rejected: r.rejected,
        status: r.status.map(|s| s.label().to_owned()).unwrap_or_default(),
        has_report: r.report.is_some(),
    }))
}

/// The rejected rows of an import, with 错误原因, as xlsx that imports once fixed.
pub async fn import_report(State(state): State<AppState>, ctx: Ctx, Path(token): Path<String>) -> WebResult {
    require_importer(&ctx)?;
    let o = outcome(&state, &ctx, &token)?;
    let bytes = o.report.report.clone().ok_or_else(|| WebError::from(ServiceError::NotFound))?;
    let stem = o.file_name.rsplit_once('.').map_or(o.file_name.as_str(), |(s, _)| s);
    Ok(super::xlsx_download(&format!("{stem}-错误报告.xlsx"), bytes))
}

// ---------------------------------------------------------------------------------------------------
// Patents for a demand.

fn need_of(d: &Demand) -> NeedText {
    NeedText {
        title: d.fields.title.clone(),
        text: d.fields.description.clone(),
        ipc: d.fields.ipc_codes.iter().map(|c| c.as_str().to_owned()).collect(),
        chain: d.fields.chain_code.clone(),
    }
}

/// What a saved match keeps of a hit's reasons: the terms found, shared classes and chains, in plain data
/// (no HTML), so the record's page can show why it was saved long after the index has changed.
pub fn hit_explanation(h: &PatentMatchView) -> serde_json::Value {
    serde_json::json!({
        "kind": "patent_for_need",
        "relative": h.relative,
        "matched_terms": h.explanation.matched_terms,
        "missing_terms": h.explanation.missing_terms,
        "shared_ipc": h.explanation.shared_ipc,
        "shared_ipc_titles": h.shared_ipc_titles,
        "same_chain": h.explanation.same_chain,
        "chains": h.chains,
        "legal_status": h.legal_status,
        "years_left": h.years_left,
    })
}

#[derive(Template)]
#[template(path = "demand_matches.html")]
struct DemandMatchesPage {
    chrome: Chrome,
    d: Demand,
    result: MatchResultView,
    actions: HitActions,
}

/// Whether the actor may save matches for this demand: the bureau, or a member of the demand's enterprise
/// (who takes part in matches). Drafts are not matched for keeps.
fn may_save_for(ctx: &Ctx, d: &Demand) -> bool {
    if d.status == DemandStatus::Draft {
        return false;
    }
    ctx.can(Permission::ManageMatches)
        || (ctx.can(Permission::HandleMatches) && ctx.user().is_some_and(|s| s.user.org_id == d.org_id))
}

/// The patents matched to a demand (its title, description, IPC and chain), with reasons.
pub async fn matches(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let view = state.app.demand(&ctx.actor, DemandId::new(id)).await?;
    let d = view.demand;
    let result = state.app.match_need(&ctx.actor, &need_of(&d), MatchScope::Active, Vec::new(), MATCHES_SHOWN).await?;
    let can_save = may_save_for(&ctx, &d);
    // The enterprise's open records are marked (it cannot have two open records of one patent).
    let existing = if can_save { open_records_of(&state, &ctx, d.org_id).await? } else { Vec::new() };
    let actions = HitActions {
        csrf: ctx.csrf.clone(),
        save_for_demand: can_save.then_some(d.id.get()),
        own_org: Some(d.org_id.get()),
        existing,
        ..HitActions::none()
    };
    Ok(render(&DemandMatchesPage {
        chrome: Chrome::new(&state, &ctx, &format!("匹配专利：{}", d.fields.title), "demands"),
        d,
        result,
        actions,
    }))
}

/// The patent chosen on the demand's match page.
#[derive(Debug, Default, Deserialize)]
pub struct SaveForm {
    #[serde(default)]
    patent_id: String,
}

/// Saves one matched patent as a match record of the demand's enterprise (origin: demand matching), with the
/// matcher's score and reasons as computed now on the server (a page cannot make them up).
pub async fn save_match(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<SaveForm>,
) -> WebResult {
    let view = state.app.demand(&ctx.actor, DemandId::new(id)).await?;
    let d = view.demand;
    if !may_save_for(&ctx, &d) {
        if d.status == DemandStatus::Draft {
            return Err(WebError::invalid("草稿状态的需求不能保存匹配，请先提交审核"));
        }
        return Err(ServiceError::Forbidden.into());
    }
    let patent: i64 = f.patent_id.trim().parse().map_err(|_| WebError::invalid("请选择要保存的专利"))?;
    let result =
        state.app.match_need(&ctx.actor, &need_of(&d), MatchScope::Active, Vec::new(), MATCHES_RECHECKED).await?;
    let Some(hit) = result.hits.iter().find(|h| h.patent_id == patent) else {
        return Err(WebError::invalid("该专利已不在本需求的匹配结果中，请刷新页面后重新选择"));
    };
    let save = SaveMatch {
        patent_id: PatentId::new(patent),
        enterprise_org_id: d.org_id,
        demand_id: Some(d.id),
        origin: MatchOrigin::DemandMatch,
        score: hit.score,
        explanation: hit_explanation(hit),
        note: String::new(),
    };
    let back = format!("/demands/{id}/matches");
    match state.app.save_match(&ctx.actor, &save).await {
        Ok(saved) if saved.created => Ok(redirect_with_flash(
            &back,
            "success",
            &format!("已保存匹配记录（编号 {}），可在“匹配记录”中跟进对接进展。", saved.id),
        )),
        Ok(saved) => Ok(redirect_with_flash(
            &back,
            "info",
            &format!(
                "该专利与该企业已有进行中的匹配记录（编号 {}，状态：{}），未重复保存。",
                saved.id,
                saved.state.label()
            ),
        )),
        Err(ServiceError::Invalid(errors)) => {
            Err(WebError::invalid(errors.0.values().flatten().cloned().collect::<Vec<_>>().join("；")))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_read_in_wan_when_they_are_round() {
        let yuan = |y: i64| Money::from_yuan(y);
        assert_eq!(budget_text(yuan(300_000), yuan(800_000)), "30万–80万元");
        assert_eq!(budget_text(yuan(35_000), None), "不少于3.5万元");
        assert_eq!(budget_text(None, yuan(122_500)), "不超过12.25万元");
        assert_eq!(budget_text(yuan(8_500), yuan(8_500)), "8,500元");
        assert_eq!(budget_text(Some(Money::from_fen(1_234_567)), None), "不少于12,345.67元");
        assert_eq!(budget_text(None, None), "面议");
    }
}
