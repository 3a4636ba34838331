//! Store tests of matchmaking on a real SQLite file: demands and their history, the one-open-record rule of
//! match records, per-account read marks of notifications, and the enterprise profile inputs.

use chrono::{Duration, NaiveDate, SubsecRound, Utc};
use ipbridge_domain::demand::{
    ContactPhone, CooperationMode, DemandAction, DemandEvent, DemandFields, DemandSource, DemandStatus,
};
use ipbridge_domain::ids::{OrgId, PatentId, UserId};
use ipbridge_domain::matching::{
    MatchEvent, MatchOrigin, MatchSide, MatchState, NotInterestedFeedback, NotInterestedReason,
};
use ipbridge_domain::notification::NotificationKind;
use ipbridge_domain::org::{InstitutionKind, OrgFields, OrgKind};
use ipbridge_domain::patent::{IpcCode, PatentRecord};
use ipbridge_domain::{CreditCode, Money};
use ipbridge_store::{
    Conflict, Db, DemandFilter, DemandStore, EnterpriseProfile, MatchFilter, MatchSort, MatchStore, NewDemand,
    NewMatch, NewNotification, NewUser, NotificationReader, NotificationStore, OrgStore, PatentStore, PatentWrite,
    ProfileStore, StoreError, Tx, UserStore,
};
use serde_json::json;

struct TestDb {
    _dir: tempfile::TempDir,
    db: Db,
}

async fn db() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open_and_migrate(&dir.path().join("test.db")).await.unwrap();
    TestDb { _dir: dir, db }
}

async fn org(tx: &mut Tx, kind: OrgKind, name: &str) -> OrgId {
    let f = OrgFields {
        kind,
        institution_kind: (kind == OrgKind::Institution).then_some(InstitutionKind::University),
        name: name.into(),
        credit_code: None,
        county_code: None,
        department_code: None,
        contact_name: String::new(),
        address: String::new(),
        active: true,
    };
    tx.insert_org(&f, Utc::now()).await.unwrap()
}

async fn user(tx: &mut Tx, org: OrgId, name: &str) -> UserId {
    let new = NewUser {
        username: name.into(),
        display_name: name.into(),
        org_id: org,
        faculty_id: None,
        password_hash: "x".into(),
        must_change_password: false,
        is_demo: false,
    };
    tx.insert_user(&new, Utc::now()).await.unwrap()
}

fn fields(title: &str) -> DemandFields {
    DemandFields {
        title: title.into(),
        description: format!("{title}的技术要求"),
        chain_code: Some("selenium_food".into()),
        ipc_codes: vec![IpcCode::parse("A23F3/06").unwrap()],
        cooperation_mode: CooperationMode::License,
        budget_min: Money::from_yuan(100_000),
        budget_max: Money::from_yuan(300_000),
        deadline: NaiveDate::from_ymd_opt(2030, 6, 30),
        contact_name: "王经理".into(),
        contact_phone: ContactPhone::parse("0915-3261234").unwrap(),
    }
}

fn new_demand<'a>(org: OrgId, f: &'a DemandFields, status: DemandStatus, poster: Option<OrgId>) -> NewDemand<'a> {
    NewDemand {
        org_id: org,
        fields: f,
        status,
        source: DemandSource::Form,
        posted_by_user_id: None,
        posted_by_name: "tester",
        posted_by_org_id: poster,
    }
}

/// Inserts a patent held by `holders` (in applicant order); the first one is its owner.
async fn patent(tx: &mut Tx, serial: u32, title: &str, holders: &[Option<OrgId>]) -> PatentId {
    let no = ipbridge_domain::patent::ApplicationNo::from_parts(2022, 1, serial).unwrap();
    let applicants: Vec<serde_json::Value> =
        (0..holders.len()).map(|i| json!({"name": format!("申请人{i}"), "address": null})).collect();
    let record: PatentRecord = serde_json::from_value(json!({
        "application_no": no.as_str(), "patent_type": "invention", "title": title,
        "legal_status": "granted", "applicants": applicants,
    }))
    .unwrap();
    let record_json = serde_json::to_string(&record).unwrap();
    let norms: Vec<String> = (0..holders.len()).map(|i| format!("申请人{i}")).collect();
    let write = PatentWrite {
        record: &record,
        record_json: &record_json,
        content_hash: "h",
        applicant_names_norm: &norms,
        applicant_orgs: holders,
        import_id: None,
        source_file: "",
        source_row: None,
    };
    tx.insert_patents(&[write], Utc::now()).await.unwrap()[0].1
}

#[tokio::test]
async fn the_migration_adds_profile_columns_with_defaults() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let e = org(&mut tx, OrgKind::Enterprise, "安康硒源茶业有限公司").await;
    assert_eq!(tx.enterprise_profile(e).await.unwrap(), Some(EnterpriseProfile::default()));
    let p = EnterpriseProfile {
        business_scope: "茶叶种植、加工、销售".into(),
        chain_codes: vec!["selenium_food".into(), "qinba_medicine".into()],
    };
    tx.set_enterprise_profile(e, &p, Utc::now()).await.unwrap();
    assert_eq!(tx.enterprise_profile(e).await.unwrap(), Some(p.clone()));
    assert!(tx.enterprise_profile(OrgId::new(999)).await.unwrap().is_none());
    assert!(matches!(tx.set_enterprise_profile(OrgId::new(999), &p, Utc::now()).await, Err(StoreError::NotFound)));
    // The organisation itself still reads as before.
    assert_eq!(tx.org(e).await.unwrap().unwrap().name, "安康硒源茶业有限公司");
    tx.commit().await.unwrap();
    assert!(t.db.integrity_problems().await.unwrap().is_empty());
}

#[tokio::test]
async fn demands_round_trip_filter_by_visibility_and_keep_their_history() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let a = org(&mut tx, OrgKind::Enterprise, "甲企业").await;
    let b = org(&mut tx, OrgKind::Enterprise, "乙企业").await;
    let agency = org(&mut tx, OrgKind::Agency, "丙代理所").await;
    let inst = org(&mut tx, OrgKind::Institution, "丁学院").await;
    let f1 = fields("富硒茶叶深加工工艺");
    let f2 = fields("魔芋精粉提纯技术");
    let mut f3 = fields("绞股蓝提取物标准化");
    f3.cooperation_mode = CooperationMode::JointDevelopment;
    f3.chain_code = None;
    // Stored times keep microseconds.
    let now = Utc::now().trunc_subsecs(6);
    let d1 = tx.insert_demand(&new_demand(a, &f1, DemandStatus::Draft, Some(a)), now).await.unwrap();
    let d2 = tx.insert_demand(&new_demand(a, &f2, DemandStatus::Published, Some(agency)), now).await.unwrap();
    let d3 = tx.insert_demand(&new_demand(b, &f3, DemandStatus::Submitted, Some(b)), now).await.unwrap();

    let stored = tx.demand(d2).await.unwrap().unwrap();
    assert_eq!(stored.fields, f2);
    assert_eq!(stored.enterprise_name, "甲企业");
    assert_eq!(stored.posted_by_org_name.as_deref(), Some("丙代理所"));
    assert!(stored.submitted_at.is_some() && stored.published_at.is_some() && stored.closed_at.is_none());
    assert!(stored.is_own_side(agency) && stored.is_own_side(a) && !stored.is_own_side(b));

    let ids = |v: Vec<ipbridge_domain::demand::Demand>| v.into_iter().map(|d| d.id).collect::<Vec<_>>();
    let visible = |org| DemandFilter { visible_to: Some(org), ..DemandFilter::default() };
    // An institution sees published demands only; an enterprise its own plus published ones; the agency what
    // it posted.
    assert_eq!(ids(tx.list_demands(&visible(inst)).await.unwrap()), [d2]);
    let mut for_a = ids(tx.list_demands(&visible(a)).await.unwrap());
    for_a.sort();
    assert_eq!(for_a, [d1, d2]);
    let mut for_b = ids(tx.list_demands(&visible(b)).await.unwrap());
    for_b.sort();
    assert_eq!(for_b, [d2, d3]);
    assert_eq!(tx.count_demands(&visible(agency)).await.unwrap(), 1);
    let own = DemandFilter { own_side: Some(agency), ..DemandFilter::default() };
    assert_eq!(ids(tx.list_demands(&own).await.unwrap()), [d2]);
    let text = DemandFilter { text: Some("魔芋".into()), ..DemandFilter::default() };
    assert_eq!(ids(tx.list_demands(&text).await.unwrap()), [d2]);
    let by_name = DemandFilter { text: Some("乙企".into()), ..DemandFilter::default() };
    assert_eq!(ids(tx.list_demands(&by_name).await.unwrap()), [d3]);
    let mode = DemandFilter { mode: Some(CooperationMode::JointDevelopment), ..DemandFilter::default() };
    assert_eq!(ids(tx.list_demands(&mode).await.unwrap()), [d3]);
    let chain = DemandFilter { chain_code: Some("selenium_food".into()), ..DemandFilter::default() };
    assert_eq!(tx.count_demands(&chain).await.unwrap(), 2);
    let wildcard = DemandFilter { text: Some("%".into()), ..DemandFilter::default() };
    assert_eq!(tx.count_demands(&wildcard).await.unwrap(), 0, "LIKE wildcards match literally");
    let paged = DemandFilter { limit: 2, offset: 2, ..DemandFilter::default() };
    assert_eq!(tx.list_demands(&paged).await.unwrap().len(), 1);

    // Status changes stamp their times and keep the reason; edits move the status when asked.
    tx.set_demand_status(d3, DemandStatus::Returned, "描述过于简单", now).await.unwrap();
    let returned = tx.demand(d3).await.unwrap().unwrap();
    assert_eq!((returned.status, returned.status_reason.as_str()), (DemandStatus::Returned, "描述过于简单"));
    let mut f3b = f3.clone();
    f3b.description = "补充了技术指标".into();
    tx.update_demand(d3, &f3b, DemandStatus::Submitted, now + Duration::seconds(5)).await.unwrap();
    let resubmitted = tx.demand(d3).await.unwrap().unwrap();
    assert_eq!(resubmitted.status, DemandStatus::Submitted);
    assert_eq!(resubmitted.fields.description, "补充了技术指标");
    assert!(resubmitted.submitted_at > returned.submitted_at);
    tx.set_demand_status(d1, DemandStatus::Closed, "", now).await.unwrap();
    assert!(tx.demand(d1).await.unwrap().unwrap().closed_at.is_some());
    // The check rejects a budget range upside down even if a caller skipped the service's validation.
    let mut upside_down = fields("预算倒挂");
    upside_down.budget_min = Money::from_yuan(10);
    upside_down.budget_max = Money::from_yuan(1);
    assert!(tx.insert_demand(&new_demand(a, &upside_down, DemandStatus::Draft, None), now).await.is_err());

    // The same title (spelled with full-width spaces) is recognised while the demand is open.
    assert_eq!(tx.open_demand_with_title(a, "魔芋精粉　提纯技术").await.unwrap(), Some(d2));
    assert_eq!(tx.open_demand_with_title(a, "富硒茶叶深加工工艺").await.unwrap(), None, "closed");
    assert_eq!(tx.open_demand_with_title(b, "魔芋精粉提纯技术").await.unwrap(), None, "another enterprise");

    let e1 = DemandEvent {
        at: now,
        actor_user_id: None,
        actor_name: "tester".into(),
        actor_org_id: Some(b),
        action: None,
        from: None,
        to: DemandStatus::Submitted,
        note: String::new(),
    };
    let e2 = DemandEvent {
        action: Some(DemandAction::Return),
        from: Some(DemandStatus::Submitted),
        to: DemandStatus::Returned,
        note: "描述过于简单".into(),
        ..e1.clone()
    };
    tx.add_demand_event(d3, &e1).await.unwrap();
    tx.add_demand_event(d3, &e2).await.unwrap();
    assert_eq!(tx.demand_events(d3).await.unwrap(), [e1, e2]);
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn one_open_match_per_patent_and_enterprise() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let inst = org(&mut tx, OrgKind::Institution, "安康理工学院").await;
    let other_inst = org(&mut tx, OrgKind::Institution, "秦巴研究院").await;
    let a = org(&mut tx, OrgKind::Enterprise, "甲企业").await;
    let b = org(&mut tx, OrgKind::Enterprise, "乙企业").await;
    let p1 = patent(&mut tx, 1, "一种富硒茶叶的加工方法", &[Some(inst)]).await;
    let p2 = patent(&mut tx, 2, "一种魔芋精粉的制备方法", &[Some(other_inst)]).await;
    let explanation = json!({"terms": ["富硒", "茶叶"], "shared_ipc": ["A23F3/06"]});
    let now = Utc::now().trunc_subsecs(6);
    let new = |patent, enterprise, holder, score| NewMatch {
        patent_id: patent,
        enterprise_org_id: enterprise,
        demand_id: None,
        holder_org_id: holder,
        origin: MatchOrigin::Push,
        score,
        explanation: &explanation,
        state: MatchState::Proposed,
        created_by_user_id: None,
        created_by_name: "tester",
    };
    let m1 = tx.insert_match(&new(p1, a, Some(inst), 0.875), now).await.unwrap();
    let m2 = tx.insert_match(&new(p1, b, Some(inst), 0.5), now + Duration::seconds(1)).await.unwrap();
    let m3 = tx.insert_match(&new(p2, a, Some(other_inst), 0.25), now + Duration::seconds(2)).await.unwrap();
    let err = tx.insert_match(&new(p1, a, Some(inst), 0.1), now).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(Conflict::OpenMatch)), "{err:?}");

    let r = tx.match_record(m1).await.unwrap().unwrap();
    assert_eq!((r.patent_title.as_str(), r.enterprise_name.as_str()), ("一种富硒茶叶的加工方法", "甲企业"));
    assert_eq!(r.holder_name.as_deref(), Some("安康理工学院"));
    assert_eq!((r.score, &r.explanation, r.state), (0.875, &explanation, MatchState::Proposed));
    assert_eq!(tx.open_match_for(p1, a).await.unwrap().map(|r| r.id), Some(m1));

    // A refusal keeps its reason; closing frees the pair for a fresh record.
    let refusal = NotInterestedFeedback { reason: NotInterestedReason::Other, text: "已有同类技术".into() };
    tx.set_match_state(m1, MatchState::NotInterested, Some(&refusal), now).await.unwrap();
    tx.set_match_state(m1, MatchState::Closed, None, now + Duration::seconds(3)).await.unwrap();
    let closed = tx.match_record(m1).await.unwrap().unwrap();
    assert_eq!((closed.state, closed.feedback.as_ref()), (MatchState::Closed, Some(&refusal)));
    assert_eq!(tx.open_match_for(p1, a).await.unwrap(), None);
    let again = tx.insert_match(&new(p1, a, Some(inst), 0.9), now + Duration::seconds(4)).await.unwrap();
    assert_ne!(again, m1);

    let ids = |v: Vec<ipbridge_store::MatchRecord>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let holder = MatchFilter { holder_org: Some(inst), ..MatchFilter::default() };
    assert_eq!(tx.count_matches(&holder).await.unwrap(), 3);
    let party = MatchFilter { party_org: Some(a), open_only: true, ..MatchFilter::default() };
    assert_eq!(ids(tx.list_matches(&party).await.unwrap()), [again, m3]);
    let by_score = MatchFilter { sort: MatchSort::Score, ..MatchFilter::default() };
    assert_eq!(ids(tx.list_matches(&by_score).await.unwrap()), [again, m1, m2, m3]);
    let waiting = MatchFilter {
        state_changed_before: Some(now + Duration::milliseconds(1500)),
        sort: MatchSort::LongestWaiting,
        ..MatchFilter::default()
    };
    assert_eq!(ids(tx.list_matches(&waiting).await.unwrap()), [m2]);
    let text = MatchFilter { text: Some("魔芋".into()), ..MatchFilter::default() };
    assert_eq!(ids(tx.list_matches(&text).await.unwrap()), [m3]);
    let counts = tx.count_matches_by_state(&MatchFilter::default()).await.unwrap();
    let count = |s| counts.iter().find(|(x, _)| *x == s).map(|(_, n)| *n).unwrap();
    assert_eq!((count(MatchState::Proposed), count(MatchState::Closed), count(MatchState::Deal)), (3, 1, 0));
    assert_eq!(counts.len(), MatchState::ALL.len());

    let e1 = MatchEvent {
        at: now,
        actor_user_id: None,
        actor_name: "tester".into(),
        actor_org_id: Some(a),
        side: Some(MatchSide::Enterprise),
        from: Some(MatchState::Proposed),
        to: MatchState::NotInterested,
        reason: Some(NotInterestedReason::Other),
        note: "已有同类技术".into(),
    };
    let e2 = MatchEvent {
        side: None,
        from: None,
        to: MatchState::Proposed,
        reason: None,
        note: String::new(),
        ..e1.clone()
    };
    tx.add_match_event(m1, &e2).await.unwrap();
    tx.add_match_event(m1, &e1).await.unwrap();
    assert_eq!(tx.match_events(m1).await.unwrap(), [e2, e1]);
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn notifications_are_addressed_to_organisations_and_read_per_account() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let inst = org(&mut tx, OrgKind::Institution, "安康理工学院").await;
    let other = org(&mut tx, OrgKind::Enterprise, "甲企业").await;
    let admin_u = user(&mut tx, inst, "inst_admin").await;
    let inventor_u = user(&mut tx, inst, "inventor").await;
    let outsider_u = user(&mut tx, other, "outsider").await;
    let now = Utc::now();
    let send = |user: Option<UserId>, title: &str| NewNotification {
        recipient_org_id: inst,
        recipient_user_id: user,
        kind: NotificationKind::MatchInterest,
        title: title.into(),
        body: "正文".into(),
        link: "/matches/1".into(),
    };
    let n1 = tx.insert_notification(&send(None, "企业有意向"), now).await.unwrap();
    let n2 = tx.insert_notification(&send(Some(inventor_u), "只给发明人"), now).await.unwrap();
    let reader = |user_id, org_id, org_wide| NotificationReader { user_id, org_id, org_wide };
    let admin = reader(admin_u, inst, true);
    let inventor = reader(inventor_u, inst, true);
    let outsider = reader(outsider_u, other, true);
    let administrator = reader(admin_u, inst, false);

    assert_eq!(tx.count_notifications(admin, true).await.unwrap(), 1);
    assert_eq!(tx.count_notifications(inventor, true).await.unwrap(), 2);
    assert_eq!(tx.count_notifications(outsider, false).await.unwrap(), 0);
    assert_eq!(tx.count_notifications(administrator, false).await.unwrap(), 0, "org-wide notices skip admins");
    let list = tx.list_notifications(inventor, false, 10, 0).await.unwrap();
    assert_eq!(list.iter().map(|n| n.id).collect::<Vec<_>>(), [n2, n1]);
    assert_eq!(list[1].kind, NotificationKind::MatchInterest);

    // One member reading leaves the other's unread; reading twice keeps the first time; others' are refused.
    assert!(tx.mark_notification_read(admin, n1, now).await.unwrap());
    assert!(tx.mark_notification_read(admin, n1, now + Duration::hours(1)).await.unwrap());
    assert!(!tx.mark_notification_read(admin, n2, now).await.unwrap(), "addressed to another account");
    assert!(!tx.mark_notification_read(outsider, n1, now).await.unwrap());
    assert_eq!(tx.count_notifications(admin, true).await.unwrap(), 0);
    let read = tx.list_notifications(admin, false, 10, 0).await.unwrap();
    assert_eq!(read[0].read_at.map(|t| t.timestamp()), Some(now.timestamp()));
    assert_eq!(tx.count_notifications(inventor, true).await.unwrap(), 2);
    assert_eq!(tx.mark_all_notifications_read(inventor, now).await.unwrap(), 2);
    assert_eq!(tx.mark_all_notifications_read(inventor, now).await.unwrap(), 0);
    assert!(tx.list_notifications(inventor, true, 10, 0).await.unwrap().is_empty());
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn profile_inputs_cover_active_enterprises_with_their_live_demands_and_patents() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let a = org(&mut tx, OrgKind::Enterprise, "甲企业").await;
    let b = org(&mut tx, OrgKind::Enterprise, "乙企业").await;
    let gone = org(&mut tx, OrgKind::Enterprise, "停业企业").await;
    let inst = org(&mut tx, OrgKind::Institution, "安康理工学院").await;
    let mut inactive = tx.org(gone).await.unwrap().unwrap();
    inactive.active = false;
    let f = OrgFields {
        kind: inactive.kind,
        institution_kind: None,
        name: inactive.name.clone(),
        credit_code: Some(CreditCode::parse("91440300708461136T").unwrap()),
        county_code: None,
        department_code: None,
        contact_name: String::new(),
        address: String::new(),
        active: false,
    };
    tx.update_org(gone, &f, Utc::now()).await.unwrap();
    tx.set_enterprise_profile(
        a,
        &EnterpriseProfile { business_scope: "茶叶加工".into(), chain_codes: vec!["selenium_food".into()] },
        Utc::now(),
    )
    .await
    .unwrap();
    let now = Utc::now();
    let live = fields("富硒茶叶深加工工艺");
    let waiting = fields("茶多酚提取");
    let draft = fields("草稿需求");
    let closed = fields("已关闭需求");
    let d1 = tx.insert_demand(&new_demand(a, &live, DemandStatus::Published, Some(a)), now).await.unwrap();
    let d2 = tx.insert_demand(&new_demand(a, &waiting, DemandStatus::Submitted, Some(a)), now).await.unwrap();
    tx.insert_demand(&new_demand(a, &draft, DemandStatus::Draft, Some(a)), now).await.unwrap();
    tx.insert_demand(&new_demand(a, &closed, DemandStatus::Closed, Some(a)), now).await.unwrap();
    tx.insert_demand(&new_demand(gone, &live, DemandStatus::Published, Some(gone)), now).await.unwrap();
    // Patents: one owned by A, one by the institution with B as co-applicant, one of the inactive enterprise.
    let pa = patent(&mut tx, 11, "茶叶揉捻机", &[Some(a)]).await;
    let pib = patent(&mut tx, 12, "魔芋胶提取", &[Some(inst), Some(b)]).await;
    patent(&mut tx, 13, "停业企业的专利", &[Some(gone)]).await;
    patent(&mut tx, 14, "学院独有专利", &[Some(inst), None]).await;

    let inputs = tx.enterprise_profile_inputs().await.unwrap();
    assert_eq!(inputs.iter().map(|i| i.org_id).collect::<Vec<_>>(), [a, b]);
    let ia = &inputs[0];
    assert_eq!((ia.name.as_str(), ia.business_scope.as_str()), ("甲企业", "茶叶加工"));
    assert_eq!(ia.chain_codes, ["selenium_food"]);
    assert_eq!(ia.demands.iter().map(|d| d.id).collect::<Vec<_>>(), [d1, d2]);
    assert_eq!(ia.demands[0].ipc_codes, ["A23F3/06"]);
    assert_eq!(ia.demands[0].status, DemandStatus::Published);
    assert!(ia.demands[1].description.contains("茶多酚"));
    assert!(inputs[1].demands.is_empty() && inputs[1].chain_codes.is_empty());

    assert_eq!(tx.enterprise_patent_pairs().await.unwrap(), [(a, pa), (b, pib)]);
    tx.commit().await.unwrap();
}
