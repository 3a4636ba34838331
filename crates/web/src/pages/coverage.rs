//! Coverage of the inventory (覆盖情况): the city, institution and faculty figures with horizontal bar charts
//! drawn as inline SVG on the server (no script, every number also in the table), the latest converted patents,
//! the unrecorded list, and their xlsx exports.

use askama::Template;
use axum::extract::{Query, State};
use ipbridge_domain::Permission;
use ipbridge_domain::ids::{FacultyId, OrgId, PatentId};
use ipbridge_domain::revitalisation::CoverageCounts;
use ipbridge_service::revitalisation::coverage::{
    ConvertedPage, CoverageView, UnrecordedQuery, conversion_label, converted_on_text,
};
use ipbridge_service::revitalisation::inventory::FacultyScope;
use serde::Deserialize;

use super::admin::Pager;
use super::{Chrome, render};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::WebResult;

/// Patents per page of the unrecorded list.
const PER_PAGE: u32 = 50;
/// Converted patents the coverage page lists (the latest; the export has them all).
const CONVERTED_SHOWN: u32 = 50;
/// The chart's drawing width (the SVG scales to the page through its viewBox).
const CHART_WIDTH: f64 = 600.0;
/// Height of one bar's band: its label line and its bar.
const BAND: u32 = 42;

/// The query string of the coverage pages.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct CoverageQuery {
    #[serde(default)]
    org: String,
    /// `""`, a faculty id, or `none`.
    #[serde(default)]
    faculty: String,
    #[serde(default)]
    page: Option<u32>,
}

impl CoverageQuery {
    fn org(&self) -> Option<OrgId> {
        self.org.trim().parse::<i64>().ok().map(OrgId::new)
    }

    fn faculty(&self) -> FacultyScope {
        match self.faculty.trim() {
            "none" => FacultyScope::Unassigned,
            t => t.parse::<i64>().ok().map_or(FacultyScope::Any, |id| FacultyScope::Only(FacultyId::new(id))),
        }
    }

    fn query_string(&self) -> String {
        let pairs: Vec<(&str, &str)> = [("org", self.org.as_str()), ("faculty", self.faculty.as_str())]
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// One segment of a bar.
struct Segment {
    x: String,
    width: String,
    class: &'static str,
}

/// One bar: its label line and its segments.
struct Bar {
    text: String,
    text_y: u32,
    bar_y: u32,
    segments: Vec<Segment>,
}

/// A horizontal stacked bar chart of coverage: reviewed, recorded but not yet reviewed, unrecorded.
struct Chart {
    id: &'static str,
    title: String,
    desc: String,
    height: u32,
    bars: Vec<Bar>,
}

fn chart(id: &'static str, title: &str, rows: &[(String, CoverageCounts)]) -> Chart {
    let bars = rows
        .iter()
        .enumerate()
        .map(|(i, (name, c))| {
            let band = u32::try_from(i).unwrap_or(u32::MAX).saturating_mul(BAND);
            let mut segments = Vec::new();
            if c.in_scope > 0 {
                // Counts are far below 2^53: exact in f64.
                let scale = CHART_WIDTH / c.in_scope as f64;
                let reviewed = c.reviewed.min(c.in_scope) as f64 * scale;
                let recorded = c.recorded.min(c.in_scope).saturating_sub(c.reviewed) as f64 * scale;
                let mut x = 0.0;
                for (w, class) in [
                    (reviewed, "seg-reviewed"),
                    (recorded, "seg-recorded"),
                    (CHART_WIDTH - reviewed - recorded, "seg-open"),
                ] {
                    if w > 0.0 {
                        segments.push(Segment { x: format!("{x:.1}"), width: format!("{w:.1}"), class });
                        x += w;
                    }
                }
            }
            let text = if c.in_scope == 0 {
                format!("{name}　无应盘点专利")
            } else {
                format!("{name}　{}（{}/{}）", c.coverage_text(), c.recorded, c.in_scope)
            };
            Bar { text, text_y: band + 14, bar_y: band + 20, segments }
        })
        .collect();
    Chart {
        id,
        title: title.to_owned(),
        desc: "横向条形图，每行一项：深色为已审核，中间色为已建档待审核，浅色为未建档；长度按应盘点专利数计为100%。各项数字见下表。"
            .to_owned(),
        height: u32::try_from(rows.len()).unwrap_or(0).saturating_mul(BAND).max(BAND),
        bars,
    }
}

/// A table row of figures, formatted.
struct FigureRow {
    name: String,
    href: Option<String>,
    c: CoverageCounts,
    coverage: String,
    amount: String,
    complete: bool,
}

fn figure_row(name: String, href: Option<String>, c: CoverageCounts) -> FigureRow {
    FigureRow {
        name,
        href,
        coverage: c.coverage_text(),
        amount: c.converted_amount.to_string(),
        complete: c.is_complete(),
        c,
    }
}

/// A converted patent as the coverage page lists it.
struct ConvertedRow {
    patent_id: PatentId,
    application_no: String,
    title: String,
    org: String,
    how: String,
    deal_href: Option<String>,
    /// "（共 2 笔交易）" when the patent has more deals than the one shown.
    more_deals: String,
    counterparties: String,
    amount: String,
    on: String,
}

fn converted_rows(page: &ConvertedPage) -> Vec<ConvertedRow> {
    page.patents
        .iter()
        .map(|p| ConvertedRow {
            patent_id: p.patent_id,
            application_no: p.application_no.clone(),
            title: p.title.clone(),
            org: p.org_name.clone(),
            how: conversion_label(p),
            deal_href: p.deal.as_ref().filter(|_| page.may_open_deal(p)).map(|d| format!("/deals/{}", d.id)),
            more_deals: if p.deals > 1 { format!("（共 {} 笔交易）", p.deals) } else { String::new() },
            counterparties: p.deal.as_ref().map(|d| d.counterparties.join("、")).unwrap_or_default(),
            // The deal pages' wording (38万元), so the two pages say the same amount alike.
            amount: p.deal.as_ref().map_or_else(|| "—".to_owned(), |d| super::deals::amount_text(d.amount)),
            on: converted_on_text(p),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "coverage.html")]
struct CoveragePage {
    chrome: Chrome,
    deadline: String,
    days_left: i64,
    overdue_days: i64,
    city: Option<FigureRow>,
    institutions: Vec<FigureRow>,
    institution_chart: Option<Chart>,
    org: Option<FigureRow>,
    faculties: Vec<FigureRow>,
    faculty_chart: Option<Chart>,
    export_href: String,
    unrecorded_href: String,
    sees_all: bool,
    converted: Vec<ConvertedRow>,
    converted_total: u64,
    converted_export_href: String,
}

/// The coverage page: the city and every institution (bureau), an institution's faculties, or the own faculty.
pub async fn page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<CoverageQuery>) -> WebResult {
    let view: CoverageView = state.app.coverage(&ctx.actor, q.org()).await?;
    let converted = state.app.converted_patents(&ctx.actor, q.org(), CONVERTED_SHOWN, 0).await?;
    let sees_all = ctx.can(Permission::ViewAllInventory);
    let institutions: Vec<FigureRow> = view
        .institutions
        .iter()
        .map(|i| figure_row(i.org_name.clone(), Some(format!("/coverage?org={}", i.org_id)), i.counts))
        .collect();
    let institution_chart = (!view.institutions.is_empty()).then(|| {
        let rows: Vec<(String, CoverageCounts)> =
            view.institutions.iter().map(|i| (i.org_name.clone(), i.counts)).collect();
        chart("chart-institutions", "各单位盘点覆盖情况", &rows)
    });
    let org_id = view.org.as_ref().map(|o| o.org_id.to_string()).unwrap_or_default();
    let faculty_name = |n: &Option<String>| n.clone().unwrap_or_else(|| "未分院系".to_owned());
    let faculties: Vec<FigureRow> = view
        .faculties
        .iter()
        .map(|f| {
            let filter = f.faculty_id.map_or_else(|| "none".to_owned(), |id| id.to_string());
            let org = if org_id.is_empty() { String::new() } else { format!("org={org_id}&") };
            figure_row(
                faculty_name(&f.faculty_name),
                Some(format!("/coverage/unrecorded?{org}faculty={filter}")),
                f.counts,
            )
        })
        .collect();
    let faculty_chart = (!view.faculties.is_empty()).then(|| {
        let rows: Vec<(String, CoverageCounts)> =
            view.faculties.iter().map(|f| (faculty_name(&f.faculty_name), f.counts)).collect();
        chart("chart-faculties", "各院系盘点覆盖情况", &rows)
    });
    let qs = q.query_string();
    Ok(render(&CoveragePage {
        chrome: Chrome::new(&state, &ctx, "盘点覆盖情况", "coverage"),
        deadline: view.deadline.format("%Y年%-m月%-d日").to_string(),
        days_left: view.days_left,
        overdue_days: -view.days_left,
        city: view.city.map(|c| figure_row("全市高校院所".to_owned(), None, c)),
        institutions,
        institution_chart,
        org: view.org.map(|o| figure_row(o.org_name, None, o.counts)),
        faculties,
        faculty_chart,
        export_href: format!("/coverage/export?{qs}"),
        unrecorded_href: format!("/coverage/unrecorded?{qs}"),
        sees_all,
        converted: converted_rows(&converted),
        converted_total: converted.total,
        converted_export_href: format!("/coverage/converted/export?{qs}"),
    }))
}

/// The coverage table as the account sees it, as xlsx.
pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(q): Query<CoverageQuery>) -> WebResult {
    let bytes = state.app.export_coverage(&ctx.actor, q.org()).await?;
    Ok(super::xlsx_download(&super::export_name(&state, "盘点覆盖情况"), bytes))
}

/// The converted patents as the account sees them, as xlsx.
pub async fn converted_export(State(state): State<AppState>, ctx: Ctx, Query(q): Query<CoverageQuery>) -> WebResult {
    let bytes = state.app.export_converted(&ctx.actor, q.org()).await?;
    Ok(super::xlsx_download(&super::export_name(&state, "已转化专利"), bytes))
}

struct UnrecordedRow {
    patent_id: PatentId,
    application_no: String,
    title: String,
    patent_type: &'static str,
    filing_date: String,
    org: String,
    faculty: String,
    started: bool,
}

#[derive(Template)]
#[template(path = "coverage_unrecorded.html")]
struct UnrecordedPage {
    chrome: Chrome,
    q: CoverageQuery,
    rows: Vec<UnrecordedRow>,
    orgs: Vec<(i64, String)>,
    faculties: Vec<(i64, String)>,
    pager: Pager,
    export_href: String,
    can_file: bool,
}

/// The in-scope patents without a submitted record, by institution and faculty.
pub async fn unrecorded(State(state): State<AppState>, ctx: Ctx, Query(q): Query<CoverageQuery>) -> WebResult {
    let page_no = q.page.unwrap_or(1).max(1);
    let uq = UnrecordedQuery {
        org: q.org(),
        faculty: q.faculty(),
        limit: PER_PAGE,
        offset: (page_no - 1).saturating_mul(PER_PAGE),
    };
    let page = state.app.unrecorded_patents(&ctx.actor, &uq).await?;
    let sees_all = ctx.can(Permission::ViewAllInventory);
    let orgs = if sees_all {
        state.app.inventory_institutions(&ctx.actor).await?.into_iter().map(|(id, n)| (id.get(), n)).collect()
    } else {
        Vec::new()
    };
    let faculty_org = if sees_all {
        q.org()
    } else if ctx.can(Permission::ReviewInventoryInstitution) {
        ctx.user().map(|s| s.user.org_id)
    } else {
        None
    };
    let faculties = match faculty_org {
        Some(o) => {
            state.app.inventory_faculties(&ctx.actor, o).await?.into_iter().map(|f| (f.id.get(), f.name)).collect()
        }
        None => Vec::new(),
    };
    let qs = q.query_string();
    Ok(render(&UnrecordedPage {
        chrome: Chrome::new(&state, &ctx, "未建档专利", "coverage"),
        rows: page
            .patents
            .into_iter()
            .map(|p| UnrecordedRow {
                patent_id: p.patent_id,
                application_no: p.application_no,
                title: p.title,
                patent_type: p.patent_type.label(),
                filing_date: p.filing_date.map(|d| d.to_string()).unwrap_or_default(),
                org: p.org_name,
                faculty: p.faculty_name.unwrap_or_else(|| "未分院系".to_owned()),
                started: p.state.is_some(),
            })
            .collect(),
        orgs,
        faculties,
        pager: Pager::per(page_no, page.total, PER_PAGE, |p| format!("/coverage/unrecorded?{qs}&page={p}")),
        export_href: format!("/coverage/unrecorded/export?{qs}"),
        can_file: ctx.can(Permission::FileInventory),
        q,
    }))
}

/// The unrecorded list as the account sees it, as xlsx.
pub async fn unrecorded_export(State(state): State<AppState>, ctx: Ctx, Query(q): Query<CoverageQuery>) -> WebResult {
    let uq = UnrecordedQuery { org: q.org(), faculty: q.faculty(), limit: 0, offset: 0 };
    let bytes = state.app.export_unrecorded(&ctx.actor, &uq).await?;
    Ok(super::xlsx_download(&super::export_name(&state, "未建档专利"), bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_split_into_reviewed_recorded_and_open() {
        let c = CoverageCounts { in_scope: 4, recorded: 3, reviewed: 1, ..Default::default() };
        let ch = chart("c", "t", &[("安康学院".to_owned(), c), ("空".to_owned(), CoverageCounts::default())]);
        assert_eq!(ch.height, 2 * BAND);
        let widths: Vec<(&str, &str)> = ch.bars[0].segments.iter().map(|s| (s.class, s.width.as_str())).collect();
        assert_eq!(widths, [("seg-reviewed", "150.0"), ("seg-recorded", "300.0"), ("seg-open", "150.0")]);
        assert_eq!(ch.bars[0].text, "安康学院　75.0%（3/4）");
        assert!(ch.bars[1].segments.is_empty());
        assert!(ch.bars[1].text.contains("无应盘点专利"));
    }
}
