//! SuperTokens' JSON answers for API calls (SPEC §4), byte for byte.
//!
//! | state | status | body |
//! |---|---|---|
//! | NoToken, Unauthorised | 401 | `{"message":"unauthorised"}` |
//! | TryRefresh | 401 | `{"message":"try refresh token"}` |
//! | InvalidClaims | 403 | `{"message":"invalid claim","claimValidationErrors":[...]}` |
//! | KeysUnavailable | 503 + `Retry-After` | `{"message":"session keys unavailable"}` |
//!
//! Every answer has `Content-Type: application/json` and `Cache-Control: no-store`.
//!
//! ```
//! use tower_supertokens::reject::api;
//!
//! let response = api::try_refresh();
//! assert_eq!(response.status(), 401);
//! assert_eq!(response.body().as_ref(), br#"{"message":"try refresh token"}"#);
//! ```

use std::time::Duration;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderValue, Response, StatusCode};
use serde::Serialize;

use crate::claims::ClaimValidationError;
use crate::state::SessionState;

/// The body of SuperTokens' 401 for a session that does not exist.
pub const UNAUTHORISED_BODY: &str = r#"{"message":"unauthorised"}"#;
/// The body of SuperTokens' 401 asking the frontend to refresh.
pub const TRY_REFRESH_BODY: &str = r#"{"message":"try refresh token"}"#;
/// The message of SuperTokens' 403 for failed claims.
pub const INVALID_CLAIM_MESSAGE: &str = "invalid claim";

fn json(status: StatusCode, body: Bytes) -> Response<Bytes> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// 401 `{"message":"unauthorised"}`.
#[must_use]
pub fn unauthorised() -> Response<Bytes> {
    json(
        StatusCode::UNAUTHORIZED,
        Bytes::from_static(UNAUTHORISED_BODY.as_bytes()),
    )
}

/// 401 `{"message":"try refresh token"}`.
#[must_use]
pub fn try_refresh() -> Response<Bytes> {
    json(
        StatusCode::UNAUTHORIZED,
        Bytes::from_static(TRY_REFRESH_BODY.as_bytes()),
    )
}

#[derive(Serialize)]
struct InvalidClaimBody<'a> {
    message: &'static str,
    #[serde(rename = "claimValidationErrors")]
    claim_validation_errors: &'a [ClaimValidationError],
}

/// 403 `{"message":"invalid claim","claimValidationErrors":[...]}`.
#[must_use]
pub fn invalid_claims(errors: &[ClaimValidationError]) -> Response<Bytes> {
    let body = serde_json::to_vec(&InvalidClaimBody {
        message: INVALID_CLAIM_MESSAGE,
        claim_validation_errors: errors,
    })
    // Serialising strings and JSON values cannot fail; fall back to an empty list anyway.
    .unwrap_or_else(|_| br#"{"message":"invalid claim","claimValidationErrors":[]}"#.to_vec());
    json(StatusCode::FORBIDDEN, Bytes::from(body))
}

/// 503 with `Retry-After` (whole seconds, at least 1).
#[must_use]
pub fn keys_unavailable(retry_after: Duration) -> Response<Bytes> {
    let mut response = json(
        StatusCode::SERVICE_UNAVAILABLE,
        Bytes::from_static(br#"{"message":"session keys unavailable"}"#),
    );
    let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    response
}

/// The answer for `state`. A [`SessionState::Valid`] never reaches here; it would get
/// the unauthorised answer.
#[must_use]
pub fn respond(state: &SessionState, retry_after: Duration) -> Response<Bytes> {
    match state {
        SessionState::TryRefresh(_) => try_refresh(),
        SessionState::InvalidClaims(errors) => invalid_claims(errors),
        SessionState::KeysUnavailable => keys_unavailable(retry_after),
        SessionState::NoToken | SessionState::Unauthorised(_) | SessionState::Valid(_) => {
            unauthorised()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{TryRefreshReason, UnauthorisedReason};
    use serde_json::json;

    fn body(response: &Response<Bytes>) -> &str {
        std::str::from_utf8(response.body()).unwrap_or("<not utf-8>")
    }

    #[test]
    fn answers_match_supertokens_bytes() {
        let retry = Duration::from_millis(2500);
        let no_token = respond(&SessionState::NoToken, retry);
        assert_eq!(no_token.status(), 401);
        assert_eq!(body(&no_token), r#"{"message":"unauthorised"}"#);
        let malformed = respond(
            &SessionState::Unauthorised(UnauthorisedReason::TooLarge),
            retry,
        );
        assert_eq!(body(&malformed), r#"{"message":"unauthorised"}"#);
        let refresh = respond(&SessionState::TryRefresh(TryRefreshReason::Expired), retry);
        assert_eq!(refresh.status(), 401);
        assert_eq!(body(&refresh), r#"{"message":"try refresh token"}"#);
        let unavailable = respond(&SessionState::KeysUnavailable, retry);
        assert_eq!(unavailable.status(), 503);
        assert_eq!(unavailable.headers()[RETRY_AFTER], "3");
        for response in [no_token, refresh, unavailable] {
            assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
            assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
        }
    }

    #[test]
    fn invalid_claims_body_has_supertokens_shape() {
        let errors = vec![
            ClaimValidationError {
                id: "st-ev".into(),
                reason: Some(
                    json!({"message": "wrong value", "expectedValue": true, "actualValue": false}),
                ),
            },
            ClaimValidationError {
                id: "st-role".into(),
                reason: None,
            },
        ];
        let response = invalid_claims(&errors);
        assert_eq!(response.status(), 403);
        assert_eq!(
            body(&response),
            r#"{"message":"invalid claim","claimValidationErrors":[{"id":"st-ev","reason":{"message":"wrong value","expectedValue":true,"actualValue":false}},{"id":"st-role"}]}"#
        );
    }
}
