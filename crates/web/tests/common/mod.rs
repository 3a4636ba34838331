//! The in-process browser the HTTP test files share: it sends requests to the router, keeps the cookies and the
//! CSRF token of the last page it saw, and posts forms with that token as a browser does.

// Each test file is its own crate and uses only part of this module.
#![allow(dead_code)]

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use ipbridge_service::App;
use tower::ServiceExt;

/// One response, read whole.
pub struct Res {
    pub status: StatusCode,
    pub set_cookies: Vec<String>,
    pub location: Option<String>,
    pub content_type: String,
    pub body: String,
    pub bytes: Vec<u8>,
}

/// A browser: keeps cookies and the CSRF token of the last page it saw.
pub struct Client {
    pub router: Router,
    pub app: App,
    pub cookies: HashMap<String, String>,
    pub csrf: Option<String>,
}

/// The text between `start` and the next `end` in `body`.
pub fn extract(body: &str, start: &str, end: &str) -> Option<String> {
    let i = body.find(start)? + start.len();
    let j = body[i..].find(end)? + i;
    Some(body[i..j].to_owned())
}

impl Client {
    /// A browser without cookies.
    pub fn new(router: Router, app: App) -> Self {
        Client { router, app, cookies: HashMap::new(), csrf: None }
    }

    pub async fn send(&mut self, req: Request<Body>) -> Res {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let set_cookies: Vec<String> =
            res.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        for v in &set_cookies {
            let (pair, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = res.status();
        let location = res.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
        let content_type =
            res.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap().to_vec();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(token) = extract(&body, "name=\"csrf\" value=\"", "\"") {
            self.csrf = Some(token);
        }
        Res { status, set_cookies, location, content_type, body, bytes }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub async fn get(&mut self, path: &str) -> Res {
        let req =
            Request::builder().uri(path).header(header::COOKIE, self.cookie_header()).body(Body::empty()).unwrap();
        self.send(req).await
    }

    /// Posts a form with the CSRF token of the last page (fetching the home page first if none).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Res {
        if self.csrf.is_none() {
            self.get("/").await;
        }
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let token = self.csrf.clone().unwrap();
        all.push(("csrf", &token));
        self.post_raw(path, &all).await
    }

    /// Posts a form as given (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Res {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// The login form, filled in and sent.
    pub async fn login(&mut self, username: &str, password: &str) -> Res {
        self.get("/login").await;
        self.post("/login", &[("username", username), ("password", password)]).await
    }
}
