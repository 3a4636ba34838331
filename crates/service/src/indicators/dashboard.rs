//! The indicator dashboard, its printable report and the snapshot page.
//!
//! Every chart is built by one function ([`App::indicator_chart`]) whose result the page draws (as the chart
//! contract's JSON, see [`Chart::json`]) and the xlsx export writes ([`Chart::to_table`]), so the picture and
//! the downloaded figures never disagree. Everything here reads the precomputed aggregates (indicator_cells)
//! and the monthly snapshots, never the patents: the dashboard costs the same with ten patents or a million.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use ipbridge_domain::Permission;
use ipbridge_domain::indicators::high_value::Criterion;
use ipbridge_domain::indicators::{Indicator, Month, per_10k_hundredths};
use ipbridge_ingest::{Cell, Table};
use ipbridge_store::{ChainStore, IndicatorCell, IndicatorStore, StoredChain, Tx};
use serde::Serialize;

use super::{Overview, Scope};
use crate::auth::china_time;
use crate::error::invalid;
use crate::{Actor, App, FieldErrors, Result, ServiceError};

/// One line, one set of bars or one gauge value of a chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartSeries {
    /// Legend name.
    pub name: String,
    /// One value per category, in the chart's unit; `None` where there is no value (a gap in a line).
    pub data: Vec<Option<f64>>,
    /// Drawn dashed (a target line).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dashed: bool,
    /// Decimals tables and exports show (0 for counts).
    #[serde(skip)]
    pub decimals: usize,
}

impl ChartSeries {
    fn counts(name: &str, data: Vec<Option<f64>>) -> Self {
        ChartSeries { name: name.to_owned(), data, dashed: false, decimals: 0 }
    }

    /// A value as tables show it (`—` where there is none).
    pub fn text(&self, index: usize) -> String {
        match self.data.get(index).copied().flatten() {
            Some(v) => format!("{v:.prec$}", prec = self.decimals),
            None => "—".to_owned(),
        }
    }
}

/// The data of a chart in the shape `static/charts.js` draws (the chart contract).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartData {
    /// The x axis (line, bar) or slice names (pie).
    pub categories: Vec<String>,
    /// One per category: what a click on it opens (the page's link with `{key}` replaced); empty when the
    /// categories open nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    /// The series drawn.
    pub series: Vec<ChartSeries>,
    /// Unit of the values.
    pub unit: String,
    /// Bars drawn horizontally (long labels).
    pub horizontal: bool,
    /// Bars stacked.
    pub stack: bool,
}

/// Which chart: the name in `/indicators/charts/{name}.xlsx` and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartSpec {
    /// An indicator month by month since its first snapshot, with its target (city scope) as a dashed line.
    Trend {
        /// The indicator.
        indicator: Indicator,
        /// The city, a county or a chain.
        scope: Scope,
    },
    /// Valid invention and high-value invention patents per county.
    Counties,
    /// Valid invention and high-value invention patents per key industry chain.
    Chains,
    /// How many of the city's valid invention patents meet each high-value criterion.
    Criteria,
}

/// Characters a query value may carry as they are; others are percent-encoded.
fn query_value(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl ChartSpec {
    /// The chart named `name` (`trend`, `counties`, `chains`, `criteria`) with the query's `indicator` and
    /// `scope` (trend only; the scope `''` is the city, `county:<code>` or `chain:<code>` a part of it).
    pub fn parse(name: &str, indicator: &str, scope: &str) -> Result<ChartSpec> {
        match name {
            "trend" => {
                let indicator = indicator
                    .trim()
                    .parse::<Indicator>()
                    .map_err(|e| invalid("indicator", format!("{e}：趋势图须指定指标")))?;
                let scope = Scope::parse(scope.trim()).ok_or_else(|| {
                    invalid("scope", format!("统计范围 “{scope}” 不正确（应为空、county:代码 或 chain:代码）"))
                })?;
                Ok(ChartSpec::Trend { indicator, scope })
            }
            "counties" => Ok(ChartSpec::Counties),
            "chains" => Ok(ChartSpec::Chains),
            "criteria" => Ok(ChartSpec::Criteria),
            other => Err(invalid("chart", format!("没有名为 “{other}” 的图表"))),
        }
    }

    /// The name in the export's path.
    pub const fn name(&self) -> &'static str {
        match self {
            ChartSpec::Trend { .. } => "trend",
            ChartSpec::Counties => "counties",
            ChartSpec::Chains => "chains",
            ChartSpec::Criteria => "criteria",
        }
    }

    /// Where its data downloads as xlsx.
    pub fn export_href(&self) -> String {
        match self {
            ChartSpec::Trend { indicator, scope } => format!(
                "/indicators/charts/trend.xlsx?indicator={}&scope={}",
                indicator.code(),
                query_value(&scope.key())
            ),
            other => format!("/indicators/charts/{}.xlsx", other.name()),
        }
    }

    /// An id for the page's elements, unique among a page's charts.
    pub fn dom_id(&self) -> String {
        match self {
            ChartSpec::Trend { indicator, scope } => {
                let scope: String =
                    scope.key().chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' }).collect();
                if scope.is_empty() {
                    format!("trend-{}", indicator.code())
                } else {
                    format!("trend-{}-{scope}", indicator.code())
                }
            }
            other => other.name().to_owned(),
        }
    }
}

/// A chart ready to draw and to export.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Which chart.
    pub spec: ChartSpec,
    /// `line`, `bar`, `pie` or `gauge`.
    pub kind: &'static str,
    /// Caption, with the unit: 有效发明专利拥有量（件）.
    pub title: String,
    /// Name for downloads (picture and workbook), without the unit.
    pub file_title: String,
    /// Heading of the category column in tables and exports (月份, 县（市、区） …).
    pub category_header: String,
    /// What is drawn.
    pub data: ChartData,
    /// Columns the tables and the export show besides the drawn series (totals, per-10,000 figures).
    pub extra: Vec<ChartSeries>,
}

/// One row of a chart's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartRow {
    /// The category.
    pub label: String,
    /// Its key (empty when none).
    pub key: String,
    /// Every column's value as text.
    pub values: Vec<String>,
}

impl Chart {
    /// Whether there is nothing to draw.
    pub fn is_empty(&self) -> bool {
        self.data.categories.is_empty()
    }

    fn columns(&self) -> impl Iterator<Item = &ChartSeries> {
        self.data.series.iter().chain(&self.extra)
    }

    /// Headers of the value columns (drawn series, then the extra columns).
    pub fn value_headers(&self) -> Vec<String> {
        self.columns().map(|s| s.name.clone()).collect()
    }

    /// The chart as table rows: one per category, with every column.
    pub fn rows(&self) -> Vec<ChartRow> {
        self.data
            .categories
            .iter()
            .enumerate()
            .map(|(i, label)| ChartRow {
                label: label.clone(),
                key: self.data.keys.get(i).cloned().unwrap_or_default(),
                values: self.columns().map(|s| s.text(i)).collect(),
            })
            .collect()
    }

    /// The chart's data as an export table: the category, its code when it has one, then every column as
    /// numbers (empty where there is no value).
    pub fn to_table(&self) -> Table {
        let with_keys = self.data.keys.iter().any(|k| !k.is_empty());
        let mut headers: Vec<String> = vec![self.category_header.clone()];
        if with_keys {
            headers.push("代码".to_owned());
        }
        headers.extend(self.columns().map(|s| s.name.clone()));
        let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
        let mut t = Table::new(&self.file_title, &header_refs);
        for (i, label) in self.data.categories.iter().enumerate() {
            let mut row = vec![Cell::from(label.as_str())];
            if with_keys {
                row.push(Cell::from(self.data.keys.get(i).map(String::as_str).unwrap_or_default()));
            }
            row.extend(self.columns().map(|s| match s.data.get(i).copied().flatten() {
                Some(v) => Cell::Number(v),
                None => Cell::Empty,
            }));
            t.push(row);
        }
        t
    }

    /// The chart contract's JSON, safe inside `<script type="application/json">`: `<`, `>` and `&` are
    /// written as JSON escapes, so no label can close the element.
    pub fn json(&self) -> String {
        let text = serde_json::to_string(&self.data).unwrap_or_else(|_| "{}".to_owned());
        text.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
    }
}

/// Everything the dashboard and the printable report show.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// Targets and values as of the last refresh.
    pub overview: Overview,
    /// One trend per target, in the policy's order.
    pub trends: Vec<Chart>,
    /// Per county.
    pub counties: Chart,
    /// Per chain.
    pub chains: Chart,
    /// The high-value criteria mix.
    pub criteria: Chart,
    /// Minutes between scheduled refreshes.
    pub refresh_minutes: u32,
}

/// One scope's values of a month on the snapshot page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthRow {
    /// The scope key.
    pub scope: String,
    /// 全市, a county's or a chain's name.
    pub label: String,
    /// One per indicator of the table (stored values).
    pub values: Vec<Option<i64>>,
    /// The same as text in each indicator's unit (`—` where none).
    pub texts: Vec<String>,
    /// How the values were recorded (自动、手动、回溯重建).
    pub origins: String,
    /// When the latest of them was taken.
    pub taken_at: Option<DateTime<Utc>>,
}

/// Every value of one month: a scope per row, an indicator per column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthTable {
    /// The month.
    pub month: Month,
    /// The columns: the indicators the month holds, in the usual order.
    pub indicators: Vec<Indicator>,
    /// The rows: the city, the counties, the chains.
    pub rows: Vec<MonthRow>,
}

/// A month holding snapshots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// How many values it holds.
    pub values: i64,
    /// How they were recorded, in Chinese (自动、手动、回溯重建).
    pub origins: String,
}

/// How a snapshot value was recorded, in Chinese.
pub fn origin_label(origin: &str) -> &'static str {
    match origin {
        "auto" => "自动",
        "manual" => "手动",
        "backfill" => "回溯重建",
        _ => "其他",
    }
}

/// Why a refresh ran, in Chinese (the trigger codes the services pass).
pub fn trigger_label(trigger: &str) -> String {
    let label = match trigger {
        "start" => "服务启动",
        "schedule" => "定时汇总",
        "manual" => "手动快照",
        "request" => "数据变更",
        "import" => "专利导入",
        "statistics" => "统计数据录入",
        "place" => "申请人归属调整",
        "award" => "获奖专利登记",
        "reference" => "参照数据更新",
        "chain" => "产业链调整",
        "applicant_link" => "申请人关联",
        "deal" => "转化交易",
        "org" => "机构变更",
        "test" => "测试",
        other => return other.to_owned(),
    };
    label.to_owned()
}

/// A value in its unit as a chart number (stored values are scaled; see `Indicator::scale`).
fn in_unit(indicator: Indicator, stored: i64) -> f64 {
    // Stored values stay far below 2^53, where f64 is exact.
    stored as f64 / indicator.scale() as f64
}

/// A whole count as a chart number.
fn count(n: i64) -> Option<f64> {
    Some(n as f64)
}

impl App {
    /// The chart `spec` from the precomputed aggregates and snapshots.
    pub async fn indicator_chart(&self, actor: &Actor, spec: &ChartSpec) -> Result<Chart> {
        actor.authorise(Permission::ViewIndicators)?;
        let mut tx = self.db.read().await?;
        let chains = tx.chains().await?;
        self.build_chart(&mut tx, spec, &chains).await
    }

    /// The data of the chart `spec` as xlsx (audited as an export of the chart), with the chart's name for
    /// the file.
    pub async fn export_indicator_chart(&self, actor: &Actor, spec: &ChartSpec) -> Result<(String, Vec<u8>)> {
        let chart = self.indicator_chart(actor, spec).await?;
        let object = match spec {
            ChartSpec::Trend { indicator, scope } => format!("{}@{}", indicator.code(), scope.key()),
            _ => String::new(),
        };
        let bytes =
            self.finish_export(actor, &format!("indicator_chart_{}", spec.name()), &object, &chart.to_table()).await?;
        Ok((chart.file_title, bytes))
    }

    /// The dashboard: targets and values, a trend per target, the counties, the chains and the criteria mix.
    pub async fn indicator_dashboard(&self, actor: &Actor) -> Result<Dashboard> {
        let overview = self.indicator_overview(actor).await?;
        let mut tx = self.db.read().await?;
        let chains = tx.chains().await?;
        let mut trends = Vec::new();
        let mut seen = BTreeSet::new();
        for t in &overview.targets {
            if seen.insert(t.indicator) {
                let spec = ChartSpec::Trend { indicator: t.indicator, scope: Scope::City };
                trends.push(self.build_chart(&mut tx, &spec, &chains).await?);
            }
        }
        let counties = self.build_chart(&mut tx, &ChartSpec::Counties, &chains).await?;
        let chain_chart = self.build_chart(&mut tx, &ChartSpec::Chains, &chains).await?;
        let criteria = self.build_chart(&mut tx, &ChartSpec::Criteria, &chains).await?;
        Ok(Dashboard {
            overview,
            trends,
            counties,
            chains: chain_chart,
            criteria,
            refresh_minutes: self.policy.indicators.refresh_minutes,
        })
    }

    /// The name of a scope: 全市, a county's, a chain's.
    fn chart_scope_label(&self, scope: &Scope, chains: &[StoredChain]) -> Option<String> {
        match scope {
            Scope::City => Some("全市".to_owned()),
            Scope::County(code) => self.policy.county(code).map(|c| c.name.clone()),
            Scope::Chain(code) => chains.iter().find(|c| &c.code == code).map(|c| c.name.clone()),
        }
    }

    async fn build_chart(&self, tx: &mut Tx, spec: &ChartSpec, chains: &[StoredChain]) -> Result<Chart> {
        match spec {
            ChartSpec::Trend { indicator, scope } => self.trend_chart(tx, *indicator, scope, chains).await,
            ChartSpec::Counties => self.county_chart(tx).await,
            ChartSpec::Chains => self.chain_chart(tx, chains).await,
            ChartSpec::Criteria => self.criteria_chart(tx).await,
        }
    }

    async fn trend_chart(
        &self,
        tx: &mut Tx,
        indicator: Indicator,
        scope: &Scope,
        chains: &[StoredChain],
    ) -> Result<Chart> {
        let Some(scope_name) = self.chart_scope_label(scope, chains) else {
            let mut errors = FieldErrors::new();
            errors.add("scope", format!("没有这个统计范围：“{}”", scope.key()));
            return Err(ServiceError::Invalid(errors));
        };
        let by_month: BTreeMap<Month, i64> = tx
            .snapshots(indicator.code(), &scope.key())
            .await?
            .into_iter()
            .filter_map(|s| Some((s.month.parse::<Month>().ok()?, s.value)))
            .collect();
        let mut categories = Vec::new();
        let mut actual = Vec::new();
        if let (Some(&first), Some(&last)) = (by_month.keys().next(), by_month.keys().next_back()) {
            // Every month of the span, so a month without a snapshot shows as a gap, not as a jump.
            let mut m = first;
            while m <= last {
                categories.push(m.to_string());
                actual.push(by_month.get(&m).map(|v| in_unit(indicator, *v)));
                m = m.next();
            }
        }
        let decimals = if indicator.scale() == 1 { 0 } else { 2 };
        let months = categories.len();
        let mut series = vec![ChartSeries { name: "实际值".to_owned(), data: actual, dashed: false, decimals }];
        let target = self.policy.targets.iter().find(|t| t.code == indicator.code()).filter(|_| *scope == Scope::City);
        if let Some(t) = target {
            let value = in_unit(indicator, indicator.target_stored(t.value));
            series.push(ChartSeries {
                name: format!("目标值（{}前）", t.due.format("%Y年%-m月%-d日")),
                data: vec![Some(value); months],
                dashed: true,
                decimals,
            });
        }
        let prefix = if *scope == Scope::City { String::new() } else { format!("{scope_name} · ") };
        Ok(Chart {
            spec: ChartSpec::Trend { indicator, scope: scope.clone() },
            kind: "line",
            title: format!("{prefix}{}（{}）", indicator.label(), indicator.unit()),
            file_title: format!("{prefix}{}月度趋势", indicator.label()),
            category_header: "月份".to_owned(),
            data: ChartData {
                categories,
                keys: Vec::new(),
                series,
                unit: indicator.unit().to_owned(),
                horizontal: false,
                stack: false,
            },
            extra: Vec::new(),
        })
    }

    async fn county_chart(&self, tx: &mut Tx) -> Result<Chart> {
        let cells = tx.cells("", "county").await?;
        let by_key: HashMap<&str, &IndicatorCell> = cells.iter().map(|c| (c.key.as_str(), c)).collect();
        // The policy's counties in its order (those without patents too: a zero is news), then whatever the
        // aggregates hold besides (patents placed in the city without a county).
        let mut rows: Vec<(String, String, Option<&IndicatorCell>, Option<u64>)> = self
            .policy
            .counties
            .iter()
            .map(|c| (c.name.clone(), c.code.clone(), by_key.get(c.code.as_str()).copied(), c.population))
            .collect();
        for c in &cells {
            if self.policy.county(&c.key).is_none() {
                let label = if c.key.is_empty() { "本市（县区不明）".to_owned() } else { c.label.clone() };
                rows.push((label, c.key.clone(), Some(c), None));
            }
        }
        let column = |f: fn(&IndicatorCell) -> i64| -> Vec<Option<f64>> {
            rows.iter().map(|(_, _, c, _)| count(c.map_or(0, f))).collect()
        };
        let per_10k: Vec<Option<f64>> = rows
            .iter()
            .map(|(_, _, c, population)| {
                let hv = c.map_or(0, |c| c.high_value);
                population.and_then(|p| per_10k_hundredths(hv, p)).map(|v| in_unit(Indicator::HighValuePer10k, v))
            })
            .collect();
        Ok(Chart {
            spec: ChartSpec::Counties,
            kind: "bar",
            title: "各县（市、区）有效发明专利与高价值发明专利（件）".to_owned(),
            file_title: "各县区有效发明专利与高价值发明专利".to_owned(),
            category_header: "县（市、区）".to_owned(),
            data: ChartData {
                categories: rows.iter().map(|r| r.0.clone()).collect(),
                keys: rows.iter().map(|r| r.1.clone()).collect(),
                series: vec![
                    ChartSeries::counts("有效发明专利", column(|c| c.valid_invention)),
                    ChartSeries::counts("高价值发明专利", column(|c| c.high_value)),
                ],
                unit: "件".to_owned(),
                horizontal: true,
                stack: false,
            },
            extra: vec![
                ChartSeries::counts("专利总数", column(|c| c.patents)),
                ChartSeries::counts("有效专利", column(|c| c.in_force)),
                ChartSeries {
                    name: "每万人口高价值发明专利（件/万人）".to_owned(),
                    data: per_10k,
                    dashed: false,
                    decimals: 2,
                },
            ],
        })
    }

    async fn chain_chart(&self, tx: &mut Tx, chains: &[StoredChain]) -> Result<Chart> {
        let cells = tx.cells("", "chain").await?;
        let by_key: HashMap<&str, &IndicatorCell> = cells.iter().map(|c| (c.key.as_str(), c)).collect();
        let active: Vec<&StoredChain> = chains.iter().filter(|c| c.active).collect();
        let column = |f: fn(&IndicatorCell) -> i64| -> Vec<Option<f64>> {
            active.iter().map(|c| count(by_key.get(c.code.as_str()).map_or(0, |cell| f(cell)))).collect()
        };
        Ok(Chart {
            spec: ChartSpec::Chains,
            kind: "bar",
            title: "重点产业链有效发明专利与高价值发明专利（件）".to_owned(),
            file_title: "重点产业链专利对比".to_owned(),
            category_header: "重点产业链".to_owned(),
            data: ChartData {
                categories: active.iter().map(|c| c.name.clone()).collect(),
                keys: active.iter().map(|c| c.code.clone()).collect(),
                series: vec![
                    ChartSeries::counts("有效发明专利", column(|c| c.valid_invention)),
                    ChartSeries::counts("高价值发明专利", column(|c| c.high_value)),
                ],
                unit: "件".to_owned(),
                horizontal: true,
                stack: false,
            },
            extra: vec![
                ChartSeries::counts("专利总数", column(|c| c.patents)),
                ChartSeries::counts("有效专利", column(|c| c.in_force)),
            ],
        })
    }

    /// The criterion's name with the policy's figures (维持年限超过 10 年, 质押融资额不低于 1000 万元).
    fn criterion_label(&self, c: Criterion) -> String {
        let rules = &self.policy.high_value;
        match c {
            Criterion::Maintained => format!("维持年限超过{}年", rules.maintained_years),
            Criterion::Pledge => {
                let fen = rules.pledge_threshold.fen();
                if fen % 1_000_000 == 0 {
                    format!("质押融资额不低于{}万元", fen / 1_000_000)
                } else {
                    format!("质押融资额不低于{}元", rules.pledge_threshold)
                }
            }
            other => other.label().to_owned(),
        }
    }

    async fn criteria_chart(&self, tx: &mut Tx) -> Result<Chart> {
        // The refresh counts every city patent under each criterion it meets (dimension `criterion`);
        // `high_value` there is the valid invention patents among them, the ones that count.
        let cells = tx.cells("", "criterion").await?;
        let by_key: HashMap<&str, &IndicatorCell> = cells.iter().map(|c| (c.key.as_str(), c)).collect();
        let cell = |c: Criterion| by_key.get(c.code()).copied();
        Ok(Chart {
            spec: ChartSpec::Criteria,
            kind: "bar",
            title: "高价值发明专利满足各项认定条件的数量（件）".to_owned(),
            file_title: "高价值发明专利认定条件构成".to_owned(),
            category_header: "认定条件".to_owned(),
            data: ChartData {
                categories: Criterion::ALL.into_iter().map(|c| self.criterion_label(c)).collect(),
                keys: Vec::new(),
                series: vec![ChartSeries::counts(
                    "高价值发明专利",
                    Criterion::ALL.into_iter().map(|c| count(cell(c).map_or(0, |x| x.high_value))).collect(),
                )],
                unit: "件".to_owned(),
                horizontal: true,
                stack: false,
            },
            extra: vec![ChartSeries::counts(
                "满足该条件的全部专利（含非有效发明专利）",
                Criterion::ALL.into_iter().map(|c| count(cell(c).map_or(0, |x| x.patents))).collect(),
            )],
        })
    }

    /// The months holding snapshots, newest first, with how their values were recorded.
    pub async fn indicator_snapshot_months(&self, actor: &Actor) -> Result<Vec<SnapshotMonth>> {
        Ok(self
            .indicator_months(actor)
            .await?
            .into_iter()
            .map(|(month, values, origins)| {
                let mut labels: Vec<&str> = origins.split(',').filter(|o| !o.is_empty()).map(origin_label).collect();
                labels.sort_unstable();
                labels.dedup();
                SnapshotMonth { month, values, origins: labels.join("、") }
            })
            .collect())
    }

    /// Every value of `month`: the city, then the counties in the policy's order, then the chains.
    pub async fn indicator_month_table(&self, actor: &Actor, month: Month) -> Result<MonthTable> {
        let values = self.indicator_month(actor, month).await?;
        let chains = {
            let mut tx = self.db.read().await?;
            tx.chains().await?
        };
        let present: BTreeSet<&str> = values.iter().map(|v| v.indicator.as_str()).collect();
        let indicators: Vec<Indicator> = Indicator::ALL.into_iter().filter(|i| present.contains(i.code())).collect();
        let mut scopes: Vec<String> = values.iter().map(|v| v.scope.clone()).collect();
        scopes.sort_unstable();
        scopes.dedup();
        let rank = |scope: &str| -> (u8, usize, String) {
            match Scope::parse(scope) {
                Some(Scope::City) => (0, 0, String::new()),
                Some(Scope::County(code)) => match self.policy.counties.iter().position(|c| c.code == code) {
                    Some(i) => (1, i, String::new()),
                    None => (2, 0, code),
                },
                Some(Scope::Chain(code)) => match chains.iter().position(|c| c.code == code) {
                    Some(i) => (3, i, String::new()),
                    None => (4, 0, code),
                },
                None => (5, 0, scope.to_owned()),
            }
        };
        scopes.sort_by_key(|s| rank(s));
        let rows = scopes
            .into_iter()
            .map(|scope| {
                let mine: Vec<_> = values.iter().filter(|v| v.scope == scope).collect();
                let stored: Vec<Option<i64>> =
                    indicators.iter().map(|i| mine.iter().find(|v| v.indicator == i.code()).map(|v| v.value)).collect();
                let texts = indicators
                    .iter()
                    .zip(&stored)
                    .map(|(i, v)| v.map_or_else(|| "—".to_owned(), |v| i.format(v)))
                    .collect();
                let mut origins: Vec<&str> = mine.iter().map(|v| origin_label(&v.origin)).collect();
                origins.sort_unstable();
                origins.dedup();
                let parsed = Scope::parse(&scope);
                let label =
                    parsed.as_ref().and_then(|s| self.chart_scope_label(s, &chains)).unwrap_or_else(|| match parsed {
                        Some(Scope::County(code)) => format!("县区 {code}"),
                        Some(Scope::Chain(code)) => format!("产业链 {code}（已删除）"),
                        _ => scope.clone(),
                    });
                MonthRow {
                    label,
                    values: stored,
                    texts,
                    origins: origins.join("、"),
                    taken_at: mine.iter().map(|v| v.taken_at).max(),
                    scope,
                }
            })
            .collect();
        Ok(MonthTable { month, indicators, rows })
    }

    /// The values of `month` as xlsx: the snapshot page's table, with how and when they were recorded.
    pub async fn export_indicator_month(&self, actor: &Actor, month: Month) -> Result<Vec<u8>> {
        let table = self.indicator_month_table(actor, month).await?;
        let mut headers: Vec<String> = vec!["范围".to_owned(), "范围代码".to_owned()];
        headers.extend(table.indicators.iter().map(|i| format!("{}（{}）", i.label(), i.unit())));
        headers.push("记录方式".to_owned());
        headers.push("记录时间".to_owned());
        let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
        let mut t = Table::new(&format!("{month} 指标快照"), &header_refs);
        for r in &table.rows {
            let mut row = vec![Cell::from(r.label.as_str()), Cell::from(r.scope.as_str())];
            row.extend(
                table
                    .indicators
                    .iter()
                    .zip(&r.values)
                    .map(|(i, v)| v.map_or(Cell::Empty, |v| Cell::Number(in_unit(*i, v)))),
            );
            row.push(Cell::from(r.origins.as_str()));
            row.push(Cell::from(r.taken_at.map(|t| china_time(t).format("%Y-%m-%d %H:%M").to_string())));
            t.push(row);
        }
        self.finish_export(actor, "indicator_snapshots", &month.to_string(), &t).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> Chart {
        Chart {
            spec: ChartSpec::Counties,
            kind: "bar",
            title: "t（件）".into(),
            file_title: "t".into(),
            category_header: "县（市、区）".into(),
            data: ChartData {
                categories: vec!["汉滨区".into(), "</script><b>".into()],
                keys: vec!["610902".into(), String::new()],
                series: vec![ChartSeries::counts("有效发明专利", vec![Some(3.0), None])],
                unit: "件".into(),
                horizontal: true,
                stack: false,
            },
            extra: vec![ChartSeries {
                name: "每万人".into(),
                data: vec![Some(0.15), Some(1.0)],
                dashed: false,
                decimals: 2,
            }],
        }
    }

    #[test]
    fn specs_parse_and_link_to_their_exports() {
        let spec = ChartSpec::parse("trend", "valid_invention_patents", "county:610902").unwrap();
        assert_eq!(
            spec,
            ChartSpec::Trend { indicator: Indicator::ValidInventionPatents, scope: Scope::County("610902".into()) }
        );
        assert_eq!(
            spec.export_href(),
            "/indicators/charts/trend.xlsx?indicator=valid_invention_patents&scope=county:610902"
        );
        assert_eq!(spec.dom_id(), "trend-valid_invention_patents-county-610902");
        assert_eq!(ChartSpec::parse("counties", "", "").unwrap().export_href(), "/indicators/charts/counties.xlsx");
        assert!(matches!(ChartSpec::parse("trend", "nope", ""), Err(ServiceError::Invalid(_))));
        assert!(matches!(ChartSpec::parse("trend", "gi_users", "town:1"), Err(ServiceError::Invalid(_))));
        assert!(matches!(ChartSpec::parse("pies", "", ""), Err(ServiceError::Invalid(_))));
        assert_eq!(query_value("chain:富硒"), "chain:%E5%AF%8C%E7%A1%92");
    }

    #[test]
    fn the_json_follows_the_contract_and_cannot_close_its_script_element() {
        let json = chart().json();
        assert!(!json.contains('<') && !json.contains('>'), "{json}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["categories"][1], "</script><b>");
        assert_eq!(v["keys"][0], "610902");
        assert_eq!(v["series"][0]["data"], serde_json::json!([3.0, null]));
        assert!(v["series"][0].get("dashed").is_none(), "dashed only when true");
        assert_eq!(v["horizontal"], true);
        assert!(v.get("extra").is_none() && v["series"].as_array().unwrap().len() == 1, "table-only columns stay out");
    }

    #[test]
    fn tables_show_every_column_with_its_decimals() {
        let c = chart();
        assert_eq!(c.value_headers(), ["有效发明专利", "每万人"]);
        let rows = c.rows();
        assert_eq!(rows[0].values, ["3", "0.15"]);
        assert_eq!(rows[1].values, ["—", "1.00"]);
        let t = c.to_table();
        assert_eq!(t.headers, ["县（市、区）", "代码", "有效发明专利", "每万人"]);
        assert_eq!(t.rows[1][2], Cell::Empty);
        assert_eq!(t.rows[0][3], Cell::Number(0.15));
    }

    #[test]
    fn labels_read_in_chinese() {
        assert_eq!(origin_label("backfill"), "回溯重建");
        assert_eq!(trigger_label("schedule"), "定时汇总");
        assert_eq!(trigger_label("something_new"), "something_new");
    }
}
