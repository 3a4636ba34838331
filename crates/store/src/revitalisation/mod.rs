//! Stock-patent revitalisation (存量专利盘活): inventory records and their review history, inventor links, the
//! scope and coverage reports, the transferable pool with push campaigns and enterprise feedback, inquiries,
//! roadshows with follow-up projects, and deals. One trait per area:
//!
//! - [`InventoryStore`]: records, review steps, inventor links, scope and coverage (computed, never stored);
//! - [`PoolStore`]: the public pool listing, push campaigns, feedback and its per-patent summary (the tier);
//! - [`InquiryStore`]: enterprise inquiries and their due dates;
//! - [`RoadshowStore`]: roadshows, their patents and registrations, follow-up projects and their logs;
//! - [`DealStore`]: transfer deals with their patents and parties.
//!
//! The long coverage reports are SQL files beside this module, sharing one scope prefix (`scope.sql`).

mod deals;
mod inquiries;
mod inventory;
mod pool;
mod roadshows;

use chrono::NaiveDate;
use ipbridge_domain::ids::FacultyId;
use sqlx::QueryBuilder;
use sqlx::Sqlite;

use crate::StoreError;
use crate::orgs::escape_like;

pub use deals::{Deal, DealFilter, DealPatent, DealStore, NewDeal};
pub use inquiries::{Inquiry, InquiryFilter, InquirySort, InquiryStore, NewInquiry, OverdueCount};
pub use inventory::{
    ConvertedFilter, ConvertedPatent, ConvertingDeal, FacultyCoverage, InstitutionCoverage, InventorLink,
    InventoryFilter, InventoryRecord, InventorySort, InventoryStore, NewInventoryRecord, PatentScope, UnrecordedFilter,
    UnrecordedPatent,
};
pub use pool::{
    Campaign, CampaignItem, ChainSelector, FeedbackFilter, FeedbackReader, NewCampaign, NewPoolFeedback, PoolEntry,
    PoolFilter, PoolSort, PoolStore, StoredFeedback,
};
pub use roadshows::{
    FollowUp, FollowUpProject, NewFollowUpProject, ProjectFilter, RecordedBy, Registration, Roadshow, RoadshowFilter,
    RoadshowPatent, RoadshowStore,
};

/// Which faculty a list is narrowed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FacultyScope {
    /// Every faculty and none.
    #[default]
    Any,
    /// One faculty.
    Only(FacultyId),
    /// Patents assigned to no faculty (the institution reviews them alone).
    Unassigned,
}

impl FacultyScope {
    /// The code and the faculty id bound to the static queries (`'any' | 'only' | 'none'`).
    pub(crate) fn binds(self) -> (&'static str, Option<i64>) {
        match self {
            FacultyScope::Any => ("any", None),
            FacultyScope::Only(f) => ("only", Some(f.get())),
            FacultyScope::Unassigned => ("none", None),
        }
    }
}

/// The stored text of a local date.
pub(crate) fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Parses a stored local date.
pub(crate) fn date_from(s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| StoreError::Corrupt(format!("date {s:?}: {e}")))
}

/// Parses an optional stored local date.
pub(crate) fn opt_date_from(s: Option<String>) -> Result<Option<NaiveDate>, StoreError> {
    s.as_deref().map(date_from).transpose()
}

/// A stored code this version cannot read.
pub(crate) fn corrupt(table_column: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{table_column}: {e}"))
}

/// A count read from SQLite as a non-negative number.
pub(crate) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The LIKE pattern that finds the IPC codes under a prefix with the scheme's hierarchy: a subclass (`A23L`)
/// or subgroup (`A23L33/16`) matches what extends it; a main group (`A23F3`) matches only its own subgroups
/// (`A23F3/06`, not `A23F30/00`). Stored codes are canonical (`A23F3/06`).
pub(crate) fn ipc_like(prefix: &str) -> String {
    let p: String = prefix.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
    let p = escape_like(&p);
    if p.len() > 4 && !p.contains('/') { format!("{p}/%") } else { format!("{p}%") }
}

/// Appends `AND <column> LIKE '%text%'` over several columns, OR-ed, for a free-text filter.
pub(crate) fn push_text_filter(qb: &mut QueryBuilder<Sqlite>, columns: &[&'static str], text: &str) {
    let like = format!("%{}%", escape_like(text));
    qb.push(" AND (");
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            qb.push(" OR ");
        }
        qb.push(*column).push(" LIKE ").push_bind(like.clone()).push(" ESCAPE '\\'");
    }
    qb.push(")");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipc_prefixes_follow_the_hierarchy() {
        assert_eq!(ipc_like("A23L"), "A23L%");
        assert_eq!(ipc_like("a23f 3"), "A23F3/%");
        assert_eq!(ipc_like("A23L33/16"), "A23L33/16%");
        assert_eq!(ipc_like("G06F_"), "G06F\\_/%");
    }
}
