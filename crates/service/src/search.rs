//! Patent search and matching: the search engine beside the database, kept in step through the outbox.
//!
//! The database is the source of truth. Triggers write a `search_outbox` row in the same transaction as
//! every patent change; the indexer applies the rows to tantivy after the commit and deletes them. A search
//! first applies a short outbox itself, so a user finds what they have just imported; a long one (a bulk
//! import in progress) is left to the background indexer. An index that is missing, of another version or
//! unreadable is re-created and refilled from the database (`ipbridge reindex` does the same on demand).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use ipbridge_domain::Permission;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::ids::{OrgId, PatentId};
use ipbridge_domain::org::OrgKind;
use ipbridge_domain::patent::{LegalStatus, PatentRecord, PatentType, expiry_date};
use ipbridge_domain::policy::IndustryChain;
use ipbridge_ingest::{Cell, Table};
use ipbridge_search::matcher::IpcSource;
use ipbridge_search::profiles::ProfileSource;
use ipbridge_search::{
    Analyzer, EnterpriseIndex, EnterpriseProfile, Explanation, IndexOptions, MatchPlan, MatchRequest, OpenState,
    PatentDoc, PatentIndex, SearchError, SearchRequest,
};
use ipbridge_store::{
    ChainStore, OrgStore, PatentSummary, ProfileStore, ReferenceStore, SearchSource, SearchStore, StoredChain,
};
use serde::Serialize;
use serde_json::json;
use sm3::{Digest, Sm3};

pub use ipbridge_search::{Filters, MatchScope, Sort};

use crate::{Actor, App, FieldErrors, Result, ServiceError};

/// Directory of the patent index inside the data directory.
pub const INDEX_DIR: &str = "search/patents";
/// Outbox rows a search applies itself before searching; more are left to the background indexer.
const CATCH_UP_LIMIT: i64 = 2_000;
/// Outbox rows applied per index commit.
const OUTBOX_BATCH: i64 = 2_000;
/// Patents read per page during a rebuild.
const REBUILD_PAGE: i64 = 5_000;
/// Most hits one search export holds.
pub const SEARCH_EXPORT_LIMIT: usize = 10_000;
/// Enterprise profiles are rebuilt at least this often even when nothing seems to have changed.
const PROFILE_MAX_AGE: Duration = Duration::from_secs(600);
/// Patents of one enterprise that feed its profile (the most recent ones).
const PROFILE_PATENTS: usize = 200;

impl From<SearchError> for ServiceError {
    fn from(e: SearchError) -> Self {
        ServiceError::Internal(format!("search index: {e}"))
    }
}

/// The search engine of one process.
pub struct SearchEngine {
    index: PatentIndex,
    /// Set when the index was (re-)created empty and must be refilled; the reason, for the log.
    created: std::sync::Mutex<Option<String>>,
    /// One applier of the outbox at a time.
    apply: tokio::sync::Mutex<()>,
    /// Wakes the background indexer.
    wake: tokio::sync::Notify,
    profiles: tokio::sync::Mutex<Option<CachedProfiles>>,
    rebuilding: std::sync::atomic::AtomicBool,
}

struct CachedProfiles {
    built: Instant,
    fingerprint: String,
    index: Arc<EnterpriseIndex>,
}

impl std::fmt::Debug for SearchEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchEngine").field("index", &self.index).finish_non_exhaustive()
    }
}

/// The domain lexicon offered to the analyzer: the chains' keywords, and the pieces of 2–4 Han characters
/// between the punctuation of IPC titles (茶；茶代用品；其混合物；它们的制备 → 茶代用品, 其混合物). The analyzer keeps
/// only the words jieba would otherwise shatter. Sorted, without duplicates.
pub fn domain_lexicon<'a>(
    keywords: impl IntoIterator<Item = &'a str>,
    ipc_titles: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut words: Vec<String> = keywords.into_iter().map(str::to_owned).collect();
    for title in ipc_titles {
        for piece in title.split(|c: char| !is_han(c)) {
            if (2..=4).contains(&piece.chars().count()) {
                words.push(piece.to_owned());
            }
        }
    }
    words.sort();
    words.dedup();
    words
}

fn lexicon(chains: &[StoredChain], ipc_titles: &[String]) -> Vec<String> {
    domain_lexicon(
        chains.iter().flat_map(|c| c.keywords.iter().map(String::as_str)),
        ipc_titles.iter().map(String::as_str),
    )
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

fn to_chain(c: &StoredChain) -> IndustryChain {
    IndustryChain {
        code: c.code.clone(),
        name: c.name.clone(),
        ipc_prefixes: c.ipc_prefixes.clone(),
        keywords: c.keywords.clone(),
    }
}

/// The chains a patent belongs to: by an IPC code under one of the chain's prefixes, or by one of its
/// keywords in the title (the mapping the chain page shows).
pub fn chains_of(chains: &[IndustryChain], ipc_codes: &[String], title: &str) -> Vec<String> {
    chains
        .iter()
        .filter(|c| ipc_codes.iter().any(|code| c.matches_ipc(code)) || c.keywords.iter().any(|k| title.contains(k)))
        .map(|c| c.code.clone())
        .collect()
}

/// The index document of a stored patent.
fn document(source: &SearchSource, chains: &[IndustryChain]) -> Result<PatentDoc> {
    let record: PatentRecord = serde_json::from_str(&source.record)
        .map_err(|e| ServiceError::Internal(format!("patents.record of {}: {e}", source.id)))?;
    let ipc_codes: Vec<String> = record.ipc_codes.iter().map(|c| c.to_string()).collect();
    let claims = if record.claims.is_empty() { record.first_claim.clone() } else { record.claims.clone() };
    let filing_date = source
        .filing_date
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map(|d| i64::from(d.format("%Y%m%d").to_string().parse::<i32>().unwrap_or(0)));
    Ok(PatentDoc {
        id: source.id,
        application_no: source.application_no.clone(),
        chains: chains_of(chains, &ipc_codes, &record.title),
        title: record.title,
        abstract_text: record.abstract_text,
        claims,
        applicants: record.applicants.into_iter().map(|a| a.name).collect(),
        inventors: record.inventors,
        ipc_codes,
        patent_type: source.patent_type.clone(),
        legal_status: source.legal_status.clone(),
        in_force: source.in_force,
        in_pool: source.in_pool,
        owner_org_id: source.owner_org_id,
        county: source.county_code.clone(),
        filing_year: source.filing_year,
        filing_date,
    })
}

impl SearchEngine {
    /// Opens the index under the data directory with the lexicon from the database.
    async fn open(app: &App) -> Result<Self> {
        let (chains, titles) = {
            let mut tx = app.db.read().await?;
            (tx.chains().await?, tx.lexicon_titles().await?)
        };
        let words = lexicon(&chains, &titles);
        let tag = {
            let mut hash = Sm3::new();
            for w in &words {
                hash.update(w.as_bytes());
                hash.update(b"\n");
            }
            hex::encode(&hash.finalize()[..8])
        };
        let dir: PathBuf = app.settings.server.data_dir.join(INDEX_DIR);
        let opened = tokio::task::spawn_blocking(move || -> Result<(PatentIndex, OpenState)> {
            let analyzer = Analyzer::new(words.iter().map(String::as_str));
            match PatentIndex::open(&dir, analyzer.clone(), IndexOptions::default(), &tag) {
                Ok(opened) => Ok(opened),
                Err(SearchError::Locked(_)) => {
                    // The server holds the writer: search its index as it stands; it applies the outbox.
                    Ok((PatentIndex::open_read_only(&dir, analyzer)?, OpenState::Ready))
                }
                Err(e) => Err(e.into()),
            }
        })
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))??;
        let (index, state) = opened;
        let created = match state {
            OpenState::Ready => None,
            OpenState::Created(why) => Some(why),
        };
        Ok(Self {
            index,
            created: std::sync::Mutex::new(created),
            apply: tokio::sync::Mutex::new(()),
            wake: tokio::sync::Notify::new(),
            profiles: tokio::sync::Mutex::new(None),
            rebuilding: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The index.
    pub fn index(&self) -> &PatentIndex {
        &self.index
    }

    fn take_created(&self) -> Option<String> {
        self.created.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }

    /// Whether a rebuild is under way.
    pub fn is_rebuilding(&self) -> bool {
        self.rebuilding.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// How far the index is from the database.
#[derive(Debug, Clone, Serialize)]
pub struct SearchStatus {
    /// Patents in the index.
    pub indexed: u64,
    /// Patents in the database.
    pub patents: i64,
    /// Changes waiting in the outbox.
    pub pending: i64,
    /// A rebuild is running.
    pub rebuilding: bool,
    /// Index size on disk in bytes.
    pub size_bytes: u64,
    /// Whether this process writes the index (false: another process, the server, does).
    pub writable: bool,
}

/// The search form: what a user typed and chose.
#[derive(Debug, Clone, Default)]
pub struct PatentSearch {
    /// The search box.
    pub q: String,
    /// Filters (facet selections).
    pub filters: Filters,
    /// Order.
    pub sort: Sort,
    /// 1-based page.
    pub page: u32,
    /// Hits per page.
    pub per_page: u32,
}

/// One hit as the search page shows it.
#[derive(Debug, Clone)]
pub struct PatentHitView {
    /// The list columns.
    pub summary: PatentSummary,
    /// BM25 score (0 when sorted by date).
    pub score: f32,
    /// Title with matched words in `<b>` (escaped HTML).
    pub title_html: String,
    /// Abstract passage, escaped HTML.
    pub abstract_html: String,
    /// Claims passage when the claims matched, escaped HTML.
    pub claims_html: String,
    /// Applicants in order.
    pub applicants: Vec<String>,
    /// IPC codes.
    pub ipc_codes: Vec<String>,
}

/// A facet value with its Chinese label.
#[derive(Debug, Clone, Serialize)]
pub struct FacetValueView {
    /// The code used in the filter.
    pub value: String,
    /// What the user reads.
    pub label: String,
    /// Matching patents.
    pub count: u64,
}

/// A facet with its Chinese name.
#[derive(Debug, Clone, Serialize)]
pub struct FacetView {
    /// Filter parameter name.
    pub name: String,
    /// Chinese name.
    pub label: &'static str,
    /// Values, most frequent first.
    pub values: Vec<FacetValueView>,
}

/// A page of search results.
#[derive(Debug, Clone)]
pub struct PatentSearchPage {
    /// Matching patents in all.
    pub total: usize,
    /// The page's hits.
    pub hits: Vec<PatentHitView>,
    /// Facets.
    pub facets: Vec<FacetView>,
    /// The words searched for.
    pub terms: Vec<String>,
    /// Milliseconds the search took.
    pub elapsed_ms: u128,
    /// The index is being rebuilt: results may be incomplete.
    pub rebuilding: bool,
}

/// A text to match (a demand's or one typed ad hoc).
#[derive(Debug, Clone, Default)]
pub struct NeedText {
    /// Title.
    pub title: String,
    /// Description.
    pub text: String,
    /// IPC codes when known.
    pub ipc: Vec<String>,
    /// Chain code.
    pub chain: Option<String>,
}

/// A patent matched to a text, with everything its reasons need.
#[derive(Debug, Clone, Serialize)]
pub struct PatentMatchView {
    /// Patent id.
    pub patent_id: i64,
    /// Application number.
    pub application_no: String,
    /// Title.
    pub title: String,
    /// Type label.
    pub patent_type: &'static str,
    /// Legal status label.
    pub legal_status: &'static str,
    /// Legal status code.
    pub legal_status_code: &'static str,
    /// First applicant.
    pub first_applicant: String,
    /// Owner organisation on the platform.
    pub owner_org_id: Option<i64>,
    /// Owner organisation's name.
    pub owner_name: Option<String>,
    /// Score.
    pub score: f32,
    /// Score relative to the best hit, 0–100.
    pub relative: u8,
    /// Terms found, IPC shared, chain, highlighted text.
    pub explanation: Explanation,
    /// Names of the shared IPC levels' titles.
    pub shared_ipc_titles: Vec<String>,
    /// Statutory expiry.
    pub expiry: Option<NaiveDate>,
    /// Whole years of protection left (in force or pending).
    pub years_left: Option<i64>,
    /// Names of the patent's chains.
    pub chains: Vec<String>,
}

/// A match result: what was searched for and the ranked patents.
#[derive(Debug, Clone, Serialize)]
pub struct MatchResultView {
    /// Selected terms.
    pub terms: Vec<String>,
    /// IPC focus with titles: (code, title, share in %).
    pub ipc_focus: Vec<(String, String, u8)>,
    /// Whether the IPC focus was given or inferred.
    pub ipc_inferred: bool,
    /// The favoured chain's name.
    pub chain: Option<String>,
    /// Ranked patents.
    pub hits: Vec<PatentMatchView>,
    /// The plan, for saving with a match record.
    #[serde(skip)]
    pub plan: MatchPlan,
}

/// An enterprise ranked for a patent.
#[derive(Debug, Clone, Serialize)]
pub struct EnterpriseMatchView {
    /// Organisation id.
    pub org_id: i64,
    /// Name.
    pub name: String,
    /// County name.
    pub county: Option<String>,
    /// Score.
    pub score: f32,
    /// Relative to the best, 0–100.
    pub relative: u8,
    /// Terms found and where: 富硒（经营范围、技术需求）.
    pub reasons: Vec<String>,
    /// Shared IPC levels.
    pub shared_ipc: Vec<String>,
    /// Shared chains' names.
    pub shared_chains: Vec<String>,
}

/// One line of a batch match.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchLine {
    /// The query's id.
    pub query_id: String,
    /// Application number of the hit.
    pub application_no: String,
    /// 1-based rank.
    pub rank: usize,
    /// Score.
    pub score: f32,
}

fn facet_label(name: &str) -> &'static str {
    match name {
        "type" => "专利类型",
        "status" => "法律状态",
        "ipc_section" => "IPC部",
        "ipc_class" => "IPC大类",
        "county" => "所在县区",
        "chain" => "产业链",
        "year" => "申请年份",
        "owner" => "权利人（平台机构）",
        _ => "其他",
    }
}

impl App {
    /// The search engine, opened on first use. A new or re-created index is filled from the database
    /// before this returns (the server instead fills it in the background: see [`App::start_search`]).
    pub async fn search_engine(&self) -> Result<Arc<SearchEngine>> {
        let engine =
            self.search.get_or_try_init(|| async { SearchEngine::open(self).await.map(Arc::new) }).await?.clone();
        if let Some(why) = engine.take_created() {
            tracing::warn!(reason = %why, "search index created empty; rebuilding it from the database");
            self.rebuild_index(&engine, &|_, _| {}).await?;
        }
        Ok(engine)
    }

    /// Starts the search engine of the server: opens the index, rebuilds it in the background when it is
    /// missing, outdated or unreadable (with a log line), and runs the indexer that applies the outbox.
    pub async fn start_search(&self) -> Result<()> {
        let engine =
            self.search.get_or_try_init(|| async { SearchEngine::open(self).await.map(Arc::new) }).await?.clone();
        if let Some(why) = engine.take_created() {
            tracing::warn!(reason = %why, "search index missing or unusable; rebuilding it from the database");
            let app = self.clone();
            let background = engine.clone();
            tokio::spawn(async move {
                let started = Instant::now();
                match app.rebuild_index(&background, &|_, _| {}).await {
                    Ok(n) => tracing::info!(patents = n, seconds = started.elapsed().as_secs(), "search index rebuilt"),
                    Err(error) => tracing::error!(%error, "search index rebuild failed"),
                }
            });
        }
        let app = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = engine.wake.notified() => {}
                    () = tokio::time::sleep(Duration::from_secs(2)) => {}
                }
                if engine.is_rebuilding() {
                    continue;
                }
                if let Err(error) = app.apply_outbox(&engine, i64::MAX).await {
                    tracing::error!(%error, "search indexer failed; retrying");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            }
        });
        Ok(())
    }

    /// Applies outbox rows to the index, at most `limit` rows (all with `i64::MAX`); returns how many.
    async fn apply_outbox(&self, engine: &Arc<SearchEngine>, limit: i64) -> Result<usize> {
        if !engine.index.is_writable() {
            return Ok(0);
        }
        let _guard = engine.apply.lock().await;
        let mut applied = 0usize;
        while (applied as i64) < limit {
            let (batch, chains) = {
                let mut tx = self.db.read().await?;
                (tx.outbox_batch(OUTBOX_BATCH).await?, tx.chains().await?)
            };
            let Some(last) = batch.last().map(|e| e.id) else { break };
            if batch.iter().any(|e| e.patent_id.is_none()) {
                // A chain changed: every document may change.
                drop(_guard);
                self.rebuild_index(engine, &|_, _| {}).await?;
                return Ok(applied + batch.len());
            }
            let mut ids: Vec<i64> = batch.iter().filter_map(|e| e.patent_id).collect();
            ids.sort_unstable();
            ids.dedup();
            let sources = {
                let mut tx = self.db.read().await?;
                tx.search_sources(&ids).await?
            };
            let chains: Vec<IndustryChain> = chains.iter().filter(|c| c.active).map(to_chain).collect();
            let present: HashSet<i64> = sources.iter().map(|s| s.id).collect();
            let deleted: Vec<i64> = ids.iter().copied().filter(|id| !present.contains(id)).collect();
            let mut docs = Vec::with_capacity(sources.len());
            for source in &sources {
                match document(source, &chains) {
                    Ok(doc) => docs.push(doc),
                    // One unreadable record must not stop the indexer; it stays findable by nothing.
                    Err(error) => tracing::error!(patent = source.id, %error, "patent not indexed"),
                }
            }
            let engine2 = engine.clone();
            tokio::task::spawn_blocking(move || -> Result<()> {
                engine2.index.delete(&deleted)?;
                engine2.index.upsert(&docs)?;
                engine2.index.commit()?;
                Ok(())
            })
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))??;
            let mut tx = self.db.begin().await?;
            tx.outbox_delete_through(last).await?;
            tx.commit().await?;
            applied += batch.len();
        }
        Ok(applied)
    }

    /// Refills the index from the database; `progress(done, total)` is called after each page.
    pub async fn rebuild_index(&self, engine: &Arc<SearchEngine>, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<u64> {
        if !engine.index.is_writable() {
            return Err(ServiceError::Internal(
                "另一个进程（正在运行的服务）持有检索索引，请停止服务后再重建，或由服务自动更新".to_owned(),
            ));
        }
        let _guard = engine.apply.lock().await;
        engine.rebuilding.store(true, std::sync::atomic::Ordering::Relaxed);
        let result = self.rebuild_locked(engine, progress).await;
        engine.rebuilding.store(false, std::sync::atomic::Ordering::Relaxed);
        result
    }

    async fn rebuild_locked(&self, engine: &Arc<SearchEngine>, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<u64> {
        let (last_outbox, total, chains) = {
            let mut tx = self.db.read().await?;
            (tx.outbox_last_id().await?, tx.patent_total().await?, tx.chains().await?)
        };
        let chains: Vec<IndustryChain> = chains.iter().filter(|c| c.active).map(to_chain).collect();
        let clear = engine.clone();
        tokio::task::spawn_blocking(move || clear.index.clear())
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))??;
        let total = u64::try_from(total).unwrap_or(0);
        let mut after = 0i64;
        let mut done = 0u64;
        loop {
            let sources = {
                let mut tx = self.db.read().await?;
                tx.search_sources_after(after, REBUILD_PAGE).await?
            };
            let Some(last) = sources.last().map(|s| s.id) else { break };
            after = last;
            let mut docs = Vec::with_capacity(sources.len());
            for source in &sources {
                match document(source, &chains) {
                    Ok(doc) => docs.push(doc),
                    Err(error) => tracing::error!(patent = source.id, %error, "patent not indexed"),
                }
            }
            done += sources.len() as u64;
            let add = engine.clone();
            tokio::task::spawn_blocking(move || add.index.add_new(&docs))
                .await
                .map_err(|e| ServiceError::Internal(e.to_string()))??;
            progress(done, total.max(done));
        }
        let commit = engine.clone();
        tokio::task::spawn_blocking(move || commit.index.commit())
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))??;
        // Changes after the snapshot stay in the outbox and are applied again (upserts are idempotent).
        let mut tx = self.db.begin().await?;
        tx.outbox_delete_through(last_outbox).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// The engine, with a short outbox applied first so that a user finds what they have just changed.
    async fn fresh_engine(&self) -> Result<Arc<SearchEngine>> {
        let engine = self.search_engine().await?;
        if engine.index.is_writable() && !engine.is_rebuilding() {
            let pending = {
                let mut tx = self.db.read().await?;
                tx.outbox_len().await?
            };
            if pending > 0 && pending <= CATCH_UP_LIMIT {
                self.apply_outbox(&engine, CATCH_UP_LIMIT).await?;
            } else if pending > 0 {
                engine.wake.notify_one();
            }
        }
        Ok(engine)
    }

    /// Applies every pending outbox row now (the command line and tests; the server's indexer does it on
    /// its own). Returns how many rows were applied.
    pub async fn sync_search(&self) -> Result<usize> {
        let engine = self.search_engine().await?;
        self.apply_outbox(&engine, i64::MAX).await
    }

    /// Rebuilds the index from the database (`ipbridge reindex`), audited.
    pub async fn reindex(&self, actor: &Actor, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<u64> {
        actor.authorise(Permission::ManageConfig)?;
        let engine = self.search_engine().await?;
        let started = Instant::now();
        let n = self.rebuild_index(&engine, progress).await?;
        self.record(actor.audit(
            Action::SearchReindex,
            "search_index",
            "",
            Outcome::Success,
            json!({"patents": n, "seconds": started.elapsed().as_secs()}),
        ))
        .await?;
        Ok(n)
    }

    /// How far the index is from the database.
    pub async fn search_status(&self, actor: &Actor) -> Result<SearchStatus> {
        actor.authorise(Permission::ManageConfig)?;
        let engine = self.search_engine().await?;
        let mut tx = self.db.read().await?;
        Ok(SearchStatus {
            indexed: engine.index.num_docs(),
            patents: tx.patent_total().await?,
            pending: tx.outbox_len().await?,
            rebuilding: engine.is_rebuilding(),
            size_bytes: engine.index.size_on_disk(),
            writable: engine.index.is_writable(),
        })
    }

    /// Runs a search from the search page or the API. Bibliographic data is public: any logged-in account.
    pub async fn search_patents(&self, actor: &Actor, search: &PatentSearch) -> Result<PatentSearchPage> {
        actor.authenticated()?;
        let started = Instant::now();
        let engine = self.fresh_engine().await?;
        let per_page = search.per_page.clamp(1, 100) as usize;
        let page = search.page.max(1) as usize;
        let request = SearchRequest {
            query: search.q.chars().take(500).collect(),
            filters: search.filters.clone(),
            sort: search.sort,
            offset: (page - 1) * per_page,
            limit: per_page,
            facets: true,
        };
        let run = engine.clone();
        let results = tokio::task::spawn_blocking(move || run.index.search(&request))
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))??;
        let ids: Vec<i64> = results.hits.iter().map(|h| h.id).collect();
        let mut tx = self.db.read().await?;
        let rows = tx.patent_hits(&ids).await?;
        let scores: HashMap<i64, f32> = results.hits.iter().map(|h| (h.id, h.score)).collect();
        let hits = rows
            .into_iter()
            .map(|(summary, record)| PatentHitView {
                score: scores.get(&summary.id.get()).copied().unwrap_or(0.0),
                title_html: results.highlighter.title_html(&record.title),
                abstract_html: results.highlighter.abstract_html(&record.abstract_text),
                claims_html: results.highlighter.claims_html(if record.claims.is_empty() {
                    &record.first_claim
                } else {
                    &record.claims
                }),
                applicants: record.applicants.iter().map(|a| a.name.clone()).collect(),
                ipc_codes: record.ipc_codes.iter().map(|c| c.to_string()).collect(),
                summary,
            })
            .collect();
        let facets = self.label_facets(&mut tx, &results.facets).await?;
        Ok(PatentSearchPage {
            total: results.total,
            hits,
            facets,
            terms: results.terms,
            elapsed_ms: started.elapsed().as_millis(),
            rebuilding: engine.is_rebuilding(),
        })
    }

    async fn label_facets(
        &self,
        tx: &mut ipbridge_store::Tx,
        facets: &[ipbridge_search::Facet],
    ) -> Result<Vec<FacetView>> {
        let chains: HashMap<String, String> = tx.chains().await?.into_iter().map(|c| (c.code, c.name)).collect();
        let ipc_codes: Vec<String> = facets
            .iter()
            .filter(|f| f.name.starts_with("ipc_"))
            .flat_map(|f| f.values.iter().map(|v| v.value.clone()))
            .collect();
        let ipc_titles = tx.ipc_titles(&ipc_codes).await?;
        let mut out = Vec::with_capacity(facets.len());
        for facet in facets {
            let mut values = Vec::with_capacity(facet.values.len());
            for v in &facet.values {
                let label = match facet.name.as_str() {
                    "type" => v.value.parse::<PatentType>().map(|t| t.label().to_owned()).unwrap_or(v.value.clone()),
                    "status" => v.value.parse::<LegalStatus>().map(|s| s.label().to_owned()).unwrap_or(v.value.clone()),
                    "ipc_section" | "ipc_class" => match ipc_titles.get(&v.value) {
                        Some(t) => format!("{} {}", v.value, short(t, 14)),
                        None => v.value.clone(),
                    },
                    "county" => self.policy.county(&v.value).map(|c| c.name.clone()).unwrap_or(v.value.clone()),
                    "chain" => chains.get(&v.value).cloned().unwrap_or(v.value.clone()),
                    "owner" => match v.value.parse::<i64>().ok().filter(|id| *id > 0).map(OrgId::new) {
                        Some(id) => tx.org(id).await?.map(|o| o.name).unwrap_or(v.value.clone()),
                        None => v.value.clone(),
                    },
                    _ => v.value.clone(),
                };
                values.push(FacetValueView { value: v.value.clone(), label, count: v.count });
            }
            out.push(FacetView { name: facet.name.clone(), label: facet_label(&facet.name), values });
        }
        Ok(out)
    }

    /// Every hit of a search (up to [`SEARCH_EXPORT_LIMIT`]) as an xlsx workbook, audited.
    pub async fn export_search(&self, actor: &Actor, search: &PatentSearch) -> Result<Vec<u8>> {
        actor.authenticated()?;
        let engine = self.fresh_engine().await?;
        let request = SearchRequest {
            query: search.q.chars().take(500).collect(),
            filters: search.filters.clone(),
            sort: search.sort,
            offset: 0,
            limit: SEARCH_EXPORT_LIMIT,
            facets: false,
        };
        let run = engine.clone();
        let results = tokio::task::spawn_blocking(move || run.index.search(&request))
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))??;
        if results.total > SEARCH_EXPORT_LIMIT {
            let mut e = FieldErrors::new();
            e.add(
                "q",
                format!("检索结果有{}件，超过单次导出上限{SEARCH_EXPORT_LIMIT}件，请缩小检索范围", results.total),
            );
            return Err(ServiceError::Invalid(e));
        }
        let ids: Vec<i64> = results.hits.iter().map(|h| h.id).collect();
        let rows = {
            let mut tx = self.db.read().await?;
            tx.patent_hits(&ids).await?
        };
        let mut t = Table::new(
            "检索结果",
            &["序号", "申请号", "专利名称", "专利类型", "申请日", "法律状态", "申请人", "主分类号", "分类号", "摘要"],
        );
        for (i, (summary, record)) in rows.iter().enumerate() {
            t.push(vec![
                Cell::from((i + 1) as i64),
                Cell::from(summary.application_no.as_str()),
                Cell::from(summary.title.as_str()),
                Cell::from(summary.patent_type.label()),
                Cell::from(summary.filing_date.map(|d| d.to_string())),
                Cell::from(summary.legal_status.label()),
                Cell::from(record.applicants.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join("；")),
                Cell::from(summary.main_ipc.clone()),
                Cell::from(record.ipc_codes.iter().map(|c| c.to_string()).collect::<Vec<_>>().join("；")),
                Cell::from(record.abstract_text.as_str()),
            ]);
        }
        let bytes = t.to_xlsx().map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.record(actor.audit(
            Action::ListExport,
            "search",
            "",
            Outcome::Success,
            json!({"rows": t.rows.len(), "q": search.q}),
        ))
        .await?;
        Ok(bytes)
    }

    /// Patents matching a text (a need typed by an enterprise, a demand), ranked and explained.
    pub async fn match_need(
        &self,
        actor: &Actor,
        need: &NeedText,
        scope: MatchScope,
        exclude: Vec<i64>,
        limit: usize,
    ) -> Result<MatchResultView> {
        actor.authenticated()?;
        if need.title.trim().is_empty() && need.text.trim().is_empty() {
            let mut e = FieldErrors::new();
            e.add("text", "请填写技术需求的名称或描述");
            return Err(ServiceError::Invalid(e));
        }
        let engine = self.fresh_engine().await?;
        let request = MatchRequest {
            title: need.title.chars().take(200).collect(),
            text: need.text.chars().take(5_000).collect(),
            ipc: need.ipc.clone(),
            chain: need.chain.clone(),
            scope,
            filters: Filters { exclude, ..Filters::default() },
            limit: limit.clamp(1, 200),
            skip_ipc_feedback: false,
        };
        let run = engine.clone();
        let (plan, hits) = tokio::task::spawn_blocking(move || run.index.match_text(&request))
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))??;
        self.build_match_view(plan, hits).await
    }

    async fn build_match_view(&self, plan: MatchPlan, hits: Vec<ipbridge_search::MatchHit>) -> Result<MatchResultView> {
        let ids: Vec<i64> = hits.iter().map(|h| h.id).collect();
        let mut tx = self.db.read().await?;
        let rows = tx.patent_hits(&ids).await?;
        let chains_stored = tx.chains().await?;
        let chain_names: HashMap<String, String> =
            chains_stored.iter().map(|c| (c.code.clone(), c.name.clone())).collect();
        let chains: Vec<IndustryChain> = chains_stored.iter().filter(|c| c.active).map(to_chain).collect();
        let focus_codes: Vec<String> = plan.ipc_focus.iter().map(|(c, _)| c.clone()).collect();
        let titles = tx.ipc_titles(&focus_codes).await?;
        let today = self.china_today();
        let by_id: HashMap<i64, ipbridge_search::MatchHit> = hits.iter().map(|h| (h.id, *h)).collect();
        let mut views = Vec::with_capacity(rows.len());
        for (summary, record) in rows {
            let Some(hit) = by_id.get(&summary.id.get()) else { continue };
            let ipc_codes: Vec<String> = record.ipc_codes.iter().map(|c| c.to_string()).collect();
            let patent_chains = chains_of(&chains, &ipc_codes, &record.title);
            let explanation = plan.explain(&record.title, &record.abstract_text, &ipc_codes, &patent_chains);
            let expiry = record.filing_date.map(|d| expiry_date(record.patent_type, d));
            let alive = record.legal_status.in_force() || record.legal_status == LegalStatus::Pending;
            let years_left = expiry.filter(|_| alive).map(|e| ((e - today).num_days() / 365).max(0));
            views.push(PatentMatchView {
                patent_id: summary.id.get(),
                application_no: summary.application_no.clone(),
                title: record.title.clone(),
                patent_type: summary.patent_type.label(),
                legal_status: summary.legal_status.label(),
                legal_status_code: summary.legal_status.code(),
                first_applicant: summary.first_applicant.clone(),
                owner_org_id: summary.owner_org_id.map(|o| o.get()),
                owner_name: summary.owner_name.clone(),
                score: hit.score,
                relative: hit.relative,
                shared_ipc_titles: explanation
                    .shared_ipc
                    .iter()
                    .map(|c| match titles.get(c) {
                        Some(t) => format!("{c} {}", short(t, 20)),
                        None => c.clone(),
                    })
                    .collect(),
                explanation,
                expiry,
                years_left,
                chains: patent_chains.iter().filter_map(|c| chain_names.get(c).cloned()).collect(),
            });
        }
        Ok(MatchResultView {
            terms: plan.terms.iter().map(|(t, _)| t.clone()).collect(),
            ipc_focus: plan
                .ipc_focus
                .iter()
                .map(|(c, share)| {
                    (c.clone(), titles.get(c).map(|t| short(t, 24)).unwrap_or_default(), (share * 100.0).round() as u8)
                })
                .collect(),
            ipc_inferred: plan.ipc_source == Some(IpcSource::Inferred),
            chain: plan.chain.as_ref().and_then(|c| chain_names.get(c).cloned()),
            hits: views,
            plan,
        })
    }

    /// The active industry chains as (code, name), for choosing one in a form. Any logged-in account.
    pub async fn chain_choices(&self, actor: &Actor) -> Result<Vec<(String, String)>> {
        actor.authenticated()?;
        let mut tx = self.db.read().await?;
        Ok(tx.chains().await?.into_iter().filter(|c| c.active).map(|c| (c.code, c.name)).collect())
    }

    /// Patents similar to one patent (its title, abstract and IPC), itself excluded.
    pub async fn similar_patents(&self, actor: &Actor, id: PatentId, limit: usize) -> Result<MatchResultView> {
        actor.authenticated()?;
        let (record, chains) = {
            let mut tx = self.db.read().await?;
            let hits = tx.patent_hits(&[id.get()]).await?;
            let (_, record) = hits.into_iter().next().ok_or(ServiceError::NotFound)?;
            (record, tx.chains().await?)
        };
        let ipc: Vec<String> = record.ipc_codes.iter().map(|c| c.main_group()).collect();
        let chains: Vec<IndustryChain> = chains.iter().filter(|c| c.active).map(to_chain).collect();
        let codes: Vec<String> = record.ipc_codes.iter().map(|c| c.to_string()).collect();
        let need = NeedText {
            title: record.title.clone(),
            text: record.abstract_text.clone(),
            ipc,
            chain: chains_of(&chains, &codes, &record.title).into_iter().next(),
        };
        self.match_need(actor, &need, MatchScope::All, vec![id.get()], limit).await
    }

    /// The enterprise profile index, rebuilt when its inputs changed.
    async fn enterprise_index(&self, engine: &Arc<SearchEngine>) -> Result<Arc<EnterpriseIndex>> {
        let fingerprint = {
            let mut tx = self.db.read().await?;
            tx.profile_fingerprint().await?
        };
        let mut cached = engine.profiles.lock().await;
        if let Some(c) = cached.as_ref()
            && c.fingerprint == fingerprint
            && c.built.elapsed() < PROFILE_MAX_AGE
        {
            return Ok(c.index.clone());
        }
        let (inputs, pairs, chains) = {
            let mut tx = self.db.read().await?;
            (tx.enterprise_profile_inputs().await?, tx.enterprise_patent_pairs().await?, tx.chains().await?)
        };
        let chains: Vec<IndustryChain> = chains.iter().filter(|c| c.active).map(to_chain).collect();
        let mut by_org: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for (org, patent) in pairs {
            let list = by_org.entry(org.get()).or_default();
            if list.len() < PROFILE_PATENTS * 4 {
                list.push(patent.get());
            }
        }
        let mut profiles = Vec::with_capacity(inputs.len());
        for input in inputs {
            let mut ids = by_org.remove(&input.org_id.get()).unwrap_or_default();
            // The most recent patents say most about what the enterprise works on now.
            ids.sort_unstable_by(|a, b| b.cmp(a));
            ids.truncate(PROFILE_PATENTS);
            let sources = {
                let mut tx = self.db.read().await?;
                tx.search_sources(&ids).await?
            };
            let mut patents = Vec::new();
            let mut ipc_codes: Vec<String> = Vec::new();
            let mut chain_codes = input.chain_codes.clone();
            for source in &sources {
                if let Ok(doc) = document(source, &chains) {
                    patents.push(format!("{}。{}", doc.title, doc.abstract_text));
                    ipc_codes.extend(doc.ipc_codes);
                    chain_codes.extend(doc.chains);
                }
            }
            let mut demands = Vec::new();
            for d in &input.demands {
                demands.push(format!("{}。{}", d.title, d.description));
                ipc_codes.extend(d.ipc_codes.iter().cloned());
                chain_codes.extend(d.chain_code.iter().cloned());
            }
            chain_codes.sort();
            chain_codes.dedup();
            profiles.push(EnterpriseProfile {
                org_id: input.org_id.get(),
                name: input.name,
                business_scope: input.business_scope,
                demands,
                patents,
                ipc_codes,
                chains: chain_codes,
            });
        }
        let analyzer = engine.index.analyzer().clone();
        let index = tokio::task::spawn_blocking(move || EnterpriseIndex::build(&analyzer, profiles))
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))??;
        let index = Arc::new(index);
        *cached = Some(CachedProfiles { built: Instant::now(), fingerprint, index: index.clone() });
        Ok(index)
    }

    /// Enterprises most likely to want a patent, from their technology profiles. The bureau sees this for
    /// every patent; an institution for the patents it holds.
    pub async fn match_enterprises(
        &self,
        actor: &Actor,
        id: PatentId,
        limit: usize,
    ) -> Result<Vec<EnterpriseMatchView>> {
        actor.authenticated()?;
        let (summary, record) = {
            let mut tx = self.db.read().await?;
            tx.patent_hits(&[id.get()]).await?.into_iter().next().ok_or(ServiceError::NotFound)?
        };
        // The bureau (and the command line) for any patent; a holder for its own.
        let holder = actor.user.as_ref().is_some_and(|u| summary.owner_org_id == Some(u.org_id));
        if !(actor.authorise(Permission::ManageMatches).is_ok() || holder) {
            return Err(ServiceError::Forbidden);
        }
        let engine = self.fresh_engine().await?;
        let profiles = self.enterprise_index(&engine).await?;
        let chains = {
            let mut tx = self.db.read().await?;
            tx.chains().await?
        };
        let chain_names: HashMap<String, String> = chains.iter().map(|c| (c.code.clone(), c.name.clone())).collect();
        let active: Vec<IndustryChain> = chains.iter().filter(|c| c.active).map(to_chain).collect();
        let codes: Vec<String> = record.ipc_codes.iter().map(|c| c.to_string()).collect();
        let patent_chains = chains_of(&active, &codes, &record.title);
        let run = engine.clone();
        let title = record.title.clone();
        let abstract_text = record.abstract_text.clone();
        let ranked = tokio::task::spawn_blocking(move || {
            profiles.rank(&run.index, &title, &abstract_text, &codes, &patent_chains, limit.clamp(1, 100))
        })
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))??;
        let mut tx = self.db.read().await?;
        let mut out = Vec::with_capacity(ranked.len());
        for m in ranked {
            // The holder itself is not a buyer of its own patent.
            if Some(m.org_id) == summary.owner_org_id.map(|o| o.get()) {
                continue;
            }
            if m.org_id <= 0 {
                continue;
            }
            let Some(org) = tx.org(OrgId::new(m.org_id)).await? else { continue };
            if org.kind != OrgKind::Enterprise {
                continue;
            }
            out.push(EnterpriseMatchView {
                org_id: m.org_id,
                county: org.county_code.as_deref().and_then(|c| self.policy.county(c)).map(|c| c.name.clone()),
                name: org.name,
                score: m.score,
                relative: m.relative,
                reasons: m
                    .matched_terms
                    .iter()
                    .map(|(term, sources)| {
                        let places: Vec<&str> = sources.iter().map(|s: &ProfileSource| s.label()).collect();
                        format!("{term}（{}）", places.join("、"))
                    })
                    .collect(),
                shared_ipc: m.shared_ipc,
                shared_chains: m.shared_chains.iter().filter_map(|c| chain_names.get(c).cloned()).collect(),
            });
        }
        Ok(out)
    }

    /// The batch interface: each query matched, `top` hits each (`ipbridge match`).
    pub async fn batch_match(
        &self,
        actor: &Actor,
        queries: &[(String, String)],
        top: usize,
        scope: MatchScope,
    ) -> Result<Vec<BatchLine>> {
        actor.authenticated()?;
        let engine = self.fresh_engine().await?;
        let mut lines = Vec::with_capacity(queries.len() * top);
        for (query_id, text) in queries {
            let request =
                MatchRequest { text: text.clone(), scope, limit: top.clamp(1, 1000), ..MatchRequest::default() };
            let run = engine.clone();
            let (_, hits) = tokio::task::spawn_blocking(move || run.index.match_text(&request))
                .await
                .map_err(|e| ServiceError::Internal(e.to_string()))??;
            let ids: Vec<i64> = hits.iter().map(|h| h.id).collect();
            let numbers: HashMap<i64, String> = {
                let mut tx = self.db.read().await?;
                tx.search_sources(&ids).await?.into_iter().map(|s| (s.id, s.application_no)).collect()
            };
            for (rank, hit) in hits.iter().enumerate() {
                if let Some(no) = numbers.get(&hit.id) {
                    lines.push(BatchLine {
                        query_id: query_id.clone(),
                        application_no: no.clone(),
                        rank: rank + 1,
                        score: hit.score,
                    });
                }
            }
        }
        Ok(lines)
    }
}

/// At most `n` characters of `text`, with "…" when cut.
fn short(text: &str, n: usize) -> String {
    let mut s: String = text.chars().take(n).collect();
    if text.chars().count() > n {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexicon_takes_short_title_pieces_and_chain_keywords() {
        let chain = StoredChain {
            id: 1,
            code: "selenium_food".into(),
            name: "富硒食品".into(),
            ipc_prefixes: vec!["A23F3".into()],
            keywords: vec!["富硒".into()],
            sort_order: 0,
            active: true,
        };
        let words = lexicon(std::slice::from_ref(&chain), &["茶；茶代用品；其混合物；它们的制备".to_owned()]);
        assert!(words.contains(&"富硒".to_owned()));
        assert!(words.contains(&"茶代用品".to_owned()));
        assert!(!words.iter().any(|w| w == "它们的制备"));
        let chains = vec![to_chain(&chain)];
        assert_eq!(chains_of(&chains, &["A23F3/06".into()], "饮料"), vec!["selenium_food".to_owned()]);
        assert_eq!(chains_of(&chains, &["A23F30/00".into()], "饮料"), Vec::<String>::new());
        assert_eq!(chains_of(&chains, &[], "一种富硒大米"), vec!["selenium_food".to_owned()]);
    }
}
