//! Indicators against the city's targets (measure 2): what is counted, in which unit, how far a value is
//! from its target and how much time is left. The values themselves are computed by the service from the
//! store; this module holds the rules that need no I/O.

pub mod high_value;
pub mod place;

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// An indicator the platform tracks. Targets in the policy file name these codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    /// 有效发明专利拥有量: the city's granted invention patents in force.
    ValidInventionPatents,
    /// 高价值发明专利拥有量: valid invention patents meeting at least one of the five criteria.
    HighValueInventionPatents,
    /// 每万人口高价值发明专利拥有量 (stored ×100).
    HighValuePer10k,
    /// 有效商标持有量, from the periodic statistics.
    ValidTrademarks,
    /// 地理标志用标市场主体 (authorised users), from the periodic statistics.
    GiUsers,
    /// 高校、科研机构未转化有效专利盘点覆盖率 (basis points).
    StockPatentCoverage,
    /// 已转化的存量专利.
    StockPatentsConverted,
    /// 专利密集型产业增加值占 GDP 比重 (basis points), yearly.
    PatentIntensiveShare,
}

/// A code that names no indicator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("未知指标代码 “{0}”")]
pub struct UnknownIndicator(pub String);

impl Indicator {
    /// Every indicator, in the order pages list them.
    pub const ALL: [Indicator; 8] = [
        Indicator::ValidInventionPatents,
        Indicator::HighValueInventionPatents,
        Indicator::HighValuePer10k,
        Indicator::ValidTrademarks,
        Indicator::GiUsers,
        Indicator::StockPatentCoverage,
        Indicator::StockPatentsConverted,
        Indicator::PatentIntensiveShare,
    ];

    /// Stable code (policy targets, snapshots, URLs).
    pub const fn code(self) -> &'static str {
        match self {
            Indicator::ValidInventionPatents => "valid_invention_patents",
            Indicator::HighValueInventionPatents => "high_value_invention_patents",
            Indicator::HighValuePer10k => "high_value_per_10k",
            Indicator::ValidTrademarks => "valid_trademarks",
            Indicator::GiUsers => "gi_users",
            Indicator::StockPatentCoverage => "stock_patent_coverage",
            Indicator::StockPatentsConverted => "stock_patents_converted",
            Indicator::PatentIntensiveShare => "patent_intensive_share",
        }
    }

    /// Chinese name.
    pub const fn label(self) -> &'static str {
        match self {
            Indicator::ValidInventionPatents => "有效发明专利拥有量",
            Indicator::HighValueInventionPatents => "高价值发明专利拥有量",
            Indicator::HighValuePer10k => "每万人口高价值发明专利拥有量",
            Indicator::ValidTrademarks => "有效商标持有量",
            Indicator::GiUsers => "地理标志用标市场主体",
            Indicator::StockPatentCoverage => "存量专利盘点覆盖率",
            Indicator::StockPatentsConverted => "已转化存量专利",
            Indicator::PatentIntensiveShare => "专利密集型产业增加值占GDP比重",
        }
    }

    /// Unit shown after a value.
    pub const fn unit(self) -> &'static str {
        match self {
            Indicator::ValidInventionPatents
            | Indicator::HighValueInventionPatents
            | Indicator::ValidTrademarks
            | Indicator::StockPatentsConverted => "件",
            Indicator::HighValuePer10k => "件/万人",
            Indicator::GiUsers => "家",
            Indicator::StockPatentCoverage | Indicator::PatentIntensiveShare => "%",
        }
    }

    /// The factor between a stored value and the value in its unit: counts are stored as they are,
    /// per-10,000 figures in hundredths, percentages in basis points (hundredths of a percent).
    pub const fn scale(self) -> i64 {
        match self {
            Indicator::HighValuePer10k | Indicator::StockPatentCoverage | Indicator::PatentIntensiveShare => 100,
            _ => 1,
        }
    }

    /// Whether the value comes from statistics entered by the bureau rather than from the patents.
    pub const fn is_entered(self) -> bool {
        matches!(self, Indicator::ValidTrademarks | Indicator::GiUsers | Indicator::PatentIntensiveShare)
    }

    /// A stored value in its unit, as text: `412`, `1.23`, `87.50`.
    pub fn format(self, stored: i64) -> String {
        let scale = self.scale();
        if scale == 1 {
            return stored.to_string();
        }
        let sign = if stored < 0 { "-" } else { "" };
        let abs = stored.unsigned_abs();
        let scale = scale.unsigned_abs();
        format!("{sign}{}.{:02}", abs / scale, abs % scale)
    }

    /// A target's value (as the policy writes it, in the indicator's unit) in stored form.
    pub fn target_stored(self, value: u64) -> i64 {
        i64::try_from(value).unwrap_or(i64::MAX).saturating_mul(self.scale())
    }
}

impl fmt::Display for Indicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Indicator {
    type Err = UnknownIndicator;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Indicator::ALL.into_iter().find(|i| i.code() == s).ok_or_else(|| UnknownIndicator(s.to_owned()))
    }
}

/// A calendar month, the period of snapshots and trademark statistics; written `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    year: i32,
    month: u32,
}

/// A text that is not a month.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("月份格式不正确：“{0}”（应为如 2025-06 的年-月）")]
pub struct MonthParseError(pub String);

impl Month {
    /// The month of a date.
    pub fn of(date: NaiveDate) -> Self {
        Month { year: date.year(), month: date.month() }
    }

    /// A month from its parts; `None` when the month is not 1–12 or the year is out of range.
    pub fn new(year: i32, month: u32) -> Option<Self> {
        ((1..=12).contains(&month) && (1900..=9999).contains(&year)).then_some(Month { year, month })
    }

    /// The year.
    pub const fn year(self) -> i32 {
        self.year
    }

    /// The month number, 1–12.
    pub const fn month(self) -> u32 {
        self.month
    }

    /// The first day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The last day.
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MAX)
    }

    /// The month after.
    pub fn next(self) -> Self {
        if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { year: self.year, month: self.month + 1 }
        }
    }

    /// The month before.
    pub fn previous(self) -> Self {
        if self.month == 1 {
            Month { year: self.year - 1, month: 12 }
        } else {
            Month { year: self.year, month: self.month - 1 }
        }
    }

    /// Months from `self` to `later` (negative when `later` is earlier).
    pub fn months_until(self, later: Month) -> i64 {
        (i64::from(later.year) - i64::from(self.year)) * 12 + i64::from(later.month) - i64::from(self.month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = MonthParseError;
    /// Accepts `2025-06`, `2025-6`, `2025/06`, `2025.06`, `202506` and `2025年6月`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let bad = || MonthParseError(text.to_owned());
        let digits: Vec<&str> = text.split(|c: char| !c.is_ascii_digit()).filter(|p| !p.is_empty()).collect();
        let (year, month) = match digits.as_slice() {
            [ym] if ym.len() == 6 => (&ym[..4], &ym[4..]),
            [y, m] => (*y, *m),
            _ => return Err(bad()),
        };
        let year: i32 = year.parse().map_err(|_| bad())?;
        let month: u32 = month.parse().map_err(|_| bad())?;
        Month::new(year, month).ok_or_else(bad)
    }
}

/// Where an indicator stands against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    /// The value has reached the target.
    Reached,
    /// Not reached, and the due date has not passed.
    OnTheWay,
    /// Not reached, and the due date has passed.
    Missed,
}

impl TargetStatus {
    /// Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            TargetStatus::Reached => "已达成",
            TargetStatus::OnTheWay => "推进中",
            TargetStatus::Missed => "逾期未达成",
        }
    }
}

/// An actual value measured against a target (both stored values of the same indicator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// The target, stored form.
    pub target: i64,
    /// The actual value, stored form.
    pub actual: i64,
    /// What is still missing (0 once reached).
    pub gap: i64,
    /// Actual as a share of the target in basis points, capped at 10,000.
    pub completion_bp: i64,
    /// Days from `today` to the due date (negative once past).
    pub days_left: i64,
    /// Reached, on the way or missed.
    pub status: TargetStatus,
}

/// Measures `actual` against `target` due on `due`, seen on `today`.
pub fn progress(target: i64, actual: i64, due: NaiveDate, today: NaiveDate) -> Progress {
    let gap = (target - actual).max(0);
    let completion_bp =
        if target <= 0 { 10_000 } else { (i128::from(actual.max(0)) * 10_000 / i128::from(target)).min(10_000) as i64 };
    let days_left = (due - today).num_days();
    let status = if gap == 0 {
        TargetStatus::Reached
    } else if days_left < 0 {
        TargetStatus::Missed
    } else {
        TargetStatus::OnTheWay
    };
    Progress { target, actual, gap, completion_bp, days_left, status }
}

/// Per 10,000 residents in hundredths: 37 patents for 2,490,000 people is 0.15 (15).
pub fn per_10k_hundredths(count: i64, population: u64) -> Option<i64> {
    if population == 0 {
        return None;
    }
    let scaled = i128::from(count) * 10_000 * 100;
    let population = i128::from(population);
    // Rounded half up.
    Some(((scaled * 2 + population) / (population * 2)) as i64)
}

/// A share in basis points, rounded half up; `None` when the whole is zero.
pub fn share_bp(part: i64, whole: i64) -> Option<i64> {
    if whole <= 0 {
        return None;
    }
    let (part, whole) = (i128::from(part), i128::from(whole));
    Some(((part * 20_000 + whole) / (whole * 2)) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn codes_round_trip_and_are_unique() {
        for i in Indicator::ALL {
            assert_eq!(i.code().parse::<Indicator>(), Ok(i));
        }
        assert_eq!("nope".parse::<Indicator>(), Err(UnknownIndicator("nope".into())));
    }

    #[test]
    fn values_format_in_their_unit() {
        assert_eq!(Indicator::ValidInventionPatents.format(412), "412");
        assert_eq!(Indicator::HighValuePer10k.format(15), "0.15");
        assert_eq!(Indicator::StockPatentCoverage.format(8750), "87.50");
        assert_eq!(Indicator::PatentIntensiveShare.format(-5), "-0.05");
        assert_eq!(Indicator::StockPatentCoverage.target_stored(100), 10_000);
    }

    #[test]
    fn months_parse_in_the_forms_people_write() {
        for text in ["2025-06", "2025-6", "2025/06", "2025.6", "202506", "2025年6月"] {
            assert_eq!(text.parse::<Month>().unwrap().to_string(), "2025-06", "{text}");
        }
        for text in ["2025-13", "2025", "25-06", "", "2025-06-01"] {
            assert!(text.parse::<Month>().is_err(), "{text}");
        }
        let m: Month = "2024-02".parse().unwrap();
        assert_eq!(m.last_day(), date(2024, 2, 29));
        assert_eq!(m.previous().to_string(), "2024-01");
        assert_eq!("2024-12".parse::<Month>().unwrap().next().to_string(), "2025-01");
        assert_eq!(m.months_until("2025-01".parse().unwrap()), 11);
    }

    #[test]
    fn progress_reports_gap_time_and_status() {
        let due = date(2025, 12, 31);
        let p = progress(400, 300, due, date(2025, 12, 1));
        assert_eq!((p.gap, p.completion_bp, p.days_left, p.status), (100, 7500, 30, TargetStatus::OnTheWay));
        let p = progress(400, 420, due, date(2026, 1, 5));
        assert_eq!((p.gap, p.completion_bp, p.status), (0, 10_000, TargetStatus::Reached));
        let p = progress(400, 10, due, date(2026, 1, 5));
        assert_eq!((p.days_left, p.status), (-5, TargetStatus::Missed));
    }

    #[test]
    fn ratios_round_half_up() {
        assert_eq!(per_10k_hundredths(37, 2_490_000), Some(15));
        assert_eq!(per_10k_hundredths(1, 0), None);
        assert_eq!(share_bp(1, 3), Some(3333));
        assert_eq!(share_bp(2, 3), Some(6667));
        assert_eq!(share_bp(1, 0), None);
    }
}
