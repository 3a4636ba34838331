//! The transferable pool (可转化专利资源库): public browsing, 我有意向, feedback and tiers.
//!
//! Who sees what:
//! - anyone, anonymous visitors included, browses the pool: the public fields only ([`PoolEntry`] carries no
//!   contact person) and each patent's tier;
//! - the counts behind a tier (interested enterprises, ratings — no names) are the holder institution's
//!   accounts' (its own patents) and the bureau's ([`Permission::ViewAllInventory`]);
//! - the feedback itself names the enterprise and who gave it, so within the holder institution only the
//!   record's own people read it ([`feedback_reader`]): the institution's admin, the reviewer of the record's
//!   faculty and the inventors linked to the patent; the bureau reads all;
//! - an enterprise member ([`Permission::HandleMatches`]) declares interest (a match record of origin
//!   `enterprise_interest` with the holder) and gives feedback; it sees its own feedback only.

use std::collections::HashMap;

use ipbridge_domain::Permission;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::demand::CooperationMode;
use ipbridge_domain::ids::{FeedbackId, OrgId, PatentId, UserId};
use ipbridge_domain::matching::{MatchOrigin, MatchSide, MatchState, NotInterestedReason, check_transition};
use ipbridge_domain::notification::NotificationKind;
use ipbridge_domain::org::OrgKind;
use ipbridge_domain::permission::Role;
use ipbridge_domain::revitalisation::{
    CooperationIntent, FeedbackSummary, PoolFeedback, PoolFeedbackError, Tier, TransferIntent, Trl,
};
use ipbridge_store::{
    AuditStore, ChainSelector, ChainStore, FeedbackReader, InventoryStore, MatchStore, NewPoolFeedback, PoolFilter,
    PoolStore, Tx,
};
use serde_json::json;

/// The store's pool types pages work with.
pub use ipbridge_store::{FeedbackFilter, PoolEntry, PoolSort, StoredFeedback};

use crate::error::invalid;
use crate::matches::{MatchChange, SaveMatch, SavedMatch};
use crate::notifications::{Notice, notify_orgs};
use crate::revitalisation::inventory::{Standing, accounts_with, notify_users};
use crate::{Actor, App, FieldErrors, Result, ServiceError};

/// What a visitor asks of the pool list. Values, parsed at the edge.
#[derive(Debug, Clone, Default)]
pub struct PoolQuery {
    /// Only this chain (its code): filed under it, or an IPC code under one of its prefixes.
    pub chain: Option<String>,
    /// Only patents with an IPC code under this prefix.
    pub ipc_prefix: Option<String>,
    /// Only at least this mature.
    pub trl_min: Option<Trl>,
    /// Only at most this mature.
    pub trl_max: Option<Trl>,
    /// Only this transfer intent.
    pub intent: Option<TransferIntent>,
    /// Only this institution's.
    pub holder_org: Option<OrgId>,
    /// Title, number, institution or brief contains.
    pub text: Option<String>,
    /// Order.
    pub sort: PoolSort,
    /// Page size (capped at 100).
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// A pool patent with its tier, as the actor may see it.
#[derive(Debug, Clone)]
pub struct PoolItem {
    /// The public fields.
    pub entry: PoolEntry,
    /// 重点推进 / 一般推进.
    pub tier: Tier,
    /// The counts behind the tier: only for the holder institution and the bureau.
    pub summary: Option<FeedbackSummary>,
}

/// A page of the pool.
#[derive(Debug, Clone)]
pub struct PoolPage {
    /// The patents.
    pub items: Vec<PoolItem>,
    /// How many match the filters.
    pub total: u64,
}

/// One pool patent with what the actor may do and see.
#[derive(Debug, Clone)]
pub struct PoolDetail {
    /// The patent, its tier and (for the holder and the bureau) its counts.
    pub item: PoolItem,
    /// The chain's name, when the record names one.
    pub chain_name: Option<String>,
    /// The enterprise's open match record on the patent: (id, state).
    pub my_match: Option<(ipbridge_domain::ids::MatchId, MatchState)>,
    /// The enterprise's latest feedback on the patent.
    pub my_feedback: Option<StoredFeedback>,
    /// Every enterprise's latest feedback (the bureau; at the holder its admin, the record's faculty reviewer
    /// and the patent's linked inventors).
    pub feedback: Vec<StoredFeedback>,
    /// Whether the actor may read the enterprises' feedback on the patent (`feedback` is then complete).
    pub sees_feedback: bool,
    /// An enterprise member: may say 我有意向 and give feedback.
    pub can_act: bool,
    /// May ask the holder (an enterprise member with [`Permission::AskInquiries`]).
    pub can_ask: bool,
}

/// The feedback form as typed (codes and numbers as text), parsed by [`App::give_pool_feedback`].
#[derive(Debug, Clone, Default)]
pub struct FeedbackForm {
    /// 产业化前景, 1–5.
    pub prospect: String,
    /// 改进需求.
    pub improvement_needs: String,
    /// 合作意向 code.
    pub intent: String,
    /// Preferred cooperation mode code (with an intent).
    pub preferred_mode: String,
    /// Reason code (without an intent).
    pub reason: String,
    /// The reason's text (required for 其他).
    pub reason_text: String,
}

/// The largest pool page.
const MAX_PAGE: u32 = 100;

/// Whether the actor oversees the whole pool (the bureau, its leaders, the command line).
pub(crate) fn oversees_pool(actor: &Actor) -> bool {
    actor.is_cli() || actor.user.as_ref().is_some_and(|u| u.can(Permission::ViewAllInventory))
}

/// The enterprise member acting on the pool, or `Forbidden`.
fn enterprise_member(actor: &Actor) -> Result<&ipbridge_domain::account::User> {
    let user = actor.require(Permission::HandleMatches)?;
    if user.org_kind == OrgKind::Enterprise { Ok(user) } else { Err(ServiceError::Forbidden) }
}

/// Whether the actor may see the counts behind the tier of a patent held by `holder` (no names: any account
/// of the holder institution).
fn sees_counts_of(actor: &Actor, holder: OrgId) -> bool {
    oversees_pool(actor)
        || actor.user.as_ref().is_some_and(|u| u.org_id == holder && u.org_kind == OrgKind::Institution)
}

/// The relations through which an institution account may read feedback (see [`FeedbackReader`]), the same
/// standing the inventory grants it: admin of its institution, reviewer of its faculty, linked inventor. None
/// for accounts that take no part in the inventory (enterprises, anonymous visitors).
fn feedback_reader(actor: &Actor) -> Option<FeedbackReader> {
    let st = Standing::of(actor).ok()?;
    Some(FeedbackReader { admin_of: st.admin_of, reviewer_of: st.reviewer_of, inventor: st.inventor })
}

/// Whether an institution account may read the feedback on one pool patent: the same relations as
/// [`FeedbackReader`], checked against the patent's record (its institution and faculty) and its links.
async fn reads_feedback_on(tx: &mut Tx, actor: &Actor, entry: &PoolEntry) -> Result<bool> {
    let Some(reader) = feedback_reader(actor) else { return Ok(false) };
    if reader.admin_of == Some(entry.holder_org_id) {
        return Ok(true);
    }
    if let Some((org, faculty)) = reader.reviewer_of
        && org == entry.holder_org_id
        && tx.inventory_record(entry.record_id).await?.is_some_and(|r| r.faculty_id == Some(faculty))
    {
        return Ok(true);
    }
    match reader.inventor {
        Some(user) => Ok(tx.is_linked_inventor(user, entry.patent_id).await?),
        None => Ok(false),
    }
}

/// The pool link of a patent.
pub(crate) fn pool_link(patent: PatentId) -> String {
    format!("/pool/{patent}")
}

/// The chain selector of a chain code (its IPC prefixes from the chain table); an unknown code selects nothing.
async fn chain_selector(tx: &mut Tx, code: &str) -> Result<ChainSelector> {
    let prefixes = tx.chains().await?.into_iter().find(|c| c.code == code).map(|c| c.ipc_prefixes).unwrap_or_default();
    Ok(ChainSelector { code: code.to_owned(), ipc_prefixes: prefixes })
}

/// Tiers of some pool patents from their feedback summaries.
pub(crate) async fn summaries(tx: &mut Tx, patents: &[PatentId]) -> Result<HashMap<PatentId, FeedbackSummary>> {
    Ok(tx.feedback_summaries(patents).await?.into_iter().collect())
}

impl App {
    /// Average rating formatted for pages: "3.7" (none when nobody rated).
    pub fn average_prospect_text(summary: &FeedbackSummary) -> Option<String> {
        summary.average_prospect().map(|a| format!("{a:.1}"))
    }

    fn pool_item(&self, actor: &Actor, entry: PoolEntry, summary: FeedbackSummary) -> PoolItem {
        let tier = Tier::evaluate(&summary, &self.policy.revitalisation);
        let summary = sees_counts_of(actor, entry.holder_org_id).then_some(summary);
        PoolItem { entry, tier, summary }
    }

    /// A page of the transferable pool, for anyone (anonymous visitors included): public fields and tiers.
    pub async fn list_pool(&self, actor: &Actor, q: &PoolQuery) -> Result<PoolPage> {
        let mut tx = self.db.read().await?;
        let chain = match q.chain.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(code) => Some(chain_selector(&mut tx, code).await?),
            None => None,
        };
        let filter = PoolFilter {
            chain,
            ipc_prefix: q.ipc_prefix.clone().filter(|p| !p.trim().is_empty()),
            trl_min: q.trl_min,
            trl_max: q.trl_max,
            intent: q.intent,
            holder_org: q.holder_org,
            patents: Vec::new(),
            text: q.text.clone().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()),
            sort: q.sort,
            limit: q.limit.clamp(1, MAX_PAGE),
            offset: q.offset,
        };
        let entries = tx.list_pool(&filter).await?;
        let total = tx.count_pool(&filter).await?;
        let ids: Vec<PatentId> = entries.iter().map(|e| e.patent_id).collect();
        let by_patent = summaries(&mut tx, &ids).await?;
        let items = entries
            .into_iter()
            .map(|e| {
                let s = by_patent.get(&e.patent_id).copied().unwrap_or_default();
                self.pool_item(actor, e, s)
            })
            .collect();
        Ok(PoolPage { items, total })
    }

    /// The institutions with patents in the pool (id, name), for the list's filter.
    pub async fn pool_holders(&self) -> Result<Vec<(OrgId, String)>> {
        Ok(self.db.read().await?.pool_holders().await?)
    }

    /// One pool patent; a patent not in the pool (now) is not found. The enterprise sees its own match record
    /// and feedback; the bureau, and the holder institution's admin, the reviewer of the record's faculty and
    /// the patent's linked inventors, every enterprise's latest feedback.
    pub async fn pool_detail(&self, actor: &Actor, patent: PatentId) -> Result<PoolDetail> {
        let mut tx = self.db.read().await?;
        let entry = tx.pool_entry(patent).await?.ok_or(ServiceError::NotFound)?;
        let summary = summaries(&mut tx, &[patent]).await?.get(&patent).copied().unwrap_or_default();
        let chain_name = match &entry.chain_code {
            Some(code) => tx.chains().await?.into_iter().find(|c| &c.code == code).map(|c| c.name),
            None => None,
        };
        let enterprise = enterprise_member(actor).ok().cloned();
        let (my_match, my_feedback) = match &enterprise {
            Some(u) => {
                let m = tx.open_match_for(patent, u.org_id).await?.map(|r| (r.id, r.state));
                let filter = FeedbackFilter {
                    patent: Some(patent),
                    enterprise_org: Some(u.org_id),
                    latest_only: true,
                    limit: 1,
                    ..FeedbackFilter::default()
                };
                (m, tx.list_pool_feedback(&filter).await?.into_iter().next())
            }
            None => (None, None),
        };
        let sees_feedback = oversees_pool(actor) || reads_feedback_on(&mut tx, actor, &entry).await?;
        let feedback = if sees_feedback {
            let filter = FeedbackFilter { patent: Some(patent), latest_only: true, ..FeedbackFilter::default() };
            tx.list_pool_feedback(&filter).await?
        } else {
            Vec::new()
        };
        let can_ask = enterprise.as_ref().is_some_and(|u| u.can(Permission::AskInquiries));
        Ok(PoolDetail {
            item: self.pool_item(actor, entry, summary),
            chain_name,
            my_match,
            my_feedback,
            feedback,
            sees_feedback,
            can_act: enterprise.is_some(),
            can_ask,
        })
    }

    /// 我有意向 on a pool patent (an enterprise member): a match record of origin `enterprise_interest` with the
    /// holder institution, which is told; an open record of the pair moves to interest when the workflow
    /// allows it, or is returned as it is. Audited as `pool.interest` with the record.
    pub async fn pool_interest(&self, actor: &Actor, patent: PatentId, note: &str) -> Result<SavedMatch> {
        let user = enterprise_member(actor)?;
        let enterprise = user.org_id;
        let mut tx = self.db.begin().await?;
        let entry = tx.pool_entry(patent).await?.ok_or(ServiceError::NotFound)?;
        if let Some(r) = tx.open_match_for(patent, enterprise).await? {
            drop(tx);
            if check_transition(r.state, MatchState::Interested, MatchSide::Enterprise).is_ok() {
                let change = MatchChange { to: MatchState::Interested, reason: None, note: note.to_owned() };
                let state = self.transition_match(actor, r.id, &change).await?;
                self.record(actor.audit(
                    Action::PoolInterest,
                    "patent",
                    patent,
                    Outcome::Success,
                    json!({"match_id": r.id, "holder_org_id": entry.holder_org_id, "created": false}),
                ))
                .await?;
                return Ok(SavedMatch { id: r.id, created: false, state });
            }
            return Ok(SavedMatch { id: r.id, created: false, state: r.state });
        }
        let save = SaveMatch {
            patent_id: patent,
            enterprise_org_id: enterprise,
            demand_id: None,
            origin: MatchOrigin::EnterpriseInterest,
            score: 0.0,
            explanation: serde_json::Value::Null,
            note: note.trim().to_owned(),
        };
        if save.note.chars().count() > ipbridge_domain::matching::NOTE_MAX_CHARS {
            return Err(invalid("note", format!("说明不能超过{}个字符", ipbridge_domain::matching::NOTE_MAX_CHARS)));
        }
        let (saved, notice) = self.save_match_in(&mut tx, actor, &save, &save.note).await?;
        tx.append_audit(&actor.audit(
            Action::PoolInterest,
            "patent",
            patent,
            Outcome::Success,
            json!({"match_id": saved.id, "holder_org_id": entry.holder_org_id, "created": saved.created}),
        ))
        .await?;
        if let Some((to, notice)) = notice {
            notify_orgs(&mut tx, &to, Some(enterprise), &notice, self.now()).await?;
        }
        tx.commit().await?;
        Ok(saved)
    }

    /// An enterprise's feedback on a pool patent (产业化前景, 改进需求, 合作意向, and the reason when not
    /// interested). Linked to the pair's open match record when there is one; the holder institution is
    /// told; audited. The latest feedback of each enterprise counts for the tier.
    pub async fn give_pool_feedback(&self, actor: &Actor, patent: PatentId, form: &FeedbackForm) -> Result<FeedbackId> {
        let user = enterprise_member(actor)?;
        let feedback = parse_feedback(form)?;
        let mut tx = self.db.begin().await?;
        let entry = tx.pool_entry(patent).await?.ok_or(ServiceError::NotFound)?;
        let match_id = tx.open_match_for(patent, user.org_id).await?.map(|r| r.id);
        let now = self.now();
        let name = actor.name();
        let id = tx
            .insert_pool_feedback(
                &NewPoolFeedback {
                    patent_id: patent,
                    enterprise_org_id: user.org_id,
                    match_id,
                    feedback: &feedback,
                    by_user_id: Some(user.id),
                    by_name: &name,
                },
                now,
            )
            .await?;
        tx.append_audit(&actor.audit(
            Action::PoolFeedback,
            "pool_feedback",
            id,
            Outcome::Success,
            json!({"patent_id": patent, "enterprise_org_id": user.org_id, "match_id": match_id,
                   "prospect": feedback.prospect.value(), "intent": feedback.intent.code(),
                   "reason": feedback.not_interested.as_ref().map(|r| r.reason.code())}),
        ))
        .await?;
        let mut body = format!(
            "产业化前景：{}分（{}）；合作意向：{}。",
            feedback.prospect.value(),
            feedback.prospect.label(),
            feedback.intent.label()
        );
        if let Some(r) = &feedback.not_interested {
            body.push_str(&format!("原因：{}", r.reason.label()));
            if !r.text.is_empty() {
                body.push_str(&format!("（{}）", r.text));
            }
            body.push('。');
        }
        if !feedback.improvement_needs.is_empty() {
            body.push_str(&format!("改进需求：{}", feedback.improvement_needs));
        }
        let notice = Notice {
            kind: NotificationKind::MatchFeedback,
            title: format!("{}对专利“{}”提交了评价反馈", user.org_name, entry.title),
            body,
            link: pool_link(patent),
        };
        // Personally to those who may read the feedback (see `feedback_reader`): a notice to the whole
        // institution would show the enterprise's rating to every inventor and reviewer there.
        let holder = entry.holder_org_id;
        let faculty = tx.inventory_record(entry.record_id).await?.and_then(|r| r.faculty_id);
        let mut readers: Vec<UserId> =
            accounts_with(&mut tx, holder, Role::InstitutionAdmin, None).await?.iter().map(|u| u.id).collect();
        if let Some(f) = faculty {
            readers.extend(accounts_with(&mut tx, holder, Role::FacultyReviewer, Some(f)).await?.iter().map(|u| u.id));
        }
        readers.extend(tx.inventor_links(patent).await?.iter().map(|l| l.user_id));
        notify_users(&mut tx, holder, &readers, None, &notice, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Feedback the actor may read: an enterprise its own; an institution account that on the patents it is
    /// the admin of the holder, the reviewer of the record's faculty or a linked inventor of; the bureau all
    /// (each enterprise's latest per patent when `latest_only`).
    pub async fn list_pool_feedback(&self, actor: &Actor, filter: &FeedbackFilter) -> Result<Vec<StoredFeedback>> {
        let mut filter = filter.clone();
        if !oversees_pool(actor) {
            let user = actor.user()?;
            match user.org_kind {
                OrgKind::Enterprise if user.can(Permission::HandleMatches) => filter.enterprise_org = Some(user.org_id),
                OrgKind::Institution => match feedback_reader(actor) {
                    Some(reader) => filter.reader = Some(reader),
                    None => return Err(ServiceError::Forbidden),
                },
                _ => return Err(ServiceError::Forbidden),
            }
        }
        Ok(self.db.read().await?.list_pool_feedback(&filter).await?)
    }
}

/// Parses the feedback form; every problem is reported on its field.
pub fn parse_feedback(form: &FeedbackForm) -> Result<PoolFeedback> {
    let mut errors = FieldErrors::new();
    let prospect = match form.prospect.trim() {
        "" => None,
        t => match t.parse::<u8>() {
            Ok(v) => Some(v),
            Err(_) => {
                errors.add("prospect", "产业化前景应为1–5分");
                None
            }
        },
    };
    let intent = match form.intent.trim() {
        "" => None,
        t => match t.parse::<CooperationIntent>() {
            Ok(i) => Some(i),
            Err(_) => {
                errors.add("intent", "合作意向不在可选范围内，请重新选择");
                None
            }
        },
    };
    let mode = match form.preferred_mode.trim() {
        "" => None,
        t => match t.parse::<CooperationMode>() {
            Ok(m) => Some(m),
            Err(_) => {
                errors.add("preferred_mode", "合作方式不在可选范围内，请重新选择");
                None
            }
        },
    };
    let reason = match form.reason.trim() {
        "" => None,
        t => match t.parse::<NotInterestedReason>() {
            Ok(r) => Some(r),
            Err(_) => {
                errors.add("reason", "无意向的原因不在可选范围内，请重新选择");
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    PoolFeedback::new(prospect, &form.improvement_needs, intent, mode, reason, &form.reason_text).map_err(|e| {
        let field = match e {
            PoolFeedbackError::MissingProspect | PoolFeedbackError::ProspectRange => "prospect",
            PoolFeedbackError::MissingIntent => "intent",
            PoolFeedbackError::ImprovementTooLong => "improvement_needs",
            PoolFeedbackError::Reason(_) => "reason",
        };
        invalid(field, e.to_string())
    })
}
