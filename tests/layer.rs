//! SessionLayer through `oneshot`: every row of SPEC §10, every state, every bad input.

mod common;

use common::fixture::{Fixture, now};
use common::requests::{build, with_bearer, with_cookie};

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::json;
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tower_supertokens::claims::{EmailVerified, HasRole};
use tower_supertokens::clock::ManualClock;
use tower_supertokens::testing::TestIssuer;
use tower_supertokens::{
    AntiCsrf, Session, SessionConfig, SessionLayer, SessionState, SigningKeyKind, TokenTransport,
    TryRefreshReason,
};

const UNAUTHORISED: &str = r#"{"message":"unauthorised"}"#;
const TRY_REFRESH: &str = r#"{"message":"try refresh token"}"#;

/// The handler: answers 200 with the state name and user id it saw.
async fn echo(request: Request<Full<Bytes>>) -> Result<Response<Full<Bytes>>, Infallible> {
    let state = request.extensions().get::<SessionState>();
    let session = request.extensions().get::<Session>();
    let body = json!({
        "state": state.map(SessionState::name),
        "reason": state.map(ToString::to_string),
        "user": session.map(|s| s.user_id().to_owned()),
    });
    Ok(Response::new(Full::from(body.to_string())))
}

struct Answer {
    status: StatusCode,
    headers: http::HeaderMap,
    body: String,
    state: Option<SessionState>,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The state the handler saw (200 answers from `echo`).
    fn handler_state(&self) -> String {
        self.json()["state"].as_str().unwrap_or("<none>").to_owned()
    }
}

async fn call(layer: SessionLayer, request: Request<Full<Bytes>>) -> Answer {
    let service = ServiceBuilder::new().layer(layer).service_fn(echo);
    let response = service.oneshot(request).await.expect("infallible");
    let state = response.extensions().get::<SessionState>().cloned();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        state,
    }
}

fn get() -> http::request::Builder {
    Request::get("/api/user")
}

#[tokio::test]
async fn valid_cookie_and_valid_header_reach_the_handler() {
    let fx = Fixture::new();
    let token = fx.token();
    for request in [with_cookie(get(), &token), with_bearer(get(), &token)] {
        let answer = call(SessionLayer::required(fx.config()), build(request)).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.handler_state(), "Valid");
        assert_eq!(answer.json()["user"], "user-1");
    }
}

#[tokio::test]
async fn no_token_is_unauthorised_when_required_and_passed_when_optional() {
    let fx = Fixture::new();
    let answer = call(SessionLayer::required(fx.config()), build(get())).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.body, UNAUTHORISED);
    assert_eq!(answer.headers["content-type"], "application/json");
    assert_eq!(answer.headers["cache-control"], "no-store");
    assert!(matches!(answer.state, Some(SessionState::NoToken)));

    let answer = call(SessionLayer::optional(fx.config()), build(get())).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.handler_state(), "NoToken");
}

#[tokio::test]
async fn options_and_trace_pass_through_without_reading_the_token() {
    let fx = Fixture::new();
    let expired = fx
        .issuer
        .token("u")
        .at(now() - Duration::from_secs(7200))
        .sign();
    for method in [Method::OPTIONS, Method::TRACE] {
        let request = with_cookie(
            Request::builder().method(method.clone()).uri("/api/user"),
            &expired,
        );
        let answer = call(SessionLayer::required(fx.config()), build(request)).await;
        assert_eq!(answer.status, 200, "{method} must reach the handler");
        assert_eq!(answer.handler_state(), "NoToken");
    }
    // HEAD is not bypassed: no token → 401.
    let head = call(
        SessionLayer::required(fx.config()),
        build(Request::head("/api/user")),
    )
    .await;
    assert_eq!(head.status, 401);
}

#[tokio::test]
async fn legacy_id_refresh_cookie_means_try_refresh_even_when_optional() {
    let fx = Fixture::new();
    let token = fx.token();
    let request = || {
        build(get().header(
            "cookie",
            format!("sAccessToken={token}; sIdRefreshToken=legacy"),
        ))
    };
    let answer = call(SessionLayer::required(fx.config()), request()).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.body, TRY_REFRESH);
    let answer = call(SessionLayer::optional(fx.config()), request()).await;
    assert_eq!(answer.handler_state(), "TryRefresh");
    assert!(
        answer.json()["reason"]
            .as_str()
            .unwrap_or("")
            .contains("sIdRefreshToken")
    );
}

#[tokio::test]
async fn header_wins_without_fallback_and_unparseable_header_is_ignored() {
    let fx = Fixture::new();
    let valid = fx.token();
    let expired = fx
        .issuer
        .token("old")
        .at(now() - Duration::from_secs(7200))
        .sign();

    // Expired header + valid cookie: the header is chosen and fails; no fallback.
    let request = with_cookie(with_bearer(get(), &expired), &valid);
    let answer = call(SessionLayer::required(fx.config()), build(request)).await;
    assert_eq!(answer.body, TRY_REFRESH);

    // Garbage header + valid cookie: the header does not parse, the cookie is used.
    let request = with_cookie(with_bearer(get(), "garbage"), &valid);
    let answer = call(SessionLayer::required(fx.config()), build(request)).await;
    assert_eq!(answer.status, 200);

    // Cookie-only transport ignores the header.
    let config = fx.config().token_transport(TokenTransport::Cookie);
    let answer = call(
        SessionLayer::required(config),
        build(with_bearer(get(), &valid)),
    )
    .await;
    assert_eq!(answer.body, UNAUTHORISED);

    // Header-only transport ignores the cookie.
    let config = fx.config().token_transport(TokenTransport::Header);
    let answer = call(
        SessionLayer::required(config),
        build(with_cookie(get(), &valid)),
    )
    .await;
    assert_eq!(answer.body, UNAUTHORISED);
}

#[tokio::test]
async fn duplicate_access_token_cookies_mean_try_refresh() {
    let fx = Fixture::new();
    let token = fx.token();
    let request = get().header(
        "cookie",
        format!("sAccessToken={token}; other=1; sAccessToken={token}"),
    );
    let answer = call(SessionLayer::required(fx.config()), build(request)).await;
    assert_eq!(answer.body, TRY_REFRESH);
    assert!(matches!(
        answer.state,
        Some(SessionState::TryRefresh(TryRefreshReason::DuplicateCookies))
    ));
}

#[tokio::test]
async fn custom_cookie_name_is_read() {
    let fx = Fixture::new();
    let token = fx.token();
    let config = fx.config().cookie_name("myToken");
    let request = get().header("cookie", format!("myToken={token}"));
    let answer = call(SessionLayer::required(config), build(request)).await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn expiry_is_exact_to_the_second_with_no_leeway() {
    let fx = Fixture::new();
    let token = fx
        .issuer
        .token("u")
        .at(now())
        .expires_in(Duration::from_secs(60))
        .sign();
    fx.clock.set(now() + Duration::from_millis(59_999));
    let answer = call(
        SessionLayer::required(fx.config()),
        build(with_cookie(get(), &token)),
    )
    .await;
    assert_eq!(answer.status, 200, "valid during its last second");
    fx.clock.set(now() + Duration::from_secs(60));
    let answer = call(
        SessionLayer::required(fx.config()),
        build(with_cookie(get(), &token)),
    )
    .await;
    assert_eq!(answer.body, TRY_REFRESH, "exp == now is expired");
    assert!(matches!(
        answer.state,
        Some(SessionState::TryRefresh(TryRefreshReason::Expired))
    ));
    let config = fx.config().leeway(Duration::from_secs(5));
    let answer = call(
        SessionLayer::required(config),
        build(with_cookie(get(), &token)),
    )
    .await;
    assert_eq!(answer.status, 200, "a configured leeway is honoured");
}

#[tokio::test]
async fn signature_kid_and_key_kind_failures_mean_try_refresh() {
    let fx = Fixture::new();
    let token = fx.token();
    let mut tampered = token.clone().into_bytes();
    let last = tampered.len() - 5;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    let unknown_kid = fx.issuer.token("u").at(now()).kid("d-999").sign();
    let static_kid = fx.issuer.token("u").at(now()).kid("s-static").sign();
    for (token, reason) in [
        (&tampered, "signature"),
        (&unknown_kid, "unknown kid"),
        (&static_kid, "key kind"),
    ] {
        let answer = call(
            SessionLayer::required(fx.config()),
            build(with_cookie(get(), token)),
        )
        .await;
        assert_eq!(answer.status, 401, "{reason}");
        assert_eq!(answer.body, TRY_REFRESH, "{reason}");
    }
}

#[tokio::test]
async fn static_keys_are_accepted_when_configured() {
    let issuer = TestIssuer::with_kid("s-2f3c");
    let clock = ManualClock::new(now());
    let token = issuer.token("u").at(now()).sign();
    for (kind, status) in [
        (SigningKeyKind::Dynamic, 401),
        (SigningKeyKind::Static, 200),
        (SigningKeyKind::Any, 200),
    ] {
        let config = SessionConfig::new(issuer.key_store())
            .clock(clock.clone())
            .signing_key_kind(kind);
        let answer = call(
            SessionLayer::required(config),
            build(with_bearer(get(), &token)),
        )
        .await;
        assert_eq!(answer.status, status, "{kind:?}");
    }
}

#[tokio::test]
async fn anti_csrf_via_custom_header() {
    let fx = Fixture::new();
    let token = fx.token();
    let config = || fx.config().anti_csrf(AntiCsrf::ViaCustomHeader);
    let post = || Request::post("/api/user");
    let answer = call(
        SessionLayer::required(config()),
        build(with_cookie(post(), &token)),
    )
    .await;
    assert_eq!(answer.body, TRY_REFRESH, "cookie POST without rid");
    let answer = call(
        SessionLayer::required(config()),
        build(with_cookie(post().header("rid", "anti-csrf"), &token)),
    )
    .await;
    assert_eq!(answer.status, 200, "cookie POST with rid");
    let answer = call(
        SessionLayer::required(config()),
        build(with_cookie(get(), &token)),
    )
    .await;
    assert_eq!(answer.status, 200, "GET is not checked");
    let answer = call(
        SessionLayer::required(config()),
        build(with_bearer(post(), &token)),
    )
    .await;
    assert_eq!(answer.status, 200, "header transport is not checked");
    // The rid check runs before any signature work: even a token with an unknown kid
    // reports the anti-CSRF failure.
    let unknown = fx.issuer.token("u").at(now()).kid("d-unknown").sign();
    let answer = call(
        SessionLayer::required(config()),
        build(with_cookie(post(), &unknown)),
    )
    .await;
    assert!(matches!(
        answer.state,
        Some(SessionState::TryRefresh(TryRefreshReason::AntiCsrf))
    ));
}

#[tokio::test]
async fn anti_csrf_via_token() {
    let fx = Fixture::new();
    let token = fx
        .issuer
        .token("u")
        .at(now())
        .anti_csrf_token("csrf-secret")
        .sign();
    let config = || fx.config().anti_csrf(AntiCsrf::ViaToken);
    let post = || Request::post("/api/user");
    let right = with_cookie(post().header("anti-csrf", "csrf-secret"), &token);
    assert_eq!(
        call(SessionLayer::required(config()), build(right))
            .await
            .status,
        200
    );
    let wrong = with_cookie(post().header("anti-csrf", "nope"), &token);
    assert_eq!(
        call(SessionLayer::required(config()), build(wrong))
            .await
            .body,
        TRY_REFRESH
    );
    let rid_only = with_cookie(post().header("rid", "anti-csrf"), &token);
    assert_eq!(
        call(SessionLayer::required(config()), build(rid_only))
            .await
            .body,
        TRY_REFRESH
    );
    let get_request = with_cookie(get(), &token);
    assert_eq!(
        call(SessionLayer::required(config()), build(get_request))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn failing_claims_answer_403_with_supertokens_body() {
    let fx = Fixture::new();
    let token = fx
        .issuer
        .token("u")
        .at(now())
        .email_verified(false)
        .roles(["user"])
        .sign();
    let config = fx
        .config()
        .validate_claim(EmailVerified::is_verified())
        .validate_claim(HasRole::includes("admin"));
    let answer = call(
        SessionLayer::required(config.clone()),
        build(with_cookie(get(), &token)),
    )
    .await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.body,
        r#"{"message":"invalid claim","claimValidationErrors":[{"id":"st-ev","reason":{"message":"wrong value","expectedValue":true,"actualValue":false}},{"id":"st-role","reason":{"message":"wrong value","expectedToInclude":"admin","actualValue":["user"]}}]}"#
    );
    let answer = call(
        SessionLayer::optional(config),
        build(with_cookie(get(), &token)),
    )
    .await;
    assert_eq!(answer.handler_state(), "InvalidClaims");
}

#[tokio::test]
async fn bad_tokens_never_panic_nor_answer_500() {
    let fx = Fixture::new();
    let good = fx.token();
    let segments: Vec<&str> = good.split('.').collect();
    let oversized = format!("{}.{}.{}", segments[0], "A".repeat(17 * 1024), segments[2]);
    let bad_tokens: Vec<String> = vec![
        String::new(),
        "garbage".into(),
        "a.b".into(),
        "a.b.c.d".into(),
        format!("{}.{}", segments[0], segments[1]),
        format!("{good}.extra"),
        "!!!.???.***".into(),
        format!("{}=.{}.{}", segments[0], segments[1], segments[2]),
        oversized,
        "\u{0}\u{1}".into(),
    ];
    for token in &bad_tokens {
        for request in [with_cookie(get(), token), with_bearer(get(), token)] {
            let Ok(request) = request.body(Full::default()) else {
                continue; // not representable as a header value at all
            };
            let answer = call(SessionLayer::required(fx.config()), request).await;
            assert_eq!(answer.status, 401, "token {token:.40?}");
            assert!(answer.body == UNAUTHORISED || answer.body == TRY_REFRESH);
        }
    }
}

#[tokio::test]
async fn rejection_policy_replaces_answers() {
    let fx = Fixture::new();
    let layer = SessionLayer::required(fx.config()).with_rejection(
        |rejection: &tower_supertokens::reject::Rejection<'_>| match rejection.state() {
            SessionState::NoToken => Response::builder()
                .status(StatusCode::IM_A_TEAPOT)
                .body(Bytes::from_static(b"custom"))
                .unwrap_or_default(),
            _ => rejection.default_response(),
        },
    );
    let service = ServiceBuilder::new().layer(layer).service_fn(echo);
    let response = service
        .clone()
        .oneshot(build(get()))
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::IM_A_TEAPOT);
    let expired = fx
        .issuer
        .token("u")
        .at(now() - Duration::from_secs(7200))
        .sign();
    let response = service
        .oneshot(build(with_cookie(get(), &expired)))
        .await
        .expect("infallible");
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn layer_serves_plain_service_fn_of_any_body() {
    // The layer is generic over request and response bodies: here String bodies.
    let fx = Fixture::new();
    let service = ServiceBuilder::new()
        .layer(SessionLayer::required(fx.config()))
        .service(service_fn(|_req: Request<String>| async {
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
        }));
    let request = Request::get("/")
        .header("authorization", format!("Bearer {}", fx.token()))
        .body(String::new())
        .expect("request");
    let response = service.oneshot(request).await.expect("infallible");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_remembered_token_is_still_checked_for_expiry_and_claims() {
    let fx = Fixture::new();
    let token = fx
        .issuer
        .token("u")
        .at(now())
        .expires_in(Duration::from_secs(60))
        .email_verified(false)
        .sign();
    let layer = SessionLayer::required(fx.config());
    for _ in 0..2 {
        let answer = call(layer.clone(), build(with_cookie(get(), &token))).await;
        assert_eq!(
            answer.status, 200,
            "verified, then served from the verified-token cache"
        );
    }
    fx.clock.set(now() + Duration::from_secs(60));
    let answer = call(layer.clone(), build(with_cookie(get(), &token))).await;
    assert_eq!(
        answer.body, TRY_REFRESH,
        "the cache never skips the expiry check"
    );
    fx.clock.set(now());
    let strict = SessionLayer::required(fx.config().validate_claim(EmailVerified::is_verified()));
    assert_eq!(
        call(strict, build(with_cookie(get(), &token))).await.status,
        403
    );
    // A different signature on the same header and payload is verified afresh.
    let forged = format!("{}A", &token[..token.len() - 1]);
    let forged = if forged == token {
        format!("{}B", &token[..token.len() - 1])
    } else {
        forged
    };
    assert_ne!(
        call(layer, build(with_cookie(get(), &forged))).await.status,
        200
    );
}

#[tokio::test]
async fn route_claims_read_the_session_layers_clock() {
    use tower_supertokens::RequireClaimsLayer;
    let fx = Fixture::new();
    let token = fx.issuer.token("u").at(now()).email_verified(true).sign();
    let service = || {
        ServiceBuilder::new()
            .layer(SessionLayer::optional(fx.config()))
            .layer(RequireClaimsLayer::new(
                EmailVerified::is_verified().max_age(Duration::from_secs(60)),
            ))
            .service_fn(echo)
    };
    let response = service()
        .oneshot(build(with_cookie(get(), &token)))
        .await
        .expect("infallible");
    assert_eq!(response.status(), 200);
    // Two minutes later by the layer's clock the claim is too old (the token is not).
    fx.clock.advance(Duration::from_secs(120));
    let response = service()
        .oneshot(build(with_cookie(get(), &token)))
        .await
        .expect("infallible");
    assert_eq!(response.status(), 403);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(
        body["claimValidationErrors"][0]["reason"]["message"],
        "expired"
    );
    assert_eq!(
        body["claimValidationErrors"][0]["reason"]["maxAgeInSeconds"],
        60
    );
}

/// Found by fuzzing (fuzz/ target `token`): a signed token whose `exp` is beyond what
/// `SystemTime` can hold used to panic while building the session.
#[tokio::test]
async fn a_signed_token_with_an_absurd_exp_does_not_panic() {
    let fx = Fixture::new();
    for exp in ["1e300", "1.5e19", "9.3e18", "18446744073709551616"] {
        let exp: serde_json::Value = serde_json::from_str(exp).expect("number");
        let token = fx.issuer.token("u").at(now()).claim("exp", exp).sign();
        let answer = call(
            SessionLayer::required(fx.config()),
            build(with_bearer(get(), &token)),
        )
        .await;
        assert_eq!(answer.status, 200, "a far-future exp is valid");
    }
}

#[tokio::test]
async fn route_claims_let_cors_preflights_through_like_the_session_layer() {
    use tower_supertokens::RequireClaimsLayer;
    let fx = Fixture::new();
    let service = ServiceBuilder::new()
        .layer(SessionLayer::required(fx.config()))
        .layer(RequireClaimsLayer::new(EmailVerified::is_verified()))
        .service_fn(echo);
    let preflight = build(Request::builder().method(Method::OPTIONS).uri("/api/user"));
    let response = service.oneshot(preflight).await.expect("infallible");
    assert_eq!(response.status(), 200, "OPTIONS must reach the handler");
}
