//! The axum extractors behind an optional SessionLayer.

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;
use tower_supertokens::testing::TestIssuer;
use tower_supertokens::{Session, SessionConfig, SessionLayer, SessionState};

fn app(issuer: &TestIssuer) -> Router {
    Router::new()
        .route(
            "/me",
            get(|session: Session| async move { session.user_id().to_owned() }),
        )
        .route(
            "/maybe",
            get(|session: Option<Session>| async move {
                session.map_or_else(|| "anonymous".to_owned(), |s| s.user_id().to_owned())
            }),
        )
        .route(
            "/state",
            get(|state: SessionState| async move { state.name() }),
        )
        .layer(SessionLayer::optional(SessionConfig::new(
            issuer.key_store(),
        )))
}

async fn call(app: &Router, uri: &str, headers: &[(&str, &str)]) -> (u16, Option<String>, String) {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap_or_default())
        .await
        .unwrap_or_else(|e| match e {});
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    (
        status,
        location,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[tokio::test]
async fn session_extractor_answers_like_the_layer() {
    let issuer = TestIssuer::new();
    let app = app(&issuer);
    let cookie = format!("sAccessToken={}", issuer.token("user-7").sign());
    assert_eq!(call(&app, "/me", &[("cookie", &cookie)]).await.2, "user-7");
    // An API call without a session: SuperTokens' JSON.
    let (status, _, body) = call(&app, "/me", &[]).await;
    assert_eq!(
        (status, body.as_str()),
        (401, r#"{"message":"unauthorised"}"#)
    );
    // A page load without a session: the login redirect, with the layer's page config.
    let (status, location, _) = call(&app, "/me?x=1", &[("accept", "text/html")]).await;
    assert_eq!(status, 307);
    assert_eq!(
        location.as_deref(),
        Some("/auth/?redirectToPath=%2Fme%3Fx%3D1")
    );
}

#[tokio::test]
async fn optional_session_is_none_without_token_and_answers_try_refresh_when_expired() {
    let issuer = TestIssuer::new();
    let app = app(&issuer);
    assert_eq!(call(&app, "/maybe", &[]).await.2, "anonymous");
    assert_eq!(
        call(&app, "/maybe", &[("authorization", "Bearer not-a-jwt")])
            .await
            .2,
        "anonymous"
    );
    let expired = issuer
        .token("u")
        .at(std::time::SystemTime::now() - std::time::Duration::from_secs(7200))
        .sign();
    let (status, _, body) = call(
        &app,
        "/maybe",
        &[("authorization", &format!("Bearer {expired}"))],
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (401, r#"{"message":"try refresh token"}"#)
    );
    assert_eq!(call(&app, "/state", &[]).await.2, "NoToken");
}

#[tokio::test]
async fn extractors_without_the_layer_are_a_server_error() {
    let app: Router = Router::new().route(
        "/me",
        get(|session: Session| async move { session.user_id().to_owned() }),
    );
    assert_eq!(call(&app, "/me", &[]).await.0, 500);
}
