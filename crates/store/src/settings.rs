//! Key–value settings kept in the database (the server's secret key, seeding markers).

use crate::{Result, Tx};

/// Settings area.
pub trait SettingsStore {
    /// Reads a setting.
    async fn setting(&mut self, key: &str) -> Result<Option<String>>;
    /// Writes a setting, replacing any value.
    async fn set_setting(&mut self, key: &str, value: &str) -> Result<()>;
}

impl SettingsStore for Tx {
    async fn setting(&mut self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = ?1")
            .bind(key)
            .fetch_optional(self.conn())
            .await?)
    }

    async fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
