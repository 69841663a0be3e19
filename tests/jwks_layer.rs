//! The layer against a real JWKS server on 127.0.0.1 that counts its fetches.

use std::convert::Infallible;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tower::{ServiceBuilder, ServiceExt};
use tower_supertokens::clock::ManualClock;
use tower_supertokens::testing::{JwksServer, TestIssuer};
use tower_supertokens::{KeyStore, SessionConfig, SessionLayer, SessionState};

async fn ok(_request: Request<Full<Bytes>>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"ok"))))
}

fn bearer(token: &str) -> Request<Full<Bytes>> {
    Request::get("/api/user")
        .header("authorization", format!("Bearer {token}"))
        .body(Full::default())
        .unwrap_or_default()
}

struct Answer {
    status: StatusCode,
    retry_after: Option<String>,
    body: String,
}

async fn call(layer: &SessionLayer, token: &str) -> Answer {
    let service = ServiceBuilder::new().layer(layer.clone()).service_fn(ok);
    let response = service
        .oneshot(bearer(token))
        .await
        .unwrap_or_else(|e| match e {});
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    Answer {
        status,
        retry_after,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// A required layer over a KeyStore fetching `uri`, both on a manual clock standing now.
fn layer_for(uri: &str) -> (SessionLayer, ManualClock) {
    let clock = ManualClock::new(std::time::SystemTime::now());
    let keys = KeyStore::builder()
        .jwks_uri(uri)
        .clock(clock.clone())
        .fetch_timeout(Duration::from_millis(500))
        .build()
        .unwrap_or_else(|e| panic!("key store: {e}"));
    let layer = SessionLayer::required(SessionConfig::new(keys).clock(clock.clone()));
    (layer, clock)
}

/// The issuer's JWKS server on 127.0.0.1.
async fn serve(issuer: &TestIssuer) -> JwksServer {
    issuer
        .serve()
        .await
        .unwrap_or_else(|e| panic!("serve: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_requests_on_a_cold_cache_cause_one_fetch() {
    let issuer = TestIssuer::new();
    let server = serve(&issuer).await;
    let (layer, _clock) = layer_for(&server.jwks_uri());
    let token = issuer.token("user").sign();
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let layer = layer.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(
            async move { call(&layer, &token).await.status },
        ));
    }
    for task in tasks {
        assert_eq!(
            task.await.unwrap_or(StatusCode::IM_A_TEAPOT),
            StatusCode::OK
        );
    }
    assert_eq!(server.fetch_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn distinct_unknown_kids_within_a_cooldown_cause_at_most_one_refetch() {
    let issuer = TestIssuer::new();
    let server = serve(&issuer).await;
    let (layer, _clock) = layer_for(&server.jwks_uri());
    assert_eq!(call(&layer, &issuer.token("warm").sign()).await.status, 200);
    let before = server.fetch_count();
    // Forged kids need no valid signature (they never reach the RSA check), so one real
    // signature is reused rather than signing 1,000 tokens.
    let signature = issuer
        .token("attacker")
        .sign()
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_owned();
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let layer = layer.clone();
        let token = format!(
            "{}{signature}",
            issuer
                .token("attacker")
                .kid(format!("d-forged-{i}"))
                .unsigned()
        );
        tasks.push(tokio::spawn(async move { call(&layer, &token).await.body }));
    }
    for task in tasks {
        assert_eq!(
            task.await.unwrap_or_default(),
            r#"{"message":"try refresh token"}"#
        );
    }
    assert!(
        server.fetch_count() - before <= 1,
        "refetches: {}",
        server.fetch_count() - before
    );
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_by_the_first_token_that_uses_it() {
    let issuer = TestIssuer::new();
    let server = serve(&issuer).await;
    let (layer, clock) = layer_for(&server.jwks_uri());
    assert_eq!(call(&layer, &issuer.token("u").sign()).await.status, 200);
    assert_eq!(server.fetch_count(), 1);
    // SuperTokens publishes the next key ahead of use; here it appears after our fetch.
    clock.advance(Duration::from_secs(10));
    issuer.rotate("d-1700000999999");
    let answer = call(&layer, &issuer.token("u").sign()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(server.fetch_count(), 2);
}

#[tokio::test]
async fn cached_keys_keep_verifying_when_the_jwks_server_goes_down() {
    let issuer = TestIssuer::new();
    let server = serve(&issuer).await;
    let (layer, clock) = layer_for(&server.jwks_uri());
    assert_eq!(call(&layer, &issuer.token("u").sign()).await.status, 200);
    server.shutdown().await;
    // Past the 4 h max age the refetch fails; the cached key still verifies.
    clock.advance(Duration::from_secs(5 * 3600));
    let token = issuer.token("u").at(clock_now(&clock)).sign();
    for _ in 0..3 {
        assert_eq!(call(&layer, &token).await.status, 200);
    }
}

fn clock_now(clock: &ManualClock) -> std::time::SystemTime {
    use tower_supertokens::clock::Clock;
    clock.now()
}

#[tokio::test]
async fn jwks_down_from_the_start_is_503_and_recovers() {
    let issuer = TestIssuer::new();
    let server = serve(&issuer).await;
    server.set_unavailable(true);
    let (layer, clock) = layer_for(&server.jwks_uri());
    let token = issuer.token("u").sign();
    let answer = call(&layer, &token).await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.body, r#"{"message":"session keys unavailable"}"#);
    let retry: u64 = answer
        .retry_after
        .as_deref()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    assert!((1..=5).contains(&retry), "Retry-After {retry}");
    // Within the cooldown nobody hammers the dead host.
    let fetches = server.fetch_count();
    assert_eq!(call(&layer, &token).await.status, 503);
    assert_eq!(server.fetch_count(), fetches);
    // Back up, and once the cooldown has passed the next request succeeds.
    server.set_unavailable(false);
    clock.advance(Duration::from_secs(6));
    assert_eq!(call(&layer, &token).await.status, 200);
}

#[tokio::test]
async fn a_refused_connection_is_503_not_500() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    drop(listener);
    let (layer, _clock) = layer_for(&format!("http://{addr}/.well-known/jwks.json"));
    let answer = call(&layer, &TestIssuer::new().token("u").sign()).await;
    assert_eq!(answer.status, 503);
}

#[tokio::test]
async fn a_server_that_never_answers_is_bounded_by_the_fetch_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&held);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            keep.lock().map(|mut v| v.push(stream)).ok(); // accept, never answer
        }
    });
    let (layer, _clock) = layer_for(&format!("http://{addr}/.well-known/jwks.json"));
    let started = Instant::now();
    let answer = tokio::time::timeout(
        Duration::from_secs(10),
        call(&layer, &TestIssuer::new().token("u").sign()),
    )
    .await
    .unwrap_or_else(|_| panic!("the request hung past any fetch timeout"));
    assert_eq!(answer.status, 503);
    // Answered: the 500 ms fetch timeout bounded it (the 10 s guard above never fired).
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut log) = self.0.lock() {
            log.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn garbage_jwks_is_a_clear_logged_error_not_a_panic() {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 12\r\nconnection: close\r\n\r\n{\"keys\": [}]")
                .await;
        }
    });
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (layer, _clock) = layer_for(&format!("http://{addr}/.well-known/jwks.json"));
    let token = TestIssuer::new().token("u").sign();
    let answer = call(&layer, &token).await;
    assert_eq!(answer.status, 503);
    let text =
        String::from_utf8_lossy(&log.0.lock().map(|v| v.clone()).unwrap_or_default()).into_owned();
    assert!(
        text.to_lowercase().contains("json"),
        "log should name the problem: {text}"
    );
    assert!(
        text.contains(&addr.to_string()),
        "log should name the URI: {text}"
    );
    assert!(!text.contains(&token), "the token must never be logged");
    // The state rides along for observability.
    let service = ServiceBuilder::new().layer(layer).service_fn(ok);
    let response = service
        .oneshot(bearer(&token))
        .await
        .unwrap_or_else(|e| match e {});
    assert!(matches!(
        response.extensions().get::<SessionState>(),
        Some(SessionState::KeysUnavailable)
    ));
}
