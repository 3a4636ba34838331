//! Dates and multi-value cells as spreadsheets and CNIPA exports write them.

use chrono::{Days, NaiveDate};

use super::excerpt;
use crate::credit_code::fold_full_width;

/// Largest Excel serial day number: 9999-12-31.
const EXCEL_MAX_SERIAL: u32 = 2_958_465;
/// Excel serial 60 stands for 1900-02-29, a day that never existed (kept by Excel for Lotus 1-2-3
/// compatibility); later serials are one ahead of the real day count because of it.
const EXCEL_PHANTOM_LEAP_DAY: u32 = 60;

/// Why a text is not a date; the Display is the message users see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not shaped like any accepted date form.
    #[error(
        "日期“{input}”无法识别：请写成 2023-05-23、2023/5/23、2023.05.23、20230523、2023年5月23日 或 Excel 日期序号（如 45069）"
    )]
    Format {
        /// The value as typed (shortened when long).
        input: String,
    },
    /// Shaped like a date, but the day does not exist (2023-02-30, month 13).
    #[error("日期“{input}”不存在：请检查月份（1至12）和该月的天数，如 2023-02-28")]
    Impossible {
        /// The value as typed (shortened when long).
        input: String,
    },
    /// A number read as an Excel serial day that Excel itself cannot hold.
    #[error("日期“{input}”作为 Excel 日期序号超出范围：应为1至2958465之间的数字，且60（1900年2月29日）不是有效日期")]
    ExcelSerial {
        /// The value as typed (shortened when long).
        input: String,
    },
}

/// Parses a date cell. Empty cells and the placeholders `0`, `-`, `无` (and all-zero dates such as
/// `0000-00-00`, which databases export for "no date") give `Ok(None)`.
///
/// Accepted: `20230523`, `2023-05-23`, `2023/5/23`, `2023.05.23`, `2023年5月23日`, with spaces or full-width
/// digits, optionally followed by a time (`2023-05-23 00:00:00`, `2023-05-23T00:00:00`); and Excel serial
/// day numbers (`45069`, `45069.0`) in Excel's 1900 date system.
pub fn parse_date(input: &str) -> Result<Option<NaiveDate>, DateError> {
    let folded: String = input.chars().map(fold_full_width).collect();
    let trimmed = folded.trim();
    if matches!(trimmed, "" | "0" | "-" | "--" | "—" | "无") {
        return Ok(None);
    }
    let format_error = || DateError::Format { input: excerpt(input) };
    if let Some(date) = zoned_date(trimmed) {
        return Ok(Some(date));
    }
    let date_part = strip_time(trimmed).ok_or_else(format_error)?;
    let compacted: String = date_part.chars().filter(|c| !c.is_whitespace()).collect();
    if compacted.contains('0') && compacted.chars().all(|c| matches!(c, '0' | '-' | '/' | '.')) {
        return Ok(None);
    }
    if compacted.bytes().all(|b| b.is_ascii_digit()) && compacted.len() == 8 {
        let (year, rest) = compacted.split_at(4);
        let (month, day) = rest.split_at(2);
        return ymd(year, month, day).ok_or_else(|| DateError::Impossible { input: excerpt(input) }).map(Some);
    }
    if let Some(serial) = excel_serial_digits(&compacted) {
        return excel_serial(serial).map(Some).ok_or_else(|| DateError::ExcelSerial { input: excerpt(input) });
    }
    // 2023年5月23日 is read like 2023-5-23; the 日 (or 号) must end the text.
    let unified: String = compacted
        .strip_suffix('日')
        .or_else(|| compacted.strip_suffix('号'))
        .unwrap_or(&compacted)
        .chars()
        .map(|c| if matches!(c, '年' | '月' | '/' | '.') { '-' } else { c })
        .collect();
    let mut parts = unified.split('-');
    let (Some(year), Some(month), Some(day), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(format_error());
    };
    let digits = |s: &str, lengths: std::ops::RangeInclusive<usize>| {
        lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !(digits(year, 4..=4) && digits(month, 1..=2) && digits(day, 1..=2)) {
        return Err(format_error());
    }
    ymd(year, month, day).ok_or_else(|| DateError::Impossible { input: excerpt(input) }).map(Some)
}

/// The China Standard Time date of an RFC 3339 timestamp with a zone (`2023-05-22T16:00:00Z` is 23 May in
/// Beijing): systems that export UTC timestamps would otherwise shift dates by a day.
fn zoned_date(text: &str) -> Option<NaiveDate> {
    let has_zone = text.ends_with('Z') || text.rfind(['+', '-']).is_some_and(|i| i > 10 && text[i..].contains(':'));
    if !has_zone || !text.contains('T') {
        return None;
    }
    let t = chrono::DateTime::parse_from_rfc3339(text).ok()?;
    Some(t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600)?).date_naive())
}

/// The date part of a text that may end in a time of day (`… 00:00:00`, `…T08:30`), or `None` when what
/// follows the date is not a time. A text without `:` has no time and is returned whole.
fn strip_time(text: &str) -> Option<&str> {
    let Some(colon) = text.find(':') else {
        return Some(text);
    };
    let before = text.get(..colon)?;
    let split = before.rfind(|c: char| c.is_whitespace() || c == 'T')?;
    let (date, time) = text.split_at(split);
    let time_ok = time
        .chars()
        .skip(1)
        .all(|c| c.is_ascii_digit() || c.is_whitespace() || matches!(c, ':' | '.' | '+' | '-' | 'Z'));
    time_ok.then_some(date.trim_end())
}

/// The whole days of an Excel serial number (`45069`, `45069.0`, `45069.5` with a time of day), if the text
/// is one: 1 to 7 digits, optionally a dot and digits. Eight digits are a `YYYYMMDD` date, never a serial.
fn excel_serial_digits(text: &str) -> Option<u32> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 7 || !is_digits(whole) || !is_digits(fraction) {
        return None;
    }
    if text.contains('.') && fraction.is_empty() {
        return None;
    }
    // `2023` or `2023.05` is a year (and month), not Excel day 2023 (1905-07-15); refuse rather than guess.
    let year_like = whole.len() == 4 && whole.parse::<u32>().is_ok_and(|y| (1900..=2100).contains(&y));
    if year_like && fraction.len() <= 2 {
        return None;
    }
    whole.parse().ok()
}

/// The day an Excel serial number stands for; serial 1 is 1900-01-01.
fn excel_serial(serial: u32) -> Option<NaiveDate> {
    if serial == 0 || serial == EXCEL_PHANTOM_LEAP_DAY || serial > EXCEL_MAX_SERIAL {
        return None;
    }
    let (base, days) = if serial < EXCEL_PHANTOM_LEAP_DAY {
        (NaiveDate::from_ymd_opt(1899, 12, 31)?, serial)
    } else {
        (NaiveDate::from_ymd_opt(1899, 12, 30)?, serial)
    };
    base.checked_add_days(Days::new(u64::from(days)))
}

/// A calendar date from digit strings the caller has checked, `None` when no such day exists.
fn ymd(year: &str, month: &str, day: &str) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

/// Splits a multi-value cell (inventors, applicants, IPC codes, family members) on `;`, `；`, `,`, `，`,
/// `|` and line breaks, trimming each value and dropping empty ones.
///
/// Separators inside brackets do not split: company names carry their city in brackets, sometimes with a
/// comma (`某某（北京，海淀）有限公司`). If the brackets do not balance, a stray bracket would otherwise
/// swallow the rest of the cell, so the cell is then split on every separator.
pub fn split_multi(input: &str) -> Vec<String> {
    split_values(input, true).unwrap_or_else(|| split_values(input, false).unwrap_or_default())
}

/// One pass of [`split_multi`]; `None` when `respect_brackets` and the brackets do not balance.
fn split_values(input: &str, respect_brackets: bool) -> Option<Vec<String>> {
    let mut values = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    let mut balanced = true;
    for c in input.chars() {
        match c {
            '(' | '（' => depth += 1,
            ')' | '）' => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => balanced = false,
            },
            ';' | '；' | ',' | '，' | '|' | '\n' | '\r' if !respect_brackets || depth == 0 => {
                push_trimmed(&mut values, &current);
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    push_trimmed(&mut values, &current);
    if respect_brackets && (depth != 0 || !balanced) {
        return None;
    }
    Some(values)
}

fn push_trimmed(values: &mut Vec<String>, value: &str) {
    let trimmed = value.trim();
    if !trimmed.is_empty() {
        values.push(trimmed.to_owned());
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn zoned_timestamps_are_beijing_dates_and_bare_years_are_refused() {
        assert_eq!(parse_date("2023-05-22T16:00:00Z").unwrap(), NaiveDate::from_ymd_opt(2023, 5, 23));
        assert_eq!(parse_date("2023-05-22T16:00:00+08:00").unwrap(), NaiveDate::from_ymd_opt(2023, 5, 22));
        assert_eq!(parse_date("2023-05-22T08:30:00").unwrap(), NaiveDate::from_ymd_opt(2023, 5, 22));
        assert!(parse_date("2023").is_err(), "a bare year is not Excel day 2023");
        assert!(parse_date("2023.5").is_err());
    }

    use super::super::Lcg;
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn placeholders_mean_no_date() {
        for raw in ["", "  ", "0", "-", "无", "００", "0000-00-00", "00000000", "0000-00-00 00:00:00", "\u{3000}"] {
            assert_eq!(parse_date(raw), Ok(None), "{raw:?}");
        }
    }

    #[test]
    fn accepts_the_usual_forms() {
        for raw in [
            "20230523",
            "2023-05-23",
            "2023-5-23",
            "2023/5/23",
            "2023/05/23",
            "2023.05.23",
            "2023年5月23日",
            "2023 年 5 月 23 日",
            "2023年05月23号",
            "２０２３年５月２３日",
            "２０２３－０５－２３",
            " 2023-05-23 ",
            "2023-05-23 00:00:00",
            "2023-05-23T00:00:00",
            "2023-05-23T08:30:00.000+08:00",
            "2023/5/23 8:30",
            "45069",
            "45069.0",
            "45069.5416666667",
        ] {
            assert_eq!(parse_date(raw), Ok(date(2023, 5, 23)), "{raw}");
        }
        // The integer dates of the fullschema sample, as the importer stringifies them.
        assert_eq!(parse_date("20221202"), Ok(date(2022, 12, 2)));
        assert_eq!(parse_date(&20230328.to_string()), Ok(date(2023, 3, 28)));
    }

    #[test]
    fn excel_serials_follow_the_1900_system() {
        assert_eq!(parse_date("1"), Ok(date(1900, 1, 1)));
        assert_eq!(parse_date("59"), Ok(date(1900, 2, 28)));
        assert_eq!(parse_date("61"), Ok(date(1900, 3, 1)));
        assert_eq!(parse_date("2958465"), Ok(date(9999, 12, 31)));
        for raw in ["60", "2958466", "9999999"] {
            assert!(matches!(parse_date(raw), Err(DateError::ExcelSerial { .. })), "{raw}");
        }
    }

    #[test]
    fn rejects_impossible_and_unreadable_dates() {
        for raw in ["2023-02-30", "20230230", "2023-13-01", "2023年2月29日", "2023-00-10"] {
            assert!(matches!(parse_date(raw), Err(DateError::Impossible { .. })), "{raw}");
        }
        assert_eq!(parse_date("2024-02-29"), Ok(date(2024, 2, 29)));
        for raw in [
            "2023-05",
            "2023.05",
            "2023.5",
            ".",
            "23-05-2023",
            "2023-05-23-01",
            "May 23",
            "2023-05-23 早上",
            "2023-05-2300:00",
            "45069.",
        ] {
            assert!(matches!(parse_date(raw), Err(DateError::Format { .. })), "{raw}");
        }
        assert_eq!(
            parse_date("2023-02-30").unwrap_err().to_string(),
            "日期“2023-02-30”不存在：请检查月份（1至12）和该月的天数，如 2023-02-28"
        );
        assert_eq!(
            parse_date("明天").unwrap_err().to_string(),
            "日期“明天”无法识别：请写成 2023-05-23、2023/5/23、2023.05.23、20230523、2023年5月23日 或 Excel 日期序号（如 45069）"
        );
    }

    #[test]
    fn arbitrary_short_strings_never_panic() {
        let alphabet = "0123456789０１２９年月日号.-/:T Z+．／－\u{3000}aé专";
        let mut accepted = 0;
        for s in Lcg(5).strings(100_000, 14, alphabet) {
            if let Ok(Some(d)) = parse_date(&s) {
                accepted += 1;
                // Whatever parses round-trips through the canonical form.
                assert_eq!(parse_date(&d.format("%Y-%m-%d").to_string()), Ok(Some(d)), "{s}");
            }
        }
        assert!(accepted > 0);
    }

    #[test]
    fn generated_dates_parse_in_every_form() {
        let mut rng = Lcg(9);
        for _ in 0..5_000 {
            let Some(d) = date(1985 + rng.below(120) as i32, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32) else {
                continue;
            };
            for text in [
                d.format("%Y%m%d").to_string(),
                d.format("%Y-%m-%d").to_string(),
                d.format("%Y/%-m/%-d").to_string(),
                d.format("%Y.%m.%d").to_string(),
                d.format("%Y年%-m月%-d日").to_string(),
                d.format("%Y-%m-%dT00:00:00").to_string(),
            ] {
                assert_eq!(parse_date(&text), Ok(Some(d)), "{text}");
            }
        }
    }

    #[test]
    fn split_multi_splits_on_every_separator() {
        assert_eq!(split_multi("刘迪;刘敏;王煜伟"), ["刘迪", "刘敏", "王煜伟"]);
        assert_eq!(split_multi(" a ；b,c，d|e\nf\r\ng ;; "), ["a", "b", "c", "d", "e", "f", "g"]);
        assert!(split_multi("").is_empty());
        assert!(split_multi(" ; ,, ").is_empty());
    }

    #[test]
    fn split_multi_keeps_bracketed_separators() {
        assert_eq!(split_multi("某某（北京，海淀）有限公司, 另一公司"), ["某某（北京，海淀）有限公司", "另一公司"]);
        assert_eq!(split_multi("A (x; y) Ltd;B"), ["A (x; y) Ltd", "B"]);
        assert_eq!(split_multi("郑州明华专利代理事务所（普通合伙）"), ["郑州明华专利代理事务所（普通合伙）"]);
        // Unbalanced brackets: split everywhere rather than swallow the rest of the cell.
        assert_eq!(split_multi("甲（北京;乙;丙"), ["甲（北京", "乙", "丙"]);
        assert_eq!(split_multi("甲）;乙"), ["甲）", "乙"]);
    }

    #[test]
    fn split_multi_never_panics() {
        for s in Lcg(13).strings(20_000, 16, "ab;；,，|\n\r()（） 专") {
            for value in split_multi(&s) {
                assert!(!value.is_empty() && value.trim() == value);
            }
        }
    }
}
