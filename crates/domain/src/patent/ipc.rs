//! International Patent Classification symbols (主分类号 / 分类号), e.g. `A23F3/06`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{compact, excerpt};

/// A full IPC symbol down to main group and subgroup, canonical `A23F3/06`: section letter, two class
/// digits, subclass letter, main group without leading zeros, `/`, subgroup of 2 to 6 digits.
///
/// Ordering is by text, which groups symbols by subclass but does not follow the scheme's numeric order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct IpcCode(String);

/// Why a text is not an IPC symbol; the Display is the message users see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IpcError {
    /// Nothing but spaces.
    #[error("IPC分类号为空：请填写如 A23F3/06 的分类号")]
    Empty,
    /// Not shaped like a symbol at all, or stops at the subclass.
    #[error(
        "IPC分类号“{input}”格式不对：应为部、大类、小类加大组/小组，如 A23F3/06（也接受 A23F 3/06 或 A23F0003060000）"
    )]
    Format {
        /// The value as typed (shortened when long).
        input: String,
    },
    /// The first letter is not one of the eight sections.
    #[error("IPC分类号“{input}”的部“{ch}”无效：部应为 A 至 H 之间的字母")]
    Section {
        /// The value as typed (shortened when long).
        input: String,
        /// The section letter found.
        ch: char,
    },
    /// The main group is missing, too long or zero.
    #[error("IPC分类号“{input}”的大组“{group}”无效：大组应为1至4位数字且不为0，如 A23F3/06 中的 3")]
    MainGroup {
        /// The value as typed (shortened when long).
        input: String,
        /// The main group text found.
        group: String,
    },
    /// The subgroup is not 2 to 6 digits.
    #[error("IPC分类号“{input}”的小组“{subgroup}”无效：小组应为2至6位数字，如 A23F3/06 中的 06")]
    Subgroup {
        /// The value as typed (shortened when long).
        input: String,
        /// The subgroup text found.
        subgroup: String,
    },
}

impl IpcCode {
    /// Parses user input: spaces and full-width characters are folded and letters upper-cased. Accepts the
    /// printed forms `A23F3/06` and `A23F 3/06` and WIPO's 14-character form `A23F0003060000` (4-digit main
    /// group and 6-digit subgroup, zero-padded).
    ///
    /// Subgroup digits read as a decimal fraction (`/06` sorts before `/061`), so zeros after the second digit
    /// carry no meaning and are dropped: that is how the padded 14-character form maps back to `3/06`, and
    /// `3/060` is the same symbol.
    pub fn parse(input: &str) -> Result<Self, IpcError> {
        let mut normalised = compact(input).to_ascii_uppercase();
        // Some databases append the scheme version the symbol was assigned under: `G06F16/33(2019.01)`.
        if let Some(open) = normalised.find('(').filter(|_| normalised.ends_with(')')) {
            normalised.truncate(open);
        }
        if normalised.is_empty() {
            return Err(IpcError::Empty);
        }
        let format_error = || IpcError::Format { input: excerpt(input) };
        let first = normalised.chars().next().unwrap_or(' ');
        if first.is_ascii_uppercase() && !('A'..='H').contains(&first) {
            return Err(IpcError::Section { input: excerpt(input), ch: first });
        }
        if !normalised.is_ascii() {
            return Err(format_error());
        }
        // ASCII from here on, so byte slicing cannot split a character.
        let (Some(subclass), Some(rest)) = (normalised.get(..4), normalised.get(4..)) else {
            return Err(format_error());
        };
        let sb = subclass.as_bytes();
        let subclass_ok = sb.len() == 4
            && sb.first().is_some_and(|b| (b'A'..=b'H').contains(b))
            && sb.get(1..3).is_some_and(|d| d.iter().all(u8::is_ascii_digit))
            && sb.get(3).is_some_and(u8::is_ascii_uppercase);
        if !subclass_ok {
            return Err(format_error());
        }
        let (group, subgroup) = match rest.split_once('/') {
            Some(parts) => parts,
            None if rest.len() == 10 && rest.bytes().all(|b| b.is_ascii_digit()) => rest.split_at(4),
            None => return Err(format_error()),
        };
        let group_trimmed = group.trim_start_matches('0');
        if group.is_empty() || group.len() > 4 || group_trimmed.is_empty() || !group.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(IpcError::MainGroup { input: excerpt(input), group: group.to_owned() });
        }
        if !(2..=6).contains(&subgroup.len()) || !subgroup.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IpcError::Subgroup { input: excerpt(input), subgroup: excerpt(subgroup) });
        }
        let significant = subgroup.trim_end_matches('0');
        let subgroup = if significant.len() >= 2 { significant } else { subgroup.get(..2).unwrap_or(subgroup) };
        Ok(Self(format!("{subclass}{group_trimmed}/{subgroup}")))
    }

    /// The canonical text, e.g. `A23F3/06`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Section letter A–H, e.g. `A`.
    pub fn section(&self) -> char {
        self.0.chars().next().unwrap_or('A')
    }

    /// Class, e.g. `A23`.
    pub fn class(&self) -> &str {
        self.0.get(..3).unwrap_or_default()
    }

    /// Subclass, e.g. `A23F`.
    pub fn subclass(&self) -> &str {
        self.0.get(..4).unwrap_or_default()
    }

    /// Main group the symbol belongs to, e.g. `A23F3/00` for `A23F3/06` (itself when the subgroup is `00`).
    pub fn main_group(&self) -> String {
        let group = self.0.split_once('/').map_or(self.0.as_str(), |(group, _)| group);
        format!("{group}/00")
    }

    /// Subgroup digits after the slash, e.g. `06`.
    pub fn subgroup(&self) -> &str {
        self.0.split_once('/').map_or("", |(_, subgroup)| subgroup)
    }

    /// Whether the symbol is a main group itself (subgroup `00`).
    pub fn is_main_group(&self) -> bool {
        self.subgroup() == "00"
    }

    /// Every level from the section down to the symbol itself, without duplicates, so a search index can
    /// match a query at any level: `A`, `A23`, `A23F`, `A23F3/00`, `A23F3/06`.
    pub fn prefixes(&self) -> Vec<String> {
        let mut levels =
            vec![self.section().to_string(), self.class().to_owned(), self.subclass().to_owned(), self.main_group()];
        if !self.is_main_group() {
            levels.push(self.0.clone());
        }
        levels
    }
}

impl FromStr for IpcCode {
    type Err = IpcError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl<'de> Deserialize<'de> for IpcCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for IpcCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Lcg;
    use super::*;

    fn parse(s: &str) -> IpcCode {
        IpcCode::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn accepts_printed_spaced_and_wipo_forms() {
        for raw in [
            "A23F3/06",
            "A23F 3/06",
            " a23f  3 / 06 ",
            "A23F0003060000",
            "Ａ２３Ｆ３／０６",
            "A23F3/06(2006.01)",
            "A23F 3/06 （2006.01）",
            "A23F03/06",
            "A23F3/060",
        ] {
            assert_eq!(parse(raw).as_str(), "A23F3/06", "{raw}");
        }
        assert_eq!(parse("G06F0018232100").as_str(), "G06F18/2321");
        assert_eq!(parse("A01B0001000000").as_str(), "A01B1/00");
        assert_eq!(parse("B64U0101300000").as_str(), "B64U101/30");
        assert_eq!(parse("H04L0043020000").as_str(), "H04L43/02");
        assert_eq!(parse("G01N33/57484").as_str(), "G01N33/57484");
        assert_eq!(parse("G06F16/901").as_str(), "G06F16/901");
    }

    #[test]
    fn sample_codes_parse_and_round_trip() {
        // 分类号 values from the fullschema sample.
        for raw in "B64U20/80;B64U101/30;H04N5/225;G07C1/20;E01H1/00;G06F40/289;G01S19/14".split(';') {
            let code = parse(raw);
            assert_eq!(code.as_str(), raw);
            assert_eq!(parse(&code.to_string()), code);
            let de = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(raw);
            assert_eq!(IpcCode::deserialize(de).unwrap(), code);
        }
    }

    #[test]
    fn levels() {
        let code = parse("A23F3/06");
        assert_eq!(code.section(), 'A');
        assert_eq!(code.class(), "A23");
        assert_eq!(code.subclass(), "A23F");
        assert_eq!(code.main_group(), "A23F3/00");
        assert_eq!(code.subgroup(), "06");
        assert_eq!(code.prefixes(), ["A", "A23", "A23F", "A23F3/00", "A23F3/06"]);
        let main = parse("A01B1/00");
        assert!(main.is_main_group());
        assert_eq!(main.main_group(), "A01B1/00");
        assert_eq!(main.prefixes(), ["A", "A01", "A01B", "A01B1/00"]);
    }

    #[test]
    fn rejects_what_is_not_a_full_symbol() {
        assert_eq!(IpcCode::parse("  "), Err(IpcError::Empty));
        for raw in ["A23", "A23F", "A23F3", "23F3/06", "AA3F3/06", "A2FF3/06", "A23F0003", "发明", "(2006.01)A23F3/06"]
        {
            assert!(matches!(IpcCode::parse(raw), Err(IpcError::Format { .. })), "{raw}");
        }
        assert!(matches!(IpcCode::parse("Z01B1/00"), Err(IpcError::Section { ch: 'Z', .. })));
        for raw in ["A23F/06", "A23F0/06", "A23F12345/06", "A23FX/06"] {
            assert!(matches!(IpcCode::parse(raw), Err(IpcError::MainGroup { .. })), "{raw}");
        }
        for raw in ["A23F3/6", "A23F3/", "A23F3/1234567", "A23F3/0X", "A23F3/06/1", "A23F3/06(2006.01"] {
            assert!(matches!(IpcCode::parse(raw), Err(IpcError::Subgroup { .. })), "{raw}");
        }
        assert_eq!(
            IpcCode::parse("A23F3/6").unwrap_err().to_string(),
            "IPC分类号“A23F3/6”的小组“6”无效：小组应为2至6位数字，如 A23F3/06 中的 06"
        );
        assert_eq!(
            IpcCode::parse("A23").unwrap_err().to_string(),
            "IPC分类号“A23”格式不对：应为部、大类、小类加大组/小组，如 A23F3/06（也接受 A23F 3/06 或 A23F0003060000）"
        );
    }

    #[test]
    fn arbitrary_short_strings_never_panic() {
        for s in Lcg(3).strings(30_000, 16, "AHZaf0123456789/ ．／０Ａ专é") {
            if let Ok(code) = IpcCode::parse(&s) {
                assert_eq!(IpcCode::parse(code.as_str()).as_ref(), Ok(&code));
                assert!(!code.prefixes().is_empty());
            }
        }
    }
}
