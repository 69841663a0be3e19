//! JWKS fetching: the HTTP client (hyper-util over hyper-rustls, or the user's service),
//! the timeout, the status and size checks, and trying several URIs in order.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes};
use http::header::ACCEPT;
use http::{HeaderValue, Request, Response, StatusCode, Uri};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::RootCertStore;
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};

use super::error::{BoxError, FetchError, KeyStoreError};
use super::jwks::{KeySet, parse_jwks};

/// Largest JWKS body read. A core's JWKS with a handful of keys is a few KiB.
pub(crate) const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// How long an idle pooled connection to the JWKS host is kept.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The response body every client is adapted to.
pub(crate) type ResponseBody = UnsyncBoxBody<Bytes, BoxError>;

/// The HTTP client the store fetches with, whatever it was built from.
pub(crate) type HttpClient =
    BoxCloneSyncService<Request<Empty<Bytes>>, Response<ResponseBody>, BoxError>;

/// Adapts any tower HTTP service into an [`HttpClient`].
pub(crate) fn boxed_client<S, B>(service: S) -> HttpClient
where
    S: Service<Request<Empty<Bytes>>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Error: Into<BoxError>,
{
    BoxCloneSyncService::new(
        service
            .map_response(|response: Response<B>| response.map(box_body))
            .map_err(Into::into),
    )
}

fn box_body<B>(body: B) -> ResponseBody
where
    B: http_body::Body + Send + 'static,
    B::Error: Into<BoxError>,
{
    body.map_frame(|frame| frame.map_data(|mut data| data.copy_to_bytes(data.remaining())))
        .map_err(Into::into)
        .boxed_unsync()
}

/// The default client: hyper-util's pooled client over hyper-rustls, `http` and `https`,
/// trusting `extra_roots`, plus the platform's roots when `platform_roots` is set.
pub(crate) fn default_client(
    extra_roots: &RootCertStore,
    connect_timeout: Duration,
    platform_roots: bool,
) -> Result<HttpClient, KeyStoreError> {
    let mut roots = if platform_roots {
        native_roots()
    } else {
        RootCertStore::empty()
    };
    roots.roots.extend(extra_roots.roots.iter().cloned());
    // An explicit provider: `ClientConfig::builder()` panics when both rustls backends are
    // compiled in (feature unification).
    let config =
        rustls::ClientConfig::builder_with_provider(Arc::new(crate::crypto::tls_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|error| KeyStoreError::Tls(Box::new(error)))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(connect_timeout));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    let client = Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .build::<_, Empty<Bytes>>(https);
    Ok(boxed_client(client))
}

/// The platform's trusted roots; an empty store (with a warning) when they cannot be read,
/// so that extra roots alone still work.
fn native_roots() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    let loaded = rustls_native_certs::load_native_certs();
    for error in &loaded.errors {
        tracing::warn!(%error, "could not load some of the platform's root certificates");
    }
    let (added, ignored) = roots.add_parsable_certificates(loaded.certs);
    if ignored > 0 {
        tracing::warn!(ignored, "ignored unparsable platform root certificates");
    }
    if added == 0 {
        tracing::warn!(
            "no platform root certificates found; https JWKS URIs need an extra root certificate"
        );
    }
    roots
}

/// Fetches the JWKS from the configured URIs.
pub(crate) struct Fetcher {
    client: HttpClient,
    /// Non-empty: the builder refuses to build without a URI.
    uris: Vec<Uri>,
    timeout: Duration,
}

impl Fetcher {
    pub(crate) fn new(client: HttpClient, uris: Vec<Uri>, timeout: Duration) -> Self {
        Self {
            client,
            uris,
            timeout,
        }
    }

    pub(crate) fn uris(&self) -> &[Uri] {
        &self.uris
    }

    /// Tries each URI in order; the first usable key set wins. When all fail, the last
    /// error is returned (as the SuperTokens SDK does). Each failure is logged.
    pub(crate) async fn fetch(&self) -> Result<KeySet, FetchError> {
        let mut last_error = None;
        for uri in &self.uris {
            match self.fetch_one(uri).await {
                Ok(set) => {
                    tracing::debug!(%uri, keys = set.len(), "fetched the JWKS");
                    return Ok(set);
                }
                Err(error) => {
                    tracing::warn!(%error, "JWKS fetch failed");
                    last_error = Some(error);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| FetchError::Request {
            uri: String::new(),
            source: "no JWKS URI configured".into(),
        }))
    }

    /// One URI, bounded by the timeout (connect and the whole response).
    async fn fetch_one(&self, uri: &Uri) -> Result<KeySet, FetchError> {
        match tokio::time::timeout(self.timeout, self.get(uri)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout {
                uri: uri.to_string(),
                timeout: self.timeout,
            }),
        }
    }

    async fn get(&self, uri: &Uri) -> Result<KeySet, FetchError> {
        let mut request = Request::new(Empty::new());
        *request.uri_mut() = uri.clone();
        request
            .headers_mut()
            .insert(ACCEPT, HeaderValue::from_static("application/json"));
        let response = self
            .client
            .clone()
            .oneshot(request)
            .await
            .map_err(|error| classify_client_error(uri, error))?;
        if response.status() != StatusCode::OK {
            return Err(FetchError::Status {
                uri: uri.to_string(),
                status: response.status(),
            });
        }
        let body = read_limited(response.into_body(), uri).await?;
        let set = parse_jwks(&body).map_err(|source| FetchError::InvalidJson {
            uri: uri.to_string(),
            source,
        })?;
        if set.is_empty() {
            return Err(FetchError::NoUsableKey {
                uri: uri.to_string(),
                skipped: set.skipped(),
            });
        }
        Ok(set)
    }
}

/// Reads the whole body, failing as soon as it exceeds [`MAX_JWKS_BYTES`].
async fn read_limited(mut body: ResponseBody, uri: &Uri) -> Result<Vec<u8>, FetchError> {
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|source| FetchError::Body {
            uri: uri.to_string(),
            source,
        })?;
        if let Ok(data) = frame.into_data() {
            if bytes.len().saturating_add(data.len()) > MAX_JWKS_BYTES {
                return Err(FetchError::BodyTooLarge {
                    uri: uri.to_string(),
                    limit: MAX_JWKS_BYTES,
                });
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes)
}

/// Connection failures (refused, DNS, TLS handshake) apart from the rest.
fn classify_client_error(uri: &Uri, error: BoxError) -> FetchError {
    let is_connect = error
        .downcast_ref::<hyper_util::client::legacy::Error>()
        .is_some_and(hyper_util::client::legacy::Error::is_connect);
    if is_connect {
        FetchError::Connect {
            uri: uri.to_string(),
            source: error,
        }
    } else {
        FetchError::Request {
            uri: uri.to_string(),
            source: error,
        }
    }
}
