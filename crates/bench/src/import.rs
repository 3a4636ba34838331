//! The import benchmark: a CNIPA-style workbook of real patents, imported through the same service call the
//! web page and the command line use, then imported again (every row must come back unchanged).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use ipbridge_ingest::{PatentColumns, map_patent_row, read_table};
use ipbridge_service::patents::BATCH_ROWS;
use ipbridge_service::{Actor, App, ImportCounts, ImportRecord, Settings, load_policy};

use crate::ImportArgs;
use crate::generate::{Corpus, HEADERS};

/// The name the workbook is imported under (its extension picks the reader).
const FILE_NAME: &str = "cnipa-benchmark.xlsx";
/// The rate the import should reach on the reference machine (2 cores).
const TARGET_ROWS_PER_SECOND: f64 = 20_000.0;

/// One import run, as the benchmark saw it.
struct ImportRun {
    record: ImportRecord,
    total: Duration,
    /// Time from the call to the first progress report (reading the file, loading the applicant linker and
    /// mapping and writing the first batch).
    first_batch: Option<Duration>,
    /// Time from the first to the last progress report, and how many batches that spans.
    later_batches: Option<(Duration, usize)>,
    peak_mib: Option<f64>,
}

/// Runs the import benchmark and prints its summary; fails when the counts are not what they must be.
pub fn run(args: &ImportArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let work = tempfile::Builder::new().prefix("ipbridge-bench-").tempdir()?;
    let data_dir = work.path().join("data");
    let xlsx_path = work.path().join(FILE_NAME);

    // 1. Generate.
    let started = Instant::now();
    let corpus = Corpus::load(&args.data)
        .with_context(|| format!("loading the real patents from {} (see --data)", args.data.display()))?;
    let bytes = corpus.workbook(args.rows)?;
    std::fs::write(&xlsx_path, &bytes)?;
    let generation = started.elapsed();
    let file_size = bytes.len();
    drop(bytes);
    let peak_generation = peak_mib_and_reset();

    // 2. Read and map alone, with the functions the import calls, to tell parsing from writing.
    let bytes = std::fs::read(&xlsx_path)?;
    let started = Instant::now();
    let table = read_table(FILE_NAME, &bytes, None)?;
    let read_time = started.elapsed();
    let started = Instant::now();
    let columns = PatentColumns::from_headers(&table.headers)?;
    let mut mapped = 0usize;
    for row in &table.rows {
        if map_patent_row(&columns, &table.headers, row).is_ok() {
            mapped += 1;
        }
    }
    let map_time = started.elapsed();
    let table_rows = table.rows.len();
    drop(table);
    let peak_parse = peak_mib_and_reset();

    // 3. Import into a fresh data directory, then import the same file again.
    let settings = {
        let mut s = Settings::default();
        s.server.data_dir = data_dir.clone();
        s
    };
    let policy = load_policy(None)?;
    let app = runtime.block_on(App::open(settings, policy))?;
    let first = runtime.block_on(import_once(&app, bytes.clone()))?;
    let second = runtime.block_on(import_once(&app, bytes))?;
    let db_size = dir_size(&data_dir);
    drop(app);
    let peak_total =
        [peak_generation, peak_parse, first.peak_mib, second.peak_mib].into_iter().flatten().reduce(f64::max);

    // 4. Report.
    let rows = args.rows as u64;
    let rate = |d: Duration| rows as f64 / d.as_secs_f64().max(f64::EPSILON);
    let mib = |b: u64| b as f64 / 1024.0 / 1024.0;
    let show_peak = |p: Option<f64>| p.map_or_else(|| "n/a".to_owned(), |p| format!("{p:.0} MiB"));
    let c = &first.record.counts;
    let c2 = &second.record.counts;
    let first_ok = c.total == rows && c.read == rows && c.inserted == rows && c.rejected == 0 && c.updated == 0;
    let second_ok = c2.read == rows && c2.unchanged == rows && c2.inserted == 0 && c2.updated == 0 && c2.rejected == 0;
    let build = if cfg!(debug_assertions) { "DEBUG build: figures not representative" } else { "release build" };
    let secs = |d: Duration| format!("{:.2} s", d.as_secs_f64());

    println!("== ipbridge import benchmark ==========================================");
    println!("machine        {cores} cores (available_parallelism), {build}");
    let (patents, subclasses) = (corpus.patents(), corpus.distinct_subclasses());
    println!("rows           {rows} (cycling {patents} real BDCI 2022 patents, {subclasses} IPC subclasses)");
    println!("file           {:.1} MiB xlsx, {} CNIPA columns", mib(file_size as u64), HEADERS.len());
    println!("generation     {}  (peak {})", secs(generation), show_peak(peak_generation));
    println!(
        "read_table     {}  ({:.0} rows/s; alone, same function the import calls)",
        secs(read_time),
        rate(read_time)
    );
    println!(
        "map rows       {}  ({:.0} rows/s; {mapped} of {table_rows} mapped; peak of read+map {})",
        secs(map_time),
        rate(map_time),
        show_peak(peak_parse)
    );
    println!("import 1       {}  => {:.0} rows/s", secs(first.total), rate(first.total));
    println!(
        "  counts       total {} read {} inserted {} updated {} unchanged {} rejected {}",
        c.total, c.read, c.inserted, c.updated, c.unchanged, c.rejected
    );
    print_batches(&first);
    let write_estimate = first.total.saturating_sub(read_time + map_time);
    println!(
        "  write est.   {}  (import minus read_table minus map: applicant links, JSON, SM3, SQLite)",
        secs(write_estimate)
    );
    println!("  peak memory  {} (VmHWM during the import)", show_peak(first.peak_mib));
    println!("import 2       {}  => {:.0} rows/s (same file again)", secs(second.total), rate(second.total));
    println!(
        "  counts       total {} read {} inserted {} updated {} unchanged {} rejected {}",
        c2.total, c2.read, c2.inserted, c2.updated, c2.unchanged, c2.rejected
    );
    print_batches(&second);
    println!("  peak memory  {}", show_peak(second.peak_mib));
    println!("database       {:.1} MiB on disk after both imports", mib(db_size));
    println!("peak memory    {} (VmHWM, highest of the phases above)", show_peak(peak_total));
    println!(
        "checks         import 1 read = inserted = rows, rejected 0: {}; import 2 all unchanged: {}",
        verdict(first_ok),
        verdict(second_ok)
    );
    println!(
        "target         {:.0} rows/s: {}",
        TARGET_ROWS_PER_SECOND,
        if rate(first.total) >= TARGET_ROWS_PER_SECOND { "met" } else { "NOT met" }
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

/// Begins and runs one import of the workbook as the command line does, timing its batches.
async fn import_once(app: &App, bytes: Vec<u8>) -> Result<ImportRun> {
    let actor = Actor::cli();
    peak_mib_and_reset();
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
    let total = started.elapsed();
    let reports = reports.lock().map(|r| r.clone()).unwrap_or_default();
    let first_batch = reports.first().map(|t| t.duration_since(started));
    let later_batches = match (reports.first(), reports.last()) {
        (Some(a), Some(b)) if reports.len() > 1 => Some((b.duration_since(*a), reports.len() - 1)),
        _ => None,
    };
    Ok(ImportRun { record, total, first_batch, later_batches, peak_mib: peak_mib() })
}

fn print_batches(run: &ImportRun) {
    if let Some(first) = run.first_batch {
        println!(
            "  first batch  {:.2} s after the call (read_table + linker + first {BATCH_ROWS} rows)",
            first.as_secs_f64()
        );
    }
    if let Some((span, n)) = run.later_batches {
        let per_batch = span.as_secs_f64() / n as f64;
        println!(
            "  later        {n} batches in {:.2} s: {:.0} ms per {BATCH_ROWS} rows ({:.0} rows/s map + write)",
            span.as_secs_f64(),
            per_batch * 1000.0,
            BATCH_ROWS as f64 / per_batch.max(f64::EPSILON)
        );
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "FAILED" }
}

/// Peak resident memory of this process (VmHWM), in MiB; `None` where /proc is not there.
fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib / 1024.0)
}

/// The peak so far, then resets it to the current resident size (Linux: `5` to clear_refs), so each phase
/// reports its own peak. Where the reset is refused, later peaks include the earlier phases.
fn peak_mib_and_reset() -> Option<f64> {
    let peak = peak_mib();
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    peak
}

/// Bytes of the files directly in `dir` (the database and its WAL).
fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0)
}
