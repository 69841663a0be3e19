//! Drives `examples/demo` over HTTP the way a browser would, without one: redirects are
//! not followed and cookies are carried by hand. No sleeps: expiry is shown with a token
//! minted in the past by the same fixed test keys the demo's issuer uses.

mod common;

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use serde_json::Value;
use tower_supertokens::testing::TestIssuer;

use common::{Example, Reply, get, send, start_example};

const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";
const HTML: (&str, &str) = ("accept", BROWSER_ACCEPT);

const CLEAR_ACCESS: &str =
    "sAccessToken=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax";
const CLEAR_REFRESH: &str = "sRefreshToken=; Path=/auth/session/refresh; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax";

fn start() -> Example {
    start_example(
        "demo",
        &["--listen", "127.0.0.1:0", "--access-token-validity", "2"],
    )
}

async fn post(url: &str, headers: &[(&str, &str)], form: &str) -> Reply {
    let mut builder = Request::post(url);
    if !form.is_empty() {
        builder = builder.header("content-type", "application/x-www-form-urlencoded");
    }
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    send(
        builder
            .body(Full::new(Bytes::from(form.to_owned())))
            .expect("request"),
    )
    .await
}

fn location(reply: &Reply) -> &str {
    reply
        .headers
        .get("location")
        .map_or("<none>", |v| v.to_str().unwrap_or("<not ascii>"))
}

fn set_cookies(reply: &Reply) -> Vec<String> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii cookie").to_owned())
        .collect()
}

/// The `Set-Cookie` for `name`, split into its value and its attributes.
fn set_cookie<'a>(cookies: &'a [String], name: &str) -> Option<(&'a str, &'a str)> {
    cookies.iter().find_map(|cookie| {
        cookie
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('='))
            .and_then(|rest| rest.split_once("; "))
    })
}

/// Checks the attributes node writes: `Path=..; Expires=<HTTP date>; HttpOnly; SameSite=Lax`.
fn assert_attributes(attributes: &str, path: &str) {
    let rest = attributes
        .strip_prefix(&format!("Path={path}; Expires="))
        .unwrap_or_else(|| panic!("attributes {attributes:?}"));
    let (date, flags) = rest.split_once("; ").expect("flags");
    assert_eq!(flags, "HttpOnly; SameSite=Lax");
    assert_eq!(date.len(), 29, "{date:?}");
    assert!(
        date.ends_with(" GMT") && date.as_bytes()[3] == b',',
        "{date:?}"
    );
    assert!(
        !date.ends_with("1970 00:00:00 GMT"),
        "not a clearing cookie"
    );
}

fn decode_segment(token: &str, index: usize) -> (String, Value) {
    let segment = token.split('.').nth(index).expect("segment");
    let bytes = URL_SAFE_NO_PAD.decode(segment).expect("base64url");
    let text = String::from_utf8(bytes).expect("utf-8");
    let value = serde_json::from_str(&text).expect("json");
    (text, value)
}

/// A new access token from a response: cookie attributes, v5 structure, `front-token`.
fn access_token(reply: &Reply) -> (String, Value) {
    let cookies = set_cookies(reply);
    let (token, attributes) = set_cookie(&cookies, "sAccessToken").expect("sAccessToken set");
    assert_attributes(attributes, "/");
    let (_, header) = decode_segment(token, 0);
    assert_eq!(header["kid"], "d-1700000000000", "TestIssuer::new()'s kid");
    assert_eq!(header["version"], "5");
    assert_eq!(header["alg"], "RS256");
    let (payload_text, payload) = decode_segment(token, 1);
    let (iat, exp) = (
        payload["iat"].as_u64().expect("iat"),
        payload["exp"].as_u64().expect("exp"),
    );
    // --access-token-validity 2: at least 2 s (exp is rounded up to a whole second).
    assert!((2..=3).contains(&(exp - iat)), "{payload}");
    assert_eq!(payload["sub"], payload["rsub"]);
    assert_eq!(payload["tId"], "public");
    assert!(payload["sessionHandle"].is_string());

    // front-token: standard base64 of {"uid","ate","up"}, `up` in the token's key order.
    assert_eq!(
        reply.headers["access-control-expose-headers"],
        "front-token"
    );
    let front = reply.headers["front-token"].to_str().expect("ascii");
    let front = String::from_utf8(STANDARD.decode(front).expect("base64")).expect("utf-8");
    let expected = format!(
        r#"{{"uid":{},"ate":{},"up":{payload_text}}}"#,
        payload["sub"],
        exp * 1000
    );
    assert_eq!(front, expected);
    (token.to_owned(), payload)
}

fn refresh_token(reply: &Reply) -> String {
    let cookies = set_cookies(reply);
    let (token, attributes) = set_cookie(&cookies, "sRefreshToken").expect("sRefreshToken set");
    assert_attributes(attributes, "/auth/session/refresh");
    assert!(token.len() >= 32, "an opaque random token");
    token.to_owned()
}

/// SPEC §13.6, byte for byte.
fn assert_cleared(reply: &Reply) {
    assert_eq!(set_cookies(reply), [CLEAR_ACCESS, CLEAR_REFRESH]);
    assert_eq!(reply.headers["front-token"], "remove");
    assert_eq!(reply.headers["st-access-token"], "");
    assert_eq!(reply.headers["st-refresh-token"], "");
    assert_eq!(
        reply.headers["access-control-expose-headers"],
        "front-token, st-access-token, st-refresh-token"
    );
}

fn assert_unauthorised(reply: &Reply) {
    assert_eq!(reply.status, 401, "{}", reply.body);
    assert_eq!(reply.body, r#"{"message":"unauthorised"}"#);
    assert_eq!(reply.headers["content-type"], "application/json");
}

fn cookie(name: &str, value: &str) -> String {
    format!("{name}={value}")
}

/// The whole browser flow: login redirect, sign-in, Home, email verification, refresh,
/// sign-out.
#[tokio::test(flavor = "multi_thread")]
async fn demo_walks_through_sign_in_verification_refresh_and_sign_out() {
    let demo = start();
    let base = &demo.base;

    // 1. No session: the SSR app sends the browser to the sign-in page.
    let reply = get(&format!("{base}/"), &[HTML]).await;
    assert_eq!(reply.status, 307, "{}", reply.body);
    assert_eq!(location(&reply), "/auth/?redirectToPath=%2F");

    // 2. The sign-in page: HTML5 with a form that keeps redirectToPath.
    let reply = get(&format!("{base}/auth/?redirectToPath=%2F"), &[HTML]).await;
    assert_eq!(reply.status, 200);
    assert!(
        reply.headers["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/html")
    );
    assert_eq!(reply.headers["cache-control"], "no-store");
    assert!(reply.body.starts_with("<!DOCTYPE html>"), "{}", reply.body);
    for expected in [
        r#"<form method="post" action="/auth/signin">"#,
        r#"name="name""#,
        r#"<input type="hidden" name="redirectToPath" value="/">"#,
        "Development issuer",
    ] {
        assert!(
            reply.body.contains(expected),
            "{expected} in {}",
            reply.body
        );
    }
    assert_eq!(get(&format!("{base}/auth"), &[HTML]).await.status, 200);

    // 3. Sign in: both cookies as SuperTokens sets them, 303 back.
    let reply = post(
        &format!("{base}/auth/signin"),
        &[],
        "name=Alice+%3Calice%40example.com%3E&redirectToPath=%2F",
    )
    .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(location(&reply), "/");
    let (access, payload) = access_token(&reply);
    let refresh1 = refresh_token(&reply);
    let user_id = payload["sub"].as_str().expect("sub").to_owned();
    let handle = payload["sessionHandle"].clone();
    assert_eq!(payload["st-ev"]["v"], false, "{payload}");
    assert!(payload["st-ev"]["t"].as_u64().is_some(), "{payload}");

    // 4. Home: the SSR page got the user from the API.
    let access_cookie = cookie("sAccessToken", &access);
    let reply = get(&format!("{base}/"), &[HTML, ("cookie", &access_cookie)]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.body.contains(&format!("Your user id is: {user_id}")),
        "{}",
        reply.body
    );
    assert!(reply.body.contains(r#"action="/auth/signout""#));

    // The API directly, with the token as a bearer (what the SSR page sends).
    let reply = get(
        &format!("{base}/api/user"),
        &[("authorization", &format!("Bearer {access}"))],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["userId"], user_id.as_str());

    // 5. Not verified yet: the API's 403 becomes the redirect to email verification.
    let reply = get(
        &format!("{base}/verified"),
        &[HTML, ("cookie", &access_cookie)],
    )
    .await;
    assert_eq!(reply.status, 307, "{}", reply.body);
    assert_eq!(location(&reply), "/auth/verify-email");
    let reply = get(
        &format!("{base}/auth/verify-email"),
        &[HTML, ("cookie", &access_cookie)],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply
            .body
            .contains(r#"<form method="post" action="/auth/verify-email">"#)
    );
    assert!(reply.body.contains(&user_id));

    // 6. Verify: a new access token with st-ev true, same session.
    let reply = post(
        &format!("{base}/auth/verify-email"),
        &[("cookie", &access_cookie)],
        "",
    )
    .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(location(&reply), "/verified");
    let (verified, payload) = access_token(&reply);
    assert!(set_cookie(&set_cookies(&reply), "sRefreshToken").is_none());
    assert_eq!(payload["sub"], user_id.as_str());
    assert_eq!(payload["sessionHandle"], handle);
    assert_eq!(payload["st-ev"]["v"], true, "{payload}");
    assert!(payload["st-ev"]["t"].as_u64().is_some(), "{payload}");
    let verified_cookie = cookie("sAccessToken", &verified);
    let reply = get(
        &format!("{base}/verified"),
        &[HTML, ("cookie", &verified_cookie)],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains(&format!("Your user id is: {user_id}")));

    // 7. Refresh (what the try-refresh page's script sends).
    let refresh_url = format!("{base}/auth/session/refresh");
    let refresh1_cookie = cookie("sRefreshToken", &refresh1);
    // Without `rid`: 401, and the tokens are left alone (node's anti-CSRF failure).
    let reply = post(&refresh_url, &[("cookie", &refresh1_cookie)], "").await;
    assert_unauthorised(&reply);
    assert!(set_cookies(&reply).is_empty());
    let browser = [
        ("rid", "session"),
        ("fdi-version", "1.16,1.17,1.18,1.19,2.0,3.0,3.1,4.0,4.1"),
        ("st-auth-mode", "cookie"),
    ];
    fn with<'a>(browser: &[(&'a str, &'a str)], cookie: &'a str) -> Vec<(&'a str, &'a str)> {
        let mut headers = browser.to_vec();
        headers.push(("cookie", cookie));
        headers
    }
    let reply = post(&refresh_url, &with(&browser, &refresh1_cookie), "").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body, "{}");
    assert_eq!(reply.headers["content-type"], "application/json");
    let (refreshed, payload) = access_token(&reply);
    let refresh2 = refresh_token(&reply);
    assert_ne!(refresh2, refresh1, "rotated");
    assert_ne!(refreshed, verified);
    assert_eq!(payload["sessionHandle"], handle);
    assert_eq!(payload["st-ev"]["v"], true, "claims survive a refresh");
    let reply = get(
        &format!("{base}/verified"),
        &[HTML, ("cookie", &cookie("sAccessToken", &refreshed))],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    // Using the child retires the parent: refresh1 is then unknown.
    let reply = post(
        &refresh_url,
        &with(&browser, &cookie("sRefreshToken", &refresh2)),
        "",
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let refresh3 = refresh_token(&reply);
    let reply = post(&refresh_url, &with(&browser, &refresh1_cookie), "").await;
    assert_unauthorised(&reply);
    assert_cleared(&reply);

    // A bogus or missing refresh token: 401 and every token cleared.
    for headers in [with(&browser, "sRefreshToken=bogus"), browser.to_vec()] {
        let reply = post(&refresh_url, &headers, "").await;
        assert_unauthorised(&reply);
        assert_cleared(&reply);
    }

    // 8. Sign out: revoked and cleared.
    let reply = post(
        &format!("{base}/auth/signout"),
        &[("cookie", &verified_cookie)],
        "",
    )
    .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(location(&reply), "/public");
    assert_cleared(&reply);
    let reply = post(
        &refresh_url,
        &with(&browser, &cookie("sRefreshToken", &refresh3)),
        "",
    )
    .await;
    assert_unauthorised(&reply);
    assert_cleared(&reply);
    // The revoked session can no longer get tokens from the issuer either.
    let reply = post(
        &format!("{base}/auth/verify-email"),
        &[("cookie", &verified_cookie)],
        "",
    )
    .await;
    assert_eq!(reply.status, 303);
    assert_eq!(location(&reply), "/auth/verify-email");
    assert!(set_cookies(&reply).is_empty());

    let reply = get(&format!("{base}/public"), &[HTML]).await;
    assert_eq!(reply.status, 200);
    assert!(reply.body.contains("Public page"));
}

/// An expired token (minted in the past with the demo's own key and kid) gets the
/// try-refresh page on a page load and "try refresh token" on an API call; a token signed
/// by another key gets the same.
#[tokio::test(flavor = "multi_thread")]
async fn demo_answers_expired_tokens_with_the_try_refresh_page() {
    let demo = start();
    let base = &demo.base;
    let issuer = TestIssuer::new();
    let expired = issuer
        .token("user-1")
        .at(SystemTime::now() - Duration::from_secs(7200))
        .claim("st-ev", serde_json::json!({"v": true, "t": 1}))
        .sign();
    let expired_cookie = cookie("sAccessToken", &expired);
    for path in ["/", "/verified", "/auth/verify-email"] {
        let reply = get(
            &format!("{base}{path}"),
            &[HTML, ("cookie", &expired_cookie)],
        )
        .await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        assert_eq!(reply.headers["cache-control"], "no-store");
        for expected in [
            r#""refreshUrl":"/auth/session/refresh""#,
            r#""rid": "session""#,
            r#"credentials: "include""#,
        ] {
            assert!(reply.body.contains(expected), "{path}: {expected}");
        }
    }
    let reply = get(
        &format!("{base}/api/user"),
        &[("authorization", &format!("Bearer {expired}"))],
    )
    .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.body, r#"{"message":"try refresh token"}"#);

    // The demo's keys are TestIssuer::new()'s: a fresh token from it is accepted...
    let fresh = issuer.token("user-2").sign();
    let reply = get(
        &format!("{base}/api/user"),
        &[("authorization", &format!("Bearer {fresh}"))],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    // ...and one signed by an unpublished key is not.
    let other = TestIssuer::new();
    other.rotate("d-1800000000000");
    let foreign = other.token("user-3").sign();
    let reply = get(
        &format!("{base}/"),
        &[HTML, ("cookie", &cookie("sAccessToken", &foreign))],
    )
    .await;
    assert_eq!(reply.status, 200);
    assert!(reply.body.contains("/auth/session/refresh"));
}

/// The issuer's other routes: JWKS, open-redirect defence, escaping, form errors,
/// cross-site form posts, the rest of the API.
#[tokio::test(flavor = "multi_thread")]
async fn demo_issuer_is_safe_with_what_clients_send() {
    let demo = start();
    let base = &demo.base;

    let expected = TestIssuer::new().jwks();
    for path in ["/.well-known/jwks.json", "/auth/jwt/jwks.json"] {
        let reply = get(&format!("{base}{path}"), &[]).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.headers["content-type"], "application/json");
        assert_eq!(reply.json(), expected);
    }

    // redirectToPath: only same-origin relative paths, on the page and after sign-in.
    for (raw, kept) in [
        ("%2Finbox%3Ftab%3D1", "/inbox?tab=1"),
        ("%2F%2Fevil.example", "/"),
        ("https%3A%2F%2Fevil.example", "/"),
        ("%2F%5Cevil.example", "/"),
        ("%2F%252F%252Fevil.example", "/"),
        ("javascript%3Aalert(1)", "/"),
        ("%2F%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/"),
        ("", "/"),
    ] {
        let reply = get(&format!("{base}/auth/?redirectToPath={raw}"), &[HTML]).await;
        assert_eq!(reply.status, 200);
        assert!(
            reply.body.contains(&format!(
                r#"<input type="hidden" name="redirectToPath" value="{kept}">"#
            )),
            "{raw}: {}",
            reply.body
        );
        assert!(!reply.body.contains("<script"), "{raw}");
        let reply = post(
            &format!("{base}/auth/signin"),
            &[],
            &format!("name=bob&redirectToPath={raw}"),
        )
        .await;
        assert_eq!(reply.status, 303, "{raw}");
        assert_eq!(location(&reply), kept, "{raw}");
    }
    let reply = get(&format!("{base}/auth/"), &[HTML]).await;
    assert!(reply.body.contains(r#"name="redirectToPath" value="/""#));

    // Bad forms: the page again with 400, no session.
    for form in ["name=", "name=++", "redirectToPath=%2F", "name=a%00b", ""] {
        let reply = post(&format!("{base}/auth/signin"), &[], form).await;
        assert_eq!(reply.status, 400, "{form:?}");
        assert!(set_cookies(&reply).is_empty());
        assert!(reply.body.contains(r#"action="/auth/signin""#));
    }
    let long = format!("name={}", "a".repeat(300));
    let reply = post(&format!("{base}/auth/signin"), &[], &long).await;
    assert_eq!(reply.status, 400);

    // Cross-site form posts are refused (login CSRF); same-origin ones work.
    let host = base.trim_start_matches("http://");
    for headers in [
        vec![("sec-fetch-site", "cross-site")],
        vec![("origin", "http://evil.example"), ("host", host)],
    ] {
        let reply = post(&format!("{base}/auth/signin"), &headers, "name=eve").await;
        assert_eq!(reply.status, 403, "{headers:?}");
        assert!(set_cookies(&reply).is_empty());
    }
    let origin = base.as_str();
    for headers in [
        vec![("sec-fetch-site", "same-origin")],
        vec![("origin", origin), ("host", host)],
    ] {
        let reply = post(&format!("{base}/auth/signin"), &headers, "name=eve").await;
        assert_eq!(reply.status, 303, "{headers:?}");
    }

    // Sign-out without a session still clears; verify-email without one goes to its page.
    let reply = post(&format!("{base}/auth/signout"), &[], "").await;
    assert_eq!(reply.status, 303);
    assert_cleared(&reply);
    let reply = post(&format!("{base}/auth/verify-email"), &[], "").await;
    assert_eq!(reply.status, 303);
    assert_eq!(location(&reply), "/auth/verify-email");
    let reply = get(&format!("{base}/auth/verify-email"), &[HTML]).await;
    assert_eq!(reply.status, 307);
    assert_eq!(
        location(&reply),
        "/auth/?redirectToPath=%2Fauth%2Fverify-email"
    );

    // The API server's routes.
    assert_eq!(get(&format!("{base}/healthz"), &[]).await.status, 200);
    let reply = get(&format!("{base}/api/optional"), &[]).await;
    assert_eq!(reply.json()["state"], "NoToken");
    let reply = get(&format!("{base}/api/user"), &[]).await;
    assert_unauthorised(&reply);
}

/// Arguments the demo refuses: a non-loopback address (the issuer has no passwords) and a
/// validity out of range.
#[test]
fn demo_refuses_unsafe_arguments() {
    // Makes sure the binary is built; its path sits next to the other examples.
    drop(start_example("demo", &["--listen", "127.0.0.1:0"]));
    let exe = std::env::current_exe().expect("test binary");
    let demo = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir")
        .join("examples")
        .join("demo");
    for args in [
        &["--listen", "0.0.0.0:0"][..],
        &["--access-token-validity", "0"],
        &["--access-token-validity", "soon"],
        &["--bogus"],
    ] {
        let output = std::process::Command::new(&demo)
            .args(args)
            .output()
            .expect("run demo");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}
