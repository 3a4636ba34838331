//! Roadshows (路演), registrations and one-on-one follow-up projects (一对一跟踪服务).
//!
//! Who does what (`docs/revitalisation.md`):
//! - the bureau ([`Permission::ManageRoadshows`]) plans roadshows, chooses the pool patents presented, marks
//!   them held or cancelled, reads and exports the registrations and records attendance;
//! - every logged-in account sees the roadshows and the patents presented;
//! - an enterprise ([`Permission::RegisterRoadshows`]) registers once per roadshow while registration is open,
//!   naming the presented patents it is interested in, and may cancel its registration;
//! - [`Permission::RecordFollowUps`] opens follow-up projects (one patent × one enterprise, after a roadshow
//!   or from a match record) and keeps their logs: the bureau for every patent, an institution admin for its
//!   own patents; [`Permission::ViewAllInventory`] reads every project; an enterprise reads the projects it is
//!   part of. Another organisation's project is reported as not found.
//!
//! Every change writes its audit record in the same transaction; registered enterprises hear of changes that
//! concern them (a new date or place, the roadshow held or cancelled).

use chrono::NaiveDate;
use ipbridge_domain::Permission;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::ids::{FollowUpProjectId, MatchId, OrgId, PatentId, RegistrationId, RoadshowId};
use ipbridge_domain::notification::NotificationKind;
use ipbridge_domain::org::OrgKind;
use ipbridge_domain::patent::parse_date;
use ipbridge_domain::revitalisation::{
    FollowUpEntry, FollowUpOutcome, ProjectState, RegistrationFields, RoadshowError, RoadshowFields, RoadshowMode,
    RoadshowStatus,
};
use ipbridge_ingest::{Cell, Table};
use ipbridge_store::{
    AuditStore, ChainStore, MatchStore, NewFollowUpProject, OrgStore, PatentStore, PoolFilter, PoolStore, RecordedBy,
    RoadshowStore, Tx,
};
/// The stored shapes pages show and the filters they pass.
pub use ipbridge_store::{
    FollowUp, FollowUpProject, PoolEntry, ProjectFilter, Registration, Roadshow, RoadshowFilter, RoadshowPatent,
};
use serde_json::json;

use crate::auth::china_time;
use crate::error::invalid;
use crate::notifications::{Notice, notify_orgs};
use crate::{Actor, App, FieldErrors, Result, ServiceError};

/// Most pool patents offered when choosing a roadshow's patents (a roadshow presents a handful).
pub const POOL_CHOICES_LIMIT: u32 = 500;
/// Most patents one roadshow presents.
pub const MAX_ROADSHOW_PATENTS: usize = 50;

/// The domain's field errors as the service's (field → messages), for forms.
pub(crate) fn field_errors(into: &mut FieldErrors, from: ipbridge_domain::revitalisation::FieldErrors) {
    for e in from.0 {
        into.add(e.field, e.message);
    }
}

/// Parses a date field; "" is none.
pub(crate) fn date_field(errors: &mut FieldErrors, field: &'static str, text: &str) -> Option<NaiveDate> {
    match parse_date(text) {
        Ok(d) => d,
        Err(e) => {
            errors.add(field, e.to_string());
            None
        }
    }
}

fn roadshow_link(id: RoadshowId) -> String {
    format!("/roadshows/{id}")
}

/// A roadshow form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoadshowForm {
    /// 活动名称.
    pub title: String,
    /// 举办日期 (2026-05-20).
    pub held_on: String,
    /// `onsite` or `online`.
    pub mode: String,
    /// 举办地点.
    pub venue: String,
    /// 线上链接或平台.
    pub online_link: String,
    /// Chain code; "" for none.
    pub chain_code: String,
    /// 活动介绍.
    pub description: String,
    /// 报名截止日期; "" for the event day.
    pub registration_deadline: String,
    /// The pool patents presented, in order.
    pub patents: Vec<PatentId>,
}

impl RoadshowForm {
    /// The form pre-filled from a stored roadshow (the edit page).
    pub fn from_roadshow(r: &Roadshow, patents: &[RoadshowPatent]) -> Self {
        let f = &r.fields;
        Self {
            title: f.title.clone(),
            held_on: f.held_on.to_string(),
            mode: f.mode.code().to_owned(),
            venue: f.venue.clone(),
            online_link: f.online_link.clone(),
            chain_code: f.chain_code.clone().unwrap_or_default(),
            description: f.description.clone(),
            registration_deadline: f.registration_deadline.map(|d| d.to_string()).unwrap_or_default(),
            patents: patents.iter().map(|p| p.patent_id).collect(),
        }
    }
}

/// A registration form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistrationForm {
    /// 联系人.
    pub contact_name: String,
    /// 联系电话.
    pub contact_phone: String,
    /// 参加人数.
    pub attendees: String,
    /// 备注.
    pub note: String,
    /// The presented patents the enterprise wants to hear about.
    pub interests: Vec<PatentId>,
}

/// One roadshow as the actor may see it, with what the actor may do.
#[derive(Debug, Clone)]
pub struct RoadshowView {
    /// The roadshow.
    pub roadshow: Roadshow,
    /// The patents presented, in order.
    pub patents: Vec<RoadshowPatent>,
    /// Every registration (the bureau and its overseers only).
    pub registrations: Option<Vec<Registration>>,
    /// The actor's enterprise's live registration.
    pub own_registration: Option<Registration>,
    /// Whether enterprises may register today.
    pub registration_open: bool,
    /// The actor may edit it and change its status.
    pub may_manage: bool,
    /// The actor's enterprise may register now.
    pub may_register: bool,
    /// The actor may open follow-up projects from it (held, and [`Permission::RecordFollowUps`]).
    pub may_follow_up: bool,
    /// The follow-up projects from it the actor may see.
    pub projects: Vec<FollowUpProject>,
}

/// A request to open a follow-up project: from a match record, or a presented patent and an enterprise
/// after a roadshow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewProject {
    /// From a match record (its patent and enterprise).
    Match(MatchId),
    /// After a held roadshow: one of its patents and an enterprise.
    Roadshow {
        /// The roadshow.
        roadshow: RoadshowId,
        /// A patent it presented.
        patent: PatentId,
        /// The enterprise.
        enterprise: OrgId,
    },
}

/// A follow-up log entry as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowUpForm {
    /// 跟进日期.
    pub happened_on: String,
    /// 对接人.
    pub contact: String,
    /// 跟进内容.
    pub content: String,
    /// 下一步计划.
    pub next_step: String,
    /// 计划日期.
    pub next_on: String,
    /// `continuing` or `closed` (a deal is recorded through the deal form).
    pub outcome: String,
    /// 终止原因.
    pub close_reason: String,
}

/// One follow-up project as the actor may see it.
#[derive(Debug, Clone)]
pub struct ProjectView {
    /// The project.
    pub project: FollowUpProject,
    /// Its log, oldest first.
    pub entries: Vec<FollowUp>,
    /// The actor may add entries and end it in a deal.
    pub may_record: bool,
}

/// Which follow-up projects an account sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProjectScope {
    /// Every project (the bureau, its overseers, the command line).
    All,
    /// Projects on the institution's patents.
    Holder(OrgId),
    /// Projects with the enterprise (read only).
    Enterprise(OrgId),
}

pub(crate) fn project_scope(actor: &Actor) -> Option<ProjectScope> {
    if actor.is_cli() {
        return Some(ProjectScope::All);
    }
    let user = actor.user.as_ref()?;
    if user.can(Permission::ViewAllInventory)
        || (user.can(Permission::RecordFollowUps) && user.org_kind == OrgKind::Bureau)
    {
        Some(ProjectScope::All)
    } else if user.can(Permission::RecordFollowUps) {
        Some(ProjectScope::Holder(user.org_id))
    } else if user.org_kind == OrgKind::Enterprise
        && (user.can(Permission::HandleMatches) || user.can(Permission::RegisterRoadshows))
    {
        Some(ProjectScope::Enterprise(user.org_id))
    } else {
        None
    }
}

fn project_visible(scope: ProjectScope, p: &FollowUpProject) -> bool {
    match scope {
        ProjectScope::All => true,
        ProjectScope::Holder(o) => p.holder_org_id == Some(o),
        ProjectScope::Enterprise(o) => p.enterprise_org_id == o,
    }
}

/// Whether the actor keeps the log of this project: [`Permission::RecordFollowUps`] for every patent (the
/// bureau) or the institution's own.
pub(crate) fn may_record_project(actor: &Actor, p: &FollowUpProject) -> bool {
    if actor.is_cli() {
        return true;
    }
    let Some(user) = actor.user.as_ref() else { return false };
    user.can(Permission::RecordFollowUps) && (user.org_kind == OrgKind::Bureau || p.holder_org_id == Some(user.org_id))
}

fn may_manage_roadshows(actor: &Actor) -> bool {
    actor.authorise(Permission::ManageRoadshows).is_ok()
}

fn sees_registrations(actor: &Actor) -> bool {
    may_manage_roadshows(actor) || actor.authorise(Permission::ViewAllInventory).is_ok()
}

fn place_of(f: &RoadshowFields) -> String {
    match f.mode {
        RoadshowMode::Onsite => f.venue.clone(),
        RoadshowMode::Online => format!("线上：{}", f.online_link),
    }
}

fn roadshow_detail(f: &RoadshowFields, patents: &[PatentId]) -> serde_json::Value {
    json!({
        "title": f.title, "held_on": f.held_on, "mode": f.mode.code(), "venue": f.venue,
        "online_link": f.online_link, "chain_code": f.chain_code,
        "registration_deadline": f.registration_deadline, "patents": patents,
    })
}

impl App {
    /// Checks a roadshow form: its fields, its chain, and that its patents are in the transferable pool (a
    /// patent already presented may stay although it has left the pool since).
    async fn parse_roadshow_form(
        &self,
        tx: &mut Tx,
        form: &RoadshowForm,
        before: Option<&[PatentId]>,
    ) -> Result<(RoadshowFields, Vec<PatentId>)> {
        let mut errors = FieldErrors::new();
        let held_on = date_field(&mut errors, "held_on", &form.held_on);
        if held_on.is_none() && !errors.0.contains_key("held_on") {
            errors.add("held_on", "请填写举办日期");
        }
        let deadline = date_field(&mut errors, "registration_deadline", &form.registration_deadline);
        let mode = match form.mode.parse::<RoadshowMode>() {
            Ok(m) => Some(m),
            Err(_) => {
                errors.add("mode", "请选择举办方式（现场或线上）");
                None
            }
        };
        let chain_code = Some(form.chain_code.trim().to_owned()).filter(|c| !c.is_empty());
        if let Some(code) = &chain_code {
            let chains = tx.chains().await?;
            if !chains.iter().any(|c| &c.code == code) {
                errors.add("chain_code", format!("没有代码为“{code}”的重点产业链"));
            }
        }
        let mut patents: Vec<PatentId> = Vec::new();
        for p in &form.patents {
            if patents.contains(p) {
                continue;
            }
            let kept = before.is_some_and(|b| b.contains(p));
            if !kept && tx.pool_entry(*p).await?.is_none() {
                errors.add("patents", format!("所选专利（编号{p}）不在可转化专利资源库中"));
                continue;
            }
            patents.push(*p);
        }
        if patents.len() > MAX_ROADSHOW_PATENTS {
            errors.add("patents", format!("一场路演最多推介{MAX_ROADSHOW_PATENTS}件专利"));
        }
        let Some(mode) = mode else {
            return Err(ServiceError::Invalid(errors));
        };
        // Without a date the other fields are still checked (against a date no deadline is after), so that
        // every problem of the form is reported at once.
        let fields = RoadshowFields {
            title: form.title.clone(),
            held_on: held_on.unwrap_or(NaiveDate::MAX),
            mode,
            venue: if mode == RoadshowMode::Onsite { form.venue.clone() } else { String::new() },
            online_link: if mode == RoadshowMode::Online { form.online_link.clone() } else { String::new() },
            chain_code,
            description: form.description.clone(),
            registration_deadline: deadline,
        };
        match fields.check() {
            Ok(f) if errors.is_empty() => Ok((f, patents)),
            Ok(_) => Err(ServiceError::Invalid(errors)),
            Err(e) => {
                field_errors(&mut errors, e);
                Err(ServiceError::Invalid(errors))
            }
        }
    }

    /// Pool patents a roadshow may present (the bureau), optionally of one chain, plus those it presents.
    pub async fn roadshow_pool_choices(&self, actor: &Actor, chain: Option<&str>) -> Result<Vec<PoolEntry>> {
        actor.authorise(Permission::ManageRoadshows)?;
        let mut tx = self.db.read().await?;
        let chain = match chain.map(str::trim).filter(|c| !c.is_empty()) {
            Some(code) => tx
                .chains()
                .await?
                .into_iter()
                .find(|c| c.code == code)
                .map(|c| ipbridge_store::ChainSelector { code: c.code, ipc_prefixes: c.ipc_prefixes }),
            None => None,
        };
        let filter = PoolFilter { chain, limit: POOL_CHOICES_LIMIT, ..PoolFilter::default() };
        Ok(tx.list_pool(&filter).await?)
    }

    /// Plans a roadshow (the bureau). Returns its id.
    pub async fn create_roadshow(&self, actor: &Actor, form: &RoadshowForm) -> Result<RoadshowId> {
        let user = actor.authorise(Permission::ManageRoadshows)?;
        let mut tx = self.db.begin().await?;
        let (fields, patents) = self.parse_roadshow_form(&mut tx, form, None).await?;
        let now = self.now();
        let id = tx.insert_roadshow(&fields, user.map(|u| u.id), &actor.name(), now).await?;
        tx.set_roadshow_patents(id, &patents).await?;
        tx.append_audit(&actor.audit(
            Action::RoadshowCreate,
            "roadshow",
            id,
            Outcome::Success,
            roadshow_detail(&fields, &patents),
        ))
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Changes a planned roadshow (the bureau). Registered enterprises hear of a new date, place or deadline.
    pub async fn update_roadshow(&self, actor: &Actor, id: RoadshowId, form: &RoadshowForm) -> Result<()> {
        actor.authorise(Permission::ManageRoadshows)?;
        let mut tx = self.db.begin().await?;
        let before = tx.roadshow(id).await?.ok_or(ServiceError::NotFound)?;
        if before.status != RoadshowStatus::Planned {
            let message = format!("路演当前为“{}”，不能再修改", before.status.label());
            let entry = actor.audit(
                Action::RoadshowUpdate,
                "roadshow",
                id,
                Outcome::Denied,
                json!({"status": before.status.code(), "error": message}),
            );
            return self.refuse(tx, entry, invalid("status", message)).await;
        }
        let before_patents: Vec<PatentId> = tx.roadshow_patents(id).await?.iter().map(|p| p.patent_id).collect();
        let (fields, patents) = self.parse_roadshow_form(&mut tx, form, Some(&before_patents)).await?;
        if fields == before.fields && patents == before_patents {
            return Ok(());
        }
        let now = self.now();
        tx.update_roadshow(id, &fields, now).await?;
        tx.set_roadshow_patents(id, &patents).await?;
        tx.append_audit(&actor.audit(
            Action::RoadshowUpdate,
            "roadshow",
            id,
            Outcome::Success,
            json!({"before": roadshow_detail(&before.fields, &before_patents),
                   "after": roadshow_detail(&fields, &patents)}),
        ))
        .await?;
        let b = &before.fields;
        let moved = b.held_on != fields.held_on
            || b.mode != fields.mode
            || b.venue != fields.venue
            || b.online_link != fields.online_link
            || b.registration_deadline != fields.registration_deadline;
        if moved {
            let notice = Notice {
                kind: NotificationKind::Roadshow,
                title: format!("路演活动有变更：{}", fields.title),
                body: format!(
                    "您报名的路演“{}”调整为：{}，{}。请按新的安排参加。",
                    fields.title,
                    fields.held_on,
                    place_of(&fields)
                ),
                link: roadshow_link(id),
            };
            self.notify_registered(&mut tx, actor, id, &notice).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn notify_registered(&self, tx: &mut Tx, actor: &Actor, id: RoadshowId, notice: &Notice) -> Result<()> {
        let to: Vec<Option<OrgId>> = tx
            .registrations(id)
            .await?
            .into_iter()
            .filter(|g| g.cancelled_at.is_none())
            .map(|g| Some(g.enterprise_org_id))
            .collect();
        notify_orgs(tx, &to, actor.user.as_ref().map(|u| u.org_id), notice, self.now()).await
    }

    /// Marks a planned roadshow held or cancelled (the bureau); registered enterprises are told. A roadshow is
    /// marked held on or after its day only.
    pub async fn set_roadshow_status(&self, actor: &Actor, id: RoadshowId, to: RoadshowStatus) -> Result<()> {
        actor.authorise(Permission::ManageRoadshows)?;
        let mut tx = self.db.begin().await?;
        let r = tx.roadshow(id).await?.ok_or(ServiceError::NotFound)?;
        let today = self.china_today();
        let refused = match r.status.after(to) {
            Err(e) => Some(e.to_string()),
            Ok(RoadshowStatus::Held) if r.fields.held_on > today => {
                Some(format!("路演定于{}举办，举办当天或之后才能标记为已举办", r.fields.held_on))
            }
            Ok(_) => None,
        };
        if let Some(message) = refused {
            let entry = actor.audit(
                Action::RoadshowStatus,
                "roadshow",
                id,
                Outcome::Denied,
                json!({"from": r.status.code(), "to": to.code(), "error": message}),
            );
            return self.refuse(tx, entry, invalid("status", message)).await;
        }
        let now = self.now();
        tx.set_roadshow_status(id, r.status, to, now).await?;
        tx.append_audit(&actor.audit(
            Action::RoadshowStatus,
            "roadshow",
            id,
            Outcome::Success,
            json!({"from": r.status.code(), "to": to.code()}),
        ))
        .await?;
        let title = &r.fields.title;
        let notice = match to {
            RoadshowStatus::Cancelled => Notice {
                kind: NotificationKind::Roadshow,
                title: format!("路演活动已取消：{title}"),
                body: format!("您报名的路演“{title}”（原定{}）已取消。", r.fields.held_on),
                link: roadshow_link(id),
            },
            _ => Notice {
                kind: NotificationKind::Roadshow,
                title: format!("路演活动已举办：{title}"),
                body: format!("感谢参加路演“{title}”。对推介专利有意向的，市场监管局和专利权人将一对一跟进。"),
                link: roadshow_link(id),
            },
        };
        self.notify_registered(&mut tx, actor, id, &notice).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Roadshows, latest event first (every logged-in account). Fetches one more than `filter.limit` so the
    /// caller knows whether a next page exists.
    pub async fn list_roadshows(&self, actor: &Actor, filter: &RoadshowFilter) -> Result<Vec<Roadshow>> {
        actor.authenticated()?;
        let mut tx = self.db.read().await?;
        Ok(tx.list_roadshows(filter).await?)
    }

    /// One roadshow as the actor may see it.
    pub async fn roadshow(&self, actor: &Actor, id: RoadshowId) -> Result<RoadshowView> {
        actor.authenticated()?;
        let mut tx = self.db.read().await?;
        let roadshow = tx.roadshow(id).await?.ok_or(ServiceError::NotFound)?;
        let patents = tx.roadshow_patents(id).await?;
        let registrations = if sees_registrations(actor) { Some(tx.registrations(id).await?) } else { None };
        let enterprise = actor
            .user
            .as_ref()
            .filter(|u| u.org_kind == OrgKind::Enterprise && u.can(Permission::RegisterRoadshows))
            .map(|u| u.org_id);
        let own_registration = match enterprise {
            Some(o) => tx.live_registration(id, o).await?,
            None => None,
        };
        let f = &roadshow.fields;
        let registration_open =
            roadshow.status.registration_open(f.held_on, f.registration_deadline, self.china_today());
        let may_follow_up = roadshow.status == RoadshowStatus::Held
            && (actor.is_cli() || actor.user.as_ref().is_some_and(|u| u.can(Permission::RecordFollowUps)));
        let projects = match project_scope(actor) {
            Some(scope) => {
                let filter = ProjectFilter { roadshow: Some(id), ..ProjectFilter::default() };
                tx.list_follow_up_projects(&filter).await?.into_iter().filter(|p| project_visible(scope, p)).collect()
            }
            None => Vec::new(),
        };
        Ok(RoadshowView {
            may_manage: may_manage_roadshows(actor),
            may_register: enterprise.is_some() && registration_open && own_registration.is_none(),
            registration_open,
            may_follow_up,
            projects,
            own_registration,
            registrations,
            patents,
            roadshow,
        })
    }

    /// Registers the actor's enterprise for a roadshow, with the presented patents it is interested in.
    /// A second live registration is refused (本企业已报名该路演).
    pub async fn register_roadshow(
        &self,
        actor: &Actor,
        id: RoadshowId,
        form: &RegistrationForm,
    ) -> Result<RegistrationId> {
        let user = actor.require(Permission::RegisterRoadshows)?;
        if user.org_kind != OrgKind::Enterprise {
            return Err(ServiceError::Forbidden);
        }
        let mut tx = self.db.begin().await?;
        let r = tx.roadshow(id).await?.ok_or(ServiceError::NotFound)?;
        let f = &r.fields;
        if !r.status.registration_open(f.held_on, f.registration_deadline, self.china_today()) {
            let message = RoadshowError::RegistrationClosed.to_string();
            let entry = actor.audit(
                Action::RoadshowRegister,
                "roadshow",
                id,
                Outcome::Denied,
                json!({"status": r.status.code(), "error": message}),
            );
            return self.refuse(tx, entry, invalid("registration", message)).await;
        }
        if tx.live_registration(id, user.org_id).await?.is_some() {
            return Err(ServiceError::Conflict(ipbridge_store::Conflict::RoadshowRegistered));
        }
        let presented = tx.roadshow_patents(id).await?;
        let mut interests: Vec<String> = Vec::new();
        for p in &form.interests {
            match presented.iter().find(|x| x.patent_id == *p) {
                Some(x) => interests.push(format!("{}（{}）", x.title, x.application_no)),
                None => return Err(invalid("interests", "只能选择本场路演推介的专利")),
            }
        }
        interests.dedup();
        let note = match (interests.is_empty(), form.note.trim().is_empty()) {
            (true, _) => form.note.clone(),
            (false, true) => format!("关注专利：{}", interests.join("、")),
            (false, false) => format!("关注专利：{}。{}", interests.join("、"), form.note.trim()),
        };
        let attendees = match form.attendees.trim() {
            "" => Some(1),
            t => t.parse::<u32>().ok(),
        };
        let fields = match attendees {
            Some(n) => RegistrationFields::new(&form.contact_name, &form.contact_phone, n, &note),
            None => {
                let mut e = FieldErrors::new();
                e.add("attendees", "参加人数应为整数");
                return Err(ServiceError::Invalid(e));
            }
        };
        let fields = fields.map_err(|e| {
            let mut errors = FieldErrors::new();
            field_errors(&mut errors, e);
            ServiceError::Invalid(errors)
        })?;
        let now = self.now();
        let reg = tx.insert_registration(id, user.org_id, &fields, Some(user.id), &user.username, now).await?;
        tx.append_audit(&actor.audit(
            Action::RoadshowRegister,
            "roadshow_registration",
            reg,
            Outcome::Success,
            json!({"roadshow_id": id, "enterprise_org_id": user.org_id, "attendees": fields.attendees,
                   "interests": form.interests}),
        ))
        .await?;
        tx.commit().await?;
        Ok(reg)
    }

    /// Cancels a live registration: the enterprise its own while the roadshow is planned, the bureau any.
    /// Returns the roadshow it was for.
    pub async fn cancel_registration(&self, actor: &Actor, reg: RegistrationId) -> Result<RoadshowId> {
        let mut tx = self.db.begin().await?;
        let g = tx.registration(reg).await?.ok_or(ServiceError::NotFound)?;
        let id = g.roadshow_id;
        let manager = may_manage_roadshows(actor);
        let own = actor.user.as_ref().is_some_and(|u| {
            u.org_id == g.enterprise_org_id && u.org_kind == OrgKind::Enterprise && u.can(Permission::RegisterRoadshows)
        });
        if !manager && !own {
            return Err(ServiceError::NotFound);
        }
        let r = tx.roadshow(id).await?.ok_or(ServiceError::NotFound)?;
        if !manager && r.status != RoadshowStatus::Planned {
            let message = format!("路演当前为“{}”，不能取消报名", r.status.label());
            let entry = actor.audit(
                Action::RoadshowUnregister,
                "roadshow_registration",
                reg,
                Outcome::Denied,
                json!({"status": r.status.code(), "error": message}),
            );
            return self.refuse(tx, entry, invalid("registration", message)).await;
        }
        tx.cancel_registration(reg, self.now()).await?;
        tx.append_audit(&actor.audit(
            Action::RoadshowUnregister,
            "roadshow_registration",
            reg,
            Outcome::Success,
            json!({"roadshow_id": id, "enterprise_org_id": g.enterprise_org_id}),
        ))
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records whether a registered enterprise attended a held roadshow (the bureau). Returns the roadshow.
    pub async fn set_attendance(&self, actor: &Actor, reg: RegistrationId, attended: bool) -> Result<RoadshowId> {
        actor.authorise(Permission::ManageRoadshows)?;
        let mut tx = self.db.begin().await?;
        let g = tx.registration(reg).await?.ok_or(ServiceError::NotFound)?;
        let id = g.roadshow_id;
        let r = tx.roadshow(id).await?.ok_or(ServiceError::NotFound)?;
        if r.status != RoadshowStatus::Held || g.cancelled_at.is_some() {
            return Err(invalid("attended", "只能为已举办路演的有效报名登记出席情况"));
        }
        tx.set_attended(reg, attended).await?;
        tx.append_audit(&actor.audit(
            Action::RoadshowUpdate,
            "roadshow_registration",
            reg,
            Outcome::Success,
            json!({"roadshow_id": id, "enterprise_org_id": g.enterprise_org_id, "attended": attended}),
        ))
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A roadshow's registrations as xlsx (the bureau and its overseers; audited).
    pub async fn export_registrations(&self, actor: &Actor, id: RoadshowId) -> Result<Vec<u8>> {
        if !sees_registrations(actor) {
            return Err(ServiceError::Forbidden);
        }
        let mut tx = self.db.read().await?;
        let r = tx.roadshow(id).await?.ok_or(ServiceError::NotFound)?;
        let rows = tx.registrations(id).await?;
        drop(tx);
        let mut t = Table::new(
            "路演报名",
            &[
                "路演",
                "举办日期",
                "企业",
                "联系人",
                "联系电话",
                "参加人数",
                "关注专利及备注",
                "报名人",
                "报名时间",
                "状态",
                "出席",
            ],
        );
        let time = |t: chrono::DateTime<chrono::Utc>| china_time(t).format("%Y-%m-%d %H:%M").to_string();
        for g in &rows {
            t.push(vec![
                Cell::from(r.fields.title.as_str()),
                Cell::from(r.fields.held_on.to_string()),
                Cell::from(g.enterprise_name.as_str()),
                Cell::from(g.fields.contact_name.as_str()),
                Cell::from(g.fields.contact_phone.as_str()),
                Cell::from(i64::from(g.fields.attendees)),
                Cell::from(g.fields.note.as_str()),
                Cell::from(g.registered_by_name.as_str()),
                Cell::from(time(g.registered_at)),
                Cell::from(if g.cancelled_at.is_some() { "已取消" } else { "有效" }),
                Cell::from(g.attended.map(|a| if a { "出席" } else { "缺席" })),
            ]);
        }
        self.finish_export(actor, "roadshow_registrations", &id.to_string(), &t).await
    }

    /// Opens a follow-up project ([`Permission::RecordFollowUps`]): the bureau for any patent, an institution
    /// admin for its own (another institution's patent or match record is not found). One open project per
    /// patent and enterprise.
    pub async fn create_follow_up_project(&self, actor: &Actor, new: NewProject) -> Result<FollowUpProjectId> {
        let user = actor.authorise(Permission::RecordFollowUps)?;
        let own_only = user.filter(|u| u.org_kind != OrgKind::Bureau).map(|u| u.org_id);
        let mut tx = self.db.begin().await?;
        let (patent, enterprise, roadshow, match_id) = match new {
            NewProject::Match(m) => {
                let r = tx.match_record(m).await?.ok_or(ServiceError::NotFound)?;
                if own_only.is_some_and(|o| r.holder_org_id != Some(o)) {
                    return Err(ServiceError::NotFound);
                }
                (r.patent_id, r.enterprise_org_id, None, Some(m))
            }
            NewProject::Roadshow { roadshow, patent, enterprise } => {
                let r = tx.roadshow(roadshow).await?.ok_or(ServiceError::NotFound)?;
                if r.status != RoadshowStatus::Held {
                    return Err(invalid("roadshow", "路演举办后才能建立跟踪项目"));
                }
                if !tx.roadshow_patents(roadshow).await?.iter().any(|p| p.patent_id == patent) {
                    return Err(invalid("patent_id", "请选择本场路演推介的专利"));
                }
                (patent, enterprise, Some(roadshow), None)
            }
        };
        let p = tx.patent(patent).await?.ok_or(ServiceError::NotFound)?;
        let holder = p.summary.owner_org_id;
        if own_only.is_some_and(|o| holder != Some(o)) {
            return Err(ServiceError::NotFound);
        }
        match tx.org(enterprise).await? {
            Some(o) if o.kind == OrgKind::Enterprise && o.active => {}
            _ => return Err(invalid("enterprise_org_id", "请选择平台上在用的企业")),
        }
        let name = actor.name();
        let id = tx
            .insert_follow_up_project(
                &NewFollowUpProject {
                    patent_id: patent,
                    enterprise_org_id: enterprise,
                    holder_org_id: holder,
                    roadshow_id: roadshow,
                    match_id,
                    created_by_user_id: user.map(|u| u.id),
                    created_by_name: &name,
                },
                self.now(),
            )
            .await?;
        tx.append_audit(&actor.audit(
            Action::FollowUpProjectCreate,
            "follow_up_project",
            id,
            Outcome::Success,
            json!({"patent_id": patent, "enterprise_org_id": enterprise, "holder_org_id": holder,
                   "roadshow_id": roadshow, "match_id": match_id}),
        ))
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Follow-up projects the actor may see, latest change first (an account that sees none gets none).
    pub async fn list_follow_up_projects(&self, actor: &Actor, filter: &ProjectFilter) -> Result<Vec<FollowUpProject>> {
        actor.authenticated()?;
        let mut filter = filter.clone();
        match project_scope(actor) {
            None => return Ok(Vec::new()),
            Some(ProjectScope::All) => {}
            Some(ProjectScope::Holder(o)) => filter.holder_org = Some(o),
            Some(ProjectScope::Enterprise(o)) => filter.enterprise_org = Some(o),
        }
        let mut tx = self.db.read().await?;
        Ok(tx.list_follow_up_projects(&filter).await?)
    }

    /// One follow-up project with its log; another organisation's is not found.
    pub async fn follow_up_project(&self, actor: &Actor, id: FollowUpProjectId) -> Result<ProjectView> {
        actor.authenticated()?;
        let scope = project_scope(actor).ok_or(ServiceError::NotFound)?;
        let mut tx = self.db.read().await?;
        let project =
            tx.follow_up_project(id).await?.filter(|p| project_visible(scope, p)).ok_or(ServiceError::NotFound)?;
        let entries = tx.follow_ups(id).await?;
        Ok(ProjectView { may_record: may_record_project(actor, &project), entries, project })
    }

    /// Adds a log entry to an open project: continuing (a next step is required) or closing it with a reason.
    /// A deal ends a project through [`App::create_deal`], which records the deal and links it. Returns the
    /// project's state afterwards.
    pub async fn record_follow_up(
        &self,
        actor: &Actor,
        id: FollowUpProjectId,
        form: &FollowUpForm,
    ) -> Result<ProjectState> {
        actor.authorise(Permission::RecordFollowUps)?;
        let mut errors = FieldErrors::new();
        let happened_on = date_field(&mut errors, "happened_on", &form.happened_on);
        if happened_on.is_none() && !errors.0.contains_key("happened_on") {
            errors.add("happened_on", "请填写跟进日期");
        }
        let next_on = date_field(&mut errors, "next_on", &form.next_on);
        let outcome = match form.outcome.parse::<FollowUpOutcome>() {
            Ok(FollowUpOutcome::Deal) => {
                errors.add("outcome", "达成交易请点击“登记转化交易”，交易登记后项目自动结束");
                None
            }
            Ok(o) => Some(o),
            Err(_) => {
                errors.add("outcome", "请选择跟进结果（继续跟进或终止跟进）");
                None
            }
        };
        let mut tx = self.db.begin().await?;
        let p = tx.follow_up_project(id).await?.ok_or(ServiceError::NotFound)?;
        if !may_record_project(actor, &p) {
            return Err(ServiceError::NotFound);
        }
        let (Some(happened_on), Some(outcome)) = (happened_on, outcome) else {
            return Err(ServiceError::Invalid(errors));
        };
        let entry = FollowUpEntry {
            happened_on,
            contact: form.contact.clone(),
            content: form.content.clone(),
            next_step: form.next_step.clone(),
            next_on,
            outcome,
            close_reason: form.close_reason.clone(),
        };
        let entry = match entry.check(self.china_today()) {
            Ok(e) if errors.is_empty() => e,
            Ok(_) => return Err(ServiceError::Invalid(errors)),
            Err(e) => {
                field_errors(&mut errors, e);
                return Err(ServiceError::Invalid(errors));
            }
        };
        let state = match p.state.after(outcome) {
            Ok(s) => s,
            Err(e) => {
                let audit = actor.audit(
                    Action::FollowUpRecord,
                    "follow_up_project",
                    id,
                    Outcome::Denied,
                    json!({"state": p.state.code(), "error": e.to_string()}),
                );
                return self.refuse(tx, audit, invalid("state", e.to_string())).await;
            }
        };
        self.add_follow_up_in(&mut tx, actor, &p, &entry, state).await?;
        tx.commit().await?;
        Ok(state)
    }

    /// Appends a checked entry and its audit record in `tx`.
    pub(crate) async fn add_follow_up_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        p: &FollowUpProject,
        entry: &FollowUpEntry,
        state: ProjectState,
    ) -> Result<()> {
        let name = actor.name();
        let by = RecordedBy {
            user_id: actor.user.as_ref().map(|u| u.id),
            name: &name,
            org_id: actor.user.as_ref().map(|u| u.org_id),
        };
        let entry_id = tx.add_follow_up(p.id, entry, state, &by, self.now()).await?;
        tx.append_audit(&actor.audit(
            Action::FollowUpRecord,
            "follow_up_project",
            p.id,
            Outcome::Success,
            json!({"entry_id": entry_id, "happened_on": entry.happened_on, "outcome": entry.outcome.code(),
                   "from": p.state.code(), "to": state.code(), "close_reason": entry.close_reason}),
        ))
        .await?;
        Ok(())
    }

    /// Enterprises a project may be opened with after a roadshow: for those who may see its registrations,
    /// its live registrations first, then every other active enterprise (the bureau may follow up enterprises
    /// that came without registering); for anyone else (an institution admin) every active enterprise by name —
    /// putting the registered ones first would disclose who registered.
    pub async fn follow_up_enterprise_choices(&self, actor: &Actor, id: RoadshowId) -> Result<Vec<(OrgId, String)>> {
        actor.authorise(Permission::RecordFollowUps)?;
        let mut tx = self.db.read().await?;
        let mut out: Vec<(OrgId, String)> = if sees_registrations(actor) {
            tx.registrations(id)
                .await?
                .into_iter()
                .filter(|g| g.cancelled_at.is_none())
                .map(|g| (g.enterprise_org_id, g.enterprise_name))
                .collect()
        } else {
            Vec::new()
        };
        let filter = ipbridge_store::OrgFilter { kind: Some(OrgKind::Enterprise), ..Default::default() };
        for o in tx.list_orgs(&filter).await? {
            if o.active && !out.iter().any(|(id, _)| *id == o.id) {
                out.push((o.id, o.name));
            }
        }
        Ok(out)
    }
}
