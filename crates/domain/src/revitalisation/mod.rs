//! Stock-patent revitalisation (存量专利盘活, measure 1): every in-force patent an institution holds and has
//! not converted gets an inventory record (盘点记录); the record is reviewed by the faculty and the institution,
//! enters the city's base pool (专利基础库) and, screened, the transferable pool (可转化专利资源库) that
//! enterprises browse, are pushed, give feedback on, ask about, see at roadshows and finally take in a deal.
//!
//! This module holds the pure rules of that workflow:
//! - the review chain as one table ([`allowed_actors`]) and one function ([`next_state`]), with the comment
//!   rule ([`check_comment`]) and the permission each step needs ([`required_permission`]);
//! - the inventory record's values ([`inventory`]): transfer intent, TRL, prospect level, price range, brief;
//! - deals ([`deal`]), push campaigns ([`push`]), enterprise feedback and tiering ([`feedback`]), inquiries
//!   and their response clock ([`inquiry`]), roadshows and one-on-one follow-up ([`roadshow`]), coverage
//!   counts ([`coverage`]).
//!
//! Working days come from [`crate::calendar::WorkCalendar`]. The user-facing description, with the state
//! table and the scope and coverage definitions, is `docs/revitalisation.md`.

pub mod coverage;
pub mod deal;
pub mod feedback;
pub mod inquiry;
pub mod inventory;
pub mod push;
pub mod roadshow;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::Action;
use crate::ids::{OrgId, UserId};
use crate::org::UnknownCode;
use crate::permission::{Permission, Role};

pub use coverage::CoverageCounts;
pub use deal::{
    DealField, DealFields, DealKind, DealParty, DealPartyRole, DealSource, DealStatus, FilingStatus, LicenseScope,
};
pub use feedback::{
    CooperationIntent, FeedbackSummary, IndustrialisationProspect, PoolFeedback, PoolFeedbackError, Tier,
};
pub use inquiry::{
    InquiryError, InquiryState, ResponseClock, check_answer, check_close, check_question, due_date, local_date,
    response_clock,
};
pub use inventory::{
    InventoryContact, InventoryContent, InventoryField, InventoryInput, InventorySource, PatentBrief, PriceRange,
    ProspectLevel, TransferIntent, Trl, parse_price,
};
pub use push::{CampaignError, CampaignSelection, check_campaign};
pub use roadshow::{
    FollowUpEntry, FollowUpOutcome, ProjectState, RegistrationFields, RoadshowError, RoadshowFields, RoadshowMode,
    RoadshowStatus,
};

/// Longest review comment, in characters.
pub const COMMENT_MAX_CHARS: usize = 500;

/// Where an inventory record stands in the review chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// 草稿: being filled in (also where a returned record goes back to).
    Draft,
    /// 待学院审核 / 待单位审核: submitted, waiting for the faculty (or, without one, the institution).
    Submitted,
    /// 学院已审核: the faculty approved; waiting for the institution.
    FacultyApproved,
    /// 单位已审核: the institution approved; the record counts as reviewed.
    InstitutionApproved,
    /// 专利基础库: in the city's base pool of inventoried patents.
    BasePool,
    /// 可转化专利资源库: screened into the pool enterprises browse and the bureau pushes.
    TransferablePool,
}

impl ReviewState {
    /// Every state, in workflow order.
    pub const ALL: [ReviewState; 6] = [
        ReviewState::Draft,
        ReviewState::Submitted,
        ReviewState::FacultyApproved,
        ReviewState::InstitutionApproved,
        ReviewState::BasePool,
        ReviewState::TransferablePool,
    ];

    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            ReviewState::Draft => "draft",
            ReviewState::Submitted => "submitted",
            ReviewState::FacultyApproved => "faculty_approved",
            ReviewState::InstitutionApproved => "institution_approved",
            ReviewState::BasePool => "base_pool",
            ReviewState::TransferablePool => "transferable_pool",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            ReviewState::Draft => "草稿",
            ReviewState::Submitted => "待审核",
            ReviewState::FacultyApproved => "学院已审核",
            ReviewState::InstitutionApproved => "单位已审核",
            ReviewState::BasePool => "专利基础库",
            ReviewState::TransferablePool => "可转化专利资源库",
        }
    }

    /// Submitted at least once and not sent back: counts as "recorded" (已建档) in coverage.
    pub const fn is_recorded(self) -> bool {
        !matches!(self, ReviewState::Draft)
    }

    /// Approved by the institution or further: counts as "reviewed" (已审核) in coverage.
    pub const fn is_reviewed(self) -> bool {
        matches!(self, ReviewState::InstitutionApproved | ReviewState::BasePool | ReviewState::TransferablePool)
    }

    /// In the base pool; the transferable pool is part of it (counted cumulatively in coverage).
    pub const fn in_base_pool(self) -> bool {
        matches!(self, ReviewState::BasePool | ReviewState::TransferablePool)
    }

    /// Codes of the states a predicate holds for, for SQL `IN` lists built from constants.
    pub fn codes_where(predicate: fn(ReviewState) -> bool) -> Vec<&'static str> {
        Self::ALL.into_iter().filter(|s| predicate(*s)).map(ReviewState::code).collect()
    }
}

impl FromStr for ReviewState {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

impl fmt::Display for ReviewState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What can be done to an inventory record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    /// 修改: change the content of a draft.
    Edit,
    /// 修改联系人: change only the contact person, in any state (pooled records keep their place).
    EditContact,
    /// 提交审核.
    Submit,
    /// 撤回: take a submitted record back before anyone reviewed it.
    Withdraw,
    /// 审核通过: the faculty's or the institution's approval.
    Approve,
    /// 退回修改: back to draft, with a comment saying what to change.
    ReturnForRevision,
    /// 纳入基础库: into the city's base pool.
    AddToBasePool,
    /// 遴选入库: into the transferable pool.
    ScreenIntoPool,
    /// 移出资源库: out of the transferable pool, back to the base pool, with a comment.
    RemoveFromPool,
}

impl ReviewAction {
    /// Every action, in the order buttons show them.
    pub const ALL: [ReviewAction; 9] = [
        ReviewAction::Edit,
        ReviewAction::EditContact,
        ReviewAction::Submit,
        ReviewAction::Withdraw,
        ReviewAction::Approve,
        ReviewAction::ReturnForRevision,
        ReviewAction::AddToBasePool,
        ReviewAction::ScreenIntoPool,
        ReviewAction::RemoveFromPool,
    ];

    /// Stable code (history rows, audit details, form values).
    pub const fn code(self) -> &'static str {
        match self {
            ReviewAction::Edit => "edit",
            ReviewAction::EditContact => "edit_contact",
            ReviewAction::Submit => "submit",
            ReviewAction::Withdraw => "withdraw",
            ReviewAction::Approve => "approve",
            ReviewAction::ReturnForRevision => "return_for_revision",
            ReviewAction::AddToBasePool => "add_to_base_pool",
            ReviewAction::ScreenIntoPool => "screen_into_pool",
            ReviewAction::RemoveFromPool => "remove_from_pool",
        }
    }

    /// Chinese verb shown on buttons and in messages.
    pub const fn label(self) -> &'static str {
        match self {
            ReviewAction::Edit => "修改",
            ReviewAction::EditContact => "修改联系人",
            ReviewAction::Submit => "提交审核",
            ReviewAction::Withdraw => "撤回",
            ReviewAction::Approve => "审核通过",
            ReviewAction::ReturnForRevision => "退回修改",
            ReviewAction::AddToBasePool => "纳入专利基础库",
            ReviewAction::ScreenIntoPool => "遴选入可转化专利资源库",
            ReviewAction::RemoveFromPool => "移出可转化专利资源库",
        }
    }

    /// Sending back or taking out of the pool must say why; every other step accepts an optional comment.
    pub const fn requires_comment(self) -> bool {
        matches!(self, ReviewAction::ReturnForRevision | ReviewAction::RemoveFromPool)
    }

    /// The audit action written for this step.
    pub const fn audit_action(self) -> Action {
        match self {
            ReviewAction::Edit | ReviewAction::EditContact => Action::InventoryUpdate,
            ReviewAction::Submit => Action::InventorySubmit,
            ReviewAction::Withdraw => Action::InventoryWithdraw,
            ReviewAction::Approve => Action::InventoryApprove,
            ReviewAction::ReturnForRevision => Action::InventoryReturn,
            ReviewAction::AddToBasePool => Action::InventoryBasePool,
            ReviewAction::ScreenIntoPool => Action::InventoryScreen,
            ReviewAction::RemoveFromPool => Action::InventoryRemoveFromPool,
        }
    }
}

impl FromStr for ReviewAction {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

impl fmt::Display for ReviewAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// In which capacity someone acts on a record. The service derives it from the account's roles and its
/// relation to the record (the inventor linked to the patent, the reviewer of the record's faculty, the
/// admin of the record's institution, a bureau officer); this module decides what each capacity may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewActor {
    /// 发明人: an inventor account linked to the patent.
    Inventor,
    /// 学院审核人: a reviewer of the record's faculty.
    FacultyReviewer,
    /// 单位管理员: an administrator of the record's institution.
    InstitutionAdmin,
    /// 市场监管局: a bureau officer.
    Bureau,
}

impl ReviewActor {
    /// Every actor kind.
    pub const ALL: [ReviewActor; 4] =
        [ReviewActor::Inventor, ReviewActor::FacultyReviewer, ReviewActor::InstitutionAdmin, ReviewActor::Bureau];

    /// Stable code stored in the history.
    pub const fn code(self) -> &'static str {
        match self {
            ReviewActor::Inventor => "inventor",
            ReviewActor::FacultyReviewer => "faculty_reviewer",
            ReviewActor::InstitutionAdmin => "institution_admin",
            ReviewActor::Bureau => "bureau",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            ReviewActor::Inventor => "发明人",
            ReviewActor::FacultyReviewer => "学院审核人",
            ReviewActor::InstitutionAdmin => "单位管理员",
            ReviewActor::Bureau => "市场监管局",
        }
    }

    /// The role that acts in this capacity.
    pub const fn role(self) -> Role {
        match self {
            ReviewActor::Inventor => Role::Inventor,
            ReviewActor::FacultyReviewer => Role::FacultyReviewer,
            ReviewActor::InstitutionAdmin => Role::InstitutionAdmin,
            ReviewActor::Bureau => Role::BureauOfficer,
        }
    }

    /// The capacity a role acts in, if any (the service still checks the account's relation to the record).
    pub const fn for_role(role: Role) -> Option<ReviewActor> {
        match role {
            Role::Inventor => Some(ReviewActor::Inventor),
            Role::FacultyReviewer => Some(ReviewActor::FacultyReviewer),
            Role::InstitutionAdmin => Some(ReviewActor::InstitutionAdmin),
            Role::BureauOfficer => Some(ReviewActor::Bureau),
            _ => None,
        }
    }
}

impl FromStr for ReviewActor {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

/// Whether a record passes through faculty review.
///
/// A record goes [`ReviewRoute::ThroughFaculty`] when it names a faculty that has at least one active faculty
/// reviewer account; otherwise (an institution without faculties, a patent not assigned to one, a faculty
/// without reviewers) it goes [`ReviewRoute::InstitutionOnly`] and the institution admin's approval of the
/// submitted record is the whole review — the faculty stage is skipped, not faked. The service decides the
/// route when the step is taken (store: `faculty_has_reviewer`), so a faculty gaining a reviewer later only
/// changes records not yet approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewRoute {
    /// Faculty review, then institution review.
    ThroughFaculty,
    /// Institution review only.
    InstitutionOnly,
}

impl ReviewRoute {
    /// Both routes.
    pub const ALL: [ReviewRoute; 2] = [ReviewRoute::ThroughFaculty, ReviewRoute::InstitutionOnly];

    /// The route of a record whose faculty has (or lacks) a reviewer.
    pub const fn for_faculty_review(faculty_has_reviewer: bool) -> ReviewRoute {
        if faculty_has_reviewer { ReviewRoute::ThroughFaculty } else { ReviewRoute::InstitutionOnly }
    }
}

/// Where `action` takes a record in `state`, regardless of who acts; `None` when the step does not exist.
pub const fn target(state: ReviewState, action: ReviewAction, route: ReviewRoute) -> Option<ReviewState> {
    use ReviewAction as A;
    use ReviewState as S;
    match (state, action) {
        (S::Draft, A::Edit) => Some(S::Draft),
        (s, A::EditContact) => Some(s),
        (S::Draft, A::Submit) => Some(S::Submitted),
        (S::Submitted, A::Withdraw) => Some(S::Draft),
        (S::Submitted, A::Approve) => match route {
            ReviewRoute::ThroughFaculty => Some(S::FacultyApproved),
            ReviewRoute::InstitutionOnly => Some(S::InstitutionApproved),
        },
        (S::FacultyApproved, A::Approve) => Some(S::InstitutionApproved),
        (
            S::Submitted | S::FacultyApproved | S::InstitutionApproved | S::BasePool | S::TransferablePool,
            A::ReturnForRevision,
        ) => Some(S::Draft),
        (S::InstitutionApproved, A::AddToBasePool) => Some(S::BasePool),
        (S::BasePool, A::ScreenIntoPool) => Some(S::TransferablePool),
        (S::TransferablePool, A::RemoveFromPool) => Some(S::BasePool),
        _ => None,
    }
}

/// Who may take `action` on a record in `state`; empty when the step does not exist.
///
/// The reasoning, step by step:
/// - the inventor or the institution admin fills in, edits, submits and (before any review) withdraws a
///   record, and either may correct the contact person at any time;
/// - a submitted record is approved by its faculty's reviewer, or, on the institution-only route, by the
///   institution admin; the faculty reviewer or the institution admin may return it;
/// - a faculty-approved record is approved or returned by the institution admin (on either route: a record
///   approved by a faculty before the route changed still finishes its review);
/// - from institution approval on, the institution admin or the bureau moves the record into the base pool,
///   screens it into the transferable pool, takes it out again, or returns it for revision.
pub const fn allowed_actors(state: ReviewState, action: ReviewAction, route: ReviewRoute) -> &'static [ReviewActor] {
    use ReviewAction as A;
    use ReviewActor::{Bureau as B, FacultyReviewer as F, InstitutionAdmin as I, Inventor as V};
    use ReviewState as S;
    if target(state, action, route).is_none() {
        return &[];
    }
    match (state, action, route) {
        (_, A::Edit | A::EditContact | A::Submit | A::Withdraw, _) => &[V, I],
        (S::Submitted, A::Approve, ReviewRoute::ThroughFaculty) => &[F],
        (S::Submitted, A::Approve, ReviewRoute::InstitutionOnly) => &[I],
        (S::Submitted, A::ReturnForRevision, ReviewRoute::ThroughFaculty) => &[F, I],
        (S::Submitted, A::ReturnForRevision, ReviewRoute::InstitutionOnly) => &[I],
        (S::FacultyApproved, A::Approve | A::ReturnForRevision, _) => &[I],
        (_, A::ReturnForRevision | A::AddToBasePool | A::ScreenIntoPool | A::RemoveFromPool, _) => &[I, B],
        _ => &[],
    }
}

/// Why a step is refused; the Display is the message users see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    /// The workflow has no such step from this state.
    #[error("盘点记录当前为“{}”，不能{}", .from.label(), .action.label())]
    NotAllowed {
        /// Current state.
        from: ReviewState,
        /// What was attempted.
        action: ReviewAction,
    },
    /// The step exists, but someone else takes it.
    #[error("“{}”的盘点记录{}须由{}操作，{}不能操作", .from.label(), .action.label(), actors_text(allowed_actors(*.from, *.action, *.route)), .actor.label())]
    WrongActor {
        /// Current state.
        from: ReviewState,
        /// What was attempted.
        action: ReviewAction,
        /// Who tried.
        actor: ReviewActor,
        /// The record's route.
        route: ReviewRoute,
    },
    /// Returning or removing from the pool without saying why.
    #[error("{}须填写意见，说明原因", .0.label())]
    CommentRequired(ReviewAction),
    /// A comment over the limit.
    #[error("审核意见不能超过500个字符")]
    CommentTooLong,
}

fn actors_text(actors: &[ReviewActor]) -> String {
    actors.iter().map(|a| a.label()).collect::<Vec<_>>().join("或")
}

/// The state after `actor` takes `action` on a record in `state` on `route`, or why not.
pub fn next_state(
    state: ReviewState,
    action: ReviewAction,
    actor: ReviewActor,
    route: ReviewRoute,
) -> Result<ReviewState, ReviewError> {
    let Some(to) = target(state, action, route) else {
        return Err(ReviewError::NotAllowed { from: state, action });
    };
    if allowed_actors(state, action, route).contains(&actor) {
        Ok(to)
    } else {
        Err(ReviewError::WrongActor { from: state, action, actor, route })
    }
}

/// The actions `actor` may take on a record in `state` (the buttons a page shows).
pub fn available_actions(state: ReviewState, actor: ReviewActor, route: ReviewRoute) -> Vec<ReviewAction> {
    ReviewAction::ALL.into_iter().filter(|a| allowed_actors(state, *a, route).contains(&actor)).collect()
}

/// Checks a step's comment: trimmed, at most [`COMMENT_MAX_CHARS`], and present where the step requires one.
pub fn check_comment(action: ReviewAction, comment: &str) -> Result<String, ReviewError> {
    let comment = comment.trim();
    if comment.chars().count() > COMMENT_MAX_CHARS {
        return Err(ReviewError::CommentTooLong);
    }
    if action.requires_comment() && comment.is_empty() {
        return Err(ReviewError::CommentRequired(action));
    }
    Ok(comment.to_owned())
}

/// A checked step: the state change and its comment, ready for the store's transition and the audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// State before.
    pub from: ReviewState,
    /// State after.
    pub to: ReviewState,
    /// What was done.
    pub action: ReviewAction,
    /// In which capacity.
    pub actor: ReviewActor,
    /// The checked comment ("" when none).
    pub comment: String,
}

impl Transition {
    /// Checks the step and its comment together.
    pub fn check(
        state: ReviewState,
        action: ReviewAction,
        actor: ReviewActor,
        route: ReviewRoute,
        comment: &str,
    ) -> Result<Transition, ReviewError> {
        let to = next_state(state, action, actor, route)?;
        let comment = check_comment(action, comment)?;
        Ok(Transition { from: state, to, action, actor, comment })
    }
}

/// The permission an account needs to take `action` in the capacity of `actor` (the route guard's check; the
/// service adds the relation to the record).
pub const fn required_permission(action: ReviewAction, actor: ReviewActor) -> Permission {
    use ReviewAction as A;
    match (action, actor) {
        (A::Edit | A::EditContact | A::Submit | A::Withdraw, _) => Permission::FileInventory,
        (A::Approve | A::ReturnForRevision, ReviewActor::FacultyReviewer) => Permission::ReviewInventoryFaculty,
        // The bureau sends back only what it screens.
        (A::ReturnForRevision, ReviewActor::Bureau) => Permission::ScreenPool,
        (A::Approve | A::ReturnForRevision, _) => Permission::ReviewInventoryInstitution,
        (A::AddToBasePool | A::ScreenIntoPool | A::RemoveFromPool, _) => Permission::ScreenPool,
    }
}

/// One step of a record's history (review_events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// Account that acted (none for the command line).
    pub actor_user_id: Option<UserId>,
    /// Its login name.
    pub actor_name: String,
    /// Its organisation.
    pub actor_org_id: Option<OrgId>,
    /// The capacity it acted in (none for the command line and imports by the platform).
    pub actor_kind: Option<ReviewActor>,
    /// What was done; none for the record's creation.
    pub action: Option<ReviewAction>,
    /// State before (none for the creation).
    pub from: Option<ReviewState>,
    /// State after.
    pub to: ReviewState,
    /// The comment ("" when none).
    pub comment: String,
}

/// One problem of a form or an imported row: the field (a stable code) and a Chinese message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Field code, e.g. `contact_phone`.
    pub field: &'static str,
    /// Chinese label of the field, e.g. 联系电话 (the column header of an import template).
    pub label: &'static str,
    /// What is wrong and what is expected.
    pub message: String,
}

/// Every problem found in one form or row; the Display is one line (`字段：原因；字段：原因`), the 错误原因
/// of an import report.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, thiserror::Error)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    /// Adds a problem.
    pub fn push(&mut self, field: &'static str, label: &'static str, message: impl Into<String>) {
        self.0.push(FieldError { field, label, message: message.into() });
    }

    /// No problem found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message of a field, if it has one (forms show it beside the field).
    pub fn message(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }

    /// `Ok(value)` when no problem was found.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() { Ok(value) } else { Err(self) }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|e| format!("{}：{}", e.label, e.message)).collect();
        f.write_str(&parts.join("；"))
    }
}

/// Trims a free text and checks its length; `required` refuses an empty one.
pub(crate) fn checked_text(
    errors: &mut FieldErrors,
    field: &'static str,
    label: &'static str,
    text: &str,
    max_chars: usize,
    required: bool,
) -> String {
    let text = text.trim();
    if required && text.is_empty() {
        errors.push(field, label, format!("请填写{label}"));
    } else if text.chars().count() > max_chars {
        errors.push(field, label, format!("不能超过{max_chars}个字符"));
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    use ReviewAction as A;
    use ReviewActor::{Bureau as B, FacultyReviewer as F, InstitutionAdmin as I, Inventor as V};
    use ReviewRoute::{InstitutionOnly as N, ThroughFaculty as W};
    use ReviewState as S;

    /// The whole chain written out once more by hand: (state, action, route, next state, actors). Every
    /// combination not listed must be refused.
    const EXPECTED: &[(ReviewState, ReviewAction, ReviewRoute, ReviewState, &[ReviewActor])] = &[
        // Filing.
        (S::Draft, A::Edit, W, S::Draft, &[V, I]),
        (S::Draft, A::Edit, N, S::Draft, &[V, I]),
        (S::Draft, A::Submit, W, S::Submitted, &[V, I]),
        (S::Draft, A::Submit, N, S::Submitted, &[V, I]),
        (S::Submitted, A::Withdraw, W, S::Draft, &[V, I]),
        (S::Submitted, A::Withdraw, N, S::Draft, &[V, I]),
        // Faculty stage, or the institution alone.
        (S::Submitted, A::Approve, W, S::FacultyApproved, &[F]),
        (S::Submitted, A::Approve, N, S::InstitutionApproved, &[I]),
        (S::Submitted, A::ReturnForRevision, W, S::Draft, &[F, I]),
        (S::Submitted, A::ReturnForRevision, N, S::Draft, &[I]),
        // Institution stage.
        (S::FacultyApproved, A::Approve, W, S::InstitutionApproved, &[I]),
        (S::FacultyApproved, A::Approve, N, S::InstitutionApproved, &[I]),
        (S::FacultyApproved, A::ReturnForRevision, W, S::Draft, &[I]),
        (S::FacultyApproved, A::ReturnForRevision, N, S::Draft, &[I]),
        // Pools.
        (S::InstitutionApproved, A::AddToBasePool, W, S::BasePool, &[I, B]),
        (S::InstitutionApproved, A::AddToBasePool, N, S::BasePool, &[I, B]),
        (S::InstitutionApproved, A::ReturnForRevision, W, S::Draft, &[I, B]),
        (S::InstitutionApproved, A::ReturnForRevision, N, S::Draft, &[I, B]),
        (S::BasePool, A::ScreenIntoPool, W, S::TransferablePool, &[I, B]),
        (S::BasePool, A::ScreenIntoPool, N, S::TransferablePool, &[I, B]),
        (S::BasePool, A::ReturnForRevision, W, S::Draft, &[I, B]),
        (S::BasePool, A::ReturnForRevision, N, S::Draft, &[I, B]),
        (S::TransferablePool, A::RemoveFromPool, W, S::BasePool, &[I, B]),
        (S::TransferablePool, A::RemoveFromPool, N, S::BasePool, &[I, B]),
        (S::TransferablePool, A::ReturnForRevision, W, S::Draft, &[I, B]),
        (S::TransferablePool, A::ReturnForRevision, N, S::Draft, &[I, B]),
        // The contact person may be corrected in every state.
        (S::Draft, A::EditContact, W, S::Draft, &[V, I]),
        (S::Draft, A::EditContact, N, S::Draft, &[V, I]),
        (S::Submitted, A::EditContact, W, S::Submitted, &[V, I]),
        (S::Submitted, A::EditContact, N, S::Submitted, &[V, I]),
        (S::FacultyApproved, A::EditContact, W, S::FacultyApproved, &[V, I]),
        (S::FacultyApproved, A::EditContact, N, S::FacultyApproved, &[V, I]),
        (S::InstitutionApproved, A::EditContact, W, S::InstitutionApproved, &[V, I]),
        (S::InstitutionApproved, A::EditContact, N, S::InstitutionApproved, &[V, I]),
        (S::BasePool, A::EditContact, W, S::BasePool, &[V, I]),
        (S::BasePool, A::EditContact, N, S::BasePool, &[V, I]),
        (S::TransferablePool, A::EditContact, W, S::TransferablePool, &[V, I]),
        (S::TransferablePool, A::EditContact, N, S::TransferablePool, &[V, I]),
    ];

    #[test]
    fn every_state_action_actor_and_route_is_as_specified() {
        let mut allowed = 0;
        let mut refused = 0;
        for state in S::ALL {
            for action in A::ALL {
                for route in ReviewRoute::ALL {
                    let expected = EXPECTED.iter().find(|(s, a, r, _, _)| *s == state && *a == action && *r == route);
                    let actors: &[ReviewActor] = expected.map(|e| e.4).unwrap_or(&[]);
                    assert_eq!(allowed_actors(state, action, route), actors, "{state:?} {action:?} {route:?}");
                    assert_eq!(target(state, action, route), expected.map(|e| e.3), "{state:?} {action:?} {route:?}");
                    for actor in ReviewActor::ALL {
                        let got = next_state(state, action, actor, route);
                        match expected {
                            Some(e) if e.4.contains(&actor) => {
                                assert_eq!(got, Ok(e.3), "{state:?} {action:?} {actor:?} {route:?}");
                                allowed += 1;
                            }
                            Some(_) => {
                                assert_eq!(got, Err(ReviewError::WrongActor { from: state, action, actor, route }));
                                refused += 1;
                            }
                            None => {
                                assert_eq!(got, Err(ReviewError::NotAllowed { from: state, action }));
                                refused += 1;
                            }
                        }
                    }
                }
            }
        }
        let expected_allowed: usize = EXPECTED.iter().map(|e| e.4.len()).sum();
        assert_eq!(allowed, expected_allowed);
        assert_eq!(allowed + refused, S::ALL.len() * A::ALL.len() * ReviewRoute::ALL.len() * ReviewActor::ALL.len());
    }

    #[test]
    fn the_chain_reaches_the_pool_on_both_routes() {
        let walk = |route: ReviewRoute, steps: &[(ReviewAction, ReviewActor)]| {
            steps.iter().try_fold(S::Draft, |state, (action, actor)| next_state(state, *action, *actor, route))
        };
        assert_eq!(
            walk(W, &[(A::Submit, V), (A::Approve, F), (A::Approve, I), (A::AddToBasePool, B), (A::ScreenIntoPool, I)]),
            Ok(S::TransferablePool)
        );
        // Without a faculty the institution admin's approval is the whole review.
        assert_eq!(
            walk(N, &[(A::Submit, I), (A::Approve, I), (A::AddToBasePool, I), (A::ScreenIntoPool, B)]),
            Ok(S::TransferablePool)
        );
        // On the faculty route the institution cannot skip the faculty.
        assert_eq!(
            walk(W, &[(A::Submit, V), (A::Approve, I)]),
            Err(ReviewError::WrongActor { from: S::Submitted, action: A::Approve, actor: I, route: W })
        );
        // A return always lands in draft, and the record can go round again.
        assert_eq!(
            walk(W, &[(A::Submit, V), (A::ReturnForRevision, F), (A::Edit, V), (A::Submit, V)]),
            Ok(S::Submitted)
        );
    }

    #[test]
    fn buttons_per_actor() {
        assert_eq!(available_actions(S::Draft, V, W), [A::Edit, A::EditContact, A::Submit]);
        assert_eq!(available_actions(S::Submitted, F, W), [A::Approve, A::ReturnForRevision]);
        assert_eq!(available_actions(S::Submitted, F, N), Vec::<ReviewAction>::new());
        assert_eq!(
            available_actions(S::Submitted, I, N),
            [A::EditContact, A::Withdraw, A::Approve, A::ReturnForRevision]
        );
        assert_eq!(available_actions(S::TransferablePool, B, W), [A::ReturnForRevision, A::RemoveFromPool]);
        assert_eq!(available_actions(S::TransferablePool, V, W), [A::EditContact]);
        for state in S::ALL {
            for route in ReviewRoute::ALL {
                assert!(!available_actions(state, B, route).contains(&A::Approve), "the bureau never reviews");
                assert!(!available_actions(state, V, route).contains(&A::Approve), "inventors never review");
            }
        }
    }

    #[test]
    fn comments_are_required_to_send_back_or_take_out() {
        assert_eq!(check_comment(A::ReturnForRevision, "  "), Err(ReviewError::CommentRequired(A::ReturnForRevision)));
        assert_eq!(check_comment(A::RemoveFromPool, ""), Err(ReviewError::CommentRequired(A::RemoveFromPool)));
        assert_eq!(check_comment(A::Approve, ""), Ok(String::new()));
        assert_eq!(check_comment(A::Approve, " 同意 "), Ok("同意".to_owned()));
        assert_eq!(check_comment(A::Submit, &"字".repeat(501)), Err(ReviewError::CommentTooLong));
        assert_eq!(check_comment(A::Submit, &"字".repeat(500)).map(|c| c.chars().count()), Ok(500));
        assert_eq!(ReviewError::CommentRequired(A::ReturnForRevision).to_string(), "退回修改须填写意见，说明原因");
        let t = Transition::check(S::Submitted, A::ReturnForRevision, F, W, "技术简介过于简略");
        assert_eq!(t.map(|t| (t.to, t.comment)), Ok((S::Draft, "技术简介过于简略".to_owned())));
        assert!(Transition::check(S::Submitted, A::ReturnForRevision, F, W, "").is_err());
        assert!(Transition::check(S::Draft, A::Approve, F, W, "好").is_err());
    }

    #[test]
    fn refusals_name_the_state_the_step_and_who_may() {
        assert_eq!(
            next_state(S::Draft, A::Approve, I, W).unwrap_err().to_string(),
            "盘点记录当前为“草稿”，不能审核通过"
        );
        assert_eq!(
            next_state(S::Submitted, A::Approve, I, W).unwrap_err().to_string(),
            "“待审核”的盘点记录审核通过须由学院审核人操作，单位管理员不能操作"
        );
        assert_eq!(
            next_state(S::BasePool, A::ScreenIntoPool, V, N).unwrap_err().to_string(),
            "“专利基础库”的盘点记录遴选入可转化专利资源库须由单位管理员或市场监管局操作，发明人不能操作"
        );
    }

    #[test]
    fn each_allowed_actor_holds_the_permission_of_its_step() {
        for (state, action, route, _, actors) in EXPECTED {
            for actor in *actors {
                let permission = required_permission(*action, *actor);
                assert!(
                    actor.role().permissions().contains(&permission),
                    "{actor:?} may {action:?} from {state:?} on {route:?} but {:?} lacks {permission:?}",
                    actor.role()
                );
            }
        }
        for actor in ReviewActor::ALL {
            assert_eq!(ReviewActor::for_role(actor.role()), Some(actor));
        }
        assert_eq!(ReviewActor::for_role(Role::EnterpriseUser), None);
    }

    #[test]
    fn coverage_predicates_and_codes() {
        assert_eq!(ReviewState::codes_where(ReviewState::is_recorded).len(), 5);
        assert_eq!(
            ReviewState::codes_where(ReviewState::is_reviewed),
            ["institution_approved", "base_pool", "transferable_pool"]
        );
        assert_eq!(ReviewState::codes_where(ReviewState::in_base_pool), ["base_pool", "transferable_pool"]);
        for s in S::ALL {
            assert_eq!(s.code().parse::<ReviewState>(), Ok(s));
        }
        for a in A::ALL {
            assert_eq!(a.code().parse::<ReviewAction>(), Ok(a));
            assert!(Action::ALL.contains(&a.audit_action()));
        }
        for a in ReviewActor::ALL {
            assert_eq!(a.code().parse::<ReviewActor>(), Ok(a));
        }
        assert!("returned".parse::<ReviewState>().is_err());
    }

    #[test]
    fn field_errors_read_as_one_line() {
        let mut e = FieldErrors::default();
        assert_eq!(e.clone().into_result(1), Ok(1));
        e.push("contact_phone", "联系电话", "格式不正确");
        e.push("maturity", "技术成熟度", "应为1–9");
        assert_eq!(e.to_string(), "联系电话：格式不正确；技术成熟度：应为1–9");
        assert_eq!(e.message("maturity"), Some("应为1–9"));
        assert!(e.into_result(()).is_err());
    }
}
