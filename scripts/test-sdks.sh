#!/usr/bin/env bash
# Tests the server SDKs in sdks/: each SDK's own unit tests in its own runner (node --test, pytest,
# phpunit, go test; cargo test for Rust), then the shared scenario (sdks/scenario/) that runs the docs'
# examples and every SDK against the real server binary. Installs what is missing: php-cli, composer,
# phpunit and golang-go from Debian (apt-get), the pinned pytest into .venv, the pinned npm packages.
#
# Alone: scripts/test-sdks.sh. From scripts/test.sh: LATTESTREAM_SDK_CARGO=0 (cargo test --workspace
# already ran the Rust SDK's tests) and SDK_COUNT_FILE=FILE (receives the number of tests passed here).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT

step "SDK toolchains (Debian packages, installed only when missing)"
missing=()
command -v php >/dev/null || missing+=(php-cli)
command -v composer >/dev/null || missing+=(composer)
command -v phpunit >/dev/null || missing+=(phpunit)
command -v go >/dev/null || missing+=(golang-go)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -qq "${missing[@]}" >/dev/null ||
    { $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" >/dev/null; }
fi
printf '%s\n' "$(node --version)" "$(python3 --version)" "$(php --version | head -1)" "$(go version)" \
  "$(composer --version 2>/dev/null | head -1)" "$(phpunit --version | head -1)"

export LATTESTREAM_BIN="${LATTESTREAM_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/debug/lattestream}"
[ -x "$LATTESTREAM_BIN" ] || cargo build --bin lattestream

step "Node SDK (sdks/node): build, compiled output in sync with the sources, node --test"
(cd sdks/node && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
if git rev-parse --git-dir >/dev/null 2>&1; then
  git diff --exit-code -- sdks/node/dist ||
    { echo "sdks/node/dist differs from a fresh build of sdks/node/src: run npm run build there and commit dist/"; exit 1; }
fi
(cd sdks/node && node --test test/) 2>&1 | tee "$LOGS/node.log"

step "Python SDK (sdks/python): pytest"
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r sdks/python/requirements-dev.txt
.venv/bin/pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./sdks/python
(cd sdks/python && ../../.venv/bin/python -m pytest -q -p no:cacheprovider) 2>&1 | tee "$LOGS/pytest.log"

step "PHP SDK (sdks/php): phpunit"
(cd sdks/php && phpunit --do-not-cache-result) 2>&1 | tee "$LOGS/phpunit.log"

step "Go SDK (sdks/go): go vet, go test"
export GOFLAGS=-mod=mod GOPROXY=off
(cd sdks/go && go vet ./... && go test -count=1 -v ./...) 2>&1 | tee "$LOGS/go.log" | grep -E '^(ok|FAIL|---)' || true
grep -qE '^ok ' "$LOGS/go.log" && ! grep -qE '^(FAIL|--- FAIL)' "$LOGS/go.log"

if [ "${LATTESTREAM_SDK_CARGO:-1}" != 0 ]; then
  step "Rust SDK (sdks/rust): cargo test"
  cargo test -p lattestream-sdk 2>&1 | tee "$LOGS/cargo.log"
fi

step "Shared scenario (sdks/scenario): the docs' examples and every SDK against the real server"
(cd sdks/scenario && npm ci --no-audit --no-fund --loglevel=error)
LATTESTREAM_SDK_PYTHON="$PWD/.venv/bin/python" node --test --test-concurrency=1 sdks/scenario/ 2>&1 |
  tee "$LOGS/scenario.log"

passed=$(
  { grep -hE '^# pass [0-9]+' "$LOGS/node.log" "$LOGS/scenario.log" | awk '{print $3}'
    grep -hoE '^[0-9]+ passed' "$LOGS/pytest.log" | awk '{print $1}'
    grep -hoE '^OK \([0-9]+ tests' "$LOGS/phpunit.log" | grep -oE '[0-9]+'
    grep -cE '^--- PASS' "$LOGS/go.log"
    grep -hE '^test result: ok' "$LOGS/cargo.log" 2>/dev/null | awk '{print $4}' || true
  } | awk '{s += $1} END {print s + 0}'
)
printf '\nSDKs: %s passed, 0 failed\n' "$passed"
[ -z "${SDK_COUNT_FILE:-}" ] || echo "$passed" > "$SDK_COUNT_FILE"
