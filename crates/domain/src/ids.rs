//! Row ids as types, so a patent id can never be passed where an organisation id is expected.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Row id of an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrgId(i64);

/// Row id of a faculty (学院/院系) inside an institution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FacultyId(i64);

/// Row id of a user account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(i64);

macro_rules! row_id {
    ($t:ty) => {
        impl $t {
            /// Wraps a database row id.
            pub const fn new(v: i64) -> Self {
                Self(v)
            }
            /// The database row id.
            pub const fn get(self) -> i64 {
                self.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}
row_id!(OrgId);
row_id!(FacultyId);
row_id!(UserId);

/// Row id of a patent record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PatentId(i64);

/// Row id of an import (one uploaded file and its report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ImportId(i64);

row_id!(PatentId);
row_id!(ImportId);

/// Row id of an enterprise technology demand (企业技术需求).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DemandId(i64);

/// Row id of a match record (匹配记录) between a patent and an enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MatchId(i64);

/// Row id of an in-app notification (站内通知).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NotificationId(i64);

row_id!(DemandId);
row_id!(MatchId);
row_id!(NotificationId);

/// Row id of an inventory record (盘点记录): one per patent in revitalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InventoryRecordId(i64);

/// Row id of a push campaign (推送批次): the pushes the bureau sends together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CampaignId(i64);

/// Row id of an enterprise's feedback on a pool patent (企业评价反馈).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FeedbackId(i64);

/// Row id of an enterprise's inquiry to an institution about a patent (企业咨询).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InquiryId(i64);

/// Row id of a roadshow (路演).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RoadshowId(i64);

/// Row id of an enterprise's registration for a roadshow (路演报名).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RegistrationId(i64);

/// Row id of a one-on-one follow-up project (一对一跟踪项目): one patent and one enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FollowUpProjectId(i64);

/// Row id of one entry of a follow-up log (跟踪服务记录).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FollowUpId(i64);

/// Row id of a transfer deal (转化交易): assignment, licence, equity contribution or self-implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DealId(i64);

row_id!(InventoryRecordId);
row_id!(CampaignId);
row_id!(FeedbackId);
row_id!(InquiryId);
row_id!(RoadshowId);
row_id!(RegistrationId);
row_id!(FollowUpProjectId);
row_id!(FollowUpId);
row_id!(DealId);
