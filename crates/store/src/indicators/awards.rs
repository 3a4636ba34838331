//! 国家科学技术奖 / 中国专利奖 recorded by the bureau for patents (high-value criterion 5).

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::{Result, Tx, time};

/// An award as the refresh reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwardRow {
    /// 申请号 of the patent.
    pub application_no: String,
    /// `national_sci_tech` or `china_patent`.
    pub award: String,
    /// 等级.
    pub grade: String,
    /// Year.
    pub year: i64,
}

/// An award as the bureau's list shows it, with the patent when it is in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAward {
    /// Row id.
    pub id: i64,
    /// 申请号 (canonical form).
    pub application_no: String,
    /// `national_sci_tech` or `china_patent`.
    pub award: String,
    /// 等级 as announced.
    pub grade: String,
    /// Year of the award.
    pub year: i64,
    /// 备注.
    pub note: String,
    /// Who recorded it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// The patent's row id and title, when a patent with this application number is in the database.
    pub patent: Option<(i64, String)>,
}

/// Which awards a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwardFilter {
    /// Only this award code.
    pub award: Option<String>,
    /// Only this year.
    pub year: Option<i64>,
}

/// An award to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAward<'a> {
    /// 申请号 (canonical form).
    pub application_no: &'a str,
    /// Award code.
    pub award: &'a str,
    /// 等级.
    pub grade: &'a str,
    /// Year.
    pub year: i64,
    /// 备注.
    pub note: &'a str,
    /// Who records it.
    pub created_by: &'a str,
}

/// Awards area.
pub trait AwardStore {
    /// Every recorded award (a city records a few dozen).
    async fn award_rows(&mut self) -> Result<Vec<AwardRow>>;
    /// The awards a filter selects, newest year first, each with its patent when it is in the database.
    async fn awards(&mut self, filter: &AwardFilter) -> Result<Vec<StoredAward>>;
    /// One award.
    async fn award(&mut self, id: i64) -> Result<Option<StoredAward>>;
    /// Records an award; `None` when the same patent already holds that award for that year
    /// (`patent_awards_key`), so the caller names the duplicate instead of failing.
    async fn insert_award(&mut self, award: &NewAward<'_>, now: DateTime<Utc>) -> Result<Option<i64>>;
    /// Deletes an award; whether it existed.
    async fn delete_award(&mut self, id: i64) -> Result<bool>;
    /// The years that hold awards, newest first (the list's year filter).
    async fn award_years(&mut self) -> Result<Vec<i64>>;
}

const AWARD_SELECT: &str = "SELECT a.id, a.application_no, a.award, a.grade, a.year, a.note, a.created_by, a.created_at, \
     p.id AS patent_id, p.title AS patent_title \
     FROM patent_awards a LEFT JOIN patents p ON p.application_no = a.application_no";

fn award_from_row(r: &SqliteRow) -> Result<StoredAward> {
    let patent_id: Option<i64> = r.try_get("patent_id")?;
    let patent_title: Option<String> = r.try_get("patent_title")?;
    Ok(StoredAward {
        id: r.try_get("id")?,
        application_no: r.try_get("application_no")?,
        award: r.try_get("award")?,
        grade: r.try_get("grade")?,
        year: r.try_get("year")?,
        note: r.try_get("note")?,
        created_by: r.try_get("created_by")?,
        created_at: time::from_text(&r.try_get::<String, _>("created_at")?)?,
        patent: patent_id.map(|id| (id, patent_title.unwrap_or_default())),
    })
}

impl AwardStore for Tx {
    async fn award_rows(&mut self) -> Result<Vec<AwardRow>> {
        let rows = sqlx::query("SELECT application_no, award, grade, year FROM patent_awards ORDER BY id")
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AwardRow {
                    application_no: r.try_get("application_no")?,
                    award: r.try_get("award")?,
                    grade: r.try_get("grade")?,
                    year: r.try_get("year")?,
                })
            })
            .collect()
    }

    async fn awards(&mut self, filter: &AwardFilter) -> Result<Vec<StoredAward>> {
        let mut qb = QueryBuilder::<Sqlite>::new(AWARD_SELECT);
        qb.push(" WHERE 1 = 1");
        if let Some(award) = &filter.award {
            qb.push(" AND a.award = ").push_bind(award.clone());
        }
        if let Some(year) = filter.year {
            qb.push(" AND a.year = ").push_bind(year);
        }
        qb.push(" ORDER BY a.year DESC, a.award, a.application_no");
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(award_from_row).collect()
    }

    async fn award(&mut self, id: i64) -> Result<Option<StoredAward>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{AWARD_SELECT} WHERE a.id = ?1")))
            .bind(id)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(award_from_row).transpose()
    }

    async fn insert_award(&mut self, a: &NewAward<'_>, now: DateTime<Utc>) -> Result<Option<i64>> {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO patent_awards (application_no, award, grade, year, note, created_by, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (application_no, award, year) DO NOTHING RETURNING id",
        )
        .bind(a.application_no)
        .bind(a.award)
        .bind(a.grade)
        .bind(a.year)
        .bind(a.note)
        .bind(a.created_by)
        .bind(time::to_text(now))
        .fetch_optional(self.conn())
        .await?;
        Ok(id)
    }

    async fn delete_award(&mut self, id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM patent_awards WHERE id = ?1").bind(id).execute(self.conn()).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn award_years(&mut self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar("SELECT DISTINCT year FROM patent_awards ORDER BY year DESC")
            .fetch_all(self.conn())
            .await?)
    }
}
