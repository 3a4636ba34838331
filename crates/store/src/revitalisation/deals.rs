//! Transfer deals (转化交易) with their patents and parties.

use chrono::{DateTime, NaiveDate, Utc};
use ipbridge_domain::ids::{DealId, MatchId, OrgId, PatentId, RoadshowId, UserId};
use ipbridge_domain::revitalisation::{DealFields, DealKind, DealParty, DealStatus};
use ipbridge_domain::{CreditCode, Money};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use super::{corrupt, count, date_from, date_text, opt_date_from};
use crate::{Conflict, Result, StoreError, Tx, time};

/// A deal to insert (fields checked with `DealFields::check`).
#[derive(Debug, Clone)]
pub struct NewDeal<'a> {
    /// The content.
    pub fields: &'a DealFields,
    /// Account recording it.
    pub recorded_by_user_id: Option<UserId>,
    /// Its login name.
    pub recorded_by_name: &'a str,
    /// Its organisation (the bureau, or the institution itself).
    pub recorded_by_org_id: Option<OrgId>,
}

/// A patent of a deal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealPatent {
    /// The patent.
    pub patent_id: PatentId,
    /// Its application number.
    pub application_no: String,
    /// Its title.
    pub title: String,
}

/// A stored deal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deal {
    /// Row id.
    pub id: DealId,
    /// The content (patents and parties in order).
    pub fields: DealFields,
    /// The holder's name.
    pub holder_name: String,
    /// Effective or cancelled.
    pub status: DealStatus,
    /// The patents with their numbers and titles.
    pub patents: Vec<DealPatent>,
    /// Login name of who recorded it.
    pub recorded_by_name: String,
    /// Its organisation.
    pub recorded_by_org_id: Option<OrgId>,
    /// Recorded.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Why.
    pub cancel_reason: String,
}

/// Which deals a list shows.
#[derive(Debug, Clone, Default)]
pub struct DealFilter {
    /// Only this holder's.
    pub holder_org: Option<OrgId>,
    /// Only deals this organisation is the holder of or a party to.
    pub party_org: Option<OrgId>,
    /// Only this kind.
    pub kind: Option<DealKind>,
    /// Only this status.
    pub status: Option<DealStatus>,
    /// Only deals with this patent.
    pub patent: Option<PatentId>,
    /// Only signed on or after.
    pub signed_from: Option<NaiveDate>,
    /// Only signed on or before.
    pub signed_to: Option<NaiveDate>,
    /// Page size; 0 means no limit.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// Deals area.
pub trait DealStore {
    /// Inserts an effective deal with its patents and parties.
    async fn insert_deal(&mut self, new: &NewDeal<'_>, now: DateTime<Utc>) -> Result<DealId>;
    /// Replaces an effective deal's content, patents and parties ([`Conflict::StaleState`] when cancelled).
    async fn update_deal(&mut self, id: DealId, fields: &DealFields, now: DateTime<Utc>) -> Result<()>;
    /// Cancels an effective deal with a reason ([`Conflict::StaleState`] when already cancelled); its patents
    /// return to the scope unless another deal converts them.
    async fn cancel_deal(&mut self, id: DealId, reason: &str, now: DateTime<Utc>) -> Result<()>;
    /// One deal.
    async fn deal(&mut self, id: DealId) -> Result<Option<Deal>>;
    /// A page of deals, latest signed first.
    async fn list_deals(&mut self, filter: &DealFilter) -> Result<Vec<Deal>>;
    /// How many deals match, and the sum of their amounts (ignoring paging).
    async fn deal_totals(&mut self, filter: &DealFilter) -> Result<(u64, Money)>;
}

const DEAL_COLUMNS: &str = "SELECT d.id, d.kind, d.status, d.holder_org_id, h.name AS holder_name, d.amount_fen, \
     d.royalty_bp, d.signed_on, d.effective_from, d.effective_to, d.contract_no, d.license_scope, d.filing_status, \
     d.filed_on, d.filing_no, d.source, d.match_id, d.roadshow_id, d.open_license_id, d.note, d.recorded_by_name, \
     d.recorded_by_org_id, d.created_at, d.updated_at, d.cancelled_at, d.cancel_reason \
     FROM deals d JOIN orgs h ON h.id = d.holder_org_id";

fn push_filter(qb: &mut QueryBuilder<Sqlite>, f: &DealFilter) {
    qb.push(" WHERE 1 = 1");
    if let Some(o) = f.holder_org {
        qb.push(" AND d.holder_org_id = ").push_bind(o.get());
    }
    if let Some(o) = f.party_org {
        qb.push(" AND (d.holder_org_id = ")
            .push_bind(o.get())
            .push(" OR EXISTS (SELECT 1 FROM deal_parties x WHERE x.deal_id = d.id AND x.org_id = ")
            .push_bind(o.get())
            .push("))");
    }
    if let Some(k) = f.kind {
        qb.push(" AND d.kind = ").push_bind(k.code());
    }
    if let Some(s) = f.status {
        qb.push(" AND d.status = ").push_bind(s.code());
    }
    if let Some(p) = f.patent {
        qb.push(" AND EXISTS (SELECT 1 FROM deal_patents dp WHERE dp.deal_id = d.id AND dp.patent_id = ")
            .push_bind(p.get())
            .push(")");
    }
    if let Some(from) = f.signed_from {
        qb.push(" AND d.signed_on >= ").push_bind(date_text(from));
    }
    if let Some(to) = f.signed_to {
        qb.push(" AND d.signed_on <= ").push_bind(date_text(to));
    }
}

async fn write_children(tx: &mut Tx, id: DealId, f: &DealFields) -> Result<()> {
    sqlx::query("DELETE FROM deal_patents WHERE deal_id = ?1").bind(id.get()).execute(tx.conn()).await?;
    sqlx::query("DELETE FROM deal_parties WHERE deal_id = ?1").bind(id.get()).execute(tx.conn()).await?;
    for p in &f.patents {
        sqlx::query("INSERT OR IGNORE INTO deal_patents (deal_id, patent_id) VALUES (?1, ?2)")
            .bind(id.get())
            .bind(p.get())
            .execute(tx.conn())
            .await?;
    }
    for (i, party) in f.parties.iter().enumerate() {
        sqlx::query(
            "INSERT INTO deal_parties (deal_id, position, role, org_id, name, credit_code) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(id.get())
        .bind(i64::try_from(i).unwrap_or(i64::MAX))
        .bind(party.role.code())
        .bind(party.org_id.map(OrgId::get))
        .bind(&party.name)
        .bind(party.credit_code.as_ref().map(|c| c.as_str()))
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

async fn load_children(tx: &mut Tx, deal: &mut Deal) -> Result<()> {
    let rows = sqlx::query(
        "SELECT dp.patent_id, p.application_no, p.title FROM deal_patents dp JOIN patents p ON p.id = dp.patent_id \
         WHERE dp.deal_id = ?1 ORDER BY p.application_no",
    )
    .bind(deal.id.get())
    .fetch_all(tx.conn())
    .await?;
    deal.patents = rows
        .iter()
        .map(|r| {
            Ok(DealPatent {
                patent_id: PatentId::new(r.try_get("patent_id")?),
                application_no: r.try_get("application_no")?,
                title: r.try_get("title")?,
            })
        })
        .collect::<Result<_>>()?;
    deal.fields.patents = deal.patents.iter().map(|p| p.patent_id).collect();
    let rows =
        sqlx::query("SELECT role, org_id, name, credit_code FROM deal_parties WHERE deal_id = ?1 ORDER BY position")
            .bind(deal.id.get())
            .fetch_all(tx.conn())
            .await?;
    deal.fields.parties = rows
        .iter()
        .map(|r| {
            let role: String = r.try_get("role")?;
            let code: Option<String> = r.try_get("credit_code")?;
            Ok(DealParty {
                role: role.parse().map_err(|e| corrupt("deal_parties.role", e))?,
                org_id: r.try_get::<Option<i64>, _>("org_id")?.map(OrgId::new),
                name: r.try_get("name")?,
                credit_code: code
                    .map(|c| CreditCode::parse(&c))
                    .transpose()
                    .map_err(|e| corrupt("deal_parties.credit_code", e))?,
            })
        })
        .collect::<Result<_>>()?;
    Ok(())
}

fn deal_from_row(r: &SqliteRow) -> Result<Deal> {
    let b = |c: &str, e: &dyn std::fmt::Display| corrupt(&format!("deals.{c}"), e);
    let kind: String = r.try_get("kind")?;
    let status: String = r.try_get("status")?;
    let scope: Option<String> = r.try_get("license_scope")?;
    let filing: String = r.try_get("filing_status")?;
    let source: String = r.try_get("source")?;
    let royalty: Option<i64> = r.try_get("royalty_bp")?;
    Ok(Deal {
        id: DealId::new(r.try_get("id")?),
        fields: DealFields {
            kind: kind.parse().map_err(|e| b("kind", &e))?,
            holder_org_id: OrgId::new(r.try_get("holder_org_id")?),
            patents: Vec::new(),
            parties: Vec::new(),
            amount: Money::from_fen(r.try_get("amount_fen")?),
            royalty_bp: royalty.map(u32::try_from).transpose().map_err(|e| b("royalty_bp", &e))?,
            signed_on: date_from(&r.try_get::<String, _>("signed_on")?)?,
            effective_from: opt_date_from(r.try_get("effective_from")?)?,
            effective_to: opt_date_from(r.try_get("effective_to")?)?,
            contract_no: r.try_get("contract_no")?,
            license_scope: scope.map(|s| s.parse()).transpose().map_err(|e| b("license_scope", &e))?,
            filing_status: filing.parse().map_err(|e| b("filing_status", &e))?,
            filed_on: opt_date_from(r.try_get("filed_on")?)?,
            filing_no: r.try_get("filing_no")?,
            source: source.parse().map_err(|e| b("source", &e))?,
            match_id: r.try_get::<Option<i64>, _>("match_id")?.map(MatchId::new),
            roadshow_id: r.try_get::<Option<i64>, _>("roadshow_id")?.map(RoadshowId::new),
            open_license_id: r.try_get("open_license_id")?,
            note: r.try_get("note")?,
        },
        holder_name: r.try_get("holder_name")?,
        status: status.parse().map_err(|e| b("status", &e))?,
        patents: Vec::new(),
        recorded_by_name: r.try_get("recorded_by_name")?,
        recorded_by_org_id: r.try_get::<Option<i64>, _>("recorded_by_org_id")?.map(OrgId::new),
        created_at: time::from_text(&r.try_get::<String, _>("created_at")?)?,
        updated_at: time::from_text(&r.try_get::<String, _>("updated_at")?)?,
        cancelled_at: time::opt_from_text(r.try_get("cancelled_at")?)?,
        cancel_reason: r.try_get("cancel_reason")?,
    })
}

fn bind_fields<'q>(
    q: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments>,
    f: &'q DealFields,
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments> {
    q.bind(f.kind.code())
        .bind(f.holder_org_id.get())
        .bind(f.amount.fen())
        .bind(f.royalty_bp.map(i64::from))
        .bind(date_text(f.signed_on))
        .bind(f.effective_from.map(date_text))
        .bind(f.effective_to.map(date_text))
        .bind(f.contract_no.as_str())
        .bind(f.license_scope.map(|s| s.code()))
        .bind(f.filing_status.code())
        .bind(f.filed_on.map(date_text))
        .bind(f.filing_no.as_str())
        .bind(f.source.code())
        .bind(f.match_id.map(MatchId::get))
        .bind(f.roadshow_id.map(RoadshowId::get))
        .bind(f.open_license_id)
        .bind(f.note.as_str())
}

impl DealStore for Tx {
    async fn insert_deal(&mut self, n: &NewDeal<'_>, now: DateTime<Utc>) -> Result<DealId> {
        let q = sqlx::query(
            "INSERT INTO deals (kind, holder_org_id, amount_fen, royalty_bp, signed_on, effective_from, effective_to, \
             contract_no, license_scope, filing_status, filed_on, filing_no, source, match_id, roadshow_id, \
             open_license_id, note, recorded_by_user_id, recorded_by_name, recorded_by_org_id, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?21) \
             RETURNING id",
        );
        let row = bind_fields(q, n.fields)
            .bind(n.recorded_by_user_id.map(UserId::get))
            .bind(n.recorded_by_name)
            .bind(n.recorded_by_org_id.map(OrgId::get))
            .bind(time::to_text(now))
            .fetch_one(self.conn())
            .await?;
        let id = DealId::new(row.try_get(0)?);
        write_children(self, id, n.fields).await?;
        Ok(id)
    }

    async fn update_deal(&mut self, id: DealId, fields: &DealFields, now: DateTime<Utc>) -> Result<()> {
        let q = sqlx::query(
            "UPDATE deals SET kind = ?1, holder_org_id = ?2, amount_fen = ?3, royalty_bp = ?4, signed_on = ?5, \
             effective_from = ?6, effective_to = ?7, contract_no = ?8, license_scope = ?9, filing_status = ?10, \
             filed_on = ?11, filing_no = ?12, source = ?13, match_id = ?14, roadshow_id = ?15, open_license_id = ?16, \
             note = ?17, updated_at = ?18 WHERE id = ?19 AND status = 'effective'",
        );
        let done = bind_fields(q, fields).bind(time::to_text(now)).bind(id.get()).execute(self.conn()).await?;
        if done.rows_affected() == 0 {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM deals WHERE id = ?1")
                .bind(id.get())
                .fetch_optional(self.conn())
                .await?;
            return Err(if exists.is_some() {
                StoreError::Conflict(Conflict::StaleState)
            } else {
                StoreError::NotFound
            });
        }
        write_children(self, id, fields).await
    }

    async fn cancel_deal(&mut self, id: DealId, reason: &str, now: DateTime<Utc>) -> Result<()> {
        let done = sqlx::query(
            "UPDATE deals SET status = 'cancelled', cancel_reason = ?1, cancelled_at = ?2, updated_at = ?2 \
             WHERE id = ?3 AND status = 'effective'",
        )
        .bind(reason)
        .bind(time::to_text(now))
        .bind(id.get())
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM deals WHERE id = ?1")
                .bind(id.get())
                .fetch_optional(self.conn())
                .await?;
            return Err(if exists.is_some() {
                StoreError::Conflict(Conflict::StaleState)
            } else {
                StoreError::NotFound
            });
        }
        Ok(())
    }

    async fn deal(&mut self, id: DealId) -> Result<Option<Deal>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{DEAL_COLUMNS} WHERE d.id = "));
        qb.push_bind(id.get());
        let row = qb.build().fetch_optional(self.conn()).await?;
        let Some(mut deal) = row.as_ref().map(deal_from_row).transpose()? else {
            return Ok(None);
        };
        load_children(self, &mut deal).await?;
        Ok(Some(deal))
    }

    async fn list_deals(&mut self, f: &DealFilter) -> Result<Vec<Deal>> {
        let mut qb = QueryBuilder::<Sqlite>::new(DEAL_COLUMNS);
        push_filter(&mut qb, f);
        qb.push(" ORDER BY d.signed_on DESC, d.id DESC");
        if f.limit > 0 {
            qb.push(" LIMIT ").push_bind(i64::from(f.limit)).push(" OFFSET ").push_bind(i64::from(f.offset));
        }
        let rows = qb.build().fetch_all(self.conn()).await?;
        let mut deals = rows.iter().map(deal_from_row).collect::<Result<Vec<_>>>()?;
        for deal in &mut deals {
            load_children(self, deal).await?;
        }
        Ok(deals)
    }

    async fn deal_totals(&mut self, f: &DealFilter) -> Result<(u64, Money)> {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT count(*) AS n, COALESCE(sum(d.amount_fen), 0) AS amount FROM deals d JOIN orgs h ON h.id = d.holder_org_id",
        );
        push_filter(&mut qb, f);
        let row = qb.build().fetch_one(self.conn()).await?;
        Ok((count(row.try_get("n")?), Money::from_fen(row.try_get("amount")?)))
    }
}
