//! Configuration, layered: built-in defaults → `ipbridge.toml` → `IPBRIDGE_…` environment variables.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ipbridge_domain::account::LoginPolicy;
use ipbridge_domain::password::PasswordPolicy;
use serde::Deserialize;

/// The commented example printed by `ipbridge default-config`; a test checks it equals the defaults.
pub const EXAMPLE_CONFIG: &str = include_str!("../ipbridge.example.toml");

/// Everything an operator can configure. Secrets are never part of it (the server key lives in the
/// database), so it can be printed and logged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Network and files.
    pub server: ServerSettings,
    /// Login and session rules.
    pub security: SecuritySettings,
    /// Logging.
    pub log: LogSettings,
}

/// Network and files.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Listening address.
    pub addr: SocketAddr,
    /// Directory holding the SQLite file (and later the search index).
    pub data_dir: PathBuf,
    /// The city's policy file; empty means the built-in Ankang policy.
    pub policy: Option<PathBuf>,
    /// Set when a TLS-terminating proxy is in front: session cookies are then marked `Secure`.
    pub behind_tls: bool,
    /// Trust `X-Forwarded-For` / `X-Forwarded-Proto` from the proxy for client addresses.
    pub trust_proxy_headers: bool,
}

/// Login and session rules (等保 level 3 defaults).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecuritySettings {
    /// Days before a password must be changed; 0 disables expiry.
    pub password_max_age_days: u32,
    /// Failed logins that lock an account.
    pub max_failed_logins: u32,
    /// Minutes a lock lasts.
    pub lock_minutes: u32,
    /// Minutes of inactivity that end a session.
    pub idle_timeout_minutes: u32,
    /// Hours after which a session ends however active.
    pub max_session_hours: u32,
}

/// Logging.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// A tracing filter, e.g. `info` or `ipbridge=debug,info`.
    pub level: String,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./ipbridge-data"),
            policy: None,
            behind_tls: false,
            trust_proxy_headers: false,
        }
    }
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            password_max_age_days: 90,
            max_failed_logins: 5,
            lock_minutes: 30,
            idle_timeout_minutes: 30,
            max_session_hours: 12,
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self { level: "info".to_owned() }
    }
}

/// Why configuration could not be read; one line naming the file or variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Parser message, flattened to one line.
        message: String,
    },
    /// An environment variable has a bad value.
    #[error("environment variable {name}: {message}")]
    Env {
        /// Variable name.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl Settings {
    /// Loads the layers. `file` is the explicit `--config`; without it `./ipbridge.toml` is read when present.
    pub fn load(file: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let default_file = Path::new("ipbridge.toml");
        let path = match file {
            Some(p) => Some(p.to_owned()),
            None => env("IPBRIDGE_CONFIG")
                .map(PathBuf::from)
                .or_else(|| default_file.exists().then(|| default_file.to_owned())),
        };
        let mut settings = match path {
            Some(path) => Self::from_file(&path)?,
            None => Self::default(),
        };
        settings.apply_env(env)?;
        Ok(settings)
    }

    /// Parses one TOML file over the defaults.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        Self::from_toml(&text).map_err(|message| ConfigError::Parse { path: path.to_owned(), message })
    }

    /// Parses TOML text over the defaults; the error is one line.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text)
            .map_err(|e| e.to_string().lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join(" "))
    }

    /// Applies `IPBRIDGE_…` variables; each names one setting (see the example file).
    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(name: &'static str, v: &str) -> Result<T, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            v.trim().parse().map_err(|e: T::Err| ConfigError::Env { name, message: format!("{v:?}: {e}") })
        }
        if let Some(v) = env("IPBRIDGE_ADDR") {
            self.server.addr = parse("IPBRIDGE_ADDR", &v)?;
        }
        if let Some(v) = env("IPBRIDGE_DATA_DIR") {
            self.server.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env("IPBRIDGE_POLICY") {
            self.server.policy = (!v.trim().is_empty()).then(|| PathBuf::from(v));
        }
        if let Some(v) = env("IPBRIDGE_BEHIND_TLS") {
            self.server.behind_tls = parse("IPBRIDGE_BEHIND_TLS", &v)?;
        }
        if let Some(v) = env("IPBRIDGE_TRUST_PROXY_HEADERS") {
            self.server.trust_proxy_headers = parse("IPBRIDGE_TRUST_PROXY_HEADERS", &v)?;
        }
        if let Some(v) = env("IPBRIDGE_PASSWORD_MAX_AGE_DAYS") {
            self.security.password_max_age_days = parse("IPBRIDGE_PASSWORD_MAX_AGE_DAYS", &v)?;
        }
        if let Some(v) = env("IPBRIDGE_MAX_FAILED_LOGINS") {
            self.security.max_failed_logins = parse("IPBRIDGE_MAX_FAILED_LOGINS", &v)?;
        }
        if let Some(v) = env("IPBRIDGE_LOCK_MINUTES") {
            self.security.lock_minutes = parse("IPBRIDGE_LOCK_MINUTES", &v)?;
        }
        if let Some(v) = env("IPBRIDGE_IDLE_TIMEOUT_MINUTES") {
            self.security.idle_timeout_minutes = parse("IPBRIDGE_IDLE_TIMEOUT_MINUTES", &v)?;
        }
        if let Some(v) = env("IPBRIDGE_MAX_SESSION_HOURS") {
            self.security.max_session_hours = parse("IPBRIDGE_MAX_SESSION_HOURS", &v)?;
        }
        if let Some(v) = env("IPBRIDGE_LOG") {
            self.log.level = v;
        }
        Ok(())
    }

    /// Settings weaker than the 等保 level-3 baseline, each as one line for the start-up log.
    pub fn baseline_warnings(&self) -> Vec<String> {
        let s = &self.security;
        let mut w = Vec::new();
        if s.password_max_age_days == 0 || s.password_max_age_days > 90 {
            w.push(format!(
                "security.password_max_age_days = {}: the level-3 baseline changes passwords at least every 90 days",
                s.password_max_age_days
            ));
        }
        if s.max_failed_logins > 5 {
            w.push(format!(
                "security.max_failed_logins = {}: the baseline locks after at most 5 failures",
                s.max_failed_logins
            ));
        }
        if s.lock_minutes < 30 {
            w.push(format!("security.lock_minutes = {}: the baseline locks for at least 30 minutes", s.lock_minutes));
        }
        if s.idle_timeout_minutes > 30 {
            w.push(format!(
                "security.idle_timeout_minutes = {}: the baseline ends idle sessions within 30 minutes",
                s.idle_timeout_minutes
            ));
        }
        w
    }

    /// The password rules these settings give.
    pub fn password_policy(&self) -> PasswordPolicy {
        PasswordPolicy { max_age_days: self.security.password_max_age_days, ..PasswordPolicy::default() }
    }

    /// The lockout and session rules these settings give.
    pub fn login_policy(&self) -> LoginPolicy {
        LoginPolicy {
            max_failed_attempts: self.security.max_failed_logins.max(1),
            lock_minutes: i64::from(self.security.lock_minutes),
            idle_timeout_minutes: i64::from(self.security.idle_timeout_minutes.max(1)),
            max_session_hours: i64::from(self.security.max_session_hours.max(1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_states_the_defaults() {
        assert_eq!(Settings::from_toml(EXAMPLE_CONFIG).unwrap(), Settings::default());
    }

    #[test]
    fn no_configuration_gives_the_documented_defaults() {
        let s = Settings::load(Some(Path::new("/nonexistent/x.toml")), |_| None);
        assert!(matches!(s, Err(ConfigError::Read { .. })));
        let s = Settings::default();
        assert_eq!(s.server.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(s.server.data_dir, PathBuf::from("./ipbridge-data"));
    }

    #[test]
    fn file_then_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ipbridge.toml");
        std::fs::write(&path, "[server]\naddr = \"0.0.0.0:9000\"\n[security]\nlock_minutes = 15\n").unwrap();
        let s = Settings::load(Some(&path), |k| (k == "IPBRIDGE_LOCK_MINUTES").then(|| "45".to_owned())).unwrap();
        assert_eq!(s.server.addr.to_string(), "0.0.0.0:9000");
        assert_eq!(s.security.lock_minutes, 45);
        assert_eq!(s.security.max_failed_logins, 5);
    }

    #[test]
    fn errors_name_the_field_or_variable() {
        let e = Settings::from_toml("[security]\nlock_minutes = \"x\"\n").unwrap_err();
        assert!(e.contains("lock_minutes"), "{e}");
        assert!(!e.contains('\n'));
        let e = Settings::from_toml("[server]\nport = 1\n").unwrap_err();
        assert!(e.contains("port"), "{e}");
        let mut s = Settings::default();
        let e = s.apply_env(|k| (k == "IPBRIDGE_ADDR").then(|| "nope".to_owned())).unwrap_err();
        assert!(e.to_string().starts_with("environment variable IPBRIDGE_ADDR"), "{e}");
    }
}
