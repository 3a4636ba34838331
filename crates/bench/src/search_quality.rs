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
/// Queries run once, unmeasured, before the measured ones (loads the term dictionaries into cache).
const WARM_UP: usize = 20;
/// An IPC subclass no patent can have (section Z does not exist). Given with a match request, it replaces the
/// inferred IPC focus, and its boost matches no document, so the ranking is the first pass's: the matcher
/// without IPC feedback. `MatchRequest` has no switch for this; see the report.
const NO_FEEDBACK_SENTINEL: &str = "Z99Z";

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
    /// Relevant documents of the query.
    relevant: usize,
    /// The best Recall@50 any ranking could reach (min(50, relevant) / relevant).
    attainable_recall: f64,
    /// The matcher inferred an IPC focus from its first pass.
    inferred: bool,
    /// The first inferred subclass is one of the query's true subclasses.
    top_inferred_correct: bool,
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

    let index = PatentIndex::in_ram(analyzer, IndexOptions { threads: 2, heap_bytes: 256 << 20 })?;
    let docs = corpus.docs();
    index.add_new(&docs)?;
    index.commit()?;
    index.optimise()?;
    ensure!(index.num_docs() == docs.len() as u64, "indexed {} of {} documents", index.num_docs(), docs.len());
    let build_secs = started.elapsed().as_secs_f64();
    drop(docs);

    let queries = sample(corpus.titles.len(), args.queries, args.seed);
    eprintln!(
        "search-quality: index of {} documents built in {build_secs:.1} s; running {} queries",
        index.num_docs(),
        queries.len()
    );

    // Warm-up: the first queries once, unmeasured, so the first measured query does not pay for cold caches.
    for &q in queries.iter().take(WARM_UP) {
        for system in SYSTEMS {
            run_system(&index, &corpus.titles[q].title, title_id(q), system)?;
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
        let mut outcome = QueryOutcome {
            relevant,
            attainable_recall: RECALL_CUTOFF.min(relevant) as f64 / relevant as f64,
            ..QueryOutcome::default()
        };
        // Rotate the order of the systems from query to query, so none always runs on the warmest cache.
        for i in 0..SYSTEMS.len() {
            let system = SYSTEMS[(k + i) % SYSTEMS.len()];
            let (ms, ranked, plan) = run_system(&index, &corpus.titles[q].title, title_id(q), system)?;
            ensure!(!ranked.contains(&title_id(q)), "{} returned the query's own document", system.label());
            let slot = system.slot();
            outcome.ms[slot] = ms;
            outcome.ndcg[slot] =
                dcg(ranked.iter().take(NDCG_CUTOFF).map(|id| gains.get(id).copied().unwrap_or(0))) / ideal_dcg;
            let found = ranked.iter().take(RECALL_CUTOFF).filter(|id| gains.contains_key(id)).count();
            outcome.recall[slot] = found as f64 / relevant as f64;
            outcome.distractors[slot] = ranked.iter().take(NDCG_CUTOFF).filter(|id| **id >= DISTRACTOR_ID_BASE).count();
            outcome.returned[slot] = ranked.len();
            if let Some(plan) = plan {
                if system == System::MatcherNoFeedback {
                    ensure!(
                        plan.ipc_focus.len() == 1 && plan.ipc_focus[0].0 == NO_FEEDBACK_SENTINEL,
                        "the no-feedback sentinel did not replace the IPC focus: {:?}",
                        plan.ipc_focus
                    );
                } else {
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
    ensure!(!outcomes.is_empty(), "no query has a relevant document");
    print_report(args, &corpus, &index, lexicon, build_secs, queries.len(), skipped, &outcomes, started);
    Ok(())
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
            let ipc = if system == System::Matcher { Vec::new() } else { vec![NO_FEEDBACK_SENTINEL.to_owned()] };
            let request = MatchRequest {
                title: title.to_owned(),
                text: String::new(),
                ipc,
                chain: None,
                scope: MatchScope::All,
                filters,
                limit: RECALL_CUTOFF,
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

#[allow(clippy::too_many_arguments)]
fn print_report(
    args: &SearchQualityArgs,
    corpus: &Corpus,
    index: &PatentIndex,
    lexicon: usize,
    build_secs: f64,
    sampled: usize,
    skipped: usize,
    outcomes: &[QueryOutcome],
    started: Instant,
) {
    let n = outcomes.len();
    let data = if args.data.as_os_str() == "../shared/data" {
        String::new()
    } else {
        format!(" --data {}", args.data.display())
    };
    let mut relevant: Vec<usize> = outcomes.iter().map(|o| o.relevant).collect();
    relevant.sort_unstable();
    let subclasses = corpus.by_subclass.len();

    println!("== ipbridge search quality benchmark ====================================");
    println!(
        "command        cargo run --release -p ipbridge-bench -- search-quality --queries {} --seed {}{data}",
        args.queries, args.seed
    );
    println!("machine        {} cores (available_parallelism), {}", cores(), build_kind());
    println!(
        "corpus         {} documents: {} labelled titles (title only; IPC = their {} distinct subclasses as given)",
        thousands(index.num_docs()),
        thousands(corpus.titles.len() as u64),
        subclasses
    );
    println!(
        "               + {} BDCI 2022 distractors (title + abstract + applicant, no IPC, never relevant); all granted, in force",
        thousands(corpus.distractors.len() as u64)
    );
    println!(
        "analyzer       jieba search mode + {lexicon} lexicon words offered (chain keywords + 2–4-character pieces of IPC titles, as the service builds it)"
    );
    println!("index          in memory, built in {build_secs:.1} s (incl. loading), merged into one segment");
    println!(
        "queries        {sampled} title rows sampled (SplitMix64 Fisher–Yates, seed {}); {skipped} skipped (no other title shares a subclass); {n} evaluated",
        args.seed
    );
    println!(
        "               each query = the row's title; its own document excluded; {WARM_UP} warm-up queries run first, unmeasured"
    );
    println!(
        "relevance      gain = IPC subclasses shared with the query; relevant docs per query: mean {:.0}, median {}, min {}, max {}",
        mean(relevant.iter().map(|r| *r as f64)),
        relevant[n / 2],
        relevant[0],
        relevant[n - 1]
    );
    println!(
        "               best attainable Recall@50 (mean of min(50, relevant)/relevant): {:.3}",
        mean(outcomes.iter().map(|o| o.attainable_recall))
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
    for (a, b) in pairs {
        for (metric, values) in [
            ("nDCG@10", (|o: &QueryOutcome, s: usize| o.ndcg[s]) as fn(&QueryOutcome, usize) -> f64),
            ("Recall@50", |o: &QueryOutcome, s: usize| o.recall[s]),
        ] {
            let xa: Vec<f64> = outcomes.iter().map(|o| values(o, a.slot())).collect();
            let xb: Vec<f64> = outcomes.iter().map(|o| values(o, b.slot())).collect();
            let p = paired(&xa, &xb, args.seed ^ 0xB007);
            println!(
                "| {} − {} | {metric} | {:+.4} | [{:+.4}, {:+.4}] | {} / {} / {} | {:.2e} |",
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
        "IPC feedback   inferred for {} of {n} queries; first inferred subclass is a true subclass of the query in {} ({:.1}%)",
        inferred.len(),
        correct.len(),
        100.0 * correct.len() as f64 / inferred.len().max(1) as f64
    );
    println!(
        "               nDCG@10 effect of the feedback (matcher − no feedback): {:+.4} when right, {:+.4} when wrong",
        effect(&correct),
        effect(&wrong)
    );
    println!("total time     {:.1} s", started.elapsed().as_secs_f64());
    println!("========================================================================");
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
