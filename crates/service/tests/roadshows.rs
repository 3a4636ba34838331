//! Roadshows, registrations, follow-up projects and deals on a real SQLite file: a roadshow's life from
//! planning to a deal, the deal's effect on coverage (and its cancellation's), match records that follow a deal,
//! validation in Chinese, and the boundaries between the bureau, institutions and enterprises.

use chrono::{DateTime, Duration, Utc};
use ipbridge_domain::CreditCode;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::ids::{OrgId, PatentId};
use ipbridge_domain::matching::MatchState;
use ipbridge_domain::notification::NotificationKind;
use ipbridge_domain::org::OrgKind;
use ipbridge_domain::patent::{ApplicationNo, PatentRecord};
use ipbridge_domain::permission::Role;
use ipbridge_domain::revitalisation::{
    DealKind, DealSource, DealStatus, InventoryInput, InventorySource, ProjectState, ReviewAction, ReviewActor,
    ReviewEvent, ReviewRoute, ReviewState, RoadshowStatus, Transition,
};
use ipbridge_service::accounts::NewAccount;
use ipbridge_service::matches::MatchChange;
use ipbridge_service::orgs::OrgForm;
use ipbridge_service::revitalisation::deals::{DealFilter, DealForm, PartyForm};
use ipbridge_service::revitalisation::roadshows::{
    FollowUpForm, NewProject, ProjectFilter, RegistrationForm, RoadshowFilter, RoadshowForm,
};
use ipbridge_service::{Actor, App, AuditFilter, ServiceError, Settings};
use ipbridge_store::{InventoryStore, MatchStore, NewInventoryRecord};
use serde_json::json;

const PASSWORD: &str = "Demo#2026pass";

/// The bureau, two institutions and two enterprises with an account or two each; three patents of the first
/// institution (two in the transferable pool) and one of the second (in the pool).
struct World {
    _dir: tempfile::TempDir,
    app: App,
    inst: OrgId,
    ent_a: OrgId,
    ent_b: OrgId,
    p_pool: PatentId,
    p_plain: PatentId,
    p_second: PatentId,
    p_other: PatentId,
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

fn record(serial: u32, title: &str, applicant: &str) -> PatentRecord {
    let no = ApplicationNo::from_parts(2021, 1, serial).unwrap();
    serde_json::from_value(json!({
        "application_no": no.as_str(), "patent_type": "invention", "title": title, "legal_status": "granted",
        "applicants": [{"name": applicant}], "filing_date": "2021-03-01",
        "abstract_text": format!("{title}，涉及富硒茶叶加工。"),
    }))
    .unwrap()
}

/// Puts a patent's inventory record into the transferable pool through the review chain's checked steps
/// (the inventory service belongs to another module; the store and the domain rules are enough here).
async fn into_pool(app: &App, patent: PatentId, org: OrgId) {
    let content = InventoryInput {
        transfer_intent: "许可".into(),
        already_implemented: "否".into(),
        prospect_grade: "B".into(),
        maturity: "6".into(),
        problem_solved: "茶多酚得率低".into(),
        advantage: "成本降低两成".into(),
        application_fields: "食品加工".into(),
        route_to_market: "许可给本地企业".into(),
        price_min: "10万".into(),
        price_max: "30万".into(),
        contact_name: "李老师".into(),
        contact_phone: "0915-3261234".into(),
    }
    .parse(&app.policy.revitalisation)
    .unwrap();
    let mut at: DateTime<Utc> = Utc::now();
    let mut tx = app.db.begin().await.unwrap();
    let new = NewInventoryRecord {
        patent_id: patent,
        org_id: org,
        faculty_id: None,
        content: &content,
        chain_code: Some("selenium_food"),
        source: InventorySource::Form,
        filed_by_user_id: None,
        filed_by_name: "test",
    };
    let id = tx.insert_inventory_record(&new, at).await.unwrap();
    for (action, actor) in [
        (ReviewAction::Submit, ReviewActor::InstitutionAdmin),
        (ReviewAction::Approve, ReviewActor::InstitutionAdmin),
        (ReviewAction::AddToBasePool, ReviewActor::Bureau),
        (ReviewAction::ScreenIntoPool, ReviewActor::Bureau),
    ] {
        let state = tx.inventory_record(id).await.unwrap().unwrap().state;
        let t = Transition::check(state, action, actor, ReviewRoute::InstitutionOnly, "").unwrap();
        at += Duration::seconds(1);
        let event = ReviewEvent {
            at,
            actor_user_id: None,
            actor_name: "test".into(),
            actor_org_id: None,
            actor_kind: Some(actor),
            action: Some(action),
            from: Some(t.from),
            to: t.to,
            comment: String::new(),
        };
        tx.transition_inventory_record(id, &t, &event, at).await.unwrap();
    }
    assert_eq!(tx.inventory_record(id).await.unwrap().unwrap().state, ReviewState::TransferablePool);
    tx.commit().await.unwrap();
}

impl World {
    async fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        settings.server.data_dir = dir.path().to_owned();
        let app = App::open(settings, ipbridge_service::load_policy(None).unwrap()).await.unwrap();
        let bureau = app.ensure_bureau_org(&Actor::cli()).await.unwrap();
        let inst = org(&app, OrgKind::Institution, "安康理工学院", None).await;
        let other = org(&app, OrgKind::Institution, "秦巴富硒生物技术研究院", None).await;
        let ent_a = org(&app, OrgKind::Enterprise, "安康硒源茶业有限公司", Some("91610902MA6YQ1A01")).await;
        let ent_b = org(&app, OrgKind::Enterprise, "安康魔芋食品股份有限公司", Some("91610902MA6YQ4D04")).await;
        for (name, org, role) in [
            ("officer", bureau, Role::BureauOfficer),
            ("leader", bureau, Role::BureauLeader),
            ("inst", inst, Role::InstitutionAdmin),
            ("inventor", inst, Role::Inventor),
            ("other_inst", other, Role::InstitutionAdmin),
            ("ent_a", ent_a, Role::EnterpriseUser),
            ("ent_b", ent_b, Role::EnterpriseUser),
        ] {
            account(&app, name, org, role).await;
        }
        let records = vec![
            record(200_001, "一种富硒茶叶的深加工方法", "安康理工学院"),
            record(200_002, "一种魔芋葡甘聚糖的提纯方法", "安康理工学院"),
            record(200_003, "一种富硒茶饮料的调配方法", "安康理工学院"),
            record(200_004, "一种茶园轨道运输车", "秦巴富硒生物技术研究院"),
        ];
        app.import_records(&Actor::cli(), "测试专利", records).await.unwrap();
        let page = app.list_patents(&Actor::cli(), &Default::default()).await.unwrap();
        let id = |title: &str| page.patents.iter().find(|p| p.title == title).unwrap().id;
        let (p_pool, p_plain, p_second, p_other) = (
            id("一种富硒茶叶的深加工方法"),
            id("一种魔芋葡甘聚糖的提纯方法"),
            id("一种富硒茶饮料的调配方法"),
            id("一种茶园轨道运输车"),
        );
        into_pool(&app, p_pool, inst).await;
        into_pool(&app, p_second, inst).await;
        into_pool(&app, p_other, other).await;
        World { _dir: dir, app, inst, ent_a, ent_b, p_pool, p_plain, p_second, p_other }
    }

    async fn actor(&self, name: &str) -> Actor {
        Actor::logged_in(self.app.account_by_name(name).await.unwrap(), "127.0.0.1", format!("req-{name}"))
    }

    async fn audited(&self, action: Action, outcome: Outcome) -> u64 {
        let filter = AuditFilter { action: Some(action), outcome: Some(outcome), ..AuditFilter::default() };
        self.app.audit_page(&Actor::cli(), &filter).await.unwrap().total
    }

    async fn unread(&self, name: &str) -> Vec<(NotificationKind, String)> {
        let page = self.app.notifications(&self.actor(name).await, true, 50, 0).await.unwrap();
        page.items.into_iter().map(|n| (n.kind, n.title)).collect()
    }

    fn today(&self) -> chrono::NaiveDate {
        self.app.china_today()
    }

    async fn application_no(&self, p: PatentId) -> String {
        self.app.patent(&Actor::cli(), p).await.unwrap().patent.summary.application_no
    }

    async fn coverage(&self) -> (u64, u64, i64) {
        let mut tx = self.app.db.read().await.unwrap();
        let rows = tx.coverage_by_institution(Some(self.inst)).await.unwrap();
        let c = &rows[0].counts;
        (c.in_scope, c.converted, c.converted_amount.fen())
    }

    async fn in_scope(&self, p: PatentId) -> bool {
        let mut tx = self.app.db.read().await.unwrap();
        tx.patent_scope(p).await.unwrap().unwrap().in_scope
    }
}

fn field_errors(e: ServiceError) -> std::collections::BTreeMap<&'static str, Vec<String>> {
    match e {
        ServiceError::Invalid(f) => f.0,
        other => panic!("expected invalid input, got {other:?}"),
    }
}

fn roadshow_form(held_on: chrono::NaiveDate, patents: Vec<PatentId>) -> RoadshowForm {
    RoadshowForm {
        title: " 富硒食品产业链专利路演 ".into(),
        held_on: held_on.to_string(),
        mode: "onsite".into(),
        venue: "安康高新区科创中心".into(),
        online_link: String::new(),
        chain_code: "selenium_food".into(),
        description: "推介高校院所富硒食品加工专利".into(),
        registration_deadline: (held_on - Duration::days(2)).to_string(),
        patents,
    }
}

fn registration(interests: Vec<PatentId>) -> RegistrationForm {
    RegistrationForm {
        contact_name: "王经理".into(),
        contact_phone: "13912345678".into(),
        attendees: "2".into(),
        note: "希望了解中试条件".into(),
        interests,
    }
}

fn licence(holder: Option<OrgId>, patents: &str, counterparty: OrgId) -> DealForm {
    DealForm {
        kind: "license".into(),
        holder_org_id: holder,
        patents: patents.into(),
        parties: vec![PartyForm {
            role: "counterparty".into(),
            org_id: Some(counterparty),
            name: String::new(),
            credit_code: String::new(),
        }],
        amount: "300000".into(),
        royalty: "3".into(),
        signed_on: "2025-06-01".into(),
        effective_from: "2025-06-01".into(),
        effective_to: "2030-05-31".into(),
        contract_no: "AK-2025-017".into(),
        license_scope: "ordinary".into(),
        filing_status: "pending".into(),
        ..DealForm::default()
    }
}

#[tokio::test]
async fn a_roadshow_is_registered_for_held_and_followed_up_until_a_deal() {
    let w = World::new().await;
    let (officer, inst, other_inst, ent_a, ent_b, leader) = (
        w.actor("officer").await,
        w.actor("inst").await,
        w.actor("other_inst").await,
        w.actor("ent_a").await,
        w.actor("ent_b").await,
        w.actor("leader").await,
    );
    let day = w.today() + Duration::days(10);

    // Only pool patents are presented; only the bureau plans roadshows.
    let refused = w.app.create_roadshow(&officer, &roadshow_form(day, vec![w.p_pool, w.p_plain])).await.unwrap_err();
    assert!(field_errors(refused)["patents"][0].contains("不在可转化专利资源库中"));
    let mut late = roadshow_form(day, vec![w.p_pool]);
    late.registration_deadline = (day + Duration::days(1)).to_string();
    late.venue = String::new();
    let errors = field_errors(w.app.create_roadshow(&officer, &late).await.unwrap_err());
    assert_eq!(errors["venue"], ["请填写举办地点"]);
    assert!(errors["registration_deadline"][0].contains("晚于举办日期"));
    assert!(matches!(
        w.app.create_roadshow(&inst, &roadshow_form(day, vec![w.p_pool])).await,
        Err(ServiceError::Forbidden)
    ));
    let id = w.app.create_roadshow(&officer, &roadshow_form(day, vec![w.p_pool, w.p_other])).await.unwrap();
    let v = w.app.roadshow(&ent_a, id).await.unwrap();
    assert_eq!(v.roadshow.fields.title, "富硒食品产业链专利路演");
    assert_eq!(v.patents.iter().map(|p| p.patent_id).collect::<Vec<_>>(), [w.p_pool, w.p_other]);
    assert!(v.may_register && v.registrations.is_none() && !v.may_manage);

    // Registration: once per enterprise, with the patents it is interested in; the second is refused in Chinese.
    w.app.register_roadshow(&ent_a, id, &registration(vec![w.p_pool])).await.unwrap();
    let again = w.app.register_roadshow(&ent_a, id, &registration(vec![])).await.unwrap_err();
    assert!(matches!(again, ServiceError::Conflict(_)));
    assert_eq!(again.user_message(), "本企业已报名该路演");
    let bad = RegistrationForm { contact_phone: "123".into(), ..registration(vec![]) };
    assert!(field_errors(w.app.register_roadshow(&ent_b, id, &bad).await.unwrap_err()).contains_key("contact_phone"));
    let not_presented = w.app.register_roadshow(&ent_b, id, &registration(vec![w.p_plain])).await.unwrap_err();
    assert_eq!(field_errors(not_presented)["interests"], ["只能选择本场路演推介的专利"]);
    assert!(matches!(w.app.register_roadshow(&inst, id, &registration(vec![])).await, Err(ServiceError::Forbidden)));
    let regs = w.app.roadshow(&officer, id).await.unwrap().registrations.unwrap();
    assert_eq!(regs.len(), 1);
    assert!(regs[0].fields.note.starts_with("关注专利：一种富硒茶叶的深加工方法"), "{}", regs[0].fields.note);
    assert!(w.app.roadshow(&leader, id).await.unwrap().registrations.is_some());

    // Moving the event tells the registered enterprise.
    let moved = roadshow_form(day + Duration::days(1), vec![w.p_pool, w.p_other]);
    w.app.update_roadshow(&officer, id, &moved).await.unwrap();
    assert!(w.unread("ent_a").await.iter().any(|(k, t)| *k == NotificationKind::Roadshow && t.contains("有变更")));
    assert!(w.unread("ent_b").await.is_empty());

    // Not held before its day; held afterwards, and then registration is closed.
    let early = w.app.set_roadshow_status(&officer, id, RoadshowStatus::Held).await.unwrap_err();
    assert!(field_errors(early)["status"][0].contains("举办当天或之后"));
    w.app.clock().advance(Duration::days(12));
    w.app.set_roadshow_status(&officer, id, RoadshowStatus::Held).await.unwrap();
    let closed = w.app.register_roadshow(&ent_b, id, &registration(vec![])).await.unwrap_err();
    assert_eq!(field_errors(closed)["registration"], ["该路演已停止报名"]);
    let twice = w.app.set_roadshow_status(&officer, id, RoadshowStatus::Cancelled).await.unwrap_err();
    assert_eq!(field_errors(twice)["status"], ["路演当前为“已举办”，不能改为“已取消”"]);
    let reg = w.app.roadshow(&officer, id).await.unwrap().registrations.unwrap()[0].id;
    w.app.set_attendance(&officer, reg, true).await.unwrap();

    // The registrations export is a real workbook.
    let bytes = w.app.export_registrations(&officer, id).await.unwrap();
    let table = ipbridge_ingest::read_table("报名.xlsx", &bytes, None).unwrap();
    assert_eq!(table.headers[2], "企业");
    assert_eq!(table.rows.len(), 1);
    assert!(matches!(w.app.export_registrations(&ent_a, id).await, Err(ServiceError::Forbidden)));

    // Follow-up: the institution opens a project on its own presented patent, not on another's.
    let new = NewProject::Roadshow { roadshow: id, patent: w.p_pool, enterprise: w.ent_a };
    let project = w.app.create_follow_up_project(&inst, new).await.unwrap();
    assert!(matches!(w.app.create_follow_up_project(&inst, new).await, Err(ServiceError::Conflict(_))));
    let foreign = NewProject::Roadshow { roadshow: id, patent: w.p_other, enterprise: w.ent_a };
    assert!(matches!(w.app.create_follow_up_project(&inst, foreign).await, Err(ServiceError::NotFound)));
    assert!(matches!(w.app.follow_up_project(&other_inst, project).await, Err(ServiceError::NotFound)));
    assert!(matches!(w.app.create_follow_up_project(&ent_a, new).await, Err(ServiceError::Forbidden)));

    let entry = FollowUpForm {
        happened_on: w.today().to_string(),
        contact: "王经理".into(),
        content: "企业到实验室考察中试线".into(),
        next_step: String::new(),
        next_on: String::new(),
        outcome: "continuing".into(),
        close_reason: String::new(),
    };
    let errors = field_errors(w.app.record_follow_up(&inst, project, &entry).await.unwrap_err());
    assert_eq!(errors["next_step"], ["请填写下一步计划"]);
    let entry = FollowUpForm { next_step: "提供样品检测报告".into(), ..entry };
    assert_eq!(w.app.record_follow_up(&inst, project, &entry).await.unwrap(), ProjectState::Open);
    let deal_outcome = FollowUpForm { outcome: "deal".into(), ..entry.clone() };
    assert!(
        field_errors(w.app.record_follow_up(&inst, project, &deal_outcome).await.unwrap_err()).contains_key("outcome")
    );

    // The enterprise reads its project; another enterprise does not find it.
    let seen = w.app.follow_up_project(&ent_a, project).await.unwrap();
    assert!(!seen.may_record);
    assert_eq!(seen.entries.len(), 1);
    assert_eq!(seen.entries[0].by_name, "inst");
    assert!(matches!(w.app.follow_up_project(&ent_b, project).await, Err(ServiceError::NotFound)));
    assert!(w.app.list_follow_up_projects(&ent_b, &ProjectFilter::default()).await.unwrap().is_empty());
    let by_roadshow = ProjectFilter { roadshow: Some(id), ..ProjectFilter::default() };
    assert_eq!(w.app.list_follow_up_projects(&officer, &by_roadshow).await.unwrap().len(), 1);

    // A deal recorded from the project is pre-filled from it and ends it as a deal.
    let form = w.app.deal_form_for_project(&inst, project).await.unwrap();
    assert_eq!(form.patents, w.application_no(w.p_pool).await);
    assert_eq!(form.parties[0].org_id, Some(w.ent_a));
    let form = DealForm {
        signed_on: w.today().to_string(),
        contract_no: "AK-2026-001".into(),
        amount: "500000".into(),
        ..form
    };
    let deal = w.app.create_deal(&inst, &form).await.unwrap();
    let done = w.app.follow_up_project(&officer, project).await.unwrap();
    assert_eq!(done.project.state, ProjectState::Deal);
    assert_eq!(done.project.deal_id, Some(deal));
    assert_eq!(done.entries.len(), 2);
    let view = w.app.deal(&ent_a, deal).await.unwrap();
    assert!(!view.may_edit);
    assert_eq!((view.deal.fields.source, view.deal.fields.roadshow_id), (DealSource::Roadshow, Some(id)));
    assert_eq!(view.deal.fields.amount.fen(), 50_000_000);
    assert!(w.unread("ent_a").await.iter().any(|(k, _)| *k == NotificationKind::Deal));
    let ended = w.app.record_follow_up(&inst, project, &entry).await.unwrap_err();
    assert_eq!(field_errors(ended)["state"], ["跟踪项目当前为“已成交”，不能再记录跟踪服务"]);

    for action in [
        Action::RoadshowCreate,
        Action::RoadshowUpdate,
        Action::RoadshowRegister,
        Action::RoadshowStatus,
        Action::FollowUpProjectCreate,
        Action::FollowUpRecord,
        Action::DealCreate,
    ] {
        assert!(w.audited(action, Outcome::Success).await >= 1, "{action:?}");
    }
    assert_eq!(w.audited(Action::FollowUpRecord, Outcome::Success).await, 2);
    assert!(w.audited(Action::RoadshowStatus, Outcome::Denied).await >= 2);
    assert_eq!(w.app.list_roadshows(&ent_b, &RoadshowFilter::default()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_registration_is_cancelled_and_a_cancelled_roadshow_tells_the_registered() {
    let w = World::new().await;
    let (officer, ent_a, ent_b) = (w.actor("officer").await, w.actor("ent_a").await, w.actor("ent_b").await);
    let id =
        w.app.create_roadshow(&officer, &roadshow_form(w.today() + Duration::days(5), vec![w.p_pool])).await.unwrap();
    let reg = w.app.register_roadshow(&ent_a, id, &registration(vec![])).await.unwrap();
    assert!(matches!(w.app.cancel_registration(&ent_b, reg).await, Err(ServiceError::NotFound)));
    w.app.cancel_registration(&ent_a, reg).await.unwrap();
    // A cancelled registration may be renewed.
    w.app.register_roadshow(&ent_a, id, &registration(vec![])).await.unwrap();
    w.app.register_roadshow(&ent_b, id, &registration(vec![])).await.unwrap();
    assert_eq!(w.app.roadshow(&officer, id).await.unwrap().roadshow.registrations, 2);
    w.app.set_roadshow_status(&officer, id, RoadshowStatus::Cancelled).await.unwrap();
    for name in ["ent_a", "ent_b"] {
        assert!(w.unread(name).await.iter().any(|(k, t)| *k == NotificationKind::Roadshow && t.contains("已取消")));
    }
    assert_eq!(w.audited(Action::RoadshowUnregister, Outcome::Success).await, 1);
    let mine = RoadshowFilter { registered_org: Some(w.ent_a), ..RoadshowFilter::default() };
    assert_eq!(w.app.list_roadshows(&ent_a, &mine).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_deal_converts_its_patents_until_cancelled_and_moves_the_match_record_to_deal() {
    let w = World::new().await;
    let (officer, inst, other_inst, ent_a, ent_b, inventor) = (
        w.actor("officer").await,
        w.actor("inst").await,
        w.actor("other_inst").await,
        w.actor("ent_a").await,
        w.actor("ent_b").await,
        w.actor("inventor").await,
    );
    let plain = w.application_no(w.p_plain).await;
    let other = w.application_no(w.p_other).await;

    // Validation, field by field, in Chinese.
    let mut bad = licence(None, &plain, w.ent_b);
    bad.license_scope = String::new();
    bad.royalty = "3.555".into();
    bad.filing_status = "filed".into();
    bad.contract_no = String::new();
    let errors = field_errors(w.app.create_deal(&inst, &bad).await.unwrap_err());
    assert_eq!(errors["royalty_bp"], ["提成比例按百分数填写，如 3 或 3.5（最多两位小数）"]);
    let bad = DealForm { royalty: String::new(), ..bad };
    let errors = field_errors(w.app.create_deal(&inst, &bad).await.unwrap_err());
    assert_eq!(errors["license_scope"], ["许可须选择许可方式（独占、排他或普通）"]);
    assert_eq!(errors["contract_no"], ["请填写合同编号"]);
    assert_eq!(errors["filed_on"], ["已备案须填写备案日期"]);
    let mut unknown = licence(None, "2099100099999", w.ent_b);
    unknown.kind = "assignment".into();
    unknown.license_scope = String::new();
    unknown.royalty = String::new();
    let errors = field_errors(w.app.create_deal(&inst, &unknown).await.unwrap_err());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors["patents"][0].contains("申请号"), "{errors:?}");
    let alone = DealForm { parties: vec![], ..licence(None, &plain, w.ent_b) };
    assert_eq!(field_errors(w.app.create_deal(&inst, &alone).await.unwrap_err())["parties"], ["许可须填写被许可方"]);

    // Boundaries: another institution's patent is not found; enterprises and inventors do not record deals.
    assert!(matches!(w.app.create_deal(&inst, &licence(None, &other, w.ent_b)).await, Err(ServiceError::NotFound)));
    assert!(matches!(
        w.app.create_deal(&inst, &licence(Some(OrgId::new(999)), &plain, w.ent_b)).await,
        Err(ServiceError::NotFound)
    ));
    assert!(matches!(w.app.create_deal(&ent_b, &licence(None, &plain, w.ent_b)).await, Err(ServiceError::Forbidden)));
    assert!(matches!(
        w.app.create_deal(&inventor, &licence(None, &plain, w.ent_b)).await,
        Err(ServiceError::Forbidden)
    ));
    let wrong_holder =
        field_errors(w.app.create_deal(&officer, &licence(Some(w.inst), &other, w.ent_b)).await.unwrap_err());
    assert_eq!(wrong_holder["patents"], [format!("专利{other}的权利人不是所选单位")]);

    // An open match record between the holder and the enterprise, in negotiation.
    let interest = w.app.express_interest(&ent_b, w.p_plain, None, "").await.unwrap();
    for to in [MatchState::InContact, MatchState::Negotiating] {
        w.app
            .transition_match(&inst, interest.id, &MatchChange { to, reason: None, note: String::new() })
            .await
            .unwrap();
    }

    // Coverage before: all three of the institution's patents in scope, none converted.
    assert_eq!(w.coverage().await, (3, 0, 0));
    assert!(w.in_scope(w.p_plain).await);
    let deal = w.app.create_deal(&inst, &licence(None, &plain, w.ent_b)).await.unwrap();
    assert!(!w.in_scope(w.p_plain).await);
    assert_eq!(w.coverage().await, (2, 1, 30_000_000));
    let record = w.app.db.read().await.unwrap().match_record(interest.id).await.unwrap().unwrap();
    assert_eq!(record.state, MatchState::Deal);

    // Who sees the deal: the holder, the counterparty, the bureau; not another enterprise or institution.
    for (actor, seen) in [(&inst, 1), (&ent_b, 1), (&officer, 1), (&ent_a, 0), (&other_inst, 0), (&inventor, 0)] {
        assert_eq!(w.app.list_deals(actor, &DealFilter::default()).await.unwrap().total, seen);
    }
    assert!(matches!(w.app.deal(&ent_a, deal).await, Err(ServiceError::NotFound)));
    assert!(matches!(w.app.cancel_deal(&other_inst, deal, "录入错误").await, Err(ServiceError::NotFound)));
    assert!(w.app.deal(&officer, deal).await.unwrap().may_edit);

    // Editing keeps it effective; the amount follows.
    let mut edit = licence(None, &plain, w.ent_b);
    edit.amount = "400000".into();
    w.app.update_deal(&inst, deal, &edit).await.unwrap();
    assert_eq!(w.coverage().await, (2, 1, 40_000_000));

    // Cancelling needs a reason and returns the patent to the scope.
    assert_eq!(
        field_errors(w.app.cancel_deal(&inst, deal, " ").await.unwrap_err())["reason"],
        ["请说明撤销原因（如：录入错误、合同已解除）"]
    );
    w.app.cancel_deal(&inst, deal, "合同已解除").await.unwrap();
    assert!(w.in_scope(w.p_plain).await);
    assert_eq!(w.coverage().await, (3, 0, 0));
    let view = w.app.deal(&officer, deal).await.unwrap();
    assert_eq!((view.deal.status, view.deal.cancel_reason.as_str()), (DealStatus::Cancelled, "合同已解除"));
    assert!(!view.may_edit);
    assert!(matches!(w.app.update_deal(&inst, deal, &edit).await, Err(ServiceError::Invalid(_))));
    assert_eq!(w.app.list_deals(&officer, &DealFilter::default()).await.unwrap().total, 1);

    // The bureau records a self-implementation for the institution: no counterparty, no contract number.
    let own = DealForm {
        kind: "self_implementation".into(),
        holder_org_id: Some(w.inst),
        patents: w.application_no(w.p_second).await,
        amount: String::new(),
        filing_status: "not_required".into(),
        signed_on: "2025-01-10".into(),
        ..DealForm::default()
    };
    let implemented = w.app.create_deal(&officer, &own).await.unwrap();
    assert_eq!(w.app.deal(&inst, implemented).await.unwrap().deal.fields.kind, DealKind::SelfImplementation);
    assert_eq!(w.coverage().await, (2, 1, 0));

    // The export is a real workbook with every deal the actor sees.
    let bytes = w.app.export_deals(&officer, &DealFilter::default()).await.unwrap();
    let table = ipbridge_ingest::read_table("交易.xlsx", &bytes, None).unwrap();
    assert_eq!(table.headers[1], "转化方式");
    assert_eq!(table.rows.len(), 2);
    assert_eq!(w.audited(Action::DealCreate, Outcome::Success).await, 2);
    assert_eq!(w.audited(Action::DealUpdate, Outcome::Success).await, 1);
    assert_eq!(w.audited(Action::DealCancel, Outcome::Success).await, 1);
    assert!(w.audited(Action::ListExport, Outcome::Success).await >= 1);
}

#[tokio::test]
async fn a_project_from_a_match_record_is_closed_with_a_reason() {
    let w = World::new().await;
    let (inst, other_inst, ent_a) = (w.actor("inst").await, w.actor("other_inst").await, w.actor("ent_a").await);
    let m = w.app.express_interest(&ent_a, w.p_pool, None, "").await.unwrap();
    assert!(matches!(
        w.app.create_follow_up_project(&other_inst, NewProject::Match(m.id)).await,
        Err(ServiceError::NotFound)
    ));
    let project = w.app.create_follow_up_project(&inst, NewProject::Match(m.id)).await.unwrap();
    let close = FollowUpForm {
        happened_on: w.today().to_string(),
        content: "电话沟通".into(),
        outcome: "closed".into(),
        ..FollowUpForm::default()
    };
    assert_eq!(
        field_errors(w.app.record_follow_up(&inst, project, &close).await.unwrap_err())["close_reason"],
        ["请填写终止原因"]
    );
    let close = FollowUpForm { close_reason: "企业转向其他技术路线".into(), ..close };
    assert_eq!(w.app.record_follow_up(&inst, project, &close).await.unwrap(), ProjectState::Closed);
    let v = w.app.follow_up_project(&ent_a, project).await.unwrap();
    assert_eq!((v.project.state, v.project.close_reason.as_str()), (ProjectState::Closed, "企业转向其他技术路线"));
    assert_eq!(v.project.match_id, Some(m.id));
    // The pair may start a new project once the first has ended.
    w.app.create_follow_up_project(&inst, NewProject::Match(m.id)).await.unwrap();
    let future = FollowUpForm { happened_on: (w.today() + Duration::days(3)).to_string(), ..close };
    let projects = w.app.list_follow_up_projects(&inst, &ProjectFilter::default()).await.unwrap();
    let open = projects.iter().find(|p| p.state == ProjectState::Open).unwrap().id;
    assert_eq!(
        field_errors(w.app.record_follow_up(&inst, open, &future).await.unwrap_err())["happened_on"],
        ["跟进日期不能晚于今天"]
    );
    assert_eq!(w.audited(Action::FollowUpProjectCreate, Outcome::Success).await, 2);
}

#[tokio::test]
async fn follow_up_choices_put_registrations_first_only_for_those_who_see_registrations() {
    let w = World::new().await;
    let (officer, leader, inst) = (w.actor("officer").await, w.actor("leader").await, w.actor("inst").await);
    let id =
        w.app.create_roadshow(&officer, &roadshow_form(w.today() + Duration::days(5), vec![w.p_pool])).await.unwrap();
    // ent_b sorts after ent_a by name; registering it alone shows whether the list leads with registrations.
    w.app.register_roadshow(&w.actor("ent_b").await, id, &registration(vec![])).await.unwrap();
    let ids = |v: Vec<(OrgId, String)>| v.into_iter().map(|(id, _)| id).collect::<Vec<_>>();

    let bureau = ids(w.app.follow_up_enterprise_choices(&officer, id).await.unwrap());
    assert_eq!(bureau, [w.ent_b, w.ent_a], "the bureau sees the registered enterprise first");

    // An institution admin may follow up but not see who registered: every active enterprise, by name only.
    assert!(w.app.roadshow(&inst, id).await.unwrap().registrations.is_none());
    let institution = ids(w.app.follow_up_enterprise_choices(&inst, id).await.unwrap());
    assert_eq!(institution, [w.ent_a, w.ent_b], "the order must not disclose the registration");

    // The leader sees registrations but may not record follow-ups at all.
    assert!(matches!(w.app.follow_up_enterprise_choices(&leader, id).await, Err(ServiceError::Forbidden)));
}
