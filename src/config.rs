//! SessionConfig: everything the layer needs to decide a request's session state.
//!
//! ```
//! use std::time::Duration;
//! use tower_supertokens::{AntiCsrf, KeyStore, SessionConfig, SigningKeyKind, TokenTransport};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = KeyStore::from_jwks_json(r#"{"keys":[]}"#)?;
//! let config = SessionConfig::new(keys)
//!     .token_transport(TokenTransport::Any)
//!     .anti_csrf(AntiCsrf::ViaCustomHeader)
//!     .signing_key_kind(SigningKeyKind::Dynamic)
//!     .leeway(Duration::ZERO);
//! # let _ = config;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::Algorithm;

use crate::claims::{ClaimValidator, SharedValidator};
use crate::clock::{Clock, SharedClock, SystemClock};
use crate::keys::KeyStore;
use crate::reject::RequestKind;
use crate::reject::page::PageConfig;

/// Decides whether a request is a page load or an API call.
pub(crate) type RequestKindFn = Arc<dyn Fn(&http::request::Parts) -> RequestKind + Send + Sync>;

/// Largest access token the layer reads; longer ones are Unauthorised before any decoding.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Where the access token may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenTransport {
    /// `Authorization: Bearer` or the cookie; the header wins (the SDK's `"any"`).
    #[default]
    Any,
    /// Only the access token cookie.
    Cookie,
    /// Only `Authorization: Bearer`.
    Header,
}

/// Anti-CSRF protection for cookie-transported tokens on non-GET requests (SPEC §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AntiCsrf {
    /// No check (the SDK default for same-site setups).
    #[default]
    None,
    /// A `rid` header must be present, with any value (the SDK default cross-site).
    ViaCustomHeader,
    /// The `anti-csrf` header must equal the token's `antiCsrfToken`.
    ViaToken,
}

/// Which signing key kind is accepted, after `useDynamicAccessTokenSigningKey`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SigningKeyKind {
    /// Only dynamic keys (`kid` starting with `d-`): the SDK default (`true`).
    #[default]
    Dynamic,
    /// Only static keys (anything else): `useDynamicAccessTokenSigningKey: false`.
    Static,
    /// Either kind (no check).
    Any,
}

impl SigningKeyKind {
    /// Whether a token signed with key `kid` is accepted.
    pub(crate) fn accepts(self, kid: &str) -> bool {
        match self {
            Self::Dynamic => kid.starts_with("d-"),
            Self::Static => !kid.starts_with("d-"),
            Self::Any => true,
        }
    }
}

/// The configuration of a [`SessionLayer`](crate::SessionLayer).
#[derive(Clone)]
pub struct SessionConfig {
    pub(crate) keys: KeyStore,
    pub(crate) transport: TokenTransport,
    pub(crate) cookie_name: String,
    pub(crate) anti_csrf: AntiCsrf,
    pub(crate) key_kind: SigningKeyKind,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) leeway: Duration,
    pub(crate) audience: Option<Vec<String>>,
    pub(crate) issuer: Option<Vec<String>>,
    pub(crate) clock: SharedClock,
    pub(crate) validators: Vec<SharedValidator>,
    pub(crate) pages: PageConfig,
    pub(crate) request_kind: Option<RequestKindFn>,
    pub(crate) verified_token_cache: usize,
}

impl SessionConfig {
    /// The SuperTokens defaults: token from header or cookie `sAccessToken`, no anti-CSRF,
    /// dynamic keys only, RS256 only, no leeway, `aud`/`iss` not checked, system clock,
    /// no claim validators.
    #[must_use]
    pub fn new(keys: KeyStore) -> Self {
        Self {
            keys,
            transport: TokenTransport::Any,
            cookie_name: "sAccessToken".to_owned(),
            anti_csrf: AntiCsrf::None,
            key_kind: SigningKeyKind::Dynamic,
            algorithms: vec![Algorithm::RS256],
            leeway: Duration::ZERO,
            audience: None,
            issuer: None,
            clock: Arc::new(SystemClock),
            validators: Vec::new(),
            pages: PageConfig::default(),
            request_kind: None,
            verified_token_cache: crate::token::cache::DEFAULT_CAPACITY,
        }
    }

    /// Where the token may come from (default [`TokenTransport::Any`]).
    #[must_use]
    pub fn token_transport(mut self, transport: TokenTransport) -> Self {
        self.transport = transport;
        self
    }

    /// The access token cookie's name (default `sAccessToken`).
    #[must_use]
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = name.into();
        self
    }

    /// The anti-CSRF mode (default [`AntiCsrf::None`]).
    #[must_use]
    pub fn anti_csrf(mut self, mode: AntiCsrf) -> Self {
        self.anti_csrf = mode;
        self
    }

    /// Which key kind is accepted (default [`SigningKeyKind::Dynamic`]).
    #[must_use]
    pub fn signing_key_kind(mut self, kind: SigningKeyKind) -> Self {
        self.key_kind = kind;
        self
    }

    /// The accepted signature algorithms (default RS256 only). Only RSA algorithms
    /// (`RS*`, `PS*`) can be enabled: HMAC and `none` are always refused, since a JWKS
    /// publishes public keys.
    #[must_use]
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms
            .into_iter()
            .filter(|alg| {
                matches!(
                    alg,
                    Algorithm::RS256
                        | Algorithm::RS384
                        | Algorithm::RS512
                        | Algorithm::PS256
                        | Algorithm::PS384
                        | Algorithm::PS512
                )
            })
            .collect();
        self
    }

    /// Clock tolerance for `exp` and `nbf` (default zero, as the SDK).
    #[must_use]
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Require `aud` to contain one of these (default: `aud` ignored, as the SDK).
    #[must_use]
    pub fn audience<I, S>(mut self, audience: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.audience = Some(audience.into_iter().map(Into::into).collect());
        self
    }

    /// Require `iss` to be one of these (default: `iss` ignored, as the SDK).
    #[must_use]
    pub fn issuer<I, S>(mut self, issuer: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.issuer = Some(issuer.into_iter().map(Into::into).collect());
        self
    }

    /// The clock (default the system clock).
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Adds a claim validator run for every request (SuperTokens' global validators).
    #[must_use]
    pub fn validate_claim(mut self, validator: impl ClaimValidator) -> Self {
        self.validators.push(Arc::new(validator));
        self
    }

    /// Where page answers send the browser (login, refresh, claim pages).
    #[must_use]
    pub fn pages(mut self, pages: PageConfig) -> Self {
        self.pages = pages;
        self
    }

    /// Replaces the page-load detection (default [`RequestKind::detect`]).
    #[must_use]
    pub fn request_kind<F>(mut self, detect: F) -> Self
    where
        F: Fn(&http::request::Parts) -> RequestKind + Send + Sync + 'static,
    {
        self.request_kind = Some(Arc::new(detect));
        self
    }

    /// Whether `request` is a page load or an API call, per this configuration.
    #[must_use]
    pub fn kind_of(&self, request: &http::request::Parts) -> RequestKind {
        match &self.request_kind {
            Some(detect) => detect(request),
            None => RequestKind::detect(&request.method, &request.headers),
        }
    }

    /// How many distinct verified tokens each layer remembers, to skip the RSA signature
    /// check when the same token comes again (default 4096; 0 disables). Only the
    /// signature is skipped, and only while the same keys are published: expiry, claims and
    /// every other check run on every request.
    #[must_use]
    pub fn verified_token_cache(mut self, capacity: usize) -> Self {
        self.verified_token_cache = capacity;
        self
    }

    /// The key store.
    #[must_use]
    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }
}

impl fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionConfig")
            .field("transport", &self.transport)
            .field("cookie_name", &self.cookie_name)
            .field("anti_csrf", &self.anti_csrf)
            .field("key_kind", &self.key_kind)
            .field("algorithms", &self.algorithms)
            .field("leeway", &self.leeway)
            .field("audience", &self.audience)
            .field("issuer", &self.issuer)
            .field("validators", &self.validators.len())
            .field("pages", &self.pages)
            .field("verified_token_cache", &self.verified_token_cache)
            .finish_non_exhaustive()
    }
}
