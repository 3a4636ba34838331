//! In-app notifications (站内通知): what reaches the other side of a match or the poster of a demand.
//!
//! A notification is addressed to an organisation (every member sees it) or to one account of it; each
//! account marks it read for itself. Addressing organisations keeps one row per event however many members
//! an institution has, and a member who joins later still sees what is pending.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{NotificationId, OrgId, UserId};
use crate::org::UnknownCode;

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A patent was recommended or pushed to the enterprise.
    MatchProposed,
    /// The enterprise is interested.
    MatchInterest,
    /// The enterprise is not interested (with its reason).
    MatchFeedback,
    /// Any other change of a match record's state.
    MatchState,
    /// A demand waits for review.
    DemandSubmitted,
    /// A demand was published.
    DemandPublished,
    /// A demand was returned with a reason.
    DemandReturned,
    /// A demand was closed by someone else.
    DemandClosed,
    /// An enterprise asked about a pool patent, or the institution answered (企业咨询).
    Inquiry,
    /// A roadshow the enterprise registered for changed (rescheduled, held, cancelled).
    Roadshow,
    /// A transfer deal naming the organisation was recorded, changed or cancelled.
    Deal,
    /// An inventory record waits for the recipient's review.
    InventorySubmitted,
    /// An inventory record was returned for revision (with the reviewer's comment).
    InventoryReturned,
    /// An inventory record passed the institution's review.
    InventoryApproved,
}

impl NotificationKind {
    /// Every kind.
    pub const ALL: [NotificationKind; 14] = [
        NotificationKind::MatchProposed,
        NotificationKind::MatchInterest,
        NotificationKind::MatchFeedback,
        NotificationKind::MatchState,
        NotificationKind::DemandSubmitted,
        NotificationKind::DemandPublished,
        NotificationKind::DemandReturned,
        NotificationKind::DemandClosed,
        NotificationKind::Inquiry,
        NotificationKind::Roadshow,
        NotificationKind::Deal,
        NotificationKind::InventorySubmitted,
        NotificationKind::InventoryReturned,
        NotificationKind::InventoryApproved,
    ];

    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            NotificationKind::MatchProposed => "match_proposed",
            NotificationKind::MatchInterest => "match_interest",
            NotificationKind::MatchFeedback => "match_feedback",
            NotificationKind::MatchState => "match_state",
            NotificationKind::DemandSubmitted => "demand_submitted",
            NotificationKind::DemandPublished => "demand_published",
            NotificationKind::DemandReturned => "demand_returned",
            NotificationKind::DemandClosed => "demand_closed",
            NotificationKind::Inquiry => "inquiry",
            NotificationKind::InventorySubmitted => "inventory_submitted",
            NotificationKind::InventoryReturned => "inventory_returned",
            NotificationKind::InventoryApproved => "inventory_approved",
            NotificationKind::Roadshow => "roadshow",
            NotificationKind::Deal => "deal",
        }
    }

    /// Chinese name shown as the notification's category.
    pub const fn label(self) -> &'static str {
        match self {
            NotificationKind::MatchProposed => "专利推荐",
            NotificationKind::MatchInterest => "企业意向",
            NotificationKind::MatchFeedback => "企业反馈",
            NotificationKind::MatchState => "对接进展",
            NotificationKind::DemandSubmitted => "需求待审核",
            NotificationKind::DemandPublished => "需求已发布",
            NotificationKind::DemandReturned => "需求被退回",
            NotificationKind::DemandClosed => "需求已关闭",
            NotificationKind::Inquiry => "企业咨询",
            NotificationKind::InventorySubmitted => "盘点待审核",
            NotificationKind::InventoryReturned => "盘点被退回",
            NotificationKind::InventoryApproved => "盘点已审核",
            NotificationKind::Roadshow => "路演活动",
            NotificationKind::Deal => "转化交易",
        }
    }
}

impl FromStr for NotificationKind {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

/// A notification as one account sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    /// Row id.
    pub id: NotificationId,
    /// The organisation it is addressed to.
    pub recipient_org_id: OrgId,
    /// The one account it is addressed to, when not the whole organisation.
    pub recipient_user_id: Option<UserId>,
    /// What it is about.
    pub kind: NotificationKind,
    /// One line, Chinese.
    pub title: String,
    /// A few lines, Chinese.
    pub body: String,
    /// Relative URL of the record it is about, e.g. `/matches/12`.
    pub link: String,
    /// When it was sent.
    pub created_at: DateTime<Utc>,
    /// When this account marked it read.
    pub read_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        for k in NotificationKind::ALL {
            assert_eq!(k.code().parse::<NotificationKind>().unwrap(), k);
        }
        let mut codes: Vec<_> = NotificationKind::ALL.iter().map(|k| k.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), NotificationKind::ALL.len());
    }
}
