//! Organisations: who holds an account on the platform and in what capacity.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use crate::ids::{FacultyId, OrgId, UserId};

/// The capacity in which an organisation takes part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 市市场监管局（知识产权局）: runs the platform.
    Bureau,
    /// A city department that owns tasks in the measures.
    Department,
    /// A county-level government.
    County,
    /// University, institute or hospital holding stock patents.
    Institution,
    /// An enterprise, identified by its credit code.
    Enterprise,
    /// A bank or other lender reporting pledge loans.
    Lender,
    /// An insurer reporting IP insurance.
    Insurer,
    /// An IP service provider or patent agency.
    Agency,
}

impl OrgKind {
    /// Every kind, in the order forms list them.
    pub const ALL: [OrgKind; 8] = [
        OrgKind::Bureau,
        OrgKind::Department,
        OrgKind::County,
        OrgKind::Institution,
        OrgKind::Enterprise,
        OrgKind::Lender,
        OrgKind::Insurer,
        OrgKind::Agency,
    ];

    /// Stable code stored in the database and used in URLs.
    pub const fn code(self) -> &'static str {
        match self {
            OrgKind::Bureau => "bureau",
            OrgKind::Department => "department",
            OrgKind::County => "county",
            OrgKind::Institution => "institution",
            OrgKind::Enterprise => "enterprise",
            OrgKind::Lender => "lender",
            OrgKind::Insurer => "insurer",
            OrgKind::Agency => "agency",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            OrgKind::Bureau => "市场监管局（知识产权局）",
            OrgKind::Department => "市级部门",
            OrgKind::County => "县（市、区）",
            OrgKind::Institution => "高校院所医院",
            OrgKind::Enterprise => "企业",
            OrgKind::Lender => "金融机构（银行）",
            OrgKind::Insurer => "保险机构",
            OrgKind::Agency => "知识产权服务机构",
        }
    }

    /// Enterprises are identified by their credit code (GB 32100); the platform requires it for them.
    pub const fn requires_credit_code(self) -> bool {
        matches!(self, OrgKind::Enterprise)
    }

    /// Enterprises and counties are placed in a county so county officers and indicators can find them.
    pub const fn requires_county(self) -> bool {
        matches!(self, OrgKind::Enterprise | OrgKind::County)
    }
}

impl FromStr for OrgKind {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrgKind::ALL.into_iter().find(|k| k.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

/// The sub-kind of an institution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstitutionKind {
    /// 高校
    University,
    /// 科研机构
    Institute,
    /// 医院
    Hospital,
}

impl InstitutionKind {
    /// Every sub-kind, in form order.
    pub const ALL: [InstitutionKind; 3] =
        [InstitutionKind::University, InstitutionKind::Institute, InstitutionKind::Hospital];

    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            InstitutionKind::University => "university",
            InstitutionKind::Institute => "institute",
            InstitutionKind::Hospital => "hospital",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            InstitutionKind::University => "高校",
            InstitutionKind::Institute => "科研机构",
            InstitutionKind::Hospital => "医院",
        }
    }
}

impl FromStr for InstitutionKind {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        InstitutionKind::ALL.into_iter().find(|k| k.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

/// A stored code that this version does not know; surfaces corrupt or foreign data instead of guessing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("未知代码“{0}”")]
pub struct UnknownCode(pub String);

/// Normalises an organisation name for matching: full-width to half-width, Chinese brackets to ASCII,
/// whitespace removed. Two spellings of the same name in different spreadsheets compare equal.
pub fn normalise_name(name: &str) -> String {
    name.chars().map(crate::credit_code::fold_full_width).filter(|c| !c.is_whitespace()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for k in OrgKind::ALL {
            assert_eq!(k.code().parse::<OrgKind>().unwrap(), k);
        }
        for k in InstitutionKind::ALL {
            assert_eq!(k.code().parse::<InstitutionKind>().unwrap(), k);
        }
        assert!("school".parse::<OrgKind>().is_err());
    }

    #[test]
    fn names_normalise_brackets_width_and_spaces() {
        assert_eq!(normalise_name("安康学院（ 科技处 ）"), normalise_name("安康学院(科技处)"));
    }
}

/// An organisation as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Org {
    /// Row id.
    pub id: OrgId,
    /// Capacity.
    pub kind: OrgKind,
    /// For institutions: university, institute or hospital.
    pub institution_kind: Option<InstitutionKind>,
    /// Full registered name.
    pub name: String,
    /// Unified social credit code; required for enterprises.
    pub credit_code: Option<crate::CreditCode>,
    /// County-level division code from the policy file.
    pub county_code: Option<String>,
    /// For department organisations: the department code of the policy file.
    pub department_code: Option<String>,
    /// Contact person (a name only: no personal data beyond it is collected here).
    pub contact_name: String,
    /// Postal address.
    pub address: String,
    /// Inactive organisations keep their history but take no new accounts.
    pub active: bool,
}

/// The editable fields of an organisation, already parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgFields {
    /// Capacity.
    pub kind: OrgKind,
    /// For institutions.
    pub institution_kind: Option<InstitutionKind>,
    /// Full registered name.
    pub name: String,
    /// Credit code.
    pub credit_code: Option<crate::CreditCode>,
    /// County code.
    pub county_code: Option<String>,
    /// Department code.
    pub department_code: Option<String>,
    /// Contact person.
    pub contact_name: String,
    /// Address.
    pub address: String,
    /// Active flag.
    pub active: bool,
}

/// A faculty (学院/院系) of an institution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Faculty {
    /// Row id.
    pub id: FacultyId,
    /// The institution.
    pub org_id: OrgId,
    /// Name, unique within the institution.
    pub name: String,
}
