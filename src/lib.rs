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

pub use config::{AntiCsrf, MAX_TOKEN_BYTES, SessionConfig, SigningKeyKind, TokenTransport};
pub use crypto::BACKEND as CRYPTO_BACKEND;
pub use keys::KeyStore;
pub use state::{Session, SessionState, TokenSource, TryRefreshReason, UnauthorisedReason};
