//! Use-cases of ipbridge. Each public function authorises the actor, runs one transaction that holds
//! the change and its audit record, and returns domain values. The web handlers and the command line
//! both come through here, so every rule is enforced (and tested) once.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod chains;
pub mod config;
pub mod demands;
pub mod demo;
mod demo_indicators;
pub mod demo_patents;
mod demo_revitalisation;
mod error;
pub mod exports;
pub mod imports;
pub mod indicators;
pub mod maintenance;
pub mod matches;
pub mod notifications;
pub mod org_import;
pub mod orgs;
pub mod patents;
pub mod profiles;
pub mod reference;
pub mod revitalisation;
pub mod search;
mod secrets;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ipbridge_domain::Permission;
use ipbridge_domain::account::User;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::calendar::WorkCalendar;
use ipbridge_domain::policy::Policy;
use ipbridge_store::{NewAuditEntry, SettingsStore};

pub use config::Settings;
pub use error::{ErrorCode, FieldErrors, LoginError, Result, ServiceError};
/// File formats and the import templates, for the web and command line.
pub use ipbridge_ingest::{Format, demand_template_xlsx, org_template_xlsx, patent_template_xlsx};
pub use ipbridge_store::{
    AuditFilter, Conflict, DATABASE_FILE, Db, DemandFilter, EnterpriseProfile, EnterpriseProfileInput, HighValueFilter,
    ImportCounts, ImportRecord, ImportStatus, ListedFacts, ListedPatent, MatchFilter, MatchRecord, MatchSort,
    OrgFilter, PatentFilter, PatentSort, PlaceFilter, ProfileDemand, StoredChain, UserFilter,
};

/// The built-in policy of the first city, used when no `--policy` file is given.
pub use ipbridge_domain::policy::ANKANG_2024_TOML as BUILTIN_POLICY;

/// Who is acting, from where, in which request: everything an audit record needs about the caller.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The logged-in account; none for anonymous visitors and the command line.
    pub user: Option<User>,
    /// Client address (`cli` for the command line).
    pub ip: String,
    /// Request id, echoed on error pages.
    pub request_id: String,
    /// Where the action comes from.
    pub origin: Origin,
}

/// Where an action comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A browser or API client; permissions apply.
    Web,
    /// The local operator at the command line, who has the machine and so every permission.
    Cli,
    /// The platform's own housekeeping (session purges, first-start seeding).
    System,
}

impl Actor {
    /// Whether this is the local operator at the command line.
    pub fn is_cli(&self) -> bool {
        self.origin == Origin::Cli
    }

    /// The local operator at the command line: trusted, audited as `cli`.
    pub fn cli() -> Self {
        Self {
            user: None,
            ip: "cli".to_owned(),
            request_id: format!("cli-{}", secrets::random_hex(6)),
            origin: Origin::Cli,
        }
    }

    /// The platform itself, for housekeeping it records (session purges, first-start seeding).
    pub fn system() -> Self {
        Self {
            user: None,
            ip: "local".to_owned(),
            request_id: format!("system-{}", secrets::random_hex(6)),
            origin: Origin::System,
        }
    }

    /// An anonymous web visitor.
    pub fn anonymous(ip: impl Into<String>, request_id: impl Into<String>) -> Self {
        Self { user: None, ip: ip.into(), request_id: request_id.into(), origin: Origin::Web }
    }

    /// The logged-in account, or `Unauthenticated`.
    pub fn user(&self) -> Result<&User> {
        self.user.as_ref().ok_or(ServiceError::Unauthenticated)
    }

    /// A logged-in web actor.
    pub fn logged_in(user: User, ip: impl Into<String>, request_id: impl Into<String>) -> Self {
        Self { user: Some(user), ip: ip.into(), request_id: request_id.into(), origin: Origin::Web }
    }

    /// Passes for the command line and for any logged-in account (data every account may read).
    pub fn authenticated(&self) -> Result<()> {
        if self.origin == Origin::Cli || self.user.is_some() { Ok(()) } else { Err(ServiceError::Unauthenticated) }
    }

    /// Passes for the command line and for accounts holding `p`; returns the account when there is one.
    pub fn authorise(&self, p: Permission) -> Result<Option<&User>> {
        if self.origin == Origin::Cli {
            return Ok(None);
        }
        self.require(p).map(Some)
    }

    /// The logged-in account when it holds `p`, else `Forbidden`.
    pub fn require(&self, p: Permission) -> Result<&User> {
        let user = self.user()?;
        if user.can(p) { Ok(user) } else { Err(ServiceError::Forbidden) }
    }

    /// The name audit records carry.
    pub fn name(&self) -> String {
        match &self.user {
            Some(u) => u.username.clone(),
            None if self.origin == Origin::Cli => "cli".to_owned(),
            None if self.origin == Origin::System => "system".to_owned(),
            None => "anonymous".to_owned(),
        }
    }

    /// Builds an audit entry for this actor.
    pub fn audit(
        &self,
        action: Action,
        object_type: &str,
        object_id: impl ToString,
        outcome: Outcome,
        detail: serde_json::Value,
    ) -> NewAuditEntry {
        NewAuditEntry {
            at: Utc::now(),
            actor_id: self.user.as_ref().map(|u| u.id.get()),
            actor_name: self.name(),
            org_id: self.user.as_ref().map(|u| u.org_id.get()),
            ip: self.ip.clone(),
            action,
            object_type: object_type.to_owned(),
            object_id: object_id.to_string(),
            outcome,
            request_id: self.request_id.clone(),
            detail: detail.to_string(),
        }
    }
}

/// The application: database, policy, settings and the server's secret key.
#[derive(Clone)]
pub struct App {
    /// The database.
    pub db: Db,
    /// The city's policy, validated.
    pub policy: Arc<Policy>,
    /// Operator settings.
    pub settings: Arc<Settings>,
    /// The working-day calendar the policy names (inquiry deadlines count working days).
    pub calendar: Arc<WorkCalendar>,
    key: Arc<[u8; 32]>,
    clock: Arc<Clock>,
    /// The search engine, opened on first use (opening loads the segmentation dictionary).
    search: Arc<tokio::sync::OnceCell<Arc<search::SearchEngine>>>,
    /// The indicator refresh job (one run at a time; requests coalesce).
    indicators: Arc<indicators::refresh::Jobs>,
}

/// The platform's clock: real time plus an offset that simulations and tests advance, so that lockouts,
/// idle timeouts and password expiry are exercised without waiting.
#[derive(Debug, Default)]
pub struct Clock {
    offset_seconds: std::sync::atomic::AtomicI64,
}

impl Clock {
    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::seconds(self.offset_seconds.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_seconds.fetch_add(by.num_seconds(), std::sync::atomic::Ordering::Relaxed);
    }
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is deliberately left out: nothing secret goes to logs.
        f.debug_struct("App").field("db", &self.db.path()).finish_non_exhaustive()
    }
}

/// Why the application could not start; one line each.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The data directory could not be created.
    #[error("cannot create data directory {0}: {1}")]
    DataDir(String, std::io::Error),
    /// The policy file could not be read.
    #[error("cannot read policy file {0}: {1}")]
    PolicyRead(String, std::io::Error),
    /// The policy file is invalid.
    #[error("policy file {0}: {1}")]
    Policy(String, ipbridge_domain::policy::PolicyError),
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Store(#[from] ipbridge_store::StoreError),
}

/// Loads the holiday calendar the policy names: the file of that name beside the policy file when there is
/// one (a city keeps its own copy up to date), else the calendar shipped in the binary. `policy_path` is the
/// policy file (none: the built-in policy, which uses the shipped calendar).
pub fn load_calendar(policy: &Policy, policy_path: Option<&Path>) -> std::result::Result<WorkCalendar, StartError> {
    let dir = policy_path.map(|p| p.parent().unwrap_or_else(|| Path::new(".")).to_owned());
    let read = |name: &str| dir.as_ref().and_then(|d| std::fs::read_to_string(d.join(name)).ok());
    let label = policy_path.map_or_else(|| "(built-in)".to_owned(), |p| p.display().to_string());
    policy.load_work_calendar(read).map_err(|e| StartError::Policy(label, e))
}

/// Reads and validates the policy named in the settings, or the built-in one.
pub fn load_policy(path: Option<&Path>) -> std::result::Result<Policy, StartError> {
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| StartError::PolicyRead(p.display().to_string(), e))?;
            Policy::from_toml_str(&text).map_err(|e| StartError::Policy(p.display().to_string(), e))
        }
        None => Policy::from_toml_str(BUILTIN_POLICY).map_err(|e| StartError::Policy("(built-in)".to_owned(), e)),
    }
}

impl App {
    /// Opens the data directory: creates it, opens and migrates the database, loads the server key and
    /// seeds the industry chains from the policy on first start.
    pub async fn open(settings: Settings, policy: Policy) -> std::result::Result<Self, StartError> {
        let dir = &settings.server.data_dir;
        std::fs::create_dir_all(dir).map_err(|e| StartError::DataDir(dir.display().to_string(), e))?;
        let db = Db::open_and_migrate(&dir.join(DATABASE_FILE)).await?;
        let key = secrets::load_or_create_key(&db).await?;
        let calendar = load_calendar(&policy, settings.server.policy.as_deref())?;
        let today = ipbridge_domain::revitalisation::local_date(Utc::now());
        if !calendar.covers(today) {
            // Uncovered years fall back to Monday–Friday: deadlines would ignore that year's holidays.
            tracing::warn!(
                year = today.format("%Y").to_string(),
                file = %policy.calendar.holidays,
                "the holiday calendar does not cover this year; working days count Monday–Friday only until the year's arrangement is added"
            );
        }
        let app = Self {
            db,
            policy: Arc::new(policy),
            settings: Arc::new(settings),
            calendar: Arc::new(calendar),
            key: Arc::new(key),
            clock: Arc::new(Clock::default()),
            search: Arc::new(tokio::sync::OnceCell::new()),
            indicators: indicators::refresh::jobs(),
        };
        chains::seed_from_policy(&app).await?;
        Ok(app)
    }

    /// Marks import runs left `running` by a stopped server as interrupted (their written batches are whole;
    /// importing the same file again completes them). Called when the server starts, never by other
    /// commands, which may run beside a live server.
    pub async fn mark_interrupted_imports(&self) -> Result<u64> {
        use ipbridge_store::ImportStore;
        let mut tx = self.db.begin().await?;
        let n = tx.mark_interrupted_imports(self.now()).await?;
        tx.commit().await?;
        if n > 0 {
            tracing::warn!(
                imports = n,
                "imports interrupted by the last stop were marked; import the same files again to complete them"
            );
        }
        Ok(n)
    }

    /// Whether any account exists (an empty platform tells the operator how to create the first one).
    pub async fn has_users(&self) -> Result<bool> {
        use ipbridge_store::UserStore;
        let mut tx = self.db.read().await?;
        Ok(tx.count_users(&Default::default()).await? > 0)
    }

    /// Appends one audit record in its own transaction (for events that change nothing else, such as a
    /// refused login or a denied request).
    pub async fn record(&self, entry: NewAuditEntry) -> Result<()> {
        use ipbridge_store::AuditStore;
        let mut tx = self.db.begin().await?;
        tx.append_audit(&entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The CSRF token bound to `binding` (the session token, or the anonymous visitor's cookie).
    pub fn csrf_token(&self, binding: &str) -> String {
        secrets::mac_hex(&self.key, "csrf", binding)
    }

    /// Whether `token` is the CSRF token bound to `binding` (constant-time).
    pub fn csrf_valid(&self, binding: &str, token: &str) -> bool {
        secrets::mac_verify(&self.key, "csrf", binding, token)
    }

    /// Current time; one place so tests and rules agree.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Today's date in China: deadlines, event days and working days are counted in local dates.
    pub fn china_today(&self) -> chrono::NaiveDate {
        auth::china_time(self.now()).date_naive()
    }

    /// The clock, to advance it in simulations and tests.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// A read of a setting (used by tests and the demo to check markers).
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let mut tx = self.db.read().await?;
        Ok(tx.setting(key).await?)
    }
}
