//! Drives `examples/api_server.rs` over HTTP with a TestIssuer JWKS on loopback.

mod common;

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use tower_supertokens::testing::TestIssuer;

use common::{get, send, start_example};

#[tokio::test(flavor = "multi_thread")]
async fn api_server_answers_its_routes() {
    let issuer = TestIssuer::new();
    let jwks = issuer.serve().await.expect("jwks server");
    let server = start_example(
        "api_server",
        &["--jwks-uri", &jwks.jwks_uri(), "--listen", "127.0.0.1:0"],
    );
    let base = &server.base;

    assert_eq!(get(&format!("{base}/healthz"), &[]).await.status, 200);

    // No session.
    let reply = get(&format!("{base}/api/user"), &[]).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.body, r#"{"message":"unauthorised"}"#);

    // A valid v5 session, from the cookie and from the header.
    let token = issuer
        .token(" user-1 ")
        .claim("rsub", serde_json::json!("recipe-1"))
        .tenant_id(Some("tenant-a"))
        .email_verified(false)
        .sign();
    let cookie = format!("sAccessToken={token}");
    let bearer = format!("Bearer {token}");
    for header in [
        ("cookie", cookie.as_str()),
        ("authorization", bearer.as_str()),
    ] {
        let reply = get(&format!("{base}/api/user"), &[header]).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let body = reply.json();
        assert_eq!(body["userId"], "user-1", "trimmed like sanitizeStringInput");
        assert_eq!(body["recipeUserId"], "recipe-1");
        assert_eq!(body["tenantId"], "tenant-a");
        assert!(
            body["sessionHandle"]
                .as_str()
                .is_some_and(|h| !h.is_empty())
        );
        assert_eq!(body["accessTokenPayload"]["sub"], " user-1 ");
    }

    // POST works too.
    let post = Request::post(format!("{base}/api/user"))
        .header("cookie", &cookie)
        .body(Full::<Bytes>::default())
        .expect("request");
    assert_eq!(send(post).await.status, 200);

    // /api/verified needs st-ev true.
    let reply = get(&format!("{base}/api/verified"), &[("cookie", &cookie)]).await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.body,
        r#"{"message":"invalid claim","claimValidationErrors":[{"id":"st-ev","reason":{"message":"wrong value","expectedValue":true,"actualValue":false}}]}"#
    );
    let verified = issuer.token("user-2").email_verified(true).sign();
    let reply = get(
        &format!("{base}/api/verified"),
        &[("authorization", &format!("Bearer {verified}"))],
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["userId"], "user-2");

    // Expired → try refresh.
    let expired = issuer
        .token("user-1")
        .at(SystemTime::now() - Duration::from_secs(7200))
        .sign();
    let reply = get(
        &format!("{base}/api/user"),
        &[("cookie", &format!("sAccessToken={expired}"))],
    )
    .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.body, r#"{"message":"try refresh token"}"#);

    // Optional route.
    let reply = get(&format!("{base}/api/optional"), &[]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json(),
        serde_json::json!({"session": null, "state": "NoToken"})
    );
    let reply = get(&format!("{base}/api/optional"), &[("cookie", &cookie)]).await;
    assert_eq!(reply.json()["state"], "Valid");
    assert_eq!(reply.json()["session"]["userId"], "user-1");
    let reply = get(
        &format!("{base}/api/optional"),
        &[("cookie", &format!("sAccessToken={expired}"))],
    )
    .await;
    assert_eq!(reply.json()["state"], "TryRefresh");

    // v3 token: tenant "public"; v4 without tId: null.
    let v3 = issuer.token("u3").version(3).tenant_id(None).sign();
    let reply = get(
        &format!("{base}/api/user"),
        &[("authorization", &format!("Bearer {v3}"))],
    )
    .await;
    assert_eq!(reply.json()["tenantId"], "public");
    let v4 = issuer.token("u4").version(4).tenant_id(None).sign();
    let reply = get(
        &format!("{base}/api/user"),
        &[("authorization", &format!("Bearer {v4}"))],
    )
    .await;
    assert_eq!(reply.json()["tenantId"], serde_json::Value::Null);
    assert_eq!(reply.json()["recipeUserId"], "u4");
}

#[tokio::test(flavor = "multi_thread")]
async fn api_server_flags_select_anti_csrf_and_key_kind() {
    let issuer = TestIssuer::with_kid("s-static-key");
    let jwks = issuer.serve().await.expect("jwks server");
    let uri = jwks.jwks_uri();
    let token = issuer.token("user-1").sign();
    let cookie = format!("sAccessToken={token}");

    let dynamic = start_example(
        "api_server",
        &["--jwks-uri", &uri, "--listen", "127.0.0.1:0"],
    );
    let reply = get(
        &format!("{}/api/user", dynamic.base),
        &[("cookie", &cookie)],
    )
    .await;
    assert_eq!(
        reply.body, r#"{"message":"try refresh token"}"#,
        "s- key under the default"
    );

    let server = start_example(
        "api_server",
        &[
            "--jwks-uri",
            &uri,
            "--listen",
            "127.0.0.1:0",
            "--signing-keys",
            "static",
            "--anti-csrf",
            "via-custom-header",
        ],
    );
    let reply = get(&format!("{}/api/user", server.base), &[("cookie", &cookie)]).await;
    assert_eq!(reply.status, 200, "GET is not CSRF-checked");
    let post = |rid: bool| {
        let mut builder =
            Request::post(format!("{}/api/user", server.base)).header("cookie", &cookie);
        if rid {
            builder = builder.header("rid", "anti-csrf");
        }
        builder.body(Full::<Bytes>::default()).expect("request")
    };
    assert_eq!(
        send(post(false)).await.body,
        r#"{"message":"try refresh token"}"#
    );
    assert_eq!(send(post(true)).await.status, 200);
}
