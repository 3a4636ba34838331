//! The refresh job: derives every patent's place, chains and high-value criteria, aggregates the city's
//! patents, and writes the month's snapshot (and the history reconstructed from filing and grant dates).
//!
//! It reads the patents in id order, a batch at a time, and writes only the facts that changed, so a
//! refresh over an unchanged million-patent database reads much and writes little. One refresh runs at a
//! time; requests made meanwhile coalesce into the next run.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::indicators::high_value::{self, AwardFact, AwardKind, Criterion, PatentFacts, SeiConcordance};
use ipbridge_domain::indicators::place::{PlaceInput, PlaceOverride, PlaceRule};
use ipbridge_domain::indicators::{Indicator, Month, per_10k_hundredths, share_bp};
use ipbridge_domain::patent::{LegalStatus, PatentType};
use ipbridge_domain::policy::IndustryChain;
use ipbridge_domain::{Money, Permission};
use ipbridge_store::{
    ApplicantFact, AuditStore, AwardStore, ChainLink, ChainStore, FactSource, IndicatorCell, IndicatorStore,
    InventoryStore, PatentFact, PlaceStore, Snapshot, SnapshotWrite, StatsStore,
};
use serde_json::json;
use tokio::sync::{Mutex, Notify};

use crate::{Actor, App, Result};

/// Patents read per batch: large enough to amortise the queries, small enough to keep memory flat.
const BATCH: i64 = 20_000;

/// How many rows the open-ended breakdowns (applicants, IPC groups) keep per scope.
const TOP_ROWS: usize = 50;

/// The state of the background job.
#[derive(Debug, Default)]
pub struct Jobs {
    wake: Notify,
    running: Mutex<()>,
    /// Why the next run was asked for (the latest reason wins; runs coalesce).
    reason: std::sync::Mutex<Option<String>>,
}

/// What one refresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshReport {
    /// Patents read.
    pub patents: u64,
    /// Of which the city's.
    pub in_city: u64,
    /// The city's valid invention patents.
    pub valid_invention: u64,
    /// The city's high-value invention patents.
    pub high_value: u64,
    /// Facts written because they changed.
    pub changed: u64,
    /// Patents whose chain links were rewritten because they changed.
    pub relinked: u64,
    /// How long it took.
    pub millis: u64,
}

/// Counters of one aggregate row.
#[derive(Debug, Clone, Default)]
struct Counts {
    label: String,
    patents: i64,
    in_force: i64,
    valid_invention: i64,
    high_value: i64,
}

/// One patent's contribution to the counters.
#[derive(Debug, Clone, Copy)]
struct Weight {
    in_force: bool,
    valid_invention: bool,
    high_value: bool,
}

impl Counts {
    fn add(&mut self, w: Weight) {
        self.patents += 1;
        self.in_force += i64::from(w.in_force);
        self.valid_invention += i64::from(w.valid_invention);
        self.high_value += i64::from(w.high_value);
    }
}

/// The aggregates being built: per scope and dimension, a map key → counts. Every level is looked up by
/// `&str` before inserting, so the million-patent pass allocates only for new rows.
#[derive(Debug, Default)]
struct Aggregates {
    tables: HashMap<String, HashMap<&'static str, HashMap<String, Counts>>>,
}

impl Aggregates {
    fn add(&mut self, scope: &str, dimension: &'static str, key: &str, label: impl FnOnce() -> String, w: Weight) {
        let dims = match self.tables.get_mut(scope) {
            Some(d) => d,
            None => self.tables.entry(scope.to_owned()).or_default(),
        };
        let table = dims.entry(dimension).or_default();
        match table.get_mut(key) {
            Some(c) => c.add(w),
            None => {
                let mut c = Counts { label: label(), ..Counts::default() };
                c.add(w);
                table.insert(key.to_owned(), c);
            }
        }
    }

    fn into_cells(self) -> Vec<IndicatorCell> {
        let mut cells = Vec::new();
        for (scope, dims) in self.tables {
            for (dimension, table) in dims {
                let mut rows: Vec<(String, Counts)> = table.into_iter().collect();
                rows.sort_by(|a, b| b.1.patents.cmp(&a.1.patents).then_with(|| a.0.cmp(&b.0)));
                if matches!(dimension, "applicant" | "ipc_group") {
                    rows.truncate(TOP_ROWS);
                }
                cells.extend(rows.into_iter().map(|(key, c)| IndicatorCell {
                    scope: scope.clone(),
                    dimension: dimension.to_owned(),
                    key,
                    label: c.label,
                    patents: c.patents,
                    in_force: c.in_force,
                    valid_invention: c.valid_invention,
                    high_value: c.high_value,
                }));
            }
        }
        cells
    }
}

/// Monthly deltas from which the history is rebuilt: +1 in the month a patent starts counting, −1 in the
/// month it stops. Index 0 collects everything before the window.
#[derive(Debug)]
struct History {
    first: Month,
    months: usize,
    valid: HashMap<String, Vec<i64>>,
    high_value: HashMap<String, Vec<i64>>,
}

impl History {
    fn new(first: Month, last: Month) -> Self {
        let months = usize::try_from(first.months_until(last) + 1).unwrap_or(1).max(1);
        History { first, months, valid: HashMap::new(), high_value: HashMap::new() }
    }

    fn index(&self, m: Month) -> usize {
        usize::try_from(self.first.months_until(m).max(0)).unwrap_or(0)
    }

    /// Counts `scope` from `start` until before `end` (if it ended).
    fn add(series: &mut HashMap<String, Vec<i64>>, scope: &str, from: usize, to: Option<usize>, len: usize) {
        if to.is_some_and(|t| t <= from) {
            return;
        }
        let v = match series.get_mut(scope) {
            Some(v) => v,
            None => series.entry(scope.to_owned()).or_insert_with(|| vec![0; len + 1]),
        };
        if from < len {
            v[from] += 1;
        }
        if let Some(t) = to
            && t < len
        {
            v[t] -= 1;
        }
    }

    /// Running totals per month of the window.
    fn totals(series: &HashMap<String, Vec<i64>>) -> HashMap<&str, Vec<i64>> {
        series
            .iter()
            .map(|(scope, deltas)| {
                let mut sum = 0;
                let totals = deltas.iter().map(|d| {
                    sum += d;
                    sum
                });
                (scope.as_str(), totals.collect())
            })
            .collect()
    }
}

/// Everything the per-patent evaluation needs, loaded once per refresh.
struct Context {
    today: NaiveDate,
    rule: PlaceRule,
    overrides: HashMap<String, PlaceOverride>,
    orgs: HashMap<i64, (String, String, Option<String>)>,
    awards: HashMap<String, Vec<AwardFact>>,
    concordance: SeiConcordance,
    chains: Vec<IndustryChain>,
    county_names: HashMap<String, String>,
}

/// The month a criterion began to hold (for the reconstructed history).
fn criterion_start(c: Criterion, s: &FactSource, ctx: &Context, app: &App, grant: Month) -> Option<Month> {
    match c {
        Criterion::Sei | Criterion::ForeignFamily | Criterion::Pledge => Some(grant),
        Criterion::Maintained => {
            let rules = &app.policy.high_value;
            let start = match rules.maintained_since {
                ipbridge_domain::policy::MaintenanceStart::FilingDate => s.filing_date,
                ipbridge_domain::policy::MaintenanceStart::GrantDate => s.grant_date,
            }?;
            Some(Month::of(high_value::maintained_from(start, rules.maintained_years)))
        }
        Criterion::Award => ctx
            .awards
            .get(&s.application_no)
            .and_then(|a| a.iter().map(|a| a.year).min())
            .and_then(|y| Month::new(y, 1)),
    }
}

/// Adds one patent to its first applicant's line of the applicant places review list.
fn tally_applicant(applicants: &mut HashMap<String, ApplicantFact>, norm: &str, s: &FactSource, fact: &PatentFact) {
    let a = match applicants.get_mut(norm) {
        Some(a) => a,
        None => applicants.entry(norm.to_owned()).or_insert_with(|| ApplicantFact {
            name_norm: norm.to_owned(),
            name: s.first_applicant.clone(),
            patents: 0,
            in_city_patents: 0,
            bases: Vec::new(),
            counties: Vec::new(),
        }),
    };
    a.patents += 1;
    a.in_city_patents += i64::from(fact.in_city);
    if let Err(i) = a.bases.binary_search(&fact.place_basis) {
        a.bases.insert(i, fact.place_basis.clone());
    }
    if let Some(county) = &fact.county_code
        && let Err(i) = a.counties.binary_search(county)
    {
        a.counties.insert(i, county.clone());
    }
}

impl App {
    /// Asks the background job for a refresh and returns at once; `reason` is logged with the run.
    pub fn request_indicator_refresh(&self, reason: &str) {
        if let Ok(mut r) = self.indicators.reason.lock() {
            *r = Some(reason.to_owned());
        }
        self.indicators.wake.notify_one();
    }

    /// Starts the server's indicator job: a refresh now, then one whenever asked for and on the policy's
    /// schedule (`[indicators] refresh_minutes`).
    pub fn start_indicators(&self) {
        let app = self.clone();
        let every = Duration::from_secs(u64::from(self.policy.indicators.refresh_minutes) * 60);
        tokio::spawn(async move {
            let mut trigger = "start".to_owned();
            loop {
                // A failed run is logged, with its trigger, where the run is recorded.
                if let Ok(r) = app.refresh_indicators(&trigger).await {
                    tracing::info!(
                        trigger,
                        patents = r.patents,
                        in_city = r.in_city,
                        changed = r.changed,
                        relinked = r.relinked,
                        millis = r.millis,
                        "indicators refreshed"
                    );
                }
                tokio::select! {
                    () = app.indicators.wake.notified() => {
                        trigger = app.indicators.reason.lock().ok().and_then(|mut r| r.take()).unwrap_or_else(|| "request".to_owned());
                    }
                    () = tokio::time::sleep(every) => trigger = "schedule".to_owned(),
                }
            }
        });
    }

    /// Takes the month's snapshot now (recomputing everything first); the bureau's 立即快照.
    pub async fn take_indicator_snapshot(&self, actor: &Actor) -> Result<RefreshReport> {
        actor.authorise(Permission::ManageIndicators)?;
        self.refresh_run("manual", Some(actor)).await
    }

    /// Recomputes the derived tables, the aggregates and the month's snapshot now.
    pub async fn refresh_indicators(&self, trigger: &str) -> Result<RefreshReport> {
        self.refresh_run(trigger, None).await
    }

    /// One run; `manual`: the account that asked for the month's snapshot (audited with the snapshot).
    async fn refresh_run(&self, trigger: &str, manual: Option<&Actor>) -> Result<RefreshReport> {
        let _running = self.indicators.running.lock().await;
        let started = Instant::now();
        let run = {
            let mut tx = self.db.begin().await?;
            let id = tx.begin_refresh(trigger, self.now()).await?;
            tx.commit().await?;
            id
        };
        let outcome = self.refresh_inner(manual).await;
        let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut tx = self.db.begin().await?;
        match &outcome {
            Ok(r) => {
                tx.finish_refresh(run, r.patents as i64, millis as i64, None, self.now()).await?;
            }
            Err(e) => {
                tracing::error!(trigger, error = %e, "indicator refresh failed");
                tx.finish_refresh(run, 0, millis as i64, Some(&e.to_string()), self.now()).await?;
            }
        }
        tx.commit().await?;
        outcome.map(|r| RefreshReport { millis, ..r })
    }

    async fn load_context(&self) -> Result<Context> {
        let mut tx = self.db.read().await?;
        let chains = tx
            .chains()
            .await?
            .into_iter()
            .filter(|c| c.active)
            .map(|c| IndustryChain { code: c.code, name: c.name, ipc_prefixes: c.ipc_prefixes, keywords: c.keywords })
            .collect();
        let orgs = tx.org_places().await?;
        let (pairs, names) = tx.sei_reference().await?;
        let mut awards: HashMap<String, Vec<AwardFact>> = HashMap::new();
        for a in tx.award_rows().await? {
            if let Some(kind) = AwardKind::parse(&a.award) {
                awards.entry(a.application_no).or_default().push(AwardFact {
                    kind,
                    grade: a.grade,
                    year: i32::try_from(a.year).unwrap_or(i32::MAX),
                });
            }
        }
        let overrides = tx
            .place_overrides()
            .await?
            .into_iter()
            .map(|o| (o.name_norm, PlaceOverride { in_city: o.in_city, county_code: o.county_code }))
            .collect();
        Ok(Context {
            today: self.china_today(),
            rule: PlaceRule::new(&self.policy),
            overrides,
            orgs,
            awards,
            concordance: SeiConcordance::new(pairs, names),
            chains,
            county_names: self.policy.counties.iter().map(|c| (c.code.clone(), c.name.clone())).collect(),
        })
    }

    async fn refresh_inner(&self, manual: Option<&Actor>) -> Result<RefreshReport> {
        let ctx = self.load_context().await?;
        let current = Month::of(ctx.today);
        let window = {
            let mut m = current;
            for _ in 0..(self.policy.indicators.backfill_years * 12) {
                m = m.previous();
            }
            m
        };
        let mut history = History::new(window, current);
        let mut agg = Aggregates::default();
        let mut applicants: HashMap<String, ApplicantFact> = HashMap::new();
        let mut report = RefreshReport::default();
        let chain_names: HashMap<&str, &str> = ctx.chains.iter().map(|c| (c.code.as_str(), c.name.as_str())).collect();
        let mut after = 0i64;
        loop {
            let sources = {
                let mut tx = self.db.read().await?;
                tx.fact_sources(after, BATCH).await?
            };
            let (Some(first), Some(last)) = (sources.first().map(|s| s.id), sources.last().map(|s| s.id)) else {
                break;
            };
            let mut facts = Vec::with_capacity(sources.len());
            let mut links: Vec<ChainLink> = Vec::new();
            for (n, s) in sources.iter().enumerate() {
                // The pass is CPU work between queries: let requests served by this worker thread through.
                if n % 2000 == 1999 {
                    tokio::task::yield_now().await;
                }
                let (fact, patent_links) = self.evaluate(s, &ctx);
                report.patents += 1;
                if let Some(norm) = &s.first_applicant_norm {
                    tally_applicant(&mut applicants, norm, s, &fact);
                }
                if fact.in_city {
                    report.in_city += 1;
                    report.valid_invention += u64::from(fact.valid_invention);
                    report.high_value += u64::from(fact.high_value);
                    self.aggregate(&mut agg, s, &fact, &patent_links, &ctx, &chain_names);
                    self.record_history(&mut history, s, &fact, &patent_links, &ctx);
                }
                facts.push(fact);
                links.extend(patent_links);
            }
            // Write what changed.
            let (stored, stored_links) = {
                let mut tx = self.db.read().await?;
                (tx.facts_between(first, last).await?, tx.links_between(first, last).await?)
            };
            let changed: Vec<PatentFact> = facts.into_iter().filter(|f| stored.get(&f.patent_id) != Some(f)).collect();
            let mut by_patent: HashMap<i64, Vec<&ChainLink>> = HashMap::new();
            for l in &links {
                by_patent.entry(l.patent_id).or_default().push(l);
            }
            let mut stored_by_patent: HashMap<i64, Vec<&ChainLink>> = HashMap::new();
            for l in &stored_links {
                stored_by_patent.entry(l.patent_id).or_default().push(l);
            }
            let mut relinked: Vec<i64> = sources
                .iter()
                .map(|s| s.id)
                .filter(|id| {
                    by_patent.get(id).map(|v| v.as_slice()).unwrap_or_default()
                        != stored_by_patent.get(id).map(|v| v.as_slice()).unwrap_or_default()
                })
                .collect();
            relinked.sort_unstable();
            if !changed.is_empty() || !relinked.is_empty() {
                let new_links: Vec<ChainLink> =
                    links.iter().filter(|l| relinked.binary_search(&l.patent_id).is_ok()).cloned().collect();
                let mut tx = self.db.begin().await?;
                tx.upsert_facts(&changed).await?;
                tx.replace_links(&relinked, &new_links).await?;
                tx.commit().await?;
            }
            report.changed += changed.len() as u64;
            report.relinked += relinked.len() as u64;
            after = last;
        }
        let mut cells = agg.into_cells();
        self.label_ipc(&mut cells).await?;
        let snapshots = self.snapshot_rows(&ctx, &history, &cells, current, manual.is_some()).await?;
        let mut tx = self.db.begin().await?;
        tx.replace_cells(&cells).await?;
        let mut applicants: Vec<ApplicantFact> = applicants.into_values().collect();
        applicants.sort_by(|a, b| a.name_norm.cmp(&b.name_norm));
        tx.replace_applicant_facts(&applicants).await?;
        tx.write_snapshots(&snapshots.0, SnapshotWrite::Backfill).await?;
        tx.write_snapshots(&snapshots.1, SnapshotWrite::Overwrite).await?;
        if let Some(actor) = manual {
            // The snapshot taken by hand and its audit record commit together.
            let month = current.to_string();
            tx.append_audit(&actor.audit(
                Action::SnapshotTake,
                "indicator_snapshot",
                &month,
                Outcome::Success,
                json!({"month": month, "patents": report.patents, "valid_invention": report.valid_invention,
                       "high_value": report.high_value}),
            ))
            .await?;
        }
        tx.commit().await?;
        Ok(report)
    }

    /// Place, chains and high-value criteria of one patent.
    fn evaluate(&self, s: &FactSource, ctx: &Context) -> (PatentFact, Vec<ChainLink>) {
        let org = s
            .first_applicant_org_id
            .and_then(|id| ctx.orgs.get(&id))
            .map(|(name, _, county)| (name.as_str(), county.as_deref()));
        let place = ctx.rule.place(&PlaceInput {
            override_place: s.first_applicant_norm.as_ref().and_then(|n| ctx.overrides.get(n)),
            org,
            address: &s.applicant_address,
            province_code: s.province_code.as_deref(),
        });
        // The store's CHECK constraint admits only the three types; anything else is never an invention.
        let patent_type: PatentType = s.patent_type.parse().unwrap_or(PatentType::Design);
        let legal_status: LegalStatus = s.legal_status.parse().unwrap_or(LegalStatus::Unknown);
        let no_awards = Vec::new();
        let assessment = high_value::evaluate(
            &PatentFacts {
                patent_type,
                legal_status,
                filing_date: s.filing_date,
                grant_date: s.grant_date,
                main_ipc: s.main_ipc.as_deref(),
                ipc_codes: &s.ipc_codes,
                has_foreign_family: s.has_foreign_family,
                pledge_amount: s.pledge_amount.map(Money::from_fen),
                awards: ctx.awards.get(&s.application_no).unwrap_or(&no_awards),
            },
            &self.policy.high_value,
            &ctx.concordance,
            ctx.today,
        );
        let reasons: serde_json::Map<String, serde_json::Value> =
            assessment.reasons.iter().map(|(c, why)| (c.code().to_owned(), json!(why))).collect();
        let mut links = Vec::new();
        for chain in &ctx.chains {
            let by_ipc = s.ipc_codes.iter().chain(s.main_ipc.iter()).find_map(|code| chain.matching_prefix(code));
            let link = match by_ipc {
                Some(prefix) => Some(("ipc", prefix.to_owned())),
                None => chain
                    .keywords
                    .iter()
                    .find(|k| !k.is_empty() && s.title.contains(k.as_str()))
                    .map(|k| ("keyword", k.clone())),
            };
            if let Some((by, matched)) = link {
                links.push(ChainLink {
                    patent_id: s.id,
                    chain_code: chain.code.clone(),
                    by_kind: by.to_owned(),
                    matched,
                });
            }
        }
        // In the store's order, so an unchanged patent compares equal and is not rewritten.
        links.sort_by(|a, b| a.chain_code.cmp(&b.chain_code));
        let fact = PatentFact {
            patent_id: s.id,
            in_city: place.in_city,
            county_code: place.county_code,
            place_basis: place.basis.code().to_owned(),
            place_detail: place.detail,
            valid_invention: assessment.valid_invention,
            high_value: assessment.is_high_value(),
            hv_criteria: i64::from(assessment.criteria),
            hv_reasons: serde_json::Value::Object(reasons).to_string(),
            filing_date: s.filing_date.map(|d| d.to_string()),
        };
        (fact, links)
    }

    fn aggregate(
        &self,
        agg: &mut Aggregates,
        s: &FactSource,
        fact: &PatentFact,
        links: &[ChainLink],
        ctx: &Context,
        chain_names: &HashMap<&str, &str>,
    ) {
        let w = Weight {
            in_force: s.legal_status == LegalStatus::Granted.code(),
            valid_invention: fact.valid_invention,
            high_value: fact.high_value,
        };
        let county = fact.county_code.as_deref().unwrap_or("");
        let county_label = || ctx.county_names.get(county).cloned().unwrap_or_else(|| "县区不明".to_owned());
        let type_label = || {
            s.patent_type.parse::<PatentType>().map(|t| t.label().to_owned()).unwrap_or_else(|_| s.patent_type.clone())
        };
        let year = s.filing_date.map(|d| d.year().to_string()).unwrap_or_default();
        let year_label = || if year.is_empty() { "申请日不明".to_owned() } else { format!("{year}年") };
        let main = s.main_ipc.as_deref().and_then(|c| ipbridge_domain::patent::IpcCode::parse(c).ok());
        let (section, class) = match &main {
            Some(code) => (code.section().to_string(), code.class().to_owned()),
            None => (String::new(), String::new()),
        };
        let org = s.owner_org_id.and_then(|id| ctx.orgs.get(&id).map(|o| (id, o)));
        let org_dim = org.and_then(|(id, (name, kind, _))| match kind.as_str() {
            "institution" => Some(("institution", id.to_string(), name.clone())),
            "enterprise" => Some(("enterprise", id.to_string(), name.clone())),
            _ => None,
        });
        // IPC labels are the codes here; their titles are added once per refresh (see `label_ipc`).
        let ipc_label = |code: &str| if code.is_empty() { "无分类号".to_owned() } else { code.to_owned() };

        // The city.
        agg.add("", "total", "", || "全市".to_owned(), w);
        agg.add("", "county", county, county_label, w);
        if links.is_empty() {
            agg.add("", "chain", "", || "未归入重点产业链".to_owned(), w);
        }
        for l in links {
            agg.add(
                "",
                "chain",
                &l.chain_code,
                || chain_names.get(l.chain_code.as_str()).map(|n| (*n).to_owned()).unwrap_or_default(),
                w,
            );
        }
        if let Some((dim, key, name)) = &org_dim {
            agg.add("", dim, key, || name.clone(), w);
        }
        agg.add("", "ipc_section", &section, || ipc_label(&section), w);
        agg.add("", "ipc_class", &class, || ipc_label(&class), w);
        agg.add("", "type", &s.patent_type, type_label, w);
        agg.add("", "year", &year, year_label, w);
        // The high-value criteria mix of the dashboard: a patent counts under every criterion it meets.
        let bits = u8::try_from(fact.hv_criteria).unwrap_or(0);
        for c in Criterion::ALL.into_iter().filter(|c| bits & c.bit() != 0) {
            agg.add("", "criterion", c.code(), || c.label().to_owned(), w);
        }

        // Its county.
        if !county.is_empty() {
            let scope = format!("county:{county}");
            for l in links {
                agg.add(
                    &scope,
                    "chain",
                    &l.chain_code,
                    || chain_names.get(l.chain_code.as_str()).map(|n| (*n).to_owned()).unwrap_or_default(),
                    w,
                );
            }
            if let Some((dim, key, name)) = &org_dim {
                agg.add(&scope, dim, key, || name.clone(), w);
            }
            agg.add(&scope, "total", "", county_label, w);
            agg.add(&scope, "type", &s.patent_type, type_label, w);
            agg.add(&scope, "year", &year, year_label, w);
            agg.add(&scope, "ipc_class", &class, || ipc_label(&class), w);
        }

        // Its chains.
        let group = main.as_ref().map(|c| c.main_group()).unwrap_or_default();
        for l in links {
            let scope = format!("chain:{}", l.chain_code);
            agg.add(
                &scope,
                "total",
                "",
                || chain_names.get(l.chain_code.as_str()).map(|n| (*n).to_owned()).unwrap_or_default(),
                w,
            );
            agg.add(&scope, "county", county, county_label, w);
            agg.add(&scope, "year", &year, year_label, w);
            agg.add(&scope, "type", &s.patent_type, type_label, w);
            agg.add(&scope, "applicant", &s.first_applicant, || s.first_applicant.clone(), w);
            agg.add(&scope, "ipc_group", &group, || ipc_label(&group), w);
            // The mapping shown on the chain pages: how many patents each prefix or keyword placed.
            agg.add(&scope, "mapping", &format!("{}:{}", l.by_kind, l.matched), || l.matched.clone(), w);
            if let Some((dim, key, name)) = &org_dim {
                agg.add(&scope, dim, key, || name.clone(), w);
            }
        }
    }

    fn record_history(&self, h: &mut History, s: &FactSource, fact: &PatentFact, links: &[ChainLink], ctx: &Context) {
        if s.patent_type != PatentType::Invention.code() {
            return;
        }
        let Some(grant) = s.grant_date.map(Month::of) else { return };
        // A patent valid now counts from its grant; one that lapsed counts until its lapse date, when known.
        let end = if s.legal_status == LegalStatus::Granted.code() {
            None
        } else {
            match s.lapse_date {
                Some(d) => Some(Month::of(d)),
                None => return,
            }
        };
        let len = h.months;
        let from = h.index(grant);
        let to = end.map(|m| h.index(m));
        let mut scopes: Vec<String> = vec![String::new()];
        if let Some(c) = &fact.county_code {
            scopes.push(format!("county:{c}"));
        }
        scopes.extend(links.iter().map(|l| format!("chain:{}", l.chain_code)));
        for scope in &scopes {
            History::add(&mut h.valid, scope, from, to, len);
        }
        // High value from the first month a criterion held (never before the grant). A patent valid today
        // counts with the criteria that hold today; one that lapsed with those that held while it was in force:
        // its other criteria do not depend on the status, and its maintenance is measured up to the lapse.
        let mut criteria = Criterion::of_bits(u8::try_from(fact.hv_criteria).unwrap_or(0));
        if end.is_some() && !criteria.contains(&Criterion::Maintained) {
            criteria.push(Criterion::Maintained);
        }
        let held_since = criteria.iter().filter_map(|c| criterion_start(*c, s, ctx, self, grant)).min();
        if let Some(since) = held_since.filter(|_| fact.high_value || end.is_some()) {
            let hv_from = h.index(since.max(grant));
            for scope in &scopes {
                History::add(&mut h.high_value, scope, hv_from, to, len);
            }
        }
    }

    /// Adds the IPC titles to the labels of the IPC breakdowns (`A23 食品；食料`).
    async fn label_ipc(&self, cells: &mut [IndicatorCell]) -> Result<()> {
        use ipbridge_store::ReferenceStore;
        let mut codes: Vec<String> = cells
            .iter()
            .filter(|c| matches!(c.dimension.as_str(), "ipc_section" | "ipc_class" | "ipc_group") && !c.key.is_empty())
            .map(|c| c.key.clone())
            .collect();
        codes.sort_unstable();
        codes.dedup();
        let titles = {
            let mut tx = self.db.read().await?;
            tx.ipc_titles(&codes).await?
        };
        for c in cells.iter_mut() {
            if let Some(t) = titles.get(&c.key).filter(|_| c.dimension.starts_with("ipc_")) {
                c.label = format!("{} {}", c.key, t.chars().take(40).collect::<String>());
            }
        }
        Ok(())
    }

    /// The snapshot rows: (reconstructed past months, the current month).
    async fn snapshot_rows(
        &self,
        ctx: &Context,
        history: &History,
        cells: &[IndicatorCell],
        current: Month,
        manual: bool,
    ) -> Result<(Vec<Snapshot>, Vec<Snapshot>)> {
        let now = self.now();
        let origin = if manual { "manual" } else { "auto" };
        let mut past = Vec::new();
        let mut present = Vec::new();
        let row =
            |month: Month, indicator: Indicator, scope: &str, value: i64, origin: &str, at: DateTime<Utc>| Snapshot {
                month: month.to_string(),
                indicator: indicator.code().to_owned(),
                scope: scope.to_owned(),
                value,
                origin: origin.to_owned(),
                taken_at: at,
            };
        let population = |scope: &str| -> Option<u64> {
            if scope.is_empty() {
                self.policy.population()
            } else {
                scope.strip_prefix("county:").and_then(|c| self.policy.county(c)).and_then(|c| c.population)
            }
        };
        // Patent indicators: the reconstructed months, then the current one (the running total of the
        // deltas in the current month equals today's count for patents with complete dates; today's count
        // itself is what the current month records).
        let valid = History::totals(&history.valid);
        let high = History::totals(&history.high_value);
        // Every scope the pages show — the city, each county of the policy, each active chain — gets its rows,
        // zeros included, so a county or chain whose patents all moved away does not keep its old figures.
        let mut scopes: Vec<String> = std::iter::once(String::new())
            .chain(self.policy.counties.iter().map(|c| format!("county:{}", c.code)))
            .chain(ctx.chains.iter().map(|c| format!("chain:{}", c.code)))
            .collect();
        scopes.extend(valid.keys().filter(|k| !k.is_empty()).map(|k| (*k).to_owned()));
        scopes.sort_unstable();
        scopes.dedup();
        for scope in &scopes {
            let v = valid.get(scope.as_str());
            let hv = high.get(scope.as_str());
            let mut m = history.first;
            for i in 0..history.months.saturating_sub(1) {
                past.push(row(m, Indicator::ValidInventionPatents, scope, v.map_or(0, |s| s[i]), "backfill", now));
                let hv_value = hv.map_or(0, |s| s[i]);
                past.push(row(m, Indicator::HighValueInventionPatents, scope, hv_value, "backfill", now));
                if let Some(p) = population(scope).and_then(|p| per_10k_hundredths(hv_value, p)) {
                    past.push(row(m, Indicator::HighValuePer10k, scope, p, "backfill", now));
                }
                m = m.next();
            }
        }
        // Today's values: the totals of the aggregates just computed (the city, every county and chain; the
        // city is recorded even when it has no patent yet).
        let totals: HashMap<&str, (i64, i64)> = cells
            .iter()
            .filter(|c| c.dimension == "total")
            .map(|c| (c.scope.as_str(), (c.valid_invention, c.high_value)))
            .collect();
        let current_scopes: Vec<(String, i64, i64)> = scopes
            .iter()
            .map(|scope| {
                let (v, hv) = totals.get(scope.as_str()).copied().unwrap_or((0, 0));
                (scope.clone(), v, hv)
            })
            .collect();
        let mut tx = self.db.read().await?;
        for (scope, v, hv) in &current_scopes {
            present.push(row(current, Indicator::ValidInventionPatents, scope, *v, origin, now));
            present.push(row(current, Indicator::HighValueInventionPatents, scope, *hv, origin, now));
            if let Some(p) = population(scope).and_then(|p| per_10k_hundredths(*hv, p)) {
                present.push(row(current, Indicator::HighValuePer10k, scope, p, origin, now));
            }
        }
        // Trademarks and GI users: each county's latest figures up to the month, and the city's sum.
        let trademark_rows = tx.trademark_rows().await?;
        if let Some(first) = trademark_rows.iter().filter_map(|r| r.month.parse::<Month>().ok()).min() {
            let mut latest: HashMap<&str, (i64, i64)> = HashMap::new();
            let mut rows = trademark_rows.iter().peekable();
            let mut m = first;
            while m <= current {
                while let Some(r) = rows.peek() {
                    match r.month.parse::<Month>() {
                        Ok(rm) if rm > m => break,
                        Ok(_) => {
                            latest.insert(r.county_code.as_str(), (r.valid_trademarks, r.gi_users));
                        }
                        Err(_) => {}
                    }
                    rows.next();
                }
                let (target, o) = if m == current { (&mut present, origin) } else { (&mut past, "backfill") };
                let (mut t_sum, mut g_sum) = (0, 0);
                for (county, (t, g)) in &latest {
                    t_sum += t;
                    g_sum += g;
                    let scope = format!("county:{county}");
                    target.push(row(m, Indicator::ValidTrademarks, &scope, *t, o, now));
                    target.push(row(m, Indicator::GiUsers, &scope, *g, o, now));
                }
                target.push(row(m, Indicator::ValidTrademarks, "", t_sum, o, now));
                target.push(row(m, Indicator::GiUsers, "", g_sum, o, now));
                m = m.next();
            }
        }
        // Stock-patent coverage and conversions (measure 1), from the revitalisation records.
        let coverage = tx.coverage_city().await?;
        if let Some(bp) = coverage.coverage_bp() {
            present.push(row(current, Indicator::StockPatentCoverage, "", i64::from(bp), origin, now));
        }
        present.push(row(current, Indicator::StockPatentsConverted, "", coverage.converted as i64, origin, now));
        // Patent-intensive industries: the latest year entered up to now.
        if let Some(latest) = tx.intensive_rows().await?.into_iter().rev().find(|r| r.year <= i64::from(current.year()))
            && let Some(bp) = share_bp(latest.value_added_wan, latest.gdp_wan)
        {
            present.push(row(current, Indicator::PatentIntensiveShare, "", bp, origin, now));
        }
        Ok((past, present))
    }
}

/// Shared handle on the job state, stored in [`App`].
pub(crate) fn jobs() -> Arc<Jobs> {
    Arc::new(Jobs::default())
}
