//! The platform's own import templates: a sheet with the headers and one example row, and a sheet 填写说明
//! explaining every column. The headers are the fields' labels from [`crate::columns`], so a filled template
//! always maps.

use rust_xlsxwriter::{DataValidation, DataValidationErrorStyle, Format, Workbook, Worksheet, XlsxError};

use crate::columns::{OrgField, PatentField, TableField};
use crate::export::{ExportError, display_width};

/// How one template column is filled: required or not, format with an example, and meaning.
pub(crate) struct ColumnHelp {
    pub(crate) required: bool,
    pub(crate) format: &'static str,
    pub(crate) meaning: &'static str,
    pub(crate) example: &'static str,
}

/// Template column order: identification first, then what a clerk usually has, then the rarer data.
const PATENT_ORDER: [PatentField; 33] = [
    PatentField::ApplicationNo,
    PatentField::Title,
    PatentField::PatentType,
    PatentField::FilingDate,
    PatentField::PublicationNo,
    PatentField::PublicationDate,
    PatentField::GrantNo,
    PatentField::GrantDate,
    PatentField::Applicants,
    PatentField::ApplicantAddress,
    PatentField::Inventors,
    PatentField::LegalStatus,
    PatentField::MainIpc,
    PatentField::IpcCodes,
    PatentField::Abstract,
    PatentField::FirstClaim,
    PatentField::Claims,
    PatentField::Agency,
    PatentField::Agents,
    PatentField::ProvinceCode,
    PatentField::CpcCodes,
    PatentField::Priorities,
    PatentField::Family,
    PatentField::CitationCount,
    PatentField::CitedByCount,
    PatentField::TransferCount,
    PatentField::TransferDate,
    PatentField::LicenseCount,
    PatentField::LicenseDate,
    PatentField::PledgeCount,
    PatentField::PledgeAmount,
    PatentField::PledgeDate,
    PatentField::LapseDate,
];

/// The example application number: 2023, invention (type digit 1), serial 0123456, check digit 6.
pub(crate) const EXAMPLE_APPLICATION_NO: &str = "202310123456.6";

const DATE_FORMAT: &str = "日期，写成 2023-02-01 或 20230201；没有可留空或填 0";
const LIST_FORMAT: &str = "多个时用分号“;”分隔";
const COUNT_FORMAT: &str = "0或正整数；留空按0计";

fn patent_help(field: PatentField) -> ColumnHelp {
    let help = |required, format, meaning, example| ColumnHelp { required, format, meaning, example };
    match field {
        PatentField::ApplicationNo => help(
            true,
            "12位数字加小数点和1位校验位（校验位可为 X）；可带 CN 前缀；2003年10月前的旧号为8位数字加校验位",
            "国家知识产权局受理时给出的申请号，平台以它识别专利：同一申请号再次导入时更新原记录",
            EXAMPLE_APPLICATION_NO,
        ),
        PatentField::Title => help(true, "文字", "专利名称（发明名称）", "一种富硒茶叶的加工方法"),
        PatentField::PatentType => help(
            false,
            "发明、实用新型 或 外观设计；留空时按申请号第5位判断",
            "专利类型，须与申请号的类型位一致",
            "发明",
        ),
        PatentField::FilingDate => help(false, DATE_FORMAT, "申请日", "2023-02-01"),
        PatentField::PublicationNo => help(false, "CN 加数字加文献种类代码", "申请公布号（公开号）", "CN116123456A"),
        PatentField::PublicationDate => help(false, DATE_FORMAT, "公开日（公布日）", "2023-05-12"),
        PatentField::GrantNo => help(false, "CN 加数字加文献种类代码；未授权留空", "授权公告号", ""),
        PatentField::GrantDate => help(false, DATE_FORMAT, "授权公告日；未授权留空", ""),
        PatentField::Applicants => help(
            false,
            LIST_FORMAT,
            "申请人或现专利权人，按顺序填写；权利转移后填写当前权利人",
            "安康学院;安康市某某茶业有限公司",
        ),
        PatentField::ApplicantAddress => help(false, "文字", "第一申请人的地址", "陕西省安康市汉滨区育才路92号"),
        PatentField::Inventors => help(false, LIST_FORMAT, "发明人（设计人），按顺序填写", "张三;李四"),
        PatentField::LegalStatus => help(
            false,
            "国家知识产权局的写法，如 有权-审定授权、审中-实质审查、无权-未缴年费终止",
            "当前法律状态",
            "审中-实质审查",
        ),
        PatentField::MainIpc => help(false, "部、大类、小类加大组/小组，如 A23F3/06", "IPC 主分类号", "A23F3/06"),
        PatentField::IpcCodes => help(
            false,
            "IPC 分类号，多个时用分号“;”分隔",
            "全部 IPC 分类号（含主分类号）；未填主分类号时第一个即为主分类号",
            "A23F3/06;A23F3/14",
        ),
        PatentField::Abstract => help(false, "文字", "摘要", "本发明公开了一种富硒茶叶的加工方法，……"),
        PatentField::FirstClaim => {
            help(false, "文字", "主权项（权利要求1）", "1.一种富硒茶叶的加工方法，其特征在于，……")
        }
        PatentField::Claims => help(false, "文字，每项权利要求可各占一行", "权利要求书全文", ""),
        PatentField::Agency => help(false, "文字", "专利代理机构名称", ""),
        PatentField::Agents => help(false, LIST_FORMAT, "专利代理人", ""),
        PatentField::ProvinceCode => {
            help(false, "省名加代码，如 陕西(61)；或两位代码 61", "第一申请人所在省份", "陕西(61)")
        }
        PatentField::CpcCodes => help(false, LIST_FORMAT, "CPC 分类号", ""),
        PatentField::Priorities => help(false, LIST_FORMAT, "优先权（号码和日期）", ""),
        PatentField::Family => {
            help(false, "同族专利的公开号，多个时用分号“;”分隔", "同族专利；有 CN 以外的公开号即视为有海外同族", "")
        }
        PatentField::CitationCount => help(false, "0或正整数", "本专利引用的文献数（引证数）", ""),
        PatentField::CitedByCount => help(false, "0或正整数", "本专利被引用的次数（被引证数）", ""),
        PatentField::TransferCount => help(false, COUNT_FORMAT, "专利权转移（转让）次数", "0"),
        PatentField::TransferDate => help(false, DATE_FORMAT, "最近一次转让日期", ""),
        PatentField::LicenseCount => help(false, COUNT_FORMAT, "许可备案次数", "0"),
        PatentField::LicenseDate => help(false, DATE_FORMAT, "最近一次许可日期", ""),
        PatentField::PledgeCount => help(false, COUNT_FORMAT, "质押登记次数", "0"),
        PatentField::PledgeAmount => help(
            false,
            "金额（元），如 12000000 或 1,200万元",
            "质押融资金额（多次质押时填最高一笔）；达到政策门槛即满足高价值发明专利条件",
            "",
        ),
        PatentField::PledgeDate => help(false, DATE_FORMAT, "最近一次质押日期", ""),
        PatentField::LapseDate => help(false, DATE_FORMAT, "专利权失效日期", ""),
    }
}

const ORG_ORDER: [OrgField; 7] = [
    OrgField::Name,
    OrgField::Kind,
    OrgField::InstitutionKind,
    OrgField::CreditCode,
    OrgField::County,
    OrgField::ContactName,
    OrgField::Address,
];

/// A valid example credit code (check character computed per GB 32100).
pub(crate) const EXAMPLE_CREDIT_CODE: &str = "91610900MA70K3L2DH";

/// The kinds offered in the template's drop-down (other spellings are accepted too).
const ORG_KIND_CHOICES: [&str; 9] =
    ["企业", "高校", "科研院所", "医院", "银行", "保险", "知识产权服务机构", "县区", "市级部门"];

fn org_help(field: OrgField) -> ColumnHelp {
    let help = |required, format, meaning, example| ColumnHelp { required, format, meaning, example };
    match field {
        OrgField::Name => help(true, "文字", "单位全称，与营业执照或法人证书一致", "安康市某某茶业有限公司"),
        OrgField::Kind => help(
            true,
            "企业、高校、科研院所、医院、银行、保险、知识产权服务机构、县区、市级部门 之一",
            "单位在平台上的身份",
            "企业",
        ),
        OrgField::InstitutionKind => {
            help(false, "高校、科研机构 或 医院；单位类型已写明高校、科研院所或医院时可留空", "仅高校院所医院填写", "")
        }
        OrgField::CreditCode => help(
            false,
            "18位数字和大写字母；企业必填",
            "统一社会信用代码，见营业执照；平台以它识别企业",
            EXAMPLE_CREDIT_CODE,
        ),
        OrgField::County => help(false, "县（市、区）名称或代码；企业和县区必填", "单位所在县（市、区）", "汉滨区"),
        OrgField::ContactName => help(false, "姓名", "联系人", "王五"),
        OrgField::Address => help(false, "文字", "通讯地址", "陕西省安康市汉滨区某某路1号"),
    }
}

/// The patent import template: sheet 专利导入模板 (headers and one example row) and sheet 填写说明.
pub fn patent_template_xlsx() -> Result<Vec<u8>, ExportError> {
    let columns: Vec<(&str, ColumnHelp)> = PATENT_ORDER.iter().map(|&f| (f.label(), patent_help(f))).collect();
    let type_col = PATENT_ORDER.iter().position(|&f| f == PatentField::PatentType);
    build(
        "专利导入模板",
        &columns,
        type_col.map(|c| (c, &["发明", "实用新型", "外观设计"][..])),
        &[
            "第1行为列名，请勿修改；第2行为示例，导入前请删除或覆盖。",
            "所有列都按文本格式设置，申请号、日期等不会被 Excel 改写；从其他表格粘贴时请选择“只粘贴文本”。",
            "也可以直接上传国家知识产权局或 incoPat、智慧芽等数据库导出的 Excel、CSV 文件，平台自动识别常见列名。",
            "导入后会生成“未导入的行”报告，其中“错误原因”列说明每行的问题；在报告中改正后可直接再次上传。",
        ],
    )
}

/// The organisation import template: sheet 单位导入模板 and sheet 填写说明.
pub fn org_template_xlsx() -> Result<Vec<u8>, ExportError> {
    let columns: Vec<(&str, ColumnHelp)> = ORG_ORDER.iter().map(|&f| (f.label(), org_help(f))).collect();
    let kind_col = ORG_ORDER.iter().position(|&f| f == OrgField::Kind);
    build(
        "单位导入模板",
        &columns,
        kind_col.map(|c| (c, &ORG_KIND_CHOICES[..])),
        &[
            "第1行为列名，请勿修改；第2行为示例，导入前请删除或覆盖。",
            "同一统一社会信用代码（或同一单位名称）再次导入时更新原记录。",
            "导入后会生成“未导入的行”报告，其中“错误原因”列说明每行的问题；在报告中改正后可直接再次上传。",
        ],
    )
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

fn width(chars: usize, max: usize) -> f64 {
    // Small counts, exact in f64.
    (chars.min(max) + 2) as f64
}

/// Writes a template workbook: the data sheet with text-formatted columns, and the help sheet.
pub(crate) fn build(
    sheet: &str,
    columns: &[(&str, ColumnHelp)],
    choices: Option<(usize, &[&str])>,
    notes: &[&str],
) -> Result<Vec<u8>, ExportError> {
    let mut wb = Workbook::new();
    let text = Format::new().set_num_format("@");
    let header = Format::new().set_bold().set_background_color("DDEBF7").set_num_format("@");
    let required = header.clone().set_font_color("C00000");
    let ws = wb.add_worksheet();
    ws.set_name(sheet)?;
    for (c, (name, help)) in columns.iter().enumerate() {
        // Text format on the whole column: Excel would otherwise turn 202310123456.6 into a number and
        // 2023-02-01 into a date serial.
        ws.set_column_format(col(c), &text)?;
        ws.set_column_width(col(c), width(display_width(name).max(display_width(help.example)), 40))?;
        ws.write_string_with_format(0, col(c), *name, if help.required { &required } else { &header })?;
        if !help.example.is_empty() {
            ws.write_string_with_format(1, col(c), help.example, &text)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    if let Some((c, list)) = choices {
        add_choices(ws, col(c), list)?;
    }

    let help_sheet = wb.add_worksheet();
    help_sheet.set_name("填写说明")?;
    let wrap = Format::new().set_text_wrap();
    let bold = Format::new().set_bold().set_background_color("DDEBF7");
    for (c, (title, w)) in [("列名", 18.0), ("是否必填", 10.0), ("格式与示例", 50.0), ("说明", 50.0)].iter().enumerate()
    {
        help_sheet.write_string_with_format(0, col(c), *title, &bold)?;
        help_sheet.set_column_width(col(c), *w)?;
    }
    let mut row = 1u32;
    for (name, help) in columns {
        let format = if help.example.is_empty() {
            help.format.to_owned()
        } else {
            format!("{}。示例：{}", help.format, help.example)
        };
        help_sheet.write_string(row, 0, *name)?;
        help_sheet.write_string(row, 1, if help.required { "必填" } else { "选填" })?;
        help_sheet.write_string_with_format(row, 2, &format, &wrap)?;
        help_sheet.write_string_with_format(row, 3, help.meaning, &wrap)?;
        row += 1;
    }
    row += 1;
    help_sheet.write_string_with_format(row, 0, "注意", &bold)?;
    for note in notes {
        row += 1;
        help_sheet.write_string(row, 0, *note)?;
    }
    help_sheet.set_freeze_panes(1, 0)?;
    Ok(wb.save_to_buffer()?)
}

/// A drop-down of the usual values; other spellings stay allowed (warning only), since the importer accepts
/// them.
fn add_choices(ws: &mut Worksheet, c: u16, list: &[&str]) -> Result<(), XlsxError> {
    let validation = DataValidation::new()
        .allow_list_strings(list)?
        .set_error_style(DataValidationErrorStyle::Warning)
        .set_error_message("不是常用写法，请确认平台能否识别（见“填写说明”）")?;
    ws.add_data_validation(1, c, 10_000, c, &validation)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use calamine::{Reader, Xlsx};
    use ipbridge_domain::CreditCode;
    use ipbridge_domain::patent::ApplicationNo;

    use super::*;

    fn sheets(bytes: Vec<u8>) -> Vec<(String, Vec<Vec<String>>)> {
        let mut wb = Xlsx::new(Cursor::new(bytes)).unwrap();
        wb.worksheets()
            .into_iter()
            .map(|(name, range)| (name, range.rows().map(|r| r.iter().map(ToString::to_string).collect()).collect()))
            .collect()
    }

    #[test]
    fn examples_are_valid_identifiers() {
        let no = ApplicationNo::parse(EXAMPLE_APPLICATION_NO).unwrap();
        assert_eq!(no.patent_type(), ipbridge_domain::patent::PatentType::Invention);
        assert!(CreditCode::parse(EXAMPLE_CREDIT_CODE).is_ok());
    }

    #[test]
    fn every_field_appears_once_in_the_template_order() {
        let mut fields: Vec<PatentField> = PATENT_ORDER.to_vec();
        fields.sort_unstable();
        fields.dedup();
        assert_eq!(fields.len(), PatentField::all().count());
        let mut orgs: Vec<OrgField> = ORG_ORDER.to_vec();
        orgs.sort_unstable();
        orgs.dedup();
        assert_eq!(orgs.len(), OrgField::all().count());
    }

    #[test]
    fn help_sheet_explains_every_column() {
        for (bytes, data_sheet, columns) in [
            (patent_template_xlsx().unwrap(), "专利导入模板", PATENT_ORDER.len()),
            (org_template_xlsx().unwrap(), "单位导入模板", ORG_ORDER.len()),
        ] {
            let sheets = sheets(bytes);
            assert_eq!(sheets.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), [data_sheet, "填写说明"]);
            let data = &sheets[0].1;
            let help = &sheets[1].1;
            assert_eq!(help[0], ["列名", "是否必填", "格式与示例", "说明"]);
            for (c, header) in data[0].iter().enumerate() {
                let line = &help[c + 1];
                assert_eq!(&line[0], header);
                assert!(line[1] == "必填" || line[1] == "选填");
                assert!(!line[2].is_empty() && !line[3].is_empty());
            }
            assert_eq!(data[0].len(), columns);
        }
    }
}
