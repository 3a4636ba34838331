//! Patents: the record (as JSON plus the columns lists filter on), its IPC codes, its applicants linked
//! to organisations, and the history of its changes.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use ipbridge_domain::ids::{ImportId, OrgId, PatentId};
use ipbridge_domain::indicators::high_value::Criterion;
use ipbridge_domain::patent::{LegalStatus, PatentRecord, PatentType};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::orgs::escape_like;
use crate::{Result, StoreError, Tx, time};

/// A record ready to write, with what the service worked out about it.
#[derive(Debug, Clone)]
pub struct PatentWrite<'a> {
    /// The record.
    pub record: &'a PatentRecord,
    /// The record as JSON (the stored form).
    pub record_json: &'a str,
    /// SM3 of `record_json`.
    pub content_hash: &'a str,
    /// Normalised applicant names, in order (aligned with `record.applicants`).
    pub applicant_names_norm: &'a [String],
    /// The organisation each applicant is linked to, in order.
    pub applicant_orgs: &'a [Option<OrgId>],
    /// The import that wrote it.
    pub import_id: Option<ImportId>,
    /// Source file name.
    pub source_file: &'a str,
    /// Row in the source file.
    pub source_row: Option<i64>,
}

/// What the store knows of a patent before an upsert.
#[derive(Debug, Clone)]
pub struct ExistingPatent {
    /// Row id.
    pub id: PatentId,
    /// Hash of the stored record.
    pub content_hash: String,
    /// The stored record as JSON, to compute what changed.
    pub record_json: String,
}

/// A patent as lists show it.
#[derive(Debug, Clone)]
pub struct PatentSummary {
    /// Row id.
    pub id: PatentId,
    /// Canonical application number.
    pub application_no: String,
    /// Type.
    pub patent_type: PatentType,
    /// Title.
    pub title: String,
    /// 申请日.
    pub filing_date: Option<NaiveDate>,
    /// 授权公告日.
    pub grant_date: Option<NaiveDate>,
    /// Normalised legal status.
    pub legal_status: LegalStatus,
    /// In force.
    pub in_force: bool,
    /// 主分类号.
    pub main_ipc: Option<String>,
    /// First applicant as written.
    pub first_applicant: String,
    /// Owner organisation, when linked.
    pub owner_org_id: Option<OrgId>,
    /// Owner organisation's name.
    pub owner_name: Option<String>,
    /// Owner organisation's county code.
    pub county_code: Option<String>,
}

/// One stored patent with everything the detail page shows.
#[derive(Debug, Clone)]
pub struct StoredPatent {
    /// The summary columns.
    pub summary: PatentSummary,
    /// The full record.
    pub record: PatentRecord,
    /// Each applicant's linked organisation (id and name), in order.
    pub applicant_orgs: Vec<Option<(OrgId, String)>>,
    /// The import that last wrote it.
    pub import_id: Option<ImportId>,
    /// The import that first wrote it.
    pub created_import_id: Option<ImportId>,
    /// Source file and row of the last write.
    pub source_file: String,
    /// Row in that file.
    pub source_row: Option<i64>,
    /// First stored.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// One entry of a patent's history.
#[derive(Debug, Clone)]
pub struct PatentChange {
    /// When.
    pub at: DateTime<Utc>,
    /// Who imported or edited.
    pub actor_name: String,
    /// The import, when the change came from one.
    pub import_id: Option<ImportId>,
    /// `created` or `updated`.
    pub kind: String,
    /// JSON: field → [before, after].
    pub changes: String,
}

/// Sort orders of the patent list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PatentSort {
    /// Newest filing first.
    #[default]
    FilingDateDesc,
    /// Oldest filing first.
    FilingDateAsc,
    /// Newest grant first.
    GrantDateDesc,
    /// By application number.
    ApplicationNo,
    /// By title.
    Title,
}

/// Which patents a list shows. Filters are values, never SQL.
#[derive(Debug, Clone, Default)]
pub struct PatentFilter {
    /// Only this type.
    pub patent_type: Option<PatentType>,
    /// Only this legal status.
    pub legal_status: Option<LegalStatus>,
    /// Only patents in force (true) or not in force (false).
    pub in_force: Option<bool>,
    /// Only patents with an IPC code starting with this (e.g. `A23F`, `A23F3/`).
    pub ipc_prefix: Option<String>,
    /// Only patents an organisation holds as an applicant.
    pub holder_org: Option<OrgId>,
    /// Only patents the indicator refresh placed in the city, in a county of it, or outside it.
    pub place: Option<PlaceFilter>,
    /// Only high-value invention patents, or those meeting one criterion.
    pub high_value: Option<HighValueFilter>,
    /// Only patents filed in this year.
    pub filing_year: Option<i32>,
    /// Title, application number or first applicant contains.
    pub text: Option<String>,
    /// Order.
    pub sort: PatentSort,
    /// Page size; 0 means no limit.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// Where the indicator refresh placed a patent (`patent_facts`): patents not refreshed yet match none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceFilter {
    /// The city's patents, whatever their county.
    City,
    /// The city's patents placed in this county.
    County(String),
    /// Patents placed outside the city.
    Outside,
}

/// Which high-value invention patents (`patent_facts`): only valid invention patents are high-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HighValueFilter {
    /// Meeting at least one criterion.
    Any,
    /// Meeting this criterion (and perhaps others).
    Criterion(Criterion),
}

/// What the last indicator refresh derived for a listed patent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFacts {
    /// In the city.
    pub in_city: bool,
    /// Its county, when known.
    pub county_code: Option<String>,
    /// A granted invention patent in force.
    pub valid_invention: bool,
    /// A high-value invention patent.
    pub high_value: bool,
    /// The criteria that hold (bit set of `Criterion::bit`).
    pub hv_criteria: u8,
}

impl ListedFacts {
    /// The criteria that hold, in the national definition's order.
    pub fn criteria(&self) -> Vec<Criterion> {
        Criterion::of_bits(self.hv_criteria)
    }
}

/// A listed patent with its indicator facts (none before the patent's first refresh).
#[derive(Debug, Clone)]
pub struct ListedPatent {
    /// The summary columns.
    pub summary: PatentSummary,
    /// The derived facts.
    pub facts: Option<ListedFacts>,
}

/// Patents area.
pub trait PatentStore {
    /// The stored hash and record of each of these application numbers that exists.
    async fn existing_patents(&mut self, application_nos: &[String]) -> Result<HashMap<String, ExistingPatent>>;
    /// Inserts new patents with their IPC codes and applicants, a batch at a
    /// time (a few multi-row statements rather than several per patent: imports write tens of thousands).
    /// Returns each application number with its new id.
    async fn insert_patents(
        &mut self,
        writes: &[PatentWrite<'_>],
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, PatentId)>>;
    /// Replaces a patent's record, IPC codes and applicants.
    async fn update_patent(&mut self, id: PatentId, w: &PatentWrite<'_>, now: DateTime<Utc>) -> Result<()>;
    /// Appends to a patent's history.
    async fn add_patent_history(
        &mut self,
        id: PatentId,
        at: DateTime<Utc>,
        import_id: Option<ImportId>,
        actor_name: &str,
        kind: &str,
        changes: &str,
    ) -> Result<()>;
    /// One patent.
    async fn patent(&mut self, id: PatentId) -> Result<Option<StoredPatent>>;
    /// A page of patents.
    async fn list_patents(&mut self, f: &PatentFilter) -> Result<Vec<PatentSummary>>;
    /// A page of patents with what the last indicator refresh derived for each (lists and exports).
    async fn list_patents_with_facts(&mut self, f: &PatentFilter) -> Result<Vec<ListedPatent>>;
    /// How many patents match (ignoring paging).
    async fn count_patents(&mut self, f: &PatentFilter) -> Result<u64>;
    /// A patent's history, oldest first.
    async fn patent_history(&mut self, id: PatentId) -> Result<Vec<PatentChange>>;
    /// Whether an organisation holds the patent as one of its applicants.
    async fn holds_patent(&mut self, org: OrgId, id: PatentId) -> Result<bool>;
}

pub(crate) const SUMMARY_COLUMNS: &str = "p.id, p.application_no, p.patent_type, p.title, p.filing_date, p.grant_date, \
     p.legal_status, p.in_force, p.main_ipc, p.first_applicant, p.owner_org_id, o.name AS owner_name, \
     o.county_code AS county_code";

fn date(s: Option<String>) -> Result<Option<NaiveDate>> {
    s.map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|e| StoreError::Corrupt(format!("date {d:?}: {e}"))))
        .transpose()
}

/// The first applicant's address (the one the place rule reads), empty when the source gives none.
fn first_address(r: &PatentRecord) -> String {
    r.applicants.first().and_then(|a| a.address.clone()).unwrap_or_default()
}

fn date_text(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

pub(crate) fn summary_from_row(row: &SqliteRow) -> Result<PatentSummary> {
    let patent_type: String = row.try_get("patent_type")?;
    let legal_status: String = row.try_get("legal_status")?;
    Ok(PatentSummary {
        id: PatentId::new(row.try_get("id")?),
        application_no: row.try_get("application_no")?,
        patent_type: patent_type.parse().map_err(|_| StoreError::Corrupt(format!("patent_type {patent_type:?}")))?,
        title: row.try_get("title")?,
        filing_date: date(row.try_get("filing_date")?)?,
        grant_date: date(row.try_get("grant_date")?)?,
        legal_status: legal_status
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("legal_status {legal_status:?}")))?,
        in_force: row.try_get("in_force")?,
        main_ipc: row.try_get("main_ipc")?,
        first_applicant: row.try_get("first_applicant")?,
        owner_org_id: row.try_get::<Option<i64>, _>("owner_org_id")?.map(OrgId::new),
        owner_name: row.try_get("owner_name")?,
        county_code: row.try_get("county_code")?,
    })
}

/// Every stored criteria bit set (five criteria: 1..=31) that includes `c`.
fn criterion_sets(c: Criterion) -> Vec<u8> {
    let all = Criterion::ALL.iter().fold(0u8, |bits, c| bits | c.bit());
    (1..=all).filter(|set| set & c.bit() != 0).collect()
}

/// Whether the filter has conditions on the patents themselves (not only on their indicator facts).
fn has_patent_terms(f: &PatentFilter) -> bool {
    let filled = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
    f.patent_type.is_some()
        || f.legal_status.is_some()
        || f.in_force.is_some()
        || filled(&f.ipc_prefix)
        || f.holder_org.is_some()
        || f.filing_year.is_some()
        || filled(&f.text)
}

/// The tables of a list query. The indicator facts are one row per patent (joined by primary key).
///
/// Without statistics SQLite cannot tell a selective facts condition from a broad one, so the join order is
/// chosen here: high-value invention patents are a few per cent of all patents, so their index drives the
/// query (`CROSS JOIN` keeps `f` outer); the city's or a county's patents may be most of them, so the
/// patents drive in the requested order and each row's facts are looked up (see `push_fact_terms`).
fn list_from(f: &PatentFilter) -> &'static str {
    if f.high_value.is_some() {
        " FROM patent_facts f CROSS JOIN patents p ON p.id = f.patent_id LEFT JOIN orgs o ON o.id = p.owner_org_id"
    } else {
        " FROM patents p LEFT JOIN orgs o ON o.id = p.owner_org_id LEFT JOIN patent_facts f ON f.patent_id = p.id"
    }
}

fn push_order_and_page(qb: &mut QueryBuilder<Sqlite>, f: &PatentFilter) {
    // Every high-value patent by filing date: the facts carry the date, so the (high_value, filing_date) index
    // gives the page without sorting the hundreds of thousands a national corpus holds.
    let by_facts = f.high_value == Some(HighValueFilter::Any);
    qb.push(match f.sort {
        PatentSort::FilingDateDesc if by_facts => " ORDER BY f.filing_date DESC, f.patent_id DESC",
        PatentSort::FilingDateAsc if by_facts => " ORDER BY f.filing_date ASC, f.patent_id ASC",
        PatentSort::FilingDateDesc => " ORDER BY p.filing_date DESC, p.id DESC",
        PatentSort::FilingDateAsc => " ORDER BY p.filing_date ASC, p.id ASC",
        PatentSort::GrantDateDesc => " ORDER BY p.grant_date IS NULL, p.grant_date DESC, p.id DESC",
        PatentSort::ApplicationNo => " ORDER BY p.application_no",
        PatentSort::Title => " ORDER BY p.title, p.id",
    });
    if f.limit > 0 {
        qb.push(" LIMIT ").push_bind(i64::from(f.limit)).push(" OFFSET ").push_bind(i64::from(f.offset));
    }
}

fn listed_facts(row: &SqliteRow) -> Result<Option<ListedFacts>> {
    let Some(in_city) = row.try_get::<Option<bool>, _>("f_in_city")? else { return Ok(None) };
    let bits: i64 = row.try_get::<Option<i64>, _>("f_hv_criteria")?.unwrap_or(0);
    Ok(Some(ListedFacts {
        in_city,
        county_code: row.try_get("f_county_code")?,
        valid_invention: row.try_get::<Option<bool>, _>("f_valid_invention")?.unwrap_or(false),
        high_value: row.try_get::<Option<bool>, _>("f_high_value")?.unwrap_or(false),
        hv_criteria: u8::try_from(bits).map_err(|_| StoreError::Corrupt(format!("patent_facts.hv_criteria {bits}")))?,
    }))
}

fn push_filter(qb: &mut QueryBuilder<Sqlite>, f: &PatentFilter) {
    qb.push(" WHERE 1 = 1");
    push_patent_terms(qb, f);
    push_fact_terms(qb, f);
}

fn push_patent_terms(qb: &mut QueryBuilder<Sqlite>, f: &PatentFilter) {
    if let Some(t) = f.patent_type {
        qb.push(" AND p.patent_type = ").push_bind(t.code());
    }
    if let Some(s) = f.legal_status {
        qb.push(" AND p.legal_status = ").push_bind(s.code());
    }
    if let Some(in_force) = f.in_force {
        qb.push(" AND p.in_force = ").push_bind(in_force);
    }
    if let Some(prefix) = f.ipc_prefix.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let like = format!("{}%", escape_like(&prefix.replace(' ', "").to_uppercase()));
        qb.push(" AND p.id IN (SELECT patent_id FROM patent_ipc WHERE code LIKE ")
            .push_bind(like)
            .push(" ESCAPE '\\')");
    }
    if let Some(org) = f.holder_org {
        qb.push(" AND p.id IN (SELECT patent_id FROM patent_applicants WHERE org_id = ").push_bind(org.get()).push(")");
    }
    if let Some(year) = f.filing_year {
        qb.push(" AND p.filing_year = ").push_bind(year);
    }
    if let Some(text) = f.text.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let like = format!("%{}%", escape_like(text));
        qb.push(" AND (p.title LIKE ")
            .push_bind(like.clone())
            .push(" ESCAPE '\\' OR p.application_no LIKE ")
            .push_bind(like.clone())
            .push(" ESCAPE '\\' OR p.first_applicant LIKE ")
            .push_bind(like)
            .push(" ESCAPE '\\')");
    }
}

/// The conditions on the indicator facts (alias `f`). Place terms are marked as likely true (`likelihood`):
/// the city's patents may be most of the database, and the hint keeps the planner from driving a page of
/// the list through the place index and sorting hundreds of thousands of rows for 50 of them.
fn push_fact_terms(qb: &mut QueryBuilder<Sqlite>, f: &PatentFilter) {
    match &f.place {
        None => {}
        Some(PlaceFilter::City) => {
            qb.push(" AND likelihood(f.in_city = 1, 0.5)");
        }
        Some(PlaceFilter::County(code)) => {
            qb.push(" AND likelihood(f.in_city = 1, 0.5) AND likelihood(f.county_code = ")
                .push_bind(code.clone())
                .push(", 0.5)");
        }
        Some(PlaceFilter::Outside) => {
            qb.push(" AND likelihood(f.in_city = 0, 0.5)");
        }
    }
    match f.high_value {
        None => {}
        Some(HighValueFilter::Any) => {
            qb.push(" AND f.high_value = 1");
        }
        Some(HighValueFilter::Criterion(c)) => {
            // The bit sets holding the criterion, listed so the (high_value, hv_criteria) index answers with
            // a few seeks instead of testing a bit on every row. The values are the criterion's own constants.
            let sets: Vec<String> = criterion_sets(c).iter().map(u8::to_string).collect();
            qb.push(" AND f.high_value = 1 AND f.hv_criteria IN (").push(sets.join(", ")).push(")");
        }
    }
}

async fn write_children(tx: &mut Tx, id: PatentId, w: &PatentWrite<'_>) -> Result<()> {
    sqlx::query("DELETE FROM patent_ipc WHERE patent_id = ?1").bind(id.get()).execute(tx.conn()).await?;
    sqlx::query("DELETE FROM patent_applicants WHERE patent_id = ?1").bind(id.get()).execute(tx.conn()).await?;
    for code in &w.record.ipc_codes {
        sqlx::query("INSERT OR IGNORE INTO patent_ipc (patent_id, code) VALUES (?1, ?2)")
            .bind(id.get())
            .bind(code.as_str())
            .execute(tx.conn())
            .await?;
    }
    for (i, a) in w.record.applicants.iter().enumerate() {
        sqlx::query(
            "INSERT INTO patent_applicants (patent_id, position, name, name_norm, org_id) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(id.get())
        .bind(i64::try_from(i).unwrap_or(i64::MAX))
        .bind(&a.name)
        .bind(w.applicant_names_norm.get(i).cloned().unwrap_or_default())
        .bind(w.applicant_orgs.get(i).copied().flatten().map(OrgId::get))
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

fn owner(w: &PatentWrite<'_>) -> Option<i64> {
    w.applicant_orgs.iter().flatten().next().map(|o| o.get())
}

impl PatentStore for Tx {
    async fn existing_patents(&mut self, application_nos: &[String]) -> Result<HashMap<String, ExistingPatent>> {
        let list = serde_json::Value::from(application_nos.to_vec()).to_string();
        let rows = sqlx::query(
            "SELECT id, application_no, content_hash, record FROM patents \
             WHERE application_no IN (SELECT value FROM json_each(?1))",
        )
        .bind(list)
        .fetch_all(self.conn())
        .await?;
        let mut map = HashMap::with_capacity(rows.len());
        for row in rows {
            map.insert(
                row.try_get::<String, _>("application_no")?,
                ExistingPatent {
                    id: PatentId::new(row.try_get("id")?),
                    content_hash: row.try_get("content_hash")?,
                    record_json: row.try_get("record")?,
                },
            );
        }
        Ok(map)
    }

    async fn insert_patents(
        &mut self,
        writes: &[PatentWrite<'_>],
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, PatentId)>> {
        let now = time::to_text(now);
        let mut ids = Vec::with_capacity(writes.len());
        // 25 parameters a row; 500 rows stay far below SQLite's 32,766-parameter limit.
        for chunk in writes.chunks(500) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO patents (application_no, patent_type, title, filing_date, publication_date, grant_date, \
                 filing_year, legal_status, in_force, main_ipc, first_applicant, province_code, owner_org_id, record, \
                 content_hash, import_id, created_import_id, source_file, source_row, created_at, updated_at, \
                 applicant_address, has_foreign_family, pledge_amount, lapse_date) ",
            );
            qb.push_values(chunk, |mut b, w| {
                let r = w.record;
                b.push_bind(r.application_no.as_str().to_owned())
                    .push_bind(r.patent_type.code())
                    .push_bind(r.title.clone())
                    .push_bind(date_text(r.filing_date))
                    .push_bind(date_text(r.publication_date))
                    .push_bind(date_text(r.grant_date))
                    .push_bind(r.filing_date.map(|d| chrono::Datelike::year(&d)))
                    .push_bind(r.legal_status.code())
                    .push_bind(r.legal_status.in_force())
                    .push_bind(r.main_ipc.as_ref().map(|c| c.as_str().to_owned()))
                    .push_bind(r.applicants.first().map(|a| a.name.clone()).unwrap_or_default())
                    .push_bind(r.province_code.clone())
                    .push_bind(owner(w))
                    .push_bind(w.record_json.to_owned())
                    .push_bind(w.content_hash.to_owned())
                    .push_bind(w.import_id.map(ImportId::get))
                    .push_bind(w.import_id.map(ImportId::get))
                    .push_bind(w.source_file.to_owned())
                    .push_bind(w.source_row)
                    .push_bind(now.clone())
                    .push_bind(now.clone())
                    .push_bind(first_address(r))
                    .push_bind(r.has_foreign_family)
                    .push_bind(r.pledge_amount.map(|m| m.fen()))
                    .push_bind(date_text(r.lapse_date));
            });
            // The application number comes back with the id: RETURNING's row order is not guaranteed.
            qb.push(" RETURNING id, application_no");
            let rows = qb.build().fetch_all(self.conn()).await?;
            let mut by_no: HashMap<String, PatentId> = HashMap::with_capacity(rows.len());
            for row in rows {
                by_no.insert(row.try_get("application_no")?, PatentId::new(row.try_get("id")?));
            }
            let mut ipc: Vec<(i64, String)> = Vec::new();
            let mut applicants: Vec<(i64, i64, String, String, Option<i64>)> = Vec::new();
            for w in chunk {
                let no = w.record.application_no.as_str();
                let id = *by_no.get(no).ok_or_else(|| StoreError::Corrupt(format!("no id returned for {no}")))?;
                ids.push((no.to_owned(), id));
                let mut seen = std::collections::HashSet::new();
                for code in &w.record.ipc_codes {
                    if seen.insert(code.as_str()) {
                        ipc.push((id.get(), code.as_str().to_owned()));
                    }
                }
                for (i, a) in w.record.applicants.iter().enumerate() {
                    applicants.push((
                        id.get(),
                        i64::try_from(i).unwrap_or(i64::MAX),
                        a.name.clone(),
                        w.applicant_names_norm.get(i).cloned().unwrap_or_default(),
                        w.applicant_orgs.get(i).copied().flatten().map(OrgId::get),
                    ));
                }
            }
            for part in ipc.chunks(5000) {
                let mut qb = QueryBuilder::<Sqlite>::new("INSERT OR IGNORE INTO patent_ipc (patent_id, code) ");
                qb.push_values(part, |mut b, (id, code)| {
                    b.push_bind(*id).push_bind(code.clone());
                });
                qb.build().execute(self.conn()).await?;
            }
            for part in applicants.chunks(3000) {
                let mut qb = QueryBuilder::<Sqlite>::new(
                    "INSERT INTO patent_applicants (patent_id, position, name, name_norm, org_id) ",
                );
                qb.push_values(part, |mut b, (id, pos, name, norm, org)| {
                    b.push_bind(*id).push_bind(*pos).push_bind(name.clone()).push_bind(norm.clone()).push_bind(*org);
                });
                qb.build().execute(self.conn()).await?;
            }
        }
        Ok(ids)
    }

    async fn update_patent(&mut self, id: PatentId, w: &PatentWrite<'_>, now: DateTime<Utc>) -> Result<()> {
        let r = w.record;
        let done = sqlx::query(
            "UPDATE patents SET patent_type = ?1, title = ?2, filing_date = ?3, publication_date = ?4, \
             grant_date = ?5, filing_year = ?6, legal_status = ?7, in_force = ?8, main_ipc = ?9, \
             first_applicant = ?10, province_code = ?11, owner_org_id = ?12, record = ?13, content_hash = ?14, \
             import_id = ?15, source_file = ?16, source_row = ?17, updated_at = ?18, applicant_address = ?20, \
             has_foreign_family = ?21, pledge_amount = ?22, lapse_date = ?23 WHERE id = ?19",
        )
        .bind(r.patent_type.code())
        .bind(&r.title)
        .bind(date_text(r.filing_date))
        .bind(date_text(r.publication_date))
        .bind(date_text(r.grant_date))
        .bind(r.filing_date.map(|d| chrono::Datelike::year(&d)))
        .bind(r.legal_status.code())
        .bind(r.legal_status.in_force())
        .bind(r.main_ipc.as_ref().map(|c| c.as_str().to_owned()))
        .bind(r.applicants.first().map(|a| a.name.clone()).unwrap_or_default())
        .bind(&r.province_code)
        .bind(owner(w))
        .bind(w.record_json)
        .bind(w.content_hash)
        .bind(w.import_id.map(ImportId::get))
        .bind(w.source_file)
        .bind(w.source_row)
        .bind(time::to_text(now))
        .bind(id.get())
        .bind(first_address(r))
        .bind(r.has_foreign_family)
        .bind(r.pledge_amount.map(|m| m.fen()))
        .bind(date_text(r.lapse_date))
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        write_children(self, id, w).await
    }

    async fn add_patent_history(
        &mut self,
        id: PatentId,
        at: DateTime<Utc>,
        import_id: Option<ImportId>,
        actor_name: &str,
        kind: &str,
        changes: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO patent_history (patent_id, at, import_id, actor_name, kind, changes) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(id.get())
        .bind(time::to_text(at))
        .bind(import_id.map(ImportId::get))
        .bind(actor_name)
        .bind(kind)
        .bind(changes)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn patent(&mut self, id: PatentId) -> Result<Option<StoredPatent>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {SUMMARY_COLUMNS}, p.record, p.import_id, p.created_import_id, p.source_file, p.source_row, \
             p.created_at, p.updated_at \
             FROM patents p LEFT JOIN orgs o ON o.id = p.owner_org_id WHERE p.id = "
        ));
        qb.push_bind(id.get());
        let Some(row) = qb.build().fetch_optional(self.conn()).await? else {
            return Ok(None);
        };
        let summary = summary_from_row(&row)?;
        let record_json: String = row.try_get("record")?;
        let record: PatentRecord =
            serde_json::from_str(&record_json).map_err(|e| StoreError::Corrupt(format!("patents.record: {e}")))?;
        let links = sqlx::query(
            "SELECT a.position, a.org_id, o.name FROM patent_applicants a LEFT JOIN orgs o ON o.id = a.org_id \
             WHERE a.patent_id = ?1 ORDER BY a.position",
        )
        .bind(id.get())
        .fetch_all(self.conn())
        .await?;
        let mut applicant_orgs = Vec::with_capacity(links.len());
        for l in links {
            let org: Option<i64> = l.try_get("org_id")?;
            let name: Option<String> = l.try_get("name")?;
            applicant_orgs.push(org.zip(name).map(|(o, n)| (OrgId::new(o), n)));
        }
        Ok(Some(StoredPatent {
            summary,
            record,
            applicant_orgs,
            import_id: row.try_get::<Option<i64>, _>("import_id")?.map(ImportId::new),
            created_import_id: row.try_get::<Option<i64>, _>("created_import_id")?.map(ImportId::new),
            source_file: row.try_get("source_file")?,
            source_row: row.try_get("source_row")?,
            created_at: time::from_text(&row.try_get::<String, _>("created_at")?)?,
            updated_at: time::from_text(&row.try_get::<String, _>("updated_at")?)?,
        }))
    }

    async fn list_patents(&mut self, f: &PatentFilter) -> Result<Vec<PatentSummary>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT {SUMMARY_COLUMNS}{}", list_from(f)));
        push_filter(&mut qb, f);
        push_order_and_page(&mut qb, f);
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(summary_from_row).collect()
    }

    async fn list_patents_with_facts(&mut self, f: &PatentFilter) -> Result<Vec<ListedPatent>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {SUMMARY_COLUMNS}, f.in_city AS f_in_city, f.county_code AS f_county_code, \
             f.valid_invention AS f_valid_invention, f.high_value AS f_high_value, f.hv_criteria AS f_hv_criteria{}",
            list_from(f)
        ));
        push_filter(&mut qb, f);
        push_order_and_page(&mut qb, f);
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(|row| Ok(ListedPatent { summary: summary_from_row(row)?, facts: listed_facts(row)? })).collect()
    }

    async fn count_patents(&mut self, f: &PatentFilter) -> Result<u64> {
        let facts = f.place.is_some() || f.high_value.is_some();
        let mut qb = QueryBuilder::<Sqlite>::new(if !facts {
            "SELECT count(*) FROM patents p"
        } else if !has_patent_terms(f) {
            // Every fact belongs to a patent (foreign key, deleted with it): its index alone gives the count.
            "SELECT count(*) FROM patent_facts f"
        } else if f.high_value.is_some() {
            "SELECT count(*) FROM patent_facts f CROSS JOIN patents p ON p.id = f.patent_id"
        } else {
            "SELECT count(*) FROM patents p JOIN patent_facts f ON f.patent_id = p.id"
        });
        push_filter(&mut qb, f);
        let n: i64 = qb.build_query_scalar().fetch_one(self.conn()).await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn patent_history(&mut self, id: PatentId) -> Result<Vec<PatentChange>> {
        let rows = sqlx::query(
            "SELECT at, actor_name, import_id, kind, changes FROM patent_history WHERE patent_id = ?1 ORDER BY id",
        )
        .bind(id.get())
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PatentChange {
                    at: time::from_text(&r.try_get::<String, _>("at")?)?,
                    actor_name: r.try_get("actor_name")?,
                    import_id: r.try_get::<Option<i64>, _>("import_id")?.map(ImportId::new),
                    kind: r.try_get("kind")?,
                    changes: r.try_get("changes")?,
                })
            })
            .collect()
    }

    async fn holds_patent(&mut self, org: OrgId, id: PatentId) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM patent_applicants WHERE patent_id = ?1 AND org_id = ?2")
            .bind(id.get())
            .bind(org.get())
            .fetch_one(self.conn())
            .await?;
        Ok(n > 0)
    }
}
