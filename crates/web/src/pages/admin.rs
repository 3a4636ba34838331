//! Account administration (system administrator), role grants (security administrator) and the system
//! page. The services check the permission again; these handlers only translate.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use ipbridge_domain::account::User;
use ipbridge_domain::org::{Faculty, FacultyId, Org, OrgId, UserId};
use ipbridge_domain::permission::Role;
use ipbridge_service::UserFilter;
use ipbridge_service::accounts::NewAccount;
use ipbridge_service::auth::china_time;
use ipbridge_service::{FieldErrors, ServiceError};
use serde::Deserialize;

use super::{Chrome, redirect_with_flash, render, render_with};
use crate::ctx::Ctx;
use crate::error::WebResult;
use crate::{AppState, paths};

/// Rows per page of administration lists.
pub const PAGE_SIZE: u32 = 50;

/// Paging links for a list.
#[derive(Debug, Clone)]
pub struct Pager {
    /// Current page, from 1.
    pub page: u32,
    /// Number of pages.
    pub pages: u32,
    /// Total rows.
    pub total: u64,
    /// Link to the previous page.
    pub prev: Option<String>,
    /// Link to the next page.
    pub next: Option<String>,
}

impl Pager {
    /// Paging for `total` rows; `link(page)` builds a page's address.
    pub fn new(page: u32, total: u64, link: impl Fn(u32) -> String) -> Self {
        Self::per(page, total, PAGE_SIZE, link)
    }

    /// Paging for `total` rows shown `size` to a page.
    pub fn per(page: u32, total: u64, size: u32, link: impl Fn(u32) -> String) -> Self {
        let pages = u32::try_from(total.div_ceil(u64::from(size.max(1)))).unwrap_or(u32::MAX).max(1);
        let page = page.clamp(1, pages);
        Self {
            page,
            pages,
            total,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }

    /// Rows to skip for a page.
    pub fn offset(page: u32) -> u32 {
        page.max(1).saturating_sub(1).saturating_mul(PAGE_SIZE)
    }

    /// The page actually shown for a request of `page` when `total` rows match: past the end means the
    /// last page. `Some` when it differs from the request, so the caller fetches that page instead.
    pub fn correction(page: u32, total: u64) -> Option<u32> {
        let last = u32::try_from(total.div_ceil(u64::from(PAGE_SIZE))).unwrap_or(u32::MAX).max(1);
        let shown = page.clamp(1, last);
        (shown != page).then_some(shown)
    }
}

/// `?q=&page=` of lists.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    /// Search text.
    #[serde(default)]
    pub q: String,
    /// Page, from 1.
    #[serde(default)]
    pub page: Option<u32>,
}

/// One row of the account list.
pub struct UserRow {
    id: UserId,
    username: String,
    display_name: String,
    org_name: String,
    roles: String,
    status: String,
    last_login: String,
}

fn status_of(u: &User, now: chrono::DateTime<chrono::Utc>) -> String {
    let mut s = Vec::new();
    if u.disabled {
        s.push("已停用".to_owned());
    }
    if u.is_locked(now) {
        s.push(format!(
            "锁定至{}",
            u.locked_until.map(|t| china_time(t).format("%H:%M").to_string()).unwrap_or_default()
        ));
    }
    if u.must_change_password && !u.is_demo {
        s.push("待改密".to_owned());
    }
    if u.requires_totp() && u.totp_secret.is_none() {
        s.push("待绑定动态口令".to_owned());
    }
    if s.is_empty() { "正常".to_owned() } else { s.join("、") }
}

fn user_row(u: &User, now: chrono::DateTime<chrono::Utc>) -> UserRow {
    UserRow {
        id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        org_name: u.org_name.clone(),
        roles: u.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join("、"),
        status: status_of(u, now),
        last_login: u
            .last_login_at
            .map(|t| china_time(t).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "—".into()),
    }
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    chrome: Chrome,
    heading: &'static str,
    base: &'static str,
    q: String,
    rows: Vec<UserRow>,
    pager: Pager,
    can_create: bool,
    export_href: String,
}

async fn users_list(state: &AppState, ctx: &Ctx, q: ListQuery, roles_view: bool) -> WebResult {
    let mut page = q.page.unwrap_or(1);
    let mut filter =
        UserFilter { text: Some(q.q.clone()), limit: PAGE_SIZE, offset: Pager::offset(page), ..UserFilter::default() };
    let mut result = state.app.list_accounts(&ctx.actor, &filter).await?;
    if let Some(shown) = Pager::correction(page, result.total) {
        page = shown;
        filter.offset = Pager::offset(page);
        result = state.app.list_accounts(&ctx.actor, &filter).await?;
    }
    let base = if roles_view { paths::ADMIN_ROLES } else { paths::ADMIN_USERS };
    let qs = crate::guard::urlencode(&q.q);
    Ok(render(&UsersPage {
        chrome: Chrome::new(
            state,
            ctx,
            if roles_view { "角色授权" } else { "账号管理" },
            if roles_view { "roles" } else { "users" },
        ),
        heading: if roles_view { "角色授权" } else { "账号管理" },
        base,
        rows: result.users.iter().map(|u| user_row(u, state.app.now())).collect(),
        pager: Pager::new(page, result.total, |p| format!("{base}?q={qs}&page={p}")),
        export_href: format!("/admin/users/export?q={qs}"),
        q: q.q,
        can_create: !roles_view,
    }))
}

/// The account list as xlsx, with the list's search.
pub async fn users_export(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> WebResult {
    let filter = UserFilter { text: Some(q.q.clone()), ..UserFilter::default() };
    let bytes = state.app.export_accounts(&ctx.actor, &filter).await?;
    Ok(super::xlsx_download(&super::export_name(&state, "账号"), bytes))
}

/// Accounts (system administrator).
pub async fn users(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> WebResult {
    users_list(&state, &ctx, q, false).await
}

/// Accounts to grant roles to (security administrator).
pub async fn roles_list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> WebResult {
    users_list(&state, &ctx, q, true).await
}

/// The account form as typed.
#[derive(Debug, Default, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    faculty_id: String,
    #[serde(default)]
    password: String,
}

fn parse_id(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

#[derive(Template)]
#[template(path = "admin_user_new.html")]
struct UserNewPage {
    chrome: Chrome,
    form: UserFormView,
    orgs: Vec<Org>,
    faculties: Vec<Faculty>,
    errors: FieldErrors,
}

/// The form's values for re-rendering.
#[derive(Debug, Default)]
pub struct UserFormView {
    username: String,
    display_name: String,
    org_id: i64,
    faculty_id: i64,
}

impl UserFormView {
    fn from_form(f: &UserForm) -> Self {
        Self {
            username: f.username.clone(),
            display_name: f.display_name.clone(),
            org_id: parse_id(&f.org_id).unwrap_or(0),
            faculty_id: parse_id(&f.faculty_id).unwrap_or(0),
        }
    }
}

async fn faculties_of(state: &AppState, ctx: &Ctx, org_id: i64) -> WebResult<Vec<Faculty>> {
    if org_id <= 0 {
        return Ok(Vec::new());
    }
    match state.app.faculty_choices(&ctx.actor, OrgId::new(org_id)).await {
        Ok(f) => Ok(f),
        Err(ServiceError::NotFound) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// The new-account form.
pub async fn user_new_form(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    Ok(render(&UserNewPage {
        chrome: Chrome::new(&state, &ctx, "新建账号", "users"),
        form: UserFormView::default(),
        orgs: state.app.org_choices(&ctx.actor).await?,
        faculties: Vec::new(),
        errors: FieldErrors::new(),
    }))
}

/// `?org_id=` of the faculty picker.
#[derive(Debug, Deserialize)]
pub struct FacultyQuery {
    #[serde(default)]
    org_id: String,
}

#[derive(Template)]
#[template(path = "faculty_options.html")]
struct FacultyOptions {
    faculties: Vec<Faculty>,
    selected: i64,
}

/// The faculty options of an organisation (htmx partial of the account form).
pub async fn faculty_options(State(state): State<AppState>, ctx: Ctx, Query(q): Query<FacultyQuery>) -> WebResult {
    let faculties = faculties_of(&state, &ctx, parse_id(&q.org_id).unwrap_or(0)).await?;
    Ok(render(&FacultyOptions { faculties, selected: 0 }))
}

/// Creates an account (without roles).
pub async fn user_create(State(state): State<AppState>, ctx: Ctx, Form(f): Form<UserForm>) -> WebResult {
    let new = NewAccount {
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        org_id: parse_id(&f.org_id).map(OrgId::new),
        faculty_id: parse_id(&f.faculty_id).filter(|id| *id > 0).map(FacultyId::new),
        password: f.password.clone(),
    };
    match state.app.create_account(&ctx.actor, &new).await {
        Ok(id) => Ok(redirect_with_flash(
            &paths::admin_user(id),
            "success",
            "账号已创建。用户首次登录须修改初始密码；请通知安全管理员为其授予角色。",
        )),
        Err(ServiceError::Invalid(errors)) => user_new_invalid(&state, &ctx, &f, errors).await,
        Err(ServiceError::Conflict(c)) => {
            let mut errors = FieldErrors::new();
            errors.add("username", c.to_string());
            user_new_invalid(&state, &ctx, &f, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn user_new_invalid(state: &AppState, ctx: &Ctx, f: &UserForm, errors: FieldErrors) -> WebResult {
    let view = UserFormView::from_form(f);
    let faculties = faculties_of(state, ctx, view.org_id).await?;
    Ok(render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        &UserNewPage {
            chrome: Chrome::new(state, ctx, "新建账号", "users"),
            form: view,
            orgs: state.app.org_choices(&ctx.actor).await?,
            faculties,
            errors,
        },
    ))
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage {
    chrome: Chrome,
    user: UserRow,
    form: UserFormView,
    orgs: Vec<Org>,
    faculties: Vec<Faculty>,
    disabled: bool,
    locked: bool,
    has_totp: bool,
    errors: FieldErrors,
    temporary_password: Option<String>,
}

async fn user_page(
    state: &AppState,
    ctx: &Ctx,
    id: UserId,
    errors: FieldErrors,
    temporary_password: Option<String>,
) -> WebResult {
    let u = state.app.account(&ctx.actor, id).await?;
    let form = UserFormView {
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        org_id: u.org_id.get(),
        faculty_id: u.faculty_id.map(FacultyId::get).unwrap_or(0),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render_with(
        status,
        &UserPage {
            chrome: Chrome::new(state, ctx, &format!("账号 {}", u.username), "users"),
            faculties: faculties_of(state, ctx, form.org_id).await?,
            orgs: state.app.org_choices(&ctx.actor).await?,
            disabled: u.disabled,
            locked: u.is_locked(state.app.now()),
            has_totp: u.totp_secret.is_some(),
            user: user_row(&u, state.app.now()),
            form,
            errors,
            temporary_password,
        },
    ))
}

/// One account with its actions.
pub async fn user_detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    user_page(&state, &ctx, UserId::new(id), FieldErrors::new(), None).await
}

/// Saves name, organisation and faculty.
pub async fn user_update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(f): Form<UserForm>,
) -> WebResult {
    let id = UserId::new(id);
    let org = parse_id(&f.org_id).map(OrgId::new);
    let faculty = parse_id(&f.faculty_id).filter(|v| *v > 0).map(FacultyId::new);
    match state.app.update_account(&ctx.actor, id, &f.display_name, org, faculty).await {
        Ok(()) => Ok(redirect_with_flash(&paths::admin_user(id), "success", "账号信息已保存。")),
        Err(ServiceError::Invalid(errors)) => user_page(&state, &ctx, id, errors, None).await,
        Err(e) => Err(e.into()),
    }
}

/// Disables an account.
pub async fn user_disable(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    set_disabled(state, ctx, id, true).await
}

/// Re-enables an account.
pub async fn user_enable(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    set_disabled(state, ctx, id, false).await
}

async fn set_disabled(state: AppState, ctx: Ctx, id: i64, disabled: bool) -> WebResult {
    let id = UserId::new(id);
    match state.app.set_account_disabled(&ctx.actor, id, disabled).await {
        Ok(()) => Ok(redirect_with_flash(
            &paths::admin_user(id),
            "success",
            if disabled { "账号已停用，其登录会话已结束。" } else { "账号已启用。" },
        )),
        Err(ServiceError::Invalid(errors)) => user_page(&state, &ctx, id, errors, None).await,
        Err(e) => Err(e.into()),
    }
}

/// Lifts a lock.
pub async fn user_unlock(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let id = UserId::new(id);
    match state.app.unlock_account(&ctx.actor, id).await {
        Ok(()) => Ok(redirect_with_flash(&paths::admin_user(id), "success", "账号已解锁。")),
        Err(ServiceError::Invalid(errors)) => user_page(&state, &ctx, id, errors, None).await,
        Err(e) => Err(e.into()),
    }
}

/// Removes the second factor (lost phone).
pub async fn user_reset_totp(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let id = UserId::new(id);
    match state.app.reset_account_totp(&ctx.actor, id).await {
        Ok(()) => Ok(redirect_with_flash(
            &paths::admin_user(id),
            "success",
            "已解除该账号的动态口令，用户下次登录可重新绑定。",
        )),
        Err(ServiceError::Invalid(errors)) => user_page(&state, &ctx, id, errors, None).await,
        Err(e) => Err(e.into()),
    }
}

/// Sets a temporary password and shows it once on this response (never in a redirect or a cookie).
pub async fn user_reset_password(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let id = UserId::new(id);
    match state.app.reset_password(&ctx.actor, id, None).await {
        Ok(password) => user_page(&state, &ctx, id, FieldErrors::new(), Some(password)).await,
        Err(ServiceError::Invalid(errors)) => user_page(&state, &ctx, id, errors, None).await,
        Err(e) => Err(e.into()),
    }
}

struct RoleChoice {
    code: &'static str,
    label: &'static str,
    checked: bool,
    fits: bool,
    permissions: String,
}

#[derive(Template)]
#[template(path = "admin_roles.html")]
struct RolesPage {
    chrome: Chrome,
    user: UserRow,
    org_kind: &'static str,
    choices: Vec<RoleChoice>,
    errors: FieldErrors,
}

async fn roles_page(
    state: &AppState,
    ctx: &Ctx,
    id: UserId,
    selected: Option<Vec<Role>>,
    errors: FieldErrors,
) -> WebResult {
    let u = state.app.account(&ctx.actor, id).await?;
    let selected = selected.unwrap_or_else(|| u.roles.clone());
    let choices = Role::ALL
        .into_iter()
        .map(|r| RoleChoice {
            code: r.code(),
            label: r.label(),
            checked: selected.contains(&r),
            fits: r.fits_org(u.org_kind),
            permissions: r.permissions().iter().map(|p| p.label()).collect::<Vec<_>>().join("、"),
        })
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render_with(
        status,
        &RolesPage {
            chrome: Chrome::new(state, ctx, &format!("角色授权 {}", u.username), "roles"),
            org_kind: u.org_kind.label(),
            user: user_row(&u, state.app.now()),
            choices,
            errors,
        },
    ))
}

/// The role form of one account.
pub async fn roles_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    roles_page(&state, &ctx, UserId::new(id), None, FieldErrors::new()).await
}

/// Saves the roles. Checkbox forms repeat the `role` key, so the body is read as pairs.
pub async fn roles_save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let id = UserId::new(id);
    let mut roles = Vec::new();
    for (k, v) in &pairs {
        if k == "role" {
            match v.parse::<Role>() {
                Ok(r) => roles.push(r),
                Err(_) => return Err(crate::error::WebError::invalid(format!("未知角色“{v}”"))),
            }
        }
    }
    match state.app.grant_roles(&ctx.actor, id, &roles).await {
        Ok(()) => Ok(redirect_with_flash(&paths::admin_roles(id), "success", "角色已保存。")),
        Err(ServiceError::Invalid(errors)) => roles_page(&state, &ctx, id, Some(roles), errors).await,
        Err(e) => Err(e.into()),
    }
}

struct Fact {
    label: &'static str,
    value: String,
}

#[derive(Template)]
#[template(path = "admin_system.html")]
struct SystemPage {
    chrome: Chrome,
    settings: Vec<Fact>,
    policy: Vec<Fact>,
}

/// Configuration and policy in force (read-only: configuration lives in the file and environment),
/// and the backup button.
pub async fn system(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    ctx.actor.authorise(ipbridge_domain::Permission::ManageConfig)?;
    let s = &state.app.settings;
    let p = &state.app.policy;
    let db_size = state.app.database_size();
    let settings = vec![
        Fact { label: "版本", value: env!("CARGO_PKG_VERSION").to_owned() },
        Fact { label: "监听地址", value: s.server.addr.to_string() },
        Fact { label: "数据目录", value: s.server.data_dir.display().to_string() },
        Fact {
            label: "数据库文件",
            value: format!("{}（{:.1} MB）", state.app.db.path().display(), db_size as f64 / 1_048_576.0),
        },
        Fact {
            label: "政策文件",
            value: s
                .server
                .policy
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "内置（安康市 2024）".into()),
        },
        Fact {
            label: "HTTPS 反向代理",
            value: if s.server.behind_tls { "是（Cookie 带 Secure 标记）" } else { "否" }.into(),
        },
        Fact { label: "密码有效期", value: format!("{} 天", s.security.password_max_age_days) },
        Fact {
            label: "登录失败锁定",
            value: format!("连续 {} 次，锁定 {} 分钟", s.security.max_failed_logins, s.security.lock_minutes),
        },
        Fact {
            label: "会话空闲超时",
            value: format!("{} 分钟（最长 {} 小时）", s.security.idle_timeout_minutes, s.security.max_session_hours),
        },
    ];
    let policy = vec![
        Fact { label: "城市", value: format!("{}（{}）", p.city.name, p.city.division_code) },
        Fact { label: "政策依据", value: format!("{}（{}）", p.document.title, p.document.number) },
        Fact { label: "措施", value: format!("{} 条", p.measures.len()) },
        Fact { label: "责任部门", value: format!("{} 个", p.departments.len()) },
        Fact { label: "县（市、区）及开发区", value: format!("{} 个", p.counties.len()) },
        Fact {
            label: "目标",
            value: p
                .targets
                .iter()
                .map(|t| format!("{} ≥ {}{}", t.name, t.value, t.unit))
                .collect::<Vec<_>>()
                .join("；"),
        },
    ];
    Ok(render(&SystemPage { chrome: Chrome::new(&state, &ctx, "系统信息", "system"), settings, policy }))
}

/// Writes a consistent backup into the data directory's `backups` folder.
pub async fn backup(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let (file, size) = state.app.backup_to_data_dir(&ctx.actor).await?;
    Ok(redirect_with_flash(
        paths::ADMIN_SYSTEM,
        "success",
        &format!("备份完成：{}（{:.1} MB）", file.display(), size as f64 / 1_048_576.0),
    ))
}
