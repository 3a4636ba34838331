//! In-app notifications (站内通知): the list, opening one (marked read, then its record), and marking all read.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use ipbridge_domain::ids::NotificationId;
use ipbridge_service::auth::china_time;
use serde::Deserialize;

use super::account::safe_next;
use super::admin::Pager;
use super::{Chrome, redirect_with_flash, render};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::WebResult;

/// Notifications per page.
const PER_PAGE: u32 = 20;

/// `?unread=1&page=`
#[derive(Debug, Default, Deserialize)]
pub struct NotificationQuery {
    #[serde(default)]
    unread: String,
    #[serde(default)]
    page: Option<u32>,
}

struct Item {
    id: i64,
    kind: &'static str,
    title: String,
    body: String,
    link: String,
    at: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
    unread_only: bool,
    unread: u64,
    items: Vec<Item>,
    pager: Pager,
}

/// The account's notifications, newest first; `?unread=1` shows the unread ones only.
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<NotificationQuery>) -> WebResult {
    let unread_only = q.unread == "1";
    let page = q.page.unwrap_or(1).max(1);
    let offset = (page - 1).saturating_mul(PER_PAGE);
    let result = state.app.notifications(&ctx.actor, unread_only, PER_PAGE, offset).await?;
    let items = result
        .items
        .iter()
        .map(|n| Item {
            id: n.id.get(),
            kind: n.kind.label(),
            title: n.title.clone(),
            body: n.body.clone(),
            // Links are written by the platform; still, only a local path is ever followed.
            link: safe_next(Some(&n.link)),
            at: china_time(n.created_at).format("%Y-%m-%d %H:%M").to_string(),
            unread: n.read_at.is_none(),
        })
        .collect();
    let filter = if unread_only { "unread=1&" } else { "" };
    Ok(render(&NotificationsPage {
        chrome: Chrome::new(&state, &ctx, "站内通知", "notifications"),
        unread_only,
        unread: result.unread,
        items,
        pager: Pager::per(page, result.total, PER_PAGE, |p| format!("/notifications?{filter}page={p}")),
    }))
}

/// Where to go after marking a notification read.
#[derive(Debug, Default, Deserialize)]
pub struct ReadForm {
    #[serde(default)]
    next: String,
}

/// Marks one notification read and follows its link.
pub async fn read(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, Form(f): Form<ReadForm>) -> WebResult {
    state.app.mark_notification_read(&ctx.actor, NotificationId::new(id)).await?;
    let next = if f.next.is_empty() { "/notifications".to_owned() } else { safe_next(Some(&f.next)) };
    Ok(axum::response::IntoResponse::into_response(axum::response::Redirect::to(&next)))
}

/// Marks every notification of the account read.
pub async fn read_all(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let n = state.app.mark_all_notifications_read(&ctx.actor).await?;
    let message =
        if n == 0 { "没有未读通知。".to_owned() } else { format!("已将{n}条通知标为已读。") };
    Ok(redirect_with_flash("/notifications", "success", &message))
}
