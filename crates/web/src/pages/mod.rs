//! Page handlers and the layout data every page shares.

pub mod account;
pub mod admin;
pub mod audit;
pub mod campaigns;
pub mod chains;
pub mod coverage;
pub mod deals;
pub mod demands;
pub mod imports;
pub mod indicators;
pub mod inquiries;
pub mod inventory;
pub mod matches;
pub mod notifications;
pub mod orgs;
pub mod patents;
pub mod pool;
pub mod roadshows;
pub mod search;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use ipbridge_domain::Permission;
use ipbridge_service::ErrorCode;
use ipbridge_service::auth::china_time;

use crate::AppState;
use crate::ctx::{Ctx, Flash};
use crate::error::WebResult;
use crate::guard::flash_cookie;

/// A link in the navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    /// Key compared with the page's `active` to highlight it.
    pub key: String,
    /// Target.
    pub href: String,
    /// Chinese label.
    pub label: String,
}

/// A navigation group: the measure groups of the policy, then platform administration.
#[derive(Debug, Clone)]
pub struct NavGroup {
    /// Chinese title.
    pub title: String,
    /// Links.
    pub items: Vec<NavItem>,
}

/// The logged-in account as the header shows it.
#[derive(Debug, Clone)]
pub struct ChromeUser {
    /// Name.
    pub display_name: String,
    /// Organisation.
    pub org_name: String,
    /// Roles, joined in Chinese.
    pub roles: String,
}

/// Layout data of every page.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// Page title.
    pub title: String,
    /// City name from the policy.
    pub city: String,
    /// Platform name.
    pub platform: &'static str,
    /// The policy document cited in the footer.
    pub document: String,
    /// Logged-in account, when every login step is done.
    pub user: Option<ChromeUser>,
    /// A session that still owes a login step.
    pub pending: bool,
    /// Navigation.
    pub nav: Vec<NavGroup>,
    /// Which nav item is current.
    pub active: String,
    /// CSRF token for the forms of the page.
    pub csrf: String,
    /// One-time message.
    pub flash: Option<Flash>,
    /// Request id.
    pub request_id: String,
    /// Unread notifications, for the header's badge.
    pub unread: u64,
}

fn item(key: &str, href: &str, label: &str) -> NavItem {
    NavItem { key: key.to_owned(), href: href.to_owned(), label: label.to_owned() }
}

impl Chrome {
    /// Layout data for a page titled `title`, highlighting nav item `active`.
    pub fn new(state: &AppState, ctx: &Ctx, title: &str, active: &str) -> Self {
        let policy = &state.app.policy;
        // Measure groups list their measures (anchors on the home page); a module's pages join its
        // group's list as the module is delivered. Only what exists is shown.
        let mut nav: Vec<NavGroup> = policy
            .measure_groups
            .iter()
            .map(|g| {
                let mut items: Vec<NavItem> = policy
                    .measures_in_group(g.number)
                    .map(|m| {
                        item(
                            &format!("measure-{}", m.number),
                            &format!("/#measure-{}", m.number),
                            &format!("{}. {}", m.number, m.title),
                        )
                    })
                    .collect();
                if items.is_empty() && !g.text.is_empty() {
                    // The closing part (跟踪督办) has no numbered measure, only its paragraph.
                    items.push(item(&format!("group-{}", g.number), &format!("/#group-{}", g.number), &g.title));
                }
                NavGroup { title: g.nav_title.clone(), items }
            })
            .filter(|g| !g.items.is_empty())
            .collect();
        // Supply meets demand (measures 1 and 10): search and matching for every logged-in account; demands
        // and match records for those who take part in matchmaking (posting, reviewing, answering, overseeing).
        if let Some(session) = ctx.user() {
            let mut items = vec![item("search", "/search", "专利检索"), item("match", "/match", "找专利")];
            let matchmaking = [
                Permission::PostDemands,
                Permission::ReviewDemands,
                Permission::ViewAllMatches,
                Permission::HandleMatches,
            ];
            if matchmaking.into_iter().any(|p| ctx.can(p)) {
                items.push(item("demands", "/demands", "技术需求"));
            }
            if ctx.can(Permission::ViewAllMatches) || ctx.can(Permission::HandleMatches) {
                items.push(item("matches", "/matches", "匹配记录"));
            }
            if ctx.can(Permission::HandleMatches) && session.user.org_kind == ipbridge_domain::org::OrgKind::Enterprise
            {
                items.push(item("pushed", "/matches?origin=push", "推送给我的专利"));
            }
            nav.push(NavGroup { title: "供需对接".into(), items });
        }
        // Stock-patent revitalisation (measure 1). The transferable pool is public, so anonymous visitors see the
        // group too; the other pages join it for those who work on them.
        let mut revitalisation = vec![item("pool", "/pool", "可转化专利库")];
        // The inventory (filing, review queues, coverage) comes first, for those who work on it.
        let mut inventory = Vec::new();
        let files = ctx.can(Permission::FileInventory);
        let reviews = ctx.can(Permission::ReviewInventoryFaculty) || ctx.can(Permission::ReviewInventoryInstitution);
        if files || reviews || ctx.can(Permission::ScreenPool) || ctx.can(Permission::ViewAllInventory) {
            inventory.push(item("inventory", "/inventory", if files { "盘点填报" } else { "盘点记录" }));
        }
        if reviews {
            inventory.push(item("inventory-review", "/inventory?view=review", "待我审核"));
        }
        if ctx.can(Permission::ViewCoverage) {
            inventory.push(item("coverage", "/coverage", "覆盖情况"));
        }
        revitalisation.splice(0..0, inventory);
        if ctx.can(Permission::ManageCampaigns) {
            revitalisation.push(item("campaigns", "/campaigns", "推送批次"));
        }
        if [Permission::AskInquiries, Permission::AnswerInquiries, Permission::ViewAllInventory]
            .into_iter()
            .any(|p| ctx.can(p))
        {
            revitalisation.push(item("inquiries", "/inquiries", "企业咨询"));
        }
        // Roadshows for every logged-in account; follow-up and deals for whoever keeps or oversees them, and
        // for enterprises (the projects and deals they are part of).
        if let Some(session) = ctx.user() {
            let enterprise = session.user.org_kind == ipbridge_domain::org::OrgKind::Enterprise;
            revitalisation.push(item("roadshows", "/roadshows", "路演活动"));
            if ctx.can(Permission::RecordFollowUps) || ctx.can(Permission::ViewAllInventory) || enterprise {
                revitalisation.push(item("follow-ups", "/follow-ups", "跟踪服务"));
            }
            if ctx.can(Permission::RecordDeals) || ctx.can(Permission::ViewAllInventory) || enterprise {
                revitalisation.push(item("deals", "/deals", "转化交易"));
            }
        }
        nav.push(NavGroup { title: "存量专利盘活".into(), items: revitalisation });
        // Indicators against the targets (measure 2), for the bureau, its leaders, departments and counties.
        let indicators = indicators::nav_items(ctx);
        if !indicators.is_empty() {
            nav.push(NavGroup { title: "指标统计".into(), items: indicators });
        }
        // Shared records every module stands on: patents and their imports.
        let mut records = Vec::new();
        if ctx.user().is_some() {
            records.push(item("patents", "/patents", "专利"));
        }
        if ctx.can(Permission::ImportAnyPatents) || ctx.can(Permission::ImportOwnPatents) {
            records.push(item("imports", "/imports", "数据导入"));
            records.push(item("fees", "/patents/fees", "年费提醒"));
        }
        if ctx.can(Permission::ReviewApplicants) {
            records.push(item("applicants", "/applicants", "申请人关联"));
        }
        if !records.is_empty() {
            nav.push(NavGroup { title: "专利数据".into(), items: records });
        }
        let mut admin = Vec::new();
        if ctx.user().is_some() {
            admin.push(item(
                "orgs",
                crate::paths::ORGS,
                if ctx.can(Permission::ViewAllOrgs) { "机构管理" } else { "本单位" },
            ));
        }
        if ctx.can(Permission::ManageChains) {
            admin.push(item("chains", crate::paths::CHAINS, "重点产业链"));
        }
        if ctx.can(Permission::ManageAccounts) {
            admin.push(item("users", crate::paths::ADMIN_USERS, "账号管理"));
        }
        if ctx.can(Permission::GrantRoles) {
            admin.push(item("roles", crate::paths::ADMIN_ROLES, "角色授权"));
        }
        if ctx.can(Permission::ReadAudit) {
            admin.push(item("audit", crate::paths::ADMIN_AUDIT, "审计日志"));
        }
        if ctx.can(Permission::ManageConfig) {
            admin.push(item("system", crate::paths::ADMIN_SYSTEM, "系统信息"));
        }
        if !admin.is_empty() {
            nav.push(NavGroup { title: "平台管理".into(), items: admin });
        }
        Self {
            title: title.to_owned(),
            city: policy.city.name.clone(),
            platform: "专利转化运用服务平台",
            document: format!("{}（{}）", policy.document.title, policy.document.number),
            user: ctx.user().map(|s| ChromeUser {
                display_name: s.user.display_name.clone(),
                org_name: s.user.org_name.clone(),
                roles: s.user.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join("、"),
            }),
            pending: ctx.session.as_ref().is_some_and(|s| !s.is_complete()),
            nav,
            active: active.to_owned(),
            csrf: ctx.csrf.clone(),
            flash: ctx.flash.clone(),
            request_id: ctx.request_id.clone(),
            unread: ctx.unread,
        }
    }
}

/// Renders a template as an HTML response.
pub fn render<T: Template>(t: &T) -> Response {
    render_with(StatusCode::OK, t)
}

/// Renders a template with a status (422 for forms with errors).
pub fn render_with<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "页面渲染失败").into_response()
        }
    }
}

/// Redirects with a one-time message for the next page (post-redirect-get).
pub fn redirect_with_flash(to: &str, kind: &str, message: &str) -> Response {
    let jar = CookieJar::new().add(flash_cookie(kind, message));
    (jar, Redirect::to(to)).into_response()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    heading: &'static str,
    message: String,
    code: &'static str,
    show_login: bool,
}

/// The error page, with the request id, for every error status.
pub fn render_error_page(state: &AppState, ctx: &Ctx, code: ErrorCode, message: &str) -> Response {
    let heading = match code {
        ErrorCode::NotFound => "页面不存在",
        ErrorCode::Forbidden => "无权访问",
        ErrorCode::Unauthenticated => "请先登录",
        ErrorCode::Internal => "系统错误",
        _ => "操作未完成",
    };
    let page = ErrorPage {
        chrome: Chrome::new(state, ctx, heading, ""),
        heading,
        message: message.to_owned(),
        code: code.code(),
        show_login: ctx.session.is_none() && matches!(code, ErrorCode::Unauthenticated | ErrorCode::Forbidden),
    };
    let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    render_with(status, &page)
}

struct MeasureView {
    number: u8,
    title: String,
    text: String,
    lead: String,
    co: String,
    counties: bool,
}

struct GroupView {
    number: u8,
    title: String,
    text: String,
    measures: Vec<MeasureView>,
}

struct TargetView {
    name: String,
    value: String,
    unit: String,
    due: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    document_title: String,
    document_number: String,
    last_login: Option<String>,
    targets_heading: String,
    measures_heading: String,
    targets: Vec<TargetView>,
    groups: Vec<GroupView>,
    chains: Vec<String>,
    /// The inventory card of inventors, reviewers and institution admins: what waits for them, their coverage.
    inventory_card: Option<ipbridge_service::revitalisation::inventory::InventoryHome>,
    /// The institution side's overdue and due-soon inquiries, rendered by [`inquiries::AlertsPanel`] ("" when none).
    inquiry_alerts: String,
}

/// The home page: the city's measures with their responsible departments.
pub async fn home(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let policy = &state.app.policy;
    let dept = |code: &str| policy.department(code).map(|d| d.name.clone()).unwrap_or_else(|| code.to_owned());
    let groups = policy
        .measure_groups
        .iter()
        .map(|g| GroupView {
            number: g.number,
            title: g.title.clone(),
            text: g.text.clone(),
            measures: policy
                .measures_in_group(g.number)
                .map(|m| MeasureView {
                    number: m.number,
                    title: m.title.clone(),
                    text: m.text.clone(),
                    lead: m.lead_department().map(dept).unwrap_or_default(),
                    co: m.co_departments().iter().map(|c| dept(c)).collect::<Vec<_>>().join("、"),
                    counties: m.counties_implement,
                })
                .collect(),
        })
        .collect();
    let last_login = ctx.user().and_then(|s| {
        s.user.last_login_at.map(|t| {
            let (time, place) = login_time_and_place(t, s.user.last_login_ip.as_deref().unwrap_or(""));
            format!("{time}，来自 {place}")
        })
    });
    let chains = state.app.chains().await?.into_iter().filter(|c| c.active).map(|c| c.name).collect();
    let inquiry_alerts = match state.app.inquiry_alerts(&ctx.actor).await? {
        Some(alerts) => inquiries::AlertsPanel::new(&alerts).map(|p| p.html()).unwrap_or_default(),
        None => String::new(),
    };
    let inventory_card = if ctx.user().is_some() { state.app.inventory_home(&ctx.actor).await? } else { None };
    let page = HomePage {
        chrome: Chrome::new(&state, &ctx, "首页", "home"),
        document_title: policy.document.title.clone(),
        document_number: policy.document.number.clone(),
        last_login,
        targets_heading: format!("{}发展目标", policy.city.name),
        measures_heading: format!("{}条措施与责任部门", policy.measures.len()),
        targets: policy
            .targets
            .iter()
            .map(|t| TargetView {
                name: t.name.clone(),
                value: thousands(t.value),
                unit: t.unit.clone(),
                due: t.due.format("%Y年%-m月%-d日").to_string(),
            })
            .collect(),
        groups,
        chains,
        inquiry_alerts,
        inventory_card,
    };
    Ok(render(&page))
}

/// An xlsx download; the file name may be Chinese (RFC 5987 form, understood by every current browser).
pub fn xlsx_download(name: &str, bytes: Vec<u8>) -> Response {
    let encoded = crate::guard::urlencode(name).replace('+', "%20");
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"export.xlsx\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A time-stamped export file name, e.g. 机构-20261126-0930.xlsx.
pub fn export_name(state: &AppState, list: &str) -> String {
    format!("{list}-{}.xlsx", china_time(state.app.now()).format("%Y%m%d-%H%M%S"))
}

/// A login's local time and place (client address) as pages show them.
pub fn login_time_and_place(at: chrono::DateTime<chrono::Utc>, ip: &str) -> (String, String) {
    let place = if ip.is_empty() || ip == "unknown" { "未知".to_owned() } else { ip.to_owned() };
    (china_time(at).format("%Y-%m-%d %H:%M").to_string(), place)
}

/// 30000 → "30,000".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The 404 page for any path no route matches (no route, so no guard: an anonymous layout).
pub async fn not_found(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let request_id = headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
    let ctx = Ctx {
        actor: ipbridge_service::Actor::anonymous("unknown", request_id.clone()),
        session: None,
        csrf: String::new(),
        request_id,
        flash: None,
        path: String::new(),
        unread: 0,
    };
    render_error_page(&state, &ctx, ErrorCode::NotFound, "您访问的页面不存在，请检查地址是否正确")
}

/// Liveness probe for load balancers and monitoring.
pub async fn health() -> &'static str {
    "ok"
}
