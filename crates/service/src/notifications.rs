//! In-app notifications (站内通知). Demands and match records send them to the other side in the same
//! transaction as the change; accounts list them and mark them read.
//!
//! Notifications are addressed to an organisation (every member sees them; a member who joins later too)
//! or to one account, and each account keeps its own read marks. The three administrators see only what is
//! addressed to them personally: they take no part in business (三员分立).
//!
//! Reading a notification is not audited: it changes no business data, only the reader's own marks, and the
//! audit trail would otherwise fill with page views.

use chrono::{DateTime, Utc};
use ipbridge_domain::ids::{NotificationId, OrgId};
use ipbridge_domain::notification::{Notification, NotificationKind};
use ipbridge_domain::org::OrgKind;
use ipbridge_store::{NewNotification, NotificationReader, NotificationStore, OrgFilter, OrgStore, Tx};

use crate::{Actor, App, Result, ServiceError};

/// A page of notifications for one account.
#[derive(Debug, Clone)]
pub struct NotificationPage {
    /// Newest first.
    pub items: Vec<Notification>,
    /// Total (of the unread ones when only those were asked for).
    pub total: u64,
    /// How many are unread, for the badge.
    pub unread: u64,
}

/// One notice to send to one or more organisations.
#[derive(Debug, Clone)]
pub(crate) struct Notice {
    /// What it is about.
    pub kind: NotificationKind,
    /// One line.
    pub title: String,
    /// A few lines.
    pub body: String,
    /// Relative URL.
    pub link: String,
}

/// Sends `notice` to each organisation of `to` once, except `except` (the acting organisation: nobody is told
/// what they just did themselves).
pub(crate) async fn notify_orgs(
    tx: &mut Tx,
    to: &[Option<OrgId>],
    except: Option<OrgId>,
    notice: &Notice,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut sent: Vec<OrgId> = Vec::new();
    for org in to.iter().flatten() {
        if Some(*org) == except || sent.contains(org) {
            continue;
        }
        sent.push(*org);
        tx.insert_notification(
            &NewNotification {
                recipient_org_id: *org,
                recipient_user_id: None,
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

/// The bureau's organisation, which receives what waits for review or brokering.
pub(crate) async fn bureau_org(tx: &mut Tx) -> Result<Option<OrgId>> {
    let filter = OrgFilter { kind: Some(OrgKind::Bureau), limit: 1, ..OrgFilter::default() };
    Ok(tx.list_orgs(&filter).await?.first().map(|o| o.id))
}

fn reader(actor: &Actor) -> Result<NotificationReader> {
    let user = actor.user()?;
    Ok(NotificationReader {
        user_id: user.id,
        org_id: user.org_id,
        org_wide: !user.roles.iter().any(|r| r.is_administrator()),
    })
}

impl App {
    /// The logged-in account's notifications, newest first (only unread ones when asked), with the unread count.
    pub async fn notifications(
        &self,
        actor: &Actor,
        unread_only: bool,
        limit: u32,
        offset: u32,
    ) -> Result<NotificationPage> {
        let reader = reader(actor)?;
        let mut tx = self.db.read().await?;
        let items = tx.list_notifications(reader, unread_only, limit, offset).await?;
        let total = tx.count_notifications(reader, unread_only).await?;
        let unread = if unread_only { total } else { tx.count_notifications(reader, true).await? };
        Ok(NotificationPage { items, total, unread })
    }

    /// How many notifications the logged-in account has not read (the badge in the header).
    pub async fn unread_notification_count(&self, actor: &Actor) -> Result<u64> {
        let reader = reader(actor)?;
        Ok(self.db.read().await?.count_notifications(reader, true).await?)
    }

    /// Marks one notification read for the logged-in account; another account's is reported as not found.
    pub async fn mark_notification_read(&self, actor: &Actor, id: NotificationId) -> Result<()> {
        let reader = reader(actor)?;
        let mut tx = self.db.begin().await?;
        if !tx.mark_notification_read(reader, id, self.now()).await? {
            return Err(ServiceError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Marks every notification of the logged-in account read; returns how many were unread.
    pub async fn mark_all_notifications_read(&self, actor: &Actor) -> Result<u64> {
        let reader = reader(actor)?;
        let mut tx = self.db.begin().await?;
        let n = tx.mark_all_notifications_read(reader, self.now()).await?;
        tx.commit().await?;
        Ok(n)
    }
}
