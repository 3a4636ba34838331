//! HTTP tests of roadshows, follow-up projects and deals: the real router in-process on a real SQLite file
//! with the demo city, logged in as the demo accounts.

mod common;

use common::{Client, extract};

use axum::Router;
use axum::http::StatusCode;
use chrono::Duration;
use ipbridge_domain::audit::Action;
use ipbridge_domain::org::OrgKind;
use ipbridge_service::{Actor, App, AuditFilter, OrgFilter, PatentFilter, Settings};

const PASSWORD: &str = "Demo#2026pass";

struct TestApp {
    _dir: tempfile::TempDir,
    app: App,
    router: Router,
}

impl TestApp {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        settings.server.data_dir = dir.path().to_owned();
        let app = App::open(settings, ipbridge_service::load_policy(None).unwrap()).await.unwrap();
        app.seed_demo(&Actor::cli(), Some(PASSWORD)).await.unwrap().unwrap();
        let router = ipbridge_web::router(app.clone());
        Self { _dir: dir, app, router }
    }

    fn client(&self) -> Client {
        Client::new(self.router.clone(), self.app.clone())
    }

    async fn logged_in(&self, username: &str) -> Client {
        let mut c = self.client();
        c.get("/login").await;
        let res = c.post("/login", &[("username", username), ("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{username}: {}", res.body);
        c
    }

    async fn actor(&self, username: &str) -> Actor {
        Actor::logged_in(self.app.account_by_name(username).await.unwrap(), "127.0.0.1", "test")
    }

    async fn audit_count(&self, action: Action) -> u64 {
        let filter = AuditFilter { action: Some(action), ..AuditFilter::default() };
        self.app.audit_page(&Actor::cli(), &filter).await.unwrap().total
    }

    /// An in-force patent held by `org`, and its application number.
    async fn patent_of(&self, org: ipbridge_domain::ids::OrgId) -> Option<(i64, String)> {
        let filter = PatentFilter { holder_org: Some(org), in_force: Some(true), limit: 1, ..PatentFilter::default() };
        let page = self.app.list_patents(&Actor::cli(), &filter).await.unwrap();
        page.patents.first().map(|p| (p.id.get(), p.application_no.clone()))
    }

    fn today(&self) -> chrono::NaiveDate {
        self.app.china_today()
    }
}

fn id_from(location: &Option<String>, prefix: &str) -> String {
    let l = location.as_deref().unwrap_or_default();
    assert!(l.starts_with(prefix), "redirected to {l:?}, expected {prefix}…");
    l[prefix.len()..].to_owned()
}

#[tokio::test]
async fn a_roadshow_from_planning_to_a_follow_up_and_a_deal_over_http() {
    let t = TestApp::new().await;
    // The demo city has audit records of its own: counts are compared with what was there before.
    let before_roadshow_register = t.audit_count(Action::RoadshowRegister).await;
    let before_deal_cancel = t.audit_count(Action::DealCancel).await;
    let mut officer = t.logged_in("bureau_officer").await;
    let mut ent = t.logged_in("enterprise_user").await;
    let mut inst = t.logged_in("institution_admin").await;
    let day = (t.today() + Duration::days(7)).to_string();

    // The bureau plans a roadshow; a form without the CSRF token is refused.
    let page = officer.get("/roadshows/new").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("新建路演活动"));
    let fields = [
        ("title", "富硒食品产业链专利路演"),
        ("held_on", day.as_str()),
        ("mode", "online"),
        ("online_link", "腾讯会议 123-456-789"),
        ("description", "推介富硒食品加工专利"),
    ];
    let forged = officer.post_raw("/roadshows", &fields).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let missing = officer.post("/roadshows", &[("title", "路演"), ("mode", "online")]).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.body.contains("请填写举办日期") && missing.body.contains("请填写线上链接或平台"));
    let created = officer.post("/roadshows", &fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let id = id_from(&created.location, "/roadshows/");
    let list = ent.get("/roadshows").await;
    assert!(list.body.contains("富硒食品产业链专利路演") && list.body.contains("筹备中"));
    assert!(list.body.contains("href=\"/deals\"") && list.body.contains("href=\"/follow-ups\""));

    // The enterprise registers once; the second time it is told in Chinese.
    let path = format!("/roadshows/{id}");
    assert!(ent.get(&path).await.body.contains("报名参加"));
    let form = [("contact_name", "王经理"), ("contact_phone", "13912345678"), ("attendees", "2"), ("note", "")];
    let done = ent.post(&format!("{path}/register"), &form).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let shown = ent.get(&path).await;
    assert!(shown.body.contains("本企业报名") && !shown.body.contains("导出报名表"));
    let again = ent.post(&format!("{path}/register"), &form).await;
    assert!(again.body.contains("本企业已报名该路演") || again.status == StatusCode::CONFLICT, "{}", again.status);
    assert_eq!(t.audit_count(Action::RoadshowRegister).await, before_roadshow_register + 1);
    // Institutions cannot register; enterprises cannot change roadshows.
    assert_eq!(inst.post(&format!("{path}/register"), &form).await.status, StatusCode::FORBIDDEN);
    assert_eq!(ent.post(&format!("{path}/status"), &[("to", "held")]).await.status, StatusCode::FORBIDDEN);

    // The bureau sees and exports the registrations as a real workbook.
    let seen = officer.get(&path).await;
    assert!(seen.body.contains("报名企业（1 家）") && seen.body.contains("13912345678"));
    let xlsx = officer.get(&format!("{path}/registrations/export")).await;
    assert!(xlsx.content_type.contains("spreadsheetml"), "{}", xlsx.content_type);
    let table = ipbridge_ingest::read_table("报名.xlsx", &xlsx.bytes, None).unwrap();
    assert_eq!(table.rows.len(), 1);
    assert_eq!(ent.get(&format!("{path}/registrations/export")).await.status, StatusCode::FORBIDDEN);

    // Held after its day (the sessions have timed out by then: everyone logs in again).
    t.app.clock().advance(Duration::days(8));
    let mut officer = t.logged_in("bureau_officer").await;
    let mut ent = t.logged_in("enterprise_user").await;
    let mut inst = t.logged_in("institution_admin").await;
    officer.get(&path).await;
    let held = officer.post(&format!("{path}/status"), &[("to", "held")]).await;
    assert_eq!(held.status, StatusCode::SEE_OTHER, "{}", held.body);
    assert!(officer.get(&path).await.body.contains("已举办"));

    // A follow-up project from the enterprise's interest in one of the institution's patents.
    let inst_org = t.app.account_by_name("institution_admin").await.unwrap().org_id;
    let (patent, application_no) = t.patent_of(inst_org).await.expect("the demo institution holds patents");
    let interest = t
        .app
        .express_interest(&t.actor("enterprise_user").await, ipbridge_domain::ids::PatentId::new(patent), None, "")
        .await
        .unwrap();
    inst.get("/follow-ups").await;
    let opened = inst.post("/follow-ups", &[("match_id", &interest.id.to_string())]).await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    let project = id_from(&opened.location, "/follow-ups/");
    let ppath = format!("/follow-ups/{project}");
    let today = t.today().to_string();
    let incomplete = inst
        .post(
            &format!("{ppath}/entries"),
            &[("happened_on", &today), ("content", "电话沟通"), ("outcome", "continuing")],
        )
        .await;
    assert_eq!(incomplete.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(incomplete.body.contains("请填写下一步计划"));
    let entry = [
        ("happened_on", today.as_str()),
        ("contact", "王经理"),
        ("content", "企业到实验室考察中试线"),
        ("next_step", "提供样品检测报告"),
        ("outcome", "continuing"),
    ];
    assert_eq!(inst.post(&format!("{ppath}/entries"), &entry).await.status, StatusCode::SEE_OTHER);
    let log = ent.get(&ppath).await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.body.contains("企业到实验室考察中试线") && !log.body.contains("记录跟进"));
    assert_eq!(ent.post(&format!("{ppath}/entries"), &entry).await.status, StatusCode::FORBIDDEN);

    // The deal form is pre-filled from the project; recording it ends the project as a deal.
    let form_page = inst.get(&format!("/deals/new?project={project}")).await;
    assert_eq!(form_page.status, StatusCode::OK);
    assert!(form_page.body.contains(&application_no));
    let ent_org = t.app.account_by_name("enterprise_user").await.unwrap().org_id.get().to_string();
    let deal_fields = [
        ("project_id", project.as_str()),
        ("kind", "license"),
        ("license_scope", "ordinary"),
        ("patents", application_no.as_str()),
        ("party_role_0", "counterparty"),
        ("party_org_0", ent_org.as_str()),
        ("amount", "300000"),
        ("royalty", "3"),
        ("signed_on", today.as_str()),
        ("contract_no", "AK-2026-017"),
        ("filing_status", "pending"),
    ];
    let invalid = inst.post("/deals", &[("kind", "license"), ("patents", application_no.as_str())]).await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(invalid.body.contains("请填写合同签订日期") && invalid.body.contains("请选择备案状态"));
    let recorded = inst.post("/deals", &deal_fields).await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.body);
    let deal = id_from(&recorded.location, "/deals/");
    let closed = inst.get(&ppath).await;
    assert!(closed.body.contains("已成交") && closed.body.contains(&format!("/deals/{deal}")));

    // The coverage page lists the patent as converted, with the deal's kind, counterparty and amount as the deal
    // pages write them; the institution's card counts it, and the list exports.
    let coverage = inst.get("/coverage").await;
    assert_eq!(coverage.status, StatusCode::OK);
    let converted = extract(&coverage.body, "<section class=\"card\" id=\"converted\">", "</section>")
        .expect("the coverage page has the converted list");
    let ent_name = t.app.account_by_name("enterprise_user").await.unwrap().org_name;
    let row = converted
        .split("<tr>")
        .find(|r| r.contains(&application_no))
        .unwrap_or_else(|| panic!("the patent is not listed: {converted}"));
    let expected = [
        format!("/patents/{patent}"),
        format!("href=\"/deals/{deal}\""),
        "许可（普通许可）".into(),
        ent_name,
        "30万元".into(),
    ];
    for text in &expected {
        assert!(row.contains(text.as_str()), "{text} not in {row}");
    }
    assert!(coverage.body.contains("<strong>已转化</strong>") && coverage.body.contains("<strong>交易数</strong>"));
    let xlsx = inst.get("/coverage/converted/export").await;
    assert!(xlsx.content_type.contains("spreadsheetml"), "{}", xlsx.content_type);
    let table = ipbridge_ingest::read_table("已转化.xlsx", &xlsx.bytes, None).unwrap();
    assert!(table.rows.iter().any(|r| r.cells.contains(&application_no)), "the export lacks the patent");
    assert_eq!(ent.get("/coverage/converted/export").await.status, StatusCode::FORBIDDEN);

    // The enterprise sees the deal it is party to, read only; it cannot record one.
    let list = ent.get("/deals").await;
    assert!(list.body.contains(&format!("/deals/{deal}")) && !list.body.contains("登记交易"));
    let detail = ent.get(&format!("/deals/{deal}")).await;
    assert!(detail.body.contains("被许可方") && !detail.body.contains("撤销交易"));
    assert_eq!(ent.post("/deals", &deal_fields).await.status, StatusCode::FORBIDDEN);
    assert_eq!(ent.get("/deals/new").await.status, StatusCode::FORBIDDEN);

    // The institution cannot record a deal on another institution's patent: not found.
    let institutions = t
        .app
        .list_orgs(&Actor::cli(), &OrgFilter { kind: Some(OrgKind::Institution), ..OrgFilter::default() })
        .await
        .unwrap();
    let mut foreign = None;
    for o in institutions.orgs.iter().filter(|o| o.id != inst_org) {
        if let Some(p) = t.patent_of(o.id).await {
            foreign = Some(p.1);
            break;
        }
    }
    let foreign = foreign.expect("the demo city has patents of a second institution");
    inst.get("/deals/new").await;
    let foreign_fields: Vec<(&str, &str)> = deal_fields
        .iter()
        .filter(|(k, _)| *k != "project_id")
        .map(|(k, v)| if *k == "patents" { (*k, foreign.as_str()) } else { (*k, *v) })
        .collect();
    assert_eq!(inst.post("/deals", &foreign_fields).await.status, StatusCode::NOT_FOUND);

    // The export is a real workbook; cancelling needs a reason.
    let xlsx = officer.get("/deals/export").await;
    let table = ipbridge_ingest::read_table("交易.xlsx", &xlsx.bytes, None).unwrap();
    // The demo city has a deal of its own; this one is among the rows.
    assert!(table.rows.iter().any(|r| r.cell(0) == deal), "{:?}", table.rows);
    officer.get(&format!("/deals/{deal}")).await;
    let no_reason = officer.post(&format!("/deals/{deal}/cancel"), &[("reason", "")]).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.body.contains("请说明撤销原因"));
    let cancelled = officer.post(&format!("/deals/{deal}/cancel"), &[("reason", "录入错误")]).await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER);
    assert!(officer.get(&format!("/deals/{deal}")).await.body.contains("已撤销"));
    assert_eq!(t.audit_count(Action::DealCancel).await, before_deal_cancel + 1);
    // Cancelled, the deal no longer converts the patent: the institution's list drops it.
    let coverage = officer.get(&format!("/coverage?org={inst_org}")).await;
    let converted = extract(&coverage.body, "<section class=\"card\" id=\"converted\">", "</section>").unwrap();
    assert!(!converted.contains(&application_no), "{converted}");
}

#[tokio::test]
async fn the_revitalisation_navigation_shows_roadshows_follow_ups_and_deals_to_whom_they_concern() {
    let t = TestApp::new().await;
    for (user, follow_ups, deals) in [
        ("bureau_officer", true, true),
        ("bureau_leader", true, true),
        ("institution_admin", true, true),
        ("enterprise_user", true, true),
        ("inventor", false, false),
        ("agency_user", false, false),
    ] {
        let mut c = t.logged_in(user).await;
        let page = c.get("/roadshows").await;
        assert_eq!(page.status, StatusCode::OK, "{user}");
        assert!(page.body.contains("href=\"/roadshows\""), "{user}");
        assert_eq!(page.body.contains(">跟踪服务</a>"), follow_ups, "{user}");
        assert_eq!(page.body.contains("href=\"/deals\""), deals, "{user}");
        assert_eq!(page.body.contains("新建路演"), user == "bureau_officer", "{user}");
    }
    // Accounts without a part in deals see none, however they reach the list.
    let mut inventor = t.logged_in("inventor").await;
    let list = inventor.get("/deals").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("没有符合条件的转化交易"));
}
