//! The SSR app's pages: the SuperTokens SSR guide's Home page in Rust.
//!
//! Included with `#[path = ...] mod ssr;` by `ssr_app` and `demo`; not an example of its
//! own.
//!
//! - `GET /`: session required (from the `sAccessToken` cookie). Calls the API's
//!   `/api/user` with the user's token as `Authorization: Bearer` and renders "Your user
//!   id is: ...". Without a session the layer answers: 307 to the login page, or the
//!   try-refresh page for an expired token; the API's answers become page answers through
//!   `SessionResponse`.
//! - `GET /verified`: the same, against `/api/verified`, which needs a verified email:
//!   its 403 becomes a 307 to `/auth/verify-email`.
//! - `GET /public`: no session needed.
//!
//! Every route here is a page, so any GET/HEAD without SuperTokens' `rid` or
//! `st-auth-mode` header gets page answers, whatever its `Accept` header says.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tower::{ServiceBuilder, ServiceExt};
use tower_supertokens::reject::RequestKind;
use tower_supertokens::reject::page::{PageConfig, Pages, escape_html};
use tower_supertokens::upstream::{ForwardSessionLayer, SessionResponse};
use tower_supertokens::{KeyStore, Session, SessionConfig, SessionLayer};

/// How long a page waits for the API.
const API_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest API answer a page reads.
const MAX_API_BODY: usize = 1024 * 1024;

/// What the pages share: the HTTP client to the API.
#[derive(Clone)]
pub struct App {
    client: Client<HttpConnector, Empty<Bytes>>,
    api_url: String,
    /// Trusted HTML appended inside `<main>` of the Home, Verified and Public pages.
    footer: Option<String>,
}

/// How the page authenticates its API call.
enum Forward {
    /// A client wrapped in `ForwardSessionLayer`.
    Layer(Session),
    /// `Session::authorize` on the one request.
    Authorize(Session),
}

impl App {
    /// Pages calling the API at `api_url` (`http://HOST[:PORT]`, no trailing slash), with
    /// `footer` (trusted HTML, never user input) at the end of each page's `<main>`.
    pub fn new(api_url: String, footer: Option<String>) -> Self {
        Self {
            client: Client::builder(TokioExecutor::new()).build_http(),
            api_url,
            footer,
        }
    }

    /// GETs `{api_url}{path}` as the session's user and reads the JSON answer, or returns
    /// the page answer for what went wrong.
    async fn api_json(
        &self,
        path: &str,
        forward: Forward,
        pages: &Pages,
    ) -> Result<Value, Response> {
        let Ok(mut request) = Request::get(format!("{}{path}", self.api_url))
            .header("accept", "application/json")
            .body(Empty::new())
        else {
            return Err(pages.upstream_error());
        };
        let call = async {
            match forward {
                Forward::Layer(session) => {
                    ServiceBuilder::new()
                        .layer(ForwardSessionLayer::new(session))
                        .service(self.client.clone())
                        .oneshot(request)
                        .await
                }
                Forward::Authorize(session) => {
                    session.authorize(&mut request);
                    self.client.request(request).await
                }
            }
        };
        let result = match tokio::time::timeout(API_TIMEOUT, call).await {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(_) => Err("timed out".to_owned()),
        };
        let answer = SessionResponse::from_result(result, pages.config()).await;
        let response = match pages.upstream(answer) {
            Ok(response) => response,
            Err(page_answer) => return Err(page_answer),
        };
        let body = match Limited::new(response.into_body(), MAX_API_BODY)
            .collect()
            .await
        {
            Ok(body) => body.to_bytes(),
            Err(error) => {
                tracing::error!(%error, "reading the API answer failed");
                return Err(pages.upstream_error());
            }
        };
        serde_json::from_slice(&body).map_err(|error| {
            tracing::error!(%error, "the API answer is not JSON");
            pages.upstream_error()
        })
    }

    fn footer(&self) -> String {
        self.footer
            .as_deref()
            .map(|footer| format!("\n{footer}"))
            .unwrap_or_default()
    }
}

/// A small HTML5 document; `title` is escaped, `body` must already be.
pub fn layout(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        escape_html(title)
    ))
}

fn user_page(app: &App, title: &str, user: &serde_json::Value) -> Html<String> {
    let id = user["userId"].as_str().unwrap_or("");
    layout(
        title,
        &format!(
            "<main>\n<h1>{}</h1>\n<p>Your user id is: {}</p>\n<p><a href=\"/public\">Public page</a></p>{}\n</main>",
            escape_html(title),
            escape_html(id),
            app.footer()
        ),
    )
}

/// The Home page: the session comes from the layer, the user from the API.
async fn home(State(app): State<App>, session: Session, pages: Pages) -> Response {
    match app
        .api_json("/api/user", Forward::Layer(session), &pages)
        .await
    {
        Ok(user) => user_page(&app, "Home", &user).into_response(),
        Err(answer) => answer,
    }
}

/// Needs a verified email; the API decides (403 `st-ev` → 307 to `/auth/verify-email`).
async fn verified(State(app): State<App>, session: Session, pages: Pages) -> Response {
    match app
        .api_json("/api/verified", Forward::Authorize(session), &pages)
        .await
    {
        Ok(user) => user_page(&app, "Verified area", &user).into_response(),
        Err(answer) => answer,
    }
}

async fn public(State(app): State<App>) -> Html<String> {
    layout(
        "Public",
        &format!(
            "<main>\n<h1>Public page</h1>\n<p>No session needed here. <a href=\"/\">Home</a></p>{}\n</main>",
            app.footer()
        ),
    )
}

/// Every route of this app is a page: only SuperTokens' frontend headers (or a method
/// other than GET/HEAD) mark an API call.
fn request_kind(request: &http::request::Parts) -> RequestKind {
    let navigation = (request.method == Method::GET || request.method == Method::HEAD)
        && !request.headers.contains_key("rid")
        && !request.headers.contains_key("st-auth-mode");
    if navigation {
        RequestKind::Page
    } else {
        RequestKind::Api
    }
}

/// The pages' session configuration: login at `/auth`, refresh at `/auth/session/refresh`
/// on this origin, every GET/HEAD without SuperTokens' headers a page load.
pub fn session_config(keys: KeyStore) -> SessionConfig {
    SessionConfig::new(keys)
        .pages(PageConfig::new())
        .request_kind(request_kind)
}

/// The pages, verifying sessions with `config`.
pub fn app(config: SessionConfig, app: App) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/verified", get(verified))
        .route_layer(SessionLayer::required(config))
        .route("/public", get(public))
        .with_state(app)
}
