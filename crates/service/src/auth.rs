//! Logging in and out, sessions, the second factor and password changes (等保 level 3 controls).

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, FixedOffset, Utc};
use ipbridge_domain::account::{User, check_username};
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::org::UserId;
use ipbridge_domain::password::PasswordError;
use ipbridge_store::{AuditStore, Session, SessionStore, Tx, UserStore};
use serde_json::json;
use totp_rs::{Algorithm, Builder, Secret, Totp};
use tracing::{info, instrument, warn};

use crate::secrets::{random_hex, sm3_hex};
use crate::{Actor, App, FieldErrors, LoginError, Result, ServiceError};

/// China Standard Time, for times shown to users.
pub fn china_time(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset"))
}

/// A logged-in request's account and session, with what it must do before anything else.
#[derive(Debug, Clone)]
pub struct SessionUser {
    /// The account.
    pub user: User,
    /// The raw session token (the cookie value), which binds the CSRF token.
    pub token: String,
    /// Password verified, code not yet: only the code page is reachable.
    pub totp_pending: bool,
    /// First login, after a reset, or expired: only the password page is reachable.
    pub must_change_password: bool,
    /// An administrator without a second factor: only the enrolment page is reachable.
    pub must_enrol_totp: bool,
}

impl SessionUser {
    /// Whether the session may use the platform (no pending step).
    pub fn is_complete(&self) -> bool {
        !self.totp_pending && !self.must_change_password && !self.must_enrol_totp
    }
}

/// The result of a correct password.
#[derive(Debug, Clone)]
pub struct LoginSuccess {
    /// The new session token, for the cookie.
    pub token: String,
    /// Whether a one-time code is needed next.
    pub totp_pending: bool,
    /// The previous login's time and address, shown after login.
    pub previous_login: Option<(DateTime<Utc>, String)>,
}

/// Hashes a password with argon2id off the async runtime (a hash takes tens of milliseconds).
pub async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::Internal(format!("argon2: {e}")))
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("hash task: {e}")))?
}

async fn verify_password(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok())
        .await
        .unwrap_or(false)
}

/// A hash checked when the user does not exist, so both cases take the same time and say the same.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

async fn burn_a_verification(password: &str) {
    let password = password.to_owned();
    let _ = tokio::task::spawn_blocking(move || {
        let hash = DUMMY_HASH.get_or_init(|| {
            Argon2::default().hash_password(random_hex(16).as_bytes()).map(|h| h.to_string()).unwrap_or_default()
        });
        Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok()
    })
    .await;
}

/// How long a session's last activity may lag before it is written again: idle timeouts are counted in
/// minutes, so a page view need not take the write lock every time.
const TOUCH_INTERVAL_SECONDS: i64 = 60;

/// The attempted login name as audit records keep it: a syntactically valid name as typed, anything else
/// (often a password typed into the wrong field) only by its length.
fn attempted_name(name: &str) -> String {
    if check_username(name).is_ok() {
        name.to_owned()
    } else {
        format!("(invalid name, {} characters)", name.chars().count())
    }
}

fn locked(until: DateTime<Utc>) -> ServiceError {
    ServiceError::Login(LoginError::Locked { until: china_time(until).format("%H:%M").to_string() })
}

impl App {
    /// Counts a failed attempt and locks the account when the limit is reached; returns the lock end.
    async fn count_failure(&self, tx: &mut Tx, user: UserId) -> Result<Option<DateTime<Utc>>> {
        let now = self.now();
        let n = tx.count_failure(user).await?;
        let failure = self.settings.login_policy().register_failure(n.saturating_sub(1), now);
        if let Some(until) = failure.locked_until {
            tx.lock_account(user, until).await?;
        }
        Ok(failure.locked_until)
    }

    /// Checks a username and password. On success a session is created (pending the code when the
    /// account has a second factor); every attempt is audited. The password is verified outside any
    /// transaction, so a flood of attempts never holds the database's write lock during hashing.
    #[instrument(skip_all, fields(ip = %actor.ip))]
    pub async fn login(&self, actor: &Actor, username: &str, password: &str) -> Result<LoginSuccess> {
        let username = username.trim();
        let user = self.db.read().await?.user_by_name(username).await?;
        let Some(user) = user else {
            // Same work as a real check, then the same message.
            burn_a_verification(password).await;
            self.record(actor.audit(
                Action::Login,
                "user",
                attempted_name(username),
                Outcome::Denied,
                json!({"reason": "unknown_user"}),
            ))
            .await?;
            warn!("login refused: unknown user");
            return Err(ServiceError::Login(LoginError::BadCredentials));
        };
        let as_user = Actor { user: Some(user.clone()), ..actor.clone() };
        let refusal =
            |reason: &str| as_user.audit(Action::Login, "user", user.id, Outcome::Denied, json!({ "reason": reason }));
        let password_ok = verify_password(password, &user.password_hash).await;
        let mut tx = self.db.begin().await?;
        // Re-read inside the write transaction: parallel attempts may have locked the account meanwhile.
        let user = tx.user(user.id).await?.ok_or(ServiceError::Login(LoginError::BadCredentials))?;
        let now = self.now();
        if !password_ok {
            let lock = self.count_failure(&mut tx, user.id).await?;
            tx.append_audit(&refusal(if lock.is_some() { "bad_password_locked" } else { "bad_password" })).await?;
            tx.commit().await?;
            warn!(user_id = %user.id, locked = lock.is_some(), "login refused: bad password");
            // The attempt that locks says so, so the user knows to wait or call the administrator.
            return Err(match lock {
                Some(until) => locked(until),
                None => ServiceError::Login(LoginError::BadCredentials),
            });
        }
        // Account states are revealed only to someone who knows the password.
        let refused = if let Some(until) = user.locked_until.filter(|t| *t > now) {
            Some(("locked", locked(until)))
        } else if user.disabled {
            Some(("disabled", ServiceError::Login(LoginError::Disabled)))
        } else if !user.org_active {
            Some(("org_inactive", ServiceError::Login(LoginError::OrgInactive)))
        } else {
            None
        };
        if let Some((reason, error)) = refused {
            tx.append_audit(&refusal(reason)).await?;
            tx.commit().await?;
            return Err(error);
        }
        let totp_pending = user.totp_secret.is_some();
        let token = random_hex(32);
        tx.insert_session(&Session {
            token_hash: sm3_hex(&token),
            user_id: user.id,
            created_at: now,
            last_seen_at: now,
            ip: actor.ip.clone(),
            totp_pending,
        })
        .await?;
        let previous_login = user.last_login_at.map(|at| (at, user.last_login_ip.clone().unwrap_or_default()));
        if totp_pending {
            // The login is complete only with the code; the password step is recorded on its own.
            tx.append_audit(&as_user.audit(
                Action::Login,
                "user",
                user.id,
                Outcome::Success,
                json!({"step": "password", "next": "totp"}),
            ))
            .await?;
        } else {
            tx.record_login(user.id, now, &actor.ip).await?;
            tx.append_audit(&as_user.audit(Action::Login, "user", user.id, Outcome::Success, json!({}))).await?;
        }
        tx.commit().await?;
        info!(user_id = %user.id, totp_pending, "password accepted");
        Ok(LoginSuccess { token, totp_pending, previous_login })
    }

    /// Checks the one-time code of a session that is pending it. A wrong code counts as a failed login,
    /// and the attempt that locks the account also ends its sessions.
    #[instrument(skip_all, fields(user_id = %su.user.id))]
    pub async fn verify_login_totp(&self, actor: &Actor, su: &SessionUser, code: &str) -> Result<()> {
        let now = self.now();
        let Some(secret) = su.user.totp_secret.as_deref() else {
            return Err(ServiceError::Forbidden);
        };
        let step = totp_step(secret, &su.user.username, code, now)?;
        let mut tx = self.db.begin().await?;
        let accepted = match step {
            Some(step) => tx.accept_totp_step(su.user.id, step).await?,
            None => false,
        };
        if !accepted {
            let lock = self.count_failure(&mut tx, su.user.id).await?;
            tx.append_audit(&actor.audit(
                Action::TotpVerify,
                "user",
                su.user.id,
                Outcome::Denied,
                json!({"locked": lock.is_some()}),
            ))
            .await?;
            if lock.is_some() {
                tx.delete_user_sessions(su.user.id).await?;
            }
            tx.commit().await?;
            return Err(match lock {
                Some(until) => locked(until),
                None => ServiceError::Login(LoginError::BadTotp),
            });
        }
        let hash = sm3_hex(&su.token);
        tx.clear_totp_pending(&hash).await?;
        tx.record_login(su.user.id, now, &actor.ip).await?;
        tx.append_audit(&actor.audit(Action::Login, "user", su.user.id, Outcome::Success, json!({"step": "totp"})))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Resolves a session cookie: ends it when idle, too old, or its account or organisation was disabled
    /// (audited), else notes the activity. Reads take no write lock; activity is written at most once a
    /// minute.
    pub async fn session_user(&self, token: &str, actor: &Actor) -> Result<Option<SessionUser>> {
        let now = self.now();
        let policy = self.settings.login_policy();
        let hash = sm3_hex(token);
        let (session, user) = {
            let mut tx = self.db.read().await?;
            let Some(session) = tx.session(&hash).await? else {
                return Ok(None);
            };
            let user = tx.user(session.user_id).await?;
            (session, user)
        };
        let alive = policy.session_alive(session.created_at, session.last_seen_at, now);
        // A lock does not end live sessions: anyone can lock an account by guessing, and that must not
        // log its owner out. Disabling the account or its organisation does.
        let Some(user) = user.filter(|u| alive && !u.disabled && u.org_active) else {
            let mut tx = self.db.begin().await?;
            tx.delete_session(&hash).await?;
            let mut entry = actor.audit(
                Action::SessionExpired,
                "user",
                session.user_id,
                Outcome::Success,
                json!({ "reason": if alive { "account_state" } else { "timeout" } }),
            );
            entry.actor_id = Some(session.user_id.get());
            if let Some(name) = self.db.read().await?.user(session.user_id).await?.map(|u| u.username) {
                entry.actor_name = name;
            }
            tx.append_audit(&entry).await?;
            tx.commit().await?;
            return Ok(None);
        };
        if (now - session.last_seen_at).num_seconds() >= TOUCH_INTERVAL_SECONDS {
            let mut tx = self.db.begin().await?;
            tx.touch_session(&hash, now).await?;
            tx.commit().await?;
        }
        let expired = self.settings.password_policy().is_expired(user.password_changed_at, now);
        Ok(Some(SessionUser {
            must_change_password: (user.must_change_password && !user.is_demo) || expired,
            must_enrol_totp: user.requires_totp() && user.totp_secret.is_none(),
            totp_pending: session.totp_pending,
            token: token.to_owned(),
            user,
        }))
    }

    /// Ends the session.
    pub async fn logout(&self, actor: &Actor, su: &SessionUser) -> Result<()> {
        let mut tx = self.db.begin().await?;
        tx.delete_session(&sm3_hex(&su.token)).await?;
        tx.append_audit(&actor.audit(Action::Logout, "user", su.user.id, Outcome::Success, json!({}))).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes one's own password after checking the current one. Every session of the account ends and
    /// a new one is returned, so the browser's token changes with the password.
    #[instrument(skip_all, fields(user_id = %su.user.id))]
    pub async fn change_password(
        &self,
        actor: &Actor,
        su: &SessionUser,
        current: &str,
        new: &str,
        repeat: &str,
    ) -> Result<String> {
        let mut errors = FieldErrors::new();
        if !verify_password(current, &su.user.password_hash).await {
            errors.add("current", "当前密码不正确");
        }
        if new != repeat {
            errors.add("repeat", "两次输入的新密码不一致");
        }
        if let Err(e) = self.settings.password_policy().check(&su.user.username, new) {
            errors.add("new", e.to_string());
        } else if current == new {
            errors.add("new", PasswordError::Unchanged.to_string());
        }
        if !errors.is_empty() {
            self.record(actor.audit(
                Action::PasswordChange,
                "user",
                su.user.id,
                Outcome::Denied,
                json!({"fields": errors.0.keys().collect::<Vec<_>>()}),
            ))
            .await?;
            return Err(ServiceError::Invalid(errors));
        }
        let hash = hash_password(new).await?;
        let now = self.now();
        let token = random_hex(32);
        let mut tx = self.db.begin().await?;
        tx.set_password(su.user.id, &hash, now, false).await?;
        // Whoever knew the old password, or held an old session token, is logged out.
        tx.delete_user_sessions(su.user.id).await?;
        tx.insert_session(&Session {
            token_hash: sm3_hex(&token),
            user_id: su.user.id,
            created_at: now,
            last_seen_at: now,
            ip: actor.ip.clone(),
            totp_pending: false,
        })
        .await?;
        tx.append_audit(&actor.audit(Action::PasswordChange, "user", su.user.id, Outcome::Success, json!({}))).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Starts TOTP enrolment: a fresh secret and its `otpauth://` address for the authenticator app.
    /// Nothing is stored until [`App::confirm_totp`] sees a correct code.
    pub fn new_totp_enrolment(&self, user: &User) -> Result<TotpEnrolment> {
        self.totp_enrolment_with(user, &Secret::generate().to_base32())
    }

    /// The enrolment for a secret already shown (the form re-rendered after a wrong code).
    pub fn totp_enrolment_with(&self, user: &User, secret: &str) -> Result<TotpEnrolment> {
        let secret = secret.to_owned();
        let totp = build_totp(&secret, &user.username, &self.policy.city.name)?;
        let url = totp.to_url().map_err(|e| ServiceError::Internal(format!("totp url: {e}")))?;
        Ok(TotpEnrolment { secret, url })
    }

    /// Stores the second factor after checking a code from the new secret. An account that already has
    /// one cannot replace it here: a stolen session must not be able to rebind the second factor.
    pub async fn confirm_totp(&self, actor: &Actor, su: &SessionUser, secret: &str, code: &str) -> Result<()> {
        let now = self.now();
        if su.user.totp_secret.is_some() {
            self.record(actor.audit(
                Action::TotpEnrol,
                "user",
                su.user.id,
                Outcome::Denied,
                json!({"reason": "already_enrolled"}),
            ))
            .await?;
            let mut errors = FieldErrors::new();
            errors.add(
                "code",
                "该账号已绑定动态口令；如需更换手机，请先解除绑定（管理员账号请联系系统运维人员在服务器上解除）",
            );
            return Err(ServiceError::Invalid(errors));
        }
        let valid = totp_step(secret, &su.user.username, code, now)?;
        let Some(step) = valid else {
            self.record(actor.audit(Action::TotpEnrol, "user", su.user.id, Outcome::Denied, json!({}))).await?;
            let mut errors = FieldErrors::new();
            errors.add("code", "动态口令不正确，请确认手机时间准确后输入验证器上的最新6位数字");
            return Err(ServiceError::Invalid(errors));
        };
        let mut tx = self.db.begin().await?;
        tx.set_totp_secret(su.user.id, Some(secret), now).await?;
        tx.accept_totp_step(su.user.id, step).await?;
        tx.append_audit(&actor.audit(Action::TotpEnrol, "user", su.user.id, Outcome::Success, json!({}))).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes one's own second factor; refused for administrators, who must keep one.
    pub async fn remove_own_totp(&self, actor: &Actor, su: &SessionUser) -> Result<()> {
        if su.user.requires_totp() {
            self.record(actor.audit(
                Action::TotpRemove,
                "user",
                su.user.id,
                Outcome::Denied,
                json!({"reason": "administrator"}),
            ))
            .await?;
            return Err(ServiceError::Forbidden);
        }
        let mut tx = self.db.begin().await?;
        tx.set_totp_secret(su.user.id, None, self.now()).await?;
        tx.append_audit(&actor.audit(Action::TotpRemove, "user", su.user.id, Outcome::Success, json!({}))).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes sessions that can no longer be used (run periodically); the removal is audited.
    pub async fn purge_stale_sessions(&self) -> Result<u64> {
        let now = self.now();
        let p = self.settings.login_policy();
        let mut tx = self.db.begin().await?;
        let n = tx
            .delete_stale_sessions(
                now - Duration::minutes(p.idle_timeout_minutes),
                now - Duration::hours(p.max_session_hours),
            )
            .await?;
        if n > 0 {
            let system = Actor::system();
            tx.append_audit(&system.audit(
                Action::SessionExpired,
                "session",
                "",
                Outcome::Success,
                json!({"purged": n}),
            ))
            .await?;
        }
        tx.commit().await?;
        Ok(n)
    }
}

/// A secret being enrolled and the address for the authenticator app's QR code.
#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    /// Base32 secret (also shown for manual entry).
    pub secret: String,
    /// `otpauth://totp/…` address.
    pub url: String,
}

fn build_totp(secret: &str, account: &str, issuer: &str) -> Result<Totp> {
    let secret = Secret::try_from_base32(secret).map_err(|_| {
        let mut e = FieldErrors::new();
        e.add("code", "密钥格式不正确，请重新开始绑定");
        ServiceError::Invalid(e)
    })?;
    // Issuer and account may not contain ':' in an otpauth address.
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
        .with_account_name(account.replace(':', "_"))
        .with_issuer(Some(format!("{}专利转化运用服务平台", issuer.replace(':', "_"))))
        .build()
        .map_err(|_| {
            // A secret shorter than RFC 4226's 128 bits: a tampered form, not a server fault.
            let mut e = FieldErrors::new();
            e.add("code", "密钥格式不正确，请重新开始绑定");
            ServiceError::Invalid(e)
        })
}

/// The time step a code matches (±1 step of clock skew), if any.
fn totp_step(secret: &str, account: &str, code: &str, now: DateTime<Utc>) -> Result<Option<u64>> {
    let totp = build_totp(secret, account, "ipbridge")?;
    let code: String = code.chars().filter(|c| c.is_ascii_digit()).collect();
    let t = u64::try_from(now.timestamp()).unwrap_or(0);
    Ok(totp.check(&code, t))
}

/// The current code for a secret; the demo and the tests use it in place of a phone.
pub fn totp_code_at(secret: &str, account: &str, at: DateTime<Utc>) -> Result<String> {
    let totp = build_totp(secret, account, "ipbridge")?;
    Ok(totp.generate(u64::try_from(at.timestamp()).unwrap_or(0)).to_string())
}

/// A random token of `bytes` bytes as hex, for cookies that need no server-side state.
pub fn random_token(bytes: usize) -> String {
    random_hex(bytes)
}
