//! Enterprise inquiries (企业咨询) and the response deadline.
//!
//! When an enterprise asks an institution about a patent, the institution must answer within the policy's
//! `response_working_days` (default 10) working days. The due date is fixed when the question is asked
//! ([`due_date`]) and stored, so a later change of the policy or the calendar does not move promises already
//! made. Open inquiries count down ([`response_clock`]); overdue ones go on the bureau's list and the
//! institution's home page.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::WorkCalendar;
use crate::org::UnknownCode;
use crate::policy::RevitalisationRules;

/// Longest question or answer, in characters.
pub const INQUIRY_TEXT_MAX_CHARS: usize = 2000;

/// Where an inquiry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InquiryState {
    /// 待答复.
    Open,
    /// 已答复.
    Answered,
    /// 已关闭: withdrawn by the enterprise or closed by the bureau without an answer.
    Closed,
}

impl InquiryState {
    /// Every state.
    pub const ALL: [InquiryState; 3] = [InquiryState::Open, InquiryState::Answered, InquiryState::Closed];

    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            InquiryState::Open => "open",
            InquiryState::Answered => "answered",
            InquiryState::Closed => "closed",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            InquiryState::Open => "待答复",
            InquiryState::Answered => "已答复",
            InquiryState::Closed => "已关闭",
        }
    }
}

impl FromStr for InquiryState {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

impl fmt::Display for InquiryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why an inquiry step is refused; the Display is the message users see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InquiryError {
    /// No question.
    #[error("请填写咨询内容")]
    QuestionEmpty,
    /// No answer.
    #[error("请填写答复内容")]
    AnswerEmpty,
    /// Closing without a reason.
    #[error("请填写关闭原因")]
    ReasonEmpty,
    /// A text over the limit.
    #[error("内容不能超过2000个字符")]
    TooLong,
    /// Answering or closing what is no longer open.
    #[error("该咨询当前为“{}”，不能再答复或关闭", .0.label())]
    NotOpen(InquiryState),
}

fn checked(text: &str, empty: InquiryError) -> Result<String, InquiryError> {
    let text = text.trim();
    if text.is_empty() {
        Err(empty)
    } else if text.chars().count() > INQUIRY_TEXT_MAX_CHARS {
        Err(InquiryError::TooLong)
    } else {
        Ok(text.to_owned())
    }
}

/// Checks a question.
pub fn check_question(text: &str) -> Result<String, InquiryError> {
    checked(text, InquiryError::QuestionEmpty)
}

/// Checks an answer to an inquiry in `state`.
pub fn check_answer(state: InquiryState, text: &str) -> Result<String, InquiryError> {
    if state != InquiryState::Open {
        return Err(InquiryError::NotOpen(state));
    }
    checked(text, InquiryError::AnswerEmpty)
}

/// Checks the reason for closing an inquiry in `state` without an answer.
pub fn check_close(state: InquiryState, reason: &str) -> Result<String, InquiryError> {
    if state != InquiryState::Open {
        return Err(InquiryError::NotOpen(state));
    }
    checked(reason, InquiryError::ReasonEmpty)
}

/// The local date (China Standard Time, UTC+8) of an instant: deadlines are counted in local days.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    match FixedOffset::east_opt(8 * 3600) {
        Some(cst) => t.with_timezone(&cst).date_naive(),
        None => t.date_naive(),
    }
}

/// The date an inquiry asked on `asked_on` must be answered by: the `response_working_days`-th working day
/// after it (a question asked on a weekend or holiday starts counting on the next working day).
pub fn due_date(asked_on: NaiveDate, calendar: &WorkCalendar, rules: &RevitalisationRules) -> NaiveDate {
    calendar.add_working_days(asked_on, rules.response_working_days)
}

/// Where an inquiry stands against its due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ResponseClock {
    /// Open, due in this many working days (0: due today).
    Pending {
        /// Working days left after today.
        working_days_left: i64,
    },
    /// Open past its due date.
    Overdue {
        /// Working days since the due date.
        working_days_late: i64,
    },
    /// Answered on or before the due date.
    AnsweredInTime,
    /// Answered after the due date.
    AnsweredLate {
        /// Working days after the due date.
        working_days_late: i64,
    },
}

impl ResponseClock {
    /// Open and past due: on the bureau's overdue list.
    pub const fn is_overdue(self) -> bool {
        matches!(self, ResponseClock::Overdue { .. })
    }
}

impl fmt::Display for ResponseClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseClock::Pending { working_days_left: 0 } => f.write_str("今日到期"),
            ResponseClock::Pending { working_days_left } => write!(f, "剩余{working_days_left}个工作日"),
            ResponseClock::Overdue { working_days_late } => write!(f, "已逾期{working_days_late}个工作日"),
            ResponseClock::AnsweredInTime => f.write_str("按时答复"),
            ResponseClock::AnsweredLate { working_days_late } => write!(f, "逾期{working_days_late}个工作日答复"),
        }
    }
}

/// The clock of an inquiry due on `due`, seen on `today`, answered on `answered_on` if it was.
///
/// An open inquiry is overdue from the first day after its due date, even a weekend day (its lateness is then
/// 0 working days until the next working day passes, so it reads "已逾期" without inflating the count).
pub fn response_clock(
    due: NaiveDate,
    today: NaiveDate,
    answered_on: Option<NaiveDate>,
    calendar: &WorkCalendar,
) -> ResponseClock {
    match answered_on {
        Some(on) if on <= due => ResponseClock::AnsweredInTime,
        Some(on) => ResponseClock::AnsweredLate { working_days_late: calendar.working_days_between(due, on) },
        None if today <= due => ResponseClock::Pending { working_days_left: calendar.working_days_between(today, due) },
        None => ResponseClock::Overdue { working_days_late: calendar.working_days_between(due, today) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{ANKANG_2024_TOML, Policy};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    fn setup() -> (WorkCalendar, RevitalisationRules) {
        let policy = match Policy::from_toml_str(ANKANG_2024_TOML) {
            Ok(p) => p,
            Err(e) => panic!("policy: {e}"),
        };
        let calendar = match policy.load_work_calendar(|_| None) {
            Ok(c) => c,
            Err(e) => panic!("calendar: {e}"),
        };
        (calendar, policy.revitalisation)
    }

    #[test]
    fn ten_working_days_over_the_national_day() {
        let (cal, rules) = setup();
        assert_eq!(rules.response_working_days, 10);
        assert_eq!(due_date(d(2025, 9, 26), &cal, &rules), d(2025, 10, 16));
        // Asked on Saturday 4 October, in the holiday: due 10 working days after it ends.
        assert_eq!(due_date(d(2025, 10, 4), &cal, &rules), d(2025, 10, 21));
    }

    #[test]
    fn the_clock_counts_down_then_up() {
        let (cal, _) = setup();
        let due = d(2025, 10, 16);
        assert_eq!(response_clock(due, d(2025, 9, 30), None, &cal), ResponseClock::Pending { working_days_left: 7 });
        assert_eq!(response_clock(due, d(2025, 10, 16), None, &cal).to_string(), "今日到期");
        let late = response_clock(due, d(2025, 10, 20), None, &cal);
        assert_eq!(late, ResponseClock::Overdue { working_days_late: 2 });
        assert!(late.is_overdue());
        assert_eq!(late.to_string(), "已逾期2个工作日");
        assert_eq!(response_clock(due, d(2025, 10, 25), Some(d(2025, 10, 16)), &cal), ResponseClock::AnsweredInTime);
        assert_eq!(response_clock(due, d(2025, 10, 25), Some(d(2025, 10, 17)), &cal).to_string(), "逾期1个工作日答复");
    }

    #[test]
    fn texts_and_states() {
        assert_eq!(check_question("  "), Err(InquiryError::QuestionEmpty));
        assert_eq!(check_question(" 能否提供样品？ "), Ok("能否提供样品？".to_owned()));
        assert_eq!(check_question(&"问".repeat(2001)), Err(InquiryError::TooLong));
        assert_eq!(check_answer(InquiryState::Answered, "好"), Err(InquiryError::NotOpen(InquiryState::Answered)));
        assert_eq!(check_answer(InquiryState::Open, ""), Err(InquiryError::AnswerEmpty));
        assert_eq!(check_close(InquiryState::Open, ""), Err(InquiryError::ReasonEmpty));
        assert_eq!(InquiryError::NotOpen(InquiryState::Closed).to_string(), "该咨询当前为“已关闭”，不能再答复或关闭");
        for s in InquiryState::ALL {
            assert_eq!(s.code().parse::<InquiryState>(), Ok(s));
        }
        // 23:30 UTC is 07:30 the next morning in Ankang.
        let t = DateTime::parse_from_rfc3339("2025-09-30T23:30:00Z").map(|t| t.to_utc()).unwrap_or_default();
        assert_eq!(local_date(t), d(2025, 10, 1));
    }
}
