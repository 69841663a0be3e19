//! The API server's routes, as SuperTokens' backend SDK would protect them.
//!
//! Included with `#[path = ...] mod api;` by `api_server` and `demo`; not an example of
//! its own.
//!
//! - `GET|POST /api/user`: session required; the session as JSON.
//! - `GET /api/verified`: session required and `st-ev` must be true.
//! - `GET /api/optional`: optional session; `{"session": null|{...}, "state": "..."}`.
//! - `GET /healthz`: 200.

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tower_supertokens::claims::EmailVerified;
use tower_supertokens::{RequireClaimsLayer, Session, SessionConfig, SessionLayer, SessionState};

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

/// The API routes, verifying sessions with `config`.
pub fn app(config: SessionConfig) -> Router {
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
