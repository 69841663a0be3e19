//! Response future of [`SessionService`](crate::SessionService).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

use super::decide::{Pending, finish};
use super::service::dispatch;
use super::{Shared, body::ResponseBody};
use crate::keys::KeyLookup;
use crate::reject::RejectionPolicy;

type KeyFuture = Pin<Box<dyn Future<Output = KeyLookup> + Send>>;

pin_project! {
    /// Response future for [`SessionService`](crate::SessionService).
    pub struct ResponseFuture<S, ReqBody, P>
    where
        S: Service<Request<ReqBody>>,
    {
        #[pin]
        state: State<S, ReqBody, P>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, ReqBody, P>
    where
        S: Service<Request<ReqBody>>,
    {
        // The cold path only: the token's key is being fetched.
        AwaitKeys {
            keys: KeyFuture,
            waiting: Option<Waiting<S, ReqBody, P>>,
        },
        Inner { #[pin] future: S::Future },
        Answer { response: Option<Response<Bytes>> },
    }
}

struct Waiting<S, ReqBody, P> {
    shared: Arc<Shared>,
    policy: P,
    inner: S,
    request: Request<ReqBody>,
    pending: Pending,
}

impl<S, ReqBody, P> ResponseFuture<S, ReqBody, P>
where
    S: Service<Request<ReqBody>>,
{
    pub(crate) fn inner(future: S::Future) -> Self {
        Self {
            state: State::Inner { future },
        }
    }

    pub(crate) fn answer(response: Response<Bytes>) -> Self {
        Self {
            state: State::Answer {
                response: Some(response),
            },
        }
    }

    pub(crate) fn await_keys(
        shared: Arc<Shared>,
        policy: P,
        inner: S,
        request: Request<ReqBody>,
        pending: Pending,
    ) -> Self {
        let store = shared.config.keys.clone();
        let kid = pending.kid.clone();
        let keys: KeyFuture = Box::pin(async move { store.resolve(&kid).await });
        Self {
            state: State::AwaitKeys {
                keys,
                waiting: Some(Waiting {
                    shared,
                    policy,
                    inner,
                    request,
                    pending,
                }),
            },
        }
    }
}

impl<S, ReqBody, ResBody, P> Future for ResponseFuture<S, ReqBody, P>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    P: RejectionPolicy,
{
    type Output = Result<Response<ResponseBody<ResBody>>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::AwaitKeys { keys, waiting } => {
                    let lookup = ready!(keys.as_mut().poll(cx));
                    let Some(mut waiting) = waiting.take() else {
                        // Polled again after completion: a contract violation by the caller.
                        return Poll::Pending;
                    };
                    let Pending {
                        raw,
                        source,
                        parsed,
                        ..
                    } = waiting.pending;
                    let state = finish(
                        &waiting.shared,
                        &raw,
                        source,
                        parsed,
                        lookup,
                        waiting.request.method(),
                        waiting.request.headers(),
                    );
                    let next = dispatch(
                        &waiting.shared,
                        &waiting.policy,
                        &mut waiting.inner,
                        state,
                        waiting.request,
                    );
                    this.state.set(next.state);
                }
                StateProj::Inner { future } => {
                    let response = ready!(future.poll(cx))?;
                    return Poll::Ready(Ok(response.map(ResponseBody::inner)));
                }
                StateProj::Answer { response } => {
                    let response = response.take().map_or_else(
                        || Response::new(ResponseBody::rejection(Bytes::new())),
                        |r| r.map(ResponseBody::rejection),
                    );
                    return Poll::Ready(Ok(response));
                }
            }
        }
    }
}

impl<S, ReqBody, P> std::fmt::Debug for ResponseFuture<S, ReqBody, P>
where
    S: Service<Request<ReqBody>>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
