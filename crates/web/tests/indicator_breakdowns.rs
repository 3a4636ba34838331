//! HTTP tests of the indicator breakdowns, county pages, chain comparison and chain landscapes: the real router
//! in-process on a real SQLite file with the demo city, a test chain with patents placed in it by IPC prefix
//! and by keyword (and one outside the city that must not count), a published demand of that chain, and the
//! indicators refreshed.

mod common;

use common::{Client, extract};

use axum::Router;
use axum::http::StatusCode;
use ipbridge_domain::audit::Action;
use ipbridge_domain::patent::{ApplicationNo, PatentRecord};
use ipbridge_service::chains::ChainForm;
use ipbridge_service::demands::DemandForm;
use ipbridge_service::indicators::Scope;
use ipbridge_service::{Actor, App, AuditFilter, Settings};
use serde_json::{Value, json};

const PASSWORD: &str = "Demo#2026pass";
/// The test chain: one prefix and one keyword the demo's patents never use.
const CHAIN: &str = "konjac_test";
const CHAIN_NAME: &str = "蒟蒻制品测试链";
const DEMAND_TITLE: &str = "蒟蒻飞粉葡甘聚糖提取技术";

struct TestApp {
    _dir: tempfile::TempDir,
    app: App,
    router: Router,
}

fn record(serial: u32, fields: Value) -> PatentRecord {
    let no = ApplicationNo::from_parts(2019, 1, 990_000 + serial).unwrap();
    let mut base = json!({
        "application_no": no.as_str(), "patent_type": "invention", "legal_status": "granted",
        "filing_date": "2019-04-01", "grant_date": "2021-06-01",
    });
    for (k, v) in fields.as_object().unwrap() {
        base[k] = v.clone();
    }
    serde_json::from_value(base).unwrap()
}

impl TestApp {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        settings.server.data_dir = dir.path().to_owned();
        let app = App::open(settings, ipbridge_service::load_policy(None).unwrap()).await.unwrap();
        app.seed_demo(&Actor::cli(), Some(PASSWORD)).await.unwrap().unwrap();
        let form = ChainForm {
            code: CHAIN.into(),
            name: CHAIN_NAME.into(),
            ipc_prefixes: "B64G1".into(),
            keywords: "蒟蒻".into(),
            sort_order: "999".into(),
            active: true,
        };
        app.create_chain(&Actor::cli(), &form).await.unwrap();
        let city = |county: &str| json!([{"name": "安康市航天技术研究所", "address": format!("陕西省安康市{county}")}]);
        let beijing = json!([{"name": "北京某食品科技有限公司", "address": "北京市海淀区"}]);
        let mut records = vec![
            // In the chain by its IPC prefix.
            record(
                1,
                json!({"title": "一种卫星姿态控制装置", "applicants": city("汉滨区"), "province_code": "61",
                "main_ipc": "B64G1/24", "ipc_codes": ["B64G1/24"]}),
            ),
            // B64G10 is not under B64G1: in no test chain.
            record(
                2,
                json!({"title": "一种空间站对接机构", "applicants": city("汉滨区"), "province_code": "61",
                "main_ipc": "B64G10/00", "ipc_codes": ["B64G10/00"]}),
            ),
            // In the chain by the keyword in its title.
            record(
                3,
                json!({"title": "一种蒟蒻精粉加工方法", "applicants": city("平利县"), "province_code": "61",
                "main_ipc": "A23L19/10", "ipc_codes": ["A23L19/10"]}),
            ),
            // Under the prefix but Beijing's: not the city's, so it counts nowhere.
            record(
                4,
                json!({"title": "一种运载火箭分离机构", "applicants": beijing.clone(), "province_code": "11",
                "main_ipc": "B64G1/64", "ipc_codes": ["B64G1/64"]}),
            ),
        ];
        // What the demand needs is known elsewhere: patents outside the city fill the matcher's best hits.
        for i in 0..24 {
            records.push(record(10 + i, json!({
                "title": format!("一种从蒟蒻飞粉中提取葡甘聚糖的方法（{}）", i + 1),
                "abstract_text": "以蒟蒻精粉加工产生的飞粉为原料，经乙醇洗涤、酶解和膜分离提取葡甘聚糖，实现蒟蒻飞粉的综合利用。",
                "applicants": beijing.clone(), "province_code": "11",
                "main_ipc": "C08B37/14", "ipc_codes": ["C08B37/14"]})));
        }
        app.import_records(&Actor::cli(), "测试专利", records).await.unwrap();
        // A published demand of the chain, posted by the demo enterprise and published by the bureau.
        let enterprise = Actor::logged_in(app.account_by_name("enterprise_user").await.unwrap(), "127.0.0.1", "req-e");
        let bureau = Actor::logged_in(app.account_by_name("bureau_officer").await.unwrap(), "127.0.0.1", "req-b");
        let demand = DemandForm {
            enterprise_org_id: None,
            title: DEMAND_TITLE.into(),
            description: "蒟蒻精粉加工中产生大量飞粉，目前只能低价出售。希望获得从蒟蒻飞粉中提取葡甘聚糖的技术，实现飞粉综合利用。".into(),
            chain_code: CHAIN.into(),
            ipc_codes: String::new(),
            cooperation_mode: "license".into(),
            budget_min: String::new(),
            budget_max: "300000".into(),
            deadline: String::new(),
            contact_name: "王经理".into(),
            contact_phone: "13991501234".into(),
        };
        let id = app.create_demand(&enterprise, &demand, true).await.unwrap();
        app.publish_demand(&bureau, id).await.unwrap();
        app.refresh_indicators("test").await.unwrap();
        let router = ipbridge_web::router(app.clone());
        Self { _dir: dir, app, router }
    }

    fn client(&self) -> Client {
        Client::new(self.router.clone(), self.app.clone())
    }

    async fn logged_in(&self, username: &str) -> Client {
        let mut c = self.client();
        let res = c.login(username, PASSWORD).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{username}: {}", res.body);
        c
    }

    async fn exports(&self) -> u64 {
        let filter = AuditFilter {
            action: Some(Action::ListExport),
            object: Some("indicator_breakdown".into()),
            ..AuditFilter::default()
        };
        self.app.audit_page(&Actor::cli(), &filter).await.unwrap().total
    }
}

/// Every page of this file, for the permission checks.
const PAGES: &[&str] = &[
    "/indicators/breakdown",
    "/indicators/breakdown?scope=county%3A610902&dim=year",
    "/indicators/breakdown/export?scope=&dim=county",
    "/indicators/counties/610902",
    "/indicators/chains",
    "/indicators/chains/selenium_food",
];

#[tokio::test]
async fn only_accounts_that_view_indicators_see_the_pages() {
    let t = TestApp::new().await;
    let mut anonymous = t.client();
    for page in PAGES {
        let res = anonymous.get(page).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{page}");
        assert!(res.location.as_deref().is_some_and(|l| l.starts_with("/login?next=")), "{page}");
    }
    let mut enterprise = t.logged_in("enterprise_user").await;
    for page in PAGES {
        let res = enterprise.get(page).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{page}");
        assert!(res.body.contains("无权访问"), "{page}");
    }
    let home = enterprise.get("/").await;
    assert!(!home.body.contains("/indicators/chains"), "no indicator nav for enterprises");
    assert_eq!(t.exports().await, 0, "refused exports write nothing");
    for user in ["bureau_leader", "bureau_officer", "county_officer", "department_officer"] {
        let mut c = t.logged_in(user).await;
        for page in PAGES {
            assert_eq!(c.get(page).await.status, StatusCode::OK, "{user} {page}");
        }
    }
}

#[tokio::test]
async fn the_breakdown_lists_the_precomputed_rows_with_shares_tabs_and_a_chart() {
    let t = TestApp::new().await;
    let mut c = t.logged_in("bureau_leader").await;
    let cells = t.app.indicator_cells(&Actor::cli(), &Scope::City, "county").await.unwrap();
    let total = t.app.indicator_cells(&Actor::cli(), &Scope::City, "total").await.unwrap()[0].clone();
    assert!(total.patents > 300, "the demo city's patents are the city's: {}", total.patents);
    let page = c.get("/indicators/breakdown").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("分类统计：全市"));
    for cell in cells.iter().filter(|c| !c.key.is_empty()) {
        assert!(page.body.contains(&format!("<a href=\"/indicators/counties/{}\">{}</a>", cell.key, cell.label)));
    }
    let first = &cells[0];
    let row = format!(
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
        first.patents, first.in_force, first.valid_invention, first.high_value
    );
    assert!(page.body.contains(&row), "the first county's figures: {row}");
    assert!(page.body.contains(&format!(
        "<td>{}</td>",
        ipbridge_service::indicators::landscape::share_text(first.patents, total.patents)
    )));
    assert!(page.body.contains("全市合计"));
    // The chart follows the contract: a container naming its data block, linked to the county pages.
    assert!(page.body.contains("data-kind=\"bar\""));
    assert!(page.body.contains("data-link=\"/indicators/counties/{key}\""));
    let data = extract(&page.body, "<script type=\"application/json\" id=\"d-breakdown\">", "</script>").unwrap();
    let data: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(data["keys"][0], first.key.as_str());
    assert_eq!(data["series"][0]["data"][0].as_f64(), Some(first.patents as f64));
    assert!(page.body.contains("/static/charts.js"));
    // The city's tabs: no applicant rows (kept per chain only).
    assert!(page.body.contains("dim=ipc_class") && !page.body.contains("dim=applicant"));

    // A chain's breakdown has applicants and IPC groups; its years read oldest first.
    let chain = c.get("/indicators/breakdown?scope=chain%3Aselenium_food&dim=year").await;
    assert_eq!(chain.status, StatusCode::OK);
    assert!(chain.body.contains("分类统计：富硒食品") && chain.body.contains("dim=applicant"));
    assert!(chain.body.contains("href=\"/indicators/chains/selenium_food\""), "a link to the chain's landscape");
    let years: Vec<&str> = chain
        .body
        .split("<td>")
        .filter_map(|cell| cell.split_once("年</td>").map(|(y, _)| y))
        .filter(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    assert!(years.len() >= 2 && years.windows(2).all(|w| w[0] < w[1]), "years in order: {years:?}");

    // The city by chain notes the overlap and lists the patents in no chain.
    let chains = c.get("/indicators/breakdown?scope=&dim=chain").await;
    assert!(chains.body.contains("未归入重点产业链") && chains.body.contains("各行之和可能大于合计"));
    assert!(chains.body.contains(&format!("<a href=\"/indicators/chains/{CHAIN}\">{CHAIN_NAME}</a>")));
}

#[tokio::test]
async fn bad_scopes_and_dimensions_are_refused_in_chinese_and_unknown_pages_are_not_found() {
    let t = TestApp::new().await;
    let mut c = t.logged_in("bureau_leader").await;
    for (path, message) in [
        ("/indicators/breakdown?dim=applicant", "没有 “applicant” 这一统计维度"),
        ("/indicators/breakdown?dim=colour", "没有 “colour” 这一统计维度"),
        ("/indicators/breakdown?scope=county%3A999999", "未知的县（市、区）代码"),
        ("/indicators/breakdown?scope=chain%3Anope&dim=year", "未知的产业链代码"),
        ("/indicators/breakdown?scope=province%3A61", "未知的统计范围"),
        ("/indicators/breakdown/export?scope=&dim=applicant", "没有 “applicant” 这一统计维度"),
    ] {
        let res = c.get(path).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(res.body.contains(message), "{path}: {}", res.body);
        assert!(res.body.contains("E422") || res.body.contains("操作未完成"), "the error page: {path}");
    }
    assert_eq!(t.exports().await, 0, "a refused export is not recorded as one");
    for path in ["/indicators/counties/999999", "/indicators/chains/nope", "/indicators/counties/%3Cscript%3E"] {
        assert_eq!(c.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn the_export_is_a_real_workbook_and_is_audited() {
    let t = TestApp::new().await;
    let mut c = t.logged_in("county_officer").await;
    let before = t.exports().await;
    let res = c.get("/indicators/breakdown/export?scope=county%3A610902&dim=year").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.content_type.contains("spreadsheetml"), "{}", res.content_type);
    assert_eq!(&res.bytes[..2], b"PK", "an xlsx is a zip");
    assert_eq!(t.exports().await, before + 1);
    let filter = AuditFilter { action: Some(Action::ListExport), ..AuditFilter::default() };
    let latest = &t.app.audit_page(&Actor::cli(), &filter).await.unwrap().records[0].record;
    assert_eq!(latest.object_type, "indicator_breakdown");
    assert_eq!(latest.object_id, "county:610902|year");
    assert_eq!(latest.actor_name, "county_officer");
}

#[tokio::test]
async fn a_county_page_shows_its_figures_per_resident_trend_and_breakdowns() {
    let t = TestApp::new().await;
    let mut c = t.logged_in("bureau_leader").await;
    let scope = Scope::County("610902".into());
    let total = t.app.indicator_cells(&Actor::cli(), &scope, "total").await.unwrap()[0].clone();
    assert!(total.valid_invention > 0, "the demo has valid invention patents in 汉滨区");
    let page = c.get("/indicators/counties/610902").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("汉滨区知识产权指标"));
    assert!(page.body.contains(&format!("{} 件", total.valid_invention)));
    let per_10k = ipbridge_service::indicators::landscape::per_10k_text(total.valid_invention, Some(870_000)).unwrap();
    assert!(page.body.contains(&format!("{per_10k} 件")) && page.body.contains("常住人口 870000 人"));
    assert!(page.body.contains("有效商标持有量") && page.body.contains("地理标志用标市场主体"));
    // The trend from the snapshots, and breakdowns linking to the breakdown page.
    assert!(page.body.contains("id=\"c-trend-high_value_invention_patents-county-610902\""));
    let trend = extract(&page.body, "id=\"d-trend-valid_invention_patents-county-610902\">", "</script>").unwrap();
    let trend: Value = serde_json::from_str(&trend).unwrap();
    let series = trend["series"][0]["data"].as_array().unwrap();
    let last = series.last().unwrap().as_f64().unwrap();
    assert_eq!(last, total.valid_invention as f64, "the current month is the current count");
    assert!(
        page.body.contains("/indicators/charts/trend.xlsx?indicator=valid_invention_patents&#38;scope=county:610902")
    );
    for dim in ["chain", "institution", "enterprise", "type", "year", "ipc_class"] {
        assert!(page.body.contains(&format!("/indicators/breakdown?scope=county%3A610902&#38;dim={dim}")), "{dim}");
    }
    assert!(page.body.contains("data-link=\"/indicators/chains/{key}\""), "the chain chart opens the chains");

    // A development zone has no population of its own.
    let zone = c.get("/indicators/counties/6109A1").await;
    assert_eq!(zone.status, StatusCode::OK);
    assert!(zone.body.contains("未设置常住人口"));
}

#[tokio::test]
async fn the_chain_comparison_shows_the_mapping_and_what_each_rule_placed() {
    let t = TestApp::new().await;
    let mut leader = t.logged_in("bureau_leader").await;
    let page = leader.get("/indicators/chains").await;
    assert_eq!(page.status, StatusCode::OK);
    for chain in t.app.chains().await.unwrap().iter().filter(|c| c.active) {
        assert!(page.body.contains(&format!("<a href=\"/indicators/chains/{}\">{}</a>", chain.code, chain.name)));
    }
    assert!(page.body.contains("data-link=\"/indicators/chains/{key}\""));
    assert!(page.body.contains("A23F3 匹配 A23F3/06") && page.body.contains("不匹配 A23F30/00"));
    // The test chain: the prefix placed one city patent (the Beijing one does not count), the keyword one.
    let card = extract(&page.body, &format!("id=\"mapping-{CHAIN}\""), "</article>").unwrap();
    assert!(card.contains("共 2 件"), "{card}");
    assert!(card.contains("<td><code>B64G1</code></td><td>1</td><td>1</td>"), "{card}");
    assert!(card.contains("<td>蒟蒻</td><td>1</td><td>1</td>"), "{card}");
    // Only the bureau that maintains chains is offered the editor.
    assert!(!page.body.contains("href=\"/chains\""));
    let mut officer = t.logged_in("bureau_officer").await;
    assert!(officer.get("/indicators/chains").await.body.contains("href=\"/chains\""));
}

#[tokio::test]
async fn a_chain_landscape_shows_pool_patents_demands_and_the_gaps() {
    let t = TestApp::new().await;
    let mut c = t.logged_in("bureau_leader").await;
    let page = c.get("/indicators/chains/selenium_food").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("富硒食品专利态势"));
    for section in
        ["专利按申请年度", "主要申请人", "主要技术方向（IPC 大组）", "县（市、区）分布", "可转化专利库中的相关专利"]
    {
        assert!(page.body.contains(section), "{section}");
    }
    assert!(page.body.contains("id=\"c-chain-years\"") && page.body.contains("id=\"c-chain-counties\""));
    assert!(page.body.contains("id=\"c-trend-valid_invention_patents-chain-selenium_food\""));
    // The demo's selenium-tea patents in the pool, linked to their pool pages.
    let pool = extract(&page.body, "id=\"pool\"", "</section>").unwrap();
    assert!(pool.contains("href=\"/pool/"), "{pool}");
    // The demo's published tea demand, and its gap line.
    let tea = t
        .app
        .list_demands(
            &Actor::cli(),
            &ipbridge_service::DemandFilter { text: Some("富硒茶叶深加工".into()), ..Default::default() },
        )
        .await
        .unwrap()
        .demands[0]
        .id;
    assert!(page.body.contains(&format!("<a href=\"/demands/{tea}\">富硒茶叶深加工工艺</a>")));
    let gaps = t.app.chain_demand_gaps(&Actor::cli(), "selenium_food").await.unwrap();
    assert!(!gaps.is_empty());
    let section = extract(&page.body, "id=\"gaps\"", "</section>").unwrap();
    for g in &gaps {
        assert!(section.contains(&format!("<td>{} / {}</td>", g.local, g.hits)), "{g:?}");
    }
    assert!(gaps.windows(2).all(|w| w[0].local <= w[1].local), "fewest local matches first");

    // The test chain: its demand finds patents elsewhere, hardly any in the city — a gap.
    let page = c.get(&format!("/indicators/chains/{CHAIN}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let gaps = t.app.chain_demand_gaps(&Actor::cli(), CHAIN).await.unwrap();
    assert_eq!(gaps.len(), 1);
    assert!(gaps[0].local < 3, "{gaps:?}");
    let section = extract(&page.body, "id=\"gaps\"", "</section>").unwrap();
    assert!(section.contains(DEMAND_TITLE) && section.contains("缺口"), "{section}");
    let mapping = extract(&page.body, "id=\"mapping\"", "</section>").unwrap();
    assert!(mapping.contains("<td><code>B64G1</code></td><td>1</td>"), "{mapping}");
    assert!(page.body.contains("可转化专利库中暂无本产业链的专利"));
}
