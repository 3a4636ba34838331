//! `parse_date` (and `split_multi`, its neighbour for multi-value cells) on any UTF-8 text: never panics, and
//! a parsed date written as ISO text parses back to the same day.
#![no_main]

use ipbridge_domain::patent::{parse_date, split_multi};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse_date(text) {
        Ok(Some(day)) => {
            let iso = day.format("%Y-%m-%d").to_string();
            assert_eq!(parse_date(&iso), Ok(Some(day)), "{text:?} gave {iso}, which does not parse back");
        }
        Ok(None) => {}
        Err(e) => {
            let _ = e.to_string();
        }
    }
    let _ = split_multi(text);
});
