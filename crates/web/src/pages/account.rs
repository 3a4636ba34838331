//! Login, the second factor, logout, my account, password change and TOTP enrolment.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use ipbridge_service::auth::china_time;
use ipbridge_service::{FieldErrors, ServiceError};
use serde::Deserialize;

use super::{Chrome, redirect_with_flash, render, render_with};
use crate::ctx::Ctx;
use crate::error::{WebError, WebResult};
use crate::guard::{ANON_COOKIE, SESSION_COOKIE, flash_cookie, removal, secure_cookie};
use crate::{AppState, paths};

/// Only local paths are followed after login, never another site: one leading `/` not followed by
/// another, and no control character, whitespace or backslash anywhere (browsers drop tabs and
/// newlines, which would turn `/\t/evil` into `//evil`).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.chars().any(|c| c.is_control() || c == '\\' || c.is_whitespace()) =>
        {
            n.to_owned()
        }
        _ => paths::HOME.to_owned(),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    username: String,
    next: String,
    error: Option<String>,
}

/// `?next=` on the login page.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The login form.
pub async fn login_form(State(state): State<AppState>, ctx: Ctx, Query(q): Query<NextQuery>) -> Response {
    if ctx.user().is_some() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    render(&LoginPage {
        chrome: Chrome::new(&state, &ctx, "登录", "login"),
        username: String::new(),
        next: safe_next(q.next.as_deref()),
        error: None,
    })
}

/// The login form as posted.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

fn previous_login_message(prev: Option<(chrono::DateTime<chrono::Utc>, String)>) -> String {
    match prev {
        Some((at, ip)) => {
            let (time, place) = super::login_time_and_place(at, &ip);
            format!("登录成功。上次登录时间：{time}，登录地点：{place}")
        }
        None => "登录成功。这是该账号的首次登录。".to_owned(),
    }
}

/// Checks the password; continues to the code page when the account has a second factor.
pub async fn login(State(state): State<AppState>, ctx: Ctx, Form(f): Form<LoginForm>) -> WebResult {
    let next = safe_next(f.next.as_deref());
    // A browser that logs in again leaves no earlier session behind.
    if let Some(previous) = &ctx.session {
        state.app.logout(&ctx.actor, previous).await?;
    }
    match state.app.login(&ctx.actor, &f.username, &f.password).await {
        Ok(ok) => {
            let mut jar = CookieJar::new()
                .add(secure_cookie(&state, SESSION_COOKIE, ok.token.clone()))
                .add(removal(&state, ANON_COOKIE));
            if ok.totp_pending {
                jar = jar.add(flash_cookie("info", "密码正确，请输入动态口令。"));
                let to = format!("{}?next={}", paths::LOGIN_TOTP, crate::guard::urlencode(&next));
                return Ok((jar, Redirect::to(&to)).into_response());
            }
            jar = jar.add(flash_cookie("success", &previous_login_message(ok.previous_login)));
            // A pending step (new password, second factor enrolment) comes before anything else.
            let session = state.app.session_user(&ok.token, &ctx.actor).await?;
            let to = session.as_ref().and_then(crate::guard::pending_step).map(str::to_owned).unwrap_or(next);
            Ok((jar, Redirect::to(&to)).into_response())
        }
        Err(ServiceError::Login(e)) => Ok(render_with(
            StatusCode::UNAUTHORIZED,
            &LoginPage {
                chrome: Chrome::new(&state, &ctx, "登录", "login"),
                username: f.username,
                next,
                error: Some(e.to_string()),
            },
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "login_totp.html")]
struct TotpPage {
    chrome: Chrome,
    next: String,
    error: Option<String>,
}

/// The code page after a correct password.
pub async fn totp_form(State(state): State<AppState>, ctx: Ctx, Query(q): Query<NextQuery>) -> Response {
    if !ctx.session.as_ref().is_some_and(|s| s.totp_pending) {
        return Redirect::to(paths::HOME).into_response();
    }
    render(&TotpPage {
        chrome: Chrome::new(&state, &ctx, "动态口令验证", "login"),
        next: safe_next(q.next.as_deref()),
        error: None,
    })
}

/// The code as posted.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    code: String,
    #[serde(default)]
    next: Option<String>,
}

/// Checks the one-time code and completes the login.
pub async fn totp_verify(State(state): State<AppState>, ctx: Ctx, Form(f): Form<CodeForm>) -> WebResult {
    let Some(su) = ctx.session.clone().filter(|s| s.totp_pending) else {
        return Ok(Redirect::to(paths::HOME).into_response());
    };
    let next = safe_next(f.next.as_deref());
    match state.app.verify_login_totp(&ctx.actor, &su, &f.code).await {
        Ok(()) => {
            let prev = su.user.last_login_at.map(|t| (t, su.user.last_login_ip.clone().unwrap_or_default()));
            Ok(redirect_with_flash(&next, "success", &previous_login_message(prev)))
        }
        Err(ServiceError::Login(e)) => {
            if matches!(e, ipbridge_service::LoginError::Locked { .. }) {
                let jar =
                    CookieJar::new().add(removal(&state, SESSION_COOKIE)).add(flash_cookie("error", &e.to_string()));
                return Ok((jar, Redirect::to(paths::LOGIN)).into_response());
            }
            Ok(render_with(
                StatusCode::UNAUTHORIZED,
                &TotpPage {
                    chrome: Chrome::new(&state, &ctx, "动态口令验证", "login"),
                    next,
                    error: Some(e.to_string()),
                },
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// Ends the session.
pub async fn logout(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    if let Some(su) = &ctx.session {
        state.app.logout(&ctx.actor, su).await?;
    }
    let jar = CookieJar::new().add(removal(&state, SESSION_COOKIE));
    Ok((jar, redirect_with_flash(paths::LOGIN, "info", "您已安全退出。")).into_response())
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    username: String,
    display_name: String,
    org_name: String,
    roles: Vec<String>,
    last_login: String,
    password_changed: String,
    password_expires: String,
    totp_enabled: bool,
    totp_required: bool,
}

/// My account.
pub async fn account(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let su = ctx.user().ok_or(ServiceError::Unauthenticated)?;
    let u = &su.user;
    let max_age = state.app.settings.security.password_max_age_days;
    let page = AccountPage {
        chrome: Chrome::new(&state, &ctx, "我的账号", "account"),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        org_name: u.org_name.clone(),
        roles: u.roles.iter().map(|r| r.label().to_owned()).collect(),
        last_login: u
            .last_login_at
            .map(|t| {
                let (time, place) = super::login_time_and_place(t, u.last_login_ip.as_deref().unwrap_or(""));
                format!("{time}（{place}）")
            })
            .unwrap_or_else(|| "—".into()),
        password_changed: china_time(u.password_changed_at).format("%Y-%m-%d").to_string(),
        password_expires: if max_age == 0 {
            "不过期".into()
        } else {
            china_time(u.password_changed_at + chrono::Duration::days(i64::from(max_age)))
                .format("%Y-%m-%d")
                .to_string()
        },
        totp_enabled: u.totp_secret.is_some(),
        totp_required: u.requires_totp(),
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Chrome,
    forced: bool,
    errors: FieldErrors,
}

/// The password change form (also the forced step after a reset or on expiry).
pub async fn password_form(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let forced = ctx.session.as_ref().is_some_and(|s| s.must_change_password);
    Ok(render(&PasswordPage {
        chrome: Chrome::new(&state, &ctx, "修改密码", "account"),
        forced,
        errors: FieldErrors::new(),
    }))
}

/// The password form as posted.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    repeat: String,
}

/// Changes the password.
pub async fn password_change(State(state): State<AppState>, ctx: Ctx, Form(f): Form<PasswordForm>) -> WebResult {
    let su = ctx.session.clone().ok_or(ServiceError::Unauthenticated)?;
    match state.app.change_password(&ctx.actor, &su, &f.current, &f.new, &f.repeat).await {
        Ok(token) => {
            // The session token changes with the password.
            let jar = CookieJar::new().add(secure_cookie(&state, SESSION_COOKIE, token));
            Ok((jar, redirect_with_flash(paths::ACCOUNT, "success", "密码已修改，其他设备上的登录已失效。"))
                .into_response())
        }
        Err(ServiceError::Invalid(errors)) => Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage {
                chrome: Chrome::new(&state, &ctx, "修改密码", "account"),
                forced: su.must_change_password,
                errors,
            },
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "totp_enrol.html")]
struct TotpEnrolPage {
    chrome: Chrome,
    forced: bool,
    secret: String,
    qr_svg: String,
    errors: FieldErrors,
}

fn qr_svg(url: &str) -> Result<String, WebError> {
    let code = qrcode::QrCode::new(url.as_bytes()).map_err(|e| WebError::internal(format!("qr: {e}")))?;
    Ok(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).quiet_zone(true).build())
}

fn enrol_page(state: &AppState, ctx: &Ctx, secret: Option<String>, errors: FieldErrors) -> WebResult {
    let su = ctx.session.as_ref().ok_or(ServiceError::Unauthenticated)?;
    let enrolment = match secret {
        Some(secret) => state.app.totp_enrolment_with(&su.user, &secret)?,
        None => state.app.new_totp_enrolment(&su.user)?,
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render_with(
        status,
        &TotpEnrolPage {
            chrome: Chrome::new(state, ctx, "绑定动态口令", "account"),
            forced: su.must_enrol_totp,
            qr_svg: qr_svg(&enrolment.url)?,
            secret: enrolment.secret,
            errors,
        },
    ))
}

/// The enrolment page: a new secret as QR code and text.
pub async fn totp_enrol_form(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    enrol_page(&state, &ctx, None, FieldErrors::new())
}

/// The enrolment as posted: the secret shown and a code from the app.
#[derive(Debug, Deserialize)]
pub struct EnrolForm {
    secret: String,
    code: String,
}

/// Stores the second factor when the code matches.
pub async fn totp_enrol(State(state): State<AppState>, ctx: Ctx, Form(f): Form<EnrolForm>) -> WebResult {
    let su = ctx.session.clone().ok_or(ServiceError::Unauthenticated)?;
    match state.app.confirm_totp(&ctx.actor, &su, f.secret.trim(), &f.code).await {
        Ok(()) => {
            Ok(redirect_with_flash(paths::ACCOUNT, "success", "动态口令已绑定，以后登录需输入验证器上的6位数字。"))
        }
        Err(ServiceError::Invalid(errors)) => enrol_page(&state, &ctx, Some(f.secret.trim().to_owned()), errors),
        Err(e) => Err(e.into()),
    }
}

/// Removes one's own second factor (not allowed for administrators).
pub async fn totp_remove(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let su = ctx.user().cloned().ok_or(ServiceError::Unauthenticated)?;
    state.app.remove_own_totp(&ctx.actor, &su).await?;
    Ok(redirect_with_flash(paths::ACCOUNT, "success", "已解除动态口令。"))
}
