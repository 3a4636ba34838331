//! The patent list (filters, sorting, paging, xlsx export) and the patent detail page.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use ipbridge_domain::Money;
use ipbridge_domain::ids::{OrgId, PatentId};
use ipbridge_domain::indicators::high_value::Criterion;
use ipbridge_domain::indicators::place::PlaceBasis;
use ipbridge_domain::org::OrgKind;
use ipbridge_domain::patent::{LegalStatus, PatentType};
use ipbridge_domain::policy::County;
use ipbridge_service::auth::china_time;
use ipbridge_service::indicators::PatentIndicators;
use ipbridge_service::{HighValueFilter, OrgFilter, PatentFilter, PatentSort, PlaceFilter};
use serde::Deserialize;

use super::admin::{PAGE_SIZE, Pager};
use super::{Chrome, render};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::WebResult;

/// The list's query string.
#[derive(Debug, Default, Deserialize, Clone)]
pub struct PatentQuery {
    #[serde(default)]
    q: String,
    #[serde(default, rename = "type")]
    patent_type: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    in_force: String,
    #[serde(default)]
    ipc: String,
    #[serde(default)]
    org: String,
    /// Where the indicator refresh placed the patent: `city`, `outside` or a county code.
    #[serde(default)]
    county: String,
    /// High-value invention patents: `any`, or a criterion code (`sei`, `foreign_family`, …).
    #[serde(default)]
    hv: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    page: Option<u32>,
}

impl PatentQuery {
    fn filter(&self) -> PatentFilter {
        PatentFilter {
            patent_type: self.patent_type.parse::<PatentType>().ok(),
            legal_status: self.status.parse::<LegalStatus>().ok(),
            in_force: match self.in_force.as_str() {
                "1" => Some(true),
                "0" => Some(false),
                _ => None,
            },
            ipc_prefix: Some(self.ipc.clone()).filter(|s| !s.trim().is_empty()),
            holder_org: self.org.parse::<i64>().ok().map(OrgId::new),
            place: match self.county.trim() {
                "" => None,
                "city" => Some(PlaceFilter::City),
                "outside" => Some(PlaceFilter::Outside),
                code => Some(PlaceFilter::County(code.to_owned())),
            },
            high_value: match self.hv.as_str() {
                "any" => Some(HighValueFilter::Any),
                code => Criterion::from_code(code).map(HighValueFilter::Criterion),
            },
            filing_year: self.year.trim().parse().ok(),
            text: Some(self.q.clone()),
            sort: match self.sort.as_str() {
                "filing_asc" => PatentSort::FilingDateAsc,
                "grant_desc" => PatentSort::GrantDateDesc,
                "number" => PatentSort::ApplicationNo,
                "title" => PatentSort::Title,
                _ => PatentSort::FilingDateDesc,
            },
            limit: PAGE_SIZE,
            offset: 0,
        }
    }

    fn query_string(&self) -> String {
        serde_urlencoded::to_string([
            ("q", &self.q),
            ("type", &self.patent_type),
            ("status", &self.status),
            ("in_force", &self.in_force),
            ("ipc", &self.ipc),
            ("org", &self.org),
            ("county", &self.county),
            ("hv", &self.hv),
            ("year", &self.year),
            ("sort", &self.sort),
        ])
        .unwrap_or_default()
    }
}

struct Row {
    id: PatentId,
    application_no: String,
    title: String,
    patent_type: &'static str,
    filing_date: String,
    legal_status: &'static str,
    in_force: bool,
    main_ipc: String,
    holder: String,
    /// 归属县区 as the last indicator refresh placed it.
    place: String,
    /// The high-value criteria met, joined, when the patent is a high-value invention patent.
    high_value: Option<String>,
}

#[derive(Template)]
#[template(path = "patents.html")]
struct PatentsPage {
    chrome: Chrome,
    q: PatentQuery,
    types: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    holders: Vec<(i64, String)>,
    counties: Vec<County>,
    criteria: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
    pager: Pager,
    export_href: String,
}

/// The patent list.
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<PatentQuery>) -> WebResult {
    let mut page_no = q.page.unwrap_or(1);
    let mut filter = q.filter();
    filter.offset = Pager::offset(page_no);
    let mut result = state.app.list_patents(&ctx.actor, &filter).await?;
    if let Some(shown) = Pager::correction(page_no, result.total) {
        page_no = shown;
        filter.offset = Pager::offset(page_no);
        result = state.app.list_patents(&ctx.actor, &filter).await?;
    }
    let holders = state
        .app
        .list_orgs(&ctx.actor, &OrgFilter::default())
        .await?
        .orgs
        .into_iter()
        .filter(|o| matches!(o.kind, OrgKind::Institution | OrgKind::Enterprise))
        .map(|o| (o.id.get(), o.name))
        .collect();
    let rows = result
        .patents
        .into_iter()
        .map(|p| {
            let facts = result.facts.get(&p.id);
            Row {
                place: state.app.place_label(facts),
                high_value: facts
                    .filter(|f| f.high_value)
                    .map(|f| f.criteria().iter().map(|c| c.label()).collect::<Vec<_>>().join("、")),
                id: p.id,
                application_no: p.application_no,
                title: p.title,
                patent_type: p.patent_type.label(),
                filing_date: p.filing_date.map(|d| d.to_string()).unwrap_or_default(),
                legal_status: p.legal_status.label(),
                in_force: p.in_force,
                main_ipc: p.main_ipc.unwrap_or_default(),
                holder: p.owner_name.unwrap_or(p.first_applicant),
            }
        })
        .collect();
    let qs = q.query_string();
    Ok(render(&PatentsPage {
        chrome: Chrome::new(&state, &ctx, "专利", "patents"),
        types: PatentType::ALL.iter().map(|t| (t.code(), t.label())).collect(),
        statuses: LegalStatus::ALL.iter().map(|s| (s.code(), s.label())).collect(),
        holders,
        counties: state.app.policy.counties.clone(),
        criteria: Criterion::ALL.iter().map(|c| (c.code(), c.label())).collect(),
        rows,
        pager: Pager::new(page_no, result.total, |p| format!("/patents?{qs}&page={p}")),
        export_href: format!("/patents/export?{qs}"),
        q,
    }))
}

/// The filtered list as xlsx.
pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(q): Query<PatentQuery>) -> WebResult {
    let bytes = state.app.export_patents(&ctx.actor, &q.filter()).await?;
    Ok(super::xlsx_download(&super::export_name(&state, "专利"), bytes))
}

struct Field {
    label: &'static str,
    value: String,
}

struct IpcLine {
    code: String,
    title: String,
}

struct ApplicantLine {
    name: String,
    org: Option<(i64, String)>,
}

struct Change {
    at: String,
    actor: String,
    kind: &'static str,
    import_id: Option<i64>,
    fields: Vec<(String, String, String)>,
}

/// One high-value criterion as the patent page shows it.
struct CriterionLine {
    label: &'static str,
    holds: bool,
    reason: String,
}

/// A chain the patent belongs to and what placed it there.
struct ChainLine {
    code: String,
    name: String,
    how: String,
}

/// 指标归属与高价值认定: what the last indicator refresh derived for the patent.
struct IndicatorSection {
    in_city: bool,
    /// The county's name, or why there is none.
    county: String,
    /// The rule that decided (人工指定, 关联机构 …).
    basis: &'static str,
    /// What the rule matched, in a sentence.
    basis_detail: String,
    chains: Vec<ChainLine>,
    /// Whether the viewer may open the chain landscapes.
    chain_links: bool,
    valid_invention: bool,
    high_value: bool,
    criteria: Vec<CriterionLine>,
}

impl IndicatorSection {
    /// `internal`: the viewer may see the holder's figures (the pledge amount); others read whether the
    /// pledge criterion holds without the amount.
    fn new(i: PatentIndicators, chain_links: bool, internal: bool) -> Self {
        let detail = i.place_detail.trim().to_owned();
        let basis_detail = match i.place_basis {
            PlaceBasis::Override => "市知识产权局为第一申请人设定了归属".to_owned(),
            PlaceBasis::Org => format!("第一申请人关联平台机构“{detail}”，按该机构所在县区归属"),
            PlaceBasis::Address => format!("第一申请人地址中含“{detail}”"),
            PlaceBasis::ProvinceCode => format!("{detail}，不是本省代码"),
            PlaceBasis::None => "第一申请人未关联本市机构，地址中也没有本市或所辖县区的名称".to_owned(),
        };
        IndicatorSection {
            in_city: i.in_city,
            county: match (i.in_city, i.county) {
                (false, _) => String::new(),
                (true, Some(name)) => name,
                (true, None) => "县区不明".to_owned(),
            },
            basis: i.place_basis.label(),
            basis_detail,
            chains: i.chains.into_iter().map(|(code, name, how)| ChainLine { code, name, how }).collect(),
            chain_links,
            valid_invention: i.valid_invention,
            high_value: i.high_value,
            criteria: i
                .criteria
                .into_iter()
                .map(|(c, holds, reason)| CriterionLine {
                    label: c.label(),
                    holds,
                    reason: match (c, holds) {
                        (Criterion::Pledge, true) if !internal => "质押融资额不低于政策门槛".to_owned(),
                        (Criterion::Pledge, false) if !internal => "未达到政策门槛或无质押融资记录".to_owned(),
                        _ if reason.is_empty() => "—".to_owned(),
                        _ => reason,
                    },
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "patent.html")]
struct PatentPage {
    chrome: Chrome,
    title: String,
    application_no: String,
    facts: Vec<Field>,
    ipc: Vec<IpcLine>,
    applicants: Vec<ApplicantLine>,
    abstract_text: String,
    first_claim: String,
    claims: String,
    extra: Vec<(String, String)>,
    history: Vec<Change>,
    source: String,
    import_id: Option<i64>,
    /// Whether the viewer may see what the importer uploaded beyond the public bibliographic data (leftover
    /// columns, source file, change history): the bureau and the holders only.
    internal: bool,
    /// Patent id, for the similar-patents and enterprise links.
    id: i64,
    /// Whether the viewer may see the enterprises matched to the patent (the bureau and the holder).
    can_match_enterprises: bool,
    /// Place, chains and high-value criteria; none before the patent's first indicator refresh.
    indicators: Option<IndicatorSection>,
}

fn or_dash(v: Option<String>) -> String {
    v.filter(|s| !s.is_empty()).unwrap_or_else(|| "—".into())
}

fn field_label(key: &str) -> String {
    match key {
        "title" => "专利名称",
        "abstract_text" => "摘要",
        "first_claim" => "主权项",
        "claims" => "权利要求",
        "legal_status" => "法律状态",
        "legal_status_raw" => "法律状态（原文）",
        "applicants" => "申请人",
        "inventors" => "发明人",
        "ipc_codes" => "分类号",
        "main_ipc" => "主分类号",
        "grant_date" => "授权公告日",
        "grant_no" => "授权公告号",
        "publication_date" => "公开日",
        "publication_no" => "公开号",
        "filing_date" => "申请日",
        "agency" => "代理机构",
        "agents" => "代理人",
        "transfer_count" => "转移次数",
        "license_count" => "许可次数",
        "pledge_count" => "质押次数",
        "pledge_amount" => "质押金额",
        "family" => "同族专利",
        "extra" => "其他字段",
        other => return other.to_owned(),
    }
    .to_owned()
}

/// A pledge amount as the page shows it: yuan, and 万元 when it is a whole number of them.
fn pledge_text(m: Money) -> String {
    const FEN_PER_WAN: i64 = 1_000_000;
    if m.fen() != 0 && m.fen() % FEN_PER_WAN == 0 {
        format!("{m}（{} 万元）", m.fen() / FEN_PER_WAN)
    } else {
        m.to_string()
    }
}

/// A history value; pledge amounts are stored in fen and shown in yuan.
fn history_value(field: &str, v: &serde_json::Value) -> String {
    match (field, v.as_i64()) {
        ("pledge_amount", Some(fen)) => pledge_text(Money::from_fen(fen)),
        _ => short(v),
    }
}

fn short(v: &serde_json::Value) -> String {
    let s = match v {
        serde_json::Value::Null => "（空）".to_owned(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 120 { format!("{}…", s.chars().take(120).collect::<String>()) } else { s }
}

/// One patent with every field and its history.
pub async fn detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let view = state.app.patent(&ctx.actor, PatentId::new(id)).await?;
    let internal = ctx.can(ipbridge_domain::Permission::ViewAllOrgs)
        || ctx
            .user()
            .is_some_and(|s| view.patent.applicant_orgs.iter().flatten().any(|(org, _)| *org == s.user.org_id));
    let indicators = state
        .app
        .patent_indicators(&ctx.actor, id)
        .await?
        .map(|i| IndicatorSection::new(i, ctx.can(ipbridge_domain::Permission::ViewIndicators), internal));
    let r = &view.patent.record;
    let s = &view.patent.summary;
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string());
    let mut facts = vec![
        Field { label: "申请号", value: r.application_no.to_string() },
        Field { label: "专利类型", value: r.patent_type.label().to_owned() },
        Field { label: "申请日", value: or_dash(date(r.filing_date)) },
        Field { label: "公开号", value: or_dash(r.publication_no.clone()) },
        Field { label: "公开日", value: or_dash(date(r.publication_date)) },
        Field { label: "授权公告号", value: or_dash(r.grant_no.clone()) },
        Field { label: "授权公告日", value: or_dash(date(r.grant_date)) },
        Field {
            label: "法律状态",
            value: format!(
                "{}（{}）{}",
                r.legal_status.label(),
                r.legal_status_raw,
                if s.in_force { " · 有效" } else { " · 无效" }
            ),
        },
        Field { label: "保护期届满日", value: or_dash(view.expiry.map(|d| d.to_string())) },
    ];
    if let Some(fee) = &view.fee {
        facts.push(Field {
            label: "下次年费缴纳日",
            value: if fee.in_grace {
                format!(
                    "{}（已进入滞纳期，至 {} 止）",
                    fee.next_due,
                    fee.grace_ends.map(|d| d.to_string()).unwrap_or_default()
                )
            } else {
                fee.next_due.to_string()
            },
        });
    }
    facts.extend([
        Field { label: "发明人", value: or_dash(Some(r.inventors.join("；"))) },
        Field { label: "代理机构", value: or_dash(r.agency.clone()) },
        Field { label: "代理人", value: or_dash(Some(r.agents.join("；"))) },
        Field { label: "优先权", value: or_dash(Some(r.priorities.join("；"))) },
        Field {
            label: "同族专利",
            value: or_dash(Some(r.family.join("；"))) + if r.has_foreign_family { "（含海外同族）" } else { "" },
        },
        Field { label: "CPC 分类号", value: or_dash(Some(r.cpc_codes.join("；"))) },
        Field {
            label: "引证 / 被引证",
            value: format!(
                "{} / {}",
                or_dash(r.citation_count.map(|n| n.to_string())),
                or_dash(r.cited_by_count.map(|n| n.to_string()))
            ),
        },
        Field {
            label: "转移 / 许可 / 质押",
            value: format!("{} / {} / {} 次", r.transfer_count, r.license_count, r.pledge_count),
        },
    ]);
    // The amount a holder borrowed is its own business: the holder and the bureau see it.
    if let Some(amount) = r.pledge_amount.filter(|_| internal) {
        facts.push(Field { label: "质押金额", value: pledge_text(amount) });
    }
    facts.push(Field { label: "国省代码", value: or_dash(r.province_code.clone()) });
    let ipc = r
        .ipc_codes
        .iter()
        .map(|c| IpcLine {
            code: c.as_str().to_owned(),
            title: view
                .ipc_titles
                .get(c.as_str())
                .or_else(|| view.ipc_titles.get(&c.main_group()))
                .or_else(|| view.ipc_titles.get(c.subclass()))
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    let applicants = r
        .applicants
        .iter()
        .enumerate()
        .map(|(i, a)| ApplicantLine {
            name: match &a.address {
                Some(addr) if !addr.is_empty() => format!("{}（{}）", a.name, addr),
                _ => a.name.clone(),
            },
            org: view.patent.applicant_orgs.get(i).cloned().flatten().map(|(id, n)| (id.get(), n)),
        })
        .collect();
    let history = view
        .history
        .iter()
        .rev()
        .map(|h| {
            let changes: BTreeMap<String, serde_json::Value> = serde_json::from_str(&h.changes).unwrap_or_default();
            Change {
                at: china_time(h.at).format("%Y-%m-%d %H:%M:%S").to_string(),
                actor: h.actor_name.clone(),
                kind: if h.kind == "created" { "创建" } else { "更新" },
                import_id: h.import_id.map(|i| i.get()),
                fields: changes
                    .iter()
                    .map(|(k, v)| {
                        let pair = v.as_array().cloned().unwrap_or_default();
                        (
                            field_label(k),
                            pair.first().map(|v| history_value(k, v)).unwrap_or_default(),
                            pair.get(1).map(|v| history_value(k, v)).unwrap_or_default(),
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(render(&PatentPage {
        chrome: Chrome::new(&state, &ctx, &r.title, "patents"),
        title: r.title.clone(),
        application_no: r.application_no.to_string(),
        facts,
        ipc,
        applicants,
        abstract_text: r.abstract_text.clone(),
        first_claim: r.first_claim.clone(),
        claims: r.claims.clone(),
        extra: r.extra.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        history,
        source: match view.patent.source_row {
            Some(row) => format!("{} 第{}行", view.patent.source_file, row),
            None => view.patent.source_file.clone(),
        },
        import_id: view.patent.import_id.map(|i| i.get()),
        can_match_enterprises: ctx.can(ipbridge_domain::Permission::ManageMatches)
            || ctx.user().is_some_and(|u| view.patent.summary.owner_org_id == Some(u.user.org_id)),
        internal,
        id,
        indicators,
    }))
}

struct FeeRow {
    id: PatentId,
    application_no: String,
    title: String,
    filing_date: String,
    next_due: String,
    days_left: i64,
    grace_ends: String,
}

#[derive(Template)]
#[template(path = "fees.html")]
struct FeesPage {
    chrome: Chrome,
    org_name: String,
    orgs: Vec<(i64, String)>,
    org: i64,
    window: i64,
    rows: Vec<FeeRow>,
}

/// `?org=` of the fee reminder (the bureau picks an organisation; an institution sees its own).
#[derive(Debug, Default, Deserialize)]
pub struct FeeQuery {
    #[serde(default)]
    org: String,
}

/// The fee reminder as xlsx.
pub async fn fees_export(State(state): State<AppState>, ctx: Ctx, Query(q): Query<FeeQuery>) -> WebResult {
    let org = match q.org.parse::<i64>() {
        Ok(id) => OrgId::new(id),
        Err(_) => ctx.user().map(|s| s.user.org_id).ok_or(ipbridge_service::ServiceError::Unauthenticated)?,
    };
    let bytes = state.app.export_fees_due(&ctx.actor, org).await?;
    Ok(super::xlsx_download(&super::export_name(&state, "年费提醒"), bytes))
}

/// Annual fees falling due in the next 90 days for an institution's in-force patents.
pub async fn fees(State(state): State<AppState>, ctx: Ctx, Query(q): Query<FeeQuery>) -> WebResult {
    let me = ctx.user().map(|s| (s.user.org_id, s.user.org_name.clone()));
    let orgs: Vec<(i64, String)> = if ctx.can(ipbridge_domain::Permission::ImportAnyPatents) {
        state
            .app
            .list_orgs(&ctx.actor, &OrgFilter { kind: Some(OrgKind::Institution), ..OrgFilter::default() })
            .await?
            .orgs
            .into_iter()
            .map(|o| (o.id.get(), o.name))
            .collect()
    } else {
        Vec::new()
    };
    let org = q
        .org
        .parse::<i64>()
        .ok()
        .or_else(|| if orgs.is_empty() { me.as_ref().map(|(id, _)| id.get()) } else { orgs.first().map(|(id, _)| *id) })
        .unwrap_or_default();
    let org_name = orgs
        .iter()
        .find(|(id, _)| *id == org)
        .map(|(_, n)| n.clone())
        .or_else(|| me.filter(|(id, _)| id.get() == org).map(|(_, n)| n))
        .unwrap_or_default();
    let today = china_time(state.app.now()).date_naive();
    let window = ipbridge_service::patents::FEE_WINDOW_DAYS;
    let due = state.app.fees_due(&ctx.actor, OrgId::new(org), window).await?;
    let rows = due
        .into_iter()
        .map(|d| FeeRow {
            id: d.patent.id,
            application_no: d.patent.application_no,
            title: d.patent.title,
            filing_date: d.patent.filing_date.map(|f| f.to_string()).unwrap_or_default(),
            next_due: d.fee.next_due.to_string(),
            days_left: (d.fee.next_due - today).num_days(),
            grace_ends: d.fee.grace_ends.filter(|_| d.fee.in_grace).map(|g| g.to_string()).unwrap_or_default(),
        })
        .collect();
    Ok(render(&FeesPage {
        chrome: Chrome::new(&state, &ctx, "年费提醒", "fees"), org_name, orgs, org, window, rows
    }))
}
