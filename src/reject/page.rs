//! Answers for page loads (server-side rendering): login redirect, try-refresh page, claim
//! redirects, access denied and error pages.
//!
//! STUB: the rendering functions are being written (SSR task). `PageConfig` is the contract.

use std::time::Duration;

use bytes::Bytes;
use http::Response;
use http::request::Parts;

use crate::state::SessionState;

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
#[derive(Debug, Clone)]
pub struct PageConfig {
    pub(crate) website_base_path: String,
    pub(crate) api_domain: String,
    pub(crate) api_base_path: String,
    pub(crate) refresh: RefreshStrategy,
    pub(crate) claim_redirects: Vec<(String, String)>,
}

impl Default for PageConfig {
    fn default() -> Self {
        Self {
            website_base_path: "/auth".to_owned(),
            api_domain: String::new(),
            api_base_path: "/auth".to_owned(),
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

    /// The website's auth path (SuperTokens' `websiteBasePath`, default `/auth`).
    #[must_use]
    pub fn website_base_path(mut self, path: impl Into<String>) -> Self {
        self.website_base_path = path.into();
        self
    }

    /// The API's origin (SuperTokens' `apiDomain`, e.g. `https://api.example.com`);
    /// empty (the default) means the page's own origin.
    #[must_use]
    pub fn api_domain(mut self, domain: impl Into<String>) -> Self {
        self.api_domain = domain.into();
        self
    }

    /// The API's auth path (SuperTokens' `apiBasePath`, default `/auth`).
    #[must_use]
    pub fn api_base_path(mut self, path: impl Into<String>) -> Self {
        self.api_base_path = path.into();
        self
    }

    /// How a token needing a refresh is answered (default [`RefreshStrategy::Page`]).
    #[must_use]
    pub fn refresh_strategy(mut self, strategy: RefreshStrategy) -> Self {
        self.refresh = strategy;
        self
    }

    /// Sends a failing claim `id` to `path` (replacing an earlier entry for `id`).
    #[must_use]
    pub fn claim_redirect(mut self, id: impl Into<String>, path: impl Into<String>) -> Self {
        let id = id.into();
        let path = path.into();
        match self.claim_redirects.iter_mut().find(|(known, _)| *known == id) {
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
}

/// The page answer for `state` on the request `request`.
#[must_use]
pub fn respond(
    state: &SessionState,
    request: &Parts,
    config: &PageConfig,
    retry_after: Duration,
) -> Response<Bytes> {
    let _ = (state, request, config, retry_after);
    unimplemented!()
}
