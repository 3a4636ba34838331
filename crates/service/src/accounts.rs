//! Account administration: the system administrator manages accounts, the security administrator
//! grants roles (三员分立). The command line acts as a trusted local operator.

use ipbridge_domain::Permission;
use ipbridge_domain::account::{User, check_username};
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::org::{FacultyId, OrgId, UserId};
use ipbridge_domain::permission::{Role, check_role_set};
use ipbridge_store::{AuditStore, NewUser, OrgStore, SessionStore, Tx, UserFilter, UserStore};
use serde_json::json;
use tracing::instrument;

use crate::auth::hash_password;
use crate::secrets::random_hex;
use crate::{Actor, App, FieldErrors, Result, ServiceError};

/// What an administrator types to create an account.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    /// Login name.
    pub username: String,
    /// Name shown in the UI.
    pub display_name: String,
    /// Organisation id.
    pub org_id: Option<OrgId>,
    /// Faculty id, for reviewers and inventors.
    pub faculty_id: Option<FacultyId>,
    /// Initial password; the user must change it at first login.
    pub password: String,
}

/// A page of accounts.
#[derive(Debug, Clone)]
pub struct UserPage {
    /// The accounts.
    pub users: Vec<User>,
    /// Total matching.
    pub total: u64,
}

async fn check_org_and_faculty(
    tx: &mut Tx,
    org_id: Option<OrgId>,
    faculty_id: Option<FacultyId>,
    errors: &mut FieldErrors,
) -> Result<Option<ipbridge_domain::org::Org>> {
    let Some(org_id) = org_id else {
        errors.add("org_id", "请选择所属机构");
        return Ok(None);
    };
    let Some(org) = tx.org(org_id).await? else {
        errors.add("org_id", "所选机构不存在");
        return Ok(None);
    };
    if !org.active {
        errors.add("org_id", "所选机构已停用，不能新增账号");
    }
    if let Some(f) = faculty_id {
        match tx.faculty(f).await? {
            Some(fac) if fac.org_id == org.id => {}
            _ => errors.add("faculty_id", "所选院系不属于该机构"),
        }
    }
    Ok(Some(org))
}

impl App {
    /// The accounts of the three administrators are changed only at the server's console: a system
    /// administrator who could reset the audit administrator's password, second factor or lock could
    /// become the audit administrator (三员分立). The refusal is audited.
    async fn guard_administrator_target(&self, actor: &Actor, target: &User, action: Action) -> Result<()> {
        if actor.is_cli() || !target.roles.iter().any(|r| r.is_administrator()) {
            return Ok(());
        }
        self.record(actor.audit(action, "user", target.id, Outcome::Denied, json!({"reason": "administrator_target"})))
            .await?;
        let mut e = FieldErrors::new();
        e.add("disabled", "系统、安全、审计管理员账号只能由运维人员在服务器上用 ipbridge user 命令维护");
        Err(ServiceError::Invalid(e))
    }

    /// The target account, checked against [`App::guard_administrator_target`].
    async fn manageable_account(&self, actor: &Actor, id: UserId, action: Action) -> Result<User> {
        let target = self.db.read().await?.user(id).await?.ok_or(ServiceError::NotFound)?;
        self.guard_administrator_target(actor, &target, action).await?;
        Ok(target)
    }

    /// Creates an account without roles (the security administrator grants them). Returns the id.
    #[instrument(skip_all, fields(username = %new.username))]
    pub async fn create_account(&self, actor: &Actor, new: &NewAccount) -> Result<UserId> {
        actor.authorise(Permission::ManageAccounts)?;
        self.create_account_inner(actor, new, &[], false).await
    }

    /// The command line's way to create an account with roles, including the first system administrator.
    pub async fn bootstrap_account(&self, actor: &Actor, new: &NewAccount, roles: &[Role]) -> Result<UserId> {
        if !actor.is_cli() {
            return Err(ServiceError::Forbidden);
        }
        self.create_account_inner(actor, new, roles, false).await
    }

    pub(crate) async fn create_account_inner(
        &self,
        actor: &Actor,
        new: &NewAccount,
        roles: &[Role],
        is_demo: bool,
    ) -> Result<UserId> {
        let mut errors = FieldErrors::new();
        let username = new.username.trim().to_owned();
        if let Err(m) = check_username(&username) {
            errors.add("username", m);
        }
        if new.display_name.trim().is_empty() {
            errors.add("display_name", "请填写姓名");
        }
        if let Err(e) = self.settings.password_policy().check(&username, &new.password) {
            errors.add("password", e.to_string());
        }
        let hash = if errors.0.contains_key("password") { String::new() } else { hash_password(&new.password).await? };
        let mut tx = self.db.begin().await?;
        let org = check_org_and_faculty(&mut tx, new.org_id, new.faculty_id, &mut errors).await?;
        if let Some(org) = &org
            && let Err(e) = check_role_set(roles, org.kind)
        {
            errors.add("roles", e.to_string());
        }
        errors.into_result()?;
        let org = org.ok_or(ServiceError::NotFound)?;
        let id = tx
            .insert_user(
                &NewUser {
                    username: username.clone(),
                    display_name: new.display_name.trim().to_owned(),
                    org_id: org.id,
                    faculty_id: new.faculty_id,
                    password_hash: hash,
                    must_change_password: true,
                    is_demo,
                },
                self.now(),
            )
            .await?;
        tx.set_roles(id, roles).await?;
        tx.append_audit(&actor.audit(
            Action::UserCreate,
            "user",
            id,
            Outcome::Success,
            json!({"username": username, "org_id": org.id, "roles": roles.iter().map(|r| r.code()).collect::<Vec<_>>()}),
        ))
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Accounts, for the system administrator (all) and the security administrator (to grant roles).
    pub async fn list_accounts(&self, actor: &Actor, filter: &UserFilter) -> Result<UserPage> {
        if actor.authorise(Permission::ManageAccounts).is_err() {
            actor.authorise(Permission::GrantRoles)?;
        }
        let mut tx = self.db.read().await?;
        let users = tx.list_users(filter).await?;
        let total = tx.count_users(filter).await?;
        Ok(UserPage { users, total })
    }

    /// One account, for the same two administrators.
    pub async fn account(&self, actor: &Actor, id: UserId) -> Result<User> {
        if actor.authorise(Permission::ManageAccounts).is_err() {
            actor.authorise(Permission::GrantRoles)?;
        }
        let mut tx = self.db.read().await?;
        tx.user(id).await?.ok_or(ServiceError::NotFound)
    }

    /// Changes an account's name, organisation and faculty.
    pub async fn update_account(
        &self,
        actor: &Actor,
        id: UserId,
        display_name: &str,
        org_id: Option<OrgId>,
        faculty_id: Option<FacultyId>,
    ) -> Result<()> {
        actor.authorise(Permission::ManageAccounts)?;
        self.manageable_account(actor, id, Action::UserUpdate).await?;
        let mut errors = FieldErrors::new();
        if display_name.trim().is_empty() {
            errors.add("display_name", "请填写姓名");
        }
        let mut tx = self.db.begin().await?;
        let user = tx.user(id).await?.ok_or(ServiceError::NotFound)?;
        let org = check_org_and_faculty(&mut tx, org_id, faculty_id, &mut errors).await?;
        if let Some(org) = &org
            && let Err(e) = check_role_set(&user.roles, org.kind)
        {
            errors.add("org_id", format!("与现有角色不符：{e}"));
        }
        errors.into_result()?;
        let org = org.ok_or(ServiceError::NotFound)?;
        tx.update_profile(id, display_name.trim(), org.id, faculty_id, self.now()).await?;
        tx.append_audit(&actor.audit(
            Action::UserUpdate,
            "user",
            id,
            Outcome::Success,
            json!({"display_name": display_name.trim(), "org_id": org.id, "faculty_id": faculty_id}),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Disables or re-enables an account; disabling ends its sessions. One cannot disable oneself.
    pub async fn set_account_disabled(&self, actor: &Actor, id: UserId, disabled: bool) -> Result<()> {
        let me = actor.authorise(Permission::ManageAccounts)?;
        if me.is_some_and(|u| u.id == id) {
            let mut e = FieldErrors::new();
            e.add("disabled", "不能停用自己的账号");
            return Err(ServiceError::Invalid(e));
        }
        let action = if disabled { Action::UserDisable } else { Action::UserEnable };
        self.manageable_account(actor, id, action).await?;
        let mut tx = self.db.begin().await?;
        tx.set_disabled(id, disabled, self.now()).await?;
        if disabled {
            tx.delete_user_sessions(id).await?;
        }
        let action = if disabled { Action::UserDisable } else { Action::UserEnable };
        tx.append_audit(&actor.audit(action, "user", id, Outcome::Success, json!({}))).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a temporary password (generated when `password` is none) that must be changed at next login;
    /// ends the account's sessions. Returns the temporary password to show once.
    pub async fn reset_password(&self, actor: &Actor, id: UserId, password: Option<&str>) -> Result<String> {
        actor.authorise(Permission::ManageAccounts)?;
        let user = self.manageable_account(actor, id, Action::PasswordReset).await?;
        let password = match password {
            Some(p) => {
                if let Err(e) = self.settings.password_policy().check(&user.username, p) {
                    let mut errors = FieldErrors::new();
                    errors.add("password", e.to_string());
                    return Err(ServiceError::Invalid(errors));
                }
                p.to_owned()
            }
            None => temporary_password(),
        };
        let hash = hash_password(&password).await?;
        let mut tx = self.db.begin().await?;
        tx.set_password(id, &hash, self.now(), true).await?;
        tx.unlock(id, self.now()).await?;
        tx.delete_user_sessions(id).await?;
        tx.append_audit(&actor.audit(Action::PasswordReset, "user", id, Outcome::Success, json!({}))).await?;
        tx.commit().await?;
        Ok(password)
    }

    /// Lifts a lockout.
    pub async fn unlock_account(&self, actor: &Actor, id: UserId) -> Result<()> {
        actor.authorise(Permission::ManageAccounts)?;
        self.manageable_account(actor, id, Action::UserUnlock).await?;
        let mut tx = self.db.begin().await?;
        tx.unlock(id, self.now()).await?;
        tx.append_audit(&actor.audit(Action::UserUnlock, "user", id, Outcome::Success, json!({}))).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes an account's second factor (lost phone); administrators must enrol again at next login.
    pub async fn reset_account_totp(&self, actor: &Actor, id: UserId) -> Result<()> {
        actor.authorise(Permission::ManageAccounts)?;
        self.manageable_account(actor, id, Action::TotpRemove).await?;
        let mut tx = self.db.begin().await?;
        tx.set_totp_secret(id, None, self.now()).await?;
        tx.delete_user_sessions(id).await?;
        tx.append_audit(&actor.audit(Action::TotpRemove, "user", id, Outcome::Success, json!({"by": "administrator"})))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces an account's roles. Only the security administrator; never one's own roles.
    #[instrument(skip_all, fields(user_id = %id))]
    pub async fn grant_roles(&self, actor: &Actor, id: UserId, roles: &[Role]) -> Result<()> {
        let me = actor.authorise(Permission::GrantRoles)?;
        if me.is_some_and(|u| u.id == id) {
            self.record(actor.audit(Action::RolesGrant, "user", id, Outcome::Denied, json!({"reason": "own_roles"})))
                .await?;
            let mut e = FieldErrors::new();
            e.add("roles", "不能修改自己的角色");
            return Err(ServiceError::Invalid(e));
        }
        let mut roles = roles.to_vec();
        roles.sort();
        roles.dedup();
        let mut tx = self.db.begin().await?;
        let user = tx.user(id).await?.ok_or(ServiceError::NotFound)?;
        if let Err(e) = check_role_set(&roles, user.org_kind) {
            drop(tx);
            self.record(actor.audit(
                Action::RolesGrant,
                "user",
                id,
                Outcome::Denied,
                json!({"reason": "role_set", "requested": roles.iter().map(|r| r.code()).collect::<Vec<_>>()}),
            ))
            .await?;
            let mut errors = FieldErrors::new();
            errors.add("roles", e.to_string());
            return Err(ServiceError::Invalid(errors));
        }
        tx.set_roles(id, &roles).await?;
        tx.append_audit(&actor.audit(
            Action::RolesGrant,
            "user",
            id,
            Outcome::Success,
            json!({
                "before": user.roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
                "after": roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Finds an account by login name (command line).
    pub async fn account_by_name(&self, username: &str) -> Result<User> {
        let mut tx = self.db.read().await?;
        tx.user_by_name(username.trim()).await?.ok_or(ServiceError::NotFound)
    }
}

/// A temporary password that satisfies the password rules: 12 characters from four classes.
pub fn temporary_password() -> String {
    let body = random_hex(4);
    format!("Tmp#{}{}", body.to_uppercase().get(..4).unwrap_or("AB12"), &body[4..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipbridge_domain::password::PasswordPolicy;

    #[test]
    fn temporary_passwords_pass_the_rules() {
        for _ in 0..200 {
            let p = temporary_password();
            assert!(PasswordPolicy::default().check("someone", &p).is_ok(), "{p}");
        }
    }
}
