//! The indicators benchmark: the refresh job, the month's snapshot and the indicator pages over the generated
//! corpus of the search benchmark (the issue's "dashboard render time and snapshot time over the
//! 1,000,000-record generated corpus").
//!
//! - Corpus: record `i` of `search-speed` with the same seed (`search_speed::Sources::record`: the same
//!   titles, abstracts, claims, applicants, IPC codes, application numbers, types, legal statuses and filing
//!   dates), plus what the indicators read and the search corpus does not hold, derived from the record
//!   index and the seed on a separate stream ([`Plan::extras`]): where the first applicant sits (a share in
//!   the city's counties, as one of the city's organisations or as an unregistered local applicant, the rest
//!   elsewhere in the province or the country, with 国省代码), publication, grant and lapse dates consistent
//!   with the type and status, foreign family members and pledge amounts.
//! - Load: a fresh data directory, `App` with the built-in policy, the IPC titles and the IPC → SEI
//!   concordance from `--data`, the organisations through `App::create_org`, the patents through
//!   `PatentStore::insert_patents` a batch per transaction (the import's own write; the import path itself
//!   is measured by the import benchmark), generated on a second thread while the first writes.
//! - Measured: `App::refresh_indicators` on the fresh data (every fact written, history reconstructed), again
//!   on unchanged data (the scheduled run), `App::take_indicator_snapshot`, each with its peak memory; then
//!   the pages, in process through `ipbridge_web::router` (no network), as a bureau leader, R times each
//!   after one unmeasured request, with `Accept-Encoding: gzip` as a browser sends it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::{Days, NaiveDate};
use ipbridge_domain::Money;
use ipbridge_domain::ids::OrgId;
use ipbridge_domain::org::normalise_name;
use ipbridge_domain::patent::{Applicant, ApplicationNo, IpcCode, LegalStatus, PatentRecord, PatentType, expiry_date};
use ipbridge_domain::permission::Role;
use ipbridge_domain::policy::Policy;
use ipbridge_search::PatentDoc;
use ipbridge_service::accounts::NewAccount;
use ipbridge_service::indicators::refresh::RefreshReport;
use ipbridge_service::orgs::OrgForm;
use ipbridge_service::{Actor, App, DATABASE_FILE, Settings, load_policy};
use ipbridge_store::{PatentStore, PatentWrite};
use sm3::{Digest, Sm3};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};
use tower::ServiceExt;

use crate::generate::{Rng, names};
use crate::import::peak_mib;
use crate::search_data::{Latencies, build_kind, cores, met, thousands};
use crate::search_speed::Sources;

/// Options of the indicators benchmark.
#[derive(Debug, clap::Args)]
pub struct IndicatorsArgs {
    /// Patents in the generated corpus (record i is record i of `search-speed` with the same seed).
    #[arg(long, default_value_t = 1_000_000)]
    pub records: usize,
    /// Measured requests per page (after one unmeasured request).
    #[arg(long, default_value_t = 30)]
    pub repeats: usize,
    /// Organisations of the city created as owners of a share of the patents (12 institutions, the rest
    /// enterprises; at most 396).
    #[arg(long, default_value_t = 300)]
    pub orgs: usize,
    /// Seed of the corpus (the search benchmark's default is 1).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The data directory to fill (default: a temporary directory, removed after). Its database is replaced
    /// unless --reuse-db is given; other files in it are left alone.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Keep the database an earlier run filled in --dir: only the refreshes, the snapshot and the pages are
    /// timed again.
    #[arg(long, requires = "dir")]
    pub reuse_db: bool,
    /// The shared data directory (holds cn_patents_bdci2022/, cn_patents_title_ipc/, ipc/ and sei/).
    #[arg(long, default_value = "../shared/data")]
    pub data: PathBuf,
}

/// Patents generated and written per transaction (the import's batch size).
const BATCH: usize = ipbridge_service::patents::BATCH_ROWS;
/// Batches the generating thread may run ahead of the writer.
const QUEUE: usize = 2;
/// Progress lines on stderr every so many records.
const PROGRESS_EVERY: usize = 100_000;
/// Largest serial of an application number: one number per record.
const MAX_RECORDS: usize = 9_999_999;
/// Separates this benchmark's draws from the search corpus's stream of the same seed.
const EXTRA_STREAM: u64 = 0x494E_4449_4341_5452;
/// The day the generated history ends: publications, grants, lapses and pledges fall on or before it, so the
/// corpus is the same whenever the benchmark runs.
const AS_OF: (i32, u32, u32) = (2026, 6, 30);
/// Per mille of the records whose first applicant is one of the city's organisations.
const CITY_ORG_PER_MILLE: u64 = 24;
/// Per mille of the records whose first applicant sits in the city without being a registered organisation.
const CITY_LOCAL_PER_MILLE: u64 = 36;
/// Per mille of the records from elsewhere in the province.
const PROVINCE_PER_MILLE: u64 = 140;
/// Weight of a development zone (which has no population of its own) when drawing a county.
const ZONE_WEIGHT: u64 = 120_000;
/// Pledge amounts drawn for pledged patents, in 万元 (the policy's threshold is 1,000 万元).
const PLEDGE_WAN: [i64; 9] = [100, 300, 500, 800, 1000, 1200, 2000, 3000, 5000];
/// The account the pages are requested as.
const LEADER: &str = "bench_leader";
/// Its first password, changed at the first login as the platform requires.
const FIRST_PASSWORD: &str = "Bench#2026first";
/// Its password after the change.
const PASSWORD: &str = "Bench#2026pages";
/// The dashboard must open within this time (the goal), judged at p95.
const GOAL_DASHBOARD_MS: f64 = 500.0;

/// The pages timed: path and what it is. A page another part of the work has not added yet answers 404.
const PAGES: [(&str, &str); 8] = [
    ("/indicators", "dashboard (the issue's figure)"),
    ("/indicators/report", "printable report"),
    ("/indicators/breakdown?scope=&dim=county", "breakdown, city by county"),
    ("/indicators/chains", "chain comparison"),
    ("/indicators/chains/selenium_food", "chain landscape 富硒食品"),
    ("/indicators/counties/610902", "county page 汉滨区"),
    ("/patents?hv=any", "patent list, high-value filter"),
    ("/patents", "patent list, no filter (for comparison)"),
];

/// Trade names of the generated local applicants.
const TRADE: [&str; 24] = [
    "汉江",
    "秦巴",
    "瀛湖",
    "香溪",
    "凤凰山",
    "金州",
    "兴安",
    "巴山",
    "月河",
    "汉水",
    "秦岭",
    "富源",
    "硒谷",
    "天柱",
    "南宫山",
    "鬼谷岭",
    "龙王山",
    "双龙",
    "青山",
    "绿源",
    "博源",
    "华兴",
    "恒信",
    "永盛",
];
/// Lines of business of the generated local applicants, along the city's chains.
const TRADE_LINES: [&str; 16] = [
    "富硒茶业",
    "富硒食品",
    "魔芋科技",
    "生物医药",
    "中药材开发",
    "新材料",
    "锌业",
    "毛绒玩具",
    "服饰",
    "纺织",
    "旅游开发",
    "清洁能源",
    "水电开发",
    "装备制造",
    "机械制造",
    "电子科技",
];
/// Legal forms of local applicants that are not registered organisations (never 有限公司, which the
/// organisations use, so no unregistered name equals an organisation's).
const LOCAL_FORMS: [&str; 4] = ["专业合作社", "工作室", "研究中心", "加工厂"];
/// Streets of the city's addresses (none names a county or the city).
const STREETS: [&str; 10] =
    ["兴安路", "巴山路", "金州路", "育才路", "香溪路", "江北大道", "滨江大道", "科技大道", "工业园区", "大桥路"];
/// The city's institutions (universities, institutes, hospitals), created first.
const INSTITUTIONS: [(&str, &str); 12] = [
    ("安康学院", "university"),
    ("安康职业技术学院", "university"),
    ("安康市农业科学研究院", "institute"),
    ("安康市林业科学研究所", "institute"),
    ("安康市富硒食品产业研究院", "institute"),
    ("安康市中药材研究所", "institute"),
    ("安康市水利水电研究所", "institute"),
    ("安康市蚕桑园艺研究所", "institute"),
    ("安康市中心医院", "hospital"),
    ("安康市中医医院", "hospital"),
    ("安康市人民医院", "hospital"),
    ("安康市妇幼保健院", "hospital"),
];
/// Other cities of the province: a keyword of an applicant's name and an address there.
const PROVINCE_PLACES: [(&str, &str); 6] = [
    ("西安", "陕西省西安市雁塔区科技路"),
    ("宝鸡", "陕西省宝鸡市渭滨区高新大道"),
    ("咸阳", "陕西省咸阳市秦都区世纪大道"),
    ("汉中", "陕西省汉中市汉台区天汉大道"),
    ("渭南", "陕西省渭南市临渭区朝阳大街"),
    ("商洛", "陕西省商洛市商州区北新街"),
];
/// Other provinces: a keyword of an applicant's name, the province code and an address there.
const COUNTRY_PLACES: [(&str, &str, &str); 14] = [
    ("北京", "11", "北京市海淀区中关村大街"),
    ("天津", "12", "天津市南开区卫津路"),
    ("上海", "31", "上海市浦东新区张江路"),
    ("南京", "32", "江苏省南京市玄武区中山路"),
    ("苏州", "32", "江苏省苏州市工业园区星湖街"),
    ("杭州", "33", "浙江省杭州市西湖区文三路"),
    ("合肥", "34", "安徽省合肥市蜀山区黄山路"),
    ("济南", "37", "山东省济南市历下区经十路"),
    ("郑州", "41", "河南省郑州市金水区花园路"),
    ("武汉", "42", "湖北省武汉市洪山区珞喻路"),
    ("长沙", "43", "湖南省长沙市岳麓区麓山路"),
    ("深圳", "44", "广东省深圳市南山区科技园路"),
    ("重庆", "50", "重庆市沙坪坝区沙正街"),
    ("成都", "51", "四川省成都市武侯区人民南路"),
];

fn as_of() -> NaiveDate {
    let (y, m, d) = AS_OF;
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// A generator for item `i` of this benchmark's stream.
fn item_rng(seed: u64, i: u64) -> Rng {
    let mut start = Rng((seed ^ EXTRA_STREAM).rotate_left(32) ^ i);
    Rng(start.next())
}

fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.below(items.len() as u64) as usize]
}

/// One of the city's organisations the benchmark creates.
#[derive(Debug, Clone)]
struct PlannedOrg {
    name: String,
    /// `institution` or `enterprise`.
    kind: &'static str,
    /// `university`, `institute` or `hospital` for institutions.
    institution_kind: &'static str,
    county: String,
    address: String,
    credit_code: String,
}

/// Where a record's first applicant sits.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seat {
    /// One of the city's organisations (index into [`Plan::orgs`]).
    Org(usize),
    /// In the city, not a registered organisation: its name, address and the county the address names.
    Local { applicant: String, address: String, county: Option<String> },
    /// Elsewhere: the address (none for a few: only the province code is given) and the province code.
    Elsewhere { address: Option<String>, province_code: String, in_province: bool },
}

/// What the search corpus fixes about a record and the extras depend on.
#[derive(Debug, Clone)]
struct Base<'a> {
    patent_type: PatentType,
    legal_status: LegalStatus,
    filing: NaiveDate,
    applicant: &'a str,
}

/// What this benchmark adds to a record of the search corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Extras {
    seat: Seat,
    publication_date: Option<NaiveDate>,
    grant_date: Option<NaiveDate>,
    lapse_date: Option<NaiveDate>,
    has_foreign_family: bool,
    pledge_yuan: Option<i64>,
    pledge_date: Option<NaiveDate>,
}

/// The city's organisations and counties as the generator draws them.
struct Plan {
    orgs: Vec<PlannedOrg>,
    /// (county code, name to write in an address, cumulative weight).
    counties: Vec<(String, String, u64)>,
    province: String,
    city: String,
    city_short: String,
    province_code: String,
}

impl Plan {
    /// The plan for a policy: its counties weighted by population, and `orgs` organisations spread over them.
    fn new(policy: &Policy, orgs: usize) -> Result<Self> {
        let mut counties = Vec::new();
        let mut total = 0;
        for c in &policy.counties {
            total += c.population.unwrap_or(ZONE_WEIGHT).max(1);
            counties.push((c.code.clone(), c.name.clone(), total));
        }
        ensure!(!counties.is_empty(), "the policy names no county");
        let mut plan = Plan {
            orgs: Vec::new(),
            counties,
            province: policy.city.province.clone(),
            city: policy.city.name.clone(),
            city_short: policy.city.short_name.clone(),
            province_code: policy.city.division_code.chars().take(2).collect(),
        };
        let aliases: HashMap<&str, &[String]> =
            policy.counties.iter().map(|c| (c.code.as_str(), c.aliases.as_slice())).collect();
        let max = INSTITUTIONS.len() + TRADE.len() * TRADE_LINES.len();
        ensure!(orgs <= max, "--orgs must be at most {max}");
        for k in 0..orgs {
            let mut rng = item_rng(0x4F52_4753, k as u64);
            let county = plan.county(&mut rng);
            let address = plan.address(&county, aliases.get(county.0.as_str()).copied().unwrap_or_default(), &mut rng);
            let (name, kind, institution_kind) = match INSTITUTIONS.get(k) {
                Some((name, sub)) => ((*name).to_owned(), "institution", *sub),
                None => {
                    // Distinct for every k below TRADE × TRADE_LINES: same trade name, different line.
                    let e = k - INSTITUTIONS.len();
                    let (a, m) = (e % TRADE.len(), e / TRADE.len());
                    let line = TRADE_LINES[(m + a) % TRADE_LINES.len()];
                    (format!("{}{}{line}有限公司", plan.city, TRADE[a]), "enterprise", "")
                }
            };
            let division: String = county.0.chars().chain(std::iter::repeat('0')).take(6).collect();
            let credit_code = ipbridge_domain::CreditCode::with_check(&format!("91{division}MA7{:06}", k + 1))
                .map_err(|e| anyhow::anyhow!("credit code of organisation {k}: {e}"))?
                .as_str()
                .to_owned();
            plan.orgs.push(PlannedOrg { name, kind, institution_kind, county: county.0, address, credit_code });
        }
        Ok(plan)
    }

    /// A county drawn by weight: (code, name).
    fn county(&self, rng: &mut Rng) -> (String, String) {
        let total = self.counties.last().map_or(1, |c| c.2);
        let r = rng.below(total);
        let c = self.counties.iter().find(|c| r < c.2).unwrap_or(&self.counties[0]);
        (c.0.clone(), c.1.clone())
    }

    /// An address in a county; a development zone is written by its alias half of the time (安康高新区), as
    /// applicants write it.
    fn address(&self, county: &(String, String), aliases: &[String], rng: &mut Rng) -> String {
        let street = pick(rng, &STREETS);
        let number = 1 + rng.below(300);
        match aliases.first() {
            Some(alias) if rng.below(2) == 0 => format!("{}{alias}{street}{number}号", self.province),
            _ => format!("{}{}{}{street}{number}号", self.province, self.city, county.1),
        }
    }

    /// The extras of record `i`: a fixed sequence of draws, so each share depends on the index and seed only.
    fn extras(&self, i: usize, seed: u64, base: &Base<'_>, aliases: &HashMap<String, Vec<String>>) -> Extras {
        let mut rng = item_rng(seed, i as u64);
        let today = as_of();
        let place = rng.below(1000);
        let seat = if place < CITY_ORG_PER_MILLE && !self.orgs.is_empty() {
            // Institutions file more than an enterprise each: a third of these patents are theirs.
            let institutions = self.orgs.iter().filter(|o| o.kind == "institution").count().max(1);
            let k = if rng.below(3) == 0 {
                rng.below(institutions as u64) as usize
            } else {
                rng.below(self.orgs.len() as u64) as usize
            };
            Seat::Org(k.min(self.orgs.len() - 1))
        } else if place < CITY_ORG_PER_MILLE + CITY_LOCAL_PER_MILLE
            || (!self.city_short.is_empty() && base.applicant.contains(&self.city_short))
        {
            // An applicant of the corpus whose name says it is the city's keeps its name; the others are
            // generated: a third individuals, the rest local businesses.
            let applicant = if place >= CITY_ORG_PER_MILLE + CITY_LOCAL_PER_MILLE {
                base.applicant.to_owned()
            } else if rng.below(10) < 3 {
                names(1, &mut rng).pop().unwrap_or_default()
            } else {
                format!(
                    "{}{}{}{}",
                    self.city,
                    pick(&mut rng, &TRADE),
                    pick(&mut rng, &TRADE_LINES),
                    pick(&mut rng, &LOCAL_FORMS)
                )
            };
            // A few write only the city (安康市育才路…): in the city, county unknown.
            if rng.below(100) < 4 {
                let address =
                    format!("{}{}{}{}号", self.province, self.city, pick(&mut rng, &STREETS), 1 + rng.below(300));
                Seat::Local { applicant, address, county: None }
            } else {
                let county = self.county(&mut rng);
                let address = self.address(&county, aliases.get(&county.0).map_or(&[][..], Vec::as_slice), &mut rng);
                Seat::Local { applicant, address, county: Some(county.0) }
            }
        } else {
            let in_province = place < CITY_ORG_PER_MILLE + CITY_LOCAL_PER_MILLE + PROVINCE_PER_MILLE;
            let drawn_province = pick(&mut rng, &PROVINCE_PLACES);
            let drawn_country = pick(&mut rng, &COUNTRY_PLACES);
            // An applicant whose name says where it is sits there (华为… in 深圳, 西安交通大学 in 西安).
            let named_province = PROVINCE_PLACES.iter().find(|(k, _)| base.applicant.contains(k));
            let named_country = COUNTRY_PLACES.iter().find(|(k, ..)| base.applicant.contains(k));
            let (address, code, in_province) = match (named_province, named_country) {
                (Some((_, a)), _) => ((*a).to_owned(), self.province_code.clone(), true),
                (None, Some((_, c, a))) => ((*a).to_owned(), (*c).to_owned(), false),
                _ if in_province => (drawn_province.1.to_owned(), self.province_code.clone(), true),
                _ => (drawn_country.2.to_owned(), drawn_country.1.to_owned(), false),
            };
            let address = (rng.below(100) >= 5).then(|| format!("{address}{}号", 1 + rng.below(300)));
            Seat::Elsewhere { address, province_code: code, in_province }
        };

        let filing = base.filing;
        let days = |rng: &mut Rng, min: u64, spread: u64| min + rng.below(spread);
        let invention = base.patent_type == PatentType::Invention;
        // Inventions are published about 18 months after filing; utility models and designs at grant.
        let published = filing + Days::new(days(&mut rng, 540, 60));
        let grant_delay = match base.patent_type {
            PatentType::Invention => days(&mut rng, 700, 800),
            PatentType::UtilityModel => days(&mut rng, 150, 250),
            PatentType::Design => days(&mut rng, 120, 200),
        };
        let granted = matches!(
            base.legal_status,
            LegalStatus::Granted | LegalStatus::Lapsed | LegalStatus::Expired | LegalStatus::Invalidated
        );
        let grant_date = granted.then(|| {
            let g = filing + Days::new(grant_delay);
            // A record filed shortly before the end of the history was granted within it.
            if g > today { filing + Days::new(((today - filing).num_days().max(2) / 2) as u64) } else { g }
        });
        let publication_date = if invention { Some(published).filter(|d| *d <= today) } else { grant_date };
        let lapse_draw = rng.below(100);
        let lapse_span = rng.next();
        let lapse_date = match (base.legal_status, grant_date) {
            // Nine in ten lapses come with their date; the rest leave the history without an end.
            (LegalStatus::Lapsed | LegalStatus::Invalidated, Some(g)) if lapse_draw < 90 => {
                let last = (g + Days::new(3652)).min(today);
                let span = u64::try_from((last - g).num_days()).unwrap_or(0);
                let after = if span > 180 { 180 + lapse_span % (span - 180) } else { span / 2 };
                Some(g + Days::new(after))
            }
            (LegalStatus::Expired, Some(_)) => Some(expiry_date(base.patent_type, filing).min(today)),
            _ => None,
        };
        let has_foreign_family = invention && rng.below(100) < 3;
        let pledge_draw = rng.below(1000);
        let pledge_wan = *pick(&mut rng, &PLEDGE_WAN);
        let pledge_after = rng.below(1500);
        let (pledge_yuan, pledge_date) = match grant_date {
            Some(g) if base.legal_status == LegalStatus::Granted && pledge_draw < 15 => {
                (Some(pledge_wan * 10_000), Some((g + Days::new(30 + pledge_after)).min(today)))
            }
            _ => (None, None),
        };
        Extras { seat, publication_date, grant_date, lapse_date, has_foreign_family, pledge_yuan, pledge_date }
    }
}

/// How the generated corpus came out: the shares the benchmark prints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Shares {
    records: u64,
    city_org: u64,
    city_local_county: u64,
    city_local_no_county: u64,
    province: u64,
    country: u64,
    no_address: u64,
    by_type: [u64; 3],
    by_status: HashMap<&'static str, u64>,
    granted: u64,
    lapse_dated: u64,
    lapsed_without_date: u64,
    filed_over_10_years: u64,
    valid_invention_in_city: u64,
    foreign_family: u64,
    pledged: u64,
    pledged_over_threshold: u64,
}

impl Shares {
    fn add(&mut self, base: &Base<'_>, x: &Extras, threshold_yuan: i64) {
        self.records += 1;
        let in_city = match &x.seat {
            Seat::Org(_) => {
                self.city_org += 1;
                true
            }
            Seat::Local { county: Some(_), .. } => {
                self.city_local_county += 1;
                true
            }
            Seat::Local { county: None, .. } => {
                self.city_local_no_county += 1;
                true
            }
            Seat::Elsewhere { address, in_province, .. } => {
                if *in_province {
                    self.province += 1;
                } else {
                    self.country += 1;
                }
                self.no_address += u64::from(address.is_none());
                false
            }
        };
        self.by_type[match base.patent_type {
            PatentType::Invention => 0,
            PatentType::UtilityModel => 1,
            PatentType::Design => 2,
        }] += 1;
        *self.by_status.entry(base.legal_status.code()).or_default() += 1;
        self.granted += u64::from(x.grant_date.is_some());
        self.lapse_dated += u64::from(x.lapse_date.is_some());
        self.lapsed_without_date += u64::from(
            x.lapse_date.is_none() && matches!(base.legal_status, LegalStatus::Lapsed | LegalStatus::Expired),
        );
        let ten_years_ago = as_of().checked_sub_months(chrono::Months::new(120)).unwrap_or(NaiveDate::MIN);
        self.filed_over_10_years += u64::from(base.filing < ten_years_ago);
        self.valid_invention_in_city += u64::from(
            in_city && base.patent_type == PatentType::Invention && base.legal_status == LegalStatus::Granted,
        );
        self.foreign_family += u64::from(x.has_foreign_family);
        self.pledged += u64::from(x.pledge_yuan.is_some());
        self.pledged_over_threshold += u64::from(x.pledge_yuan.is_some_and(|y| y >= threshold_yuan));
    }

    fn print(&self) {
        let n = self.records.max(1) as f64;
        let pct = |v: u64| format!("{} ({:.1} %)", thousands(v), v as f64 * 100.0 / n);
        println!(
            "first applicant  city organisations {}; city, unregistered, address names a county {}; city, no county {}",
            pct(self.city_org),
            pct(self.city_local_county),
            pct(self.city_local_no_county)
        );
        println!(
            "                 elsewhere in the province {}; other provinces {}; of these without address (code only) {}",
            pct(self.province),
            pct(self.country),
            pct(self.no_address)
        );
        println!(
            "types            invention {}, utility model {}, design {}",
            pct(self.by_type[0]),
            pct(self.by_type[1]),
            pct(self.by_type[2])
        );
        let mut statuses: Vec<(&&str, &u64)> = self.by_status.iter().collect();
        statuses.sort();
        let statuses: Vec<String> = statuses.iter().map(|(s, v)| format!("{s} {}", pct(**v))).collect();
        println!("legal status     {}", statuses.join(", "));
        println!(
            "dates            granted {}; lapse date known {} (lapsed/expired without one {}); filed > 10 years before {} {}",
            pct(self.granted),
            pct(self.lapse_dated),
            pct(self.lapsed_without_date),
            as_of(),
            pct(self.filed_over_10_years)
        );
        println!(
            "high-value input foreign family {}; pledged {} (at or above the policy threshold {})",
            pct(self.foreign_family),
            pct(self.pledged),
            pct(self.pledged_over_threshold)
        );
        println!("city             granted inventions of the city's applicants {}", pct(self.valid_invention_in_city));
    }
}

/// One record ready to write, with what the import would have worked out about it.
struct Prepared {
    record: PatentRecord,
    json: String,
    hash: String,
    names_norm: Vec<String>,
    orgs: Vec<Option<OrgId>>,
}

/// The generator: the search corpus, the plan and the organisations' ids.
struct Generator {
    sources: Sources,
    plan: Plan,
    aliases: HashMap<String, Vec<String>>,
    org_ids: Vec<OrgId>,
    seed: u64,
    threshold_yuan: i64,
}

impl Generator {
    /// Record `i`: the search corpus's record with this benchmark's extras.
    fn prepare(&self, i: usize, shares: &mut Shares) -> Result<Prepared> {
        let doc = self.sources.record(i, self.seed)?;
        let patent_type: PatentType =
            doc.patent_type.parse().map_err(|_| anyhow::anyhow!("record {i}: type {:?}", doc.patent_type))?;
        let legal_status: LegalStatus =
            doc.legal_status.parse().map_err(|_| anyhow::anyhow!("record {i}: status {:?}", doc.legal_status))?;
        let filing = doc
            .filing_date
            .and_then(|d| {
                let (y, m, day) = (d / 10_000, d / 100 % 100, d % 100);
                NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, u32::try_from(m).ok()?, u32::try_from(day).ok()?)
            })
            .with_context(|| format!("record {i}: filing date {:?}", doc.filing_date))?;
        let applicant = doc.applicants.first().cloned().unwrap_or_default();
        let base = Base { patent_type, legal_status, filing, applicant: &applicant };
        let x = self.plan.extras(i, self.seed, &base, &self.aliases);
        shares.add(&base, &x, self.threshold_yuan);
        let (record, org) = self.record(i, doc, &base, &x)?;
        let json = serde_json::to_string(&record)?;
        Ok(Prepared {
            hash: hex::encode(Sm3::digest(json.as_bytes())),
            names_norm: record.applicants.iter().map(|a| normalise_name(&a.name)).collect(),
            orgs: vec![org],
            json,
            record,
        })
    }

    /// The patent record of `doc` with the extras, and the organisation of its first applicant.
    fn record(&self, i: usize, doc: PatentDoc, base: &Base<'_>, x: &Extras) -> Result<(PatentRecord, Option<OrgId>)> {
        let (name, address, province_code, org) = match &x.seat {
            Seat::Org(k) => {
                let o = &self.plan.orgs[*k];
                (
                    o.name.clone(),
                    Some(o.address.clone()),
                    self.plan.province_code.clone(),
                    self.org_ids.get(*k).copied(),
                )
            }
            Seat::Local { applicant, address, .. } => {
                (applicant.clone(), Some(address.clone()), self.plan.province_code.clone(), None)
            }
            Seat::Elsewhere { address, province_code, .. } => {
                (base.applicant.to_owned(), address.clone(), province_code.clone(), None)
            }
        };
        let mut ipc_codes: Vec<IpcCode> = Vec::new();
        for code in &doc.ipc_codes {
            if let Ok(c) = IpcCode::parse(code)
                && !ipc_codes.contains(&c)
            {
                ipc_codes.push(c);
            }
        }
        let serial = i + 1;
        let (prefix, letter) = match base.patent_type {
            PatentType::Invention => ('1', 'A'),
            PatentType::UtilityModel => ('2', 'U'),
            PatentType::Design => ('3', 'S'),
        };
        let publication_no = x.publication_date.map(|_| format!("CN{prefix}{serial:08}{letter}"));
        let grant_letter = if base.patent_type == PatentType::Invention { 'B' } else { letter };
        let grant_no = x.grant_date.map(|_| format!("CN{prefix}{serial:08}{grant_letter}"));
        let legal_status_raw = match base.legal_status {
            LegalStatus::Pending => "审中-实质审查",
            LegalStatus::Granted => "有权",
            LegalStatus::Lapsed => "无权-未缴年费终止",
            LegalStatus::Expired => "无权-期限届满",
            LegalStatus::Invalidated => "无权-全部无效",
            LegalStatus::Withdrawn => "无权-视为撤回",
            LegalStatus::Rejected => "无权-驳回",
            LegalStatus::Unknown => "",
        };
        let pledge_amount = match x.pledge_yuan {
            Some(y) => Some(Money::from_yuan(y).with_context(|| format!("record {i}: pledge {y} yuan"))?),
            None => None,
        };
        let record = PatentRecord {
            application_no: ApplicationNo::parse(&doc.application_no)
                .map_err(|e| anyhow::anyhow!("record {i}: application number {}: {e}", doc.application_no))?,
            patent_type: base.patent_type,
            publication_no,
            grant_no,
            filing_date: Some(base.filing),
            publication_date: x.publication_date,
            grant_date: x.grant_date,
            title: doc.title,
            abstract_text: doc.abstract_text,
            first_claim: doc.claims,
            claims: String::new(),
            applicants: vec![Applicant { name, address }],
            inventors: doc.inventors,
            agency: None,
            agents: Vec::new(),
            main_ipc: ipc_codes.first().cloned(),
            ipc_codes,
            cpc_codes: Vec::new(),
            priorities: Vec::new(),
            family: if x.has_foreign_family { vec![format!("US{}B2", 10_000_000 + serial)] } else { Vec::new() },
            has_foreign_family: x.has_foreign_family,
            citation_count: None,
            cited_by_count: None,
            transfer_count: 0,
            license_count: 0,
            pledge_count: u32::from(x.pledge_yuan.is_some()),
            pledge_amount,
            transfer_date: None,
            license_date: None,
            pledge_date: x.pledge_date,
            lapse_date: x.lapse_date,
            legal_status: base.legal_status,
            legal_status_raw: legal_status_raw.to_owned(),
            province_code: Some(province_code),
            extra: Default::default(),
        };
        Ok((record, org))
    }
}

/// The in-process browser: keeps the cookies and the CSRF token of the last page, as the web tests do.
struct Browser {
    router: Router,
    cookies: HashMap<String, String>,
    csrf: Option<String>,
}

/// One response, read whole.
struct Response {
    status: StatusCode,
    location: Option<String>,
    body: Vec<u8>,
}

impl Response {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Browser {
    fn new(router: Router) -> Self {
        Browser { router, cookies: HashMap::new(), csrf: None }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn send(&mut self, req: Request<Body>) -> Result<Response> {
        let res = self.router.clone().oneshot(req).await.context("the router failed")?;
        for v in res.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().context("a Set-Cookie header")?;
            let (pair, attrs) = v.split_once(';').unwrap_or((v, ""));
            let Some((name, value)) = pair.split_once('=') else { continue };
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = res.status();
        let location = res.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let compressed = res.headers().contains_key(header::CONTENT_ENCODING);
        let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.context("reading a response")?.to_vec();
        if !compressed {
            let text = String::from_utf8_lossy(&body);
            let start = "name=\"csrf\" value=\"";
            if let Some(i) = text.find(start).map(|i| i + start.len())
                && let Some(len) = text[i..].find('"')
            {
                self.csrf = Some(text[i..i + len].to_owned());
            }
        }
        Ok(Response { status, location, body })
    }

    /// A GET; `gzip` asks for a compressed answer as a browser does.
    async fn get(&mut self, path: &str, gzip: bool) -> Result<Response> {
        let mut req = Request::builder().uri(path).header(header::COOKIE, self.cookie_header());
        if gzip {
            req = req.header(header::ACCEPT_ENCODING, "gzip");
        }
        self.send(req.body(Body::empty())?).await
    }

    /// A form post with the CSRF token of the last page.
    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Result<Response> {
        let token = self.csrf.clone().with_context(|| format!("no CSRF token before posting {path}"))?;
        let mut all = fields.to_vec();
        all.push(("csrf", &token));
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(serde_urlencoded::to_string(&all)?))?;
        self.send(req).await
    }

    /// Logs in; returns where the login sent the browser.
    async fn login(&mut self, username: &str, password: &str) -> Result<Option<String>> {
        self.get("/login", false).await?;
        let res = self.post("/login", &[("username", username), ("password", password)]).await?;
        ensure!(res.status == StatusCode::SEE_OTHER, "login as {username} answered {}: {}", res.status, excerpt(&res));
        Ok(res.location)
    }
}

fn excerpt(res: &Response) -> String {
    let text = res.text();
    // The page's message is in its main part; the head is the same on every page.
    let from = text.find("<main").unwrap_or(0);
    let plain: String = text[from..].chars().filter(|c| !c.is_control()).take(600).collect();
    plain
}

/// How one page answered.
enum PageOutcome {
    Timed { latencies: Latencies, gzip_bytes: usize },
    NotAvailable,
    Failed { status: StatusCode, excerpt: String },
}

/// Requests a page once unmeasured, then `repeats` times measured.
async fn time_page(browser: &mut Browser, path: &str, repeats: usize) -> Result<PageOutcome> {
    let first = browser.get(path, true).await?;
    if first.status == StatusCode::NOT_FOUND {
        return Ok(PageOutcome::NotAvailable);
    }
    if first.status != StatusCode::OK {
        let plain = browser.get(path, false).await?;
        return Ok(PageOutcome::Failed { status: first.status, excerpt: excerpt(&plain) });
    }
    let mut ms = Vec::with_capacity(repeats);
    let mut gzip_bytes = first.body.len();
    for _ in 0..repeats {
        let started = Instant::now();
        let res = browser.get(path, true).await?;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
        if res.status != StatusCode::OK {
            let plain = browser.get(path, false).await?;
            return Ok(PageOutcome::Failed { status: res.status, excerpt: excerpt(&plain) });
        }
        gzip_bytes = res.body.len();
    }
    Ok(PageOutcome::Timed { latencies: Latencies::new(ms), gzip_bytes })
}

/// What one timed phase measured.
struct Phase {
    secs: f64,
    peak: Option<f64>,
    report: RefreshReport,
}

/// Runs `f` with the peak memory reset before it (VmHWM back to the resident size), and times it.
async fn phase<F: Future<Output = ipbridge_service::Result<RefreshReport>>>(f: F) -> Result<Phase> {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let started = Instant::now();
    let report = f.await?;
    Ok(Phase { secs: started.elapsed().as_secs_f64(), peak: peak_mib(), report })
}

fn remove_database(dir: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let file = dir.join(format!("{DATABASE_FILE}{suffix}"));
        if file.exists() {
            std::fs::remove_file(&file).with_context(|| format!("removing {}", file.display()))?;
        }
    }
    Ok(())
}

/// Creates the planned organisations; returns their ids in plan order.
async fn create_orgs(app: &App, plan: &Plan) -> Result<Vec<OrgId>> {
    let actor = Actor::cli();
    let mut ids = Vec::with_capacity(plan.orgs.len());
    for o in &plan.orgs {
        let form = OrgForm {
            kind: o.kind.to_owned(),
            institution_kind: o.institution_kind.to_owned(),
            name: o.name.clone(),
            credit_code: if o.kind == "enterprise" { o.credit_code.clone() } else { String::new() },
            county_code: o.county.clone(),
            address: o.address.clone(),
            active: true,
            ..OrgForm::default()
        };
        ids.push(app.create_org(&actor, &form).await.with_context(|| format!("creating organisation {}", o.name))?);
    }
    Ok(ids)
}

/// Generates the records on a blocking thread and writes them a batch per transaction as they come.
async fn load_patents(app: &App, generator: Arc<Generator>, records: usize) -> Result<(Shares, f64)> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<Prepared>>>(QUEUE);
    let producer = tokio::task::spawn_blocking(move || {
        let mut shares = Shares::default();
        let mut done = 0;
        while done < records {
            let n = BATCH.min(records - done);
            let batch: Result<Vec<Prepared>> = (done..done + n).map(|i| generator.prepare(i, &mut shares)).collect();
            let failed = batch.is_err();
            // A closed channel means the writer failed; its error is the one reported.
            if tx.blocking_send(batch).is_err() || failed {
                break;
            }
            done += n;
        }
        shares
    });
    let started = Instant::now();
    let mut written = 0usize;
    while let Some(batch) = rx.recv().await {
        let batch = batch?;
        let writes: Vec<PatentWrite<'_>> = batch
            .iter()
            .map(|p| PatentWrite {
                record: &p.record,
                record_json: &p.json,
                content_hash: &p.hash,
                applicant_names_norm: &p.names_norm,
                applicant_orgs: &p.orgs,
                import_id: None,
                source_file: "indicators-benchmark",
                source_row: None,
            })
            .collect();
        let mut db = app.db.begin().await?;
        let ids = db.insert_patents(&writes, app.now()).await?;
        db.commit().await?;
        ensure!(ids.len() == batch.len(), "wrote {} of {} patents", ids.len(), batch.len());
        let before = written;
        written += batch.len();
        if written / PROGRESS_EVERY > before / PROGRESS_EVERY || written == records {
            let secs = started.elapsed().as_secs_f64();
            eprintln!("  {written:>9} patents written in {secs:>6.1} s ({:.0}/s)", written as f64 / secs);
        }
    }
    let shares = producer.await.context("the generating thread")?;
    ensure!(written == records, "wrote {written} of {records} patents");
    Ok((shares, started.elapsed().as_secs_f64()))
}

/// Row counts of the tables the indicators read and write.
#[derive(Debug, Default)]
struct Counts {
    patents: i64,
    orgs_with_county: i64,
    facts: i64,
    in_city: i64,
    valid_invention: i64,
    high_value: i64,
    chain_links: i64,
    cells: i64,
    snapshots: i64,
    backfilled: i64,
    database_bytes: u64,
}

async fn counts(db_path: &Path) -> Result<Counts> {
    let options = SqliteConnectOptions::new().filename(db_path).read_only(true);
    let mut conn = SqliteConnection::connect_with(&options).await?;
    let conn = &mut conn;
    let c = Counts {
        patents: scalar(conn, "SELECT count(*) FROM patents").await?,
        orgs_with_county: scalar(conn, "SELECT count(*) FROM orgs WHERE county_code IS NOT NULL").await?,
        facts: scalar(conn, "SELECT count(*) FROM patent_facts").await?,
        in_city: scalar(conn, "SELECT count(*) FROM patent_facts WHERE in_city = 1").await?,
        valid_invention: scalar(conn, "SELECT count(*) FROM patent_facts WHERE in_city = 1 AND valid_invention = 1")
            .await?,
        high_value: scalar(conn, "SELECT count(*) FROM patent_facts WHERE in_city = 1 AND high_value = 1").await?,
        chain_links: scalar(conn, "SELECT count(*) FROM patent_chain_links").await?,
        cells: scalar(conn, "SELECT count(*) FROM indicator_cells").await?,
        snapshots: scalar(conn, "SELECT count(*) FROM indicator_snapshots").await?,
        backfilled: scalar(conn, "SELECT count(*) FROM indicator_snapshots WHERE origin = 'backfill'").await?,
        database_bytes: 0,
    };
    let database_bytes = ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", db_path.display())).ok())
        .map(|m| m.len())
        .sum();
    Ok(Counts { database_bytes, ..c })
}

async fn scalar(conn: &mut SqliteConnection, sql: &'static str) -> Result<i64> {
    let value: Option<i64> = sqlx::query_scalar(sql).fetch_one(conn).await.with_context(|| sql)?;
    Ok(value.unwrap_or(0))
}

/// Whether the benchmark's account exists already (a reused database).
async fn account_exists(db_path: &Path) -> Result<bool> {
    let options = SqliteConnectOptions::new().filename(db_path).read_only(true);
    let mut conn = SqliteConnection::connect_with(&options).await?;
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE username = ?1").bind(LEADER).fetch_one(&mut conn).await?;
    conn.close().await?;
    Ok(n > 0)
}

/// Creates the bureau leader account in the bureau's organisation (its first password must be changed).
async fn create_leader(app: &App) -> Result<()> {
    let actor = Actor::cli();
    let bureau = app.ensure_bureau_org(&actor).await?;
    let account = NewAccount {
        username: LEADER.to_owned(),
        display_name: "基准测试局领导".to_owned(),
        org_id: Some(bureau),
        faculty_id: None,
        password: FIRST_PASSWORD.to_owned(),
    };
    app.bootstrap_account(&actor, &account, &[Role::BureauLeader]).await.context("creating the leader account")?;
    Ok(())
}

/// A browser logged in as the leader; a new account changes its first password on the way, as users must.
async fn leader_browser(app: &App, fresh_account: bool) -> Result<Browser> {
    let mut browser = Browser::new(ipbridge_web::router(app.clone()));
    if fresh_account {
        let to = browser.login(LEADER, FIRST_PASSWORD).await?;
        ensure!(to.as_deref() == Some("/account/password"), "the first login went to {to:?}, not the password change");
        browser.get("/account/password", false).await?;
        let res = browser
            .post("/account/password", &[("current", FIRST_PASSWORD), ("new", PASSWORD), ("repeat", PASSWORD)])
            .await?;
        ensure!(
            res.status == StatusCode::SEE_OTHER,
            "changing the password answered {}: {}",
            res.status,
            excerpt(&res)
        );
    } else {
        let to = browser.login(LEADER, PASSWORD).await?;
        ensure!(
            to.as_deref() != Some("/account/password"),
            "the leader's password must be changed (expired?): run without --reuse-db"
        );
    }
    Ok(browser)
}

/// Runs the benchmark and prints its figures.
pub fn run(args: &IndicatorsArgs) -> Result<()> {
    ensure!(args.records > 0 && args.records <= MAX_RECORDS, "--records must be 1 to {MAX_RECORDS}");
    ensure!(args.repeats > 0, "--repeats must be at least 1");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run_async(args))
}

async fn run_async(args: &IndicatorsArgs) -> Result<()> {
    let started = Instant::now();
    let temp = match &args.dir {
        Some(_) => None,
        None => Some(tempfile::Builder::new().prefix("ipbridge-indicators-").tempdir()?),
    };
    let dir: PathBuf = match (&args.dir, &temp) {
        (Some(dir), _) => dir.clone(),
        (None, Some(t)) => t.path().to_owned(),
        (None, None) => bail!("no data directory"),
    };
    std::fs::create_dir_all(&dir)?;
    let db_path = dir.join(DATABASE_FILE);
    if args.reuse_db {
        ensure!(db_path.is_file(), "--reuse-db: no database in {}", dir.display());
    } else {
        remove_database(&dir)?;
    }

    let policy = load_policy(None)?;
    let threshold_yuan = policy.high_value.pledge_threshold.whole_yuan().unwrap_or(i64::MAX);
    let plan = Plan::new(&policy, args.orgs)?;
    let aliases: HashMap<String, Vec<String>> =
        policy.counties.iter().map(|c| (c.code.clone(), c.aliases.clone())).collect();
    let mut settings = Settings::default();
    settings.server.data_dir = dir.clone();
    let app = App::open(settings, policy).await.with_context(|| {
        if args.reuse_db {
            "opening the kept database (made by another version? run without --reuse-db)"
        } else {
            "opening the data directory"
        }
    })?;

    let mut load = None;
    let fresh_account = if args.reuse_db {
        let exists = account_exists(&db_path).await?;
        if !exists {
            create_leader(&app).await?;
        }
        !exists
    } else {
        eprintln!("indicators: loading the reference data from {}", args.data.display());
        let t = Instant::now();
        let reference = app.load_reference(&Actor::cli(), &args.data).await.with_context(|| {
            format!("loading the IPC titles and the SEI concordance from {} (see --data)", args.data.display())
        })?;
        let reference_secs = t.elapsed().as_secs_f64();
        create_leader(&app).await?;
        eprintln!("indicators: creating {} organisations", plan.orgs.len());
        let org_ids = create_orgs(&app, &plan).await?;
        eprintln!("indicators: loading the search corpus's texts from {}", args.data.display());
        let sources = Sources::load(&args.data)
            .with_context(|| format!("loading the real texts from {} (see --data)", args.data.display()))?;
        let generator = Arc::new(Generator { sources, plan, aliases, org_ids, seed: args.seed, threshold_yuan });
        eprintln!("indicators: writing {} patents into {}", args.records, db_path.display());
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let (shares, write_secs) = load_patents(&app, generator, args.records).await?;
        load = Some((reference, reference_secs, shares, write_secs, peak_mib()));
        true
    };

    eprintln!("indicators: first refresh");
    let first = phase(app.refresh_indicators("benchmark")).await?;
    eprintln!("indicators: second refresh (unchanged data)");
    let second = phase(app.refresh_indicators("benchmark")).await?;
    eprintln!("indicators: snapshot");
    let snapshot = phase(app.take_indicator_snapshot(&Actor::cli())).await?;
    let counts = counts(&db_path).await?;

    eprintln!("indicators: pages, {} requests each", args.repeats);
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let mut browser = leader_browser(&app, fresh_account).await?;
    let mut pages = Vec::new();
    for (path, label) in PAGES {
        pages.push((path, label, time_page(&mut browser, path, args.repeats).await?));
    }
    let pages_peak = peak_mib();

    // --- report ---------------------------------------------------------------------------------------------
    let peak = |p: Option<f64>| p.map_or_else(|| "n/a".to_owned(), |p| format!("{p:.0} MiB"));
    let mut command = "CARGO_TARGET_DIR=/tmp/ipx-target cargo run --release -p ipbridge-bench -- indicators".to_owned();
    if !args.reuse_db {
        command.push_str(&format!(" --records {}", args.records));
    }
    if let Some(d) = &args.dir {
        command.push_str(&format!(" --dir {}", d.display()));
    }
    if args.reuse_db {
        command.push_str(" --reuse-db");
    }
    if args.repeats != 30 {
        command.push_str(&format!(" --repeats {}", args.repeats));
    }
    if args.orgs != 300 {
        command.push_str(&format!(" --orgs {}", args.orgs));
    }
    if args.seed != 1 {
        command.push_str(&format!(" --seed {}", args.seed));
    }
    println!("== ipbridge indicators benchmark ========================================");
    println!("command          {command}");
    println!("machine          {} cores (available_parallelism), {}", cores(), build_kind());
    match &load {
        Some((reference, reference_secs, shares, write_secs, write_peak)) => {
            println!(
                "corpus           {} records of the search-speed corpus (seed {}), {} organisations of the city; history as of {}",
                thousands(args.records as u64),
                args.seed,
                args.orgs,
                as_of()
            );
            shares.print();
            println!(
                "reference data   {} IPC titles, {} SEI categories, {} IPC → SEI rows in {reference_secs:.1} s",
                thousands(reference.ipc_titles as u64),
                reference.sei_categories,
                thousands(reference.mappings as u64)
            );
            println!(
                "load             {write_secs:.1} s => {:.0} patents/s (generation on a second thread, insert_patents in transactions of {BATCH}; peak {})",
                args.records as f64 / write_secs.max(f64::EPSILON),
                peak(*write_peak)
            );
        }
        None => println!(
            "corpus           the database an earlier run filled in {} ({} patents; not generated again)",
            dir.display(),
            thousands(counts.patents as u64)
        ),
    }
    println!();
    println!(
        "| phase | seconds | patents read | in the city | valid invention | high-value | facts written | peak memory |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (label, p) in [
        (
            if load.is_some() {
                "first refresh (facts written, history rebuilt)"
            } else {
                "refresh (facts from an earlier run)"
            },
            &first,
        ),
        ("second refresh (unchanged data: the scheduled run)", &second),
        ("snapshot (take_indicator_snapshot: refresh + month recorded)", &snapshot),
    ] {
        println!(
            "| {label} | {:.2} | {} | {} | {} | {} | {} | {} |",
            p.secs,
            thousands(p.report.patents),
            thousands(p.report.in_city),
            thousands(p.report.valid_invention),
            thousands(p.report.high_value),
            thousands(p.report.changed),
            peak(p.peak)
        );
    }
    println!();
    println!(
        "rows             patents {}, of the city {} (valid invention {}, high-value {}); facts {}, chain links {}",
        thousands(counts.patents as u64),
        thousands(counts.in_city as u64),
        thousands(counts.valid_invention as u64),
        thousands(counts.high_value as u64),
        thousands(counts.facts as u64),
        thousands(counts.chain_links as u64)
    );
    println!(
        "                 aggregate cells {}, snapshots {} (of which backfilled {}); organisations with a county {}",
        thousands(counts.cells as u64),
        thousands(counts.snapshots as u64),
        thousands(counts.backfilled as u64),
        counts.orgs_with_county
    );
    println!("database         {:.0} MiB (database + WAL)", counts.database_bytes as f64 / 1024.0 / 1024.0);
    println!();
    println!(
        "pages            in process (router, guard, session, handler, template, gzip), as {LEADER} (局领导); {} measured requests each after 1 unmeasured",
        args.repeats
    );
    println!("| page | p50 ms | p95 ms | max ms | mean ms | gzip KiB |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let mut failures = Vec::new();
    let mut dashboard_p95 = None;
    for (path, label, outcome) in &pages {
        match outcome {
            PageOutcome::Timed { latencies: l, gzip_bytes } => {
                if *path == "/indicators" {
                    dashboard_p95 = Some(l.percentile(95.0));
                }
                println!(
                    "| `{path}` {label} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
                    l.percentile(50.0),
                    l.percentile(95.0),
                    l.max(),
                    l.mean(),
                    *gzip_bytes as f64 / 1024.0
                );
            }
            PageOutcome::NotAvailable => println!("| `{path}` {label} | not available (404) | | | | |"),
            PageOutcome::Failed { status, excerpt } => {
                println!("| `{path}` {label} | FAILED: {status} | | | | |");
                failures.push(format!("{path} answered {status}: {excerpt}"));
            }
        }
    }
    println!("                 peak memory of the page phase {}", peak(pages_peak));
    match dashboard_p95 {
        Some(p95) => println!(
            "goal             dashboard p95 {p95:.1} ms < {GOAL_DASHBOARD_MS:.0} ms: {}",
            met(p95 < GOAL_DASHBOARD_MS)
        ),
        None => println!("goal             dashboard not available: not judged"),
    }
    match &args.dir {
        Some(d) => println!("kept             {} ({DATABASE_FILE})", d.display()),
        None => println!("data directory   temporary, removed"),
    }
    println!("total time       {:.1} s", started.elapsed().as_secs_f64());
    println!("========================================================================");
    app.db.close().await;
    if !failures.is_empty() {
        bail!("pages failed:\n{}", failures.join("\n"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use ipbridge_domain::indicators::place::{PlaceInput, PlaceRule};

    use super::*;

    fn policy() -> Policy {
        load_policy(None).unwrap()
    }

    fn aliases(policy: &Policy) -> HashMap<String, Vec<String>> {
        policy.counties.iter().map(|c| (c.code.clone(), c.aliases.clone())).collect()
    }

    /// A base record cycling types, statuses and filing years 2005–2025 as the search corpus does.
    fn base(i: usize, applicant: &str) -> Base<'_> {
        let types = [PatentType::Invention, PatentType::UtilityModel, PatentType::Design];
        let statuses = [
            LegalStatus::Granted,
            LegalStatus::Lapsed,
            LegalStatus::Expired,
            LegalStatus::Pending,
            LegalStatus::Withdrawn,
            LegalStatus::Granted,
            LegalStatus::Rejected,
        ];
        let year = 2005 + (i % 21) as i32;
        Base {
            patent_type: types[i % 3],
            legal_status: statuses[i % 7],
            filing: NaiveDate::from_ymd_opt(year, 1 + (i % 12) as u32, 1 + (i % 28) as u32).unwrap(),
            applicant,
        }
    }

    fn shares(plan: &Plan, aliases: &HashMap<String, Vec<String>>, seed: u64, n: usize) -> (Shares, Vec<Extras>) {
        let mut shares = Shares::default();
        let mut all = Vec::new();
        for i in 0..n {
            let b = base(i, "某某科技股份有限公司");
            let x = plan.extras(i, seed, &b, aliases);
            shares.add(&b, &x, 10_000_000);
            all.push(x);
        }
        (shares, all)
    }

    #[test]
    fn the_extras_are_deterministic_and_their_shares_are_the_planned_ones() {
        let policy = policy();
        let plan = Plan::new(&policy, 300).unwrap();
        let aliases = aliases(&policy);
        let n = 20_000;
        let (a, extras_a) = shares(&plan, &aliases, 1, n);
        let (b, extras_b) = shares(&plan, &aliases, 1, n);
        assert_eq!(a, b, "same seed, same shares");
        assert_eq!(extras_a, extras_b, "same seed, same records");
        let (other, _) = shares(&plan, &aliases, 2, n);
        assert_ne!(a, other, "another seed draws other records");

        let per_mille = |v: u64| v as f64 * 1000.0 / n as f64;
        let city = a.city_org + a.city_local_county + a.city_local_no_county;
        assert!((per_mille(a.city_org) - CITY_ORG_PER_MILLE as f64).abs() < 5.0, "{a:?}");
        assert!(
            (per_mille(city) - (CITY_ORG_PER_MILLE + CITY_LOCAL_PER_MILLE) as f64).abs() < 8.0,
            "city share {}",
            per_mille(city)
        );
        assert!((per_mille(a.province) - PROVINCE_PER_MILLE as f64).abs() < 15.0, "{a:?}");
        assert!(a.city_local_no_county > 0 && a.no_address > 0 && a.foreign_family > 0 && a.pledged > 0);
        assert!(
            a.pledged_over_threshold > 0 && a.pledged_over_threshold < a.pledged,
            "some pledges reach the threshold"
        );
        assert!(a.lapse_dated > 0 && a.lapsed_without_date > 0, "most lapses are dated, a few are not");
        assert!(a.filed_over_10_years > 0 && a.valid_invention_in_city > 0);
    }

    #[test]
    fn the_place_rule_puts_each_generated_applicant_where_it_was_planned() {
        let policy = policy();
        let plan = Plan::new(&policy, 300).unwrap();
        let aliases = aliases(&policy);
        let rule = PlaceRule::new(&policy);
        let (_, extras) = shares(&plan, &aliases, 7, 20_000);
        let mut zones_by_alias = 0;
        for (i, x) in extras.iter().enumerate() {
            let b = base(i, "某某科技股份有限公司");
            match &x.seat {
                Seat::Org(k) => {
                    let o = &plan.orgs[*k];
                    assert!(policy.county(&o.county).is_some(), "{o:?}");
                    // The organisation's own address places it in its county too.
                    let p = rule.place(&PlaceInput {
                        address: &o.address,
                        province_code: Some("61"),
                        ..PlaceInput::default()
                    });
                    assert_eq!(p.county_code.as_deref(), Some(o.county.as_str()), "{o:?}");
                }
                Seat::Local { address, county, .. } => {
                    let p = rule.place(&PlaceInput { address, province_code: Some("61"), ..PlaceInput::default() });
                    assert!(p.in_city, "{address}");
                    assert_eq!(&p.county_code, county, "{address}");
                    zones_by_alias += usize::from(address.contains("安康高新区") || address.contains("恒口示范区"));
                }
                Seat::Elsewhere { address, province_code, .. } => {
                    let p = rule.place(&PlaceInput {
                        address: address.as_deref().unwrap_or(""),
                        province_code: Some(province_code),
                        ..PlaceInput::default()
                    });
                    assert!(!p.in_city, "{address:?}");
                }
            }
            // Dates follow one another and end by the end of the history.
            if let Some(g) = x.grant_date {
                assert!(g > b.filing && g <= as_of(), "{i}: grant {g} filing {}", b.filing);
            }
            if let Some(l) = x.lapse_date {
                assert!(x.grant_date.is_some_and(|g| l >= g) && l <= as_of(), "{i}: lapse {l}");
            }
            if let Some(p) = x.pledge_date {
                assert!(x.grant_date.is_some_and(|g| p >= g) && p <= as_of(), "{i}: pledge {p}");
            }
        }
        assert!(zones_by_alias > 0, "development zones are also written by their aliases");
    }

    #[test]
    fn organisations_have_distinct_names_and_valid_credit_codes() {
        let plan = Plan::new(&policy(), 396).unwrap();
        let mut names: Vec<&str> = plan.orgs.iter().map(|o| o.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 396);
        for o in &plan.orgs {
            assert!(ipbridge_domain::CreditCode::parse(&o.credit_code).is_ok(), "{}", o.credit_code);
        }
        assert!(Plan::new(&policy(), 397).is_err());
    }
}
