//! Reference data: IPC titles and the IPC → strategic-emerging-industry concordance.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Row, Sqlite};

use crate::{Result, Tx};

/// One IPC scheme entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpcTitle {
    /// Symbol without spaces, e.g. `A01B1/02`.
    pub code: String,
    /// section, class, subclass, main_group or subgroup.
    pub level: String,
    /// Chinese title.
    pub title_zh: String,
    /// English title, when loaded.
    pub title_en: String,
    /// Structural parent.
    pub parent: Option<String>,
}

/// One strategic-emerging-industry category or subcategory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeiCategory {
    /// `1`…`9` or `1.1`…`9.2`.
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// category or subcategory.
    pub level: String,
    /// Parent category code.
    pub parent_code: Option<String>,
}

/// Reference-data area.
pub trait ReferenceStore {
    /// Replaces the IPC scheme.
    async fn replace_ipc_titles(&mut self, rows: &[IpcTitle]) -> Result<()>;
    /// Replaces the SEI categories and the concordance (IPC code, SEI subcategory code).
    async fn replace_sei(&mut self, categories: &[SeiCategory], mappings: &[(String, String)]) -> Result<()>;
    /// Chinese (or English when no Chinese) titles of these codes, when loaded.
    async fn ipc_titles(&mut self, codes: &[String]) -> Result<HashMap<String, String>>;
    /// How many IPC titles and concordance rows are loaded.
    async fn reference_counts(&mut self) -> Result<(u64, u64)>;
}

impl ReferenceStore for Tx {
    async fn replace_ipc_titles(&mut self, rows: &[IpcTitle]) -> Result<()> {
        sqlx::query("DELETE FROM ipc_titles").execute(self.conn()).await?;
        for part in rows.chunks(5000) {
            let mut qb =
                QueryBuilder::<Sqlite>::new("INSERT INTO ipc_titles (code, level, title_zh, title_en, parent) ");
            qb.push_values(part, |mut b, r| {
                b.push_bind(r.code.clone())
                    .push_bind(r.level.clone())
                    .push_bind(r.title_zh.clone())
                    .push_bind(r.title_en.clone())
                    .push_bind(r.parent.clone());
            });
            qb.build().execute(self.conn()).await?;
        }
        Ok(())
    }

    async fn replace_sei(&mut self, categories: &[SeiCategory], mappings: &[(String, String)]) -> Result<()> {
        sqlx::query("DELETE FROM ipc_sei").execute(self.conn()).await?;
        sqlx::query("DELETE FROM sei_categories").execute(self.conn()).await?;
        for part in categories.chunks(5000) {
            let mut qb = QueryBuilder::<Sqlite>::new("INSERT INTO sei_categories (code, name, level, parent_code) ");
            qb.push_values(part, |mut b, c| {
                b.push_bind(c.code.clone())
                    .push_bind(c.name.clone())
                    .push_bind(c.level.clone())
                    .push_bind(c.parent_code.clone());
            });
            qb.build().execute(self.conn()).await?;
        }
        for part in mappings.chunks(10000) {
            let mut qb = QueryBuilder::<Sqlite>::new("INSERT OR IGNORE INTO ipc_sei (ipc_code, sei_code) ");
            qb.push_values(part, |mut b, (ipc, sei)| {
                b.push_bind(ipc.clone()).push_bind(sei.clone());
            });
            qb.build().execute(self.conn()).await?;
        }
        Ok(())
    }

    async fn ipc_titles(&mut self, codes: &[String]) -> Result<HashMap<String, String>> {
        let list = serde_json::Value::from(codes.to_vec()).to_string();
        let rows = sqlx::query(
            "SELECT code, CASE WHEN title_zh <> '' THEN title_zh ELSE title_en END AS title FROM ipc_titles \
             WHERE code IN (SELECT value FROM json_each(?1))",
        )
        .bind(list)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(|r| Ok((r.try_get("code")?, r.try_get("title")?))).collect()
    }

    async fn reference_counts(&mut self) -> Result<(u64, u64)> {
        let ipc: i64 = sqlx::query_scalar("SELECT count(*) FROM ipc_titles").fetch_one(self.conn()).await?;
        let sei: i64 = sqlx::query_scalar("SELECT count(*) FROM ipc_sei").fetch_one(self.conn()).await?;
        Ok((u64::try_from(ipc).unwrap_or(0), u64::try_from(sei).unwrap_or(0)))
    }
}
