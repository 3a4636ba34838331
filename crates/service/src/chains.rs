//! The key industry chains. The policy file seeds them on first start; from then on the bureau edits
//! the list in the platform (the file's chains are the city's starting point, not a fixed list).

use ipbridge_domain::Permission;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::policy::is_valid_ipc_prefix;
use ipbridge_store::{AuditStore, ChainStore, SettingsStore, StoreError, StoredChain};
use serde_json::json;

use crate::{Actor, App, FieldErrors, Result, ServiceError};

const SEEDED: &str = "chains_seeded_from_policy";

/// A chain form as typed: lists are one item per line or separated by commas/semicolons.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainForm {
    /// Stable code (only on creation).
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// IPC prefixes, separated.
    pub ipc_prefixes: String,
    /// Keywords, separated.
    pub keywords: String,
    /// Display order.
    pub sort_order: String,
    /// Whether offered.
    pub active: bool,
}

impl ChainForm {
    /// The form pre-filled from a stored chain.
    pub fn from_chain(c: &StoredChain) -> Self {
        Self {
            code: c.code.clone(),
            name: c.name.clone(),
            ipc_prefixes: c.ipc_prefixes.join("\n"),
            keywords: c.keywords.join("\n"),
            sort_order: c.sort_order.to_string(),
            active: c.active,
        }
    }
}

/// Splits a multi-value cell on the separators Chinese spreadsheets and forms use.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(['\n', '\r', ',', '，', ';', '；', '、', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Seeds the chain table from the policy once; later edits are never overwritten.
pub(crate) async fn seed_from_policy(app: &App) -> Result<(), StoreError> {
    let mut tx = app.db.begin().await?;
    if tx.setting(SEEDED).await?.is_some() {
        return Ok(());
    }
    let now = app.now();
    let system = crate::Actor::system();
    for (i, c) in app.policy.industry_chains.iter().enumerate() {
        let chain = StoredChain {
            id: 0,
            code: c.code.clone(),
            name: c.name.clone(),
            ipc_prefixes: c.ipc_prefixes.clone(),
            keywords: c.keywords.clone(),
            sort_order: i64::try_from(i + 1).unwrap_or(0) * 10,
            active: true,
        };
        let id = tx.insert_chain(&chain, now).await?;
        let mut detail = chain_detail(&chain);
        detail["source"] = json!("policy");
        tx.append_audit(&system.audit(Action::ChainCreate, "industry_chain", id, Outcome::Success, detail)).await?;
    }
    tx.set_setting(SEEDED, &now.to_rfc3339()).await?;
    tx.commit().await
}

impl App {
    /// The chain list in display order (anyone may read it: it is public policy).
    pub async fn chains(&self) -> Result<Vec<StoredChain>> {
        let mut tx = self.db.read().await?;
        Ok(tx.chains().await?)
    }

    /// One chain, for the edit form.
    pub async fn chain(&self, actor: &Actor, id: i64) -> Result<StoredChain> {
        actor.authorise(Permission::ManageChains)?;
        let mut tx = self.db.read().await?;
        tx.chain(id).await?.ok_or(ServiceError::NotFound)
    }

    fn parse_chain_form(&self, f: &ChainForm, id: i64, code: &str) -> Result<StoredChain> {
        let mut errors = FieldErrors::new();
        let name = f.name.trim();
        if name.is_empty() || name.chars().count() > 40 {
            errors.add("name", "产业链名称应为1至40个字符");
        }
        let ipc_prefixes: Vec<String> =
            split_list(&f.ipc_prefixes).into_iter().map(|p| p.replace(' ', "").to_ascii_uppercase()).collect();
        let bad: Vec<&str> = ipc_prefixes.iter().filter(|p| !is_valid_ipc_prefix(p)).map(String::as_str).collect();
        if !bad.is_empty() {
            errors.add(
                "ipc_prefixes",
                format!("以下分类号前缀格式不正确：{}（应如 A23L、A23F3 或 A23L33/16）", bad.join("、")),
            );
        }
        let keywords = split_list(&f.keywords);
        if ipc_prefixes.is_empty() && keywords.is_empty() {
            errors.add("keywords", "分类号前缀和关键词至少填写一项，否则无法把专利归入该产业链");
        }
        let sort_order = match f.sort_order.trim() {
            "" => 0,
            s => s.parse::<i64>().unwrap_or_else(|_| {
                errors.add("sort_order", "排序应为整数");
                0
            }),
        };
        let code = code.trim();
        if code.is_empty()
            || code.len() > 32
            || !code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            errors.add("code", "代码应为1至32位小写英文字母、数字或下划线");
        }
        errors.into_result()?;
        Ok(StoredChain {
            id,
            code: code.to_owned(),
            name: name.to_owned(),
            ipc_prefixes,
            keywords,
            sort_order,
            active: f.active,
        })
    }

    /// Adds a chain.
    pub async fn create_chain(&self, actor: &Actor, form: &ChainForm) -> Result<i64> {
        actor.authorise(Permission::ManageChains)?;
        let chain = self.parse_chain_form(form, 0, &form.code)?;
        let mut tx = self.db.begin().await?;
        let id = tx.insert_chain(&chain, self.now()).await?;
        tx.append_audit(&actor.audit(
            Action::ChainCreate,
            "industry_chain",
            id,
            Outcome::Success,
            chain_detail(&chain),
        ))
        .await?;
        tx.commit().await?;
        // Every patent is mapped to the chains again.
        self.request_indicator_refresh("chain");
        Ok(id)
    }

    /// Edits a chain; its code stays, since other records refer to it.
    pub async fn update_chain(&self, actor: &Actor, id: i64, form: &ChainForm) -> Result<()> {
        actor.authorise(Permission::ManageChains)?;
        let mut tx = self.db.begin().await?;
        let before = tx.chain(id).await?.ok_or(ServiceError::NotFound)?;
        let chain = self.parse_chain_form(form, id, &before.code)?;
        tx.update_chain(&chain, self.now()).await?;
        tx.append_audit(&actor.audit(
            Action::ChainUpdate,
            "industry_chain",
            id,
            Outcome::Success,
            json!({"before": chain_detail(&before), "after": chain_detail(&chain)}),
        ))
        .await?;
        tx.commit().await?;
        self.request_indicator_refresh("chain");
        Ok(())
    }
}

fn chain_detail(c: &StoredChain) -> serde_json::Value {
    json!({"code": c.code, "name": c.name, "ipc_prefixes": c.ipc_prefixes, "keywords": c.keywords,
           "sort_order": c.sort_order, "active": c.active})
}

#[cfg(test)]
mod tests {
    use super::split_list;

    #[test]
    fn lists_split_on_chinese_and_ascii_separators() {
        assert_eq!(split_list("富硒，茶叶;魔芋\n 硒 |绞股蓝、"), vec!["富硒", "茶叶", "魔芋", "硒", "绞股蓝"]);
    }
}
