//! Match records (匹配记录): the list with counts by state, a record with its reasons, history and next
//! steps, the enterprise's feedback, the export, and 我有意向 from the matched patents.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use ipbridge_domain::Permission;
use ipbridge_domain::ids::{DemandId, MatchId, PatentId};
use ipbridge_domain::matching::{MatchEvent, MatchOrigin, MatchSide, MatchState, NotInterestedReason};
use ipbridge_domain::org::OrgKind;
use ipbridge_service::auth::china_time;
use ipbridge_service::matches::{MatchChange, MatchView};
use ipbridge_service::{FieldErrors, MatchFilter, MatchRecord, MatchSort, ServiceError};
use serde::Deserialize;

use super::admin::Pager;
use super::{Chrome, redirect_with_flash, render_with};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::{WebError, WebResult};

/// Records per list page.
const PER_PAGE: u32 = 20;

fn match_path(id: impl std::fmt::Display) -> String {
    format!("/matches/{id}")
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    china_time(t).format("%Y-%m-%d %H:%M").to_string()
}

/// Whether the actor is an enterprise member taking part in matches (its pushes are "推送给我的专利").
fn enterprise_party(ctx: &Ctx) -> bool {
    ctx.can(Permission::HandleMatches) && ctx.user().is_some_and(|s| s.user.org_kind == OrgKind::Enterprise)
}

/// The list's query string.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct MatchQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    origin: String,
    /// Waiting in its state for at least this many days.
    #[serde(default)]
    days: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    patent: String,
    #[serde(default)]
    demand: String,
    /// "" (latest change), "waiting" (longest waiting) or "score".
    #[serde(default)]
    sort: String,
    #[serde(default)]
    page: Option<u32>,
}

impl MatchQuery {
    fn filter(&self, state: &AppState) -> MatchFilter {
        MatchFilter {
            state: self.state.parse().ok(),
            origin: self.origin.parse().ok(),
            state_changed_before: self
                .days
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|d| *d > 0)
                .map(|d| state.app.days_ago(d)),
            text: Some(self.q.trim().to_owned()).filter(|t| !t.is_empty()),
            patent_id: self.patent.trim().parse().ok().map(PatentId::new),
            demand_id: self.demand.trim().parse().ok().map(DemandId::new),
            sort: match self.sort.as_str() {
                "waiting" => MatchSort::LongestWaiting,
                "score" => MatchSort::Score,
                _ => MatchSort::RecentChange,
            },
            limit: PER_PAGE,
            offset: self.page.unwrap_or(1).max(1).saturating_sub(1).saturating_mul(PER_PAGE),
            ..MatchFilter::default()
        }
    }

    fn pairs(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("state", self.state.as_str()),
            ("origin", self.origin.as_str()),
            ("days", self.days.as_str()),
            ("q", self.q.as_str()),
            ("patent", self.patent.as_str()),
            ("demand", self.demand.as_str()),
            ("sort", self.sort.as_str()),
        ]
    }

    /// The query string with `name` set to `value` ("" removes it), back on page 1.
    fn with(&self, name: &str, value: &str) -> String {
        let pairs: Vec<(&str, &str)> = self
            .pairs()
            .into_iter()
            .map(|(k, v)| if k == name { (k, value) } else { (k, v) })
            .filter(|(_, v)| !v.is_empty())
            .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    fn query_string(&self) -> String {
        self.with("", "")
    }
}

struct MatchRow {
    id: MatchId,
    patent_title: String,
    application_no: String,
    enterprise: String,
    holder: String,
    demand: Option<(DemandId, String)>,
    origin: &'static str,
    state: MatchState,
    relative: Option<u64>,
    age_days: i64,
    days_in_state: i64,
    changed: String,
}

fn row(r: &MatchRecord, now: chrono::DateTime<chrono::Utc>) -> MatchRow {
    MatchRow {
        id: r.id,
        patent_title: r.patent_title.clone(),
        application_no: r.application_no.clone(),
        enterprise: r.enterprise_name.clone(),
        holder: r.holder_name.clone().unwrap_or_default(),
        demand: r.demand_id.zip(r.demand_title.clone()),
        origin: r.origin.label(),
        state: r.state,
        relative: r.explanation.get("relative").and_then(serde_json::Value::as_u64),
        age_days: r.age_days(now),
        days_in_state: r.days_in_state(now),
        changed: time(r.state_changed_at),
    }
}

/// A state tab with its count.
struct StateTab {
    label: &'static str,
    count: u64,
    href: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "matches.html")]
struct MatchesPage {
    chrome: Chrome,
    heading: &'static str,
    intro: &'static str,
    q: MatchQuery,
    tabs: Vec<StateTab>,
    all_href: String,
    total_all: u64,
    origins: Vec<(&'static str, &'static str)>,
    rows: Vec<MatchRow>,
    pager: Pager,
    export_href: Option<String>,
}

/// The records the actor may see: an enterprise its own, a holder those on its patents, the bureau all.
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<MatchQuery>) -> WebResult {
    let mut filter = q.filter(&state);
    let mut result = state.app.list_matches(&ctx.actor, &filter).await?;
    let pages = u32::try_from(result.total.div_ceil(u64::from(PER_PAGE))).unwrap_or(u32::MAX).max(1);
    let mut page = q.page.unwrap_or(1).max(1);
    if page > pages {
        page = pages;
        filter.offset = (page - 1) * PER_PAGE;
        result = state.app.list_matches(&ctx.actor, &filter).await?;
    }
    let now = state.app.now();
    let count = |s: MatchState| result.by_state.iter().find(|(x, _)| *x == s).map_or(0, |(_, n)| *n);
    let tabs = MatchState::ALL
        .into_iter()
        .map(|s| StateTab {
            label: s.label(),
            count: count(s),
            href: format!("/matches?{}", q.with("state", s.code())),
            selected: q.state == s.code(),
        })
        .collect();
    let pushed = enterprise_party(&ctx) && q.origin == MatchOrigin::Push.code();
    let (heading, intro, active) = if pushed {
        (
            "推送给我的专利",
            "市场监管局根据贵企业的经营范围、技术需求和产业链推送的专利。请查看并反馈是否有意向。",
            "pushed",
        )
    } else if ctx.can(Permission::ViewAllMatches) {
        ("匹配记录", "全部供需匹配记录及其对接状态、存续天数。", "matches")
    } else {
        (
            "匹配记录",
            "与本单位有关的供需匹配：本单位提出意向或收到推送的专利，以及本单位专利收到的企业意向。",
            "matches",
        )
    };
    let qs = q.query_string();
    Ok(render_with(
        StatusCode::OK,
        &MatchesPage {
            chrome: Chrome::new(&state, &ctx, heading, active),
            heading,
            intro,
            tabs,
            all_href: format!("/matches?{}", q.with("state", "")),
            total_all: result.by_state.iter().map(|(_, n)| n).sum(),
            origins: MatchOrigin::ALL.iter().map(|o| (o.code(), o.label())).collect(),
            rows: result.records.iter().map(|r| row(r, now)).collect(),
            pager: Pager::per(page, result.total, PER_PAGE, |p| format!("/matches?{qs}&page={p}")),
            export_href: ctx.can(Permission::ViewAllMatches).then(|| format!("/matches/export?{qs}")),
            q,
        },
    ))
}

/// Every record of the filter as xlsx, with state and age (the bureau).
pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(q): Query<MatchQuery>) -> WebResult {
    let bytes = state.app.export_matches(&ctx.actor, &q.filter(&state)).await?;
    Ok(super::xlsx_download(&super::export_name(&state, "匹配记录"), bytes))
}

/// The reasons a record was saved with, read from the matcher's explanation (stored as given): the terms found,
/// shared classes and chains for a patent matched to a need; the profile terms for an enterprise a patent was
/// pushed to.
fn reasons_of(v: &serde_json::Value) -> Vec<String> {
    let list = |key: &str| -> Vec<String> {
        v.get(key)
            .and_then(serde_json::Value::as_array)
            .map(|a| a.iter().filter_map(serde_json::Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    if let Some(r) = v.get("relative").and_then(serde_json::Value::as_u64) {
        out.push(format!("匹配度 {r}%（与当时的最佳结果相比）"));
    }
    let terms = list("matched_terms");
    if !terms.is_empty() {
        out.push(format!("命中关键词：{}", terms.join("、")));
    }
    let profile = list("reasons");
    if !profile.is_empty() {
        out.push(format!("命中：{}", profile.join("；")));
    }
    let titles = list("shared_ipc_titles");
    let ipc = if titles.is_empty() { list("shared_ipc") } else { titles };
    if !ipc.is_empty() {
        out.push(format!("相同分类：{}", ipc.join("；")));
    }
    let chains = list("chains");
    if v.get("same_chain").and_then(serde_json::Value::as_bool) == Some(true) {
        out.push(if chains.is_empty() {
            "属于同一产业链".to_owned()
        } else {
            format!("属于同一产业链（{}）", chains.join("、"))
        });
    }
    let shared_chains = list("shared_chains");
    if !shared_chains.is_empty() {
        out.push(format!("同属产业链：{}", shared_chains.join("、")));
    }
    out
}

struct EventRow {
    at: String,
    actor: String,
    side: &'static str,
    what: String,
    note: String,
}

fn event_row(e: &MatchEvent) -> EventRow {
    let what = match e.from {
        Some(from) => format!("{} → {}", from.label(), e.to.label()),
        None => format!("创建（{}）", e.to.label()),
    };
    let note = match (e.reason, e.note.is_empty()) {
        (Some(r), true) => r.label().to_owned(),
        (Some(r), false) => format!("{}：{}", r.label(), e.note),
        (None, _) => e.note.clone(),
    };
    EventRow {
        at: time(e.at),
        actor: e.actor_name.clone(),
        side: e.side.map(MatchSide::label).unwrap_or(""),
        what,
        note,
    }
}

/// The button that moves a record to a state.
fn button_label(to: MatchState) -> &'static str {
    match to {
        MatchState::Proposed => "退回为已推荐",
        MatchState::Viewed => "标记为已查看",
        MatchState::Interested => "我有意向",
        MatchState::NotInterested => "暂无意向",
        MatchState::InContact => "已与对方取得联系",
        MatchState::Negotiating => "进入洽谈",
        MatchState::Deal => "已成交",
        MatchState::Closed => "关闭对接",
    }
}

/// What the forms on the record's page were filled with (kept when the page re-renders with an error).
#[derive(Debug, Default, Deserialize, Clone)]
pub struct TransitionInput {
    #[serde(default)]
    to: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

#[derive(Template)]
#[template(path = "match_record.html")]
struct MatchRecordPage {
    chrome: Chrome,
    r: MatchRecord,
    reasons: Vec<String>,
    events: Vec<EventRow>,
    side: &'static str,
    /// Buttons: (state code, label, whether it ends the match).
    steps: Vec<(&'static str, &'static str, bool)>,
    can_refuse: bool,
    refusal_reasons: Vec<(&'static str, &'static str)>,
    refused: Option<String>,
    age_days: i64,
    days_in_state: i64,
    link_enterprise: bool,
    pool_feedback: bool,
    input: TransitionInput,
    errors: FieldErrors,
}

async fn record_page(
    state: &AppState,
    ctx: &Ctx,
    view: MatchView,
    input: TransitionInput,
    errors: FieldErrors,
) -> WebResult {
    let now = state.app.now();
    // The enterprise rates a pool patent (产业化前景, 改进需求, 合作意向) on the pool's page.
    let pool_feedback = view.side == Some(MatchSide::Enterprise)
        && state.app.pool_detail(&ctx.actor, view.record.patent_id).await.is_ok();
    let r = view.record;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let refused = r.feedback.as_ref().filter(|_| r.state == MatchState::NotInterested).map(|f| {
        if f.text.is_empty() { f.reason.label().to_owned() } else { format!("{}：{}", f.reason.label(), f.text) }
    });
    Ok(render_with(
        status,
        &MatchRecordPage {
            chrome: Chrome::new(state, ctx, &format!("匹配记录 #{}", r.id), "matches"),
            reasons: reasons_of(&r.explanation),
            events: view.events.iter().map(event_row).collect(),
            side: view.side.map(MatchSide::label).unwrap_or(""),
            steps: view
                .next_states
                .iter()
                .filter(|s| **s != MatchState::NotInterested)
                .map(|s| (s.code(), button_label(*s), !s.is_open()))
                .collect(),
            can_refuse: view.next_states.contains(&MatchState::NotInterested),
            refusal_reasons: NotInterestedReason::ALL.iter().map(|r| (r.code(), r.label())).collect(),
            refused,
            age_days: r.age_days(now),
            days_in_state: r.days_in_state(now),
            link_enterprise: ctx.can(Permission::ViewAllOrgs)
                || ctx.user().is_some_and(|s| s.user.org_id == r.enterprise_org_id),
            pool_feedback,
            r,
            input,
            errors,
        },
    ))
}

/// One record; opening it as the enterprise marks a proposal viewed (and tells the holder).
pub async fn detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let view = state.app.open_match(&ctx.actor, MatchId::new(id)).await?;
    record_page(&state, &ctx, view, TransitionInput::default(), FieldErrors::new()).await
}

/// Moves a record to the chosen state as the actor's side; a refusal needs its reason.
pub async fn transition(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(input): Form<TransitionInput>,
) -> WebResult {
    let mid = MatchId::new(id);
    let mut errors = FieldErrors::new();
    let to = input.to.parse::<MatchState>().ok();
    if to.is_none() {
        errors.add("state", "请选择要变更的状态");
    }
    let reason = match input.reason.trim() {
        "" => None,
        code => match code.parse::<NotInterestedReason>() {
            Ok(r) => Some(r),
            Err(_) => {
                errors.add("reason", "无意向的原因不在可选范围内，请重新选择");
                None
            }
        },
    };
    if let (true, Some(to)) = (errors.is_empty(), to) {
        let change = MatchChange { to, reason, note: input.note.clone() };
        match state.app.transition_match(&ctx.actor, mid, &change).await {
            Ok(now) => {
                let message = match now {
                    MatchState::Interested => "已表达意向，专利权人将收到通知。".to_owned(),
                    MatchState::NotInterested => "已反馈暂无意向，感谢您说明原因。".to_owned(),
                    other => format!("对接状态已变更为“{}”，对方将收到通知。", other.label()),
                };
                return Ok(redirect_with_flash(&match_path(id), "success", &message));
            }
            Err(ServiceError::Invalid(e)) => errors = e,
            Err(e) => return Err(e.into()),
        }
    }
    let view = state.app.match_view(&ctx.actor, mid).await?;
    record_page(&state, &ctx, view, input, errors).await
}

/// An optional note with 我有意向.
#[derive(Debug, Default, Deserialize)]
pub struct InterestForm {
    #[serde(default)]
    note: String,
}

/// 我有意向 on a matched patent (an enterprise member): creates the record as interested (or moves its open
/// record there) and tells the holder; then shows the record.
pub async fn interest(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<InterestForm>,
) -> WebResult {
    match state.app.express_interest(&ctx.actor, PatentId::new(id), None, &f.note).await {
        Ok(saved) if saved.created => {
            Ok(redirect_with_flash(&match_path(saved.id), "success", "已表达意向，专利权人将收到站内通知并与您联系。"))
        }
        Ok(saved) => Ok(redirect_with_flash(
            &match_path(saved.id),
            "info",
            &format!("贵企业与该专利已有匹配记录，当前状态：{}。", saved.state.label()),
        )),
        Err(ServiceError::Invalid(errors)) => {
            Err(WebError::invalid(errors.0.values().flatten().cloned().collect::<Vec<_>>().join("；")))
        }
        Err(e) => Err(e.into()),
    }
}
