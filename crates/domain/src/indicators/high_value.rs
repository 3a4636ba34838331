//! The five criteria of a high-value invention patent (RULES.md): a valid invention patent counts when any
//! holds. The platform keeps which criteria hold and why, not only the yes/no.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::Money;
use crate::patent::{IpcCode, LegalStatus, PatentType};
use crate::policy::{HighValueRules, MaintenanceStart, SeiCodeScope};

/// One of the five criteria.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// 战略性新兴产业: an IPC code in the CNIPA concordance.
    Sei,
    /// 海外同族: a family member with rights abroad.
    ForeignFamily,
    /// 维持年限超过 N 年.
    Maintained,
    /// 质押融资额不低于门槛.
    Pledge,
    /// 国家科学技术奖或中国专利奖.
    Award,
}

impl Criterion {
    /// Every criterion, in the order of the national definition.
    pub const ALL: [Criterion; 5] =
        [Criterion::Sei, Criterion::ForeignFamily, Criterion::Maintained, Criterion::Pledge, Criterion::Award];

    /// Stable code (filters, exports).
    pub const fn code(self) -> &'static str {
        match self {
            Criterion::Sei => "sei",
            Criterion::ForeignFamily => "foreign_family",
            Criterion::Maintained => "maintained",
            Criterion::Pledge => "pledge",
            Criterion::Award => "award",
        }
    }

    /// Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            Criterion::Sei => "战略性新兴产业",
            Criterion::ForeignFamily => "海外同族专利",
            Criterion::Maintained => "维持年限超过规定年数",
            Criterion::Pledge => "质押融资额较高",
            Criterion::Award => "获国家科学技术奖或中国专利奖",
        }
    }

    /// Its bit in the stored set.
    pub const fn bit(self) -> u8 {
        match self {
            Criterion::Sei => 1,
            Criterion::ForeignFamily => 2,
            Criterion::Maintained => 4,
            Criterion::Pledge => 8,
            Criterion::Award => 16,
        }
    }

    /// The criterion of a code.
    pub fn from_code(code: &str) -> Option<Criterion> {
        Criterion::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The criteria of a stored bit set.
    pub fn of_bits(bits: u8) -> Vec<Criterion> {
        Criterion::ALL.into_iter().filter(|c| bits & c.bit() != 0).collect()
    }
}

/// An award the bureau recorded for a patent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AwardKind {
    /// 国家科学技术奖.
    NationalSciTech,
    /// 中国专利奖.
    ChinaPatent,
}

impl AwardKind {
    /// Both kinds.
    pub const ALL: [AwardKind; 2] = [AwardKind::NationalSciTech, AwardKind::ChinaPatent];

    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            AwardKind::NationalSciTech => "national_sci_tech",
            AwardKind::ChinaPatent => "china_patent",
        }
    }

    /// Chinese name.
    pub const fn label(self) -> &'static str {
        match self {
            AwardKind::NationalSciTech => "国家科学技术奖",
            AwardKind::ChinaPatent => "中国专利奖",
        }
    }

    /// The kind of a code or of a Chinese name as lists write it (国家科技进步奖, 中国专利金奖 …).
    pub fn parse(text: &str) -> Option<AwardKind> {
        let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(k) = AwardKind::ALL.into_iter().find(|k| k.code() == t) {
            return Some(k);
        }
        if t.contains("中国专利") {
            Some(AwardKind::ChinaPatent)
        } else if t.starts_with("国家")
            && (t.contains("科学技术") || t.contains("科技") || t.contains("自然科学") || t.contains("技术发明"))
        {
            Some(AwardKind::NationalSciTech)
        } else {
            None
        }
    }
}

/// An award as the evaluation needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwardFact {
    /// Which award.
    pub kind: AwardKind,
    /// 等级 as announced.
    pub grade: String,
    /// Year of the award.
    pub year: i32,
}

/// The IPC → strategic-emerging-industry concordance. An entry for a class, subclass or main group covers
/// the codes beneath it; a subgroup entry covers that subgroup (the concordance gives no dot hierarchy).
#[derive(Debug, Clone, Default)]
pub struct SeiConcordance {
    entries: HashMap<String, Vec<String>>,
    names: HashMap<String, String>,
}

/// Where a code fell in the concordance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeiHit {
    /// The patent's code.
    pub code: String,
    /// The concordance entry that covers it (the code itself or an ancestor).
    pub entry: String,
    /// The subcategory codes of that entry (1.1 … 9.2).
    pub categories: Vec<String>,
}

impl SeiConcordance {
    /// A concordance from (IPC code, subcategory code) pairs and the subcategories' names.
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>, names: HashMap<String, String>) -> Self {
        let mut entries: HashMap<String, Vec<String>> = HashMap::new();
        for (ipc, sei) in pairs {
            let key: String = ipc.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
            let list = entries.entry(key).or_default();
            if !list.contains(&sei) {
                list.push(sei);
            }
        }
        for list in entries.values_mut() {
            list.sort();
        }
        SeiConcordance { entries, names }
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds nothing (the reference data was not loaded).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The name of a subcategory, e.g. 4.1 → 生物医药产业.
    pub fn name(&self, code: &str) -> Option<&str> {
        self.names.get(code).map(String::as_str)
    }

    /// The most specific entry covering `code`: the code itself, its main group, subclass or class.
    pub fn lookup(&self, code: &str) -> Option<SeiHit> {
        let parsed = IpcCode::parse(code).ok()?;
        let mut candidates = vec![parsed.as_str().to_owned()];
        if !parsed.is_main_group() {
            candidates.push(parsed.main_group());
        }
        candidates.push(parsed.subclass().to_owned());
        candidates.push(parsed.class().to_owned());
        candidates.into_iter().find_map(|entry| {
            self.entries.get(&entry).map(|categories| SeiHit {
                code: parsed.as_str().to_owned(),
                entry: entry.clone(),
                categories: categories.clone(),
            })
        })
    }
}

/// What the evaluation reads of a patent.
#[derive(Debug, Clone)]
pub struct PatentFacts<'a> {
    /// 专利类型.
    pub patent_type: PatentType,
    /// 法律状态.
    pub legal_status: LegalStatus,
    /// 申请日.
    pub filing_date: Option<NaiveDate>,
    /// 授权公告日.
    pub grant_date: Option<NaiveDate>,
    /// 主分类号.
    pub main_ipc: Option<&'a str>,
    /// Every IPC code (the main one included).
    pub ipc_codes: &'a [String],
    /// A family member published outside China.
    pub has_foreign_family: bool,
    /// The highest pledge financing recorded.
    pub pledge_amount: Option<Money>,
    /// Awards recorded for it.
    pub awards: &'a [AwardFact],
}

/// The outcome for one patent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assessment {
    /// A granted invention patent in force: only those can be high-value.
    pub valid_invention: bool,
    /// The criteria that hold (bit set of [`Criterion::bit`]).
    pub criteria: u8,
    /// Why each criterion holds or not, in Chinese.
    pub reasons: BTreeMap<Criterion, String>,
}

impl Assessment {
    /// Whether the patent counts as high-value.
    pub fn is_high_value(&self) -> bool {
        self.valid_invention && self.criteria != 0
    }

    /// Whether `criterion` holds.
    pub fn holds(&self, criterion: Criterion) -> bool {
        self.criteria & criterion.bit() != 0
    }
}

/// The `years`th anniversary of `start`; a 29 February start has its anniversaries on 28 February of common
/// years.
pub fn anniversary(start: NaiveDate, years: u32) -> NaiveDate {
    start.checked_add_months(chrono::Months::new(years.saturating_mul(12))).unwrap_or(NaiveDate::MAX)
}

/// The first day a patent maintained since `start` has been maintained more than `years` years.
pub fn maintained_from(start: NaiveDate, years: u32) -> NaiveDate {
    anniversary(start, years).succ_opt().unwrap_or(NaiveDate::MAX)
}

/// The whole years from `start` to `on` (a year counts once its anniversary is reached).
pub fn whole_years(start: NaiveDate, on: NaiveDate) -> i32 {
    let mut years = on.year() - start.year();
    if (on.month(), on.day()) < (start.month(), start.day()) {
        years -= 1;
    }
    years.max(0)
}

fn yuan_text(m: Money) -> String {
    let fen = m.fen();
    if fen % 1_000_000 == 0 { format!("{} 万元", fen / 1_000_000) } else { format!("{} 元", m) }
}

/// Evaluates the five criteria for one patent as of `on` (today, or a month's end when reconstructing a
/// history: maintenance years and award years are then counted up to that day).
pub fn evaluate(facts: &PatentFacts<'_>, rules: &HighValueRules, sei: &SeiConcordance, on: NaiveDate) -> Assessment {
    let valid_invention = facts.patent_type == PatentType::Invention && facts.legal_status == LegalStatus::Granted;
    let mut out = Assessment { valid_invention, ..Assessment::default() };
    let mut set = |c: Criterion, holds: bool, why: String| {
        if holds {
            out.criteria |= c.bit();
        }
        out.reasons.insert(c, why);
    };

    // (1) strategic emerging industry.
    let codes: Vec<&str> = match rules.sei_code_scope {
        SeiCodeScope::Main => facts.main_ipc.into_iter().collect(),
        SeiCodeScope::Any => facts.ipc_codes.iter().map(String::as_str).chain(facts.main_ipc).collect(),
    };
    let hit = codes.iter().find_map(|c| sei.lookup(c));
    match hit {
        Some(hit) => {
            let names: Vec<String> = hit
                .categories
                .iter()
                .map(|c| match sei.name(c) {
                    Some(n) => format!("{c} {n}"),
                    None => c.clone(),
                })
                .collect();
            let by = if hit.entry == hit.code {
                String::new()
            } else {
                format!("（由参照表条目 {} 覆盖）", hit.entry)
            };
            set(Criterion::Sei, true, format!("分类号 {}{} 属于战略性新兴产业：{}", hit.code, by, names.join("、")))
        }
        None if sei.is_empty() => set(Criterion::Sei, false, "未加载战略性新兴产业参照关系表，无法判断".into()),
        None if codes.is_empty() => set(
            Criterion::Sei,
            false,
            match rules.sei_code_scope {
                SeiCodeScope::Main => "无主分类号".into(),
                SeiCodeScope::Any => "无分类号".into(),
            },
        ),
        None => set(
            Criterion::Sei,
            false,
            format!(
                "{}（{}）不在战略性新兴产业参照关系表中",
                match rules.sei_code_scope {
                    SeiCodeScope::Main => "主分类号",
                    SeiCodeScope::Any => "分类号",
                },
                codes.join("、")
            ),
        ),
    }

    // (2) foreign family.
    if facts.has_foreign_family {
        set(Criterion::ForeignFamily, true, "同族专利中有境外公开/授权的成员".into());
    } else {
        set(Criterion::ForeignFamily, false, "无境外同族专利记录".into());
    }

    // (3) maintained more than N years: in force, and more than N whole years since the start date.
    let (start, start_label) = match rules.maintained_since {
        MaintenanceStart::FilingDate => (facts.filing_date, "申请日"),
        MaintenanceStart::GrantDate => (facts.grant_date, "授权公告日"),
    };
    let limit = i32::try_from(rules.maintained_years).unwrap_or(i32::MAX);
    match start {
        Some(start) if start <= on => {
            let years = whole_years(start, on);
            // "More than N years": the Nth anniversary has passed (the day after it counts).
            let over = on >= maintained_from(start, rules.maintained_years);
            let in_force = facts.legal_status == LegalStatus::Granted;
            let why = format!("自{start_label} {start} 起已维持 {years} 年（规定超过 {limit} 年）");
            set(
                Criterion::Maintained,
                over && in_force,
                if in_force { why } else { format!("{why}，但专利权不在有效状态") },
            );
        }
        _ => set(Criterion::Maintained, false, format!("无{start_label}，无法计算维持年限")),
    }

    // (4) pledge financing at or above the threshold.
    match facts.pledge_amount {
        Some(amount) if amount >= rules.pledge_threshold => set(
            Criterion::Pledge,
            true,
            format!("质押融资额 {}，不低于门槛 {}", yuan_text(amount), yuan_text(rules.pledge_threshold)),
        ),
        Some(amount) => set(
            Criterion::Pledge,
            false,
            format!("质押融资额 {}，低于门槛 {}", yuan_text(amount), yuan_text(rules.pledge_threshold)),
        ),
        None => set(Criterion::Pledge, false, "无质押融资金额记录".into()),
    }

    // (5) national science and technology award or China Patent Award.
    let won: Vec<String> = facts
        .awards
        .iter()
        .filter(|a| a.year <= on.year())
        .map(|a| {
            if a.grade.is_empty() {
                format!("{}年{}", a.year, a.kind.label())
            } else {
                format!("{}年{}{}", a.year, a.kind.label(), a.grade)
            }
        })
        .collect();
    if won.is_empty() {
        set(Criterion::Award, false, "未登记国家科学技术奖或中国专利奖".into());
    } else {
        set(Criterion::Award, true, format!("获{}", won.join("、")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn rules() -> HighValueRules {
        HighValueRules {
            sei_code_scope: SeiCodeScope::Any,
            maintained_years: 10,
            maintained_since: MaintenanceStart::FilingDate,
            pledge_threshold: Money::from_yuan(10_000_000).unwrap(),
        }
    }

    fn concordance() -> SeiConcordance {
        let pairs = [("A61K36/00", "4.1"), ("C08L101/00", "3.2"), ("H01M10/052", "5.1"), ("A61K36/00", "4.3")];
        SeiConcordance::new(
            pairs.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())),
            HashMap::from([("4.1".to_owned(), "生物医药产业".to_owned())]),
        )
    }

    fn facts<'a>(codes: &'a [String], awards: &'a [AwardFact]) -> PatentFacts<'a> {
        PatentFacts {
            patent_type: PatentType::Invention,
            legal_status: LegalStatus::Granted,
            filing_date: Some(date(2020, 5, 1)),
            grant_date: Some(date(2022, 3, 1)),
            main_ipc: codes.first().map(String::as_str),
            ipc_codes: codes,
            has_foreign_family: false,
            pledge_amount: None,
            awards,
        }
    }

    #[test]
    fn concordance_entries_cover_the_codes_beneath_them() {
        let c = concordance();
        // A main-group entry covers its subgroups.
        let hit = c.lookup("A61K36/185").unwrap();
        assert_eq!(hit.entry, "A61K36/00");
        assert_eq!(hit.categories, ["4.1", "4.3"]);
        // A main-group entry written with /00 covers the subgroups too.
        assert_eq!(c.lookup("C08L101/12").unwrap().entry, "C08L101/00");
        // A subgroup entry covers itself only; a sibling is not covered.
        assert!(c.lookup("H01M10/052").is_some());
        assert!(c.lookup("H01M10/054").is_none());
        assert!(c.lookup("A01B1/00").is_none());
        assert!(c.lookup("not a code").is_none());
    }

    #[test]
    fn any_or_main_code_decides_the_industry_criterion() {
        let c = concordance();
        let codes = vec!["A01B1/00".to_owned(), "A61K36/185".to_owned()];
        let a = evaluate(&facts(&codes, &[]), &rules(), &c, date(2025, 1, 1));
        assert!(a.holds(Criterion::Sei) && a.is_high_value());
        assert!(
            a.reasons[&Criterion::Sei].contains("A61K36/185") && a.reasons[&Criterion::Sei].contains("生物医药产业")
        );
        let main_only = HighValueRules { sei_code_scope: SeiCodeScope::Main, ..rules() };
        let a = evaluate(&facts(&codes, &[]), &main_only, &c, date(2025, 1, 1));
        assert!(!a.holds(Criterion::Sei) && !a.is_high_value(), "{a:?}");
        assert!(a.reasons[&Criterion::Sei].contains("主分类号"));
    }

    #[test]
    fn maintenance_counts_strictly_more_than_the_years() {
        let c = SeiConcordance::default();
        let codes = vec!["A01B1/00".to_owned()];
        let mut f = facts(&codes, &[]);
        f.filing_date = Some(date(2014, 6, 10));
        // On the 10th anniversary: exactly 10 years, not more.
        assert!(!evaluate(&f, &rules(), &c, date(2024, 6, 10)).holds(Criterion::Maintained));
        assert!(evaluate(&f, &rules(), &c, date(2024, 6, 11)).holds(Criterion::Maintained));
        assert!(!evaluate(&f, &rules(), &c, date(2024, 6, 9)).holds(Criterion::Maintained));
        // From the grant date when the policy says so.
        let by_grant = HighValueRules { maintained_since: MaintenanceStart::GrantDate, ..rules() };
        f.grant_date = Some(date(2016, 1, 1));
        assert!(!evaluate(&f, &by_grant, &c, date(2024, 6, 11)).holds(Criterion::Maintained));
        // A lapsed patent is neither valid nor maintained.
        f.legal_status = LegalStatus::Lapsed;
        let a = evaluate(&f, &rules(), &c, date(2025, 1, 1));
        assert!(!a.valid_invention && !a.holds(Criterion::Maintained) && !a.is_high_value());
        assert!(a.reasons[&Criterion::Maintained].contains("不在有效状态"));
    }

    #[test]
    fn a_leap_day_start_is_maintained_from_the_first_of_march() {
        let start = date(2012, 2, 29);
        assert_eq!(anniversary(start, 10), date(2022, 2, 28));
        assert_eq!(maintained_from(start, 10), date(2022, 3, 1));
        let c = SeiConcordance::default();
        let codes = vec![];
        let mut f = facts(&codes, &[]);
        f.filing_date = Some(start);
        assert!(!evaluate(&f, &rules(), &c, date(2022, 2, 28)).holds(Criterion::Maintained));
        assert!(evaluate(&f, &rules(), &c, date(2022, 3, 1)).holds(Criterion::Maintained));
    }

    #[test]
    fn pledge_threshold_is_inclusive_and_awards_count_from_their_year() {
        let c = SeiConcordance::default();
        let codes = vec![];
        let awards = [AwardFact { kind: AwardKind::ChinaPatent, grade: "优秀奖".into(), year: 2024 }];
        let mut f = facts(&codes, &awards);
        f.pledge_amount = Money::from_yuan(10_000_000);
        let a = evaluate(&f, &rules(), &c, date(2025, 1, 1));
        assert!(a.holds(Criterion::Pledge) && a.holds(Criterion::Award));
        assert_eq!(a.reasons[&Criterion::Award], "获2024年中国专利奖优秀奖");
        assert!(a.reasons[&Criterion::Pledge].contains("1000 万元"));
        assert!(a.reasons[&Criterion::Sei].contains("未加载"));
        f.pledge_amount = Money::from_yuan(9_999_999);
        let a = evaluate(&f, &rules(), &c, date(2023, 12, 31));
        assert!(!a.holds(Criterion::Pledge) && !a.holds(Criterion::Award) && !a.is_high_value());
        assert_eq!(Criterion::of_bits(a.criteria), vec![]);
    }

    #[test]
    fn utility_models_are_never_high_value() {
        let c = concordance();
        let codes = vec!["A61K36/185".to_owned()];
        let mut f = facts(&codes, &[]);
        f.patent_type = PatentType::UtilityModel;
        let a = evaluate(&f, &rules(), &c, date(2025, 1, 1));
        assert!(a.holds(Criterion::Sei) && !a.is_high_value());
    }

    #[test]
    fn award_names_are_recognised() {
        assert_eq!(AwardKind::parse("中国专利金奖"), Some(AwardKind::ChinaPatent));
        assert_eq!(AwardKind::parse("国家科学技术进步奖"), Some(AwardKind::NationalSciTech));
        assert_eq!(AwardKind::parse("国家技术发明奖"), Some(AwardKind::NationalSciTech));
        assert_eq!(AwardKind::parse("china_patent"), Some(AwardKind::ChinaPatent));
        assert_eq!(AwardKind::parse("陕西省专利奖"), None);
    }

    #[test]
    fn bits_round_trip() {
        for c in Criterion::ALL {
            assert_eq!(Criterion::from_code(c.code()), Some(c));
            assert_eq!(Criterion::of_bits(c.bit()), vec![c]);
        }
    }
}
