//! Persistence of ipbridge. One trait per area ([`OrgStore`], [`UserStore`], [`SessionStore`],
//! [`AuditStore`], [`SettingsStore`], [`ChainStore`], [`PatentStore`], [`ImportStore`], [`ApplicantStore`],
//! [`ReferenceStore`], [`DemandStore`], [`MatchStore`], [`NotificationStore`], [`ProfileStore`], and for
//! revitalisation [`InventoryStore`], [`PoolStore`], [`InquiryStore`], [`RoadshowStore`], [`DealStore`]),
//! implemented on a transaction ([`Tx`]) so a service
//! composes several areas (a change, its audit record, its outbox row) in one commit.
//!
//! SQLite is the default backend: one file, WAL journal, foreign keys on, a busy timeout, and one writer
//! connection so that in-process writers queue instead of failing with `SQLITE_BUSY`.

// The store traits are implemented on concrete transaction types and called with static dispatch only.
#![allow(async_fn_in_trait)]

mod applicants;
mod audit;
mod chains;
mod demands;
mod error;
mod imports;
mod indicators;
mod matches;
mod notifications;
mod orgs;
mod patents;
mod profiles;
mod reference;
mod revitalisation;
mod search;
mod sessions;
mod settings;
mod time;
mod users;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

pub use applicants::{ApplicantStore, UnmatchedApplicant};
pub use audit::{AuditFilter, AuditStore, NewAuditEntry};
pub use chains::{ChainStore, StoredChain};
pub use demands::{DemandFilter, DemandStore, NewDemand};
pub use error::{Conflict, StoreError};
pub use imports::{ImportCounts, ImportKind, ImportRecord, ImportStatus, ImportStore, NewImport};
pub use indicators::{
    ApplicantFact, ApplicantPlace, ApplicantPlaceFilter, ApplicantScope, AwardFilter, AwardRow, AwardStore, BasisCount,
    ChainLink, ChainPoolPatent, FactSource, IndicatorCell, IndicatorStore, IntensiveRow, LandscapeStore, MappingCount,
    NewAward, PatentFact, PlaceOverrideRow, PlaceStore, RefreshRun, Snapshot, SnapshotWrite, StatsStore, StoredAward,
    StoredIntensive, StoredPlace, StoredTrademark, TrademarkRow,
};
pub use matches::{MatchFilter, MatchRecord, MatchSort, MatchStore, NewMatch};
pub use notifications::{NewNotification, NotificationReader, NotificationStore};
pub use orgs::{OrgFilter, OrgStore};
pub use patents::{
    ExistingPatent, HighValueFilter, ListedFacts, ListedPatent, PatentChange, PatentFilter, PatentSort, PatentStore,
    PatentSummary, PatentWrite, PlaceFilter, StoredPatent,
};
pub use profiles::{EnterpriseProfile, EnterpriseProfileInput, ProfileDemand, ProfileStore};
pub use reference::{IpcTitle, ReferenceStore, SeiCategory};
pub use revitalisation::{
    Campaign, CampaignItem, ChainSelector, ConvertedFilter, ConvertedPatent, ConvertingDeal, Deal, DealFilter,
    DealPatent, DealStore, FacultyCoverage, FacultyScope, FeedbackFilter, FeedbackReader, FollowUp, FollowUpProject,
    Inquiry, InquiryFilter, InquirySort, InquiryStore, InstitutionCoverage, InventorLink, InventoryFilter,
    InventoryRecord, InventorySort, InventoryStore, NewCampaign, NewDeal, NewFollowUpProject, NewInquiry,
    NewInventoryRecord, NewPoolFeedback, OverdueCount, PatentScope, PoolEntry, PoolFilter, PoolSort, PoolStore,
    ProjectFilter, RecordedBy, Registration, Roadshow, RoadshowFilter, RoadshowPatent, RoadshowStore, StoredFeedback,
    UnrecordedFilter, UnrecordedPatent,
};
pub use search::{OutboxEntry, SearchSource, SearchStore};
pub use sessions::{Session, SessionStore};
pub use settings::SettingsStore;
pub use users::{NewUser, UserFilter, UserStore};

/// Result of every store call.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// File name of the SQLite database inside the data directory.
pub const DATABASE_FILE: &str = "ipbridge.db";

/// The embedded SQLite migrations.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// A handle on the database: a reader pool and a single-connection writer pool.
#[derive(Clone, Debug)]
pub struct Db {
    read: SqlitePool,
    write: SqlitePool,
    path: PathBuf,
}

/// One transaction; every store trait is implemented on it.
pub struct Tx {
    inner: Transaction<'static, Sqlite>,
}

impl Db {
    /// Opens (creating if needed) the database file; does not migrate.
    pub async fn open(path: &Path) -> Result<Self> {
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // Imports write batches of a few megabytes: a 64 MiB page cache keeps a batch in memory instead of
            // spilling it mid-transaction, and statement journals stay in memory. 16 KiB pages hold a
            // patent record (abstract and claim included) without overflow pages; they apply to new files.
            .page_size(16384)
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory");
        let write = SqlitePoolOptions::new().max_connections(1).connect_with(options.clone()).await?;
        let read = SqlitePoolOptions::new().max_connections(4).connect_with(options.read_only(true)).await?;
        Ok(Self { read, write, path: path.to_owned() })
    }

    /// Opens the database and applies pending migrations.
    pub async fn open_and_migrate(path: &Path) -> Result<Self> {
        let db = Self::open(path).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Applies the embedded migrations that are not yet applied; returns how many ran.
    pub async fn migrate(&self) -> Result<usize> {
        let mut conn = self.write.acquire().await?;
        let before: i64 = applied_count(&mut conn).await;
        MIGRATOR.run(&mut *conn).await?;
        let after: i64 = applied_count(&mut conn).await;
        Ok(usize::try_from(after - before).unwrap_or(0))
    }

    /// Starts a write transaction. `BEGIN IMMEDIATE` takes the write lock up front, so a transaction that
    /// reads before it writes (the audit chain does) cannot fail half-way on a concurrent writer.
    pub async fn begin(&self) -> Result<Tx> {
        let inner = self.write.begin_with("BEGIN IMMEDIATE").await?;
        Ok(Tx { inner })
    }

    /// Starts a read-only transaction on the reader pool: a consistent snapshot for pages and exports.
    pub async fn read(&self) -> Result<Tx> {
        let inner = self.read.begin().await?;
        Ok(Tx { inner })
    }

    /// Writes a consistent copy of the database to `out` while others keep using it (`VACUUM INTO`).
    pub async fn backup_into(&self, out: &Path) -> Result<()> {
        let target = out.to_string_lossy().into_owned();
        sqlx::query("VACUUM INTO ?1").bind(target).execute(&self.write).await?;
        Ok(())
    }

    /// Runs SQLite's integrity check; returns the problems it lists (empty when sound).
    pub async fn integrity_problems(&self) -> Result<Vec<String>> {
        let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&self.read).await?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes both pools, checkpointing the WAL.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

async fn applied_count(conn: &mut sqlx::SqliteConnection) -> i64 {
    // Before the first migration the bookkeeping table does not exist; that counts as zero.
    sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success = 1").fetch_one(conn).await.unwrap_or(0)
}

impl Tx {
    /// Commits the transaction.
    pub async fn commit(self) -> Result<()> {
        self.inner.commit().await?;
        Ok(())
    }

    pub(crate) fn conn(&mut self) -> &mut sqlx::SqliteConnection {
        &mut self.inner
    }
}
