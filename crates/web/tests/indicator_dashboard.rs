//! HTTP tests of the indicator dashboard, its chart exports, the printable report, the snapshots page and the
//! vendored chart library: the real router in-process on the demo city, logged in as the demo accounts.

mod common;

use common::{Client, Res, extract};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use ipbridge_domain::audit::Action;
use ipbridge_service::{Actor, App, AuditFilter, Settings};

const PASSWORD: &str = "Demo#2026pass";

/// The chart library as vendored, and as the build compressed it.
const ECHARTS: &[u8] = include_bytes!("../static/echarts.min.js");
const ECHARTS_GZ: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/echarts.min.js.gz"));

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
        let app: App = App::open(settings, ipbridge_service::load_policy(None).unwrap()).await.unwrap();
        app.seed_demo(&Actor::cli(), Some(PASSWORD)).await.unwrap().unwrap();
        let router = ipbridge_web::router(app.clone());
        Self { _dir: dir, app, router }
    }

    fn anonymous(&self) -> Client {
        Client::new(self.router.clone(), self.app.clone())
    }

    async fn logged_in(&self, username: &str) -> Client {
        let mut c = self.anonymous();
        let res = c.login(username, PASSWORD).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{username}: {}", res.body);
        c
    }

    async fn audit_count(&self, action: Action, object: &str) -> u64 {
        let filter = AuditFilter { action: Some(action), object: Some(object.to_owned()), ..AuditFilter::default() };
        self.app.audit_page(&Actor::cli(), &filter).await.unwrap().total
    }
}

fn ok(res: &Res, what: &str) {
    assert_eq!(res.status, StatusCode::OK, "{what}: {}", res.body);
}

fn is_xlsx(res: &Res, what: &str) {
    ok(res, what);
    assert!(res.content_type.starts_with("application/vnd.openxmlformats"), "{what}: {}", res.content_type);
    assert!(res.bytes.starts_with(b"PK\x03\x04"), "{what}: an xlsx is a zip file");
}

/// The target card of `code` on the dashboard.
fn card<'a>(body: &'a str, code: &str) -> &'a str {
    let start = body.find(&format!("data-indicator=\"{code}\"")).unwrap_or_else(|| panic!("card {code}"));
    let end = body[start..].find("</li>").unwrap() + start;
    &body[start..end]
}

#[tokio::test]
async fn only_indicator_readers_see_the_pages_and_only_the_bureau_takes_snapshots() {
    let t = TestApp::new().await;
    let pages = [
        "/indicators",
        "/indicators/report",
        "/indicators/snapshots",
        "/indicators/charts/counties.xlsx",
        "/indicators/charts/trend.xlsx?indicator=valid_invention_patents&scope=",
    ];

    let mut anonymous = t.anonymous();
    for path in pages {
        let res = anonymous.get(path).await;
        assert!(res.location.as_deref().is_some_and(|l| l.starts_with("/login?next=")), "anonymous {path}");
    }
    let res = anonymous.post_raw("/indicators/snapshots", &[]).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "anonymous snapshot");

    let mut enterprise = t.logged_in("enterprise_user").await;
    for path in pages {
        assert_eq!(enterprise.get(path).await.status, StatusCode::FORBIDDEN, "enterprise {path}");
    }
    let home = enterprise.get("/").await;
    assert!(!home.body.contains("href=\"/indicators\""), "no indicator navigation for an enterprise");
    assert_eq!(enterprise.post("/indicators/snapshots", &[]).await.status, StatusCode::FORBIDDEN);

    let mut leader = t.logged_in("bureau_leader").await;
    for path in ["/indicators", "/indicators/report", "/indicators/snapshots"] {
        ok(&leader.get(path).await, path);
    }
    let page = leader.get("/indicators/snapshots").await;
    assert!(!page.body.contains("action=\"/indicators/snapshots\""), "a leader is offered no snapshot button");
    let before = t.audit_count(Action::SnapshotTake, "indicator_snapshot").await;
    assert_eq!(leader.post("/indicators/snapshots", &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.audit_count(Action::SnapshotTake, "indicator_snapshot").await, before, "nothing taken");

    // County officers and departments read the indicators too.
    ok(&t.logged_in("county_officer").await.get("/indicators").await, "county officer");
}

#[tokio::test]
async fn the_dashboard_says_when_nothing_is_computed_yet_then_shows_the_targets_with_actuals() {
    let t = TestApp::new().await;
    let mut leader = t.logged_in("bureau_leader").await;
    let page = leader.get("/indicators").await;
    ok(&page, "before the first refresh");
    assert!(page.body.contains("id=\"not-ready\"") && page.body.contains("指标尚未汇总"), "{}", page.body);
    assert!(!page.body.contains("class=\"chart\""), "no empty charts before the first refresh");

    t.app.refresh_indicators("test").await.unwrap();
    let overview = t.app.indicator_overview(&Actor::cli()).await.unwrap();
    let page = leader.get("/indicators").await;
    ok(&page, "after the refresh");
    assert!(!page.body.contains("id=\"not-ready\""));
    assert!(page.body.contains("数据更新于") && page.body.contains("分钟自动汇总"), "the data time");

    // The three targets of measure 2, each with its actual, target, gap and time left.
    for (code, name) in [
        ("valid_invention_patents", "有效发明专利拥有量"),
        ("high_value_invention_patents", "高价值发明专利拥有量"),
        ("valid_trademarks", "有效商标持有量"),
    ] {
        let c = card(&page.body, code);
        let target = overview.targets.iter().find(|x| x.indicator.code() == code).unwrap();
        assert!(c.contains(name), "{code}: {c}");
        assert!(c.contains("措施 2"), "{code}: the measure");
        let actual = extract(c, "<span class=\"big ind-actual\">", "</span>").unwrap();
        assert_eq!(actual, target.actual_text, "{code}");
        assert!(c.contains(&format!("目标 {} 件", target.target_text)), "{code}: {c}");
        assert!(c.contains("距截止还有") || c.contains("已逾期") || c.contains("今天截止"), "{code}: {c}");
        match &target.progress {
            Some(p) => {
                let gap = if p.gap == 0 { "已达到目标".to_owned() } else { format!("差距 {} 件", p.gap) };
                assert!(c.contains(&gap), "{code}: {gap} in {c}");
                assert!(c.contains(p.status.label()), "{code}: status");
            }
            None => assert!(code == "valid_trademarks" && c.contains("尚未录入统计数据"), "{code}: {c}"),
        }
    }
    // The patent indicators are counted from the demo's patents.
    let valid = overview.targets.iter().find(|x| x.indicator.code() == "valid_invention_patents").unwrap();
    assert!(valid.actual.is_some_and(|v| v > 0), "the demo city holds valid invention patents");

    // The other indicators, and the charts with their downloads and links.
    for label in
        ["每万人口高价值发明专利拥有量", "地理标志用标市场主体", "专利密集型产业增加值占GDP比重", "已转化存量专利"]
    {
        assert!(page.body.contains(label), "{label}");
    }
    assert!(page.body.contains("未给出目标数值"), "the patent-intensive share has no number to reach");
    for id in [
        "c-trend-valid_invention_patents",
        "c-trend-high_value_invention_patents",
        "c-counties",
        "c-chains",
        "c-criteria",
    ] {
        assert!(page.body.contains(&format!("id=\"{id}\"")), "{id}");
        assert!(page.body.contains(&format!("data-chart-png=\"{id}\"")), "{id}: 下载图片");
    }
    assert!(page.body.contains("data-link=\"/indicators/counties/{key}\""));
    assert!(page.body.contains("data-link=\"/indicators/chains/{key}\""));
    assert!(page.body.contains("href=\"/indicators/charts/counties.xlsx\""));
    assert!(page.body.contains("/static/echarts.min.js") && page.body.contains("/static/charts.js"));
    // The chart data is data, not script, and carries the target as a dashed line.
    let json =
        extract(&page.body, "<script type=\"application/json\" id=\"d-trend-valid_invention_patents\">", "</script>")
            .unwrap();
    let data: serde_json::Value = serde_json::from_str(&json).unwrap();
    let series = data["series"].as_array().unwrap();
    assert_eq!(series[0]["name"], "实际值");
    assert_eq!(series[1]["dashed"], true);
    assert_eq!(series[1]["data"][0], 400.0);
    assert!(!data["categories"].as_array().unwrap().is_empty(), "months since the first snapshot");
    let json = extract(&page.body, "<script type=\"application/json\" id=\"d-counties\">", "</script>").unwrap();
    let data: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(data["keys"][0], t.app.policy.counties[0].code.as_str());
    assert_eq!(data["categories"][0], t.app.policy.counties[0].name.as_str());
}

#[tokio::test]
async fn chart_data_downloads_as_real_audited_xlsx_and_bad_names_are_refused_in_chinese() {
    let t = TestApp::new().await;
    t.app.refresh_indicators("test").await.unwrap();
    let mut leader = t.logged_in("bureau_leader").await;
    for (path, list) in [
        ("/indicators/charts/trend.xlsx?indicator=valid_invention_patents&scope=", "indicator_chart_trend"),
        (
            "/indicators/charts/trend.xlsx?indicator=high_value_invention_patents&scope=county:610902",
            "indicator_chart_trend",
        ),
        ("/indicators/charts/counties.xlsx", "indicator_chart_counties"),
        ("/indicators/charts/chains.xlsx", "indicator_chart_chains"),
        ("/indicators/charts/criteria.xlsx", "indicator_chart_criteria"),
    ] {
        let before = t.audit_count(Action::ListExport, list).await;
        is_xlsx(&leader.get(path).await, path);
        assert_eq!(t.audit_count(Action::ListExport, list).await, before + 1, "{path} is audited");
    }

    let res = leader.get("/indicators/charts/pies.xlsx").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("没有名为"), "{}", res.body);
    let res = leader.get("/indicators/charts/trend.xlsx?indicator=nope").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("未知指标代码"), "{}", res.body);
    let res = leader.get("/indicators/charts/trend.xlsx?indicator=valid_invention_patents&scope=county:999999").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("没有这个统计范围"), "{}", res.body);
    assert_eq!(leader.get("/indicators/charts/counties").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_printable_report_names_the_city_and_the_document_and_prints_on_a4() {
    let t = TestApp::new().await;
    let mut leader = t.logged_in("bureau_leader").await;
    let before = leader.get("/indicators/report").await;
    ok(&before, "report before the refresh");
    assert!(before.body.contains("指标尚未汇总"));

    t.app.refresh_indicators("test").await.unwrap();
    let page = leader.get("/indicators/report").await;
    ok(&page, "report");
    let policy = &t.app.policy;
    assert!(page.body.contains(&format!("{}知识产权指标情况报告", policy.city.name)), "{}", page.body);
    assert!(page.body.contains(&format!("《{}》", policy.document.title)));
    assert!(page.body.contains(&policy.document.number));
    assert!(page.body.contains("数据更新于"));
    for heading in [
        "一、目标完成情况",
        "二、目标指标月度趋势",
        "三、各县（市、区）",
        "四、重点产业链",
        "五、高价值发明专利认定条件",
    ] {
        assert!(page.body.contains(heading), "{heading}");
    }
    assert!(page.body.contains("data-renderer=\"svg\""), "print-crisp charts");
    assert!(page.body.contains("data-print"), "a print button (script in charts.js, none inline)");
    assert!(!page.body.contains("onclick"), "no inline script");
    assert!(page.body.contains(&policy.counties[0].name), "the county table");
    let css = leader.get("/static/app.css").await;
    assert!(css.body.contains("@page { size: A4; margin: 15mm; }"));
}

#[tokio::test]
async fn the_bureau_takes_a_snapshot_and_reads_and_exports_a_month() {
    let t = TestApp::new().await;
    let mut officer = t.logged_in("bureau_officer").await;
    let page = officer.get("/indicators/snapshots").await;
    ok(&page, "snapshots");
    assert!(page.body.contains("尚无快照"));
    assert!(page.body.contains("action=\"/indicators/snapshots\""), "the officer may take one");

    let before = t.audit_count(Action::SnapshotTake, "indicator_snapshot").await;
    let res = officer.post("/indicators/snapshots", &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(t.audit_count(Action::SnapshotTake, "indicator_snapshot").await, before + 1, "audited");
    let month = ipbridge_domain::indicators::Month::of(t.app.china_today()).to_string();
    assert_eq!(res.location.as_deref(), Some(format!("/indicators/snapshots?month={month}").as_str()));

    let page = officer.get(&format!("/indicators/snapshots?month={month}")).await;
    ok(&page, "the month");
    assert!(page.body.contains("已重新汇总并记录") && page.body.contains("有效发明专利"), "the flash with the figures");
    assert!(page.body.contains(&format!("{month} 各项指标")));
    assert!(page.body.contains("手动"), "taken by hand");
    assert!(page.body.contains("回溯重建"), "the history reconstructed at the first refresh");
    assert!(page.body.contains("<td>全市</td>"));
    assert!(page.body.contains(&format!("<td>{}</td>", t.app.policy.counties[0].name)));
    assert!(page.body.contains("手动快照"), "the run's trigger");

    let before = t.audit_count(Action::ListExport, "indicator_snapshots").await;
    is_xlsx(&officer.get(&format!("/indicators/snapshots/export?month={month}")).await, "month export");
    assert_eq!(t.audit_count(Action::ListExport, "indicator_snapshots").await, before + 1);

    let res = officer.get("/indicators/snapshots?month=2025-13").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("月份格式不正确"), "{}", res.body);
    let res = officer.get("/indicators/snapshots/export").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("请指定要导出的月份"));
}

#[tokio::test]
async fn the_chart_library_goes_out_gzipped_once_to_browsers_that_accept_it_and_plain_to_others() {
    let t = TestApp::new().await;
    let get = |encoding: Option<&str>| {
        let mut req = Request::builder().uri("/static/echarts.min.js");
        if let Some(e) = encoding {
            req = req.header(header::ACCEPT_ENCODING, e);
        }
        t.router.clone().oneshot_request(req.body(Body::empty()).unwrap())
    };

    let (headers, body) = get(Some("gzip, deflate, br")).await;
    assert_eq!(headers.get_all(header::CONTENT_ENCODING).iter().collect::<Vec<_>>(), ["gzip"]);
    // Exactly the bytes the build compressed: the compression layer did not compress them again.
    assert_eq!(body.len(), ECHARTS_GZ.len());
    assert!(body == ECHARTS_GZ, "the precompressed file, untouched");
    assert!(body.starts_with(&[0x1f, 0x8b]) && body.len() < 450_000, "{} bytes", body.len());
    assert!(headers[header::CACHE_CONTROL].to_str().unwrap().contains("max-age=31536000"));
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/javascript"));
    assert!(headers.get_all(header::VARY).iter().any(|v| v.to_str().unwrap().eq_ignore_ascii_case("accept-encoding")));

    let (headers, body) = get(None).await;
    assert!(headers.get(header::CONTENT_ENCODING).is_none());
    assert!(body == ECHARTS, "the plain file");
    let (headers, body) = get(Some("gzip;q=0, identity")).await;
    assert!(headers.get(header::CONTENT_ENCODING).is_none() && body.len() == ECHARTS.len());

    // The driver and the licence are served too.
    let (headers, body) = get_path(&t.router, "/static/charts.js").await;
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/javascript"));
    assert!(String::from_utf8_lossy(&body).contains("data-chart-png"));
    let (_, body) = get_path(&t.router, "/static/echarts.LICENSE.txt").await;
    assert!(String::from_utf8_lossy(&body).contains("Apache License"));
}

async fn get_path(router: &Router, path: &str) -> (axum::http::HeaderMap, Vec<u8>) {
    router.clone().oneshot_request(Request::builder().uri(path).body(Body::empty()).unwrap()).await
}

/// One request through the router, read whole.
trait Oneshot {
    async fn oneshot_request(self, req: Request<Body>) -> (axum::http::HeaderMap, Vec<u8>);
}

impl Oneshot for Router {
    async fn oneshot_request(self, req: Request<Body>) -> (axum::http::HeaderMap, Vec<u8>) {
        use tower::ServiceExt;
        let res = self.oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap().to_vec();
        (headers, bytes)
    }
}
