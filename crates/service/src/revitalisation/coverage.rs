//! Coverage (盘点覆盖情况) per institution, faculty and city, with the unrecorded list.
//!
//! Every figure comes from the store's coverage SQL at the moment it is asked for (nothing is stored), so an
//! import, a submitted record, a review step or a deal shows at once. Who sees what:
//! - the bureau (officers and leaders): the city, every institution, and any institution's faculties;
//! - an institution admin: the own institution and its faculties;
//! - a faculty reviewer: the own faculty;
//! - the unrecorded list also serves inventors and admins as their "to fill in" list (their linked or
//!   institution's patents);
//! - the converted list (已转化专利) follows the figures: the city or the chosen institution for the bureau, the
//!   own institution, the own faculty.

use chrono::NaiveDate;
use ipbridge_domain::Permission;
use ipbridge_domain::ids::OrgId;
use ipbridge_domain::org::OrgKind;
use ipbridge_domain::revitalisation::CoverageCounts;
use ipbridge_ingest::{Cell, Table};
use ipbridge_store::{
    ConvertedFilter, FacultyCoverage, FacultyScope, InstitutionCoverage, InventoryStore, OrgStore, UnrecordedFilter,
    UnrecordedPatent,
};
/// The stored shapes of the converted list.
pub use ipbridge_store::{ConvertedPatent, ConvertingDeal};

use super::deals::{DealScope, deal_scope, yuan_text};
use super::inventory::Standing;
use crate::exports::LIST_EXPORT_LIMIT;
use crate::{Actor, App, Result, ServiceError};

/// The coverage an account may see, with the deadline.
#[derive(Debug, Clone)]
pub struct CoverageView {
    /// The city's figures (the bureau only).
    pub city: Option<CoverageCounts>,
    /// Every institution's figures (the bureau only), by name.
    pub institutions: Vec<InstitutionCoverage>,
    /// The institution looked at: the own one, or the one the bureau chose.
    pub org: Option<InstitutionCoverage>,
    /// That institution's faculties (a reviewer sees only the own faculty), then the patents assigned to none.
    pub faculties: Vec<FacultyCoverage>,
    /// `[revitalisation] coverage_deadline`.
    pub deadline: NaiveDate,
    /// Days from today (China) to the deadline; negative once it has passed.
    pub days_left: i64,
}

/// A page of in-scope patents without a submitted record.
#[derive(Debug, Clone)]
pub struct UnrecordedPage {
    /// The patents.
    pub patents: Vec<UnrecordedPatent>,
    /// Total matching.
    pub total: u64,
}

/// Which unrecorded patents a list asks for; the service narrows it to the account's scope.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnrecordedQuery {
    /// Only this institution (the bureau).
    pub org: Option<OrgId>,
    /// Only this faculty (or none).
    pub faculty: FacultyScope,
    /// Page size; 0 means no limit.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// A page of converted patents (已转化专利), latest conversion first.
#[derive(Debug, Clone)]
pub struct ConvertedPage {
    /// The patents.
    pub patents: Vec<ConvertedPatent>,
    /// Total matching.
    pub total: u64,
    /// Which deals the account may open (none: no deal page at all).
    deals: Option<DealScope>,
}

impl ConvertedPage {
    /// Whether the account may open the deal that converted `p` (`/deals/{id}`): the deal pages' own rule,
    /// so a link never leads to "not found".
    pub fn may_open_deal(&self, p: &ConvertedPatent) -> bool {
        match (self.deals, &p.deal) {
            (Some(DealScope::All), Some(_)) => true,
            // The list's deal is one whose holder is the institution the conversion counts for.
            (Some(DealScope::Holder(o)), Some(_)) => o == p.org_id,
            _ => false,
        }
    }
}

/// How a patent was converted, as the deal pages name a deal's kind: 转让, 许可（普通许可）, 作价入股, 自行实施;
/// or 已实施（盘点记录） for an approved record saying it is already implemented.
pub fn conversion_label(p: &ConvertedPatent) -> String {
    match &p.deal {
        Some(d) => match d.license_scope {
            Some(s) => format!("{}（{}）", d.kind.label(), s.label()),
            None => d.kind.label().to_owned(),
        },
        None => "已实施（盘点记录）".to_owned(),
    }
}

/// The conversion's date: the deal's signing date, or for an implemented record the day the institution
/// approved it, said so ("2025-10-09（审核通过）").
pub fn converted_on_text(p: &ConvertedPatent) -> String {
    match (p.converted_on, &p.deal) {
        (Some(d), Some(_)) => d.to_string(),
        (Some(d), None) => format!("{d}（审核通过）"),
        (None, _) => String::new(),
    }
}

/// The coverage headers shared by the page's table and the export.
pub const COVERAGE_COLUMNS: [&str; 12] = [
    "应盘点",
    "已建档",
    "覆盖率",
    "未建档",
    "草稿",
    "已审核",
    "基础库",
    "可转化库",
    "已转化",
    "交易数",
    "转化金额（元）",
    "是否全覆盖",
];

fn count_cells(c: &CoverageCounts) -> Vec<Cell> {
    let n = |v: u64| Cell::from(i64::try_from(v).unwrap_or(i64::MAX));
    vec![
        n(c.in_scope),
        n(c.recorded),
        Cell::from(c.coverage_text()),
        n(c.unrecorded()),
        n(c.draft),
        n(c.reviewed),
        n(c.base_pool),
        n(c.transferable_pool),
        n(c.converted),
        n(c.deals),
        Cell::from(c.converted_amount.to_string().replace([',', '元'], "")),
        Cell::from(if c.is_complete() { "是" } else { "否" }),
    ]
}

impl App {
    /// The coverage the account may see; `org` is the institution the bureau looks into (others always see
    /// their own, and an institution the bureau may not see is not found).
    pub async fn coverage(&self, actor: &Actor, org: Option<OrgId>) -> Result<CoverageView> {
        if !actor.is_cli() {
            actor.require(Permission::ViewCoverage)?;
        }
        let st = Standing::of(actor)?;
        let today = self.china_today();
        let deadline = self.policy.revitalisation.coverage_deadline;
        let mut view = CoverageView {
            city: None,
            institutions: Vec::new(),
            org: None,
            faculties: Vec::new(),
            deadline,
            days_left: (deadline - today).num_days(),
        };
        let mut tx = self.db.read().await?;
        if st.sees_all {
            view.city = Some(tx.coverage_city().await?);
            view.institutions = tx.coverage_by_institution(None).await?;
            if let Some(o) = org {
                view.org =
                    Some(view.institutions.iter().find(|c| c.org_id == o).cloned().ok_or(ServiceError::NotFound)?);
                view.faculties = tx.coverage_by_faculty(o).await?;
            }
        } else if let Some(own) = st.admin_of {
            view.org = tx.coverage_by_institution(Some(own)).await?.into_iter().next();
            view.faculties = tx.coverage_by_faculty(own).await?;
        } else if let Some((own, f)) = st.reviewer_of {
            view.faculties =
                tx.coverage_by_faculty(own).await?.into_iter().filter(|c| c.faculty_id == Some(f)).collect();
        } else {
            return Err(ServiceError::Forbidden);
        }
        Ok(view)
    }

    /// In-scope patents without a submitted record (未建档清单), narrowed to the account's scope: every
    /// institution for the bureau, the own institution, the own faculty, or an inventor's linked patents.
    pub async fn unrecorded_patents(&self, actor: &Actor, q: &UnrecordedQuery) -> Result<UnrecordedPage> {
        let st = Standing::of(actor)?;
        let (org, faculty, inventor_user) = st.narrow(q.org, q.faculty);
        let filter = UnrecordedFilter { org, faculty, inventor_user, limit: q.limit, offset: q.offset };
        let mut tx = self.db.read().await?;
        if let Some(o) = q.org
            && st.sees_all
            && tx.org(o).await?.is_none()
        {
            return Err(ServiceError::NotFound);
        }
        let patents = tx.unrecorded_patents(&filter).await?;
        let total = tx.count_unrecorded_patents(&filter).await?;
        Ok(UnrecordedPage { patents, total })
    }

    /// Converted institution patents (已转化专利), latest conversion first, narrowed as [`App::coverage`]
    /// narrows the figures: the city or the institution the bureau chose, the own institution, the own faculty.
    pub async fn converted_patents(
        &self,
        actor: &Actor,
        org: Option<OrgId>,
        limit: u32,
        offset: u32,
    ) -> Result<ConvertedPage> {
        if !actor.is_cli() {
            actor.require(Permission::ViewCoverage)?;
        }
        let st = Standing::of(actor)?;
        let mut tx = self.db.read().await?;
        let (org, faculty) = if st.sees_all {
            if let Some(o) = org
                && tx.org(o).await?.is_none_or(|x| x.kind != OrgKind::Institution)
            {
                return Err(ServiceError::NotFound);
            }
            (org, FacultyScope::Any)
        } else if let Some(own) = st.admin_of {
            (Some(own), FacultyScope::Any)
        } else if let Some((own, f)) = st.reviewer_of {
            (Some(own), FacultyScope::Only(f))
        } else {
            return Err(ServiceError::Forbidden);
        };
        let filter = ConvertedFilter { org, faculty, limit, offset };
        let patents = tx.converted_patents(&filter).await?;
        let total = tx.count_converted_patents(&filter).await?;
        Ok(ConvertedPage { patents, total, deals: deal_scope(actor) })
    }

    /// The converted list as the account sees it, as xlsx (audited).
    pub async fn export_converted(&self, actor: &Actor, org: Option<OrgId>) -> Result<Vec<u8>> {
        let page = self.converted_patents(actor, org, LIST_EXPORT_LIMIT, 0).await?;
        let mut t = Table::new(
            "已转化专利",
            &["申请号", "专利名称", "单位", "所属院系", "转化方式", "交易编号", "相对方", "金额（元）", "签订日期"],
        );
        for p in &page.patents {
            let d = p.deal.as_ref();
            t.push(vec![
                Cell::from(p.application_no.as_str()),
                Cell::from(p.title.as_str()),
                Cell::from(p.org_name.as_str()),
                Cell::from(p.faculty_name.as_deref().unwrap_or("未分院系")),
                Cell::from(conversion_label(p)),
                Cell::from(d.map(|d| d.id.get())),
                Cell::from(d.map(|d| d.counterparties.join("、"))),
                // As the deal export writes amounts: plain yuan.
                Cell::from(d.map(|d| yuan_text(d.amount))),
                Cell::from(converted_on_text(p)),
            ]);
        }
        self.finish_export(actor, "converted_patents", &org.map(|o| o.to_string()).unwrap_or_default(), &t).await
    }

    /// The coverage table as the account sees it, as xlsx (audited): the city and every institution for the
    /// bureau, then the chosen institution's faculties.
    pub async fn export_coverage(&self, actor: &Actor, org: Option<OrgId>) -> Result<Vec<u8>> {
        let view = self.coverage(actor, org).await?;
        let mut headers = vec!["范围", "名称"];
        headers.extend(COVERAGE_COLUMNS);
        let mut t = Table::new("盘点覆盖情况", &headers);
        let mut push = |kind: &str, name: &str, c: &CoverageCounts| {
            let mut row = vec![Cell::from(kind), Cell::from(name)];
            row.extend(count_cells(c));
            t.push(row);
        };
        if let Some(c) = &view.city {
            push("全市", "全市高校院所合计", c);
        }
        for i in &view.institutions {
            push("单位", &i.org_name, &i.counts);
        }
        if let Some(o) = &view.org
            && view.city.is_none()
        {
            push("单位", &o.org_name, &o.counts);
        }
        for f in &view.faculties {
            push("院系", f.faculty_name.as_deref().unwrap_or("未分院系"), &f.counts);
        }
        self.finish_export(actor, "coverage", &org.map(|o| o.to_string()).unwrap_or_default(), &t).await
    }

    /// The unrecorded list as the account sees it, as xlsx (audited).
    pub async fn export_unrecorded(&self, actor: &Actor, q: &UnrecordedQuery) -> Result<Vec<u8>> {
        let q = UnrecordedQuery { limit: LIST_EXPORT_LIMIT, offset: 0, ..*q };
        let page = self.unrecorded_patents(actor, &q).await?;
        let mut t = Table::new(
            "未建档专利",
            &["申请号", "专利名称", "专利类型", "申请日", "授权公告日", "主分类号", "单位", "所属院系", "盘点记录"],
        );
        for p in &page.patents {
            t.push(vec![
                Cell::from(p.application_no.as_str()),
                Cell::from(p.title.as_str()),
                Cell::from(p.patent_type.label()),
                Cell::from(p.filing_date.map(|d| d.to_string())),
                Cell::from(p.grant_date.map(|d| d.to_string())),
                Cell::from(p.main_ipc.as_deref()),
                Cell::from(p.org_name.as_str()),
                Cell::from(p.faculty_name.as_deref().unwrap_or("未分院系")),
                Cell::from(if p.state.is_some() { "草稿（未提交）" } else { "未填报" }),
            ]);
        }
        self.finish_export(actor, "unrecorded_patents", "", &t).await
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use ipbridge_domain::Money;
    use ipbridge_domain::ids::{DealId, OrgId, PatentId};
    use ipbridge_domain::revitalisation::{DealKind, LicenseScope};

    use super::*;

    #[test]
    fn conversions_are_named_as_the_deal_pages_name_them() {
        let on = NaiveDate::from_ymd_opt(2025, 10, 9);
        let mut p = ConvertedPatent {
            patent_id: PatentId::new(1),
            application_no: "CN202310000001.X".into(),
            title: "一种富硒茶".into(),
            org_id: OrgId::new(2),
            org_name: "安康学院".into(),
            faculty_id: None,
            faculty_name: None,
            deal: None,
            deals: 0,
            converted_on: on,
        };
        assert_eq!(
            (conversion_label(&p), converted_on_text(&p)),
            ("已实施（盘点记录）".into(), "2025-10-09（审核通过）".into())
        );
        p.deal = Some(ConvertingDeal {
            id: DealId::new(3),
            kind: DealKind::License,
            license_scope: Some(LicenseScope::Ordinary),
            counterparties: vec!["安康硒源茶业有限公司".into()],
            amount: Money::from_fen(38_000_000),
        });
        assert_eq!((conversion_label(&p), converted_on_text(&p)), ("许可（普通许可）".into(), "2025-10-09".into()));
        p.deal = p.deal.map(|d| ConvertingDeal { kind: DealKind::EquityContribution, license_scope: None, ..d });
        assert_eq!(conversion_label(&p), "作价入股");
    }
}
