//! Periodic statistics that are not patent-level data: trademarks and geographical-indication users per
//! county and month, patent-intensive industry value added and GDP per year.

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::{Result, Tx, time};

/// A county's trademark figures at the end of a month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrademarkRow {
    /// County code.
    pub county_code: String,
    /// `YYYY-MM`.
    pub month: String,
    /// 有效商标持有量.
    pub valid_trademarks: i64,
    /// 地理标志用标市场主体.
    pub gi_users: i64,
}

/// A year's patent-intensive industry figures (万元).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntensiveRow {
    /// Year.
    pub year: i64,
    /// 专利密集型产业增加值.
    pub value_added_wan: i64,
    /// 地区生产总值.
    pub gdp_wan: i64,
}

/// A county's trademark figures of a month with where they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTrademark {
    /// County code.
    pub county_code: String,
    /// `YYYY-MM`.
    pub month: String,
    /// 有效商标持有量.
    pub valid_trademarks: i64,
    /// 地理标志用标市场主体.
    pub gi_users: i64,
    /// `form` or `import`.
    pub source: String,
    /// Who entered them.
    pub entered_by: String,
    /// When.
    pub entered_at: DateTime<Utc>,
}

/// A year's patent-intensive industry figures with their note and who entered them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredIntensive {
    /// Year.
    pub year: i64,
    /// 专利密集型产业增加值（万元）.
    pub value_added_wan: i64,
    /// 地区生产总值（万元）.
    pub gdp_wan: i64,
    /// Source or remark.
    pub note: String,
    /// Who entered them.
    pub entered_by: String,
    /// When.
    pub entered_at: DateTime<Utc>,
}

/// Statistics area.
pub trait StatsStore {
    /// Every trademark row, by month then county.
    async fn trademark_rows(&mut self) -> Result<Vec<TrademarkRow>>;
    /// Every intensive-industry row, by year.
    async fn intensive_rows(&mut self) -> Result<Vec<IntensiveRow>>;
    /// Every trademark figure with its source, latest month first, then by county code.
    async fn trademark_stats(&mut self) -> Result<Vec<StoredTrademark>>;
    /// The figures of one month (`YYYY-MM`), by county code.
    async fn trademark_month(&mut self, month: &str) -> Result<Vec<StoredTrademark>>;
    /// Writes figures, replacing those of the same county and month.
    async fn upsert_trademarks(&mut self, rows: &[StoredTrademark]) -> Result<()>;
    /// Every intensive-industry year with its note, latest first.
    async fn intensive_stats(&mut self) -> Result<Vec<StoredIntensive>>;
    /// One year's intensive-industry figures.
    async fn intensive_year(&mut self, year: i64) -> Result<Option<StoredIntensive>>;
    /// Writes a year's figures, replacing what the year held.
    async fn upsert_intensive(&mut self, row: &StoredIntensive) -> Result<()>;
}

const TRADEMARK_COLUMNS: &str = "county_code, month, valid_trademarks, gi_users, source, entered_by, entered_at";
const INTENSIVE_COLUMNS: &str = "year, value_added_wan, gdp_wan, note, entered_by, entered_at";

fn trademark_from_row(r: &SqliteRow) -> Result<StoredTrademark> {
    Ok(StoredTrademark {
        county_code: r.try_get("county_code")?,
        month: r.try_get("month")?,
        valid_trademarks: r.try_get("valid_trademarks")?,
        gi_users: r.try_get("gi_users")?,
        source: r.try_get("source")?,
        entered_by: r.try_get("entered_by")?,
        entered_at: time::from_text(&r.try_get::<String, _>("entered_at")?)?,
    })
}

fn intensive_from_row(r: &SqliteRow) -> Result<StoredIntensive> {
    Ok(StoredIntensive {
        year: r.try_get("year")?,
        value_added_wan: r.try_get("value_added_wan")?,
        gdp_wan: r.try_get("gdp_wan")?,
        note: r.try_get("note")?,
        entered_by: r.try_get("entered_by")?,
        entered_at: time::from_text(&r.try_get::<String, _>("entered_at")?)?,
    })
}

impl StatsStore for Tx {
    async fn trademark_rows(&mut self) -> Result<Vec<TrademarkRow>> {
        let rows = sqlx::query(
            "SELECT county_code, month, valid_trademarks, gi_users FROM trademark_stats ORDER BY month, county_code",
        )
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TrademarkRow {
                    county_code: r.try_get("county_code")?,
                    month: r.try_get("month")?,
                    valid_trademarks: r.try_get("valid_trademarks")?,
                    gi_users: r.try_get("gi_users")?,
                })
            })
            .collect()
    }

    async fn intensive_rows(&mut self) -> Result<Vec<IntensiveRow>> {
        let rows = sqlx::query("SELECT year, value_added_wan, gdp_wan FROM intensive_industry_stats ORDER BY year")
            .fetch_all(self.conn())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(IntensiveRow {
                    year: r.try_get("year")?,
                    value_added_wan: r.try_get("value_added_wan")?,
                    gdp_wan: r.try_get("gdp_wan")?,
                })
            })
            .collect()
    }

    async fn trademark_stats(&mut self) -> Result<Vec<StoredTrademark>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TRADEMARK_COLUMNS} FROM trademark_stats ORDER BY month DESC, county_code"
        )))
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(trademark_from_row).collect()
    }

    async fn trademark_month(&mut self, month: &str) -> Result<Vec<StoredTrademark>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TRADEMARK_COLUMNS} FROM trademark_stats WHERE month = ?1 ORDER BY county_code"
        )))
        .bind(month)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(trademark_from_row).collect()
    }

    async fn upsert_trademarks(&mut self, rows: &[StoredTrademark]) -> Result<()> {
        // 7 parameters a row.
        for chunk in rows.chunks(2000) {
            let mut qb = QueryBuilder::<Sqlite>::new(format!("INSERT INTO trademark_stats ({TRADEMARK_COLUMNS}) "));
            qb.push_values(chunk, |mut b, t| {
                b.push_bind(t.county_code.clone())
                    .push_bind(t.month.clone())
                    .push_bind(t.valid_trademarks)
                    .push_bind(t.gi_users)
                    .push_bind(t.source.clone())
                    .push_bind(t.entered_by.clone())
                    .push_bind(time::to_text(t.entered_at));
            });
            qb.push(
                " ON CONFLICT (county_code, month) DO UPDATE SET valid_trademarks = excluded.valid_trademarks, \
                 gi_users = excluded.gi_users, source = excluded.source, entered_by = excluded.entered_by, \
                 entered_at = excluded.entered_at",
            );
            qb.build().execute(self.conn()).await?;
        }
        Ok(())
    }

    async fn intensive_stats(&mut self) -> Result<Vec<StoredIntensive>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {INTENSIVE_COLUMNS} FROM intensive_industry_stats ORDER BY year DESC"
        )))
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(intensive_from_row).collect()
    }

    async fn intensive_year(&mut self, year: i64) -> Result<Option<StoredIntensive>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {INTENSIVE_COLUMNS} FROM intensive_industry_stats WHERE year = ?1"
        )))
        .bind(year)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(intensive_from_row).transpose()
    }

    async fn upsert_intensive(&mut self, r: &StoredIntensive) -> Result<()> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO intensive_industry_stats ({INTENSIVE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (year) DO UPDATE SET value_added_wan = excluded.value_added_wan, gdp_wan = excluded.gdp_wan, \
             note = excluded.note, entered_by = excluded.entered_by, entered_at = excluded.entered_at"
        )))
        .bind(r.year)
        .bind(r.value_added_wan)
        .bind(r.gdp_wan)
        .bind(&r.note)
        .bind(&r.entered_by)
        .bind(time::to_text(r.entered_at))
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
