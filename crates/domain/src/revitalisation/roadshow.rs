//! Roadshows (路演) and one-on-one follow-up (一对一跟踪服务, measure 5).
//!
//! A roadshow presents pool patents of a chain, on site or online; enterprises register. After the event
//! each promising pairing of a patent and an enterprise becomes a follow-up project whose log records who
//! followed up, when, what was done, the next step and the outcome, until the project ends in a deal or is
//! closed with a reason ([`ProjectState::after`]). A project may also start from a match record without a
//! roadshow.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{FieldErrors, checked_text};
use crate::demand::ContactPhone;
use crate::org::UnknownCode;

/// Longest roadshow title, in characters.
pub const ROADSHOW_TITLE_MAX_CHARS: usize = 100;
/// Longest description or log text, in characters.
pub const LONG_TEXT_MAX_CHARS: usize = 2000;
/// Longest venue, link, name or short text, in characters.
pub const SHORT_TEXT_MAX_CHARS: usize = 200;
/// Most attendees one enterprise registers.
pub const MAX_ATTENDEES: u32 = 20;

/// How a roadshow is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoadshowMode {
    /// 现场.
    Onsite,
    /// 线上.
    Online,
}

impl RoadshowMode {
    /// Both modes.
    pub const ALL: [RoadshowMode; 2] = [RoadshowMode::Onsite, RoadshowMode::Online];

    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            RoadshowMode::Onsite => "onsite",
            RoadshowMode::Online => "online",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            RoadshowMode::Onsite => "现场",
            RoadshowMode::Online => "线上",
        }
    }
}

impl FromStr for RoadshowMode {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

/// Where a roadshow stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoadshowStatus {
    /// 筹备中: planned; enterprises register until the deadline.
    Planned,
    /// 已举办: held; follow-up projects start.
    Held,
    /// 已取消.
    Cancelled,
}

impl RoadshowStatus {
    /// Every status.
    pub const ALL: [RoadshowStatus; 3] = [RoadshowStatus::Planned, RoadshowStatus::Held, RoadshowStatus::Cancelled];

    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            RoadshowStatus::Planned => "planned",
            RoadshowStatus::Held => "held",
            RoadshowStatus::Cancelled => "cancelled",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            RoadshowStatus::Planned => "筹备中",
            RoadshowStatus::Held => "已举办",
            RoadshowStatus::Cancelled => "已取消",
        }
    }

    /// The status after marking it `to`: a planned roadshow is held or cancelled; nothing else moves.
    pub fn after(self, to: RoadshowStatus) -> Result<RoadshowStatus, RoadshowError> {
        match (self, to) {
            (RoadshowStatus::Planned, RoadshowStatus::Held | RoadshowStatus::Cancelled) => Ok(to),
            _ => Err(RoadshowError::Status { from: self, to }),
        }
    }

    /// Whether enterprises may register on `today`: planned, and not past the deadline (the event day when
    /// no deadline is set).
    pub fn registration_open(self, held_on: NaiveDate, deadline: Option<NaiveDate>, today: NaiveDate) -> bool {
        self == RoadshowStatus::Planned && today <= deadline.unwrap_or(held_on)
    }
}

impl FromStr for RoadshowStatus {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

impl fmt::Display for RoadshowStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a roadshow or follow-up step is refused; the Display is the message users see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoadshowError {
    /// A status change that does not exist.
    #[error("路演当前为“{}”，不能改为“{}”", .from.label(), .to.label())]
    Status {
        /// Current status.
        from: RoadshowStatus,
        /// Requested status.
        to: RoadshowStatus,
    },
    /// Registration after the deadline, or for a roadshow not planned.
    #[error("该路演已停止报名")]
    RegistrationClosed,
    /// A log entry for a project that has ended.
    #[error("跟踪项目当前为“{}”，不能再记录跟踪服务", .0.label())]
    ProjectEnded(ProjectState),
}

/// The content of a roadshow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoadshowFields {
    /// 活动名称.
    pub title: String,
    /// 举办日期.
    pub held_on: NaiveDate,
    /// 现场 / 线上.
    pub mode: RoadshowMode,
    /// 地点 (required on site).
    pub venue: String,
    /// 线上链接或平台 (required online).
    pub online_link: String,
    /// The chain it presents (a code of `industry_chains`).
    pub chain_code: Option<String>,
    /// 活动介绍.
    pub description: String,
    /// 报名截止日期 (not after the event).
    pub registration_deadline: Option<NaiveDate>,
}

impl RoadshowFields {
    /// Checks the fields and returns them trimmed.
    pub fn check(mut self) -> Result<RoadshowFields, FieldErrors> {
        let mut e = FieldErrors::default();
        self.title = checked_text(&mut e, "title", "活动名称", &self.title, ROADSHOW_TITLE_MAX_CHARS, true);
        let onsite = self.mode == RoadshowMode::Onsite;
        self.venue = checked_text(&mut e, "venue", "举办地点", &self.venue, SHORT_TEXT_MAX_CHARS, onsite);
        self.online_link =
            checked_text(&mut e, "online_link", "线上链接或平台", &self.online_link, SHORT_TEXT_MAX_CHARS, !onsite);
        self.description =
            checked_text(&mut e, "description", "活动介绍", &self.description, LONG_TEXT_MAX_CHARS, false);
        self.chain_code = self.chain_code.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
        if let Some(deadline) = self.registration_deadline
            && deadline > self.held_on
        {
            e.push(
                "registration_deadline",
                "报名截止日期",
                format!("报名截止日期 {deadline} 晚于举办日期 {}", self.held_on),
            );
        }
        e.into_result(self)
    }
}

/// An enterprise's registration for a roadshow, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistrationFields {
    /// 联系人.
    pub contact_name: String,
    /// 联系电话.
    pub contact_phone: ContactPhone,
    /// 参加人数.
    pub attendees: u32,
    /// 备注 (e.g. the patents it wants to hear about).
    pub note: String,
}

impl RegistrationFields {
    /// Checks a registration form.
    pub fn new(
        contact_name: &str,
        contact_phone: &str,
        attendees: u32,
        note: &str,
    ) -> Result<RegistrationFields, FieldErrors> {
        let mut e = FieldErrors::default();
        let contact_name = checked_text(&mut e, "contact_name", "联系人", contact_name, SHORT_TEXT_MAX_CHARS, true);
        let phone = ContactPhone::parse(contact_phone);
        if let Err(m) = &phone {
            e.push("contact_phone", "联系电话", m.to_string());
        }
        if !(1..=MAX_ATTENDEES).contains(&attendees) {
            e.push("attendees", "参加人数", format!("参加人数应为1–{MAX_ATTENDEES}人"));
        }
        let note = checked_text(&mut e, "note", "备注", note, LONG_TEXT_MAX_CHARS, false);
        match phone {
            Ok(contact_phone) if e.is_empty() => {
                Ok(RegistrationFields { contact_name, contact_phone, attendees, note })
            }
            _ => Err(e),
        }
    }
}

/// What a follow-up contact came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpOutcome {
    /// 继续跟进.
    Continuing,
    /// 达成交易: the project ends in a deal (recorded as a deal and linked).
    Deal,
    /// 终止跟进: the project ends without a deal, with a reason.
    Closed,
}

impl FollowUpOutcome {
    /// Every outcome.
    pub const ALL: [FollowUpOutcome; 3] = [FollowUpOutcome::Continuing, FollowUpOutcome::Deal, FollowUpOutcome::Closed];

    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            FollowUpOutcome::Continuing => "continuing",
            FollowUpOutcome::Deal => "deal",
            FollowUpOutcome::Closed => "closed",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            FollowUpOutcome::Continuing => "继续跟进",
            FollowUpOutcome::Deal => "达成交易",
            FollowUpOutcome::Closed => "终止跟进",
        }
    }
}

impl FromStr for FollowUpOutcome {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

/// Where a follow-up project stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectState {
    /// 跟进中.
    Open,
    /// 已成交.
    Deal,
    /// 已终止.
    Closed,
}

impl ProjectState {
    /// Every state.
    pub const ALL: [ProjectState; 3] = [ProjectState::Open, ProjectState::Deal, ProjectState::Closed];

    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            ProjectState::Open => "open",
            ProjectState::Deal => "deal",
            ProjectState::Closed => "closed",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            ProjectState::Open => "跟进中",
            ProjectState::Deal => "已成交",
            ProjectState::Closed => "已终止",
        }
    }

    /// The state after a log entry with `outcome`: only open projects take entries; a deal or a closing
    /// ends the project.
    pub fn after(self, outcome: FollowUpOutcome) -> Result<ProjectState, RoadshowError> {
        if self != ProjectState::Open {
            return Err(RoadshowError::ProjectEnded(self));
        }
        Ok(match outcome {
            FollowUpOutcome::Continuing => ProjectState::Open,
            FollowUpOutcome::Deal => ProjectState::Deal,
            FollowUpOutcome::Closed => ProjectState::Closed,
        })
    }
}

impl FromStr for ProjectState {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

impl fmt::Display for ProjectState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One entry of a follow-up log: who (the recording account, stored beside it), when, with whom, what, the
/// next step and the outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpEntry {
    /// 跟进日期.
    pub happened_on: NaiveDate,
    /// 对接人: who was met or called on the other side.
    pub contact: String,
    /// 跟进内容.
    pub content: String,
    /// 下一步计划 (required while continuing).
    pub next_step: String,
    /// 计划日期 of the next step.
    pub next_on: Option<NaiveDate>,
    /// 结果.
    pub outcome: FollowUpOutcome,
    /// 终止原因 (required when closing).
    pub close_reason: String,
}

impl FollowUpEntry {
    /// Checks an entry written on `today` and returns it trimmed.
    pub fn check(mut self, today: NaiveDate) -> Result<FollowUpEntry, FieldErrors> {
        let mut e = FieldErrors::default();
        if self.happened_on > today {
            e.push("happened_on", "跟进日期", "跟进日期不能晚于今天");
        }
        self.contact = checked_text(&mut e, "contact", "对接人", &self.contact, SHORT_TEXT_MAX_CHARS, false);
        self.content = checked_text(&mut e, "content", "跟进内容", &self.content, LONG_TEXT_MAX_CHARS, true);
        let continuing = self.outcome == FollowUpOutcome::Continuing;
        self.next_step =
            checked_text(&mut e, "next_step", "下一步计划", &self.next_step, LONG_TEXT_MAX_CHARS, continuing);
        if let Some(next) = self.next_on
            && next < self.happened_on
        {
            e.push("next_on", "计划日期", "下一步的计划日期不能早于跟进日期");
        }
        let closing = self.outcome == FollowUpOutcome::Closed;
        self.close_reason =
            checked_text(&mut e, "close_reason", "终止原因", &self.close_reason, LONG_TEXT_MAX_CHARS, closing);
        if !closing {
            self.close_reason.clear();
        }
        e.into_result(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    fn roadshow() -> RoadshowFields {
        RoadshowFields {
            title: " 富硒食品专利路演 ".into(),
            held_on: d(2025, 11, 20),
            mode: RoadshowMode::Onsite,
            venue: "安康高新区科创中心".into(),
            online_link: String::new(),
            chain_code: Some(" selenium_food ".into()),
            description: String::new(),
            registration_deadline: Some(d(2025, 11, 18)),
        }
    }

    fn entry(outcome: FollowUpOutcome) -> FollowUpEntry {
        FollowUpEntry {
            happened_on: d(2025, 11, 25),
            contact: "王经理".into(),
            content: "企业到实验室考察中试线".into(),
            next_step: "提供样品检测报告".into(),
            next_on: Some(d(2025, 12, 5)),
            outcome,
            close_reason: String::new(),
        }
    }

    #[test]
    fn roadshow_fields() {
        let r = roadshow().check().unwrap();
        assert_eq!((r.title.as_str(), r.chain_code.as_deref()), ("富硒食品专利路演", Some("selenium_food")));
        let online = RoadshowFields { mode: RoadshowMode::Online, venue: String::new(), ..roadshow() };
        assert_eq!(online.check().unwrap_err().0[0].field, "online_link");
        let late = RoadshowFields { registration_deadline: Some(d(2025, 11, 21)), venue: " ".into(), ..roadshow() };
        let fields: Vec<&str> = late.check().unwrap_err().0.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["venue", "registration_deadline"]);
    }

    #[test]
    fn roadshow_status_and_registration_window() {
        use RoadshowStatus as S;
        for from in S::ALL {
            for to in S::ALL {
                let ok = from == S::Planned && to != S::Planned;
                assert_eq!(from.after(to).is_ok(), ok, "{from:?} → {to:?}");
            }
        }
        assert!(S::Planned.registration_open(d(2025, 11, 20), Some(d(2025, 11, 18)), d(2025, 11, 18)));
        assert!(!S::Planned.registration_open(d(2025, 11, 20), Some(d(2025, 11, 18)), d(2025, 11, 19)));
        assert!(S::Planned.registration_open(d(2025, 11, 20), None, d(2025, 11, 20)));
        assert!(!S::Cancelled.registration_open(d(2025, 11, 20), None, d(2025, 11, 1)));
        assert_eq!(S::Held.after(S::Cancelled).unwrap_err().to_string(), "路演当前为“已举办”，不能改为“已取消”");
    }

    #[test]
    fn registrations() {
        let r = RegistrationFields::new(" 王经理 ", "13912345678", 2, "").unwrap();
        assert_eq!((r.contact_name.as_str(), r.contact_phone.as_str()), ("王经理", "13912345678"));
        let e = RegistrationFields::new("", "123", 0, "").unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["contact_name", "contact_phone", "attendees"]);
    }

    #[test]
    fn follow_up_log_until_a_deal_or_a_reasoned_close() {
        use FollowUpOutcome as O;
        use ProjectState as P;
        let today = d(2025, 11, 30);
        assert!(entry(O::Continuing).check(today).is_ok());
        let no_next = FollowUpEntry { next_step: String::new(), ..entry(O::Continuing) };
        assert_eq!(no_next.check(today).unwrap_err().0[0].field, "next_step");
        let close = entry(O::Closed).check(today).unwrap_err();
        assert_eq!(close.0[0].field, "close_reason");
        let closed = FollowUpEntry { close_reason: "企业转向其他技术路线".into(), ..entry(O::Closed) };
        assert!(closed.check(today).is_ok());
        // A deal needs no next step; a reason given with it is dropped.
        let deal = FollowUpEntry { next_step: String::new(), close_reason: "x".into(), ..entry(O::Deal) };
        assert_eq!(deal.check(today).map(|e| e.close_reason), Ok(String::new()));
        let future = FollowUpEntry { happened_on: d(2025, 12, 1), next_on: None, ..entry(O::Continuing) };
        assert_eq!(future.check(today).unwrap_err().0[0].field, "happened_on");
        let backwards = FollowUpEntry { next_on: Some(d(2025, 11, 1)), ..entry(O::Continuing) };
        assert_eq!(backwards.check(today).unwrap_err().0[0].field, "next_on");

        assert_eq!(P::Open.after(O::Continuing), Ok(P::Open));
        assert_eq!(P::Open.after(O::Deal), Ok(P::Deal));
        assert_eq!(P::Open.after(O::Closed), Ok(P::Closed));
        for ended in [P::Deal, P::Closed] {
            for o in O::ALL {
                assert_eq!(ended.after(o), Err(RoadshowError::ProjectEnded(ended)));
            }
        }
        for s in P::ALL {
            assert_eq!(s.code().parse::<ProjectState>(), Ok(s));
        }
        for o in O::ALL {
            assert_eq!(o.code().parse::<FollowUpOutcome>(), Ok(o));
        }
        for m in RoadshowMode::ALL {
            assert_eq!(m.code().parse::<RoadshowMode>(), Ok(m));
        }
    }
}
