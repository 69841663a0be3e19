//! A server-rendered app protected by tower-supertokens: the SuperTokens SSR guide's Home
//! page in Rust.
//!
//! ```text
//! cargo run --example ssr_app -- --jwks-uri URL --api-url URL [--listen ADDR]
//! ```
//! `--jwks-uri` and `--api-url` may also come from `JWKS_URI` and `API_URL`; `--listen`
//! defaults to 127.0.0.1:3000. On start it prints `listening on http://ADDR` with the
//! address actually bound.
//!
//! Routes:
//! - `GET /`: session required (from the `sAccessToken` cookie). Calls the API server's
//!   `/api/user` with the user's token as `Authorization: Bearer` and renders "Your user
//!   id is: ...". Without a session the layer answers: 307 to the login page, or the
//!   try-refresh page for an expired token; the API's answers become page answers through
//!   `SessionResponse`.
//! - `GET /verified`: the same, against `/api/verified`, which needs a verified email:
//!   its 403 becomes a 307 to `/auth/verify-email`.
//! - `GET /public`: no session needed.
//!
//! Every route here is a page, so any GET/HEAD without SuperTokens' `rid` or
//! `st-auth-mode` header gets page answers, whatever its `Accept` header says.

#[path = "shared/serve.rs"]
mod serve;
#[path = "shared/ssr.rs"]
mod ssr;

use std::net::SocketAddr;
use std::process::ExitCode;

use http::Uri;

struct Args {
    jwks_uri: String,
    api_url: String,
    listen: SocketAddr,
}

const USAGE: &str = "usage: ssr_app --jwks-uri URL --api-url URL [--listen ADDR]";

fn parse_args() -> Result<Args, String> {
    let mut jwks_uri = std::env::var("JWKS_URI").ok();
    let mut api_url = std::env::var("API_URL").ok();
    let mut listen: SocketAddr = ([127, 0, 0, 1], 3000).into();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--jwks-uri" => jwks_uri = Some(value()?),
            "--api-url" => api_url = Some(value()?),
            "--listen" => {
                let raw = value()?;
                listen = raw.parse().map_err(|e| format!("--listen {raw}: {e}"))?;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    let jwks_uri = jwks_uri.ok_or(format!("--jwks-uri (or JWKS_URI) is required\n{USAGE}"))?;
    let api_url = api_url.ok_or(format!("--api-url (or API_URL) is required\n{USAGE}"))?;
    let api_url = api_url.trim_end_matches('/').to_owned();
    let probe = format!("{api_url}/api/user");
    match probe.parse::<Uri>() {
        Ok(uri) if uri.scheme_str() == Some("http") && uri.authority().is_some() => {}
        _ => return Err(format!("--api-url {api_url}: expected http://HOST[:PORT]")),
    }
    Ok(Args {
        jwks_uri,
        api_url,
        listen,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    serve::init_tracing();
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let keys = match serve::key_store(&args.jwks_uri) {
        Ok(keys) => keys,
        Err(code) => return code,
    };
    serve::warm_up(&keys).await;
    // The defaults: login at /auth, refresh at /auth/session/refresh on this origin.
    let config = ssr::session_config(keys);
    let state = ssr::App::new(args.api_url, None);
    let (listener, _) = match serve::bind(args.listen).await {
        Ok(bound) => bound,
        Err(code) => return code,
    };
    serve::serve(listener, ssr::app(config, state)).await
}
