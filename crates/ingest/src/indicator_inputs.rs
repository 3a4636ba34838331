//! The bureau's indicator input files: the award list (获奖专利名单: 申请号, 奖项, 等级, 年度, 备注) and the
//! periodic trademark statistics (县区, 月份, 有效商标持有量, 地理标志用标市场主体). Column aliases, the
//! platform's templates and the mapping of a row to its cells by field.
//!
//! As for inventory files, this module only finds each field's text. The service parses it (application
//! numbers, award kinds, months, counties from the policy) and names the column in every reason, since it
//! alone sees the policy and the database.

use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;

use rust_xlsxwriter::{DataValidation, DataValidationErrorStyle, Format, Workbook};

use crate::columns::{ColumnMap, FieldAliases, TableField};
use crate::export::{ExportError, display_width};
use crate::patents::CellError;
use crate::read::{RAW_LINE_COLUMN, RawRow, ReadError};
use crate::template::{ColumnHelp, EXAMPLE_APPLICATION_NO, build};

/// A column of the award list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AwardField {
    /// 申请号 (required).
    ApplicationNo,
    /// 奖项: 中国专利奖 (金奖、银奖、优秀奖) or 国家科学技术奖 (自然科学奖、技术发明奖、科技进步奖) (required).
    Award,
    /// 等级.
    Grade,
    /// 年度 (required).
    Year,
    /// 备注.
    Note,
}

/// The award list's alias table: each field's template label first, then the names published lists use.
#[rustfmt::skip]
pub const AWARD_ALIASES: &[FieldAliases<AwardField>] = &[
    FieldAliases { field: AwardField::ApplicationNo, label: "申请号", aliases: &["申请号", "专利号", "专利申请号", "申请号/专利号", "申请(专利)号"] },
    FieldAliases { field: AwardField::Award, label: "奖项", aliases: &["奖项", "奖项名称", "获奖奖项", "奖励名称", "奖励类别", "奖种", "获奖类别"] },
    FieldAliases { field: AwardField::Grade, label: "等级", aliases: &["等级", "获奖等级", "奖励等级", "奖级", "授奖等级"] },
    FieldAliases { field: AwardField::Year, label: "年度", aliases: &["年度", "获奖年度", "授奖年度", "获奖年份", "年份"] },
    FieldAliases { field: AwardField::Note, label: "备注", aliases: &["备注", "说明", "届次"] },
];

impl TableField for AwardField {
    const TABLE: &'static [FieldAliases<Self>] = AWARD_ALIASES;
}

impl AwardField {
    /// The columns a file must have: without them no row could be recorded.
    pub const REQUIRED: [AwardField; 3] = [AwardField::ApplicationNo, AwardField::Award, AwardField::Year];
}

/// A column of the trademark statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrademarkField {
    /// 县区: a county's name, alias or code (required).
    County,
    /// 月份: `2025-06`, `2025年6月`, `202506` (required).
    Month,
    /// 有效商标持有量 (required).
    ValidTrademarks,
    /// 地理标志用标市场主体 (required).
    GiUsers,
}

/// The trademark statistics' alias table.
#[rustfmt::skip]
pub const TRADEMARK_ALIASES: &[FieldAliases<TrademarkField>] = &[
    FieldAliases { field: TrademarkField::County, label: "县区", aliases: &["县区", "县(市、区)", "县(市区)", "县市区", "区县", "所在县区", "县区名称", "县区代码", "行政区划", "地区"] },
    FieldAliases { field: TrademarkField::Month, label: "月份", aliases: &["月份", "统计月份", "年月", "统计期", "统计时间", "截至月份"] },
    FieldAliases { field: TrademarkField::ValidTrademarks, label: "有效商标持有量", aliases: &["有效商标持有量", "有效商标", "有效商标量", "有效注册商标", "有效注册商标量", "有效商标注册量", "商标有效注册量"] },
    FieldAliases { field: TrademarkField::GiUsers, label: "地理标志用标市场主体", aliases: &["地理标志用标市场主体", "地理标志用标主体", "用标市场主体", "地理标志授权用户", "地理标志用标企业", "地理标志使用主体"] },
];

impl TableField for TrademarkField {
    const TABLE: &'static [FieldAliases<Self>] = TRADEMARK_ALIASES;
}

impl TrademarkField {
    /// Every column is required: the statistics are one figure per county, month and measure.
    pub const REQUIRED: [TrademarkField; 4] =
        [TrademarkField::County, TrademarkField::Month, TrademarkField::ValidTrademarks, TrademarkField::GiUsers];
}

/// The columns of one input file, for the fields of `F`. Built once per file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputColumns<F> {
    map: ColumnMap,
    fields: PhantomData<F>,
}

impl<F: TableField> InputColumns<F> {
    /// Maps the headers; fails naming the first `required` field no column holds, with the headers found and
    /// the accepted names (a file without 年度 would reject every row for the same reason).
    pub fn from_headers(headers: &[String], required: &[F]) -> Result<Self, ReadError> {
        let Some(&key) = required.first() else {
            return Err(ReadError::NoHeader);
        };
        let map = ColumnMap::build(headers, key)?;
        if let Some(&missing) = required.iter().find(|&&f| map.field_candidates(f).is_empty()) {
            return Err(ReadError::MissingColumn {
                field: missing.label(),
                found: headers.join("、"),
                accepted: missing.aliases().join("、"),
            });
        }
        Ok(Self { map, fields: PhantomData })
    }
}

/// One cell of an input row: the text (trimmed) and the column it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputCell {
    /// The text, trimmed.
    pub value: String,
    /// The header of the column it came from.
    pub column: String,
}

/// The fields of one input row, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputRow<F: Eq + Hash> {
    /// Non-empty fields.
    pub cells: HashMap<F, InputCell>,
    /// The file's preferred header of every field it has a column for, so a message about an empty cell
    /// names the column the clerk sees.
    pub headers: HashMap<F, String>,
}

impl<F: TableField + Hash> InputRow<F> {
    /// A field's text, "" when absent.
    pub fn get(&self, field: F) -> &str {
        self.cells.get(&field).map_or("", |c| c.value.as_str())
    }

    /// The column to name in a message about a field: the file's own header, else the field's label.
    pub fn column(&self, field: F) -> String {
        self.cells
            .get(&field)
            .map(|c| c.column.clone())
            .or_else(|| self.headers.get(&field).cloned())
            .unwrap_or_else(|| field.label().to_owned())
    }

    /// A problem with a field, naming its column.
    pub fn error(&self, field: F, message: impl Into<String>) -> CellError {
        CellError { column: self.column(field), message: message.into() }
    }
}

/// Takes each field's text from a row (the first non-empty candidate column). The only error is a JSONL line
/// that was not an object; every check of the values is the service's.
pub fn map_input_row<F: TableField + Hash>(
    cols: &InputColumns<F>,
    headers: &[String],
    row: &RawRow,
) -> Result<InputRow<F>, Vec<CellError>> {
    if let Some(raw) = cols.map.raw_line
        && !row.cell(raw).trim().is_empty()
    {
        return Err(vec![CellError {
            column: RAW_LINE_COLUMN.to_owned(),
            message: "这一行不是 JSON 对象，无法读取：每行应写成 {\"列名\": \"值\", …} 的形式".to_owned(),
        }]);
    }
    let mut cells = HashMap::new();
    let mut named = HashMap::new();
    for entry in F::TABLE {
        let field = entry.field;
        let candidates = cols.map.field_candidates(field);
        if let Some(header) = candidates.first().and_then(|&i| headers.get(i)) {
            named.insert(field, header.clone());
        }
        let found = candidates.iter().map(|&i| (i, row.cell(i).trim())).find(|(_, v)| !v.is_empty());
        if let Some((i, value)) = found {
            let column = headers.get(i).cloned().unwrap_or_else(|| field.label().to_owned());
            cells.insert(field, InputCell { value: value.to_owned(), column });
        }
    }
    Ok(InputRow { cells, headers: named })
}

/// The award kinds offered in the template's drop-down (the importer also reads 中国专利金奖, 国家科学技术进步奖 …).
const AWARD_CHOICES: [&str; 2] = ["中国专利奖", "国家科学技术奖"];

fn award_help(field: AwardField) -> ColumnHelp {
    let help = |required, format, meaning, example| ColumnHelp { required, format, meaning, example };
    match field {
        AwardField::ApplicationNo => help(
            true,
            "12位数字加小数点和1位校验位；可带 CN 前缀",
            "获奖专利的申请号；专利尚未导入平台时也可登记，导入后自动关联",
            EXAMPLE_APPLICATION_NO,
        ),
        AwardField::Award => help(
            true,
            "中国专利奖 或 国家科学技术奖；也可写 中国专利金奖、国家科学技术进步奖 等全称",
            "所获奖项",
            "中国专利奖",
        ),
        AwardField::Grade => help(false, "文字，如 金奖、银奖、优秀奖、一等奖、二等奖", "获奖等级", "优秀奖"),
        AwardField::Year => help(true, "四位年份，1985年至今", "获奖（授奖）年度", "2024"),
        AwardField::Note => help(false, "文字，200字以内", "届次、公告文号等说明", "第二十五届中国专利奖"),
    }
}

/// The award list template: sheet 获奖专利导入模板 (headers and one example row) and sheet 填写说明.
pub fn award_template_xlsx() -> Result<Vec<u8>, ExportError> {
    let columns: Vec<(&str, ColumnHelp)> = AWARD_ALIASES.iter().map(|e| (e.label, award_help(e.field))).collect();
    let award_col = AWARD_ALIASES.iter().position(|e| e.field == AwardField::Award);
    build(
        "获奖专利导入模板",
        &columns,
        award_col.map(|c| (c, &AWARD_CHOICES[..])),
        &[
            "第1行为列名，请勿修改；第2行为示例，导入前请删除或覆盖。",
            "每行一个奖项：同一专利同一年度同一奖项只登记一次，重复的行不导入并在报告中说明。",
            "高价值发明专利第5项条件为“获得国家科学技术奖或中国专利奖”，登记后下一次指标刷新即计入。",
            "导入后会生成“未导入的行”报告，其中“错误原因”列说明每行的问题；在报告中改正后可直接再次上传。",
        ],
    )
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

fn row_no(r: usize) -> u32 {
    u32::try_from(r).unwrap_or(u32::MAX)
}

/// The trademark statistics template: sheet 商标统计导入模板 with one row per county (name and `month`
/// filled in, the two figures to fill), and sheet 填写说明. `counties` are (code, name) in policy order.
pub fn trademark_template_xlsx(counties: &[(String, String)], month: &str) -> Result<Vec<u8>, ExportError> {
    let mut wb = Workbook::new();
    let text = Format::new().set_num_format("@");
    let header = Format::new().set_bold().set_background_color("DDEBF7").set_num_format("@").set_font_color("C00000");
    let ws = wb.add_worksheet();
    ws.set_name("商标统计导入模板")?;
    for (c, entry) in TRADEMARK_ALIASES.iter().enumerate() {
        // Text format: Excel would otherwise turn 2025-06 into a date serial.
        ws.set_column_format(col(c), &text)?;
        ws.set_column_width(col(c), (display_width(entry.label) + 4) as f64)?;
        ws.write_string_with_format(0, col(c), entry.label, &header)?;
    }
    for (r, (_, name)) in counties.iter().enumerate() {
        ws.write_string_with_format(row_no(r + 1), 0, name, &text)?;
        ws.write_string_with_format(row_no(r + 1), 1, month, &text)?;
    }
    ws.set_freeze_panes(1, 0)?;
    let names: Vec<&str> = counties.iter().map(|(_, n)| n.as_str()).collect();
    // Excel caps a list validation at 255 characters; a longer county list goes without the drop-down.
    if !names.is_empty() && names.join(",").chars().count() <= 255 {
        let validation = DataValidation::new()
            .allow_list_strings(&names)?
            .set_error_style(DataValidationErrorStyle::Warning)
            .set_error_message("不是本市的县区名称，请确认（也可填写县区代码）")?;
        ws.add_data_validation(1, 0, 10_000, 0, &validation)?;
    }

    let help = wb.add_worksheet();
    help.set_name("填写说明")?;
    let wrap = Format::new().set_text_wrap();
    let bold = Format::new().set_bold().set_background_color("DDEBF7");
    for (c, (title, w)) in [("列名", 22.0), ("是否必填", 10.0), ("格式与示例", 50.0), ("说明", 50.0)].iter().enumerate()
    {
        help.write_string_with_format(0, col(c), *title, &bold)?;
        help.set_column_width(col(c), *w)?;
    }
    let lines: [(&str, &str, &str); 4] = [
        ("县区", "县（市、区）或开发区的名称、别名或代码，如 汉滨区 或 610902", "统计数据所属的县区"),
        ("月份", "2025-06、2025年6月 或 202506", "统计截至的月份（月末数）"),
        ("有效商标持有量", "0或正整数，可带千位分隔符，如 8,650", "该县区市场主体持有的有效注册商标件数"),
        ("地理标志用标市场主体", "0或正整数", "获准使用地理标志专用标志的市场主体数"),
    ];
    for (i, (name, format, meaning)) in lines.iter().enumerate() {
        let r = row_no(i + 1);
        help.write_string(r, 0, *name)?;
        help.write_string(r, 1, "必填")?;
        help.write_string_with_format(r, 2, *format, &wrap)?;
        help.write_string_with_format(r, 3, *meaning, &wrap)?;
    }
    let mut r = row_no(lines.len() + 2);
    help.write_string_with_format(r, 0, "注意", &bold)?;
    for note in [
        "第1行为列名，请勿修改；已按本市县区列出各行，填写两个数字即可，没有的县区可删除该行。",
        "同一县区同一月份再次导入时，以新数据覆盖原数据；同一文件中重复的县区和月份只导入第一行。",
        "全市合计为各县区之和，无需单独填写。",
        "导入后会生成“未导入的行”报告，其中“错误原因”列说明每行的问题；在报告中改正后可直接再次上传。",
        "本市县区及代码：",
    ] {
        r += 1;
        help.write_string(r, 0, note)?;
    }
    for (code, name) in counties {
        r += 1;
        help.write_string(r, 0, format!("  {name}：{code}"))?;
    }
    help.set_freeze_panes(1, 0)?;
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::normalise_header;
    use crate::read::{Format as FileFormat, read_table};

    fn unique<F: TableField + std::fmt::Debug + Hash>() {
        let mut owner: HashMap<String, F> = HashMap::new();
        for e in F::TABLE {
            assert!(e.aliases.iter().any(|a| normalise_header(a) == normalise_header(e.label)), "{:?}", e.field);
            for a in e.aliases {
                assert!(owner.insert(normalise_header(a), e.field).is_none(), "alias {a} used twice");
            }
        }
    }

    #[test]
    fn alias_tables_are_unambiguous() {
        unique::<AwardField>();
        unique::<TrademarkField>();
    }

    #[test]
    fn the_award_template_maps_back_to_every_field() {
        let bytes = award_template_xlsx().unwrap();
        let table = read_table("模板.xlsx", &bytes, Some(FileFormat::Xlsx)).unwrap();
        let cols = InputColumns::from_headers(&table.headers, &AwardField::REQUIRED).unwrap();
        let row = map_input_row(&cols, &table.headers, &table.rows[0]).unwrap();
        for e in AWARD_ALIASES {
            assert!(!row.get(e.field).is_empty(), "{:?} has no example", e.field);
        }
        assert_eq!(row.get(AwardField::ApplicationNo), EXAMPLE_APPLICATION_NO);
        assert_eq!(row.column(AwardField::Year), "年度");
    }

    #[test]
    fn the_trademark_template_lists_the_counties() {
        let counties = vec![("610902".to_owned(), "汉滨区".to_owned()), ("610921".to_owned(), "汉阴县".to_owned())];
        let bytes = trademark_template_xlsx(&counties, "2025-06").unwrap();
        let table = read_table("模板.xlsx", &bytes, Some(FileFormat::Xlsx)).unwrap();
        let cols = InputColumns::from_headers(&table.headers, &TrademarkField::REQUIRED).unwrap();
        assert_eq!(table.rows.len(), 2);
        let row = map_input_row(&cols, &table.headers, &table.rows[1]).unwrap();
        assert_eq!((row.get(TrademarkField::County), row.get(TrademarkField::Month)), ("汉阴县", "2025-06"));
        assert_eq!(row.get(TrademarkField::ValidTrademarks), "");
        assert_eq!(row.error(TrademarkField::GiUsers, "请填写").to_string(), "【地理标志用标市场主体】请填写");
    }

    #[test]
    fn published_headers_map_and_a_missing_column_is_named() {
        let headers: Vec<String> =
            ["专利号", "专利名称", "获奖等级", "奖项名称", "获奖年度", "错误原因"].map(String::from).to_vec();
        let cols = InputColumns::from_headers(&headers, &AwardField::REQUIRED).unwrap();
        let row = RawRow {
            number: 2,
            cells: ["ZL202310123456.6", "一种富硒茶", "金奖", "中国专利金奖", "2024", "原第2行：…"]
                .map(String::from)
                .to_vec(),
        };
        let r = map_input_row(&cols, &headers, &row).unwrap();
        assert_eq!(r.get(AwardField::Award), "中国专利金奖");
        assert_eq!(r.column(AwardField::Grade), "获奖等级");
        assert_eq!(r.get(AwardField::Note), "");
        assert_eq!(r.column(AwardField::Note), "备注", "no such column: the field's label");
        let empty = RawRow { number: 3, cells: vec![String::new(); 6] };
        let r = map_input_row(&cols, &headers, &empty).unwrap();
        assert_eq!(r.error(AwardField::Year, "请填写").to_string(), "【获奖年度】请填写");
        let err =
            InputColumns::<AwardField>::from_headers(&["申请号".to_owned(), "奖项".to_owned()], &AwardField::REQUIRED)
                .unwrap_err();
        assert!(err.to_string().contains("“年度”"), "{err}");
        let err =
            InputColumns::<TrademarkField>::from_headers(&["月份".to_owned()], &TrademarkField::REQUIRED).unwrap_err();
        assert!(err.to_string().contains("县区"), "{err}");
        let headers: Vec<String> =
            ["县（市、区）", "统计月份", "有效注册商标", "用标市场主体"].map(String::from).to_vec();
        assert!(InputColumns::from_headers(&headers, &TrademarkField::REQUIRED).is_ok());
    }
}
