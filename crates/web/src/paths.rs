//! Route paths, in one place: templates and redirects use these, never literals.

/// Home page with the measures.
pub const HOME: &str = "/";
/// Login form.
pub const LOGIN: &str = "/login";
/// One-time code after the password.
pub const LOGIN_TOTP: &str = "/login/totp";
/// Logout (POST).
pub const LOGOUT: &str = "/logout";
/// My account.
pub const ACCOUNT: &str = "/account";
/// Change my password.
pub const ACCOUNT_PASSWORD: &str = "/account/password";
/// Enrol a second factor.
pub const ACCOUNT_TOTP: &str = "/account/totp";
/// Remove my second factor (POST).
pub const ACCOUNT_TOTP_REMOVE: &str = "/account/totp/remove";
/// Organisations.
pub const ORGS: &str = "/orgs";
/// New organisation form.
pub const ORGS_NEW: &str = "/orgs/new";
/// Industry chains.
pub const CHAINS: &str = "/chains";
/// New chain form.
pub const CHAINS_NEW: &str = "/chains/new";
/// Account administration.
pub const ADMIN_USERS: &str = "/admin/users";
/// New account form.
pub const ADMIN_USERS_NEW: &str = "/admin/users/new";
/// Role grants.
pub const ADMIN_ROLES: &str = "/admin/roles";
/// Audit log.
pub const ADMIN_AUDIT: &str = "/admin/audit";
/// Audit log export.
pub const ADMIN_AUDIT_EXPORT: &str = "/admin/audit/export";
/// System information and backup.
pub const ADMIN_SYSTEM: &str = "/admin/system";
/// Liveness probe.
pub const HEALTH: &str = "/healthz";

/// `/orgs/{id}`
pub fn org(id: impl std::fmt::Display) -> String {
    format!("/orgs/{id}")
}

/// `/admin/users/{id}`
pub fn admin_user(id: impl std::fmt::Display) -> String {
    format!("/admin/users/{id}")
}

/// `/admin/roles/{id}`
pub fn admin_roles(id: impl std::fmt::Display) -> String {
    format!("/admin/roles/{id}")
}

/// `/chains/{id}`
pub fn chain(id: impl std::fmt::Display) -> String {
    format!("/chains/{id}")
}
