//! The key industry chains, edited by the bureau.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ipbridge_service::StoredChain;
use ipbridge_service::chains::ChainForm;
use ipbridge_service::{FieldErrors, ServiceError};
use serde::Deserialize;

use super::{Chrome, redirect_with_flash, render, render_with};
use crate::ctx::Ctx;
use crate::error::WebResult;
use crate::{AppState, paths};

#[derive(Template)]
#[template(path = "chains.html")]
struct ChainsPage {
    chrome: Chrome,
    chains: Vec<StoredChain>,
}

/// The chain list.
pub async fn list(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    ctx.actor.authorise(ipbridge_domain::Permission::ManageChains)?;
    Ok(render(&ChainsPage {
        chrome: Chrome::new(&state, &ctx, "重点产业链", "chains"),
        chains: state.app.chains().await?,
    }))
}

/// The chain list as xlsx.
pub async fn export(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let bytes = state.app.export_chains(&ctx.actor).await?;
    Ok(super::xlsx_download(&super::export_name(&state, "重点产业链"), bytes))
}

/// The chain form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct ChainInput {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    ipc_prefixes: String,
    #[serde(default)]
    keywords: String,
    #[serde(default)]
    sort_order: String,
    #[serde(default)]
    active: Option<String>,
}

impl ChainInput {
    fn into_form(self) -> ChainForm {
        ChainForm {
            code: self.code,
            name: self.name,
            ipc_prefixes: self.ipc_prefixes,
            keywords: self.keywords,
            sort_order: self.sort_order,
            active: self.active.is_some(),
        }
    }
}

#[derive(Template)]
#[template(path = "chain_form.html")]
struct ChainFormPage {
    chrome: Chrome,
    heading: String,
    action: String,
    is_new: bool,
    form: ChainForm,
    errors: FieldErrors,
}

fn page(
    state: &AppState,
    ctx: &Ctx,
    action: String,
    is_new: bool,
    form: ChainForm,
    errors: FieldErrors,
) -> axum::response::Response {
    let heading = if is_new { "新增产业链".to_owned() } else { format!("编辑产业链：{}", form.name) };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render_with(
        status,
        &ChainFormPage { chrome: Chrome::new(state, ctx, &heading, "chains"), heading, action, is_new, form, errors },
    )
}

fn conflict(c: ipbridge_service::Conflict) -> FieldErrors {
    let mut e = FieldErrors::new();
    let field = if matches!(c, ipbridge_service::Conflict::ChainCode) { "code" } else { "name" };
    e.add(field, c.to_string());
    e
}

/// New chain form.
pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let form = ChainForm { active: true, ..ChainForm::default() };
    Ok(page(&state, &ctx, paths::CHAINS.into(), true, form, FieldErrors::new()))
}

/// Creates a chain.
pub async fn create(State(state): State<AppState>, ctx: Ctx, Form(input): Form<ChainInput>) -> WebResult {
    let form = input.into_form();
    match state.app.create_chain(&ctx.actor, &form).await {
        Ok(_) => Ok(redirect_with_flash(paths::CHAINS, "success", "产业链已新增。")),
        Err(ServiceError::Invalid(e)) => Ok(page(&state, &ctx, paths::CHAINS.into(), true, form, e)),
        Err(ServiceError::Conflict(c)) => Ok(page(&state, &ctx, paths::CHAINS.into(), true, form, conflict(c))),
        Err(e) => Err(e.into()),
    }
}

/// Edit form.
pub async fn edit_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let chain = state.app.chain(&ctx.actor, id).await?;
    Ok(page(&state, &ctx, paths::chain(id), false, ChainForm::from_chain(&chain), FieldErrors::new()))
}

/// Saves a chain.
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(input): Form<ChainInput>,
) -> WebResult {
    let mut form = input.into_form();
    match state.app.update_chain(&ctx.actor, id, &form).await {
        Ok(()) => Ok(redirect_with_flash(paths::CHAINS, "success", "产业链已保存。")),
        Err(ServiceError::Invalid(e)) => {
            form.code = state.app.chain(&ctx.actor, id).await?.code;
            Ok(page(&state, &ctx, paths::chain(id), false, form, e))
        }
        Err(ServiceError::Conflict(c)) => Ok(page(&state, &ctx, paths::chain(id), false, form, conflict(c))),
        Err(e) => Err(e.into()),
    }
}
