//! Inventory records through the service on a real SQLite file: the review chain on both routes, returns and
//! refusals with their Chinese messages, who sees which record, inventor links, the xlsx import with its
//! report, and coverage figures moving with each step.

use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::ids::{FacultyId, InventoryRecordId, OrgId, PatentId};
use ipbridge_domain::notification::NotificationKind;
use ipbridge_domain::org::OrgKind;
use ipbridge_domain::patent::{ApplicationNo, PatentRecord};
use ipbridge_domain::permission::Role;
use ipbridge_domain::revitalisation::{InventoryField, InventoryInput, ReviewAction, ReviewActor, ReviewState};
use ipbridge_ingest::{Cell, Table};
use ipbridge_service::accounts::NewAccount;
use ipbridge_service::orgs::OrgForm;
use ipbridge_service::revitalisation::coverage::UnrecordedQuery;
use ipbridge_service::revitalisation::inventory::{InventoryForm, InventoryQuery, InventoryView};
use ipbridge_service::{Actor, App, AuditFilter, Format, ServiceError, Settings};
use serde_json::json;

const PASSWORD: &str = "Demo#2026pass";

/// An institution with two faculties that each have a reviewer, an admin, two inventors (one linked later),
/// another institution, the bureau and an enterprise; patents of each institution and of the enterprise.
struct World {
    _dir: tempfile::TempDir,
    app: App,
    inst: OrgId,
    f_food: FacultyId,
    p1: PatentId,
    p2: PatentId,
    p3: PatentId,
    p_other: PatentId,
    p_ent: PatentId,
}

async fn org(app: &App, kind: OrgKind, name: &str) -> OrgId {
    let form = OrgForm {
        kind: kind.code().into(),
        institution_kind: if kind == OrgKind::Institution { "university".into() } else { String::new() },
        name: name.into(),
        credit_code: if kind == OrgKind::Enterprise {
            ipbridge_domain::CreditCode::with_check("91610902MA6YQ1A01").unwrap().to_string()
        } else {
            String::new()
        },
        county_code: if kind == OrgKind::Enterprise { "610902".into() } else { String::new() },
        active: true,
        ..OrgForm::default()
    };
    app.create_org(&Actor::cli(), &form).await.unwrap()
}

async fn account(app: &App, name: &str, org: OrgId, faculty: Option<FacultyId>, role: Role) {
    let new = NewAccount {
        username: name.into(),
        display_name: format!("{name}老师"),
        org_id: Some(org),
        faculty_id: faculty,
        password: PASSWORD.into(),
    };
    app.bootstrap_account(&Actor::cli(), &new, &[role]).await.unwrap();
}

fn no(serial: u32) -> String {
    ApplicationNo::from_parts(2021, 1, serial).unwrap().as_str().to_owned()
}

fn record(serial: u32, title: &str, applicant: &str) -> PatentRecord {
    serde_json::from_value(json!({
        "application_no": no(serial), "patent_type": "invention", "title": title, "legal_status": "granted",
        "applicants": [{"name": applicant}], "filing_date": "2021-03-01",
    }))
    .unwrap()
}

fn complete() -> InventoryInput {
    InventoryInput {
        transfer_intent: "许可".into(),
        already_implemented: "否".into(),
        prospect_grade: "B".into(),
        maturity: "6".into(),
        problem_solved: "富硒茶叶加工中硒元素流失".into(),
        advantage: "硒保留率提高30%".into(),
        application_fields: "茶叶深加工".into(),
        route_to_market: "许可给本地茶企".into(),
        price_min: "20万".into(),
        price_max: "50万".into(),
        contact_name: "李老师".into(),
        contact_phone: "0915-3261234".into(),
    }
}

impl World {
    async fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        settings.server.data_dir = dir.path().to_owned();
        let app = App::open(settings, ipbridge_service::load_policy(None).unwrap()).await.unwrap();
        let bureau = app.ensure_bureau_org(&Actor::cli()).await.unwrap();
        let inst = org(&app, OrgKind::Institution, "安康理工学院").await;
        let other = org(&app, OrgKind::Institution, "秦巴富硒生物技术研究院").await;
        let ent = org(&app, OrgKind::Enterprise, "安康硒源茶业有限公司").await;
        let f_food = app.add_faculty(&Actor::cli(), inst, "食品与生物工程学院").await.unwrap();
        let f_mech = app.add_faculty(&Actor::cli(), inst, "机械工程学院").await.unwrap();
        for (name, org, faculty, role) in [
            ("officer", bureau, None, Role::BureauOfficer),
            ("leader", bureau, None, Role::BureauLeader),
            ("inst", inst, None, Role::InstitutionAdmin),
            ("reviewer", inst, Some(f_food), Role::FacultyReviewer),
            ("reviewer_mech", inst, Some(f_mech), Role::FacultyReviewer),
            ("inventor", inst, Some(f_food), Role::Inventor),
            ("inventor2", inst, Some(f_food), Role::Inventor),
            ("other_inst", other, None, Role::InstitutionAdmin),
            ("ent", ent, None, Role::EnterpriseUser),
        ] {
            account(&app, name, org, faculty, role).await;
        }
        let records = vec![
            record(200_001, "一种富硒茶叶的深加工方法", "安康理工学院"),
            record(200_002, "一种茶园轨道运输车", "安康理工学院"),
            record(200_003, "一种魔芋精粉的提纯装置", "安康理工学院"),
            record(200_004, "一种魔芋葡甘聚糖的提纯方法", "秦巴富硒生物技术研究院"),
            record(200_005, "一种茶叶揉捻机", "安康硒源茶业有限公司"),
        ];
        app.import_records(&Actor::cli(), "测试专利", records).await.unwrap();
        let page = app.list_patents(&Actor::cli(), &Default::default()).await.unwrap();
        let id = |serial: u32| page.patents.iter().find(|p| p.application_no == no(serial)).unwrap().id;
        World {
            p1: id(200_001),
            p2: id(200_002),
            p3: id(200_003),
            p_other: id(200_004),
            p_ent: id(200_005),
            _dir: dir,
            app,
            inst,
            f_food,
        }
    }

    async fn actor(&self, name: &str) -> Actor {
        Actor::logged_in(self.app.account_by_name(name).await.unwrap(), "127.0.0.1", format!("req-{name}"))
    }

    async fn user_id(&self, name: &str) -> ipbridge_domain::ids::UserId {
        self.app.account_by_name(name).await.unwrap().id
    }

    async fn audited(&self, action: Action, outcome: Outcome) -> u64 {
        let filter = AuditFilter { action: Some(action), outcome: Some(outcome), ..AuditFilter::default() };
        self.app.audit_page(&Actor::cli(), &filter).await.unwrap().total
    }

    async fn unread(&self, name: &str) -> Vec<(NotificationKind, String)> {
        let page = self.app.notifications(&self.actor(name).await, true, 50, 0).await.unwrap();
        page.items.into_iter().map(|n| (n.kind, n.title)).collect()
    }

    async fn step(
        &self,
        who: &str,
        id: InventoryRecordId,
        action: ReviewAction,
        comment: &str,
    ) -> Result<ReviewState, ServiceError> {
        self.app.inventory_step(&self.actor(who).await, id, action, comment).await
    }

    async fn state(&self, id: InventoryRecordId) -> ReviewState {
        self.app.inventory_record(&Actor::cli(), id).await.unwrap().record.state
    }

    /// The inventor linked to p1 files a complete record for the food faculty.
    async fn filed_by_inventor(&self, submit: bool) -> InventoryRecordId {
        let inst = self.actor("inst").await;
        self.app.link_inventor(&inst, self.p1, self.user_id("inventor").await, "张三").await.unwrap();
        let form =
            InventoryForm { input: complete(), faculty_id: self.f_food.get().to_string(), chain_code: String::new() };
        self.app.create_inventory_record(&self.actor("inventor").await, self.p1, &form, submit).await.unwrap()
    }

    async fn coverage_of_inst(&self) -> ipbridge_domain::revitalisation::CoverageCounts {
        self.app.coverage(&self.actor("inst").await, None).await.unwrap().org.unwrap().counts
    }
}

fn message(e: ServiceError) -> String {
    match e {
        ServiceError::Invalid(errors) => errors.0.values().flatten().cloned().collect::<Vec<_>>().join("；"),
        other => panic!("expected a refusal with a message, got {other:?}"),
    }
}

#[tokio::test]
async fn the_whole_chain_through_the_faculty() {
    let w = World::new().await;
    let before = w.coverage_of_inst().await;
    assert_eq!((before.in_scope, before.recorded), (3, 0));

    let id = w.filed_by_inventor(true).await;
    assert_eq!(w.state(id).await, ReviewState::Submitted);
    // The faculty's reviewer is told, personally; the other faculty's reviewer is not.
    assert!(w.unread("reviewer").await.iter().any(|n| n.0 == NotificationKind::InventorySubmitted));
    assert!(w.unread("reviewer_mech").await.is_empty());
    let after_submit = w.coverage_of_inst().await;
    assert_eq!((after_submit.recorded, after_submit.reviewed), (1, 0));

    // The reviewer's queue holds it; the institution's does not yet (the faculty reviews first).
    let queue = InventoryQuery { view: InventoryView::Review, ..InventoryQuery::default() };
    assert_eq!(w.app.inventory_list(&w.actor("reviewer").await, &queue).await.unwrap().total, 1);
    assert_eq!(w.app.inventory_list(&w.actor("inst").await, &queue).await.unwrap().total, 0);
    let view = w.app.inventory_record(&w.actor("reviewer").await, id).await.unwrap();
    assert_eq!(view.actions, [ReviewAction::Approve, ReviewAction::ReturnForRevision]);

    assert_eq!(w.step("reviewer", id, ReviewAction::Approve, "同意").await.unwrap(), ReviewState::FacultyApproved);
    assert!(w.unread("inst").await.iter().any(|n| n.0 == NotificationKind::InventorySubmitted));
    assert_eq!(w.app.inventory_list(&w.actor("inst").await, &queue).await.unwrap().total, 1);
    assert_eq!(w.step("inst", id, ReviewAction::Approve, "").await.unwrap(), ReviewState::InstitutionApproved);
    assert!(w.unread("inventor").await.iter().any(|n| n.0 == NotificationKind::InventoryApproved));
    assert_eq!(w.coverage_of_inst().await.reviewed, 1);

    assert_eq!(w.step("officer", id, ReviewAction::AddToBasePool, "").await.unwrap(), ReviewState::BasePool);
    assert_eq!(w.step("inst", id, ReviewAction::ScreenIntoPool, "入库").await.unwrap(), ReviewState::TransferablePool);
    let c = w.coverage_of_inst().await;
    assert_eq!((c.base_pool, c.transferable_pool), (1, 1));
    let out = w.step("officer", id, ReviewAction::RemoveFromPool, "").await.unwrap_err();
    assert_eq!(message(out), "移出可转化专利资源库须填写意见，说明原因");
    assert_eq!(
        w.step("officer", id, ReviewAction::RemoveFromPool, "企业反馈技术已过时").await.unwrap(),
        ReviewState::BasePool
    );

    // The history names who acted, in which capacity, from where to where, with the comment.
    let events = w.app.inventory_record(&w.actor("inventor").await, id).await.unwrap().events;
    let steps: Vec<(Option<ReviewActor>, Option<ReviewState>, ReviewState, &str)> =
        events.iter().map(|e| (e.actor_kind, e.from, e.to, e.comment.as_str())).collect();
    assert_eq!(steps[0], (Some(ReviewActor::Inventor), None, ReviewState::Draft, ""));
    assert_eq!(steps[1], (Some(ReviewActor::Inventor), Some(ReviewState::Draft), ReviewState::Submitted, ""));
    assert_eq!(
        steps[2],
        (Some(ReviewActor::FacultyReviewer), Some(ReviewState::Submitted), ReviewState::FacultyApproved, "同意")
    );
    assert_eq!(steps.len(), 7);
    assert_eq!(w.audited(Action::InventoryApprove, Outcome::Success).await, 2);
    assert_eq!(w.audited(Action::InventoryCreate, Outcome::Success).await, 1);
    assert_eq!(w.audited(Action::InventorLink, Outcome::Success).await, 1);
}

#[tokio::test]
async fn without_a_faculty_the_institution_reviews_alone() {
    let w = World::new().await;
    let inst = w.actor("inst").await;
    let form = InventoryForm { input: complete(), ..InventoryForm::default() };
    let id = w.app.create_inventory_record(&inst, w.p2, &form, false).await.unwrap();
    assert_eq!(w.state(id).await, ReviewState::Draft);
    // A draft is not recorded yet.
    assert_eq!(w.coverage_of_inst().await.draft, 1);
    w.step("inst", id, ReviewAction::Submit, "").await.unwrap();
    let view = w.app.inventory_record(&inst, id).await.unwrap();
    assert_eq!(view.route, ipbridge_domain::revitalisation::ReviewRoute::InstitutionOnly);
    // No faculty reviewer sees it.
    assert!(matches!(w.app.inventory_record(&w.actor("reviewer").await, id).await, Err(ServiceError::NotFound)));
    assert_eq!(w.step("inst", id, ReviewAction::Approve, "").await.unwrap(), ReviewState::InstitutionApproved);
}

#[tokio::test]
async fn returns_need_a_comment_and_reach_the_filer() {
    let w = World::new().await;
    let id = w.filed_by_inventor(true).await;
    let e = w.step("reviewer", id, ReviewAction::ReturnForRevision, "  ").await.unwrap_err();
    assert_eq!(message(e), "退回修改须填写意见，说明原因");
    assert_eq!(w.state(id).await, ReviewState::Submitted);
    assert_eq!(
        w.step("reviewer", id, ReviewAction::ReturnForRevision, "技术优势写得过于简略").await.unwrap(),
        ReviewState::Draft
    );
    let told = w.unread("inventor").await;
    assert!(told.iter().any(|n| n.0 == NotificationKind::InventoryReturned), "{told:?}");
    let r = w.app.inventory_record(&w.actor("inventor").await, id).await.unwrap().record;
    assert_eq!(r.last_comment, "技术优势写得过于简略");
    // A returned record no longer counts as recorded.
    assert_eq!(w.coverage_of_inst().await.recorded, 0);
    // The filer edits the draft (the reviewer's comment stays while editing) and submits again.
    let mut form = InventoryForm::from_record(&r);
    form.input.advantage = "硒保留率提高30%，能耗降低20%".into();
    let state = w.app.update_inventory_record(&w.actor("inventor").await, id, &form, true).await.unwrap();
    assert_eq!(state, ReviewState::Submitted);
}

#[tokio::test]
async fn refused_steps_say_who_may_take_them() {
    let w = World::new().await;
    let id = w.filed_by_inventor(true).await;
    // The institution cannot skip the faculty.
    let e = w.step("inst", id, ReviewAction::Approve, "").await.unwrap_err();
    assert_eq!(message(e), "“待审核”的盘点记录审核通过须由学院审核人操作，单位管理员不能操作");
    // The inventor cannot approve; the bureau cannot screen what the institution has not approved.
    let e = w.step("inventor", id, ReviewAction::Approve, "").await.unwrap_err();
    assert!(message(e).contains("发明人不能操作"));
    let e = w.step("officer", id, ReviewAction::AddToBasePool, "").await.unwrap_err();
    assert_eq!(message(e), "盘点记录当前为“待审核”，不能纳入专利基础库");
    // The bureau's leader reads but acts on nothing.
    assert!(matches!(w.step("leader", id, ReviewAction::Approve, "").await, Err(ServiceError::Forbidden)));
    assert!(w.audited(Action::InventoryApprove, Outcome::Denied).await >= 3);
    // Content is edited in draft only; the contact in every state.
    let r = w.app.inventory_record(&Actor::cli(), id).await.unwrap().record;
    let mut form = InventoryForm::from_record(&r);
    form.input.maturity = "7".into();
    let e = w.app.update_inventory_record(&w.actor("inventor").await, id, &form, false).await.unwrap_err();
    assert_eq!(message(e), "盘点记录当前为“待审核”，不能修改");
    let mut form = InventoryForm::from_record(&r);
    form.input.contact_name = "王老师".into();
    assert_eq!(
        w.app.update_inventory_record(&w.actor("inventor").await, id, &form, false).await.unwrap(),
        ReviewState::Submitted
    );
    // Submitting needs the content complete, every missing field named.
    let inst = w.actor("inst").await;
    let draft = InventoryForm {
        input: InventoryInput { transfer_intent: "转让".into(), ..InventoryInput::default() },
        ..InventoryForm::default()
    };
    let e = w.app.create_inventory_record(&inst, w.p2, &draft, true).await.unwrap_err();
    let ServiceError::Invalid(errors) = e else { panic!("expected field errors") };
    assert_eq!(errors.first("maturity"), Some("提交审核前请填写技术成熟度"));
    assert_eq!(errors.first("contact_phone"), Some("提交审核前请填写联系电话"));
    // Bad values are reported field by field.
    let bad = InventoryForm {
        input: InventoryInput { maturity: "12".into(), contact_phone: "123".into(), ..complete() },
        ..InventoryForm::default()
    };
    let ServiceError::Invalid(errors) = w.app.create_inventory_record(&inst, w.p2, &bad, false).await.unwrap_err()
    else {
        panic!("expected field errors")
    };
    assert!(errors.first("maturity").unwrap().contains("1–9"));
    assert!(errors.first("contact_phone").is_some());
}

#[tokio::test]
async fn who_sees_which_record() {
    let w = World::new().await;
    let id = w.filed_by_inventor(true).await;
    let see = |who: &'static str| {
        let w = &w;
        async move { w.app.inventory_record(&w.actor(who).await, id).await.map(|v| v.record.id) }
    };
    assert_eq!(see("inventor").await.unwrap(), id);
    assert_eq!(see("reviewer").await.unwrap(), id);
    assert_eq!(see("inst").await.unwrap(), id);
    assert_eq!(see("officer").await.unwrap(), id);
    assert_eq!(see("leader").await.unwrap(), id);
    assert!(matches!(see("inventor2").await, Err(ServiceError::NotFound)), "not linked");
    assert!(matches!(see("reviewer_mech").await, Err(ServiceError::NotFound)), "another faculty");
    assert!(matches!(see("other_inst").await, Err(ServiceError::NotFound)), "another institution");
    assert!(matches!(see("ent").await, Err(ServiceError::Forbidden)), "an enterprise");
    // Lists are narrowed the same way.
    let all = InventoryQuery::default();
    for (who, n) in
        [("inventor", 1), ("inventor2", 0), ("reviewer", 1), ("reviewer_mech", 0), ("other_inst", 0), ("officer", 1)]
    {
        assert_eq!(w.app.inventory_list(&w.actor(who).await, &all).await.unwrap().total, n, "{who}");
    }
    // The other institution asking for this institution's records gets its own (none).
    let theirs = InventoryQuery { org: Some(w.inst), ..InventoryQuery::default() };
    assert_eq!(w.app.inventory_list(&w.actor("other_inst").await, &theirs).await.unwrap().total, 0);
    // An unlinked inventor cannot start a record; another institution cannot either; an enterprise patent is out
    // of scope.
    let form = InventoryForm { input: complete(), ..InventoryForm::default() };
    assert!(matches!(
        w.app.create_inventory_record(&w.actor("inventor2").await, w.p3, &form, false).await,
        Err(ServiceError::NotFound)
    ));
    assert!(matches!(
        w.app.create_inventory_record(&w.actor("other_inst").await, w.p3, &form, false).await,
        Err(ServiceError::NotFound)
    ));
    assert!(w.app.create_inventory_record(&w.actor("other_inst").await, w.p_other, &form, false).await.is_ok());
    assert!(w.app.create_inventory_record(&Actor::cli(), w.p_ent, &form, false).await.is_err());
    // The unrecorded list: the inventor sees nothing left (p1 is recorded); the institution its other patents.
    let q = UnrecordedQuery::default();
    assert_eq!(w.app.unrecorded_patents(&w.actor("inventor").await, &q).await.unwrap().total, 0);
    assert_eq!(w.app.unrecorded_patents(&w.actor("inst").await, &q).await.unwrap().total, 2);
    // Only the institution's admin links inventors.
    let uid = w.user_id("inventor2").await;
    assert!(matches!(
        w.app.link_inventor(&w.actor("other_inst").await, w.p1, uid, "").await,
        Err(ServiceError::NotFound)
    ));
    assert!(matches!(
        w.app.link_inventor(&w.actor("officer").await, w.p1, uid, "").await,
        Err(ServiceError::Forbidden)
    ));
    assert!(w.app.link_inventor(&w.actor("inst").await, w.p1, uid, "").await.unwrap());
    assert_eq!(see("inventor2").await.unwrap(), id);
    assert!(w.app.unlink_inventor(&w.actor("inst").await, w.p1, uid).await.unwrap());
    assert!(matches!(see("inventor2").await, Err(ServiceError::NotFound)));
}

fn template_table(rows: &[[&str; 15]]) -> Vec<u8> {
    let headers: Vec<&str> = InventoryField::TEMPLATE.iter().map(|f| f.label()).collect();
    let mut t = Table::new("盘点", &headers);
    for r in rows {
        t.push(r.iter().map(|c| Cell::from(*c)).collect());
    }
    t.to_xlsx().unwrap()
}

#[tokio::test]
async fn import_accounts_for_every_row() {
    let w = World::new().await;
    let (n2, n3, n4) = (no(200_002), no(200_003), no(200_004));
    let good = |n: &str, faculty: &str| -> [String; 15] {
        [
            n,
            faculty,
            "许可",
            "否",
            "B",
            "TRL6",
            "硒流失",
            "保留率高",
            "茶叶",
            "许可",
            "20万",
            "50万",
            "李老师",
            "0915-3261234",
            "",
        ]
        .map(String::from)
    };
    let rows: Vec<[String; 15]> = vec![
        good(&n2, "食品与生物工程学院"),
        // Incomplete: no maturity and no phone (rejected when submitting).
        {
            let mut r = good(&n3, "");
            r[5] = String::new();
            r[13] = String::new();
            r
        },
        good(&n4, ""),              // another institution's patent
        good("202112345678.9", ""), // a bad check digit
        good(&no(299_999), ""),     // not on the platform
        good(&n2, ""),              // the same patent twice
        {
            let mut r = good(&no(200_001), "不存在学院");
            r[5] = "12".into();
            r
        },
    ];
    let refs: Vec<[&str; 15]> = rows.iter().map(|r| r.each_ref().map(String::as_str)).collect();
    let bytes = template_table(&refs);
    let inst = w.actor("inst").await;
    let report = w.app.import_inventory(&inst, "盘点.xlsx", bytes.clone(), Some(Format::Xlsx), true).await.unwrap();
    assert_eq!((report.total, report.created, report.submitted, report.rejected), (7, 1, 1, 6));
    let table =
        ipbridge_ingest::read_table("report.xlsx", report.report.as_ref().unwrap(), Some(Format::Xlsx)).unwrap();
    let reasons: Vec<&str> = table.rows.iter().map(|r| r.cells.last().unwrap().as_str()).collect();
    assert!(reasons[0].contains("【技术成熟度】提交审核前请填写技术成熟度"), "{}", reasons[0]);
    assert!(reasons[0].contains("【联系电话】"), "{}", reasons[0]);
    assert!(reasons[1].contains("不是本单位的专利"), "{}", reasons[1]);
    assert!(reasons[3].contains("平台上没有申请号"), "{}", reasons[3]);
    assert!(reasons[4].contains("与第2行是同一件专利"), "{}", reasons[4]);
    assert!(reasons[5].contains("没有名为“不存在学院”的院系") && reasons[5].contains("技术成熟度"), "{}", reasons[5]);
    // The submitted row went to its faculty's reviewer, in one notice for the import.
    assert!(w.unread("reviewer").await.iter().any(|n| n.1.contains("导入的1条盘点记录待审核")));
    assert_eq!(w.coverage_of_inst().await.recorded, 1);
    // As drafts, the incomplete row is accepted; the submitted one cannot be changed by an import.
    let report = w.app.import_inventory(&inst, "盘点.xlsx", bytes, Some(Format::Xlsx), false).await.unwrap();
    assert_eq!((report.created, report.submitted), (1, 0));
    let table =
        ipbridge_ingest::read_table("report.xlsx", report.report.as_ref().unwrap(), Some(Format::Xlsx)).unwrap();
    assert!(table.rows[0].cells.last().unwrap().contains("当前为“待审核”，不能通过导入修改"));
    assert_eq!(w.coverage_of_inst().await.draft, 1);
    // Only an institution admin imports.
    let e = w.app.import_inventory(&w.actor("inventor").await, "x.xlsx", Vec::new(), None, false).await.unwrap_err();
    assert!(matches!(e, ServiceError::Forbidden));
    assert!(w.audited(Action::InventoryImport, Outcome::Success).await >= 3);
}

#[tokio::test]
async fn a_blank_faculty_in_an_import_means_what_the_form_preselects() {
    let w = World::new().await;
    let inst = w.actor("inst").await;
    let inventor = w.user_id("inventor").await;
    for p in [w.p1, w.p2, w.p3] {
        w.app.link_inventor(&inst, p, inventor, "张三").await.unwrap();
    }
    // The form preselects the linked inventor's faculty for a new record …
    let form_default = w.app.patent_inventory(&inst, w.p3).await.unwrap().scope.faculty_id;
    assert_eq!(form_default, Some(w.f_food));
    // … and the admin chose none for p2: the institution reviews it alone.
    let form = InventoryForm { input: complete(), ..InventoryForm::default() };
    let p2 = w.app.create_inventory_record(&inst, w.p2, &form, false).await.unwrap();
    assert_eq!(w.app.patent_inventory(&inst, w.p2).await.unwrap().scope.faculty_id, None);

    let row = |n: String, faculty: &str| -> [String; 15] {
        [
            n.as_str(),
            faculty,
            "许可",
            "否",
            "B",
            "TRL6",
            "硒流失",
            "保留率高",
            "茶叶",
            "许可",
            "20万",
            "50万",
            "李老师",
            "0915-3261234",
            "",
        ]
        .map(|c| c.to_string())
    };
    let rows = [row(no(200_002), ""), row(no(200_003), ""), row(no(200_001), "不指定")];
    let refs: Vec<[&str; 15]> = rows.iter().map(|r| r.each_ref().map(String::as_str)).collect();
    let report =
        w.app.import_inventory(&inst, "盘点.xlsx", template_table(&refs), Some(Format::Xlsx), false).await.unwrap();
    assert_eq!((report.created, report.updated, report.rejected), (2, 1, 0));
    let mut faculties = Vec::new();
    for p in [w.p2, w.p3, w.p1] {
        let id = w.app.patent_inventory(&Actor::cli(), p).await.unwrap().record.unwrap();
        faculties.push(w.app.inventory_record(&Actor::cli(), id).await.unwrap().record.faculty_id);
    }
    // p2: a draft keeps its faculty, none included; p3: a new record takes the form's default; p1: “不指定”.
    assert_eq!(faculties, [None, Some(w.f_food), None]);
    assert_eq!(w.app.patent_inventory(&Actor::cli(), w.p2).await.unwrap().record, Some(p2));
    // Coverage follows the records: p2 and p1 under 未分院系, p3 under its faculty.
    let v = w.app.coverage(&inst, None).await.unwrap();
    let in_scope = |f: Option<FacultyId>| v.faculties.iter().find(|r| r.faculty_id == f).unwrap().counts.in_scope;
    assert_eq!((in_scope(Some(w.f_food)), in_scope(None)), (1, 2));
}

#[tokio::test]
async fn exports_and_home_cards() {
    let w = World::new().await;
    let id = w.filed_by_inventor(true).await;
    let bytes = w.app.export_inventory(&w.actor("officer").await, &InventoryQuery::default()).await.unwrap();
    let t = ipbridge_ingest::read_table("e.xlsx", &bytes, Some(Format::Xlsx)).unwrap();
    assert_eq!(t.rows.len(), 1);
    assert_eq!(t.rows[0].cells[0], no(200_001));
    let bytes = w.app.export_coverage(&w.actor("officer").await, Some(w.inst)).await.unwrap();
    let t = ipbridge_ingest::read_table("c.xlsx", &bytes, Some(Format::Xlsx)).unwrap();
    assert_eq!(t.rows[0].cells[1], "全市高校院所合计");
    let bytes = w.app.export_unrecorded(&w.actor("inst").await, &UnrecordedQuery::default()).await.unwrap();
    assert_eq!(ipbridge_ingest::read_table("u.xlsx", &bytes, Some(Format::Xlsx)).unwrap().rows.len(), 2);
    let card = w.app.inventory_home(&w.actor("reviewer").await).await.unwrap().unwrap();
    assert_eq!(card.to_review, Some(1));
    let card = w.app.inventory_home(&w.actor("inst").await).await.unwrap().unwrap();
    assert_eq!((card.to_fill, card.to_review, card.coverage.as_deref()), (Some(2), Some(0), Some("33.3%")));
    assert!(w.app.inventory_home(&w.actor("ent").await).await.unwrap().is_none());
    // A faculty reviewer sees the own faculty only; an enterprise no coverage at all.
    let v = w.app.coverage(&w.actor("reviewer").await, None).await.unwrap();
    assert_eq!(v.faculties.len(), 1);
    assert!(v.city.is_none() && v.institutions.is_empty());
    assert!(matches!(w.app.coverage(&w.actor("ent").await, None).await, Err(ServiceError::Forbidden)));

    // Returned for revision: counted on the cards of those who file it; a draft never submitted is not.
    w.step("reviewer", id, ReviewAction::ReturnForRevision, "请补充应用领域").await.unwrap();
    let form = InventoryForm { input: complete(), ..InventoryForm::default() };
    w.app.create_inventory_record(&w.actor("inst").await, w.p2, &form, false).await.unwrap();
    let card = w.app.inventory_home(&w.actor("inventor").await).await.unwrap().unwrap();
    assert_eq!((card.to_fill, card.returned), (Some(1), 1));
    let card = w.app.inventory_home(&w.actor("inst").await).await.unwrap().unwrap();
    assert_eq!((card.to_fill, card.returned), (Some(3), 1));
    let card = w.app.inventory_home(&w.actor("inventor2").await).await.unwrap().unwrap();
    assert_eq!((card.to_fill, card.returned), (Some(0), 0));
}
