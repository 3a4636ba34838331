//! Working days (工作日) from a holiday calendar kept as data.
//!
//! Deadlines the measures and national rules set in working days (an institution answers an enterprise within
//! 10 working days, a ruling request is accepted within 5) must skip public holidays and count the weekend days
//! the State Council turns into working days (调休上班). Those change every year, so they are data: a TOML file
//! (`policy/holidays-cn.toml`) that lists each year's holidays with their adjusted working days, named by the
//! policy file's `[calendar]` section and validated when it is loaded.
//!
//! The counting rules, in one place:
//! - a day is a working day when it is an adjusted working day, or a Monday–Friday that is not a holiday;
//! - [`WorkCalendar::add_working_days`] counts from the day *after* the start: a request made on any day is
//!   due on the N-th working day after it, so a request made on a Saturday or during a holiday starts counting
//!   on the next working day, and one made on a working day does not count that day;
//! - [`WorkCalendar::working_days_between`] counts the working days in `(from, to]`, negative when `to` is
//!   before `from`: on the due date 0 days are left, the day after a working due date is 1 day late;
//! - a year the file does not cover falls back to plain Monday–Friday; [`WorkCalendar::covers`] tells the
//!   service to warn that the year's holidays are missing.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::policy::{PolicyError, date_field, invalid, require_text, schema_error, syntax_error};

/// File name of the national calendar shipped with the platform.
pub const HOLIDAYS_CN_FILE: &str = "holidays-cn.toml";

/// The national calendar shipped with the platform (2024–2026), embedded so the built-in policy needs no file.
pub const HOLIDAYS_CN_TOML: &str = include_str!("../../../policy/holidays-cn.toml");

/// The text of a calendar file shipped inside the binary, by file name (`holidays-cn.toml`).
pub fn builtin_file(name: &str) -> Option<&'static str> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    (base == HOLIDAYS_CN_FILE).then_some(HOLIDAYS_CN_TOML)
}

/// The longest holiday one entry may describe; longer spans are typing mistakes (a wrong month).
const MAX_HOLIDAY_DAYS: i64 = 31;

/// One year the calendar covers and the notice its dates follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarYear {
    /// The year.
    pub year: i32,
    /// The notice the dates follow (title, document number, date), for whoever checks them.
    pub source: String,
}

/// One public holiday with its adjusted working days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    /// The year whose notice sets it.
    pub year: i32,
    /// Its name, e.g. 春节.
    pub name: String,
    /// First day off.
    #[serde(with = "date_field")]
    pub from: NaiveDate,
    /// Last day off (inclusive).
    #[serde(with = "date_field")]
    pub to: NaiveDate,
    /// Weekend days worked instead (调休上班).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workdays: Vec<CalendarDate>,
}

/// A date in the calendar file (a TOML date, or a quoted `YYYY-MM-DD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CalendarDate(#[serde(with = "date_field")] pub NaiveDate);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    years: Vec<CalendarYear>,
    #[serde(default)]
    holidays: Vec<Holiday>,
}

/// What kind of day a date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind<'a> {
    /// A Monday–Friday that is not a holiday.
    Working,
    /// A Saturday or Sunday that is not worked.
    Weekend,
    /// A day off of the named holiday.
    Holiday(&'a str),
    /// A weekend day worked for the named holiday (调休上班).
    AdjustedWorkday(&'a str),
}

impl DayKind<'_> {
    /// Whether people work that day.
    pub const fn is_working(self) -> bool {
        matches!(self, DayKind::Working | DayKind::AdjustedWorkday(_))
    }
}

impl fmt::Display for DayKind<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DayKind::Working => f.write_str("工作日"),
            DayKind::Weekend => f.write_str("休息日"),
            DayKind::Holiday(name) => write!(f, "{name}假期"),
            DayKind::AdjustedWorkday(name) => write!(f, "{name}调休上班"),
        }
    }
}

/// Public holidays and adjusted working days by date, validated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkCalendar {
    years: Vec<CalendarYear>,
    holidays: Vec<Holiday>,
    /// Day off → index of its holiday.
    off: BTreeMap<NaiveDate, usize>,
    /// Adjusted working day → index of its holiday.
    on: BTreeMap<NaiveDate, usize>,
}

impl WorkCalendar {
    /// A calendar without holidays: Monday–Friday work (tests, and the fallback for uncovered years).
    pub fn weekends_only() -> WorkCalendar {
        WorkCalendar::default()
    }

    /// The national calendar shipped with the platform.
    pub fn builtin() -> Result<WorkCalendar, PolicyError> {
        WorkCalendar::from_toml_str(HOLIDAYS_CN_TOML).map_err(|e| e.in_file(HOLIDAYS_CN_FILE))
    }

    /// Parses and validates a calendar file; errors name the field (`holidays[3].workdays[0]`).
    pub fn from_toml_str(text: &str) -> Result<WorkCalendar, PolicyError> {
        let deserializer = toml::Deserializer::parse(text).map_err(|e| syntax_error(text, &e))?;
        let file: CalendarFile = serde_path_to_error::deserialize(deserializer).map_err(|e| schema_error(text, &e))?;
        WorkCalendar::new(file.years, file.holidays)
    }

    /// Builds a calendar from its parts, with the same checks as a file.
    pub fn new(mut years: Vec<CalendarYear>, holidays: Vec<Holiday>) -> Result<WorkCalendar, PolicyError> {
        if years.is_empty() {
            return Err(invalid("years", "至少需要一年的节假日安排（[[years]]）"));
        }
        let mut seen_years: HashMap<i32, usize> = HashMap::new();
        for (i, y) in years.iter().enumerate() {
            if !(2000..=2100).contains(&y.year) {
                return Err(invalid(format!("years[{i}].year"), format!("年份 {} 超出范围（应为 2000–2100）", y.year)));
            }
            if let Some(first) = seen_years.insert(y.year, i) {
                return Err(invalid(
                    format!("years[{i}].year"),
                    format!("年份 {} 重复（years[{first}] 已列出）", y.year),
                ));
            }
            require_text(format!("years[{i}].source"), &y.source)?;
        }
        let mut off: BTreeMap<NaiveDate, usize> = BTreeMap::new();
        for (i, h) in holidays.iter().enumerate() {
            let path = |field: &str| format!("holidays[{i}].{field}");
            if !seen_years.contains_key(&h.year) {
                return Err(invalid(
                    path("year"),
                    format!("年份 {} 不在 years 中（先在 [[years]] 中写明该年及依据）", h.year),
                ));
            }
            require_text(path("name"), &h.name)?;
            if h.to < h.from {
                return Err(invalid(path("to"), format!("结束日期 {} 早于开始日期 {}", h.to, h.from)));
            }
            if (h.to - h.from).num_days() >= MAX_HOLIDAY_DAYS {
                return Err(invalid(
                    path("to"),
                    format!("假期 {} 至 {} 超过 {MAX_HOLIDAY_DAYS} 天，请检查月份", h.from, h.to),
                ));
            }
            // A holiday may reach into the neighbouring year (New Year's Day from 30 December), not further.
            for (field, date) in [("from", h.from), ("to", h.to)] {
                if !near_year(date, h.year) {
                    return Err(invalid(path(field), format!("日期 {date} 不属于 {} 年的安排", h.year)));
                }
            }
            let mut day = h.from;
            while day <= h.to {
                if let Some(first) = off.insert(day, i) {
                    return Err(invalid(path("from"), format!("{day} 已是 holidays[{first}] 的放假日，假期不能重叠")));
                }
                match day.succ_opt() {
                    Some(next) => day = next,
                    None => break,
                }
            }
        }
        let mut on: BTreeMap<NaiveDate, usize> = BTreeMap::new();
        for (i, h) in holidays.iter().enumerate() {
            for (j, CalendarDate(day)) in h.workdays.iter().enumerate() {
                let path = format!("holidays[{i}].workdays[{j}]");
                if !is_weekend(*day) {
                    return Err(invalid(
                        path,
                        format!(
                            "调休上班日 {day} 是{}，应为周六或周日（工作日本来就上班）",
                            weekday_label(day.weekday())
                        ),
                    ));
                }
                if !near_year(*day, h.year) {
                    return Err(invalid(path, format!("日期 {day} 不属于 {} 年的安排", h.year)));
                }
                if let Some(holiday) = off.get(day) {
                    return Err(invalid(path, format!("{day} 是 holidays[{holiday}] 的放假日，不能同时是调休上班日")));
                }
                if let Some(first) = on.insert(*day, i) {
                    return Err(invalid(path, format!("调休上班日 {day} 重复（holidays[{first}] 已列出）")));
                }
            }
        }
        years.sort_by_key(|y| y.year);
        Ok(WorkCalendar { years, holidays, off, on })
    }

    /// The years covered, in order.
    pub fn years(&self) -> &[CalendarYear] {
        &self.years
    }

    /// The holidays, as listed in the file.
    pub fn holidays(&self) -> &[Holiday] {
        &self.holidays
    }

    /// Whether the calendar has the holiday arrangement of the date's year; outside it only weekends rest.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.years.iter().any(|y| y.year == date.year())
    }

    /// What kind of day `date` is.
    pub fn day_kind(&self, date: NaiveDate) -> DayKind<'_> {
        let name = |i: &usize| self.holidays.get(*i).map_or("", |h| h.name.as_str());
        if let Some(i) = self.off.get(&date) {
            DayKind::Holiday(name(i))
        } else if let Some(i) = self.on.get(&date) {
            DayKind::AdjustedWorkday(name(i))
        } else if is_weekend(date) {
            DayKind::Weekend
        } else {
            DayKind::Working
        }
    }

    /// Whether people work on `date`.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.day_kind(date).is_working()
    }

    /// `date` itself when it is a working day, else the next working day.
    pub fn on_or_after(&self, date: NaiveDate) -> NaiveDate {
        if self.is_working_day(date) { date } else { self.add_working_days(date, 1) }
    }

    /// The `n`-th working day after `start` (`start` itself is not counted; `n = 0` gives `start`).
    ///
    /// Saturates at the last date chrono represents instead of panicking.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut day = start;
        let mut left = n;
        while left > 0 {
            match day.succ_opt() {
                Some(next) => day = next,
                None => return day,
            }
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// Working days in `(from, to]`; the negative count of those in `(to, from]` when `to` is before `from`.
    ///
    /// With `from` = today and `to` = a due date this is the countdown: 0 on the due date, 1 the working day
    /// before, −1 the first working day after it.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let (low, high, sign) = if from <= to { (from, to, 1) } else { (to, from, -1) };
        let mut count = 0i64;
        let mut day = low;
        while day < high {
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
            if self.is_working_day(day) {
                count += 1;
            }
        }
        sign * count
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Within the year or the month on either side of it.
fn near_year(date: NaiveDate, year: i32) -> bool {
    let y = date.year();
    y == year || (y == year - 1 && date.month() == 12) || (y == year + 1 && date.month() == 1)
}

/// Chinese weekday name, e.g. 星期一.
pub fn weekday_label(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "星期一",
        Weekday::Tue => "星期二",
        Weekday::Wed => "星期三",
        Weekday::Thu => "星期四",
        Weekday::Fri => "星期五",
        Weekday::Sat => "星期六",
        Weekday::Sun => "星期日",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        match NaiveDate::from_ymd_opt(y, m, day) {
            Some(date) => date,
            None => panic!("bad test date {y}-{m}-{day}"),
        }
    }

    fn shipped() -> WorkCalendar {
        match WorkCalendar::builtin() {
            Ok(c) => c,
            Err(e) => panic!("shipped calendar must load: {e}"),
        }
    }

    fn broken(from: &str, to: &str) -> PolicyError {
        assert!(HOLIDAYS_CN_TOML.contains(from), "fixture text not found: {from:?}");
        match WorkCalendar::from_toml_str(&HOLIDAYS_CN_TOML.replacen(from, to, 1)) {
            Ok(_) => panic!("edit {from:?} -> {to:?} should be refused"),
            Err(e) => {
                assert!(!e.to_string().contains('\n'), "{e}");
                e
            }
        }
    }

    #[test]
    fn shipped_calendar_covers_2024_to_2026_with_the_official_day_counts() {
        let cal = shipped();
        let years: Vec<i32> = cal.years().iter().map(|y| y.year).collect();
        assert_eq!(years, [2024, 2025, 2026]);
        // Days off and adjusted working days per year, as the State Council notices state them.
        let count = |year: i32| {
            let off =
                cal.holidays().iter().filter(|h| h.year == year).map(|h| (h.to - h.from).num_days() + 1).sum::<i64>();
            let on = cal.holidays().iter().filter(|h| h.year == year).map(|h| h.workdays.len()).sum::<usize>();
            (off, on)
        };
        assert_eq!(count(2024), (1 + 8 + 3 + 5 + 1 + 3 + 7, 8));
        assert_eq!(count(2025), (1 + 8 + 3 + 5 + 3 + 8, 5));
        assert_eq!(count(2026), (3 + 9 + 3 + 5 + 3 + 3 + 7, 6));
        // A whole year's working days: 2025 has 248 (365 days − 104 weekend days − 18 holiday weekdays + 5 调休).
        let working_in = |year: i32| cal.working_days_between(d(year - 1, 12, 31), d(year, 12, 31));
        assert_eq!(working_in(2024), 251);
        assert_eq!(working_in(2025), 248);
        assert_eq!(working_in(2026), 248);
        assert!(cal.covers(d(2025, 6, 1)));
        assert!(!cal.covers(d(2027, 1, 4)));
    }

    #[test]
    fn day_kinds_of_the_2025_national_day() {
        let cal = shipped();
        assert_eq!(cal.day_kind(d(2025, 9, 28)), DayKind::AdjustedWorkday("国庆节、中秋节"));
        assert_eq!(cal.day_kind(d(2025, 9, 30)), DayKind::Working);
        for day in 1..=8 {
            assert_eq!(cal.day_kind(d(2025, 10, day)), DayKind::Holiday("国庆节、中秋节"), "10-{day}");
        }
        assert_eq!(cal.day_kind(d(2025, 10, 9)), DayKind::Working);
        assert_eq!(cal.day_kind(d(2025, 10, 11)), DayKind::AdjustedWorkday("国庆节、中秋节"));
        assert_eq!(cal.day_kind(d(2025, 10, 12)), DayKind::Weekend);
        assert_eq!(DayKind::AdjustedWorkday("春节").to_string(), "春节调休上班");
        assert_eq!(DayKind::Holiday("春节").to_string(), "春节假期");
    }

    #[test]
    fn ten_working_days_across_the_2025_national_day() {
        let cal = shipped();
        // Asked on Friday 26 September: 28 Sep (Sunday, worked), 29, 30 Sep, then 9, 10, 11 (Saturday, worked),
        // 13, 14, 15, 16 October.
        assert_eq!(cal.add_working_days(d(2025, 9, 26), 10), d(2025, 10, 16));
        // Asked during the holiday: counting starts on the first working day after it.
        assert_eq!(cal.add_working_days(d(2025, 10, 3), 1), d(2025, 10, 9));
        assert_eq!(cal.add_working_days(d(2025, 10, 3), 10), d(2025, 10, 21));
        assert_eq!(cal.on_or_after(d(2025, 10, 3)), d(2025, 10, 9));
        assert_eq!(cal.on_or_after(d(2025, 9, 28)), d(2025, 9, 28));
        // The countdown back to the asking day equals what was added.
        assert_eq!(cal.working_days_between(d(2025, 9, 26), d(2025, 10, 16)), 10);
        assert_eq!(cal.working_days_between(d(2025, 10, 16), d(2025, 9, 26)), -10);
    }

    #[test]
    fn spring_festival_with_adjusted_saturdays() {
        let cal = shipped();
        // 2025: off 28 Jan – 4 Feb, Sunday 26 Jan and Saturday 8 Feb worked.
        assert!(cal.is_working_day(d(2025, 1, 26)));
        assert!(!cal.is_working_day(d(2025, 1, 28)));
        assert!(cal.is_working_day(d(2025, 2, 8)));
        // Asked Friday 24 Jan: 26 (Sun), 27 Jan, then 5, 6, 7, 8 (Sat), 10, 11, 12, 13 Feb.
        assert_eq!(cal.add_working_days(d(2025, 1, 24), 10), d(2025, 2, 13));
        // 2026: off 15–23 Feb, Saturdays 14 and 28 Feb worked.
        assert!(cal.is_working_day(d(2026, 2, 14)));
        assert!(!cal.is_working_day(d(2026, 2, 16)));
        assert!(cal.is_working_day(d(2026, 2, 28)));
        // Asked Friday 13 Feb 2026: 14 (Sat), then 24, 25, 26, 27, 28 (Sat), 2, 3, 4, 5 March.
        assert_eq!(cal.add_working_days(d(2026, 2, 13), 10), d(2026, 3, 5));
        // 2024: the 除夕 (9 Feb) the notice only encourages giving off is a working day.
        assert!(cal.is_working_day(d(2024, 2, 9)));
        assert!(cal.is_working_day(d(2024, 2, 4)) && cal.is_working_day(d(2024, 2, 18)));
    }

    #[test]
    fn countdown_and_lateness() {
        let cal = shipped();
        let due = d(2025, 10, 16);
        assert_eq!(cal.working_days_between(d(2025, 10, 16), due), 0);
        assert_eq!(cal.working_days_between(d(2025, 10, 15), due), 1);
        assert_eq!(cal.working_days_between(d(2025, 10, 17), due), -1);
        // A weekend after the due date does not add lateness.
        assert_eq!(cal.working_days_between(d(2025, 10, 19), due), -1);
        assert_eq!(cal.working_days_between(d(2025, 10, 20), due), -2);
    }

    #[test]
    fn uncovered_years_and_the_empty_calendar_use_monday_to_friday() {
        let cal = shipped();
        // Monday 4 January 2027 is not covered: plain weekdays.
        assert_eq!(cal.add_working_days(d(2027, 1, 1), 1), d(2027, 1, 4));
        let plain = WorkCalendar::weekends_only();
        assert_eq!(plain.add_working_days(d(2025, 10, 3), 1), d(2025, 10, 6));
        assert_eq!(plain.add_working_days(d(2025, 10, 3), 0), d(2025, 10, 3));
        assert_eq!(plain.working_days_between(d(2025, 10, 3), d(2025, 10, 10)), 5);
        assert!(!plain.covers(d(2025, 10, 3)));
        // The last representable date saturates instead of panicking.
        assert_eq!(plain.add_working_days(NaiveDate::MAX, 3), NaiveDate::MAX);
        assert_eq!(plain.working_days_between(NaiveDate::MAX, NaiveDate::MAX), 0);
    }

    #[test]
    fn builtin_file_by_name() {
        assert!(builtin_file("holidays-cn.toml").is_some());
        assert!(builtin_file("policy/holidays-cn.toml").is_some());
        assert!(builtin_file("holidays-xx.toml").is_none());
    }

    #[test]
    fn refusals_name_the_field() {
        let cases: [(&str, &str, &str); 7] = [
            ("workdays = [2025-01-26, 2025-02-08]", "workdays = [2025-01-27, 2025-02-08]", "holidays[8].workdays[0]"),
            ("workdays = [2025-01-26, 2025-02-08]", "workdays = [2025-01-26, 2025-02-01]", "holidays[8].workdays[1]"),
            ("from = 2025-04-04\nto = 2025-04-06", "from = 2025-04-06\nto = 2025-04-04", "holidays[9].to"),
            ("from = 2025-05-01\nto = 2025-05-05", "from = 2025-05-01\nto = 2025-06-05", "holidays[10].to"),
            ("from = 2025-05-31", "from = 2025-05-05", "holidays[11].from"),
            ("year = 2026\nname = \"元旦\"", "year = 2027\nname = \"元旦\"", "holidays[13].year"),
            ("year = 2026\nsource", "year = 2025\nsource", "years[2].year"),
        ];
        for (from, to, path) in cases {
            let e = broken(from, to);
            assert_eq!(e.path(), path, "{from} -> {to}: {e}");
        }
        let e = broken("workdays = [2025-01-26, 2025-02-08]", "workdays = [2025-01-27, 2025-02-08]");
        assert!(e.reason().contains("星期一"), "{e}");
        let e = broken("name = \"春节\"\nfrom = 2025-01-28", "title = \"春节\"\nfrom = 2025-01-28");
        assert!(matches!(e, PolicyError::Schema { .. }), "{e}");
        let e = broken("[[years]]\nyear = 2024", "[[years]\nyear = 2024");
        assert!(matches!(e, PolicyError::Syntax { .. }), "{e}");
        assert_eq!(WorkCalendar::from_toml_str("years = []").map_err(|e| e.path().to_owned()), Err("years".to_owned()));
        assert_eq!(e.in_file("x.toml").path().split(':').next(), Some("x.toml"));
    }
}
