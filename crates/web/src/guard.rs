//! The guard: one middleware on every declared route. It resolves the session, builds the request
//! context, enforces the route's declared access and the CSRF token, and renders error pages with the
//! request id. Handlers run only when all of that passed.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_service::auth::SessionUser;
use ipbridge_service::{Actor, ErrorCode};
use serde_json::json;
use tracing::{Instrument, error, info_span, warn};

use crate::ctx::{Ctx, Flash};
use crate::error::ErrorMarker;
use crate::pages::render_error_page;
use crate::routes::Access;
use crate::{AppState, paths};

/// The session cookie: an opaque random token; the server keeps only its hash.
pub const SESSION_COOKIE: &str = "ipbridge_session";
/// An anonymous visitor's random id, which the CSRF token of the login form is bound to.
pub const ANON_COOKIE: &str = "ipbridge_anon";
/// The one-time message for the next page.
pub const FLASH_COOKIE: &str = "ipbridge_flash";
/// Header carrying the CSRF token for htmx and script requests.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Form field carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf";
/// Largest form body the guard buffers to read the token.
const FORM_LIMIT: usize = 1024 * 1024;

/// What the guard decided about access.
enum Decision {
    Allow,
    Login,
    Step(&'static str),
    Deny,
}

/// The page that completes the first pending login step, if any.
pub fn pending_step(s: &SessionUser) -> Option<&'static str> {
    if s.totp_pending {
        Some(paths::LOGIN_TOTP)
    } else if s.must_change_password {
        Some(paths::ACCOUNT_PASSWORD)
    } else if s.must_enrol_totp {
        Some(paths::ACCOUNT_TOTP)
    } else {
        None
    }
}

fn decide(access: Access, session: Option<&SessionUser>, path: &str) -> Decision {
    match (access, session) {
        (Access::Public, _) => Decision::Allow,
        (_, None) => Decision::Login,
        (access, Some(s)) => match pending_step(s) {
            Some(step) if path == step || path == paths::LOGOUT => Decision::Allow,
            Some(step) => Decision::Step(step),
            None if access.allows(|p| s.user.can(p)) => Decision::Allow,
            None => Decision::Deny,
        },
    }
}

fn client_ip(state: &AppState, req: &Request) -> String {
    if state.app.settings.server.trust_proxy_headers
        && let Some(forwarded) = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok())
        // The proxy appends the address it saw; anything to its left came from the client and can be forged.
        && let Some(last) = forwarded.rsplit(',').next().map(str::trim).filter(|s| !s.is_empty())
    {
        return last.to_owned();
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn read_flash(jar: &CookieJar) -> Option<Flash> {
    let raw = jar.get(FLASH_COOKIE)?.value().to_owned();
    let (kind, hex_msg) = raw.split_once(':')?;
    let message = String::from_utf8(hex::decode(hex_msg).ok()?).ok()?;
    let kind = match kind {
        "success" => "success",
        "error" => "error",
        _ => "info",
    };
    Some(Flash { kind, message })
}

/// The cookie that carries a flash message to the next page.
pub fn flash_cookie(kind: &str, message: &str) -> Cookie<'static> {
    let mut c = Cookie::new(FLASH_COOKIE, format!("{kind}:{}", hex::encode(message.as_bytes())));
    c.set_path("/");
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c
}

/// Builds a cookie with the platform's flags: HttpOnly, SameSite=Strict, Secure behind TLS.
pub fn secure_cookie(state: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    let mut c = Cookie::new(name, value);
    c.set_path("/");
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c.set_secure(state.app.settings.server.behind_tls);
    c
}

/// A cookie that deletes `name` in the browser (Max-Age=0) with the same flags it was set with.
pub fn removal(state: &AppState, name: &'static str) -> Cookie<'static> {
    let mut c = secure_cookie(state, name, String::new());
    c.make_removal();
    c
}

fn set_cookie(res: &mut Response, cookie: &Cookie<'_>) {
    if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Finds the CSRF token in the header or, for url-encoded forms, in the body (which is put back). Only the
/// upload route's multipart bodies are buffered to find the field: anywhere else a multipart body has no
/// token and is refused unread.
async fn csrf_from_request(req: Request, upload: bool) -> Result<(Option<String>, Request), Response> {
    if let Some(t) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return Ok((Some(t.to_owned()), req));
    }
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    if content_type.starts_with("multipart/form-data") && !upload {
        return Ok((None, req));
    }
    if content_type.starts_with("multipart/form-data") {
        // File uploads without script: the hidden `csrf` field comes first in the form, so it sits at the
        // start of the body. The body is buffered once and handed on unchanged.
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, crate::UPLOAD_LIMIT)
            .await
            .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, "上传的文件过大").into_response())?;
        let token = multipart_field(&bytes, CSRF_FIELD);
        return Ok((token, Request::from_parts(parts, Body::from(bytes))));
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok((None, req));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, "表单内容过大").into_response())?;
    let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v));
    Ok((token, Request::from_parts(parts, Body::from(bytes))))
}

/// The value of a small text field near the start of a multipart body (the CSRF token).
fn multipart_field(body: &[u8], name: &str) -> Option<String> {
    let head = &body[..body.len().min(8192)];
    let text = String::from_utf8_lossy(head);
    let marker = format!("name=\"{name}\"");
    let after = &text[text.find(&marker)? + marker.len()..];
    let value = &after[after.find("\r\n\r\n")? + 4..];
    let end = value.find("\r\n")?;
    Some(value[..end].trim().to_owned())
}

/// The middleware.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
    let span = info_span!("request", request_id = %request_id, method = %req.method(), path = %req.uri().path());
    guard_inner(state, req, next, request_id).instrument(span).await
}

async fn guard_inner(state: AppState, req: Request, next: Next, request_id: String) -> Response {
    let ip = client_ip(&state, &req);
    let jar = CookieJar::from_headers(req.headers());
    let mut actor = Actor::anonymous(ip, request_id.clone());
    let session_cookie = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned());
    let session = match &session_cookie {
        Some(token) => match state.app.session_user(token, &actor).await {
            Ok(s) => s,
            Err(e) => {
                error!(error = %e, "session lookup failed");
                return plain_error(ErrorCode::Internal, &request_id);
            }
        },
        None => None,
    };
    let anon = jar.get(ANON_COOKIE).map(|c| c.value().to_owned()).filter(|v| v.len() == 32);
    let new_anon = match (&session, &anon) {
        (None, None) => Some(ipbridge_service::auth::random_token(16)),
        _ => None,
    };
    let binding = match (&session, &anon, &new_anon) {
        (Some(s), _, _) => s.token.clone(),
        (None, Some(a), _) => a.clone(),
        (None, None, Some(n)) => n.clone(),
        (None, None, None) => String::new(),
    };
    actor.user = session.as_ref().map(|s| s.user.clone());
    let flash = read_flash(&jar);
    let path = req.uri().path().to_owned();
    let mut ctx = Ctx {
        actor: actor.clone(),
        session: session.clone(),
        csrf: state.app.csrf_token(&binding),
        request_id: request_id.clone(),
        flash: flash.clone(),
        path: req.uri().path_and_query().map(|pq| pq.as_str().to_owned()).unwrap_or_else(|| path.clone()),
        unread: 0,
    };

    let method = if req.method() == Method::HEAD { Method::GET } else { req.method().clone() };
    let matched = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned());
    let access = matched.as_deref().and_then(|m| state.routes.access(&method, m));
    let Some(access) = access else {
        // Every route is registered with a declaration; reaching here means one was not.
        error!(?matched, "route without a declared permission refused");
        return render_error_page(&state, &ctx, ErrorCode::Forbidden, ErrorCode::Forbidden.message());
    };
    let decision = decide(access, session.as_ref(), &path);
    if matches!(decision, Decision::Allow)
        && method == Method::GET
        && wants_badge(&path)
        && session.as_ref().is_some_and(SessionUser::is_complete)
    {
        // The header shows the unread count on every page (error pages too); a failed count only hides it.
        match state.app.unread_notification_count(&ctx.actor).await {
            Ok(n) => ctx.unread = n,
            Err(e) => warn!(error = %e, "unread notifications could not be counted"),
        }
    }
    let mut res = match decision {
        Decision::Allow => {
            let req = if method == Method::POST {
                let upload = matched.as_deref().is_some_and(|m| crate::UPLOAD_PATHS.contains(&m));
                let declared = req
                    .headers()
                    .get(header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<usize>().ok());
                if !upload && declared.is_some_and(|n| n > FORM_LIMIT) {
                    // Only file uploads may be large; a big body elsewhere is refused before it is read.
                    return (StatusCode::PAYLOAD_TOO_LARGE, "请求内容过大").into_response();
                }
                let (token, req) = match csrf_from_request(req, upload).await {
                    Ok(v) => v,
                    Err(res) => return res,
                };
                if !token.is_some_and(|t| state.app.csrf_valid(&binding, &t)) {
                    warn!("CSRF token missing or invalid");
                    let _ = state
                        .app
                        .record(actor.audit(Action::CsrfRejected, "route", &path, Outcome::Denied, json!({})))
                        .await;
                    let mut res = render_error_page(
                        &state,
                        &ctx,
                        ErrorCode::Forbidden,
                        "页面已过期或来源不明，请刷新页面后重新提交",
                    );
                    if let Some(n) = &new_anon {
                        set_cookie(&mut res, &secure_cookie(&state, ANON_COOKIE, n.clone()));
                    }
                    return res;
                }
                req
            } else {
                req
            };
            let mut req = req;
            req.extensions_mut().insert(ctx.clone());
            next.run(req).await
        }
        Decision::Login if path.starts_with(API_PREFIX) => {
            api_error(ErrorCode::Unauthenticated, "未登录或登录已过期", &ctx.request_id)
        }
        Decision::Login => {
            if method == Method::GET {
                let target = format!("{}?next={}", paths::LOGIN, urlencode(&ctx.path));
                Redirect::to(&target).into_response()
            } else {
                render_error_page(&state, &ctx, ErrorCode::Unauthenticated, "登录已过期，请重新登录")
            }
        }
        Decision::Step(step) => Redirect::to(step).into_response(),
        Decision::Deny => {
            record_access_denied(&state, &actor, &path, &method).await;
            if path.starts_with(API_PREFIX) {
                api_error(ErrorCode::Forbidden, ErrorCode::Forbidden.message(), &ctx.request_id)
            } else {
                render_error_page(&state, &ctx, ErrorCode::Forbidden, ErrorCode::Forbidden.message())
            }
        }
    };

    if res.extensions().get::<ErrorMarker>().is_none() && res.status().is_client_error() && is_plain_text(&res) {
        // An extractor refused the request (malformed form, path or query): give the Chinese page.
        warn!(status = %res.status(), "request rejected by an extractor");
        let status = res.status();
        let code = if status == StatusCode::NOT_FOUND { ErrorCode::NotFound } else { ErrorCode::Invalid };
        res = render_error_page(&state, &ctx, code, "请求格式不正确，请返回上一页检查填写的内容");
        *res.status_mut() = status;
    }
    if let Some(marker) = res.extensions().get::<ErrorMarker>().cloned() {
        if marker.code == ErrorCode::Forbidden {
            record_access_denied(&state, &actor, &path, &method).await;
        }
        res = if path.starts_with(API_PREFIX) {
            api_error(marker.code, &marker.message, &ctx.request_id)
        } else {
            render_error_page(&state, &ctx, marker.code, &marker.message)
        };
    }
    if let Some(n) = new_anon {
        set_cookie(&mut res, &secure_cookie(&state, ANON_COOKIE, n));
    }
    if session_cookie.is_some() && session.is_none() {
        set_cookie(&mut res, &removal(&state, SESSION_COOKIE));
    }
    if flash.is_some() && !res.status().is_redirection() {
        set_cookie(&mut res, &removal(&state, FLASH_COOKIE));
    }
    res
}

/// Audits a refused request; a failure to audit is logged, and the refusal stands either way.
async fn record_access_denied(state: &AppState, actor: &Actor, path: &str, method: &Method) {
    let entry = actor.audit(Action::AccessDenied, "route", path, Outcome::Denied, json!({"method": method.as_str()}));
    if let Err(e) = state.app.record(entry).await {
        error!(error = %e, "could not audit a refused request");
    }
}

/// Pages with the layout show the notification badge; assets, the API and downloads do not need it.
fn wants_badge(path: &str) -> bool {
    !path.starts_with("/static/") && !path.starts_with(API_PREFIX) && !path.ends_with(".xlsx") && path != paths::HEALTH
}

fn is_plain_text(res: &Response) -> bool {
    res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| ct.starts_with("text/plain"))
}

/// Routes under this prefix answer in JSON, errors included.
const API_PREFIX: &str = "/api/";

/// An API error: the status, a stable code, the Chinese message and the request id.
fn api_error(code: ErrorCode, message: &str, request_id: &str) -> Response {
    let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = json!({"error": format!("{code:?}").to_lowercase(), "message": message, "request_id": request_id});
    (status, axum::Json(body)).into_response()
}

fn plain_error(code: ErrorCode, request_id: &str) -> Response {
    let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, format!("{}（请求编号：{request_id}）", code.message())).into_response()
}

/// Percent-encodes a return address for the login link.
pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)]).map(|q| q.trim_start_matches("v=").to_owned()).unwrap_or_default()
}
