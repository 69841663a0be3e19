//! SessionResponse from the crate's real API answers, bounded body reads, transport
//! errors, and bearer forwarding (`Session::authorize`, `ForwardSessionLayer`).

mod common;

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, StatusCode, Uri};
use http_body::{Body, Frame};
use http_body_util::{BodyExt, Empty, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tower_supertokens::claims::{EmailVerified, HasRole};
use tower_supertokens::reject::api;
use tower_supertokens::reject::page::PageConfig;
use tower_supertokens::testing::TestIssuer;
use tower_supertokens::upstream::{ForwardSessionLayer, MAX_ERROR_BODY, SessionResponse};
use tower_supertokens::{Session, SessionConfig, SessionLayer};

fn pages() -> PageConfig {
    PageConfig::default()
}

async fn classify<B: Body>(response: Response<B>) -> SessionResponse<B> {
    SessionResponse::from_upstream(response, &pages()).await
}

/// The answer a real `SessionLayer` (API server side) gives to `token` with `config`.
async fn api_answer(config: SessionConfig, token: Option<&str>) -> Response<Bytes> {
    let service = ServiceBuilder::new()
        .layer(SessionLayer::required(config))
        .service_fn(|_request: Request<Full<Bytes>>| async {
            Ok::<_, Infallible>(Response::new(Full::from(r#"{"userId":"u"}"#)))
        });
    let mut request = Request::get("/api/user").header("rid", "session");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = service
        .oneshot(request.body(Full::default()).expect("request"))
        .await
        .expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    Response::from_parts(parts, bytes)
}

/// One of the crate's own answers (`Response<Bytes>`) as an upstream body.
fn full(response: Response<Bytes>) -> Response<Full<Bytes>> {
    response.map(Full::new)
}

fn page_of<B>(answer: Result<Response<B>, Response<Bytes>>) -> Response<Bytes> {
    match answer {
        Ok(_) => panic!("expected a page answer"),
        Err(page) => page,
    }
}

fn text(response: &Response<Bytes>) -> &str {
    std::str::from_utf8(response.body()).unwrap_or("<not utf-8>")
}

#[tokio::test]
async fn success_passes_through_untouched() {
    let issuer = TestIssuer::new();
    let token = issuer.token("u").sign();
    let response = api_answer(SessionConfig::new(issuer.key_store()), Some(&token)).await;
    assert_eq!(response.status(), 200);
    let answer = classify(full(response)).await;
    assert!(answer.is_ok());
    let response = answer
        .into_page_response(&Uri::from_static("/"), &pages())
        .expect("2xx");
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    assert_eq!(body.as_ref(), br#"{"userId":"u"}"#);

    let created = Response::builder()
        .status(201)
        .body(Full::new(Bytes::from_static(b"created")))
        .expect("response");
    assert!(classify(created).await.ok().is_some());
}

#[tokio::test]
async fn unauthorised_401_is_a_login_redirect() {
    let issuer = TestIssuer::new();
    let response = api_answer(SessionConfig::new(issuer.key_store()), None).await;
    assert_eq!(response.body().as_ref(), api::UNAUTHORISED_BODY.as_bytes());
    let answer = classify(full(response)).await;
    assert!(matches!(answer, SessionResponse::Unauthorised));
    let page = page_of(answer.into_page_response(&Uri::from_static("/inbox?x=1"), &pages()));
    assert_eq!(page.status(), 307);
    assert_eq!(
        page.headers()["location"],
        "/auth/?redirectToPath=%2Finbox%3Fx%3D1"
    );
    assert!(matches!(
        classify(full(api::unauthorised())).await,
        SessionResponse::Unauthorised
    ));
}

#[tokio::test]
async fn other_401s_mean_try_refresh() {
    let issuer = TestIssuer::new();
    let expired = issuer
        .token("u")
        .at(std::time::SystemTime::now() - std::time::Duration::from_secs(7200))
        .sign();
    let response = api_answer(SessionConfig::new(issuer.key_store()), Some(&expired)).await;
    assert_eq!(response.body().as_ref(), api::TRY_REFRESH_BODY.as_bytes());
    let answer = classify(full(response)).await;
    assert!(matches!(answer, SessionResponse::TryRefresh));
    let page = page_of(answer.into_page_response(&Uri::from_static("/inbox"), &pages()));
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(text(&page).contains("/auth/session/refresh"));

    for body in [
        "",
        "not json",
        r#"{"message":"token theft detected"}"#,
        r#"{"message":5}"#,
    ] {
        let response = Response::builder()
            .status(401)
            .body(Full::new(Bytes::from(body)))
            .expect("response");
        assert!(
            matches!(classify(response).await, SessionResponse::TryRefresh),
            "{body}"
        );
    }
}

#[tokio::test]
async fn forbidden_with_two_failing_claims_redirects_to_the_first_with_a_page() {
    let issuer = TestIssuer::new();
    let token = issuer
        .token("u")
        .email_verified(false)
        .roles(["user"])
        .sign();
    // st-role fails first (no page), then st-ev (its page is /auth/verify-email).
    let config = SessionConfig::new(issuer.key_store())
        .validate_claim(HasRole::includes("admin"))
        .validate_claim(EmailVerified::is_verified());
    let response = api_answer(config, Some(&token)).await;
    assert_eq!(response.status(), 403);
    assert!(
        text(&response)
            .starts_with(r#"{"message":"invalid claim","claimValidationErrors":[{"id":"st-role""#)
    );
    let answer = classify(full(response)).await;
    match &answer {
        SessionResponse::ClaimRedirect { claim, location } => {
            assert_eq!(claim, "st-ev");
            assert_eq!(location, "/auth/verify-email");
        }
        other => panic!("expected ClaimRedirect, got {other:?}"),
    }
    let page = page_of(answer.into_page_response(&Uri::from_static("/"), &pages()));
    assert_eq!(page.status(), 307);
    assert_eq!(page.headers()["location"], "/auth/verify-email");
}

#[tokio::test]
async fn forbidden_without_a_claim_page_is_access_denied() {
    let issuer = TestIssuer::new();
    let token = issuer
        .token("u")
        .email_verified(false)
        .roles(["user"])
        .sign();
    let config = SessionConfig::new(issuer.key_store())
        .validate_claim(HasRole::includes("admin"))
        .validate_claim(EmailVerified::is_verified());
    let response = api_answer(config, Some(&token)).await;
    let no_redirects = PageConfig::new().without_claim_redirects();
    let answer = SessionResponse::from_upstream(full(response), &no_redirects).await;
    match &answer {
        SessionResponse::AccessDenied { claims } => assert_eq!(claims, &["st-role", "st-ev"]),
        other => panic!("expected AccessDenied, got {other:?}"),
    }
    let page = page_of(answer.into_page_response(&Uri::from_static("/"), &no_redirects));
    assert_eq!(page.status(), 403);
    assert!(text(&page).contains("<code>st-role</code>"));
    assert!(text(&page).contains("<code>st-ev</code>"));

    // Redirecting to the page being rendered would loop: access denied instead.
    let errors = [tower_supertokens::claims::ClaimValidationError {
        id: "st-ev".into(),
        reason: None,
    }];
    let answer = classify(full(api::invalid_claims(&errors))).await;
    let page =
        page_of(answer.into_page_response(&Uri::from_static("/auth/verify-email"), &pages()));
    assert_eq!(page.status(), 403);
}

#[tokio::test]
async fn forbidden_without_a_usable_body_is_access_denied_with_no_claims() {
    for body in [
        "",
        "not json",
        r#"{"message":"invalid claim"}"#,
        r#"{"claimValidationErrors":"x"}"#,
    ] {
        let response = Response::builder()
            .status(403)
            .body(Full::new(Bytes::from(body)))
            .expect("response");
        match classify(response).await {
            SessionResponse::AccessDenied { claims } => assert!(claims.is_empty(), "{body}"),
            other => panic!("{body}: expected AccessDenied, got {other:?}"),
        }
    }
    let empty = Response::builder()
        .status(403)
        .body(Empty::<Bytes>::new())
        .expect("response");
    assert!(matches!(
        classify(empty).await,
        SessionResponse::AccessDenied { claims } if claims.is_empty()
    ));
}

#[tokio::test]
async fn server_errors_and_unexpected_statuses_are_upstream_errors() {
    let answer = classify(full(api::keys_unavailable(std::time::Duration::from_secs(
        1,
    ))))
    .await;
    assert!(matches!(
        answer,
        SessionResponse::UpstreamError(StatusCode::SERVICE_UNAVAILABLE)
    ));
    for status in [500, 502, 404, 302, 400, 429] {
        let response = Response::builder()
            .status(status)
            .body(Full::new(Bytes::from_static(b"whatever")))
            .expect("response");
        let answer = classify(response).await;
        assert!(
            matches!(answer, SessionResponse::UpstreamError(s) if s.as_u16() == status),
            "{status}"
        );
        let page = page_of(answer.into_page_response(&Uri::from_static("/"), &pages()));
        assert_eq!(page.status(), 502);
        assert!(text(&page).contains("Something went wrong"));
        assert!(!text(&page).contains("whatever"));
    }
}

/// A body that never ends: 16 KiB frames forever, counting the frames read.
#[derive(Debug)]
struct Endless {
    frames: Arc<AtomicUsize>,
}

impl Body for Endless {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.frames.fetch_add(1, Ordering::SeqCst);
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![b' '; 16 * 1024])))))
    }
}

#[tokio::test]
async fn bodies_over_the_limit_are_not_read_whole() {
    for status in [401, 403] {
        let frames = Arc::new(AtomicUsize::new(0));
        let response = Response::builder()
            .status(status)
            .body(Endless {
                frames: Arc::clone(&frames),
            })
            .expect("response");
        let answer = classify(response).await;
        let read = frames.load(Ordering::SeqCst);
        assert!(
            read <= MAX_ERROR_BODY / (16 * 1024) + 1,
            "{read} frames read"
        );
        match (status, answer) {
            (401, SessionResponse::TryRefresh) => {}
            (403, SessionResponse::AccessDenied { claims }) => assert!(claims.is_empty()),
            (_, other) => panic!("{status}: {other:?}"),
        }
    }
    // A valid 403 body padded past the limit counts as unknown.
    let mut padded =
        r#"{"message":"invalid claim","claimValidationErrors":[{"id":"st-ev"}]"#.to_owned();
    padded.push_str(&" ".repeat(MAX_ERROR_BODY));
    padded.push('}');
    let response = Response::builder()
        .status(403)
        .body(Full::new(Bytes::from(padded)))
        .expect("response");
    assert!(matches!(
        classify(response).await,
        SessionResponse::AccessDenied { claims } if claims.is_empty()
    ));
}

#[tokio::test]
async fn transport_errors_are_upstream_errors() {
    let failed: Result<Response<Full<Bytes>>, &str> = Err("connection refused to 10.0.0.1");
    let answer = SessionResponse::from_result(failed, &pages()).await;
    assert!(matches!(
        answer,
        SessionResponse::UpstreamError(StatusCode::BAD_GATEWAY)
    ));
    let page = page_of(answer.into_page_response(&Uri::from_static("/"), &pages()));
    assert_eq!(page.status(), 502);
    assert!(
        !text(&page).contains("10.0.0.1"),
        "the cause stays in the logs"
    );

    // A real client against a closed loopback port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = closed.local_addr().expect("addr");
    drop(closed);
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let request = Request::get(format!("http://{addr}/api/user"))
        .body(Empty::new())
        .expect("request");
    let answer = SessionResponse::from_result(client.request(request).await, &pages()).await;
    assert!(matches!(
        answer,
        SessionResponse::UpstreamError(StatusCode::BAD_GATEWAY)
    ));
}

#[tokio::test]
async fn api_callers_get_supertokens_json() {
    let json = |answer: SessionResponse<Full<Bytes>>| {
        let response = answer.into_api_response().expect_err("not Ok");
        let body = String::from_utf8_lossy(response.body()).into_owned();
        assert_eq!(response.headers()["content-type"], "application/json");
        (response.status().as_u16(), body)
    };
    assert_eq!(
        json(SessionResponse::TryRefresh),
        (401, api::TRY_REFRESH_BODY.to_owned())
    );
    assert_eq!(
        json(SessionResponse::Unauthorised),
        (401, api::UNAUTHORISED_BODY.to_owned())
    );
    assert_eq!(
        json(SessionResponse::ClaimRedirect {
            claim: "st-ev".into(),
            location: "/auth/verify-email".into()
        }),
        (
            403,
            r#"{"message":"invalid claim","claimValidationErrors":[{"id":"st-ev"}]}"#.to_owned()
        )
    );
    assert_eq!(
        json(SessionResponse::AccessDenied { claims: vec!["st-role".into(), "st-perm".into()] }),
        (403, r#"{"message":"invalid claim","claimValidationErrors":[{"id":"st-role"},{"id":"st-perm"}]}"#.to_owned())
    );
    assert_eq!(
        json(SessionResponse::UpstreamError(
            StatusCode::INTERNAL_SERVER_ERROR
        )),
        (502, r#"{"message":"upstream error"}"#.to_owned())
    );
    let ok = SessionResponse::Ok(Response::new(Full::new(Bytes::from_static(b"ok"))));
    assert!(ok.into_api_response().is_ok());
}

#[tokio::test]
async fn axum_into_response_gives_json_answers() {
    use axum::response::IntoResponse;
    let response = SessionResponse::<Full<Bytes>>::TryRefresh.into_response();
    assert_eq!(response.status(), 401);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    assert_eq!(body.as_ref(), api::TRY_REFRESH_BODY.as_bytes());
    let response =
        SessionResponse::Ok(Response::new(Full::new(Bytes::from_static(b"fine")))).into_response();
    assert_eq!(response.status(), 200);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    assert_eq!(body.as_ref(), b"fine");
}

/// A verified session for `token`, as a handler behind `SessionLayer` gets it.
async fn session_for(issuer: &TestIssuer, token: &str) -> Session {
    let seen = Arc::new(Mutex::new(None));
    let store = Arc::clone(&seen);
    let service = ServiceBuilder::new()
        .layer(SessionLayer::required(SessionConfig::new(
            issuer.key_store(),
        )))
        .service(service_fn(move |request: Request<Empty<Bytes>>| {
            let store = Arc::clone(&store);
            async move {
                if let Ok(mut slot) = store.lock() {
                    *slot = request.extensions().get::<Session>().cloned();
                }
                Ok::<_, Infallible>(Response::new(Empty::<Bytes>::new()))
            }
        }));
    let request = Request::get("/")
        .header("cookie", format!("sAccessToken={token}"))
        .body(Empty::new())
        .expect("request");
    let response = service.oneshot(request).await.expect("infallible");
    assert_eq!(response.status(), 200);
    let session = seen.lock().expect("lock").take();
    session.expect("a valid session")
}

#[tokio::test]
async fn authorize_sets_a_sensitive_bearer_header() {
    let issuer = TestIssuer::new();
    let token = issuer.token("user-1").sign();
    let session = session_for(&issuer, &token).await;
    let mut request = Request::get("/api/user")
        .header("authorization", "Bearer something-else")
        .body(())
        .expect("request");
    session.authorize(&mut request);
    let values: Vec<_> = request.headers().get_all("authorization").iter().collect();
    assert_eq!(values.len(), 1, "replaced, not appended");
    assert_eq!(values[0], format!("Bearer {token}").as_str());
    assert!(values[0].is_sensitive());
    assert!(!format!("{:?}", request.headers()).contains(&token));
}

#[tokio::test]
async fn forward_session_layer_sets_the_header_on_every_request() {
    let issuer = TestIssuer::new();
    let token = issuer.token("user-1").sign();
    let session = session_for(&issuer, &token).await;
    let layer = ForwardSessionLayer::new(session);
    assert!(
        !format!("{layer:?}").contains(&token),
        "Debug never shows the token"
    );
    let client = ServiceBuilder::new()
        .layer(layer)
        .service_fn(|request: Request<()>| async move {
            let header = request.headers().get("authorization").cloned();
            Ok::<_, Infallible>(Response::new(header))
        });
    for _ in 0..2 {
        let response = client
            .clone()
            .oneshot(Request::get("/").body(()).expect("request"))
            .await
            .expect("infallible");
        assert_eq!(
            response.body().as_ref().and_then(|v| v.to_str().ok()),
            Some(format!("Bearer {token}").as_str())
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn forward_session_layer_over_a_hyper_util_client_reaches_the_api() {
    let issuer = TestIssuer::new();
    let jwks = issuer.serve().await.expect("jwks server");
    let api = common::start_example(
        "api_server",
        &["--jwks-uri", &jwks.jwks_uri(), "--listen", "127.0.0.1:0"],
    );
    let token = issuer.token("user-7").sign();
    let session = session_for(&issuer, &token).await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let forwarding = ServiceBuilder::new()
        .layer(ForwardSessionLayer::new(session))
        .service(client.clone());
    let request = Request::get(format!("{}/api/user", api.base))
        .body(Empty::new())
        .expect("request");
    let result = forwarding.oneshot(request).await;
    let answer = SessionResponse::from_result(result, &pages()).await;
    let response = answer.ok().expect("200 from the API");
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let user: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(user["userId"], "user-7");

    // Without the layer the same client is unauthorised.
    let request = Request::get(format!("{}/api/user", api.base))
        .body(Empty::new())
        .expect("request");
    let answer = SessionResponse::from_result(client.request(request).await, &pages()).await;
    assert!(matches!(answer, SessionResponse::Unauthorised));
}
