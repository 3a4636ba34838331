//! User accounts and their roles.

use chrono::{DateTime, Utc};
use ipbridge_domain::Role;
use ipbridge_domain::account::User;
use ipbridge_domain::org::{FacultyId, OrgId, UserId};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::orgs::escape_like;
use crate::{Result, StoreError, Tx, time};

/// A new account, password already hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Name shown in the UI.
    pub display_name: String,
    /// Organisation.
    pub org_id: OrgId,
    /// Faculty, for reviewers and inventors.
    pub faculty_id: Option<FacultyId>,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Whether the first login must change the password.
    pub must_change_password: bool,
    /// Demo accounts are marked so they can be told apart.
    pub is_demo: bool,
}

/// Which accounts a list shows.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Only members of this organisation.
    pub org_id: Option<OrgId>,
    /// Login or display name contains this text.
    pub text: Option<String>,
    /// Page size; 0 means no limit.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// Accounts area.
pub trait UserStore {
    /// Inserts an account without roles.
    async fn insert_user(&mut self, new: &NewUser, now: DateTime<Utc>) -> Result<UserId>;
    /// One account.
    async fn user(&mut self, id: UserId) -> Result<Option<User>>;
    /// The account with this login name.
    async fn user_by_name(&mut self, username: &str) -> Result<Option<User>>;
    /// A page of accounts by login name.
    async fn list_users(&mut self, filter: &UserFilter) -> Result<Vec<User>>;
    /// How many accounts match (ignoring paging).
    async fn count_users(&mut self, filter: &UserFilter) -> Result<u64>;
    /// Replaces the account's roles.
    async fn set_roles(&mut self, id: UserId, roles: &[Role]) -> Result<()>;
    /// Changes the name, organisation and faculty.
    async fn update_profile(
        &mut self,
        id: UserId,
        display_name: &str,
        org_id: OrgId,
        faculty_id: Option<FacultyId>,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Counts one more failed attempt, atomically, and returns the new count: parallel wrong attempts
    /// each count, so none slips past the lockout.
    async fn count_failure(&mut self, id: UserId) -> Result<u32>;
    /// Locks the account until `until` and restarts the failure count.
    async fn lock_account(&mut self, id: UserId, until: DateTime<Utc>) -> Result<()>;
    /// Stores a successful login: counters cleared, last login time and address kept.
    async fn record_login(&mut self, id: UserId, at: DateTime<Utc>, ip: &str) -> Result<()>;
    /// Replaces the password hash.
    async fn set_password(
        &mut self,
        id: UserId,
        hash: &str,
        changed_at: DateTime<Utc>,
        must_change: bool,
    ) -> Result<()>;
    /// Sets or clears the TOTP secret.
    async fn set_totp_secret(&mut self, id: UserId, secret: Option<&str>, now: DateTime<Utc>) -> Result<()>;
    /// Records the TOTP time step just used; false when it (or a later one) was already used, which
    /// makes each code single-use.
    async fn accept_totp_step(&mut self, id: UserId, step: u64) -> Result<bool>;
    /// Disables or enables the account.
    async fn set_disabled(&mut self, id: UserId, disabled: bool, now: DateTime<Utc>) -> Result<()>;
    /// Clears a lock and the failure counter.
    async fn unlock(&mut self, id: UserId, now: DateTime<Utc>) -> Result<()>;
}

const USER_SELECT: &str = "SELECT u.id, u.username, u.display_name, u.org_id, o.kind AS org_kind, \
     o.name AS org_name, o.active AS org_active, u.faculty_id, u.password_hash, u.password_changed_at, u.must_change_password, \
     u.failed_attempts, u.locked_until, u.totp_secret, u.disabled, u.last_login_at, u.last_login_ip, \
     u.is_demo, u.created_at, \
     (SELECT group_concat(role, ',') FROM user_roles r WHERE r.user_id = u.id) AS roles \
     FROM users u JOIN orgs o ON o.id = u.org_id";

fn user_from_row(row: &SqliteRow) -> Result<User> {
    let org_kind: String = row.try_get("org_kind")?;
    let roles: Option<String> = row.try_get("roles")?;
    let mut roles = roles
        .unwrap_or_default()
        .split(',')
        .filter(|r| !r.is_empty())
        .map(|r| r.parse::<Role>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StoreError::Corrupt(format!("user_roles.role: {e}")))?;
    roles.sort();
    let failed: i64 = row.try_get("failed_attempts")?;
    Ok(User {
        id: UserId::new(row.try_get("id")?),
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        org_id: OrgId::new(row.try_get("org_id")?),
        org_kind: org_kind.parse().map_err(|e| StoreError::Corrupt(format!("orgs.kind: {e}")))?,
        org_name: row.try_get("org_name")?,
        org_active: row.try_get("org_active")?,
        faculty_id: row.try_get::<Option<i64>, _>("faculty_id")?.map(FacultyId::new),
        roles,
        password_hash: row.try_get("password_hash")?,
        password_changed_at: time::from_text(&row.try_get::<String, _>("password_changed_at")?)?,
        must_change_password: row.try_get("must_change_password")?,
        failed_attempts: u32::try_from(failed).unwrap_or(0),
        locked_until: time::opt_from_text(row.try_get("locked_until")?)?,
        totp_secret: row.try_get("totp_secret")?,
        disabled: row.try_get("disabled")?,
        last_login_at: time::opt_from_text(row.try_get("last_login_at")?)?,
        last_login_ip: row.try_get("last_login_ip")?,
        is_demo: row.try_get("is_demo")?,
        created_at: time::from_text(&row.try_get::<String, _>("created_at")?)?,
    })
}

fn push_filter(qb: &mut QueryBuilder<Sqlite>, f: &UserFilter) {
    qb.push(" WHERE 1 = 1");
    if let Some(org) = f.org_id {
        qb.push(" AND u.org_id = ").push_bind(org.get());
    }
    if let Some(text) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let like = format!("%{}%", escape_like(text));
        qb.push(" AND (u.username LIKE ")
            .push_bind(like.clone())
            .push(" ESCAPE '\\' OR u.display_name LIKE ")
            .push_bind(like)
            .push(" ESCAPE '\\')");
    }
}

fn expect_one(done: sqlx::sqlite::SqliteQueryResult) -> Result<()> {
    if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

impl UserStore for Tx {
    async fn insert_user(&mut self, n: &NewUser, now: DateTime<Utc>) -> Result<UserId> {
        let now = time::to_text(now);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, display_name, org_id, faculty_id, password_hash, \
             password_changed_at, must_change_password, is_demo, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?6, ?6) RETURNING id",
        )
        .bind(&n.username)
        .bind(&n.display_name)
        .bind(n.org_id.get())
        .bind(n.faculty_id.map(FacultyId::get))
        .bind(&n.password_hash)
        .bind(now)
        .bind(n.must_change_password)
        .bind(n.is_demo)
        .fetch_one(self.conn())
        .await?;
        Ok(UserId::new(id))
    }

    async fn user(&mut self, id: UserId) -> Result<Option<User>> {
        let mut qb = QueryBuilder::<Sqlite>::new(USER_SELECT);
        qb.push(" WHERE u.id = ").push_bind(id.get());
        let row = qb.build().fetch_optional(self.conn()).await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user_by_name(&mut self, username: &str) -> Result<Option<User>> {
        let mut qb = QueryBuilder::<Sqlite>::new(USER_SELECT);
        qb.push(" WHERE u.username = ").push_bind(username.to_owned());
        let row = qb.build().fetch_optional(self.conn()).await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn list_users(&mut self, f: &UserFilter) -> Result<Vec<User>> {
        let mut qb = QueryBuilder::<Sqlite>::new(USER_SELECT);
        push_filter(&mut qb, f);
        qb.push(" ORDER BY u.username");
        if f.limit > 0 {
            qb.push(" LIMIT ").push_bind(i64::from(f.limit)).push(" OFFSET ").push_bind(i64::from(f.offset));
        }
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn count_users(&mut self, f: &UserFilter) -> Result<u64> {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM users u");
        push_filter(&mut qb, f);
        let n: i64 = qb.build_query_scalar().fetch_one(self.conn()).await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn set_roles(&mut self, id: UserId, roles: &[Role]) -> Result<()> {
        sqlx::query("DELETE FROM user_roles WHERE user_id = ?1").bind(id.get()).execute(self.conn()).await?;
        for role in roles {
            sqlx::query("INSERT INTO user_roles (user_id, role) VALUES (?1, ?2)")
                .bind(id.get())
                .bind(role.code())
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    async fn update_profile(
        &mut self,
        id: UserId,
        display_name: &str,
        org_id: OrgId,
        faculty_id: Option<FacultyId>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        expect_one(
            sqlx::query(
                "UPDATE users SET display_name = ?1, org_id = ?2, faculty_id = ?3, updated_at = ?4 WHERE id = ?5",
            )
            .bind(display_name)
            .bind(org_id.get())
            .bind(faculty_id.map(FacultyId::get))
            .bind(time::to_text(now))
            .bind(id.get())
            .execute(self.conn())
            .await?,
        )
    }

    async fn count_failure(&mut self, id: UserId) -> Result<u32> {
        let n: i64 = sqlx::query_scalar(
            "UPDATE users SET failed_attempts = failed_attempts + 1 WHERE id = ?1 RETURNING failed_attempts",
        )
        .bind(id.get())
        .fetch_one(self.conn())
        .await?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn lock_account(&mut self, id: UserId, until: DateTime<Utc>) -> Result<()> {
        expect_one(
            sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = ?1 WHERE id = ?2")
                .bind(time::to_text(until))
                .bind(id.get())
                .execute(self.conn())
                .await?,
        )
    }

    async fn record_login(&mut self, id: UserId, at: DateTime<Utc>, ip: &str) -> Result<()> {
        expect_one(
            sqlx::query(
                "UPDATE users SET failed_attempts = 0, locked_until = NULL, last_login_at = ?1, \
                 last_login_ip = ?2 WHERE id = ?3",
            )
            .bind(time::to_text(at))
            .bind(ip)
            .bind(id.get())
            .execute(self.conn())
            .await?,
        )
    }

    async fn set_password(
        &mut self,
        id: UserId,
        hash: &str,
        changed_at: DateTime<Utc>,
        must_change: bool,
    ) -> Result<()> {
        let at = time::to_text(changed_at);
        expect_one(
            sqlx::query(
                // A forced change (after a reset) also ends an account's demo status, so the demo's
                // exemption from the first-login change never covers a reset password.
                "UPDATE users SET password_hash = ?1, password_changed_at = ?2, must_change_password = ?3, \
                 is_demo = CASE WHEN ?3 THEN 0 ELSE is_demo END, updated_at = ?2 WHERE id = ?4",
            )
            .bind(hash)
            .bind(at)
            .bind(must_change)
            .bind(id.get())
            .execute(self.conn())
            .await?,
        )
    }

    async fn set_totp_secret(&mut self, id: UserId, secret: Option<&str>, now: DateTime<Utc>) -> Result<()> {
        expect_one(
            sqlx::query("UPDATE users SET totp_secret = ?1, totp_last_step = NULL, updated_at = ?2 WHERE id = ?3")
                .bind(secret)
                .bind(time::to_text(now))
                .bind(id.get())
                .execute(self.conn())
                .await?,
        )
    }

    async fn accept_totp_step(&mut self, id: UserId, step: u64) -> Result<bool> {
        let step = i64::try_from(step).map_err(|_| StoreError::Corrupt("totp step out of range".into()))?;
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = ?1 WHERE id = ?2 \
             AND (totp_last_step IS NULL OR totp_last_step < ?1)",
        )
        .bind(step)
        .bind(id.get())
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_disabled(&mut self, id: UserId, disabled: bool, now: DateTime<Utc>) -> Result<()> {
        expect_one(
            sqlx::query("UPDATE users SET disabled = ?1, updated_at = ?2 WHERE id = ?3")
                .bind(disabled)
                .bind(time::to_text(now))
                .bind(id.get())
                .execute(self.conn())
                .await?,
        )
    }

    async fn unlock(&mut self, id: UserId, now: DateTime<Utc>) -> Result<()> {
        expect_one(
            sqlx::query("UPDATE users SET failed_attempts = 0, locked_until = NULL, updated_at = ?1 WHERE id = ?2")
                .bind(time::to_text(now))
                .bind(id.get())
                .execute(self.conn())
                .await?,
        )
    }
}
