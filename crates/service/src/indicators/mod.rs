//! Indicators against the city's targets (measure 2).
//!
//! The refresh job ([`refresh`]) derives, for every patent, where it counts (city, county), which chains it
//! belongs to and which high-value criteria hold, then aggregates the city's patents by county, chain,
//! institution, enterprise, IPC, type and year, and writes the month's snapshot. Dashboards read only those
//! aggregates and snapshots, so they open fast whatever the number of patents. The bureau's inputs are in
//! [`awards`], [`places`] and [`stats`].

pub mod awards;
pub mod dashboard;
pub mod landscape;
pub mod places;
pub mod refresh;
pub mod stats;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use ipbridge_domain::Permission;
use ipbridge_domain::indicators::high_value::Criterion;
use ipbridge_domain::indicators::place::PlaceBasis;
use ipbridge_domain::indicators::{Indicator, Month, Progress, progress};
use ipbridge_store::{ChainLink, IndicatorCell, IndicatorStore, RefreshRun, Snapshot};

use crate::{Actor, App, Result};

/// A target of the policy with today's value.
#[derive(Debug, Clone)]
pub struct TargetView {
    /// The indicator.
    pub indicator: Indicator,
    /// The policy's name for it.
    pub name: String,
    /// The policy's unit.
    pub unit: String,
    /// The target, stored form.
    pub target: i64,
    /// The target as text in its unit.
    pub target_text: String,
    /// The deadline.
    pub due: NaiveDate,
    /// The measure that sets it.
    pub measure: u8,
    /// Today's value, stored form (none before the first refresh or without statistics).
    pub actual: Option<i64>,
    /// Today's value as text.
    pub actual_text: String,
    /// Gap, completion and time left (with a value).
    pub progress: Option<Progress>,
}

/// One indicator's value this month.
#[derive(Debug, Clone)]
pub struct IndicatorValue {
    /// The indicator.
    pub indicator: Indicator,
    /// Stored value, if known.
    pub value: Option<i64>,
    /// As text in its unit (`—` when unknown).
    pub text: String,
}

/// Where the city stands: every target and every indicator, as of the last refresh.
#[derive(Debug, Clone)]
pub struct Overview {
    /// The month the values are of.
    pub month: Month,
    /// Today (China).
    pub today: NaiveDate,
    /// The last successful refresh (none: not computed yet).
    pub refreshed: Option<RefreshRun>,
    /// The policy's targets in file order.
    pub targets: Vec<TargetView>,
    /// Every indicator, targets or not.
    pub values: Vec<IndicatorValue>,
    /// Resident population used for per-10,000 figures.
    pub population: Option<u64>,
}

/// The indicator facts of one patent, for its page.
#[derive(Debug, Clone)]
pub struct PatentIndicators {
    /// In the city.
    pub in_city: bool,
    /// County name, when known.
    pub county: Option<String>,
    /// Which rule placed it.
    pub place_basis: PlaceBasis,
    /// What the rule matched.
    pub place_detail: String,
    /// A valid invention patent.
    pub valid_invention: bool,
    /// High-value.
    pub high_value: bool,
    /// Every criterion, whether it holds, and why.
    pub criteria: Vec<(Criterion, bool, String)>,
    /// The chains it belongs to: (code, name, "IPC A23F3" or "关键词 富硒").
    pub chains: Vec<(String, String, String)>,
}

/// The scope of a breakdown: the city, a county or a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The whole city.
    City,
    /// A county (code).
    County(String),
    /// An industry chain (code).
    Chain(String),
}

impl Scope {
    /// The stored scope key.
    pub fn key(&self) -> String {
        match self {
            Scope::City => String::new(),
            Scope::County(c) => format!("county:{c}"),
            Scope::Chain(c) => format!("chain:{c}"),
        }
    }

    /// A scope from its key (`''`, `county:610902`, `chain:selenium_food`).
    pub fn parse(key: &str) -> Option<Scope> {
        if key.is_empty() {
            return Some(Scope::City);
        }
        match key.split_once(':') {
            Some(("county", c)) if !c.is_empty() => Some(Scope::County(c.to_owned())),
            Some(("chain", c)) if !c.is_empty() => Some(Scope::Chain(c.to_owned())),
            _ => None,
        }
    }
}

/// Breakdown dimensions: (code, Chinese label).
pub const DIMENSIONS: [(&str, &str); 11] = [
    ("county", "县（市、区）"),
    ("chain", "重点产业链"),
    ("institution", "高校院所"),
    ("enterprise", "企业"),
    ("ipc_section", "IPC 部"),
    ("ipc_class", "IPC 大类"),
    ("ipc_group", "IPC 大组"),
    ("applicant", "申请人"),
    ("type", "专利类型"),
    ("year", "申请年度"),
    ("total", "合计"),
];

impl App {
    /// Where the city stands against its targets, from the last refresh.
    pub async fn indicator_overview(&self, actor: &Actor) -> Result<Overview> {
        actor.authorise(Permission::ViewIndicators)?;
        let today = self.china_today();
        let month = Month::of(today);
        let mut tx = self.db.read().await?;
        let refreshed = tx.last_refresh().await?;
        // This month's values; before this month's first refresh, the latest month's.
        let mut rows = tx.snapshots_of_month(&month.to_string()).await?;
        if rows.is_empty()
            && let Some((latest, _, _)) = tx.snapshot_months().await?.into_iter().next()
        {
            rows = tx.snapshots_of_month(&latest).await?;
        }
        let city: BTreeMap<&str, i64> =
            rows.iter().filter(|r| r.scope.is_empty()).map(|r| (r.indicator.as_str(), r.value)).collect();
        let value_of = |i: Indicator| city.get(i.code()).copied();
        let values = Indicator::ALL
            .into_iter()
            .map(|i| {
                let value = value_of(i);
                IndicatorValue { indicator: i, value, text: value.map_or_else(|| "—".to_owned(), |v| i.format(v)) }
            })
            .collect();
        let targets = self
            .policy
            .targets
            .iter()
            .filter_map(|t| {
                let indicator: Indicator = t.code.parse().ok()?;
                let target = indicator.target_stored(t.value);
                let actual = value_of(indicator);
                Some(TargetView {
                    indicator,
                    name: t.name.clone(),
                    unit: t.unit.clone(),
                    target,
                    target_text: indicator.format(target),
                    due: t.due,
                    measure: t.measure,
                    actual,
                    actual_text: actual.map_or_else(|| "—".to_owned(), |v| indicator.format(v)),
                    progress: actual.map(|a| progress(target, a, t.due, today)),
                })
            })
            .collect();
        Ok(Overview { month, today, refreshed, targets, values, population: self.policy.population() })
    }

    /// The aggregates of a scope broken down by `dimension` (see [`DIMENSIONS`]), most patents first.
    pub async fn indicator_cells(&self, actor: &Actor, scope: &Scope, dimension: &str) -> Result<Vec<IndicatorCell>> {
        actor.authorise(Permission::ViewIndicators)?;
        if !DIMENSIONS.iter().any(|(d, _)| *d == dimension) {
            return Err(crate::error::invalid("dim", format!("未知的统计维度 “{dimension}”")));
        }
        let mut tx = self.db.read().await?;
        Ok(tx.cells(&scope.key(), dimension).await?)
    }

    /// The monthly values of an indicator in a scope, oldest first.
    pub async fn indicator_series(&self, actor: &Actor, indicator: Indicator, scope: &Scope) -> Result<Vec<Snapshot>> {
        actor.authorise(Permission::ViewIndicators)?;
        let mut tx = self.db.read().await?;
        Ok(tx.snapshots(indicator.code(), &scope.key()).await?)
    }

    /// Every value of one month (all scopes), for the snapshot page and exports.
    pub async fn indicator_month(&self, actor: &Actor, month: Month) -> Result<Vec<Snapshot>> {
        actor.authorise(Permission::ViewIndicators)?;
        let mut tx = self.db.read().await?;
        Ok(tx.snapshots_of_month(&month.to_string()).await?)
    }

    /// The months holding snapshots, newest first: (month, values, origins).
    pub async fn indicator_months(&self, actor: &Actor) -> Result<Vec<(String, i64, String)>> {
        actor.authorise(Permission::ViewIndicators)?;
        let mut tx = self.db.read().await?;
        Ok(tx.snapshot_months().await?)
    }

    /// The latest refresh runs, newest first.
    pub async fn indicator_refreshes(&self, actor: &Actor, limit: i64) -> Result<Vec<RefreshRun>> {
        actor.authorise(Permission::ViewIndicators)?;
        let mut tx = self.db.read().await?;
        Ok(tx.refreshes(limit).await?)
    }

    /// The indicator facts of a patent (place, chains, high-value criteria) as of the last refresh; `None`
    /// before the patent's first refresh. Whoever may open the patent page may read them.
    pub async fn patent_indicators(&self, actor: &Actor, patent: i64) -> Result<Option<PatentIndicators>> {
        actor.authenticated()?;
        let mut tx = self.db.read().await?;
        let Some((fact, links)) = tx.patent_fact(patent).await? else { return Ok(None) };
        let chain_names: BTreeMap<String, String> = {
            use ipbridge_store::ChainStore;
            tx.chains().await?.into_iter().map(|c| (c.code, c.name)).collect()
        };
        let reasons: BTreeMap<String, String> = serde_json::from_str(&fact.hv_reasons).unwrap_or_default();
        let bits = u8::try_from(fact.hv_criteria).unwrap_or(0);
        let criteria = Criterion::ALL
            .into_iter()
            .map(|c| (c, bits & c.bit() != 0, reasons.get(c.code()).cloned().unwrap_or_default()))
            .collect();
        let chains = links
            .iter()
            .map(|l: &ChainLink| {
                let how =
                    if l.by_kind == "ipc" { format!("IPC {}", l.matched) } else { format!("关键词 {}", l.matched) };
                (
                    l.chain_code.clone(),
                    chain_names.get(&l.chain_code).cloned().unwrap_or_else(|| l.chain_code.clone()),
                    how,
                )
            })
            .collect();
        Ok(Some(PatentIndicators {
            in_city: fact.in_city,
            county: fact.county_code.as_deref().and_then(|c| self.policy.county(c)).map(|c| c.name.clone()),
            place_basis: PlaceBasis::from_code(&fact.place_basis).unwrap_or(PlaceBasis::None),
            place_detail: fact.place_detail,
            valid_invention: fact.valid_invention,
            high_value: fact.high_value,
            criteria,
            chains,
        }))
    }
}
