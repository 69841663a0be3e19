//! Which crypto backend verifies signatures.
//!
//! jsonwebtoken 12 picks its backend from a process-wide default that panics on first use
//! when both or neither of its backends are compiled in. This crate never asks for that
//! default: it hands the backend's provider to jsonwebtoken explicitly, so feature
//! unification (`--all-features`) cannot turn into a panic at request time.
//!
//! With both `aws-lc-rs` and `rust-crypto` enabled, `aws-lc-rs` is used.

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
compile_error!(
    "tower-supertokens needs a crypto backend: enable the `aws-lc-rs` (default) or the `rust-crypto` feature"
);

use jsonwebtoken::crypto::CryptoProvider;

/// The jsonwebtoken provider this build uses.
#[cfg(feature = "aws-lc-rs")]
pub(crate) fn provider() -> &'static CryptoProvider {
    &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER
}

/// The jsonwebtoken provider this build uses.
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
pub(crate) fn provider() -> &'static CryptoProvider {
    &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER
}

/// The rustls provider used for `https` JWKS URIs.
#[cfg(feature = "aws-lc-rs")]
pub(crate) fn tls_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// The rustls provider used for `https` JWKS URIs.
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
pub(crate) fn tls_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// Name of the backend compiled in: `"aws-lc-rs"` or `"rust-crypto"`.
pub const BACKEND: &str = if cfg!(feature = "aws-lc-rs") {
    "aws-lc-rs"
} else {
    "rust-crypto"
};
