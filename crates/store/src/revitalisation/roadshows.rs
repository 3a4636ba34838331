//! Roadshows (路演) with their patents and registrations, and one-on-one follow-up projects with their logs.

use chrono::{DateTime, NaiveDate, Utc};
use ipbridge_domain::demand::ContactPhone;
use ipbridge_domain::ids::{
    DealId, FollowUpId, FollowUpProjectId, MatchId, OrgId, PatentId, RegistrationId, RoadshowId, UserId,
};
use ipbridge_domain::revitalisation::{
    FollowUpEntry, ProjectState, RegistrationFields, RoadshowFields, RoadshowStatus,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use super::{corrupt, count, date_from, date_text, opt_date_from};
use crate::{Conflict, Result, StoreError, Tx, time};

/// A stored roadshow with its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roadshow {
    /// Row id.
    pub id: RoadshowId,
    /// The content.
    pub fields: RoadshowFields,
    /// Where it stands.
    pub status: RoadshowStatus,
    /// Login name of who created it.
    pub created_by_name: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Patents presented.
    pub patents: u64,
    /// Live registrations.
    pub registrations: u64,
}

/// Which roadshows a list shows.
#[derive(Debug, Clone, Default)]
pub struct RoadshowFilter {
    /// Only this status.
    pub status: Option<RoadshowStatus>,
    /// Only held on or after this day.
    pub from: Option<NaiveDate>,
    /// Only held on or before this day.
    pub to: Option<NaiveDate>,
    /// Only this chain.
    pub chain_code: Option<String>,
    /// Only roadshows presenting this patent.
    pub patent: Option<PatentId>,
    /// Only roadshows this enterprise registered for (live registrations).
    pub registered_org: Option<OrgId>,
    /// Page size; 0 means no limit.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// A patent presented at a roadshow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoadshowPatent {
    /// The patent.
    pub patent_id: PatentId,
    /// Its application number.
    pub application_no: String,
    /// Its title.
    pub title: String,
    /// Its owner.
    pub holder_org_id: Option<OrgId>,
    /// Its owner's name.
    pub holder_name: Option<String>,
    /// Order of presentation, from 1.
    pub position: i64,
}

/// A registration for a roadshow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// Row id.
    pub id: RegistrationId,
    /// The roadshow.
    pub roadshow_id: RoadshowId,
    /// The enterprise.
    pub enterprise_org_id: OrgId,
    /// Its name.
    pub enterprise_name: String,
    /// The form.
    pub fields: RegistrationFields,
    /// Login name of who registered.
    pub registered_by_name: String,
    /// When.
    pub registered_at: DateTime<Utc>,
    /// When cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Attendance, recorded after the event.
    pub attended: Option<bool>,
}

/// A follow-up project to insert.
#[derive(Debug, Clone)]
pub struct NewFollowUpProject<'a> {
    /// The patent.
    pub patent_id: PatentId,
    /// The enterprise.
    pub enterprise_org_id: OrgId,
    /// The patent's holder.
    pub holder_org_id: Option<OrgId>,
    /// The roadshow it came from.
    pub roadshow_id: Option<RoadshowId>,
    /// The match record it came from.
    pub match_id: Option<MatchId>,
    /// Account opening it.
    pub created_by_user_id: Option<UserId>,
    /// Its login name.
    pub created_by_name: &'a str,
}

/// A stored follow-up project with names joined in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpProject {
    /// Row id.
    pub id: FollowUpProjectId,
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
    /// The holder.
    pub holder_org_id: Option<OrgId>,
    /// Its name.
    pub holder_name: Option<String>,
    /// The roadshow.
    pub roadshow_id: Option<RoadshowId>,
    /// Its title.
    pub roadshow_title: Option<String>,
    /// The match record.
    pub match_id: Option<MatchId>,
    /// Where it stands.
    pub state: ProjectState,
    /// Why it was closed.
    pub close_reason: String,
    /// The deal it ended in.
    pub deal_id: Option<DealId>,
    /// Login name of who opened it.
    pub created_by_name: String,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// Log entries.
    pub entries: u64,
    /// Date of the latest entry.
    pub last_on: Option<NaiveDate>,
}

/// Which projects a list shows.
#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    /// Only this state.
    pub state: Option<ProjectState>,
    /// Only from this roadshow.
    pub roadshow: Option<RoadshowId>,
    /// Only with this enterprise.
    pub enterprise_org: Option<OrgId>,
    /// Only on this holder's patents.
    pub holder_org: Option<OrgId>,
    /// Only on this patent.
    pub patent: Option<PatentId>,
    /// Page size; 0 means no limit.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// Who records a follow-up entry (the person who followed up).
#[derive(Debug, Clone, Copy)]
pub struct RecordedBy<'a> {
    /// The account.
    pub user_id: Option<UserId>,
    /// Its login name.
    pub name: &'a str,
    /// Its organisation.
    pub org_id: Option<OrgId>,
}

/// One log entry with who recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    /// Row id.
    pub id: FollowUpId,
    /// The entry.
    pub entry: FollowUpEntry,
    /// Account that recorded it.
    pub by_user_id: Option<UserId>,
    /// Its login name (who followed up).
    pub by_name: String,
    /// Its organisation.
    pub by_org_id: Option<OrgId>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// Roadshows, registrations and follow-up.
pub trait RoadshowStore {
    /// Inserts a planned roadshow (fields checked with `RoadshowFields::check`).
    async fn insert_roadshow(
        &mut self,
        fields: &RoadshowFields,
        by_user_id: Option<UserId>,
        by_name: &str,
        now: DateTime<Utc>,
    ) -> Result<RoadshowId>;
    /// Replaces a roadshow's fields.
    async fn update_roadshow(&mut self, id: RoadshowId, fields: &RoadshowFields, now: DateTime<Utc>) -> Result<()>;
    /// Moves a roadshow from `from` to `to` ([`Conflict::StaleState`] when it is no longer in `from`).
    async fn set_roadshow_status(
        &mut self,
        id: RoadshowId,
        from: RoadshowStatus,
        to: RoadshowStatus,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// One roadshow.
    async fn roadshow(&mut self, id: RoadshowId) -> Result<Option<Roadshow>>;
    /// A page of roadshows, latest event first.
    async fn list_roadshows(&mut self, filter: &RoadshowFilter) -> Result<Vec<Roadshow>>;
    /// Replaces the patents presented, in this order (duplicates dropped).
    async fn set_roadshow_patents(&mut self, id: RoadshowId, patents: &[PatentId]) -> Result<()>;
    /// The patents presented, in order.
    async fn roadshow_patents(&mut self, id: RoadshowId) -> Result<Vec<RoadshowPatent>>;
    /// Registers an enterprise ([`Conflict::RoadshowRegistered`] when it has a live registration).
    async fn insert_registration(
        &mut self,
        roadshow: RoadshowId,
        enterprise: OrgId,
        fields: &RegistrationFields,
        by_user_id: Option<UserId>,
        by_name: &str,
        now: DateTime<Utc>,
    ) -> Result<RegistrationId>;
    /// Cancels a live registration ([`Conflict::StaleState`] when already cancelled).
    async fn cancel_registration(&mut self, id: RegistrationId, now: DateTime<Utc>) -> Result<()>;
    /// Records whether a registered enterprise attended.
    async fn set_attended(&mut self, id: RegistrationId, attended: bool) -> Result<()>;
    /// One registration.
    async fn registration(&mut self, id: RegistrationId) -> Result<Option<Registration>>;
    /// A roadshow's registrations, live ones first, then by time.
    async fn registrations(&mut self, roadshow: RoadshowId) -> Result<Vec<Registration>>;
    /// An enterprise's live registration for a roadshow.
    async fn live_registration(&mut self, roadshow: RoadshowId, enterprise: OrgId) -> Result<Option<Registration>>;
    /// Opens a follow-up project ([`Conflict::OpenFollowUp`] when the pair has an open one).
    async fn insert_follow_up_project(
        &mut self,
        new: &NewFollowUpProject<'_>,
        now: DateTime<Utc>,
    ) -> Result<FollowUpProjectId>;
    /// One project.
    async fn follow_up_project(&mut self, id: FollowUpProjectId) -> Result<Option<FollowUpProject>>;
    /// A page of projects, latest change first.
    async fn list_follow_up_projects(&mut self, filter: &ProjectFilter) -> Result<Vec<FollowUpProject>>;
    /// Appends a checked log entry and moves the open project to `new_state` (from `ProjectState::after`), in
    /// the caller's transaction ([`Conflict::StaleState`] when the project is no longer open).
    async fn add_follow_up(
        &mut self,
        project: FollowUpProjectId,
        entry: &FollowUpEntry,
        new_state: ProjectState,
        by: &RecordedBy<'_>,
        now: DateTime<Utc>,
    ) -> Result<FollowUpId>;
    /// Records the deal a project ended in.
    async fn link_project_deal(&mut self, project: FollowUpProjectId, deal: DealId, now: DateTime<Utc>) -> Result<()>;
    /// A project's log, oldest first.
    async fn follow_ups(&mut self, project: FollowUpProjectId) -> Result<Vec<FollowUp>>;
}

const ROADSHOW_COLUMNS: &str = "SELECT s.id, s.title, s.held_on, s.mode, s.venue, s.online_link, s.chain_code, \
     s.description, s.registration_deadline, s.status, s.created_by_name, s.created_at, s.updated_at, \
     (SELECT count(*) FROM roadshow_patents rp WHERE rp.roadshow_id = s.id) AS patents, \
     (SELECT count(*) FROM roadshow_registrations g WHERE g.roadshow_id = s.id AND g.cancelled_at IS NULL) \
       AS registrations \
     FROM roadshows s";

fn roadshow_from_row(r: &SqliteRow) -> Result<Roadshow> {
    let mode: String = r.try_get("mode")?;
    let status: String = r.try_get("status")?;
    Ok(Roadshow {
        id: RoadshowId::new(r.try_get("id")?),
        fields: RoadshowFields {
            title: r.try_get("title")?,
            held_on: date_from(&r.try_get::<String, _>("held_on")?)?,
            mode: mode.parse().map_err(|e| corrupt("roadshows.mode", e))?,
            venue: r.try_get("venue")?,
            online_link: r.try_get("online_link")?,
            chain_code: r.try_get("chain_code")?,
            description: r.try_get("description")?,
            registration_deadline: opt_date_from(r.try_get("registration_deadline")?)?,
        },
        status: status.parse().map_err(|e| corrupt("roadshows.status", e))?,
        created_by_name: r.try_get("created_by_name")?,
        created_at: time::from_text(&r.try_get::<String, _>("created_at")?)?,
        updated_at: time::from_text(&r.try_get::<String, _>("updated_at")?)?,
        patents: count(r.try_get("patents")?),
        registrations: count(r.try_get("registrations")?),
    })
}

const REGISTRATION_COLUMNS: &str = "SELECT g.id, g.roadshow_id, g.enterprise_org_id, e.name AS enterprise_name, \
     g.contact_name, g.contact_phone, g.attendees, g.note, g.registered_by_name, g.registered_at, g.cancelled_at, \
     g.attended FROM roadshow_registrations g JOIN orgs e ON e.id = g.enterprise_org_id";

fn registration_from_row(r: &SqliteRow) -> Result<Registration> {
    let phone: String = r.try_get("contact_phone")?;
    let attendees: i64 = r.try_get("attendees")?;
    Ok(Registration {
        id: RegistrationId::new(r.try_get("id")?),
        roadshow_id: RoadshowId::new(r.try_get("roadshow_id")?),
        enterprise_org_id: OrgId::new(r.try_get("enterprise_org_id")?),
        enterprise_name: r.try_get("enterprise_name")?,
        fields: RegistrationFields {
            contact_name: r.try_get("contact_name")?,
            contact_phone: ContactPhone::parse(&phone)
                .map_err(|e| corrupt("roadshow_registrations.contact_phone", e))?,
            attendees: u32::try_from(attendees).map_err(|e| corrupt("roadshow_registrations.attendees", e))?,
            note: r.try_get("note")?,
        },
        registered_by_name: r.try_get("registered_by_name")?,
        registered_at: time::from_text(&r.try_get::<String, _>("registered_at")?)?,
        cancelled_at: time::opt_from_text(r.try_get("cancelled_at")?)?,
        attended: r.try_get("attended")?,
    })
}

const PROJECT_COLUMNS: &str = "SELECT j.id, j.patent_id, p.application_no, p.title AS patent_title, \
     j.enterprise_org_id, e.name AS enterprise_name, j.holder_org_id, h.name AS holder_name, j.roadshow_id, \
     s.title AS roadshow_title, j.match_id, j.state, j.close_reason, j.deal_id, j.created_by_name, j.created_at, \
     j.updated_at, j.ended_at, \
     (SELECT count(*) FROM follow_ups u WHERE u.project_id = j.id) AS entries, \
     (SELECT max(u.happened_on) FROM follow_ups u WHERE u.project_id = j.id) AS last_on \
     FROM follow_up_projects j JOIN patents p ON p.id = j.patent_id JOIN orgs e ON e.id = j.enterprise_org_id \
     LEFT JOIN orgs h ON h.id = j.holder_org_id LEFT JOIN roadshows s ON s.id = j.roadshow_id";

fn project_from_row(r: &SqliteRow) -> Result<FollowUpProject> {
    let state: String = r.try_get("state")?;
    Ok(FollowUpProject {
        id: FollowUpProjectId::new(r.try_get("id")?),
        patent_id: PatentId::new(r.try_get("patent_id")?),
        application_no: r.try_get("application_no")?,
        patent_title: r.try_get("patent_title")?,
        enterprise_org_id: OrgId::new(r.try_get("enterprise_org_id")?),
        enterprise_name: r.try_get("enterprise_name")?,
        holder_org_id: r.try_get::<Option<i64>, _>("holder_org_id")?.map(OrgId::new),
        holder_name: r.try_get("holder_name")?,
        roadshow_id: r.try_get::<Option<i64>, _>("roadshow_id")?.map(RoadshowId::new),
        roadshow_title: r.try_get("roadshow_title")?,
        match_id: r.try_get::<Option<i64>, _>("match_id")?.map(MatchId::new),
        state: state.parse().map_err(|e| corrupt("follow_up_projects.state", e))?,
        close_reason: r.try_get("close_reason")?,
        deal_id: r.try_get::<Option<i64>, _>("deal_id")?.map(DealId::new),
        created_by_name: r.try_get("created_by_name")?,
        created_at: time::from_text(&r.try_get::<String, _>("created_at")?)?,
        updated_at: time::from_text(&r.try_get::<String, _>("updated_at")?)?,
        ended_at: time::opt_from_text(r.try_get("ended_at")?)?,
        entries: count(r.try_get("entries")?),
        last_on: opt_date_from(r.try_get("last_on")?)?,
    })
}

async fn stale_or_missing(tx: &mut Tx, table_exists_sql: &'static str, id: i64) -> StoreError {
    match sqlx::query_scalar::<_, i64>(table_exists_sql).bind(id).fetch_optional(tx.conn()).await {
        Ok(Some(_)) => StoreError::Conflict(Conflict::StaleState),
        Ok(None) => StoreError::NotFound,
        Err(e) => e.into(),
    }
}

impl RoadshowStore for Tx {
    async fn insert_roadshow(
        &mut self,
        f: &RoadshowFields,
        by_user_id: Option<UserId>,
        by_name: &str,
        now: DateTime<Utc>,
    ) -> Result<RoadshowId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO roadshows (title, held_on, mode, venue, online_link, chain_code, description, \
             registration_deadline, created_by_user_id, created_by_name, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11) RETURNING id",
        )
        .bind(&f.title)
        .bind(date_text(f.held_on))
        .bind(f.mode.code())
        .bind(&f.venue)
        .bind(&f.online_link)
        .bind(f.chain_code.as_deref())
        .bind(&f.description)
        .bind(f.registration_deadline.map(date_text))
        .bind(by_user_id.map(UserId::get))
        .bind(by_name)
        .bind(time::to_text(now))
        .fetch_one(self.conn())
        .await?;
        Ok(RoadshowId::new(id))
    }

    async fn update_roadshow(&mut self, id: RoadshowId, f: &RoadshowFields, now: DateTime<Utc>) -> Result<()> {
        let done = sqlx::query(
            "UPDATE roadshows SET title = ?1, held_on = ?2, mode = ?3, venue = ?4, online_link = ?5, chain_code = ?6, \
             description = ?7, registration_deadline = ?8, updated_at = ?9 WHERE id = ?10",
        )
        .bind(&f.title)
        .bind(date_text(f.held_on))
        .bind(f.mode.code())
        .bind(&f.venue)
        .bind(&f.online_link)
        .bind(f.chain_code.as_deref())
        .bind(&f.description)
        .bind(f.registration_deadline.map(date_text))
        .bind(time::to_text(now))
        .bind(id.get())
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn set_roadshow_status(
        &mut self,
        id: RoadshowId,
        from: RoadshowStatus,
        to: RoadshowStatus,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let done = sqlx::query("UPDATE roadshows SET status = ?1, updated_at = ?2 WHERE id = ?3 AND status = ?4")
            .bind(to.code())
            .bind(time::to_text(now))
            .bind(id.get())
            .bind(from.code())
            .execute(self.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(stale_or_missing(self, "SELECT id FROM roadshows WHERE id = ?1", id.get()).await);
        }
        Ok(())
    }

    async fn roadshow(&mut self, id: RoadshowId) -> Result<Option<Roadshow>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{ROADSHOW_COLUMNS} WHERE s.id = "));
        qb.push_bind(id.get());
        let row = qb.build().fetch_optional(self.conn()).await?;
        row.as_ref().map(roadshow_from_row).transpose()
    }

    async fn list_roadshows(&mut self, f: &RoadshowFilter) -> Result<Vec<Roadshow>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{ROADSHOW_COLUMNS} WHERE 1 = 1"));
        if let Some(s) = f.status {
            qb.push(" AND s.status = ").push_bind(s.code());
        }
        if let Some(d) = f.from {
            qb.push(" AND s.held_on >= ").push_bind(date_text(d));
        }
        if let Some(d) = f.to {
            qb.push(" AND s.held_on <= ").push_bind(date_text(d));
        }
        if let Some(c) = &f.chain_code {
            qb.push(" AND s.chain_code = ").push_bind(c.clone());
        }
        if let Some(p) = f.patent {
            qb.push(" AND EXISTS (SELECT 1 FROM roadshow_patents rp WHERE rp.roadshow_id = s.id AND rp.patent_id = ")
                .push_bind(p.get())
                .push(")");
        }
        if let Some(o) = f.registered_org {
            qb.push(
                " AND EXISTS (SELECT 1 FROM roadshow_registrations g WHERE g.roadshow_id = s.id \
                 AND g.cancelled_at IS NULL AND g.enterprise_org_id = ",
            )
            .push_bind(o.get())
            .push(")");
        }
        qb.push(" ORDER BY s.held_on DESC, s.id DESC");
        if f.limit > 0 {
            qb.push(" LIMIT ").push_bind(i64::from(f.limit)).push(" OFFSET ").push_bind(i64::from(f.offset));
        }
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(roadshow_from_row).collect()
    }

    async fn set_roadshow_patents(&mut self, id: RoadshowId, patents: &[PatentId]) -> Result<()> {
        sqlx::query("DELETE FROM roadshow_patents WHERE roadshow_id = ?1").bind(id.get()).execute(self.conn()).await?;
        let mut position = 0i64;
        for p in patents {
            let done = sqlx::query(
                "INSERT OR IGNORE INTO roadshow_patents (roadshow_id, patent_id, position) VALUES (?1, ?2, ?3)",
            )
            .bind(id.get())
            .bind(p.get())
            .bind(position + 1)
            .execute(self.conn())
            .await?;
            position += i64::try_from(done.rows_affected()).unwrap_or(0);
        }
        Ok(())
    }

    async fn roadshow_patents(&mut self, id: RoadshowId) -> Result<Vec<RoadshowPatent>> {
        let rows = sqlx::query(
            "SELECT rp.patent_id, p.application_no, p.title, p.owner_org_id, o.name AS holder_name, rp.position \
             FROM roadshow_patents rp JOIN patents p ON p.id = rp.patent_id LEFT JOIN orgs o ON o.id = p.owner_org_id \
             WHERE rp.roadshow_id = ?1 ORDER BY rp.position",
        )
        .bind(id.get())
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RoadshowPatent {
                    patent_id: PatentId::new(r.try_get("patent_id")?),
                    application_no: r.try_get("application_no")?,
                    title: r.try_get("title")?,
                    holder_org_id: r.try_get::<Option<i64>, _>("owner_org_id")?.map(OrgId::new),
                    holder_name: r.try_get("holder_name")?,
                    position: r.try_get("position")?,
                })
            })
            .collect()
    }

    async fn insert_registration(
        &mut self,
        roadshow: RoadshowId,
        enterprise: OrgId,
        f: &RegistrationFields,
        by_user_id: Option<UserId>,
        by_name: &str,
        now: DateTime<Utc>,
    ) -> Result<RegistrationId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO roadshow_registrations (roadshow_id, enterprise_org_id, contact_name, contact_phone, \
             attendees, note, registered_by_user_id, registered_by_name, registered_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
        )
        .bind(roadshow.get())
        .bind(enterprise.get())
        .bind(&f.contact_name)
        .bind(f.contact_phone.as_str())
        .bind(i64::from(f.attendees))
        .bind(&f.note)
        .bind(by_user_id.map(UserId::get))
        .bind(by_name)
        .bind(time::to_text(now))
        .fetch_one(self.conn())
        .await?;
        Ok(RegistrationId::new(id))
    }

    async fn cancel_registration(&mut self, id: RegistrationId, now: DateTime<Utc>) -> Result<()> {
        let done =
            sqlx::query("UPDATE roadshow_registrations SET cancelled_at = ?1 WHERE id = ?2 AND cancelled_at IS NULL")
                .bind(time::to_text(now))
                .bind(id.get())
                .execute(self.conn())
                .await?;
        if done.rows_affected() == 0 {
            return Err(stale_or_missing(self, "SELECT id FROM roadshow_registrations WHERE id = ?1", id.get()).await);
        }
        Ok(())
    }

    async fn set_attended(&mut self, id: RegistrationId, attended: bool) -> Result<()> {
        let done = sqlx::query("UPDATE roadshow_registrations SET attended = ?1 WHERE id = ?2")
            .bind(attended)
            .bind(id.get())
            .execute(self.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn registration(&mut self, id: RegistrationId) -> Result<Option<Registration>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{REGISTRATION_COLUMNS} WHERE g.id = "));
        qb.push_bind(id.get());
        let row = qb.build().fetch_optional(self.conn()).await?;
        row.as_ref().map(registration_from_row).transpose()
    }

    async fn registrations(&mut self, roadshow: RoadshowId) -> Result<Vec<Registration>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{REGISTRATION_COLUMNS} WHERE g.roadshow_id = "));
        qb.push_bind(roadshow.get()).push(" ORDER BY g.cancelled_at IS NOT NULL, g.registered_at, g.id");
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(registration_from_row).collect()
    }

    async fn live_registration(&mut self, roadshow: RoadshowId, enterprise: OrgId) -> Result<Option<Registration>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{REGISTRATION_COLUMNS} WHERE g.roadshow_id = "));
        qb.push_bind(roadshow.get())
            .push(" AND g.enterprise_org_id = ")
            .push_bind(enterprise.get())
            .push(" AND g.cancelled_at IS NULL");
        let row = qb.build().fetch_optional(self.conn()).await?;
        row.as_ref().map(registration_from_row).transpose()
    }

    async fn insert_follow_up_project(
        &mut self,
        n: &NewFollowUpProject<'_>,
        now: DateTime<Utc>,
    ) -> Result<FollowUpProjectId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO follow_up_projects (patent_id, enterprise_org_id, holder_org_id, roadshow_id, match_id, \
             created_by_user_id, created_by_name, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) RETURNING id",
        )
        .bind(n.patent_id.get())
        .bind(n.enterprise_org_id.get())
        .bind(n.holder_org_id.map(OrgId::get))
        .bind(n.roadshow_id.map(RoadshowId::get))
        .bind(n.match_id.map(MatchId::get))
        .bind(n.created_by_user_id.map(UserId::get))
        .bind(n.created_by_name)
        .bind(time::to_text(now))
        .fetch_one(self.conn())
        .await?;
        Ok(FollowUpProjectId::new(id))
    }

    async fn follow_up_project(&mut self, id: FollowUpProjectId) -> Result<Option<FollowUpProject>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{PROJECT_COLUMNS} WHERE j.id = "));
        qb.push_bind(id.get());
        let row = qb.build().fetch_optional(self.conn()).await?;
        row.as_ref().map(project_from_row).transpose()
    }

    async fn list_follow_up_projects(&mut self, f: &ProjectFilter) -> Result<Vec<FollowUpProject>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{PROJECT_COLUMNS} WHERE 1 = 1"));
        if let Some(s) = f.state {
            qb.push(" AND j.state = ").push_bind(s.code());
        }
        if let Some(r) = f.roadshow {
            qb.push(" AND j.roadshow_id = ").push_bind(r.get());
        }
        if let Some(o) = f.enterprise_org {
            qb.push(" AND j.enterprise_org_id = ").push_bind(o.get());
        }
        if let Some(o) = f.holder_org {
            qb.push(" AND j.holder_org_id = ").push_bind(o.get());
        }
        if let Some(p) = f.patent {
            qb.push(" AND j.patent_id = ").push_bind(p.get());
        }
        qb.push(" ORDER BY j.updated_at DESC, j.id DESC");
        if f.limit > 0 {
            qb.push(" LIMIT ").push_bind(i64::from(f.limit)).push(" OFFSET ").push_bind(i64::from(f.offset));
        }
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(project_from_row).collect()
    }

    async fn add_follow_up(
        &mut self,
        project: FollowUpProjectId,
        e: &FollowUpEntry,
        new_state: ProjectState,
        by: &RecordedBy<'_>,
        now: DateTime<Utc>,
    ) -> Result<FollowUpId> {
        let now_text = time::to_text(now);
        let ended = new_state != ProjectState::Open;
        let done = sqlx::query(
            "UPDATE follow_up_projects SET state = ?1, updated_at = ?2, \
             close_reason = CASE WHEN ?1 = 'closed' THEN ?3 ELSE close_reason END, \
             ended_at = CASE WHEN ?4 THEN ?2 ELSE NULL END WHERE id = ?5 AND state = 'open'",
        )
        .bind(new_state.code())
        .bind(&now_text)
        .bind(&e.close_reason)
        .bind(ended)
        .bind(project.get())
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(stale_or_missing(self, "SELECT id FROM follow_up_projects WHERE id = ?1", project.get()).await);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO follow_ups (project_id, happened_on, by_user_id, by_name, by_org_id, contact, content, \
             next_step, next_on, outcome, close_reason, recorded_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id",
        )
        .bind(project.get())
        .bind(date_text(e.happened_on))
        .bind(by.user_id.map(UserId::get))
        .bind(by.name)
        .bind(by.org_id.map(OrgId::get))
        .bind(&e.contact)
        .bind(&e.content)
        .bind(&e.next_step)
        .bind(e.next_on.map(date_text))
        .bind(e.outcome.code())
        .bind(&e.close_reason)
        .bind(&now_text)
        .fetch_one(self.conn())
        .await?;
        Ok(FollowUpId::new(id))
    }

    async fn link_project_deal(&mut self, project: FollowUpProjectId, deal: DealId, now: DateTime<Utc>) -> Result<()> {
        let done = sqlx::query("UPDATE follow_up_projects SET deal_id = ?1, updated_at = ?2 WHERE id = ?3")
            .bind(deal.get())
            .bind(time::to_text(now))
            .bind(project.get())
            .execute(self.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn follow_ups(&mut self, project: FollowUpProjectId) -> Result<Vec<FollowUp>> {
        let rows = sqlx::query(
            "SELECT id, happened_on, by_user_id, by_name, by_org_id, contact, content, next_step, next_on, outcome, \
             close_reason, recorded_at FROM follow_ups WHERE project_id = ?1 ORDER BY happened_on, id",
        )
        .bind(project.get())
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                let outcome: String = r.try_get("outcome")?;
                Ok(FollowUp {
                    id: FollowUpId::new(r.try_get("id")?),
                    entry: FollowUpEntry {
                        happened_on: date_from(&r.try_get::<String, _>("happened_on")?)?,
                        contact: r.try_get("contact")?,
                        content: r.try_get("content")?,
                        next_step: r.try_get("next_step")?,
                        next_on: opt_date_from(r.try_get("next_on")?)?,
                        outcome: outcome.parse().map_err(|e| corrupt("follow_ups.outcome", e))?,
                        close_reason: r.try_get("close_reason")?,
                    },
                    by_user_id: r.try_get::<Option<i64>, _>("by_user_id")?.map(UserId::new),
                    by_name: r.try_get("by_name")?,
                    by_org_id: r.try_get::<Option<i64>, _>("by_org_id")?.map(OrgId::new),
                    recorded_at: time::from_text(&r.try_get::<String, _>("recorded_at")?)?,
                })
            })
            .collect()
    }
}
