//! Enterprise inquiries (企业咨询): the list with each inquiry's countdown (剩余 N 个工作日, 今日到期, 已逾期 N
//! 个工作日), the bureau's overdue view per institution, an inquiry with its answer form, and the home page's
//! overdue and due-soon panel for the institution side.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use ipbridge_domain::Permission;
use ipbridge_domain::ids::InquiryId;
use ipbridge_domain::revitalisation::{InquiryState, ResponseClock};
use ipbridge_service::auth::china_time;
use ipbridge_service::revitalisation::inquiries::{InquiryAlerts, InquiryFilter, InquiryRow, InquirySort};
use ipbridge_service::{FieldErrors, ServiceError};
use serde::Deserialize;

use super::admin::Pager;
use super::{Chrome, redirect_with_flash, render_with};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::WebResult;

/// Inquiries per list page.
const PER_PAGE: u32 = 20;

fn inquiry_path(id: impl std::fmt::Display) -> String {
    format!("/inquiries/{id}")
}

/// The list's query string.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct InquiryQuery {
    #[serde(default)]
    state: String,
    /// "1": only open inquiries past due.
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    page: Option<u32>,
}

impl InquiryQuery {
    fn filter(&self, today: chrono::NaiveDate, page: u32) -> InquiryFilter {
        let overdue = self.overdue == "1";
        InquiryFilter {
            state: if overdue { None } else { self.state.parse().ok() },
            overdue_on: overdue.then_some(today),
            sort: if overdue || self.state == "open" { InquirySort::DueFirst } else { InquirySort::RecentFirst },
            limit: PER_PAGE,
            offset: page.max(1).saturating_sub(1).saturating_mul(PER_PAGE),
            ..InquiryFilter::default()
        }
    }

    fn query_string(&self) -> String {
        let pairs: Vec<(&str, &str)> = [("state", self.state.as_str()), ("overdue", self.overdue.as_str())]
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// An inquiry as lists show it.
pub struct InquiryLine {
    id: InquiryId,
    patent_id: i64,
    patent_title: String,
    application_no: String,
    enterprise: String,
    holder: String,
    asked: String,
    due: String,
    state: InquiryState,
    clock: String,
    /// `overdue`, `today`, `soon`, `ok`, `late` or "": the countdown's style.
    urgency: &'static str,
}

/// How urgent a clock is, for its style.
fn urgency(clock: Option<ResponseClock>) -> &'static str {
    match clock {
        Some(ResponseClock::Overdue { .. }) => "overdue",
        Some(ResponseClock::Pending { working_days_left: 0 }) => "today",
        Some(ResponseClock::Pending { working_days_left }) if working_days_left <= 3 => "soon",
        Some(ResponseClock::Pending { .. }) | Some(ResponseClock::AnsweredInTime) => "ok",
        Some(ResponseClock::AnsweredLate { .. }) => "late",
        None => "",
    }
}

/// The line of an inquiry.
pub fn line(r: &InquiryRow) -> InquiryLine {
    let q = &r.inquiry;
    InquiryLine {
        id: q.id,
        patent_id: q.patent_id.get(),
        patent_title: q.patent_title.clone(),
        application_no: q.application_no.clone(),
        enterprise: q.enterprise_name.clone(),
        holder: q.holder_name.clone(),
        asked: china_time(q.asked_at).format("%Y-%m-%d %H:%M").to_string(),
        due: q.due_on.to_string(),
        state: q.state,
        clock: r.clock.map(|c| c.to_string()).unwrap_or_default(),
        urgency: urgency(r.clock),
    }
}

struct OverdueLine {
    holder: String,
    overdue: u64,
    oldest_due: String,
}

#[derive(Template)]
#[template(path = "inquiries.html")]
struct InquiriesPage {
    chrome: Chrome,
    q: InquiryQuery,
    rows: Vec<InquiryLine>,
    pager: Pager,
    states: Vec<(&'static str, &'static str)>,
    overdue_by_holder: Option<Vec<OverdueLine>>,
    intro: &'static str,
}

/// The inquiries the actor may see: an enterprise its own, the institution side its scope, the bureau all
/// (with the overdue list per institution).
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<InquiryQuery>) -> WebResult {
    let today = state.app.china_today();
    let mut page = q.page.unwrap_or(1).max(1);
    let mut result = state.app.list_inquiries(&ctx.actor, &q.filter(today, page)).await?;
    let pages = u32::try_from(result.total.div_ceil(u64::from(PER_PAGE))).unwrap_or(u32::MAX).max(1);
    if page > pages {
        page = pages;
        result = state.app.list_inquiries(&ctx.actor, &q.filter(today, page)).await?;
    }
    let overdue_by_holder = if ctx.can(Permission::ViewAllInventory) {
        Some(
            state
                .app
                .overdue_inquiries_by_holder(&ctx.actor)
                .await?
                .into_iter()
                .map(|o| OverdueLine {
                    holder: o.holder_name,
                    overdue: o.overdue,
                    oldest_due: o.oldest_due_on.to_string(),
                })
                .collect(),
        )
    } else {
        None
    };
    let intro = if ctx.can(Permission::ViewAllInventory) {
        "全市企业向高校院所提出的咨询及答复情况；逾期未答复的按单位列出。"
    } else if ctx.can(Permission::AskInquiries) {
        "贵企业向专利权人提出的咨询。专利权人应在规定的工作日内答复。"
    } else {
        "企业就本单位专利提出的咨询，请在到期日前答复。"
    };
    let qs = q.query_string();
    Ok(render_with(
        StatusCode::OK,
        &InquiriesPage {
            chrome: Chrome::new(&state, &ctx, "企业咨询", "inquiries"),
            rows: result.rows.iter().map(line).collect(),
            pager: Pager::per(page, result.total, PER_PAGE, |p| format!("/inquiries?{qs}&page={p}")),
            states: InquiryState::ALL.iter().map(|s| (s.code(), s.label())).collect(),
            overdue_by_holder,
            intro,
            q,
        },
    ))
}

/// The answer or closing form as typed.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct InquiryInput {
    #[serde(default)]
    answer: String,
    #[serde(default)]
    reason: String,
}

#[derive(Template)]
#[template(path = "inquiry.html")]
struct InquiryPage {
    chrome: Chrome,
    l: InquiryLine,
    question: String,
    asked_by: String,
    answer: String,
    answered_by: String,
    answered_at: String,
    close_reason: String,
    match_id: Option<i64>,
    can_answer: bool,
    can_close: bool,
    input: InquiryInput,
    errors: FieldErrors,
}

async fn inquiry_page(
    state: &AppState,
    ctx: &Ctx,
    id: InquiryId,
    input: InquiryInput,
    errors: FieldErrors,
) -> WebResult {
    let view = state.app.inquiry_view(&ctx.actor, id).await?;
    let q = &view.row.inquiry;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render_with(
        status,
        &InquiryPage {
            chrome: Chrome::new(state, ctx, &format!("企业咨询 #{id}"), "inquiries"),
            question: q.question.clone(),
            asked_by: q.asked_by_name.clone(),
            answer: q.answer.clone(),
            answered_by: q.answered_by_name.clone(),
            answered_at: q.answered_at.map(|t| china_time(t).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default(),
            close_reason: q.close_reason.clone(),
            match_id: q.match_id.map(|m| m.get()),
            can_answer: view.can_answer,
            can_close: view.can_close,
            l: line(&view.row),
            input,
            errors,
        },
    ))
}

/// One inquiry with its answer, or the answer form for the institution side.
pub async fn detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    inquiry_page(&state, &ctx, InquiryId::new(id), InquiryInput::default(), FieldErrors::new()).await
}

/// The institution side answers; the enterprise is told.
pub async fn answer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(input): Form<InquiryInput>,
) -> WebResult {
    let iid = InquiryId::new(id);
    match state.app.answer_inquiry(&ctx.actor, iid, &input.answer).await {
        Ok(()) => Ok(redirect_with_flash(&inquiry_path(id), "success", "已答复，企业将收到站内通知。")),
        Err(ServiceError::Invalid(errors)) => inquiry_page(&state, &ctx, iid, input, errors).await,
        Err(e) => Err(e.into()),
    }
}

/// The enterprise withdraws its question, or a bureau officer closes it; the other parties are told.
pub async fn close(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(input): Form<InquiryInput>,
) -> WebResult {
    let iid = InquiryId::new(id);
    match state.app.close_inquiry(&ctx.actor, iid, &input.reason).await {
        Ok(()) => Ok(redirect_with_flash(&inquiry_path(id), "success", "咨询已关闭。")),
        Err(ServiceError::Invalid(errors)) => inquiry_page(&state, &ctx, iid, input, errors).await,
        Err(e) => Err(e.into()),
    }
}

/// The home page's panel of the institution side: overdue and due-soon inquiries.
#[derive(Template)]
#[template(path = "inquiry_alerts.html")]
pub struct AlertsPanel {
    overdue: Vec<InquiryLine>,
    due_soon: Vec<InquiryLine>,
}

impl AlertsPanel {
    /// The panel for these alerts; none when nothing needs attention.
    pub fn new(alerts: &InquiryAlerts) -> Option<AlertsPanel> {
        if alerts.overdue.is_empty() && alerts.due_soon.is_empty() {
            return None;
        }
        Some(AlertsPanel {
            overdue: alerts.overdue.iter().map(line).collect(),
            due_soon: alerts.due_soon.iter().map(line).collect(),
        })
    }

    /// The panel as HTML, for the home page.
    pub fn html(&self) -> String {
        self.render().unwrap_or_default()
    }
}
