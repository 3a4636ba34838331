//! Store tests of stock-patent revitalisation on a real SQLite file: a small hand-made city whose coverage
//! figures are worked out by hand below, the review chain's transitions and history, the public pool and its
//! filters, push campaigns and the feedback that decides the tier, inquiries with due dates from the holiday
//! calendar, roadshows with follow-up, and deals.

use chrono::{DateTime, Duration, NaiveDate, SubsecRound, Utc};
use ipbridge_domain::demand::CooperationMode;
use ipbridge_domain::ids::{FacultyId, InventoryRecordId, MatchId, OrgId, PatentId, UserId};
use ipbridge_domain::matching::{MatchEvent, MatchOrigin, MatchSide, MatchState, NotInterestedReason};
use ipbridge_domain::org::{InstitutionKind, OrgFields, OrgKind};
use ipbridge_domain::patent::{ApplicationNo, PatentRecord};
use ipbridge_domain::permission::Role;
use ipbridge_domain::policy::{ANKANG_2024_TOML, Policy};
use ipbridge_domain::revitalisation::{
    CampaignSelection, CooperationIntent, CoverageCounts, DealFields, DealKind, DealParty, DealPartyRole, DealSource,
    DealStatus, FeedbackSummary, FilingStatus, FollowUpEntry, FollowUpOutcome, InquiryState, InventoryContent,
    InventoryInput, InventorySource, LicenseScope, PoolFeedback, ProjectState, RegistrationFields, ReviewAction,
    ReviewActor, ReviewEvent, ReviewRoute, ReviewState, RoadshowFields, RoadshowMode, RoadshowStatus, Tier,
    TransferIntent, Transition, Trl, due_date,
};
use ipbridge_domain::{CreditCode, Money};
use ipbridge_store::{
    ChainSelector, Conflict, ConvertedFilter, Db, DealFilter, DealStore, EnterpriseProfile, FacultyScope,
    FeedbackFilter, InquiryFilter, InquiryStore, InventoryFilter, InventorySort, InventoryStore, MatchStore,
    NewCampaign, NewDeal, NewFollowUpProject, NewInquiry, NewInventoryRecord, NewMatch, NewPoolFeedback, NewUser,
    OrgStore, PatentStore, PatentWrite, PoolFilter, PoolStore, ProfileStore, RecordedBy, RoadshowFilter, RoadshowStore,
    SearchStore, StoreError, Tx, UnrecordedFilter, UserStore,
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

fn policy() -> Policy {
    Policy::from_toml_str(ANKANG_2024_TOML).unwrap()
}

fn t0() -> DateTime<Utc> {
    // Stored times keep microseconds.
    Utc::now().trunc_subsecs(6)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn yuan(y: i64) -> Money {
    Money::from_yuan(y).unwrap()
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

async fn user(tx: &mut Tx, org: OrgId, faculty: Option<FacultyId>, name: &str, roles: &[Role]) -> UserId {
    let new = NewUser {
        username: name.into(),
        display_name: name.into(),
        org_id: org,
        faculty_id: faculty,
        password_hash: "x".into(),
        must_change_password: false,
        is_demo: false,
    };
    let id = tx.insert_user(&new, Utc::now()).await.unwrap();
    tx.set_roles(id, roles).await.unwrap();
    id
}

fn record_of(serial: u32, title: &str, status: &str, ipc: &[&str]) -> PatentRecord {
    let no = ApplicationNo::from_parts(2021, 1, serial).unwrap();
    serde_json::from_value(json!({
        "application_no": no.as_str(), "patent_type": "invention", "title": title, "legal_status": status,
        "applicants": [{"name": "权利人", "address": null}], "ipc_codes": ipc, "main_ipc": ipc.first(),
    }))
    .unwrap()
}

/// A patent owned by `owner`, with a legal status (`granted` is in force) and IPC codes.
async fn patent(tx: &mut Tx, serial: u32, title: &str, owner: Option<OrgId>, status: &str, ipc: &[&str]) -> PatentId {
    let record = record_of(serial, title, status, ipc);
    let json = serde_json::to_string(&record).unwrap();
    let norms = vec!["权利人".to_owned()];
    let orgs = vec![owner];
    let write = PatentWrite {
        record: &record,
        record_json: &json,
        content_hash: "h",
        applicant_names_norm: &norms,
        applicant_orgs: &orgs,
        import_id: None,
        source_file: "",
        source_row: None,
    };
    tx.insert_patents(&[write], Utc::now()).await.unwrap()[0].1
}

fn content(intent: &str, implemented: bool, trl: &str, problem: &str) -> InventoryContent {
    InventoryInput {
        transfer_intent: intent.into(),
        already_implemented: if implemented { "是" } else { "否" }.into(),
        prospect_grade: "B".into(),
        maturity: trl.into(),
        problem_solved: problem.into(),
        advantage: "成本降低两成".into(),
        application_fields: "食品加工".into(),
        route_to_market: "许可给本地企业".into(),
        price_min: "10万".into(),
        price_max: "30万".into(),
        contact_name: "李老师".into(),
        contact_phone: "0915-3261234".into(),
    }
    .parse(&policy().revitalisation)
    .unwrap()
}

fn event(t: &Transition, at: DateTime<Utc>) -> ReviewEvent {
    ReviewEvent {
        at,
        actor_user_id: None,
        actor_name: t.actor.code().into(),
        actor_org_id: None,
        actor_kind: Some(t.actor),
        action: Some(t.action),
        from: Some(t.from),
        to: t.to,
        comment: t.comment.clone(),
    }
}

/// Creates a draft record with its creation event.
async fn record(
    tx: &mut Tx,
    patent: PatentId,
    org: OrgId,
    faculty: Option<FacultyId>,
    c: &InventoryContent,
    chain: Option<&str>,
    at: DateTime<Utc>,
) -> InventoryRecordId {
    let new = NewInventoryRecord {
        patent_id: patent,
        org_id: org,
        faculty_id: faculty,
        content: c,
        chain_code: chain,
        source: InventorySource::Form,
        filed_by_user_id: None,
        filed_by_name: "filer",
    };
    let id = tx.insert_inventory_record(&new, at).await.unwrap();
    let created = ReviewEvent {
        at,
        actor_user_id: None,
        actor_name: "filer".into(),
        actor_org_id: Some(org),
        actor_kind: Some(ReviewActor::Inventor),
        action: None,
        from: None,
        to: ReviewState::Draft,
        comment: String::new(),
    };
    tx.add_review_event(id, &created).await.unwrap();
    id
}

/// Takes a record through checked steps, one second apart.
async fn walk(
    tx: &mut Tx,
    id: InventoryRecordId,
    route: ReviewRoute,
    steps: &[(ReviewAction, ReviewActor)],
    mut at: DateTime<Utc>,
) {
    for (action, actor) in steps {
        let state = tx.inventory_record(id).await.unwrap().unwrap().state;
        let t = Transition::check(state, *action, *actor, route, "").unwrap();
        at += Duration::seconds(1);
        tx.transition_inventory_record(id, &t, &event(&t, at), at).await.unwrap();
    }
}

fn deal(kind: DealKind, holder: OrgId, patents: &[PatentId], amount: i64, counterparty: OrgId) -> DealFields {
    DealFields {
        kind,
        holder_org_id: holder,
        patents: patents.to_vec(),
        parties: vec![DealParty {
            role: DealPartyRole::Counterparty,
            org_id: Some(counterparty),
            name: "受让企业".into(),
            credit_code: None,
        }],
        amount: yuan(amount),
        royalty_bp: None,
        signed_on: d(2025, 6, 1),
        effective_from: None,
        effective_to: None,
        contract_no: format!("HT-{kind:?}-{amount}"),
        license_scope: (kind == DealKind::License).then_some(LicenseScope::Ordinary),
        filing_status: FilingStatus::Pending,
        filed_on: None,
        filing_no: String::new(),
        source: DealSource::Direct,
        match_id: None,
        roadshow_id: None,
        open_license_id: None,
        note: String::new(),
    }
    .check()
    .unwrap()
}

async fn insert_deal(tx: &mut Tx, f: &DealFields, at: DateTime<Utc>) -> ipbridge_domain::ids::DealId {
    let new = NewDeal { fields: f, recorded_by_user_id: None, recorded_by_name: "bureau", recorded_by_org_id: None };
    tx.insert_deal(&new, at).await.unwrap()
}

/// The small city of the coverage tests. Worked out by hand:
///
/// 安康学院 (U1; faculties 化学化工学院 FA with a reviewer, 农学与生命科学学院 FB without one):
/// - p1 in force, record in FA, through the whole chain into the transferable pool;
/// - p2 in force, draft record in FA;
/// - p3 in force, no record, linked to an inventor of FB;
/// - p4 in force, no record, no faculty;
/// - p5 in force, licensed (effective deal, 300,000 yuan), inventor of FA → converted;
/// - p6 in force, record in FB saying it is implemented, approved by the institution → converted;
/// - p7 lapsed → outside everything;
/// - p8 in force, its assignment deal was cancelled → still in scope, no faculty;
/// - p9 in force, record in FB submitted, saying implemented but not yet approved → still in scope.
///
/// 安康市农业科学研究院 (U2, no faculties): q1 base pool; q2 no record; q3 in the pool but assigned
/// (effective deal, 1,000,000 yuan) → converted; q4 transferable pool. An enterprise's own patent is outside.
struct City {
    u1: OrgId,
    u2: OrgId,
    fa: FacultyId,
    fb: FacultyId,
    e1: OrgId,
    e2: OrgId,
    inv_a: UserId,
    inv_b: UserId,
    p: Vec<PatentId>,
    q: Vec<PatentId>,
    e_pat: PatentId,
    rec: Vec<InventoryRecordId>,
    p5_deal: ipbridge_domain::ids::DealId,
}

async fn build(tx: &mut Tx, t: DateTime<Utc>) -> City {
    use ReviewAction as A;
    use ReviewActor::{Bureau as B, FacultyReviewer as F, InstitutionAdmin as I, Inventor as V};
    use ReviewRoute::{InstitutionOnly as N, ThroughFaculty as W};

    let u1 = org(tx, OrgKind::Institution, "安康学院").await;
    let u2 = org(tx, OrgKind::Institution, "安康市农业科学研究院").await;
    let e1 = org(tx, OrgKind::Enterprise, "安康硒源茶业有限公司").await;
    let e2 = org(tx, OrgKind::Enterprise, "陕西毛绒玩具有限公司").await;
    let fa = tx.insert_faculty(u1, "化学化工学院").await.unwrap();
    let fb = tx.insert_faculty(u1, "农学与生命科学学院").await.unwrap();
    let inv_a = user(tx, u1, Some(fa), "inv_a", &[Role::Inventor]).await;
    let inv_b = user(tx, u1, Some(fb), "inv_b", &[Role::Inventor]).await;
    user(tx, u1, Some(fa), "rev_a", &[Role::FacultyReviewer]).await;
    user(tx, u1, None, "admin1", &[Role::InstitutionAdmin]).await;

    let g = "granted";
    let mut p = Vec::new();
    p.push(patent(tx, 1, "一种碳酸钡提纯方法", Some(u1), g, &["C01B32/05"]).await);
    p.push(patent(tx, 2, "一种魔芋精粉提纯方法", Some(u1), g, &["A23L19/10"]).await);
    p.push(patent(tx, 3, "一种绞股蓝提取方法", Some(u1), g, &["A61K36/42"]).await);
    p.push(patent(tx, 4, "一种毛绒填充棉", Some(u1), g, &["B68G1/00"]).await);
    p.push(patent(tx, 5, "一种富硒茶饮料", Some(u1), g, &["A23F3/16"]).await);
    p.push(patent(tx, 6, "一种水电机组监测装置", Some(u1), g, &["F03B11/00"]).await);
    p.push(patent(tx, 7, "一种已失效的方法", Some(u1), "lapsed", &["A23L2/38"]).await);
    p.push(patent(tx, 8, "一种纺织印染工艺", Some(u1), g, &["D06P1/00"]).await);
    p.push(patent(tx, 9, "一种天麻种植方法", Some(u1), g, &["A01G22/00"]).await);
    let mut q = Vec::new();
    q.push(patent(tx, 21, "一种核桃油加工方法", Some(u2), g, &["A23D9/02"]).await);
    q.push(patent(tx, 22, "一种饲料配方", Some(u2), g, &["A23K50/10"]).await);
    q.push(patent(tx, 23, "一种硒肥", Some(u2), g, &["C05D9/02"]).await);
    q.push(patent(tx, 24, "一种富硒绿茶加工工艺", Some(u2), g, &["A23F3/06"]).await);
    let e_pat = patent(tx, 31, "企业自有专利", Some(e1), g, &["A23F3/06"]).await;

    tx.link_inventor(p[2], inv_b, "王五", "admin1", t).await.unwrap();
    tx.link_inventor(p[4], inv_a, "张三", "admin1", t).await.unwrap();

    let mut rec = Vec::new();
    let assign = content("转让", false, "6", "碳酸钡纯度不足");
    let r1 = record(tx, p[0], u1, Some(fa), &assign, Some("new_materials"), t).await;
    walk(
        tx,
        r1,
        W,
        &[(A::Submit, V), (A::Approve, F), (A::Approve, I), (A::AddToBasePool, B), (A::ScreenIntoPool, I)],
        t,
    )
    .await;
    rec.push(r1);
    rec.push(record(tx, p[1], u1, Some(fa), &InventoryContent::default(), None, t).await);
    let implemented = content("自行实施", true, "9", "监测精度低");
    let r6 = record(tx, p[5], u1, Some(fb), &implemented, None, t).await;
    walk(tx, r6, N, &[(A::Submit, V), (A::Approve, I)], t).await;
    rec.push(r6);
    let r9 = record(tx, p[8], u1, Some(fb), &content("许可", true, "5", "天麻产量低"), None, t).await;
    walk(tx, r9, N, &[(A::Submit, V)], t).await;
    rec.push(r9);

    let licence = content("许可", false, "4", "核桃油酸价高");
    let rq1 = record(tx, q[0], u2, None, &licence, None, t).await;
    walk(tx, rq1, N, &[(A::Submit, I), (A::Approve, I), (A::AddToBasePool, B)], t).await;
    rec.push(rq1);
    let rq3 = record(tx, q[2], u2, None, &licence, None, t).await;
    walk(tx, rq3, N, &[(A::Submit, I), (A::Approve, I), (A::AddToBasePool, B), (A::ScreenIntoPool, B)], t).await;
    rec.push(rq3);
    let selenium = content("许可", false, "3", "富硒茶叶加工中硒流失");
    let rq4 = record(tx, q[3], u2, None, &selenium, None, t).await;
    walk(
        tx,
        rq4,
        N,
        &[(A::Submit, I), (A::Approve, I), (A::AddToBasePool, I), (A::ScreenIntoPool, I)],
        t + Duration::seconds(30),
    )
    .await;
    rec.push(rq4);

    let p5_deal = insert_deal(tx, &deal(DealKind::License, u1, &[p[4]], 300_000, e1), t).await;
    let p8_deal = insert_deal(tx, &deal(DealKind::Assignment, u1, &[p[7]], 50_000, e2), t).await;
    tx.cancel_deal(p8_deal, "合同解除", t).await.unwrap();
    insert_deal(tx, &deal(DealKind::Assignment, u2, &[q[2]], 1_000_000, e2), t).await;

    City { u1, u2, fa, fb, e1, e2, inv_a, inv_b, p, q, e_pat, rec, p5_deal }
}

/// Coverage figures in the order of the report's columns: in scope, draft, recorded, reviewed, base pool,
/// transferable pool, converted, deals; then the converted amount in yuan.
fn counts(n: [u64; 8], amount: i64) -> CoverageCounts {
    let [in_scope, draft, recorded, reviewed, base_pool, transferable_pool, converted, deals] = n;
    CoverageCounts {
        in_scope,
        draft,
        recorded,
        reviewed,
        base_pool,
        transferable_pool,
        converted,
        deals,
        converted_amount: yuan(amount),
    }
}

#[tokio::test]
async fn coverage_is_computed_from_the_data_per_institution_faculty_and_city() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let now = t0();
    let c = build(&mut tx, now).await;

    let by_institution = tx.coverage_by_institution(None).await.unwrap();
    let names: Vec<&str> = by_institution.iter().map(|r| r.org_name.as_str()).collect();
    assert_eq!(names, ["安康学院", "安康市农业科学研究院"]);
    assert_eq!(by_institution[0].counts, counts([6, 1, 2, 1, 1, 1, 2, 1], 300_000));
    assert_eq!(by_institution[1].counts, counts([3, 0, 2, 2, 2, 1, 1, 1], 1_000_000));
    assert_eq!(by_institution[0].counts.coverage_text(), "33.3%");
    assert_eq!(by_institution[0].counts.unrecorded(), 4);
    let only = tx.coverage_by_institution(Some(c.u2)).await.unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].org_id, c.u2);

    let by_faculty = tx.coverage_by_faculty(c.u1).await.unwrap();
    let rows: Vec<(Option<FacultyId>, CoverageCounts)> = by_faculty.iter().map(|r| (r.faculty_id, r.counts)).collect();
    assert_eq!(
        rows,
        [
            (Some(c.fb), counts([2, 0, 1, 0, 0, 0, 1, 0], 0)),
            (Some(c.fa), counts([2, 1, 1, 1, 1, 1, 1, 1], 300_000)),
            (None, counts([2, 0, 0, 0, 0, 0, 0, 0], 0)),
        ]
    );
    assert_eq!(by_faculty[0].faculty_name.as_deref(), Some("农学与生命科学学院"));
    let in_scope: u64 = by_faculty.iter().map(|r| r.counts.in_scope).sum();
    assert_eq!(in_scope, 6, "the faculties and the unassigned row add up to the institution");
    // An institution without faculties has one row: its patents assigned to none.
    let u2_rows = tx.coverage_by_faculty(c.u2).await.unwrap();
    assert_eq!(u2_rows.len(), 1);
    assert_eq!((u2_rows[0].faculty_id, u2_rows[0].counts), (None, counts([3, 0, 2, 2, 2, 1, 1, 1], 1_000_000)));

    assert_eq!(tx.coverage_city().await.unwrap(), counts([9, 1, 4, 3, 3, 2, 3, 2], 1_300_000));

    // The unrecorded list: no record or a draft only.
    let all = tx.unrecorded_patents(&UnrecordedFilter::default()).await.unwrap();
    let ids: Vec<PatentId> = all.iter().map(|u| u.patent_id).collect();
    assert_eq!(ids, [c.p[1], c.p[2], c.p[3], c.p[7], c.q[1]]);
    assert_eq!(all[0].state, Some(ReviewState::Draft));
    assert_eq!(all[1].state, None);
    assert_eq!(all[1].faculty_id, Some(c.fb), "the linked inventor's faculty");
    assert_eq!(tx.count_unrecorded_patents(&UnrecordedFilter::default()).await.unwrap(), 5);
    let filter =
        |org, faculty, inventor| UnrecordedFilter { org, faculty, inventor_user: inventor, limit: 0, offset: 0 };
    let ids_of = |v: Vec<ipbridge_store::UnrecordedPatent>| v.into_iter().map(|u| u.patent_id).collect::<Vec<_>>();
    assert_eq!(
        ids_of(tx.unrecorded_patents(&filter(Some(c.u1), FacultyScope::Only(c.fb), None)).await.unwrap()),
        [c.p[2]]
    );
    assert_eq!(
        ids_of(tx.unrecorded_patents(&filter(Some(c.u1), FacultyScope::Unassigned, None)).await.unwrap()),
        [c.p[3], c.p[7]]
    );
    assert_eq!(ids_of(tx.unrecorded_patents(&filter(None, FacultyScope::Any, Some(c.inv_b))).await.unwrap()), [c.p[2]]);
    let paged = UnrecordedFilter { limit: 2, offset: 1, ..UnrecordedFilter::default() };
    assert_eq!(ids_of(tx.unrecorded_patents(&paged).await.unwrap()), [c.p[2], c.p[3]]);
    assert_eq!(tx.count_unrecorded_patents(&filter(Some(c.u2), FacultyScope::Any, None)).await.unwrap(), 1);

    // One patent against the scope.
    let scope = tx.patent_scope(c.p[2]).await.unwrap().unwrap();
    assert!(scope.in_scope && scope.owner_is_institution && scope.in_force && !scope.converted);
    assert_eq!(scope.faculty_id, Some(c.fb));
    let converted = tx.patent_scope(c.p[4]).await.unwrap().unwrap();
    assert!(converted.converted && !converted.in_scope);
    let lapsed = tx.patent_scope(c.p[6]).await.unwrap().unwrap();
    assert!(!lapsed.in_force && !lapsed.in_scope);
    let enterprise = tx.patent_scope(c.e_pat).await.unwrap().unwrap();
    assert!(!enterprise.owner_is_institution && !enterprise.in_scope);
    assert!(tx.patent_scope(PatentId::new(9999)).await.unwrap().is_none());
    tx.commit().await.unwrap();

    // Nothing is stored: changing the data changes the figures. Cancelling the licence of p5 returns it to
    // the scope; p4 lapsing takes it out.
    let mut tx = t.db.begin().await.unwrap();
    tx.cancel_deal(c.p5_deal, "录入错误", now).await.unwrap();
    let lapsed = record_of(4, "一种毛绒填充棉", "lapsed", &["B68G1/00"]);
    let json = serde_json::to_string(&lapsed).unwrap();
    let (norms, orgs) = (vec!["权利人".to_owned()], vec![Some(c.u1)]);
    let write = PatentWrite {
        record: &lapsed,
        record_json: &json,
        content_hash: "h2",
        applicant_names_norm: &norms,
        applicant_orgs: &orgs,
        import_id: None,
        source_file: "",
        source_row: None,
    };
    tx.update_patent(c.p[3], &write, now).await.unwrap();
    let u1 = tx.coverage_by_institution(Some(c.u1)).await.unwrap().remove(0).counts;
    assert_eq!(u1, counts([6, 1, 2, 1, 1, 1, 1, 0], 0));
    let ids = ids_of(tx.unrecorded_patents(&filter(Some(c.u1), FacultyScope::Any, None)).await.unwrap());
    assert_eq!(ids, [c.p[1], c.p[2], c.p[4], c.p[7]]);
    // An approved record flagged as implemented leaves the scope; sent back to draft, it returns.
    let r6 = c.rec[2];
    let back = Transition::check(
        ReviewState::InstitutionApproved,
        ReviewAction::ReturnForRevision,
        ReviewActor::InstitutionAdmin,
        ReviewRoute::InstitutionOnly,
        "未提供实施证明",
    )
    .unwrap();
    tx.transition_inventory_record(r6, &back, &event(&back, now), now).await.unwrap();
    assert_eq!(tx.coverage_by_institution(Some(c.u1)).await.unwrap()[0].counts, counts([7, 2, 2, 1, 1, 1, 0, 0], 0));
    tx.commit().await.unwrap();
    assert!(t.db.integrity_problems().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_record_names_the_faculty_and_only_an_unrecorded_patent_falls_back_to_its_inventor() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let now = t0();
    let u = org(&mut tx, OrgKind::Institution, "安康学院").await;
    let e = org(&mut tx, OrgKind::Enterprise, "安康硒源茶业有限公司").await;
    let fa = tx.insert_faculty(u, "化学化工学院").await.unwrap();
    let inv = user(&mut tx, u, Some(fa), "inv", &[Role::Inventor]).await;
    let g = "granted";
    let alone = patent(&mut tx, 1, "一种碳酸钡提纯方法", Some(u), g, &["C01B32/05"]).await;
    let unrecorded = patent(&mut tx, 2, "一种魔芋精粉提纯方法", Some(u), g, &["A23L19/10"]).await;
    let licensed = patent(&mut tx, 3, "一种绞股蓝提取方法", Some(u), g, &["A61K36/42"]).await;
    let draft = patent(&mut tx, 4, "一种富硒茶饮料", Some(u), g, &["A23F3/16"]).await;
    for p in [alone, unrecorded, licensed, draft] {
        tx.link_inventor(p, inv, "张三", "admin", now).await.unwrap();
    }
    // The institution reviews these alone: their records name no faculty although the inventor has one.
    let steps = [(ReviewAction::Submit, ReviewActor::InstitutionAdmin)];
    let r = record(&mut tx, alone, u, None, &content("转让", false, "6", "碳酸钡纯度不足"), None, now).await;
    walk(&mut tx, r, ReviewRoute::InstitutionOnly, &steps, now).await;
    record(&mut tx, licensed, u, None, &content("许可", false, "5", "皂苷得率低"), None, now).await;
    record(&mut tx, draft, u, None, &InventoryContent::default(), None, now).await;
    insert_deal(&mut tx, &deal(DealKind::License, u, &[licensed], 100_000, e), now).await;

    let rows: Vec<(Option<FacultyId>, CoverageCounts)> =
        tx.coverage_by_faculty(u).await.unwrap().iter().map(|r| (r.faculty_id, r.counts)).collect();
    assert_eq!(
        rows,
        [(Some(fa), counts([1, 0, 0, 0, 0, 0, 0, 0], 0)), (None, counts([2, 1, 1, 0, 0, 0, 1, 1], 100_000)),],
        "records without a faculty count under 未分院系; only the unrecorded patent goes to the inventor's"
    );
    let unrecorded_in = |faculty| UnrecordedFilter { org: Some(u), faculty, inventor_user: None, limit: 0, offset: 0 };
    let ids = |v: Vec<ipbridge_store::UnrecordedPatent>| v.into_iter().map(|x| x.patent_id).collect::<Vec<_>>();
    assert_eq!(ids(tx.unrecorded_patents(&unrecorded_in(FacultyScope::Only(fa))).await.unwrap()), [unrecorded]);
    assert_eq!(ids(tx.unrecorded_patents(&unrecorded_in(FacultyScope::Unassigned)).await.unwrap()), [draft]);
    assert_eq!(tx.patent_scope(alone).await.unwrap().unwrap().faculty_id, None);
    assert_eq!(tx.patent_scope(draft).await.unwrap().unwrap().faculty_id, None);
    assert_eq!(tx.patent_scope(unrecorded).await.unwrap().unwrap().faculty_id, Some(fa));
    let converted = |faculty| ConvertedFilter { org: Some(u), faculty, limit: 0, offset: 0 };
    let listed = tx.converted_patents(&converted(FacultyScope::Unassigned)).await.unwrap();
    assert_eq!(listed.iter().map(|c| c.patent_id).collect::<Vec<_>>(), [licensed]);
    assert!(tx.converted_patents(&converted(FacultyScope::Only(fa))).await.unwrap().is_empty());
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn converted_patents_list_each_patent_with_its_latest_conversion() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let now = t0();
    let c = build(&mut tx, now).await;
    // An enterprise's own patent dealt by the enterprise is no institution's conversion.
    insert_deal(&mut tx, &deal(DealKind::Assignment, c.e1, &[c.e_pat], 10_000, c.e2), now).await;

    let ids_of = |v: &[ipbridge_store::ConvertedPatent]| v.iter().map(|x| x.patent_id).collect::<Vec<_>>();
    let all = tx.converted_patents(&ConvertedFilter::default()).await.unwrap();
    // p6 was approved as implemented today; p5 and q3 were signed on 1 June 2025 (the later deal first). The
    // cancelled assignment of p8 converts nothing.
    assert_eq!(ids_of(&all), [c.p[5], c.q[2], c.p[4]]);
    assert_eq!(tx.count_converted_patents(&ConvertedFilter::default()).await.unwrap(), 3);
    let implemented = &all[0];
    assert_eq!((implemented.org_id, implemented.deal.as_ref(), implemented.deals), (c.u1, None, 0));
    assert_eq!(implemented.faculty_id, Some(c.fb));
    // Approved in the record's second step, one second apart; the date is China's (UTC+8).
    let approved = now + Duration::seconds(2) + Duration::hours(8);
    assert_eq!(implemented.converted_on, Some(approved.date_naive()));
    let licence = &all[2];
    let d5 = licence.deal.as_ref().expect("p5 converts by its licence");
    assert_eq!((d5.id, d5.kind, d5.license_scope), (c.p5_deal, DealKind::License, Some(LicenseScope::Ordinary)));
    assert_eq!((d5.counterparties.as_slice(), d5.amount), (&["受让企业".to_owned()][..], yuan(300_000)));
    assert_eq!((licence.org_name.as_str(), licence.converted_on), ("安康学院", Some(d(2025, 6, 1))));
    assert_eq!(licence.faculty_id, Some(c.fa), "the linked inventor's faculty");
    assert_eq!(all[1].deal.as_ref().map(|x| x.kind), Some(DealKind::Assignment));

    // Narrowed to an institution, a faculty, a page.
    let filter = |org, faculty, limit, offset| ConvertedFilter { org, faculty, limit, offset };
    let u1 = tx.converted_patents(&filter(Some(c.u1), FacultyScope::Any, 0, 0)).await.unwrap();
    assert_eq!(ids_of(&u1), [c.p[5], c.p[4]]);
    let fa = tx.converted_patents(&filter(Some(c.u1), FacultyScope::Only(c.fa), 0, 0)).await.unwrap();
    assert_eq!(ids_of(&fa), [c.p[4]]);
    assert!(tx.converted_patents(&filter(Some(c.u1), FacultyScope::Unassigned, 0, 0)).await.unwrap().is_empty());
    assert_eq!(ids_of(&tx.converted_patents(&filter(None, FacultyScope::Any, 1, 1)).await.unwrap()), [c.q[2]]);
    assert_eq!(tx.count_converted_patents(&filter(Some(c.u2), FacultyScope::Any, 0, 0)).await.unwrap(), 1);

    // A later deal on p5 is the one shown; the count says there are two.
    let mut later = deal(DealKind::EquityContribution, c.u1, &[c.p[4]], 500_000, c.e2);
    later.signed_on = d(2025, 9, 1);
    later.parties[0].name = "安康富硒科技有限公司".into();
    let later_id = insert_deal(&mut tx, &later.check().unwrap(), now).await;
    let u1 = tx.converted_patents(&filter(Some(c.u1), FacultyScope::Any, 0, 0)).await.unwrap();
    let p5 = u1.iter().find(|x| x.patent_id == c.p[4]).unwrap();
    let shown = p5.deal.as_ref().unwrap();
    assert_eq!((shown.id, shown.kind, p5.deals), (later_id, DealKind::EquityContribution, 2));
    assert_eq!(shown.counterparties, ["安康富硒科技有限公司"]);

    // Cancelled, both deals stop converting p5: it leaves the list and returns to the scope.
    tx.cancel_deal(later_id, "录入错误", now).await.unwrap();
    tx.cancel_deal(c.p5_deal, "合同解除", now).await.unwrap();
    let u1 = tx.converted_patents(&filter(Some(c.u1), FacultyScope::Any, 0, 0)).await.unwrap();
    assert_eq!(ids_of(&u1), [c.p[5]]);
    assert_eq!(tx.count_converted_patents(&filter(Some(c.u1), FacultyScope::Any, 0, 0)).await.unwrap(), 1);
    assert_eq!(
        tx.coverage_by_institution(Some(c.u1)).await.unwrap()[0].counts.converted,
        1,
        "the list and the figure agree"
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_review_chain_moves_records_and_keeps_their_history() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let now = t0();
    let c = build(&mut tx, now).await;
    let r1 = c.rec[0];

    let stored = tx.inventory_record(r1).await.unwrap().unwrap();
    assert_eq!(stored.state, ReviewState::TransferablePool);
    assert_eq!((stored.org_name.as_str(), stored.faculty_name.as_deref()), ("安康学院", Some("化学化工学院")));
    assert_eq!(stored.content, content("转让", false, "6", "碳酸钡纯度不足"));
    assert_eq!(stored.chain_code.as_deref(), Some("new_materials"));
    assert!(stored.submitted_at.is_some() && stored.pooled_at.is_some());
    assert_eq!(tx.inventory_record_for_patent(c.p[0]).await.unwrap().map(|r| r.id), Some(r1));
    assert!(tx.inventory_record_for_patent(c.p[3]).await.unwrap().is_none());

    let events = tx.review_events(r1).await.unwrap();
    let steps: Vec<(Option<ReviewAction>, Option<ReviewState>, ReviewState)> =
        events.iter().map(|e| (e.action, e.from, e.to)).collect();
    use ReviewAction as A;
    use ReviewState as S;
    assert_eq!(
        steps,
        [
            (None, None, S::Draft),
            (Some(A::Submit), Some(S::Draft), S::Submitted),
            (Some(A::Approve), Some(S::Submitted), S::FacultyApproved),
            (Some(A::Approve), Some(S::FacultyApproved), S::InstitutionApproved),
            (Some(A::AddToBasePool), Some(S::InstitutionApproved), S::BasePool),
            (Some(A::ScreenIntoPool), Some(S::BasePool), S::TransferablePool),
        ]
    );
    assert_eq!(events[2].actor_kind, Some(ReviewActor::FacultyReviewer));

    // A step from a state the record has left is refused, and so is a missing record.
    let stale =
        Transition::check(S::Submitted, A::Approve, ReviewActor::FacultyReviewer, ReviewRoute::ThroughFaculty, "")
            .unwrap();
    let err = tx.transition_inventory_record(r1, &stale, &event(&stale, now), now).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(Conflict::StaleState)), "{err:?}");
    let err = tx.transition_inventory_record(InventoryRecordId::new(999), &stale, &event(&stale, now), now).await;
    assert!(matches!(err, Err(StoreError::NotFound)));
    assert_eq!(tx.review_events(r1).await.unwrap().len(), 6, "a refused step leaves no history");

    // Correcting the contact keeps the record's place and its state time.
    let mut new = stored.content.clone();
    new.contact.name = "王老师".into();
    assert_eq!(stored.content.edit_action(&new), ReviewAction::EditContact);
    let later = now + Duration::minutes(5);
    // An edit checked against a state the record has left meanwhile is refused, like a stale step.
    let err = tx
        .update_inventory_record(r1, S::Draft, &new, stored.faculty_id, stored.chain_code.as_deref(), later)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(Conflict::StaleState)), "{err:?}");
    let missing = InventoryRecordId::new(999);
    let err = tx.update_inventory_record(missing, S::Draft, &new, None, None, later).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    assert_eq!(tx.inventory_record(r1).await.unwrap().unwrap().content, stored.content, "nothing written");
    tx.update_inventory_record(r1, S::TransferablePool, &new, stored.faculty_id, stored.chain_code.as_deref(), later)
        .await
        .unwrap();
    let keep =
        Transition::check(S::TransferablePool, A::EditContact, ReviewActor::Inventor, ReviewRoute::ThroughFaculty, "")
            .unwrap();
    tx.transition_inventory_record(r1, &keep, &event(&keep, later), later).await.unwrap();
    let edited = tx.inventory_record(r1).await.unwrap().unwrap();
    assert_eq!((edited.state, edited.content.contact.name.as_str()), (S::TransferablePool, "王老师"));
    assert_eq!(edited.state_changed_at, stored.state_changed_at);
    assert_eq!(edited.updated_at, later);

    // Removing from the pool keeps the comment as the record's last word.
    let out = Transition::check(
        S::TransferablePool,
        A::RemoveFromPool,
        ReviewActor::Bureau,
        ReviewRoute::ThroughFaculty,
        "简介需更新",
    )
    .unwrap();
    tx.transition_inventory_record(r1, &out, &event(&out, later), later).await.unwrap();
    let removed = tx.inventory_record(r1).await.unwrap().unwrap();
    assert_eq!((removed.state, removed.last_comment.as_str()), (S::BasePool, "简介需更新"));
    assert_eq!(removed.state_changed_at, later);

    // One record per patent.
    let dup = NewInventoryRecord {
        patent_id: c.p[0],
        org_id: c.u1,
        faculty_id: None,
        content: &InventoryContent::default(),
        chain_code: None,
        source: InventorySource::Import,
        filed_by_user_id: None,
        filed_by_name: "x",
    };
    let err = tx.insert_inventory_record(&dup, now).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(Conflict::InventoryRecordExists)), "{err:?}");

    // Lists by institution, faculty, state and inventor.
    let ids = |v: Vec<ipbridge_store::InventoryRecord>| v.into_iter().map(|r| r.patent_id).collect::<Vec<_>>();
    let by_no = |f: InventoryFilter| InventoryFilter { sort: InventorySort::ApplicationNo, ..f };
    let u1 = InventoryFilter { org: Some(c.u1), ..InventoryFilter::default() };
    assert_eq!(ids(tx.list_inventory_records(&by_no(u1.clone())).await.unwrap()), [c.p[0], c.p[1], c.p[5], c.p[8]]);
    let fb = InventoryFilter { faculty: FacultyScope::Only(c.fb), ..u1.clone() };
    assert_eq!(ids(tx.list_inventory_records(&by_no(fb)).await.unwrap()), [c.p[5], c.p[8]]);
    let none = InventoryFilter { faculty: FacultyScope::Unassigned, ..InventoryFilter::default() };
    assert_eq!(ids(tx.list_inventory_records(&by_no(none)).await.unwrap()), [c.q[0], c.q[2], c.q[3]]);
    let early = InventoryFilter { states: vec![S::Draft, S::Submitted], ..InventoryFilter::default() };
    assert_eq!(ids(tx.list_inventory_records(&by_no(early)).await.unwrap()), [c.p[1], c.p[8]]);
    tx.link_inventor(c.p[8], c.inv_b, "王五", "admin1", now).await.unwrap();
    let mine = InventoryFilter { inventor_user: Some(c.inv_b), ..InventoryFilter::default() };
    assert_eq!(ids(tx.list_inventory_records(&mine).await.unwrap()), [c.p[8]]);
    let text = InventoryFilter { text: Some("富硒".into()), ..InventoryFilter::default() };
    assert_eq!(ids(tx.list_inventory_records(&text).await.unwrap()), [c.q[3]]);
    assert_eq!(tx.count_inventory_records(&u1).await.unwrap(), 4);
    let page = InventoryFilter { limit: 1, offset: 3, ..by_no(u1.clone()) };
    assert_eq!(ids(tx.list_inventory_records(&page).await.unwrap()), [c.p[8]]);
    let by_state = tx.count_inventory_by_state(&u1).await.unwrap();
    assert_eq!(
        by_state,
        [
            (S::Draft, 1),
            (S::Submitted, 1),
            (S::FacultyApproved, 0),
            (S::InstitutionApproved, 1),
            (S::BasePool, 1),
            (S::TransferablePool, 0),
        ]
    );

    // Inventor links and the faculty route.
    assert!(tx.is_linked_inventor(c.inv_b, c.p[2]).await.unwrap());
    assert!(!tx.is_linked_inventor(c.inv_a, c.p[2]).await.unwrap());
    assert!(!tx.link_inventor(c.p[2], c.inv_b, "王五", "admin1", now).await.unwrap(), "already linked");
    let links = tx.inventor_links(c.p[2]).await.unwrap();
    assert_eq!((links.len(), links[0].username.as_str(), links[0].faculty_id), (1, "inv_b", Some(c.fb)));
    assert!(tx.unlink_inventor(c.p[2], c.inv_b).await.unwrap());
    assert!(!tx.unlink_inventor(c.p[2], c.inv_b).await.unwrap());
    assert!(tx.faculty_has_reviewer(c.fa).await.unwrap());
    assert!(!tx.faculty_has_reviewer(c.fb).await.unwrap());
    assert_eq!(
        ReviewRoute::for_faculty_review(tx.faculty_has_reviewer(c.fb).await.unwrap()),
        ReviewRoute::InstitutionOnly
    );
    tx.commit().await.unwrap();
    assert!(t.db.integrity_problems().await.unwrap().is_empty());
}

#[tokio::test]
async fn record_states_and_deals_reach_the_search_outbox() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let now = t0();
    let u = org(&mut tx, OrgKind::Institution, "安康学院").await;
    let e = org(&mut tx, OrgKind::Enterprise, "甲企业").await;
    let p = patent(&mut tx, 1, "一种方法", Some(u), "granted", &["A23L2/38"]).await;
    let base = tx.outbox_len().await.unwrap();
    let r = record(&mut tx, p, u, None, &InventoryContent::default(), None, now).await;
    assert_eq!(tx.outbox_len().await.unwrap(), base + 1);
    let s = Transition::check(
        ReviewState::Draft,
        ReviewAction::Submit,
        ReviewActor::InstitutionAdmin,
        ReviewRoute::InstitutionOnly,
        "",
    )
    .unwrap();
    tx.transition_inventory_record(r, &s, &event(&s, now), now).await.unwrap();
    assert_eq!(tx.outbox_len().await.unwrap(), base + 2);
    let id = insert_deal(&mut tx, &deal(DealKind::Assignment, u, &[p], 1, e), now).await;
    assert_eq!(tx.outbox_len().await.unwrap(), base + 3);
    tx.cancel_deal(id, "撤销", now).await.unwrap();
    assert_eq!(tx.outbox_len().await.unwrap(), base + 4);
    let batch = tx.outbox_batch(100).await.unwrap();
    assert!(batch.iter().rev().take(4).all(|e| e.patent_id == Some(p.get())));
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_pool_lists_public_fields_with_filters() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let now = t0();
    let c = build(&mut tx, now).await;
    let ids = |v: Vec<ipbridge_store::PoolEntry>| v.into_iter().map(|e| e.patent_id).collect::<Vec<_>>();

    // q3 was assigned away: it leaves the pool although its record is still there. q4 entered last.
    let all = tx.list_pool(&PoolFilter::default()).await.unwrap();
    assert_eq!(ids(all.clone()), [c.q[3], c.p[0]]);
    assert_eq!(tx.count_pool(&PoolFilter::default()).await.unwrap(), 2);
    let q4 = &all[0];
    assert_eq!(q4.holder_name, "安康市农业科学研究院");
    assert_eq!(q4.brief.problem_solved, "富硒茶叶加工中硒流失");
    assert_eq!(q4.brief.maturity.map(Trl::level), Some(3));
    assert_eq!(q4.transfer_intent, Some(TransferIntent::License));
    assert_eq!(q4.price.min, Some(yuan(100_000)));

    let selenium = ChainSelector { code: "selenium_food".into(), ipc_prefixes: vec!["A23F3".into(), "A23L".into()] };
    assert_eq!(ids(tx.list_pool(&PoolFilter { chain: Some(selenium), ..Default::default() }).await.unwrap()), [c.q[3]]);
    let by_code = ChainSelector { code: "new_materials".into(), ipc_prefixes: vec![] };
    assert_eq!(ids(tx.list_pool(&PoolFilter { chain: Some(by_code), ..Default::default() }).await.unwrap()), [c.p[0]]);
    let ipc = |p: &str| PoolFilter { ipc_prefix: Some(p.into()), ..Default::default() };
    assert_eq!(ids(tx.list_pool(&ipc("A23F3")).await.unwrap()), [c.q[3]]);
    assert!(tx.list_pool(&ipc("A23F30")).await.unwrap().is_empty(), "a main group is compared whole");
    assert_eq!(ids(tx.list_pool(&ipc("c01b")).await.unwrap()), [c.p[0]]);
    let mature = PoolFilter { trl_min: Some(Trl::new(5).unwrap()), ..Default::default() };
    assert_eq!(ids(tx.list_pool(&mature).await.unwrap()), [c.p[0]]);
    let early = PoolFilter { trl_max: Some(Trl::new(4).unwrap()), ..Default::default() };
    assert_eq!(ids(tx.list_pool(&early).await.unwrap()), [c.q[3]]);
    let licence = PoolFilter { intent: Some(TransferIntent::License), ..Default::default() };
    assert_eq!(ids(tx.list_pool(&licence).await.unwrap()), [c.q[3]]);
    let text = PoolFilter { text: Some("硒".into()), ..Default::default() };
    assert_eq!(ids(tx.list_pool(&text).await.unwrap()), [c.q[3]]);
    let holder = PoolFilter { holder_org: Some(c.u1), ..Default::default() };
    assert_eq!(ids(tx.list_pool(&holder).await.unwrap()), [c.p[0]]);
    let chosen = PoolFilter { patents: vec![c.p[0], c.q[2]], ..Default::default() };
    assert_eq!(ids(tx.list_pool(&chosen).await.unwrap()), [c.p[0]]);
    let by_maturity = PoolFilter { sort: ipbridge_store::PoolSort::Maturity, ..Default::default() };
    assert_eq!(ids(tx.list_pool(&by_maturity).await.unwrap()), [c.p[0], c.q[3]]);
    let page = PoolFilter { limit: 1, offset: 1, ..Default::default() };
    assert_eq!(ids(tx.list_pool(&page).await.unwrap()), [c.p[0]]);

    // The holders the pool's filter offers: those with a listed patent, each once, by name.
    let holders = vec![(c.u1, "安康学院".to_owned()), (c.u2, "安康市农业科学研究院".to_owned())];
    assert_eq!(tx.pool_holders().await.unwrap(), holders);

    assert!(tx.pool_entry(c.q[2]).await.unwrap().is_none());
    assert!(tx.pool_entry(c.q[0]).await.unwrap().is_none(), "base pool only");
    assert_eq!(tx.pool_entry(c.p[0]).await.unwrap().map(|e| e.record_id), Some(c.rec[0]));

    // A licence leaves the patent available for further licences: it stays listed (and leaves the scope).
    insert_deal(&mut tx, &deal(DealKind::License, c.u2, &[c.q[3]], 80_000, c.e1), now).await;
    assert!(tx.pool_entry(c.q[3]).await.unwrap().is_some());
    assert!(tx.patent_scope(c.q[3]).await.unwrap().unwrap().converted);
    // Assigned away, q4 leaves the list and U2, with nothing else listed, leaves the holders (q3 in the
    // transferable pool state and q1 in the base pool do not keep it there).
    insert_deal(&mut tx, &deal(DealKind::Assignment, c.u2, &[c.q[3]], 90_000, c.e2), now).await;
    assert_eq!(tx.pool_holders().await.unwrap(), [(c.u1, "安康学院".to_owned())]);

    // Enterprises of a chain, for pushes by chain.
    let profile =
        EnterpriseProfile { business_scope: "茶叶加工".into(), chain_codes: vec!["selenium_food".into()] };
    tx.set_enterprise_profile(c.e1, &profile, now).await.unwrap();
    let members = tx.enterprises_in_chain("selenium_food").await.unwrap();
    assert_eq!(members, [(c.e1, "安康硒源茶业有限公司".to_owned())]);
    assert!(tx.enterprises_in_chain("plush_toys").await.unwrap().is_empty());
    tx.commit().await.unwrap();
}

async fn push(tx: &mut Tx, patent: PatentId, enterprise: OrgId, holder: OrgId, at: DateTime<Utc>) -> MatchId {
    let explanation = serde_json::Value::Null;
    let new = NewMatch {
        patent_id: patent,
        enterprise_org_id: enterprise,
        demand_id: None,
        holder_org_id: Some(holder),
        origin: MatchOrigin::Push,
        score: 0.5,
        explanation: &explanation,
        state: MatchState::Proposed,
        created_by_user_id: None,
        created_by_name: "bureau",
    };
    tx.insert_match(&new, at).await.unwrap()
}

fn feedback(prospect: u8, intent: CooperationIntent) -> PoolFeedback {
    let reason = (intent == CooperationIntent::None).then_some(NotInterestedReason::Price);
    PoolFeedback::new(Some(prospect), "需要中试数据", Some(intent), Some(CooperationMode::License), reason, "").unwrap()
}

#[tokio::test]
async fn campaigns_and_feedback_decide_the_tier() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let now = t0();
    let c = build(&mut tx, now).await;
    let p1 = c.p[0];
    let at = |s: i64| now + Duration::seconds(100 + s);

    let campaign = NewCampaign {
        title: "十月新材料专利推送",
        selection: CampaignSelection::Manual,
        chain_code: None,
        note: "",
        created_by_user_id: None,
        created_by_name: "bureau",
    };
    let cid = tx.insert_campaign(&campaign, at(0)).await.unwrap();
    let m1 = push(&mut tx, p1, c.e1, c.u1, at(0)).await;
    let m2 = push(&mut tx, p1, c.e2, c.u1, at(0)).await;
    tx.add_campaign_item(cid, m1, true).await.unwrap();
    tx.add_campaign_item(cid, m2, true).await.unwrap();
    tx.add_campaign_item(cid, m2, false).await.unwrap();
    let fresh = tx.campaign(cid).await.unwrap().unwrap();
    assert_eq!((fresh.pushes, fresh.opened, fresh.interested, fresh.feedback), (2, 0, 0, 0));
    assert_eq!(fresh.selection, CampaignSelection::Manual);

    // E1 opens the push and says it is interested; E2 gives feedback without intent.
    let enterprise_event = |from, to, s| MatchEvent {
        at: at(s),
        actor_user_id: None,
        actor_name: "ent".into(),
        actor_org_id: None,
        side: Some(MatchSide::Enterprise),
        from: Some(from),
        to,
        reason: None,
        note: String::new(),
    };
    tx.add_match_event(m1, &enterprise_event(MatchState::Proposed, MatchState::Viewed, 1)).await.unwrap();
    tx.set_match_state(m1, MatchState::Interested, None, at(2)).await.unwrap();
    fn fb(patent: PatentId, enterprise: OrgId, match_id: Option<MatchId>, f: &PoolFeedback) -> NewPoolFeedback<'_> {
        NewPoolFeedback {
            patent_id: patent,
            enterprise_org_id: enterprise,
            match_id,
            feedback: f,
            by_user_id: None,
            by_name: "ent",
        }
    }
    let early = feedback(1, CooperationIntent::Possible);
    let e1_first = tx.insert_pool_feedback(&fb(p1, c.e1, Some(m1), &early), at(3)).await.unwrap();
    let no = feedback(2, CooperationIntent::None);
    tx.insert_pool_feedback(&fb(p1, c.e2, Some(m2), &no), at(4)).await.unwrap();
    let yes = feedback(4, CooperationIntent::Strong);
    tx.insert_pool_feedback(&fb(p1, c.e1, Some(m1), &yes), at(5)).await.unwrap();

    let stats = tx.campaign(cid).await.unwrap().unwrap();
    assert_eq!((stats.pushes, stats.opened, stats.interested, stats.not_interested, stats.feedback), (2, 1, 1, 0, 3));
    let items = tx.campaign_items(cid).await.unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!((items[0].enterprise_name.as_str(), items[0].state), ("安康硒源茶业有限公司", MatchState::Interested));
    assert_eq!(tx.list_campaigns(0, 0).await.unwrap().len(), 1);

    let rules = policy().revitalisation;
    // Interest: E1 (its latest word is strong intent); E2 said none. Ratings: E1's latest (4) and E2's (2).
    let summary = tx.feedback_summaries(&[p1]).await.unwrap();
    assert_eq!(summary, [(p1, FeedbackSummary { interested_enterprises: 1, ratings: 2, prospect_sum: 6 })]);
    assert_eq!(Tier::evaluate(&summary[0].1, &rules), Tier::General);
    // E2 later answers its push with interest: its latest word changes, two enterprises are interested and the
    // average rating is 3.0 — the high tier.
    tx.set_match_state(m2, MatchState::Interested, None, at(10)).await.unwrap();
    let summary = tx.feedback_summaries(&[p1, c.q[3], p1]).await.unwrap();
    assert_eq!(
        summary,
        [
            (p1, FeedbackSummary { interested_enterprises: 2, ratings: 2, prospect_sum: 6 }),
            (c.q[3], FeedbackSummary::default()),
        ]
    );
    assert_eq!(Tier::evaluate(&summary[0].1, &rules), Tier::High);
    // A closed match record takes the interest back.
    tx.set_match_state(m1, MatchState::Closed, None, at(11)).await.unwrap();
    assert_eq!(tx.feedback_summaries(&[p1]).await.unwrap()[0].1.interested_enterprises, 1);

    // Feedback lists: all, each enterprise's latest, by holder, by campaign.
    let all = tx.list_pool_feedback(&FeedbackFilter { patent: Some(p1), ..Default::default() }).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[2].id, e1_first, "newest first");
    assert_eq!(all[1].feedback.not_interested.as_ref().map(|n| n.reason), Some(NotInterestedReason::Price));
    assert_eq!(all[0].feedback, yes);
    let latest = FeedbackFilter { patent: Some(p1), latest_only: true, ..Default::default() };
    assert_eq!(tx.list_pool_feedback(&latest).await.unwrap().len(), 2);
    let holder = FeedbackFilter { holder_org: Some(c.u1), ..Default::default() };
    assert_eq!(tx.list_pool_feedback(&holder).await.unwrap().len(), 3);
    let other = FeedbackFilter { holder_org: Some(c.u2), ..Default::default() };
    assert!(tx.list_pool_feedback(&other).await.unwrap().is_empty());
    let by_campaign = FeedbackFilter { campaign: Some(cid), enterprise_org: Some(c.e2), ..Default::default() };
    assert_eq!(tx.list_pool_feedback(&by_campaign).await.unwrap().len(), 1);
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn inquiries_have_due_dates_and_overdue_lists() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let now = t0();
    let c = build(&mut tx, now).await;
    let policy = policy();
    let calendar = policy.load_work_calendar(|_| None).unwrap();
    let rules = &policy.revitalisation;

    let ask = |patent, enterprise, holder, question, on: NaiveDate| NewInquiry {
        patent_id: patent,
        enterprise_org_id: enterprise,
        holder_org_id: holder,
        match_id: None,
        question,
        asked_by_user_id: None,
        asked_by_name: "ent",
        asked_at: now,
        asked_on: on,
        due_on: due_date(on, &calendar, rules),
    };
    let i1 = tx.insert_inquiry(&ask(c.p[0], c.e1, c.u1, "能否提供样品？", d(2025, 9, 26))).await.unwrap();
    let i2 = tx.insert_inquiry(&ask(c.q[3], c.e2, c.u2, "许可费用如何？", d(2025, 10, 10))).await.unwrap();
    let first = tx.inquiry(i1).await.unwrap().unwrap();
    assert_eq!((first.due_on, first.state), (d(2025, 10, 16), InquiryState::Open));
    assert_eq!((first.enterprise_name.as_str(), first.holder_name.as_str()), ("安康硒源茶业有限公司", "安康学院"));
    assert_eq!(tx.inquiry(i2).await.unwrap().unwrap().due_on, d(2025, 10, 23));

    let ids = |v: Vec<ipbridge_store::Inquiry>| v.into_iter().map(|i| i.id).collect::<Vec<_>>();
    let overdue = InquiryFilter { overdue_on: Some(d(2025, 10, 20)), ..Default::default() };
    assert_eq!(ids(tx.list_inquiries(&overdue).await.unwrap()), [i1]);
    let on_due_day = InquiryFilter { overdue_on: Some(d(2025, 10, 16)), ..Default::default() };
    assert!(tx.list_inquiries(&on_due_day).await.unwrap().is_empty(), "due today is not overdue");
    let list = tx.overdue_by_holder(d(2025, 10, 24)).await.unwrap();
    let rows: Vec<(OrgId, u64, NaiveDate)> =
        list.iter().map(|o| (o.holder_org_id, o.overdue, o.oldest_due_on)).collect();
    assert_eq!(rows, [(c.u1, 1, d(2025, 10, 16)), (c.u2, 1, d(2025, 10, 23))]);
    // Faculty reviewers see their faculty's, inventors their patents', enterprises their own.
    let fa = InquiryFilter { faculty: Some(c.fa), ..Default::default() };
    assert_eq!(ids(tx.list_inquiries(&fa).await.unwrap()), [i1]);
    let fb = InquiryFilter { faculty: Some(c.fb), ..Default::default() };
    assert!(tx.list_inquiries(&fb).await.unwrap().is_empty());
    tx.link_inventor(c.p[0], c.inv_a, "张三", "admin1", now).await.unwrap();
    let mine = InquiryFilter { inventor_user: Some(c.inv_a), ..Default::default() };
    assert_eq!(ids(tx.list_inquiries(&mine).await.unwrap()), [i1]);
    let theirs = InquiryFilter { enterprise_org: Some(c.e2), ..Default::default() };
    assert_eq!(ids(tx.list_inquiries(&theirs).await.unwrap()), [i2]);
    let held = InquiryFilter { holder_org: Some(c.u2), ..Default::default() };
    assert_eq!(tx.count_inquiries(&held).await.unwrap(), 1);
    let recent = InquiryFilter { sort: ipbridge_store::InquirySort::RecentFirst, ..Default::default() };
    assert_eq!(tx.list_inquiries(&recent).await.unwrap().len(), 2);

    tx.answer_inquiry(i1, "可以，请联系李老师", None, "admin1", now, d(2025, 10, 17)).await.unwrap();
    let answered = tx.inquiry(i1).await.unwrap().unwrap();
    assert_eq!((answered.state, answered.answered_on), (InquiryState::Answered, Some(d(2025, 10, 17))));
    let err = tx.answer_inquiry(i1, "再答一次", None, "admin1", now, d(2025, 10, 17)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(Conflict::StaleState)), "{err:?}");
    let err = tx.answer_inquiry(ipbridge_domain::ids::InquiryId::new(99), "x", None, "a", now, d(2025, 10, 17)).await;
    assert!(matches!(err, Err(StoreError::NotFound)));
    tx.close_inquiry(i2, "企业撤回", now).await.unwrap();
    assert!(matches!(tx.close_inquiry(i2, "再次", now).await, Err(StoreError::Conflict(Conflict::StaleState))));
    assert!(tx.overdue_by_holder(d(2025, 12, 1)).await.unwrap().is_empty());
    let open = InquiryFilter { state: Some(InquiryState::Open), ..Default::default() };
    assert_eq!(tx.count_inquiries(&open).await.unwrap(), 0);
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn roadshows_registrations_and_follow_up_until_a_deal_or_a_close() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let now = t0();
    let c = build(&mut tx, now).await;

    let fields = RoadshowFields {
        title: "富硒食品专利路演".into(),
        held_on: d(2025, 11, 20),
        mode: RoadshowMode::Onsite,
        venue: "安康高新区科创中心".into(),
        online_link: String::new(),
        chain_code: Some("selenium_food".into()),
        description: String::new(),
        registration_deadline: Some(d(2025, 11, 18)),
    }
    .check()
    .unwrap();
    let rs = tx.insert_roadshow(&fields, None, "bureau", now).await.unwrap();
    tx.set_roadshow_patents(rs, &[c.q[3], c.p[0], c.q[3]]).await.unwrap();
    let presented = tx.roadshow_patents(rs).await.unwrap();
    let order: Vec<(PatentId, i64)> = presented.iter().map(|p| (p.patent_id, p.position)).collect();
    assert_eq!(order, [(c.q[3], 1), (c.p[0], 2)]);
    assert_eq!(presented[0].holder_name.as_deref(), Some("安康市农业科学研究院"));

    let form = RegistrationFields::new("王经理", "13912345678", 2, "关注富硒茶").unwrap();
    let reg = tx.insert_registration(rs, c.e1, &form, None, "ent", now).await.unwrap();
    let err = tx.insert_registration(rs, c.e1, &form, None, "ent", now).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(Conflict::RoadshowRegistered)), "{err:?}");
    tx.cancel_registration(reg, now).await.unwrap();
    assert!(matches!(tx.cancel_registration(reg, now).await, Err(StoreError::Conflict(Conflict::StaleState))));
    assert!(tx.live_registration(rs, c.e1).await.unwrap().is_none());
    let again = tx.insert_registration(rs, c.e1, &form, None, "ent", now).await.unwrap();
    tx.insert_registration(rs, c.e2, &form, None, "ent2", now).await.unwrap();
    tx.set_attended(again, true).await.unwrap();
    let regs = tx.registrations(rs).await.unwrap();
    assert_eq!(regs.len(), 3);
    assert!(regs[0].cancelled_at.is_none() && regs[2].cancelled_at.is_some(), "live ones first");
    assert_eq!(tx.registration(again).await.unwrap().unwrap().attended, Some(true));
    assert_eq!(tx.live_registration(rs, c.e1).await.unwrap().map(|r| r.fields), Some(form.clone()));

    let show = tx.roadshow(rs).await.unwrap().unwrap();
    assert_eq!(
        (show.fields.clone(), show.status, show.patents, show.registrations),
        (fields.clone(), RoadshowStatus::Planned, 2, 2)
    );
    let mine = RoadshowFilter { registered_org: Some(c.e1), ..Default::default() };
    assert_eq!(tx.list_roadshows(&mine).await.unwrap().len(), 1);
    let with_p1 =
        RoadshowFilter { patent: Some(c.p[0]), chain_code: Some("selenium_food".into()), ..Default::default() };
    assert_eq!(tx.list_roadshows(&with_p1).await.unwrap().len(), 1);
    let later = RoadshowFilter { from: Some(d(2025, 12, 1)), ..Default::default() };
    assert!(tx.list_roadshows(&later).await.unwrap().is_empty());
    let mut moved = fields.clone();
    moved.held_on = d(2025, 11, 27);
    tx.update_roadshow(rs, &moved, now).await.unwrap();
    tx.set_roadshow_status(rs, RoadshowStatus::Planned, RoadshowStatus::Held, now).await.unwrap();
    let err = tx.set_roadshow_status(rs, RoadshowStatus::Planned, RoadshowStatus::Cancelled, now).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(Conflict::StaleState)), "{err:?}");
    let held = RoadshowFilter { status: Some(RoadshowStatus::Held), ..Default::default() };
    assert_eq!(tx.list_roadshows(&held).await.unwrap()[0].fields.held_on, d(2025, 11, 27));

    // One open follow-up project per patent and enterprise; its log runs until a deal or a close.
    let project = NewFollowUpProject {
        patent_id: c.q[3],
        enterprise_org_id: c.e1,
        holder_org_id: Some(c.u2),
        roadshow_id: Some(rs),
        match_id: None,
        created_by_user_id: None,
        created_by_name: "bureau",
    };
    let pj = tx.insert_follow_up_project(&project, now).await.unwrap();
    let err = tx.insert_follow_up_project(&project, now).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(Conflict::OpenFollowUp)), "{err:?}");
    let by = RecordedBy { user_id: None, name: "bureau", org_id: None };
    let visit = FollowUpEntry {
        happened_on: d(2025, 11, 28),
        contact: "王经理".into(),
        content: "企业到研究院考察中试线".into(),
        next_step: "提供样品检测报告".into(),
        next_on: Some(d(2025, 12, 5)),
        outcome: FollowUpOutcome::Continuing,
        close_reason: String::new(),
    }
    .check(d(2025, 11, 30))
    .unwrap();
    let state = ProjectState::Open.after(visit.outcome).unwrap();
    tx.add_follow_up(pj, &visit, state, &by, now).await.unwrap();
    let open = tx.follow_up_project(pj).await.unwrap().unwrap();
    assert_eq!((open.state, open.entries, open.last_on), (ProjectState::Open, 1, Some(d(2025, 11, 28))));
    assert_eq!(open.roadshow_title.as_deref(), Some("富硒食品专利路演"));
    let close = FollowUpEntry {
        happened_on: d(2025, 12, 5),
        contact: "王经理".into(),
        content: "企业决定暂缓".into(),
        next_step: String::new(),
        next_on: None,
        outcome: FollowUpOutcome::Closed,
        close_reason: "企业资金安排调整".into(),
    }
    .check(d(2025, 12, 5))
    .unwrap();
    tx.add_follow_up(pj, &close, ProjectState::Open.after(close.outcome).unwrap(), &by, now).await.unwrap();
    let closed = tx.follow_up_project(pj).await.unwrap().unwrap();
    assert_eq!((closed.state, closed.close_reason.as_str()), (ProjectState::Closed, "企业资金安排调整"));
    assert!(closed.ended_at.is_some());
    let err = tx.add_follow_up(pj, &visit, ProjectState::Open, &by, now).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(Conflict::StaleState)), "{err:?}");
    let log = tx.follow_ups(pj).await.unwrap();
    assert_eq!(
        log.iter().map(|f| f.entry.outcome).collect::<Vec<_>>(),
        [FollowUpOutcome::Continuing, FollowUpOutcome::Closed]
    );
    assert_eq!(log[0].entry, visit);

    // The pair may start again; this time it ends in a deal.
    let pj2 = tx.insert_follow_up_project(&project, now).await.unwrap();
    let signed = FollowUpEntry { outcome: FollowUpOutcome::Deal, next_step: String::new(), ..visit.clone() }
        .check(d(2025, 12, 20))
        .unwrap();
    tx.add_follow_up(pj2, &signed, ProjectState::Open.after(signed.outcome).unwrap(), &by, now).await.unwrap();
    let mut f = deal(DealKind::License, c.u2, &[c.q[3]], 80_000, c.e1);
    f.source = DealSource::Roadshow;
    f.roadshow_id = Some(rs);
    let f = f.check().unwrap();
    let deal_id = insert_deal(&mut tx, &f, now).await;
    tx.link_project_deal(pj2, deal_id, now).await.unwrap();
    let done = tx.follow_up_project(pj2).await.unwrap().unwrap();
    assert_eq!((done.state, done.deal_id), (ProjectState::Deal, Some(deal_id)));
    let projects = tx
        .list_follow_up_projects(&ipbridge_store::ProjectFilter { roadshow: Some(rs), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(projects.len(), 2);
    let open_only = ipbridge_store::ProjectFilter { state: Some(ProjectState::Open), ..Default::default() };
    assert!(tx.list_follow_up_projects(&open_only).await.unwrap().is_empty());
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn deals_round_trip_with_parties_and_filters() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let now = t0();
    let c = build(&mut tx, now).await;

    let mut f = deal(DealKind::License, c.u1, &[c.p[8], c.p[1]], 120_000, c.e1);
    f.parties.push(DealParty {
        role: DealPartyRole::Counterparty,
        org_id: None,
        name: "陕西某科技有限公司".into(),
        credit_code: Some(CreditCode::with_check("91610900MA6YK7XC2").unwrap()),
    });
    f.royalty_bp = Some(300);
    f.license_scope = Some(LicenseScope::Exclusive);
    f.filing_status = FilingStatus::Filed;
    f.filed_on = Some(d(2025, 7, 1));
    f.filing_no = "2025610000123".into();
    f.effective_from = Some(d(2025, 6, 1));
    f.effective_to = Some(d(2030, 5, 31));
    let f = f.check().unwrap();
    let id = insert_deal(&mut tx, &f, now).await;
    let stored = tx.deal(id).await.unwrap().unwrap();
    // Patents come back by application number; everything else as written.
    let mut expected = f.clone();
    expected.patents = vec![c.p[1], c.p[8]];
    assert_eq!(stored.fields, expected);
    assert_eq!((stored.status, stored.holder_name.as_str()), (DealStatus::Effective, "安康学院"));
    assert_eq!(stored.patents.iter().map(|p| p.patent_id).collect::<Vec<_>>(), [c.p[1], c.p[8]]);

    // Coverage sees the new conversion at once: p2 and p9 leave U1's scope.
    assert_eq!(
        tx.coverage_by_institution(Some(c.u1)).await.unwrap()[0].counts,
        counts([4, 0, 1, 1, 1, 1, 4, 2], 420_000)
    );

    let mut changed = stored.fields.clone();
    changed.patents = vec![c.p[8]];
    changed.amount = yuan(150_000);
    tx.update_deal(id, &changed, now).await.unwrap();
    let updated = tx.deal(id).await.unwrap().unwrap();
    assert_eq!((updated.fields.amount, updated.fields.patents.clone()), (yuan(150_000), vec![c.p[8]]));

    let ids = |v: Vec<ipbridge_store::Deal>| v.into_iter().map(|d| d.id).collect::<Vec<_>>();
    let party = DealFilter { party_org: Some(c.e1), ..Default::default() };
    assert_eq!(ids(tx.list_deals(&party).await.unwrap()).len(), 2, "the p5 licence and this one");
    let with_p9 = DealFilter { patent: Some(c.p[8]), ..Default::default() };
    assert_eq!(ids(tx.list_deals(&with_p9).await.unwrap()), [id]);
    let licences =
        DealFilter { kind: Some(DealKind::License), status: Some(DealStatus::Effective), ..Default::default() };
    assert_eq!(tx.deal_totals(&licences).await.unwrap(), (2, yuan(450_000)));
    let u2 = DealFilter {
        holder_org: Some(c.u2),
        signed_from: Some(d(2025, 1, 1)),
        signed_to: Some(d(2025, 12, 31)),
        ..Default::default()
    };
    assert_eq!(tx.deal_totals(&u2).await.unwrap(), (1, yuan(1_000_000)));

    tx.cancel_deal(id, "合同解除", now).await.unwrap();
    let cancelled = tx.deal(id).await.unwrap().unwrap();
    assert_eq!((cancelled.status, cancelled.cancel_reason.as_str()), (DealStatus::Cancelled, "合同解除"));
    assert!(matches!(tx.cancel_deal(id, "again", now).await, Err(StoreError::Conflict(Conflict::StaleState))));
    assert!(matches!(tx.update_deal(id, &changed, now).await, Err(StoreError::Conflict(Conflict::StaleState))));
    assert!(matches!(
        tx.cancel_deal(ipbridge_domain::ids::DealId::new(999), "x", now).await,
        Err(StoreError::NotFound)
    ));
    assert!(tx.deal(ipbridge_domain::ids::DealId::new(999)).await.unwrap().is_none());
    tx.commit().await.unwrap();
    assert!(t.db.integrity_problems().await.unwrap().is_empty());
}
