//! The city's measures as data.
//!
//! Every target, amount, department, county and industry chain the measures name lives in a TOML policy file
//! (`policy/ankang-2024.toml` for Ankang), so another city runs the same binary with its own file. This module
//! only parses and validates text handed to it; reading the file is the caller's business, which keeps the
//! domain crate free of I/O.
//!
//! Loading happens in two steps, and both name the offending place as a field path such as
//! `measures[3].departments[0]`: deserialisation (unknown field, wrong type, missing field) and semantic
//! validation (dangling references, duplicate codes, numbering, IPC syntax, ranges).

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::money::{BASIS_POINTS_WHOLE, Money};

/// The Ankang 2024 policy file, embedded so `ipbridge serve` works without any configuration.
pub const ANKANG_2024_TOML: &str = include_str!("../../../policy/ankang-2024.toml");

/// Why a policy text was refused; its `Display` is one line: `<field path>: <reason>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The text is not TOML at all; `location` is the line and column, as no field path exists yet.
    #[error("{location}: TOML 语法错误：{message}")]
    Syntax {
        /// Line and column of the error, e.g. `第 3 行第 5 列`.
        location: String,
        /// The parser's description of the problem.
        message: String,
    },
    /// A field is unknown, missing or has the wrong type.
    #[error("{path}: {message}")]
    Schema {
        /// Field path such as `money.interest_subsidy.ratio_bp`.
        path: String,
        /// What the deserialiser expected and found, with the line where known.
        message: String,
    },
    /// The file is well-formed but its content breaks a rule (a reference, a range, a numbering).
    #[error("{path}: {reason}")]
    Invalid {
        /// Field path such as `measures[3].departments[0]`.
        path: String,
        /// What is wrong and what is expected instead.
        reason: String,
    },
}

impl PolicyError {
    /// The same error located inside another file named by the policy: its path becomes `<file>: <path>`.
    pub fn in_file(self, file: &str) -> PolicyError {
        match self {
            PolicyError::Syntax { location, message } => {
                PolicyError::Syntax { location: format!("{file}: {location}"), message }
            }
            PolicyError::Schema { path, message } => PolicyError::Schema { path: format!("{file}: {path}"), message },
            PolicyError::Invalid { path, reason } => PolicyError::Invalid { path: format!("{file}: {path}"), reason },
        }
    }

    /// The field path (or, for syntax errors, the line and column) the error is about.
    pub fn path(&self) -> &str {
        match self {
            PolicyError::Syntax { location, .. } => location,
            PolicyError::Schema { path, .. } => path,
            PolicyError::Invalid { path, .. } => path,
        }
    }

    /// The explanation after the path, without the path itself.
    pub fn reason(&self) -> &str {
        match self {
            PolicyError::Syntax { message, .. } => message,
            PolicyError::Schema { message, .. } => message,
            PolicyError::Invalid { reason, .. } => reason,
        }
    }
}

/// The whole policy of one city: the measures and every number and name they rely on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The city this policy belongs to.
    pub city: City,
    /// The official document the measures come from, cited as the legal basis on pages and reports.
    pub document: PolicyDocument,
    /// The headed parts of the document, used for navigation and supervision reports.
    pub measure_groups: Vec<MeasureGroup>,
    /// The numbered measures, each with its lead and co-operating departments.
    pub measures: Vec<Measure>,
    /// Every department a measure names, so tasks can be assigned to accounts.
    pub departments: Vec<Department>,
    /// County-level units and development zones that implement the measures and own local data.
    pub counties: Vec<County>,
    /// The city's key industry chains, used to slice indicators and route matches.
    pub industry_chains: Vec<IndustryChain>,
    /// Quantified goals the indicators module tracks.
    pub targets: Vec<Target>,
    /// Award and subsidy amounts and formulas' parameters.
    pub money: MoneyRules,
    /// Thresholds of the high-value invention patent definition.
    pub high_value: HighValueRules,
    /// Guidance caps for declared open licences.
    pub open_license: OpenLicenseRules,
    /// Parameters of the stock-patent revitalisation workflow.
    pub revitalisation: RevitalisationRules,
    /// Statutory and local deadlines of protection work.
    pub protection: ProtectionRules,
    /// Where working-day deadlines take their holidays from.
    pub calendar: CalendarRules,
    /// How often the indicators are recomputed and how far back their history is reconstructed.
    #[serde(default)]
    pub indicators: IndicatorRules,
}

/// Scheduling of the indicator aggregates and snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorRules {
    /// Minutes between two scheduled refreshes (imports and edits also trigger one).
    #[serde(default = "default_refresh_minutes")]
    pub refresh_minutes: u32,
    /// How many years of monthly history the first refresh reconstructs from filing and grant dates.
    #[serde(default = "default_backfill_years")]
    pub backfill_years: u32,
}

const fn default_refresh_minutes() -> u32 {
    60
}

const fn default_backfill_years() -> u32 {
    10
}

impl Default for IndicatorRules {
    fn default() -> Self {
        IndicatorRules { refresh_minutes: default_refresh_minutes(), backfill_years: default_backfill_years() }
    }
}

/// The city whose measures the file encodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct City {
    /// Full name, e.g. 安康市.
    pub name: String,
    /// Short name for titles, e.g. 安康.
    pub short_name: String,
    /// GB/T 2260 division code, 4 or 6 digits; county codes must share its first four digits.
    pub division_code: String,
    /// Province, e.g. 陕西省.
    pub province: String,
    /// Resident population; when absent, the counties' populations are added up.
    #[serde(default)]
    pub population: Option<u64>,
}

/// The document that issues the measures, so every page can cite its basis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    /// Title of the measures.
    pub title: String,
    /// Document number, e.g. 安政办发〔2024〕13号.
    pub number: String,
    /// Issuing office.
    pub issuer: String,
    /// Date of issue.
    #[serde(with = "date_field")]
    pub issued_on: NaiveDate,
    /// The opening paragraph stating the purpose and the higher-level basis.
    #[serde(default)]
    pub preamble: String,
}

/// A headed part of the document (一、二、三、四 and the closing supervision paragraph).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureGroup {
    /// Order of the group, referenced by `Measure::group`.
    pub number: u8,
    /// Heading as printed, e.g. 激励创新创造，加快专利价值实现.
    pub title: String,
    /// Short label for navigation, e.g. 激励创新创造.
    pub nav_title: String,
    /// Body text where the group has one of its own (the closing paragraph); empty otherwise.
    #[serde(default)]
    pub text: String,
}

/// One numbered measure and the departments responsible for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    /// Number as printed; measures are numbered 1..=N without gaps.
    pub number: u8,
    /// The `MeasureGroup::number` this measure sits under.
    pub group: u8,
    /// Bold first sentence of the measure, without its full stop.
    pub title: String,
    /// Verbatim body of the measure, without the title sentence and the departments' parenthesis.
    pub text: String,
    /// Department codes in the order the parenthesis names them; the first one leads.
    pub departments: Vec<String>,
    /// Whether county governments must implement it too (“以下均需各县（市、区）政府落实”).
    pub counties_implement: bool,
}

impl Measure {
    /// Code of the lead department (牵头部门), the first one named.
    pub fn lead_department(&self) -> Option<&str> {
        self.departments.first().map(String::as_str)
    }

    /// Codes of the co-operating departments (配合部门), everyone named after the lead.
    pub fn co_departments(&self) -> &[String] {
        self.departments.get(1..).unwrap_or(&[])
    }
}

/// A city department that owns tasks under the measures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    /// Stable ASCII code (`amr`, `sti`, `miit`…) that accounts and tasks refer to.
    pub code: String,
    /// Name exactly as the measures print it, e.g. 市市场监管局.
    pub name: String,
    /// Compact label for charts and tables.
    pub short_name: String,
    /// Marks the bureau that runs the platform; exactly one department has it.
    #[serde(default)]
    pub is_bureau: bool,
}

/// A county-level unit or development zone that implements the measures locally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct County {
    /// 6-digit GB/T 2260 code, or for a development zone a platform code such as `6109A1`.
    pub code: String,
    /// Official name, e.g. 汉滨区.
    pub name: String,
    /// What kind of unit it is, which decides the code form it may use.
    pub kind: CountyKind,
    /// Resident population, for per-10,000 indicators; a zone counted inside its districts has none.
    #[serde(default)]
    pub population: Option<u64>,
    /// Other names addresses use for it (安康高新区 for 安康高新技术产业开发区), so an applicant's address
    /// places a patent in it.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// The kind of a county-level unit, which decides whether it has an official division code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountyKind {
    /// 市辖区.
    District,
    /// 县.
    County,
    /// 县级市.
    CountyCity,
    /// 开发区、示范区: not an administrative division, so it has no official code.
    DevelopmentZone,
}

impl CountyKind {
    /// Chinese label for pages.
    pub fn label(self) -> &'static str {
        match self {
            CountyKind::District => "区",
            CountyKind::County => "县",
            CountyKind::CountyCity => "县级市",
            CountyKind::DevelopmentZone => "开发区",
        }
    }

    /// True for units listed in GB/T 2260, which must carry a 6-digit official code.
    pub fn is_administrative_division(self) -> bool {
        !matches!(self, CountyKind::DevelopmentZone)
    }
}

/// A key industry chain with the IPC prefixes and keywords that assign patents and demands to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndustryChain {
    /// Stable ASCII code.
    pub code: String,
    /// Chinese name, e.g. 富硒食品.
    pub name: String,
    /// IPC prefixes without spaces: subclass (`A23L`), main group (`A23F3`) or subgroup (`A23L33/16`).
    pub ipc_prefixes: Vec<String>,
    /// Chinese keywords for the search lexicon and text matching.
    pub keywords: Vec<String>,
}

impl IndustryChain {
    /// Whether an IPC symbol such as `A23F3/06` (spaces ignored) falls under one of the chain's prefixes.
    ///
    /// A main-group prefix is compared as a whole number, so `A23F3` matches `A23F3/06` but not `A23F30/00`;
    /// a subgroup prefix matches deeper subgroups that extend its digits (`A23L33/16` matches `A23L33/165`).
    pub fn matches_ipc(&self, ipc: &str) -> bool {
        let symbol: String = ipc.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
        self.ipc_prefixes.iter().any(|prefix| ipc_prefix_matches(prefix, &symbol))
    }

    /// The first of the chain's prefixes that `ipc` falls under (what the chain pages show as the mapping).
    pub fn matching_prefix(&self, ipc: &str) -> Option<&str> {
        let symbol: String = ipc.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
        self.ipc_prefixes.iter().find(|prefix| ipc_prefix_matches(prefix, &symbol)).map(String::as_str)
    }
}

/// A quantified goal of the measures, e.g. 有效发明专利拥有量 ≥ 400 件 by 2025-12-31.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Stable code the indicators module computes the actual value for.
    pub code: String,
    /// Chinese name of the indicator.
    pub name: String,
    /// The lower bound to reach (“以上”).
    pub value: u64,
    /// Unit of the value, e.g. 件.
    pub unit: String,
    /// Deadline.
    #[serde(with = "date_field")]
    pub due: NaiveDate,
    /// Number of the measure that sets the target.
    pub measure: u8,
}

/// Award and subsidy amounts; whole yuan in the file (`*_yuan`), `Money` in code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoneyRules {
    /// Award for a first provincial 专精特新 recognition (measure 3).
    #[serde(rename = "srdi_provincial_first_award_yuan", with = "yuan_field")]
    pub srdi_provincial_first_award: Money,
    /// Award for a first national 小巨人 recognition (measure 3).
    #[serde(rename = "little_giant_first_award_yuan", with = "yuan_field")]
    pub little_giant_first_award: Money,
    /// Lowest funding of one patent navigation project (measure 6).
    #[serde(rename = "navigation_project_min_yuan", with = "yuan_field")]
    pub navigation_project_min: Money,
    /// Highest funding of one patent navigation project (measure 6).
    #[serde(rename = "navigation_project_max_yuan", with = "yuan_field")]
    pub navigation_project_max: Money,
    /// Sales-based reward tiers for first-of-kind equipment and first-batch materials (measure 4); empty
    /// until the city issues them, in which case no amount is computed.
    #[serde(default)]
    pub first_of_kind_tiers: Vec<FirstOfKindTier>,
    /// Pledge-loan interest subsidy parameters (measure 12).
    pub interest_subsidy: InterestSubsidyRules,
    /// IP insurance premium subsidy parameters (measure 12).
    pub premium_subsidy: PremiumSubsidyRules,
}

impl MoneyRules {
    /// The first-of-kind reward for a product's sales: the highest tier whose lower bound is reached.
    pub fn first_of_kind_award(&self, sales: Money) -> Option<Money> {
        self.first_of_kind_tiers
            .iter()
            .filter(|tier| sales >= tier.min_sales)
            .max_by_key(|tier| tier.min_sales)
            .map(|tier| tier.award)
    }
}

/// One sales tier of the first-of-kind reward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirstOfKindTier {
    /// Product sales from which this tier applies.
    #[serde(rename = "min_sales_yuan", with = "yuan_field")]
    pub min_sales: Money,
    /// Reward paid in this tier.
    #[serde(rename = "award_yuan", with = "yuan_field")]
    pub award: Money,
}

/// Parameters of the pledge-loan interest subsidy formula (RULES.md, measure 12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterestSubsidyRules {
    /// Share of the interest subsidised, in basis points.
    pub ratio_bp: u32,
    /// Years of a loan that may be subsidised (measure 12: two).
    pub max_years: u8,
    /// Most one enterprise may receive in one year.
    #[serde(rename = "cap_per_enterprise_per_year_yuan", with = "yuan_field")]
    pub cap_per_enterprise_per_year: Money,
    /// Most one loan may receive; `None` when the city sets no per-loan cap.
    #[serde(
        rename = "cap_per_loan_yuan",
        with = "optional_yuan_field",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cap_per_loan: Option<Money>,
    /// Days in the interest year (360 or 365) for the principal × LPR × days bound.
    pub day_count_basis: u16,
}

/// Parameters of the IP insurance premium subsidy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PremiumSubsidyRules {
    /// Share of the premium subsidised, in basis points.
    pub ratio_bp: u32,
    /// Most one enterprise may receive in one year.
    #[serde(rename = "cap_per_enterprise_per_year_yuan", with = "yuan_field")]
    pub cap_per_enterprise_per_year: Money,
}

/// Thresholds of the five-criteria high-value invention patent definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HighValueRules {
    /// Which IPC symbols decide the strategic-emerging-industry criterion.
    #[serde(default)]
    pub sei_code_scope: SeiCodeScope,
    /// A patent maintained more than this many years counts as high-value.
    pub maintained_years: u32,
    /// The date maintenance years are counted from.
    #[serde(default)]
    pub maintained_since: MaintenanceStart,
    /// Pledge financing at or above this amount counts as high-value.
    #[serde(rename = "pledge_threshold_yuan", with = "yuan_field")]
    pub pledge_threshold: Money,
}

/// Which IPC symbols of a patent are checked against the strategic-emerging-industry concordance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeiCodeScope {
    /// Any of the patent's IPC symbols may place it in a category.
    #[default]
    Any,
    /// Only the main IPC symbol counts.
    Main,
}

/// The date from which a patent's maintenance years are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaintenanceStart {
    /// From the filing date (the usual statistical convention).
    #[default]
    FilingDate,
    /// From the grant date.
    GrantDate,
}

/// Guidance caps applied when a patentee declares an open licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenLicenseRules {
    /// Highest one-off fee a declaration may ask.
    #[serde(rename = "fixed_fee_cap_yuan", with = "yuan_field")]
    pub fixed_fee_cap: Money,
    /// Highest royalty as a share of net sales, in basis points.
    pub royalty_sales_cap_bp: u32,
    /// Highest royalty as a share of profit, in basis points.
    pub royalty_profit_cap_bp: u32,
    /// Shortest licence term in years.
    pub min_term_years: u32,
}

/// Parameters of the stock-patent revitalisation workflow (measure 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevitalisationRules {
    /// Date by which every in-scope patent must have an inventory record.
    #[serde(with = "date_field")]
    pub coverage_deadline: NaiveDate,
    /// Working days an institution has to answer an enterprise request.
    pub response_working_days: u32,
    /// The ordinal prospect scale of the institution's self-grading (转化前景自评); higher is better.
    pub prospect_grades: Vec<ProspectGrade>,
    /// Enterprises stating cooperation intent needed for the high tier.
    pub high_tier_min_interest: u32,
    /// Average industrialisation prospect (企业评价的产业化前景, 1–5) enterprises gave, needed for the high tier.
    pub high_tier_min_avg_prospect: f32,
}

impl RevitalisationRules {
    /// The grade with the given level, for labelling a stored level.
    pub fn prospect_grade(&self, level: u8) -> Option<&ProspectGrade> {
        self.prospect_grades.iter().find(|g| g.level == level)
    }

    /// Whether a patent with this feedback belongs in the high tier (roadshows, one-on-one follow-up).
    /// `avg_prospect` is the average industrialisation prospect (1–5) of the enterprises' feedback; see
    /// [`crate::revitalisation::Tier::evaluate`] for how the inputs are counted.
    pub fn is_high_tier(&self, interested_enterprises: u32, avg_prospect: f32) -> bool {
        interested_enterprises >= self.high_tier_min_interest && avg_prospect >= self.high_tier_min_avg_prospect
    }
}

/// Where the working-day calendar (法定节假日与调休安排) comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarRules {
    /// File of public holidays and adjusted working days, named relative to the policy file's folder
    /// (`holidays-cn.toml`); the file shipped with the platform is used when none lies beside the policy.
    pub holidays: String,
}

/// One level of the transfer-prospect scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProspectGrade {
    /// Ordinal level, 1..=N, higher is better.
    pub level: u8,
    /// Short name shown in forms, e.g. A 近期可转化.
    pub name: String,
    /// What the level means, shown as help text so graders apply it alike.
    pub meaning: String,
}

/// Deadlines of enforcement, rulings, inspections and credit repair (measures 7–9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtectionRules {
    /// Working days to accept or refuse a ruling request.
    pub ruling_accept_working_days: u32,
    /// Months to decide a ruling after acceptance.
    pub ruling_decide_months: u32,
    /// Months a ruling may be extended with approval.
    pub ruling_extension_months: u32,
    /// Working days to publish random-inspection results.
    pub inspection_publish_working_days: u32,
    /// Months after which a 失信 entity may apply for credit repair.
    pub credit_repair_after_months_dishonest: u32,
    /// Months after which a 严重失信 entity may apply for credit repair.
    pub credit_repair_after_months_serious: u32,
    /// Years after which an entity leaves the serious-dishonesty list.
    pub credit_removal_years: u32,
}

impl Policy {
    /// Parses and validates a policy file's text; the error names the offending field path.
    pub fn from_toml_str(text: &str) -> Result<Policy, PolicyError> {
        let deserializer = toml::Deserializer::parse(text).map_err(|e| syntax_error(text, &e))?;
        let policy: Policy = serde_path_to_error::deserialize(deserializer).map_err(|e| schema_error(text, &e))?;
        policy.validate()?;
        Ok(policy)
    }

    /// Checks the semantic rules; run again after changing a policy in code, as fields are public.
    pub fn validate(&self) -> Result<(), PolicyError> {
        validate_city(&self.city)?;
        validate_document(&self.document)?;
        validate_groups(&self.measure_groups)?;
        validate_departments(&self.departments)?;
        validate_measures(self)?;
        validate_counties(&self.counties, &self.city)?;
        validate_chains(&self.industry_chains)?;
        validate_targets(self)?;
        validate_money(&self.money)?;
        validate_high_value(&self.high_value)?;
        validate_open_license(&self.open_license)?;
        validate_revitalisation(&self.revitalisation)?;
        validate_protection(&self.protection)?;
        validate_calendar(&self.calendar)?;
        validate_indicators(&self.indicators)
    }

    /// The city's resident population: the `[city]` figure, else the counties' sum; `None` when unknown.
    pub fn population(&self) -> Option<u64> {
        self.city.population.or_else(|| {
            let sum: u64 = self.counties.iter().filter_map(|c| c.population).sum();
            (sum > 0).then_some(sum)
        })
    }

    /// Loads and validates the holiday calendar the policy names in `[calendar]`.
    ///
    /// `read` returns the text of a file named relative to the policy file's folder, or `None` when there is
    /// no such file (the built-in policy has no folder: pass `|_| None`). A file shipped with the platform
    /// ([`crate::calendar::builtin_file`]) is used when `read` has none, so a city that keeps the national
    /// calendar needs to copy only its policy file. Errors name the file, then the field inside it.
    pub fn load_work_calendar(
        &self,
        read: impl FnOnce(&str) -> Option<String>,
    ) -> Result<crate::calendar::WorkCalendar, PolicyError> {
        let name = self.calendar.holidays.as_str();
        let text = read(name).or_else(|| crate::calendar::builtin_file(name).map(str::to_owned)).ok_or_else(|| {
            invalid("calendar.holidays", format!("找不到节假日文件 {name:?}（应与政策文件放在同一目录）"))
        })?;
        crate::calendar::WorkCalendar::from_toml_str(&text).map_err(|e| e.in_file(name))
    }

    /// The measure with this number.
    pub fn measure(&self, number: u8) -> Option<&Measure> {
        self.measures.iter().find(|m| m.number == number)
    }

    /// The measure group with this number.
    pub fn group(&self, number: u8) -> Option<&MeasureGroup> {
        self.measure_groups.iter().find(|g| g.number == number)
    }

    /// The measures under one group, in document order.
    pub fn measures_in_group(&self, group: u8) -> impl Iterator<Item = &Measure> + '_ {
        self.measures.iter().filter(move |m| m.group == group)
    }

    /// The department with this code.
    pub fn department(&self, code: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.code == code)
    }

    /// The bureau running the platform; always `Some` for a validated policy.
    pub fn bureau(&self) -> Option<&Department> {
        self.departments.iter().find(|d| d.is_bureau)
    }

    /// The county-level unit or zone with this code.
    pub fn county(&self, code: &str) -> Option<&County> {
        self.counties.iter().find(|c| c.code == code)
    }

    /// The industry chain with this code.
    pub fn chain(&self, code: &str) -> Option<&IndustryChain> {
        self.industry_chains.iter().find(|c| c.code == code)
    }

    /// The target with this code.
    pub fn target(&self, code: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.code == code)
    }
}

// ---------------------------------------------------------------------------------------------------------
// Errors from the two loading steps.
// ---------------------------------------------------------------------------------------------------------

/// Keeps every message on one line, as the CLI and logs print one error per line.
fn one_line(text: &str) -> String {
    text.split(['\n', '\r']).map(str::trim).filter(|part| !part.is_empty()).collect::<Vec<_>>().join("; ")
}

/// 1-based line and column of a byte offset, counting characters so Chinese text reports true columns.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |tail| tail.chars().count()) + 1;
    (line, column)
}

pub(crate) fn syntax_error(text: &str, error: &toml::de::Error) -> PolicyError {
    let location = match error.span() {
        Some(span) => {
            let (line, column) = line_and_column(text, span.start);
            format!("第 {line} 行第 {column} 列")
        }
        None => "(文件)".to_owned(),
    };
    PolicyError::Syntax { location, message: one_line(error.message()) }
}

pub(crate) fn schema_error(text: &str, error: &serde_path_to_error::Error<toml::de::Error>) -> PolicyError {
    let path = error.path().to_string();
    // serde_path_to_error prints the document root as "."; a clerk reads "(顶层)" more easily.
    let path = if path == "." { "(顶层)".to_owned() } else { path };
    let inner = error.inner();
    let mut message = one_line(inner.message());
    if let Some(span) = inner.span() {
        let (line, _) = line_and_column(text, span.start);
        message.push_str(&format!("（第 {line} 行）"));
    }
    PolicyError::Schema { path, message }
}

pub(crate) fn invalid(path: impl Into<String>, reason: impl Into<String>) -> PolicyError {
    PolicyError::Invalid { path: path.into(), reason: reason.into() }
}

// ---------------------------------------------------------------------------------------------------------
// Semantic validation. Each check returns the first problem with the path of the field to fix.
// ---------------------------------------------------------------------------------------------------------

pub(crate) fn require_text(path: impl Into<String>, value: &str) -> Result<(), PolicyError> {
    if value.trim().is_empty() { Err(invalid(path, "不能为空")) } else { Ok(()) }
}

/// Codes are keys in URLs, accounts and stored rows, so they are plain ASCII snake case.
fn require_code(path: impl Into<String>, code: &str) -> Result<(), PolicyError> {
    let mut bytes = code.bytes();
    let starts_with_letter = bytes.next().is_some_and(|b| b.is_ascii_lowercase());
    let rest_ok = bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if starts_with_letter && rest_ok {
        Ok(())
    } else {
        Err(invalid(
            path,
            format!("代码 {code:?} 不合规（应为小写英文字母开头，只含小写字母、数字和下划线，如 \"amr\"）"),
        ))
    }
}

/// Reports the second occurrence of a key, naming where the first one is.
fn require_unique<'a>(
    seen: &mut HashMap<&'a str, usize>,
    key: &'a str,
    index: usize,
    path: impl Into<String>,
    what: &str,
    list: &str,
) -> Result<(), PolicyError> {
    match seen.insert(key, index) {
        Some(first) => Err(invalid(path, format!("{what} {key:?} 重复（{list}[{first}] 已使用）"))),
        None => Ok(()),
    }
}

fn require_ratio(path: impl Into<String>, bp: u32) -> Result<(), PolicyError> {
    if bp == 0 || bp > BASIS_POINTS_WHOLE {
        Err(invalid(path, format!("比例 {bp} 超出范围（以基点计，应为 1–10000，5000 = 50%）")))
    } else {
        Ok(())
    }
}

fn require_positive_money(path: impl Into<String>, amount: Money) -> Result<(), PolicyError> {
    if amount.fen() > 0 { Ok(()) } else { Err(invalid(path, "金额必须大于 0")) }
}

fn require_at_least(path: impl Into<String>, value: u64, min: u64) -> Result<(), PolicyError> {
    if value < min { Err(invalid(path, format!("取值 {value} 过小（至少为 {min}）"))) } else { Ok(()) }
}

fn validate_city(city: &City) -> Result<(), PolicyError> {
    require_text("city.name", &city.name)?;
    require_text("city.short_name", &city.short_name)?;
    require_text("city.province", &city.province)?;
    let code = &city.division_code;
    if !(code.len() == 4 || code.len() == 6) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            "city.division_code",
            format!("行政区划代码 {code:?} 不合规（应为 4 位或 6 位数字，如 \"6109\"）"),
        ));
    }
    Ok(())
}

fn validate_document(document: &PolicyDocument) -> Result<(), PolicyError> {
    require_text("document.title", &document.title)?;
    require_text("document.number", &document.number)?;
    require_text("document.issuer", &document.issuer)
}

fn validate_groups(groups: &[MeasureGroup]) -> Result<(), PolicyError> {
    if groups.is_empty() {
        return Err(invalid("measure_groups", "至少需要一个措施分组"));
    }
    let mut seen: HashMap<u8, usize> = HashMap::new();
    for (i, group) in groups.iter().enumerate() {
        if let Some(first) = seen.insert(group.number, i) {
            return Err(invalid(
                format!("measure_groups[{i}].number"),
                format!("分组编号 {} 重复（measure_groups[{first}] 已使用）", group.number),
            ));
        }
        require_text(format!("measure_groups[{i}].title"), &group.title)?;
        require_text(format!("measure_groups[{i}].nav_title"), &group.nav_title)?;
    }
    Ok(())
}

fn validate_departments(departments: &[Department]) -> Result<(), PolicyError> {
    if departments.is_empty() {
        return Err(invalid("departments", "至少需要一个部门"));
    }
    let mut codes = HashMap::new();
    let mut names = HashMap::new();
    let mut bureau: Option<usize> = None;
    for (i, department) in departments.iter().enumerate() {
        require_code(format!("departments[{i}].code"), &department.code)?;
        require_unique(&mut codes, &department.code, i, format!("departments[{i}].code"), "部门代码", "departments")?;
        require_text(format!("departments[{i}].name"), &department.name)?;
        require_unique(&mut names, &department.name, i, format!("departments[{i}].name"), "部门名称", "departments")?;
        require_text(format!("departments[{i}].short_name"), &department.short_name)?;
        if department.is_bureau {
            if let Some(first) = bureau {
                return Err(invalid(
                    format!("departments[{i}].is_bureau"),
                    format!("只能有一个 is_bureau = true 的部门（departments[{first}] 已是主管部门）"),
                ));
            }
            bureau = Some(i);
        }
    }
    if bureau.is_none() {
        return Err(invalid("departments", "缺少主管部门：须有且只有一个部门写 is_bureau = true（如市市场监管局）"));
    }
    Ok(())
}

fn validate_measures(policy: &Policy) -> Result<(), PolicyError> {
    let measures = &policy.measures;
    if measures.is_empty() {
        return Err(invalid("measures", "至少需要一条措施"));
    }
    // Duplicates first: "number 3 is used twice" is a clearer message than "expected 4".
    let mut seen: HashMap<u8, usize> = HashMap::new();
    for (i, measure) in measures.iter().enumerate() {
        if let Some(first) = seen.insert(measure.number, i) {
            return Err(invalid(
                format!("measures[{i}].number"),
                format!("措施编号 {} 重复（measures[{first}] 已使用）", measure.number),
            ));
        }
    }
    for (i, measure) in measures.iter().enumerate() {
        let path = |field: &str| format!("measures[{i}].{field}");
        let expected = i + 1;
        if usize::from(measure.number) != expected {
            return Err(invalid(
                path("number"),
                format!("措施编号应为 {expected}，实为 {}（措施须按 1、2、3…顺序连续编号）", measure.number),
            ));
        }
        if policy.group(measure.group).is_none() {
            return Err(invalid(
                path("group"),
                format!("未知分组 {}（应为 measure_groups 中的 number）", measure.group),
            ));
        }
        require_text(path("title"), &measure.title)?;
        require_text(path("text"), &measure.text)?;
        if measure.departments.is_empty() {
            return Err(invalid(path("departments"), "至少需要一个责任部门（第一个为牵头部门）"));
        }
        let mut named = HashMap::new();
        for (j, code) in measure.departments.iter().enumerate() {
            let department_path = format!("measures[{i}].departments[{j}]");
            if policy.department(code).is_none() {
                return Err(invalid(department_path, format!("未知部门代码 {code:?}（应为 departments 中的 code）")));
            }
            if let Some(first) = named.insert(code.as_str(), j) {
                return Err(invalid(department_path, format!("部门 {code:?} 重复列出（departments[{first}] 已列出）")));
            }
        }
    }
    Ok(())
}

fn validate_counties(counties: &[County], city: &City) -> Result<(), PolicyError> {
    if counties.is_empty() {
        return Err(invalid("counties", "至少需要一个县（市、区）"));
    }
    let city_prefix = city.division_code.get(..4).unwrap_or_default();
    let mut codes = HashMap::new();
    let mut names = HashMap::new();
    for (i, county) in counties.iter().enumerate() {
        let path = format!("counties[{i}].code");
        let code = county.code.as_str();
        let official = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
        let platform = is_platform_zone_code(code);
        match (county.kind.is_administrative_division(), official, platform) {
            (true, false, _) => {
                return Err(invalid(
                    path,
                    format!(
                        "代码 {code:?} 不合规：{} 须使用 6 位国家行政区划代码（如 \"610902\"）",
                        county.kind.label()
                    ),
                ));
            }
            (false, false, false) => {
                return Err(invalid(
                    path,
                    format!(
                        "代码 {code:?} 不合规：开发区应使用 6 位行政区划代码，或平台代码（城市 4 位代码 + A + 序号，如 \"{city_prefix}A1\"）"
                    ),
                ));
            }
            _ => {}
        }
        if !code.starts_with(city_prefix) {
            return Err(invalid(path, format!("代码 {code:?} 不属于本市（应以城市代码前 4 位 {city_prefix:?} 开头）")));
        }
        require_unique(&mut codes, code, i, format!("counties[{i}].code"), "县区代码", "counties")?;
        require_text(format!("counties[{i}].name"), &county.name)?;
        require_unique(&mut names, &county.name, i, format!("counties[{i}].name"), "县区名称", "counties")?;
        if county.population == Some(0) {
            return Err(invalid(format!("counties[{i}].population"), "常住人口必须大于 0（不知道时不写）"));
        }
        for (j, alias) in county.aliases.iter().enumerate() {
            require_text(format!("counties[{i}].aliases[{j}]"), alias)?;
        }
    }
    Ok(())
}

fn validate_indicators(rules: &IndicatorRules) -> Result<(), PolicyError> {
    require_at_least("indicators.refresh_minutes", u64::from(rules.refresh_minutes), 1)?;
    require_at_least("indicators.backfill_years", u64::from(rules.backfill_years), 1)?;
    if rules.backfill_years > 30 {
        return Err(invalid("indicators.backfill_years", "回溯年数不应超过 30 年"));
    }
    Ok(())
}

/// The platform's code for a development zone without an official code: 4 digits, `A`, one digit 1–9.
/// The letter guarantees it never collides with an all-digit GB/T 2260 code.
fn is_platform_zone_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    bytes.len() == 6
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'A'
        && (b'1'..=b'9').contains(&bytes[5])
}

fn validate_chains(chains: &[IndustryChain]) -> Result<(), PolicyError> {
    let mut codes = HashMap::new();
    for (i, chain) in chains.iter().enumerate() {
        require_code(format!("industry_chains[{i}].code"), &chain.code)?;
        require_unique(
            &mut codes,
            &chain.code,
            i,
            format!("industry_chains[{i}].code"),
            "产业链代码",
            "industry_chains",
        )?;
        require_text(format!("industry_chains[{i}].name"), &chain.name)?;
        if chain.ipc_prefixes.is_empty() && chain.keywords.is_empty() {
            return Err(invalid(
                format!("industry_chains[{i}]"),
                "ipc_prefixes 与 keywords 不能都为空，否则无法把专利归入该产业链",
            ));
        }
        for (j, prefix) in chain.ipc_prefixes.iter().enumerate() {
            if !is_valid_ipc_prefix(prefix) {
                return Err(invalid(
                    format!("industry_chains[{i}].ipc_prefixes[{j}]"),
                    format!(
                        "不是有效的 IPC 前缀 {prefix:?}（应为部 A–H + 2 位大类 + 小类字母，可加大组和 /小组，不含空格，如 \"A23L\"、\"A23F3\"、\"A23L33/16\"）"
                    ),
                ));
            }
        }
        for (j, keyword) in chain.keywords.iter().enumerate() {
            require_text(format!("industry_chains[{i}].keywords[{j}]"), keyword)?;
        }
    }
    Ok(())
}

/// Splits a prefix into subclass (4 chars), main group and subgroup, if it is syntactically valid.
fn split_ipc_prefix(prefix: &str) -> Option<(&str, Option<&str>, Option<&str>)> {
    let bytes = prefix.as_bytes();
    if bytes.len() < 4
        || !(b'A'..=b'H').contains(&bytes[0])
        || !bytes[1].is_ascii_digit()
        || !bytes[2].is_ascii_digit()
        || !bytes[3].is_ascii_uppercase()
    {
        return None;
    }
    let (subclass, rest) = prefix.split_at(4);
    if rest.is_empty() {
        return Some((subclass, None, None));
    }
    let (main_group, subgroup) = match rest.split_once('/') {
        Some((main, sub)) => (main, Some(sub)),
        None => (rest, None),
    };
    let digits =
        |s: &str, min: usize, max: usize| (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    // Main groups run 1–9999 and never start with 0; subgroups have at least two digits (/00, /02, /2321).
    if !digits(main_group, 1, 4) || main_group.starts_with('0') {
        return None;
    }
    if let Some(sub) = subgroup
        && !digits(sub, 2, 6)
    {
        return None;
    }
    Some((subclass, Some(main_group), subgroup))
}

/// Whether `prefix` is an IPC subclass, main group or subgroup written without spaces.
pub fn is_valid_ipc_prefix(prefix: &str) -> bool {
    split_ipc_prefix(prefix).is_some()
}

/// Hierarchical prefix match of a normalised IPC symbol (see `IndustryChain::matches_ipc`).
fn ipc_prefix_matches(prefix: &str, symbol: &str) -> bool {
    let Some((subclass, main_group, subgroup)) = split_ipc_prefix(prefix) else {
        return false;
    };
    let Some(rest) = symbol.strip_prefix(subclass) else {
        return false;
    };
    let Some(main_group) = main_group else {
        return true;
    };
    let (symbol_main, symbol_sub) = match rest.split_once('/') {
        Some((main, sub)) => (main, Some(sub)),
        None => (rest, None),
    };
    if symbol_main != main_group {
        return false;
    }
    match (subgroup, symbol_sub) {
        (None, _) => true,
        (Some(sub), Some(symbol_sub)) => symbol_sub.starts_with(sub),
        (Some(_), None) => false,
    }
}

fn validate_targets(policy: &Policy) -> Result<(), PolicyError> {
    let mut codes = HashMap::new();
    for (i, target) in policy.targets.iter().enumerate() {
        require_code(format!("targets[{i}].code"), &target.code)?;
        require_unique(&mut codes, &target.code, i, format!("targets[{i}].code"), "指标代码", "targets")?;
        if target.code.parse::<crate::indicators::Indicator>().is_err() {
            let known: Vec<&str> = crate::indicators::Indicator::ALL.iter().map(|i| i.code()).collect();
            return Err(invalid(
                format!("targets[{i}].code"),
                format!("未知指标代码 {:?}（应为 {} 之一）", target.code, known.join("、")),
            ));
        }
        require_text(format!("targets[{i}].name"), &target.name)?;
        if target.value == 0 {
            return Err(invalid(format!("targets[{i}].value"), "目标值必须大于 0"));
        }
        require_text(format!("targets[{i}].unit"), &target.unit)?;
        if policy.measure(target.measure).is_none() {
            return Err(invalid(
                format!("targets[{i}].measure"),
                format!("未知措施编号 {}（应为 measures 中的 number）", target.measure),
            ));
        }
    }
    Ok(())
}

fn validate_money(money: &MoneyRules) -> Result<(), PolicyError> {
    require_positive_money("money.srdi_provincial_first_award_yuan", money.srdi_provincial_first_award)?;
    require_positive_money("money.little_giant_first_award_yuan", money.little_giant_first_award)?;
    require_positive_money("money.navigation_project_min_yuan", money.navigation_project_min)?;
    if money.navigation_project_min > money.navigation_project_max {
        return Err(invalid(
            "money.navigation_project_min_yuan",
            format!(
                "下限 {} 高于上限 {}（money.navigation_project_max_yuan）",
                money.navigation_project_min, money.navigation_project_max
            ),
        ));
    }
    let mut previous: Option<Money> = None;
    for (i, tier) in money.first_of_kind_tiers.iter().enumerate() {
        if let Some(previous) = previous
            && tier.min_sales <= previous
        {
            return Err(invalid(
                format!("money.first_of_kind_tiers[{i}].min_sales_yuan"),
                format!("销售额下限 {} 应高于上一档的 {}（各档须从低到高排列）", tier.min_sales, previous),
            ));
        }
        require_positive_money(format!("money.first_of_kind_tiers[{i}].award_yuan"), tier.award)?;
        previous = Some(tier.min_sales);
    }
    let interest = &money.interest_subsidy;
    require_ratio("money.interest_subsidy.ratio_bp", interest.ratio_bp)?;
    require_at_least("money.interest_subsidy.max_years", u64::from(interest.max_years), 1)?;
    require_positive_money(
        "money.interest_subsidy.cap_per_enterprise_per_year_yuan",
        interest.cap_per_enterprise_per_year,
    )?;
    if let Some(cap) = interest.cap_per_loan {
        require_positive_money("money.interest_subsidy.cap_per_loan_yuan", cap)?;
    }
    if !matches!(interest.day_count_basis, 360 | 365) {
        return Err(invalid(
            "money.interest_subsidy.day_count_basis",
            format!("计息天数基数应为 360 或 365，实为 {}", interest.day_count_basis),
        ));
    }
    let premium = &money.premium_subsidy;
    require_ratio("money.premium_subsidy.ratio_bp", premium.ratio_bp)?;
    require_positive_money(
        "money.premium_subsidy.cap_per_enterprise_per_year_yuan",
        premium.cap_per_enterprise_per_year,
    )
}

fn validate_high_value(rules: &HighValueRules) -> Result<(), PolicyError> {
    require_at_least("high_value.maintained_years", u64::from(rules.maintained_years), 1)?;
    require_positive_money("high_value.pledge_threshold_yuan", rules.pledge_threshold)
}

fn validate_open_license(rules: &OpenLicenseRules) -> Result<(), PolicyError> {
    require_positive_money("open_license.fixed_fee_cap_yuan", rules.fixed_fee_cap)?;
    require_ratio("open_license.royalty_sales_cap_bp", rules.royalty_sales_cap_bp)?;
    require_ratio("open_license.royalty_profit_cap_bp", rules.royalty_profit_cap_bp)?;
    require_at_least("open_license.min_term_years", u64::from(rules.min_term_years), 1)
}

fn validate_revitalisation(rules: &RevitalisationRules) -> Result<(), PolicyError> {
    require_at_least("revitalisation.response_working_days", u64::from(rules.response_working_days), 1)?;
    let grades = &rules.prospect_grades;
    if grades.is_empty() {
        return Err(invalid("revitalisation.prospect_grades", "至少需要一个转化前景等级"));
    }
    let mut levels: HashMap<u8, usize> = HashMap::new();
    for (i, grade) in grades.iter().enumerate() {
        let path = format!("revitalisation.prospect_grades[{i}].level");
        if grade.level == 0 || usize::from(grade.level) > grades.len() {
            return Err(invalid(
                path,
                format!(
                    "等级 {} 超出范围（共 {} 个等级，level 须为 1–{} 且不重复）",
                    grade.level,
                    grades.len(),
                    grades.len()
                ),
            ));
        }
        if let Some(first) = levels.insert(grade.level, i) {
            return Err(invalid(
                path,
                format!("等级 {} 重复（revitalisation.prospect_grades[{first}] 已使用）", grade.level),
            ));
        }
        require_text(format!("revitalisation.prospect_grades[{i}].name"), &grade.name)?;
        require_text(format!("revitalisation.prospect_grades[{i}].meaning"), &grade.meaning)?;
    }
    require_at_least("revitalisation.high_tier_min_interest", u64::from(rules.high_tier_min_interest), 1)?;
    // The threshold applies to the enterprises' industrialisation prospect, a fixed 1–5 scale, not to the
    // institution's self-grading levels.
    let top = f32::from(crate::revitalisation::IndustrialisationProspect::MAX);
    let avg = rules.high_tier_min_avg_prospect;
    if !avg.is_finite() || !(1.0..=top).contains(&avg) {
        return Err(invalid(
            "revitalisation.high_tier_min_avg_prospect",
            format!("企业评价平均产业化前景门槛 {avg} 超出范围（应在 1 到 {top} 之间）"),
        ));
    }
    Ok(())
}

fn validate_calendar(rules: &CalendarRules) -> Result<(), PolicyError> {
    require_text("calendar.holidays", &rules.holidays)?;
    if !rules.holidays.ends_with(".toml") {
        return Err(invalid(
            "calendar.holidays",
            format!("节假日文件 {:?} 应为 .toml 文件（如 \"holidays-cn.toml\"）", rules.holidays),
        ));
    }
    Ok(())
}

fn validate_protection(rules: &ProtectionRules) -> Result<(), PolicyError> {
    let required = [
        ("protection.ruling_accept_working_days", rules.ruling_accept_working_days),
        ("protection.ruling_decide_months", rules.ruling_decide_months),
        ("protection.inspection_publish_working_days", rules.inspection_publish_working_days),
        ("protection.credit_repair_after_months_dishonest", rules.credit_repair_after_months_dishonest),
        ("protection.credit_repair_after_months_serious", rules.credit_repair_after_months_serious),
        ("protection.credit_removal_years", rules.credit_removal_years),
    ];
    for (path, value) in required {
        require_at_least(path, u64::from(value), 1)?;
    }
    // ruling_extension_months may be 0: a city may allow no extension at all.
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// Serde helpers for the file's conventions.
// ---------------------------------------------------------------------------------------------------------

/// Whole-yuan integers in the file, `Money` in code; negative or overflowing amounts are refused while
/// parsing so the error carries the field path.
mod yuan_field {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _, ser::Error as _};

    use crate::money::Money;

    pub fn serialize<S: Serializer>(amount: &Money, serializer: S) -> Result<S::Ok, S::Error> {
        match amount.whole_yuan() {
            Some(yuan) => serializer.serialize_i64(yuan),
            None => Err(S::Error::custom(format!("{amount} 不是整元金额，政策文件只能写整元"))),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        let yuan = i64::deserialize(deserializer)?;
        to_money(yuan).map_err(D::Error::custom)
    }

    pub fn to_money(yuan: i64) -> Result<Money, String> {
        if yuan < 0 {
            return Err(format!("金额不能为负数：{yuan}"));
        }
        Money::from_yuan(yuan).ok_or_else(|| format!("金额超出可表示范围：{yuan} 元"))
    }
}

/// Like `yuan_field`, for amounts the city may leave out.
mod optional_yuan_field {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    use crate::money::Money;

    pub fn serialize<S: Serializer>(amount: &Option<Money>, serializer: S) -> Result<S::Ok, S::Error> {
        match amount {
            Some(amount) => super::yuan_field::serialize(amount, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Money>, D::Error> {
        match Option::<i64>::deserialize(deserializer)? {
            Some(yuan) => super::yuan_field::to_money(yuan).map(Some).map_err(D::Error::custom),
            None => Ok(None),
        }
    }
}

/// Dates as native TOML dates (`2025-12-31`) or quoted `"2025-12-31"`; written back as the quoted form,
/// which every format (TOML, JSON) carries.
pub(crate) mod date_field {
    use std::fmt;

    use chrono::NaiveDate;
    use serde::de::{self, MapAccess, Visitor};
    use serde::{Deserializer, Serializer};

    /// The key toml uses to hand a native datetime to a visitor as a one-entry map.
    const TOML_DATETIME_KEY: &str = "$__toml_private_datetime";

    pub(crate) fn serialize<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&date.format("%Y-%m-%d"))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        deserializer.deserialize_any(DateVisitor)
    }

    struct DateVisitor;

    impl<'de> Visitor<'de> for DateVisitor {
        type Value = NaiveDate;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a date such as 2025-12-31")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<NaiveDate, E> {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                E::custom(format!("日期 {text:?} 不合规（应为 YYYY-MM-DD 形式的日期，如 2025-12-31，不带时间）"))
            })
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NaiveDate, A::Error> {
            match map.next_key::<String>()? {
                Some(key) if key == TOML_DATETIME_KEY => {
                    let text: String = map.next_value()?;
                    self.visit_str(&text)
                }
                _ => Err(de::Error::custom("应为日期（如 2025-12-31），而不是表（table）")),
            }
        }
    }
}

/// Shows a policy as `城市 文号` in logs, e.g. `安康市 安政办发〔2024〕13号`.
impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.city.name, self.document.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Policy {
        match Policy::from_toml_str(ANKANG_2024_TOML) {
            Ok(policy) => policy,
            Err(e) => panic!("shipped policy must load: {e}"),
        }
    }

    /// Applies one textual edit to the shipped file and returns the load error it must cause.
    fn broken(from: &str, to: &str) -> PolicyError {
        assert!(ANKANG_2024_TOML.contains(from), "fixture text not found: {from:?}");
        let text = ANKANG_2024_TOML.replacen(from, to, 1);
        match Policy::from_toml_str(&text) {
            Ok(_) => panic!("edit {from:?} -> {to:?} should be refused"),
            Err(e) => {
                let line = e.to_string();
                assert!(!line.contains('\n'), "error must be one line: {line}");
                assert!(line.starts_with(&format!("{}: ", e.path())), "error must start with its path: {line}");
                e
            }
        }
    }

    #[test]
    fn shipped_policy_loads_with_twelve_measures() {
        let policy = shipped();
        assert_eq!(policy.measures.len(), 12);
        let numbers: Vec<u8> = policy.measures.iter().map(|m| m.number).collect();
        assert_eq!(numbers, (1..=12).collect::<Vec<u8>>());
        assert!(policy.measures.iter().all(|m| m.counties_implement));
        assert_eq!(policy.city.division_code, "6109");
        assert_eq!(policy.document.number, "安政办发〔2024〕13号");
        assert_eq!(policy.to_string(), "安康市 安政办发〔2024〕13号");
    }

    #[test]
    fn measure_texts_are_clean_and_verbatim() {
        let policy = shipped();
        for measure in &policy.measures {
            assert!(!measure.text.contains('\n'), "measure {}", measure.number);
            assert!(!measure.text.contains("按职责分工负责"));
            assert!(!measure.text.contains("**"));
            assert!(measure.text.ends_with('。'));
        }
        let m5 = policy.measure(5).map(|m| m.text.as_str()).unwrap_or_default();
        assert!(m5.contains("概念验证中心等创新平台"));
        let m7 = policy.measure(7).map(|m| m.text.as_str()).unwrap_or_default();
        assert!(m7.contains("做好诉调对接和维权援助"));
        assert_eq!(policy.measure(1).map(|m| m.title.as_str()), Some("梳理盘活存量专利"));
    }

    #[test]
    fn groups_and_supervision() {
        let policy = shipped();
        let nav: Vec<&str> = policy.measure_groups.iter().map(|g| g.nav_title.as_str()).collect();
        assert_eq!(nav, ["激励创新创造", "激发内生动力", "构建保护体系", "搭建供需平台", "跟踪督办"]);
        assert_eq!(policy.group(1).map(|g| g.title.as_str()), Some("激励创新创造，加快专利价值实现"));
        let in_group_3: Vec<u8> = policy.measures_in_group(3).map(|m| m.number).collect();
        assert_eq!(in_group_3, [7, 8, 9]);
        assert_eq!(policy.measures_in_group(5).count(), 0);
        assert!(policy.group(5).is_some_and(|g| g.text.contains("跟踪督办")));
    }

    #[test]
    fn departments_leads_and_bureau() {
        let policy = shipped();
        let m1 = policy.measure(1).expect("measure 1");
        let lead = m1.lead_department().and_then(|code| policy.department(code));
        assert_eq!(lead.map(|d| d.name.as_str()), Some("市市场监管局"));
        assert_eq!(m1.co_departments(), ["miit", "sti", "edu_sports", "finance", "agri"]);
        assert_eq!(policy.bureau().map(|d| d.code.as_str()), Some("amr"));
        assert_eq!(policy.departments.iter().filter(|d| d.is_bureau).count(), 1);
        let m3 = policy.measure(3).expect("measure 3");
        assert_eq!(m3.lead_department(), Some("miit"));
        let m8 = policy.measure(8).expect("measure 8");
        assert_eq!(policy.department(m8.departments[0].as_str()).map(|d| d.name.as_str()), Some("市中级人民法院"));
        for name in ["市检察院", "安康金融监管分局", "人民银行安康市分行", "市行政审批服务局"]
        {
            assert!(policy.departments.iter().any(|d| d.name == name), "{name}");
        }
        // Every department listed is named by some measure, and vice versa.
        for department in &policy.departments {
            assert!(
                policy.measures.iter().any(|m| m.departments.contains(&department.code)),
                "{} is named by no measure",
                department.code
            );
        }
        let empty = Measure { departments: Vec::new(), ..m1.clone() };
        assert_eq!(empty.lead_department(), None);
        assert!(empty.co_departments().is_empty());
    }

    #[test]
    fn counties_match_the_division_csv_plus_two_zones() {
        let policy = shipped();
        let real: Vec<(&str, &str)> = policy
            .counties
            .iter()
            .filter(|c| c.kind.is_administrative_division())
            .map(|c| (c.code.as_str(), c.name.as_str()))
            .collect();
        assert_eq!(
            real,
            [
                ("610902", "汉滨区"),
                ("610921", "汉阴县"),
                ("610922", "石泉县"),
                ("610923", "宁陕县"),
                ("610924", "紫阳县"),
                ("610925", "岚皋县"),
                ("610926", "平利县"),
                ("610927", "镇坪县"),
                ("610929", "白河县"),
                ("610981", "旬阳市"),
            ]
        );
        assert_eq!(policy.county("610981").map(|c| c.kind), Some(CountyKind::CountyCity));
        assert_eq!(policy.county("610902").map(|c| c.kind), Some(CountyKind::District));
        let zones: Vec<(&str, &str)> = policy
            .counties
            .iter()
            .filter(|c| c.kind == CountyKind::DevelopmentZone)
            .map(|c| (c.code.as_str(), c.name.as_str()))
            .collect();
        assert_eq!(zones, [("6109A1", "安康高新技术产业开发区"), ("6109A2", "安康恒口示范区")]);
    }

    #[test]
    fn chains_targets_and_money() {
        let policy = shipped();
        assert_eq!(policy.industry_chains.len(), 8);
        let selenium = policy.chain("selenium_food").expect("chain");
        assert!(selenium.keywords.iter().any(|k| k == "富硒"));
        assert!(selenium.matches_ipc("A23F 3/06"));
        assert!(selenium.matches_ipc("A23L33/165"));
        assert!(!selenium.matches_ipc("A23F30/00"));
        assert!(!selenium.matches_ipc("G06F18/2321"));

        let targets: Vec<(&str, u64)> = policy.targets.iter().map(|t| (t.code.as_str(), t.value)).collect();
        assert_eq!(
            targets,
            [
                ("valid_invention_patents", 400),
                ("high_value_invention_patents", 100),
                ("valid_trademarks", 30_000),
                ("stock_patent_coverage", 100)
            ]
        );
        let due = NaiveDate::from_ymd_opt(2025, 12, 31).expect("date");
        assert!(policy.targets[..3].iter().all(|t| t.due == due && t.measure == 2 && t.unit == "件"));
        assert_eq!((policy.targets[3].due, policy.targets[3].measure, policy.targets[3].unit.as_str()), (due, 1, "%"));
        // Population for per-10,000 figures: the counties' sum when the city gives none; zones have none.
        assert_eq!(policy.population(), Some(2_421_000));
        assert_eq!(policy.county("6109A1").map(|c| (c.population, c.aliases.len())), Some((None, 3)));
        assert_eq!(policy.indicators, IndicatorRules { refresh_minutes: 60, backfill_years: 10 });

        let yuan = |y: i64| Money::from_yuan(y).expect("fits");
        let money = &policy.money;
        assert_eq!(money.srdi_provincial_first_award, yuan(100_000));
        assert_eq!(money.little_giant_first_award, yuan(200_000));
        assert_eq!(money.navigation_project_min, yuan(100_000));
        assert_eq!(money.navigation_project_max, yuan(300_000));
        assert!(money.first_of_kind_tiers.is_empty());
        assert_eq!(money.first_of_kind_award(yuan(1_000_000)), None);
        assert_eq!(money.interest_subsidy.ratio_bp, 5000);
        assert_eq!(money.interest_subsidy.max_years, 2);
        assert_eq!(money.interest_subsidy.cap_per_enterprise_per_year, yuan(500_000));
        assert_eq!(money.interest_subsidy.cap_per_loan, None);
        assert_eq!(money.interest_subsidy.day_count_basis, 360);
        assert_eq!(money.premium_subsidy.ratio_bp, 5000);
        assert_eq!(money.premium_subsidy.cap_per_enterprise_per_year, yuan(200_000));

        assert_eq!(policy.high_value.sei_code_scope, SeiCodeScope::Any);
        assert_eq!(policy.high_value.maintained_years, 10);
        assert_eq!(policy.high_value.maintained_since, MaintenanceStart::FilingDate);
        assert_eq!(policy.high_value.pledge_threshold, yuan(10_000_000));
        assert_eq!(policy.open_license.fixed_fee_cap, yuan(20_000_000));
        assert_eq!(policy.open_license.royalty_sales_cap_bp, 2000);
        assert_eq!(policy.open_license.royalty_profit_cap_bp, 4000);
        assert_eq!(policy.open_license.min_term_years, 1);
        assert_eq!(policy.revitalisation.coverage_deadline, due);
        assert_eq!(policy.revitalisation.response_working_days, 10);
        assert_eq!(policy.protection.ruling_accept_working_days, 5);
        assert_eq!(policy.protection.ruling_decide_months, 3);
        assert_eq!(policy.protection.ruling_extension_months, 1);
        assert_eq!(policy.protection.inspection_publish_working_days, 20);
        assert_eq!(policy.protection.credit_repair_after_months_dishonest, 6);
        assert_eq!(policy.protection.credit_repair_after_months_serious, 12);
        assert_eq!(policy.protection.credit_removal_years, 3);
    }

    #[test]
    fn revitalisation_grades_and_tiering() {
        let rules = shipped().revitalisation;
        let mut levels: Vec<u8> = rules.prospect_grades.iter().map(|g| g.level).collect();
        levels.sort_unstable();
        assert_eq!(levels, [1, 2, 3, 4]);
        assert!(rules.prospect_grade(4).is_some_and(|g| g.name.starts_with('A')));
        assert!(rules.is_high_tier(2, 3.0));
        assert!(!rules.is_high_tier(1, 4.0));
        assert!(!rules.is_high_tier(5, 2.9));
    }

    #[test]
    fn the_holiday_calendar_is_named_and_loaded() {
        let policy = shipped();
        assert_eq!(policy.calendar.holidays, "holidays-cn.toml");
        // Without a file beside the policy, the shipped calendar is used.
        let calendar = policy.load_work_calendar(|_| None).expect("shipped calendar");
        assert_eq!(calendar.years().len(), 3);
        // A file beside the policy wins, and its errors name the file and the field.
        let own = "[[years]]\nyear = 2027\nsource = \"本地通知\"\n";
        let calendar = policy.load_work_calendar(|name| (name == "holidays-cn.toml").then(|| own.to_owned()));
        assert_eq!(calendar.map(|c| c.years()[0].year), Ok(2027));
        let bad = "[[years]]\nyear = 1999\nsource = \"x\"\n";
        let e = policy.load_work_calendar(|_| Some(bad.to_owned())).unwrap_err();
        assert_eq!(e.path(), "holidays-cn.toml: years[0].year", "{e}");
        // A file neither beside the policy nor shipped is an error on the policy's field.
        let text = ANKANG_2024_TOML.replacen("holidays = \"holidays-cn.toml\"", "holidays = \"holidays-xx.toml\"", 1);
        let other = Policy::from_toml_str(&text).expect("valid");
        let e = other.load_work_calendar(|_| None).unwrap_err();
        assert_eq!(e.path(), "calendar.holidays", "{e}");
        assert!(e.reason().contains("holidays-xx.toml"), "{e}");
    }

    #[test]
    fn calendar_and_tier_threshold_errors_name_their_field() {
        let e = broken("holidays = \"holidays-cn.toml\"", "holidays = \"holidays.txt\"");
        assert_eq!(e.path(), "calendar.holidays", "{e}");
        let e = broken("holidays = \"holidays-cn.toml\"", "holidays = \" \"");
        assert_eq!(e.path(), "calendar.holidays", "{e}");
        // The threshold is on the enterprises' 1–5 rating, not on the four self-grading levels.
        let text = ANKANG_2024_TOML.replacen("high_tier_min_avg_prospect = 3.0", "high_tier_min_avg_prospect = 4.5", 1);
        assert!(Policy::from_toml_str(&text).is_ok());
        let e = broken("high_tier_min_avg_prospect = 3.0", "high_tier_min_avg_prospect = 5.5");
        assert_eq!(e.path(), "revitalisation.high_tier_min_avg_prospect", "{e}");
        let e = broken("high_tier_min_interest = 2", "high_tier_min_interest = 0");
        assert_eq!(e.path(), "revitalisation.high_tier_min_interest", "{e}");
        let e = broken("[calendar]\n", "[calendar]\nfile = \"x.toml\"\n");
        assert!(matches!(e, PolicyError::Schema { .. }), "{e}");
    }

    #[test]
    fn first_of_kind_tiers_pick_the_highest_reached() {
        let text = ANKANG_2024_TOML.replacen(
            "first_of_kind_tiers = []",
            "first_of_kind_tiers = [\n  { min_sales_yuan = 5000000, award_yuan = 100000 },\n  { min_sales_yuan = 20000000, award_yuan = 300000 },\n]",
            1,
        );
        let policy = Policy::from_toml_str(&text).expect("tiers are valid");
        let yuan = |y: i64| Money::from_yuan(y).expect("fits");
        let award = |sales| policy.money.first_of_kind_award(yuan(sales));
        assert_eq!(award(4_999_999), None);
        assert_eq!(award(5_000_000), Some(yuan(100_000)));
        assert_eq!(award(25_000_000), Some(yuan(300_000)));
    }

    #[test]
    fn optional_per_loan_cap_is_read() {
        let text = ANKANG_2024_TOML.replacen("# cap_per_loan_yuan = 200000", "cap_per_loan_yuan = 200000", 1);
        let policy = Policy::from_toml_str(&text).expect("valid");
        assert_eq!(policy.money.interest_subsidy.cap_per_loan, Money::from_yuan(200_000));
    }

    #[test]
    fn serialising_and_reading_back_gives_the_same_policy() {
        let policy = shipped();
        let text = toml::to_string(&policy).expect("serialise");
        assert!(text.contains("srdi_provincial_first_award_yuan = 100000"));
        let back = Policy::from_toml_str(&text).expect("read back");
        assert_eq!(back, policy);
    }

    #[test]
    fn unknown_field_names_its_table() {
        let e = broken("short_name = \"安康\"\n", "short_name = \"安康\"\nmotto = \"x\"\n");
        assert!(matches!(e, PolicyError::Schema { .. }));
        assert!(e.path().starts_with("city"), "{e}");
        assert!(e.reason().contains("motto"), "{e}");
    }

    #[test]
    fn wrong_type_names_the_field() {
        let e = broken("ratio_bp = 5000", "ratio_bp = \"50%\"");
        assert_eq!(e.path(), "money.interest_subsidy.ratio_bp", "{e}");
        let e = broken("value = 400", "value = -400");
        assert_eq!(e.path(), "targets[0].value", "{e}");
        let e = broken("kind = \"county_city\"", "kind = \"city\"");
        assert_eq!(e.path(), "counties[9].kind", "{e}");
    }

    #[test]
    fn unknown_department_names_measure_and_position() {
        let e = broken(
            "departments = [\"sti\", \"finance\", \"miit\", \"edu_sports\", \"hrss\"",
            "departments = [\"xxx\", \"finance\", \"miit\", \"edu_sports\", \"hrss\"",
        );
        assert_eq!(e.to_string(), "measures[3].departments[0]: 未知部门代码 \"xxx\"（应为 departments 中的 code）");
    }

    #[test]
    fn duplicate_and_gapped_measure_numbers() {
        let e = broken("[[measures]]\nnumber = 4\n", "[[measures]]\nnumber = 3\n");
        assert_eq!(e.path(), "measures[3].number", "{e}");
        assert!(e.reason().contains("重复"), "{e}");
        let e = broken("[[measures]]\nnumber = 4\n", "[[measures]]\nnumber = 13\n");
        assert_eq!(e.path(), "measures[3].number", "{e}");
        assert!(e.reason().contains("应为 4"), "{e}");
    }

    #[test]
    fn bad_ipc_prefix_names_chain_and_position() {
        let e = broken("\"A23L\", \"A23F3\"", "\"A23L\", \"A23F3/\"");
        assert_eq!(e.path(), "industry_chains[0].ipc_prefixes[1]", "{e}");
        let e = broken("\"A23L\", \"A23F3\"", "\"Z23L\", \"A23F3\"");
        assert_eq!(e.path(), "industry_chains[0].ipc_prefixes[0]", "{e}");
    }

    #[test]
    fn other_semantic_errors_name_their_field() {
        let cases: [(&str, &str, &str); 14] = [
            ("division_code = \"6109\"", "division_code = \"61A9\"", "city.division_code"),
            ("group = 2\n", "group = 9\n", "measures[3].group"),
            ("code = \"miit\"", "code = \"amr\"", "departments[1].code"),
            ("short_name = \"工信局\"\n", "short_name = \"工信局\"\nis_bureau = true\n", "departments[1].is_bureau"),
            ("short_name = \"市场监管局\"\nis_bureau = true\n", "short_name = \"市场监管局\"\n", "departments"),
            ("code = \"610921\"", "code = \"6109A3\"", "counties[1].code"),
            ("code = \"6109A2\"", "code = \"6109B2\"", "counties[11].code"),
            ("code = \"610929\"", "code = \"620929\"", "counties[8].code"),
            ("code = \"new_materials\"", "code = \"selenium_food\"", "industry_chains[1].code"),
            ("value = 100\n", "value = 0\n", "targets[1].value"),
            (
                "navigation_project_min_yuan = 100000",
                "navigation_project_min_yuan = 400000",
                "money.navigation_project_min_yuan",
            ),
            ("ratio_bp = 5000", "ratio_bp = 10001", "money.interest_subsidy.ratio_bp"),
            ("day_count_basis = 360", "day_count_basis = 366", "money.interest_subsidy.day_count_basis"),
            ("level = 1\n", "level = 5\n", "revitalisation.prospect_grades[3].level"),
        ];
        for (from, to, path) in cases {
            let e = broken(from, to);
            assert!(matches!(e, PolicyError::Invalid { .. }), "{e}");
            assert_eq!(e.path(), path, "{from} -> {to}: {e}");
        }
    }

    #[test]
    fn money_and_date_errors_in_fields() {
        let e = broken("little_giant_first_award_yuan = 200000", "little_giant_first_award_yuan = -1");
        assert_eq!(e.path(), "money.little_giant_first_award_yuan", "{e}");
        assert!(e.reason().contains("负数"), "{e}");
        let e = broken("little_giant_first_award_yuan = 200000", "little_giant_first_award_yuan = 9223372036854775807");
        assert_eq!(e.path(), "money.little_giant_first_award_yuan", "{e}");
        let e = broken("issued_on = 2024-12-13", "issued_on = 2024-12-13T08:00:00");
        assert_eq!(e.path(), "document.issued_on", "{e}");
        let e = broken("issued_on = 2024-12-13", "issued_on = \"2024-13-01\"");
        assert_eq!(e.path(), "document.issued_on", "{e}");
        let text = ANKANG_2024_TOML.replacen("issued_on = 2024-12-13", "issued_on = \"2024-12-13\"", 1);
        assert!(Policy::from_toml_str(&text).is_ok(), "quoted dates are accepted");
    }

    #[test]
    fn missing_section_and_syntax_errors() {
        let e = broken("[protection]", "[protection_rules]");
        assert!(matches!(e, PolicyError::Schema { .. }), "{e}");
        let e = broken("[city]\n", "[city\n");
        assert!(matches!(e, PolicyError::Syntax { .. }), "{e}");
        assert!(e.path().starts_with("第 "), "{e}");
        let e = match Policy::from_toml_str("") {
            Err(e) => e,
            Ok(_) => panic!("an empty file is not a policy"),
        };
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn ipc_prefix_syntax() {
        for ok in ["A23L", "H04L43", "G06F18/2321", "A01B1/00", "C01B32", "H10F"] {
            assert!(is_valid_ipc_prefix(ok), "{ok}");
        }
        for bad in [
            "",
            "A",
            "A23",
            "a23L",
            "I23L",
            "A2L",
            "A23l",
            "A23L0",
            "A23L 33/16",
            "A23L33/",
            "A23L33/1",
            "A23L12345",
            "A23L33/1234567",
            "A23L/16",
            "A23L33/16x",
        ] {
            assert!(!is_valid_ipc_prefix(bad), "{bad}");
        }
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_and_column("ab\n安康x", 0), (1, 1));
        assert_eq!(line_and_column("ab\n安康x", 3), (2, 1));
        assert_eq!(line_and_column("ab\n安康x", 9), (2, 3));
        assert_eq!(line_and_column("ab", 99), (1, 3));
    }
}
