//! The search speed benchmark: the tantivy index at scale against SQLite FTS5 (trigram) on the same records
//! and the same queries, in the same run.
//!
//! - Corpus: the real texts recombined into N records, deterministically (SplitMix64 per record, so the FTS5
//!   pass regenerates exactly the records the index got without holding them in memory): the title of one
//!   real patent (BDCI 2022 or titles_ipc), an abstract of sentences from 2–3 BDCI abstracts, the applicant
//!   of a third, a first claim built like a CNIPA 主权项, IPC codes on the real subclasses of a titles_ipc row
//!   (the title's own when the title came from there), fresh sequential application numbers, years 2005–2025,
//!   mixed types and legal statuses, chains derived from the IPC codes by the policy's chain prefixes, and an
//!   owner with a county for a fifth of the records.
//! - Index: `PatentIndex::open` on disk, 2 writer threads sharing 512 MiB; the generating thread feeds
//!   `add_new` in batches; one commit; queries; then `optimise` (merge into one segment) and the queries again.
//! - Queries: enterprise-demand-like texts of 10–60 characters made from title cores and abstract clauses,
//!   through the search box (`PatentIndex::search`, top 10 by relevance, no facets) and the matcher
//!   (`PatentIndex::match_text`, top 10, default active scope), each after 50 unmeasured warm-up queries.
//! - FTS5: `fts5(title, abstract, tokenize='trigram')` holding the same records; each query's base words of at
//!   least 3 characters, quoted and OR-ed, or with `--fts-match trigrams` (the default) every 3-character
//!   substring of the query (see [`fts_expression`]), `ORDER BY rank LIMIT 10`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use ipbridge_domain::patent::ApplicationNo;
use ipbridge_domain::policy::IndustryChain;
use ipbridge_search::{
    Analyzer, Filters, IndexOptions, MatchRequest, MatchScope, OpenState, PatentDoc, PatentIndex, SearchRequest, Sort,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, SqliteConnection};

use crate::SearchSpeedArgs;
use crate::generate::{Rng, names};
use crate::import::peak_mib;
use crate::search_data::{Latencies, build_kind, cores, load_bdci, load_titles, met, platform_analyzer, thousands};

/// Documents handed to `add_new` (and inserted per SQLite transaction) at a time.
const BATCH: usize = 5_000;
/// Progress lines on stderr every so many records.
const PROGRESS_EVERY: usize = 100_000;
/// Unmeasured queries before each measured run.
const WARM_UP: usize = 50;
/// Hits per query.
const TOP: usize = 10;
/// Query length bounds, in characters.
const QUERY_MIN_CHARS: usize = 10;
const QUERY_MAX_CHARS: usize = 60;
/// Budget of a generated abstract in characters, shared by its 2–3 source rows. Each row gives whole sentences
/// within its share (at least one), so the abstracts average about 253 characters, as the real ones do (254).
const ABSTRACT_CHARS: usize = 280;
/// Largest serial of an application number: one number per record.
const MAX_RECORDS: usize = 9_999_999;
/// Writer memory, both threads together.
const WRITER_HEAP: usize = 512 << 20;
/// Separates the query stream from the record stream of the same seed.
const QUERY_STREAM: u64 = 0x5155_4552_5953_0000;
/// Goals of the issue on the 2-core reference machine.
const GOAL_RECORDS_PER_SEC: f64 = 5_000.0;
const GOAL_P50_MS: f64 = 20.0;
const GOAL_P99_MS: f64 = 200.0;
const GOAL_SPEEDUP: f64 = 30.0;

/// Title wording that says nothing about the technology, trimmed to get a title's core (一种富硒茶叶的加工方法
/// → 富硒茶叶的加工) for demand-like queries.
const TITLE_PREFIXES: [&str; 3] = ["一种基于", "一种用于", "一种"];
const TITLE_SUFFIXES: [&str; 9] = [
    "及其制备方法和应用",
    "及其制备方法",
    "及其制作方法",
    "及其使用方法",
    "及其应用",
    "的制备方法",
    "的方法",
    "方法",
    "及系统",
];

/// The real texts the records and queries are recombined from.
pub(crate) struct Sources {
    /// Titles of both corpora: BDCI first, then titles_ipc.
    titles: Vec<String>,
    bdci_titles: usize,
    /// The sentences of each BDCI abstract, each with its closing punctuation.
    sentences: Vec<Vec<String>>,
    /// Comma-separated clauses of every abstract (query material).
    clauses: Vec<String>,
    applicants: Vec<String>,
    /// The subclass list of each titles_ipc row.
    subclass_sets: Vec<Vec<String>>,
    chains: Vec<IndustryChain>,
    counties: Vec<String>,
}

impl Sources {
    pub(crate) fn load(data: &Path) -> Result<Self> {
        let bdci = load_bdci(data)?;
        let titles_ipc = load_titles(data)?;
        let policy = ipbridge_service::load_policy(None)?;
        let mut titles: Vec<String> = bdci.iter().map(|r| r.title.clone()).collect();
        let bdci_titles = titles.len();
        titles.extend(titles_ipc.iter().map(|r| r.title.clone()));
        let sentences: Vec<Vec<String>> = bdci.iter().map(|r| split_keeping(&r.abstract_text, &['。', '；'])).collect();
        let clauses: Vec<String> = bdci
            .iter()
            .flat_map(|r| r.abstract_text.split(['，', '。', '；', '：', ',', ';']).map(str::trim).map(str::to_owned))
            .filter(|c| c.chars().count() >= 6)
            .collect();
        ensure!(!clauses.is_empty(), "the abstracts hold no clause");
        Ok(Self {
            titles,
            bdci_titles,
            sentences,
            clauses,
            applicants: bdci.iter().map(|r| r.assignee.clone()).collect(),
            subclass_sets: titles_ipc.iter().map(|r| r.subclasses.clone()).filter(|s| !s.is_empty()).collect(),
            chains: policy.industry_chains.clone(),
            counties: policy.counties.iter().map(|c| c.code.clone()).collect(),
        })
    }

    /// Record `i` (0-based). The same seed gives the same record, whatever order records are made in.
    pub(crate) fn record(&self, i: usize, seed: u64) -> Result<PatentDoc> {
        let mut rng = item_rng(seed, i as u64);
        let t = pick_index(&mut rng, self.titles.len());
        let title = self.titles[t].clone();

        let parts = 2 + rng.below(2) as usize;
        let mut abstract_text = String::new();
        for _ in 0..parts {
            let sentences = &self.sentences[pick_index(&mut rng, self.sentences.len())];
            let start = pick_index(&mut rng, sentences.len());
            let mut taken = 0;
            for s in &sentences[start..] {
                let len = s.chars().count();
                if taken > 0 && taken + len > ABSTRACT_CHARS / parts {
                    break;
                }
                abstract_text.push_str(s);
                taken += len;
            }
        }
        let clause = &self.clauses[pick_index(&mut rng, self.clauses.len())];
        let claims = format!("1.{title}，其特征在于：{}。", clause.chars().take(100).collect::<String>());
        let applicant = self.applicants[pick_index(&mut rng, self.applicants.len())].clone();
        let inventors = names(2 + rng.below(3) as usize, &mut rng);

        // A titles_ipc title keeps its own subclasses, so text and classification agree as in real data.
        let set = if t >= self.bdci_titles {
            &self.subclass_sets[(t - self.bdci_titles).min(self.subclass_sets.len() - 1)]
        } else {
            &self.subclass_sets[pick_index(&mut rng, self.subclass_sets.len())]
        };
        let ipc_codes: Vec<String> =
            set.iter().take(3).map(|sc| format!("{sc}{}/{:02}", 1 + rng.below(99), 2 * rng.below(12))).collect();
        let chains: Vec<String> = self
            .chains
            .iter()
            .filter(|c| ipc_codes.iter().any(|code| c.matches_ipc(code)))
            .map(|c| c.code.clone())
            .collect();

        let year = 2005 + rng.below(21) as i32;
        let filing_date = i64::from(year) * 10_000 + (1 + rng.below(12) as i64) * 100 + 1 + rng.below(28) as i64;
        let (patent_type, type_digit) = match rng.below(100) {
            0..55 => ("invention", 1),
            55..95 => ("utility_model", 2),
            _ => ("design", 3),
        };
        let r = rng.below(100);
        let (legal_status, in_force) = match r {
            _ if year >= 2021 && patent_type == "invention" && r < 50 => ("pending", false),
            0..50 => ("granted", true),
            50..75 => ("lapsed", false),
            75..85 => (if year < 2012 { "expired" } else { "lapsed" }, false),
            85..93 => ("withdrawn", false),
            _ => ("rejected", false),
        };
        let (owner_org_id, county) = if rng.below(100) < 20 && !self.counties.is_empty() {
            let county = self.counties[pick_index(&mut rng, self.counties.len())].clone();
            (Some(1 + rng.below(400) as i64), Some(county))
        } else {
            (None, None)
        };
        let serial = u32::try_from(i + 1)?;
        let application_no = ApplicationNo::from_parts(u16::try_from(year)?, type_digit, serial)?.to_string();
        Ok(PatentDoc {
            id: i as i64 + 1,
            application_no,
            title,
            abstract_text,
            claims,
            applicants: vec![applicant],
            inventors,
            ipc_codes,
            patent_type: patent_type.to_owned(),
            legal_status: legal_status.to_owned(),
            in_force,
            in_pool: false,
            owner_org_id,
            county,
            chains,
            filing_year: Some(year),
            filing_date: Some(filing_date),
        })
    }

    /// Query `k`: what an enterprise might type as a need, 10–60 characters.
    fn query(&self, k: usize, seed: u64) -> String {
        let mut rng = item_rng(seed ^ QUERY_STREAM, k as u64);
        let topic = title_core(&self.titles[pick_index(&mut rng, self.titles.len())]);
        let clause = self.clauses[pick_index(&mut rng, self.clauses.len())].clone();
        let kind = rng.below(10);
        let mut text = match kind {
            0..3 => topic,
            3..5 => format!("我公司需要{topic}相关技术，{clause}"),
            5..6 => format!("寻求{topic}的技术方案，要求{clause}"),
            6..7 => format!("希望合作开发{topic}"),
            7..8 => format!("{topic}，{clause}"),
            _ => clause,
        };
        // Quotes and a leading minus are search-box syntax; a typed need does not use them.
        text.retain(|c| !matches!(c, '"' | '“' | '”' | '「' | '」'));
        let mut text = text.trim_start_matches('-').to_owned();
        while text.chars().count() < QUERY_MIN_CHARS {
            text.push('，');
            text.push_str(&self.clauses[pick_index(&mut rng, self.clauses.len())]);
        }
        let text: String = text.chars().take(QUERY_MAX_CHARS).collect();
        text.trim_end_matches(['，', '、', '；']).to_owned()
    }
}

/// A generator for item `i` of stream `seed`: one SplitMix64 output as the start, so neighbouring items do not
/// share a sequence.
fn item_rng(seed: u64, i: u64) -> Rng {
    let mut start = Rng(seed.rotate_left(32) ^ i);
    Rng(start.next())
}

fn pick_index(rng: &mut Rng, len: usize) -> usize {
    rng.below(len as u64) as usize
}

/// `text` split after each of `ends`, the ends kept (sentences with their full stop).
fn split_keeping(text: &str, ends: &[char]) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        current.push(c);
        if ends.contains(&c) {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    if out.is_empty() {
        out.push(text.to_owned());
    }
    out
}

/// The technology named by a title, without 一种 and trailing boilerplate.
fn title_core(title: &str) -> String {
    let mut core = title.trim();
    for prefix in TITLE_PREFIXES {
        if let Some(rest) = core.strip_prefix(prefix) {
            core = rest;
            break;
        }
    }
    for suffix in TITLE_SUFFIXES {
        if let Some(rest) = core.strip_suffix(suffix)
            && rest.chars().count() >= 2
        {
            core = rest;
            break;
        }
    }
    core.to_owned()
}

/// How an FTS5 MATCH expression was made from a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FtsKind {
    /// From the query's base words of ≥ 3 characters.
    Words,
    /// No such word: every 3-character substring of the text's runs of letters, digits and Han characters.
    Trigrams,
}

/// The FTS5 MATCH expression of a query.
///
/// The trigram tokenizer indexes every 3-character substring, and a MATCH term of fewer than 3 characters
/// matches no row at all (it has no trigram to look up; verified on SQLite 3.40 and 3.51), so the 2-character
/// words that make up most Chinese text cannot be searched through the index. The expression is therefore the
/// query's base words (jieba's default cut, as `Analyzer::words` marks them) of at least 3 characters, each a
/// quoted string (a phrase of its trigrams: a substring match), OR-ed, so a record matching any of them is
/// ranked by FTS5's bm25. A query with no such word falls back to all 3-character substrings of its runs of
/// letters, digits and Han characters, OR-ed.
///
/// With `--fts-match trigrams` (the default) every query takes the fallback: the whole query is searched, as
/// tantivy searches all of its words, and the comparison is of two systems answering the same question.
fn fts_expression(analyzer: &Analyzer, query: &str, words_only: bool) -> (String, FtsKind) {
    let mut terms: Vec<String> = Vec::new();
    if words_only {
        for word in analyzer.words(query) {
            if word.base && word.text.chars().count() >= 3 && !terms.contains(&word.text) {
                terms.push(word.text);
            }
        }
    }
    let kind = if terms.is_empty() {
        for run in query.split(|c: char| !c.is_alphanumeric()) {
            let chars: Vec<char> = run.chars().collect();
            for window in chars.windows(3) {
                let trigram: String = window.iter().collect();
                if !terms.contains(&trigram) {
                    terms.push(trigram);
                }
            }
        }
        FtsKind::Trigrams
    } else {
        FtsKind::Words
    };
    if terms.is_empty() {
        // No run of 3 characters (a query like 锌 钡盐): the runs themselves, which the trigram index cannot find
        // but which keep the expression valid, so the query is still timed.
        terms = query.split(|c: char| !c.is_alphanumeric()).filter(|r| !r.is_empty()).map(str::to_owned).collect();
    }
    if terms.is_empty() {
        terms.push(query.trim().to_owned());
    }
    let quoted: Vec<String> = terms.iter().map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect();
    (quoted.join(" OR "), kind)
}

/// Latencies of one system over the query set, in query order, and how many queries found something.
struct Run {
    ms: Vec<f64>,
    with_hits: usize,
    hits_total: u64,
}

impl Run {
    fn stats(&self) -> Latencies {
        Latencies::new(self.ms.clone())
    }
}

/// One row of the latency table.
fn row(label: &str, run: &Run) {
    let l = run.stats();
    println!(
        "| {label} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} / {} | {:.1} |",
        l.percentile(50.0),
        l.percentile(95.0),
        l.percentile(99.0),
        l.max(),
        l.mean(),
        run.with_hits,
        l.len(),
        run.hits_total as f64 / l.len().max(1) as f64
    );
}

/// The two tantivy entry points measured.
#[derive(Debug, Clone, Copy)]
enum Entry {
    Search,
    Match,
}

fn run_tantivy(index: &PatentIndex, queries: &[String], warm_up: &[String], entry: Entry) -> Result<Run> {
    let one = |q: &str| -> Result<usize> {
        Ok(match entry {
            Entry::Search => {
                let request = SearchRequest {
                    query: q.to_owned(),
                    filters: Filters::default(),
                    sort: Sort::Relevance,
                    offset: 0,
                    limit: TOP,
                    facets: false,
                };
                index.search(&request)?.hits.len()
            }
            Entry::Match => {
                let request = MatchRequest {
                    text: q.to_owned(),
                    scope: MatchScope::Active,
                    limit: TOP,
                    ..MatchRequest::default()
                };
                index.match_text(&request)?.1.len()
            }
        })
    };
    for q in warm_up {
        one(q)?;
    }
    let mut run = Run { ms: Vec::with_capacity(queries.len()), with_hits: 0, hits_total: 0 };
    for q in queries {
        let started = Instant::now();
        let hits = one(q)?;
        run.ms.push(started.elapsed().as_secs_f64() * 1000.0);
        run.with_hits += usize::from(hits > 0);
        run.hits_total += hits as u64;
    }
    Ok(run)
}

/// What the FTS5 phase measured.
struct FtsReport {
    build_secs: f64,
    optimize_secs: f64,
    bytes: u64,
    peak_mib: Option<f64>,
    /// Indices (into the query list) of the queries run, in order.
    subset: Vec<usize>,
    /// Mean warm-up latency that decided the subset.
    warm_mean_ms: f64,
    run: Run,
    /// How each query's expression was made, by query index.
    kinds: Vec<FtsKind>,
}

/// Runs the benchmark and prints its tables.
pub fn run(args: &SearchSpeedArgs) -> Result<()> {
    ensure!(args.records > 0 && args.records <= MAX_RECORDS, "--records must be 1 to {MAX_RECORDS}");
    ensure!(args.queries > 0, "--queries must be at least 1");
    let started = Instant::now();
    let sources = Sources::load(&args.data)
        .with_context(|| format!("loading the real texts from {} (see --data)", args.data.display()))?;
    let (analyzer, _) = platform_analyzer(&args.data)?;

    let temp = match &args.dir {
        Some(_) => None,
        None => Some(tempfile::Builder::new().prefix("ipbridge-search-speed-").tempdir()?),
    };
    let work: PathBuf = match (&args.dir, &temp) {
        (Some(dir), _) => dir.clone(),
        (None, Some(t)) => t.path().to_owned(),
        (None, None) => bail!("no working directory"),
    };
    std::fs::create_dir_all(&work)?;
    let index_dir = work.join("tantivy-index");
    let db_path = work.join("fts5.sqlite");
    let queries: Vec<String> = (0..args.queries).map(|k| sources.query(k, args.seed)).collect();
    let warm_up: Vec<String> = (0..WARM_UP).map(|k| sources.query(args.queries + k, args.seed)).collect();
    if args.reuse_index {
        let (index, state) = PatentIndex::open(&index_dir, analyzer.clone(), IndexOptions::default(), "bench")?;
        ensure!(state == OpenState::Ready, "no reusable index in {}: {state:?}", index_dir.display());
        let segments = index.searcher().segment_readers().len();
        println!("reused         {} records, {segments} segment(s), in {}", index.num_docs(), index_dir.display());
        println!("| system | p50 ms | p95 ms | p99 ms | max ms | mean ms | queries with hits | mean hits |");
        println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
        row("tantivy search", &run_tantivy(&index, &queries, &warm_up, Entry::Search)?);
        row("tantivy match_text", &run_tantivy(&index, &queries, &warm_up, Entry::Match)?);
        return Ok(());
    }
    // Only this benchmark's own outputs are removed from --dir, so each run starts empty.
    if index_dir.exists() {
        std::fs::remove_dir_all(&index_dir)?;
    }
    remove_database(&db_path)?;

    // --- tantivy: build ---------------------------------------------------------------------------------
    eprintln!("search-speed: building the tantivy index of {} records in {}", args.records, index_dir.display());
    let options = IndexOptions { threads: 2, heap_bytes: WRITER_HEAP };
    let (index, state) = PatentIndex::open(&index_dir, analyzer.clone(), options, "bench")?;
    ensure!(matches!(state, OpenState::Created(_)), "the index directory was not empty");
    let build_started = Instant::now();
    let mut gen_secs = 0.0;
    let mut chars = [0u64; 3];
    let mut batch: Vec<PatentDoc> = Vec::with_capacity(BATCH);
    let mut done = 0usize;
    while done < args.records {
        let n = BATCH.min(args.records - done);
        let gen_started = Instant::now();
        for i in done..done + n {
            let doc = sources.record(i, args.seed)?;
            chars[0] += doc.title.chars().count() as u64;
            chars[1] += doc.abstract_text.chars().count() as u64;
            chars[2] += doc.claims.chars().count() as u64;
            batch.push(doc);
        }
        gen_secs += gen_started.elapsed().as_secs_f64();
        index.add_new(&batch)?;
        batch.clear();
        let before = done;
        done += n;
        if done / PROGRESS_EVERY > before / PROGRESS_EVERY || done == args.records {
            let secs = build_started.elapsed().as_secs_f64();
            eprintln!("  {done:>9} records fed in {secs:>6.1} s ({:.0}/s)", done as f64 / secs);
        }
    }
    let add_secs = build_started.elapsed().as_secs_f64();
    let commit_started = Instant::now();
    index.commit()?;
    let commit_secs = commit_started.elapsed().as_secs_f64();
    let build_secs = build_started.elapsed().as_secs_f64();
    ensure!(index.num_docs() == args.records as u64, "indexed {} of {} records", index.num_docs(), args.records);
    let segments_before = index.searcher().segment_readers().len();
    let size_before = index.size_on_disk();
    eprintln!("search-speed: built in {build_secs:.1} s ({segments_before} segments); queries before the merge");

    // --- tantivy: queries, then merge, then queries again ---------------------------------------------------
    let search_unmerged = run_tantivy(&index, &queries, &warm_up, Entry::Search)?;
    let match_unmerged = run_tantivy(&index, &queries, &warm_up, Entry::Match)?;
    eprintln!("search-speed: merging into one segment");
    let merge_started = Instant::now();
    index.optimise()?;
    let merge_secs = merge_started.elapsed().as_secs_f64();
    let segments_after = index.searcher().segment_readers().len();
    let size_after = index.size_on_disk();
    eprintln!("search-speed: merged in {merge_secs:.1} s; queries after the merge");
    let search_merged = run_tantivy(&index, &queries, &warm_up, Entry::Search)?;
    let match_merged = run_tantivy(&index, &queries, &warm_up, Entry::Match)?;
    let tantivy_peak = peak_mib();
    drop(index);

    // --- FTS5 -------------------------------------------------------------------------------------------------
    let fts = if args.skip_fts {
        None
    } else {
        // From here the peak is the FTS5 phase's own.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        Some(run_fts(args, &sources, &analyzer, &db_path, &queries, &warm_up)?)
    };

    // --- report ---------------------------------------------------------------------------------------------
    let records = args.records as u64;
    let mib = |b: u64| b as f64 / 1024.0 / 1024.0;
    let peak = |p: Option<f64>| p.map_or_else(|| "n/a".to_owned(), |p| format!("{p:.0} MiB"));
    let rate = args.records as f64 / build_secs;
    let mut command = format!(
        "CARGO_TARGET_DIR=/tmp/ipx-target cargo run --release -p ipbridge-bench -- search-speed --records {} --queries {}",
        args.records, args.queries
    );
    if args.skip_fts {
        command.push_str(" --skip-fts");
    }
    if let Some(n) = args.fts_queries {
        command.push_str(&format!(" --fts-queries {n}"));
    }
    if args.seed != 1 {
        command.push_str(&format!(" --seed {}", args.seed));
    }
    let qlen = Latencies::new(queries.iter().map(|q| q.chars().count() as f64).collect());

    println!("== ipbridge search speed benchmark ======================================");
    println!("command        {command}");
    println!("machine        {} cores (available_parallelism), {}", cores(), build_kind());
    println!(
        "corpus         {} records recombined from {} real titles, {} BDCI abstracts and applicants (seed {})",
        thousands(records),
        thousands(sources.titles.len() as u64),
        thousands(sources.sentences.len() as u64),
        args.seed
    );
    println!(
        "               mean characters per record: title {:.0}, abstract {:.0}, claim {:.0}",
        chars[0] as f64 / records as f64,
        chars[1] as f64 / records as f64,
        chars[2] as f64 / records as f64
    );
    println!(
        "tantivy build  {build_secs:.1} s => {rate:.0} records/s (add {add_secs:.1} s incl. generation {gen_secs:.1} s on the feeding thread, commit {commit_secs:.1} s; 2 writer threads, {} MiB)",
        WRITER_HEAP >> 20
    );
    println!(
        "  merge        {merge_secs:.1} s ({segments_before} → {segments_after} segments); build + merge => {:.0} records/s",
        args.records as f64 / (build_secs + merge_secs)
    );
    println!("  size         {:.0} MiB before the merge, {:.0} MiB after", mib(size_before), mib(size_after));
    println!("  peak memory  {} (VmHWM: generation, build, merge and all tantivy queries)", peak(tantivy_peak));
    println!(
        "queries        {} measured, each run preceded by {WARM_UP} unmeasured warm-up queries; {:.0}–{:.0} chars (mean {:.1}); top {TOP}",
        queries.len(),
        qlen.percentile(0.0),
        qlen.max(),
        qlen.mean()
    );
    println!(
        "               search = PatentIndex::search (search box, relevance, no facets); match = match_text (active scope)"
    );
    println!();
    println!("| system | p50 ms | p95 ms | p99 ms | max ms | mean ms | queries with hits | mean hits |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    row(&format!("tantivy search, {segments_before} segments"), &search_unmerged);
    row(&format!("tantivy match_text, {segments_before} segments"), &match_unmerged);
    row(&format!("tantivy search, {segments_after} segment(s)"), &search_merged);
    row(&format!("tantivy match_text, {segments_after} segment(s)"), &match_merged);
    if let Some(fts) = &fts {
        row("SQLite FTS5 trigram", &fts.run);
        for (kind, label) in [
            (FtsKind::Words, "FTS5, queries with words ≥ 3 chars"),
            (FtsKind::Trigrams, "FTS5, queries without (3-char fallback)"),
        ] {
            let picked: Vec<usize> = (0..fts.subset.len()).filter(|&j| fts.kinds[fts.subset[j]] == kind).collect();
            let part = Run { ms: picked.iter().map(|&j| fts.run.ms[j]).collect(), with_hits: 0, hits_total: 0 };
            if !part.ms.is_empty() {
                let l = part.stats();
                println!(
                    "| {label} ({}) | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | | |",
                    l.len(),
                    l.percentile(50.0),
                    l.percentile(95.0),
                    l.percentile(99.0),
                    l.max(),
                    l.mean()
                );
            }
        }
    }
    println!();
    if let Some(fts) = &fts {
        println!(
            "FTS5 build     {:.1} s => {:.0} records/s, + optimize {:.1} s; {:.0} MiB on disk; peak memory {} (VmHWM reset before the phase; includes what the allocator kept from the tantivy phase)",
            fts.build_secs,
            args.records as f64 / fts.build_secs,
            fts.optimize_secs,
            mib(fts.bytes),
            peak(fts.peak_mib)
        );
        let subset_note = if fts.subset.len() == queries.len() {
            "all queries".to_owned()
        } else {
            format!(
                "an evenly spaced subset of {} of the {} queries (warm-up mean {:.0} ms: all would exceed --fts-budget-secs {} or --fts-queries)",
                fts.subset.len(),
                queries.len(),
                fts.warm_mean_ms,
                args.fts_budget_secs
            )
        };
        println!("FTS5 queries   {subset_note}, after {WARM_UP} warm-up queries");
        let by_words = fts.subset.iter().filter(|&&i| fts.kinds[i] == FtsKind::Words).count();
        if args.fts_match == "words" {
            println!(
                "               MATCH expression (--fts-match words): base words ≥ 3 chars, quoted, OR-ed for {by_words}; no such word, so all 3-char substrings OR-ed, for {}",
                fts.subset.len() - by_words
            );
        } else {
            println!(
                "               MATCH expression (--fts-match trigrams): every 3-char substring of the query, quoted, OR-ed, ranked by bm25"
            );
        }
        let fts_stats = fts.run.stats();
        let runs = [
            ("search", segments_after, &search_merged),
            ("match_text", segments_after, &match_merged),
            ("search", segments_before, &search_unmerged),
            ("match_text", segments_before, &match_unmerged),
        ];
        for (label, segments, run) in runs {
            let same = Latencies::new(fts.subset.iter().map(|&i| run.ms[i]).collect());
            let ratio = |p: f64| fts_stats.percentile(p) / same.percentile(p);
            let (p50, p99, avg) = (ratio(50.0), ratio(99.0), fts_stats.mean() / same.mean());
            println!(
                "speed-up       FTS5 ÷ tantivy {label:<10} ({segments} seg.) on the same {} queries: p50 ×{p50:.1}, mean ×{avg:.1}, p99 ×{p99:.1}  [goal ≥ {GOAL_SPEEDUP:.0}× at p50 and mean: {}]",
                fts.subset.len(),
                met(p50 >= GOAL_SPEEDUP && avg >= GOAL_SPEEDUP)
            );
        }
    }
    let goal = |label: &str, run: &Run| {
        let l = run.stats();
        println!(
            "goals          {label}: p50 {:.2} ms ≤ {GOAL_P50_MS:.0} ms {}; p99 {:.2} ms ≤ {GOAL_P99_MS:.0} ms {}",
            l.percentile(50.0),
            met(l.percentile(50.0) <= GOAL_P50_MS),
            l.percentile(99.0),
            met(l.percentile(99.0) <= GOAL_P99_MS)
        );
    };
    goal("search (merged)", &search_merged);
    goal("match_text (merged)", &match_merged);
    println!(
        "goals          build {rate:.0} records/s ≥ {GOAL_RECORDS_PER_SEC:.0} {}",
        met(rate >= GOAL_RECORDS_PER_SEC)
    );
    match &args.dir {
        Some(dir) => println!("kept           {} (tantivy-index/, fts5.sqlite)", dir.display()),
        None => println!("working dir    temporary, removed"),
    }
    println!("total time     {:.1} s", started.elapsed().as_secs_f64());
    println!("========================================================================");
    Ok(())
}

fn remove_database(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            std::fs::remove_file(&file)?;
        }
    }
    Ok(())
}

/// Builds the FTS5 table of the same records and runs the queries against it.
fn run_fts(
    args: &SearchSpeedArgs,
    sources: &Sources,
    analyzer: &Analyzer,
    db_path: &Path,
    queries: &[String],
    warm_up: &[String],
) -> Result<FtsReport> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        // A bulk load: no journal, no fsync, a 256 MiB page cache. Fair to FTS5: it is what a rebuild would use.
        let options = SqliteConnectOptions::new()
            .filename(db_path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Off)
            .synchronous(SqliteSynchronous::Off)
            .pragma("cache_size", "-262144")
            .pragma("temp_store", "memory");
        let mut conn = SqliteConnection::connect_with(&options).await?;
        sqlx::query("CREATE VIRTUAL TABLE docs USING fts5(title, abstract, tokenize='trigram')")
            .execute(&mut conn)
            .await
            .context("creating the FTS5 table with the trigram tokenizer")?;

        eprintln!("search-speed: building the FTS5 table in {}", db_path.display());
        let build_started = Instant::now();
        let mut done = 0usize;
        while done < args.records {
            let n = BATCH.min(args.records - done);
            let mut tx = conn.begin().await?;
            for i in done..done + n {
                let doc = sources.record(i, args.seed)?;
                sqlx::query("INSERT INTO docs(rowid, title, abstract) VALUES (?1, ?2, ?3)")
                    .bind(doc.id)
                    .bind(&doc.title)
                    .bind(&doc.abstract_text)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            let before = done;
            done += n;
            if done / PROGRESS_EVERY > before / PROGRESS_EVERY || done == args.records {
                let secs = build_started.elapsed().as_secs_f64();
                eprintln!("  {done:>9} records inserted in {secs:>6.1} s ({:.0}/s)", done as f64 / secs);
            }
        }
        let build_secs = build_started.elapsed().as_secs_f64();
        // The counterpart of tantivy's merge: FTS5 merges its b-trees into one.
        eprintln!("search-speed: FTS5 optimize");
        let optimize_started = Instant::now();
        sqlx::query("INSERT INTO docs(docs) VALUES('optimize')").execute(&mut conn).await?;
        let optimize_secs = optimize_started.elapsed().as_secs_f64();
        let bytes = std::fs::metadata(db_path).map(|m| m.len()).unwrap_or(0);

        let (expressions, kinds): (Vec<String>, Vec<FtsKind>) =
            queries.iter().map(|q| fts_expression(analyzer, q, args.fts_match == "words")).unzip();

        eprintln!("search-speed: FTS5 warm-up ({WARM_UP} queries)");
        let mut warm_ms = Vec::with_capacity(warm_up.len());
        for q in warm_up {
            let (expression, _) = fts_expression(analyzer, q, args.fts_match == "words");
            let started = Instant::now();
            fts_query(&mut conn, &expression).await?;
            warm_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        let warm_mean_ms = Latencies::new(warm_ms).mean();
        // Queries that fit the budget at the warm-up's pace, and no more than --fts-queries.
        let fit = ((args.fts_budget_secs as f64 * 1000.0) / warm_mean_ms.max(0.001)).floor() as usize;
        let m = queries.len().min(args.fts_queries.unwrap_or(usize::MAX)).min(fit.max(1));
        let subset: Vec<usize> = (0..m).map(|j| j * queries.len() / m).collect();
        eprintln!("search-speed: {} FTS5 queries (warm-up mean {warm_mean_ms:.1} ms)", subset.len());

        let mut run = Run { ms: Vec::with_capacity(subset.len()), with_hits: 0, hits_total: 0 };
        for (n, &i) in subset.iter().enumerate() {
            let started = Instant::now();
            let hits = fts_query(&mut conn, &expressions[i]).await?;
            run.ms.push(started.elapsed().as_secs_f64() * 1000.0);
            run.with_hits += usize::from(hits > 0);
            run.hits_total += hits as u64;
            if (n + 1) % 100 == 0 {
                eprintln!("  {} of {} FTS5 queries", n + 1, subset.len());
            }
        }
        conn.close().await?;
        Ok(FtsReport { build_secs, optimize_secs, bytes, peak_mib: peak_mib(), subset, warm_mean_ms, run, kinds })
    })
}

/// One FTS5 query, best 10 by bm25; returns the number of rows.
async fn fts_query(conn: &mut SqliteConnection, expression: &str) -> Result<usize> {
    let rows: Vec<i64> = sqlx::query_scalar("SELECT rowid FROM docs WHERE docs MATCH ?1 ORDER BY rank LIMIT 10")
        .bind(expression)
        .fetch_all(&mut *conn)
        .await
        .with_context(|| format!("FTS5 query {expression}"))?;
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_cores_and_sentences() {
        assert_eq!(title_core("一种富硒茶叶的加工方法"), "富硒茶叶的加工");
        assert_eq!(title_core("一种锌合金及其制备方法"), "锌合金");
        assert_eq!(title_core("茶叶揉捻机"), "茶叶揉捻机");
        assert_eq!(split_keeping("甲。乙；丙", &['。', '；']), vec!["甲。", "乙；", "丙"]);
    }
}
