//! Match records between patents and enterprises, and their history.

use chrono::{DateTime, Utc};
use ipbridge_domain::ids::{DemandId, MatchId, OrgId, PatentId, UserId};
use ipbridge_domain::matching::{MatchEvent, MatchOrigin, MatchState, NotInterestedFeedback, NotInterestedReason};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::orgs::escape_like;
use crate::{Result, StoreError, Tx, time};

/// A stored match record, with the names lists and pages show joined in.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchRecord {
    /// Row id.
    pub id: MatchId,
    /// The patent.
    pub patent_id: PatentId,
    /// Its application number.
    pub application_no: String,
    /// Its title.
    pub patent_title: String,
    /// The enterprise.
    pub enterprise_org_id: OrgId,
    /// The enterprise's name.
    pub enterprise_name: String,
    /// The holder organisation (the patent's owner when the match was saved), when linked.
    pub holder_org_id: Option<OrgId>,
    /// The holder's name.
    pub holder_name: Option<String>,
    /// The demand it answers, when it came from one.
    pub demand_id: Option<DemandId>,
    /// That demand's title.
    pub demand_title: Option<String>,
    /// How it came about.
    pub origin: MatchOrigin,
    /// The matcher's score (0 when recorded by hand).
    pub score: f32,
    /// The matcher's reasons, as the search engine gave them (opaque JSON; `null` when none).
    pub explanation: serde_json::Value,
    /// Current state.
    pub state: MatchState,
    /// The enterprise's last refusal (kept when it later changes its mind, for the record).
    pub feedback: Option<NotInterestedFeedback>,
    /// Account that saved it.
    pub created_by_user_id: Option<UserId>,
    /// Login name of who saved it.
    pub created_by_name: String,
    /// Saved.
    pub created_at: DateTime<Utc>,
    /// Last changed in any way.
    pub updated_at: DateTime<Utc>,
    /// Entered its current state.
    pub state_changed_at: DateTime<Utc>,
}

impl MatchRecord {
    /// Whole days since the record was saved (its age in the bureau's list).
    pub fn age_days(&self, now: DateTime<Utc>) -> i64 {
        (now - self.created_at).num_days().max(0)
    }

    /// Whole days in the current state (how long it has been waiting on someone).
    pub fn days_in_state(&self, now: DateTime<Utc>) -> i64 {
        (now - self.state_changed_at).num_days().max(0)
    }
}

/// A match record to insert.
#[derive(Debug, Clone)]
pub struct NewMatch<'a> {
    /// The patent.
    pub patent_id: PatentId,
    /// The enterprise.
    pub enterprise_org_id: OrgId,
    /// The demand it answers.
    pub demand_id: Option<DemandId>,
    /// The patent's owner organisation now.
    pub holder_org_id: Option<OrgId>,
    /// How it came about.
    pub origin: MatchOrigin,
    /// The matcher's score.
    pub score: f32,
    /// The matcher's reasons.
    pub explanation: &'a serde_json::Value,
    /// Initial state.
    pub state: MatchState,
    /// Who saves it.
    pub created_by_user_id: Option<UserId>,
    /// Its login name.
    pub created_by_name: &'a str,
}

/// Orders of the match list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchSort {
    /// Latest state change first.
    #[default]
    RecentChange,
    /// Longest waiting in its state first (what needs chasing).
    LongestWaiting,
    /// Highest score first.
    Score,
}

/// Which match records a list shows. Filters are values, never SQL.
#[derive(Debug, Clone, Default)]
pub struct MatchFilter {
    /// Only this enterprise's records.
    pub enterprise_org: Option<OrgId>,
    /// Only records on patents this organisation holds.
    pub holder_org: Option<OrgId>,
    /// Only records where this organisation is the enterprise or the holder.
    pub party_org: Option<OrgId>,
    /// Only this state.
    pub state: Option<MatchState>,
    /// Only this origin.
    pub origin: Option<MatchOrigin>,
    /// Only records answering this demand.
    pub demand_id: Option<DemandId>,
    /// Only records of this patent.
    pub patent_id: Option<PatentId>,
    /// Only open records (not a deal, not closed).
    pub open_only: bool,
    /// Only records that entered their state before this time (waiting at least so long).
    pub state_changed_before: Option<DateTime<Utc>>,
    /// Patent title, application number, enterprise or holder name contains.
    pub text: Option<String>,
    /// Order.
    pub sort: MatchSort,
    /// Page size; 0 means no limit.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// Match records area.
pub trait MatchStore {
    /// Inserts a record.
    async fn insert_match(&mut self, new: &NewMatch<'_>, now: DateTime<Utc>) -> Result<MatchId>;
    /// The open record (not a deal, not closed) of a patent and an enterprise.
    async fn open_match_for(&mut self, patent: PatentId, enterprise: OrgId) -> Result<Option<MatchRecord>>;
    /// One record.
    async fn match_record(&mut self, id: MatchId) -> Result<Option<MatchRecord>>;
    /// Moves a record to `state`; a refusal's reason and text are kept with it.
    async fn set_match_state(
        &mut self,
        id: MatchId,
        state: MatchState,
        feedback: Option<&NotInterestedFeedback>,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Appends a step to a record's history.
    async fn add_match_event(&mut self, id: MatchId, event: &MatchEvent) -> Result<()>;
    /// A record's history, oldest first.
    async fn match_events(&mut self, id: MatchId) -> Result<Vec<MatchEvent>>;
    /// A page of records.
    async fn list_matches(&mut self, filter: &MatchFilter) -> Result<Vec<MatchRecord>>;
    /// How many records match (ignoring paging).
    async fn count_matches(&mut self, filter: &MatchFilter) -> Result<u64>;
    /// How many records of the filter are in each state (ignoring the filter's state and paging).
    async fn count_matches_by_state(&mut self, filter: &MatchFilter) -> Result<Vec<(MatchState, u64)>>;
}

const MATCH_FROM: &str = " FROM match_records m JOIN patents p ON p.id = m.patent_id \
     JOIN orgs e ON e.id = m.enterprise_org_id LEFT JOIN orgs h ON h.id = m.holder_org_id \
     LEFT JOIN demands d ON d.id = m.demand_id";

const MATCH_COLUMNS: &str = "SELECT m.id, m.patent_id, p.application_no, p.title AS patent_title, \
     m.enterprise_org_id, e.name AS enterprise_name, m.holder_org_id, h.name AS holder_name, m.demand_id, \
     d.title AS demand_title, m.origin, m.score, m.explanation, m.state, m.not_interested_reason, m.feedback_text, \
     m.created_by_user_id, m.created_by_name, m.created_at, m.updated_at, m.state_changed_at";

fn corrupt(column: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("match_records.{column}: {e}"))
}

fn match_from_row(row: &SqliteRow) -> Result<MatchRecord> {
    let origin: String = row.try_get("origin")?;
    let state: String = row.try_get("state")?;
    let explanation: String = row.try_get("explanation")?;
    let reason: Option<String> = row.try_get("not_interested_reason")?;
    let score: f64 = row.try_get("score")?;
    Ok(MatchRecord {
        id: MatchId::new(row.try_get("id")?),
        patent_id: PatentId::new(row.try_get("patent_id")?),
        application_no: row.try_get("application_no")?,
        patent_title: row.try_get("patent_title")?,
        enterprise_org_id: OrgId::new(row.try_get("enterprise_org_id")?),
        enterprise_name: row.try_get("enterprise_name")?,
        holder_org_id: row.try_get::<Option<i64>, _>("holder_org_id")?.map(OrgId::new),
        holder_name: row.try_get("holder_name")?,
        demand_id: row.try_get::<Option<i64>, _>("demand_id")?.map(DemandId::new),
        demand_title: row.try_get("demand_title")?,
        origin: origin.parse().map_err(|e| corrupt("origin", e))?,
        // Scores are written from f32, so narrowing back is exact.
        score: score as f32,
        explanation: serde_json::from_str(&explanation).map_err(|e| corrupt("explanation", e))?,
        state: state.parse().map_err(|e| corrupt("state", e))?,
        feedback: reason
            .map(|r| -> Result<NotInterestedFeedback> {
                Ok(NotInterestedFeedback {
                    reason: r.parse().map_err(|e| corrupt("not_interested_reason", e))?,
                    text: row.try_get("feedback_text")?,
                })
            })
            .transpose()?,
        created_by_user_id: row.try_get::<Option<i64>, _>("created_by_user_id")?.map(UserId::new),
        created_by_name: row.try_get("created_by_name")?,
        created_at: time::from_text(&row.try_get::<String, _>("created_at")?)?,
        updated_at: time::from_text(&row.try_get::<String, _>("updated_at")?)?,
        state_changed_at: time::from_text(&row.try_get::<String, _>("state_changed_at")?)?,
    })
}

fn push_filter(qb: &mut QueryBuilder<Sqlite>, f: &MatchFilter, with_state: bool) {
    qb.push(" WHERE 1 = 1");
    if let Some(org) = f.enterprise_org {
        qb.push(" AND m.enterprise_org_id = ").push_bind(org.get());
    }
    if let Some(org) = f.holder_org {
        qb.push(" AND m.holder_org_id = ").push_bind(org.get());
    }
    if let Some(org) = f.party_org {
        qb.push(" AND (m.enterprise_org_id = ").push_bind(org.get());
        qb.push(" OR m.holder_org_id = ").push_bind(org.get()).push(")");
    }
    if with_state && let Some(state) = f.state {
        qb.push(" AND m.state = ").push_bind(state.code());
    }
    if let Some(origin) = f.origin {
        qb.push(" AND m.origin = ").push_bind(origin.code());
    }
    if let Some(d) = f.demand_id {
        qb.push(" AND m.demand_id = ").push_bind(d.get());
    }
    if let Some(p) = f.patent_id {
        qb.push(" AND m.patent_id = ").push_bind(p.get());
    }
    if f.open_only {
        qb.push(" AND m.state NOT IN ('deal', 'closed')");
    }
    if let Some(before) = f.state_changed_before {
        qb.push(" AND m.state_changed_at < ").push_bind(time::to_text(before));
    }
    if let Some(text) = f.text.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let like = format!("%{}%", escape_like(text));
        qb.push(" AND (p.title LIKE ")
            .push_bind(like.clone())
            .push(" ESCAPE '\\' OR p.application_no LIKE ")
            .push_bind(like.clone())
            .push(" ESCAPE '\\' OR e.name LIKE ")
            .push_bind(like.clone())
            .push(" ESCAPE '\\' OR h.name LIKE ")
            .push_bind(like)
            .push(" ESCAPE '\\')");
    }
}

fn event_from_row(r: &SqliteRow) -> Result<MatchEvent> {
    let bad = |c: &str, e: &dyn std::fmt::Display| StoreError::Corrupt(format!("match_events.{c}: {e}"));
    let side: Option<String> = r.try_get("side")?;
    let from: Option<String> = r.try_get("from_state")?;
    let to: String = r.try_get("to_state")?;
    let reason: Option<String> = r.try_get("reason")?;
    Ok(MatchEvent {
        at: time::from_text(&r.try_get::<String, _>("at")?)?,
        actor_user_id: r.try_get::<Option<i64>, _>("actor_user_id")?.map(UserId::new),
        actor_name: r.try_get("actor_name")?,
        actor_org_id: r.try_get::<Option<i64>, _>("actor_org_id")?.map(OrgId::new),
        side: side.map(|s| s.parse()).transpose().map_err(|e| bad("side", &e))?,
        from: from.map(|s| s.parse()).transpose().map_err(|e| bad("from_state", &e))?,
        to: to.parse().map_err(|e| bad("to_state", &e))?,
        reason: reason.map(|s| s.parse::<NotInterestedReason>()).transpose().map_err(|e| bad("reason", &e))?,
        note: r.try_get("note")?,
    })
}

impl MatchStore for Tx {
    async fn insert_match(&mut self, n: &NewMatch<'_>, now: DateTime<Utc>) -> Result<MatchId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO match_records (patent_id, enterprise_org_id, demand_id, holder_org_id, origin, score, \
             explanation, state, created_by_user_id, created_by_name, created_at, updated_at, state_changed_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?11) RETURNING id",
        )
        .bind(n.patent_id.get())
        .bind(n.enterprise_org_id.get())
        .bind(n.demand_id.map(DemandId::get))
        .bind(n.holder_org_id.map(OrgId::get))
        .bind(n.origin.code())
        .bind(f64::from(n.score))
        .bind(n.explanation.to_string())
        .bind(n.state.code())
        .bind(n.created_by_user_id.map(UserId::get))
        .bind(n.created_by_name)
        .bind(time::to_text(now))
        .fetch_one(self.conn())
        .await?;
        Ok(MatchId::new(id))
    }

    async fn open_match_for(&mut self, patent: PatentId, enterprise: OrgId) -> Result<Option<MatchRecord>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{MATCH_COLUMNS}{MATCH_FROM} WHERE m.patent_id = "));
        qb.push_bind(patent.get())
            .push(" AND m.enterprise_org_id = ")
            .push_bind(enterprise.get())
            .push(" AND m.state NOT IN ('deal', 'closed') LIMIT 1");
        let row = qb.build().fetch_optional(self.conn()).await?;
        row.as_ref().map(match_from_row).transpose()
    }

    async fn match_record(&mut self, id: MatchId) -> Result<Option<MatchRecord>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{MATCH_COLUMNS}{MATCH_FROM} WHERE m.id = "));
        qb.push_bind(id.get());
        let row = qb.build().fetch_optional(self.conn()).await?;
        row.as_ref().map(match_from_row).transpose()
    }

    async fn set_match_state(
        &mut self,
        id: MatchId,
        state: MatchState,
        feedback: Option<&NotInterestedFeedback>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE match_records SET state = ?1, state_changed_at = ?2, updated_at = ?2, \
             not_interested_reason = COALESCE(?3, not_interested_reason), \
             feedback_text = CASE WHEN ?3 IS NULL THEN feedback_text ELSE ?4 END WHERE id = ?5",
        )
        .bind(state.code())
        .bind(time::to_text(now))
        .bind(feedback.map(|f| f.reason.code()))
        .bind(feedback.map(|f| f.text.clone()).unwrap_or_default())
        .bind(id.get())
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn add_match_event(&mut self, id: MatchId, e: &MatchEvent) -> Result<()> {
        sqlx::query(
            "INSERT INTO match_events (match_id, at, actor_user_id, actor_name, actor_org_id, side, from_state, \
             to_state, reason, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .bind(id.get())
        .bind(time::to_text(e.at))
        .bind(e.actor_user_id.map(UserId::get))
        .bind(&e.actor_name)
        .bind(e.actor_org_id.map(OrgId::get))
        .bind(e.side.map(|s| s.code()))
        .bind(e.from.map(MatchState::code))
        .bind(e.to.code())
        .bind(e.reason.map(NotInterestedReason::code))
        .bind(&e.note)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn match_events(&mut self, id: MatchId) -> Result<Vec<MatchEvent>> {
        let rows = sqlx::query(
            "SELECT at, actor_user_id, actor_name, actor_org_id, side, from_state, to_state, reason, note \
             FROM match_events WHERE match_id = ?1 ORDER BY id",
        )
        .bind(id.get())
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    async fn list_matches(&mut self, f: &MatchFilter) -> Result<Vec<MatchRecord>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{MATCH_COLUMNS}{MATCH_FROM}"));
        push_filter(&mut qb, f, true);
        qb.push(match f.sort {
            MatchSort::RecentChange => " ORDER BY m.state_changed_at DESC, m.id DESC",
            MatchSort::LongestWaiting => " ORDER BY m.state_changed_at ASC, m.id ASC",
            MatchSort::Score => " ORDER BY m.score DESC, m.id DESC",
        });
        if f.limit > 0 {
            qb.push(" LIMIT ").push_bind(i64::from(f.limit)).push(" OFFSET ").push_bind(i64::from(f.offset));
        }
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(match_from_row).collect()
    }

    async fn count_matches(&mut self, f: &MatchFilter) -> Result<u64> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT count(*){MATCH_FROM}"));
        push_filter(&mut qb, f, true);
        let n: i64 = qb.build_query_scalar().fetch_one(self.conn()).await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn count_matches_by_state(&mut self, f: &MatchFilter) -> Result<Vec<(MatchState, u64)>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT m.state, count(*) AS n{MATCH_FROM}"));
        push_filter(&mut qb, f, false);
        qb.push(" GROUP BY m.state");
        let rows = qb.build().fetch_all(self.conn()).await?;
        let mut counts = Vec::with_capacity(MatchState::ALL.len());
        for state in MatchState::ALL {
            let n = rows
                .iter()
                .find(|r| r.try_get::<String, _>("state").is_ok_and(|s| s == state.code()))
                .map(|r| r.try_get::<i64, _>("n"))
                .transpose()?
                .unwrap_or(0);
            counts.push((state, u64::try_from(n).unwrap_or(0)));
        }
        Ok(counts)
    }
}
