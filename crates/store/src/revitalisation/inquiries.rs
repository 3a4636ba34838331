//! Enterprise inquiries to institutions (企业咨询) with their fixed due dates.

use chrono::{DateTime, NaiveDate, Utc};
use ipbridge_domain::ids::{FacultyId, InquiryId, MatchId, OrgId, PatentId, UserId};
use ipbridge_domain::revitalisation::InquiryState;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use super::{corrupt, count, date_from, date_text, opt_date_from};
use crate::{Conflict, Result, StoreError, Tx, time};

/// An inquiry to insert; the due date is computed by the caller (`revitalisation::due_date`).
#[derive(Debug, Clone)]
pub struct NewInquiry<'a> {
    /// The patent asked about.
    pub patent_id: PatentId,
    /// The enterprise asking.
    pub enterprise_org_id: OrgId,
    /// The institution that must answer.
    pub holder_org_id: OrgId,
    /// The match record it belongs to, when there is one.
    pub match_id: Option<MatchId>,
    /// The checked question.
    pub question: &'a str,
    /// Account asking.
    pub asked_by_user_id: Option<UserId>,
    /// Its login name.
    pub asked_by_name: &'a str,
    /// When.
    pub asked_at: DateTime<Utc>,
    /// The local date it was asked on.
    pub asked_on: NaiveDate,
    /// The date it must be answered by.
    pub due_on: NaiveDate,
}

/// A stored inquiry with names joined in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inquiry {
    /// Row id.
    pub id: InquiryId,
    /// The patent.
    pub patent_id: PatentId,
    /// Its application number.
    pub application_no: String,
    /// Its title.
    pub patent_title: String,
    /// The enterprise.
    pub enterprise_org_id: OrgId,
    /// Its name.
    pub enterprise_name: String,
    /// The institution that must answer.
    pub holder_org_id: OrgId,
    /// Its name.
    pub holder_name: String,
    /// The match record.
    pub match_id: Option<MatchId>,
    /// The question.
    pub question: String,
    /// Login name of who asked.
    pub asked_by_name: String,
    /// When.
    pub asked_at: DateTime<Utc>,
    /// The local date.
    pub asked_on: NaiveDate,
    /// The due date.
    pub due_on: NaiveDate,
    /// Where it stands.
    pub state: InquiryState,
    /// The answer ("" until answered).
    pub answer: String,
    /// Login name of who answered.
    pub answered_by_name: String,
    /// When.
    pub answered_at: Option<DateTime<Utc>>,
    /// The local date of the answer.
    pub answered_on: Option<NaiveDate>,
    /// Why it was closed without an answer.
    pub close_reason: String,
    /// When.
    pub closed_at: Option<DateTime<Utc>>,
}

/// Orders of the inquiry list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InquirySort {
    /// Earliest due first (what to answer next).
    #[default]
    DueFirst,
    /// Latest asked first.
    RecentFirst,
}

/// Which inquiries a list shows. Filters are values, never SQL.
#[derive(Debug, Clone, Default)]
pub struct InquiryFilter {
    /// Only those this institution must answer.
    pub holder_org: Option<OrgId>,
    /// Only this enterprise's.
    pub enterprise_org: Option<OrgId>,
    /// Only on patents whose record is in this faculty.
    pub faculty: Option<FacultyId>,
    /// Only on patents linked to this inventor account.
    pub inventor_user: Option<UserId>,
    /// Only on this patent.
    pub patent: Option<PatentId>,
    /// Only this state.
    pub state: Option<InquiryState>,
    /// Only open inquiries past due on this date (due before it).
    pub overdue_on: Option<NaiveDate>,
    /// Order.
    pub sort: InquirySort,
    /// Page size; 0 means no limit.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// How many open inquiries one institution has overdue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueCount {
    /// The institution.
    pub holder_org_id: OrgId,
    /// Its name.
    pub holder_name: String,
    /// Open inquiries past due.
    pub overdue: u64,
    /// The oldest due date among them.
    pub oldest_due_on: NaiveDate,
}

/// Inquiries area.
pub trait InquiryStore {
    /// Inserts an open inquiry.
    async fn insert_inquiry(&mut self, new: &NewInquiry<'_>) -> Result<InquiryId>;
    /// One inquiry.
    async fn inquiry(&mut self, id: InquiryId) -> Result<Option<Inquiry>>;
    /// Answers an open inquiry ([`Conflict::StaleState`] when it is no longer open).
    async fn answer_inquiry(
        &mut self,
        id: InquiryId,
        answer: &str,
        by_user_id: Option<UserId>,
        by_name: &str,
        at: DateTime<Utc>,
        on: NaiveDate,
    ) -> Result<()>;
    /// Closes an open inquiry without an answer ([`Conflict::StaleState`] when it is no longer open).
    async fn close_inquiry(&mut self, id: InquiryId, reason: &str, at: DateTime<Utc>) -> Result<()>;
    /// A page of inquiries.
    async fn list_inquiries(&mut self, filter: &InquiryFilter) -> Result<Vec<Inquiry>>;
    /// How many inquiries match (ignoring paging).
    async fn count_inquiries(&mut self, filter: &InquiryFilter) -> Result<u64>;
    /// Institutions with open inquiries past due on `today`, most overdue first (the bureau's list).
    async fn overdue_by_holder(&mut self, today: NaiveDate) -> Result<Vec<OverdueCount>>;
}

const INQUIRY_FROM: &str = " FROM inquiries q JOIN patents p ON p.id = q.patent_id \
     JOIN orgs e ON e.id = q.enterprise_org_id JOIN orgs h ON h.id = q.holder_org_id";

const INQUIRY_COLUMNS: &str = "SELECT q.id, q.patent_id, p.application_no, p.title AS patent_title, \
     q.enterprise_org_id, e.name AS enterprise_name, q.holder_org_id, h.name AS holder_name, q.match_id, q.question, \
     q.asked_by_name, q.asked_at, q.asked_on, q.due_on, q.state, q.answer, q.answered_by_name, q.answered_at, \
     q.answered_on, q.close_reason, q.closed_at";

fn inquiry_from_row(r: &SqliteRow) -> Result<Inquiry> {
    let state: String = r.try_get("state")?;
    Ok(Inquiry {
        id: InquiryId::new(r.try_get("id")?),
        patent_id: PatentId::new(r.try_get("patent_id")?),
        application_no: r.try_get("application_no")?,
        patent_title: r.try_get("patent_title")?,
        enterprise_org_id: OrgId::new(r.try_get("enterprise_org_id")?),
        enterprise_name: r.try_get("enterprise_name")?,
        holder_org_id: OrgId::new(r.try_get("holder_org_id")?),
        holder_name: r.try_get("holder_name")?,
        match_id: r.try_get::<Option<i64>, _>("match_id")?.map(MatchId::new),
        question: r.try_get("question")?,
        asked_by_name: r.try_get("asked_by_name")?,
        asked_at: time::from_text(&r.try_get::<String, _>("asked_at")?)?,
        asked_on: date_from(&r.try_get::<String, _>("asked_on")?)?,
        due_on: date_from(&r.try_get::<String, _>("due_on")?)?,
        state: state.parse().map_err(|e| corrupt("inquiries.state", e))?,
        answer: r.try_get("answer")?,
        answered_by_name: r.try_get("answered_by_name")?,
        answered_at: time::opt_from_text(r.try_get("answered_at")?)?,
        answered_on: opt_date_from(r.try_get("answered_on")?)?,
        close_reason: r.try_get("close_reason")?,
        closed_at: time::opt_from_text(r.try_get("closed_at")?)?,
    })
}

fn push_filter(qb: &mut QueryBuilder<Sqlite>, f: &InquiryFilter) {
    qb.push(" WHERE 1 = 1");
    if let Some(org) = f.holder_org {
        qb.push(" AND q.holder_org_id = ").push_bind(org.get());
    }
    if let Some(org) = f.enterprise_org {
        qb.push(" AND q.enterprise_org_id = ").push_bind(org.get());
    }
    if let Some(faculty) = f.faculty {
        qb.push(" AND EXISTS (SELECT 1 FROM inventory_records r WHERE r.patent_id = q.patent_id AND r.faculty_id = ")
            .push_bind(faculty.get())
            .push(")");
    }
    if let Some(user) = f.inventor_user {
        qb.push(" AND EXISTS (SELECT 1 FROM patent_inventor_users l WHERE l.patent_id = q.patent_id AND l.user_id = ")
            .push_bind(user.get())
            .push(")");
    }
    if let Some(p) = f.patent {
        qb.push(" AND q.patent_id = ").push_bind(p.get());
    }
    if let Some(s) = f.state {
        qb.push(" AND q.state = ").push_bind(s.code());
    }
    if let Some(today) = f.overdue_on {
        qb.push(" AND q.state = 'open' AND q.due_on < ").push_bind(date_text(today));
    }
}

async fn ensure_open(tx: &mut Tx, id: InquiryId, rows_affected: u64) -> Result<()> {
    if rows_affected > 0 {
        return Ok(());
    }
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM inquiries WHERE id = ?1").bind(id.get()).fetch_optional(tx.conn()).await?;
    Err(if exists.is_some() { StoreError::Conflict(Conflict::StaleState) } else { StoreError::NotFound })
}

impl InquiryStore for Tx {
    async fn insert_inquiry(&mut self, n: &NewInquiry<'_>) -> Result<InquiryId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO inquiries (patent_id, enterprise_org_id, holder_org_id, match_id, question, asked_by_user_id, \
             asked_by_name, asked_at, asked_on, due_on) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
        )
        .bind(n.patent_id.get())
        .bind(n.enterprise_org_id.get())
        .bind(n.holder_org_id.get())
        .bind(n.match_id.map(MatchId::get))
        .bind(n.question)
        .bind(n.asked_by_user_id.map(UserId::get))
        .bind(n.asked_by_name)
        .bind(time::to_text(n.asked_at))
        .bind(date_text(n.asked_on))
        .bind(date_text(n.due_on))
        .fetch_one(self.conn())
        .await?;
        Ok(InquiryId::new(id))
    }

    async fn inquiry(&mut self, id: InquiryId) -> Result<Option<Inquiry>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{INQUIRY_COLUMNS}{INQUIRY_FROM} WHERE q.id = "));
        qb.push_bind(id.get());
        let row = qb.build().fetch_optional(self.conn()).await?;
        row.as_ref().map(inquiry_from_row).transpose()
    }

    async fn answer_inquiry(
        &mut self,
        id: InquiryId,
        answer: &str,
        by_user_id: Option<UserId>,
        by_name: &str,
        at: DateTime<Utc>,
        on: NaiveDate,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE inquiries SET state = 'answered', answer = ?1, answered_by_user_id = ?2, answered_by_name = ?3, \
             answered_at = ?4, answered_on = ?5 WHERE id = ?6 AND state = 'open'",
        )
        .bind(answer)
        .bind(by_user_id.map(UserId::get))
        .bind(by_name)
        .bind(time::to_text(at))
        .bind(date_text(on))
        .bind(id.get())
        .execute(self.conn())
        .await?;
        ensure_open(self, id, done.rows_affected()).await
    }

    async fn close_inquiry(&mut self, id: InquiryId, reason: &str, at: DateTime<Utc>) -> Result<()> {
        let done = sqlx::query(
            "UPDATE inquiries SET state = 'closed', close_reason = ?1, closed_at = ?2 WHERE id = ?3 AND state = 'open'",
        )
        .bind(reason)
        .bind(time::to_text(at))
        .bind(id.get())
        .execute(self.conn())
        .await?;
        ensure_open(self, id, done.rows_affected()).await
    }

    async fn list_inquiries(&mut self, f: &InquiryFilter) -> Result<Vec<Inquiry>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{INQUIRY_COLUMNS}{INQUIRY_FROM}"));
        push_filter(&mut qb, f);
        qb.push(match f.sort {
            InquirySort::DueFirst => " ORDER BY q.due_on ASC, q.id ASC",
            InquirySort::RecentFirst => " ORDER BY q.asked_at DESC, q.id DESC",
        });
        if f.limit > 0 {
            qb.push(" LIMIT ").push_bind(i64::from(f.limit)).push(" OFFSET ").push_bind(i64::from(f.offset));
        }
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(inquiry_from_row).collect()
    }

    async fn count_inquiries(&mut self, f: &InquiryFilter) -> Result<u64> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT count(*){INQUIRY_FROM}"));
        push_filter(&mut qb, f);
        let n: i64 = qb.build_query_scalar().fetch_one(self.conn()).await?;
        Ok(count(n))
    }

    async fn overdue_by_holder(&mut self, today: NaiveDate) -> Result<Vec<OverdueCount>> {
        let rows = sqlx::query(
            "SELECT q.holder_org_id, h.name AS holder_name, count(*) AS overdue, min(q.due_on) AS oldest_due_on \
             FROM inquiries q JOIN orgs h ON h.id = q.holder_org_id WHERE q.state = 'open' AND q.due_on < ?1 \
             GROUP BY q.holder_org_id, h.name ORDER BY overdue DESC, oldest_due_on ASC, h.name",
        )
        .bind(date_text(today))
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OverdueCount {
                    holder_org_id: OrgId::new(r.try_get("holder_org_id")?),
                    holder_name: r.try_get("holder_name")?,
                    overdue: count(r.try_get("overdue")?),
                    oldest_due_on: date_from(&r.try_get::<String, _>("oldest_due_on")?)?,
                })
            })
            .collect()
    }
}
