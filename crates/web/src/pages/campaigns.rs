//! Push campaigns (推送批次) of the bureau: the list with each campaign's figures, the form that picks pool
//! patents and then enterprises (matcher with scores and reasons, a chain's enterprises, or by hand), and a
//! campaign's pushes with their state and feedback.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use ipbridge_domain::ids::{CampaignId, OrgId, PatentId};
use ipbridge_domain::revitalisation::CampaignSelection;
use ipbridge_service::auth::china_time;
use ipbridge_service::revitalisation::campaigns::{Campaign, CampaignForm, PRESELECTED_CANDIDATES, push_viewed};
use ipbridge_service::revitalisation::pool::PoolQuery;
use ipbridge_service::{FieldErrors, ServiceError};

use super::admin::Pager;
use super::{Chrome, redirect_with_flash, render_with};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::{WebError, WebResult};

/// Campaigns per list page.
const PER_PAGE: u32 = 20;

/// Pool patents offered to choose from at once.
const PATENT_CHOICES: u32 = 50;

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    china_time(t).format("%Y-%m-%d %H:%M").to_string()
}

/// Repeated form or query fields (`patent=1&patent=2`) as name → value pairs.
fn pairs(raw: &[u8]) -> Result<Vec<(String, String)>, WebError> {
    serde_urlencoded::from_bytes(raw).map_err(|_| WebError::invalid("请求格式不正确，请刷新页面后重试"))
}

fn ids(pairs: &[(String, String)], name: &str) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::new();
    for (_, v) in pairs.iter().filter(|(k, _)| k == name) {
        if let Ok(id) = v.trim().parse::<i64>()
            && !out.contains(&id)
        {
            out.push(id);
        }
    }
    out
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

struct CampaignRow {
    id: CampaignId,
    title: String,
    selection: &'static str,
    by: String,
    at: String,
    pushes: u64,
    opened: u64,
    interested: u64,
    not_interested: u64,
    feedback: u64,
}

fn campaign_row(c: &Campaign) -> CampaignRow {
    CampaignRow {
        id: c.id,
        title: c.title.clone(),
        selection: c.selection.label(),
        by: c.created_by_name.clone(),
        at: time(c.created_at),
        pushes: c.pushes,
        opened: c.opened,
        interested: c.interested,
        not_interested: c.not_interested,
        feedback: c.feedback,
    }
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct CampaignsPage {
    chrome: Chrome,
    rows: Vec<CampaignRow>,
    pager: Pager,
}

/// The list of campaigns (the bureau).
pub async fn list(State(state): State<AppState>, ctx: Ctx, RawQuery(raw): RawQuery) -> WebResult {
    let q = pairs(raw.unwrap_or_default().as_bytes())?;
    let page = field(&q, "page").parse::<u32>().unwrap_or(1).max(1);
    let (campaigns, total) =
        state.app.list_campaigns(&ctx.actor, PER_PAGE, (page - 1).saturating_mul(PER_PAGE)).await?;
    Ok(render_with(
        StatusCode::OK,
        &CampaignsPage {
            chrome: Chrome::new(&state, &ctx, "推送批次", "campaigns"),
            rows: campaigns.iter().map(campaign_row).collect(),
            pager: Pager::per(page, total, PER_PAGE, |p| format!("/campaigns?page={p}")),
        },
    ))
}

/// An enterprise offered for the campaign, with why.
struct Candidate {
    id: i64,
    name: String,
    /// "匹配度 85% · 富硒（经营范围）…" per patent, for matcher candidates.
    reasons: Vec<String>,
    checked: bool,
}

/// A pool patent offered for the campaign.
struct PatentChoice {
    id: i64,
    title: String,
    application_no: String,
    holder: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "campaign_new.html")]
struct NewCampaignPage {
    chrome: Chrome,
    q: String,
    selection: String,
    chain: String,
    title: String,
    note: String,
    chains: Vec<(String, String)>,
    selections: Vec<(&'static str, &'static str)>,
    patents: Vec<PatentChoice>,
    chosen: Vec<PatentChoice>,
    candidates: Option<Vec<Candidate>>,
    errors: FieldErrors,
}

impl NewCampaignPage {
    /// Whether a chosen patent is among the listed choices (else the form carries it hidden).
    fn listed(&self, id: &i64) -> bool {
        self.patents.iter().any(|p| p.id == *id)
    }
}

/// What the form holds: the chosen patents and how enterprises are picked, and (after an error) the rest.
struct Draft {
    q: String,
    selection: String,
    chain: String,
    title: String,
    note: String,
    patents: Vec<i64>,
    enterprises: Vec<i64>,
}

impl Draft {
    fn from_pairs(p: &[(String, String)]) -> Draft {
        Draft {
            q: field(p, "q").trim().to_owned(),
            selection: field(p, "selection").to_owned(),
            chain: field(p, "chain_code").to_owned(),
            title: field(p, "title").to_owned(),
            note: field(p, "note").to_owned(),
            patents: ids(p, "patent"),
            enterprises: ids(p, "enterprise"),
        }
    }
}

async fn new_page(state: &AppState, ctx: &Ctx, d: Draft, errors: FieldErrors) -> WebResult {
    let app = &state.app;
    let pool = app
        .list_pool(&ctx.actor, &PoolQuery { text: Some(d.q.clone()), limit: PATENT_CHOICES, ..PoolQuery::default() })
        .await?;
    let choice = |e: &ipbridge_service::revitalisation::pool::PoolEntry| PatentChoice {
        id: e.patent_id.get(),
        title: e.title.clone(),
        application_no: e.application_no.clone(),
        holder: e.holder_name.clone(),
        checked: d.patents.contains(&e.patent_id.get()),
    };
    let patents: Vec<PatentChoice> = pool.items.iter().map(|i| choice(&i.entry)).collect();
    // The chosen patents stay listed even when the search no longer finds them.
    let mut chosen = Vec::new();
    for id in &d.patents {
        if let Ok(detail) = app.pool_detail(&ctx.actor, PatentId::new(*id)).await {
            chosen.push(choice(&detail.item.entry));
        }
    }
    let selection = d.selection.parse::<CampaignSelection>().ok();
    // The first time the enterprises are offered (nothing ticked yet, no error to re-show), the form ticks what
    // the way of choosing suggests: the best matcher candidates, or a chain's enterprises; by hand, nothing.
    let fresh = d.enterprises.is_empty() && errors.is_empty();
    let chains: Vec<(String, String)> =
        app.chains().await?.into_iter().filter(|c| c.active).map(|c| (c.code, c.name)).collect();
    let candidates = match selection {
        _ if chosen.is_empty() => None,
        Some(CampaignSelection::Matching) => {
            let ranked = app
                .campaign_candidates(&ctx.actor, &chosen.iter().map(|c| PatentId::new(c.id)).collect::<Vec<_>>())
                .await?;
            let mut list: Vec<Candidate> = Vec::new();
            // Each candidate's best match degree over the chosen patents, to find the best ones overall.
            let mut best: Vec<u8> = Vec::new();
            for (patent, views) in ranked {
                let patent_title =
                    chosen.iter().find(|c| c.id == patent.get()).map_or(String::new(), |c| c.title.clone());
                for v in views {
                    let mut why = format!("{patent_title}：匹配度 {}%", v.relative);
                    if !v.reasons.is_empty() {
                        why.push_str(&format!("，命中 {}", v.reasons.join("；")));
                    }
                    if !v.shared_chains.is_empty() {
                        why.push_str(&format!("，同属产业链 {}", v.shared_chains.join("、")));
                    }
                    match list.iter().position(|c| c.id == v.org_id) {
                        Some(i) => {
                            list[i].reasons.push(why);
                            best[i] = best[i].max(v.relative);
                        }
                        None => {
                            list.push(Candidate {
                                id: v.org_id,
                                checked: d.enterprises.contains(&v.org_id),
                                name: v.name,
                                reasons: vec![why],
                            });
                            best.push(v.relative);
                        }
                    }
                }
            }
            if fresh {
                // A stable sort keeps the matcher's order among equal degrees.
                let mut order: Vec<usize> = (0..list.len()).collect();
                order.sort_by_key(|&i| std::cmp::Reverse(best[i]));
                for i in order.into_iter().take(PRESELECTED_CANDIDATES) {
                    list[i].checked = true;
                }
            }
            Some(list)
        }
        Some(CampaignSelection::Chain) if !d.chain.is_empty() => {
            let members = app.chain_enterprises(&ctx.actor, &d.chain).await?;
            // A chain's enterprises are all chosen until the officer unticks some.
            Some(
                members
                    .into_iter()
                    .map(|(id, name)| Candidate {
                        id: id.get(),
                        checked: fresh || d.enterprises.contains(&id.get()),
                        name,
                        reasons: Vec::new(),
                    })
                    .collect(),
            )
        }
        Some(CampaignSelection::Manual) => Some(
            app.campaign_enterprises(&ctx.actor)
                .await?
                .into_iter()
                .map(|(id, name)| Candidate {
                    id: id.get(),
                    checked: d.enterprises.contains(&id.get()),
                    name,
                    reasons: Vec::new(),
                })
                .collect(),
        ),
        _ => None,
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render_with(
        status,
        &NewCampaignPage {
            chrome: Chrome::new(state, ctx, "发起专利推送", "campaigns"),
            q: d.q,
            selection: d.selection,
            chain: d.chain,
            title: d.title,
            note: d.note,
            chains,
            selections: CampaignSelection::ALL.iter().map(|s| (s.code(), s.label())).collect(),
            patents,
            chosen,
            candidates,
            errors,
        },
    ))
}

/// The campaign form: pool patents first, then enterprises by the chosen way (the bureau).
pub async fn new_form(State(state): State<AppState>, ctx: Ctx, RawQuery(raw): RawQuery) -> WebResult {
    let p = pairs(raw.unwrap_or_default().as_bytes())?;
    new_page(&state, &ctx, Draft::from_pairs(&p), FieldErrors::new()).await
}

/// Creates the campaign; the form re-renders with its messages when something is missing.
pub async fn create(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> WebResult {
    let p = pairs(&body)?;
    let d = Draft::from_pairs(&p);
    let Ok(selection) = d.selection.parse::<CampaignSelection>() else {
        let mut errors = FieldErrors::new();
        errors.add("selection", "请选择选择企业的方式");
        return new_page(&state, &ctx, d, errors).await;
    };
    let form = CampaignForm {
        title: d.title.clone(),
        selection,
        chain_code: Some(d.chain.clone()).filter(|c| !c.trim().is_empty()),
        note: d.note.clone(),
        patents: d.patents.iter().map(|id| PatentId::new(*id)).collect(),
        enterprises: d.enterprises.iter().map(|id| OrgId::new(*id)).collect(),
    };
    match state.app.create_campaign(&ctx.actor, &form).await {
        Ok(created) => {
            let mut message = format!("推送批次已创建：新推送 {} 条", created.created);
            if created.linked > 0 {
                message.push_str(&format!("，{} 条已有对接中的匹配记录，已直接纳入本批次", created.linked));
            }
            message.push_str("。企业将在“推送给我的专利”中看到并反馈。");
            Ok(redirect_with_flash(&format!("/campaigns/{}", created.id), "success", &message))
        }
        Err(ServiceError::Invalid(errors)) => new_page(&state, &ctx, d, errors).await,
        Err(e) => Err(e.into()),
    }
}

struct PushRow {
    match_id: i64,
    patent_id: i64,
    patent_title: String,
    application_no: String,
    enterprise: String,
    state: ipbridge_domain::matching::MatchState,
    viewed: bool,
    created: bool,
    feedback: String,
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    chrome: Chrome,
    c: CampaignRow,
    chain: String,
    note: String,
    pushes: Vec<PushRow>,
}

/// One campaign: each push with its enterprise, state, whether it was opened, and the feedback (the bureau).
pub async fn detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let view = state.app.campaign_view(&ctx.actor, CampaignId::new(id)).await?;
    let chain = match &view.campaign.chain_code {
        Some(code) => state.app.chains().await?.into_iter().find(|c| &c.code == code).map_or(code.clone(), |c| c.name),
        None => String::new(),
    };
    let pushes = view
        .items
        .iter()
        .map(|i| {
            // The latest feedback on this push (the list is newest first).
            let feedback = view
                .feedback
                .iter()
                .find(|f| f.match_id == Some(i.match_id))
                .map(|f| format!("前景 {}分，{}", f.feedback.prospect.value(), f.feedback.intent.label()))
                .unwrap_or_default();
            PushRow {
                match_id: i.match_id.get(),
                patent_id: i.patent_id.get(),
                patent_title: i.patent_title.clone(),
                application_no: i.application_no.clone(),
                enterprise: i.enterprise_name.clone(),
                state: i.state,
                viewed: push_viewed(i.state),
                created: i.created_match,
                feedback,
            }
        })
        .collect();
    Ok(render_with(
        StatusCode::OK,
        &CampaignPage {
            chrome: Chrome::new(&state, &ctx, &view.campaign.title, "campaigns"),
            c: campaign_row(&view.campaign),
            chain,
            note: view.campaign.note.clone(),
            pushes,
        },
    ))
}
