//! The demo data set: a plausible city with one account per role, for trying the platform out. It is
//! only written into an empty data directory and every record it writes is audited like any other.

use ipbridge_domain::CreditCode;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::org::{InstitutionKind, OrgFields, OrgId, OrgKind};
use ipbridge_domain::permission::Role;
use ipbridge_store::{AuditStore, OrgFilter, OrgStore, UserFilter, UserStore};
use serde_json::json;

use crate::accounts::{NewAccount, temporary_password};
use crate::{Actor, App, FieldErrors, Result, ServiceError};

/// How many fictional patents the demo writes.
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
        let today = crate::auth::china_time(self.now()).date_naive();
        let patents = crate::demo_patents::demo_patents(&orgs, DEMO_PATENTS, today);
        let run = self.import_records(actor, "演示专利数据", patents).await?;
        self.record(actor.audit(
            Action::DemoSeed,
            "platform",
            "",
            Outcome::Success,
            json!({"accounts": accounts.len(), "patents": run.counts.inserted}),
        ))
        .await?;
        Ok(Some(accounts))
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
