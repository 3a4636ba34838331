//! Every list of the platform exports to xlsx with the filters applied; each export is audited.

use ipbridge_domain::Permission;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_ingest::{Cell, Table};
use ipbridge_store::{OrgFilter, UserFilter};
use serde_json::json;

use crate::auth::china_time;
use crate::{Actor, App, Result, ServiceError};

/// Most rows one export holds.
pub const LIST_EXPORT_LIMIT: u32 = 100_000;

impl App {
    /// The workbook of an exported list, with its audit record (`object`: what the list is of, when it is one
    /// object's, e.g. a roadshow's registrations).
    pub(crate) async fn finish_export(
        &self,
        actor: &Actor,
        list: &str,
        object: &str,
        table: &Table,
    ) -> Result<Vec<u8>> {
        let bytes = table.to_xlsx().map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.record(actor.audit(Action::ListExport, list, object, Outcome::Success, json!({"rows": table.rows.len()})))
            .await?;
        Ok(bytes)
    }

    /// The organisation list as the actor sees it, filtered.
    pub async fn export_orgs(&self, actor: &Actor, filter: &OrgFilter) -> Result<Vec<u8>> {
        let filter = OrgFilter { limit: LIST_EXPORT_LIMIT, offset: 0, ..filter.clone() };
        let page = self.list_orgs(actor, &filter).await?;
        let mut t = Table::new(
            "机构",
            &["名称", "类型", "高校院所类别", "统一社会信用代码", "所在县区", "联系人", "地址", "状态"],
        );
        for o in &page.orgs {
            t.push(vec![
                Cell::from(o.name.as_str()),
                Cell::from(o.kind.label()),
                Cell::from(o.institution_kind.map(|k| k.label())),
                Cell::from(o.credit_code.as_ref().map(|c| c.to_string())),
                Cell::from(o.county_code.as_deref().and_then(|c| self.policy.county(c)).map(|c| c.name.clone())),
                Cell::from(o.contact_name.as_str()),
                Cell::from(o.address.as_str()),
                Cell::from(if o.active { "正常" } else { "已停用" }),
            ]);
        }
        self.finish_export(actor, "orgs", "", &t).await
    }

    /// The account list (system and security administrators), filtered. No password or second-factor data.
    pub async fn export_accounts(&self, actor: &Actor, filter: &UserFilter) -> Result<Vec<u8>> {
        let filter = UserFilter { limit: LIST_EXPORT_LIMIT, offset: 0, ..filter.clone() };
        let page = self.list_accounts(actor, &filter).await?;
        let now = self.now();
        let mut t = Table::new("账号", &["用户名", "姓名", "所属机构", "角色", "状态", "上次登录"]);
        for u in &page.users {
            let status = if u.disabled {
                "已停用"
            } else if u.is_locked(now) {
                "已锁定"
            } else {
                "正常"
            };
            t.push(vec![
                Cell::from(u.username.as_str()),
                Cell::from(u.display_name.as_str()),
                Cell::from(u.org_name.as_str()),
                Cell::from(u.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join("、")),
                Cell::from(status),
                Cell::from(u.last_login_at.map(|t| china_time(t).format("%Y-%m-%d %H:%M").to_string())),
            ]);
        }
        self.finish_export(actor, "users", "", &t).await
    }

    /// The import history the actor sees.
    pub async fn export_imports(&self, actor: &Actor) -> Result<Vec<u8>> {
        let page = self.list_imports(actor, LIST_EXPORT_LIMIT, 0).await?;
        let mut t = Table::new(
            "导入记录",
            &["批次", "内容", "文件", "操作人", "开始时间", "状态", "读取", "新增", "更新", "未变化", "拒绝", "说明"],
        );
        for r in &page.imports {
            let c = r.counts;
            t.push(vec![
                Cell::from(r.id.get()),
                Cell::from(if r.kind == "orgs" { "机构" } else { "专利" }),
                Cell::from(r.file_name.as_str()),
                Cell::from(r.actor_name.as_str()),
                Cell::from(china_time(r.started_at).format("%Y-%m-%d %H:%M:%S").to_string()),
                Cell::from(r.status.label()),
                Cell::from(i64::try_from(c.read).unwrap_or(i64::MAX)),
                Cell::from(i64::try_from(c.inserted).unwrap_or(i64::MAX)),
                Cell::from(i64::try_from(c.updated).unwrap_or(i64::MAX)),
                Cell::from(i64::try_from(c.unchanged).unwrap_or(i64::MAX)),
                Cell::from(i64::try_from(c.rejected).unwrap_or(i64::MAX)),
                Cell::from(r.message.as_str()),
            ]);
        }
        self.finish_export(actor, "imports", "", &t).await
    }

    /// The unmatched applicant names (the bureau's review list).
    pub async fn export_unmatched_applicants(&self, actor: &Actor) -> Result<Vec<u8>> {
        actor.authorise(Permission::ReviewApplicants)?;
        let page = self.unmatched_applicants(actor, LIST_EXPORT_LIMIT, 0).await?;
        let mut t = Table::new("未关联申请人", &["申请人名称", "专利数"]);
        for n in &page.names {
            t.push(vec![Cell::from(n.name.as_str()), Cell::from(i64::try_from(n.patents).unwrap_or(i64::MAX))]);
        }
        self.finish_export(actor, "applicants", "", &t).await
    }
}

impl App {
    /// The industry chain list.
    pub async fn export_chains(&self, actor: &Actor) -> Result<Vec<u8>> {
        actor.authorise(Permission::ManageChains)?;
        let mut t = Table::new("重点产业链", &["排序", "名称", "代码", "IPC分类号前缀", "关键词", "状态"]);
        for c in self.chains().await? {
            t.push(vec![
                Cell::from(c.sort_order),
                Cell::from(c.name.as_str()),
                Cell::from(c.code.as_str()),
                Cell::from(c.ipc_prefixes.join("；")),
                Cell::from(c.keywords.join("；")),
                Cell::from(if c.active { "启用" } else { "停用" }),
            ]);
        }
        self.finish_export(actor, "industry_chains", "", &t).await
    }

    /// The annual-fee reminder of an organisation.
    pub async fn export_fees_due(&self, actor: &Actor, org: ipbridge_domain::ids::OrgId) -> Result<Vec<u8>> {
        let due = self.fees_due(actor, org, crate::patents::FEE_WINDOW_DAYS).await?;
        let mut t = Table::new("年费提醒", &["申请号", "专利名称", "申请日", "应缴日期", "滞纳期截止"]);
        for d in &due {
            t.push(vec![
                Cell::from(d.patent.application_no.as_str()),
                Cell::from(d.patent.title.as_str()),
                Cell::from(d.patent.filing_date.map(|f| f.to_string())),
                Cell::from(d.fee.next_due.to_string()),
                Cell::from(d.fee.grace_ends.filter(|_| d.fee.in_grace).map(|g| g.to_string())),
            ]);
        }
        self.finish_export(actor, "fees_due", "", &t).await
    }
}
