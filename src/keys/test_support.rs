//! RSA 2048 public keys (base64url `n`, `e` = `AQAB`) generated with openssl for the key store tests.
//! Also a loopback JWKS server that counts requests. Shared by the `src/keys` unit tests
//! and `tests/keys.rs` (included there by path), so each uses only part of it.
#![allow(dead_code)]

/// Modulus of test key 1.
pub(crate) const N1: &str = "1atkAooedpaFjuPKTRO6DJvkNL0bZokxd13HdcFA-gHvrC1D6ntFzuZGLLVPCREiXngeDSaLAYcsIEY_e661oFUsdyHbbB0TdYGxNhknP9ITm_42Kq-Ti6qNJwZpq-DVSDApyZXOvBEuK_tFxaxVWCyuHCyNP1LuARTG0t9s9n30SZQlIsu5izdc0IooA8tUK66jqndECn4pIbbJZyau8IumS9E2FAyvppvxiH_WIDdfT3DYSWwZOngPZjGW1uMQY9xMth_aCLCem0aAj9pPxMo7bVJquz05z9if1RFnbXIAoq7KfcDaww7UsfezRiTL5PpS_dXsoxMof1WrhlVG4Q";
/// Modulus of test key 2.
pub(crate) const N2: &str = "pvgjHF22YIZx-BEdF8kAC9nspwApIUlp2uhMsIABzoj-7C8sGVSuYHQ0cnrBQmMbX1oNcsCeK1Zzh9whLYyOE_Mcr8Ke9mbAMl-HnmotwKDvaUWT7kkNcu-lm4hams2YDPph3eXZ72afJOoUYjT82OlPxAj7AVLNjkfqVpQ3thdJPONNL_TShLDPEvSQg5lQcFYUfOZ_UteUVqxy6FaosrbZI0F2g3OjJjSGNSg_6W8nJMWQGWpfjwUEO3GhZZvDtKBydEB5rFXo5IOM70GIphkY_-PQ50SiT_fytBq3lD_NFkWSBcqx1awkbuI73NPgszRUf2yRKdSuP5Tsrj1phQ";
/// Modulus of test key 3.
pub(crate) const N3: &str = "wPJDT1jiim1timUp5Y8L-CbCtgNZaqSze9j85Xp1h25gnn3MC5H5CYrF-Hx9Sov37KNDLFkmDrqA3gbG7tJRpF8Ob7tnff7fJFZVWFigrUYVRQcRcT1ri-jtnREyI_2dP6dN0rL7lqZEb4zIQ27KB25mcafsXDXViU9YUL_nFwUI346qzjfmhcWv4dfsMfcV-EJ7j1THZIBMDgt5YvmEjXKFbOCWfalHbjWpSChrJxyuOp26LXwy5S_uFqHJ7SPPIlAh12GEob3KsaK1ZIoECDP8S4IbLWKGlppukl102t7EGgHnmHo4oEfplW9I2Xu349_XOSncbuz5HZqAjlBYAw";
/// A message signed with test key 1's private key (RS256).
pub(crate) const MESSAGE: &[u8] = b"tower-supertokens keys test";
/// `MESSAGE` signed with RSASSA-PKCS1-v1_5 SHA-256 by test key 1, base64url.
pub(crate) const SIGNATURE_1: &str = "ga6uW9VC0m0mAJXxPf6wLV3n4on4-9WPX46Rc1nCnefuJwkMXFNcY9lpJddrG5WN2pA9lJr6d7gzzhymzz-KmWhGQKlWop0PcRI2Pe2piqdLemG5F3HVtugmihWsBvEosXk1Lt-0fxfKqytvxDcTbZ-MdK7lFCbrRhEmvOxj_IU3CYC6BKDSNKEud-s7AaehSeBCKC9hzgWfC-ospCAqsWvleEPhr2onbkhzL6vXnr1XEwTZyRz6r4-i2VQ3YG3rNplF0Hd6AkI6DfnWNECRGpZ6NbdBcTvay9kfd_2RwAy0uy8yM2we9xc0hcl0KTScdY2iRuqq5JjeM3FSJolSag";

/// One RSA JWK with the fields SuperTokens' core publishes.
pub(crate) fn jwk(kid: &str, n: &str) -> String {
    format!(r#"{{"kty":"RSA","kid":"{kid}","n":"{n}","e":"AQAB","alg":"RS256","use":"sig"}}"#)
}

/// A JWKS holding `keys` (already serialised JWKs).
pub(crate) fn jwks(keys: &[String]) -> String {
    format!(r#"{{"keys":[{}]}}"#, keys.join(","))
}

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};

/// What a [`JwksServer`] answers.
#[derive(Clone)]
pub(crate) enum Mode {
    /// 200 with this body (a JWKS, or garbage).
    Ok(String),
    /// This status with a short body.
    Status(u16),
    /// Never answers.
    Hang,
}

struct ServerState {
    mode: Mutex<Mode>,
    hits: watch::Sender<usize>,
    last_headers: Mutex<Option<HeaderMap>>,
    /// Requests wait for a permit when the server is gated.
    gate: Semaphore,
    gated: AtomicBool,
}

/// A loopback HTTP(S) server answering every request per its [`Mode`], counting requests.
pub(crate) struct JwksServer {
    pub(crate) addr: SocketAddr,
    scheme: &'static str,
    state: Arc<ServerState>,
    task: Option<JoinHandle<()>>,
}

impl JwksServer {
    /// A plain HTTP server on 127.0.0.1, port 0.
    pub(crate) async fn start(mode: Mode) -> Self {
        Self::start_with(mode, None).await
    }

    /// An HTTPS server when `tls` is given.
    pub(crate) async fn start_with(mode: Mode, tls: Option<tokio_rustls::TlsAcceptor>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(ServerState {
            mode: Mutex::new(mode),
            hits: watch::Sender::new(0),
            last_headers: Mutex::new(None),
            gate: Semaphore::new(0),
            gated: AtomicBool::new(false),
        });
        let scheme = if tls.is_some() { "https" } else { "http" };
        let serving = Arc::clone(&state);
        let task = tokio::spawn(async move {
            // Dropping the set (when the task is aborted) closes every open connection.
            let mut connections = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = Arc::clone(&serving);
                let tls = tls.clone();
                connections.spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                serve(state, stream).await;
                            }
                        }
                        None => serve(state, stream).await,
                    }
                });
                while connections.try_join_next().is_some() {}
            }
        });
        Self {
            addr,
            scheme,
            state,
            task: Some(task),
        }
    }

    /// The JWKS URI on this server.
    pub(crate) fn uri(&self) -> String {
        format!("{}://{}/.well-known/jwks.json", self.scheme, self.addr)
    }

    /// The JWKS URI with `host` instead of the IP (e.g. `localhost` for TLS name checks).
    pub(crate) fn uri_with_host(&self, host: &str) -> String {
        format!(
            "{}://{host}:{}/.well-known/jwks.json",
            self.scheme,
            self.addr.port()
        )
    }

    /// Requests received so far.
    pub(crate) fn hits(&self) -> usize {
        *self.state.hits.borrow()
    }

    /// Waits until at least `count` requests arrived (panics after 10 s).
    pub(crate) async fn wait_for_hits(&self, count: usize) {
        let mut hits = self.state.hits.subscribe();
        tokio::time::timeout(
            std::time::Duration::from_secs(10),
            hits.wait_for(|n| *n >= count),
        )
        .await
        .expect("server hits timed out")
        .expect("server gone");
    }

    /// Changes what the server answers from now on.
    pub(crate) fn set(&self, mode: Mode) {
        *self
            .state
            .mode
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = mode;
    }

    /// Headers of the last request.
    pub(crate) fn last_headers(&self) -> Option<HeaderMap> {
        self.state
            .last_headers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// From now on, requests wait for [`JwksServer::open`] before being answered.
    pub(crate) fn gate(&self) {
        self.state.gated.store(true, Ordering::SeqCst);
    }

    /// Lets every waiting and future request through.
    pub(crate) fn open(&self) {
        self.state.gated.store(false, Ordering::SeqCst);
        self.state.gate.add_permits(Semaphore::MAX_PERMITS / 2);
    }

    /// Stops listening and closes all connections: later fetches are refused.
    pub(crate) fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn serve<S>(state: Arc<ServerState>, stream: S)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let state = Arc::clone(&state);
        async move { Ok::<_, Infallible>(answer(&state, &request).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

async fn answer(state: &ServerState, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    *state
        .last_headers
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(request.headers().clone());
    state.hits.send_modify(|n| *n += 1);
    if state.gated.load(Ordering::SeqCst) {
        let _ = state.gate.acquire().await;
    }
    let mode = state
        .mode
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    match mode {
        Mode::Ok(body) => {
            let mut response = Response::new(Full::new(Bytes::from(body)));
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            response
        }
        Mode::Status(code) => {
            let mut response = Response::new(Full::new(Bytes::from_static(b"error")));
            *response.status_mut() = StatusCode::from_u16(code).expect("status code");
            response
        }
        Mode::Hang => std::future::pending().await,
    }
}

/// A TCP listener on 127.0.0.1 that accepts connections and never answers.
pub(crate) async fn silent_listener() -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let task = tokio::spawn(async move {
        let mut held: Vec<TcpStream> = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    (addr, task)
}

/// A loopback address nothing listens on (bound, then released).
pub(crate) async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    listener.local_addr().expect("local addr")
}
