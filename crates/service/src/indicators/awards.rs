//! 国家科学技术奖 / 中国专利奖 won by patents (high-value criterion 5): the bureau records them one by one or
//! imports a published list; the refresh then counts the patents as high-value.
//!
//! The import plumbing shared with the trademark statistics ([`super::stats`]) lives here too: reading the
//! upload, the per-row outcome, the file's fingerprint for the audit record.

use std::collections::HashMap;

use chrono::Datelike;
use ipbridge_domain::Permission;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::indicators::high_value::AwardKind;
use ipbridge_domain::patent::ApplicationNo;
use ipbridge_ingest::indicator_inputs::{AwardField, InputColumns, InputRow, award_template_xlsx, map_input_row};
use ipbridge_ingest::{
    Cell, CellError, Format, RawRow, RawTable, Table, format_reason, read_table, rejected_rows_xlsx,
};
use ipbridge_store::{AuditStore, AwardStore, NewAward};
use serde_json::json;
use sm3::{Digest, Sm3};

use crate::auth::china_time;
use crate::error::invalid;
use crate::{Actor, App, FieldErrors, Result, ServiceError};

pub use ipbridge_store::{AwardFilter, StoredAward};

/// Most rows one award list may hold (a city's awards are a few dozen; a province's list a few hundred).
pub const AWARD_IMPORT_MAX_ROWS: usize = 5000;

/// The earliest award year accepted: the Patent Law took effect in 1985, so no patent won anything before.
pub const FIRST_AWARD_YEAR: i32 = 1985;

/// Longest 等级 kept.
const GRADE_MAX_CHARS: usize = 20;
/// Longest 备注 kept.
const NOTE_MAX_CHARS: usize = 200;

/// The grades announced lists write inside the award's name (中国专利金奖, 国家科学技术进步奖一等奖).
const GRADES: [&str; 7] = ["特等奖", "一等奖", "二等奖", "三等奖", "金奖", "银奖", "优秀奖"];

/// What became of one imported row, for the result page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedRow {
    /// Row number as the clerk sees it in the file.
    pub number: usize,
    /// What the row is about (申请号 and award, or county and month), as written.
    pub subject: String,
    /// Whether it was recorded.
    pub accepted: bool,
    /// What was done, or why not.
    pub message: String,
}

/// Reads an uploaded table off the async runtime (a workbook is parsed in one go).
pub(super) async fn read_upload(file_name: &str, bytes: Vec<u8>, format: Option<Format>) -> Result<RawTable> {
    let name = file_name.to_owned();
    tokio::task::spawn_blocking(move || read_table(&name, &bytes, format))
        .await
        .map_err(|e| ServiceError::Internal(format!("read task: {e}")))?
        .map_err(|e| invalid("file", e.to_string()))
}

/// The SM3 of an upload: the audit record names the file it came from.
pub(super) fn fingerprint(bytes: &[u8]) -> String {
    hex::encode(Sm3::digest(bytes))
}

/// The rejected rows as xlsx (original columns plus 错误原因), when any.
pub(super) fn rejected_report(table: &RawTable, rejected: &[(RawRow, String)]) -> Result<Option<Vec<u8>>> {
    if rejected.is_empty() {
        return Ok(None);
    }
    rejected_rows_xlsx(&table.headers, rejected).map(Some).map_err(|e| ServiceError::Internal(e.to_string()))
}

/// An award as typed in the form or read from a list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwardForm {
    /// 申请号.
    pub application_no: String,
    /// 奖项: a code, or a Chinese name (中国专利金奖, 国家科学技术进步奖 …).
    pub award: String,
    /// 等级; taken from the award's name when left empty and the name carries it.
    pub grade: String,
    /// 年度.
    pub year: String,
    /// 备注.
    pub note: String,
}

/// An award that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ValidAward {
    application_no: ApplicationNo,
    kind: AwardKind,
    grade: String,
    year: i64,
    note: String,
}

impl ValidAward {
    fn detail(&self) -> serde_json::Value {
        json!({"application_no": self.application_no.as_str(), "award": self.kind.code(), "grade": self.grade,
               "year": self.year, "note": self.note})
    }
}

fn parse_award(form: &AwardForm, this_year: i32) -> Result<ValidAward, FieldErrors> {
    let mut errors = FieldErrors::new();
    let application_no =
        ApplicationNo::parse(&form.application_no).map_err(|e| errors.add("application_no", e.to_string())).ok();
    let award_text = form.award.trim();
    let kind = if award_text.is_empty() {
        errors.add("award", "请选择奖项（中国专利奖或国家科学技术奖）");
        None
    } else {
        let kind = AwardKind::parse(award_text);
        if kind.is_none() {
            errors.add(
                "award",
                format!("无法识别的奖项“{award_text}”：只登记中国专利奖和国家科学技术奖（含自然科学奖、技术发明奖、科学技术进步奖）"),
            );
        }
        kind
    };
    let mut grade = form.grade.trim().to_owned();
    if grade.is_empty()
        && let Some(g) = GRADES.iter().find(|g| award_text.contains(**g))
    {
        grade = (*g).to_owned();
    }
    if grade.chars().count() > GRADE_MAX_CHARS {
        errors.add("grade", format!("等级最多{GRADE_MAX_CHARS}个字，如“金奖”“一等奖”"));
    }
    let year_text = form.year.trim().trim_end_matches('年').trim();
    let year = match year_text.parse::<i32>() {
        Ok(y) if (FIRST_AWARD_YEAR..=this_year).contains(&y) => Some(i64::from(y)),
        Ok(y) => {
            errors.add("year", format!("年度{y}不在{FIRST_AWARD_YEAR}年至{this_year}年之间"));
            None
        }
        Err(_) if year_text.is_empty() => {
            errors.add("year", "请填写获奖年度，如 2024");
            None
        }
        Err(_) => {
            errors.add("year", format!("年度“{year_text}”应为四位年份，如 2024"));
            None
        }
    };
    let note = form.note.trim().to_owned();
    if note.chars().count() > NOTE_MAX_CHARS {
        errors.add("note", format!("备注最多{NOTE_MAX_CHARS}个字"));
    }
    match (application_no, kind, year) {
        (Some(application_no), Some(kind), Some(year)) if errors.is_empty() => {
            Ok(ValidAward { application_no, kind, grade, year, note })
        }
        _ => Err(errors),
    }
}

/// The message for an award already recorded.
fn duplicate_message(a: &ValidAward) -> String {
    format!("该专利{}年的{}已登记，无需重复登记", a.year, a.kind.label())
}

/// `?award=&year=` of the list, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwardQuery {
    /// Award code, or empty for both.
    pub award: String,
    /// Year, or empty for all.
    pub year: String,
}

impl AwardQuery {
    /// The store filter; values that name nothing filter nothing.
    pub fn filter(&self) -> AwardFilter {
        AwardFilter {
            award: AwardKind::parse(&self.award).map(|k| k.code().to_owned()),
            year: self.year.trim().parse().ok(),
        }
    }
}

/// The awards list with what its filter offers.
#[derive(Debug, Clone)]
pub struct AwardList {
    /// The awards the filter selects.
    pub awards: Vec<StoredAward>,
    /// The years holding awards, newest first.
    pub years: Vec<i64>,
}

/// The outcome of an award list import: every row recorded or rejected with its reason.
#[derive(Debug, Clone, Default)]
pub struct AwardImportReport {
    /// Data rows in the file.
    pub total: u64,
    /// Awards recorded.
    pub accepted: u64,
    /// Rows refused.
    pub rejected: u64,
    /// Every row's outcome, in file order.
    pub rows: Vec<ImportedRow>,
    /// The rejected rows (original columns plus 错误原因) as xlsx, when any.
    pub report: Option<Vec<u8>>,
}

/// The column of a form field in an imported row.
fn award_column(field: &str) -> AwardField {
    match field {
        "application_no" => AwardField::ApplicationNo,
        "award" => AwardField::Award,
        "grade" => AwardField::Grade,
        "year" => AwardField::Year,
        _ => AwardField::Note,
    }
}

/// The form of one imported row.
fn award_form(cells: &InputRow<AwardField>) -> AwardForm {
    AwardForm {
        application_no: cells.get(AwardField::ApplicationNo).to_owned(),
        award: cells.get(AwardField::Award).to_owned(),
        grade: cells.get(AwardField::Grade).to_owned(),
        year: cells.get(AwardField::Year).to_owned(),
        note: cells.get(AwardField::Note).to_owned(),
    }
}

/// A validation failure as the row's reason, naming the file's columns.
fn row_reason(cells: &InputRow<AwardField>, errors: &FieldErrors) -> String {
    let errors: Vec<CellError> = errors
        .0
        .iter()
        .flat_map(|(field, messages)| messages.iter().map(|m| cells.error(award_column(field), m.clone())))
        .collect();
    format_reason(&errors)
}

impl App {
    /// The awards a query selects (whoever sees the indicators).
    pub async fn awards(&self, actor: &Actor, query: &AwardQuery) -> Result<AwardList> {
        actor.authorise(Permission::ViewIndicators)?;
        let mut tx = self.db.read().await?;
        Ok(AwardList { awards: tx.awards(&query.filter()).await?, years: tx.award_years().await? })
    }

    /// Records an award (the bureau). An award may be recorded before its patent is imported: the refresh
    /// matches it by application number.
    pub async fn record_award(&self, actor: &Actor, form: &AwardForm) -> Result<i64> {
        actor.authorise(Permission::ManageIndicators)?;
        let award = parse_award(form, self.china_today().year()).map_err(ServiceError::Invalid)?;
        let name = actor.name();
        let mut tx = self.db.begin().await?;
        let new = NewAward {
            application_no: award.application_no.as_str(),
            award: award.kind.code(),
            grade: &award.grade,
            year: award.year,
            note: &award.note,
            created_by: &name,
        };
        let Some(id) = tx.insert_award(&new, self.now()).await? else {
            return Err(invalid("application_no", duplicate_message(&award)));
        };
        tx.append_audit(&actor.audit(Action::AwardRecord, "patent_award", id, Outcome::Success, award.detail()))
            .await?;
        tx.commit().await?;
        self.request_indicator_refresh("award");
        Ok(id)
    }

    /// Deletes a recorded award (the bureau), e.g. one entered against the wrong patent.
    pub async fn delete_award(&self, actor: &Actor, id: i64) -> Result<StoredAward> {
        actor.authorise(Permission::ManageIndicators)?;
        let mut tx = self.db.begin().await?;
        let award = tx.award(id).await?.ok_or(ServiceError::NotFound)?;
        tx.delete_award(id).await?;
        tx.append_audit(&actor.audit(
            Action::AwardDelete,
            "patent_award",
            id,
            Outcome::Success,
            json!({"application_no": award.application_no, "award": award.award, "grade": award.grade,
                   "year": award.year, "note": award.note, "created_by": award.created_by}),
        ))
        .await?;
        tx.commit().await?;
        self.request_indicator_refresh("award");
        Ok(award)
    }

    /// The awards a query selects as xlsx; the columns import again.
    pub async fn export_awards(&self, actor: &Actor, query: &AwardQuery) -> Result<Vec<u8>> {
        let list = self.awards(actor, query).await?;
        let mut t =
            Table::new("获奖专利", &["申请号", "专利名称", "奖项", "等级", "年度", "备注", "登记人", "登记时间"]);
        for a in &list.awards {
            t.push(vec![
                Cell::from(a.application_no.as_str()),
                Cell::from(a.patent.as_ref().map_or("未入库", |(_, title)| title.as_str())),
                Cell::from(AwardKind::parse(&a.award).map_or_else(|| a.award.clone(), |k| k.label().to_owned())),
                Cell::from(a.grade.as_str()),
                Cell::from(a.year),
                Cell::from(a.note.as_str()),
                Cell::from(a.created_by.as_str()),
                Cell::from(china_time(a.created_at).format("%Y-%m-%d %H:%M").to_string()),
            ]);
        }
        self.finish_export(actor, "patent_awards", "", &t).await
    }

    /// The award list template.
    pub fn award_template(&self, actor: &Actor) -> Result<Vec<u8>> {
        actor.authorise(Permission::ManageIndicators)?;
        award_template_xlsx().map_err(|e| ServiceError::Internal(e.to_string()))
    }

    /// Imports an award list (the bureau). Every row is recorded or rejected with its reason: a bad
    /// application number, an award that is neither a 中国专利奖 nor a 国家科学技术奖, a year out of range, or a
    /// duplicate (of an earlier row or of a recorded award). One audit record carries the counts.
    pub async fn import_awards(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: Vec<u8>,
        format: Option<Format>,
    ) -> Result<AwardImportReport> {
        actor.authorise(Permission::ManageIndicators)?;
        let file_hash = fingerprint(&bytes);
        let table = read_upload(file_name, bytes, format).await?;
        let columns = InputColumns::from_headers(&table.headers, &AwardField::REQUIRED)
            .map_err(|e| invalid("file", e.to_string()))?;
        if table.rows.len() > AWARD_IMPORT_MAX_ROWS {
            return Err(invalid(
                "file",
                format!(
                    "一次最多导入{AWARD_IMPORT_MAX_ROWS}行获奖名单，本文件有{}行，请分成几个文件",
                    table.rows.len()
                ),
            ));
        }
        let this_year = self.china_today().year();
        let name = actor.name();
        let now = self.now();
        let mut report = AwardImportReport { total: table.rows.len() as u64, ..AwardImportReport::default() };
        let mut rejected: Vec<(RawRow, String)> = Vec::new();
        let mut seen: HashMap<(String, &'static str, i64), usize> = HashMap::new();
        let mut ids: Vec<i64> = Vec::new();
        let mut tx = self.db.begin().await?;
        for row in &table.rows {
            let cells = match map_input_row(&columns, &table.headers, row) {
                Ok(c) => c,
                Err(errors) => {
                    let reason = format_reason(&errors);
                    report.rows.push(ImportedRow {
                        number: row.number,
                        subject: String::new(),
                        accepted: false,
                        message: reason.clone(),
                    });
                    rejected.push((row.clone(), reason));
                    continue;
                }
            };
            let form = award_form(&cells);
            let subject = format!("{} {} {}", form.application_no, form.award, form.year).trim().to_owned();
            let outcome = match parse_award(&form, this_year) {
                Err(errors) => Err(row_reason(&cells, &errors)),
                Ok(award) => {
                    let key = (award.application_no.as_str().to_owned(), award.kind.code(), award.year);
                    if let Some(first) = seen.get(&key) {
                        Err(format!("与第{first}行重复（同一专利、同一年度、同一奖项）"))
                    } else {
                        seen.insert(key, row.number);
                        let new = NewAward {
                            application_no: award.application_no.as_str(),
                            award: award.kind.code(),
                            grade: &award.grade,
                            year: award.year,
                            note: &award.note,
                            created_by: &name,
                        };
                        match tx.insert_award(&new, now).await? {
                            Some(id) => {
                                ids.push(id);
                                Ok(format!("已登记：{}年{}{}", award.year, award.kind.label(), award.grade))
                            }
                            None => Err(duplicate_message(&award)),
                        }
                    }
                }
            };
            match outcome {
                Ok(message) => {
                    report.accepted += 1;
                    report.rows.push(ImportedRow { number: row.number, subject, accepted: true, message });
                }
                Err(reason) => {
                    report.rows.push(ImportedRow {
                        number: row.number,
                        subject,
                        accepted: false,
                        message: reason.clone(),
                    });
                    rejected.push((row.clone(), reason));
                }
            }
        }
        report.rejected = rejected.len() as u64;
        tx.append_audit(&actor.audit(
            Action::AwardImport,
            "award_import",
            &file_hash,
            Outcome::Success,
            json!({"file": file_name, "total": report.total, "accepted": report.accepted,
                   "rejected": report.rejected, "award_ids": ids}),
        ))
        .await?;
        tx.commit().await?;
        if report.accepted > 0 {
            self.request_indicator_refresh("award");
        }
        report.report = rejected_report(&table, &rejected)?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(no: &str, award: &str, grade: &str, year: &str) -> AwardForm {
        AwardForm {
            application_no: no.into(),
            award: award.into(),
            grade: grade.into(),
            year: year.into(),
            note: String::new(),
        }
    }

    #[test]
    fn awards_parse_in_the_forms_lists_write() {
        let a = parse_award(&form("ZL 202310123456.6", "中国专利金奖", "", "2024年"), 2026).unwrap();
        assert_eq!(
            (a.application_no.as_str(), a.kind, a.grade.as_str(), a.year),
            ("202310123456.6", AwardKind::ChinaPatent, "金奖", 2024)
        );
        let a = parse_award(&form("202310123456.6", "国家科学技术进步奖", "二等奖", "2020"), 2026).unwrap();
        assert_eq!((a.kind, a.grade.as_str()), (AwardKind::NationalSciTech, "二等奖"));
        let a = parse_award(&form("202310123456.6", "china_patent", "", "1985"), 2026).unwrap();
        assert_eq!((a.kind, a.grade.as_str()), (AwardKind::ChinaPatent, ""));
    }

    #[test]
    fn bad_values_are_named_in_chinese() {
        let e = parse_award(&form("202310123456.5", "省专利奖", "", "2027"), 2026).unwrap_err();
        assert!(e.first("application_no").unwrap().contains("校验位"), "{e:?}");
        assert!(e.first("award").unwrap().contains("无法识别的奖项“省专利奖”"), "{e:?}");
        assert!(e.first("year").unwrap().contains("1985年至2026年"), "{e:?}");
        let e = parse_award(&form("", "", "", "二〇二四"), 2026).unwrap_err();
        assert!(e.first("application_no").unwrap().contains("申请号为空"));
        assert!(e.first("award").unwrap().contains("请选择奖项"));
        assert!(e.first("year").unwrap().contains("四位年份"));
    }

    #[test]
    fn a_query_filters_only_what_it_names() {
        let q = AwardQuery { award: "china_patent".into(), year: "2024".into() };
        assert_eq!(q.filter(), AwardFilter { award: Some("china_patent".into()), year: Some(2024) });
        assert_eq!(AwardQuery { award: "x".into(), year: "all".into() }.filter(), AwardFilter::default());
    }
}
