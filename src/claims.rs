//! Claim validators: `st-ev`, `st-role`, `st-perm`, `st-mfa` and your own.
//!
//! A validator looks at the payload of an already verified access token and either passes
//! or returns the [`ClaimValidationError`] SuperTokens' backend SDK would put in the 403
//! body, `{"message":"invalid claim","claimValidationErrors":[...]}` (SPEC §4, §6):
//!
//! | validator | SDK equivalent | id |
//! |---|---|---|
//! | [`EmailVerified::is_verified`] | `EmailVerificationClaim.validators.isVerified()` | `st-ev` |
//! | [`HasRole::includes`] and friends | `UserRoleClaim.validators.includes(...)` | `st-role` |
//! | [`HasPermission::includes`] and friends | `PermissionClaim.validators.includes(...)` | `st-perm` |
//! | [`MfaCompleted::new`] | `MultiFactorAuthClaim.validators.hasCompletedMFARequirementsForAuth()` | `st-mfa` |
//! | [`custom`], or any `Fn(&Session) -> Result<(), ClaimValidationError>` | your own validator | yours |
//!
//! Failure reasons have the SDK's fields in the SDK's order. Checks run as in the SDK:
//! a missing value first (`"value does not exist"`), then the age when a
//! [`max_age`](EmailVerified::max_age) is set (`"expired"`), then the value itself
//! (`"wrong value"`).
//!
//! Unlike the SDK, nothing is refetched from the SuperTokens core: a missing or too old
//! claim simply fails its validator. Time comes from the layer's clock, never from the
//! system clock directly.
//!
//! ```
//! use std::time::Duration;
//! use tower_supertokens::claims::{ClaimValidationError, EmailVerified, HasRole, custom};
//!
//! // Validators are plain values, built once and shared by every request.
//! let _verified = EmailVerified::is_verified().max_age(Duration::from_secs(300));
//! let _admin = HasRole::includes("admin");
//! let _beta = custom("beta", |session| session.claim_value::<bool>("beta") == Some(true));
//!
//! // Failures serialise exactly as SuperTokens sends them; `reason` may be absent.
//! let error = ClaimValidationError { id: "st-role".to_owned(), reason: None };
//! assert_eq!(serde_json::to_string(&error).unwrap(), r#"{"id":"st-role"}"#);
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::state::Session;
/// One failed claim, serialised exactly as SuperTokens does in `claimValidationErrors`:
/// `{"id": "...", "reason": {...}}`, `reason` omitted when there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimValidationError {
    /// The validator's id (`st-ev`, `st-role`, ... or an overridden id).
    pub id: String,
    /// Why it failed, in SuperTokens' shape (SPEC §13.7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Value>,
}

/// Checks one claim of a verified session.
pub trait ClaimValidator: Send + Sync + 'static {
    /// `Ok(())` when the claim holds, else the error SuperTokens would report.
    ///
    /// # Errors
    /// The [`ClaimValidationError`] to put in the 403 body.
    fn validate(&self, session: &Session, now: SystemTime) -> Result<(), ClaimValidationError>;
}

impl<F> ClaimValidator for F
where
    F: Fn(&Session) -> Result<(), ClaimValidationError> + Send + Sync + 'static,
{
    fn validate(&self, session: &Session, _now: SystemTime) -> Result<(), ClaimValidationError> {
        self(session)
    }
}

/// A validator shared between layers.
pub type SharedValidator = Arc<dyn ClaimValidator>;

/// Runs `validators` in order and collects every failure.
pub(crate) fn validate_all(
    validators: &[SharedValidator],
    session: &Session,
    now: SystemTime,
) -> Vec<ClaimValidationError> {
    validators
        .iter()
        .filter_map(|validator| validator.validate(session, now).err())
        .collect()
}

/// `payload[key]?.v` and `payload[key]?.t`: `None` when the SDK sees `v` as `undefined`.
///
/// Only an object holding a `v` key has a value; an absent key, `null`, or a bare value
/// such as `"st-ev": false` (SPEC §8.2) is missing. A `"v": null` is present.
fn claim_entry<'a>(session: &'a Session, key: &str) -> Option<(&'a Value, Option<f64>)> {
    let claim = session.payload().get(key)?.as_object()?;
    let value = claim.get("v")?;
    Some((value, claim.get("t").and_then(Value::as_f64)))
}

/// A reason object whose keys keep the given order on the wire.
fn reason<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect::<Map<_, _>>(),
    )
}

/// A number as `JSON.stringify` prints it: integral values without a fraction (`2`, not
/// `2.0`), non-finite ones as `null`.
fn js_number(x: f64) -> Value {
    const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
    if x.fract() == 0.0 && x.abs() <= MAX_SAFE_INTEGER {
        #[allow(clippy::cast_possible_truncation)] // integral and within ±2^53
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

/// The SDK's `"expired"` reason, when `max_age` is set and `t` (milliseconds) is strictly
/// older than it. The age is `(now - t) / 1000` seconds, fractional.
///
/// A `t` that is not a number never expires (the SDK computes `NaN` for a missing `t`).
fn expired(t: Option<f64>, max_age: Option<Duration>, now: SystemTime) -> Option<Value> {
    let max_age = max_age?.as_secs_f64();
    let t = t?;
    // `Date.now()`: whole milliseconds since the epoch.
    let now_ms = now.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    });
    #[allow(clippy::cast_precision_loss)] // exact below 2^53 ms, i.e. for 285 000 years
    let age = (now_ms as f64 - t) / 1000.0;
    (age > max_age).then(|| {
        reason([
            ("message", Value::from("expired")),
            ("ageInSeconds", js_number(age)),
            ("maxAgeInSeconds", js_number(max_age)),
        ])
    })
}

/// `st-ev`: the email verification claim (`EmailVerificationClaim` of the SDK).
///
/// ```
/// use std::time::Duration;
/// use tower_supertokens::claims::EmailVerified;
///
/// let validator = EmailVerified::is_verified().max_age(Duration::from_secs(600));
/// ```
///
/// Failure reasons, in the order they are checked:
/// - `{"message":"value does not exist","expectedValue":true}` when the token has no
///   `st-ev.v` (a bare `"st-ev": false` counts as missing, as in the SDK);
/// - `{"message":"expired","ageInSeconds":…,"maxAgeInSeconds":…}` when a
///   [`max_age`](Self::max_age) is set and `st-ev.t` is older;
/// - `{"message":"wrong value","expectedValue":true,"actualValue":false}` otherwise
///   (`actualValue` is whatever `v` holds, `null` included).
#[derive(Debug, Clone)]
pub struct EmailVerified {
    id: String,
    expected: bool,
    max_age: Option<Duration>,
}

impl EmailVerified {
    /// The payload key of the claim.
    pub const KEY: &'static str = "st-ev";

    /// Passes when the email is verified (`isVerified()` / `isTrue()` in the SDK).
    #[must_use]
    pub fn is_verified() -> Self {
        Self::has_value(true)
    }

    /// Passes when the email is *not* verified (`isFalse()` in the SDK), e.g. for the
    /// verification page itself.
    #[must_use]
    pub fn is_not_verified() -> Self {
        Self::has_value(false)
    }

    fn has_value(expected: bool) -> Self {
        Self {
            id: Self::KEY.to_owned(),
            expected,
            max_age: None,
        }
    }

    /// Fails with `"expired"` when the claim was fetched longer than `max_age` ago.
    /// Default: no limit, as the SDK.
    #[must_use]
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Reports failures under `id` instead of `st-ev`; the claim is still read from
    /// `st-ev`.
    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }
}

impl ClaimValidator for EmailVerified {
    fn validate(&self, session: &Session, now: SystemTime) -> Result<(), ClaimValidationError> {
        let fail = |reason| {
            Err(ClaimValidationError {
                id: self.id.clone(),
                reason: Some(reason),
            })
        };
        let Some((value, t)) = claim_entry(session, Self::KEY) else {
            return fail(reason([
                ("message", Value::from("value does not exist")),
                ("expectedValue", Value::from(self.expected)),
            ]));
        };
        if let Some(expired) = expired(t, self.max_age, now) {
            return fail(expired);
        }
        if *value != Value::Bool(self.expected) {
            return fail(reason([
                ("message", Value::from("wrong value")),
                ("expectedValue", Value::from(self.expected)),
                ("actualValue", value.clone()),
            ]));
        }
        Ok(())
    }
}

/// What an array validator checks, and the reason field naming the expectation.
#[derive(Debug, Clone)]
enum ArrayCheck {
    Includes(String),
    Excludes(String),
    IncludesAll(Vec<String>),
    IncludesAny(Vec<String>),
    ExcludesAll(Vec<String>),
}

impl ArrayCheck {
    /// The reason field and value of a "wrong value" failure.
    fn expectation(&self) -> (&'static str, Value) {
        match self {
            Self::Includes(item) => ("expectedToInclude", Value::from(item.as_str())),
            Self::Excludes(item) => ("expectedToNotInclude", Value::from(item.as_str())),
            Self::IncludesAll(items) => ("expectedToInclude", Value::from(items.clone())),
            Self::IncludesAny(items) => {
                ("expectedToIncludeAtLeastOneOf", Value::from(items.clone()))
            }
            Self::ExcludesAll(items) => ("expectedToNotInclude", Value::from(items.clone())),
        }
    }

    /// The reason field of a "value does not exist" failure. The SDK's `includesAny`
    /// says `expectedToNotInclude` here, a copy-paste slip reproduced on purpose.
    fn missing_field(&self) -> &'static str {
        match self {
            Self::IncludesAny(_) => "expectedToNotInclude",
            _ => self.expectation().0,
        }
    }

    /// Whether `value` (the claim's `v`) satisfies the check.
    fn passes(&self, value: &Value) -> bool {
        if !(value.is_array() || value.is_string()) {
            return false;
        }
        match self {
            Self::Includes(item) => includes(value, item),
            Self::Excludes(item) => !includes(value, item),
            Self::IncludesAll(items) => items.iter().all(|item| set_has(value, item)),
            Self::IncludesAny(items) => items.iter().any(|item| set_has(value, item)),
            Self::ExcludesAll(items) => !items.iter().any(|item| set_has(value, item)),
        }
    }
}

/// `claimVal.includes(item)`: array membership, or substring search on a string `v`.
fn includes(value: &Value, item: &str) -> bool {
    match value {
        Value::Array(values) => values.iter().any(|v| v.as_str() == Some(item)),
        Value::String(text) => text.contains(item),
        _ => false,
    }
}

/// `new Set(claimVal).has(item)`: array membership, or, on a string `v`, whether `item`
/// is one of its characters.
fn set_has(value: &Value, item: &str) -> bool {
    match value {
        Value::Array(values) => values.iter().any(|v| v.as_str() == Some(item)),
        Value::String(text) => {
            let mut chars = item.chars();
            matches!((chars.next(), chars.next()), (Some(c), None) if text.contains(c))
        }
        _ => false,
    }
}

/// The shared body of [`HasRole`] and [`HasPermission`] (`PrimitiveArrayClaim` in the SDK).
#[derive(Debug, Clone)]
struct ArrayRule {
    key: &'static str,
    id: String,
    check: ArrayCheck,
    max_age: Option<Duration>,
}

impl ArrayRule {
    fn new(key: &'static str, check: ArrayCheck) -> Self {
        Self {
            key,
            id: key.to_owned(),
            check,
            max_age: None,
        }
    }

    fn validate(&self, session: &Session, now: SystemTime) -> Result<(), ClaimValidationError> {
        let fail = |reason| {
            Err(ClaimValidationError {
                id: self.id.clone(),
                reason: Some(reason),
            })
        };
        let (field, expected) = self.check.expectation();
        let Some((value, t)) = claim_entry(session, self.key) else {
            return fail(reason([
                ("message", Value::from("value does not exist")),
                (self.check.missing_field(), expected),
            ]));
        };
        if let Some(expired) = expired(t, self.max_age, now) {
            return fail(expired);
        }
        if !self.check.passes(value) {
            return fail(reason([
                ("message", Value::from("wrong value")),
                (field, expected),
                ("actualValue", value.clone()),
            ]));
        }
        Ok(())
    }
}

fn strings<I, S>(items: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    items.into_iter().map(Into::into).collect()
}

macro_rules! array_validator {
    ($(#[$doc:meta])* $name:ident, key = $key:literal, item = $item:literal) => {
        $(#[$doc])*
        ///
        /// Failure reasons, in the order they are checked:
        #[doc = concat!(
            "- `{\"message\":\"value does not exist\",\"expectedToInclude\":…}` when the token has no `",
            $key,
            ".v` (the field is the one named below for each constructor);"
        )]
        #[doc = concat!(
            "- `{\"message\":\"expired\",\"ageInSeconds\":…,\"maxAgeInSeconds\":…}` when a ",
            "[`max_age`](Self::max_age) is set and `", $key, ".t` is older;"
        )]
        /// - `{"message":"wrong value","expectedToInclude":…,"actualValue":[…]}` otherwise.
        ///
        /// `v` is expected to be an array of strings. As in the SDK, a string `v` is
        /// searched as a string: `includes`/`excludes` match substrings, the `_all`/`_any`
        /// forms match single characters. Any other `v` (`null`, a number, an object) fails
        /// with `"wrong value"` for every check, where the SDK throws (500), or, for
        /// `excludesAll` on `null`, passes.
        #[derive(Debug, Clone)]
        pub struct $name(ArrayRule);

        impl $name {
            /// The payload key of the claim.
            pub const KEY: &'static str = $key;

            #[doc = concat!("Passes when the ", $item, "s include `", $item, "` (`includes`). ")]
            /// Reason field: `expectedToInclude`.
            #[must_use]
            pub fn includes(item: impl Into<String>) -> Self {
                Self(ArrayRule::new($key, ArrayCheck::Includes(item.into())))
            }

            #[doc = concat!("Passes when the ", $item, "s include every one of `items` (`includesAll`). ")]
            /// Reason field: `expectedToInclude`, holding the whole list.
            #[must_use]
            pub fn includes_all<I, S>(items: I) -> Self
            where
                I: IntoIterator<Item = S>,
                S: Into<String>,
            {
                Self(ArrayRule::new($key, ArrayCheck::IncludesAll(strings(items))))
            }

            #[doc = concat!("Passes when the ", $item, "s include at least one of `items` (`includesAny`). ")]
            /// Reason field: `expectedToIncludeAtLeastOneOf`, but `expectedToNotInclude`
            /// when the claim is missing (the SDK's slip, reproduced). An empty list never
            /// passes.
            #[must_use]
            pub fn includes_any<I, S>(items: I) -> Self
            where
                I: IntoIterator<Item = S>,
                S: Into<String>,
            {
                Self(ArrayRule::new($key, ArrayCheck::IncludesAny(strings(items))))
            }

            #[doc = concat!("Passes when the ", $item, "s do not include `", $item, "` (`excludes`). ")]
            /// Reason field: `expectedToNotInclude`.
            #[must_use]
            pub fn excludes(item: impl Into<String>) -> Self {
                Self(ArrayRule::new($key, ArrayCheck::Excludes(item.into())))
            }

            #[doc = concat!("Passes when the ", $item, "s include none of `items` (`excludesAll`). ")]
            /// Reason field: `expectedToNotInclude`, holding the whole list.
            #[must_use]
            pub fn excludes_all<I, S>(items: I) -> Self
            where
                I: IntoIterator<Item = S>,
                S: Into<String>,
            {
                Self(ArrayRule::new($key, ArrayCheck::ExcludesAll(strings(items))))
            }

            /// Fails with `"expired"` when the claim was fetched longer than `max_age` ago.
            /// Default: no limit, as the SDK.
            #[must_use]
            pub fn max_age(mut self, max_age: Duration) -> Self {
                self.0.max_age = Some(max_age);
                self
            }

            #[doc = concat!("Reports failures under `id` instead of `", $key, "`; the claim is still read from `", $key, "`.")]
            #[must_use]
            pub fn with_id(mut self, id: impl Into<String>) -> Self {
                self.0.id = id.into();
                self
            }
        }

        impl ClaimValidator for $name {
            fn validate(
                &self,
                session: &Session,
                now: SystemTime,
            ) -> Result<(), ClaimValidationError> {
                self.0.validate(session, now)
            }
        }
    };
}

array_validator! {
    /// `st-role`: the user's roles (`UserRoleClaim` of the SDK).
    ///
    /// ```
    /// use tower_supertokens::claims::HasRole;
    ///
    /// let admin = HasRole::includes("admin");
    /// let staff = HasRole::includes_any(["admin", "support"]);
    /// let not_banned = HasRole::excludes("banned");
    /// ```
    HasRole, key = "st-role", item = "role"
}

array_validator! {
    /// `st-perm`: the user's permissions, the union of their roles' permissions
    /// (`PermissionClaim` of the SDK).
    ///
    /// ```
    /// use tower_supertokens::claims::HasPermission;
    ///
    /// let editor = HasPermission::includes_all(["read:doc", "write:doc"]);
    /// ```
    HasPermission, key = "st-perm", item = "permission"
}

/// `st-mfa`: the user completed the MFA requirements for sign-in
/// (`MultiFactorAuthClaim.validators.hasCompletedMFARequirementsForAuth()`).
///
/// Passes when `st-mfa.v` is truthy in the JavaScript sense (`true`, a non-zero number, a
/// non-empty string, any array or object). Otherwise it fails:
/// - `"v": false` → `{"id":"st-mfa","reason":{"message":"MFA requirement for auth is not satisfied"}}`;
/// - any other falsy or missing `v` (`null`, `0`, `""`) → `{"id":"st-mfa"}`, with no reason,
///   as the SDK.
///
/// **Deliberate difference:** when the token has no `st-mfa` claim at all (or it is not an
/// object), the SDK throws and answers 500; this validator fails with no reason,
/// `{"id":"st-mfa"}`, so the client is sent to the MFA page rather than an error.
///
/// ```
/// use tower_supertokens::claims::MfaCompleted;
///
/// let mfa = MfaCompleted::new();
/// ```
#[derive(Debug, Clone)]
pub struct MfaCompleted {
    id: String,
}

impl MfaCompleted {
    /// The payload key of the claim.
    pub const KEY: &'static str = "st-mfa";

    /// The validator, reporting failures as `st-mfa`.
    #[must_use]
    pub fn new() -> Self {
        Self {
            id: Self::KEY.to_owned(),
        }
    }

    /// Reports failures under `id` instead of `st-mfa`; the claim is still read from
    /// `st-mfa`.
    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }
}

impl Default for MfaCompleted {
    fn default() -> Self {
        Self::new()
    }
}

/// JavaScript truthiness of a JSON value.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

impl ClaimValidator for MfaCompleted {
    fn validate(&self, session: &Session, _now: SystemTime) -> Result<(), ClaimValidationError> {
        let value = session
            .payload()
            .get(Self::KEY)
            .and_then(Value::as_object)
            .and_then(|claim| claim.get("v"));
        match value {
            Some(v) if truthy(v) => Ok(()),
            Some(Value::Bool(false)) => Err(ClaimValidationError {
                id: self.id.clone(),
                reason: Some(reason([(
                    "message",
                    Value::from("MFA requirement for auth is not satisfied"),
                )])),
            }),
            _ => Err(ClaimValidationError {
                id: self.id.clone(),
                reason: None,
            }),
        }
    }
}

/// A validator from a predicate; see [`custom`].
#[derive(Clone)]
pub struct Custom<F> {
    id: String,
    reason: Option<Value>,
    predicate: F,
}

/// A validator that passes when `predicate` returns `true`, and otherwise fails as
/// `{"id": id}` (or with the reason set by [`Custom::with_reason`]).
///
/// ```
/// use tower_supertokens::claims::custom;
///
/// let beta = custom("beta-tester", |session| {
///     session.claim_value::<bool>("beta") == Some(true)
/// })
/// .with_reason(serde_json::json!({"message": "beta testers only"}));
/// ```
///
/// For full control over the error, any `Fn(&Session) -> Result<(), ClaimValidationError>`
/// is a [`ClaimValidator`] too.
#[must_use]
pub fn custom<F>(id: impl Into<String>, predicate: F) -> Custom<F>
where
    F: Fn(&Session) -> bool + Send + Sync + 'static,
{
    Custom {
        id: id.into(),
        reason: None,
        predicate,
    }
}

impl<F> Custom<F> {
    /// The `reason` to report on failure (default: none, `{"id": ...}` only).
    #[must_use]
    pub fn with_reason(mut self, reason: Value) -> Self {
        self.reason = Some(reason);
        self
    }
}

impl<F> fmt::Debug for Custom<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Custom")
            .field("id", &self.id)
            .field("reason", &self.reason)
            .finish_non_exhaustive()
    }
}

impl<F> ClaimValidator for Custom<F>
where
    F: Fn(&Session) -> bool + Send + Sync + 'static,
{
    fn validate(&self, session: &Session, _now: SystemTime) -> Result<(), ClaimValidationError> {
        if (self.predicate)(session) {
            Ok(())
        } else {
            Err(ClaimValidationError {
                id: self.id.clone(),
                reason: self.reason.clone(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::state::{SessionParts, TokenSource};

    /// `t` of every claim in these tests, in milliseconds (SPEC §6).
    const T: u64 = 1_733_507_278_700;

    fn session(payload: Value) -> Session {
        let Value::Object(payload) = payload else {
            panic!("payload must be an object")
        };
        Session::from_parts(SessionParts {
            access_token: "a.b.c".to_owned(),
            source: TokenSource::Header,
            version: 5,
            payload,
        })
    }

    /// `T` plus `ms` milliseconds.
    fn after(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(T + ms)
    }

    /// `"ok"` or the serialised error, for `payload` checked `ms` after `T`.
    fn check_at(validator: &impl ClaimValidator, payload: Value, ms: u64) -> String {
        match validator.validate(&session(payload), after(ms)) {
            Ok(()) => "ok".to_owned(),
            Err(error) => serde_json::to_string(&error).unwrap(),
        }
    }

    fn check(validator: &impl ClaimValidator, payload: Value) -> String {
        check_at(validator, payload, 0)
    }

    fn claim(key: &str, v: Value) -> Value {
        json!({ "sub": "user", key: { "v": v, "t": T } })
    }

    // st-ev

    #[test]
    fn email_verified_passes_on_true() {
        let ok = check(&EmailVerified::is_verified(), claim("st-ev", json!(true)));
        assert_eq!(ok, "ok");
    }

    #[test]
    fn email_verified_wrong_value_matches_h5() {
        assert_eq!(
            check(&EmailVerified::is_verified(), claim("st-ev", json!(false))),
            r#"{"id":"st-ev","reason":{"message":"wrong value","expectedValue":true,"actualValue":false}}"#
        );
    }

    #[test]
    fn email_verified_missing_claim() {
        assert_eq!(
            check(&EmailVerified::is_verified(), json!({"sub": "user"})),
            r#"{"id":"st-ev","reason":{"message":"value does not exist","expectedValue":true}}"#
        );
    }

    #[test]
    fn email_verified_bare_false_counts_as_missing() {
        // The published v5 vector carries `"st-ev": false` (SPEC §8.2).
        assert_eq!(
            check(&EmailVerified::is_verified(), json!({"st-ev": false})),
            r#"{"id":"st-ev","reason":{"message":"value does not exist","expectedValue":true}}"#
        );
    }

    #[test]
    fn email_verified_removed_claim_and_missing_v_count_as_missing() {
        let missing =
            r#"{"id":"st-ev","reason":{"message":"value does not exist","expectedValue":true}}"#;
        assert_eq!(
            check(&EmailVerified::is_verified(), json!({"st-ev": null})),
            missing
        );
        assert_eq!(
            check(&EmailVerified::is_verified(), json!({"st-ev": {"t": T}})),
            missing
        );
    }

    #[test]
    fn email_verified_null_v_is_a_wrong_value() {
        // `null !== undefined` in the SDK, so `v: null` is present and wrong.
        assert_eq!(
            check(&EmailVerified::is_verified(), claim("st-ev", Value::Null)),
            r#"{"id":"st-ev","reason":{"message":"wrong value","expectedValue":true,"actualValue":null}}"#
        );
    }

    #[test]
    fn email_verified_only_true_is_true() {
        assert_eq!(
            check(&EmailVerified::is_verified(), claim("st-ev", json!(1))),
            r#"{"id":"st-ev","reason":{"message":"wrong value","expectedValue":true,"actualValue":1}}"#
        );
    }

    #[test]
    fn email_verified_expired_with_fractional_age() {
        let validator = EmailVerified::is_verified().max_age(Duration::from_secs(1));
        assert_eq!(
            check_at(&validator, claim("st-ev", json!(true)), 1_500),
            r#"{"id":"st-ev","reason":{"message":"expired","ageInSeconds":1.5,"maxAgeInSeconds":1}}"#
        );
    }

    #[test]
    fn email_verified_expiry_is_strict_and_checked_before_the_value() {
        let validator = EmailVerified::is_verified().max_age(Duration::from_millis(1_500));
        assert_eq!(
            check_at(&validator, claim("st-ev", json!(true)), 1_500),
            "ok"
        );
        assert_eq!(
            check_at(&validator, claim("st-ev", json!(false)), 2_000),
            r#"{"id":"st-ev","reason":{"message":"expired","ageInSeconds":2,"maxAgeInSeconds":1.5}}"#
        );
    }

    #[test]
    fn email_verified_missing_is_checked_before_expiry() {
        let validator = EmailVerified::is_verified().max_age(Duration::from_secs(1));
        assert_eq!(
            check_at(&validator, json!({"st-ev": false}), 60_000),
            r#"{"id":"st-ev","reason":{"message":"value does not exist","expectedValue":true}}"#
        );
    }

    #[test]
    fn email_verified_without_t_never_expires() {
        let validator = EmailVerified::is_verified().max_age(Duration::from_secs(1));
        assert_eq!(
            check_at(&validator, json!({"st-ev": {"v": true}}), 60_000),
            "ok"
        );
    }

    #[test]
    fn email_not_verified() {
        let validator = EmailVerified::is_not_verified();
        assert_eq!(check(&validator, claim("st-ev", json!(false))), "ok");
        assert_eq!(
            check(&validator, claim("st-ev", json!(true))),
            r#"{"id":"st-ev","reason":{"message":"wrong value","expectedValue":false,"actualValue":true}}"#
        );
        assert_eq!(
            check(&validator, json!({})),
            r#"{"id":"st-ev","reason":{"message":"value does not exist","expectedValue":false}}"#
        );
    }

    #[test]
    fn email_verified_with_id_reports_the_new_id_and_reads_st_ev() {
        let validator = EmailVerified::is_verified().with_id("verified-email");
        assert_eq!(check(&validator, claim("st-ev", json!(true))), "ok");
        assert_eq!(
            check(&validator, claim("st-ev", json!(false))),
            r#"{"id":"verified-email","reason":{"message":"wrong value","expectedValue":true,"actualValue":false}}"#
        );
    }

    // st-role

    fn roles(v: Value) -> Value {
        claim("st-role", v)
    }

    #[test]
    fn role_includes() {
        let validator = HasRole::includes("admin");
        assert_eq!(check(&validator, roles(json!(["user", "admin"]))), "ok");
        assert_eq!(
            check(&validator, roles(json!(["user"]))),
            r#"{"id":"st-role","reason":{"message":"wrong value","expectedToInclude":"admin","actualValue":["user"]}}"#
        );
        assert_eq!(
            check(&validator, json!({})),
            r#"{"id":"st-role","reason":{"message":"value does not exist","expectedToInclude":"admin"}}"#
        );
        assert_eq!(
            check(&validator, json!({"st-role": ["admin"]})),
            r#"{"id":"st-role","reason":{"message":"value does not exist","expectedToInclude":"admin"}}"#
        );
    }

    #[test]
    fn role_includes_all() {
        let validator = HasRole::includes_all(["admin", "user"]);
        assert_eq!(
            check(&validator, roles(json!(["user", "x", "admin"]))),
            "ok"
        );
        assert_eq!(
            check(&validator, roles(json!(["user"]))),
            r#"{"id":"st-role","reason":{"message":"wrong value","expectedToInclude":["admin","user"],"actualValue":["user"]}}"#
        );
        assert_eq!(
            check(&validator, json!({})),
            r#"{"id":"st-role","reason":{"message":"value does not exist","expectedToInclude":["admin","user"]}}"#
        );
        let empty: [&str; 0] = [];
        assert_eq!(check(&HasRole::includes_all(empty), roles(json!([]))), "ok");
    }

    #[test]
    fn role_includes_any_reproduces_the_missing_reason_slip() {
        let validator = HasRole::includes_any(["admin", "support"]);
        assert_eq!(check(&validator, roles(json!(["support"]))), "ok");
        assert_eq!(
            check(&validator, roles(json!(["user"]))),
            r#"{"id":"st-role","reason":{"message":"wrong value","expectedToIncludeAtLeastOneOf":["admin","support"],"actualValue":["user"]}}"#
        );
        assert_eq!(
            check(&validator, json!({})),
            r#"{"id":"st-role","reason":{"message":"value does not exist","expectedToNotInclude":["admin","support"]}}"#
        );
        let empty: [&str; 0] = [];
        assert_eq!(
            check(&HasRole::includes_any(empty), roles(json!(["user"]))),
            r#"{"id":"st-role","reason":{"message":"wrong value","expectedToIncludeAtLeastOneOf":[],"actualValue":["user"]}}"#
        );
    }

    #[test]
    fn role_excludes() {
        let validator = HasRole::excludes("banned");
        assert_eq!(check(&validator, roles(json!(["user"]))), "ok");
        assert_eq!(check(&validator, roles(json!([]))), "ok");
        assert_eq!(
            check(&validator, roles(json!(["user", "banned"]))),
            r#"{"id":"st-role","reason":{"message":"wrong value","expectedToNotInclude":"banned","actualValue":["user","banned"]}}"#
        );
        assert_eq!(
            check(&validator, json!({})),
            r#"{"id":"st-role","reason":{"message":"value does not exist","expectedToNotInclude":"banned"}}"#
        );
    }

    #[test]
    fn role_excludes_all() {
        let validator = HasRole::excludes_all(["banned", "suspended"]);
        assert_eq!(check(&validator, roles(json!(["user"]))), "ok");
        assert_eq!(
            check(&validator, roles(json!(["suspended"]))),
            r#"{"id":"st-role","reason":{"message":"wrong value","expectedToNotInclude":["banned","suspended"],"actualValue":["suspended"]}}"#
        );
        assert_eq!(
            check(&validator, json!({})),
            r#"{"id":"st-role","reason":{"message":"value does not exist","expectedToNotInclude":["banned","suspended"]}}"#
        );
    }

    #[test]
    fn role_expired_with_fractional_age() {
        let validator = HasRole::includes("admin").max_age(Duration::from_secs(300));
        assert_eq!(check_at(&validator, roles(json!(["admin"])), 300_000), "ok");
        assert_eq!(
            check_at(&validator, roles(json!(["user"])), 300_001),
            r#"{"id":"st-role","reason":{"message":"expired","ageInSeconds":300.001,"maxAgeInSeconds":300}}"#
        );
    }

    #[test]
    fn role_with_id() {
        let validator = HasRole::includes("admin").with_id("admins-only");
        assert_eq!(
            check(&validator, roles(json!(["user"]))),
            r#"{"id":"admins-only","reason":{"message":"wrong value","expectedToInclude":"admin","actualValue":["user"]}}"#
        );
    }

    #[test]
    fn role_string_value_is_searched_like_javascript() {
        // `"superadmin".includes("admin")` is a substring search in JS.
        assert_eq!(
            check(&HasRole::includes("admin"), roles(json!("superadmin"))),
            "ok"
        );
        assert_eq!(
            check(&HasRole::excludes("admin"), roles(json!("superadmin"))),
            r#"{"id":"st-role","reason":{"message":"wrong value","expectedToNotInclude":"admin","actualValue":"superadmin"}}"#
        );
        // `new Set("abc")` is a set of characters.
        assert_eq!(
            check(&HasRole::includes_all(["a", "c"]), roles(json!("abc"))),
            "ok"
        );
        assert_eq!(
            check(&HasRole::includes_any(["ab"]), roles(json!("abc"))),
            r#"{"id":"st-role","reason":{"message":"wrong value","expectedToIncludeAtLeastOneOf":["ab"],"actualValue":"abc"}}"#
        );
    }

    #[test]
    fn role_non_array_value_is_a_wrong_value() {
        assert_eq!(
            check(&HasRole::includes("admin"), roles(json!(7))),
            r#"{"id":"st-role","reason":{"message":"wrong value","expectedToInclude":"admin","actualValue":7}}"#
        );
        // The SDK passes `excludesAll` on `null` (`new Set(null)` is empty); we fail closed.
        assert_eq!(
            check(&HasRole::excludes_all(["banned"]), roles(Value::Null)),
            r#"{"id":"st-role","reason":{"message":"wrong value","expectedToNotInclude":["banned"],"actualValue":null}}"#
        );
        assert_eq!(
            check(
                &HasRole::excludes("banned"),
                roles(json!({"banned": false}))
            ),
            r#"{"id":"st-role","reason":{"message":"wrong value","expectedToNotInclude":"banned","actualValue":{"banned":false}}}"#
        );
    }

    #[test]
    fn role_elements_compare_as_strings_only() {
        assert_eq!(
            check(&HasRole::includes("1"), roles(json!([1]))),
            r#"{"id":"st-role","reason":{"message":"wrong value","expectedToInclude":"1","actualValue":[1]}}"#
        );
    }

    // st-perm

    fn perms(v: Value) -> Value {
        claim("st-perm", v)
    }

    #[test]
    fn permission_validators_read_st_perm() {
        assert_eq!(
            check(&HasPermission::includes("read"), perms(json!(["read"]))),
            "ok"
        );
        // A role of the same name does not count.
        assert_eq!(
            check(&HasPermission::includes("read"), roles(json!(["read"]))),
            r#"{"id":"st-perm","reason":{"message":"value does not exist","expectedToInclude":"read"}}"#
        );
        assert_eq!(
            check(&HasPermission::includes("write"), perms(json!(["read"]))),
            r#"{"id":"st-perm","reason":{"message":"wrong value","expectedToInclude":"write","actualValue":["read"]}}"#
        );
        assert_eq!(
            check(
                &HasPermission::includes_all(["read", "write"]),
                perms(json!(["read"]))
            ),
            r#"{"id":"st-perm","reason":{"message":"wrong value","expectedToInclude":["read","write"],"actualValue":["read"]}}"#
        );
        assert_eq!(
            check(
                &HasPermission::includes_any(["write"]),
                json!({"st-perm": false})
            ),
            r#"{"id":"st-perm","reason":{"message":"value does not exist","expectedToNotInclude":["write"]}}"#
        );
        assert_eq!(
            check(&HasPermission::excludes("delete"), perms(json!(["delete"]))),
            r#"{"id":"st-perm","reason":{"message":"wrong value","expectedToNotInclude":"delete","actualValue":["delete"]}}"#
        );
        assert_eq!(
            check(
                &HasPermission::excludes_all(["delete"]),
                perms(json!(["read"]))
            ),
            "ok"
        );
    }

    #[test]
    fn permission_expired_and_with_id() {
        let validator = HasPermission::includes("read")
            .max_age(Duration::from_secs(10))
            .with_id("can-read");
        assert_eq!(
            check_at(&validator, perms(json!(["read"])), 10_250),
            r#"{"id":"can-read","reason":{"message":"expired","ageInSeconds":10.25,"maxAgeInSeconds":10}}"#
        );
    }

    // st-mfa

    fn mfa(v: Value) -> Value {
        json!({"st-mfa": {"c": {"emailpassword": 1_733_507_278}, "v": v}})
    }

    #[test]
    fn mfa_passes_on_truthy_v() {
        for v in [json!(true), json!(1), json!("yes"), json!([]), json!({})] {
            assert_eq!(check(&MfaCompleted::new(), mfa(v)), "ok");
        }
    }

    #[test]
    fn mfa_false_has_a_reason() {
        assert_eq!(
            check(&MfaCompleted::new(), mfa(json!(false))),
            r#"{"id":"st-mfa","reason":{"message":"MFA requirement for auth is not satisfied"}}"#
        );
    }

    #[test]
    fn mfa_other_falsy_v_has_no_reason() {
        for v in [Value::Null, json!(0), json!("")] {
            assert_eq!(check(&MfaCompleted::new(), mfa(v)), r#"{"id":"st-mfa"}"#);
        }
        assert_eq!(
            check(&MfaCompleted::new(), json!({"st-mfa": {"c": {}}})),
            r#"{"id":"st-mfa"}"#
        );
    }

    #[test]
    fn mfa_missing_claim_fails_without_reason() {
        // The SDK throws (500) here: a deliberate difference.
        assert_eq!(check(&MfaCompleted::new(), json!({})), r#"{"id":"st-mfa"}"#);
        assert_eq!(
            check(&MfaCompleted::new(), json!({"st-mfa": null})),
            r#"{"id":"st-mfa"}"#
        );
    }

    #[test]
    fn mfa_with_id() {
        assert_eq!(
            check(&MfaCompleted::default().with_id("2fa"), mfa(json!(false))),
            r#"{"id":"2fa","reason":{"message":"MFA requirement for auth is not satisfied"}}"#
        );
    }

    // Custom validators

    #[test]
    fn custom_predicate() {
        let beta = custom("beta", |session: &Session| {
            session.claim_value::<bool>("beta") == Some(true)
        });
        assert_eq!(check(&beta, claim("beta", json!(true))), "ok");
        assert_eq!(check(&beta, json!({})), r#"{"id":"beta"}"#);
        let beta = beta.with_reason(json!({"message": "beta testers only", "a": 1}));
        assert_eq!(
            check(&beta, json!({})),
            r#"{"id":"beta","reason":{"message":"beta testers only","a":1}}"#
        );
    }

    #[test]
    fn closure_validator() {
        let validator = |session: &Session| {
            if session.user_id() == "user" {
                Ok(())
            } else {
                Err(ClaimValidationError {
                    id: "owner".to_owned(),
                    reason: Some(json!({"message": "not the owner"})),
                })
            }
        };
        assert_eq!(check(&validator, json!({"sub": "user"})), "ok");
        assert_eq!(
            check(&validator, json!({"sub": "other"})),
            r#"{"id":"owner","reason":{"message":"not the owner"}}"#
        );
    }

    #[test]
    fn validate_all_keeps_validator_order() {
        let validators: Vec<SharedValidator> = vec![
            Arc::new(MfaCompleted::new()),
            Arc::new(HasRole::includes("admin")),
            Arc::new(custom("always", |_: &Session| true)),
            Arc::new(EmailVerified::is_verified()),
        ];
        let payload = json!({
            "st-ev": {"v": false, "t": T},
            "st-role": {"v": ["user"], "t": T},
            "st-mfa": {"c": {}, "v": false},
        });
        let errors = validate_all(&validators, &session(payload), after(0));
        assert_eq!(
            serde_json::to_string(&errors).unwrap(),
            concat!(
                r#"[{"id":"st-mfa","reason":{"message":"MFA requirement for auth is not satisfied"}},"#,
                r#"{"id":"st-role","reason":{"message":"wrong value","expectedToInclude":"admin","actualValue":["user"]}},"#,
                r#"{"id":"st-ev","reason":{"message":"wrong value","expectedValue":true,"actualValue":false}}]"#
            )
        );
    }

    #[test]
    fn numbers_print_like_json_stringify() {
        assert_eq!(js_number(2.0).to_string(), "2");
        assert_eq!(js_number(-0.0).to_string(), "0");
        assert_eq!(js_number(0.1 + 0.2).to_string(), "0.30000000000000004");
        assert_eq!(js_number(f64::NAN).to_string(), "null");
    }

    #[test]
    fn validators_are_shareable() {
        fn shared(validator: impl ClaimValidator) -> SharedValidator {
            Arc::new(validator)
        }
        let _ = shared(EmailVerified::is_verified());
        let _ = shared(HasPermission::excludes("x"));
        let _ = shared(MfaCompleted::new());
    }
}
