//! Match records (匹配记录) between patents and enterprises, their workflow, and the enterprise's feedback.
//!
//! Who acts, and as which side ([`MatchSide`]):
//! - the bureau ([`Permission::ManageMatches`], and the command line) saves matches between any patent and
//!   enterprise, pushes a patent to enterprises, and moves any record as the bureau;
//! - an enterprise member ([`Permission::HandleMatches`]) saves matches for its own enterprise (from a
//!   demand's results, or 我有意向) and answers proposals as the enterprise side;
//! - a member of the patent's holder organisation ([`Permission::HandleMatches`]) answers interest as the
//!   holder side;
//! - [`Permission::ViewAllMatches`] reads every record without acting.
//!
//! The domain ([`ipbridge_domain::matching::allowed_sides`]) decides which side may make which step. Each
//! step writes a history row, an audit record and notices to the other side in one transaction; a refused
//! step is audited as denied. Records of other organisations are reported as not found.

use chrono::{DateTime, Utc};
use ipbridge_domain::Permission;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::demand::DemandStatus;
use ipbridge_domain::ids::{DemandId, MatchId, OrgId, PatentId};
use ipbridge_domain::matching::{
    MatchEvent, MatchOrigin, MatchSide, MatchState, NOTE_MAX_CHARS, NotInterestedFeedback, NotInterestedReason,
    check_transition, next_states,
};
use ipbridge_domain::notification::NotificationKind;
use ipbridge_domain::org::OrgKind;
use ipbridge_ingest::{Cell, Table};
use ipbridge_store::{
    AuditStore, DemandStore, MatchFilter, MatchRecord, MatchStore, NewMatch, OrgStore, PatentStore, Tx,
};
use serde_json::json;

use crate::auth::china_time;
use crate::error::invalid;
use crate::exports::LIST_EXPORT_LIMIT;
use crate::notifications::{Notice, bureau_org, notify_orgs};
use crate::{Actor, App, Result, ServiceError};

/// A match to save.
#[derive(Debug, Clone, PartialEq)]
pub struct SaveMatch {
    /// The patent.
    pub patent_id: PatentId,
    /// The enterprise.
    pub enterprise_org_id: OrgId,
    /// The demand it answers, when it came from one (must be that enterprise's).
    pub demand_id: Option<DemandId>,
    /// How it came about. Enterprises save [`MatchOrigin::DemandMatch`] or [`MatchOrigin::EnterpriseInterest`].
    pub origin: MatchOrigin,
    /// The matcher's score (0 when recorded by hand).
    pub score: f32,
    /// The matcher's reasons, stored as given (`Value::Null` when none).
    pub explanation: serde_json::Value,
    /// A note for the history ("" when none).
    pub note: String,
}

/// A saved match: the record's id, whether this call created it (false: an open record of the same patent
/// and enterprise existed and is returned instead), and its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavedMatch {
    /// The record.
    pub id: MatchId,
    /// Created by this call.
    pub created: bool,
    /// Its state now.
    pub state: MatchState,
}

/// One enterprise to push a patent to, with the matcher's score and reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct PushTarget {
    /// The enterprise.
    pub enterprise_org_id: OrgId,
    /// The matcher's score.
    pub score: f32,
    /// The matcher's reasons.
    pub explanation: serde_json::Value,
}

/// A requested state change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchChange {
    /// The state to move to.
    pub to: MatchState,
    /// Required when moving to [`MatchState::NotInterested`].
    pub reason: Option<NotInterestedReason>,
    /// The refusal's text (required for [`NotInterestedReason::Other`]), or a note for the history.
    pub note: String,
}

/// One record as the actor sees it.
#[derive(Debug, Clone)]
pub struct MatchView {
    /// The record.
    pub record: MatchRecord,
    /// Its history, oldest first.
    pub events: Vec<MatchEvent>,
    /// The side the actor acts as (none for read-only viewers).
    pub side: Option<MatchSide>,
    /// The states the actor may move it to now (buttons to show).
    pub next_states: Vec<MatchState>,
}

/// A page of match records.
#[derive(Debug, Clone)]
pub struct MatchPage {
    /// The records.
    pub records: Vec<MatchRecord>,
    /// Total matching.
    pub total: u64,
    /// How many records of the same filter are in each state (tabs with counts).
    pub by_state: Vec<(MatchState, u64)>,
}

/// The side the actor acts as on a record, if any.
fn side_of(actor: &Actor, r: &MatchRecord) -> Option<MatchSide> {
    if actor.is_cli() {
        return Some(MatchSide::Bureau);
    }
    let user = actor.user.as_ref()?;
    if user.can(Permission::ManageMatches) {
        Some(MatchSide::Bureau)
    } else if !user.can(Permission::HandleMatches) {
        None
    } else if user.org_id == r.enterprise_org_id {
        Some(MatchSide::Enterprise)
    } else if Some(user.org_id) == r.holder_org_id {
        Some(MatchSide::Holder)
    } else {
        None
    }
}

fn sees_all_matches(actor: &Actor) -> bool {
    actor.is_cli() || actor.user.as_ref().is_some_and(|u| u.can(Permission::ViewAllMatches))
}

fn match_link(id: MatchId) -> String {
    format!("/matches/{id}")
}

fn event(actor: &Actor, side: Option<MatchSide>, at: DateTime<Utc>) -> MatchEvent {
    MatchEvent {
        at,
        actor_user_id: actor.user.as_ref().map(|u| u.id),
        actor_name: actor.name(),
        actor_org_id: actor.user.as_ref().map(|u| u.org_id),
        side,
        from: None,
        to: MatchState::Proposed,
        reason: None,
        note: String::new(),
    }
}

fn check_note(note: &str) -> Result<String> {
    let note = note.trim();
    if note.chars().count() > NOTE_MAX_CHARS {
        return Err(invalid("note", format!("说明不能超过{NOTE_MAX_CHARS}个字符")));
    }
    Ok(note.to_owned())
}

/// Who hears of a change: the other side. The enterprise's moves go to the holder (to the bureau when the
/// patent has no holder on the platform, since the bureau then brokers); the holder's to the enterprise; the
/// bureau's to both parties.
async fn other_side(tx: &mut Tx, r: &MatchRecord, side: MatchSide) -> Result<Vec<Option<OrgId>>> {
    Ok(match side {
        MatchSide::Enterprise => match r.holder_org_id {
            Some(h) => vec![Some(h)],
            None => vec![bureau_org(tx).await?],
        },
        MatchSide::Holder => vec![Some(r.enterprise_org_id)],
        MatchSide::Bureau => vec![Some(r.enterprise_org_id), r.holder_org_id],
    })
}

/// The notice of a state change.
fn change_notice(r: &MatchRecord, to: MatchState, feedback: Option<&NotInterestedFeedback>, note: &str) -> Notice {
    let patent = &r.patent_title;
    let enterprise = &r.enterprise_name;
    let (kind, title, mut body) = match to {
        MatchState::Interested => (
            NotificationKind::MatchInterest,
            format!("{enterprise}对专利“{patent}”有意向"),
            format!("{enterprise}希望进一步了解专利“{patent}”（{}），请及时联系。", r.application_no),
        ),
        MatchState::NotInterested => {
            let why = feedback.map_or_else(String::new, |f| {
                if f.text.is_empty() {
                    f.reason.label().to_owned()
                } else {
                    format!("{}：{}", f.reason.label(), f.text)
                }
            });
            (NotificationKind::MatchFeedback, format!("{enterprise}对专利“{patent}”暂无意向"), format!("原因：{why}"))
        }
        other => (
            NotificationKind::MatchState,
            format!("匹配进展：“{patent}”{}", other.label()),
            format!("{enterprise}与专利“{patent}”的对接状态变更为“{}”。", other.label()),
        ),
    };
    if !note.is_empty() && to != MatchState::NotInterested {
        body.push_str(&format!("说明：{note}"));
    }
    Notice { kind, title, body, link: match_link(r.id) }
}

impl App {
    /// A time `days` days ago, for [`MatchFilter::state_changed_before`] ("waiting at least N days").
    pub fn days_ago(&self, days: u32) -> DateTime<Utc> {
        self.now() - chrono::Duration::days(i64::from(days))
    }

    /// Saves a match between a patent and an enterprise. The bureau may save any; an enterprise member saves
    /// for its own enterprise, from a demand's results ([`MatchOrigin::DemandMatch`], saved as viewed) or as
    /// interest ([`MatchOrigin::EnterpriseInterest`], saved as interested and told to the holder). When an open
    /// record of the same patent and enterprise exists, it is returned unchanged (`created: false`).
    pub async fn save_match(&self, actor: &Actor, save: &SaveMatch) -> Result<SavedMatch> {
        let bureau = actor.authorise(Permission::ManageMatches).is_ok();
        if !bureau {
            let user = actor.require(Permission::HandleMatches)?;
            if user.org_kind != OrgKind::Enterprise || user.org_id != save.enterprise_org_id {
                return Err(ServiceError::Forbidden);
            }
            if !matches!(save.origin, MatchOrigin::DemandMatch | MatchOrigin::EnterpriseInterest) {
                return Err(invalid("origin", "企业只能保存需求匹配结果或表达意向；推送和人工登记由市场监管局办理"));
            }
        }
        let note = check_note(&save.note)?;
        let mut tx = self.db.begin().await?;
        let (saved, notice) = self.save_match_in(&mut tx, actor, save, &note).await?;
        if let Some((to, notice)) = notice {
            notify_orgs(&mut tx, &to, actor.user.as_ref().map(|u| u.org_id), &notice, self.now()).await?;
        }
        tx.commit().await?;
        Ok(saved)
    }

    /// The enterprise's 我有意向 on a patent: saves a match as interested, or moves its open record to
    /// interested when the workflow allows it (an open record already interested or further on is returned
    /// as it is).
    pub async fn express_interest(
        &self,
        actor: &Actor,
        patent_id: PatentId,
        demand_id: Option<DemandId>,
        note: &str,
    ) -> Result<SavedMatch> {
        let user = actor.require(Permission::HandleMatches)?;
        if user.org_kind != OrgKind::Enterprise {
            return Err(ServiceError::Forbidden);
        }
        let existing = self.db.read().await?.open_match_for(patent_id, user.org_id).await?;
        match existing {
            Some(r) if check_transition(r.state, MatchState::Interested, MatchSide::Enterprise).is_ok() => {
                let change = MatchChange { to: MatchState::Interested, reason: None, note: note.to_owned() };
                let state = self.transition_match(actor, r.id, &change).await?;
                Ok(SavedMatch { id: r.id, created: false, state })
            }
            Some(r) => Ok(SavedMatch { id: r.id, created: false, state: r.state }),
            None => {
                let save = SaveMatch {
                    patent_id,
                    enterprise_org_id: user.org_id,
                    demand_id,
                    origin: MatchOrigin::EnterpriseInterest,
                    score: 0.0,
                    explanation: serde_json::Value::Null,
                    note: note.to_owned(),
                };
                self.save_match(actor, &save).await
            }
        }
    }

    /// Checks and inserts one match inside `tx` (the existing open record is returned instead), with its first
    /// history row and audit record; returns the notice to send and to whom.
    pub(crate) async fn save_match_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        save: &SaveMatch,
        note: &str,
    ) -> Result<(SavedMatch, Option<(Vec<Option<OrgId>>, Notice)>)> {
        if !save.score.is_finite() {
            return Err(invalid("score", "匹配分数无效"));
        }
        let enterprise = tx.org(save.enterprise_org_id).await?;
        match &enterprise {
            Some(o) if o.kind == OrgKind::Enterprise && o.active => {}
            _ => return Err(invalid("enterprise_org_id", "所选机构不是平台上在用的企业")),
        }
        let patent = tx.patent(save.patent_id).await?.ok_or_else(|| invalid("patent_id", "专利不存在"))?;
        let holder = patent.summary.owner_org_id;
        if holder == Some(save.enterprise_org_id) {
            return Err(invalid("enterprise_org_id", "该专利由该企业自己持有，不能与其匹配"));
        }
        if let Some(d) = save.demand_id {
            match tx.demand(d).await? {
                Some(d) if d.org_id == save.enterprise_org_id && d.status != DemandStatus::Draft => {}
                _ => return Err(invalid("demand_id", "所选需求不存在或不属于该企业")),
            }
        }
        if let Some(r) = tx.open_match_for(save.patent_id, save.enterprise_org_id).await? {
            return Ok((SavedMatch { id: r.id, created: false, state: r.state }, None));
        }
        let side = side_for_save(actor);
        // What the saver already knows decides where the record starts: a pushed or recorded match waits for
        // the enterprise; an enterprise saving a result has seen it; declared interest is interest.
        let state = match (save.origin, side) {
            (MatchOrigin::EnterpriseInterest, _) => MatchState::Interested,
            (_, Some(MatchSide::Enterprise)) => MatchState::Viewed,
            _ => MatchState::Proposed,
        };
        let now = self.now();
        let name = actor.name();
        let id = tx
            .insert_match(
                &NewMatch {
                    patent_id: save.patent_id,
                    enterprise_org_id: save.enterprise_org_id,
                    demand_id: save.demand_id,
                    holder_org_id: holder,
                    origin: save.origin,
                    score: save.score,
                    explanation: &save.explanation,
                    state,
                    created_by_user_id: actor.user.as_ref().map(|u| u.id),
                    created_by_name: &name,
                },
                now,
            )
            .await?;
        tx.add_match_event(id, &MatchEvent { to: state, note: note.to_owned(), ..event(actor, side, now) }).await?;
        let action = if save.origin == MatchOrigin::Push { Action::MatchPush } else { Action::MatchSave };
        tx.append_audit(&actor.audit(
            action,
            "match_record",
            id,
            Outcome::Success,
            json!({"patent_id": save.patent_id, "enterprise_org_id": save.enterprise_org_id,
                   "demand_id": save.demand_id, "holder_org_id": holder, "origin": save.origin.code(),
                   "score": save.score, "state": state.code()}),
        ))
        .await?;
        let record = tx.match_record(id).await?.ok_or(ServiceError::NotFound)?;
        let notice = match state {
            MatchState::Proposed => Some((
                vec![Some(save.enterprise_org_id)],
                Notice {
                    kind: NotificationKind::MatchProposed,
                    title: format!("为您推荐专利：{}", record.patent_title),
                    body: format!(
                        "{}推荐专利“{}”（{}），请查看并反馈是否有意向。",
                        if save.origin == MatchOrigin::Push { "市场监管局" } else { "平台" },
                        record.patent_title,
                        record.application_no
                    ),
                    link: match_link(id),
                },
            )),
            MatchState::Interested => {
                let to = other_side(tx, &record, MatchSide::Enterprise).await?;
                Some((to, change_notice(&record, state, None, note)))
            }
            _ => None,
        };
        Ok((SavedMatch { id, created: true, state }, notice))
    }

    /// The bureau pushes a patent to enterprises (origin push), each with the matcher's score and reasons,
    /// in one transaction. Enterprises that already have an open record of the patent get it back unchanged.
    pub async fn push_patent(
        &self,
        actor: &Actor,
        patent_id: PatentId,
        targets: &[PushTarget],
    ) -> Result<Vec<SavedMatch>> {
        actor.authorise(Permission::ManageMatches)?;
        if targets.is_empty() {
            return Err(invalid("enterprise_org_id", "请至少选择一家企业"));
        }
        let mut tx = self.db.begin().await?;
        let mut saved: Vec<SavedMatch> = Vec::with_capacity(targets.len());
        let mut seen: Vec<OrgId> = Vec::new();
        let except = actor.user.as_ref().map(|u| u.org_id);
        for t in targets {
            if seen.contains(&t.enterprise_org_id) {
                continue;
            }
            seen.push(t.enterprise_org_id);
            let save = SaveMatch {
                patent_id,
                enterprise_org_id: t.enterprise_org_id,
                demand_id: None,
                origin: MatchOrigin::Push,
                score: t.score,
                explanation: t.explanation.clone(),
                note: String::new(),
            };
            let (s, notice) = self.save_match_in(&mut tx, actor, &save, "").await?;
            if let Some((to, notice)) = notice {
                notify_orgs(&mut tx, &to, except, &notice, self.now()).await?;
            }
            saved.push(s);
        }
        tx.commit().await?;
        Ok(saved)
    }

    /// Moves a record to another state as the actor's side, if the workflow lets that side make the step.
    /// Moving to not interested needs a reason (and a text for "other"). A refused step is audited as denied
    /// and explained (which side makes it, or that it does not exist). Returns the new state.
    pub async fn transition_match(&self, actor: &Actor, id: MatchId, change: &MatchChange) -> Result<MatchState> {
        actor.authenticated()?;
        let mut tx = self.db.begin().await?;
        let r = tx.match_record(id).await?.ok_or(ServiceError::NotFound)?;
        let Some(side) = side_of(actor, &r) else {
            // A read-only overseer learns it may not act; anyone else learns nothing about the record.
            if sees_all_matches(actor) {
                let entry = actor.audit(
                    Action::MatchTransition,
                    "match_record",
                    id,
                    Outcome::Denied,
                    json!({"from": r.state.code(), "to": change.to.code(), "reason": "read_only"}),
                );
                return self.refuse(tx, entry, ServiceError::Forbidden).await;
            }
            return Err(ServiceError::NotFound);
        };
        let audit_action = if side == MatchSide::Enterprise && change.to.is_feedback() {
            Action::MatchFeedback
        } else {
            Action::MatchTransition
        };
        if let Err(e) = check_transition(r.state, change.to, side) {
            let entry = actor.audit(
                audit_action,
                "match_record",
                id,
                Outcome::Denied,
                json!({"from": r.state.code(), "to": change.to.code(), "side": side.code(), "error": e.to_string()}),
            );
            return self.refuse(tx, entry, invalid("state", e.to_string())).await;
        }
        let feedback = if change.to == MatchState::NotInterested {
            Some(
                NotInterestedFeedback::new(change.reason, &change.note)
                    .map_err(|e| invalid("reason", e.to_string()))?,
            )
        } else {
            None
        };
        let note = check_note(&change.note)?;
        let now = self.now();
        tx.set_match_state(id, change.to, feedback.as_ref(), now).await?;
        tx.add_match_event(
            id,
            &MatchEvent {
                from: Some(r.state),
                to: change.to,
                reason: feedback.as_ref().map(|f| f.reason),
                note: note.clone(),
                ..event(actor, Some(side), now)
            },
        )
        .await?;
        tx.append_audit(&actor.audit(
            audit_action,
            "match_record",
            id,
            Outcome::Success,
            json!({"from": r.state.code(), "to": change.to.code(), "side": side.code(),
                   "reason": feedback.as_ref().map(|f| f.reason.code()), "note": note}),
        ))
        .await?;
        let to = other_side(&mut tx, &r, side).await?;
        let notice = change_notice(&r, change.to, feedback.as_ref(), &note);
        notify_orgs(&mut tx, &to, actor.user.as_ref().map(|u| u.org_id), &notice, now).await?;
        tx.commit().await?;
        Ok(change.to)
    }

    /// Marks a proposed record viewed when the enterprise side opens it (told to the holder). Returns whether
    /// it changed anything; other actors and other states are left alone.
    pub async fn mark_match_viewed(&self, actor: &Actor, id: MatchId) -> Result<bool> {
        let r = self.db.read().await?.match_record(id).await?.ok_or(ServiceError::NotFound)?;
        if r.state != MatchState::Proposed || side_of(actor, &r) != Some(MatchSide::Enterprise) {
            return Ok(false);
        }
        let change = MatchChange { to: MatchState::Viewed, reason: None, note: String::new() };
        match self.transition_match(actor, id, &change).await {
            Ok(_) => Ok(true),
            // Another member opened it in the meantime: already viewed is what was wanted.
            Err(ServiceError::Invalid(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// One record as the actor may see it (the parties, and [`Permission::ViewAllMatches`]); anything else is
    /// not found. Read only: see [`App::open_match`] for the detail page.
    pub async fn match_view(&self, actor: &Actor, id: MatchId) -> Result<MatchView> {
        actor.authenticated()?;
        let mut tx = self.db.read().await?;
        let record = tx.match_record(id).await?.ok_or(ServiceError::NotFound)?;
        let side = side_of(actor, &record);
        if side.is_none() && !sees_all_matches(actor) {
            return Err(ServiceError::NotFound);
        }
        let events = tx.match_events(id).await?;
        let next_states = side.map(|s| next_states(record.state, s)).unwrap_or_default();
        Ok(MatchView { record, events, side, next_states })
    }

    /// The detail page's call: marks the record viewed when the enterprise opens it, then returns it.
    pub async fn open_match(&self, actor: &Actor, id: MatchId) -> Result<MatchView> {
        // Checks visibility before writing anything.
        self.match_view(actor, id).await?;
        self.mark_match_viewed(actor, id).await?;
        self.match_view(actor, id).await
    }

    /// Match records the actor may see, filtered and paged: an enterprise its own, a holder those on its
    /// patents (both when an organisation is both), the bureau and its leaders all.
    pub async fn list_matches(&self, actor: &Actor, filter: &MatchFilter) -> Result<MatchPage> {
        let mut filter = filter.clone();
        if !sees_all_matches(actor) {
            let user = actor.require(Permission::HandleMatches)?;
            filter.party_org = Some(user.org_id);
        }
        let mut tx = self.db.read().await?;
        let records = tx.list_matches(&filter).await?;
        let total = tx.count_matches(&filter).await?;
        let by_state = tx.count_matches_by_state(&filter).await?;
        Ok(MatchPage { records, total, by_state })
    }

    /// Every match record of the filter as xlsx, with its state and age in days (the bureau; audited).
    pub async fn export_matches(&self, actor: &Actor, filter: &MatchFilter) -> Result<Vec<u8>> {
        actor.authorise(Permission::ViewAllMatches)?;
        let filter = MatchFilter { limit: LIST_EXPORT_LIMIT, offset: 0, ..filter.clone() };
        let page = self.list_matches(actor, &filter).await?;
        let now = self.now();
        let mut t = Table::new(
            "匹配记录",
            &[
                "编号",
                "申请号",
                "专利名称",
                "专利权人",
                "企业",
                "关联需求",
                "来源",
                "匹配分",
                "状态",
                "无意向原因",
                "原因说明",
                "创建时间",
                "存续天数",
                "当前状态天数",
                "状态变更时间",
                "创建人",
            ],
        );
        let time = |t: DateTime<Utc>| china_time(t).format("%Y-%m-%d %H:%M").to_string();
        for r in &page.records {
            let refused = r.state == MatchState::NotInterested;
            t.push(vec![
                Cell::from(r.id.get()),
                Cell::from(r.application_no.as_str()),
                Cell::from(r.patent_title.as_str()),
                Cell::from(r.holder_name.as_deref()),
                Cell::from(r.enterprise_name.as_str()),
                Cell::from(r.demand_title.as_deref()),
                Cell::from(r.origin.label()),
                Cell::Number((f64::from(r.score) * 1000.0).round() / 1000.0),
                Cell::from(r.state.label()),
                Cell::from(r.feedback.as_ref().filter(|_| refused).map(|f| f.reason.label())),
                Cell::from(r.feedback.as_ref().filter(|_| refused).map(|f| f.text.as_str())),
                Cell::from(time(r.created_at)),
                Cell::from(r.age_days(now)),
                Cell::from(r.days_in_state(now)),
                Cell::from(time(r.state_changed_at)),
                Cell::from(r.created_by_name.as_str()),
            ]);
        }
        self.finish_export(actor, "match_records", "", &t).await
    }
}

/// The side a saver acts as (the command line and the bureau as the bureau, others as the enterprise).
fn side_for_save(actor: &Actor) -> Option<MatchSide> {
    if actor.is_cli() || actor.user.as_ref().is_some_and(|u| u.can(Permission::ManageMatches)) {
        Some(MatchSide::Bureau)
    } else {
        Some(MatchSide::Enterprise)
    }
}
