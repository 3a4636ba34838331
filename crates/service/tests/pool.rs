//! The transferable pool on a real SQLite file: public browsing (no contact person), 我有意向, push campaigns by
//! hand and by chain, enterprise feedback and the tier it decides, inquiries with their working-day deadline —
//! and who sees which inquiries and feedback.

use chrono::{Duration, NaiveDate, Utc};
use ipbridge_domain::CreditCode;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::ids::{FacultyId, OrgId, PatentId};
use ipbridge_domain::matching::{MatchOrigin, MatchState};
use ipbridge_domain::notification::NotificationKind;
use ipbridge_domain::org::OrgKind;
use ipbridge_domain::patent::{ApplicationNo, PatentRecord};
use ipbridge_domain::permission::Role;
use ipbridge_domain::revitalisation::{
    CampaignSelection, InventoryInput, InventorySource, ResponseClock, ReviewAction, ReviewActor, ReviewEvent,
    ReviewRoute, ReviewState, Tier, TransferIntent, Transition, Trl,
};
use ipbridge_service::accounts::NewAccount;
use ipbridge_service::orgs::OrgForm;
use ipbridge_service::profiles::ProfileForm;
use ipbridge_service::revitalisation::campaigns::CampaignForm;
use ipbridge_service::revitalisation::inquiries::InquiryFilter;
use ipbridge_service::revitalisation::pool::{FeedbackFilter, FeedbackForm, PoolQuery};
use ipbridge_service::{Actor, App, AuditFilter, ServiceError, Settings};
use ipbridge_store::{InventoryStore, NewInventoryRecord};
use serde_json::json;

const PASSWORD: &str = "Demo#2026pass";

/// A small city: the bureau, two enterprises, two institutions (one with a faculty), accounts for each role;
/// three patents in the transferable pool, one in the base pool only.
struct World {
    _dir: tempfile::TempDir,
    app: App,
    ent_a: OrgId,
    ent_b: OrgId,
    inst: OrgId,
    /// 安康理工学院, 富硒茶 (A23F3/06), chain selenium_food, TRL 6, licence, faculty 食品学院.
    tea: PatentId,
    /// 安康理工学院, 魔芋 (A23L19/10), TRL 3, assignment.
    konjac: PatentId,
    /// 秦巴研究院, 石墨 (C01B32/05).
    graphite: PatentId,
    /// 安康理工学院, in the base pool only.
    hidden: PatentId,
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

async fn account(app: &App, name: &str, org: OrgId, faculty: Option<FacultyId>, role: Role) {
    let new = NewAccount {
        username: name.into(),
        display_name: name.into(),
        org_id: Some(org),
        faculty_id: faculty,
        password: PASSWORD.into(),
    };
    app.bootstrap_account(&Actor::cli(), &new, &[role]).await.unwrap();
}

fn record(serial: u32, title: &str, applicant: &str, ipc: &str) -> PatentRecord {
    let no = ApplicationNo::from_parts(2021, 1, serial).unwrap();
    serde_json::from_value(json!({
        "application_no": no.as_str(), "patent_type": "invention", "title": title, "legal_status": "granted",
        "applicants": [{"name": applicant}], "filing_date": "2021-03-01", "main_ipc": ipc, "ipc_codes": [ipc],
        "abstract_text": format!("{title}。"),
    }))
    .unwrap()
}

/// What an institution files about a patent.
struct Filing<'a> {
    intent: &'a str,
    trl: &'a str,
    problem: &'a str,
    chain: Option<&'a str>,
    /// Into the transferable pool, or the base pool only.
    transferable: bool,
}

/// Files a record and takes it into the transferable pool (or the base pool only).
async fn pool(app: &App, patent: PatentId, org: OrgId, faculty: Option<FacultyId>, f: Filing<'_>) {
    let Filing { intent, trl, problem, chain, transferable } = f;
    let content = InventoryInput {
        transfer_intent: intent.into(),
        already_implemented: "否".into(),
        prospect_grade: "B".into(),
        maturity: trl.into(),
        problem_solved: problem.into(),
        advantage: "成本降低两成".into(),
        application_fields: "食品加工".into(),
        route_to_market: "许可给本地企业".into(),
        price_min: "10万".into(),
        price_max: "30万".into(),
        contact_name: "李保密".into(),
        contact_phone: "13991234567".into(),
    }
    .parse(&app.policy.revitalisation)
    .unwrap();
    let now = Utc::now();
    let mut tx = app.db.begin().await.unwrap();
    let new = NewInventoryRecord {
        patent_id: patent,
        org_id: org,
        faculty_id: faculty,
        content: &content,
        chain_code: chain,
        source: InventorySource::Form,
        filed_by_user_id: None,
        filed_by_name: "inst",
    };
    let id = tx.insert_inventory_record(&new, now).await.unwrap();
    let mut steps = vec![
        (ReviewAction::Submit, ReviewActor::InstitutionAdmin),
        (ReviewAction::Approve, ReviewActor::InstitutionAdmin),
        (ReviewAction::AddToBasePool, ReviewActor::Bureau),
    ];
    if transferable {
        steps.push((ReviewAction::ScreenIntoPool, ReviewActor::Bureau));
    }
    let mut at = now;
    for (action, actor) in steps {
        let state = tx.inventory_record(id).await.unwrap().unwrap().state;
        let t = Transition::check(state, action, actor, ReviewRoute::InstitutionOnly, "").unwrap();
        at += Duration::seconds(1);
        let event = ReviewEvent {
            at,
            actor_user_id: None,
            actor_name: actor.code().into(),
            actor_org_id: None,
            actor_kind: Some(actor),
            action: Some(action),
            from: Some(t.from),
            to: t.to,
            comment: String::new(),
        };
        tx.transition_inventory_record(id, &t, &event, at).await.unwrap();
    }
    assert_eq!(
        tx.inventory_record(id).await.unwrap().unwrap().state,
        if transferable { ReviewState::TransferablePool } else { ReviewState::BasePool }
    );
    tx.commit().await.unwrap();
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
        let inst = org(&app, OrgKind::Institution, "安康理工学院", None).await;
        let other = org(&app, OrgKind::Institution, "秦巴富硒生物技术研究院", None).await;
        let food = app.add_faculty(&Actor::cli(), inst, "食品学院").await.unwrap();
        let chem = app.add_faculty(&Actor::cli(), inst, "化工学院").await.unwrap();
        for (name, org, faculty, role) in [
            ("officer", bureau, None, Role::BureauOfficer),
            ("leader", bureau, None, Role::BureauLeader),
            ("ent_a", ent_a, None, Role::EnterpriseUser),
            ("ent_b", ent_b, None, Role::EnterpriseUser),
            ("inst", inst, None, Role::InstitutionAdmin),
            ("reviewer", inst, Some(food), Role::FacultyReviewer),
            ("chem_reviewer", inst, Some(chem), Role::FacultyReviewer),
            ("inventor", inst, Some(food), Role::Inventor),
            ("other_inventor", inst, Some(food), Role::Inventor),
            ("other_inst", other, None, Role::InstitutionAdmin),
        ] {
            account(&app, name, org, faculty, role).await;
        }
        let records = vec![
            record(200_001, "一种富硒茶叶的深加工方法", "安康理工学院", "A23F3/06"),
            record(200_002, "一种魔芋葡甘聚糖的提纯方法", "安康理工学院", "A23L19/10"),
            record(200_003, "一种石墨烯复合材料的制备方法", "秦巴富硒生物技术研究院", "C01B32/05"),
            record(200_004, "一种茶叶揉捻机", "安康理工学院", "A23F3/12"),
        ];
        app.import_records(&Actor::cli(), "测试专利", records).await.unwrap();
        let page = app.list_patents(&Actor::cli(), &Default::default()).await.unwrap();
        let id = |title: &str| page.patents.iter().find(|p| p.title == title).unwrap().id;
        let (tea, konjac, graphite, hidden) = (
            id("一种富硒茶叶的深加工方法"),
            id("一种魔芋葡甘聚糖的提纯方法"),
            id("一种石墨烯复合材料的制备方法"),
            id("一种茶叶揉捻机"),
        );
        let filing = |intent, trl, problem, chain, transferable| Filing { intent, trl, problem, chain, transferable };
        pool(&app, tea, inst, Some(food), filing("许可", "6", "富硒茶叶加工中硒流失", Some("selenium_food"), true))
            .await;
        pool(&app, konjac, inst, None, filing("转让", "3", "魔芋胶提纯收率低", None, true)).await;
        pool(&app, graphite, other, None, filing("许可", "5", "石墨烯分散不均", None, true)).await;
        pool(&app, hidden, inst, None, filing("许可", "5", "揉捻不均匀", None, false)).await;
        let inventor = app.account_by_name("inventor").await.unwrap();
        let mut tx = app.db.begin().await.unwrap();
        tx.link_inventor(tea, inventor.id, "inventor", "inst", Utc::now()).await.unwrap();
        tx.commit().await.unwrap();
        World { _dir: dir, app, ent_a, ent_b, inst, tea, konjac, graphite, hidden }
    }

    async fn actor(&self, name: &str) -> Actor {
        Actor::logged_in(self.app.account_by_name(name).await.unwrap(), "127.0.0.1", format!("req-{name}"))
    }

    async fn audited(&self, action: Action) -> u64 {
        let filter = AuditFilter { action: Some(action), outcome: Some(Outcome::Success), ..AuditFilter::default() };
        self.app.audit_page(&Actor::cli(), &filter).await.unwrap().total
    }

    async fn unread(&self, name: &str) -> Vec<(NotificationKind, String, String)> {
        let page = self.app.notifications(&self.actor(name).await, true, 50, 0).await.unwrap();
        page.items.into_iter().map(|n| (n.kind, n.title, n.body)).collect()
    }

    async fn feedback(&self, who: &str, patent: PatentId, prospect: &str, intent: &str, reason: &str) {
        let form = FeedbackForm {
            prospect: prospect.into(),
            intent: intent.into(),
            reason: reason.into(),
            ..FeedbackForm::default()
        };
        self.app.give_pool_feedback(&self.actor(who).await, patent, &form).await.unwrap();
    }
}

fn ids(page: &ipbridge_service::revitalisation::pool::PoolPage) -> Vec<PatentId> {
    page.items.iter().map(|i| i.entry.patent_id).collect()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn invalid_field(e: ServiceError) -> String {
    match e {
        ServiceError::Invalid(f) => f.0.keys().next().map(|k| (*k).to_owned()).unwrap_or_default(),
        other => panic!("expected invalid input, got {other:?}"),
    }
}

#[tokio::test]
async fn anyone_browses_the_pool_with_filters_and_public_fields_only() {
    let w = World::new().await;
    let anonymous = Actor::anonymous("127.0.0.1", "req-anon");
    let q = |f: fn(&mut PoolQuery)| {
        let mut q = PoolQuery { limit: 20, ..PoolQuery::default() };
        f(&mut q);
        q
    };
    let all = w.app.list_pool(&anonymous, &q(|_| {})).await.unwrap();
    assert_eq!(all.total, 3, "the base-pool patent is not listed");
    assert!(!ids(&all).contains(&w.hidden));
    assert!(all.items.iter().all(|i| i.tier == Tier::General && i.summary.is_none()), "no counts for visitors");
    let selenium = w.app.list_pool(&anonymous, &q(|q| q.chain = Some("selenium_food".into()))).await.unwrap();
    // The tea patent is filed under the chain; the konjac one is under its IPC prefix A23L.
    assert_eq!(ids(&selenium).len(), 2);
    assert!(ids(&selenium).contains(&w.tea) && ids(&selenium).contains(&w.konjac));
    let ipc = w.app.list_pool(&anonymous, &q(|q| q.ipc_prefix = Some("C01B".into()))).await.unwrap();
    assert_eq!(ids(&ipc), [w.graphite]);
    let mature = w.app.list_pool(&anonymous, &q(|q| q.trl_min = Trl::new(5).ok())).await.unwrap();
    assert_eq!(mature.total, 2);
    let early = w.app.list_pool(&anonymous, &q(|q| q.trl_max = Trl::new(4).ok())).await.unwrap();
    assert_eq!(ids(&early), [w.konjac]);
    let assign = w.app.list_pool(&anonymous, &q(|q| q.intent = Some(TransferIntent::Assign))).await.unwrap();
    assert_eq!(ids(&assign), [w.konjac]);
    let text = w.app.list_pool(&anonymous, &q(|q| q.text = Some("石墨烯".into()))).await.unwrap();
    assert_eq!(ids(&text), [w.graphite]);
    let inst = w.inst;
    let own_query = PoolQuery { holder_org: Some(inst), limit: 20, ..PoolQuery::default() };
    assert_eq!(w.app.list_pool(&anonymous, &own_query).await.unwrap().total, 2);
    assert_eq!(w.app.pool_holders().await.unwrap().len(), 2);

    // The detail: public fields, no contact; a patent outside the pool is not found.
    let detail = w.app.pool_detail(&anonymous, w.tea).await.unwrap();
    assert_eq!(detail.item.entry.brief.problem_solved, "富硒茶叶加工中硒流失");
    assert_eq!(detail.chain_name.as_deref(), Some("富硒食品"));
    assert!(!format!("{:?}", detail.item.entry).contains("李保密"), "the contact person is never read");
    assert!(!format!("{:?}", detail.item.entry).contains("13991234567"));
    assert!(!detail.can_act && !detail.can_ask && detail.feedback.is_empty());
    assert!(matches!(w.app.pool_detail(&anonymous, w.hidden).await, Err(ServiceError::NotFound)));

    // Counts behind the tier: the holder for its own, the bureau for all; not another institution.
    let holder_view = w.app.list_pool(&w.actor("inst").await, &q(|_| {})).await.unwrap();
    for i in &holder_view.items {
        assert_eq!(i.summary.is_some(), i.entry.holder_org_id == inst, "{}", i.entry.title);
    }
    let bureau_view = w.app.list_pool(&w.actor("leader").await, &q(|_| {})).await.unwrap();
    assert!(bureau_view.items.iter().all(|i| i.summary.is_some()));
    let enterprise = w.app.pool_detail(&w.actor("ent_a").await, w.tea).await.unwrap();
    assert!(enterprise.can_act && enterprise.can_ask && enterprise.item.summary.is_none());
}

#[tokio::test]
async fn interest_from_the_pool_creates_a_match_record_with_the_holder() {
    let w = World::new().await;
    let ent_a = w.actor("ent_a").await;
    let saved = w.app.pool_interest(&ent_a, w.tea, "希望了解许可费用").await.unwrap();
    assert!(saved.created);
    assert_eq!(saved.state, MatchState::Interested);
    let view = w.app.match_view(&ent_a, saved.id).await.unwrap();
    assert_eq!(view.record.origin, MatchOrigin::EnterpriseInterest);
    assert_eq!(view.record.holder_org_id, Some(w.inst));
    assert_eq!(view.record.enterprise_org_id, w.ent_a);
    let told = w.unread("inst").await;
    assert!(told.iter().any(|n| n.0 == NotificationKind::MatchInterest && n.1.contains("一种富硒茶叶的深加工方法")));
    assert_eq!(w.audited(Action::PoolInterest).await, 1);
    // Again: the open record is returned, nothing duplicated.
    let again = w.app.pool_interest(&ent_a, w.tea, "").await.unwrap();
    assert_eq!((again.id, again.created), (saved.id, false));
    let detail = w.app.pool_detail(&ent_a, w.tea).await.unwrap();
    assert_eq!(detail.my_match, Some((saved.id, MatchState::Interested)));

    // Only enterprises, only pool patents.
    assert!(matches!(w.app.pool_interest(&w.actor("inst").await, w.graphite, "").await, Err(ServiceError::Forbidden)));
    let anonymous = Actor::anonymous("127.0.0.1", "req-anon");
    assert!(matches!(w.app.pool_interest(&anonymous, w.tea, "").await, Err(ServiceError::Unauthenticated)));
    assert!(matches!(w.app.pool_interest(&ent_a, w.hidden, "").await, Err(ServiceError::NotFound)));
}

#[tokio::test]
async fn campaigns_push_by_hand_and_by_chain_and_link_open_records() {
    let w = World::new().await;
    let officer = w.actor("officer").await;
    // ent_a already declared interest in the tea patent: the campaign links that record.
    let interest = w.app.pool_interest(&w.actor("ent_a").await, w.tea, "").await.unwrap();
    let form = CampaignForm {
        title: " 十月富硒推送 ".into(),
        selection: CampaignSelection::Manual,
        chain_code: None,
        note: "首批".into(),
        patents: vec![w.tea, w.konjac, w.tea],
        enterprises: vec![w.ent_a, w.ent_b],
    };
    let created = w.app.create_campaign(&officer, &form).await.unwrap();
    assert_eq!((created.created, created.linked), (3, 1));
    let view = w.app.campaign_view(&officer, created.id).await.unwrap();
    assert_eq!(view.campaign.title, "十月富硒推送");
    assert_eq!(view.campaign.pushes, 4);
    assert_eq!(view.items.len(), 4);
    let linked = view.items.iter().find(|i| i.match_id == interest.id).unwrap();
    assert!(!linked.created_match);
    assert!(view.items.iter().filter(|i| i.created_match).all(|i| i.state == MatchState::Proposed));
    // One notice per enterprise for the whole campaign.
    let heard = w.unread("ent_b").await;
    let proposed: Vec<_> = heard.iter().filter(|n| n.0 == NotificationKind::MatchProposed).collect();
    assert_eq!(proposed.len(), 1, "{heard:?}");
    assert!(proposed[0].1.contains("2件专利"), "{}", proposed[0].1);
    // The enterprise sees them as pushes.
    let pushed = w
        .app
        .list_matches(
            &w.actor("ent_b").await,
            &ipbridge_service::MatchFilter { origin: Some(MatchOrigin::Push), ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(pushed.total, 2);
    assert_eq!(w.audited(Action::CampaignCreate).await, 1);
    assert_eq!(w.audited(Action::MatchPush).await, 3);

    // By chain: the enterprises naming the chain in their profile.
    let profile = ProfileForm { business_scope: "魔芋食品".into(), chain_codes: vec!["selenium_food".into()] };
    w.app.update_enterprise_profile(&Actor::cli(), w.ent_b, &profile).await.unwrap();
    let members = w.app.chain_enterprises(&officer, "selenium_food").await.unwrap();
    assert_eq!(members.iter().map(|m| m.0).collect::<Vec<_>>(), [w.ent_b]);
    let no_chain = CampaignForm {
        title: "按链推送".into(),
        selection: CampaignSelection::Chain,
        chain_code: None,
        note: String::new(),
        patents: vec![w.graphite],
        enterprises: vec![w.ent_b],
    };
    assert_eq!(invalid_field(w.app.create_campaign(&officer, &no_chain).await.unwrap_err()), "chain_code");
    let unknown = CampaignForm { chain_code: Some("nope".into()), ..no_chain.clone() };
    assert_eq!(invalid_field(w.app.create_campaign(&officer, &unknown).await.unwrap_err()), "chain_code");
    let by_chain = CampaignForm { chain_code: Some("selenium_food".into()), ..no_chain.clone() };
    let chained = w.app.create_campaign(&officer, &by_chain).await.unwrap();
    assert_eq!((chained.created, chained.linked), (1, 0));
    let (list, total) = w.app.list_campaigns(&officer, 20, 0).await.unwrap();
    assert_eq!(total, 2);
    assert_eq!(list[0].selection, CampaignSelection::Chain);
    assert_eq!(list[0].chain_code.as_deref(), Some("selenium_food"));

    // Checks: a patent outside the pool, nothing chosen, the holder itself, and who may push.
    let outside = CampaignForm { patents: vec![w.hidden], ..form.clone() };
    assert_eq!(invalid_field(w.app.create_campaign(&officer, &outside).await.unwrap_err()), "patents");
    let nobody = CampaignForm { enterprises: vec![], ..form.clone() };
    assert_eq!(invalid_field(w.app.create_campaign(&officer, &nobody).await.unwrap_err()), "enterprises");
    let to_holder = CampaignForm { enterprises: vec![w.inst], ..form.clone() };
    assert_eq!(invalid_field(w.app.create_campaign(&officer, &to_holder).await.unwrap_err()), "enterprises");
    assert_eq!(w.app.list_campaigns(&officer, 20, 0).await.unwrap().1, 2, "refused campaigns leave nothing");
    for who in ["ent_a", "inst", "leader"] {
        let refused = w.app.create_campaign(&w.actor(who).await, &form).await;
        assert!(matches!(refused, Err(ServiceError::Forbidden)), "{who}");
    }
}

#[tokio::test]
async fn feedback_is_checked_and_moves_the_tier() {
    let w = World::new().await;
    let ent_a = w.actor("ent_a").await;
    let bad = |prospect: &str, intent: &str, reason: &str, text: &str| FeedbackForm {
        prospect: prospect.into(),
        intent: intent.into(),
        reason: reason.into(),
        reason_text: text.into(),
        ..FeedbackForm::default()
    };
    for (form, field) in [
        (bad("", "strong", "", ""), "prospect"),
        (bad("6", "strong", "", ""), "prospect"),
        (bad("四", "strong", "", ""), "prospect"),
        (bad("3", "", "", ""), "intent"),
        (bad("3", "maybe", "", ""), "intent"),
        (bad("2", "none", "", ""), "reason"),
        (bad("2", "none", "other", " "), "reason"),
    ] {
        let e = w.app.give_pool_feedback(&ent_a, w.tea, &form).await.unwrap_err();
        assert_eq!(invalid_field(e), field, "{form:?}");
    }
    let too_long = FeedbackForm { improvement_needs: "改".repeat(1001), ..bad("3", "strong", "", "") };
    assert_eq!(
        invalid_field(w.app.give_pool_feedback(&ent_a, w.tea, &too_long).await.unwrap_err()),
        "improvement_needs"
    );
    assert!(matches!(
        w.app.give_pool_feedback(&ent_a, w.hidden, &bad("3", "strong", "", "")).await,
        Err(ServiceError::NotFound)
    ));
    assert!(matches!(
        w.app.give_pool_feedback(&w.actor("inst").await, w.tea, &bad("3", "strong", "", "")).await,
        Err(ServiceError::Forbidden)
    ));

    let officer = w.actor("officer").await;
    let tier = |d: &ipbridge_service::revitalisation::pool::PoolDetail| (d.item.tier, d.item.summary);
    assert_eq!(tier(&w.app.pool_detail(&officer, w.tea).await.unwrap()).0, Tier::General);
    // Ankang: at least 2 interested enterprises and an average rating of at least 3.0.
    w.feedback("ent_a", w.tea, "4", "strong", "").await;
    assert_eq!(w.app.pool_detail(&officer, w.tea).await.unwrap().item.tier, Tier::General, "one enterprise");
    w.feedback("ent_b", w.tea, "3", "possible", "").await;
    let (t, summary) = tier(&w.app.pool_detail(&officer, w.tea).await.unwrap());
    assert_eq!(t, Tier::High);
    let summary = summary.unwrap();
    assert_eq!((summary.interested_enterprises, summary.ratings, summary.prospect_sum), (2, 2, 7));
    assert_eq!(App::average_prospect_text(&summary).as_deref(), Some("3.5"));
    // The tier is public; the counts are not.
    let anonymous = Actor::anonymous("127.0.0.1", "req-anon");
    let public = w.app.pool_detail(&anonymous, w.tea).await.unwrap();
    assert_eq!((public.item.tier, public.item.summary), (Tier::High, None));
    // ent_b changes its mind: its latest feedback counts.
    w.feedback("ent_b", w.tea, "2", "none", "too_early").await;
    assert_eq!(w.app.pool_detail(&officer, w.tea).await.unwrap().item.tier, Tier::General);

    // The holder is told; each side reads only its own feedback.
    assert!(
        w.unread("inst").await.iter().any(|n| n.0 == NotificationKind::MatchFeedback && n.1.contains("提交了评价反馈"))
    );
    assert_eq!(w.audited(Action::PoolFeedback).await, 3);
    let all = FeedbackFilter::default();
    assert_eq!(w.app.list_pool_feedback(&ent_a, &all).await.unwrap().len(), 1);
    assert_eq!(w.app.list_pool_feedback(&w.actor("ent_b").await, &all).await.unwrap().len(), 2);
    assert_eq!(w.app.list_pool_feedback(&w.actor("inst").await, &all).await.unwrap().len(), 3);
    assert!(w.app.list_pool_feedback(&w.actor("other_inst").await, &all).await.unwrap().is_empty());
    assert_eq!(w.app.list_pool_feedback(&officer, &all).await.unwrap().len(), 3);
    let holder = w.app.pool_detail(&w.actor("inst").await, w.tea).await.unwrap();
    assert_eq!(holder.feedback.len(), 2, "each enterprise's latest");
    let mine = w.app.pool_detail(&ent_a, w.tea).await.unwrap();
    assert!(mine.feedback.is_empty());
    assert_eq!(mine.my_feedback.map(|f| f.feedback.prospect.value()), Some(4));
    assert!(w.app.pool_detail(&w.actor("other_inst").await, w.tea).await.unwrap().feedback.is_empty());
}

#[tokio::test]
async fn feedback_is_read_by_the_records_own_people_not_by_every_account_of_the_holder() {
    let w = World::new().await;
    // tea: faculty 食品学院, linked to `inventor`; konjac: no faculty, no linked inventor.
    w.feedback("ent_a", w.tea, "4", "strong", "").await;
    w.feedback("ent_a", w.konjac, "3", "possible", "").await;
    let all = FeedbackFilter::default();
    let patents = |v: Vec<ipbridge_service::revitalisation::pool::StoredFeedback>| {
        let mut p: Vec<PatentId> = v.into_iter().map(|f| f.patent_id).collect();
        p.sort();
        p
    };
    let mut both = vec![w.tea, w.konjac];
    both.sort();
    for (who, expected) in [
        ("inst", both.clone()),
        ("reviewer", vec![w.tea]),
        ("inventor", vec![w.tea]),
        ("chem_reviewer", vec![]),
        ("other_inventor", vec![]),
        ("other_inst", vec![]),
        ("officer", both.clone()),
    ] {
        let seen = w.app.list_pool_feedback(&w.actor(who).await, &all).await.unwrap();
        assert_eq!(patents(seen), expected, "{who}");
    }
    for (who, sees) in [
        ("inst", true),
        ("reviewer", true),
        ("inventor", true),
        ("chem_reviewer", false),
        ("other_inventor", false),
        ("officer", true),
    ] {
        let detail = w.app.pool_detail(&w.actor(who).await, w.tea).await.unwrap();
        assert_eq!((detail.sees_feedback, detail.feedback.len()), (sees, usize::from(sees)), "{who}");
    }
    // The faculty reviewer does not read the feedback on a record reviewed by the institution alone.
    let konjac = w.app.pool_detail(&w.actor("reviewer").await, w.konjac).await.unwrap();
    assert!(!konjac.sees_feedback && konjac.feedback.is_empty());
    // Nor is the feedback told to the others: the notice naming the enterprise goes to its readers personally.
    let told = async |who: &str| w.unread(who).await.iter().filter(|n| n.0 == NotificationKind::MatchFeedback).count();
    assert_eq!((told("inst").await, told("reviewer").await, told("inventor").await), (2, 1, 1));
    assert_eq!((told("chem_reviewer").await, told("other_inventor").await), (0, 0));
}

#[tokio::test]
async fn the_due_date_counts_working_days_over_the_national_day() {
    let w = World::new().await;
    // Monday 29 September 2025: 30 September, then 1–8 October off, Saturday 11 October worked.
    assert_eq!(w.app.inquiry_due_date(d(2025, 9, 29)), d(2025, 10, 20));
    assert_eq!(w.app.inquiry_due_date(d(2025, 9, 26)), d(2025, 10, 16));
    // Spring Festival 2025.
    assert_eq!(w.app.inquiry_due_date(d(2025, 1, 24)), d(2025, 2, 13));
    assert!(w.app.calendar.covers(d(2026, 1, 1)));
}

#[tokio::test]
async fn inquiries_count_down_go_overdue_and_stay_with_their_parties() {
    let w = World::new().await;
    let ent_a = w.actor("ent_a").await;
    assert_eq!(
        invalid_field(w.app.ask_inquiry(&ent_a, w.tea, "  ").await.unwrap_err()),
        "question",
        "a question is required"
    );
    assert!(matches!(w.app.ask_inquiry(&ent_a, w.hidden, "能否提供样品？").await, Err(ServiceError::NotFound)));
    assert!(matches!(w.app.ask_inquiry(&w.actor("inst").await, w.graphite, "问").await, Err(ServiceError::Forbidden)));
    let id = w.app.ask_inquiry(&ent_a, w.tea, "能否提供样品？").await.unwrap();
    let today = w.app.china_today();
    let view = w.app.inquiry_view(&ent_a, id).await.unwrap();
    assert_eq!(view.row.inquiry.due_on, w.app.inquiry_due_date(today));
    assert_eq!(view.row.inquiry.holder_org_id, w.inst);
    assert!(
        matches!(view.row.clock, Some(ResponseClock::Pending { working_days_left }) if working_days_left == 10 || working_days_left == 9)
    );
    assert!(view.can_close && !view.can_answer);
    let told = w.unread("inst").await;
    assert!(told.iter().any(|n| n.0 == NotificationKind::Inquiry && n.1.contains("安康硒源茶业有限公司")), "{told:?}");
    assert_eq!(w.audited(Action::InquiryCreate).await, 1);

    // Who sees it: the parties within their scope, the bureau; others get "not found".
    for who in ["ent_a", "inst", "reviewer", "inventor", "officer", "leader"] {
        let page = w.app.list_inquiries(&w.actor(who).await, &InquiryFilter::default()).await.unwrap();
        assert_eq!(page.total, 1, "{who}");
        assert!(w.app.inquiry_view(&w.actor(who).await, id).await.is_ok(), "{who}");
    }
    for who in ["ent_b", "other_inst", "chem_reviewer", "other_inventor"] {
        let page = w.app.list_inquiries(&w.actor(who).await, &InquiryFilter::default()).await.unwrap();
        assert_eq!(page.total, 0, "{who}");
        assert!(matches!(w.app.inquiry_view(&w.actor(who).await, id).await, Err(ServiceError::NotFound)), "{who}");
        let answered = w.app.answer_inquiry(&w.actor(who).await, id, "答复").await;
        assert!(matches!(answered, Err(ServiceError::NotFound | ServiceError::Forbidden)), "{who}");
    }
    assert!(matches!(w.app.answer_inquiry(&ent_a, id, "自答").await, Err(ServiceError::Forbidden)));
    assert!(matches!(w.app.answer_inquiry(&w.actor("leader").await, id, "答").await, Err(ServiceError::Forbidden)));
    assert!(w.app.inquiry_view(&w.actor("reviewer").await, id).await.unwrap().can_answer);

    // Nothing is overdue yet; the home page of the institution shows nothing overdue.
    let officer = w.actor("officer").await;
    let overdue = InquiryFilter { overdue_on: Some(w.app.china_today()), ..InquiryFilter::default() };
    assert_eq!(w.app.list_inquiries(&officer, &overdue).await.unwrap().total, 0);
    assert!(w.app.overdue_inquiries_by_holder(&officer).await.unwrap().is_empty());
    assert!(w.app.inquiry_alerts(&w.actor("inst").await).await.unwrap().unwrap().overdue.is_empty());
    assert!(w.app.inquiry_alerts(&ent_a).await.unwrap().is_none());
    assert!(w.app.inquiry_alerts(&officer).await.unwrap().is_none());

    // A month later it is overdue: on the bureau's list and the institution's home page.
    w.app.clock().advance(Duration::days(30));
    let overdue = InquiryFilter { overdue_on: Some(w.app.china_today()), ..InquiryFilter::default() };
    let late = w.app.list_inquiries(&officer, &overdue).await.unwrap();
    assert_eq!(late.total, 1);
    assert!(late.rows[0].clock.is_some_and(|c| c.is_overdue()));
    assert!(late.rows[0].clock.unwrap().to_string().starts_with("已逾期"));
    let by_holder = w.app.overdue_inquiries_by_holder(&officer).await.unwrap();
    assert_eq!(by_holder.len(), 1);
    assert_eq!((by_holder[0].holder_org_id, by_holder[0].overdue), (w.inst, 1));
    assert!(matches!(w.app.overdue_inquiries_by_holder(&ent_a).await, Err(ServiceError::Forbidden)));
    let alerts = w.app.inquiry_alerts(&w.actor("inst").await).await.unwrap().unwrap();
    assert_eq!(alerts.overdue.len(), 1);
    assert_eq!(w.app.inquiry_alerts(&w.actor("other_inst").await).await.unwrap().unwrap().overdue.len(), 0);

    // The institution answers, late; the enterprise is told; it cannot be answered twice.
    let inst = w.actor("inst").await;
    assert_eq!(invalid_field(w.app.answer_inquiry(&inst, id, " ").await.unwrap_err()), "answer");
    w.app.answer_inquiry(&inst, id, "可以提供样品，请联系科技处。").await.unwrap();
    let answered = w.app.inquiry_view(&ent_a, id).await.unwrap();
    assert!(matches!(answered.row.clock, Some(ResponseClock::AnsweredLate { .. })));
    assert_eq!(answered.row.inquiry.answer, "可以提供样品，请联系科技处。");
    assert!(!answered.can_close);
    assert!(w.unread("ent_a").await.iter().any(|n| n.0 == NotificationKind::Inquiry && n.2.contains("可以提供样品")));
    assert_eq!(invalid_field(w.app.answer_inquiry(&inst, id, "再答").await.unwrap_err()), "answer");
    assert_eq!(w.audited(Action::InquiryAnswer).await, 1);
    assert_eq!(w.app.list_inquiries(&officer, &overdue).await.unwrap().total, 0);

    // The enterprise withdraws another question; another enterprise cannot close it.
    let second = w.app.ask_inquiry(&ent_a, w.konjac, "是否接受分期付款？").await.unwrap();
    assert!(matches!(w.app.close_inquiry(&w.actor("ent_b").await, second, "撤回").await, Err(ServiceError::NotFound)));
    assert!(matches!(w.app.close_inquiry(&inst, second, "不答").await, Err(ServiceError::Forbidden)));
    assert_eq!(invalid_field(w.app.close_inquiry(&ent_a, second, "").await.unwrap_err()), "reason");
    w.app.close_inquiry(&ent_a, second, "已电话沟通").await.unwrap();
    let closed = w.app.inquiry_view(&inst, second).await.unwrap();
    assert_eq!(closed.row.clock, None);
    assert!(!closed.can_answer);
    assert_eq!(w.audited(Action::InquiryClose).await, 1);
}
