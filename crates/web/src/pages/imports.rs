//! Uploading files to import, watching an import run, its report, the import templates, and the review
//! list of applicant names not yet linked to an organisation.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect};
use ipbridge_domain::Permission;
use ipbridge_domain::ids::{ImportId, OrgId};
use ipbridge_domain::org::OrgKind;
use ipbridge_service::auth::china_time;
use ipbridge_service::{FieldErrors, ImportRecord, ImportStatus, OrgFilter, ServiceError};
use serde::Deserialize;

use super::admin::{ListQuery, PAGE_SIZE, Pager};
use super::{Chrome, redirect_with_flash, render, render_with};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::{WebError, WebResult};

/// One import run as pages show it.
pub struct RunView {
    id: ImportId,
    kind: &'static str,
    file_name: String,
    actor: String,
    status: &'static str,
    running: bool,
    total: u64,
    read: u64,
    inserted: u64,
    updated: u64,
    unchanged: u64,
    rejected: u64,
    percent: u64,
    message: String,
    has_report: bool,
    started: String,
    finished: String,
}

fn view(r: &ImportRecord) -> RunView {
    let c = r.counts;
    RunView {
        id: r.id,
        kind: if r.kind == "orgs" { "机构" } else { "专利" },
        file_name: r.file_name.clone(),
        actor: r.actor_name.clone(),
        status: r.status.label(),
        running: r.status == ImportStatus::Running,
        total: c.total,
        read: c.read,
        inserted: c.inserted,
        updated: c.updated,
        unchanged: c.unchanged,
        rejected: c.rejected,
        percent: (c.read * 100).checked_div(c.total).unwrap_or(0),
        message: r.message.clone(),
        has_report: r.has_report,
        started: china_time(r.started_at).format("%Y-%m-%d %H:%M:%S").to_string(),
        finished: r.finished_at.map(|t| china_time(t).format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    chrome: Chrome,
    runs: Vec<RunView>,
    pager: Pager,
}

/// Import history.
pub async fn list(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> WebResult {
    let page = q.page.unwrap_or(1);
    let result = state.app.list_imports(&ctx.actor, PAGE_SIZE, Pager::offset(page)).await?;
    Ok(render(&ImportsPage {
        chrome: Chrome::new(&state, &ctx, "数据导入", "imports"),
        runs: result.imports.iter().map(view).collect(),
        pager: Pager::new(page, result.total, |p| format!("/imports?page={p}")),
    }))
}

#[derive(Template)]
#[template(path = "import_new.html")]
struct NewImportPage {
    chrome: Chrome,
    can_import_orgs: bool,
    own_only: bool,
    error: Option<String>,
}

/// The upload form.
pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    Ok(render(&NewImportPage {
        chrome: Chrome::new(&state, &ctx, "导入数据", "imports"),
        can_import_orgs: ctx.can(Permission::ImportAnyPatents),
        own_only: !ctx.can(Permission::ImportAnyPatents),
        error: None,
    }))
}

/// Receives a file, registers the import and runs it in the background; the browser goes to the run's
/// page, which shows its progress.
pub async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> WebResult {
    let mut kind = String::from("patents");
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) =
        multipart.next_field().await.map_err(|e| WebError::invalid(format!("上传中断或格式不正确：{e}")))?
    {
        match field.name() {
            Some("kind") => kind = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or("upload").to_owned();
                let bytes = field.bytes().await.map_err(|e| WebError::invalid(format!("文件上传失败：{e}")))?;
                file = Some((name, Vec::from(bytes)));
            }
            _ => {}
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Ok(render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &NewImportPage {
                chrome: Chrome::new(&state, &ctx, "导入数据", "imports"),
                can_import_orgs: ctx.can(Permission::ImportAnyPatents),
                own_only: !ctx.can(Permission::ImportAnyPatents),
                error: Some("请选择要导入的文件（xlsx、csv 或 jsonl）".into()),
            },
        ));
    };
    let app = state.app.clone();
    let actor = ctx.actor.clone();
    let id = if kind == "orgs" {
        // Organisation files are small: imported in the request, then shown.
        match app.import_orgs(&actor, &name, bytes, None, &|_| {}).await {
            Ok(run) => run.id,
            Err(ServiceError::Invalid(e)) => return Err(WebError::invalid(first_message(&e))),
            Err(e) => return Err(e.into()),
        }
    } else {
        let id = app.begin_patent_import(&actor, &name, &bytes).await?;
        tokio::spawn(async move {
            if let Err(e) = app.run_patent_import(&actor, id, &name, bytes, None, &|_| {}).await {
                tracing::warn!(import_id = %id, error = %e, "import ended with an error");
            }
        });
        id
    };
    let to = format!("/imports/{id}");
    if headers.contains_key("hx-request") {
        let mut res = StatusCode::NO_CONTENT.into_response();
        if let Ok(v) = HeaderValue::from_str(&to) {
            res.headers_mut().insert("hx-redirect", v);
        }
        return Ok(res);
    }
    Ok(Redirect::to(&to).into_response())
}

fn first_message(e: &FieldErrors) -> String {
    e.0.values().flatten().next().cloned().unwrap_or_else(|| "文件无法读取".into())
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    chrome: Chrome,
    run: RunView,
}

#[derive(Template)]
#[template(path = "import_progress.html")]
struct ProgressPartial {
    run: RunView,
}

/// One import run.
pub async fn detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let run = state.app.import_run(&ctx.actor, ImportId::new(id)).await?;
    Ok(render(&ImportPage { chrome: Chrome::new(&state, &ctx, "导入结果", "imports"), run: view(&run) }))
}

/// The progress block of a run (htmx polls it while the run lasts).
pub async fn progress(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let run = state.app.import_run(&ctx.actor, ImportId::new(id)).await?;
    Ok(render(&ProgressPartial { run: view(&run) }))
}

/// The rejected rows of a run as xlsx.
pub async fn report(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>) -> WebResult {
    let (name, bytes) = state.app.import_report(&ctx.actor, ImportId::new(id)).await?;
    Ok(super::xlsx_download(&name, bytes))
}

/// The platform's patent import template.
pub async fn patent_template() -> WebResult {
    let bytes = ipbridge_service::patent_template_xlsx().map_err(|e| WebError::internal(e.to_string()))?;
    Ok(super::xlsx_download("专利导入模板.xlsx", bytes))
}

/// The platform's organisation import template.
pub async fn org_template() -> WebResult {
    let bytes = ipbridge_service::org_template_xlsx().map_err(|e| WebError::internal(e.to_string()))?;
    Ok(super::xlsx_download("机构导入模板.xlsx", bytes))
}

#[derive(Template)]
#[template(path = "applicants.html")]
struct ApplicantsPage {
    chrome: Chrome,
    names: Vec<(String, u64)>,
    orgs: Vec<(i64, String)>,
    pager: Pager,
}

/// Applicant names not linked to any organisation.
pub async fn applicants(State(state): State<AppState>, ctx: Ctx, Query(q): Query<ListQuery>) -> WebResult {
    let page = q.page.unwrap_or(1);
    let result = state.app.unmatched_applicants(&ctx.actor, PAGE_SIZE, Pager::offset(page)).await?;
    let orgs = state
        .app
        .list_orgs(&ctx.actor, &OrgFilter::default())
        .await?
        .orgs
        .into_iter()
        .filter(|o| o.active && matches!(o.kind, OrgKind::Institution | OrgKind::Enterprise))
        .map(|o| (o.id.get(), format!("{} · {}", o.kind.label(), o.name)))
        .collect();
    Ok(render(&ApplicantsPage {
        chrome: Chrome::new(&state, &ctx, "申请人关联", "applicants"),
        names: result.names.into_iter().map(|n| (n.name, n.patents)).collect(),
        orgs,
        pager: Pager::new(page, result.total, |p| format!("/applicants?page={p}")),
    }))
}

/// A link as posted.
#[derive(Debug, Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    org_id: String,
}

/// Links a name to an organisation and remembers it.
pub async fn link(State(state): State<AppState>, ctx: Ctx, Form(f): Form<LinkForm>) -> WebResult {
    let Ok(org) = f.org_id.parse::<i64>() else {
        return Ok(redirect_with_flash("/applicants", "error", "请选择要关联的机构"));
    };
    let n = state.app.link_applicant(&ctx.actor, &f.name, OrgId::new(org)).await?;
    Ok(redirect_with_flash(
        "/applicants",
        "success",
        &format!("已将“{}”关联到所选机构，{}件专利随之更新；以后导入同名申请人会自动关联。", f.name.trim(), n),
    ))
}

/// The import history as xlsx.
pub async fn export(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let bytes = state.app.export_imports(&ctx.actor).await?;
    Ok(super::xlsx_download(&super::export_name(&state, "导入记录"), bytes))
}

/// The unmatched applicant names as xlsx.
pub async fn export_applicants(State(state): State<AppState>, ctx: Ctx) -> WebResult {
    let bytes = state.app.export_unmatched_applicants(&ctx.actor).await?;
    Ok(super::xlsx_download(&super::export_name(&state, "未关联申请人"), bytes))
}
