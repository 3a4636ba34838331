//! Coverage of the inventory (盘点覆盖情况): the counts the bureau tracks per institution, per faculty and for
//! the city. They are always computed from the records, patents and deals (the store's coverage queries),
//! never typed in or stored.
//!
//! Definitions (also in `docs/revitalisation.md`):
//! - **in scope** (应盘点): in-force patents owned by an institution and not converted;
//! - **converted** (已转化): patents in an effective deal of any kind, or whose record says they are already
//!   implemented and has been approved by the institution; they leave the scope;
//! - **recorded** (已建档): in scope, with a record submitted at least once and not sent back to draft;
//! - **reviewed** (已审核): in scope, approved by the institution (or further);
//! - **base pool** (基础库): in scope, in the base pool or the transferable pool (cumulative);
//! - **transferable pool** (可转化库): in scope, in the transferable pool.

use serde::Serialize;

use crate::money::{BASIS_POINTS_WHOLE, Money};

/// The coverage figures of one institution, one faculty or the city.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CoverageCounts {
    /// 应盘点: in-force, unconverted patents of institutions.
    pub in_scope: u64,
    /// 草稿: in scope, a record started but not submitted (or sent back).
    pub draft: u64,
    /// 已建档: in scope, a record submitted.
    pub recorded: u64,
    /// 已审核: in scope, approved by the institution.
    pub reviewed: u64,
    /// 基础库: in scope, in the base pool (the transferable pool included).
    pub base_pool: u64,
    /// 可转化库: in scope, in the transferable pool.
    pub transferable_pool: u64,
    /// 已转化: patents converted (deals of any kind, approved self-implementation).
    pub converted: u64,
    /// 交易数: effective deals.
    pub deals: u64,
    /// 转化金额: sum of the effective deals' amounts.
    pub converted_amount: Money,
}

impl CoverageCounts {
    /// In scope without a submitted record: what remains to inventory.
    pub const fn unrecorded(&self) -> u64 {
        self.in_scope.saturating_sub(self.recorded)
    }

    /// Recorded ÷ in scope in basis points (10000 = 100 %); none when nothing is in scope.
    pub fn coverage_bp(&self) -> Option<u32> {
        if self.in_scope == 0 {
            return None;
        }
        let bp =
            u128::from(self.recorded.min(self.in_scope)) * u128::from(BASIS_POINTS_WHOLE) / u128::from(self.in_scope);
        u32::try_from(bp).ok()
    }

    /// Every in-scope patent has a submitted record (全覆盖); true when nothing is in scope.
    pub const fn is_complete(&self) -> bool {
        self.recorded >= self.in_scope
    }

    /// Coverage as a percentage text with one decimal, e.g. `87.5%`, or `—` when nothing is in scope.
    pub fn coverage_text(&self) -> String {
        match self.coverage_bp() {
            Some(bp) => format!("{}.{}%", bp / 100, (bp % 100) / 10),
            None => "—".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_and_remainder() {
        let c = CoverageCounts { in_scope: 8, recorded: 7, ..Default::default() };
        assert_eq!(c.unrecorded(), 1);
        assert_eq!(c.coverage_bp(), Some(8750));
        assert_eq!(c.coverage_text(), "87.5%");
        assert!(!c.is_complete());
        let none = CoverageCounts::default();
        assert_eq!((none.coverage_bp(), none.coverage_text().as_str(), none.is_complete()), (None, "—", true));
        let third = CoverageCounts { in_scope: 3, recorded: 1, ..Default::default() };
        assert_eq!(third.coverage_text(), "33.3%");
        let full = CoverageCounts { in_scope: 3, recorded: 3, ..Default::default() };
        assert_eq!((full.coverage_text().as_str(), full.is_complete()), ("100.0%", true));
    }
}
