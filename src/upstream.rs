//! Upstream API calls from a page handler: [`SessionResponse`] (what the API's answer
//! means for the page) and bearer forwarding ([`Session::authorize`],
//! [`ForwardSessionLayer`]).
//!
//! The seed flow: a server-rendered page calls the app's own API with the user's access
//! token as `Authorization: Bearer`, and branches on the status as the SuperTokens SSR
//! guide does (SPEC §7.1):
//!
//! | upstream answer | [`SessionResponse`] | page answer |
//! |---|---|---|
//! | 2xx | [`Ok`](SessionResponse::Ok) (body untouched) | the page |
//! | 401 `{"message":"unauthorised"}` | [`Unauthorised`](SessionResponse::Unauthorised) | `307` to login |
//! | any other 401 | [`TryRefresh`](SessionResponse::TryRefresh) | try-refresh page |
//! | 403 whose `claimValidationErrors` name a claim with a page | [`ClaimRedirect`](SessionResponse::ClaimRedirect) | `307` to that page |
//! | any other 403 | [`AccessDenied`](SessionResponse::AccessDenied) | `403` page |
//! | 5xx, other statuses, transport errors | [`UpstreamError`](SessionResponse::UpstreamError) | `502` "Something went wrong" |
//!
//! Bodies are read only for 401 and 403, and at most [`MAX_ERROR_BODY`] bytes of them.
//!
//! ```
//! use bytes::Bytes;
//! use http::{Response, Uri};
//! use http_body_util::Full;
//! use tower_supertokens::claims::ClaimValidationError;
//! use tower_supertokens::reject::{api, page::PageConfig};
//! use tower_supertokens::upstream::SessionResponse;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let pages = PageConfig::default();
//! let uri = Uri::from_static("/inbox");
//!
//! // The API says the token expired (the crate's own answer, as the API would send it):
//! // the page answers with the try-refresh page.
//! let upstream = api::try_refresh().map(Full::new);
//! let answer = SessionResponse::from_upstream(upstream, &pages).await;
//! assert!(matches!(answer, SessionResponse::TryRefresh));
//! let page = answer.into_page_response(&uri, &pages).unwrap_err();
//! assert_eq!(page.status(), 200);
//!
//! // The API says the email is not verified: the page redirects to verify it.
//! let errors = [ClaimValidationError { id: "st-ev".into(), reason: None }];
//! let upstream = api::invalid_claims(&errors).map(Full::new);
//! let answer = SessionResponse::from_upstream(upstream, &pages).await;
//! let page = answer.into_page_response(&uri, &pages).unwrap_err();
//! assert_eq!(page.status(), 307);
//! assert_eq!(page.headers()["location"], "/auth/verify-email");
//!
//! // A 2xx passes through untouched.
//! let upstream = Response::new(Full::new(Bytes::from_static(b"{}")));
//! let answer = SessionResponse::from_upstream(upstream, &pages).await;
//! assert!(answer.ok().is_some());
//! # }
//! ```
//!
//! A page handler calling its API with a `hyper_util` client:
//!
//! ```no_run
//! use bytes::Bytes;
//! use http::{Request, Response, Uri};
//! use http_body_util::Empty;
//! use hyper_util::client::legacy::{Client, connect::HttpConnector};
//! use tower::{ServiceBuilder, ServiceExt};
//! use tower_supertokens::Session;
//! use tower_supertokens::reject::page::PageConfig;
//! use tower_supertokens::upstream::{ForwardSessionLayer, SessionResponse};
//!
//! async fn home(
//!     client: &Client<HttpConnector, Empty<Bytes>>,
//!     session: Session,
//!     uri: &Uri,
//! ) -> Response<Bytes> {
//!     let pages = PageConfig::default();
//!     let request = Request::get("http://127.0.0.1:3001/api/user")
//!         .body(Empty::new())
//!         .expect("a valid request");
//!     let result = ServiceBuilder::new()
//!         .layer(ForwardSessionLayer::new(session))
//!         .service(client.clone())
//!         .oneshot(request)
//!         .await;
//!     match SessionResponse::from_result(result, &pages).await.into_page_response(uri, &pages) {
//!         Ok(_user) => Response::new(Bytes::from("... render the page with the user ...")),
//!         Err(answer) => answer,
//!     }
//! }
//! # let _ = home;
//! ```

use std::fmt::Display;
use std::task::{Context, Poll};

use bytes::Buf;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, Request, Response, StatusCode, Uri};
use http_body::Body;
use http_body_util::BodyExt;
use serde::Deserialize;
use tower_layer::Layer;
use tower_service::Service;

use crate::claims::ClaimValidationError;
use crate::reject::page::PageConfig;
use crate::reject::{api, page};
use crate::state::Session;

/// The most bytes of a 401 or 403 body [`SessionResponse::from_upstream`] reads (64 KiB).
/// A longer body is not read further and counts as unknown.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// What an upstream API's answer means for the page that called it. See the
/// [module docs](self).
#[derive(Debug)]
pub enum SessionResponse<B> {
    /// A 2xx answer, untouched.
    Ok(Response<B>),
    /// A 401 other than `unauthorised`: the token needs a refresh (the try-refresh page).
    TryRefresh,
    /// A 401 `{"message":"unauthorised"}`: the user must sign in again.
    Unauthorised,
    /// A 403 whose failing claims include one with a page (the first such claim).
    ClaimRedirect {
        /// The claim id, e.g. `st-ev`.
        claim: String,
        /// Its page, from [`PageConfig::claim_redirect`], e.g. `/auth/verify-email`.
        location: String,
    },
    /// A 403 with no claim that has a page.
    AccessDenied {
        /// Every failing claim id, in order; empty when the body named none (no body, an
        /// unknown body, or one over [`MAX_ERROR_BODY`]).
        claims: Vec<String>,
    },
    /// The API failed: its 5xx (or other unexpected) status, or `502` for a transport
    /// error.
    UpstreamError(StatusCode),
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: Option<String>,
    #[serde(default, rename = "claimValidationErrors")]
    claim_validation_errors: Vec<ClaimId>,
}

#[derive(Deserialize)]
struct ClaimId {
    id: String,
}

impl<B> SessionResponse<B> {
    /// Classifies an upstream answer (see the [module docs](self)); `pages` says which
    /// claims have a page. Only 401 and 403 bodies are read, at most [`MAX_ERROR_BODY`]
    /// bytes; 2xx answers are returned untouched.
    ///
    /// Statuses other than 2xx, 401, 403 and 5xx (a redirect, a 404, ...) are
    /// [`SessionResponse::UpstreamError`] too: a page cannot show them sensibly. Handle
    /// such statuses before calling this if the page should.
    pub async fn from_upstream(response: Response<B>, pages: &PageConfig) -> Self
    where
        B: Body,
    {
        let status = response.status();
        if status.is_success() {
            return Self::Ok(response);
        }
        match status {
            StatusCode::UNAUTHORIZED => {
                let body = read_error_body(response.into_body()).await;
                if body.and_then(|b| b.message).as_deref() == Some("unauthorised") {
                    Self::Unauthorised
                } else {
                    Self::TryRefresh
                }
            }
            StatusCode::FORBIDDEN => {
                let claims: Vec<String> = read_error_body(response.into_body())
                    .await
                    .map(|body| {
                        body.claim_validation_errors
                            .into_iter()
                            .map(|c| c.id)
                            .collect()
                    })
                    .unwrap_or_default();
                match claims
                    .iter()
                    .find_map(|id| pages.claim_redirect_for(id).map(|location| (id, location)))
                {
                    Some((claim, location)) => Self::ClaimRedirect {
                        claim: claim.clone(),
                        location: location.to_owned(),
                    },
                    None => Self::AccessDenied { claims },
                }
            }
            status => {
                tracing::warn!(%status, "upstream API answered with an error status");
                Self::UpstreamError(status)
            }
        }
    }

    /// [`SessionResponse::from_upstream`] for the result of a client call. A transport
    /// error is logged (`tracing::error!`) and becomes `UpstreamError(502)`; it never
    /// reaches the page.
    pub async fn from_result<E>(result: Result<Response<B>, E>, pages: &PageConfig) -> Self
    where
        B: Body,
        E: Display,
    {
        match result {
            Ok(response) => Self::from_upstream(response, pages).await,
            Err(error) => {
                tracing::error!(%error, "upstream API call failed");
                Self::UpstreamError(StatusCode::BAD_GATEWAY)
            }
        }
    }

    /// Whether this is [`SessionResponse::Ok`].
    #[must_use]
    pub fn is_ok(&self) -> bool {
        matches!(self, Self::Ok(_))
    }

    /// The 2xx response, if this is [`SessionResponse::Ok`].
    #[must_use]
    pub fn ok(self) -> Option<Response<B>> {
        match self {
            Self::Ok(response) => Some(response),
            _ => None,
        }
    }

    /// The 2xx response, or the page answer for anything else, for a page at `uri`
    /// (the request's URI: redirects come back to its path and query):
    ///
    /// - `TryRefresh` → the [try-refresh page](page::try_refresh);
    /// - `Unauthorised` → `307` to the [login page](page::login_redirect);
    /// - `ClaimRedirect` → `307` to `location` (the access-denied page when `location` is
    ///   the page at `uri` itself, so it cannot loop);
    /// - `AccessDenied` → the `403` [access-denied page](page::access_denied);
    /// - `UpstreamError` → the `502` ["Something went wrong" page](page::upstream_error).
    ///
    /// # Errors
    /// The page answer, for every variant but [`SessionResponse::Ok`].
    #[allow(
        clippy::result_large_err,
        reason = "both variants are responses; the Ok one is as large"
    )]
    pub fn into_page_response(
        self,
        uri: &Uri,
        config: &PageConfig,
    ) -> Result<Response<B>, Response<Bytes>> {
        Err(match self {
            Self::Ok(response) => return Ok(response),
            Self::TryRefresh => page::try_refresh(config, uri),
            Self::Unauthorised => page::login_redirect(config, uri),
            Self::ClaimRedirect { claim, location } => {
                if location.split('?').next() == Some(uri.path()) {
                    page::access_denied([claim.as_str()])
                } else {
                    page::redirect(&location)
                }
            }
            Self::AccessDenied { claims } => page::access_denied(claims.iter().map(String::as_str)),
            Self::UpstreamError(_) => page::upstream_error(),
        })
    }

    /// The 2xx response, or SuperTokens' JSON answer for anything else, for API callers
    /// (a backend-for-frontend route):
    ///
    /// - `TryRefresh` → 401 `{"message":"try refresh token"}`;
    /// - `Unauthorised` → 401 `{"message":"unauthorised"}`;
    /// - `ClaimRedirect`, `AccessDenied` → 403 `{"message":"invalid claim",
    ///   "claimValidationErrors":[{"id":...}]}` with the claim ids (the reasons are not
    ///   kept; a `ClaimRedirect` names only its claim);
    /// - `UpstreamError` → 502 `{"message":"upstream error"}`.
    ///
    /// # Errors
    /// The JSON answer, for every variant but [`SessionResponse::Ok`].
    #[allow(
        clippy::result_large_err,
        reason = "both variants are responses; the Ok one is as large"
    )]
    pub fn into_api_response(self) -> Result<Response<B>, Response<Bytes>> {
        let ids = |ids: Vec<String>| -> Vec<ClaimValidationError> {
            ids.into_iter()
                .map(|id| ClaimValidationError { id, reason: None })
                .collect()
        };
        Err(match self {
            Self::Ok(response) => return Ok(response),
            Self::TryRefresh => api::try_refresh(),
            Self::Unauthorised => api::unauthorised(),
            Self::ClaimRedirect { claim, .. } => api::invalid_claims(&ids(vec![claim])),
            Self::AccessDenied { claims } => api::invalid_claims(&ids(claims)),
            Self::UpstreamError(_) => upstream_error_json(),
        })
    }
}

/// 502 `{"message":"upstream error"}`.
fn upstream_error_json() -> Response<Bytes> {
    let mut response = Response::new(Bytes::from_static(br#"{"message":"upstream error"}"#));
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The error body, if it is JSON of the expected shape and at most [`MAX_ERROR_BODY`]
/// bytes. Reading stops at the first frame past the limit.
async fn read_error_body<B: Body>(body: B) -> Option<ErrorBody> {
    if body.size_hint().lower() > MAX_ERROR_BODY as u64 {
        return None;
    }
    let mut body = std::pin::pin!(body);
    let mut bytes = Vec::new();
    while let Some(frame) = body.as_mut().frame().await {
        // A read error counts as an unknown body; its cause is the upstream's business.
        let Ok(frame) = frame else {
            tracing::debug!("upstream error body could not be read");
            return None;
        };
        let Ok(mut data) = frame.into_data() else {
            continue; // trailers
        };
        if bytes.len() + data.remaining() > MAX_ERROR_BODY {
            tracing::debug!("upstream error body over the limit; not read further");
            return None;
        }
        while data.has_remaining() {
            let chunk = data.chunk();
            bytes.extend_from_slice(chunk);
            let read = chunk.len();
            data.advance(read);
        }
    }
    serde_json::from_slice(&bytes).ok()
}

// ---------------------------------------------------------------------------------------
// Bearer forwarding

impl Session {
    /// Sets `Authorization: Bearer <access token>` on `request` (replacing any), to call an
    /// API as this session's user. The header is marked sensitive; the token is never
    /// logged.
    ///
    /// ```
    /// # fn demo(session: &tower_supertokens::Session) {
    /// let mut request = http::Request::get("http://127.0.0.1:3001/api/user").body(()).unwrap();
    /// session.authorize(&mut request);
    /// assert!(request.headers()["authorization"].to_str().unwrap().starts_with("Bearer "));
    /// # }
    /// ```
    pub fn authorize<B>(&self, request: &mut Request<B>) {
        match HeaderValue::from_str(&format!("Bearer {}", self.access_token())) {
            Ok(mut value) => {
                value.set_sensitive(true);
                request.headers_mut().insert(AUTHORIZATION, value);
            }
            // A verified token is base64url and dots; this cannot happen.
            Err(_) => tracing::error!("access token is not a valid header value; not forwarded"),
        }
    }
}

/// A client-side [`Layer`] that sets `Authorization: Bearer <token>` from a [`Session`] on
/// every request, e.g. around a `hyper_util` client inside a handler:
///
/// ```
/// use bytes::Bytes;
/// use http_body_util::Empty;
/// use hyper_util::client::legacy::Client;
/// use hyper_util::rt::TokioExecutor;
/// use tower::ServiceBuilder;
/// use tower_supertokens::Session;
/// use tower_supertokens::upstream::ForwardSessionLayer;
///
/// fn api_client(client: &Client<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>>, session: Session) {
///     let client = ServiceBuilder::new()
///         .layer(ForwardSessionLayer::new(session))
///         .service(client.clone());
///     // client.oneshot(request).await ...
/// #   let _ = client;
/// }
/// # let _ = api_client;
/// # let _ = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
/// ```
#[derive(Debug, Clone)]
pub struct ForwardSessionLayer {
    session: Session,
}

impl ForwardSessionLayer {
    /// A layer forwarding `session`'s access token.
    #[must_use]
    pub fn new(session: Session) -> Self {
        Self { session }
    }
}

impl<S> Layer<S> for ForwardSessionLayer {
    type Service = ForwardSession<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ForwardSession {
            inner,
            session: self.session.clone(),
        }
    }
}

/// Middleware of [`ForwardSessionLayer`].
#[derive(Debug, Clone)]
pub struct ForwardSession<S> {
    inner: S,
    session: Session,
}

impl<S> ForwardSession<S> {
    /// The wrapped client.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Unwraps the client.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, B> Service<Request<B>> for ForwardSession<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        self.session.authorize(&mut request);
        self.inner.call(request)
    }
}
