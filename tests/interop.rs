//! Tokens minted by real SuperTokens cores (shared/vectors/published-vectors.json), through
//! the layer with an injected clock.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use serde_json::Value;
use tower::{ServiceBuilder, ServiceExt};
use tower_supertokens::clock::ManualClock;
use tower_supertokens::{
    KeyStore, Session, SessionConfig, SessionLayer, SessionState, SigningKeyKind, TryRefreshReason,
};

const VECTORS: &str = include_str!("fixtures/published-vectors.json");

struct Vector {
    token: String,
    jwks: String,
    at: u64,
}

fn vector(name: &str) -> Vector {
    let all: Value = serde_json::from_str(VECTORS).unwrap_or_else(|e| panic!("vectors: {e}"));
    let entry = all
        .as_array()
        .and_then(|list| list.iter().find(|v| v["name"] == name))
        .unwrap_or_else(|| panic!("no vector {name}"));
    Vector {
        token: entry["token"].as_str().unwrap_or_default().to_owned(),
        jwks: entry["jwks"].to_string(),
        at: entry["verifyAtUnixSeconds"].as_u64().unwrap_or_default(),
    }
}

async fn state_for(vector: &Vector, token: &str, kind: SigningKeyKind) -> SessionState {
    let keys = KeyStore::from_jwks_json(&vector.jwks).unwrap_or_else(|e| panic!("jwks: {e}"));
    let config = SessionConfig::new(keys)
        .clock(ManualClock::at_unix_seconds(vector.at))
        .signing_key_kind(kind);
    let service = ServiceBuilder::new()
        .layer(SessionLayer::optional(config))
        .service_fn(|request: Request<Full<Bytes>>| async move {
            let mut response = Response::new(Full::<Bytes>::default());
            if let Some(state) = request.extensions().get::<SessionState>().cloned() {
                response.extensions_mut().insert(state);
            }
            Ok::<_, Infallible>(response)
        });
    let request = Request::get("/")
        .header("cookie", format!("sAccessToken={token}"))
        .body(Full::default())
        .unwrap_or_default();
    let response = service
        .oneshot(request)
        .await
        .unwrap_or_else(|e| match e {});
    response
        .extensions()
        .get::<SessionState>()
        .cloned()
        .unwrap_or_else(|| panic!("no state inserted"))
}

fn session(state: SessionState) -> Session {
    match state {
        SessionState::Valid(session) => session,
        other => panic!("expected a valid session, got {other}"),
    }
}

#[tokio::test]
async fn v4_dynamic_key_token_from_a_real_core_verifies() {
    let v = vector("litellm-v4-dynamic-key");
    let session = session(state_for(&v, &v.token, SigningKeyKind::Dynamic).await);
    assert_eq!(session.user_id(), "81b3e52a-67a6-4efb-9645-70527e101479");
    assert_eq!(
        session.recipe_user_id(),
        "81b3e52a-67a6-4efb-9645-70527e101479"
    );
    assert_eq!(
        session.session_handle(),
        "883f8aaf-e091-4a57-8a2a-4b2702faf33c"
    );
    assert_eq!(session.tenant_id(), Some("public"));
    assert_eq!(session.token_version(), 4);
    assert_eq!(session.email_verified(), Some(false));
}

#[tokio::test]
async fn v5_static_key_token_needs_the_static_setting() {
    let v = vector("appstractive-v5-static-key");
    let state = state_for(&v, &v.token, SigningKeyKind::Dynamic).await;
    assert!(
        matches!(
            state,
            SessionState::TryRefresh(TryRefreshReason::KeyKindMismatch)
        ),
        "{state}"
    );
    for kind in [SigningKeyKind::Static, SigningKeyKind::Any] {
        let session = session(state_for(&v, &v.token, kind).await);
        assert_eq!(session.user_id(), "fa448aab-f071-414a-9b72-248e123bb5b2");
        assert_eq!(
            session.recipe_user_id(),
            "fa448aab-f071-414a-9b72-248e123bb5b2"
        );
        assert_eq!(
            session.session_handle(),
            "f42cab62-76cc-4ee5-992c-9a3a78ebac62"
        );
        assert_eq!(session.tenant_id(), Some("public"));
        // A bare `"st-ev": false` is not a SuperTokens claim value.
        assert_eq!(session.email_verified(), None);
    }
}

#[tokio::test]
async fn the_published_tampered_token_fails() {
    let v = vector("appstractive-v5-tampered");
    let state = state_for(&v, &v.token, SigningKeyKind::Any).await;
    assert!(
        matches!(
            state,
            SessionState::TryRefresh(TryRefreshReason::InvalidSignature)
        ),
        "{state}"
    );
}

#[tokio::test]
async fn one_altered_byte_in_either_token_fails() {
    for name in ["litellm-v4-dynamic-key", "appstractive-v5-static-key"] {
        let v = vector(name);
        let bytes = v.token.as_bytes();
        // Header, payload and signature positions, away from segment ends.
        let dots: Vec<usize> = v.token.match_indices('.').map(|(i, _)| i).collect();
        for position in [
            5,
            dots[0] + 10,
            dots[1] - 10,
            dots[1] + 10,
            bytes.len() - 10,
        ] {
            let mut altered = bytes.to_vec();
            altered[position] = if altered[position] == b'A' {
                b'B'
            } else {
                b'A'
            };
            let altered = String::from_utf8(altered).unwrap_or_default();
            let state = state_for(&v, &altered, SigningKeyKind::Any).await;
            assert!(
                !matches!(state, SessionState::Valid(_)),
                "{name}: byte {position} altered still verified"
            );
        }
    }
}

#[tokio::test]
async fn both_vectors_expire_at_their_exp() {
    let mut v = vector("litellm-v4-dynamic-key");
    v.at = 1_733_507_877; // exp
    let state = state_for(&v, &v.token.clone(), SigningKeyKind::Dynamic).await;
    assert!(
        matches!(state, SessionState::TryRefresh(TryRefreshReason::Expired)),
        "{state}"
    );
}

/// `--all-features` compiles both backends; jsonwebtoken would panic on its first decode
/// ("Could not automatically determine the process-level CryptoProvider"). We never ask
/// for that default, and aws-lc-rs is the documented choice.
#[cfg(all(feature = "aws-lc-rs", feature = "rust-crypto"))]
#[tokio::test]
async fn both_backends_enabled_verifies_with_aws_lc_rs_and_never_panics() {
    assert!(jsonwebtoken::crypto::CryptoProvider::try_get_default().is_none());
    assert_eq!(tower_supertokens::CRYPTO_BACKEND, "aws-lc-rs");
    let v = vector("litellm-v4-dynamic-key");
    let state = state_for(&v, &v.token, SigningKeyKind::Dynamic).await;
    assert!(matches!(state, SessionState::Valid(_)), "{state}");
    // And we did not install a process-wide default behind the user's back.
    assert!(jsonwebtoken::crypto::CryptoProvider::try_get_default().is_none());
}

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
#[test]
fn rust_crypto_alone_is_the_backend() {
    assert_eq!(tower_supertokens::CRYPTO_BACKEND, "rust-crypto");
}
