//! Helpers shared by the integration tests: running the examples and plain HTTP calls.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// A running example binary, killed on drop.
pub struct Example {
    child: Child,
    /// `http://127.0.0.1:PORT` as printed by the example.
    pub base: String,
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn example_path(name: &str) -> PathBuf {
    // tests run from target/<profile>/deps; examples live in target/<profile>/examples.
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    profile_dir.join("examples").join(name)
}

/// Builds (if needed) and starts `examples/<name>.rs` with `args`, waiting for its
/// `listening on http://ADDR` line.
pub fn start_example(name: &str, args: &[&str]) -> Example {
    let path = example_path(name);
    if !path.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--example", name, "--features", "axum,test-util"])
            .status()
            .expect("cargo build");
        assert!(status.success(), "building example {name}");
    }
    let mut child = Command::new(&path)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", path.display()));
    let stdout = child.stdout.take().expect("stdout piped");
    let mut lines = BufReader::new(stdout).lines();
    let line = lines
        .next()
        .expect("the example printed nothing")
        .expect("reading stdout");
    let base = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .trim()
        .to_owned();
    // Keep draining stdout so the example never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Example { child, base }
}

/// A response read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// Sends `request` over a fresh loopback connection.
pub async fn send(request: Request<Full<Bytes>>) -> Reply {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let response = tokio::time::timeout(Duration::from_secs(30), client.request(request))
        .await
        .expect("request timed out")
        .expect("request failed");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// GET `url` with extra headers.
pub async fn get(url: &str, headers: &[(&str, &str)]) -> Reply {
    let mut builder = Request::get(url);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    send(builder.body(Full::default()).expect("request")).await
}

/// Request builders shared by the `oneshot` tests.
pub mod requests {
    use bytes::Bytes;
    use http::Request;
    use http::request::Builder;
    use http_body_util::Full;

    /// Adds the access token cookie.
    pub fn with_cookie(builder: Builder, token: &str) -> Builder {
        builder.header("cookie", format!("sAccessToken={token}"))
    }

    /// Adds `Authorization: Bearer <token>`.
    pub fn with_bearer(builder: Builder, token: &str) -> Builder {
        builder.header("authorization", format!("Bearer {token}"))
    }

    /// The request, with an empty body.
    pub fn build(builder: Builder) -> Request<Full<Bytes>> {
        builder.body(Full::default()).expect("request")
    }
}

/// A fixed "now" for layer tests, and the issuer and clock they share.
pub mod fixture {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use tower_supertokens::SessionConfig;
    use tower_supertokens::clock::ManualClock;
    use tower_supertokens::testing::TestIssuer;

    /// The tests' "now", in Unix seconds.
    pub const NOW: u64 = 1_800_000_000;

    /// [`NOW`] as a time.
    pub fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW)
    }

    /// An issuer and a clock standing at [`now`].
    pub struct Fixture {
        pub issuer: TestIssuer,
        pub clock: ManualClock,
    }

    impl Fixture {
        pub fn new() -> Self {
            Self {
                issuer: TestIssuer::new(),
                clock: ManualClock::new(now()),
            }
        }

        /// A layer configuration reading the issuer's keys and the fixture's clock.
        pub fn config(&self) -> SessionConfig {
            SessionConfig::new(self.issuer.key_store()).clock(self.clock.clone())
        }

        /// A valid token of `user-1`.
        pub fn token(&self) -> String {
            self.issuer.token("user-1").at(now()).sign()
        }

        /// A token of `user-1` that expired an hour ago.
        pub fn expired(&self) -> String {
            self.issuer
                .token("user-1")
                .at(now() - Duration::from_secs(7200))
                .sign()
        }
    }
}
