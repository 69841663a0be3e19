//! Shared harness for the fuzz targets: one tokio runtime, one test issuer, the layers
//! under test, and the oracles every answer must satisfy.

use std::convert::Infallible;
use std::future::Ready;
use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, LOCATION};
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use tower::{ServiceExt, service_fn};
use tower_supertokens::claims::{EmailVerified, HasRole, MfaCompleted};
use tower_supertokens::clock::ManualClock;
use tower_supertokens::reject::page::{PageConfig, RefreshStrategy};
use tower_supertokens::testing::TestIssuer;
use tower_supertokens::{AntiCsrf, SessionConfig, SessionLayer, SigningKeyKind, TokenTransport};

pub use jsonwebtoken::Algorithm;
use tower::Layer;

/// The fixed "now" of every layer and of the issuer.
pub const NOW: u64 = 1_800_000_000;

/// The header the inner handler sets, so an answer of the layer itself (the try-refresh
/// page is a 200 too) is never mistaken for the handler's.
pub const INNER_MARK: &str = "x-fuzz-inner";

pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
    })
}

pub fn clock() -> &'static ManualClock {
    static CLOCK: OnceLock<ManualClock> = OnceLock::new();
    CLOCK.get_or_init(|| ManualClock::at_unix_seconds(NOW))
}

pub fn issuer() -> &'static TestIssuer {
    static ISSUER: OnceLock<TestIssuer> = OnceLock::new();
    ISSUER.get_or_init(|| TestIssuer::new().at(UNIX_EPOCH + Duration::from_secs(NOW)))
}

/// What each layer configuration accepts, for the oracles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// `SessionConfig::new(keys)`: the SuperTokens defaults.
    Default,
    /// VIA_TOKEN anti-CSRF, st-ev (max age 600 s) + st-role includes admin + st-mfa
    /// validators, RS256/PS256, 30 s leeway, any key kind, `iss` checked, a refresh
    /// redirect and an extra claim redirect.
    Rich,
    /// Cookie only, VIA_CUSTOM_HEADER, `aud` must hold `fuzz-aud`, no verified-token
    /// cache, website base path `/`, an API domain.
    CookieOnly,
}

pub const PROFILES: [Profile; 3] = [Profile::Default, Profile::Rich, Profile::CookieOnly];

pub const RICH_LEEWAY: u64 = 30;
pub const RICH_ISS: &str = "http://localhost:3001/auth";
pub const AUDIENCE: &str = "fuzz-aud";

fn config(profile: Profile) -> SessionConfig {
    let base = SessionConfig::new(issuer().key_store()).clock(clock().clone());
    match profile {
        Profile::Default => base,
        Profile::Rich => base
            .anti_csrf(AntiCsrf::ViaToken)
            .validate_claim(EmailVerified::is_verified().max_age(Duration::from_secs(600)))
            .validate_claim(HasRole::includes("admin"))
            .validate_claim(MfaCompleted::new())
            .algorithms([Algorithm::RS256, Algorithm::PS256])
            .leeway(Duration::from_secs(RICH_LEEWAY))
            .signing_key_kind(SigningKeyKind::Any)
            .issuer([RICH_ISS])
            .pages(
                PageConfig::new()
                    .refresh_strategy(RefreshStrategy::Redirect {
                        refresh_path: "/auth/session/refresh?from=ssr".to_owned(),
                    })
                    .claim_redirect("st-role", "/no-role"),
            ),
        Profile::CookieOnly => base
            .token_transport(TokenTransport::Cookie)
            .anti_csrf(AntiCsrf::ViaCustomHeader)
            .audience([AUDIENCE])
            .verified_token_cache(0)
            .pages(
                PageConfig::new()
                    .website_base_path("/")
                    .api_domain("https://api.example.com"),
            ),
    }
}

pub fn layer(profile: Profile) -> &'static SessionLayer {
    static LAYERS: OnceLock<Vec<SessionLayer>> = OnceLock::new();
    let layers =
        LAYERS.get_or_init(|| PROFILES.iter().map(|p| SessionLayer::required(config(*p))).collect());
    &layers[PROFILES.iter().position(|p| *p == profile).unwrap()]
}

type Handler = fn(Request<Full<Bytes>>) -> Ready<Result<Response<Full<Bytes>>, Infallible>>;

fn handler(_request: Request<Full<Bytes>>) -> Ready<Result<Response<Full<Bytes>>, Infallible>> {
    let mut response = Response::new(Full::new(Bytes::from_static(b"inner")));
    response
        .headers_mut()
        .insert(INNER_MARK, http::HeaderValue::from_static("1"));
    std::future::ready(Ok(response))
}

/// The layer's answer to one request.
#[derive(Debug)]
pub struct Outcome {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Whether the inner handler answered.
    pub inner: bool,
}

/// Sends `request` through a fresh service of `profile`'s layer.
pub fn call(profile: Profile, request: Request<Full<Bytes>>) -> Outcome {
    let service = layer(profile).layer(service_fn(handler as Handler));
    let rt = runtime();
    let response = match rt.block_on(service.oneshot(request)) {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let (parts, body) = response.into_parts();
    let body = match rt.block_on(body.collect()) {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    if std::env::var_os("FUZZ_DEBUG").is_some() {
        eprintln!(
            "{profile:?}: {} inner={} location={:?}",
            parts.status,
            parts.headers.contains_key(INNER_MARK),
            parts.headers.get(LOCATION)
        );
    }
    Outcome {
        status: parts.status,
        inner: parts.headers.contains_key(INNER_MARK),
        headers: parts.headers,
        body,
    }
}

/// The oracles for every answer of the layer: never a 5xx, a same-origin `Location`, and
/// pages whose script cannot be broken out of.
pub fn check_layer_answer(outcome: &Outcome) {
    assert!(
        !outcome.status.is_server_error(),
        "layer answered {} (body {:?})",
        outcome.status,
        String::from_utf8_lossy(&outcome.body)
    );
    check_headers_and_body(&outcome.headers, &outcome.body);
}

pub fn check_headers_and_body(headers: &HeaderMap, body: &[u8]) {
    for location in headers.get_all(LOCATION) {
        let location = location
            .to_str()
            .unwrap_or_else(|_| panic!("Location is not visible ASCII: {location:?}"));
        check_location(location);
    }
    let html = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        check_html(body);
    }
}

/// A `Location` stays on the site, and so do the return paths it carries.
pub fn check_location(location: &str) {
    assert_local(location, "Location");
    if let Some((_, query)) = location.split_once('?') {
        for pair in query.split('&') {
            let Some((name, value)) = pair.split_once('=') else { continue };
            if name == "redirectToPath" || name == "stRedirectTo" {
                let decoded = percent_decode(value.as_bytes());
                let decoded = String::from_utf8_lossy(&decoded).into_owned();
                assert_local_deep(&decoded, name);
            }
        }
    }
}

fn assert_local(target: &str, what: &str) {
    assert!(target.starts_with('/'), "{what} {target:?} does not start with /");
    assert!(
        !target.starts_with("//") && !target.starts_with("/\\"),
        "{what} {target:?} leaves the site"
    );
    assert!(
        !target.bytes().any(|b| b == b'\\' || b.is_ascii_control()),
        "{what} {target:?} holds a backslash or control character"
    );
}

/// What `reject::page::return_path` documents: a single leading `/`, also after up to three
/// more rounds of percent-decoding of the path, no `\`, no control character, no `.`/`..`
/// segment.
fn assert_local_deep(target: &str, what: &str) {
    assert_local(target, what);
    let mut path = target.split(['?', '#']).next().unwrap_or(target).as_bytes().to_vec();
    for round in 0..4 {
        assert!(
            !path.get(1).is_some_and(|b| *b == b'/' || *b == b'\\'),
            "{what} {target:?} leaves the site after {round} decodes"
        );
        assert!(
            !path.iter().any(|b| *b == b'\\' || b.is_ascii_control()),
            "{what} {target:?} holds a backslash/control after {round} decodes"
        );
        assert!(
            !path.split(|b| *b == b'/').any(|s| s == b"." || s == b".."),
            "{what} {target:?} has a dot segment after {round} decodes"
        );
        let next = percent_decode(&path);
        if next == path {
            break;
        }
        path = next;
    }
}

/// Exactly the crate's own script (if any) and no tag opened by request data.
fn check_html(body: &[u8]) {
    let text = String::from_utf8_lossy(body).to_ascii_lowercase();
    assert!(text.matches("<script").count() <= 1, "extra <script in page: {text}");
    assert!(text.matches("</script").count() <= 1, "extra </script in page: {text}");
    assert!(text.matches("<a ").count() <= 3, "extra <a in page: {text}");
}

pub fn percent_decode(input: &[u8]) -> Vec<u8> {
    let hex = |b: Option<&u8>| b.and_then(|b| char::from(*b).to_digit(16));
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'%' {
            if let (Some(h), Some(l)) = (hex(input.get(i + 1)), hex(input.get(i + 2))) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(input[i]);
        i += 1;
    }
    out
}
