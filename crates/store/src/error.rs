//! Store errors: typed conflicts from unique indexes, not-found, corrupt rows, and the rest.

/// A unique rule that a write ran into, named after the index that enforces it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    /// `orgs_name_key`
    #[error("同名机构已存在")]
    OrgName,
    /// `orgs_credit_code_key`
    #[error("该统一社会信用代码已登记")]
    OrgCreditCode,
    /// `users_username_key`
    #[error("用户名已被使用")]
    Username,
    /// `faculties_org_name_key`
    #[error("本单位已有同名院系")]
    FacultyName,
    /// `industry_chains_code_key`
    #[error("产业链代码已存在")]
    ChainCode,
    /// `industry_chains_name_key`
    #[error("同名产业链已存在")]
    ChainName,
    /// `patents_application_no_key`
    #[error("该申请号的专利已存在")]
    ApplicationNo,
    /// `match_records_open_key`: one open match record per patent and enterprise.
    #[error("该专利与该企业已有进行中的匹配记录")]
    OpenMatch,
    /// `inventory_records_patent_key`: one inventory record per patent.
    #[error("该专利已有盘点记录")]
    InventoryRecordExists,
    /// `roadshow_registrations_live_key`: one live registration per enterprise and roadshow.
    #[error("本企业已报名该路演")]
    RoadshowRegistered,
    /// `follow_up_projects_open_key`: one open follow-up project per patent and enterprise.
    #[error("该专利与该企业已有进行中的跟踪项目")]
    OpenFollowUp,
    /// A state change whose starting state no longer holds: someone else acted first.
    #[error("记录已被他人处理，请刷新后重试")]
    StaleState,
    /// A foreign key points at nothing.
    #[error("引用的记录不存在")]
    MissingReference,
    /// A unique index this version does not know.
    #[error("数据重复")]
    Other,
}

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique or foreign-key rule.
    #[error("conflict: {0}")]
    Conflict(Conflict),
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A stored value this version cannot read.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// The migrations could not be applied.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

/// SQLite reports a unique violation by the indexed columns, not by the index name, so this table maps
/// the column list it reports back to the named index (and so to the typed conflict).
const UNIQUE_COLUMNS: &[(&str, Conflict)] = &[
    ("orgs.name_normalised", Conflict::OrgName),
    ("orgs.credit_code", Conflict::OrgCreditCode),
    ("users.username", Conflict::Username),
    ("faculties.org_id, faculties.name", Conflict::FacultyName),
    ("industry_chains.code", Conflict::ChainCode),
    ("industry_chains.name", Conflict::ChainName),
    ("patents.application_no", Conflict::ApplicationNo),
    ("match_records.patent_id, match_records.enterprise_org_id", Conflict::OpenMatch),
    ("inventory_records.patent_id", Conflict::InventoryRecordExists),
    ("roadshow_registrations.roadshow_id, roadshow_registrations.enterprise_org_id", Conflict::RoadshowRegistered),
    ("follow_up_projects.patent_id, follow_up_projects.enterprise_org_id", Conflict::OpenFollowUp),
];

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let Some(db) = e.as_database_error() {
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => {
                    let msg = db.message();
                    let conflict = UNIQUE_COLUMNS
                        .iter()
                        .find(|(cols, _)| msg.ends_with(cols))
                        .map(|(_, c)| c.clone())
                        .unwrap_or(Conflict::Other);
                    return StoreError::Conflict(conflict);
                }
                sqlx::error::ErrorKind::ForeignKeyViolation => {
                    return StoreError::Conflict(Conflict::MissingReference);
                }
                _ => {}
            }
        }
        if matches!(e, sqlx::Error::RowNotFound) {
            return StoreError::NotFound;
        }
        StoreError::Database(e)
    }
}
