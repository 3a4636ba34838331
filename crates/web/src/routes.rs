//! Every route is registered through [`Routes`], which records the permission it requires. The guard
//! looks the matched route up in that table before the handler runs and refuses what is not declared,
//! so a route cannot be added without saying who may use it.

use std::collections::HashMap;

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, on};
use ipbridge_domain::Permission;

use crate::AppState;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, including anonymous visitors.
    Public,
    /// A session that has passed the password but may still owe a step (code, new password, second
    /// factor enrolment): the pages that complete those steps, and logout.
    PendingStep,
    /// Any logged-in account that has completed every login step; object rules live in the services.
    Authenticated,
    /// Logged in and holding this permission.
    Permission(Permission),
    /// Logged in and holding any of these permissions (the service decides per object).
    AnyPermission(&'static [Permission]),
}

impl Access {
    /// Whether a completed account with these permissions passes (logged-in cases only).
    pub fn allows(self, has: impl Fn(Permission) -> bool) -> bool {
        match self {
            Access::Public | Access::PendingStep | Access::Authenticated => true,
            Access::Permission(p) => has(p),
            Access::AnyPermission(ps) => ps.iter().any(|p| has(*p)),
        }
    }
}

/// One declared route.
#[derive(Debug, Clone)]
pub struct RouteSpec {
    /// HTTP method.
    pub method: Method,
    /// Path pattern as axum matches it, e.g. `/orgs/{id}`.
    pub path: &'static str,
    /// Who may use it.
    pub access: Access,
}

/// The table of declared routes, keyed by method and path pattern.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    specs: Vec<RouteSpec>,
    index: HashMap<(Method, String), Access>,
}

impl RouteTable {
    /// The access rule of a matched route; `None` for an undeclared one (which the guard refuses).
    pub fn access(&self, method: &Method, path: &str) -> Option<Access> {
        self.index.get(&(method.clone(), path.to_owned())).copied()
    }

    /// Every declared route, in registration order.
    pub fn specs(&self) -> &[RouteSpec] {
        &self.specs
    }
}

/// Builder that registers a handler and its declaration together.
pub struct Routes {
    router: Router<AppState>,
    table: RouteTable,
}

impl Default for Routes {
    fn default() -> Self {
        Self::new()
    }
}

impl Routes {
    /// An empty set.
    pub fn new() -> Self {
        Self { router: Router::new(), table: RouteTable::default() }
    }

    fn add<H, T>(mut self, method: Method, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = if method == Method::GET { MethodFilter::GET } else { MethodFilter::POST };
        assert!(
            self.table.index.insert((method.clone(), path.to_owned()), access).is_none(),
            "route {method} {path} declared twice"
        );
        self.table.specs.push(RouteSpec { method, path, access });
        self.router = self.router.route(path, on(filter, handler));
        self
    }

    /// Registers a GET route.
    pub fn get<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::GET, path, access, handler)
    }

    /// Registers a POST route.
    pub fn post<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::POST, path, access, handler)
    }

    /// The router and the table.
    pub fn finish(self) -> (Router<AppState>, RouteTable) {
        (self.router, self.table)
    }
}
