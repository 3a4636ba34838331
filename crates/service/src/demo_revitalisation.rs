//! The demo's stock-patent revitalisation (存量专利盘活): records of the demo university at every step of the
//! review chain, a transferable pool with selenium-tea patents, a push campaign with feedback, inquiries, a
//! planned roadshow and a licence deal — written by the demo accounts through the same use-cases as in the
//! browser, so each step has its history, audit record and notices.
//!
//! The first showcase patent (富硒茶叶深加工工艺及富硒速溶茶粉) is left without a record, linked to the demo
//! inventor: the walk-through files it and takes it all the way to a deal.

use chrono::NaiveDate;
use ipbridge_domain::ids::PatentId;
use ipbridge_domain::org::{Org, OrgId};
use ipbridge_domain::permission::Role;
use ipbridge_domain::revitalisation::{CampaignSelection, InventoryInput, ReviewAction};
use ipbridge_store::FacultyScope;

use crate::revitalisation::campaigns::CampaignForm;
use crate::revitalisation::coverage::UnrecordedQuery;
use crate::revitalisation::deals::{DealForm, PartyForm};
use crate::revitalisation::inventory::InventoryForm;
use crate::revitalisation::pool::FeedbackForm;
use crate::revitalisation::roadshows::{RegistrationForm, RoadshowForm};
use crate::{Actor, App, Result, ServiceError};

/// How far along the review chain a demo record is taken.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Draft,
    Returned,
    Submitted,
    FacultyApproved,
    BasePool,
    Pool,
}

/// The non-confidential brief of a demo record.
struct Brief {
    intent: &'static str,
    grade: &'static str,
    trl: &'static str,
    problem: String,
    advantage: String,
    fields: String,
    route: String,
    price: (&'static str, &'static str),
}

impl App {
    /// Seeds the revitalisation demo. Returns how many inventory records were written.
    pub(crate) async fn seed_demo_revitalisation(&self, orgs: &[Org], today: NaiveDate) -> Result<usize> {
        let find_org = |name: &str| {
            orgs.iter()
                .find(|o| o.name == name)
                .map(|o| o.id)
                .ok_or_else(|| ServiceError::Internal(format!("demo organisation {name} missing")))
        };
        let as_account = |role: Role| async move {
            let user = self.account_by_name(role.code()).await?;
            Ok::<_, ServiceError>(Actor::logged_in(user, "local", format!("demo-{}", crate::secrets::random_hex(6))))
        };
        let inventor = as_account(Role::Inventor).await?;
        let reviewer = as_account(Role::FacultyReviewer).await?;
        let admin = as_account(Role::InstitutionAdmin).await?;
        let bureau = as_account(Role::BureauOfficer).await?;
        let enterprise = as_account(Role::EnterpriseUser).await?;
        let inventor_user = inventor.user.clone().ok_or_else(|| ServiceError::Internal("demo inventor".into()))?;
        let faculty = inventor_user.faculty_id.map(|f| f.get().to_string()).unwrap_or_default();

        // The university's patents still to be recorded (the demo admin belongs to the first institution).
        let unrecorded = self
            .unrecorded_patents(&admin, &UnrecordedQuery { org: None, faculty: FacultyScope::Any, limit: 0, offset: 0 })
            .await?
            .patents;
        let by_title = |prefix: &str| {
            unrecorded
                .iter()
                .find(|p| p.title.starts_with(prefix))
                .map(|p| (p.patent_id, p.application_no.clone()))
                .ok_or_else(|| ServiceError::Internal(format!("demo patent {prefix} not in scope")))
        };
        let walkthrough = by_title("一种富硒茶叶深加工工艺")?;
        let extraction = by_title("一种富硒茶叶中茶多酚与有机硒的联合提取方法")?;
        let fixation = by_title("一种富硒茶叶深加工用连续式微波杀青装置")?;

        // The inventor's own patents, linked by the institution admin.
        for ((patent, _), name) in [(&walkthrough, "陈建华"), (&extraction, "陈建华"), (&fixation, "王磊")] {
            self.link_inventor(&admin, *patent, inventor_user.id, name).await?;
        }

        // Two selenium-tea patents filed by their inventor and taken into the transferable pool.
        let mut written = 0;
        let tea_brief = Brief {
            intent: "license",
            grade: "4",
            trl: "6",
            problem: "富硒茶加工中的茶末、茶梗多作低价原料出售，其中的茶多酚和有机硒没有得到利用。".into(),
            advantage: "一次提取同时得到纯度95%以上的茶多酚和富硒多糖—蛋白组分，有机硒回收率80%以上，溶剂循环使用。"
                .into(),
            fields: "富硒茶深加工、功能性食品配料、保健食品原料".into(),
            route: "以专利普通许可方式许可茶叶加工企业，学院提供中试工艺包和技术培训。".into(),
            price: ("200000", "500000"),
        };
        self.demo_record(
            &inventor,
            &reviewer,
            &admin,
            extraction.0,
            &faculty,
            "selenium_food",
            &tea_brief,
            Stage::Pool,
        )
        .await?;
        let fixation_brief = Brief {
            intent: "assign",
            grade: "3",
            trl: "7",
            problem: "滚筒杀青叶温不均，富硒茶中的有机硒和茶多酚热损失大，连续化生产难以控制质量。".into(),
            advantage: "微波谐振腔配红外测温闭环调功，叶温偏差小于3℃，可直接接入现有连续化生产线。".into(),
            fields: "富硒绿茶、黄茶的杀青工序；茶叶加工装备制造".into(),
            route: "转让给茶机制造企业批量生产，或许可茶叶企业自建产线。".into(),
            price: ("300000", "800000"),
        };
        self.demo_record(
            &inventor,
            &reviewer,
            &admin,
            fixation.0,
            &faculty,
            "selenium_food",
            &fixation_brief,
            Stage::Pool,
        )
        .await?;
        written += 2;

        // Other patents of the university at every step, filed by the institution admin.
        let stages =
            [Stage::Pool, Stage::Pool, Stage::BasePool, Stage::FacultyApproved, Stage::Submitted, Stage::Returned];
        let others: Vec<&_> = unrecorded
            .iter()
            .filter(|p| ![walkthrough.0, extraction.0, fixation.0].contains(&p.patent_id))
            .filter(|p| p.title.chars().count() >= 8)
            .take(stages.len())
            .collect();
        let mut pool_others: Vec<(PatentId, String)> = Vec::new();
        for (patent, stage) in others.iter().zip(stages) {
            let subject = patent.title.trim_start_matches("一种").to_owned();
            let brief = Brief {
                intent: if stage == Stage::Pool { "license" } else { "assign" },
                grade: "3",
                trl: "5",
                problem: format!("现有{subject}相关工艺在效率和质量稳定性上不足，难以满足规模化生产需要。"),
                advantage: format!("本专利给出{subject}的完整技术方案，已完成小试验证，关键指标优于常规做法。"),
                fields: "安康市相关产业链企业的生产与技术改造".into(),
                route: "许可或转让给本地企业实施，学校提供技术服务。".into(),
                price: ("100000", "300000"),
            };
            self.demo_record(&admin, &reviewer, &admin, patent.patent_id, &faculty, "", &brief, stage).await?;
            if stage == Stage::Pool {
                pool_others.push((patent.patent_id, patent.application_no.clone()));
            }
            written += 1;
        }

        // The bureau pushes the fixation device to two tea enterprises; the demo enterprise answers and asks.
        let tea_company = find_org("安康硒源茶业有限公司")?;
        let ziyang = find_org("紫阳富硒茶叶开发有限公司")?;
        self.create_campaign(
            &bureau,
            &CampaignForm {
                title: "富硒茶深加工专利专场推送".into(),
                selection: CampaignSelection::Manual,
                chain_code: None,
                note: "面向富硒茶加工企业，推送高校可转化专利。".into(),
                patents: vec![fixation.0],
                enterprises: vec![tea_company, ziyang],
            },
        )
        .await?;
        self.give_pool_feedback(
            &enterprise,
            fixation.0,
            &FeedbackForm {
                prospect: "4".into(),
                improvement_needs: "希望增加与现有滚筒杀青机串联的接口，并提供每小时处理量和能耗数据。".into(),
                intent: "possible".into(),
                preferred_mode: "license".into(),
                reason: String::new(),
                reason_text: String::new(),
            },
        )
        .await?;
        let asked = self
            .ask_inquiry(&enterprise, fixation.0, "该杀青装置每小时处理鲜叶量是多少？能否与滚筒杀青机串联使用？")
            .await?;
        self.answer_inquiry(
            &admin,
            asked,
            "样机每小时处理鲜叶约150千克，出口可与滚筒杀青机或揉捻机输送带对接。欢迎到学院中试车间实地考察。",
        )
        .await?;
        self.ask_inquiry(&enterprise, fixation.0, "微波谐振腔的功率和整机能耗是多少？是否需要单独的三相电源？").await?;

        // A roadshow of the selenium-tea patents in three weeks, and the demo enterprise's registration.
        let roadshow = self
            .create_roadshow(
                &bureau,
                &RoadshowForm {
                    title: "富硒食品产业链高校专利路演".into(),
                    held_on: (today + chrono::Duration::days(21)).to_string(),
                    mode: "onsite".into(),
                    venue: "安康市科技创新中心一楼路演厅".into(),
                    online_link: String::new(),
                    chain_code: "selenium_food".into(),
                    description: "安康理工学院富硒茶加工专利集中路演，发明人现场讲解，企业一对一洽谈。".into(),
                    registration_deadline: (today + chrono::Duration::days(18)).to_string(),
                    patents: vec![extraction.0, fixation.0],
                },
            )
            .await?;
        self.register_roadshow(
            &enterprise,
            roadshow,
            &RegistrationForm {
                contact_name: "王经理".into(),
                contact_phone: "13991501234".into(),
                attendees: "2".into(),
                note: "重点了解连续式微波杀青装置。".into(),
                interests: vec![fixation.0],
            },
        )
        .await?;

        // One pool patent already licensed: it counts as converted in coverage.
        if let Some((_, application_no)) = pool_others.first() {
            self.demo_licence(&admin, application_no, find_org("安康魔芋食品股份有限公司")?, today).await?;
        }
        Ok(written)
    }

    /// Files one record as `filer` (the linked inventor or the institution admin), reviewed through the
    /// faculty, and takes it to `stage`.
    #[allow(clippy::too_many_arguments)]
    async fn demo_record(
        &self,
        filer: &Actor,
        reviewer: &Actor,
        admin: &Actor,
        patent: PatentId,
        faculty: &str,
        chain: &str,
        brief: &Brief,
        stage: Stage,
    ) -> Result<()> {
        let form = InventoryForm {
            input: InventoryInput {
                transfer_intent: brief.intent.into(),
                already_implemented: "否".into(),
                prospect_grade: brief.grade.into(),
                maturity: brief.trl.into(),
                problem_solved: brief.problem.clone(),
                advantage: brief.advantage.clone(),
                application_fields: brief.fields.clone(),
                route_to_market: brief.route.clone(),
                price_min: brief.price.0.into(),
                price_max: brief.price.1.into(),
                contact_name: "陈建华".into(),
                contact_phone: "13891501234".into(),
            },
            faculty_id: faculty.to_owned(),
            chain_code: chain.to_owned(),
        };
        let id = self.create_inventory_record(filer, patent, &form, stage > Stage::Draft).await?;
        let steps: &[(&Actor, ReviewAction, &str)] = match stage {
            Stage::Draft | Stage::Submitted => &[],
            Stage::Returned => {
                &[(reviewer, ReviewAction::ReturnForRevision, "请补充技术成熟度的依据（小试或中试数据）。")]
            }
            Stage::FacultyApproved => &[(reviewer, ReviewAction::Approve, "材料齐全，同意。")],
            Stage::BasePool | Stage::Pool => &[
                (reviewer, ReviewAction::Approve, "材料齐全，同意。"),
                (admin, ReviewAction::Approve, "同意纳入学校存量专利基础库。"),
                (admin, ReviewAction::AddToBasePool, ""),
            ],
        };
        for (actor, action, comment) in steps {
            self.inventory_step(actor, id, *action, comment).await?;
        }
        if stage == Stage::Pool {
            self.inventory_step(admin, id, ReviewAction::ScreenIntoPool, "技术成熟、转化意愿明确，遴选入库。").await?;
        }
        Ok(())
    }

    /// A licence of one patent to `licensee`, recorded by the institution admin.
    async fn demo_licence(&self, admin: &Actor, application_no: &str, licensee: OrgId, today: NaiveDate) -> Result<()> {
        let signed = today - chrono::Duration::days(30);
        let form = DealForm {
            project_id: None,
            kind: "license".into(),
            holder_org_id: None,
            patents: application_no.to_owned(),
            parties: vec![PartyForm {
                role: "counterparty".into(),
                org_id: Some(licensee),
                name: String::new(),
                credit_code: String::new(),
            }],
            amount: "150000".into(),
            royalty: String::new(),
            signed_on: signed.to_string(),
            effective_from: signed.to_string(),
            effective_to: (signed + chrono::Duration::days(3 * 365)).to_string(),
            contract_no: format!("AKLG-XK-{}-001", signed.format("%Y")),
            license_scope: "ordinary".into(),
            filing_status: "pending".into(),
            filed_on: String::new(),
            filing_no: String::new(),
            note: "普通许可三年，一次性支付许可费。".into(),
        };
        self.create_deal(admin, &form).await?;
        Ok(())
    }
}
