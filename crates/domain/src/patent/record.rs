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

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One patent as imported. Values the source gives that are not modelled are kept in `extra`, never dropped.
/// Empty fields are left out of the stored JSON (a bulk import writes hundreds of thousands of records).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatentRecord {
    /// 申请号, canonical.
    pub application_no: ApplicationNo,
    /// 专利类型, from the type digit or the source's type column.
    pub patent_type: PatentType,
    /// 公开号, e.g. CN115123456A.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publication_no: Option<String>,
    /// 授权公告号, e.g. CN115123456B.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_no: Option<String>,
    /// 申请日.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filing_date: Option<NaiveDate>,
    /// 公开日.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publication_date: Option<NaiveDate>,
    /// 授权公告日.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_date: Option<NaiveDate>,
    /// 专利名称.
    pub title: String,
    /// 摘要.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub abstract_text: String,
    /// 主权项 (claim 1).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub first_claim: String,
    /// 权利要求 (all claims) when given.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub claims: String,
    /// 申请人 / 专利权人, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applicants: Vec<Applicant>,
    /// 发明人, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inventors: Vec<String>,
    /// 专利代理机构.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    /// 专利代理人.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<String>,
    /// 主分类号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_ipc: Option<IpcCode>,
    /// 分类号: every IPC code, the main one included, without duplicates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipc_codes: Vec<IpcCode>,
    /// CPC codes when given, as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpc_codes: Vec<String>,
    /// 优先权 entries (number and date as written).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priorities: Vec<String>,
    /// 同族专利 publication numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub family: Vec<String>,
    /// Whether a family member is foreign (a non-CN publication number).
    #[serde(default, skip_serializing_if = "is_false")]
    pub has_foreign_family: bool,
    /// 引证数: how many documents this patent cites, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citation_count: Option<u32>,
    /// 被引证数: how many times it is cited, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cited_by_count: Option<u32>,
    /// 专利转移次数.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub transfer_count: u32,
    /// 许可次数.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub license_count: u32,
    /// 质押次数.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pledge_count: u32,
    /// 质押金额: the highest pledge financing secured on the patent (a high-value criterion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pledge_amount: Option<crate::Money>,
    /// 转让日期 (latest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_date: Option<NaiveDate>,
    /// 许可日期 (latest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_date: Option<NaiveDate>,
    /// 质押日期 (latest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pledge_date: Option<NaiveDate>,
    /// 失效日期.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lapse_date: Option<NaiveDate>,
    /// 法律状态, normalised.
    pub legal_status: LegalStatus,
    /// 法律状态 as the source wrote it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub legal_status_raw: String,
    /// 国省代码 as a division code prefix, e.g. `61` for 陕西(61); the source text stays in `extra` if odd.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province_code: Option<String>,
    /// Source columns not modelled above: column name → value as written.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
}
