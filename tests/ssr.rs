//! Page answers (SSR) through `SessionLayer`, every row of the page column of DESIGN.md's
//! "Two kinds of answer" table, open-redirect attempts, and `ssr_app` against `api_server`
//! over loopback.

mod common;

use common::fixture::{Fixture, now};
use common::requests::{build, with_cookie};

use std::convert::Infallible;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use serde_json::json;
use tower::{ServiceBuilder, ServiceExt};
use tower_supertokens::claims::{EmailVerified, HasRole, MfaCompleted, custom};
use tower_supertokens::reject::page::{PageConfig, Pages, RefreshStrategy};
use tower_supertokens::reject::{Rejection, RequestKind};
use tower_supertokens::testing::TestIssuer;
use tower_supertokens::{
    KeyStore, RequireClaimsLayer, SessionConfig, SessionLayer, SessionState, UnauthorisedReason,
};

const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";

async fn ok(_request: Request<Full<Bytes>>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::from("the page")))
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
    state: Option<SessionState>,
}

impl Answer {
    fn location(&self) -> &str {
        self.headers
            .get("location")
            .map_or("<none>", |v| v.to_str().unwrap_or("<not ascii>"))
    }

    fn assert_page(&self) {
        assert_eq!(self.headers["content-type"], "text/html; charset=utf-8");
        assert_eq!(self.headers["cache-control"], "no-store");
        assert!(
            self.body.starts_with(
                "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
            ),
            "{}",
            self.body
        );
        assert!(self.body.contains("<title>"), "{}", self.body);
        assert!(self.body.trim_end().ends_with("</html>"));
    }

    fn assert_login_redirect(&self, return_to_encoded: &str) {
        assert_eq!(self.status, StatusCode::TEMPORARY_REDIRECT, "{}", self.body);
        assert_eq!(
            self.location(),
            format!("/auth/?redirectToPath={return_to_encoded}")
        );
        self.assert_page();
    }
}

async fn call<P>(layer: SessionLayer<P>, request: Request<Full<Bytes>>) -> Answer
where
    P: tower_supertokens::reject::RejectionPolicy,
{
    let service = ServiceBuilder::new().layer(layer).service_fn(ok);
    into_answer(service.oneshot(request).await.expect("infallible")).await
}

async fn into_answer<B>(response: Response<B>) -> Answer
where
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
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

/// A browser navigation to `uri`.
fn page(uri: &str) -> http::request::Builder {
    Request::get(uri).header("accept", BROWSER_ACCEPT)
}

#[tokio::test]
async fn valid_session_reaches_the_page() {
    let fx = Fixture::new();
    let answer = call(
        SessionLayer::required(fx.config()),
        build(with_cookie(page("/"), &fx.token())),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, "the page");
}

#[tokio::test]
async fn no_token_redirects_to_login_with_the_path_and_query() {
    let fx = Fixture::new();
    for (uri, encoded) in [
        ("/", "%2F"),
        ("/a?b=1", "%2Fa%3Fb%3D1"),
        (
            "/inbox/42?tab=all&sort=new",
            "%2Finbox%2F42%3Ftab%3Dall%26sort%3Dnew",
        ),
        ("/caf%C3%A9~x", "%2Fcaf%25C3%25A9~x"),
    ] {
        let answer = call(SessionLayer::required(fx.config()), build(page(uri))).await;
        answer.assert_login_redirect(encoded);
        assert!(matches!(answer.state, Some(SessionState::NoToken)));
    }
}

#[tokio::test]
async fn unauthorised_token_redirects_to_login() {
    let fx = Fixture::new();
    let oauth = fx.issuer.token("u").at(now()).claim("stt", json!(1)).sign();
    let answer = call(
        SessionLayer::required(fx.config()),
        build(with_cookie(page("/x"), &oauth)),
    )
    .await;
    answer.assert_login_redirect("%2Fx");
    assert!(matches!(
        answer.state,
        Some(SessionState::Unauthorised(
            UnauthorisedReason::WrongTokenType
        ))
    ));
}

#[tokio::test]
async fn website_base_path_is_configurable_and_validated() {
    let fx = Fixture::new();
    let config = fx
        .config()
        .pages(PageConfig::new().website_base_path("/login/"));
    let answer = call(SessionLayer::required(config), build(page("/x"))).await;
    assert_eq!(answer.location(), "/login/?redirectToPath=%2Fx");
    for bad in [
        "//evil.example",
        "https://evil.example/auth",
        "auth",
        "/\\evil",
    ] {
        let config = fx.config().pages(PageConfig::new().website_base_path(bad));
        let answer = call(SessionLayer::required(config), build(page("/x"))).await;
        assert_eq!(answer.location(), "/auth/?redirectToPath=%2Fx", "{bad}");
    }
}

#[tokio::test]
async fn expired_token_gets_the_try_refresh_page() {
    let fx = Fixture::new();
    let request = with_cookie(page("/dashboard?tab=1"), &fx.expired());
    let answer = call(SessionLayer::required(fx.config()), build(request)).await;
    assert_eq!(answer.status, 200);
    answer.assert_page();
    assert!(matches!(answer.state, Some(SessionState::TryRefresh(_))));
    let body = &answer.body;
    for expected in [
        r#""refreshUrl":"/auth/session/refresh""#,
        r#"method: "POST""#,
        r#"credentials: "include""#,
        r#""rid": "session""#,
        r#""fdi-version": c.fdiVersion"#,
        r#""fdiVersion":"1.16,1.17,1.18,1.19,2.0,3.0,3.1,4.0,4.1""#,
        r#""st-auth-mode": "cookie""#,
        // Loop guard: a sessionStorage counter, 3 attempts within 60 s.
        "sessionStorage",
        r#""storageKey":"st-ssr-refresh-attempts""#,
        r#""maxAttempts":3"#,
        r#""windowMs":60000"#,
        "attempts.length >= c.maxAttempts",
        // 2xx reloads, 401 goes to login, anything else shows the error with a retry link.
        "window.location.reload()",
        "response.status === 401",
        r#""loginUrl":"/auth/?redirectToPath=%2Fdashboard%3Ftab%3D1""#,
        r#"<a id="st-refresh-retry" href="/dashboard?tab=1">Try again</a>"#,
        r#"<noscript><p>Your session needs to be refreshed, which needs JavaScript. <a href="/auth/?redirectToPath=%2Fdashboard%3Ftab%3D1">Sign in again</a>"#,
    ] {
        assert!(body.contains(expected), "missing {expected:?} in\n{body}");
    }
    assert!(!body.contains("<script src"), "no external script");
    assert_eq!(body.matches("<script>").count(), 1);
}

/// Runs the try-refresh page's script in Node with a fake DOM, storage and `fetch`.
const NODE_HARNESS: &str = r#"
const vm = require("vm");
const html = require("fs").readFileSync(0, "utf8");
const script = html.match(/<script>([\s\S]*?)<\/script>/)[1];
const NOW = 1800000000000;
function run(name, { status, reject, stored, storageThrows, state }) {
  const out = { name, fetches: [], reloaded: false, assigned: null, errorShown: false };
  const elements = {
    "st-refresh-status": { hidden: false },
    "st-refresh-error": { hidden: true },
    "st-refresh-retry": { addEventListener() {} },
  };
  const store = new Map(stored === undefined ? [] : [["st-ssr-refresh-attempts", JSON.stringify(stored)]]);
  const sessionStorage = {
    getItem(k) { if (storageThrows) throw new Error("denied"); return store.has(k) ? store.get(k) : null; },
    setItem(k, v) { if (storageThrows) throw new Error("denied"); store.set(k, v); },
  };
  const history = { state: state || null, replaceState(s) { this.state = s; } };
  const window = {
    sessionStorage, history,
    location: { reload() { out.reloaded = true; }, assign(u) { out.assigned = u; } },
  };
  const fetch = (url, init) => {
    out.fetches.push({ url, init });
    return reject ? Promise.reject(new TypeError("network")) : Promise.resolve({ status });
  };
  const document = { getElementById: (id) => elements[id] };
  const FakeDate = { now: () => NOW };
  vm.runInNewContext(script, { window, document, fetch, Date: FakeDate });
  return new Promise((resolve) => setImmediate(() => {
    out.errorShown = elements["st-refresh-status"].hidden && !elements["st-refresh-error"].hidden;
    out.stored = storageThrows ? (history.state || {})["st-ssr-refresh-attempts"] : JSON.parse(store.get("st-ssr-refresh-attempts") || "null");
    resolve(out);
  }));
}
Promise.all([
  run("ok", { status: 200 }),
  run("unauthorised", { status: 401 }),
  run("server error", { status: 500 }),
  run("network error", { reject: true }),
  run("loop", { status: 200, stored: [NOW - 3000, NOW - 2000, NOW - 1000] }),
  run("old attempts", { status: 200, stored: [NOW - 120000, NOW - 90000, NOW - 61000] }),
  run("no storage, loop", { status: 200, storageThrows: true, state: { "st-ssr-refresh-attempts": [NOW - 3, NOW - 2, NOW - 1] } }),
  run("no storage", { status: 200, storageThrows: true }),
]).then((all) => console.log(JSON.stringify(all)));
"#;

#[tokio::test]
async fn try_refresh_script_behaves_like_try_refresh_component() {
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    let fx = Fixture::new();
    let request = with_cookie(page("/dashboard?tab=1"), &fx.expired());
    let answer = call(SessionLayer::required(fx.config()), build(request)).await;
    let Ok(mut node) = Command::new("node")
        .args(["-e", NODE_HARNESS])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
    else {
        eprintln!("node not found: the try-refresh script is not executed");
        return;
    };
    node.stdin
        .take()
        .expect("stdin")
        .write_all(answer.body.as_bytes())
        .expect("write");
    let output = node.wait_with_output().expect("node ran");
    assert!(output.status.success(), "node failed");
    let runs: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let run = |name: &str| {
        runs.as_array()
            .and_then(|all| all.iter().find(|r| r["name"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("no run {name}"))
    };
    let login = "/auth/?redirectToPath=%2Fdashboard%3Ftab%3D1";

    let ok = run("ok");
    let fetch = &ok["fetches"][0];
    assert_eq!(fetch["url"], "/auth/session/refresh");
    assert_eq!(fetch["init"]["method"], "POST");
    assert_eq!(fetch["init"]["credentials"], "include");
    assert_eq!(
        fetch["init"]["headers"],
        json!({"rid": "session", "fdi-version": "1.16,1.17,1.18,1.19,2.0,3.0,3.1,4.0,4.1", "st-auth-mode": "cookie"})
    );
    assert_eq!(ok["reloaded"], true);
    assert_eq!(ok["errorShown"], false);
    assert_eq!(
        ok["stored"].as_array().map(Vec::len),
        Some(1),
        "the attempt is counted"
    );

    let unauthorised = run("unauthorised");
    assert_eq!(unauthorised["assigned"], login);
    assert_eq!(unauthorised["reloaded"], false);

    for name in ["server error", "network error"] {
        let failed = run(name);
        assert_eq!(failed["errorShown"], true, "{name}");
        assert_eq!(failed["reloaded"], false, "{name}");
        assert_eq!(failed["assigned"], serde_json::Value::Null, "{name}");
    }

    let looped = run("loop");
    assert_eq!(
        looped["fetches"].as_array().map(Vec::len),
        Some(0),
        "the guard stops the 4th attempt"
    );
    assert_eq!(looped["errorShown"], true);
    let old = run("old attempts");
    assert_eq!(
        old["fetches"].as_array().map(Vec::len),
        Some(1),
        "attempts older than 60 s expire"
    );
    assert_eq!(old["reloaded"], true);

    let looped = run("no storage, loop");
    assert_eq!(
        looped["fetches"].as_array().map(Vec::len),
        Some(0),
        "history.state fallback"
    );
    assert_eq!(looped["errorShown"], true);
    let no_storage = run("no storage");
    assert_eq!(no_storage["reloaded"], true);
    assert_eq!(no_storage["stored"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn try_refresh_page_uses_the_api_domain_and_base_path() {
    let fx = Fixture::new();
    let pages = PageConfig::new()
        .api_domain("https://api.example.com/")
        .api_base_path("/api/auth");
    let request = with_cookie(page("/"), &fx.expired());
    let answer = call(
        SessionLayer::required(fx.config().pages(pages)),
        build(request),
    )
    .await;
    assert!(
        answer
            .body
            .contains(r#""refreshUrl":"https://api.example.com/api/auth/session/refresh""#),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn retry_link_is_escaped() {
    // `"` and `<` are not valid in a request target; `&` and `'` are, and are escaped.
    let fx = Fixture::new();
    let request = with_cookie(page("/a?x=1&y='z'"), &fx.expired());
    let answer = call(SessionLayer::required(fx.config()), build(request)).await;
    assert!(
        answer
            .body
            .contains(r#"id="st-refresh-retry" href="/a?x=1&amp;y=&#39;z&#39;""#),
        "{}",
        answer.body
    );
    assert!(
        answer
            .body
            .contains(r#""loginUrl":"/auth/?redirectToPath=%2Fa%3Fx%3D1%26y%3D%27z%27""#)
    );
}

#[tokio::test]
async fn redirect_refresh_strategy_sends_to_the_refresh_route() {
    let fx = Fixture::new();
    let pages = PageConfig::new().refresh_strategy(RefreshStrategy::Redirect {
        refresh_path: "/auth/session/refresh".into(),
    });
    let request = with_cookie(page("/dashboard?tab=1"), &fx.expired());
    let answer = call(
        SessionLayer::required(fx.config().pages(pages)),
        build(request),
    )
    .await;
    assert_eq!(answer.status, 307);
    assert_eq!(
        answer.location(),
        "/auth/session/refresh?stRedirectTo=%2Fdashboard%3Ftab%3D1"
    );
    answer.assert_page();
}

#[tokio::test]
async fn failing_claims_redirect_to_their_page_or_deny_access() {
    let fx = Fixture::new();
    let token = fx
        .issuer
        .token("u")
        .at(now())
        .email_verified(false)
        .roles(["user"])
        .mfa(false)
        .sign();
    let answer_with = |validator: SessionConfig| {
        let request = build(with_cookie(page("/secret"), &token));
        call(SessionLayer::required(validator), request)
    };

    let answer = answer_with(fx.config().validate_claim(EmailVerified::is_verified())).await;
    assert_eq!(answer.status, 307);
    assert_eq!(answer.location(), "/auth/verify-email");
    answer.assert_page();

    let answer = answer_with(fx.config().validate_claim(MfaCompleted::new())).await;
    assert_eq!(answer.status, 307);
    assert_eq!(answer.location(), "/auth/mfa");

    let answer = answer_with(fx.config().validate_claim(HasRole::includes("admin"))).await;
    assert_eq!(answer.status, 403);
    answer.assert_page();
    assert!(
        answer.body.contains("<code>st-role</code>"),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("Access denied"));

    // st-role fails first, then st-ev: the first failing claim with a page wins.
    let config = fx
        .config()
        .validate_claim(HasRole::includes("admin"))
        .validate_claim(EmailVerified::is_verified());
    let answer = answer_with(config).await;
    assert_eq!(answer.location(), "/auth/verify-email");

    // Claim ids are escaped on the access-denied page.
    let config = fx.config().validate_claim(custom("<b>x</b>&", |_| false));
    let answer = answer_with(config).await;
    assert_eq!(answer.status, 403);
    assert!(
        answer
            .body
            .contains("<code>&lt;b&gt;x&lt;/b&gt;&amp;</code>"),
        "{}",
        answer.body
    );
    assert!(!answer.body.contains("<b>x</b>"));

    // Redirects are configurable.
    let config = fx
        .config()
        .validate_claim(HasRole::includes("admin"))
        .pages(PageConfig::new().claim_redirect("st-role", "/upgrade?plan=pro"));
    let answer = answer_with(config).await;
    assert_eq!(answer.location(), "/upgrade?plan=pro");
    let config = fx
        .config()
        .validate_claim(EmailVerified::is_verified())
        .pages(PageConfig::new().without_claim_redirects());
    let answer = answer_with(config).await;
    assert_eq!(answer.status, 403);
    assert!(answer.body.contains("<code>st-ev</code>"));
}

#[tokio::test]
async fn claim_page_itself_does_not_redirect_to_itself() {
    let fx = Fixture::new();
    let token = fx.issuer.token("u").at(now()).email_verified(false).sign();
    let config = fx.config().validate_claim(EmailVerified::is_verified());
    let request = build(with_cookie(page("/auth/verify-email"), &token));
    let answer = call(SessionLayer::required(config), request).await;
    assert_eq!(answer.status, 403);
}

#[tokio::test]
async fn route_claims_answer_page_loads_with_pages() {
    let fx = Fixture::new();
    let token = fx.issuer.token("u").at(now()).email_verified(false).sign();
    let service = ServiceBuilder::new()
        .layer(SessionLayer::optional(fx.config()))
        .layer(RequireClaimsLayer::new(EmailVerified::is_verified()))
        .service_fn(ok);
    let request = build(with_cookie(page("/verified"), &token));
    let answer = into_answer(service.oneshot(request).await.expect("infallible")).await;
    assert_eq!(answer.status, 307);
    assert_eq!(answer.location(), "/auth/verify-email");
}

#[tokio::test]
async fn keys_unavailable_is_a_503_page_with_retry_after() {
    let fx = Fixture::new();
    // A loopback port nobody listens on: the fetch is refused at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let keys = KeyStore::builder()
        .jwks_uri(format!("http://127.0.0.1:{port}/.well-known/jwks.json"))
        .fetch_timeout(Duration::from_secs(2))
        .build()
        .expect("key store");
    let config = SessionConfig::new(keys).clock(fx.clock.clone());
    let answer = call(
        SessionLayer::required(config),
        build(with_cookie(page("/"), &fx.token())),
    )
    .await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    answer.assert_page();
    let seconds: u64 = answer.headers["retry-after"]
        .to_str()
        .ok()
        .and_then(|s| s.parse().ok())
        .expect("whole seconds");
    assert!(seconds >= 1);
    assert!(matches!(answer.state, Some(SessionState::KeysUnavailable)));
}

/// Every Location the layer emits must stay on the site.
fn assert_same_origin(location: &str) {
    assert!(location.starts_with('/'), "{location}");
    assert!(
        !location.starts_with("//") && !location.starts_with("/\\"),
        "{location}"
    );
    assert!(!location.contains("://"), "{location}");
    assert!(
        !location.bytes().any(|b| b.is_ascii_control()),
        "{location:?}"
    );
}

#[tokio::test]
async fn open_redirect_attempts_stay_on_the_site() {
    let fx = Fixture::new();
    let attempts = [
        "//evil.example",
        "//evil.example/x?y=1",
        "/%2F%2Fevil.example",
        "/%2f%2fevil.example",
        "/%252F%252Fevil.example",
        "/%5Cevil",
        "/%5C%5Cevil",
        "/\\evil",
        "/\\\\evil.example",
        "/ok\\..\\..\\evil",
        "/%0d%0aSet-Cookie:x",
        "/%0D%0ALocation:%20https://evil.example",
        "/..//evil",
        "/.%2E//evil",
        "/a/../..//evil",
    ];
    let redirect_pages = PageConfig::new().refresh_strategy(RefreshStrategy::Redirect {
        refresh_path: "/auth/session/refresh".into(),
    });
    for attempt in attempts {
        let answer = call(SessionLayer::required(fx.config()), build(page(attempt))).await;
        answer.assert_login_redirect("%2F");

        let request = build(with_cookie(page(attempt), &fx.expired()));
        let answer = call(
            SessionLayer::required(fx.config().pages(redirect_pages.clone())),
            request,
        )
        .await;
        assert_eq!(
            answer.location(),
            "/auth/session/refresh?stRedirectTo=%2F",
            "{attempt}"
        );

        let request = build(with_cookie(page(attempt), &fx.expired()));
        let answer = call(SessionLayer::required(fx.config()), request).await;
        assert!(
            answer
                .body
                .contains(r#""loginUrl":"/auth/?redirectToPath=%2F""#),
            "{attempt}"
        );
        assert!(
            answer.body.contains(r#"id="st-refresh-retry" href="/""#),
            "{attempt}"
        );
    }
    // Raw CR/LF is not a valid request target; it never reaches the layer.
    for raw in ["/a\r\nSet-Cookie: x", "/a\nb"] {
        assert!(raw.parse::<Uri>().is_err(), "{raw:?} parses");
    }
    // Absolute-form request targets: only the path and query are kept.
    for (absolute, encoded) in [
        ("http://evil.example/x", "%2Fx"),
        ("https://evil.example//evil.example/x", "%2F"),
        ("http://evil.example", "%2F"),
    ] {
        let answer = call(SessionLayer::required(fx.config()), build(page(absolute))).await;
        answer.assert_login_redirect(encoded);
        assert_same_origin(answer.location());
    }
}

#[tokio::test]
async fn api_calls_get_json_answers() {
    let fx = Fixture::new();
    let requests = [
        page("/").header("rid", "session"),
        page("/").header("st-auth-mode", "cookie"),
        Request::get("/").header("accept", "application/json"),
        Request::get("/"),
        Request::post("/").header("accept", BROWSER_ACCEPT),
    ];
    for request in requests {
        let answer = call(SessionLayer::required(fx.config()), build(request)).await;
        assert_eq!(answer.status, 401);
        assert_eq!(answer.body, r#"{"message":"unauthorised"}"#);
        assert_eq!(answer.headers["content-type"], "application/json");
    }
    let request = with_cookie(page("/").header("rid", "session"), &fx.expired());
    let answer = call(SessionLayer::required(fx.config()), build(request)).await;
    assert_eq!(answer.body, r#"{"message":"try refresh token"}"#);
}

#[tokio::test]
async fn head_page_load_gets_headers_and_no_body() {
    let fx = Fixture::new();
    let request = Request::head("/a?b=1").header("accept", BROWSER_ACCEPT);
    let answer = call(SessionLayer::required(fx.config()), build(request)).await;
    assert_eq!(answer.status, 307);
    assert_eq!(answer.location(), "/auth/?redirectToPath=%2Fa%3Fb%3D1");
    assert_eq!(answer.headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(answer.headers["cache-control"], "no-store");
    assert!(answer.body.is_empty());

    let request = with_cookie(
        Request::head("/").header("accept", BROWSER_ACCEPT),
        &fx.expired(),
    );
    let answer = call(SessionLayer::required(fx.config()), build(request)).await;
    assert_eq!(answer.status, 200);
    assert!(answer.body.is_empty());
}

#[tokio::test]
async fn request_kind_detection_is_overridable() {
    let fx = Fixture::new();
    let config = fx.config().request_kind(|_| RequestKind::Page);
    let answer = call(SessionLayer::required(config), build(Request::get("/x"))).await;
    answer.assert_login_redirect("%2Fx");

    let config = fx.config().request_kind(|_| RequestKind::Api);
    let answer = call(SessionLayer::required(config), build(page("/x"))).await;
    assert_eq!(answer.body, r#"{"message":"unauthorised"}"#);
}

#[tokio::test]
async fn rejection_policy_replaces_a_page_answer() {
    let fx = Fixture::new();
    let layer = SessionLayer::required(fx.config()).with_rejection(|rejection: &Rejection<'_>| {
        match (rejection.kind(), rejection.state()) {
            (RequestKind::Page, SessionState::TryRefresh(_)) => Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "text/html; charset=utf-8")
                .body(Bytes::from_static(b"<!DOCTYPE html><title>custom</title>"))
                .unwrap_or_default(),
            _ => rejection.default_response(),
        }
    });
    let request = build(with_cookie(page("/"), &fx.expired()));
    let answer = call(layer.clone(), request).await;
    assert_eq!(answer.body, "<!DOCTYPE html><title>custom</title>");
    let answer = call(layer, build(page("/"))).await;
    answer.assert_login_redirect("%2F");
}

/// Optional mode (`getSSRSessionHelper`): the handler decides, with the layer's pages.
#[tokio::test]
async fn optional_mode_handlers_answer_with_pages() {
    let fx = Fixture::new();
    let config = fx
        .config()
        .pages(PageConfig::new().website_base_path("/signin"));
    let service = ServiceBuilder::new()
        .layer(SessionLayer::optional(config))
        .service_fn(|request: Request<Full<Bytes>>| async move {
            let pages = Pages::from_request(&request);
            let response: Response<Full<Bytes>> = match request.extensions().get::<SessionState>() {
                Some(SessionState::Valid(session)) => {
                    Response::new(Full::from(format!("hello {}", session.user_id())))
                }
                Some(SessionState::NoToken) => Response::new(Full::from("hello stranger")),
                Some(SessionState::TryRefresh(_)) => pages.try_refresh(),
                Some(other) => pages.for_state(other),
                None => pages.upstream_error(),
            };
            Ok::<_, Infallible>(response)
        });
    let answer = into_answer(service.clone().oneshot(build(page("/"))).await.expect("ok")).await;
    assert_eq!(answer.body, "hello stranger");
    let request = build(with_cookie(page("/p?q"), &fx.expired()));
    let answer = into_answer(service.clone().oneshot(request).await.expect("ok")).await;
    assert!(
        answer
            .body
            .contains(r#""loginUrl":"/signin/?redirectToPath=%2Fp%3Fq""#),
        "{}",
        answer.body
    );
    let oauth = fx.issuer.token("u").at(now()).claim("stt", json!(1)).sign();
    let request = build(with_cookie(page("/p?q"), &oauth));
    let answer = into_answer(service.oneshot(request).await.expect("ok")).await;
    assert_eq!(answer.location(), "/signin/?redirectToPath=%2Fp%3Fq");
}

// ---------------------------------------------------------------------------------------
// ssr_app against api_server over loopback

#[tokio::test(flavor = "multi_thread")]
async fn ssr_app_renders_the_home_page_and_answers_like_the_ssr_guide() {
    use common::{get, start_example};

    let issuer = TestIssuer::new();
    let jwks = issuer.serve().await.expect("jwks server");
    let jwks_uri = jwks.jwks_uri();
    let api = start_example(
        "api_server",
        &["--jwks-uri", &jwks_uri, "--listen", "127.0.0.1:0"],
    );
    let app = start_example(
        "ssr_app",
        &[
            "--jwks-uri",
            &jwks_uri,
            "--api-url",
            &api.base,
            "--listen",
            "127.0.0.1:0",
        ],
    );
    let base = &app.base;
    let html = ("accept", BROWSER_ACCEPT);

    // No cookie: 307 to the login page (also without an Accept header: every route of
    // this app is a page).
    for headers in [&[html][..], &[]] {
        let reply = get(&format!("{base}/"), headers).await;
        assert_eq!(reply.status, 307, "{}", reply.body);
        assert_eq!(reply.headers["location"], "/auth/?redirectToPath=%2F");
    }

    // A valid cookie: the page shows the user id the API returned.
    let token = issuer.token("user-<42>").email_verified(false).sign();
    let cookie = format!("sAccessToken={token}");
    let reply = get(&format!("{base}/"), &[html, ("cookie", &cookie)]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.body.contains("Your user id is: user-&lt;42&gt;"),
        "{}",
        reply.body
    );
    assert!(
        reply.headers["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/html")
    );

    // Expired: the try-refresh page.
    let expired = issuer
        .token("user-1")
        .at(SystemTime::now() - Duration::from_secs(7200))
        .sign();
    let reply = get(
        &format!("{base}/"),
        &[html, ("cookie", &format!("sAccessToken={expired}"))],
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers["cache-control"], "no-store");
    assert!(
        reply.body.contains("/auth/session/refresh"),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("st-ssr-refresh-attempts"));

    // st-ev false: the API's 403 becomes the redirect to email verification.
    let reply = get(&format!("{base}/verified"), &[html, ("cookie", &cookie)]).await;
    assert_eq!(reply.status, 307, "{}", reply.body);
    assert_eq!(reply.headers["location"], "/auth/verify-email");
    let verified = issuer.token("user-2").email_verified(true).sign();
    let reply = get(
        &format!("{base}/verified"),
        &[html, ("cookie", &format!("sAccessToken={verified}"))],
    )
    .await;
    assert_eq!(reply.status, 200);
    assert!(reply.body.contains("Your user id is: user-2"));

    // Public: no session needed, with or without a cookie.
    for headers in [
        &[html][..],
        &[html, ("cookie", &format!("sAccessToken={expired}"))],
    ] {
        let reply = get(&format!("{base}/public"), headers).await;
        assert_eq!(reply.status, 200);
        assert!(reply.body.contains("Public page"));
    }

    // An API call (SuperTokens' frontend headers) gets SuperTokens' JSON answer.
    let reply = get(&format!("{base}/"), &[("rid", "session")]).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.body, r#"{"message":"unauthorised"}"#);
}

#[tokio::test(flavor = "multi_thread")]
async fn ssr_app_shows_something_went_wrong_when_the_api_is_down() {
    use common::{get, start_example};

    let issuer = TestIssuer::new();
    let jwks = issuer.serve().await.expect("jwks server");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let api_url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let app = start_example(
        "ssr_app",
        &[
            "--jwks-uri",
            &jwks.jwks_uri(),
            "--api-url",
            &api_url,
            "--listen",
            "127.0.0.1:0",
        ],
    );
    let token = issuer.token("user-1").sign();
    let reply = get(
        &format!("{}/", app.base),
        &[("cookie", &format!("sAccessToken={token}"))],
    )
    .await;
    assert_eq!(reply.status, 502);
    assert!(reply.body.contains("Something went wrong"));
    assert!(
        !reply.body.contains("127.0.0.1"),
        "no cause in the page: {}",
        reply.body
    );
}
