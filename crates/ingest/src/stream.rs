//! Reading a table part by part: the header first, then rows in chunks, so an import can map and write the
//! first rows while the rest of a large workbook is still being read. Worksheets of xlsx files are read as a
//! stream of cells; other formats are read whole and handed on in chunks.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader, SheetType, SheetVisible, Xlsx};

use crate::read::{Format, RawRow, ReadError, cell_text, read_table, split_header};

/// A part of a table, in order: `Headers` once, `Estimate` at most once, then `Rows` until the end.
#[derive(Debug, Clone, PartialEq)]
pub enum TablePart {
    /// Column names, as `RawTable::headers`.
    Headers(Vec<String>),
    /// How many data rows the file declares (for progress; the true count is the rows delivered).
    Estimate(usize),
    /// The next data rows, aligned with the headers.
    Rows(Vec<RawRow>),
}

/// Rows read ahead to find the header below a title row (as `read_table` does).
const HEADER_LOOKAHEAD: usize = 6;

/// Reads `bytes` and hands the table to `sink` part by part, `chunk_rows` rows at a time. `sink` returns false
/// to stop early (the consumer went away). Produces the same headers and rows as [`read_table`], except that
/// an xlsx column without a header name is kept (as `第N列`) even when it is empty in every row.
pub fn stream_table(
    file_name: &str,
    bytes: &[u8],
    format: Option<Format>,
    chunk_rows: usize,
    sink: &mut dyn FnMut(TablePart) -> bool,
) -> Result<(), ReadError> {
    let chunk_rows = chunk_rows.max(1);
    let format = format.or_else(|| Format::detect(file_name, bytes));
    if format == Some(Format::Xlsx) && bytes.starts_with(b"PK\x03\x04") {
        // The workbook reader parses untrusted zip and XML; a panic inside it becomes a refused file.
        let streamed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| stream_xlsx(bytes, chunk_rows, sink)));
        return match streamed {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err(ReadError::NoHeader),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(ReadError::Workbook { detail: "读取过程中出错".to_owned() }),
        };
    }
    if format == Some(Format::Xlsx) {
        // A legacy .xls or an .ods: their readers build whole-sheet ranges, which a crafted file can blow up.
        return Err(ReadError::Workbook {
            detail: "只支持 .xlsx 格式的 Excel 文件，请用 Excel 或 WPS 打开后“另存为” .xlsx 再上传".to_owned(),
        });
    }
    whole(file_name, bytes, format, chunk_rows, sink)
}

fn whole(
    file_name: &str,
    bytes: &[u8],
    format: Option<Format>,
    chunk_rows: usize,
    sink: &mut dyn FnMut(TablePart) -> bool,
) -> Result<(), ReadError> {
    let table = read_table(file_name, bytes, format)?;
    if !sink(TablePart::Headers(table.headers)) || !sink(TablePart::Estimate(table.rows.len())) {
        return Ok(());
    }
    let mut rows = table.rows.into_iter().peekable();
    while rows.peek().is_some() {
        if !sink(TablePart::Rows(rows.by_ref().take(chunk_rows).collect())) {
            break;
        }
    }
    Ok(())
}

/// The widest table accepted: exports have a few dozen columns; a cell far to the right is a malformed or
/// crafted file, and every column costs memory in every row.
pub const MAX_COLUMNS: usize = 512;

/// A whole xlsx table, read through the stream (what `read_table` returns for workbooks).
pub(crate) fn read_xlsx_whole(bytes: &[u8]) -> Result<crate::read::RawTable, ReadError> {
    let mut headers = Vec::new();
    let mut rows = Vec::new();
    stream_table("workbook.xlsx", bytes, Some(Format::Xlsx), 10_000, &mut |part| {
        match part {
            TablePart::Headers(h) => headers = h,
            TablePart::Estimate(_) => {}
            TablePart::Rows(r) => rows.extend(r),
        }
        true
    })?;
    Ok(crate::read::RawTable { headers, rows })
}

/// Streams the first worksheet with data. Ok(false) when no sheet holds any value.
fn stream_xlsx(bytes: &[u8], chunk_rows: usize, sink: &mut dyn FnMut(TablePart) -> bool) -> Result<bool, ReadError> {
    let mut wb = Xlsx::new(Cursor::new(bytes)).map_err(|e| ReadError::Workbook {
        detail: format!("文件不是有效的 .xlsx 工作簿，请用 Excel 或 WPS 打开后“另存为” .xlsx 再上传（{e}）"),
    })?;
    let sheets: Vec<(String, bool)> = wb
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| (s.name.clone(), s.visible == SheetVisible::Visible))
        .collect();
    let ordered: Vec<String> =
        sheets.iter().filter(|(_, v)| *v).chain(sheets.iter().filter(|(_, v)| !*v)).map(|(n, _)| n.clone()).collect();
    for name in ordered {
        let mut cells = wb.worksheet_cells_reader(&name).map_err(|e| ReadError::Workbook { detail: e.to_string() })?;
        let declared =
            usize::try_from(cells.dimensions().end.0.saturating_sub(cells.dimensions().start.0)).unwrap_or(0);
        let declared_width = usize::try_from(cells.dimensions().end.1.saturating_add(1)).unwrap_or(0).min(MAX_COLUMNS);
        let mut stream = RowAssembler::new(chunk_rows, declared, declared_width);
        loop {
            match cells.next_cell() {
                Ok(Some(cell)) => {
                    let (row, col) = cell.get_position();
                    let text = cell_text(&Data::from(cell.get_value().clone()));
                    if !stream.push(row, col, text, sink)? {
                        return Ok(true);
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(ReadError::Workbook { detail: e.to_string() }),
            }
        }
        if stream.finish(sink)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Turns a stream of cells into rows, finds the header, and hands out chunks.
struct RowAssembler {
    chunk_rows: usize,
    declared_rows: usize,
    declared_width: usize,
    current: Option<(u32, Vec<String>)>,
    /// Non-empty rows seen before the header is known.
    lookahead: Vec<(usize, Vec<String>)>,
    headers: Option<Vec<String>>,
    /// Empty columns left of the table.
    offset: usize,
    chunk: Vec<RawRow>,
    any_rows: bool,
}

impl RowAssembler {
    fn new(chunk_rows: usize, declared_rows: usize, declared_width: usize) -> Self {
        Self {
            chunk_rows,
            declared_rows,
            declared_width,
            current: None,
            lookahead: Vec::new(),
            headers: None,
            offset: 0,
            chunk: Vec::new(),
            any_rows: false,
        }
    }

    /// Adds a cell; returns false when the sink asked to stop.
    fn push(
        &mut self,
        row: u32,
        col: u32,
        text: String,
        sink: &mut dyn FnMut(TablePart) -> bool,
    ) -> Result<bool, ReadError> {
        if self.current.as_ref().is_some_and(|(r, _)| *r != row)
            && let Some((r, cells)) = self.current.take()
            && !self.row_done(r, cells, sink)?
        {
            return Ok(false);
        }
        let (_, cells) = self.current.get_or_insert_with(|| (row, Vec::new()));
        let col = usize::try_from(col).unwrap_or(usize::MAX);
        if col >= MAX_COLUMNS {
            if text.is_empty() {
                // A formatted but empty cell far to the right: nothing to keep.
                return Ok(true);
            }
            return Err(ReadError::Workbook {
                detail: format!("第{}行有超过{MAX_COLUMNS}列的数据；请删除多余的列后再上传", u64::from(row) + 1),
            });
        }
        if cells.len() <= col {
            cells.resize(col + 1, String::new());
        }
        cells[col] = text;
        Ok(true)
    }

    fn row_done(
        &mut self,
        row: u32,
        cells: Vec<String>,
        sink: &mut dyn FnMut(TablePart) -> bool,
    ) -> Result<bool, ReadError> {
        if cells.iter().all(String::is_empty) {
            return Ok(true);
        }
        let number = usize::try_from(row).unwrap_or(usize::MAX).saturating_add(1);
        match &self.headers {
            Some(headers) => {
                let width = headers.len();
                if cells.iter().take(self.offset).any(|c| !c.is_empty()) {
                    return Err(ReadError::Workbook {
                        detail: format!("第{number}行在第一个列名左侧还有数据；请为这些列填写列名后再上传"),
                    });
                }
                let mut cells: Vec<String> = cells.into_iter().skip(self.offset).collect();
                if cells.iter().skip(width).any(|c| !c.is_empty()) {
                    return Err(ReadError::Workbook {
                        detail: format!("第{number}行在最后一个列名右侧还有数据；请为这些列填写列名后再上传"),
                    });
                }
                cells.resize(width, String::new());
                self.chunk.push(RawRow { number, cells });
                if self.chunk.len() >= self.chunk_rows {
                    return Ok(sink(TablePart::Rows(std::mem::take(&mut self.chunk))));
                }
                Ok(true)
            }
            None => {
                self.lookahead.push((number, cells));
                if self.lookahead.len() >= HEADER_LOOKAHEAD {
                    return self.decide_header(sink);
                }
                Ok(true)
            }
        }
    }

    /// Picks the header among the first rows (a title row above it is skipped), names the columns and sends
    /// the header, the estimate and the rows read so far.
    fn decide_header(&mut self, sink: &mut dyn FnMut(TablePart) -> bool) -> Result<bool, ReadError> {
        let (raw_headers, rows) = split_header(std::mem::take(&mut self.lookahead))?;
        // Columns left of every value (a table that starts in column B) are not part of the table.
        let first_used = |cells: &[String]| cells.iter().position(|c| !c.is_empty());
        self.offset = std::iter::once(&raw_headers)
            .chain(rows.iter().map(|(_, c)| c))
            .filter_map(|c| first_used(c))
            .min()
            .unwrap_or(0);
        let offset = self.offset;
        let raw_headers: Vec<String> = raw_headers.into_iter().skip(offset).collect();
        let rows: Vec<(usize, Vec<String>)> =
            rows.into_iter().map(|(n, c)| (n, c.into_iter().skip(offset).collect())).collect();
        let width = rows
            .iter()
            .map(|(_, c)| c.len())
            .chain([
                raw_headers.iter().rposition(|h| !h.is_empty()).map_or(0, |p| p + 1),
                self.declared_width.saturating_sub(offset),
            ])
            .max()
            .unwrap_or(0);
        if width == 0 {
            return Err(ReadError::NoHeader);
        }
        let names: Vec<String> = (0..width)
            .map(|i| match raw_headers.get(i).map(|h| h.trim_start_matches('\u{feff}').trim()) {
                Some(h) if !h.is_empty() => h.to_owned(),
                _ => format!("第{}列", i + offset + 1),
            })
            .collect();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut repeated = Vec::new();
        for n in &names {
            let c = seen.entry(n.as_str()).or_insert(0);
            *c += 1;
            if *c == 2 {
                repeated.push(n.clone());
            }
        }
        if !repeated.is_empty() {
            return Err(ReadError::DuplicateHeaders { names: repeated });
        }
        let header_number = self.declared_rows;
        self.headers = Some(names.clone());
        self.any_rows = true;
        if !sink(TablePart::Headers(names)) || !sink(TablePart::Estimate(header_number)) {
            return Ok(false);
        }
        for (number, cells) in rows {
            let mut cells = cells;
            cells.resize(width, String::new());
            self.chunk.push(RawRow { number, cells });
        }
        Ok(true)
    }

    /// Ends the sheet: true when it had data (and everything was sent).
    fn finish(&mut self, sink: &mut dyn FnMut(TablePart) -> bool) -> Result<bool, ReadError> {
        if let Some((r, cells)) = self.current.take()
            && !self.row_done(r, cells, sink)?
        {
            return Ok(true);
        }
        if self.headers.is_none() {
            if self.lookahead.is_empty() {
                return Ok(false);
            }
            if !self.decide_header(sink)? {
                return Ok(true);
            }
        }
        if !self.chunk.is_empty() {
            sink(TablePart::Rows(std::mem::take(&mut self.chunk)));
        }
        Ok(self.any_rows)
    }
}

#[cfg(test)]
mod tests {
    use rust_xlsxwriter::Workbook;

    use super::*;

    fn collect(bytes: &[u8], chunk: usize) -> (Vec<String>, Vec<RawRow>, usize) {
        let mut headers = Vec::new();
        let mut rows = Vec::new();
        let mut chunks = 0;
        stream_table("t.xlsx", bytes, None, chunk, &mut |part| {
            match part {
                TablePart::Headers(h) => headers = h,
                TablePart::Estimate(_) => {}
                TablePart::Rows(r) => {
                    chunks += 1;
                    rows.extend(r);
                }
            }
            true
        })
        .unwrap();
        (headers, rows, chunks)
    }

    #[test]
    fn a_workbook_streams_like_it_reads() {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "专利检索结果").unwrap();
        for (c, h) in ["申请号", "专利名称", "申请日"].iter().enumerate() {
            ws.write_string(2, c as u16, *h).unwrap();
        }
        for r in 0..25u32 {
            ws.write_string(3 + r, 0, format!("20231012345{r}")).unwrap();
            ws.write_string(3 + r, 1, format!("专利{r}")).unwrap();
            ws.write_number(3 + r, 2, 20230523.0).unwrap();
        }
        let bytes = wb.save_to_buffer().unwrap();
        let (headers, rows, chunks) = collect(&bytes, 10);
        let whole = read_table("t.xlsx", &bytes, None).unwrap();
        assert_eq!(headers, whole.headers);
        assert_eq!(rows, whole.rows);
        assert_eq!(rows.len(), 25);
        assert_eq!(chunks, 3);
        assert_eq!(rows[0].number, 4, "Excel row numbers");
    }

    #[test]
    fn other_formats_come_in_chunks_too() {
        let csv = "申请号,专利名称\n1,a\n2,b\n3,c\n";
        let mut parts = Vec::new();
        stream_table("t.csv", csv.as_bytes(), None, 2, &mut |p| {
            parts.push(p);
            true
        })
        .unwrap();
        assert_eq!(parts.len(), 4, "{parts:?}");
        assert!(matches!(&parts[0], TablePart::Headers(h) if h.len() == 2));
    }

    #[test]
    fn a_far_away_cell_costs_nothing() {
        // A header, one row, and a formatted blank cell in Excel's last column and row: the declared sheet is
        // 16,384 × 1,048,576 cells. The table must come back at its real size, quickly, with bounded columns.
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "申请号").unwrap();
        ws.write_string(0, 1, "专利名称").unwrap();
        ws.write_string(1, 0, "202310605823.6").unwrap();
        ws.write_string(1, 1, "名称").unwrap();
        let fmt = rust_xlsxwriter::Format::new().set_bold();
        ws.write_blank(1_048_575, 16_383, &fmt).unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let started = std::time::Instant::now();
        let table = read_table("t.xlsx", &bytes, None).unwrap();
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert_eq!(table.rows.len(), 1);
        assert!(table.headers.len() <= MAX_COLUMNS, "{} columns", table.headers.len());
        // A value beyond the widest accepted table refuses the file instead of allocating for it.
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "申请号").unwrap();
        ws.write_string(5, 16_000, "远处的值").unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        assert!(matches!(read_table("t.xlsx", &bytes, None), Err(ReadError::Workbook { .. })));
    }

    #[test]
    fn garbage_is_refused_not_panicked_on() {
        let r = stream_table("t.xlsx", b"PK\x03\x04garbage", None, 10, &mut |_| true);
        assert!(r.is_err());
    }
}
