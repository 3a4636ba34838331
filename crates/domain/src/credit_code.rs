//! Unified social credit code (统一社会信用代码, GB 32100-2015).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The 31 characters a credit code may use (no I, O, S, V, Z), in the order that gives each its value.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Position weights of the first 17 characters (3^i mod 31).
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// A validated 18-character unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct CreditCode(String);

/// Why a text is not a credit code; the Display is the message users see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    /// Wrong number of characters after trimming.
    #[error("统一社会信用代码应为18位，实际为{0}位")]
    Length(usize),
    /// A character outside the GB 32100 alphabet.
    #[error("统一社会信用代码第{position}位“{ch}”不是允许的字符（数字或除 I、O、S、V、Z 外的大写字母）")]
    Character { position: usize, ch: char },
    /// The 18th character does not match the computed check character.
    #[error("统一社会信用代码校验位错误：第18位应为“{expected}”，实际为“{actual}”")]
    Check { expected: char, actual: char },
}

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

impl CreditCode {
    /// Parses user input: trims spaces, folds full-width characters and lower case, checks the alphabet
    /// and the check character.
    pub fn parse(input: &str) -> Result<Self, CreditCodeError> {
        let normalised: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
            .map(fold_full_width)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let count = normalised.chars().count();
        if count != 18 {
            return Err(CreditCodeError::Length(count));
        }
        let bytes = normalised.as_bytes();
        let mut sum = 0u32;
        for (i, ch) in normalised.chars().enumerate() {
            let v = if ch.is_ascii() { value_of(ch as u8) } else { None };
            let Some(v) = v else {
                return Err(CreditCodeError::Character { position: i + 1, ch });
            };
            if i < 17 {
                sum += v * WEIGHTS[i];
            }
        }
        let expected = ALPHABET[((31 - sum % 31) % 31) as usize] as char;
        let actual = bytes[17] as char;
        if expected != actual {
            return Err(CreditCodeError::Check { expected, actual });
        }
        Ok(Self(normalised))
    }

    /// Computes the check character for 17 leading characters; used to make valid demo codes.
    pub fn with_check(first17: &str) -> Result<Self, CreditCodeError> {
        let mut sum = 0u32;
        for (i, ch) in first17.chars().enumerate() {
            let v = if ch.is_ascii() && i < 17 { value_of(ch as u8) } else { None };
            let Some(v) = v else {
                return Err(CreditCodeError::Character { position: i + 1, ch });
            };
            sum += v * WEIGHTS[i];
        }
        if first17.chars().count() != 17 {
            return Err(CreditCodeError::Length(first17.chars().count() + 1));
        }
        let check = ALPHABET[((31 - sum % 31) % 31) as usize] as char;
        Self::parse(&format!("{first17}{check}"))
    }

    /// The canonical 18-character text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for CreditCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Maps full-width ASCII variants (Ａ, ０) to their half-width forms; Chinese spreadsheets often hold them.
pub fn fold_full_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_published_examples() {
        for code in ["914403001922038216", "91440300708461136T"] {
            assert_eq!(CreditCode::parse(code).unwrap().as_str(), code);
        }
    }

    #[test]
    fn normalises_spaces_case_and_full_width() {
        let c = CreditCode::parse(" ９１４４０３００７０８４６１１３６ｔ ").unwrap();
        assert_eq!(c.as_str(), "91440300708461136T");
    }

    #[test]
    fn rejects_wrong_check_character() {
        assert_eq!(CreditCode::parse("914403001922038217"), Err(CreditCodeError::Check { expected: '6', actual: '7' }));
    }

    #[test]
    fn rejects_length_and_alphabet() {
        assert_eq!(CreditCode::parse("91440300"), Err(CreditCodeError::Length(8)));
        assert!(matches!(
            CreditCode::parse("9144030019220382I6"),
            Err(CreditCodeError::Character { position: 17, ch: 'I' })
        ));
    }

    #[test]
    fn every_single_character_change_is_detected() {
        // Mod-31 weights with 31 prime detect every single substitution; check it exhaustively.
        let good = "91440300708461136T";
        for pos in 0..18 {
            for &alt in ALPHABET.iter() {
                let mut bytes = good.as_bytes().to_vec();
                if bytes[pos] == alt {
                    continue;
                }
                bytes[pos] = alt;
                let s = String::from_utf8(bytes).unwrap();
                assert!(CreditCode::parse(&s).is_err(), "{s} should fail");
            }
        }
    }

    #[test]
    fn with_check_round_trips() {
        let c = CreditCode::with_check("91610900MA70A0001").unwrap();
        assert_eq!(CreditCode::parse(c.as_str()).unwrap(), c);
        assert!(c.as_str().starts_with("91610900MA70A0001"));
    }

    #[test]
    fn the_error_message_is_chinese_and_precise() {
        let e = CreditCode::parse("914403001922038217").unwrap_err();
        assert_eq!(e.to_string(), "统一社会信用代码校验位错误：第18位应为“6”，实际为“7”");
    }
}
