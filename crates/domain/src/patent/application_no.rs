//! Chinese patent application number (申请号) with its check character.
//!
//! Two forms are in use. Since 2003-10-01: `YYYY T NNNNNNN . C` (year, type digit, 7-digit serial, check),
//! e.g. `202310605823.6`. Before that: `YY T NNNNN . C`, e.g. `97101765.4`. Old numbers stay in use for as
//! long as their patents live, so both are accepted; the form is told apart by the number of digits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{PatentType, compact, excerpt};

/// Weights of the 12 digits of the current form; the check is their weighted sum mod 11, 10 written `X`.
const WEIGHTS_12: [u32; 12] = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
/// Weights of the 8 digits of the pre-2003 form.
const WEIGHTS_8: [u32; 8] = [2, 3, 4, 5, 6, 7, 8, 9];
/// First year of the 12-digit form (introduced 2003-10-01).
const FIRST_YEAR_12: u16 = 2003;
/// Last year accepted: far enough ahead never to reject a real number, close enough to catch typos.
const LAST_YEAR_12: u16 = 2100;
/// First year of Chinese patent applications (Patent Law in force 1985-04-01).
const FIRST_YEAR_8: u16 = 1985;
/// Last year of the 8-digit form.
const LAST_YEAR_8: u16 = 2003;
/// Type digits CNIPA assigns in both forms: 1 invention, 2 utility model, 3 design, 8 PCT invention,
/// 9 PCT utility model. The PCT digits also occur in 8-digit numbers (China joined the PCT in 1994),
/// e.g. 98808123.7, so they are not restricted to the new form.
const TYPE_DIGITS: [u8; 5] = [1, 2, 3, 8, 9];
/// A valid number quoted in messages as the expected shape (a real one, so a user who copies it sees it pass).
const EXAMPLE: &str = "202310605823.6";

/// A validated application number in canonical form: digits, a dot and the check character (`202310605823.6`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ApplicationNo(String);

/// Why a text is not an application number; the Display is the message users see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplicationNoError {
    /// Nothing but spaces.
    #[error("申请号为空：请填写申请号，如 {EXAMPLE}")]
    Empty,
    /// A character that cannot be part of an application number (or an `X` before the last place).
    #[error(
        "申请号“{input}”含有不允许的字符“{ch}”：申请号只能由数字组成，最后的校验位可以是数字或 X，前面可带 CN 或 ZL"
    )]
    Character {
        /// The value as typed (shortened when long).
        input: String,
        /// The offending character, after full-width folding.
        ch: char,
    },
    /// More than one dot, or a dot that is not followed by exactly one check character.
    #[error("申请号“{input}”的小数点位置不对：小数点后应只有1位校验位，如 {EXAMPLE}")]
    Dot {
        /// The value as typed (shortened when long).
        input: String,
    },
    /// Neither 12 nor 8 digits before the check character.
    #[error(
        "申请号“{input}”长度不对：应为12位数字加1位校验位（如 {EXAMPLE}），2003年10月前的旧申请号为8位数字加1位校验位（如 97101765.4）"
    )]
    Length {
        /// The value as typed (shortened when long).
        input: String,
    },
    /// The year part is outside the years the form was in use.
    #[error("申请号“{input}”的申请年份{year}不合理：{expected}")]
    Year {
        /// The value as typed (shortened when long).
        input: String,
        /// The year read from the number (four digits).
        year: u16,
        /// Which years the form allows, in words.
        expected: &'static str,
    },
    /// The type digit is not one CNIPA assigns.
    #[error(
        "申请号“{input}”第{position}位的申请种类“{digit}”无效：应为1（发明）、2（实用新型）、3（外观设计）、8（PCT发明）或9（PCT实用新型）"
    )]
    TypeDigit {
        /// The value as typed (shortened when long).
        input: String,
        /// Position of the type digit among the digits (5 in the 12-digit form, 3 in the 8-digit form).
        position: u8,
        /// The digit found.
        digit: u8,
    },
    /// The check character does not match the digits: usually a typing error in one digit.
    #[error("申请号“{input}”校验位错误：应为“{expected}”，实际为“{actual}”")]
    Check {
        /// The value as typed (shortened when long).
        input: String,
        /// The check character the digits call for.
        expected: char,
        /// The check character given.
        actual: char,
    },
    /// `from_parts` was given a serial number with too many digits for the form of that year.
    #[error("申请流水号{serial}超出范围：{year}年的申请号流水号最多{digits}位数字")]
    Serial {
        /// The filing year asked for.
        year: u16,
        /// The serial asked for.
        serial: u32,
        /// How many serial digits the form of that year has.
        digits: u8,
    },
}

/// The check character for `digits` under `weights`.
fn check_char(digits: &[u8], weights: &[u32]) -> char {
    let sum: u32 = digits.iter().zip(weights).map(|(&d, &w)| u32::from(d) * w).sum();
    match sum % 11 {
        10 => 'X',
        // Always below 10 here, so the digit exists.
        n => char::from_digit(n, 10).unwrap_or('X'),
    }
}

impl ApplicationNo {
    /// Parses user input: an optional `CN`/`ZL` prefix, spaces, full-width characters, lower-case `x` and a
    /// missing dot are accepted; the year, type digit and check character are verified.
    pub fn parse(input: &str) -> Result<Self, ApplicationNoError> {
        let normalised = compact(input).to_ascii_uppercase();
        if normalised.is_empty() {
            return Err(ApplicationNoError::Empty);
        }
        let quoted = || excerpt(input);
        let rest = normalised.strip_prefix("CN").or_else(|| normalised.strip_prefix("ZL")).unwrap_or(&normalised);
        if let Some(ch) = rest.chars().find(|c| !(c.is_ascii_digit() || *c == '.' || *c == 'X')) {
            return Err(ApplicationNoError::Character { input: quoted(), ch });
        }
        // Only ASCII is left, so byte positions are character positions.
        let (body, check) = match rest.split_once('.') {
            Some((body, check)) if check.len() == 1 && check != "." => (body, check),
            Some(_) => return Err(ApplicationNoError::Dot { input: quoted() }),
            None if rest.len() >= 2 => rest.split_at(rest.len() - 1),
            None => return Err(ApplicationNoError::Length { input: quoted() }),
        };
        if body.contains('X') {
            return Err(ApplicationNoError::Character { input: quoted(), ch: 'X' });
        }
        let actual = check.chars().next().unwrap_or(' ');
        let digits: Vec<u8> = body.bytes().map(|b| b.wrapping_sub(b'0')).collect();
        let (weights, type_position): (&[u32], usize) = match digits.len() {
            12 => {
                let year = digits_value(body.as_bytes().get(..4)) as u16;
                if !(FIRST_YEAR_12..=LAST_YEAR_12).contains(&year) {
                    let expected = "12位申请号的前4位应为2003年至2100年之间的申请年份";
                    return Err(ApplicationNoError::Year { input: quoted(), year, expected });
                }
                (&WEIGHTS_12, 4)
            }
            8 => {
                let year = legacy_year(digits_value(body.as_bytes().get(..2)) as u16);
                if !(FIRST_YEAR_8..=LAST_YEAR_8).contains(&year) {
                    let expected = "8位旧申请号的前2位应为85至99或00至03（1985年至2003年）";
                    return Err(ApplicationNoError::Year { input: quoted(), year, expected });
                }
                (&WEIGHTS_8, 2)
            }
            _ => return Err(ApplicationNoError::Length { input: quoted() }),
        };
        let digit = digits.get(type_position).copied().unwrap_or(0);
        if !TYPE_DIGITS.contains(&digit) {
            let position = (type_position + 1) as u8;
            return Err(ApplicationNoError::TypeDigit { input: quoted(), position, digit });
        }
        let expected = check_char(&digits, weights);
        if expected != actual {
            return Err(ApplicationNoError::Check { input: quoted(), expected, actual });
        }
        Ok(Self(format!("{body}.{expected}")))
    }

    /// Builds the number CNIPA would give the `serial`-th application of `type_digit` in `year`, computing
    /// the check character; the 12-digit form from 2003 on, the 8-digit form for 1985–2002. Used by the demo
    /// and benchmark data generators.
    pub fn from_parts(year: u16, type_digit: u8, serial: u32) -> Result<Self, ApplicationNoError> {
        let (body, digits) = if (FIRST_YEAR_12..=LAST_YEAR_12).contains(&year) {
            (format!("{year:04}{type_digit}{serial:07}"), 7)
        } else if (FIRST_YEAR_8..LAST_YEAR_8).contains(&year) {
            (format!("{:02}{type_digit}{serial:05}", year % 100), 5)
        } else {
            let input = format!("{year}{type_digit}{serial:07}");
            let expected = "申请年份应在1985年至2100年之间";
            return Err(ApplicationNoError::Year { input, year, expected });
        };
        if serial >= 10u32.pow(digits) {
            return Err(ApplicationNoError::Serial { year, serial, digits: digits as u8 });
        }
        if !TYPE_DIGITS.contains(&type_digit) {
            let position = if digits == 7 { 5 } else { 3 };
            return Err(ApplicationNoError::TypeDigit { input: body, position, digit: type_digit });
        }
        let weights: &[u32] = if digits == 7 { &WEIGHTS_12 } else { &WEIGHTS_8 };
        let values: Vec<u8> = body.bytes().map(|b| b.wrapping_sub(b'0')).collect();
        let check = check_char(&values, weights);
        Ok(Self(format!("{body}.{check}")))
    }

    /// The canonical text, e.g. `202310605823.6`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a pre-2003 8-digit number.
    pub fn is_legacy(&self) -> bool {
        // Canonical form: 8 digits + dot + check = 10 characters; the current form has 14.
        self.0.len() == 10
    }

    /// The type digit: 1 invention, 2 utility model, 3 design, 8 PCT invention, 9 PCT utility model.
    pub fn type_digit(&self) -> u8 {
        let position = if self.is_legacy() { 2 } else { 4 };
        self.0.as_bytes().get(position).map_or(0, |b| b.wrapping_sub(b'0'))
    }

    /// The kind of patent the type digit denotes (PCT national-phase entries count as their kind).
    pub fn patent_type(&self) -> PatentType {
        match self.type_digit() {
            2 | 9 => PatentType::UtilityModel,
            3 => PatentType::Design,
            _ => PatentType::Invention,
        }
    }

    /// The filing year the number encodes (four digits, also for the 8-digit form).
    pub fn filing_year(&self) -> u16 {
        let bytes = self.0.as_bytes();
        if self.is_legacy() {
            legacy_year(digits_value(bytes.get(..2)) as u16)
        } else {
            digits_value(bytes.get(..4)) as u16
        }
    }

    /// The serial number within the year and type.
    pub fn serial(&self) -> u32 {
        let bytes = self.0.as_bytes();
        if self.is_legacy() { digits_value(bytes.get(3..8)) } else { digits_value(bytes.get(5..12)) }
    }

    /// Whether the application entered China through the PCT (type digit 8 or 9).
    pub fn is_pct(&self) -> bool {
        matches!(self.type_digit(), 8 | 9)
    }
}

/// Four-digit year from the two digits of an 8-digit number: 85–99 are 1985–1999, the rest 2000 on.
fn legacy_year(two_digits: u16) -> u16 {
    if two_digits >= 85 { 1900 + two_digits } else { 2000 + two_digits }
}

/// Value of a few ASCII digit characters (at most 7, so no overflow); `0` for `None`.
fn digits_value(bytes: Option<&[u8]>) -> u32 {
    bytes
        .unwrap_or_default()
        .iter()
        .fold(0u32, |acc, b| acc.saturating_mul(10).saturating_add(u32::from(b.wrapping_sub(b'0'))))
}

impl FromStr for ApplicationNo {
    type Err = ApplicationNoError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl<'de> Deserialize<'de> for ApplicationNo {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for ApplicationNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Lcg;
    use super::*;

    /// Application numbers copied from `data/cn_patents_fullschema_sample/patents.jsonl` (all ten records).
    const SAMPLE: [&str; 10] = [
        "CN202223220665.2",
        "CN202122975192.6",
        "CN202121635235.X",
        "CN202121635426.6",
        "CN202121741650.3",
        "CN202121762003.0",
        "CN202121751980.0",
        "CN202211740332.4",
        "CN202310605823.6",
        "CN202211359874.7",
    ];

    fn parse(s: &str) -> ApplicationNo {
        ApplicationNo::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn every_number_of_the_sample_parses() {
        for raw in SAMPLE {
            let no = parse(raw);
            assert_eq!(no.as_str(), &raw[2..]);
        }
        let no = parse("CN202223220665.2");
        assert_eq!(no.type_digit(), 2);
        assert_eq!(no.patent_type(), PatentType::UtilityModel);
        assert_eq!(no.filing_year(), 2022);
        assert_eq!(no.serial(), 3_220_665);
        assert!(!no.is_pct());
        assert!(!no.is_legacy());
        assert_eq!(parse("CN202211740332.4").patent_type(), PatentType::Invention);
        assert_eq!(parse("CN202121635235.X").as_str(), "202121635235.X");
    }

    #[test]
    fn accepts_the_usual_spellings() {
        for raw in [
            "202121635235.X",
            "202121635235.x",
            "202121635235X",
            "cn202121635235x",
            "ZL202121635235.X",
            "zl 2021 2 1635235.X",
            "CN 2021 2 1635235 . X",
            "  202121635235.X\t",
            "ＣＮ２０２１２１６３５２３５．Ｘ",
            "２０２１\u{3000}２\u{3000}１６３５２３５．ｘ",
        ] {
            assert_eq!(parse(raw).as_str(), "202121635235.X", "{raw}");
        }
    }

    #[test]
    fn round_trips_through_text_and_serde() {
        for raw in SAMPLE {
            let no = parse(raw);
            assert_eq!(parse(no.as_str()), no);
            assert_eq!(no.to_string().parse::<ApplicationNo>(), Ok(no.clone()));
            let de = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(raw);
            assert_eq!(ApplicationNo::deserialize(de).unwrap(), no);
        }
        #[derive(Serialize, Deserialize)]
        struct Row {
            no: ApplicationNo,
        }
        let row: Row = toml::from_str("no = \"ZL 2023 1 0605823.6\"").unwrap();
        assert_eq!(toml::to_string(&row).unwrap().trim(), "no = \"202310605823.6\"");
        let bad = toml::from_str::<Row>("no = \"202310605823.5\"");
        assert!(bad.is_err());
    }

    #[test]
    fn every_single_digit_substitution_is_caught() {
        // Weights 2..9 are non-zero mod the prime 11, so changing one digit always changes the sum mod 11.
        for raw in SAMPLE.iter().copied().chain(["97101765.4", "95115608.X", "01123456.3"]) {
            let good = parse(raw).as_str().to_owned();
            for (pos, original) in good.char_indices() {
                let alternatives: &[char] = match original {
                    '.' => continue,
                    _ if pos + 1 == good.len() => &['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X'],
                    _ => &['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
                };
                for &alt in alternatives.iter().filter(|&&alt| alt != original) {
                    let mut changed = good.clone();
                    changed.replace_range(pos..pos + 1, &alt.to_string());
                    assert!(ApplicationNo::parse(&changed).is_err(), "{changed} should fail");
                }
            }
        }
    }

    #[test]
    fn pre_2003_numbers() {
        // 97101765.4 and 95115608.X are published examples of the old form; the others are computed.
        for (raw, year, digit) in [
            ("97101765.4", 1997, 1),
            ("ZL95115608.X", 1995, 1),
            ("90101673.X", 1990, 1),
            ("01123456.3", 2001, 1),
            ("02300123.2", 2002, 3),
            ("98808123.7", 1998, 8),
            ("85100001.0", 1985, 1),
        ] {
            let no = parse(raw);
            assert!(no.is_legacy());
            assert_eq!(no.filing_year(), year, "{raw}");
            assert_eq!(no.type_digit(), digit, "{raw}");
        }
        assert_eq!(parse("97101765.4").serial(), 1765);
        assert!(parse("98808123.7").is_pct());
        assert_eq!(parse("02300123.2").patent_type(), PatentType::Design);
    }

    #[test]
    fn from_parts_computes_the_check_character() {
        let no = ApplicationNo::from_parts(2023, 1, 605_823).unwrap();
        assert_eq!(no.as_str(), "202310605823.6");
        assert_eq!(ApplicationNo::from_parts(2021, 2, 1_635_235).unwrap().as_str(), "202121635235.X");
        assert_eq!(ApplicationNo::from_parts(1997, 1, 1765).unwrap().as_str(), "97101765.4");
        for (year, digit, serial) in [(2024, 8, 1), (2003, 9, 9_999_999), (1994, 3, 99_999)] {
            let no = ApplicationNo::from_parts(year, digit, serial).unwrap();
            assert_eq!(parse(no.as_str()), no);
            assert_eq!((no.filing_year(), no.type_digit(), no.serial()), (year, digit, serial));
        }
        assert!(matches!(ApplicationNo::from_parts(1984, 1, 1), Err(ApplicationNoError::Year { .. })));
        assert!(matches!(ApplicationNo::from_parts(2023, 4, 1), Err(ApplicationNoError::TypeDigit { .. })));
        assert!(matches!(
            ApplicationNo::from_parts(2023, 1, 10_000_000),
            Err(ApplicationNoError::Serial { digits: 7, .. })
        ));
        assert!(matches!(
            ApplicationNo::from_parts(1999, 1, 100_000),
            Err(ApplicationNoError::Serial { digits: 5, .. })
        ));
    }

    #[test]
    fn errors_name_the_value_and_the_fix() {
        let cases = [
            ("", "申请号为空：请填写申请号，如 202310605823.6"),
            ("CN202310605823.5", "申请号“CN202310605823.5”校验位错误：应为“6”，实际为“5”"),
            (
                "20231060582.6",
                "申请号“20231060582.6”长度不对：应为12位数字加1位校验位（如 202310605823.6），2003年10月前的旧申请号为8位数字加1位校验位（如 97101765.4）",
            ),
            (
                "202340605823.6",
                "申请号“202340605823.6”第5位的申请种类“4”无效：应为1（发明）、2（实用新型）、3（外观设计）、8（PCT发明）或9（PCT实用新型）",
            ),
            (
                "199910605823.6",
                "申请号“199910605823.6”的申请年份1999不合理：12位申请号的前4位应为2003年至2100年之间的申请年份",
            ),
            (
                "US2023106058.6",
                "申请号“US2023106058.6”含有不允许的字符“U”：申请号只能由数字组成，最后的校验位可以是数字或 X，前面可带 CN 或 ZL",
            ),
            ("2023106058.23.6", "申请号“2023106058.23.6”的小数点位置不对：小数点后应只有1位校验位，如 202310605823.6"),
        ];
        for (input, message) in cases {
            assert_eq!(ApplicationNo::parse(input).unwrap_err().to_string(), message);
        }
        assert!(matches!(ApplicationNo::parse("   "), Err(ApplicationNoError::Empty)));
        assert!(matches!(ApplicationNo::parse("CN"), Err(ApplicationNoError::Length { .. })));
        assert!(matches!(ApplicationNo::parse("2023X0605823.6"), Err(ApplicationNoError::Character { ch: 'X', .. })));
        assert!(matches!(ApplicationNo::parse("80101765.4"), Err(ApplicationNoError::Year { year: 2080, .. })));
        assert!(matches!(ApplicationNo::parse("97401765.4"), Err(ApplicationNoError::TypeDigit { position: 3, .. })));
        assert!(matches!(ApplicationNo::parse("202310605823."), Err(ApplicationNoError::Dot { .. })));
    }

    #[test]
    fn arbitrary_short_strings_never_panic() {
        let alphabet = "0123456789XxCNZLcnzl. -/年月日．０１２９Ｘ\u{3000}é专(（;";
        for s in Lcg(7).strings(50_000, 20, alphabet) {
            if let Ok(no) = ApplicationNo::parse(&s) {
                // Whatever parses is canonical and stable.
                assert_eq!(ApplicationNo::parse(no.as_str()).as_ref(), Ok(&no));
                let _ = (no.patent_type(), no.filing_year(), no.serial(), no.is_pct());
            }
        }
    }

    #[test]
    fn mutated_valid_numbers_never_panic() {
        let noise: Vec<char> = "0123456789X.xC Ｘ．０专".chars().collect();
        let mut rng = Lcg(23);
        for round in 0..30_000 {
            let mut chars: Vec<char> = SAMPLE[round % SAMPLE.len()].chars().collect();
            for _ in 0..=rng.below(3) {
                let at = rng.below(chars.len() + 1);
                let c = noise[rng.below(noise.len())];
                match rng.below(3) {
                    0 => chars.insert(at, c),
                    1 if at < chars.len() => {
                        chars.remove(at);
                    }
                    _ if at < chars.len() => chars[at] = c,
                    _ => chars.push(c),
                }
            }
            let s: String = chars.into_iter().collect();
            if let Ok(no) = ApplicationNo::parse(&s) {
                assert_eq!(ApplicationNo::parse(no.as_str()).as_ref(), Ok(&no));
            }
        }
    }

    #[test]
    fn generated_numbers_parse_and_keep_their_parts() {
        let mut rng = Lcg(11);
        for _ in 0..10_000 {
            let year = 1985 + rng.below(116) as u16;
            let digit = TYPE_DIGITS[rng.below(TYPE_DIGITS.len())];
            let serial = rng.below(if year < 2003 { 100_000 } else { 10_000_000 }) as u32;
            let no = ApplicationNo::from_parts(year, digit, serial).unwrap();
            let spaced: String = no.as_str().chars().flat_map(|c| [c, ' ']).collect();
            assert_eq!(parse(&format!("cn{spaced}")), no);
            assert_eq!((no.filing_year(), no.type_digit(), no.serial()), (year, digit, serial));
        }
    }
}
