//! The request context the guard builds once per request and every handler receives.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use ipbridge_domain::Permission;
use ipbridge_service::Actor;
use ipbridge_service::auth::SessionUser;

use crate::error::WebError;

/// A one-time message shown on the next page (post-redirect-get).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// `success`, `info` or `error`: the banner's style.
    pub kind: &'static str,
    /// The Chinese message.
    pub message: String,
}

/// Who is asking, with the tokens the page needs.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The actor for services and audit records.
    pub actor: Actor,
    /// The session, when logged in (possibly with a pending step).
    pub session: Option<SessionUser>,
    /// The CSRF token every form of this page carries.
    pub csrf: String,
    /// The request id, shown on error pages.
    pub request_id: String,
    /// The message left by the previous request, if any.
    pub flash: Option<Flash>,
    /// The path of this request, for the login page's return address.
    pub path: String,
    /// Unread notifications of the logged-in account, for the header's badge (0 when not counted).
    pub unread: u64,
}

impl Ctx {
    /// Whether the logged-in account holds `p`.
    pub fn can(&self, p: Permission) -> bool {
        self.session.as_ref().is_some_and(|s| s.is_complete() && s.user.can(p))
    }

    /// The completed session, if any.
    pub fn user(&self) -> Option<&SessionUser> {
        self.session.as_ref().filter(|s| s.is_complete())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| WebError::internal("request context missing: route not behind the guard"))
    }
}
