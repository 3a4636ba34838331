//! Indicators against the city's targets (measure 2): the dashboard and printable report, breakdowns and
//! chain landscapes, and the bureau's inputs (awards, statistics, applicant places, snapshots).

pub mod breakdown;
pub mod dashboard;
pub mod data;

use ipbridge_domain::Permission;

use super::{NavItem, item};
use crate::ctx::Ctx;
use crate::routes::Routes;

/// Every indicator route: each part declares its own.
pub(crate) fn routes(r: Routes) -> Routes {
    let r = dashboard::routes(r);
    let r = breakdown::routes(r);
    data::routes(r)
}

/// The navigation group 指标统计 for accounts that may see it.
pub(crate) fn nav_items(ctx: &Ctx) -> Vec<NavItem> {
    let mut items = Vec::new();
    if ctx.can(Permission::ViewIndicators) {
        items.push(item("indicators", "/indicators", "指标看板"));
        items.push(item("indicator-breakdown", "/indicators/breakdown", "分类统计"));
        items.push(item("indicator-chains", "/indicators/chains", "产业链专利态势"));
        items.push(item("indicator-report", "/indicators/report", "打印报告"));
        // The inputs are read by every viewer; only ManageIndicators gets their forms and buttons.
        items.push(item("indicator-statistics", "/indicators/statistics", "商标与产业统计"));
        items.push(item("indicator-awards", "/indicators/awards", "获奖专利"));
        items.push(item("indicator-places", "/indicators/places", "申请人归属"));
        items.push(item("indicator-snapshots", "/indicators/snapshots", "月度快照"));
    }
    items
}
