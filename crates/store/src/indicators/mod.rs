//! Indicators (measure 2): the derived per-patent facts (place, chains, high-value criteria), the aggregates
//! the dashboards read, the monthly snapshots and the refresh runs; plus the bureau's inputs: awards,
//! applicant places and periodic statistics (trademarks, patent-intensive industries).
//!
//! - [`IndicatorStore`]: what the refresh job reads and writes, and what dashboards read;
//! - [`AwardStore`], [`PlaceStore`], [`StatsStore`]: the bureau's inputs.

mod awards;
mod landscape;
mod places;
mod stats;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::{Result, StoreError, Tx, time};

pub use awards::*;
pub use landscape::*;
pub use places::*;
pub use stats::*;

/// What the refresh reads of one patent (columns only, no JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactSource {
    /// Row id.
    pub id: i64,
    /// 申请号.
    pub application_no: String,
    /// `invention`, `utility_model`, `design`.
    pub patent_type: String,
    /// Legal status code.
    pub legal_status: String,
    /// 申请日.
    pub filing_date: Option<NaiveDate>,
    /// 授权公告日.
    pub grant_date: Option<NaiveDate>,
    /// 失效日期.
    pub lapse_date: Option<NaiveDate>,
    /// 主分类号.
    pub main_ipc: Option<String>,
    /// Every IPC code.
    pub ipc_codes: Vec<String>,
    /// 专利名称.
    pub title: String,
    /// First applicant as written.
    pub first_applicant: String,
    /// Its normalised name (the key of applicant places).
    pub first_applicant_norm: Option<String>,
    /// First applicant's address.
    pub applicant_address: String,
    /// Two-digit province code.
    pub province_code: Option<String>,
    /// A foreign family member.
    pub has_foreign_family: bool,
    /// Highest pledge financing, fen.
    pub pledge_amount: Option<i64>,
    /// The organisation owning it on the platform (the first applicant linked to one, at any position).
    pub owner_org_id: Option<i64>,
    /// The organisation the first applicant itself is linked to.
    pub first_applicant_org_id: Option<i64>,
}

/// The derived facts of one patent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatentFact {
    /// The patent.
    pub patent_id: i64,
    /// In the city.
    pub in_city: bool,
    /// Its county, when known.
    pub county_code: Option<String>,
    /// PlaceBasis code.
    pub place_basis: String,
    /// What the rule matched.
    pub place_detail: String,
    /// A granted invention patent in force.
    pub valid_invention: bool,
    /// Meets at least one criterion (and is a valid invention patent).
    pub high_value: bool,
    /// Bit set of the criteria that hold.
    pub hv_criteria: i64,
    /// JSON object: criterion code → reason.
    pub hv_reasons: String,
    /// The patent's filing date, `YYYY-MM-DD` (the high-value list's sort key).
    pub filing_date: Option<String>,
}

/// A patent's membership of a chain and what placed it there.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChainLink {
    /// The patent.
    pub patent_id: i64,
    /// The chain.
    pub chain_code: String,
    /// `ipc` or `keyword`.
    pub by_kind: String,
    /// The prefix or keyword.
    pub matched: String,
}

/// A first applicant with its patents and where they count (the applicant places review list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicantFact {
    /// Normalised name.
    pub name_norm: String,
    /// One spelling of it.
    pub name: String,
    /// Patents it is the first applicant of.
    pub patents: i64,
    /// Of those, counted for the city.
    pub in_city_patents: i64,
    /// Distinct PlaceBasis codes, sorted.
    pub bases: Vec<String>,
    /// Distinct county codes, sorted.
    pub counties: Vec<String>,
}

/// One aggregate row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorCell {
    /// '' (the city), `county:<code>` or `chain:<code>`.
    pub scope: String,
    /// The breakdown.
    pub dimension: String,
    /// The value broken down by (a county code, a year, an org id …).
    pub key: String,
    /// Its label.
    pub label: String,
    /// The city's patents of any type and status.
    pub patents: i64,
    /// Granted and in force, any type.
    pub in_force: i64,
    /// Valid invention patents.
    pub valid_invention: i64,
    /// High-value invention patents.
    pub high_value: i64,
}

/// One stored monthly value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// `YYYY-MM`.
    pub month: String,
    /// Indicator code.
    pub indicator: String,
    /// Scope as in [`IndicatorCell::scope`].
    pub scope: String,
    /// Stored value (see `Indicator::scale`).
    pub value: i64,
    /// `auto`, `manual` or `backfill`.
    pub origin: String,
    /// When it was taken.
    pub taken_at: DateTime<Utc>,
}

/// How snapshot rows meet existing ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotWrite {
    /// Replace whatever the month holds (the current month).
    Overwrite,
    /// Fill months with no value and replace earlier reconstructions, never a taken snapshot.
    Backfill,
}

/// A refresh run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRun {
    /// Row id.
    pub id: i64,
    /// Why it ran (start, schedule, import, award …).
    pub trigger: String,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Finished, if it did.
    pub finished_at: Option<DateTime<Utc>>,
    /// Patents read.
    pub patents: i64,
    /// Duration.
    pub millis: i64,
    /// The error it stopped on.
    pub error: Option<String>,
}

/// The derived tables and what dashboards read.
pub trait IndicatorStore {
    /// Up to `limit` patents with ids above `after`, in id order, with their IPC codes.
    async fn fact_sources(&mut self, after: i64, limit: i64) -> Result<Vec<FactSource>>;
    /// The stored facts of patents with ids in `from..=to`.
    async fn facts_between(&mut self, from: i64, to: i64) -> Result<HashMap<i64, PatentFact>>;
    /// The stored chain links of patents with ids in `from..=to`, ordered.
    async fn links_between(&mut self, from: i64, to: i64) -> Result<Vec<ChainLink>>;
    /// Inserts or replaces facts.
    async fn upsert_facts(&mut self, facts: &[PatentFact]) -> Result<()>;
    /// Replaces the chain links of `patents` with `links`.
    async fn replace_links(&mut self, patents: &[i64], links: &[ChainLink]) -> Result<()>;
    /// The facts of one patent and its chain links.
    async fn patent_fact(&mut self, patent: i64) -> Result<Option<(PatentFact, Vec<ChainLink>)>>;
    /// Replaces every aggregate.
    async fn replace_cells(&mut self, cells: &[IndicatorCell]) -> Result<()>;
    /// Replaces the per-applicant aggregates.
    async fn replace_applicant_facts(&mut self, rows: &[ApplicantFact]) -> Result<()>;
    /// The aggregates of a scope and dimension, most patents first.
    async fn cells(&mut self, scope: &str, dimension: &str) -> Result<Vec<IndicatorCell>>;
    /// Writes snapshot rows.
    async fn write_snapshots(&mut self, rows: &[Snapshot], mode: SnapshotWrite) -> Result<()>;
    /// The monthly values of an indicator in a scope, oldest first.
    async fn snapshots(&mut self, indicator: &str, scope: &str) -> Result<Vec<Snapshot>>;
    /// Every value of a month.
    async fn snapshots_of_month(&mut self, month: &str) -> Result<Vec<Snapshot>>;
    /// The months holding snapshots, newest first, with how many values each holds and their origins.
    async fn snapshot_months(&mut self) -> Result<Vec<(String, i64, String)>>;
    /// Starts a refresh run.
    async fn begin_refresh(&mut self, trigger: &str, now: DateTime<Utc>) -> Result<i64>;
    /// Ends a refresh run.
    async fn finish_refresh(
        &mut self,
        id: i64,
        patents: i64,
        millis: i64,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// The latest finished refresh without an error.
    async fn last_refresh(&mut self) -> Result<Option<RefreshRun>>;
    /// The latest runs, newest first.
    async fn refreshes(&mut self, limit: i64) -> Result<Vec<RefreshRun>>;
    /// Organisations by id: (name, kind, county code).
    async fn org_places(&mut self) -> Result<HashMap<i64, (String, String, Option<String>)>>;
    /// The IPC → SEI concordance pairs and the subcategories' names.
    async fn sei_reference(&mut self) -> Result<(Vec<(String, String)>, HashMap<String, String>)>;
}

fn opt_date(row: &SqliteRow, col: &str) -> Result<Option<NaiveDate>> {
    let text: Option<String> = row.try_get(col)?;
    text.filter(|t| !t.is_empty())
        .map(|t| {
            NaiveDate::parse_from_str(&t, "%Y-%m-%d").map_err(|e| StoreError::Corrupt(format!("patents.{col}: {e}")))
        })
        .transpose()
}

fn fact_from_row(row: &SqliteRow) -> Result<PatentFact> {
    Ok(PatentFact {
        patent_id: row.try_get("patent_id")?,
        in_city: row.try_get("in_city")?,
        county_code: row.try_get("county_code")?,
        place_basis: row.try_get("place_basis")?,
        place_detail: row.try_get("place_detail")?,
        valid_invention: row.try_get("valid_invention")?,
        high_value: row.try_get("high_value")?,
        hv_criteria: row.try_get("hv_criteria")?,
        hv_reasons: row.try_get("hv_reasons")?,
        filing_date: row.try_get("filing_date")?,
    })
}

fn link_from_row(row: &SqliteRow) -> Result<ChainLink> {
    Ok(ChainLink {
        patent_id: row.try_get("patent_id")?,
        chain_code: row.try_get("chain_code")?,
        by_kind: row.try_get("by_kind")?,
        matched: row.try_get("matched")?,
    })
}

fn cell_from_row(row: &SqliteRow) -> Result<IndicatorCell> {
    Ok(IndicatorCell {
        scope: row.try_get("scope")?,
        dimension: row.try_get("dimension")?,
        key: row.try_get("key")?,
        label: row.try_get("label")?,
        patents: row.try_get("patents")?,
        in_force: row.try_get("in_force")?,
        valid_invention: row.try_get("valid_invention")?,
        high_value: row.try_get("high_value")?,
    })
}

fn snapshot_from_row(row: &SqliteRow) -> Result<Snapshot> {
    Ok(Snapshot {
        month: row.try_get("month")?,
        indicator: row.try_get("indicator")?,
        scope: row.try_get("scope")?,
        value: row.try_get("value")?,
        origin: row.try_get("origin")?,
        taken_at: time::from_text(&row.try_get::<String, _>("taken_at")?)?,
    })
}

fn run_from_row(row: &SqliteRow) -> Result<RefreshRun> {
    let finished: Option<String> = row.try_get("finished_at")?;
    Ok(RefreshRun {
        id: row.try_get("id")?,
        trigger: row.try_get("trigger")?,
        started_at: time::from_text(&row.try_get::<String, _>("started_at")?)?,
        finished_at: finished.map(|t| time::from_text(&t)).transpose()?,
        patents: row.try_get("patents")?,
        millis: row.try_get("millis")?,
        error: row.try_get("error")?,
    })
}

const FACT_COLUMNS: &str = "patent_id, in_city, county_code, place_basis, place_detail, valid_invention, high_value, \
     hv_criteria, hv_reasons, filing_date";

impl IndicatorStore for Tx {
    async fn fact_sources(&mut self, after: i64, limit: i64) -> Result<Vec<FactSource>> {
        let rows = sqlx::query(
            "SELECT p.id, p.application_no, p.patent_type, p.legal_status, p.filing_date, p.grant_date, p.lapse_date, \
             p.main_ipc, p.title, p.first_applicant, a.name_norm, p.applicant_address, p.province_code, \
             p.has_foreign_family, p.pledge_amount, p.owner_org_id, a.org_id AS first_org_id \
             FROM patents p LEFT JOIN patent_applicants a ON a.patent_id = p.id AND a.position = 0 \
             WHERE p.id > ?1 ORDER BY p.id LIMIT ?2",
        )
        .bind(after)
        .bind(limit.max(1))
        .fetch_all(self.conn())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(FactSource {
                id: row.try_get("id")?,
                application_no: row.try_get("application_no")?,
                patent_type: row.try_get("patent_type")?,
                legal_status: row.try_get("legal_status")?,
                filing_date: opt_date(row, "filing_date")?,
                grant_date: opt_date(row, "grant_date")?,
                lapse_date: opt_date(row, "lapse_date")?,
                main_ipc: row.try_get("main_ipc")?,
                ipc_codes: Vec::new(),
                title: row.try_get("title")?,
                first_applicant: row.try_get("first_applicant")?,
                first_applicant_norm: row.try_get("name_norm")?,
                applicant_address: row.try_get("applicant_address")?,
                province_code: row.try_get("province_code")?,
                has_foreign_family: row.try_get("has_foreign_family")?,
                pledge_amount: row.try_get("pledge_amount")?,
                owner_org_id: row.try_get("owner_org_id")?,
                first_applicant_org_id: row.try_get("first_org_id")?,
            });
        }
        if let (Some(first), Some(last)) = (out.first().map(|s| s.id), out.last().map(|s| s.id)) {
            let rows = sqlx::query(
                "SELECT patent_id, code FROM patent_ipc WHERE patent_id BETWEEN ?1 AND ?2 ORDER BY patent_id, code",
            )
            .bind(first)
            .bind(last)
            .fetch_all(self.conn())
            .await?;
            let index: HashMap<i64, usize> = out.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
            for row in &rows {
                let id: i64 = row.try_get("patent_id")?;
                if let Some(&i) = index.get(&id) {
                    out[i].ipc_codes.push(row.try_get("code")?);
                }
            }
        }
        Ok(out)
    }

    async fn facts_between(&mut self, from: i64, to: i64) -> Result<HashMap<i64, PatentFact>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {FACT_COLUMNS} FROM patent_facts WHERE patent_id BETWEEN ?1 AND ?2"
        )))
        .bind(from)
        .bind(to)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(|r| fact_from_row(r).map(|f| (f.patent_id, f))).collect()
    }

    async fn links_between(&mut self, from: i64, to: i64) -> Result<Vec<ChainLink>> {
        let rows = sqlx::query(
            "SELECT patent_id, chain_code, by_kind, matched FROM patent_chain_links \
             WHERE patent_id BETWEEN ?1 AND ?2 ORDER BY patent_id, chain_code",
        )
        .bind(from)
        .bind(to)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(link_from_row).collect()
    }

    async fn upsert_facts(&mut self, facts: &[PatentFact]) -> Result<()> {
        // 10 parameters a row.
        for chunk in facts.chunks(3000) {
            let mut qb = QueryBuilder::<Sqlite>::new(format!("INSERT OR REPLACE INTO patent_facts ({FACT_COLUMNS}) "));
            qb.push_values(chunk, |mut b, f| {
                b.push_bind(f.patent_id)
                    .push_bind(f.in_city)
                    .push_bind(f.county_code.clone())
                    .push_bind(f.place_basis.clone())
                    .push_bind(f.place_detail.clone())
                    .push_bind(f.valid_invention)
                    .push_bind(f.high_value)
                    .push_bind(f.hv_criteria)
                    .push_bind(f.hv_reasons.clone())
                    .push_bind(f.filing_date.clone());
            });
            qb.build().execute(self.conn()).await?;
        }
        Ok(())
    }

    async fn replace_links(&mut self, patents: &[i64], links: &[ChainLink]) -> Result<()> {
        for chunk in patents.chunks(5000) {
            let mut qb = QueryBuilder::<Sqlite>::new("DELETE FROM patent_chain_links WHERE patent_id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(")");
            qb.build().execute(self.conn()).await?;
        }
        for chunk in links.chunks(5000) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO patent_chain_links (patent_id, chain_code, by_kind, matched) ",
            );
            qb.push_values(chunk, |mut b, l| {
                b.push_bind(l.patent_id)
                    .push_bind(l.chain_code.clone())
                    .push_bind(l.by_kind.clone())
                    .push_bind(l.matched.clone());
            });
            qb.build().execute(self.conn()).await?;
        }
        Ok(())
    }

    async fn patent_fact(&mut self, patent: i64) -> Result<Option<(PatentFact, Vec<ChainLink>)>> {
        let row =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {FACT_COLUMNS} FROM patent_facts WHERE patent_id = ?1")))
                .bind(patent)
                .fetch_optional(self.conn())
                .await?;
        let Some(row) = row else { return Ok(None) };
        let links = self.links_between(patent, patent).await?;
        Ok(Some((fact_from_row(&row)?, links)))
    }

    async fn replace_cells(&mut self, cells: &[IndicatorCell]) -> Result<()> {
        sqlx::query("DELETE FROM indicator_cells").execute(self.conn()).await?;
        for chunk in cells.chunks(3000) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO indicator_cells (scope, dimension, key, label, patents, in_force, valid_invention, \
                 high_value) ",
            );
            qb.push_values(chunk, |mut b, c| {
                b.push_bind(c.scope.clone())
                    .push_bind(c.dimension.clone())
                    .push_bind(c.key.clone())
                    .push_bind(c.label.clone())
                    .push_bind(c.patents)
                    .push_bind(c.in_force)
                    .push_bind(c.valid_invention)
                    .push_bind(c.high_value);
            });
            qb.build().execute(self.conn()).await?;
        }
        Ok(())
    }

    async fn replace_applicant_facts(&mut self, rows: &[ApplicantFact]) -> Result<()> {
        sqlx::query("DELETE FROM applicant_facts").execute(self.conn()).await?;
        for chunk in rows.chunks(5000) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO applicant_facts (name_norm, name, patents, in_city_patents, bases, counties) ",
            );
            qb.push_values(chunk, |mut b, a| {
                b.push_bind(a.name_norm.clone())
                    .push_bind(a.name.clone())
                    .push_bind(a.patents)
                    .push_bind(a.in_city_patents)
                    .push_bind(a.bases.join(","))
                    .push_bind(a.counties.join(","));
            });
            qb.build().execute(self.conn()).await?;
        }
        Ok(())
    }

    async fn cells(&mut self, scope: &str, dimension: &str) -> Result<Vec<IndicatorCell>> {
        let rows = sqlx::query(
            "SELECT scope, dimension, key, label, patents, in_force, valid_invention, high_value FROM indicator_cells \
             WHERE scope = ?1 AND dimension = ?2 ORDER BY patents DESC, key",
        )
        .bind(scope)
        .bind(dimension)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(cell_from_row).collect()
    }

    async fn write_snapshots(&mut self, rows: &[Snapshot], mode: SnapshotWrite) -> Result<()> {
        let conflict = match mode {
            SnapshotWrite::Overwrite => {
                " ON CONFLICT (month, indicator, scope) DO UPDATE SET value = excluded.value, origin = excluded.origin, \
                 taken_at = excluded.taken_at"
            }
            SnapshotWrite::Backfill => {
                " ON CONFLICT (month, indicator, scope) DO UPDATE SET value = excluded.value, \
                 taken_at = excluded.taken_at WHERE indicator_snapshots.origin = 'backfill'"
            }
        };
        for chunk in rows.chunks(3000) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO indicator_snapshots (month, indicator, scope, value, origin, taken_at) ",
            );
            qb.push_values(chunk, |mut b, s| {
                b.push_bind(s.month.clone())
                    .push_bind(s.indicator.clone())
                    .push_bind(s.scope.clone())
                    .push_bind(s.value)
                    .push_bind(s.origin.clone())
                    .push_bind(time::to_text(s.taken_at));
            });
            qb.push(conflict);
            qb.build().execute(self.conn()).await?;
        }
        Ok(())
    }

    async fn snapshots(&mut self, indicator: &str, scope: &str) -> Result<Vec<Snapshot>> {
        let rows = sqlx::query(
            "SELECT month, indicator, scope, value, origin, taken_at FROM indicator_snapshots \
             WHERE indicator = ?1 AND scope = ?2 ORDER BY month",
        )
        .bind(indicator)
        .bind(scope)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(snapshot_from_row).collect()
    }

    async fn snapshots_of_month(&mut self, month: &str) -> Result<Vec<Snapshot>> {
        let rows = sqlx::query(
            "SELECT month, indicator, scope, value, origin, taken_at FROM indicator_snapshots WHERE month = ?1 \
             ORDER BY scope, indicator",
        )
        .bind(month)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(snapshot_from_row).collect()
    }

    async fn snapshot_months(&mut self) -> Result<Vec<(String, i64, String)>> {
        let rows = sqlx::query(
            "SELECT month, count(*) AS n, group_concat(DISTINCT origin) AS origins FROM indicator_snapshots \
             GROUP BY month ORDER BY month DESC",
        )
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("month")?,
                    r.try_get("n")?,
                    r.try_get::<Option<String>, _>("origins")?.unwrap_or_default(),
                ))
            })
            .collect()
    }

    async fn begin_refresh(&mut self, trigger: &str, now: DateTime<Utc>) -> Result<i64> {
        let id: i64 =
            sqlx::query_scalar("INSERT INTO indicator_refreshes (trigger, started_at) VALUES (?1, ?2) RETURNING id")
                .bind(trigger)
                .bind(time::to_text(now))
                .fetch_one(self.conn())
                .await?;
        Ok(id)
    }

    async fn finish_refresh(
        &mut self,
        id: i64,
        patents: i64,
        millis: i64,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE indicator_refreshes SET finished_at = ?2, patents = ?3, millis = ?4, error = ?5 WHERE id = ?1",
        )
        .bind(id)
        .bind(time::to_text(now))
        .bind(patents)
        .bind(millis)
        .bind(error)
        .execute(self.conn())
        .await?;
        // Keep the last thousand runs: one an hour is six weeks.
        sqlx::query("DELETE FROM indicator_refreshes WHERE id <= ?1 - 1000").bind(id).execute(self.conn()).await?;
        Ok(())
    }

    async fn last_refresh(&mut self) -> Result<Option<RefreshRun>> {
        let row = sqlx::query(
            "SELECT id, trigger, started_at, finished_at, patents, millis, error FROM indicator_refreshes \
             WHERE finished_at IS NOT NULL AND error IS NULL ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(run_from_row).transpose()
    }

    async fn refreshes(&mut self, limit: i64) -> Result<Vec<RefreshRun>> {
        let rows = sqlx::query(
            "SELECT id, trigger, started_at, finished_at, patents, millis, error FROM indicator_refreshes \
             ORDER BY id DESC LIMIT ?1",
        )
        .bind(limit.max(1))
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(run_from_row).collect()
    }

    async fn org_places(&mut self) -> Result<HashMap<i64, (String, String, Option<String>)>> {
        let rows = sqlx::query("SELECT id, name, kind, county_code FROM orgs").fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, (r.try_get("name")?, r.try_get("kind")?, r.try_get("county_code")?))))
            .collect()
    }

    async fn sei_reference(&mut self) -> Result<(Vec<(String, String)>, HashMap<String, String>)> {
        let rows = sqlx::query("SELECT ipc_code, sei_code FROM ipc_sei").fetch_all(self.conn()).await?;
        let pairs = rows.iter().map(|r| Ok((r.try_get("ipc_code")?, r.try_get("sei_code")?))).collect::<Result<_>>()?;
        let rows = sqlx::query("SELECT code, name FROM sei_categories").fetch_all(self.conn()).await?;
        let names = rows.iter().map(|r| Ok((r.try_get("code")?, r.try_get("name")?))).collect::<Result<_>>()?;
        Ok((pairs, names))
    }
}
