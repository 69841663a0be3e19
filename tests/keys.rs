//! KeyStore's public API against loopback servers: warm-up, https with extra roots, a
//! custom HTTP client, and the errors a user sees.

#[path = "../src/keys/test_support.rs"]
mod support;

use std::convert::Infallible;
use std::error::Error;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{Empty, Full};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use support::{JwksServer, Mode, N1, N2, closed_port, jwk, jwks};
use tower_supertokens::{FetchError, KeyStore, KeyStoreError};

const CA_PEM: &[u8] = include_bytes!("fixtures/tls/ca.pem");
const SERVER_PEM: &[u8] = include_bytes!("fixtures/tls/server.pem");
const SERVER_KEY: &[u8] = include_bytes!("fixtures/tls/server.key");

/// Bounds every wait; none is expected to come close.
const SAFETY: Duration = Duration::from_secs(10);

fn two_keys() -> String {
    jwks(&[jwk("d-1733370597545", N1), jwk("s-static", N2)])
}

#[cfg(feature = "aws-lc-rs")]
fn tls_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
fn tls_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    let chain = CertificateDer::pem_slice_iter(SERVER_PEM)
        .collect::<Result<Vec<_>, _>>()
        .expect("server.pem");
    let key = PrivateKeyDer::from_pem_slice(SERVER_KEY).expect("server.key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(tls_provider()))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server certificate");
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

async fn refresh(store: &KeyStore) -> Result<usize, FetchError> {
    tokio::time::timeout(SAFETY, store.refresh())
        .await
        .expect("refresh returned")
}

#[tokio::test]
async fn refresh_warms_the_cache_and_lists_key_ids() {
    let server = JwksServer::start(Mode::Ok(two_keys())).await;
    let store = KeyStore::from_jwks_uri(&server.uri()).expect("store");
    assert!(store.key_ids().is_empty(), "nothing fetched before refresh");
    assert_eq!(refresh(&store).await.expect("fetch"), 2);
    assert_eq!(store.key_ids(), ["d-1733370597545", "s-static"]);
    assert_eq!(server.hits(), 1);
    // A forced refresh always fetches.
    assert_eq!(refresh(&store).await.expect("fetch"), 2);
    assert_eq!(server.hits(), 2);
    // Clones share the cache.
    assert_eq!(store.clone().key_ids(), store.key_ids());
}

#[tokio::test]
async fn https_jwks_uri_works_with_an_extra_root() {
    let server = JwksServer::start_with(Mode::Ok(two_keys()), Some(tls_acceptor())).await;
    for uri in [server.uri(), server.uri_with_host("localhost")] {
        assert!(uri.starts_with("https://"));
        let store = KeyStore::builder()
            .jwks_uri(&uri)
            .add_root_certificate_pem(CA_PEM)
            .expect("CA certificate")
            .build()
            .expect("store");
        assert_eq!(refresh(&store).await.expect("https fetch"), 2, "{uri}");
    }
}

#[tokio::test]
async fn a_der_root_works_too() {
    let server = JwksServer::start_with(Mode::Ok(two_keys()), Some(tls_acceptor())).await;
    let der = CertificateDer::from_pem_slice(CA_PEM).expect("ca.pem");
    let store = KeyStore::builder()
        .jwks_uri(server.uri())
        .add_root_certificate_der(&der)
        .expect("CA certificate")
        .build()
        .expect("store");
    assert_eq!(refresh(&store).await.expect("https fetch"), 2);
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_connect_error_that_says_so() {
    let server = JwksServer::start_with(Mode::Ok(two_keys()), Some(tls_acceptor())).await;
    let store = KeyStore::from_jwks_uri(&server.uri()).expect("store");
    let error = refresh(&store).await.expect_err("untrusted CA");
    assert!(matches!(error, FetchError::Connect { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&server.uri()), "{message}");
    assert!(message.to_lowercase().contains("certificate"), "{message}");
    assert!(error.source().is_some());
}

#[tokio::test]
async fn a_custom_http_client_is_used_instead_of_the_network() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let client = {
        let calls = Arc::clone(&calls);
        let seen = Arc::clone(&seen);
        tower::service_fn(move |request: Request<Empty<Bytes>>| {
            calls.fetch_add(1, Ordering::SeqCst);
            let accept = request
                .headers()
                .get(http::header::ACCEPT)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            seen.lock()
                .expect("lock")
                .push((request.uri().to_string(), accept));
            async { Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(two_keys())))) }
        })
    };
    // `.invalid` never resolves: only the custom client can answer.
    let store = KeyStore::builder()
        .jwks_uri("https://core.invalid/.well-known/jwks.json")
        .http_client(client)
        .build()
        .expect("store");
    assert_eq!(refresh(&store).await.expect("custom client"), 2);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        seen.lock().expect("lock").as_slice(),
        [(
            "https://core.invalid/.well-known/jwks.json".to_owned(),
            Some("application/json".to_owned())
        )]
    );
}

#[tokio::test]
async fn custom_client_failures_are_fetch_errors() {
    let failing = tower::service_fn(|_: Request<Empty<Bytes>>| async {
        Err::<Response<Full<Bytes>>, _>(std::io::Error::other("proxy said no"))
    });
    let store = KeyStore::builder()
        .jwks_uri("http://core.invalid/jwks.json")
        .http_client(failing)
        .build()
        .expect("store");
    let error = refresh(&store).await.expect_err("client error");
    assert!(matches!(error, FetchError::Request { .. }), "{error:?}");
    assert!(error.to_string().contains("proxy said no"), "{error}");

    let not_found = tower::service_fn(|_: Request<Empty<Bytes>>| async {
        let mut response = Response::new(Full::new(Bytes::from_static(b"{}")));
        *response.status_mut() = StatusCode::NOT_FOUND;
        Ok::<_, Infallible>(response)
    });
    let store = KeyStore::builder()
        .jwks_uri("http://core.invalid/jwks.json")
        .http_client(not_found)
        .build()
        .expect("store");
    let error = refresh(&store).await.expect_err("404");
    assert!(matches!(
        error,
        FetchError::Status {
            status: StatusCode::NOT_FOUND,
            ..
        }
    ));
    assert!(error.to_string().contains("404"), "{error}");
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let addr = closed_port().await;
    let uri = format!("http://{addr}/.well-known/jwks.json");
    let store = KeyStore::from_jwks_uri(&uri).expect("store");
    let error = refresh(&store).await.expect_err("refused");
    assert!(matches!(error, FetchError::Connect { .. }), "{error:?}");
    assert_eq!(error.uri(), uri);
    assert!(
        error.to_string().starts_with("could not connect"),
        "{error}"
    );
}

#[tokio::test]
async fn server_errors_garbage_and_timeouts_are_reported() {
    let server = JwksServer::start(Mode::Status(500)).await;
    let store = KeyStore::builder()
        .jwks_uri(server.uri())
        .fetch_timeout(Duration::from_millis(300))
        .build()
        .expect("store");
    let error = refresh(&store).await.expect_err("500");
    assert!(
        error.to_string().contains("500 Internal Server Error"),
        "{error}"
    );

    server.set(Mode::Ok("{\"keys\": [oops".to_owned()));
    let error = refresh(&store).await.expect_err("garbage");
    assert!(matches!(error, FetchError::InvalidJson { .. }), "{error:?}");
    assert!(error.to_string().contains("not a JWKS"), "{error}");

    server.set(Mode::Hang);
    let error = refresh(&store).await.expect_err("hang");
    assert!(matches!(error, FetchError::Timeout { .. }), "{error:?}");

    server.set(Mode::Ok(two_keys()));
    assert_eq!(refresh(&store).await.expect("recovered"), 2);
}

#[test]
fn stores_build_outside_a_runtime() {
    let store =
        KeyStore::from_jwks_uri("https://core.example.com/.well-known/jwks.json").expect("store");
    assert!(store.key_ids().is_empty());
    assert!(format!("{store:?}").contains("core.example.com"));
}

#[test]
fn the_builder_rejects_what_cannot_work() {
    let cases: Vec<(Result<KeyStore, KeyStoreError>, &str)> = vec![
        (KeyStore::builder().build(), "no JWKS URI"),
        (KeyStore::from_jwks_uri("not a uri"), "invalid JWKS URI"),
        (
            KeyStore::from_jwks_uri("/.well-known/jwks.json"),
            "not an absolute URI",
        ),
        (
            KeyStore::from_jwks_uri("ftp://core/jwks.json"),
            "must be http or https",
        ),
        (
            KeyStore::from_jwks_uri("https://user:secret@core/jwks.json"),
            "credentials",
        ),
        (
            KeyStore::builder()
                .jwks_uri("http://core/jwks.json")
                .fetch_timeout(Duration::ZERO)
                .build(),
            "fetch_timeout",
        ),
    ];
    for (result, expected) in cases {
        let error = result.expect_err(expected);
        let message = error.to_string();
        assert!(message.contains(expected), "{message}");
        assert!(
            !message.contains("secret"),
            "never echo credentials: {message}"
        );
    }
    let error = KeyStore::builder()
        .add_root_certificate_pem(b"not a pem")
        .expect_err("no certificate");
    assert!(matches!(error, KeyStoreError::InvalidCertificate { .. }));
    let error = KeyStore::builder()
        .add_root_certificate_pem(SERVER_KEY)
        .expect_err("a key is not a certificate");
    assert!(
        error
            .to_string()
            .contains("no `-----BEGIN CERTIFICATE-----`"),
        "{error}"
    );
    let error = KeyStore::builder()
        .add_root_certificate_der(b"\x30\x03\x02\x01\x00")
        .expect_err("not a certificate");
    assert!(matches!(error, KeyStoreError::InvalidCertificate { .. }));
}

#[tokio::test]
async fn a_static_store_never_fetches() {
    let store = KeyStore::from_jwks_json(&two_keys()).expect("static store");
    assert_eq!(store.key_ids(), ["d-1733370597545", "s-static"]);
    assert_eq!(refresh(&store).await.expect("static"), 2);
    let error = KeyStore::from_jwks_json(
        r#"{"keys":[{"kty":"RSA","kid":"x","use":"enc","n":"AQAB","e":"AQAB"}]}"#,
    )
    .expect_err("no usable key");
    assert!(
        error.to_string().contains("no usable key (1 skipped"),
        "{error}"
    );
    let error = KeyStore::from_jwks_json("[]").expect_err("not a JWKS");
    assert!(error.source().is_some());
}

#[test]
fn errors_are_ordinary_error_types() {
    fn assert_error<E: Error + Send + Sync + 'static>() {}
    assert_error::<KeyStoreError>();
    assert_error::<FetchError>();
}
