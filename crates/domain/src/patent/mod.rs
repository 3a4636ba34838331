//! Patents: the identifiers and codes a CNIPA record carries (application number, patent type, IPC symbol,
//! legal status), tolerant parsers for the dates and lists found in spreadsheets, the statutory term and
//! annual-fee rules, and the clean [`PatentRecord`] an import produces.
//!
//! Every parser here takes untrusted text from imported files. None of them panics; each error's Display is a
//! Chinese message naming the value, what is wrong and what is expected, because it is shown as the
//! 错误原因 of an import report.

mod application_no;
mod dates;
mod ipc;
mod legal_status;
mod patent_type;
mod record;
mod rules;

pub use application_no::{ApplicationNo, ApplicationNoError};
pub use dates::{DateError, parse_date, split_multi};
pub use ipc::{IpcCode, IpcError};
pub use legal_status::LegalStatus;
pub use patent_type::PatentType;
pub use record::{Applicant, PatentRecord};
pub use rules::{AnnualFee, annual_fee, expiry_date, province_code_from};

/// The most characters of a user's value quoted back in an error message: a whole pasted paragraph would
/// make the import report unreadable.
const EXCERPT_CHARS: usize = 40;

/// The user's value as quoted in an error message: trimmed, and shortened with "…" when very long.
fn excerpt(input: &str) -> String {
    let trimmed = input.trim();
    if trimmed.chars().count() <= EXCERPT_CHARS {
        trimmed.to_owned()
    } else {
        let mut short: String = trimmed.chars().take(EXCERPT_CHARS).collect();
        short.push('…');
        short
    }
}

/// Half-width, whitespace-free form of a value: spreadsheets typed with a Chinese input method hold
/// full-width digits, letters and punctuation (２０２３，Ａ２３Ｆ，；) and stray ideographic spaces.
fn compact(input: &str) -> String {
    input.chars().map(crate::credit_code::fold_full_width).filter(|c| !c.is_whitespace()).collect()
}

/// A small deterministic generator for the property-style tests: no extra crate, and a failure reproduces.
#[cfg(test)]
struct Lcg(u64);

#[cfg(test)]
impl Lcg {
    /// A number below `bound` (0 when `bound` is 0).
    fn below(&mut self, bound: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize).checked_rem(bound).unwrap_or(0)
    }

    /// `count` strings of up to `max_len` characters drawn from `alphabet`.
    fn strings(&mut self, count: usize, max_len: usize, alphabet: &str) -> Vec<String> {
        let chars: Vec<char> = alphabet.chars().collect();
        (0..count)
            .map(|_| {
                let len = self.below(max_len + 1);
                (0..len).filter_map(|_| chars.get(self.below(chars.len())).copied()).collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_keeps_short_values_and_shortens_long_ones() {
        assert_eq!(excerpt("  CN2023  "), "CN2023");
        let long = "专".repeat(100);
        let short = excerpt(&long);
        assert_eq!(short.chars().count(), EXCERPT_CHARS + 1);
        assert!(short.ends_with('…'));
    }

    #[test]
    fn compact_folds_full_width_and_drops_spaces() {
        assert_eq!(compact(" Ａ２３Ｆ\u{3000}３／０６ "), "A23F3/06");
    }
}
