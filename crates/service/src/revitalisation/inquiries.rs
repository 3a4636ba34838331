//! Enterprise inquiries (企业咨询) about pool patents and the working-day deadline of the answer.
//!
//! An enterprise member ([`Permission::AskInquiries`]) asks about a pool patent; the holder institution must
//! answer by the due date fixed when it was asked ([`due_date`]: the policy's `response_working_days` on the
//! platform's holiday calendar). Who sees and answers which inquiries (`docs/revitalisation.md`):
//! - the enterprise: its own (it may withdraw an open one);
//! - the institution admin: every inquiry to the institution;
//! - a faculty reviewer: those on patents whose record is in the own faculty;
//! - an inventor: those on patents linked to the account;
//! - the bureau and its leaders ([`Permission::ViewAllInventory`]): all, with the overdue list; a bureau
//!   officer ([`Permission::ManageMatches`]) may close one that will not be answered.
//!
//! Another party's inquiry is reported as not found.

use chrono::NaiveDate;
use ipbridge_domain::Permission;
use ipbridge_domain::account::User;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::ids::{InquiryId, PatentId};
use ipbridge_domain::notification::NotificationKind;
use ipbridge_domain::org::OrgKind;
use ipbridge_domain::permission::Role;
use ipbridge_domain::revitalisation::{
    InquiryState, ResponseClock, check_answer, check_close, check_question, due_date, local_date, response_clock,
};
use ipbridge_store::{AuditStore, InquiryStore, InventoryStore, MatchStore, NewInquiry, PoolStore, Tx};
/// The store's inquiry types pages work with.
pub use ipbridge_store::{Inquiry, InquiryFilter, InquirySort, OverdueCount};
use serde_json::json;

use crate::error::invalid;
use crate::notifications::{Notice, notify_orgs};
use crate::{Actor, App, Result, ServiceError};

/// Open inquiries due within this many working days are "due soon" on the institution's home page.
pub const DUE_SOON_WORKING_DAYS: i64 = 3;

/// How the actor takes part in inquiries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// The bureau, its leaders, the command line: everything, read.
    Overseer,
    /// An enterprise member: its own.
    Enterprise,
    /// The institution admin: the institution's.
    Institution,
    /// A faculty reviewer: the own faculty's.
    Faculty,
    /// An inventor: the linked patents'.
    Inventor,
}

fn part_of(actor: &Actor) -> Result<(Part, Option<&User>)> {
    if actor.is_cli() {
        return Ok((Part::Overseer, None));
    }
    let user = actor.user()?;
    let part = if user.can(Permission::ViewAllInventory) {
        Part::Overseer
    } else if user.can(Permission::AskInquiries) && user.org_kind == OrgKind::Enterprise {
        Part::Enterprise
    } else if user.can(Permission::AnswerInquiries) && user.roles.contains(&Role::InstitutionAdmin) {
        Part::Institution
    } else if user.can(Permission::AnswerInquiries) && user.roles.contains(&Role::FacultyReviewer) {
        Part::Faculty
    } else if user.can(Permission::AnswerInquiries) && user.roles.contains(&Role::Inventor) {
        Part::Inventor
    } else {
        return Err(ServiceError::Forbidden);
    };
    Ok((part, Some(user)))
}

/// The filter narrowed to what the actor may see.
fn scoped(actor: &Actor, filter: &InquiryFilter) -> Result<InquiryFilter> {
    let (part, user) = part_of(actor)?;
    let mut f = filter.clone();
    let Some(user) = user else { return Ok(f) };
    match part {
        Part::Overseer => {}
        Part::Enterprise => f.enterprise_org = Some(user.org_id),
        Part::Institution => f.holder_org = Some(user.org_id),
        Part::Faculty => {
            f.holder_org = Some(user.org_id);
            // A reviewer without a faculty has none to see; an impossible faculty id keeps the list empty.
            f.faculty = Some(user.faculty_id.unwrap_or(ipbridge_domain::ids::FacultyId::new(0)));
        }
        Part::Inventor => {
            f.holder_org = Some(user.org_id);
            f.inventor_user = Some(user.id);
        }
    }
    Ok(f)
}

/// Whether the actor may see this inquiry, and whether it answers it (the institution side).
async fn access(tx: &mut Tx, actor: &Actor, q: &Inquiry) -> Result<(bool, bool)> {
    let (part, user) = part_of(actor)?;
    let Some(user) = user else { return Ok((true, false)) };
    let holder = user.org_id == q.holder_org_id;
    let answers = match part {
        Part::Overseer => return Ok((true, false)),
        Part::Enterprise => return Ok((user.org_id == q.enterprise_org_id, false)),
        Part::Institution => holder,
        Part::Faculty => {
            holder
                && user.faculty_id.is_some()
                && tx.inventory_record_for_patent(q.patent_id).await?.and_then(|r| r.faculty_id) == user.faculty_id
        }
        Part::Inventor => holder && tx.is_linked_inventor(user.id, q.patent_id).await?,
    };
    Ok((answers, answers))
}

fn inquiry_link(id: InquiryId) -> String {
    format!("/inquiries/{id}")
}

/// An inquiry with where it stands against its due date today.
#[derive(Debug, Clone)]
pub struct InquiryRow {
    /// The inquiry.
    pub inquiry: Inquiry,
    /// 剩余 N 个工作日 / 今日到期 / 已逾期 N 个工作日 / 按时答复 …; none for a closed inquiry.
    pub clock: Option<ResponseClock>,
}

/// A page of inquiries.
#[derive(Debug, Clone)]
pub struct InquiryPage {
    /// The inquiries.
    pub rows: Vec<InquiryRow>,
    /// How many match.
    pub total: u64,
}

/// One inquiry as the actor sees it.
#[derive(Debug, Clone)]
pub struct InquiryView {
    /// The inquiry and its clock.
    pub row: InquiryRow,
    /// The actor answers it (the institution side, while open).
    pub can_answer: bool,
    /// The actor may close it without an answer (the enterprise withdrawing, or a bureau officer), while open.
    pub can_close: bool,
}

/// The institution side's inquiries needing attention (its home page).
#[derive(Debug, Clone, Default)]
pub struct InquiryAlerts {
    /// Open and past due, oldest due first.
    pub overdue: Vec<InquiryRow>,
    /// Open and due within [`DUE_SOON_WORKING_DAYS`] working days.
    pub due_soon: Vec<InquiryRow>,
}

impl App {
    /// The due date of an inquiry asked on `asked_on`, with the policy's working days and the holiday calendar.
    pub fn inquiry_due_date(&self, asked_on: NaiveDate) -> NaiveDate {
        due_date(asked_on, &self.calendar, &self.policy.revitalisation)
    }

    fn row(&self, inquiry: Inquiry, today: NaiveDate) -> InquiryRow {
        let clock = match inquiry.state {
            InquiryState::Closed => None,
            _ => Some(response_clock(inquiry.due_on, today, inquiry.answered_on, &self.calendar)),
        };
        InquiryRow { inquiry, clock }
    }

    /// An enterprise asks the holder institution about a pool patent. The due date is fixed now; the
    /// institution is told. Returns the inquiry.
    pub async fn ask_inquiry(&self, actor: &Actor, patent: PatentId, question: &str) -> Result<InquiryId> {
        let user = actor.require(Permission::AskInquiries)?;
        if user.org_kind != OrgKind::Enterprise {
            return Err(ServiceError::Forbidden);
        }
        let question = check_question(question).map_err(|e| invalid("question", e.to_string()))?;
        let mut tx = self.db.begin().await?;
        let entry = tx.pool_entry(patent).await?.ok_or(ServiceError::NotFound)?;
        let match_id = tx.open_match_for(patent, user.org_id).await?.map(|r| r.id);
        let now = self.now();
        let asked_on = local_date(now);
        let due_on = self.inquiry_due_date(asked_on);
        let name = actor.name();
        let id = tx
            .insert_inquiry(&NewInquiry {
                patent_id: patent,
                enterprise_org_id: user.org_id,
                holder_org_id: entry.holder_org_id,
                match_id,
                question: &question,
                asked_by_user_id: Some(user.id),
                asked_by_name: &name,
                asked_at: now,
                asked_on,
                due_on,
            })
            .await?;
        tx.append_audit(&actor.audit(
            Action::InquiryCreate,
            "inquiry",
            id,
            Outcome::Success,
            json!({"patent_id": patent, "enterprise_org_id": user.org_id, "holder_org_id": entry.holder_org_id,
                   "asked_on": asked_on.to_string(), "due_on": due_on.to_string()}),
        ))
        .await?;
        let notice = Notice {
            kind: NotificationKind::Inquiry,
            title: format!("{}咨询专利“{}”", user.org_name, entry.title),
            body: format!(
                "请于{}前答复（{}个工作日内）。咨询内容：{}",
                due_on.format("%Y年%-m月%-d日"),
                self.policy.revitalisation.response_working_days,
                question
            ),
            link: inquiry_link(id),
        };
        notify_orgs(&mut tx, &[Some(entry.holder_org_id)], Some(user.org_id), &notice, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Inquiries the actor may see, filtered and paged, each with its clock.
    pub async fn list_inquiries(&self, actor: &Actor, filter: &InquiryFilter) -> Result<InquiryPage> {
        let filter = scoped(actor, filter)?;
        let mut tx = self.db.read().await?;
        let list = tx.list_inquiries(&filter).await?;
        let total = tx.count_inquiries(&filter).await?;
        let today = self.china_today();
        Ok(InquiryPage { rows: list.into_iter().map(|q| self.row(q, today)).collect(), total })
    }

    /// One inquiry, if the actor may see it (else not found).
    pub async fn inquiry_view(&self, actor: &Actor, id: InquiryId) -> Result<InquiryView> {
        let mut tx = self.db.read().await?;
        let q = tx.inquiry(id).await?.ok_or(ServiceError::NotFound)?;
        let (sees, answers) = access(&mut tx, actor, &q).await?;
        if !sees {
            return Err(ServiceError::NotFound);
        }
        let open = q.state == InquiryState::Open;
        let closes = actor.user.as_ref().is_some_and(|u| {
            (u.can(Permission::AskInquiries) && u.org_id == q.enterprise_org_id) || u.can(Permission::ManageMatches)
        });
        Ok(InquiryView { row: self.row(q, self.china_today()), can_answer: open && answers, can_close: open && closes })
    }

    /// The institution side answers an open inquiry; the enterprise is told. Audited with whether it was in time.
    pub async fn answer_inquiry(&self, actor: &Actor, id: InquiryId, answer: &str) -> Result<()> {
        let user = actor.require(Permission::AnswerInquiries)?.clone();
        let mut tx = self.db.begin().await?;
        let q = tx.inquiry(id).await?.ok_or(ServiceError::NotFound)?;
        let (sees, answers) = access(&mut tx, actor, &q).await?;
        if !sees {
            return Err(ServiceError::NotFound);
        }
        if !answers {
            return Err(ServiceError::Forbidden);
        }
        let answer = check_answer(q.state, answer).map_err(|e| invalid("answer", e.to_string()))?;
        let now = self.now();
        let today = local_date(now);
        let name = actor.name();
        tx.answer_inquiry(id, &answer, Some(user.id), &name, now, today).await?;
        let clock = response_clock(q.due_on, today, Some(today), &self.calendar);
        tx.append_audit(&actor.audit(
            Action::InquiryAnswer,
            "inquiry",
            id,
            Outcome::Success,
            json!({"patent_id": q.patent_id, "due_on": q.due_on.to_string(), "answered_on": today.to_string(),
                   "in_time": clock == ResponseClock::AnsweredInTime}),
        ))
        .await?;
        let notice = Notice {
            kind: NotificationKind::Inquiry,
            title: format!("{}答复了您对专利“{}”的咨询", q.holder_name, q.patent_title),
            body: answer,
            link: inquiry_link(id),
        };
        notify_orgs(&mut tx, &[Some(q.enterprise_org_id)], Some(user.org_id), &notice, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Closes an open inquiry without an answer: the enterprise withdrawing its own, or a bureau officer. The
    /// other parties are told.
    pub async fn close_inquiry(&self, actor: &Actor, id: InquiryId, reason: &str) -> Result<()> {
        let user = actor.user()?.clone();
        let mut tx = self.db.begin().await?;
        let q = tx.inquiry(id).await?.ok_or(ServiceError::NotFound)?;
        let (sees, _) = access(&mut tx, actor, &q).await?;
        if !sees {
            return Err(ServiceError::NotFound);
        }
        let own = user.can(Permission::AskInquiries) && user.org_id == q.enterprise_org_id;
        if !(own || user.can(Permission::ManageMatches)) {
            return Err(ServiceError::Forbidden);
        }
        let reason = check_close(q.state, reason).map_err(|e| invalid("reason", e.to_string()))?;
        let now = self.now();
        tx.close_inquiry(id, &reason, now).await?;
        tx.append_audit(&actor.audit(
            Action::InquiryClose,
            "inquiry",
            id,
            Outcome::Success,
            json!({"patent_id": q.patent_id, "by": if own { "enterprise" } else { "bureau" }, "reason": reason}),
        ))
        .await?;
        let notice = Notice {
            kind: NotificationKind::Inquiry,
            title: format!("关于专利“{}”的咨询已关闭", q.patent_title),
            body: format!(
                "{}关闭了{}的咨询，原因：{reason}",
                if own { q.enterprise_name.as_str() } else { "市场监管局" },
                q.enterprise_name
            ),
            link: inquiry_link(id),
        };
        notify_orgs(&mut tx, &[Some(q.holder_org_id), Some(q.enterprise_org_id)], Some(user.org_id), &notice, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Institutions with open inquiries past due today, most overdue first (the bureau's overview).
    pub async fn overdue_inquiries_by_holder(&self, actor: &Actor) -> Result<Vec<OverdueCount>> {
        actor.authorise(Permission::ViewAllInventory)?;
        Ok(self.db.read().await?.overdue_by_holder(self.china_today()).await?)
    }

    /// The overdue and due-soon inquiries of the institution side (institution admin, faculty reviewer,
    /// inventor), for the home page; none for other accounts.
    pub async fn inquiry_alerts(&self, actor: &Actor) -> Result<Option<InquiryAlerts>> {
        let Ok((part, _)) = part_of(actor) else { return Ok(None) };
        if !matches!(part, Part::Institution | Part::Faculty | Part::Inventor) {
            return Ok(None);
        }
        let filter = InquiryFilter { state: Some(InquiryState::Open), ..InquiryFilter::default() };
        let page = self.list_inquiries(actor, &filter).await?;
        let mut alerts = InquiryAlerts::default();
        for row in page.rows {
            match row.clock {
                Some(ResponseClock::Overdue { .. }) => alerts.overdue.push(row),
                Some(ResponseClock::Pending { working_days_left }) if working_days_left <= DUE_SOON_WORKING_DAYS => {
                    alerts.due_soon.push(row)
                }
                _ => {}
            }
        }
        Ok(Some(alerts))
    }
}
