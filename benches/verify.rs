//! One full verification, measured three ways in the same run so the report gives ratios:
//!
//! - `layer/required-uncached`: a request with a Bearer token through
//!   `SessionLayer::required` with the verified-token cache off: the full verification
//!   (extract, parse, key lookup from the warm key cache, RS256 verify, times, claims, state);
//! - `layer/required`: the same with the default verified-token cache (the same token on
//!   every request of a session skips only the RSA check);
//! - `layer/none`: the same request to the bare handler (the cost of the layer is the
//!   difference);
//! - `peer/jsonwebtoken-decode`: plain `jsonwebtoken::decode` of the same token with an
//!   RS256 `Validation` (what a hand-rolled JWT layer does per request).
//!
//! The crypto backend is the one compiled in: run once per backend,
//! `cargo bench --bench verify` (aws-lc-rs) and
//! `cargo bench --bench verify --no-default-features --features rust-crypto,test-util`.

use std::convert::Infallible;
use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http::{Request, Response};
use http_body_util::Full;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use tower::util::BoxCloneService;
use tower::{Service, ServiceBuilder, ServiceExt};
use tower_supertokens::testing::TestIssuer;
use tower_supertokens::{CRYPTO_BACKEND, SessionConfig, SessionLayer};

async fn handler(_request: Request<Full<Bytes>>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"ok"))))
}

fn request(token: &str) -> Request<Full<Bytes>> {
    Request::get("/api/user")
        .header("authorization", format!("Bearer {token}"))
        .body(Full::default())
        .unwrap_or_default()
}

fn install_peer_provider() {
    // jsonwebtoken's own decode needs a process-wide provider when both backends are on.
    #[cfg(feature = "aws-lc-rs")]
    let provider = &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
    let provider = &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
    let _ = provider.install_default();
}

fn bench(c: &mut Criterion) {
    install_peer_provider();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let issuer = TestIssuer::new();
    let token = issuer.token("bench-user").sign();
    let config = SessionConfig::new(issuer.key_store());

    let mut group = c.benchmark_group(format!("verify/{CRYPTO_BACKEND}"));
    let with_layer = |config: SessionConfig| {
        BoxCloneService::new(
            ServiceBuilder::new()
                .map_response(|response: Response<_>| response.status())
                .layer(SessionLayer::required(config))
                .service_fn(handler),
        )
    };
    let services = [
        (
            "layer/required-uncached",
            with_layer(config.clone().verified_token_cache(0)),
        ),
        ("layer/required", with_layer(config)),
        (
            "layer/none",
            BoxCloneService::new(
                ServiceBuilder::new()
                    .map_response(|response: Response<_>| response.status())
                    .service_fn(handler),
            ),
        ),
    ];
    for (name, mut service) in services {
        group.bench_function(name, |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let ready = service.ready().await.unwrap_or_else(|e| match e {});
                    let status = ready
                        .call(request(&token))
                        .await
                        .unwrap_or_else(|e| match e {});
                    assert_eq!(status, 200);
                    black_box(status)
                })
            });
        });
    }

    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_str(&issuer.jwks_json()).unwrap_or_else(|e| panic!("jwks: {e}"));
    let key = DecodingKey::from_jwk(&jwks.keys[0]).unwrap_or_else(|e| panic!("key: {e}"));
    let mut validation = Validation::new(Algorithm::RS256);
    validation.leeway = 0;
    validation.validate_aud = false;
    group.bench_function("peer/jsonwebtoken-decode", |b| {
        b.iter(|| {
            let data =
                jsonwebtoken::decode::<serde_json::Value>(black_box(&token), &key, &validation);
            assert!(data.is_ok());
            black_box(data)
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
