//! `SessionResponse::from_upstream` on arbitrary upstream answers, then both renderings.
//!
//! Input: `[status hi][status lo][select]`, the page's request target up to the first
//! `\n`; when `select & 1`, five more `\n`-terminated lines configure the `PageConfig`
//! (website base path, claim id, claim path, refresh path, api domain); the rest is the
//! upstream body.
#![no_main]

use bytes::Bytes;
use http::{Response, StatusCode, Uri};
use http_body_util::Full;
use libfuzzer_sys::fuzz_target;
use tower_supertokens::reject::page::{PageConfig, RefreshStrategy};
use tower_supertokens::upstream::SessionResponse;
use tower_supertokens_fuzz::{check_headers_and_body, runtime};

fn split_line(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = data.iter().position(|b| *b == b'\n')?;
    Some((&data[..at], &data[at + 1..]))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fuzz_target!(|data: &[u8]| {
    let [hi, lo, select, rest @ ..] = data else { return };
    let Ok(status) = StatusCode::from_u16(u16::from_be_bytes([*hi, *lo])) else { return };
    let Some((target, mut rest)) = split_line(rest) else { return };
    let uri = if target.is_empty() {
        Uri::from_static("/")
    } else {
        match Uri::try_from(target) {
            Ok(uri) => uri,
            Err(_) => return,
        }
    };
    let mut pages = PageConfig::default();
    if select & 1 != 0 {
        let mut lines = Vec::new();
        for _ in 0..5 {
            let Some((line, tail)) = split_line(rest) else { return };
            lines.push(text(line));
            rest = tail;
        }
        pages = pages
            .website_base_path(lines[0].clone())
            .claim_redirect(lines[1].clone(), lines[2].clone())
            .api_domain(lines[4].clone());
        if select & 2 != 0 {
            pages = pages.refresh_strategy(RefreshStrategy::Redirect {
                refresh_path: lines[3].clone(),
            });
        }
        if select & 4 != 0 {
            pages = pages.without_claim_redirects().claim_redirect(lines[1].clone(), lines[2].clone());
        }
    }
    let body = Bytes::copy_from_slice(rest);
    let upstream = || {
        let mut response = Response::new(Full::new(body.clone()));
        *response.status_mut() = status;
        response
    };

    let rt = runtime();
    let answer = rt.block_on(SessionResponse::from_upstream(upstream(), &pages));
    let kind = format!("{answer:?}");
    if let SessionResponse::ClaimRedirect { location, .. } = &answer {
        tower_supertokens_fuzz::check_location(location);
    }
    match answer.into_page_response(&uri, &pages) {
        Ok(ok) => assert!(status.is_success() && ok.status() == status, "{kind}"),
        Err(page) => {
            assert!(!status.is_success(), "{kind}");
            assert!(
                matches!(page.status().as_u16(), 200 | 307 | 403 | 502),
                "page answer {} for {kind}",
                page.status()
            );
            check_headers_and_body(page.headers(), page.body());
        }
    }

    let answer = rt.block_on(SessionResponse::from_upstream(upstream(), &pages));
    match answer.into_api_response() {
        Ok(ok) => assert!(status.is_success() && ok.status() == status),
        Err(api) => {
            assert!(matches!(api.status().as_u16(), 401 | 403 | 502), "api answer {}", api.status());
            assert!(api.headers().get("location").is_none());
            let _: serde_json::Value =
                serde_json::from_slice(api.body()).expect("API answers are JSON");
        }
    }
});
