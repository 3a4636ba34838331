//! `ApplicationNo::parse` on any UTF-8 text: never panics, and a parsed number is canonical (parsing its
//! own text gives it back, with the same type digit).
#![no_main]

use ipbridge_domain::patent::ApplicationNo;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match ApplicationNo::parse(text) {
        Ok(no) => {
            let again = ApplicationNo::parse(no.as_str()).expect("a canonical number parses");
            assert_eq!(again, no, "parse is not idempotent for {text:?}");
            let _ = (no.patent_type(), no.filing_year(), no.serial(), no.is_legacy(), no.is_pct());
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
