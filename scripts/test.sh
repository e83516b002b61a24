#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: unit and integration tests (cargo), a minute of
# fuzzing (scripts/fuzz.sh, which installs cargo-fuzz pinned), then the compatibility suites that drive
# the server with real ecosystem clients (Node, Python), then the server SDKs (scripts/test-sdks.sh).
# Installs what those suites need, pinned, into the repository (tests/compat/node_modules, .venv,
# sdks/*/node_modules; Debian's php and go when missing) — never by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# The server binary every suite drives: where cargo puts it (CARGO_TARGET_DIR is honoured).
export LATTESTREAM_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/lattestream"

step "cargo build (server and bench binaries)"
cargo build --workspace --bins

# The Redis tests start their own redis-server on free ports (tests/common/redis.rs).
if ! command -v redis-server >/dev/null; then
  step "installing redis-server (Debian package)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi

step "cargo test --workspace"
LOGS=$(mktemp -d)
cargo test --workspace 2>&1 | tee "$LOGS/cargo.log"

step "fuzzing: every target of fuzz/ for a few seconds (scripts/fuzz.sh --quick)"
scripts/fuzz.sh --quick 2>&1 | tee "$LOGS/fuzz.log"

# docs/webhooks.md's PHP snippet is run by the Node suite (webhooks.test.mjs) with Debian's PHP CLI.
if ! command -v php >/dev/null; then
  step "php-cli (Debian) for the webhook snippet check"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends php-cli >/dev/null
fi

if [ -f tests/compat/package.json ]; then
  step "Node compatibility suite (tests/compat)"
  (cd tests/compat && npm ci --no-audit --no-fund --loglevel=error)
  node --test --test-concurrency=1 tests/compat/ 2>&1 | tee "$LOGS/node.log"
fi

if [ -f tests/console/package.json ]; then
  step "Console browser test (tests/console: Debian's headless Chromium, playwright-core)"
  if ! command -v chromium >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  (cd tests/console && npm ci --no-audit --no-fund --loglevel=error)
  node --test --test-concurrency=1 tests/console/ 2>&1 | tee "$LOGS/console.log"
fi

if [ -f tests/compat/requirements.txt ]; then
  step "Python compatibility suite (tests/compat)"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r tests/compat/requirements.txt
  .venv/bin/python -m pytest -q tests/compat 2>&1 | tee "$LOGS/pytest.log"
fi

if [ -f tests/compat/requirements-schemathesis.txt ]; then
  step "OpenAPI conformance: schemathesis against docs/openapi.yaml"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r tests/compat/requirements-schemathesis.txt
  scripts/openapi-check.sh
fi

if [ -x scripts/test-sdks.sh ]; then
  step "Server SDKs (sdks/: Node, Python, PHP, Go; Rust ran with cargo test above)"
  LATTESTREAM_SDK_CARGO=0 SDK_COUNT_FILE="$LOGS/sdks.count" scripts/test-sdks.sh
fi

# One closing line over every suite (each step above already stopped the run on any failure).
passed=$(
  { grep -hE '^test result: ok' "$LOGS/cargo.log" | awk '{print $4}' || true
    grep -hE '^# pass [0-9]+' "$LOGS/node.log" "$LOGS/console.log" 2>/dev/null | awk '{print $3}' || true
    grep -hoE '^[0-9]+ passed' "$LOGS/pytest.log" 2>/dev/null | awk '{print $1}' || true
    cat "$LOGS/sdks.count" 2>/dev/null || true
  } | awk '{s += $1} END {print s + 0}'
)
printf '\nall suites: %s passed, 0 failed\n' "$passed"
