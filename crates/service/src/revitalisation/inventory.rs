//! Inventory records (盘点记录) and their review chain, alone or by xlsx import.
//!
//! Who does what (`docs/revitalisation.md`, "Who does what"):
//! - an inventor fills in, edits, submits and withdraws the records of the patents linked to the account;
//! - a faculty reviewer approves or returns the submitted records of the own faculty;
//! - an institution admin does everything an inventor does for every patent of the institution (alone or by
//!   import), reviews for the institution, screens records into and out of the pools and links inventor
//!   accounts to patents;
//! - a bureau officer screens records of every institution into and out of the pools (or returns them);
//!   bureau officers and leaders read every record.
//!
//! The permission says *may do this kind of thing*; the capacity in which an account acts on a record
//! ([`ReviewActor`]) comes from its roles *and* its relation to the record (linked inventor, reviewer of the
//! record's faculty, admin of the record's institution), and the domain's table ([`Transition::check`])
//! decides the step. A record the account has no relation to is reported as not found. Every change writes
//! its history row (`review_events`), its audit record and its notices in one transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ipbridge_domain::Permission;
use ipbridge_domain::account::User;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::ids::{FacultyId, InventoryRecordId, OrgId, PatentId, UserId};
use ipbridge_domain::notification::NotificationKind;
use ipbridge_domain::org::{Faculty, OrgKind, normalise_name};
use ipbridge_domain::patent::ApplicationNo;
use ipbridge_domain::permission::Role;
use ipbridge_domain::revitalisation::{
    FieldErrors as RecordErrors, InventoryContent, InventoryField, InventoryInput, InventorySource, ReviewAction,
    ReviewActor, ReviewEvent, ReviewRoute, ReviewState, TransferIntent, Transition, available_actions, next_state,
    required_permission,
};
use ipbridge_domain::{Money, revitalisation};
use ipbridge_ingest::{
    Cell, Format, InventoryColumns, InventoryRow, RawRow, Table, format_reason, map_inventory_row, read_table,
};
use ipbridge_store::{
    AuditStore, ChainStore, InventoryFilter, InventorySort, InventoryStore, NewInventoryRecord, NewNotification,
    NotificationStore, OrgFilter, OrgStore, PatentStore, StoredChain, Tx, UserFilter, UserStore,
};
use serde_json::json;
use sm3::{Digest, Sm3};

use crate::auth::china_time;
use crate::error::invalid;
use crate::exports::LIST_EXPORT_LIMIT;
use crate::notifications::Notice;
use crate::{Actor, App, FieldErrors, Result, ServiceError};

/// The store's values pages show, for the web layer (which does not depend on the store).
pub use ipbridge_store::{
    FacultyCoverage, FacultyScope, InstitutionCoverage, InventorLink, InventoryRecord, PatentScope, PatentSummary,
    UnrecordedPatent,
};

/// Most rows one inventory import takes (an institution's stock is hundreds to a few thousand patents).
pub const INVENTORY_IMPORT_MAX_ROWS: usize = 5000;

/// `/inventory/{id}`: where notices about a record point.
fn record_link(id: InventoryRecordId) -> String {
    format!("/inventory/{id}")
}

/// The domain's per-field problems as the form's field → messages.
fn form_errors(e: &RecordErrors) -> FieldErrors {
    let mut out = FieldErrors::new();
    for f in &e.0 {
        out.add(f.field, f.message.clone());
    }
    out
}

/// How an account stands towards inventory records, derived once per request from its roles. A record's
/// capacities ([`Standing::capacities`]) add the relation to that record.
#[derive(Debug, Clone, Default)]
pub(crate) struct Standing {
    /// The command line: every record, acting as the institution and the bureau.
    cli: bool,
    /// Reads every record (bureau officers and leaders).
    pub(crate) sees_all: bool,
    /// Screens every institution's records (bureau officers).
    bureau: bool,
    /// Administrator of this institution.
    pub(crate) admin_of: Option<OrgId>,
    /// Reviewer of this faculty of this institution.
    pub(crate) reviewer_of: Option<(OrgId, FacultyId)>,
    /// An inventor account (its linked patents).
    pub(crate) inventor: Option<UserId>,
}

impl Standing {
    /// The standing of `actor`; `Forbidden` for accounts that take no part in the inventory.
    pub(crate) fn of(actor: &Actor) -> Result<Standing> {
        if actor.is_cli() {
            return Ok(Standing { cli: true, sees_all: true, bureau: true, ..Standing::default() });
        }
        let user = actor.user()?;
        let has = |r: Role| user.roles.contains(&r);
        let st = Standing {
            cli: false,
            sees_all: user.can(Permission::ViewAllInventory),
            bureau: has(Role::BureauOfficer) && user.can(Permission::ScreenPool),
            admin_of: (has(Role::InstitutionAdmin) && user.org_kind == OrgKind::Institution).then_some(user.org_id),
            reviewer_of: if has(Role::FacultyReviewer) { user.faculty_id.map(|f| (user.org_id, f)) } else { None },
            inventor: has(Role::Inventor).then_some(user.id),
        };
        if st.sees_all || st.bureau || st.admin_of.is_some() || st.reviewer_of.is_some() || st.inventor.is_some() {
            Ok(st)
        } else {
            Err(ServiceError::Forbidden)
        }
    }

    /// The capacities in which the account acts on a record of `org` and `faculty`; `linked` says whether it
    /// is linked to the patent as its inventor. Preferred first: an account that is both the institution's
    /// admin and a linked inventor acts as the admin.
    pub(crate) fn capacities(&self, org: OrgId, faculty: Option<FacultyId>, linked: bool) -> Vec<ReviewActor> {
        if self.cli {
            return vec![ReviewActor::InstitutionAdmin, ReviewActor::Bureau];
        }
        let mut out = Vec::new();
        if self.admin_of == Some(org) {
            out.push(ReviewActor::InstitutionAdmin);
        }
        if let (Some((o, f)), Some(rf)) = (self.reviewer_of, faculty)
            && o == org
            && f == rf
        {
            out.push(ReviewActor::FacultyReviewer);
        }
        if self.inventor.is_some() && linked {
            out.push(ReviewActor::Inventor);
        }
        if self.bureau {
            out.push(ReviewActor::Bureau);
        }
        out
    }

    /// Narrows a record or patent filter to what the account may see: every institution for the bureau, the
    /// own institution for its admin, the own faculty for a reviewer, the linked patents for an inventor. An
    /// account holding several roles sees through the widest of them.
    pub(crate) fn narrow(
        &self,
        org: Option<OrgId>,
        faculty: FacultyScope,
    ) -> (Option<OrgId>, FacultyScope, Option<UserId>) {
        if self.sees_all {
            (org, faculty, None)
        } else if let Some(own) = self.admin_of {
            (Some(own), faculty, None)
        } else if let Some((own, f)) = self.reviewer_of {
            (Some(own), FacultyScope::Only(f), None)
        } else {
            (None, faculty, self.inventor)
        }
    }

    /// Whether the account may link inventor accounts to patents of `org`.
    fn links_for(&self, org: Option<OrgId>) -> bool {
        self.cli || (org.is_some() && self.admin_of == org)
    }
}

/// Whether the account is linked to the patent as its inventor (only asked for inventor accounts).
async fn linked(tx: &mut Tx, st: &Standing, patent: PatentId) -> Result<bool> {
    match st.inventor {
        Some(user) => Ok(tx.is_linked_inventor(user, patent).await?),
        None => Ok(false),
    }
}

/// The review route of a record: through its faculty when the faculty has an active reviewer.
async fn route_of(tx: &mut Tx, faculty: Option<FacultyId>) -> Result<ReviewRoute> {
    let has = match faculty {
        Some(f) => tx.faculty_has_reviewer(f).await?,
        None => false,
    };
    Ok(ReviewRoute::for_faculty_review(has))
}

/// The actions the capacities allow on a record, each once, in button order.
fn actions_for(state: ReviewState, caps: &[ReviewActor], route: ReviewRoute) -> Vec<ReviewAction> {
    let mut out: Vec<ReviewAction> = Vec::new();
    for cap in caps {
        for a in available_actions(state, *cap, route) {
            if !out.contains(&a) {
                out.push(a);
            }
        }
    }
    ReviewAction::ALL.into_iter().filter(|a| out.contains(a)).collect()
}

/// Picks the capacity that may take `action` and checks the step with its comment. When none may, the
/// refusal names who may (the domain's message), as seen from the account's first capacity.
fn check_step(
    state: ReviewState,
    action: ReviewAction,
    caps: &[ReviewActor],
    route: ReviewRoute,
    comment: &str,
) -> std::result::Result<Transition, revitalisation::ReviewError> {
    let cap = caps.iter().copied().find(|c| next_state(state, action, *c, route).is_ok());
    match (cap, caps.first()) {
        (Some(c), _) => Transition::check(state, action, c, route, comment),
        (None, Some(first)) => Transition::check(state, action, *first, route, comment),
        (None, None) => Err(revitalisation::ReviewError::NotAllowed { from: state, action }),
    }
}

/// A record's form as typed: the content fields, the faculty and the chain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InventoryForm {
    /// The content as typed.
    pub input: InventoryInput,
    /// The reviewing faculty's id; "" for none.
    pub faculty_id: String,
    /// The chain's code (or name); "" for none.
    pub chain_code: String,
}

impl InventoryForm {
    /// The form pre-filled from a stored record (for the edit page).
    pub fn from_record(r: &InventoryRecord) -> Self {
        let c = &r.content;
        let yuan = |m: Option<Money>| m.map(|m| m.to_string().replace([',', '元'], "")).unwrap_or_default();
        InventoryForm {
            input: InventoryInput {
                transfer_intent: c.transfer_intent.map(|i| i.code().to_owned()).unwrap_or_default(),
                already_implemented: if c.already_implemented { "是" } else { "否" }.to_owned(),
                prospect_grade: c.prospect.map(|p| p.level().to_string()).unwrap_or_default(),
                maturity: c.brief.maturity.map(|t| t.level().to_string()).unwrap_or_default(),
                problem_solved: c.brief.problem_solved.clone(),
                advantage: c.brief.advantage.clone(),
                application_fields: c.brief.application_fields.clone(),
                route_to_market: c.brief.route_to_market.clone(),
                price_min: yuan(c.price.min),
                price_max: yuan(c.price.max),
                contact_name: c.contact.name.clone(),
                contact_phone: c.contact.phone.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default(),
            },
            faculty_id: r.faculty_id.map(|f| f.get().to_string()).unwrap_or_default(),
            chain_code: r.chain_code.clone().unwrap_or_default(),
        }
    }
}

/// Which list of records a page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InventoryView {
    /// Every record the account may see.
    #[default]
    All,
    /// 待我审核: records the account may approve now (faculty or institution review).
    Review,
    /// 待遴选: approved records and the pools, for those who screen (institution admins, the bureau).
    Screen,
}

/// What a record list asks for. Filters are values; the service narrows them to the account's scope.
#[derive(Debug, Clone, Default)]
pub struct InventoryQuery {
    /// Which list.
    pub view: InventoryView,
    /// Only this state (none: every state of the view).
    pub state: Option<ReviewState>,
    /// Only this institution (the bureau; others are held to their own).
    pub org: Option<OrgId>,
    /// Only this faculty (or none).
    pub faculty: FacultyScope,
    /// Only this transfer intent.
    pub intent: Option<TransferIntent>,
    /// Application number, title, institution or brief contains.
    pub text: Option<String>,
    /// Page size; 0 means no limit.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// A page of records.
#[derive(Debug, Clone)]
pub struct InventoryPage {
    /// The records.
    pub records: Vec<InventoryRecord>,
    /// Total matching.
    pub total: u64,
    /// Records of the account's scope (and filters other than the state) in each state.
    pub state_counts: Vec<(ReviewState, u64)>,
}

/// One record as the account may see it, with its history and what the account may do next.
#[derive(Debug, Clone)]
pub struct InventoryDetail {
    /// The record.
    pub record: InventoryRecord,
    /// Its history, oldest first.
    pub events: Vec<ReviewEvent>,
    /// The steps the account may take now (buttons to show).
    pub actions: Vec<ReviewAction>,
    /// The review route the record is on now.
    pub route: ReviewRoute,
    /// The inventor accounts linked to the patent.
    pub inventors: Vec<InventorLink>,
    /// Whether the account may link and unlink inventor accounts.
    pub can_link: bool,
    /// The chain's name, when the record names one.
    pub chain_name: Option<String>,
}

/// A patent as the inventory sees it: for the new-record form and the inventor links.
#[derive(Debug, Clone)]
pub struct PatentInventory {
    /// The patent.
    pub patent: PatentSummary,
    /// Where it stands against the scope.
    pub scope: PatentScope,
    /// Its record, when it has one.
    pub record: Option<InventoryRecordId>,
    /// The faculties of its institution (to choose the reviewing one).
    pub faculties: Vec<Faculty>,
    /// The inventor accounts linked to it.
    pub inventors: Vec<InventorLink>,
    /// Whether the account may start the record.
    pub can_file: bool,
    /// Whether the account may link and unlink inventor accounts.
    pub can_link: bool,
    /// Why the patent cannot be inventoried, when it cannot.
    pub out_of_scope: Option<String>,
}

/// The outcome of an inventory import: every row created, updated, unchanged or rejected with its reason.
#[derive(Debug, Clone, Default)]
pub struct InventoryImportReport {
    /// Data rows in the file.
    pub total: u64,
    /// New records.
    pub created: u64,
    /// Drafts whose content changed.
    pub updated: u64,
    /// Drafts already holding exactly this content.
    pub unchanged: u64,
    /// Rows refused.
    pub rejected: u64,
    /// Records sent for review (when the import was asked to submit complete rows).
    pub submitted: u64,
    /// Whether complete rows were submitted.
    pub submit: bool,
    /// The rejected rows (original columns plus 错误原因) as xlsx, when any.
    pub report: Option<Vec<u8>>,
}

/// What a home page card shows an inventor, reviewer or institution admin.
#[derive(Debug, Clone, Default)]
pub struct InventoryHome {
    /// In-scope patents of the account's scope without a submitted record (to fill in).
    pub to_fill: Option<u64>,
    /// Records waiting for the account's approval.
    pub to_review: Option<u64>,
    /// Records returned for revision (drafts with a reviewer's comment are among `to_fill`).
    pub returned: u64,
    /// Coverage of the account's institution or faculty, as `87.5%`.
    pub coverage: Option<String>,
}

fn event_for(actor: &Actor, at: DateTime<Utc>, kind: Option<ReviewActor>, to: ReviewState) -> ReviewEvent {
    ReviewEvent {
        at,
        actor_user_id: actor.user.as_ref().map(|u| u.id),
        actor_name: actor.name(),
        actor_org_id: actor.user.as_ref().map(|u| u.org_id),
        actor_kind: kind,
        action: None,
        from: None,
        to,
        comment: String::new(),
    }
}

fn content_detail(c: &InventoryContent, faculty: Option<FacultyId>, chain: Option<&str>) -> serde_json::Value {
    json!({
        "transfer_intent": c.transfer_intent.map(|i| i.code()),
        "already_implemented": c.already_implemented,
        "prospect_level": c.prospect.map(|p| p.level()),
        "trl": c.brief.maturity.map(|t| t.level()),
        "price_min_fen": c.price.min.map(Money::fen),
        "price_max_fen": c.price.max.map(Money::fen),
        "contact_name": c.contact.name,
        "faculty_id": faculty,
        "chain_code": chain,
    })
}

/// Finds a chain by code or name (normalised).
fn find_chain<'a>(chains: &'a [StoredChain], text: &str) -> Option<&'a StoredChain> {
    let t = text.trim();
    chains.iter().find(|c| c.code == t || c.name == t || normalise_name(&c.name) == normalise_name(t))
}

/// Whether an import's 所属院系 cell names no faculty on purpose (the form's “不指定（由单位直接审核）”).
fn is_no_faculty(cell: &str) -> bool {
    matches!(
        normalise_name(cell).as_str(),
        "不指定" | "无" | "未分院系" | "不指定（由单位直接审核）" | "不指定(由单位直接审核)"
    )
}

/// Resolves the faculty and chain fields of a form against the institution's faculties and the chains.
/// `before` keeps a chain deactivated since it was chosen.
fn resolve_refs(
    form: &InventoryForm,
    faculties: &[Faculty],
    chains: &[StoredChain],
    before_chain: Option<&str>,
    errors: &mut FieldErrors,
) -> (Option<FacultyId>, Option<String>) {
    let faculty = match form.faculty_id.trim() {
        "" => None,
        text => match text.parse::<i64>().ok().and_then(|id| faculties.iter().find(|f| f.id.get() == id)) {
            Some(f) => Some(f.id),
            None => {
                errors.add("faculty", "请从列表中选择本单位的院系");
                None
            }
        },
    };
    let chain = match form.chain_code.trim() {
        "" => None,
        text => match find_chain(chains, text) {
            Some(c) if c.active || before_chain == Some(c.code.as_str()) => Some(c.code.clone()),
            _ => {
                let known: Vec<&str> = chains.iter().filter(|c| c.active).map(|c| c.name.as_str()).collect();
                errors.add("chain", format!("没有名为“{text}”的重点产业链，应为：{}", known.join("、")));
                None
            }
        },
    };
    (faculty, chain)
}

/// Why an in-force institution patent cannot be inventoried, or none when it can.
fn scope_problem(scope: &PatentScope) -> Option<String> {
    if !scope.owner_is_institution {
        Some("该专利的权利人不是平台登记的高校院所，不在存量专利盘点范围内".to_owned())
    } else if !scope.in_force {
        Some("该专利已失效或尚未授权，不在存量专利盘点范围内（盘点范围为有效专利）".to_owned())
    } else if scope.converted {
        Some("该专利已转化（已有生效的转化交易或已实施），不再需要盘点".to_owned())
    } else if !scope.in_scope {
        Some("该专利不在存量专利盘点范围内".to_owned())
    } else {
        None
    }
}

/// Accounts of `org` holding `role` (and, for reviewers, of `faculty`) that can log in: who a notice
/// addressed to "the reviewers" reaches.
pub(crate) async fn accounts_with(
    tx: &mut Tx,
    org: OrgId,
    role: Role,
    faculty: Option<FacultyId>,
) -> Result<Vec<User>> {
    let users = tx.list_users(&UserFilter { org_id: Some(org), ..UserFilter::default() }).await?;
    Ok(users
        .into_iter()
        .filter(|u| !u.disabled && u.roles.contains(&role) && (faculty.is_none() || u.faculty_id == faculty))
        .collect())
}

/// Sends one notice to each of `users` personally (a notice to the whole institution would also reach every
/// inventor), except the acting account.
pub(crate) async fn notify_users(
    tx: &mut Tx,
    org: OrgId,
    users: &[UserId],
    except: Option<UserId>,
    notice: &Notice,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut sent: Vec<UserId> = Vec::new();
    for u in users {
        if Some(*u) == except || sent.contains(u) {
            continue;
        }
        sent.push(*u);
        tx.insert_notification(
            &NewNotification {
                recipient_org_id: org,
                recipient_user_id: Some(*u),
                kind: notice.kind,
                title: notice.title.clone(),
                body: notice.body.clone(),
                link: notice.link.clone(),
            },
            now,
        )
        .await?;
    }
    Ok(())
}

/// Who filed the record and the inventors linked to its patent: whom a return or an approval is told.
async fn filers(tx: &mut Tx, rec: &InventoryRecord) -> Result<Vec<UserId>> {
    let mut out: Vec<UserId> = rec.filed_by_user_id.into_iter().collect();
    out.extend(tx.inventor_links(rec.patent_id).await?.into_iter().map(|l| l.user_id));
    Ok(out)
}

/// The reviewers a record submitted on `route` waits for: its faculty's reviewers, or the institution's admins.
async fn next_reviewers(
    tx: &mut Tx,
    rec: &InventoryRecord,
    to: ReviewState,
    route: ReviewRoute,
) -> Result<Vec<UserId>> {
    let users = match (to, route, rec.faculty_id) {
        (ReviewState::Submitted, ReviewRoute::ThroughFaculty, Some(f)) => {
            accounts_with(tx, rec.org_id, Role::FacultyReviewer, Some(f)).await?
        }
        _ => accounts_with(tx, rec.org_id, Role::InstitutionAdmin, None).await?,
    };
    Ok(users.into_iter().map(|u| u.id).collect())
}

impl App {
    /// Applies a checked step in `tx`: the state change with its history row, the audit record and, when
    /// `notify`, the notices to whoever acts next (the next reviewer; the filer on a return or approval).
    async fn apply_step(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        rec: &InventoryRecord,
        t: &Transition,
        route: ReviewRoute,
        notify: bool,
    ) -> Result<()> {
        let now = self.now();
        let event = ReviewEvent {
            action: Some(t.action),
            from: Some(t.from),
            comment: t.comment.clone(),
            ..event_for(actor, now, Some(t.actor), t.to)
        };
        tx.transition_inventory_record(rec.id, t, &event, now).await?;
        tx.append_audit(&actor.audit(
            t.action.audit_action(),
            "inventory_record",
            rec.id,
            Outcome::Success,
            json!({"patent_id": rec.patent_id, "from": t.from.code(), "to": t.to.code(), "as": t.actor.code(),
                   "route": match route { ReviewRoute::ThroughFaculty => "through_faculty", ReviewRoute::InstitutionOnly => "institution_only" },
                   "comment": t.comment}),
        ))
        .await?;
        if !notify {
            return Ok(());
        }
        let me = actor.user.as_ref().map(|u| u.id);
        let link = record_link(rec.id);
        let title = &rec.patent_title;
        match (t.action, t.to) {
            (ReviewAction::Submit, _) | (ReviewAction::Approve, ReviewState::FacultyApproved) => {
                let to = next_reviewers(tx, rec, t.to, route).await?;
                let (head, body) = if t.to == ReviewState::Submitted {
                    (
                        "盘点记录待审核",
                        format!("{}提交了专利“{title}”（{}）的盘点记录，请审核。", actor.name(), rec.application_no),
                    )
                } else {
                    (
                        "学院已审核，待单位审核",
                        format!("专利“{title}”（{}）的盘点记录已通过学院审核，请进行单位审核。", rec.application_no),
                    )
                };
                let notice = Notice {
                    kind: NotificationKind::InventorySubmitted,
                    title: format!("{head}：{title}"),
                    body,
                    link,
                };
                notify_users(tx, rec.org_id, &to, me, &notice, now).await?;
            }
            (ReviewAction::Approve, ReviewState::InstitutionApproved) => {
                let to = filers(tx, rec).await?;
                let body = format!("专利“{title}”（{}）的盘点记录已通过单位审核。", rec.application_no);
                let notice = Notice {
                    kind: NotificationKind::InventoryApproved,
                    title: format!("盘点记录已审核：{title}"),
                    body,
                    link,
                };
                notify_users(tx, rec.org_id, &to, me, &notice, now).await?;
            }
            (ReviewAction::ReturnForRevision, _) => {
                let to = filers(tx, rec).await?;
                let body = format!(
                    "专利“{title}”（{}）的盘点记录被{}退回修改。意见：{}。请修改后重新提交。",
                    rec.application_no,
                    t.actor.label(),
                    t.comment
                );
                let notice = Notice {
                    kind: NotificationKind::InventoryReturned,
                    title: format!("盘点记录被退回：{title}"),
                    body,
                    link,
                };
                notify_users(tx, rec.org_id, &to, me, &notice, now).await?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Submits a record in `tx` after checking its content is complete.
    async fn submit_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        id: InventoryRecordId,
        caps: &[ReviewActor],
        notify: bool,
    ) -> Result<()> {
        let rec = tx.inventory_record(id).await?.ok_or(ServiceError::NotFound)?;
        rec.content.check_complete().map_err(|e| ServiceError::Invalid(form_errors(&e)))?;
        let route = route_of(tx, rec.faculty_id).await?;
        let t = check_step(rec.state, ReviewAction::Submit, caps, route, "")
            .map_err(|e| invalid("action", e.to_string()))?;
        self.apply_step(tx, actor, &rec, &t, route, notify).await
    }

    /// Records the account may see, filtered and paged; see [`InventoryView`] for the lists.
    pub async fn inventory_list(&self, actor: &Actor, q: &InventoryQuery) -> Result<InventoryPage> {
        let st = Standing::of(actor)?;
        let (org, faculty, inventor_user) = st.narrow(q.org, q.faculty);
        let states: Vec<ReviewState> = match q.view {
            InventoryView::All => q.state.into_iter().collect(),
            InventoryView::Review => vec![ReviewState::Submitted, ReviewState::FacultyApproved],
            InventoryView::Screen => {
                if !(st.bureau || st.admin_of.is_some()) {
                    return Ok(InventoryPage { records: Vec::new(), total: 0, state_counts: Vec::new() });
                }
                let pools = [ReviewState::InstitutionApproved, ReviewState::BasePool, ReviewState::TransferablePool];
                match q.state {
                    Some(s) if pools.contains(&s) => vec![s],
                    _ => pools.to_vec(),
                }
            }
        };
        let mut filter = InventoryFilter {
            org,
            faculty,
            states,
            inventor_user,
            returned_only: false,
            text: q.text.clone().filter(|t| !t.trim().is_empty()),
            sort: if q.view == InventoryView::All {
                InventorySort::RecentChange
            } else {
                InventorySort::LongestWaiting
            },
            limit: q.limit,
            offset: q.offset,
        };
        let mut tx = self.db.read().await?;
        let state_counts = tx.count_inventory_by_state(&filter).await?;
        // The intent and "may I approve it" are not columns of the store's filter: those lists are filtered here
        // (an institution's records are hundreds to a few thousand) and paged afterwards.
        if q.intent.is_some() || q.view == InventoryView::Review {
            filter.limit = 0;
            filter.offset = 0;
            let all = tx.list_inventory_records(&filter).await?;
            let mut routes: HashMap<Option<FacultyId>, ReviewRoute> = HashMap::new();
            let mut kept = Vec::new();
            for r in all {
                if q.intent.is_some() && r.content.transfer_intent != q.intent {
                    continue;
                }
                if q.view == InventoryView::Review {
                    let route = match routes.get(&r.faculty_id) {
                        Some(route) => *route,
                        None => {
                            let route = route_of(&mut tx, r.faculty_id).await?;
                            routes.insert(r.faculty_id, route);
                            route
                        }
                    };
                    let caps = st.capacities(r.org_id, r.faculty_id, false);
                    if !caps.iter().any(|c| available_actions(r.state, *c, route).contains(&ReviewAction::Approve)) {
                        continue;
                    }
                }
                kept.push(r);
            }
            let total = kept.len() as u64;
            let start = (q.offset as usize).min(kept.len());
            let end = if q.limit == 0 { kept.len() } else { (start + q.limit as usize).min(kept.len()) };
            return Ok(InventoryPage { records: kept[start..end].to_vec(), total, state_counts });
        }
        let records = tx.list_inventory_records(&filter).await?;
        let total = tx.count_inventory_records(&filter).await?;
        Ok(InventoryPage { records, total, state_counts })
    }

    /// One record as the account may see it: the bureau sees every record; others the records they relate to
    /// (institution, faculty, linked patent). Anything else is reported as not found.
    pub async fn inventory_record(&self, actor: &Actor, id: InventoryRecordId) -> Result<InventoryDetail> {
        let st = Standing::of(actor)?;
        let mut tx = self.db.read().await?;
        let record = tx.inventory_record(id).await?.ok_or(ServiceError::NotFound)?;
        let is_linked = linked(&mut tx, &st, record.patent_id).await?;
        let caps = st.capacities(record.org_id, record.faculty_id, is_linked);
        if caps.is_empty() && !st.sees_all {
            return Err(ServiceError::NotFound);
        }
        let route = route_of(&mut tx, record.faculty_id).await?;
        let actions = actions_for(record.state, &caps, route);
        let events = tx.review_events(id).await?;
        let inventors = tx.inventor_links(record.patent_id).await?;
        let chain_name = match record.chain_code.as_deref() {
            Some(code) => Some(
                tx.chains().await?.into_iter().find(|c| c.code == code).map_or_else(|| code.to_owned(), |c| c.name),
            ),
            None => None,
        };
        Ok(InventoryDetail {
            can_link: st.links_for(Some(record.org_id)),
            record,
            events,
            actions,
            route,
            inventors,
            chain_name,
        })
    }

    /// A patent as the inventory sees it, for the new-record form and the inventor links. Visible to the
    /// bureau, the admin of its institution, the reviewer of its faculty and its linked inventors.
    pub async fn patent_inventory(&self, actor: &Actor, patent: PatentId) -> Result<PatentInventory> {
        let st = Standing::of(actor)?;
        let mut tx = self.db.read().await?;
        let scope = tx.patent_scope(patent).await?.ok_or(ServiceError::NotFound)?;
        let is_linked = linked(&mut tx, &st, patent).await?;
        let record = tx.inventory_record_for_patent(patent).await?;
        let faculty = record.as_ref().map_or(scope.faculty_id, |r| r.faculty_id);
        let caps = match scope.owner_org_id {
            Some(org) if scope.owner_is_institution => st.capacities(org, faculty, is_linked),
            _ => Vec::new(),
        };
        if caps.is_empty() && !st.sees_all {
            return Err(ServiceError::NotFound);
        }
        let stored = tx.patent(patent).await?.ok_or(ServiceError::NotFound)?;
        let faculties = match scope.owner_org_id {
            Some(org) if scope.owner_is_institution => tx.faculties(org).await?,
            _ => Vec::new(),
        };
        let out_of_scope = scope_problem(&scope);
        let can_file = record.is_none()
            && out_of_scope.is_none()
            && caps.iter().any(|c| matches!(c, ReviewActor::InstitutionAdmin | ReviewActor::Inventor))
            && (st.cli || actor.user.as_ref().is_some_and(|u| u.can(Permission::FileInventory)));
        Ok(PatentInventory {
            patent: stored.summary,
            can_link: st.links_for(scope.owner_org_id.filter(|_| scope.owner_is_institution)),
            inventors: tx.inventor_links(patent).await?,
            record: record.map(|r| r.id),
            faculties,
            scope,
            can_file,
            out_of_scope,
        })
    }

    /// The institutions the bureau may narrow the lists to, by name.
    pub async fn inventory_institutions(&self, actor: &Actor) -> Result<Vec<(OrgId, String)>> {
        let st = Standing::of(actor)?;
        if !st.sees_all {
            return Err(ServiceError::Forbidden);
        }
        let filter = OrgFilter { kind: Some(OrgKind::Institution), ..OrgFilter::default() };
        let mut tx = self.db.read().await?;
        Ok(tx.list_orgs(&filter).await?.into_iter().map(|o| (o.id, o.name)).collect())
    }

    /// The faculties a record of `org` may name (for the edit form); the account must see the institution.
    pub async fn inventory_faculties(&self, actor: &Actor, org: OrgId) -> Result<Vec<Faculty>> {
        let st = Standing::of(actor)?;
        if !st.sees_all && st.admin_of != Some(org) && st.reviewer_of.map(|r| r.0) != Some(org) && st.inventor.is_none()
        {
            return Err(ServiceError::NotFound);
        }
        let mut tx = self.db.read().await?;
        Ok(tx.faculties(org).await?)
    }

    /// Starts the record of an in-scope patent (its institution's admin or a linked inventor): saved as a
    /// draft, or submitted at once when `submit` (which needs the content complete). Returns its id.
    pub async fn create_inventory_record(
        &self,
        actor: &Actor,
        patent: PatentId,
        form: &InventoryForm,
        submit: bool,
    ) -> Result<InventoryRecordId> {
        if !actor.is_cli() {
            actor.require(Permission::FileInventory)?;
        }
        let st = Standing::of(actor)?;
        let mut tx = self.db.begin().await?;
        let scope = tx.patent_scope(patent).await?.ok_or(ServiceError::NotFound)?;
        let is_linked = linked(&mut tx, &st, patent).await?;
        let org = match scope.owner_org_id {
            Some(o) if scope.owner_is_institution => o,
            _ if st.sees_all => return Err(invalid("patent", scope_problem(&scope).unwrap_or_default())),
            _ => return Err(ServiceError::NotFound),
        };
        let caps: Vec<ReviewActor> = st
            .capacities(org, scope.faculty_id, is_linked)
            .into_iter()
            .filter(|c| matches!(c, ReviewActor::InstitutionAdmin | ReviewActor::Inventor))
            .collect();
        if caps.is_empty() {
            return Err(if st.sees_all { ServiceError::Forbidden } else { ServiceError::NotFound });
        }
        if let Some(problem) = scope_problem(&scope) {
            return Err(invalid("patent", problem));
        }
        if tx.inventory_record_for_patent(patent).await?.is_some() {
            return Err(ServiceError::Conflict(ipbridge_store::Conflict::InventoryRecordExists));
        }
        let faculties = tx.faculties(org).await?;
        let chains = tx.chains().await?;
        let mut errors = FieldErrors::new();
        let content = match form.input.parse(&self.policy.revitalisation) {
            Ok(c) => Some(c),
            Err(e) => {
                for f in &e.0 {
                    errors.add(f.field, f.message.clone());
                }
                None
            }
        };
        let (faculty, chain) = resolve_refs(form, &faculties, &chains, None, &mut errors);
        let Some(content) = content.filter(|_| errors.is_empty()) else {
            return Err(ServiceError::Invalid(errors));
        };
        if submit {
            content.check_complete().map_err(|e| ServiceError::Invalid(form_errors(&e)))?;
        }
        let now = self.now();
        let name = actor.name();
        let id = tx
            .insert_inventory_record(
                &NewInventoryRecord {
                    patent_id: patent,
                    org_id: org,
                    faculty_id: faculty,
                    content: &content,
                    chain_code: chain.as_deref(),
                    source: InventorySource::Form,
                    filed_by_user_id: actor.user.as_ref().map(|u| u.id),
                    filed_by_name: &name,
                },
                now,
            )
            .await?;
        tx.add_review_event(id, &event_for(actor, now, caps.first().copied(), ReviewState::Draft)).await?;
        let mut detail = content_detail(&content, faculty, chain.as_deref());
        detail["patent_id"] = json!(patent);
        tx.append_audit(&actor.audit(Action::InventoryCreate, "inventory_record", id, Outcome::Success, detail))
            .await?;
        if submit {
            self.submit_in(&mut tx, actor, id, &caps, true).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Saves an edit of a record and, when `submit`, sends it for review. The content is edited in draft
    /// only; the contact person may be corrected in every state. Returns the state afterwards.
    pub async fn update_inventory_record(
        &self,
        actor: &Actor,
        id: InventoryRecordId,
        form: &InventoryForm,
        submit: bool,
    ) -> Result<ReviewState> {
        let st = Standing::of(actor)?;
        let mut tx = self.db.begin().await?;
        let before = tx.inventory_record(id).await?.ok_or(ServiceError::NotFound)?;
        let is_linked = linked(&mut tx, &st, before.patent_id).await?;
        let caps = st.capacities(before.org_id, before.faculty_id, is_linked);
        if caps.is_empty() {
            return Err(if st.sees_all { ServiceError::Forbidden } else { ServiceError::NotFound });
        }
        let faculties = tx.faculties(before.org_id).await?;
        let chains = tx.chains().await?;
        let mut errors = FieldErrors::new();
        let content = match form.input.parse(&self.policy.revitalisation) {
            Ok(c) => Some(c),
            Err(e) => {
                for f in &e.0 {
                    errors.add(f.field, f.message.clone());
                }
                None
            }
        };
        let (faculty, chain) = resolve_refs(form, &faculties, &chains, before.chain_code.as_deref(), &mut errors);
        let Some(content) = content.filter(|_| errors.is_empty()) else {
            return Err(ServiceError::Invalid(errors));
        };
        let refs_differ = faculty != before.faculty_id || chain != before.chain_code;
        let action = if refs_differ { ReviewAction::Edit } else { before.content.edit_action(&content) };
        let changed = refs_differ || content != before.content;
        if changed {
            let route = route_of(&mut tx, before.faculty_id).await?;
            let t = match check_step(before.state, action, &caps, route, "") {
                Ok(t) => t,
                Err(e) => {
                    let message = e.to_string();
                    let entry = actor.audit(
                        Action::InventoryUpdate,
                        "inventory_record",
                        id,
                        Outcome::Denied,
                        json!({"state": before.state.code(), "error": message}),
                    );
                    return self.refuse(tx, entry, invalid("action", message)).await;
                }
            };
            if !st.cli && !actor.user.as_ref().is_some_and(|u| u.can(required_permission(action, t.actor))) {
                return Err(ServiceError::Forbidden);
            }
            let now = self.now();
            // Guarded by the state read above: the step was checked against it.
            tx.update_inventory_record(id, before.state, &content, faculty, chain.as_deref(), now).await?;
            // The edit keeps the state and the last reviewer's comment (the filer still needs it while editing).
            tx.add_review_event(
                id,
                &ReviewEvent {
                    action: Some(action),
                    from: Some(before.state),
                    ..event_for(actor, now, Some(t.actor), before.state)
                },
            )
            .await?;
            tx.append_audit(&actor.audit(
                Action::InventoryUpdate,
                "inventory_record",
                id,
                Outcome::Success,
                json!({"action": action.code(), "state": before.state.code(),
                       "before": content_detail(&before.content, before.faculty_id, before.chain_code.as_deref()),
                       "after": content_detail(&content, faculty, chain.as_deref())}),
            ))
            .await?;
        }
        let mut state = before.state;
        if submit {
            self.submit_in(&mut tx, actor, id, &caps, true).await?;
            state = ReviewState::Submitted;
        }
        tx.commit().await?;
        Ok(state)
    }

    /// One review step (submit, withdraw, approve, return, pool moves) with its comment. Refusals name the
    /// state, the step and who may take it, and are audited as denied. Returns the state afterwards.
    pub async fn inventory_step(
        &self,
        actor: &Actor,
        id: InventoryRecordId,
        action: ReviewAction,
        comment: &str,
    ) -> Result<ReviewState> {
        if matches!(action, ReviewAction::Edit | ReviewAction::EditContact) {
            return Err(invalid("action", "修改请使用修改表单"));
        }
        let st = Standing::of(actor)?;
        let mut tx = self.db.begin().await?;
        let rec = tx.inventory_record(id).await?.ok_or(ServiceError::NotFound)?;
        let is_linked = linked(&mut tx, &st, rec.patent_id).await?;
        let caps = st.capacities(rec.org_id, rec.faculty_id, is_linked);
        if caps.is_empty() {
            if st.sees_all {
                let entry = actor.audit(
                    action.audit_action(),
                    "inventory_record",
                    id,
                    Outcome::Denied,
                    json!({"reason": "read_only"}),
                );
                return self.refuse(tx, entry, ServiceError::Forbidden).await;
            }
            return Err(ServiceError::NotFound);
        }
        let route = route_of(&mut tx, rec.faculty_id).await?;
        let t = match check_step(rec.state, action, &caps, route, comment) {
            Ok(t) => t,
            Err(e) => {
                let entry = actor.audit(
                    action.audit_action(),
                    "inventory_record",
                    id,
                    Outcome::Denied,
                    json!({"state": rec.state.code(), "error": e.to_string()}),
                );
                let field = if matches!(
                    e,
                    revitalisation::ReviewError::CommentRequired(_) | revitalisation::ReviewError::CommentTooLong
                ) {
                    "comment"
                } else {
                    "action"
                };
                return self.refuse(tx, entry, invalid(field, e.to_string())).await;
            }
        };
        if !st.cli && !actor.user.as_ref().is_some_and(|u| u.can(required_permission(action, t.actor))) {
            return Err(ServiceError::Forbidden);
        }
        if action == ReviewAction::Submit
            && let Err(e) = rec.content.check_complete()
        {
            return Err(invalid("action", format!("内容不完整，不能提交审核：{e}")));
        }
        self.apply_step(&mut tx, actor, &rec, &t, route, true).await?;
        tx.commit().await?;
        Ok(t.to)
    }

    /// Inventor accounts of `org` that may be linked to its patents (its institution's admin).
    pub async fn inventor_choices(&self, actor: &Actor, org: OrgId) -> Result<Vec<User>> {
        let st = Standing::of(actor)?;
        if !st.links_for(Some(org)) {
            return Err(ServiceError::Forbidden);
        }
        let mut tx = self.db.read().await?;
        accounts_with(&mut tx, org, Role::Inventor, None).await
    }

    /// Links an inventor account of the patent's institution to the patent (its institution's admin), so the
    /// inventor may fill in its record. `inventor_name` is the name as the patent writes it. Audited.
    pub async fn link_inventor(
        &self,
        actor: &Actor,
        patent: PatentId,
        user: UserId,
        inventor_name: &str,
    ) -> Result<bool> {
        let st = Standing::of(actor)?;
        let mut tx = self.db.begin().await?;
        let scope = tx.patent_scope(patent).await?.ok_or(ServiceError::NotFound)?;
        let org = scope.owner_org_id.filter(|_| scope.owner_is_institution);
        if !st.links_for(org) {
            return Err(if st.sees_all { ServiceError::Forbidden } else { ServiceError::NotFound });
        }
        let account = tx.user(user).await?;
        let Some(account) = account.filter(|u| Some(u.org_id) == org && u.roles.contains(&Role::Inventor)) else {
            return Err(invalid("user_id", "请选择本单位持有“发明人”角色的账号"));
        };
        let name = if inventor_name.trim().is_empty() {
            account.display_name.clone()
        } else {
            inventor_name.trim().to_owned()
        };
        if name.chars().count() > 50 {
            return Err(invalid("inventor_name", "发明人姓名不能超过50个字符"));
        }
        let added = tx.link_inventor(patent, user, &name, &actor.name(), self.now()).await?;
        if added {
            tx.append_audit(&actor.audit(
                Action::InventorLink,
                "patent",
                patent,
                Outcome::Success,
                json!({"user_id": user, "username": account.username, "inventor_name": name}),
            ))
            .await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Removes an inventor account's link to a patent (its institution's admin). Audited.
    pub async fn unlink_inventor(&self, actor: &Actor, patent: PatentId, user: UserId) -> Result<bool> {
        let st = Standing::of(actor)?;
        let mut tx = self.db.begin().await?;
        let scope = tx.patent_scope(patent).await?.ok_or(ServiceError::NotFound)?;
        if !st.links_for(scope.owner_org_id.filter(|_| scope.owner_is_institution)) {
            return Err(if st.sees_all { ServiceError::Forbidden } else { ServiceError::NotFound });
        }
        let removed = tx.unlink_inventor(patent, user).await?;
        if removed {
            tx.append_audit(&actor.audit(
                Action::InventorUnlink,
                "patent",
                patent,
                Outcome::Success,
                json!({"user_id": user}),
            ))
            .await?;
        }
        tx.commit().await?;
        Ok(removed)
    }

    /// The record list as the account sees it, filtered, as xlsx (audited).
    pub async fn export_inventory(&self, actor: &Actor, q: &InventoryQuery) -> Result<Vec<u8>> {
        let q = InventoryQuery { limit: LIST_EXPORT_LIMIT, offset: 0, ..q.clone() };
        let page = self.inventory_list(actor, &q).await?;
        let rules = &self.policy.revitalisation;
        let chains = self.chains().await?;
        let mut t = Table::new(
            "盘点记录",
            &[
                "申请号",
                "专利名称",
                "单位",
                "所属院系",
                "状态",
                "转化意愿",
                "是否已实施",
                "转化前景自评",
                "技术成熟度",
                "解决的问题",
                "技术优势",
                "应用领域",
                "转化路径",
                "预期价格",
                "联系人",
                "联系电话",
                "所属产业链",
                "来源",
                "填报人",
                "最近意见",
                "提交时间",
                "状态变更时间",
            ],
        );
        let time = |t: Option<DateTime<Utc>>| t.map(|t| china_time(t).format("%Y-%m-%d %H:%M").to_string());
        for r in &page.records {
            let c = &r.content;
            t.push(vec![
                Cell::from(r.application_no.as_str()),
                Cell::from(r.patent_title.as_str()),
                Cell::from(r.org_name.as_str()),
                Cell::from(r.faculty_name.as_deref()),
                Cell::from(r.state.label()),
                Cell::from(c.transfer_intent.map(|i| i.label())),
                Cell::from(if c.already_implemented { "是" } else { "否" }),
                Cell::from(c.prospect.map(|p| p.label(rules))),
                Cell::from(c.brief.maturity.map(|m| m.to_string())),
                Cell::from(c.brief.problem_solved.as_str()),
                Cell::from(c.brief.advantage.as_str()),
                Cell::from(c.brief.application_fields.as_str()),
                Cell::from(c.brief.route_to_market.as_str()),
                Cell::from(c.price.to_string()),
                Cell::from(c.contact.name.as_str()),
                Cell::from(c.contact.phone.as_ref().map(|p| p.as_str().to_owned())),
                Cell::from(r.chain_code.as_deref().map(|code| {
                    chains.iter().find(|x| x.code == code).map_or_else(|| code.to_owned(), |x| x.name.clone())
                })),
                Cell::from(r.source.label()),
                Cell::from(r.filed_by_name.as_str()),
                Cell::from(r.last_comment.as_str()),
                Cell::from(time(r.submitted_at)),
                Cell::from(time(Some(r.state_changed_at))),
            ]);
        }
        self.finish_export(actor, "inventory_records", "", &t).await
    }

    /// The import template, with the policy's prospect grades in its notes.
    pub fn inventory_template(&self) -> Result<Vec<u8>> {
        let grades: Vec<String> = {
            let mut g: Vec<_> = self.policy.revitalisation.prospect_grades.iter().collect();
            g.sort_by_key(|g| std::cmp::Reverse(g.level));
            g.iter().map(|g| format!("{}（等级{}）：{}", g.name, g.level, g.meaning)).collect()
        };
        ipbridge_ingest::inventory_template_xlsx(&grades).map_err(|e| ServiceError::Internal(e.to_string()))
    }

    /// Imports an institution's records from the template (its admin). Each row creates the patent's record,
    /// updates its draft, finds it unchanged, or is rejected with its reason (the rejected rows come back as an
    /// xlsx with 错误原因). When `submit`, complete rows are sent for review at once and incomplete ones are
    /// rejected naming what is missing; otherwise every row is saved as a draft. A record already submitted
    /// or further is never changed by an import.
    pub async fn import_inventory(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: Vec<u8>,
        format: Option<Format>,
        submit: bool,
    ) -> Result<InventoryImportReport> {
        let st = Standing::of(actor)?;
        if !st.cli {
            actor.require(Permission::FileInventory)?;
        }
        // Only an institution's admin imports: the rows are that institution's patents.
        let Some(own) = st.admin_of else {
            return Err(ServiceError::Forbidden);
        };
        let file_hash = hex::encode(Sm3::digest(&bytes));
        let name = file_name.to_owned();
        let table = tokio::task::spawn_blocking(move || read_table(&name, &bytes, format))
            .await
            .map_err(|e| ServiceError::Internal(format!("read task: {e}")))?
            .map_err(|e| invalid("file", e.to_string()))?;
        let columns = InventoryColumns::from_headers(&table.headers).map_err(|e| invalid("file", e.to_string()))?;
        if table.rows.len() > INVENTORY_IMPORT_MAX_ROWS {
            return Err(invalid(
                "file",
                format!(
                    "一次最多导入{INVENTORY_IMPORT_MAX_ROWS}条盘点记录，本文件有{}行，请分成几个文件",
                    table.rows.len()
                ),
            ));
        }
        let rules = self.policy.revitalisation.clone();
        let now = self.now();
        let actor_name = actor.name();
        let mut report = InventoryImportReport { total: table.rows.len() as u64, submit, ..Default::default() };
        let mut rejected: Vec<(RawRow, String)> = Vec::new();
        let mut tx = self.db.begin().await?;
        let faculties = tx.faculties(own).await?;
        let chains = tx.chains().await?;
        let mut seen: HashMap<String, usize> = HashMap::new();
        // Submitted records per reviewing faculty (none: the institution), told once per import.
        let mut waiting: HashMap<(ReviewRoute, Option<FacultyId>), u64> = HashMap::new();
        for row in &table.rows {
            let cells = match map_inventory_row(&columns, &table.headers, row) {
                Ok(c) => c,
                Err(errors) => {
                    rejected.push((row.clone(), format_reason(&errors)));
                    continue;
                }
            };
            let outcome = self
                .import_row(
                    &mut tx, actor, &st, own, &cells, row.number, &mut seen, &faculties, &chains, &rules, submit,
                    file_name,
                )
                .await?;
            match outcome {
                RowOutcome::Rejected(reason) => rejected.push((row.clone(), reason)),
                RowOutcome::Done { created, changed, submitted } => {
                    if created {
                        report.created += 1;
                    } else if changed {
                        report.updated += 1;
                    } else {
                        report.unchanged += 1;
                    }
                    if let Some(key) = submitted {
                        report.submitted += 1;
                        *waiting.entry(key).or_default() += 1;
                    }
                }
            }
        }
        report.rejected = rejected.len() as u64;
        tx.append_audit(&actor.audit(
            Action::InventoryImport,
            "inventory_import",
            &file_hash,
            Outcome::Success,
            json!({"file": file_name, "total": report.total, "created": report.created, "updated": report.updated,
                   "unchanged": report.unchanged, "rejected": report.rejected, "submitted": report.submitted, "org_id": own}),
        ))
        .await?;
        let me = actor.user.as_ref().map(|u| u.id);
        for ((route, faculty), n) in waiting {
            let users = match (route, faculty) {
                (ReviewRoute::ThroughFaculty, Some(f)) => {
                    accounts_with(&mut tx, own, Role::FacultyReviewer, Some(f)).await?
                }
                _ => accounts_with(&mut tx, own, Role::InstitutionAdmin, None).await?,
            };
            let ids: Vec<UserId> = users.into_iter().map(|u| u.id).collect();
            let notice = Notice {
                kind: NotificationKind::InventorySubmitted,
                title: format!("导入的{n}条盘点记录待审核"),
                body: format!("{actor_name}从“{file_name}”导入并提交了{n}条盘点记录，请审核。"),
                link: "/inventory?view=review".to_owned(),
            };
            notify_users(&mut tx, own, &ids, me, &notice, now).await?;
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

    /// One imported row: the patent, the content, the faculty and the chain checked, then the record created
    /// or its draft updated (and submitted when asked), with its history row and audit record.
    #[allow(clippy::too_many_arguments)]
    async fn import_row(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        st: &Standing,
        own: OrgId,
        cells: &InventoryRow,
        row_number: usize,
        seen: &mut HashMap<String, usize>,
        faculties: &[Faculty],
        chains: &[StoredChain],
        rules: &ipbridge_domain::policy::RevitalisationRules,
        submit: bool,
        file_name: &str,
    ) -> Result<RowOutcome> {
        let mut reasons: Vec<String> = Vec::new();
        let col = |f: InventoryField| cells.column(f);
        let number = cells.get(InventoryField::ApplicationNo);
        let no = match ApplicationNo::parse(number) {
            Ok(n) => n,
            Err(e) => {
                let message = if number.is_empty() { "请填写申请号".to_owned() } else { e.to_string() };
                return Ok(RowOutcome::Rejected(format!("【{}】{message}", col(InventoryField::ApplicationNo))));
            }
        };
        if let Some(first) = seen.get(no.as_str()) {
            return Ok(RowOutcome::Rejected(format!(
                "【{}】与第{first}行是同一件专利，每件专利只填一行",
                col(InventoryField::ApplicationNo)
            )));
        }
        seen.insert(no.as_str().to_owned(), row_number);
        let existing = tx.existing_patents(&[no.as_str().to_owned()]).await?;
        let Some(patent) = existing.get(no.as_str()).map(|p| p.id) else {
            return Ok(RowOutcome::Rejected(format!(
                "【{}】平台上没有申请号为{}的专利，请先在“数据导入”中导入专利",
                col(InventoryField::ApplicationNo),
                no.as_str()
            )));
        };
        let scope = tx.patent_scope(patent).await?.ok_or(ServiceError::NotFound)?;
        if scope.owner_org_id != Some(own) || !scope.owner_is_institution {
            return Ok(RowOutcome::Rejected(format!(
                "【{}】{}不是本单位的专利（以第一权利人为准），不能由本单位填报",
                col(InventoryField::ApplicationNo),
                no.as_str()
            )));
        }
        if let Some(problem) = scope_problem(&scope) {
            return Ok(RowOutcome::Rejected(format!("【{}】{problem}", col(InventoryField::ApplicationNo))));
        }
        let input = InventoryInput {
            transfer_intent: cells.get(InventoryField::TransferIntent).to_owned(),
            already_implemented: cells.get(InventoryField::AlreadyImplemented).to_owned(),
            prospect_grade: cells.get(InventoryField::ProspectGrade).to_owned(),
            maturity: cells.get(InventoryField::Maturity).to_owned(),
            problem_solved: cells.get(InventoryField::ProblemSolved).to_owned(),
            advantage: cells.get(InventoryField::Advantage).to_owned(),
            application_fields: cells.get(InventoryField::ApplicationFields).to_owned(),
            route_to_market: cells.get(InventoryField::RouteToMarket).to_owned(),
            price_min: cells.get(InventoryField::PriceMin).to_owned(),
            price_max: cells.get(InventoryField::PriceMax).to_owned(),
            contact_name: cells.get(InventoryField::ContactName).to_owned(),
            contact_phone: cells.get(InventoryField::ContactPhone).to_owned(),
        };
        let column_of = |code: &str| -> String {
            InventoryField::TEMPLATE.iter().find(|f| f.code() == code).map_or_else(|| code.to_owned(), |f| col(*f))
        };
        let content = match input.parse(rules) {
            Ok(c) => Some(c),
            Err(e) => {
                reasons.extend(e.0.iter().map(|f| format!("【{}】{}", column_of(f.field), f.message)));
                None
            }
        };
        let record = tx.inventory_record_for_patent(patent).await?;
        // A blank cell takes what the form preselects: an existing draft keeps its faculty (NULL included — the
        // institution reviews it alone), a new record takes the faculty of the first linked inventor account
        // (the scope's faculty of an unrecorded patent). “不指定” says none explicitly, as the form's option does.
        let faculty = match cells.get(InventoryField::Faculty) {
            "" => match &record {
                Some(r) => r.faculty_id,
                None => scope.faculty_id,
            },
            name => match faculties.iter().find(|f| normalise_name(&f.name) == normalise_name(name)) {
                Some(f) => Some(f.id),
                // After the names, so that a faculty really called so is still found.
                None if is_no_faculty(name) => None,
                None => {
                    let known: Vec<&str> = faculties.iter().map(|f| f.name.as_str()).collect();
                    reasons.push(format!(
                        "【{}】本单位没有名为“{name}”的院系{}",
                        col(InventoryField::Faculty),
                        if known.is_empty() {
                            "（本单位未登记院系，请留空）".to_owned()
                        } else {
                            format!("，应为：{}", known.join("、"))
                        }
                    ));
                    None
                }
            },
        };
        let chain = match cells.get(InventoryField::Chain) {
            "" => None,
            text => match find_chain(chains, text) {
                Some(c)
                    if c.active || record.as_ref().and_then(|r| r.chain_code.as_deref()) == Some(c.code.as_str()) =>
                {
                    Some(c.code.clone())
                }
                _ => {
                    reasons.push(format!("【{}】没有名为“{text}”的重点产业链", col(InventoryField::Chain)));
                    None
                }
            },
        };
        if let Some(r) = &record
            && r.state != ReviewState::Draft
        {
            reasons.push(format!(
                "【{}】该专利的盘点记录当前为“{}”，不能通过导入修改；如需修改，请先撤回或由审核人退回",
                col(InventoryField::ApplicationNo),
                r.state.label()
            ));
        }
        let content = match content {
            Some(c) if reasons.is_empty() => c,
            _ => return Ok(RowOutcome::Rejected(reasons.join("；"))),
        };
        if submit && let Err(e) = content.check_complete() {
            let missing: Vec<String> = e.0.iter().map(|f| format!("【{}】{}", column_of(f.field), f.message)).collect();
            return Ok(RowOutcome::Rejected(missing.join("；")));
        }
        let now = self.now();
        let cap = if st.admin_of == Some(own) { Some(ReviewActor::InstitutionAdmin) } else { None };
        let note = format!("从“{file_name}”第{row_number}行导入");
        let (id, created, changed) = match record {
            None => {
                let name = actor.name();
                let id = tx
                    .insert_inventory_record(
                        &NewInventoryRecord {
                            patent_id: patent,
                            org_id: own,
                            faculty_id: faculty,
                            content: &content,
                            chain_code: chain.as_deref(),
                            source: InventorySource::Import,
                            filed_by_user_id: actor.user.as_ref().map(|u| u.id),
                            filed_by_name: &name,
                        },
                        now,
                    )
                    .await?;
                tx.add_review_event(
                    id,
                    &ReviewEvent { comment: note.clone(), ..event_for(actor, now, cap, ReviewState::Draft) },
                )
                .await?;
                (id, true, true)
            }
            Some(r) => {
                let changed = r.content != content || r.faculty_id != faculty || r.chain_code != chain;
                if changed {
                    tx.update_inventory_record(r.id, r.state, &content, faculty, chain.as_deref(), now).await?;
                    tx.add_review_event(
                        r.id,
                        &ReviewEvent {
                            action: Some(ReviewAction::Edit),
                            from: Some(ReviewState::Draft),
                            comment: note.clone(),
                            ..event_for(actor, now, cap, ReviewState::Draft)
                        },
                    )
                    .await?;
                }
                (r.id, false, changed)
            }
        };
        if changed {
            let mut detail = content_detail(&content, faculty, chain.as_deref());
            detail["patent_id"] = json!(patent);
            detail["file"] = json!(file_name);
            detail["row"] = json!(row_number);
            detail["created"] = json!(created);
            tx.append_audit(&actor.audit(Action::InventoryImport, "inventory_record", id, Outcome::Success, detail))
                .await?;
        }
        let mut submitted = None;
        if submit {
            let caps: Vec<ReviewActor> = cap.into_iter().collect();
            self.submit_in(tx, actor, id, &caps, false).await?;
            submitted = Some((route_of(tx, faculty).await?, faculty));
        }
        Ok(RowOutcome::Done { created, changed, submitted })
    }

    /// The home page card of an inventor, reviewer or institution admin: what waits for them, and their
    /// coverage. None for accounts that take no part in the inventory, and for the bureau (whose figures are
    /// on the coverage page).
    pub async fn inventory_home(&self, actor: &Actor) -> Result<Option<InventoryHome>> {
        let Ok(st) = Standing::of(actor) else {
            return Ok(None);
        };
        if st.cli || st.sees_all || (st.admin_of.is_none() && st.reviewer_of.is_none() && st.inventor.is_none()) {
            return Ok(None);
        }
        let (org, faculty, inventor_user) = st.narrow(None, FacultyScope::Any);
        let mut card = InventoryHome::default();
        let files = actor.user.as_ref().is_some_and(|u| u.can(Permission::FileInventory));
        let mut tx = self.db.read().await?;
        if files {
            let filter = ipbridge_store::UnrecordedFilter { org, faculty, inventor_user, limit: 0, offset: 0 };
            card.to_fill = Some(tx.count_unrecorded_patents(&filter).await?);
            // Counted in SQL: the home page is every visit, and an institution may hold thousands of drafts.
            let returned =
                InventoryFilter { org, faculty, inventor_user, returned_only: true, ..InventoryFilter::default() };
            card.returned = tx.count_inventory_records(&returned).await?;
        }
        drop(tx);
        if st.admin_of.is_some() || st.reviewer_of.is_some() {
            let q = InventoryQuery { view: InventoryView::Review, limit: 1, ..InventoryQuery::default() };
            card.to_review = Some(self.inventory_list(actor, &q).await?.total);
        }
        let mut tx = self.db.read().await?;
        card.coverage = if let Some(own) = st.admin_of {
            tx.coverage_by_institution(Some(own)).await?.first().map(|c| c.counts.coverage_text())
        } else if let Some((own, f)) = st.reviewer_of {
            tx.coverage_by_faculty(own)
                .await?
                .iter()
                .find(|c| c.faculty_id == Some(f))
                .map(|c| c.counts.coverage_text())
        } else {
            None
        };
        Ok(Some(card))
    }
}

/// What became of one imported row.
enum RowOutcome {
    /// Refused, with the reason naming the columns.
    Rejected(String),
    /// Written (or found unchanged); `submitted` carries the route and faculty when it was sent for review.
    Done { created: bool, changed: bool, submitted: Option<(ReviewRoute, Option<FacultyId>)> },
}
