//! The public transferable pool (可转化专利资源库): the list with its filters and a patent's page, open to
//! anonymous visitors; 我有意向, feedback and questions for enterprise members.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use ipbridge_domain::Permission;
use ipbridge_domain::demand::CooperationMode;
use ipbridge_domain::ids::{MatchId, PatentId};
use ipbridge_domain::matching::{MatchState, NotInterestedReason};
use ipbridge_domain::revitalisation::{CooperationIntent, IndustrialisationProspect, Tier, TransferIntent, Trl};
use ipbridge_service::auth::china_time;
use ipbridge_service::revitalisation::pool::{FeedbackForm, PoolDetail, PoolItem, PoolQuery, PoolSort, StoredFeedback};
use ipbridge_service::{App, FieldErrors, ServiceError};
use serde::Deserialize;

use super::admin::Pager;
use super::demands::budget_text;
use super::{Chrome, redirect_with_flash, render_with};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::{WebError, WebResult};

/// Patents per list page.
const PER_PAGE: u32 = 20;

fn pool_path(id: impl std::fmt::Display) -> String {
    format!("/pool/{id}")
}

/// The list's query string, as typed.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct PoolListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    chain: String,
    #[serde(default)]
    ipc: String,
    #[serde(default)]
    trl_min: String,
    #[serde(default)]
    trl_max: String,
    #[serde(default)]
    intent: String,
    #[serde(default)]
    holder: String,
    /// "" (latest into the pool), "maturity" or "filing".
    #[serde(default)]
    sort: String,
    #[serde(default)]
    page: Option<u32>,
}

impl PoolListQuery {
    fn query(&self, page: u32) -> PoolQuery {
        let trl = |s: &str| s.trim().parse::<u8>().ok().and_then(|v| Trl::new(v).ok());
        PoolQuery {
            chain: Some(self.chain.trim().to_owned()).filter(|c| !c.is_empty()),
            ipc_prefix: Some(self.ipc.trim().to_owned()).filter(|c| !c.is_empty()),
            trl_min: trl(&self.trl_min),
            trl_max: trl(&self.trl_max),
            intent: self.intent.parse().ok(),
            holder_org: self.holder.trim().parse().ok().map(ipbridge_domain::ids::OrgId::new),
            text: Some(self.q.trim().to_owned()).filter(|t| !t.is_empty()),
            sort: match self.sort.as_str() {
                "maturity" => PoolSort::Maturity,
                "filing" => PoolSort::FilingDate,
                _ => PoolSort::RecentlyPooled,
            },
            limit: PER_PAGE,
            offset: page.max(1).saturating_sub(1).saturating_mul(PER_PAGE),
        }
    }

    fn query_string(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("q", self.q.as_str()),
            ("chain", self.chain.as_str()),
            ("ipc", self.ipc.as_str()),
            ("trl_min", self.trl_min.as_str()),
            ("trl_max", self.trl_max.as_str()),
            ("intent", self.intent.as_str()),
            ("holder", self.holder.as_str()),
            ("sort", self.sort.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// A pool patent as the list and the detail show it.
pub struct PoolCard {
    id: PatentId,
    title: String,
    application_no: String,
    patent_type: &'static str,
    filing_date: String,
    main_ipc: String,
    holder: String,
    intent: &'static str,
    implemented: bool,
    maturity: String,
    price: String,
    problem_solved: String,
    advantage: String,
    application_fields: String,
    route_to_market: String,
    tier: Tier,
    /// "3 家有意向，平均前景 3.7": for the holder and the bureau only.
    counts: Option<String>,
}

/// The counts behind a tier in words.
pub fn counts_text(s: &ipbridge_domain::revitalisation::FeedbackSummary) -> String {
    match App::average_prospect_text(s) {
        Some(avg) => format!("{} 家有意向，{} 家评价，平均前景 {avg}", s.interested_enterprises, s.ratings),
        None => format!("{} 家有意向，暂无评价", s.interested_enterprises),
    }
}

fn card(item: &PoolItem) -> PoolCard {
    let e = &item.entry;
    PoolCard {
        id: e.patent_id,
        title: e.title.clone(),
        application_no: e.application_no.clone(),
        patent_type: e.patent_type.label(),
        filing_date: e.filing_date.map(|d| d.to_string()).unwrap_or_default(),
        main_ipc: e.main_ipc.clone().unwrap_or_default(),
        holder: e.holder_name.clone(),
        intent: e.transfer_intent.map_or("", TransferIntent::label),
        implemented: e.already_implemented,
        maturity: e.brief.maturity.map(|t| format!("TRL{}（{}）", t.level(), t.label())).unwrap_or_default(),
        price: budget_text(e.price.min, e.price.max),
        problem_solved: e.brief.problem_solved.clone(),
        advantage: e.brief.advantage.clone(),
        application_fields: e.brief.application_fields.clone(),
        route_to_market: e.brief.route_to_market.clone(),
        tier: item.tier,
        counts: item.summary.as_ref().map(counts_text),
    }
}

#[derive(Template)]
#[template(path = "pool.html")]
struct PoolPage {
    chrome: Chrome,
    q: PoolListQuery,
    cards: Vec<PoolCard>,
    pager: Pager,
    chains: Vec<(String, String)>,
    holders: Vec<(String, String)>,
    intents: Vec<(&'static str, &'static str)>,
    levels: Vec<u8>,
    anonymous: bool,
    can_push: bool,
}

/// The pool list, for everyone.
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<PoolListQuery>) -> WebResult {
    let mut page = q.page.unwrap_or(1).max(1);
    let mut result = state.app.list_pool(&ctx.actor, &q.query(page)).await?;
    let pages = u32::try_from(result.total.div_ceil(u64::from(PER_PAGE))).unwrap_or(u32::MAX).max(1);
    if page > pages {
        page = pages;
        result = state.app.list_pool(&ctx.actor, &q.query(page)).await?;
    }
    let chains = state.app.chains().await?.into_iter().filter(|c| c.active).map(|c| (c.code, c.name)).collect();
    let holders = state.app.pool_holders().await?.into_iter().map(|(id, name)| (id.get().to_string(), name)).collect();
    let qs = q.query_string();
    Ok(render_with(
        StatusCode::OK,
        &PoolPage {
            chrome: Chrome::new(&state, &ctx, "可转化专利资源库", "pool"),
            cards: result.items.iter().map(card).collect(),
            pager: Pager::per(page, result.total, PER_PAGE, |p| format!("/pool?{qs}&page={p}")),
            chains,
            holders,
            intents: TransferIntent::ALL
                .iter()
                .filter(|i| **i != TransferIntent::None)
                .map(|i| (i.code(), i.label()))
                .collect(),
            levels: (1..=9).collect(),
            anonymous: ctx.user().is_none(),
            can_push: ctx.can(Permission::ManageCampaigns),
            q,
        },
    ))
}

/// What the forms of the detail page were filled with (kept when it re-renders with errors).
#[derive(Debug, Default, Deserialize, Clone)]
pub struct FeedbackInput {
    #[serde(default)]
    prospect: String,
    #[serde(default)]
    improvement_needs: String,
    #[serde(default)]
    intent: String,
    #[serde(default)]
    preferred_mode: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    reason_text: String,
}

/// The question form.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct AskInput {
    #[serde(default)]
    question: String,
}

struct FeedbackRow {
    enterprise: String,
    prospect: String,
    intent: &'static str,
    mode: &'static str,
    reason: String,
    improvement: String,
    at: String,
}

fn feedback_row(f: &StoredFeedback) -> FeedbackRow {
    let fb = &f.feedback;
    FeedbackRow {
        enterprise: f.enterprise_name.clone(),
        prospect: format!("{}分（{}）", fb.prospect.value(), fb.prospect.label()),
        intent: fb.intent.label(),
        mode: fb.preferred_mode.map_or("", CooperationMode::label),
        reason: fb
            .not_interested
            .as_ref()
            .map(|r| {
                if r.text.is_empty() {
                    r.reason.label().to_owned()
                } else {
                    format!("{}：{}", r.reason.label(), r.text)
                }
            })
            .unwrap_or_default(),
        improvement: fb.improvement_needs.clone(),
        at: china_time(f.created_at).format("%Y-%m-%d %H:%M").to_string(),
    }
}

#[derive(Template)]
#[template(path = "pool_detail.html")]
struct PoolDetailPage {
    chrome: Chrome,
    c: PoolCard,
    chain_name: String,
    anonymous: bool,
    login_href: String,
    my_match: Option<(MatchId, MatchState)>,
    my_feedback: Option<FeedbackRow>,
    feedback: Vec<FeedbackRow>,
    sees_feedback: bool,
    can_act: bool,
    can_ask: bool,
    can_push: bool,
    prospects: Vec<(u8, &'static str)>,
    intents: Vec<(&'static str, &'static str)>,
    modes: Vec<(&'static str, &'static str)>,
    reasons: Vec<(&'static str, &'static str)>,
    input: FeedbackInput,
    errors: FieldErrors,
    ask: AskInput,
    ask_errors: FieldErrors,
    due_hint: String,
}

fn detail_page(
    state: &AppState,
    ctx: &Ctx,
    d: PoolDetail,
    input: FeedbackInput,
    errors: FieldErrors,
    ask: AskInput,
    ask_errors: FieldErrors,
) -> WebResult {
    let status =
        if errors.is_empty() && ask_errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let c = card(&d.item);
    // The feedback names enterprises: shown to fewer accounts than the counts (see `PoolDetail::sees_feedback`).
    let sees_feedback = d.sees_feedback;
    let today = state.app.china_today();
    let due = state.app.inquiry_due_date(today);
    Ok(render_with(
        status,
        &PoolDetailPage {
            chrome: Chrome::new(state, ctx, &c.title, "pool"),
            chain_name: d.chain_name.clone().unwrap_or_default(),
            anonymous: ctx.user().is_none(),
            login_href: format!("/login?next={}", crate::guard::urlencode(&pool_path(c.id))),
            my_match: d.my_match,
            my_feedback: d.my_feedback.as_ref().map(feedback_row),
            feedback: d.feedback.iter().map(feedback_row).collect(),
            sees_feedback,
            can_act: d.can_act,
            can_ask: d.can_ask,
            can_push: ctx.can(Permission::ManageCampaigns),
            prospects: IndustrialisationProspect::all().map(|p| (p.value(), p.label())).collect(),
            intents: CooperationIntent::ALL.iter().map(|i| (i.code(), i.label())).collect(),
            modes: CooperationMode::ALL.iter().map(|m| (m.code(), m.label())).collect(),
            reasons: NotInterestedReason::ALL.iter().map(|r| (r.code(), r.label())).collect(),
            input,
            errors,
            ask,
            ask_errors,
            due_hint: format!(
                "专利权人应在{}个工作日内答复（今天提出的咨询应于{}前答复）。",
                state.app.policy.revitalisation.response_working_days,
                due.format("%Y年%-m月%-d日")
            ),
            c,
        },
    ))
}

/// A pool patent's page, for everyone; enterprise members also get 我有意向, feedback and questions.
pub async fn detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let d = state.app.pool_detail(&ctx.actor, PatentId::new(id)).await?;
    detail_page(&state, &ctx, d, FeedbackInput::default(), FieldErrors::new(), AskInput::default(), FieldErrors::new())
}

/// An optional note with 我有意向.
#[derive(Debug, Default, Deserialize)]
pub struct InterestInput {
    #[serde(default)]
    note: String,
}

/// 我有意向 from the pool: a match record with the holder institution, which is told.
pub async fn interest(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<InterestInput>,
) -> WebResult {
    match state.app.pool_interest(&ctx.actor, PatentId::new(id), &f.note).await {
        Ok(saved) if saved.created => Ok(redirect_with_flash(
            &format!("/matches/{}", saved.id),
            "success",
            "已表达意向，专利权人将收到站内通知并与您联系。",
        )),
        Ok(saved) => Ok(redirect_with_flash(
            &format!("/matches/{}", saved.id),
            "info",
            &format!("贵企业与该专利的匹配记录当前状态：{}。", saved.state.label()),
        )),
        Err(ServiceError::Invalid(errors)) => {
            Err(WebError::invalid(errors.0.values().flatten().cloned().collect::<Vec<_>>().join("；")))
        }
        Err(e) => Err(e.into()),
    }
}

/// Enterprise feedback on a pool patent; the form re-renders with its messages when something is missing.
pub async fn feedback(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(input): Form<FeedbackInput>,
) -> WebResult {
    let patent = PatentId::new(id);
    let form = FeedbackForm {
        prospect: input.prospect.clone(),
        improvement_needs: input.improvement_needs.clone(),
        intent: input.intent.clone(),
        preferred_mode: input.preferred_mode.clone(),
        reason: input.reason.clone(),
        reason_text: input.reason_text.clone(),
    };
    match state.app.give_pool_feedback(&ctx.actor, patent, &form).await {
        Ok(_) => Ok(redirect_with_flash(
            &format!("{}#feedback", pool_path(id)),
            "success",
            "感谢您的评价反馈，专利权人将收到通知。",
        )),
        Err(ServiceError::Invalid(errors)) => {
            let d = state.app.pool_detail(&ctx.actor, patent).await?;
            detail_page(&state, &ctx, d, input, errors, AskInput::default(), FieldErrors::new())
        }
        Err(e) => Err(e.into()),
    }
}

/// 向专利权人咨询: the question goes to the holder institution with its due date.
pub async fn ask(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(input): Form<AskInput>,
) -> WebResult {
    let patent = PatentId::new(id);
    match state.app.ask_inquiry(&ctx.actor, patent, &input.question).await {
        Ok(inquiry) => Ok(redirect_with_flash(
            &format!("/inquiries/{inquiry}"),
            "success",
            "咨询已发送，专利权人将收到通知并在规定时限内答复。",
        )),
        Err(ServiceError::Invalid(errors)) => {
            let d = state.app.pool_detail(&ctx.actor, patent).await?;
            detail_page(&state, &ctx, d, FeedbackInput::default(), FieldErrors::new(), input, errors)
        }
        Err(e) => Err(e.into()),
    }
}
