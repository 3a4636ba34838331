//! The bureau's overrides of where an applicant's patents count, and the first applicants with the place
//! the refresh derived for their patents (the list the bureau reviews).

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::orgs::escape_like;
use crate::{Result, Tx, time};

/// An override as the refresh reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceOverrideRow {
    /// Normalised applicant name (the key).
    pub name_norm: String,
    /// In the city.
    pub in_city: bool,
    /// The county, when in the city and known.
    pub county_code: Option<String>,
}

/// An override with who set it and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPlace {
    /// Normalised applicant name (the key).
    pub name_norm: String,
    /// The name as written.
    pub name: String,
    /// In the city.
    pub in_city: bool,
    /// The county, when in the city and known.
    pub county_code: Option<String>,
    /// Why (required when set).
    pub note: String,
    /// Who set it.
    pub set_by: String,
    /// When.
    pub set_at: DateTime<Utc>,
}

/// Which first applicants the review list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ApplicantScope {
    /// Every first applicant.
    #[default]
    All,
    /// Those with at least one patent not counted for the city (只看未归属本市).
    NotInCity,
    /// Those the bureau placed by hand (只看人工指定), with or without patents.
    Overridden,
}

/// The review list's filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicantPlaceFilter {
    /// Part of the normalised name.
    pub text: Option<String>,
    /// Which applicants.
    pub scope: ApplicantScope,
    /// Page size.
    pub limit: u32,
    /// Rows skipped.
    pub offset: u32,
}

/// A first applicant with the derived place of its patents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicantPlace {
    /// Normalised name (the key of overrides).
    pub name_norm: String,
    /// The name as written (one spelling of it).
    pub name: String,
    /// Patents it is the first applicant of.
    pub patents: i64,
    /// Of those, the ones counted for the city.
    pub in_city_patents: i64,
    /// Of those, the ones the refresh has not placed yet.
    pub pending: i64,
    /// The distinct bases that placed its patents (`PlaceBasis` codes).
    pub bases: Vec<String>,
    /// The distinct counties its patents count for.
    pub counties: Vec<String>,
    /// The bureau's override, when set.
    pub override_place: Option<StoredPlace>,
}

/// Patents per place basis, from the derived facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasisCount {
    /// `PlaceBasis` code.
    pub basis: String,
    /// Patents placed by it.
    pub patents: i64,
    /// Of those, counted for the city.
    pub in_city: i64,
}

/// Applicant places area.
pub trait PlaceStore {
    /// Every override.
    async fn place_overrides(&mut self) -> Result<Vec<PlaceOverrideRow>>;
    /// One override.
    async fn place(&mut self, name_norm: &str) -> Result<Option<StoredPlace>>;
    /// Sets (or replaces) an override.
    async fn upsert_place(&mut self, place: &StoredPlace) -> Result<()>;
    /// Removes an override; whether there was one.
    async fn delete_place(&mut self, name_norm: &str) -> Result<bool>;
    /// A spelling of a first applicant's name, when some patent has it as first applicant.
    async fn first_applicant_name(&mut self, name_norm: &str) -> Result<Option<String>>;
    /// The page of first applicants a filter selects, most patents first (overrides: latest first).
    async fn applicant_places(&mut self, filter: &ApplicantPlaceFilter) -> Result<Vec<ApplicantPlace>>;
    /// How many first applicants the filter selects.
    async fn count_applicant_places(&mut self, filter: &ApplicantPlaceFilter) -> Result<u64>;
    /// Patents per place basis, and the patents the refresh has not placed yet.
    async fn place_basis_counts(&mut self) -> Result<(Vec<BasisCount>, i64)>;
}

const PLACE_COLUMNS: &str = "name_norm, name, in_city, county_code, note, set_by, set_at";

fn place_from_row(r: &SqliteRow) -> Result<StoredPlace> {
    Ok(StoredPlace {
        name_norm: r.try_get("name_norm")?,
        name: r.try_get("name")?,
        in_city: r.try_get("in_city")?,
        county_code: r.try_get("county_code")?,
        note: r.try_get("note")?,
        set_by: r.try_get("set_by")?,
        set_at: time::from_text(&r.try_get::<String, _>("set_at")?)?,
    })
}

fn split_list(text: Option<String>) -> Vec<String> {
    let mut list: Vec<String> =
        text.unwrap_or_default().split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    list.sort();
    list
}

fn applicant_from_row(r: &SqliteRow) -> Result<ApplicantPlace> {
    let set_at: Option<String> = r.try_get("o_set_at")?;
    let override_place = match set_at {
        Some(at) => Some(StoredPlace {
            name_norm: r.try_get("name_norm")?,
            name: r.try_get("o_name")?,
            in_city: r.try_get("o_in_city")?,
            county_code: r.try_get("o_county_code")?,
            note: r.try_get("o_note")?,
            set_by: r.try_get("o_set_by")?,
            set_at: time::from_text(&at)?,
        }),
        None => None,
    };
    Ok(ApplicantPlace {
        name_norm: r.try_get("name_norm")?,
        name: r.try_get("name")?,
        patents: r.try_get("patents")?,
        in_city_patents: r.try_get("in_city_patents")?,
        pending: r.try_get("pending")?,
        bases: split_list(r.try_get("bases")?),
        counties: split_list(r.try_get("counties")?),
        override_place,
    })
}

/// The first applicants grouped by normalised name with the derived place of their patents, as a subquery
/// `g`. Only the overridden names when `overridden_only` (their list starts from the overrides).
fn push_grouped(qb: &mut QueryBuilder<Sqlite>, filter: &ApplicantPlaceFilter, overridden_only: bool) {
    // Precomputed by the indicator refresh (`applicant_facts`), so the list reads a page of an index instead
    // of grouping every applicant row of a million patents on each view.
    qb.push(
        "(SELECT name_norm, name, patents, in_city_patents, 0 AS pending, bases, counties FROM applicant_facts \
         WHERE 1 = 1",
    );
    if overridden_only {
        qb.push(" AND name_norm IN (SELECT name_norm FROM applicant_places)");
    }
    push_text(qb, filter, "name_norm");
    if filter.scope == ApplicantScope::NotInCity {
        qb.push(" AND in_city_patents < patents");
    }
    qb.push(") g");
}

fn push_text(qb: &mut QueryBuilder<Sqlite>, filter: &ApplicantPlaceFilter, column: &str) {
    if let Some(text) = filter.text.as_deref().filter(|t| !t.is_empty()) {
        qb.push(format!(" AND {column} LIKE ")).push_bind(format!("%{}%", escape_like(text))).push(" ESCAPE '\\'");
    }
}

const OVERRIDE_COLUMNS: &str = "o.name AS o_name, o.in_city AS o_in_city, o.county_code AS o_county_code, \
     o.note AS o_note, o.set_by AS o_set_by, o.set_at AS o_set_at";

impl PlaceStore for Tx {
    async fn place_overrides(&mut self) -> Result<Vec<PlaceOverrideRow>> {
        let rows =
            sqlx::query("SELECT name_norm, in_city, county_code FROM applicant_places").fetch_all(self.conn()).await?;
        rows.iter()
            .map(|r| {
                Ok(PlaceOverrideRow {
                    name_norm: r.try_get("name_norm")?,
                    in_city: r.try_get("in_city")?,
                    county_code: r.try_get("county_code")?,
                })
            })
            .collect()
    }

    async fn place(&mut self, name_norm: &str) -> Result<Option<StoredPlace>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PLACE_COLUMNS} FROM applicant_places WHERE name_norm = ?1"
        )))
        .bind(name_norm)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(place_from_row).transpose()
    }

    async fn upsert_place(&mut self, p: &StoredPlace) -> Result<()> {
        sqlx::query(
            "INSERT INTO applicant_places (name_norm, name, in_city, county_code, note, set_by, set_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (name_norm) DO UPDATE SET name = excluded.name, in_city = excluded.in_city, \
             county_code = excluded.county_code, note = excluded.note, set_by = excluded.set_by, \
             set_at = excluded.set_at",
        )
        .bind(&p.name_norm)
        .bind(&p.name)
        .bind(p.in_city)
        .bind(p.county_code.as_deref())
        .bind(&p.note)
        .bind(&p.set_by)
        .bind(time::to_text(p.set_at))
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn delete_place(&mut self, name_norm: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM applicant_places WHERE name_norm = ?1")
            .bind(name_norm)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn first_applicant_name(&mut self, name_norm: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT name FROM patent_applicants WHERE name_norm = ?1 AND position = 0 LIMIT 1")
            .bind(name_norm)
            .fetch_optional(self.conn())
            .await?)
    }

    async fn applicant_places(&mut self, filter: &ApplicantPlaceFilter) -> Result<Vec<ApplicantPlace>> {
        let mut qb = QueryBuilder::<Sqlite>::new("");
        if filter.scope == ApplicantScope::Overridden {
            qb.push(format!(
                "SELECT o.name_norm, coalesce(g.name, o.name) AS name, coalesce(g.patents, 0) AS patents, \
                 coalesce(g.in_city_patents, 0) AS in_city_patents, coalesce(g.pending, 0) AS pending, g.bases, \
                 g.counties, {OVERRIDE_COLUMNS} FROM applicant_places o LEFT JOIN "
            ));
            push_grouped(&mut qb, filter, true);
            qb.push(" ON g.name_norm = o.name_norm WHERE 1 = 1");
            push_text(&mut qb, filter, "o.name_norm");
            qb.push(" ORDER BY o.set_at DESC, o.name_norm");
        } else {
            qb.push(format!(
                "SELECT g.name_norm, g.name, g.patents, g.in_city_patents, g.pending, g.bases, g.counties, \
                 {OVERRIDE_COLUMNS} FROM "
            ));
            push_grouped(&mut qb, filter, false);
            qb.push(" LEFT JOIN applicant_places o ON o.name_norm = g.name_norm ORDER BY g.patents DESC, g.name_norm");
        }
        qb.push(" LIMIT ")
            .push_bind(i64::from(filter.limit.max(1)))
            .push(" OFFSET ")
            .push_bind(i64::from(filter.offset));
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(applicant_from_row).collect()
    }

    async fn count_applicant_places(&mut self, filter: &ApplicantPlaceFilter) -> Result<u64> {
        let mut qb = QueryBuilder::<Sqlite>::new("");
        if filter.scope == ApplicantScope::Overridden {
            qb.push("SELECT count(*) FROM applicant_places o WHERE 1 = 1");
            push_text(&mut qb, filter, "o.name_norm");
        } else if filter.scope == ApplicantScope::All {
            qb.push("SELECT count(*) FROM applicant_facts WHERE 1 = 1");
            push_text(&mut qb, filter, "name_norm");
        } else {
            qb.push("SELECT count(*) FROM ");
            push_grouped(&mut qb, filter, false);
        }
        let n: i64 = qb.build_query_scalar().fetch_one(self.conn()).await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn place_basis_counts(&mut self) -> Result<(Vec<BasisCount>, i64)> {
        let rows = sqlx::query(
            "SELECT place_basis, count(*) AS patents, coalesce(sum(in_city), 0) AS in_city FROM patent_facts \
             GROUP BY place_basis ORDER BY patents DESC",
        )
        .fetch_all(self.conn())
        .await?;
        let counts = rows
            .iter()
            .map(|r| {
                Ok(BasisCount {
                    basis: r.try_get("place_basis")?,
                    patents: r.try_get("patents")?,
                    in_city: r.try_get("in_city")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let patents: i64 = sqlx::query_scalar("SELECT count(*) FROM patents").fetch_one(self.conn()).await?;
        let placed: i64 = counts.iter().map(|c| c.patents).sum();
        Ok((counts, (patents - placed).max(0)))
    }
}
