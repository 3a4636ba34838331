//! Indicator pages: the dashboard (/indicators), chart data exports, the printable report and the snapshots page.
//!
//! Every chart comes from `App::indicator_chart` (or the dashboard that gathers them), the same function
//! the xlsx export of its data calls; pages emit the chart contract's markup through `ind_chart.html` and
//! `static/charts.js` draws it.

use askama::Template;
use axum::extract::{Path, Query, State};
use ipbridge_domain::Permission;
use ipbridge_domain::indicators::{Indicator, Month, TargetStatus};
use ipbridge_service::ServiceError;
use ipbridge_service::auth::china_time;
use ipbridge_service::indicators::dashboard::{
    Chart, ChartData, ChartRow, ChartSpec, Dashboard, SnapshotMonth, trigger_label,
};
use ipbridge_service::indicators::{IndicatorValue, TargetView};
use serde::Deserialize;

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::{WebError, WebResult};
use crate::pages::{Chrome, export_name, redirect_with_flash, render, xlsx_download};
use crate::routes::{Access, Routes};

/// The dashboard.
const DASHBOARD: &str = "/indicators";
/// The snapshots page; POST takes one.
const SNAPSHOTS: &str = "/indicators/snapshots";

/// The routes of these pages.
pub(crate) fn routes(r: Routes) -> Routes {
    let view = Access::Permission(Permission::ViewIndicators);
    r.get(DASHBOARD, view, dashboard)
        .get("/indicators/report", view, report)
        .get("/indicators/charts/{file}", view, chart_export)
        .get(SNAPSHOTS, view, snapshots)
        .post(SNAPSHOTS, Access::Permission(Permission::ManageIndicators), take_snapshot)
        .get("/indicators/snapshots/export", view, snapshots_export)
}

/// The markup data of one chart for `ind_chart.html` (see the comment at its top). Other indicator pages
/// build these from a service [`Chart`] with [`ChartBox::new`] or from their own [`ChartData`] with
/// [`ChartBox::from_data`].
#[derive(Debug, Clone)]
pub struct ChartBox {
    /// Unique on the page; the chart element is `c-{id}`, its data `d-{id}`.
    pub id: String,
    /// `line`, `bar`, `pie` or `gauge`.
    pub kind: &'static str,
    /// The caption above the chart.
    pub caption: String,
    /// Name of the downloaded picture.
    pub file_title: String,
    /// The chart contract's JSON, already safe inside a script element.
    pub json: String,
    /// Where a click on a category goes, with `{key}`; empty: nowhere.
    pub link: String,
    /// The xlsx download of the data; empty: none.
    pub xlsx: String,
    /// Drawn with the SVG renderer (print).
    pub svg: bool,
    /// Nothing to draw: the box shows `empty_text` instead.
    pub empty: bool,
    /// What an empty chart says.
    pub empty_text: String,
    /// A line under the chart (how to read it), empty for none.
    pub note: String,
}

impl ChartBox {
    /// The box of a service chart, with its export.
    pub fn new(chart: &Chart) -> Self {
        ChartBox {
            id: chart.spec.dom_id(),
            kind: chart.kind,
            caption: chart.title.clone(),
            file_title: chart.file_title.clone(),
            json: chart.json(),
            link: String::new(),
            xlsx: chart.spec.export_href(),
            svg: false,
            empty: chart.is_empty(),
            empty_text: "暂无数据".to_owned(),
            note: String::new(),
        }
    }

    /// The box of chart data built elsewhere (no export unless given with [`ChartBox::xlsx`]).
    pub fn from_data(id: &str, kind: &'static str, caption: &str, data: &ChartData) -> Self {
        let json = serde_json::to_string(data).unwrap_or_else(|_| "{}".to_owned());
        ChartBox {
            id: id.to_owned(),
            kind,
            caption: caption.to_owned(),
            file_title: caption.to_owned(),
            json: json.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026"),
            link: String::new(),
            xlsx: String::new(),
            svg: false,
            empty: data.categories.is_empty(),
            empty_text: "暂无数据".to_owned(),
            note: String::new(),
        }
    }

    /// Clicking a category opens `pattern` with `{key}` replaced by its key.
    pub fn link(mut self, pattern: &str) -> Self {
        self.link = pattern.to_owned();
        self
    }

    /// The data downloads from `href`.
    pub fn xlsx(mut self, href: &str) -> Self {
        self.xlsx = href.to_owned();
        self
    }

    /// Drawn with the SVG renderer.
    pub fn svg(mut self) -> Self {
        self.svg = true;
        self
    }

    /// What the box says when there is nothing to draw.
    pub fn empty_text(mut self, text: &str) -> Self {
        self.empty_text = text.to_owned();
        self
    }

    /// A line under the chart.
    pub fn note(mut self, text: &str) -> Self {
        self.note = text.to_owned();
        self
    }
}

/// A target as its card and the report's table show it.
struct TargetCard {
    name: String,
    code: &'static str,
    measure: u8,
    unit: String,
    actual: String,
    target: String,
    has_value: bool,
    gap: String,
    completion: String,
    /// 0–10000 for the progress bar.
    completion_bp: i64,
    status: &'static str,
    status_class: &'static str,
    days: String,
    due: String,
    missing: String,
}

fn days_text(days_left: i64) -> String {
    match days_left {
        d if d > 0 => format!("距截止还有 {d} 天"),
        0 => "今天截止".to_owned(),
        d => format!("已逾期 {} 天", -d),
    }
}

fn target_card(t: &TargetView, today: chrono::NaiveDate) -> TargetCard {
    let days_left = (t.due - today).num_days();
    let (gap, completion, completion_bp, status, status_class) = match &t.progress {
        Some(p) => {
            let gap = if p.gap == 0 {
                "已达到目标".to_owned()
            } else {
                format!("差距 {} {}", t.indicator.format(p.gap), t.unit)
            };
            let class = match p.status {
                TargetStatus::Reached => "reached",
                TargetStatus::OnTheWay => "on-the-way",
                TargetStatus::Missed => "missed",
            };
            (gap, format!("{:.1}%", p.completion_bp as f64 / 100.0), p.completion_bp, p.status.label(), class)
        }
        None => ("—".to_owned(), "—".to_owned(), 0, "暂无数据", "unknown"),
    };
    let missing = if t.actual.is_some() {
        String::new()
    } else if t.indicator.is_entered() {
        "尚未录入统计数据（指标统计 → 商标与产业统计）".to_owned()
    } else {
        "尚未汇总".to_owned()
    };
    TargetCard {
        name: t.name.clone(),
        code: t.indicator.code(),
        measure: t.measure,
        unit: t.unit.clone(),
        actual: t.actual_text.clone(),
        target: t.target_text.clone(),
        has_value: t.actual.is_some(),
        gap,
        completion,
        completion_bp,
        status,
        status_class,
        days: days_text(days_left),
        due: t.due.format("%Y年%-m月%-d日").to_string(),
        missing,
    }
}

/// An indicator without a target, as its card shows it.
struct ValueCard {
    label: &'static str,
    value: String,
    unit: &'static str,
    note: String,
}

fn value_card(v: &IndicatorValue, population: Option<u64>) -> ValueCard {
    let note = match v.indicator {
        Indicator::HighValuePer10k => match population {
            Some(p) => format!("高价值发明专利拥有量按常住人口 {:.1} 万人计算", p as f64 / 10_000.0),
            None => "政策文件未设置常住人口，无法计算".to_owned(),
        },
        Indicator::GiUsers => "来自按县区、按月录入的商标与地理标志统计".to_owned(),
        Indicator::PatentIntensiveShare => {
            "措施 3 只要求提升专利密集型产业增加值占 GDP 的比重，未给出目标数值；按年度录入，看逐年变化".to_owned()
        }
        Indicator::StockPatentsConverted => {
            "高校、科研机构存量专利中已转让、许可、作价入股或自行实施的（措施 1）".to_owned()
        }
        Indicator::StockPatentCoverage => "高校、科研机构未转化有效专利的盘点覆盖率（措施 1）".to_owned(),
        Indicator::ValidTrademarks => "来自按县区、按月录入的商标统计".to_owned(),
        Indicator::ValidInventionPatents | Indicator::HighValueInventionPatents => "按本市专利汇总".to_owned(),
    };
    ValueCard { label: v.indicator.label(), value: v.text.clone(), unit: v.indicator.unit(), note }
}

/// A chart's data as a table of the report.
struct TableView {
    category_header: String,
    headers: Vec<String>,
    rows: Vec<ChartRow>,
}

fn table_of(chart: &Chart) -> TableView {
    TableView { category_header: chart.category_header.clone(), headers: chart.value_headers(), rows: chart.rows() }
}

/// What both the dashboard and the report show above the charts.
struct Figures {
    ready: bool,
    updated: String,
    refresh_minutes: u32,
    targets: Vec<TargetCard>,
    values: Vec<ValueCard>,
}

fn figures(d: &Dashboard) -> Figures {
    let o = &d.overview;
    let targeted: Vec<Indicator> = o.targets.iter().map(|t| t.indicator).collect();
    Figures {
        ready: o.refreshed.is_some(),
        updated: o
            .refreshed
            .as_ref()
            .map(|r| china_time(r.finished_at.unwrap_or(r.started_at)).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default(),
        refresh_minutes: d.refresh_minutes,
        targets: o.targets.iter().map(|t| target_card(t, o.today)).collect(),
        values: o
            .values
            .iter()
            .filter(|v| !targeted.contains(&v.indicator))
            .map(|v| value_card(v, o.population))
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "ind_dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    f: Figures,
    document: String,
    trends: Vec<ChartBox>,
    counties: ChartBox,
    chains: ChartBox,
    criteria: ChartBox,
    can_manage: bool,
}

/// The dashboard: where the city stands against its targets, the trends, the counties, the chains and the
/// high-value criteria.
pub async fn dashboard(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let d = state.app.indicator_dashboard(&ctx.actor).await?;
    let policy = &state.app.policy;
    let trends = d
        .trends
        .iter()
        .map(|c| {
            let b = ChartBox::new(c);
            if c.is_empty() {
                b.empty_text("尚无月度数据（录入统计数据或完成首次汇总后显示）")
            } else {
                b
            }
        })
        .collect();
    Ok(render(&DashboardPage {
        chrome: Chrome::new(&state, &ctx, "指标看板", "indicators"),
        document: format!("《{}》（{}）", policy.document.title, policy.document.number),
        trends,
        counties: ChartBox::new(&d.counties)
            .link("/indicators/counties/{key}")
            .note("点击县区的条形或名称，查看该县区的分类统计。每万人口数据见“下载数据”。"),
        chains: ChartBox::new(&d.chains)
            .link("/indicators/chains/{key}")
            .note("专利按产业链的 IPC 分类号前缀或名称关键词归入，一件专利可属于多条产业链。点击查看产业链专利态势。"),
        criteria: ChartBox::new(&d.criteria).note(
            "有效发明专利满足任一条件即为高价值发明专利；一件专利可同时满足多项条件，故各项之和可大于高价值发明专利总数。",
        ),
        f: figures(&d),
        can_manage: ctx.can(Permission::ManageIndicators),
    }))
}

#[derive(Template)]
#[template(path = "ind_report.html")]
struct ReportPage {
    chrome: Chrome,
    f: Figures,
    city: String,
    document_title: String,
    document_number: String,
    date: String,
    trends: Vec<ChartBox>,
    counties: TableView,
    chains: TableView,
    criteria: TableView,
}

/// The printable A4 report for meetings.
pub async fn report(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let d = state.app.indicator_dashboard(&ctx.actor).await?;
    let policy = &state.app.policy;
    Ok(render(&ReportPage {
        chrome: Chrome::new(&state, &ctx, "指标报告", "indicator-report"),
        city: policy.city.name.clone(),
        document_title: policy.document.title.clone(),
        document_number: policy.document.number.clone(),
        date: d.overview.today.format("%Y年%-m月%-d日").to_string(),
        trends: d.trends.iter().map(|c| ChartBox::new(c).svg().empty_text("尚无月度数据")).collect(),
        counties: table_of(&d.counties),
        chains: table_of(&d.chains),
        criteria: table_of(&d.criteria),
        f: figures(&d),
    }))
}

/// The query of a chart export: the trend's indicator and scope.
#[derive(Debug, Default, Deserialize)]
pub struct ChartQuery {
    #[serde(default)]
    indicator: String,
    #[serde(default)]
    scope: String,
}

/// `/indicators/charts/{name}.xlsx`: a chart's data as xlsx (audited).
pub async fn chart_export(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(file): Path<String>,
    Query(q): Query<ChartQuery>,
) -> WebResult {
    let Some(name) = file.strip_suffix(".xlsx") else { return Err(WebError::not_found()) };
    let spec = ChartSpec::parse(name, &q.indicator, &q.scope).map_err(query_error)?;
    let (title, bytes) = state.app.export_indicator_chart(&ctx.actor, &spec).await.map_err(query_error)?;
    Ok(xlsx_download(&export_name(&state, &title), bytes))
}

/// A refused query with the service's own Chinese message (the generic one would not say what is wrong).
fn query_error(e: ServiceError) -> WebError {
    let message = match &e {
        ServiceError::Invalid(errors) => ["chart", "indicator", "scope"].iter().find_map(|f| errors.first(f)),
        _ => None,
    };
    match message {
        Some(m) => WebError::invalid(m),
        None => e.into(),
    }
}

/// The query of the snapshots page.
#[derive(Debug, Default, Deserialize)]
pub struct MonthQuery {
    #[serde(default)]
    month: String,
}

impl MonthQuery {
    /// The month asked for; `None` when none was.
    fn month(&self) -> Result<Option<Month>, WebError> {
        let text = self.month.trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse::<Month>().map(Some).map_err(|e| WebError::invalid(e.to_string()))
    }
}

/// A month's table as the snapshots page shows it.
struct MonthView {
    month: String,
    headers: Vec<String>,
    rows: Vec<MonthViewRow>,
    export_href: String,
}

struct MonthViewRow {
    label: String,
    texts: Vec<String>,
    origins: String,
    taken_at: String,
}

/// A refresh run as the snapshots page lists it.
struct RunRow {
    trigger: String,
    started: String,
    patents: i64,
    duration: String,
    result: String,
    failed: bool,
}

#[derive(Template)]
#[template(path = "ind_snapshots.html")]
struct SnapshotsPage {
    chrome: Chrome,
    can_take: bool,
    months: Vec<SnapshotMonth>,
    selected: String,
    month: Option<MonthView>,
    runs: Vec<RunRow>,
}

/// The months with snapshots, a month's values, and the latest refresh runs.
pub async fn snapshots(State(state): State<AppState>, ctx: Ctx, Query(q): Query<MonthQuery>) -> WebResult {
    let asked = q.month()?;
    let months = state.app.indicator_snapshot_months(&ctx.actor).await?;
    let month = match asked {
        Some(m) => Some(m),
        None => months.first().and_then(|m| m.month.parse::<Month>().ok()),
    };
    let month = match month {
        Some(m) => {
            let t = state.app.indicator_month_table(&ctx.actor, m).await?;
            Some(MonthView {
                month: m.to_string(),
                headers: t.indicators.iter().map(|i| format!("{}（{}）", i.label(), i.unit())).collect(),
                rows: t
                    .rows
                    .into_iter()
                    .map(|r| MonthViewRow {
                        label: r.label,
                        texts: r.texts,
                        origins: r.origins,
                        taken_at: r
                            .taken_at
                            .map(|t| china_time(t).format("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_default(),
                    })
                    .collect(),
                export_href: format!("/indicators/snapshots/export?month={m}"),
            })
        }
        None => None,
    };
    let runs = state
        .app
        .indicator_refreshes(&ctx.actor, 20)
        .await?
        .into_iter()
        .map(|r| RunRow {
            trigger: trigger_label(&r.trigger),
            started: china_time(r.started_at).format("%Y-%m-%d %H:%M:%S").to_string(),
            patents: r.patents,
            duration: if r.finished_at.is_some() {
                format!("{:.1} 秒", r.millis as f64 / 1000.0)
            } else {
                "—".to_owned()
            },
            failed: r.error.is_some(),
            result: match (&r.error, r.finished_at) {
                // The error's text is for the operator (server log); viewers learn that the run failed.
                (Some(_), _) => "失败（原因见服务器日志）".to_owned(),
                (None, Some(_)) => "完成".to_owned(),
                (None, None) => "进行中".to_owned(),
            },
        })
        .collect();
    Ok(render(&SnapshotsPage {
        chrome: Chrome::new(&state, &ctx, "月度快照", "indicator-snapshots"),
        can_take: ctx.can(Permission::ManageIndicators),
        selected: month.as_ref().map(|m| m.month.clone()).unwrap_or_default(),
        months,
        month,
        runs,
    }))
}

/// Takes this month's snapshot now (recomputing everything first); audited by the service.
pub async fn take_snapshot(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let r = state.app.take_indicator_snapshot(&ctx.actor).await?;
    let month = Month::of(state.app.china_today());
    Ok(redirect_with_flash(
        &format!("{SNAPSHOTS}?month={month}"),
        "success",
        &format!(
            "已重新汇总并记录 {month} 月度快照：读取专利 {} 件，其中本市 {} 件；本市有效发明专利 {} 件，高价值发明专利 {} 件；用时 {:.1} 秒。",
            r.patents,
            r.in_city,
            r.valid_invention,
            r.high_value,
            r.millis as f64 / 1000.0
        ),
    ))
}

/// A month's values as xlsx (audited).
pub async fn snapshots_export(State(state): State<AppState>, ctx: Ctx, Query(q): Query<MonthQuery>) -> WebResult {
    let Some(month) = q.month()? else { return Err(WebError::invalid("请指定要导出的月份（如 2025-06）")) };
    let bytes = state.app.export_indicator_month(&ctx.actor, month).await?;
    Ok(xlsx_download(&export_name(&state, &format!("指标快照-{month}")), bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_read_as_time_left_or_overdue() {
        assert_eq!(days_text(30), "距截止还有 30 天");
        assert_eq!(days_text(0), "今天截止");
        assert_eq!(days_text(-5), "已逾期 5 天");
    }

    #[test]
    fn boxes_of_foreign_data_are_safe_inside_a_script_element() {
        let data = ChartData {
            categories: vec!["</script>".into()],
            keys: Vec::new(),
            series: Vec::new(),
            unit: "件".into(),
            horizontal: false,
            stack: false,
        };
        let b = ChartBox::from_data("x", "bar", "标题", &data).link("/a/{key}").svg();
        assert!(!b.json.contains("</"), "{}", b.json);
        assert!(!b.empty && b.svg && b.link == "/a/{key}" && b.xlsx.is_empty());
    }
}
