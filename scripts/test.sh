#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: unit and integration tests (cargo), then the
# compatibility suites that drive the server with real ecosystem clients (Node, Python). Installs what
# those suites need, pinned, into the repository (tests/compat/node_modules, .venv) — never by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# The server binary every suite drives: where cargo puts it (CARGO_TARGET_DIR is honoured).
export LATTESTREAM_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/lattestream"

step "cargo build (server and bench binaries)"
cargo build --workspace --bins

step "cargo test --workspace"
cargo test --workspace 2>&1 | tee /tmp/lattestream-cargo-test.log

if [ -f tests/compat/package.json ]; then
  step "Node compatibility suite (tests/compat)"
  (cd tests/compat && npm ci --no-audit --no-fund --loglevel=error)
  node --test --test-concurrency=1 tests/compat/
fi

if [ -f tests/compat/requirements.txt ]; then
  step "Python compatibility suite (tests/compat)"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r tests/compat/requirements.txt
  .venv/bin/python -m pytest -q tests/compat
fi

if [ -f tests/compat/requirements-schemathesis.txt ]; then
  step "OpenAPI conformance: schemathesis against docs/openapi.yaml"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r tests/compat/requirements-schemathesis.txt
  scripts/openapi-check.sh
fi
