//! Page answers for browser navigations (server-side rendering): the login redirect, the
//! try-refresh page, claim redirects, and the access-denied and error pages.
//!
//! These are what the SuperTokens SSR guide's page components do, for any tower server
//! (SPEC §7, DESIGN.md "Two kinds of answer"):
//!
//! | state | page answer |
//! |---|---|
//! | NoToken, Unauthorised | `307` to `{website_base_path}/?redirectToPath=<path+query>` |
//! | TryRefresh | `200` [try-refresh page](try_refresh), or `307` to a refresh route ([`RefreshStrategy::Redirect`]) |
//! | InvalidClaims | `307` to the first failing claim's page (`st-ev` → `/auth/verify-email`, `st-mfa` → `/auth/mfa`), else `403` access denied |
//! | KeysUnavailable | `503` error page with `Retry-After` |
//!
//! Every answer is a small HTML5 document with `Content-Type: text/html; charset=utf-8`
//! and `Cache-Control: no-store`; everything it prints is escaped. Redirect targets are
//! built only from the request's own path and query ([`return_path`]), so a `Location`
//! never leaves the site.
//!
//! [`SessionLayer::required`](crate::SessionLayer::required) answers page loads with
//! [`respond`]. In optional mode (SuperTokens' `getSSRSessionHelper`) the handler decides,
//! and [`Pages`] gives it each answer in one expression:
//!
//! ```
//! use bytes::Bytes;
//! use http::{Request, Response};
//! use tower_supertokens::SessionState;
//! use tower_supertokens::reject::page::Pages;
//!
//! fn home(request: &Request<()>, state: &SessionState) -> Response<Bytes> {
//!     let pages = Pages::from_request(request);
//!     match state {
//!         SessionState::Valid(session) => {
//!             Response::new(Bytes::from(format!("hello {}", session.user_id())))
//!         }
//!         SessionState::NoToken => pages.login(),
//!         SessionState::TryRefresh(_) => pages.try_refresh(),
//!         other => pages.for_state(other),
//!     }
//! }
//!
//! let request = Request::get("/inbox?page=2").body(()).unwrap();
//! let response = home(&request, &SessionState::NoToken);
//! assert_eq!(response.status(), 307);
//! assert_eq!(response.headers()["location"], "/auth/?redirectToPath=%2Finbox%3Fpage%3D2");
//!
//! // A request for "//evil.example" still stays on the site.
//! let request = Request::get("//evil.example").body(()).unwrap();
//! let response = home(&request, &SessionState::NoToken);
//! assert_eq!(response.headers()["location"], "/auth/?redirectToPath=%2F");
//! ```

use std::fmt::Write as _;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, RETRY_AFTER, X_CONTENT_TYPE_OPTIONS};
use http::request::Parts;
use http::{HeaderValue, Method, Request, Response, StatusCode, Uri};
use serde_json::json;

use crate::claims::ClaimValidationError;
use crate::layer::LayerContext;
use crate::state::SessionState;

/// The `fdi-version` header SuperTokens' frontend sends on its refresh call (SPEC §7.4).
pub const FDI_VERSION: &str = "1.16,1.17,1.18,1.19,2.0,3.0,3.1,4.0,4.1";

/// The `sessionStorage` key of the try-refresh page's loop guard.
pub const REFRESH_ATTEMPTS_KEY: &str = "st-ssr-refresh-attempts";

/// Refresh attempts within [`REFRESH_WINDOW_MS`] after which the try-refresh page stops
/// and shows an error.
pub const MAX_REFRESH_ATTEMPTS: u32 = 3;

/// How long (milliseconds) a refresh attempt counts for the loop guard.
pub const REFRESH_WINDOW_MS: u32 = 60_000;

/// Longest path and query carried in `redirectToPath`/`stRedirectTo`; longer requests
/// carry their path alone, or `/`.
const MAX_RETURN_PATH: usize = 2048;

const DEFAULT_BASE_PATH: &str = "/auth";

/// How a page load whose token needs a refresh is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshStrategy {
    /// A 200 HTML page whose script POSTs the refresh endpoint and reloads (the SSR guide's
    /// `TryRefreshComponent`). The default.
    Page,
    /// A 307 to this path with `stRedirectTo=<path>` (auth-react 0.51's middleware
    /// convention), for apps that run their own refresh route.
    Redirect {
        /// The refresh page's path, e.g. `/auth/session/refresh`.
        refresh_path: String,
    },
}

/// Where page answers send the browser.
///
/// Every path here must be a same-origin path (`/x`; not `//x`, `/\x` or a URL): an
/// invalid one is replaced by its default, with a warning, when it is set.
#[derive(Debug, Clone)]
pub struct PageConfig {
    /// Validated, without a trailing slash (`""` for the root).
    pub(crate) website_base_path: String,
    /// `""` or `http(s)://host[:port]`, without a trailing slash.
    pub(crate) api_domain: String,
    /// Validated, without a trailing slash.
    pub(crate) api_base_path: String,
    pub(crate) refresh: RefreshStrategy,
    pub(crate) claim_redirects: Vec<(String, String)>,
}

impl Default for PageConfig {
    fn default() -> Self {
        Self {
            website_base_path: DEFAULT_BASE_PATH.to_owned(),
            api_domain: String::new(),
            api_base_path: DEFAULT_BASE_PATH.to_owned(),
            refresh: RefreshStrategy::Page,
            claim_redirects: vec![
                ("st-ev".to_owned(), "/auth/verify-email".to_owned()),
                ("st-mfa".to_owned(), "/auth/mfa".to_owned()),
            ],
        }
    }
}

impl PageConfig {
    /// The defaults: login at `/auth`, refresh at `/auth/session/refresh` on the same
    /// origin, `st-ev` → `/auth/verify-email`, `st-mfa` → `/auth/mfa`.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The website's auth path (SuperTokens' `websiteBasePath`, default `/auth`). A value
    /// that is not a same-origin path is ignored with a warning.
    #[must_use]
    pub fn website_base_path(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        match base_path(&path) {
            Some(valid) => self.website_base_path = valid,
            None => {
                tracing::warn!(path = %path.escape_debug(), "website_base_path must be a same-origin path like /auth; using /auth");
                DEFAULT_BASE_PATH.clone_into(&mut self.website_base_path);
            }
        }
        self
    }

    /// The API's origin (SuperTokens' `apiDomain`, e.g. `https://api.example.com`);
    /// empty (the default) means the page's own origin. Anything but an `http://` or
    /// `https://` origin is ignored with a warning.
    #[must_use]
    pub fn api_domain(mut self, domain: impl Into<String>) -> Self {
        let domain = domain.into();
        let trimmed = domain.trim_end_matches('/');
        let valid = trimmed.is_empty()
            || ((trimmed.starts_with("https://") || trimmed.starts_with("http://"))
                && trimmed.parse::<Uri>().is_ok_and(|uri| {
                    uri.authority().is_some() && uri.path_and_query().is_none_or(|p| p == "/")
                }));
        if valid {
            trimmed.clone_into(&mut self.api_domain);
        } else {
            tracing::warn!(domain = %domain.escape_debug(), "api_domain must be an origin like https://api.example.com; using the page's origin");
            self.api_domain.clear();
        }
        self
    }

    /// The API's auth path (SuperTokens' `apiBasePath`, default `/auth`). A value that is
    /// not a path is ignored with a warning.
    #[must_use]
    pub fn api_base_path(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        match base_path(&path) {
            Some(valid) => self.api_base_path = valid,
            None => {
                tracing::warn!(path = %path.escape_debug(), "api_base_path must be a path like /auth; using /auth");
                DEFAULT_BASE_PATH.clone_into(&mut self.api_base_path);
            }
        }
        self
    }

    /// How a token needing a refresh is answered (default [`RefreshStrategy::Page`]). A
    /// [`RefreshStrategy::Redirect`] to something other than a same-origin path is
    /// ignored with a warning (the page is used).
    #[must_use]
    pub fn refresh_strategy(mut self, strategy: RefreshStrategy) -> Self {
        self.refresh = match strategy {
            RefreshStrategy::Page => RefreshStrategy::Page,
            RefreshStrategy::Redirect { refresh_path } => match local_config_path(&refresh_path) {
                Some(refresh_path) => RefreshStrategy::Redirect { refresh_path },
                None => {
                    tracing::warn!(path = %refresh_path.escape_debug(), "refresh_path must be a same-origin path; using the try-refresh page");
                    RefreshStrategy::Page
                }
            },
        };
        self
    }

    /// Sends a failing claim `id` to `path` (replacing an earlier entry for `id`). A path
    /// that is not same-origin is ignored with a warning.
    #[must_use]
    pub fn claim_redirect(mut self, id: impl Into<String>, path: impl Into<String>) -> Self {
        let id = id.into();
        let raw = path.into();
        let Some(path) = local_config_path(&raw) else {
            tracing::warn!(claim = %id, path = %raw.escape_debug(), "claim redirect must be a same-origin path; ignored");
            return self;
        };
        match self
            .claim_redirects
            .iter_mut()
            .find(|(known, _)| *known == id)
        {
            Some(entry) => entry.1 = path,
            None => self.claim_redirects.push((id, path)),
        }
        self
    }

    /// Removes every claim redirect: failing claims then get the access-denied page.
    #[must_use]
    pub fn without_claim_redirects(mut self) -> Self {
        self.claim_redirects.clear();
        self
    }

    /// Where a failing claim `id` sends the browser, if anywhere.
    #[must_use]
    pub fn claim_redirect_for(&self, id: &str) -> Option<&str> {
        self.claim_redirects
            .iter()
            .find(|(known, _)| known == id)
            .map(|(_, path)| path.as_str())
    }

    /// The URL the try-refresh page POSTs: `{api_domain}{api_base_path}/session/refresh`.
    #[must_use]
    pub fn refresh_url(&self) -> String {
        format!("{}{}/session/refresh", self.api_domain, self.api_base_path)
    }

    /// The login page for a browser that should come back to `return_to` (a path from
    /// [`return_path`]): `{website_base_path}/?redirectToPath=<return_to>`.
    #[must_use]
    pub fn login_url(&self, return_to: &str) -> String {
        format!(
            "{}/?redirectToPath={}",
            self.website_base_path,
            encode_component(return_to)
        )
    }

    /// The failing claim whose page the browser is sent to: the first of `ids` with a
    /// redirect, skipping a redirect to `current_path` itself (no loop).
    fn first_redirect<'a, I>(&self, ids: I, current_path: &str) -> Option<(&'a str, &str)>
    where
        I: IntoIterator<Item = &'a str>,
    {
        ids.into_iter().find_map(|id| {
            self.claim_redirect_for(id)
                .filter(|location| path_of(location) != path_of(current_path))
                .map(|location| (id, location))
        })
    }
}

// ---------------------------------------------------------------------------------------
// Answers

/// The page answer for `state` on the request `request`; `HEAD` requests get the same
/// status and headers with an empty body. A [`SessionState::Valid`] never reaches here;
/// it would get the login redirect.
#[must_use]
pub fn respond(
    state: &SessionState,
    request: &Parts,
    config: &PageConfig,
    retry_after: Duration,
) -> Response<Bytes> {
    let response = answer(state, config, &request.uri, retry_after);
    if request.method == Method::HEAD {
        without_body(response)
    } else {
        response
    }
}

fn answer(
    state: &SessionState,
    config: &PageConfig,
    uri: &Uri,
    retry_after: Duration,
) -> Response<Bytes> {
    match state {
        SessionState::TryRefresh(_) => try_refresh(config, uri),
        SessionState::InvalidClaims(errors) => claim_redirect_or_denied(config, uri, errors),
        SessionState::KeysUnavailable => keys_unavailable(retry_after),
        SessionState::NoToken | SessionState::Unauthorised(_) | SessionState::Valid(_) => {
            login_redirect(config, uri)
        }
    }
}

/// `307` to the login page, which brings the browser back to `uri`'s path and query:
/// `{website_base_path}/?redirectToPath=<path+query>`.
#[must_use]
pub fn login_redirect(config: &PageConfig, uri: &Uri) -> Response<Bytes> {
    redirect(&config.login_url(&return_path(uri)))
}

/// The answer for a token that needs a refresh, per [`PageConfig::refresh_strategy`].
///
/// With [`RefreshStrategy::Page`]: a `200` page whose inline script (no framework, no
/// external script) does what SuperTokens' `TryRefreshComponent` does: it POSTs
/// [`PageConfig::refresh_url`] with `credentials: "include"` and the headers
/// `rid: session`, `fdi-version` ([`FDI_VERSION`]) and `st-auth-mode: cookie`; on a 2xx
/// it reloads the page, on a 401 it goes to the login page, and on anything else (or a
/// network error) it shows an error with a retry link. A loop guard in `sessionStorage`
/// ([`REFRESH_ATTEMPTS_KEY`]) stops after [`MAX_REFRESH_ATTEMPTS`] attempts within
/// [`REFRESH_WINDOW_MS`]. Without JavaScript a `<noscript>` link leads to the login page.
///
/// With [`RefreshStrategy::Redirect`]: `307` to `{refresh_path}?stRedirectTo=<path+query>`.
#[must_use]
pub fn try_refresh(config: &PageConfig, uri: &Uri) -> Response<Bytes> {
    let return_to = return_path(uri);
    match &config.refresh {
        RefreshStrategy::Redirect { refresh_path } => {
            let separator = if refresh_path.contains('?') { '&' } else { '?' };
            redirect(&format!(
                "{refresh_path}{separator}stRedirectTo={}",
                encode_component(&return_to)
            ))
        }
        RefreshStrategy::Page => try_refresh_page(config, &return_to),
    }
}

fn try_refresh_page(config: &PageConfig, return_to: &str) -> Response<Bytes> {
    let login = config.login_url(return_to);
    let data = script_json(&json!({
        "refreshUrl": config.refresh_url(),
        "loginUrl": login,
        "fdiVersion": FDI_VERSION,
        "storageKey": REFRESH_ATTEMPTS_KEY,
        "maxAttempts": MAX_REFRESH_ATTEMPTS,
        "windowMs": REFRESH_WINDOW_MS,
    }));
    let login = escape_html(&login);
    let retry = escape_html(return_to);
    let body = format!(
        r#"<main>
<p id="st-refresh-status">Refreshing your session&hellip;</p>
<div id="st-refresh-error" hidden>
<p>Something went wrong while refreshing your session.</p>
<p><a id="st-refresh-retry" href="{retry}">Try again</a> or <a href="{login}">sign in again</a>.</p>
</div>
<noscript><p>Your session needs to be refreshed, which needs JavaScript. <a href="{login}">Sign in again</a>.</p></noscript>
</main>
<script>
(function () {{
  "use strict";
  var c = {data};
  function showError() {{
    document.getElementById("st-refresh-status").hidden = true;
    document.getElementById("st-refresh-error").hidden = false;
  }}
  function load() {{
    try {{
      var list = JSON.parse(window.sessionStorage.getItem(c.storageKey) || "[]");
      return Array.isArray(list) ? list : [];
    }} catch (e) {{
      var state = window.history.state;
      return state && Array.isArray(state[c.storageKey]) ? state[c.storageKey] : [];
    }}
  }}
  function save(list) {{
    try {{
      window.sessionStorage.setItem(c.storageKey, JSON.stringify(list));
    }} catch (e) {{
      try {{
        var state = {{}};
        state[c.storageKey] = list;
        window.history.replaceState(state, "");
      }} catch (e2) {{}}
    }}
  }}
  document.getElementById("st-refresh-retry").addEventListener("click", function () {{
    save([]);
  }});
  var now = Date.now();
  var attempts = load().filter(function (t) {{
    return typeof t === "number" && t <= now && now - t < c.windowMs;
  }});
  if (attempts.length >= c.maxAttempts) {{
    showError();
    return;
  }}
  attempts.push(now);
  save(attempts);
  fetch(c.refreshUrl, {{
    method: "POST",
    credentials: "include",
    headers: {{ "rid": "session", "fdi-version": c.fdiVersion, "st-auth-mode": "cookie" }}
  }}).then(function (response) {{
    if (response.status >= 200 && response.status < 300) {{
      window.location.reload();
    }} else if (response.status === 401) {{
      save([]);
      window.location.assign(c.loginUrl);
    }} else {{
      showError();
    }}
  }}, showError);
}})();
</script>"#
    );
    html(StatusCode::OK, "Refreshing your session", &body)
}

/// The answer for failing claims: `307` to the page of the first failing claim that has
/// one in [`PageConfig::claim_redirect`] (in the order the validators failed, as
/// auth-react's `SessionAuth`), else the `403` [access-denied page](access_denied) naming
/// every failing claim. A claim whose page is the requested path itself is skipped, so a
/// protected claim page cannot redirect to itself.
#[must_use]
pub fn claim_redirect_or_denied(
    config: &PageConfig,
    uri: &Uri,
    errors: &[ClaimValidationError],
) -> Response<Bytes> {
    let ids = errors.iter().map(|error| error.id.as_str());
    match config.first_redirect(ids.clone(), uri.path()) {
        Some((_, location)) => redirect(location),
        None => access_denied(ids),
    }
}

/// `403` page: access denied, naming the failing claim ids.
#[must_use]
pub fn access_denied<'a, I>(claims: I) -> Response<Bytes>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut items = String::new();
    for id in claims {
        let _ = writeln!(items, "<li><code>{}</code></li>", escape_html(id));
    }
    let detail = if items.is_empty() {
        String::new()
    } else {
        format!("<p>Failed checks:</p>\n<ul>\n{items}</ul>\n")
    };
    let body = format!(
        "<main>\n<h1>Access denied</h1>\n<p>You do not have access to this page.</p>\n{detail}<p><a href=\"/\">Go to the home page</a></p>\n</main>"
    );
    html(StatusCode::FORBIDDEN, "Access denied", &body)
}

/// `503` page with `Retry-After` (whole seconds, at least 1): the signing keys could not
/// be fetched.
#[must_use]
pub fn keys_unavailable(retry_after: Duration) -> Response<Bytes> {
    let seconds = (retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0)).max(1);
    let body = format!(
        "<main>\n<h1>Temporarily unavailable</h1>\n<p>Your session cannot be checked right now. Please reload the page in {seconds} second{}.</p>\n</main>",
        if seconds == 1 { "" } else { "s" }
    );
    let mut response = html(
        StatusCode::SERVICE_UNAVAILABLE,
        "Temporarily unavailable",
        &body,
    );
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// `502` page: "Something went wrong" (an upstream API call failed; the cause belongs in
/// the logs, never in the page).
#[must_use]
pub fn upstream_error() -> Response<Bytes> {
    html(
        StatusCode::BAD_GATEWAY,
        "Something went wrong",
        "<main>\n<h1>Something went wrong</h1>\n<p>Please reload the page.</p>\n</main>",
    )
}

/// `307` to `location` with a small HTML body linking to it. `location` must be a
/// same-origin path (every caller in this module guarantees it); anything else becomes `/`.
#[must_use]
pub fn redirect(location: &str) -> Response<Bytes> {
    let location = if is_local_path(location) {
        location
    } else {
        "/"
    };
    let value = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/"));
    let body = format!(
        "<main>\n<p>Redirecting to <a href=\"{0}\">{0}</a>&hellip;</p>\n</main>",
        escape_html(location)
    );
    let mut response = html(StatusCode::TEMPORARY_REDIRECT, "Redirecting", &body);
    response.headers_mut().insert(LOCATION, value);
    response
}

fn html(status: StatusCode, title: &str, body: &str) -> Response<Bytes> {
    let document = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"robots\" content=\"noindex\">\n<title>{}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        escape_html(title)
    );
    let mut response = Response::new(Bytes::from(document));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

fn without_body(response: Response<Bytes>) -> Response<Bytes> {
    response.map(|_| Bytes::new())
}

// ---------------------------------------------------------------------------------------
// Pages: the answers for one request

/// The page answers for one request, for handlers that decide themselves (optional mode,
/// SuperTokens' `getSSRSessionHelper`). See the [module docs](self) for an example.
///
/// Its answers have any body type that converts from [`Bytes`] (`Bytes`,
/// `Full<Bytes>`, `axum::body::Body`, ...), so a handler returns them as they are.
///
/// [`Pages::from_request`] uses the [`PageConfig`] of the
/// [`SessionLayer`](crate::SessionLayer) the request passed through. With the `axum`
/// feature, `Pages` is also an extractor.
#[derive(Debug, Clone)]
pub struct Pages {
    config: ConfigSource,
    uri: Uri,
    retry_after: Duration,
    head: bool,
}

#[derive(Debug, Clone)]
enum ConfigSource {
    Layer(LayerContext),
    Owned(Box<PageConfig>),
}

impl Pages {
    /// The answers for a request to `uri`, with `config`.
    #[must_use]
    pub fn new(config: PageConfig, uri: &Uri) -> Self {
        Self {
            config: ConfigSource::Owned(Box::new(config)),
            uri: uri.clone(),
            retry_after: Duration::from_secs(1),
            head: false,
        }
    }

    /// The answers for `request`, with the [`PageConfig`] of the `SessionLayer` it passed
    /// through (the defaults when there was none). `HEAD` requests get empty bodies.
    #[must_use]
    pub fn from_request<B>(request: &Request<B>) -> Self {
        Self::from_head(request.method(), request.uri(), request.extensions())
    }

    /// [`Pages::from_request`] for a request already split into parts.
    #[must_use]
    pub fn from_parts(parts: &Parts) -> Self {
        Self::from_head(&parts.method, &parts.uri, &parts.extensions)
    }

    fn from_head(method: &Method, uri: &Uri, extensions: &http::Extensions) -> Self {
        let (config, retry_after) = match extensions.get::<LayerContext>() {
            Some(context) => (
                ConfigSource::Layer(context.clone()),
                context.0.config.keys.retry_after(),
            ),
            None => (ConfigSource::Owned(Box::default()), Duration::from_secs(1)),
        };
        Self {
            config,
            uri: uri.clone(),
            retry_after,
            head: *method == Method::HEAD,
        }
    }

    /// The configuration in use.
    #[must_use]
    pub fn config(&self) -> &PageConfig {
        match &self.config {
            ConfigSource::Layer(context) => &context.0.config.pages,
            ConfigSource::Owned(config) => config,
        }
    }

    /// The request's URI.
    #[must_use]
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The sanitised path and query a redirect brings the browser back to.
    #[must_use]
    pub fn return_to(&self) -> String {
        return_path(&self.uri)
    }

    /// The login page URL that comes back here.
    #[must_use]
    pub fn login_url(&self) -> String {
        self.config().login_url(&self.return_to())
    }

    fn finish<B: From<Bytes>>(&self, response: Response<Bytes>) -> Response<B> {
        let response = if self.head {
            without_body(response)
        } else {
            response
        };
        response.map(B::from)
    }

    /// "Redirect to login": [`login_redirect`].
    #[must_use]
    pub fn login<B: From<Bytes>>(&self) -> Response<B> {
        self.finish(login_redirect(self.config(), &self.uri))
    }

    /// "Try refresh": [`try_refresh`].
    #[must_use]
    pub fn try_refresh<B: From<Bytes>>(&self) -> Response<B> {
        self.finish(try_refresh(self.config(), &self.uri))
    }

    /// "Claim redirect" (or access denied): [`claim_redirect_or_denied`].
    #[must_use]
    pub fn invalid_claims<B: From<Bytes>>(&self, errors: &[ClaimValidationError]) -> Response<B> {
        self.finish(claim_redirect_or_denied(self.config(), &self.uri, errors))
    }

    /// The access-denied page: [`access_denied`].
    #[must_use]
    pub fn access_denied<'a, I, B>(&self, claims: I) -> Response<B>
    where
        I: IntoIterator<Item = &'a str>,
        B: From<Bytes>,
    {
        self.finish(access_denied(claims))
    }

    /// The keys-unavailable page: [`keys_unavailable`].
    #[must_use]
    pub fn keys_unavailable<B: From<Bytes>>(&self) -> Response<B> {
        self.finish(keys_unavailable(self.retry_after))
    }

    /// The "Something went wrong" page: [`upstream_error`].
    #[must_use]
    pub fn upstream_error<B: From<Bytes>>(&self) -> Response<B> {
        self.finish(upstream_error())
    }

    /// What [`SessionLayer::required`](crate::SessionLayer::required) answers for `state`
    /// on a page load (the login redirect for [`SessionState::Valid`]).
    #[must_use]
    pub fn for_state<B: From<Bytes>>(&self, state: &SessionState) -> Response<B> {
        self.finish(answer(state, self.config(), &self.uri, self.retry_after))
    }

    /// The upstream response on 2xx, else the page answer for it (see
    /// [`SessionResponse::into_page_response`](crate::upstream::SessionResponse::into_page_response)).
    ///
    /// # Errors
    /// The page answer, for every outcome but [`SessionResponse::Ok`](crate::upstream::SessionResponse::Ok).
    pub fn upstream<B, C: From<Bytes>>(
        &self,
        response: crate::upstream::SessionResponse<B>,
    ) -> Result<Response<B>, Response<C>> {
        response
            .into_page_response(&self.uri, self.config())
            .map_err(|page| self.finish(page))
    }
}

#[cfg(feature = "axum")]
impl<S: Send + Sync> axum_core::extract::FromRequestParts<S> for Pages {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_parts(parts))
    }
}

// ---------------------------------------------------------------------------------------
// Paths, encoding, escaping

/// The request's path and query as a same-origin relative path, to come back to after a
/// redirect. Only the path and query are used (an absolute-form request URI's scheme and
/// host are dropped). Anything that could leave the site is replaced by `/`: a path not
/// starting with a single `/`, starting with `//` or `/\` (also once percent-decoded),
/// containing `\` or a control character, or with a `.`/`..` segment. Longer than 2 KiB,
/// the query is dropped (and a longer path becomes `/`).
#[must_use]
pub fn return_path(uri: &Uri) -> String {
    let Some(path_and_query) = uri.path_and_query() else {
        return "/".to_owned();
    };
    let full = path_and_query.as_str();
    let candidate = if full.len() <= MAX_RETURN_PATH {
        full
    } else {
        path_and_query.path()
    };
    if candidate.len() <= MAX_RETURN_PATH && is_local_path(candidate) {
        candidate.to_owned()
    } else {
        "/".to_owned()
    }
}

/// Whether `target` (a path, optionally with a query) stays on the site, whatever decodes
/// or normalises it later.
fn is_local_path(target: &str) -> bool {
    let bytes = target.as_bytes();
    if bytes.first() != Some(&b'/')
        || bytes
            .iter()
            .any(|b| *b == b'\\' || b.is_ascii_control() || *b == b' ')
    {
        return false;
    }
    // Check the path as it is and as one, two or three rounds of percent-decoding would
    // leave it (a login page may decode once more before navigating).
    let mut path = path_of(target).as_bytes().to_vec();
    for _ in 0..4 {
        if path.get(1).is_some_and(|b| *b == b'/' || *b == b'\\')
            || path.iter().any(|b| *b == b'\\' || b.is_ascii_control())
            || path
                .split(|b| *b == b'/')
                .any(|segment| segment == b"." || segment == b"..")
        {
            return false;
        }
        let decoded = percent_decode(&path);
        if decoded == path {
            break;
        }
        path = decoded;
    }
    true
}

/// The path part of `target` (up to `?` or `#`).
fn path_of(target: &str) -> &str {
    target.split(['?', '#']).next().unwrap_or(target)
}

/// A configured path, or `None` when it could leave the site. Bytes outside visible ASCII
/// are percent-encoded so it fits in a `Location` header.
fn local_config_path(path: &str) -> Option<String> {
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_graphic() {
            encoded.push(char::from(byte));
        } else if byte == b' ' || !byte.is_ascii() {
            let _ = write!(encoded, "%{byte:02X}");
        } else {
            return None;
        }
    }
    is_local_path(&encoded).then_some(encoded)
}

/// A base path: local, no query or fragment, without its trailing slash (`""` for `/`).
fn base_path(path: &str) -> Option<String> {
    if path.contains(['?', '#']) {
        return None;
    }
    let path = local_config_path(path)?;
    Some(path.trim_end_matches('/').to_owned())
}

fn percent_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'%'
            && let (Some(high), Some(low)) = (
                input.get(i + 1).and_then(|b| char::from(*b).to_digit(16)),
                input.get(i + 2).and_then(|b| char::from(*b).to_digit(16)),
            )
        {
            // Two hex digits: at most 255.
            out.push(u8::try_from(high * 16 + low).unwrap_or(b'%'));
            i += 3;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    out
}

/// Percent-encodes everything but the unreserved characters (`A-Z a-z 0-9 - . _ ~`), as a
/// query parameter value.
fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attribute values.
///
/// ```
/// use tower_supertokens::reject::page::escape_html;
/// assert_eq!(escape_html(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
/// ```
#[must_use]
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON that is also safe inside `<script>`: `<`, `>`, `&`, U+2028 and U+2029 escaped.
fn script_json(value: &serde_json::Value) -> String {
    let json = value.to_string();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(text: &str) -> Uri {
        text.parse().expect("uri")
    }

    fn location(response: &Response<Bytes>) -> &str {
        response.headers()[LOCATION]
            .to_str()
            .unwrap_or("<not ascii>")
    }

    #[test]
    fn return_path_keeps_ordinary_paths() {
        assert_eq!(return_path(&uri("/")), "/");
        assert_eq!(return_path(&uri("/a?b=1")), "/a?b=1");
        assert_eq!(return_path(&uri("/a/b%20c?q=%2F%2F")), "/a/b%20c?q=%2F%2F");
        assert_eq!(return_path(&uri("http://evil.example/x?y")), "/x?y");
        assert_eq!(return_path(&uri("http://evil.example")), "/");
    }

    #[test]
    fn return_path_refuses_anything_that_could_leave_the_site() {
        for attempt in [
            "//evil.example",
            "//evil.example/x",
            "/%2F%2Fevil.example",
            "/%2f/evil.example",
            "/%252F%252Fevil.example",
            "/%5Cevil",
            "/%5cevil",
            "/%0d%0aSet-Cookie:x",
            "/..//evil",
            "/./evil",
            "/a/%2e%2e/%2e%2e//evil",
            "*",
        ] {
            assert_eq!(return_path(&uri(attempt)), "/", "{attempt}");
        }
        let long_query = format!("/long?{}", "a".repeat(3000));
        assert_eq!(return_path(&uri(&long_query)), "/long");
        let long_path = format!("/{}", "a".repeat(3000));
        assert_eq!(return_path(&uri(&long_path)), "/");
    }

    #[test]
    fn encoding_is_url_search_params_like() {
        assert_eq!(encode_component("/a?b=1&c=d e"), "%2Fa%3Fb%3D1%26c%3Dd%20e");
        assert_eq!(encode_component("AZaz09-._~"), "AZaz09-._~");
        assert_eq!(encode_component("é"), "%C3%A9");
    }

    #[test]
    fn config_paths_are_validated() {
        let config = PageConfig::new().website_base_path("//evil.example");
        assert_eq!(config.website_base_path, "/auth");
        let config = PageConfig::new().website_base_path("https://evil.example/auth");
        assert_eq!(config.website_base_path, "/auth");
        let config = PageConfig::new().website_base_path("/");
        assert_eq!(config.login_url("/"), "/?redirectToPath=%2F");
        let config = PageConfig::new().website_base_path("/login/");
        assert_eq!(config.login_url("/x"), "/login/?redirectToPath=%2Fx");
        let config = PageConfig::new().claim_redirect("st-ev", "//evil");
        assert_eq!(
            config.claim_redirect_for("st-ev"),
            Some("/auth/verify-email")
        );
        let config = PageConfig::new().refresh_strategy(RefreshStrategy::Redirect {
            refresh_path: "http://evil/".into(),
        });
        assert_eq!(config.refresh, RefreshStrategy::Page);
        let config = PageConfig::new().api_domain("javascript:alert(1)");
        assert_eq!(config.refresh_url(), "/auth/session/refresh");
        let config = PageConfig::new()
            .api_domain("https://api.example.com/")
            .api_base_path("/api/auth/");
        assert_eq!(
            config.refresh_url(),
            "https://api.example.com/api/auth/session/refresh"
        );
        let config = PageConfig::new().claim_redirect("st-x", "/vérifier");
        assert_eq!(config.claim_redirect_for("st-x"), Some("/v%C3%A9rifier"));
    }

    #[test]
    fn redirect_never_emits_a_foreign_location() {
        assert_eq!(location(&redirect("//evil.example")), "/");
        assert_eq!(location(&redirect("https://evil.example")), "/");
        assert_eq!(location(&redirect("/ok?x=1")), "/ok?x=1");
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape_html("<script>\"'&"),
            "&lt;script&gt;&quot;&#39;&amp;"
        );
        let json = script_json(&json!({"u": "</script><!--&\u{2028}\u{2029}"}));
        assert_eq!(
            json,
            r#"{"u":"\u003c/script\u003e\u003c!--\u0026\u2028\u2029"}"#
        );
        let back: serde_json::Value = serde_json::from_str(&json).expect("still JSON");
        assert_eq!(back["u"], "</script><!--&\u{2028}\u{2029}");
    }

    #[test]
    fn claim_redirect_skips_the_current_page() {
        let errors = [ClaimValidationError {
            id: "st-ev".into(),
            reason: None,
        }];
        let response = claim_redirect_or_denied(&PageConfig::new(), &uri("/home"), &errors);
        assert_eq!(location(&response), "/auth/verify-email");
        let response =
            claim_redirect_or_denied(&PageConfig::new(), &uri("/auth/verify-email?x"), &errors);
        assert_eq!(response.status(), 403);
    }

    #[test]
    fn keys_unavailable_rounds_retry_after_up() {
        let response = keys_unavailable(Duration::from_millis(1500));
        assert_eq!(response.headers()[RETRY_AFTER], "2");
        let response = keys_unavailable(Duration::ZERO);
        assert_eq!(response.headers()[RETRY_AFTER], "1");
    }
}
