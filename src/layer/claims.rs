//! RequireClaimsLayer: per-route claim validators.
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use super::body::ResponseBody;
use super::future::ResponseFuture;
use super::{LayerContext, bypasses, reject};
use crate::claims::{ClaimValidator, SharedValidator, validate_all};
use crate::clock::{Clock, SharedClock, SystemClock};
use crate::reject::page::PageConfig;
use crate::reject::{DefaultRejection, Rejection, RejectionPolicy, RequestKind};
use crate::state::SessionState;

/// RequireClaimsLayer: per-route claim validators on top of a [`SessionLayer`](crate::SessionLayer).
///
/// SuperTokens runs the global validators, then the route's. Put the global ones on the
/// `SessionLayer` ([`SessionConfig::validate_claim`](crate::SessionConfig::validate_claim))
/// and the route's on this layer, inside it. The route then requires a valid session whose
/// claims pass both; failures answer 403 `invalid claim`. One difference from the SDK:
/// when a global validator already failed, the 403 lists the global failures only (the
/// route's validators never see a session the `SessionLayer` has rejected). Put every
/// validator of a route on one layer if its 403 must list them all.
///
/// ```
/// use std::convert::Infallible;
/// use bytes::Bytes;
/// use http::{Request, Response};
/// use http_body_util::Full;
/// use tower::{ServiceBuilder, ServiceExt, Service};
/// use tower_supertokens::claims::EmailVerified;
/// use tower_supertokens::{KeyStore, RequireClaimsLayer, SessionConfig, SessionLayer};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let keys = KeyStore::from_jwks_json(r#"{"keys":[]}"#)?;
/// let mut service = ServiceBuilder::new()
///     .layer(SessionLayer::optional(SessionConfig::new(keys)))
///     .layer(RequireClaimsLayer::new(EmailVerified::is_verified()))
///     .service_fn(|_req: Request<Full<Bytes>>| async {
///         Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"verified"))))
///     });
/// let response = service.ready().await?.call(Request::get("/").body(Full::default())?).await?;
/// assert_eq!(response.status(), 401);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RequireClaimsLayer<P = DefaultRejection> {
    validators: Arc<Vec<SharedValidator>>,
    clock: Option<SharedClock>,
    policy: P,
}

impl RequireClaimsLayer {
    /// A layer requiring `validator` to pass.
    #[must_use]
    pub fn new(validator: impl ClaimValidator) -> Self {
        Self {
            validators: Arc::new(vec![Arc::new(validator)]),
            clock: None,
            policy: DefaultRejection,
        }
    }
}

impl<P> RequireClaimsLayer<P> {
    /// Also requires `validator` (validators run in the order added).
    #[must_use]
    pub fn and(mut self, validator: impl ClaimValidator) -> Self {
        Arc::make_mut(&mut self.validators).push(Arc::new(validator));
        self
    }

    /// The clock the validators read (default: the clock of the `SessionLayer` around
    /// this one, else the system clock).
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Replaces the answers with `policy`.
    #[must_use]
    pub fn with_rejection<Q: RejectionPolicy>(self, policy: Q) -> RequireClaimsLayer<Q> {
        RequireClaimsLayer {
            validators: self.validators,
            clock: self.clock,
            policy,
        }
    }
}

impl<P> std::fmt::Debug for RequireClaimsLayer<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequireClaimsLayer")
            .field("validators", &self.validators.len())
            .finish_non_exhaustive()
    }
}

impl<S, P: Clone> Layer<S> for RequireClaimsLayer<P> {
    type Service = RequireClaims<S, P>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireClaims {
            inner,
            layer: self.clone(),
        }
    }
}

/// Middleware of [`RequireClaimsLayer`].
#[derive(Clone)]
pub struct RequireClaims<S, P> {
    inner: S,
    layer: RequireClaimsLayer<P>,
}

impl<S, P> std::fmt::Debug for RequireClaims<S, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequireClaims").finish_non_exhaustive()
    }
}

impl<S, P, ReqBody, ResBody> Service<Request<ReqBody>> for RequireClaims<S, P>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    P: RejectionPolicy,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody, P>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        if bypasses(request.method()) {
            return ResponseFuture::inner(self.inner.call(request));
        }
        let context = request.extensions().get::<LayerContext>().cloned();
        let state = match request.extensions().get::<SessionState>() {
            Some(SessionState::Valid(session)) => {
                let now = match (&self.layer.clock, &context) {
                    (Some(clock), _) => clock.now(),
                    (None, Some(LayerContext(shared))) => shared.config.clock.now(),
                    (None, None) => SystemClock.now(),
                };
                let errors = validate_all(&self.layer.validators, session, now);
                if errors.is_empty() {
                    return ResponseFuture::inner(self.inner.call(request));
                }
                SessionState::InvalidClaims(errors)
            }
            Some(other) => other.clone(),
            None => {
                tracing::error!("RequireClaimsLayer used without a SessionLayer around it");
                SessionState::NoToken
            }
        };
        request.extensions_mut().insert(state.clone());
        let (parts, _body) = request.into_parts();
        let response = match context {
            Some(LayerContext(shared)) => reject(&self.layer.policy, &shared.config, state, &parts),
            None => {
                let pages = PageConfig::default();
                let rejection = Rejection {
                    state: &state,
                    request: &parts,
                    kind: RequestKind::detect(&parts.method, &parts.headers),
                    retry_after: Duration::from_secs(1),
                    pages: &pages,
                };
                self.layer.policy.reject(&rejection)
            }
        };
        ResponseFuture::answer(response)
    }
}
