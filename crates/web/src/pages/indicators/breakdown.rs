//! Indicator pages: breakdowns by county, chain, institution, enterprise, IPC, type and year; a county's page;
//! the chain comparison with its mapping; and a chain's landscape with the demands that find few local patents.
//!
//! The pages read the aggregates the refresh job precomputed; charts are markup for charts.js (the chart
//! contract: a `div.chart` naming a `<script type="application/json">` block of server-built data).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use ipbridge_domain::Permission;
use ipbridge_domain::indicators::Indicator;
use ipbridge_domain::revitalisation::TransferIntent;
use ipbridge_service::auth::china_time;
use ipbridge_service::indicators::Scope;
use ipbridge_service::indicators::dashboard::{ChartData, ChartSeries, ChartSpec as DashboardChart};
use ipbridge_service::indicators::landscape::{
    Breakdown, ChainMapping, DemandGap, GAP_THRESHOLD, GAP_TOP_HITS, IndicatorCell, MappingEntry, RefreshRun,
    dimension_label, share_text,
};
use ipbridge_service::{ErrorCode, ServiceError};
use serde::Deserialize;

use super::dashboard::ChartBox;
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::WebResult;
use crate::pages::{Chrome, render, render_error_page};
use crate::routes::{Access, Routes};

/// Bars a breakdown chart shows (the table has every row).
const CHART_BARS: usize = 15;
/// Rows a county page's breakdown tables show (the breakdown page has them all).
const COUNTY_ROWS: usize = 10;

/// The routes of these pages.
pub(crate) fn routes(r: Routes) -> Routes {
    let view = Access::Permission(Permission::ViewIndicators);
    r.get("/indicators/breakdown", view, breakdown)
        .get("/indicators/breakdown/export", view, export)
        .get("/indicators/counties/{code}", view, county)
        .get("/indicators/chains", view, chains)
        .get("/indicators/chains/{code}", view, chain)
}

// Charts.

/// What a bar chart of aggregate rows needs besides the rows.
struct BarSpec<'a> {
    /// Unique on the page (elements `c-{id}` and `d-{id}`).
    id: &'a str,
    /// The caption, with the unit.
    caption: String,
    /// Where a click on a category goes (`{key}`), or "".
    link: &'a str,
    /// The xlsx of the same figures.
    xlsx: String,
    /// Bars drawn horizontally (long labels).
    horizontal: bool,
}

/// A series of counts.
fn counts(name: &str, data: Vec<Option<f64>>) -> ChartSeries {
    ChartSeries { name: name.to_owned(), data, dashed: false, decimals: 0 }
}

/// A bar chart of aggregate rows: patents, valid invention and high-value patents per row (none without rows).
fn cells_chart(spec: BarSpec<'_>, rows: &[&IndicatorCell]) -> Option<ChartBox> {
    if rows.is_empty() {
        return None;
    }
    // Counts stay far below 2^53, where f64 is exact.
    let pick = |f: fn(&IndicatorCell) -> i64| rows.iter().map(|r| Some(f(r) as f64)).collect::<Vec<_>>();
    let data = ChartData {
        categories: rows.iter().map(|r| r.label.clone()).collect(),
        keys: if spec.link.is_empty() { Vec::new() } else { rows.iter().map(|r| r.key.clone()).collect() },
        series: vec![
            counts("专利总数", pick(|r| r.patents)),
            counts("有效发明专利", pick(|r| r.valid_invention)),
            counts("高价值发明专利", pick(|r| r.high_value)),
        ],
        unit: "件".to_owned(),
        horizontal: spec.horizontal,
        stack: false,
    };
    let mut chart = ChartBox::from_data(spec.id, "bar", &spec.caption, &data).xlsx(&spec.xlsx);
    chart.file_title = spec.caption.trim_end_matches("（件）").to_owned();
    if !spec.link.is_empty() {
        chart = chart.link(spec.link);
    }
    Some(chart)
}

/// The trend of an indicator in a scope: the dashboard's chart, with its audited data download.
async fn trend_chart(state: &AppState, ctx: &Ctx, indicator: Indicator, scope: &Scope) -> WebResult<ChartBox> {
    let spec = DashboardChart::Trend { indicator, scope: scope.clone() };
    let chart = state.app.indicator_chart(&ctx.actor, &spec).await?;
    let b = ChartBox::new(&chart);
    Ok(if chart.is_empty() { b.empty_text("尚无月度快照") } else { b })
}

/// Long labels (names, IPC titles) read better on horizontal bars.
fn horizontal(dimension: &str) -> bool {
    matches!(
        dimension,
        "institution" | "enterprise" | "applicant" | "ipc_section" | "ipc_class" | "ipc_group" | "chain"
    )
}

/// The page a row of a dimension opens: a county's or a chain's.
fn row_href(dimension: &str, key: &str) -> Option<String> {
    if key.is_empty() {
        return None;
    }
    match dimension {
        "county" => Some(format!("/indicators/counties/{key}")),
        "chain" => Some(format!("/indicators/chains/{key}")),
        _ => None,
    }
}

/// The rows a breakdown's chart shows: every year (a timeline has no "top"), else the first [`CHART_BARS`];
/// by chain without the patents in no chain, whose bar would dwarf the chains' (the table lists them).
fn charted_rows<'a>(dimension: &str, rows: &'a [IndicatorCell]) -> Vec<&'a IndicatorCell> {
    let limit = if dimension == "year" { rows.len() } else { CHART_BARS };
    rows.iter().filter(|r| dimension != "chain" || !r.key.is_empty()).take(limit).collect()
}

/// Where a click on a dimension's chart goes (charts.js ignores categories without a key).
fn chart_link(dimension: &str) -> &'static str {
    match dimension {
        "county" => "/indicators/counties/{key}",
        "chain" => "/indicators/chains/{key}",
        _ => "",
    }
}

/// Year rows oldest first, the unknown year last (the stored order is most patents first).
fn chronological(rows: &mut [IndicatorCell]) {
    rows.sort_by(|a, b| (a.key.is_empty(), &a.key).cmp(&(b.key.is_empty(), &b.key)));
}

// Tables.

/// A table row of figures.
struct Row {
    label: String,
    href: Option<String>,
    patents: i64,
    in_force: i64,
    valid_invention: i64,
    high_value: i64,
    share: String,
}

fn row(c: &IndicatorCell, dimension: &str, whole: i64) -> Row {
    Row {
        label: c.label.clone(),
        href: row_href(dimension, &c.key),
        patents: c.patents,
        in_force: c.in_force,
        valid_invention: c.valid_invention,
        high_value: c.high_value,
        share: share_text(c.patents, whole),
    }
}

fn refreshed_text(run: Option<&RefreshRun>) -> Option<String> {
    run.and_then(|r| r.finished_at).map(|t| china_time(t).format("%Y-%m-%d %H:%M").to_string())
}

fn breakdown_href(scope: &Scope, dimension: &str) -> String {
    format!(
        "/indicators/breakdown?{}",
        serde_urlencoded::to_string([("scope", scope.key()), ("dim", dimension.to_owned())]).unwrap_or_default()
    )
}

fn export_href(scope: &Scope, dimension: &str) -> String {
    format!(
        "/indicators/breakdown/export?{}",
        serde_urlencoded::to_string([("scope", scope.key()), ("dim", dimension.to_owned())]).unwrap_or_default()
    )
}

/// A bad query (unknown scope or dimension): the error page with status 400 and the service's Chinese message.
fn bad_request(state: &AppState, ctx: &Ctx, message: &str) -> Response {
    let mut res = render_error_page(state, ctx, ErrorCode::Invalid, message);
    *res.status_mut() = StatusCode::BAD_REQUEST;
    res
}

/// The Chinese messages of an invalid-input error.
fn messages(e: &ServiceError) -> Option<String> {
    match e {
        ServiceError::Invalid(errors) => Some(errors.0.values().flatten().cloned().collect::<Vec<_>>().join("；")),
        _ => None,
    }
}

// The breakdown page.

/// The breakdown's query string.
#[derive(Debug, Default, Deserialize)]
pub struct BreakdownQuery {
    #[serde(default)]
    scope: String,
    #[serde(default)]
    dim: String,
}

impl BreakdownQuery {
    /// The scope and the dimension (the scope's first when none is given), or the Chinese reason why not.
    fn parse(&self) -> Result<(Scope, String), String> {
        let key = self.scope.trim();
        let scope =
            Scope::parse(key).ok_or_else(|| format!("未知的统计范围 “{key}”，应为全市、某县（市、区）或某条产业链"))?;
        let dim = match self.dim.trim() {
            "" => ipbridge_service::indicators::landscape::dimensions_of(&scope)[0].to_owned(),
            d => d.to_owned(),
        };
        Ok((scope, dim))
    }
}

/// A choice of the scope selector.
struct ScopeChoice {
    key: String,
    label: String,
    selected: bool,
}

/// A dimension tab.
struct Tab {
    href: String,
    label: &'static str,
    current: bool,
}

#[derive(Template)]
#[template(path = "ind_breakdown.html")]
struct BreakdownPage {
    chrome: Chrome,
    scope_label: String,
    /// The scope's own page (a county's or a chain's).
    scope_href: Option<String>,
    city_selected: bool,
    counties: Vec<ScopeChoice>,
    chains: Vec<ScopeChoice>,
    dim_label: &'static str,
    tabs: Vec<Tab>,
    total: Option<Row>,
    rows: Vec<Row>,
    chart: Option<ChartBox>,
    export_href: String,
    refreshed: Option<String>,
    /// A patent may be in several chains: the rows then add up to more than the total.
    overlapping: bool,
}

/// The breakdown the query asks for; a bad query is answered with the 400 page (`Ok(Err(page))`), any other
/// failure goes to the guard as usual.
async fn breakdown_view(state: &AppState, ctx: &Ctx, q: &BreakdownQuery) -> WebResult<Result<Breakdown, Response>> {
    let (scope, dim) = match q.parse() {
        Ok(p) => p,
        Err(m) => return Ok(Err(bad_request(state, ctx, &m))),
    };
    match state.app.indicator_breakdown(&ctx.actor, &scope, &dim).await {
        Ok(b) => Ok(Ok(b)),
        Err(e) => match messages(&e) {
            Some(m) => Ok(Err(bad_request(state, ctx, &m))),
            None => Err(e.into()),
        },
    }
}

/// The generic breakdown: a scope (the city, a county, a chain) by one of its dimensions.
pub async fn breakdown(State(state): State<AppState>, ctx: Ctx, Query(q): Query<BreakdownQuery>) -> WebResult {
    let mut b = match breakdown_view(&state, &ctx, &q).await? {
        Ok(b) => b,
        Err(page) => return Ok(page),
    };
    if b.dimension == "year" {
        chronological(&mut b.rows);
    }
    let whole = b.total_patents();
    let chains = state.app.chains().await?;
    let scope_key = b.scope.key();
    let counties = state
        .app
        .policy
        .counties
        .iter()
        .map(|c| {
            let key = Scope::County(c.code.clone()).key();
            ScopeChoice { selected: key == scope_key, key, label: c.name.clone() }
        })
        .collect();
    let chains = chains
        .iter()
        .filter(|c| c.active || Scope::Chain(c.code.clone()).key() == scope_key)
        .map(|c| {
            let key = Scope::Chain(c.code.clone()).key();
            ScopeChoice { selected: key == scope_key, key, label: c.name.clone() }
        })
        .collect();
    let link = chart_link(b.dimension);
    let charted = charted_rows(b.dimension, &b.rows);
    let chart = cells_chart(
        BarSpec {
            id: "breakdown",
            caption: format!("{}按{}（件）", b.scope_label, b.dimension_label),
            link,
            xlsx: export_href(&b.scope, b.dimension),
            horizontal: horizontal(b.dimension),
        },
        &charted,
    );
    let scope_href = match &b.scope {
        Scope::City => None,
        Scope::County(c) => Some(format!("/indicators/counties/{c}")),
        Scope::Chain(c) => Some(format!("/indicators/chains/{c}")),
    };
    Ok(render(&BreakdownPage {
        chrome: Chrome::new(&state, &ctx, &format!("分类统计：{}", b.scope_label), "indicator-breakdown"),
        scope_href,
        city_selected: b.scope == Scope::City,
        counties,
        chains,
        dim_label: b.dimension_label,
        tabs: b
            .dimensions
            .iter()
            .map(|(d, label)| Tab { href: breakdown_href(&b.scope, d), label, current: *d == b.dimension })
            .collect(),
        total: b.total.as_ref().map(|t| Row { label: format!("{}合计", b.scope_label), ..row(t, "total", whole) }),
        rows: b.rows.iter().map(|r| row(r, b.dimension, whole)).collect(),
        chart,
        export_href: export_href(&b.scope, b.dimension),
        refreshed: refreshed_text(b.refreshed.as_ref()),
        overlapping: b.dimension == "chain",
        scope_label: b.scope_label,
    }))
}

/// The breakdown as xlsx (audited by the service).
pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(q): Query<BreakdownQuery>) -> WebResult {
    let (scope, dim) = match q.parse() {
        Ok(p) => p,
        Err(m) => return Ok(bad_request(&state, &ctx, &m)),
    };
    match state.app.export_breakdown(&ctx.actor, &scope, &dim).await {
        Ok(bytes) => {
            let name = format!("分类统计_{}", dimension_label(&dim));
            Ok(crate::pages::xlsx_download(&crate::pages::export_name(&state, &name), bytes))
        }
        Err(e) => match messages(&e) {
            Some(m) => Ok(bad_request(&state, &ctx, &m)),
            None => Err(e.into()),
        },
    }
}

// A county's page.

/// One figure of a county.
struct Figure {
    label: &'static str,
    value: String,
    note: String,
}

/// A breakdown section of the county page.
struct Section {
    label: &'static str,
    rows: Vec<Row>,
    more: usize,
    href: String,
    chart: Option<ChartBox>,
}

#[derive(Template)]
#[template(path = "ind_county.html")]
struct CountyPage {
    chrome: Chrome,
    name: String,
    figures: Vec<Figure>,
    trends: Vec<ChartBox>,
    sections: Vec<Section>,
    computed: bool,
    refreshed: Option<String>,
    breakdown_href: String,
}

impl CountyPage {
    /// The county's sections have no totals line (the figures above give them).
    fn no_total(&self) -> Option<&Row> {
        None
    }
}

/// A county's page (unknown code: 404).
pub async fn county(State(state): State<AppState>, ctx: Ctx, Path(code): Path<String>) -> WebResult {
    let v = state.app.county_overview(&ctx.actor, &code).await?;
    let scope = Scope::County(v.code.clone());
    let t = v.total.clone().unwrap_or_else(|| IndicatorCell {
        scope: scope.key(),
        dimension: "total".into(),
        key: String::new(),
        label: v.name.clone(),
        patents: 0,
        in_force: 0,
        valid_invention: 0,
        high_value: 0,
    });
    let city = v.city.as_ref();
    let of_city = |part: i64, whole: Option<i64>| match whole {
        Some(w) if w > 0 => format!("占全市 {}", share_text(part, w)),
        _ => String::new(),
    };
    // Without a population (a development zone counted inside its districts) there is no density.
    let no_population = "—".to_owned();
    let population_note = v.population.map_or_else(|| "未设置常住人口".to_owned(), |p| format!("常住人口 {p} 人"));
    let statistic = |s: &Option<(String, i64)>| match s {
        Some((month, value)) => (value.to_string(), format!("{month} 统计")),
        None => ("—".to_owned(), "尚未填报".to_owned()),
    };
    let (tm, tm_note) = statistic(&v.trademarks);
    let (gi, gi_note) = statistic(&v.gi_users);
    let figures = vec![
        Figure {
            label: "有效发明专利",
            value: format!("{} 件", t.valid_invention),
            note: of_city(t.valid_invention, city.map(|c| c.valid_invention)),
        },
        Figure {
            label: "高价值发明专利",
            value: format!("{} 件", t.high_value),
            note: of_city(t.high_value, city.map(|c| c.high_value)),
        },
        Figure {
            label: "每万人口有效发明专利",
            value: v.valid_per_10k.clone().map_or_else(|| no_population.clone(), |x| format!("{x} 件")),
            note: population_note.clone(),
        },
        Figure {
            label: "每万人口高价值发明专利",
            value: v.high_value_per_10k.clone().map_or_else(|| no_population.clone(), |x| format!("{x} 件")),
            note: population_note,
        },
        Figure { label: "有效商标持有量", value: tm, note: tm_note },
        Figure { label: "地理标志用标市场主体", value: gi, note: gi_note },
        Figure {
            label: "专利总数（各类型、各状态）",
            value: format!("{} 件", t.patents),
            note: format!("其中有效专利 {} 件", t.in_force),
        },
    ];
    let trends = vec![
        trend_chart(&state, &ctx, Indicator::ValidInventionPatents, &scope).await?,
        trend_chart(&state, &ctx, Indicator::HighValueInventionPatents, &scope).await?,
    ];
    let whole = t.patents;
    let sections = v
        .breakdowns
        .iter()
        .map(|(dim, label, rows)| {
            let mut rows = rows.clone();
            if *dim == "year" {
                chronological(&mut rows);
            }
            let chart = match *dim {
                "chain" | "year" => {
                    let charted = charted_rows(dim, &rows);
                    cells_chart(
                        BarSpec {
                            id: if *dim == "chain" { "county-chain" } else { "county-year" },
                            caption: format!("{}按{}（件）", v.name, label),
                            link: chart_link(dim),
                            xlsx: export_href(&scope, dim),
                            horizontal: horizontal(dim),
                        },
                        &charted,
                    )
                }
                _ => None,
            };
            Section {
                label,
                more: rows.len().saturating_sub(COUNTY_ROWS),
                // The latest years, else the largest rows.
                rows: if *dim == "year" {
                    &rows[rows.len().saturating_sub(COUNTY_ROWS)..]
                } else {
                    &rows[..rows.len().min(COUNTY_ROWS)]
                }
                .iter()
                .map(|r| row(r, dim, whole))
                .collect(),
                href: breakdown_href(&scope, dim),
                chart,
            }
        })
        .collect();
    Ok(render(&CountyPage {
        chrome: Chrome::new(&state, &ctx, &format!("{}知识产权指标", v.name), "indicator-breakdown"),
        figures,
        trends,
        sections,
        computed: v.refreshed.is_some(),
        refreshed: refreshed_text(v.refreshed.as_ref()),
        breakdown_href: breakdown_href(&scope, "chain"),
        name: v.name,
    }))
}

// The chain comparison.

/// A chain's row and mapping on the comparison page.
struct ChainCard {
    code: String,
    name: String,
    total: Row,
    mapping: MappingView,
}

/// A chain's mapping as the pages show it.
struct MappingView {
    prefixes: Vec<MappingEntry>,
    keywords: Vec<MappingEntry>,
    stale: Vec<MappingEntry>,
}

impl From<ChainMapping> for MappingView {
    fn from(m: ChainMapping) -> Self {
        MappingView { prefixes: m.prefixes, keywords: m.keywords, stale: m.stale }
    }
}

fn zero_row(label: &str) -> Row {
    Row {
        label: label.to_owned(),
        href: None,
        patents: 0,
        in_force: 0,
        valid_invention: 0,
        high_value: 0,
        share: "—".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "ind_chains.html")]
struct ChainsPage {
    chrome: Chrome,
    chains: Vec<ChainCard>,
    chart: Option<ChartBox>,
    unmapped: Option<Row>,
    city_patents: i64,
    can_edit: bool,
    computed: bool,
    refreshed: Option<String>,
}

/// The chain comparison: every active chain's figures and its mapping.
pub async fn chains(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let v = state.app.chain_comparison(&ctx.actor).await?;
    let whole = v.city.as_ref().map_or(0, |c| c.patents);
    let cells: Vec<IndicatorCell> = v
        .chains
        .iter()
        .map(|c| {
            let mut cell = c.total.clone().unwrap_or_else(|| IndicatorCell {
                scope: String::new(),
                dimension: "chain".into(),
                key: c.chain.code.clone(),
                label: c.chain.name.clone(),
                patents: 0,
                in_force: 0,
                valid_invention: 0,
                high_value: 0,
            });
            cell.label.clone_from(&c.chain.name);
            cell
        })
        .collect();
    let chart = cells_chart(
        BarSpec {
            id: "chains",
            caption: "各重点产业链专利（件）".to_owned(),
            link: "/indicators/chains/{key}",
            xlsx: export_href(&Scope::City, "chain"),
            horizontal: true,
        },
        &cells.iter().collect::<Vec<_>>(),
    );
    let cards = v
        .chains
        .into_iter()
        .zip(&cells)
        .map(|(c, cell)| ChainCard {
            total: row(cell, "chain", whole),
            code: c.chain.code,
            name: c.chain.name,
            mapping: c.mapping.into(),
        })
        .collect();
    Ok(render(&ChainsPage {
        chrome: Chrome::new(&state, &ctx, "产业链专利态势", "indicator-chains"),
        chains: cards,
        chart,
        unmapped: v.unmapped.as_ref().map(|u| row(u, "chain", whole)),
        city_patents: whole,
        can_edit: ctx.can(Permission::ManageChains),
        computed: v.refreshed.is_some(),
        refreshed: refreshed_text(v.refreshed.as_ref()),
    }))
}

// A chain's landscape.

/// A pool patent of the chain.
struct PoolRow {
    patent_id: i64,
    application_no: String,
    title: String,
    org: String,
    intent: String,
    trl: String,
    how: &'static str,
}

/// A published demand of the chain.
struct DemandRow {
    id: i64,
    title: String,
    enterprise: String,
    published: String,
}

#[derive(Template)]
#[template(path = "ind_chain.html")]
struct ChainPage {
    chrome: Chrome,
    name: String,
    active: bool,
    total: Row,
    mapping: MappingView,
    trend: ChartBox,
    years_chart: Option<ChartBox>,
    years: Vec<Row>,
    applicants_chart: Option<ChartBox>,
    applicants: Vec<Row>,
    ipc_groups: Vec<Row>,
    counties_chart: Option<ChartBox>,
    counties: Vec<Row>,
    institutions: Vec<Row>,
    enterprises: Vec<Row>,
    pool: Vec<PoolRow>,
    pool_total: i64,
    demands: Vec<DemandRow>,
    gaps: Vec<DemandGap>,
    gaps_error: Option<String>,
    gap_threshold: usize,
    gap_top: usize,
    can_edit: bool,
    computed: bool,
    refreshed: Option<String>,
    breakdown_href: String,
}

impl ChainPage {
    /// The landscape's tables have no totals line (the figures above give them).
    fn no_total(&self) -> Option<&Row> {
        None
    }
}

/// A chain's landscape (unknown code: 404).
pub async fn chain(State(state): State<AppState>, ctx: Ctx, Path(code): Path<String>) -> WebResult {
    let v = state.app.chain_landscape(&ctx.actor, &code).await?;
    // The gaps run the matcher now; when it cannot (the index is being rebuilt), the rest of the page still shows.
    let (gaps, gaps_error) = match state.app.chain_demand_gaps(&ctx.actor, &code).await {
        Ok(g) => (g, None),
        Err(e) if matches!(e.code(), ErrorCode::Internal) => {
            tracing::error!(error = %e, chain = %code, "demand gaps failed");
            (Vec::new(), Some("暂时无法计算需求匹配情况（检索服务不可用或正在重建索引），请稍后刷新页面。".to_owned()))
        }
        Err(e) => return Err(e.into()),
    };
    let scope = Scope::Chain(v.chain.code.clone());
    let trend = trend_chart(&state, &ctx, Indicator::ValidInventionPatents, &scope).await?;
    let whole = v.total.as_ref().map_or(0, |t| t.patents);
    let total = v.total.as_ref().map_or_else(|| zero_row(&v.chain.name), |t| row(t, "total", whole));
    let rows = |cells: &[IndicatorCell], dim: &str| cells.iter().map(|c| row(c, dim, whole)).collect::<Vec<_>>();
    let years_chart = cells_chart(
        BarSpec {
            id: "chain-years",
            caption: format!("{}专利按申请年度（件）", v.chain.name),
            link: "",
            xlsx: export_href(&scope, "year"),
            horizontal: false,
        },
        &v.years.iter().collect::<Vec<_>>(),
    );
    let applicants_chart = cells_chart(
        BarSpec {
            id: "chain-applicants",
            caption: format!("{}主要申请人（件）", v.chain.name),
            link: "",
            xlsx: export_href(&scope, "applicant"),
            horizontal: true,
        },
        &v.applicants.iter().collect::<Vec<_>>(),
    );
    let counties_chart = cells_chart(
        BarSpec {
            id: "chain-counties",
            caption: format!("{}专利按县（市、区）（件）", v.chain.name),
            link: "/indicators/counties/{key}",
            xlsx: export_href(&scope, "county"),
            horizontal: false,
        },
        &charted_rows("county", &v.counties),
    );
    let pool = v
        .pool
        .iter()
        .map(|p| PoolRow {
            patent_id: p.patent_id,
            application_no: p.application_no.clone(),
            title: p.title.clone(),
            org: p.org_name.clone(),
            intent: p
                .transfer_intent
                .as_deref()
                .and_then(|c| TransferIntent::ALL.into_iter().find(|i| i.code() == c))
                .map_or("—", TransferIntent::label)
                .to_owned(),
            trl: p.trl.map_or_else(|| "—".to_owned(), |t| t.to_string()),
            how: if p.mapped { "分类号或关键词" } else { "单位填报" },
        })
        .collect();
    let demands = v
        .demands
        .iter()
        .map(|d| DemandRow {
            id: d.id.get(),
            title: d.fields.title.clone(),
            enterprise: d.enterprise_name.clone(),
            published: d.published_at.map(|t| china_time(t).format("%Y-%m-%d").to_string()).unwrap_or_default(),
        })
        .collect();
    Ok(render(&ChainPage {
        chrome: Chrome::new(&state, &ctx, &format!("产业链专利态势：{}", v.chain.name), "indicator-chains"),
        total,
        mapping: v.mapping.into(),
        trend,
        years_chart,
        years: rows(&v.years, "year"),
        applicants_chart,
        applicants: rows(&v.applicants, "applicant"),
        ipc_groups: rows(&v.ipc_groups, "ipc_group"),
        counties_chart,
        counties: rows(&v.counties, "county"),
        institutions: rows(&v.institutions, "institution"),
        enterprises: rows(&v.enterprises, "enterprise"),
        pool,
        pool_total: v.pool_total,
        demands,
        gaps,
        gaps_error,
        gap_threshold: GAP_THRESHOLD,
        gap_top: GAP_TOP_HITS,
        can_edit: ctx.can(Permission::ManageChains),
        computed: v.refreshed.is_some(),
        refreshed: refreshed_text(v.refreshed.as_ref()),
        breakdown_href: breakdown_href(&scope, "county"),
        active: v.chain.active,
        name: v.chain.name,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(key: &str, label: &str, patents: i64) -> IndicatorCell {
        IndicatorCell {
            scope: String::new(),
            dimension: "county".into(),
            key: key.into(),
            label: label.into(),
            patents,
            in_force: patents - 1,
            valid_invention: 2,
            high_value: 1,
        }
    }

    #[test]
    fn bar_charts_carry_keys_only_when_they_link() {
        let rows = [cell("610902", "汉滨区</script>", 12), cell("", "县区不明", 3)];
        let refs: Vec<&IndicatorCell> = rows.iter().collect();
        let spec =
            |link| BarSpec {
                id: "x", caption: "按县区（件）".into(), link, xlsx: "/x.xlsx".into(), horizontal: false
            };
        let linked = cells_chart(spec("/indicators/counties/{key}"), &refs).unwrap();
        assert!(!linked.json.contains("</script>"), "the data cannot close its block");
        let data: serde_json::Value = serde_json::from_str(&linked.json).unwrap();
        assert_eq!(data["keys"], serde_json::json!(["610902", ""]));
        assert_eq!(data["series"][0]["data"], serde_json::json!([12.0, 3.0]));
        assert_eq!((linked.file_title.as_str(), linked.xlsx.as_str()), ("按县区", "/x.xlsx"));
        let plain = cells_chart(spec(""), &refs).unwrap();
        assert!(plain.link.is_empty() && !plain.json.contains("\"keys\""));
        assert!(cells_chart(spec(""), &[]).is_none());
    }

    #[test]
    fn queries_name_a_scope_and_a_dimension() {
        let q = |scope: &str, dim: &str| BreakdownQuery { scope: scope.into(), dim: dim.into() }.parse();
        assert_eq!(q("", ""), Ok((Scope::City, "county".to_owned())));
        assert_eq!(q("county:610902", ""), Ok((Scope::County("610902".into()), "chain".to_owned())));
        assert_eq!(q("chain:tea", "year"), Ok((Scope::Chain("tea".into()), "year".to_owned())));
        assert!(q("province:61", "").unwrap_err().contains("未知的统计范围"));
    }

    #[test]
    fn only_counties_and_chains_link_and_never_without_a_key() {
        assert_eq!(row_href("county", "610902").as_deref(), Some("/indicators/counties/610902"));
        assert_eq!(row_href("chain", "").as_deref(), None);
        assert_eq!(row_href("year", "2024"), None);
    }
}
