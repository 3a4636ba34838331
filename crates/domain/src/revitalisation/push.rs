//! Push campaigns (推送批次): the bureau pushes pool patents to enterprises in recorded batches. Each push is a
//! match record of origin `push` (the enterprise sees it under 推送给我的专利 and answers there); the campaign
//! records how the enterprises were chosen and groups the pushes for follow-up and statistics.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::org::UnknownCode;

/// Longest campaign title, in characters.
pub const CAMPAIGN_TITLE_MAX_CHARS: usize = 100;

/// How a campaign chose its enterprises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignSelection {
    /// 智能匹配: the patent → enterprise matcher's best enterprises.
    Matching,
    /// 按产业链: the enterprises of an industry chain.
    Chain,
    /// 人工选择: picked by the officer.
    Manual,
}

impl CampaignSelection {
    /// Every selection.
    pub const ALL: [CampaignSelection; 3] =
        [CampaignSelection::Matching, CampaignSelection::Chain, CampaignSelection::Manual];

    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            CampaignSelection::Matching => "matching",
            CampaignSelection::Chain => "chain",
            CampaignSelection::Manual => "manual",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            CampaignSelection::Matching => "智能匹配",
            CampaignSelection::Chain => "按产业链",
            CampaignSelection::Manual => "人工选择",
        }
    }
}

impl FromStr for CampaignSelection {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

impl fmt::Display for CampaignSelection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a campaign is refused; the Display is the message users see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CampaignError {
    /// No title.
    #[error("请填写推送批次名称")]
    TitleEmpty,
    /// Title too long.
    #[error("推送批次名称不能超过100个字符")]
    TitleTooLong,
    /// A chain campaign without its chain.
    #[error("按产业链推送须选择产业链")]
    ChainMissing,
    /// Nothing to push.
    #[error("请至少选择一件专利和一家企业")]
    Empty,
}

/// Checks a campaign's title and selection; returns the trimmed title.
pub fn check_campaign(
    title: &str,
    selection: CampaignSelection,
    chain_code: Option<&str>,
    patents: usize,
    enterprises: usize,
) -> Result<String, CampaignError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(CampaignError::TitleEmpty);
    }
    if title.chars().count() > CAMPAIGN_TITLE_MAX_CHARS {
        return Err(CampaignError::TitleTooLong);
    }
    if selection == CampaignSelection::Chain && chain_code.is_none_or(|c| c.trim().is_empty()) {
        return Err(CampaignError::ChainMissing);
    }
    if patents == 0 || enterprises == 0 {
        return Err(CampaignError::Empty);
    }
    Ok(title.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn campaigns_need_a_title_targets_and_a_chain_when_by_chain() {
        use CampaignSelection as S;
        assert_eq!(check_campaign(" 十月富硒推送 ", S::Manual, None, 1, 3), Ok("十月富硒推送".to_owned()));
        assert_eq!(check_campaign(" ", S::Manual, None, 1, 3), Err(CampaignError::TitleEmpty));
        assert_eq!(check_campaign(&"推".repeat(101), S::Manual, None, 1, 3), Err(CampaignError::TitleTooLong));
        assert_eq!(check_campaign("x", S::Chain, None, 1, 3), Err(CampaignError::ChainMissing));
        assert_eq!(check_campaign("x", S::Chain, Some("selenium_food"), 1, 3), Ok("x".to_owned()));
        assert_eq!(check_campaign("x", S::Matching, None, 0, 3), Err(CampaignError::Empty));
        for s in S::ALL {
            assert_eq!(s.code().parse::<CampaignSelection>(), Ok(s));
        }
    }
}
