//! What the two search benchmarks share: the real texts they are built from, the analyzer the platform
//! uses, latency statistics and a few printing helpers.

use std::path::Path;

use anyhow::{Context, Result, ensure};
use ipbridge_search::Analyzer;
use serde::Deserialize;

/// The real patents with abstracts, under the shared data directory.
const BDCI_FILE: &str = "cn_patents_bdci2022/patents.jsonl";
/// The real titles with their IPC subclasses, under the shared data directory.
const TITLES_FILE: &str = "cn_patents_title_ipc/titles_ipc.csv";
/// The Chinese IPC scheme, whose titles feed the platform's segmentation lexicon.
const IPC_TITLES_FILE: &str = "ipc/ipc_2026_01_zh.csv";

/// One row of `titles_ipc.csv`: a real title and every IPC subclass assigned to that patent.
#[derive(Debug, Clone)]
pub struct TitleRow {
    /// CN publication number with kind code (CN114081026A).
    pub publication_number: String,
    /// 专利名称.
    pub title: String,
    /// IPC subclasses as given (A01M, G06F …), in file order, without duplicates.
    pub subclasses: Vec<String>,
}

/// One row of the BDCI 2022 corpus.
#[derive(Debug, Clone, Deserialize)]
pub struct BdciRow {
    /// Competition record id (an md5 string, not a patent number).
    pub id: String,
    /// 专利名称.
    pub title: String,
    /// 申请人.
    pub assignee: String,
    /// 摘要.
    #[serde(rename = "abstract")]
    pub abstract_text: String,
}

/// Reads `titles_ipc.csv` (quoted titles may hold commas, hence a real CSV reader).
pub fn load_titles(data: &Path) -> Result<Vec<TitleRow>> {
    let path = data.join(TITLES_FILE);
    let mut reader = csv::Reader::from_path(&path).with_context(|| format!("opening {}", path.display()))?;
    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("{} record {}", path.display(), n + 1))?;
        let field = |i: usize| record.get(i).unwrap_or_default().trim().to_owned();
        let mut subclasses: Vec<String> = Vec::new();
        for sc in field(2).split('|').map(str::trim).filter(|s| !s.is_empty()) {
            if !subclasses.iter().any(|s| s == sc) {
                subclasses.push(sc.to_owned());
            }
        }
        rows.push(TitleRow { publication_number: field(0), title: field(1), subclasses });
    }
    ensure!(!rows.is_empty(), "{} holds no rows", path.display());
    Ok(rows)
}

/// Reads the BDCI 2022 patents (JSON lines).
pub fn load_bdci(data: &Path) -> Result<Vec<BdciRow>> {
    let path = data.join(BDCI_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        rows.push(serde_json::from_str(line).with_context(|| format!("{} line {}", path.display(), n + 1))?);
    }
    ensure!(!rows.is_empty(), "{} holds no patents", path.display());
    Ok(rows)
}

/// The analyzer as the platform builds it: `ipbridge_service::search::domain_lexicon` over the built-in policy's
/// chain keywords and every subclass, main-group and subgroup title of `ipc/ipc_2026_01_zh.csv` (the file the
/// platform's reference data is loaded from). Returns it with the number of lexicon words offered (the analyzer
/// adds only those jieba would otherwise shatter).
pub fn platform_analyzer(data: &Path) -> Result<(Analyzer, usize)> {
    let policy = ipbridge_service::load_policy(None)?;
    let path = data.join(IPC_TITLES_FILE);
    let mut reader = csv::Reader::from_path(&path).with_context(|| format!("opening {}", path.display()))?;
    let mut titles = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("reading {}", path.display()))?;
        if matches!(record.get(1), Some("subclass" | "main_group" | "subgroup")) {
            titles.push(record.get(2).unwrap_or_default().to_owned());
        }
    }
    let keywords = policy.industry_chains.iter().flat_map(|c| c.keywords.iter().map(String::as_str));
    let words = ipbridge_service::search::domain_lexicon(keywords, titles.iter().map(String::as_str));
    Ok((Analyzer::new(words.iter().map(String::as_str)), words.len()))
}

/// Latencies in milliseconds and their order statistics.
#[derive(Debug, Clone, Default)]
pub struct Latencies {
    sorted: Vec<f64>,
}

impl Latencies {
    /// Statistics of `values` (milliseconds).
    pub fn new(mut values: Vec<f64>) -> Self {
        values.sort_by(f64::total_cmp);
        Self { sorted: values }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Nearest-rank percentile (`p` in 0–100): the smallest value with at least p % of the values at or below it.
    pub fn percentile(&self, p: f64) -> f64 {
        if self.sorted.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * self.sorted.len() as f64).ceil() as usize;
        self.sorted[rank.clamp(1, self.sorted.len()) - 1]
    }

    /// Arithmetic mean.
    pub fn mean(&self) -> f64 {
        if self.sorted.is_empty() {
            return f64::NAN;
        }
        self.sorted.iter().sum::<f64>() / self.sorted.len() as f64
    }

    /// Largest value.
    pub fn max(&self) -> f64 {
        self.sorted.last().copied().unwrap_or(f64::NAN)
    }
}

/// `n` with thousands separators (1,000,000), as the tables print counts.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "release build" or a warning that the figures mean little.
pub fn build_kind() -> &'static str {
    if cfg!(debug_assertions) { "DEBUG build: figures not representative" } else { "release build" }
}

/// Cores the process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// "met" or "NOT met".
pub fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_and_separators() {
        let l = Latencies::new((1..=100).rev().map(f64::from).collect());
        assert_eq!(l.percentile(50.0), 50.0);
        assert_eq!(l.percentile(99.0), 99.0);
        assert_eq!(l.percentile(100.0), 100.0);
        assert_eq!(l.percentile(0.0), 1.0);
        assert_eq!(l.max(), 100.0);
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(4097), "4,097");
    }
}
