//! Load test against loopback servers, three in one run so the report gives ratios:
//! the same axum route with no auth, behind `SessionLayer::required`, and behind a
//! hand-written `jsonwebtoken::decode` middleware (the usual peer).
//!
//! `cargo bench --bench load` (bounded: REQUESTS per server, CONCURRENCY connections,
//! 127.0.0.1 only). Set `LOAD_REQUESTS` to change the count.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::routing::get;
use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use tower_supertokens::testing::TestIssuer;
use tower_supertokens::{CRYPTO_BACKEND, SessionConfig, SessionLayer};

const CONCURRENCY: usize = 32;

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("addr: {e}"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

async fn drive(addr: SocketAddr, token: Arc<str>, requests: usize) -> (Duration, usize) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let per_task = requests / CONCURRENCY;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let client = client.clone();
        let token = Arc::clone(&token);
        tasks.push(tokio::spawn(async move {
            let mut ok = 0;
            for _ in 0..per_task {
                let request = http::Request::get(format!("http://{addr}/api/user"))
                    .header("authorization", format!("Bearer {token}"))
                    .body(Empty::new())
                    .unwrap_or_default();
                let Ok(response) = client.request(request).await else {
                    continue;
                };
                let status = response.status();
                let _ = response.into_body().collect().await;
                ok += usize::from(status == StatusCode::OK);
            }
            ok
        }));
    }
    let mut ok = 0;
    for task in tasks {
        ok += task.await.unwrap_or(0);
    }
    (start.elapsed(), ok)
}

#[tokio::main]
async fn main() -> Result<(), Infallible> {
    let requests: usize = std::env::var("LOAD_REQUESTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    #[cfg(feature = "aws-lc-rs")]
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
    let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();

    let issuer = TestIssuer::new();
    let token: Arc<str> = issuer.token("load-user").sign().into();
    let route = || Router::new().route("/api/user", get(|| async { "ok" }));

    let bare = serve(route()).await;
    let layered = serve(route().layer(SessionLayer::required(SessionConfig::new(
        issuer.key_store(),
    ))))
    .await;

    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_str(&issuer.jwks_json()).unwrap_or_else(|e| panic!("jwks: {e}"));
    let key = Arc::new(DecodingKey::from_jwk(&jwks.keys[0]).unwrap_or_else(|e| panic!("key: {e}")));
    let peer = serve(
        route().layer(middleware::from_fn(move |request: Request, next: Next| {
            let key = Arc::clone(&key);
            async move {
                let mut validation = Validation::new(Algorithm::RS256);
                validation.validate_aud = false;
                let token = request
                    .headers()
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .map(str::to_owned);
                match token
                    .map(|t| jsonwebtoken::decode::<serde_json::Value>(&t, &key, &validation))
                {
                    Some(Ok(_)) => next.run(request).await,
                    _ => StatusCode::UNAUTHORIZED.into_response(),
                }
            }
        })),
    )
    .await;

    // Warm up connections and the key cache.
    for addr in [bare, layered, peer] {
        drive(addr, Arc::clone(&token), CONCURRENCY * 10).await;
    }
    println!(
        "load test: {requests} requests per server, {CONCURRENCY} connections, backend {CRYPTO_BACKEND}"
    );
    let mut rates = Vec::new();
    for (name, addr) in [
        ("no auth", bare),
        ("tower-supertokens", layered),
        ("jsonwebtoken middleware", peer),
    ] {
        let (elapsed, ok) = drive(addr, Arc::clone(&token), requests).await;
        let rate = ok as f64 / elapsed.as_secs_f64();
        println!("{name:>24}: {ok} ok in {elapsed:.2?} ({rate:.0} req/s)");
        rates.push(rate);
    }
    println!(
        "ratios: tower-supertokens / no auth = {:.2}, tower-supertokens / jsonwebtoken middleware = {:.2}",
        rates[1] / rates[0],
        rates[1] / rates[2]
    );
    Ok(())
}
