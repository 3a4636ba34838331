//! The search quality benchmark: the platform's matcher against plain BM25 over the same index, in the same run,
//! on real patent titles whose true IPC subclasses are the relevance labels.
//!
//! - Index: every row of `titles_ipc.csv` (title only, its IPC subclasses as given) plus every BDCI 2022 patent
//!   (title, abstract, applicant, no IPC) as distractors. All granted and in force, so no scope filter hides
//!   anything.
//! - Queries: a seeded sample of title rows. A query's own document is excluded from its results.
//! - Relevance of another title row: the number of IPC subclasses it shares with the query (graded; 0 = not
//!   relevant). Distractors are never relevant (they carry no label).
//! - Metrics: nDCG@10 (linear gain, log2 discount, ideal DCG from all relevant documents of the query) and
//!   Recall@50, averaged over queries with at least one relevant document; paired comparisons with a bootstrap
//!   interval and a sign test, so the margin is reported with its uncertainty.
//!
//! The matcher is given the title alone, never the IPC: the IPC is the label. Its pseudo-relevance feedback
//! reads the IPC codes of the first pass's best hits, which are other labelled titles. That is what it does in
//! production too (indexed patents carry IPC codes), but the label is the same kind of information, so the
//! benchmark also runs the matcher with the feedback switched off to show how much of the margin it carries.
//!
//! Everything runs twice: on the corpus as specified, and on the titles alone. The distractors are the only
//! documents with an abstract, and BM25 adds title and abstract scores, so they crowd out the labelled titles in
//! any ranking that does not weight titles up; the titles-only run shows the margin without that asymmetry.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::{Result, ensure};
use ipbridge_search::matcher::IpcSource;
use ipbridge_search::{Filters, IndexOptions, MatchPlan, MatchRequest, MatchScope, PatentDoc, PatentIndex};

use crate::SearchQualityArgs;
use crate::generate::Rng;
use crate::search_data::{
    BdciRow, Latencies, TitleRow, build_kind, cores, load_bdci, load_titles, platform_analyzer, thousands,
};

/// Distractor ids start here, far above the title rows' ids (row number + 1).
const DISTRACTOR_ID_BASE: i64 = 1_000_000;
/// Cut-offs of the two metrics.
const NDCG_CUTOFF: usize = 10;
const RECALL_CUTOFF: usize = 50;
/// Resamples of the paired bootstrap.
const BOOTSTRAP_SAMPLES: usize = 10_000;
/// Hits listed per system for each query `--show-losses` prints.
const LOSS_HITS: usize = 3;
/// Queries run once, unmeasured, before the measured ones (loads the term dictionaries into cache).
const WARM_UP: usize = 20;

/// The ranking systems compared, in the order of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum System {
    /// `PatentIndex::plain_bm25`: every word of the title, title and abstract weighted equally.
    Bm25,
    /// `PatentIndex::match_text` with the IPC feedback neutralised.
    MatcherNoFeedback,
    /// `PatentIndex::match_text` as the platform calls it.
    Matcher,
}

const SYSTEMS: [System; 3] = [System::Bm25, System::MatcherNoFeedback, System::Matcher];

impl System {
    fn label(self) -> &'static str {
        match self {
            System::Bm25 => "plain BM25 (baseline)",
            System::MatcherNoFeedback => "matcher without IPC feedback",
            System::Matcher => "matcher (platform)",
        }
    }

    fn slot(self) -> usize {
        match self {
            System::Bm25 => 0,
            System::MatcherNoFeedback => 1,
            System::Matcher => 2,
        }
    }
}

/// What one query gave, per system (indexed by [`System::slot`]).
#[derive(Debug, Clone, Default)]
struct QueryOutcome {
    ndcg: [f64; 3],
    recall: [f64; 3],
    ms: [f64; 3],
    /// Distractors among the first 10 hits.
    distractors: [usize; 3],
    /// Hits returned (at most 50).
    returned: [usize; 3],
    /// The matcher inferred an IPC focus from its first pass.
    inferred: bool,
    /// The first inferred subclass is one of the query's true subclasses.
    top_inferred_correct: bool,
    /// The title row of the query.
    row: usize,
    /// The first hits of each system (for `--show-losses`).
    top: [Vec<i64>; 3],
    /// The matcher's selected terms and IPC focus (for `--show-losses`).
    terms: Vec<String>,
    focus: Vec<String>,
}

/// The labelled corpus and its relevance structure.
struct Corpus {
    titles: Vec<TitleRow>,
    distractors: Vec<BdciRow>,
    /// Title rows per subclass.
    by_subclass: HashMap<String, Vec<usize>>,
}

impl Corpus {
    fn docs(&self) -> Vec<PatentDoc> {
        let mut docs = Vec::with_capacity(self.titles.len() + self.distractors.len());
        for (row, t) in self.titles.iter().enumerate() {
            // The kind code says the type: U is a utility model, A and B are inventions.
            let patent_type = if t.publication_number.ends_with('U') { "utility_model" } else { "invention" };
            docs.push(PatentDoc {
                id: title_id(row),
                application_no: t.publication_number.clone(),
                title: t.title.clone(),
                ipc_codes: t.subclasses.clone(),
                patent_type: patent_type.to_owned(),
                legal_status: "granted".to_owned(),
                in_force: true,
                in_pool: false,
                ..PatentDoc::default()
            });
        }
        for (j, d) in self.distractors.iter().enumerate() {
            docs.push(PatentDoc {
                id: DISTRACTOR_ID_BASE + j as i64,
                application_no: format!("BDCI-{}", d.id),
                title: d.title.clone(),
                abstract_text: d.abstract_text.clone(),
                applicants: vec![d.assignee.clone()],
                patent_type: "invention".to_owned(),
                legal_status: "granted".to_owned(),
                in_force: true,
                in_pool: false,
                ..PatentDoc::default()
            });
        }
        docs
    }

    /// Gain of every document relevant to title row `query`, by document id.
    fn gains(&self, query: usize) -> HashMap<i64, u32> {
        let mut gains: HashMap<i64, u32> = HashMap::new();
        for sc in &self.titles[query].subclasses {
            for &row in self.by_subclass.get(sc).into_iter().flatten() {
                if row != query {
                    *gains.entry(title_id(row)).or_default() += 1;
                }
            }
        }
        gains
    }
}

fn title_id(row: usize) -> i64 {
    row as i64 + 1
}

/// The corpora the systems are compared on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// The labelled titles and the BDCI distractors (the benchmark as specified).
    WithDistractors,
    /// The labelled titles alone: every document has the same fields, so no system is helped or hurt by the
    /// distractors' abstracts (a robustness check of the margin).
    TitlesOnly,
}

impl Variant {
    fn label(self) -> &'static str {
        match self {
            Variant::WithDistractors => "A. titles + BDCI distractors (as specified)",
            Variant::TitlesOnly => "B. titles only, no distractors (robustness check)",
        }
    }
}

/// Runs the benchmark and prints its tables.
pub fn run(args: &SearchQualityArgs) -> Result<()> {
    let started = Instant::now();
    let titles = load_titles(&args.data)?;
    let distractors = load_bdci(&args.data)?;
    let mut by_subclass: HashMap<String, Vec<usize>> = HashMap::new();
    for (row, t) in titles.iter().enumerate() {
        for sc in &t.subclasses {
            by_subclass.entry(sc.clone()).or_default().push(row);
        }
    }
    let corpus = Corpus { titles, distractors, by_subclass };
    let (analyzer, lexicon) = platform_analyzer(&args.data)?;
    let queries = sample(corpus.titles.len(), args.queries, args.seed);
    print_header(args, &corpus, lexicon, &queries);

    for variant in [Variant::WithDistractors, Variant::TitlesOnly] {
        let variant_started = Instant::now();
        let index = PatentIndex::in_ram(analyzer.clone(), IndexOptions { threads: 2, heap_bytes: 256 << 20 })?;
        let mut docs = corpus.docs();
        if variant == Variant::TitlesOnly {
            docs.retain(|d| d.id < DISTRACTOR_ID_BASE);
        }
        index.add_new(&docs)?;
        index.commit()?;
        index.optimise()?;
        ensure!(index.num_docs() == docs.len() as u64, "indexed {} of {} documents", index.num_docs(), docs.len());
        let build_secs = variant_started.elapsed().as_secs_f64();
        drop(docs);
        eprintln!(
            "search-quality: {}: {} documents indexed in {build_secs:.1} s; running {} queries",
            variant.label(),
            index.num_docs(),
            queries.len()
        );
        let (outcomes, skipped) = evaluate(&corpus, &index, &queries)?;
        ensure!(!outcomes.is_empty(), "no query has a relevant document");
        print_tables(args, variant, &index, build_secs, skipped, &outcomes);
        if args.show_losses > 0 {
            print_losses(&corpus, &outcomes, args.show_losses);
        }
    }
    println!("total time     {:.1} s", started.elapsed().as_secs_f64());
    println!("========================================================================");
    Ok(())
}

/// Runs every system on every query; returns the outcomes and how many queries had no relevant document.
fn evaluate(corpus: &Corpus, index: &PatentIndex, queries: &[usize]) -> Result<(Vec<QueryOutcome>, usize)> {
    // Warm-up: the first queries once, unmeasured, so the first measured query does not pay for cold caches.
    for &q in queries.iter().take(WARM_UP) {
        for system in SYSTEMS {
            run_system(index, &corpus.titles[q].title, title_id(q), system)?;
        }
    }
    let mut outcomes: Vec<QueryOutcome> = Vec::with_capacity(queries.len());
    let mut skipped = 0usize;
    for (k, &q) in queries.iter().enumerate() {
        let gains = corpus.gains(q);
        if gains.is_empty() {
            skipped += 1;
            continue;
        }
        let mut ideal: Vec<u32> = gains.values().copied().collect();
        ideal.sort_unstable_by(|a, b| b.cmp(a));
        let ideal_dcg = dcg(ideal.iter().copied());
        let relevant = gains.len();
        let mut outcome = QueryOutcome { row: q, ..QueryOutcome::default() };
        // Rotate the order of the systems from query to query, so none always runs on the warmest cache.
        for i in 0..SYSTEMS.len() {
            let system = SYSTEMS[(k + i) % SYSTEMS.len()];
            let (ms, ranked, plan) = run_system(index, &corpus.titles[q].title, title_id(q), system)?;
            ensure!(!ranked.contains(&title_id(q)), "{} returned the query's own document", system.label());
            let slot = system.slot();
            outcome.ms[slot] = ms;
            outcome.ndcg[slot] =
                dcg(ranked.iter().take(NDCG_CUTOFF).map(|id| gains.get(id).copied().unwrap_or(0))) / ideal_dcg;
            let found = ranked.iter().take(RECALL_CUTOFF).filter(|id| gains.contains_key(id)).count();
            outcome.recall[slot] = found as f64 / relevant as f64;
            outcome.distractors[slot] = ranked.iter().take(NDCG_CUTOFF).filter(|id| **id >= DISTRACTOR_ID_BASE).count();
            outcome.returned[slot] = ranked.len();
            outcome.top[slot] = ranked.iter().take(LOSS_HITS).copied().collect();
            if let Some(plan) = plan {
                if system == System::MatcherNoFeedback {
                    ensure!(plan.ipc_focus.is_empty(), "IPC feedback ran although switched off: {:?}", plan.ipc_focus);
                } else {
                    outcome.terms = plan.terms.iter().map(|(t, _)| t.clone()).collect();
                    outcome.focus = plan.ipc_focus.iter().map(|(c, share)| format!("{c} {share:.2}")).collect();
                    outcome.inferred = plan.ipc_source == Some(IpcSource::Inferred);
                    let top = plan.ipc_focus.iter().find(|(code, _)| !code.contains('/')).map(|(code, _)| code);
                    outcome.top_inferred_correct =
                        top.is_some_and(|code| corpus.titles[q].subclasses.iter().any(|s| s == code));
                }
            }
        }
        outcomes.push(outcome);
        if (k + 1) % 250 == 0 {
            eprintln!("search-quality: {} of {} queries", k + 1, queries.len());
        }
    }
    Ok((outcomes, skipped))
}

/// Runs one system for a query title; returns milliseconds, the ranked ids and the matcher's plan.
fn run_system(
    index: &PatentIndex,
    title: &str,
    own_id: i64,
    system: System,
) -> Result<(f64, Vec<i64>, Option<MatchPlan>)> {
    let filters = Filters { exclude: vec![own_id], ..Filters::default() };
    let started = Instant::now();
    let (ids, plan) = match system {
        System::Bm25 => {
            let hits = index.plain_bm25(title, &filters, RECALL_CUTOFF)?;
            (hits.iter().map(|h| h.id).collect(), None)
        }
        System::Matcher | System::MatcherNoFeedback => {
            let request = MatchRequest {
                title: title.to_owned(),
                text: String::new(),
                ipc: Vec::new(),
                chain: None,
                scope: MatchScope::All,
                filters,
                limit: RECALL_CUTOFF,
                skip_ipc_feedback: system == System::MatcherNoFeedback,
            };
            let (plan, hits) = index.match_text(&request)?;
            (hits.iter().map(|h| h.id).collect(), Some(plan))
        }
    };
    Ok((started.elapsed().as_secs_f64() * 1000.0, ids, plan))
}

/// Discounted cumulative gain of gains in rank order, linear gain, log2(rank + 1) discount, first 10 ranks.
fn dcg(gains: impl Iterator<Item = u32>) -> f64 {
    gains.take(NDCG_CUTOFF).enumerate().map(|(i, g)| f64::from(g) / ((i + 2) as f64).log2()).sum()
}

/// `count` distinct row numbers out of `rows`: a Fisher–Yates shuffle driven by SplitMix64 seeded with `seed`,
/// first `count` rows. The same seed and row count give the same sample on every machine.
fn sample(rows: usize, count: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..rows).collect();
    let mut rng = Rng(seed);
    let count = count.min(rows);
    for i in 0..count {
        let j = i + rng.below((rows - i) as u64) as usize;
        order.swap(i, j);
    }
    order.truncate(count);
    order
}

/// A paired comparison of two systems over the same queries.
struct Paired {
    delta: f64,
    low: f64,
    high: f64,
    better: usize,
    worse: usize,
    equal: usize,
    sign_p: f64,
}

/// Mean difference `a − b` with its 95 % paired-bootstrap interval, win/loss/tie counts and the exact two-sided
/// sign-test p-value (ties dropped).
fn paired(a: &[f64], b: &[f64], seed: u64) -> Paired {
    let diffs: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let n = diffs.len();
    let delta = diffs.iter().sum::<f64>() / n as f64;
    let better = diffs.iter().filter(|d| **d > 1e-9).count();
    let worse = diffs.iter().filter(|d| **d < -1e-9).count();
    let mut rng = Rng(seed);
    let mut means: Vec<f64> = (0..BOOTSTRAP_SAMPLES)
        .map(|_| (0..n).map(|_| diffs[rng.below(n as u64) as usize]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    let at = |q: f64| means[((q * BOOTSTRAP_SAMPLES as f64) as usize).min(BOOTSTRAP_SAMPLES - 1)];
    Paired {
        delta,
        low: at(0.025),
        high: at(0.975),
        better,
        worse,
        equal: n - better - worse,
        sign_p: sign_test(better, worse),
    }
}

/// Exact two-sided binomial sign test: P(X ≤ min) · 2 for X ~ Bin(better + worse, 1/2), capped at 1.
fn sign_test(better: usize, worse: usize) -> f64 {
    let n = better + worse;
    if n == 0 {
        return 1.0;
    }
    let k = better.min(worse);
    // ln n! for every n up to the trial count, so binomial coefficients never overflow.
    let mut ln_fact = vec![0.0f64; n + 1];
    for i in 1..=n {
        ln_fact[i] = ln_fact[i - 1] + (i as f64).ln();
    }
    let ln_half_n = n as f64 * 0.5f64.ln();
    let terms: Vec<f64> = (0..=k).map(|i| ln_fact[n] - ln_fact[i] - ln_fact[n - i] + ln_half_n).collect();
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let tail = max.exp() * terms.iter().map(|t| (t - max).exp()).sum::<f64>();
    (2.0 * tail).min(1.0)
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

fn print_header(args: &SearchQualityArgs, corpus: &Corpus, lexicon: usize, queries: &[usize]) {
    let data = if args.data.as_os_str() == "../shared/data" {
        String::new()
    } else {
        format!(" --data {}", args.data.display())
    };
    let mut relevant: Vec<usize> = queries.iter().map(|&q| corpus.gains(q).len()).filter(|n| *n > 0).collect();
    relevant.sort_unstable();
    let n = relevant.len().max(1);
    println!("== ipbridge search quality benchmark ====================================");
    println!(
        "command        cargo run --release -p ipbridge-bench -- search-quality --queries {} --seed {}{data}",
        args.queries, args.seed
    );
    println!("machine        {} cores (available_parallelism), {}", cores(), build_kind());
    println!(
        "labelled       {} titles of titles_ipc.csv, indexed with title only; IPC = their {} distinct subclasses as given",
        thousands(corpus.titles.len() as u64),
        corpus.by_subclass.len()
    );
    println!(
        "distractors    {} BDCI 2022 patents (title + abstract + applicant, no IPC, never relevant); all documents granted, in force",
        thousands(corpus.distractors.len() as u64)
    );
    println!(
        "analyzer       jieba search mode + {} lexicon words offered (chain keywords + 2–4-character pieces of IPC titles, as the service builds it)",
        thousands(lexicon as u64)
    );
    println!(
        "queries        {} title rows sampled (SplitMix64 Fisher–Yates shuffle of all rows, seed {}, first {}); query = the row's title",
        queries.len(),
        args.seed,
        queries.len()
    );
    println!(
        "               own document excluded (Filters::exclude); {WARM_UP} warm-up queries per corpus first, unmeasured"
    );
    println!(
        "systems        BM25 = plain_bm25(title, 50); matcher = match_text {{ title, text: \"\", ipc: [], scope: All, limit: 50 }}"
    );
    println!("               matcher without IPC feedback = the same with MatchRequest::skip_ipc_feedback");
    println!(
        "relevance      gain = IPC subclasses shared with the query (graded, linear); nDCG@10 with log2 discount, ideal from all relevant docs"
    );
    if !relevant.is_empty() {
        println!(
            "               relevant docs per query: mean {:.0}, median {}, min {}, max {}",
            mean(relevant.iter().map(|r| *r as f64)),
            relevant[n / 2],
            relevant[0],
            relevant[n - 1]
        );
        println!(
            "               best attainable Recall@50 (mean of min(50, relevant) / relevant): {:.3}",
            mean(relevant.iter().map(|r| RECALL_CUTOFF.min(*r) as f64 / *r as f64))
        );
    }
}

fn print_tables(
    args: &SearchQualityArgs,
    variant: Variant,
    index: &PatentIndex,
    build_secs: f64,
    skipped: usize,
    outcomes: &[QueryOutcome],
) {
    let n = outcomes.len();
    println!();
    println!("-- {}", variant.label());
    println!(
        "corpus         {} documents, in memory, one segment, built in {build_secs:.1} s; {n} queries evaluated, {skipped} skipped (no other title shares a subclass)",
        thousands(index.num_docs())
    );
    println!();
    println!("| system | nDCG@10 | Recall@50 | mean ms | p95 ms | distractors in top 10 | hits returned |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for system in SYSTEMS {
        let s = system.slot();
        let lat = Latencies::new(outcomes.iter().map(|o| o.ms[s]).collect());
        println!(
            "| {} | {:.4} | {:.4} | {:.2} | {:.2} | {:.2} | {:.1} |",
            system.label(),
            mean(outcomes.iter().map(|o| o.ndcg[s])),
            mean(outcomes.iter().map(|o| o.recall[s])),
            lat.mean(),
            lat.percentile(95.0),
            mean(outcomes.iter().map(|o| o.distractors[s] as f64)),
            mean(outcomes.iter().map(|o| o.returned[s] as f64))
        );
    }
    println!();
    println!(
        "| paired over {n} queries | metric | Δ mean | 95% CI (bootstrap, {}) | better / worse / equal | sign test p |",
        thousands(BOOTSTRAP_SAMPLES as u64)
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    let pairs = [
        (System::Matcher, System::Bm25),
        (System::MatcherNoFeedback, System::Bm25),
        (System::Matcher, System::MatcherNoFeedback),
    ];
    type Metric = fn(&QueryOutcome, usize) -> f64;
    let metrics: [(&str, Metric); 2] = [("nDCG@10", |o, s| o.ndcg[s]), ("Recall@50", |o, s| o.recall[s])];
    for (a, b) in pairs {
        for (metric, value) in metrics {
            let xa: Vec<f64> = outcomes.iter().map(|o| value(o, a.slot())).collect();
            let xb: Vec<f64> = outcomes.iter().map(|o| value(o, b.slot())).collect();
            let p = paired(&xa, &xb, args.seed ^ 0xB007);
            println!(
                "| {} − {} | {metric} | {:+.4} | [{:+.4}, {:+.4}] | {} / {} / {} | {:.1e} |",
                short(a),
                short(b),
                p.delta,
                p.low,
                p.high,
                p.better,
                p.worse,
                p.equal,
                p.sign_p
            );
        }
    }
    println!();
    let inferred: Vec<&QueryOutcome> = outcomes.iter().filter(|o| o.inferred).collect();
    let correct: Vec<&QueryOutcome> = inferred.iter().copied().filter(|o| o.top_inferred_correct).collect();
    let wrong: Vec<&QueryOutcome> = inferred.iter().copied().filter(|o| !o.top_inferred_correct).collect();
    let effect = |set: &[&QueryOutcome]| {
        mean(set.iter().map(|o| o.ndcg[System::Matcher.slot()] - o.ndcg[System::MatcherNoFeedback.slot()]))
    };
    println!(
        "IPC feedback   inferred for {} of {n} queries; its first subclass is a true subclass of the query for {} ({:.1}%)",
        inferred.len(),
        correct.len(),
        100.0 * correct.len() as f64 / inferred.len().max(1) as f64
    );
    println!(
        "               nDCG@10 change it brings (matcher − without feedback): {:+.4} when right, {:+.4} when wrong",
        effect(&correct),
        effect(&wrong)
    );
}

/// The queries where the matcher trails plain BM25 most on nDCG@10, with what each system ranked first: the
/// material for diagnosing the losses.
fn print_losses(corpus: &Corpus, outcomes: &[QueryOutcome], count: usize) {
    let (m, b) = (System::Matcher.slot(), System::Bm25.slot());
    let mut losses: Vec<&QueryOutcome> = outcomes.iter().filter(|o| o.ndcg[m] < o.ndcg[b]).collect();
    losses.sort_by(|x, y| (x.ndcg[m] - x.ndcg[b]).total_cmp(&(y.ndcg[m] - y.ndcg[b])));
    let describe = |id: i64| match usize::try_from(id - 1).ok().and_then(|row| corpus.titles.get(row)) {
        Some(t) if id < DISTRACTOR_ID_BASE => format!("{} [{}]", t.title, t.subclasses.join(" ")),
        _ => {
            let j = usize::try_from(id - DISTRACTOR_ID_BASE).unwrap_or(usize::MAX);
            corpus.distractors.get(j).map_or_else(|| id.to_string(), |d| format!("{} [distractor]", d.title))
        }
    };
    println!();
    println!(
        "largest losses of the matcher to BM25 ({} of {} queries where it trails):",
        count.min(losses.len()),
        losses.len()
    );
    for o in losses.into_iter().take(count) {
        let t = &corpus.titles[o.row];
        println!(
            "  {} [{}]  nDCG@10 matcher {:.3} / BM25 {:.3}",
            t.title,
            t.subclasses.join(" "),
            o.ndcg[m],
            o.ndcg[b]
        );
        println!(
            "    terms {}; IPC focus {}",
            o.terms.join(" "),
            if o.focus.is_empty() { "none".to_owned() } else { o.focus.join(", ") }
        );
        for (label, slot) in [("matcher", m), ("BM25", b)] {
            for (rank, id) in o.top[slot].iter().enumerate() {
                println!("    {label:<7} {}. {}", rank + 1, describe(*id));
            }
        }
    }
}

fn short(system: System) -> &'static str {
    match system {
        System::Bm25 => "BM25",
        System::MatcherNoFeedback => "matcher w/o feedback",
        System::Matcher => "matcher",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dcg_sign_test_and_sample() {
        // 3/log2(2) + 2/log2(3) + 1/log2(4)
        let value = dcg([3, 2, 1].into_iter());
        assert!((value - (3.0 + 2.0 / 3f64.log2() + 0.5)).abs() < 1e-12);
        // Bin(10, 1/2): P(X ≤ 1) = 11/1024, two-sided 22/1024.
        assert!((sign_test(9, 1) - 22.0 / 1024.0).abs() < 1e-12);
        assert_eq!(sign_test(5, 5), 1.0);
        let s = sample(100, 10, 7);
        assert_eq!(s, sample(100, 10, 7));
        let mut sorted = s.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 10);
    }
}
