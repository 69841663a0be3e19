//! What the layer answers when a required session is not valid.
//!
//! A [`Rejection`] carries the request's [`SessionState`] and the request itself; a
//! [`RejectionPolicy`] turns it into a response. [`DefaultRejection`] gives SuperTokens'
//! own answers (SPEC §4). Closures are policies too, and can fall back to the default:
//!
//! ```
//! use bytes::Bytes;
//! use http::{Response, StatusCode};
//! use tower_supertokens::reject::Rejection;
//! use tower_supertokens::SessionState;
//!
//! let policy = |rejection: &Rejection<'_>| match rejection.state() {
//!     SessionState::KeysUnavailable => Response::builder()
//!         .status(StatusCode::SERVICE_UNAVAILABLE)
//!         .body(Bytes::from_static(b"try again soon"))
//!         .unwrap(),
//!     _ => rejection.default_response(),
//! };
//! # let _ = policy;
//! ```
//! The policy is installed with [`SessionLayer::with_rejection`](crate::SessionLayer::with_rejection).

pub mod api;
pub mod grpc;
pub mod page;

use std::time::Duration;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, Method, Response, header};

use crate::state::SessionState;
use page::PageConfig;

/// Whether a request is an API call or a page load; they get different answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// A call from code (fetch, another server): SuperTokens' JSON answers.
    Api,
    /// A browser navigation: redirects and HTML pages.
    Page,
}

impl RequestKind {
    /// The default detection: a page load is a GET or HEAD that accepts `text/html` and
    /// carries neither `rid` nor `st-auth-mode` (headers only SuperTokens' frontend SDK
    /// sends); everything else is an API call.
    #[must_use]
    pub fn detect(method: &Method, headers: &HeaderMap) -> Self {
        let navigation = (*method == Method::GET || *method == Method::HEAD)
            && !headers.contains_key("rid")
            && !headers.contains_key("st-auth-mode")
            && headers
                .get_all(header::ACCEPT)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(','))
                .any(|media| {
                    media
                        .split(';')
                        .next()
                        .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/html"))
                });
        if navigation { Self::Page } else { Self::Api }
    }
}

/// A request the layer will not pass on, and why.
#[derive(Debug)]
pub struct Rejection<'a> {
    pub(crate) state: &'a SessionState,
    pub(crate) request: &'a Parts,
    pub(crate) kind: RequestKind,
    pub(crate) retry_after: Duration,
    pub(crate) pages: &'a PageConfig,
}

impl<'a> Rejection<'a> {
    /// The session state that caused the rejection (never [`SessionState::Valid`]).
    #[must_use]
    pub fn state(&self) -> &'a SessionState {
        self.state
    }

    /// The rejected request's method, URI, headers and extensions.
    #[must_use]
    pub fn request(&self) -> &'a Parts {
        self.request
    }

    /// Whether the request is an API call or a page load.
    #[must_use]
    pub fn kind(&self) -> RequestKind {
        self.kind
    }

    /// Suggested `Retry-After` when the keys are unavailable.
    #[must_use]
    pub fn retry_after(&self) -> Duration {
        self.retry_after
    }

    /// Where page answers send the browser.
    #[must_use]
    pub fn pages(&self) -> &'a PageConfig {
        self.pages
    }

    /// The answer [`DefaultRejection`] gives: [`api::respond`] for API calls,
    /// [`page::respond`] for page loads.
    #[must_use]
    pub fn default_response(&self) -> Response<Bytes> {
        match self.kind {
            RequestKind::Api => api::respond(self.state, self.retry_after),
            RequestKind::Page => {
                page::respond(self.state, self.request, self.pages, self.retry_after)
            }
        }
    }
}

/// Turns a [`Rejection`] into the response sent instead of calling the inner service.
///
/// Implemented for `Fn(&Rejection<'_>) -> Response<Bytes>` closures.
pub trait RejectionPolicy: Clone + Send + Sync + 'static {
    /// The response for `rejection`.
    fn reject(&self, rejection: &Rejection<'_>) -> Response<Bytes>;
}

impl<F> RejectionPolicy for F
where
    F: Fn(&Rejection<'_>) -> Response<Bytes> + Clone + Send + Sync + 'static,
{
    fn reject(&self, rejection: &Rejection<'_>) -> Response<Bytes> {
        self(rejection)
    }
}

/// SuperTokens' own answers: see [`api`] and [`page`].
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultRejection;

impl RejectionPolicy for DefaultRejection {
    fn reject(&self, rejection: &Rejection<'_>) -> Response<Bytes> {
        rejection.default_response()
    }
}
