//! The service that [`SessionLayer`](crate::SessionLayer) wraps around handlers.

use std::mem;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use super::future::ResponseFuture;
use super::{LayerContext, Mode, Shared, Step, body::ResponseBody, bypasses, decide, reject};
use crate::reject::RejectionPolicy;
use crate::state::SessionState;

/// Middleware that verifies SuperTokens sessions. See [`SessionLayer`](crate::SessionLayer).
#[derive(Debug, Clone)]
pub struct SessionService<S, P> {
    inner: S,
    shared: Arc<Shared>,
    policy: P,
}

impl<S, P> SessionService<S, P> {
    pub(crate) fn new(inner: S, shared: Arc<Shared>, policy: P) -> Self {
        Self {
            inner,
            shared,
            policy,
        }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, P, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S, P>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    ReqBody: Send + 'static,
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
            request.extensions_mut().insert(SessionState::NoToken);
            return ResponseFuture::inner(self.inner.call(request));
        }
        match decide(&self.shared, request.method(), request.headers()) {
            Step::Decided(state) => {
                dispatch(&self.shared, &self.policy, &mut self.inner, state, request)
            }
            Step::AwaitKeys(pending) => {
                // The instance polled ready goes into the future; a clone stays here.
                let clone = self.inner.clone();
                let inner = mem::replace(&mut self.inner, clone);
                ResponseFuture::await_keys(
                    Arc::clone(&self.shared),
                    self.policy.clone(),
                    inner,
                    request,
                    pending,
                )
            }
        }
    }
}

/// Calls the inner service with `state` attached, or answers with the policy.
pub(crate) fn dispatch<S, P, ReqBody, ResBody>(
    shared: &Arc<Shared>,
    policy: &P,
    inner: &mut S,
    state: SessionState,
    mut request: Request<ReqBody>,
) -> ResponseFuture<S, ReqBody, P>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    P: RejectionPolicy,
{
    let valid = matches!(state, SessionState::Valid(_));
    tracing::debug!(state = state.name(), detail = %DisplayReason(&state), "session checked");
    if valid || shared.mode == Mode::Optional {
        if let SessionState::Valid(session) = &state {
            request.extensions_mut().insert(session.clone());
        }
        request.extensions_mut().insert(state);
        request
            .extensions_mut()
            .insert(LayerContext(Arc::clone(shared)));
        return ResponseFuture::inner(inner.call(request));
    }
    let (parts, _body) = request.into_parts();
    ResponseFuture::answer(reject(policy, &shared.config, state, &parts))
}

/// Logs the reason without the user id of a valid session.
struct DisplayReason<'a>(&'a SessionState);

impl std::fmt::Display for DisplayReason<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            SessionState::Valid(_) => f.write_str("valid"),
            other => write!(f, "{other}"),
        }
    }
}
