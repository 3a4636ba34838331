//! The HTTP front of ipbridge: the router with its guard, the Chinese pages and the embedded assets.
//! `router(app)` builds everything so tests drive it in-process; `serve` runs it on a listener.

mod assets;
pub mod ctx;
pub mod error;
pub mod guard;
pub mod pages;
pub mod paths;
pub mod results;
pub mod routes;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::middleware::from_fn_with_state;
use ipbridge_domain::Permission;
use ipbridge_service::App;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::pages::{account, admin, audit, chains, demands, imports, matches, notifications, orgs, patents, search};
use crate::routes::{Access, RouteTable, Routes};

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The application services.
    pub app: App,
    /// The declared routes, for the guard.
    pub routes: Arc<RouteTable>,
    /// Outcomes of demand imports, shown once and offering the rejected rows (see [`results`]).
    pub demand_imports: Arc<results::ResultStore<demands::ImportOutcome>>,
    /// Outcomes of inventory imports, likewise.
    pub inventory_imports: Arc<results::ResultStore<pages::inventory::ImportOutcome>>,
}

impl AppState {
    /// The state for `app` with the declared routes `routes`.
    pub fn new(app: App, routes: RouteTable) -> Self {
        Self { app, routes: Arc::new(routes), demand_imports: Arc::default(), inventory_imports: Arc::default() }
    }
}

/// Random request ids: short enough to read out on the phone, unique enough to find a log line.
#[derive(Clone, Copy, Default)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&ipbridge_service::auth::random_token(8)).ok().map(RequestId::new)
    }
}

/// Who may import patents: the bureau (any holder) and institution administrators (their own).
const IMPORTERS: &[Permission] = &[Permission::ImportAnyPatents, Permission::ImportOwnPatents];

/// Who may post demands (enterprises, agencies) or review them (the bureau); services check each demand.
const DEMAND_POSTERS: &[Permission] = &[Permission::PostDemands, Permission::ReviewDemands];

/// Who takes part in matchmaking: posters and reviewers of demands, parties to matches, the overseers.
const MATCHMAKERS: &[Permission] =
    &[Permission::PostDemands, Permission::ReviewDemands, Permission::ViewAllMatches, Permission::HandleMatches];

/// Who sees match records: the parties (their own) and the bureau's overseers (all).
const MATCH_READERS: &[Permission] = &[Permission::ViewAllMatches, Permission::HandleMatches];

/// Who moves match records: the parties, and the bureau brokering.
const MATCH_ACTORS: &[Permission] = &[Permission::ManageMatches, Permission::HandleMatches];

/// Who takes part in inquiries: enterprises asking, the institution side answering, the bureau overseeing.
const INQUIRY_PARTIES: &[Permission] =
    &[Permission::AskInquiries, Permission::AnswerInquiries, Permission::ViewAllInventory];

/// Who closes an inquiry without an answer: the asking enterprise (withdrawing) and the bureau brokering.
const INQUIRY_CLOSERS: &[Permission] = &[Permission::AskInquiries, Permission::ManageMatches];

/// Who reads inventory records: those who file, review or screen them, and the bureau's overseers; the
/// service narrows every list and record to the account's institution, faculty or linked patents.
const INVENTORY_READERS: &[Permission] = &[
    Permission::FileInventory,
    Permission::ReviewInventoryFaculty,
    Permission::ReviewInventoryInstitution,
    Permission::ScreenPool,
    Permission::ViewAllInventory,
];

/// Who takes review steps: filers (submit, withdraw), reviewers and screeners.
const INVENTORY_ACTORS: &[Permission] = &[
    Permission::FileInventory,
    Permission::ReviewInventoryFaculty,
    Permission::ReviewInventoryInstitution,
    Permission::ScreenPool,
];

/// Who reads the unrecorded list: coverage readers, and filers (their patents still to fill in).
const UNRECORDED_READERS: &[Permission] = &[Permission::ViewCoverage, Permission::FileInventory];

/// Largest upload: a 100,000-row export with abstracts and claims is a few tens of megabytes.
pub(crate) const UPLOAD_LIMIT: usize = 256 * 1024 * 1024;

/// The routes that take file uploads (and so large multipart bodies): patent and organisation imports,
/// and demands collected offline.
pub(crate) const UPLOAD_PATHS: &[&str] =
    &["/imports", "/demands/import", "/inventory/import", "/indicators/awards/import", "/indicators/statistics/import"];

/// Every route of the platform with the access it requires.
pub fn declared_routes() -> Routes {
    use Access::{Authenticated, PendingStep, Public};
    use Permission::*;
    let routes = Routes::new()
        .get(paths::HOME, Public, pages::home)
        .get(paths::HEALTH, Public, pages::health)
        .get("/static/{name}", Public, assets::asset)
        .get(paths::LOGIN, Public, account::login_form)
        .post(paths::LOGIN, Public, account::login)
        .get(paths::LOGIN_TOTP, PendingStep, account::totp_form)
        .post(paths::LOGIN_TOTP, PendingStep, account::totp_verify)
        .post(paths::LOGOUT, PendingStep, account::logout)
        .get(paths::ACCOUNT, Authenticated, account::account)
        .get(paths::ACCOUNT_PASSWORD, PendingStep, account::password_form)
        .post(paths::ACCOUNT_PASSWORD, PendingStep, account::password_change)
        .get(paths::ACCOUNT_TOTP, PendingStep, account::totp_enrol_form)
        .post(paths::ACCOUNT_TOTP, PendingStep, account::totp_enrol)
        .post(paths::ACCOUNT_TOTP_REMOVE, Authenticated, account::totp_remove)
        .get(paths::ORGS, Authenticated, orgs::list)
        .post(paths::ORGS, Access::Permission(ManageOrgs), orgs::create)
        .get(paths::ORGS_NEW, Access::Permission(ManageOrgs), orgs::new_form)
        .get("/orgs/export", Authenticated, orgs::export)
        .get("/orgs/{id}", Authenticated, orgs::detail)
        .post("/orgs/{id}", Access::Permission(ManageOrgs), orgs::update)
        .get("/orgs/{id}/edit", Access::Permission(ManageOrgs), orgs::edit_form)
        .post("/orgs/{id}/contact", Access::AnyPermission(&[ManageOrgs, ManageOwnOrg]), orgs::update_contact)
        .post("/orgs/{id}/faculties", Access::AnyPermission(&[ManageOrgs, ManageOwnOrg]), orgs::add_faculty)
        .post("/orgs/{id}/profile", Access::AnyPermission(&[ManageOrgs, ManageOwnOrg]), orgs::update_profile)
        .post(
            "/orgs/{id}/faculties/{faculty}",
            Access::AnyPermission(&[ManageOrgs, ManageOwnOrg]),
            orgs::rename_faculty,
        )
        .get("/patents", Authenticated, patents::list)
        .get("/patents/export", Authenticated, patents::export)
        .get("/patents/fees", Access::AnyPermission(IMPORTERS), patents::fees)
        .get("/patents/fees/export", Access::AnyPermission(IMPORTERS), patents::fees_export)
        .get("/patents/{id}", Authenticated, patents::detail)
        .get("/patents/{id}/similar", Authenticated, search::similar)
        .get(
            "/patents/{id}/enterprises",
            Access::AnyPermission(&[ManageMatches, ImportOwnPatents]),
            search::enterprises,
        )
        .get("/search", Authenticated, search::page)
        .get("/search/export", Authenticated, search::export)
        .get("/api/v1/patents/search", Authenticated, search::api)
        .get("/match", Authenticated, search::need)
        .post("/patents/{id}/interest", Access::Permission(HandleMatches), matches::interest)
        .post("/patents/{id}/push", Access::Permission(ManageMatches), search::push)
        .get("/demands", Authenticated, demands::list)
        .post("/demands", Access::AnyPermission(DEMAND_POSTERS), demands::create)
        .get("/demands/new", Access::AnyPermission(DEMAND_POSTERS), demands::new_form)
        .get("/demands/export", Authenticated, demands::export)
        .get("/demands/import", Access::AnyPermission(DEMAND_POSTERS), demands::import_form)
        .post("/demands/import", Access::AnyPermission(DEMAND_POSTERS), demands::import)
        .get("/demands/import/template.xlsx", Access::AnyPermission(DEMAND_POSTERS), demands::import_template)
        .get("/demands/import/{id}", Access::AnyPermission(DEMAND_POSTERS), demands::import_result)
        .get("/demands/import/{id}/report", Access::AnyPermission(DEMAND_POSTERS), demands::import_report)
        .get("/demands/{id}", Authenticated, demands::detail)
        .post("/demands/{id}", Access::AnyPermission(DEMAND_POSTERS), demands::update)
        .get("/demands/{id}/edit", Access::AnyPermission(DEMAND_POSTERS), demands::edit_form)
        .post("/demands/{id}/submit", Access::AnyPermission(DEMAND_POSTERS), demands::submit)
        .post("/demands/{id}/publish", Access::Permission(ReviewDemands), demands::publish)
        .post("/demands/{id}/return", Access::Permission(ReviewDemands), demands::return_demand)
        .post("/demands/{id}/close", Access::AnyPermission(DEMAND_POSTERS), demands::close)
        .get("/demands/{id}/matches", Access::AnyPermission(MATCHMAKERS), demands::matches)
        .post("/demands/{id}/matches", Access::AnyPermission(MATCH_ACTORS), demands::save_match)
        .get("/matches", Access::AnyPermission(MATCH_READERS), matches::list)
        .get("/matches/export", Access::Permission(ViewAllMatches), matches::export)
        .get("/matches/{id}", Access::AnyPermission(MATCH_READERS), matches::detail)
        .post("/matches/{id}/state", Access::AnyPermission(MATCH_ACTORS), matches::transition)
        // Revitalisation — A: inventory records, review, pool screening, coverage
        .get("/inventory", Access::AnyPermission(INVENTORY_READERS), pages::inventory::list)
        .get("/inventory/export", Access::AnyPermission(INVENTORY_READERS), pages::inventory::export)
        .get("/inventory/import", Access::Permission(ReviewInventoryInstitution), pages::inventory::import_form)
        .post("/inventory/import", Access::Permission(ReviewInventoryInstitution), pages::inventory::import)
        .get(
            "/inventory/import/template.xlsx",
            Access::Permission(ReviewInventoryInstitution),
            pages::inventory::import_template,
        )
        .get(
            "/inventory/import/{token}",
            Access::Permission(ReviewInventoryInstitution),
            pages::inventory::import_result,
        )
        .get(
            "/inventory/import/{token}/report",
            Access::Permission(ReviewInventoryInstitution),
            pages::inventory::import_report,
        )
        .get("/inventory/{id}", Access::AnyPermission(INVENTORY_READERS), pages::inventory::detail)
        .post("/inventory/{id}", Access::Permission(FileInventory), pages::inventory::update)
        .get("/inventory/{id}/edit", Access::Permission(FileInventory), pages::inventory::edit_form)
        .post("/inventory/{id}/step", Access::AnyPermission(INVENTORY_ACTORS), pages::inventory::step)
        .get("/patents/{id}/inventory", Access::AnyPermission(INVENTORY_READERS), pages::inventory::patent_page)
        .post("/patents/{id}/inventory", Access::Permission(FileInventory), pages::inventory::create)
        .post("/patents/{id}/inventors", Access::Permission(ReviewInventoryInstitution), pages::inventory::link)
        .post(
            "/patents/{id}/inventors/{user}/remove",
            Access::Permission(ReviewInventoryInstitution),
            pages::inventory::unlink,
        )
        .get("/coverage", Access::Permission(ViewCoverage), pages::coverage::page)
        .get("/coverage/export", Access::Permission(ViewCoverage), pages::coverage::export)
        .get("/coverage/converted/export", Access::Permission(ViewCoverage), pages::coverage::converted_export)
        .get("/coverage/unrecorded", Access::AnyPermission(UNRECORDED_READERS), pages::coverage::unrecorded)
        .get(
            "/coverage/unrecorded/export",
            Access::AnyPermission(UNRECORDED_READERS),
            pages::coverage::unrecorded_export,
        )
        // Revitalisation — B: public pool, 我有意向, push campaigns, feedback, inquiries
        .get("/pool", Public, pages::pool::list)
        .get("/pool/{id}", Public, pages::pool::detail)
        .post("/pool/{id}/interest", Access::Permission(HandleMatches), pages::pool::interest)
        .post("/pool/{id}/feedback", Access::Permission(HandleMatches), pages::pool::feedback)
        .post("/pool/{id}/ask", Access::Permission(AskInquiries), pages::pool::ask)
        .get("/campaigns", Access::Permission(ManageCampaigns), pages::campaigns::list)
        .post("/campaigns", Access::Permission(ManageCampaigns), pages::campaigns::create)
        .get("/campaigns/new", Access::Permission(ManageCampaigns), pages::campaigns::new_form)
        .get("/campaigns/{id}", Access::Permission(ManageCampaigns), pages::campaigns::detail)
        .get("/inquiries", Access::AnyPermission(INQUIRY_PARTIES), pages::inquiries::list)
        .get("/inquiries/{id}", Access::AnyPermission(INQUIRY_PARTIES), pages::inquiries::detail)
        .post("/inquiries/{id}/answer", Access::Permission(AnswerInquiries), pages::inquiries::answer)
        .post("/inquiries/{id}/close", Access::AnyPermission(INQUIRY_CLOSERS), pages::inquiries::close)
        // Revitalisation — C: roadshows, follow-ups, deals
        .get("/roadshows", Authenticated, pages::roadshows::list)
        .post("/roadshows", Access::Permission(ManageRoadshows), pages::roadshows::create)
        .get("/roadshows/new", Access::Permission(ManageRoadshows), pages::roadshows::new_form)
        .get("/roadshows/{id}", Authenticated, pages::roadshows::detail)
        .post("/roadshows/{id}", Access::Permission(ManageRoadshows), pages::roadshows::update)
        .get("/roadshows/{id}/edit", Access::Permission(ManageRoadshows), pages::roadshows::edit_form)
        .post("/roadshows/{id}/status", Access::Permission(ManageRoadshows), pages::roadshows::status)
        .post("/roadshows/{id}/register", Access::Permission(RegisterRoadshows), pages::roadshows::register)
        .get(
            "/roadshows/{id}/registrations/export",
            Access::AnyPermission(&[ManageRoadshows, ViewAllInventory]),
            pages::roadshows::export_registrations,
        )
        .post("/roadshows/{id}/follow-ups", Access::Permission(RecordFollowUps), pages::roadshows::open_project)
        .post(
            "/roadshows/registrations/{id}/cancel",
            Access::AnyPermission(&[ManageRoadshows, RegisterRoadshows]),
            pages::roadshows::cancel_registration,
        )
        .post(
            "/roadshows/registrations/{id}/attendance",
            Access::Permission(ManageRoadshows),
            pages::roadshows::attendance,
        )
        // Follow-up projects: kept by RecordFollowUps, read by the bureau's overseers and by the enterprise
        // parties (HandleMatches, RegisterRoadshows); the service narrows each list to the account's own.
        .get(
            "/follow-ups",
            Access::AnyPermission(&[RecordFollowUps, ViewAllInventory, HandleMatches, RegisterRoadshows]),
            pages::roadshows::projects,
        )
        .post("/follow-ups", Access::Permission(RecordFollowUps), pages::roadshows::open_project_from_match)
        .get(
            "/follow-ups/{id}",
            Access::AnyPermission(&[RecordFollowUps, ViewAllInventory, HandleMatches, RegisterRoadshows]),
            pages::roadshows::project,
        )
        .post("/follow-ups/{id}/entries", Access::Permission(RecordFollowUps), pages::roadshows::record_entry)
        // Deals: recorded by RecordDeals, read by the overseers and the enterprise parties (HandleMatches).
        .get("/deals", Access::AnyPermission(&[RecordDeals, ViewAllInventory, HandleMatches]), pages::deals::list)
        .post("/deals", Access::Permission(RecordDeals), pages::deals::create)
        .get("/deals/new", Access::Permission(RecordDeals), pages::deals::new_form)
        .get(
            "/deals/export",
            Access::AnyPermission(&[RecordDeals, ViewAllInventory, HandleMatches]),
            pages::deals::export,
        )
        .get(
            "/deals/{id}",
            Access::AnyPermission(&[RecordDeals, ViewAllInventory, HandleMatches]),
            pages::deals::detail,
        )
        .post("/deals/{id}", Access::Permission(RecordDeals), pages::deals::update)
        .get("/deals/{id}/edit", Access::Permission(RecordDeals), pages::deals::edit_form)
        .post("/deals/{id}/cancel", Access::Permission(RecordDeals), pages::deals::cancel)
        .get("/notifications", Authenticated, notifications::list)
        .post("/notifications/read-all", Authenticated, notifications::read_all)
        .post("/notifications/{id}/read", Authenticated, notifications::read)
        .get("/imports", Access::AnyPermission(IMPORTERS), imports::list)
        .post("/imports", Access::AnyPermission(IMPORTERS), imports::upload)
        .get("/imports/new", Access::AnyPermission(IMPORTERS), imports::new_form)
        .get("/imports/export", Access::AnyPermission(IMPORTERS), imports::export)
        .get("/imports/templates/patents.xlsx", Authenticated, imports::patent_template)
        .get("/imports/templates/orgs.xlsx", Access::Permission(ImportAnyPatents), imports::org_template)
        .get("/imports/{id}", Access::AnyPermission(IMPORTERS), imports::detail)
        .get("/imports/{id}/progress", Access::AnyPermission(IMPORTERS), imports::progress)
        .get("/imports/{id}/report", Access::AnyPermission(IMPORTERS), imports::report)
        .get("/applicants", Access::Permission(ReviewApplicants), imports::applicants)
        .post("/applicants/link", Access::Permission(ReviewApplicants), imports::link)
        .get("/applicants/export", Access::Permission(ReviewApplicants), imports::export_applicants)
        .get(paths::CHAINS, Access::Permission(ManageChains), chains::list)
        .post(paths::CHAINS, Access::Permission(ManageChains), chains::create)
        .get(paths::CHAINS_NEW, Access::Permission(ManageChains), chains::new_form)
        .get("/chains/export", Access::Permission(ManageChains), chains::export)
        .get("/chains/{id}", Access::Permission(ManageChains), chains::edit_form)
        .post("/chains/{id}", Access::Permission(ManageChains), chains::update)
        .get(paths::ADMIN_USERS, Access::Permission(ManageAccounts), admin::users)
        .post(paths::ADMIN_USERS, Access::Permission(ManageAccounts), admin::user_create)
        .get(paths::ADMIN_USERS_NEW, Access::Permission(ManageAccounts), admin::user_new_form)
        .get("/admin/users/export", Access::AnyPermission(&[ManageAccounts, GrantRoles]), admin::users_export)
        .get("/admin/faculty-options", Access::Permission(ManageAccounts), admin::faculty_options)
        .get("/admin/users/{id}", Access::Permission(ManageAccounts), admin::user_detail)
        .post("/admin/users/{id}", Access::Permission(ManageAccounts), admin::user_update)
        .post("/admin/users/{id}/disable", Access::Permission(ManageAccounts), admin::user_disable)
        .post("/admin/users/{id}/enable", Access::Permission(ManageAccounts), admin::user_enable)
        .post("/admin/users/{id}/unlock", Access::Permission(ManageAccounts), admin::user_unlock)
        .post("/admin/users/{id}/reset-password", Access::Permission(ManageAccounts), admin::user_reset_password)
        .post("/admin/users/{id}/reset-totp", Access::Permission(ManageAccounts), admin::user_reset_totp)
        .get(paths::ADMIN_ROLES, Access::Permission(GrantRoles), admin::roles_list)
        .get("/admin/roles/{id}", Access::Permission(GrantRoles), admin::roles_form)
        .post("/admin/roles/{id}", Access::Permission(GrantRoles), admin::roles_save)
        .get(paths::ADMIN_AUDIT, Access::Permission(ReadAudit), audit::page)
        .get(paths::ADMIN_AUDIT_EXPORT, Access::Permission(ReadAudit), audit::export)
        .get(paths::ADMIN_SYSTEM, Access::Permission(ManageConfig), admin::system)
        .post("/admin/system/backup", Access::Permission(ManageConfig), admin::backup);
    pages::indicators::routes(routes)
}

/// The whole application: declared routes behind the guard, the 404 page, and the tower layers
/// (request id, tracing, compression, body limit, security headers).
pub fn router(app: App) -> Router {
    let (routes, table) = declared_routes().finish();
    let state = AppState::new(app, table);
    let x_request_id = HeaderName::from_static("x-request-id");
    let headers = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            // Scripts only from the platform's own files, no inline script, no remote origin. Inline styles stay
            // allowed for htmx's indicator styles and the QR code's SVG attributes.
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    routes
        .route_layer(from_fn_with_state(state.clone(), guard::guard))
        .fallback(pages::not_found)
        .with_state(state)
        .layer(headers)
        .layer(CompressionLayer::new())
        .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_LIMIT))
        .layer(RequestBodyLimitLayer::new(UPLOAD_LIMIT))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::new(x_request_id, RandomRequestId))
}

/// Serves the router on a bound listener until `shutdown` completes; stale sessions are purged
/// every ten minutes meanwhile.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let purger = app.clone();
    let purge = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            match purger.purge_stale_sessions().await {
                Ok(n) if n > 0 => tracing::info!(sessions = n, "stale sessions removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "session purge failed"),
            }
        }
    });
    let result = axum::serve(listener, router(app).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await;
    purge.abort();
    result
}
