//! HTTP tests of the bureau's indicator inputs (获奖专利, 商标与产业统计, 申请人归属): the real router in-process on
//! the demo city, logged in as the demo accounts. Who may read and who may change, the forms with their
//! Chinese messages, the imports with their per-row report, and the audit record behind every change.

mod common;

use common::{Client, Res, extract};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::Datelike;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::indicators::Month;
use ipbridge_service::{Actor, App, AuditFilter, Settings};

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
        let app: App = App::open(settings, ipbridge_service::load_policy(None).unwrap()).await.unwrap();
        app.seed_demo(&Actor::cli(), Some(PASSWORD)).await.unwrap().unwrap();
        app.refresh_indicators("test").await.unwrap();
        let router = ipbridge_web::router(app.clone());
        Self { _dir: dir, app, router }
    }

    async fn logged_in(&self, username: &str) -> Client {
        let mut c = Client::new(self.router.clone(), self.app.clone());
        c.get("/login").await;
        let res = c.post("/login", &[("username", username), ("password", PASSWORD)]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{username}: {}", res.body);
        c
    }

    fn anonymous(&self) -> Client {
        Client::new(self.router.clone(), self.app.clone())
    }

    /// How many successful audit records an action has.
    async fn audited(&self, action: Action) -> u64 {
        let filter = AuditFilter { action: Some(action), outcome: Some(Outcome::Success), ..AuditFilter::default() };
        self.app.audit_page(&Actor::cli(), &filter).await.unwrap().total
    }

    /// A demo patent without a recorded award: (id, application number, title).
    async fn a_patent(&self) -> (i64, String, String) {
        let awards = self.app.awards(&Actor::cli(), &Default::default()).await.unwrap();
        let page = self.app.list_patents(&Actor::cli(), &Default::default()).await.unwrap();
        let p = page
            .patents
            .iter()
            .find(|p| awards.awards.iter().all(|a| a.application_no != p.application_no))
            .expect("a patent without an award");
        (p.id.get(), p.application_no.clone(), p.title.clone())
    }
}

impl Client {
    /// An import form as a browser sends it: the CSRF field first, then the file.
    async fn upload(&mut self, path: &str, name: &str, bytes: &[u8]) -> Res {
        let boundary = "----ipbridge-indicator-boundary";
        let token = self.csrf.clone().unwrap();
        let mut body = Vec::new();
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n").as_bytes(),
        );
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }
}

fn is_xlsx(res: &Res) {
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.content_type.starts_with("application/vnd.openxmlformats"), "{}", res.content_type);
    assert!(res.bytes.starts_with(b"PK"), "an xlsx is a zip file");
}

fn csv(lines: &[&str]) -> Vec<u8> {
    let mut text = lines.join("\r\n");
    text.push_str("\r\n");
    text.into_bytes()
}

const PAGES: [&str; 3] = ["/indicators/awards", "/indicators/statistics", "/indicators/places"];

#[tokio::test]
async fn readers_see_the_pages_only_the_bureau_officer_changes_them() {
    let t = TestApp::new().await;
    // The demo's bureau entered statistics and awards; only changes made here are counted below.
    let changes = t.audited(Action::AwardRecord).await + t.audited(Action::PlaceSet).await;
    let mut officer = t.logged_in("bureau_officer").await;
    for page in PAGES {
        let res = officer.get(page).await;
        assert_eq!(res.status, StatusCode::OK, "{page}: {}", res.body);
        assert!(res.body.contains("name=\"csrf\""), "{page} has the officer's forms");
    }
    let home = officer.get("/").await;
    assert!(home.body.contains("href=\"/indicators/awards\"") && home.body.contains("href=\"/indicators/places\""));
    for page in ["/indicators/awards/import", "/indicators/statistics/import"] {
        assert_eq!(officer.get(page).await.status, StatusCode::OK, "{page}");
    }
    is_xlsx(&officer.get("/indicators/awards/import/template.xlsx").await);
    is_xlsx(&officer.get("/indicators/statistics/import/template.xlsx?month=2025-06").await);

    // The leader reads, without forms, and every change is refused.
    let mut leader = t.logged_in("bureau_leader").await;
    for page in PAGES {
        let res = leader.get(page).await;
        assert_eq!(res.status, StatusCode::OK, "{page}");
        assert!(!res.body.contains("action=\"/indicators/awards\" class=\"stack\""), "{page}: no award form");
        assert!(!res.body.contains("/indicators/places/set"), "{page}: no place form");
        assert!(!res.body.contains("/indicators/statistics/trademarks"), "{page}: no statistics form");
    }
    is_xlsx(&leader.get("/indicators/awards/export").await);
    is_xlsx(&leader.get("/indicators/statistics/export").await);
    let (_, no, _) = t.a_patent().await;
    let posts: [(&str, Vec<(&str, &str)>); 6] = [
        ("/indicators/awards", vec![("application_no", no.as_str()), ("award", "china_patent"), ("year", "2024")]),
        ("/indicators/awards/1/delete", vec![]),
        ("/indicators/statistics/trademarks", vec![("month", "2025-06"), ("t_610902", "1"), ("g_610902", "1")]),
        ("/indicators/statistics/intensive", vec![("year", "2024"), ("value_added_wan", "1"), ("gdp_wan", "2")]),
        ("/indicators/places/set", vec![("name", "安康学院"), ("choice", "outside"), ("note", "x")]),
        ("/indicators/places/clear", vec![("name", "安康学院")]),
    ];
    for (path, fields) in &posts {
        let res = leader.post(path, fields).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "leader {path}");
        assert!(res.body.contains("您没有执行此操作的权限"), "{path}");
    }
    for page in
        ["/indicators/awards/import", "/indicators/statistics/import", "/indicators/awards/import/template.xlsx"]
    {
        assert_eq!(leader.get(page).await.status, StatusCode::FORBIDDEN, "leader {page}");
    }
    assert_eq!(t.audited(Action::AwardRecord).await + t.audited(Action::PlaceSet).await, changes);

    // An enterprise user sees nothing of it, not even the menu.
    let mut ent = t.logged_in("enterprise_user").await;
    for page in PAGES.iter().chain(&["/indicators/awards/export", "/indicators/statistics/export"]) {
        assert_eq!(ent.get(page).await.status, StatusCode::FORBIDDEN, "enterprise {page}");
    }
    assert!(!ent.get("/").await.body.contains("/indicators/awards"));
    let res = ent.post("/indicators/awards", &posts[0].1).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    // An anonymous visitor is sent to the login page, and a post is refused.
    let mut anon = t.anonymous();
    for page in PAGES {
        let res = anon.get(page).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{page}");
        assert!(res.location.as_deref().unwrap_or("").starts_with("/login?next="), "{page}");
    }
    anon.get("/login").await;
    let res = anon.post("/indicators/places/set", &posts[4].1).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.audited(Action::AwardRecord).await + t.audited(Action::PlaceSet).await, changes);
}

#[tokio::test]
async fn awards_are_added_listed_deleted_and_imported() {
    let t = TestApp::new().await;
    let (id, no, title) = t.a_patent().await;
    let recorded = t.audited(Action::AwardRecord).await;
    let mut c = t.logged_in("bureau_officer").await;
    c.get("/indicators/awards").await;

    // Bad input re-renders the form with the input and a Chinese message per field.
    let res =
        c.post("/indicators/awards", &[("application_no", "202310123456.5"), ("award", ""), ("year", "1984")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("校验位错误") && res.body.contains("请选择奖项") && res.body.contains("不在1985年至"));
    assert!(res.body.contains("value=\"202310123456.5\""), "the input comes back");

    let res = c
        .post(
            "/indicators/awards",
            &[
                ("application_no", &no),
                ("award", "china_patent"),
                ("grade", "金奖"),
                ("year", "2024"),
                ("note", "第二十五届"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let list = c.get("/indicators/awards").await;
    assert!(list.body.contains("获奖专利已登记"), "the flash");
    assert!(list.body.contains(&format!("<a href=\"/patents/{id}\">{title}</a>")), "linked to the patent page");
    let res =
        c.post("/indicators/awards", &[("application_no", &no), ("award", "中国专利金奖"), ("year", "2024")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("该专利2024年的中国专利奖已登记，无需重复登记"));
    assert_eq!(t.audited(Action::AwardRecord).await, recorded + 1);

    // Filters and the export.
    assert!(c.get("/indicators/awards?award=national_sci_tech").await.body.contains("没有符合条件的获奖登记"));
    assert!(c.get("/indicators/awards?award=china_patent&year=2024").await.body.contains(&title));
    is_xlsx(&c.get("/indicators/awards/export?award=china_patent").await);

    // A list with a good row, a patent not imported yet, and three bad rows.
    let later = ipbridge_domain::patent::ApplicationNo::from_parts(2016, 1, 987_654).unwrap();
    let file = csv(&[
        "申请号,奖项,等级,年度,备注",
        &format!("{no},中国专利奖,金奖,2024,重复"),
        &format!("{},国家科学技术进步奖,二等奖,2020,", later.as_str()),
        "123,中国专利奖,,2024,",
        &format!("{},省长质量奖,,2024,", later.as_str()),
        &format!("{},中国专利奖,,{},", later.as_str(), chrono::Utc::now().year() + 2),
    ]);
    c.get("/indicators/awards/import").await;
    let res = c.upload("/indicators/awards/import", "获奖名单.csv", &file).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let result_path = res.location.unwrap();
    let page = c.get(&result_path).await;
    assert_eq!(page.status, StatusCode::OK);
    let counts = extract(&page.body, "id=\"import-counts\"", "</ul>").unwrap();
    assert!(counts.contains("<strong>读取</strong><span class=\"big\">5</span>"), "{counts}");
    assert!(counts.contains("<strong>已登记</strong><span class=\"big\">1</span>"), "{counts}");
    assert!(counts.contains("<strong>未导入</strong><span class=\"big\">4</span>"), "{counts}");
    let rows = extract(&page.body, "id=\"import-rows\"", "</table>").unwrap();
    assert_eq!(rows.matches("<tr><td>").count(), 5, "every row has its outcome");
    assert!(rows.contains("该专利2024年的中国专利奖已登记"));
    assert!(rows.contains("【申请号】"));
    assert!(rows.contains("无法识别的奖项“省长质量奖”"));
    is_xlsx(&c.get(&format!("{result_path}/report")).await);
    assert_eq!(t.audited(Action::AwardImport).await, 1);
    // Another account cannot open the outcome.
    let mut other = t.logged_in("bureau_leader").await;
    assert_eq!(other.get(&result_path).await.status, StatusCode::FORBIDDEN);
    // A file that is not a table comes back with the reason.
    c.get("/indicators/awards/import").await;
    let res = c.upload("/indicators/awards/import", "名单.csv", "申请号,奖项\r\n1,2\r\n".as_bytes()).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("找不到“年度”列"), "{}", res.body);

    // The not-yet-imported patent's award shows as such; deleting asks first and is audited.
    let list = c.get("/indicators/awards").await;
    assert!(list.body.contains("未入库"));
    assert!(list.body.contains("data-confirm=\"确定删除"));
    let award_id = extract(&list.body, "action=\"/indicators/awards/", "/delete\"").unwrap();
    let res = c.post_raw(&format!("/indicators/awards/{award_id}/delete"), &[]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "no CSRF token, no delete");
    let res = c.post(&format!("/indicators/awards/{award_id}/delete"), &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(t.audited(Action::AwardDelete).await, 1);
    assert_eq!(c.post("/indicators/awards/999999/delete", &[]).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn statistics_are_entered_by_month_and_year_and_imported() {
    let t = TestApp::new().await;
    let mut c = t.logged_in("bureau_officer").await;
    let last = Month::of(t.app.china_today()).previous();
    let (saved, intensive_saved) =
        (t.audited(Action::TrademarkStatsSave).await, t.audited(Action::IntensiveStatsSave).await);
    let page = c.get("/indicators/statistics").await;
    assert!(
        page.body.contains(&format!("type=\"month\" name=\"month\" value=\"{last}\"")),
        "the last month is offered"
    );
    assert!(page.body.contains("name=\"t_610902\"") && page.body.contains("name=\"g_6109A2\""), "one line per county");

    // A month before the demo's statistics begin, so the totals are this test's alone.
    let month = "2023-06".to_owned();
    let res = c
        .post(
            "/indicators/statistics/trademarks",
            &[("month", &month), ("t_610902", "8,650"), ("g_610902", "120"), ("t_610921", "1200"), ("g_610921", "0")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = c.get(res.location.as_deref().unwrap()).await;
    assert!(page.body.contains("已保存2个县区的统计数据"));
    let table = extract(&page.body, "id=\"trademark-table\"", "</table>").unwrap();
    assert!(table.contains("8,650") && table.contains("<strong>9,850</strong>"), "the city's total: {table}");
    assert!(page.body.contains("name=\"t_610902\" value=\"8650\""), "the form reloads the month");
    assert_eq!(t.audited(Action::TrademarkStatsSave).await, saved + 1);

    let res = c
        .post("/indicators/statistics/trademarks", &[("month", "2999-01"), ("t_610902", "-1"), ("g_610902", "1")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("尚未结束") && res.body.contains("汉滨区：有效商标持有量“-1”不能为负数"), "{}", res.body);
    assert!(res.body.contains("name=\"t_610902\" value=\"-1\""), "the input comes back");

    // A year of patent-intensive industry figures: the share and the change against the year before.
    let year = t.app.china_today().year() - 1;
    for (y, va) in [(year - 1, "1100000"), (year, "1,250,000")] {
        let y = y.to_string();
        let res = c
            .post(
                "/indicators/statistics/intensive",
                &[("year", &y), ("value_added_wan", va), ("gdp_wan", "12,500,000"), ("note", "统计公报")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    }
    let page = c.get("/indicators/statistics").await;
    let intensive = extract(&page.body, "id=\"intensive-table\"", "</table>").unwrap();
    assert!(intensive.contains("<strong>10.00%</strong>") && intensive.contains("+1.20 个百分点"), "{intensive}");
    let res = c
        .post("/indicators/statistics/intensive", &[("year", "1999"), ("value_added_wan", "x"), ("gdp_wan", "0")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("不在2000年至")
            && res.body.contains("不是数字")
            && res.body.contains("地区生产总值必须大于0")
    );
    assert_eq!(t.audited(Action::IntensiveStatsSave).await, intensive_saved + 2);
    is_xlsx(&c.get("/indicators/statistics/intensive/export").await);

    // The import: one good row, one replacing the form's figure, a total row and an unknown county.
    let file = csv(&[
        "县区,月份,有效商标持有量,地理标志用标市场主体",
        &format!("石泉县,{month},300,2"),
        "汉滨区,2023年6月,8700,121",
        &format!("全市,{month},1,1"),
        &format!("长安区,{month},1,1"),
    ]);
    c.get("/indicators/statistics/import").await;
    let res = c.upload("/indicators/statistics/import", "商标统计.csv", &file).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let result_path = res.location.unwrap();
    let page = c.get(&result_path).await;
    let counts = extract(&page.body, "id=\"import-counts\"", "</ul>").unwrap();
    assert!(counts.contains("<strong>新增</strong><span class=\"big\">1</span>"), "{counts}");
    assert!(counts.contains("<strong>覆盖更新</strong><span class=\"big\">1</span>"), "{counts}");
    assert!(counts.contains("<strong>未导入</strong><span class=\"big\">2</span>"), "{counts}");
    assert!(page.body.contains("合计行不导入") && page.body.contains("“长安区”不是本市的县区"));
    assert!(page.body.contains("（原为 8650 / 120）"));
    is_xlsx(&c.get(&format!("{result_path}/report")).await);
    assert_eq!(t.audited(Action::TrademarkStatsImport).await, 1);
    // The page lists the latest twelve months; the older ones on request.
    let page = c.get("/indicators/statistics").await;
    assert!(page.body.contains("显示全部月份") && !page.body.contains("<strong>2023-06</strong>"));
    let table =
        extract(&c.get("/indicators/statistics?all=1").await.body, "id=\"trademark-table\"", "</table>").unwrap();
    assert!(
        table.contains("<strong>2023-06</strong>") && table.contains("<strong>10,200</strong>"),
        "8700 + 1200 + 300"
    );
}

#[tokio::test]
async fn applicants_are_placed_and_the_place_cleared() {
    let t = TestApp::new().await;
    let mut c = t.logged_in("bureau_officer").await;
    let page = c.get("/indicators/places").await;
    assert!(
        page.body.contains("人工指定") && page.body.contains("关联机构") && page.body.contains("国省代码"),
        "the rule"
    );
    let counts = extract(&page.body, "id=\"basis-counts\"", "</ul>").unwrap();
    assert!(counts.contains("无法归属本市"), "{counts}");
    let table = extract(&page.body, "id=\"places\"", "</table>").unwrap();
    let name = extract(&table, "<tr>\n        <td>", "</td>").expect("a first applicant");
    assert!(page.body.contains("本市（县区不明）") && page.body.contains("不属于本市"), "the choices");

    // The note is required; the message comes back on the list.
    let back = "/indicators/places?q=&only=&page=1";
    let res =
        c.post("/indicators/places/set", &[("name", &name), ("choice", "outside"), ("note", ""), ("back", back)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let page = c.get(res.location.as_deref().unwrap()).await;
    assert!(page.body.contains("请填写指定理由"), "{}", page.body);
    let res = c
        .post(
            "/indicators/places/set",
            &[
                ("name", &name),
                ("choice", "county:610926"),
                ("note", "生产基地在平利县"),
                ("back", "https://example.com/"),
            ],
        )
        .await;
    assert_eq!(res.location.as_deref(), Some("/indicators/places"), "never redirected elsewhere");
    let page = c.get("/indicators/places?only=override").await;
    let table = extract(&page.body, "id=\"places\"", "</table>").unwrap();
    assert!(
        table.contains(&name) && table.contains("<strong>平利县</strong>") && table.contains("生产基地在平利县"),
        "{table}"
    );
    assert!(page.body.contains("已指定"), "the flash");
    assert_eq!(t.audited(Action::PlaceSet).await, 1);

    // After the refresh the applicant's patents count for 平利县 by override.
    t.app.refresh_indicators("test").await.unwrap();
    let q = format!("/indicators/places?q={}&only=override", crate_urlencode(&name));
    let table = extract(&c.get(&q).await.body, "id=\"places\"", "</table>").unwrap();
    assert!(table.contains("<td>平利县</td>") && table.contains("<td>人工指定</td>"), "{table}");

    let res =
        c.post("/indicators/places/clear", &[("name", &name), ("back", "/indicators/places?only=override&q=")]).await;
    assert_eq!(res.location.as_deref(), Some("/indicators/places?only=override&q="));
    assert!(c.get("/indicators/places?only=override").await.body.contains("没有符合条件的申请人"));
    assert_eq!(t.audited(Action::PlaceClear).await, 1);
    let res = c.post("/indicators/places/clear", &[("name", &name)]).await;
    let page = c.get(res.location.as_deref().unwrap()).await;
    assert!(page.body.contains("该申请人没有人工指定的归属"));
}

fn crate_urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)]).unwrap().trim_start_matches("v=").to_owned()
}
