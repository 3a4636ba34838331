//! Match records (匹配记录): a saved match between a patent and an enterprise, followed from the proposal to a
//! deal or its closing. Who may move a record, and where to, is one table here ([`allowed_sides`]), so the
//! service asks and the tests read the whole workflow in one place.
//!
//! Three sides take part: the enterprise (企业方), the patent's holder (专利权人方: the institution or
//! enterprise that owns it) and the bureau (市场监管局), which brokers and may act for either.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{OrgId, UserId};
use crate::org::UnknownCode;

/// How a match came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchOrigin {
    /// 需求匹配: found for one of the enterprise's demands.
    DemandMatch,
    /// 局推送: the bureau pushed the patent to the enterprise.
    Push,
    /// 企业意向: the enterprise declared interest in the patent itself (我有意向).
    EnterpriseInterest,
    /// 人工登记: recorded by the bureau from an offline contact.
    Manual,
}

impl MatchOrigin {
    /// Every origin.
    pub const ALL: [MatchOrigin; 4] =
        [MatchOrigin::DemandMatch, MatchOrigin::Push, MatchOrigin::EnterpriseInterest, MatchOrigin::Manual];

    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            MatchOrigin::DemandMatch => "demand_match",
            MatchOrigin::Push => "push",
            MatchOrigin::EnterpriseInterest => "enterprise_interest",
            MatchOrigin::Manual => "manual",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            MatchOrigin::DemandMatch => "需求匹配",
            MatchOrigin::Push => "局推送",
            MatchOrigin::EnterpriseInterest => "企业意向",
            MatchOrigin::Manual => "人工登记",
        }
    }
}

impl FromStr for MatchOrigin {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

/// Where a match record stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchState {
    /// 已推荐: saved or pushed, not yet opened by the enterprise.
    Proposed,
    /// 已查看: the enterprise opened it.
    Viewed,
    /// 有意向: the enterprise wants to talk.
    Interested,
    /// 无意向: the enterprise declined, with a reason ([`NotInterestedReason`]).
    NotInterested,
    /// 已联系: the two sides are in touch.
    InContact,
    /// 洽谈中: terms are being negotiated.
    Negotiating,
    /// 已成交: a deal (licence, assignment, joint development contract) was reached.
    Deal,
    /// 已关闭: ended without a deal.
    Closed,
}

impl MatchState {
    /// Every state, in workflow order.
    pub const ALL: [MatchState; 8] = [
        MatchState::Proposed,
        MatchState::Viewed,
        MatchState::Interested,
        MatchState::NotInterested,
        MatchState::InContact,
        MatchState::Negotiating,
        MatchState::Deal,
        MatchState::Closed,
    ];

    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            MatchState::Proposed => "proposed",
            MatchState::Viewed => "viewed",
            MatchState::Interested => "interested",
            MatchState::NotInterested => "not_interested",
            MatchState::InContact => "in_contact",
            MatchState::Negotiating => "negotiating",
            MatchState::Deal => "deal",
            MatchState::Closed => "closed",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            MatchState::Proposed => "已推荐",
            MatchState::Viewed => "已查看",
            MatchState::Interested => "有意向",
            MatchState::NotInterested => "无意向",
            MatchState::InContact => "已联系",
            MatchState::Negotiating => "洽谈中",
            MatchState::Deal => "已成交",
            MatchState::Closed => "已关闭",
        }
    }

    /// A deal or a closed record is finished; only open records block a new one for the same pair.
    pub const fn is_open(self) -> bool {
        !matches!(self, MatchState::Deal | MatchState::Closed)
    }

    /// The enterprise's own answer to a proposal (企业评价反馈): audited as feedback.
    pub const fn is_feedback(self) -> bool {
        matches!(self, MatchState::Interested | MatchState::NotInterested)
    }
}

impl FromStr for MatchState {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

impl fmt::Display for MatchState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Who acts on a match record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchSide {
    /// A member of the enterprise the patent was matched to.
    Enterprise,
    /// A member of the organisation holding the patent.
    Holder,
    /// A bureau officer, brokering.
    Bureau,
}

impl MatchSide {
    /// Every side.
    pub const ALL: [MatchSide; 3] = [MatchSide::Enterprise, MatchSide::Holder, MatchSide::Bureau];

    /// Stable code stored in the history.
    pub const fn code(self) -> &'static str {
        match self {
            MatchSide::Enterprise => "enterprise",
            MatchSide::Holder => "holder",
            MatchSide::Bureau => "bureau",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            MatchSide::Enterprise => "企业方",
            MatchSide::Holder => "专利权人方",
            MatchSide::Bureau => "市场监管局",
        }
    }
}

impl FromStr for MatchSide {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

/// The sides that may move a record from `from` to `to`; empty when the step does not exist.
///
/// The reasoning, edge by edge:
/// - opening, interest and refusal are the enterprise's own answers (企业评价反馈); it may change its mind
///   between interest and refusal until contact is made;
/// - answering interest by making contact is the holder's move (the measures ask institutions to answer
///   enterprise requests in time), or the bureau's when it brokers;
/// - once in contact, either party or the bureau records that negotiation started, or that it ended;
/// - a deal is reported by the holder, which signs the contract and reports its conversion figures, or
///   recorded by the bureau;
/// - the bureau may close any open record (duplicates, stale proposals, refused ones it archives).
pub const fn allowed_sides(from: MatchState, to: MatchState) -> &'static [MatchSide] {
    use MatchSide::{Bureau as B, Enterprise as E, Holder as H};
    use MatchState as S;
    match (from, to) {
        (S::Proposed, S::Viewed) => &[E],
        (S::Proposed | S::Viewed, S::Interested | S::NotInterested) => &[E],
        (S::Interested, S::NotInterested) | (S::NotInterested, S::Interested) => &[E],
        (S::Interested, S::InContact) => &[H, B],
        (S::InContact, S::Negotiating) => &[E, H, B],
        (S::Negotiating, S::Deal) => &[H, B],
        (S::Proposed | S::Viewed | S::NotInterested, S::Closed) => &[B],
        (S::Interested, S::Closed) => &[H, B],
        (S::InContact | S::Negotiating, S::Closed) => &[E, H, B],
        _ => &[],
    }
}

/// Why a state change is refused; the Display is the message users see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MatchTransitionError {
    /// The workflow has no such step.
    #[error("匹配记录当前为“{}”，不能变更为“{}”", .from.label(), .to.label())]
    NotAllowed {
        /// Current state.
        from: MatchState,
        /// Requested state.
        to: MatchState,
    },
    /// The step exists, but another side makes it.
    #[error("从“{}”变更为“{}”须由{}操作，{}不能操作", .from.label(), .to.label(), sides_text(allowed_sides(*.from, *.to)), .side.label())]
    WrongSide {
        /// Current state.
        from: MatchState,
        /// Requested state.
        to: MatchState,
        /// The side that tried.
        side: MatchSide,
    },
}

fn sides_text(sides: &[MatchSide]) -> String {
    sides.iter().map(|s| s.label()).collect::<Vec<_>>().join("或")
}

/// Checks that `side` may move a record from `from` to `to`.
pub fn check_transition(from: MatchState, to: MatchState, side: MatchSide) -> Result<(), MatchTransitionError> {
    let sides = allowed_sides(from, to);
    if sides.is_empty() {
        Err(MatchTransitionError::NotAllowed { from, to })
    } else if !sides.contains(&side) {
        Err(MatchTransitionError::WrongSide { from, to, side })
    } else {
        Ok(())
    }
}

/// The states `side` may move a record to from `from` (the buttons a page shows).
pub fn next_states(from: MatchState, side: MatchSide) -> Vec<MatchState> {
    MatchState::ALL.into_iter().filter(|to| allowed_sides(from, *to).contains(&side)).collect()
}

/// Why an enterprise is not interested (企业评价反馈的拒绝原因).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotInterestedReason {
    /// 技术尚不成熟.
    TooEarly,
    /// 效益不明确.
    BenefitUnclear,
    /// 产业化路径不清晰.
    RouteUnclear,
    /// 描述不清楚.
    DescriptionUnclear,
    /// 价格因素.
    Price,
    /// 其他 (a text is required).
    Other,
}

impl NotInterestedReason {
    /// Every reason, in form order.
    pub const ALL: [NotInterestedReason; 6] = [
        NotInterestedReason::TooEarly,
        NotInterestedReason::BenefitUnclear,
        NotInterestedReason::RouteUnclear,
        NotInterestedReason::DescriptionUnclear,
        NotInterestedReason::Price,
        NotInterestedReason::Other,
    ];

    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            NotInterestedReason::TooEarly => "too_early",
            NotInterestedReason::BenefitUnclear => "benefit_unclear",
            NotInterestedReason::RouteUnclear => "route_unclear",
            NotInterestedReason::DescriptionUnclear => "description_unclear",
            NotInterestedReason::Price => "price",
            NotInterestedReason::Other => "other",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            NotInterestedReason::TooEarly => "技术尚不成熟",
            NotInterestedReason::BenefitUnclear => "效益不明确",
            NotInterestedReason::RouteUnclear => "产业化路径不清晰",
            NotInterestedReason::DescriptionUnclear => "描述不清楚",
            NotInterestedReason::Price => "价格因素",
            NotInterestedReason::Other => "其他",
        }
    }
}

impl FromStr for NotInterestedReason {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

/// Longest feedback text or note, in characters.
pub const NOTE_MAX_CHARS: usize = 500;

/// An enterprise's refusal: a reason, and a text (required for [`NotInterestedReason::Other`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotInterestedFeedback {
    /// The reason.
    pub reason: NotInterestedReason,
    /// Free text, trimmed ("" when none).
    pub text: String,
}

/// Why feedback is incomplete; the Display is the message users see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FeedbackError {
    /// No reason chosen.
    #[error("请选择无意向的原因")]
    MissingReason,
    /// "Other" without a text.
    #[error("选择“其他”时请填写具体原因")]
    MissingText,
    /// Text too long.
    #[error("原因说明不能超过500个字符")]
    TooLong,
}

impl NotInterestedFeedback {
    /// Checks a reason and its text.
    pub fn new(reason: Option<NotInterestedReason>, text: &str) -> Result<Self, FeedbackError> {
        let reason = reason.ok_or(FeedbackError::MissingReason)?;
        let text = text.trim();
        if text.chars().count() > NOTE_MAX_CHARS {
            return Err(FeedbackError::TooLong);
        }
        if reason == NotInterestedReason::Other && text.is_empty() {
            return Err(FeedbackError::MissingText);
        }
        Ok(Self { reason, text: text.to_owned() })
    }
}

/// One step of a record's history (match_events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// Account that acted (none for the command line).
    pub actor_user_id: Option<UserId>,
    /// Its login name.
    pub actor_name: String,
    /// Its organisation.
    pub actor_org_id: Option<OrgId>,
    /// The side it acted as (none for the command line and the record's creation by the platform).
    pub side: Option<MatchSide>,
    /// State before (none for the creation).
    pub from: Option<MatchState>,
    /// State after.
    pub to: MatchState,
    /// The refusal reason, for a change to not interested.
    pub reason: Option<NotInterestedReason>,
    /// Free note (the refusal text, or what the actor wrote).
    pub note: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    use MatchSide::{Bureau as B, Enterprise as E, Holder as H};
    use MatchState as S;

    /// The whole workflow, written out once more by hand: (from, to, sides).
    const EXPECTED: &[(MatchState, MatchState, &[MatchSide])] = &[
        (S::Proposed, S::Viewed, &[E]),
        (S::Proposed, S::Interested, &[E]),
        (S::Proposed, S::NotInterested, &[E]),
        (S::Proposed, S::Closed, &[B]),
        (S::Viewed, S::Interested, &[E]),
        (S::Viewed, S::NotInterested, &[E]),
        (S::Viewed, S::Closed, &[B]),
        (S::Interested, S::NotInterested, &[E]),
        (S::Interested, S::InContact, &[H, B]),
        (S::Interested, S::Closed, &[H, B]),
        (S::NotInterested, S::Interested, &[E]),
        (S::NotInterested, S::Closed, &[B]),
        (S::InContact, S::Negotiating, &[E, H, B]),
        (S::InContact, S::Closed, &[E, H, B]),
        (S::Negotiating, S::Deal, &[H, B]),
        (S::Negotiating, S::Closed, &[E, H, B]),
    ];

    #[test]
    fn every_transition_and_side_is_as_specified() {
        let mut allowed = 0;
        let mut refused = 0;
        for from in S::ALL {
            for to in S::ALL {
                let sides: &[MatchSide] =
                    EXPECTED.iter().find(|(f, t, _)| *f == from && *t == to).map(|(_, _, s)| *s).unwrap_or(&[]);
                assert_eq!(allowed_sides(from, to), sides, "{from:?} → {to:?}");
                for side in MatchSide::ALL {
                    let got = check_transition(from, to, side);
                    if sides.contains(&side) {
                        assert_eq!(got, Ok(()), "{from:?} → {to:?} by {side:?}");
                        allowed += 1;
                    } else if sides.is_empty() {
                        assert_eq!(got, Err(MatchTransitionError::NotAllowed { from, to }));
                        refused += 1;
                    } else {
                        assert_eq!(got, Err(MatchTransitionError::WrongSide { from, to, side }));
                        refused += 1;
                    }
                }
            }
        }
        let expected_allowed: usize = EXPECTED.iter().map(|(_, _, s)| s.len()).sum();
        assert_eq!(allowed, expected_allowed);
        assert_eq!(allowed + refused, S::ALL.len() * S::ALL.len() * MatchSide::ALL.len());
    }

    #[test]
    fn finished_records_go_nowhere_and_nothing_returns_to_proposed() {
        for side in MatchSide::ALL {
            assert!(next_states(S::Deal, side).is_empty());
            assert!(next_states(S::Closed, side).is_empty());
            for from in S::ALL {
                assert!(!next_states(from, side).contains(&S::Proposed));
                assert!(!next_states(from, side).contains(&from), "no self-loops");
            }
        }
        assert_eq!(next_states(S::Proposed, E), [S::Viewed, S::Interested, S::NotInterested]);
        assert_eq!(next_states(S::Interested, H), [S::InContact, S::Closed]);
        assert!(S::ALL.iter().filter(|s| !s.is_open()).eq([S::Deal, S::Closed].iter()));
    }

    #[test]
    fn refusals_name_the_states_and_the_sides() {
        assert_eq!(
            check_transition(S::Deal, S::Proposed, B).unwrap_err().to_string(),
            "匹配记录当前为“已成交”，不能变更为“已推荐”"
        );
        assert_eq!(
            check_transition(S::InContact, S::Deal, E).unwrap_err().to_string(),
            "匹配记录当前为“已联系”，不能变更为“已成交”"
        );
        assert_eq!(
            check_transition(S::Negotiating, S::Deal, E).unwrap_err().to_string(),
            "从“洽谈中”变更为“已成交”须由专利权人方或市场监管局操作，企业方不能操作"
        );
        assert_eq!(
            check_transition(S::Proposed, S::Interested, H).unwrap_err().to_string(),
            "从“已推荐”变更为“有意向”须由企业方操作，专利权人方不能操作"
        );
    }

    #[test]
    fn not_interested_needs_a_reason_and_other_needs_a_text() {
        assert_eq!(NotInterestedFeedback::new(None, "x"), Err(FeedbackError::MissingReason));
        assert_eq!(NotInterestedFeedback::new(Some(NotInterestedReason::Other), "  "), Err(FeedbackError::MissingText));
        assert_eq!(
            NotInterestedFeedback::new(Some(NotInterestedReason::Price), &"贵".repeat(501)),
            Err(FeedbackError::TooLong)
        );
        let f = NotInterestedFeedback::new(Some(NotInterestedReason::Price), " 报价高于预算 ").unwrap();
        assert_eq!((f.reason, f.text.as_str()), (NotInterestedReason::Price, "报价高于预算"));
        assert!(NotInterestedFeedback::new(Some(NotInterestedReason::TooEarly), "").is_ok());
    }

    #[test]
    fn codes_round_trip() {
        for s in S::ALL {
            assert_eq!(s.code().parse::<MatchState>().unwrap(), s);
        }
        for o in MatchOrigin::ALL {
            assert_eq!(o.code().parse::<MatchOrigin>().unwrap(), o);
        }
        for s in MatchSide::ALL {
            assert_eq!(s.code().parse::<MatchSide>().unwrap(), s);
        }
        for r in NotInterestedReason::ALL {
            assert_eq!(r.code().parse::<NotInterestedReason>().unwrap(), r);
        }
    }
}
