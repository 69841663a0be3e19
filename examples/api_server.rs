//! An API server protected by tower-supertokens, as SuperTokens' backend SDK would protect it.
//!
//! ```text
//! cargo run --release --example api_server -- --jwks-uri URL [--listen ADDR]
//!     [--anti-csrf none|via-custom-header|via-token] [--signing-keys dynamic|static|any]
//! ```
//! `--jwks-uri` may also come from the `JWKS_URI` environment variable; `--listen`
//! defaults to 127.0.0.1:3001. On start it prints `listening on http://ADDR` with the
//! address actually bound.
//!
//! Routes:
//! - `GET|POST /api/user`: session required; the session as JSON.
//! - `GET /api/verified`: session required and `st-ev` must be true.
//! - `GET /api/optional`: optional session; `{"session": null|{...}, "state": "..."}`.
//! - `GET /healthz`: 200.

#[path = "shared/api.rs"]
mod api;
#[path = "shared/serve.rs"]
mod serve;

use std::net::SocketAddr;
use std::process::ExitCode;

use tower_supertokens::{AntiCsrf, SessionConfig, SigningKeyKind};

struct Args {
    jwks_uri: String,
    listen: SocketAddr,
    anti_csrf: AntiCsrf,
    signing_keys: SigningKeyKind,
}

const USAGE: &str = "usage: api_server --jwks-uri URL [--listen ADDR] \
[--anti-csrf none|via-custom-header|via-token] [--signing-keys dynamic|static|any]";

fn parse_args() -> Result<Args, String> {
    let mut jwks_uri = std::env::var("JWKS_URI").ok();
    let mut listen: SocketAddr = ([127, 0, 0, 1], 3001).into();
    let mut anti_csrf = AntiCsrf::None;
    let mut signing_keys = SigningKeyKind::Dynamic;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--jwks-uri" => jwks_uri = Some(value()?),
            "--listen" => {
                let raw = value()?;
                listen = raw.parse().map_err(|e| format!("--listen {raw}: {e}"))?;
            }
            "--anti-csrf" => {
                anti_csrf = match value()?.as_str() {
                    "none" => AntiCsrf::None,
                    "via-custom-header" => AntiCsrf::ViaCustomHeader,
                    "via-token" => AntiCsrf::ViaToken,
                    other => return Err(format!("--anti-csrf: unknown mode {other}")),
                }
            }
            "--signing-keys" => {
                signing_keys = match value()?.as_str() {
                    "dynamic" => SigningKeyKind::Dynamic,
                    "static" => SigningKeyKind::Static,
                    "any" => SigningKeyKind::Any,
                    other => return Err(format!("--signing-keys: unknown kind {other}")),
                }
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    let jwks_uri = jwks_uri.ok_or(format!("--jwks-uri (or JWKS_URI) is required\n{USAGE}"))?;
    Ok(Args {
        jwks_uri,
        listen,
        anti_csrf,
        signing_keys,
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
    let config = SessionConfig::new(keys)
        .anti_csrf(args.anti_csrf)
        .signing_key_kind(args.signing_keys);
    let (listener, _) = match serve::bind(args.listen).await {
        Ok(bound) => bound,
        Err(code) => return code,
    };
    serve::serve(listener, api::app(config)).await
}
