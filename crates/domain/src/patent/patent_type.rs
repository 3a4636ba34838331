//! The three kinds of Chinese patent (专利类型).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::org::UnknownCode;

/// 发明 / 实用新型 / 外观设计.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatentType {
    /// 发明: 20-year term, substantive examination.
    Invention,
    /// 实用新型: 10-year term, preliminary examination only.
    UtilityModel,
    /// 外观设计: 15-year term (10 before 2021-06-01).
    Design,
}

impl PatentType {
    /// Every type, in the order forms list them.
    pub const ALL: [PatentType; 3] = [PatentType::Invention, PatentType::UtilityModel, PatentType::Design];

    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            PatentType::Invention => "invention",
            PatentType::UtilityModel => "utility_model",
            PatentType::Design => "design",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            PatentType::Invention => "发明",
            PatentType::UtilityModel => "实用新型",
            PatentType::Design => "外观设计",
        }
    }

    /// Reads the type column of CNIPA exports and commercial databases (发明公开, 实用新型, 外观, "utility
    /// model", …). A `;`-separated list such as "发明公开;发明授权" names the stages one invention went
    /// through, so it is accepted when every item names the same type; `None` when unknown or contradictory.
    pub fn from_label(text: &str) -> Option<Self> {
        let folded: String = text.chars().map(crate::credit_code::fold_full_width).collect();
        let mut found = None;
        for item in folded.split(';').map(str::trim).filter(|item| !item.is_empty()) {
            let kind = Self::from_single_label(item)?;
            if found.is_some_and(|f| f != kind) {
                return None;
            }
            found = Some(kind);
        }
        found
    }

    /// One item of a type column: Chinese without spaces, English case- and space-insensitively.
    fn from_single_label(item: &str) -> Option<Self> {
        let words: Vec<String> = item.split_whitespace().map(str::to_ascii_lowercase).collect();
        let joined = words.join(" ");
        let kind = match joined.as_str() {
            "发明" | "发明专利" | "发明申请" | "发明专利申请" | "发明公开" | "发明授权" | "发明公布" => {
                PatentType::Invention
            }
            "invention" | "invention patent" => PatentType::Invention,
            "实用新型" | "实用新型专利" | "新型" => PatentType::UtilityModel,
            "utility model" | "utility_model" | "utility-model" | "utility model patent" => PatentType::UtilityModel,
            "外观设计" | "外观设计专利" | "外观" | "外观专利" => PatentType::Design,
            "design" | "design patent" | "industrial design" => PatentType::Design,
            _ => return None,
        };
        Some(kind)
    }
}

impl fmt::Display for PatentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for PatentType {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PatentType::ALL.into_iter().find(|t| t.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for t in PatentType::ALL {
            assert_eq!(t.code().parse::<PatentType>(), Ok(t));
            assert_eq!(t.to_string(), t.code());
            assert_eq!(PatentType::from_label(t.label()), Some(t));
            let de = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(t.code());
            assert_eq!(PatentType::deserialize(de), Ok(t));
        }
        assert!("发明".parse::<PatentType>().is_err());
    }

    #[test]
    fn reads_cnipa_and_commercial_labels() {
        use PatentType::*;
        for (text, expected) in [
            ("实用新型", Some(UtilityModel)),
            ("发明公开", Some(Invention)),
            ("发明公开;发明授权", Some(Invention)),
            ("发明公开；发明授权；", Some(Invention)),
            (" 发明专利 ", Some(Invention)),
            ("发明申请", Some(Invention)),
            ("外观", Some(Design)),
            ("外观设计", Some(Design)),
            ("Utility  Model", Some(UtilityModel)),
            ("INVENTION", Some(Invention)),
            ("design", Some(Design)),
            ("ｄｅｓｉｇｎ", Some(Design)),
            ("发明公开;实用新型", None),
            ("", None),
            (";", None),
            ("商标", None),
        ] {
            assert_eq!(PatentType::from_label(text), expected, "{text}");
        }
    }
}
