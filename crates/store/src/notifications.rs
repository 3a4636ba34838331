//! In-app notifications: addressed to an organisation or one of its accounts, read marks per account.

use chrono::{DateTime, Utc};
use ipbridge_domain::ids::{NotificationId, OrgId, UserId};
use ipbridge_domain::notification::{Notification, NotificationKind};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::{Result, StoreError, Tx, time};

/// A notification to send.
#[derive(Debug, Clone)]
pub struct NewNotification {
    /// The organisation it is addressed to.
    pub recipient_org_id: OrgId,
    /// One account of it, or every member when `None`.
    pub recipient_user_id: Option<UserId>,
    /// What it is about.
    pub kind: NotificationKind,
    /// One line.
    pub title: String,
    /// A few lines.
    pub body: String,
    /// Relative URL, e.g. `/matches/12`.
    pub link: String,
}

/// Whose notifications: one account, as a member of its organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationReader {
    /// The account.
    pub user_id: UserId,
    /// Its organisation.
    pub org_id: OrgId,
    /// Whether it sees what is addressed to the whole organisation. The three administrators do not: they
    /// take no part in business, and 三员分立 keeps business data away from them.
    pub org_wide: bool,
}

/// Notifications area.
pub trait NotificationStore {
    /// Sends a notification.
    async fn insert_notification(&mut self, new: &NewNotification, now: DateTime<Utc>) -> Result<NotificationId>;
    /// A page of the reader's notifications, newest first.
    async fn list_notifications(
        &mut self,
        reader: NotificationReader,
        unread_only: bool,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Notification>>;
    /// How many of the reader's notifications there are (only unread ones when asked).
    async fn count_notifications(&mut self, reader: NotificationReader, unread_only: bool) -> Result<u64>;
    /// Marks one notification read for the reader; false when the reader cannot see it.
    async fn mark_notification_read(
        &mut self,
        reader: NotificationReader,
        id: NotificationId,
        now: DateTime<Utc>,
    ) -> Result<bool>;
    /// Marks every unread notification of the reader read; returns how many.
    async fn mark_all_notifications_read(&mut self, reader: NotificationReader, now: DateTime<Utc>) -> Result<u64>;
}

fn push_visible(qb: &mut QueryBuilder<Sqlite>, r: NotificationReader) {
    qb.push(" WHERE n.recipient_org_id = ").push_bind(r.org_id.get());
    if r.org_wide {
        qb.push(" AND (n.recipient_user_id IS NULL OR n.recipient_user_id = ").push_bind(r.user_id.get()).push(")");
    } else {
        qb.push(" AND n.recipient_user_id = ").push_bind(r.user_id.get());
    }
}

fn notification_from_row(row: &SqliteRow) -> Result<Notification> {
    let kind: String = row.try_get("kind")?;
    Ok(Notification {
        id: NotificationId::new(row.try_get("id")?),
        recipient_org_id: OrgId::new(row.try_get("recipient_org_id")?),
        recipient_user_id: row.try_get::<Option<i64>, _>("recipient_user_id")?.map(UserId::new),
        kind: kind.parse().map_err(|e| StoreError::Corrupt(format!("notifications.kind: {e}")))?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        link: row.try_get("link")?,
        created_at: time::from_text(&row.try_get::<String, _>("created_at")?)?,
        read_at: time::opt_from_text(row.try_get("read_at")?)?,
    })
}

impl NotificationStore for Tx {
    async fn insert_notification(&mut self, n: &NewNotification, now: DateTime<Utc>) -> Result<NotificationId> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO notifications (recipient_org_id, recipient_user_id, kind, title, body, link, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        )
        .bind(n.recipient_org_id.get())
        .bind(n.recipient_user_id.map(UserId::get))
        .bind(n.kind.code())
        .bind(&n.title)
        .bind(&n.body)
        .bind(&n.link)
        .bind(time::to_text(now))
        .fetch_one(self.conn())
        .await?;
        Ok(NotificationId::new(id))
    }

    async fn list_notifications(
        &mut self,
        reader: NotificationReader,
        unread_only: bool,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Notification>> {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT n.id, n.recipient_org_id, n.recipient_user_id, n.kind, n.title, n.body, n.link, n.created_at, \
             r.read_at FROM notifications n LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.user_id = ",
        );
        qb.push_bind(reader.user_id.get());
        push_visible(&mut qb, reader);
        if unread_only {
            qb.push(" AND r.read_at IS NULL");
        }
        qb.push(" ORDER BY n.id DESC");
        if limit > 0 {
            qb.push(" LIMIT ").push_bind(i64::from(limit)).push(" OFFSET ").push_bind(i64::from(offset));
        }
        let rows = qb.build().fetch_all(self.conn()).await?;
        rows.iter().map(notification_from_row).collect()
    }

    async fn count_notifications(&mut self, reader: NotificationReader, unread_only: bool) -> Result<u64> {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT count(*) FROM notifications n LEFT JOIN notification_reads r \
             ON r.notification_id = n.id AND r.user_id = ",
        );
        qb.push_bind(reader.user_id.get());
        push_visible(&mut qb, reader);
        if unread_only {
            qb.push(" AND r.read_at IS NULL");
        }
        let n: i64 = qb.build_query_scalar().fetch_one(self.conn()).await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn mark_notification_read(
        &mut self,
        reader: NotificationReader,
        id: NotificationId,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM notifications n");
        push_visible(&mut qb, reader);
        qb.push(" AND n.id = ").push_bind(id.get());
        let visible: i64 = qb.build_query_scalar().fetch_one(self.conn()).await?;
        if visible == 0 {
            return Ok(false);
        }
        // Reading twice keeps the first time.
        sqlx::query("INSERT OR IGNORE INTO notification_reads (notification_id, user_id, read_at) VALUES (?1, ?2, ?3)")
            .bind(id.get())
            .bind(reader.user_id.get())
            .bind(time::to_text(now))
            .execute(self.conn())
            .await?;
        Ok(true)
    }

    async fn mark_all_notifications_read(&mut self, reader: NotificationReader, now: DateTime<Utc>) -> Result<u64> {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT OR IGNORE INTO notification_reads (notification_id, user_id, read_at) SELECT n.id, ",
        );
        qb.push_bind(reader.user_id.get()).push(", ").push_bind(time::to_text(now)).push(" FROM notifications n");
        push_visible(&mut qb, reader);
        qb.push(" AND NOT EXISTS (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.user_id = ")
            .push_bind(reader.user_id.get())
            .push(")");
        let done = qb.build().execute(self.conn()).await?;
        Ok(done.rows_affected())
    }
}
