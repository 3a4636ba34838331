//! The city's key industry chains, seeded from the policy file and then edited by the bureau.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::{Result, StoreError, Tx, time};

/// A stored industry chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChain {
    /// Row id.
    pub id: i64,
    /// Stable code.
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// IPC prefixes that place a patent in the chain.
    pub ipc_prefixes: Vec<String>,
    /// Keywords that place a patent or demand in the chain.
    pub keywords: Vec<String>,
    /// Display order.
    pub sort_order: i64,
    /// Inactive chains are kept for history but no longer offered.
    pub active: bool,
}

/// Industry chain area.
pub trait ChainStore {
    /// All chains in display order.
    async fn chains(&mut self) -> Result<Vec<StoredChain>>;
    /// One chain.
    async fn chain(&mut self, id: i64) -> Result<Option<StoredChain>>;
    /// Inserts a chain (the id field is ignored).
    async fn insert_chain(&mut self, c: &StoredChain, now: DateTime<Utc>) -> Result<i64>;
    /// Replaces a chain's fields.
    async fn update_chain(&mut self, c: &StoredChain, now: DateTime<Utc>) -> Result<()>;
}

fn chain_from_row(row: &SqliteRow) -> Result<StoredChain> {
    let list = |col: &str| -> Result<Vec<String>> {
        let text: String = row.try_get(col)?;
        serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("industry_chains.{col}: {e}")))
    };
    Ok(StoredChain {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        ipc_prefixes: list("ipc_prefixes")?,
        keywords: list("keywords")?,
        sort_order: row.try_get("sort_order")?,
        active: row.try_get("active")?,
    })
}

fn json_list(v: &[String]) -> String {
    serde_json::Value::from(v.to_vec()).to_string()
}

impl ChainStore for Tx {
    async fn chains(&mut self) -> Result<Vec<StoredChain>> {
        let rows = sqlx::query(
            "SELECT id, code, name, ipc_prefixes, keywords, sort_order, active FROM industry_chains \
             ORDER BY sort_order, id",
        )
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(chain_from_row).collect()
    }

    async fn chain(&mut self, id: i64) -> Result<Option<StoredChain>> {
        let row = sqlx::query(
            "SELECT id, code, name, ipc_prefixes, keywords, sort_order, active FROM industry_chains WHERE id = ?1",
        )
        .bind(id)
        .fetch_optional(self.conn())
        .await?;
        row.as_ref().map(chain_from_row).transpose()
    }

    async fn insert_chain(&mut self, c: &StoredChain, now: DateTime<Utc>) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO industry_chains (code, name, ipc_prefixes, keywords, sort_order, active, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        )
        .bind(&c.code)
        .bind(&c.name)
        .bind(json_list(&c.ipc_prefixes))
        .bind(json_list(&c.keywords))
        .bind(c.sort_order)
        .bind(c.active)
        .bind(time::to_text(now))
        .fetch_one(self.conn())
        .await?)
    }

    async fn update_chain(&mut self, c: &StoredChain, now: DateTime<Utc>) -> Result<()> {
        let done = sqlx::query(
            "UPDATE industry_chains SET name = ?1, ipc_prefixes = ?2, keywords = ?3, sort_order = ?4, \
             active = ?5, updated_at = ?6 WHERE id = ?7",
        )
        .bind(&c.name)
        .bind(json_list(&c.ipc_prefixes))
        .bind(json_list(&c.keywords))
        .bind(c.sort_order)
        .bind(c.active)
        .bind(time::to_text(now))
        .bind(c.id)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
