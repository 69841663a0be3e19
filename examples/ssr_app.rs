//! A server-rendered app protected by tower-supertokens: the SuperTokens SSR guide's Home
//! page in Rust.
//!
//! ```text
//! cargo run --example ssr_app -- --jwks-uri URL --api-url URL [--listen ADDR]
//! ```
//! `--jwks-uri` and `--api-url` may also come from `JWKS_URI` and `API_URL`; `--listen`
//! defaults to 127.0.0.1:3000. On start it prints `listening on http://ADDR` with the
//! address actually bound.
//!
//! Routes:
//! - `GET /`: session required (from the `sAccessToken` cookie). Calls the API server's
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

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use http::{Method, Request, Uri};
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

struct Args {
    jwks_uri: String,
    api_url: String,
    listen: SocketAddr,
}

const USAGE: &str = "usage: ssr_app --jwks-uri URL --api-url URL [--listen ADDR]";

/// How long a page waits for the API.
const API_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest API answer a page reads.
const MAX_API_BODY: usize = 1024 * 1024;

fn parse_args() -> Result<Args, String> {
    let mut jwks_uri = std::env::var("JWKS_URI").ok();
    let mut api_url = std::env::var("API_URL").ok();
    let mut listen: SocketAddr = ([127, 0, 0, 1], 3000).into();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--jwks-uri" => jwks_uri = Some(value()?),
            "--api-url" => api_url = Some(value()?),
            "--listen" => {
                let raw = value()?;
                listen = raw.parse().map_err(|e| format!("--listen {raw}: {e}"))?;
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    let jwks_uri = jwks_uri.ok_or(format!("--jwks-uri (or JWKS_URI) is required\n{USAGE}"))?;
    let api_url = api_url.ok_or(format!("--api-url (or API_URL) is required\n{USAGE}"))?;
    let api_url = api_url.trim_end_matches('/').to_owned();
    let probe = format!("{api_url}/api/user");
    match probe.parse::<Uri>() {
        Ok(uri) if uri.scheme_str() == Some("http") && uri.authority().is_some() => {}
        _ => return Err(format!("--api-url {api_url}: expected http://HOST[:PORT]")),
    }
    Ok(Args {
        jwks_uri,
        api_url,
        listen,
    })
}

#[derive(Clone)]
struct App {
    client: Client<HttpConnector, Empty<Bytes>>,
    api_url: String,
}

/// How the page authenticates its API call.
enum Forward {
    /// A client wrapped in `ForwardSessionLayer`.
    Layer(Session),
    /// `Session::authorize` on the one request.
    Authorize(Session),
}

impl App {
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
}

fn layout(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        escape_html(title)
    ))
}

fn user_page(title: &str, user: &serde_json::Value) -> Html<String> {
    let id = user["userId"].as_str().unwrap_or("");
    layout(
        title,
        &format!(
            "<main>\n<h1>{}</h1>\n<p>Your user id is: {}</p>\n<p><a href=\"/public\">Public page</a></p>\n</main>",
            escape_html(title),
            escape_html(id)
        ),
    )
}

/// The Home page: the session comes from the layer, the user from the API.
async fn home(State(app): State<App>, session: Session, pages: Pages) -> Response {
    match app
        .api_json("/api/user", Forward::Layer(session), &pages)
        .await
    {
        Ok(user) => user_page("Home", &user).into_response(),
        Err(answer) => answer,
    }
}

/// Needs a verified email; the API decides (403 `st-ev` → 307 to `/auth/verify-email`).
async fn verified(State(app): State<App>, session: Session, pages: Pages) -> Response {
    match app
        .api_json("/api/verified", Forward::Authorize(session), &pages)
        .await
    {
        Ok(user) => user_page("Verified area", &user).into_response(),
        Err(answer) => answer,
    }
}

async fn public() -> Html<String> {
    layout(
        "Public",
        "<main>\n<h1>Public page</h1>\n<p>No session needed here. <a href=\"/\">Home</a></p>\n</main>",
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

fn app(config: SessionConfig, app: App) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/verified", get(verified))
        .route_layer(SessionLayer::required(config))
        .route("/public", get(public))
        .with_state(app)
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_supertokens=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let keys = match KeyStore::from_jwks_uri(&args.jwks_uri) {
        Ok(keys) => keys,
        Err(error) => {
            eprintln!("invalid --jwks-uri: {error}");
            return ExitCode::from(2);
        }
    };
    if let Err(error) = keys.refresh().await {
        tracing::warn!(%error, "JWKS not reachable at start; will retry on the first request");
    }
    // The defaults: login at /auth, refresh at /auth/session/refresh on this origin.
    let config = SessionConfig::new(keys)
        .pages(PageConfig::new())
        .request_kind(request_kind);
    let state = App {
        client: Client::builder(TokioExecutor::new()).build_http(),
        api_url: args.api_url,
    };
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on {}: {error}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    let Ok(bound) = listener.local_addr() else {
        eprintln!("cannot read the bound address");
        return ExitCode::FAILURE;
    };
    println!("listening on http://{bound}");
    let _ = std::io::stdout().flush();
    if let Err(error) = axum::serve(listener, app(config, state)).await {
        eprintln!("server error: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
