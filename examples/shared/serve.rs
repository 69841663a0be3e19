//! Start-up steps the examples share: logging, the key store, binding and announcing the
//! listener, serving.
//!
//! Included with `#[path = ...] mod serve;` by `api_server`, `ssr_app` and `demo`; not an
//! example of its own.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use axum::Router;
use tokio::net::TcpListener;
use tower_supertokens::KeyStore;

/// Logs to stderr (stdout is for the `listening on` line), `RUST_LOG` to override.
pub fn init_tracing() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_supertokens=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
}

/// A key store for `jwks_uri`, or exit code 2 after saying why.
pub fn key_store(jwks_uri: &str) -> Result<KeyStore, ExitCode> {
    KeyStore::from_jwks_uri(jwks_uri).map_err(|error| {
        eprintln!("invalid --jwks-uri: {error}");
        ExitCode::from(2)
    })
}

/// Fetches the JWKS once; a failure is only a warning (the first request retries).
pub async fn warm_up(keys: &KeyStore) {
    if let Err(error) = keys.refresh().await {
        tracing::warn!(%error, "JWKS not reachable at start; will retry on the first request");
    }
}

/// Binds `addr` and prints `listening on http://ADDR` (the address actually bound) as the
/// first line of stdout, flushed.
pub async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), ExitCode> {
    let listener = match TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on {addr}: {error}");
            return Err(ExitCode::FAILURE);
        }
    };
    let Ok(bound) = listener.local_addr() else {
        eprintln!("cannot read the bound address");
        return Err(ExitCode::FAILURE);
    };
    println!("listening on http://{bound}");
    let _ = std::io::stdout().flush();
    Ok((listener, bound))
}

/// Serves `app` until the process ends.
pub async fn serve(listener: TcpListener, app: Router) -> ExitCode {
    if let Err(error) = axum::serve(listener, app).await {
        eprintln!("server error: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
