//! Amounts of renminbi held as integer fen (分).
//!
//! Awards, subsidies and loan figures are summed, capped and split by ratios; doing that in floating point
//! loses fen and makes two runs of the same rule disagree. Every amount in the platform is therefore an
//! `i64` count of fen behind a newtype, and ratios are integer basis points (1 bp = 0.01 %).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Number of fen in one yuan.
pub const FEN_PER_YUAN: i64 = 100;

/// Basis points that make up the whole (100 %), the denominator of every ratio in the policy.
pub const BASIS_POINTS_WHOLE: u32 = 10_000;

/// An amount of renminbi in fen; serialised as a bare integer of fen so no precision is lost in JSON or TOML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(i64);

/// Why a text could not be read as an amount of yuan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyParseError {
    /// Nothing but whitespace (and perhaps the 元 sign) was given.
    #[error("金额为空")]
    Empty,
    /// The text is not a decimal number of yuan.
    #[error("金额格式不正确：{0:?}（应为如 12345.67 或 12,345.67 的元金额）")]
    Malformed(String),
    /// More than two decimals: the smallest unit is one fen.
    #[error("金额最多保留两位小数（精确到分）：{0:?}")]
    TooPrecise(String),
    /// The amount does not fit the platform's range of fen.
    #[error("金额超出可表示范围：{0:?}")]
    OutOfRange(String),
}

impl Money {
    /// Zero fen, the neutral element of sums.
    pub const ZERO: Money = Money(0);

    /// Wraps a count of fen; every `i64` is a valid amount (refunds and corrections may be negative).
    pub const fn from_fen(fen: i64) -> Self {
        Money(fen)
    }

    /// Converts whole yuan to fen; `None` when the amount would overflow `i64` fen.
    pub const fn from_yuan(yuan: i64) -> Option<Self> {
        match yuan.checked_mul(FEN_PER_YUAN) {
            Some(fen) => Some(Money(fen)),
            None => None,
        }
    }

    /// The amount as a count of fen, for storage and arithmetic at the edges.
    pub const fn fen(self) -> i64 {
        self.0
    }

    /// The amount in whole yuan, if it has no fen part (policy files state amounts in whole yuan).
    pub const fn whole_yuan(self) -> Option<i64> {
        if self.0 % FEN_PER_YUAN == 0 { Some(self.0 / FEN_PER_YUAN) } else { None }
    }

    /// True for exactly zero fen.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// True for amounts below zero (refunds, corrections), which award rules must reject.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Sum of two amounts; `None` on overflow instead of a wrapped, wrong total.
    pub const fn checked_add(self, other: Money) -> Option<Money> {
        match self.0.checked_add(other.0) {
            Some(fen) => Some(Money(fen)),
            None => None,
        }
    }

    /// Difference of two amounts; `None` on overflow.
    pub const fn checked_sub(self, other: Money) -> Option<Money> {
        match self.0.checked_sub(other.0) {
            Some(fen) => Some(Money(fen)),
            None => None,
        }
    }

    /// This amount times `basis_points` / 10 000 (5000 bp = 50 %), rounded toward zero to whole fen.
    ///
    /// Rounding toward zero means a subsidy computed as a ratio never exceeds that ratio of its base, so
    /// the platform cannot pay out a fen more than the rule allows. `None` only when the result does not
    /// fit in `i64` fen, which needs a ratio above 100 %.
    pub const fn percent_of(self, basis_points: u32) -> Option<Money> {
        let product = self.0 as i128 * basis_points as i128;
        let fen = product / BASIS_POINTS_WHOLE as i128;
        if fen > i64::MAX as i128 || fen < i64::MIN as i128 { None } else { Some(Money(fen as i64)) }
    }

    /// Reads an amount of yuan as people type it: `12345`, `12345.6`, `12,345.67`, `-8.00`, `12,345.67元`.
    ///
    /// Thousands separators must group by three, and at most two decimals are allowed, so a typo such as
    /// `1,2345` or `12.345` is refused instead of silently becoming a different amount.
    pub fn parse_yuan(text: &str) -> Result<Money, MoneyParseError> {
        let trimmed = text.trim();
        let trimmed = trimmed.strip_suffix('元').unwrap_or(trimmed).trim_end();
        if trimmed.is_empty() {
            return Err(MoneyParseError::Empty);
        }
        let malformed = || MoneyParseError::Malformed(text.to_owned());
        let (negative, unsigned) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let (integer_part, fraction_part) = match unsigned.split_once('.') {
            Some((int, frac)) => (int, Some(frac)),
            None => (unsigned, None),
        };
        let integer_digits = group_digits(integer_part).ok_or_else(malformed)?;
        let fraction_fen = match fraction_part {
            None => 0,
            Some(frac) => {
                if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(malformed());
                }
                if frac.len() > 2 {
                    return Err(MoneyParseError::TooPrecise(text.to_owned()));
                }
                let value: i128 = frac.parse().map_err(|_| malformed())?;
                if frac.len() == 1 { value * 10 } else { value }
            }
        };
        let out_of_range = || MoneyParseError::OutOfRange(text.to_owned());
        let mut yuan: i128 = 0;
        for digit in integer_digits.bytes() {
            yuan =
                yuan.checked_mul(10).and_then(|v| v.checked_add(i128::from(digit - b'0'))).ok_or_else(out_of_range)?;
        }
        let magnitude = yuan
            .checked_mul(i128::from(FEN_PER_YUAN))
            .and_then(|v| v.checked_add(fraction_fen))
            .ok_or_else(out_of_range)?;
        let fen = if negative { -magnitude } else { magnitude };
        i64::try_from(fen).map(Money).map_err(|_| out_of_range())
    }
}

/// The digits of an integer part, checking that any thousands separators group by three.
fn group_digits(integer_part: &str) -> Option<String> {
    if integer_part.is_empty() {
        return None;
    }
    let groups: Vec<&str> = integer_part.split(',').collect();
    let all_digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    if !groups.iter().all(|g| all_digits(g)) {
        return None;
    }
    if groups.len() > 1 && (groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3)) {
        return None;
    }
    Some(groups.concat())
}

impl FromStr for Money {
    type Err = MoneyParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Money::parse_yuan(text)
    }
}

/// Chinese yuan text with thousands separators and two decimals, e.g. `12,345.67元`, `-0.05元`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // unsigned_abs keeps i64::MIN printable instead of overflowing on negation.
        let magnitude = self.0.unsigned_abs();
        let yuan = magnitude / FEN_PER_YUAN as u64;
        let fen = magnitude % FEN_PER_YUAN as u64;
        let digits = yuan.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{grouped}.{fen:02}元")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (SplitMix64) so the property loops are reproducible without a crate.
    struct SplitMix(u64);

    impl SplitMix {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// Values spread over every magnitude, not only huge ones, so small and edge amounts are covered.
        fn amount(&mut self) -> i64 {
            let bits = self.next() % 64;
            let raw = self.next() >> (64 - bits.max(1));
            let value = raw as i64;
            if self.next().is_multiple_of(2) { value } else { value.wrapping_neg() }
        }
    }

    #[test]
    fn display_uses_grouping_two_decimals_and_yuan_sign() {
        assert_eq!(Money::from_fen(1_234_567).to_string(), "12,345.67元");
        assert_eq!(Money::from_fen(0).to_string(), "0.00元");
        assert_eq!(Money::from_fen(5).to_string(), "0.05元");
        assert_eq!(Money::from_fen(-5).to_string(), "-0.05元");
        assert_eq!(Money::from_fen(100_000).to_string(), "1,000.00元");
        assert_eq!(Money::from_fen(99_999).to_string(), "999.99元");
        assert_eq!(Money::from_yuan(20_000_000).map(|m| m.to_string()), Some("20,000,000.00元".to_owned()));
        assert_eq!(Money::from_fen(i64::MIN).to_string(), "-92,233,720,368,547,758.08元");
        assert_eq!(Money::from_fen(i64::MAX).to_string(), "92,233,720,368,547,758.07元");
    }

    #[test]
    fn from_yuan_is_checked() {
        assert_eq!(Money::from_yuan(100_000).map(Money::fen), Some(10_000_000));
        assert_eq!(Money::from_yuan(-3).map(Money::fen), Some(-300));
        assert_eq!(Money::from_yuan(i64::MAX / 100 + 1), None);
        assert_eq!(Money::from_yuan(i64::MIN / 100 - 1), None);
        assert!(Money::from_yuan(i64::MAX / 100).is_some());
    }

    #[test]
    fn percent_of_rounds_toward_zero() {
        let m = Money::from_fen(333);
        assert_eq!(m.percent_of(5000), Some(Money::from_fen(166)));
        assert_eq!(Money::from_fen(-333).percent_of(5000), Some(Money::from_fen(-166)));
        assert_eq!(m.percent_of(10_000), Some(m));
        assert_eq!(m.percent_of(0), Some(Money::ZERO));
        assert_eq!(Money::from_fen(i64::MAX).percent_of(20_000), None);
        assert_eq!(Money::from_fen(i64::MAX).percent_of(10_000), Some(Money::from_fen(i64::MAX)));
    }

    #[test]
    fn parse_accepts_common_forms_and_refuses_typos() {
        let ok = |s: &str| Money::parse_yuan(s).map(Money::fen);
        assert_eq!(ok("12345"), Ok(1_234_500));
        assert_eq!(ok("12345.6"), Ok(1_234_560));
        assert_eq!(ok("12,345.67"), Ok(1_234_567));
        assert_eq!(ok(" 12,345.67元 "), Ok(1_234_567));
        assert_eq!(ok("-8.05"), Ok(-805));
        assert_eq!(ok("0.01"), Ok(1));
        assert_eq!(ok(""), Err(MoneyParseError::Empty));
        assert_eq!(ok("元"), Err(MoneyParseError::Empty));
        assert!(matches!(ok("1,2345"), Err(MoneyParseError::Malformed(_))));
        assert!(matches!(ok("1234,567"), Err(MoneyParseError::Malformed(_))));
        assert!(matches!(ok("12."), Err(MoneyParseError::Malformed(_))));
        assert!(matches!(ok(".5"), Err(MoneyParseError::Malformed(_))));
        assert!(matches!(ok("12a"), Err(MoneyParseError::Malformed(_))));
        assert!(matches!(ok("+5"), Err(MoneyParseError::Malformed(_))));
        assert!(matches!(ok("12.345"), Err(MoneyParseError::TooPrecise(_))));
        assert!(matches!(ok("92233720368547758.08"), Err(MoneyParseError::OutOfRange(_))));
        assert_eq!(ok("-92,233,720,368,547,758.08"), Ok(i64::MIN));
        assert!(matches!(ok("999999999999999999999999999999999999999999"), Err(MoneyParseError::OutOfRange(_))));
    }

    #[test]
    fn serde_is_integer_fen() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Row {
            amount: Money,
        }
        let row = Row { amount: Money::from_fen(1_234_567) };
        let text = toml::to_string(&row).expect("serialise");
        assert_eq!(text.trim(), "amount = 1234567");
        let back: Row = toml::from_str(&text).expect("deserialise");
        assert_eq!(back, row);
        assert!(toml::from_str::<Row>("amount = 12.5").is_err());
        assert!(toml::from_str::<Row>("amount = \"12.50\"").is_err());
    }

    #[test]
    fn property_display_then_parse_round_trips() {
        let mut rng = SplitMix(1);
        for _ in 0..20_000 {
            let m = Money::from_fen(rng.amount());
            assert_eq!(Money::parse_yuan(&m.to_string()), Ok(m), "{m}");
            let plain = m.to_string().replace([',', '元'], "");
            assert_eq!(plain.parse::<Money>(), Ok(m), "{plain}");
        }
    }

    #[test]
    fn property_checked_arithmetic_matches_wide_integers() {
        let mut rng = SplitMix(2);
        for _ in 0..20_000 {
            let (a, b) = (rng.amount(), rng.amount());
            let (ma, mb) = (Money::from_fen(a), Money::from_fen(b));
            let sum = i128::from(a) + i128::from(b);
            let diff = i128::from(a) - i128::from(b);
            assert_eq!(ma.checked_add(mb).map(|m| i128::from(m.fen())), i64::try_from(sum).ok().map(i128::from));
            assert_eq!(ma.checked_sub(mb).map(|m| i128::from(m.fen())), i64::try_from(diff).ok().map(i128::from));
            if let Some(s) = ma.checked_add(mb) {
                assert_eq!(s.checked_sub(mb), Some(ma));
            }
        }
    }

    #[test]
    fn property_percent_of_never_exceeds_its_base_and_is_monotone() {
        let mut rng = SplitMix(3);
        for _ in 0..20_000 {
            let base = Money::from_fen(rng.amount());
            let bp = (rng.next() % u64::from(BASIS_POINTS_WHOLE + 1)) as u32;
            let part = base.percent_of(bp).expect("ratio within 100 % never overflows");
            assert!(part.fen().unsigned_abs() <= base.fen().unsigned_abs());
            assert!(part.fen().signum() * base.fen().signum() >= 0);
            // Truncation loses strictly less than one fen against the exact product.
            let exact = i128::from(base.fen()) * i128::from(bp);
            let err = exact - i128::from(part.fen()) * i128::from(BASIS_POINTS_WHOLE);
            assert!(err.abs() < i128::from(BASIS_POINTS_WHOLE));
            if base.fen() >= 0 && bp < BASIS_POINTS_WHOLE {
                let next = base.percent_of(bp + 1).expect("within range");
                assert!(next >= part);
            }
        }
    }

    #[test]
    fn property_whole_yuan_inverts_from_yuan() {
        let mut rng = SplitMix(4);
        for _ in 0..20_000 {
            let yuan = rng.amount() / FEN_PER_YUAN;
            let m = Money::from_yuan(yuan).expect("divided by 100 fits");
            assert_eq!(m.whole_yuan(), Some(yuan));
            assert_eq!(m.fen(), yuan * FEN_PER_YUAN);
            if m.fen() != i64::MAX {
                let off = Money::from_fen(m.fen() + 1);
                assert_eq!(off.whole_yuan(), None);
            }
        }
    }
}
