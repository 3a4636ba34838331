//! Mapping of raw rows to records: one patent (or organisation) per row, or every reason the row cannot be
//! one. Runs on untrusted cells: nothing here panics, whatever the text.

use std::collections::BTreeMap;
use std::fmt;

use ipbridge_domain::credit_code::fold_full_width;
use ipbridge_domain::org::{InstitutionKind, OrgKind};
use ipbridge_domain::patent::{
    Applicant, ApplicationNo, IpcCode, LegalStatus, PatentRecord, PatentType, parse_date, province_code_from,
    split_multi,
};
use ipbridge_domain::{CreditCode, Money};

use crate::columns::{OrgColumns, OrgField, PatentColumns, PatentField, TableField};
use crate::read::{RAW_LINE_COLUMN, RawRow};

/// One problem with one cell, shown to the clerk as `【列名】问题`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    /// The column as the source file names it (or the field's Chinese name when the file has no such column).
    pub column: String,
    /// What is wrong and what is expected, in Chinese.
    pub message: String,
}

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "【{}】{}", self.column, self.message)
    }
}

/// The most characters of a value quoted back in a message: a pasted paragraph would drown the reason.
const QUOTE_CHARS: usize = 40;

/// A value as quoted in a message: shortened with "…" when long.
fn quote(value: &str) -> String {
    let value = value.trim();
    if value.chars().count() <= QUOTE_CHARS {
        value.to_owned()
    } else {
        let mut short: String = value.chars().take(QUOTE_CHARS).collect();
        short.push('…');
        short
    }
}

/// Text as stored: trimmed, every run of whitespace (line breaks, tabs, ideographic spaces) one space.
fn collapse(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Multi-paragraph text (claims): like [`collapse`] within a line, but line breaks between non-empty lines
/// are kept as one `\n`, because claims are numbered one per line.
fn collapse_paragraphs(value: &str) -> String {
    value.lines().map(collapse).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n")
}

/// An identifier (publication number, family member): full-width folded, whitespace removed, upper case.
/// Identifiers are ASCII by nature; the folding undoes a Chinese input method, it does not touch prose.
fn identifier(value: &str) -> String {
    value.chars().map(fold_full_width).filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect()
}

/// A code written with meaningful spaces (CPC `G06F 16/33`, priority `CN2021… 2021-01-01`): full-width
/// folded, whitespace collapsed.
fn folded_code(value: &str) -> String {
    collapse(&value.chars().map(fold_full_width).collect::<String>())
}

/// `Some(text)` unless empty.
fn non_empty(value: String) -> Option<String> {
    if value.is_empty() { None } else { Some(value) }
}

/// A count cell: "" → `None`; non-negative integers, also written `3.0` (numbers exported from Excel);
/// anything else is an error message.
fn parse_count(value: &str) -> Result<Option<u32>, String> {
    let folded: String = value.chars().map(fold_full_width).filter(|c| !c.is_whitespace()).collect();
    if folded.is_empty() {
        return Ok(None);
    }
    let (whole, fraction) = folded.split_once('.').unwrap_or((folded.as_str(), ""));
    let shaped = !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()) && fraction.bytes().all(|b| b == b'0');
    if !shaped {
        return Err(format!("“{}”不是有效的次数：应填写0或正整数，如 0、3", quote(value)));
    }
    whole.parse::<u32>().map(Some).map_err(|_| format!("“{}”太大，不是合理的次数", quote(value)))
}

/// An amount written in 万元 (`1,200`, `1234.5678`). One 万元 is 1,000,000 fen, so up to six decimals are
/// still whole fen: registers give amounts such as 1234.5678 万元, which yuan parsing (two decimals) refuses.
fn wan_to_money(number: &str) -> Option<Money> {
    const FEN_PER_WAN: i64 = 1_000_000;
    // Negative amounts are refused by the caller; "-0.5" must not lose its sign to the whole part "-0".
    if number.starts_with('-') {
        return None;
    }
    let (whole, fraction) = match number.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (number, None),
    };
    // Whole 万元 read as yuan: digits and thousands separators checked, ×100 fen.
    let whole_fen = Money::parse_yuan(whole).ok()?.fen().checked_mul(FEN_PER_WAN / 100)?;
    let fraction_fen = match fraction {
        None => 0,
        Some(f) if !f.is_empty() && f.len() <= 6 && f.bytes().all(|b| b.is_ascii_digit()) => {
            let digits = u32::try_from(f.len()).ok()?;
            f.parse::<i64>().ok()? * 10_i64.pow(6 - digits)
        }
        Some(_) => return None,
    };
    whole_fen.checked_add(fraction_fen).map(Money::from_fen)
}

/// A pledge amount cell in yuan: "" → `None`; `12000000`, `12,000,000.00元`, and `1200万元` / `1200万` /
/// `1234.5678万元`.
fn parse_pledge_amount(value: &str) -> Result<Option<Money>, String> {
    let folded: String = value.chars().map(fold_full_width).filter(|c| !c.is_whitespace()).collect();
    if folded.is_empty() {
        return Ok(None);
    }
    let bad = || format!("“{}”不是有效的质押金额：应填写元金额，如 12000000、1,200万元", quote(value));
    let wan = folded.strip_suffix("万元").or_else(|| folded.strip_suffix('万'));
    let amount = match wan {
        Some(number) => wan_to_money(number).ok_or_else(bad)?,
        None => Money::parse_yuan(&folded).map_err(|_| bad())?,
    };
    if amount.fen() < 0 {
        return Err(bad());
    }
    Ok(Some(amount))
}

/// Reads the cells of one row, remembering which columns were used so the rest can go to `extra`.
struct Cells<'a> {
    headers: &'a [String],
    row: &'a RawRow,
    used: Vec<bool>,
    errors: Vec<CellError>,
}

impl<'a> Cells<'a> {
    fn new(headers: &'a [String], row: &'a RawRow) -> Self {
        let width = headers.len().max(row.cells.len());
        Cells { headers, row, used: vec![false; width], errors: Vec::new() }
    }

    fn name(&self, index: usize) -> &str {
        self.headers.get(index).map(String::as_str).unwrap_or("")
    }

    /// The first non-empty cell among `candidates` (preferred first), with its column. Candidates holding
    /// the same value count as used too; a different value stays for `extra`.
    fn take(&mut self, candidates: &[usize]) -> Option<(usize, &'a str)> {
        let row = self.row;
        let (chosen, value) = candidates.iter().map(|&i| (i, row.cell(i))).find(|(_, v)| !v.trim().is_empty())?;
        let norm = collapse(value);
        for &i in candidates {
            if i == chosen || collapse(row.cell(i)) == norm {
                self.mark(i, true);
            }
        }
        Some((chosen, value))
    }

    fn mark(&mut self, index: usize, used: bool) {
        if let Some(u) = self.used.get_mut(index) {
            *u = used;
        }
    }

    /// The column name to put in an error about a field: the column used, else the preferred one, else the
    /// field's label (the file has no such column).
    fn column_for<F: TableField>(&self, field: F, candidates: &[usize], used: Option<usize>) -> String {
        match used.or_else(|| candidates.first().copied()) {
            Some(i) if !self.name(i).is_empty() => self.name(i).to_owned(),
            _ => field.label().to_owned(),
        }
    }

    fn error(&mut self, column: String, message: String) {
        self.errors.push(CellError { column, message });
    }

    /// Orders the errors left to right as the columns stand in the file (a missing column's error last), so
    /// the reason reads in the order the clerk scans the row.
    fn sort_errors(&mut self) {
        let headers = self.headers;
        self.errors.sort_by_key(|e| headers.iter().position(|h| *h == e.column).unwrap_or(usize::MAX));
    }

    /// Non-empty, unused cells of columns that are not ignored, by column name.
    fn leftovers(&self, candidates: impl Iterator<Item = usize>) -> BTreeMap<String, String> {
        let mut extra = BTreeMap::new();
        for i in candidates {
            if self.used.get(i).copied().unwrap_or(true) {
                continue;
            }
            let value = self.row.cell(i).trim();
            if !value.is_empty() && !self.name(i).is_empty() {
                extra.insert(self.name(i).to_owned(), value.to_owned());
            }
        }
        extra
    }
}

/// The single error of a row that is a JSONL line which was not an object.
fn raw_line_error(raw_line: Option<usize>, row: &RawRow) -> Option<Vec<CellError>> {
    let line = row.cell(raw_line?);
    if line.trim().is_empty() {
        return None;
    }
    Some(vec![CellError {
        column: RAW_LINE_COLUMN.to_owned(),
        message: format!(
            "这一行不是 JSON 对象，无法读取（“{}”）：每行应写成 {{\"申请号\": \"…\", \"专利名称\": \"…\"}} 的形式，或在本表中把各项填入对应列并清空本列",
            quote(line)
        ),
    }])
}

/// Maps one row of a patent file to a record, or returns every problem the row has (not just the first).
pub fn map_patent_row(cols: &PatentColumns, headers: &[String], row: &RawRow) -> Result<PatentRecord, Vec<CellError>> {
    if let Some(errors) = raw_line_error(cols.raw_line(), row) {
        return Err(errors);
    }
    let mut cells = Cells::new(headers, row);
    for i in cols.ignored() {
        cells.mark(i, true);
    }
    let mut extra_override: Vec<usize> = Vec::new();

    // Takes a field's value: (column used, trimmed text), "" when absent.
    macro_rules! take {
        ($field:expr) => {{
            let candidates = cols.candidates($field);
            match cells.take(candidates) {
                Some((i, v)) => (Some(i), v.trim()),
                None => (None, ""),
            }
        }};
    }
    macro_rules! column {
        ($field:expr, $used:expr) => {
            cells.column_for($field, cols.candidates($field), $used)
        };
    }

    // 申请号
    let (app_col, app_text) = take!(PatentField::ApplicationNo);
    let application_no = match ApplicationNo::parse(app_text) {
        Ok(no) => Some(no),
        Err(e) => {
            let column = column!(PatentField::ApplicationNo, app_col);
            cells.error(column, e.to_string());
            None
        }
    };

    // 专利类型: the type column when given, checked against the number's type digit.
    let (type_col, type_text) = take!(PatentField::PatentType);
    let declared_type = if type_text.is_empty() {
        None
    } else {
        match PatentType::from_label(type_text) {
            Some(t) => Some(t),
            None => {
                let column = column!(PatentField::PatentType, type_col);
                cells.error(column, format!("无法识别专利类型“{}”：应为 发明、实用新型 或 外观设计", quote(type_text)));
                None
            }
        }
    };
    let patent_type = match (&application_no, declared_type) {
        (Some(no), Some(declared)) if no.patent_type() != declared => {
            let column = column!(PatentField::PatentType, type_col);
            let app_column = column!(PatentField::ApplicationNo, app_col);
            cells.error(
                column,
                format!(
                    "专利类型“{}”与【{}】“{}”不一致：该申请号的类型位表示{}。请核对申请号或专利类型",
                    quote(type_text),
                    app_column,
                    no.as_str(),
                    no.patent_type().label()
                ),
            );
            None
        }
        (Some(no), declared) => Some(declared.unwrap_or_else(|| no.patent_type())),
        (None, declared) => declared,
    };

    // 专利名称
    let (title_col, title_text) = take!(PatentField::Title);
    let title = collapse(title_text);
    if title.is_empty() {
        let column = column!(PatentField::Title, title_col);
        cells.error(column, "专利名称为空：每行都必须填写专利名称".to_owned());
    }

    // Dates.
    let date = |cells: &mut Cells<'_>, field: PatentField| {
        let candidates = cols.candidates(field);
        let (col, text) = match cells.take(candidates) {
            Some((i, v)) => (Some(i), v),
            None => (None, ""),
        };
        match parse_date(text) {
            Ok(d) => d,
            Err(e) => {
                let column = cells.column_for(field, candidates, col);
                cells.error(column, e.to_string());
                None
            }
        }
    };
    let filing_date = date(&mut cells, PatentField::FilingDate);
    let publication_date = date(&mut cells, PatentField::PublicationDate);
    let grant_date = date(&mut cells, PatentField::GrantDate);
    let transfer_date = date(&mut cells, PatentField::TransferDate);
    let license_date = date(&mut cells, PatentField::LicenseDate);
    let pledge_date = date(&mut cells, PatentField::PledgeDate);
    let lapse_date = date(&mut cells, PatentField::LapseDate);

    // Counts.
    let count = |cells: &mut Cells<'_>, field: PatentField| {
        let candidates = cols.candidates(field);
        let (col, text) = match cells.take(candidates) {
            Some((i, v)) => (Some(i), v),
            None => (None, ""),
        };
        match parse_count(text) {
            Ok(n) => n,
            Err(message) => {
                let column = cells.column_for(field, candidates, col);
                cells.error(column, message);
                None
            }
        }
    };
    let citation_count = count(&mut cells, PatentField::CitationCount);
    let cited_by_count = count(&mut cells, PatentField::CitedByCount);
    let transfer_count = count(&mut cells, PatentField::TransferCount).unwrap_or(0);
    let license_count = count(&mut cells, PatentField::LicenseCount).unwrap_or(0);
    let pledge_count = count(&mut cells, PatentField::PledgeCount).unwrap_or(0);
    let (pledge_amount_col, pledge_amount_text) = take!(PatentField::PledgeAmount);
    let pledge_amount = match parse_pledge_amount(pledge_amount_text) {
        Ok(amount) => amount,
        Err(message) => {
            let column = column!(PatentField::PledgeAmount, pledge_amount_col);
            cells.error(column, message);
            None
        }
    };

    // People and organisations. The address column describes the first applicant only.
    let (_, applicants_text) = take!(PatentField::Applicants);
    let (address_col, address_text) = take!(PatentField::ApplicantAddress);
    let mut address = non_empty(collapse(address_text));
    let applicants: Vec<Applicant> = split_multi(applicants_text)
        .iter()
        .map(|name| collapse(name))
        .filter(|name| !name.is_empty())
        .map(|name| Applicant { name, address: address.take() })
        .collect();
    if address.is_some() {
        // No applicant to attach it to: the address stays in `extra` rather than being dropped.
        extra_override.extend(address_col);
    }
    let list = |text: &str, clean: fn(&str) -> String| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for item in split_multi(text) {
            let item = clean(&item);
            if !item.is_empty() && !out.contains(&item) {
                out.push(item);
            }
        }
        out
    };
    let (_, inventors_text) = take!(PatentField::Inventors);
    let inventors = list(inventors_text, collapse);
    let (_, agency_text) = take!(PatentField::Agency);
    let agency = non_empty(collapse(agency_text));
    let (_, agents_text) = take!(PatentField::Agents);
    let agents = list(agents_text, collapse);

    // Classification.
    let (main_col, main_text) = take!(PatentField::MainIpc);
    let mut main_ipc = None;
    if !main_text.is_empty() {
        match IpcCode::parse(main_text) {
            Ok(code) => main_ipc = Some(code),
            Err(e) => {
                let column = column!(PatentField::MainIpc, main_col);
                cells.error(column, e.to_string());
            }
        }
    }
    let (ipc_col, ipc_text) = take!(PatentField::IpcCodes);
    let mut ipc_codes: Vec<IpcCode> = main_ipc.iter().cloned().collect();
    let mut bad_ipc: Vec<String> = Vec::new();
    for item in split_multi(ipc_text) {
        match IpcCode::parse(&item) {
            Ok(code) => {
                if !ipc_codes.contains(&code) {
                    ipc_codes.push(code);
                }
            }
            Err(e) => bad_ipc.push(e.to_string()),
        }
    }
    if !bad_ipc.is_empty() {
        let column = column!(PatentField::IpcCodes, ipc_col);
        cells.error(column, bad_ipc.join("；"));
    }
    // CNIPA lists the main class first; without a main-class column that first code is the main one.
    if main_ipc.is_none() && main_text.is_empty() {
        main_ipc = ipc_codes.first().cloned();
    }
    let (_, cpc_text) = take!(PatentField::CpcCodes);
    let cpc_codes = list(cpc_text, folded_code);
    let (_, priorities_text) = take!(PatentField::Priorities);
    let priorities = list(priorities_text, folded_code);
    let (_, family_text) = take!(PatentField::Family);
    let family = list(family_text, identifier);
    let has_foreign_family = family.iter().any(|member| is_foreign_publication(member));

    // Numbers.
    let (_, publication_text) = take!(PatentField::PublicationNo);
    let publication_no = non_empty(identifier(publication_text));
    let (_, grant_text) = take!(PatentField::GrantNo);
    let grant_no = non_empty(identifier(grant_text));

    // Texts.
    let (_, abstract_text) = take!(PatentField::Abstract);
    let (_, first_claim_text) = take!(PatentField::FirstClaim);
    let (_, claims_text) = take!(PatentField::Claims);

    // Status and place.
    let (_, status_text) = take!(PatentField::LegalStatus);
    let legal_status_raw = collapse(status_text);
    let legal_status = LegalStatus::from_cnipa(&legal_status_raw);
    let (province_col, province_text) = take!(PatentField::ProvinceCode);
    let province_code = province_code_from(province_text);
    if province_code.is_none() {
        // 美国(US), a misspelt province: not an error, but the text is kept in `extra`.
        if let Some(i) = province_col {
            extra_override.push(i);
        }
    }

    for i in extra_override {
        cells.mark(i, false);
    }
    let extra = cells.leftovers(0..headers.len());
    cells.sort_errors();
    let (Some(application_no), Some(patent_type), true) = (application_no, patent_type, cells.errors.is_empty()) else {
        return Err(cells.errors);
    };
    Ok(PatentRecord {
        application_no,
        patent_type,
        publication_no,
        grant_no,
        filing_date,
        publication_date,
        grant_date,
        title,
        abstract_text: collapse(abstract_text),
        first_claim: collapse(first_claim_text),
        claims: collapse_paragraphs(claims_text),
        applicants,
        inventors,
        agency,
        agents,
        main_ipc,
        ipc_codes,
        cpc_codes,
        priorities,
        family,
        has_foreign_family,
        citation_count,
        cited_by_count,
        transfer_count,
        license_count,
        pledge_count,
        pledge_amount,
        transfer_date,
        license_date,
        pledge_date,
        lapse_date,
        legal_status,
        legal_status_raw,
        province_code,
        extra,
    })
}

/// Whether a family member was published outside mainland China: its number starts with a two-letter office
/// code other than CN. WO (a PCT publication) is not a patent in another country, and a number without an
/// office code tells nothing, so neither counts.
fn is_foreign_publication(number: &str) -> bool {
    let mut chars = number.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
            let office = [a.to_ascii_uppercase(), b.to_ascii_uppercase()];
            office != ['C', 'N'] && office != ['W', 'O']
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------------------
// Organisations

/// One organisation row, parsed. The county is kept as written: the service resolves it against the policy
/// file's county list, which this crate does not see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRow {
    /// Full registered name.
    pub name: String,
    /// Capacity.
    pub kind: OrgKind,
    /// For institutions: university, institute or hospital.
    pub institution_kind: Option<InstitutionKind>,
    /// Unified social credit code; present for every enterprise.
    pub credit_code: Option<CreditCode>,
    /// County name or code as written ("" when not given).
    pub county: String,
    /// Contact person.
    pub contact_name: String,
    /// Postal address.
    pub address: String,
}

/// What a kind cell may say, besides the codes and labels of [`OrgKind`] and [`InstitutionKind`]. Data, so a
/// new spelling is a one-line change.
const KIND_SYNONYMS: &[(&str, OrgKind, Option<InstitutionKind>)] = &[
    ("企业", OrgKind::Enterprise, None),
    ("公司", OrgKind::Enterprise, None),
    ("企业单位", OrgKind::Enterprise, None),
    ("民营企业", OrgKind::Enterprise, None),
    ("国有企业", OrgKind::Enterprise, None),
    ("高校院所", OrgKind::Institution, None),
    ("高校院所医院", OrgKind::Institution, None),
    ("高校", OrgKind::Institution, Some(InstitutionKind::University)),
    ("大学", OrgKind::Institution, Some(InstitutionKind::University)),
    ("学院", OrgKind::Institution, Some(InstitutionKind::University)),
    ("高等院校", OrgKind::Institution, Some(InstitutionKind::University)),
    ("高等学校", OrgKind::Institution, Some(InstitutionKind::University)),
    ("科研院所", OrgKind::Institution, Some(InstitutionKind::Institute)),
    ("科研机构", OrgKind::Institution, Some(InstitutionKind::Institute)),
    ("科研单位", OrgKind::Institution, Some(InstitutionKind::Institute)),
    ("研究院", OrgKind::Institution, Some(InstitutionKind::Institute)),
    ("研究所", OrgKind::Institution, Some(InstitutionKind::Institute)),
    ("医院", OrgKind::Institution, Some(InstitutionKind::Hospital)),
    ("医疗机构", OrgKind::Institution, Some(InstitutionKind::Hospital)),
    ("银行", OrgKind::Lender, None),
    ("金融机构", OrgKind::Lender, None),
    ("保险", OrgKind::Insurer, None),
    ("保险公司", OrgKind::Insurer, None),
    ("代理机构", OrgKind::Agency, None),
    ("专利代理机构", OrgKind::Agency, None),
    ("服务机构", OrgKind::Agency, None),
    ("知识产权服务机构", OrgKind::Agency, None),
    ("县区", OrgKind::County, None),
    ("区县", OrgKind::County, None),
    ("县政府", OrgKind::County, None),
    ("县级政府", OrgKind::County, None),
    ("部门", OrgKind::Department, None),
    ("市直部门", OrgKind::Department, None),
    ("政府部门", OrgKind::Department, None),
    ("市场监管局", OrgKind::Bureau, None),
    ("知识产权局", OrgKind::Bureau, None),
];

/// Compared form of a kind cell: full-width folded, whitespace removed, lower case.
fn kind_key(text: &str) -> String {
    text.chars().map(fold_full_width).filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_lowercase()).collect()
}

fn parse_org_kind(text: &str) -> Option<(OrgKind, Option<InstitutionKind>)> {
    let key = kind_key(text);
    if let Some(kind) = OrgKind::ALL.into_iter().find(|k| k.code() == key || kind_key(k.label()) == key) {
        return Some((kind, None));
    }
    if let Some(sub) = InstitutionKind::ALL.into_iter().find(|k| k.code() == key || kind_key(k.label()) == key) {
        return Some((OrgKind::Institution, Some(sub)));
    }
    KIND_SYNONYMS.iter().find(|(s, _, _)| kind_key(s) == key).map(|&(_, kind, sub)| (kind, sub))
}

fn parse_institution_kind(text: &str) -> Option<InstitutionKind> {
    match parse_org_kind(text) {
        Some((OrgKind::Institution, Some(sub))) => Some(sub),
        _ => None,
    }
}

/// Maps one row of an organisation file, or returns every problem the row has.
pub fn map_org_row(cols: &OrgColumns, headers: &[String], row: &RawRow) -> Result<OrgRow, Vec<CellError>> {
    if let Some(errors) = raw_line_error(cols.raw_line(), row) {
        return Err(errors);
    }
    let mut cells = Cells::new(headers, row);
    macro_rules! take {
        ($field:expr) => {{
            match cells.take(cols.candidates($field)) {
                Some((i, v)) => (Some(i), v.trim()),
                None => (None, ""),
            }
        }};
    }
    macro_rules! column {
        ($field:expr, $used:expr) => {
            cells.column_for($field, cols.candidates($field), $used)
        };
    }

    let (name_col, name_text) = take!(OrgField::Name);
    let name = collapse(name_text);
    if name.is_empty() {
        let column = column!(OrgField::Name, name_col);
        cells.error(column, "单位名称为空：每行都必须填写单位全称".to_owned());
    }

    let accepted = "企业、高校、科研院所、医院、银行、保险、知识产权服务机构、县区、市级部门";
    let (kind_col, kind_text) = take!(OrgField::Kind);
    let parsed_kind = if kind_text.is_empty() {
        let column = column!(OrgField::Kind, kind_col);
        cells.error(column, format!("单位类型为空：请填写 {accepted} 之一"));
        None
    } else {
        let parsed = parse_org_kind(kind_text);
        if parsed.is_none() {
            let column = column!(OrgField::Kind, kind_col);
            cells.error(column, format!("无法识别单位类型“{}”：请填写 {accepted} 之一", quote(kind_text)));
        }
        parsed
    };

    let (sub_col, sub_text) = take!(OrgField::InstitutionKind);
    let mut institution_kind = parsed_kind.and_then(|(_, sub)| sub);
    if !sub_text.is_empty() {
        let sub_column = column!(OrgField::InstitutionKind, sub_col);
        match (parse_institution_kind(sub_text), parsed_kind) {
            (None, _) => {
                cells.error(sub_column, format!("无法识别院所类型“{}”：请填写 高校、科研机构 或 医院", quote(sub_text)))
            }
            (Some(_), Some((kind, _))) if kind != OrgKind::Institution => cells.error(
                sub_column,
                format!("院所类型只适用于高校院所医院，本行单位类型为“{}”：请清空院所类型或改正单位类型", kind.label()),
            ),
            (Some(sub), Some((_, Some(implied)))) if sub != implied => {
                let kind_column = column!(OrgField::Kind, kind_col);
                cells.error(
                    sub_column,
                    format!("院所类型“{}”与【{}】“{}”不一致：请改为一致", sub.label(), kind_column, quote(kind_text)),
                );
            }
            (Some(sub), _) => institution_kind = Some(sub),
        }
    }
    if let Some((OrgKind::Institution, _)) = parsed_kind
        && institution_kind.is_none()
        && sub_text.is_empty()
    {
        let column = column!(OrgField::InstitutionKind, sub_col);
        cells.error(column, "高校院所医院须注明院所类型：请填写 高校、科研机构 或 医院".to_owned());
    }

    let (code_col, code_text) = take!(OrgField::CreditCode);
    let credit_code = if code_text.is_empty() {
        if parsed_kind.is_some_and(|(k, _)| k.requires_credit_code()) {
            let column = column!(OrgField::CreditCode, code_col);
            cells.error(column, "企业必须填写统一社会信用代码（18位，见营业执照）".to_owned());
        }
        None
    } else {
        match CreditCode::parse(code_text) {
            Ok(code) => Some(code),
            Err(e) => {
                let column = column!(OrgField::CreditCode, code_col);
                cells.error(column, format!("“{}”：{e}", quote(code_text)));
                None
            }
        }
    };

    let (county_col, county_text) = take!(OrgField::County);
    let county = collapse(county_text);
    if county.is_empty()
        && let Some((kind, _)) = parsed_kind
        && kind.requires_county()
    {
        let column = column!(OrgField::County, county_col);
        cells.error(column, format!("{}必须填写所在县（市、区），如 汉滨区", kind.label()));
    }
    let (_, contact_text) = take!(OrgField::ContactName);
    let (_, address_text) = take!(OrgField::Address);

    cells.sort_errors();
    match parsed_kind {
        Some((kind, _)) if cells.errors.is_empty() => Ok(OrgRow {
            name,
            kind,
            institution_kind: if kind == OrgKind::Institution { institution_kind } else { None },
            credit_code,
            county,
            contact_name: collapse(contact_text),
            address: collapse(address_text),
        }),
        _ => Err(cells.errors),
    }
}

#[cfg(test)]
mod tests;
