//! Inventory records (盘点记录), their review history, the inventor accounts linked to patents, and the scope
//! and coverage reports computed from them.

use chrono::{DateTime, NaiveDate, Utc};
use ipbridge_domain::Money;
use ipbridge_domain::demand::ContactPhone;
use ipbridge_domain::ids::{DealId, FacultyId, InventoryRecordId, OrgId, PatentId, UserId};
use ipbridge_domain::patent::PatentType;
use ipbridge_domain::revitalisation::{
    CoverageCounts, DealKind, InventoryContact, InventoryContent, InventorySource, LicenseScope, PatentBrief,
    PriceRange, ProspectLevel, ReviewAction, ReviewEvent, ReviewState, Transition, Trl,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use super::{FacultyScope, corrupt, count, opt_date_from, push_text_filter};
use crate::{Conflict, Result, StoreError, Tx, time};

const COVERAGE_BY_INSTITUTION: &str = concat!(include_str!("scope.sql"), include_str!("coverage_by_institution.sql"));
const COVERAGE_BY_FACULTY: &str = concat!(include_str!("scope.sql"), include_str!("coverage_by_faculty.sql"));
const COVERAGE_CITY: &str = concat!(include_str!("scope.sql"), include_str!("coverage_city.sql"));
const UNRECORDED: &str = concat!(
    include_str!("scope.sql"),
    include_str!("unrecorded.sql"),
    " ORDER BY o.name, p.application_no LIMIT CASE WHEN ?5 > 0 THEN ?5 ELSE -1 END OFFSET ?6"
);
const UNRECORDED_COUNT: &str =
    concat!("SELECT count(*) FROM (", include_str!("scope.sql"), include_str!("unrecorded.sql"), ")");
const CONVERTED: &str = concat!(
    include_str!("scope.sql"),
    include_str!("converted.sql"),
    " ORDER BY x.converted_on DESC, x.deal_id DESC, p.application_no LIMIT CASE WHEN ?4 > 0 THEN ?4 ELSE -1 END \
     OFFSET ?5"
);
const CONVERTED_COUNT: &str =
    concat!("SELECT count(*) FROM (", include_str!("scope.sql"), include_str!("converted.sql"), ")");
const PATENT_SCOPE: &str = concat!(
    include_str!("scope.sql"),
    "SELECT p.id, p.owner_org_id, o.kind = 'institution' AS institution, p.in_force, \
       EXISTS (SELECT 1 FROM converted c WHERE c.patent_id = p.id) AS converted, \
       EXISTS (SELECT 1 FROM scope s WHERE s.patent_id = p.id) AS in_scope, \
       (SELECT s.faculty_id FROM scope s WHERE s.patent_id = p.id) AS faculty_id \
     FROM patents p LEFT JOIN orgs o ON o.id = p.owner_org_id WHERE p.id = ?1"
);

/// A record to insert; it starts as a draft.
#[derive(Debug, Clone)]
pub struct NewInventoryRecord<'a> {
    /// The patent.
    pub patent_id: PatentId,
    /// The institution responsible (the patent's owner).
    pub org_id: OrgId,
    /// The faculty that reviews it; none: the institution reviews alone.
    pub faculty_id: Option<FacultyId>,
    /// The content (a draft may be incomplete).
    pub content: &'a InventoryContent,
    /// The chain the institution files it under (a code of `industry_chains`).
    pub chain_code: Option<&'a str>,
    /// Form or import.
    pub source: InventorySource,
    /// Account filing it.
    pub filed_by_user_id: Option<UserId>,
    /// Its login name.
    pub filed_by_name: &'a str,
}

/// A stored record with the names pages show joined in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryRecord {
    /// Row id.
    pub id: InventoryRecordId,
    /// The patent.
    pub patent_id: PatentId,
    /// Its application number.
    pub application_no: String,
    /// Its title.
    pub patent_title: String,
    /// The institution responsible.
    pub org_id: OrgId,
    /// Its name.
    pub org_name: String,
    /// The reviewing faculty.
    pub faculty_id: Option<FacultyId>,
    /// Its name.
    pub faculty_name: Option<String>,
    /// Where it stands.
    pub state: ReviewState,
    /// The content.
    pub content: InventoryContent,
    /// The chain it is filed under.
    pub chain_code: Option<String>,
    /// Form or import.
    pub source: InventorySource,
    /// Account that filed it.
    pub filed_by_user_id: Option<UserId>,
    /// Its login name.
    pub filed_by_name: String,
    /// The comment of the last review step (a return's reason).
    pub last_comment: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed in any way.
    pub updated_at: DateTime<Utc>,
    /// Entered its current state.
    pub state_changed_at: DateTime<Utc>,
    /// Last submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Last entered the transferable pool.
    pub pooled_at: Option<DateTime<Utc>>,
}

/// Orders of the record list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InventorySort {
    /// Latest state change first.
    #[default]
    RecentChange,
    /// Longest waiting in its state first (what reviewers should take next).
    LongestWaiting,
    /// By application number.
    ApplicationNo,
}

/// Which records a list shows. Filters are values, never SQL.
#[derive(Debug, Clone, Default)]
pub struct InventoryFilter {
    /// Only this institution's records.
    pub org: Option<OrgId>,
    /// Only this faculty's (or no faculty's) records.
    pub faculty: FacultyScope,
    /// Only these states (empty: every state).
    pub states: Vec<ReviewState>,
    /// Only records of patents linked to this inventor account.
    pub inventor_user: Option<UserId>,
    /// Only drafts returned for revision: submitted before and carrying the reviewer's comment (the home
    /// card's 退回 count; a draft never submitted has no reviewer).
    pub returned_only: bool,
    /// Application number, title, org or brief text contains.
    pub text: Option<String>,
    /// Order.
    pub sort: InventorySort,
    /// Page size; 0 means no limit.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// An inventor account linked to a patent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventorLink {
    /// The account.
    pub user_id: UserId,
    /// Its login name.
    pub username: String,
    /// Its display name.
    pub display_name: String,
    /// Its faculty.
    pub faculty_id: Option<FacultyId>,
    /// The inventor's name as the patent writes it.
    pub inventor_name: String,
    /// Who linked it.
    pub linked_by: String,
    /// When.
    pub linked_at: DateTime<Utc>,
}

/// Where one patent stands against the revitalisation scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatentScope {
    /// The patent.
    pub patent_id: PatentId,
    /// Its owner organisation on the platform.
    pub owner_org_id: Option<OrgId>,
    /// The owner is an institution.
    pub owner_is_institution: bool,
    /// In force.
    pub in_force: bool,
    /// Converted (effective deal, or approved already-implemented record).
    pub converted: bool,
    /// In scope: in force, owned by an institution, not converted.
    pub in_scope: bool,
    /// The faculty it is attributed to, when in scope.
    pub faculty_id: Option<FacultyId>,
}

/// Coverage of one institution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstitutionCoverage {
    /// The institution.
    pub org_id: OrgId,
    /// Its name.
    pub org_name: String,
    /// Whether the organisation is active.
    pub active: bool,
    /// The figures.
    pub counts: CoverageCounts,
}

/// Coverage of one faculty of an institution (or of the patents assigned to none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacultyCoverage {
    /// The faculty; none for the patents assigned to no faculty.
    pub faculty_id: Option<FacultyId>,
    /// Its name.
    pub faculty_name: Option<String>,
    /// The figures.
    pub counts: CoverageCounts,
}

/// Which unrecorded patents a list shows.
#[derive(Debug, Clone, Default)]
pub struct UnrecordedFilter {
    /// Only this institution's.
    pub org: Option<OrgId>,
    /// Only this faculty's (or no faculty's).
    pub faculty: FacultyScope,
    /// Only those linked to this inventor account.
    pub inventor_user: Option<UserId>,
    /// Page size; 0 means no limit.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// An in-scope patent without a submitted record (还未建档).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnrecordedPatent {
    /// The patent.
    pub patent_id: PatentId,
    /// Its application number.
    pub application_no: String,
    /// Its title.
    pub title: String,
    /// Its type.
    pub patent_type: PatentType,
    /// 申请日.
    pub filing_date: Option<NaiveDate>,
    /// 授权公告日.
    pub grant_date: Option<NaiveDate>,
    /// 主分类号.
    pub main_ipc: Option<String>,
    /// The institution.
    pub org_id: OrgId,
    /// Its name.
    pub org_name: String,
    /// The faculty it is attributed to.
    pub faculty_id: Option<FacultyId>,
    /// Its name.
    pub faculty_name: Option<String>,
    /// `Some(Draft)` when a record was started, none when there is no record.
    pub state: Option<ReviewState>,
}

/// Which converted patents a list shows.
#[derive(Debug, Clone, Default)]
pub struct ConvertedFilter {
    /// Only those converted for this institution.
    pub org: Option<OrgId>,
    /// Only this faculty's (or no faculty's).
    pub faculty: FacultyScope,
    /// Page size; 0 means no limit.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// The deal that converted a patent (its latest effective one for the institution).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertingDeal {
    /// The deal.
    pub id: DealId,
    /// Its kind.
    pub kind: DealKind,
    /// A licence's scope.
    pub license_scope: Option<LicenseScope>,
    /// The counterparties' names, in contract order.
    pub counterparties: Vec<String>,
    /// The fixed amount.
    pub amount: Money,
}

/// A converted institution patent (已转化专利) with its latest conversion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertedPatent {
    /// The patent.
    pub patent_id: PatentId,
    /// Its application number.
    pub application_no: String,
    /// Its title.
    pub title: String,
    /// The institution the conversion counts for.
    pub org_id: OrgId,
    /// Its name.
    pub org_name: String,
    /// The faculty it is attributed to.
    pub faculty_id: Option<FacultyId>,
    /// Its name.
    pub faculty_name: Option<String>,
    /// The deal; none when the approved inventory record says the patent is already implemented.
    pub deal: Option<ConvertingDeal>,
    /// Effective deals of the patent for the institution (more than one: the latest is shown).
    pub deals: u64,
    /// The deal's signing date, or the day (China) the institution approved the implemented record.
    pub converted_on: Option<NaiveDate>,
}

/// Inventory records, inventor links, scope and coverage.
pub trait InventoryStore {
    /// Inserts a draft record ([`Conflict::InventoryRecordExists`] when the patent has one). The caller adds
    /// the creation event with [`InventoryStore::add_review_event`].
    async fn insert_inventory_record(
        &mut self,
        new: &NewInventoryRecord<'_>,
        now: DateTime<Utc>,
    ) -> Result<InventoryRecordId>;
    /// Replaces a record's content, faculty and chain (the state is untouched), provided it is still in
    /// `expected` — the state the caller read and checked the edit against; otherwise
    /// [`Conflict::StaleState`] (a concurrent step moved it, so the edit was checked against the wrong state).
    async fn update_inventory_record(
        &mut self,
        id: InventoryRecordId,
        expected: ReviewState,
        content: &InventoryContent,
        faculty_id: Option<FacultyId>,
        chain_code: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// One record.
    async fn inventory_record(&mut self, id: InventoryRecordId) -> Result<Option<InventoryRecord>>;
    /// The record of a patent.
    async fn inventory_record_for_patent(&mut self, patent: PatentId) -> Result<Option<InventoryRecord>>;
    /// A page of records.
    async fn list_inventory_records(&mut self, filter: &InventoryFilter) -> Result<Vec<InventoryRecord>>;
    /// How many records match (ignoring paging).
    async fn count_inventory_records(&mut self, filter: &InventoryFilter) -> Result<u64>;
    /// How many records of the filter are in each state (ignoring the filter's states and paging).
    async fn count_inventory_by_state(&mut self, filter: &InventoryFilter) -> Result<Vec<(ReviewState, u64)>>;
    /// Applies a checked step: moves the record from `t.from` to `t.to` (refused with [`Conflict::StaleState`]
    /// when it is no longer in `t.from`), keeps the comment, and appends `event` to its history — both in the
    /// caller's transaction. A step that keeps the state (an edit) leaves `state_changed_at` alone.
    async fn transition_inventory_record(
        &mut self,
        id: InventoryRecordId,
        t: &Transition,
        event: &ReviewEvent,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Appends a step to a record's history (creation, edits).
    async fn add_review_event(&mut self, id: InventoryRecordId, event: &ReviewEvent) -> Result<()>;
    /// A record's history, oldest first.
    async fn review_events(&mut self, id: InventoryRecordId) -> Result<Vec<ReviewEvent>>;
    /// Links an inventor account to a patent; false when it was linked already.
    async fn link_inventor(
        &mut self,
        patent: PatentId,
        user: UserId,
        inventor_name: &str,
        linked_by: &str,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// Removes a link; false when there was none.
    async fn unlink_inventor(&mut self, patent: PatentId, user: UserId) -> Result<bool>;
    /// The accounts linked to a patent.
    async fn inventor_links(&mut self, patent: PatentId) -> Result<Vec<InventorLink>>;
    /// Whether an account is linked to a patent as its inventor.
    async fn is_linked_inventor(&mut self, user: UserId, patent: PatentId) -> Result<bool>;
    /// Whether a faculty has an active account holding the faculty reviewer role (decides the review route).
    async fn faculty_has_reviewer(&mut self, faculty: FacultyId) -> Result<bool>;
    /// Where a patent stands against the scope; none when the patent does not exist.
    async fn patent_scope(&mut self, patent: PatentId) -> Result<Option<PatentScope>>;
    /// Coverage of every institution (or one), by name.
    async fn coverage_by_institution(&mut self, only: Option<OrgId>) -> Result<Vec<InstitutionCoverage>>;
    /// Coverage of each faculty of an institution, then of its patents assigned to none.
    async fn coverage_by_faculty(&mut self, org: OrgId) -> Result<Vec<FacultyCoverage>>;
    /// Coverage of the city.
    async fn coverage_city(&mut self) -> Result<CoverageCounts>;
    /// A page of in-scope patents without a submitted record, by institution and application number.
    async fn unrecorded_patents(&mut self, filter: &UnrecordedFilter) -> Result<Vec<UnrecordedPatent>>;
    /// How many unrecorded patents match (ignoring paging).
    async fn count_unrecorded_patents(&mut self, filter: &UnrecordedFilter) -> Result<u64>;
    /// A page of converted institution patents (the `converted` of the scope), latest conversion first.
    async fn converted_patents(&mut self, filter: &ConvertedFilter) -> Result<Vec<ConvertedPatent>>;
    /// How many converted patents match (ignoring paging).
    async fn count_converted_patents(&mut self, filter: &ConvertedFilter) -> Result<u64>;
}

const RECORD_FROM: &str = " FROM inventory_records r JOIN patents p ON p.id = r.patent_id \
     JOIN orgs o ON o.id = r.org_id LEFT JOIN faculties fa ON fa.id = r.faculty_id";

const RECORD_COLUMNS: &str = "SELECT r.id, r.patent_id, p.application_no, p.title AS patent_title, r.org_id, \
     o.name AS org_name, r.faculty_id, fa.name AS faculty_name, r.state, r.transfer_intent, r.already_implemented, \
     r.prospect_level, r.problem_solved, r.advantage, r.trl, r.application_fields, r.route_to_market, \
     r.price_min_fen, r.price_max_fen, r.contact_name, r.contact_phone, r.chain_code, r.source, r.filed_by_user_id, \
     r.filed_by_name, r.last_comment, r.created_at, r.updated_at, r.state_changed_at, r.submitted_at, r.pooled_at";

fn bad(column: &str, e: impl std::fmt::Display) -> StoreError {
    corrupt(&format!("inventory_records.{column}"), e)
}

pub(crate) fn content_from_row(row: &SqliteRow) -> Result<InventoryContent> {
    let intent: Option<String> = row.try_get("transfer_intent")?;
    let prospect: Option<i64> = row.try_get("prospect_level")?;
    let trl: Option<i64> = row.try_get("trl")?;
    let phone: String = row.try_get("contact_phone")?;
    let min: Option<i64> = row.try_get("price_min_fen")?;
    let max: Option<i64> = row.try_get("price_max_fen")?;
    Ok(InventoryContent {
        transfer_intent: intent.map(|s| s.parse()).transpose().map_err(|e| bad("transfer_intent", e))?,
        already_implemented: row.try_get("already_implemented")?,
        prospect: prospect
            .map(|l| u8::try_from(l).map(ProspectLevel::from_stored))
            .transpose()
            .map_err(|e| bad("prospect_level", e))?,
        brief: PatentBrief {
            problem_solved: row.try_get("problem_solved")?,
            advantage: row.try_get("advantage")?,
            maturity: trl
                .map(|t| u8::try_from(t).map_err(|e| e.to_string()).and_then(Trl::new))
                .transpose()
                .map_err(|e| bad("trl", e))?,
            application_fields: row.try_get("application_fields")?,
            route_to_market: row.try_get("route_to_market")?,
        },
        price: PriceRange { min: min.map(Money::from_fen), max: max.map(Money::from_fen) },
        contact: InventoryContact {
            name: row.try_get("contact_name")?,
            // Stored after parsing, so it parses again; an unreadable one is reported, not dropped.
            phone: if phone.is_empty() {
                None
            } else {
                Some(ContactPhone::parse(&phone).map_err(|e| bad("contact_phone", e))?)
            },
        },
    })
}

fn record_from_row(row: &SqliteRow) -> Result<InventoryRecord> {
    let state: String = row.try_get("state")?;
    let source: String = row.try_get("source")?;
    Ok(InventoryRecord {
        id: InventoryRecordId::new(row.try_get("id")?),
        patent_id: PatentId::new(row.try_get("patent_id")?),
        application_no: row.try_get("application_no")?,
        patent_title: row.try_get("patent_title")?,
        org_id: OrgId::new(row.try_get("org_id")?),
        org_name: row.try_get("org_name")?,
        faculty_id: row.try_get::<Option<i64>, _>("faculty_id")?.map(FacultyId::new),
        faculty_name: row.try_get("faculty_name")?,
        state: state.parse().map_err(|e| bad("state", e))?,
        content: content_from_row(row)?,
        chain_code: row.try_get("chain_code")?,
        source: source.parse().map_err(|e| bad("source", e))?,
        filed_by_user_id: row.try_get::<Option<i64>, _>("filed_by_user_id")?.map(UserId::new),
        filed_by_name: row.try_get("filed_by_name")?,
        last_comment: row.try_get("last_comment")?,
        created_at: time::from_text(&row.try_get::<String, _>("created_at")?)?,
        updated_at: time::from_text(&row.try_get::<String, _>("updated_at")?)?,
        state_changed_at: time::from_text(&row.try_get::<String, _>("state_changed_at")?)?,
        submitted_at: time::opt_from_text(row.try_get("submitted_at")?)?,
        pooled_at: time::opt_from_text(row.try_get("pooled_at")?)?,
    })
}

fn push_filter(qb: &mut QueryBuilder<Sqlite>, f: &InventoryFilter, with_states: bool) {
    qb.push(" WHERE 1 = 1");
    if let Some(org) = f.org {
        qb.push(" AND r.org_id = ").push_bind(org.get());
    }
    match f.faculty {
        FacultyScope::Any => {}
        FacultyScope::Only(fac) => {
            qb.push(" AND r.faculty_id = ").push_bind(fac.get());
        }
        FacultyScope::Unassigned => {
            qb.push(" AND r.faculty_id IS NULL");
        }
    }
    if with_states && !f.states.is_empty() {
        qb.push(" AND r.state IN (");
        let mut list = qb.separated(", ");
        for s in &f.states {
            list.push_bind(s.code());
        }
        qb.push(")");
    }
    if f.returned_only {
        qb.push(" AND r.state = 'draft' AND r.submitted_at IS NOT NULL AND r.last_comment <> ''");
    }
    if let Some(user) = f.inventor_user {
        qb.push(" AND EXISTS (SELECT 1 FROM patent_inventor_users l WHERE l.patent_id = r.patent_id AND l.user_id = ")
            .push_bind(user.get())
            .push(")");
    }
    if let Some(text) = f.text.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        push_text_filter(
            qb,
            &["p.application_no", "p.title", "o.name", "r.problem_solved", "r.application_fields"],
            text,
        );
    }
}

fn event_from_row(r: &SqliteRow) -> Result<ReviewEvent> {
    let b = |c: &str, e: &dyn std::fmt::Display| corrupt(&format!("review_events.{c}"), e);
    let kind: Option<String> = r.try_get("actor_kind")?;
    let action: Option<String> = r.try_get("action")?;
    let from: Option<String> = r.try_get("from_state")?;
    let to: String = r.try_get("to_state")?;
    Ok(ReviewEvent {
        at: time::from_text(&r.try_get::<String, _>("at")?)?,
        actor_user_id: r.try_get::<Option<i64>, _>("actor_user_id")?.map(UserId::new),
        actor_name: r.try_get("actor_name")?,
        actor_org_id: r.try_get::<Option<i64>, _>("actor_org_id")?.map(OrgId::new),
        actor_kind: kind.map(|s| s.parse()).transpose().map_err(|e| b("actor_kind", &e))?,
        action: action.map(|s| s.parse::<ReviewAction>()).transpose().map_err(|e| b("action", &e))?,
        from: from.map(|s| s.parse()).transpose().map_err(|e| b("from_state", &e))?,
        to: to.parse().map_err(|e| b("to_state", &e))?,
        comment: r.try_get("comment")?,
    })
}

fn counts_from_row(row: &SqliteRow) -> Result<CoverageCounts> {
    let n = |c: &str| -> Result<u64> { Ok(count(row.try_get::<i64, _>(c)?)) };
    Ok(CoverageCounts {
        in_scope: n("in_scope")?,
        draft: n("draft")?,
        recorded: n("recorded")?,
        reviewed: n("reviewed")?,
        base_pool: n("base_pool")?,
        transferable_pool: n("transferable_pool")?,
        converted: n("converted")?,
        deals: n("deals")?,
        converted_amount: Money::from_fen(row.try_get("amount_fen")?),
    })
}

fn unrecorded_binds<'q>(
    q: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments>,
    f: &UnrecordedFilter,
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments> {
    let (scope, faculty) = f.faculty.binds();
    q.bind(f.org.map(OrgId::get)).bind(scope).bind(faculty).bind(f.inventor_user.map(UserId::get))
}

fn converted_binds<'q>(
    q: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments>,
    f: &ConvertedFilter,
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments> {
    let (scope, faculty) = f.faculty.binds();
    q.bind(f.org.map(OrgId::get)).bind(scope).bind(faculty)
}

fn converted_from_row(r: &SqliteRow) -> Result<ConvertedPatent> {
    let deal = match r.try_get::<Option<i64>, _>("deal_id")? {
        None => None,
        Some(id) => {
            let kind: String = r.try_get("kind")?;
            let scope: Option<String> = r.try_get("license_scope")?;
            let parties: String = r.try_get("counterparties")?;
            Some(ConvertingDeal {
                id: DealId::new(id),
                kind: kind.parse().map_err(|e| corrupt("deals.kind", e))?,
                license_scope: scope.map(|s| s.parse()).transpose().map_err(|e| corrupt("deals.license_scope", e))?,
                counterparties: serde_json::from_str(&parties).map_err(|e| corrupt("deal_parties.name", e))?,
                amount: Money::from_fen(r.try_get("amount_fen")?),
            })
        }
    };
    Ok(ConvertedPatent {
        patent_id: PatentId::new(r.try_get("patent_id")?),
        application_no: r.try_get("application_no")?,
        title: r.try_get("title")?,
        org_id: OrgId::new(r.try_get("org_id")?),
        org_name: r.try_get("org_name")?,
        faculty_id: r.try_get::<Option<i64>, _>("faculty_id")?.map(FacultyId::new),
        faculty_name: r.try_get("faculty_name")?,
        deal,
        deals: count(r.try_get("deals")?),
        converted_on: opt_date_from(r.try_get("converted_on")?)?,
    })
}

fn content_binds<'q>(
    q: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments>,
    c: &'q InventoryContent,
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments> {
    q.bind(c.transfer_intent.map(|i| i.code()))
        .bind(c.already_implemented)
        .bind(c.prospect.map(|p| i64::from(p.level())))
        .bind(c.brief.problem_solved.as_str())
        .bind(c.brief.advantage.as_str())
        .bind(c.brief.maturity.map(|t| i64::from(t.level())))
        .bind(c.brief.application_fields.as_str())
        .bind(c.brief.route_to_market.as_str())
        .bind(c.price.min.map(Money::fen))
        .bind(c.price.max.map(Money::fen))
        .bind(c.contact.name.as_str())
        .bind(c.contact.phone.as_ref().map(|p| p.as_str()).unwrap_or_default())
}

impl Tx {
    /// Why a guarded update of record `id` changed no row: [`Conflict::StaleState`] when the record exists (it
    /// left the expected state), else [`StoreError::NotFound`].
    async fn stale_or_missing(&mut self, id: InventoryRecordId) -> Result<StoreError> {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM inventory_records WHERE id = ?1")
            .bind(id.get())
            .fetch_optional(self.conn())
            .await?;
        Ok(if exists.is_some() { StoreError::Conflict(Conflict::StaleState) } else { StoreError::NotFound })
    }
}

impl InventoryStore for Tx {
    async fn insert_inventory_record(
        &mut self,
        n: &NewInventoryRecord<'_>,
        now: DateTime<Utc>,
    ) -> Result<InventoryRecordId> {
        let q = sqlx::query_scalar::<_, i64>(
            "INSERT INTO inventory_records (transfer_intent, already_implemented, prospect_level, problem_solved, \
             advantage, trl, application_fields, route_to_market, price_min_fen, price_max_fen, contact_name, \
             contact_phone, patent_id, org_id, faculty_id, state, chain_code, source, filed_by_user_id, filed_by_name, \
             created_at, updated_at, state_changed_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 'draft', ?16, ?17, ?18, ?19, \
             ?20, ?20, ?20) RETURNING id",
        );
        let mut q = q
            .bind(n.content.transfer_intent.map(|i| i.code()))
            .bind(n.content.already_implemented)
            .bind(n.content.prospect.map(|p| i64::from(p.level())))
            .bind(n.content.brief.problem_solved.as_str())
            .bind(n.content.brief.advantage.as_str())
            .bind(n.content.brief.maturity.map(|t| i64::from(t.level())))
            .bind(n.content.brief.application_fields.as_str())
            .bind(n.content.brief.route_to_market.as_str())
            .bind(n.content.price.min.map(Money::fen))
            .bind(n.content.price.max.map(Money::fen))
            .bind(n.content.contact.name.as_str())
            .bind(n.content.contact.phone.as_ref().map(|p| p.as_str()).unwrap_or_default());
        q = q
            .bind(n.patent_id.get())
            .bind(n.org_id.get())
            .bind(n.faculty_id.map(FacultyId::get))
            .bind(n.chain_code)
            .bind(n.source.code())
            .bind(n.filed_by_user_id.map(UserId::get))
            .bind(n.filed_by_name)
            .bind(time::to_text(now));
        Ok(InventoryRecordId::new(q.fetch_one(self.conn()).await?))
    }

    async fn update_inventory_record(
        &mut self,
        id: InventoryRecordId,
        expected: ReviewState,
        content: &InventoryContent,
        faculty_id: Option<FacultyId>,
        chain_code: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        // Guarded by the state like a transition: the service decided that this edit is allowed in the state it
        // read (content in draft only), so a record submitted or returned meanwhile must not take it.
        let q = sqlx::query(
            "UPDATE inventory_records SET transfer_intent = ?1, already_implemented = ?2, prospect_level = ?3, \
             problem_solved = ?4, advantage = ?5, trl = ?6, application_fields = ?7, route_to_market = ?8, \
             price_min_fen = ?9, price_max_fen = ?10, contact_name = ?11, contact_phone = ?12, faculty_id = ?13, \
             chain_code = ?14, updated_at = ?15 WHERE id = ?16 AND state = ?17",
        );
        let done = content_binds(q, content)
            .bind(faculty_id.map(FacultyId::get))
            .bind(chain_code)
            .bind(time::to_text(now))
            .bind(id.get())
            .bind(expected.code())
            .execute(self.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(self.stale_or_missing(id).await?);
        }
        Ok(())
    }

    async fn inventory_record(&mut self, id: InventoryRecordId) -> Result<Option<InventoryRecord>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{RECORD_COLUMNS}{RECORD_FROM} WHERE r.id = "));
        qb.push_bind(id.get());
        let row = qb.build().fetch_optional(self.conn()).await?;
        row.as_ref().map(record_from_row).transpose()
    }

    async fn inventory_record_for_patent(&mut self, patent: PatentId) -> Result<Option<InventoryRecord>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{RECORD_COLUMNS}{RECORD_FROM} WHERE r.patent_id = "));
        qb.push_bind(patent.get());
        let row = qb.build().fetch_optional(self.conn()).await?;
        row.as_ref().map(record_from_row).transpose()
    }

    async fn list_inventory_records(&mut self, f: &InventoryFilter) -> Result<Vec<InventoryRecord>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{RECORD_COLUMNS}{RECORD_FROM}"));
        push_filter(&mut qb, f, true);
        qb.push(match f.sort {
            InventorySort::RecentChange => " ORDER BY r.state_changed_at DESC, r.id DESC",
            InventorySort::LongestWaiting => " ORDER BY r.state_changed_at ASC, r.id ASC",
            InventorySort::ApplicationNo => " ORDER BY p.application_no",
        });
        if f.limit > 0 {
            qb.push(" LIMIT ").push_bind(i64::from(f.limit)).push(" OFFSET ").push_bind(i64::from(f.offset));
        }
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(record_from_row).collect()
    }

    async fn count_inventory_records(&mut self, f: &InventoryFilter) -> Result<u64> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT count(*){RECORD_FROM}"));
        push_filter(&mut qb, f, true);
        let n: i64 = qb.build_query_scalar().fetch_one(self.conn()).await?;
        Ok(count(n))
    }

    async fn count_inventory_by_state(&mut self, f: &InventoryFilter) -> Result<Vec<(ReviewState, u64)>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT r.state, count(*) AS n{RECORD_FROM}"));
        push_filter(&mut qb, f, false);
        qb.push(" GROUP BY r.state");
        let rows = qb.build().fetch_all(self.conn()).await?;
        let mut counts = Vec::with_capacity(ReviewState::ALL.len());
        for state in ReviewState::ALL {
            let mut n = 0;
            for r in &rows {
                if r.try_get::<String, _>("state")? == state.code() {
                    n = count(r.try_get("n")?);
                }
            }
            counts.push((state, n));
        }
        Ok(counts)
    }

    async fn transition_inventory_record(
        &mut self,
        id: InventoryRecordId,
        t: &Transition,
        event: &ReviewEvent,
        now: DateTime<Utc>,
    ) -> Result<()> {
        // SET expressions read the row as it was, so `state <> ?1` compares against the old state.
        let done = sqlx::query(
            "UPDATE inventory_records SET state = ?1, last_comment = ?2, updated_at = ?3, \
             state_changed_at = CASE WHEN state <> ?1 THEN ?3 ELSE state_changed_at END, \
             submitted_at = CASE WHEN ?1 = 'submitted' AND state <> ?1 THEN ?3 ELSE submitted_at END, \
             pooled_at = CASE WHEN ?1 = 'transferable_pool' AND state <> ?1 THEN ?3 ELSE pooled_at END \
             WHERE id = ?4 AND state = ?5",
        )
        .bind(t.to.code())
        .bind(&t.comment)
        .bind(time::to_text(now))
        .bind(id.get())
        .bind(t.from.code())
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(self.stale_or_missing(id).await?);
        }
        self.add_review_event(id, event).await
    }

    async fn add_review_event(&mut self, id: InventoryRecordId, e: &ReviewEvent) -> Result<()> {
        sqlx::query(
            "INSERT INTO review_events (record_id, at, actor_user_id, actor_name, actor_org_id, actor_kind, action, \
             from_state, to_state, comment) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .bind(id.get())
        .bind(time::to_text(e.at))
        .bind(e.actor_user_id.map(UserId::get))
        .bind(&e.actor_name)
        .bind(e.actor_org_id.map(OrgId::get))
        .bind(e.actor_kind.map(|k| k.code()))
        .bind(e.action.map(ReviewAction::code))
        .bind(e.from.map(ReviewState::code))
        .bind(e.to.code())
        .bind(&e.comment)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn review_events(&mut self, id: InventoryRecordId) -> Result<Vec<ReviewEvent>> {
        let rows = sqlx::query(
            "SELECT at, actor_user_id, actor_name, actor_org_id, actor_kind, action, from_state, to_state, comment \
             FROM review_events WHERE record_id = ?1 ORDER BY id",
        )
        .bind(id.get())
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    async fn link_inventor(
        &mut self,
        patent: PatentId,
        user: UserId,
        inventor_name: &str,
        linked_by: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT OR IGNORE INTO patent_inventor_users (patent_id, user_id, inventor_name, linked_by, linked_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(patent.get())
        .bind(user.get())
        .bind(inventor_name.trim())
        .bind(linked_by)
        .bind(time::to_text(now))
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn unlink_inventor(&mut self, patent: PatentId, user: UserId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM patent_inventor_users WHERE patent_id = ?1 AND user_id = ?2")
            .bind(patent.get())
            .bind(user.get())
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn inventor_links(&mut self, patent: PatentId) -> Result<Vec<InventorLink>> {
        let rows = sqlx::query(
            "SELECT l.user_id, u.username, u.display_name, u.faculty_id, l.inventor_name, l.linked_by, l.linked_at \
             FROM patent_inventor_users l JOIN users u ON u.id = l.user_id WHERE l.patent_id = ?1 ORDER BY u.id",
        )
        .bind(patent.get())
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(InventorLink {
                    user_id: UserId::new(r.try_get("user_id")?),
                    username: r.try_get("username")?,
                    display_name: r.try_get("display_name")?,
                    faculty_id: r.try_get::<Option<i64>, _>("faculty_id")?.map(FacultyId::new),
                    inventor_name: r.try_get("inventor_name")?,
                    linked_by: r.try_get("linked_by")?,
                    linked_at: time::from_text(&r.try_get::<String, _>("linked_at")?)?,
                })
            })
            .collect()
    }

    async fn is_linked_inventor(&mut self, user: UserId, patent: PatentId) -> Result<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM patent_inventor_users WHERE patent_id = ?1 AND user_id = ?2")
                .bind(patent.get())
                .bind(user.get())
                .fetch_optional(self.conn())
                .await?;
        Ok(found.is_some())
    }

    async fn faculty_has_reviewer(&mut self, faculty: FacultyId) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM users u JOIN user_roles ur ON ur.user_id = u.id \
             WHERE u.faculty_id = ?1 AND u.disabled = 0 AND ur.role = 'faculty_reviewer' LIMIT 1",
        )
        .bind(faculty.get())
        .fetch_optional(self.conn())
        .await?;
        Ok(found.is_some())
    }

    async fn patent_scope(&mut self, patent: PatentId) -> Result<Option<PatentScope>> {
        let row = sqlx::query(PATENT_SCOPE).bind(patent.get()).fetch_optional(self.conn()).await?;
        row.map(|r| -> Result<PatentScope> {
            Ok(PatentScope {
                patent_id: PatentId::new(r.try_get("id")?),
                owner_org_id: r.try_get::<Option<i64>, _>("owner_org_id")?.map(OrgId::new),
                owner_is_institution: r.try_get::<Option<bool>, _>("institution")?.unwrap_or(false),
                in_force: r.try_get("in_force")?,
                converted: r.try_get("converted")?,
                in_scope: r.try_get("in_scope")?,
                faculty_id: r.try_get::<Option<i64>, _>("faculty_id")?.map(FacultyId::new),
            })
        })
        .transpose()
    }

    async fn coverage_by_institution(&mut self, only: Option<OrgId>) -> Result<Vec<InstitutionCoverage>> {
        let rows = sqlx::query(COVERAGE_BY_INSTITUTION).bind(only.map(OrgId::get)).fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| {
                Ok(InstitutionCoverage {
                    org_id: OrgId::new(r.try_get("org_id")?),
                    org_name: r.try_get("org_name")?,
                    active: r.try_get("active")?,
                    counts: counts_from_row(r)?,
                })
            })
            .collect()
    }

    async fn coverage_by_faculty(&mut self, org: OrgId) -> Result<Vec<FacultyCoverage>> {
        let rows = sqlx::query(COVERAGE_BY_FACULTY).bind(org.get()).fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| {
                Ok(FacultyCoverage {
                    faculty_id: r.try_get::<Option<i64>, _>("faculty_id")?.map(FacultyId::new),
                    faculty_name: r.try_get("faculty_name")?,
                    counts: counts_from_row(r)?,
                })
            })
            .collect()
    }

    async fn coverage_city(&mut self) -> Result<CoverageCounts> {
        let row = sqlx::query(COVERAGE_CITY).fetch_one(self.conn()).await?;
        counts_from_row(&row)
    }

    async fn unrecorded_patents(&mut self, f: &UnrecordedFilter) -> Result<Vec<UnrecordedPatent>> {
        let q = unrecorded_binds(sqlx::query(UNRECORDED), f).bind(i64::from(f.limit)).bind(i64::from(f.offset));
        let rows = q.fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| {
                let patent_type: String = r.try_get("patent_type")?;
                let state: Option<String> = r.try_get("state")?;
                Ok(UnrecordedPatent {
                    patent_id: PatentId::new(r.try_get("patent_id")?),
                    application_no: r.try_get("application_no")?,
                    title: r.try_get("title")?,
                    patent_type: patent_type.parse().map_err(|_| corrupt("patents.patent_type", &patent_type))?,
                    filing_date: opt_date_from(r.try_get("filing_date")?)?,
                    grant_date: opt_date_from(r.try_get("grant_date")?)?,
                    main_ipc: r.try_get("main_ipc")?,
                    org_id: OrgId::new(r.try_get("org_id")?),
                    org_name: r.try_get("org_name")?,
                    faculty_id: r.try_get::<Option<i64>, _>("faculty_id")?.map(FacultyId::new),
                    faculty_name: r.try_get("faculty_name")?,
                    state: state.map(|s| s.parse()).transpose().map_err(|e| bad("state", e))?,
                })
            })
            .collect()
    }

    async fn count_unrecorded_patents(&mut self, f: &UnrecordedFilter) -> Result<u64> {
        let n: i64 = unrecorded_binds(sqlx::query(UNRECORDED_COUNT), f).fetch_one(self.conn()).await?.try_get(0)?;
        Ok(count(n))
    }

    async fn converted_patents(&mut self, f: &ConvertedFilter) -> Result<Vec<ConvertedPatent>> {
        let q = converted_binds(sqlx::query(CONVERTED), f).bind(i64::from(f.limit)).bind(i64::from(f.offset));
        let rows = q.fetch_all(self.conn()).await?;
        rows.iter().map(converted_from_row).collect()
    }

    async fn count_converted_patents(&mut self, f: &ConvertedFilter) -> Result<u64> {
        let n: i64 = converted_binds(sqlx::query(CONVERTED_COUNT), f).fetch_one(self.conn()).await?.try_get(0)?;
        Ok(count(n))
    }
}
