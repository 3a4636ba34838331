//! Breakdowns, county pages, the chain comparison and the chain landscapes (专利导航简版).
//!
//! Everything here reads the aggregates the refresh job precomputed (`indicator_cells`, the snapshots), so
//! the pages stay fast whatever the number of patents. Two reads go further: the chain mapping (how many of
//! the city's patents each IPC prefix and keyword placed in a chain, grouped from `patent_chain_links`) and
//! the demand gaps, which run the matcher for each open demand of a chain on request — demands are few.

use std::collections::{BTreeMap, HashSet};

use ipbridge_domain::Permission;
use ipbridge_domain::demand::{Demand, DemandStatus};
use ipbridge_domain::indicators::{Indicator, per_10k_hundredths, share_bp};
use ipbridge_ingest::{Cell, Table};
/// The stored rows these views hand to the pages.
pub use ipbridge_store::{ChainPoolPatent, IndicatorCell, MappingCount, RefreshRun, Snapshot};
use ipbridge_store::{ChainStore, DemandFilter, DemandStore, IndicatorStore, LandscapeStore, StoredChain};

use super::{DIMENSIONS, Scope};
use crate::error::invalid;
use crate::search::{MatchScope, NeedText};
use crate::{Actor, App, Result, ServiceError};

/// How many of the matcher's best hits the gap analysis looks at (the demand's match page shows as many).
pub const GAP_TOP_HITS: usize = 20;
/// Fewer local patents than this among the best hits marks a demand as a gap (缺口).
pub const GAP_THRESHOLD: usize = 3;
/// Most demands of one chain the gap analysis runs the matcher for.
const GAP_DEMANDS: u32 = 100;
/// Rows the landscape lists for the open-ended breakdowns (applicants, IPC groups).
const LANDSCAPE_TOP: usize = 10;
/// Pool patents the landscape lists.
const POOL_SHOWN: i64 = 50;

/// The breakdowns a scope has, in tab order (the refresh job computes exactly these; see `aggregate` in
/// refresh.rs). `total` is the scope's denominator, not a tab.
pub fn dimensions_of(scope: &Scope) -> &'static [&'static str] {
    match scope {
        Scope::City => &["county", "chain", "institution", "enterprise", "ipc_section", "ipc_class", "type", "year"],
        Scope::County(_) => &["chain", "institution", "enterprise", "ipc_class", "type", "year"],
        Scope::Chain(_) => &["county", "institution", "enterprise", "applicant", "ipc_group", "type", "year"],
    }
}

/// The Chinese label of a dimension code (the code itself when unknown).
pub fn dimension_label(dimension: &str) -> &'static str {
    DIMENSIONS.iter().find(|(d, _)| *d == dimension).map_or("", |(_, l)| l)
}

/// A share as a percentage with two decimals (`12.34%`), `—` when the whole is zero.
pub fn share_text(part: i64, whole: i64) -> String {
    share_bp(part, whole).map_or_else(|| "—".to_owned(), |bp| format!("{}.{:02}%", bp / 100, bp % 100))
}

/// A count per 10,000 residents with two decimals, `None` without a population.
pub fn per_10k_text(count: i64, population: Option<u64>) -> Option<String> {
    population.and_then(|p| per_10k_hundredths(count, p)).map(|v| Indicator::HighValuePer10k.format(v))
}

/// One breakdown of a scope.
#[derive(Debug, Clone)]
pub struct Breakdown {
    /// The scope.
    pub scope: Scope,
    /// Its name: 全市, a county's, a chain's.
    pub scope_label: String,
    /// The dimension shown.
    pub dimension: &'static str,
    /// Its label.
    pub dimension_label: &'static str,
    /// The dimensions the scope has: (code, label).
    pub dimensions: Vec<(&'static str, &'static str)>,
    /// The scope's totals (none before the first refresh or when the scope has no patent).
    pub total: Option<IndicatorCell>,
    /// The rows, most patents first.
    pub rows: Vec<IndicatorCell>,
    /// The last successful refresh.
    pub refreshed: Option<RefreshRun>,
}

impl Breakdown {
    /// The scope's patents (the denominator of the shares).
    pub fn total_patents(&self) -> i64 {
        self.total.as_ref().map_or(0, |t| t.patents)
    }
}

/// An IPC prefix or keyword of a chain and how many of the city's patents it placed there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingEntry {
    /// The prefix or keyword.
    pub value: String,
    /// The city's patents it placed in the chain.
    pub patents: i64,
    /// Of which valid invention patents.
    pub valid_invention: i64,
}

/// A chain's mapping as configured, with the counts of the last refresh.
#[derive(Debug, Clone, Default)]
pub struct ChainMapping {
    /// The chain's IPC prefixes in their order, with counts (0 when a prefix placed nothing).
    pub prefixes: Vec<MappingEntry>,
    /// Its keywords in their order, with counts.
    pub keywords: Vec<MappingEntry>,
    /// Prefixes or keywords that placed patents at the last refresh but are no longer configured (the bureau
    /// edited the chain since): `IPC A23F` / `关键词 富硒`.
    pub stale: Vec<MappingEntry>,
}

impl ChainMapping {
    fn build(chain: &StoredChain, counts: &[MappingCount]) -> Self {
        let of = |kind: &str, value: &str| {
            counts
                .iter()
                .find(|c| c.by_kind == kind && c.matched == value)
                .map_or((0, 0), |c| (c.patents, c.valid_invention))
        };
        let entry = |kind: &str, value: &String| {
            let (patents, valid_invention) = of(kind, value);
            MappingEntry { value: value.clone(), patents, valid_invention }
        };
        let stale = counts
            .iter()
            .filter(|c| c.chain_code == chain.code)
            .filter(|c| {
                let list = if c.by_kind == "ipc" { &chain.ipc_prefixes } else { &chain.keywords };
                !list.contains(&c.matched)
            })
            .map(|c| MappingEntry {
                value: format!("{} {}", if c.by_kind == "ipc" { "IPC" } else { "关键词" }, c.matched),
                patents: c.patents,
                valid_invention: c.valid_invention,
            })
            .collect();
        ChainMapping {
            prefixes: chain.ipc_prefixes.iter().map(|p| entry("ipc", p)).collect(),
            keywords: chain.keywords.iter().map(|k| entry("keyword", k)).collect(),
            stale,
        }
    }
}

/// A chain on the comparison page.
#[derive(Debug, Clone)]
pub struct ChainSummary {
    /// The chain.
    pub chain: StoredChain,
    /// Its totals (none when it holds no patent of the city).
    pub total: Option<IndicatorCell>,
    /// Its mapping with counts.
    pub mapping: ChainMapping,
}

/// The chain comparison.
#[derive(Debug, Clone)]
pub struct ChainComparison {
    /// The active chains in display order.
    pub chains: Vec<ChainSummary>,
    /// The city's totals.
    pub city: Option<IndicatorCell>,
    /// The city's patents in no chain.
    pub unmapped: Option<IndicatorCell>,
    /// The last successful refresh.
    pub refreshed: Option<RefreshRun>,
}

/// A county's page (its trend charts are the dashboard's trend charts of the county's scope).
#[derive(Debug, Clone)]
pub struct CountyOverview {
    /// Division code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Resident population from the policy.
    pub population: Option<u64>,
    /// The county's totals.
    pub total: Option<IndicatorCell>,
    /// The city's totals (for the county's share).
    pub city: Option<IndicatorCell>,
    /// Valid invention patents per 10,000 residents.
    pub valid_per_10k: Option<String>,
    /// High-value invention patents per 10,000 residents.
    pub high_value_per_10k: Option<String>,
    /// Latest valid trademarks: (month, value).
    pub trademarks: Option<(String, i64)>,
    /// Latest geographical-indication users: (month, value).
    pub gi_users: Option<(String, i64)>,
    /// Breakdowns: (dimension, label, rows).
    pub breakdowns: Vec<(&'static str, &'static str, Vec<IndicatorCell>)>,
    /// The last successful refresh.
    pub refreshed: Option<RefreshRun>,
}

/// A chain's landscape (导航简版).
#[derive(Debug, Clone)]
pub struct ChainLandscape {
    /// The chain.
    pub chain: StoredChain,
    /// Its mapping with counts.
    pub mapping: ChainMapping,
    /// Its totals.
    pub total: Option<IndicatorCell>,
    /// Patents by filing year, oldest first (unknown year last).
    pub years: Vec<IndicatorCell>,
    /// Top applicants.
    pub applicants: Vec<IndicatorCell>,
    /// Top IPC main groups (labels carry their titles).
    pub ipc_groups: Vec<IndicatorCell>,
    /// By county.
    pub counties: Vec<IndicatorCell>,
    /// By institution.
    pub institutions: Vec<IndicatorCell>,
    /// By enterprise.
    pub enterprises: Vec<IndicatorCell>,
    /// The institutions' transferable-pool patents of the chain (latest first).
    pub pool: Vec<ChainPoolPatent>,
    /// How many there are in all.
    pub pool_total: i64,
    /// The enterprises' published demands of the chain.
    pub demands: Vec<Demand>,
    /// The last successful refresh.
    pub refreshed: Option<RefreshRun>,
}

/// How many local patents the matcher finds for an open demand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandGap {
    /// The demand.
    pub demand_id: i64,
    /// Its title.
    pub title: String,
    /// The enterprise.
    pub enterprise: String,
    /// Hits the matcher returned (at most [`GAP_TOP_HITS`]).
    pub hits: usize,
    /// Of which the city's patents.
    pub local: usize,
    /// Of which granted and in force.
    pub local_in_force: usize,
    /// Fewer local patents than [`GAP_THRESHOLD`].
    pub gap: bool,
}

impl App {
    /// The name of a scope, or a Chinese error when it names no county or chain.
    async fn scope_label(&self, scope: &Scope) -> Result<String> {
        match scope {
            Scope::City => Ok("全市".to_owned()),
            Scope::County(code) => self
                .policy
                .county(code)
                .map(|c| c.name.clone())
                .ok_or_else(|| invalid("scope", format!("未知的县（市、区）代码 “{code}”"))),
            Scope::Chain(code) => {
                let mut tx = self.db.read().await?;
                let chains = tx.chains().await?;
                chains
                    .into_iter()
                    .find(|c| &c.code == code)
                    .map(|c| c.name)
                    .ok_or_else(|| invalid("scope", format!("未知的产业链代码 “{code}”")))
            }
        }
    }

    /// A breakdown of a scope by one of its dimensions (see [`dimensions_of`]).
    pub async fn indicator_breakdown(&self, actor: &Actor, scope: &Scope, dimension: &str) -> Result<Breakdown> {
        actor.authorise(Permission::ViewIndicators)?;
        let scope_label = self.scope_label(scope).await?;
        let dims = dimensions_of(scope);
        let Some(dimension) = dims.iter().copied().find(|d| *d == dimension) else {
            let offered: Vec<&str> = dims.iter().map(|d| dimension_label(d)).collect();
            return Err(invalid(
                "dim",
                format!("“{scope_label}”没有 “{dimension}” 这一统计维度，可选：{}", offered.join("、")),
            ));
        };
        let mut tx = self.db.read().await?;
        let rows = tx.cells(&scope.key(), dimension).await?;
        let total = tx.cells(&scope.key(), "total").await?.into_iter().next();
        let refreshed = tx.last_refresh().await?;
        Ok(Breakdown {
            scope: scope.clone(),
            scope_label,
            dimension,
            dimension_label: dimension_label(dimension),
            dimensions: dims.iter().map(|d| (*d, dimension_label(d))).collect(),
            total,
            rows,
            refreshed,
        })
    }

    /// A breakdown as xlsx, audited.
    pub async fn export_breakdown(&self, actor: &Actor, scope: &Scope, dimension: &str) -> Result<Vec<u8>> {
        let b = self.indicator_breakdown(actor, scope, dimension).await?;
        let whole = b.total_patents();
        let mut t = Table::new(
            &format!("{}按{}", b.scope_label, b.dimension_label),
            &[b.dimension_label, "专利总数", "有效专利", "有效发明专利", "高价值发明专利", "占比"],
        );
        for r in &b.rows {
            t.push(vec![
                Cell::from(r.label.as_str()),
                Cell::from(r.patents),
                Cell::from(r.in_force),
                Cell::from(r.valid_invention),
                Cell::from(r.high_value),
                Cell::from(share_text(r.patents, whole)),
            ]);
        }
        if let Some(total) = &b.total {
            t.push(vec![
                Cell::from(format!("{}合计", b.scope_label)),
                Cell::from(total.patents),
                Cell::from(total.in_force),
                Cell::from(total.valid_invention),
                Cell::from(total.high_value),
                Cell::from(share_text(total.patents, whole)),
            ]);
        }
        self.finish_export(actor, "indicator_breakdown", &format!("{}|{}", b.scope.key(), b.dimension), &t).await
    }

    /// A county's page: its figures, per 10,000 residents, trademarks, trend and breakdowns.
    pub async fn county_overview(&self, actor: &Actor, code: &str) -> Result<CountyOverview> {
        actor.authorise(Permission::ViewIndicators)?;
        let county = self.policy.county(code).ok_or(ServiceError::NotFound)?;
        let scope = Scope::County(county.code.clone()).key();
        let mut tx = self.db.read().await?;
        let total = tx.cells(&scope, "total").await?.into_iter().next();
        let city = tx.cells("", "total").await?.into_iter().next();
        let mut breakdowns = Vec::new();
        for dim in dimensions_of(&Scope::County(county.code.clone())) {
            breakdowns.push((*dim, dimension_label(dim), tx.cells(&scope, dim).await?));
        }
        let latest = |mut rows: Vec<Snapshot>| rows.pop().map(|s| (s.month, s.value));
        let trademarks = latest(tx.snapshots(Indicator::ValidTrademarks.code(), &scope).await?);
        let gi_users = latest(tx.snapshots(Indicator::GiUsers.code(), &scope).await?);
        let refreshed = tx.last_refresh().await?;
        let (valid, high) = total.as_ref().map_or((0, 0), |t| (t.valid_invention, t.high_value));
        Ok(CountyOverview {
            code: county.code.clone(),
            name: county.name.clone(),
            population: county.population,
            valid_per_10k: per_10k_text(valid, county.population),
            high_value_per_10k: per_10k_text(high, county.population),
            total,
            city,
            trademarks,
            gi_users,
            breakdowns,
            refreshed,
        })
    }

    /// Every active chain's totals and mapping.
    pub async fn chain_comparison(&self, actor: &Actor) -> Result<ChainComparison> {
        actor.authorise(Permission::ViewIndicators)?;
        let mut tx = self.db.read().await?;
        let chains = tx.chains().await?;
        let counts = tx.chain_mapping_counts(None).await?;
        let by_chain: BTreeMap<String, IndicatorCell> =
            tx.cells("", "chain").await?.into_iter().map(|c| (c.key.clone(), c)).collect();
        let city = tx.cells("", "total").await?.into_iter().next();
        let refreshed = tx.last_refresh().await?;
        let summaries = chains
            .into_iter()
            .filter(|c| c.active)
            .map(|c| {
                let own: Vec<MappingCount> = counts.iter().filter(|m| m.chain_code == c.code).cloned().collect();
                ChainSummary { total: by_chain.get(&c.code).cloned(), mapping: ChainMapping::build(&c, &own), chain: c }
            })
            .collect();
        Ok(ChainComparison { chains: summaries, city, unmapped: by_chain.get("").cloned(), refreshed })
    }

    /// A chain's landscape; any chain of the table, active or not (unknown code: not found).
    pub async fn chain_landscape(&self, actor: &Actor, code: &str) -> Result<ChainLandscape> {
        actor.authorise(Permission::ViewIndicators)?;
        let mut tx = self.db.read().await?;
        let chain = tx.chains().await?.into_iter().find(|c| c.code == code).ok_or(ServiceError::NotFound)?;
        let scope = Scope::Chain(chain.code.clone()).key();
        let counts = tx.chain_mapping_counts(Some(&chain.code)).await?;
        let total = tx.cells(&scope, "total").await?.into_iter().next();
        let mut years = tx.cells(&scope, "year").await?;
        // Oldest first for the chart; the unknown year (key "") last.
        years.sort_by(|a, b| (a.key.is_empty(), &a.key).cmp(&(b.key.is_empty(), &b.key)));
        let top = |mut rows: Vec<IndicatorCell>| {
            rows.truncate(LANDSCAPE_TOP);
            rows
        };
        let applicants = top(tx.cells(&scope, "applicant").await?);
        let ipc_groups = top(tx.cells(&scope, "ipc_group").await?);
        let counties = tx.cells(&scope, "county").await?;
        let institutions = tx.cells(&scope, "institution").await?;
        let enterprises = tx.cells(&scope, "enterprise").await?;
        let (pool, pool_total) = tx.chain_pool_patents(&chain.code, POOL_SHOWN).await?;
        let demands = tx.list_demands(&open_demands(&chain.code)).await?;
        let refreshed = tx.last_refresh().await?;
        Ok(ChainLandscape {
            mapping: ChainMapping::build(&chain, &counts),
            chain,
            total,
            years,
            applicants,
            ipc_groups,
            counties,
            institutions,
            enterprises,
            pool,
            pool_total,
            demands,
            refreshed,
        })
    }

    /// For each open (published) demand of a chain, how many of the city's patents are among the matcher's
    /// best [`GAP_TOP_HITS`] hits — the same matching as the demand's match page — fewest first, so the
    /// bureau sees where demands find few local patents. Computed now (demands are few).
    pub async fn chain_demand_gaps(&self, actor: &Actor, code: &str) -> Result<Vec<DemandGap>> {
        actor.authorise(Permission::ViewIndicators)?;
        let demands = {
            let mut tx = self.db.read().await?;
            if !tx.chains().await?.iter().any(|c| c.code == code) {
                return Err(ServiceError::NotFound);
            }
            tx.list_demands(&DemandFilter { limit: GAP_DEMANDS, ..open_demands(code) }).await?
        };
        let mut gaps = Vec::with_capacity(demands.len());
        for d in &demands {
            let need = NeedText {
                title: d.fields.title.clone(),
                text: d.fields.description.clone(),
                ipc: d.fields.ipc_codes.iter().map(|c| c.as_str().to_owned()).collect(),
                chain: d.fields.chain_code.clone(),
            };
            let result = self.match_need(actor, &need, MatchScope::Active, Vec::new(), GAP_TOP_HITS).await?;
            let ids: Vec<i64> = result.hits.iter().map(|h| h.patent_id).collect();
            let local: HashSet<i64> = {
                let mut tx = self.db.read().await?;
                tx.in_city_among(&ids).await?
            };
            let local_hits: Vec<_> = result.hits.iter().filter(|h| local.contains(&h.patent_id)).collect();
            let local_in_force = local_hits.iter().filter(|h| h.legal_status_code == "granted").count();
            gaps.push(DemandGap {
                demand_id: d.id.get(),
                title: d.fields.title.clone(),
                enterprise: d.enterprise_name.clone(),
                hits: result.hits.len(),
                local: local_hits.len(),
                local_in_force,
                gap: local_hits.len() < GAP_THRESHOLD,
            });
        }
        gaps.sort_by(|a, b| a.local.cmp(&b.local).then_with(|| a.demand_id.cmp(&b.demand_id)));
        Ok(gaps)
    }
}

/// The published demands of a chain, newest change first.
fn open_demands(chain: &str) -> DemandFilter {
    DemandFilter {
        status: Some(DemandStatus::Published),
        chain_code: Some(chain.to_owned()),
        limit: 0,
        ..DemandFilter::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dimension_of_a_scope_is_known() {
        for scope in [Scope::City, Scope::County("610902".into()), Scope::Chain("selenium_food".into())] {
            for d in dimensions_of(&scope) {
                assert!(!dimension_label(d).is_empty(), "{d}");
                assert_ne!(*d, "total", "the total is the denominator, not a tab");
            }
        }
        assert!(!dimensions_of(&Scope::City).contains(&"applicant"), "the city keeps no applicant rows");
        assert!(dimensions_of(&Scope::Chain("x".into())).contains(&"ipc_group"));
    }

    #[test]
    fn shares_and_densities_read_as_percentages() {
        assert_eq!(share_text(1, 3), "33.33%");
        assert_eq!(share_text(3, 3), "100.00%");
        assert_eq!(share_text(1, 0), "—");
        assert_eq!(per_10k_text(37, Some(2_490_000)).as_deref(), Some("0.15"));
        assert_eq!(per_10k_text(37, None), None);
    }

    #[test]
    fn the_mapping_lists_every_configured_rule_and_the_stale_ones() {
        let chain = StoredChain {
            id: 1,
            code: "selenium_food".into(),
            name: "富硒食品".into(),
            ipc_prefixes: vec!["A23F3".into(), "A23L".into()],
            keywords: vec!["富硒".into()],
            sort_order: 10,
            active: true,
        };
        let count = |kind: &str, value: &str, n: i64| MappingCount {
            chain_code: "selenium_food".into(),
            by_kind: kind.into(),
            matched: value.into(),
            patents: n,
            valid_invention: n / 2,
        };
        let m = ChainMapping::build(
            &chain,
            &[count("ipc", "A23F3", 12), count("keyword", "富硒", 4), count("ipc", "A23F", 2)],
        );
        let prefixes: Vec<(&str, i64)> = m.prefixes.iter().map(|e| (e.value.as_str(), e.patents)).collect();
        assert_eq!(prefixes, [("A23F3", 12), ("A23L", 0)]);
        assert_eq!(m.keywords[0].patents, 4);
        assert_eq!(m.stale.len(), 1);
        assert_eq!(m.stale[0].value, "IPC A23F");
    }
}
