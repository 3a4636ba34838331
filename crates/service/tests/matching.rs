//! Matchmaking use-cases on a real SQLite file: demands and their review, demand imports, match records and
//! their workflow between the enterprise, the holder and the bureau, notifications, enterprise profiles —
//! and the permission boundaries between organisations.

use chrono::{Duration, NaiveDate};
use ipbridge_domain::CreditCode;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::demand::{DemandAction, DemandStatus};
use ipbridge_domain::ids::{DemandId, OrgId, PatentId};
use ipbridge_domain::matching::{MatchOrigin, MatchSide, MatchState, NotInterestedReason};
use ipbridge_domain::notification::NotificationKind;
use ipbridge_domain::org::OrgKind;
use ipbridge_domain::patent::{ApplicationNo, PatentRecord};
use ipbridge_domain::permission::Role;
use ipbridge_service::accounts::NewAccount;
use ipbridge_service::demands::DemandForm;
use ipbridge_service::matches::{MatchChange, PushTarget, SaveMatch};
use ipbridge_service::orgs::OrgForm;
use ipbridge_service::profiles::ProfileForm;
use ipbridge_service::{
    Actor, App, AuditFilter, DemandFilter, Format, MatchFilter, ServiceError, Settings, demand_template_xlsx,
};
use serde_json::json;

const PASSWORD: &str = "Demo#2026pass";

/// A small city: the bureau, two enterprises, an agency, two institutions, a lender; one or two accounts each;
/// patents held by each institution, by enterprise A, and one held by nobody on the platform.
struct World {
    _dir: tempfile::TempDir,
    app: App,
    ent_a: OrgId,
    ent_b: OrgId,
    inst: OrgId,
    p_inst: PatentId,
    p_other: PatentId,
    p_unlinked: PatentId,
    p_ent_a: PatentId,
}

async fn org(app: &App, kind: OrgKind, name: &str, first17: Option<&str>) -> OrgId {
    let form = OrgForm {
        kind: kind.code().into(),
        institution_kind: if kind == OrgKind::Institution { "university".into() } else { String::new() },
        name: name.into(),
        credit_code: first17.map(|c| CreditCode::with_check(c).unwrap().to_string()).unwrap_or_default(),
        county_code: if kind == OrgKind::Enterprise { "610902".into() } else { String::new() },
        active: true,
        ..OrgForm::default()
    };
    app.create_org(&Actor::cli(), &form).await.unwrap()
}

async fn account(app: &App, name: &str, org: OrgId, role: Role) {
    let new = NewAccount {
        username: name.into(),
        display_name: name.into(),
        org_id: Some(org),
        faculty_id: None,
        password: PASSWORD.into(),
    };
    app.bootstrap_account(&Actor::cli(), &new, &[role]).await.unwrap();
}

fn record(serial: u32, title: &str, applicants: &[&str]) -> PatentRecord {
    let no = ApplicationNo::from_parts(2021, 1, serial).unwrap();
    let applicants: Vec<_> = applicants.iter().map(|a| json!({"name": a})).collect();
    serde_json::from_value(json!({
        "application_no": no.as_str(), "patent_type": "invention", "title": title, "legal_status": "granted",
        "applicants": applicants, "filing_date": "2021-03-01",
        "abstract_text": format!("{title}，涉及富硒茶叶加工。"),
    }))
    .unwrap()
}

impl World {
    async fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        settings.server.data_dir = dir.path().to_owned();
        let app = App::open(settings, ipbridge_service::load_policy(None).unwrap()).await.unwrap();
        let bureau = app.ensure_bureau_org(&Actor::cli()).await.unwrap();
        let ent_a = org(&app, OrgKind::Enterprise, "安康硒源茶业有限公司", Some("91610902MA6YQ1A01")).await;
        let ent_b = org(&app, OrgKind::Enterprise, "安康魔芋食品股份有限公司", Some("91610902MA6YQ4D04")).await;
        let agency = org(&app, OrgKind::Agency, "安康智诚知识产权代理事务所", None).await;
        let inst = org(&app, OrgKind::Institution, "安康理工学院", None).await;
        let other = org(&app, OrgKind::Institution, "秦巴富硒生物技术研究院", None).await;
        let lender = org(&app, OrgKind::Lender, "秦巴农村商业银行", None).await;
        for (name, org, role) in [
            ("officer", bureau, Role::BureauOfficer),
            ("leader", bureau, Role::BureauLeader),
            ("sysadmin", bureau, Role::SystemAdmin),
            ("ent_a", ent_a, Role::EnterpriseUser),
            ("ent_a2", ent_a, Role::EnterpriseUser),
            ("ent_b", ent_b, Role::EnterpriseUser),
            ("agency", agency, Role::AgencyUser),
            ("inst", inst, Role::InstitutionAdmin),
            ("inventor", inst, Role::Inventor),
            ("other_inst", other, Role::InstitutionAdmin),
            ("lender", lender, Role::LenderUser),
        ] {
            account(&app, name, org, role).await;
        }
        let records = vec![
            record(100_001, "一种富硒茶叶的深加工方法", &["安康理工学院"]),
            record(100_002, "一种魔芋葡甘聚糖的提纯方法", &["秦巴富硒生物技术研究院"]),
            record(100_003, "一种茶园轨道运输车", &["某外地大学"]),
            record(100_004, "一种茶叶揉捻机", &["安康硒源茶业有限公司"]),
        ];
        app.import_records(&Actor::cli(), "测试专利", records).await.unwrap();
        let page = app.list_patents(&Actor::cli(), &Default::default()).await.unwrap();
        let id = |title: &str| page.patents.iter().find(|p| p.title == title).unwrap().id;
        World {
            p_inst: id("一种富硒茶叶的深加工方法"),
            p_other: id("一种魔芋葡甘聚糖的提纯方法"),
            p_unlinked: id("一种茶园轨道运输车"),
            p_ent_a: id("一种茶叶揉捻机"),
            _dir: dir,
            app,
            ent_a,
            ent_b,
            inst,
        }
    }

    async fn actor(&self, name: &str) -> Actor {
        Actor::logged_in(self.app.account_by_name(name).await.unwrap(), "127.0.0.1", format!("req-{name}"))
    }

    async fn audited(&self, action: Action, outcome: Outcome) -> u64 {
        let filter = AuditFilter { action: Some(action), outcome: Some(outcome), ..AuditFilter::default() };
        self.app.audit_page(&Actor::cli(), &filter).await.unwrap().total
    }

    async fn unread(&self, name: &str) -> Vec<(NotificationKind, String, String)> {
        let page = self.app.notifications(&self.actor(name).await, true, 50, 0).await.unwrap();
        page.items.into_iter().map(|n| (n.kind, n.title, n.body)).collect()
    }
}

fn future(days: i64) -> NaiveDate {
    chrono::Utc::now().date_naive() + Duration::days(days)
}

fn form(title: &str) -> DemandForm {
    DemandForm {
        enterprise_org_id: None,
        title: title.into(),
        description: "现有工艺茶多酚得率低，希望引进可规模化的富硒茶深加工技术。".into(),
        chain_code: "selenium_food".into(),
        ipc_codes: "A23F3/06; A23F3/16".into(),
        cooperation_mode: "许可".into(),
        budget_min: "100,000".into(),
        budget_max: "500000".into(),
        deadline: future(60).to_string(),
        contact_name: "王经理".into(),
        contact_phone: "0915-3261234".into(),
    }
}

fn field_errors(e: ServiceError) -> std::collections::BTreeMap<&'static str, Vec<String>> {
    match e {
        ServiceError::Invalid(f) => f.0,
        other => panic!("expected invalid input, got {other:?}"),
    }
}

#[tokio::test]
async fn a_demand_goes_through_review_and_each_side_sees_what_it_may() {
    let w = World::new().await;
    let (ent_a, ent_b, inst, officer, agency) = (
        w.actor("ent_a").await,
        w.actor("ent_b").await,
        w.actor("inst").await,
        w.actor("officer").await,
        w.actor("agency").await,
    );
    let id = w.app.create_demand(&ent_a, &form("富硒茶叶深加工工艺"), false).await.unwrap();
    let draft = w.app.demand(&ent_a, id).await.unwrap();
    assert_eq!(draft.demand.status, DemandStatus::Draft);
    assert_eq!(draft.demand.org_id, w.ent_a);
    assert_eq!(draft.demand.fields.chain_code.as_deref(), Some("selenium_food"));
    assert_eq!(draft.demand.fields.budget_min.map(|m| m.fen()), Some(10_000_000));
    assert_eq!(
        draft.actions,
        [DemandAction::Edit, DemandAction::EditContact, DemandAction::Submit, DemandAction::Close]
    );
    // A draft is the enterprise's own: another enterprise, an institution and an agency do not find it.
    for other in [&ent_b, &inst, &agency] {
        assert!(matches!(w.app.demand(other, id).await, Err(ServiceError::NotFound)));
    }
    assert_eq!(w.app.list_demands(&inst, &DemandFilter::default()).await.unwrap().total, 0);
    assert_eq!(w.app.demand(&officer, id).await.unwrap().demand.fields.contact_phone.as_str(), "0915-3261234");

    w.app.submit_demand(&ent_a, id).await.unwrap();
    let waiting = w.unread("officer").await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].0, NotificationKind::DemandSubmitted);
    // The enterprise cannot publish its own demand; the refusal is audited.
    assert!(matches!(w.app.publish_demand(&ent_a, id).await, Err(ServiceError::Forbidden)));
    assert_eq!(w.audited(Action::DemandPublish, Outcome::Denied).await, 1);

    // A return needs a reason, which reaches the enterprise.
    let e = field_errors(w.app.return_demand(&officer, id, "  ").await.unwrap_err());
    assert!(e["reason"][0].contains("说明原因"));
    w.app.return_demand(&officer, id, "请补充技术指标").await.unwrap();
    let back = w.app.demand(&ent_a, id).await.unwrap();
    assert_eq!((back.demand.status, back.demand.status_reason.as_str()), (DemandStatus::Returned, "请补充技术指标"));
    let told = w.unread("ent_a").await;
    assert_eq!(told[0].0, NotificationKind::DemandReturned);
    assert!(told[0].2.contains("请补充技术指标"), "{told:?}");

    // Edited while returned, it stays returned until resubmitted; then the bureau publishes it.
    let mut fixed = form("富硒茶叶深加工工艺");
    fixed.description.push_str("茶多酚得率不低于15%。");
    assert_eq!(w.app.update_demand(&ent_a, id, &fixed).await.unwrap(), DemandStatus::Returned);
    w.app.submit_demand(&ent_a, id).await.unwrap();
    w.app.publish_demand(&officer, id).await.unwrap();
    assert_eq!(w.unread("ent_a").await[0].0, NotificationKind::DemandPublished);

    // Published, everyone logged in reads it, the phone masked for those outside its own side.
    let seen = w.app.demand(&inst, id).await.unwrap();
    assert_eq!(seen.demand.fields.contact_phone.as_str(), "0915-***1234");
    assert!(seen.events.is_empty() && seen.actions.is_empty() && !seen.own);
    assert_eq!(w.app.demand(&ent_b, id).await.unwrap().demand.fields.contact_phone.as_str(), "0915-***1234");
    assert_eq!(w.app.list_demands(&inst, &DemandFilter::default()).await.unwrap().total, 1);
    assert!(matches!(w.app.update_demand(&ent_b, id, &fixed).await, Err(ServiceError::Forbidden)));
    // Publishing twice is refused with the workflow's message, and audited.
    let e = field_errors(w.app.publish_demand(&officer, id).await.unwrap_err());
    assert_eq!(e["status"], ["需求当前为“已发布”，不能发布"]);
    assert_eq!(w.audited(Action::DemandPublish, Outcome::Denied).await, 2);

    // A contact correction keeps it published; a content edit sends it back to review (the bureau is told).
    let mut contact = fixed.clone();
    contact.contact_name = "李经理".into();
    contact.contact_phone = "13912345678".into();
    assert_eq!(w.app.update_demand(&ent_a, id, &contact).await.unwrap(), DemandStatus::Published);
    let mut content = contact.clone();
    content.budget_max = "800000".into();
    w.app.mark_all_notifications_read(&officer).await.unwrap();
    assert_eq!(w.app.update_demand(&ent_a, id, &content).await.unwrap(), DemandStatus::Submitted);
    assert_eq!(w.unread("officer").await.len(), 1);
    assert_eq!(w.app.list_demands(&inst, &DemandFilter::default()).await.unwrap().total, 0);

    w.app.close_demand(&ent_a, id, "已找到合作方").await.unwrap();
    let e = field_errors(w.app.update_demand(&ent_a, id, &content).await.unwrap_err());
    assert_eq!(e["status"], ["需求当前为“已关闭”，不能修改"]);
    let view = w.app.demand(&ent_a, id).await.unwrap();
    let steps: Vec<_> = view.events.iter().map(|e| (e.action, e.to)).collect();
    assert_eq!(
        steps,
        [
            (None, DemandStatus::Draft),
            (Some(DemandAction::Submit), DemandStatus::Submitted),
            (Some(DemandAction::Return), DemandStatus::Returned),
            (Some(DemandAction::Edit), DemandStatus::Returned),
            (Some(DemandAction::Submit), DemandStatus::Submitted),
            (Some(DemandAction::Publish), DemandStatus::Published),
            (Some(DemandAction::EditContact), DemandStatus::Published),
            (Some(DemandAction::Edit), DemandStatus::Submitted),
            (Some(DemandAction::Close), DemandStatus::Closed),
        ]
    );
    assert!(view.actions.is_empty());
    for action in [Action::DemandCreate, Action::DemandSubmit, Action::DemandReturn, Action::DemandClose] {
        assert!(w.audited(action, Outcome::Success).await >= 1, "{action:?}");
    }
    assert_eq!(w.audited(Action::DemandUpdate, Outcome::Success).await, 3);
    assert_eq!(w.audited(Action::DemandPublish, Outcome::Success).await, 1);
}

#[tokio::test]
async fn demand_forms_are_checked_field_by_field_and_posters_are_who_they_should_be() {
    let w = World::new().await;
    let (ent_a, ent_b, agency, officer) =
        (w.actor("ent_a").await, w.actor("ent_b").await, w.actor("agency").await, w.actor("officer").await);
    let bad = DemandForm {
        title: " ".into(),
        chain_code: "不存在的链".into(),
        ipc_codes: "A23F3/06；A23".into(),
        cooperation_mode: "入股".into(),
        budget_min: "500000".into(),
        budget_max: "100000".into(),
        deadline: (chrono::Utc::now().date_naive() - Duration::days(3)).to_string(),
        contact_name: String::new(),
        contact_phone: "12345".into(),
        ..form("x")
    };
    let e = field_errors(w.app.create_demand(&ent_a, &bad, true).await.unwrap_err());
    assert_eq!(e["title"], ["请填写需求名称"]);
    assert!(
        e["chain_code"][0].starts_with("没有名为“不存在的链”的重点产业链，应为：富硒食品"),
        "{:?}",
        e["chain_code"]
    );
    assert!(e["ipc_codes"][0].contains("IPC分类号“A23”格式不对"), "{:?}", e["ipc_codes"]);
    assert!(e["cooperation_mode"][0].contains("无法识别"));
    assert!(e["budget_max"][0].contains("不能低于预算下限"), "{:?}", e["budget_max"]);
    assert!(e["deadline"][0].contains("不能早于今天"));
    assert_eq!(e["contact_name"], ["请填写联系人"]);
    assert!(e["contact_phone"][0].starts_with("联系电话“12345”格式不正确"));
    assert_eq!(e.len(), 8, "{e:?}");
    assert_eq!(w.app.list_demands(&officer, &DemandFilter::default()).await.unwrap().total, 0, "nothing written");

    // An enterprise posts for itself only; the chain may be given by name.
    let other = DemandForm { enterprise_org_id: Some(w.ent_b), ..form("魔芋精粉提纯") };
    let e = field_errors(w.app.create_demand(&ent_a, &other, true).await.unwrap_err());
    assert!(e["enterprise_org_id"][0].contains("只能为本企业"));
    let by_name = DemandForm { chain_code: "富硒食品".into(), ..form("茶叶保鲜") };
    let id = w.app.create_demand(&ent_a, &by_name, true).await.unwrap();
    assert_eq!(w.app.demand(&ent_a, id).await.unwrap().demand.fields.chain_code.as_deref(), Some("selenium_food"));

    // Institutions and lenders do not post demands.
    for name in ["inst", "lender", "leader"] {
        let actor = w.actor(name).await;
        assert!(matches!(w.app.create_demand(&actor, &form("y"), true).await, Err(ServiceError::Forbidden)), "{name}");
    }
    // An agency names the enterprise, which must be one.
    let e = field_errors(w.app.create_demand(&agency, &form("z"), true).await.unwrap_err());
    assert!(e["enterprise_org_id"][0].contains("请选择"));
    let wrong = DemandForm { enterprise_org_id: Some(w.inst), ..form("z") };
    let e = field_errors(w.app.create_demand(&agency, &wrong, true).await.unwrap_err());
    assert!(e["enterprise_org_id"][0].contains("不是平台登记的企业"));
    assert_eq!(w.app.demand_enterprise_choices(&agency).await.unwrap().len(), 2);
    assert!(matches!(w.app.demand_enterprise_choices(&ent_a).await, Err(ServiceError::Forbidden)));
    let for_b = DemandForm { enterprise_org_id: Some(w.ent_b), ..form("魔芋精粉提纯") };
    let posted = w.app.create_demand(&agency, &for_b, false).await.unwrap();
    let view = w.app.demand(&ent_b, posted).await.unwrap();
    assert!(view.own);
    assert_eq!(view.demand.posted_by_org_name.as_deref(), Some("安康智诚知识产权代理事务所"));
    assert!(w.app.demand(&agency, posted).await.unwrap().own);
    assert!(matches!(w.app.demand(&ent_a, posted).await, Err(ServiceError::NotFound)));
    // The enterprise and the agency both manage it.
    w.app.submit_demand(&ent_b, posted).await.unwrap();
    w.app.close_demand(&agency, posted, "").await.unwrap();

    // Lists filter and page; "mine" is the own side.
    w.app.create_demand(&ent_b, &form("魔芋飞粉综合利用"), true).await.unwrap();
    let mine = DemandFilter { own_side: Some(w.ent_b), ..DemandFilter::default() };
    assert_eq!(w.app.list_demands(&ent_b, &mine).await.unwrap().total, 2);
    let text =
        DemandFilter { text: Some("魔芋".into()), status: Some(DemandStatus::Submitted), ..Default::default() };
    assert_eq!(w.app.list_demands(&officer, &text).await.unwrap().total, 1);
    let page = DemandFilter { limit: 1, offset: 1, ..Default::default() };
    let p = w.app.list_demands(&officer, &page).await.unwrap();
    assert_eq!((p.demands.len(), p.total), (1, 3));
}

fn csv(rows: &[&str]) -> Vec<u8> {
    let mut s = String::from(
        "需求名称,需求描述,企业名称,统一社会信用代码,所属产业链,IPC分类号,合作方式,预算下限（元）,预算上限（元）,截止日期,联系人,联系电话\n",
    );
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s.into_bytes()
}

#[tokio::test]
async fn demands_import_from_a_spreadsheet_and_rejected_rows_come_back_with_reasons() {
    let w = World::new().await;
    let (officer, agency) = (w.actor("officer").await, w.actor("agency").await);
    let code_a = CreditCode::with_check("91610902MA6YQ1A01").unwrap();
    let deadline = future(90);
    let rows = [
        format!(
            "富硒茶深加工,提高茶多酚得率,,{code_a},富硒食品,A23F3/06,许可,100000,500000,{deadline},王经理,13912345678"
        ),
        "魔芋精粉提纯,提高葡甘聚糖含量,安康魔芋食品股份有限公司,,,,合作开发,,,,李经理,0915-3261234".to_owned(),
        "未知企业的需求,描述,不存在的公司,,,,转让,,,,赵经理,13912345678".to_owned(),
        "格式错误的需求,描述,安康魔芋食品股份有限公司,,,,入股,,,,钱经理,12345".to_owned(),
        "富硒茶深加工,重复的一行,安康硒源茶业有限公司,,,,许可,,,,王经理,13912345678".to_owned(),
    ];
    let bytes = csv(&rows.iter().map(String::as_str).collect::<Vec<_>>());
    let r = w.app.import_demands(&officer, "征集表.csv", bytes.clone(), None).await.unwrap();
    assert_eq!((r.total, r.inserted, r.duplicates, r.rejected), (5, 2, 1, 2));
    assert_eq!(r.status, Some(DemandStatus::Published));
    let report = r.report.unwrap();
    let table = ipbridge_ingest::read_table("report.xlsx", &report, Some(Format::Xlsx)).unwrap();
    assert_eq!(table.headers.last().map(String::as_str), Some("错误原因"));
    let reasons: Vec<&str> = table.rows.iter().map(|r| r.cells.last().unwrap().as_str()).collect();
    assert_eq!(reasons.len(), 2);
    assert!(reasons[0].starts_with("原第4行：【企业名称】平台上没有名为“不存在的公司”的企业"), "{}", reasons[0]);
    assert!(reasons[1].contains("【合作方式】合作方式“入股”无法识别"), "{}", reasons[1]);
    assert!(reasons[1].contains("【联系电话】联系电话“12345”格式不正确"), "{}", reasons[1]);
    // The bureau's imports are published at once and their enterprises are told.
    let first = w.app.demand(&officer, r.demand_ids[0]).await.unwrap().demand;
    assert_eq!((first.org_id, first.status), (w.ent_a, DemandStatus::Published));
    assert_eq!(first.fields.deadline, Some(deadline));
    assert_eq!(w.unread("ent_a").await[0].0, NotificationKind::DemandPublished);
    assert_eq!(w.audited(Action::DemandImport, Outcome::Success).await, 3, "two demands and the run");

    // Importing the same file again adds nothing; the fixed report imports its rows.
    let again = w.app.import_demands(&officer, "征集表.csv", bytes, None).await.unwrap();
    assert_eq!((again.inserted, again.duplicates, again.rejected), (0, 3, 2));
    let fixed = csv(&["格式错误的需求,描述,安康魔芋食品股份有限公司,,,,技术咨询,,,,钱经理,0915-3261234"]);
    let fixed = w.app.import_demands(&officer, "fixed.csv", fixed, None).await.unwrap();
    assert_eq!((fixed.inserted, fixed.rejected), (1, 0));
    assert!(fixed.report.is_none());

    // An agency's imports wait for review; the bureau is told once.
    w.app.mark_all_notifications_read(&officer).await.unwrap();
    let rows = csv(&["茶园病虫害监测,物联网监测方案,安康硒源茶业有限公司,,,,合作开发,,,,王经理,13912345678"]);
    let r = w.app.import_demands(&agency, "agency.csv", rows, None).await.unwrap();
    assert_eq!((r.inserted, r.status), (1, Some(DemandStatus::Submitted)));
    assert!(w.app.demand(&agency, r.demand_ids[0]).await.unwrap().own);
    assert_eq!(w.unread("officer").await.len(), 1);

    // Enterprises and institutions do not import; a file without a title column says which column is missing.
    for name in ["ent_a", "inst"] {
        let actor = w.actor(name).await;
        let r = w.app.import_demands(&actor, "x.csv", csv(&[]), None).await;
        assert!(matches!(r, Err(ServiceError::Forbidden)), "{name}");
    }
    let e = field_errors(w.app.import_demands(&officer, "x.csv", "企业名称\n某公司\n".into(), None).await.unwrap_err());
    assert!(e["file"][0].contains("需求名称"), "{:?}", e["file"]);

    // The template is a workbook whose example row fits the columns (its example enterprise is fictional).
    let template = demand_template_xlsx().unwrap();
    let r = w.app.import_demands(&officer, "模板.xlsx", template, None).await.unwrap();
    assert_eq!((r.total, r.rejected), (1, 1));

    // The export holds every demand the bureau sees.
    let xlsx = w.app.export_demands(&officer, &DemandFilter::default()).await.unwrap();
    let t = ipbridge_ingest::read_table("demands.xlsx", &xlsx, Some(Format::Xlsx)).unwrap();
    assert_eq!(t.rows.len(), 4);
    assert!(t.headers.contains(&"合作方式".to_owned()) && t.headers.contains(&"状态".to_owned()));
    assert_eq!(w.audited(Action::ListExport, Outcome::Success).await, 1);
}

#[tokio::test]
async fn match_records_follow_the_workflow_between_enterprise_holder_and_bureau() {
    let w = World::new().await;
    let (officer, ent_a, ent_b, inst, inventor, other_inst, leader, lender) = (
        w.actor("officer").await,
        w.actor("ent_a").await,
        w.actor("ent_b").await,
        w.actor("inst").await,
        w.actor("inventor").await,
        w.actor("other_inst").await,
        w.actor("leader").await,
        w.actor("lender").await,
    );
    let why = json!({"terms": ["富硒", "茶叶"], "shared_ipc": ["A23F3/00"], "chain": "selenium_food"});
    let targets = [
        PushTarget { enterprise_org_id: w.ent_a, score: 0.92, explanation: why.clone() },
        PushTarget { enterprise_org_id: w.ent_b, score: 0.41, explanation: json!(null) },
    ];
    assert!(matches!(w.app.push_patent(&ent_a, w.p_inst, &targets).await, Err(ServiceError::Forbidden)));
    let pushed = w.app.push_patent(&officer, w.p_inst, &targets).await.unwrap();
    assert!(pushed.iter().all(|s| s.created && s.state == MatchState::Proposed));
    let (m_a, m_b) = (pushed[0].id, pushed[1].id);
    assert_eq!(w.unread("ent_a").await[0].0, NotificationKind::MatchProposed);
    assert_eq!(w.unread("ent_b").await.len(), 1);
    // Pushing again returns the open record.
    let again = w.app.push_patent(&officer, w.p_inst, &targets[..1]).await.unwrap();
    assert_eq!((again[0].id, again[0].created), (m_a, false));

    // Each party sees its own records only; the holder those on its patents; the bureau and its leader all.
    let count = |page: ipbridge_service::matches::MatchPage| page.total;
    assert_eq!(count(w.app.list_matches(&ent_a, &MatchFilter::default()).await.unwrap()), 1);
    assert_eq!(count(w.app.list_matches(&ent_b, &MatchFilter::default()).await.unwrap()), 1);
    assert_eq!(count(w.app.list_matches(&inst, &MatchFilter::default()).await.unwrap()), 2);
    assert_eq!(count(w.app.list_matches(&other_inst, &MatchFilter::default()).await.unwrap()), 0);
    assert_eq!(count(w.app.list_matches(&leader, &MatchFilter::default()).await.unwrap()), 2);
    assert!(matches!(w.app.list_matches(&lender, &MatchFilter::default()).await, Err(ServiceError::Forbidden)));
    assert!(matches!(w.app.match_view(&ent_b, m_a).await, Err(ServiceError::NotFound)));
    assert!(matches!(w.app.match_view(&other_inst, m_a).await, Err(ServiceError::NotFound)));
    let overseen = w.app.match_view(&leader, m_a).await.unwrap();
    assert_eq!((overseen.side, overseen.next_states.len()), (None, 0));
    assert_eq!(overseen.record.explanation, why);
    let change = |to, reason, note: &str| MatchChange { to, reason, note: note.into() };
    assert!(matches!(
        w.app.transition_match(&leader, m_a, &change(MatchState::Closed, None, "")).await,
        Err(ServiceError::Forbidden)
    ));
    assert!(matches!(
        w.app.transition_match(&ent_b, m_a, &change(MatchState::Interested, None, "")).await,
        Err(ServiceError::NotFound)
    ));

    // The holder opening it changes nothing; the enterprise opening it marks it viewed, and the holder hears.
    assert_eq!(w.app.open_match(&inst, m_a).await.unwrap().record.state, MatchState::Proposed);
    let opened = w.app.open_match(&ent_a, m_a).await.unwrap();
    assert_eq!((opened.record.state, opened.side), (MatchState::Viewed, Some(MatchSide::Enterprise)));
    assert_eq!(opened.next_states, [MatchState::Interested, MatchState::NotInterested]);
    assert!(w.unread("inst").await.iter().any(|n| n.0 == NotificationKind::MatchState && n.1.contains("已查看")));
    w.app.mark_all_notifications_read(&inst).await.unwrap();

    // The holder cannot answer for the enterprise; the refusal names who may, and is audited.
    let e =
        field_errors(w.app.transition_match(&inst, m_a, &change(MatchState::Interested, None, "")).await.unwrap_err());
    assert_eq!(e["state"], ["从“已查看”变更为“有意向”须由企业方操作，专利权人方不能操作"]);
    assert_eq!(w.audited(Action::MatchTransition, Outcome::Denied).await, 2, "leader's attempt and the holder's");

    // Not interested needs a reason, and "other" a text; the holder hears the reason.
    let e = field_errors(
        w.app.transition_match(&ent_a, m_a, &change(MatchState::NotInterested, None, "")).await.unwrap_err(),
    );
    assert_eq!(e["reason"], ["请选择无意向的原因"]);
    let other = change(MatchState::NotInterested, Some(NotInterestedReason::Other), " ");
    assert_eq!(
        field_errors(w.app.transition_match(&ent_a, m_a, &other).await.unwrap_err())["reason"],
        ["选择“其他”时请填写具体原因"]
    );
    let price = change(MatchState::NotInterested, Some(NotInterestedReason::Price), "报价高于预算");
    assert_eq!(w.app.transition_match(&ent_a, m_a, &price).await.unwrap(), MatchState::NotInterested);
    let heard = w.unread("inst").await;
    assert_eq!(heard[0].0, NotificationKind::MatchFeedback);
    assert!(heard[0].2.contains("价格因素：报价高于预算"), "{heard:?}");
    let refused = w.app.match_view(&officer, m_a).await.unwrap().record;
    assert_eq!(refused.feedback.map(|f| f.reason), Some(NotInterestedReason::Price));

    // The enterprise changes its mind; the holder (any member: the inventor too) makes contact.
    w.app.transition_match(&ent_a, m_a, &change(MatchState::Interested, None, "愿意洽谈")).await.unwrap();
    assert_eq!(w.unread("inventor").await.first().map(|n| n.0), Some(NotificationKind::MatchInterest));
    w.app.transition_match(&inventor, m_a, &change(MatchState::InContact, None, "已电话联系")).await.unwrap();
    assert_eq!(w.unread("ent_a").await.first().map(|n| n.0), Some(NotificationKind::MatchState));
    let e = field_errors(w.app.transition_match(&ent_a, m_a, &change(MatchState::Deal, None, "")).await.unwrap_err());
    assert_eq!(e["state"], ["匹配记录当前为“已联系”，不能变更为“已成交”"]);
    w.app.transition_match(&ent_a, m_a, &change(MatchState::Negotiating, None, "")).await.unwrap();
    let e = field_errors(w.app.transition_match(&ent_a, m_a, &change(MatchState::Deal, None, "")).await.unwrap_err());
    assert_eq!(e["state"], ["从“洽谈中”变更为“已成交”须由专利权人方或市场监管局操作，企业方不能操作"]);
    w.app.transition_match(&inst, m_a, &change(MatchState::Deal, None, "签订许可合同")).await.unwrap();

    let done = w.app.match_view(&ent_a, m_a).await.unwrap();
    let steps: Vec<_> = done.events.iter().map(|e| (e.side, e.from, e.to)).collect();
    use MatchSide as Side;
    use MatchState as S;
    assert_eq!(
        steps,
        [
            (Some(Side::Bureau), None, S::Proposed),
            (Some(Side::Enterprise), Some(S::Proposed), S::Viewed),
            (Some(Side::Enterprise), Some(S::Viewed), S::NotInterested),
            (Some(Side::Enterprise), Some(S::NotInterested), S::Interested),
            (Some(Side::Holder), Some(S::Interested), S::InContact),
            (Some(Side::Enterprise), Some(S::InContact), S::Negotiating),
            (Some(Side::Holder), Some(S::Negotiating), S::Deal),
        ]
    );
    assert_eq!(done.events[2].reason, Some(NotInterestedReason::Price));
    assert!(done.next_states.is_empty());
    assert_eq!(w.audited(Action::MatchFeedback, Outcome::Success).await, 2);
    assert!(w.audited(Action::MatchTransition, Outcome::Success).await >= 4);
    assert_eq!(w.audited(Action::MatchPush, Outcome::Success).await, 2);

    // A finished record frees the pair: a new push creates a new record.
    let fresh = w.app.push_patent(&officer, w.p_inst, &targets[..1]).await.unwrap();
    assert!(fresh[0].created && fresh[0].id != m_a);
    // The bureau closes B's stale proposal; both parties hear.
    w.app.mark_all_notifications_read(&ent_b).await.unwrap();
    w.app.transition_match(&officer, m_b, &change(MatchState::Closed, None, "企业长期未反馈")).await.unwrap();
    assert_eq!(w.unread("ent_b").await.len(), 1);

    // The bureau's list filters by state and by time waiting; the export carries state and age in days.
    w.app.clock().advance(Duration::days(10));
    let waiting = MatchFilter { state_changed_before: Some(w.app.days_ago(7)), open_only: true, ..Default::default() };
    let page = w.app.list_matches(&officer, &waiting).await.unwrap();
    assert_eq!(page.records.iter().map(|r| r.id).collect::<Vec<_>>(), [fresh[0].id]);
    let deals = MatchFilter { state: Some(MatchState::Deal), ..Default::default() };
    let page = w.app.list_matches(&officer, &deals).await.unwrap();
    assert_eq!(page.total, 1);
    let tabs: Vec<_> = page.by_state.iter().filter(|(_, n)| *n > 0).map(|(s, n)| (*s, *n)).collect();
    assert_eq!(tabs, [(S::Proposed, 1), (S::Deal, 1), (S::Closed, 1)]);
    let pushed_only = MatchFilter { origin: Some(MatchOrigin::Push), ..Default::default() };
    assert_eq!(w.app.list_matches(&officer, &pushed_only).await.unwrap().total, 3);
    let xlsx = w.app.export_matches(&officer, &MatchFilter::default()).await.unwrap();
    let t = ipbridge_ingest::read_table("matches.xlsx", &xlsx, Some(Format::Xlsx)).unwrap();
    assert_eq!(t.rows.len(), 3);
    let col = |name: &str| t.headers.iter().position(|h| h == name).unwrap();
    let deal_row = t.rows.iter().find(|r| r.cells[col("状态")] == "已成交").unwrap();
    assert_eq!(deal_row.cells[col("存续天数")], "10");
    assert_eq!(deal_row.cells[col("专利权人")], "安康理工学院");
    assert!(matches!(w.app.export_matches(&ent_a, &MatchFilter::default()).await, Err(ServiceError::Forbidden)));
    assert_eq!(w.app.export_matches(&leader, &MatchFilter::default()).await.map(|b| b.is_empty()).ok(), Some(false));
}

#[tokio::test]
async fn enterprises_save_their_own_matches_and_declare_interest() {
    let w = World::new().await;
    let (officer, ent_a, ent_b, inst) =
        (w.actor("officer").await, w.actor("ent_a").await, w.actor("ent_b").await, w.actor("inst").await);
    let save = |enterprise, patent, origin, demand: Option<DemandId>| SaveMatch {
        patent_id: patent,
        enterprise_org_id: enterprise,
        demand_id: demand,
        origin,
        score: 0.7,
        explanation: json!({"terms": ["魔芋"]}),
        note: String::new(),
    };
    let for_b = save(w.ent_b, w.p_other, MatchOrigin::DemandMatch, None);
    assert!(matches!(w.app.save_match(&ent_a, &for_b).await, Err(ServiceError::Forbidden)));
    assert!(matches!(w.app.save_match(&inst, &for_b).await, Err(ServiceError::Forbidden)));
    let pushed = save(w.ent_a, w.p_other, MatchOrigin::Push, None);
    assert!(field_errors(w.app.save_match(&ent_a, &pushed).await.unwrap_err()).contains_key("origin"));

    // A demand of another enterprise cannot be attached; one's own published demand can.
    let b_demand = w.app.create_demand(&ent_b, &form("魔芋精粉提纯"), true).await.unwrap();
    let a_demand = w.app.create_demand(&ent_a, &form("魔芋胶应用"), true).await.unwrap();
    w.app.publish_demand(&officer, a_demand).await.unwrap();
    let wrong = save(w.ent_a, w.p_other, MatchOrigin::DemandMatch, Some(b_demand));
    assert!(field_errors(w.app.save_match(&ent_a, &wrong).await.unwrap_err()).contains_key("demand_id"));
    let own = save(w.ent_a, w.p_other, MatchOrigin::DemandMatch, Some(a_demand));
    let saved = w.app.save_match(&ent_a, &own).await.unwrap();
    assert_eq!((saved.created, saved.state), (true, MatchState::Viewed));
    assert!(w.unread("other_inst").await.is_empty(), "saving a result tells nobody yet");
    let view = w.app.match_view(&ent_a, saved.id).await.unwrap();
    assert_eq!(view.record.demand_title.as_deref(), Some("魔芋胶应用"));
    assert_eq!(
        w.app
            .list_matches(&ent_a, &MatchFilter { demand_id: Some(a_demand), ..Default::default() })
            .await
            .unwrap()
            .total,
        1
    );
    // Saving again returns the same record.
    let again = w.app.save_match(&ent_a, &own).await.unwrap();
    assert_eq!((again.id, again.created), (saved.id, false));

    // 我有意向 moves the saved record to interested and tells the holder.
    let interest = w.app.express_interest(&ent_a, w.p_other, None, "希望了解许可费用").await.unwrap();
    assert_eq!((interest.id, interest.created, interest.state), (saved.id, false, MatchState::Interested));
    let heard = w.unread("other_inst").await;
    assert_eq!(heard.len(), 1);
    assert_eq!(heard[0].0, NotificationKind::MatchInterest);
    assert!(heard[0].2.contains("希望了解许可费用"));
    // Declared again, nothing changes.
    let twice = w.app.express_interest(&ent_a, w.p_other, None, "").await.unwrap();
    assert_eq!((twice.id, twice.state), (saved.id, MatchState::Interested));
    // On a patent with no holder on the platform, the bureau hears instead.
    w.app.mark_all_notifications_read(&officer).await.unwrap();
    let unlinked = w.app.express_interest(&ent_a, w.p_unlinked, None, "").await.unwrap();
    assert_eq!((unlinked.created, unlinked.state), (true, MatchState::Interested));
    assert_eq!(w.unread("officer").await.first().map(|n| n.0), Some(NotificationKind::MatchInterest));
    assert!(matches!(w.app.express_interest(&inst, w.p_unlinked, None, "").await, Err(ServiceError::Forbidden)));

    // An enterprise is not matched with its own patent; the patent and the enterprise must exist.
    let own_patent = save(w.ent_a, w.p_ent_a, MatchOrigin::EnterpriseInterest, None);
    assert!(
        field_errors(w.app.save_match(&ent_a, &own_patent).await.unwrap_err())["enterprise_org_id"][0]
            .contains("自己持有")
    );
    let missing = save(w.ent_a, PatentId::new(9999), MatchOrigin::EnterpriseInterest, None);
    assert_eq!(field_errors(w.app.save_match(&ent_a, &missing).await.unwrap_err())["patent_id"], ["专利不存在"]);
    let not_enterprise = save(w.inst, w.p_other, MatchOrigin::Manual, None);
    assert!(
        field_errors(w.app.save_match(&officer, &not_enterprise).await.unwrap_err()).contains_key("enterprise_org_id")
    );
    let nan = SaveMatch { score: f32::NAN, ..save(w.ent_b, w.p_inst, MatchOrigin::Manual, None) };
    assert!(field_errors(w.app.save_match(&officer, &nan).await.unwrap_err()).contains_key("score"));
    let manual = w.app.save_match(&officer, &save(w.ent_b, w.p_inst, MatchOrigin::Manual, None)).await.unwrap();
    assert_eq!(manual.state, MatchState::Proposed);
    assert_eq!(w.audited(Action::MatchSave, Outcome::Success).await, 3);
}

#[tokio::test]
async fn notifications_are_read_per_account_and_reading_is_not_audited() {
    let w = World::new().await;
    let (officer, ent_a, ent_a2, ent_b, sysadmin) = (
        w.actor("officer").await,
        w.actor("ent_a").await,
        w.actor("ent_a2").await,
        w.actor("ent_b").await,
        w.actor("sysadmin").await,
    );
    let targets = [
        PushTarget { enterprise_org_id: w.ent_a, score: 0.9, explanation: json!(null) },
        PushTarget { enterprise_org_id: w.ent_b, score: 0.8, explanation: json!(null) },
    ];
    w.app.push_patent(&officer, w.p_inst, &targets).await.unwrap();
    w.app.create_demand(&ent_a, &form("茶叶保鲜"), true).await.unwrap();
    assert_eq!(w.app.unread_notification_count(&ent_a).await.unwrap(), 1);
    assert_eq!(w.app.unread_notification_count(&ent_a2).await.unwrap(), 1);
    assert_eq!(w.app.unread_notification_count(&officer).await.unwrap(), 1);
    assert_eq!(w.app.unread_notification_count(&sysadmin).await.unwrap(), 0, "administrators take no part");

    let audit_before = w.app.audit_page(&Actor::cli(), &AuditFilter::default()).await.unwrap().total;
    let page = w.app.notifications(&ent_a, false, 10, 0).await.unwrap();
    assert_eq!((page.total, page.unread), (1, 1));
    let n = &page.items[0];
    assert!(n.link.starts_with("/matches/"), "{}", n.link);
    w.app.mark_notification_read(&ent_a, n.id).await.unwrap();
    assert_eq!(w.app.unread_notification_count(&ent_a).await.unwrap(), 0);
    assert_eq!(w.app.unread_notification_count(&ent_a2).await.unwrap(), 1, "each account reads for itself");
    let read = w.app.notifications(&ent_a, false, 10, 0).await.unwrap();
    assert!(read.items[0].read_at.is_some() && read.unread == 0);
    assert!(w.app.notifications(&ent_a, true, 10, 0).await.unwrap().items.is_empty());
    // Another organisation's notification is not found.
    assert!(matches!(w.app.mark_notification_read(&ent_b, n.id).await, Err(ServiceError::NotFound)));
    assert_eq!(w.app.mark_all_notifications_read(&ent_a2).await.unwrap(), 1);
    assert_eq!(w.app.mark_all_notifications_read(&ent_a2).await.unwrap(), 0);
    let audit_after = w.app.audit_page(&Actor::cli(), &AuditFilter::default()).await.unwrap().total;
    assert_eq!(audit_before, audit_after);
    assert!(matches!(
        w.app.notifications(&Actor::anonymous("1.2.3.4", "r"), false, 10, 0).await,
        Err(ServiceError::Unauthenticated)
    ));
}

#[tokio::test]
async fn enterprise_profiles_are_kept_by_the_enterprise_or_the_bureau_and_feed_the_matcher() {
    let w = World::new().await;
    let (officer, ent_a, ent_b, inst, leader) = (
        w.actor("officer").await,
        w.actor("ent_a").await,
        w.actor("ent_b").await,
        w.actor("inst").await,
        w.actor("leader").await,
    );
    let profile = ProfileForm {
        business_scope: "茶叶种植、加工与销售；富硒农产品开发".into(),
        chain_codes: vec!["selenium_food".into(), "秦巴医药".into(), "selenium_food".into()],
    };
    w.app.update_enterprise_profile(&ent_a, w.ent_a, &profile).await.unwrap();
    let stored = w.app.enterprise_profile(&ent_a, w.ent_a).await.unwrap();
    assert_eq!(stored.chain_codes, ["selenium_food", "qinba_medicine"]);
    assert_eq!(w.audited(Action::ProfileUpdate, Outcome::Success).await, 1);
    // Saving the same again changes and audits nothing.
    w.app.update_enterprise_profile(&ent_a, w.ent_a, &profile).await.unwrap();
    assert_eq!(w.audited(Action::ProfileUpdate, Outcome::Success).await, 1);

    assert!(matches!(w.app.update_enterprise_profile(&ent_a, w.ent_b, &profile).await, Err(ServiceError::Forbidden)));
    assert!(matches!(w.app.enterprise_profile(&ent_a, w.ent_b).await, Err(ServiceError::NotFound)));
    let e = field_errors(w.app.update_enterprise_profile(&inst, w.inst, &profile).await.unwrap_err());
    assert!(e["business_scope"][0].contains("只有企业"));
    let bad = ProfileForm { business_scope: String::new(), chain_codes: vec!["航天".into()] };
    let e = field_errors(w.app.update_enterprise_profile(&officer, w.ent_b, &bad).await.unwrap_err());
    assert_eq!(e["chain_codes"], ["以下产业链不存在或已停用：航天"]);
    let b = ProfileForm { business_scope: "魔芋制品".into(), chain_codes: vec!["selenium_food".into()] };
    w.app.update_enterprise_profile(&officer, w.ent_b, &b).await.unwrap();
    assert_eq!(w.app.enterprise_profile(&leader, w.ent_b).await.unwrap().business_scope, "魔芋制品");

    let d = w.app.create_demand(&ent_b, &form("魔芋精粉提纯"), true).await.unwrap();
    w.app.create_demand(&ent_b, &form("草稿不进画像"), false).await.unwrap();
    assert!(matches!(w.app.enterprise_profile_inputs(&ent_a).await, Err(ServiceError::Forbidden)));
    let inputs = w.app.enterprise_profile_inputs(&officer).await.unwrap();
    assert_eq!(inputs.iter().map(|i| i.org_id).collect::<Vec<_>>(), [w.ent_a, w.ent_b]);
    assert_eq!(inputs[1].demands.iter().map(|d| d.id).collect::<Vec<_>>(), [d]);
    assert_eq!(inputs[1].demands[0].ipc_codes, ["A23F3/06", "A23F3/16"]);
    assert_eq!(inputs[0].business_scope, "茶叶种植、加工与销售；富硒农产品开发");
    assert_eq!(w.app.enterprise_profile_inputs(&Actor::system()).await.unwrap().len(), 2);
    let pairs = w.app.enterprise_patent_pairs(&Actor::cli()).await.unwrap();
    assert_eq!(pairs, [(w.ent_a, w.p_ent_a)]);
    let _ = ent_b;
}

#[tokio::test]
async fn only_posters_are_a_demands_own_side_not_every_account_of_the_posting_organisation() {
    let w = World::new().await;
    let officer = w.actor("officer").await;
    let sysadmin = w.actor("sysadmin").await;
    // The bureau types in a draft for an enterprise: its organisation is the posting side.
    let draft = DemandForm { enterprise_org_id: Some(w.ent_b), ..form("魔芋飞粉综合利用") };
    let id = w.app.create_demand(&officer, &draft, false).await.unwrap();
    // The system administrator belongs to the bureau's organisation but posts nothing: no draft for it.
    assert!(matches!(w.app.demand(&sysadmin, id).await, Err(ServiceError::NotFound)));
    let page = w.app.list_demands(&sysadmin, &DemandFilter::default()).await.unwrap();
    assert!(page.demands.iter().all(|d| d.status == DemandStatus::Published), "published demands only");
    let drafts = DemandFilter { status: Some(DemandStatus::Draft), ..DemandFilter::default() };
    assert_eq!(w.app.list_demands(&sysadmin, &drafts).await.unwrap().total, 0);
    // Once published it reads it like anyone, with the phone masked.
    w.app.submit_demand(&officer, id).await.unwrap();
    w.app.publish_demand(&officer, id).await.unwrap();
    let view = w.app.demand(&sysadmin, id).await.unwrap();
    assert!(!view.own && view.actions.is_empty());
    assert!(view.demand.fields.contact_phone.to_string().contains('*'), "{:?}", view.demand.fields.contact_phone);
}
