//! Store tests on a real SQLite file: migrations, typed conflicts, the append-only audit log.

use chrono::{Duration, Utc};
use ipbridge_domain::CreditCode;
use ipbridge_domain::audit::{Action, ChainBreak, ChainVerifier, Outcome};
use ipbridge_domain::org::{InstitutionKind, OrgFields, OrgKind};
use ipbridge_domain::permission::Role;
use ipbridge_store::{
    AuditFilter, AuditStore, Conflict, Db, NewAuditEntry, NewUser, OrgFilter, OrgStore, Session, SessionStore,
    StoreError, UserStore,
};

struct TestDb {
    _dir: tempfile::TempDir,
    db: Db,
}

async fn db() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open_and_migrate(&dir.path().join("test.db")).await.unwrap();
    TestDb { _dir: dir, db }
}

fn org(kind: OrgKind, name: &str) -> OrgFields {
    OrgFields {
        kind,
        institution_kind: (kind == OrgKind::Institution).then_some(InstitutionKind::University),
        name: name.into(),
        credit_code: None,
        county_code: None,
        department_code: None,
        contact_name: String::new(),
        address: String::new(),
        active: true,
    }
}

fn entry(action: Action, object_id: &str) -> NewAuditEntry {
    NewAuditEntry {
        at: Utc::now(),
        actor_id: None,
        actor_name: "tester".into(),
        org_id: None,
        ip: "127.0.0.1".into(),
        action,
        object_type: "org".into(),
        object_id: object_id.into(),
        outcome: Outcome::Success,
        request_id: "r1".into(),
        detail: "{}".into(),
    }
}

#[tokio::test]
async fn the_database_runs_in_wal_mode_with_foreign_keys() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    // A faculty of a missing organisation violates the named foreign key.
    let err = tx.insert_faculty(ipbridge_domain::org::OrgId::new(999), "化学学院").await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(Conflict::MissingReference)), "{err:?}");
    drop(tx);
    assert!(t.db.integrity_problems().await.unwrap().is_empty());
    // Migrating again is a no-op.
    assert_eq!(t.db.migrate().await.unwrap(), 0);
    let wal = std::fs::read_dir(t.db.path().parent().unwrap())
        .unwrap()
        .any(|e| e.unwrap().file_name().to_string_lossy().ends_with("-wal"));
    assert!(wal, "WAL journal file expected beside the database");
}

#[tokio::test]
async fn unique_rules_come_back_as_typed_conflicts() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let mut a = org(OrgKind::Enterprise, "安康硒源茶业有限公司");
    a.credit_code = Some(CreditCode::parse("91440300708461136T").unwrap());
    tx.insert_org(&a, Utc::now()).await.unwrap();
    // Same name written with full-width brackets and spaces is the same organisation.
    let same_name = org(OrgKind::Enterprise, " 安康硒源茶业有限公司 ");
    assert!(matches!(tx.insert_org(&same_name, Utc::now()).await, Err(StoreError::Conflict(Conflict::OrgName))));
    let mut same_code = org(OrgKind::Enterprise, "另一家公司");
    same_code.credit_code = a.credit_code.clone();
    assert!(matches!(tx.insert_org(&same_code, Utc::now()).await, Err(StoreError::Conflict(Conflict::OrgCreditCode))));
    let inst = tx.insert_org(&org(OrgKind::Institution, "安康理工学院"), Utc::now()).await.unwrap();
    tx.insert_faculty(inst, "化学化工学院").await.unwrap();
    assert!(matches!(tx.insert_faculty(inst, "化学化工学院").await, Err(StoreError::Conflict(Conflict::FacultyName))));
    tx.commit().await.unwrap();

    let mut tx = t.db.read().await.unwrap();
    let found = tx.list_orgs(&OrgFilter { text: Some("硒源".into()), ..OrgFilter::default() }).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].credit_code.as_ref().unwrap().as_str(), "91440300708461136T");
    // LIKE wildcards in user text match literally.
    let none = tx.count_orgs(&OrgFilter { text: Some("%".into()), ..OrgFilter::default() }).await.unwrap();
    assert_eq!(none, 0);
}

#[tokio::test]
async fn users_roles_sessions_and_totp_steps() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let bureau = tx.insert_org(&org(OrgKind::Bureau, "安康市市场监管局"), Utc::now()).await.unwrap();
    let new = NewUser {
        username: "officer".into(),
        display_name: "李明".into(),
        org_id: bureau,
        faculty_id: None,
        password_hash: "$argon2id$placeholder".into(),
        must_change_password: true,
        is_demo: false,
    };
    let id = tx.insert_user(&new, Utc::now()).await.unwrap();
    assert!(matches!(tx.insert_user(&new, Utc::now()).await, Err(StoreError::Conflict(Conflict::Username))));
    tx.set_roles(id, &[Role::BureauOfficer, Role::BureauLeader]).await.unwrap();
    let now = Utc::now();
    tx.insert_session(&Session {
        token_hash: "h1".into(),
        user_id: id,
        created_at: now,
        last_seen_at: now,
        ip: "10.0.0.1".into(),
        totp_pending: true,
    })
    .await
    .unwrap();
    assert!(tx.accept_totp_step(id, 100).await.unwrap());
    assert!(!tx.accept_totp_step(id, 100).await.unwrap(), "a time step is accepted once");
    assert!(!tx.accept_totp_step(id, 99).await.unwrap());
    assert!(tx.accept_totp_step(id, 101).await.unwrap());
    tx.commit().await.unwrap();

    let mut tx = t.db.begin().await.unwrap();
    let u = tx.user_by_name("officer").await.unwrap().unwrap();
    assert_eq!(u.roles, vec![Role::BureauOfficer, Role::BureauLeader]);
    assert_eq!(u.org_kind, OrgKind::Bureau);
    assert!(tx.session("h1").await.unwrap().unwrap().totp_pending);
    // Idle sessions are purged.
    let purged = tx.delete_stale_sessions(now + Duration::minutes(1), now - Duration::hours(12)).await.unwrap();
    assert_eq!(purged, 1);
    assert_eq!(tx.user(id).await.unwrap().unwrap().roles.len(), 2);
    assert_eq!(tx.count_failure(id).await.unwrap(), 1);
    assert_eq!(tx.count_failure(id).await.unwrap(), 2, "failures count atomically");
}

#[tokio::test]
async fn the_audit_log_is_chained_and_append_only() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    for i in 0..5 {
        tx.append_audit(&entry(Action::OrgCreate, &i.to_string())).await.unwrap();
    }
    tx.commit().await.unwrap();

    // The chain verifies.
    let mut tx = t.db.read().await.unwrap();
    let all = tx.audit_after(0, 100).await.unwrap();
    let mut v = ChainVerifier::new();
    for r in &all {
        v.push(r).unwrap();
    }
    assert_eq!(v.checked(), 5);
    assert_eq!(tx.count_audit(&AuditFilter::default()).await.unwrap(), 5);
    drop(tx);

    // The triggers refuse an update and the deletion of a young record.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", t.db.path().display())).await.unwrap();
    let upd = sqlx::query("UPDATE audit_log SET outcome = 'denied' WHERE seq = 3").execute(&pool).await;
    assert!(upd.unwrap_err().to_string().contains("append-only"));
    let del = sqlx::query("DELETE FROM audit_log WHERE seq = 3").execute(&pool).await;
    assert!(del.unwrap_err().to_string().contains("180 days"));

    // Someone with file access drops the trigger and edits a record: verification names it.
    sqlx::query("DROP TRIGGER audit_log_no_update").execute(&pool).await.unwrap();
    sqlx::query("UPDATE audit_log SET actor_name = 'intruder' WHERE seq = 3").execute(&pool).await.unwrap();
    pool.close().await;
    let mut tx = t.db.read().await.unwrap();
    let all = tx.audit_after(0, 100).await.unwrap();
    let mut v = ChainVerifier::new();
    let broken = all.iter().find_map(|r| v.push(r).err());
    assert_eq!(broken, Some(ChainBreak::Altered { seq: 3 }));
}

#[tokio::test]
async fn an_old_record_may_be_deleted_after_the_retention_period() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    let mut old = entry(Action::Login, "1");
    old.at = Utc::now() - Duration::days(181);
    tx.append_audit(&old).await.unwrap();
    tx.append_audit(&entry(Action::Login, "2")).await.unwrap();
    tx.commit().await.unwrap();
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", t.db.path().display())).await.unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq = 1").execute(&pool).await.unwrap();
    pool.close().await;
    // The remaining chain is anchored on its first kept record.
    let mut tx = t.db.read().await.unwrap();
    let mut v = ChainVerifier::new();
    for r in tx.audit_after(0, 100).await.unwrap() {
        v.push(&r).unwrap();
    }
    assert_eq!(v.checked(), 1);
}

#[tokio::test]
async fn backup_is_a_consistent_copy_taken_while_open() {
    let t = db().await;
    let mut tx = t.db.begin().await.unwrap();
    tx.insert_org(&org(OrgKind::Bureau, "安康市市场监管局"), Utc::now()).await.unwrap();
    tx.append_audit(&entry(Action::OrgCreate, "1")).await.unwrap();
    tx.commit().await.unwrap();
    let out = t.db.path().with_file_name("copy.db");
    t.db.backup_into(&out).await.unwrap();
    let copy = Db::open(&out).await.unwrap();
    assert!(copy.integrity_problems().await.unwrap().is_empty());
    let mut tx = copy.read().await.unwrap();
    assert_eq!(tx.count_orgs(&OrgFilter::default()).await.unwrap(), 1);
    assert_eq!(tx.count_audit(&AuditFilter::default()).await.unwrap(), 1);
    // A backup never overwrites an existing file.
    assert!(t.db.backup_into(&out).await.is_err());
}
