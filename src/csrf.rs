//! Anti-CSRF checks for cookie-transported tokens (SPEC §5).
//!
//! Only requests whose token came from the cookie and whose method is not GET are
//! checked; OPTIONS and TRACE never get here (the layer passes them through).
//! `VIA_CUSTOM_HEADER` needs no signature work, so the layer runs it before the key lookup,
//! as the SDK does; `VIA_TOKEN` compares against the verified payload afterwards.

use http::{HeaderMap, Method};
use serde_json::{Map, Value};

use crate::config::AntiCsrf;
use crate::state::{TokenSource, TryRefreshReason};

fn applies(mode: AntiCsrf, method: &Method, source: TokenSource) -> bool {
    mode != AntiCsrf::None && source == TokenSource::Cookie && method != Method::GET
}

/// The `rid` check of `VIA_CUSTOM_HEADER`: the header must be present, with any value.
pub(crate) fn check_custom_header(
    mode: AntiCsrf,
    method: &Method,
    source: TokenSource,
    headers: &HeaderMap,
) -> Result<(), TryRefreshReason> {
    if mode == AntiCsrf::ViaCustomHeader
        && applies(mode, method, source)
        && !headers.contains_key("rid")
    {
        return Err(TryRefreshReason::AntiCsrf);
    }
    Ok(())
}

/// The `VIA_TOKEN` check: the `anti-csrf` header must equal the payload's `antiCsrfToken`.
pub(crate) fn check_token(
    mode: AntiCsrf,
    method: &Method,
    source: TokenSource,
    headers: &HeaderMap,
    payload: &Map<String, Value>,
) -> Result<(), TryRefreshReason> {
    if mode != AntiCsrf::ViaToken || !applies(mode, method, source) {
        return Ok(());
    }
    let expected = payload.get("antiCsrfToken").and_then(Value::as_str);
    let sent = headers.get("anti-csrf").and_then(|v| v.to_str().ok());
    match (expected, sent) {
        (Some(expected), Some(sent)) if expected == sent => Ok(()),
        _ => Err(TryRefreshReason::AntiCsrf),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().expect("static header value"));
        }
        map
    }

    fn payload(token: Option<&str>) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert(
            "antiCsrfToken".into(),
            token.map_or(Value::Null, |t| json!(t)),
        );
        map
    }

    #[test]
    fn none_checks_nothing() {
        let empty = HeaderMap::new();
        assert!(
            check_custom_header(AntiCsrf::None, &Method::POST, TokenSource::Cookie, &empty).is_ok()
        );
        assert!(
            check_token(
                AntiCsrf::None,
                &Method::POST,
                TokenSource::Cookie,
                &empty,
                &payload(None)
            )
            .is_ok()
        );
    }

    #[test]
    fn custom_header_needs_rid_on_cookie_non_get() {
        let mode = AntiCsrf::ViaCustomHeader;
        let empty = HeaderMap::new();
        assert_eq!(
            check_custom_header(mode, &Method::POST, TokenSource::Cookie, &empty),
            Err(TryRefreshReason::AntiCsrf)
        );
        assert_eq!(
            check_custom_header(mode, &Method::HEAD, TokenSource::Cookie, &empty),
            Err(TryRefreshReason::AntiCsrf)
        );
        let rid = headers(&[("rid", "anything")]);
        assert!(check_custom_header(mode, &Method::POST, TokenSource::Cookie, &rid).is_ok());
        assert!(check_custom_header(mode, &Method::GET, TokenSource::Cookie, &empty).is_ok());
        assert!(check_custom_header(mode, &Method::POST, TokenSource::Header, &empty).is_ok());
        let anti_csrf_only = headers(&[("anti-csrf", "x")]);
        assert!(
            check_custom_header(mode, &Method::POST, TokenSource::Cookie, &anti_csrf_only).is_err()
        );
    }

    #[test]
    fn via_token_compares_header_and_payload() {
        let mode = AntiCsrf::ViaToken;
        let right = headers(&[("anti-csrf", "secret")]);
        let wrong = headers(&[("anti-csrf", "other")]);
        let rid_only = headers(&[("rid", "anti-csrf")]);
        let method = &Method::POST;
        let cookie = TokenSource::Cookie;
        assert!(check_token(mode, method, cookie, &right, &payload(Some("secret"))).is_ok());
        assert!(check_token(mode, method, cookie, &wrong, &payload(Some("secret"))).is_err());
        assert!(check_token(mode, method, cookie, &rid_only, &payload(Some("secret"))).is_err());
        assert!(check_token(mode, method, cookie, &right, &payload(None)).is_err());
        assert!(
            check_token(
                mode,
                &Method::GET,
                cookie,
                &HeaderMap::new(),
                &payload(None)
            )
            .is_ok()
        );
        assert!(
            check_token(
                mode,
                method,
                TokenSource::Header,
                &HeaderMap::new(),
                &payload(None)
            )
            .is_ok()
        );
        // VIA_TOKEN does not look at rid.
        assert!(check_custom_header(mode, method, cookie, &HeaderMap::new()).is_ok());
    }
}
