//! Patent search (page, JSON API, xlsx export), matching a need to patents, similar patents, and the
//! enterprises most likely to want a patent.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use ipbridge_domain::Permission;
use ipbridge_domain::ids::PatentId;
use ipbridge_service::search::{
    EnterpriseMatchView, FacetView, Filters, MatchResultView, MatchScope, NeedText, PatentHitView, PatentSearch, Sort,
};
use serde::Deserialize;

use super::admin::Pager;
use super::{Chrome, render};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::WebResult;

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
        let scope = if q.scope == "all" { MatchScope::All } else { MatchScope::Active };
        match state.app.match_need(&ctx.actor, &need, scope, Vec::new(), 20).await {
            Ok(r) => Some(r),
            Err(ipbridge_service::ServiceError::Invalid(fields)) => {
                error = Some(fields.0.values().flatten().cloned().collect::<Vec<_>>().join("；"));
                None
            }
            Err(e) => return Err(e.into()),
        }
    };
    Ok(render(&MatchPage { chrome: Chrome::new(&state, &ctx, "找专利", "match"), q, chains, result, error }))
}

#[derive(Template)]
#[template(path = "similar.html")]
struct SimilarPage {
    chrome: Chrome,
    id: i64,
    result: MatchResultView,
}

#[derive(Template)]
#[template(path = "similar_fragment.html")]
struct SimilarFragment {
    result: MatchResultView,
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
        return Ok(render(&SimilarFragment { result }));
    }
    Ok(render(&SimilarPage { chrome: Chrome::new(&state, &ctx, "相似专利", "search"), id, result }))
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
}

/// The enterprises most likely to want a patent (bureau: any patent; holders: their own).
pub async fn enterprises(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let patent = PatentId::new(id);
    let enterprises = state.app.match_enterprises(&ctx.actor, patent, 20).await?;
    let view = state.app.patent(&ctx.actor, patent).await?;
    Ok(render(&EnterprisesPage {
        chrome: Chrome::new(&state, &ctx, "匹配企业", "search"),
        id,
        title: view.patent.record.title.clone(),
        application_no: view.patent.summary.application_no.clone(),
        enterprises,
        can_push: ctx.can(Permission::ManageMatches),
    }))
}
