//! Enterprise technology demands collected offline (征集表): the column aliases, the platform's template, and
//! the mapping of a row to its cells by field.
//!
//! This module only finds each field's text; the service parses it with the same rules as the online form
//! (so a row and a form get the same Chinese message) and resolves the enterprise and the chain against the
//! database, which this crate does not see.

use std::collections::BTreeMap;

use crate::columns::{ColumnMap, FieldAliases, TableField};
use crate::export::ExportError;
use crate::patents::CellError;
use crate::read::{RAW_LINE_COLUMN, RawRow, ReadError};
use crate::template::{ColumnHelp, EXAMPLE_CREDIT_CODE, build};

/// A demand field that comes from a source column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DemandField {
    /// 需求名称 (required).
    Title,
    /// 需求描述.
    Description,
    /// 企业名称: the enterprise, by the exact name of an organisation on the platform.
    Enterprise,
    /// 统一社会信用代码: the enterprise, preferred over the name.
    CreditCode,
    /// 所属产业链: name or code of a key chain.
    Chain,
    /// IPC分类号.
    IpcCodes,
    /// 合作方式.
    Mode,
    /// 预算下限（元）.
    BudgetMin,
    /// 预算上限（元）.
    BudgetMax,
    /// 截止日期.
    Deadline,
    /// 联系人.
    ContactName,
    /// 联系电话.
    ContactPhone,
}

/// The demand alias table.
#[rustfmt::skip]
pub const DEMAND_ALIASES: &[FieldAliases<DemandField>] = &[
    FieldAliases { field: DemandField::Title, label: "需求名称", aliases: &["需求名称", "技术需求名称", "需求标题", "项目名称", "需求", "标题"] },
    FieldAliases { field: DemandField::Description, label: "需求描述", aliases: &["需求描述", "需求内容", "技术需求描述", "需求详情", "具体需求", "技术要求", "需求说明", "描述"] },
    FieldAliases { field: DemandField::Enterprise, label: "企业名称", aliases: &["企业名称", "需求企业", "单位名称", "企业全称", "公司名称", "需求单位"] },
    FieldAliases { field: DemandField::CreditCode, label: "统一社会信用代码", aliases: &["统一社会信用代码", "信用代码", "社会信用代码", "统一信用代码"] },
    FieldAliases { field: DemandField::Chain, label: "所属产业链", aliases: &["所属产业链", "产业链", "重点产业链", "所属行业", "行业领域", "技术领域"] },
    FieldAliases { field: DemandField::IpcCodes, label: "IPC分类号", aliases: &["IPC分类号", "IPC", "分类号", "国际专利分类号"] },
    FieldAliases { field: DemandField::Mode, label: "合作方式", aliases: &["合作方式", "合作模式", "拟合作方式", "转化方式"] },
    FieldAliases { field: DemandField::BudgetMin, label: "预算下限（元）", aliases: &["预算下限（元）", "预算下限", "最低预算", "最低预算（元）"] },
    FieldAliases { field: DemandField::BudgetMax, label: "预算上限（元）", aliases: &["预算上限（元）", "预算上限", "最高预算", "最高预算（元）", "预算金额（元）", "预算（元）"] },
    FieldAliases { field: DemandField::Deadline, label: "截止日期", aliases: &["截止日期", "需求截止日期", "有效期至", "截止时间"] },
    FieldAliases { field: DemandField::ContactName, label: "联系人", aliases: &["联系人", "联系人姓名", "企业联系人"] },
    FieldAliases { field: DemandField::ContactPhone, label: "联系电话", aliases: &["联系电话", "联系方式", "手机", "手机号", "电话", "联系人电话"] },
];

impl TableField for DemandField {
    const TABLE: &'static [FieldAliases<Self>] = DEMAND_ALIASES;
}

impl DemandField {
    /// Every field, in table order.
    pub fn all() -> impl Iterator<Item = DemandField> {
        DEMAND_ALIASES.iter().map(|e| e.field)
    }
}

/// The columns of one demand file. Built once per file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandColumns(ColumnMap);

impl DemandColumns {
    /// Maps the headers; fails when no column holds the demand's title.
    pub fn from_headers(headers: &[String]) -> Result<DemandColumns, ReadError> {
        ColumnMap::build(headers, DemandField::Title).map(DemandColumns)
    }

    /// Candidate columns for a field, preferred first.
    pub fn candidates(&self, field: DemandField) -> &[usize] {
        self.0.field_candidates(field)
    }
}

/// One cell of a demand row: the text (trimmed) and the column it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandCell {
    /// The text, trimmed.
    pub value: String,
    /// The header of the column it came from.
    pub column: String,
}

/// The fields of one demand row, as text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DemandRow {
    /// Non-empty fields.
    pub cells: BTreeMap<DemandField, DemandCell>,
}

impl DemandRow {
    /// A field's text, "" when absent.
    pub fn get(&self, field: DemandField) -> &str {
        self.cells.get(&field).map_or("", |c| c.value.as_str())
    }

    /// The column to name in a message about a field: the file's own header, else the field's label.
    pub fn column(&self, field: DemandField) -> String {
        self.cells.get(&field).map_or_else(|| field.label().to_owned(), |c| c.column.clone())
    }
}

/// Takes each field's text from a row (the first non-empty candidate column). The only error is a JSONL line
/// that was not an object; every check of the values is the service's.
pub fn map_demand_row(cols: &DemandColumns, headers: &[String], row: &RawRow) -> Result<DemandRow, Vec<CellError>> {
    if let Some(raw) = cols.0.raw_line {
        let line = row.cell(raw);
        if !line.trim().is_empty() {
            return Err(vec![CellError {
                column: RAW_LINE_COLUMN.to_owned(),
                message: "这一行不是 JSON 对象，无法读取：每行应写成 {\"需求名称\": \"…\", \"企业名称\": \"…\"} 的形式"
                    .to_owned(),
            }]);
        }
    }
    let mut out = DemandRow::default();
    for field in DemandField::all() {
        let found = cols.candidates(field).iter().map(|&i| (i, row.cell(i).trim())).find(|(_, v)| !v.is_empty());
        if let Some((i, value)) = found {
            let column = headers.get(i).cloned().unwrap_or_else(|| field.label().to_owned());
            out.cells.insert(field, DemandCell { value: value.to_owned(), column });
        }
    }
    Ok(out)
}

/// Template column order: what the demand is, whose it is, then the terms and the contact.
const DEMAND_ORDER: [DemandField; 12] = [
    DemandField::Title,
    DemandField::Description,
    DemandField::Enterprise,
    DemandField::CreditCode,
    DemandField::Chain,
    DemandField::IpcCodes,
    DemandField::Mode,
    DemandField::BudgetMin,
    DemandField::BudgetMax,
    DemandField::Deadline,
    DemandField::ContactName,
    DemandField::ContactPhone,
];

/// What the 合作方式 drop-down offers (other spellings such as 专利许可 are accepted too).
const MODE_CHOICES: [&str; 4] = ["转让", "许可", "合作开发", "技术咨询"];

fn demand_help(field: DemandField) -> ColumnHelp {
    let help = |required, format, meaning, example| ColumnHelp { required, format, meaning, example };
    match field {
        DemandField::Title => {
            help(true, "文字，不超过100字", "需求名称，一句话说明要解决的技术问题", "富硒茶叶深加工工艺改进")
        }
        DemandField::Description => help(
            true,
            "文字，不超过5000字",
            "需求描述：现状与问题、技术指标、期望成果",
            "现有绿茶提取工艺茶多酚得率低，希望引进提取率更高、可规模化的富硒茶深加工技术。",
        ),
        DemandField::Enterprise => help(
            false,
            "平台上已登记企业的全称；填写了统一社会信用代码时可留空",
            "提出需求的企业",
            "安康硒源茶业有限公司",
        ),
        DemandField::CreditCode => help(
            false,
            "18位数字和大写字母；与企业名称至少填写一项，两项都填时以信用代码为准",
            "提出需求的企业的统一社会信用代码",
            EXAMPLE_CREDIT_CODE,
        ),
        DemandField::Chain => help(false, "重点产业链名称或代码，如 富硒食品", "需求所属的重点产业链", "富硒食品"),
        DemandField::IpcCodes => {
            help(false, "IPC 分类号，如 A23F3/06；多个时用分号“;”分隔；不清楚可留空", "需求涉及的技术分类", "A23F3/06")
        }
        DemandField::Mode => help(true, "转让、许可、合作开发 或 技术咨询", "希望的合作方式", "许可"),
        DemandField::BudgetMin => help(false, "金额（元），如 100000 或 100,000.00", "预算下限", "100000"),
        DemandField::BudgetMax => help(false, "金额（元），不低于预算下限", "预算上限", "500000"),
        DemandField::Deadline => {
            help(false, "日期，写成 2026-12-31 或 20261231，不早于导入当天", "需求截止日期", "2026-12-31")
        }
        DemandField::ContactName => help(true, "姓名", "企业联系人", "王经理"),
        DemandField::ContactPhone => {
            help(true, "11位手机号或带区号的固定电话", "联系人电话（仅需求方和市场监管局可见完整号码）", "0915-3261234")
        }
    }
}

/// The demand import template: sheet 技术需求导入模板 (headers and one example row) and sheet 填写说明.
pub fn demand_template_xlsx() -> Result<Vec<u8>, ExportError> {
    let columns: Vec<(&str, ColumnHelp)> = DEMAND_ORDER.iter().map(|&f| (f.label(), demand_help(f))).collect();
    let mode_col = DEMAND_ORDER.iter().position(|&f| f == DemandField::Mode);
    build(
        "技术需求导入模板",
        &columns,
        mode_col.map(|c| (c, &MODE_CHOICES[..])),
        &[
            "第1行为列名，请勿修改；第2行为示例，导入前请删除或覆盖。",
            "企业须已在平台登记：按统一社会信用代码或企业全称识别。",
            "同一企业已有同名的未关闭需求时，该行不重复导入。",
            "导入后会生成“未导入的行”报告，其中“错误原因”列说明每行的问题；在报告中改正后可直接再次上传。",
        ],
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::io::Cursor;

    use calamine::{Reader, Xlsx};

    use super::*;
    use crate::columns::normalise_header;
    use crate::read::{Format, read_table};

    #[test]
    fn aliases_are_unique_and_labels_are_aliases() {
        let mut owner: HashMap<String, DemandField> = HashMap::new();
        for e in DEMAND_ALIASES {
            assert!(e.aliases.iter().any(|a| normalise_header(a) == normalise_header(e.label)), "{:?}", e.field);
            for a in e.aliases {
                assert!(owner.insert(normalise_header(a), e.field).is_none(), "alias {a} used twice");
            }
        }
        let mut order = DEMAND_ORDER.to_vec();
        order.sort_unstable();
        order.dedup();
        assert_eq!(order.len(), DemandField::all().count());
    }

    #[test]
    fn the_template_maps_back_to_every_field() {
        let bytes = demand_template_xlsx().unwrap();
        let mut wb = Xlsx::new(Cursor::new(bytes.clone())).unwrap();
        let names: Vec<String> = wb.sheet_names().to_vec();
        assert_eq!(names, ["技术需求导入模板", "填写说明"]);
        let table = read_table("模板.xlsx", &bytes, Some(Format::Xlsx)).unwrap();
        let cols = DemandColumns::from_headers(&table.headers).unwrap();
        let row = map_demand_row(&cols, &table.headers, &table.rows[0]).unwrap();
        for f in DemandField::all() {
            assert!(!row.get(f).is_empty(), "{f:?} has no example");
        }
        assert_eq!(row.get(DemandField::Mode), "许可");
        let _ = wb.worksheet_range("填写说明").unwrap();
    }

    #[test]
    fn vendor_headers_map_and_a_missing_title_column_is_named() {
        let headers: Vec<String> =
            ["项目名称", "需求内容", "需求单位", "联系方式", "错误原因"].map(String::from).to_vec();
        let cols = DemandColumns::from_headers(&headers).unwrap();
        let row = RawRow {
            number: 2,
            cells: ["魔芋精粉提纯", "提高葡甘聚糖含量", "安康魔芋食品股份有限公司", "13912345678", "原第2行：…"]
                .map(String::from)
                .to_vec(),
        };
        let r = map_demand_row(&cols, &headers, &row).unwrap();
        assert_eq!(r.get(DemandField::Title), "魔芋精粉提纯");
        assert_eq!(r.column(DemandField::ContactPhone), "联系方式");
        assert_eq!(r.column(DemandField::Mode), "合作方式");
        assert_eq!(r.get(DemandField::Mode), "");
        let err = DemandColumns::from_headers(&["企业名称".to_owned()]).unwrap_err();
        assert!(err.to_string().contains("需求名称"), "{err}");
    }
}
