//! Fictional patents for the demo city: written plausibly for the city's chains, held by the demo
//! institutions and enterprises, with valid application numbers. Deterministic, so every demo is alike.

use chrono::{Datelike, Duration, NaiveDate};
use ipbridge_domain::Money;
use ipbridge_domain::org::{Org, OrgKind};
use ipbridge_domain::patent::{Applicant, ApplicationNo, IpcCode, LegalStatus, PatentRecord, PatentType, expiry_date};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One chain's vocabulary: what its patents are about, what they claim, and where they are classified.
struct Theme {
    subjects: &'static [&'static str],
    kinds: &'static [&'static str],
    steps: &'static [&'static str],
    benefits: &'static [&'static str],
    uses: &'static [&'static str],
    ipc: &'static [&'static str],
    /// Names of the demo organisations that work in the chain (matched by substring).
    holders: &'static [&'static str],
}

const THEMES: &[Theme] = &[
    Theme {
        subjects: &[
            "富硒绿茶",
            "富硒红茶",
            "富硒魔芋粉",
            "富硒大米",
            "富硒核桃油",
            "富硒葛根粉",
            "富硒腊肉",
            "富硒饮料",
            "富硒挂面",
            "富硒茶叶",
        ],
        kinds: &["加工方法", "制备方法", "杀青装置", "发酵工艺", "检测方法", "保鲜包装", "深加工工艺"],
        steps: &[
            "鲜叶经摊晾、杀青、揉捻后分段烘干",
            "原料经浸泡、磨浆、过滤后低温干燥",
            "采用微波与热风联合干燥",
            "以有机硒含量为指标在线调控温度",
            "真空冷冻干燥保持活性成分",
        ],
        benefits: &["有机硒保留率提高30%以上", "能耗降低约20%", "口感醇厚、香气持久", "批次稳定、便于规模化生产"],
        uses: &["富硒茶叶加工企业", "富硒食品精深加工", "农产品初加工"],
        ipc: &["A23F3/06", "A23F3/08", "A23L7/10", "A23L19/10", "A23L33/16", "A23L2/38", "A23B7/02"],
        holders: &["硒", "秦巴富硒", "安康理工学院", "粮油", "茶"],
    },
    Theme {
        subjects: &[
            "高强度建筑板材",
            "石墨烯复合涂层",
            "钒钛合金",
            "锰系正极材料",
            "硅基陶瓷",
            "环保型混凝土外加剂",
            "尾矿再生骨料",
        ],
        kinds: &["制备方法", "生产工艺", "成型装置", "改性方法"],
        steps: &[
            "以尾矿粉为主料掺入改性剂后压制成型",
            "经球磨、烧结、淬火三段处理",
            "采用溶胶—凝胶法包覆改性",
            "在惰性气氛下梯度升温",
        ],
        benefits: &["抗压强度提高25%", "生产成本降低约15%", "耐腐蚀性能显著提升", "实现固体废弃物资源化利用"],
        uses: &["新型建材生产", "锂电池正极材料", "矿山固废综合利用"],
        ipc: &["C04B28/04", "C04B18/12", "C22C14/00", "H01M4/505", "C09D5/10", "C04B35/14"],
        holders: &["建材", "安康理工学院"],
    },
    Theme {
        subjects: &["绞股蓝提取物", "天麻饮片", "黄姜皂素", "杜仲叶提取液", "中药颗粒剂", "金银花口服液", "猪苓多糖"],
        kinds: &["提取方法", "制备方法", "质量检测方法", "炮制工艺", "药物组合物"],
        steps: &[
            "药材经粉碎后超声辅助醇提",
            "采用大孔树脂纯化总皂苷",
            "以高效液相色谱建立指纹图谱",
            "低温浓缩后喷雾干燥制粒",
        ],
        benefits: &["有效成分得率提高", "溶剂用量减少40%", "质量可控、重现性好", "降低重金属残留"],
        uses: &["中药饮片生产", "保健食品开发", "秦巴道地药材深加工"],
        ipc: &["A61K36/185", "A61K36/8988", "A61K9/16", "A61P1/16", "C07J17/00", "G01N30/02"],
        holders: &["药", "汉江中医医院", "秦巴富硒生物", "中药材"],
    },
    Theme {
        subjects: &["毛绒玩具", "玩具填充棉", "毛绒玩具眼睛", "绒布面料", "玩具缝纫定位工装"],
        kinds: &["生产装置", "自动填充设备", "安全固定结构", "裁剪装置"],
        steps: &[
            "采用气流输送自动称量填充",
            "眼睛部件经卡扣与垫片双重固定",
            "激光裁剪配合视觉定位",
            "缝合后经金属检测剔除",
        ],
        benefits: &["生产效率提高一倍", "满足儿童玩具安全标准", "减少人工用量", "次品率明显下降"],
        uses: &["毛绒玩具生产", "玩具出口加工"],
        ipc: &["A63H3/02", "A63H33/00", "D04H1/42", "B26D1/00"],
        holders: &["毛绒玩具"],
    },
    Theme {
        subjects: &["桑蚕丝面料", "蚕丝被", "丝绸印染废水", "蚕桑种植", "缫丝"],
        kinds: &["生产工艺", "处理装置", "染色方法", "加工设备"],
        steps: &["以植物染料低温浸染", "废水经混凝沉淀与膜过滤处理", "自动索绪并控制张力", "桑叶经分级后定量饲喂"],
        benefits: &["色牢度达到4级以上", "节水30%", "丝线均匀度提高", "降低劳动强度"],
        uses: &["丝绸纺织企业", "蚕桑产业"],
        ipc: &["D06P1/34", "D01F4/02", "C02F9/00", "A01K67/04"],
        holders: &["蚕桑丝绸", "安康理工学院"],
    },
    Theme {
        subjects: &["小型水电站调速器", "光伏支架", "生物质颗粒燃料", "山地光伏清洗机器人", "储能电池管理系统"],
        kinds: &["控制方法", "装置", "制备方法", "监测系统"],
        steps: &[
            "根据负荷变化自适应调节导叶开度",
            "支架可随坡度调节安装角",
            "农林废弃物经粉碎、压缩成型",
            "采集电芯温度与电压进行均衡",
        ],
        benefits: &["发电效率提高", "适应山区复杂地形", "燃烧热值高、灰分低", "延长电池寿命"],
        uses: &["小水电站", "山地光伏电站", "农村清洁取暖"],
        ipc: &["F03B15/00", "H02S20/10", "C10L5/44", "H02J7/00"],
        holders: &["安康理工学院", "建材"],
    },
    Theme {
        subjects: &["茶叶揉捻机", "魔芋切片机", "山地轨道运输车", "核桃脱青皮机", "农产品烘干机"],
        kinds: &["装置", "控制系统", "传动结构"],
        steps: &[
            "采用变频电机驱动并实时调节压力",
            "刀盘转速与进料速度联动",
            "齿轨驱动适应大坡度",
            "热泵与太阳能互补供热",
        ],
        benefits: &["作业效率提高", "适合山区小地块使用", "节能环保", "维护简便"],
        uses: &["茶园与农产品加工", "山区农业机械化"],
        ipc: &["A23N12/08", "B26D1/29", "B61B13/02", "A23N5/00", "F26B9/06"],
        holders: &["魔芋", "茶", "安康理工学院"],
    },
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗",
];
const GIVEN: &[&str] = &[
    "明", "芳", "伟", "娜", "强", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "涛", "超", "霞", "平", "刚", "桂英",
    "建华", "志强", "丽娟", "海燕", "晓东",
];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn person(rng: &mut StdRng) -> String {
    format!("{}{}", pick(rng, SURNAMES), pick(rng, GIVEN))
}

/// `count` fictional patents held by the given demo organisations (institutions and enterprises).
pub fn demo_patents(orgs: &[Org], count: usize, today: NaiveDate) -> Vec<PatentRecord> {
    let mut rng = StdRng::seed_from_u64(6109);
    let holders: Vec<&Org> =
        orgs.iter().filter(|o| matches!(o.kind, OrgKind::Institution | OrgKind::Enterprise)).collect();
    let agency = orgs.iter().find(|o| o.kind == OrgKind::Agency).map(|o| o.name.clone());
    let mut out = Vec::with_capacity(count);
    let mut serial: u32 = 10_000;
    while out.len() < count && !holders.is_empty() {
        let theme = pick(&mut rng, THEMES);
        let candidates: Vec<&&Org> =
            holders.iter().filter(|o| theme.holders.iter().any(|h| o.name.contains(h))).collect();
        let holder: &Org = if candidates.is_empty() {
            holders[rng.random_range(0..holders.len())]
        } else {
            candidates[rng.random_range(0..candidates.len())]
        };
        let roll: f64 = rng.random();
        let patent_type = if roll < 0.6 {
            PatentType::Invention
        } else if roll < 0.95 {
            PatentType::UtilityModel
        } else {
            PatentType::Design
        };
        let year: u16 = rng.random_range(2014..=u16::try_from(today.year()).unwrap_or(2026).min(2026));
        let type_digit = match patent_type {
            PatentType::Invention => 1,
            PatentType::UtilityModel => 2,
            PatentType::Design => 3,
        };
        serial += rng.random_range(1..400);
        let Ok(application_no) = ApplicationNo::from_parts(year, type_digit, serial) else { continue };
        let Some(filing) = NaiveDate::from_yo_opt(i32::from(year), rng.random_range(1..=360)) else { continue };
        if filing > today {
            continue;
        }
        let subject = *pick(&mut rng, theme.subjects);
        let kind = *pick(&mut rng, theme.kinds);
        let title = match patent_type {
            PatentType::Design => format!("{subject}包装盒"),
            // A utility model protects a product's shape or structure, never a method or a composition.
            PatentType::UtilityModel => {
                let device = ["装置", "设备", "结构", "系统"].iter().any(|d| kind.ends_with(d));
                format!("一种{subject}{}", if device { kind } else { "生产装置" })
            }
            PatentType::Invention => format!("一种{subject}的{kind}"),
        };
        // Two different steps, so no abstract repeats itself.
        let first_step = rng.random_range(0..theme.steps.len());
        let second_step = (first_step + rng.random_range(1..theme.steps.len())) % theme.steps.len();
        let abstract_text = match patent_type {
            PatentType::Design => format!(
                "本外观设计产品的名称是{subject}包装盒，用于{}，设计要点在于形状与图案的结合。",
                pick(&mut rng, theme.uses)
            ),
            _ => format!(
                "本{}公开了{}，{}；{}。该技术{}，适用于{}。",
                if patent_type == PatentType::Invention { "发明" } else { "实用新型" },
                title,
                theme.steps[first_step],
                theme.steps[second_step],
                pick(&mut rng, theme.benefits),
                pick(&mut rng, theme.uses)
            ),
        };
        let age_days = (today - filing).num_days();
        let published = filing + Duration::days(if patent_type == PatentType::Invention { 540 } else { 200 });
        let (legal_status, raw, grant_date) = {
            let r: f64 = rng.random();
            let examined = age_days > if patent_type == PatentType::Invention { 900 } else { 240 };
            if !examined {
                (LegalStatus::Pending, "审中-实质审查", None)
            } else if expiry_date(patent_type, filing) < today {
                (LegalStatus::Expired, "无权-期限届满", Some(published))
            } else if r < 0.72 {
                (LegalStatus::Granted, "有权-审定授权", Some(published + Duration::days(rng.random_range(60..400))))
            } else if r < 0.86 {
                (LegalStatus::Lapsed, "无权-未缴年费终止", Some(published))
            } else if patent_type == PatentType::Invention && r < 0.95 {
                (LegalStatus::Withdrawn, "无权-视为撤回", None)
            } else {
                (LegalStatus::Rejected, "无权-驳回", None)
            }
        };
        let grant_date = grant_date.filter(|d| *d <= today);
        let legal_status = if grant_date.is_none() && legal_status == LegalStatus::Granted {
            LegalStatus::Pending
        } else {
            legal_status
        };
        let mut applicants = vec![Applicant {
            name: holder.name.clone(),
            address: Some(format!("陕西省安康市{}", holder.address)),
        }];
        if holder.kind == OrgKind::Institution
            && rng.random_bool(0.15)
            && let Some(partner) = holders
                .iter()
                .find(|o| o.kind == OrgKind::Enterprise && theme.holders.iter().any(|h| o.name.contains(h)))
        {
            // Joint filings of an institution with a local enterprise of the same chain.
            applicants.push(Applicant { name: partner.name.clone(), address: None });
        }
        let inventors: Vec<String> = (0..rng.random_range(1..=5)).map(|_| person(&mut rng)).collect();
        let main = pick(&mut rng, theme.ipc);
        let mut ipc_codes: Vec<IpcCode> = Vec::new();
        for code in std::iter::once(main).chain((0..rng.random_range(0..3)).map(|_| pick(&mut rng, theme.ipc))) {
            if let Ok(c) = IpcCode::parse(code)
                && !ipc_codes.contains(&c)
            {
                ipc_codes.push(c);
            }
        }
        let publication_letter = match patent_type {
            PatentType::Invention => "A",
            PatentType::UtilityModel => "U",
            PatentType::Design => "S",
        };
        let pub_serial = 100_000_000 + u64::from(serial) * 7 % 99_999_999;
        // What the indicators read (lapse dates, foreign family, pledge financing) comes from a generator of
        // its own, so every record above stays as it was.
        let mut extra = StdRng::seed_from_u64(u64::from(serial) ^ 0x6109_1D1C);
        let lapse_date = grant_date
            .filter(|_| legal_status == LegalStatus::Lapsed)
            .map(|g| (g + Duration::days(extra.random_range(400..2400))).min(today));
        let granted_invention = patent_type == PatentType::Invention && legal_status == LegalStatus::Granted;
        let family = if granted_invention && extra.random_bool(0.06) {
            vec![format!("US{}A1", 20_230_000_000_u64 + u64::from(serial))]
        } else {
            Vec::new()
        };
        let pledged = granted_invention && extra.random_bool(0.06);
        let pledge_amount = pledged.then(|| Money::from_yuan(extra.random_range(2..=15) * 1_000_000)).flatten();
        out.push(PatentRecord {
            patent_type,
            publication_no: Some(format!("CN{pub_serial}{publication_letter}")),
            grant_no: grant_date.map(|_| {
                format!("CN{pub_serial}{}", if patent_type == PatentType::Invention { "B" } else { publication_letter })
            }),
            filing_date: Some(filing),
            publication_date: Some(published).filter(|d| *d <= today),
            grant_date,
            title,
            abstract_text,
            first_claim: String::new(),
            claims: String::new(),
            applicants,
            inventors,
            agency: agency.clone().filter(|_| rng.random_bool(0.6)),
            agents: Vec::new(),
            main_ipc: ipc_codes.first().cloned(),
            ipc_codes,
            cpc_codes: Vec::new(),
            priorities: Vec::new(),
            has_foreign_family: !family.is_empty(),
            family,
            citation_count: Some(rng.random_range(0..12)),
            cited_by_count: Some(rng.random_range(0..6)),
            transfer_count: 0,
            license_count: 0,
            pledge_count: u32::from(pledged),
            pledge_amount,
            transfer_date: None,
            license_date: None,
            pledge_date: None,
            lapse_date,
            legal_status,
            legal_status_raw: raw.to_owned(),
            province_code: Some("61".to_owned()),
            extra: Default::default(),
            application_no,
        });
    }
    out
}
