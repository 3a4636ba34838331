//! The indicator refresh on a real SQLite file: where patents count (organisation, address, province code),
//! chains by IPC prefix and keyword, the five high-value criteria with their reasons, the aggregates, the
//! monthly history reconstructed from grant and lapse dates, snapshots, targets with gap and time left —
//! and who may read and take them.

use ipbridge_domain::CreditCode;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::ids::OrgId;
use ipbridge_domain::indicators::high_value::Criterion;
use ipbridge_domain::indicators::place::PlaceBasis;
use ipbridge_domain::indicators::{Indicator, TargetStatus};
use ipbridge_domain::org::OrgKind;
use ipbridge_domain::patent::{ApplicationNo, PatentRecord};
use ipbridge_domain::permission::Role;
use ipbridge_service::accounts::NewAccount;
use ipbridge_service::indicators::Scope;
use ipbridge_service::orgs::OrgForm;
use ipbridge_service::{Actor, App, AuditFilter, ServiceError, Settings};
use serde_json::{Value, json};

const PASSWORD: &str = "Demo#2026pass";

struct World {
    _dir: tempfile::TempDir,
    app: App,
}

async fn org(app: &App, kind: OrgKind, name: &str, credit: Option<&str>, county: &str) -> OrgId {
    let form = OrgForm {
        kind: kind.code().into(),
        institution_kind: if kind == OrgKind::Institution { "university".into() } else { String::new() },
        name: name.into(),
        credit_code: credit.map(|c| CreditCode::with_check(c).unwrap().to_string()).unwrap_or_default(),
        county_code: county.into(),
        active: true,
        ..OrgForm::default()
    };
    app.create_org(&Actor::cli(), &form).await.unwrap()
}

fn record(serial: u32, fields: Value) -> PatentRecord {
    let no = ApplicationNo::from_parts(2021, 1, serial).unwrap();
    let mut base = json!({
        "application_no": no.as_str(), "patent_type": "invention", "legal_status": "granted",
        "filing_date": "2021-03-01",
    });
    for (k, v) in fields.as_object().unwrap() {
        base[k] = v.clone();
    }
    serde_json::from_value(base).unwrap()
}

/// A reference directory of the shape `load_reference` reads, with a few IPC titles and one concordance
/// entry (A61K36/00 → rule 188 → subcategory 4.1), so the test does not depend on the shared data.
fn reference_dir(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("ipc")).unwrap();
    std::fs::create_dir_all(dir.join("sei")).unwrap();
    std::fs::write(
        dir.join("ipc/ipc_2026_01_zh.csv"),
        "code,level,title_zh,parent\nA,section,人类生活必需,\nA61,class,医学或兽医学；卫生学,A\nA61K,subclass,医用配制品,A61\n\
         A61K36/00,main_group,含有来自藻类、苔藓、真菌或植物或其派生物的医药配制品,A61K\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("sei/sei_categories_2018.csv"),
        "code,name,level,parent_code\n4,生物产业,category,\n4.1,生物医药产业,subcategory,4\n",
    )
    .unwrap();
    std::fs::write(dir.join("sei/ipc_sei_concordance.jsonl"), "{\"ipcCode\":\"A61K36/00\",\"seiId\":188}\n").unwrap();
}

impl World {
    async fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        settings.server.data_dir = dir.path().join("data");
        let app = App::open(settings, ipbridge_service::load_policy(None).unwrap()).await.unwrap();
        reference_dir(&dir.path().join("ref"));
        app.load_reference(&Actor::cli(), &dir.path().join("ref")).await.unwrap();
        let bureau = app.ensure_bureau_org(&Actor::cli()).await.unwrap();
        org(&app, OrgKind::Institution, "安康理工学院", None, "610926").await;
        let ent = org(&app, OrgKind::Enterprise, "安康硒源茶业有限公司", Some("91610902MA6YQ1A01"), "610902").await;
        for (name, org, role) in [
            ("officer", bureau, Role::BureauOfficer),
            ("leader", bureau, Role::BureauLeader),
            ("ent", ent, Role::EnterpriseUser),
        ] {
            let new = NewAccount {
                username: name.into(),
                display_name: name.into(),
                org_id: Some(org),
                faculty_id: None,
                password: PASSWORD.into(),
            };
            app.bootstrap_account(&Actor::cli(), &new, &[role]).await.unwrap();
        }
        let records = vec![
            // 1: the institution's (organisation, 平利县), SEI by its main group, granted 2022-05.
            record(
                1,
                json!({"title": "一种绞股蓝提取物的制备方法", "applicants": [{"name": "安康理工学院"}],
                "main_ipc": "A61K36/185", "ipc_codes": ["A61K36/185"], "grant_date": "2022-05-10"}),
            ),
            // 2: Xi'an, not the city's.
            record(
                2,
                json!({"title": "一种数据处理方法", "applicants": [{"name": "西安某科技有限公司", "address": "陕西省西安市雁塔区科技路"}],
                "province_code": "61", "main_ipc": "G06F16/00", "ipc_codes": ["G06F16/00"], "grant_date": "2023-02-01"}),
            ),
            // 3: no organisation; the address places it in 平利县; maintained since 2012; chain by keyword.
            record(
                3,
                json!({"title": "一种富硒土壤改良方法", "applicants": [{"name": "安康市富硒产品研究所", "address": "陕西省安康市平利县城关镇"}],
                "province_code": "61", "filing_date": "2012-03-01", "grant_date": "2014-01-10",
                "main_ipc": "A01B1/00", "ipc_codes": ["A01B1/00"]}),
            ),
            // 4: the enterprise's, lapsed in 2024-05; chain by IPC.
            record(
                4,
                json!({"title": "一种茶叶杀青装置", "applicants": [{"name": "安康硒源茶业有限公司"}],
                "legal_status": "lapsed", "grant_date": "2019-06-01", "lapse_date": "2024-05-01",
                "main_ipc": "A23F3/06", "ipc_codes": ["A23F3/06"]}),
            ),
            // 5: a utility model with a foreign family member: never a valid invention patent.
            record(
                5,
                json!({"title": "一种茶叶烘干架", "patent_type": "utility_model", "applicants": [{"name": "安康硒源茶业有限公司"}],
                "grant_date": "2022-01-01", "family": ["US20230001A1"], "has_foreign_family": true,
                "main_ipc": "A23F3/06", "ipc_codes": ["A23F3/06"]}),
            ),
            // 6: Beijing, placed outside by its province code.
            record(
                6,
                json!({"title": "一种电池管理方法", "applicants": [{"name": "北京某电池有限公司", "address": ""}],
                "province_code": "11", "grant_date": "2023-06-01", "main_ipc": "H01M10/42", "ipc_codes": ["H01M10/42"]}),
            ),
            // 7: the enterprise's, pledged for 12 million yuan, granted 2023-01.
            record(
                7,
                json!({"title": "一种富硒茶饮料", "applicants": [{"name": "安康硒源茶业有限公司"}],
                "grant_date": "2023-01-01", "pledge_amount": 1_200_000_000_i64,
                "main_ipc": "A23F3/16", "ipc_codes": ["A23F3/16"]}),
            ),
            // 8: a Beijing company on a street named after the city: another province's code rules it out.
            record(
                8,
                json!({"title": "一种数据压缩方法", "applicants": [{"name": "北京安康科技有限公司", "address": "北京市海淀区安康路3号"}],
                "province_code": "11", "grant_date": "2023-03-01", "main_ipc": "G06F16/00", "ipc_codes": ["G06F16/00"]}),
            ),
            // 9: a Xi'an first applicant with the city's institution second: the institution owns it on the
            // platform, but the first applicant decides where it counts.
            record(
                9,
                json!({"title": "一种路面检测方法",
                "applicants": [{"name": "西安某大学", "address": "陕西省西安市碑林区"}, {"name": "安康理工学院"}],
                "province_code": "61", "grant_date": "2023-04-01", "main_ipc": "E01C23/01", "ipc_codes": ["E01C23/01"]}),
            ),
            // 10: the institution's, SEI, granted 2018-01, lapsed 2023-06: high-value in between.
            record(
                10,
                json!({"title": "一种天麻提取工艺", "applicants": [{"name": "安康理工学院"}],
                "legal_status": "lapsed", "filing_date": "2015-05-01", "grant_date": "2018-01-10",
                "lapse_date": "2023-06-15", "main_ipc": "A61K36/898", "ipc_codes": ["A61K36/898"]}),
            ),
        ];
        app.import_records(&Actor::cli(), "测试专利", records).await.unwrap();
        World { _dir: dir, app }
    }

    async fn actor(&self, name: &str) -> Actor {
        Actor::logged_in(self.app.account_by_name(name).await.unwrap(), "127.0.0.1", format!("req-{name}"))
    }

    async fn patent(&self, serial: u32) -> i64 {
        let no = ApplicationNo::from_parts(2021, 1, serial).unwrap();
        let page = self.app.list_patents(&Actor::cli(), &Default::default()).await.unwrap();
        page.patents.iter().find(|p| p.application_no == no.as_str()).unwrap().id.get()
    }
}

#[tokio::test]
async fn refresh_places_patents_and_evaluates_the_criteria() {
    let w = World::new().await;
    let report = w.app.refresh_indicators("test").await.unwrap();
    assert_eq!(
        (report.patents, report.in_city, report.valid_invention, report.high_value),
        (10, 6, 3, 3),
        "{report:?}"
    );
    assert_eq!(report.changed, 10);
    // Unchanged data: the scheduled refresh reads everything and writes nothing (patent 1 is in two chains,
    // whose links must compare equal in the store's order).
    let again = w.app.refresh_indicators("test").await.unwrap();
    assert_eq!((again.changed, again.relinked), (0, 0), "{again:?}");

    let leader = w.actor("leader").await;
    let facts = |serial| {
        let w = &w;
        let leader = &leader;
        async move { w.app.patent_indicators(leader, w.patent(serial).await).await.unwrap().unwrap() }
    };
    let p1 = facts(1).await;
    assert_eq!((p1.place_basis, p1.county.as_deref(), p1.high_value), (PlaceBasis::Org, Some("平利县"), true));
    let sei = p1.criteria.iter().find(|c| c.0 == Criterion::Sei).unwrap();
    assert!(
        sei.1 && sei.2.contains("A61K36/185") && sei.2.contains("A61K36/00") && sei.2.contains("生物医药产业"),
        "{sei:?}"
    );

    let p3 = facts(3).await;
    assert_eq!(
        (p3.place_basis, p3.county.as_deref(), p3.place_detail.as_str()),
        (PlaceBasis::Address, Some("平利县"), "平利县")
    );
    let maintained = p3.criteria.iter().find(|c| c.0 == Criterion::Maintained).unwrap();
    assert!(maintained.1 && maintained.2.contains("2012-03-01"), "{maintained:?}");
    assert_eq!(p3.chains, [("selenium_food".to_owned(), "富硒食品".to_owned(), "关键词 富硒".to_owned())]);

    let p4 = facts(4).await;
    assert!(p4.in_city && !p4.valid_invention && !p4.high_value);
    assert_eq!(p4.chains[0].2, "IPC A23F3");
    let p5 = facts(5).await;
    assert!(p5.criteria.iter().any(|c| c.0 == Criterion::ForeignFamily && c.1) && !p5.high_value);
    let p6 = facts(6).await;
    assert_eq!((p6.in_city, p6.place_basis, p6.place_detail.as_str()), (false, PlaceBasis::ProvinceCode, "11"));
    assert_eq!(facts(2).await.place_basis, PlaceBasis::None);
    let p8 = facts(8).await;
    assert_eq!((p8.in_city, p8.place_basis), (false, PlaceBasis::ProvinceCode));
    let p9 = facts(9).await;
    assert_eq!((p9.in_city, p9.place_basis), (false, PlaceBasis::None), "{p9:?}");
    let p10 = facts(10).await;
    assert!(p10.in_city && !p10.valid_invention && !p10.high_value);
    assert_eq!(p1.chains.len(), 2, "{:?}", p1.chains);
    let p7 = facts(7).await;
    let pledge = p7.criteria.iter().find(|c| c.0 == Criterion::Pledge).unwrap();
    assert!(p7.high_value && pledge.1 && pledge.2.contains("1200 万元"), "{pledge:?}");

    // Aggregates: only the city's patents.
    let by_county = w.app.indicator_cells(&leader, &Scope::City, "county").await.unwrap();
    let county = |code: &str| by_county.iter().find(|c| c.key == code).unwrap();
    assert_eq!((county("610926").patents, county("610926").valid_invention, county("610926").high_value), (3, 2, 2));
    assert_eq!((county("610902").patents, county("610902").valid_invention, county("610902").high_value), (3, 1, 1));
    assert_eq!(county("610926").label, "平利县");
    let chains = w.app.indicator_cells(&leader, &Scope::Chain("selenium_food".into()), "total").await.unwrap();
    // 3 by 富硒, 4, 5 and 7 by A23F3, 1 by 绞股蓝 (a keyword of the chain too).
    assert_eq!(chains[0].patents, 5, "{chains:?}");
    let institutions = w.app.indicator_cells(&leader, &Scope::City, "institution").await.unwrap();
    // Patent 9 is the institution's on the platform but not the city's: breakdowns count the city's patents.
    assert_eq!(institutions.iter().map(|c| (c.label.as_str(), c.patents)).collect::<Vec<_>>(), [("安康理工学院", 2)]);
    let classes = w.app.indicator_cells(&leader, &Scope::City, "ipc_class").await.unwrap();
    assert!(classes.iter().any(|c| c.key == "A61" && c.label.starts_with("A61 医学")), "{classes:?}");
    assert!(matches!(w.app.indicator_cells(&leader, &Scope::City, "nope").await, Err(ServiceError::Invalid(_))));
}

#[tokio::test]
async fn targets_history_and_snapshots() {
    let w = World::new().await;
    w.app.refresh_indicators("test").await.unwrap();
    let leader = w.actor("leader").await;
    let overview = w.app.indicator_overview(&leader).await.unwrap();
    let target = overview.targets.iter().find(|t| t.indicator == Indicator::ValidInventionPatents).unwrap();
    let p = target.progress.unwrap();
    assert_eq!((target.actual, target.target, p.gap), (Some(3), 400, 397));
    assert_eq!(p.status, if overview.today > target.due { TargetStatus::Missed } else { TargetStatus::OnTheWay });
    // 3 high-value patents for the counties' 2,421,000 residents: 0.01 per 10,000.
    let per_10k = overview.values.iter().find(|v| v.indicator == Indicator::HighValuePer10k).unwrap();
    assert_eq!((per_10k.value, per_10k.text.as_str()), (Some(1), "0.01"));
    // Trademarks are not entered yet.
    let trademarks = overview.targets.iter().find(|t| t.indicator == Indicator::ValidTrademarks).unwrap();
    assert_eq!((trademarks.actual, trademarks.actual_text.as_str()), (None, "—"));

    // The history reconstructed from grant and lapse dates.
    let series = w.app.indicator_series(&leader, Indicator::ValidInventionPatents, &Scope::City).await.unwrap();
    let at = |month: &str| series.iter().find(|s| s.month == month).map(|s| (s.value, s.origin.clone()));
    assert_eq!(at("2020-01"), Some((3, "backfill".into())), "patents 3, 4 and 10");
    assert_eq!(at("2023-05"), Some((5, "backfill".into())), "1, 3, 4, 7 and 10");
    assert_eq!(at("2023-06"), Some((4, "backfill".into())), "patent 10 lapsed in June 2023");
    assert_eq!(at("2024-04"), Some((4, "backfill".into())));
    assert_eq!(at("2024-05"), Some((3, "backfill".into())), "patent 4 lapsed in May 2024");
    let hv = w.app.indicator_series(&leader, Indicator::HighValueInventionPatents, &Scope::City).await.unwrap();
    let hv_at = |month: &str| hv.iter().find(|s| s.month == month).map(|s| s.value);
    // Patent 10 (SEI) from its grant in 2018-01 until its lapse in 2023-06; patent 3 maintained more than 10
    // years from 2022-03-02, patent 1 from its grant (2022-05), patent 7 from its grant (2023-01).
    assert_eq!(
        (hv_at("2017-12"), hv_at("2018-01"), hv_at("2022-03"), hv_at("2022-05"), hv_at("2023-01"), hv_at("2023-06")),
        (Some(0), Some(1), Some(2), Some(3), Some(4), Some(3))
    );
    // Every county of the policy has a value this month, zero included.
    let quiet = w
        .app
        .indicator_series(&leader, Indicator::ValidInventionPatents, &Scope::County("610981".into()))
        .await
        .unwrap();
    assert_eq!(quiet.last().map(|s| s.value), Some(0));
    let county = w
        .app
        .indicator_series(&leader, Indicator::ValidInventionPatents, &Scope::County("610926".into()))
        .await
        .unwrap();
    assert_eq!(county.last().map(|s| (s.value, s.origin.as_str())), Some((2, "auto")));

    // Taking a snapshot: the bureau officer only, audited, recorded as manual.
    assert!(matches!(w.app.take_indicator_snapshot(&leader).await, Err(ServiceError::Forbidden)));
    let ent = w.actor("ent").await;
    assert!(matches!(w.app.indicator_overview(&ent).await, Err(ServiceError::Forbidden)));
    let officer = w.actor("officer").await;
    w.app.take_indicator_snapshot(&officer).await.unwrap();
    let series = w.app.indicator_series(&leader, Indicator::ValidInventionPatents, &Scope::City).await.unwrap();
    assert_eq!(series.last().map(|s| (s.value, s.origin.as_str())), Some((3, "manual")));
    let filter =
        AuditFilter { action: Some(Action::SnapshotTake), outcome: Some(Outcome::Success), ..AuditFilter::default() };
    assert_eq!(w.app.audit_page(&Actor::cli(), &filter).await.unwrap().total, 1);
    let runs = w.app.indicator_refreshes(&leader, 10).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].trigger, "manual");
    assert!(runs.iter().all(|r| r.error.is_none() && r.patents == 10));
}

#[tokio::test]
async fn the_demo_city_has_figures_for_every_target() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::default();
    settings.server.data_dir = dir.path().to_owned();
    let app = App::open(settings, ipbridge_service::load_policy(None).unwrap()).await.unwrap();
    app.seed_demo(&Actor::cli(), Some(PASSWORD)).await.unwrap().unwrap();
    let report = app.refresh_indicators("test").await.unwrap();
    assert!(report.in_city > 0 && report.valid_invention > 0 && report.high_value > 0, "{report:?}");
    let overview = app.indicator_overview(&Actor::cli()).await.unwrap();
    for target in &overview.targets {
        assert!(target.actual.is_some(), "{} has no value", target.name);
    }
    let trademarks = overview.targets.iter().find(|t| t.indicator == Indicator::ValidTrademarks).unwrap();
    assert!(trademarks.actual.unwrap() > 30_000, "{trademarks:?}");
    let value = |i: Indicator| overview.values.iter().find(|v| v.indicator == i).unwrap().value;
    assert!(value(Indicator::GiUsers).unwrap() > 100);
    assert!(value(Indicator::PatentIntensiveShare).is_some());
    // The trademark history starts in January 2024, as entered.
    let series = app.indicator_series(&Actor::cli(), Indicator::ValidTrademarks, &Scope::City).await.unwrap();
    assert_eq!(series.first().map(|s| s.month.as_str()), Some("2024-01"));
    // Award winners are high-value by the award criterion.
    let filter =
        AuditFilter { action: Some(Action::AwardRecord), outcome: Some(Outcome::Success), ..AuditFilter::default() };
    assert_eq!(app.audit_page(&Actor::cli(), &filter).await.unwrap().total, 2);
    let winners = ipbridge_store::PatentFilter {
        high_value: Some(ipbridge_store::HighValueFilter::Criterion(Criterion::Award)),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(app.list_patents(&Actor::cli(), &winners).await.unwrap().total, 2);
}
