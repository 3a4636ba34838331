//! Organisations and their faculties.

use chrono::{DateTime, Utc};
use ipbridge_domain::CreditCode;
use ipbridge_domain::org::{Faculty, FacultyId, InstitutionKind, Org, OrgFields, OrgId, OrgKind, normalise_name};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::{Result, StoreError, Tx, time};

/// Which organisations a list shows. Filters are values, never SQL.
#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    /// Only this kind.
    pub kind: Option<OrgKind>,
    /// Name or credit code contains this text.
    pub text: Option<String>,
    /// Only this county.
    pub county_code: Option<String>,
    /// Only these ids (a member sees only their own organisation).
    pub only: Option<OrgId>,
    /// Page size; 0 means no limit.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// Organisations area.
pub trait OrgStore {
    /// Inserts an organisation.
    async fn insert_org(&mut self, fields: &OrgFields, now: DateTime<Utc>) -> Result<OrgId>;
    /// Replaces an organisation's fields.
    async fn update_org(&mut self, id: OrgId, fields: &OrgFields, now: DateTime<Utc>) -> Result<()>;
    /// One organisation.
    async fn org(&mut self, id: OrgId) -> Result<Option<Org>>;
    /// How many accounts belong to the organisation.
    async fn count_members(&mut self, id: OrgId) -> Result<u64>;
    /// A page of organisations, ordered by kind then name.
    async fn list_orgs(&mut self, filter: &OrgFilter) -> Result<Vec<Org>>;
    /// How many organisations match (ignoring paging).
    async fn count_orgs(&mut self, filter: &OrgFilter) -> Result<u64>;
    /// Adds a faculty to an institution.
    async fn insert_faculty(&mut self, org: OrgId, name: &str) -> Result<FacultyId>;
    /// Renames a faculty.
    async fn rename_faculty(&mut self, id: FacultyId, name: &str) -> Result<()>;
    /// One faculty.
    async fn faculty(&mut self, id: FacultyId) -> Result<Option<Faculty>>;
    /// An institution's faculties by name.
    async fn faculties(&mut self, org: OrgId) -> Result<Vec<Faculty>>;
}

const ORG_COLUMNS: &str = "id, kind, institution_kind, name, credit_code, county_code, department_code, \
                           contact_name, address, active";

fn org_from_row(row: &SqliteRow) -> Result<Org> {
    let kind: String = row.try_get("kind")?;
    let institution_kind: Option<String> = row.try_get("institution_kind")?;
    let credit_code: Option<String> = row.try_get("credit_code")?;
    Ok(Org {
        id: OrgId::new(row.try_get("id")?),
        kind: kind.parse().map_err(|e| StoreError::Corrupt(format!("orgs.kind: {e}")))?,
        institution_kind: institution_kind
            .map(|k| k.parse::<InstitutionKind>())
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("orgs.institution_kind: {e}")))?,
        name: row.try_get("name")?,
        credit_code: credit_code
            .map(|c| CreditCode::parse(&c))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("orgs.credit_code: {e}")))?,
        county_code: row.try_get("county_code")?,
        department_code: row.try_get("department_code")?,
        contact_name: row.try_get("contact_name")?,
        address: row.try_get("address")?,
        active: row.try_get("active")?,
    })
}

fn push_filter(qb: &mut QueryBuilder<Sqlite>, f: &OrgFilter) {
    qb.push(" WHERE 1 = 1");
    if let Some(kind) = f.kind {
        qb.push(" AND kind = ").push_bind(kind.code());
    }
    if let Some(text) = f.text.as_deref().filter(|t| !t.trim().is_empty()) {
        let like = format!("%{}%", escape_like(&normalise_name(text)));
        qb.push(" AND (name_normalised LIKE ")
            .push_bind(like.clone())
            .push(" ESCAPE '\\' OR credit_code LIKE ")
            .push_bind(like.to_uppercase())
            .push(" ESCAPE '\\')");
    }
    if let Some(county) = &f.county_code {
        qb.push(" AND county_code = ").push_bind(county.clone());
    }
    if let Some(only) = f.only {
        qb.push(" AND id = ").push_bind(only.get());
    }
}

/// Escapes LIKE wildcards so user text matches literally.
pub(crate) fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

impl OrgStore for Tx {
    async fn insert_org(&mut self, f: &OrgFields, now: DateTime<Utc>) -> Result<OrgId> {
        let now = time::to_text(now);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO orgs (kind, institution_kind, name, name_normalised, credit_code, county_code, \
             department_code, contact_name, address, active, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11) RETURNING id",
        )
        .bind(f.kind.code())
        .bind(f.institution_kind.map(|k| k.code()))
        .bind(f.name.trim())
        .bind(normalise_name(&f.name))
        .bind(f.credit_code.as_ref().map(|c| c.as_str().to_owned()))
        .bind(&f.county_code)
        .bind(&f.department_code)
        .bind(&f.contact_name)
        .bind(&f.address)
        .bind(f.active)
        .bind(now)
        .fetch_one(self.conn())
        .await?;
        Ok(OrgId::new(id))
    }

    async fn update_org(&mut self, id: OrgId, f: &OrgFields, now: DateTime<Utc>) -> Result<()> {
        let done = sqlx::query(
            "UPDATE orgs SET kind = ?1, institution_kind = ?2, name = ?3, name_normalised = ?4, \
             credit_code = ?5, county_code = ?6, department_code = ?7, contact_name = ?8, address = ?9, \
             active = ?10, updated_at = ?11 WHERE id = ?12",
        )
        .bind(f.kind.code())
        .bind(f.institution_kind.map(|k| k.code()))
        .bind(f.name.trim())
        .bind(normalise_name(&f.name))
        .bind(f.credit_code.as_ref().map(|c| c.as_str().to_owned()))
        .bind(&f.county_code)
        .bind(&f.department_code)
        .bind(&f.contact_name)
        .bind(&f.address)
        .bind(f.active)
        .bind(time::to_text(now))
        .bind(id.get())
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn org(&mut self, id: OrgId) -> Result<Option<Org>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT {ORG_COLUMNS} FROM orgs WHERE id = "));
        qb.push_bind(id.get());
        let row = qb.build().fetch_optional(self.conn()).await?;
        row.as_ref().map(org_from_row).transpose()
    }

    async fn count_members(&mut self, id: OrgId) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE org_id = ?1")
            .bind(id.get())
            .fetch_one(self.conn())
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn list_orgs(&mut self, f: &OrgFilter) -> Result<Vec<Org>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT {ORG_COLUMNS} FROM orgs"));
        push_filter(&mut qb, f);
        qb.push(
            " ORDER BY CASE kind WHEN 'bureau' THEN 0 WHEN 'department' THEN 1 WHEN 'county' THEN 2 \
             WHEN 'institution' THEN 3 WHEN 'enterprise' THEN 4 ELSE 5 END, name",
        );
        if f.limit > 0 {
            qb.push(" LIMIT ").push_bind(i64::from(f.limit)).push(" OFFSET ").push_bind(i64::from(f.offset));
        }
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(org_from_row).collect()
    }

    async fn count_orgs(&mut self, f: &OrgFilter) -> Result<u64> {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM orgs");
        push_filter(&mut qb, f);
        let n: i64 = qb.build_query_scalar().fetch_one(self.conn()).await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn insert_faculty(&mut self, org: OrgId, name: &str) -> Result<FacultyId> {
        let id: i64 = sqlx::query_scalar("INSERT INTO faculties (org_id, name) VALUES (?1, ?2) RETURNING id")
            .bind(org.get())
            .bind(name.trim())
            .fetch_one(self.conn())
            .await?;
        Ok(FacultyId::new(id))
    }

    async fn rename_faculty(&mut self, id: FacultyId, name: &str) -> Result<()> {
        let done = sqlx::query("UPDATE faculties SET name = ?1 WHERE id = ?2")
            .bind(name.trim())
            .bind(id.get())
            .execute(self.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn faculty(&mut self, id: FacultyId) -> Result<Option<Faculty>> {
        let row = sqlx::query("SELECT id, org_id, name FROM faculties WHERE id = ?1")
            .bind(id.get())
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(faculty_from_row).transpose()
    }

    async fn faculties(&mut self, org: OrgId) -> Result<Vec<Faculty>> {
        let rows = sqlx::query("SELECT id, org_id, name FROM faculties WHERE org_id = ?1 ORDER BY name")
            .bind(org.get())
            .fetch_all(self.conn())
            .await?;
        rows.iter().map(faculty_from_row).collect()
    }
}

fn faculty_from_row(row: &SqliteRow) -> Result<Faculty> {
    Ok(Faculty {
        id: FacultyId::new(row.try_get("id")?),
        org_id: OrgId::new(row.try_get("org_id")?),
        name: row.try_get("name")?,
    })
}
