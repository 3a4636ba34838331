//! User accounts and the rules of logging in (等保 level 3): lockout, idle timeout, forced change.

use chrono::{DateTime, Duration, Utc};

use crate::org::{FacultyId, OrgId, OrgKind, UserId};
use crate::permission::{self, Permission, Role};

/// A user account as the services see it. The password hash and TOTP secret never leave the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Row id.
    pub id: UserId,
    /// Login name, unique, ASCII.
    pub username: String,
    /// Name shown in the UI.
    pub display_name: String,
    /// The organisation the account belongs to.
    pub org_id: OrgId,
    /// That organisation's kind, carried along because every permission check needs it.
    pub org_kind: OrgKind,
    /// That organisation's name, for display.
    pub org_name: String,
    /// Whether that organisation is active: members of a deactivated one cannot log in.
    pub org_active: bool,
    /// For faculty reviewers and inventors: their faculty.
    pub faculty_id: Option<FacultyId>,
    /// Granted roles.
    pub roles: Vec<Role>,
    /// argon2id PHC string.
    pub password_hash: String,
    /// When the password was last set.
    pub password_changed_at: DateTime<Utc>,
    /// Set on creation and after a reset: the next login must change the password first.
    pub must_change_password: bool,
    /// Consecutive failed attempts since the last success.
    pub failed_attempts: u32,
    /// Locked until this moment after too many failures.
    pub locked_until: Option<DateTime<Utc>>,
    /// Base32 TOTP secret once enrolled.
    pub totp_secret: Option<String>,
    /// A disabled account cannot log in.
    pub disabled: bool,
    /// Previous successful login.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Address of the previous successful login.
    pub last_login_ip: Option<String>,
    /// Demo accounts skip the forced first-login password change.
    pub is_demo: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl User {
    /// Whether any role carries `p`.
    pub fn can(&self, p: Permission) -> bool {
        permission::allows(&self.roles, p)
    }

    /// Whether the account is locked at `now`.
    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|t| t > now)
    }

    /// Whether a second factor is compulsory for this account.
    pub fn requires_totp(&self) -> bool {
        self.roles.iter().any(|r| r.requires_totp())
    }
}

/// Lockout and session rules; defaults are the level-3 baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPolicy {
    /// Failed attempts that lock the account.
    pub max_failed_attempts: u32,
    /// How long a lock lasts.
    pub lock_minutes: i64,
    /// Idle time after which a session ends.
    pub idle_timeout_minutes: i64,
    /// Absolute session lifetime, however active.
    pub max_session_hours: i64,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        Self { max_failed_attempts: 5, lock_minutes: 30, idle_timeout_minutes: 30, max_session_hours: 12 }
    }
}

/// What happens to the counters after a wrong password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailedAttempt {
    /// The new count.
    pub failed_attempts: u32,
    /// Set when this attempt locks the account.
    pub locked_until: Option<DateTime<Utc>>,
}

impl LoginPolicy {
    /// Counts one more failure and locks when the limit is reached; the counter restarts after a lock.
    pub fn register_failure(&self, previous: u32, now: DateTime<Utc>) -> FailedAttempt {
        let n = previous.saturating_add(1);
        if n >= self.max_failed_attempts {
            FailedAttempt { failed_attempts: 0, locked_until: Some(now + Duration::minutes(self.lock_minutes)) }
        } else {
            FailedAttempt { failed_attempts: n, locked_until: None }
        }
    }

    /// Whether a session last seen at `last_seen` and created at `created` is still alive at `now`.
    pub fn session_alive(&self, created: DateTime<Utc>, last_seen: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now - last_seen < Duration::minutes(self.idle_timeout_minutes)
            && now - created < Duration::hours(self.max_session_hours)
    }
}

/// Checks a login name: 3–32 characters of lower-case letters, digits, `_`, `.` and `-`, starting with a
/// letter. ASCII only, so names survive every log, export and terminal unchanged.
pub fn check_username(name: &str) -> Result<(), &'static str> {
    let len = name.chars().count();
    if !(3..=32).contains(&len) {
        return Err("用户名长度应为3至32个字符");
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("用户名应以小写英文字母开头");
    }
    if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-')) {
        return Err("用户名只能包含小写英文字母、数字、下划线、点和连字符");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn fifth_failure_locks_for_thirty_minutes() {
        let p = LoginPolicy::default();
        let now = t("2026-11-26T08:00:00Z");
        let mut count = 0;
        for _ in 0..4 {
            let f = p.register_failure(count, now);
            assert_eq!(f.locked_until, None);
            count = f.failed_attempts;
        }
        assert_eq!(count, 4);
        let f = p.register_failure(count, now);
        assert_eq!(f.locked_until, Some(t("2026-11-26T08:30:00Z")));
    }

    #[test]
    fn idle_timeout_and_absolute_lifetime() {
        let p = LoginPolicy::default();
        let created = t("2026-11-26T08:00:00Z");
        assert!(p.session_alive(created, created, t("2026-11-26T08:29:59Z")));
        assert!(!p.session_alive(created, created, t("2026-11-26T08:30:00Z")));
        assert!(!p.session_alive(created, t("2026-11-26T19:59:00Z"), t("2026-11-26T20:00:00Z")));
    }
}
#[cfg(test)]
mod username_tests {
    use super::check_username;

    #[test]
    fn usernames() {
        assert!(check_username("bureau_officer").is_ok());
        assert!(check_username("li.ming-2").is_ok());
        assert!(check_username("ab").is_err());
        assert!(check_username("1abc").is_err());
        assert!(check_username("Admin").is_err());
        assert!(check_username("张三").is_err());
        assert!(check_username(&"a".repeat(33)).is_err());
    }
}
