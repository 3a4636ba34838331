//! The import benchmark: a CNIPA-style workbook of real patents, imported through the same service call the
//! web page and the command line use, then imported again (every row must come back unchanged).
//!
//! The parent process generates the workbook; each measured phase then runs in a fresh child process (the
//! hidden `phase` subcommand) so that its peak memory (VmHWM) is its own, not what the generator left
//! behind in the allocator.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use ipbridge_ingest::{PatentColumns, map_patent_row, read_table};
use ipbridge_service::patents::BATCH_ROWS;
use ipbridge_service::{Actor, App, ImportCounts, Settings, load_policy};
use serde::{Deserialize, Serialize};

use crate::generate::{Corpus, HEADERS};
use crate::{ImportArgs, PhaseArgs, PhaseKind};

/// The name the workbook is imported under (its extension picks the reader).
const FILE_NAME: &str = "cnipa-benchmark.xlsx";
/// The rate the import should reach on the reference machine (2 cores).
const TARGET_ROWS_PER_SECOND: f64 = 20_000.0;

/// What the parse phase measured: `read_table` and `map_patent_row` alone, as the import calls them.
#[derive(Debug, Serialize, Deserialize)]
struct ParseReport {
    read_secs: f64,
    map_secs: f64,
    rows: usize,
    mapped: usize,
    peak_mib: Option<f64>,
}

/// What the import phase measured: the first import into an empty database, then the same file again.
#[derive(Debug, Serialize, Deserialize)]
struct ImportReport {
    first: RunReport,
    second: RunReport,
    database_bytes: u64,
}

/// One import run.
#[derive(Debug, Serialize, Deserialize)]
struct RunReport {
    secs: f64,
    counts: Counts,
    /// From the call to the first progress report: reading the file, loading the applicant linker, and
    /// mapping and writing the first batch.
    first_batch_secs: Option<f64>,
    /// From the first to the last progress report.
    later_secs: Option<f64>,
    /// Batches between the first and the last progress report.
    later_batches: usize,
    /// VmHWM of the process after this run (the second run's after a reset to the resident size).
    peak_mib: Option<f64>,
}

/// The import's counts, in a form that crosses the process boundary.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Counts {
    total: u64,
    read: u64,
    inserted: u64,
    updated: u64,
    unchanged: u64,
    rejected: u64,
}

impl From<&ImportCounts> for Counts {
    fn from(c: &ImportCounts) -> Self {
        Self {
            total: c.total,
            read: c.read,
            inserted: c.inserted,
            updated: c.updated,
            unchanged: c.unchanged,
            rejected: c.rejected,
        }
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "total {} read {} inserted {} updated {} unchanged {} rejected {}",
            self.total, self.read, self.inserted, self.updated, self.unchanged, self.rejected
        )
    }
}

/// Runs the import benchmark and prints its summary; fails when the counts are not what they must be.
pub fn run(args: &ImportArgs) -> Result<()> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let work = tempfile::Builder::new().prefix("ipbridge-bench-").tempdir()?;
    let data_dir = work.path().join("data");
    let xlsx_path = work.path().join(FILE_NAME);

    let started = Instant::now();
    let corpus = Corpus::load(&args.data)
        .with_context(|| format!("loading the real patents from {} (see --data)", args.data.display()))?;
    let bytes = corpus.workbook(args.rows)?;
    std::fs::write(&xlsx_path, &bytes)?;
    let generation = started.elapsed();
    let file_size = bytes.len() as u64;
    drop(bytes);
    let generation_peak = peak_mib();

    let parse: ParseReport = run_phase(PhaseKind::Parse, &xlsx_path, &data_dir)?;
    let import: ImportReport = run_phase(PhaseKind::Import, &xlsx_path, &data_dir)?;

    let rows = args.rows as u64;
    let rate = |secs: f64| rows as f64 / secs.max(f64::EPSILON);
    let mib = |b: u64| b as f64 / 1024.0 / 1024.0;
    let peak = |p: Option<f64>| p.map_or_else(|| "n/a".to_owned(), |p| format!("{p:.0} MiB"));
    let (first, second) = (&import.first, &import.second);
    let (c1, c2) = (first.counts, second.counts);
    let first_ok = c1.total == rows && c1.read == rows && c1.inserted == rows && c1.updated == 0 && c1.rejected == 0;
    let second_ok = c2.read == rows && c2.unchanged == rows && c2.inserted == 0 && c2.updated == 0 && c2.rejected == 0;
    let build = if cfg!(debug_assertions) { "DEBUG build: figures not representative" } else { "release build" };
    let (patents, subclasses) = (corpus.patents(), corpus.distinct_subclasses());
    let write_estimate = first.secs - parse.read_secs - parse.map_secs;

    println!("== ipbridge import benchmark ==========================================");
    println!("machine        {cores} cores (available_parallelism), {build}");
    println!("rows           {rows} (cycling {patents} real BDCI 2022 patents, {subclasses} IPC subclasses)");
    println!("file           {:.1} MiB xlsx, {} CNIPA columns", mib(file_size), HEADERS.len());
    println!("generation     {:.2} s  (peak {})", generation.as_secs_f64(), peak(generation_peak));
    println!(
        "read_table     {:.2} s  ({:.0} rows/s; alone, the function the import calls; peak {})",
        parse.read_secs,
        rate(parse.read_secs),
        peak(parse.peak_mib)
    );
    println!(
        "map rows       {:.2} s  ({:.0} rows/s; {} of {} mapped)",
        parse.map_secs,
        rate(parse.map_secs),
        parse.mapped,
        parse.rows
    );
    println!("import 1       {:.2} s  => {:.0} rows/s (empty database)", first.secs, rate(first.secs));
    println!("  counts       {c1}");
    print_batches(first);
    println!(
        "  write est.   {write_estimate:.2} s  (import minus read_table minus map: JSON, SM3, applicant links, SQLite)"
    );
    println!("  peak memory  {} (VmHWM of the importing process)", peak(first.peak_mib));
    println!("import 2       {:.2} s  => {:.0} rows/s (same file again)", second.secs, rate(second.secs));
    println!("  counts       {c2}");
    print_batches(second);
    println!("  peak memory  {} (VmHWM reset before the run)", peak(second.peak_mib));
    println!("database       {:.1} MiB on disk after both imports (database + WAL)", mib(import.database_bytes));
    println!(
        "checks         import 1 read = inserted = rows, rejected 0: {}; import 2 all unchanged: {}",
        verdict(first_ok),
        verdict(second_ok)
    );
    println!(
        "target         {TARGET_ROWS_PER_SECOND:.0} rows/s for import 1: {}",
        if rate(first.secs) >= TARGET_ROWS_PER_SECOND { "met" } else { "NOT met" }
    );
    if args.keep_dir {
        let kept = work.keep();
        println!("kept           {} (data/ and {FILE_NAME})", kept.display());
    }
    println!("========================================================================");
    ensure!(first_ok, "first import: counts are not read = inserted = {rows}, rejected 0");
    ensure!(second_ok, "second import: not every row came back unchanged");
    Ok(())
}

/// Runs one phase in a fresh child process and reads its JSON report.
fn run_phase<T: for<'de> Deserialize<'de>>(phase: PhaseKind, file: &Path, data_dir: &Path) -> Result<T> {
    let name = match phase {
        PhaseKind::Parse => "parse",
        PhaseKind::Import => "import",
    };
    let out = Command::new(std::env::current_exe()?)
        .arg("phase")
        .arg(name)
        .arg("--file")
        .arg(file)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .with_context(|| format!("starting the {name} phase"))?;
    if !out.status.success() {
        bail!("the {name} phase failed ({}):\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).with_context(|| format!("the {name} phase printed {stdout:?}"))
}

/// The hidden `phase` subcommand: measures one phase and prints its report as one JSON line.
pub fn phase(args: &PhaseArgs) -> Result<()> {
    let json = match args.phase {
        PhaseKind::Parse => serde_json::to_string(&parse_phase(&args.file)?)?,
        PhaseKind::Import => serde_json::to_string(&import_phase(&args.file, &args.data_dir)?)?,
    };
    println!("{json}");
    Ok(())
}

fn parse_phase(file: &Path) -> Result<ParseReport> {
    let bytes = std::fs::read(file)?;
    let started = Instant::now();
    let table = read_table(FILE_NAME, &bytes, None)?;
    let read_secs = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let columns = PatentColumns::from_headers(&table.headers)?;
    let mapped = table.rows.iter().filter(|row| map_patent_row(&columns, &table.headers, row).is_ok()).count();
    let map_secs = started.elapsed().as_secs_f64();
    Ok(ParseReport { read_secs, map_secs, rows: table.rows.len(), mapped, peak_mib: peak_mib() })
}

fn import_phase(file: &Path, data_dir: &Path) -> Result<ImportReport> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let mut settings = Settings::default();
    settings.server.data_dir = data_dir.to_path_buf();
    let policy = load_policy(None)?;
    let app = runtime.block_on(App::open(settings, policy))?;
    let first = runtime.block_on(import_once(&app, std::fs::read(file)?))?;
    // From here the peak is the second run's own.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let second = runtime.block_on(import_once(&app, std::fs::read(file)?))?;
    drop(app);
    Ok(ImportReport { first, second, database_bytes: dir_size(data_dir) })
}

/// Begins and runs one import of the workbook as the command line does, timing its batches.
async fn import_once(app: &App, bytes: Vec<u8>) -> Result<RunReport> {
    let actor = Actor::cli();
    // The progress callback must be 'static: it shares the list of report times.
    let reports: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let progress = {
        let reports = Arc::clone(&reports);
        move |_: &ImportCounts| {
            if let Ok(mut r) = reports.lock() {
                r.push(Instant::now());
            }
        }
    };
    let started = Instant::now();
    let id = app.begin_patent_import(&actor, FILE_NAME, &bytes).await?;
    let record = app.run_patent_import(&actor, id, FILE_NAME, bytes, None, &progress).await?;
    let secs = started.elapsed().as_secs_f64();
    let reports = reports.lock().map(|r| r.clone()).unwrap_or_default();
    let since = |a: &Instant, b: &Instant| b.duration_since(*a).as_secs_f64();
    Ok(RunReport {
        secs,
        counts: Counts::from(&record.counts),
        first_batch_secs: reports.first().map(|t| since(&started, t)),
        later_secs: reports.first().zip(reports.last()).map(|(a, b)| since(a, b)),
        later_batches: reports.len().saturating_sub(1),
        peak_mib: peak_mib(),
    })
}

fn print_batches(run: &RunReport) {
    if let Some(first) = run.first_batch_secs {
        println!("  first batch  {first:.2} s after the call (read_table + linker + first {BATCH_ROWS} rows)");
    }
    if let Some(span) = run.later_secs.filter(|_| run.later_batches > 0) {
        let per_batch = span / run.later_batches as f64;
        println!(
            "  later        {} batches in {span:.2} s: {:.0} ms per {BATCH_ROWS} rows ({:.0} rows/s map + write)",
            run.later_batches,
            per_batch * 1000.0,
            BATCH_ROWS as f64 / per_batch.max(f64::EPSILON)
        );
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "FAILED" }
}

/// Peak resident memory of this process (VmHWM), in MiB; `None` where /proc is not there.
pub(crate) fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib / 1024.0)
}

/// Bytes of the files directly in `dir` (the database and its WAL).
fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0)
}
