//! Statistics that are not patent-level data, entered by the bureau: valid trademarks and geographical-
//! indication authorised users per county and month (a form for one month, or an import of the periodic
//! statistics), and the yearly patent-intensive industry value added against GDP.
//!
//! The figures are stored as entered; the city's total of a month is the sum over the counties that reported
//! it, and the refresh carries each county's latest figures forward into the monthly snapshots.

use std::collections::{BTreeMap, HashMap};

use chrono::Datelike;
use ipbridge_domain::Permission;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::credit_code::fold_full_width;
use ipbridge_domain::indicators::{Indicator, Month, share_bp};
use ipbridge_domain::policy::County;
use ipbridge_ingest::indicator_inputs::{InputColumns, TrademarkField, map_input_row, trademark_template_xlsx};
use ipbridge_ingest::{Cell, Format, RawRow, Table, format_reason};
use ipbridge_store::{AuditStore, StatsStore};
use serde_json::json;

use super::awards::{ImportedRow, fingerprint, read_upload, rejected_report};
use crate::auth::china_time;
use crate::error::invalid;
use crate::{Actor, App, FieldErrors, Result, ServiceError};

pub use ipbridge_store::{StoredIntensive, StoredTrademark};

/// Most rows one statistics file may hold (a dozen counties over several years of months).
pub const TRADEMARK_IMPORT_MAX_ROWS: usize = 20_000;

/// The earliest year of patent-intensive industry statistics (the national statistical classification of
/// patent-intensive industries dates from 2019; cities reconstructed a few years before it).
pub const FIRST_INTENSIVE_YEAR: i32 = 2000;

/// Longest note kept with a year's figures.
const NOTE_MAX_CHARS: usize = 200;

/// Largest figure accepted: far above any county's trademarks or any city's GDP in 万元, far below overflow.
const MAX_FIGURE: u64 = 1_000_000_000_000;

/// Labels of the rows statistics sheets add for the whole city, which are never a county's figures.
const TOTAL_LABELS: [&str; 5] = ["合计", "总计", "全市", "全市合计", "小计"];

/// A count or an amount as typed: digits with optional thousands separators (half- or full-width). `None`
/// when empty.
fn parse_figure(text: &str) -> Result<Option<i64>, String> {
    let cleaned: String =
        text.chars().map(fold_full_width).filter(|c| !c.is_whitespace() && !matches!(c, ',' | '，' | '、')).collect();
    if cleaned.is_empty() {
        return Ok(None);
    }
    match cleaned.parse::<u64>() {
        Ok(n) if n <= MAX_FIGURE => Ok(Some(i64::try_from(n).unwrap_or(i64::MAX))),
        Ok(_) => Err(format!("“{}”过大，请检查单位", text.trim())),
        Err(_) if cleaned.starts_with('-') => Err(format!("“{}”不能为负数", text.trim())),
        Err(_) if cleaned.contains('.') => Err(format!("“{}”应为整数，不带小数", text.trim())),
        Err(_) => Err(format!("“{}”不是数字，应为0或正整数", text.trim())),
    }
}

/// The county a cell names: its code, its name or one of its aliases.
fn find_county<'a>(counties: &'a [County], text: &str) -> Option<&'a County> {
    let t: String = text.chars().map(fold_full_width).filter(|c| !c.is_whitespace()).collect();
    counties.iter().find(|c| c.code == t || c.name == t || c.aliases.contains(&t))
}

/// A month as typed that is not in the future.
fn parse_month(text: &str, current: Month) -> Result<Month, String> {
    let month: Month = text.parse().map_err(|e: ipbridge_domain::indicators::MonthParseError| e.to_string())?;
    if month > current {
        return Err(format!("{month} 尚未结束，只能录入已结束或当月的统计数据"));
    }
    Ok(month)
}

/// A share in basis points as a percentage: `12.34%`.
fn percent(bp: i64) -> String {
    format!("{}%", Indicator::PatentIntensiveShare.format(bp))
}

/// A change in basis points as percentage points: `+0.35 个百分点`.
fn points(bp: i64) -> String {
    let sign = if bp > 0 { "+" } else { "" };
    format!("{sign}{} 个百分点", Indicator::PatentIntensiveShare.format(bp))
}

/// One month of the trademark table: each county's figures (in the order of [`StatisticsView::counties`])
/// and the city's sum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthRow {
    /// `YYYY-MM`.
    pub month: String,
    /// Per county: (有效商标持有量, 地理标志用标市场主体), when reported.
    pub cells: Vec<Option<(i64, i64)>>,
    /// The city's sum over the counties that reported.
    pub total: (i64, i64),
    /// How many counties reported.
    pub reported: usize,
}

/// One year of patent-intensive industry figures with its share and the change against the year before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntensiveView {
    /// The stored figures.
    pub row: StoredIntensive,
    /// Value added as a share of GDP, basis points.
    pub share_bp: Option<i64>,
    /// The share as text, `12.34%`.
    pub share: String,
    /// Against the previous year's share, `+0.35 个百分点` (`—` without a previous year).
    pub change: String,
}

/// Everything the statistics page shows.
#[derive(Debug, Clone)]
pub struct StatisticsView {
    /// The policy's counties: (code, name).
    pub counties: Vec<(String, String)>,
    /// Months with figures, latest first.
    pub months: Vec<MonthRow>,
    /// Years of patent-intensive figures, latest first.
    pub intensive: Vec<IntensiveView>,
}

/// One county's line of the month form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountyFigures {
    /// County code.
    pub county_code: String,
    /// 有效商标持有量.
    pub valid_trademarks: String,
    /// 地理标志用标市场主体.
    pub gi_users: String,
}

/// The month form: one month, every county.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrademarkMonthForm {
    /// `YYYY-MM` (or any form [`Month`] reads).
    pub month: String,
    /// One line per county.
    pub rows: Vec<CountyFigures>,
}

/// A year's patent-intensive figures as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntensiveForm {
    /// Year.
    pub year: String,
    /// 专利密集型产业增加值（万元）.
    pub value_added_wan: String,
    /// 地区生产总值（万元）.
    pub gdp_wan: String,
    /// Source or remark.
    pub note: String,
}

/// The outcome of a statistics import: every row written or rejected with its reason.
#[derive(Debug, Clone, Default)]
pub struct TrademarkImportReport {
    /// Data rows in the file.
    pub total: u64,
    /// Figures written for a county and month that had none.
    pub created: u64,
    /// Figures that replaced earlier ones.
    pub updated: u64,
    /// Rows refused.
    pub rejected: u64,
    /// Every row's outcome, in file order.
    pub rows: Vec<ImportedRow>,
    /// The rejected rows (original columns plus 错误原因) as xlsx, when any.
    pub report: Option<Vec<u8>>,
}

impl App {
    fn county_list(&self) -> Vec<(String, String)> {
        self.policy.counties.iter().map(|c| (c.code.clone(), c.name.clone())).collect()
    }

    fn county_name(&self, code: &str) -> String {
        self.policy.county(code).map_or_else(|| code.to_owned(), |c| c.name.clone())
    }

    /// The trademark figures by month and county, and the patent-intensive years.
    pub async fn statistics(&self, actor: &Actor) -> Result<StatisticsView> {
        actor.authorise(Permission::ViewIndicators)?;
        let mut tx = self.db.read().await?;
        let stored = tx.trademark_stats().await?;
        let intensive = tx.intensive_stats().await?;
        let counties = self.county_list();
        let index: HashMap<&str, usize> = counties.iter().enumerate().map(|(i, (c, _))| (c.as_str(), i)).collect();
        let mut by_month: BTreeMap<&str, MonthRow> = BTreeMap::new();
        for t in &stored {
            let row = by_month.entry(t.month.as_str()).or_insert_with(|| MonthRow {
                month: t.month.clone(),
                cells: vec![None; counties.len()],
                total: (0, 0),
                reported: 0,
            });
            // A county removed from the policy since still counts for the city's total it was part of.
            if let Some(&i) = index.get(t.county_code.as_str()) {
                row.cells[i] = Some((t.valid_trademarks, t.gi_users));
            }
            row.total.0 += t.valid_trademarks;
            row.total.1 += t.gi_users;
            row.reported += 1;
        }
        let months = by_month.into_values().rev().collect();
        // Latest first; each year against the year before it when that year was entered.
        let intensive = intensive
            .iter()
            .map(|r| {
                let share = share_bp(r.value_added_wan, r.gdp_wan);
                let previous = intensive
                    .iter()
                    .find(|p| p.year == r.year - 1)
                    .and_then(|p| share_bp(p.value_added_wan, p.gdp_wan));
                IntensiveView {
                    row: r.clone(),
                    share_bp: share,
                    share: share.map_or_else(|| "—".to_owned(), percent),
                    change: match (share, previous) {
                        (Some(now), Some(before)) => points(now - before),
                        _ => "—".to_owned(),
                    },
                }
            })
            .collect();
        Ok(StatisticsView { counties, months, intensive })
    }

    /// The month form pre-filled with what `month` holds: one line per county.
    pub async fn trademark_month_form(&self, actor: &Actor, month: Month) -> Result<TrademarkMonthForm> {
        actor.authorise(Permission::ManageIndicators)?;
        let mut tx = self.db.read().await?;
        let stored = tx.trademark_month(&month.to_string()).await?;
        let rows = self
            .policy
            .counties
            .iter()
            .map(|c| {
                let found = stored.iter().find(|t| t.county_code == c.code);
                CountyFigures {
                    county_code: c.code.clone(),
                    valid_trademarks: found.map(|t| t.valid_trademarks.to_string()).unwrap_or_default(),
                    gi_users: found.map(|t| t.gi_users.to_string()).unwrap_or_default(),
                }
            })
            .collect();
        Ok(TrademarkMonthForm { month: month.to_string(), rows })
    }

    /// Saves one month's figures for the counties filled in, replacing what they held for that month; a
    /// county left empty keeps what it had. Returns how many counties were written.
    pub async fn save_trademark_month(&self, actor: &Actor, form: &TrademarkMonthForm) -> Result<usize> {
        actor.authorise(Permission::ManageIndicators)?;
        let mut errors = FieldErrors::new();
        let current = Month::of(self.china_today());
        let month = parse_month(&form.month, current).map_err(|m| errors.add("month", m)).ok();
        let mut figures: Vec<(String, i64, i64)> = Vec::new();
        for line in &form.rows {
            let Some(county) = self.policy.county(line.county_code.trim()) else {
                errors.add("rows", format!("县区代码“{}”不是本市的县区", line.county_code.trim()));
                continue;
            };
            let t = parse_figure(&line.valid_trademarks);
            let g = parse_figure(&line.gi_users);
            match (t, g) {
                (Ok(None), Ok(None)) => {}
                (Ok(Some(t)), Ok(Some(g))) => figures.push((county.code.clone(), t, g)),
                (t, g) => {
                    for (label, r) in [("有效商标持有量", t), ("地理标志用标市场主体", g)] {
                        match r {
                            Err(m) => errors.add("rows", format!("{}：{label}{m}", county.name)),
                            Ok(None) => errors.add("rows", format!("{}：请填写{label}（没有时填0）", county.name)),
                            Ok(Some(_)) => {}
                        }
                    }
                }
            }
        }
        if errors.is_empty() && figures.is_empty() {
            errors.add("rows", "请至少填写一个县区的两项数字");
        }
        errors.into_result()?;
        let Some(month) = month else { return Err(invalid("month", "请填写月份")) };
        let month_text = month.to_string();
        let mut tx = self.db.begin().await?;
        let before: HashMap<String, (i64, i64)> = tx
            .trademark_month(&month_text)
            .await?
            .into_iter()
            .map(|t| (t.county_code, (t.valid_trademarks, t.gi_users)))
            .collect();
        let now = self.now();
        let name = actor.name();
        let rows: Vec<StoredTrademark> = figures
            .iter()
            .map(|(county, t, g)| StoredTrademark {
                county_code: county.clone(),
                month: month_text.clone(),
                valid_trademarks: *t,
                gi_users: *g,
                source: "form".to_owned(),
                entered_by: name.clone(),
                entered_at: now,
            })
            .collect();
        tx.upsert_trademarks(&rows).await?;
        let detail: Vec<serde_json::Value> = figures
            .iter()
            .map(|(county, t, g)| {
                json!({"county_code": county, "valid_trademarks": t, "gi_users": g,
                       "before": before.get(county).map(|(bt, bg)| json!({"valid_trademarks": bt, "gi_users": bg}))})
            })
            .collect();
        tx.append_audit(&actor.audit(
            Action::TrademarkStatsSave,
            "trademark_stats",
            &month_text,
            Outcome::Success,
            json!({"month": month_text, "counties": detail}),
        ))
        .await?;
        tx.commit().await?;
        self.request_indicator_refresh("statistics");
        Ok(rows.len())
    }

    /// The statistics template, one row per county for `month`.
    pub fn trademark_template(&self, actor: &Actor, month: Month) -> Result<Vec<u8>> {
        actor.authorise(Permission::ManageIndicators)?;
        trademark_template_xlsx(&self.county_list(), &month.to_string())
            .map_err(|e| ServiceError::Internal(e.to_string()))
    }

    /// Imports periodic statistics (the bureau): each row names a county (name, alias or code) and a month.
    /// Figures replace what the county and month held; a row repeating an earlier row's county and month, a
    /// city total, an unknown county, a future month or a figure that is not a whole number is rejected with
    /// its reason. One audit record carries the counts.
    pub async fn import_trademark_stats(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: Vec<u8>,
        format: Option<Format>,
    ) -> Result<TrademarkImportReport> {
        actor.authorise(Permission::ManageIndicators)?;
        let file_hash = fingerprint(&bytes);
        let table = read_upload(file_name, bytes, format).await?;
        let columns = InputColumns::from_headers(&table.headers, &TrademarkField::REQUIRED)
            .map_err(|e| invalid("file", e.to_string()))?;
        if table.rows.len() > TRADEMARK_IMPORT_MAX_ROWS {
            return Err(invalid(
                "file",
                format!(
                    "一次最多导入{TRADEMARK_IMPORT_MAX_ROWS}行统计数据，本文件有{}行，请分成几个文件",
                    table.rows.len()
                ),
            ));
        }
        let current = Month::of(self.china_today());
        let name = actor.name();
        let now = self.now();
        let mut report = TrademarkImportReport { total: table.rows.len() as u64, ..TrademarkImportReport::default() };
        let mut rejected: Vec<(RawRow, String)> = Vec::new();
        // Per row in file order: (row number, subject, the figures to write or why not).
        let mut outcomes: Vec<(usize, String, Result<StoredTrademark, String>)> = Vec::new();
        let mut seen: HashMap<(String, String), usize> = HashMap::new();
        for row in &table.rows {
            let cells = match map_input_row(&columns, &table.headers, row) {
                Ok(c) => c,
                Err(errors) => {
                    let reason = format_reason(&errors);
                    rejected.push((row.clone(), reason.clone()));
                    outcomes.push((row.number, String::new(), Err(reason)));
                    continue;
                }
            };
            let county_text = cells.get(TrademarkField::County);
            let subject = format!("{county_text} {}", cells.get(TrademarkField::Month)).trim().to_owned();
            let mut errors = Vec::new();
            let county = if county_text.is_empty() {
                errors.push(cells.error(TrademarkField::County, "请填写县区名称或代码"));
                None
            } else if TOTAL_LABELS.contains(&county_text) {
                errors.push(cells.error(TrademarkField::County, "合计行不导入：全市合计由各县区数字相加得出"));
                None
            } else {
                let found = find_county(&self.policy.counties, county_text);
                if found.is_none() {
                    let names: Vec<&str> = self.policy.counties.iter().map(|c| c.name.as_str()).collect();
                    errors.push(cells.error(
                        TrademarkField::County,
                        format!("“{county_text}”不是本市的县区，应为 {} 之一，或其代码", names.join("、")),
                    ));
                }
                found
            };
            let month_text = cells.get(TrademarkField::Month);
            let month = if month_text.is_empty() {
                errors.push(cells.error(TrademarkField::Month, "请填写月份，如 2025-06"));
                None
            } else {
                parse_month(month_text, current).map_err(|m| errors.push(cells.error(TrademarkField::Month, m))).ok()
            };
            let mut figure = |field: TrademarkField, label: &str| match parse_figure(cells.get(field)) {
                Ok(Some(n)) => Some(n),
                Ok(None) => {
                    errors.push(cells.error(field, format!("请填写{label}（没有时填0）")));
                    None
                }
                Err(m) => {
                    errors.push(cells.error(field, m));
                    None
                }
            };
            let trademarks = figure(TrademarkField::ValidTrademarks, "有效商标持有量");
            let gi = figure(TrademarkField::GiUsers, "地理标志用标市场主体");
            let outcome = match (county, month, trademarks, gi) {
                (Some(county), Some(month), Some(t), Some(g)) if errors.is_empty() => {
                    let key = (county.code.clone(), month.to_string());
                    if let Some(first) = seen.get(&key) {
                        Err(format!("与第{first}行重复（同一县区、同一月份），只导入第一行"))
                    } else {
                        seen.insert(key, row.number);
                        Ok(StoredTrademark {
                            county_code: county.code.clone(),
                            month: month.to_string(),
                            valid_trademarks: t,
                            gi_users: g,
                            source: "import".to_owned(),
                            entered_by: name.clone(),
                            entered_at: now,
                        })
                    }
                }
                _ => Err(format_reason(&errors)),
            };
            if let Err(reason) = &outcome {
                rejected.push((row.clone(), reason.clone()));
            }
            outcomes.push((row.number, subject, outcome));
        }
        let mut tx = self.db.begin().await?;
        // What each month held before, to tell new figures from replaced ones.
        let mut existing: HashMap<String, HashMap<String, (i64, i64)>> = HashMap::new();
        let mut rows: Vec<StoredTrademark> = Vec::new();
        for (number, subject, outcome) in outcomes {
            let t = match outcome {
                Ok(t) => t,
                Err(message) => {
                    report.rows.push(ImportedRow { number, subject, accepted: false, message });
                    continue;
                }
            };
            if !existing.contains_key(&t.month) {
                let held = tx
                    .trademark_month(&t.month)
                    .await?
                    .into_iter()
                    .map(|s| (s.county_code, (s.valid_trademarks, s.gi_users)))
                    .collect();
                existing.insert(t.month.clone(), held);
            }
            let county = self.county_name(&t.county_code);
            let message = match existing.get(&t.month).and_then(|m| m.get(&t.county_code)) {
                Some((bt, bg)) => {
                    report.updated += 1;
                    format!("已更新{county}{}（原为 {bt} / {bg}）", t.month)
                }
                None => {
                    report.created += 1;
                    format!("已导入{county}{}", t.month)
                }
            };
            report.rows.push(ImportedRow { number, subject, accepted: true, message });
            rows.push(t);
        }
        tx.upsert_trademarks(&rows).await?;
        report.rejected = rejected.len() as u64;
        let mut months: Vec<&str> = rows.iter().map(|t| t.month.as_str()).collect();
        months.sort_unstable();
        months.dedup();
        tx.append_audit(&actor.audit(
            Action::TrademarkStatsImport,
            "trademark_import",
            &file_hash,
            Outcome::Success,
            json!({"file": file_name, "total": report.total, "created": report.created, "updated": report.updated,
                   "rejected": report.rejected, "months": months}),
        ))
        .await?;
        tx.commit().await?;
        if !rows.is_empty() {
            self.request_indicator_refresh("statistics");
        }
        report.report = rejected_report(&table, &rejected)?;
        Ok(report)
    }

    /// Every trademark figure as xlsx, latest month first; the columns import again.
    pub async fn export_trademark_stats(&self, actor: &Actor) -> Result<Vec<u8>> {
        actor.authorise(Permission::ViewIndicators)?;
        let stored = {
            let mut tx = self.db.read().await?;
            tx.trademark_stats().await?
        };
        let mut t = Table::new(
            "商标与地理标志统计",
            &["月份", "县区", "县区代码", "有效商标持有量", "地理标志用标市场主体", "来源", "录入人", "录入时间"],
        );
        for s in &stored {
            t.push(vec![
                Cell::from(s.month.as_str()),
                Cell::from(self.county_name(&s.county_code)),
                Cell::from(s.county_code.as_str()),
                Cell::from(s.valid_trademarks),
                Cell::from(s.gi_users),
                Cell::from(if s.source == "import" { "导入" } else { "表单录入" }),
                Cell::from(s.entered_by.as_str()),
                Cell::from(china_time(s.entered_at).format("%Y-%m-%d %H:%M").to_string()),
            ]);
        }
        self.finish_export(actor, "trademark_stats", "", &t).await
    }

    /// The patent-intensive years as xlsx with their shares.
    pub async fn export_intensive_stats(&self, actor: &Actor) -> Result<Vec<u8>> {
        let view = self.statistics(actor).await?;
        let mut t = Table::new(
            "专利密集型产业统计",
            &[
                "年度",
                "专利密集型产业增加值（万元）",
                "地区生产总值（万元）",
                "占GDP比重",
                "较上年",
                "备注",
                "录入人",
                "录入时间",
            ],
        );
        for v in &view.intensive {
            t.push(vec![
                Cell::from(v.row.year),
                Cell::from(v.row.value_added_wan),
                Cell::from(v.row.gdp_wan),
                Cell::from(v.share.as_str()),
                Cell::from(v.change.as_str()),
                Cell::from(v.row.note.as_str()),
                Cell::from(v.row.entered_by.as_str()),
                Cell::from(china_time(v.row.entered_at).format("%Y-%m-%d %H:%M").to_string()),
            ]);
        }
        self.finish_export(actor, "intensive_industry_stats", "", &t).await
    }

    /// Enters (or replaces) a year's patent-intensive industry value added and GDP.
    pub async fn save_intensive_year(&self, actor: &Actor, form: &IntensiveForm) -> Result<StoredIntensive> {
        actor.authorise(Permission::ManageIndicators)?;
        let this_year = self.china_today().year();
        let mut errors = FieldErrors::new();
        let year_text = form.year.trim().trim_end_matches('年');
        let year = match year_text.parse::<i32>() {
            Ok(y) if (FIRST_INTENSIVE_YEAR..=this_year).contains(&y) => Some(i64::from(y)),
            Ok(y) => {
                errors.add("year", format!("年度{y}不在{FIRST_INTENSIVE_YEAR}年至{this_year}年之间"));
                None
            }
            Err(_) => {
                errors.add("year", "请填写四位年份，如 2024");
                None
            }
        };
        let mut amount = |field: &'static str, label: &str, text: &str| match parse_figure(text) {
            Ok(Some(n)) => Some(n),
            Ok(None) => {
                errors.add(field, format!("请填写{label}（万元）"));
                None
            }
            Err(m) => {
                errors.add(field, format!("{label}{m}"));
                None
            }
        };
        let value_added = amount("value_added_wan", "专利密集型产业增加值", &form.value_added_wan);
        let gdp = amount("gdp_wan", "地区生产总值", &form.gdp_wan);
        if gdp == Some(0) {
            errors.add("gdp_wan", "地区生产总值必须大于0");
        }
        if let (Some(v), Some(g)) = (value_added, gdp)
            && g > 0
            && v > g
        {
            errors.add("value_added_wan", "专利密集型产业增加值不能大于地区生产总值，请检查单位是否都是万元");
        }
        let note = form.note.trim();
        if note.chars().count() > NOTE_MAX_CHARS {
            errors.add("note", format!("备注最多{NOTE_MAX_CHARS}个字"));
        }
        errors.into_result()?;
        let (Some(year), Some(value_added_wan), Some(gdp_wan)) = (year, value_added, gdp) else {
            return Err(invalid("year", "请填写年度和两项数字"));
        };
        let row = StoredIntensive {
            year,
            value_added_wan,
            gdp_wan,
            note: note.to_owned(),
            entered_by: actor.name(),
            entered_at: self.now(),
        };
        let mut tx = self.db.begin().await?;
        let before = tx.intensive_year(year).await?;
        tx.upsert_intensive(&row).await?;
        let figures = |r: &StoredIntensive| {
            json!({"value_added_wan": r.value_added_wan, "gdp_wan": r.gdp_wan, "note": r.note,
                   "share_bp": share_bp(r.value_added_wan, r.gdp_wan)})
        };
        tx.append_audit(&actor.audit(
            Action::IntensiveStatsSave,
            "intensive_industry_stats",
            year,
            Outcome::Success,
            json!({"year": year, "before": before.as_ref().map(figures), "after": figures(&row)}),
        ))
        .await?;
        tx.commit().await?;
        self.request_indicator_refresh("statistics");
        Ok(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_accept_separators_and_refuse_the_rest() {
        assert_eq!(parse_figure(" 12,345 "), Ok(Some(12_345)));
        assert_eq!(parse_figure("１２３"), Ok(Some(123)));
        assert_eq!(parse_figure(""), Ok(None));
        assert!(parse_figure("-3").unwrap_err().contains("负数"));
        assert!(parse_figure("12.5").unwrap_err().contains("整数"));
        assert!(parse_figure("约300").unwrap_err().contains("不是数字"));
        assert!(parse_figure("99999999999999").unwrap_err().contains("过大"));
    }

    #[test]
    fn shares_and_changes_read_as_percentages() {
        assert_eq!(percent(1234), "12.34%");
        assert_eq!(points(35), "+0.35 个百分点");
        assert_eq!(points(-10), "-0.10 个百分点");
        assert_eq!(points(0), "0.00 个百分点");
    }

    #[test]
    fn months_in_the_future_are_refused() {
        let now: Month = "2025-06".parse().unwrap();
        assert_eq!(parse_month("2025年6月", now).unwrap().to_string(), "2025-06");
        assert!(parse_month("2025-07", now).unwrap_err().contains("尚未结束"));
        assert!(parse_month("2025-13", now).unwrap_err().contains("月份格式不正确"));
    }
}
