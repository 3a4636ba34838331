//! The CNIPA-style workbook the import benchmark reads. Titles, applicants and abstracts are real (the BDCI 2022
//! corpus, cycled); the fields that corpus lacks are generated: unique valid application numbers, dates in
//! the order CNIPA gives them, IPC symbols built on real subclasses, inventors, agencies, addresses and a mix
//! of legal statuses. Deterministic: the same row count gives the same file, byte for byte.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use chrono::{Datelike, Days, NaiveDate};
use ipbridge_domain::patent::{ApplicationNo, IpcCode};
use rust_xlsxwriter::Workbook;
use serde::Deserialize;

/// The columns of a CNIPA patent search export, in its order.
pub const HEADERS: [&str; 19] = [
    "申请号",
    "申请日",
    "公开号",
    "公开日",
    "授权公告号",
    "授权公告日",
    "专利类型",
    "专利名称",
    "申请摘要",
    "主权项",
    "申请人",
    "申请人地址",
    "发明人",
    "主分类号",
    "分类号",
    "法律状态",
    "国省代码",
    "专利代理机构",
    "专利代理人",
];

/// Where the real patents are, under the shared data directory.
const PATENTS_FILE: &str = "cn_patents_bdci2022/patents.jsonl";
/// Where the real IPC subclasses are, under the shared data directory.
const TITLES_IPC_FILE: &str = "cn_patents_title_ipc/titles_ipc.csv";
/// Most serials the 12-digit application number holds per year and type: the row limit of one file.
pub const MAX_ROWS: usize = 9_999_999;

/// One patent of the BDCI 2022 corpus: the fields the generator copies as they are.
#[derive(Debug, Deserialize)]
struct SourcePatent {
    title: String,
    assignee: String,
    #[serde(rename = "abstract")]
    abstract_text: String,
}

/// The real data the rows are made from.
pub struct Corpus {
    patents: Vec<SourcePatent>,
    /// IPC subclasses as they occur (repeats kept, so common ones are drawn more often).
    subclasses: Vec<String>,
}

impl Corpus {
    /// Reads the patents and the IPC subclasses from the shared data directory.
    pub fn load(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join(PATENTS_FILE);
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let mut patents = Vec::new();
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let p: SourcePatent =
                serde_json::from_str(line).with_context(|| format!("{} line {}", path.display(), n + 1))?;
            patents.push(p);
        }
        ensure!(!patents.is_empty(), "{} holds no patents", path.display());

        let path = data_dir.join(TITLES_IPC_FILE);
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        // The subclass list is the last field and holds no comma, so it is safe to split off the right even
        // when a quoted title holds commas.
        let mut subclasses = Vec::new();
        for line in text.lines().skip(1) {
            let Some((_, list)) = line.rsplit_once(',') else { continue };
            for sc in list.trim().trim_matches('"').split('|') {
                if IpcCode::parse(&format!("{sc}1/00")).is_ok() {
                    subclasses.push(sc.to_owned());
                }
            }
        }
        ensure!(!subclasses.is_empty(), "{} holds no IPC subclass", path.display());
        Ok(Self { patents, subclasses })
    }

    /// How many real patents the rows cycle through.
    pub fn patents(&self) -> usize {
        self.patents.len()
    }

    /// How many distinct IPC subclasses the codes are built on.
    pub fn distinct_subclasses(&self) -> usize {
        self.subclasses.iter().collect::<HashSet<_>>().len()
    }

    /// The workbook of `rows` patents, as xlsx bytes.
    pub fn workbook(&self, rows: usize) -> Result<Vec<u8>> {
        if rows > MAX_ROWS {
            bail!("at most {MAX_ROWS} rows: the application numbers' 7-digit serial would run out");
        }
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("专利检索结果")?;
        for (col, h) in HEADERS.iter().enumerate() {
            ws.write_string(0, col as u16, *h)?;
        }
        for i in 0..rows {
            let row = u32::try_from(i + 1)?;
            for (col, value) in self.row(i)?.iter().enumerate() {
                if !value.is_empty() {
                    ws.write_string(row, col as u16, value)?;
                }
            }
        }
        Ok(wb.save_to_buffer()?)
    }

    /// Row `i` (0-based), one cell per column of [`HEADERS`].
    fn row(&self, i: usize) -> Result<[String; 19]> {
        let src = self.patents.get(i % self.patents.len()).context("empty corpus")?;
        let mut rng = Rng(i as u64);
        let invention = src.title.contains("方法") || rng.below(100) < 50;
        let year = 2008 + rng.below(16) as i32;
        let serial = u32::try_from(i + 1)?;
        let no = ApplicationNo::from_parts(year as u16, if invention { 1 } else { 2 }, serial)?;
        let filing = NaiveDate::from_ymd_opt(year, 1, 1).context("date")? + Days::new(rng.below(365));
        let after = |d: NaiveDate, min: u64, spread: u64, rng: &mut Rng| d + Days::new(min + rng.below(spread));
        let today = NaiveDate::from_ymd_opt(2025, 6, 30).context("date")?;

        // Inventions are published about 18 months after filing and granted (when they are) a few years
        // later; utility models are published once, at grant, within a year.
        let (publication_no, publication, grant_no, grant, status) = if invention {
            let published = after(filing, 540, 60, &mut rng);
            let granted = after(filing, 900, 700, &mut rng);
            let r = rng.below(100);
            let (status, is_granted) = match r {
                _ if year >= 2021 && r < 60 => ("审中-实质审查", false),
                0..50 => ("有权-审定授权", true),
                50..65 => ("无权-未缴年费终止", true),
                65..80 => ("无权-视为撤回", false),
                80..92 => ("无权-驳回", false),
                _ => ("有权", true),
            };
            let is_granted = is_granted && granted <= today;
            let status = if !is_granted && status.starts_with("有权") { "审中-实质审查" } else { status };
            let grant_no = if is_granted { format!("CN1{:08}B", i) } else { String::new() };
            (format!("CN1{:08}A", i), Some(published), grant_no, is_granted.then_some(granted), status)
        } else {
            let granted = after(filing, 150, 250, &mut rng);
            let r = rng.below(100);
            let status = match r {
                _ if year <= 2014 && r < 60 => "无权-期限届满",
                0..65 => "有权",
                65..90 => "无权-未缴年费终止",
                _ => "无权-放弃专利权",
            };
            let number = format!("CN2{:08}U", i);
            (number.clone(), Some(granted), number, Some(granted), status)
        };

        let (province, code, address) = place(&src.assignee, &mut rng);
        let address = format!("{address}{}号", 1 + rng.below(300));
        let inventors = names(2 + rng.below(3) as usize, &mut rng).join(";");
        let (agency, agents) = if rng.below(100) < 75 {
            let agency = AGENCIES.get(rng.below(AGENCIES.len() as u64) as usize).copied().unwrap_or_default();
            (agency.to_owned(), names(1 + rng.below(2) as usize, &mut rng).join(";"))
        } else {
            (String::new(), String::new())
        };
        let main_ipc = self.ipc(&mut rng);
        let mut ipc = vec![main_ipc.clone()];
        for _ in 0..rng.below(3) {
            let code = self.ipc(&mut rng);
            if !ipc.contains(&code) {
                ipc.push(code);
            }
        }
        let clause: String = src.abstract_text.split(['。', '；']).next().unwrap_or("").chars().take(120).collect();
        let first_claim = format!("1.{}，其特征在于：{clause}。", src.title);
        let date = |d: Option<NaiveDate>| d.map(|d| format!("{}.{:02}.{:02}", d.year(), d.month(), d.day()));

        Ok([
            no.as_str().to_owned(),
            date(Some(filing)).unwrap_or_default(),
            publication_no,
            date(publication).unwrap_or_default(),
            grant_no,
            date(grant).unwrap_or_default(),
            if invention { "发明" } else { "实用新型" }.to_owned(),
            src.title.clone(),
            src.abstract_text.clone(),
            first_claim,
            src.assignee.clone(),
            address,
            inventors,
            main_ipc,
            ipc.join(";"),
            status.to_owned(),
            format!("{province};{code}"),
            agency,
            agents,
        ])
    }

    /// An IPC symbol on a real subclass: main group 1–99, a subgroup such as `/00` or `/12`.
    fn ipc(&self, rng: &mut Rng) -> String {
        let sc = self.subclasses.get(rng.below(self.subclasses.len() as u64) as usize).map_or("G06F", String::as_str);
        format!("{sc}{}/{:02}", 1 + rng.below(99), 2 * rng.below(12))
    }
}

/// Applicant seats: a keyword of the applicant's name, its province and code, and a street to write.
const PLACES: [(&str, &str, &str, &str); 12] = [
    ("西安", "陕西", "61", "陕西省西安市雁塔区科技路"),
    ("陕西", "陕西", "61", "陕西省西安市高新区锦业路"),
    ("安康", "陕西", "61", "陕西省安康市汉滨区兴安路"),
    ("北京", "北京", "11", "北京市海淀区中关村大街"),
    ("上海", "上海", "31", "上海市浦东新区张江路"),
    ("深圳", "广东", "44", "广东省深圳市南山区科技园路"),
    ("华为", "广东", "44", "广东省深圳市龙岗区坂田华为基地"),
    ("广州", "广东", "44", "广东省广州市天河区天河路"),
    ("杭州", "浙江", "33", "浙江省杭州市西湖区文三路"),
    ("南京", "江苏", "32", "江苏省南京市玄武区中山路"),
    ("成都", "四川", "51", "四川省成都市武侯区人民南路"),
    ("武汉", "湖北", "42", "湖北省武汉市洪山区珞喻路"),
];

/// The seat of an applicant: from its name when the name says where it is, else drawn.
fn place(assignee: &str, rng: &mut Rng) -> (&'static str, &'static str, &'static str) {
    let drawn = PLACES.get(rng.below(PLACES.len() as u64) as usize).unwrap_or(&PLACES[0]);
    let &(_, province, code, street) = PLACES.iter().find(|(k, ..)| assignee.contains(k)).unwrap_or(drawn);
    (province, code, street)
}

/// Fictional patent agencies with their CNIPA-style agency codes.
const AGENCIES: [&str; 6] = [
    "西安汉秦专利代理事务所(普通合伙) 61234",
    "安康兴安知识产权代理有限公司 61288",
    "北京智联华信专利代理有限公司 11456",
    "深圳市鹏城专利商标代理有限公司 44321",
    "杭州西湖创新专利代理事务所(特殊普通合伙) 33210",
    "南京金陵知识产权代理有限公司 32105",
];

const SURNAMES: &[char] =
    &['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭'];
const GIVEN: &[char] =
    &['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '涛', '明', '超', '霞'];

/// `count` Chinese personal names (surname and one or two given characters).
pub(crate) fn names(count: usize, rng: &mut Rng) -> Vec<String> {
    let pick = |set: &[char], rng: &mut Rng| set.get(rng.below(set.len() as u64) as usize).copied().unwrap_or('明');
    (0..count)
        .map(|_| {
            let mut name = String::new();
            name.push(pick(SURNAMES, rng));
            name.push(pick(GIVEN, rng));
            if rng.below(3) > 0 {
                name.push(pick(GIVEN, rng));
            }
            name
        })
        .collect()
}

/// SplitMix64: deterministic per row, no dependency. The search benchmarks use it too, so their corpora and
/// samples do not change when a dependency's generator does.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `bound` (0 when `bound` is 0).
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.next().checked_rem(bound).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_rows_use_valid_numbers_and_codes() {
        let corpus = Corpus {
            patents: vec![SourcePatent {
                title: "一种信号的发送方法".to_owned(),
                assignee: "华为技术有限公司".to_owned(),
                abstract_text: "一种信号的发送方法。其余".to_owned(),
            }],
            subclasses: vec!["H04L".to_owned()],
        };
        let mut numbers = HashSet::new();
        for i in 0..200 {
            let row = corpus.row(i).unwrap();
            assert!(numbers.insert(ApplicationNo::parse(&row[0]).unwrap()));
            assert!(IpcCode::parse(&row[13]).is_ok(), "{}", row[13]);
            assert_eq!(row[16], "广东;44");
        }
    }
}
