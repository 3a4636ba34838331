//! The transferable pool (可转化专利资源库) as enterprises and visitors browse it, push campaigns, and enterprise
//! feedback with the per-patent summary the tier is computed from.

use chrono::{DateTime, NaiveDate, Utc};
use ipbridge_domain::Money;
use ipbridge_domain::ids::{CampaignId, FacultyId, FeedbackId, InventoryRecordId, MatchId, OrgId, PatentId, UserId};
use ipbridge_domain::matching::{MatchState, NotInterestedFeedback};
use ipbridge_domain::patent::PatentType;
use ipbridge_domain::revitalisation::{
    CampaignSelection, FeedbackSummary, IndustrialisationProspect, PatentBrief, PoolFeedback, PriceRange,
    ProspectLevel, TransferIntent, Trl,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use super::{corrupt, count, ipc_like, opt_date_from, push_text_filter};
use crate::{Result, Tx, time};

/// Records in the pool that enterprises may still take: in the transferable pool, the patent in force, and
/// its ownership not already passed on by an effective assignment or equity contribution (a licence leaves
/// the patent available for further licences, so it stays listed).
const POOL_FROM: &str = " FROM inventory_records r JOIN patents p ON p.id = r.patent_id \
     JOIN orgs o ON o.id = r.org_id \
     WHERE r.state = 'transferable_pool' AND p.in_force = 1 \
     AND NOT EXISTS (SELECT 1 FROM deal_patents dp JOIN deals d ON d.id = dp.deal_id \
         WHERE dp.patent_id = p.id AND d.status = 'effective' AND d.kind IN ('assignment', 'equity_contribution'))";

/// Only what is public: the record's contact person is left out on purpose (enterprises reach the holder
/// through 我有意向 and inquiries, which are recorded).
const POOL_COLUMNS: &str = "SELECT r.id AS record_id, r.patent_id, p.application_no, p.title, p.patent_type, \
     p.filing_date, p.grant_date, p.main_ipc, r.org_id AS holder_org_id, o.name AS holder_name, \
     o.county_code, r.transfer_intent, r.already_implemented, r.prospect_level, r.problem_solved, r.advantage, \
     r.trl, r.application_fields, r.route_to_market, r.price_min_fen, r.price_max_fen, r.chain_code, r.pooled_at";

/// A pool patent with its non-confidential fields only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolEntry {
    /// The inventory record.
    pub record_id: InventoryRecordId,
    /// The patent.
    pub patent_id: PatentId,
    /// Its application number.
    pub application_no: String,
    /// Its title.
    pub title: String,
    /// Its type.
    pub patent_type: PatentType,
    /// 申请日.
    pub filing_date: Option<NaiveDate>,
    /// 授权公告日.
    pub grant_date: Option<NaiveDate>,
    /// 主分类号.
    pub main_ipc: Option<String>,
    /// The institution offering it.
    pub holder_org_id: OrgId,
    /// Its name.
    pub holder_name: String,
    /// Its county.
    pub county_code: Option<String>,
    /// 转化意愿.
    pub transfer_intent: Option<TransferIntent>,
    /// 已实施.
    pub already_implemented: bool,
    /// The institution's prospect self-grade.
    pub prospect: Option<ProspectLevel>,
    /// The brief.
    pub brief: PatentBrief,
    /// 预期价格.
    pub price: PriceRange,
    /// The chain it is filed under.
    pub chain_code: Option<String>,
    /// When it entered the pool.
    pub pooled_at: Option<DateTime<Utc>>,
}

/// A chain as a pool filter: patents filed under its code, or with an IPC code under one of its prefixes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChainSelector {
    /// The chain's code.
    pub code: String,
    /// Its IPC prefixes (from `industry_chains`).
    pub ipc_prefixes: Vec<String>,
}

/// Orders of the pool list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PoolSort {
    /// Latest into the pool first.
    #[default]
    RecentlyPooled,
    /// Most mature first.
    Maturity,
    /// Newest filing first.
    FilingDate,
}

/// Which pool patents a list shows. Filters are values, never SQL.
#[derive(Debug, Clone, Default)]
pub struct PoolFilter {
    /// Only this chain.
    pub chain: Option<ChainSelector>,
    /// Only patents with an IPC code under this prefix (hierarchical: `A23F3` is not `A23F30`).
    pub ipc_prefix: Option<String>,
    /// Only at least this mature.
    pub trl_min: Option<Trl>,
    /// Only at most this mature.
    pub trl_max: Option<Trl>,
    /// Only this transfer intent.
    pub intent: Option<TransferIntent>,
    /// Only this institution's.
    pub holder_org: Option<OrgId>,
    /// Only these patents (a campaign's or a roadshow's choice); empty: no restriction.
    pub patents: Vec<PatentId>,
    /// Title, application number, holder or brief contains (the LIKE fallback of the search index).
    pub text: Option<String>,
    /// Order.
    pub sort: PoolSort,
    /// Page size; 0 means no limit.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// A campaign to insert.
#[derive(Debug, Clone)]
pub struct NewCampaign<'a> {
    /// 批次名称 (checked with `check_campaign`).
    pub title: &'a str,
    /// How enterprises were chosen.
    pub selection: CampaignSelection,
    /// The chain, for a chain campaign.
    pub chain_code: Option<&'a str>,
    /// 备注.
    pub note: &'a str,
    /// Account that pushed.
    pub created_by_user_id: Option<UserId>,
    /// Its login name.
    pub created_by_name: &'a str,
}

/// A campaign with how its pushes fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    /// Row id.
    pub id: CampaignId,
    /// 批次名称.
    pub title: String,
    /// How enterprises were chosen.
    pub selection: CampaignSelection,
    /// The chain.
    pub chain_code: Option<String>,
    /// 备注.
    pub note: String,
    /// Login name of who pushed.
    pub created_by_name: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Pushes (match records) in it.
    pub pushes: u64,
    /// Pushes the enterprise acted on (opened, answered).
    pub opened: u64,
    /// Pushes now in interest or beyond (有意向、已联系、洽谈中、已成交).
    pub interested: u64,
    /// Pushes refused (无意向).
    pub not_interested: u64,
    /// Feedback forms given on its pushes.
    pub feedback: u64,
}

/// One push of a campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignItem {
    /// The match record.
    pub match_id: MatchId,
    /// The patent.
    pub patent_id: PatentId,
    /// Its application number.
    pub application_no: String,
    /// Its title.
    pub patent_title: String,
    /// The enterprise.
    pub enterprise_org_id: OrgId,
    /// Its name.
    pub enterprise_name: String,
    /// Where the match record stands.
    pub state: MatchState,
    /// Whether this campaign created the record (false: it linked an open record of the same pair).
    pub created_match: bool,
}

/// Feedback to insert.
#[derive(Debug, Clone)]
pub struct NewPoolFeedback<'a> {
    /// The patent.
    pub patent_id: PatentId,
    /// The enterprise.
    pub enterprise_org_id: OrgId,
    /// The push or interest it answers.
    pub match_id: Option<MatchId>,
    /// The checked feedback.
    pub feedback: &'a PoolFeedback,
    /// Account giving it.
    pub by_user_id: Option<UserId>,
    /// Its login name.
    pub by_name: &'a str,
}

/// Stored feedback with names joined in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFeedback {
    /// Row id.
    pub id: FeedbackId,
    /// The patent.
    pub patent_id: PatentId,
    /// Its application number.
    pub application_no: String,
    /// Its title.
    pub patent_title: String,
    /// The enterprise.
    pub enterprise_org_id: OrgId,
    /// Its name.
    pub enterprise_name: String,
    /// The push or interest it answers.
    pub match_id: Option<MatchId>,
    /// The feedback.
    pub feedback: PoolFeedback,
    /// Login name of who gave it.
    pub by_name: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Which feedback a list shows.
#[derive(Debug, Clone, Default)]
pub struct FeedbackFilter {
    /// Only on this patent.
    pub patent: Option<PatentId>,
    /// Only from this enterprise.
    pub enterprise_org: Option<OrgId>,
    /// Only on patents this institution's records cover.
    pub holder_org: Option<OrgId>,
    /// Only on this campaign's pushes.
    pub campaign: Option<CampaignId>,
    /// Only on the patents this institution account may read feedback on.
    pub reader: Option<FeedbackReader>,
    /// Only each enterprise's latest feedback per patent.
    pub latest_only: bool,
    /// Page size; 0 means no limit.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// An institution account's relations to pool records, any of which lets it read the feedback on a patent:
/// the admin of the record's institution, the reviewer of the record's faculty, an inventor linked to the
/// patent. Feedback names the enterprise and who gave it, so it goes no wider than the record's own people.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedbackReader {
    /// Administrator of this institution: every record it holds.
    pub admin_of: Option<OrgId>,
    /// Reviewer of this faculty of this institution: the records naming the faculty.
    pub reviewer_of: Option<(OrgId, FacultyId)>,
    /// This inventor account: the patents linked to it.
    pub inventor: Option<UserId>,
}

/// The pool, campaigns and feedback.
pub trait PoolStore {
    /// A page of pool patents.
    async fn list_pool(&mut self, filter: &PoolFilter) -> Result<Vec<PoolEntry>>;
    /// How many pool patents match (ignoring paging).
    async fn count_pool(&mut self, filter: &PoolFilter) -> Result<u64>;
    /// The institutions holding listed pool patents (id, name), by name: the pool list's filter, without
    /// reading the entries.
    async fn pool_holders(&mut self) -> Result<Vec<(OrgId, String)>>;
    /// One patent, if it is in the pool now.
    async fn pool_entry(&mut self, patent: PatentId) -> Result<Option<PoolEntry>>;
    /// Active enterprises that name a chain in their profile (push by chain).
    async fn enterprises_in_chain(&mut self, chain_code: &str) -> Result<Vec<(OrgId, String)>>;
    /// Inserts a campaign.
    async fn insert_campaign(&mut self, new: &NewCampaign<'_>, now: DateTime<Utc>) -> Result<CampaignId>;
    /// Adds a push (a match record) to a campaign; adding it twice is a no-op.
    async fn add_campaign_item(&mut self, campaign: CampaignId, match_id: MatchId, created_match: bool) -> Result<()>;
    /// One campaign with its figures.
    async fn campaign(&mut self, id: CampaignId) -> Result<Option<Campaign>>;
    /// A page of campaigns, newest first.
    async fn list_campaigns(&mut self, limit: u32, offset: u32) -> Result<Vec<Campaign>>;
    /// A campaign's pushes.
    async fn campaign_items(&mut self, id: CampaignId) -> Result<Vec<CampaignItem>>;
    /// Inserts feedback.
    async fn insert_pool_feedback(&mut self, new: &NewPoolFeedback<'_>, now: DateTime<Utc>) -> Result<FeedbackId>;
    /// A page of feedback, newest first.
    async fn list_pool_feedback(&mut self, filter: &FeedbackFilter) -> Result<Vec<StoredFeedback>>;
    /// Interest and ratings per patent (see [`FeedbackSummary`]), in the order of `patents` (each once).
    async fn feedback_summaries(&mut self, patents: &[PatentId]) -> Result<Vec<(PatentId, FeedbackSummary)>>;
}

fn entry_from_row(row: &SqliteRow) -> Result<PoolEntry> {
    let b = |c: &str, e: &dyn std::fmt::Display| corrupt(&format!("inventory_records.{c}"), e);
    let patent_type: String = row.try_get("patent_type")?;
    let intent: Option<String> = row.try_get("transfer_intent")?;
    let prospect: Option<i64> = row.try_get("prospect_level")?;
    let trl: Option<i64> = row.try_get("trl")?;
    Ok(PoolEntry {
        record_id: InventoryRecordId::new(row.try_get("record_id")?),
        patent_id: PatentId::new(row.try_get("patent_id")?),
        application_no: row.try_get("application_no")?,
        title: row.try_get("title")?,
        patent_type: patent_type.parse().map_err(|_| b("patent_type", &patent_type))?,
        filing_date: opt_date_from(row.try_get("filing_date")?)?,
        grant_date: opt_date_from(row.try_get("grant_date")?)?,
        main_ipc: row.try_get("main_ipc")?,
        holder_org_id: OrgId::new(row.try_get("holder_org_id")?),
        holder_name: row.try_get("holder_name")?,
        county_code: row.try_get("county_code")?,
        transfer_intent: intent.map(|s| s.parse()).transpose().map_err(|e| b("transfer_intent", &e))?,
        already_implemented: row.try_get("already_implemented")?,
        prospect: prospect
            .map(|l| u8::try_from(l).map(ProspectLevel::from_stored))
            .transpose()
            .map_err(|e| b("prospect_level", &e))?,
        brief: PatentBrief {
            problem_solved: row.try_get("problem_solved")?,
            advantage: row.try_get("advantage")?,
            maturity: trl
                .map(|t| u8::try_from(t).map_err(|e| e.to_string()).and_then(Trl::new))
                .transpose()
                .map_err(|e| b("trl", &e))?,
            application_fields: row.try_get("application_fields")?,
            route_to_market: row.try_get("route_to_market")?,
        },
        price: PriceRange {
            min: row.try_get::<Option<i64>, _>("price_min_fen")?.map(Money::from_fen),
            max: row.try_get::<Option<i64>, _>("price_max_fen")?.map(Money::from_fen),
        },
        chain_code: row.try_get("chain_code")?,
        pooled_at: time::opt_from_text(row.try_get("pooled_at")?)?,
    })
}

fn push_pool_filter(qb: &mut QueryBuilder<Sqlite>, f: &PoolFilter) {
    if let Some(chain) = &f.chain {
        qb.push(" AND (r.chain_code = ").push_bind(chain.code.clone());
        if !chain.ipc_prefixes.is_empty() {
            qb.push(" OR EXISTS (SELECT 1 FROM patent_ipc pi WHERE pi.patent_id = p.id AND (");
            for (i, prefix) in chain.ipc_prefixes.iter().enumerate() {
                if i > 0 {
                    qb.push(" OR ");
                }
                qb.push("pi.code LIKE ").push_bind(ipc_like(prefix)).push(" ESCAPE '\\'");
            }
            qb.push("))");
        }
        qb.push(")");
    }
    if let Some(prefix) = f.ipc_prefix.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        qb.push(" AND EXISTS (SELECT 1 FROM patent_ipc pi WHERE pi.patent_id = p.id AND pi.code LIKE ")
            .push_bind(ipc_like(prefix))
            .push(" ESCAPE '\\')");
    }
    if let Some(min) = f.trl_min {
        qb.push(" AND r.trl >= ").push_bind(i64::from(min.level()));
    }
    if let Some(max) = f.trl_max {
        qb.push(" AND r.trl <= ").push_bind(i64::from(max.level()));
    }
    if let Some(intent) = f.intent {
        qb.push(" AND r.transfer_intent = ").push_bind(intent.code());
    }
    if let Some(org) = f.holder_org {
        qb.push(" AND r.org_id = ").push_bind(org.get());
    }
    if !f.patents.is_empty() {
        qb.push(" AND r.patent_id IN (");
        let mut list = qb.separated(", ");
        for p in &f.patents {
            list.push_bind(p.get());
        }
        qb.push(")");
    }
    if let Some(text) = f.text.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        push_text_filter(
            qb,
            &[
                "p.title",
                "p.application_no",
                "o.name",
                "r.problem_solved",
                "r.advantage",
                "r.application_fields",
                "r.route_to_market",
            ],
            text,
        );
    }
}

const CAMPAIGN_COLUMNS: &str = "SELECT c.id, c.title, c.selection, c.chain_code, c.note, c.created_by_name, \
     c.created_at, \
     (SELECT count(*) FROM campaign_items i WHERE i.campaign_id = c.id) AS pushes, \
     (SELECT count(*) FROM campaign_items i WHERE i.campaign_id = c.id AND EXISTS \
        (SELECT 1 FROM match_events e WHERE e.match_id = i.match_id AND e.side = 'enterprise')) AS opened, \
     (SELECT count(*) FROM campaign_items i JOIN match_records m ON m.id = i.match_id WHERE i.campaign_id = c.id \
        AND m.state IN ('interested', 'in_contact', 'negotiating', 'deal')) AS interested, \
     (SELECT count(*) FROM campaign_items i JOIN match_records m ON m.id = i.match_id WHERE i.campaign_id = c.id \
        AND m.state = 'not_interested') AS not_interested, \
     (SELECT count(*) FROM pool_feedback f WHERE f.match_id IN \
        (SELECT i.match_id FROM campaign_items i WHERE i.campaign_id = c.id)) AS feedback \
     FROM push_campaigns c";

fn campaign_from_row(r: &SqliteRow) -> Result<Campaign> {
    let selection: String = r.try_get("selection")?;
    Ok(Campaign {
        id: CampaignId::new(r.try_get("id")?),
        title: r.try_get("title")?,
        selection: selection.parse().map_err(|e| corrupt("push_campaigns.selection", e))?,
        chain_code: r.try_get("chain_code")?,
        note: r.try_get("note")?,
        created_by_name: r.try_get("created_by_name")?,
        created_at: time::from_text(&r.try_get::<String, _>("created_at")?)?,
        pushes: count(r.try_get("pushes")?),
        opened: count(r.try_get("opened")?),
        interested: count(r.try_get("interested")?),
        not_interested: count(r.try_get("not_interested")?),
        feedback: count(r.try_get("feedback")?),
    })
}

const FEEDBACK_COLUMNS: &str = "SELECT f.id, f.patent_id, p.application_no, p.title AS patent_title, \
     f.enterprise_org_id, e.name AS enterprise_name, f.match_id, f.prospect, f.improvement_needs, \
     f.cooperation_intent, f.cooperation_mode, f.not_interested_reason, f.reason_text, f.by_name, f.created_at \
     FROM pool_feedback f JOIN patents p ON p.id = f.patent_id JOIN orgs e ON e.id = f.enterprise_org_id";

fn feedback_from_row(r: &SqliteRow) -> Result<StoredFeedback> {
    let b = |c: &str, e: &dyn std::fmt::Display| corrupt(&format!("pool_feedback.{c}"), e);
    let prospect: i64 = r.try_get("prospect")?;
    let intent: String = r.try_get("cooperation_intent")?;
    let mode: Option<String> = r.try_get("cooperation_mode")?;
    let reason: Option<String> = r.try_get("not_interested_reason")?;
    let prospect = u8::try_from(prospect)
        .ok()
        .and_then(|v| IndustrialisationProspect::new(v).ok())
        .ok_or_else(|| b("prospect", &prospect))?;
    Ok(StoredFeedback {
        id: FeedbackId::new(r.try_get("id")?),
        patent_id: PatentId::new(r.try_get("patent_id")?),
        application_no: r.try_get("application_no")?,
        patent_title: r.try_get("patent_title")?,
        enterprise_org_id: OrgId::new(r.try_get("enterprise_org_id")?),
        enterprise_name: r.try_get("enterprise_name")?,
        match_id: r.try_get::<Option<i64>, _>("match_id")?.map(MatchId::new),
        feedback: PoolFeedback {
            prospect,
            improvement_needs: r.try_get("improvement_needs")?,
            intent: intent.parse().map_err(|e| b("cooperation_intent", &e))?,
            preferred_mode: mode.map(|m| m.parse()).transpose().map_err(|e| b("cooperation_mode", &e))?,
            not_interested: reason
                .map(|reason| -> Result<NotInterestedFeedback> {
                    Ok(NotInterestedFeedback {
                        reason: reason.parse().map_err(|e| b("not_interested_reason", &e))?,
                        text: r.try_get("reason_text")?,
                    })
                })
                .transpose()?,
        },
        by_name: r.try_get("by_name")?,
        created_at: time::from_text(&r.try_get::<String, _>("created_at")?)?,
    })
}

/// Interest and ratings per patent. An enterprise's latest signal decides whether it counts as interested:
/// a feedback row (intent or none) or a match record's state change into interest or out of it; on the same
/// instant the feedback wins. Ratings are each enterprise's latest feedback.
const FEEDBACK_SUMMARIES: &str = "\
WITH ids (patent_id) AS (SELECT DISTINCT CAST(value AS INTEGER) FROM json_each(?1)),
signals (patent_id, enterprise_org_id, at, seq, interested) AS (
    SELECT f.patent_id, f.enterprise_org_id, f.created_at, f.id, f.cooperation_intent <> 'none'
    FROM pool_feedback f JOIN ids ON ids.patent_id = f.patent_id
    UNION ALL
    SELECT m.patent_id, m.enterprise_org_id, m.state_changed_at, 0,
           m.state IN ('interested', 'in_contact', 'negotiating', 'deal')
    FROM match_records m JOIN ids ON ids.patent_id = m.patent_id
    WHERE m.state IN ('interested', 'not_interested', 'in_contact', 'negotiating', 'deal', 'closed')
),
latest_signal AS (
    SELECT patent_id, interested,
           row_number() OVER (PARTITION BY patent_id, enterprise_org_id ORDER BY at DESC, seq DESC) AS rn
    FROM signals
),
latest_feedback AS (
    SELECT f.patent_id, f.prospect,
           row_number() OVER (PARTITION BY f.patent_id, f.enterprise_org_id ORDER BY f.id DESC) AS rn
    FROM pool_feedback f JOIN ids ON ids.patent_id = f.patent_id
)
SELECT ids.patent_id,
       (SELECT count(*) FROM latest_signal s WHERE s.patent_id = ids.patent_id AND s.rn = 1 AND s.interested) AS interested,
       (SELECT count(*) FROM latest_feedback l WHERE l.patent_id = ids.patent_id AND l.rn = 1) AS ratings,
       (SELECT COALESCE(sum(l.prospect), 0) FROM latest_feedback l WHERE l.patent_id = ids.patent_id AND l.rn = 1)
           AS prospect_sum
FROM ids";

impl PoolStore for Tx {
    async fn list_pool(&mut self, f: &PoolFilter) -> Result<Vec<PoolEntry>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{POOL_COLUMNS}{POOL_FROM}"));
        push_pool_filter(&mut qb, f);
        qb.push(match f.sort {
            PoolSort::RecentlyPooled => " ORDER BY r.pooled_at DESC, r.id DESC",
            PoolSort::Maturity => " ORDER BY r.trl DESC NULLS LAST, r.pooled_at DESC, r.id DESC",
            PoolSort::FilingDate => " ORDER BY p.filing_date DESC, r.id DESC",
        });
        if f.limit > 0 {
            qb.push(" LIMIT ").push_bind(i64::from(f.limit)).push(" OFFSET ").push_bind(i64::from(f.offset));
        }
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(entry_from_row).collect()
    }

    async fn count_pool(&mut self, f: &PoolFilter) -> Result<u64> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("SELECT count(*){POOL_FROM}"));
        push_pool_filter(&mut qb, f);
        let n: i64 = qb.build_query_scalar().fetch_one(self.conn()).await?;
        Ok(count(n))
    }

    async fn pool_holders(&mut self) -> Result<Vec<(OrgId, String)>> {
        // POOL_FROM keeps the listing rule in one place, so the filter offers exactly the holders the list shows.
        let mut qb =
            QueryBuilder::<Sqlite>::new(format!("SELECT DISTINCT o.id, o.name{POOL_FROM} ORDER BY o.name, o.id"));
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(|r| Ok((OrgId::new(r.try_get("id")?), r.try_get("name")?))).collect()
    }

    async fn pool_entry(&mut self, patent: PatentId) -> Result<Option<PoolEntry>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{POOL_COLUMNS}{POOL_FROM} AND r.patent_id = "));
        qb.push_bind(patent.get());
        let row = qb.build().fetch_optional(self.conn()).await?;
        row.as_ref().map(entry_from_row).transpose()
    }

    async fn enterprises_in_chain(&mut self, chain_code: &str) -> Result<Vec<(OrgId, String)>> {
        let rows = sqlx::query(
            "SELECT o.id, o.name FROM orgs o WHERE o.kind = 'enterprise' AND o.active = 1 \
             AND EXISTS (SELECT 1 FROM json_each(o.chain_codes) j WHERE j.value = ?1) ORDER BY o.name",
        )
        .bind(chain_code)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(|r| Ok((OrgId::new(r.try_get("id")?), r.try_get("name")?))).collect()
    }

    async fn insert_campaign(&mut self, n: &NewCampaign<'_>, now: DateTime<Utc>) -> Result<CampaignId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO push_campaigns (title, selection, chain_code, note, created_by_user_id, created_by_name, \
             created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        )
        .bind(n.title)
        .bind(n.selection.code())
        .bind(n.chain_code)
        .bind(n.note)
        .bind(n.created_by_user_id.map(UserId::get))
        .bind(n.created_by_name)
        .bind(time::to_text(now))
        .fetch_one(self.conn())
        .await?;
        Ok(CampaignId::new(id))
    }

    async fn add_campaign_item(&mut self, campaign: CampaignId, match_id: MatchId, created_match: bool) -> Result<()> {
        sqlx::query("INSERT OR IGNORE INTO campaign_items (campaign_id, match_id, created_match) VALUES (?1, ?2, ?3)")
            .bind(campaign.get())
            .bind(match_id.get())
            .bind(created_match)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    async fn campaign(&mut self, id: CampaignId) -> Result<Option<Campaign>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{CAMPAIGN_COLUMNS} WHERE c.id = "));
        qb.push_bind(id.get());
        let row = qb.build().fetch_optional(self.conn()).await?;
        row.as_ref().map(campaign_from_row).transpose()
    }

    async fn list_campaigns(&mut self, limit: u32, offset: u32) -> Result<Vec<Campaign>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{CAMPAIGN_COLUMNS} ORDER BY c.created_at DESC, c.id DESC"));
        if limit > 0 {
            qb.push(" LIMIT ").push_bind(i64::from(limit)).push(" OFFSET ").push_bind(i64::from(offset));
        }
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(campaign_from_row).collect()
    }

    async fn campaign_items(&mut self, id: CampaignId) -> Result<Vec<CampaignItem>> {
        let rows = sqlx::query(
            "SELECT i.match_id, m.patent_id, p.application_no, p.title AS patent_title, m.enterprise_org_id, \
             e.name AS enterprise_name, m.state, i.created_match \
             FROM campaign_items i JOIN match_records m ON m.id = i.match_id JOIN patents p ON p.id = m.patent_id \
             JOIN orgs e ON e.id = m.enterprise_org_id WHERE i.campaign_id = ?1 \
             ORDER BY p.application_no, e.name",
        )
        .bind(id.get())
        .fetch_all(self.conn())
        .await?;
        rows.iter()
            .map(|r| {
                let state: String = r.try_get("state")?;
                Ok(CampaignItem {
                    match_id: MatchId::new(r.try_get("match_id")?),
                    patent_id: PatentId::new(r.try_get("patent_id")?),
                    application_no: r.try_get("application_no")?,
                    patent_title: r.try_get("patent_title")?,
                    enterprise_org_id: OrgId::new(r.try_get("enterprise_org_id")?),
                    enterprise_name: r.try_get("enterprise_name")?,
                    state: state.parse().map_err(|e| corrupt("match_records.state", e))?,
                    created_match: r.try_get("created_match")?,
                })
            })
            .collect()
    }

    async fn insert_pool_feedback(&mut self, n: &NewPoolFeedback<'_>, now: DateTime<Utc>) -> Result<FeedbackId> {
        let f = n.feedback;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO pool_feedback (patent_id, enterprise_org_id, match_id, prospect, improvement_needs, \
             cooperation_intent, cooperation_mode, not_interested_reason, reason_text, by_user_id, by_name, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id",
        )
        .bind(n.patent_id.get())
        .bind(n.enterprise_org_id.get())
        .bind(n.match_id.map(MatchId::get))
        .bind(i64::from(f.prospect.value()))
        .bind(f.improvement_needs.as_str())
        .bind(f.intent.code())
        .bind(f.preferred_mode.map(|m| m.code()))
        .bind(f.not_interested.as_ref().map(|r| r.reason.code()))
        .bind(f.not_interested.as_ref().map(|r| r.text.as_str()).unwrap_or_default())
        .bind(n.by_user_id.map(UserId::get))
        .bind(n.by_name)
        .bind(time::to_text(now))
        .fetch_one(self.conn())
        .await?;
        Ok(FeedbackId::new(id))
    }

    async fn list_pool_feedback(&mut self, f: &FeedbackFilter) -> Result<Vec<StoredFeedback>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!("{FEEDBACK_COLUMNS} WHERE 1 = 1"));
        if let Some(p) = f.patent {
            qb.push(" AND f.patent_id = ").push_bind(p.get());
        }
        if let Some(e) = f.enterprise_org {
            qb.push(" AND f.enterprise_org_id = ").push_bind(e.get());
        }
        if let Some(h) = f.holder_org {
            qb.push(" AND EXISTS (SELECT 1 FROM inventory_records r WHERE r.patent_id = f.patent_id AND r.org_id = ")
                .push_bind(h.get())
                .push(")");
        }
        if let Some(reader) = f.reader {
            // Unset relations bind NULL, which matches nothing, so the OR reads as “any relation it has”.
            qb.push(" AND EXISTS (SELECT 1 FROM inventory_records r WHERE r.patent_id = f.patent_id AND (r.org_id = ")
                .push_bind(reader.admin_of.map(OrgId::get))
                .push(" OR (r.org_id = ")
                .push_bind(reader.reviewer_of.map(|(o, _)| o.get()))
                .push(" AND r.faculty_id = ")
                .push_bind(reader.reviewer_of.map(|(_, f)| f.get()))
                .push(") OR EXISTS (SELECT 1 FROM patent_inventor_users l WHERE l.patent_id = f.patent_id AND l.user_id = ")
                .push_bind(reader.inventor.map(UserId::get))
                .push(")))");
        }
        if let Some(c) = f.campaign {
            qb.push(" AND f.match_id IN (SELECT i.match_id FROM campaign_items i WHERE i.campaign_id = ")
                .push_bind(c.get())
                .push(")");
        }
        if f.latest_only {
            qb.push(
                " AND f.id = (SELECT max(g.id) FROM pool_feedback g \
                 WHERE g.patent_id = f.patent_id AND g.enterprise_org_id = f.enterprise_org_id)",
            );
        }
        qb.push(" ORDER BY f.id DESC");
        if f.limit > 0 {
            qb.push(" LIMIT ").push_bind(i64::from(f.limit)).push(" OFFSET ").push_bind(i64::from(f.offset));
        }
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(feedback_from_row).collect()
    }

    async fn feedback_summaries(&mut self, patents: &[PatentId]) -> Result<Vec<(PatentId, FeedbackSummary)>> {
        let ids: Vec<i64> = patents.iter().map(|p| p.get()).collect();
        let json = serde_json::Value::from(ids).to_string();
        let rows = sqlx::query(FEEDBACK_SUMMARIES).bind(json).fetch_all(self.conn()).await?;
        let mut by_id = std::collections::HashMap::new();
        for r in &rows {
            let n = |c: &str| -> Result<u32> { Ok(u32::try_from(r.try_get::<i64, _>(c)?).unwrap_or(u32::MAX)) };
            let summary = FeedbackSummary {
                interested_enterprises: n("interested")?,
                ratings: n("ratings")?,
                prospect_sum: n("prospect_sum")?,
            };
            by_id.insert(r.try_get::<i64, _>("patent_id")?, summary);
        }
        let mut seen = std::collections::HashSet::new();
        Ok(patents
            .iter()
            .filter(|p| seen.insert(p.get()))
            .map(|p| (*p, by_id.get(&p.get()).copied().unwrap_or_default()))
            .collect())
    }
}
