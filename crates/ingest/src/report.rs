//! The report of rejected rows: the rows as the user wrote them plus a reason column, so the clerk fixes the
//! cells in the report itself and uploads it again. The reason column is skipped on import (see
//! [`crate::columns::ERROR_REASON_COLUMN`]).

use crate::columns::{ERROR_REASON_COLUMN, normalise_header};
use crate::export::{Cell, ExportError, Table};
use crate::patents::CellError;
use crate::read::RawRow;

/// Excel refuses cells longer than this; a longer value (a very long claims text) is cut rather than failing
/// the whole report.
const EXCEL_MAX_CELL_CHARS: usize = 32_767;

/// Joins a row's errors as `【列名】问题；【列名】问题`.
pub fn format_reason(errors: &[CellError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("；")
}

/// A workbook of rejected rows: the original headers, each row's original cells (as text, so numbers keep
/// their form), and a last column 错误原因 with the row's source row number and reason. A 错误原因 column
/// already in the source (a report uploaded again) is replaced, not repeated.
pub fn rejected_rows_xlsx(headers: &[String], rejected: &[(RawRow, String)]) -> Result<Vec<u8>, ExportError> {
    let reason_key = normalise_header(ERROR_REASON_COLUMN);
    let kept: Vec<usize> =
        (0..headers.len()).filter(|&i| headers.get(i).is_some_and(|h| normalise_header(h) != reason_key)).collect();
    let mut names: Vec<&str> = kept.iter().filter_map(|&i| headers.get(i).map(String::as_str)).collect();
    names.push(ERROR_REASON_COLUMN);
    let mut table = Table::new("未导入的行", &names);
    for (row, reason) in rejected {
        let mut cells: Vec<Cell> = kept.iter().map(|&i| Cell::Text(excel_text(row.cell(i)))).collect();
        cells.push(Cell::Text(excel_text(&format!("原第{}行：{}", row.number, reason))));
        table.push(cells);
    }
    table.to_xlsx()
}

fn excel_text(value: &str) -> String {
    if value.chars().count() <= EXCEL_MAX_CELL_CHARS {
        value.to_owned()
    } else {
        value.chars().take(EXCEL_MAX_CELL_CHARS).collect()
    }
}
