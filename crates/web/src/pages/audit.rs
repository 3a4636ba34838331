//! The audit log page and its xlsx export (audit administrator only).

use askama::Template;
use axum::extract::{Query, State};
use chrono::{NaiveDate, TimeZone};
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_service::AuditFilter;
use ipbridge_service::auth::china_time;
use serde::Deserialize;

use super::admin::{PAGE_SIZE, Pager};
use super::{Chrome, render};
use crate::ctx::Ctx;
use crate::error::{WebError, WebResult};
use crate::{AppState, paths};

/// The filters as typed (dates are local days, inclusive).
#[derive(Debug, Default, Deserialize, Clone)]
pub struct AuditQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    object: String,
    #[serde(default)]
    ip: String,
    #[serde(default)]
    page: Option<u32>,
}

fn local_midnight(d: NaiveDate) -> Option<chrono::DateTime<chrono::Utc>> {
    let tz = chrono::FixedOffset::east_opt(8 * 3600)?;
    tz.from_local_datetime(&d.and_hms_opt(0, 0, 0)?).single().map(|t| t.to_utc())
}

impl AuditQuery {
    fn filter(&self) -> Result<AuditFilter, WebError> {
        let day = |s: &str, what: &str| -> Result<Option<NaiveDate>, WebError> {
            match s.trim() {
                "" => Ok(None),
                t => NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| WebError::invalid(format!("{what}“{t}”不是有效日期，应为 2026-11-26 这样的格式"))),
            }
        };
        let from = day(&self.from, "开始日期")?.and_then(local_midnight);
        let until = day(&self.to, "结束日期")?.and_then(|d| d.succ_opt()).and_then(local_midnight);
        Ok(AuditFilter {
            from,
            until,
            actor: Some(self.actor.clone()),
            action: Action::from_code(&self.action),
            outcome: Outcome::from_code(&self.outcome),
            object: Some(self.object.clone()),
            ip: Some(self.ip.clone()),
            limit: PAGE_SIZE,
            offset: 0,
        })
    }

    fn query_string(&self) -> String {
        serde_urlencoded::to_string([
            ("from", &self.from),
            ("to", &self.to),
            ("actor", &self.actor),
            ("action", &self.action),
            ("outcome", &self.outcome),
            ("object", &self.object),
            ("ip", &self.ip),
        ])
        .unwrap_or_default()
    }
}

struct Row {
    seq: i64,
    at: String,
    actor: String,
    ip: String,
    action: String,
    object: String,
    outcome: String,
    outcome_code: String,
    request_id: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    q: AuditQuery,
    actions: Vec<(&'static str, &'static str)>,
    outcomes: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
    pager: Pager,
    export_href: String,
}

/// The audit log with filters.
pub async fn page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<AuditQuery>) -> WebResult {
    let mut page_no = q.page.unwrap_or(1);
    let mut filter = q.filter()?;
    filter.offset = Pager::offset(page_no);
    let mut result = state.app.audit_page(&ctx.actor, &filter).await?;
    if let Some(shown) = Pager::correction(page_no, result.total) {
        page_no = shown;
        filter.offset = Pager::offset(page_no);
        result = state.app.audit_page(&ctx.actor, &filter).await?;
    }
    let qs = q.query_string();
    let rows = result
        .records
        .iter()
        .map(|r| {
            let rec = &r.record;
            Row {
                seq: rec.seq,
                at: china_time(rec.at).format("%Y-%m-%d %H:%M:%S").to_string(),
                actor: rec.actor_name.clone(),
                ip: rec.ip.clone(),
                action: Action::from_code(&rec.action)
                    .map(|a| a.label().to_owned())
                    .unwrap_or_else(|| rec.action.clone()),
                object: if rec.object_id.is_empty() {
                    rec.object_type.clone()
                } else {
                    format!("{}:{}", rec.object_type, rec.object_id)
                },
                outcome: Outcome::from_code(&rec.outcome)
                    .map(|o| o.label().to_owned())
                    .unwrap_or_else(|| rec.outcome.clone()),
                outcome_code: rec.outcome.clone(),
                request_id: rec.request_id.clone(),
                detail: rec.detail.clone(),
            }
        })
        .collect();
    Ok(render(&AuditPage {
        chrome: Chrome::new(&state, &ctx, "审计日志", "audit"),
        actions: Action::ALL.iter().map(|a| (a.code(), a.label())).collect(),
        outcomes: Outcome::ALL.iter().map(|o| (o.code(), o.label())).collect(),
        rows,
        pager: Pager::new(page_no, result.total, |p| format!("{}?{qs}&page={p}", paths::ADMIN_AUDIT)),
        export_href: format!("{}?{qs}", paths::ADMIN_AUDIT_EXPORT),
        q,
    }))
}

/// The filtered log as an xlsx file.
pub async fn export(State(state): State<AppState>, ctx: Ctx, Query(q): Query<AuditQuery>) -> WebResult {
    let filter = q.filter()?;
    let bytes = state.app.audit_export(&ctx.actor, &filter).await?;
    Ok(super::xlsx_download(&super::export_name(&state, "审计日志"), bytes))
}
