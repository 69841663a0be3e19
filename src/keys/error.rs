//! Errors of the key store: building one ([`KeyStoreError`]) and fetching a JWKS ([`FetchError`]).

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use http::StatusCode;

/// A boxed error from the HTTP client, a response body or TLS setup.
pub(crate) type BoxError = Box<dyn StdError + Send + Sync>;

/// Why a [`KeyStore`](super::KeyStore) could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum KeyStoreError {
    /// The builder was given no JWKS URI.
    NoUri,
    /// A JWKS URI does not parse as an absolute URI.
    InvalidUri {
        /// The URI as given.
        uri: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A JWKS URI's scheme is neither `http` nor `https`.
    UnsupportedScheme {
        /// The URI as given.
        uri: String,
    },
    /// A JWKS URI carries `user:password@`; the JWKS is public and needs no credentials.
    CredentialsInUri,
    /// A duration setting has a value the store cannot work with.
    InvalidSetting {
        /// The builder method.
        setting: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// An extra root certificate could not be read.
    InvalidCertificate {
        /// What is wrong with it.
        reason: String,
    },
    /// The TLS client could not be configured.
    Tls(Box<dyn StdError + Send + Sync>),
    /// The static JWKS is not a JWKS (`{"keys":[...]}`).
    InvalidJwks(serde_json::Error),
    /// The static JWKS lists keys, but none this crate can verify with.
    NoUsableKey {
        /// How many JWKs were skipped (each is logged with the reason).
        skipped: usize,
    },
}

impl fmt::Display for KeyStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoUri => f.write_str(
                "no JWKS URI: call `KeyStoreBuilder::jwks_uri` (for SuperTokens: \
                 `<connectionURI>/.well-known/jwks.json`) or use `KeyStore::from_jwks_json`",
            ),
            Self::InvalidUri { uri, reason } => {
                write!(f, "invalid JWKS URI `{uri}`: {reason}")
            }
            Self::UnsupportedScheme { uri } => {
                write!(f, "unsupported JWKS URI `{uri}`: the scheme must be http or https")
            }
            Self::CredentialsInUri => f.write_str(
                "a JWKS URI contains credentials (`user:password@`); the JWKS is public, remove them",
            ),
            Self::InvalidSetting { setting, reason } => {
                write!(f, "invalid key store setting `{setting}`: {reason}")
            }
            Self::InvalidCertificate { reason } => {
                write!(f, "invalid root certificate: {reason}")
            }
            Self::Tls(source) => write!(f, "could not configure TLS for JWKS fetches: {source}"),
            Self::InvalidJwks(source) => {
                write!(f, "the static JWKS is not a JWKS (`{{\"keys\":[...]}}`): {source}")
            }
            Self::NoUsableKey { skipped } => write!(
                f,
                "the static JWKS has no usable key ({skipped} skipped; only RSA signing keys \
                 with a kid are used, see the logged warnings)"
            ),
        }
    }
}

impl StdError for KeyStoreError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Self::Tls(source) => Some(&**source),
            Self::InvalidJwks(source) => Some(source),
            _ => None,
        }
    }
}

/// Why fetching the JWKS failed. Every variant names the URI it concerns.
#[derive(Debug)]
#[non_exhaustive]
pub enum FetchError {
    /// No complete answer within the fetch timeout (connect and the whole response).
    Timeout {
        /// The JWKS URI.
        uri: String,
        /// The configured fetch timeout.
        timeout: Duration,
    },
    /// The connection (TCP or TLS) could not be established.
    Connect {
        /// The JWKS URI.
        uri: String,
        /// The underlying error.
        source: Box<dyn StdError + Send + Sync>,
    },
    /// The request failed after connecting.
    Request {
        /// The JWKS URI.
        uri: String,
        /// The underlying error.
        source: Box<dyn StdError + Send + Sync>,
    },
    /// The server answered with a status other than 200.
    Status {
        /// The JWKS URI.
        uri: String,
        /// The status received.
        status: StatusCode,
    },
    /// The response body exceeded the limit.
    BodyTooLarge {
        /// The JWKS URI.
        uri: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// Reading the response body failed.
    Body {
        /// The JWKS URI.
        uri: String,
        /// The underlying error.
        source: Box<dyn StdError + Send + Sync>,
    },
    /// The body is not a JWKS (`{"keys":[...]}`).
    InvalidJson {
        /// The JWKS URI.
        uri: String,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// The JWKS has no key this crate can verify with.
    NoUsableKey {
        /// The JWKS URI.
        uri: String,
        /// How many JWKs were skipped (each is logged with the reason).
        skipped: usize,
    },
}

impl FetchError {
    /// The JWKS URI this error concerns.
    #[must_use]
    pub fn uri(&self) -> &str {
        match self {
            Self::Timeout { uri, .. }
            | Self::Connect { uri, .. }
            | Self::Request { uri, .. }
            | Self::Status { uri, .. }
            | Self::BodyTooLarge { uri, .. }
            | Self::Body { uri, .. }
            | Self::InvalidJson { uri, .. }
            | Self::NoUsableKey { uri, .. } => uri,
        }
    }
}

/// The innermost cause of an error: the part that says what actually went wrong
/// ("Connection refused", "invalid peer certificate: UnknownIssuer").
fn root_cause<'a>(error: &'a (dyn StdError + 'static)) -> &'a (dyn StdError + 'static) {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout { uri, timeout } => write!(
                f,
                "fetching the JWKS from {uri} timed out after {} ms; is the host reachable?",
                timeout.as_millis()
            ),
            Self::Connect { uri, source } => write!(
                f,
                "could not connect to the JWKS host of {uri}: {}",
                root_cause(&**source)
            ),
            Self::Request { uri, source } => {
                write!(
                    f,
                    "the JWKS request to {uri} failed: {}",
                    root_cause(&**source)
                )
            }
            Self::Status { uri, status } => write!(
                f,
                "the JWKS URI {uri} answered {status}, expected 200 OK (SuperTokens core: \
                 `<connectionURI>/.well-known/jwks.json`)"
            ),
            Self::BodyTooLarge { uri, limit } => {
                write!(f, "the JWKS from {uri} is larger than {limit} bytes")
            }
            Self::Body { uri, source } => write!(
                f,
                "reading the JWKS from {uri} failed: {}",
                root_cause(&**source)
            ),
            Self::InvalidJson { uri, source } => write!(
                f,
                "the answer from {uri} is not a JWKS (`{{\"keys\":[...]}}`): {source}"
            ),
            Self::NoUsableKey { uri, skipped } => write!(
                f,
                "the JWKS from {uri} has no usable key ({skipped} skipped; only RSA signing keys \
                 with a kid are used, see the logged warnings)"
            ),
        }
    }
}

impl StdError for FetchError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Self::Connect { source, .. }
            | Self::Request { source, .. }
            | Self::Body { source, .. } => Some(&**source),
            Self::InvalidJson { source, .. } => Some(source),
            _ => None,
        }
    }
}
