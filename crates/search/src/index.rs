//! The patent index: schema, opening (with rebuild on a missing, outdated or corrupt index), upserts.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ipbridge_domain::patent::IpcCode;
use tantivy::directory::MmapDirectory;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

use crate::analyzer::{ANALYZER_NAME, Analyzer, REPEAT_ANALYZER_NAME, repeat_marked};
use crate::{Result, SearchError};

/// Version of the schema and analysis. An index written under another version is rebuilt at start-up.
/// Bump it whenever a field, the analyzer or the lexicon's construction changes.
pub const SCHEMA_VERSION: u32 = 5;

/// File in the index directory that records [`SCHEMA_VERSION`].
const VERSION_FILE: &str = "ipbridge-schema-version";

/// One patent as the index sees it. Built by the service from the stored record and its organisation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatentDoc {
    /// Database id of the patent.
    pub id: i64,
    /// Canonical application number.
    pub application_no: String,
    /// 专利名称.
    pub title: String,
    /// 摘要.
    pub abstract_text: String,
    /// 主权项 and other claims.
    pub claims: String,
    /// Applicant names in order.
    pub applicants: Vec<String>,
    /// Inventor names.
    pub inventors: Vec<String>,
    /// Every IPC code, canonical (A23F3/06).
    pub ipc_codes: Vec<String>,
    /// `invention`, `utility_model` or `design`.
    pub patent_type: String,
    /// Normalised legal status code (`granted`, `pending`, …).
    pub legal_status: String,
    /// Granted and still in force.
    pub in_force: bool,
    /// Listed in the transferable pool (可转化专利资源库).
    pub in_pool: bool,
    /// The owning organisation on the platform.
    pub owner_org_id: Option<i64>,
    /// County code of the owner (610902 …).
    pub county: Option<String>,
    /// Codes of the industry chains the patent belongs to.
    pub chains: Vec<String>,
    /// Filing year.
    pub filing_year: Option<i32>,
    /// Filing date as yyyymmdd, for sorting by date.
    pub filing_date: Option<i64>,
}

/// The levels a code is indexed under: section, class, subclass, main group and the code itself, so
/// `分类号:A23`, `A23F`, `A23F3/00` and `A23F3/06` all find A23F3/06. Unparseable codes index as written.
pub fn ipc_levels(code: &str) -> Vec<String> {
    if let Ok(ipc) = IpcCode::parse(code) {
        return ipc.prefixes();
    }
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    let b = code.as_bytes();
    // A subclass (A23F) or class (A23) given alone, as classification lists and demands often do.
    let section = b.first().is_some_and(|c| (b'A'..=b'H').contains(c));
    let class = b.len() >= 3 && b[1].is_ascii_digit() && b[2].is_ascii_digit();
    match b.len() {
        3 if section && class => vec![code[..1].to_owned(), code],
        4 if section && class && b[3].is_ascii_uppercase() => vec![code[..1].to_owned(), code[..3].to_owned(), code],
        _ => vec![code],
    }
}

/// The schema's fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub id: Field,
    pub app_no: Field,
    pub title: Field,
    pub abstract_text: Field,
    pub claims: Field,
    /// Title, abstract and claims in one field for the matcher, the title three times and the abstract twice
    /// (see [`BODY_REPEATS`]).
    pub body: Field,
    pub applicants: Field,
    pub inventor: Field,
    /// Every IPC level (search and boosts).
    pub ipc: Field,
    /// The canonical codes as given (stored, read back for feedback and explanations).
    pub ipc_codes: Field,
    pub ipc_section: Field,
    pub ipc_class: Field,
    pub patent_type: Field,
    pub status: Field,
    pub in_force: Field,
    /// 1 for a patent in force or pending: the default scope of matching, read per hit as a fast field.
    pub active: Field,
    /// 1 for a patent listed in the transferable pool, read per hit as a fast field.
    pub pool: Field,
    /// IPC subclasses and groups, and `chain:` codes, padded to [`FOCUS_LEN`] tokens (see there).
    pub focus: Field,
    pub owner: Field,
    pub county: Field,
    pub chain: Field,
    pub year: Field,
    pub filed: Field,
}

/// Field names, also used by the facet aggregations.
pub(crate) mod names {
    pub const TYPE: &str = "type";
    pub const STATUS: &str = "status";
    pub const IPC_SECTION: &str = "ipc_section";
    pub const IPC_CLASS: &str = "ipc_class";
    pub const COUNTY: &str = "county";
    pub const CHAIN: &str = "chain";
    pub const YEAR: &str = "year";
    pub const OWNER: &str = "owner";
    pub const FILED: &str = "filed";
    pub const ACTIVE: &str = "active";
    pub const POOL: &str = "pool";
}

/// Tokens of every document's `focus` field. The matcher's IPC and chain boosts are BM25 term queries on this
/// field, so that the whole second pass stays a flat union of term queries, which tantivy answers with block-max
/// WAND instead of scoring every matching patent. BM25 gives every holder of a term the same score only when
/// the field has the same length in every document: hence the padding. A patent with more levels than this
/// (more than about twenty IPC codes) gets a slightly smaller boost, which is harmless.
pub(crate) const FOCUS_LEN: usize = 64;

/// How often the title, the abstract and the claims are written into the matcher's `body` field. Repeating a
/// part weighs it the BM25F way: its term frequencies add up before BM25 saturates them, and one field means one
/// term query per term, which block-max WAND prunes far better than three. 3 : 2 : 1 keeps the field weights of
/// the search box (title 3, abstract 1, claims 0.5).
pub(crate) const BODY_REPEATS: [usize; 3] = [3, 2, 1];
/// The padding token; never searched for.
const FOCUS_PAD: &str = "_";

/// The `focus` token of an industry chain.
pub(crate) fn chain_focus(chain: &str) -> String {
    format!("chain:{chain}")
}

pub(crate) fn build_schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER_NAME)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let facet = STRING | FAST;
    let fields = Fields {
        id: builder.add_u64_field("id", INDEXED | FAST | STORED),
        app_no: builder.add_text_field("app_no", STRING),
        title: builder.add_text_field("title", text.clone()),
        abstract_text: builder.add_text_field("abstract", text.clone()),
        claims: builder.add_text_field("claims", text.clone()),
        body: builder.add_text_field(
            "body",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(REPEAT_ANALYZER_NAME)
                    .set_index_option(IndexRecordOption::WithFreqs),
            ),
        ),
        applicants: builder.add_text_field("applicants", text),
        inventor: builder.add_text_field("inventor", STRING),
        ipc: builder.add_text_field("ipc", STRING),
        ipc_codes: builder.add_text_field("ipc_codes", STORED),
        ipc_section: builder.add_text_field(names::IPC_SECTION, facet.clone()),
        ipc_class: builder.add_text_field(names::IPC_CLASS, facet.clone()),
        patent_type: builder.add_text_field(names::TYPE, facet.clone()),
        status: builder.add_text_field(names::STATUS, facet.clone()),
        in_force: builder.add_u64_field("in_force", INDEXED | FAST),
        active: builder.add_u64_field(names::ACTIVE, INDEXED | FAST),
        pool: builder.add_u64_field(names::POOL, INDEXED | FAST),
        focus: builder.add_text_field(
            "focus",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default().set_tokenizer("raw").set_index_option(IndexRecordOption::WithFreqs),
            ),
        ),
        owner: builder.add_u64_field(names::OWNER, INDEXED | FAST),
        county: builder.add_text_field(names::COUNTY, facet.clone()),
        chain: builder.add_text_field(names::CHAIN, facet),
        year: builder.add_u64_field(names::YEAR, INDEXED | FAST),
        filed: builder.add_i64_field(names::FILED, FAST),
    };
    (builder.build(), fields)
}

/// How the writer may use the machine.
#[derive(Debug, Clone, Copy)]
pub struct IndexOptions {
    /// Indexing threads (tantivy splits documents between them).
    pub threads: usize,
    /// Memory budget of the writer, all threads together.
    pub heap_bytes: usize,
}

impl Default for IndexOptions {
    /// A web server's writer: one thread, 64 MiB. Outbox batches are small; bulk rebuilds pass more.
    fn default() -> Self {
        Self { threads: 1, heap_bytes: 64 << 20 }
    }
}

/// What opening found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenState {
    /// A usable index of the current schema version.
    Ready,
    /// A new, empty index was created; the reason says why (missing, outdated, corrupt). Rebuild it.
    Created(String),
}

/// The patent index with its single writer and a reader that follows commits.
pub struct PatentIndex {
    index: Index,
    reader: IndexReader,
    /// None when opened read-only (another process writes).
    writer: Option<Mutex<IndexWriter<TantivyDocument>>>,
    pub(crate) fields: Fields,
    pub(crate) analyzer: Analyzer,
    dir: Option<PathBuf>,
}

impl std::fmt::Debug for PatentIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatentIndex").field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl PatentIndex {
    /// Opens the index in `dir`, creating it when missing and re-creating it (empty) when it was written by
    /// another schema version or cannot be opened. The caller rebuilds when the state is `Created`.
    ///
    /// `tag` names the analysis inputs beyond the schema (a hash of the domain lexicon): an index built with
    /// another lexicon segments differently from the queries, so it is rebuilt too.
    pub fn open(dir: &Path, analyzer: Analyzer, options: IndexOptions, tag: &str) -> Result<(Self, OpenState)> {
        let io = |source| SearchError::Directory { path: dir.display().to_string(), source };
        std::fs::create_dir_all(dir).map_err(io)?;
        let version_path = dir.join(VERSION_FILE);
        let expected = format!("{SCHEMA_VERSION}:{tag}");
        let recorded = std::fs::read_to_string(&version_path).ok().map(|v| v.trim().to_owned());
        let has_meta = dir.join("meta.json").exists();
        let (schema, fields) = build_schema();

        let reason = match (has_meta, recorded) {
            (false, _) => Some("索引不存在".to_owned()),
            (true, Some(v)) if v == expected => None,
            (true, Some(v)) => Some(format!("索引版本 {v} 与程序版本 {expected} 不一致（字段或词典已更新）")),
            (true, None) => Some("索引缺少版本记录".to_owned()),
        };
        let opened = match &reason {
            None => match Index::open_in_dir(dir) {
                Ok(index) if index.schema() == schema => {
                    match Self::finish(index, fields, analyzer.clone(), options, dir) {
                        Ok(index) => Ok((index, OpenState::Ready)),
                        // Another process holds the writer: not a reason to wipe the index.
                        Err(SearchError::Index(tantivy::TantivyError::LockFailure(..))) => {
                            return Err(SearchError::Locked(dir.display().to_string()));
                        }
                        Err(error) => Err(error.to_string()),
                    }
                }
                Ok(_) => Err("索引字段与程序不一致".to_owned()),
                Err(error) => Err(format!("索引无法打开：{error}")),
            },
            Some(why) => Err(why.clone()),
        };
        match opened {
            Ok(ready) => Ok(ready),
            Err(why) => {
                // Derived data: wipe whatever is there and start empty; the caller refills it from the database.
                for entry in std::fs::read_dir(dir).map_err(io)? {
                    let path = entry.map_err(io)?.path();
                    let removed =
                        if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
                    removed.map_err(io)?;
                }
                let directory = MmapDirectory::open(dir).map_err(|e| SearchError::Index(e.into()))?;
                let index = Index::create(directory, schema, tantivy::IndexSettings::default())?;
                std::fs::write(&version_path, &expected).map_err(io)?;
                let index = Self::finish(index, fields, analyzer, options, dir)?;
                Ok((index, OpenState::Created(why)))
            }
        }
    }

    /// An index held in memory only (tests, benchmarks, small derived indexes).
    pub fn in_ram(analyzer: Analyzer, options: IndexOptions) -> Result<Self> {
        let (schema, fields) = build_schema();
        let index = Index::create_in_ram(schema);
        Self::assemble(index, fields, analyzer, options, None)
    }

    fn finish(index: Index, fields: Fields, analyzer: Analyzer, options: IndexOptions, dir: &Path) -> Result<Self> {
        Self::assemble(index, fields, analyzer, options, Some(dir.to_owned()))
    }

    fn assemble(
        mut index: Index,
        fields: Fields,
        analyzer: Analyzer,
        options: IndexOptions,
        dir: Option<PathBuf>,
    ) -> Result<Self> {
        index.tokenizers().register(ANALYZER_NAME, analyzer.tokenizer());
        index.tokenizers().register(REPEAT_ANALYZER_NAME, analyzer.repeat_tokenizer());
        index.set_multithread_executor(options.threads.max(1))?;
        let writer = index.writer_with_num_threads(options.threads.max(1), options.heap_bytes.max(15 << 20))?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Self { index, reader, writer: Some(Mutex::new(writer)), fields, analyzer, dir })
    }

    /// Opens an existing index for searching only, while another process (the server) holds its writer.
    /// The reader follows that process's commits.
    pub fn open_read_only(dir: &Path, analyzer: Analyzer) -> Result<Self> {
        let (schema, fields) = build_schema();
        let index = Index::open_in_dir(dir)?;
        if index.schema() != schema {
            return Err(SearchError::Locked(dir.display().to_string()));
        }
        index.tokenizers().register(ANALYZER_NAME, analyzer.tokenizer());
        index.tokenizers().register(REPEAT_ANALYZER_NAME, analyzer.repeat_tokenizer());
        let reader = index.reader_builder().reload_policy(ReloadPolicy::OnCommitWithDelay).try_into()?;
        Ok(Self { index, reader, writer: None, fields, analyzer, dir: Some(dir.to_owned()) })
    }

    /// Whether this handle may write.
    pub fn is_writable(&self) -> bool {
        self.writer.is_some()
    }

    /// The analyzer the index was opened with.
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The directory, when on disk.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// A searcher on the last commit.
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// Number of documents visible to searches.
    pub fn num_docs(&self) -> u64 {
        self.searcher().num_docs()
    }

    fn writer(&self) -> Result<std::sync::MutexGuard<'_, IndexWriter<TantivyDocument>>> {
        let writer = self.writer.as_ref().ok_or(SearchError::ReadOnly)?;
        // A panic while holding the lock leaves the writer usable: tantivy's own state is consistent between
        // calls, and the next commit or rollback settles it.
        Ok(writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Adds or replaces documents (visible after [`commit`](Self::commit)).
    pub fn upsert(&self, docs: &[PatentDoc]) -> Result<()> {
        let writer = self.writer()?;
        for doc in docs {
            writer.delete_term(Term::from_field_u64(self.fields.id, id_key(doc.id)));
            writer.add_document(self.document(doc))?;
        }
        Ok(())
    }

    /// Adds documents known to be new (a rebuild after [`clear`](Self::clear)): no delete per document.
    pub fn add_new(&self, docs: &[PatentDoc]) -> Result<()> {
        let writer = self.writer()?;
        for doc in docs {
            writer.add_document(self.document(doc))?;
        }
        Ok(())
    }

    /// Removes documents by patent id (visible after commit).
    pub fn delete(&self, ids: &[i64]) -> Result<()> {
        let writer = self.writer()?;
        for id in ids {
            writer.delete_term(Term::from_field_u64(self.fields.id, id_key(*id)));
        }
        Ok(())
    }

    /// Removes every document (visible after commit).
    pub fn clear(&self) -> Result<()> {
        self.writer()?.delete_all_documents()?;
        Ok(())
    }

    /// Makes the changes durable and visible to new searchers.
    pub fn commit(&self) -> Result<()> {
        self.writer()?.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Merges segments and waits (after a bulk build, so searches touch few segments).
    pub fn optimise(&self) -> Result<()> {
        let ids = self.index.searchable_segment_ids()?;
        if ids.len() > 1 {
            let mut writer = self.writer()?;
            let merge = writer.merge(&ids);
            drop(writer);
            let _ = merge.wait()?;
            writer = self.writer()?;
            writer.commit()?;
            drop(writer);
            self.reader.reload()?;
        }
        Ok(())
    }

    /// Bytes the index takes on disk (0 in memory).
    pub fn size_on_disk(&self) -> u64 {
        let Some(dir) = &self.dir else { return 0 };
        std::fs::read_dir(dir)
            .map(|entries| entries.filter_map(|e| e.ok()?.metadata().ok()).map(|m| m.len()).sum())
            .unwrap_or(0)
    }

    fn document(&self, doc: &PatentDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut d = TantivyDocument::default();
        d.add_u64(f.id, id_key(doc.id));
        d.add_text(f.app_no, &doc.application_no);
        for ((field, text), repeats) in
            [(f.title, &doc.title), (f.abstract_text, &doc.abstract_text), (f.claims, &doc.claims)]
                .into_iter()
                .zip(BODY_REPEATS)
        {
            if text.is_empty() {
                continue;
            }
            d.add_text(field, text);
            d.add_text(f.body, repeat_marked(text, repeats));
        }
        for name in &doc.applicants {
            d.add_text(f.applicants, name);
        }
        for name in &doc.inventors {
            d.add_text(f.inventor, name.trim());
        }
        let mut levels: Vec<String> = doc.ipc_codes.iter().flat_map(|c| ipc_levels(c)).collect();
        levels.sort();
        levels.dedup();
        for level in &levels {
            d.add_text(f.ipc, level);
            match level.len() {
                1 => d.add_text(f.ipc_section, level),
                3 => d.add_text(f.ipc_class, level),
                _ => {}
            }
        }
        if !doc.ipc_codes.is_empty() {
            d.add_text(f.ipc_codes, doc.ipc_codes.join(" "));
        }
        d.add_text(f.patent_type, &doc.patent_type);
        d.add_text(f.status, &doc.legal_status);
        d.add_u64(f.in_force, u64::from(doc.in_force));
        d.add_u64(f.active, u64::from(doc.in_force || doc.legal_status == "pending"));
        d.add_u64(f.pool, u64::from(doc.in_pool));
        let mut focus: Vec<String> = levels.iter().filter(|l| l.len() >= 4).cloned().collect();
        focus.extend(doc.chains.iter().map(|c| chain_focus(c)));
        focus.sort();
        focus.dedup();
        for token in &focus {
            d.add_text(f.focus, token);
        }
        for _ in focus.len()..FOCUS_LEN {
            d.add_text(f.focus, FOCUS_PAD);
        }
        if let Some(owner) = doc.owner_org_id {
            d.add_u64(f.owner, id_key(owner));
        }
        if let Some(county) = &doc.county {
            d.add_text(f.county, county);
        }
        for chain in &doc.chains {
            d.add_text(f.chain, chain);
        }
        if let Some(year) = doc.filing_year.and_then(|y| u64::try_from(y).ok()) {
            d.add_u64(f.year, year);
        }
        d.add_i64(f.filed, doc.filing_date.unwrap_or(0));
        d
    }

    /// The stored id and IPC codes of a hit.
    pub(crate) fn stored(&self, searcher: &Searcher, address: tantivy::DocAddress) -> Result<(i64, Vec<String>)> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let id = doc.get_first(self.fields.id).and_then(|v| v.as_u64()).map(from_key).unwrap_or(0);
        let codes = doc
            .get_first(self.fields.ipc_codes)
            .and_then(|v| v.as_str())
            .map(|s| s.split(' ').filter(|c| !c.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default();
        Ok((id, codes))
    }

    /// The id of a hit, read from the fast field (no stored-document decompression).
    pub(crate) fn ids_of(&self, searcher: &Searcher, addresses: &[tantivy::DocAddress]) -> Result<Vec<i64>> {
        let mut out = Vec::with_capacity(addresses.len());
        for address in addresses {
            let reader = searcher.segment_reader(address.segment_ord);
            let column = reader.fast_fields().u64("id")?;
            out.push(column.first(address.doc_id).map(from_key).unwrap_or(0));
        }
        Ok(out)
    }
}

/// Database ids are positive; the index stores them as u64.
pub(crate) fn id_key(id: i64) -> u64 {
    u64::try_from(id).unwrap_or(0)
}

pub(crate) fn from_key(key: u64) -> i64 {
    i64::try_from(key).unwrap_or(i64::MAX)
}
