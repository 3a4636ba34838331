//! The audit trail's record and its SM3 hash chain. Each record's hash covers the previous record's hash
//! and the record's canonical bytes, so editing, inserting or removing any record breaks every hash after it.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sm3::{Digest, Sm3};

/// The hash the first record of an empty log chains to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Days a record must be kept before it may be deleted (等保: at least six months).
pub const RETENTION_DAYS: i64 = 180;

/// Whether the action did what was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done.
    Success,
    /// Refused by a rule: wrong password, locked, missing permission.
    Denied,
    /// Failed on an error.
    Failure,
}

impl Outcome {
    /// Every outcome, for filters.
    pub const ALL: [Outcome; 3] = [Outcome::Success, Outcome::Denied, Outcome::Failure];

    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failure => "failure",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            Outcome::Success => "成功",
            Outcome::Denied => "拒绝",
            Outcome::Failure => "失败",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }
}

macro_rules! actions {
    ($($variant:ident => $code:literal, $label:literal;)*) => {
        /// What was done. Codes are stable: they are stored and exported.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action { $(#[doc = $label] $variant,)* }

        impl Action {
            /// Every action, for filters.
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];
            /// Stable code stored in the database.
            pub const fn code(self) -> &'static str {
                match self { $(Action::$variant => $code,)* }
            }
            /// Chinese name shown to users.
            pub const fn label(self) -> &'static str {
                match self { $(Action::$variant => $label,)* }
            }
            /// Parses a stored code.
            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|a| a.code() == code)
            }
        }
    };
}

actions! {
    Login => "auth.login", "登录";
    Logout => "auth.logout", "退出登录";
    SessionExpired => "auth.session_expired", "会话超时";
    TotpVerify => "auth.totp_verify", "二次验证";
    AccessDenied => "auth.access_denied", "越权访问";
    CsrfRejected => "auth.csrf_rejected", "表单令牌校验失败";
    PasswordChange => "account.password_change", "修改密码";
    PasswordReset => "account.password_reset", "重置密码";
    TotpEnrol => "account.totp_enrol", "绑定动态口令";
    TotpRemove => "account.totp_remove", "解除动态口令";
    UserCreate => "user.create", "创建账号";
    UserUpdate => "user.update", "修改账号";
    UserDisable => "user.disable", "停用账号";
    UserEnable => "user.enable", "启用账号";
    UserUnlock => "user.unlock", "解锁账号";
    RolesGrant => "user.roles", "角色授权";
    OrgCreate => "org.create", "创建机构";
    OrgUpdate => "org.update", "修改机构";
    FacultyCreate => "faculty.create", "创建院系";
    FacultyUpdate => "faculty.update", "修改院系";
    ChainCreate => "chain.create", "新增产业链";
    ChainUpdate => "chain.update", "修改产业链";
    AuditExport => "audit.export", "导出审计日志";
    Backup => "system.backup", "备份";
    Restore => "system.restore", "恢复";
    DemoSeed => "system.demo_seed", "生成演示数据";
    ServerKeyCreate => "system.server_key", "生成服务器密钥";
    ImportStart => "import.start", "开始导入";
    ImportFinish => "import.finish", "完成导入";
    PatentImport => "patent.import", "导入专利记录";
    ApplicantLink => "applicant.link", "关联申请人与机构";
    ReferenceLoad => "reference.load", "加载参考数据";
    ImportReportDownload => "import.report_download", "下载导入错误报告";
    ListExport => "list.export", "导出列表";
    DemandCreate => "demand.create", "登记技术需求";
    DemandUpdate => "demand.update", "修改技术需求";
    DemandSubmit => "demand.submit", "提交技术需求";
    DemandPublish => "demand.publish", "发布技术需求";
    DemandReturn => "demand.return", "退回技术需求";
    DemandClose => "demand.close", "关闭技术需求";
    DemandImport => "demand.import", "导入技术需求";
    MatchSave => "match.save", "保存匹配记录";
    MatchPush => "match.push", "推送专利";
    MatchTransition => "match.transition", "变更匹配状态";
    MatchFeedback => "match.feedback", "企业反馈";
    ProfileUpdate => "org.profile_update", "修改企业技术画像";
    SearchReindex => "search.reindex", "重建检索索引";
    InventoryCreate => "inventory.create", "新建盘点记录";
    InventoryUpdate => "inventory.update", "修改盘点记录";
    InventoryImport => "inventory.import", "导入盘点记录";
    InventorySubmit => "inventory.submit", "提交盘点记录";
    InventoryWithdraw => "inventory.withdraw", "撤回盘点记录";
    InventoryApprove => "inventory.approve", "审核通过盘点记录";
    InventoryReturn => "inventory.return", "退回盘点记录";
    InventoryBasePool => "inventory.base_pool", "纳入专利基础库";
    InventoryScreen => "inventory.screen", "遴选入可转化专利资源库";
    InventoryRemoveFromPool => "inventory.remove_from_pool", "移出可转化专利资源库";
    InventorLink => "inventory.inventor_link", "关联发明人账号与专利";
    InventorUnlink => "inventory.inventor_unlink", "解除发明人账号与专利的关联";
    CampaignCreate => "campaign.create", "发起专利推送";
    PoolInterest => "pool.interest", "企业表达意向（我有意向）";
    PoolFeedback => "pool.feedback", "企业评价反馈";
    InquiryCreate => "inquiry.create", "企业咨询";
    InquiryAnswer => "inquiry.answer", "答复企业咨询";
    InquiryClose => "inquiry.close", "关闭企业咨询";
    RoadshowCreate => "roadshow.create", "创建路演活动";
    RoadshowUpdate => "roadshow.update", "修改路演活动";
    RoadshowStatus => "roadshow.status", "变更路演状态";
    RoadshowRegister => "roadshow.register", "路演报名";
    RoadshowUnregister => "roadshow.unregister", "取消路演报名";
    FollowUpProjectCreate => "follow_up.project_create", "建立跟踪项目";
    FollowUpRecord => "follow_up.record", "记录跟踪服务";
    DealCreate => "deal.create", "登记转化交易";
    DealUpdate => "deal.update", "修改转化交易";
    DealCancel => "deal.cancel", "撤销转化交易";
    AwardRecord => "indicator.award_record", "登记获奖专利";
    AwardDelete => "indicator.award_delete", "删除获奖专利登记";
    AwardImport => "indicator.award_import", "导入获奖专利名单";
    PlaceSet => "indicator.place_set", "指定申请人归属";
    PlaceClear => "indicator.place_clear", "取消申请人归属指定";
    TrademarkStatsSave => "indicator.trademark_stats", "录入商标与地理标志统计";
    TrademarkStatsImport => "indicator.trademark_import", "导入商标与地理标志统计";
    IntensiveStatsSave => "indicator.intensive_stats", "录入专利密集型产业统计";
    SnapshotTake => "indicator.snapshot", "生成指标快照";
}

/// One audit record as it is hashed. Optional fields hash as empty strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    /// Sequence number, gap-free from 1.
    pub seq: i64,
    /// When, to the microsecond, UTC.
    pub at: DateTime<Utc>,
    /// The acting account's id; none for anonymous attempts and the command line.
    pub actor_id: Option<i64>,
    /// The acting account's login name, or the attempted name, or `cli`.
    pub actor_name: String,
    /// The actor's organisation.
    pub org_id: Option<i64>,
    /// Client address.
    pub ip: String,
    /// Stable action code ([`Action::code`]).
    pub action: String,
    /// Kind of object acted on (`user`, `org`, …).
    pub object_type: String,
    /// Id of the object acted on.
    pub object_id: String,
    /// Result code ([`Outcome::code`]).
    pub outcome: String,
    /// Request id, echoed on error pages, to find the log lines of the same request.
    pub request_id: String,
    /// Free detail (JSON text), never a secret.
    pub detail: String,
}

impl AuditRecord {
    /// The exact bytes that are hashed: every field length-prefixed, so no two records share an encoding.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let fields: [String; 12] = [
            self.seq.to_string(),
            self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            self.actor_id.map(|v| v.to_string()).unwrap_or_default(),
            self.actor_name.clone(),
            self.org_id.map(|v| v.to_string()).unwrap_or_default(),
            self.ip.clone(),
            self.action.clone(),
            self.object_type.clone(),
            self.object_id.clone(),
            self.outcome.clone(),
            self.request_id.clone(),
            self.detail.clone(),
        ];
        let mut out = Vec::with_capacity(256);
        for f in fields {
            out.extend_from_slice(f.len().to_string().as_bytes());
            out.push(b':');
            out.extend_from_slice(f.as_bytes());
            out.push(b';');
        }
        out
    }

    /// The chained hash: SM3(previous hash ‖ canonical bytes), lower-case hex.
    pub fn chain_hash(&self, prev_hash: &str) -> String {
        let mut h = Sm3::new();
        h.update(prev_hash.as_bytes());
        h.update(self.canonical_bytes());
        hex::encode(h.finalize())
    }
}

/// A stored record with the hashes written beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAuditRecord {
    /// The record.
    pub record: AuditRecord,
    /// The hash stored as the previous record's.
    pub prev_hash: String,
    /// The hash stored for this record.
    pub hash: String,
}

/// What verifying a chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// The record's content no longer matches its hash: it was edited.
    Altered {
        /// Sequence number of the record.
        seq: i64,
    },
    /// The record does not link to the one before it: a record was removed or inserted.
    Unlinked {
        /// Sequence number of the record.
        seq: i64,
    },
    /// A sequence number is missing in the middle of the log.
    Gap {
        /// The missing sequence number.
        expected: i64,
        /// The number found instead.
        found: i64,
    },
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainBreak::Altered { seq } => {
                write!(f, "record {seq} was altered: its content does not match its hash")
            }
            ChainBreak::Unlinked { seq } => {
                write!(f, "record {seq} does not link to the record before it (a record was removed or inserted)")
            }
            ChainBreak::Gap { expected, found } => {
                write!(f, "record {expected} is missing (next record is {found})")
            }
        }
    }
}

/// Incremental verifier, so the store can stream millions of records through it in order.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    prev_hash: Option<String>,
    next_seq: Option<i64>,
    checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainVerifier {
    /// Starts at the oldest kept record. Records older than the retention period may have been pruned,
    /// so the first record's stored previous hash is trusted as the anchor unless it is record 1.
    pub fn new() -> Self {
        Self { prev_hash: None, next_seq: None, checked: 0 }
    }

    /// Checks the next record in sequence order.
    pub fn push(&mut self, r: &StoredAuditRecord) -> Result<(), ChainBreak> {
        let seq = r.record.seq;
        if let Some(expected) = self.next_seq
            && seq != expected
        {
            return Err(ChainBreak::Gap { expected, found: seq });
        }
        let anchor = match &self.prev_hash {
            Some(h) => h.as_str(),
            None if seq == 1 => GENESIS_HASH,
            None => r.prev_hash.as_str(),
        };
        if r.prev_hash != anchor {
            return Err(ChainBreak::Unlinked { seq });
        }
        if r.record.chain_hash(anchor) != r.hash {
            return Err(ChainBreak::Altered { seq });
        }
        self.prev_hash = Some(r.hash.clone());
        self.next_seq = Some(seq + 1);
        self.checked += 1;
        Ok(())
    }

    /// How many records verified.
    pub fn checked(&self) -> u64 {
        self.checked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: i64) -> AuditRecord {
        AuditRecord {
            seq,
            at: DateTime::parse_from_rfc3339("2026-11-26T08:00:00.123456Z").unwrap().to_utc(),
            actor_id: Some(7),
            actor_name: "bureau_officer".into(),
            org_id: Some(1),
            ip: "127.0.0.1".into(),
            action: Action::OrgCreate.code().into(),
            object_type: "org".into(),
            object_id: seq.to_string(),
            outcome: Outcome::Success.code().into(),
            request_id: format!("req-{seq}"),
            detail: "{}".into(),
        }
    }

    fn chain(n: i64) -> Vec<StoredAuditRecord> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let record = record(seq);
                let hash = record.chain_hash(&prev);
                let stored = StoredAuditRecord { record, prev_hash: prev.clone(), hash: hash.clone() };
                prev = hash;
                stored
            })
            .collect()
    }

    fn verify(records: &[StoredAuditRecord]) -> Result<u64, ChainBreak> {
        let mut v = ChainVerifier::new();
        for r in records {
            v.push(r)?;
        }
        Ok(v.checked())
    }

    #[test]
    fn sm3_matches_the_standard_test_vector() {
        // GB/T 32905-2016 example 1: SM3("abc").
        let mut h = Sm3::new();
        h.update(b"abc");
        assert_eq!(hex::encode(h.finalize()), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
    }

    #[test]
    fn an_edited_field_is_found() {
        let mut c = chain(5);
        c[2].record.outcome = Outcome::Denied.code().into();
        assert_eq!(verify(&c), Err(ChainBreak::Altered { seq: 3 }));
    }

    #[test]
    fn a_recomputed_hash_breaks_the_next_link() {
        // An editor who also rewrites the record's own hash still breaks the link of the following record.
        let mut c = chain(5);
        c[1].record.actor_name = "someone_else".into();
        c[1].hash = c[1].record.chain_hash(&c[1].prev_hash);
        assert_eq!(verify(&c), Err(ChainBreak::Unlinked { seq: 3 }));
    }

    #[test]
    fn a_removed_record_is_found() {
        let mut c = chain(5);
        c.remove(2);
        assert_eq!(verify(&c), Err(ChainBreak::Gap { expected: 3, found: 4 }));
    }

    #[test]
    fn pruned_prefix_is_anchored_on_the_first_kept_record() {
        let c = chain(6);
        assert_eq!(verify(&c[3..]), Ok(3));
    }

    #[test]
    fn encoding_is_unambiguous() {
        let mut a = record(1);
        let mut b = record(1);
        a.actor_name = "ab".into();
        a.ip = "c".into();
        b.actor_name = "a".into();
        b.ip = "bc".into();
        assert_ne!(a.canonical_bytes(), b.canonical_bytes());
    }

    #[test]
    fn action_codes_are_unique_and_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::from_code(a.code()), Some(*a));
        }
        let mut codes: Vec<_> = Action::ALL.iter().map(|a| a.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Action::ALL.len());
    }
}
