//! gRPC answers: every rejection as a gRPC "trailers-only" response, for tonic and any other
//! gRPC server behind [`SessionLayer`](crate::SessionLayer).
//!
//! A gRPC client never looks at the HTTP status or a JSON body: it reads `grpc-status` and
//! `grpc-message`. A rejected call is therefore answered with HTTP 200, the request's gRPC
//! `content-type` (`application/grpc` by default), the status in the headers and an empty
//! body, which every gRPC client reads as the call's final status (the spec's
//! "Trailers-Only" response).
//!
//! | state | `grpc-status` | `grpc-message` |
//! |---|---|---|
//! | NoToken, Unauthorised | 16 `UNAUTHENTICATED` | `unauthorised` |
//! | TryRefresh | 16 `UNAUTHENTICATED` | `try refresh token` |
//! | InvalidClaims | 7 `PERMISSION_DENIED` | `invalid claim: st-ev, st-role` (the failing ids) |
//! | KeysUnavailable | 14 `UNAVAILABLE` + `grpc-retry-pushback-ms` | `session keys unavailable` |
//!
//! The messages are those of SuperTokens' JSON answers ([`api`](super::api)), so a client
//! tells "refresh and retry" from "sign in again" the same way. `grpc-message` is
//! percent-encoded as the gRPC spec asks (only `%` and bytes outside printable ASCII).
//!
//! Two policies:
//! - [`GrpcRejection`] answers *every* rejection the gRPC way: for a server that only
//!   serves gRPC (`tonic::transport::Server::builder().layer(...)`).
//! - [`GrpcOr`], made by [`GrpcRejection::or_default`] or [`GrpcRejection::or`], answers
//!   gRPC requests ([`is_grpc`]) the gRPC way and everything else with another policy
//!   (SuperTokens' JSON and page answers for `or_default`): for one layer in front of a
//!   router that mixes gRPC services and plain HTTP routes (axum + tonic).
//!
//! ```
//! use std::convert::Infallible;
//! use bytes::Bytes;
//! use http::{Request, Response};
//! use http_body_util::Full;
//! use tower::{Service, ServiceBuilder, ServiceExt};
//! use tower_supertokens::reject::grpc::GrpcRejection;
//! use tower_supertokens::{KeyStore, SessionConfig, SessionLayer};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let keys = KeyStore::from_jwks_json(r#"{"keys":[]}"#)?;
//! let layer = SessionLayer::required(SessionConfig::new(keys))
//!     .with_rejection(GrpcRejection::or_default());
//! let mut service = ServiceBuilder::new().layer(layer).service_fn(|_: Request<Full<Bytes>>| async {
//!     Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
//! });
//!
//! // A gRPC call without a token: UNAUTHENTICATED, in the headers of an HTTP 200.
//! let call = Request::post("/greeter.Greeter/Hello")
//!     .header("content-type", "application/grpc")
//!     .body(Full::default())?;
//! let response = service.ready().await?.call(call).await?;
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.headers()["grpc-status"], "16");
//! assert_eq!(response.headers()["grpc-message"], "unauthorised");
//!
//! // Any other request: SuperTokens' JSON answer.
//! let fetch = Request::get("/api/user").body(Full::default())?;
//! let response = service.ready().await?.call(fetch).await?;
//! assert_eq!(response.status(), 401);
//! # Ok(())
//! # }
//! ```

use std::fmt::Write as _;
use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::request::Parts;
use http::{HeaderName, HeaderValue, Response, StatusCode};

use super::api::INVALID_CLAIM_MESSAGE;
use super::{DefaultRejection, Rejection, RejectionPolicy};
use crate::state::SessionState;

/// gRPC status code `UNAUTHENTICATED`: no session, or one to refresh.
pub const UNAUTHENTICATED: u16 = 16;
/// gRPC status code `PERMISSION_DENIED`: a claim validator failed.
pub const PERMISSION_DENIED: u16 = 7;
/// gRPC status code `UNAVAILABLE`: the keys could not be fetched; retry later.
pub const UNAVAILABLE: u16 = 14;

/// The `grpc-status` header.
pub const GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");
/// The `grpc-message` header.
pub const GRPC_MESSAGE: HeaderName = HeaderName::from_static("grpc-message");
/// The `grpc-retry-pushback-ms` header (gRFC A6), sent with `UNAVAILABLE`.
pub const GRPC_RETRY_PUSHBACK_MS: HeaderName = HeaderName::from_static("grpc-retry-pushback-ms");

const APPLICATION_GRPC: &str = "application/grpc";

/// Whether `request` is a gRPC call: its `content-type` starts with `application/grpc`
/// (which includes `application/grpc+proto` and gRPC-Web's `application/grpc-web...`).
#[must_use]
pub fn is_grpc(request: &Parts) -> bool {
    request
        .headers
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(APPLICATION_GRPC.as_bytes()))
}

/// The gRPC status code for `state`. A [`SessionState::Valid`] never reaches here; it
/// would get `UNAUTHENTICATED`.
#[must_use]
pub fn code(state: &SessionState) -> u16 {
    match state {
        SessionState::InvalidClaims(_) => PERMISSION_DENIED,
        SessionState::KeysUnavailable => UNAVAILABLE,
        SessionState::NoToken
        | SessionState::Unauthorised(_)
        | SessionState::TryRefresh(_)
        | SessionState::Valid(_) => UNAUTHENTICATED,
    }
}

/// The status message for `state`, before percent-encoding: `unauthorised`,
/// `try refresh token`, `invalid claim: <id>, <id>...` or `session keys unavailable`.
#[must_use]
pub fn message(state: &SessionState) -> String {
    match state {
        SessionState::TryRefresh(_) => "try refresh token".to_owned(),
        SessionState::InvalidClaims(errors) => {
            let mut message = INVALID_CLAIM_MESSAGE.to_owned();
            for (i, error) in errors.iter().enumerate() {
                message.push_str(if i == 0 { ": " } else { ", " });
                message.push_str(&error.id);
            }
            message
        }
        SessionState::KeysUnavailable => "session keys unavailable".to_owned(),
        SessionState::NoToken | SessionState::Unauthorised(_) | SessionState::Valid(_) => {
            "unauthorised".to_owned()
        }
    }
}

/// Percent-encodes `message` for `grpc-message`: `%` and every byte outside `0x20..=0x7E`
/// become `%XX` (upper-case hex), as the gRPC HTTP/2 spec's `Percent-Encoded` rule says.
#[must_use]
pub fn percent_encode(message: &str) -> String {
    let mut encoded = String::with_capacity(message.len());
    for &byte in message.as_bytes() {
        if (0x20..=0x7E).contains(&byte) && byte != b'%' {
            encoded.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

/// The trailers-only answer for `state`: HTTP 200, `content-type: application/grpc`,
/// `grpc-status`, `grpc-message`, an empty body; with `grpc-retry-pushback-ms` (at least 1)
/// for [`SessionState::KeysUnavailable`].
#[must_use]
pub fn respond(state: &SessionState, retry_after: Duration) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(APPLICATION_GRPC));
    headers.insert(GRPC_STATUS, HeaderValue::from(code(state)));
    if let Ok(value) = HeaderValue::try_from(percent_encode(&message(state))) {
        headers.insert(GRPC_MESSAGE, value);
    }
    if matches!(state, SessionState::KeysUnavailable) {
        let millis = u64::try_from(retry_after.as_millis()).unwrap_or(u64::MAX);
        headers.insert(GRPC_RETRY_PUSHBACK_MS, HeaderValue::from(millis.max(1)));
    }
    response
}

/// [`respond`] for a rejection, echoing the request's `content-type` when it is a gRPC one
/// (`application/grpc+proto`, `application/grpc-web`...), as gRPC servers do.
fn respond_to(rejection: &Rejection<'_>) -> Response<Bytes> {
    let mut response = respond(rejection.state(), rejection.retry_after());
    let request = rejection.request();
    let grpc_type = request
        .headers
        .get(CONTENT_TYPE)
        .filter(|_| is_grpc(request));
    if let Some(content_type) = grpc_type {
        response
            .headers_mut()
            .insert(CONTENT_TYPE, content_type.clone());
    }
    response
}

/// Answers every rejection as a gRPC trailers-only response (see the [module](self)).
///
/// For a server that also serves plain HTTP, use [`GrpcRejection::or_default`].
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcRejection;

impl GrpcRejection {
    /// gRPC answers for gRPC requests, SuperTokens' JSON and page answers
    /// ([`DefaultRejection`]) for the rest.
    #[must_use]
    pub fn or_default() -> GrpcOr<DefaultRejection> {
        GrpcOr {
            fallback: DefaultRejection,
        }
    }

    /// gRPC answers for gRPC requests, `fallback`'s answers for the rest.
    #[must_use]
    pub fn or<P: RejectionPolicy>(fallback: P) -> GrpcOr<P> {
        GrpcOr { fallback }
    }
}

impl RejectionPolicy for GrpcRejection {
    fn reject(&self, rejection: &Rejection<'_>) -> Response<Bytes> {
        respond_to(rejection)
    }
}

/// gRPC answers for gRPC requests ([`is_grpc`]), the `fallback` policy's for the rest: one
/// layer in front of a router that mixes tonic services and plain HTTP routes.
///
/// Made by [`GrpcRejection::or_default`] (the default) or [`GrpcRejection::or`].
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcOr<P = DefaultRejection> {
    fallback: P,
}

impl<P> GrpcOr<P> {
    /// The policy used for requests that are not gRPC.
    #[must_use]
    pub fn fallback(&self) -> &P {
        &self.fallback
    }
}

impl<P: RejectionPolicy> RejectionPolicy for GrpcOr<P> {
    fn reject(&self, rejection: &Rejection<'_>) -> Response<Bytes> {
        if is_grpc(rejection.request()) {
            respond_to(rejection)
        } else {
            self.fallback.reject(rejection)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::ClaimValidationError;
    use crate::reject::RequestKind;
    use crate::reject::page::PageConfig;
    use crate::state::{TryRefreshReason, UnauthorisedReason};
    use http::Request;

    fn parts(content_type: Option<&str>) -> Parts {
        let mut builder = Request::post("/pkg.Service/Method");
        if let Some(content_type) = content_type {
            builder = builder.header(CONTENT_TYPE, content_type);
        }
        builder
            .body(())
            .map(|r| r.into_parts().0)
            .unwrap_or_else(|_| Request::new(()).into_parts().0)
    }

    fn reject_with<P: RejectionPolicy>(
        policy: &P,
        state: &SessionState,
        request: &Parts,
    ) -> Response<Bytes> {
        let pages = PageConfig::default();
        policy.reject(&Rejection {
            state,
            request,
            kind: RequestKind::Api,
            retry_after: Duration::from_millis(2500),
            pages: &pages,
        })
    }

    /// Every header of `response`, sorted, as `name: value` lines.
    fn headers(response: &Response<Bytes>) -> Vec<String> {
        let mut lines: Vec<String> = response
            .headers()
            .iter()
            .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap_or("<bytes>")))
            .collect();
        lines.sort();
        lines
    }

    fn claim(id: &str) -> ClaimValidationError {
        ClaimValidationError {
            id: id.into(),
            reason: None,
        }
    }

    #[test]
    fn each_state_has_its_exact_trailers_only_answer() {
        let request = parts(Some("application/grpc"));
        let cases: [(SessionState, &[&str]); 6] = [
            (
                SessionState::NoToken,
                &[
                    "content-type: application/grpc",
                    "grpc-message: unauthorised",
                    "grpc-status: 16",
                ],
            ),
            (
                SessionState::Unauthorised(UnauthorisedReason::TooLarge),
                &[
                    "content-type: application/grpc",
                    "grpc-message: unauthorised",
                    "grpc-status: 16",
                ],
            ),
            (
                SessionState::TryRefresh(TryRefreshReason::Expired),
                &[
                    "content-type: application/grpc",
                    "grpc-message: try refresh token",
                    "grpc-status: 16",
                ],
            ),
            (
                SessionState::InvalidClaims(vec![claim("st-ev")]),
                &[
                    "content-type: application/grpc",
                    "grpc-message: invalid claim: st-ev",
                    "grpc-status: 7",
                ],
            ),
            (
                SessionState::InvalidClaims(vec![claim("st-ev"), claim("st-role")]),
                &[
                    "content-type: application/grpc",
                    "grpc-message: invalid claim: st-ev, st-role",
                    "grpc-status: 7",
                ],
            ),
            (
                SessionState::KeysUnavailable,
                &[
                    "content-type: application/grpc",
                    "grpc-message: session keys unavailable",
                    "grpc-retry-pushback-ms: 2500",
                    "grpc-status: 14",
                ],
            ),
        ];
        for (state, expected) in cases {
            for response in [
                reject_with(&GrpcRejection, &state, &request),
                reject_with(&GrpcRejection::or_default(), &state, &request),
            ] {
                assert_eq!(response.status(), 200, "{state:?}");
                assert_eq!(headers(&response), expected, "{state:?}");
                assert!(response.body().is_empty(), "{state:?}");
            }
        }
    }

    #[test]
    fn grpc_content_type_is_echoed() {
        for content_type in ["application/grpc+proto", "application/grpc-web+proto"] {
            let request = parts(Some(content_type));
            let response = reject_with(&GrpcRejection, &SessionState::NoToken, &request);
            assert_eq!(response.headers()[CONTENT_TYPE], content_type);
        }
        // Not a gRPC request: GrpcRejection still answers the gRPC way, as application/grpc.
        let request = parts(Some("application/json"));
        let response = reject_with(&GrpcRejection, &SessionState::NoToken, &request);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/grpc");
        assert_eq!(response.headers()[GRPC_STATUS], "16");
    }

    #[test]
    fn or_default_answers_other_requests_like_supertokens() {
        for request in [parts(None), parts(Some("application/json"))] {
            let state = SessionState::TryRefresh(TryRefreshReason::Expired);
            let response = reject_with(&GrpcRejection::or_default(), &state, &request);
            assert_eq!(response.status(), 401);
            assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
            assert!(!response.headers().contains_key(GRPC_STATUS));
            assert_eq!(
                response.body().as_ref(),
                br#"{"message":"try refresh token"}"#
            );
        }
        let custom = GrpcRejection::or(|_: &Rejection<'_>| Response::new(Bytes::from("custom")));
        let response = reject_with(&custom, &SessionState::NoToken, &parts(None));
        assert_eq!(response.body().as_ref(), b"custom");
        let response = reject_with(
            &custom,
            &SessionState::NoToken,
            &parts(Some("application/grpc")),
        );
        assert_eq!(response.headers()[GRPC_STATUS], "16");
    }

    #[test]
    fn is_grpc_reads_the_content_type() {
        assert!(is_grpc(&parts(Some("application/grpc"))));
        assert!(is_grpc(&parts(Some("application/grpc+proto"))));
        assert!(is_grpc(&parts(Some("application/grpc-web-text"))));
        assert!(!is_grpc(&parts(Some("application/json"))));
        assert!(!is_grpc(&parts(Some("text/html; application/grpc"))));
        assert!(!is_grpc(&parts(None)));
    }

    #[test]
    fn messages_are_percent_encoded_per_the_spec() {
        assert_eq!(
            percent_encode("invalid claim: st-ev"),
            "invalid claim: st-ev"
        );
        assert_eq!(percent_encode("100% ok"), "100%25 ok");
        assert_eq!(percent_encode("tab\there"), "tab%09here");
        assert_eq!(percent_encode("café"), "caf%C3%A9");
        let state = SessionState::InvalidClaims(vec![claim("rôle%")]);
        let response = respond(&state, Duration::ZERO);
        assert_eq!(
            response.headers()[GRPC_MESSAGE],
            "invalid claim: r%C3%B4le%25"
        );
    }

    #[test]
    fn pushback_is_at_least_one_millisecond() {
        let response = respond(&SessionState::KeysUnavailable, Duration::ZERO);
        assert_eq!(response.headers()[GRPC_RETRY_PUSHBACK_MS], "1");
        let response = respond(&SessionState::NoToken, Duration::ZERO);
        assert!(!response.headers().contains_key(GRPC_RETRY_PUSHBACK_MS));
    }
}
