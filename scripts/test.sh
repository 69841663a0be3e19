#!/usr/bin/env bash
# The test command: every test of the crate on the default backend (aws-lc-rs) with all
# features, doc tests included. The browser test (tests/browser.rs) drives the demo in
# headless Chromium with playwright-core; this script installs both when they are missing
# (Debian's chromium package, npm ci). Set TOWER_SUPERTOKENS_SKIP_BROWSER=1 to skip it.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${TOWER_SUPERTOKENS_SKIP_BROWSER:-}" != "1" ]; then
  started=$SECONDS
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi
  if [ ! -x /usr/bin/chromium ]; then
    "${as_root[@]}" apt-get update
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
  fi
  if [ ! -d tests/browser/node_modules/playwright-core ]; then
    npm ci --prefix tests/browser --no-audit --no-fund
  fi
  echo "browser prerequisites ready in $((SECONDS - started)) s (chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n 1), node: $(node --version))"
fi

cargo nextest run --all-features --no-fail-fast "$@"
cargo test --doc --all-features
