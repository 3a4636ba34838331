//! Legal status (法律状态) of a patent, normalised from the many spellings of CNIPA and commercial databases.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::compact;
use crate::org::UnknownCode;

/// Where a patent stands in law.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalStatus {
    /// 审中: filed, published or under substantive examination.
    Pending,
    /// 有权: granted and in force.
    Granted,
    /// 失效: ended early because annual fees were not paid or the patentee gave it up.
    Lapsed,
    /// 期限届满: the statutory term ran out.
    Expired,
    /// 无效: declared wholly invalid.
    Invalidated,
    /// 撤回: the application was withdrawn or deemed withdrawn.
    Withdrawn,
    /// 驳回: the application was rejected.
    Rejected,
    /// 未知: the source gave no status or one this version does not recognise.
    Unknown,
}

impl LegalStatus {
    /// Every status, in the order forms list them.
    pub const ALL: [LegalStatus; 8] = [
        LegalStatus::Pending,
        LegalStatus::Granted,
        LegalStatus::Lapsed,
        LegalStatus::Expired,
        LegalStatus::Invalidated,
        LegalStatus::Withdrawn,
        LegalStatus::Rejected,
        LegalStatus::Unknown,
    ];

    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            LegalStatus::Pending => "pending",
            LegalStatus::Granted => "granted",
            LegalStatus::Lapsed => "lapsed",
            LegalStatus::Expired => "expired",
            LegalStatus::Invalidated => "invalidated",
            LegalStatus::Withdrawn => "withdrawn",
            LegalStatus::Rejected => "rejected",
            LegalStatus::Unknown => "unknown",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            LegalStatus::Pending => "审中",
            LegalStatus::Granted => "有权",
            LegalStatus::Lapsed => "未缴年费终止/失效",
            LegalStatus::Expired => "期限届满",
            LegalStatus::Invalidated => "无效",
            LegalStatus::Withdrawn => "撤回",
            LegalStatus::Rejected => "驳回",
            LegalStatus::Unknown => "未知",
        }
    }

    /// Whether the patent is in force (有效专利): only a granted one is.
    pub const fn in_force(self) -> bool {
        matches!(self, LegalStatus::Granted)
    }

    /// Normalises a status text such as `有权-审定授权`, `审中-实质审查`, `无权-未缴年费终止` or a short form
    /// (`授权`, `驳回`, …). A `;`-separated history is read by its last entry, the current state. Never
    /// fails: what is not recognised becomes [`LegalStatus::Unknown`], and the caller keeps the raw text.
    pub fn from_cnipa(text: &str) -> LegalStatus {
        let folded = compact(text);
        let last = folded.split(';').rev().find(|item| !item.is_empty()).unwrap_or("");
        if let Some(status) = LegalStatus::ALL.into_iter().find(|s| s.code() == last || s.label() == last) {
            return status;
        }
        // Ordered: 部分无效 leaves the patent in force, so it must be tested before 无效; the negative
        // outcomes come before 授权/有权, because a status like 授权后失效 names the grant it lost.
        const RULES: [(&str, LegalStatus); 16] = [
            ("部分无效", LegalStatus::Granted),
            ("无效", LegalStatus::Invalidated),
            ("撤回", LegalStatus::Withdrawn),
            ("驳回", LegalStatus::Rejected),
            ("届满", LegalStatus::Expired),
            ("年费", LegalStatus::Lapsed),
            ("放弃", LegalStatus::Lapsed),
            ("失效", LegalStatus::Lapsed),
            ("终止", LegalStatus::Lapsed),
            ("审中", LegalStatus::Pending),
            ("审查", LegalStatus::Pending),
            ("公开", LegalStatus::Pending),
            ("公布", LegalStatus::Pending),
            ("有权", LegalStatus::Granted),
            ("授权", LegalStatus::Granted),
            ("有效", LegalStatus::Granted),
        ];
        RULES.iter().find(|(keyword, _)| last.contains(keyword)).map_or(LegalStatus::Unknown, |&(_, status)| status)
    }
}

impl fmt::Display for LegalStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for LegalStatus {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LegalStatus::ALL.into_iter().find(|t| t.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_labels_round_trip() {
        for status in LegalStatus::ALL {
            assert_eq!(status.code().parse::<LegalStatus>(), Ok(status));
            assert_eq!(status.to_string(), status.code());
            assert_eq!(LegalStatus::from_cnipa(status.label()), status, "{}", status.label());
            assert_eq!(LegalStatus::from_cnipa(status.code()), status);
            let de = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(status.code());
            assert_eq!(LegalStatus::deserialize(de), Ok(status));
        }
        assert!("有权".parse::<LegalStatus>().is_err());
    }

    #[test]
    fn only_granted_is_in_force() {
        let in_force: Vec<_> = LegalStatus::ALL.into_iter().filter(|s| s.in_force()).collect();
        assert_eq!(in_force, [LegalStatus::Granted]);
    }

    #[test]
    fn normalises_cnipa_texts() {
        use LegalStatus::*;
        for (text, expected) in [
            ("有权-审定授权", Granted),
            ("有权", Granted),
            ("授权", Granted),
            ("有效", Granted),
            ("审中-实质审查", Pending),
            ("审中-公开", Pending),
            ("实质审查", Pending),
            ("公开", Pending),
            ("无权-未缴年费终止", Lapsed),
            ("未缴年费", Lapsed),
            ("无权-期限届满", Expired),
            ("期限届满", Expired),
            ("无权-视为撤回", Withdrawn),
            ("无权-撤回", Withdrawn),
            ("视为撤回", Withdrawn),
            ("无权-驳回", Rejected),
            ("驳回", Rejected),
            ("无权-全部无效", Invalidated),
            ("全部无效", Invalidated),
            ("无权-放弃", Lapsed),
            ("部分无效", Granted),
            ("有权-部分无效", Granted),
            ("失效", Lapsed),
            (" 有权 - 审定授权 ", Granted),
            ("有权－审定授权", Granted),
            ("审中-实质审查;有权-审定授权;无权-未缴年费终止", Lapsed),
            ("审中-公开；有权-审定授权；", Granted),
            ("", Unknown),
            ("无权", Unknown),
            ("其他", Unknown),
        ] {
            assert_eq!(LegalStatus::from_cnipa(text), expected, "{text}");
        }
    }
}
