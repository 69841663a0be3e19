//! SessionLayer, its service, future and body: session verification for every request.
mod body;
mod claims;
mod decide;
mod future;
mod service;

use std::sync::Arc;

use bytes::Bytes;
use http::Response;
use http::request::Parts;
use tower_layer::Layer;

use crate::config::SessionConfig;
use crate::reject::{DefaultRejection, Rejection, RejectionPolicy};
use crate::state::SessionState;
use crate::token::cache::VerifiedTokens;

pub use body::ResponseBody;
pub use claims::{RequireClaims, RequireClaimsLayer};
pub use future::ResponseFuture;
pub use service::SessionService;

pub(crate) use decide::{Step, decide};

/// Whether the layer answers by itself when the session is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Optional,
    Required,
}

/// What every clone of a layer's services shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: SessionConfig,
    pub(crate) mode: Mode,
    pub(crate) verified: VerifiedTokens,
}

/// CORS preflights and TRACE never read a token (SPEC §13.1 step 0): every layer of the
/// crate passes them straight through.
pub(crate) fn bypasses(method: &http::Method) -> bool {
    matches!(*method, http::Method::OPTIONS | http::Method::TRACE)
}

/// Put into the extensions of every request a layer passes on, so inner layers and
/// extractors answer with the same configuration (pages, request kind detection).
#[derive(Debug, Clone)]
pub(crate) struct LayerContext(pub(crate) Arc<Shared>);

/// Builds the rejection response for `state` with `policy`; the state rides along in the
/// response's extensions.
pub(crate) fn reject<P: RejectionPolicy>(
    policy: &P,
    config: &SessionConfig,
    state: SessionState,
    request: &Parts,
) -> Response<Bytes> {
    let rejection = Rejection {
        state: &state,
        request,
        kind: config.kind_of(request),
        retry_after: config.keys.retry_after(),
        pages: &config.pages,
    };
    let mut response = policy.reject(&rejection);
    response.extensions_mut().insert(state);
    response
}

/// SessionLayer: verifies the SuperTokens session of every request.
///
/// The layer finds the access token (cookie or `Authorization: Bearer`), verifies it
/// against the [`KeyStore`](crate::KeyStore), checks anti-CSRF and claims, and inserts a
/// [`SessionState`](crate::SessionState) into the request extensions (plus the
/// [`Session`](crate::Session) itself when it is valid).
///
/// - [`SessionLayer::optional`] always calls the inner service; the handler decides.
/// - [`SessionLayer::required`] calls it only for a valid session and otherwise answers
///   as SuperTokens would (see [`reject`](crate::reject)).
///
/// ```
/// use std::convert::Infallible;
/// use bytes::Bytes;
/// use http::{Request, Response};
/// use http_body_util::Full;
/// use tower::{ServiceBuilder, ServiceExt, Service};
/// use tower_supertokens::{KeyStore, SessionConfig, SessionLayer, SessionState};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// async fn handler(request: Request<Full<Bytes>>) -> Result<Response<Full<Bytes>>, Infallible> {
///     let state = request.extensions().get::<SessionState>().cloned();
///     let name = state.map_or("none", |s| s.name());
///     Ok(Response::new(Full::new(Bytes::from(name))))
/// }
///
/// let keys = KeyStore::from_jwks_json(r#"{"keys":[]}"#)?;
/// let mut service = ServiceBuilder::new()
///     .layer(SessionLayer::required(SessionConfig::new(keys)))
///     .service_fn(handler);
///
/// let request = Request::get("/api/user").body(Full::default())?;
/// let response = service.ready().await?.call(request).await?;
/// assert_eq!(response.status(), 401); // no token: {"message":"unauthorised"}
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SessionLayer<P = DefaultRejection> {
    shared: Arc<Shared>,
    policy: P,
}

impl SessionLayer {
    /// A layer that always calls the inner service, with the [`SessionState`](crate::SessionState)
    /// in the request extensions.
    #[must_use]
    pub fn optional(config: SessionConfig) -> Self {
        Self::new(config, Mode::Optional)
    }

    /// A layer that calls the inner service only when the session is valid and its claims
    /// pass, and otherwise answers with SuperTokens' responses.
    #[must_use]
    pub fn required(config: SessionConfig) -> Self {
        Self::new(config, Mode::Required)
    }

    fn new(config: SessionConfig, mode: Mode) -> Self {
        Self {
            shared: Arc::new(Shared {
                verified: VerifiedTokens::new(config.verified_token_cache),
                config,
                mode,
            }),
            policy: DefaultRejection,
        }
    }
}

impl<P> SessionLayer<P> {
    /// Replaces the answers of required mode with `policy`.
    #[must_use]
    pub fn with_rejection<Q: RejectionPolicy>(self, policy: Q) -> SessionLayer<Q> {
        SessionLayer {
            shared: self.shared,
            policy,
        }
    }

    /// The layer's configuration.
    #[must_use]
    pub fn config(&self) -> &SessionConfig {
        &self.shared.config
    }
}

impl<S, P: Clone> Layer<S> for SessionLayer<P> {
    type Service = SessionService<S, P>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService::new(inner, Arc::clone(&self.shared), self.policy.clone())
    }
}
