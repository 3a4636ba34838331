//! The demo data set: a plausible city with one account per role, for trying the platform out. It is
//! only written into an empty data directory and every record it writes is audited like any other.

use chrono::NaiveDate;
use ipbridge_domain::CreditCode;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::org::{InstitutionKind, Org, OrgFields, OrgId, OrgKind};
use ipbridge_domain::patent::{ApplicationNo, PatentRecord};
use ipbridge_domain::permission::Role;
use ipbridge_store::{AuditStore, OrgFilter, OrgStore, UserFilter, UserStore};
use serde_json::json;

use crate::accounts::{NewAccount, temporary_password};
use crate::demands::DemandForm;
use crate::profiles::ProfileForm;
use crate::{Actor, App, FieldErrors, Result, ServiceError};

/// How many fictional patents the demo writes: the generated ones and the few written out by hand below.
pub const DEMO_PATENTS: usize = 320;

/// A demo account and its password, printed once.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    /// Login name (the role's code).
    pub username: String,
    /// The role.
    pub role: Role,
    /// The password.
    pub password: String,
    /// The organisation it belongs to.
    pub org_name: String,
}

/// Fictional institutions: name, kind, county, faculties.
const INSTITUTIONS: &[(&str, InstitutionKind, &str, &[&str])] = &[
    (
        "安康理工学院",
        InstitutionKind::University,
        "610902",
        &["化学化工学院", "农学与生命科学学院", "电子与信息工程学院"],
    ),
    ("秦巴富硒生物技术研究院", InstitutionKind::Institute, "6109A1", &["富硒资源研究所", "天然药物研究所"]),
    ("汉江中医医院", InstitutionKind::Hospital, "610902", &["中药制剂中心", "临床研究部"]),
];

/// Fictional enterprises: name, county, the 17 leading credit-code characters (the check is computed).
const ENTERPRISES: &[(&str, &str, &str)] = &[
    ("安康硒源茶业有限公司", "610902", "91610902MA6YQ1A01"),
    ("紫阳富硒茶叶开发有限公司", "610924", "91610924MA6YQ2B02"),
    ("平利绞股蓝生物科技有限公司", "610926", "91610926MA6YQ3C03"),
    ("安康魔芋食品股份有限公司", "610902", "91610902MA6YQ4D04"),
    ("旬阳新型建材有限公司", "610981", "91610981MA6YQ5E05"),
    ("石泉蚕桑丝绸有限公司", "610922", "91610922MA6YQ6F06"),
    ("恒口毛绒玩具制造有限公司", "6109A2", "91610900MA6YQ7G07"),
    ("安康秦巴药业有限公司", "6109A1", "91610900MA6YQ8H08"),
    ("汉阴富硒粮油有限公司", "610921", "91610921MA6YQ9J09"),
    ("镇坪中药材种植专业合作社", "610927", "93610927MA6YQ0K10"),
];

/// What each demo enterprise does (经营范围, as a business licence words it) and its key chains: the profile
/// the matcher ranks enterprises by when the bureau looks for takers of a patent.
const PROFILES: &[(&str, &str, &[&str])] = &[
    (
        "安康硒源茶业有限公司",
        "富硒茶叶种植、加工与销售；富硒绿茶、红茶、黑茶及袋泡茶生产；茶多酚、速溶茶粉等茶叶深加工产品研发；\
         预包装食品销售；农产品初加工服务。",
        &["selenium_food"],
    ),
    (
        "紫阳富硒茶叶开发有限公司",
        "富硒茶园基地建设与茶叶种植；富硒绿茶、毛尖精制加工；茶叶机械化采摘与加工技术服务；茶园观光与茶文化体验；\
         农副产品收购与销售。",
        &["selenium_food", "eco_tourism"],
    ),
    (
        "平利绞股蓝生物科技有限公司",
        "绞股蓝种植与加工；绞股蓝茶、绞股蓝总皂苷提取物生产；保健食品、固体饮料研发与销售；中药材收购。",
        &["qinba_medicine", "selenium_food"],
    ),
    (
        "安康魔芋食品股份有限公司",
        "魔芋种植、收购与加工；魔芋精粉、魔芋膳食纤维及魔芋休闲食品生产销售；富硒魔芋制品研发；食品添加剂（魔芋胶）生产。",
        &["selenium_food"],
    ),
    (
        "旬阳新型建材有限公司",
        "新型墙体材料、装配式建筑板材生产销售；尾矿、废渣综合利用生产建筑材料；混凝土外加剂生产；建筑材料检测技术服务。",
        &["new_materials"],
    ),
    (
        "石泉蚕桑丝绸有限公司",
        "蚕桑种养；缫丝、丝绸面料织造与印染；蚕丝被及丝绸服饰生产销售；桑叶茶、桑葚等蚕桑副产品开发。",
        &["textile_apparel"],
    ),
    (
        "恒口毛绒玩具制造有限公司",
        "毛绒玩具、布艺玩具及文创礼品的设计、生产与销售；玩具填充材料加工；货物进出口。",
        &["plush_toys"],
    ),
    (
        "安康秦巴药业有限公司",
        "中药饮片、中成药生产销售；天麻、杜仲、黄姜等秦巴道地药材提取物研发；药品检验技术服务；中药材种植。",
        &["qinba_medicine"],
    ),
    (
        "汉阴富硒粮油有限公司",
        "富硒大米、富硒菜籽油、核桃油加工与销售；粮食收购与仓储；富硒挂面等粮油制品生产。",
        &["selenium_food"],
    ),
    (
        "镇坪中药材种植专业合作社",
        "黄连、独活、天麻等中药材种植、初加工与销售；中药材种苗繁育；为成员提供种植技术培训与农资采购服务。",
        &["qinba_medicine"],
    ),
];

/// A patent written out by hand: holder, type digit, filing date, grant date (none: pending), title, abstract,
/// first claim, IPC codes (main first), inventors.
struct Showcase {
    holder: &'static str,
    type_digit: u8,
    serial: u32,
    filed: (i32, u32, u32),
    granted: Option<(i32, u32, u32)>,
    title: &'static str,
    abstract_text: &'static str,
    first_claim: &'static str,
    ipc: &'static [&'static str],
    inventors: &'static [&'static str],
}

/// A few patents of the demo institutions on the city's flagship need, deep processing of selenium-rich tea,
/// written in full (claims, several classes) as a university's technology office would file them. They give
/// the demo's walk-through a transferable institution patent to find, to declare interest in and to push.
const SHOWCASE: &[Showcase] = &[
    Showcase {
        holder: "安康理工学院",
        type_digit: 1,
        serial: 6_109_001,
        filed: (2019, 4, 16),
        granted: Some((2021, 9, 24)),
        title: "一种富硒茶叶深加工工艺及富硒速溶茶粉的制备方法",
        abstract_text: "本发明公开了一种富硒茶叶深加工工艺及富硒速溶茶粉的制备方法，属于富硒茶叶加工技术领域。以富硒茶区的\
            夏秋茶鲜叶为原料，经摊晾、低温微波杀青、揉捻和分段热风干燥制得富硒绿茶；加工中产生的碎茶和茶末经超微粉碎、\
            低温浸提、膜浓缩和真空冷冻干燥制成富硒速溶茶粉。杀青和干燥温度按鲜叶含水率在线调控，有机硒保留率达到90%以上，\
            茶多酚得率提高约25%，夏秋茶和碎茶得到充分利用，可在现有茶叶生产线上改造实施。",
        first_claim: "1. 一种富硒茶叶深加工工艺，其特征在于，包括以下步骤：（1）将富硒茶鲜叶摊晾至含水率68%～72%；\
            （2）采用微波杀青，杀青叶温控制在85℃～95℃；（3）揉捻后分两段热风干燥，第一段110℃～120℃，第二段80℃～90℃；\
            （4）将碎茶和茶末超微粉碎至200目以上，于50℃以下浸提，浸提液经膜浓缩后真空冷冻干燥，得富硒速溶茶粉。",
        ipc: &["A23F3/06", "A23F3/16", "A23F3/22"],
        inventors: &["陈建华", "李芳", "王磊"],
    },
    Showcase {
        holder: "安康理工学院",
        type_digit: 1,
        serial: 6_109_002,
        filed: (2020, 7, 8),
        granted: Some((2022, 11, 15)),
        title: "一种富硒茶叶中茶多酚与有机硒的联合提取方法",
        abstract_text: "本发明公开了一种富硒茶叶中茶多酚与有机硒的联合提取方法，用于富硒茶叶深加工及其副产物利用。以富硒\
            茶叶加工中产生的茶末、茶梗为原料，经乙醇—水体系超声辅助提取、大孔树脂分段洗脱，分别得到茶多酚和富硒多糖—蛋白\
            组分；茶多酚纯度大于95%，有机硒回收率大于80%。提取溶剂可循环使用，显著提高了富硒茶叶副产物的附加值。",
        first_claim: "1. 一种富硒茶叶中茶多酚与有机硒的联合提取方法，其特征在于：以富硒茶末或茶梗为原料，用体积分数\
            50%～70%的乙醇水溶液超声辅助提取，提取液经大孔吸附树脂吸附后，先以水洗脱得富硒多糖—蛋白组分，再以乙醇洗脱得\
            茶多酚。",
        ipc: &["A23F3/16", "A23L33/105", "A23L33/16"],
        inventors: &["刘海燕", "陈建华"],
    },
    Showcase {
        holder: "安康理工学院",
        type_digit: 2,
        serial: 6_109_003,
        filed: (2022, 3, 10),
        granted: Some((2022, 9, 27)),
        title: "一种富硒茶叶深加工用连续式微波杀青装置",
        abstract_text: "本实用新型公开了一种富硒茶叶深加工用连续式微波杀青装置，包括机架、输送网带、微波谐振腔、排湿风机\
            和红外测温组件；输送网带穿过微波谐振腔，红外测温组件检测茶叶叶温并调节微波功率。该装置杀青均匀、叶温可控，\
            减少了有机硒和茶多酚的热损失，适用于富硒茶叶加工企业的连续化生产。",
        first_claim: "1. 一种富硒茶叶深加工用连续式微波杀青装置，包括机架，其特征在于：所述机架上设有输送网带和微波\
            谐振腔，输送网带穿过微波谐振腔，微波谐振腔出口处设有红外测温组件，红外测温组件与微波电源的控制器连接。",
        ipc: &["A23F3/06", "A23N12/08"],
        inventors: &["王磊", "张志强"],
    },
    Showcase {
        holder: "秦巴富硒生物技术研究院",
        type_digit: 1,
        serial: 6_109_004,
        filed: (2024, 5, 20),
        granted: None,
        title: "一种富硒红茶发酵工艺及发酵程度在线检测方法",
        abstract_text: "本发明公开了一种富硒红茶发酵工艺及发酵程度在线检测方法。富硒红茶在恒温恒湿条件下发酵，以机器视觉\
            采集叶色、以近红外光谱检测茶黄素含量，据此判断发酵终点，发酵适度率达到95%以上，产品汤色红亮、滋味醇厚。",
        first_claim: "1. 一种富硒红茶发酵工艺，其特征在于：萎凋、揉捻后的富硒茶叶在温度26℃～30℃、相对湿度90%以上的\
            条件下发酵，发酵过程中以近红外光谱在线检测茶黄素含量，达到设定值时结束发酵。",
        ipc: &["A23F3/08", "G01N21/359"],
        inventors: &["赵晓东", "黄丽娟", "马勇"],
    },
];

fn showcase_records(orgs: &[Org]) -> Result<Vec<PatentRecord>> {
    let date = |(y, m, d): (i32, u32, u32)| {
        NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| ServiceError::Internal(format!("demo date {y}-{m}-{d}")))
    };
    let mut out = Vec::with_capacity(SHOWCASE.len());
    for p in SHOWCASE {
        let filed = date(p.filed)?;
        let no = ApplicationNo::from_parts(u16::try_from(p.filed.0).unwrap_or(2020), p.type_digit, p.serial)
            .map_err(|e| ServiceError::Internal(format!("demo application number: {e}")))?;
        let address = orgs.iter().find(|o| o.name == p.holder).map(|o| format!("陕西省安康市{}", o.address));
        let granted = p.granted.map(date).transpose()?;
        let letter = if p.type_digit == 1 { "A" } else { "U" };
        let value = json!({
            "application_no": no.as_str(),
            "patent_type": if p.type_digit == 1 { "invention" } else { "utility_model" },
            "publication_no": format!("CN{}{letter}", 118_000_000 + p.serial % 1_000_000),
            "grant_no": granted.map(|_| format!("CN{}{}", 118_000_000 + p.serial % 1_000_000, if p.type_digit == 1 { "B" } else { "U" })),
            "filing_date": filed,
            "grant_date": granted,
            "title": p.title,
            "abstract_text": p.abstract_text,
            "first_claim": p.first_claim,
            "applicants": [{"name": p.holder, "address": address}],
            "inventors": p.inventors,
            "main_ipc": p.ipc[0],
            "ipc_codes": p.ipc,
            "legal_status": if granted.is_some() { "granted" } else { "pending" },
            "legal_status_raw": if granted.is_some() { "有权-审定授权" } else { "审中-实质审查" },
            "province_code": "61",
        });
        out.push(
            serde_json::from_value(value)
                .map_err(|e| ServiceError::Internal(format!("demo patent {}: {e}", p.title)))?,
        );
    }
    Ok(out)
}

fn fields(kind: OrgKind, name: &str) -> OrgFields {
    OrgFields {
        kind,
        institution_kind: None,
        name: name.to_owned(),
        credit_code: None,
        county_code: None,
        department_code: None,
        contact_name: String::new(),
        address: String::new(),
        active: true,
    }
}

impl App {
    /// Fills an empty platform with the demo city. Returns `None` when the data directory already holds
    /// organisations or accounts (the demo never mixes into real data). `password` sets every demo
    /// password; without it each account gets its own random one.
    pub async fn seed_demo(&self, actor: &Actor, password: Option<&str>) -> Result<Option<Vec<DemoAccount>>> {
        if !actor.is_cli() {
            return Err(ServiceError::Forbidden);
        }
        {
            let mut tx = self.db.read().await?;
            if tx.count_orgs(&OrgFilter::default()).await? > 0 || tx.count_users(&UserFilter::default()).await? > 0 {
                return Ok(None);
            }
        }
        if let Some(p) = password {
            // Checked once here so the message names the variable instead of the first account.
            if let Err(e) = self.settings.password_policy().check("", p) {
                let mut errors = FieldErrors::new();
                errors.add("password", format!("IPBRIDGE_DEMO_PASSWORD 不符合密码规则：{e}"));
                return Err(ServiceError::Invalid(errors));
            }
        }
        let orgs = self.seed_demo_orgs(actor).await?;
        let mut accounts = Vec::new();
        for role in Role::ALL {
            let (org_id, org_name) = orgs.for_role(role);
            let faculty_id = match role {
                Role::FacultyReviewer | Role::Inventor => orgs.faculty,
                _ => None,
            };
            let password = password.map(str::to_owned).unwrap_or_else(temporary_password);
            let new = NewAccount {
                username: role.code().to_owned(),
                display_name: format!("演示{}", role.label()),
                org_id: Some(org_id),
                faculty_id,
                password: password.clone(),
            };
            self.create_account_inner(actor, &new, &[role], true).await?;
            accounts.push(DemoAccount { username: role.code().to_owned(), role, password, org_name });
        }
        // A few hundred fictional patents of the demo institutions and enterprises.
        let orgs = self.db.read().await?.list_orgs(&OrgFilter::default()).await?;
        let today = self.china_today();
        let mut patents = crate::demo_patents::demo_patents(&orgs, DEMO_PATENTS - SHOWCASE.len(), today);
        patents.extend(showcase_records(&orgs)?);
        let run = self.import_records(actor, "演示专利数据", patents).await?;
        let demands = self.seed_demo_matching(actor, &orgs, today).await?;
        let records = self.seed_demo_revitalisation(&orgs, today).await?;
        let statistics = self.seed_demo_indicators(today).await?;
        self.record(actor.audit(
            Action::DemoSeed,
            "platform",
            "",
            Outcome::Success,
            json!({
                "accounts": accounts.len(),
                "patents": run.counts.inserted,
                "demands": demands,
                "inventory_records": records,
                "statistics_months": statistics,
            }),
        ))
        .await?;
        Ok(Some(accounts))
    }

    /// The enterprises' profiles and a few demands, posted and reviewed by the demo accounts through the same
    /// use-cases as in the browser (so each step has its history, audit record and notices): a published demand
    /// of the demo enterprise, another of it awaiting review, and one an agency posted for a toy maker.
    /// Returns how many demands were written.
    async fn seed_demo_matching(&self, actor: &Actor, orgs: &[Org], today: NaiveDate) -> Result<usize> {
        let find = |name: &str| {
            orgs.iter()
                .find(|o| o.name == name)
                .map(|o| o.id)
                .ok_or_else(|| ServiceError::Internal(format!("demo organisation {name} missing")))
        };
        for (name, scope, chains) in PROFILES {
            let form = ProfileForm {
                business_scope: (*scope).to_owned(),
                chain_codes: chains.iter().map(|c| (*c).to_owned()).collect(),
            };
            self.update_enterprise_profile(actor, find(name)?, &form).await?;
        }
        let as_account = |role: Role| async move {
            let user = self.account_by_name(role.code()).await?;
            Ok::<_, ServiceError>(Actor::logged_in(user, "local", format!("demo-{}", crate::secrets::random_hex(6))))
        };
        let enterprise = as_account(Role::EnterpriseUser).await?;
        let agency = as_account(Role::AgencyUser).await?;
        let bureau = as_account(Role::BureauOfficer).await?;
        let deadline = (today + chrono::Duration::days(180)).to_string();

        let tea = DemandForm {
            enterprise_org_id: None,
            title: "富硒茶叶深加工工艺".into(),
            description: "我公司在汉滨区、紫阳县有富硒茶园约3000亩，年产干茶约200吨，产品以富硒绿茶为主。夏秋茶和\
                修剪叶利用率低，碎茶、茶末多作低价原料出售，附加值不高。现寻求富硒茶叶深加工工艺：在杀青、干燥等环节减少\
                有机硒和茶多酚的损失（有机硒保留率不低于85%），并利用夏秋茶和碎茶开发富硒速溶茶粉、茶多酚提取物等深加工\
                产品，要求能在现有生产线上改造实施，年处理鲜叶不少于500吨。可采用专利许可或转让，也欢迎高校院所联合开发。"
                .into(),
            chain_code: "selenium_food".into(),
            ipc_codes: "A23F3/06".into(),
            cooperation_mode: "license".into(),
            budget_min: "300000".into(),
            budget_max: "800000".into(),
            deadline: deadline.clone(),
            contact_name: "王经理".into(),
            contact_phone: "13991501234".into(),
        };
        let tea_id = self.create_demand(&enterprise, &tea, true).await?;
        self.publish_demand(&bureau, tea_id).await?;

        let residue = DemandForm {
            enterprise_org_id: None,
            title: "茶园修剪枝叶与茶渣综合利用技术".into(),
            description: "每年茶园修剪产生枝叶约800吨、加工产生茶渣约50吨，目前多为就地堆放或焚烧。希望获得将修剪\
                枝叶和茶渣制成有机肥、食用菌栽培基质或饲料添加剂的实用技术，设备投资不超过100万元，工艺简单、便于在\
                茶叶合作社推广。"
                .into(),
            chain_code: "selenium_food".into(),
            ipc_codes: String::new(),
            cooperation_mode: "consulting".into(),
            budget_min: String::new(),
            budget_max: "200000".into(),
            deadline: deadline.clone(),
            contact_name: "王经理".into(),
            contact_phone: "13991501234".into(),
        };
        self.create_demand(&enterprise, &residue, true).await?;

        let toys = DemandForm {
            enterprise_org_id: Some(find("恒口毛绒玩具制造有限公司")?),
            title: "毛绒玩具自动充棉与缝合质检设备".into(),
            description: "企业现有毛绒玩具生产线12条，充棉依靠人工称量，克重偏差大，缝合后断针、漏缝靠人工抽检，\
                出口订单对安全标准要求高。希望联合开发或引进自动称量充棉设备和缝合质检（金属检测、视觉检测）装置，\
                充棉克重偏差不超过±3%，检测速度每分钟不少于20件。"
                .into(),
            chain_code: "plush_toys".into(),
            ipc_codes: "A63H3/02; D04H1/42".into(),
            cooperation_mode: "joint_development".into(),
            budget_min: "200000".into(),
            budget_max: "500000".into(),
            deadline,
            contact_name: "周经理".into(),
            contact_phone: "0915-3212345".into(),
        };
        let toys_id = self.create_demand(&agency, &toys, true).await?;
        self.publish_demand(&bureau, toys_id).await?;
        Ok(3)
    }

    async fn seed_demo_orgs(&self, actor: &Actor) -> Result<DemoOrgs> {
        let now = self.now();
        let policy = &self.policy;
        let mut tx = self.db.begin().await?;
        let mut created: Vec<(OrgId, OrgFields)> = Vec::new();

        let mut bureau = fields(OrgKind::Bureau, &self.bureau_org_name());
        bureau.contact_name = "知识产权科".into();
        created.push((tx.insert_org(&bureau, now).await?, bureau));

        for d in policy.departments.iter().filter(|d| !d.is_bureau) {
            let mut f = fields(
                OrgKind::Department,
                &format!("{}{}", policy.city.name, d.name.strip_prefix('市').unwrap_or(&d.name)),
            );
            f.department_code = Some(d.code.clone());
            created.push((tx.insert_org(&f, now).await?, f));
        }
        for c in &policy.counties {
            let name = if c.kind.is_administrative_division() {
                format!("{}人民政府", c.name)
            } else {
                format!("{}管理委员会", c.name)
            };
            let mut f = fields(OrgKind::County, &name);
            f.county_code = Some(c.code.clone());
            created.push((tx.insert_org(&f, now).await?, f));
        }
        let mut faculty = None;
        for (name, kind, county, faculties) in INSTITUTIONS {
            let mut f = fields(OrgKind::Institution, name);
            f.institution_kind = Some(*kind);
            f.county_code = policy.county(county).map(|c| c.code.clone());
            f.contact_name = "科技处".into();
            let id = tx.insert_org(&f, now).await?;
            for fac in *faculties {
                let fid = tx.insert_faculty(id, fac).await?;
                faculty.get_or_insert(fid);
            }
            created.push((id, f));
        }
        for (name, county, first17) in ENTERPRISES {
            let mut f = fields(OrgKind::Enterprise, name);
            f.credit_code = Some(
                CreditCode::with_check(first17)
                    .map_err(|e| ServiceError::Internal(format!("demo credit code {first17}: {e}")))?,
            );
            f.county_code = policy.county(county).map(|c| c.code.clone());
            f.contact_name = "技术中心".into();
            created.push((tx.insert_org(&f, now).await?, f));
        }
        for (kind, name) in [
            (OrgKind::Lender, "秦巴农村商业银行安康分行"),
            (OrgKind::Insurer, "汉水财产保险安康中心支公司"),
            (OrgKind::Agency, "安康智诚知识产权代理事务所"),
        ] {
            let f = fields(kind, name);
            created.push((tx.insert_org(&f, now).await?, f));
        }
        for (id, f) in &created {
            tx.append_audit(&actor.audit(
                Action::OrgCreate,
                "org",
                id,
                Outcome::Success,
                json!({"name": f.name, "kind": f.kind.code(), "demo": true}),
            ))
            .await?;
        }
        tx.commit().await?;
        Ok(DemoOrgs { created, faculty })
    }
}

struct DemoOrgs {
    created: Vec<(OrgId, OrgFields)>,
    faculty: Option<ipbridge_domain::org::FacultyId>,
}

impl DemoOrgs {
    /// The first organisation whose kind fits the role (the first institution, the first enterprise…).
    fn for_role(&self, role: Role) -> (OrgId, String) {
        self.created
            .iter()
            .find(|(_, f)| role.fits_org(f.kind))
            .map(|(id, f)| (*id, f.name.clone()))
            .unwrap_or_else(|| (self.created[0].0, self.created[0].1.name.clone()))
    }
}
