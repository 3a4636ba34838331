//! Maps the whole CNIPA fullschema sample (10 rows, 61 columns) when the shared data folder is present next to
//! the repository; skips with a note otherwise, so the crate's tests pass on any checkout.

use std::path::Path;

use ipbridge_domain::patent::{LegalStatus, PatentType};
use ipbridge_ingest::{Format, PatentColumns, PatentField, format_reason, map_patent_row, read_table};

#[test]
fn every_row_of_the_fullschema_sample_maps() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cn_patents_fullschema_sample/patents.jsonl");
    let Ok(bytes) = std::fs::read(&path) else {
        eprintln!("note: {} not found; fullschema sample test skipped", path.display());
        return;
    };
    assert_eq!(Format::detect("patents.jsonl", &bytes), Some(Format::Jsonl));
    let table = read_table("patents.jsonl", &bytes, None).expect("the sample reads as a table");
    assert_eq!(table.headers.len(), 61);
    assert_eq!(table.rows.len(), 10);
    let cols = PatentColumns::from_headers(&table.headers).expect("the sample has an application-number column");
    assert_eq!(cols.column(PatentField::Title).map(|i| table.headers[i].as_str()), Some("专利名称"));

    let mut records = Vec::new();
    for row in &table.rows {
        match map_patent_row(&cols, &table.headers, row) {
            Ok(record) => records.push(record),
            Err(errors) => panic!("line {} rejected: {}", row.number, format_reason(&errors)),
        }
    }
    assert_eq!(records.len(), 10);
    let mut numbers: Vec<&str> = records.iter().map(|r| r.application_no.as_str()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), 10, "application numbers are distinct");
    assert_eq!(records.iter().filter(|r| r.patent_type == PatentType::UtilityModel).count(), 7);
    assert_eq!(records.iter().filter(|r| r.legal_status == LegalStatus::Pending).count(), 2);
    for r in &records {
        assert!(!r.title.is_empty() && !r.abstract_text.is_empty() && !r.first_claim.is_empty());
        assert_eq!(r.applicants.first().map(|a| a.name.as_str()), Some("中科大数据研究院"));
        assert!(r.applicants[0].address.is_some());
        assert!(r.filing_date.is_some() && r.publication_date.is_some());
        assert_eq!(r.main_ipc.as_ref(), r.ipc_codes.first());
        assert_eq!(r.province_code.as_deref(), Some("41"));
        assert!(!r.has_foreign_family);
        assert_eq!(r.grant_no.is_some(), r.legal_status == LegalStatus::Granted);
    }
}
