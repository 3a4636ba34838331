//! Readers of the tables users upload: Excel workbooks, CSV/TSV text in whatever encoding Excel or WPS wrote,
//! and JSONL. Each yields the same [`RawTable`]: trimmed header names and rows of trimmed text cells, with the
//! row number a clerk sees in the source. Nothing is interpreted here; mapping rows to records is the job of
//! [`crate::patents`].

use std::collections::HashMap;
use std::fmt;

use calamine::{Data, ExcelDateTime};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

/// Header of the column that carries a JSONL line which is not a JSON object. The line is kept, not dropped,
/// so the mapper rejects the row with a reason and the rejected-rows report shows the text to fix. The name is
/// Chinese because clerks see it as a column header in that report.
pub const RAW_LINE_COLUMN: &str = "无法解析的原始行";

/// The kind of file a table is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// An Excel workbook: xlsx (also the legacy xls, xlsb and OpenDocument ods, which the same reader opens).
    Xlsx,
    /// Delimited text: comma-, tab- or semicolon-separated, in UTF-8, UTF-16 or GB18030/GBK.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// Zip archives (xlsx, ods) start with this.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// OLE compound files (legacy xls, and password-protected xlsx) start with this.
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];
const UTF16LE_BOM: &[u8] = &[0xFF, 0xFE];
const UTF16BE_BOM: &[u8] = &[0xFE, 0xFF];

impl Format {
    /// Guesses the format from the content first and the file name's extension only where the content is
    /// ambiguous (empty, or a first line that could be either JSON or CSV). `None` for content that is not a
    /// table at all (binary data, an HTML page saved as .xls).
    pub fn detect(file_name: &str, bytes: &[u8]) -> Option<Format> {
        let by_extension = Format::from_extension(file_name);
        if bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(OLE_MAGIC) {
            return Some(Format::Xlsx);
        }
        // Excel's "Unicode text" export: UTF-16 with a BOM, tab-separated.
        if bytes.starts_with(UTF16LE_BOM) || bytes.starts_with(UTF16BE_BOM) {
            return Some(Format::Csv);
        }
        let text = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
        let head = text.get(..text.len().min(8192)).unwrap_or(text);
        match head.iter().find(|b| !b.is_ascii_whitespace()) {
            None => by_extension,
            // Binary data, or UTF-16 without a BOM, which no spreadsheet program writes.
            Some(_) if head.contains(&0) => None,
            // HTML or XML: web systems often save an HTML table under an .xls name.
            Some(b'<') => None,
            Some(b'{') => {
                if by_extension == Some(Format::Csv) && !first_line_is_object(text) {
                    Some(Format::Csv)
                } else {
                    Some(Format::Jsonl)
                }
            }
            Some(_) if by_extension == Some(Format::Jsonl) => Some(Format::Jsonl),
            Some(_) => Some(Format::Csv),
        }
    }

    /// The format a file name's extension suggests.
    fn from_extension(file_name: &str) -> Option<Format> {
        let ext = file_name.rsplit_once('.').map(|(_, e)| e.trim().to_ascii_lowercase())?;
        match ext.as_str() {
            "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" | "et" => Some(Format::Xlsx),
            "csv" | "tsv" | "txt" | "tab" => Some(Format::Csv),
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

fn first_line_is_object(text: &[u8]) -> bool {
    let line = text.split(|b| *b == b'\n').next().unwrap_or_default();
    serde_json::from_slice::<OrderedObject>(line).is_ok()
}

/// A table as read: header names and data rows, all text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawTable {
    /// Column names, trimmed, unique. A column with data but no name is called `第N列` (N counted from 1).
    pub headers: Vec<String>,
    /// Data rows in source order; completely empty rows are left out.
    pub rows: Vec<RawRow>,
}

/// One data row of a source file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawRow {
    /// Row number as the user sees it: the Excel row number for workbooks and CSV (header = 1, blank rows
    /// counted), the line number for JSONL.
    pub number: usize,
    /// Cells aligned with the headers, trimmed, padded with "".
    pub cells: Vec<String>,
}

impl RawRow {
    /// The cell in column `index`, or "" when the row is shorter.
    pub fn cell(&self, index: usize) -> &str {
        self.cells.get(index).map(String::as_str).unwrap_or("")
    }
}

/// Why a file could not be read as a table (or, from the column mappers, used as one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The file has no bytes or only blank lines.
    #[error("文件“{file}”是空的，没有任何内容：请检查是否选错了文件")]
    Empty {
        /// File name as uploaded.
        file: String,
    },
    /// Every row is empty.
    #[error("找不到表头：文件里没有任何非空的行。第一行应为列名，如“申请号”“专利名称”")]
    NoHeader,
    /// The workbook could not be opened.
    #[error(
        "无法读取 Excel 文件：文件可能已损坏、设置了密码或不是 Excel 格式。请用 Excel 或 WPS 打开后另存为 .xlsx 再上传（技术信息：{detail}）"
    )]
    Workbook {
        /// The reader's own description, for support staff.
        detail: String,
    },
    /// Two columns have the same name, so values could not be told apart.
    #[error("表头中有重复的列名：{}。请删除或改名重复的列后再导入", .names.join("、"))]
    DuplicateHeaders {
        /// Each repeated name once.
        names: Vec<String>,
    },
    /// The content is not a table in any format the platform reads.
    #[error(
        "无法识别文件“{file}”的格式：请上传 Excel（.xlsx）、CSV 或 JSONL 文件。从网页系统导出的 .xls 常常实为网页，请用 Excel 打开后另存为 .xlsx"
    )]
    NotATable {
        /// File name as uploaded.
        file: String,
    },
    /// The CSV parser stopped.
    #[error("CSV 文件第{line}行无法读取：{detail}。请用 Excel 打开后另存为 CSV（逗号分隔）再上传")]
    Csv {
        /// Line where reading stopped.
        line: u64,
        /// The parser's description.
        detail: String,
    },
    /// Not one line of a JSONL file is a JSON object.
    #[error("JSONL 文件中没有一行是 JSON 对象（第{line}行起有误）：JSONL 文件每行应为一个 {{…}} 对象")]
    Jsonl {
        /// First offending line.
        line: usize,
    },
    /// A column the import cannot do without is missing.
    #[error("找不到“{field}”列。文件中的列：{found}。可以使用的列名：{accepted}。请把对应列的表头改为其中之一")]
    MissingColumn {
        /// The field's Chinese name.
        field: &'static str,
        /// The headers found, joined with 、.
        found: String,
        /// The accepted header names, joined with 、.
        accepted: String,
    },
}

/// Reads a table from an uploaded file. `format` overrides detection (for a format chosen by the user).
pub fn read_table(file_name: &str, bytes: &[u8], format: Option<Format>) -> Result<RawTable, ReadError> {
    if bytes.iter().all(u8::is_ascii_whitespace) || bytes == UTF8_BOM {
        return Err(ReadError::Empty { file: file_name.to_owned() });
    }
    let format = format
        .or_else(|| Format::detect(file_name, bytes))
        .ok_or_else(|| ReadError::NotATable { file: file_name.to_owned() })?;
    match format {
        // Workbooks are always read cell by cell: a whole-sheet range would allocate the rectangle the file
        // declares, which a few kilobytes can make gigabytes.
        Format::Xlsx => crate::stream::read_xlsx_whole(bytes),
        Format::Csv => {
            let records = read_delimited(&decode_text(bytes))?;
            let (headers, rows) = split_header(records)?;
            finish(headers, rows)
        }
        Format::Jsonl => read_jsonl(&decode_text(bytes)),
    }
}

/// A source row before the header is known: (row number, cells).
type Record = (usize, Vec<String>);

/// Chooses the header row: the first non-empty row, unless it holds a single cell and one of the next few
/// rows holds more: exports often put a title such as "专利检索结果" above the real header.
pub(crate) fn split_header(records: Vec<Record>) -> Result<(Vec<String>, Vec<Record>), ReadError> {
    const TITLE_LOOKAHEAD: usize = 5;
    let mut records: Vec<Record> =
        records.into_iter().filter(|(_, cells)| cells.iter().any(|c| !c.is_empty())).collect();
    let filled = |cells: &[String]| cells.iter().filter(|c| !c.is_empty()).count();
    let first = records.first().ok_or(ReadError::NoHeader)?;
    let header_at = if filled(&first.1) == 1 {
        records.iter().take(TITLE_LOOKAHEAD + 1).position(|(_, cells)| filled(cells) >= 2).unwrap_or(0)
    } else {
        0
    };
    let mut data = records.split_off(header_at.min(records.len()));
    if data.is_empty() {
        return Err(ReadError::NoHeader);
    }
    let (_, headers) = data.remove(0);
    Ok((headers, data))
}

/// Common finishing for every format: names and de-duplicates the columns, aligns and pads the rows, drops
/// empty rows.
fn finish(mut headers: Vec<String>, rows: Vec<Record>) -> Result<RawTable, ReadError> {
    let width = rows.iter().map(|(_, c)| c.len()).chain([headers.len()]).max().unwrap_or(0);
    headers.resize(width, String::new());
    if let Some(first) = headers.first_mut() {
        *first = first.trim_start_matches('\u{feff}').trim().to_owned();
    }
    let rows: Vec<Record> = rows.into_iter().filter(|(_, c)| c.iter().any(|v| !v.is_empty())).collect();
    // A nameless column is dropped only when it is empty in every row: trailing empty columns are common in
    // Excel files; a nameless column with values keeps them under a made-up name.
    let keep: Vec<usize> = (0..width)
        .filter(|&i| {
            headers.get(i).is_some_and(|h| !h.is_empty())
                || rows.iter().any(|(_, c)| c.get(i).is_some_and(|v| !v.is_empty()))
        })
        .collect();
    if keep.is_empty() {
        return Err(ReadError::NoHeader);
    }
    let names: Vec<String> = keep
        .iter()
        .map(|&i| match headers.get(i) {
            Some(h) if !h.is_empty() => h.clone(),
            _ => format!("第{}列", i + 1),
        })
        .collect();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut repeated: Vec<String> = Vec::new();
    for name in &names {
        let count = seen.entry(name.as_str()).or_insert(0);
        *count += 1;
        if *count == 2 {
            repeated.push(name.clone());
        }
    }
    if !repeated.is_empty() {
        return Err(ReadError::DuplicateHeaders { names: repeated });
    }
    let rows = rows
        .into_iter()
        .map(|(number, cells)| RawRow {
            number,
            cells: keep.iter().map(|&i| cells.get(i).cloned().unwrap_or_default()).collect(),
        })
        .collect();
    Ok(RawTable { headers: names, rows })
}

// ---------------------------------------------------------------------------------------------------------
// Text decoding

/// Decodes text the way the file was most likely written: BOMs first (UTF-8, UTF-16LE/BE), then valid UTF-8,
/// else GB18030, the superset of GBK that Excel and WPS on Chinese Windows use for "CSV". Undecodable bytes
/// become U+FFFD rather than failing the whole file.
fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        return encoding_rs::UTF_8.decode_without_bom_handling(rest).0.into_owned();
    }
    if let Some(rest) = bytes.strip_prefix(UTF16LE_BOM) {
        return encoding_rs::UTF_16LE.decode_without_bom_handling(rest).0.into_owned();
    }
    if let Some(rest) = bytes.strip_prefix(UTF16BE_BOM) {
        return encoding_rs::UTF_16BE.decode_without_bom_handling(rest).0.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::GB18030.decode_without_bom_handling(bytes).0.into_owned(),
    }
}

// ---------------------------------------------------------------------------------------------------------
// CSV

/// Picks the delimiter that occurs most often, outside quotes, in the first line (the header): the header
/// holds no free text, so separators are the only commas, tabs or semicolons in it.
fn detect_delimiter(text: &str) -> u8 {
    let mut counts = [(b'\t', 0usize), (b',', 0), (b';', 0)];
    let mut quoted = false;
    for ch in text.trim_start_matches(['\r', '\n']).chars() {
        match ch {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            _ if !quoted => {
                for (d, n) in counts.iter_mut() {
                    if u32::from(*d) == u32::from(ch) {
                        *n += 1;
                    }
                }
            }
            _ => {}
        }
    }
    // Ties go to the earlier entry: tab, then comma.
    let mut best = (b',', 0usize);
    for (d, n) in counts {
        if n > best.1 {
            best = (d, n);
        }
    }
    best.0
}

fn read_delimited(text: &str) -> Result<Vec<Record>, ReadError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(detect_delimiter(text))
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    // Excel shows a blank line as an empty row, but the CSV parser skips it, and its line counter counts
    // line breaks inside quoted cells. The row number therefore counts, from where each record's parse began,
    // the blank lines before it: the clerk then finds the row under the same number in Excel.
    let bytes = text.as_bytes();
    let mut excel_row = 0usize;
    for result in reader.records() {
        let record = result.map_err(|e| ReadError::Csv {
            line: e.position().map(csv::Position::line).unwrap_or(0),
            detail: csv_error_text(&e),
        })?;
        let mut start = record.position().and_then(|p| usize::try_from(p.byte()).ok()).unwrap_or(0);
        // After a CRLF record end the parser's position sits between the CR and the LF.
        if start > 0 && bytes.get(start - 1) == Some(&b'\r') && bytes.get(start) == Some(&b'\n') {
            start += 1;
        }
        let blank_lines = leading_line_breaks(bytes.get(start..).unwrap_or_default());
        excel_row = excel_row.saturating_add(1).saturating_add(blank_lines);
        records.push((excel_row, record.iter().map(|f| f.trim().to_owned()).collect()));
    }
    Ok(records)
}

/// How many line breaks (`\n`, `\r\n` or a lone `\r`) open the text, i.e. how many blank lines precede the
/// next record.
fn leading_line_breaks(bytes: &[u8]) -> usize {
    let mut count = 0usize;
    let mut iter = bytes.iter().peekable();
    while let Some(&b) = iter.next() {
        match b {
            b'\n' => count += 1,
            b'\r' => {
                if iter.peek() == Some(&&b'\n') {
                    iter.next();
                }
                count += 1;
            }
            _ => break,
        }
    }
    count
}

fn csv_error_text(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "含有无法识别的字符".to_owned(),
        _ => "格式不正确".to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Workbooks

/// The text a clerk sees in the cell (cached values for formulas).
pub(crate) fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::String(s) => s.trim().to_owned(),
        Data::Bool(true) => "TRUE".to_owned(),
        Data::Bool(false) => "FALSE".to_owned(),
        Data::DateTime(dt) if dt.is_datetime() => date_text(dt),
        Data::DateTime(dt) => number_text(dt.as_f64()),
        Data::DateTimeIso(s) => iso_date_text(s),
        Data::DurationIso(s) => s.trim().to_owned(),
        Data::Error(e) => e.to_string(),
        Data::Empty => String::new(),
    }
}

/// A number as Excel shows it in General format: integers without ".0" and without exponent (20221202, not
/// 2.0221202E7), other values with at most 15 significant digits so binary noise (0.30000000000000004) does
/// not reach the user.
pub(crate) fn number_text(f: f64) -> String {
    if !f.is_finite() {
        return f.to_string();
    }
    if f.fract() == 0.0 && f.abs() < 1e15 {
        // In range, so the cast is exact.
        return (f as i64).to_string();
    }
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    // Rust's Display for f64 never uses an exponent.
    format!("{rounded}")
}

fn date_text(dt: &ExcelDateTime) -> String {
    let (y, m, d, hh, mm, ss, _) = dt.to_ymd_hms_milli();
    if dt.as_f64().abs() < 1.0 {
        // A time of day only.
        return format!("{hh:02}:{mm:02}:{ss:02}");
    }
    if (hh, mm, ss) == (0, 0, 0) {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}")
    }
}

fn iso_date_text(s: &str) -> String {
    let s = s.trim();
    match s.split_once('T') {
        Some((date, time)) if time.chars().all(|c| matches!(c, '0' | ':' | '.')) => date.to_owned(),
        Some((date, time)) => format!("{date} {time}"),
        None => s.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------------------
// JSONL

/// A JSON object with its keys in file order (serde_json's own map sorts them unless a crate-wide feature is
/// switched on, which would change every other crate's JSON).
struct OrderedObject(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for OrderedObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = OrderedObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedObject, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, serde_json::Value>()? {
                    entries.push(entry);
                }
                Ok(OrderedObject(entries))
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

/// A JSON value as cell text: numbers as Excel would show them, arrays joined with `;` (the separator of
/// CNIPA exports), null as empty, nested objects as compact JSON.
fn json_text(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else if let Some(u) = n.as_u64() {
                u.to_string()
            } else {
                n.as_f64().map(number_text).unwrap_or_else(|| n.to_string())
            }
        }
        Value::String(s) => s.trim().to_owned(),
        Value::Array(items) => items.iter().map(json_text).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(";"),
        Value::Object(_) => value.to_string(),
    }
}

/// One non-blank JSONL line as read.
enum JsonLine {
    /// An object: (column index, cell text) per key.
    Object(Vec<(usize, String)>),
    /// Not an object: the line, kept whole for the rejected-rows report.
    Raw(String),
}

fn read_jsonl(text: &str) -> Result<RawTable, ReadError> {
    let mut headers: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut rows: Vec<(usize, JsonLine)> = Vec::new();
    let mut first_bad: Option<usize> = None;
    for (i, line) in text.split('\n').enumerate() {
        let number = i.saturating_add(1);
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<OrderedObject>(line) {
            Ok(OrderedObject(entries)) => {
                let mut cells = Vec::with_capacity(entries.len());
                for (key, value) in entries {
                    let key = key.trim().to_owned();
                    let col = *index.entry(key.clone()).or_insert_with(|| {
                        headers.push(key);
                        headers.len() - 1
                    });
                    cells.push((col, json_text(&value)));
                }
                rows.push((number, JsonLine::Object(cells)));
            }
            Err(_) => {
                first_bad.get_or_insert(number);
                rows.push((number, JsonLine::Raw(line.to_owned())));
            }
        }
    }
    if rows.is_empty() {
        return Err(ReadError::NoHeader);
    }
    if headers.is_empty() {
        return Err(ReadError::Jsonl { line: first_bad.unwrap_or(1) });
    }
    let raw_col = first_bad.map(|_| {
        headers.push(RAW_LINE_COLUMN.to_owned());
        headers.len() - 1
    });
    let width = headers.len();
    let records = rows
        .into_iter()
        .map(|(number, cells)| {
            let mut out = vec![String::new(); width];
            match cells {
                JsonLine::Object(cells) => {
                    // A repeated key within one object: the last value wins, as in JavaScript.
                    for (col, value) in cells {
                        if let Some(slot) = out.get_mut(col) {
                            *slot = value;
                        }
                    }
                }
                JsonLine::Raw(line) => {
                    if let Some(slot) = raw_col.and_then(|c| out.get_mut(c)) {
                        *slot = line;
                    }
                }
            }
            (number, out)
        })
        .collect();
    finish(headers, records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::{Format as XFormat, Workbook};

    fn table(name: &str, bytes: &[u8]) -> RawTable {
        read_table(name, bytes, None).unwrap()
    }

    #[test]
    fn detects_formats_by_content_then_extension() {
        assert_eq!(Format::detect("a.csv", b"PK\x03\x04rest"), Some(Format::Xlsx));
        assert_eq!(Format::detect("a.xls", OLE_MAGIC), Some(Format::Xlsx));
        assert_eq!(Format::detect("a.txt", b"  {\"a\":1}\n"), Some(Format::Jsonl));
        assert_eq!(Format::detect("a.xlsx", b"a,b\n1,2\n"), Some(Format::Csv));
        assert_eq!(Format::detect("a.txt", &[0xFF, 0xFE, b'a', 0]), Some(Format::Csv));
        assert_eq!(Format::detect("a.jsonl", b"not json\n{\"a\":1}"), Some(Format::Jsonl));
        // A CSV whose first header happens to start with a brace stays CSV when named .csv.
        assert_eq!(Format::detect("a.csv", b"{x},b\n1,2\n"), Some(Format::Csv));
        assert_eq!(Format::detect("a.xls", b"<html><table>"), None);
        assert_eq!(Format::detect("a.bin", &[1, 0, 2, 0]), None);
        assert_eq!(Format::detect("a.jsonl", b""), Some(Format::Jsonl));
        assert_eq!(Format::detect("noext", b"   "), None);
    }

    #[test]
    fn empty_and_headerless_files_are_explained() {
        assert_eq!(read_table("a.csv", b"", None), Err(ReadError::Empty { file: "a.csv".into() }));
        assert_eq!(read_table("a.csv", b"\n\n  \n", None), Err(ReadError::Empty { file: "a.csv".into() }));
        assert_eq!(read_table("a.csv", b",,\n,,\n", None), Err(ReadError::NoHeader));
        assert!(matches!(read_table("a.xls", b"<html>", None), Err(ReadError::NotATable { .. })));
        let e = read_table("a.xlsx", b"PK\x03\x04garbage", None).unwrap_err();
        assert!(matches!(e, ReadError::Workbook { .. }));
        assert!(e.to_string().contains("另存为 .xlsx"));
    }

    #[test]
    fn utf8_bom_csv_with_quoted_newlines_and_blank_rows() {
        let mut bytes = UTF8_BOM.to_vec();
        bytes.extend_from_slice(
            "申请号 , 专利名称,摘要\r\n2023101234566,茶,\"第一段\r\n第二段\"\r\n\r\n\r\n2023,\"a,b\",c\r\n".as_bytes(),
        );
        let t = table("x.csv", &bytes);
        assert_eq!(t.headers, ["申请号", "专利名称", "摘要"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].number, 2);
        assert_eq!(t.rows[0].cells, ["2023101234566", "茶", "第一段\r\n第二段"]);
        // The quoted record spans lines 2-3 but is one Excel row; two blank lines follow; so row 5.
        assert_eq!(t.rows[1].number, 5);
        assert_eq!(t.rows[1].cells, ["2023", "a,b", "c"]);
        // The same with LF and lone CR line ends, and blank lines before the header.
        let t = table("x.csv", "\n\n申请号\n1\n\n\"2\n2\"\n3\n".as_bytes());
        assert_eq!(t.rows.iter().map(|r| r.number).collect::<Vec<_>>(), [4, 6, 7]);
        let t = table("x.csv", "申请号\r1\r\r2\r".as_bytes());
        assert_eq!(t.rows.iter().map(|r| r.number).collect::<Vec<_>>(), [2, 4]);
    }

    #[test]
    fn gb18030_csv_is_detected_and_decoded() {
        let utf8 = "申请号,专利名称,申请人\n202310123456.6,一种富硒茶叶的加工方法,安康学院；陕西某茶业有限公司\n";
        let (bytes, _, unmappable) = encoding_rs::GB18030.encode(utf8);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&bytes).is_err(), "the test needs non-UTF-8 bytes");
        let t = table("gbk.csv", &bytes);
        assert_eq!(t.headers, ["申请号", "专利名称", "申请人"]);
        assert_eq!(t.rows[0].cells, ["202310123456.6", "一种富硒茶叶的加工方法", "安康学院；陕西某茶业有限公司"]);
        assert_eq!(t.rows[0].number, 2);
    }

    #[test]
    fn utf16le_tab_separated_unicode_text() {
        let text = "申请号\t专利名称\t引证数\r\n202310123456.6\t茶, 加工\t3\r\n";
        let mut bytes = UTF16LE_BOM.to_vec();
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let t = table("unicode.txt", &bytes);
        assert_eq!(t.headers, ["申请号", "专利名称", "引证数"]);
        assert_eq!(t.rows[0].cells, ["202310123456.6", "茶, 加工", "3"]);
    }

    #[test]
    fn semicolon_delimiter_and_ragged_rows() {
        let t = table("x.csv", "a;b\n1;2;3\n4\n".as_bytes());
        assert_eq!(t.headers, ["a", "b", "第3列"]);
        assert_eq!(t.rows[0].cells, ["1", "2", "3"]);
        assert_eq!(t.rows[1].cells, ["4", "", ""]);
    }

    #[test]
    fn duplicate_headers_are_named() {
        let e = read_table("x.csv", "申请号,名称,申请号,名称,x\n1,2,3,4,5\n".as_bytes(), None).unwrap_err();
        assert_eq!(e, ReadError::DuplicateHeaders { names: vec!["申请号".into(), "名称".into()] });
        assert!(e.to_string().contains("申请号、名称"));
    }

    #[test]
    fn title_row_above_the_header_is_skipped() {
        let t = table("x.csv", "专利检索结果,,\n申请号,专利名称,\n1,2,\n".as_bytes());
        assert_eq!(t.headers, ["申请号", "专利名称"]);
        assert_eq!(t.rows[0].number, 3);
    }

    #[test]
    fn jsonl_with_numbers_arrays_nulls_and_a_bad_line() {
        let text = "{\"申请号\": \"CN202223220665.2\", \"申请日\": 20221202, \"发明人\": [\"刘迪\", \"刘敏\"], \"x\": null}\n\n\
                    not json at all\n\
                    {\"x\": 1.5, \"引证数\": 3.0, \"大\": 1e20, \"申请号\": \"2\", \"嵌套\": {\"a\": 1}}\n";
        let t = table("p.jsonl", text.as_bytes());
        assert_eq!(t.headers, ["申请号", "申请日", "发明人", "x", "引证数", "大", "嵌套", RAW_LINE_COLUMN]);
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.rows[0].number, 1);
        assert_eq!(t.rows[0].cells, ["CN202223220665.2", "20221202", "刘迪;刘敏", "", "", "", "", ""]);
        assert_eq!(t.rows[1].number, 3);
        assert_eq!(t.rows[1].cell(7), "not json at all");
        assert_eq!(t.rows[2].number, 4);
        assert_eq!(t.rows[2].cells, ["2", "", "", "1.5", "3", "100000000000000000000", "{\"a\":1}", ""]);
    }

    #[test]
    fn jsonl_without_any_object_is_a_file_error() {
        let e = read_table("p.jsonl", b"[1,2]\n\"x\"\n", None).unwrap_err();
        assert_eq!(e, ReadError::Jsonl { line: 1 });
    }

    #[test]
    fn numbers_read_as_excel_shows_them() {
        assert_eq!(number_text(20221202.0), "20221202");
        assert_eq!(number_text(202310123456.0), "202310123456");
        assert_eq!(number_text(0.1 + 0.2), "0.3");
        assert_eq!(number_text(-3.0), "-3");
        assert_eq!(number_text(1.5), "1.5");
        assert_eq!(number_text(1e20), "100000000000000000000");
        assert_eq!(number_text(f64::NAN), "NaN");
    }

    /// Builds a workbook in memory with a cover sheet, a title row, numbers, dates, a formula and gaps.
    fn sample_workbook() -> Vec<u8> {
        let mut wb = Workbook::new();
        let cover = wb.add_worksheet();
        cover.set_name("说明").unwrap();
        let ws = wb.add_worksheet();
        ws.set_name("数据").unwrap();
        let date = XFormat::new().set_num_format("yyyy-mm-dd");
        ws.write_string(1, 1, "专利清单").unwrap();
        ws.write_string(2, 1, "申请号").unwrap();
        ws.write_string(2, 2, "申请日").unwrap();
        ws.write_string(2, 3, "引证数").unwrap();
        ws.write_string(2, 4, "比例").unwrap();
        ws.write_string(2, 5, "合计").unwrap();
        ws.write_number(3, 1, 202310123456.0).unwrap();
        ws.write_number(3, 2, 20221202.0).unwrap();
        ws.write_number(3, 3, 3.0).unwrap();
        ws.write_number(3, 4, 0.25).unwrap();
        ws.write_formula(3, 5, "=D4+1").unwrap().set_formula_result(3, 5, "4");
        // Row 5 empty; row 6 holds a date cell.
        ws.write_string(5, 1, "CN202223220665.2").unwrap();
        ws.write_number_with_format(5, 2, 44897.0, &date).unwrap(); // 2022-12-02
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn xlsx_first_sheet_with_data_numbers_dates_and_row_numbers() {
        let t = table("list.xlsx", &sample_workbook());
        assert_eq!(t.headers, ["申请号", "申请日", "引证数", "比例", "合计"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].number, 4);
        assert_eq!(t.rows[0].cells, ["202310123456", "20221202", "3", "0.25", "4"]);
        assert_eq!(t.rows[1].number, 6);
        assert_eq!(t.rows[1].cells, ["CN202223220665.2", "2022-12-02", "", "", ""]);
    }

    #[test]
    fn xlsx_format_override_and_csv_override() {
        // The caller's choice wins over detection.
        let t = read_table("x.dat", b"{\"a\":1}\n", Some(Format::Csv)).unwrap();
        assert_eq!(t.headers, ["{\"a\":1}"]);
    }

    #[test]
    fn reader_never_panics_on_garbage() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for len in 0..300usize {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed >> 24) as u8
                })
                .collect();
            for f in [None, Some(Format::Xlsx), Some(Format::Csv), Some(Format::Jsonl)] {
                let _ = read_table("x", &bytes, f);
            }
            let mut zip = ZIP_MAGIC.to_vec();
            zip.extend_from_slice(&bytes);
            let _ = read_table("x.xlsx", &zip, None);
        }
    }
}
