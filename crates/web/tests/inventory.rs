//! HTTP tests of the inventory and coverage pages: the real router in-process on the demo city in a temporary
//! directory, logged in as the demo accounts of each role.

mod common;

use common::{Client, Res};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use ipbridge_service::{Actor, App, Settings};

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
}

impl Client {
    /// The import form as a browser sends it: the CSRF field, the mode, then the file.
    async fn upload(&mut self, path: &str, mode: &str, name: &str, bytes: &[u8]) -> Res {
        let boundary = "----ipbridge-inventory-boundary";
        let token = self.csrf.clone().unwrap();
        let mut body = Vec::new();
        for (field, value) in [("csrf", token.as_str()), ("mode", mode)] {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
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

/// The first patent of the 待填报 list: `/patents/{id}/inventory`.
/// The first patent of the 待填报 list without a record yet (填报, not a draft's 继续填报).
fn first_todo(body: &str) -> String {
    let end = body.find("/inventory\">填报</a>").expect("a patent to fill in");
    let start = body[..end].rfind("href=\"/patents/").expect("its link") + "href=\"/patents/".len();
    format!("/patents/{}/inventory", &body[start..end])
}

#[tokio::test]
async fn pages_render_for_each_role_and_others_are_refused() {
    let t = TestApp::new().await;
    for (who, pages) in [
        (
            "institution_admin",
            &[
                "/inventory",
                "/inventory?view=todo",
                "/inventory?view=review",
                "/inventory?view=screen",
                "/coverage",
                "/coverage/unrecorded",
                "/inventory/import",
            ][..],
        ),
        ("faculty_reviewer", &["/inventory", "/inventory?view=review", "/coverage", "/coverage/unrecorded"][..]),
        ("inventor", &["/inventory", "/inventory?view=todo", "/coverage/unrecorded"][..]),
        ("bureau_officer", &["/inventory", "/inventory?view=screen", "/coverage", "/coverage/unrecorded"][..]),
        ("bureau_leader", &["/inventory", "/coverage", "/coverage/unrecorded"][..]),
    ] {
        let mut c = t.logged_in(who).await;
        for page in pages {
            let res = c.get(page).await;
            assert_eq!(res.status, StatusCode::OK, "{who} {page}: {}", res.body);
        }
        let home = c.get("/").await;
        assert!(home.body.contains("href=\"/inventory\""), "{who} sees 盘点 in the nav");
    }
    let mut ent = t.logged_in("enterprise_user").await;
    for page in ["/inventory", "/coverage", "/coverage/unrecorded", "/inventory/import"] {
        assert_eq!(ent.get(page).await.status, StatusCode::FORBIDDEN, "enterprise {page}");
    }
    let home = ent.get("/").await;
    assert!(!home.body.contains("href=\"/inventory\""));
    // The inventor cannot import nor see coverage; the leader cannot link or act.
    let mut inventor = t.logged_in("inventor").await;
    assert_eq!(inventor.get("/inventory/import").await.status, StatusCode::FORBIDDEN);
    assert_eq!(inventor.get("/coverage").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_institution_files_and_the_bureau_sees_coverage() {
    let t = TestApp::new().await;
    let mut admin = t.logged_in("institution_admin").await;
    let home = admin.get("/").await;
    assert!(home.body.contains("id=\"inventory-card\""), "the home page card");
    let todo = admin.get("/inventory?view=todo").await;
    let form_path = first_todo(&todo.body);
    let form = admin.get(&form_path).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("A 近期可转化"), "prospect grades with their meaning");
    assert!(form.body.contains("TRL5（样品在相关环境中验证）"));
    // Without a CSRF token nothing is saved.
    let res = admin.post_raw(&form_path, &[("transfer_intent", "license")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // An incomplete submission comes back with each field's message and the typed values kept.
    let res = admin
        .post(
            &form_path,
            &[("transfer_intent", "license"), ("advantage", "能耗低"), ("contact_phone", "12"), ("submit", "1")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("能耗低"));
    assert!(res.body.contains("class=\"field-error\""));
    let fields: Vec<(&str, &str)> = vec![
        ("transfer_intent", "license"),
        ("already_implemented", "否"),
        ("prospect_grade", "3"),
        ("maturity", "6"),
        ("problem_solved", "富硒茶叶加工中硒元素流失"),
        ("advantage", "硒保留率提高30%"),
        ("application_fields", "茶叶深加工"),
        ("route_to_market", "许可给本地茶企"),
        ("price_min", "20万"),
        ("price_max", ""),
        ("contact_name", "李老师"),
        ("contact_phone", "0915-3261234"),
        ("faculty", ""),
        ("chain", ""),
        ("submit", "1"),
    ];
    let res = admin.post(&form_path, &fields).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let record = res.location.unwrap();
    assert!(record.starts_with("/inventory/"));
    let page = admin.get(&record).await;
    assert!(page.body.contains("待审核"), "{}", page.body);
    assert!(page.body.contains("审核记录"));
    // Without a faculty the institution approves it itself.
    let res = admin.post(&format!("{record}/step"), &[("action", "approve"), ("comment", "同意")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    // Returning needs a comment: the page says so.
    admin.get(&record).await;
    let res = admin.post(&format!("{record}/step"), &[("action", "return_for_revision"), ("comment", "")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("退回修改须填写意见"));

    // The bureau's coverage: charts as inline SVG with a title, the numbers in a table, exports as xlsx.
    let mut officer = t.logged_in("bureau_officer").await;
    let cov = officer.get("/coverage").await;
    assert!(cov.body.contains("<svg") && cov.body.contains("<title id=\"chart-institutions-title\">"));
    assert!(cov.body.contains("全市高校院所") || cov.body.contains("id=\"city-figures\""));
    assert!(cov.body.contains("全覆盖期限"));
    is_xlsx(&officer.get("/coverage/export").await);
    is_xlsx(&officer.get("/coverage/unrecorded/export").await);
    is_xlsx(&officer.get("/inventory/export").await);
    // The officer screens the approved record into the pools.
    officer.get(&record).await;
    let res = officer.post(&format!("{record}/step"), &[("action", "add_to_base_pool"), ("comment", "")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    // The leader reads but may not act: the route itself refuses.
    let mut leader = t.logged_in("bureau_leader").await;
    leader.get(&record).await;
    let res = leader.post(&format!("{record}/step"), &[("action", "screen_into_pool"), ("comment", "")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_import_takes_the_template_and_reports_rejected_rows() {
    let t = TestApp::new().await;
    let mut admin = t.logged_in("institution_admin").await;
    let template = admin.get("/inventory/import/template.xlsx").await;
    is_xlsx(&template);
    // The template's example row names a patent that is not on the platform: it comes back in the report.
    admin.get("/inventory/import").await;
    let res = admin.upload("/inventory/import", "draft", "模板.xlsx", &template.bytes).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let result_path = res.location.unwrap();
    let result = admin.get(&result_path).await;
    assert!(result.body.contains("id=\"import-counts\""), "{}", result.body);
    assert!(result.body.contains("下载错误报告"));
    is_xlsx(&admin.get(&format!("{result_path}/report")).await);
    // Another account cannot read the outcome.
    let mut other = t.logged_in("institution_admin").await;
    assert_eq!(other.get(&result_path).await.status, StatusCode::OK, "the same account in another session");
    let mut inventor = t.logged_in("inventor").await;
    assert_eq!(inventor.get(&result_path).await.status, StatusCode::FORBIDDEN);
}
