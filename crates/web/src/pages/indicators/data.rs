//! Indicator pages: the bureau's inputs: awards, trademark and patent-intensive statistics, applicant places.
//!
//! Whoever sees the indicators reads these pages; only the bureau's officers (`ManageIndicators`) get the
//! forms, the imports and the buttons, and the services check the permission again.

use std::sync::{Arc, LazyLock};

use askama::Template;
use axum::Form;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ipbridge_domain::Permission;
use ipbridge_domain::indicators::Month;
use ipbridge_domain::indicators::high_value::AwardKind;
use ipbridge_domain::indicators::place::PlaceBasis;
use ipbridge_service::auth::china_time;
use ipbridge_service::indicators::awards::{AwardForm, AwardImportReport, AwardQuery, ImportedRow, StoredAward};
use ipbridge_service::indicators::places::{
    ApplicantPlace, CHOICE_CITY, CHOICE_COUNTY_PREFIX, CHOICE_OUTSIDE, PlaceForm, PlaceQuery, place_text,
};
use ipbridge_service::indicators::stats::{
    CountyFigures, IntensiveForm, IntensiveView, MonthRow, StatisticsView, TrademarkImportReport, TrademarkMonthForm,
};
use ipbridge_service::{FieldErrors, ServiceError};
use serde::Deserialize;

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::{WebError, WebResult};
use crate::pages::admin::Pager;
use crate::pages::{Chrome, export_name, redirect_with_flash, render, render_with, xlsx_download};
use crate::results::ResultStore;
use crate::routes::{Access, Routes};

const AWARDS: &str = "/indicators/awards";
const AWARDS_IMPORT: &str = "/indicators/awards/import";
const STATISTICS: &str = "/indicators/statistics";
const STATISTICS_IMPORT: &str = "/indicators/statistics/import";
const PLACES: &str = "/indicators/places";

/// Applicants per page of the places list.
const PLACES_PER_PAGE: u32 = 30;

/// Rows of an import's outcome listed on its result page; the rest are in the report and the counts.
const RESULT_ROWS_SHOWN: usize = 1000;

/// Months of trademark figures the statistics page lists unless asked for all.
const MONTHS_SHOWN: usize = 12;

/// The routes of these pages.
pub(crate) fn routes(r: Routes) -> Routes {
    use Permission::{ManageIndicators, ViewIndicators};
    let view = Access::Permission(ViewIndicators);
    let manage = Access::Permission(ManageIndicators);
    r.get(AWARDS, view, awards)
        .post(AWARDS, manage, record_award)
        .get("/indicators/awards/export", view, export_awards)
        .post("/indicators/awards/{id}/delete", manage, delete_award)
        .get(AWARDS_IMPORT, manage, award_import_form)
        .post(AWARDS_IMPORT, manage, award_import)
        .get("/indicators/awards/import/template.xlsx", manage, award_template)
        .get("/indicators/awards/import/{token}", manage, award_import_result)
        .get("/indicators/awards/import/{token}/report", manage, award_import_report)
        .get(STATISTICS, view, statistics)
        .post("/indicators/statistics/trademarks", manage, save_trademarks)
        .post("/indicators/statistics/intensive", manage, save_intensive)
        .get("/indicators/statistics/export", view, export_trademarks)
        .get("/indicators/statistics/intensive/export", view, export_intensive)
        .get(STATISTICS_IMPORT, manage, stats_import_form)
        .post(STATISTICS_IMPORT, manage, stats_import)
        .get("/indicators/statistics/import/template.xlsx", manage, stats_template)
        .get("/indicators/statistics/import/{token}", manage, stats_import_result)
        .get("/indicators/statistics/import/{token}/report", manage, stats_import_report)
        .get(PLACES, view, places)
        .post("/indicators/places/set", manage, set_place)
        .post("/indicators/places/clear", manage, clear_place)
}

fn manages(ctx: &Ctx) -> bool {
    ctx.can(Permission::ManageIndicators)
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    china_time(t).format("%Y-%m-%d %H:%M").to_string()
}

/// 12345 → "12,345".
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

// ---------------------------------------------------------------------------------------------------
// Imports shared by the award list and the statistics.

/// One import's outcome, kept for its result page and its report (see [`crate::results`]).
#[derive(Debug)]
pub struct ImportOutcome<R> {
    /// The uploaded file's name.
    pub file_name: String,
    /// What the service returned.
    pub report: R,
}

// The outcomes live beside these pages rather than in `AppState`: only these handlers read them, and a
// process-wide store behaves the same (tokens are random, bound to the account, expire within the hour).
static AWARD_IMPORTS: LazyLock<ResultStore<ImportOutcome<AwardImportReport>>> = LazyLock::new(ResultStore::default);
static STATS_IMPORTS: LazyLock<ResultStore<ImportOutcome<TrademarkImportReport>>> = LazyLock::new(ResultStore::default);

/// The uploaded file of an import form, `None` when none was chosen.
async fn uploaded_file(
    multipart: Result<Multipart, MultipartRejection>,
    form_name: &str,
) -> WebResult<Option<(String, Vec<u8>)>> {
    let mut multipart = multipart.map_err(|_| WebError::invalid(format!("请通过“{form_name}”页面的表单上传文件")))?;
    let mut file = None;
    while let Some(field) =
        multipart.next_field().await.map_err(|e| WebError::invalid(format!("上传中断或格式不正确：{e}")))?
    {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("upload").to_owned();
            let bytes = field.bytes().await.map_err(|e| WebError::invalid(format!("文件上传失败：{e}")))?;
            file = Some((name, Vec::from(bytes)));
        }
    }
    Ok(file.filter(|(_, b)| !b.is_empty()))
}

/// The messages of a refused file, joined.
fn messages(errors: &FieldErrors) -> String {
    errors.0.values().flatten().cloned().collect::<Vec<_>>().join("；")
}

fn report_name(file_name: &str) -> String {
    let stem = file_name.rsplit_once('.').map_or(file_name, |(s, _)| s);
    format!("{stem}-错误报告.xlsx")
}

/// The rows a result page lists.
fn shown_rows(rows: &[ImportedRow]) -> (Vec<ImportedRow>, bool) {
    (rows.iter().take(RESULT_ROWS_SHOWN).cloned().collect(), rows.len() > RESULT_ROWS_SHOWN)
}

#[derive(Template)]
#[template(path = "ind_awards_import.html")]
struct AwardImportPage {
    chrome: Chrome,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "ind_statistics_import.html")]
struct StatsImportPage {
    chrome: Chrome,
    error: Option<String>,
    month: String,
}

// ---------------------------------------------------------------------------------------------------
// Awards.

/// `?award=&year=` of the award list.
#[derive(Debug, Default, Deserialize)]
pub struct AwardParams {
    #[serde(default)]
    award: String,
    #[serde(default)]
    year: String,
}

impl AwardParams {
    fn query(&self) -> AwardQuery {
        AwardQuery { award: self.award.clone(), year: self.year.clone() }
    }
}

/// The add form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct AwardInput {
    #[serde(default)]
    application_no: String,
    #[serde(default)]
    award: String,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    note: String,
}

struct AwardRowView {
    id: i64,
    application_no: String,
    patent: Option<(i64, String)>,
    award: String,
    grade: String,
    year: i64,
    note: String,
    created_by: String,
    created_at: String,
}

fn award_row(a: &StoredAward) -> AwardRowView {
    AwardRowView {
        id: a.id,
        application_no: a.application_no.clone(),
        patent: a.patent.clone(),
        award: AwardKind::parse(&a.award).map_or_else(|| a.award.clone(), |k| k.label().to_owned()),
        grade: a.grade.clone(),
        year: a.year,
        note: a.note.clone(),
        created_by: a.created_by.clone(),
        created_at: time(a.created_at),
    }
}

#[derive(Template)]
#[template(path = "ind_awards.html")]
struct AwardsPage {
    chrome: Chrome,
    rows: Vec<AwardRowView>,
    kinds: Vec<(&'static str, &'static str)>,
    years: Vec<i64>,
    award: String,
    year: String,
    export_href: String,
    can_manage: bool,
    form: AwardForm,
    errors: FieldErrors,
    this_year: i32,
}

async fn awards_page(
    state: &AppState,
    ctx: &Ctx,
    params: &AwardParams,
    form: AwardForm,
    errors: FieldErrors,
) -> WebResult {
    let query = params.query();
    let list = state.app.awards(&ctx.actor, &query).await?;
    let filter = query.filter();
    let qs = serde_urlencoded::to_string([
        ("award", filter.award.clone().unwrap_or_default()),
        ("year", filter.year.map(|y| y.to_string()).unwrap_or_default()),
    ])
    .unwrap_or_default();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render_with(
        status,
        &AwardsPage {
            chrome: Chrome::new(state, ctx, "获奖专利", "indicator-awards"),
            rows: list.awards.iter().map(award_row).collect(),
            kinds: AwardKind::ALL.iter().map(|k| (k.code(), k.label())).collect(),
            years: list.years,
            award: filter.award.unwrap_or_default(),
            year: filter.year.map(|y| y.to_string()).unwrap_or_default(),
            export_href: format!("/indicators/awards/export?{qs}"),
            can_manage: manages(ctx),
            form,
            errors,
            this_year: chrono::Datelike::year(&state.app.china_today()),
        },
    ))
}

/// The awards recorded by the bureau, filtered by award and year, with the form to add one.
pub async fn awards(State(state): State<AppState>, ctx: Ctx, Query(params): Query<AwardParams>) -> WebResult {
    awards_page(&state, &ctx, &params, AwardForm::default(), FieldErrors::new()).await
}

/// The filtered award list as xlsx.
pub async fn export_awards(State(state): State<AppState>, ctx: Ctx, Query(params): Query<AwardParams>) -> WebResult {
    let bytes = state.app.export_awards(&ctx.actor, &params.query()).await?;
    Ok(xlsx_download(&export_name(&state, "获奖专利"), bytes))
}

/// Records an award.
pub async fn record_award(State(state): State<AppState>, ctx: Ctx, Form(input): Form<AwardInput>) -> WebResult {
    let form = AwardForm {
        application_no: input.application_no,
        award: input.award,
        grade: input.grade,
        year: input.year,
        note: input.note,
    };
    match state.app.record_award(&ctx.actor, &form).await {
        Ok(_) => Ok(redirect_with_flash(AWARDS, "success", "获奖专利已登记，指标将在后台刷新后计入。")),
        Err(ServiceError::Invalid(errors)) => awards_page(&state, &ctx, &AwardParams::default(), form, errors).await,
        Err(e) => Err(e.into()),
    }
}

/// Deletes a recorded award (the page asks for confirmation first).
pub async fn delete_award(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let award = state.app.delete_award(&ctx.actor, id).await?;
    Ok(redirect_with_flash(AWARDS, "success", &format!("已删除 {} 的{}年获奖登记。", award.application_no, award.year)))
}

fn award_import_page(state: &AppState, ctx: &Ctx, error: Option<String>) -> Response {
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render_with(
        status,
        &AwardImportPage { chrome: Chrome::new(state, ctx, "导入获奖专利名单", "indicator-awards"), error },
    )
}

/// The award list upload form.
pub async fn award_import_form(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    ctx.actor.authorise(Permission::ManageIndicators)?;
    Ok(award_import_page(&state, &ctx, None))
}

/// The award list template.
pub async fn award_template(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let bytes = state.app.award_template(&ctx.actor)?;
    Ok(xlsx_download("获奖专利导入模板.xlsx", bytes))
}

/// Imports an uploaded award list and shows the outcome.
pub async fn award_import(
    State(state): State<AppState>,
    ctx: Ctx,
    multipart: Result<Multipart, MultipartRejection>,
) -> WebResult {
    ctx.actor.authorise(Permission::ManageIndicators)?;
    let Some((name, bytes)) = uploaded_file(multipart, "导入获奖专利名单").await? else {
        return Ok(award_import_page(&state, &ctx, Some("请选择要导入的文件（xlsx 或 csv）".into())));
    };
    match state.app.import_awards(&ctx.actor, &name, bytes, None).await {
        Ok(report) => {
            let token = AWARD_IMPORTS.put(ctx.actor.user()?.id, ImportOutcome { file_name: name, report });
            Ok(Redirect::to(&format!("{AWARDS_IMPORT}/{token}")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => Ok(award_import_page(&state, &ctx, Some(messages(&errors)))),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "ind_awards_import_result.html")]
struct AwardImportResultPage {
    chrome: Chrome,
    token: String,
    file_name: String,
    total: u64,
    accepted: u64,
    rejected: u64,
    rows: Vec<ImportedRow>,
    more: bool,
    has_report: bool,
}

fn award_outcome(ctx: &Ctx, token: &str) -> WebResult<Arc<ImportOutcome<AwardImportReport>>> {
    AWARD_IMPORTS.get(ctx.actor.user()?.id, token).ok_or_else(WebError::not_found)
}

/// The outcome of an award import: counts, every row's outcome and the rejected rows' report.
pub async fn award_import_result(State(state): State<AppState>, ctx: Ctx, Path(token): Path<String>) -> WebResult {
    ctx.actor.authorise(Permission::ManageIndicators)?;
    let o = award_outcome(&ctx, &token)?;
    let (rows, more) = shown_rows(&o.report.rows);
    Ok(render(&AwardImportResultPage {
        chrome: Chrome::new(&state, &ctx, "获奖专利导入结果", "indicator-awards"),
        token,
        file_name: o.file_name.clone(),
        total: o.report.total,
        accepted: o.report.accepted,
        rejected: o.report.rejected,
        rows,
        more,
        has_report: o.report.report.is_some(),
    }))
}

/// The rejected rows of an award import, with 错误原因, as xlsx that imports once fixed.
pub async fn award_import_report(State(_state): State<AppState>, ctx: Ctx, Path(token): Path<String>) -> WebResult {
    ctx.actor.authorise(Permission::ManageIndicators)?;
    let o = award_outcome(&ctx, &token)?;
    let bytes = o.report.report.clone().ok_or_else(WebError::not_found)?;
    Ok(xlsx_download(&report_name(&o.file_name), bytes))
}

// ---------------------------------------------------------------------------------------------------
// Statistics.

/// `?month=&all=` of the statistics page: the month the form loads, and whether every month is listed.
#[derive(Debug, Default, Deserialize)]
pub struct StatisticsParams {
    #[serde(default)]
    month: String,
    #[serde(default)]
    all: String,
}

struct CountyLine {
    code: String,
    name: String,
    valid_trademarks: String,
    gi_users: String,
}

struct MonthLine {
    month: String,
    cells: Vec<Option<(String, String)>>,
    total: (String, String),
    reported: usize,
}

fn month_line(m: &MonthRow) -> MonthLine {
    MonthLine {
        month: m.month.clone(),
        cells: m.cells.iter().map(|c| c.map(|(t, g)| (thousands(t), thousands(g)))).collect(),
        total: (thousands(m.total.0), thousands(m.total.1)),
        reported: m.reported,
    }
}

struct IntensiveLine {
    year: i64,
    value_added: String,
    gdp: String,
    share: String,
    change: String,
    note: String,
    entered: String,
}

fn intensive_line(v: &IntensiveView) -> IntensiveLine {
    IntensiveLine {
        year: v.row.year,
        value_added: thousands(v.row.value_added_wan),
        gdp: thousands(v.row.gdp_wan),
        share: v.share.clone(),
        change: v.change.clone(),
        note: v.row.note.clone(),
        entered: format!("{} {}", v.row.entered_by, time(v.row.entered_at)),
    }
}

#[derive(Template)]
#[template(path = "ind_statistics.html")]
struct StatisticsPage {
    chrome: Chrome,
    counties: Vec<(String, String)>,
    months: Vec<MonthLine>,
    /// Months with figures not listed (the page lists the latest unless asked for all).
    hidden_months: usize,
    intensive: Vec<IntensiveLine>,
    can_manage: bool,
    month: String,
    max_month: String,
    lines: Vec<CountyLine>,
    month_errors: FieldErrors,
    intensive_form: IntensiveForm,
    intensive_errors: FieldErrors,
    this_year: i32,
}

/// What the two forms hold when the page renders.
struct StatisticsForms {
    month: TrademarkMonthForm,
    month_errors: FieldErrors,
    intensive: IntensiveForm,
    intensive_errors: FieldErrors,
    /// List every month, not only the latest.
    all_months: bool,
}

fn statistics_page(state: &AppState, ctx: &Ctx, view: StatisticsView, forms: StatisticsForms) -> Response {
    let current = Month::of(state.app.china_today());
    let lines = view
        .counties
        .iter()
        .map(|(code, name)| {
            let typed = forms.month.rows.iter().find(|r| r.county_code == *code);
            CountyLine {
                code: code.clone(),
                name: name.clone(),
                valid_trademarks: typed.map(|r| r.valid_trademarks.clone()).unwrap_or_default(),
                gi_users: typed.map(|r| r.gi_users.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let status = if forms.month_errors.is_empty() && forms.intensive_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    // The month in the form is listed too, even when it is older than the latest months (a correction of
    // an old month shows its figures after saving). Months are `YYYY-MM`, so text order is time order.
    let shown = view.months.get(MONTHS_SHOWN.saturating_sub(1)).map(|m| m.month.as_str());
    let all_months = forms.all_months || shown.is_some_and(|oldest| forms.month.month.trim() < oldest);
    render_with(
        status,
        &StatisticsPage {
            chrome: Chrome::new(state, ctx, "商标与产业统计", "indicator-statistics"),
            months: view
                .months
                .iter()
                .take(if all_months { usize::MAX } else { MONTHS_SHOWN })
                .map(month_line)
                .collect(),
            hidden_months: if all_months { 0 } else { view.months.len().saturating_sub(MONTHS_SHOWN) },
            intensive: view.intensive.iter().map(intensive_line).collect(),
            counties: view.counties,
            can_manage: manages(ctx),
            month: forms.month.month,
            max_month: current.to_string(),
            lines,
            month_errors: forms.month_errors,
            intensive_form: forms.intensive,
            intensive_errors: forms.intensive_errors,
            this_year: chrono::Datelike::year(&state.app.china_today()),
        },
    )
}

/// The month the form loads: the one asked for, else the last month that has ended.
fn form_month(state: &AppState, asked: &str) -> Month {
    asked.parse().unwrap_or_else(|_| Month::of(state.app.china_today()).previous())
}

/// The trademark figures by month and county, the patent-intensive years, and (for the bureau) the forms.
pub async fn statistics(State(state): State<AppState>, ctx: Ctx, Query(params): Query<StatisticsParams>) -> WebResult {
    let view = state.app.statistics(&ctx.actor).await?;
    let month = form_month(&state, &params.month);
    let form = if manages(&ctx) {
        state.app.trademark_month_form(&ctx.actor, month).await?
    } else {
        TrademarkMonthForm { month: month.to_string(), rows: Vec::new() }
    };
    let forms = StatisticsForms {
        month: form,
        month_errors: FieldErrors::new(),
        intensive: IntensiveForm::default(),
        intensive_errors: FieldErrors::new(),
        all_months: !params.all.is_empty(),
    };
    Ok(statistics_page(&state, &ctx, view, forms))
}

/// Saves one month's figures for every county filled in.
pub async fn save_trademarks(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> WebResult {
    let value = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default();
    let form = TrademarkMonthForm {
        month: value("month"),
        rows: state
            .app
            .policy
            .counties
            .iter()
            .map(|c| CountyFigures {
                county_code: c.code.clone(),
                valid_trademarks: value(&format!("t_{}", c.code)),
                gi_users: value(&format!("g_{}", c.code)),
            })
            .collect(),
    };
    match state.app.save_trademark_month(&ctx.actor, &form).await {
        Ok(n) => Ok(redirect_with_flash(
            &format!("{STATISTICS}?month={}", crate::guard::urlencode(form.month.trim())),
            "success",
            &format!("已保存{}个县区的统计数据，指标将在后台刷新后更新。", n),
        )),
        Err(ServiceError::Invalid(errors)) => {
            let view = state.app.statistics(&ctx.actor).await?;
            let forms = StatisticsForms {
                month: form,
                month_errors: errors,
                intensive: IntensiveForm::default(),
                intensive_errors: FieldErrors::new(),
                all_months: false,
            };
            Ok(statistics_page(&state, &ctx, view, forms))
        }
        Err(e) => Err(e.into()),
    }
}

/// The intensive-industry form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct IntensiveInput {
    #[serde(default)]
    year: String,
    #[serde(default)]
    value_added_wan: String,
    #[serde(default)]
    gdp_wan: String,
    #[serde(default)]
    note: String,
}

/// Enters or replaces a year's patent-intensive figures.
pub async fn save_intensive(State(state): State<AppState>, ctx: Ctx, Form(input): Form<IntensiveInput>) -> WebResult {
    let form = IntensiveForm {
        year: input.year,
        value_added_wan: input.value_added_wan,
        gdp_wan: input.gdp_wan,
        note: input.note,
    };
    match state.app.save_intensive_year(&ctx.actor, &form).await {
        Ok(row) => {
            Ok(redirect_with_flash(STATISTICS, "success", &format!("已保存{}年专利密集型产业统计数据。", row.year)))
        }
        Err(ServiceError::Invalid(errors)) => {
            let view = state.app.statistics(&ctx.actor).await?;
            let month = state.app.trademark_month_form(&ctx.actor, form_month(&state, "")).await?;
            let forms = StatisticsForms {
                month,
                month_errors: FieldErrors::new(),
                intensive: form,
                intensive_errors: errors,
                all_months: false,
            };
            Ok(statistics_page(&state, &ctx, view, forms))
        }
        Err(e) => Err(e.into()),
    }
}

/// Every trademark figure as xlsx.
pub async fn export_trademarks(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let bytes = state.app.export_trademark_stats(&ctx.actor).await?;
    Ok(xlsx_download(&export_name(&state, "商标与地理标志统计"), bytes))
}

/// The patent-intensive years as xlsx.
pub async fn export_intensive(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let bytes = state.app.export_intensive_stats(&ctx.actor).await?;
    Ok(xlsx_download(&export_name(&state, "专利密集型产业统计"), bytes))
}

fn stats_import_page(state: &AppState, ctx: &Ctx, error: Option<String>) -> Response {
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let month = form_month(state, "").to_string();
    render_with(
        status,
        &StatsImportPage {
            chrome: Chrome::new(state, ctx, "导入商标与地理标志统计", "indicator-statistics"),
            error,
            month,
        },
    )
}

/// The statistics upload form.
pub async fn stats_import_form(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    ctx.actor.authorise(Permission::ManageIndicators)?;
    Ok(stats_import_page(&state, &ctx, None))
}

/// The statistics template, one row per county for `?month=` (default: the last month that has ended).
pub async fn stats_template(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(params): Query<StatisticsParams>,
) -> WebResult {
    let bytes = state.app.trademark_template(&ctx.actor, form_month(&state, &params.month))?;
    Ok(xlsx_download("商标与地理标志统计导入模板.xlsx", bytes))
}

/// Imports uploaded statistics and shows the outcome.
pub async fn stats_import(
    State(state): State<AppState>,
    ctx: Ctx,
    multipart: Result<Multipart, MultipartRejection>,
) -> WebResult {
    ctx.actor.authorise(Permission::ManageIndicators)?;
    let Some((name, bytes)) = uploaded_file(multipart, "导入商标与地理标志统计").await? else {
        return Ok(stats_import_page(&state, &ctx, Some("请选择要导入的文件（xlsx 或 csv）".into())));
    };
    match state.app.import_trademark_stats(&ctx.actor, &name, bytes, None).await {
        Ok(report) => {
            let token = STATS_IMPORTS.put(ctx.actor.user()?.id, ImportOutcome { file_name: name, report });
            Ok(Redirect::to(&format!("{STATISTICS_IMPORT}/{token}")).into_response())
        }
        Err(ServiceError::Invalid(errors)) => Ok(stats_import_page(&state, &ctx, Some(messages(&errors)))),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "ind_statistics_import_result.html")]
struct StatsImportResultPage {
    chrome: Chrome,
    token: String,
    file_name: String,
    total: u64,
    created: u64,
    updated: u64,
    rejected: u64,
    rows: Vec<ImportedRow>,
    more: bool,
    has_report: bool,
}

fn stats_outcome(ctx: &Ctx, token: &str) -> WebResult<Arc<ImportOutcome<TrademarkImportReport>>> {
    STATS_IMPORTS.get(ctx.actor.user()?.id, token).ok_or_else(WebError::not_found)
}

/// The outcome of a statistics import.
pub async fn stats_import_result(State(state): State<AppState>, ctx: Ctx, Path(token): Path<String>) -> WebResult {
    ctx.actor.authorise(Permission::ManageIndicators)?;
    let o = stats_outcome(&ctx, &token)?;
    let (rows, more) = shown_rows(&o.report.rows);
    Ok(render(&StatsImportResultPage {
        chrome: Chrome::new(&state, &ctx, "商标统计导入结果", "indicator-statistics"),
        token,
        file_name: o.file_name.clone(),
        total: o.report.total,
        created: o.report.created,
        updated: o.report.updated,
        rejected: o.report.rejected,
        rows,
        more,
        has_report: o.report.report.is_some(),
    }))
}

/// The rejected rows of a statistics import, with 错误原因.
pub async fn stats_import_report(State(_state): State<AppState>, ctx: Ctx, Path(token): Path<String>) -> WebResult {
    ctx.actor.authorise(Permission::ManageIndicators)?;
    let o = stats_outcome(&ctx, &token)?;
    let bytes = o.report.report.clone().ok_or_else(WebError::not_found)?;
    Ok(xlsx_download(&report_name(&o.file_name), bytes))
}

// ---------------------------------------------------------------------------------------------------
// Applicant places.

/// `?q=&only=&page=` of the places list.
#[derive(Debug, Default, Deserialize)]
pub struct PlaceParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    only: String,
    #[serde(default)]
    page: Option<u32>,
}

impl PlaceParams {
    fn query(&self) -> PlaceQuery {
        PlaceQuery { q: self.q.clone(), only: self.only.clone() }
    }

    /// The list's address without the page.
    fn query_string(&self) -> String {
        serde_urlencoded::to_string([("q", self.q.trim()), ("only", self.only.as_str())]).unwrap_or_default()
    }
}

struct PlaceRow {
    name: String,
    patents: i64,
    in_city_patents: i64,
    current: String,
    bases: String,
    overridden: Option<OverrideView>,
    /// The select's current choice (the override's, else the derived county's, else none).
    choice: String,
}

struct OverrideView {
    place: String,
    note: String,
    by: String,
}

fn place_row(state: &AppState, r: &ApplicantPlace) -> PlaceRow {
    let county_names: Vec<String> =
        r.counties.iter().map(|c| state.app.policy.county(c).map_or_else(|| c.clone(), |c| c.name.clone())).collect();
    let current = if r.patents == 0 {
        "暂无专利".to_owned()
    } else if r.pending == r.patents {
        "待计算（指标刷新后显示）".to_owned()
    } else if r.in_city_patents == 0 {
        "不属于本市".to_owned()
    } else if county_names.is_empty() {
        "本市（县区不明）".to_owned()
    } else {
        county_names.join("、")
    };
    let bases: Vec<&str> = r.bases.iter().filter_map(|b| PlaceBasis::from_code(b)).map(PlaceBasis::label).collect();
    let overridden = r.override_place.as_ref().map(|o| OverrideView {
        place: place_text(&state.app, o.in_city, o.county_code.as_deref()),
        note: o.note.clone(),
        by: format!("{} {}", o.set_by, time(o.set_at)),
    });
    let choice = match &r.override_place {
        Some(o) if !o.in_city => CHOICE_OUTSIDE.to_owned(),
        Some(o) => {
            o.county_code.as_ref().map_or_else(|| CHOICE_CITY.to_owned(), |c| format!("{CHOICE_COUNTY_PREFIX}{c}"))
        }
        None if r.counties.len() == 1 => format!("{CHOICE_COUNTY_PREFIX}{}", r.counties[0]),
        None => String::new(),
    };
    PlaceRow {
        name: r.name.clone(),
        patents: r.patents,
        in_city_patents: r.in_city_patents,
        current,
        bases: if bases.is_empty() { "—".to_owned() } else { bases.join("、") },
        overridden,
        choice,
    }
}

struct BasisLine {
    label: &'static str,
    patents: i64,
    in_city: i64,
}

#[derive(Template)]
#[template(path = "ind_places.html")]
struct PlacesPage {
    chrome: Chrome,
    q: String,
    only: String,
    rows: Vec<PlaceRow>,
    bases: Vec<BasisLine>,
    pending: i64,
    choices: Vec<(String, String)>,
    can_manage: bool,
    back: String,
    pager: Pager,
}

/// First applicants with where their patents count and why, and the bureau's overrides.
pub async fn places(State(state): State<AppState>, ctx: Ctx, Query(params): Query<PlaceParams>) -> WebResult {
    let requested = params.page.unwrap_or(1).max(1);
    let offset = (requested - 1).saturating_mul(PLACES_PER_PAGE);
    let page = state.app.applicant_places(&ctx.actor, &params.query(), PLACES_PER_PAGE, offset).await?;
    let qs = params.query_string();
    let mut choices: Vec<(String, String)> = state
        .app
        .policy
        .counties
        .iter()
        .map(|c| (format!("{CHOICE_COUNTY_PREFIX}{}", c.code), c.name.clone()))
        .collect();
    choices.push((CHOICE_CITY.to_owned(), "本市（县区不明）".to_owned()));
    choices.push((CHOICE_OUTSIDE.to_owned(), "不属于本市".to_owned()));
    Ok(render(&PlacesPage {
        chrome: Chrome::new(&state, &ctx, "申请人归属", "indicator-places"),
        rows: page.rows.iter().map(|r| place_row(&state, r)).collect(),
        bases: page
            .bases
            .iter()
            .map(|(b, c)| BasisLine { label: b.label(), patents: c.patents, in_city: c.in_city })
            .collect(),
        pending: page.pending,
        choices,
        can_manage: manages(&ctx),
        back: format!("{PLACES}?{qs}&page={requested}"),
        pager: Pager::per(requested, page.total, PLACES_PER_PAGE, |p| format!("{PLACES}?{qs}&page={p}")),
        q: params.q,
        only: params.only,
    }))
}

/// The set and clear forms as posted: the applicant, the choice, the note, and the list to return to.
#[derive(Debug, Default, Deserialize)]
pub struct PlaceInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    choice: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    back: String,
}

/// The list address to return to: only this page's own, so a form cannot redirect elsewhere.
fn back_to(back: &str) -> String {
    if back.starts_with("/indicators/places?") { back.to_owned() } else { PLACES.to_owned() }
}

/// Sets where an applicant's patents count.
pub async fn set_place(State(state): State<AppState>, ctx: Ctx, Form(input): Form<PlaceInput>) -> WebResult {
    let back = back_to(&input.back);
    let form = PlaceForm { name: input.name, choice: input.choice, note: input.note };
    match state.app.set_applicant_place(&ctx.actor, &form).await {
        Ok(p) => Ok(redirect_with_flash(
            &back,
            "success",
            &format!(
                "已指定“{}”的专利归属：{}。指标将在后台刷新后按新归属计算。",
                p.name,
                place_text(&state.app, p.in_city, p.county_code.as_deref())
            ),
        )),
        Err(ServiceError::Invalid(errors)) => Ok(redirect_with_flash(&back, "error", &messages(&errors))),
        Err(e) => Err(e.into()),
    }
}

/// Removes the override of an applicant.
pub async fn clear_place(State(state): State<AppState>, ctx: Ctx, Form(input): Form<PlaceInput>) -> WebResult {
    let back = back_to(&input.back);
    match state.app.clear_applicant_place(&ctx.actor, &input.name).await {
        Ok(p) => {
            Ok(redirect_with_flash(&back, "success", &format!("已取消“{}”的人工指定，其专利重新按规则归属。", p.name)))
        }
        Err(ServiceError::NotFound) => {
            Ok(redirect_with_flash(&back, "error", "该申请人没有人工指定的归属（可能已被他人取消）。"))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_with_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(30_000), "30,000");
        assert_eq!(thousands(-1_234_567), "-1,234,567");
    }

    #[test]
    fn forms_only_return_to_the_places_list() {
        assert_eq!(
            back_to("/indicators/places?q=%E5%AE%89&only=&page=2"),
            "/indicators/places?q=%E5%AE%89&only=&page=2"
        );
        assert_eq!(back_to("https://example.com/"), PLACES);
        assert_eq!(back_to("//evil/indicators/places?"), PLACES);
    }
}
