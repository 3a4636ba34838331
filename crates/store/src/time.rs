//! Times are stored as RFC 3339 UTC text with microseconds: sortable as text, readable by SQLite.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::StoreError;

/// The stored text of a time.
pub(crate) fn to_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parses a stored time; a malformed one is reported as corrupt data, not guessed.
pub(crate) fn from_text(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s).map(|t| t.to_utc()).map_err(|e| StoreError::Corrupt(format!("bad time {s:?}: {e}")))
}

/// Parses an optional stored time.
pub(crate) fn opt_from_text(s: Option<String>) -> Result<Option<DateTime<Utc>>, StoreError> {
    s.as_deref().map(from_text).transpose()
}
