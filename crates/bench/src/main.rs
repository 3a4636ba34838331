//! Benchmarks of ipbridge as programs that print figures (tests assert behaviour only). Build with
//! `--release` before reading the figures; run from the repository root with `../shared/data` present:
//!
//! ```text
//! cargo run --release -p ipbridge-bench -- import --rows 100000
//! ```

mod generate;
mod import;

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
        Command::Phase(args) => import::phase(&args),
    }
}
