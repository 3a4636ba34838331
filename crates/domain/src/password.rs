//! Password rules of 等保 level 3: length, character classes, expiry.

use chrono::{DateTime, Duration, Utc};

/// Configurable password rules; defaults are the level-3 baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Minimum length in characters.
    pub min_length: usize,
    /// How many of the four classes (lower, upper, digit, symbol) must appear.
    pub min_classes: usize,
    /// Days after which a password must be changed; 0 disables expiry.
    pub max_age_days: u32,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self { min_length: 8, min_classes: 3, max_age_days: 90 }
    }
}

/// Why a new password is refused; the Display is the message users see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Too short.
    #[error("密码至少需要{min}个字符")]
    TooShort {
        /// Required minimum.
        min: usize,
    },
    /// Not enough character classes.
    #[error("密码需包含大写字母、小写字母、数字、符号中的至少{min}类，当前只有{found}类")]
    TooFewClasses {
        /// Required classes.
        min: usize,
        /// Classes present.
        found: usize,
    },
    /// Contains the login name.
    #[error("密码不能包含用户名")]
    ContainsUsername,
    /// Same as the current password.
    #[error("新密码不能与当前密码相同")]
    Unchanged,
}

impl PasswordPolicy {
    /// Checks a candidate password for `username`.
    pub fn check(&self, username: &str, password: &str) -> Result<(), PasswordError> {
        if password.chars().count() < self.min_length {
            return Err(PasswordError::TooShort { min: self.min_length });
        }
        let found = character_classes(password);
        if found < self.min_classes {
            return Err(PasswordError::TooFewClasses { min: self.min_classes, found });
        }
        if username.chars().count() >= 3 && password.to_lowercase().contains(&username.to_lowercase()) {
            return Err(PasswordError::ContainsUsername);
        }
        Ok(())
    }

    /// Whether a password last changed at `changed_at` must be changed at `now`.
    pub fn is_expired(&self, changed_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.max_age_days > 0 && now - changed_at >= Duration::days(i64::from(self.max_age_days))
    }
}

/// Counts lower-case letters, upper-case letters, digits and other characters as four classes.
pub fn character_classes(password: &str) -> usize {
    let lower = password.chars().any(|c| c.is_lowercase());
    let upper = password.chars().any(|c| c.is_uppercase());
    let digit = password.chars().any(|c| c.is_ascii_digit());
    let other =
        password.chars().any(|c| !c.is_alphanumeric() || (c.is_alphabetic() && !c.is_lowercase() && !c.is_uppercase()));
    [lower, upper, digit, other].into_iter().filter(|b| *b).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_and_classes() {
        let p = PasswordPolicy::default();
        assert_eq!(p.check("alice", "Ab1!"), Err(PasswordError::TooShort { min: 8 }));
        assert_eq!(p.check("alice", "abcdefgh1"), Err(PasswordError::TooFewClasses { min: 3, found: 2 }));
        assert!(p.check("alice", "abcdefG1").is_ok());
        assert!(p.check("alice", "abcdefg1!").is_ok());
        assert!(p.check("alice", "ABCDEFG1!").is_ok());
        // Chinese characters count as the "other" class: a Chinese passphrase with digits and letters passes.
        assert!(p.check("alice", "安康abcd12").is_ok());
    }

    #[test]
    fn username_is_refused_inside_password() {
        let p = PasswordPolicy::default();
        assert_eq!(p.check("alice", "xxAlice12!"), Err(PasswordError::ContainsUsername));
    }

    #[test]
    fn exactly_eight_characters_pass() {
        assert!(PasswordPolicy::default().check("bob", "Aa1!Aa1!").is_ok());
        assert!(PasswordPolicy::default().check("bob", "Aa1!Aa1").is_err());
    }

    #[test]
    fn expiry() {
        let p = PasswordPolicy::default();
        let t0 = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().to_utc();
        assert!(!p.is_expired(t0, t0 + Duration::days(89)));
        assert!(p.is_expired(t0, t0 + Duration::days(90)));
        let never = PasswordPolicy { max_age_days: 0, ..p };
        assert!(!never.is_expired(t0, t0 + Duration::days(10_000)));
    }
}
