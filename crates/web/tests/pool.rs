//! HTTP tests of the transferable pool, push campaigns and inquiries: the real router in-process on a real
//! SQLite file with the demo city, some of its institution patents taken into the pool.

mod common;

use common::{Client, extract};

use axum::Router;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use ipbridge_domain::audit::Action;
use ipbridge_domain::ids::{OrgId, PatentId};
use ipbridge_domain::matching::MatchOrigin;
use ipbridge_domain::revitalisation::{
    InventoryInput, InventorySource, ReviewAction, ReviewActor, ReviewEvent, ReviewRoute, Transition,
};
use ipbridge_service::{Actor, App, AuditFilter, MatchFilter, PatentFilter, Settings};
use ipbridge_store::{InventoryStore, NewInventoryRecord};

const PASSWORD: &str = "Demo#2026pass";
/// The record's contact person and phone: never shown by the pool.
const CONTACT: &str = "王保密";
const PHONE: &str = "13991234567";

struct TestApp {
    _dir: tempfile::TempDir,
    app: App,
    router: Router,
    /// Two pool patents of the demo institution admin's institution, and one of its patents not in the pool.
    pooled: Vec<(PatentId, String)>,
    outside: PatentId,
}

/// Files a record for `patent` and takes it through the review into the transferable pool.
async fn into_pool(app: &App, patent: PatentId, org: OrgId, chain: Option<&str>) {
    let content = InventoryInput {
        transfer_intent: "许可".into(),
        already_implemented: "否".into(),
        prospect_grade: "A".into(),
        maturity: "6".into(),
        problem_solved: "富硒茶叶加工中有机硒流失严重".into(),
        advantage: "硒保留率提高三成".into(),
        application_fields: "茶叶深加工".into(),
        route_to_market: "普通许可给本地茶企".into(),
        price_min: "20万".into(),
        price_max: "50万".into(),
        contact_name: CONTACT.into(),
        contact_phone: PHONE.into(),
    }
    .parse(&app.policy.revitalisation)
    .unwrap();
    let mut tx = app.db.begin().await.unwrap();
    let now = Utc::now();
    let new = NewInventoryRecord {
        patent_id: patent,
        org_id: org,
        faculty_id: None,
        content: &content,
        chain_code: chain,
        source: InventorySource::Form,
        filed_by_user_id: None,
        filed_by_name: "institution_admin",
    };
    let id = tx.insert_inventory_record(&new, now).await.unwrap();
    for (action, actor) in [
        (ReviewAction::Submit, ReviewActor::InstitutionAdmin),
        (ReviewAction::Approve, ReviewActor::InstitutionAdmin),
        (ReviewAction::AddToBasePool, ReviewActor::Bureau),
        (ReviewAction::ScreenIntoPool, ReviewActor::Bureau),
    ] {
        let state = tx.inventory_record(id).await.unwrap().unwrap().state;
        let t = Transition::check(state, action, actor, ReviewRoute::InstitutionOnly, "").unwrap();
        let event = ReviewEvent {
            at: now,
            actor_user_id: None,
            actor_name: actor.code().into(),
            actor_org_id: None,
            actor_kind: Some(actor),
            action: Some(action),
            from: Some(t.from),
            to: t.to,
            comment: String::new(),
        };
        tx.transition_inventory_record(id, &t, &event, now).await.unwrap();
    }
    tx.commit().await.unwrap();
}

impl TestApp {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        settings.server.data_dir = dir.path().to_owned();
        let app = App::open(settings, ipbridge_service::load_policy(None).unwrap()).await.unwrap();
        app.seed_demo(&Actor::cli(), Some(PASSWORD)).await.unwrap().unwrap();
        let inst = app.account_by_name("institution_admin").await.unwrap().org_id;
        let filter = PatentFilter { holder_org: Some(inst), in_force: Some(true), limit: 3, ..PatentFilter::default() };
        let patents = app.list_patents(&Actor::cli(), &filter).await.unwrap().patents;
        assert_eq!(patents.len(), 3, "the demo institution holds patents in force");
        let mut pooled = Vec::new();
        for (i, p) in patents.iter().take(2).enumerate() {
            into_pool(&app, p.id, inst, (i == 0).then_some("selenium_food")).await;
            pooled.push((p.id, p.title.clone()));
        }
        let router = ipbridge_web::router(app.clone());
        Self { _dir: dir, app, router, pooled, outside: patents[2].id }
    }

    fn client(&self) -> Client {
        Client::new(self.router.clone(), self.app.clone())
    }

    async fn audit_count(&self, action: Action) -> u64 {
        let filter = AuditFilter { action: Some(action), ..AuditFilter::default() };
        self.app.audit_page(&Actor::cli(), &filter).await.unwrap().total
    }

    async fn actor(&self, name: &str) -> Actor {
        Actor::logged_in(self.app.account_by_name(name).await.unwrap(), "127.0.0.1", "req-test")
    }
}

impl Client {
    /// Logs in and checks that it worked.
    async fn login_ok(&mut self, username: &str) {
        self.get("/login").await;
        let res = self.post("/login", &[("username", username), ("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{username}: {}", res.body);
    }
}

#[tokio::test]
async fn anonymous_visitors_browse_the_pool_without_anything_confidential() {
    let t = TestApp::new().await;
    let mut c = t.client();
    let home = c.get("/").await;
    assert!(home.body.contains("可转化专利库"), "the pool is in the nav for visitors");
    assert!(!home.body.contains("推送批次"));

    let list = c.get("/pool").await;
    assert_eq!(list.status, StatusCode::OK);
    for (_, title) in &t.pooled {
        assert!(list.body.contains(title.as_str()), "{title}");
    }
    assert!(list.body.contains("一般推进"));
    assert!(list.body.contains("登录后可表达意向"));
    assert!(list.body.contains("富硒茶叶加工中有机硒流失严重"));
    for secret in [CONTACT, PHONE] {
        assert!(!list.body.contains(secret), "{secret} leaked on the list");
    }
    // Filters: chain, maturity, text.
    let (first, first_title) = &t.pooled[0];
    let (second, second_title) = &t.pooled[1];
    let chain = c.get("/pool?chain=selenium_food&trl_min=5").await;
    assert!(chain.body.contains(first_title.as_str()));
    let immature = c.get("/pool?trl_min=8").await;
    assert!(!immature.body.contains(first_title.as_str()) && immature.body.contains("没有符合条件的专利"));
    let text = c.get(&format!("/pool?q={}", urlencoding(second_title))).await;
    assert!(text.body.contains(second_title.as_str()));

    let detail = c.get(&format!("/pool/{first}")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.body.contains("硒保留率提高三成"));
    assert!(detail.body.contains("登录后可表达意向"));
    assert!(!detail.body.contains("action=\"/pool/"), "no forms for visitors");
    for secret in [CONTACT, PHONE] {
        assert!(!detail.body.contains(secret), "{secret} leaked on the detail");
    }
    assert_eq!(c.get(&format!("/pool/{}", t.outside)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(c.get(&format!("/pool/{second}")).await.status, StatusCode::OK);

    // Acting needs an account: the visitor is asked to log in and nothing is recorded.
    c.get("/login").await;
    let refused = c.post(&format!("/pool/{first}/interest"), &[("note", "x")]).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.body.contains("请先登录"));
    assert_eq!(t.audit_count(Action::PoolInterest).await, 0);
    assert_ne!(c.get("/campaigns").await.status, StatusCode::OK);
    assert_ne!(c.get("/inquiries").await.status, StatusCode::OK);
}

/// The query-string form of a text.
fn urlencoding(s: &str) -> String {
    serde_urlencoded::to_string([("q", s)]).unwrap().trim_start_matches("q=").to_owned()
}

#[tokio::test]
async fn an_enterprise_declares_interest_gives_feedback_and_asks() {
    let t = TestApp::new().await;
    // The demo city has feedback of its own: the count is compared with what was there before.
    let before_pool_feedback = t.audit_count(Action::PoolFeedback).await;
    let (patent, title) = t.pooled[0].clone();
    let mut c = t.client();
    c.login_ok("enterprise_user").await;
    let page = c.get(&format!("/pool/{patent}")).await;
    assert!(page.body.contains("我有意向") && page.body.contains("提交评价反馈") && page.body.contains("提交咨询"));
    assert!(!page.body.contains(CONTACT));

    // CSRF: a form without the token is refused.
    let forged = c.post_raw(&format!("/pool/{patent}/interest"), &[("note", "x")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let res = c.post(&format!("/pool/{patent}/interest"), &[("note", "希望了解许可费用")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let to = res.location.unwrap();
    assert!(to.starts_with("/matches/"), "{to}");
    let record = c.get(&to).await;
    assert!(record.body.contains(title.as_str()) && record.body.contains("企业意向"));
    let holder = t.actor("institution_admin").await;
    let heard = t.app.notifications(&holder, true, 20, 0).await.unwrap();
    assert!(heard.items.iter().any(|n| n.title.contains(title.as_str())), "the holder is told");
    let mine = t
        .app
        .list_matches(
            &t.actor("enterprise_user").await,
            &MatchFilter { origin: Some(MatchOrigin::EnterpriseInterest), ..Default::default() },
        )
        .await
        .unwrap();
    assert!(mine.records.iter().any(|r| r.patent_id == patent));

    // Feedback: missing fields re-render the form with messages (422); a complete form is stored.
    c.get(&format!("/pool/{patent}")).await;
    let missing =
        c.post(&format!("/pool/{patent}/feedback"), &[("intent", "none"), ("improvement_needs", "中试")]).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.body.contains("请为产业化前景打分"));
    assert!(missing.body.contains("中试"), "the input is kept");
    let other = c
        .post(&format!("/pool/{patent}/feedback"), &[("prospect", "2"), ("intent", "none"), ("reason", "other")])
        .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = c
        .post(
            &format!("/pool/{patent}/feedback"),
            &[("prospect", "4"), ("intent", "strong"), ("preferred_mode", "license")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let after = c.get(&format!("/pool/{patent}")).await;
    assert!(after.body.contains("贵企业最近一次反馈"));
    assert_eq!(t.audit_count(Action::PoolFeedback).await, before_pool_feedback + 1);

    // A question goes to the holder with its due date.
    let empty = c.post(&format!("/pool/{patent}/ask"), &[("question", " ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("请填写咨询内容"));
    let asked = c.post(&format!("/pool/{patent}/ask"), &[("question", "能否提供样品？")]).await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
    let inquiry = asked.location.unwrap();
    let view = c.get(&inquiry).await;
    assert!(view.body.contains("能否提供样品？") && view.body.contains("剩余10个工作日"), "{}", view.body);

    // The holder sees it on its list and answers; another enterprise does not see it.
    let mut inst = t.client();
    inst.login_ok("institution_admin").await;
    let list = inst.get("/inquiries").await;
    assert!(list.body.contains("能否提供样品") || list.body.contains(title.as_str()));
    inst.get(&inquiry).await;
    let answered = inst.post(&format!("{inquiry}/answer"), &[("answer", "可以，请联系科技处。")]).await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.body);
    assert!(c.get(&inquiry).await.body.contains("可以，请联系科技处。"));
    let mut leader = t.client();
    leader.login_ok("bureau_leader").await;
    assert_eq!(leader.get(&inquiry).await.status, StatusCode::OK, "the bureau oversees");
    let mut reviewer = t.client();
    reviewer.login_ok("faculty_reviewer").await;
    // The record of this patent names no faculty: the demo reviewer's faculty does not see it.
    assert_eq!(reviewer.get(&inquiry).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_bureau_pushes_a_campaign_and_follows_overdue_inquiries() {
    let t = TestApp::new().await;
    // The demo city has a campaign of its own: the count is compared with what was there before.
    let before_campaign_create = t.audit_count(Action::CampaignCreate).await;
    let (patent, title) = t.pooled[0].clone();
    let enterprise = t.app.account_by_name("enterprise_user").await.unwrap();
    let mut c = t.client();
    c.login_ok("bureau_officer").await;
    let home = c.get("/").await;
    assert!(home.body.contains("推送批次") && home.body.contains("企业咨询"));
    assert_eq!(c.get("/campaigns").await.status, StatusCode::OK);
    let form = c.get(&format!("/campaigns/new?patent={patent}&selection=manual")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("第二步") && form.body.contains(enterprise.org_name.as_str()));
    // Ticked to begin with: by hand nothing; by matching the three best candidates, the rest left to choose.
    let ticked = |body: &str| {
        let choices = extract(body, "class=\"checks enterprise-choices\"", "</fieldset>").unwrap_or_default();
        (choices.matches("name=\"enterprise\"").count(), choices.matches(" checked>").count())
    };
    assert_eq!(ticked(&form.body).1, 0);
    let matched = c.get(&format!("/campaigns/new?patent={patent}&selection=matching")).await;
    assert_eq!(matched.status, StatusCode::OK);
    let (offered, checked) = ticked(&matched.body);
    assert!(offered > 0, "no matcher candidates");
    assert_eq!(
        checked,
        offered.min(3),
        "{offered} offered: {}",
        extract(&matched.body, "class=\"checks enterprise-choices\"", "</fieldset>").unwrap_or_default()
    );
    let ent = enterprise.org_id.get().to_string();
    let pid = patent.get().to_string();
    let missing = c.post("/campaigns", &[("selection", "manual"), ("patent", &pid), ("enterprise", &ent)]).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.body.contains("请填写推送批次名称"));
    let created = c
        .post(
            "/campaigns",
            &[("title", "十月富硒推送"), ("selection", "manual"), ("patent", &pid), ("enterprise", &ent)],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let detail = c.get(&created.location.unwrap()).await;
    assert!(detail.body.contains("十月富硒推送") && detail.body.contains(enterprise.org_name.as_str()));
    assert!(detail.body.contains(title.as_str()) && detail.body.contains("未查看"));
    assert_eq!(t.audit_count(Action::CampaignCreate).await, before_campaign_create + 1);
    let list = c.get("/campaigns").await;
    assert!(list.body.contains("十月富硒推送") && list.body.contains("人工选择"));

    // The enterprise sees the push; it may not open the bureau's pages.
    let mut e = t.client();
    e.login_ok("enterprise_user").await;
    let pushed = e.get("/matches?origin=push").await;
    assert!(pushed.body.contains(title.as_str()));
    assert_eq!(e.get("/campaigns").await.status, StatusCode::FORBIDDEN);
    assert_eq!(e.post("/campaigns", &[("title", "x"), ("selection", "manual")]).await.status, StatusCode::FORBIDDEN);

    // An unanswered question becomes overdue: the bureau's overdue list and the institution's home page.
    let inquiry = t.app.ask_inquiry(&t.actor("enterprise_user").await, patent, "是否接受分期付款？").await.unwrap();
    t.app.clock().advance(Duration::days(30));
    // A month on, the earlier sessions have timed out: log in again.
    let mut c = t.client();
    c.login_ok("bureau_officer").await;
    let overdue = c.get("/inquiries?overdue=1").await;
    assert_eq!(overdue.status, StatusCode::OK);
    assert!(overdue.body.contains(&format!("/inquiries/{inquiry}")) && overdue.body.contains("已逾期"));
    assert!(overdue.body.contains("逾期未答复（按单位）"));
    let mut inst = t.client();
    inst.login_ok("institution_admin").await;
    let home = inst.get("/").await;
    assert!(home.body.contains("待答复的企业咨询") && home.body.contains("已逾期"), "{}", home.body);
}
