//! xlsx export of any list: real workbooks that open in WPS and Excel with Chinese headers, a frozen header
//! row and sensible column widths.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// One cell of an exported list.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text, written as text (so application numbers and credit codes keep their leading zeros).
    Text(String),
    /// A number.
    Number(f64),
    /// Nothing.
    Empty,
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        // Exported counts and ids stay far below 2^53, where f64 is exact.
        Cell::Number(n as f64)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(Cell::Empty)
    }
}

/// Why a workbook could not be written.
#[derive(Debug, thiserror::Error)]
#[error("xlsx: {0}")]
pub struct ExportError(#[from] XlsxError);

/// A list to export: one sheet with a header row.
#[derive(Debug, Clone)]
pub struct Table {
    /// Sheet name (at most 31 characters; Excel's limit).
    pub sheet: String,
    /// Column headers in Chinese.
    pub headers: Vec<String>,
    /// Rows, each as long as the headers.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with these headers.
    pub fn new(sheet: &str, headers: &[&str]) -> Self {
        Self {
            sheet: sheet.chars().take(31).collect(),
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    /// Writes the workbook into memory.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, ExportError> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name(&self.sheet)?;
        let header = Format::new().set_bold().set_background_color("DDEBF7");
        let mut widths: Vec<usize> = self.headers.iter().map(|h| display_width(h)).collect();
        for (c, h) in self.headers.iter().enumerate() {
            ws.write_string_with_format(0, col(c), h, &header)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Text(s) => {
                        ws.write_string(r, col(c), s)?;
                        if let Some(w) = widths.get_mut(c) {
                            *w = (*w).max(display_width(s));
                        }
                    }
                    Cell::Number(n) => {
                        ws.write_number(r, col(c), *n)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
        for (c, w) in widths.iter().enumerate() {
            ws.set_column_width(col(c), (*w as f64 + 2.0).min(60.0))?;
        }
        ws.set_freeze_panes(1, 0)?;
        if !self.headers.is_empty() {
            ws.autofilter(0, 0, u32::try_from(self.rows.len()).unwrap_or(u32::MAX), col(self.headers.len() - 1))?;
        }
        Ok(wb.save_to_buffer()?)
    }
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

/// Width in Excel character units: CJK characters take two.
pub(crate) fn display_width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_real_workbook() {
        let mut t = Table::new("审计日志", &["序号", "操作人", "结果"]);
        t.push(vec![Cell::from(1), Cell::from("bureau_officer"), Cell::from("成功")]);
        t.push(vec![Cell::from(2), Cell::Empty, Cell::from(Some("拒绝"))]);
        let bytes = t.to_xlsx().unwrap();
        // An xlsx file is a zip archive.
        assert_eq!(&bytes[..2], b"PK");
        assert!(bytes.len() > 1000);
    }

    #[test]
    fn widths_count_chinese_as_double() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("安康"), 4);
    }
}
