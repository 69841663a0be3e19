//! An API server protected by tower-supertokens, as SuperTokens' backend SDK would protect it.
//!
//! ```text
//! cargo run --release --example api_server -- --jwks-uri URL [--listen ADDR]
//!     [--anti-csrf none|via-custom-header|via-token] [--signing-keys dynamic|static|any]
//! ```
//! `--jwks-uri` may also come from the `JWKS_URI` environment variable; `--listen`
//! defaults to 127.0.0.1:3001. On start it prints `listening on http://ADDR` with the
//! address actually bound.
//!
//! Routes:
//! - `GET|POST /api/user`: session required; the session as JSON.
//! - `GET /api/verified`: session required and `st-ev` must be true.
//! - `GET /api/optional`: optional session; `{"session": null|{...}, "state": "..."}`.
//! - `GET /healthz`: 200.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tower_supertokens::claims::EmailVerified;
use tower_supertokens::{
    AntiCsrf, KeyStore, RequireClaimsLayer, Session, SessionConfig, SessionLayer, SessionState,
    SigningKeyKind,
};

struct Args {
    jwks_uri: String,
    listen: SocketAddr,
    anti_csrf: AntiCsrf,
    signing_keys: SigningKeyKind,
}

const USAGE: &str = "usage: api_server --jwks-uri URL [--listen ADDR] \
[--anti-csrf none|via-custom-header|via-token] [--signing-keys dynamic|static|any]";

fn parse_args() -> Result<Args, String> {
    let mut jwks_uri = std::env::var("JWKS_URI").ok();
    let mut listen: SocketAddr = ([127, 0, 0, 1], 3001).into();
    let mut anti_csrf = AntiCsrf::None;
    let mut signing_keys = SigningKeyKind::Dynamic;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--jwks-uri" => jwks_uri = Some(value()?),
            "--listen" => {
                let raw = value()?;
                listen = raw.parse().map_err(|e| format!("--listen {raw}: {e}"))?;
            }
            "--anti-csrf" => {
                anti_csrf = match value()?.as_str() {
                    "none" => AntiCsrf::None,
                    "via-custom-header" => AntiCsrf::ViaCustomHeader,
                    "via-token" => AntiCsrf::ViaToken,
                    other => return Err(format!("--anti-csrf: unknown mode {other}")),
                }
            }
            "--signing-keys" => {
                signing_keys = match value()?.as_str() {
                    "dynamic" => SigningKeyKind::Dynamic,
                    "static" => SigningKeyKind::Static,
                    "any" => SigningKeyKind::Any,
                    other => return Err(format!("--signing-keys: unknown kind {other}")),
                }
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    let jwks_uri = jwks_uri.ok_or(format!("--jwks-uri (or JWKS_URI) is required\n{USAGE}"))?;
    Ok(Args {
        jwks_uri,
        listen,
        anti_csrf,
        signing_keys,
    })
}

/// The session as the SDK reports it.
fn session_json(session: &Session) -> Value {
    json!({
        "userId": session.user_id(),
        "recipeUserId": session.recipe_user_id(),
        "tenantId": session.tenant_id(),
        "sessionHandle": session.session_handle(),
        "accessTokenPayload": session.payload(),
    })
}

async fn user(session: Session) -> Json<Value> {
    Json(session_json(&session))
}

async fn optional(state: SessionState) -> Json<Value> {
    Json(json!({
        "session": state.session().map(session_json),
        "state": state.name(),
    }))
}

fn app(config: SessionConfig) -> Router {
    let required = SessionLayer::required(config.clone());
    Router::new()
        .route("/api/user", get(user).post(user))
        .route(
            "/api/verified",
            get(user).layer(RequireClaimsLayer::new(EmailVerified::is_verified())),
        )
        .route_layer(required)
        .merge(
            Router::new()
                .route("/api/optional", get(optional))
                .route_layer(SessionLayer::optional(config)),
        )
        .route("/healthz", get(|| async { "ok" }))
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
    let config = SessionConfig::new(keys)
        .anti_csrf(args.anti_csrf)
        .signing_key_kind(args.signing_keys);
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
    if let Err(error) = axum::serve(listener, app(config)).await {
        eprintln!("server error: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
