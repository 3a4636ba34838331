//! The row mappers on any table: the input is UTF-8 text whose records are separated by `\x1e` and cells by
//! `\x1f`; the first record is the header. Column detection and `map_patent_row` / `map_org_row` must never
//! panic, and a rejected row always has at least one reason.
#![no_main]

use ipbridge_ingest::{OrgColumns, PatentColumns, RawRow, format_reason, map_org_row, map_patent_row};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut records = text.split('\x1e');
    let headers: Vec<String> = records.next().unwrap_or("").split('\x1f').map(str::to_owned).collect();
    let rows: Vec<RawRow> = records
        .enumerate()
        .map(|(i, r)| RawRow { number: i + 2, cells: r.split('\x1f').map(str::to_owned).collect() })
        .collect();
    if let Ok(cols) = PatentColumns::from_headers(&headers) {
        for row in &rows {
            if let Err(errors) = map_patent_row(&cols, &headers, row) {
                assert!(!errors.is_empty(), "row {} rejected without a reason", row.number);
                let _ = format_reason(&errors);
            }
        }
    }
    if let Ok(cols) = OrgColumns::from_headers(&headers) {
        for row in &rows {
            if let Err(errors) = map_org_row(&cols, &headers, row) {
                assert!(!errors.is_empty(), "row {} rejected without a reason", row.number);
                let _ = format_reason(&errors);
            }
        }
    }
});
