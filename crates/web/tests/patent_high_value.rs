//! HTTP tests of the high-value criteria on the patent page, the patent list's place and high-value filters
//! and the export's indicator columns: a small city built through the service (a tiny SEI concordance loaded
//! as reference data, organisations in two counties, patents meeting each criterion, one pledge amount read
//! from an imported file), then `refresh_indicators` and the real router in-process.

mod common;

use std::collections::BTreeSet;

use axum::Router;
use axum::http::StatusCode;
use common::{Client, extract};
use ipbridge_domain::CreditCode;
use ipbridge_domain::audit::Action;
use ipbridge_domain::indicators::high_value::Criterion;
use ipbridge_domain::org::OrgKind;
use ipbridge_domain::patent::{ApplicationNo, PatentRecord};
use ipbridge_domain::permission::Role;
use ipbridge_service::accounts::NewAccount;
use ipbridge_service::indicators::awards::AwardForm;
use ipbridge_service::orgs::OrgForm;
use ipbridge_service::{Actor, App, AuditFilter, HighValueFilter, PatentFilter, PlaceFilter, Settings};
use serde_json::{Value, json};

const INITIAL: &str = "Initial#2026";
const PASSWORD: &str = "Demo#2026pass";

/// The patents of the world, by what they stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum P {
    /// 安康理工学院 (organisation, 平利县); IPC A61K36/185 in the concordance → 战略性新兴产业.
    Sei,
    /// 安康硒源茶业 (organisation, 汉滨区); a US family member → 海外同族.
    Family,
    /// No organisation; the address says 平利县; filed 2012 → maintained more than 10 years.
    Maintained,
    /// Imported from a file: 质押金额 “1,200万元”, the address says 旬阳市.
    Pledge,
    /// Imported from a file: 质押金额 “800万” (below the threshold), Beijing by its province code; a China
    /// Patent Award recorded by the bureau.
    Award,
    /// A utility model with the SEI code and a foreign family member: never high-value.
    Utility,
    /// A valid invention patent of 安康硒源茶业 meeting no criterion.
    Plain,
}

const ALL: [P; 7] = [P::Sei, P::Family, P::Maintained, P::Pledge, P::Award, P::Utility, P::Plain];

fn number(p: P) -> String {
    match p {
        P::Utility => ApplicationNo::from_parts(2021, 2, 300_006),
        P::Maintained => ApplicationNo::from_parts(2012, 1, 300_002),
        other => ApplicationNo::from_parts(2021, 1, 300_000 + other as u32),
    }
    .unwrap()
    .to_string()
}

struct World {
    _dir: tempfile::TempDir,
    app: App,
    router: Router,
}

async fn org(app: &App, kind: OrgKind, name: &str, credit: Option<&str>, county: &str) -> ipbridge_domain::ids::OrgId {
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

fn record(p: P, fields: Value) -> PatentRecord {
    let mut base = json!({
        "application_no": number(p), "patent_type": "invention", "legal_status": "granted",
        "filing_date": "2021-03-01", "grant_date": "2022-05-10",
    });
    for (k, v) in fields.as_object().unwrap() {
        base[k] = v.clone();
    }
    serde_json::from_value(base).unwrap()
}

/// A reference folder of the shape `load_reference` reads: a few IPC titles and one concordance entry
/// (A61K36/00 → rule 188 → subcategory 4.1 生物医药产业), so the test needs no shared data.
fn reference_dir(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("ipc")).unwrap();
    std::fs::create_dir_all(dir.join("sei")).unwrap();
    std::fs::write(
        dir.join("ipc/ipc_2026_01_zh.csv"),
        "code,level,title_zh,parent\nA,section,人类生活必需,\nA61,class,医学或兽医学；卫生学,A\n\
         A61K,subclass,医用、牙科用或梳妆用的配制品,A61\n\
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
        let inst = org(&app, OrgKind::Institution, "安康理工学院", None, "610926").await;
        let ent = org(&app, OrgKind::Enterprise, "安康硒源茶业有限公司", Some("91610902MA6YQ1A01"), "610902").await;
        for (name, org, role) in [
            ("officer", bureau, Role::BureauOfficer),
            ("leader", bureau, Role::BureauLeader),
            ("inst", inst, Role::InstitutionAdmin),
            ("ent", ent, Role::EnterpriseUser),
        ] {
            let new = NewAccount {
                username: name.into(),
                display_name: name.into(),
                org_id: Some(org),
                faculty_id: None,
                password: INITIAL.into(),
            };
            app.bootstrap_account(&Actor::cli(), &new, &[role]).await.unwrap();
        }
        let records = vec![
            record(
                P::Sei,
                json!({"title": "一种绞股蓝提取物的制备方法", "applicants": [{"name": "安康理工学院"}],
                "main_ipc": "A61K36/185", "ipc_codes": ["A61K36/185"]}),
            ),
            record(
                P::Family,
                json!({"title": "一种茶叶杀青装置", "applicants": [{"name": "安康硒源茶业有限公司"}],
                "main_ipc": "A23F3/06", "ipc_codes": ["A23F3/06"], "family": ["US2023123456A1"],
                "has_foreign_family": true}),
            ),
            record(
                P::Maintained,
                json!({"title": "一种土壤改良方法",
                "applicants": [{"name": "安康市土壤研究所", "address": "陕西省安康市平利县城关镇"}],
                "province_code": "61", "filing_date": "2012-03-01", "grant_date": "2014-01-10",
                "main_ipc": "A01B1/00", "ipc_codes": ["A01B1/00"]}),
            ),
            record(
                P::Utility,
                json!({"title": "一种药材烘干架", "patent_type": "utility_model",
                "applicants": [{"name": "安康理工学院"}], "main_ipc": "A61K36/185", "ipc_codes": ["A61K36/185"],
                "family": ["US2023654321A1"], "has_foreign_family": true}),
            ),
            record(
                P::Plain,
                json!({"title": "一种包装盒", "applicants": [{"name": "安康硒源茶业有限公司"}],
                "main_ipc": "B65D5/00", "ipc_codes": ["B65D5/00"]}),
            ),
        ];
        app.import_records(&Actor::cli(), "测试专利", records).await.unwrap();
        // The pledge amounts come from an ordinary import file with the optional 质押金额 column.
        let file = format!(
            "申请号,专利名称,专利类型,法律状态,申请日,授权公告日,申请人,申请人地址,国省代码,主分类号,质押金额\n\
             {},一种石墨烯导热膜,发明,有权,2021-06-01,2022-08-01,旬阳新材料有限公司,陕西省安康市旬阳市城关镇,陕西(61),C01B32/05,\"1,200万元\"\n\
             {},一种电池管理方法,发明,有权,2021-02-01,2022-09-01,北京某电池有限公司,北京市海淀区,北京(11),H01M10/42,800万\n",
            number(P::Pledge),
            number(P::Award)
        );
        let bytes = file.into_bytes();
        let id = app.begin_patent_import(&Actor::cli(), "质押.csv", &bytes).await.unwrap();
        let run = app.run_patent_import(&Actor::cli(), id, "质押.csv", bytes, None, &|_| {}).await.unwrap();
        assert_eq!((run.counts.inserted, run.counts.rejected), (2, 0), "{}", run.message);
        let officer = Actor::logged_in(app.account_by_name("officer").await.unwrap(), "127.0.0.1", "req-officer");
        let award = AwardForm {
            application_no: number(P::Award),
            award: "中国专利优秀奖".into(),
            grade: "优秀奖".into(),
            year: "2023".into(),
            note: String::new(),
        };
        app.record_award(&officer, &award).await.unwrap();
        let router = ipbridge_web::router(app.clone());
        // Past every account's first-login password change, so the tests log in as users do afterwards.
        for name in ["officer", "leader", "inst", "ent"] {
            let mut c = Client::new(router.clone(), app.clone());
            assert_eq!(c.login(name, INITIAL).await.location.as_deref(), Some("/account/password"));
            c.get("/account/password").await;
            let done =
                c.post("/account/password", &[("current", INITIAL), ("new", PASSWORD), ("repeat", PASSWORD)]).await;
            assert_eq!(done.location.as_deref(), Some("/account"), "{name}: {}", done.body);
        }
        World { _dir: dir, app, router }
    }

    async fn refresh(&self) {
        let report = self.app.refresh_indicators("test").await.unwrap();
        assert_eq!(report.patents, 7, "{report:?}");
    }

    async fn id(&self, p: P) -> i64 {
        let filter = PatentFilter { text: Some(number(p)), ..PatentFilter::default() };
        let page = self.app.list_patents(&Actor::cli(), &filter).await.unwrap();
        assert_eq!(page.patents.len(), 1, "{p:?}");
        page.patents[0].id.get()
    }

    async fn client(&self, user: Option<&str>) -> Client {
        let mut c = Client::new(self.router.clone(), self.app.clone());
        if let Some(name) = user {
            let res = c.login(name, PASSWORD).await;
            assert_eq!(res.location.as_deref(), Some("/"), "{name}: {}", res.body);
        }
        c
    }

    async fn exports(&self) -> u64 {
        let filter = AuditFilter { action: Some(Action::ListExport), ..AuditFilter::default() };
        self.app.audit_page(&Actor::cli(), &filter).await.unwrap().total
    }
}

/// The section 「指标归属与高价值认定」 of a patent page.
fn section(body: &str) -> String {
    extract(body, "<section class=\"card\" id=\"indicators\">", "</section>").expect("the indicators section")
}

/// The criteria table of the section: (label, holds, greyed, reason) per row.
fn criteria(section: &str) -> Vec<(String, bool, bool, String)> {
    let body = extract(section, "<tbody>", "</tbody>").expect("the criteria table");
    body.split("<tr")
        .skip(1)
        .map(|row| {
            let cells: Vec<String> = row
                .split("<td>")
                .skip(1)
                .map(|c| c.split("</td>").next().unwrap_or_default().trim().to_owned())
                .collect();
            assert_eq!(cells.len(), 3, "{row}");
            let holds = cells[1].contains('✓');
            assert!(holds != cells[1].contains('✗'), "one mark per criterion: {}", cells[1]);
            (cells[0].clone(), holds, row.starts_with(" class=\"muted\""), cells[2].clone())
        })
        .collect()
}

/// The value of a line of the section's field list.
fn dd(section: &str, label: &str) -> String {
    let start = format!("<dt>{label}</dt>");
    extract(section, &start, "</dd>").map(|v| v.trim().trim_start_matches("<dd>").to_owned()).unwrap_or_default()
}

/// Which criteria hold according to the page, by code.
fn held(rows: &[(String, bool, bool, String)]) -> BTreeSet<&'static str> {
    assert_eq!(rows.len(), 5, "every criterion is listed");
    Criterion::ALL
        .into_iter()
        .zip(rows)
        .map(|(c, row)| {
            assert_eq!(row.0, c.label(), "criteria in the national order");
            (c, row.1)
        })
        .filter(|(_, holds)| *holds)
        .map(|(c, _)| c.code())
        .collect()
}

/// The reason shown for a criterion.
fn reason(rows: &[(String, bool, bool, String)], c: Criterion) -> String {
    rows.iter().find(|r| r.0 == c.label()).map(|r| r.3.clone()).unwrap()
}

/// The world's patents listed by a page of the patent list.
fn listed(body: &str) -> BTreeSet<P> {
    let rows = extract(body, "<tbody>", "</tbody>").expect("the list table");
    ALL.into_iter().filter(|p| rows.contains(&format!("<code>{}</code>", number(*p)))).collect()
}

#[tokio::test]
async fn the_patent_page_explains_place_chains_and_each_criterion() {
    let w = World::new().await;
    let mut officer = w.client(Some("officer")).await;
    let sei = w.id(P::Sei).await;

    // Before the first refresh the section says so.
    let page = officer.get(&format!("/patents/{sei}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let s = section(&page.body);
    assert!(s.contains("指标归属与高价值认定") && s.contains("尚未汇总"), "{s}");
    assert!(!s.contains("<tbody>"));

    w.refresh().await;

    // 战略性新兴产业, placed by the linked organisation, in two chains (by IPC prefix and by keyword).
    let page = officer.get(&format!("/patents/{sei}")).await;
    let s = section(&page.body);
    assert!(!s.contains("尚未汇总"));
    assert_eq!(dd(&s, "计入本市"), "<span class=\"ok\">是</span> · 平利县");
    assert!(s.contains("关联机构：第一申请人关联平台机构“安康理工学院”"), "{s}");
    assert!(s.contains("秦巴医药</a>（按 IPC A61K36）"), "{s}");
    assert!(s.contains("富硒食品</a>（按 关键词 绞股蓝）"), "{s}");
    assert_eq!(dd(&s, "高价值发明专利"), "<span class=\"ok\">是</span>");
    let rows = criteria(&s);
    assert_eq!(held(&rows), BTreeSet::from(["sei"]));
    assert!(rows.iter().all(|r| !r.2), "a valid invention patent's criteria are not greyed");
    let why = reason(&rows, Criterion::Sei);
    assert!(why.contains("A61K36/185") && why.contains("A61K36/00") && why.contains("4.1 生物医药产业"), "{why}");
    assert_eq!(reason(&rows, Criterion::ForeignFamily), "无境外同族专利记录");
    assert!(reason(&rows, Criterion::Maintained).contains("已维持"), "{rows:?}");
    assert_eq!(reason(&rows, Criterion::Pledge), "无质押融资金额记录");

    // 海外同族, by the enterprise's county.
    let s = section(&officer.get(&format!("/patents/{}", w.id(P::Family).await)).await.body);
    assert_eq!(held(&criteria(&s)), BTreeSet::from(["foreign_family"]));
    assert!(s.contains("· 汉滨区") && s.contains("富硒食品</a>（按 IPC A23F3）"), "{s}");

    // 维持年限, placed by the applicant's address.
    let s = section(&officer.get(&format!("/patents/{}", w.id(P::Maintained).await)).await.body);
    let rows = criteria(&s);
    assert_eq!(held(&rows), BTreeSet::from(["maintained"]));
    assert!(reason(&rows, Criterion::Maintained).contains("自申请日 2012-03-01 起"), "{rows:?}");
    assert_eq!(dd(&s, "归属依据"), "申请人地址：第一申请人地址中含“平利县”");
    assert!(s.contains("不属于任何重点产业链"), "{s}");

    // 质押融资额 from the imported 质押金额 column; the field list shows the amount too.
    let page = officer.get(&format!("/patents/{}", w.id(P::Pledge).await)).await;
    assert!(page.body.contains("<dt>质押金额</dt><dd>12,000,000.00元（1200 万元）</dd>"), "{}", page.body);
    let s = section(&page.body);
    let rows = criteria(&s);
    assert_eq!(held(&rows), BTreeSet::from(["pledge"]));
    let why = reason(&rows, Criterion::Pledge);
    assert!(why.contains("1200 万元") && why.contains("不低于门槛 1000 万元"), "{why}");
    assert!(s.contains("· 旬阳市") && s.contains("新型材料</a>（按 IPC C01B32）"), "{s}");

    // The award recorded by the bureau; the pledge below the threshold says so; outside the city by its code.
    let page = officer.get(&format!("/patents/{}", w.id(P::Award).await)).await;
    assert!(page.body.contains("<dt>质押金额</dt><dd>8,000,000.00元（800 万元）</dd>"));
    let s = section(&page.body);
    let rows = criteria(&s);
    assert_eq!(held(&rows), BTreeSet::from(["award"]));
    assert_eq!(reason(&rows, Criterion::Award), "获2023年中国专利奖优秀奖");
    assert!(reason(&rows, Criterion::Pledge).contains("低于门槛"), "{rows:?}");
    assert_eq!(dd(&s, "计入本市"), "否");
    assert_eq!(dd(&s, "归属依据"), "国省代码：11，不是本省代码");
    assert_eq!(dd(&s, "高价值发明专利"), "<span class=\"ok\">是</span>");

    // A utility model: the criteria that happen to hold are shown, greyed, and it is not high-value.
    let page = officer.get(&format!("/patents/{}", w.id(P::Utility).await)).await;
    assert!(!page.body.contains("<dt>质押金额</dt>"), "no amount, no line");
    let s = section(&page.body);
    assert_eq!(dd(&s, "高价值发明专利"), "<span class=\"muted\">仅有效发明专利参与高价值认定</span>");
    let rows = criteria(&s);
    assert_eq!(held(&rows), BTreeSet::from(["sei", "foreign_family"]));
    assert!(rows.iter().all(|r| r.2), "greyed: {rows:?}");
    assert!(!s.contains("<span class=\"ok\">✓"), "no green mark for a patent outside the assessment");

    // A valid invention patent meeting nothing: 否, every criterion ✗ with its reason.
    let s = section(&officer.get(&format!("/patents/{}", w.id(P::Plain).await)).await.body);
    let rows = criteria(&s);
    assert!(held(&rows).is_empty());
    assert_eq!(dd(&s, "高价值发明专利"), "否");
    assert!(reason(&rows, Criterion::Sei).contains("B65D5/00"), "{rows:?}");
}

#[tokio::test]
async fn who_sees_the_section_is_who_sees_the_page() {
    let w = World::new().await;
    w.refresh().await;
    let sei = w.id(P::Sei).await;
    let path = format!("/patents/{sei}");

    // Anonymous visitors are sent to the login, for the page, the list filters and the export alike.
    let mut anonymous = w.client(None).await;
    for p in [path.as_str(), "/patents?hv=any", "/patents?county=city", "/patents/export?hv=sei"] {
        let res = anonymous.get(p).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{p}");
        assert!(res.location.as_deref().is_some_and(|l| l.starts_with("/login?next=")), "{p}: {:?}", res.location);
    }
    assert!(w.app.patent_indicators(&Actor::anonymous("127.0.0.1", "t"), sei).await.is_err());

    // Every account reads the page with its section (bibliographic data is public); only those who see the
    // indicators get links to the chain landscapes.
    let mut ent = w.client(Some("ent")).await;
    let s = section(&ent.get(&path).await.body);
    assert_eq!(held(&criteria(&s)), BTreeSet::from(["sei"]));
    assert!(s.contains("秦巴医药（按 IPC A61K36）") && !s.contains("/indicators/chains/"), "{s}");
    let mut leader = w.client(Some("leader")).await;
    let s = section(&leader.get(&path).await.body);
    assert!(s.contains("<a href=\"/indicators/chains/qinba_medicine\">秦巴医药</a>"), "{s}");

    // The holder's administrator still sees the internal parts; the enterprise does not.
    let mut inst = w.client(Some("inst")).await;
    assert!(inst.get(&path).await.body.contains("变更历史"));
    assert!(!ent.get(&path).await.body.contains("变更历史"));
}

#[tokio::test]
async fn the_list_filters_by_place_and_criterion_in_the_database() {
    let w = World::new().await;
    let mut c = w.client(Some("ent")).await;

    // Before the first refresh nothing is placed or assessed: the filters match nothing.
    let before = c.get("/patents?hv=any").await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(listed(&before.body).is_empty());
    assert!(before.body.contains("按最近一次指标汇总的结果筛选"));
    assert_eq!(listed(&c.get("/patents").await.body).len(), 7);

    w.refresh().await;
    use P::*;
    let cases: Vec<(&str, Vec<P>)> = vec![
        ("hv=any", vec![Sei, Family, Maintained, Pledge, Award]),
        ("hv=sei", vec![Sei]),
        ("hv=foreign_family", vec![Family]),
        ("hv=maintained", vec![Maintained]),
        ("hv=pledge", vec![Pledge]),
        ("hv=award", vec![Award]),
        ("county=city", vec![Sei, Family, Maintained, Pledge, Utility, Plain]),
        ("county=610926", vec![Sei, Maintained, Utility]),
        ("county=610902", vec![Family, Plain]),
        ("county=610981", vec![Pledge]),
        ("county=610921", vec![]),
        ("county=outside", vec![Award]),
        ("county=city&hv=any", vec![Sei, Family, Maintained, Pledge]),
        ("county=610926&hv=any&type=invention", vec![Sei, Maintained]),
        ("county=610902&hv=foreign_family", vec![Family]),
        ("hv=unknown", vec![Sei, Family, Maintained, Pledge, Award, Utility, Plain]),
    ];
    for (query, expected) in &cases {
        let res = c.get(&format!("/patents?{query}")).await;
        assert_eq!(res.status, StatusCode::OK, "{query}");
        let expected: BTreeSet<P> = expected.iter().copied().collect();
        assert_eq!(listed(&res.body), expected, "{query}");
        if expected.is_empty() {
            assert!(res.body.contains("没有符合条件的专利"), "{query}");
        }
    }
    // The selects keep the choice, and paging keeps the filters.
    let page = c.get("/patents?county=610926&hv=maintained").await;
    assert!(page.body.contains("<option value=\"maintained\" selected>高价值·维持年限超过规定年数</option>"));
    assert!(page.body.contains("<option value=\"610926\" selected>平利县</option>"));
    let export = extract(&page.body, "href=\"/patents/export?", "\"").unwrap();
    assert!(export.contains("county=610926") && export.contains("hv=maintained"), "{export}");

    // The list marks high-value patents and names the county each counts for.
    let page = c.get("/patents?county=610926").await;
    let rows = extract(&page.body, "<tbody>", "</tbody>").unwrap();
    assert_eq!(rows.matches("高价值</span>").count(), 2, "{rows}");
    assert!(rows.contains("title=\"维持年限超过规定年数\">高价值</span>"), "{rows}");
    assert_eq!(rows.matches("<td>平利县</td>").count(), 3, "{rows}");
    assert!(c.get("/patents?county=outside").await.body.contains("<td>非本市</td>"));

    // The service counts in SQL what the page lists.
    let count = |place: Option<PlaceFilter>, high_value: Option<HighValueFilter>| {
        let filter = PatentFilter { place, high_value, limit: 1, ..PatentFilter::default() };
        let app = w.app.clone();
        async move { app.list_patents(&Actor::cli(), &filter).await.unwrap().total }
    };
    assert_eq!(count(None, Some(HighValueFilter::Any)).await, 5);
    assert_eq!(count(Some(PlaceFilter::City), Some(HighValueFilter::Any)).await, 4);
    assert_eq!(count(Some(PlaceFilter::County("610926".into())), None).await, 3);
    assert_eq!(count(Some(PlaceFilter::Outside), Some(HighValueFilter::Criterion(Criterion::Award))).await, 1);
    assert_eq!(count(None, Some(HighValueFilter::Criterion(Criterion::ForeignFamily))).await, 1);
}

#[tokio::test]
async fn the_export_has_the_high_value_columns_and_is_audited() {
    let w = World::new().await;
    let mut c = w.client(Some("ent")).await;
    let header = |t: &ipbridge_ingest::RawTable, name: &str| t.headers.iter().position(|h| h == name).unwrap();

    // Before the first refresh the columns say so.
    let res = c.get("/patents/export").await;
    assert_eq!(res.status, StatusCode::OK);
    let t = ipbridge_ingest::read_table("p.xlsx", &res.bytes, None).unwrap();
    assert_eq!(t.rows.len(), 7);
    let hv = header(&t, "高价值发明专利");
    assert!(t.rows.iter().all(|r| r.cells[hv] == "尚未汇总"), "{:?}", t.rows);

    w.refresh().await;
    let audited = w.exports().await;
    let res = c.get("/patents/export").await;
    assert_eq!(&res.bytes[..2], b"PK", "an xlsx workbook");
    assert_eq!(w.exports().await, audited + 1, "every export is audited");
    let t = ipbridge_ingest::read_table("p.xlsx", &res.bytes, None).unwrap();
    let (no, hv, met, county) =
        (header(&t, "申请号"), header(&t, "高价值发明专利"), header(&t, "满足的高价值条件"), header(&t, "归属县区"));
    let row = |p: P| {
        let r = t.rows.iter().find(|r| r.cells[no] == number(p)).unwrap();
        (r.cells[hv].as_str(), r.cells[met].as_str(), r.cells[county].as_str())
    };
    assert_eq!(row(P::Sei), ("是", "战略性新兴产业", "平利县"));
    assert_eq!(row(P::Family), ("是", "海外同族专利", "汉滨区"));
    assert_eq!(row(P::Maintained), ("是", "维持年限超过规定年数", "平利县"));
    assert_eq!(row(P::Pledge), ("是", "质押融资额较高", "旬阳市"));
    assert_eq!(row(P::Award), ("是", "获国家科学技术奖或中国专利奖", "非本市"));
    assert_eq!(row(P::Utility), ("否（非有效发明专利）", "", "平利县"));
    assert_eq!(row(P::Plain), ("否", "", "汉滨区"));

    // The export follows the list's filters.
    let res = c.get("/patents/export?county=city&hv=any").await;
    let t = ipbridge_ingest::read_table("p.xlsx", &res.bytes, None).unwrap();
    let no = header(&t, "申请号");
    let exported: BTreeSet<String> = t.rows.iter().map(|r| r.cells[no].clone()).collect();
    let expected: BTreeSet<String> = [P::Sei, P::Family, P::Maintained, P::Pledge].into_iter().map(number).collect();
    assert_eq!(exported, expected);

    // A second criterion (an award recorded for the SEI patent): both are listed, joined with 、 in the
    // national order, and the patent is found by either.
    let officer = Actor::logged_in(w.app.account_by_name("officer").await.unwrap(), "127.0.0.1", "req-officer");
    let award = AwardForm {
        application_no: number(P::Sei),
        award: "国家科学技术进步奖".into(),
        grade: "二等奖".into(),
        year: "2022".into(),
        note: String::new(),
    };
    w.app.record_award(&officer, &award).await.unwrap();
    w.refresh().await;
    let res = c.get("/patents/export?hv=award").await;
    let t = ipbridge_ingest::read_table("p.xlsx", &res.bytes, None).unwrap();
    let met = header(&t, "满足的高价值条件");
    let no = header(&t, "申请号");
    let r = t.rows.iter().find(|r| r.cells[no] == number(P::Sei)).expect("found by its second criterion");
    assert_eq!(r.cells[met], "战略性新兴产业、获国家科学技术奖或中国专利奖");
    assert_eq!(t.rows.len(), 2, "the two awarded patents");
    let sei = c.get("/patents?hv=sei").await;
    assert_eq!(listed(&sei.body), BTreeSet::from([P::Sei]));
}
