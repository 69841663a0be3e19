//! The state of a request's session: [`SessionState`], [`Session`] and the reasons a token
//! was not accepted.
//!
//! [`SessionLayer`](crate::SessionLayer) inserts exactly one `SessionState` into the
//! extensions of every request it lets through. Each variant maps onto one answer of
//! SuperTokens' backend SDK (SPEC §4):
//!
//! | state | SuperTokens answer |
//! |---|---|
//! | [`SessionState::Valid`] | the handler runs |
//! | [`SessionState::NoToken`] | 401 `{"message":"unauthorised"}` |
//! | [`SessionState::Unauthorised`] | 401 `{"message":"unauthorised"}` |
//! | [`SessionState::TryRefresh`] | 401 `{"message":"try refresh token"}` |
//! | [`SessionState::InvalidClaims`] | 403 `{"message":"invalid claim", ...}` |
//! | [`SessionState::KeysUnavailable`] | 503 (a deliberate difference, see the README) |
//!
//! ```
//! use tower_supertokens::{Session, SessionState};
//!
//! fn greeting(state: &SessionState) -> String {
//!     match state {
//!         SessionState::Valid(session) => format!("hello {}", session.user_id()),
//!         SessionState::NoToken => "hello stranger".to_owned(),
//!         other => format!("please sign in again ({other})"),
//!     }
//! }
//! assert_eq!(greeting(&SessionState::NoToken), "hello stranger");
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::claims::ClaimValidationError;

/// Where the access token was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenSource {
    /// The access token cookie (`sAccessToken` by default).
    Cookie,
    /// `Authorization: Bearer <token>`.
    Header,
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Cookie => "cookie",
            Self::Header => "header",
        })
    }
}

/// What the layer found out about the request's session.
#[derive(Debug, Clone)]
pub enum SessionState {
    /// A verified access token whose claims passed every validator.
    Valid(Session),
    /// No access token was sent (or none that parsed).
    NoToken,
    /// The token may become valid after a refresh: expired, unknown key, bad signature,
    /// failed anti-CSRF check, and the other cases of [`TryRefreshReason`].
    TryRefresh(TryRefreshReason),
    /// The token can never become valid; the user must sign in again.
    Unauthorised(UnauthorisedReason),
    /// The session is valid but at least one claim validator failed.
    InvalidClaims(Vec<ClaimValidationError>),
    /// No key could verify the token because the JWKS could not be fetched.
    KeysUnavailable,
}

impl SessionState {
    /// The session, if the state is [`SessionState::Valid`].
    #[must_use]
    pub fn session(&self) -> Option<&Session> {
        match self {
            Self::Valid(session) => Some(session),
            _ => None,
        }
    }

    /// Whether the request carried an access token, like `hasToken` in SuperTokens' SSR
    /// helpers: false only for [`SessionState::NoToken`].
    #[must_use]
    pub fn has_token(&self) -> bool {
        !matches!(self, Self::NoToken)
    }

    /// The name of the variant, as the examples print it: `"Valid"`, `"NoToken"`,
    /// `"TryRefresh"`, `"Unauthorised"`, `"InvalidClaims"` or `"KeysUnavailable"`.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Valid(_) => "Valid",
            Self::NoToken => "NoToken",
            Self::TryRefresh(_) => "TryRefresh",
            Self::Unauthorised(_) => "Unauthorised",
            Self::InvalidClaims(_) => "InvalidClaims",
            Self::KeysUnavailable => "KeysUnavailable",
        }
    }
}

impl fmt::Display for SessionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Valid(session) => write!(f, "valid session of user {}", session.user_id()),
            Self::NoToken => f.write_str("no access token"),
            Self::TryRefresh(reason) => write!(f, "try refresh: {reason}"),
            Self::Unauthorised(reason) => write!(f, "unauthorised: {reason}"),
            Self::InvalidClaims(errors) => {
                f.write_str("invalid claims:")?;
                for error in errors {
                    write!(f, " {}", error.id)?;
                }
                Ok(())
            }
            Self::KeysUnavailable => f.write_str("signing keys unavailable"),
        }
    }
}

/// Why a token needs a refresh before it can be accepted (SuperTokens' `TRY_REFRESH_TOKEN`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TryRefreshReason {
    /// `exp` is not after the current second.
    Expired,
    /// `nbf` is in the future.
    NotYetValid,
    /// The signature does not verify with the key named by `kid`.
    InvalidSignature,
    /// The token's algorithm is not allowed, or does not fit the key.
    AlgorithmNotAllowed,
    /// No published key has the token's `kid`, even after a refetch.
    UnknownKeyId,
    /// The `kid` kind (`d-` dynamic, `s-` static) does not match the configuration
    /// (`useDynamicAccessTokenSigningKey` in the SDK).
    KeyKindMismatch,
    /// The anti-CSRF check failed (missing `rid` header, or `anti-csrf` header mismatch).
    AntiCsrf,
    /// The `Cookie` header holds more than one access token cookie.
    DuplicateCookies,
    /// The legacy `sIdRefreshToken` cookie is present.
    LegacyCookie,
    /// A v1/v2 token from a pre-2022 core; a refresh yields a current token.
    LegacyTokenVersion,
}

impl fmt::Display for TryRefreshReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Expired => "the access token has expired",
            Self::NotYetValid => "the access token is not valid yet (nbf)",
            Self::InvalidSignature => "the access token signature does not verify",
            Self::AlgorithmNotAllowed => "the access token algorithm is not allowed",
            Self::UnknownKeyId => "no published key has the access token's kid",
            Self::KeyKindMismatch => {
                "the access token doesn't match the useDynamicAccessTokenSigningKey setting"
            }
            Self::AntiCsrf => "anti-csrf check failed",
            Self::DuplicateCookies => "the request contains more than one access token cookie",
            Self::LegacyCookie => "the legacy sIdRefreshToken cookie is present",
            Self::LegacyTokenVersion => "legacy (v1/v2) access token",
        })
    }
}

/// Why a token can never be accepted (SuperTokens' `UNAUTHORISED`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnauthorisedReason {
    /// The token is not a well-formed JWT (segments, base64url, JSON).
    Malformed(&'static str),
    /// The token is longer than the size limit.
    TooLarge,
    /// The header or payload lacks a SuperTokens field or has it with the wrong type.
    InvalidStructure(&'static str),
    /// `stt` is present and not 0: an OAuth token, not a session access token.
    WrongTokenType,
    /// The token's `aud` or `iss` is not one the configuration accepts.
    WrongAudienceOrIssuer,
}

impl fmt::Display for UnauthorisedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(what) => write!(f, "malformed access token: {what}"),
            Self::TooLarge => f.write_str("access token too large"),
            Self::InvalidStructure(what) => write!(f, "invalid access token structure: {what}"),
            Self::WrongTokenType => f.write_str("wrong token type"),
            Self::WrongAudienceOrIssuer => f.write_str("audience or issuer not accepted"),
        }
    }
}

/// A verified SuperTokens session. Cheap to clone.
///
/// Its `Debug` output never contains the access token.
#[derive(Clone)]
pub struct Session {
    inner: Arc<SessionInner>,
}

struct SessionInner {
    access_token: String,
    source: TokenSource,
    version: u32,
    user_id: String,
    recipe_user_id: String,
    tenant_id: Option<String>,
    session_handle: String,
    expires_at: SystemTime,
    payload: Map<String, Value>,
}

/// The verified fields a [`Session`] is built from.
pub(crate) struct SessionParts {
    pub(crate) access_token: String,
    pub(crate) source: TokenSource,
    pub(crate) version: u32,
    pub(crate) payload: Map<String, Value>,
}

/// `sanitizeStringInput` of the SDK: strings are trimmed, anything else is absent.
fn sanitized_string(payload: &Map<String, Value>, key: &str) -> Option<String> {
    payload
        .get(key)
        .and_then(Value::as_str)
        .map(|s| s.trim().to_owned())
}

/// `exp` (seconds, possibly fractional) as a time. A signed token may carry any number:
/// values past what `SystemTime` holds are clamped to the latest time it can add, never a
/// panic.
fn expiry_time(exp: f64) -> SystemTime {
    /// About 292 billion years: far past any token, and addable to `UNIX_EPOCH` everywhere.
    const LATEST: Duration = Duration::from_secs(i64::MAX as u64 / 1_000);
    if exp.is_nan() || exp <= 0.0 {
        return UNIX_EPOCH;
    }
    let after_epoch = Duration::try_from_secs_f64(exp).map_or(LATEST, |d| d.min(LATEST));
    UNIX_EPOCH
        .checked_add(after_epoch)
        .unwrap_or(UNIX_EPOCH + LATEST)
}

impl Session {
    /// Builds a session from a payload whose structure was already checked.
    pub(crate) fn from_parts(parts: SessionParts) -> Self {
        let payload = parts.payload;
        let user_id = sanitized_string(&payload, "sub").unwrap_or_default();
        let recipe_user_id = sanitized_string(&payload, "rsub").unwrap_or_else(|| user_id.clone());
        let tenant_id = if parts.version >= 4 {
            sanitized_string(&payload, "tId")
        } else {
            Some("public".to_owned())
        };
        let session_handle = sanitized_string(&payload, "sessionHandle").unwrap_or_default();
        let expires_at = payload
            .get("exp")
            .and_then(Value::as_f64)
            .map_or(UNIX_EPOCH, expiry_time);
        Self {
            inner: Arc::new(SessionInner {
                access_token: parts.access_token,
                source: parts.source,
                version: parts.version,
                user_id,
                recipe_user_id,
                tenant_id,
                session_handle,
                expires_at,
                payload,
            }),
        }
    }

    /// The user id (`sub`), trimmed as the SDK's `getUserId()` does.
    #[must_use]
    pub fn user_id(&self) -> &str {
        &self.inner.user_id
    }

    /// The recipe user id: `rsub` for v5 tokens, else the user id.
    #[must_use]
    pub fn recipe_user_id(&self) -> &str {
        &self.inner.recipe_user_id
    }

    /// The tenant id: `tId` for v4 and later (`None` when the token has none), `"public"`
    /// for v3.
    #[must_use]
    pub fn tenant_id(&self) -> Option<&str> {
        self.inner.tenant_id.as_deref()
    }

    /// The session handle.
    #[must_use]
    pub fn session_handle(&self) -> &str {
        &self.inner.session_handle
    }

    /// When the access token expires (`exp`).
    #[must_use]
    pub fn expires_at(&self) -> SystemTime {
        self.inner.expires_at
    }

    /// The access token version (3, 4, 5, or higher).
    #[must_use]
    pub fn token_version(&self) -> u32 {
        self.inner.version
    }

    /// The whole access token payload, as the SDK's `getAccessTokenPayload()`.
    #[must_use]
    pub fn payload(&self) -> &Map<String, Value> {
        &self.inner.payload
    }

    /// A top-level payload entry deserialised into `T`, or `None` when absent or of
    /// another shape.
    #[must_use]
    pub fn claim<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.inner
            .payload
            .get(key)
            .and_then(|value| T::deserialize(value).ok())
    }

    /// The value `v` of a SuperTokens claim stored as `{"v": ..., "t": ...}`.
    #[must_use]
    pub fn claim_value<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.inner
            .payload
            .get(key)
            .and_then(|claim| claim.get("v"))
            .and_then(|value| T::deserialize(value).ok())
    }

    /// `st-ev`: whether the email is verified, if the claim is present.
    #[must_use]
    pub fn email_verified(&self) -> Option<bool> {
        self.claim_value("st-ev")
    }

    /// `st-role`: the user's roles, if the claim is present.
    #[must_use]
    pub fn roles(&self) -> Option<Vec<String>> {
        self.claim_value("st-role")
    }

    /// `st-perm`: the user's permissions, if the claim is present.
    #[must_use]
    pub fn permissions(&self) -> Option<Vec<String>> {
        self.claim_value("st-perm")
    }

    /// The raw access token, to forward to an upstream API as a Bearer token.
    #[must_use]
    pub fn access_token(&self) -> &str {
        &self.inner.access_token
    }

    /// Where the access token was read from.
    #[must_use]
    pub fn token_source(&self) -> TokenSource {
        self.inner.source
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("user_id", &self.inner.user_id)
            .field("recipe_user_id", &self.inner.recipe_user_id)
            .field("tenant_id", &self.inner.tenant_id)
            .field("session_handle", &self.inner.session_handle)
            .field("expires_at", &self.inner.expires_at)
            .field("token_source", &self.inner.source)
            .field("access_token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session_with_exp(exp: Value) -> Session {
        let mut payload = Map::new();
        payload.insert("sub".into(), Value::from(" user "));
        payload.insert("exp".into(), exp);
        Session::from_parts(SessionParts {
            access_token: "secret-token".into(),
            source: TokenSource::Cookie,
            version: 5,
            payload,
        })
    }

    #[test]
    fn any_exp_a_signed_token_carries_gives_a_time_without_panicking() {
        let huge = serde_json::from_str::<Value>("1e300").unwrap_or(Value::Null);
        for exp in [
            huge,
            Value::from(f64::MAX),
            Value::from(-5),
            Value::from(0),
            Value::from(1.5e19),
        ] {
            let _ = session_with_exp(exp).expires_at();
        }
        let fractional = session_with_exp(Value::from(1_733_507_877.5));
        assert_eq!(
            fractional.expires_at(),
            UNIX_EPOCH + Duration::from_millis(1_733_507_877_500)
        );
    }

    #[test]
    fn debug_never_prints_the_token_and_user_id_is_trimmed() {
        let session = session_with_exp(Value::from(1));
        assert_eq!(session.user_id(), "user");
        assert!(!format!("{session:?}").contains("secret-token"));
    }
}
