//! axum extractors (feature `axum`): [`Session`], [`SessionState`] and `Option<Session>`.
//!
//! They read what [`SessionLayer`](crate::SessionLayer) put into the request:
//!
//! - `Session` succeeds only for a valid session, else answers as SuperTokens would
//!   (401 unauthorised / try refresh, 403 invalid claim, 503).
//! - `Option<Session>` behaves like the SDK's `verifySession({sessionRequired: false})`:
//!   `None` when there is no token (or none that parses), the session when valid, and the
//!   same answers as `Session` when the token needs a refresh or its claims fail.
//! - `SessionState` always succeeds and lets the handler decide.
//!
//! Without a `SessionLayer` around the route the extractors answer 500: that is a server
//! misconfiguration, never something a client can cause.
//!
//! ```
//! use axum::{Router, routing::get};
//! use tower_supertokens::{KeyStore, Session, SessionConfig, SessionLayer};
//!
//! async fn me(session: Session) -> String {
//!     format!("user {}", session.user_id())
//! }
//!
//! async fn maybe(session: Option<Session>) -> String {
//!     session.map_or_else(|| "anonymous".to_owned(), |s| s.user_id().to_owned())
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = KeyStore::from_jwks_json(r#"{"keys":[]}"#)?;
//! let app: Router = Router::new()
//!     .route("/me", get(me))
//!     .route("/maybe", get(maybe))
//!     .layer(SessionLayer::optional(SessionConfig::new(keys)));
//! # let _ = app;
//! # Ok(())
//! # }
//! ```

use axum_core::body::Body;
use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use bytes::Bytes;
use http::StatusCode;
use http::request::Parts;

use crate::layer::{LayerContext, reject};
use crate::reject::{DefaultRejection, api};
use crate::state::{Session, SessionState};

/// Rejection of the [`Session`] extractor: the answer the layer itself would give for the
/// session state (JSON for API calls, page answers for page loads, with the layer's
/// [`PageConfig`](crate::reject::page::PageConfig)).
#[derive(Debug)]
pub struct SessionRejection {
    state: Option<SessionState>,
    answer: Option<http::Response<Bytes>>,
}

impl SessionRejection {
    fn new(state: Option<SessionState>, parts: &Parts) -> Self {
        let answer = match (&state, parts.extensions.get::<LayerContext>()) {
            (Some(state), Some(LayerContext(shared))) => Some(reject(
                &DefaultRejection,
                &shared.config,
                state.clone(),
                parts,
            )),
            _ => None,
        };
        Self { state, answer }
    }
}

impl SessionRejection {
    /// The session state, or `None` when no `SessionLayer` ran for this request.
    #[must_use]
    pub fn state(&self) -> Option<&SessionState> {
        self.state.as_ref()
    }
}

impl IntoResponse for SessionRejection {
    fn into_response(self) -> Response {
        let Some(state) = self.state else {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "SessionLayer is missing around this route",
            )
                .into_response();
        };
        let response = self.answer.unwrap_or_else(|| {
            // No layer context (a hand-inserted state): the API answer.
            api::respond(&state, std::time::Duration::from_secs(1))
        });
        let (mut parts, body) = response.into_parts();
        parts.extensions.insert(state);
        Response::from_parts(parts, Body::from(body))
    }
}

fn state_of(parts: &Parts) -> Option<SessionState> {
    parts.extensions.get::<SessionState>().cloned()
}

impl<S: Send + Sync> FromRequestParts<S> for SessionState {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        state_of(parts).ok_or_else(|| SessionRejection::new(None, parts))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match state_of(parts) {
            Some(SessionState::Valid(session)) => Ok(session),
            other => Err(SessionRejection::new(other, parts)),
        }
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Session {
    type Rejection = SessionRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        match state_of(parts) {
            Some(SessionState::Valid(session)) => Ok(Some(session)),
            Some(SessionState::NoToken | SessionState::Unauthorised(_)) => Ok(None),
            other => Err(SessionRejection::new(other, parts)),
        }
    }
}

/// For API routes that call another API (a backend for frontend): the 2xx response
/// as it is, anything else as SuperTokens' JSON answer
/// ([`SessionResponse::into_api_response`](crate::upstream::SessionResponse::into_api_response)).
/// Page handlers use
/// [`into_page_response`](crate::upstream::SessionResponse::into_page_response) instead,
/// which needs the request's URI.
impl<B> IntoResponse for crate::upstream::SessionResponse<B>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum_core::BoxError>,
{
    fn into_response(self) -> Response {
        match self.into_api_response() {
            Ok(response) => response.map(Body::new),
            Err(answer) => answer.map(Body::from),
        }
    }
}
