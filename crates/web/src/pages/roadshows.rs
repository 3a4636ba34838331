//! Roadshow and follow-up pages: the roadshow list, a roadshow with its patents, registration and (for the
//! bureau) its registrations; the roadshow form; follow-up projects with their logs.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use ipbridge_domain::Permission;
use ipbridge_domain::ids::{FollowUpProjectId, MatchId, OrgId, PatentId, RegistrationId, RoadshowId};
use ipbridge_domain::org::OrgKind;
use ipbridge_domain::revitalisation::{FollowUpOutcome, ProjectState, RoadshowMode, RoadshowStatus};
use ipbridge_service::auth::china_time;
use ipbridge_service::revitalisation::roadshows::{
    FollowUp, FollowUpForm, FollowUpProject, NewProject, ProjectFilter, RegistrationForm, RoadshowFilter, RoadshowForm,
    RoadshowView,
};
use ipbridge_service::{FieldErrors, ServiceError};
use serde::Deserialize;

use super::{Chrome, redirect_with_flash, render, render_with};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::{WebError, WebResult};

/// Roadshows per list page.
const PER_PAGE: u32 = 20;
/// Projects per list page.
const PROJECTS_PER_PAGE: u32 = 50;

fn roadshow_path(id: impl std::fmt::Display) -> String {
    format!("/roadshows/{id}")
}

fn project_path(id: impl std::fmt::Display) -> String {
    format!("/follow-ups/{id}")
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    china_time(t).format("%Y-%m-%d %H:%M").to_string()
}

fn status_of(errors: &FieldErrors) -> StatusCode {
    if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY }
}

/// Every chain by code and name.
async fn all_chains(state: &AppState) -> WebResult<Vec<(String, String)>> {
    Ok(state.app.chains().await?.into_iter().map(|c| (c.code, c.name)).collect())
}

fn chain_name(chains: &[(String, String)], code: Option<&str>) -> String {
    code.map(|c| chains.iter().find(|(k, _)| k == c).map_or(c, |(_, n)| n.as_str()).to_owned()).unwrap_or_default()
}

/// A page link: `?…&page=N` kept with the filters.
fn page_link(base: &str, qs: &str, page: u32) -> String {
    if qs.is_empty() { format!("{base}?page={page}") } else { format!("{base}?{qs}&page={page}") }
}

// ---------------------------------------------------------------------------------------------------------
// Roadshow list

/// The list's query string.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct RoadshowQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    chain: String,
    /// "1": only the roadshows the actor's enterprise registered for.
    #[serde(default)]
    mine: String,
    #[serde(default)]
    page: Option<u32>,
}

impl RoadshowQuery {
    fn page(&self) -> u32 {
        self.page.unwrap_or(1).max(1)
    }

    fn query_string(&self) -> String {
        let pairs: Vec<(&str, &str)> =
            [("status", self.status.as_str()), ("chain", self.chain.as_str()), ("mine", self.mine.as_str())]
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

struct RoadshowRow {
    id: RoadshowId,
    title: String,
    held_on: String,
    place: String,
    chain: String,
    status: RoadshowStatus,
    patents: u64,
    registrations: u64,
}

#[derive(Template)]
#[template(path = "roadshows.html")]
struct RoadshowsPage {
    chrome: Chrome,
    q: RoadshowQuery,
    statuses: Vec<(&'static str, &'static str)>,
    chains: Vec<(String, String)>,
    rows: Vec<RoadshowRow>,
    prev: Option<String>,
    next: Option<String>,
    can_manage: bool,
    can_follow_up: bool,
    is_enterprise: bool,
}

fn enterprise_of(ctx: &Ctx) -> Option<OrgId> {
    ctx.user()
        .filter(|s| s.user.org_kind == OrgKind::Enterprise && ctx.can(Permission::RegisterRoadshows))
        .map(|s| s.user.org_id)
}

/// The roadshows, latest first: every logged-in account sees them.
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<RoadshowQuery>) -> WebResult {
    let page = q.page();
    let filter = RoadshowFilter {
        status: q.status.parse().ok(),
        chain_code: Some(q.chain.trim().to_owned()).filter(|c| !c.is_empty()),
        registered_org: if q.mine == "1" { enterprise_of(&ctx) } else { None },
        // One more than a page says whether a next page exists.
        limit: PER_PAGE + 1,
        offset: (page - 1).saturating_mul(PER_PAGE),
        ..RoadshowFilter::default()
    };
    let mut found = state.app.list_roadshows(&ctx.actor, &filter).await?;
    let more = found.len() > PER_PAGE as usize;
    found.truncate(PER_PAGE as usize);
    let chains = all_chains(&state).await?;
    let qs = q.query_string();
    let rows = found
        .iter()
        .map(|r| RoadshowRow {
            id: r.id,
            title: r.fields.title.clone(),
            held_on: r.fields.held_on.to_string(),
            place: match r.fields.mode {
                RoadshowMode::Onsite => r.fields.venue.clone(),
                RoadshowMode::Online => "线上".to_owned(),
            },
            chain: chain_name(&chains, r.fields.chain_code.as_deref()),
            status: r.status,
            patents: r.patents,
            registrations: r.registrations,
        })
        .collect();
    Ok(render(&RoadshowsPage {
        chrome: Chrome::new(&state, &ctx, "路演活动", "roadshows"),
        statuses: RoadshowStatus::ALL.iter().map(|s| (s.code(), s.label())).collect(),
        chains,
        rows,
        prev: (page > 1).then(|| page_link("/roadshows", &qs, page - 1)),
        next: more.then(|| page_link("/roadshows", &qs, page + 1)),
        can_manage: ctx.can(Permission::ManageRoadshows),
        can_follow_up: ctx.can(Permission::RecordFollowUps)
            || ctx.can(Permission::ViewAllInventory)
            || ctx.user().is_some_and(|s| s.user.org_kind == OrgKind::Enterprise),
        is_enterprise: enterprise_of(&ctx).is_some(),
        q,
    }))
}

// ---------------------------------------------------------------------------------------------------------
// One roadshow

struct RegistrationRow {
    id: RegistrationId,
    enterprise: String,
    contact: String,
    phone: String,
    attendees: u32,
    note: String,
    at: String,
    live: bool,
    /// 有效 / 已取消 / 出席 / 缺席.
    state: &'static str,
}

struct ProjectRow {
    id: FollowUpProjectId,
    patent: String,
    application_no: String,
    enterprise: String,
    holder: String,
    state: ProjectState,
    entries: u64,
    last_on: String,
}

fn project_row(p: &FollowUpProject) -> ProjectRow {
    ProjectRow {
        id: p.id,
        patent: p.patent_title.clone(),
        application_no: p.application_no.clone(),
        enterprise: p.enterprise_name.clone(),
        holder: p.holder_name.clone().unwrap_or_default(),
        state: p.state,
        entries: p.entries,
        last_on: p.last_on.map(|d| d.to_string()).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "roadshow.html")]
struct RoadshowPage {
    chrome: Chrome,
    r: ipbridge_service::revitalisation::roadshows::Roadshow,
    v: RoadshowView,
    chain: String,
    deadline: String,
    registrations: Option<Vec<RegistrationRow>>,
    live_registrations: usize,
    projects: Vec<ProjectRow>,
    enterprises: Vec<(OrgId, String)>,
    reg: RegistrationInput,
    errors: FieldErrors,
    can_hold: bool,
    can_cancel: bool,
}

impl RoadshowPage {
    fn interested(&self, id: &PatentId) -> bool {
        self.reg.interests().contains(id)
    }
}

async fn roadshow_page(
    state: &AppState,
    ctx: &Ctx,
    id: RoadshowId,
    reg: RegistrationInput,
    errors: FieldErrors,
) -> WebResult {
    let v = state.app.roadshow(&ctx.actor, id).await?;
    let chains = all_chains(state).await?;
    let enterprises = if v.may_follow_up && !v.patents.is_empty() {
        state.app.follow_up_enterprise_choices(&ctx.actor, id).await?
    } else {
        Vec::new()
    };
    let registrations = v.registrations.as_ref().map(|list| {
        list.iter()
            .map(|g| RegistrationRow {
                id: g.id,
                enterprise: g.enterprise_name.clone(),
                contact: g.fields.contact_name.clone(),
                phone: g.fields.contact_phone.as_str().to_owned(),
                attendees: g.fields.attendees,
                note: g.fields.note.clone(),
                at: time(g.registered_at),
                live: g.cancelled_at.is_none(),
                state: match (g.cancelled_at.is_some(), g.attended) {
                    (true, _) => "已取消",
                    (false, Some(true)) => "出席",
                    (false, Some(false)) => "缺席",
                    (false, None) => "有效",
                },
            })
            .collect::<Vec<_>>()
    });
    let live_registrations = registrations.as_ref().map_or(0, |r| r.iter().filter(|g| g.live).count());
    let r = v.roadshow.clone();
    let planned = r.status == RoadshowStatus::Planned;
    Ok(render_with(
        status_of(&errors),
        &RoadshowPage {
            chrome: Chrome::new(state, ctx, &r.fields.title, "roadshows"),
            chain: chain_name(&chains, r.fields.chain_code.as_deref()),
            deadline: r.fields.registration_deadline.unwrap_or(r.fields.held_on).to_string(),
            can_hold: v.may_manage && planned,
            can_cancel: v.may_manage && planned,
            projects: v.projects.iter().map(project_row).collect(),
            registrations,
            live_registrations,
            enterprises,
            reg,
            errors,
            r,
            v,
        },
    ))
}

/// One roadshow with its patents; registration for enterprises, registrations and follow-up for the bureau.
pub async fn detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let reg = RegistrationInput {
        contact_name: ctx.user().map(|s| s.user.display_name.clone()).unwrap_or_default(),
        attendees: "1".to_owned(),
        ..RegistrationInput::default()
    };
    roadshow_page(&state, &ctx, RoadshowId::new(id), reg, FieldErrors::new()).await
}

/// A status change as posted.
#[derive(Debug, Default, Deserialize)]
pub struct StatusInput {
    #[serde(default)]
    to: String,
}

/// Marks a planned roadshow held or cancelled (the bureau).
pub async fn status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<StatusInput>,
) -> WebResult {
    let id = RoadshowId::new(id);
    let Ok(to) = f.to.parse::<RoadshowStatus>() else {
        return Err(WebError::invalid("请选择要变更的状态"));
    };
    match state.app.set_roadshow_status(&ctx.actor, id, to).await {
        Ok(()) => {
            let message = match to {
                RoadshowStatus::Held => "路演已标记为已举办，可以为有意向的企业建立跟踪项目。",
                _ => "路演已取消，已报名的企业已收到通知。",
            };
            Ok(redirect_with_flash(&roadshow_path(id), "success", message))
        }
        Err(ServiceError::Invalid(errors)) => {
            roadshow_page(&state, &ctx, id, RegistrationInput::default(), errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The registration form as posted; the interest checkboxes repeat the `interest` key.
#[derive(Debug, Default, Clone)]
pub struct RegistrationInput {
    contact_name: String,
    contact_phone: String,
    attendees: String,
    note: String,
    interests: Vec<PatentId>,
}

impl RegistrationInput {
    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut r = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "contact_name" => r.contact_name = v.clone(),
                "contact_phone" => r.contact_phone = v.clone(),
                "attendees" => r.attendees = v.clone(),
                "note" => r.note = v.clone(),
                "interest" => r.interests.extend(v.trim().parse::<i64>().ok().map(PatentId::new)),
                _ => {}
            }
        }
        r
    }

    fn interests(&self) -> &[PatentId] {
        &self.interests
    }

    fn form(&self) -> RegistrationForm {
        RegistrationForm {
            contact_name: self.contact_name.clone(),
            contact_phone: self.contact_phone.clone(),
            attendees: self.attendees.clone(),
            note: self.note.clone(),
            interests: self.interests.clone(),
        }
    }
}

/// Registers the actor's enterprise.
pub async fn register(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let id = RoadshowId::new(id);
    let input = RegistrationInput::from_pairs(&pairs);
    match state.app.register_roadshow(&ctx.actor, id, &input.form()).await {
        Ok(_) => Ok(redirect_with_flash(&roadshow_path(id), "success", "报名成功。活动如有变更，平台将通知贵企业。")),
        Err(ServiceError::Invalid(errors)) => roadshow_page(&state, &ctx, id, input, errors).await,
        Err(ServiceError::Conflict(c)) => {
            let mut errors = FieldErrors::new();
            errors.add("registration", c.to_string());
            roadshow_page(&state, &ctx, id, input, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Cancels a registration (the enterprise its own, the bureau any).
pub async fn cancel_registration(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    match state.app.cancel_registration(&ctx.actor, RegistrationId::new(id)).await {
        Ok(roadshow) => Ok(redirect_with_flash(&roadshow_path(roadshow), "success", "报名已取消。")),
        Err(ServiceError::Invalid(errors)) => {
            Err(WebError::invalid(errors.0.values().flatten().cloned().collect::<Vec<_>>().join("；")))
        }
        Err(e) => Err(e.into()),
    }
}

/// Attendance as posted.
#[derive(Debug, Default, Deserialize)]
pub struct AttendanceInput {
    #[serde(default)]
    attended: String,
}

/// Records whether a registered enterprise attended (the bureau).
pub async fn attendance(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<AttendanceInput>,
) -> WebResult {
    let attended = f.attended == "1";
    match state.app.set_attendance(&ctx.actor, RegistrationId::new(id), attended).await {
        Ok(roadshow) => Ok(redirect_with_flash(&roadshow_path(roadshow), "success", "出席情况已登记。")),
        Err(ServiceError::Invalid(errors)) => {
            Err(WebError::invalid(errors.0.values().flatten().cloned().collect::<Vec<_>>().join("；")))
        }
        Err(e) => Err(e.into()),
    }
}

/// The roadshow's registrations as xlsx (the bureau and its overseers).
pub async fn export_registrations(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let bytes = state.app.export_registrations(&ctx.actor, RoadshowId::new(id)).await?;
    Ok(super::xlsx_download(&super::export_name(&state, "路演报名"), bytes))
}

// ---------------------------------------------------------------------------------------------------------
// The roadshow form

/// The roadshow form as posted; the patent checkboxes repeat the `patent` key.
fn roadshow_form_from(pairs: &[(String, String)]) -> RoadshowForm {
    let mut f = RoadshowForm::default();
    for (k, v) in pairs {
        match k.as_str() {
            "title" => f.title = v.clone(),
            "held_on" => f.held_on = v.clone(),
            "mode" => f.mode = v.clone(),
            "venue" => f.venue = v.clone(),
            "online_link" => f.online_link = v.clone(),
            "chain_code" => f.chain_code = v.clone(),
            "description" => f.description = v.clone(),
            "registration_deadline" => f.registration_deadline = v.clone(),
            "patent" => f.patents.extend(v.trim().parse::<i64>().ok().map(PatentId::new)),
            _ => {}
        }
    }
    f
}

struct PatentChoice {
    id: PatentId,
    application_no: String,
    title: String,
    holder: String,
    chain: String,
}

#[derive(Template)]
#[template(path = "roadshow_form.html")]
struct RoadshowFormPage {
    chrome: Chrome,
    heading: String,
    action: String,
    form: RoadshowForm,
    chains: Vec<(String, String)>,
    modes: Vec<(&'static str, &'static str)>,
    choices: Vec<PatentChoice>,
    errors: FieldErrors,
}

impl RoadshowFormPage {
    fn chosen(&self, id: &PatentId) -> bool {
        self.form.patents.contains(id)
    }
}

async fn roadshow_form_page(
    state: &AppState,
    ctx: &Ctx,
    edit: Option<(RoadshowId, Vec<PatentChoice>)>,
    form: RoadshowForm,
    errors: FieldErrors,
) -> WebResult {
    let chains = all_chains(state).await?;
    let pool = state.app.roadshow_pool_choices(&ctx.actor, None).await?;
    // Patents already presented stay choosable even if they have left the pool since.
    let (edit, mut choices) = match edit {
        Some((id, presented)) => (Some(id), presented),
        None => (None, Vec::new()),
    };
    for p in pool {
        if !choices.iter().any(|c| c.id == p.patent_id) {
            choices.push(PatentChoice {
                id: p.patent_id,
                application_no: p.application_no,
                title: p.title,
                holder: p.holder_name,
                chain: chain_name(&chains, p.chain_code.as_deref()),
            });
        }
    }
    let (heading, action) = match edit {
        Some(id) => (format!("修改路演活动：{}", form.title), roadshow_path(id)),
        None => ("新建路演活动".to_owned(), "/roadshows".to_owned()),
    };
    Ok(render_with(
        status_of(&errors),
        &RoadshowFormPage {
            chrome: Chrome::new(state, ctx, &heading, "roadshows"),
            heading,
            action,
            form,
            chains,
            modes: RoadshowMode::ALL.iter().map(|m| (m.code(), m.label())).collect(),
            choices,
            errors,
        },
    ))
}

/// The form for a new roadshow (the bureau).
pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let form = RoadshowForm { mode: RoadshowMode::Onsite.code().to_owned(), ..RoadshowForm::default() };
    roadshow_form_page(&state, &ctx, None, form, FieldErrors::new()).await
}

/// Plans a roadshow.
pub async fn create(State(state): State<AppState>, ctx: Ctx, Form(pairs): Form<Vec<(String, String)>>) -> WebResult {
    let form = roadshow_form_from(&pairs);
    match state.app.create_roadshow(&ctx.actor, &form).await {
        Ok(id) => Ok(redirect_with_flash(&roadshow_path(id), "success", "路演活动已创建，企业现在可以报名。")),
        Err(ServiceError::Invalid(errors)) => roadshow_form_page(&state, &ctx, None, form, errors).await,
        Err(e) => Err(e.into()),
    }
}

async fn presented(state: &AppState, ctx: &Ctx, id: RoadshowId) -> WebResult<Vec<PatentChoice>> {
    let v = state.app.roadshow(&ctx.actor, id).await?;
    Ok(v.patents
        .into_iter()
        .map(|p| PatentChoice {
            id: p.patent_id,
            application_no: p.application_no,
            title: p.title,
            holder: p.holder_name.unwrap_or_default(),
            chain: String::new(),
        })
        .collect())
}

/// The edit form of a planned roadshow.
pub async fn edit_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let id = RoadshowId::new(id);
    let v = state.app.roadshow(&ctx.actor, id).await?;
    if v.roadshow.status != RoadshowStatus::Planned {
        return Err(WebError::invalid(format!("路演当前为“{}”，不能再修改", v.roadshow.status.label())));
    }
    let form = RoadshowForm::from_roadshow(&v.roadshow, &v.patents);
    let shown = presented(&state, &ctx, id).await?;
    roadshow_form_page(&state, &ctx, Some((id, shown)), form, FieldErrors::new()).await
}

/// Saves an edit; registered enterprises hear of a new date or place.
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let id = RoadshowId::new(id);
    let form = roadshow_form_from(&pairs);
    match state.app.update_roadshow(&ctx.actor, id, &form).await {
        Ok(()) => Ok(redirect_with_flash(&roadshow_path(id), "success", "路演活动已保存。")),
        Err(ServiceError::Invalid(errors)) => {
            let shown = presented(&state, &ctx, id).await?;
            roadshow_form_page(&state, &ctx, Some((id, shown)), form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Follow-up projects

/// A new project from a roadshow as posted.
#[derive(Debug, Default, Deserialize)]
pub struct RoadshowProjectInput {
    #[serde(default)]
    patent_id: String,
    #[serde(default)]
    enterprise_org_id: String,
}

fn flat(errors: &FieldErrors) -> String {
    errors.0.values().flatten().cloned().collect::<Vec<_>>().join("；")
}

/// Opens a follow-up project for a presented patent and an enterprise after a held roadshow.
pub async fn open_project(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<RoadshowProjectInput>,
) -> WebResult {
    let roadshow = RoadshowId::new(id);
    let (Ok(patent), Ok(enterprise)) = (f.patent_id.trim().parse::<i64>(), f.enterprise_org_id.trim().parse::<i64>())
    else {
        return Ok(redirect_with_flash(&roadshow_path(roadshow), "error", "请选择专利和企业"));
    };
    let new = NewProject::Roadshow { roadshow, patent: PatentId::new(patent), enterprise: OrgId::new(enterprise) };
    after_open(&state, &ctx, new, &roadshow_path(roadshow)).await
}

/// A new project from a match record as posted.
#[derive(Debug, Default, Deserialize)]
pub struct MatchProjectInput {
    #[serde(default)]
    match_id: String,
}

/// Opens a follow-up project from a match record.
pub async fn open_project_from_match(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<MatchProjectInput>,
) -> WebResult {
    let Ok(m) = f.match_id.trim().trim_start_matches('#').parse::<i64>() else {
        return Ok(redirect_with_flash("/follow-ups", "error", "请填写匹配记录编号"));
    };
    after_open(&state, &ctx, NewProject::Match(MatchId::new(m)), "/follow-ups").await
}

async fn after_open(state: &AppState, ctx: &Ctx, new: NewProject, back: &str) -> WebResult {
    match state.app.create_follow_up_project(&ctx.actor, new).await {
        Ok(id) => Ok(redirect_with_flash(&project_path(id), "success", "跟踪项目已建立，请记录每次跟进情况。")),
        Err(ServiceError::Invalid(errors)) => Ok(redirect_with_flash(back, "error", &flat(&errors))),
        Err(ServiceError::Conflict(c)) => Ok(redirect_with_flash(back, "error", &c.to_string())),
        // Another institution's match record is not found, like any record that does not exist.
        Err(ServiceError::NotFound) if matches!(new, NewProject::Match(_)) => {
            Ok(redirect_with_flash(back, "error", "没有该编号的匹配记录，或它不涉及本单位的专利"))
        }
        Err(e) => Err(e.into()),
    }
}

/// The project list's query string.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct ProjectQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    roadshow: String,
    #[serde(default)]
    holder: String,
    #[serde(default)]
    page: Option<u32>,
}

impl ProjectQuery {
    fn query_string(&self) -> String {
        let pairs: Vec<(&str, &str)> =
            [("state", self.state.as_str()), ("roadshow", self.roadshow.as_str()), ("holder", self.holder.as_str())]
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "roadshow_projects.html")]
struct ProjectsPage {
    chrome: Chrome,
    q: ProjectQuery,
    states: Vec<(&'static str, &'static str)>,
    roadshows: Vec<(i64, String)>,
    holders: Vec<(i64, String)>,
    projects: Vec<ProjectRow>,
    prev: Option<String>,
    next: Option<String>,
    can_open: bool,
}

/// Follow-up projects the actor may see: filters by state, roadshow and institution.
pub async fn projects(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ProjectQuery>) -> WebResult {
    let page = q.page.unwrap_or(1).max(1);
    let filter = ProjectFilter {
        state: q.state.parse().ok(),
        roadshow: q.roadshow.trim().parse::<i64>().ok().map(RoadshowId::new),
        holder_org: q.holder.trim().parse::<i64>().ok().map(OrgId::new),
        limit: PROJECTS_PER_PAGE + 1,
        offset: (page - 1).saturating_mul(PROJECTS_PER_PAGE),
        ..ProjectFilter::default()
    };
    let mut found = state.app.list_follow_up_projects(&ctx.actor, &filter).await?;
    let more = found.len() > PROJECTS_PER_PAGE as usize;
    found.truncate(PROJECTS_PER_PAGE as usize);
    let roadshows = state
        .app
        .list_roadshows(&ctx.actor, &RoadshowFilter { status: Some(RoadshowStatus::Held), ..RoadshowFilter::default() })
        .await?
        .into_iter()
        .map(|r| (r.id.get(), format!("{} {}", r.fields.held_on, r.fields.title)))
        .collect();
    // The institution filter lists the holders of the projects the actor sees (an institution sees its own).
    let everything = state.app.list_follow_up_projects(&ctx.actor, &ProjectFilter::default()).await?;
    let mut holders: Vec<(i64, String)> = Vec::new();
    for p in &everything {
        if let (Some(id), Some(name)) = (p.holder_org_id, &p.holder_name)
            && !holders.iter().any(|(h, _)| *h == id.get())
        {
            holders.push((id.get(), name.clone()));
        }
    }
    holders.sort_by(|a, b| a.1.cmp(&b.1));
    let qs = q.query_string();
    Ok(render(&ProjectsPage {
        chrome: Chrome::new(&state, &ctx, "跟踪服务", "follow-ups"),
        states: ProjectState::ALL.iter().map(|s| (s.code(), s.label())).collect(),
        roadshows,
        holders,
        projects: found.iter().map(project_row).collect(),
        prev: (page > 1).then(|| page_link("/follow-ups", &qs, page - 1)),
        next: more.then(|| page_link("/follow-ups", &qs, page + 1)),
        can_open: ctx.can(Permission::RecordFollowUps),
        q,
    }))
}

struct EntryRow {
    happened_on: String,
    by: String,
    contact: String,
    content: String,
    next_step: String,
    next_on: String,
    outcome: FollowUpOutcome,
    close_reason: String,
    recorded_at: String,
}

fn entry_row(e: &FollowUp) -> EntryRow {
    EntryRow {
        happened_on: e.entry.happened_on.to_string(),
        by: e.by_name.clone(),
        contact: e.entry.contact.clone(),
        content: e.entry.content.clone(),
        next_step: e.entry.next_step.clone(),
        next_on: e.entry.next_on.map(|d| d.to_string()).unwrap_or_default(),
        outcome: e.entry.outcome,
        close_reason: e.entry.close_reason.clone(),
        recorded_at: time(e.recorded_at),
    }
}

#[derive(Template)]
#[template(path = "roadshow_project.html")]
struct ProjectPage {
    chrome: Chrome,
    p: FollowUpProject,
    entries: Vec<EntryRow>,
    may_record: bool,
    may_deal: bool,
    form: FollowUpInput,
    errors: FieldErrors,
}

async fn project_page(
    state: &AppState,
    ctx: &Ctx,
    id: FollowUpProjectId,
    form: FollowUpInput,
    errors: FieldErrors,
) -> WebResult {
    let v = state.app.follow_up_project(&ctx.actor, id).await?;
    let open = v.project.state == ProjectState::Open;
    Ok(render_with(
        status_of(&errors),
        &ProjectPage {
            chrome: Chrome::new(state, ctx, &format!("跟踪项目：{}", v.project.patent_title), "follow-ups"),
            entries: v.entries.iter().map(entry_row).collect(),
            may_record: v.may_record && open,
            may_deal: v.may_record && open && ctx.can(Permission::RecordDeals),
            p: v.project,
            form,
            errors,
        },
    ))
}

/// One project with its log and, for whoever keeps it, the form for the next entry.
pub async fn project(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let today = china_time(state.app.now()).date_naive().to_string();
    let form = FollowUpInput { happened_on: today, outcome: "continuing".to_owned(), ..FollowUpInput::default() };
    project_page(&state, &ctx, FollowUpProjectId::new(id), form, FieldErrors::new()).await
}

/// A log entry as posted.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct FollowUpInput {
    #[serde(default)]
    happened_on: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    next_step: String,
    #[serde(default)]
    next_on: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    close_reason: String,
}

/// Adds a log entry (continuing, or closing the project with a reason).
pub async fn record_entry(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<FollowUpInput>,
) -> WebResult {
    let id = FollowUpProjectId::new(id);
    let form = FollowUpForm {
        happened_on: f.happened_on.clone(),
        contact: f.contact.clone(),
        content: f.content.clone(),
        next_step: f.next_step.clone(),
        next_on: f.next_on.clone(),
        outcome: f.outcome.clone(),
        close_reason: f.close_reason.clone(),
    };
    match state.app.record_follow_up(&ctx.actor, id, &form).await {
        Ok(ProjectState::Closed) => Ok(redirect_with_flash(&project_path(id), "success", "已记录，跟踪项目已终止。")),
        Ok(_) => Ok(redirect_with_flash(&project_path(id), "success", "跟进情况已记录。")),
        Err(ServiceError::Invalid(errors)) => project_page(&state, &ctx, id, f, errors).await,
        Err(e) => Err(e.into()),
    }
}
