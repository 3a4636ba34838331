//! Login sessions, kept in our own table. Only the token's hash is stored.

use chrono::{DateTime, Utc};
use ipbridge_domain::org::UserId;
use sqlx::Row;

use crate::{Result, Tx, time};

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SM3 hash of the cookie token.
    pub token_hash: String,
    /// The account.
    pub user_id: UserId,
    /// Login time.
    pub created_at: DateTime<Utc>,
    /// Last request.
    pub last_seen_at: DateTime<Utc>,
    /// Address at login.
    pub ip: String,
    /// Password verified, second factor not yet.
    pub totp_pending: bool,
}

/// Sessions area.
pub trait SessionStore {
    /// Stores a new session.
    async fn insert_session(&mut self, s: &Session) -> Result<()>;
    /// The session with this token hash.
    async fn session(&mut self, token_hash: &str) -> Result<Option<Session>>;
    /// Marks activity.
    async fn touch_session(&mut self, token_hash: &str, at: DateTime<Utc>) -> Result<()>;
    /// Records that the second factor was verified.
    async fn clear_totp_pending(&mut self, token_hash: &str) -> Result<()>;
    /// Ends one session.
    async fn delete_session(&mut self, token_hash: &str) -> Result<()>;
    /// Ends every session of an account (password reset, disabling, role change).
    async fn delete_user_sessions(&mut self, user: UserId) -> Result<u64>;
    /// Removes sessions idle since before `idle_before` or created before `created_before`.
    async fn delete_stale_sessions(&mut self, idle_before: DateTime<Utc>, created_before: DateTime<Utc>)
    -> Result<u64>;
}

impl SessionStore for Tx {
    async fn insert_session(&mut self, s: &Session) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, ip, totp_pending) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(&s.token_hash)
        .bind(s.user_id.get())
        .bind(time::to_text(s.created_at))
        .bind(time::to_text(s.last_seen_at))
        .bind(&s.ip)
        .bind(s.totp_pending)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn session(&mut self, token_hash: &str) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT token_hash, user_id, created_at, last_seen_at, ip, totp_pending FROM sessions \
             WHERE token_hash = ?1",
        )
        .bind(token_hash)
        .fetch_optional(self.conn())
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Session {
            token_hash: row.try_get("token_hash")?,
            user_id: UserId::new(row.try_get("user_id")?),
            created_at: time::from_text(&row.try_get::<String, _>("created_at")?)?,
            last_seen_at: time::from_text(&row.try_get::<String, _>("last_seen_at")?)?,
            ip: row.try_get("ip")?,
            totp_pending: row.try_get("totp_pending")?,
        }))
    }

    async fn touch_session(&mut self, token_hash: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = ?1 WHERE token_hash = ?2")
            .bind(time::to_text(at))
            .bind(token_hash)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    async fn clear_totp_pending(&mut self, token_hash: &str) -> Result<()> {
        sqlx::query("UPDATE sessions SET totp_pending = 0 WHERE token_hash = ?1")
            .bind(token_hash)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    async fn delete_session(&mut self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?1").bind(token_hash).execute(self.conn()).await?;
        Ok(())
    }

    async fn delete_user_sessions(&mut self, user: UserId) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM sessions WHERE user_id = ?1")
            .bind(user.get())
            .execute(self.conn())
            .await?
            .rows_affected())
    }

    async fn delete_stale_sessions(
        &mut self,
        idle_before: DateTime<Utc>,
        created_before: DateTime<Utc>,
    ) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM sessions WHERE last_seen_at < ?1 OR created_at < ?2")
            .bind(time::to_text(idle_before))
            .bind(time::to_text(created_before))
            .execute(self.conn())
            .await?
            .rows_affected())
    }
}
