//! The demo in a real browser: headless Chromium, driven by `tests/browser/e2e.mjs`
//! (playwright-core), against `examples/demo` on a loopback port. It signs in through the
//! form, lets the try-refresh page's own script renew an expired access token, verifies
//! the email with the button, and checks that a refresh answered 401 ends on the sign-in
//! page instead of looping. A screenshot of Home goes to `target/browser/home.png`.
//!
//! Needs Chromium at `/usr/bin/chromium`, Node.js 20+ and `npm ci --prefix tests/browser`
//! (`.ci/run` installs them). Without them the test fails, unless
//! `TOWER_SUPERTOKENS_SKIP_BROWSER=1` says to skip it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use tower_supertokens::testing::TestIssuer;

use common::{get, send, start_example};

const CHROMIUM: &str = "/usr/bin/chromium";
const SKIP_VAR: &str = "TOWER_SUPERTOKENS_SKIP_BROWSER";
/// The name the browser signs in with (the demo gives one user id per name).
const USER_NAME: &str = "browser-e2e@example.com";
/// A backstop; the script gives up by itself after two minutes, with diagnostics.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(240);

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// `target/browser`, next to the `target/<profile>` this test binary runs from.
fn artifacts_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let target = exe
        .ancestors()
        .nth(3) // target/<profile>/deps/<binary>
        .expect("target dir");
    target.join("browser")
}

/// What is missing to run the browser test, with how to install it.
fn missing_prerequisites() -> Vec<String> {
    let mut missing = Vec::new();
    if !Path::new(CHROMIUM).exists() {
        missing.push(format!(
            "Chromium at {CHROMIUM}: apt-get update && apt-get install -y --no-install-recommends chromium"
        ));
    }
    let node = Command::new("node").arg("--version").output();
    if !node.as_ref().is_ok_and(|output| output.status.success()) {
        missing.push(
            "Node.js 20 or later as `node` on PATH (Debian: apt-get install -y nodejs npm)"
                .to_owned(),
        );
    }
    if !browser_dir()
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        missing.push("playwright-core: npm ci --prefix tests/browser".to_owned());
    }
    missing
}

/// Signs `name` in over HTTP and returns the user id the demo gave it, so the expired
/// token can be minted for the same user the browser then signs in as.
async fn user_id_for(base: &str, name: &str) -> String {
    let reply = send(
        Request::post(format!("{base}/auth/signin"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(format!(
                "name={}&redirectToPath=%2F",
                name.replace('@', "%40")
            ))))
            .expect("request"),
    )
    .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let access = reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|cookie| cookie.strip_prefix("sAccessToken="))
        .and_then(|rest| rest.split(';').next())
        .expect("sign-in sets sAccessToken")
        .to_owned();
    let reply = get(
        &format!("{base}/api/user"),
        &[("authorization", &format!("Bearer {access}"))],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["userId"].as_str().expect("userId").to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_works_in_headless_chromium() {
    let missing = missing_prerequisites();
    if !missing.is_empty() {
        if std::env::var(SKIP_VAR).is_ok_and(|value| value == "1") {
            eprintln!(
                "SKIPPED the browser test ({SKIP_VAR}=1); missing: {}",
                missing.join("; ")
            );
            return;
        }
        panic!(
            "the browser test needs:\n  - {}\n(.ci/run installs all of it; set {SKIP_VAR}=1 to skip this test explicitly)",
            missing.join("\n  - ")
        );
    }

    let demo = start_example("demo", &["--listen", "127.0.0.1:0"]);
    let user_id = user_id_for(&demo.base, USER_NAME).await;
    // Expired two hours ago, signed with the demo's own key and kid (TestIssuer::new()).
    let expired = TestIssuer::new()
        .token(&user_id)
        .at(SystemTime::now() - Duration::from_secs(7200))
        .sign();

    let artifacts = artifacts_dir();
    let script = browser_dir().join("e2e.mjs");
    let mut command = tokio::process::Command::new("node");
    command
        .arg(&script)
        .arg(&demo.base)
        .arg(&expired)
        .current_dir(browser_dir())
        .env("E2E_USER_NAME", USER_NAME)
        .env("E2E_USER_ID", &user_id)
        .env("E2E_ARTIFACTS", &artifacts)
        .kill_on_drop(true);
    let output = tokio::time::timeout(SCRIPT_TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| panic!("{} ran over {SCRIPT_TIMEOUT:?}", script.display()))
        .unwrap_or_else(|e| panic!("running node {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "node {} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        script.display(),
        output.status
    );
    println!("{stdout}");
    assert!(
        stdout.contains("e2e: all browser checks passed"),
        "{stdout}\n{stderr}"
    );
    assert!(artifacts.join("home.png").exists(), "screenshot written");
}
