//! Enterprise technology demands (企业技术需求): what an enterprise needs, how it wants to cooperate, and the
//! review workflow the bureau runs before a demand is published to institutions.
//!
//! The workflow is a pure function ([`DemandStatus::after`]) so every allowed and forbidden step is tested
//! here, and the service only asks it.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::credit_code::fold_full_width;
use crate::ids::{DemandId, OrgId, UserId};
use crate::money::Money;
use crate::org::UnknownCode;
use crate::patent::IpcCode;

/// How the enterprise wants to obtain the technology (合作方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CooperationMode {
    /// 转让: the patent is assigned to the enterprise.
    Assignment,
    /// 许可: the enterprise takes a licence.
    License,
    /// 合作开发: joint development with the holder.
    JointDevelopment,
    /// 技术咨询: consulting or technical service.
    Consulting,
}

impl CooperationMode {
    /// Every mode, in form order.
    pub const ALL: [CooperationMode; 4] = [
        CooperationMode::Assignment,
        CooperationMode::License,
        CooperationMode::JointDevelopment,
        CooperationMode::Consulting,
    ];

    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            CooperationMode::Assignment => "assignment",
            CooperationMode::License => "license",
            CooperationMode::JointDevelopment => "joint_development",
            CooperationMode::Consulting => "consulting",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            CooperationMode::Assignment => "转让",
            CooperationMode::License => "许可",
            CooperationMode::JointDevelopment => "合作开发",
            CooperationMode::Consulting => "技术咨询",
        }
    }

    /// Reads a code or the Chinese name as spreadsheets write it (转让、专利转让、许可、合作开发、技术咨询…).
    pub fn parse_loose(text: &str) -> Option<CooperationMode> {
        let key: String = text.chars().map(fold_full_width).filter(|c| !c.is_whitespace()).collect();
        let key = key.to_ascii_lowercase();
        if let Some(m) = Self::ALL.into_iter().find(|m| m.code() == key || m.label() == key) {
            return Some(m);
        }
        const SYNONYMS: &[(&str, CooperationMode)] = &[
            ("专利转让", CooperationMode::Assignment),
            ("技术转让", CooperationMode::Assignment),
            ("购买", CooperationMode::Assignment),
            ("专利许可", CooperationMode::License),
            ("技术许可", CooperationMode::License),
            ("许可使用", CooperationMode::License),
            ("联合开发", CooperationMode::JointDevelopment),
            ("合作研发", CooperationMode::JointDevelopment),
            ("联合攻关", CooperationMode::JointDevelopment),
            ("产学研合作", CooperationMode::JointDevelopment),
            ("咨询", CooperationMode::Consulting),
            ("技术服务", CooperationMode::Consulting),
            ("技术咨询服务", CooperationMode::Consulting),
        ];
        SYNONYMS.iter().find(|(s, _)| *s == key).map(|(_, m)| *m)
    }
}

impl FromStr for CooperationMode {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

/// Where a demand stands in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemandStatus {
    /// 草稿: saved, not yet sent for review; only its poster and enterprise see it.
    Draft,
    /// 待审核: waiting for the bureau.
    Submitted,
    /// 已发布: visible to every logged-in user and used for matching.
    Published,
    /// 已退回: sent back with a reason; editable and resubmittable.
    Returned,
    /// 已关闭: no longer sought (found, withdrawn or expired); kept for history.
    Closed,
}

impl DemandStatus {
    /// Every status, in workflow order.
    pub const ALL: [DemandStatus; 5] = [
        DemandStatus::Draft,
        DemandStatus::Submitted,
        DemandStatus::Published,
        DemandStatus::Returned,
        DemandStatus::Closed,
    ];

    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            DemandStatus::Draft => "draft",
            DemandStatus::Submitted => "submitted",
            DemandStatus::Published => "published",
            DemandStatus::Returned => "returned",
            DemandStatus::Closed => "closed",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            DemandStatus::Draft => "草稿",
            DemandStatus::Submitted => "待审核",
            DemandStatus::Published => "已发布",
            DemandStatus::Returned => "已退回",
            DemandStatus::Closed => "已关闭",
        }
    }

    /// The status after `action`, or why the action is not possible now.
    ///
    /// Editing what others read (title, description, chain, IPC, mode, budget) of a published demand sends it
    /// back to review, as the bureau vouches for what it published; correcting the contact or the deadline
    /// ([`DemandAction::EditContact`]) keeps it published. Closing is possible from every open status.
    pub fn after(self, action: DemandAction) -> Result<DemandStatus, DemandTransitionError> {
        use DemandAction as A;
        use DemandStatus as S;
        let next = match (self, action) {
            (S::Closed, _) => None,
            (S::Published, A::Edit) => Some(S::Submitted),
            (s, A::Edit | A::EditContact) => Some(s),
            (S::Draft | S::Returned, A::Submit) => Some(S::Submitted),
            (S::Submitted, A::Publish) => Some(S::Published),
            (S::Submitted, A::Return) => Some(S::Returned),
            (_, A::Close) => Some(S::Closed),
            _ => None,
        };
        next.ok_or(DemandTransitionError { from: self, action })
    }

    /// The actions possible from this status (the service narrows them to what the actor may do).
    pub fn actions(self) -> Vec<DemandAction> {
        DemandAction::ALL.into_iter().filter(|a| self.after(*a).is_ok()).collect()
    }
}

impl FromStr for DemandStatus {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

impl fmt::Display for DemandStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What can be done to a demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemandAction {
    /// Change what others read (title, description, chain, IPC, mode, budget).
    Edit,
    /// Change only the contact person, phone or deadline.
    EditContact,
    /// Send for review.
    Submit,
    /// Publish (the bureau).
    Publish,
    /// Send back with a reason (the bureau).
    Return,
    /// Close, with an optional reason.
    Close,
}

impl FromStr for DemandAction {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

impl DemandAction {
    /// Every action.
    pub const ALL: [DemandAction; 6] = [
        DemandAction::Edit,
        DemandAction::EditContact,
        DemandAction::Submit,
        DemandAction::Publish,
        DemandAction::Return,
        DemandAction::Close,
    ];

    /// Stable code (history rows, audit details).
    pub const fn code(self) -> &'static str {
        match self {
            DemandAction::Edit => "edit",
            DemandAction::EditContact => "edit_contact",
            DemandAction::Submit => "submit",
            DemandAction::Publish => "publish",
            DemandAction::Return => "return",
            DemandAction::Close => "close",
        }
    }

    /// Chinese verb shown on buttons and in messages.
    pub const fn label(self) -> &'static str {
        match self {
            DemandAction::Edit => "修改",
            DemandAction::EditContact => "修改联系方式",
            DemandAction::Submit => "提交审核",
            DemandAction::Publish => "发布",
            DemandAction::Return => "退回",
            DemandAction::Close => "关闭",
        }
    }

    /// Only a reviewer (the bureau) may publish or return; the poster may do the rest.
    pub const fn reviewer_only(self) -> bool {
        matches!(self, DemandAction::Publish | DemandAction::Return)
    }
}

/// A step the workflow does not allow; the Display is the message users see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("需求当前为“{}”，不能{}", .from.label(), .action.label())]
pub struct DemandTransitionError {
    /// The status the demand is in.
    pub from: DemandStatus,
    /// What was attempted.
    pub action: DemandAction,
}

/// How a demand came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemandSource {
    /// Typed into the platform's form.
    Form,
    /// Collected offline and imported from a spreadsheet.
    Import,
}

impl DemandSource {
    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            DemandSource::Form => "form",
            DemandSource::Import => "import",
        }
    }

    /// Chinese name.
    pub const fn label(self) -> &'static str {
        match self {
            DemandSource::Form => "在线填报",
            DemandSource::Import => "线下征集导入",
        }
    }
}

impl FromStr for DemandSource {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [DemandSource::Form, DemandSource::Import]
            .into_iter()
            .find(|m| m.code() == s)
            .ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

/// A contact telephone number: a mainland mobile number, a fixed line with or without area code (and
/// extension), or a 400/800 hotline. Stored compact (digits and dashes); shown masked to those who only read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContactPhone(String);

/// Why a text is not a telephone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Nothing given.
    #[error("请填写联系电话")]
    Empty,
    /// Not shaped like a number the platform knows.
    #[error("联系电话“{0}”格式不正确：应为11位手机号（如 13912345678）或带区号的固定电话（如 0915-3261234）")]
    Format(String),
}

impl ContactPhone {
    /// Parses a number as typed: full-width digits, spaces, brackets around the area code, a `+86` prefix
    /// and `转`/`-` before an extension are accepted.
    pub fn parse(input: &str) -> Result<ContactPhone, PhoneError> {
        let folded: String = input
            .chars()
            .map(fold_full_width)
            .filter(|c| !c.is_whitespace())
            .map(|c| if matches!(c, '(' | ')' | '（' | '）') { '-' } else { c })
            .collect();
        if folded.is_empty() {
            return Err(PhoneError::Empty);
        }
        let error = || PhoneError::Format(input.trim().chars().take(30).collect());
        let folded = folded.replace('转', "-");
        let without_country = folded.strip_prefix("+86").or_else(|| folded.strip_prefix("0086")).unwrap_or(&folded);
        let body = without_country.trim_matches('-');
        if body.is_empty() || !body.chars().all(|c| c.is_ascii_digit() || c == '-') || body.contains("--") {
            return Err(error());
        }
        let digits: String = body.chars().filter(char::is_ascii_digit).collect();
        let is_mobile = digits.len() == 11
            && digits.starts_with('1')
            && digits.as_bytes().get(1).is_some_and(|b| (b'3'..=b'9').contains(b));
        if is_mobile {
            return Ok(ContactPhone(digits));
        }
        let groups: Vec<&str> = body.split('-').collect();
        let valid = match groups.as_slice() {
            // 400-xxx-xxxx / 800 hotlines.
            [a, b, c] if (*a == "400" || *a == "800") && b.len() == 3 && c.len() == 4 => true,
            [one] if one.len() == 10 && (one.starts_with("400") || one.starts_with("800")) => true,
            // Area code and local number, optionally an extension.
            [area, local] | [area, local, _] if is_area_code(area) && (7..=8).contains(&local.len()) => {
                groups.get(2).is_none_or(|ext| (1..=6).contains(&ext.len()))
            }
            // Without separators: area code glued to the local number (10 to 12 digits starting with 0).
            [one] if one.starts_with('0') && (10..=12).contains(&one.len()) => true,
            // A local number alone.
            [one] if (7..=8).contains(&one.len()) && !one.starts_with('0') => true,
            _ => false,
        };
        if valid { Ok(ContactPhone(body.to_owned())) } else { Err(error()) }
    }

    /// The stored form, e.g. `13912345678` or `0915-3261234`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A display-only copy holding [`ContactPhone::masked`], for readers who may not see the number: the
    /// services hand it out in place of the real one so a page cannot show more than it should. Never stored.
    pub fn redacted(&self) -> ContactPhone {
        ContactPhone(self.masked())
    }

    /// The number for readers who are not the demand's own side: `139****5678`, `0915-***1234`.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        let digit_positions: Vec<usize> =
            chars.iter().enumerate().filter(|(_, c)| c.is_ascii_digit()).map(|(i, _)| i).collect();
        let n = digit_positions.len();
        // Keep the last four digits and the head that says what kind of number it is: a mobile's first three,
        // a fixed line's area code, a hotline's 400/800; a bare local number keeps no head.
        let keep_head = if let Some((head, _)) = self.0.split_once('-') {
            head.len()
        } else if n == 11 && self.0.starts_with('1') {
            3
        } else if self.0.starts_with('0') {
            4
        } else if self.0.starts_with("400") || self.0.starts_with("800") {
            3
        } else {
            0
        };
        let hide: Vec<usize> =
            digit_positions.iter().copied().skip(keep_head).take(n.saturating_sub(keep_head + 4)).collect();
        chars.iter().enumerate().map(|(i, c)| if hide.contains(&i) { '*' } else { *c }).collect()
    }
}

fn is_area_code(s: &str) -> bool {
    s.starts_with('0') && (3..=4).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

impl fmt::Display for ContactPhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The editable content of a demand, already parsed and checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemandFields {
    /// 需求名称.
    pub title: String,
    /// 需求描述: the problem, the technical requirements, the expected result.
    pub description: String,
    /// The industry chain it belongs to (a code of the `industry_chains` table).
    pub chain_code: Option<String>,
    /// IPC symbols, when the enterprise knows them.
    pub ipc_codes: Vec<IpcCode>,
    /// How the enterprise wants to cooperate.
    pub cooperation_mode: CooperationMode,
    /// Budget lower bound.
    pub budget_min: Option<Money>,
    /// Budget upper bound (not below the lower bound).
    pub budget_max: Option<Money>,
    /// Until when the demand is sought.
    pub deadline: Option<NaiveDate>,
    /// Contact person.
    pub contact_name: String,
    /// Contact telephone.
    pub contact_phone: ContactPhone,
}

impl DemandFields {
    /// Whether what others read differs (title, description, chain, IPC, mode, budget): such an edit of a
    /// published demand goes back to review; contact and deadline corrections do not.
    pub fn content_differs(&self, other: &DemandFields) -> bool {
        self.title != other.title
            || self.description != other.description
            || self.chain_code != other.chain_code
            || self.ipc_codes != other.ipc_codes
            || self.cooperation_mode != other.cooperation_mode
            || self.budget_min != other.budget_min
            || self.budget_max != other.budget_max
    }

    /// The action an edit from `self` to `new` amounts to.
    pub fn edit_action(&self, new: &DemandFields) -> DemandAction {
        if self.content_differs(new) { DemandAction::Edit } else { DemandAction::EditContact }
    }
}

/// Longest title, in characters.
pub const TITLE_MAX_CHARS: usize = 100;
/// Longest description, in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 5000;
/// Longest reason or note, in characters.
pub const REASON_MAX_CHARS: usize = 500;

/// A stored demand, with the names lists and pages show joined in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Demand {
    /// Row id.
    pub id: DemandId,
    /// The enterprise whose need it is.
    pub org_id: OrgId,
    /// That enterprise's name.
    pub enterprise_name: String,
    /// The content.
    pub fields: DemandFields,
    /// Review status.
    pub status: DemandStatus,
    /// The reason given with the last return or close ("" when none).
    pub status_reason: String,
    /// Form or import.
    pub source: DemandSource,
    /// Account that posted it (none for the command line).
    pub posted_by_user_id: Option<UserId>,
    /// Login name of who posted it.
    pub posted_by_name: String,
    /// Organisation that posted it: the enterprise itself, an agency on its behalf, or the bureau.
    pub posted_by_org_id: Option<OrgId>,
    /// That organisation's name.
    pub posted_by_org_name: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Last sent for review.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Last published.
    pub published_at: Option<DateTime<Utc>>,
    /// Closed.
    pub closed_at: Option<DateTime<Utc>>,
}

impl Demand {
    /// Whether `org` is the demand's own side: the enterprise, or the organisation that posted it.
    pub fn is_own_side(&self, org: OrgId) -> bool {
        self.org_id == org || self.posted_by_org_id == Some(org)
    }
}

/// One step of a demand's review history (demand_events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemandEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// Account that acted (none for the command line).
    pub actor_user_id: Option<UserId>,
    /// Its login name.
    pub actor_name: String,
    /// Its organisation.
    pub actor_org_id: Option<OrgId>,
    /// What was done; none for the creation.
    pub action: Option<DemandAction>,
    /// Status before (none for the creation).
    pub from: Option<DemandStatus>,
    /// Status after.
    pub to: DemandStatus,
    /// The reason of a return or close, or what changed.
    pub note: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transition_is_as_specified() {
        use DemandAction as A;
        use DemandStatus as S;
        // The whole table: (from, action) → to; every pair not listed is refused.
        let allowed: &[(S, A, S)] = &[
            (S::Draft, A::Edit, S::Draft),
            (S::Draft, A::EditContact, S::Draft),
            (S::Draft, A::Submit, S::Submitted),
            (S::Draft, A::Close, S::Closed),
            (S::Submitted, A::Edit, S::Submitted),
            (S::Submitted, A::EditContact, S::Submitted),
            (S::Submitted, A::Publish, S::Published),
            (S::Submitted, A::Return, S::Returned),
            (S::Submitted, A::Close, S::Closed),
            (S::Published, A::Edit, S::Submitted),
            (S::Published, A::EditContact, S::Published),
            (S::Published, A::Close, S::Closed),
            (S::Returned, A::Edit, S::Returned),
            (S::Returned, A::EditContact, S::Returned),
            (S::Returned, A::Submit, S::Submitted),
            (S::Returned, A::Close, S::Closed),
        ];
        let mut refused = 0;
        for from in S::ALL {
            for action in A::ALL {
                let expected = allowed.iter().find(|(f, a, _)| *f == from && *a == action).map(|(_, _, t)| *t);
                match (from.after(action), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{from:?} {action:?}"),
                    (Err(e), None) => {
                        refused += 1;
                        assert_eq!(e, DemandTransitionError { from, action });
                    }
                    (got, want) => panic!("{from:?} {action:?}: got {got:?}, want {want:?}"),
                }
            }
        }
        assert_eq!(refused, S::ALL.len() * A::ALL.len() - allowed.len());
        assert_eq!(S::Closed.actions(), Vec::<A>::new());
        assert_eq!(S::Submitted.after(A::Submit).unwrap_err().to_string(), "需求当前为“待审核”，不能提交审核");
        assert_eq!(S::Closed.after(A::Edit).unwrap_err().to_string(), "需求当前为“已关闭”，不能修改");
    }

    #[test]
    fn only_publish_and_return_need_a_reviewer() {
        let reviewer: Vec<_> = DemandAction::ALL.into_iter().filter(|a| a.reviewer_only()).collect();
        assert_eq!(reviewer, [DemandAction::Publish, DemandAction::Return]);
    }

    #[test]
    fn codes_round_trip() {
        for s in DemandStatus::ALL {
            assert_eq!(s.code().parse::<DemandStatus>().unwrap(), s);
        }
        for m in CooperationMode::ALL {
            assert_eq!(m.code().parse::<CooperationMode>().unwrap(), m);
            assert_eq!(CooperationMode::parse_loose(m.label()), Some(m));
            assert_eq!(CooperationMode::parse_loose(m.code()), Some(m));
        }
        assert_eq!(CooperationMode::parse_loose(" 专利许可 "), Some(CooperationMode::License));
        assert_eq!(CooperationMode::parse_loose("入股"), None);
        for s in [DemandSource::Form, DemandSource::Import] {
            assert_eq!(s.code().parse::<DemandSource>().unwrap(), s);
        }
    }

    #[test]
    fn phones_parse_and_mask() {
        let ok = |s: &str| ContactPhone::parse(s).map(|p| p.as_str().to_owned());
        assert_eq!(ok("139 1234 5678"), Ok("13912345678".into()));
        assert_eq!(ok("+86 13912345678"), Ok("13912345678".into()));
        assert_eq!(ok("１３９１２３４５６７８"), Ok("13912345678".into()));
        assert_eq!(ok("0915-3261234"), Ok("0915-3261234".into()));
        assert_eq!(ok("(0915)3261234"), Ok("0915-3261234".into()));
        assert_eq!(ok("0915-3261234转801"), Ok("0915-3261234-801".into()));
        assert_eq!(ok("09153261234"), Ok("09153261234".into()));
        assert_eq!(ok("400-123-4567"), Ok("400-123-4567".into()));
        assert_eq!(ok("3261234"), Ok("3261234".into()));
        assert_eq!(ContactPhone::parse("  "), Err(PhoneError::Empty));
        for bad in ["12345", "1391234567", "139123456789", "abc", "0915--3261234", "0915-32612", "09-3261234", "电话"]
        {
            assert!(matches!(ContactPhone::parse(bad), Err(PhoneError::Format(_))), "{bad}");
        }
        assert_eq!(ContactPhone::parse("13912345678").unwrap().masked(), "139****5678");
        assert_eq!(ContactPhone::parse("0915-3261234").unwrap().masked(), "0915-***1234");
        assert_eq!(ContactPhone::parse("3261234").unwrap().masked(), "***1234");
    }

    fn fields() -> DemandFields {
        DemandFields {
            title: "富硒茶叶深加工工艺".into(),
            description: "需要提高茶多酚提取率".into(),
            chain_code: Some("selenium_food".into()),
            ipc_codes: vec![IpcCode::parse("A23F3/06").unwrap()],
            cooperation_mode: CooperationMode::License,
            budget_min: Money::from_yuan(100_000),
            budget_max: Money::from_yuan(500_000),
            deadline: NaiveDate::from_ymd_opt(2030, 1, 1),
            contact_name: "王经理".into(),
            contact_phone: ContactPhone::parse("13912345678").unwrap(),
        }
    }

    #[test]
    fn contact_and_deadline_edits_are_not_content_edits() {
        let a = fields();
        let mut b = a.clone();
        b.contact_name = "李经理".into();
        b.contact_phone = ContactPhone::parse("0915-3261234").unwrap();
        b.deadline = NaiveDate::from_ymd_opt(2031, 1, 1);
        assert_eq!(a.edit_action(&b), DemandAction::EditContact);
        b.budget_max = Money::from_yuan(600_000);
        assert_eq!(a.edit_action(&b), DemandAction::Edit);
        let mut c = a.clone();
        c.description.push('。');
        assert!(a.content_differs(&c));
    }
}
