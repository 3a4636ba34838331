//! The patent record: one clean record per Chinese application, whatever file it came from.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{ApplicationNo, IpcCode, LegalStatus, PatentType};

/// An applicant or patentee, in the order the source lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    /// Name as written (trimmed).
    pub name: String,
    /// Address when the source gives one (only the first applicant's, usually).
    pub address: Option<String>,
}

/// One patent as imported. Values the source gives that are not modelled are kept in `extra`, never dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatentRecord {
    /// 申请号, canonical.
    pub application_no: ApplicationNo,
    /// 专利类型, from the type digit or the source's type column.
    pub patent_type: PatentType,
    /// 公开号, e.g. CN115123456A.
    pub publication_no: Option<String>,
    /// 授权公告号, e.g. CN115123456B.
    pub grant_no: Option<String>,
    /// 申请日.
    pub filing_date: Option<NaiveDate>,
    /// 公开日.
    pub publication_date: Option<NaiveDate>,
    /// 授权公告日.
    pub grant_date: Option<NaiveDate>,
    /// 专利名称.
    pub title: String,
    /// 摘要.
    pub abstract_text: String,
    /// 主权项 (claim 1).
    pub first_claim: String,
    /// 权利要求 (all claims) when given.
    pub claims: String,
    /// 申请人 / 专利权人, in order.
    pub applicants: Vec<Applicant>,
    /// 发明人, in order.
    pub inventors: Vec<String>,
    /// 专利代理机构.
    pub agency: Option<String>,
    /// 专利代理人.
    pub agents: Vec<String>,
    /// 主分类号.
    pub main_ipc: Option<IpcCode>,
    /// 分类号: every IPC code, the main one included, without duplicates.
    pub ipc_codes: Vec<IpcCode>,
    /// CPC codes when given, as written.
    pub cpc_codes: Vec<String>,
    /// 优先权 entries (number and date as written).
    pub priorities: Vec<String>,
    /// 同族专利 publication numbers.
    pub family: Vec<String>,
    /// Whether a family member is foreign (a non-CN publication number).
    pub has_foreign_family: bool,
    /// 引证数: how many documents this patent cites, when given.
    pub citation_count: Option<u32>,
    /// 被引证数: how many times it is cited, when given.
    pub cited_by_count: Option<u32>,
    /// 专利转移次数.
    pub transfer_count: u32,
    /// 许可次数.
    pub license_count: u32,
    /// 质押次数.
    pub pledge_count: u32,
    /// 转让日期 (latest).
    pub transfer_date: Option<NaiveDate>,
    /// 许可日期 (latest).
    pub license_date: Option<NaiveDate>,
    /// 质押日期 (latest).
    pub pledge_date: Option<NaiveDate>,
    /// 失效日期.
    pub lapse_date: Option<NaiveDate>,
    /// 法律状态, normalised.
    pub legal_status: LegalStatus,
    /// 法律状态 as the source wrote it.
    pub legal_status_raw: String,
    /// 国省代码 as a division code prefix, e.g. `61` for 陕西(61); the source text stays in `extra` if odd.
    pub province_code: Option<String>,
    /// Source columns not modelled above: column name → value as written.
    pub extra: BTreeMap<String, String>,
}
