//! Which source column feeds which field. The aliases are data: one table per record kind, one line per
//! field, aliases in precedence order. Adding a vendor's header name is a one-line change in the table below
//! (and a line in `docs/import-columns.md`).
//!
//! Headers are compared after [`normalise_header`]: trimmed, full-width folded to half-width (so （） equals
//! ()), whitespace and the punctuation `_ - . *` removed, Latin letters lower-cased.
//!
//! Precedence: when a file has several columns for one field (申请人 and 当前权利人, 专利名称 and 授权名称), the
//! column whose alias comes first in the table is used; if its cell is empty in a row, the next one is used
//! for that row. A candidate column not used in a row keeps its value in `extra` when it differs.

use ipbridge_domain::credit_code::fold_full_width;

use crate::read::{RAW_LINE_COLUMN, ReadError};

/// Header of the reason column in a rejected-rows report. Readers of the report skip it, so a fixed report
/// imports directly.
pub const ERROR_REASON_COLUMN: &str = "错误原因";

/// A patent field that comes from a source column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PatentField {
    /// 申请号 (required).
    ApplicationNo,
    /// 专利类型.
    PatentType,
    /// 公开号.
    PublicationNo,
    /// 授权公告号.
    GrantNo,
    /// 申请日.
    FilingDate,
    /// 公开日.
    PublicationDate,
    /// 授权公告日.
    GrantDate,
    /// 专利名称.
    Title,
    /// 摘要.
    Abstract,
    /// 主权项.
    FirstClaim,
    /// 权利要求书.
    Claims,
    /// 申请人 / 专利权人.
    Applicants,
    /// 申请人地址.
    ApplicantAddress,
    /// 发明人.
    Inventors,
    /// 专利代理机构.
    Agency,
    /// 专利代理人.
    Agents,
    /// 主分类号.
    MainIpc,
    /// IPC 分类号.
    IpcCodes,
    /// CPC 分类号.
    CpcCodes,
    /// 优先权.
    Priorities,
    /// 同族专利.
    Family,
    /// 引证数.
    CitationCount,
    /// 被引证数.
    CitedByCount,
    /// 专利转移次数.
    TransferCount,
    /// 许可次数.
    LicenseCount,
    /// 质押次数.
    PledgeCount,
    /// 质押金额.
    PledgeAmount,
    /// 转让日期.
    TransferDate,
    /// 许可日期.
    LicenseDate,
    /// 质押日期.
    PledgeDate,
    /// 失效日期.
    LapseDate,
    /// 法律状态.
    LegalStatus,
    /// 国省代码.
    ProvinceCode,
}

/// One line of an alias table: the field, its Chinese label (the platform template's header) and the header
/// names accepted for it, in precedence order.
#[derive(Debug, Clone, Copy)]
pub struct FieldAliases<F: 'static> {
    /// The field.
    pub field: F,
    /// Chinese name, used as the template header and in messages.
    pub label: &'static str,
    /// Accepted header names, first = preferred.
    pub aliases: &'static [&'static str],
}

/// The patent alias table. Sources: CNIPA's export (the fullschema sample), the platform template, incoPat,
/// 智慧芽/PatSnap, 合享/Himmpat, 大为/innojoy, SooPAT, 佰腾 and Espacenet-style English names.
#[rustfmt::skip]
pub const PATENT_ALIASES: &[FieldAliases<PatentField>] = &[
    FieldAliases { field: PatentField::ApplicationNo, label: "申请号", aliases: &["申请号", "申请号/专利号", "专利申请号", "专利号", "申请(专利)号", "申请专利号", "申请号码", "Application Number", "Application No", "Appln No"] },
    FieldAliases { field: PatentField::PatentType, label: "专利类型", aliases: &["专利类型", "专利种类", "专利类别", "Patent Type"] },
    FieldAliases { field: PatentField::PublicationNo, label: "公开号", aliases: &["公开号", "公开(公告)号", "公开公告号", "公开/公告号", "公布号", "申请公布号", "公开号码", "Publication Number", "Publication No", "Pub No"] },
    FieldAliases { field: PatentField::GrantNo, label: "授权公告号", aliases: &["授权公告号", "授权号", "公告号", "授权公告号码", "授权公布号", "Grant Number", "Grant No", "Grant Publication Number"] },
    FieldAliases { field: PatentField::FilingDate, label: "申请日", aliases: &["申请日", "申请日期", "申请时间", "Application Date", "Filing Date"] },
    FieldAliases { field: PatentField::PublicationDate, label: "公开日", aliases: &["公开日", "公开(公告)日", "公开公告日", "公开/公告日", "公开日期", "公布日", "申请公布日", "Publication Date"] },
    FieldAliases { field: PatentField::GrantDate, label: "授权公告日", aliases: &["授权公告日", "授权日", "授权日期", "公告日", "授权公告日期", "Grant Date", "Issue Date"] },
    // 授权名称 last: it is empty until grant, the application's title is always there.
    FieldAliases { field: PatentField::Title, label: "专利名称", aliases: &["专利名称", "发明名称", "标题", "标题(中文)", "中文标题", "专利标题", "名称", "题名", "Title", "Invention Title", "授权名称"] },
    FieldAliases { field: PatentField::Abstract, label: "摘要", aliases: &["摘要", "申请摘要", "摘要(中文)", "中文摘要", "摘要文本", "Abstract"] },
    FieldAliases { field: PatentField::FirstClaim, label: "主权项", aliases: &["主权项", "首项权利要求", "第一权利要求", "独立权利要求", "主权利要求", "First Claim", "Main Claim"] },
    FieldAliases { field: PatentField::Claims, label: "权利要求书", aliases: &["权利要求书", "权利要求", "权利要求(中文)", "Claims"] },
    // The current holder first: the platform licenses and transfers from whoever holds the patent now; the
    // original applicant then stays in `extra` when it differs. 第一权利人 names one holder only, so it is last.
    FieldAliases { field: PatentField::Applicants, label: "申请人", aliases: &["当前权利人", "当前专利权人", "当前申请(专利权)人", "[标]当前申请(专利权)人", "专利权人", "申请(专利权)人", "[标]申请(专利权)人", "申请人", "申请人名称", "权利人", "Current Assignee", "Assignee", "Applicants", "Applicant", "Applicant Name", "第一权利人", "第一申请人"] },
    FieldAliases { field: PatentField::ApplicantAddress, label: "申请人地址", aliases: &["申请人地址", "申请(专利权)人地址", "专利权人地址", "当前权利人地址", "第一申请人地址", "地址", "Applicant Address", "Address"] },
    FieldAliases { field: PatentField::Inventors, label: "发明人", aliases: &["发明人", "发明(设计)人", "发明人/设计人", "设计人", "当前发明人", "发明人姓名", "Inventors", "Inventor", "第一发明人"] },
    FieldAliases { field: PatentField::Agency, label: "专利代理机构", aliases: &["专利代理机构", "代理机构", "当前专利代理机构", "代理机构名称", "Agency"] },
    FieldAliases { field: PatentField::Agents, label: "专利代理人", aliases: &["专利代理人", "代理人", "当前专利代理人", "代理人姓名", "Agents", "Agent", "Attorney"] },
    FieldAliases { field: PatentField::MainIpc, label: "主分类号", aliases: &["主分类号", "IPC主分类", "IPC主分类号", "主IPC", "主IPC分类号", "国际主分类号", "Main IPC", "IPC Main", "Primary IPC"] },
    FieldAliases { field: PatentField::IpcCodes, label: "IPC分类号", aliases: &["分类号", "IPC分类号", "IPC", "IPC分类", "国际分类号", "全部IPC", "IPC Codes", "IPC Classification"] },
    FieldAliases { field: PatentField::CpcCodes, label: "CPC分类号", aliases: &["CPC分类号", "CPC", "CPC分类", "CPC Codes", "CPC Classification"] },
    FieldAliases { field: PatentField::Priorities, label: "优先权", aliases: &["优先权", "优先权号", "优先权信息", "优先权号码", "Priority", "Priorities", "Priority Number", "Priority Numbers"] },
    FieldAliases { field: PatentField::Family, label: "同族专利", aliases: &["同族专利", "简单同族", "简单同族成员", "同族", "同族公开号", "同族专利成员", "扩展同族", "INPADOC同族", "Family", "Family Members", "Simple Family"] },
    FieldAliases { field: PatentField::CitationCount, label: "引证数", aliases: &["引证数", "引证次数", "引证专利数", "引用专利数", "Citation Count", "Backward Citations"] },
    FieldAliases { field: PatentField::CitedByCount, label: "被引证数", aliases: &["被引证数", "被引证次数", "被引用次数", "被引数", "被引用专利数", "Cited By Count", "Cited By", "Forward Citations", "Times Cited"] },
    FieldAliases { field: PatentField::TransferCount, label: "专利转移次数", aliases: &["专利转移次数", "转让次数", "转移次数", "权利转移次数", "Transfer Count"] },
    FieldAliases { field: PatentField::LicenseCount, label: "许可次数", aliases: &["许可次数", "专利许可次数", "许可备案次数", "License Count"] },
    FieldAliases { field: PatentField::PledgeCount, label: "质押次数", aliases: &["质押次数", "专利质押次数", "Pledge Count"] },
    FieldAliases { field: PatentField::PledgeAmount, label: "质押金额", aliases: &["质押金额", "质押融资金额", "质押融资额", "质押登记金额", "质押金额(元)", "Pledge Amount"] },
    FieldAliases { field: PatentField::TransferDate, label: "转让日期", aliases: &["转让日期", "转让日", "转移日期", "权利转移日", "Transfer Date"] },
    FieldAliases { field: PatentField::LicenseDate, label: "许可日期", aliases: &["许可日期", "许可日", "许可备案日", "许可生效日", "License Date"] },
    FieldAliases { field: PatentField::PledgeDate, label: "质押日期", aliases: &["质押日期", "质押日", "质押登记日", "Pledge Date"] },
    FieldAliases { field: PatentField::LapseDate, label: "失效日期", aliases: &["失效日期", "失效日", "权利终止日", "Lapse Date"] },
    // The detailed CNIPA status (有权-审定授权) before the simple one (有效).
    FieldAliases { field: PatentField::LegalStatus, label: "法律状态", aliases: &["法律状态", "当前法律状态", "简单法律状态", "专利有效性", "有效性", "Legal Status", "Status"] },
    FieldAliases { field: PatentField::ProvinceCode, label: "国省代码", aliases: &["国省代码", "省市代码", "申请人国省代码", "省份代码", "申请人所在省", "所在省份", "Province Code"] },
];

/// An organisation field that comes from a source column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrgField {
    /// 单位名称 (required).
    Name,
    /// 单位类型.
    Kind,
    /// 院所类型 (for institutions).
    InstitutionKind,
    /// 统一社会信用代码.
    CreditCode,
    /// 所在县区.
    County,
    /// 联系人.
    ContactName,
    /// 地址.
    Address,
}

/// The organisation alias table.
#[rustfmt::skip]
pub const ORG_ALIASES: &[FieldAliases<OrgField>] = &[
    FieldAliases { field: OrgField::Name, label: "单位名称", aliases: &["单位名称", "机构名称", "企业名称", "公司名称", "组织名称", "单位全称", "企业全称", "机构全称", "名称", "Name", "Organization"] },
    FieldAliases { field: OrgField::Kind, label: "单位类型", aliases: &["单位类型", "类型", "机构类型", "组织类型", "主体类型", "单位类别", "类别", "Kind", "Type"] },
    FieldAliases { field: OrgField::InstitutionKind, label: "院所类型", aliases: &["院所类型", "高校院所类型", "机构子类", "院所类别"] },
    FieldAliases { field: OrgField::CreditCode, label: "统一社会信用代码", aliases: &["统一社会信用代码", "信用代码", "社会信用代码", "统一信用代码", "Credit Code", "USCC"] },
    FieldAliases { field: OrgField::County, label: "所在县区", aliases: &["所在县区", "县(市、区)", "所在县(市、区)", "县市区", "区县", "县区", "所属县区", "所属区县", "County"] },
    FieldAliases { field: OrgField::ContactName, label: "联系人", aliases: &["联系人", "联系人姓名", "Contact"] },
    FieldAliases { field: OrgField::Address, label: "地址", aliases: &["地址", "单位地址", "通讯地址", "联系地址", "办公地址", "注册地址", "Address"] },
];

/// A field of an alias table.
pub trait TableField: Copy + Eq + 'static {
    /// The alias table the field belongs to.
    const TABLE: &'static [FieldAliases<Self>];

    /// The field's line in its table.
    fn entry(self) -> Option<&'static FieldAliases<Self>> {
        Self::TABLE.iter().find(|e| e.field == self)
    }

    /// Chinese name, used as the template header and in messages.
    fn label(self) -> &'static str {
        self.entry().map(|e| e.label).unwrap_or("")
    }

    /// Accepted header names, first = preferred.
    fn aliases(self) -> &'static [&'static str] {
        self.entry().map(|e| e.aliases).unwrap_or(&[])
    }
}

impl TableField for PatentField {
    const TABLE: &'static [FieldAliases<Self>] = PATENT_ALIASES;
}

impl TableField for OrgField {
    const TABLE: &'static [FieldAliases<Self>] = ORG_ALIASES;
}

impl PatentField {
    /// Every field, in table order.
    pub fn all() -> impl Iterator<Item = PatentField> {
        PATENT_ALIASES.iter().map(|e| e.field)
    }
}

impl OrgField {
    /// Every field, in table order.
    pub fn all() -> impl Iterator<Item = OrgField> {
        ORG_ALIASES.iter().map(|e| e.field)
    }
}

/// A header as compared with the aliases: trimmed, full-width folded, whitespace and `_ - . *` removed, Latin
/// letters lower-cased. `申请（专利权）人`, `申请(专利权)人 ` and `申请 (专利权) 人` all compare equal, as do
/// `Application Number` and `application_number`.
pub fn normalise_header(header: &str) -> String {
    header
        .chars()
        .map(fold_full_width)
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '.' | '*' | '\u{feff}'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// What a source column is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Feeds field number `.0` (its position in the table) with alias rank `.1`.
    Field(usize, usize),
    /// The reason column of a rejected-rows report, or the raw-line column of a JSONL file: never data.
    Ignored,
    /// Not recognised: its values go to `extra`.
    Unmapped,
}

/// The columns of one file mapped to the fields of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ColumnMap {
    /// Per field (table position): candidate column indices, preferred first.
    candidates: Vec<Vec<usize>>,
    /// Per column: its role.
    roles: Vec<Role>,
    /// The JSONL raw-line column, if any.
    pub(crate) raw_line: Option<usize>,
}

impl ColumnMap {
    pub(crate) fn build<F: TableField>(headers: &[String], required: F) -> Result<ColumnMap, ReadError> {
        let normalised_aliases: Vec<Vec<String>> =
            F::TABLE.iter().map(|e| e.aliases.iter().map(|a| normalise_header(a)).collect()).collect();
        let reason = normalise_header(ERROR_REASON_COLUMN);
        let mut raw_line = None;
        let roles: Vec<Role> = headers
            .iter()
            .enumerate()
            .map(|(i, header)| {
                if header == RAW_LINE_COLUMN {
                    raw_line = Some(i);
                    return Role::Ignored;
                }
                let h = normalise_header(header);
                if h == reason {
                    return Role::Ignored;
                }
                normalised_aliases
                    .iter()
                    .enumerate()
                    .find_map(|(f, aliases)| aliases.iter().position(|a| *a == h).map(|rank| Role::Field(f, rank)))
                    .unwrap_or(Role::Unmapped)
            })
            .collect();
        let mut candidates: Vec<Vec<usize>> = vec![Vec::new(); F::TABLE.len()];
        for (f, list) in candidates.iter_mut().enumerate() {
            let mut found: Vec<(usize, usize)> = roles
                .iter()
                .enumerate()
                .filter_map(|(i, r)| match r {
                    Role::Field(field, rank) if *field == f => Some((*rank, i)),
                    _ => None,
                })
                .collect();
            found.sort_unstable();
            *list = found.into_iter().map(|(_, i)| i).collect();
        }
        let map = ColumnMap { candidates, roles, raw_line };
        if map.field_candidates::<F>(required).is_empty() {
            return Err(ReadError::MissingColumn {
                field: required.label(),
                found: if headers.is_empty() { "（无）".to_owned() } else { headers.join("、") },
                accepted: required.aliases().join("、"),
            });
        }
        Ok(map)
    }

    pub(crate) fn field_candidates<F: TableField>(&self, field: F) -> &[usize] {
        F::TABLE
            .iter()
            .position(|e| e.field == field)
            .and_then(|f| self.candidates.get(f))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn unmapped(&self) -> impl Iterator<Item = usize> + '_ {
        self.roles.iter().enumerate().filter(|(_, r)| **r == Role::Unmapped).map(|(i, _)| i)
    }

    pub(crate) fn ignored(&self) -> impl Iterator<Item = usize> + '_ {
        self.roles.iter().enumerate().filter(|(_, r)| **r == Role::Ignored).map(|(i, _)| i)
    }
}

/// The columns of one patent file: which column feeds which field. Built once per file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatentColumns(ColumnMap);

impl PatentColumns {
    /// Maps the headers; fails when no column holds the application number, listing the headers found and the
    /// accepted names.
    pub fn from_headers(headers: &[String]) -> Result<PatentColumns, ReadError> {
        ColumnMap::build(headers, PatentField::ApplicationNo).map(PatentColumns)
    }

    /// Candidate columns for a field, preferred first (empty when the file has none).
    pub fn candidates(&self, field: PatentField) -> &[usize] {
        self.0.field_candidates(field)
    }

    /// The preferred column for a field.
    pub fn column(&self, field: PatentField) -> Option<usize> {
        self.candidates(field).first().copied()
    }

    /// Columns that feed no field; their values go to `extra`.
    pub fn unmapped(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.unmapped()
    }

    /// The column holding JSONL lines that were not objects, if the file has one.
    pub fn raw_line(&self) -> Option<usize> {
        self.0.raw_line
    }

    /// Columns that are never data: a report's 错误原因 and the raw-line column.
    pub fn ignored(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.ignored()
    }
}

/// The columns of one organisation file. Built once per file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgColumns(ColumnMap);

impl OrgColumns {
    /// Maps the headers; fails when no column holds the organisation's name.
    pub fn from_headers(headers: &[String]) -> Result<OrgColumns, ReadError> {
        ColumnMap::build(headers, OrgField::Name).map(OrgColumns)
    }

    /// Candidate columns for a field, preferred first.
    pub fn candidates(&self, field: OrgField) -> &[usize] {
        self.0.field_candidates(field)
    }

    /// The preferred column for a field.
    pub fn column(&self, field: OrgField) -> Option<usize> {
        self.candidates(field).first().copied()
    }

    /// Columns that feed no field.
    pub fn unmapped(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.unmapped()
    }

    /// The column holding JSONL lines that were not objects, if the file has one.
    pub fn raw_line(&self) -> Option<usize> {
        self.0.raw_line
    }

    /// Columns that are never data: a report's 错误原因 and the raw-line column.
    pub fn ignored(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.ignored()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    fn check_table<F: TableField + std::fmt::Debug>() {
        let mut owner: HashMap<String, F> = HashMap::new();
        for e in F::TABLE {
            assert!(
                e.aliases.iter().any(|a| normalise_header(a) == normalise_header(e.label)),
                "{:?}: the label must be an alias",
                e.field
            );
            for a in e.aliases {
                if let Some(other) = owner.insert(normalise_header(a), e.field) {
                    panic!("alias {a} used by {other:?} and {:?}", e.field);
                }
            }
        }
        // One line per field.
        for (i, e) in F::TABLE.iter().enumerate() {
            assert_eq!(F::TABLE.iter().position(|x| x.field == e.field), Some(i));
        }
        assert!(!owner.contains_key(&normalise_header(ERROR_REASON_COLUMN)));
    }

    #[test]
    fn alias_tables_are_unambiguous() {
        check_table::<PatentField>();
        check_table::<OrgField>();
        assert_eq!(PatentField::all().count(), 33);
        assert_eq!(OrgField::all().count(), 7);
    }

    #[test]
    fn doc_lists_every_alias() {
        let doc = include_str!("../../../docs/import-columns.md");
        for a in PATENT_ALIASES.iter().flat_map(|e| e.aliases).chain(ORG_ALIASES.iter().flat_map(|e| e.aliases)) {
            assert!(doc.contains(&format!("`{a}`")), "docs/import-columns.md does not list the alias {a}");
        }
    }

    #[test]
    fn normalisation_handles_width_brackets_spaces_and_case() {
        assert_eq!(normalise_header(" 申请（专利权）人 "), "申请(专利权)人");
        assert_eq!(normalise_header("申请 (专利权) 人"), "申请(专利权)人");
        assert_eq!(normalise_header("Ａｐｐｌｉｃａｔｉｏｎ　Ｎｕｍｂｅｒ"), "applicationnumber");
        assert_eq!(normalise_header("application_number"), "applicationnumber");
        assert_eq!(normalise_header("ｉｐｃ主分类"), "ipc主分类");
    }

    #[test]
    fn full_width_brackets_and_spaces_match() {
        let cols = PatentColumns::from_headers(&headers(&[
            "公开（公告）号",
            "申请号 / 专利号",
            "申请（专利权）人",
            "Legal  Status",
        ]))
        .unwrap();
        assert_eq!(cols.column(PatentField::PublicationNo), Some(0));
        assert_eq!(cols.column(PatentField::ApplicationNo), Some(1));
        assert_eq!(cols.column(PatentField::Applicants), Some(2));
        assert_eq!(cols.column(PatentField::LegalStatus), Some(3));
    }

    #[test]
    fn first_alias_wins_then_file_order() {
        let cols =
            PatentColumns::from_headers(&headers(&["申请号", "授权名称", "申请人", "专利名称", "当前权利人"])).unwrap();
        assert_eq!(cols.candidates(PatentField::Title), [3, 1]);
        assert_eq!(cols.candidates(PatentField::Applicants), [4, 2]);
    }

    #[test]
    fn cnipa_fullschema_headers_map() {
        let names = [
            "序号",
            "申请日",
            "公开日",
            "授权公告日",
            "申请人",
            "发明人",
            "申请号",
            "公开号",
            "授权公告号",
            "专利类型",
            "专利名称",
            "授权名称",
            "申请摘要",
            "主权项",
            "申请人地址",
            "法律状态",
            "主分类号",
            "分类号",
            "国省代码",
            "专利代理人",
            "专利代理机构",
            "优先权",
            "引证数",
            "同族专利",
            "专利转移次数",
            "许可次数",
            "质押次数",
            "转让日期",
            "失效日期",
            "质押日期",
            "许可日期",
            "CPC分类号",
            "当前权利人",
            "简单同族数量",
        ];
        let cols = PatentColumns::from_headers(&headers(&names)).unwrap();
        for f in PatentField::all() {
            // The CNIPA schema has no claims text, cited-by count or pledge amount.
            if !matches!(f, PatentField::Claims | PatentField::CitedByCount | PatentField::PledgeAmount) {
                assert!(cols.column(f).is_some(), "{f:?} not mapped");
            }
        }
        let unmapped: Vec<&str> = cols.unmapped().map(|i| names[i]).collect();
        assert_eq!(unmapped, ["序号", "简单同族数量"]);
    }

    #[test]
    fn missing_application_number_lists_headers_and_names() {
        let e = PatentColumns::from_headers(&headers(&["专利名称", "申请人"])).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("找不到“申请号”列"), "{text}");
        assert!(text.contains("专利名称、申请人"), "{text}");
        assert!(text.contains("申请号/专利号"), "{text}");
    }

    #[test]
    fn reason_and_raw_columns_are_ignored() {
        let cols = PatentColumns::from_headers(&headers(&["申请号", "错误原因", RAW_LINE_COLUMN, "备注"])).unwrap();
        assert_eq!(cols.unmapped().collect::<Vec<_>>(), [3]);
        assert_eq!(cols.raw_line(), Some(2));
        let cols = OrgColumns::from_headers(&headers(&["错误原因 ", "企业名称"])).unwrap();
        assert_eq!(cols.column(OrgField::Name), Some(1));
        assert_eq!(cols.unmapped().count(), 0);
    }

    #[test]
    fn org_columns_need_a_name() {
        let cols =
            OrgColumns::from_headers(&headers(&["机构名称", "类型", "信用代码", "县（市、区）", "联系人", "地址"]))
                .unwrap();
        for f in OrgField::all() {
            if f != OrgField::InstitutionKind {
                assert!(cols.column(f).is_some(), "{f:?}");
            }
        }
        let e = OrgColumns::from_headers(&headers(&["类型"])).unwrap_err();
        assert!(e.to_string().contains("找不到“单位名称”列"));
    }
}
