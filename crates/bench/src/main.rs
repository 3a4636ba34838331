//! Benchmarks of ipbridge as programs that print figures (tests assert behaviour only). Build with
//! `--release` before reading the figures; run from the repository root with `../shared/data` present:
//!
//! ```text
//! cargo run --release -p ipbridge-bench -- import --rows 100000
//! cargo run --release -p ipbridge-bench -- search-quality --queries 1000 --seed 42
//! CARGO_TARGET_DIR=/tmp/ipx-target cargo run --release -p ipbridge-bench -- search-speed --records 1000000
//! CARGO_TARGET_DIR=/tmp/ipx-target cargo run --release -p ipbridge-bench -- indicators --records 1000000 --dir /tmp/ind-bench
//! ```

mod generate;
mod import;
mod indicators;
mod search_data;
mod search_quality;
mod search_speed;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Command line of the benchmark program.
#[derive(Debug, Parser)]
#[command(name = "ipbridge-bench", about = "Benchmarks of ipbridge that print figures")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The benchmarks.
#[derive(Debug, Subcommand)]
enum Command {
    /// Generates a CNIPA-style xlsx from real patents and imports it twice into a fresh data directory.
    Import(ImportArgs),
    /// nDCG@10 and Recall@50 of the matcher and of plain BM25 on real titles labelled by their IPC subclasses.
    SearchQuality(SearchQualityArgs),
    /// Index build rate, size, memory and query latency at scale, against SQLite FTS5 on the same records.
    SearchSpeed(SearchSpeedArgs),
    /// Indicator refresh, snapshot and page times over the search benchmark's generated corpus.
    Indicators(indicators::IndicatorsArgs),
    /// One measured phase of `import`, run by it in a child process so the phase's peak memory is its own.
    #[command(hide = true)]
    Phase(PhaseArgs),
}

/// Options of the import benchmark.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Data rows in the generated workbook.
    #[arg(long, default_value_t = 100_000)]
    pub rows: usize,
    /// The shared data directory (holds cn_patents_bdci2022/ and cn_patents_title_ipc/).
    #[arg(long, default_value = "../shared/data")]
    pub data: PathBuf,
    /// Leave the data directory (database and generated workbook) in place and print where it is.
    #[arg(long)]
    pub keep_dir: bool,
}

/// Options of the search quality benchmark.
#[derive(Debug, clap::Args)]
pub struct SearchQualityArgs {
    /// Title rows sampled as queries.
    #[arg(long, default_value_t = 1000)]
    pub queries: usize,
    /// Seed of the query sample (and of the bootstrap).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Also list the N queries where the matcher trails plain BM25 most, with each system's first hits.
    #[arg(long, default_value_t = 0)]
    pub show_losses: usize,
    /// The shared data directory (holds cn_patents_bdci2022/ and cn_patents_title_ipc/).
    #[arg(long, default_value = "../shared/data")]
    pub data: PathBuf,
}

/// Options of the search speed benchmark.
#[derive(Debug, clap::Args)]
pub struct SearchSpeedArgs {
    /// Records in the generated corpus.
    #[arg(long, default_value_t = 100_000)]
    pub records: usize,
    /// Measured queries (run after 50 unmeasured warm-up queries).
    #[arg(long, default_value_t = 1000)]
    pub queries: usize,
    /// Where to build the tantivy index and the SQLite file (default: a temporary directory, removed after).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Leave out the SQLite FTS5 baseline.
    #[arg(long)]
    pub skip_fts: bool,
    /// Only time the tantivy queries, against the index an earlier run kept in --dir (for tuning queries
    /// without rebuilding; the index must be of the current schema version).
    #[arg(long, requires = "dir")]
    pub reuse_index: bool,
    /// At most this many of the queries run against FTS5 (an evenly spaced subset when fewer than --queries).
    #[arg(long)]
    pub fts_queries: Option<usize>,
    /// Time budget of the FTS5 queries in seconds: when the warm-up shows the whole set would take longer, an
    /// evenly spaced subset that fits is run instead (and the table says so).
    #[arg(long, default_value_t = 300)]
    pub fts_budget_secs: u64,
    /// How a query becomes an FTS5 MATCH expression: `trigrams` (every 3-character substring of the query's text,
    /// OR-ed: all of the query is searched, as tantivy searches all of its words) or `words` (only the query's
    /// words of 3 or more characters; the 2-character words most Chinese text is made of cannot be searched).
    #[arg(long, default_value = "trigrams", value_parser = ["trigrams", "words"])]
    pub fts_match: String,
    /// Seed of the generated corpus and queries.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The shared data directory (holds cn_patents_bdci2022/ and cn_patents_title_ipc/).
    #[arg(long, default_value = "../shared/data")]
    pub data: PathBuf,
}

/// Options of one phase.
#[derive(Debug, clap::Args)]
pub struct PhaseArgs {
    /// Which phase.
    #[arg(value_enum)]
    pub phase: PhaseKind,
    /// The generated workbook.
    #[arg(long)]
    pub file: PathBuf,
    /// The data directory to import into.
    #[arg(long)]
    pub data_dir: PathBuf,
}

/// The phases measured in child processes.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PhaseKind {
    /// `read_table` and `map_patent_row` alone.
    Parse,
    /// Two imports through the service.
    Import,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Import(args) => import::run(&args),
        Command::SearchQuality(args) => search_quality::run(&args),
        Command::SearchSpeed(args) => search_speed::run(&args),
        Command::Indicators(args) => indicators::run(&args),
        Command::Phase(args) => import::phase(&args),
    }
}
