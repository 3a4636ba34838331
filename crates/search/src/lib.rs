//! Chinese full-text search and supply–demand matching of ipbridge.
//!
//! The database is the source of truth; this crate holds a derived tantivy index of patents that can be
//! rebuilt from it at any time. It knows nothing about SQL: the service hands it [`PatentDoc`]s and gets
//! patent ids and scores back, then hydrates them from the store.
//!
//! - [`Analyzer`]: jieba segmentation in search mode with a domain lexicon, shared by all fields and threads.
//! - [`PatentIndex`]: the on-disk (or in-memory) index, its schema version, upserts and deletes.
//! - [`query`]: the search box language (free Chinese text, "phrases", AND/OR/NOT, 申请人:… 分类号:…),
//!   filters, facets, sorting, snippets.
//! - [`matcher`]: long-text matching (a demand, a patent) with term selection and IPC-aware feedback, the
//!   reasons for each hit, and the plain BM25 baseline it is measured against.
//! - [`profiles`]: enterprises' technology profiles, ranked for a patent.

mod analyzer;
mod index;
pub mod matcher;
pub mod profiles;
pub mod query;
mod top;

pub use analyzer::{ANALYZER_NAME, Analyzer, JiebaTokenizer, Word};
pub use index::{IndexOptions, OpenState, PatentDoc, PatentIndex, SCHEMA_VERSION, ipc_levels};
pub use matcher::{Explanation, MatchHit, MatchPlan, MatchRequest, MatchScope};
pub use profiles::{EnterpriseIndex, EnterpriseMatch, EnterpriseProfile};
pub use query::{Facet, FacetValue, Filters, Highlighter, SearchHit, SearchRequest, SearchResults, Sort};

/// Errors of the search index. The index is derived data: every error here is recoverable by a rebuild.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// tantivy failed (I/O, a corrupt segment, a lock held by another process).
    #[error("search index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The index directory could not be prepared.
    #[error("search index directory {path}: {source}")]
    Directory {
        /// The directory.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
    /// Another process holds the index writer (the server), or the index belongs to another version.
    #[error("search index {0} is in use by another process or of another version")]
    Locked(String),
    /// A write was attempted through a read-only handle.
    #[error("search index opened read-only")]
    ReadOnly,
    /// A facet result could not be read back.
    #[error("search aggregation error: {0}")]
    Aggregation(String),
}

/// Result of the search calls.
pub type Result<T, E = SearchError> = std::result::Result<T, E>;
