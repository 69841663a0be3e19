//! SuperTokens sessions for every tower server: axum, hyper, tonic, Leptos on axum.
//!
//! [`SessionLayer`] finds the SuperTokens access token of each request (the `sAccessToken`
//! cookie or `Authorization: Bearer`), verifies it against the JWKS of your SuperTokens
//! core with cached keys ([`KeyStore`]), checks its SuperTokens structure, anti-CSRF and
//! claims ([`claims`]) as supertokens-node's `verifySession` does, and inserts a
//! [`SessionState`] into the request extensions. In required mode it answers by itself
//! with SuperTokens' own responses ([`reject::api`]) for API calls and the SSR guide's
//! answers ([`reject::page`]) for page loads.
//!
//! ```
//! use std::convert::Infallible;
//! use bytes::Bytes;
//! use http::{Request, Response};
//! use http_body_util::Full;
//! use tower::{Service, ServiceBuilder, ServiceExt};
//! use tower_supertokens::testing::TestIssuer;
//! use tower_supertokens::{Session, SessionConfig, SessionLayer};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // In production: KeyStore::from_jwks_uri("https://core.example.com/.well-known/jwks.json")?
//! let issuer = TestIssuer::new();
//! let keys = issuer.key_store();
//!
//! let mut service = ServiceBuilder::new()
//!     .layer(SessionLayer::required(SessionConfig::new(keys)))
//!     .service_fn(|request: Request<Full<Bytes>>| async move {
//!         let session = request.extensions().get::<Session>().cloned();
//!         let user = session.map(|s| s.user_id().to_owned()).unwrap_or_default();
//!         Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(user))))
//!     });
//!
//! let token = issuer.token("user-1").sign();
//! let request = Request::get("/api/user")
//!     .header("cookie", format!("sAccessToken={token}"))
//!     .body(Full::default())?;
//! let response = service.ready().await?.call(request).await?;
//! assert_eq!(response.status(), 200);
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//! - `aws-lc-rs` (default) / `rust-crypto`: the crypto backend of jsonwebtoken and rustls.
//!   With both enabled, aws-lc-rs is used (never a panic); with neither, a compile error.
//! - `axum`: [`Session`], [`SessionState`] and `Option<Session>` extractors.
//! - `test-util`: [`testing::TestIssuer`], which mints SuperTokens-shaped tokens and serves
//!   a JWKS on loopback, for your own tests.
#![warn(missing_docs)]
#![deny(unsafe_code, unreachable_pub)]

pub mod claims;
pub mod clock;
mod config;
mod crypto;
mod keys;
mod state;
mod token;

#[cfg(feature = "test-util")]
pub mod testing;

pub use config::{AntiCsrf, MAX_TOKEN_BYTES, SessionConfig, SigningKeyKind, TokenTransport};
pub use crypto::BACKEND as CRYPTO_BACKEND;
pub use keys::{FetchError, KeyStore, KeyStoreBuilder, KeyStoreError};
pub use state::{Session, SessionState, TokenSource, TryRefreshReason, UnauthorisedReason};
mod csrf;
mod layer;
pub mod reject;
pub mod upstream;

pub use layer::{
    RequireClaims, RequireClaimsLayer, ResponseBody, ResponseFuture, SessionLayer, SessionService,
};
#[cfg(feature = "axum")]
pub mod axum;
pub use upstream::{ForwardSessionLayer, SessionResponse};

/// The README's code blocks, compiled as doctests so they never rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
