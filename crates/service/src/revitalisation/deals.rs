//! Transfer deals (转化交易) that take patents out of scope as converted.
//!
//! Who does what (`docs/revitalisation.md`):
//! - [`Permission::RecordDeals`] records, edits and cancels deals: the bureau for any holder, an institution
//!   admin for its own patents only (another institution's patent or deal is reported as not found);
//! - [`Permission::ViewAllInventory`] reads every deal (the bureau's leaders);
//! - an enterprise reads the deals it is a party to.
//!
//! A deal is never deleted: one entered in error or rescinded is cancelled with a reason, and its patents
//! return to the scope unless another deal converts them (the coverage SQL decides, from the deals). A deal
//! recorded from a follow-up project ends that project as a deal and links it. Once a deal is recorded, an
//! open match record between the holder and a counterparty on one of its patents moves to 已成交 through the
//! matches service when the workflow allows that step (it owns the record's history and notices).

use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::ids::{DealId, FollowUpProjectId, MatchId, OrgId, PatentId};
use ipbridge_domain::matching::{MatchSide, MatchState, check_transition};
use ipbridge_domain::notification::NotificationKind;
use ipbridge_domain::org::OrgKind;
use ipbridge_domain::patent::ApplicationNo;
use ipbridge_domain::revitalisation::{
    DealFields, DealKind, DealParty, DealPartyRole, DealSource, DealStatus, FilingStatus, FollowUpEntry,
    FollowUpOutcome, LicenseScope, ProjectState,
};
use ipbridge_domain::{CreditCode, Money, Permission};
use ipbridge_ingest::{Cell, Table};
use ipbridge_store::{
    AuditStore, DealStore, FollowUpProject, MatchStore, NewDeal, OrgFilter, OrgStore, PatentStore, RoadshowStore, Tx,
};
/// The stored shapes pages show and the filter they pass.
pub use ipbridge_store::{Deal, DealFilter, DealPatent};
use serde_json::json;

use super::roadshows::{date_field, field_errors, may_record_project};
use crate::auth::china_time;
use crate::chains::split_list;
use crate::error::invalid;
use crate::exports::LIST_EXPORT_LIMIT;
use crate::matches::MatchChange;
use crate::notifications::{Notice, notify_orgs};
use crate::{Actor, App, FieldErrors, Result, ServiceError};

/// Longest cancellation reason, in characters.
pub const CANCEL_REASON_MAX_CHARS: usize = 500;
/// Party rows the deal form offers.
pub const PARTY_ROWS: usize = 3;

/// One party row of the deal form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartyForm {
    /// `holder` or `counterparty`.
    pub role: String,
    /// A platform organisation, when it is one.
    pub org_id: Option<OrgId>,
    /// Name as in the contract ("" takes the platform organisation's name).
    pub name: String,
    /// 统一社会信用代码 ("" takes the platform organisation's, when it has one).
    pub credit_code: String,
}

impl PartyForm {
    fn is_blank(&self) -> bool {
        self.org_id.is_none() && self.name.trim().is_empty() && self.credit_code.trim().is_empty()
    }
}

/// The deal form as typed: every field a string, parsed by the service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DealForm {
    /// The follow-up project the deal ends (prefilled from it).
    pub project_id: Option<FollowUpProjectId>,
    /// `assignment`, `license`, `equity_contribution` or `self_implementation`.
    pub kind: String,
    /// The holder: chosen by the bureau; an institution admin's own organisation.
    pub holder_org_id: Option<OrgId>,
    /// Application numbers, one per line (or separated by `;`, `，`, `、`).
    pub patents: String,
    /// The other parties.
    pub parties: Vec<PartyForm>,
    /// 合同金额 in yuan; "" for none.
    pub amount: String,
    /// 提成比例 in percent of net sales (3 or 3.5); "" for none.
    pub royalty: String,
    /// 签订日期.
    pub signed_on: String,
    /// 起始日期.
    pub effective_from: String,
    /// 有效期至.
    pub effective_to: String,
    /// 合同编号.
    pub contract_no: String,
    /// 许可方式 code, licences only.
    pub license_scope: String,
    /// 备案状态 code.
    pub filing_status: String,
    /// 备案日期.
    pub filed_on: String,
    /// 备案号.
    pub filing_no: String,
    /// 备注.
    pub note: String,
}

impl DealForm {
    /// The form pre-filled from a stored deal (the edit page).
    pub fn from_deal(d: &Deal) -> Self {
        let f = &d.fields;
        let mut parties: Vec<PartyForm> = f
            .parties
            .iter()
            .map(|p| PartyForm {
                role: p.role.code().to_owned(),
                org_id: p.org_id,
                name: p.name.clone(),
                credit_code: p.credit_code.as_ref().map(|c| c.as_str().to_owned()).unwrap_or_default(),
            })
            .collect();
        while parties.len() < PARTY_ROWS {
            parties.push(PartyForm::default());
        }
        Self {
            project_id: None,
            kind: f.kind.code().to_owned(),
            holder_org_id: Some(f.holder_org_id),
            patents: d.patents.iter().map(|p| p.application_no.as_str()).collect::<Vec<_>>().join("\n"),
            parties,
            amount: if f.amount == Money::ZERO { String::new() } else { yuan_text(f.amount) },
            royalty: f.royalty_bp.map(percent_text).unwrap_or_default(),
            signed_on: f.signed_on.to_string(),
            effective_from: f.effective_from.map(|d| d.to_string()).unwrap_or_default(),
            effective_to: f.effective_to.map(|d| d.to_string()).unwrap_or_default(),
            contract_no: f.contract_no.clone(),
            license_scope: f.license_scope.map(|s| s.code().to_owned()).unwrap_or_default(),
            filing_status: f.filing_status.code().to_owned(),
            filed_on: f.filed_on.map(|d| d.to_string()).unwrap_or_default(),
            filing_no: f.filing_no.clone(),
            note: f.note.clone(),
        }
    }
}

/// An amount as the form shows it: plain yuan without separators (300000, 8500.5).
pub fn yuan_text(m: Money) -> String {
    m.to_string().replace([',', '元'], "").trim_end_matches(".00").to_owned()
}

/// Basis points as a percentage: 300 → "3", 350 → "3.5", 5 → "0.05".
pub fn percent_text(bp: u32) -> String {
    let text = format!("{}.{:02}", bp / 100, bp % 100);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Parses a percentage with at most two decimals ("3", "3.5%", "0.05") into basis points.
fn parse_percent(text: &str) -> Option<u32> {
    let t = text.trim().trim_end_matches(['%', '％']).trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if (whole.is_empty() && frac.is_empty()) || frac.len() > 2 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: u32 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let frac: u32 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    whole.checked_mul(100)?.checked_add(frac)
}

/// One deal as the actor may see it.
#[derive(Debug, Clone)]
pub struct DealView {
    /// The deal.
    pub deal: Deal,
    /// The actor may edit and cancel it.
    pub may_edit: bool,
    /// Follow-up projects that ended in it.
    pub projects: Vec<FollowUpProject>,
}

/// A page of deals with the count and total amount of everything the filter matches.
#[derive(Debug, Clone)]
pub struct DealPage {
    /// The deals.
    pub deals: Vec<Deal>,
    /// How many match.
    pub total: u64,
    /// The sum of their amounts.
    pub amount: Money,
}

/// Which deals an account sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DealScope {
    /// Every deal.
    All,
    /// The institution's own (as the holder).
    Holder(OrgId),
    /// Deals the enterprise is a party to (read only).
    Party(OrgId),
}

pub(crate) fn deal_scope(actor: &Actor) -> Option<DealScope> {
    if actor.is_cli() {
        return Some(DealScope::All);
    }
    let user = actor.user.as_ref()?;
    if user.can(Permission::ViewAllInventory) || (user.can(Permission::RecordDeals) && user.org_kind == OrgKind::Bureau)
    {
        Some(DealScope::All)
    } else if user.can(Permission::RecordDeals) {
        Some(DealScope::Holder(user.org_id))
    } else if user.org_kind == OrgKind::Enterprise && user.can(Permission::HandleMatches) {
        Some(DealScope::Party(user.org_id))
    } else {
        None
    }
}

fn deal_visible(scope: DealScope, d: &Deal) -> bool {
    match scope {
        DealScope::All => true,
        DealScope::Holder(o) => d.fields.holder_org_id == o,
        DealScope::Party(o) => d.fields.holder_org_id == o || d.fields.parties.iter().any(|p| p.org_id == Some(o)),
    }
}

/// The organisation an institution admin is limited to (none: the bureau or the command line, any holder).
fn own_holder(actor: &Actor) -> Result<Option<OrgId>> {
    let user = actor.authorise(Permission::RecordDeals)?;
    Ok(user.filter(|u| u.org_kind != OrgKind::Bureau).map(|u| u.org_id))
}

fn deal_link(id: DealId) -> String {
    format!("/deals/{id}")
}

fn deal_detail(f: &DealFields) -> serde_json::Value {
    json!({
        "kind": f.kind.code(), "holder_org_id": f.holder_org_id, "patents": f.patents,
        "parties": f.parties.iter().map(|p| json!({"role": p.role.code(), "org_id": p.org_id, "name": p.name,
            "credit_code": p.credit_code.as_ref().map(|c| c.as_str().to_owned())})).collect::<Vec<_>>(),
        "amount_fen": f.amount.fen(), "royalty_bp": f.royalty_bp, "signed_on": f.signed_on,
        "effective_from": f.effective_from, "effective_to": f.effective_to, "contract_no": f.contract_no,
        "license_scope": f.license_scope.map(|s| s.code()), "filing_status": f.filing_status.code(),
        "filed_on": f.filed_on, "filing_no": f.filing_no, "source": f.source.code(), "match_id": f.match_id,
        "roadshow_id": f.roadshow_id, "note": f.note,
    })
}

/// Where a deal came from, kept from the stored deal on an edit, or from the project it ends.
#[derive(Debug, Clone, Copy, Default)]
struct Origin {
    source: Option<DealSource>,
    match_id: Option<MatchId>,
    roadshow_id: Option<ipbridge_domain::ids::RoadshowId>,
    open_license_id: Option<i64>,
}

impl App {
    /// Parses and checks a deal form. The holder is the form's (the bureau) or `own` (an institution admin,
    /// who may not name another). Every patent must be the holder's: an institution admin naming another
    /// institution's patent gets not found, as elsewhere.
    async fn parse_deal_form(
        &self,
        tx: &mut Tx,
        form: &DealForm,
        own: Option<OrgId>,
        origin: Origin,
    ) -> Result<DealFields> {
        let mut errors = FieldErrors::new();
        let kind = match form.kind.parse::<DealKind>() {
            Ok(k) => Some(k),
            Err(_) => {
                errors.add("kind", "请选择转化方式（转让、许可、作价入股或自行实施）");
                None
            }
        };
        let holder = match (own, form.holder_org_id) {
            (Some(o), Some(h)) if h != o => return Err(ServiceError::NotFound),
            (Some(o), _) => Some(o),
            (None, Some(h)) => match tx.org(h).await? {
                Some(org) if org.active => Some(h),
                _ => {
                    errors.add("holder_org_id", "所选权利人不是平台上在用的机构");
                    None
                }
            },
            (None, None) => {
                errors.add("holder_org_id", "请选择权利人（专利所属单位）");
                None
            }
        };
        let numbers = split_list(&form.patents);
        let mut canonical: Vec<String> = Vec::new();
        for n in &numbers {
            match ApplicationNo::parse(n) {
                Ok(no) => canonical.push(no.as_str().to_owned()),
                Err(e) => errors.add("patents", format!("申请号“{n}”有误：{e}")),
            }
        }
        let existing = tx.existing_patents(&canonical).await?;
        let mut patents: Vec<PatentId> = Vec::new();
        for no in &canonical {
            let Some(e) = existing.get(no) else {
                errors.add("patents", format!("平台上没有申请号为{no}的专利，请先导入该专利"));
                continue;
            };
            if let Some(h) = holder {
                let p = tx.patent(e.id).await?.ok_or(ServiceError::NotFound)?;
                if p.summary.owner_org_id != Some(h) {
                    if own.is_some() {
                        return Err(ServiceError::NotFound);
                    }
                    errors.add("patents", format!("专利{no}的权利人不是所选单位"));
                    continue;
                }
            }
            patents.push(e.id);
        }
        let mut parties: Vec<DealParty> = Vec::new();
        for row in form.parties.iter().filter(|p| !p.is_blank()) {
            let role = match row.role.parse::<DealPartyRole>() {
                Ok(r) => r,
                Err(_) => {
                    errors.add("parties", "请为每一方选择身份（权利人方或相对方）");
                    continue;
                }
            };
            let org = match row.org_id {
                Some(id) => match tx.org(id).await? {
                    Some(o) => Some(o),
                    None => {
                        errors.add("parties", "所选机构不存在");
                        continue;
                    }
                },
                None => None,
            };
            let credit_code = match row.credit_code.trim() {
                "" => org.as_ref().and_then(|o| o.credit_code.clone()),
                text => match CreditCode::parse(text) {
                    Ok(c) => Some(c),
                    Err(e) => {
                        errors.add("parties", e.to_string());
                        continue;
                    }
                },
            };
            let name = match (row.name.trim(), &org) {
                ("", Some(o)) => o.name.clone(),
                (n, _) => n.to_owned(),
            };
            parties.push(DealParty { role, org_id: org.map(|o| o.id), name, credit_code });
        }
        let amount = match form.amount.trim() {
            "" => Money::ZERO,
            text => Money::parse_yuan(text).unwrap_or_else(|e| {
                errors.add("amount", e.to_string());
                Money::ZERO
            }),
        };
        let royalty_bp = match form.royalty.trim() {
            "" => None,
            text => {
                let bp = parse_percent(text);
                if bp.is_none() {
                    errors.add("royalty_bp", "提成比例按百分数填写，如 3 或 3.5（最多两位小数）");
                }
                bp
            }
        };
        let signed_on = date_field(&mut errors, "signed_on", &form.signed_on);
        match signed_on {
            None if !errors.0.contains_key("signed_on") => errors.add("signed_on", "请填写合同签订日期"),
            Some(d) if d > self.china_today() => errors.add("signed_on", "签订日期不能晚于今天"),
            _ => {}
        }
        let effective_from = date_field(&mut errors, "effective_from", &form.effective_from);
        let effective_to = date_field(&mut errors, "effective_to", &form.effective_to);
        let filed_on = date_field(&mut errors, "filed_on", &form.filed_on);
        let license_scope = match form.license_scope.trim() {
            "" => None,
            code => match code.parse::<LicenseScope>() {
                Ok(s) => Some(s),
                Err(_) => {
                    errors.add("license_scope", "许可方式应为独占许可、排他许可或普通许可");
                    None
                }
            },
        };
        let filing_status = match form.filing_status.parse::<FilingStatus>() {
            Ok(s) => Some(s),
            Err(_) => {
                errors.add("filing_status", "请选择备案状态");
                None
            }
        };
        let (Some(kind), Some(holder_org_id), Some(signed_on), Some(filing_status)) =
            (kind, holder, signed_on, filing_status)
        else {
            return Err(ServiceError::Invalid(errors));
        };
        let fields = DealFields {
            kind,
            holder_org_id,
            patents,
            parties,
            amount,
            royalty_bp,
            signed_on,
            effective_from,
            effective_to,
            contract_no: form.contract_no.clone(),
            license_scope,
            filing_status,
            filed_on,
            filing_no: form.filing_no.clone(),
            source: origin.source.unwrap_or(DealSource::Direct),
            match_id: origin.match_id,
            roadshow_id: origin.roadshow_id,
            open_license_id: origin.open_license_id,
            note: form.note.clone(),
        };
        // The domain checks the fields together; problems already found (a wrong number, a bad date) and the
        // domain's are reported at once.
        let patents_empty = fields.patents.is_empty() && errors.0.contains_key("patents");
        match fields.check() {
            Ok(f) if errors.is_empty() => Ok(f),
            Ok(_) => Err(ServiceError::Invalid(errors)),
            Err(e) => {
                let mut e = e;
                if patents_empty {
                    // "请选择交易涉及的专利" would repeat what the number errors already say.
                    e.0.retain(|x| x.field != "patents");
                }
                field_errors(&mut errors, e);
                Err(ServiceError::Invalid(errors))
            }
        }
    }

    /// The follow-up project a deal ends, checked: visible and kept by the actor, and still open.
    async fn project_for_deal(&self, tx: &mut Tx, actor: &Actor, id: FollowUpProjectId) -> Result<FollowUpProject> {
        let p = tx.follow_up_project(id).await?.ok_or(ServiceError::NotFound)?;
        if !may_record_project(actor, &p) {
            return Err(ServiceError::NotFound);
        }
        if p.state != ProjectState::Open {
            return Err(invalid("project_id", format!("跟踪项目当前为“{}”，不能再登记交易", p.state.label())));
        }
        Ok(p)
    }

    /// A deal form pre-filled from a follow-up project: its patent, holder and enterprise (as the counterparty,
    /// 被许可方 by default as a licence is the most common deal).
    pub async fn deal_form_for_project(&self, actor: &Actor, id: FollowUpProjectId) -> Result<DealForm> {
        own_holder(actor)?;
        let mut tx = self.db.read().await?;
        let p = self.project_for_deal(&mut tx, actor, id).await?;
        let mut parties = vec![PartyForm {
            role: DealPartyRole::Counterparty.code().to_owned(),
            org_id: Some(p.enterprise_org_id),
            name: p.enterprise_name.clone(),
            credit_code: String::new(),
        }];
        while parties.len() < PARTY_ROWS {
            parties.push(PartyForm::default());
        }
        Ok(DealForm {
            project_id: Some(id),
            kind: DealKind::License.code().to_owned(),
            holder_org_id: p.holder_org_id,
            patents: p.application_no.clone(),
            parties,
            filing_status: FilingStatus::Pending.code().to_owned(),
            license_scope: LicenseScope::Ordinary.code().to_owned(),
            ..DealForm::default()
        })
    }

    /// Holders the actor may record deals for: every active institution for the bureau, its own organisation
    /// for an institution admin.
    pub async fn deal_holder_choices(&self, actor: &Actor) -> Result<Vec<(OrgId, String)>> {
        let own = own_holder(actor)?;
        let mut tx = self.db.read().await?;
        let filter = OrgFilter { kind: Some(OrgKind::Institution), only: own, ..OrgFilter::default() };
        let mut out: Vec<(OrgId, String)> =
            tx.list_orgs(&filter).await?.into_iter().filter(|o| o.active).map(|o| (o.id, o.name)).collect();
        if let Some(o) = own
            && out.is_empty()
            && let Some(org) = tx.org(o).await?
        {
            out.push((org.id, org.name));
        }
        Ok(out)
    }

    /// Institutions the deal list may be filtered by: every institution for whoever sees every deal, none
    /// for the others (their list is one holder's or one party's already).
    pub async fn deal_holder_filter_choices(&self, actor: &Actor) -> Result<Vec<(OrgId, String)>> {
        if deal_scope(actor) != Some(DealScope::All) {
            return Ok(Vec::new());
        }
        let mut tx = self.db.read().await?;
        let filter = OrgFilter { kind: Some(OrgKind::Institution), ..OrgFilter::default() };
        Ok(tx.list_orgs(&filter).await?.into_iter().map(|o| (o.id, o.name)).collect())
    }

    /// Enterprises a deal's parties may be chosen from (active enterprises by name).
    pub async fn deal_party_choices(&self, actor: &Actor) -> Result<Vec<(OrgId, String)>> {
        own_holder(actor)?;
        let mut tx = self.db.read().await?;
        let filter = OrgFilter { kind: Some(OrgKind::Enterprise), ..OrgFilter::default() };
        Ok(tx.list_orgs(&filter).await?.into_iter().filter(|o| o.active).map(|o| (o.id, o.name)).collect())
    }

    /// Records a deal ([`Permission::RecordDeals`]). From a follow-up project, the project ends as a deal and is
    /// linked, in the same transaction. Afterwards, open match records between the holder and a counterparty on
    /// the deal's patents move to 已成交 where the workflow allows it. Returns the deal's id.
    pub async fn create_deal(&self, actor: &Actor, form: &DealForm) -> Result<DealId> {
        let own = own_holder(actor)?;
        let mut tx = self.db.begin().await?;
        let project = match form.project_id {
            Some(id) => Some(self.project_for_deal(&mut tx, actor, id).await?),
            None => None,
        };
        let origin = match &project {
            Some(p) if p.roadshow_id.is_some() => {
                Origin { source: Some(DealSource::Roadshow), roadshow_id: p.roadshow_id, ..Origin::default() }
            }
            Some(p) if p.match_id.is_some() => {
                Origin { source: Some(DealSource::Match), match_id: p.match_id, ..Origin::default() }
            }
            _ => Origin::default(),
        };
        let fields = self.parse_deal_form(&mut tx, form, own, origin).await?;
        if let Some(p) = &project
            && !fields.patents.contains(&p.patent_id)
        {
            return Err(invalid("patents", format!("交易须包含跟踪项目的专利{}", p.application_no)));
        }
        let now = self.now();
        let name = actor.name();
        let id = tx
            .insert_deal(
                &NewDeal {
                    fields: &fields,
                    recorded_by_user_id: actor.user.as_ref().map(|u| u.id),
                    recorded_by_name: &name,
                    recorded_by_org_id: actor.user.as_ref().map(|u| u.org_id),
                },
                now,
            )
            .await?;
        let mut detail = deal_detail(&fields);
        detail["project_id"] = json!(form.project_id);
        tx.append_audit(&actor.audit(Action::DealCreate, "deal", id, Outcome::Success, detail)).await?;
        if let Some(p) = &project {
            let entry = FollowUpEntry {
                happened_on: self.china_today(),
                contact: String::new(),
                content: format!(
                    "达成{}，合同签订于{}{}，已登记为转化交易#{id}",
                    fields.kind.label(),
                    fields.signed_on,
                    if fields.contract_no.is_empty() {
                        String::new()
                    } else {
                        format!("（合同编号{}）", fields.contract_no)
                    }
                ),
                next_step: String::new(),
                next_on: None,
                outcome: FollowUpOutcome::Deal,
                close_reason: String::new(),
            };
            let state = p.state.after(FollowUpOutcome::Deal).map_err(|e| invalid("project_id", e.to_string()))?;
            self.add_follow_up_in(&mut tx, actor, p, &entry, state).await?;
            tx.link_project_deal(p.id, id, now).await?;
        }
        let notice = Notice {
            kind: NotificationKind::Deal,
            title: format!("转化交易已登记：{}", fields.kind.label()),
            body: format!(
                "{}登记了一笔{}（签订于{}，涉及{}件专利），贵单位为交易一方。",
                name,
                fields.kind.label(),
                fields.signed_on,
                fields.patents.len()
            ),
            link: deal_link(id),
        };
        self.notify_parties(&mut tx, actor, &fields, &notice).await?;
        tx.commit().await?;
        self.close_matches_as_deal(actor, id, &fields).await;
        // Conversions are an indicator of measure 1.
        self.request_indicator_refresh("deal");
        Ok(id)
    }

    async fn notify_parties(&self, tx: &mut Tx, actor: &Actor, f: &DealFields, notice: &Notice) -> Result<()> {
        let mut to: Vec<Option<OrgId>> = vec![Some(f.holder_org_id)];
        to.extend(f.parties.iter().map(|p| p.org_id));
        notify_orgs(tx, &to, actor.user.as_ref().map(|u| u.org_id), notice, self.now()).await
    }

    /// Moves open match records of the deal's pairs (a patent × a counterparty on the platform) to 已成交 when
    /// the actor's side may make that step now; others stay as they are. Runs after the deal is committed,
    /// through the matches service, which writes the record's history, audit record and notices: a record
    /// that cannot move does not undo the deal.
    async fn close_matches_as_deal(&self, actor: &Actor, id: DealId, f: &DealFields) {
        let side = if actor.is_cli() || actor.user.as_ref().is_some_and(|u| u.can(Permission::ManageMatches)) {
            MatchSide::Bureau
        } else {
            MatchSide::Holder
        };
        let counterparties: Vec<OrgId> =
            f.parties.iter().filter(|p| p.role == DealPartyRole::Counterparty).filter_map(|p| p.org_id).collect();
        for patent in &f.patents {
            for enterprise in &counterparties {
                let record = match self.db.read().await {
                    Ok(mut tx) => tx.open_match_for(*patent, *enterprise).await,
                    Err(e) => Err(e),
                };
                let Ok(Some(r)) = record else { continue };
                if r.holder_org_id != Some(f.holder_org_id)
                    || check_transition(r.state, MatchState::Deal, side).is_err()
                {
                    continue;
                }
                let change =
                    MatchChange { to: MatchState::Deal, reason: None, note: format!("已登记转化交易#{id}") };
                if let Err(e) = self.transition_match(actor, r.id, &change).await {
                    tracing::warn!(deal = %id, match_record = %r.id, error = %e, "match record not moved to deal");
                }
            }
        }
    }

    /// Replaces an effective deal's content (the bureau, or the holder institution).
    pub async fn update_deal(&self, actor: &Actor, id: DealId, form: &DealForm) -> Result<()> {
        let own = own_holder(actor)?;
        let mut tx = self.db.begin().await?;
        let before = tx.deal(id).await?.ok_or(ServiceError::NotFound)?;
        if own.is_some_and(|o| before.fields.holder_org_id != o) {
            return Err(ServiceError::NotFound);
        }
        if before.status != DealStatus::Effective {
            let message = "交易已撤销，不能修改".to_owned();
            let entry = actor.audit(Action::DealUpdate, "deal", id, Outcome::Denied, json!({"error": message}));
            return self.refuse(tx, entry, invalid("status", message)).await;
        }
        let b = &before.fields;
        let origin = Origin {
            source: Some(b.source),
            match_id: b.match_id,
            roadshow_id: b.roadshow_id,
            open_license_id: b.open_license_id,
        };
        let form = DealForm { project_id: None, ..form.clone() };
        let fields = self.parse_deal_form(&mut tx, &form, own, origin).await?;
        if fields == before.fields {
            return Ok(());
        }
        tx.update_deal(id, &fields, self.now()).await?;
        tx.append_audit(&actor.audit(
            Action::DealUpdate,
            "deal",
            id,
            Outcome::Success,
            json!({"before": deal_detail(&before.fields), "after": deal_detail(&fields)}),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Cancels an effective deal with a reason (never deleted): its patents return to the scope unless
    /// another deal converts them. The parties are told.
    pub async fn cancel_deal(&self, actor: &Actor, id: DealId, reason: &str) -> Result<()> {
        let own = own_holder(actor)?;
        let reason = reason.trim();
        let mut tx = self.db.begin().await?;
        let d = tx.deal(id).await?.ok_or(ServiceError::NotFound)?;
        if own.is_some_and(|o| d.fields.holder_org_id != o) {
            return Err(ServiceError::NotFound);
        }
        if d.status != DealStatus::Effective {
            let message = "交易已撤销".to_owned();
            let entry = actor.audit(Action::DealCancel, "deal", id, Outcome::Denied, json!({"error": message}));
            return self.refuse(tx, entry, invalid("status", message)).await;
        }
        if reason.is_empty() {
            return Err(invalid("reason", "请说明撤销原因（如：录入错误、合同已解除）"));
        }
        if reason.chars().count() > CANCEL_REASON_MAX_CHARS {
            return Err(invalid("reason", format!("撤销原因不能超过{CANCEL_REASON_MAX_CHARS}个字符")));
        }
        tx.cancel_deal(id, reason, self.now()).await?;
        tx.append_audit(&actor.audit(
            Action::DealCancel,
            "deal",
            id,
            Outcome::Success,
            json!({"reason": reason, "patents": d.fields.patents}),
        ))
        .await?;
        let notice = Notice {
            kind: NotificationKind::Deal,
            title: format!("转化交易已撤销：{}", d.fields.kind.label()),
            body: format!("签订于{}的{}已撤销，原因：{reason}", d.fields.signed_on, d.fields.kind.label()),
            link: deal_link(id),
        };
        self.notify_parties(&mut tx, actor, &d.fields, &notice).await?;
        tx.commit().await?;
        self.request_indicator_refresh("deal");
        Ok(())
    }

    /// One deal as the actor may see it; anything else is not found.
    pub async fn deal(&self, actor: &Actor, id: DealId) -> Result<DealView> {
        actor.authenticated()?;
        let scope = deal_scope(actor).ok_or(ServiceError::NotFound)?;
        let mut tx = self.db.read().await?;
        let deal = tx.deal(id).await?.filter(|d| deal_visible(scope, d)).ok_or(ServiceError::NotFound)?;
        let may_edit = deal.status == DealStatus::Effective
            && (actor.is_cli()
                || actor.user.as_ref().is_some_and(|u| {
                    u.can(Permission::RecordDeals)
                        && (u.org_kind == OrgKind::Bureau || u.org_id == deal.fields.holder_org_id)
                }));
        let mut projects = Vec::new();
        for p in &deal.patents {
            let filter = ipbridge_store::ProjectFilter { patent: Some(p.patent_id), ..Default::default() };
            projects.extend(tx.list_follow_up_projects(&filter).await?.into_iter().filter(|x| x.deal_id == Some(id)));
        }
        Ok(DealView { deal, may_edit, projects })
    }

    /// Deals the actor may see, filtered and paged, latest signed first, with the count and total amount.
    pub async fn list_deals(&self, actor: &Actor, filter: &DealFilter) -> Result<DealPage> {
        actor.authenticated()?;
        let mut filter = filter.clone();
        match deal_scope(actor) {
            None => return Ok(DealPage { deals: Vec::new(), total: 0, amount: Money::ZERO }),
            Some(DealScope::All) => {}
            Some(DealScope::Holder(o)) => filter.holder_org = Some(o),
            Some(DealScope::Party(o)) => filter.party_org = Some(o),
        }
        let mut tx = self.db.read().await?;
        let deals = tx.list_deals(&filter).await?;
        let (total, amount) = tx.deal_totals(&filter).await?;
        Ok(DealPage { deals, total, amount })
    }

    /// The deal list as the actor sees it, filtered, as xlsx (audited).
    pub async fn export_deals(&self, actor: &Actor, filter: &DealFilter) -> Result<Vec<u8>> {
        let filter = DealFilter { limit: LIST_EXPORT_LIMIT, offset: 0, ..filter.clone() };
        let page = self.list_deals(actor, &filter).await?;
        let mut t = Table::new(
            "转化交易",
            &[
                "编号",
                "转化方式",
                "许可方式",
                "权利人",
                "相对方",
                "涉及专利",
                "合同金额（元）",
                "提成比例（%）",
                "签订日期",
                "起始日期",
                "有效期至",
                "合同编号",
                "备案状态",
                "备案日期",
                "备案号",
                "来源",
                "状态",
                "撤销原因",
                "登记人",
                "登记时间",
            ],
        );
        let time = |t: chrono::DateTime<chrono::Utc>| china_time(t).format("%Y-%m-%d %H:%M").to_string();
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string());
        for d in &page.deals {
            let f = &d.fields;
            let others: Vec<String> =
                f.parties.iter().map(|p| format!("{}（{}）", p.name, p.role.label_for(f.kind))).collect();
            t.push(vec![
                Cell::from(d.id.get()),
                Cell::from(f.kind.label()),
                Cell::from(f.license_scope.map(|s| s.label())),
                Cell::from(d.holder_name.as_str()),
                Cell::from(others.join("；")),
                Cell::from(
                    d.patents
                        .iter()
                        .map(|p| format!("{} {}", p.application_no, p.title))
                        .collect::<Vec<_>>()
                        .join("；"),
                ),
                Cell::from(yuan_text(f.amount)),
                Cell::from(f.royalty_bp.map(percent_text)),
                Cell::from(f.signed_on.to_string()),
                Cell::from(date(f.effective_from)),
                Cell::from(date(f.effective_to)),
                Cell::from(f.contract_no.as_str()),
                Cell::from(f.filing_status.label()),
                Cell::from(date(f.filed_on)),
                Cell::from(f.filing_no.as_str()),
                Cell::from(f.source.label()),
                Cell::from(d.status.label()),
                Cell::from(d.cancel_reason.as_str()),
                Cell::from(d.recorded_by_name.as_str()),
                Cell::from(time(d.created_at)),
            ]);
        }
        self.finish_export(actor, "deals", "", &t).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_trip_in_basis_points() {
        assert_eq!(parse_percent("3"), Some(300));
        assert_eq!(parse_percent("3.5%"), Some(350));
        assert_eq!(parse_percent("0.05"), Some(5));
        assert_eq!(parse_percent(".5"), Some(50));
        assert_eq!(parse_percent("3.555"), None);
        assert_eq!(parse_percent("三"), None);
        assert_eq!(parse_percent(""), None);
        for bp in [1, 5, 50, 300, 350, 10_000] {
            assert_eq!(parse_percent(&percent_text(bp)), Some(bp));
        }
        assert_eq!(yuan_text(Money::from_yuan(300_000).unwrap_or_default()), "300000");
    }
}
