//! KeyStore: the published signing keys access tokens are verified against.
//!
//! [`KeyStore`] (fetching, caching, static sets) is documented on the type; `jwks`
//! judges JWKs, `fetch` talks HTTP, `cache` decides when to fetch.
//!
//! ```
//! use tower_supertokens::KeyStore;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = KeyStore::from_jwks_json(r#"{"keys":[]}"#)?;
//! assert!(keys.key_ids().is_empty());
//! # Ok(())
//! # }
//! ```

mod cache;
mod error;
mod fetch;
mod jwks;

#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::uri::Scheme;
use http::{Request, Response, Uri};
use http_body_util::Empty;
use jsonwebtoken::{Algorithm, DecodingKey};
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use self::cache::{Policy, RemoteKeys};
use self::error::BoxError;
pub use self::error::{FetchError, KeyStoreError};
use self::fetch::{Fetcher, HttpClient, boxed_client, default_client};
use self::jwks::{KeySet, parse_jwks};
use crate::clock::{Clock, SharedClock, SystemClock};

/// Default [`KeyStoreBuilder::max_age`]: 4 h, as the SuperTokens SDK.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(4 * 60 * 60);
/// Default [`KeyStoreBuilder::refetch_cooldown`].
const DEFAULT_REFETCH_COOLDOWN: Duration = Duration::from_secs(5);
/// Default [`KeyStoreBuilder::fetch_timeout`], as jose's.
const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Default [`KeyStoreBuilder::stale_if_error`].
const DEFAULT_STALE_IF_ERROR: Duration = Duration::from_secs(24 * 60 * 60);

/// One usable public key from a JWKS.
pub(crate) struct VerifyingKey {
    /// The JWK's `alg`, when it names one; the token's algorithm must then equal it.
    pub(crate) alg: Option<Algorithm>,
    /// The parsed public key.
    pub(crate) key: DecodingKey,
}

/// What the key cache knows about a `kid`.
pub(crate) enum KeyLookup {
    /// The keys published under this kid (usually one).
    Found(Arc<[VerifyingKey]>),
    /// The key set is fresh (or was just refetched) and has no such kid.
    UnknownKid,
    /// No usable key for this kid is cached and the key set could not be fetched (or the
    /// last fetch failed, within the cooldown): the JWKS host is failing.
    Unavailable,
}

/// The published signing keys, fetched from JWKS URIs or given statically. Cheap to clone:
/// clones share the cache.
///
/// A `KeyStore` holds the RSA keys of a JWKS, parsed once. It either fetches them from
/// one or more JWKS URIs (for SuperTokens: `<connectionURI>/.well-known/jwks.json`) and
/// caches them, or holds a static JWKS given as JSON.
///
/// A fetching store verifies requests from its cache without any network call or async
/// lock. It fetches when:
/// - nothing is cached yet (or [`KeyStore::refresh`] is called, e.g. at startup);
/// - the cached set is older than `max_age` (4 h): the request is still answered from the
///   cache and the refresh runs in the background;
/// - a token names a kid the cache does not have (key rotation), at most once per
///   `refetch_cooldown` (5 s), so a flood of forged kids causes at most one fetch per
///   cooldown.
///
/// Concurrent misses share one fetch. When the JWKS host is down, cached keys keep
/// verifying for `stale_if_error` (24 h) past `max_age`; with no usable key the layer
/// answers 503 with `Retry-After` instead of logging the user out.
///
/// Fetching needs a Tokio runtime with IO and time enabled.
///
/// ```
/// use tower_supertokens::KeyStore;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // A static key set, e.g. for tests (a real `n` is the base64url RSA modulus).
/// let jwks = r#"{"keys":[{"kty":"RSA","kid":"s-2de612a5-a5ba-413e-9216-4c43e2e78c86",
///     "n":"w7Zdfmece8iaB0kiTY8pCtiBtzbptJmP28nSWwtdjRu0f2GFpajvWE4VhfJA","e":"AQAB",
///     "alg":"RS256","use":"sig"}]}"#;
/// let keys = KeyStore::from_jwks_json(jwks)?;
/// assert_eq!(keys.key_ids(), ["s-2de612a5-a5ba-413e-9216-4c43e2e78c86"]);
///
/// // Keys fetched from the SuperTokens core, with the defaults.
/// let keys = KeyStore::from_jwks_uri("http://localhost:3567/.well-known/jwks.json")?;
/// # let _ = keys;
/// # Ok(())
/// # }
/// ```
///
/// With settings, and a warm-up fetch at startup:
///
/// ```no_run
/// use std::time::Duration;
/// use tower_supertokens::KeyStore;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let keys = KeyStore::builder()
///     .jwks_uri("https://core-1.example.com/.well-known/jwks.json")
///     .jwks_uri("https://core-2.example.com/.well-known/jwks.json")
///     .refetch_cooldown(Duration::from_secs(10))
///     .add_root_certificate_pem(&std::fs::read("internal-ca.pem")?)?
///     .build()?;
/// let count = keys.refresh().await?;
/// println!("{count} signing keys: {:?}", keys.key_ids());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct KeyStore {
    source: Source,
}

#[derive(Clone)]
enum Source {
    Static(Arc<KeySet>),
    Remote(Arc<RemoteKeys>),
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("KeyStore");
        match &self.source {
            Source::Static(keys) => debug.field("source", &"static").field("keys", &keys.len()),
            Source::Remote(remote) => {
                let uris: Vec<String> = remote
                    .fetcher()
                    .uris()
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                debug
                    .field("jwks_uris", &uris)
                    .field("keys", &remote.snapshot().keys.len())
            }
        };
        debug.finish_non_exhaustive()
    }
}

impl KeyStore {
    /// Answers from the cache alone, without waiting. `None` means the caller must await
    /// [`KeyStore::resolve`] (cold cache, or an unknown kid outside the cooldown).
    pub(crate) fn cached(&self, kid: &str) -> Option<KeyLookup> {
        match &self.source {
            Source::Static(keys) => Some(static_lookup(keys, kid)),
            Source::Remote(remote) => remote.cached(kid),
        }
    }

    /// Fetches if needed (single-flight) and looks the kid up again.
    pub(crate) async fn resolve(&self, kid: &str) -> KeyLookup {
        match &self.source {
            Source::Static(keys) => static_lookup(keys, kid),
            Source::Remote(remote) => remote.resolve(kid).await,
        }
    }

    /// How long a client should wait before retrying when keys are unavailable: the rest
    /// of the refetch cooldown, in whole seconds, at least one.
    pub(crate) fn retry_after(&self) -> Duration {
        match &self.source {
            Source::Static(_) => Duration::from_secs(1),
            Source::Remote(remote) => remote.retry_after(),
        }
    }

    /// A key store with a static JWKS (`{"keys":[...]}`); it never fetches.
    ///
    /// JWKs this crate cannot use (not RSA, not for signatures, no kid, ...) are skipped
    /// with a warning. An empty `keys` array is accepted (every token then has an unknown
    /// kid).
    ///
    /// # Errors
    /// [`KeyStoreError::InvalidJwks`] when the JSON is not a JWKS, and
    /// [`KeyStoreError::NoUsableKey`] when it lists keys but none is usable.
    pub fn from_jwks_json(json: &str) -> Result<Self, KeyStoreError> {
        let keys = parse_jwks(json.as_bytes()).map_err(KeyStoreError::InvalidJwks)?;
        if keys.is_empty() && keys.skipped() > 0 {
            return Err(KeyStoreError::NoUsableKey {
                skipped: keys.skipped(),
            });
        }
        Ok(Self {
            source: Source::Static(Arc::new(keys)),
        })
    }

    /// A key store fetching from `uri` with the default settings. Nothing is fetched until
    /// the first token needs a key or [`KeyStore::refresh`] is called.
    ///
    /// # Errors
    /// When the URI is not an absolute `http` or `https` URI, or TLS cannot be set up.
    pub fn from_jwks_uri(uri: &str) -> Result<Self, KeyStoreError> {
        Self::builder().jwks_uri(uri).build()
    }

    /// A builder for a fetching key store.
    pub fn builder() -> KeyStoreBuilder {
        KeyStoreBuilder::new()
    }

    /// Fetches the JWKS now, whatever the cache holds, and returns the number of usable
    /// keys. Call it at startup to warm the cache and to fail early on a wrong URI. A
    /// static store returns its key count without fetching.
    ///
    /// # Errors
    /// The [`FetchError`] of the last URI tried. The cache keeps its previous keys.
    pub async fn refresh(&self) -> Result<usize, FetchError> {
        match &self.source {
            Source::Static(keys) => Ok(keys.len()),
            Source::Remote(remote) => remote.refresh().await,
        }
    }

    /// The kids of the cached keys, in JWKS order (empty before the first fetch).
    #[must_use]
    pub fn key_ids(&self) -> Vec<String> {
        match &self.source {
            Source::Static(keys) => keys.key_ids(),
            Source::Remote(remote) => remote.snapshot().keys.key_ids(),
        }
    }
}

fn static_lookup(keys: &KeySet, kid: &str) -> KeyLookup {
    keys.get(kid).map_or(KeyLookup::UnknownKid, |found| {
        KeyLookup::Found(Arc::clone(found))
    })
}

/// Builds a [`KeyStore`] that fetches its keys from JWKS URIs. Start with
/// [`KeyStore::builder`].
#[must_use]
pub struct KeyStoreBuilder {
    uris: Vec<String>,
    policy: Policy,
    fetch_timeout: Duration,
    clock: SharedClock,
    extra_roots: RootCertStore,
    client: Option<HttpClient>,
}

impl fmt::Debug for KeyStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyStoreBuilder")
            .field("jwks_uris", &self.uris)
            .field("max_age", &self.policy.max_age)
            .field("refetch_cooldown", &self.policy.cooldown)
            .field("stale_if_error", &self.policy.stale_if_error)
            .field("fetch_timeout", &self.fetch_timeout)
            .field("extra_roots", &self.extra_roots.len())
            .field("custom_http_client", &self.client.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for KeyStoreBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyStoreBuilder {
    fn new() -> Self {
        Self {
            uris: Vec::new(),
            policy: Policy {
                max_age: DEFAULT_MAX_AGE,
                cooldown: DEFAULT_REFETCH_COOLDOWN,
                stale_if_error: DEFAULT_STALE_IF_ERROR,
            },
            fetch_timeout: DEFAULT_FETCH_TIMEOUT,
            clock: Arc::new(SystemClock),
            extra_roots: RootCertStore::empty(),
            client: None,
        }
    }

    /// Adds a JWKS URI (`http` or `https`). Call it several times for several hosts: they
    /// are tried in order and the first that answers with a usable key set wins, as for
    /// SuperTokens' `;`-separated `connectionURI`.
    pub fn jwks_uri(mut self, uri: impl Into<String>) -> Self {
        self.uris.push(uri.into());
        self
    }

    /// Age after which the key set is refetched (in the background; requests keep being
    /// answered from the cache). Default: 4 hours, as the SuperTokens SDK.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.policy.max_age = max_age;
        self
    }

    /// Least time between two fetch attempts caused by unknown kids, staleness or
    /// failures, counted from the end of the last attempt. Default: 5 seconds. Any value
    /// under SuperTokens' 60 s publish-before-use overlap picks up rotated keys in time.
    pub fn refetch_cooldown(mut self, cooldown: Duration) -> Self {
        self.policy.cooldown = cooldown;
        self
    }

    /// Time allowed for one fetch from one URI: connecting (TCP and TLS) and reading the
    /// whole response. Default: 5 seconds. Must not be zero.
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// How long past `max_age` cached keys keep verifying while refetches fail, so an
    /// outage of the JWKS host does not end sessions. Default: 24 hours.
    pub fn stale_if_error(mut self, window: Duration) -> Self {
        self.policy.stale_if_error = window;
        self
    }

    /// The clock every cache decision reads (max age, cooldown, stale window). Default:
    /// the system clock. Tests pass a [`ManualClock`](crate::clock::ManualClock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Trusts the certificates of a PEM bundle as roots for `https` JWKS URIs, in
    /// addition to the platform's roots. Not used with [`KeyStoreBuilder::http_client`].
    ///
    /// # Errors
    /// When the PEM holds no certificate or a certificate cannot be used as a root.
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Result<Self, KeyStoreError> {
        let mut added = 0_usize;
        for certificate in CertificateDer::pem_slice_iter(pem) {
            let certificate = certificate.map_err(|error| KeyStoreError::InvalidCertificate {
                reason: error.to_string(),
            })?;
            self.add_root(certificate)?;
            added += 1;
        }
        if added == 0 {
            return Err(KeyStoreError::InvalidCertificate {
                reason: "no `-----BEGIN CERTIFICATE-----` block found".to_owned(),
            });
        }
        Ok(self)
    }

    /// Trusts a DER-encoded certificate as a root for `https` JWKS URIs, in addition to
    /// the platform's roots. Not used with [`KeyStoreBuilder::http_client`].
    ///
    /// # Errors
    /// When the certificate cannot be used as a root.
    pub fn add_root_certificate_der(mut self, der: &[u8]) -> Result<Self, KeyStoreError> {
        self.add_root(CertificateDer::from(der.to_vec()))?;
        Ok(self)
    }

    fn add_root(&mut self, certificate: CertificateDer<'_>) -> Result<(), KeyStoreError> {
        self.extra_roots
            .add(certificate)
            .map_err(|error| KeyStoreError::InvalidCertificate {
                reason: error.to_string(),
            })
    }

    /// Fetches with `client` instead of the built-in hyper-util client: any tower HTTP
    /// service, e.g. a hyper-util client with your own connector or proxy, or a
    /// `tower::service_fn` in tests. The fetch timeout, status check and size limit still
    /// apply; extra root certificates do not.
    pub fn http_client<S, B>(mut self, client: S) -> Self
    where
        S: tower::Service<Request<Empty<Bytes>>, Response = Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
        B: http_body::Body + Send + 'static,
        B::Error: Into<BoxError>,
    {
        self.client = Some(boxed_client(client));
        self
    }

    /// Builds the store. Nothing is fetched yet.
    ///
    /// # Errors
    /// [`KeyStoreError::NoUri`] without a JWKS URI, URI errors, a zero fetch timeout, or
    /// a TLS setup failure.
    pub fn build(self) -> Result<KeyStore, KeyStoreError> {
        if self.uris.is_empty() {
            return Err(KeyStoreError::NoUri);
        }
        if self.fetch_timeout.is_zero() {
            return Err(KeyStoreError::InvalidSetting {
                setting: "fetch_timeout",
                reason: "must be greater than zero",
            });
        }
        let uris = self
            .uris
            .iter()
            .map(|uri| parse_uri(uri))
            .collect::<Result<Vec<_>, _>>()?;
        let client = match self.client {
            Some(client) => client,
            None => {
                // Reading the platform's roots is start-up work only https URIs need.
                let any_https = uris.iter().any(|uri| uri.scheme() == Some(&Scheme::HTTPS));
                default_client(&self.extra_roots, self.fetch_timeout, any_https)?
            }
        };
        let fetcher = Fetcher::new(client, uris, self.fetch_timeout);
        Ok(KeyStore {
            source: Source::Remote(Arc::new(RemoteKeys::new(fetcher, self.policy, self.clock))),
        })
    }
}

/// An absolute `http`/`https` URI without credentials.
fn parse_uri(text: &str) -> Result<Uri, KeyStoreError> {
    let uri: Uri =
        text.parse()
            .map_err(|error: http::uri::InvalidUri| KeyStoreError::InvalidUri {
                uri: text.to_owned(),
                reason: error.to_string(),
            })?;
    let Some(authority) = uri.authority() else {
        return Err(KeyStoreError::InvalidUri {
            uri: text.to_owned(),
            reason: "not an absolute URI (expected `http(s)://host[:port]/path`)".to_owned(),
        });
    };
    if authority.as_str().contains('@') {
        return Err(KeyStoreError::CredentialsInUri);
    }
    match uri.scheme_str() {
        Some(scheme)
            if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
        {
            Ok(uri)
        }
        _ => Err(KeyStoreError::UnsupportedScheme {
            uri: text.to_owned(),
        }),
    }
}
