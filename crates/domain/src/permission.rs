//! Roles and permissions. The route guard and the services ask this module, never a role name, so the
//! whole permission model can be read (and tested) in one place.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::org::{OrgKind, UnknownCode};

/// A role a user account holds. Accounts hold one or more; see [`check_role_set`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员: accounts and configuration; no audit log, no role grants.
    SystemAdmin,
    /// 安全管理员: grants and revokes roles.
    SecurityAdmin,
    /// 审计管理员: reads the audit log, nothing else.
    AuditAdmin,
    /// 局业务人员: day-to-day work of the bureau.
    BureauOfficer,
    /// 局领导: approves.
    BureauLeader,
    /// 部门人员: a city department's officer.
    DepartmentOfficer,
    /// 县区人员: a county's officer.
    CountyOfficer,
    /// 单位管理员: an institution's administrator.
    InstitutionAdmin,
    /// 学院审核人: reviews a faculty's records.
    FacultyReviewer,
    /// 发明人
    Inventor,
    /// 企业用户
    EnterpriseUser,
    /// 银行用户
    LenderUser,
    /// 保险机构用户
    InsurerUser,
    /// 服务机构用户
    AgencyUser,
}

/// What a role allows. Routes declare one of these; services check them again with the object in hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Create, edit, disable, unlock accounts and reset their passwords.
    ManageAccounts,
    /// Read the platform's configuration and policy, take backups.
    ManageConfig,
    /// Grant and revoke roles.
    GrantRoles,
    /// Read and export the audit log.
    ReadAudit,
    /// Create and edit any organisation.
    ManageOrgs,
    /// See every organisation (not only one's own).
    ViewAllOrgs,
    /// Edit the industry chain list.
    ManageChains,
    /// Edit one's own organisation's profile and faculties.
    ManageOwnOrg,
    /// Import patent records of any holder, and organisations.
    ImportAnyPatents,
    /// Import the patents one's own organisation holds.
    ImportOwnPatents,
    /// Link unmatched applicant names to organisations.
    ReviewApplicants,
    /// Post technology demands: an enterprise for itself, an agency on behalf of a named enterprise.
    PostDemands,
    /// Publish or return submitted demands, and import demands collected offline.
    ReviewDemands,
    /// Save and push matches between any patent and enterprise, move any match record as the bureau, export.
    ManageMatches,
    /// See every demand and every match record (the bureau's overview; read only).
    ViewAllMatches,
    /// Take part in matches as a party: an enterprise answers proposals, a holder answers interest.
    HandleMatches,
    /// Fill in, edit, import and submit inventory records: an inventor for the patents linked to the account,
    /// an institution admin for the institution's patents.
    FileInventory,
    /// Review the inventory records of one's own faculty (学院审核).
    ReviewInventoryFaculty,
    /// Review the inventory records of one's own institution (单位审核), and link inventor accounts to patents.
    ReviewInventoryInstitution,
    /// Move reviewed records into the base pool and the transferable pool, and out again (入库遴选).
    ScreenPool,
    /// See inventory coverage: one's faculty or institution, or every institution with [`Permission::ViewAllInventory`].
    ViewCoverage,
    /// See every institution's records, coverage, inquiries and deals (the bureau's overview; read only).
    ViewAllInventory,
    /// Push pool patents to enterprises as recorded campaigns (推送批次).
    ManageCampaigns,
    /// Ask an institution about a pool patent (企业咨询).
    AskInquiries,
    /// Answer enterprise inquiries about one's institution's patents.
    AnswerInquiries,
    /// Plan roadshows, choose their patents, mark them held or cancelled.
    ManageRoadshows,
    /// Register one's enterprise for a roadshow.
    RegisterRoadshows,
    /// Keep one-on-one follow-up projects and their logs.
    RecordFollowUps,
    /// Record transfer deals (the bureau any; an institution its own patents').
    RecordDeals,
    /// See the indicators, dashboards, breakdowns and chain landscapes.
    ViewIndicators,
    /// Enter statistics (trademarks, patent-intensive industries), record awards, set where applicants
    /// count, take snapshots.
    ManageIndicators,
}

impl Permission {
    /// Every permission, for matrix tests and documentation.
    pub const ALL: [Permission; 31] = [
        Permission::ManageAccounts,
        Permission::ManageConfig,
        Permission::GrantRoles,
        Permission::ReadAudit,
        Permission::ManageOrgs,
        Permission::ViewAllOrgs,
        Permission::ManageChains,
        Permission::ManageOwnOrg,
        Permission::ImportAnyPatents,
        Permission::ImportOwnPatents,
        Permission::ReviewApplicants,
        Permission::PostDemands,
        Permission::ReviewDemands,
        Permission::ManageMatches,
        Permission::ViewAllMatches,
        Permission::HandleMatches,
        Permission::FileInventory,
        Permission::ReviewInventoryFaculty,
        Permission::ReviewInventoryInstitution,
        Permission::ScreenPool,
        Permission::ViewCoverage,
        Permission::ViewAllInventory,
        Permission::ManageCampaigns,
        Permission::AskInquiries,
        Permission::AnswerInquiries,
        Permission::ManageRoadshows,
        Permission::RegisterRoadshows,
        Permission::RecordFollowUps,
        Permission::RecordDeals,
        Permission::ViewIndicators,
        Permission::ManageIndicators,
    ];

    /// Chinese name shown in role descriptions.
    pub const fn label(self) -> &'static str {
        match self {
            Permission::ManageAccounts => "账号管理",
            Permission::ManageConfig => "系统配置与备份",
            Permission::GrantRoles => "角色授权",
            Permission::ReadAudit => "审计日志查阅",
            Permission::ManageOrgs => "机构管理",
            Permission::ViewAllOrgs => "查看全部机构",
            Permission::ManageChains => "产业链维护",
            Permission::ManageOwnOrg => "维护本单位信息",
            Permission::ImportAnyPatents => "导入专利与机构数据",
            Permission::ImportOwnPatents => "导入本单位专利",
            Permission::ReviewApplicants => "申请人与机构关联",
            Permission::PostDemands => "发布技术需求",
            Permission::ReviewDemands => "审核技术需求",
            Permission::ManageMatches => "供需匹配与推送",
            Permission::ViewAllMatches => "查看全部需求与匹配记录",
            Permission::HandleMatches => "处理匹配与反馈",
            Permission::FileInventory => "填报盘点记录",
            Permission::ReviewInventoryFaculty => "学院审核盘点记录",
            Permission::ReviewInventoryInstitution => "单位审核盘点记录",
            Permission::ScreenPool => "专利入库遴选",
            Permission::ViewCoverage => "查看盘点覆盖情况",
            Permission::ViewAllInventory => "查看全市盘点与资源库",
            Permission::ManageCampaigns => "专利推送批次",
            Permission::AskInquiries => "向专利权人咨询",
            Permission::AnswerInquiries => "答复企业咨询",
            Permission::ManageRoadshows => "路演活动管理",
            Permission::RegisterRoadshows => "路演报名",
            Permission::RecordFollowUps => "一对一跟踪服务",
            Permission::RecordDeals => "登记转化交易",
            Permission::ViewIndicators => "查看指标与统计看板",
            Permission::ManageIndicators => "维护指标数据（商标统计、获奖、归属、快照）",
        }
    }
}

impl Role {
    /// Every role, in the order forms list them.
    pub const ALL: [Role; 14] = [
        Role::SystemAdmin,
        Role::SecurityAdmin,
        Role::AuditAdmin,
        Role::BureauOfficer,
        Role::BureauLeader,
        Role::DepartmentOfficer,
        Role::CountyOfficer,
        Role::InstitutionAdmin,
        Role::FacultyReviewer,
        Role::Inventor,
        Role::EnterpriseUser,
        Role::LenderUser,
        Role::InsurerUser,
        Role::AgencyUser,
    ];

    /// Stable code stored in the database and used for demo account names.
    pub const fn code(self) -> &'static str {
        match self {
            Role::SystemAdmin => "system_admin",
            Role::SecurityAdmin => "security_admin",
            Role::AuditAdmin => "audit_admin",
            Role::BureauOfficer => "bureau_officer",
            Role::BureauLeader => "bureau_leader",
            Role::DepartmentOfficer => "department_officer",
            Role::CountyOfficer => "county_officer",
            Role::InstitutionAdmin => "institution_admin",
            Role::FacultyReviewer => "faculty_reviewer",
            Role::Inventor => "inventor",
            Role::EnterpriseUser => "enterprise_user",
            Role::LenderUser => "lender_user",
            Role::InsurerUser => "insurer_user",
            Role::AgencyUser => "agency_user",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            Role::SystemAdmin => "系统管理员",
            Role::SecurityAdmin => "安全管理员",
            Role::AuditAdmin => "审计管理员",
            Role::BureauOfficer => "局业务人员",
            Role::BureauLeader => "局领导",
            Role::DepartmentOfficer => "部门人员",
            Role::CountyOfficer => "县区人员",
            Role::InstitutionAdmin => "单位管理员",
            Role::FacultyReviewer => "学院审核人",
            Role::Inventor => "发明人",
            Role::EnterpriseUser => "企业用户",
            Role::LenderUser => "银行用户",
            Role::InsurerUser => "保险机构用户",
            Role::AgencyUser => "服务机构用户",
        }
    }

    /// The permissions this role carries. The three administrators share none (三员分立).
    pub const fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::SystemAdmin => &[ManageAccounts, ManageConfig, ViewAllOrgs],
            Role::SecurityAdmin => &[GrantRoles],
            Role::AuditAdmin => &[ReadAudit],
            Role::BureauOfficer => &[
                ManageOrgs,
                ViewAllOrgs,
                ManageChains,
                ImportAnyPatents,
                ReviewApplicants,
                ReviewDemands,
                ManageMatches,
                ViewAllMatches,
                ScreenPool,
                ViewCoverage,
                ViewAllInventory,
                ManageCampaigns,
                ManageRoadshows,
                RecordFollowUps,
                RecordDeals,
                ViewIndicators,
                ManageIndicators,
            ],
            Role::BureauLeader => &[ViewAllOrgs, ViewAllMatches, ViewCoverage, ViewAllInventory, ViewIndicators],
            Role::DepartmentOfficer | Role::CountyOfficer => &[ViewIndicators],
            Role::InstitutionAdmin => &[
                ManageOwnOrg,
                ImportOwnPatents,
                HandleMatches,
                FileInventory,
                ReviewInventoryInstitution,
                ScreenPool,
                ViewCoverage,
                AnswerInquiries,
                RecordFollowUps,
                RecordDeals,
            ],
            Role::EnterpriseUser => &[ManageOwnOrg, PostDemands, HandleMatches, AskInquiries, RegisterRoadshows],
            Role::LenderUser | Role::InsurerUser => &[ManageOwnOrg],
            Role::AgencyUser => &[ManageOwnOrg, PostDemands],
            Role::FacultyReviewer => &[HandleMatches, ReviewInventoryFaculty, ViewCoverage, AnswerInquiries],
            Role::Inventor => &[HandleMatches, FileInventory, AnswerInquiries],
        }
    }

    /// One of the three separated administrators.
    pub const fn is_administrator(self) -> bool {
        matches!(self, Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin)
    }

    /// The administrators must use a second factor (等保 level 3); others may choose to.
    pub const fn requires_totp(self) -> bool {
        self.is_administrator()
    }

    /// Which organisation kinds a holder of this role may belong to.
    pub const fn allowed_org_kinds(self) -> &'static [OrgKind] {
        match self {
            Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin | Role::BureauOfficer | Role::BureauLeader => {
                &[OrgKind::Bureau]
            }
            Role::DepartmentOfficer => &[OrgKind::Department],
            Role::CountyOfficer => &[OrgKind::County],
            Role::InstitutionAdmin | Role::FacultyReviewer | Role::Inventor => &[OrgKind::Institution],
            Role::EnterpriseUser => &[OrgKind::Enterprise],
            Role::LenderUser => &[OrgKind::Lender],
            Role::InsurerUser => &[OrgKind::Insurer],
            Role::AgencyUser => &[OrgKind::Agency],
        }
    }

    /// Whether this role may be held by a member of an organisation of `kind`.
    pub fn fits_org(self, kind: OrgKind) -> bool {
        self.allowed_org_kinds().contains(&kind)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Role {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

/// Whether any of `roles` carries `permission`.
pub fn allows(roles: &[Role], permission: Permission) -> bool {
    roles.iter().any(|r| r.permissions().contains(&permission))
}

/// Why a set of roles may not be held together by one account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleSetError {
    /// An administrator role must be the account's only role (三员分立).
    #[error("三员分立：{0}只能单独授予，不能与其他角色同时持有")]
    AdministratorNotAlone(&'static str),
    /// The role does not fit the organisation the account belongs to.
    #[error("角色“{role}”不适用于{org_kind}类机构的账号")]
    WrongOrgKind {
        /// Chinese role name.
        role: &'static str,
        /// Chinese organisation kind name.
        org_kind: &'static str,
    },
}

/// Checks that one account may hold `roles` while belonging to an organisation of `org_kind`.
pub fn check_role_set(roles: &[Role], org_kind: OrgKind) -> Result<(), RoleSetError> {
    if let Some(admin) = roles.iter().find(|r| r.is_administrator())
        && roles.iter().any(|r| r != admin)
    {
        return Err(RoleSetError::AdministratorNotAlone(admin.label()));
    }
    if let Some(r) = roles.iter().find(|r| !r.fits_org(org_kind)) {
        return Err(RoleSetError::WrongOrgKind { role: r.label(), org_kind: org_kind.label() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separation_of_the_three_administrators() {
        // The system admin manages accounts but can neither read the audit log nor grant roles.
        assert!(allows(&[Role::SystemAdmin], Permission::ManageAccounts));
        assert!(!allows(&[Role::SystemAdmin], Permission::ReadAudit));
        assert!(!allows(&[Role::SystemAdmin], Permission::GrantRoles));
        // The security admin grants roles and nothing else.
        assert_eq!(Role::SecurityAdmin.permissions(), &[Permission::GrantRoles]);
        // The audit admin only reads the audit log.
        assert_eq!(Role::AuditAdmin.permissions(), &[Permission::ReadAudit]);
        // No business role reaches an administrator's permissions.
        for r in Role::ALL.into_iter().filter(|r| !r.is_administrator()) {
            for p in
                [Permission::ManageAccounts, Permission::GrantRoles, Permission::ReadAudit, Permission::ManageConfig]
            {
                assert!(!allows(&[r], p), "{r} must not have {p:?}");
            }
        }
    }

    #[test]
    fn administrator_permissions_do_not_overlap() {
        let admins = [Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin];
        for a in admins {
            for b in admins.into_iter().filter(|b| *b != a) {
                for p in a.permissions() {
                    assert!(!b.permissions().contains(p), "{a} and {b} share {p:?}");
                }
            }
        }
    }

    #[test]
    fn administrator_roles_cannot_be_combined() {
        assert!(check_role_set(&[Role::SystemAdmin], OrgKind::Bureau).is_ok());
        assert_eq!(
            check_role_set(&[Role::SystemAdmin, Role::AuditAdmin], OrgKind::Bureau),
            Err(RoleSetError::AdministratorNotAlone("系统管理员"))
        );
        assert!(check_role_set(&[Role::SecurityAdmin, Role::BureauOfficer], OrgKind::Bureau).is_err());
        assert!(check_role_set(&[Role::BureauOfficer, Role::BureauLeader], OrgKind::Bureau).is_ok());
    }

    #[test]
    fn roles_must_fit_the_organisation() {
        assert!(check_role_set(&[Role::EnterpriseUser], OrgKind::Enterprise).is_ok());
        assert!(matches!(
            check_role_set(&[Role::EnterpriseUser], OrgKind::Institution),
            Err(RoleSetError::WrongOrgKind { .. })
        ));
        assert!(check_role_set(&[Role::InstitutionAdmin, Role::Inventor], OrgKind::Institution).is_ok());
        // Every role fits at least one kind, and every kind has at least one role.
        for r in Role::ALL {
            assert!(!r.allowed_org_kinds().is_empty());
        }
        for k in OrgKind::ALL {
            assert!(Role::ALL.iter().any(|r| r.fits_org(k)), "{k:?} has no role");
        }
    }

    #[test]
    fn matchmaking_permissions_go_to_the_parties_and_the_bureau() {
        let holders = |p: Permission| Role::ALL.into_iter().filter(|r| allows(&[*r], p)).collect::<Vec<_>>();
        assert_eq!(holders(Permission::PostDemands), [Role::EnterpriseUser, Role::AgencyUser]);
        assert_eq!(holders(Permission::ReviewDemands), [Role::BureauOfficer]);
        assert_eq!(holders(Permission::ManageMatches), [Role::BureauOfficer]);
        assert_eq!(holders(Permission::ViewAllMatches), [Role::BureauOfficer, Role::BureauLeader]);
        assert_eq!(
            holders(Permission::HandleMatches),
            [Role::InstitutionAdmin, Role::FacultyReviewer, Role::Inventor, Role::EnterpriseUser]
        );
    }

    #[test]
    fn revitalisation_permissions_follow_who_sees_what() {
        let holders = |p: Permission| Role::ALL.into_iter().filter(|r| allows(&[*r], p)).collect::<Vec<_>>();
        assert_eq!(holders(Permission::FileInventory), [Role::InstitutionAdmin, Role::Inventor]);
        assert_eq!(holders(Permission::ReviewInventoryFaculty), [Role::FacultyReviewer]);
        assert_eq!(holders(Permission::ReviewInventoryInstitution), [Role::InstitutionAdmin]);
        assert_eq!(holders(Permission::ScreenPool), [Role::BureauOfficer, Role::InstitutionAdmin]);
        assert_eq!(
            holders(Permission::ViewCoverage),
            [Role::BureauOfficer, Role::BureauLeader, Role::InstitutionAdmin, Role::FacultyReviewer]
        );
        assert_eq!(holders(Permission::ViewAllInventory), [Role::BureauOfficer, Role::BureauLeader]);
        assert_eq!(holders(Permission::ManageCampaigns), [Role::BureauOfficer]);
        assert_eq!(holders(Permission::AskInquiries), [Role::EnterpriseUser]);
        assert_eq!(
            holders(Permission::AnswerInquiries),
            [Role::InstitutionAdmin, Role::FacultyReviewer, Role::Inventor]
        );
        assert_eq!(holders(Permission::ManageRoadshows), [Role::BureauOfficer]);
        assert_eq!(holders(Permission::RegisterRoadshows), [Role::EnterpriseUser]);
        assert_eq!(holders(Permission::RecordFollowUps), [Role::BureauOfficer, Role::InstitutionAdmin]);
        assert_eq!(holders(Permission::RecordDeals), [Role::BureauOfficer, Role::InstitutionAdmin]);
        // Enterprises never touch inventory records or the review chain; inventors never review.
        for p in [
            Permission::FileInventory,
            Permission::ReviewInventoryFaculty,
            Permission::ReviewInventoryInstitution,
            Permission::ScreenPool,
            Permission::ViewCoverage,
        ] {
            assert!(!allows(&[Role::EnterpriseUser], p), "{p:?}");
        }
        assert!(!allows(&[Role::Inventor], Permission::ReviewInventoryFaculty));
        assert!(!allows(&[Role::Inventor], Permission::ScreenPool));
    }

    #[test]
    fn every_permission_is_listed_once_with_a_label() {
        let mut all = Permission::ALL.to_vec();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), Permission::ALL.len());
        for r in Role::ALL {
            for p in r.permissions() {
                assert!(Permission::ALL.contains(p), "{p:?} missing from ALL");
            }
        }
        for p in Permission::ALL {
            assert!(!p.label().is_empty());
        }
    }

    #[test]
    fn only_administrators_require_totp() {
        for r in Role::ALL {
            assert_eq!(r.requires_totp(), r.is_administrator());
        }
    }

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.code().parse::<Role>().unwrap(), r);
        }
    }
}
