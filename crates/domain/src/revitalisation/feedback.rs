//! Enterprise feedback on pool patents (企业评价反馈) and the tier it feeds (分层).
//!
//! An enterprise that was pushed a pool patent, or looked at one, rates its industrialisation prospect on a
//! fixed 1–5 scale, says what it would need improved, whether it wants to cooperate (and how), and why not
//! when it does not. The latest feedback of each enterprise counts; together with declared interest (我有意向)
//! it decides each pool patent's tier with the thresholds of the policy file ([`Tier::evaluate`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::demand::CooperationMode;
use crate::matching::{FeedbackError, NotInterestedFeedback, NotInterestedReason};
use crate::org::UnknownCode;
use crate::policy::RevitalisationRules;

/// Longest improvement-needs text, in characters.
pub const IMPROVEMENT_MAX_CHARS: usize = 1000;

/// The enterprise's rating of a patent's industrialisation prospect (产业化前景), 1 (很低) to 5 (很好).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct IndustrialisationProspect(u8);

impl IndustrialisationProspect {
    /// Lowest rating.
    pub const MIN: u8 = 1;
    /// Highest rating.
    pub const MAX: u8 = 5;

    /// A rating from 1 to 5.
    pub fn new(value: u8) -> Result<IndustrialisationProspect, PoolFeedbackError> {
        if (Self::MIN..=Self::MAX).contains(&value) {
            Ok(IndustrialisationProspect(value))
        } else {
            Err(PoolFeedbackError::ProspectRange)
        }
    }

    /// The rating.
    pub const fn value(self) -> u8 {
        self.0
    }

    /// What the rating means.
    pub const fn label(self) -> &'static str {
        match self.0 {
            1 => "很低",
            2 => "较低",
            3 => "一般",
            4 => "较好",
            _ => "很好",
        }
    }

    /// Every rating, lowest first.
    pub fn all() -> impl Iterator<Item = IndustrialisationProspect> {
        (Self::MIN..=Self::MAX).map(IndustrialisationProspect)
    }
}

impl TryFrom<u8> for IndustrialisationProspect {
    type Error = PoolFeedbackError;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        IndustrialisationProspect::new(value)
    }
}

impl From<IndustrialisationProspect> for u8 {
    fn from(p: IndustrialisationProspect) -> u8 {
        p.0
    }
}

/// Whether the enterprise wants to cooperate (合作意向).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CooperationIntent {
    /// 有明确合作意向.
    Strong,
    /// 有意向，需进一步了解.
    Possible,
    /// 暂无合作意向 (a reason is required).
    None,
}

impl CooperationIntent {
    /// Every intent, in form order.
    pub const ALL: [CooperationIntent; 3] =
        [CooperationIntent::Strong, CooperationIntent::Possible, CooperationIntent::None];

    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            CooperationIntent::Strong => "strong",
            CooperationIntent::Possible => "possible",
            CooperationIntent::None => "none",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            CooperationIntent::Strong => "有明确合作意向",
            CooperationIntent::Possible => "有意向，需进一步了解",
            CooperationIntent::None => "暂无合作意向",
        }
    }

    /// Counts as interest for the tier.
    pub const fn is_interest(self) -> bool {
        !matches!(self, CooperationIntent::None)
    }
}

impl FromStr for CooperationIntent {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

/// Why feedback is refused; the Display is the message users see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PoolFeedbackError {
    /// No rating.
    #[error("请为产业化前景打分（1–5分）")]
    MissingProspect,
    /// A rating off the scale.
    #[error("产业化前景应为1–5分")]
    ProspectRange,
    /// No intent chosen.
    #[error("请选择合作意向")]
    MissingIntent,
    /// Improvement needs too long.
    #[error("改进需求不能超过1000个字符")]
    ImprovementTooLong,
    /// The refusal's reason is missing or incomplete.
    #[error("{0}")]
    Reason(FeedbackError),
}

/// One enterprise's feedback on a pool patent, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolFeedback {
    /// 产业化前景.
    pub prospect: IndustrialisationProspect,
    /// 改进需求: what the enterprise would need improved or added ("" when none).
    pub improvement_needs: String,
    /// 合作意向.
    pub intent: CooperationIntent,
    /// How it would cooperate, when interested.
    pub preferred_mode: Option<CooperationMode>,
    /// Why not, when not interested (the same reasons as a match record's refusal).
    pub not_interested: Option<NotInterestedFeedback>,
}

impl PoolFeedback {
    /// Checks a form: a rating, an intent, and a reason when there is no intent. A reason given with an
    /// intent, or a mode given without one, is dropped rather than stored contradicting the intent.
    pub fn new(
        prospect: Option<u8>,
        improvement_needs: &str,
        intent: Option<CooperationIntent>,
        preferred_mode: Option<CooperationMode>,
        reason: Option<NotInterestedReason>,
        reason_text: &str,
    ) -> Result<PoolFeedback, PoolFeedbackError> {
        let prospect = IndustrialisationProspect::new(prospect.ok_or(PoolFeedbackError::MissingProspect)?)?;
        let intent = intent.ok_or(PoolFeedbackError::MissingIntent)?;
        let improvement_needs = improvement_needs.trim();
        if improvement_needs.chars().count() > IMPROVEMENT_MAX_CHARS {
            return Err(PoolFeedbackError::ImprovementTooLong);
        }
        let not_interested = if intent.is_interest() {
            None
        } else {
            Some(NotInterestedFeedback::new(reason, reason_text).map_err(PoolFeedbackError::Reason)?)
        };
        Ok(PoolFeedback {
            prospect,
            improvement_needs: improvement_needs.to_owned(),
            intent,
            preferred_mode: if intent.is_interest() { preferred_mode } else { None },
            not_interested,
        })
    }
}

/// What the tier is computed from, aggregated per patent by the store.
///
/// An enterprise's latest word decides whether it counts as interested: its latest feedback (an intent or
/// none), or its match record on the patent entering interest (有意向、已联系、洽谈中、已成交) or leaving it
/// (无意向、已关闭), whichever happened last. Ratings are each enterprise's latest feedback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct FeedbackSummary {
    /// Distinct enterprises whose latest word is interest (我有意向, a push answered with interest, feedback
    /// stating cooperation intent).
    pub interested_enterprises: u32,
    /// Enterprises whose latest feedback rated the prospect.
    pub ratings: u32,
    /// Sum of those ratings.
    pub prospect_sum: u32,
}

impl FeedbackSummary {
    /// Average rating, when any enterprise rated.
    pub fn average_prospect(&self) -> Option<f32> {
        (self.ratings > 0).then(|| self.prospect_sum as f32 / self.ratings as f32)
    }
}

/// A pool patent's tier (分层): where the bureau spends roadshows and one-on-one follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// 重点推进: enough interest and a good enough average rating (roadshows, one-on-one follow-up).
    High,
    /// 一般推进: pushes and open licences.
    General,
}

impl Tier {
    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Tier::High => "high",
            Tier::General => "general",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            Tier::High => "重点推进",
            Tier::General => "一般推进",
        }
    }

    /// The tier of a patent: high when at least `high_tier_min_interest` enterprises declared interest and
    /// the enterprises' average rating reaches `high_tier_min_avg_prospect`; a patent no enterprise has rated
    /// yet stays general, as interest alone does not say the technology is ready.
    pub fn evaluate(summary: &FeedbackSummary, rules: &RevitalisationRules) -> Tier {
        match summary.average_prospect() {
            Some(avg) if rules.is_high_tier(summary.interested_enterprises, avg) => Tier::High,
            _ => Tier::General,
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{ANKANG_2024_TOML, Policy};

    fn rules() -> RevitalisationRules {
        match Policy::from_toml_str(ANKANG_2024_TOML) {
            Ok(p) => p.revitalisation,
            Err(e) => panic!("policy: {e}"),
        }
    }

    #[test]
    fn feedback_needs_a_rating_an_intent_and_a_reason_when_not_interested() {
        use CooperationIntent as I;
        assert_eq!(
            PoolFeedback::new(None, "", Some(I::Strong), None, None, ""),
            Err(PoolFeedbackError::MissingProspect)
        );
        assert_eq!(
            PoolFeedback::new(Some(6), "", Some(I::Strong), None, None, ""),
            Err(PoolFeedbackError::ProspectRange)
        );
        assert_eq!(
            PoolFeedback::new(Some(0), "", Some(I::Strong), None, None, ""),
            Err(PoolFeedbackError::ProspectRange)
        );
        assert_eq!(PoolFeedback::new(Some(3), "", None, None, None, ""), Err(PoolFeedbackError::MissingIntent));
        assert_eq!(
            PoolFeedback::new(Some(2), "", Some(I::None), None, None, ""),
            Err(PoolFeedbackError::Reason(FeedbackError::MissingReason))
        );
        assert_eq!(
            PoolFeedback::new(Some(2), "", Some(I::None), None, Some(NotInterestedReason::Other), " "),
            Err(PoolFeedbackError::Reason(FeedbackError::MissingText))
        );
        assert_eq!(
            PoolFeedback::new(Some(2), &"改".repeat(1001), Some(I::Possible), None, None, ""),
            Err(PoolFeedbackError::ImprovementTooLong)
        );
        let no = PoolFeedback::new(
            Some(2),
            " 需中试数据 ",
            Some(I::None),
            Some(CooperationMode::License),
            Some(NotInterestedReason::TooEarly),
            "",
        )
        .unwrap();
        assert_eq!(no.improvement_needs, "需中试数据");
        assert_eq!(no.preferred_mode, None);
        assert_eq!(no.not_interested.map(|n| n.reason), Some(NotInterestedReason::TooEarly));
        let yes = PoolFeedback::new(
            Some(5),
            "",
            Some(I::Strong),
            Some(CooperationMode::License),
            Some(NotInterestedReason::Price),
            "",
        )
        .unwrap();
        assert_eq!((yes.not_interested, yes.preferred_mode), (None, Some(CooperationMode::License)));
        assert_eq!(PoolFeedbackError::Reason(FeedbackError::MissingReason).to_string(), "请选择无意向的原因");
    }

    #[test]
    fn tier_follows_the_policy_thresholds() {
        let r = rules();
        let s = |interested, ratings, sum| FeedbackSummary {
            interested_enterprises: interested,
            ratings,
            prospect_sum: sum,
        };
        // Ankang: at least 2 interested enterprises and an average rating of at least 3.0.
        assert_eq!(Tier::evaluate(&s(2, 2, 6), &r), Tier::High);
        assert_eq!(Tier::evaluate(&s(3, 3, 8), &r), Tier::General, "average 2.67");
        assert_eq!(Tier::evaluate(&s(1, 4, 20), &r), Tier::General, "one interested enterprise");
        assert_eq!(Tier::evaluate(&s(5, 0, 0), &r), Tier::General, "nobody rated");
        assert_eq!(Tier::evaluate(&FeedbackSummary::default(), &r), Tier::General);
        assert_eq!(s(2, 4, 14).average_prospect(), Some(3.5));
        assert_eq!(Tier::High.to_string(), "重点推进");
    }

    #[test]
    fn scales_and_codes() {
        assert_eq!(
            IndustrialisationProspect::all().map(|p| p.label()).collect::<Vec<_>>(),
            ["很低", "较低", "一般", "较好", "很好"]
        );
        for i in CooperationIntent::ALL {
            assert_eq!(i.code().parse::<CooperationIntent>(), Ok(i));
        }
        assert!(serde_json::from_str::<IndustrialisationProspect>("0").is_err());
        assert_eq!(serde_json::from_str::<IndustrialisationProspect>("5").ok().map(|p| p.value()), Some(5));
    }
}
