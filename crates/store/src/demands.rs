//! Enterprise technology demands and their review history.

use chrono::{DateTime, NaiveDate, Utc};
use ipbridge_domain::Money;
use ipbridge_domain::demand::{
    ContactPhone, CooperationMode, Demand, DemandEvent, DemandFields, DemandSource, DemandStatus,
};
use ipbridge_domain::ids::{DemandId, OrgId, UserId};
use ipbridge_domain::org::normalise_name;
use ipbridge_domain::patent::IpcCode;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::orgs::escape_like;
use crate::{Result, StoreError, Tx, time};

/// A demand to insert.
#[derive(Debug, Clone)]
pub struct NewDemand<'a> {
    /// The enterprise whose need it is.
    pub org_id: OrgId,
    /// The content.
    pub fields: &'a DemandFields,
    /// Initial status (draft, submitted, or published for the bureau's own imports).
    pub status: DemandStatus,
    /// Form or import.
    pub source: DemandSource,
    /// Account that posted it.
    pub posted_by_user_id: Option<UserId>,
    /// Its login name (`cli` for the command line).
    pub posted_by_name: &'a str,
    /// Organisation that posted it.
    pub posted_by_org_id: Option<OrgId>,
}

/// Which demands a list shows. Filters are values, never SQL.
#[derive(Debug, Clone, Default)]
pub struct DemandFilter {
    /// Only this status.
    pub status: Option<DemandStatus>,
    /// Only this chain.
    pub chain_code: Option<String>,
    /// Only this enterprise's demands.
    pub org_id: Option<OrgId>,
    /// Only demands this organisation posted or is the enterprise of ("我的需求").
    pub own_side: Option<OrgId>,
    /// Only this cooperation mode.
    pub mode: Option<CooperationMode>,
    /// Title, description or enterprise name contains this text.
    pub text: Option<String>,
    /// What a member of this organisation may see: published demands plus its own side's. `None` = all.
    pub visible_to: Option<OrgId>,
    /// Page size; 0 means no limit.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// Demands area.
pub trait DemandStore {
    /// Inserts a demand.
    async fn insert_demand(&mut self, new: &NewDemand<'_>, now: DateTime<Utc>) -> Result<DemandId>;
    /// Replaces a demand's content and sets its status (an edit of a published demand re-submits it).
    async fn update_demand(
        &mut self,
        id: DemandId,
        fields: &DemandFields,
        status: DemandStatus,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Sets a demand's status with the reason given (return, close), stamping when it was submitted,
    /// published or closed.
    async fn set_demand_status(
        &mut self,
        id: DemandId,
        status: DemandStatus,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// One demand.
    async fn demand(&mut self, id: DemandId) -> Result<Option<Demand>>;
    /// A page of demands, newest change first.
    async fn list_demands(&mut self, filter: &DemandFilter) -> Result<Vec<Demand>>;
    /// How many demands match (ignoring paging).
    async fn count_demands(&mut self, filter: &DemandFilter) -> Result<u64>;
    /// An enterprise's demand that is not closed and has this title (compared normalised), to recognise a
    /// row imported twice.
    async fn open_demand_with_title(&mut self, org: OrgId, title: &str) -> Result<Option<DemandId>>;
    /// Appends a step to a demand's history.
    async fn add_demand_event(&mut self, id: DemandId, event: &DemandEvent) -> Result<()>;
    /// A demand's history, oldest first.
    async fn demand_events(&mut self, id: DemandId) -> Result<Vec<DemandEvent>>;
}

const DEMAND_SELECT: &str = "SELECT d.id, d.org_id, e.name AS enterprise_name, d.posted_by_user_id, \
     d.posted_by_name, d.posted_by_org_id, p.name AS posted_by_org_name, d.title, d.description, d.chain_code, \
     d.ipc_codes, d.cooperation_mode, d.budget_min_fen, d.budget_max_fen, d.deadline, d.contact_name, \
     d.contact_phone, d.status, d.status_reason, d.source, d.created_at, d.updated_at, d.submitted_at, \
     d.published_at, d.closed_at \
     FROM demands d JOIN orgs e ON e.id = d.org_id LEFT JOIN orgs p ON p.id = d.posted_by_org_id";

fn corrupt(column: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("demands.{column}: {e}"))
}

pub(crate) fn ipc_list(text: &str, table: &str) -> Result<Vec<IpcCode>> {
    let raw: Vec<String> =
        serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{table}.ipc_codes: {e}")))?;
    raw.iter().map(|c| IpcCode::parse(c).map_err(|e| StoreError::Corrupt(format!("{table}.ipc_codes: {e}")))).collect()
}

fn ipc_json(codes: &[IpcCode]) -> String {
    serde_json::Value::from(codes.iter().map(|c| c.as_str().to_owned()).collect::<Vec<_>>()).to_string()
}

fn date_text(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

fn demand_from_row(row: &SqliteRow) -> Result<Demand> {
    let mode: String = row.try_get("cooperation_mode")?;
    let status: String = row.try_get("status")?;
    let source: String = row.try_get("source")?;
    let phone: String = row.try_get("contact_phone")?;
    let deadline: Option<String> = row.try_get("deadline")?;
    Ok(Demand {
        id: DemandId::new(row.try_get("id")?),
        org_id: OrgId::new(row.try_get("org_id")?),
        enterprise_name: row.try_get("enterprise_name")?,
        fields: DemandFields {
            title: row.try_get("title")?,
            description: row.try_get("description")?,
            chain_code: row.try_get("chain_code")?,
            ipc_codes: ipc_list(&row.try_get::<String, _>("ipc_codes")?, "demands")?,
            cooperation_mode: mode.parse().map_err(|e| corrupt("cooperation_mode", e))?,
            budget_min: row.try_get::<Option<i64>, _>("budget_min_fen")?.map(Money::from_fen),
            budget_max: row.try_get::<Option<i64>, _>("budget_max_fen")?.map(Money::from_fen),
            deadline: deadline
                .map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|e| corrupt("deadline", e)))
                .transpose()?,
            contact_name: row.try_get("contact_name")?,
            contact_phone: ContactPhone::parse(&phone).map_err(|e| corrupt("contact_phone", e))?,
        },
        status: status.parse().map_err(|e| corrupt("status", e))?,
        status_reason: row.try_get("status_reason")?,
        source: source.parse().map_err(|e| corrupt("source", e))?,
        posted_by_user_id: row.try_get::<Option<i64>, _>("posted_by_user_id")?.map(UserId::new),
        posted_by_name: row.try_get("posted_by_name")?,
        posted_by_org_id: row.try_get::<Option<i64>, _>("posted_by_org_id")?.map(OrgId::new),
        posted_by_org_name: row.try_get("posted_by_org_name")?,
        created_at: time::from_text(&row.try_get::<String, _>("created_at")?)?,
        updated_at: time::from_text(&row.try_get::<String, _>("updated_at")?)?,
        submitted_at: time::opt_from_text(row.try_get("submitted_at")?)?,
        published_at: time::opt_from_text(row.try_get("published_at")?)?,
        closed_at: time::opt_from_text(row.try_get("closed_at")?)?,
    })
}

fn push_filter(qb: &mut QueryBuilder<Sqlite>, f: &DemandFilter) {
    qb.push(" WHERE 1 = 1");
    if let Some(status) = f.status {
        qb.push(" AND d.status = ").push_bind(status.code());
    }
    if let Some(chain) = f.chain_code.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        qb.push(" AND d.chain_code = ").push_bind(chain.to_owned());
    }
    if let Some(org) = f.org_id {
        qb.push(" AND d.org_id = ").push_bind(org.get());
    }
    if let Some(org) = f.own_side {
        qb.push(" AND (d.org_id = ").push_bind(org.get()).push(" OR d.posted_by_org_id = ").push_bind(org.get());
        qb.push(")");
    }
    if let Some(mode) = f.mode {
        qb.push(" AND d.cooperation_mode = ").push_bind(mode.code());
    }
    if let Some(text) = f.text.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let like = format!("%{}%", escape_like(text));
        qb.push(" AND (d.title LIKE ")
            .push_bind(like.clone())
            .push(" ESCAPE '\\' OR d.description LIKE ")
            .push_bind(like.clone())
            .push(" ESCAPE '\\' OR e.name LIKE ")
            .push_bind(like)
            .push(" ESCAPE '\\')");
    }
    if let Some(org) = f.visible_to {
        qb.push(" AND (d.status = 'published' OR d.org_id = ")
            .push_bind(org.get())
            .push(" OR d.posted_by_org_id = ")
            .push_bind(org.get())
            .push(")");
    }
}

impl DemandStore for Tx {
    async fn insert_demand(&mut self, n: &NewDemand<'_>, now: DateTime<Utc>) -> Result<DemandId> {
        let f = n.fields;
        let now_text = time::to_text(now);
        let stamp = |s: DemandStatus| (n.status == s).then(|| now_text.clone());
        // An imported demand may start submitted or published: it is stamped as if it went through those steps.
        let submitted = matches!(n.status, DemandStatus::Submitted | DemandStatus::Published).then(|| now_text.clone());
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO demands (org_id, posted_by_user_id, posted_by_name, posted_by_org_id, title, description, \
             chain_code, ipc_codes, cooperation_mode, budget_min_fen, budget_max_fen, deadline, contact_name, \
             contact_phone, status, source, title_normalised, created_at, updated_at, submitted_at, published_at, \
             closed_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18, ?19, ?20, ?21) \
             RETURNING id",
        )
        .bind(n.org_id.get())
        .bind(n.posted_by_user_id.map(UserId::get))
        .bind(n.posted_by_name)
        .bind(n.posted_by_org_id.map(OrgId::get))
        .bind(&f.title)
        .bind(&f.description)
        .bind(&f.chain_code)
        .bind(ipc_json(&f.ipc_codes))
        .bind(f.cooperation_mode.code())
        .bind(f.budget_min.map(Money::fen))
        .bind(f.budget_max.map(Money::fen))
        .bind(date_text(f.deadline))
        .bind(&f.contact_name)
        .bind(f.contact_phone.as_str())
        .bind(n.status.code())
        .bind(n.source.code())
        .bind(normalise_name(&f.title))
        .bind(&now_text)
        .bind(submitted)
        .bind(stamp(DemandStatus::Published))
        .bind(stamp(DemandStatus::Closed))
        .fetch_one(self.conn())
        .await?;
        Ok(DemandId::new(id))
    }

    async fn update_demand(
        &mut self,
        id: DemandId,
        f: &DemandFields,
        status: DemandStatus,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let now = time::to_text(now);
        let done = sqlx::query(
            "UPDATE demands SET title = ?1, description = ?2, chain_code = ?3, ipc_codes = ?4, \
             cooperation_mode = ?5, budget_min_fen = ?6, budget_max_fen = ?7, deadline = ?8, contact_name = ?9, \
             contact_phone = ?10, title_normalised = ?11, updated_at = ?12, \
             submitted_at = CASE WHEN status <> ?13 AND ?13 = 'submitted' THEN ?12 ELSE submitted_at END, \
             status = ?13 WHERE id = ?14",
        )
        .bind(&f.title)
        .bind(&f.description)
        .bind(&f.chain_code)
        .bind(ipc_json(&f.ipc_codes))
        .bind(f.cooperation_mode.code())
        .bind(f.budget_min.map(Money::fen))
        .bind(f.budget_max.map(Money::fen))
        .bind(date_text(f.deadline))
        .bind(&f.contact_name)
        .bind(f.contact_phone.as_str())
        .bind(normalise_name(&f.title))
        .bind(now)
        .bind(status.code())
        .bind(id.get())
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn set_demand_status(
        &mut self,
        id: DemandId,
        status: DemandStatus,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE demands SET status = ?1, status_reason = ?2, updated_at = ?3, \
             submitted_at = CASE WHEN ?1 = 'submitted' THEN ?3 ELSE submitted_at END, \
             published_at = CASE WHEN ?1 = 'published' THEN ?3 ELSE published_at END, \
             closed_at = CASE WHEN ?1 = 'closed' THEN ?3 ELSE closed_at END \
             WHERE id = ?4",
        )
        .bind(status.code())
        .bind(reason)
        .bind(time::to_text(now))
        .bind(id.get())
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn demand(&mut self, id: DemandId) -> Result<Option<Demand>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{DEMAND_SELECT} WHERE d.id = "));
        qb.push_bind(id.get());
        let row = qb.build().fetch_optional(self.conn()).await?;
        row.as_ref().map(demand_from_row).transpose()
    }

    async fn list_demands(&mut self, f: &DemandFilter) -> Result<Vec<Demand>> {
        let mut qb = QueryBuilder::<Sqlite>::new(DEMAND_SELECT);
        push_filter(&mut qb, f);
        qb.push(" ORDER BY d.updated_at DESC, d.id DESC");
        if f.limit > 0 {
            qb.push(" LIMIT ").push_bind(i64::from(f.limit)).push(" OFFSET ").push_bind(i64::from(f.offset));
        }
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(demand_from_row).collect()
    }

    async fn count_demands(&mut self, f: &DemandFilter) -> Result<u64> {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM demands d JOIN orgs e ON e.id = d.org_id");
        push_filter(&mut qb, f);
        let n: i64 = qb.build_query_scalar().fetch_one(self.conn()).await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn open_demand_with_title(&mut self, org: OrgId, title: &str) -> Result<Option<DemandId>> {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM demands WHERE org_id = ?1 AND title_normalised = ?2 AND status <> 'closed' \
             ORDER BY id LIMIT 1",
        )
        .bind(org.get())
        .bind(normalise_name(title))
        .fetch_optional(self.conn())
        .await?;
        Ok(id.map(DemandId::new))
    }

    async fn add_demand_event(&mut self, id: DemandId, e: &DemandEvent) -> Result<()> {
        sqlx::query(
            "INSERT INTO demand_events (demand_id, at, actor_user_id, actor_name, actor_org_id, action, \
             from_status, to_status, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .bind(id.get())
        .bind(time::to_text(e.at))
        .bind(e.actor_user_id.map(UserId::get))
        .bind(&e.actor_name)
        .bind(e.actor_org_id.map(OrgId::get))
        .bind(e.action.map_or("create", |a| a.code()))
        .bind(e.from.map(DemandStatus::code))
        .bind(e.to.code())
        .bind(&e.note)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn demand_events(&mut self, id: DemandId) -> Result<Vec<DemandEvent>> {
        let rows = sqlx::query(
            "SELECT at, actor_user_id, actor_name, actor_org_id, action, from_status, to_status, note \
             FROM demand_events WHERE demand_id = ?1 ORDER BY id",
        )
        .bind(id.get())
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                let action: String = r.try_get("action")?;
                let from: Option<String> = r.try_get("from_status")?;
                let to: String = r.try_get("to_status")?;
                Ok(DemandEvent {
                    at: time::from_text(&r.try_get::<String, _>("at")?)?,
                    actor_user_id: r.try_get::<Option<i64>, _>("actor_user_id")?.map(UserId::new),
                    actor_name: r.try_get("actor_name")?,
                    actor_org_id: r.try_get::<Option<i64>, _>("actor_org_id")?.map(OrgId::new),
                    action: match action.as_str() {
                        "create" => None,
                        other => {
                            Some(other.parse().map_err(|e| StoreError::Corrupt(format!("demand_events.action: {e}")))?)
                        }
                    },
                    from: from
                        .map(|s| s.parse())
                        .transpose()
                        .map_err(|e| StoreError::Corrupt(format!("demand_events.from_status: {e}")))?,
                    to: to.parse().map_err(|e| StoreError::Corrupt(format!("demand_events.to_status: {e}")))?,
                    note: r.try_get("note")?,
                })
            })
            .collect()
    }
}
