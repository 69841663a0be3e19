//! The whole layer against arbitrary request heads.
//!
//! Input: `[flags][select]` then `\n`-separated lines (no header value or URI can hold a
//! newline, so nothing is lost): request target, `Cookie`, `Authorization`, `anti-csrf`,
//! a second `Cookie`. An empty or missing line means "no such header".
//!
//! flags: bits 0-2 method (GET HEAD POST PUT DELETE PATCH OPTIONS TRACE), bit 3
//! `Accept: text/html`, bit 4 `rid`, bit 5 `st-auth-mode`, bit 6 a second identical
//! `Authorization`, bit 7 an extension method (`PROPFIND`) instead.
//! select: layer profile (modulo 3).
#![no_main]

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Uri};
use http_body_util::Full;
use libfuzzer_sys::fuzz_target;
use tower_supertokens_fuzz::{PROFILES, call, check_layer_answer};

const METHODS: [Method; 8] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
    Method::OPTIONS,
    Method::TRACE,
];

fn header(line: Option<&[u8]>) -> Result<Option<HeaderValue>, ()> {
    match line {
        None | Some([]) => Ok(None),
        Some(bytes) => HeaderValue::from_bytes(bytes).map(Some).map_err(|_| ()),
    }
}

fuzz_target!(|data: &[u8]| {
    let [flags, select, rest @ ..] = data else { return };
    let mut lines = rest.split(|b| *b == b'\n');
    let target = lines.next().unwrap_or_default();
    let uri = if target.is_empty() {
        Uri::from_static("/")
    } else {
        match Uri::try_from(target) {
            Ok(uri) => uri,
            Err(_) => return,
        }
    };
    let (Ok(cookie), Ok(authorization), Ok(anti_csrf), Ok(cookie2)) = (
        header(lines.next()),
        header(lines.next()),
        header(lines.next()),
        header(lines.next()),
    ) else {
        return;
    };

    let method = if flags & 0x80 != 0 {
        Method::from_bytes(b"PROPFIND").unwrap()
    } else {
        METHODS[usize::from(flags & 7)].clone()
    };
    let profile = PROFILES[usize::from(*select) % PROFILES.len()];

    let mut request = Request::new(Full::new(Bytes::new()));
    *request.method_mut() = method.clone();
    *request.uri_mut() = uri;
    let headers = request.headers_mut();
    if let Some(value) = cookie {
        headers.append("cookie", value);
    }
    if let Some(value) = cookie2 {
        headers.append("cookie", value);
    }
    if let Some(value) = authorization {
        if flags & 0x40 != 0 {
            headers.append("authorization", value.clone());
        }
        headers.append("authorization", value);
    }
    if let Some(value) = anti_csrf {
        headers.append("anti-csrf", value);
    }
    if flags & 0x08 != 0 {
        headers.append("accept", HeaderValue::from_static("text/html,application/xhtml+xml"));
    }
    if flags & 0x10 != 0 {
        headers.append("rid", HeaderValue::from_static("session"));
    }
    if flags & 0x20 != 0 {
        headers.append("st-auth-mode", HeaderValue::from_static("cookie"));
    }

    let outcome = call(profile, request);
    check_layer_answer(&outcome);
    if method == Method::OPTIONS || method == Method::TRACE {
        assert!(outcome.inner, "{method} must pass through");
    }
    if outcome.inner {
        assert_eq!(outcome.status, 200);
    }
});
