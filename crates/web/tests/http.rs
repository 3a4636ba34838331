//! HTTP tests: the real router, driven in-process, on a real SQLite file in a temporary directory.

mod common;

use common::{Client, Res, extract};
use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::Duration;
use ipbridge_domain::Permission;
use ipbridge_domain::audit::Action;
use ipbridge_domain::org::OrgKind;
use ipbridge_domain::permission::Role;
use ipbridge_service::auth::totp_code_at;
use ipbridge_service::{Actor, App, AuditFilter, OrgFilter, Settings, UserFilter};
use ipbridge_web::routes::Access;
use tower::ServiceExt;

const PASSWORD: &str = "Demo#2026pass";

/// A platform with the demo city in a temporary data directory.
struct TestApp {
    _dir: tempfile::TempDir,
    app: App,
    router: Router,
}

impl TestApp {
    async fn new() -> Self {
        Self::with_settings(|_| {}).await
    }

    /// A demo platform with adjusted settings.
    async fn with_settings(adjust: impl FnOnce(&mut Settings)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        settings.server.data_dir = dir.path().to_owned();
        adjust(&mut settings);
        let policy = ipbridge_service::load_policy(None).unwrap();
        let app = App::open(settings, policy).await.unwrap();
        app.seed_demo(&Actor::cli(), Some(PASSWORD)).await.unwrap().unwrap();
        let router = ipbridge_web::router(app.clone());
        Self { _dir: dir, app, router }
    }

    fn client(&self) -> Client {
        Client::new(self.router.clone(), self.app.clone())
    }

    async fn audit_count(&self, action: Action) -> u64 {
        let filter = AuditFilter { action: Some(action), ..AuditFilter::default() };
        self.app.audit_page(&Actor::cli(), &filter).await.unwrap().total
    }

    async fn org_id(&self, kind: OrgKind, nth: usize) -> i64 {
        let filter = OrgFilter { kind: Some(kind), ..OrgFilter::default() };
        let page = self.app.list_orgs(&Actor::cli(), &filter).await.unwrap();
        page.orgs[nth].id.get()
    }

    async fn user_id(&self, username: &str) -> i64 {
        self.app.account_by_name(username).await.unwrap().id.get()
    }
}

impl Client {
    /// Logs in and completes every step: TOTP enrolment (administrators' first login) or the code.
    async fn login_complete(&mut self, username: &str, secrets: &mut HashMap<String, String>) {
        let res = self.login(username, PASSWORD).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{username}: {}", res.body);
        match res.location.as_deref() {
            Some("/account/totp") => {
                let page = self.get("/account/totp").await;
                let secret = extract(&page.body, "<code class=\"secret\">", "<").unwrap();
                let code = totp_code_at(&secret, username, self.app.now()).unwrap();
                let done = self.post("/account/totp", &[("secret", &secret), ("code", &code)]).await;
                assert_eq!(done.location.as_deref(), Some("/account"), "{}", done.body);
                secrets.insert(username.to_owned(), secret);
            }
            Some(l) if l.starts_with("/login/totp") => {
                // Codes are single-use per 30-second step: move to the next step first.
                self.app.clock().advance(Duration::seconds(31));
                let code = totp_code_at(&secrets[username], username, self.app.now()).unwrap();
                self.get(l).await;
                let done = self.post("/login/totp", &[("code", &code), ("next", "/")]).await;
                assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn the_home_page_shows_the_twelve_measures_to_anyone() {
    let t = TestApp::new().await;
    let mut c = t.client();
    let res = c.get("/").await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.content_type.starts_with("text/html"));
    assert_eq!(res.body.matches("<article class=\"measure\"").count(), 12);
    assert!(res.body.contains("梳理盘活存量专利"));
    assert!(res.body.contains("牵头：<b>市市场监管局</b>"));
    for group in ["激励创新创造", "激发内生动力", "构建保护体系", "搭建供需平台", "跟踪督办"]
    {
        assert!(res.body.contains(group), "nav group {group}");
    }
    assert!(res.body.contains("安康市专利转化运用服务平台"));
    // Assets are inside the binary.
    let css = c.get("/static/app.css").await;
    assert_eq!(css.status, StatusCode::OK);
    let js = c.get("/static/htmx.min.js").await;
    assert!(js.body.contains("htmx"));
}

#[tokio::test]
async fn unknown_pages_get_a_chinese_404_with_the_request_id() {
    let t = TestApp::new().await;
    let res = t.client().get("/no/such/page").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(res.body.contains("页面不存在"));
    let id = extract(&res.body, "请求编号：<code>", "<").unwrap();
    assert_eq!(id.len(), 16, "request id {id}");
}

#[tokio::test]
async fn login_shows_the_previous_login_and_logout_ends_the_session() {
    let t = TestApp::new().await;
    let mut c = t.client();
    let res = c.login("bureau_officer", PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location.as_deref(), Some("/"));
    let cookie = c.cookies.get("ipbridge_session").unwrap().clone();
    assert_eq!(cookie.len(), 64);
    let home = c.get("/").await;
    assert!(home.body.contains("演示局业务人员"));
    assert!(home.body.contains("首次登录"));
    c.post("/logout", &[]).await;
    assert!(!c.cookies.contains_key("ipbridge_session"));
    // The old cookie no longer works.
    c.cookies.insert("ipbridge_session".into(), cookie);
    let res = c.get("/account").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(res.location.unwrap().starts_with("/login?next=%2Faccount"));

    let mut c = t.client();
    c.login("bureau_officer", PASSWORD).await;
    let home = c.get("/").await;
    assert!(home.body.contains("上次登录时间"), "{}", home.body);
    assert_eq!(t.audit_count(Action::Logout).await, 1);
}

/// The session cookie a successful login sets, with its attributes.
async fn session_cookie_of_login(t: &TestApp) -> String {
    let res = t.client().login("bureau_officer", PASSWORD).await;
    res.set_cookies.into_iter().find(|c| c.starts_with("ipbridge_session=")).expect("a session cookie")
}

#[tokio::test]
async fn session_cookie_flags() {
    let session = session_cookie_of_login(&TestApp::new().await).await;
    assert!(session.contains("HttpOnly"));
    assert!(session.contains("SameSite=Strict"));
    assert!(!session.contains("Secure"), "no TLS configured");
    // Behind TLS the cookie is Secure.
    let tls = TestApp::with_settings(|s| s.server.behind_tls = true).await;
    assert!(session_cookie_of_login(&tls).await.contains("Secure"));
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_for_thirty_minutes() {
    let t = TestApp::new().await;
    let mut c = t.client();
    for i in 1..=4 {
        let res = c.login("enterprise_user", "Wrong#pass1").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "attempt {i}");
        assert!(res.body.contains("用户名或密码错误"));
    }
    let res = c.login("enterprise_user", "Wrong#pass1").await;
    assert!(res.body.contains("账号已锁定"), "fifth attempt locks");
    let res = c.login("enterprise_user", PASSWORD).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(res.body.contains("账号已锁定"), "the right password is refused while locked");
    // An unknown user gets the same message as a wrong password.
    let res = c.login("nobody_here", PASSWORD).await;
    assert!(res.body.contains("用户名或密码错误"));
    assert_eq!(t.audit_count(Action::Login).await, 7);

    t.app.clock().advance(Duration::minutes(31));
    let res = c.login("enterprise_user", PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
}

#[tokio::test]
async fn an_idle_session_ends_after_thirty_minutes() {
    let t = TestApp::new().await;
    let mut c = t.client();
    c.login("county_officer", PASSWORD).await;
    t.app.clock().advance(Duration::minutes(29));
    assert_eq!(c.get("/account").await.status, StatusCode::OK);
    t.app.clock().advance(Duration::minutes(29));
    assert_eq!(c.get("/account").await.status, StatusCode::OK, "activity keeps the session alive");
    t.app.clock().advance(Duration::minutes(31));
    let res = c.get("/account").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(res.location.unwrap().starts_with("/login"));
    assert_eq!(t.audit_count(Action::SessionExpired).await, 1);
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused() {
    let t = TestApp::new().await;
    let mut c = t.client();
    c.get("/login").await;
    let res = c.post_raw("/login", &[("username", "bureau_officer"), ("password", PASSWORD)]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.body.contains("页面已过期"));
    let res = c.post_raw("/login", &[("username", "bureau_officer"), ("password", PASSWORD), ("csrf", "00ff")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(!c.cookies.contains_key("ipbridge_session"));

    // A token from another session does not work in this one.
    let mut other = t.client();
    other.login("bureau_leader", PASSWORD).await;
    other.get("/account").await;
    let foreign = other.csrf.clone().unwrap();
    c.login("bureau_officer", PASSWORD).await;
    let res = c.post_raw("/orgs", &[("name", "伪造机构"), ("kind", "agency"), ("csrf", &foreign)]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // The header form (htmx) is accepted with the right token.
    c.get("/orgs").await;
    let token = c.csrf.clone().unwrap();
    let req = Request::builder()
        .method(Method::POST)
        .uri("/orgs")
        .header(header::COOKIE, c.cookie_header())
        .header("x-csrf-token", token)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("kind=agency&name=%E7%9C%9F%E5%AE%9E%E6%9C%BA%E6%9E%84&active=on"))
        .unwrap();
    let res = c.send(req).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(t.audit_count(Action::CsrfRejected).await, 3);
}

#[tokio::test]
async fn administrators_enrol_and_use_a_totp_second_factor() {
    let t = TestApp::new().await;
    let mut c = t.client();
    let res = c.login("system_admin", PASSWORD).await;
    assert_eq!(res.location.as_deref(), Some("/account/totp"), "enrolment comes first");
    // Nothing else is reachable until enrolled.
    let res = c.get("/admin/users").await;
    assert_eq!(res.location.as_deref(), Some("/account/totp"));
    let page = c.get("/account/totp").await;
    assert!(page.body.contains("<svg"), "QR code");
    let secret = extract(&page.body, "<code class=\"secret\">", "<").unwrap();
    let wrong = c.post("/account/totp", &[("secret", &secret), ("code", "000000")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let code = totp_code_at(&secret, "system_admin", t.app.now()).unwrap();
    let ok = c.post("/account/totp", &[("secret", &secret), ("code", &code)]).await;
    assert_eq!(ok.location.as_deref(), Some("/account"));
    assert_eq!(c.get("/admin/users").await.status, StatusCode::OK);
    c.post("/logout", &[]).await;

    // The next login needs a code; the code just used is refused (single use), a fresh one passes.
    let res = c.login("system_admin", PASSWORD).await;
    assert!(res.location.as_deref().unwrap().starts_with("/login/totp"));
    assert_eq!(c.get("/admin/users").await.location.as_deref(), Some("/login/totp"));
    c.get("/login/totp").await;
    let reused = c.post("/login/totp", &[("code", &code)]).await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED);
    assert!(reused.body.contains("动态口令错误或已使用"));
    t.app.clock().advance(Duration::seconds(31));
    let fresh = totp_code_at(&secret, "system_admin", t.app.now()).unwrap();
    let res = c.post("/login/totp", &[("code", &fresh), ("next", "/admin/users")]).await;
    assert_eq!(res.location.as_deref(), Some("/admin/users"));
    assert_eq!(c.get("/admin/users").await.status, StatusCode::OK);
    // Administrators cannot remove their own second factor.
    assert_eq!(c.post("/account/totp/remove", &[]).await.status, StatusCode::FORBIDDEN);
    assert!(t.audit_count(Action::TotpVerify).await >= 1);
}

#[tokio::test]
async fn a_new_account_must_change_its_password_first() {
    let t = TestApp::new().await;
    let org = t.org_id(OrgKind::Enterprise, 0).await;
    let new = ipbridge_service::accounts::NewAccount {
        username: "zhang.wei".into(),
        display_name: "张伟".into(),
        org_id: Some(ipbridge_domain::org::OrgId::new(org)),
        faculty_id: None,
        password: "Initial#2026".into(),
    };
    t.app.bootstrap_account(&Actor::cli(), &new, &[Role::EnterpriseUser]).await.unwrap();
    let mut c = t.client();
    let res = c.login("zhang.wei", "Initial#2026").await;
    assert_eq!(res.location.as_deref(), Some("/account/password"));
    assert_eq!(c.get("/orgs").await.location.as_deref(), Some("/account/password"));
    c.get("/account/password").await;
    let weak =
        c.post("/account/password", &[("current", "Initial#2026"), ("new", "abcdefgh"), ("repeat", "abcdefgh")]).await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body.contains("至少3类"), "{}", weak.body);
    let ok = c
        .post("/account/password", &[("current", "Initial#2026"), ("new", "Better#2027"), ("repeat", "Better#2027")])
        .await;
    assert_eq!(ok.location.as_deref(), Some("/account"));
    assert_eq!(c.get("/orgs").await.status, StatusCode::OK);

    // After 90 days the password has expired and must be changed again.
    t.app.clock().advance(Duration::days(91));
    let mut c = t.client();
    let res = c.login("zhang.wei", "Better#2027").await;
    assert_eq!(res.location.as_deref(), Some("/account/password"));
}

#[tokio::test]
async fn missing_permissions_are_refused_and_audited() {
    let t = TestApp::new().await;
    let mut c = t.client();
    c.login("enterprise_user", PASSWORD).await;
    let res = c.get("/admin/audit").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.body.contains("无权访问"));
    assert!(res.body.contains("请求编号"));
    assert_eq!(t.audit_count(Action::AccessDenied).await, 1);
    // Anonymous visitors are sent to the login page.
    let res = t.client().get("/admin/audit").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location.as_deref(), Some("/login?next=%2Fadmin%2Faudit"));
}

#[tokio::test]
async fn the_three_administrators_are_separated() {
    let t = TestApp::new().await;
    let mut secrets = HashMap::new();
    let mut sys = t.client();
    sys.login_complete("system_admin", &mut secrets).await;
    assert_eq!(sys.get("/admin/audit").await.status, StatusCode::FORBIDDEN);
    assert_eq!(sys.get("/admin/roles").await.status, StatusCode::FORBIDDEN);
    assert_eq!(sys.get("/admin/users").await.status, StatusCode::OK);

    let mut sec = t.client();
    sec.login_complete("security_admin", &mut secrets).await;
    assert_eq!(sec.get("/admin/users").await.status, StatusCode::FORBIDDEN);
    assert_eq!(sec.get("/admin/audit").await.status, StatusCode::FORBIDDEN);
    let inventor = t.user_id("inventor").await;
    sec.get(&format!("/admin/roles/{inventor}")).await;
    let res =
        sec.post(&format!("/admin/roles/{inventor}"), &[("role", "inventor"), ("role", "faculty_reviewer")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    // An administrator role cannot be combined with another.
    let res = sec.post(&format!("/admin/roles/{inventor}"), &[("role", "audit_admin"), ("role", "inventor")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("三员分立"));
    // The security administrator cannot change their own roles.
    let me = t.user_id("security_admin").await;
    let res = sec.post(&format!("/admin/roles/{me}"), &[("role", "security_admin"), ("role", "bureau_officer")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

    let mut aud = t.client();
    aud.login_complete("audit_admin", &mut secrets).await;
    assert_eq!(aud.get("/admin/users").await.status, StatusCode::FORBIDDEN);
    let page = aud.get("/admin/audit").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("角色授权"));
    let export = aud.get("/admin/audit/export?action=user.roles").await;
    assert_eq!(export.status, StatusCode::OK);
    assert_eq!(&export.bytes[..2], b"PK", "an xlsx workbook");
    assert_eq!(t.audit_count(Action::AuditExport).await, 1);
}

#[tokio::test]
async fn members_see_and_change_only_their_own_organisation() {
    let t = TestApp::new().await;
    let own = t.org_id(OrgKind::Institution, 0).await;
    let other = t.org_id(OrgKind::Institution, 1).await;
    let mut c = t.client();
    c.login("institution_admin", PASSWORD).await;
    let list = c.get("/orgs").await;
    assert_eq!(list.body.matches("<a href=\"/orgs/").count(), 1, "only the own organisation is listed");
    assert_eq!(c.get(&format!("/orgs/{own}")).await.status, StatusCode::OK);
    assert_eq!(
        c.get(&format!("/orgs/{other}")).await.status,
        StatusCode::NOT_FOUND,
        "another organisation is invisible"
    );
    let before = t.app.org(&Actor::cli(), ipbridge_domain::org::OrgId::new(other)).await.unwrap().1.len();
    let res = c.post(&format!("/orgs/{other}/faculties"), &[("name", "越权学院")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = c.post(&format!("/orgs/{other}/contact"), &[("contact_name", "越权"), ("address", "x")]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let after = t.app.org(&Actor::cli(), ipbridge_domain::org::OrgId::new(other)).await.unwrap().1.len();
    assert_eq!(before, after);
    let res = c.post(&format!("/orgs/{own}/faculties"), &[("name", "新能源学院")]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(c.get(&format!("/orgs/{own}")).await.body.contains("新能源学院"));
    // Editing the register itself is the bureau's.
    assert_eq!(c.get(&format!("/orgs/{own}/edit")).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_bureau_creates_organisations_with_validated_credit_codes() {
    let t = TestApp::new().await;
    let mut c = t.client();
    c.login("bureau_officer", PASSWORD).await;
    c.get("/orgs/new").await;
    let bad = c
        .post(
            "/orgs",
            &[
                ("kind", "enterprise"),
                ("name", "旬阳某某科技有限公司"),
                ("credit_code", "914403001922038217"),
                ("county_code", "610981"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("校验位错误"), "{}", bad.body);
    assert!(bad.body.contains("旬阳某某科技有限公司"), "the form keeps the input");
    let ok = c
        .post(
            "/orgs",
            &[
                ("kind", "enterprise"),
                ("name", "旬阳某某科技有限公司"),
                ("credit_code", "914403001922038216"),
                ("county_code", "610981"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let dup = c
        .post(
            "/orgs",
            &[
                ("kind", "enterprise"),
                ("name", "另一家公司"),
                ("credit_code", "914403001922038216"),
                ("county_code", "610981"),
            ],
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.body.contains("该统一社会信用代码已登记"));
    assert!(t.audit_count(Action::OrgCreate).await > 30);
}

/// Fills a route pattern's parameters with ids the acting user may legitimately address.
fn concrete(path: &str, own_org: i64, victim_user: i64) -> String {
    let org_path = path.starts_with("/orgs/");
    path.replace("{name}", "app.css").replace("{faculty}", "1").replace(
        "{id}",
        &if org_path {
            own_org.to_string()
        } else if path.starts_with("/chains") {
            "1".into()
        } else {
            victim_user.to_string()
        },
    )
}

#[tokio::test]
async fn every_route_declares_its_access_and_the_guard_enforces_it_for_every_role() {
    let t = TestApp::new().await;
    let (_, table) = ipbridge_web::declared_routes().finish();
    assert!(table.specs().len() > 40);
    let victim = t.user_id("agency_user").await;
    let mut secrets = HashMap::new();
    let mut checked = 0;

    // Anonymous visitors: public routes pass, the rest go to the login page (GET) or are refused (POST).
    let mut anon = t.client();
    for spec in table.specs() {
        let path = concrete(spec.path, 1, victim);
        let res = if spec.method == Method::GET { anon.get(&path).await } else { anon.post(&path, &[]).await };
        match spec.access {
            Access::Public => assert!(
                res.status != StatusCode::FORBIDDEN
                    && !res.location.as_deref().is_some_and(|l| l.starts_with("/login?")),
                "anonymous {} {path}: {}",
                spec.method,
                res.status
            ),
            // The JSON API answers 401 instead of sending a program to a login page.
            _ if spec.path.starts_with("/api/") => {
                assert_eq!(res.status, StatusCode::UNAUTHORIZED, "anonymous {} {path}", spec.method)
            }
            _ if spec.method == Method::GET => {
                assert!(
                    res.location.as_deref().is_some_and(|l| l.starts_with("/login?next=")),
                    "anonymous GET {path}: {}",
                    res.status
                )
            }
            _ => assert_eq!(res.status, StatusCode::UNAUTHORIZED, "anonymous POST {path}"),
        }
        checked += 1;
    }

    // Object rules refuse a few allowed routes for some roles by design; listed here with the reason.
    // Institutions see the enterprises matched to the patents they hold only, and patent {id} is not theirs.
    // 我有意向 is the enterprise side's answer: holders carry HandleMatches too, to answer interest in their
    // patents, but cannot declare interest themselves (nor give an enterprise's feedback on a pool patent). Importing demands collected offline is the bureau's and
    // the agencies' (enterprises hold PostDemands to post their own through the form).
    let object_rule = |role: Role, path: &str| {
        (path == "/account/totp/remove" && role.is_administrator())
            || (path.ends_with("/enterprises") && role == Role::InstitutionAdmin)
            || ((path.ends_with("/interest") || path.ends_with("/feedback"))
                && matches!(role, Role::InstitutionAdmin | Role::FacultyReviewer | Role::Inventor))
            || (path.starts_with("/demands/import") && role == Role::EnterpriseUser)
    };

    for role in Role::ALL.into_iter().filter(|r| *r != Role::AgencyUser) {
        let user = t.app.account_by_name(role.code()).await.unwrap();
        let mut c = t.client();
        c.login_complete(role.code(), &mut secrets).await;
        let own_org =
            if user.can(Permission::ManageOrgs) { t.org_id(OrgKind::Agency, 0).await } else { user.org_id.get() };
        for spec in table.specs().iter().filter(|s| s.path != "/logout" && s.path != "/login") {
            let path = concrete(spec.path, own_org, victim);
            let res = if spec.method == Method::GET { c.get(&path).await } else { c.post(&path, &[]).await };
            let allowed = spec.access.allows(|p| user.can(p));
            if allowed && !object_rule(role, &path) {
                assert_ne!(
                    res.status,
                    StatusCode::FORBIDDEN,
                    "{role} {} {path} should pass: {}",
                    spec.method,
                    res.body
                );
                assert!(
                    !res.location.as_deref().is_some_and(|l| l.starts_with("/login")),
                    "{role} {} {path} lost its session",
                    spec.method
                );
            } else {
                assert_eq!(res.status, StatusCode::FORBIDDEN, "{role} {} {path} should be refused", spec.method);
            }
            checked += 1;
        }
        c.post("/logout", &[]).await;
    }
    assert!(checked > 500, "{checked} route × role checks");
}

#[tokio::test]
async fn a_route_registered_without_a_declaration_is_refused() {
    use axum::routing::get;
    let t = TestApp::new().await;
    let (routes, table) = ipbridge_web::declared_routes().finish();
    let state = ipbridge_web::AppState::new(t.app.clone(), table);
    // Someone adds a route straight to the axum router, bypassing the declaration table.
    let router: Router = routes
        .route("/sneaky", get(|| async { "secret" }))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), ipbridge_web::guard::guard))
        .with_state(state);
    let res = router.oneshot(Request::builder().uri("/sneaky").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
    assert!(!String::from_utf8_lossy(&body).contains("secret"));
}

#[tokio::test]
async fn the_system_administrator_manages_accounts() {
    let t = TestApp::new().await;
    let mut secrets = HashMap::new();
    let mut c = t.client();
    c.login_complete("system_admin", &mut secrets).await;
    let org = t.org_id(OrgKind::Institution, 0).await.to_string();
    c.get("/admin/users/new").await;
    let res = c
        .post(
            "/admin/users",
            &[("username", "wang.fang"), ("display_name", "王芳"), ("org_id", &org), ("password", "Start#2026x")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let id = t.user_id("wang.fang").await;
    let user = t.app.account(&Actor::cli(), ipbridge_domain::org::UserId::new(id)).await.unwrap();
    assert!(user.roles.is_empty(), "roles come from the security administrator");
    assert!(user.must_change_password);
    let dup = c
        .post(
            "/admin/users",
            &[("username", "wang.fang"), ("display_name", "王芳"), ("org_id", &org), ("password", "Start#2026x")],
        )
        .await;
    assert!(dup.body.contains("用户名已被使用"));
    // Reset shows a temporary password once, and the user must change it.
    let res = c.post(&format!("/admin/users/{id}/reset-password"), &[]).await;
    let temp = extract(&res.body, "临时密码：<code class=\"secret\">", "<").unwrap();
    let mut u = t.client();
    assert_eq!(u.login("wang.fang", &temp).await.location.as_deref(), Some("/account/password"));
    // Disabling ends the session and refuses logins.
    c.post(&format!("/admin/users/{id}/disable"), &[]).await;
    assert!(u.get("/account/password").await.location.unwrap().starts_with("/login"));
    assert!(u.login("wang.fang", &temp).await.body.contains("账号已停用"));
    assert_eq!(t.app.list_accounts(&Actor::cli(), &UserFilter::default()).await.unwrap().total, 15);
}

#[tokio::test]
async fn the_system_administrator_cannot_take_over_another_administrator() {
    let t = TestApp::new().await;
    let mut secrets = HashMap::new();
    let mut sys = t.client();
    sys.login_complete("system_admin", &mut secrets).await;
    for target in ["audit_admin", "security_admin", "system_admin"] {
        let id = t.user_id(target).await;
        sys.get(&format!("/admin/users/{id}")).await;
        for action in ["reset-password", "reset-totp", "unlock", "disable"] {
            let res = sys.post(&format!("/admin/users/{id}/{action}"), &[]).await;
            assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{action} {target}");
            assert!(res.body.contains("ipbridge user") || res.body.contains("不能停用自己的账号"), "{}", res.body);
            assert!(!res.body.contains("临时密码"));
        }
    }
    // The audit administrator's password is unchanged.
    let mut aud = t.client();
    assert_eq!(aud.login("audit_admin", PASSWORD).await.status, StatusCode::SEE_OTHER);
    let denied = AuditFilter { outcome: Some(ipbridge_domain::audit::Outcome::Denied), ..AuditFilter::default() };
    assert!(t.app.audit_page(&Actor::cli(), &denied).await.unwrap().total >= 11);
}

#[tokio::test]
async fn parallel_wrong_codes_still_lock_the_account() {
    let t = TestApp::new().await;
    let mut secrets = HashMap::new();
    let mut c = t.client();
    c.login_complete("security_admin", &mut secrets).await;
    c.post("/logout", &[]).await;
    let res = c.login("security_admin", PASSWORD).await;
    assert!(res.location.unwrap().starts_with("/login/totp"));
    let token = c.cookies["ipbridge_session"].clone();
    let su = t.app.session_user(&token, &Actor::cli()).await.unwrap().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let (app, su) = (t.app.clone(), su.clone());
        tasks.push(tokio::spawn(async move {
            app.verify_login_totp(&Actor::anonymous("10.0.0.9", "t"), &su, "000000").await
        }));
    }
    for task in tasks {
        assert!(task.await.unwrap().is_err());
    }
    let user = t.app.account_by_name("security_admin").await.unwrap();
    assert!(user.is_locked(t.app.now()), "twelve parallel wrong codes must lock the account");
}

#[tokio::test]
async fn a_lock_caused_by_someone_else_does_not_end_a_live_session() {
    let t = TestApp::new().await;
    let mut owner = t.client();
    owner.login("bureau_officer", PASSWORD).await;
    let mut attacker = t.client();
    for _ in 0..5 {
        attacker.login("bureau_officer", "Guess#12345").await;
    }
    assert!(t.app.account_by_name("bureau_officer").await.unwrap().is_locked(t.app.now()));
    assert_eq!(owner.get("/account").await.status, StatusCode::OK);
    // Wrong guesses while locked get the plain message: the lock is revealed only with the right password.
    let res = attacker.login("bureau_officer", "Guess#12345").await;
    assert!(res.body.contains("用户名或密码错误"));
}

#[tokio::test]
async fn an_enrolled_second_factor_cannot_be_replaced_by_the_session() {
    let t = TestApp::new().await;
    let mut c = t.client();
    c.login("inventor", PASSWORD).await;
    let page = c.get("/account/totp").await;
    let secret = extract(&page.body, "<code class=\"secret\">", "<").unwrap();
    let code = totp_code_at(&secret, "inventor", t.app.now()).unwrap();
    assert_eq!(c.post("/account/totp", &[("secret", &secret), ("code", &code)]).await.status, StatusCode::SEE_OTHER);
    // A second enrolment with an attacker's secret is refused.
    let other = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let code = totp_code_at(other, "inventor", t.app.now()).unwrap();
    let res = c.post("/account/totp", &[("secret", other), ("code", &code)]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("已绑定动态口令"));
    // A tampered short secret is a form error, not a server error.
    let res = c.post("/account/totp", &[("secret", "ABC"), ("code", "123456")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_reset_demo_account_must_change_its_password() {
    let t = TestApp::new().await;
    let mut secrets = HashMap::new();
    let mut sys = t.client();
    sys.login_complete("system_admin", &mut secrets).await;
    let id = t.user_id("bureau_leader").await;
    let res = sys.post(&format!("/admin/users/{id}/reset-password"), &[]).await;
    let temp = extract(&res.body, "临时密码：<code class=\"secret\">", "<").unwrap();
    let mut u = t.client();
    assert_eq!(u.login("bureau_leader", &temp).await.location.as_deref(), Some("/account/password"));
}

#[tokio::test]
async fn the_return_address_never_leaves_the_site() {
    let t = TestApp::new().await;
    for next in ["//evil.example/", "/\t/evil.example", "/\\evil.example", "https://evil.example/", "/\n/evil"] {
        let mut c = t.client();
        c.get("/login").await;
        let res = c.post("/login", &[("username", "county_officer"), ("password", PASSWORD), ("next", next)]).await;
        assert_eq!(res.location.as_deref(), Some("/"), "next {next:?}");
    }
    let mut c = t.client();
    c.get("/login").await;
    let res = c.post("/login", &[("username", "county_officer"), ("password", PASSWORD), ("next", "/orgs?q=x")]).await;
    assert_eq!(res.location.as_deref(), Some("/orgs?q=x"));
}

#[tokio::test]
async fn an_organisation_with_members_keeps_its_kind() {
    let t = TestApp::new().await;
    let inst = t.org_id(OrgKind::Institution, 0).await;
    let mut c = t.client();
    c.login("bureau_officer", PASSWORD).await;
    c.get(&format!("/orgs/{inst}/edit")).await;
    let res = c.post(&format!("/orgs/{inst}"), &[("kind", "agency"), ("name", "安康理工学院"), ("active", "on")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("不能更改机构类型"), "{}", res.body);
    // Deactivating an organisation stops its members from logging in.
    let res = c
        .post(
            &format!("/orgs/{inst}"),
            &[("kind", "institution"), ("institution_kind", "university"), ("name", "安康理工学院")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let res = t.client().login("inventor", PASSWORD).await;
    assert!(res.body.contains("所属机构已停用"));
}

#[tokio::test]
async fn malformed_requests_get_the_chinese_error_page() {
    let t = TestApp::new().await;
    let mut c = t.client();
    c.login("bureau_officer", PASSWORD).await;
    let res = c.get("/orgs/not-a-number").await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("请求格式不正确"));
    assert!(res.body.contains("请求编号"));
}

#[tokio::test]
async fn the_patent_list_filters_sorts_pages_and_exports() {
    let t = TestApp::new().await;
    let mut c = t.client();
    assert!(c.get("/patents").await.location.unwrap().starts_with("/login"), "patents need an account");
    c.login("bureau_officer", PASSWORD).await;
    let all = c.get("/patents").await;
    assert_eq!(all.status, StatusCode::OK);
    let total: u64 = extract(&all.body, "共 ", " 条").unwrap().parse().unwrap();
    assert_eq!(total, ipbridge_service::demo::DEMO_PATENTS as u64);
    let filtered = c.get("/patents?type=invention&in_force=1&ipc=A23F&sort=number").await;
    let shown: u64 = extract(&filtered.body, "共 ", " 条").unwrap().parse().unwrap();
    assert!(shown > 0 && shown < total, "{shown} of {total}");
    assert!(!filtered.body.contains("<td>实用新型</td>"));
    let export = c.get("/patents/export?type=invention&in_force=1&ipc=A23F").await;
    assert_eq!(&export.bytes[..2], b"PK");
    let table = ipbridge_ingest::read_table("p.xlsx", &export.bytes, None).unwrap();
    assert_eq!(table.rows.len() as u64, shown, "the export holds the filtered list");
    // The detail page has every field and the history.
    let table_html = &filtered.body[filtered.body.find("<tbody>").unwrap()..];
    let id = extract(table_html, "<a href=\"/patents/", "\"").unwrap();
    let detail = c.get(&format!("/patents/{id}")).await;
    for label in ["申请号", "法律状态", "保护期届满日", "变更历史", "创建", "分类号"] {
        assert!(detail.body.contains(label), "{label}");
    }
    assert_eq!(c.get("/patents/999999").await.status, StatusCode::NOT_FOUND);
}

/// A multipart upload as the import form sends it (htmx adds the CSRF header).
async fn upload(c: &mut Client, kind: &str, name: &str, bytes: &[u8], with_token: bool) -> Res {
    c.get("/imports/new").await;
    let boundary = "----ipbridge-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n").as_bytes(),
    );
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/imports")
        .header(header::COOKIE, c.cookie_header())
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .header("hx-request", "true");
    if with_token {
        req = req.header("x-csrf-token", c.csrf.clone().unwrap());
    }
    c.send(req.body(Body::from(body)).unwrap()).await
}

#[tokio::test]
async fn files_upload_import_in_the_background_and_report_their_rejected_rows() {
    let t = TestApp::new().await;
    let mut c = t.client();
    c.login("bureau_officer", PASSWORD).await;
    let good = ipbridge_domain::patent::ApplicationNo::from_parts(2024, 1, 123_456).unwrap();
    let csv = format!(
        "申请号,专利名称,申请日,申请人,主分类号\n{good},一种富硒茶的加工方法,2024-01-05,西安某某科技有限公司,A23F3/06\nCN202310605823.5,坏号,2024-01-05,某公司,A23F3/06\n"
    );
    let (gbk, _, _) = encoding_rs::GB18030.encode(&csv);
    assert_eq!(upload(&mut c, "patents", "导出.csv", &gbk, false).await.status, StatusCode::FORBIDDEN, "CSRF");
    let res = upload(&mut c, "patents", "导出.csv", &gbk, true).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let history = c.get("/imports").await;
    let id = extract(&history.body, "<a href=\"/imports/", "\"").unwrap();
    let mut page = c.get(&format!("/imports/{id}")).await;
    for _ in 0..100 {
        if page.body.contains("已完成") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        page = c.get(&format!("/imports/{id}/progress")).await;
    }
    assert!(page.body.contains("已完成"), "{}", page.body);
    assert!(page.body.contains("新增1条") && page.body.contains("拒绝1行"), "{}", page.body);
    let report = c.get(&format!("/imports/{id}/report")).await;
    assert_eq!(&report.bytes[..2], b"PK");
    // The unmatched applicant waits for the bureau's review.
    assert!(c.get("/applicants").await.body.contains("西安某某科技有限公司"));
    // Templates download.
    assert_eq!(&c.get("/imports/templates/patents.xlsx").await.bytes[..2], b"PK");
    // Organisations import in the request.
    let orgs = "单位名称,类型,所在县区\n安康某研究院,科研院所,汉滨区\n";
    let res = upload(&mut c, "orgs", "orgs.csv", orgs.as_bytes(), true).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    // Not for everyone.
    let mut e = t.client();
    e.login("enterprise_user", PASSWORD).await;
    assert_eq!(e.get("/imports/new").await.status, StatusCode::FORBIDDEN);
    assert_eq!(e.get(&format!("/imports/{id}")).await.status, StatusCode::FORBIDDEN);
    let mut i = t.client();
    i.login("institution_admin", PASSWORD).await;
    assert_eq!(i.get(&format!("/imports/{id}")).await.status, StatusCode::NOT_FOUND, "another organisation's run");
}

#[tokio::test]
async fn every_list_exports_to_xlsx_and_institutions_see_their_fees_due() {
    let t = TestApp::new().await;
    let mut c = t.client();
    c.login("bureau_officer", PASSWORD).await;
    for path in
        ["/orgs/export?kind=enterprise", "/imports/export", "/applicants/export", "/patents/export", "/chains/export"]
    {
        let res = c.get(path).await;
        assert_eq!(res.status, StatusCode::OK, "{path}");
        assert_eq!(&res.bytes[..2], b"PK", "{path}");
    }
    let orgs = c.get("/orgs/export?kind=enterprise").await;
    let table = ipbridge_ingest::read_table("o.xlsx", &orgs.bytes, None).unwrap();
    assert_eq!(table.rows.len(), 10, "the ten demo enterprises");
    let mut secrets = HashMap::new();
    let mut sys = t.client();
    sys.login_complete("system_admin", &mut secrets).await;
    let users = sys.get("/admin/users/export").await;
    let table = ipbridge_ingest::read_table("u.xlsx", &users.bytes, None).unwrap();
    assert_eq!(table.rows.len(), 14);
    assert!(!String::from_utf8_lossy(&users.bytes).contains("argon2"), "no password hashes in exports");
    assert!(t.audit_count(Action::ListExport).await >= 5);

    let mut inst = t.client();
    inst.login("institution_admin", PASSWORD).await;
    let fees = inst.get("/patents/fees").await;
    assert_eq!(fees.status, StatusCode::OK);
    assert!(fees.body.contains("年费提醒"));
    assert_eq!(&inst.get("/patents/fees/export").await.bytes[..2], b"PK");
    let other = t.org_id(OrgKind::Institution, 1).await;
    assert_eq!(inst.get(&format!("/patents/fees?org={other}")).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn search_page_api_export_matching_and_similar_patents() {
    let t = TestApp::new().await;
    let mut c = t.client();
    let anonymous = c.get("/api/v1/patents/search?q=%E5%AF%8C%E7%A1%92").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert!(anonymous.content_type.starts_with("application/json"), "{}", anonymous.content_type);
    c.login("enterprise_user", PASSWORD).await;

    // The page: highlighted hits, facets, and the query echoed back.
    let page =
        c.get("/search?q=%E5%AF%8C%E7%A1%92%E8%8C%B6%E5%8F%B6%E6%B7%B1%E5%8A%A0%E5%B7%A5%E5%B7%A5%E8%89%BA").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<b>富硒"), "hits are highlighted");
    for facet in ["专利类型", "法律状态", "产业链", "申请年份"] {
        assert!(page.body.contains(facet), "{facet}");
    }
    let total: u64 = extract(&page.body, "共 ", " 件").unwrap().parse().unwrap();
    assert!(total > 0);
    // User text is escaped wherever it is shown back.
    let xss = c.get("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert!(!xss.body.contains("<script>alert(1)"), "the query is escaped");

    // The API: JSON with hits, facets and the search words.
    let api = c.get("/api/v1/patents/search?q=%E5%AF%8C%E7%A1%92%20%E8%8C%B6%E5%8F%B6&per_page=5&active=1").await;
    assert_eq!(api.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert!(json["total"].as_u64().unwrap() > 0);
    assert!(json["hits"].as_array().unwrap().len() <= 5);
    assert!(json["hits"][0]["title_html"].as_str().unwrap().contains("<b>"));
    assert!(json["facets"].as_array().unwrap().iter().any(|f| f["name"] == "chain"));
    assert!(json["hits"].as_array().unwrap().iter().all(|h| h["legal_status"] != "lapsed"));

    // Export of the result set.
    let export = c.get("/search/export?q=%E5%AF%8C%E7%A1%92").await;
    assert_eq!(&export.bytes[..2], b"PK");
    let table = ipbridge_ingest::read_table("s.xlsx", &export.bytes, None).unwrap();
    let all = c.get("/api/v1/patents/search?q=%E5%AF%8C%E7%A1%92").await;
    let all: serde_json::Value = serde_json::from_str(&all.body).unwrap();
    assert_eq!(table.rows.len() as u64, all["total"].as_u64().unwrap());

    // 找专利: a need in plain Chinese, the best hits with their reasons.
    let need =
        c.get("/match?title=%E5%AF%8C%E7%A1%92%E8%8C%B6%E5%8F%B6%E6%B7%B1%E5%8A%A0%E5%B7%A5%E5%B7%A5%E8%89%BA").await;
    assert_eq!(need.status, StatusCode::OK);
    assert!(need.body.contains("命中关键词"), "reasons are shown");
    assert!(need.body.contains("匹配度"));

    // Similar patents of the first hit, as a page and as the fragment the patent page loads.
    let id: i64 = json["hits"][0]["id"].as_i64().unwrap();
    let similar = c.get(&format!("/patents/{id}/similar")).await;
    assert_eq!(similar.status, StatusCode::OK);
    assert!(similar.body.contains("相似专利"));
    let fragment = c.get(&format!("/patents/{id}/similar?fragment=1")).await;
    assert!(!fragment.body.contains("<html"), "the fragment is not a whole page");
    // Enterprises matched to a patent are for the bureau and the holder only.
    assert_eq!(c.get(&format!("/patents/{id}/enterprises")).await.status, StatusCode::FORBIDDEN);

    // The holder institution sees the enterprises for its own patents, not for others'.
    let mut holder = t.client();
    holder.login("institution_admin", PASSWORD).await;
    let own = holder.get("/api/v1/patents/search?q=%E7%94%B3%E8%AF%B7%E4%BA%BA%3A%E5%AE%89%E5%BA%B7%E7%90%86%E5%B7%A5%E5%AD%A6%E9%99%A2").await;
    let own: serde_json::Value = serde_json::from_str(&own.body).unwrap();
    let own_id = own["hits"][0]["id"].as_i64().expect("安康理工学院 holds demo patents");
    let page = holder.get(&format!("/patents/{own_id}/enterprises")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("可能需要该专利的企业"));
    assert!(!page.body.contains("推送给选中的企业"), "only the bureau pushes");
    let other = json["hits"].as_array().unwrap().iter().find(|h| h["owner_org_id"] != own["hits"][0]["owner_org_id"]);
    if let Some(other) = other {
        let path = format!("/patents/{}/enterprises", other["id"]);
        assert_eq!(holder.get(&path).await.status, StatusCode::FORBIDDEN);
    }
}

// ---------------------------------------------------------------------------------------------------
// Demands, matching, match records, notifications and enterprise profiles.

/// Percent-encodes a query value.
fn q(s: &str) -> String {
    ipbridge_web::guard::urlencode(s)
}

impl TestApp {
    /// A logged-in client of a new account with `role` in the organisation named `org`, past the first-login
    /// password change.
    async fn member(&self, username: &str, org: &str, role: Role) -> Client {
        let filter = OrgFilter { text: Some(org.into()), ..OrgFilter::default() };
        let org_id = self.app.list_orgs(&Actor::cli(), &filter).await.unwrap().orgs[0].id;
        let new = ipbridge_service::accounts::NewAccount {
            username: username.into(),
            display_name: username.into(),
            org_id: Some(org_id),
            faculty_id: None,
            password: "Initial#2026".into(),
        };
        self.app.bootstrap_account(&Actor::cli(), &new, &[role]).await.unwrap();
        let mut c = self.client();
        c.login(username, "Initial#2026").await;
        c.get("/account/password").await;
        let done =
            c.post("/account/password", &[("current", "Initial#2026"), ("new", PASSWORD), ("repeat", PASSWORD)]).await;
        assert_eq!(done.location.as_deref(), Some("/account"), "{}", done.body);
        c
    }

    /// The id of the patent whose title contains `title`.
    async fn patent_titled(&self, title: &str) -> i64 {
        let filter = ipbridge_service::PatentFilter { text: Some(title.into()), ..Default::default() };
        self.app.list_patents(&Actor::cli(), &filter).await.unwrap().patents[0].id.get()
    }

    /// The id of the demand titled `title`.
    async fn demand_titled(&self, title: &str) -> i64 {
        let filter = ipbridge_service::DemandFilter { text: Some(title.into()), ..Default::default() };
        let page = self.app.list_demands(&Actor::cli(), &filter).await.unwrap();
        page.demands.iter().find(|d| d.fields.title == title).unwrap().id.get()
    }

    async fn org_named(&self, name: &str) -> i64 {
        let filter = OrgFilter { text: Some(name.into()), ..OrgFilter::default() };
        self.app.list_orgs(&Actor::cli(), &filter).await.unwrap().orgs[0].id.get()
    }
}

/// A multipart form with the CSRF field first, as a browser sends the plain upload form.
async fn post_file(c: &mut Client, path: &str, name: &str, bytes: &[u8]) -> Res {
    let boundary = "----ipbridge-demand-boundary";
    let token = c.csrf.clone().unwrap();
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n").as_bytes(),
    );
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::COOKIE, c.cookie_header())
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    c.send(req).await
}

#[tokio::test]
async fn the_matchmaking_navigation_shows_only_what_a_role_may_use() {
    let t = TestApp::new().await;
    let nav_of = |body: &str| -> String { extract(body, "<nav class=\"main\"", "</nav>").unwrap() };
    let mut ent = t.client();
    ent.login("enterprise_user", PASSWORD).await;
    let home = ent.get("/").await;
    let nav = nav_of(&home.body);
    for link in ["href=\"/demands\"", "href=\"/matches\"", "href=\"/matches?origin=push\"", "href=\"/match\""] {
        assert!(nav.contains(link), "enterprise nav lacks {link}");
    }
    assert!(nav.contains("推送给我的专利"));
    // The header links the notifications with the unread count: the demo published two of its demands.
    assert!(home.body.contains("href=\"/notifications\""));
    assert!(home.body.contains("<span class=\"badge\">"), "unread badge");

    let mut lender = t.client();
    lender.login("lender_user", PASSWORD).await;
    let nav = nav_of(&lender.get("/").await.body);
    assert!(nav.contains("href=\"/match\""), "every account may use 找专利");
    for link in ["href=\"/demands\"", "href=\"/matches\""] {
        assert!(!nav.contains(link), "lender nav shows {link}");
    }

    let mut inst = t.client();
    inst.login("institution_admin", PASSWORD).await;
    let nav = nav_of(&inst.get("/").await.body);
    assert!(nav.contains("href=\"/matches\"") && nav.contains("href=\"/demands\""));
    assert!(!nav.contains("推送给我的专利"), "pushes are for enterprises");

    let mut leader = t.client();
    leader.login("bureau_leader", PASSWORD).await;
    let list = leader.get("/demands").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.contains("href=\"/demands/new\""), "the leader reads, does not post");
    assert!(list.body.contains("茶园修剪枝叶与茶渣综合利用技术"), "the leader sees demands awaiting review");
}

#[tokio::test]
async fn demands_are_posted_reviewed_and_seen_only_by_whom_they_concern() {
    let t = TestApp::new().await;
    let mut ent = t.client();
    ent.login("enterprise_user", PASSWORD).await;

    // The form: an enterprise posts for itself (no enterprise to choose); errors come back in Chinese, in place.
    let form = ent.get("/demands/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(!form.body.contains("name=\"enterprise_org_id\""));
    let bad = ent
        .post(
            "/demands",
            &[
                ("title", ""),
                ("description", "需要提高茶多酚提取率"),
                ("cooperation_mode", "license"),
                ("budget_min", "80万"),
                ("contact_name", "王经理"),
                ("contact_phone", "12345"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for message in ["请填写需求名称", "金额格式不正确", "联系电话“12345”格式不正确"] {
        assert!(bad.body.contains(message), "{message}");
    }
    assert!(bad.body.contains("需要提高茶多酚提取率"), "the input is kept");
    // Without the CSRF token nothing is saved.
    let forged = ent.post_raw("/demands", &[("title", "伪造"), ("description", "x")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let fields = [
        ("title", "富硒魔芋精粉低温干燥技术"),
        ("description", "现有热风干燥能耗高、葡甘聚糖黏度损失大，希望引进低温干燥工艺。"),
        ("chain_code", "selenium_food"),
        ("ipc_codes", "A23L19/10"),
        ("cooperation_mode", "license"),
        ("budget_min", "100000"),
        ("budget_max", "300000"),
        ("contact_name", "王经理"),
        ("contact_phone", "13991501234"),
    ];
    let draft = ent.post("/demands", &fields).await;
    assert_eq!(draft.status, StatusCode::SEE_OTHER, "{}", draft.body);
    let path = draft.location.unwrap();
    let page = ent.get(&path).await;
    assert!(page.body.contains("草稿"));
    assert!(page.body.contains("10万–30万元"), "budget shown in 万元");
    assert!(page.body.contains(&format!("action=\"{path}/submit\"")), "the draft may be submitted");
    assert!(!page.body.contains("/publish\""), "only the bureau publishes");

    // Another enterprise neither sees the draft nor can act on it.
    let mut other = t.member("ent_b", "紫阳富硒茶叶开发有限公司", Role::EnterpriseUser).await;
    assert_eq!(other.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.get(&format!("{path}/edit")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.post(&format!("{path}/submit"), &[]).await.status, StatusCode::NOT_FOUND);
    assert!(!other.get("/demands").await.body.contains("富硒魔芋精粉低温干燥技术"));
    // Published demands are open to every member, the phone masked for those outside the demand's side.
    let tea = t.demand_titled("富硒茶叶深加工工艺").await;
    let public = other.get(&format!("/demands/{tea}")).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains("139****1234") && !public.body.contains("13991501234"), "phone masked");
    assert!(ent.get(&format!("/demands/{tea}")).await.body.contains("13991501234"), "own side sees the phone");

    // Submitted, returned with a reason, edited, resubmitted, published.
    assert_eq!(ent.post(&format!("{path}/submit"), &[]).await.status, StatusCode::SEE_OTHER);
    let mut bureau = t.client();
    bureau.login("bureau_officer", PASSWORD).await;
    let waiting = bureau.get("/demands?status=submitted").await;
    assert!(waiting.body.contains("富硒魔芋精粉低温干燥技术"));
    let no_reason = bureau.post(&format!("{path}/return"), &[("reason", " ")]).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.body.contains("退回时请说明原因"), "{}", no_reason.body);
    let returned = bureau.post(&format!("{path}/return"), &[("reason", "请补充干燥能耗指标")]).await;
    assert_eq!(returned.status, StatusCode::SEE_OTHER);
    let page = ent.get(&path).await;
    assert!(page.body.contains("已退回") && page.body.contains("请补充干燥能耗指标"));
    let mut edited: Vec<(&str, &str)> = fields.to_vec();
    edited[1] = ("description", "现有热风干燥每吨能耗约900千瓦时，希望降到600以下并保持黏度。");
    assert_eq!(ent.get(&format!("{path}/edit")).await.status, StatusCode::OK);
    let saved = ent.post(&path, &edited).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    ent.post(&format!("{path}/submit"), &[]).await;
    assert_eq!(bureau.post(&format!("{path}/publish"), &[]).await.status, StatusCode::SEE_OTHER);
    assert!(other.get("/demands?q=%E9%AD%94%E8%8A%8B").await.body.contains("富硒魔芋精粉低温干燥技术"), "published");
    // An enterprise cannot publish (the guard) and the history lists every step.
    assert_eq!(ent.post(&format!("{path}/publish"), &[]).await.status, StatusCode::FORBIDDEN);
    let page = bureau.get(&path).await;
    for step in ["退回", "提交审核", "发布"] {
        assert!(page.body.contains(step), "history lacks {step}");
    }

    // The agency posts on behalf of a named enterprise, chosen from the list.
    let mut agency = t.client();
    agency.login("agency_user", PASSWORD).await;
    let form = agency.get("/demands/new").await;
    assert!(form.body.contains("name=\"enterprise_org_id\""));
    let toys = t.org_named("恒口毛绒玩具制造有限公司").await.to_string();
    let mut for_toys: Vec<(&str, &str)> = fields.to_vec();
    for_toys[0] = ("title", "毛绒玩具面料阻燃整理技术");
    for_toys.push(("enterprise_org_id", &toys));
    for_toys.push(("submit", "1"));
    let posted = agency.post("/demands", &for_toys).await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.body);
    let page = agency.get(&posted.location.unwrap()).await;
    assert!(page.body.contains("恒口毛绒玩具制造有限公司") && page.body.contains("待审核"));

    // Filters and the export.
    let filtered = bureau.get("/demands?chain=plush_toys&mode=joint_development").await;
    assert!(filtered.body.contains("毛绒玩具自动充棉与缝合质检设备"));
    assert!(!filtered.body.contains("富硒茶叶深加工工艺"));
    let export = bureau.get("/demands/export?status=published").await;
    assert_eq!(&export.bytes[..2], b"PK");
    let table = ipbridge_ingest::read_table("d.xlsx", &export.bytes, None).unwrap();
    assert!(table.rows.iter().all(|r| r.cells.iter().any(|c| c == "已发布")));
    assert!(table.rows.len() >= 3);
}

#[tokio::test]
async fn demands_collected_offline_import_with_counts_and_a_report_of_the_rejected_rows() {
    let t = TestApp::new().await;
    let mut ent = t.client();
    ent.login("enterprise_user", PASSWORD).await;
    assert_eq!(ent.get("/demands/import").await.status, StatusCode::FORBIDDEN, "enterprises post through the form");

    let mut bureau = t.client();
    bureau.login("bureau_officer", PASSWORD).await;
    let template = bureau.get("/demands/import/template.xlsx").await;
    assert_eq!(&template.bytes[..2], b"PK");
    assert!(bureau.get("/demands/import").await.body.contains("直接发布"));
    let csv = "企业名称,需求名称,需求描述,合作方式,预算上限（元）,联系人,联系电话\n\
        安康魔芋食品股份有限公司,魔芋飞粉综合利用,魔芋加工产生的飞粉如何制成膳食纤维产品,技术咨询,200000,李工,0915-3261234\n\
        安康硒源茶业有限公司,富硒茶叶深加工工艺,重复的需求,许可,,王经理,13991501234\n\
        不存在的公司,某需求,描述,入股,abc,张三,123\n";
    let res = post_file(&mut bureau, "/demands/import", "线下征集.csv", csv.as_bytes()).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let result_path = res.location.unwrap();
    assert!(result_path.starts_with("/demands/import/"));
    let page = bureau.get(&result_path).await;
    assert_eq!(page.status, StatusCode::OK);
    let counts: Vec<String> = page
        .body
        .match_indices("<span class=\"big\">")
        .map(|(i, _)| extract(&page.body[i..], ">", "<").unwrap())
        .collect();
    assert_eq!(counts, ["3", "1", "1", "1"], "读取, 新增, 重复, 拒绝");
    assert!(page.body.contains("已发布"));
    let report = bureau.get(&format!("{result_path}/report")).await;
    assert_eq!(&report.bytes[..2], b"PK");
    let table = ipbridge_ingest::read_table("r.xlsx", &report.bytes, None).unwrap();
    assert_eq!(table.rows.len(), 1);
    assert!(table.headers.iter().any(|h| h == "错误原因"));
    assert!(
        table.rows[0].cells.last().unwrap().contains("平台上没有名为“不存在的公司”的企业"),
        "{:?}",
        table.rows[0].cells
    );
    // The imported demand is published at once.
    assert!(bureau.get("/demands?status=published").await.body.contains("魔芋飞粉综合利用"));
    // The result is the uploader's only, and a file that cannot be read is explained on the form.
    let mut agency = t.client();
    agency.login("agency_user", PASSWORD).await;
    assert_eq!(agency.get(&result_path).await.status, StatusCode::NOT_FOUND);
    agency.get("/demands/import").await;
    let unreadable = post_file(&mut agency, "/demands/import", "x.csv", "只有一列\n内容\n".as_bytes()).await;
    assert_eq!(unreadable.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unreadable.body.contains("class=\"flash error\""), "{}", unreadable.body);
    let empty = post_file(&mut agency, "/demands/import", "empty.csv", b"").await;
    assert!(empty.body.contains("请选择要导入的文件"));
}

#[tokio::test]
async fn an_enterprise_matches_a_demand_declares_interest_and_the_holder_answers() {
    let t = TestApp::new().await;
    let tea = t.demand_titled("富硒茶叶深加工工艺").await;
    let s1 = t.patent_titled("富硒茶叶深加工工艺及富硒速溶茶粉").await;
    let s4 = t.patent_titled("富硒红茶发酵工艺及发酵程度在线检测").await;
    let mut ent = t.client();
    ent.login("enterprise_user", PASSWORD).await;

    // The demand's matches: ranked patents with reasons, 保存匹配 on each, none on the enterprise's own.
    let matches = ent.get(&format!("/demands/{tea}/matches")).await;
    assert_eq!(matches.status, StatusCode::OK);
    assert!(matches.body.contains("命中关键词") && matches.body.contains("匹配度"));
    assert!(matches.body.contains("保存匹配"));
    assert!(matches.body.contains("本企业持有的专利"), "the enterprise's own patents cannot be matched to it");
    let saved = ent.post(&format!("/demands/{tea}/matches"), &[("patent_id", &s4.to_string())]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(ent.get(&format!("/demands/{tea}/matches")).await.body.contains("已有匹配记录"), "marked as saved");
    let not_a_hit = ent.post(&format!("/demands/{tea}/matches"), &[("patent_id", "999999")]).await;
    assert_eq!(not_a_hit.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(not_a_hit.body.contains("不在本需求的匹配结果中"));

    // 找专利: 我有意向 on a hit, then the record.
    let need = ent.get(&format!("/match?title={}", q("富硒茶叶深加工工艺"))).await;
    assert!(need.body.contains(&format!("action=\"/patents/{s1}/interest\"")), "我有意向 on the institution's patent");
    let interest = ent.post(&format!("/patents/{s1}/interest"), &[]).await;
    assert_eq!(interest.status, StatusCode::SEE_OTHER, "{}", interest.body);
    let record = interest.location.unwrap();
    let page = ent.get(&record).await;
    assert!(page.body.contains("有意向") && page.body.contains("企业意向"));
    // Declaring interest in its own patent is refused in Chinese.
    let own_org = ipbridge_domain::org::OrgId::new(t.org_named("安康硒源茶业有限公司").await);
    let filter = ipbridge_service::PatentFilter { holder_org: Some(own_org), ..Default::default() };
    let own = t.app.list_patents(&Actor::cli(), &filter).await.unwrap().patents[0].id;
    let refused = ent.post(&format!("/patents/{own}/interest"), &[]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("该专利由该企业自己持有"), "{}", refused.body);

    // The holder (安康理工学院) is told and sees the record; it does not see the record on another's patent.
    let mut inst = t.client();
    inst.login("institution_admin", PASSWORD).await;
    let home = inst.get("/").await;
    // (The demo leaves the institution other unread notices: inquiries, feedback, a deal.)
    let unread = |body: &str| extract(body, "<span class=\"badge\">", "<").map_or(0, |n| n.parse::<u32>().unwrap());
    let unread_before = unread(&home.body);
    assert!(unread_before >= 1, "an unread notification");
    let notices = inst.get("/notifications").await;
    assert!(notices.body.contains("安康硒源茶业有限公司对专利“一种富硒茶叶深加工工艺及富硒速溶茶粉的制备方法”有意向"));
    let list = inst.get("/matches").await;
    assert!(list.body.contains(&format!("href=\"{record}\"")));
    let s4_record = t
        .app
        .list_matches(
            &Actor::cli(),
            &ipbridge_service::MatchFilter {
                patent_id: Some(ipbridge_domain::ids::PatentId::new(s4)),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .records[0]
        .id;
    assert!(!list.body.contains(&format!("href=\"/matches/{s4_record}\"")));
    assert_eq!(inst.get(&format!("/matches/{s4_record}")).await.status, StatusCode::NOT_FOUND);
    // Reading the notice follows its link.
    let items = &notices.body[notices.body.find("<ul class=\"notices\">").unwrap()..];
    let id = extract(items, "action=\"/notifications/", "/read\"").unwrap();
    let read = inst.post(&format!("/notifications/{id}/read"), &[("next", &record)]).await;
    assert_eq!(read.location.as_deref(), Some(record.as_str()));
    assert_eq!(unread(&inst.get("/").await.body), unread_before - 1, "one unread notice fewer");
    // The holder makes contact; the enterprise is told.
    let page = inst.get(&record).await;
    assert!(page.body.contains("value=\"in_contact\""), "the holder's next step");
    assert!(!page.body.contains("not-interested-form"), "refusing is the enterprise's");
    let contact = inst.post(&format!("{record}/state"), &[("to", "in_contact"), ("note", "已电话联系")]).await;
    assert_eq!(contact.status, StatusCode::SEE_OTHER, "{}", contact.body);
    assert!(ent.get("/notifications?unread=1").await.body.contains("已联系"));
    // A step the holder does not make is explained.
    let wrong = inst.post(&format!("{record}/state"), &[("to", "interested")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("不能变更为"), "{}", wrong.body);

    // Not interested needs a reason; "other" needs its text; the refusal reaches the holder.
    let s4_path = format!("/matches/{s4_record}");
    let no_reason = ent.post(&format!("{s4_path}/state"), &[("to", "not_interested"), ("reason", "")]).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.body.contains("请选择无意向的原因"), "{}", no_reason.body);
    let other = ent.post(&format!("{s4_path}/state"), &[("to", "not_interested"), ("reason", "other")]).await;
    assert!(other.body.contains("选择“其他”时请填写具体原因"));
    let forged = ent.post_raw(&format!("{s4_path}/state"), &[("to", "not_interested"), ("reason", "price")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "CSRF");
    let refused = ent
        .post(&format!("{s4_path}/state"), &[("to", "not_interested"), ("reason", "price"), ("note", "报价偏高")])
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    let page = ent.get(&s4_path).await;
    assert!(page.body.contains("价格因素：报价偏高"));

    // Another enterprise sees none of it.
    let mut other = t.member("ent_b", "紫阳富硒茶叶开发有限公司", Role::EnterpriseUser).await;
    assert_eq!(other.get(&record).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.post(&format!("{record}/state"), &[("to", "closed")]).await.status, StatusCode::NOT_FOUND);
    assert!(!other.get("/matches").await.body.contains(&format!("href=\"{record}\"")));

    // The bureau's overview: counts by state, filters, the export with the age in days; the leader only reads.
    let mut leader = t.client();
    leader.login("bureau_leader", PASSWORD).await;
    let all = leader.get("/matches").await;
    assert!(all.body.contains("已联系 <span class=\"count\">1</span>"), "counts by state");
    assert!(all.body.contains("无意向 <span class=\"count\">1</span>"));
    let filtered = leader.get("/matches?origin=demand_match").await;
    assert!(
        filtered.body.contains(&format!("href=\"{s4_path}\""))
            && !filtered.body.contains(&format!("href=\"{record}\""))
    );
    let export = leader.get("/matches/export").await;
    let table = ipbridge_ingest::read_table("m.xlsx", &export.bytes, None).unwrap();
    assert!(table.headers.iter().any(|h| h == "存续天数") && table.headers.iter().any(|h| h == "状态"));
    // Every record: these two and the demo campaign's pushes.
    let every = t.app.list_matches(&Actor::cli(), &Default::default()).await.unwrap().records.len();
    assert!(every >= 2);
    assert_eq!(table.rows.len(), every);
    assert_eq!(leader.post(&format!("{record}/state"), &[("to", "closed")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(ent.get("/matches/export").await.status, StatusCode::FORBIDDEN, "the export is the bureau's");
    // Mark all read.
    let all_read = ent.post("/notifications/read-all", &[]).await;
    assert_eq!(all_read.status, StatusCode::SEE_OTHER);
    assert!(!ent.get("/notifications").await.body.contains("class=\"dot\""));
}

#[tokio::test]
async fn the_bureau_pushes_a_patent_to_its_best_matching_enterprises() {
    let t = TestApp::new().await;
    let s2 = t.patent_titled("富硒茶叶中茶多酚与有机硒的联合提取方法").await;
    let tea_company = t.org_named("安康硒源茶业有限公司").await;
    // The demo already holds match records of its revitalisation campaign (on another patent).
    let records = || async { t.app.list_matches(&Actor::cli(), &Default::default()).await.unwrap().records.len() };
    let before = records().await;
    let mut bureau = t.client();
    bureau.login("bureau_officer", PASSWORD).await;
    let page = bureau.get(&format!("/patents/{s2}/enterprises")).await;
    assert_eq!(page.status, StatusCode::OK);
    let table = &page.body[page.body.find("<tbody>").unwrap()..];
    let first = extract(table, "name=\"org\" value=\"", "\"").unwrap();
    assert_eq!(first, tea_company.to_string(), "the tea company that asked for this technology ranks first");
    assert!(table.contains("命中：") && table.contains("经营范围"), "reasons are shown");

    // Ids the page did not offer, or none, are refused without pushing anything.
    let bureau_org = t.org_id(OrgKind::Bureau, 0).await.to_string();
    let foreign = bureau.post(&format!("/patents/{s2}/push"), &[("org", &first), ("org", &bureau_org)]).await;
    assert_eq!(foreign.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(foreign.body.contains("不在该专利的匹配企业名单中"));
    assert_eq!(bureau.post(&format!("/patents/{s2}/push"), &[]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        bureau.post(&format!("/patents/{s2}/push"), &[("org", "x")]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(records().await, before, "refused pushes record nothing");

    let pushed = bureau.post(&format!("/patents/{s2}/push"), &[("org", &first)]).await;
    assert_eq!(pushed.status, StatusCode::SEE_OTHER, "{}", pushed.body);
    assert_eq!(pushed.location.as_deref(), Some(format!("/matches?patent={s2}").as_str()));
    let list = bureau.get(&pushed.location.unwrap()).await;
    assert!(list.body.contains("已推送给1家企业"));
    assert!(list.body.contains("局推送"));
    let again = bureau.post(&format!("/patents/{s2}/push"), &[("org", &first)]).await;
    let again = bureau.get(&again.location.unwrap()).await;
    assert!(again.body.contains("未推送：1家企业与该专利已有进行中的匹配记录"), "not pushed twice");

    // The enterprise finds it under 推送给我的专利; opening it marks it viewed.
    let mut ent = t.client();
    ent.login("enterprise_user", PASSWORD).await;
    let mine = ent.get("/matches?origin=push").await;
    assert!(mine.body.contains("<h1>推送给我的专利</h1>"));
    assert!(mine.body.contains("一种富硒茶叶中茶多酚与有机硒的联合提取方法"));
    let record = extract(&mine.body, "<td><a href=\"/matches/", "\"").unwrap();
    let opened = ent.get(&format!("/matches/{record}")).await;
    assert!(opened.body.contains("id=\"match-state\">已查看"), "opening marks it viewed");
    assert!(opened.body.contains("命中：") && opened.body.contains("同属产业链"), "the push's reasons");
    assert!(opened.body.contains("not-interested-form") && opened.body.contains("value=\"interested\""));

    // Holders do not push.
    let mut inst = t.client();
    inst.login("institution_admin", PASSWORD).await;
    assert_eq!(inst.post(&format!("/patents/{s2}/push"), &[("org", &first)]).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_enterprise_keeps_its_business_scope_and_chains_on_its_organisation_page() {
    let t = TestApp::new().await;
    let own = t.org_named("安康硒源茶业有限公司").await;
    let other = t.org_named("紫阳富硒茶叶开发有限公司").await;
    let mut ent = t.client();
    ent.login("enterprise_user", PASSWORD).await;
    let page = ent.get(&format!("/orgs/{own}")).await;
    assert!(page.body.contains("技术画像") && page.body.contains("富硒茶叶种植、加工与销售"), "the demo profile");
    assert!(page.body.contains("name=\"chain\" value=\"selenium_food\" checked"));
    let saved = ent
        .post(
            &format!("/orgs/{own}/profile"),
            &[("business_scope", "富硒茶叶加工；茶旅融合"), ("chain", "selenium_food"), ("chain", "eco_tourism")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = ent.get(&format!("/orgs/{own}")).await;
    assert!(page.body.contains("富硒茶叶加工；茶旅融合"));
    assert!(page.body.contains("name=\"chain\" value=\"eco_tourism\" checked"));
    let unknown =
        ent.post(&format!("/orgs/{own}/profile"), &[("business_scope", "x"), ("chain", "no_such_chain")]).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.body.contains("以下产业链不存在或已停用：no_such_chain"));
    assert_eq!(
        ent.post(&format!("/orgs/{other}/profile"), &[("business_scope", "x")]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        ent.post_raw(&format!("/orgs/{own}/profile"), &[("business_scope", "x")]).await.status,
        StatusCode::FORBIDDEN
    );
    // The bureau edits any enterprise's profile; the leader reads it.
    let mut bureau = t.client();
    bureau.login("bureau_officer", PASSWORD).await;
    assert!(bureau.get(&format!("/orgs/{other}")).await.body.contains("保存技术画像"));
    let mut leader = t.client();
    leader.login("bureau_leader", PASSWORD).await;
    let read_only = leader.get(&format!("/orgs/{other}")).await;
    assert!(read_only.body.contains("富硒茶园基地建设") && !read_only.body.contains("保存技术画像"));
    // Institutions have no technology profile form.
    let mut inst = t.client();
    inst.login("institution_admin", PASSWORD).await;
    let inst_org = t.org_id(OrgKind::Institution, 0).await;
    assert!(!inst.get(&format!("/orgs/{inst_org}")).await.body.contains("技术画像"));
}
