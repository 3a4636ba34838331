//! Inventory records (盘点填报): the lists (all records, 待我审核, 待遴选, 待填报), a record with its review
//! history and the steps the account may take, the form for a new record and for edits, inventor links, the
//! xlsx import with its template and report, and the export.

use askama::Template;
use axum::Form;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ipbridge_domain::Permission;
use ipbridge_domain::ids::{FacultyId, InventoryRecordId, OrgId, PatentId, UserId};
use ipbridge_domain::revitalisation::{ReviewAction, ReviewEvent, ReviewRoute, ReviewState, TransferIntent, Trl};
use ipbridge_service::auth::china_time;
use ipbridge_service::revitalisation::coverage::UnrecordedQuery;
use ipbridge_service::revitalisation::inventory::{
    FacultyScope, InventorLink, InventoryForm, InventoryImportReport, InventoryQuery, InventoryRecord, InventoryView,
    PatentSummary,
};
use ipbridge_service::{FieldErrors, ServiceError};
use serde::Deserialize;

use super::admin::Pager;
use super::{Chrome, redirect_with_flash, render, render_with};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::{WebError, WebResult};

/// Records per list page.
const PER_PAGE: u32 = 20;

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    china_time(t).format("%Y-%m-%d %H:%M").to_string()
}

/// `/inventory/{id}`
fn record_path(id: impl std::fmt::Display) -> String {
    format!("/inventory/{id}")
}

/// `/patents/{id}/inventory`: the patent's inventory page (new record, inventor links).
fn patent_path(id: impl std::fmt::Display) -> String {
    format!("/patents/{id}/inventory")
}

/// Whether the account files records (inventors, institution admins).
fn files(ctx: &Ctx) -> bool {
    ctx.can(Permission::FileInventory)
}

/// Whether the account reviews records (faculty reviewers, institution admins).
fn reviews(ctx: &Ctx) -> bool {
    ctx.can(Permission::ReviewInventoryFaculty) || ctx.can(Permission::ReviewInventoryInstitution)
}

/// Whether the account imports records: an institution's admin (the rows are its patents).
fn imports(ctx: &Ctx) -> bool {
    ctx.can(Permission::FileInventory) && ctx.can(Permission::ReviewInventoryInstitution)
}

/// The list's query string.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct ListQuery {
    /// `""` (all), `review`, `screen` or `todo`.
    #[serde(default)]
    view: String,
    #[serde(default)]
    state: String,
    /// `""`, a faculty id, or `none`.
    #[serde(default)]
    faculty: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    intent: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<u32>,
}

fn faculty_scope(text: &str) -> FacultyScope {
    match text.trim() {
        "none" => FacultyScope::Unassigned,
        t => t.parse::<i64>().ok().map_or(FacultyScope::Any, |id| FacultyScope::Only(FacultyId::new(id))),
    }
}

impl ListQuery {
    fn page(&self) -> u32 {
        self.page.unwrap_or(1).max(1)
    }

    fn query(&self) -> InventoryQuery {
        InventoryQuery {
            view: match self.view.as_str() {
                "review" => InventoryView::Review,
                "screen" => InventoryView::Screen,
                _ => InventoryView::All,
            },
            state: self.state.parse().ok(),
            org: self.org.trim().parse::<i64>().ok().map(OrgId::new),
            faculty: faculty_scope(&self.faculty),
            intent: self.intent.parse().ok(),
            text: Some(self.q.trim().to_owned()).filter(|t| !t.is_empty()),
            limit: PER_PAGE,
            offset: (self.page() - 1).saturating_mul(PER_PAGE),
        }
    }

    fn query_string(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("view", self.view.as_str()),
            ("state", self.state.as_str()),
            ("faculty", self.faculty.as_str()),
            ("org", self.org.as_str()),
            ("intent", self.intent.as_str()),
            ("q", self.q.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

struct Tab {
    label: &'static str,
    href: &'static str,
    selected: bool,
}

struct RecordRow {
    id: InventoryRecordId,
    application_no: String,
    title: String,
    org: String,
    faculty: String,
    intent: String,
    state: ReviewState,
    changed: String,
    comment: String,
}

struct TodoRow {
    patent_id: PatentId,
    application_no: String,
    title: String,
    org: String,
    faculty: String,
    started: bool,
}

#[derive(Template)]
#[template(path = "inventory.html")]
struct ListPage {
    chrome: Chrome,
    q: ListQuery,
    heading: &'static str,
    intro: &'static str,
    tabs: Vec<Tab>,
    todo: bool,
    rows: Vec<RecordRow>,
    todo_rows: Vec<TodoRow>,
    states: Vec<(&'static str, String)>,
    intents: Vec<(&'static str, &'static str)>,
    orgs: Vec<(i64, String)>,
    faculties: Vec<(i64, String)>,
    pager: Pager,
    export_href: String,
    can_import: bool,
}

/// The tabs an account sees: every list it takes part in.
fn tabs(ctx: &Ctx, view: &str) -> Vec<Tab> {
    let mut out = vec![Tab { label: "全部记录", href: "/inventory", selected: view.is_empty() }];
    if files(ctx) {
        out.push(Tab { label: "待填报", href: "/inventory?view=todo", selected: view == "todo" });
    }
    if reviews(ctx) {
        out.push(Tab { label: "待我审核", href: "/inventory?view=review", selected: view == "review" });
    }
    if ctx.can(Permission::ScreenPool) {
        out.push(Tab { label: "入库遴选", href: "/inventory?view=screen", selected: view == "screen" });
    }
    out
}

/// The institutions the bureau may filter by, and the faculties of the institution in question.
async fn filter_choices(
    state: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
) -> WebResult<(Vec<(i64, String)>, Vec<(i64, String)>)> {
    let sees_all = ctx.can(Permission::ViewAllInventory);
    let orgs = if sees_all {
        state.app.inventory_institutions(&ctx.actor).await?.into_iter().map(|(id, name)| (id.get(), name)).collect()
    } else {
        Vec::new()
    };
    let org = if sees_all {
        q.org.trim().parse::<i64>().ok().map(OrgId::new)
    } else if ctx.can(Permission::ReviewInventoryInstitution) {
        ctx.user().map(|s| s.user.org_id)
    } else {
        None
    };
    let faculties = match org {
        Some(o) => match state.app.inventory_faculties(&ctx.actor, o).await {
            Ok(list) => list.into_iter().map(|f| (f.id.get(), f.name)).collect(),
            Err(ServiceError::NotFound) => Vec::new(),
            Err(e) => return Err(e.into()),
        },
        None => Vec::new(),
    };
    Ok((orgs, faculties))
}

/// The record lists: every record in the account's scope, 待填报 (patents without a submitted record),
/// 待我审核 and 入库遴选.
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> WebResult {
    let (orgs, faculties) = filter_choices(&state, &ctx, &q).await?;
    let qs = q.query_string();
    let link = |p: u32| format!("/inventory?{qs}&page={p}");
    let todo = q.view == "todo";
    let (rows, todo_rows, pager, states) = if todo {
        let uq = UnrecordedQuery {
            org: q.org.trim().parse::<i64>().ok().map(OrgId::new),
            faculty: faculty_scope(&q.faculty),
            limit: PER_PAGE,
            offset: (q.page() - 1).saturating_mul(PER_PAGE),
        };
        let page = state.app.unrecorded_patents(&ctx.actor, &uq).await?;
        let todo_rows = page
            .patents
            .into_iter()
            .map(|p| TodoRow {
                patent_id: p.patent_id,
                application_no: p.application_no,
                title: p.title,
                org: p.org_name,
                faculty: p.faculty_name.unwrap_or_else(|| "未分院系".to_owned()),
                started: p.state.is_some(),
            })
            .collect();
        (Vec::new(), todo_rows, Pager::per(q.page(), page.total, PER_PAGE, link), Vec::new())
    } else {
        let page = state.app.inventory_list(&ctx.actor, &q.query()).await?;
        let rows = page
            .records
            .into_iter()
            .map(|r| RecordRow {
                id: r.id,
                application_no: r.application_no,
                title: r.patent_title,
                org: r.org_name,
                faculty: r.faculty_name.unwrap_or_default(),
                intent: r.content.transfer_intent.map(|i| i.label().to_owned()).unwrap_or_default(),
                state: r.state,
                changed: time(r.state_changed_at),
                comment: if r.state == ReviewState::Draft { r.last_comment } else { String::new() },
            })
            .collect();
        let states = page.state_counts.iter().map(|(s, n)| (s.code(), format!("{}（{n}）", s.label()))).collect();
        (rows, Vec::new(), Pager::per(q.page(), page.total, PER_PAGE, link), states)
    };
    let (heading, intro) = match q.view.as_str() {
        "todo" => {
            ("待填报的专利", "在盘点范围内、还没有提交盘点记录的专利（含未提交的草稿）。点击“填报”开始或继续填写。")
        }
        "review" => ("待我审核", "等待您审核的盘点记录，等待最久的在前。"),
        "screen" => ("入库遴选", "单位已审核的记录可纳入专利基础库，再遴选入可转化专利资源库；也可移出或退回修改。"),
        _ => ("盘点记录", "存量专利盘点记录：发明人或单位填报，学院、单位审核，再纳入专利基础库和可转化专利资源库。"),
    };
    Ok(render(&ListPage {
        chrome: Chrome::new(&state, &ctx, heading, if q.view == "review" { "inventory-review" } else { "inventory" }),
        heading,
        intro,
        tabs: tabs(&ctx, &q.view),
        todo,
        rows,
        todo_rows,
        states,
        intents: TransferIntent::ALL.iter().map(|i| (i.code(), i.label())).collect(),
        orgs,
        faculties,
        pager,
        export_href: if todo { format!("/coverage/unrecorded/export?{qs}") } else { format!("/inventory/export?{qs}") },
        can_import: imports(&ctx),
        q,
    }))
}

/// The list as the account sees it, with its filters, as xlsx.
pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> WebResult {
    let bytes = state.app.export_inventory(&ctx.actor, &q.query()).await?;
    Ok(super::xlsx_download(&super::export_name(&state, "盘点记录"), bytes))
}

// ---------------------------------------------------------------------------------------------------
// One record.

struct EventRow {
    at: String,
    who: String,
    what: String,
    comment: String,
}

fn event_row(e: &ReviewEvent) -> EventRow {
    let what = match (e.action, e.from) {
        (None, _) => format!("建立记录（{}）", e.to.label()),
        (Some(a), Some(from)) if from != e.to => format!("{}：{} → {}", a.label(), from.label(), e.to.label()),
        (Some(a), _) => a.label().to_owned(),
    };
    let who = match e.actor_kind {
        Some(k) => format!("{}（{}）", e.actor_name, k.label()),
        None => e.actor_name.clone(),
    };
    EventRow { at: time(e.at), who, what, comment: e.comment.clone() }
}

struct StepButton {
    code: &'static str,
    label: &'static str,
    comment_required: bool,
    danger: bool,
}

struct LinkRow {
    user_id: UserId,
    name: String,
    inventor_name: String,
    linked: String,
}

#[derive(Template)]
#[template(path = "inventory_record.html")]
struct RecordPage {
    chrome: Chrome,
    r: InventoryRecord,
    intent: String,
    prospect: String,
    prospect_meaning: String,
    maturity: String,
    price: String,
    phone: String,
    chain: String,
    route: &'static str,
    events: Vec<EventRow>,
    steps: Vec<StepButton>,
    can_edit: bool,
    links: Links,
    errors: FieldErrors,
}

/// The inventor links section, shared by the record page and the patent's inventory page.
struct Links {
    patent_id: PatentId,
    rows: Vec<LinkRow>,
    can_link: bool,
    choices: Vec<(i64, String)>,
}

async fn links(
    state: &AppState,
    ctx: &Ctx,
    patent: PatentId,
    org: Option<OrgId>,
    rows: Vec<InventorLink>,
    can_link: bool,
) -> WebResult<Links> {
    let choices = match (can_link, org) {
        (true, Some(o)) => state
            .app
            .inventor_choices(&ctx.actor, o)
            .await?
            .into_iter()
            .filter(|u| !rows.iter().any(|l| l.user_id == u.id))
            .map(|u| (u.id.get(), format!("{}（{}）", u.display_name, u.username)))
            .collect(),
        _ => Vec::new(),
    };
    Ok(Links {
        patent_id: patent,
        rows: rows
            .into_iter()
            .map(|l| LinkRow {
                user_id: l.user_id,
                name: format!("{}（{}）", l.display_name, l.username),
                inventor_name: l.inventor_name,
                linked: format!("{} 由 {} 关联", time(l.linked_at), l.linked_by),
            })
            .collect(),
        can_link,
        choices,
    })
}

async fn record_page(state: &AppState, ctx: &Ctx, id: InventoryRecordId, errors: FieldErrors) -> WebResult {
    let view = state.app.inventory_record(&ctx.actor, id).await?;
    let rules = &state.app.policy.revitalisation;
    let r = view.record;
    let c = &r.content;
    let steps = view
        .actions
        .iter()
        .filter(|a| !matches!(a, ReviewAction::Edit | ReviewAction::EditContact))
        .map(|a| StepButton {
            code: a.code(),
            label: a.label(),
            comment_required: a.requires_comment(),
            danger: matches!(a, ReviewAction::ReturnForRevision | ReviewAction::RemoveFromPool),
        })
        .collect();
    let links = links(state, ctx, r.patent_id, Some(r.org_id), view.inventors, view.can_link).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render_with(
        status,
        &RecordPage {
            chrome: Chrome::new(state, ctx, &format!("盘点记录：{}", r.patent_title), "inventory"),
            intent: c.transfer_intent.map(|i| i.label().to_owned()).unwrap_or_default(),
            prospect: c.prospect.map(|p| p.label(rules)).unwrap_or_default(),
            prospect_meaning: c.prospect.and_then(|p| p.grade(rules)).map(|g| g.meaning.clone()).unwrap_or_default(),
            maturity: c.brief.maturity.map(|t| t.to_string()).unwrap_or_default(),
            price: c.price.to_string(),
            phone: c.contact.phone.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default(),
            chain: view.chain_name.unwrap_or_default(),
            route: match view.route {
                ReviewRoute::ThroughFaculty => "学院审核后单位审核",
                ReviewRoute::InstitutionOnly => "单位直接审核（未指定院系或院系无审核人）",
            },
            events: view.events.iter().map(event_row).collect(),
            can_edit: view.actions.iter().any(|a| matches!(a, ReviewAction::Edit | ReviewAction::EditContact)),
            steps,
            links,
            errors,
            r,
        },
    ))
}

/// One record with its history and the steps the account may take.
pub async fn detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    record_page(&state, &ctx, InventoryRecordId::new(id), FieldErrors::new()).await
}

/// A review step as posted.
#[derive(Debug, Default, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    comment: String,
}

/// Takes one review step (submit, withdraw, approve, return, pool moves) with its comment.
pub async fn step(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, Form(f): Form<StepForm>) -> WebResult {
    let rid = InventoryRecordId::new(id);
    let Ok(action) = f.action.parse::<ReviewAction>() else {
        return Err(WebError::invalid("请选择要进行的操作"));
    };
    match state.app.inventory_step(&ctx.actor, rid, action, &f.comment).await {
        Ok(to) => {
            let message = match action {
                ReviewAction::Submit => "已提交审核，审核人已收到通知。".to_owned(),
                ReviewAction::ReturnForRevision => "已退回修改，填报人已收到退回意见。".to_owned(),
                _ => format!("已{}，记录当前为“{}”。", action.label(), to.label()),
            };
            Ok(redirect_with_flash(&record_path(id), "success", &message))
        }
        Err(ServiceError::Invalid(errors)) => record_page(&state, &ctx, rid, errors).await,
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------------
// The form.

/// The record form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct RecordInput {
    #[serde(default)]
    transfer_intent: String,
    #[serde(default)]
    already_implemented: String,
    #[serde(default)]
    prospect_grade: String,
    #[serde(default)]
    maturity: String,
    #[serde(default)]
    problem_solved: String,
    #[serde(default)]
    advantage: String,
    #[serde(default)]
    application_fields: String,
    #[serde(default)]
    route_to_market: String,
    #[serde(default)]
    price_min: String,
    #[serde(default)]
    price_max: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    faculty: String,
    #[serde(default)]
    chain: String,
    /// Present when 提交审核 was pressed rather than 保存草稿.
    #[serde(default)]
    submit: Option<String>,
}

impl RecordInput {
    fn into_form(self) -> (InventoryForm, bool) {
        let form = InventoryForm {
            input: ipbridge_domain::revitalisation::InventoryInput {
                transfer_intent: self.transfer_intent,
                already_implemented: self.already_implemented,
                prospect_grade: self.prospect_grade,
                maturity: self.maturity,
                problem_solved: self.problem_solved,
                advantage: self.advantage,
                application_fields: self.application_fields,
                route_to_market: self.route_to_market,
                price_min: self.price_min,
                price_max: self.price_max,
                contact_name: self.contact_name,
                contact_phone: self.contact_phone,
            },
            faculty_id: self.faculty,
            chain_code: self.chain,
        };
        (form, self.submit.is_some())
    }
}

struct Grade {
    value: String,
    name: String,
    meaning: String,
}

#[derive(Template)]
#[template(path = "inventory_form.html")]
struct FormPage {
    chrome: Chrome,
    heading: String,
    action: String,
    application_no: String,
    patent_title: String,
    org_name: String,
    form: InventoryForm,
    /// Only the contact may change (the record is in review or a pool).
    contact_only: bool,
    /// A new record, or a draft: may be saved or submitted.
    may_submit: bool,
    intents: Vec<(&'static str, &'static str)>,
    grades: Vec<Grade>,
    levels: Vec<(String, String)>,
    faculties: Vec<(String, String)>,
    chains: Vec<(String, String)>,
    errors: FieldErrors,
    links: Option<Links>,
    back: String,
}

struct FormTarget {
    heading: String,
    action: String,
    application_no: String,
    patent_title: String,
    org_name: String,
    org: OrgId,
    contact_only: bool,
    may_submit: bool,
    links: Option<Links>,
    back: String,
}

async fn form_page(state: &AppState, ctx: &Ctx, t: FormTarget, form: InventoryForm, errors: FieldErrors) -> WebResult {
    let rules = &state.app.policy.revitalisation;
    let mut grades: Vec<_> = rules.prospect_grades.iter().collect();
    grades.sort_by_key(|g| std::cmp::Reverse(g.level));
    let faculties = state
        .app
        .inventory_faculties(&ctx.actor, t.org)
        .await?
        .into_iter()
        .map(|f| (f.id.get().to_string(), f.name))
        .collect();
    let mut chains = state.app.chain_choices(&ctx.actor).await?;
    if let Some(code) = Some(form.chain_code.trim()).filter(|c| !c.is_empty())
        && !chains.iter().any(|(c, _)| c == code)
        && let Some(c) = state.app.chains().await?.into_iter().find(|c| c.code == code)
    {
        chains.push((c.code, c.name));
    }
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render_with(
        status,
        &FormPage {
            chrome: Chrome::new(state, ctx, &t.heading, "inventory"),
            heading: t.heading,
            action: t.action,
            application_no: t.application_no,
            patent_title: t.patent_title,
            org_name: t.org_name,
            form,
            contact_only: t.contact_only,
            may_submit: t.may_submit,
            intents: TransferIntent::ALL.iter().map(|i| (i.code(), i.label())).collect(),
            grades: grades
                .into_iter()
                .map(|g| Grade { value: g.level.to_string(), name: g.name.clone(), meaning: g.meaning.clone() })
                .collect(),
            levels: Trl::all().map(|t| (t.level().to_string(), t.to_string())).collect(),
            faculties,
            chains,
            errors,
            links: t.links,
            back: t.back,
        },
    ))
}

/// The patent's inventory page: its record when it has one, otherwise the form to start it (with the inventor
/// links an institution admin keeps).
pub async fn patent_page(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let pid = PatentId::new(id);
    let p = state.app.patent_inventory(&ctx.actor, pid).await?;
    if let Some(rid) = p.record {
        return Ok(Redirect::to(&record_path(rid)).into_response());
    }
    if !p.can_file {
        // Readers who do not file (reviewers, the bureau) learn why there is nothing to show.
        return Err(WebError::invalid(
            p.out_of_scope.unwrap_or_else(|| "该专利还没有盘点记录，由单位管理员或关联的发明人填报".to_owned()),
        ));
    }
    let org = p.scope.owner_org_id.ok_or_else(WebError::not_found)?;
    let links = links(&state, &ctx, pid, Some(org), p.inventors, p.can_link).await?;
    let form = InventoryForm {
        faculty_id: p.scope.faculty_id.map(|f| f.get().to_string()).unwrap_or_default(),
        input: ipbridge_domain::revitalisation::InventoryInput {
            already_implemented: "否".to_owned(),
            contact_name: ctx.user().map(|s| s.user.display_name.clone()).unwrap_or_default(),
            ..Default::default()
        },
        ..InventoryForm::default()
    };
    let target = new_target(&p.patent, org, Some(links));
    form_page(&state, &ctx, target, form, FieldErrors::new()).await
}

fn new_target(p: &PatentSummary, org: OrgId, links: Option<Links>) -> FormTarget {
    FormTarget {
        heading: format!("填报盘点记录：{}", p.title),
        action: patent_path(p.id),
        application_no: p.application_no.clone(),
        patent_title: p.title.clone(),
        org_name: p.owner_name.clone().unwrap_or_default(),
        org,
        contact_only: false,
        may_submit: true,
        links,
        back: "/inventory?view=todo".to_owned(),
    }
}

/// Starts a patent's record: saved as a draft, or submitted at once.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(input): Form<RecordInput>,
) -> WebResult {
    let pid = PatentId::new(id);
    let (form, submit) = input.into_form();
    match state.app.create_inventory_record(&ctx.actor, pid, &form, submit).await {
        Ok(rid) => {
            let message = if submit {
                "盘点记录已提交审核，审核人已收到通知。"
            } else {
                "盘点记录已保存为草稿，填写完整后请提交审核。"
            };
            Ok(redirect_with_flash(&record_path(rid), "success", message))
        }
        Err(ServiceError::Invalid(errors)) => {
            let p = state.app.patent_inventory(&ctx.actor, pid).await?;
            let org = p.scope.owner_org_id.ok_or_else(WebError::not_found)?;
            let links = links(&state, &ctx, pid, Some(org), p.inventors, p.can_link).await?;
            form_page(&state, &ctx, new_target(&p.patent, org, Some(links)), form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

fn edit_target(r: &InventoryRecord) -> FormTarget {
    let draft = r.state == ReviewState::Draft;
    FormTarget {
        heading: if draft {
            format!("修改盘点记录：{}", r.patent_title)
        } else {
            format!("修改联系人：{}", r.patent_title)
        },
        action: record_path(r.id),
        application_no: r.application_no.clone(),
        patent_title: r.patent_title.clone(),
        org_name: r.org_name.clone(),
        org: r.org_id,
        contact_only: !draft,
        may_submit: draft,
        links: None,
        back: record_path(r.id),
    }
}

/// The edit form: the whole content of a draft, or only the contact of a record in review or a pool.
pub async fn edit_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let view = state.app.inventory_record(&ctx.actor, InventoryRecordId::new(id)).await?;
    if !view.actions.iter().any(|a| matches!(a, ReviewAction::Edit | ReviewAction::EditContact)) {
        return Err(ServiceError::Forbidden.into());
    }
    let form = InventoryForm::from_record(&view.record);
    form_page(&state, &ctx, edit_target(&view.record), form, FieldErrors::new()).await
}

/// Saves an edit (and submits a draft when asked).
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(input): Form<RecordInput>,
) -> WebResult {
    let rid = InventoryRecordId::new(id);
    let (form, submit) = input.into_form();
    match state.app.update_inventory_record(&ctx.actor, rid, &form, submit).await {
        Ok(to) => {
            let message = if submit && to == ReviewState::Submitted {
                "修改已保存并提交审核，审核人已收到通知。"
            } else {
                "修改已保存。"
            };
            Ok(redirect_with_flash(&record_path(id), "success", message))
        }
        Err(ServiceError::Invalid(errors)) => {
            let view = state.app.inventory_record(&ctx.actor, rid).await?;
            form_page(&state, &ctx, edit_target(&view.record), form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------------
// Inventor links.

/// An inventor account to link, as posted.
#[derive(Debug, Default, Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    inventor_name: String,
}

/// Where a link change returns to: the record when the patent has one, else its inventory page.
async fn back_to_patent(state: &AppState, ctx: &Ctx, patent: PatentId) -> WebResult<String> {
    let p = state.app.patent_inventory(&ctx.actor, patent).await?;
    Ok(p.record.map_or_else(|| patent_path(patent), record_path))
}

/// Links an inventor account of the institution to the patent (its admin).
pub async fn link(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, Form(f): Form<LinkForm>) -> WebResult {
    let pid = PatentId::new(id);
    let Ok(user) = f.user_id.trim().parse::<i64>() else {
        return Err(WebError::invalid("请选择要关联的发明人账号"));
    };
    let back = back_to_patent(&state, &ctx, pid).await?;
    match state.app.link_inventor(&ctx.actor, pid, UserId::new(user), &f.inventor_name).await {
        Ok(true) => Ok(redirect_with_flash(&back, "success", "已关联发明人账号，该发明人可以填报这件专利的盘点记录。")),
        Ok(false) => Ok(redirect_with_flash(&back, "info", "该账号已关联这件专利。")),
        Err(ServiceError::Invalid(errors)) => Ok(redirect_with_flash(
            &back,
            "error",
            &errors.0.values().flatten().cloned().collect::<Vec<_>>().join("；"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Removes an inventor account's link to the patent (its admin).
pub async fn unlink(State(state): State<AppState>, ctx: Ctx, Path((id, user)): Path<(i64, i64)>) -> WebResult {
    let pid = PatentId::new(id);
    let back = back_to_patent(&state, &ctx, pid).await?;
    state.app.unlink_inventor(&ctx.actor, pid, UserId::new(user)).await?;
    Ok(redirect_with_flash(&back, "success", "已解除关联。"))
}

// ---------------------------------------------------------------------------------------------------
// Import.

/// One import's outcome, kept for its result page and its report (see [`crate::results`]).
#[derive(Debug)]
pub struct ImportOutcome {
    /// The uploaded file's name.
    pub file_name: String,
    /// What the service returned.
    pub report: InventoryImportReport,
}

#[derive(Template)]
#[template(path = "inventory_import.html")]
struct ImportPage {
    chrome: Chrome,
    error: Option<String>,
}

fn require_importer(ctx: &Ctx) -> WebResult<()> {
    if imports(ctx) { Ok(()) } else { Err(ServiceError::Forbidden.into()) }
}

fn import_page(state: &AppState, ctx: &Ctx, error: Option<String>) -> Response {
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render_with(status, &ImportPage { chrome: Chrome::new(state, ctx, "导入盘点记录", "inventory"), error })
}

/// The upload form (institution admins).
pub async fn import_form(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    require_importer(&ctx)?;
    Ok(import_page(&state, &ctx, None))
}

/// The import template, with the policy's prospect grades.
pub async fn import_template(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    require_importer(&ctx)?;
    let bytes = state.app.inventory_template()?;
    Ok(super::xlsx_download("盘点记录导入模板.xlsx", bytes))
}

/// Imports an uploaded file in one go and shows the outcome.
pub async fn import(
    State(state): State<AppState>,
    ctx: Ctx,
    multipart: Result<Multipart, MultipartRejection>,
) -> WebResult {
    require_importer(&ctx)?;
    let mut multipart = multipart.map_err(|_| WebError::invalid("请通过“导入盘点记录”页面的表单上传文件"))?;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut submit = false;
    while let Some(field) =
        multipart.next_field().await.map_err(|e| WebError::invalid(format!("上传中断或格式不正确：{e}")))?
    {
        let name = field.name().map(str::to_owned);
        match name.as_deref() {
            Some("file") => {
                let name = field.file_name().unwrap_or("upload").to_owned();
                let bytes = field.bytes().await.map_err(|e| WebError::invalid(format!("文件上传失败：{e}")))?;
                file = Some((name, Vec::from(bytes)));
            }
            Some("mode") => {
                submit = field.text().await.map_err(|e| WebError::invalid(format!("表单读取失败：{e}")))? == "submit";
            }
            _ => {}
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Ok(import_page(&state, &ctx, Some("请选择要导入的文件（xlsx、csv 或 jsonl）".into())));
    };
    match state.app.import_inventory(&ctx.actor, &name, bytes, None, submit).await {
        Ok(report) => {
            let owner = ctx.actor.user()?.id;
            let token = state.inventory_imports.put(owner, ImportOutcome { file_name: name, report });
            Ok(Redirect::to(&format!("/inventory/import/{token}")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => {
            let message = errors.0.values().flatten().cloned().collect::<Vec<_>>().join("；");
            Ok(import_page(&state, &ctx, Some(message)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "inventory_import_result.html")]
struct ImportResultPage {
    chrome: Chrome,
    token: String,
    file_name: String,
    r: InventoryImportReport,
    has_report: bool,
}

fn outcome(state: &AppState, ctx: &Ctx, token: &str) -> WebResult<std::sync::Arc<ImportOutcome>> {
    let owner = ctx.actor.user()?.id;
    state.inventory_imports.get(owner, token).ok_or_else(|| WebError::from(ServiceError::NotFound))
}

/// The outcome of an import: the counts and the rejected rows' report.
pub async fn import_result(State(state): State<AppState>, ctx: Ctx, Path(token): Path<String>) -> WebResult {
    require_importer(&ctx)?;
    let o = outcome(&state, &ctx, &token)?;
    Ok(render(&ImportResultPage {
        chrome: Chrome::new(&state, &ctx, "盘点记录导入结果", "inventory"),
        token,
        file_name: o.file_name.clone(),
        has_report: o.report.report.is_some(),
        r: InventoryImportReport { report: None, ..o.report.clone() },
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
