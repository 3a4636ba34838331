//! Inventory records filled in offline (盘点表): the column aliases, the platform's template and the mapping of
//! a row to its cells by field.
//!
//! The columns are the domain's [`InventoryField::TEMPLATE`] (labels and hints live there, so the form, the
//! template and the error messages say the same thing). This module only finds each field's text; the service
//! parses it with [`ipbridge_domain::revitalisation::InventoryInput::parse`] (the online form's rules) and
//! resolves the patent, the faculty and the chain against the database, which this crate does not see.

use std::collections::HashMap;

use ipbridge_domain::revitalisation::{InventoryField, TransferIntent};

use crate::columns::{ColumnMap, FieldAliases, TableField};
use crate::export::ExportError;
use crate::patents::CellError;
use crate::read::{RAW_LINE_COLUMN, RawRow, ReadError};
use crate::template::{ColumnHelp, EXAMPLE_APPLICATION_NO, build};

/// The inventory alias table: each field's template label first, then the names offline forms use.
#[rustfmt::skip]
pub const INVENTORY_ALIASES: &[FieldAliases<InventoryField>] = &[
    FieldAliases { field: InventoryField::ApplicationNo, label: "申请号", aliases: &["申请号", "专利申请号", "专利号", "申请号/专利号"] },
    FieldAliases { field: InventoryField::Faculty, label: "所属院系", aliases: &["所属院系", "院系", "学院", "所属学院", "院系名称"] },
    FieldAliases { field: InventoryField::TransferIntent, label: "转化意愿", aliases: &["转化意愿", "转化方式", "拟转化方式", "意向转化方式"] },
    FieldAliases { field: InventoryField::AlreadyImplemented, label: "是否已实施", aliases: &["是否已实施", "已实施", "是否实施", "实施情况"] },
    FieldAliases { field: InventoryField::ProspectGrade, label: "转化前景自评", aliases: &["转化前景自评", "转化前景", "前景自评", "转化前景等级"] },
    FieldAliases { field: InventoryField::Maturity, label: "技术成熟度", aliases: &["技术成熟度", "成熟度", "TRL", "技术就绪度"] },
    FieldAliases { field: InventoryField::ProblemSolved, label: "解决的问题", aliases: &["解决的问题", "解决的技术问题", "技术问题"] },
    FieldAliases { field: InventoryField::Advantage, label: "技术优势", aliases: &["技术优势", "技术特点", "优势", "技术特点及优势"] },
    FieldAliases { field: InventoryField::ApplicationFields, label: "应用领域", aliases: &["应用领域", "应用范围", "适用领域"] },
    FieldAliases { field: InventoryField::RouteToMarket, label: "转化路径", aliases: &["转化路径", "转化途径", "产业化路径"] },
    FieldAliases { field: InventoryField::PriceMin, label: "预期价格下限（元）", aliases: &["预期价格下限（元）", "预期价格下限", "价格下限", "最低价格"] },
    FieldAliases { field: InventoryField::PriceMax, label: "预期价格上限（元）", aliases: &["预期价格上限（元）", "预期价格上限", "价格上限", "最高价格", "预期价格", "预期价格（元）"] },
    FieldAliases { field: InventoryField::ContactName, label: "联系人", aliases: &["联系人", "联系人姓名"] },
    FieldAliases { field: InventoryField::ContactPhone, label: "联系电话", aliases: &["联系电话", "联系方式", "手机", "手机号", "电话"] },
    FieldAliases { field: InventoryField::Chain, label: "所属产业链", aliases: &["所属产业链", "产业链", "重点产业链"] },
];

impl TableField for InventoryField {
    const TABLE: &'static [FieldAliases<Self>] = INVENTORY_ALIASES;
}

/// The columns of one inventory file. Built once per file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryColumns(ColumnMap);

impl InventoryColumns {
    /// Maps the headers; fails when no column holds the application number (which names the patent).
    pub fn from_headers(headers: &[String]) -> Result<InventoryColumns, ReadError> {
        ColumnMap::build(headers, InventoryField::ApplicationNo).map(InventoryColumns)
    }
}

/// One cell of an inventory row: the text (trimmed) and the column it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryCell {
    /// The text, trimmed.
    pub value: String,
    /// The header of the column it came from.
    pub column: String,
}

/// The fields of one inventory row, as text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InventoryRow {
    /// Non-empty fields.
    pub cells: HashMap<InventoryField, InventoryCell>,
}

impl InventoryRow {
    /// A field's text, "" when absent.
    pub fn get(&self, field: InventoryField) -> &str {
        self.cells.get(&field).map_or("", |c| c.value.as_str())
    }

    /// The column to name in a message about a field: the file's own header, else the field's label.
    pub fn column(&self, field: InventoryField) -> String {
        self.cells.get(&field).map_or_else(|| field.label().to_owned(), |c| c.column.clone())
    }
}

/// Takes each field's text from a row (the first non-empty candidate column). The only error is a JSONL line
/// that was not an object; every check of the values is the service's.
pub fn map_inventory_row(
    cols: &InventoryColumns,
    headers: &[String],
    row: &RawRow,
) -> Result<InventoryRow, Vec<CellError>> {
    if let Some(raw) = cols.0.raw_line
        && !row.cell(raw).trim().is_empty()
    {
        return Err(vec![CellError {
            column: RAW_LINE_COLUMN.to_owned(),
            message: "这一行不是 JSON 对象，无法读取：每行应写成 {\"申请号\": \"…\", \"转化意愿\": \"…\"} 的形式"
                .to_owned(),
        }]);
    }
    let mut out = InventoryRow::default();
    for field in InventoryField::TEMPLATE {
        let found =
            cols.0.field_candidates(field).iter().map(|&i| (i, row.cell(i).trim())).find(|(_, v)| !v.is_empty());
        if let Some((i, value)) = found {
            let column = headers.get(i).cloned().unwrap_or_else(|| field.label().to_owned());
            out.cells.insert(field, InventoryCell { value: value.to_owned(), column });
        }
    }
    Ok(out)
}

fn inventory_help(field: InventoryField) -> ColumnHelp {
    let help = |required, meaning, example| ColumnHelp { required, format: field.hint(), meaning, example };
    match field {
        InventoryField::ApplicationNo => {
            help(true, "盘点的专利，须是本单位在平台上的有效专利；同一专利再次导入时更新其草稿", EXAMPLE_APPLICATION_NO)
        }
        InventoryField::Faculty => {
            help(false, "负责学院审核的院系，须与平台上登记的院系名称一致", "食品与生物工程学院")
        }
        InventoryField::TransferIntent => help(false, "单位对该专利的转化意愿", "许可"),
        InventoryField::AlreadyImplemented => {
            help(false, "单位是否已自行实施；单位审核通过后计为已转化（自行实施）", "否")
        }
        InventoryField::ProspectGrade => help(false, "单位（发明人）对转化前景的自评", "B"),
        InventoryField::Maturity => help(false, "技术成熟度（TRL）等级", "6"),
        InventoryField::ProblemSolved => help(false, "非涉密技术简介：解决了什么问题", "富硒茶叶加工中硒元素流失"),
        InventoryField::Advantage => help(false, "非涉密技术简介：与现有技术相比的优势", "硒保留率提高30%"),
        InventoryField::ApplicationFields => help(false, "可应用的产业和产品", "茶叶深加工"),
        InventoryField::RouteToMarket => help(false, "计划如何实现转化；转化意愿为“暂无”时可空", "许可给本地茶企"),
        InventoryField::PriceMin => help(false, "预期价格下限", "20万"),
        InventoryField::PriceMax => help(false, "预期价格上限，不低于下限", "50万"),
        InventoryField::ContactName => help(true, "回答企业咨询的联系人", "李老师"),
        InventoryField::ContactPhone => help(false, "联系人电话（资源库中不公开）", "0915-3261234"),
        InventoryField::Chain => help(false, "专利归属的重点产业链", "富硒食品"),
    }
}

/// The inventory import template: sheet 盘点记录导入模板 (headers and one example row) and sheet 填写说明.
/// `grades` are the policy's prospect grades as `名称：含义`, listed in the notes.
pub fn inventory_template_xlsx(grades: &[String]) -> Result<Vec<u8>, ExportError> {
    let columns: Vec<(&str, ColumnHelp)> =
        InventoryField::TEMPLATE.iter().map(|&f| (f.label(), inventory_help(f))).collect();
    let intent_col = InventoryField::TEMPLATE.iter().position(|&f| f == InventoryField::TransferIntent);
    let intents: Vec<&str> = TransferIntent::ALL.iter().map(|i| i.label()).collect();
    let mut notes: Vec<String> = vec![
        "第1行为列名，请勿修改；第2行为示例，导入前请删除或覆盖。".to_owned(),
        "每行一件专利，以申请号识别；只能填报本单位的有效、未转化专利。已提交审核的记录不能通过导入修改，请先撤回或由审核人退回。"
            .to_owned(),
        "导入时可选择“保存为草稿”或“内容完整的直接提交审核”；选择提交时，缺少必填内容的行不导入，原因写在报告中。".to_owned(),
        "导入后会生成“未导入的行”报告，其中“错误原因”列说明每行的问题；在报告中改正后可直接再次上传。".to_owned(),
        "转化前景自评的等级：".to_owned(),
    ];
    notes.extend(grades.iter().map(|g| format!("  {g}")));
    let notes: Vec<&str> = notes.iter().map(String::as_str).collect();
    build("盘点记录导入模板", &columns, intent_col.map(|c| (c, &intents[..])), &notes)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::columns::normalise_header;
    use crate::read::{Format, read_table};

    #[test]
    fn aliases_are_unique_and_every_template_field_has_its_label() {
        let mut owner: HashMap<String, InventoryField> = HashMap::new();
        for e in INVENTORY_ALIASES {
            assert_eq!(e.label, e.field.label(), "{:?}", e.field);
            assert!(e.aliases.iter().any(|a| normalise_header(a) == normalise_header(e.label)), "{:?}", e.field);
            for a in e.aliases {
                assert!(owner.insert(normalise_header(a), e.field).is_none(), "alias {a} used twice");
            }
        }
        for f in InventoryField::TEMPLATE {
            assert!(INVENTORY_ALIASES.iter().any(|e| e.field == f), "{f:?} has no aliases");
        }
    }

    #[test]
    fn the_template_maps_back_to_every_field() {
        let bytes = inventory_template_xlsx(&["A 近期可转化：技术成熟".to_owned()]).unwrap();
        let table = read_table("模板.xlsx", &bytes, Some(Format::Xlsx)).unwrap();
        let cols = InventoryColumns::from_headers(&table.headers).unwrap();
        let row = map_inventory_row(&cols, &table.headers, &table.rows[0]).unwrap();
        for f in InventoryField::TEMPLATE {
            assert!(!row.get(f).is_empty(), "{f:?} has no example");
        }
        assert_eq!(row.get(InventoryField::TransferIntent), "许可");
        assert_eq!(row.column(InventoryField::PriceMin), "预期价格下限（元）");
    }

    #[test]
    fn offline_headers_map_and_a_missing_number_column_is_named() {
        let headers: Vec<String> = ["专利号", "学院", "转化方式", "错误原因"].map(String::from).to_vec();
        let cols = InventoryColumns::from_headers(&headers).unwrap();
        let row = RawRow {
            number: 3,
            cells: ["202310123456.6", "食品学院", "转让", "原第3行：…"].map(String::from).to_vec(),
        };
        let r = map_inventory_row(&cols, &headers, &row).unwrap();
        assert_eq!(r.get(InventoryField::ApplicationNo), "202310123456.6");
        assert_eq!(r.column(InventoryField::Faculty), "学院");
        assert_eq!(r.get(InventoryField::ContactName), "");
        let err = InventoryColumns::from_headers(&["联系人".to_owned()]).unwrap_err();
        assert!(err.to_string().contains("申请号"), "{err}");
    }
}
