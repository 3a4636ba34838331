//! Transfer deals (转化交易): the record that closes the loop. A deal of any kind — assignment, licence, equity
//! contribution or self-implementation — converts its patents: they leave the revitalisation scope and count
//! as converted, with the deal's amount, in coverage.
//!
//! Room for what comes later: open licences (开放许可) and revenue sharing arrive in a later issue. A deal
//! therefore records where it came from ([`DealSource`]; `OpenLicense` with the declaration's id once that
//! module exists), a fee that may combine a fixed amount with a royalty rate (the open-licence fee models:
//! one-off, royalty, entry fee + royalty), the licence scope that open-licence rules check (an exclusive or sole
//! licence blocks a declaration), and is the anchor revenue-sharing rows will reference by [`crate::ids::DealId`].

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{FieldErrors, checked_text};
use crate::CreditCode;
use crate::ids::{MatchId, OrgId, PatentId, RoadshowId};
use crate::money::{BASIS_POINTS_WHOLE, Money};
use crate::org::UnknownCode;

/// Most patents one deal may carry (a package licence of a whole family stays well below).
pub const MAX_PATENTS_PER_DEAL: usize = 200;
/// Longest contract or filing number, in characters.
pub const NUMBER_MAX_CHARS: usize = 64;
/// Longest party name, in characters.
pub const PARTY_NAME_MAX_CHARS: usize = 100;
/// Longest note, in characters.
pub const DEAL_NOTE_MAX_CHARS: usize = 1000;

macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $code:literal, $label:literal;)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant,)* }

        impl $name {
            /// Every value, in form order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];
            /// Stable code stored in the database.
            pub const fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)* }
            }
            /// Chinese name shown to users.
            pub const fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)* }
            }
        }

        impl FromStr for $name {
            type Err = UnknownCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|m| m.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

code_enum! {
    /// What kind of conversion a deal is (转化方式).
    DealKind {
        /// 转让: ownership passes to the counterparty.
        Assignment => "assignment", "转让";
        /// 许可: the counterparty may use the patent.
        License => "license", "许可";
        /// 作价入股: the patent is contributed to a company for shares.
        EquityContribution => "equity_contribution", "作价入股";
        /// 自行实施: the holder implements the patent itself.
        SelfImplementation => "self_implementation", "自行实施";
    }
}

impl DealKind {
    /// Every kind converts its patents; kept as a function so a later kind (e.g. a pledge) can say no.
    pub const fn converts(self) -> bool {
        true
    }

    /// A counterparty (受让方、被许可方、被投资企业) is part of the deal.
    pub const fn needs_counterparty(self) -> bool {
        !matches!(self, DealKind::SelfImplementation)
    }

    /// Ownership leaves the holder: the patent leaves the transferable pool too.
    pub const fn moves_ownership(self) -> bool {
        matches!(self, DealKind::Assignment | DealKind::EquityContribution)
    }
}

code_enum! {
    /// The scope of a licence (许可方式); an exclusive or sole licence blocks an open-licence declaration.
    LicenseScope {
        /// 独占许可: only the licensee uses it, not even the licensor.
        Exclusive => "exclusive", "独占许可";
        /// 排他许可: the licensee and the licensor only.
        Sole => "sole", "排他许可";
        /// 普通许可: the licensor may license others too.
        Ordinary => "ordinary", "普通许可";
    }
}

code_enum! {
    /// Whether the contract is filed with CNIPA (备案 / 登记).
    FilingStatus {
        /// 无需备案 (self-implementation, or not filed by choice).
        NotRequired => "not_required", "无需备案";
        /// 待备案.
        Pending => "pending", "待备案";
        /// 已备案.
        Filed => "filed", "已备案";
    }
}

code_enum! {
    /// Whether a deal counts.
    DealStatus {
        /// 有效.
        Effective => "effective", "有效";
        /// 已撤销: entered in error or the contract was rescinded; no longer counts as a conversion.
        Cancelled => "cancelled", "已撤销";
    }
}

code_enum! {
    /// Where a deal came from.
    DealSource {
        /// 直接登记: recorded without a platform lead.
        Direct => "direct", "直接登记";
        /// 供需对接: from a match record (push, interest, demand).
        Match => "match", "供需对接";
        /// 路演: from a roadshow's follow-up.
        Roadshow => "roadshow", "路演";
        /// 开放许可: taken under an open-licence declaration (the licensing module, later).
        OpenLicense => "open_license", "开放许可";
    }
}

code_enum! {
    /// Which side of a deal a party is on.
    DealPartyRole {
        /// 权利人方: the transferor, licensor or contributor (a co-owner of the patents).
        Holder => "holder", "权利人方";
        /// 相对方: the assignee, licensee or the company receiving the contribution.
        Counterparty => "counterparty", "相对方";
    }
}

impl DealPartyRole {
    /// The name of the role for a kind of deal, e.g. 许可方 / 被许可方.
    pub const fn label_for(self, kind: DealKind) -> &'static str {
        match (self, kind) {
            (DealPartyRole::Holder, DealKind::Assignment) => "转让方",
            (DealPartyRole::Holder, DealKind::License) => "许可方",
            (DealPartyRole::Holder, DealKind::EquityContribution) => "出资方",
            (DealPartyRole::Holder, DealKind::SelfImplementation) => "实施方",
            (DealPartyRole::Counterparty, DealKind::Assignment) => "受让方",
            (DealPartyRole::Counterparty, DealKind::License) => "被许可方",
            (DealPartyRole::Counterparty, DealKind::EquityContribution) => "被投资企业",
            (DealPartyRole::Counterparty, DealKind::SelfImplementation) => "实施单位",
        }
    }
}

/// One party of a deal besides the holder organisation itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealParty {
    /// Its side.
    pub role: DealPartyRole,
    /// The platform organisation, when it is one.
    pub org_id: Option<OrgId>,
    /// Name as in the contract.
    pub name: String,
    /// 统一社会信用代码, when known.
    pub credit_code: Option<CreditCode>,
}

code_enum! {
    /// A field of the deal form, for error messages.
    DealField {
        /// 转化方式.
        Kind => "kind", "转化方式";
        /// 涉及专利.
        Patents => "patents", "涉及专利";
        /// 交易各方.
        Parties => "parties", "交易各方";
        /// 合同金额.
        Amount => "amount", "合同金额（元）";
        /// 提成比例.
        RoyaltyBp => "royalty_bp", "提成比例";
        /// 签订日期.
        SignedOn => "signed_on", "签订日期";
        /// 有效期.
        EffectiveTo => "effective_to", "有效期至";
        /// 合同编号.
        ContractNo => "contract_no", "合同编号";
        /// 许可方式.
        LicenseScope => "license_scope", "许可方式";
        /// 备案状态.
        FilingStatus => "filing_status", "备案状态";
        /// 备案日期.
        FiledOn => "filed_on", "备案日期";
        /// 备案号.
        FilingNo => "filing_no", "备案号";
        /// 来源.
        Source => "source", "来源";
        /// 备注.
        Note => "note", "备注";
    }
}

/// The content of a deal, as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealFields {
    /// 转化方式.
    pub kind: DealKind,
    /// The organisation whose patents these are (the institution that transfers, licenses, contributes or
    /// implements); coverage attributes the deal to it.
    pub holder_org_id: OrgId,
    /// The patents.
    pub patents: Vec<PatentId>,
    /// The other parties (and co-owners on the holder's side).
    pub parties: Vec<DealParty>,
    /// 合同金额: the fixed amount (assignment price, licence fee or entry fee, valuation of the contribution);
    /// zero when there is none (a royalty-only licence, self-implementation).
    pub amount: Money,
    /// 提成比例 of a royalty licence, in basis points of net sales.
    pub royalty_bp: Option<u32>,
    /// 签订日期.
    pub signed_on: NaiveDate,
    /// Start of the licence term or of the effect.
    pub effective_from: Option<NaiveDate>,
    /// End of the licence term.
    pub effective_to: Option<NaiveDate>,
    /// 合同编号.
    pub contract_no: String,
    /// 许可方式, for licences only.
    pub license_scope: Option<LicenseScope>,
    /// 备案状态.
    pub filing_status: FilingStatus,
    /// 备案日期, once filed.
    pub filed_on: Option<NaiveDate>,
    /// 备案号.
    pub filing_no: String,
    /// Where it came from.
    pub source: DealSource,
    /// The match record it closes, for [`DealSource::Match`].
    pub match_id: Option<MatchId>,
    /// The roadshow it came from, for [`DealSource::Roadshow`].
    pub roadshow_id: Option<RoadshowId>,
    /// Reserved: the open-licence declaration, for [`DealSource::OpenLicense`] (the licensing module).
    pub open_license_id: Option<i64>,
    /// 备注.
    pub note: String,
}

impl DealFields {
    /// Checks the fields together and returns them trimmed, with duplicate patents removed.
    pub fn check(mut self) -> Result<DealFields, FieldErrors> {
        let mut e = FieldErrors::default();
        let mut push = |f: DealField, m: String| e.push(f.code(), f.label(), m);
        let mut seen = HashSet::new();
        self.patents.retain(|p| seen.insert(*p));
        if self.patents.is_empty() {
            push(DealField::Patents, "请选择交易涉及的专利".to_owned());
        } else if self.patents.len() > MAX_PATENTS_PER_DEAL {
            push(DealField::Patents, format!("一笔交易最多包含{MAX_PATENTS_PER_DEAL}件专利"));
        }
        for p in &mut self.parties {
            p.name = p.name.trim().to_owned();
        }
        if self.parties.iter().any(|p| p.name.is_empty()) {
            push(DealField::Parties, "请填写各方名称".to_owned());
        } else if self.parties.iter().any(|p| p.name.chars().count() > PARTY_NAME_MAX_CHARS) {
            push(DealField::Parties, format!("名称不能超过{PARTY_NAME_MAX_CHARS}个字符"));
        }
        let counterparties = self.parties.iter().filter(|p| p.role == DealPartyRole::Counterparty).count();
        if self.kind.needs_counterparty() && counterparties == 0 {
            push(
                DealField::Parties,
                format!("{}须填写{}", self.kind.label(), DealPartyRole::Counterparty.label_for(self.kind)),
            );
        }
        if self.amount.is_negative() {
            push(DealField::Amount, "合同金额不能为负数".to_owned());
        }
        if let Some(bp) = self.royalty_bp {
            if self.kind != DealKind::License {
                push(DealField::RoyaltyBp, "只有许可可以约定提成".to_owned());
            } else if bp == 0 || bp > BASIS_POINTS_WHOLE {
                push(DealField::RoyaltyBp, "提成比例应在0.01%–100%之间".to_owned());
            }
        }
        if let (Some(from), Some(to)) = (self.effective_from, self.effective_to)
            && to < from
        {
            push(DealField::EffectiveTo, format!("有效期截止日 {to} 早于起始日 {from}"));
        }
        self.contract_no = self.contract_no.trim().to_owned();
        if self.kind.needs_counterparty() && self.contract_no.is_empty() {
            push(DealField::ContractNo, "请填写合同编号".to_owned());
        } else if self.contract_no.chars().count() > NUMBER_MAX_CHARS {
            push(DealField::ContractNo, format!("不能超过{NUMBER_MAX_CHARS}个字符"));
        }
        match (self.kind, self.license_scope) {
            (DealKind::License, None) => {
                push(DealField::LicenseScope, "许可须选择许可方式（独占、排他或普通）".to_owned())
            }
            (DealKind::License, Some(_)) | (_, None) => {}
            (_, Some(_)) => push(DealField::LicenseScope, "只有许可有许可方式".to_owned()),
        }
        if self.kind == DealKind::SelfImplementation && self.filing_status != FilingStatus::NotRequired {
            push(DealField::FilingStatus, "自行实施无需备案".to_owned());
        }
        match (self.filing_status, self.filed_on) {
            (FilingStatus::Filed, None) => push(DealField::FiledOn, "已备案须填写备案日期".to_owned()),
            (FilingStatus::Filed, Some(on)) if on < self.signed_on => {
                push(DealField::FiledOn, format!("备案日期 {on} 早于签订日期 {}", self.signed_on));
            }
            (FilingStatus::Filed, Some(_)) => {}
            (_, Some(_)) => push(DealField::FiledOn, "尚未备案时不填备案日期".to_owned()),
            (_, None) => {}
        }
        self.filing_no = self.filing_no.trim().to_owned();
        if self.filing_no.chars().count() > NUMBER_MAX_CHARS {
            push(DealField::FilingNo, format!("不能超过{NUMBER_MAX_CHARS}个字符"));
        }
        let source_ok = match self.source {
            DealSource::Direct => true,
            DealSource::Match => self.match_id.is_some(),
            DealSource::Roadshow => self.roadshow_id.is_some(),
            DealSource::OpenLicense => self.open_license_id.is_some() && self.kind == DealKind::License,
        };
        if !source_ok {
            push(DealField::Source, format!("来源为“{}”时须关联对应的记录", self.source.label()));
        }
        self.note = checked_text(
            &mut e,
            DealField::Note.code(),
            DealField::Note.label(),
            &self.note,
            DEAL_NOTE_MAX_CHARS,
            false,
        );
        e.into_result(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    fn licence() -> DealFields {
        DealFields {
            kind: DealKind::License,
            holder_org_id: OrgId::new(1),
            patents: vec![PatentId::new(7), PatentId::new(8), PatentId::new(7)],
            parties: vec![DealParty {
                role: DealPartyRole::Counterparty,
                org_id: Some(OrgId::new(2)),
                name: " 安康硒源茶业有限公司 ".into(),
                credit_code: None,
            }],
            amount: Money::from_yuan(300_000).unwrap_or_default(),
            royalty_bp: Some(300),
            signed_on: d(2025, 6, 1),
            effective_from: Some(d(2025, 6, 1)),
            effective_to: Some(d(2030, 5, 31)),
            contract_no: " AK-2025-017 ".into(),
            license_scope: Some(LicenseScope::Ordinary),
            filing_status: FilingStatus::Filed,
            filed_on: Some(d(2025, 7, 10)),
            filing_no: "2025610000123".into(),
            source: DealSource::Direct,
            match_id: None,
            roadshow_id: None,
            open_license_id: None,
            note: String::new(),
        }
    }

    fn fields_of(e: FieldErrors) -> Vec<&'static str> {
        e.0.iter().map(|f| f.field).collect()
    }

    #[test]
    fn a_licence_checks_and_is_trimmed() {
        let d = licence().check().unwrap();
        assert_eq!(d.patents, [PatentId::new(7), PatentId::new(8)]);
        assert_eq!(d.contract_no, "AK-2025-017");
        assert_eq!(d.parties[0].name, "安康硒源茶业有限公司");
    }

    #[test]
    fn kind_specific_rules() {
        let no_scope = DealFields { license_scope: None, ..licence() };
        assert_eq!(fields_of(no_scope.check().unwrap_err()), ["license_scope"]);
        let assignment = DealFields { kind: DealKind::Assignment, ..licence() };
        assert_eq!(fields_of(assignment.check().unwrap_err()), ["royalty_bp", "license_scope"]);
        let alone = DealFields { parties: vec![], contract_no: String::new(), ..licence() };
        assert_eq!(fields_of(alone.check().unwrap_err()), ["parties", "contract_no"]);
        let own = DealFields {
            kind: DealKind::SelfImplementation,
            parties: vec![],
            contract_no: String::new(),
            license_scope: None,
            royalty_bp: None,
            amount: Money::ZERO,
            filing_status: FilingStatus::NotRequired,
            filed_on: None,
            ..licence()
        };
        assert!(own.clone().check().is_ok());
        let filed = DealFields { filing_status: FilingStatus::Pending, ..own };
        assert_eq!(fields_of(filed.check().unwrap_err()), ["filing_status"]);
    }

    #[test]
    fn dates_amounts_and_sources() {
        let bad = DealFields {
            patents: vec![],
            amount: Money::from_fen(-1),
            royalty_bp: Some(10_001),
            effective_to: Some(d(2025, 1, 1)),
            filed_on: Some(d(2025, 5, 1)),
            source: DealSource::Match,
            note: "注".repeat(1001),
            ..licence()
        };
        assert_eq!(
            fields_of(bad.check().unwrap_err()),
            ["patents", "amount", "royalty_bp", "effective_to", "filed_on", "source", "note"]
        );
        let unfiled = DealFields { filing_status: FilingStatus::Filed, filed_on: None, ..licence() };
        assert_eq!(fields_of(unfiled.check().unwrap_err()), ["filed_on"]);
        let pending_with_date = DealFields { filing_status: FilingStatus::Pending, ..licence() };
        assert_eq!(fields_of(pending_with_date.check().unwrap_err()), ["filed_on"]);
        let open = DealFields { source: DealSource::OpenLicense, open_license_id: Some(3), ..licence() };
        assert!(open.check().is_ok());
        let too_many = DealFields { patents: (0..201).map(PatentId::new).collect(), ..licence() };
        assert_eq!(fields_of(too_many.check().unwrap_err()), ["patents"]);
    }

    #[test]
    fn codes_round_trip_and_labels() {
        for k in DealKind::ALL {
            assert_eq!(k.code().parse::<DealKind>(), Ok(*k));
            assert!(k.converts());
        }
        for s in LicenseScope::ALL {
            assert_eq!(s.code().parse::<LicenseScope>(), Ok(*s));
        }
        for s in FilingStatus::ALL {
            assert_eq!(s.code().parse::<FilingStatus>(), Ok(*s));
        }
        for s in DealStatus::ALL {
            assert_eq!(s.code().parse::<DealStatus>(), Ok(*s));
        }
        for s in DealSource::ALL {
            assert_eq!(s.code().parse::<DealSource>(), Ok(*s));
        }
        assert_eq!(DealPartyRole::Counterparty.label_for(DealKind::License), "被许可方");
        assert!(DealKind::EquityContribution.moves_ownership() && !DealKind::License.moves_ownership());
        assert_eq!(DealField::Amount.to_string(), "合同金额（元）");
    }
}
