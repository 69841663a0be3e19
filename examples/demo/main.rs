//! The demo: sign in, see a server-rendered page protected by tower-supertokens, watch the
//! short-lived access token expire and the try-refresh page renew it, verify an email
//! (the `st-ev` claim), sign out. Nothing to install: SuperTokens is replaced by an
//! embedded DEVELOPMENT issuer.
//!
//! ```text
//! cargo run --example demo [-- --listen ADDR] [--access-token-validity SECONDS]
//! ```
//! `--listen` defaults to 127.0.0.1:3000 and must be a loopback address
//! (`127.0.0.1:0` picks a port); `--access-token-validity` defaults to 60 seconds. The
//! first line of stdout is `listening on http://ADDR` with the address actually bound.
//!
//! One listener, one origin (`http://ADDR`), so the browser's cookies reach every part:
//! - the SSR app (`examples/shared/ssr.rs`, as `ssr_app` runs it): `/`, `/verified`,
//!   `/public`. Its pages call the API **over HTTP** at `http://ADDR/api/...` with the
//!   user's token as `Authorization: Bearer`, exactly as `ssr_app` calls `api_server`;
//!   the API just happens to live on the same listener.
//! - the API (`examples/shared/api.rs`, as `api_server` runs it): `/api/user`,
//!   `/api/verified`, `/api/optional`, `/healthz`.
//! - the development issuer (`issuer.rs`): `/.well-known/jwks.json`,
//!   `/auth/jwt/jwks.json`, `/auth/` (sign-in page), `/auth/signin`,
//!   `/auth/session/refresh`, `/auth/verify-email`, `/auth/signout`.
//!
//! Every `SessionLayer` here verifies with a real `KeyStore::from_jwks_uri` pointed at
//! `http://ADDR/.well-known/jwks.json`: the keys are fetched over loopback and cached,
//! as they would be from a SuperTokens core.
//!
//! **Development only**: the issuer signs with `TestIssuer`'s fixed test keys (published
//! in this crate's source), has no passwords, and keeps everything in memory.

#[path = "../shared/api.rs"]
mod api;
mod issuer;
#[path = "../shared/serve.rs"]
mod serve;
#[path = "../shared/ssr.rs"]
mod ssr;

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use tower_supertokens::SessionConfig;

struct Args {
    listen: SocketAddr,
    access_token_validity: Duration,
}

const USAGE: &str = "usage: demo [--listen ADDR] [--access-token-validity SECONDS]";
/// The longest access token validity accepted (one day).
const MAX_VALIDITY_SECS: u64 = 86_400;

fn parse_args() -> Result<Args, String> {
    let mut listen: SocketAddr = ([127, 0, 0, 1], 3000).into();
    let mut validity = 60;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => {
                let raw = value()?;
                listen = raw.parse().map_err(|e| format!("--listen {raw}: {e}"))?;
            }
            "--access-token-validity" => {
                let raw = value()?;
                validity = raw
                    .parse::<u64>()
                    .ok()
                    .filter(|secs| (1..=MAX_VALIDITY_SECS).contains(secs))
                    .ok_or(format!(
                        "--access-token-validity {raw}: expected whole seconds, 1 to {MAX_VALIDITY_SECS}"
                    ))?;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    if !listen.ip().is_loopback() {
        return Err(format!(
            "--listen {listen}: the demo's development issuer signs anyone in without a \
password, so it only listens on loopback (127.0.0.1 or [::1])"
        ));
    }
    Ok(Args {
        listen,
        access_token_validity: Duration::from_secs(validity),
    })
}

/// Links on the SSR pages (trusted HTML).
const FOOTER: &str = "<hr>\n<nav><a href=\"/\">Home</a> &middot; <a href=\"/verified\">Verified area</a> &middot; \
<a href=\"/public\">Public page</a> &middot; <a href=\"/auth/verify-email\">Verify email</a> &middot; \
<a href=\"/auth/\">Sign in</a></nav>\n\
<form method=\"post\" action=\"/auth/signout\"><button type=\"submit\">Sign out</button></form>\n\
<p><small>tower-supertokens demo &middot; DEVELOPMENT issuer: test keys, no passwords, in-memory sessions.</small></p>";

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
    let (listener, bound) = match serve::bind(args.listen).await {
        Ok(bound) => bound,
        Err(code) => return code,
    };
    let origin = format!("http://{bound}");
    let keys = match serve::key_store(&format!("{origin}/.well-known/jwks.json")) {
        Ok(keys) => keys,
        Err(code) => return code,
    };
    let dev = issuer::DevIssuer::new(&origin, args.access_token_validity);
    let app = ssr::app(
        ssr::session_config(keys.clone()),
        ssr::App::new(origin.clone(), Some(FOOTER.to_owned())),
    )
    .merge(api::app(SessionConfig::new(keys.clone())))
    .merge(issuer::router(
        dev,
        ssr::session_config(keys.clone()),
        SessionConfig::new(keys.clone()),
    ));

    let validity = args.access_token_validity.as_secs();
    println!(
        "DEVELOPMENT issuer embedded: TestIssuer's published test keys, no passwords, in-memory sessions."
    );
    println!("Open {origin}/ : it sends you to the sign-in page, then shows your user id.");
    println!(
        "Access tokens live {validity} s: reload after that to see the try-refresh page renew the session."
    );
    println!(
        "{origin}/verified needs a verified email (button at /auth/verify-email); {origin}/public needs nothing."
    );
    println!(
        "API: {origin}/api/user, /api/verified, /api/optional, /healthz; JWKS: {origin}/.well-known/jwks.json"
    );
    let _ = std::io::stdout().flush();

    // The layer fetches the JWKS from this very listener: warm the cache once it serves.
    tokio::spawn(async move { serve::warm_up(&keys).await });
    serve::serve(listener, app).await
}
