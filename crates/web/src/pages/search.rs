//! Patent search (page, JSON API, xlsx export), matching a need to patents, similar patents, and the
//! enterprises most likely to want a patent.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use ipbridge_domain::Permission;
use ipbridge_domain::ids::{OrgId, PatentId};
use ipbridge_domain::org::OrgKind;
use ipbridge_service::matches::PushTarget;
use ipbridge_service::search::{
    EnterpriseMatchView, FacetView, Filters, MatchResultView, MatchScope, NeedText, PatentHitView, PatentSearch, Sort,
};
use ipbridge_service::{MatchFilter, ServiceError};
use serde::Deserialize;

use super::admin::Pager;
use super::{Chrome, redirect_with_flash, render, render_with};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::{WebError, WebResult};

/// Enterprises ranked for a patent, on its page and when pushing (the same list, so a push can only reach
/// enterprises the page offered).
const ENTERPRISE_CANDIDATES: usize = 20;

/// What each hit of a matched-patents list offers besides its link (the list is shared by 找专利, a demand's
/// matches and similar patents).
#[derive(Debug, Clone, Default)]
pub struct HitActions {
    /// The page's CSRF token for the buttons' forms.
    pub csrf: String,
    /// 我有意向 buttons (a member of an enterprise that takes part in matches).
    pub interest: bool,
    /// 保存匹配 buttons posting to this demand's matches.
    pub save_for_demand: Option<i64>,
    /// The organisation whose own patents get no button (one does not license one's own patent).
    pub own_org: Option<i64>,
    /// Patents that already have an open match record of that organisation: (patent, record, state label).
    pub existing: Vec<(i64, i64, &'static str)>,
}

impl HitActions {
    /// No buttons.
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether any button is shown.
    pub(crate) fn any(&self) -> bool {
        self.interest || self.save_for_demand.is_some()
    }

    /// Whether the hit is the acting organisation's own patent.
    pub(crate) fn is_own(&self, owner: &Option<i64>) -> bool {
        owner.is_some() && *owner == self.own_org
    }

    /// The open record of a patent, if there is one.
    pub(crate) fn existing_for(&self, patent: &i64) -> Option<(i64, &'static str)> {
        self.existing.iter().find(|(p, _, _)| p == patent).map(|(_, m, l)| (*m, *l))
    }
}

/// The open match records of an enterprise, as (patent, record, state label), for marking hits.
pub(crate) async fn open_records_of(
    state: &AppState,
    ctx: &Ctx,
    enterprise: OrgId,
) -> WebResult<Vec<(i64, i64, &'static str)>> {
    let filter = MatchFilter { enterprise_org: Some(enterprise), open_only: true, limit: 0, ..MatchFilter::default() };
    Ok(state
        .app
        .list_matches(&ctx.actor, &filter)
        .await?
        .records
        .iter()
        .map(|r| (r.patent_id.get(), r.id.get(), r.state.label()))
        .collect())
}

/// Hits per search page.
const PER_PAGE: u32 = 20;

/// The search page's query string.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default, rename = "type")]
    patent_type: String,
    #[serde(default)]
    status: String,
    /// "1": in force or pending only.
    #[serde(default)]
    active: String,
    /// "1": the transferable pool only.
    #[serde(default)]
    pool: String,
    #[serde(default)]
    ipc: String,
    #[serde(default)]
    county: String,
    #[serde(default)]
    chain: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    owner: String,
    /// relevance (default), newest, oldest.
    #[serde(default)]
    sort: String,
    #[serde(default)]
    page: Option<u32>,
    /// API only: hits per page (at most 100).
    #[serde(default)]
    per_page: Option<u32>,
}

fn non_empty(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl SearchQuery {
    fn search(&self, per_page: u32) -> PatentSearch {
        PatentSearch {
            q: self.q.clone(),
            filters: Filters {
                patent_type: non_empty(&self.patent_type),
                legal_status: non_empty(&self.status),
                active_only: self.active == "1",
                pool_only: self.pool == "1",
                ipc: non_empty(&self.ipc),
                county: non_empty(&self.county),
                chain: non_empty(&self.chain),
                year: self.year.trim().parse().ok(),
                owner: self.owner.trim().parse().ok(),
                exclude: Vec::new(),
            },
            sort: match self.sort.as_str() {
                "newest" => Sort::NewestFirst,
                "oldest" => Sort::OldestFirst,
                _ => Sort::Relevance,
            },
            page: self.page.unwrap_or(1).max(1),
            per_page,
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("q", self.q.clone()),
            ("type", self.patent_type.clone()),
            ("status", self.status.clone()),
            ("active", self.active.clone()),
            ("pool", self.pool.clone()),
            ("ipc", self.ipc.clone()),
            ("county", self.county.clone()),
            ("chain", self.chain.clone()),
            ("year", self.year.clone()),
            ("owner", self.owner.clone()),
            ("sort", self.sort.clone()),
        ]
    }

    /// The query string with `name` set to `value` (empty: removed), back on page 1.
    fn with(&self, name: &str, value: &str) -> String {
        let pairs: Vec<(&str, String)> = self
            .pairs()
            .into_iter()
            .map(|(k, v)| if k == name { (k, value.to_owned()) } else { (k, v) })
            .filter(|(_, v)| !v.is_empty())
            .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    fn query_string(&self) -> String {
        let pairs: Vec<(&str, String)> = self.pairs().into_iter().filter(|(_, v)| !v.is_empty()).collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    fn selected(&self, facet: &str) -> &str {
        match facet {
            "type" => &self.patent_type,
            "status" => &self.status,
            "ipc_section" | "ipc_class" => &self.ipc,
            "county" => &self.county,
            "chain" => &self.chain,
            "year" => &self.year,
            "owner" => &self.owner,
            _ => "",
        }
    }
}

/// A facet value as a link that sets (or clears) its filter.
struct FacetLink {
    label: String,
    count: u64,
    href: String,
    selected: bool,
}

struct FacetBox {
    label: &'static str,
    links: Vec<FacetLink>,
}

fn facet_boxes(q: &SearchQuery, facets: &[FacetView]) -> Vec<FacetBox> {
    facets
        .iter()
        .filter(|f| !f.values.is_empty())
        .map(|f| {
            // IPC section and class both set the one `ipc` filter.
            let param = if f.name.starts_with("ipc_") { "ipc" } else { f.name.as_str() };
            let current = q.selected(&f.name);
            FacetBox {
                label: f.label,
                links: f
                    .values
                    .iter()
                    .map(|v| {
                        let selected = current == v.value;
                        let href = format!("/search?{}", q.with(param, if selected { "" } else { &v.value }));
                        FacetLink { label: v.label.clone(), count: v.count, href, selected }
                    })
                    .collect(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPageView {
    chrome: Chrome,
    q: SearchQuery,
    searched: bool,
    total: usize,
    hits: Vec<PatentHitView>,
    facets: Vec<FacetBox>,
    terms: String,
    elapsed_ms: u128,
    rebuilding: bool,
    pager: Pager,
    export_href: String,
    clear_href: String,
}

/// The search page.
pub async fn page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<SearchQuery>) -> WebResult {
    let request = q.search(PER_PAGE);
    let result = state.app.search_patents(&ctx.actor, &request).await?;
    let qs = q.query_string();
    let pager = Pager::per(request.page, result.total as u64, PER_PAGE, |p| format!("/search?{qs}&page={p}"));
    Ok(render(&SearchPageView {
        chrome: Chrome::new(&state, &ctx, "专利检索", "search"),
        searched: !q.q.trim().is_empty() || qs.contains('='),
        total: result.total,
        hits: result.hits,
        facets: facet_boxes(&q, &result.facets),
        terms: result.terms.join(" "),
        elapsed_ms: result.elapsed_ms,
        rebuilding: result.rebuilding,
        pager,
        export_href: format!("/search/export?{qs}"),
        clear_href: format!("/search?{}", serde_urlencoded::to_string([("q", &q.q)]).unwrap_or_default()),
        q,
    }))
}

/// Every hit of the search as xlsx.
pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(q): Query<SearchQuery>) -> WebResult {
    let bytes = state.app.export_search(&ctx.actor, &q.search(PER_PAGE)).await?;
    Ok(super::xlsx_download(&super::export_name(&state, "专利检索结果"), bytes))
}

/// `GET /api/v1/patents/search`: the search as JSON (documented in docs/search.md).
pub async fn api(State(state): State<AppState>, ctx: Ctx, Query(q): Query<SearchQuery>) -> WebResult {
    let per_page = q.per_page.unwrap_or(PER_PAGE).clamp(1, 100);
    let request = q.search(per_page);
    let result = state.app.search_patents(&ctx.actor, &request).await?;
    let hits: Vec<serde_json::Value> = result
        .hits
        .iter()
        .map(|h| {
            serde_json::json!({
                "id": h.summary.id.get(),
                "application_no": h.summary.application_no,
                "title": h.summary.title,
                "title_html": h.title_html,
                "abstract_html": h.abstract_html,
                "claims_html": h.claims_html,
                "score": h.score,
                "patent_type": h.summary.patent_type.code(),
                "legal_status": h.summary.legal_status.code(),
                "in_force": h.summary.in_force,
                "filing_date": h.summary.filing_date,
                "applicants": h.applicants,
                "ipc": h.ipc_codes,
                "owner_org_id": h.summary.owner_org_id.map(|o| o.get()),
            })
        })
        .collect();
    let body = serde_json::json!({
        "total": result.total,
        "page": request.page,
        "per_page": per_page,
        "terms": result.terms,
        "took_ms": result.elapsed_ms,
        "hits": hits,
        "facets": result.facets,
    });
    Ok(axum::Json(body).into_response())
}

/// The need form's query string.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct NeedQuery {
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    chain: String,
    #[serde(default)]
    ipc: String,
    /// "all" to include lapsed patents.
    #[serde(default)]
    scope: String,
}

#[derive(Template)]
#[template(path = "match.html")]
struct MatchPage {
    chrome: Chrome,
    q: NeedQuery,
    chains: Vec<(String, String)>,
    result: Option<MatchResultView>,
    error: Option<String>,
    actions: HitActions,
}

/// 找专利: an enterprise (or anyone logged in) describes a need and gets matched patents with reasons.
pub async fn need(State(state): State<AppState>, ctx: Ctx, Query(q): Query<NeedQuery>) -> WebResult {
    let chains = state.app.chain_choices(&ctx.actor).await?;
    let mut error = None;
    let result = if q.title.trim().is_empty() && q.text.trim().is_empty() {
        None
    } else {
        let need = NeedText {
            title: q.title.clone(),
            text: q.text.clone(),
            ipc: q.ipc.split([',', '，', ';', '；', ' ']).filter(|s| !s.trim().is_empty()).map(str::to_owned).collect(),
            chain: non_empty(&q.chain),
        };
        let scope = match q.scope.as_str() {
            "all" => MatchScope::All,
            "pool" => MatchScope::Pool,
            _ => MatchScope::Active,
        };
        match state.app.match_need(&ctx.actor, &need, scope, Vec::new(), 20).await {
            Ok(r) => Some(r),
            Err(ipbridge_service::ServiceError::Invalid(fields)) => {
                error = Some(fields.0.values().flatten().cloned().collect::<Vec<_>>().join("；"));
                None
            }
            Err(e) => return Err(e.into()),
        }
    };
    // An enterprise member may declare interest in a hit (我有意向), except in its own patents.
    let mut actions = HitActions { csrf: ctx.csrf.clone(), ..HitActions::none() };
    if let Some(s) =
        ctx.user().filter(|s| s.user.org_kind == OrgKind::Enterprise && s.user.can(Permission::HandleMatches))
    {
        actions.interest = true;
        actions.own_org = Some(s.user.org_id.get());
        if result.is_some() {
            actions.existing = open_records_of(&state, &ctx, s.user.org_id).await?;
        }
    }
    Ok(render(&MatchPage {
        chrome: Chrome::new(&state, &ctx, "找专利", "match"), q, chains, result, error, actions
    }))
}

#[derive(Template)]
#[template(path = "similar.html")]
struct SimilarPage {
    chrome: Chrome,
    id: i64,
    result: MatchResultView,
    actions: HitActions,
}

#[derive(Template)]
#[template(path = "similar_fragment.html")]
struct SimilarFragment {
    result: MatchResultView,
    actions: HitActions,
}

/// `?fragment=1`: only the list, for the patent page to load in place.
#[derive(Debug, Default, Deserialize)]
pub struct FragmentQuery {
    #[serde(default)]
    fragment: String,
}

/// Patents similar to one patent.
pub async fn similar(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(f): Query<FragmentQuery>,
) -> WebResult {
    let result = state.app.similar_patents(&ctx.actor, PatentId::new(id), 10).await?;
    if f.fragment == "1" {
        return Ok(render(&SimilarFragment { result, actions: HitActions::none() }));
    }
    Ok(render(&SimilarPage {
        chrome: Chrome::new(&state, &ctx, "相似专利", "search"),
        id,
        result,
        actions: HitActions::none(),
    }))
}

#[derive(Template)]
#[template(path = "enterprises.html")]
struct EnterprisesPage {
    chrome: Chrome,
    id: i64,
    title: String,
    application_no: String,
    enterprises: Vec<EnterpriseMatchView>,
    can_push: bool,
    error: Option<String>,
}

async fn enterprises_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    enterprises: Vec<EnterpriseMatchView>,
    error: Option<String>,
) -> WebResult {
    let view = state.app.patent(&ctx.actor, PatentId::new(id)).await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render_with(
        status,
        &EnterprisesPage {
            chrome: Chrome::new(state, ctx, "匹配企业", "search"),
            id,
            title: view.patent.record.title.clone(),
            application_no: view.patent.summary.application_no.clone(),
            enterprises,
            can_push: ctx.can(Permission::ManageMatches),
            error,
        },
    ))
}

/// The enterprises most likely to want a patent (bureau: any patent; holders: their own).
pub async fn enterprises(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let enterprises = state.app.match_enterprises(&ctx.actor, PatentId::new(id), ENTERPRISE_CANDIDATES).await?;
    enterprises_page(&state, &ctx, id, enterprises, None).await
}

/// The bureau pushes a patent to the enterprises checked on its 匹配企业 page. The ranking is computed again
/// here and each push carries the enterprise's score and reasons from it; an id the ranking does not offer
/// (a stale page, a forged form) refuses the whole push, so nothing half-done is left.
pub async fn push(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> WebResult {
    let patent = PatentId::new(id);
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|_| WebError::invalid("请求格式不正确，请刷新页面后重试"))?;
    let mut chosen: Vec<i64> = Vec::new();
    for (_, v) in pairs.iter().filter(|(k, _)| k == "org") {
        let Ok(org) = v.trim().parse::<i64>() else {
            return Err(WebError::invalid(format!(
                "企业编号“{}”不正确，请刷新页面后重新选择",
                v.chars().take(20).collect::<String>()
            )));
        };
        if !chosen.contains(&org) {
            chosen.push(org);
        }
    }
    let ranked = state.app.match_enterprises(&ctx.actor, patent, ENTERPRISE_CANDIDATES).await?;
    if chosen.is_empty() {
        return enterprises_page(&state, &ctx, id, ranked, Some("请至少勾选一家要推送的企业".into())).await;
    }
    let mut targets = Vec::with_capacity(chosen.len());
    for org in &chosen {
        let Some(e) = ranked.iter().find(|e| e.org_id == *org) else {
            let message = "所选企业不在该专利的匹配企业名单中（页面可能已过期），未推送任何企业，请核对后重新选择";
            return enterprises_page(&state, &ctx, id, ranked, Some(message.into())).await;
        };
        targets.push(PushTarget {
            enterprise_org_id: OrgId::new(e.org_id),
            score: e.score,
            explanation: serde_json::json!({
                "kind": "enterprise_for_patent",
                "relative": e.relative,
                "reasons": e.reasons,
                "shared_ipc": e.shared_ipc,
                "shared_chains": e.shared_chains,
            }),
        });
    }
    match state.app.push_patent(&ctx.actor, patent, &targets).await {
        Ok(saved) => {
            let pushed = saved.iter().filter(|s| s.created).count();
            let existing = saved.len() - pushed;
            let mut message = if pushed == 0 {
                String::from("未推送：")
            } else {
                format!("已推送给{pushed}家企业，企业将在“推送给我的专利”中看到并反馈。")
            };
            if existing > 0 {
                message.push_str(&format!("{existing}家企业与该专利已有进行中的匹配记录，未重复推送。"));
            }
            Ok(redirect_with_flash(&format!("/matches?patent={id}"), "success", &message))
        }
        Err(ServiceError::Invalid(errors)) => {
            let message = errors.0.values().flatten().cloned().collect::<Vec<_>>().join("；");
            enterprises_page(&state, &ctx, id, ranked, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}
