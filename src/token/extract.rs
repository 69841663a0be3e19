//! Finding the access token in a request (SPEC §3 "Reading the access token", §10 steps
//! 1–2, §13.1, §13.9).
//!
//! Like node's `getAccessTokenFromRequest`: both sources are read, each is kept only if it
//! parses, and the `Authorization: Bearer` header wins over the cookie. There is no
//! fallback to the cookie once the header token is chosen, even if it later fails to
//! verify.

use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE};

use crate::config::TokenTransport;
use crate::state::{SessionState, TokenSource, TryRefreshReason, UnauthorisedReason};
use crate::token::parse::{ParsedToken, parse};

/// The legacy cookie whose mere presence means "try refresh" (SPEC §3, §13.1 step 1).
const LEGACY_COOKIE: &[u8] = b"sIdRefreshToken";

/// The token chosen for a request.
pub(crate) struct Candidate<'a> {
    /// The raw token text.
    pub(crate) raw: &'a str,
    /// Where it came from.
    pub(crate) source: TokenSource,
    /// Its parsed header and payload.
    pub(crate) parsed: ParsedToken,
}

/// Finds the request's access token. `Err` carries the final state when there is no token
/// to verify: NoToken, Unauthorised (nothing parsed), TryRefresh (legacy cookie,
/// duplicate cookies, v1/v2 token).
pub(crate) fn extract<'a>(
    headers: &'a HeaderMap,
    transport: TokenTransport,
    cookie_name: &str,
) -> Result<Candidate<'a>, SessionState> {
    if cookies(headers).any(|(name, _)| name == LEGACY_COOKIE) {
        return Err(SessionState::TryRefresh(TryRefreshReason::LegacyCookie));
    }

    let header = match transport {
        TokenTransport::Any | TokenTransport::Header => bearer_token(headers),
        TokenTransport::Cookie => None,
    };
    let header_failure = match header.map(|raw| raw.map(|raw| (raw, parse(raw)))) {
        Some(Ok((raw, Ok(parsed)))) => return chosen(raw, TokenSource::Header, parsed),
        Some(Ok((_, Err(reason))) | Err(reason)) => Some(reason),
        None => None,
    };

    let cookie = match transport {
        TokenTransport::Any | TokenTransport::Cookie => access_token_cookie(headers, cookie_name),
        TokenTransport::Header => None,
    };
    let cookie_failure = match cookie {
        Some(AccessCookie { value, count }) => {
            match std::str::from_utf8(value) {
                Ok(raw) => match parse(raw) {
                    // Node checks for duplicates only once the cookie is chosen.
                    Ok(_) if count > 1 => {
                        return Err(SessionState::TryRefresh(TryRefreshReason::DuplicateCookies));
                    }
                    Ok(parsed) => return chosen(raw, TokenSource::Cookie, parsed),
                    Err(reason) => Some(reason),
                },
                Err(_) => Some(UnauthorisedReason::Malformed("cookie value is not UTF-8")),
            }
        }
        None => None,
    };

    match header_failure.or(cookie_failure) {
        Some(reason) => Err(SessionState::Unauthorised(reason)),
        None => Err(SessionState::NoToken),
    }
}

/// The chosen token, unless it is a legacy v1/v2 token.
fn chosen(
    raw: &str,
    source: TokenSource,
    parsed: ParsedToken,
) -> Result<Candidate<'_>, SessionState> {
    if parsed.version <= 2 {
        return Err(SessionState::TryRefresh(
            TryRefreshReason::LegacyTokenVersion,
        ));
    }
    Ok(Candidate {
        raw,
        source,
        parsed,
    })
}

/// The token of `Authorization: Bearer <token>`, trimmed. `None` when there is no such
/// header (a header with another scheme, or `bearer ` in lower case, is no candidate);
/// `Err` when it is present but unusable.
fn bearer_token(headers: &HeaderMap) -> Option<Result<&str, UnauthorisedReason>> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values.next()?;
    let token = value.as_bytes().strip_prefix(b"Bearer ")?;
    if values.next().is_some() {
        return Some(Err(UnauthorisedReason::Malformed(
            "more than one Authorization header",
        )));
    }
    Some(
        std::str::from_utf8(token)
            .map(str::trim)
            .map_err(|_| UnauthorisedReason::Malformed("Authorization header is not UTF-8")),
    )
}

/// The first access token cookie and how many there are.
struct AccessCookie<'a> {
    value: &'a [u8],
    count: usize,
}

fn access_token_cookie<'a>(headers: &'a HeaderMap, cookie_name: &str) -> Option<AccessCookie<'a>> {
    let mut found: Option<AccessCookie<'a>> = None;
    for (name, value) in cookies(headers) {
        if name == cookie_name.as_bytes() {
            match &mut found {
                // Node's cookie parser keeps the first of duplicates.
                Some(cookie) => cookie.count += 1,
                None => found = Some(AccessCookie { value, count: 1 }),
            }
        }
    }
    found
}

/// Every `name=value` pair of every `Cookie` header: pairs split on `;`, name and value
/// split on the first `=`, whitespace trimmed, one pair of surrounding double quotes
/// removed from the value. Pairs without `=` are skipped. Bytes, so invalid UTF-8 in
/// another cookie cannot hide the access token.
fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&[u8], &[u8])> {
    headers
        .get_all(COOKIE)
        .iter()
        .flat_map(|header| header.as_bytes().split(|&b| b == b';'))
        .filter_map(|pair| {
            let at = pair.iter().position(|&b| b == b'=')?;
            let (name, value) = (pair.get(..at)?, pair.get(at + 1..)?);
            let value = trim(value);
            let value = match value {
                [b'"', inner @ .., b'"'] => inner,
                _ => value,
            };
            Some((trim(name), value))
        })
}

fn trim(bytes: &[u8]) -> &[u8] {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes
        .iter()
        .position(|b| !is_space(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |i| i + 1);
    bytes.get(start..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;
    use crate::testing::TestIssuer;
    use crate::token::parse::LEGACY_V2_HEADER;

    const COOKIE_NAME: &str = "sAccessToken";

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn tokens() -> (String, String) {
        let issuer = TestIssuer::new();
        (
            issuer.token("header-user").sign(),
            issuer.token("cookie-user").sign(),
        )
    }

    fn pick(
        map: &HeaderMap,
        transport: TokenTransport,
    ) -> Result<(TokenSource, String), SessionState> {
        extract(map, transport, COOKIE_NAME).map(|c| {
            let sub = c.parsed.payload["sub"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            (c.source, sub)
        })
    }

    fn state_name(result: Result<(TokenSource, String), SessionState>) -> String {
        match result {
            Ok((source, sub)) => format!("Ok({source}, {sub})"),
            Err(SessionState::TryRefresh(reason)) => format!("TryRefresh({reason:?})"),
            Err(SessionState::Unauthorised(reason)) => format!("Unauthorised({reason:?})"),
            Err(other) => other.name().to_owned(),
        }
    }

    #[test]
    fn header_wins_over_cookie() {
        let (h, c) = tokens();
        let map = headers(&[
            ("authorization", &format!("Bearer {h}")),
            ("cookie", &format!("sAccessToken={c}")),
        ]);
        let candidate = extract(&map, TokenTransport::Any, COOKIE_NAME).unwrap();
        assert_eq!(candidate.source, TokenSource::Header);
        assert_eq!(candidate.raw, h);
        assert_eq!(candidate.parsed.payload["sub"], "header-user");
    }

    #[test]
    fn header_name_is_case_insensitive_and_value_trimmed() {
        let (h, _) = tokens();
        let map = headers(&[("AUTHORIZATION", &format!("Bearer   {h}  "))]);
        let candidate = extract(&map, TokenTransport::Any, COOKIE_NAME).unwrap();
        assert_eq!(candidate.raw, h);
    }

    #[test]
    fn unparseable_header_falls_to_the_cookie() {
        let (_, c) = tokens();
        let map = headers(&[
            ("authorization", "Bearer not-a-token"),
            ("cookie", &format!("sAccessToken={c}")),
        ]);
        assert_eq!(
            pick(&map, TokenTransport::Any).unwrap(),
            (TokenSource::Cookie, "cookie-user".to_owned())
        );
    }

    #[test]
    fn lowercase_bearer_and_other_schemes_are_ignored() {
        let (h, c) = tokens();
        for value in [
            format!("bearer {h}"),
            format!("BEARER {h}"),
            format!("Basic {h}"),
            format!("Bearer{h}"),
        ] {
            let map = headers(&[("authorization", &value)]);
            assert_eq!(
                state_name(pick(&map, TokenTransport::Any)),
                "NoToken",
                "{value}"
            );
            let map = headers(&[
                ("authorization", &value),
                ("cookie", &format!("sAccessToken={c}")),
            ]);
            assert_eq!(
                pick(&map, TokenTransport::Any).unwrap().0,
                TokenSource::Cookie,
                "{value}"
            );
        }
    }

    #[test]
    fn cookie_parsing() {
        let (_, c) = tokens();
        for cookie in [
            format!("sAccessToken={c}"),
            format!("  sAccessToken  =  {c}  "),
            format!("sAccessToken=\"{c}\""),
            format!("a=1; sAccessToken={c}; b=2"),
            format!("a=x=y==; sAccessToken={c};b"),
            format!("sFrontToken=abc=; st-last-access-token-update=1;sAccessToken={c}"),
            format!(";;sAccessToken={c};;"),
            format!("sAccessTokenX=1; XsAccessToken=2; sAccessToken={c}"),
        ] {
            let map = headers(&[("cookie", &cookie)]);
            let candidate = extract(&map, TokenTransport::Any, COOKIE_NAME).unwrap();
            assert_eq!(candidate.source, TokenSource::Cookie, "{cookie}");
            assert_eq!(candidate.raw, c, "{cookie}");
        }
        // Split over several Cookie headers.
        let map = headers(&[("cookie", "a=1"), ("Cookie", &format!("sAccessToken={c}"))]);
        assert_eq!(
            extract(&map, TokenTransport::Any, COOKIE_NAME).unwrap().raw,
            c
        );
        // A custom cookie name.
        let map = headers(&[("cookie", &format!("sAccessToken=x; myToken={c}"))]);
        assert_eq!(
            extract(&map, TokenTransport::Any, "myToken").unwrap().raw,
            c
        );
    }

    #[test]
    fn equals_in_a_value_splits_on_the_first() {
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = cookies(&headers(&[("cookie", "a=b=c; d==; e")]))
            .map(|(n, v)| (n.to_vec(), v.to_vec()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                (b"a".to_vec(), b"b=c".to_vec()),
                (b"d".to_vec(), b"=".to_vec())
            ]
        );
    }

    #[test]
    fn invalid_utf8_in_cookies_is_ignored_safely() {
        let (_, c) = tokens();
        let mut map = HeaderMap::new();
        let mut bytes = b"junk=\xff\xfe; sAccessToken=".to_vec();
        bytes.extend_from_slice(c.as_bytes());
        map.append(COOKIE, HeaderValue::from_bytes(&bytes).unwrap());
        assert_eq!(
            extract(&map, TokenTransport::Any, COOKIE_NAME).unwrap().raw,
            c
        );
        // The access token cookie itself not UTF-8: present, unparseable.
        let mut map = HeaderMap::new();
        map.append(
            COOKIE,
            HeaderValue::from_bytes(b"sAccessToken=\xff\xfe").unwrap(),
        );
        assert!(matches!(
            extract(&map, TokenTransport::Any, COOKIE_NAME),
            Err(SessionState::Unauthorised(UnauthorisedReason::Malformed(_)))
        ));
        // Nor in the Authorization header.
        let mut map = HeaderMap::new();
        map.append(
            AUTHORIZATION,
            HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap(),
        );
        assert!(matches!(
            extract(&map, TokenTransport::Any, COOKIE_NAME),
            Err(SessionState::Unauthorised(UnauthorisedReason::Malformed(_)))
        ));
    }

    #[test]
    fn duplicate_cookies_try_refresh() {
        let (h, c) = tokens();
        let same_header = headers(&[("cookie", &format!("sAccessToken={c}; sAccessToken={c}"))]);
        let two_headers = headers(&[
            ("cookie", &format!("sAccessToken={c}")),
            ("cookie", "sAccessToken=other"),
        ]);
        for map in [&same_header, &two_headers] {
            assert_eq!(
                state_name(pick(map, TokenTransport::Any)),
                "TryRefresh(DuplicateCookies)"
            );
        }
        // Irrelevant when the header is chosen.
        let mut map = two_headers.clone();
        map.append(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {h}")).unwrap(),
        );
        assert_eq!(
            pick(&map, TokenTransport::Any).unwrap().0,
            TokenSource::Header
        );
        // The first duplicate does not parse: no candidate from the cookie.
        let map = headers(&[("cookie", &format!("sAccessToken=bad; sAccessToken={c}"))]);
        assert!(matches!(
            pick(&map, TokenTransport::Any),
            Err(SessionState::Unauthorised(_))
        ));
    }

    #[test]
    fn legacy_cookie_always_tries_refresh() {
        let (h, c) = tokens();
        for map in [
            headers(&[("cookie", "sIdRefreshToken=x")]),
            headers(&[("cookie", &format!("sAccessToken={c}; sIdRefreshToken=x"))]),
            headers(&[
                ("authorization", &format!("Bearer {h}")),
                ("cookie", " sIdRefreshToken = "),
            ]),
        ] {
            for transport in [
                TokenTransport::Any,
                TokenTransport::Cookie,
                TokenTransport::Header,
            ] {
                assert_eq!(
                    state_name(pick(&map, transport)),
                    "TryRefresh(LegacyCookie)"
                );
            }
        }
    }

    #[test]
    fn transport_restrictions() {
        let (h, c) = tokens();
        let both = headers(&[
            ("authorization", &format!("Bearer {h}")),
            ("cookie", &format!("sAccessToken={c}")),
        ]);
        assert_eq!(
            pick(&both, TokenTransport::Any).unwrap().0,
            TokenSource::Header
        );
        assert_eq!(
            pick(&both, TokenTransport::Header).unwrap().0,
            TokenSource::Header
        );
        assert_eq!(
            pick(&both, TokenTransport::Cookie).unwrap().0,
            TokenSource::Cookie
        );

        let header_only = headers(&[("authorization", &format!("Bearer {h}"))]);
        assert_eq!(
            state_name(pick(&header_only, TokenTransport::Cookie)),
            "NoToken"
        );
        let cookie_only = headers(&[("cookie", &format!("sAccessToken={c}"))]);
        assert_eq!(
            state_name(pick(&cookie_only, TokenTransport::Header)),
            "NoToken"
        );
        // Duplicate cookies do not matter when cookies are not read.
        let duplicated = headers(&[("cookie", &format!("sAccessToken={c}; sAccessToken={c}"))]);
        assert_eq!(
            state_name(pick(&duplicated, TokenTransport::Header)),
            "NoToken"
        );
    }

    #[test]
    fn no_token_and_unauthorised() {
        assert_eq!(
            state_name(pick(&HeaderMap::new(), TokenTransport::Any)),
            "NoToken"
        );
        let map = headers(&[("cookie", "other=1"), ("authorization", "Basic abc")]);
        assert_eq!(state_name(pick(&map, TokenTransport::Any)), "NoToken");
        // Header present but unparseable, no cookie: the header's reason.
        let map = headers(&[("authorization", "Bearer ")]);
        assert!(matches!(
            pick(&map, TokenTransport::Any),
            Err(SessionState::Unauthorised(UnauthorisedReason::Malformed(_)))
        ));
        // Both unparseable: the header's reason wins.
        let too_large = "a".repeat(crate::MAX_TOKEN_BYTES + 1);
        let map = headers(&[
            ("authorization", &format!("Bearer {too_large}")),
            ("cookie", "sAccessToken=x.y.z"),
        ]);
        assert_eq!(
            state_name(pick(&map, TokenTransport::Any)),
            "Unauthorised(TooLarge)"
        );
        // Only the cookie, unparseable: the cookie's reason.
        let map = headers(&[
            ("authorization", "Basic x"),
            ("cookie", &format!("sAccessToken={too_large}")),
        ]);
        assert_eq!(
            state_name(pick(&map, TokenTransport::Any)),
            "Unauthorised(TooLarge)"
        );
        // An OAuth token in the cookie.
        let oauth = TestIssuer::new()
            .token("u")
            .claim("stt", serde_json::json!(1))
            .sign();
        let map = headers(&[("cookie", &format!("sAccessToken={oauth}"))]);
        assert_eq!(
            state_name(pick(&map, TokenTransport::Any)),
            "Unauthorised(WrongTokenType)"
        );
    }

    #[test]
    fn two_authorization_headers_are_not_a_candidate() {
        let (h, c) = tokens();
        let map = headers(&[
            ("authorization", &format!("Bearer {h}")),
            ("authorization", &format!("Bearer {h}")),
        ]);
        assert!(matches!(
            pick(&map, TokenTransport::Any),
            Err(SessionState::Unauthorised(UnauthorisedReason::Malformed(_)))
        ));
        let mut map = map;
        map.append(
            COOKIE,
            HeaderValue::from_str(&format!("sAccessToken={c}")).unwrap(),
        );
        assert_eq!(
            pick(&map, TokenTransport::Any).unwrap().0,
            TokenSource::Cookie
        );
    }

    #[test]
    fn legacy_token_tries_refresh() {
        let legacy = TestIssuer::new().token("old").version(2).sign();
        assert!(legacy.starts_with(LEGACY_V2_HEADER));
        for map in [
            headers(&[("authorization", &format!("Bearer {legacy}"))]),
            headers(&[("cookie", &format!("sAccessToken={legacy}"))]),
        ] {
            assert_eq!(
                state_name(pick(&map, TokenTransport::Any)),
                "TryRefresh(LegacyTokenVersion)"
            );
        }
        // A legacy header token is chosen: no fallback to a current cookie.
        let (_, c) = tokens();
        let map = headers(&[
            ("authorization", &format!("Bearer {legacy}")),
            ("cookie", &format!("sAccessToken={c}")),
        ]);
        assert_eq!(
            state_name(pick(&map, TokenTransport::Any)),
            "TryRefresh(LegacyTokenVersion)"
        );
    }

    #[test]
    fn trim_edges() {
        assert_eq!(trim(b""), b"");
        assert_eq!(trim(b"   "), b"");
        assert_eq!(trim(b" \ta\t "), b"a");
        let map = headers(&[("cookie", "sAccessToken=\"\"; x=\"")]);
        assert!(matches!(
            pick(&map, TokenTransport::Any),
            Err(SessionState::Unauthorised(_))
        ));
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = cookies(&headers(&[("cookie", "x=\"; y=\"\"")]))
            .map(|(n, v)| (n.to_vec(), v.to_vec()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                (b"x".to_vec(), b"\"".to_vec()),
                (b"y".to_vec(), b"".to_vec())
            ]
        );
    }
}
