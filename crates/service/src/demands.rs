//! Enterprise technology demands (企业技术需求): posting, review, listing, export, and import of demands
//! collected offline.
//!
//! Who does what:
//! - an enterprise user posts for its own enterprise; an agency user posts on behalf of a named enterprise;
//!   a bureau officer may post for any enterprise (all need [`Permission::PostDemands`] or
//!   [`Permission::ReviewDemands`]);
//! - the demand's own side (its enterprise and the organisation that posted it) edits, submits and closes it;
//! - the bureau ([`Permission::ReviewDemands`]) publishes or returns submitted demands, and may also edit and
//!   close any demand;
//! - every logged-in account sees published demands; the own side sees its demands in every status; the
//!   bureau (and [`Permission::ViewAllMatches`]) sees all. Others see a demand's phone number masked.
//!
//! Editing what others read of a published demand sends it back to review; correcting the contact or the
//! deadline does not (see [`DemandStatus::after`]). Every change writes its history row and audit record in
//! the same transaction, and tells the other side by notification.

use std::collections::HashMap;

use chrono::NaiveDate;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::demand::{
    ContactPhone, CooperationMode, DESCRIPTION_MAX_CHARS, Demand, DemandAction, DemandEvent, DemandFields,
    DemandSource, DemandStatus, DemandTransitionError, REASON_MAX_CHARS, TITLE_MAX_CHARS,
};
use ipbridge_domain::ids::{DemandId, OrgId};
use ipbridge_domain::notification::NotificationKind;
use ipbridge_domain::org::{Org, OrgKind, normalise_name};
use ipbridge_domain::patent::{IpcCode, parse_date};
use ipbridge_domain::{CreditCode, Money, Permission};
use ipbridge_ingest::{Cell, DemandColumns, DemandField, DemandRow, Format, RawRow, Table, map_demand_row, read_table};
use ipbridge_store::{
    AuditStore, ChainStore, DemandFilter, DemandStore, NewDemand, OrgFilter, OrgStore, StoredChain, Tx,
};
use serde_json::json;
use sm3::{Digest, Sm3};

use crate::auth::china_time;
use crate::chains::split_list;
use crate::error::invalid;
use crate::exports::LIST_EXPORT_LIMIT;
use crate::notifications::{Notice, bureau_org, notify_orgs};
use crate::{Actor, App, FieldErrors, Result, ServiceError};

/// Most IPC symbols one demand carries.
const MAX_IPC_CODES: usize = 20;
/// Most rows one demand import takes (demands are collected by hand: hundreds, not millions).
pub const DEMAND_IMPORT_MAX_ROWS: usize = 5000;

/// A demand form as typed: every field a string, parsed by the service with the same rules for the form and
/// for imported rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemandForm {
    /// The enterprise: required for agencies and the bureau; an enterprise user always posts for its own.
    pub enterprise_org_id: Option<OrgId>,
    /// 需求名称.
    pub title: String,
    /// 需求描述.
    pub description: String,
    /// Chain code (or name); "" for none.
    pub chain_code: String,
    /// IPC symbols separated by `;`, `，`, `、` or new lines; "" for none.
    pub ipc_codes: String,
    /// Mode code or Chinese name (转让、许可、合作开发、技术咨询).
    pub cooperation_mode: String,
    /// Budget lower bound in yuan; "" for none.
    pub budget_min: String,
    /// Budget upper bound in yuan; "" for none.
    pub budget_max: String,
    /// Deadline as a date (2026-12-31); "" for none.
    pub deadline: String,
    /// Contact person.
    pub contact_name: String,
    /// Contact telephone.
    pub contact_phone: String,
}

impl DemandForm {
    /// The form pre-filled from a stored demand (for the edit page).
    pub fn from_demand(d: &Demand) -> Self {
        let f = &d.fields;
        let yuan = |m: Option<Money>| m.map(|m| m.to_string().replace([',', '元'], "")).unwrap_or_default();
        Self {
            enterprise_org_id: Some(d.org_id),
            title: f.title.clone(),
            description: f.description.clone(),
            chain_code: f.chain_code.clone().unwrap_or_default(),
            ipc_codes: f.ipc_codes.iter().map(IpcCode::as_str).collect::<Vec<_>>().join("; "),
            cooperation_mode: f.cooperation_mode.code().to_owned(),
            budget_min: yuan(f.budget_min),
            budget_max: yuan(f.budget_max),
            deadline: f.deadline.map(|d| d.to_string()).unwrap_or_default(),
            contact_name: f.contact_name.clone(),
            contact_phone: f.contact_phone.as_str().to_owned(),
        }
    }
}

/// One demand as the actor may see it, with its history and what the actor may do next.
#[derive(Debug, Clone)]
pub struct DemandView {
    /// The demand (its phone masked when the actor is not its own side or the bureau).
    pub demand: Demand,
    /// Its review history, oldest first (empty for readers who are not its own side or the bureau).
    pub events: Vec<DemandEvent>,
    /// The actions the actor may take now (buttons to show).
    pub actions: Vec<DemandAction>,
    /// Whether the actor is the demand's own side (its enterprise or the organisation that posted it).
    pub own: bool,
}

/// A page of demands.
#[derive(Debug, Clone)]
pub struct DemandPage {
    /// The demands (phones masked where the actor may not see them).
    pub demands: Vec<Demand>,
    /// Total matching.
    pub total: u64,
}

/// The outcome of a demand import: every row inserted, a duplicate of an open demand, or rejected with its
/// reason in the report.
#[derive(Debug, Clone, Default)]
pub struct DemandImportReport {
    /// Data rows in the file.
    pub total: u64,
    /// New demands.
    pub inserted: u64,
    /// Rows whose enterprise already has an open demand of the same title (not imported twice).
    pub duplicates: u64,
    /// Rows refused.
    pub rejected: u64,
    /// The status the new demands start in: published when the bureau imports, submitted otherwise.
    pub status: Option<DemandStatus>,
    /// The new demands, in file order.
    pub demand_ids: Vec<DemandId>,
    /// The rejected rows (original columns plus 错误原因) as xlsx, when any.
    pub report: Option<Vec<u8>>,
}

/// What the actor may do to one demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DemandAccess {
    /// The bureau's reviewer or the command line: everything.
    Reviewer,
    /// Reads everything, changes nothing (the bureau's leaders).
    Overseer,
    /// The demand's own side with the right to post: edit, submit, close.
    Poster,
    /// Anyone else, on a published demand: reads it with the phone masked.
    Reader,
}

impl DemandAccess {
    fn may(self, action: DemandAction) -> bool {
        match self {
            DemandAccess::Reviewer => true,
            DemandAccess::Poster => !action.reviewer_only(),
            DemandAccess::Overseer | DemandAccess::Reader => false,
        }
    }

    fn sees_everything(self) -> bool {
        !matches!(self, DemandAccess::Reader)
    }
}

fn demand_access(actor: &Actor, d: &Demand) -> Option<DemandAccess> {
    if actor.is_cli() {
        return Some(DemandAccess::Reviewer);
    }
    let user = actor.user.as_ref()?;
    if user.can(Permission::ReviewDemands) {
        Some(DemandAccess::Reviewer)
    } else if user.can(Permission::ViewAllMatches) {
        Some(DemandAccess::Overseer)
    } else if own_side(actor, d) {
        Some(DemandAccess::Poster)
    } else if d.status == DemandStatus::Published {
        Some(DemandAccess::Reader)
    } else {
        None
    }
}

/// Whether the actor is the demand's own side: an account that may post demands, of the enterprise or of the
/// organisation that posted it. Other accounts of that organisation (a platform administrator in the bureau's
/// organisation, which posts demands on behalf of enterprises) are ordinary readers.
fn own_side(actor: &Actor, d: &Demand) -> bool {
    actor.user.as_ref().is_some_and(|u| u.can(Permission::PostDemands) && d.is_own_side(u.org_id))
}

/// Whether the actor sees every demand (the bureau, its leaders, the command line).
fn sees_all_demands(actor: &Actor) -> bool {
    actor.is_cli()
        || actor.user.as_ref().is_some_and(|u| u.can(Permission::ReviewDemands) || u.can(Permission::ViewAllMatches))
}

/// Hides the phone number from a reader who is neither the demand's own side nor the bureau.
fn redact_for(actor: &Actor, mut d: Demand) -> Demand {
    if !sees_all_demands(actor) && !own_side(actor, &d) {
        d.fields.contact_phone = d.fields.contact_phone.redacted();
    }
    d
}

fn event(actor: &Actor, at: chrono::DateTime<chrono::Utc>) -> DemandEvent {
    DemandEvent {
        at,
        actor_user_id: actor.user.as_ref().map(|u| u.id),
        actor_name: actor.name(),
        actor_org_id: actor.user.as_ref().map(|u| u.org_id),
        action: None,
        from: None,
        to: DemandStatus::Draft,
        note: String::new(),
    }
}

fn demand_link(id: DemandId) -> String {
    format!("/demands/{id}")
}

/// Finds a chain by code or by name; only active chains are offered for new values.
fn find_chain<'a>(chains: &'a [StoredChain], text: &str) -> Option<&'a StoredChain> {
    let t = text.trim();
    chains.iter().find(|c| c.code == t || c.name == t || normalise_name(&c.name) == normalise_name(t))
}

/// Parses and checks a demand's fields. `today` is the date in China; `before` is the stored content when
/// editing (an unchanged deadline may have passed since, and an unchanged chain may have been deactivated).
pub(crate) fn parse_demand_fields(
    form: &DemandForm,
    chains: &[StoredChain],
    today: NaiveDate,
    before: Option<&DemandFields>,
) -> std::result::Result<DemandFields, FieldErrors> {
    let mut errors = FieldErrors::new();
    let title = form.title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        errors.add("title", "请填写需求名称");
    } else if title.chars().count() > TITLE_MAX_CHARS {
        errors.add("title", format!("需求名称不能超过{TITLE_MAX_CHARS}个字符"));
    }
    let description = form.description.trim().to_owned();
    if description.is_empty() {
        errors.add("description", "请填写需求描述：现状与问题、技术指标、期望成果");
    } else if description.chars().count() > DESCRIPTION_MAX_CHARS {
        errors.add("description", format!("需求描述不能超过{DESCRIPTION_MAX_CHARS}个字符"));
    }
    let chain_code = match form.chain_code.trim() {
        "" => None,
        text => match find_chain(chains, text) {
            Some(c) if c.active || before.and_then(|b| b.chain_code.as_deref()) == Some(c.code.as_str()) => {
                Some(c.code.clone())
            }
            _ => {
                let known: Vec<&str> = chains.iter().filter(|c| c.active).map(|c| c.name.as_str()).collect();
                errors.add("chain_code", format!("没有名为“{text}”的重点产业链，应为：{}", known.join("、")));
                None
            }
        },
    };
    let mut ipc_codes: Vec<IpcCode> = Vec::new();
    for part in split_list(&form.ipc_codes) {
        match IpcCode::parse(&part) {
            Ok(code) if !ipc_codes.contains(&code) => ipc_codes.push(code),
            Ok(_) => {}
            Err(e) => errors.add("ipc_codes", e.to_string()),
        }
    }
    if ipc_codes.len() > MAX_IPC_CODES {
        errors.add("ipc_codes", format!("IPC分类号最多填写{MAX_IPC_CODES}个"));
    }
    let cooperation_mode = match form.cooperation_mode.trim() {
        "" => {
            errors.add("cooperation_mode", "请选择合作方式（转让、许可、合作开发或技术咨询）");
            None
        }
        text => {
            let mode = CooperationMode::parse_loose(text);
            if mode.is_none() {
                errors.add("cooperation_mode", format!("合作方式“{text}”无法识别，应为转让、许可、合作开发或技术咨询"));
            }
            mode
        }
    };
    let mut money = |field: &'static str, text: &str| -> Option<Money> {
        if text.trim().is_empty() {
            return None;
        }
        match Money::parse_yuan(text) {
            Ok(m) if m.is_negative() => {
                errors.add(field, "预算不能为负数");
                None
            }
            Ok(m) => Some(m),
            Err(e) => {
                errors.add(field, e.to_string());
                None
            }
        }
    };
    let budget_min = money("budget_min", &form.budget_min);
    let budget_max = money("budget_max", &form.budget_max);
    if let (Some(min), Some(max)) = (budget_min, budget_max)
        && min > max
    {
        errors.add("budget_max", format!("预算上限（{max}）不能低于预算下限（{min}）"));
    }
    let deadline = match parse_date(&form.deadline) {
        Ok(d) => d,
        Err(e) => {
            errors.add("deadline", e.to_string());
            None
        }
    };
    if let Some(d) = deadline
        && d < today
        && before.and_then(|b| b.deadline) != Some(d)
    {
        errors.add("deadline", format!("截止日期（{d}）不能早于今天（{today}）"));
    }
    let contact_name = form.contact_name.trim().to_owned();
    if contact_name.is_empty() {
        errors.add("contact_name", "请填写联系人");
    } else if contact_name.chars().count() > 40 {
        errors.add("contact_name", "联系人不能超过40个字符");
    }
    let contact_phone = match ContactPhone::parse(&form.contact_phone) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.add("contact_phone", e.to_string());
            None
        }
    };
    match (cooperation_mode, contact_phone) {
        (Some(cooperation_mode), Some(contact_phone)) if errors.is_empty() => Ok(DemandFields {
            title,
            description,
            chain_code,
            ipc_codes,
            cooperation_mode,
            budget_min,
            budget_max,
            deadline,
            contact_name,
            contact_phone,
        }),
        _ => Err(errors),
    }
}

fn fields_detail(f: &DemandFields) -> serde_json::Value {
    json!({
        "title": f.title,
        "chain_code": f.chain_code,
        "ipc_codes": f.ipc_codes.iter().map(IpcCode::as_str).collect::<Vec<_>>(),
        "cooperation_mode": f.cooperation_mode.code(),
        "budget_min_fen": f.budget_min.map(Money::fen),
        "budget_max_fen": f.budget_max.map(Money::fen),
        "deadline": f.deadline,
        "contact_name": f.contact_name,
    })
}

/// The audit action of a demand workflow step.
fn action_audit(action: DemandAction) -> Action {
    match action {
        DemandAction::Edit | DemandAction::EditContact => Action::DemandUpdate,
        DemandAction::Submit => Action::DemandSubmit,
        DemandAction::Publish => Action::DemandPublish,
        DemandAction::Return => Action::DemandReturn,
        DemandAction::Close => Action::DemandClose,
    }
}

impl App {
    /// Appends a denied audit record in `tx` (which has changed nothing), commits it, and returns `err`.
    pub(crate) async fn refuse<T>(
        &self,
        mut tx: Tx,
        entry: ipbridge_store::NewAuditEntry,
        err: ServiceError,
    ) -> Result<T> {
        tx.append_audit(&entry).await?;
        tx.commit().await?;
        Err(err)
    }

    /// The enterprise a new demand is for, checked against who posts it.
    async fn demand_enterprise(&self, tx: &mut Tx, actor: &Actor, form: &DemandForm) -> Result<Org> {
        let reviewer = actor.authorise(Permission::ReviewDemands).is_ok();
        let wanted = if reviewer {
            form.enterprise_org_id
        } else {
            let user = actor.require(Permission::PostDemands)?;
            match user.org_kind {
                OrgKind::Enterprise => {
                    if form.enterprise_org_id.is_some_and(|o| o != user.org_id) {
                        return Err(invalid("enterprise_org_id", "企业用户只能为本企业登记技术需求"));
                    }
                    Some(user.org_id)
                }
                OrgKind::Agency => form.enterprise_org_id,
                _ => return Err(ServiceError::Forbidden),
            }
        };
        let id = wanted.ok_or_else(|| invalid("enterprise_org_id", "请选择提出需求的企业"))?;
        match tx.org(id).await? {
            Some(o) if o.kind == OrgKind::Enterprise && o.active => Ok(o),
            Some(o) if o.kind == OrgKind::Enterprise => Err(invalid("enterprise_org_id", "该企业已停用，不能登记需求")),
            _ => Err(invalid("enterprise_org_id", "所选机构不是平台登记的企业")),
        }
    }

    /// Enterprises an agency or the bureau may post a demand for (active enterprises by name).
    pub async fn demand_enterprise_choices(&self, actor: &Actor) -> Result<Vec<Org>> {
        if actor.authorise(Permission::ReviewDemands).is_err() {
            let user = actor.require(Permission::PostDemands)?;
            if user.org_kind != OrgKind::Agency {
                return Err(ServiceError::Forbidden);
            }
        }
        let filter = OrgFilter { kind: Some(OrgKind::Enterprise), ..OrgFilter::default() };
        let mut tx = self.db.read().await?;
        Ok(tx.list_orgs(&filter).await?.into_iter().filter(|o| o.active).collect())
    }

    /// Posts a demand: saved as a draft, or sent for review at once when `submit`. Returns its id.
    pub async fn create_demand(&self, actor: &Actor, form: &DemandForm, submit: bool) -> Result<DemandId> {
        if actor.authorise(Permission::ReviewDemands).is_err() {
            actor.require(Permission::PostDemands)?;
        }
        let mut tx = self.db.begin().await?;
        let enterprise = self.demand_enterprise(&mut tx, actor, form).await?;
        let chains = tx.chains().await?;
        let fields = parse_demand_fields(form, &chains, self.china_today(), None).map_err(ServiceError::Invalid)?;
        let now = self.now();
        let status = if submit { DemandStatus::Submitted } else { DemandStatus::Draft };
        let name = actor.name();
        let id = tx
            .insert_demand(
                &NewDemand {
                    org_id: enterprise.id,
                    fields: &fields,
                    status,
                    source: DemandSource::Form,
                    posted_by_user_id: actor.user.as_ref().map(|u| u.id),
                    posted_by_name: &name,
                    posted_by_org_id: actor.user.as_ref().map(|u| u.org_id),
                },
                now,
            )
            .await?;
        tx.add_demand_event(id, &DemandEvent { to: status, ..event(actor, now) }).await?;
        let mut detail = fields_detail(&fields);
        detail["org_id"] = json!(enterprise.id);
        detail["status"] = json!(status.code());
        tx.append_audit(&actor.audit(Action::DemandCreate, "demand", id, Outcome::Success, detail)).await?;
        if submit {
            self.notify_submitted(&mut tx, actor, id, &fields.title, &enterprise.name).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    async fn notify_submitted(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        id: DemandId,
        title: &str,
        enterprise: &str,
    ) -> Result<()> {
        let bureau = bureau_org(tx).await?;
        let notice = Notice {
            kind: NotificationKind::DemandSubmitted,
            title: format!("技术需求待审核：{title}"),
            body: format!("{enterprise}的技术需求“{title}”已提交，请审核。"),
            link: demand_link(id),
        };
        notify_orgs(tx, &[bureau], actor.user.as_ref().map(|u| u.org_id), &notice, self.now()).await
    }

    /// Replaces a demand's content. Returns its status afterwards: an edit of what others read of a published
    /// demand sends it back to review ([`DemandStatus::Submitted`]).
    pub async fn update_demand(&self, actor: &Actor, id: DemandId, form: &DemandForm) -> Result<DemandStatus> {
        let mut tx = self.db.begin().await?;
        let before = tx.demand(id).await?.ok_or(ServiceError::NotFound)?;
        let access = demand_access(actor, &before).ok_or(ServiceError::NotFound)?;
        let chains = tx.chains().await?;
        let fields = parse_demand_fields(form, &chains, self.china_today(), Some(&before.fields))
            .map_err(ServiceError::Invalid)?;
        let action = before.fields.edit_action(&fields);
        if !access.may(action) {
            let entry = actor.audit(Action::DemandUpdate, "demand", id, Outcome::Denied, json!({"reason": "not_own"}));
            return self.refuse(tx, entry, ServiceError::Forbidden).await;
        }
        let status = match before.status.after(action) {
            Ok(s) => s,
            // Whatever the form changed, a refused edit is reported as an edit (not as "editing the contact").
            Err(e) => {
                let e = DemandTransitionError { action: DemandAction::Edit, ..e };
                let entry = actor.audit(
                    Action::DemandUpdate,
                    "demand",
                    id,
                    Outcome::Denied,
                    json!({"status": before.status.code(), "error": e.to_string()}),
                );
                return self.refuse(tx, entry, invalid("status", e.to_string())).await;
            }
        };
        if fields == before.fields {
            return Ok(before.status);
        }
        let now = self.now();
        tx.update_demand(id, &fields, status, now).await?;
        let note = if status != before.status { "修改已发布需求的内容，重新提交审核" } else { "" };
        tx.add_demand_event(
            id,
            &DemandEvent {
                action: Some(action),
                from: Some(before.status),
                to: status,
                note: note.to_owned(),
                ..event(actor, now)
            },
        )
        .await?;
        tx.append_audit(&actor.audit(
            Action::DemandUpdate,
            "demand",
            id,
            Outcome::Success,
            json!({"before": fields_detail(&before.fields), "after": fields_detail(&fields),
                   "status_before": before.status.code(), "status": status.code()}),
        ))
        .await?;
        if status == DemandStatus::Submitted && before.status != DemandStatus::Submitted {
            self.notify_submitted(&mut tx, actor, id, &fields.title, &before.enterprise_name).await?;
        }
        tx.commit().await?;
        Ok(status)
    }

    /// Sends a draft or returned demand for review (its own side, or the bureau).
    pub async fn submit_demand(&self, actor: &Actor, id: DemandId) -> Result<()> {
        self.demand_step(actor, id, DemandAction::Submit, "").await
    }

    /// Publishes a submitted demand (the bureau).
    pub async fn publish_demand(&self, actor: &Actor, id: DemandId) -> Result<()> {
        self.demand_step(actor, id, DemandAction::Publish, "").await
    }

    /// Returns a submitted demand to its poster with a reason (the bureau).
    pub async fn return_demand(&self, actor: &Actor, id: DemandId, reason: &str) -> Result<()> {
        self.demand_step(actor, id, DemandAction::Return, reason).await
    }

    /// Closes a demand, with an optional reason (its own side, or the bureau).
    pub async fn close_demand(&self, actor: &Actor, id: DemandId, reason: &str) -> Result<()> {
        self.demand_step(actor, id, DemandAction::Close, reason).await
    }

    /// One workflow step: access, the domain's transition, the reason, then the change, its history row, its
    /// audit record and the notices, in one transaction. Refusals are audited as denied.
    async fn demand_step(&self, actor: &Actor, id: DemandId, action: DemandAction, reason: &str) -> Result<()> {
        let reason = reason.trim();
        let audit = action_audit(action);
        let mut tx = self.db.begin().await?;
        let d = tx.demand(id).await?.ok_or(ServiceError::NotFound)?;
        let access = demand_access(actor, &d).ok_or(ServiceError::NotFound)?;
        if !access.may(action) {
            let entry = actor.audit(audit, "demand", id, Outcome::Denied, json!({"reason": "permission"}));
            return self.refuse(tx, entry, ServiceError::Forbidden).await;
        }
        let to = match d.status.after(action) {
            Ok(s) => s,
            Err(e) => {
                let entry = actor.audit(
                    audit,
                    "demand",
                    id,
                    Outcome::Denied,
                    json!({"status": d.status.code(), "error": e.to_string()}),
                );
                return self.refuse(tx, entry, invalid("status", e.to_string())).await;
            }
        };
        if action == DemandAction::Return && reason.is_empty() {
            return Err(invalid("reason", "退回时请说明原因，以便企业修改"));
        }
        if reason.chars().count() > REASON_MAX_CHARS {
            return Err(invalid("reason", format!("原因不能超过{REASON_MAX_CHARS}个字符")));
        }
        let now = self.now();
        tx.set_demand_status(id, to, reason, now).await?;
        tx.add_demand_event(
            id,
            &DemandEvent {
                action: Some(action),
                from: Some(d.status),
                to,
                note: reason.to_owned(),
                ..event(actor, now)
            },
        )
        .await?;
        tx.append_audit(&actor.audit(
            audit,
            "demand",
            id,
            Outcome::Success,
            json!({"from": d.status.code(), "to": to.code(), "reason": reason}),
        ))
        .await?;
        let title = &d.fields.title;
        let own_side = [Some(d.org_id), d.posted_by_org_id];
        let except = actor.user.as_ref().map(|u| u.org_id);
        let notice = match action {
            DemandAction::Submit => {
                self.notify_submitted(&mut tx, actor, id, title, &d.enterprise_name).await?;
                None
            }
            DemandAction::Publish => Some(Notice {
                kind: NotificationKind::DemandPublished,
                title: format!("技术需求已发布：{title}"),
                body: format!("“{title}”已通过审核并发布，平台将为其匹配专利。"),
                link: demand_link(id),
            }),
            DemandAction::Return => Some(Notice {
                kind: NotificationKind::DemandReturned,
                title: format!("技术需求被退回：{title}"),
                body: format!("退回原因：{reason}。请修改后重新提交。"),
                link: demand_link(id),
            }),
            DemandAction::Close => Some(Notice {
                kind: NotificationKind::DemandClosed,
                title: format!("技术需求已关闭：{title}"),
                body: if reason.is_empty() {
                    "需求已关闭。".to_owned()
                } else {
                    format!("关闭原因：{reason}")
                },
                link: demand_link(id),
            }),
            DemandAction::Edit | DemandAction::EditContact => None,
        };
        if let Some(n) = notice {
            notify_orgs(&mut tx, &own_side, except, &n, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// One demand as the actor may see it: its own side and the bureau see it in every status, with its
    /// history; others see it once published, phone masked. Anything else is reported as not found.
    pub async fn demand(&self, actor: &Actor, id: DemandId) -> Result<DemandView> {
        actor.authenticated()?;
        let mut tx = self.db.read().await?;
        let d = tx.demand(id).await?.ok_or(ServiceError::NotFound)?;
        let access = demand_access(actor, &d).ok_or(ServiceError::NotFound)?;
        let events = if access.sees_everything() { tx.demand_events(id).await? } else { Vec::new() };
        let actions = d.status.actions().into_iter().filter(|a| access.may(*a)).collect();
        let own = own_side(actor, &d);
        Ok(DemandView { demand: redact_for(actor, d), events, actions, own })
    }

    /// Demands the actor may see, filtered and paged, newest change first.
    pub async fn list_demands(&self, actor: &Actor, filter: &DemandFilter) -> Result<DemandPage> {
        actor.authenticated()?;
        let mut filter = filter.clone();
        if !sees_all_demands(actor) {
            let user = actor.user()?;
            if user.can(Permission::PostDemands) {
                filter.visible_to = Some(user.org_id);
            } else {
                // Not a poster: published demands only, whatever organisation the account belongs to.
                if filter.status.is_some_and(|s| s != DemandStatus::Published) || filter.own_side.is_some() {
                    return Ok(DemandPage { demands: Vec::new(), total: 0 });
                }
                filter.status = Some(DemandStatus::Published);
            }
        }
        let mut tx = self.db.read().await?;
        let demands = tx.list_demands(&filter).await?;
        let total = tx.count_demands(&filter).await?;
        Ok(DemandPage { demands: demands.into_iter().map(|d| redact_for(actor, d)).collect(), total })
    }

    /// The demand list as the actor sees it, filtered, as xlsx (audited).
    pub async fn export_demands(&self, actor: &Actor, filter: &DemandFilter) -> Result<Vec<u8>> {
        let filter = DemandFilter { limit: LIST_EXPORT_LIMIT, offset: 0, ..filter.clone() };
        let page = self.list_demands(actor, &filter).await?;
        let chains = self.chains().await?;
        let mut t = Table::new(
            "技术需求",
            &[
                "编号",
                "需求名称",
                "需求描述",
                "企业",
                "所属产业链",
                "IPC分类号",
                "合作方式",
                "预算下限（元）",
                "预算上限（元）",
                "截止日期",
                "联系人",
                "联系电话",
                "状态",
                "退回/关闭原因",
                "登记单位",
                "来源",
                "发布时间",
                "最近更新",
            ],
        );
        let time =
            |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| china_time(t).format("%Y-%m-%d %H:%M").to_string());
        let yuan = |m: Option<Money>| m.map(|m| m.to_string().replace([',', '元'], ""));
        for d in &page.demands {
            let f = &d.fields;
            t.push(vec![
                Cell::from(d.id.get()),
                Cell::from(f.title.as_str()),
                Cell::from(f.description.as_str()),
                Cell::from(d.enterprise_name.as_str()),
                Cell::from(
                    f.chain_code
                        .as_deref()
                        .map(|c| chains.iter().find(|x| x.code == c).map_or(c, |x| x.name.as_str()).to_owned()),
                ),
                Cell::from(f.ipc_codes.iter().map(IpcCode::as_str).collect::<Vec<_>>().join("; ")),
                Cell::from(f.cooperation_mode.label()),
                Cell::from(yuan(f.budget_min)),
                Cell::from(yuan(f.budget_max)),
                Cell::from(f.deadline.map(|d| d.to_string())),
                Cell::from(f.contact_name.as_str()),
                Cell::from(f.contact_phone.as_str()),
                Cell::from(d.status.label()),
                Cell::from(d.status_reason.as_str()),
                Cell::from(d.posted_by_org_name.as_deref()),
                Cell::from(d.source.label()),
                Cell::from(time(d.published_at)),
                Cell::from(time(Some(d.updated_at))),
            ]);
        }
        self.finish_export(actor, "demands", "", &t).await
    }

    /// Imports demands collected offline (the bureau and agencies). Each row is inserted, recognised as a
    /// duplicate of an open demand of the same enterprise and title, or rejected with its reason; the rejected
    /// rows come back as an xlsx with 错误原因 that imports once fixed. The bureau's imports are published at
    /// once (it collected and vetted them); an agency's wait for review.
    pub async fn import_demands(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: Vec<u8>,
        format: Option<Format>,
    ) -> Result<DemandImportReport> {
        let reviewer = actor.authorise(Permission::ReviewDemands).is_ok();
        if !reviewer {
            let user = actor.require(Permission::PostDemands)?;
            if user.org_kind != OrgKind::Agency {
                return Err(ServiceError::Forbidden);
            }
        }
        let status = if reviewer { DemandStatus::Published } else { DemandStatus::Submitted };
        let file_hash = hex::encode(Sm3::digest(&bytes));
        let name = file_name.to_owned();
        let table = tokio::task::spawn_blocking(move || read_table(&name, &bytes, format))
            .await
            .map_err(|e| ServiceError::Internal(format!("read task: {e}")))?
            .map_err(|e| invalid("file", e.to_string()))?;
        let columns = DemandColumns::from_headers(&table.headers).map_err(|e| invalid("file", e.to_string()))?;
        if table.rows.len() > DEMAND_IMPORT_MAX_ROWS {
            return Err(invalid(
                "file",
                format!("一次最多导入{DEMAND_IMPORT_MAX_ROWS}条需求，本文件有{}行，请分成几个文件", table.rows.len()),
            ));
        }
        let today = self.china_today();
        let now = self.now();
        let actor_name = actor.name();
        let mut report =
            DemandImportReport { total: table.rows.len() as u64, status: Some(status), ..Default::default() };
        let mut rejected: Vec<(RawRow, String)> = Vec::new();
        let mut tx = self.db.begin().await?;
        let chains = tx.chains().await?;
        let enterprises = EnterpriseIndex::load(&mut tx).await?;
        let mut published_for: Vec<(OrgId, DemandId, String)> = Vec::new();
        for row in &table.rows {
            let cells = match map_demand_row(&columns, &table.headers, row) {
                Ok(c) => c,
                Err(errors) => {
                    rejected.push((row.clone(), ipbridge_ingest::format_reason(&errors)));
                    continue;
                }
            };
            let (org, fields) = match self.demand_from_row(&cells, &chains, &enterprises, today) {
                Ok(v) => v,
                Err(reason) => {
                    rejected.push((row.clone(), reason));
                    continue;
                }
            };
            if tx.open_demand_with_title(org.id, &fields.title).await?.is_some() {
                report.duplicates += 1;
                continue;
            }
            let id = tx
                .insert_demand(
                    &NewDemand {
                        org_id: org.id,
                        fields: &fields,
                        status,
                        source: DemandSource::Import,
                        posted_by_user_id: actor.user.as_ref().map(|u| u.id),
                        posted_by_name: &actor_name,
                        posted_by_org_id: actor.user.as_ref().map(|u| u.org_id),
                    },
                    now,
                )
                .await?;
            tx.add_demand_event(
                id,
                &DemandEvent {
                    to: status,
                    note: format!("从“{file_name}”第{}行导入", row.number),
                    ..event(actor, now)
                },
            )
            .await?;
            let mut detail = fields_detail(&fields);
            detail["org_id"] = json!(org.id);
            detail["status"] = json!(status.code());
            detail["file"] = json!(file_name);
            detail["row"] = json!(row.number);
            tx.append_audit(&actor.audit(Action::DemandImport, "demand", id, Outcome::Success, detail)).await?;
            report.inserted += 1;
            report.demand_ids.push(id);
            published_for.push((org.id, id, fields.title.clone()));
        }
        report.rejected = rejected.len() as u64;
        tx.append_audit(&actor.audit(
            Action::DemandImport,
            "demand_import",
            &file_hash,
            Outcome::Success,
            json!({"file": file_name, "total": report.total, "inserted": report.inserted,
                   "duplicates": report.duplicates, "rejected": report.rejected, "status": status.code()}),
        ))
        .await?;
        let except = actor.user.as_ref().map(|u| u.org_id);
        if status == DemandStatus::Submitted && report.inserted > 0 {
            let bureau = bureau_org(&mut tx).await?;
            let notice = Notice {
                kind: NotificationKind::DemandSubmitted,
                title: format!("导入的{}条技术需求待审核", report.inserted),
                body: format!("{actor_name}从“{file_name}”导入了{}条技术需求，请审核。", report.inserted),
                link: "/demands?status=submitted".to_owned(),
            };
            notify_orgs(&mut tx, &[bureau], except, &notice, now).await?;
        } else {
            for (org, id, title) in &published_for {
                let notice = Notice {
                    kind: NotificationKind::DemandPublished,
                    title: format!("技术需求已发布：{title}"),
                    body: format!("市场监管局已将贵单位线下提交的技术需求“{title}”登记并发布。"),
                    link: demand_link(*id),
                };
                notify_orgs(&mut tx, &[Some(*org)], except, &notice, now).await?;
            }
        }
        tx.commit().await?;
        if !rejected.is_empty() {
            report.report = Some(
                ipbridge_ingest::rejected_rows_xlsx(&table.headers, &rejected)
                    .map_err(|e| ServiceError::Internal(e.to_string()))?,
            );
        }
        Ok(report)
    }

    /// The enterprise and the checked fields of an imported row, or the reason the row is refused, naming
    /// the columns as the file names them.
    fn demand_from_row(
        &self,
        cells: &DemandRow,
        chains: &[StoredChain],
        enterprises: &EnterpriseIndex,
        today: NaiveDate,
    ) -> std::result::Result<(Org, DemandFields), String> {
        let mut reasons: Vec<String> = Vec::new();
        let org = match enterprises.resolve(cells) {
            Ok(o) => Some(o.clone()),
            Err((field, message)) => {
                reasons.push(format!("【{}】{message}", cells.column(field)));
                None
            }
        };
        let form = DemandForm {
            enterprise_org_id: org.as_ref().map(|o| o.id),
            title: cells.get(DemandField::Title).to_owned(),
            description: cells.get(DemandField::Description).to_owned(),
            chain_code: cells.get(DemandField::Chain).to_owned(),
            ipc_codes: cells.get(DemandField::IpcCodes).to_owned(),
            cooperation_mode: cells.get(DemandField::Mode).to_owned(),
            budget_min: cells.get(DemandField::BudgetMin).to_owned(),
            budget_max: cells.get(DemandField::BudgetMax).to_owned(),
            deadline: cells.get(DemandField::Deadline).to_owned(),
            contact_name: cells.get(DemandField::ContactName).to_owned(),
            contact_phone: cells.get(DemandField::ContactPhone).to_owned(),
        };
        let fields = match parse_demand_fields(&form, chains, today, None) {
            Ok(f) => Some(f),
            Err(errors) => {
                for (key, messages) in &errors.0 {
                    let column = form_field_column(key).map_or_else(|| (*key).to_owned(), |f| cells.column(f));
                    for m in messages {
                        reasons.push(format!("【{column}】{m}"));
                    }
                }
                None
            }
        };
        match (org, fields) {
            (Some(o), Some(f)) if reasons.is_empty() => Ok((o, f)),
            _ => Err(reasons.join("；")),
        }
    }
}

/// The import column of a form field, to name it in a rejected row's reason.
fn form_field_column(key: &str) -> Option<DemandField> {
    Some(match key {
        "title" => DemandField::Title,
        "description" => DemandField::Description,
        "chain_code" => DemandField::Chain,
        "ipc_codes" => DemandField::IpcCodes,
        "cooperation_mode" => DemandField::Mode,
        "budget_min" => DemandField::BudgetMin,
        "budget_max" => DemandField::BudgetMax,
        "deadline" => DemandField::Deadline,
        "contact_name" => DemandField::ContactName,
        "contact_phone" => DemandField::ContactPhone,
        "enterprise_org_id" => DemandField::Enterprise,
        _ => return None,
    })
}

/// Active enterprises by credit code and by normalised name, loaded once per import.
struct EnterpriseIndex {
    by_code: HashMap<String, Org>,
    by_name: HashMap<String, Org>,
}

impl EnterpriseIndex {
    async fn load(tx: &mut Tx) -> Result<Self> {
        let filter = OrgFilter { kind: Some(OrgKind::Enterprise), ..OrgFilter::default() };
        let mut by_code = HashMap::new();
        let mut by_name = HashMap::new();
        for o in tx.list_orgs(&filter).await? {
            if let Some(c) = &o.credit_code {
                by_code.insert(c.as_str().to_owned(), o.clone());
            }
            by_name.insert(normalise_name(&o.name), o);
        }
        Ok(Self { by_code, by_name })
    }

    /// The enterprise a row names: by credit code when given, else by exact (normalised) name.
    fn resolve(&self, cells: &DemandRow) -> std::result::Result<&Org, (DemandField, String)> {
        let code = cells.get(DemandField::CreditCode);
        let name = cells.get(DemandField::Enterprise);
        let found = if !code.is_empty() {
            let code = CreditCode::parse(code).map_err(|e| (DemandField::CreditCode, e.to_string()))?;
            self.by_code.get(code.as_str()).ok_or_else(|| {
                (
                    DemandField::CreditCode,
                    format!("平台上没有统一社会信用代码为{code}的企业，请先在机构管理中登记该企业或导入机构"),
                )
            })?
        } else if !name.is_empty() {
            self.by_name.get(&normalise_name(name)).ok_or_else(|| {
                (
                    DemandField::Enterprise,
                    format!("平台上没有名为“{name}”的企业：请填写企业全称或统一社会信用代码，或先登记该企业"),
                )
            })?
        } else {
            return Err((DemandField::Enterprise, "请填写企业名称或统一社会信用代码".to_owned()));
        };
        if !found.active {
            return Err((DemandField::Enterprise, format!("企业“{}”已停用，不能登记需求", found.name)));
        }
        Ok(found)
    }
}
