//! The demo's DEVELOPMENT issuer: a stand-in for a SuperTokens core plus the backend SDK's
//! session APIs, so the demo runs with nothing installed.
//!
//! **Development only.** It signs with `TestIssuer`'s fixed test keys (their private halves
//! are published in tower-supertokens' source), signs anyone in under any name without a
//! password, and keeps users and sessions in memory. It listens on loopback only.
//!
//! Routes:
//! - `GET /.well-known/jwks.json`, `GET /auth/jwt/jwks.json`: the JWKS (core / backend SDK
//!   paths).
//! - `GET /auth/`, `GET /auth`: the sign-in page; `redirectToPath` is honoured when it is a
//!   same-origin path (else `/`).
//! - `POST /auth/signin` (form `name`, `redirectToPath`): creates a session, sets
//!   `sAccessToken` and `sRefreshToken` as SuperTokens does, sends `front-token`, 303 to
//!   `redirectToPath`.
//! - `POST /auth/session/refresh`: SuperTokens' refresh API (cookie transfer method):
//!   needs the `sRefreshToken` cookie and a `rid` header, rotates the refresh token, 200
//!   `{}` with new tokens; 401 `{"message":"unauthorised"}` and cleared cookies otherwise.
//! - `GET /auth/verify-email`: a page with a button (session required).
//! - `POST /auth/verify-email`: marks the user verified, issues an access token with
//!   `st-ev: {"v": true, "t": now_ms}`, 303 to `/verified`.
//! - `POST /auth/signout`: revokes the session, clears the cookies, 303 to `/public`.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HOST, ORIGIN, SET_COOKIE};
use http::{HeaderMap, HeaderValue, StatusCode, Uri};
use serde::Deserialize;
use serde_json::{Value, json};
use tower_supertokens::reject::page::{escape_html, redirect, return_path};
use tower_supertokens::testing::TestIssuer;
use tower_supertokens::{Session, SessionConfig, SessionLayer, SessionState};

use crate::ssr::layout;

/// Where the refresh token cookie is sent: `apiBasePath + "/session/refresh"`.
const REFRESH_PATH: &str = "/auth/session/refresh";
/// SuperTokens' default refresh token validity (`refresh_token_validity`, 100 days).
const REFRESH_TOKEN_VALIDITY: Duration = Duration::from_secs(100 * 24 * 3600);
/// The access token cookie outlives the JWT, as SuperTokens sets it (one year).
const ACCESS_COOKIE_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);
/// In-memory bounds, so a runaway client cannot grow the process without end.
const MAX_SESSIONS: usize = 10_000;
const MAX_USERS: usize = 10_000;
/// The longest user name accepted.
const MAX_NAME_CHARS: usize = 254;

/// SPEC §13.6, byte for byte.
const CLEAR_ACCESS: &str =
    "sAccessToken=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax";
const CLEAR_REFRESH: &str = "sRefreshToken=; Path=/auth/session/refresh; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax";
const UNAUTHORISED: &str = r#"{"message":"unauthorised"}"#;

/// One session: its user, its refresh tokens, and the claims its access tokens carry.
struct SessionRecord {
    user_id: String,
    /// The newest refresh token.
    current: String,
    /// Its parent, still accepted until `current` is first used (as the core keeps a
    /// parent valid until its child is used, so a lost refresh answer does not log out).
    previous: Option<String>,
    /// The `st-ev` claim.
    st_ev: Value,
    expires: SystemTime,
}

#[derive(Default)]
struct Store {
    /// User name → user id.
    users: HashMap<String, String>,
    /// User ids with a verified email.
    verified: HashSet<String>,
    /// Session handle → session.
    sessions: HashMap<String, SessionRecord>,
    /// Refresh token (current or previous) → session handle.
    refresh_tokens: HashMap<String, String>,
}

impl Store {
    fn revoke(&mut self, handle: &str) -> Option<SessionRecord> {
        let record = self.sessions.remove(handle)?;
        self.refresh_tokens.remove(&record.current);
        if let Some(previous) = &record.previous {
            self.refresh_tokens.remove(previous);
        }
        Some(record)
    }

    fn prune(&mut self, now: SystemTime) {
        let expired: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, record)| record.expires <= now)
            .map(|(handle, _)| handle.clone())
            .collect();
        for handle in expired {
            self.revoke(&handle);
        }
    }
}

/// The development issuer's state.
pub struct DevIssuer {
    issuer: TestIssuer,
    validity: Duration,
    store: Mutex<Store>,
}

/// An access token and what goes with it.
struct Minted {
    token: String,
    front_token: String,
}

impl DevIssuer {
    /// An issuer for the site at `origin` (`http://HOST:PORT`), whose access tokens live
    /// at least `validity`. Its kid is `TestIssuer::new()`'s, `d-1700000000000`.
    pub fn new(origin: &str, validity: Duration) -> Arc<Self> {
        Arc::new(Self {
            // `iss` as node sets it: apiDomain + apiBasePath.
            issuer: TestIssuer::new().with_issuer_claim(format!("{origin}/auth")),
            validity,
            store: Mutex::new(Store::default()),
        })
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A v5 access token for `user_id` in session `handle`, valid for at least
    /// `self.validity` (`exp` rounded up to the next second), and its `front-token`.
    fn mint(&self, user_id: &str, handle: &str, st_ev: &Value) -> Minted {
        let now = SystemTime::now();
        let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
        let round_up = u64::from(since.subsec_nanos() > 0);
        let exp = since
            .as_secs()
            .saturating_add(self.validity.as_secs())
            .saturating_add(round_up);
        let token = self
            .issuer
            .token(user_id)
            .at(now)
            .expires_at(UNIX_EPOCH + Duration::from_secs(exp))
            .claim("sessionHandle", json!(handle))
            .claim("st-ev", st_ev.clone())
            .sign();
        let front_token = front_token(user_id, exp, &token);
        Minted { token, front_token }
    }
}

/// `base64(JSON.stringify({uid, ate, up}))` with `up` the payload in the token's own key
/// order (SPEC §13.5).
fn front_token(user_id: &str, exp: u64, token: &str) -> String {
    let payload = token
        .split('.')
        .nth(1)
        .and_then(|segment| URL_SAFE_NO_PAD.decode(segment).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .unwrap_or(Value::Null);
    let front = json!({"uid": user_id, "ate": exp.saturating_mul(1000), "up": payload});
    STANDARD.encode(front.to_string())
}

/// 128 bits per word from SipHash keyed with the OS's randomness (`RandomState`), as hex.
/// Unpredictable without the process's keys; good enough for a development issuer.
fn random_hex(words: usize) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut out = String::with_capacity(words * 32);
    for _ in 0..words {
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        for half in 0..2_u8 {
            let mut hasher = RandomState::new().build_hasher();
            hasher.write_u64(count);
            hasher.write_u128(nanos);
            hasher.write_u8(half);
            let _ = write!(out, "{:016x}", hasher.finish());
        }
    }
    out
}

fn uuid_like() -> String {
    let hex = random_hex(1);
    let part = |range: std::ops::Range<usize>| hex.get(range).unwrap_or("0").to_owned();
    format!(
        "{}-{}-4{}-a{}-{}",
        part(0..8),
        part(8..12),
        part(13..16),
        part(17..20),
        part(20..32)
    )
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

/// An RFC 7231 date (`Thu, 01 Jan 1970 00:00:00 GMT`), as cookies' `Expires` take it.
fn http_date(time: SystemTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[usize::try_from(days % 7).unwrap_or(0)],
        MONTHS[usize::try_from(month - 1).unwrap_or(0)],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `Set-Cookie` as node's cookie library writes it (`Path; Expires; HttpOnly; SameSite`;
/// no `Secure` on plain-http loopback, no `Domain`: host-only).
fn cookie(name: &str, value: &str, path: &str, expires: SystemTime) -> HeaderValue {
    let text = format!(
        "{name}={value}; Path={path}; Expires={}; HttpOnly; SameSite=Lax",
        http_date(expires)
    );
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static(CLEAR_ACCESS))
}

fn header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static(""))
}

/// Sets a new access token (cookie and `front-token`) on `headers`.
fn set_access_token(headers: &mut HeaderMap, minted: &Minted) {
    let expires = SystemTime::now() + ACCESS_COOKIE_LIFETIME;
    headers.append(
        SET_COOKIE,
        cookie("sAccessToken", &minted.token, "/", expires),
    );
    headers.insert("front-token", header(&minted.front_token));
    headers.insert(
        "access-control-expose-headers",
        HeaderValue::from_static("front-token"),
    );
}

fn set_refresh_token(headers: &mut HeaderMap, token: &str, expires: SystemTime) {
    headers.append(
        SET_COOKIE,
        cookie("sRefreshToken", token, REFRESH_PATH, expires),
    );
}

/// Clears every session token, as node's `clearSession` does (SPEC §13.6).
fn clear_tokens(headers: &mut HeaderMap) {
    headers.append(SET_COOKIE, HeaderValue::from_static(CLEAR_ACCESS));
    headers.append(SET_COOKIE, HeaderValue::from_static(CLEAR_REFRESH));
    headers.insert("front-token", HeaderValue::from_static("remove"));
    headers.insert("st-access-token", HeaderValue::from_static(""));
    headers.insert("st-refresh-token", HeaderValue::from_static(""));
    headers.insert(
        "access-control-expose-headers",
        HeaderValue::from_static("front-token, st-access-token, st-refresh-token"),
    );
}

/// `303 See Other` to `location`, a same-origin path (the crate's `redirect` turns
/// anything else into `/`).
fn see_other(location: &str) -> Response {
    let mut response = redirect(location).map(Body::from);
    *response.status_mut() = StatusCode::SEE_OTHER;
    response
}

fn json_response(status: StatusCode, body: &'static str) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let mut response = (status, layout(title, body)).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `redirectToPath` as a same-origin path and query (`/` when absent or when it could
/// leave the site), with the crate's own open-redirect rules.
fn safe_return_path(raw: Option<&str>) -> String {
    raw.and_then(|raw| raw.parse::<Uri>().ok())
        .map_or_else(|| "/".to_owned(), |uri| return_path(&uri))
}

/// Whether a form POST comes from this site: `Sec-Fetch-Site` when the browser sends it,
/// else `Origin` (when present) must be this host. Stops cross-site forms (login CSRF).
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    headers
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .is_some_and(|host| origin.as_bytes() == format!("http://{host}").as_bytes())
}

fn cross_site() -> Response {
    page(
        StatusCode::FORBIDDEN,
        "Forbidden",
        "<main>\n<h1>Forbidden</h1>\n<p>This form only works from this site.</p>\n</main>",
    )
}

/// The first `name` cookie of the request (node's parser keeps the first duplicate).
fn request_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| key.trim() == name)
        .map(|(_, value)| value.trim().trim_matches('"'))
}

// ---------------------------------------------------------------------------------------
// Handlers

async fn jwks(State(dev): State<Arc<DevIssuer>>) -> Response {
    let mut response = Response::new(Body::from(dev.issuer.jwks_json()));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[derive(Deserialize)]
struct SignInQuery {
    #[serde(rename = "redirectToPath")]
    redirect_to_path: Option<String>,
}

fn sign_in_page(status: StatusCode, return_to: &str, name: &str, error: &str) -> Response {
    let error = if error.is_empty() {
        String::new()
    } else {
        format!(
            "<p role=\"alert\"><strong>{}</strong></p>\n",
            escape_html(error)
        )
    };
    let return_to = escape_html(return_to);
    page(
        status,
        "Sign in",
        &format!(
            "<main>\n<h1>Sign in</h1>\n\
<p><strong>Development issuer.</strong> There are no passwords: any name signs you in as that user. \
Users and sessions live in memory, and tokens are signed with tower-supertokens' published test keys.</p>\n\
{error}<form method=\"post\" action=\"/auth/signin\">\n\
<label for=\"name\">User name or email</label>\n\
<input id=\"name\" name=\"name\" type=\"text\" required maxlength=\"{MAX_NAME_CHARS}\" autocomplete=\"username\" autofocus value=\"{}\">\n\
<input type=\"hidden\" name=\"redirectToPath\" value=\"{return_to}\">\n\
<button type=\"submit\">Sign in</button>\n\
</form>\n\
<p>Afterwards you go to <code>{return_to}</code>. <a href=\"/public\">Public page</a></p>\n</main>",
            escape_html(name)
        ),
    )
}

async fn sign_in(
    query: Result<Query<SignInQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let raw = query.ok().and_then(|Query(query)| query.redirect_to_path);
    sign_in_page(StatusCode::OK, &safe_return_path(raw.as_deref()), "", "")
}

#[derive(Deserialize)]
struct SignInForm {
    name: Option<String>,
    #[serde(rename = "redirectToPath")]
    redirect_to_path: Option<String>,
}

async fn sign_in_submit(
    State(dev): State<Arc<DevIssuer>>,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Response {
    if !same_origin(&headers) {
        return cross_site();
    }
    let Ok(Form(form)) = form else {
        return sign_in_page(StatusCode::BAD_REQUEST, "/", "", "Please fill in the form.");
    };
    let return_to = safe_return_path(form.redirect_to_path.as_deref());
    let name = form.name.as_deref().unwrap_or("").trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return sign_in_page(
            StatusCode::BAD_REQUEST,
            &return_to,
            "",
            &format!(
                "Enter a name of 1 to {MAX_NAME_CHARS} characters, without control characters."
            ),
        );
    }

    let now = SystemTime::now();
    let handle = uuid_like();
    let refresh_token = random_hex(2);
    let expires = now + REFRESH_TOKEN_VALIDITY;
    let (user_id, st_ev) = {
        let mut store = dev.store();
        store.prune(now);
        if store.sessions.len() >= MAX_SESSIONS
            || (store.users.len() >= MAX_USERS && !store.users.contains_key(name))
        {
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Too many sessions",
                "<main>\n<h1>Too many sessions</h1>\n<p>Restart the demo.</p>\n</main>",
            );
        }
        let user_id = store
            .users
            .entry(name.to_owned())
            .or_insert_with(uuid_like)
            .clone();
        // SuperTokens adds st-ev at sign-in with the user's current state.
        let st_ev = json!({"v": store.verified.contains(&user_id), "t": now_millis()});
        store.sessions.insert(
            handle.clone(),
            SessionRecord {
                user_id: user_id.clone(),
                current: refresh_token.clone(),
                previous: None,
                st_ev: st_ev.clone(),
                expires,
            },
        );
        store
            .refresh_tokens
            .insert(refresh_token.clone(), handle.clone());
        (user_id, st_ev)
    };
    let minted = dev.mint(&user_id, &handle, &st_ev);
    tracing::info!(%user_id, "signed in");
    let mut response = see_other(&return_to);
    set_access_token(response.headers_mut(), &minted);
    set_refresh_token(response.headers_mut(), &refresh_token, expires);
    response
}

/// SuperTokens' refresh API, cookie transfer method (SPEC §7.4, §13.6).
async fn refresh(State(dev): State<Arc<DevIssuer>>, headers: HeaderMap) -> Response {
    let unauthorised_and_clear = || {
        let mut response = json_response(StatusCode::UNAUTHORIZED, UNAUTHORISED);
        clear_tokens(response.headers_mut());
        response
    };
    let Some(presented) = request_cookie(&headers, "sRefreshToken").filter(|t| !t.is_empty())
    else {
        return unauthorised_and_clear();
    };
    // Anti-CSRF (VIA_CUSTOM_HEADER): a cookie refresh needs `rid`; node answers 401 and
    // leaves the tokens alone (`clearTokens: false`).
    if !headers.contains_key("rid") {
        return json_response(StatusCode::UNAUTHORIZED, UNAUTHORISED);
    }
    let now = SystemTime::now();
    let new_token = random_hex(2);
    let renewed = {
        let mut store = dev.store();
        let handle = store.refresh_tokens.get(presented).cloned();
        match handle {
            Some(handle) => {
                let Store {
                    sessions,
                    refresh_tokens,
                    ..
                } = &mut *store;
                match sessions.get_mut(&handle) {
                    Some(record) if record.expires > now => {
                        if record.current == presented {
                            // The child is used: its parent is retired.
                            if let Some(previous) = record.previous.take() {
                                refresh_tokens.remove(&previous);
                            }
                            record.previous = Some(record.current.clone());
                        } else {
                            // The parent again (the last answer was lost): a new child.
                            refresh_tokens.remove(&record.current);
                        }
                        record.current.clone_from(&new_token);
                        refresh_tokens.insert(new_token.clone(), handle.clone());
                        Some((
                            record.user_id.clone(),
                            handle,
                            record.st_ev.clone(),
                            record.expires,
                        ))
                    }
                    _ => None,
                }
            }
            None => None,
        }
    };
    let Some((user_id, handle, st_ev, expires)) = renewed else {
        return unauthorised_and_clear();
    };
    let minted = dev.mint(&user_id, &handle, &st_ev);
    tracing::info!(%user_id, "session refreshed");
    let mut response = json_response(StatusCode::OK, "{}");
    set_access_token(response.headers_mut(), &minted);
    set_refresh_token(response.headers_mut(), &new_token, expires);
    response
}

async fn verify_email_page(session: Session) -> Response {
    let verified = session.email_verified() == Some(true);
    page(
        StatusCode::OK,
        "Verify your email",
        &format!(
            "<main>\n<h1>Verify your email</h1>\n\
<p>Signed in as user <code>{}</code>. Email verified (the <code>st-ev</code> claim of your access token): {}.</p>\n\
<p>This development issuer sends no email: the button marks it verified and issues a new access token.</p>\n\
<form method=\"post\" action=\"/auth/verify-email\">\n<button type=\"submit\">Verify my email</button>\n</form>\n\
<p><a href=\"/verified\">Verified area</a> &middot; <a href=\"/\">Home</a></p>\n</main>",
            escape_html(session.user_id()),
            if verified { "yes" } else { "no" }
        ),
    )
}

/// The live session behind `state`, if its token is valid and the session not revoked.
fn live_session<'a>(dev: &DevIssuer, state: &'a SessionState) -> Option<&'a Session> {
    let session = state.session()?;
    let store = dev.store();
    let record = store.sessions.get(session.session_handle())?;
    (record.user_id == session.user_id()).then_some(session)
}

async fn verify_email(
    State(dev): State<Arc<DevIssuer>>,
    headers: HeaderMap,
    state: SessionState,
) -> Response {
    if !same_origin(&headers) {
        return cross_site();
    }
    let Some(session) = live_session(&dev, &state) else {
        // No usable session: the page decides (sign-in, or try-refresh for an expired
        // token, after which the button works).
        return see_other("/auth/verify-email");
    };
    let user_id = session.user_id().to_owned();
    let handle = session.session_handle().to_owned();
    let st_ev = json!({"v": true, "t": now_millis()});
    {
        let mut store = dev.store();
        store.verified.insert(user_id.clone());
        if let Some(record) = store.sessions.get_mut(&handle) {
            record.st_ev = st_ev.clone();
        }
    }
    let minted = dev.mint(&user_id, &handle, &st_ev);
    tracing::info!(%user_id, "email verified");
    let mut response = see_other("/verified");
    set_access_token(response.headers_mut(), &minted);
    response
}

async fn sign_out(
    State(dev): State<Arc<DevIssuer>>,
    headers: HeaderMap,
    state: SessionState,
) -> Response {
    if !same_origin(&headers) {
        return cross_site();
    }
    if let Some(session) = live_session(&dev, &state) {
        dev.store().revoke(session.session_handle());
        tracing::info!(user_id = %session.user_id(), "signed out");
    }
    let mut response = see_other("/public");
    clear_tokens(response.headers_mut());
    response
}

/// The issuer's routes. `pages` verifies the verify-email page (page answers), `api` the
/// form posts (optional mode: the handlers decide).
pub fn router(dev: Arc<DevIssuer>, pages: SessionConfig, api: SessionConfig) -> Router {
    Router::new()
        .route("/.well-known/jwks.json", get(jwks))
        .route("/auth/jwt/jwks.json", get(jwks))
        .route("/auth", get(sign_in))
        .route("/auth/", get(sign_in))
        .route("/auth/signin", post(sign_in_submit))
        .route(REFRESH_PATH, post(refresh))
        .route(
            "/auth/verify-email",
            get(verify_email_page)
                .route_layer(SessionLayer::required(pages))
                .merge(post(verify_email).route_layer(SessionLayer::optional(api.clone()))),
        )
        .route(
            "/auth/signout",
            post(sign_out).route_layer(SessionLayer::optional(api)),
        )
        .with_state(dev)
}
