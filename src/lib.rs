//! SuperTokens sessions for every tower server.
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
