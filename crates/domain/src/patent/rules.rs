//! Statutory patent rules that follow from dates alone: the term, the annual-fee calendar, and the
//! province a record belongs to.

use chrono::{Months, NaiveDate};

use super::{PatentType, compact};

/// The fourth amendment of the Patent Law (in force 2021-06-01) raised the design term from 10 to 15 years
/// for designs filed from that day on.
const DESIGN_15_YEARS_FROM: (i32, u32, u32) = (2021, 6, 1);
/// The grace period (滞纳期) for a late annual fee, in months after the due date (Implementing Rules).
const FEE_GRACE_MONTHS: u32 = 6;

/// The last day of protection of a patent of `kind` filed on `filing`.
///
/// The term counts from the filing date (Patent Law art. 42), so it covers the filing day itself and ends the
/// day before the anniversary: an invention filed 2023-05-23 expires 2043-05-22. Computed as that day before
/// the filing date moved on by the term, which also settles 29 February: a filing on 2024-02-29 ends on
/// 28 February of the final year, the last day before the anniversary (1 March in a common year).
pub fn expiry_date(kind: PatentType, filing: NaiveDate) -> NaiveDate {
    let years = match kind {
        PatentType::Invention => 20,
        PatentType::UtilityModel => 10,
        PatentType::Design => {
            let (y, m, d) = DESIGN_15_YEARS_FROM;
            let new_law = NaiveDate::from_ymd_opt(y, m, d).is_some_and(|from| filing >= from);
            if new_law { 15 } else { 10 }
        }
    };
    let day_before = filing.pred_opt().unwrap_or(filing);
    add_years(day_before, years)
}

/// `date` moved on by `years`; 29 February becomes 28 February in a common year. Saturates at the last
/// representable date rather than panicking.
fn add_years(date: NaiveDate, years: u32) -> NaiveDate {
    date.checked_add_months(Months::new(years.saturating_mul(12))).unwrap_or(NaiveDate::MAX)
}

/// Where a patent stands with its annual fees (年费) on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnnualFee {
    /// The filing-date anniversary by which the next unpaid annual fee falls due.
    pub next_due: NaiveDate,
    /// Last day of the grace period (滞纳期) for that fee, six months after `next_due`; `None` only when the
    /// date is beyond the calendar.
    pub grace_ends: Option<NaiveDate>,
    /// Whether `today` lies in that grace period: the fee is overdue but can still be paid with a surcharge.
    /// While it is, the patent cannot be declared for open licence.
    pub in_grace: bool,
}

/// The annual-fee position of a patent filed on `filing`, as of `today`.
///
/// Annual fees fall due on each anniversary of the filing date. With `fee_paid_until` (the last day the paid
/// fees cover), the next fee is due on the first anniversary after that day, which may be in the past: then
/// `today` may be in the six-month grace period. Without payment data the platform assumes the fees are paid
/// up to the last anniversary, so the next fee is due on the first anniversary on or after `today` and is
/// never shown as overdue: claiming a patent is in arrears needs evidence.
pub fn annual_fee(filing: NaiveDate, today: NaiveDate, fee_paid_until: Option<NaiveDate>) -> AnnualFee {
    let next_due = match fee_paid_until {
        Some(paid_until) => first_anniversary(filing, |anniversary| anniversary > paid_until),
        None => first_anniversary(filing, |anniversary| anniversary >= today),
    };
    let grace_ends = next_due.checked_add_months(Months::new(FEE_GRACE_MONTHS));
    let in_grace = today > next_due && grace_ends.is_some_and(|end| today <= end);
    AnnualFee { next_due, grace_ends, in_grace }
}

/// The first anniversary of `filing` (one year on or later) that satisfies `wanted`, which must hold from
/// some anniversary on; saturates at the last representable date.
fn first_anniversary(filing: NaiveDate, wanted: impl Fn(NaiveDate) -> bool) -> NaiveDate {
    // Anniversaries only move forward as the year count grows, so `wanted` flips once: gallop to a count
    // that satisfies it, then binary-search back: a few dozen steps however far apart the dates are.
    let (mut low, mut high) = (1u32, 1u32);
    while !wanted(add_years(filing, high)) {
        if add_years(filing, high) == NaiveDate::MAX {
            return NaiveDate::MAX;
        }
        low = high.saturating_add(1);
        high = high.saturating_mul(2);
    }
    while low < high {
        let mid = low + (high - low) / 2;
        if wanted(add_years(filing, mid)) {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    add_years(filing, low)
}

/// Two-digit province codes of GB/T 2260 (the first two digits of every division code), with the name the
/// 国省代码 column and addresses use.
const PROVINCES: [(&str, &str); 34] = [
    ("11", "北京"),
    ("12", "天津"),
    ("13", "河北"),
    ("14", "山西"),
    ("15", "内蒙古"),
    ("21", "辽宁"),
    ("22", "吉林"),
    ("23", "黑龙江"),
    ("31", "上海"),
    ("32", "江苏"),
    ("33", "浙江"),
    ("34", "安徽"),
    ("35", "福建"),
    ("36", "江西"),
    ("37", "山东"),
    ("41", "河南"),
    ("42", "湖北"),
    ("43", "湖南"),
    ("44", "广东"),
    ("45", "广西"),
    ("46", "海南"),
    ("50", "重庆"),
    ("51", "四川"),
    ("52", "贵州"),
    ("53", "云南"),
    ("54", "西藏"),
    ("61", "陕西"),
    ("62", "甘肃"),
    ("63", "青海"),
    ("64", "宁夏"),
    ("65", "新疆"),
    ("71", "台湾"),
    ("81", "香港"),
    ("82", "澳门"),
];

/// The two-digit province code from a 国省代码 cell: `陕西(61)`, `陕西（61）`, `61`, `610000`, `CN61` and a
/// bare province name all give `61`. Foreign applicants (`US`, `日本(JP)`) and unknown codes give `None`.
pub fn province_code_from(text: &str) -> Option<String> {
    let folded = compact(text);
    let digits: String = folded.chars().skip_while(|c| !c.is_ascii_digit()).take_while(char::is_ascii_digit).collect();
    if !digits.is_empty() {
        // A province (2), city (4), county (6), township (9) or village (12) division code starts with it.
        if !matches!(digits.len(), 2 | 4 | 6 | 9 | 12) {
            return None;
        }
        let code = digits.get(..2)?;
        return PROVINCES.iter().find(|(c, _)| *c == code).map(|(c, _)| (*c).to_owned());
    }
    PROVINCES.iter().find(|(_, name)| folded.starts_with(name)).map(|(code, _)| (*code).to_owned())
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, Days};

    use super::super::Lcg;
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn term_ends_the_day_before_the_anniversary() {
        assert_eq!(expiry_date(PatentType::Invention, date(2023, 5, 23)), date(2043, 5, 22));
        assert_eq!(expiry_date(PatentType::UtilityModel, date(2022, 12, 2)), date(2032, 12, 1));
        assert_eq!(expiry_date(PatentType::Invention, date(2023, 1, 1)), date(2042, 12, 31));
    }

    #[test]
    fn design_term_depends_on_the_filing_date() {
        assert_eq!(expiry_date(PatentType::Design, date(2021, 5, 31)), date(2031, 5, 30));
        assert_eq!(expiry_date(PatentType::Design, date(2021, 6, 1)), date(2036, 5, 31));
    }

    #[test]
    fn leap_day_filings_end_on_the_last_day_before_the_anniversary() {
        assert_eq!(expiry_date(PatentType::UtilityModel, date(2024, 2, 29)), date(2034, 2, 28));
        assert_eq!(expiry_date(PatentType::Invention, date(2024, 2, 29)), date(2044, 2, 28));
        assert_eq!(expiry_date(PatentType::UtilityModel, date(2024, 3, 1)), date(2034, 2, 28));
        assert_eq!(expiry_date(PatentType::Invention, date(2024, 3, 1)), date(2044, 2, 29));
    }

    #[test]
    fn expiry_is_total_at_the_edges_of_the_calendar() {
        for kind in PatentType::ALL {
            assert_eq!(expiry_date(kind, NaiveDate::MAX), NaiveDate::MAX);
            assert!(expiry_date(kind, NaiveDate::MIN) > NaiveDate::MIN);
        }
    }

    #[test]
    fn without_payment_data_the_next_fee_is_the_coming_anniversary() {
        let filing = date(2020, 5, 23);
        let fee = annual_fee(filing, date(2024, 1, 10), None);
        assert_eq!(
            fee,
            AnnualFee { next_due: date(2024, 5, 23), grace_ends: Some(date(2024, 11, 23)), in_grace: false }
        );
        // On the anniversary itself the fee is due that day.
        assert_eq!(annual_fee(filing, date(2024, 5, 23), None).next_due, date(2024, 5, 23));
        assert_eq!(annual_fee(filing, date(2024, 5, 24), None).next_due, date(2025, 5, 23));
        // Before the first anniversary the first one is next.
        assert_eq!(annual_fee(filing, date(2020, 6, 1), None).next_due, date(2021, 5, 23));
        assert_eq!(annual_fee(filing, date(2019, 1, 1), None).next_due, date(2021, 5, 23));
    }

    #[test]
    fn an_unpaid_past_anniversary_opens_the_grace_period() {
        let filing = date(2020, 5, 23);
        let paid_until = Some(date(2024, 5, 22));
        let fee = annual_fee(filing, date(2024, 8, 1), paid_until);
        assert_eq!(
            fee,
            AnnualFee { next_due: date(2024, 5, 23), grace_ends: Some(date(2024, 11, 23)), in_grace: true }
        );
        assert!(annual_fee(filing, date(2024, 11, 23), paid_until).in_grace);
        assert!(!annual_fee(filing, date(2024, 11, 24), paid_until).in_grace);
        assert!(!annual_fee(filing, date(2024, 5, 23), paid_until).in_grace);
        // Paid through the anniversary: the following one is next.
        let ahead = annual_fee(filing, date(2024, 8, 1), Some(date(2024, 5, 23)));
        assert_eq!(ahead.next_due, date(2025, 5, 23));
        assert!(!ahead.in_grace);
    }

    #[test]
    fn leap_day_anniversaries_fall_on_28_february() {
        let fee = annual_fee(date(2024, 2, 29), date(2025, 1, 1), None);
        assert_eq!(fee.next_due, date(2025, 2, 28));
        assert_eq!(fee.grace_ends, Some(date(2025, 8, 28)));
        assert_eq!(annual_fee(date(2024, 2, 29), date(2027, 3, 1), None).next_due, date(2028, 2, 29));
    }

    #[test]
    fn annual_fee_is_total_and_consistent() {
        assert_eq!(annual_fee(date(2020, 1, 1), NaiveDate::MAX, None).next_due, NaiveDate::MAX);
        assert_eq!(annual_fee(NaiveDate::MIN, NaiveDate::MAX, Some(NaiveDate::MAX)).next_due, NaiveDate::MAX);
        let _ = annual_fee(NaiveDate::MAX, NaiveDate::MIN, None);
        let mut rng = Lcg(17);
        let base = date(1985, 1, 1);
        let day = |rng: &mut Lcg| base + Days::new(rng.below(60 * 366) as u64);
        for _ in 0..5_000 {
            let (filing, today) = (day(&mut rng), day(&mut rng));
            let paid = if rng.below(2) == 0 { None } else { Some(day(&mut rng)) };
            let fee = annual_fee(filing, today, paid);
            assert!(fee.next_due > filing);
            assert_eq!((fee.next_due.month(), fee.next_due.day() <= filing.day()), (filing.month(), true));
            // The anniversary before `next_due`, if it is one, did not yet qualify: `next_due` is the first.
            let years = (fee.next_due.year() - filing.year()) as u32;
            let previous = (years > 1).then(|| add_years(filing, years - 1));
            match paid {
                None => {
                    assert!(fee.next_due >= today && !fee.in_grace);
                    assert!(previous.is_none_or(|prev| prev < today));
                }
                Some(p) => {
                    assert!(fee.next_due > p);
                    assert!(previous.is_none_or(|prev| prev <= p));
                }
            }
        }
    }

    #[test]
    fn province_codes() {
        for raw in ["陕西(61)", "陕西（61）", "61", "610000", "CN61", " ６１ ", "陕西", "陕西省", "6109", "610902"]
        {
            assert_eq!(province_code_from(raw).as_deref(), Some("61"), "{raw}");
        }
        assert_eq!(province_code_from("河南(41)").as_deref(), Some("41"));
        assert_eq!(province_code_from("山西(14)").as_deref(), Some("14"));
        for raw in ["US", "日本(JP)", "", "99", "6", "610", "中国"] {
            assert_eq!(province_code_from(raw), None, "{raw}");
        }
    }
}
