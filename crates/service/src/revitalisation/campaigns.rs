//! Push campaigns (推送批次): the bureau pushes pool patents to enterprises chosen by the matcher, by chain or
//! by hand. One campaign is one transaction: the campaign, a match record of origin `push` per enterprise ×
//! patent (an open record of the same pair is linked instead of duplicated), the audit records and one notice
//! per enterprise.

use std::collections::HashMap;

use ipbridge_domain::Permission;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::ids::{CampaignId, MatchId, OrgId, PatentId};
use ipbridge_domain::matching::{MatchOrigin, MatchState};
use ipbridge_domain::notification::NotificationKind;
use ipbridge_domain::org::OrgKind;
use ipbridge_domain::revitalisation::{CampaignError, CampaignSelection, check_campaign};
use ipbridge_store::{
    AuditStore, ChainStore, FeedbackFilter, NewCampaign, OrgFilter, OrgStore, PoolStore, StoredFeedback,
};
/// The store's campaign types pages work with.
pub use ipbridge_store::{Campaign, CampaignItem};
use serde_json::json;

use crate::error::invalid;
use crate::matches::SaveMatch;
use crate::notifications::{Notice, notify_orgs};
use crate::search::EnterpriseMatchView;
use crate::{Actor, App, Result, ServiceError};

/// Longest campaign note, in characters.
pub const CAMPAIGN_NOTE_MAX_CHARS: usize = 500;

/// How many matcher candidates are offered per patent.
pub const MATCH_CANDIDATES: usize = 20;

/// How many of the best matcher candidates the form ticks to begin with, as a patent's enterprise page
/// (`/patents/{id}/enterprises`) does: the officer confirms the obvious choice and adds others by hand.
pub const PRESELECTED_CANDIDATES: usize = 3;

/// A campaign to create.
#[derive(Debug, Clone)]
pub struct CampaignForm {
    /// 批次名称.
    pub title: String,
    /// How the enterprises were chosen.
    pub selection: CampaignSelection,
    /// The chain, for a chain campaign.
    pub chain_code: Option<String>,
    /// 备注.
    pub note: String,
    /// The pool patents pushed.
    pub patents: Vec<PatentId>,
    /// The enterprises they are pushed to.
    pub enterprises: Vec<OrgId>,
}

/// A campaign with its pushes and the feedback given on them.
#[derive(Debug, Clone)]
pub struct CampaignView {
    /// The campaign and its figures.
    pub campaign: Campaign,
    /// Its pushes.
    pub items: Vec<CampaignItem>,
    /// The feedback given on its pushes, newest first.
    pub feedback: Vec<StoredFeedback>,
}

/// What the campaign was created with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreatedCampaign {
    /// The campaign.
    pub id: CampaignId,
    /// New push records.
    pub created: usize,
    /// Open records of the same pair that were linked instead.
    pub linked: usize,
}

fn dedup<T: PartialEq + Copy>(v: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(v.len());
    for x in v {
        if !out.contains(x) {
            out.push(*x);
        }
    }
    out
}

impl App {
    /// The matcher's best enterprises for each pool patent (the bureau), to pick a campaign's enterprises from.
    pub async fn campaign_candidates(
        &self,
        actor: &Actor,
        patents: &[PatentId],
    ) -> Result<Vec<(PatentId, Vec<EnterpriseMatchView>)>> {
        actor.authorise(Permission::ManageCampaigns)?;
        let mut out = Vec::with_capacity(patents.len());
        for p in dedup(patents) {
            out.push((p, self.match_enterprises(actor, p, MATCH_CANDIDATES).await?));
        }
        Ok(out)
    }

    /// Active enterprises that name a chain in their profile (the bureau), for a chain campaign.
    pub async fn chain_enterprises(&self, actor: &Actor, chain_code: &str) -> Result<Vec<(OrgId, String)>> {
        actor.authorise(Permission::ManageCampaigns)?;
        Ok(self.db.read().await?.enterprises_in_chain(chain_code).await?)
    }

    /// Every active enterprise (the bureau), for picking by hand.
    pub async fn campaign_enterprises(&self, actor: &Actor) -> Result<Vec<(OrgId, String)>> {
        actor.authorise(Permission::ManageCampaigns)?;
        let filter = OrgFilter { kind: Some(OrgKind::Enterprise), ..OrgFilter::default() };
        let orgs = self.db.read().await?.list_orgs(&filter).await?;
        Ok(orgs.into_iter().filter(|o| o.active).map(|o| (o.id, o.name)).collect())
    }

    /// Creates a campaign (the bureau): checks the title, the chain and that every patent is in the pool, then
    /// pushes each patent to each enterprise in one transaction. A matcher campaign stores the matcher's score
    /// and reasons with each push (recomputed here: the page's copy is not trusted).
    pub async fn create_campaign(&self, actor: &Actor, form: &CampaignForm) -> Result<CreatedCampaign> {
        actor.authorise(Permission::ManageCampaigns)?;
        let patents = dedup(&form.patents);
        let enterprises = dedup(&form.enterprises);
        let chain_code = form.chain_code.as_deref().map(str::trim).filter(|c| !c.is_empty());
        let title =
            check_campaign(&form.title, form.selection, chain_code, patents.len(), enterprises.len()).map_err(|e| {
                let field = match e {
                    CampaignError::TitleEmpty | CampaignError::TitleTooLong => "title",
                    CampaignError::ChainMissing => "chain_code",
                    CampaignError::Empty => {
                        if patents.is_empty() {
                            "patents"
                        } else {
                            "enterprises"
                        }
                    }
                };
                invalid(field, e.to_string())
            })?;
        let note = form.note.trim();
        if note.chars().count() > CAMPAIGN_NOTE_MAX_CHARS {
            return Err(invalid("note", format!("备注不能超过{CAMPAIGN_NOTE_MAX_CHARS}个字符")));
        }
        // A chain is recorded only for a chain campaign, and must be one of the platform's chains.
        let chain_code = if form.selection == CampaignSelection::Chain { chain_code } else { None };
        if let Some(code) = chain_code {
            let chains = self.db.read().await?.chains().await?;
            if !chains.iter().any(|c| c.code == code) {
                return Err(invalid("chain_code", "所选产业链不存在"));
            }
        }
        let mut scores: HashMap<(PatentId, OrgId), (f32, serde_json::Value)> = HashMap::new();
        if form.selection == CampaignSelection::Matching {
            for p in &patents {
                if self.db.read().await?.pool_entry(*p).await?.is_none() {
                    continue; // reported below, inside the transaction
                }
                for e in self.match_enterprises(actor, *p, 100).await? {
                    let explanation = json!({
                        "kind": "enterprise_for_patent",
                        "relative": e.relative,
                        "reasons": e.reasons,
                        "shared_ipc": e.shared_ipc,
                        "shared_chains": e.shared_chains,
                    });
                    scores.insert((*p, OrgId::new(e.org_id)), (e.score, explanation));
                }
            }
        }
        let mut tx = self.db.begin().await?;
        let mut titles: Vec<String> = Vec::with_capacity(patents.len());
        for p in &patents {
            match tx.pool_entry(*p).await? {
                Some(e) => titles.push(e.title),
                None => return Err(invalid("patents", format!("专利 #{p} 不在可转化专利资源库中，不能推送"))),
            }
        }
        let now = self.now();
        let name = actor.name();
        let id = tx
            .insert_campaign(
                &NewCampaign {
                    title: &title,
                    selection: form.selection,
                    chain_code,
                    note,
                    created_by_user_id: actor.user.as_ref().map(|u| u.id),
                    created_by_name: &name,
                },
                now,
            )
            .await?;
        let (mut created, mut linked) = (0usize, 0usize);
        let mut pushed_to: HashMap<OrgId, Vec<(MatchId, String)>> = HashMap::new();
        for (p, patent_title) in patents.iter().zip(&titles) {
            for e in &enterprises {
                let (score, explanation) = scores
                    .get(&(*p, *e))
                    .cloned()
                    .unwrap_or_else(|| (0.0, json!({"kind": "campaign", "campaign_id": id})));
                let save = SaveMatch {
                    patent_id: *p,
                    enterprise_org_id: *e,
                    demand_id: None,
                    origin: MatchOrigin::Push,
                    score,
                    explanation,
                    note: format!("推送批次：{title}"),
                };
                // The per-record notice is replaced by one notice per enterprise for the whole campaign.
                let (saved, _notice) =
                    self.save_match_in(&mut tx, actor, &save, &save.note).await.map_err(|err| match err {
                        ServiceError::Invalid(f) => {
                            let message = f.0.values().flatten().cloned().collect::<Vec<_>>().join("；");
                            invalid("enterprises", message)
                        }
                        other => other,
                    })?;
                tx.add_campaign_item(id, saved.id, saved.created).await?;
                if saved.created {
                    created += 1;
                    pushed_to.entry(*e).or_default().push((saved.id, patent_title.clone()));
                } else {
                    linked += 1;
                }
            }
        }
        tx.append_audit(&actor.audit(
            Action::CampaignCreate,
            "push_campaign",
            id,
            Outcome::Success,
            json!({"title": title, "selection": form.selection.code(), "chain_code": chain_code,
                   "patents": patents, "enterprises": enterprises, "created": created, "linked": linked}),
        ))
        .await?;
        let except = actor.user.as_ref().map(|u| u.org_id);
        for (org, records) in &pushed_to {
            let (title_line, link) = match records.as_slice() {
                [(record, patent_title)] => (format!("为您推荐专利：{patent_title}"), format!("/matches/{record}")),
                _ => (format!("市场监管局向您推送了{}件专利", records.len()), "/matches?origin=push".to_owned()),
            };
            let names: Vec<&str> = records.iter().map(|(_, t)| t.as_str()).collect();
            let notice = Notice {
                kind: NotificationKind::MatchProposed,
                title: title_line,
                body: format!(
                    "推送批次“{title}”：{}。请在“推送给我的专利”中查看，反馈是否有意向并评价产业化前景。",
                    names.join("、")
                ),
                link,
            };
            notify_orgs(&mut tx, &[Some(*org)], except, &notice, now).await?;
        }
        tx.commit().await?;
        Ok(CreatedCampaign { id, created, linked })
    }

    /// A page of campaigns with their figures, newest first (the bureau).
    pub async fn list_campaigns(&self, actor: &Actor, limit: u32, offset: u32) -> Result<(Vec<Campaign>, u64)> {
        actor.authorise(Permission::ManageCampaigns)?;
        let mut tx = self.db.read().await?;
        let all = tx.list_campaigns(0, 0).await?;
        let total = u64::try_from(all.len()).unwrap_or(u64::MAX);
        let page = all.into_iter().skip(offset as usize).take(if limit == 0 { usize::MAX } else { limit as usize });
        Ok((page.collect(), total))
    }

    /// One campaign with its pushes (enterprise, state, viewed) and the feedback given on them (the bureau).
    pub async fn campaign_view(&self, actor: &Actor, id: CampaignId) -> Result<CampaignView> {
        actor.authorise(Permission::ManageCampaigns)?;
        let mut tx = self.db.read().await?;
        let campaign = tx.campaign(id).await?.ok_or(ServiceError::NotFound)?;
        let items = tx.campaign_items(id).await?;
        let feedback =
            tx.list_pool_feedback(&FeedbackFilter { campaign: Some(id), ..FeedbackFilter::default() }).await?;
        Ok(CampaignView { campaign, items, feedback })
    }
}

/// Whether the enterprise has opened a push (anything past 已推荐).
pub fn push_viewed(state: MatchState) -> bool {
    state != MatchState::Proposed
}
