//! The `ipbridge` binary: a thin layer that parses arguments, loads configuration and calls the
//! service and web crates.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, Subcommand};
use ipbridge_domain::audit::ChainBreak;
use ipbridge_domain::permission::Role;
use ipbridge_service::accounts::NewAccount;
use ipbridge_service::{Actor, App, OrgFilter, ServiceError, Settings};
use tracing_subscriber::EnvFilter;

/// 专利转化运用服务平台 — the platform a city IP administration runs to carry out its patent measures.
#[derive(Debug, Parser)]
#[command(name = "ipbridge", version, about)]
struct Cli {
    /// Configuration file (default: ./ipbridge.toml when present, or $IPBRIDGE_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory (overrides the configuration).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web platform.
    Serve {
        /// Listening address, e.g. 0.0.0.0:8080.
        #[arg(long)]
        addr: Option<std::net::SocketAddr>,
        /// The city's policy file (default: built-in Ankang policy).
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// Fill an empty data directory with the demo city and one account per role.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Search patents as the search page does (stable batch interface; see docs/search.md).
    Search {
        /// The search text: Chinese free text, "phrases", AND/OR/NOT, 申请人:… 分类号:….
        query: String,
        /// Hits to print.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Print JSON (one array) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Match many texts to patents: JSONL in ({"id": "...", "text": "..."} per line), TSV out
    /// (query_id, application_no, rank, score per line).
    Match {
        /// Input file, one JSON object per line.
        #[arg(long, value_name = "FILE.jsonl")]
        queries: PathBuf,
        /// Hits per query.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Output file (TSV, no header).
        #[arg(long, value_name = "FILE.tsv")]
        out: PathBuf,
        /// Which patents may match: all, active (in force or pending), or pool (the transferable pool).
        #[arg(long, default_value = "all", value_parser = ["all", "active", "pool"])]
        scope: String,
    },
    /// Rebuild the search index from the database (stop the server first; it keeps its index current).
    Reindex,
    /// Recompute the indicators (places, chains, high-value criteria, aggregates) and take this month's
    /// snapshot now. The server does this by itself on start, after changes and on the policy's schedule.
    Indicators,
    /// Manage accounts from the server's console.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write a consistent copy of the database (works while the platform runs).
    Backup {
        /// Target file; must not exist.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Replace the database with a backup (stop the platform first).
    Restore {
        /// The backup file.
        file: PathBuf,
    },
    /// Import patents or organisations from xlsx, csv (UTF-8 or GBK) or JSONL files.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Reference data (IPC scheme, strategic-emerging-industry concordance).
    Reference {
        #[command(subcommand)]
        command: ReferenceCommand,
    },
    /// Print the commented example configuration.
    DefaultConfig,
    /// The city's policy file.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account. The password is read from standard input or $IPBRIDGE_PASSWORD.
    Add {
        /// Login name.
        username: String,
        /// Role code, e.g. system_admin (repeatable).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Name shown in the platform (default: the login name).
        #[arg(long)]
        display_name: Option<String>,
        /// Organisation name (default: the bureau, created from the policy when missing).
        #[arg(long)]
        org: Option<String>,
    },
    /// Set a new password (read from standard input or $IPBRIDGE_PASSWORD); it must be changed at next login.
    Passwd {
        /// Login name.
        username: String,
    },
    /// Remove an account's TOTP second factor (lost phone); administrators enrol again at next login.
    ResetTotp {
        /// Login name.
        username: String,
    },
    /// Lift a lockout.
    Unlock {
        /// Login name.
        username: String,
    },
    /// List accounts.
    List,
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Patent records (CNIPA export, commercial databases, the platform's template, JSONL).
    Patents {
        /// The file.
        file: PathBuf,
        /// File format (default: detected from the content).
        #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
        format: FormatArg,
        /// Where to write the rejected rows (original columns plus 错误原因) when there are any.
        #[arg(long, value_name = "OUT.xlsx")]
        report: Option<PathBuf>,
    },
    /// Organisations (name, kind, credit code, county, contact).
    Orgs {
        /// The file.
        file: PathBuf,
        /// File format (default: detected from the content).
        #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
        format: FormatArg,
        /// Where to write the rejected rows when there are any.
        #[arg(long, value_name = "OUT.xlsx")]
        report: Option<PathBuf>,
    },
}

/// `--format` of the import commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FormatArg {
    /// Detect from the content.
    Auto,
    /// Excel workbook.
    Xlsx,
    /// Comma-, tab- or semicolon-separated text, UTF-8 or GB18030/GBK.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

impl FormatArg {
    fn format(self) -> Option<ipbridge_ingest::Format> {
        match self {
            FormatArg::Auto => None,
            FormatArg::Xlsx => Some(ipbridge_ingest::Format::Xlsx),
            FormatArg::Csv => Some(ipbridge_ingest::Format::Csv),
            FormatArg::Jsonl => Some(ipbridge_ingest::Format::Jsonl),
        }
    }
}

#[derive(Debug, Subcommand)]
enum ReferenceCommand {
    /// Load the IPC scheme and the IPC → strategic-emerging-industry concordance from a folder laid out like
    /// shared/data (ipc/ipc_2026_01_zh.csv, ipc/ipc_2020_en.csv, sei/sei_categories_2018.csv,
    /// sei/ipc_sei_concordance.jsonl).
    Load {
        /// The folder.
        #[arg(default_value = "../shared/data")]
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the SM3 hash chain; exits non-zero and names the first broken record when it fails.
    Verify,
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Validate a policy file.
    Check {
        /// The file.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误 / error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn settings(cli: &Cli) -> Result<Settings> {
    let mut s = Settings::load(cli.config.as_deref(), |k| std::env::var(k).ok())?;
    if let Some(d) = &cli.data_dir {
        s.server.data_dir = d.clone();
    }
    Ok(s)
}

fn init_logging(level: &str) {
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("start async runtime")
}

fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::DefaultConfig => {
            print!("{}", ipbridge_service::config::EXAMPLE_CONFIG);
            Ok(ExitCode::SUCCESS)
        }
        Command::Policy { command: PolicyCommand::Check { file } } => {
            let policy = ipbridge_service::load_policy(Some(file))?;
            // The holiday calendar the policy names is part of it: a broken file would stop the server.
            let calendar = ipbridge_service::load_calendar(&policy, Some(file))?;
            let years: Vec<String> = calendar.years().iter().map(|y| y.year.to_string()).collect();
            println!(
                "OK {}: {} {}，{} 条措施，{} 个部门，{} 个县（市、区）及开发区，{} 条产业链，{} 项目标，节假日安排 {} 年",
                file.display(),
                policy.city.name,
                policy.document.number,
                policy.measures.len(),
                policy.departments.len(),
                policy.counties.len(),
                policy.industry_chains.len(),
                policy.targets.len(),
                years.join("、")
            );
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            let mut settings = settings(&cli)?;
            if let Command::Serve { addr, policy, .. } = &cli.command {
                if let Some(a) = addr {
                    settings.server.addr = *a;
                }
                if let Some(p) = policy {
                    settings.server.policy = Some(p.clone());
                }
            }
            init_logging(&settings.log.level);
            runtime()?.block_on(run_async(cli, settings))
        }
    }
}

async fn open(settings: Settings) -> Result<App> {
    let policy = ipbridge_service::load_policy(settings.server.policy.as_deref())?;
    Ok(App::open(settings, policy).await?)
}

async fn run_async(cli: Cli, settings: Settings) -> Result<ExitCode> {
    match cli.command {
        Command::Serve { demo, .. } => serve(settings, demo).await,
        Command::Migrate => {
            let dir = settings.server.data_dir.clone();
            std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
            let db = ipbridge_store_open(&dir).await?;
            let n = db.migrate().await?;
            println!("migrations applied: {n} (database {})", db.path().display());
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::User { command } => user(settings, command).await,
        Command::Search { query, top, json } => search(settings, &query, top, json).await,
        Command::Match { queries, top, out, scope } => batch_match(settings, &queries, top, &out, &scope).await,
        Command::Reindex => {
            let app = open(settings).await?;
            let started = std::time::Instant::now();
            let progress = |done: u64, total: u64| eprint!("\r重建检索索引 / reindexing: {done}/{total}");
            let n = app.reindex(&Actor::cli(), &progress).await.map_err(service_error)?;
            eprintln!();
            println!("检索索引已重建：{n} 件专利，用时 {:.1} 秒 / index rebuilt", started.elapsed().as_secs_f64());
            Ok(ExitCode::SUCCESS)
        }
        Command::Indicators => {
            let app = open(settings).await?;
            let r = app.take_indicator_snapshot(&Actor::cli()).await.map_err(service_error)?;
            println!(
                "指标已刷新 / indicators refreshed: {} 件专利，本市 {} 件，有效发明专利 {} 件，高价值发明专利 {} 件，更新 {} 条，用时 {:.1} 秒",
                r.patents,
                r.in_city,
                r.valid_invention,
                r.high_value,
                r.changed,
                r.millis as f64 / 1000.0
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { command: AuditCommand::Verify } => {
            // Opened without migrating or starting the application: verification writes nothing.
            let path = settings.server.data_dir.join(ipbridge_service::DATABASE_FILE);
            if !path.is_file() {
                bail!("no database at {}", path.display());
            }
            let db = ipbridge_service::Db::open(&path).await?;
            let report = ipbridge_service::audit::verify_audit(&db).await?;
            db.close().await;
            match report.first_break {
                None => {
                    println!("OK: {} audit records verified, SM3 chain intact", report.checked);
                    Ok(ExitCode::SUCCESS)
                }
                Some(b) => {
                    let seq = match b {
                        ChainBreak::Altered { seq } | ChainBreak::Unlinked { seq } => seq,
                        ChainBreak::Gap { expected, .. } => expected,
                    };
                    println!("BROKEN at record {seq}: {b} ({} records before it verified)", report.checked);
                    Ok(ExitCode::from(2))
                }
            }
        }
        Command::Backup { out } => {
            let app = open(settings).await?;
            let size = app.backup(&Actor::cli(), &out).await?;
            println!("backup written: {} ({size} bytes)", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { command } => import(settings, command).await,
        Command::Reference { command: ReferenceCommand::Load { dir } } => {
            let app = open(settings).await?;
            let r = app.load_reference(&Actor::cli(), &dir).await.map_err(invalid_message)?;
            println!(
                "reference data loaded from {}: {} IPC titles, {} SEI categories, {} IPC → SEI mappings",
                dir.display(),
                r.ipc_titles,
                r.sei_categories,
                r.mappings
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { file } => {
            let report = ipbridge_service::maintenance::restore(&settings.server.data_dir, &file).await?;
            println!("restored {} into {}", file.display(), settings.server.data_dir.display());
            if let Some(prev) = report.previous {
                println!("the replaced database was kept as {}", prev.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::DefaultConfig | Command::Policy { .. } => {
            unreachable!("handled before the runtime starts")
        }
    }
}

async fn ipbridge_store_open(dir: &Path) -> Result<ipbridge_service::Db> {
    Ok(ipbridge_service::Db::open(&dir.join(ipbridge_service::DATABASE_FILE)).await?)
}

async fn serve(settings: Settings, demo: bool) -> Result<ExitCode> {
    let addr = settings.server.addr;
    for warning in settings.baseline_warnings() {
        tracing::warn!("{warning}");
    }
    let app = open(settings).await?;
    app.mark_interrupted_imports().await?;
    if demo {
        let password = std::env::var("IPBRIDGE_DEMO_PASSWORD").ok().filter(|p| !p.is_empty());
        match app.seed_demo(&Actor::cli(), password.as_deref()).await {
            Ok(Some(accounts)) => {
                println!("演示数据已生成。演示账号（密码只显示这一次）/ demo accounts (passwords shown once):");
                for a in &accounts {
                    let shown = if password.is_some() { "(IPBRIDGE_DEMO_PASSWORD)" } else { a.password.as_str() };
                    println!("  {:<20} {:<24} {}  [{}]", a.username, shown, a.role.label(), a.org_name);
                }
                println!("系统、安全、审计管理员首次登录须绑定动态口令（TOTP）。");
                // Reference data makes the patent pages show IPC titles; it ships beside the project, not in it.
                let shared = Path::new("../shared/data");
                if shared.join("ipc").is_dir() {
                    match app.load_reference(&Actor::cli(), shared).await {
                        Ok(r) => println!(
                            "已加载参考数据：{} 条 IPC 分类名称，{} 条战略性新兴产业对照",
                            r.ipc_titles, r.mappings
                        ),
                        Err(e) => tracing::warn!(error = %e, "reference data not loaded"),
                    }
                }
            }
            Ok(None) => println!("数据目录已有数据，未生成演示数据 / data directory not empty: demo data not added"),
            Err(ServiceError::Invalid(e)) => {
                bail!("{}", e.0.values().flatten().cloned().collect::<Vec<_>>().join("; "))
            }
            Err(e) => return Err(e.into()),
        }
    }
    // After the demo data and reference tables: the index is built with the final lexicon.
    app.start_search().await?;
    app.start_indicators();
    if !app.has_users().await? {
        tracing::warn!(
            "尚无任何账号 / no accounts yet: create the first system administrator with `ipbridge user add admin --role system_admin` (password from standard input)"
        );
    }
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("listen on {addr}"))?;
    tracing::info!(%addr, data_dir = %app.settings.server.data_dir.display(), city = %app.policy.city.name, "ipbridge listening: http://{addr}/");
    ipbridge_web::serve(listener, app, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Reads a password from $IPBRIDGE_PASSWORD, a terminal (without echo) or piped standard input.
fn read_password() -> Result<String> {
    if let Ok(p) = std::env::var("IPBRIDGE_PASSWORD")
        && !p.is_empty()
    {
        return Ok(p);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let first = rpassword::prompt_password("密码 / password: ")?;
        let second = rpassword::prompt_password("再次输入 / repeat: ")?;
        if first != second {
            bail!("两次输入的密码不一致 / the passwords differ");
        }
        return Ok(first);
    }
    let mut text = String::new();
    stdin.lock().read_to_string(&mut text)?;
    let p = text.lines().next().unwrap_or("").to_owned();
    if p.is_empty() {
        bail!("标准输入没有密码 / no password on standard input (or set IPBRIDGE_PASSWORD)");
    }
    Ok(p)
}

fn invalid_message(e: ServiceError) -> anyhow::Error {
    match e {
        ServiceError::Invalid(fields) => {
            anyhow!("{}", fields.0.iter().map(|(k, v)| format!("{k}: {}", v.join("; "))).collect::<Vec<_>>().join("; "))
        }
        ServiceError::Conflict(c) => anyhow!("{c}"),
        ServiceError::NotFound => anyhow!("not found / 未找到"),
        other => other.into(),
    }
}

async fn user(settings: Settings, command: UserCommand) -> Result<ExitCode> {
    let app = open(settings).await?;
    let actor = Actor::cli();
    match command {
        UserCommand::Add { username, roles, display_name, org } => {
            let roles = roles
                .iter()
                .map(|r| {
                    r.parse::<Role>()
                        .map_err(|_| anyhow!("unknown role {r:?}; roles: {}", Role::ALL.map(|r| r.code()).join(", ")))
                })
                .collect::<Result<Vec<_>>>()?;
            let org_id = match org {
                Some(name) => {
                    let page =
                        app.list_orgs(&actor, &OrgFilter { text: Some(name.clone()), ..OrgFilter::default() }).await?;
                    let exact: Vec<_> = page.orgs.iter().filter(|o| o.name == name).collect();
                    match exact.as_slice() {
                        [one] => one.id,
                        [] => bail!("no organisation named {name:?}"),
                        _ => bail!("several organisations named {name:?}"),
                    }
                }
                None => app.ensure_bureau_org(&actor).await.map_err(invalid_message)?,
            };
            let password = read_password()?;
            let new = NewAccount {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username: username.clone(),
                org_id: Some(org_id),
                faculty_id: None,
                password,
            };
            let id = app.bootstrap_account(&actor, &new, &roles).await.map_err(invalid_message)?;
            println!("account {username} created (id {id}); the password must be changed at first login");
            if roles.iter().any(|r| r.requires_totp()) {
                println!("administrators enrol a TOTP second factor at first login");
            }
        }
        UserCommand::Passwd { username } => {
            let user = app.account_by_name(&username).await.map_err(invalid_message)?;
            let password = read_password()?;
            app.reset_password(&actor, user.id, Some(&password)).await.map_err(invalid_message)?;
            println!("password of {username} set; it must be changed at next login");
        }
        UserCommand::ResetTotp { username } => {
            let user = app.account_by_name(&username).await.map_err(invalid_message)?;
            app.reset_account_totp(&actor, user.id).await.map_err(invalid_message)?;
            println!("second factor of {username} removed; it is enrolled again at next login");
        }
        UserCommand::Unlock { username } => {
            let user = app.account_by_name(&username).await.map_err(invalid_message)?;
            app.unlock_account(&actor, user.id).await?;
            println!("{username} unlocked");
        }
        UserCommand::List => {
            let page = app.list_accounts(&actor, &Default::default()).await?;
            for u in page.users {
                println!(
                    "{:<20} {:<12} {:<40} {}{}",
                    u.username,
                    u.display_name,
                    u.org_name,
                    u.roles.iter().map(|r| r.code()).collect::<Vec<_>>().join(","),
                    if u.disabled { " (disabled)" } else { "" }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on a terminal, nothing otherwise (logs and pipes stay clean).
fn progress_bar() -> indicatif::ProgressBar {
    if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} 行 {per_sec} 剩余 {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    }
}

/// `ipbridge import …`: exits non-zero only when the file cannot be read at all; rejected rows are
/// reported (and written to `--report`), not failures.
async fn import(settings: Settings, command: ImportCommand) -> Result<ExitCode> {
    let app = open(settings).await?;
    let actor = Actor::cli();
    let (file, format, report, patents) = match command {
        ImportCommand::Patents { file, format, report } => (file, format, report, true),
        ImportCommand::Orgs { file, format, report } => (file, format, report, false),
    };
    let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let bar = progress_bar();
    let progress = {
        let bar = bar.clone();
        move |c: &ipbridge_service::ImportCounts| {
            bar.set_length(c.total);
            bar.set_position(c.read);
        }
    };
    let result = if patents {
        let id = app.begin_patent_import(&actor, &name, &bytes).await.map_err(invalid_message)?;
        app.run_patent_import(&actor, id, &name, bytes, format.format(), &progress).await
    } else {
        app.import_orgs(&actor, &name, bytes, format.format(), &progress).await
    };
    bar.finish_and_clear();
    let run = match result {
        Ok(run) => run,
        Err(ServiceError::Invalid(e)) => {
            eprintln!(
                "无法导入 {}：{}",
                file.display(),
                e.0.values().flatten().cloned().collect::<Vec<_>>().join("；")
            );
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e.into()),
    };
    let c = run.counts;
    println!(
        "{}: read {} = inserted {} + updated {} + unchanged {} + rejected {} (import #{})",
        file.display(),
        c.read,
        c.inserted,
        c.updated,
        c.unchanged,
        c.rejected,
        run.id
    );
    println!("{}", run.message);
    if c.rejected > 0 {
        let (report_name, bytes) = app.import_report(&actor, run.id).await?;
        let out = report.unwrap_or_else(|| PathBuf::from(&report_name));
        std::fs::write(&out, bytes).with_context(|| format!("cannot write {}", out.display()))?;
        println!("rejected rows with their reasons: {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// A service error as one line a user reads (field messages in Chinese).
fn service_error(e: ServiceError) -> anyhow::Error {
    match e {
        ServiceError::Invalid(fields) => {
            anyhow!("{}", fields.0.values().flatten().cloned().collect::<Vec<_>>().join("; "))
        }
        other => anyhow!(other),
    }
}

async fn search(settings: Settings, query: &str, top: usize, json: bool) -> Result<ExitCode> {
    let app = open(settings).await?;
    let request = ipbridge_service::search::PatentSearch {
        q: query.to_owned(),
        page: 1,
        per_page: u32::try_from(top.clamp(1, 100)).unwrap_or(10),
        ..Default::default()
    };
    let page = app.search_patents(&Actor::cli(), &request).await.map_err(service_error)?;
    if json {
        let hits: Vec<serde_json::Value> = page
            .hits
            .iter()
            .enumerate()
            .map(|(i, h)| {
                serde_json::json!({
                    "rank": i + 1,
                    "application_no": h.summary.application_no,
                    "title": h.summary.title,
                    "score": h.score,
                    "patent_type": h.summary.patent_type.code(),
                    "legal_status": h.summary.legal_status.code(),
                    "applicants": h.applicants,
                    "ipc": h.ipc_codes,
                    "filing_date": h.summary.filing_date,
                })
            })
            .collect();
        println!("{}", serde_json::json!({ "total": page.total, "hits": hits }));
    } else {
        println!("共 {} 件 / {} hits ({} ms)", page.total, page.total, page.elapsed_ms);
        for (i, h) in page.hits.iter().enumerate() {
            println!(
                "{:>3}  {:<16} {:>7.2}  {}  [{}]",
                i + 1,
                h.summary.application_no,
                h.score,
                h.summary.title,
                h.summary.first_applicant
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One input line of `ipbridge match`.
#[derive(serde::Deserialize)]
struct QueryLine {
    id: serde_json::Value,
    text: String,
}

async fn batch_match(settings: Settings, queries: &Path, top: usize, out: &Path, scope: &str) -> Result<ExitCode> {
    let text = std::fs::read_to_string(queries).with_context(|| format!("read {}", queries.display()))?;
    let mut parsed = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let q: QueryLine = serde_json::from_str(line).with_context(|| {
            format!("{} 第 {} 行不是 {{\"id\": …, \"text\": …}} 形式的 JSON", queries.display(), n + 1)
        })?;
        let id = match q.id {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        if id.contains(['\t', '\n']) {
            bail!("{} 第 {} 行：id 不能包含制表符或换行", queries.display(), n + 1);
        }
        parsed.push((id, q.text));
    }
    let app = open(settings).await?;
    let scope = match scope {
        "active" => ipbridge_service::search::MatchScope::Active,
        "pool" => ipbridge_service::search::MatchScope::Pool,
        _ => ipbridge_service::search::MatchScope::All,
    };
    let started = std::time::Instant::now();
    let lines = app.batch_match(&Actor::cli(), &parsed, top, scope).await.map_err(service_error)?;
    let mut tsv = String::with_capacity(lines.len() * 40);
    for l in &lines {
        tsv.push_str(&format!("{}\t{}\t{}\t{:.4}\n", l.query_id, l.application_no, l.rank, l.score));
    }
    std::fs::write(out, tsv).with_context(|| format!("write {}", out.display()))?;
    eprintln!(
        "{} 条查询，{} 行结果，用时 {:.1} 秒 / {} queries matched",
        parsed.len(),
        lines.len(),
        started.elapsed().as_secs_f64(),
        parsed.len()
    );
    Ok(ExitCode::SUCCESS)
}
